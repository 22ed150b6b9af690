#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: recovery_vault_info
short_description: List or get Recovery Services vaults
version_added: 0.1.0
description:
  - Returns the Recovery Services vaults of a subscription, of a resource group, or one vault by name.
  - Returns an empty list when nothing matches, including a named vault that does not exist.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.INFO_MODULE
options:
  name:
    description: One vault's name. Needs O(resource_group).
    type: str
  resource_group:
    description: Only the vaults of this resource group.
    type: str
  tags:
    description: Only the vaults that have all these tags with these values.
    type: dict
"""

EXAMPLES = r"""
- name: All vaults of the target subscription
  azmove.site_recovery.recovery_vault_info:
    use_connection: target
  register: all_vaults

- name: One vault
  azmove.site_recovery.recovery_vault_info:
    use_connection: target
    resource_group: rg-move-target
    name: rsv-move-eastus
  register: one

- name: Fail early if the vault of the move is missing
  ansible.builtin.assert:
    that: one.vaults | length == 1
    fail_msg: Create the vault first (playbook azmove.site_recovery.prepare).
"""

RETURN = r"""
vaults:
  description: The vaults found, each with the keys that M(azmove.site_recovery.recovery_vault) returns.
  returned: always
  type: list
  elements: dict
  sample:
    - id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-move-target/providers/Microsoft.RecoveryServices/vaults/rsv-move-eastus
      name: rsv-move-eastus
      resource_group: rg-move-target
      location: eastus
      tags: {}
      sku: RS0
      sku_tier: Standard
      identity: {type: SystemAssigned, principal_id: 3137d6c7-5d6c-411c-b934-7a2a729ee247, tenant_id: d676e86e-2206-4a7c-999c-ece52c144b5b}
      provisioning_state: Succeeded
      public_network_access: Enabled
      storage_redundancy: GeoRedundant
      cross_region_restore: Disabled
      private_endpoint_state_for_site_recovery: None
connection:
  description: The connection the task used (never its secrets).
  returned: always
  type: dict
  contains:
    name:
      description: The connection's name (of O(connections)), or C(default) when the task's own options were used.
      type: str
      sample: target
    cloud:
      description: The Azure cloud it reaches, C(AzureCloud) or C(AzureUSGovernment).
      type: str
      sample: AzureCloud
    resource_manager:
      description: That cloud's Azure Resource Manager endpoint.
      type: str
      sample: "https://management.azure.com/"
    subscription_id:
      description: The subscription it works in.
      type: str
      sample: "11111111-1111-1111-1111-111111111111"
    auth_source:
      description: How the token was obtained (one of O(auth_source)'s choices, as resolved by V(auto)).
      type: str
      sample: client_secret
"""

from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._vault import VaultManager


def main():
    module = AzureModule(
        argument_spec=dict(
            name=dict(type="str"),
            resource_group=dict(type="str"),
            tags=dict(type="dict"),
        ),
        required_by={"name": "resource_group"},
    )
    p = module.params

    def body():
        manager = VaultManager(module.client("recoveryservices"))
        vaults = manager.list(resource_group=p["resource_group"], name=p["name"], tags=p["tags"])
        module.exit(False, vaults=vaults, connection=module.connection().describe())

    run(module, body, action="recovery_vault_info")


if __name__ == "__main__":
    main()
