#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: move_rollback
short_description: Roll back a failover that is not committed - the target VM goes, replication ends, the source runs again
version_added: 0.2.0
description:
  - For a machine that has failed over to Azure but whose failover is not committed (for example because its
    comparison or your checks failed), undo the move and leave the machine ready for a later wave.
  - In this order, each step resumable after an interruption - the target VM the failover created is deleted with the
    network interfaces and managed disks attached to it (nothing else of its resource group is touched); the
    machine's replication is ended (Site Recovery's disable protection, which Azure offers on a failed-over,
    uncommitted item of both the modernized C(InMageRcm) and the classic C(InMageAzureV2) providers); the source VM
    is started again through the source connection.
  - Before the target VM is deleted, its network interfaces and disks are tagged C(azmove-rollback) with the VM's
    id, so that a run interrupted after the VM went still finds and deletes them.
  - With O(state_dir), the machine's C(rollback.json) is written there and its C(comparison.json) removed, so a later
    wave starts clean.
  - Destructive - it deletes the target VM and whatever was written to it since the failover, and replication must
    start again from the beginning (initial replication). It refuses to run without O(confirm=true), before
    anything is read or changed (check mode needs no confirmation).
  - A committed failover cannot be rolled back - the move is final, and the module says so. A machine rolled back
    already (its replication ended after an uncommitted failover, as the vault's job history shows) is reported
    unchanged, once its source runs.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
  - azure-mgmt-compute
  - azure-mgmt-network
  - azure-mgmt-resource
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.site_recovery.BATCH
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  name:
    description:
      - The machine's name in the move (its source VM's name, which names its replicated item), or Site Recovery's
        friendly name of the replicated machine.
      - One of O(name) and O(machines) is required.
    type: str
  computer_name:
    description:
      - The guest's host name, where it differs from O(name) (the inventory's C(azmove_computer_name)). Site Recovery's
        job history knows a machine by the name the appliance discovered; once the replication is gone, this is how a
        re-run finds that the machine was rolled back (or moved).
    type: str
  source_vm_id:
    description:
      - ARM id of the machine's source VM (the inventory's C(azmove_id)), started again at the end of the rollback.
      - Without it the source is not started; the result says so.
    type: str
  source_connection:
    description: The connection (of O(connections)) that reaches O(source_vm_id).
    type: str
    default: source
  confirm:
    description:
      - Must be V(true) - the rollback deletes the target VM and ends replication, which cannot be undone.
      - Not needed in check mode, which changes nothing.
    type: bool
    default: false
  state_dir:
    description:
      - The move's state directory (one directory per machine, see the C(move_state_dir) variable of the playbooks).
        When given, C(<state_dir>/<machine>/rollback.json) records the rollback and the machine's
        C(comparison.json) is removed.
    type: path
  wait_timeout:
    description: Seconds to wait at most for each step (a VM delete, the disable job, the source start).
    type: int
    default: 3600
  poll_interval:
    description: Seconds between two reads of a Site Recovery job when Azure does not say how long to wait.
    type: float
    default: 30
  machines:
    description:
      - Roll back a whole batch of machines in one task, instead of O(name). Each entry is one machine.
    type: list
    elements: dict
    suboptions:
      name:
        description: The machine's name (see O(name)).
        type: str
        required: true
      computer_name:
        description: The guest's host name, where it differs (see O(computer_name)).
        type: str
      source_vm_id:
        description: This machine's source VM (see O(source_vm_id)).
        type: str
notes:
  - Azure offers C(DisableProtection) on an item failed over and not committed (the item's C(allowedOperations) lists
    it, with C(Commit) and C(ChangePit)); the module checks that list before deleting anything.
  - Disabling replication does not delete the VM the failover made, which is why the module deletes it first.
seealso:
  - module: azmove.site_recovery.failover
  - module: azmove.site_recovery.replicated_machine
  - module: azmove.site_recovery.replication_wait
    description: Wait for a wave's initial replication, showing progress.
  - module: azmove.site_recovery.test_failover
    description: Drill the move into an isolated network, then clean it up.
  - module: azmove.site_recovery.moved_vm
    description: After failover, compare the moved VM with its plan and attach what was not carried.
  - module: azmove.site_recovery.source_decommission
    description: Once the move is over, delete the source VM and what it leaves.
  - module: azmove.site_recovery.backup_relocation
    description: Protect the moved VM with Azure Backup in its new region.
  - module: azmove.site_recovery.move_cleanup
    description: Delete what the move created once nothing uses it.
  - name: Run a failover from on-premises to Azure
    description: Microsoft's guide to the step.
    link: https://learn.microsoft.com/azure/site-recovery/site-recovery-failover
