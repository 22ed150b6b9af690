#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: move_prerequisites
short_description: Check everything in the target that would block a move, and list it all at once
version_added: 0.1.0
description:
  - Checks the target side of a move before anything is changed, and returns a list of findings, each with its
    severity (V(blocker), V(warning) or V(info)), the resource, what is wrong, and what to do about it.
  - "The checks: the caller's effective permissions on the target resource group and on the vault, compared with
    the actions Site Recovery needs (listed in the collection's C(docs/permissions.md)); the availability of each
    planned VM size in the target region, with the closest substitute where it is not offered, since Site
    Recovery picks I(the same size or the closest possible size); the compute quota per VM family and the
    regional vCPU quota against the sizes planned; the vault in the target region and not in the source region;
    the cache storage account and the target network in the vault's region; a test network apart from the
    production one; the recovery point retention against the provider's limit for the chosen storage; the
    source and target regions not the same, and the target region one that the target cloud offers the subscription
    (its C(subscriptions/<id>/locations) list); the target resource group and the vault's resource group existing
    (no playbook of the collection creates them, and Azure refuses a failover or a vault in a missing one)."
  - With O(fail_on_blockers=true) (the default) a run that finds blockers fails, listing every one of them with its
    fix in one message, instead of stopping at the first.
  - Only reads. The caller's permissions come from Azure's C(Microsoft.Authorization/permissions) API, which
    reflects role assignments but not deny assignments.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-authorization >= 4
  - azure-mgmt-compute >= 33
  - azure-mgmt-network >= 27
  - azure-mgmt-core >= 1.4
  - azure-mgmt-storage >= 21
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.INFO_MODULE
options:
  target_location:
    description: The region the machines move to, for example V(eastus).
    type: str
    required: true
  source_location:
    description:
      - The region the machines move from, for example V(usgovvirginia). Used to refuse a vault in the source
        region and a move within one region.
    type: str
  resource_group:
    description: The target resource group, where the failed-over VMs are created. Permissions are checked on it.
    type: str
    required: true
  vault:
    description:
      - The Recovery Services vault of the move. When it does not exist yet, the findings say it will be created
        in O(target_location) and the vault permissions are checked on O(vault_resource_group).
    type: str
  vault_resource_group:
    description: The vault's resource group. Defaults to O(resource_group).
    type: str
  machines:
    description:
      - The machines of the wave and the sizes planned for them, usually the inventory's host variables.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The machine's name.
        type: str
        required: true
      size:
        description: Its size in the source, for example V(Standard_D4s_v3).
        type: str
      target_size:
        description: The size planned in the target; defaults to O(machines[].size).
        type: str
      vcpus:
        description: Its vCPUs, used to find a substitute when the size is not listed in the target at all.
        type: int
      memory_gb:
        description: Its memory in GB, used like O(machines[].vcpus).
        type: float
  apply_closest_size:
    description:
      - Whether the closest offered size is applied where a planned size is not offered (as the playbooks' machine
        mapping does, see M(azmove.site_recovery.machine_mapping)). Then such a size is a warning that names the size
        applied, not a blocker; a size with no offered substitute stays a blocker.
    type: bool
    default: false
  size_setting:
    description:
      - How a machine's size is set, as the fix of a size finding names it - this module's V(target_size) by default;
        the prerequisites role names the host variable C(move_target_vm_size).
    type: str
    default: target_size
  storage_account:
    description: The cache (log) storage account of the replication, by name or resource id.
    type: str
  storage_account_resource_group:
    description: Its resource group when given by name. Defaults to O(resource_group).
    type: str
  storage_type:
    description: The storage the replicated disks use; premium needs a premium account and limits classic retention.
    type: str
    choices: [standard, premium]
    default: standard
  target_network:
    description: The production virtual network in the target, by name or resource id.
    type: str
  target_network_resource_group:
    description: Its resource group when given by name. Defaults to O(resource_group).
    type: str
  target_subnet:
    description: The subnet of O(target_network) the machines go to.
    type: str
  test_network:
    description: The virtual network for test failovers, by name or resource id.
    type: str
  test_network_resource_group:
    description: Its resource group when given by name. Defaults to O(resource_group).
    type: str
  provider:
    description: The replication provider whose retention limits apply; see M(azmove.site_recovery.replication_policy).
    type: str
    choices: [modernized, classic]
    default: modernized
  retention_hours:
    description: The recovery point retention planned for the replication policy. Not checked when omitted.
    type: float
  checks:
    description: Run only these checks.
    type: list
    elements: str
    choices: [resource_groups, permissions, regions, vault_region, vm_size, quota, storage, target_network, test_network,
              retention]
  fail_on_blockers:
    description: Fail when there is at least one blocker, listing all of them. With V(false), only report.
    type: bool
    default: true
notes:
  - Source-side prerequisites (the push-install account on each machine, the appliance or configuration server's
    clock and outbound URLs) are prepared and checked by the roles that set those hosts up.
seealso:
  - module: azmove.site_recovery.source_vm_info
  - module: azmove.site_recovery.replication_policy
"""

EXAMPLES = r"""
# In a play over the wave's hosts from the azure_vms inventory (host variables prefixed azmove_).
- name: The wave's machines and their sizes
  ansible.builtin.set_fact:
    wave_machines: >-
      {{ wave_machines | default([]) + [{'name': hostvars[item].azmove_name, 'size': hostvars[item].azmove_size,
         'vcpus': hostvars[item].azmove_vcpus, 'memory_gb': hostvars[item].azmove_memory_gb}] }}
  loop: "{{ ansible_play_hosts }}"
  run_once: true

- name: Check the target before the first wave
  azmove.site_recovery.move_prerequisites:
    use_connection: target
    source_location: usgovvirginia
    target_location: eastus
    resource_group: rg-move-target
    vault: rsv-move-eastus
    storage_account: stmovecacheeastus
    target_network: vnet-landing-eastus
    target_subnet: snet-app
    test_network: vnet-test-eastus
    retention_hours: 72
    machines: "{{ wave_machines }}"
  run_once: true
  delegate_to: localhost

- name: The same, from plain data, only reporting
  azmove.site_recovery.move_prerequisites:
    use_connection: target
    target_location: eastus
    resource_group: rg-move-target
    machines:
      - {name: vm-app-win01, size: Standard_D4s_v3}
      - {name: vm-app-lnx01, size: Standard_B2ms, target_size: Standard_D2s_v5}
    fail_on_blockers: false
  register: readiness

- name: Show the blockers
  ansible.builtin.debug:
    msg: "{{ readiness.findings | selectattr('severity', 'eq', 'blocker') | map(attribute='message') }}"
"""

RETURN = r"""
passed:
  description: True when nothing blocks the move.
  returned: always
  type: bool
blockers:
  description: The number of findings with severity V(blocker).
  returned: always
  type: int
findings:
  description: What the checks found, blockers first.
  returned: always
  type: list
  elements: dict
  contains:
    check:
      description: The check that found it (one of O(checks)).
      type: str
      sample: quota
    severity:
      description: V(blocker) (the move would fail), V(warning) (it would work but should not be left so) or V(info).
      type: str
      sample: blocker
    resource:
      description: The resource id or name concerned.
      type: str
      sample: Standard DSv5 Family vCPUs in eastus
    message:
      description: What is wrong.
      type: str
      sample: The move needs 8 vCPUs of Standard DSv5 Family vCPUs in eastus; 0 of 4 are in use, so only 4 are free.
    fix:
      description: What to do about it.
      type: str
      sample: Request a quota increase of Standard DSv5 Family vCPUs in eastus to at least 8 vCPUs.
    missing_actions:
      description: For a permissions finding, the actions the caller lacks.
      type: list
      elements: str
      returned: when check is permissions
checks:
  description: Each check with its status, V(passed), V(failed) or V(skipped).
  returned: always
  type: list
  elements: dict
  contains:
    check:
      description: The check's name.
      type: str
    status:
      description: V(passed), V(failed) or V(skipped).
      type: str
    findings:
      description: How many findings it gave.
      type: int
size_plan:
  description: The size each machine gets in the target; RV(size_plan[].substitute) is set when the planned size is not offered.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The machine.
      type: str
    size:
      description: The size planned.
      type: str
    substitute:
      description: The closest size offered in the target region, when the planned one is not.
      type: str
    vcpus:
      description: The vCPUs counted against quota.
      type: int
    family:
      description: The quota family counted.
      type: str
"""

import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.azmove.site_recovery.plugins.module_utils import _prerequisites as pre
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import group_and_name, parse_arm_id
from ansible_collections.azmove.site_recovery.plugins.module_utils._discovery import rest, size_catalog
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import AzureFailure, get_or_none, translate
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._providers import InputError, provider

ALL_CHECKS = ["resource_groups", "permissions", "regions", "vault_region", "vm_size", "quota", "storage", "target_network", "test_network", "retention"]


def _split(value, default_rg):
    """(resource group, name) of a name or a resource id."""
    group, name = group_and_name(value)
    if group and name:
        return group, parse_arm_id(value)["resource_name"]
    return default_rg, value


class Checks:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.findings = []
        self.ran = []
        # Resource groups found missing by the resource_groups check: nothing is read in them afterwards (Azure would
        # answer ResourceGroupNotFound, which is an error, not an absent resource).
        self.missing_groups = set()

    def client(self, kind):
        return self.module.client(kind)

    def guarded(self, name, fn):
        """Run one check; an Azure error that stops it (for example no read permission) is itself a finding."""
        if not self.wanted(name):
            return self.skip(name)
        self.ran.append((name, True))
        try:
            return fn()
        except Exception as exc:  # pylint: disable=broad-except  # Azure errors become findings, others re-raised
            from azure.core.exceptions import AzureError  # pylint: disable=import-outside-toplevel

            if not isinstance(exc, (AzureFailure, AzureError)):
                raise
            failure = translate(exc)
            denied = failure.code == "AuthorizationFailed"
            self.findings.append(pre.finding(
                name, pre.BLOCKER, self.p["resource_group"], "The %s check could not read what it needs: %s" % (name, failure.summary()),
                "Give the caller read access (Reader) on the target subscription." if denied else "Resolve the error, then check again."))
        return None

    # -- reads --------------------------------------------------------------------------------------------
    def vault(self):
        if not self.p["vault"] or self.missing(self.vault_rg):
            return None
        vault = get_or_none(self.client("recoveryservices").vaults.get, self.vault_rg, self.p["vault"])
        return rest(vault) if vault is not None else None

    @property
    def vault_rg(self):
        return self.p["vault_resource_group"] or self.p["resource_group"]

    def missing(self, rg):
        return (rg or "").lower() in self.missing_groups

    def network(self, value, rg):
        rg, name = _split(value, rg or self.p["resource_group"])
        if self.missing(rg):
            return None
        vnet = get_or_none(self.client("network").virtual_networks.get, rg, name)
        if vnet is None:
            return None
        body = rest(vnet)
        # Subnets come back nested under properties in the REST shape.
        body["subnets"] = [dict(s, name=s.get("name")) for s in (body.get("properties") or {}).get("subnets") or []]
        return body

    # -- checks ---------------------------------------------------------------------------------------------
    def resource_groups(self):
        """The target resource group and the vault's must exist: no playbook creates them."""
        conn = self.module.connection()
        wanted = [("target resource group", self.p["resource_group"])]
        if self.p["vault"] and self.vault_rg.lower() != self.p["resource_group"].lower():
            wanted.append(("vault's resource group", self.vault_rg))
        for what, rg in wanted:
            if conn.resource_group(rg) is None:
                self.missing_groups.add(rg.lower())
                self.findings.append(pre.finding(*pre.missing_group(what, rg, self.p["target_location"], self.p["vault"])))

    def permissions(self):
        authz = self.client("authorization")
        rg = self.p["resource_group"]
        perms = None if self.missing(rg) else get_or_none(lambda: [rest(x) for x in authz.permissions.list_for_resource_group(rg)])
        if perms is None:
            self.findings.append(pre.finding(
                "permissions", pre.INFO, rg, "The target resource group %s does not exist, so the permissions "
                "in it cannot be read." % rg, "Create it first, then run the check again."))
        else:
            self.findings.extend(pre.check_permissions("resource_group", "resource group " + rg, perms))
        if not self.p["vault"] or self.missing(self.vault_rg):
            return
        vault_perms = get_or_none(lambda: [rest(x) for x in authz.permissions.list_for_resource(
            self.vault_rg, "Microsoft.RecoveryServices", "", "vaults", self.p["vault"])])
        scope = "vault " + self.p["vault"]
        if vault_perms is None:  # no vault yet: what its resource group grants is what the new vault will get
            vault_perms = get_or_none(lambda: [rest(x) for x in authz.permissions.list_for_resource_group(self.vault_rg)])
            scope = "resource group %s (for the vault %s)" % (self.vault_rg, self.p["vault"])
        if vault_perms is not None:
            self.findings.extend(pre.check_permissions("vault", scope, vault_perms))

    def regions(self):
        self.findings.extend(pre.check_regions(self.p["source_location"], self.p["target_location"], None))
        problem = self.module.location_problem("target_location", self.p["target_location"])
        if problem:
            self.findings.append(pre.finding("regions", pre.BLOCKER, self.p["target_location"], problem,
                                             "Set target_location to one of the regions listed."))

    def vault_region(self):
        """Reads the vault and checks where it is; returns it (None when it does not exist yet)."""
        vault = self.vault()
        if vault is None:
            self.findings.append(pre.finding("vault_region", pre.INFO, self.p["vault"],
                                             "The vault %s does not exist yet; create it in %s."
                                             % (self.p["vault"], self.p["target_location"]), None))
            return None
        self.findings.extend([f for f in pre.check_regions(self.p["source_location"], self.p["target_location"], vault)
                              if f["check"] == "vault_region"])
        return vault

    def sizes(self, record=True):
        """The size plan of the machines; with `record`, its findings (sizes not offered) are kept."""
        location = self.p["target_location"]
        skus = self.client("compute").resource_skus.list(filter="location eq '%s'" % location.lower().replace(" ", ""))
        plan, found = pre.plan_sizes(self.p["machines"], size_catalog(skus), location, self.p["apply_closest_size"],
                                     self.p["size_setting"])
        if record:
            self.findings.extend(found)
        return plan

    def quota(self, plan):
        location = self.p["target_location"]
        usages = [pre.usage_entry(rest(u)) for u in self.client("compute").usage.list(location.lower().replace(" ", ""))]
        self.findings.extend(pre.check_quota(plan or [], usages, location))

    def storage(self, region):
        if not self.p["storage_account"]:
            return
        rg, name = _split(self.p["storage_account"], self.p["storage_account_resource_group"] or self.p["resource_group"])
        account = None if self.missing(rg) else get_or_none(self.client("storage").storage_accounts.get_properties, rg, name)
        account = rest(account) if account is not None else None
        self.findings.extend(pre.check_in_region(
            "storage", "storage account", account, name, region,
            "Create a general-purpose v2 storage account %s in %s (resource group %s) for the replication cache." % (name, region, rg)))
        self.findings.extend(pre.check_storage_kind(account, self.p["storage_type"]))

    def target_network(self, region):
        if not self.p["target_network"]:
            return None
        vnet = self.network(self.p["target_network"], self.p["target_network_resource_group"])
        self.findings.extend(pre.check_in_region(
            "target_network", "virtual network", vnet, self.p["target_network"], region,
            "Create the target network in %s (the target_network role recreates the source layout)." % region))
        self.findings.extend(pre.check_subnet(vnet, self.p["target_subnet"]))
        return vnet

    def test_network(self, region, target_vnet):
        if not self.p["test_network"]:
            return
        vnet = self.network(self.p["test_network"], self.p["test_network_resource_group"])
        found = pre.check_in_region("test_network", "virtual network", vnet, self.p["test_network"], region,
                                    "Create a separate test network in %s (the target_network role does)." % region)
        self.findings.extend(found)
        self.findings.extend(pre.check_test_network(target_vnet, vnet))

    def retention(self):
        if self.p["retention_hours"] is None:
            return
        try:
            provider(self.p["provider"]).policy_settings(
                {"retention_hours": self.p["retention_hours"], "target_storage": self.p["storage_type"]})
        except InputError as exc:
            self.findings.append(pre.finding("retention", pre.BLOCKER, "replication policy", str(exc),
                                             "Lower retention_hours to the provider's limit."))

    def wanted(self, name):
        return not self.p["checks"] or name in self.p["checks"]

    def all(self):
        self.guarded("resource_groups", self.resource_groups)
        vault = self.guarded("vault_region", self.vault_region) if self.p["vault"] else self.skip("vault_region")
        region = vault.get("location") if vault else self.p["target_location"]
        self.guarded("permissions", self.permissions)
        self.guarded("regions", self.regions)
        plan = None
        if self.p["machines"]:
            plan = self.guarded("vm_size", self.sizes)
            # The quota check needs the plan even when the size check is not asked for.
            self.guarded("quota", lambda: self.quota(plan if plan is not None else self.sizes(record=False)))
        else:
            self.skip("vm_size")
            self.skip("quota")
        self.guarded("storage", lambda: self.storage(region))
        target_vnet = self.guarded("target_network", lambda: self.target_network(region))
        self.guarded("test_network", lambda: self.test_network(region, target_vnet))
        self.guarded("retention", self.retention)
        return plan or []

    def skip(self, name):
        self.ran.append((name, False))


def main():
    module = AzureModule(
        argument_spec=dict(
            target_location=dict(type="str", required=True),
            source_location=dict(type="str"),
            resource_group=dict(type="str", required=True),
            vault=dict(type="str"),
            vault_resource_group=dict(type="str"),
            machines=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                size=dict(type="str"),
                target_size=dict(type="str"),
                vcpus=dict(type="int"),
                memory_gb=dict(type="float"),
            )),
            storage_account=dict(type="str"),
            storage_account_resource_group=dict(type="str"),
            storage_type=dict(type="str", choices=["standard", "premium"], default="standard"),
            target_network=dict(type="str"),
            target_network_resource_group=dict(type="str"),
            target_subnet=dict(type="str"),
            test_network=dict(type="str"),
            test_network_resource_group=dict(type="str"),
            provider=dict(type="str", choices=["modernized", "classic"], default="modernized"),
            retention_hours=dict(type="float"),
            checks=dict(type="list", elements="str", choices=ALL_CHECKS),
            fail_on_blockers=dict(type="bool", default=True),
            apply_closest_size=dict(type="bool", default=False),
            size_setting=dict(type="str", default="target_size"),
        ),
    )
    p = module.params
    unsized = [m["name"] for m in p["machines"] if not (m.get("target_size") or m.get("size"))]
    if unsized:
        module.fail("Each machine needs a size or a target_size; these have neither: %s." % ", ".join(unsized))

    def body():
        checks = Checks(module)
        try:
            plan = checks.all()
        except ImportError:
            module.module.fail_json(msg=missing_required_lib("azure-mgmt-authorization and azure-mgmt-storage"),
                                    exception=traceback.format_exc())
        order = {pre.BLOCKER: 0, pre.WARNING: 1, pre.INFO: 2}
        findings = sorted(checks.findings, key=lambda f: order[f["severity"]])
        blockers = [f for f in findings if f["severity"] == pre.BLOCKER]
        result = dict(passed=not blockers, blockers=len(blockers), findings=findings,
                      checks=pre.summary(findings, checks.ran), size_plan=plan)
        if blockers and p["fail_on_blockers"]:
            module.fail(pre.failure_message(blockers), **result)
        module.exit(False, **result)

    run(module, body, action="move_prerequisites")


if __name__ == "__main__":
    main()
