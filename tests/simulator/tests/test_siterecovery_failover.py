"""Site Recovery failover (classic InMageAzureV2 items) through the real SDK clients: test failover, cleanup,
unplanned failover with source shutdown, commit, complete migration; wrong-order refusals; quota and shutdown
failures; states while the jobs run."""
import types

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.recoveryservicessiterecovery import models as m

from azsim.testing import wait_until
from simhelpers import client_kwargs, credential
from test_siterecovery import RG, VAULT, discover, enable, env  # noqa: F401  # pylint: disable=unused-import

GOV_RG = "rg-fo-gov"
PROTECTED_OPS = {"UnplannedFailover", "DisableProtection", "TestFailover"}
FAILED_OVER_OPS = ["CompleteMigration", "Commit", "DisableProtection", "ChangePit"]
MACHINES = {  # name: (ip, os, size, host facts)
    "fo-win01": ("10.10.1.21", "Windows", "Standard_D2s_v3", {"local_account_token_filter_policy": 1}),
    "fo-win02": ("10.10.1.22", "Windows", "Standard_D2s_v3", {"local_account_token_filter_policy": 1}),
    "fo-quota": ("10.10.1.23", "Windows", "Standard_D2s_v3", {"local_account_token_filter_policy": 1}),
    "fo-shut": ("10.10.1.24", "Windows", "Standard_D2s_v3", {"local_account_token_filter_policy": 1,
                                                             "shutdown_fails": True}),
    "fo-lnx01": ("10.10.2.21", "Linux", "Standard_B2ms", {}),
}


@pytest.fixture(scope="module")
def fo(env, admin):  # noqa: F811
    """Gov source VMs in the Gov cloud's second subscription (other tests list the first one), compute and network
    clients for both clouds."""
    ep = env.ep
    gov_sub = ep["clouds"]["gov"]["subscriptions"][1]
    admin.seed({"gov": {"subscription_id": gov_sub, "virtual_networks": [{
        "name": "vnet-fo-gov", "resource_group": GOV_RG, "address_space": "10.10.0.0/16",
        "subnets": [{"name": "snet-app", "address_prefix": "10.10.1.0/24"},
                    {"name": "snet-linux", "address_prefix": "10.10.2.0/24"}]}],
        "virtual_machines": [{"name": name, "resource_group": GOV_RG, "size": size, "os_type": os_type,
                              "private_ip": ip, "vnet": "vnet-fo-gov", "host": facts, "os_disk_size_gb": 64,
                              "subnet": "snet-app" if os_type == "Windows" else "snet-linux",
                              "data_disks": [{"size_gb": 32}] if name == "fo-win01" else []}
                             for name, (ip, os_type, size, facts) in MACHINES.items()]}})
    pub = ep["clouds"]["public"]["subscription_id"]
    return types.SimpleNamespace(
        gov=ComputeManagementClient(credential(ep), gov_sub, **client_kwargs(ep)),
        compute=ComputeManagementClient(credential(ep, "public"), pub, **client_kwargs(ep, "public")),
        network=NetworkManagementClient(credential(ep, "public"), pub, **client_kwargs(ep, "public")),
        test_vnet=env.vnet.replace("vnet-landing-eastus", "vnet-test-eastus"), env=env, admin=admin)


def protect(fo, name, **over):
    ip, os_type, _size, _facts = MACHINES[name]
    pi = discover(fo.env, name, ip, os_type)
    account = "1" if os_type == "Windows" else "2"
    subnet = "snet-app" if os_type == "Windows" else "snet-linux"
    item = enable(fo.env, name, pi, account=account, targetAzureVmName=name, targetAzureSubnetId=subnet,
                  **over).result()
    assert item.properties.protection_state == "Protected"
    return item


def items(fo):
    return fo.env.asr.replication_protected_items


def get(fo, name):
    return items(fo).get(RG, VAULT, fo.env.f, fo.env.c, name)


