#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: recovery_vault
short_description: Create, update or delete a Recovery Services vault for Site Recovery
version_added: 0.1.0
description:
  - Makes sure a Recovery Services vault (the portal's "Recovery Services vault", ARM type
    C(Microsoft.RecoveryServices/vaults)) exists with the given settings, or does not exist.
  - The vault of a move must be in the B(target) region. Give O(source_region) and the module refuses to
    create the vault in the source region.
  - Only the settings given are managed; tags are added to the existing ones unless O(purge_tags=true).
  - Settings are changed with PATCH, so settings this module does not manage are left as they are.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  name:
    description:
      - The vault's name - 2 to 50 letters, digits and hyphens, starting with a letter, as Azure requires. Another
        name is refused before any request.
    type: str
    required: true
  resource_group:
    description: The resource group that holds the vault. It must exist.
    type: str
    required: true
  location:
    description:
      - The vault's region, for example V(eastus) or V(East US). Required to create a vault.
      - It must be one of the regions the target cloud offers the subscription (its C(subscriptions/<id>/locations)
        list); another one (a typing error such as V(eastus3)) is refused before anything is changed.
      - A vault cannot move; asking for another region than the existing vault's is an error.
    type: str
  source_region:
    description:
      - The region the machines move B(from). The module fails, before changing anything, if O(location)
        is that region.
      - It must be a region of the source cloud - the one of the O(source_connection) entry of O(connections), or,
        when there is no such entry, of the task's own connection. Another value is refused before anything is
        changed, since it would silently turn the check above off.
    type: str
  source_connection:
    description:
      - The entry of O(connections) that reaches the source cloud, used to check O(source_region).
    type: str
    default: source
  state:
    description: V(present) to create or update the vault, V(absent) to delete it.
    type: str
    choices: [present, absent]
    default: present
  sku:
    description: The vault SKU. Azure reports V(Standard) as C(RS0).
    type: str
    choices: [Standard, RS0]
  storage_redundancy:
    description:
      - The vault's storage redundancy (C(properties.redundancySettings.standardTierStorageRedundancy)).
        Azure's default for a new vault is V(GeoRedundant).
      - Azure allows changing it only before any item is protected.
    type: str
    choices: [LocallyRedundant, GeoRedundant, ZoneRedundant]
  cross_region_restore:
    description: Cross Region Restore (Azure Backup), V(Enabled) or V(Disabled). Needs V(GeoRedundant) storage.
    type: str
    choices: [Enabled, Disabled]
  public_network_access:
    description: Whether the vault accepts traffic from public networks (V(Disabled) needs private endpoints).
    type: str
    choices: [Enabled, Disabled]
  system_assigned_identity:
    description:
      - Whether the vault has a system-assigned managed identity. New vaults get one unless this is V(false).
      - The modernized Site Recovery provider uses it to write to the cache storage account.
    type: bool
  tags:
    description: Tags to set on the vault.
    type: dict
  purge_tags:
    description: Remove the tags that O(tags) does not name.
    type: bool
    default: false
  wait:
    description: Wait for the create, update or delete to finish.
    type: bool
    default: true
  wait_timeout:
    description: How many seconds to wait at the most when O(wait=true).
    type: int
    default: 900
notes:
  - Deleting a vault fails while it still protects machines or holds registered servers; Azure's error
    code and message are reported.
"""

EXAMPLES = r"""
- name: Create the vault of the move in the target (public) region
  azmove.site_recovery.recovery_vault:
    use_connection: target
    name: rsv-move-eastus
    resource_group: rg-move-target
    location: eastus
    source_region: usgovvirginia
    storage_redundancy: LocallyRedundant
    tags:
      purpose: gov-to-public-move

- name: Two connections declared once, then used by name
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/azmove.site_recovery.azure:
      connections:
        - name: source
          cloud: AzureUSGovernment
          profile: source
        - name: target
          cloud: AzureCloud
          profile: target
  tasks:
    - name: The vault lives in the target cloud
      azmove.site_recovery.recovery_vault:
        use_connection: target
        name: rsv-move-eastus
        resource_group: rg-move-target
        location: eastus

- name: Delete the vault once the move is over
  azmove.site_recovery.recovery_vault:
    use_connection: target
    name: rsv-move-eastus
    resource_group: rg-move-target
    state: absent