"""

EXAMPLES = r"""
- name: Roll back a failed-over machine whose checks failed (before commit)
  azmove.site_recovery.move_rollback:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-win01
    source_vm_id: /subscriptions/0000/resourceGroups/rg-app-gov/providers/Microsoft.Compute/virtualMachines/vm-app-win01
    confirm: true

- name: Roll a whole wave back in one module run, recording it in the state directory
  azmove.site_recovery.move_rollback:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    machines:
      - name: vm-app-win01
        source_vm_id: /subscriptions/0000/resourceGroups/rg-app-gov/providers/Microsoft.Compute/virtualMachines/vm-app-win01
      - name: vm-app-lnx01
        computer_name: app-lnx01
        source_vm_id: /subscriptions/0000/resourceGroups/rg-linux-gov/providers/Microsoft.Compute/virtualMachines/vm-app-lnx01
    state_dir: "{{ playbook_dir }}/move-reports/machines"
    confirm: true
    fail_on_error: false
  register: rolled_back
"""

RETURN = r"""
machine:
  description: The machine after the rollback - C(phase) V(rolled_back) once its replication is gone.
  returned: always
  type: dict
  contains:
    name:
      description: Site Recovery's name of the replicated item.
      type: str
      sample: vm-app-win01
    id:
      description: Its ARM id.
      type: str
    friendly_name:
      description: Site Recovery's friendly name of the machine (modernized - the guest's host name).
      type: str
    provider:
      description: C(InMageRcm) (modernized) or C(InMageAzureV2) (classic).
      type: str
    phase:
      description: Where the machine stands, as in RV(azmove.site_recovery.replicated_machine_info#module:machines[].phase).
      type: str
      sample: protected
    protection_state:
      description: Site Recovery's protection state.
      type: str
    replication_health:
      description: C(Normal), C(Warning) or C(Critical).
      type: str
    health_errors:
      description: Health errors - code, message, possible_causes, recommended_action, level, source, time.
      type: list
      elements: dict
      sample: [{code: "78144", message: No app-consistent recovery point in the last 720 minutes., level: Warning}]
    allowed_operations:
      description: Operations Azure allows on the machine now.
      type: list
      elements: str
    current_job:
      description: The job the machine is busy with (C(scenario) and C(name)), or null.
      type: dict
      sample: {scenario: TestFailover, name: 1e6a2f0c-2a7b-4a8e-9a47-0c1d9b1a9f3e}
    active_location:
      description: C(Primary) before failover, C(Recovery) after.
      type: str
    test_failover_state:
      description: State of a test failover.
      type: str
    policy:
      description: Replication policy name.
      type: str
    configuration_server:
      description: Friendly name of the source fabric (configuration server or appliance fabric).
      type: str
    progress_percent:
      description: Initial replication (or resynchronization) progress.
      type: int
    rpo_seconds:
      description: Current recovery point objective in seconds.
      type: int
    replication:
      description: Provider details - progress_percent, protection_stage, rpo_seconds, last_heartbeat, agent_version, ip_address, os_type, ...
      type: dict
      sample: {progress_percent: 100, protection_stage: DifferentialSync, rpo_seconds: 31, agent_version: 9.62.0.0, ip_address: 10.10.1.4}
    target:
      description: Target VM name, size, network, resource group, cache storage, test network, zone, tags.
      type: dict
      sample: {vm_name: vm-app-win01, vm_size: Standard_D4s_v5, network_id: /subscriptions/.../virtualNetworks/vnet-landing-eastus,
               resource_group_id: /subscriptions/.../resourceGroups/rg-landing-eastus}
    last_failover_time:
      description: Site Recovery's C(lastSuccessfulFailoverTime).
      type: str
    last_test_failover_time:
      description: Site Recovery's C(lastSuccessfulTestFailoverTime).
      type: str
removed:
  description: What was (or, in check mode, would be) deleted of the target - the VM, its network interfaces and disks.
  returned: when something of the target was deleted
  type: dict
  sample:
    vm: /subscriptions/0000/resourceGroups/rg-landing-eastus/providers/Microsoft.Compute/virtualMachines/vm-app-win01
    nics: [/subscriptions/0000/resourceGroups/rg-landing-eastus/providers/Microsoft.Network/networkInterfaces/vm-app-win01-nic]
    disks: [/subscriptions/0000/resourceGroups/RG-LANDING-EASTUS/providers/Microsoft.Compute/disks/vm-app-win01_OsDisk_1_ab12]
replication_ended:
  description: Whether this run ended the machine's replication.
  returned: always
  type: bool
source:
  description: The source VM - its id and power state after the rollback, and whether this run started it.
  returned: always
  type: dict
  sample: {vm_id: "/subscriptions/.../virtualMachines/vm-app-win01", power_state: running, started: true}
rolled_back_already:
  description: True when the machine had been rolled back by an earlier run and nothing was left to do.
  returned: always
  type: bool
state_file:
  description: The path of the machine's C(rollback.json), with O(state_dir).
  returned: with O(state_dir)
  type: str
job:
  description: The disable-replication job started or followed, with its tasks.
  returned: when a job was started or followed
  type: dict
  contains:
    id:
      description: The job's ARM id.
      type: str
    name:
      description: The job's name (what RV(azmove.site_recovery.replication_job_info#module:jobs[].name) lists).
      type: str
      sample: 1e6a2f0c-2a7b-4a8e-9a47-0c1d9b1a9f3e
    scenario:
      description: What the job does, for example C(EnableDr), C(TestFailover), C(UnplannedFailover), C(DisableDr).
      type: str
    friendly_name:
      description: Azure's display name of the job.
      type: str
    state:
      description: C(InProgress), C(Succeeded), C(Failed), C(Cancelled), C(Suspended), ...
      type: str
    state_description:
      description: Azure's words for the state.
      type: str
    target_object_id:
      description: Id of what the job works on.
      type: str
    target_object_name:
      description: The machine or object the job works on.
      type: str
    start_time:
      description: Start (UTC).
      type: str
    end_time:
      description: End (UTC), or null while it runs.
      type: str
    allowed_actions:
      description: What Azure allows on the job now (for example C(Cancel), C(Restart)).
      type: list
      elements: str
    tasks:
      description: Its tasks in order - name, friendly_name, state, start_time, end_time.
      type: list
      elements: dict
      sample: [{name: PreFailoverValidation, friendly_name: Prerequisites check for test failover, state: Succeeded,
                start_time: "2026-05-04T09:30:02Z", end_time: "2026-05-04T09:30:40Z"}]
    errors:
      description:
        - Errors - code, message, possible_causes, recommended_action, the provider's (provider_error_code, ...),
          task_id and level.
      type: list
      elements: dict
      sample: [{code: "95107", message: Protection couldn't be enabled for the virtual machine., level: Error,
                recommended_action: Use an administrator account.}]
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
machines:
  description:
    - With O(machines), each machine's result by name - what the task returns for one machine, plus C(changed),
      C(failed), and for a failed machine C(msg) and C(error) (Azure's code, message and job id).
  returned: with O(machines)
  type: dict
  sample:
    vm-app-win01: {changed: true, failed: false, machine: {name: vm-app-win01, phase: rolled_back}, replication_ended: true}
    vm-app-lnx01: {changed: false, failed: true, msg: "...", error: {code: "539", message: "...", job_id: 3f1c2b7e-0a4d-4d0e-9b7a-2f6c1d8e5a90}}
failed_machines:
  description: With O(machines), the names of the machines that failed.
  returned: with O(machines)
  type: list
  elements: str
"""

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import Operation, group_and_name, props, resource_id_problem, SiteRecovery, vault_spec
from ansible_collections.azmove.site_recovery.plugins.module_utils._batch import run_module, shared
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none
from ansible_collections.azmove.site_recovery.plugins.module_utils._lifecycle import (
    COMMIT_SCENARIOS,
    DONE_STATES,
    Step,
    StepRefused,
    committed_earlier,
    find_item,
    item_path,
    refuse,
    reread,
    running,
    vm_facts,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map as machine_map
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import run
from ansible_collections.azmove.site_recovery.plugins.module_utils import _move_record as move_record
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import item_summary

# Marks the NICs and disks of a target VM about to be deleted: a run interrupted after the VM went finds them by it.
ROLLBACK_TAG = "azmove-rollback"
FAILOVER_SCENARIOS = ("unplannedfailover", "failover", "plannedfailover")
DISABLE_SCENARIOS = ("disabledr", "disableprotection")
COMMITTED_REFUSAL = (
    "Cannot roll back %s: its failover is committed, so the move is final and Azure no longer offers to undo it. The "
    "machine runs in Azure now; to bring it back, fail it back with a reprotect where the provider offers one, or move "
    "it back as a new move.")


def rollback_evidence(jobs, names):
    """The disable-replication job (as a dict of name, time) that ended a machine's uncommitted failover, from the
    vault's job history, or None. ``names``: the names the jobs may know the machine by (lower-cased)."""
    events = {"failover": None, "commit": None, "disable": None}
    for job in jobs:
        p = props(job)
        if (p.get("targetObjectName") or "").lower() not in names or (p.get("state") or "").lower() not in DONE_STATES:
            continue
        scenario = (p.get("scenarioName") or "").lower()
        kind = "failover" if scenario in FAILOVER_SCENARIOS else "commit" if scenario in COMMIT_SCENARIOS else \
            "disable" if scenario in DISABLE_SCENARIOS else None
        when = p.get("endTime") or p.get("startTime") or ""
        if kind and (events[kind] is None or when > events[kind]["time"]):
            events[kind] = {"name": job.get("name"), "time": when}
    failover, commit, disable = events["failover"], events["commit"], events["disable"]
    if not failover or not disable or disable["time"] < failover["time"]:
        return None
    if commit and commit["time"] >= failover["time"]:
        return None
    return disable


def target_vm_id(summary):
    target = summary["target"]
    if target.get("vm_id"):
        return target["vm_id"]
    if target.get("resource_group_id") and target.get("vm_name"):
        return "%s/providers/Microsoft.Compute/virtualMachines/%s" % (target["resource_group_id"], target["vm_name"])
    return None


def parts_of(arm_id):
    return group_and_name(arm_id)


class Rollback(Step):
    def __init__(self, module, sr):
        super().__init__(module, sr)
        self.p.setdefault("wait", True)  # every step needs the one before it to have ended
        self.result.update(replication_ended=False, rolled_back_already=False)

    def wait(self, poller, what):
        poller.wait(timeout=self.p["wait_timeout"])
        if not poller.done():
            self.module.fail("Timed out after %s s waiting for %s (last status: %s); run the task again to finish."
                             % (self.p["wait_timeout"], what, poller.status()), **self.result)
        poller.result()

    # -- the target VM and what it was made with ------------------------------------------------------------------
    def leftovers(self, vm_id):
        """NICs and disks tagged for this VM by an earlier, interrupted run (the VM is gone already)."""
        group, _unused = parts_of(vm_id)
        marked = vm_id.lower()
        nics = [n.id for n in self.module.client("network").network_interfaces.list(group)
                if ((n.tags or {}).get(ROLLBACK_TAG) or "").lower() == marked]
        disks = [d.id for d in self.module.client("compute").disks.list_by_resource_group(group)
                 if ((d.tags or {}).get(ROLLBACK_TAG) or "").lower() == marked]
        return nics, disks

    def remove_target(self, vm_id):
        compute = self.module.client("compute")
        group, name = parts_of(vm_id)
        vm = get_or_none(compute.virtual_machines.get, group, name)
        if vm is None:
            nics, disks = self.leftovers(vm_id)
        else:
            nics = [ref.id for ref in (vm.network_profile.network_interfaces if vm.network_profile else None) or []]
            storage = vm.storage_profile
            disks = [d.managed_disk.id for d in [storage.os_disk] + list(storage.data_disks or [])
                     if d is not None and d.managed_disk is not None and d.managed_disk.id] if storage else []
        if vm is None and not nics and not disks:
            return
        self.changed = True
        self.result["removed"] = {"vm": vm.id if vm is not None else None, "nics": nics, "disks": disks}
        if self.module.check_mode:
            return
        if vm is not None:
            self.mark(vm.id, nics + disks)
            self.wait(compute.virtual_machines.begin_delete(group, name), "the delete of the target VM %s" % name)
        network = self.module.client("network")
        for nic in nics:  # NICs first: a disk is freed by its VM, a NIC may hold nothing else
            self.wait(network.network_interfaces.begin_delete(*parts_of(nic)), "the delete of NIC %s" % nic)
        for disk in disks:
            self.wait(compute.disks.begin_delete(*parts_of(disk)), "the delete of disk %s" % disk)

    def mark(self, vm_id, resource_ids):
        from azure.mgmt.resource.resources.models import Tags, TagsPatchResource  # pylint: disable=import-outside-toplevel

        tags = self.module.client("resource").tags
        for rid in resource_ids:
            current = get_or_none(tags.get_at_scope, rid)
            if current is not None and ((current.properties.tags or {}).get(ROLLBACK_TAG) or "").lower() == vm_id.lower():
                continue
            tags.begin_update_at_scope(rid, TagsPatchResource(operation="Merge", properties=Tags(tags={ROLLBACK_TAG: vm_id}))).result()

    # -- replication ------------------------------------------------------------------------------------------------
    def end_replication(self, item):
        self.changed = True
        self.result["replication_ended"] = True
        if self.module.check_mode:
            return

        def recover():  # the connection dropped: did the disable start anyway? The item is going, or gone.
            fresh = reread(self.sr, item)
            if fresh is None:
                return Operation(None)
            return running(self.sr, fresh)[1]

        # DisableProtectionInput: reason NotSpecified (not MigrationComplete: the machine did not move).
        op = self.sr.start("replication_protected_items", "begin_delete", *item_path(item),
                           {"properties": {"disableProtectionReason": "NotSpecified"}}, recover=recover)
        self.follow(op, "disable replication of %s (rollback)" % self.p["name"])

    # -- the source -------------------------------------------------------------------------------------------------
    def start_source(self):
        vm_id = self.p["source_vm_id"]
        if not vm_id:
            self.result["source"] = {"vm_id": None, "power_state": None, "started": False}
            self.module.warn("No source_vm_id for %s: its source VM was not started; start it yourself." % self.p["name"])
            return
        connection = self.p["source_connection"]
        facts = vm_facts(self.module, vm_id, connection)
        if facts is None:
            self.module.fail("The source VM %s of %s does not exist: nothing to start. The target side is rolled back."
                             % (vm_id, self.p["name"]), **self.result)
        source = {"vm_id": facts["id"], "power_state": facts["power_state"], "started": False}
        self.result["source"] = source
        if facts["power_state"] == "running":
            return
        self.changed = True
        source.update(started=True, power_state="running")
        if self.module.check_mode:
            return
        group, name = parts_of(vm_id)
        self.wait(self.module.client("compute", connection).virtual_machines.begin_start(group, name),
                  "the start of the source VM %s" % name)

    # -- the whole rollback ----------------------------------------------------------------------------------------
    def roll_back(self, item):
        summary = item_summary(item)
        scenario, op = running(self.sr, item)
        if op is not None and (scenario or "").lower() in DISABLE_SCENARIOS:  # an earlier run's disable: follow it
            self.follow(op, "disable replication of %s (already running)" % self.p["name"])
            self.result["replication_ended"] = True
            self.changed = True
            return None
        if op is not None:
            refuse(self.p["name"], "roll back", dict(summary, phase="busy"))
        if summary["phase"] in ("committing", "committed", "migrated"):
            raise StepRefused(COMMITTED_REFUSAL % self.p["name"])
        if summary["phase"] != "failed_over":
            raise StepRefused(
                "Cannot roll back %s: it has not failed over (it is %s). A rollback undoes a failover that is not "
                "committed; a machine that only replicates needs none (stop its replication with "
                "azmove.site_recovery.replicated_machine state absent, if that is what you want)."
                % (self.p["name"], summary["phase"].replace("_", " ")))
        allowed = summary["allowed_operations"]
        if allowed and "DisableProtection" not in allowed:
            raise StepRefused("Cannot roll back %s: Azure does not allow disabling its replication now (allowed "
                              "operations: %s). Nothing was deleted." % (self.p["name"], ", ".join(allowed)))
        vm_id = target_vm_id(summary)
        if vm_id:
            self.remove_target(vm_id)
        else:
            self.module.warn("Site Recovery does not name the target VM of %s: no target VM was deleted." % self.p["name"])
        self.result["target_vm_id"] = vm_id
        self.end_replication(item)
        return vm_id

    def record(self, vm_id, evidence=None):
        """rollback.json (written once) and no comparison.json, with state_dir."""
        state_dir = self.p["state_dir"]
        if not state_dir:
            return
        machine = self.p["name"]
        self.result["state_file"] = machine_map.state_path(state_dir, machine, "rollback")
        view = getattr(self.module, "batch", self.module)  # write_state wants the AnsibleModule's owner
        if machine_map.remove_state(view, state_dir, machine, "comparison"):
            self.result["comparison_removed"] = True
        earlier = machine_map.read_state(state_dir, machine, "rollback")
        if earlier is not None and not self.changed:
            return
        found = {"target_vm_id": vm_id, "removed": self.result.get("removed"),
                 "replication_job": (self.result.get("job") or {}).get("name") or (evidence or {}).get("name")}
        # A resumed run knows less than the one it finishes (the item is gone): keep what that one recorded.
        data = dict(earlier or {}, **{k: v for k, v in found.items() if v})
        data.update(machine=machine, rolled_back_at=machine_map.now(), source=self.result.get("source"),
                    replication_ended=bool(self.result["replication_ended"] or evidence or data.get("replication_ended")))
        machine_map.write_state(view, state_dir, machine, "rollback", data)


PER_MACHINE = ("name", "computer_name", "source_vm_id")


def check(module):
    """The machine's input, checked before anything is read or sent."""
    p = module.params
    if not (p["name"] or "").strip():
        module.fail("name must not be empty.")
    problem = resource_id_problem("source_vm_id", p["source_vm_id"], "Microsoft.Compute/virtualMachines", name_allowed=False)
    if problem:
        module.fail(problem)
    if p["state_dir"]:
        try:
            machine_map.state_path(p["state_dir"], p["name"], "rollback")
        except machine_map.MappingError as exc:
            module.fail(str(exc))
    if not p["confirm"] and not module.check_mode:
        module.fail("Refusing to roll back %s: it deletes the target VM and everything written to it since the failover, "
                    "and replication must start again from the beginning, so set confirm to true (in the playbook, "
                    "-e move_rollback_confirm=true). Nothing was read or changed." % p["name"])


def act(module):
    p = module.params

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        step = Rollback(module, sr)
        names = tuple(n.lower() for n in (p["name"], p["computer_name"]) if n)
        item = find_item(sr, p["name"])
        before = {"phase": item_summary(item)["phase"] if item else None}
        try:
            vm_id = None
            evidence = None
            if item is not None:
                vm_id = step.roll_back(item)
            else:
                if move_record.moved_to(module, p["source_connection"], p["source_vm_id"]) or committed_earlier(sr, *names):
                    raise StepRefused(COMMITTED_REFUSAL % p["name"])
                jobs = shared(module, ("jobs", sr.resource_group.lower(), sr.vault.lower()), lambda: sr.list("replication_jobs"))
                evidence = rollback_evidence(jobs, names)
                if evidence is None:
                    raise StepRefused("Cannot roll back %s: it does not replicate in vault %s, and the vault's job history "
                                      "shows no failover of it to undo." % (p["name"], p["vault"]))
            step.start_source()
            step.record(vm_id, evidence)
        except StepRefused as exc:
            module.fail(str(exc), **step.result)
        step.result["rolled_back_already"] = item is None and not step.changed
        source = step.result.get("source") or {}
        after = {"phase": "rolled_back", "target_vm": None, "source_power_state": source.get("power_state")}
        before.update(target_vm=vm_id or (step.result.get("removed") or {}).get("vm"),
                      source_power_state="stopped" if source.get("started") else source.get("power_state"))
        module.exit(step.changed, before=before, after=after, machine={"friendly_name": p["name"], "phase": "rolled_back"},
                    connection=module.connection().describe(), **step.result)

    run(module, body, "Rollback of %s" % p["name"])


def main():
    run_module(
        vault_spec(
            name=dict(type="str"),
            computer_name=dict(type="str"),
            source_vm_id=dict(type="str"),
            source_connection=dict(type="str", default="source"),
            confirm=dict(type="bool", default=False),
            state_dir=dict(type="path"),
            wait_timeout=dict(type="int", default=3600),
            poll_interval=dict(type="float", default=30),
        ),
        PER_MACHINE,
        check,
        act,
    )


if __name__ == "__main__":
    main()
