"""Azure Backup for Azure VMs (Microsoft.RecoveryServices/vaults/backup*) through azure-mgmt-recoveryservicesbackup."""
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from simhelpers import client_kwargs, credential

VAULT, RG = "rsv-backup-gov", "rg-app-gov"
WIN = ("iaasvmcontainer;iaasvmcontainerv2;rg-app-gov;vm-app-win01", "vm;iaasvmcontainerv2;rg-app-gov;vm-app-win01")
IAAS = "backupManagementType eq 'AzureIaasVM'"


def backup_client(ep, cloud="gov"):
    from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
    return RecoveryServicesBackupClient(credential(ep, cloud), ep["clouds"][cloud]["subscription_id"],
                                        **client_kwargs(ep, cloud, polling_interval=0))


def mine(client):
    """This test's VM among the vault's protectable items (other tests seed eastus VMs too)."""
    return [i for i in client.backup_protectable_items.list("rsv-bk", "rg-bk-selftest", filter=IAAS) if "vm-bk1" in i.name]


@pytest.fixture(scope="module")
def bk(ep):
    return backup_client(ep)


def test_seeded_policy_items_and_recovery_points(bk):
    policy = bk.protection_policies.get(VAULT, RG, "DailyPolicy-gov")
    props = policy.properties
    assert props.backup_management_type == "AzureIaasVM" and props.policy_type == "V1"
    assert props.schedule_policy.schedule_policy_type == "SimpleSchedulePolicy"
    assert props.schedule_policy.schedule_run_times[0].hour == 23
    assert props.retention_policy.daily_schedule.retention_duration.count == 30
    assert props.retention_policy.weekly_schedule.days_of_the_week == ["Sunday"]
    assert props.protected_items_count == 2
    assert [p.name for p in bk.backup_policies.list(VAULT, RG, filter=IAAS)] == ["DailyPolicy-gov"]

    items = list(bk.backup_protected_items.list(VAULT, RG, filter=IAAS + " and itemType eq 'VM'"))
    assert sorted(i.name for i in items) == ["vm;iaasvmcontainerv2;rg-app-gov;vm-app-win01",
                                             "vm;iaasvmcontainerv2;rg-linux-gov;vm-app-lnx01"]
    # 11.2 maps protectedItemType only one level deep, so a VM item is a plain ProtectedItem: read it as a dict.
    item = bk.protected_items.get(VAULT, RG, "Azure", *WIN).as_dict()["properties"]
    assert item["protectedItemType"] == "Microsoft.Compute/virtualMachines"
    assert item["protectionState"] == "Protected"
    assert item["policyId"].endswith("/backupPolicies/DailyPolicy-gov")
    assert item["extendedInfo"]["recoveryPointCount"] == 5
    rps = list(bk.recovery_points.list(VAULT, RG, "Azure", *WIN))
    assert len(rps) == 5 and all(r.properties.object_type == "IaasVMRecoveryPoint" for r in rps)
    assert rps[0].properties.recovery_point_time > rps[-1].properties.recovery_point_time  # newest first
    assert bk.protection_containers.get(VAULT, RG, "Azure", WIN[0]).as_dict()["properties"]["containerType"] == \
        "Microsoft.Compute/virtualMachines"


def test_policy_validation_and_not_found(bk):
    with pytest.raises(ResourceNotFoundError) as err:
        bk.protection_policies.get(VAULT, RG, "nope")
    assert err.value.error.code == "BMSUserErrorPolicyNotExist"
    body = bk.protection_policies.get(VAULT, RG, "DailyPolicy-gov").as_dict()
    body["properties"]["instantRpRetentionRangeInDays"] = 9
    with pytest.raises(HttpResponseError) as err:
        bk.protection_policies.create_or_update(VAULT, RG, "bad", {"properties": body["properties"]})
    assert err.value.error.code == "BMSUserErrorInvalidPolicyInput"


