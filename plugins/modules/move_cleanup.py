#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: move_cleanup
short_description: Delete what the move created in the target once nothing uses it any more
version_added: 0.1.0
description:
  - After a wave is committed and migrated, deletes the resources in the target (public) cloud that only the move
    needed - the protection container mappings (policy associations) and replication policies of the vault that no
    replicated machine uses, the test networks in O(test_networks) and the cache storage accounts in
    O(cache_storage_accounts) - and, when asked, the registration of the replication appliance or configuration
    server (O(remove_registration)) and the vault itself (O(delete_vault)).
  - Nothing is deleted without O(confirm=true); without it the task fails before sending any request. Check mode
    does not need it and lists what would go in RV(plan).
  - "Never deletes what something still uses; the result lists it under RV(kept) with the reason: a mapping or policy
    a replicated machine still replicates through (or the failback association of a server that still has one), a test
    network a replicated machine of any vault of the subscription names as its test or target network or that a
    network interface is connected to, a cache storage account a replicated machine of any vault of the subscription
    writes to, a registration machines still replicate through, a vault that still replicates machines, still has a
    registered server, or still holds Azure Backup items."
  - "Deletes in the order Azure needs: mappings, policies, test networks, cache storage accounts, registrations, the
    vault. Safe to run again after an interruption: everything is found again - the vault's own resources by listing
    the vault, the networks and storage accounts by their names - so a second run deletes what the first left, and a
    run with nothing left to delete is no change."
seealso:
  - module: azmove.site_recovery.replicated_machine
    description: Enable replication of a machine - the move's first step.
  - module: azmove.site_recovery.replication_wait
    description: Wait for a wave's initial replication, showing progress.
  - module: azmove.site_recovery.test_failover
    description: Drill the move into an isolated network, then clean it up.
  - module: azmove.site_recovery.failover
    description: Fail the machine over to the target cloud, commit, and complete the migration.
  - module: azmove.site_recovery.moved_vm
    description: After failover, compare the moved VM with its plan and attach what was not carried.
  - module: azmove.site_recovery.move_rollback
    description: Undo a failover that is not committed.
  - module: azmove.site_recovery.source_decommission
    description: Once the move is over, delete the source VM and what it leaves.
  - module: azmove.site_recovery.backup_relocation
    description: Protect the moved VM with Azure Backup in its new region.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
  - azure-mgmt-network
  - azure-mgmt-storage
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  test_networks:
    description:
      - Test failover networks to delete, by name (in O(test_network_resource_group)) or resource id.
    type: list
    elements: str
    default: []
  test_network_resource_group:
    description: Resource group of the test networks given by name; default O(resource_group).
    type: str
  cache_storage_accounts:
    description:
      - Cache (log) storage accounts of the replication to delete, by name (in O(cache_storage_account_resource_group))
        or resource id.
    type: list
    elements: str
    default: []
  cache_storage_account_resource_group:
    description: Resource group of the cache storage accounts given by name; default O(resource_group).
    type: str
  policies:
    description:
      - Delete the vault's protection container mappings and replication policies that no replicated machine uses.
    type: bool
    default: true
  remove_registration:
    description:
      - Also remove the registration of each replication appliance or configuration server through which no machine
        replicates any more (the vault's fabric; the portal's "unregister"). The appliance or server itself is a
        machine in the source environment; retire it yourself.
    type: bool
    default: false
  delete_vault:
    description:
      - Also delete the vault, when it replicates nothing, has no registered server left (after this run) and holds no
        Azure Backup items.
    type: bool
    default: false
  confirm:
    description:
      - Must be V(true), or the task fails before sending any request. Check mode does not need it, as it deletes
        nothing.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait at most for each delete; the task fails naming the resource when they run out.
    type: int
    default: 1800
  poll_interval:
    description: Seconds between two reads of a Site Recovery job when Azure does not say how long to wait.
    type: float
    default: 15