def tfo_input(network):
    return {"properties": {"failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
                           "networkId": network, "providerSpecificDetails": {"instanceType": "InMageAzureV2"}}}


def fo_input(site="Required", point=None):
    psd = {"instanceType": "InMageAzureV2"}
    if point:
        psd["recoveryPointId"] = point
    return {"properties": {"failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": site,
                           "providerSpecificDetails": psd}}


def begin(fo, action, name, body=None):
    args = (RG, VAULT, fo.env.f, fo.env.c, name) + ((body,) if body is not None else ())
    return getattr(items(fo), "begin_" + action)(*args)


def refused(fo, action, name, body=None):
    with pytest.raises(HttpResponseError) as exc:
        begin(fo, action, name, body)
    assert exc.value.status_code == 400
    return exc.value.error.code, exc.value.error.message


def last_job(fo, scenario, name):
    return next(iter(fo.env.asr.replication_jobs.list(
        RG, VAULT, filter=f"JobName eq '{scenario}' and TargetObjectName eq '{name}'")))


def power(vm):
    return next(s.code for s in vm.instance_view.statuses if s.code.startswith("PowerState/"))


def snapshot(fo, name):
    """What must not change on a refused request: the item's view, its jobs, the public VMs."""
    p = get(fo, name).properties
    jobs = [j.name for j in fo.env.asr.replication_jobs.list(RG, VAULT, filter=f"TargetObjectName eq '{name}'")]
    return (p.protection_state, p.test_failover_state, p.active_location, p.allowed_operations,
            p.current_scenario.job_id, sorted(jobs), sorted(v.name for v in fo.compute.virtual_machines.list_all()))


