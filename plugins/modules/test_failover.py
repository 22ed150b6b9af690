#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: test_failover
short_description: Test failover of a replicated machine into an isolated network, verified, and its cleanup
version_added: 0.1.0
description:
  - O(state=present) runs a test failover of a protected machine into a test network, from the recovery point
    you choose, waits for the job and verifies the test VM through the target cloud's compute API - it exists,
    is running, has the expected size and sits in the test network - and returns its id, IPs and power state.
  - The production target network is refused for a test failover, as the Site Recovery tutorial warns, unless
    O(allow_production_network_unsafe=true).
  - O(state=absent) cleans the test failover up, with O(notes) recorded on it, and waits until the test VM is gone.
    A machine with no test failover pending is not a change.
  - A machine whose last test failover succeeded and was cleaned up is not tested again unless O(again=true) - a
    re-run of a wave's test phase never starts a second drill nobody asked for.
  - Before anything, the machine's state and the operations Azure allows are checked; when the step cannot run now
    the task fails saying why (for example a test failover already pending cleanup). A job already running for the
    same step is followed, never started twice; a re-run after an interruption continues from Azure's state.
seealso:
  - module: azmove.site_recovery.replicated_machine
    description: Enable replication of a machine - the move's first step.
  - module: azmove.site_recovery.replication_wait
    description: Wait for a wave's initial replication, showing progress.
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
  - module: azmove.site_recovery.move_cleanup
    description: Delete what the move created once nothing uses it.
  - name: Run a test failover (disaster recovery drill) to Azure
    description: Microsoft's guide to the step.
    link: https://learn.microsoft.com/azure/site-recovery/site-recovery-test-failover-to-azure
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
  state:
    description: V(present) - a verified test failover exists; V(absent) - it is cleaned up.
    type: str
    choices: [present, absent]
    default: present
  network:
    description:
      - Test network (name or ARM id), in the target subscription. Required with O(state=present).
      - Use a non-production network with no route to production; the production target network is refused.
    type: str
  network_resource_group:
    description: Resource group of O(network) when given by name. Default O(resource_group).
    type: str
  recovery_point:
    description:
      - Recovery point to fail over to. V(latest_processed) - the newest point Site Recovery has processed (lowest
        RTO); V(latest_app_consistent) - the newest app-consistent point; V(latest) - process all data received
        first (lowest RPO, slower); or the name or id of a specific recovery point
        (see M(azmove.site_recovery.replicated_machine_info) with O(azmove.site_recovery.replicated_machine_info#module:recovery_points=true)).
    type: str
    default: latest_processed
  allow_production_network_unsafe:
    description:
      - Allow the test failover into the machine's production target network. Unsafe - the test VM then shares the
        network (and possibly the address) of the production VM to come.
    type: bool
    default: false
  again:
    description:
      - Start a new test failover of a machine whose last one succeeded and was cleaned up (Site Recovery's
        C(lastSuccessfulTestFailoverTime)). By default such a machine is left as it is - a re-run of a wave's test
        phase does not repeat a drill that passed - and RV(last_test_failover) says when it ran.
    type: bool
    default: false
  verify:
    description: Verify the test VM after the test failover (exists, running, size, network).
    type: bool
    default: true
  notes:
    description: Notes recorded with the cleanup (O(state=absent)), for example what was tested and the result.
    type: str
    default: Test failover verified by azmove.site_recovery
  machines:
    description:
      - Test-fail over (or clean up) a whole batch of machines in one task, instead of O(name). Each entry is one machine.
    type: list
    elements: dict
    suboptions:
      name:
        description: The machine's name (see O(name)).
        type: str
        required: true
      source_vm_id:
        description: This machine's source VM (see O(source_vm_id)).
        type: str
      recovery_point:
        description: This machine's recovery point (default O(recovery_point)).
        type: str
"""

EXAMPLES = r"""
- name: Test failover into the isolated test network, from the latest processed point
  azmove.site_recovery.test_failover:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-win01
    network: vnet-test-eastus
    network_resource_group: rg-landing-eastus
  register: tfo

- name: Check the application on the test VM
  ansible.builtin.uri:
    url: "http://{{ tfo.test_vm.private_ips[0] }}/health"
  delegate_to: jumphost-in-test-network

- name: Clean up, with notes
  azmove.site_recovery.test_failover:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-win01
    state: absent
    notes: "Health check passed {{ now(utc=true).isoformat() }}"

- name: Test failover of a whole wave in one module run; each machine's result is in machines
  azmove.site_recovery.test_failover:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    machines:
      - name: vm-app-win01
      - name: vm-app-lnx01
        recovery_point: latest_app_consistent
    network: vnet-test-eastus
    network_resource_group: rg-landing-eastus
    fail_on_error: false
  register: wave_tfo
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
test_vm:
  description: The test VM as the target cloud's compute API reports it.
  returned: with O(state=present) when not in check mode
  type: dict
  sample:
    id: /subscriptions/0000/resourceGroups/rg-landing-eastus/providers/Microsoft.Compute/virtualMachines/vm-app-win01-test
    name: vm-app-win01-test
    size: Standard_D4s_v3
    power_state: running
    private_ips: [10.30.1.4]
    subnet_ids: [/subscriptions/0000/resourceGroups/rg-landing-eastus/providers/Microsoft.Network/virtualNetworks/vnet-test-eastus/subnets/snet-app]
recovery_point:
  description: The recovery point used (name, time and consistency), or C(latest) when Azure processed all data.
  returned: with O(state=present) when a test failover was started
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
last_test_failover:
  description:
    - When the machine's last test failover had succeeded and was cleaned up and O(again) was not set - its time
      (Site Recovery's C(lastSuccessfulTestFailoverTime)) and C(repeated=false). C(msg) says the same in words.
  returned: when a drill was not repeated
  type: dict
  sample: {time: "2026-12-04T19:00:00Z", repeated: false}
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
    vm-app-win01: {changed: true, failed: false, machine: {name: vm-app-win01, phase: test_failover_pending_cleanup}}
    vm-app-lnx01: {changed: false, failed: true, msg: "...", error: {code: "539", message: "...", job_id: 3f1c2b7e-0a4d-4d0e-9b7a-2f6c1d8e5a90}}
failed_machines:
  description: With O(machines), the names of the machines that failed.
  returned: with O(machines)
  type: list
  elements: str
"""

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import (
    group_and_name,
    JobFailed,
    job_failure,
    name_of,
    props,
    resource_id,
    resource_id_problem,
    running_job,
    SiteRecovery,
    vault_spec,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none
from ansible_collections.azmove.site_recovery.plugins.module_utils._lifecycle import (
    Step,
    StepRefused,
    check_vm,
    choose_point,
    find_item,
    refuse,
    reread,
    vm_facts,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._batch import run_module, shared
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import run
from ansible_collections.azmove.site_recovery.plugins.module_utils._providers import InputError
from ansible_collections.azmove.site_recovery.plugins.module_utils import _move_record as move_record
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import item_summary, provider_of
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import wait_until

VNET = "Microsoft.Network/virtualNetworks"


class TestFailover(Step):
    def network_id(self):
        return resource_id(self.p["network"], VNET, self.module.connection().subscription_id,
                           self.p["network_resource_group"] or self.p["resource_group"])

    tfo_job = None  # the TestFailover job this run started or followed

    def test_failover_job(self, item):
        """The item's latest TestFailover job: the one this run started, else the one its currentScenario names (Azure
        leaves it there until cleanup), else the newest in the vault's job history."""
        if self.tfo_job:
            return self.tfo_job
        scenario, job = running_job(item)
        if job and (scenario or "").lower() == "testfailover":
            return job
        latest = None
        for entry in self.sr.list("replication_jobs"):
            p = props(entry)
            if (p.get("scenarioName") or "").lower() == "testfailover" and (
                    (p.get("targetObjectId") or "").lower() == (item.get("id") or "").lower()
                    or (p.get("targetObjectName") or "").lower() in ((item.get("name") or "").lower(),
                                                                     (props(item).get("friendlyName") or "").lower())):
                if latest is None or (p.get("startTime") or "") > (props(latest).get("startTime") or ""):
                    latest = entry
        return latest.get("name") if latest else None

    def test_vm_id(self, item):
        """The test VM: the name Azure gave it, from the TestFailover job's details (TestFailoverJobDetails
        .protectedItemDetails[].testVmName), in the machine's target resource group; None when unknown."""
        rg = item_summary(item)["target"].get("resource_group_id")
        job_name = self.test_failover_job(item)
        if not rg or not job_name:
            return None
        custom = props(self.sr.job(job_name)).get("customDetails") or {}
        names = ((item.get("name") or "").lower(), (props(item).get("friendlyName") or "").lower())
        for details in custom.get("protectedItemDetails") or []:
            vm = details.get("testVmName") or details.get("testVmFriendlyName")
            if vm and ((details.get("name") or "").lower() in names or (details.get("friendlyName") or "").lower() in names):
                return vm if vm.lower().startswith("/subscriptions/") else "%s/providers/Microsoft.Compute/virtualMachines/%s" % (rg, vm)
        return None

    def cleanup_after_failure(self, item, failure):
        """A test failover that failed may leave a test environment to clean up: clean it up when Azure allows it,
        else say what to do next; the failure is raised either way."""
        item = reread(self.sr, item) or item
        summary = item_summary(item)
        if "TestFailoverCleanup" in summary["allowed_operations"]:
            self.start(item, "begin_test_failover_cleanup", "cleanup of the failed test failover of %s" % self.p["name"],
                       {"properties": {"comments": "Cleanup after a failed test failover (azmove.site_recovery)"}})
            failure.message += " The failed test failover was cleaned up; fix the cause and run the task again."
        elif summary["phase"] == "test_failover_pending_cleanup":
            failure.message += (" Clean the failed test failover up (azmove.site_recovery.test_failover with state absent), "
                                "fix the cause and run the task again.")
        else:
            failure.message += " Nothing is left to clean up; fix the cause and run the task again."
        failure.args = (failure.message,)
        raise failure

    def failed_test_failover(self, item):
        """The job of a test failover pending cleanup, when that test failover failed (else None)."""
        scenario, job = running_job(item)
        if not job or (scenario or "").lower() != "testfailover":
            return None
        entry = self.sr.job(job)
        return entry if (props(entry).get("state") or "").lower() in ("failed", "cancelled") else None

    def present(self, item):
        summary = item_summary(item)
        try:
            followed = self.follow_running(item, {"testfailover"})
        except JobFailed as failure:
            if failure.code == "JobSuspended":
                raise
            self.cleanup_after_failure(item, failure)
        if followed:
            self.tfo_job = (self.result.get("job") or {}).get("name")
            item = reread(self.sr, item)
            summary = item_summary(item)
        elif summary["phase"] == "test_failover_pending_cleanup" and not self.module.check_mode:
            failed = self.failed_test_failover(item)
            if failed is not None:  # an earlier run's test failover failed: clean it up and say so
                self.cleanup_after_failure(item, job_failure(failed, "test failover of %s" % self.p["name"]))
        if summary["phase"] == "protected" and summary["last_test_failover_time"] and not self.p["again"]:
            # A drill succeeded and was cleaned up: a re-run of the phase does not start another unless asked to.
            self.result["last_test_failover"] = {"time": summary["last_test_failover_time"], "repeated": False}
            self.result["msg"] = ("A test failover of %s succeeded at %s and was cleaned up; it was not repeated (set "
                                  "again to true for a new drill)." % (self.p["name"], summary["last_test_failover_time"]))
            return item
        if summary["phase"] not in ("test_failover_pending_cleanup",):
            if summary["phase"] != "protected" or "TestFailover" not in summary["allowed_operations"]:
                refuse(self.p["name"], "start a test failover of", summary)
            network_id = self.check_network(summary)
            point_id, point = choose_point(self.sr, item, self.p["recovery_point"])
            prov = provider_of(item)
            self.result["recovery_point"] = point
            try:
                self.start(item, "begin_test_failover", "test failover of %s" % self.p["name"], {
                    "properties": {
                        "failoverDirection": "PrimaryToRecovery",
                        "networkType": "VmNetworkAsInput",
                        "networkId": network_id,
                        "providerSpecificDetails": prov.test_failover_details(point_id, network_id),
                    }
                })
            except JobFailed as failure:
                if failure.code == "JobSuspended":
                    raise
                self.cleanup_after_failure(item, failure)
            if self.module.check_mode:
                return item
            self.tfo_job = (self.result.get("job") or {}).get("name")
            item = reread(self.sr, item)
        if self.p["verify"] and not self.module.check_mode and (self.result.get("job") or {}).get("state") != "InProgress":
            self.verify(item)
        return item

    def check_network(self, summary):
        network_id = self.network_id()
        vnet = shared(self.module, ("vnet-exists", network_id.lower()),  # plain data: a batch's machines share it
                      lambda: get_or_none(self.module.client("network").virtual_networks.get, *group_and_name(network_id)) is not None)
        if not vnet:
            raise InputError("Test network %s does not exist in the target subscription." % network_id)
        production = summary["target"].get("network_id")
        if production and production.lower() == network_id.lower() and not self.p["allow_production_network_unsafe"]:
            raise InputError(
                "Network %s is the production target network of %s. A test failover must go into an isolated, "
                "non-production network (set allow_production_network_unsafe: true only if you accept the risk)."
                % (name_of(network_id), self.p["name"])
            )
        return network_id

    def verify(self, item):
        summary = item_summary(item)
        vm_id = self.test_vm_id(item)
        facts = vm_facts(self.module, vm_id) if vm_id else None
        self.result["test_vm"] = facts
        problems = check_vm(facts, self.network_id() if self.p["network"] else None, summary["target"].get("vm_size"))
        if problems:
            self.module.fail(
                "Test failover of %s finished, but the test VM %s is not as expected: %s."
                % (self.p["name"], name_of(vm_id) if vm_id else "(unknown)", "; ".join(problems)),
                **self.result
            )

    def absent(self, item):
        summary = item_summary(item)
        if self.follow_running(item, {"testfailovercleanup", "testfailover"}):
            item = reread(self.sr, item)
            summary = item_summary(item)
        if summary["phase"] == "test_failover_pending_cleanup":
            vm_id = self.test_vm_id(item)
            self.start(item, "begin_test_failover_cleanup", "test failover cleanup of %s" % self.p["name"],
                       {"properties": {"comments": self.p["notes"]}})
            if not self.module.check_mode and self.p["wait"] and vm_id:
                self.wait_gone(vm_id)
            item = reread(self.sr, item) if not self.module.check_mode else item
        return item

    def wait_gone(self, vm_id):
        compute = self.module.client("compute").virtual_machines
        group, name = group_and_name(vm_id)

        def poll():
            gone = get_or_none(compute.get, group, name) is None
            return gone, "test VM still exists" if not gone else "gone", None

        wait_until(poll, "test VM %s to be deleted" % name, self.p["wait_timeout"], interval=self.p["poll_interval"])


PER_MACHINE = ("name", "source_vm_id", "recovery_point")


def check(module):
    """The machine's input, checked before anything is sent."""
    p = module.params
    if not (p["name"] or "").strip():
        module.fail("name must not be empty.")
    problem = resource_id_problem("network", p["network"], VNET)
    if problem:
        module.fail(problem)


def act(module):
    p = module.params

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        step = TestFailover(module, sr)
        item = find_item(sr, p["name"])
        if item is None and p["state"] == "absent":
            module.exit(False, machine={"friendly_name": p["name"]}, connection=module.connection().describe())
        if item is None:
            moved_to = move_record.moved_to(module, p["source_connection"], p["source_vm_id"])
            if moved_to:  # the move is recorded on the source VM: nothing to test, whatever became of the vault
                module.exit(False, machine={"friendly_name": p["name"], "phase": "migrated", "moved_to": moved_to},
                            connection=module.connection().describe())
            module.fail("Machine %s does not replicate in vault %s: enable replication first." % (p["name"], p["vault"]))
        before = item_summary(item)
        try:
            item = step.present(item) if p["state"] == "present" else step.absent(item)
        except (StepRefused, InputError) as exc:
            module.fail(str(exc), **step.result)
        after = item_summary(item)
        expected = after["phase"]
        if module.check_mode and step.changed:  # nothing was sent: say where the step would lead
            expected = "test_failover_pending_cleanup" if p["state"] == "present" else "protected"
        module.exit(step.changed, before={"phase": before["phase"]}, after={"phase": expected},
                    machine=after, connection=module.connection().describe(), **step.result)

    run(module, body, "Test failover of %s (state %s)" % (p["name"], p["state"]))


def main():
    run_module(
        vault_spec(
            name=dict(type="str"),
            source_vm_id=dict(type="str"),
            source_connection=dict(type="str", default="source"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            network=dict(type="str"),
            network_resource_group=dict(type="str"),
            recovery_point=dict(type="str", default="latest_processed"),
            allow_production_network_unsafe=dict(type="bool", default=False),
            again=dict(type="bool", default=False),
            verify=dict(type="bool", default=True),
            notes=dict(type="str", default="Test failover verified by azmove.site_recovery"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=3600),
            poll_interval=dict(type="float", default=30),
            progress_file=dict(type="path"),  # set by the action plugin: the task shows the wait's progress
        ),
        PER_MACHINE,
        check,
        act,
        required_if=[("state", "present", ["network"])],
    )


if __name__ == "__main__":
    main()