"""

EXAMPLES = r"""
- name: What would go (check mode, nothing deleted)
  azmove.site_recovery.move_cleanup:
    connections: "{{ azmove_connections }}"
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    test_networks: [vnet-test-eastus]
    cache_storage_accounts: [stmovecacheeastus]
  check_mode: true
  register: cleanup_plan

- name: Discard everything the move created, the appliance registration and the vault included
  azmove.site_recovery.move_cleanup:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    test_networks: [vnet-test-eastus]
    cache_storage_accounts: [stmovecacheeastus]
    remove_registration: true
    delete_vault: true
    confirm: true
"""

RETURN = r"""
plan:
  description: What this run deletes (in check mode, would delete), in the order it deletes it.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: C(mapping), C(policy), C(test_network), C(cache_storage_account), C(registration) or C(vault).
      type: str
    id:
      description: Resource id.
      type: str
    name:
      description: Its name; for a mapping, C(<policy> of <server>); for a registration, C(replication appliance <name>).
      type: str
kept:
  description: What stays, and why.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: As in RV(plan).
      type: str
    id:
      description: Resource id.
      type: str
    name:
      description: Its name, as in RV(plan).
      type: str
    reason:
      description: Why it stays, for example C(machine vm-app-lnx01 still replicates through policy gov-to-public-24h).
      type: str
deleted:
  description: Resource ids this run deleted, in order; empty in check mode.
  returned: always
  type: list
  elements: str
missing:
  description: Test networks and cache storage accounts asked for that do not exist (already deleted, or misspelt).
  returned: always
  type: list
  elements: str
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

from ansible_collections.azmove.site_recovery.plugins.module_utils import _cleanup as cl
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import SiteRecovery, group_and_name, parse_arm_id, plain, resource_id, vault_spec
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import wait_for_poller

