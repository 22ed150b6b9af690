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
    assert d["targetVmTags"] == {"a": "x", "b": "2"}  # InMageAzureV2EnableProtectionInput: dict[str, str]
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


# -- issue 16: request shapes Azure takes (SDK 2.0.0 models), states as Azure reports them --------------------------
def classic_spec(**kw):
    return dict(dict(policy_id="P", protectable_item_id="PI", process_server_id="PS", run_as_account_id="1",
                     target_resource_group_id="RG", target_network_id="/s/N", target_subnet_id="/s/N/subnets/snet-app",
                     target_vm_name="vm1", log_storage_account_id="SA"), **kw)


def test_classic_enable_sends_the_subnet_name_tags_as_a_map_and_the_group_id():
    d = CLASSIC.enable_input(classic_spec(tags={"env": "prod"}, multi_vm_group="grp", multi_vm_group_id="g-1"))["properties"][
        "providerSpecificDetails"]
    assert d["targetAzureSubnetId"] == "snet-app"  # what Az PowerShell sends (RecoveryAzureSubnetName)
    assert d["targetVmTags"] == {"env": "prod"}
    assert (d["multiVmGroupName"], d["multiVmGroupId"]) == ("grp", "g-1")


def test_classic_enable_makes_a_new_group_id_when_none_is_given():
    d = CLASSIC.enable_input(classic_spec())["properties"]["providerSpecificDetails"]
    assert d["multiVmGroupName"] == "vm1" and len(d["multiVmGroupId"]) == 36


def test_classic_group_id_is_the_existing_groups_of_the_same_name():
    items = [{"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "multiVmGroupName": "grp"}}},
             {"properties": {"providerSpecificDetails": {"instanceType": "InMageAzureV2", "multiVmGroupName": "other",
                                                         "multiVmGroupId": "g-other"}}},
             {"properties": {"providerSpecificDetails": {"instanceType": "InMageAzureV2", "multiVmGroupName": "GRP",
                                                         "multiVmGroupId": "g-1"}}}]
    assert CLASSIC.multi_vm_group_id(items, "grp") == "g-1"
    assert CLASSIC.multi_vm_group_id(items, "new") is None


def update_spec():
    return dict(target_vm_name="vm1", target_network_id="/s/N", target_vm_size=None, license_type=None, availability_set_id=None)


def rcm_item():
    return {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "vmNics": [
        {"nicId": "nic-2", "isPrimaryNic": "false", "isSelectedForFailover": "true", "sourceIPAddress": "10.0.2.5",
         "targetSubnetName": "snet-data", "testSubnetName": "snet-data-test", "targetIPAddress": "10.1.2.5",
         "targetIPAddressType": "Static", "testIPAddress": "10.9.2.5", "testIPAddressType": "Dynamic"},
        {"nicId": "nic-1", "isPrimaryNic": "true", "isSelectedForFailover": "true", "targetSubnetName": "snet-app",
         "testSubnetName": "snet-app-test", "targetIPAddress": "", "targetIPAddressType": "Dynamic",
         "testIPAddress": "10.9.1.4", "testIPAddressType": "Static", "targetNicName": "vm1-nic"}]}}}


def test_modernized_update_sends_every_nic_as_it_is_but_the_primary_nics_subnet():
    details = MODERN.update_input(update_spec(), rcm_item(), "snet-new")["properties"]["providerSpecificDetails"]
    assert details["vmNics"] == [
        {"nicId": "nic-2", "isPrimaryNic": "false", "isSelectedForFailover": "true", "targetSubnetName": "snet-data",
         "testSubnetName": "snet-data-test", "targetStaticIPAddress": "10.1.2.5"},
        {"nicId": "nic-1", "isPrimaryNic": "true", "isSelectedForFailover": "true", "targetSubnetName": "snet-new",
         "testSubnetName": "snet-app-test", "targetNicName": "vm1-nic", "testStaticIPAddress": "10.9.1.4"},
    ]
    assert MODERN.nic_subnet(rcm_item()) == "snet-app"


