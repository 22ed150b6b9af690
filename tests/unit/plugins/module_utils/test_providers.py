"""The provider seam: limits checked before any call, request bodies, phases in plain words."""

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _providers as prov
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import wave_status

CLASSIC = prov.provider("classic")


def settings(**kw):
    return CLASSIC.policy_settings(kw)


def test_classic_defaults_are_the_tutorials():
    s = settings()
    assert s == {"retention_hours": 24, "rpo_threshold_minutes": 60, "app_consistent_frequency_minutes": 60,
                 "crash_consistent_frequency_minutes": 5, "multi_vm_sync": True}


@pytest.mark.parametrize("storage,hours,limit", [("premium", 25, 24), ("standard", 73, 72)])
def test_retention_over_the_tutorial_limit_names_the_limit(storage, hours, limit):
    with pytest.raises(prov.InputError) as err:
        settings(retention_hours=hours, target_storage=storage)
    assert "at most %d hours on %s storage" % (limit, storage) in str(err.value)


def test_retention_at_the_limit_is_fine_and_sent_in_minutes():
    body = CLASSIC.policy_input(settings(retention_hours=72, target_storage="standard"))
    details = body["properties"]["providerSpecificInput"]
    assert details["instanceType"] == "InMageAzureV2"
    assert details["recoveryPointHistory"] == 72 * 60
    assert details["multiVmSyncStatus"] == "Enable"


@pytest.mark.parametrize("kw,text", [
    ({"app_consistent_frequency_minutes": 721}, "to 720 minutes"),
    ({"app_consistent_frequency_minutes": 120, "retention_hours": 1}, "must not exceed the retention"),
    ({"crash_consistent_frequency_minutes": 4}, "at least 5"),
    ({"rpo_threshold_minutes": 0}, "positive"),
])
def test_other_limits(kw, text):
    with pytest.raises(prov.InputError) as err:
        settings(**kw)
    assert text in str(err.value)


def test_failback_policy_is_the_inmage_provider_with_the_same_settings():
    body = CLASSIC.failback_policy_input(settings(retention_hours=12))
    details = body["properties"]["providerSpecificInput"]
    assert details["instanceType"] == "InMage"
    assert details["recoveryPointHistory"] == 720


def test_settings_read_back_from_azure_match_what_was_sent():
    sent = settings(retention_hours=48, multi_vm_sync=False)
    policy = {"properties": {"providerSpecificDetails": CLASSIC.policy_input(sent)["properties"]["providerSpecificInput"]}}
    back = CLASSIC.policy_settings_from(policy)
    assert {k: back[k] for k in sent} == sent


def test_enable_input_carries_every_target_setting():
    spec = dict(policy_id="P", protectable_item_id="PI", process_server_id="PS", run_as_account_id="1",
                target_resource_group_id="RG", target_network_id="N", target_subnet_id="N/subnets/s",
                target_vm_name="vm1", log_storage_account_id="SA", disk_type="Premium_LRS", target_vm_size="Standard_B2ms",
                tags={"b": 2, "a": "x"})
    body = CLASSIC.enable_input(spec)["properties"]
    d = body["providerSpecificDetails"]
    assert body["policyId"] == "P" and body["protectableItemId"] == "PI"
    assert d["masterTargetId"] == "PS"  # the configuration server is its own master target
    assert d["logStorageAccountId"] == "SA" and d["diskType"] == "Premium_LRS"
    assert d["targetVmTags"] == [{"tagName": "a", "tagValue": "x"}, {"tagName": "b", "tagValue": "2"}]
    assert "targetAvailabilityZone" not in d


def item(state, desc="", tfo="None", location="Primary", scenario="None", job="None", health="Normal", progress=None):
    details = {"instanceType": "InMageAzureV2"}
    if progress is not None:
        details["resyncProgressPercentage"] = progress
    return {"name": "i", "properties": {
        "friendlyName": "vm1", "protectionState": state, "protectionStateDescription": desc, "testFailoverState": tfo,
        "activeLocation": location, "replicationHealth": health, "providerSpecificDetails": details,
        "currentScenario": {"scenarioName": scenario, "jobId": "/x/replicationJobs/" + job}}}


@pytest.mark.parametrize("doc,phase", [
    (item("Protected"), "protected"),
    (item("EnablingFailed", "Protection couldn't be enabled", health="Critical"), "enable_failed"),
    (item("Protected", tfo="WaitingForCompletion"), "test_failover_pending_cleanup"),
    (item("Protected", tfo="MarkedForDeletion"), "protected"),  # stays so after a cleanup
    (item("Protected", tfo="MarkedForDeletion", scenario="TestFailoverCleanup", job="j"), "test_failover_cleaning_up"),
    (item("Protected", tfo="WaitingForCompletion", scenario="TestFailover", job="j"), "test_failover_pending_cleanup"),
    (item("UnplannedFailoverCommitted", "Failover committed", location="Recovery"), "committed"),
    (item("UnplannedFailoverCommitPendingStatesBegin", "Failover completed", location="Recovery"), "failed_over"),
    (item("SomethingNew", "Initial replication in progress"), "initial_replication"),
    (item("SomethingNew", "Brand new words"), "unknown"),
])
def test_phases(doc, phase):
    from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import running_job
    assert prov.phase_of(doc, running_job(doc)[0]) == phase