MAPPING_REMOVAL = {"properties": {"providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}}


def rg_name(arm_id):
    return group_and_name(arm_id)


class Cleanup:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.sr = SiteRecovery(module, self.p["resource_group"], self.p["vault"])

    def arm_id(self, value, group, provider):
        return resource_id(value, provider, self.module.connection().subscription_id, group or self.p["resource_group"])

    def wanted(self):
        nets = [self.arm_id(v, self.p["test_network_resource_group"], "Microsoft.Network/virtualNetworks") for v in self.p["test_networks"]]
        accounts = [self.arm_id(v, self.p["cache_storage_account_resource_group"], "Microsoft.Storage/storageAccounts")
                    for v in self.p["cache_storage_accounts"]]
        return nets, accounts

    # -- reading --------------------------------------------------------------------------------------------------
    def gather(self):
        p = self.p
        rs = self.module.client("recoveryservices")
        vault = plain(get_or_none(rs.vaults.get, p["resource_group"], p["vault"]))
        facts = {"vault": vault, "vault_name": p["vault"], "items": [], "mappings": [], "policies": [], "fabrics": [],
                 "other_items": [], "networks": [], "nics": [], "storage_accounts": [], "backup_items": 0}
        if vault:
            facts["items"] = self.sr.list("replication_protected_items")
            facts["mappings"] = self.sr.list("replication_protection_container_mappings")
            facts["policies"] = self.sr.list("replication_policies")
            facts["fabrics"] = self.sr.list("replication_fabrics")
            if p["delete_vault"]:
                backup = self.module.client("backup")
                facts["backup_items"] = len(list(backup.backup_protected_items.list(p["vault"], p["resource_group"])))
        nets, accounts = self.wanted()
        missing = []
        if nets:
            network = self.module.client("network")
            for net_id in nets:
                doc = plain(get_or_none(network.virtual_networks.get, *rg_name(net_id)))
                if doc:
                    facts["networks"].append(doc)
                else:
                    missing.append(net_id)
            if facts["networks"]:
                facts["nics"] = [plain(n) for n in network.network_interfaces.list_all()]
        if accounts:
            storage = self.module.client("storage")
            for account_id in accounts:
                doc = plain(get_or_none(storage.storage_accounts.get_properties, *rg_name(account_id)))
                if doc:
                    facts["storage_accounts"].append(doc)
                else:
                    missing.append(account_id)
        if facts["networks"] or facts["storage_accounts"]:
            # A network or a storage account may serve machines of another vault of the subscription too.
            for other in rs.vaults.list_by_subscription_id():
                if (other.name or "").lower() == p["vault"].lower() and rg_name(other.id)[0].lower() == p["resource_group"].lower():
                    continue
                sr = SiteRecovery(self.module, rg_name(other.id)[0], other.name)
                facts["other_items"] += [(other.name, item) for item in sr.list("replication_protected_items")]
        return facts, missing

    # -- deleting ------------------------------------------------------------------------------------------------
    def job(self, group, method, what, *args):
        op = self.sr.start(group, method, *args)
        self.sr.follow(op, what, self.p["wait_timeout"], self.p["poll_interval"], action=what)

    def delete(self, entry):
        kind, arm_id = entry["kind"], entry["id"]
        if kind == "mapping":
            fabric, container = cl.parent_of(arm_id, "replicationFabrics"), cl.parent_of(arm_id, "replicationProtectionContainers")
            self.job("replication_protection_container_mappings", "begin_delete", "remove the policy association %s" % entry["name"],
                     cl.name_of(fabric), cl.name_of(container), cl.name_of(arm_id), MAPPING_REMOVAL)
        elif kind == "policy":
            self.job("replication_policies", "begin_delete", "delete the replication policy %s" % entry["name"], cl.name_of(arm_id))
        elif kind == "registration":
            self.job("replication_fabrics", "begin_delete", "remove the registration of %s" % entry["name"], cl.name_of(arm_id))
        elif kind == "test_network":
            poller = self.module.client("network").virtual_networks.begin_delete(*rg_name(arm_id))
            wait_for_poller(poller, "the delete of the test network %s" % arm_id, self.p["wait_timeout"])
        elif kind == "cache_storage_account":
            self.module.client("storage").storage_accounts.delete(*rg_name(arm_id))
        elif kind == "vault":
            poller = self.module.client("recoveryservices").vaults.begin_delete(*rg_name(arm_id))
            wait_for_poller(poller, "the delete of the vault %s" % arm_id, self.p["wait_timeout"])


def main():
    module = AzureModule(
        vault_spec(
            test_networks=dict(type="list", elements="str", default=[]),
            test_network_resource_group=dict(type="str"),
            cache_storage_accounts=dict(type="list", elements="str", default=[]),
            cache_storage_account_resource_group=dict(type="str"),
            policies=dict(type="bool", default=True),
            remove_registration=dict(type="bool", default=False),
            delete_vault=dict(type="bool", default=False),
            confirm=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1800),
            poll_interval=dict(type="float", default=15),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for value in p["test_networks"] + p["cache_storage_accounts"]:
        if not value or ("/" in value and not (parse_arm_id(value).get("type") and not parse_arm_id(value)["children"])):
            module.fail("%r is neither a name nor the resource id of a virtual network or storage account." % value)
    if not p["confirm"] and not module.check_mode:
        module.fail("Refusing to clean up after the move through vault %s: deleting cannot be undone, so set confirm to true "
                    "(in the role, move_cleanup_confirm: true). Nothing was read or deleted." % p["vault"])

    def body():
        work = Cleanup(module)
        facts, missing = work.gather()
        planned = cl.plan(facts, {"policies": p["policies"], "registration": p["remove_registration"], "vault": p["delete_vault"]})
        before, after = cl.as_diff(planned)
        result = dict(plan=planned["delete"], kept=planned["kept"], missing=missing, deleted=[], connection=module.connection().describe())
        if not planned["delete"]:
            module.exit(False, **result)
        if not module.check_mode:
            for entry in planned["delete"]:
                work.delete(entry)
                result["deleted"].append(entry["id"])
        module.exit(True, before=before, after=after, **result)

    run(module, body, "Clean-up after the move through vault %s" % p["vault"])


if __name__ == "__main__":
    main()