"""

RETURN = r"""
vault:
  description: The vault as Azure has it after the task (in check mode, as it is now; empty when absent).
  returned: always
  type: dict
  contains:
    id:
      description: The ARM resource id.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-move-target/providers/Microsoft.RecoveryServices/vaults/rsv-move-eastus
    name:
      description: The vault's name.
      type: str
      sample: rsv-move-eastus
    resource_group:
      description: The resource group.
      type: str
      sample: rg-move-target
    location:
      description: The region, in ARM's spelling.
      type: str
      sample: eastus
    tags:
      description: The tags.
      type: dict
      sample: {purpose: gov-to-public-move}
    sku:
      description: The SKU name.
      type: str
      sample: RS0
    sku_tier:
      description: The SKU tier.
      type: str
      sample: Standard
    identity:
      description: The managed identity (type, principal_id, tenant_id).
      type: dict
      sample: {type: SystemAssigned, principal_id: 3137d6c7-5d6c-411c-b934-7a2a729ee247, tenant_id: d676e86e-2206-4a7c-999c-ece52c144b5b}
    provisioning_state:
      description: The provisioning state.
      type: str
      sample: Succeeded
    public_network_access:
      description: Public network access.
      type: str
      sample: Enabled
    storage_redundancy:
      description: The storage redundancy.
      type: str
      sample: GeoRedundant
    cross_region_restore:
      description: Cross Region Restore.
      type: str
      sample: Disabled
    private_endpoint_state_for_site_recovery:
      description: Private endpoint state for Site Recovery.
      type: str
      sample: None
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
from ansible_collections.azmove.site_recovery.plugins.module_utils._vault import REDUNDANCY, VaultManager, VaultSpec, vault_name_problem


def main():
    module = AzureModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            resource_group=dict(type="str", required=True),
            location=dict(type="str"),
            source_region=dict(type="str"),
            source_connection=dict(type="str", default="source"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            sku=dict(type="str", choices=["Standard", "RS0"]),
            storage_redundancy=dict(type="str", choices=list(REDUNDANCY)),
            cross_region_restore=dict(type="str", choices=["Enabled", "Disabled"]),
            public_network_access=dict(type="str", choices=["Enabled", "Disabled"]),
            system_assigned_identity=dict(type="bool"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=False),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
        ),
    )
    p = module.params
    problem = vault_name_problem(p["name"])
    if problem:
        module.fail(problem)
    spec = VaultSpec(
        p["name"], p["resource_group"], location=p["location"], tags=p["tags"], purge_tags=p["purge_tags"],
        sku=p["sku"], system_assigned_identity=p["system_assigned_identity"],
        public_network_access=p["public_network_access"], storage_redundancy=p["storage_redundancy"],
        cross_region_restore=p["cross_region_restore"], source_region=p["source_region"],
    )
    if p["state"] == "present" and p["source_region"] and p["location"]:
        # Refuse before any request: a wrong region is bad input, not an Azure answer.
        problems = spec.validate(None)
        if problems:
            module.fail(" ".join(problems))

    def regions_problem():
        """A location or source_region the clouds do not offer (GETs only, before any write)."""
        if p["state"] != "present":
            return None
        problem = module.location_problem("location", p["location"])
        if problem or not p["source_region"]:
            return problem
        names = [c["name"] for c in p["connections"] or []]
        if p["source_connection"] in names:
            return module.location_problem("source_region", p["source_region"], p["source_connection"])
        problem = module.location_problem("source_region", p["source_region"])
        return problem and problem + (" There is no connection %r to check it in the source cloud: add it to "
                                      "connections, or set source_connection." % p["source_connection"])

    def body():
        conn = module.connection()
        problem = regions_problem()
        if problem:
            module.fail(problem)
        manager = VaultManager(module.client("recoveryservices"), check_mode=module.check_mode,
                               wait=p["wait"], wait_timeout=p["wait_timeout"])
        try:
            if p["state"] == "present":
                changed, before, after, vault = manager.present(spec)
            else:
                changed, before, after, vault = manager.absent(p["resource_group"], p["name"])
                vault = None if changed and not module.check_mode else vault
        except ValueError as exc:
            module.fail(str(exc))
        module.exit(changed, before=before, after=after, vault=vault or {}, connection=conn.describe())

    run(module, body, action="recovery_vault %s" % p["name"])


if __name__ == "__main__":
    main()
