#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_settings
short_description: Carry a Recovery Services vault's settings over to the vault that replaces it
version_added: 0.1.0
description:
  - A Recovery Services vault does not move between clouds. Before backup is relocated to a vault in the target
    region (M(azmove.site_recovery.backup_relocation)), this module reads the old vault's settings that the Azure
    Backup vault relocation article lists and applies the equivalent to the new vault.
  - V(network_access) is the vault's public network access (portal "Networking", ARM C(publicNetworkAccess)).
  - V(private_endpoints) are the vault's private endpoint connections. A private endpoint lives in a virtual network
    of the old cloud and cannot move, so each one the new vault does not have yet (an approved connection for the
    same sub-resource) is reported in RV(not_carried) with what to do.
  - V(alerts) are the alert and notification settings (ARM C(monitoringSettings)) of Azure Monitor and classic
    alerts.
  - V(diagnostic_settings) are the vault's diagnostic settings (C(Microsoft.Insights/diagnosticSettings)). Their
    destinations (Log Analytics workspace, storage account, event hub) are resources of the old cloud; a setting is
    carried only when O(diagnostic_destinations) names the target equivalent of each of its destinations.
  - V(storage_redundancy) is the backup storage redundancy and cross region restore (C(backupstorageconfig)). It
    is locked once the new vault protects its first item, so carry it before any backup is configured there.
  - V(soft_delete) is soft delete, its retention and enhanced security (C(backupconfig)).
  - V(immutability) is the vault's immutability state (C(securitySettings.immutabilitySettings)).
  - Settings the new vault already has are not written again; a re-run reports C(changed=false).
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
  source_vault:
    description: The old vault whose settings are read. It is only read, never changed.
    type: dict
    required: true
    suboptions:
      name:
        description: The vault's name.
        type: str
        required: true
      resource_group:
        description: The vault's resource group.
        type: str
        required: true
      use_connection:
        description: The entry of O(connections) that reaches the old vault.
        type: str
        default: source
  target_vault:
    description: The new vault the settings are applied to. It must exist (see M(azmove.site_recovery.recovery_vault)).
    type: dict
    required: true
    suboptions:
      name:
        description: The vault's name.
        type: str
        required: true
      resource_group:
        description: The vault's resource group.
        type: str
        required: true
      use_connection:
        description: The entry of O(connections) that reaches the new vault; default O(use_connection).
        type: str
  settings:
    description: The settings to carry.
    type: list
    elements: str
    choices: [network_access, private_endpoints, alerts, diagnostic_settings, storage_redundancy, soft_delete, immutability]
    default: [network_access, private_endpoints, alerts, diagnostic_settings, storage_redundancy, soft_delete, immutability]
  exclude:
    description: Settings to leave out, from the same list as O(settings).
    type: list
    elements: str
    choices: [network_access, private_endpoints, alerts, diagnostic_settings, storage_redundancy, soft_delete, immutability]
    default: []
  diagnostic_destinations:
    description:
      - For diagnostic settings, the resource id of each old-cloud destination (workspace, storage account, event
        hub authorization rule) mapped to the resource id of its equivalent in the target cloud.
      - A diagnostic setting with a destination missing here is reported in RV(not_carried).
    type: dict
    default: {}
  wait_timeout:
    description: How many seconds to wait at the most for the vault update.
    type: int
    default: 900
notes:
  - Soft delete V(AlwaysON) and immutability V(Locked) cannot be undone. They are carried as the old vault has them;
    leave them out with O(exclude) if the new vault must stay reversible.
  - Multi-user authorization (a resource guard) and customer-managed keys are not carried.
seealso:
  - module: azmove.site_recovery.backup_relocation
  - name: Relocate a Recovery Services vault and Azure Backup to another region
    description: The settings this module carries are the ones this article lists.
    link: https://learn.microsoft.com/azure/operational-excellence/relocation-backup
"""

EXAMPLES = r"""
- name: Carry the old vault's settings to the new one
  azmove.site_recovery.vault_settings:
    use_connection: target
    source_vault:
      name: rsv-backup-gov
      resource_group: rg-app-gov
      use_connection: source
    target_vault:
      name: rsv-backup-eastus
      resource_group: rg-move-target
    diagnostic_destinations:
      /subscriptions/1111/resourceGroups/rg-app-gov/providers/Microsoft.Storage/storageAccounts/stdiaggov: >-
        /subscriptions/2222/resourceGroups/rg-landing-eastus/providers/Microsoft.Storage/storageAccounts/stdiageastus
  register: settings

- name: Show what could not be carried
  ansible.builtin.debug:
    msg: "{{ item.setting }} {{ item.item }}: {{ item.reason }} {{ item.what_to_do }}"
  loop: "{{ settings.not_carried }}"

- name: Everything but storage redundancy
  azmove.site_recovery.vault_settings:
    use_connection: target
    source_vault:
      name: rsv-backup-gov
      resource_group: rg-app-gov
    target_vault:
      name: rsv-backup-eastus
      resource_group: rg-move-target
    exclude: [storage_redundancy]
