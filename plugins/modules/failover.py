#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: failover
short_description: Fail a replicated machine over to Azure (the move) and commit it
version_added: 0.1.0
description:
  - O(state=failed_over) runs the unplanned failover of a protected machine - the move itself - from the recovery
    point you choose (default V(latest)), shutting the source machine down first unless told otherwise
    (Site Recovery's C(sourceSiteOperations=Required)). It waits for the job and verifies the target VM through the
    target cloud's compute API (running, size, network), and reports the recovery point used and the job's tasks.
  - If the source shutdown fails, Azure still fails over; the result says so plainly in RV(source_shutdown) and a
    warning.
  - O(state=committed) commits a failover that has happened (and waits for the commit job). It refuses a machine
    that has not failed over; it never fails over on its own.
  - A machine already failed over is not failed over again; a committed machine is not a change; a running
    failover or commit job is followed, never started twice. Any step that cannot run now fails saying why.
  - Complete the migration afterwards with M(azmove.site_recovery.replicated_machine) O(azmove.site_recovery.replicated_machine#module:state=migrated).
seealso:
  - module: azmove.site_recovery.replicated_machine
    description: Enable replication of a machine - the move's first step.
  - module: azmove.site_recovery.replication_wait
    description: Wait for a wave's initial replication, showing progress.
  - module: azmove.site_recovery.test_failover
    description: Drill the move into an isolated network, then clean it up.
  - module: azmove.site_recovery.moved_vm
    description: After failover, compare the moved VM with its plan and attach what was not carried.
  - module: azmove.site_recovery.move_rollback
    description: Undo a failover that is not committed.
  - module: azmove.site_recovery.source_decommission
    description: Once the move is over, delete the source VM and what it leaves.
  - module: azmove.site_recovery.backup_relocation
    description: Protect the moved VM with Azure Backup in its new region.
  - module: azmove.site_recovery.move_cleanup
    description: Delete what the move created once nothing uses it.
  - name: Run a failover from on-premises to Azure
    description: Microsoft's guide to the step.
    link: https://learn.microsoft.com/azure/site-recovery/site-recovery-failover
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
  - azure-mgmt-compute
  - azure-mgmt-network
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.site_recovery.MOVE_RECORD
  - azmove.site_recovery.site_recovery.WAIT
  - azmove.site_recovery.site_recovery.BATCH
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
  - azmove.site_recovery.progress
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
        job history knows a machine by the name the appliance discovered; once the machine's replication is removed
        (its migration complete), this is how a re-run finds that the move is over.
    type: str
  state:
    description: V(failed_over) - the machine runs in Azure; V(committed) - its failover is committed.
    type: str
    choices: [failed_over, committed]
    default: failed_over
  recovery_point:
    description:
      - V(latest) processes all data received first (lowest data loss); V(latest_processed) and
        V(latest_app_consistent) as in M(azmove.site_recovery.test_failover); or a recovery point's name or id.
    type: str
    default: latest
  shutdown_source:
    description: Shut the source machine down before failing over, so no change is lost or made twice.
    type: bool
    default: true
  verify:
    description: Verify the target VM after failover (exists, running, size, network).
    type: bool
    default: true
  machines:
    description:
      - Fail over (or commit) a whole batch of machines in one task, instead of O(name). Each entry is one machine.
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
      recovery_point:
        description: This machine's recovery point (default O(recovery_point)).
        type: str
"""

EXAMPLES = r"""
- name: The move - shut the Government VM down and fail over to the public cloud
  azmove.site_recovery.failover:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-win01
  register: moved

- name: Commit once the application answers in Azure
  azmove.site_recovery.failover:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-win01
    state: committed

- name: Fail a whole wave over in one module run, then commit it
  azmove.site_recovery.failover:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    machines:
      - name: vm-app-win01
      - name: vm-app-lnx01
    state: "{{ item }}"
  loop: [failed_over, committed]
"""

RETURN = r"""
machine:
  description: The replicated machine after the step (see M(azmove.site_recovery.replicated_machine_info)).
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
target_vm:
  description: The failed-over VM as the target cloud's compute API reports it.
  returned: with O(state=failed_over) when not in check mode
  type: dict
  sample:
    id: /subscriptions/0000/resourceGroups/rg-landing-eastus/providers/Microsoft.Compute/virtualMachines/vm-app-win01
    size: Standard_D4s_v3
    power_state: running
    private_ips: [10.20.1.4]
recovery_point:
  description: The recovery point the failover used, as Azure reports it after the failover.
  returned: after a failover
  type: dict
  contains:
    id:
      description: The recovery point's ARM id.
      type: str
    name:
      description: Its name.
      type: str
    time:
      description: When it was taken (UTC).
      type: str
      sample: "2026-05-04T09:58:31Z"
    type:
      description: Site Recovery's recovery point type.
      type: str
    consistency:
      description: C(app-consistent), C(crash-consistent) or C(latest).
      type: str
      sample: crash-consistent
move_recorded:
  description: The tags written on the source and target VMs to record the move, when the task wrote them.
  returned: when the move was recorded by this task
  type: list
  elements: dict
  sample: [{vm_id: "/subscriptions/.../virtualMachines/vm-app-win01", tag: azmove-moved-to, value: "/subscriptions/..."}]
source_shutdown:
  description: C(succeeded), C(failed) (Azure failed over anyway), C(not_requested), or C(unknown).
  returned: when a failover was started or followed
  type: str
job:
  description: The job started or followed, with its tasks.
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
    vm-app-win01: {changed: true, failed: false, machine: {name: vm-app-win01, phase: failed_over}, source_shutdown: succeeded}
    vm-app-lnx01: {changed: false, failed: true, msg: "...", error: {code: "539", message: "...", job_id: 3f1c2b7e-0a4d-4d0e-9b7a-2f6c1d8e5a90}}
failed_machines:
  description: With O(machines), the names of the machines that failed.
  returned: with O(machines)
  type: list
  elements: str
"""

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import name_of, SiteRecovery, vault_spec
from ansible_collections.azmove.site_recovery.plugins.module_utils._lifecycle import (
    Step,
    StepRefused,
    check_vm,
    choose_point,
    committed_earlier,
    find_item,
    refuse,
    reread,
    vm_facts,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._batch import run_module
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import run
from ansible_collections.azmove.site_recovery.plugins.module_utils._providers import InputError
from ansible_collections.azmove.site_recovery.plugins.module_utils import _move_record as move_record
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import item_summary, provider_of

AFTER_FAILOVER = ("failed_over", "committing", "committed", "migrated")


def shutdown_result(job, requested):
    if not requested:
        return "not_requested"
    for task in (job or {}).get("tasks") or []:
        text = ("%s %s" % (task.get("name") or "", task.get("friendly_name") or "")).lower()
        if "shut" in text:
            return "succeeded" if (task.get("state") or "").lower() == "succeeded" else "failed"
    return "unknown"


class Failover(Step):
    def failed_over(self, item):
        summary = item_summary(item)
        if self.follow_running(item, {"unplannedfailover", "failover"}):
            self.result["source_shutdown"] = shutdown_result(self.result.get("job"), self.p["shutdown_source"])
            item = reread(self.sr, item)
        elif summary["phase"] not in AFTER_FAILOVER:
            if summary["phase"] != "protected" or "UnplannedFailover" not in summary["allowed_operations"]:
                refuse(self.p["name"], "fail over", summary)
            point_id, point = choose_point(self.sr, item, self.p["recovery_point"])
            self.result["recovery_point"] = point
            job = self.start(item, "begin_unplanned_failover", "failover of %s" % self.p["name"], {
                "properties": {
                    "failoverDirection": "PrimaryToRecovery",
                    "sourceSiteOperations": "Required" if self.p["shutdown_source"] else "NotRequired",
                    "providerSpecificDetails": provider_of(item).unplanned_failover_details(point_id, self.p["shutdown_source"]),
                }
            })
            if self.module.check_mode:
                return item
            self.result["source_shutdown"] = shutdown_result(job, self.p["shutdown_source"])
            item = reread(self.sr, item)
        if self.result.get("source_shutdown") == "failed":
            self.module.warn(
                "The source machine %s could not be shut down before failover; Azure failed over anyway. Shut it "
                "down now so it does not keep serving or changing data." % self.p["name"]
            )
        summary = item_summary(item)
        if summary["failover_recovery_point_id"]:
            self.result["recovery_point"] = {"id": summary["failover_recovery_point_id"], "name": name_of(summary["failover_recovery_point_id"])}
        if self.p["verify"] and (self.result.get("job") or {}).get("state") != "InProgress":
            self.verify(summary)
        return item

    def verify(self, summary):
        target = summary["target"]
        vm_id = target.get("vm_id")
        if not vm_id and target.get("resource_group_id") and target.get("vm_name"):
            vm_id = "%s/providers/Microsoft.Compute/virtualMachines/%s" % (target["resource_group_id"], target["vm_name"])
        facts = vm_facts(self.module, vm_id) if vm_id else None
        self.result["target_vm"] = facts
        problems = check_vm(facts, target.get("network_id"), target.get("vm_size"))
        if problems:
            self.module.fail("%s failed over, but its target VM %s is not as expected: %s."
                             % (self.p["name"], name_of(vm_id) if vm_id else "(unknown)", "; ".join(problems)), **self.result)

    def committed(self, item):
        summary = item_summary(item)
        if self.follow_running(item, {"commitfailover", "failovercommit"}):
            return reread(self.sr, item)
        if summary["phase"] in ("committed", "migrated"):
            return item
        if summary["phase"] != "failed_over" or ("Commit" not in summary["allowed_operations"] and summary["allowed_operations"]):
            if summary["phase"] == "protected":
                raise StepRefused("Cannot commit %s: it has not failed over. Fail it over first (state failed_over)." % self.p["name"])
            refuse(self.p["name"], "commit", summary)
        self.start(item, "begin_failover_commit", "commit of the failover of %s" % self.p["name"])
        return item if self.module.check_mode else reread(self.sr, item)

    def record(self, item):
        """Once committed, the move is written on both VMs (source_vm_id's tags): it outlives the vault."""
        if not self.p["source_vm_id"]:
            return
        target = item_summary(item)["target"]
        vm_id = target.get("vm_id")
        if not vm_id and target.get("resource_group_id") and target.get("vm_name"):
            vm_id = "%s/providers/Microsoft.Compute/virtualMachines/%s" % (target["resource_group_id"], target["vm_name"])
        if not vm_id:
            return
        written = move_record.record(self.module, self.p["source_connection"], None, self.p["source_vm_id"], vm_id)
        if written:
            self.changed = True
            self.result["move_recorded"] = written


PER_MACHINE = ("name", "computer_name", "source_vm_id", "recovery_point")


def check(module):
    """The machine's input, checked before anything is sent."""
    if not (module.params["name"] or "").strip():
        module.fail("name must not be empty.")


def act(module):
    p = module.params

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        step = Failover(module, sr)
        item = find_item(sr, p["name"])
        if item is None:
            moved_to = move_record.moved_to(module, p["source_connection"], p["source_vm_id"])
            if moved_to:  # the move is recorded on the source VM: over, whatever became of the vault
                module.exit(False, machine={"friendly_name": p["name"], "phase": "migrated", "moved_to": moved_to},
                            connection=module.connection().describe())
            if committed_earlier(sr, p["name"], p["computer_name"]):  # moved, committed and migrated: nothing left to do
                module.exit(False, machine={"friendly_name": p["name"], "phase": "migrated"}, connection=module.connection().describe())
            module.fail("Machine %s does not replicate in vault %s (nothing to fail over or commit)." % (p["name"], p["vault"]))
        before = item_summary(item)
        try:
            item = step.failed_over(item) if p["state"] == "failed_over" else step.committed(item)
            if p["state"] == "committed" and item_summary(item)["phase"] in ("committed", "migrated"):
                step.record(item)
        except (StepRefused, InputError) as exc:
            module.fail(str(exc), **step.result)
        after = item_summary(item)
        expected = p["state"] if module.check_mode and step.changed else after["phase"]
        module.exit(step.changed, before={"phase": before["phase"]}, after={"phase": expected},
                    machine=after, connection=module.connection().describe(), **step.result)

    run(module, body, "Failover of %s (state %s)" % (p["name"], p["state"]))


def main():
    run_module(
        vault_spec(
            name=dict(type="str"),
            computer_name=dict(type="str"),
            source_vm_id=dict(type="str"),
            source_connection=dict(type="str", default="source"),
            state=dict(type="str", choices=["failed_over", "committed"], default="failed_over"),
            recovery_point=dict(type="str", default="latest"),
            shutdown_source=dict(type="bool", default=True),
            verify=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=3600),
            poll_interval=dict(type="float", default=30),
            progress_file=dict(type="path"),  # set by the action plugin: the task shows the wait's progress
        ),
        PER_MACHINE,
        check,
        act,
    )


if __name__ == "__main__":
    main()
