"""Jobs in plain words and failures that carry Azure's code, recommended action and the job id."""

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _asr

JOB = {
    "id": "/Subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/replicationJobs/j-1",
    "name": "j-1",
    "properties": {
        "scenarioName": "EnableDr", "friendlyName": "Enable replication", "state": "Failed",
        "targetObjectName": "vm-app-win02",
        "tasks": [{"name": "PrerequisitesCheck", "state": "Succeeded"}, {"name": "PushInstall", "state": "Failed"}],
        "errors": [{
            "serviceErrorDetails": {"code": "28041", "message": "Protection couldn't be enabled."},
            "providerErrorDetails": {"errorCode": 95107, "errorMessage": "Credential check failed.",
                                     "possibleCauses": "Not an administrator.",
                                     "recommendedAction": "Set LocalAccountTokenFilterPolicy to 1."},
        }],
    },
}


def test_job_summary_keeps_tasks_in_order_and_both_errors():
    s = _asr.job_summary(JOB)
    assert [t["name"] for t in s["tasks"]] == ["PrerequisitesCheck", "PushInstall"]
    assert s["errors"][0]["code"] == "28041"
    assert s["errors"][0]["provider_error_code"] == 95107


def test_job_failure_message_has_code_provider_error_action_and_job_id():
    failure = _asr.job_failure(JOB, "enable")
    text = failure.summary("Enabling")
    assert failure.code == "28041" and failure.job_id == "j-1"
    assert "Provider error 95107" in text
    assert "Recommended action: Set LocalAccountTokenFilterPolicy to 1." in text
    assert "job id j-1" in text


def test_job_names_from_every_place_azure_puts_them():
    assert _asr.job_name_from("https://h/Subscriptions/s/x/vaults/v/replicationOperationStatus/abc?api-version=1") == "abc"
    assert _asr.job_name_from("/x/replicationProtectedItems/i/operationresults/def?api-version=1") == "def"
    assert _asr.job_name_from("/x/vaults/v/replicationJobs/None") is None
    assert _asr.job_name_from(None) is None


def test_running_job_ignores_the_idle_scenario():
    idle = {"properties": {"currentScenario": {"scenarioName": "None", "jobId": "/v/replicationJobs/None"}}}
    busy = {"properties": {"currentScenario": {"scenarioName": "EnableDr", "jobId": "/v/replicationJobs/j-9"}}}
    assert _asr.running_job(idle) == (None, None)
    assert _asr.running_job(busy) == ("EnableDr", "j-9")


def test_segment_is_case_insensitive():
    rid = ("/Subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/replicationFabrics/f1"
           "/replicationProtectionContainers/c1/replicationProtectedItems/i")
    assert _asr.segment(rid, "replicationfabrics") == "f1"
    assert _asr.segment(rid, "replicationProtectionContainers") == "c1"


SUB = "/subscriptions/0000/resourceGroups/rg-app/providers/"
VM_ID = SUB + "Microsoft.Compute/virtualMachines/vm1"


@pytest.mark.parametrize("value", [VM_ID, VM_ID.upper(), VM_ID.replace("/subscriptions/", "/Subscriptions/")])
def test_a_vm_id_is_a_vm_id_in_any_case(value):
    assert _asr.resource_id_problem("vm_id", value, "Microsoft.Compute/virtualMachines", name_allowed=False) is None


@pytest.mark.parametrize("value", [
    SUB + "Microsoft.Compute/disks/vm1-osdisk",  # another type
    SUB + "Microsoft.Compute/virtualMachines/vm1/extensions/x",  # a child
    SUB + "Microsoft.Compute/virtualMachines/",  # no name
    "/subscriptions/0000/providers/Microsoft.Compute/virtualMachines/vm1",  # no resource group
    "vm1",  # a name where an id is needed
])
def test_anything_else_is_not_a_vm_id_and_the_message_shows_the_shape(value):
    problem = _asr.resource_id_problem("vm_id", value, "Microsoft.Compute/virtualMachines", name_allowed=False)
    assert problem == ("vm_id %r is not the resource id of a virtual machine (/subscriptions/<subscription>/resourceGroups/<group>"
                       "/providers/Microsoft.Compute/virtualMachines/<name>)." % value)


def test_a_name_or_a_well_formed_id_is_fine_where_both_are_allowed():
    vnet = "Microsoft.Network/virtualNetworks"
    assert _asr.resource_id_problem("target_network", "vnet-landing", vnet) is None
    assert _asr.resource_id_problem("target_network", None, vnet) is None
    assert _asr.resource_id_problem("target_network", SUB + vnet + "/vnet-landing", vnet) is None
    assert _asr.resource_id_problem("target_resource_group", "/subscriptions/0000/resourceGroups/rg", "resourceGroups") is None
    problem = _asr.resource_id_problem("target_network", "/subscriptions/0000/virtualNetworks/vnet-landing", vnet)
    assert problem.startswith("target_network '/subscriptions/0000/virtualNetworks/vnet-landing' is neither a name nor the resource id "
                              "of a virtual network (")


def test_resource_id_builds_the_id_of_a_name_and_keeps_an_id():
    vnet = "Microsoft.Network/virtualNetworks"
    assert _asr.resource_id("vnet-a", vnet, "0000", "rg-net") == "/subscriptions/0000/resourceGroups/rg-net/providers/" + vnet + "/vnet-a"
    assert _asr.resource_id(SUB + vnet + "/vnet-b", vnet, "1111", "rg-net") == SUB + vnet + "/vnet-b"
    assert _asr.resource_id("rg-x", "resourceGroups", "0000", None) == "/subscriptions/0000/resourceGroups/rg-x"


