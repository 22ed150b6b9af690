"""move_rollback: what it refuses, in which order it undoes a failover, and how the job history shows a rollback."""

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils._lifecycle import StepRefused
from ansible_collections.azmove.site_recovery.plugins.modules import move_rollback as mr

RG = "/subscriptions/s/resourceGroups/rg-landing"


class FakeModule:
    check_mode = False

    def __init__(self):
        self.params = dict(name="vm-app-win01", wait_timeout=60, poll_interval=1, source_vm_id=None,
                           source_connection="source", state_dir=None)
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


class FakeSiteRecovery:
    def job(self, name):
        return {"name": name, "properties": {"state": "Succeeded"}}


def item(state, description, active="Recovery", allowed=(), scenario="None"):
    return {"id": "/x/replicationFabrics/f/replicationProtectionContainers/c/replicationProtectedItems/vm-app-win01",
            "name": "vm-app-win01",
            "properties": {"friendlyName": "VMAPPWIN01", "protectionState": state, "protectionStateDescription": description,
                           "activeLocation": active, "allowedOperations": list(allowed),
                           "currentScenario": {"scenarioName": scenario, "jobId": "/x/replicationJobs/None"},
                           "providerSpecificDetails": {"instanceType": "InMageRcm", "targetVmName": "vm-app-win01",
                                                       "targetResourceGroupId": RG}}}


FAILED_OVER = ("UnplannedFailoverCommitPendingStatesBegin", "Failover completed")
RCM_ALLOWED = ["CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"]  # TestV2ARCMCommit


def step():
    s = mr.Rollback(FakeModule(), FakeSiteRecovery())
    s.calls = []
    s.remove_target = lambda vm_id: s.calls.append(("remove_target", vm_id))
    s.end_replication = lambda it: s.calls.append(("end_replication", it["name"]))
    return s


def test_a_failed_over_uncommitted_item_loses_its_target_vm_before_its_replication():
    s = step()
    vm_id = s.roll_back(item(*FAILED_OVER, allowed=RCM_ALLOWED))
    assert vm_id == RG + "/providers/Microsoft.Compute/virtualMachines/vm-app-win01"
    assert s.calls == [("remove_target", vm_id), ("end_replication", "vm-app-win01")]


@pytest.mark.parametrize("state,words", [
    (("UnplannedFailoverCommitted", "Failover committed"), "the move is final"),
    (("Protected", "Protected"), "it has not failed over"),
])
def test_committed_and_never_failed_over_machines_are_refused_with_nothing_done(state, words):
    s = step()
    with pytest.raises(StepRefused) as err:
        s.roll_back(item(*state, active="Recovery" if "Committed" in state[0] else "Primary", allowed=["DisableProtection"]))
    assert words in str(err.value) and s.calls == []


def test_a_failed_over_item_azure_will_not_disable_is_refused_before_anything_is_deleted():
    s = step()
    with pytest.raises(StepRefused) as err:
        s.roll_back(item(*FAILED_OVER, allowed=["Commit", "ChangePit"]))
    assert "Commit, ChangePit" in str(err.value) and s.calls == []


def job(name, scenario, end, target="VMAPPWIN01", state="Succeeded"):
    return {"name": name, "properties": {"scenarioName": scenario, "state": state, "endTime": end, "targetObjectName": target}}


def test_the_job_history_shows_a_rollback_only_when_replication_ended_after_an_uncommitted_failover():
    names = ("vm-app-win01", "vmappwin01")
    failover = job("fo", "UnplannedFailover", "2026-02-01T10:00:00Z")
    disable = job("dis", "DisableDr", "2026-02-01T11:00:00Z")
    assert mr.rollback_evidence([failover, disable], names)["name"] == "dis"
    assert mr.rollback_evidence([disable], names) is None  # no failover: replication was just stopped
    assert mr.rollback_evidence([failover], names) is None  # still failed over
    commit = job("c", "CommitFailover", "2026-02-01T10:30:00Z")
    assert mr.rollback_evidence([failover, commit, disable], names) is None  # committed: a move, not a rollback
    assert mr.rollback_evidence([failover, disable], ("vm-other",)) is None
    failed = job("dis", "DisableDr", "2026-02-01T11:00:00Z", state="Failed")
    assert mr.rollback_evidence([failover, failed], names) is None
    # moved again after the rollback: the newest failover is after the disable
    again = job("fo2", "UnplannedFailover", "2026-03-01T10:00:00Z")
    assert mr.rollback_evidence([failover, disable, again], names) is None


class Refusal(Exception):
    pass


class CheckModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = dict(dict(name="vm-app-win01", source_vm_id=None, state_dir=None, confirm=False), **params)

    def fail(self, msg, **kw):
        raise Refusal(msg)


def test_without_confirmation_it_refuses_before_reading_anything_but_check_mode_needs_none():
    with pytest.raises(Refusal) as err:
        mr.check(CheckModule())
    assert "set confirm to true" in str(err.value)
    mr.check(CheckModule(check_mode=True))
    mr.check(CheckModule(confirm=True))
    with pytest.raises(Refusal):
        mr.check(CheckModule(confirm=True, source_vm_id="/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d"))