# -- the whole path ----------------------------------------------------------------------------------------------
def test_full_migration_path(fo):
    asr, landing = fo.env.asr, "rg-landing-eastus"
    item = protect(fo, "fo-win01")
    pi_name = item.properties.protectable_item_id.rsplit("/", 1)[-1]

    done = begin(fo, "test_failover", "fo-win01", tfo_input(fo.test_vnet)).result()
    p = done.properties
    assert isinstance(done, m.ReplicationProtectedItem)
    assert (p.protection_state, p.protection_state_description) == ("Protected", "Cleanup test failover pending")
    assert (p.test_failover_state, p.test_failover_state_description) == ("WaitingForCompletion",
                                                                          "Waiting for user input")
    assert p.allowed_operations == ["TestFailoverCleanup"] and p.active_location == "Primary"
    assert p.current_scenario.scenario_name == "TestFailover" and p.last_successful_test_failover_time
    vm = fo.compute.virtual_machines.get(landing, "fo-win01-test", expand="instanceView")
    assert power(vm) == "PowerState/running" and vm.hardware_profile.vm_size == "Standard_D2s_v3"
    assert vm.location == "eastus" and vm.storage_profile.os_disk.create_option == "Attach"
    assert vm.storage_profile.os_disk.disk_size_gb == 64 and len(vm.storage_profile.data_disks) == 1
    nic_id = vm.network_profile.network_interfaces[0].id
    nic = fo.network.network_interfaces.get(landing, nic_id.rsplit("/", 1)[-1])
    ipc = nic.ip_configurations[0]
    assert ipc.subnet.id == fo.test_vnet + "/subnets/snet-app" and ipc.private_ip_address.startswith("10.30.1.")
    assert "fo-win01-test" in [v.name for v in fo.compute.virtual_machines.list(landing)]
    job = asr.replication_jobs.get(RG, VAULT, p.current_scenario.job_id.rsplit("/", 1)[-1]).properties
    assert [t.name for t in job.tasks] == ["VmTfoPrerequisitesCheck", "VmTfoInitiateFailover", "VmTfoPrepareTestVm",
                                           "VmTfoBootTestVm"]
    assert job.state == "Succeeded" and job.friendly_name == "Test failover" and job.target_object_name == "fo-win01"
    assert isinstance(job.custom_details, m.TestFailoverJobDetails)
    assert job.custom_details.network_name == "vnet-test-eastus"
    assert job.custom_details.protected_item_details[0].test_vm_name == "fo-win01-test"

    cleaned = begin(fo, "test_failover_cleanup", "fo-win01", {"properties": {"comments": "smoke tests passed"}}
                    ).result().properties
    assert cleaned.test_failover_state == "MarkedForDeletion"  # as recorded: stays after the cleanup
    assert set(cleaned.allowed_operations) == PROTECTED_OPS and cleaned.current_scenario.scenario_name == "None"
    assert cleaned.last_successful_test_failover_time == p.last_successful_test_failover_time
    with pytest.raises(ResourceNotFoundError):
        fo.compute.virtual_machines.get(landing, "fo-win01-test")
    with pytest.raises(ResourceNotFoundError):
        fo.network.network_interfaces.get(landing, nic_id.rsplit("/", 1)[-1])
    with pytest.raises(ResourceNotFoundError):
        fo.compute.disks.get(landing.upper(), vm.storage_profile.os_disk.managed_disk.id.rsplit("/", 1)[-1])
    cleanup_job = last_job(fo, "TestFailoverCleanup", "fo-win01").properties
    assert cleanup_job.custom_details.comments == "smoke tests passed"
    assert [t.name for t in cleanup_job.tasks] == ["VmTfoCleanupPreflightsCheck", "VmTfoEndFailover",
                                                   "VmTfoDeleteTestVm"]

    failed_over = begin(fo, "unplanned_failover", "fo-win01", fo_input("Required")).result().properties
    assert (failed_over.protection_state, failed_over.protection_state_description) == (
        "UnplannedFailoverCommitPendingStatesBegin", "Failover completed")
    assert failed_over.active_location == "Recovery" and failed_over.allowed_operations == FAILED_OVER_OPS
    assert failed_over.last_successful_failover_time and failed_over.current_scenario.scenario_name == "None"
    source = fo.gov.virtual_machines.get(GOV_RG, "fo-win01", expand="instanceView")
    assert power(source) == "PowerState/stopped"
    target = fo.compute.virtual_machines.get(landing, "fo-win01", expand="instanceView")
    assert power(target) == "PowerState/running"
    assert failed_over.provider_specific_details.target_vm_id.lower() == target.id.lower()
    tnic_name = target.network_profile.network_interfaces[0].id.rsplit("/", 1)[-1]
    tnic = fo.network.network_interfaces.get(landing, tnic_name)
    assert tnic.ip_configurations[0].subnet.id == fo.env.vnet + "/subnets/snet-app"
    point = failed_over.failover_recovery_point_id.rsplit("/", 1)[-1]
    assert asr.recovery_points.get(RG, VAULT, fo.env.f, fo.env.c, "fo-win01", point).id.lower() == \
        failed_over.failover_recovery_point_id.lower()
    fjob = last_job(fo, "UnplannedFailover", "fo-win01").properties
    assert fjob.friendly_name == "Unplanned failover" and fjob.state_description == "Completed"
    assert [t.name for t in fjob.tasks] == ["VmFailoverPrerequisitesCheck", "VmShutdownPrimary",
                                            "VmInitiateFailover", "VmPrepareRecoveryVm", "VmBootRecoveryVm"]
    assert isinstance(fjob.custom_details, m.FailoverJobDetails)

    committed = begin(fo, "failover_commit", "fo-win01").result().properties
    assert (committed.protection_state, committed.protection_state_description) == (
        "UnplannedFailoverCommitted", "Failover committed")
    assert committed.allowed_operations == ["CompleteMigration", "DisableProtection"]
    assert [t.name for t in last_job(fo, "CommitFailover", "fo-win01").properties.tasks] == [
        "VmCommitPrerequisitesCheck", "VmCommit"]
    code, msg = refused(fo, "failover_commit", "fo-win01")
    assert code == "OperationNotAllowed" and "already been committed" in msg

    begin(fo, "delete", "fo-win01", {"properties": {"disableProtectionReason": "MigrationComplete"}}).result()
    assert "fo-win01" not in [i.name for i in items(fo).list(RG, VAULT)]
    assert asr.replication_protectable_items.get(RG, VAULT, fo.env.f, fo.env.c, pi_name).properties \
        .protection_status == "Unprotected"
    assert power(fo.compute.virtual_machines.get(landing, "fo-win01", expand="instanceView")) == "PowerState/running"
    scenarios = [j.properties.scenario_name for j in asr.replication_jobs.list(
        RG, VAULT, filter="TargetObjectName eq 'fo-win01'")]
    assert scenarios == ["DisableDr", "CommitFailover", "UnplannedFailover", "TestFailoverCleanup", "TestFailover",
                         "EnableDr", "DiscoverProtectableItem"]


