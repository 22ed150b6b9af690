"""Jobs in plain words and failures that carry Azure's code, recommended action and the job id."""

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