"""

RETURN = r"""
carried:
  description:
    - Per setting, the new vault's value before and after the task (in check mode, what it would be), in the ARM
      shape (camelCase), and whether it changed. Settings not asked for are absent.
  returned: always
  type: dict
  sample:
    network_access:
      before: {publicNetworkAccess: Enabled}
      after: {publicNetworkAccess: Disabled}
      changed: true
    storage_redundancy:
      before: {storageModelType: GeoRedundant, crossRegionRestoreFlag: false}
      after: {storageModelType: GeoRedundant, crossRegionRestoreFlag: false}
      changed: false
not_carried:
  description: The settings (or parts of one) that could not be carried, with why and what to do instead.
  returned: always
  type: list
  elements: dict
  contains:
    setting:
      description: One of the O(settings) names.
      type: str
      sample: private_endpoints
    item:
      description: Which part of the setting (a private endpoint connection, a diagnostic setting, a property).
      type: str
      sample: pe-rsv-backup-gov.1f3c
    reason:
      description: Why it was not carried.
      type: str
    what_to_do:
      description: What a person does about it.
      type: str
source_vault_id:
  description: The old vault's resource id.
  returned: always
  type: str
target_vault_id:
  description: The new vault's resource id.
  returned: always
  type: str
connection:
  description: The target connection the task used (never its secrets).
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
source_connection:
  description: The source connection the task used (never its secrets).
  returned: always
  type: dict
  contains:
    name:
      description: The connection's name (of O(connections)), or C(default) when the task's own options were used.
      type: str
      sample: source
    cloud:
      description: The Azure cloud it reaches, C(AzureCloud) or C(AzureUSGovernment).
      type: str
      sample: AzureUSGovernment
    resource_manager:
      description: That cloud's Azure Resource Manager endpoint.
      type: str
      sample: "https://management.usgovcloudapi.net/"
    subscription_id:
      description: The subscription it works in.
      type: str
      sample: "00000000-0000-0000-0000-000000000000"
    auth_source:
      description: How the token was obtained (one of O(auth_source)'s choices, as resolved by V(auto)).
      type: str
      sample: client_secret
"""

from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._vault_settings import (
    SETTINGS,
    VaultSide,
    chosen_settings,
    make_plan,
    ordered_writes,
)

VAULT_OPTIONS = dict(name=dict(type="str", required=True), resource_group=dict(type="str", required=True))


def main():
    module = AzureModule(
        argument_spec=dict(
            source_vault=dict(type="dict", required=True,
                              options=dict(use_connection=dict(type="str", default="source"), **VAULT_OPTIONS)),
            target_vault=dict(type="dict", required=True, options=dict(use_connection=dict(type="str"), **VAULT_OPTIONS)),
            settings=dict(type="list", elements="str", choices=list(SETTINGS), default=list(SETTINGS)),
            exclude=dict(type="list", elements="str", choices=list(SETTINGS), default=[]),
            diagnostic_destinations=dict(type="dict", default={}),
            wait_timeout=dict(type="int", default=900),
        ),
    )
    p = module.params
    settings = chosen_settings(p["settings"], p["exclude"])
    src, dst = p["source_vault"], p["target_vault"]
    if module.same_resource((src["use_connection"], src["resource_group"], src["name"]),
                            (dst["use_connection"], dst["resource_group"], dst["name"])):
        module.fail("source_vault and target_vault are the same vault (%s in resource group %s of the same subscription): "
                    "settings are carried from the old vault to the new one; name the vault that replaces it as "
                    "target_vault." % (dst["name"], dst["resource_group"]))
    for old, new in p["diagnostic_destinations"].items():
        if not (isinstance(new, str) and old.startswith("/subscriptions/") and new.startswith("/subscriptions/")):
            module.fail("diagnostic_destinations maps resource ids to resource ids (/subscriptions/...); got %r: %r."
                        % (old, new))

    def side(spec):
        conn = spec["use_connection"]
        return VaultSide(module.client("recoveryservices", conn), module.client("backup", conn), spec["name"],
                         spec["resource_group"])

    def body():
        target_conn, source_conn = module.connection(dst["use_connection"]), module.connection(src["use_connection"])
        source, target = side(src), side(dst)
        old, new = source.read(settings), target.read(settings)
        for doc, spec in ((old, src), (new, dst)):
            if doc is None:
                module.fail("Vault %s was not found in resource group %s (connection %s)."
                            % (spec["name"], spec["resource_group"], spec["use_connection"] or "default"))
        if old["vault"]["id"].lower() == new["vault"]["id"].lower():  # two connections to one subscription
            module.fail("source_vault and target_vault are the same vault %s; nothing was changed." % old["vault"]["id"])
        plan = make_plan(old, new, settings, p["diagnostic_destinations"], dst["name"])
        if not module.check_mode:
            for kind in ordered_writes(plan.writes):
                target.write(kind, plan.writes[kind], new["vault"]["id"], p["wait_timeout"])
        module.exit(plan.changed,
                    before={k: v["before"] for k, v in plan.carried.items()},
                    after={k: v["after"] for k, v in plan.carried.items()},
                    carried=plan.carried, not_carried=plan.not_carried, source_vault_id=old["vault"]["id"],
                    target_vault_id=new["vault"]["id"], connection=target_conn.describe(),
                    source_connection=source_conn.describe())

    run(module, body, action="vault_settings %s" % dst["name"])


if __name__ == "__main__":
    main()