# -- following a job (issue 16): Succeeded before the job catches up, and Suspended jobs ---------------------------
class FakeClock:
    def __init__(self):
        self.t = 0.0
        self.sleeps = []

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.t += seconds


def recovery(statuses, job_states):
    """A SiteRecovery whose operation status and job read the given sequences (the last one repeats)."""
    sr = _asr.SiteRecovery(None, "rg", "v", clock=FakeClock())
    statuses, job_states = list(statuses), list(job_states)
    sr.reads = []

    def status(op):
        return statuses.pop(0) if len(statuses) > 1 else statuses[0]

    def job(name):
        state = job_states.pop(0) if len(job_states) > 1 else job_states[0]
        sr.reads.append(state)
        return {"name": name, "properties": {"state": state, "scenarioName": "TestFailover"}}

    sr._operation_status = status
    sr.job = job
    return sr


def test_succeeded_while_the_job_still_reads_in_progress_is_read_again_not_a_failure():
    sr = recovery([("InProgress", 30.0), ("Succeeded", 20.0)], ["InProgress", "InProgress", "Succeeded"])
    summary = sr.follow(_asr.Operation("j-1"), "test failover of vm1", timeout=600)
    assert summary["state"] == "Succeeded"
    assert sr.clock.sleeps == [30.0, 20.0, 20.0]  # Azure's Retry-After, also between the job's re-reads


def test_the_re_reads_are_bounded_and_report_the_job_as_it_reads():
    sr = recovery([("Succeeded", 5.0)], ["InProgress"])
    summary = sr.follow(_asr.Operation("j-1"), "test failover of vm1", timeout=600)
    assert summary["state"] == "InProgress"
    assert len(sr.reads) == 1 + _asr.SETTLE_POLLS


def test_a_failed_operation_whose_job_failed_is_still_a_failure():
    sr = recovery([("Failed", None)], ["Failed"])
    with pytest.raises(_asr.JobFailed):
        sr.follow(_asr.Operation("j-1"), "x", timeout=600)


def test_a_suspended_job_ends_the_wait_naming_the_job_and_how_to_resume_it():
    sr = recovery([(None, None)], ["InProgress", "Suspended"])  # no operation status: the job is polled directly
    with pytest.raises(_asr.JobFailed) as err:
        sr.follow(_asr.Operation("j-9"), "enable replication of vm1", timeout=3600, poll_interval=30)
    assert err.value.code == "JobSuspended" and err.value.job_id == "j-9"
    assert "j-9 (enable replication of vm1) is Suspended" in err.value.message
    assert "Resume-AzRecoveryServicesAsrJob -Name j-9" in err.value.message
    assert sr.clock.t == 30


def test_a_suspended_job_is_seen_while_its_operation_still_runs():
    sr = recovery([("InProgress", 1.0)], ["Suspended"])
    with pytest.raises(_asr.JobFailed) as err:
        sr.follow(_asr.Operation("j-9"), "x", timeout=3600)
    assert err.value.code == "JobSuspended"
    assert len(sr.clock.sleeps) == _asr.SUSPEND_CHECK_POLLS - 1


class LocationClient:
    """Answers GETs of an action's Location URL with the given status codes (the last one repeats)."""

    def __init__(self, codes):
        self.codes = list(codes)
        self.urls = []

    def send_request(self, request):
        self.urls.append(request.url)
        code = self.codes.pop(0) if len(self.codes) > 1 else self.codes[0]
        return type("R", (), {"status_code": code, "headers": {"Retry-After": "7"} if code == 202 else {}})()


def test_an_action_answered_with_a_location_only_is_polled_there_until_it_is_done():
    # The 2025-08-01 spec declares Location-header LROs for protected-item actions: no operation status URL is made up.
    sr = _asr.SiteRecovery(None, "rg", "v", clock=FakeClock())
    sr._client = LocationClient([202, 202, 200])
    sr.job = lambda name: {"name": name, "properties": {"state": "Succeeded", "scenarioName": "TestFailover"}}
    location = "https://arm.example/x/replicationProtectedItems/vm1/operationresults/j-1?api-version=2025-08-01"
    summary = sr.follow(_asr.Operation("j-1", None, location), "test failover of vm1", timeout=600)
    assert summary["state"] == "Succeeded"
    assert sr._client.urls == [location] * 3 and sr.clock.sleeps == [7.0, 7.0]  # Azure's Retry-After


def test_a_location_answering_an_error_is_the_jobs_failure():
    sr = _asr.SiteRecovery(None, "rg", "v", clock=FakeClock())
    sr._client = LocationClient([400])
    sr.job = lambda name: {"name": name, "properties": {"state": "Failed", "scenarioName": "TestFailover", "errors": [
        {"serviceErrorDetails": {"code": "SkuNotAvailable", "message": "No such size here."}}]}}
    with pytest.raises(_asr.JobFailed) as err:
        sr.follow(_asr.Operation("j-2", None, "https://arm.example/loc"), "x", timeout=600)
    assert err.value.code == "SkuNotAvailable"


def test_a_job_known_by_name_only_is_polled_at_its_operation_status_in_the_clients_api_version():
    class StatusClient(LocationClient):
        def send_request(self, request):
            self.urls.append(request.url)
            return type("R", (), {"status_code": 200, "headers": {}, "json": lambda self: {"status": "Succeeded"}})()

    azmod = type("M", (), {"connection": lambda self, name=None: type("C", (), {"subscription_id": "s-1"})()})()
    sr = _asr.SiteRecovery(azmod, "rg", "v", clock=FakeClock())
    sr._client = StatusClient([200])
    assert sr._operation_status(_asr.Operation("j-3")) == ("Succeeded", None)
    assert sr._client.urls == ["/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v"
                               "/replicationOperationStatus/j-3?api-version=2025-08-01"]
