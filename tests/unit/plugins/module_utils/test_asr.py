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