# -- refusals ----------------------------------------------------------------------------------------------------
def test_wrong_order_is_refused_and_changes_nothing(fo):
    protect(fo, "fo-win02")
    before = snapshot(fo, "fo-win02")
    cases = [("test_failover_cleanup", {"properties": {"comments": "x"}}, "OperationNotAllowed",
              "no test failover"),
             ("failover_commit", None, "OperationNotAllowed", "has not failed over"),
             ("test_failover", tfo_input(fo.test_vnet + "-missing"), "TargetNetworkNotFound",
              "vnet-test-eastus-missing"),
             ("unplanned_failover", fo_input(point="nope"), "RecoveryPointNotFound", "nope"),
             ("unplanned_failover", fo_input(site="Maybe"), "InvalidParameter", "sourceSiteOperations"),
             ("test_failover", dict(tfo_input(fo.test_vnet), properties=dict(
                 tfo_input(fo.test_vnet)["properties"], providerSpecificDetails={"instanceType": "InMageRcm"})),
              "InvalidParameter", "instanceType")]
    for action, body, want, text in cases:
        code, msg = refused(fo, action, "fo-win02", body)
        assert code == want and text in msg, (action, code, msg)
        assert snapshot(fo, "fo-win02") == before, action

    begin(fo, "test_failover", "fo-win02", tfo_input(fo.test_vnet)).result()
    pending = snapshot(fo, "fo-win02")
    for action, body, text in (("unplanned_failover", fo_input(), "waiting for cleanup"),
                               ("test_failover", tfo_input(fo.test_vnet), "already waiting for cleanup"),
                               ("failover_commit", None, "not allowed"),
                               ("delete", {"properties": {"disableProtectionReason": "NotSpecified"}}, "not allowed")):
        code, msg = refused(fo, action, "fo-win02", body)
        assert code == "OperationNotAllowed" and text in msg, (action, msg)
        assert snapshot(fo, "fo-win02") == pending, action
    assert power(fo.gov.virtual_machines.get(GOV_RG, "fo-win02", expand="instanceView")) == "PowerState/running"
    begin(fo, "test_failover_cleanup", "fo-win02", {"properties": {"comments": "done"}}).result()

    begin(fo, "unplanned_failover", "fo-win02", fo_input("NotRequired")).result()
    assert power(fo.gov.virtual_machines.get(GOV_RG, "fo-win02", expand="instanceView")) == "PowerState/running"
    code, msg = refused(fo, "unplanned_failover", "fo-win02", fo_input())
    assert code == "OperationNotAllowed" and "already failed over" in msg
    code, _msg = refused(fo, "test_failover", "fo-win02", tfo_input(fo.test_vnet))
    assert code == "OperationNotAllowed"
    begin(fo, "purge", "fo-win02").result()