def test_a_running_enable_job_wins_over_the_state():
    assert prov.phase_of(item("ProtectedStatesBegin"), "EnableDr") == "enabling"


def test_a_failed_enable_stays_failed_while_its_job_is_still_the_current_scenario():
    assert prov.phase_of(item("EnablingFailed", health="Critical"), "EnableProtection") == "enable_failed"


def test_wave_status_per_machine():
    items = {"a": item("Protected"), "b": item("EnablingFailed", health="Critical"), "c": item("ProtectedStatesBegin", progress=40)}
    status = wave_status(items, ["A", "b", "c", "d"])
    assert {k: v[0] for k, v in status.items()} == {"A": "ready", "b": "failed", "c": "in_progress", "d": "missing"}
    assert status["c"][1]["progress_percent"] == 40


def test_a_machine_past_protected_counts_as_protected_for_a_wave_wait():
    """Re-running replicate on a wave that is in test failover or failed over must not wait for "protected" again."""
    items = {"t": item("Protected", tfo="WaitingForCompletion"),
             "f": item("UnplannedFailoverCommitPendingStatesBegin", "Failover completed", location="Recovery"),
             "e": item("ProtectedStatesBegin", progress=10)}
    status = wave_status(items, ["t", "f", "e"])
    assert {k: v[0] for k, v in status.items()} == {"t": "ready", "f": "ready", "e": "in_progress"}


MODERN = prov.provider("modernized")


def test_modernized_defaults_are_the_portals_default_policy():
    s = MODERN.policy_settings({})
    assert s["retention_hours"] == 72 and s["app_consistent_frequency_minutes"] == 0
    body = MODERN.policy_input(s)["properties"]["providerSpecificInput"]
    assert body == {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 4320, "appConsistentFrequencyInMinutes": 0,
                    "crashConsistentFrequencyInMinutes": 5, "enableMultiVmSync": "True"}


@pytest.mark.parametrize("kw,text", [
    ({"rpo_threshold_minutes": 60}, "modernized provider (InMageRcm) has no RPO threshold"),
    ({"retention_hours": 361}, "at most 15 days"),
    ({"app_consistent_frequency_minutes": 30}, "0 (off) or 60 to 720"),
])
def test_modernized_limits_name_the_provider_or_the_limit(kw, text):
    with pytest.raises(prov.InputError) as err:
        MODERN.policy_settings(kw)
    assert text in str(err.value)


def test_modernized_enable_input_uses_the_discovered_machine_and_the_test_network():
    spec = dict(policy_id="P", protectable_item_id="PI", process_server_id="PS", run_as_account_id="RA",
                target_resource_group_id="RG", target_network_id="N", target_subnet_id="N/subnets/snet-app",
                test_network_id="T", target_vm_name="vm1", log_storage_account_id="SA")
    body = MODERN.enable_input(spec)["properties"]
    d = body["providerSpecificDetails"]
    assert "protectableItemId" not in body  # PowerShell leaves it out for InMageRcm
    assert d["fabricDiscoveryMachineId"] == "PI" and d["targetSubnetName"] == "snet-app"
    assert d["testNetworkId"] == "T" and d["testSubnetName"] == "snet-app"
    assert d["disksDefault"] == {"diskType": "Standard_LRS", "logStorageAccountId": "SA"}


def test_modernized_failover_shuts_down_through_perform_shutdown():
    assert MODERN.unplanned_failover_details(None, True) == {"instanceType": "InMageRcm", "performShutdown": "true"}
    assert MODERN.test_failover_details("rp", "T") == {"instanceType": "InMageRcm", "networkId": "T", "recoveryPointId": "rp"}


ONLY = {"modernized": ("configuration_server",), "classic": ("appliance", "test_network")}


def test_an_option_of_the_other_provider_is_refused_naming_it_and_the_provider():
    assert prov.other_provider_settings({"provider": "classic", "configuration_server": "cs", "appliance": None}, ONLY) is None
    assert prov.other_provider_settings({"provider": "classic", "appliance": "asr-1"}, ONLY) == (
        "appliance is a setting only for the modernized provider; this task uses provider classic (InMageAzureV2, a configuration server).")
    assert prov.other_provider_settings({"provider": "classic", "appliance": "asr-1", "test_network": "vnet-t"}, ONLY).startswith(
        "appliance, test_network are settings only for the modernized provider")
    assert prov.other_provider_settings({"provider": "modernized", "configuration_server": "cs"}, ONLY) == (
        "configuration_server is a setting only for the classic provider; this task uses provider modernized "
        "(InMageRcm, a replication appliance).")
