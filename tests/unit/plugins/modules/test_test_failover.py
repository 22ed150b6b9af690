"""test_failover: the test VM is the one the TestFailover job names, and a failed test failover is cleaned up."""

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import JobFailed
from ansible_collections.azmove.site_recovery.plugins.modules import test_failover as tf

RG = "/subscriptions/s/resourceGroups/rg-landing"


class FakeModule:
    check_mode = False

    def __init__(self):
        self.params = dict(name="vm-app-win01", wait=True, wait_timeout=60, poll_interval=1, notes="n")


class FakeSiteRecovery:
    def __init__(self, jobs, items=()):
        self.jobs = jobs
        self.items = list(items)
        self.started = []

    def job(self, name):
        return self.jobs[name]

    def list(self, group, method="list", *names, **kw):
        return list(self.jobs.values())

    def get(self, group, *names, **kw):
        return self.items.pop(0)


def item(scenario="TestFailover", job="tfo-1", allowed=()):
    return {"id": "/x/replicationProtectedItems/vm-app-win01", "name": "vm-app-win01",
            "properties": {"friendlyName": "VMAPPWIN01", "protectionState": "Protected", "testFailoverState": "WaitingForCompletion",
                           "allowedOperations": list(allowed),
                           "currentScenario": {"scenarioName": scenario, "jobId": "/x/replicationJobs/" + job},
                           "providerSpecificDetails": {"instanceType": "InMageRcm", "targetVmName": "vm-app-win01",
                                                       "targetResourceGroupId": RG}}}


def tfo_job(name, vm, state="Succeeded", start="2026-02-01T10:00:00Z"):
    return {"name": name, "properties": {"scenarioName": "TestFailover", "state": state, "startTime": start,
                                         "targetObjectName": "VMAPPWIN01",
                                         "customDetails": {"instanceType": "TestFailoverJobDetails", "protectedItemDetails": [
                                             {"name": "vm-app-win01", "friendlyName": "VMAPPWIN01", "testVmName": vm,
                                              "testVmFriendlyName": vm}]}}}


def test_the_test_vm_is_named_by_the_test_failover_jobs_details():
    step = tf.TestFailover(FakeModule(), FakeSiteRecovery({"tfo-1": tfo_job("tfo-1", "vm-app-win01-tfo-8f2")}))
    assert step.test_vm_id(item()) == RG + "/providers/Microsoft.Compute/virtualMachines/vm-app-win01-tfo-8f2"


def test_without_a_current_scenario_the_newest_test_failover_job_of_the_machine_is_read():
    jobs = {"old": tfo_job("old", "vm-old", start="2026-01-01T00:00:00Z"), "new": tfo_job("new", "vm-new")}
    step = tf.TestFailover(FakeModule(), FakeSiteRecovery(jobs))
    assert step.test_vm_id(item(scenario="None", job="None")).endswith("/virtualMachines/vm-new")


def test_no_job_no_guess():
    step = tf.TestFailover(FakeModule(), FakeSiteRecovery({}))
    assert step.test_vm_id(item(scenario="None", job="None")) is None


def test_a_failed_test_failover_is_cleaned_up_when_azure_allows_it_and_the_failure_says_so():
    step = tf.TestFailover(FakeModule(), FakeSiteRecovery({}, items=[item(allowed=["TestFailoverCleanup"])]))
    step.start = lambda it, method, what, body=None: step.sr.started.append(method)
    with pytest.raises(JobFailed) as err:
        step.cleanup_after_failure(item(), JobFailed("The test VM could not be created.", code="70094", job_id="tfo-1"))
    assert step.sr.started == ["begin_test_failover_cleanup"]
    assert "was cleaned up" in err.value.message


def test_a_failed_test_failover_azure_does_not_let_clean_up_says_the_next_step():
    step = tf.TestFailover(FakeModule(), FakeSiteRecovery({}, items=[item(allowed=[])]))
    step.start = lambda *a, **k: pytest.fail("nothing may be started")
    with pytest.raises(JobFailed) as err:
        step.cleanup_after_failure(item(), JobFailed("boom", code="1", job_id="tfo-1"))
    assert "state absent" in err.value.message


def protected_item(last_test_failover):
    out = item(scenario="None", job="None", allowed=["TestFailover", "UnplannedFailover", "DisableProtection"])
    out["properties"].update(testFailoverState="MarkedForDeletion", lastSuccessfulTestFailoverTime=last_test_failover)
    return out


def test_a_drill_that_succeeded_and_was_cleaned_up_is_not_repeated_unless_asked():
    module = FakeModule()
    module.params.update(again=False, verify=True)
    step = tf.TestFailover(module, FakeSiteRecovery({}))
    step.start = lambda *a, **k: pytest.fail("no new drill may be started")
    step.follow_running = lambda it, scenarios: False
    step.present(protected_item("2026-02-01T10:00:00Z"))
    assert step.result["last_test_failover"] == {"time": "2026-02-01T10:00:00Z", "repeated": False}
    assert "not repeated" in step.result["msg"] and not step.changed