def test_not_protected_is_refused(fo):
    fo.admin.set_host("10.10.9.41", reachable=False)
    pi = discover(fo.env, "fo-unreach", "10.10.9.41", "Windows")
    with pytest.raises(HttpResponseError):
        enable(fo.env, "fo-unreach", pi).result()
    assert get(fo, "fo-unreach").properties.protection_state == "EnablingFailed"
    for action, body in (("test_failover", tfo_input(fo.test_vnet)), ("unplanned_failover", fo_input()),
                         ("failover_commit", None), ("test_failover_cleanup", {"properties": {}})):
        code, msg = refused(fo, action, "fo-unreach", body)
        assert code == "OperationNotAllowed" and "EnablingFailed" in msg, (action, msg)
    begin(fo, "purge", "fo-unreach").result()


# -- failure paths -------------------------------------------------------------------------------------------------
def test_quota_failure_then_retry(fo):
    """The family quota (compute usages, admin knob) is 0: the failover job fails at the VM creation task."""
    protect(fo, "fo-quota", targetVmSize="Standard_D8s_v3")
    fo.admin.set_quota("public", "eastus", "standardDSv3Family", 0)
    try:
        with pytest.raises(HttpResponseError) as exc:
            begin(fo, "unplanned_failover", "fo-quota", fo_input("NotRequired")).result()
        assert "OperationNotAllowed" in str(exc.value)
        p = get(fo, "fo-quota").properties
        assert (p.protection_state, p.protection_state_description) == ("UnplannedFailoverFailed", "Failover failed")
        assert p.active_location == "Primary" and set(p.allowed_operations) == PROTECTED_OPS
        assert p.failover_health == "Critical" and p.health_errors[-1].error_code == "OperationNotAllowed"
        assert "exceeding approved standardDSv3Family Cores quota" in p.health_errors[-1].error_message
        job = last_job(fo, "UnplannedFailover", "fo-quota").properties
        assert job.state == "Failed"
        assert [t.state for t in job.tasks] == ["Succeeded", "Succeeded", "Failed", "NotStarted"]
        assert job.errors[0].service_error_details.code == "OperationNotAllowed"
        assert job.errors[0].task_id == "PrepareProtectedEntitiesTask"
        assert "fo-quota" not in [v.name for v in fo.compute.virtual_machines.list_all()]
        with pytest.raises(HttpResponseError) as exc:  # a test failover needs the quota too
            begin(fo, "test_failover", "fo-quota", tfo_input(fo.test_vnet)).result()
        assert get(fo, "fo-quota").properties.test_failover_state == "None"
        fo.admin.set_quota("public", "eastus", "standardDSv3Family", 100)
        fo.admin.restrict_size("public", "eastus", "Standard_D8s_v3")
        with pytest.raises(HttpResponseError) as exc:
            begin(fo, "test_failover", "fo-quota", tfo_input(fo.test_vnet)).result()
        assert "SkuNotAvailable" in str(exc.value)
        fo.admin.restrict_size("public", "eastus", "Standard_D8s_v3", restricted=False)
    finally:
        fo.admin.set_quota("public", "eastus", "standardDSv3Family", 100)
        fo.admin.restrict_size("public", "eastus", "Standard_D8s_v3", restricted=False)
    p = begin(fo, "unplanned_failover", "fo-quota", fo_input("NotRequired")).result().properties
    assert p.protection_state == "UnplannedFailoverCommitPendingStatesBegin" and p.failover_health == "Normal"
    assert p.health_errors == []
    assert fo.compute.virtual_machines.get("rg-landing-eastus", "fo-quota").hardware_profile.vm_size == \
        "Standard_D8s_v3"
    begin(fo, "purge", "fo-quota").result()