def test_enable_needs_discovery_then_stop_keeping_data_then_delete(ep, admin):
    pub = backup_client(ep, "public")
    sub = ep["clouds"]["public"]["subscription_id"]
    admin.seed({"public": {"resource_groups": [{"name": "rg-bk-selftest", "location": "eastus"}],
                           "virtual_machines": [{"name": "vm-bk1", "resource_group": "rg-bk-selftest",
                                                 "location": "eastus", "private_ip": "10.99.0.4"}]}})
    from simhelpers import clients
    _rm, rs = clients(ep, "public")
    rs.vaults.begin_create_or_update("rg-bk-selftest", "rsv-bk", {"location": "eastus", "sku": {"name": "Standard"},
                                                                  "properties": {}}).result()
    gov_policy = backup_client(ep).protection_policies.get(VAULT, RG, "DailyPolicy-gov").as_dict()
    made = pub.protection_policies.create_or_update("rsv-bk", "rg-bk-selftest", "p1",
                                                    {"properties": gov_policy["properties"]})
    assert made.properties.protected_items_count == 0
    vm_id = f"/subscriptions/{sub}/resourceGroups/rg-bk-selftest/providers/Microsoft.Compute/virtualMachines/vm-bk1"
    names = ("iaasvmcontainer;iaasvmcontainerv2;rg-bk-selftest;vm-bk1", "vm;iaasvmcontainerv2;rg-bk-selftest;vm-bk1")
    body = {"properties": {"protectedItemType": "Microsoft.Compute/virtualMachines", "sourceResourceId": vm_id,
                           "policyId": made.id}}
    assert mine(pub) == []
    with pytest.raises(HttpResponseError) as err:
        pub.protected_items.begin_create_or_update("rsv-bk", "rg-bk-selftest", "Azure", *names, body).result()
    assert err.value.error.code == "BMSUserErrorNeedsRefresh"

    pub.protection_containers.refresh("rsv-bk", "rg-bk-selftest", "Azure", filter=IAAS)
    found = mine(pub)
    assert [f.name for f in found] == [names[1]]
    assert found[0].as_dict()["properties"]["protectableItemType"] == "Microsoft.Compute/virtualMachines"
    assert found[0].as_dict()["properties"]["virtualMachineId"] == vm_id

    since = admin.requests()[-1]["id"]
    item = pub.protected_items.begin_create_or_update("rsv-bk", "rg-bk-selftest", "Azure", *names, body).result()
    assert item.as_dict()["properties"]["protectionState"] == "IRPending"
    assert item.as_dict()["properties"]["policyId"] == made.id
    put = list(admin.requests(since=since, method="PUT"))[-1]
    assert put["status"] == 202
    assert mine(pub) == []  # protected: no longer protectable

    stop = {"properties": {"protectedItemType": "Microsoft.Compute/virtualMachines", "sourceResourceId": vm_id,
                           "protectionState": "ProtectionStopped"}}
    item = pub.protected_items.begin_create_or_update("rsv-bk", "rg-bk-selftest", "Azure", *names, stop).result()
    assert item.as_dict()["properties"]["protectionState"] == "ProtectionStopped"
    assert not item.as_dict()["properties"]["policyId"]

    since = admin.requests()[-1]["id"]
    pub.protected_items.delete("rsv-bk", "rg-bk-selftest", "Azure", *names)
    assert [r["status"] for r in admin.requests(since=since, method="DELETE")] == [202]
    item = pub.protected_items.get("rsv-bk", "rg-bk-selftest", "Azure", *names).as_dict()["properties"]
    assert item["isScheduledForDeferredDelete"] is True  # soft delete (on by default) keeps it 14 days


def test_unknown_operation_is_not_found(ep):
    pub = backup_client(ep, "public")
    with pytest.raises(ResourceNotFoundError):
        pub.backup_operation_statuses.get("rsv-bk", "rg-bk-selftest", "00000000-0000-0000-0000-000000000000")
    gov_vm = backup_client(ep).protected_items.get(VAULT, RG, "Azure", *WIN).as_dict()["properties"]["sourceResourceId"]
    assert gov_vm.endswith("/virtualMachines/vm-app-win01")