def test_modernized_update_body_is_valid_for_the_sdk_model():
    from azure.mgmt.recoveryservicessiterecovery import models
    details = MODERN.update_input(update_spec(), rcm_item(), "snet-new")["properties"]["providerSpecificDetails"]
    model = models.InMageRcmUpdateReplicationProtectedItemInput(details)
    assert [nic.is_primary_nic for nic in model.vm_nics] == ["false", "true"]
    known = set(models.InMageRcmNicInput._attr_to_rest_field[k]._rest_name for k in models.InMageRcmNicInput._attr_to_rest_field)
    assert all(set(nic) <= known for nic in details["vmNics"])


def classic_item():
    return {"properties": {"providerSpecificDetails": {"instanceType": "InMageAzureV2", "selectedSourceNicId": "nic-1",
                                                       "vmNics": [
                                                           {"nicId": "nic-0", "selectionType": "NotSelected",
                                                            "ipConfigs": [{"name": "ipconfig1", "isPrimary": True, "recoverySubnetName": "snet-other"}]},
                                                           {"nicId": "nic-1", "selectionType": "SelectedByUser",
                                                            "ipConfigs": [{"name": "ipconfig1", "isPrimary": True, "isSeletedForFailover": True,
                                                                           "recoverySubnetName": "snet-app", "recoveryStaticIPAddress": "10.1.1.4"}]}]}}}


def test_classic_subnet_is_read_and_updated_in_the_primary_nics_ip_config():
    assert CLASSIC.nic_subnet(classic_item()) == "snet-app"
    body = CLASSIC.update_input(update_spec(), classic_item(), "snet-new")["properties"]
    assert "recoveryVMSubnetName" not in str(body)
    assert body["vmNics"][1] == {"nicId": "nic-1", "selectionType": "SelectedByUser", "ipConfigs": [
        {"ipConfigName": "ipconfig1", "isPrimary": True, "isSeletedForFailover": True, "recoverySubnetName": "snet-new",
         "recoveryStaticIPAddress": "10.1.1.4"}]}
    assert body["vmNics"][0]["ipConfigs"][0]["recoverySubnetName"] == "snet-other"


def test_an_existing_item_in_unprotected_states_begin_is_being_enabled():
    assert prov.phase_of(item("UnprotectedStatesBegin")) == "enabling"


def test_a_finished_test_failover_left_as_current_scenario_is_not_running():
    doc = item("Protected", tfo="None", scenario="TestFailover", job="j")
    assert prov.phase_of(doc, "TestFailover") == "protected"  # the job was not read: currentScenario alone says nothing
    assert prov.phase_of(doc, "TestFailover", "InProgress") == "test_failover_running"
    assert prov.phase_of(doc, "TestFailover", "Succeeded") == "protected"


def test_a_failed_enable_job_is_a_failed_enable():
    assert prov.phase_of(item("EnablingProtection"), "EnableDr", "Failed") == "enable_failed"
    assert prov.phase_of(item("EnablingProtection"), "EnableDr", "InProgress") == "enabling"


def test_critical_health_during_initial_replication_is_a_warning_not_a_failure():
    doc = item("ProtectedStatesBegin", health="Critical", progress=35)
    doc["properties"]["healthErrors"] = [{"errorCode": "78052", "errorMessage": "The RPO is over its threshold."}]
    status = wave_status({"vm1": doc}, ["vm1"])
    result, summary = status["vm1"]
    assert result == "in_progress"
    assert "Critical" in summary["warning"] and "78052: The RPO is over its threshold." in summary["warning"]


def test_a_suspended_job_fails_its_machine_with_what_to_do():
    doc = item("EnablingProtection", scenario="EnableDr", job="job-7")
    result, summary = wave_status({"vm1": doc}, ["vm1"], job_states={"job-7": "Suspended"})["vm1"]
    assert result == "failed"
    assert "job-7" in summary["suspended_job"] and "Resume-AzRecoveryServicesAsrJob -Name job-7" in summary["suspended_job"]