def test_source_shutdown_fails_but_failover_goes_on(fo):
    protect(fo, "fo-shut")
    assert fo.admin.host("10.10.1.24")["shutdown_fails"] is True
    p = begin(fo, "unplanned_failover", "fo-shut", fo_input("Required")).result().properties
    assert p.protection_state == "UnplannedFailoverCommitPendingStatesBegin" and p.active_location == "Recovery"
    job = last_job(fo, "UnplannedFailover", "fo-shut").properties
    assert (job.state, job.state_description) == ("Succeeded", "CompletedWithInformation")
    assert [t.state for t in job.tasks] == ["Succeeded", "Failed", "Succeeded", "Succeeded", "Succeeded"]
    warning = job.tasks[1].errors[0]
    assert warning.error_level == "Warning" and job.errors[0].service_error_details.code == "ShutdownPrimaryFailed"
    assert power(fo.gov.virtual_machines.get(GOV_RG, "fo-shut", expand="instanceView")) == "PowerState/running"
    assert power(fo.compute.virtual_machines.get("rg-landing-eastus", "fo-shut", expand="instanceView")) == \
        "PowerState/running"
    begin(fo, "purge", "fo-shut").result()


# -- states while the jobs run ---------------------------------------------------------------------------------------
def test_states_during_jobs(fo):
    """Factor 0.005: test failover 1.2 s, cleanup 0.8 s; 0.01: failover 3 s (the shutdown ends at 0.65 s)."""
    protect(fo, "fo-lnx01")
    fo.admin.set_time_factor(0.005)

    def watch(poller, *fields):
        seen = []
        while not poller.done():
            p = get(fo, "fo-lnx01").properties
            seen.append(tuple(getattr(p, f) if f != "scenario" else p.current_scenario.scenario_name for f in fields))
            poller.wait(0.1)
        return seen, poller.result().properties

    seen, p = watch(begin(fo, "test_failover", "fo-lnx01", tfo_input(fo.test_vnet)), "scenario",
                    "test_failover_state", "allowed_operations")
    assert ("TestFailover", "TestFailoverInitiated", []) in seen
    assert (p.current_scenario.scenario_name, p.test_failover_state) == ("TestFailover", "WaitingForCompletion")
    vm = fo.compute.virtual_machines.get("rg-landing-eastus", "fo-lnx01-test")
    assert vm.network_profile.network_interfaces  # Linux: the item's test subnet snet-linux
    nic = fo.network.network_interfaces.get("rg-landing-eastus", "fo-lnx01-test-nic")
    assert nic.ip_configurations[0].subnet.id.endswith("vnet-test-eastus/subnets/snet-linux")

    seen, p = watch(begin(fo, "test_failover_cleanup", "fo-lnx01", {"properties": {"comments": "ok"}}), "scenario",
                    "test_failover_state")
    assert ("TestFailoverCleanup", "MarkedForDeletion") in seen
    assert (p.current_scenario.scenario_name, p.test_failover_state) == ("None", "MarkedForDeletion")

    fo.admin.set_time_factor(0.01)
    poller = begin(fo, "unplanned_failover", "fo-lnx01", fo_input("Required"))
    first = get(fo, "fo-lnx01").properties
    assert (first.current_scenario.scenario_name, first.protection_state) == ("UnplannedFailover",
                                                                              "UnplannedFailoverInitiated")
    assert wait_until(lambda: power(fo.gov.virtual_machines.get(GOV_RG, "fo-lnx01", expand="instanceView")) ==
                      "PowerState/stopped", timeout=5, interval=0.05)
    assert not poller.done()  # the source is down before the job ends
    job = last_job(fo, "UnplannedFailover", "fo-lnx01").properties
    assert job.state == "InProgress" and job.tasks[1].state == "Succeeded" and job.allowed_actions == ["Cancel"]
    assert poller.result().properties.protection_state == "UnplannedFailoverCommitPendingStatesBegin"
    fo.admin.set_time_factor(0)
    assert begin(fo, "failover_commit", "fo-lnx01").result().properties.protection_state == \
        "UnplannedFailoverCommitted"
    begin(fo, "delete", "fo-lnx01", {"properties": {"disableProtectionReason": "MigrationComplete"}}).result()
