"""backup_relocation through ansible-playbook: the seeded Government vault rsv-backup-gov (DailyPolicy-gov, 23:00 UTC,
30 daily and 12 weekly recovery points) protects vm-app-win01 (5 points) and vm-app-lnx01 (3 points); their moved VMs
are seeded in eastus, and the backup follows them into a public vault."""

import json
import sys

import pytest

from conftest import ROOT, assert_ok

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import client_kwargs, clients, credential  # noqa: E402

OLD_VAULT, OLD_RG = "rsv-backup-gov", "rg-app-gov"
VAULT, RG, VM_RG = "rsv-it-backup-eastus", "rg-it-backup", "rg-it-backup-vms"
WRITES = ("PUT", "POST", "PATCH", "DELETE")


def backup(simulator, cloud):
    from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
    return RecoveryServicesBackupClient(credential(simulator, cloud), simulator["clouds"][cloud]["subscription_id"],
                                        **client_kwargs(simulator, cloud, polling_interval=0))


def item(client, vault, rg, vm_rg, vm):
    key = "iaasvmcontainerv2;%s;%s" % (vm_rg, vm)
    return client.protected_items.get(vault, rg, "Azure", "iaasvmcontainer;" + key, "vm;" + key).as_dict()["properties"]


def points(client, vm_rg, vm):
    key = "iaasvmcontainerv2;%s;%s" % (vm_rg, vm)
    return list(client.recovery_points.list(OLD_VAULT, OLD_RG, "Azure", "iaasvmcontainer;" + key, "vm;" + key))


def last_id(admin):
    log = admin.requests(limit=100000)
    return log[-1]["id"] if log else 0


def writes(admin, since):
    return [r for r in admin.requests(since=since) if r["method"] in WRITES and r["port"] not in ("login", "admin")]


def vm_seed(name, ip):
    return {"name": name, "resource_group": VM_RG, "location": "eastus", "private_ip": ip, "vnet": "vnet-it-backup"}


@pytest.fixture(scope="module")
def env(simulator, admin, tmp_path_factory):
    admin.seed({"public": {"resource_groups": [{"name": RG, "location": "eastus"}, {"name": VM_RG, "location": "eastus"}],
                           "virtual_machines": [vm_seed("vm-app-win01", "10.40.0.4"), vm_seed("vm-app-lnx01", "10.40.0.5")]}})
    _rm, rs = clients(simulator, "public")
    rs.vaults.begin_create_or_update(RG, VAULT, {"location": "eastus", "sku": {"name": "Standard"}, "properties": {}}).result()
    return {"gov": backup(simulator, "gov"), "public": backup(simulator, "public"), "tmp": tmp_path_factory.mktemp("bk")}


def run(runner, env, vm, vm_rg, check=False, diff=False, expect_failure=False, **extra):
    result_file = env["tmp"] / "result.json"
    variables = dict(extra, result_file=str(result_file), source_vm=vm, source_vm_resource_group=vm_rg, vault=VAULT,
                     resource_group=RG, target_vm_resource_group=VM_RG, expect_failure=expect_failure)
    done = runner.run("backup_relocation.yml", variables, check=check, diff=diff)
    if not expect_failure:
        assert_ok(done)
    return json.loads(result_file.read_text()) if result_file.exists() else {}, done


def test_delete_without_confirmation_is_refused_before_any_request(runner, admin, env):
    since = last_id(admin)
    done = runner.run("backup_relocation.yml", {"source_vm": "vm-app-win01", "source_vm_resource_group": OLD_RG,
                                                "vault": VAULT, "resource_group": RG, "target_vm_resource_group": VM_RG,
                                                "old_data": "delete", "result_file": str(env["tmp"] / "refused.json")})
    assert done.returncode != 0
    assert "confirm_delete_old_data" in done.output
    assert [r for r in admin.requests(since=since) if r["port"] != "admin"] == []


def test_check_mode_says_what_would_happen_and_writes_nothing(runner, admin, env):
    since = last_id(admin)
    result, done = run(runner, env, "vm-app-win01", OLD_RG, check=True, diff=True)
    assert result["changed"] is True and result["had_backup"] is True
    assert [a.split(" ")[0] for a in result["actions"]] == ["create", "enable", "stop"], result["actions"]
    assert result["recovery_points"]["count"] == 5
    assert result["policy"]["created"] is True and result["policy"]["settings"]["times"] == ["23:00"]
    assert "rsv-backup-gov" in done.output and "ProtectionStopped" in done.output  # the diff
    assert writes(admin, since) == []
    assert item(env["gov"], OLD_VAULT, OLD_RG, OLD_RG, "vm-app-win01")["protectionState"] == "Protected"


def test_interrupted_after_new_protection_then_rerun_finishes(runner, admin, env):
    # The old vault refuses the stop once, after the new vault already protects the moved VM.
    admin.add_fault(kind="status", status=409, code="UserErrorBackupOperationInProgress", count=1, method="PUT",
                    message="Another operation is in progress on this item.",
                    path_regex="vaults/rsv-backup-gov/backupFabrics/Azure/protectionContainers/.*/protectedItems/")
    before = len(points(env["gov"], OLD_RG, "vm-app-win01"))
    result, done = run(runner, env, "vm-app-win01", OLD_RG, expect_failure=True)
    assert result.get("failed") is True
    assert "UserErrorBackupOperationInProgress" in done.output and "Another operation" in done.output
    assert item(env["public"], VAULT, RG, VM_RG, "vm-app-win01")["protectionState"] == "IRPending"
    assert item(env["gov"], OLD_VAULT, OLD_RG, OLD_RG, "vm-app-win01")["protectionState"] == "Protected"

    result, _done = run(runner, env, "vm-app-win01", OLD_RG)
    assert result["changed"] is True
    assert [a.split(" ")[0] for a in result["actions"]] == ["stop"], result["actions"]
    old = item(env["gov"], OLD_VAULT, OLD_RG, OLD_RG, "vm-app-win01")
    assert old["protectionState"] == "ProtectionStopped" and not old["policyId"]
    assert len(points(env["gov"], OLD_RG, "vm-app-win01")) == before == 5
    assert result["recovery_points"]["count"] == 5 and result["old_protection"]["state"] == "stopped"

    # The new vault protects the moved VM with an equivalent policy of the same name.
    new = item(env["public"], VAULT, RG, VM_RG, "vm-app-win01")
    assert new["policyId"].endswith("/backupPolicies/DailyPolicy-gov")
    assert new["sourceResourceId"].endswith("/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/vm-app-win01"
                                            % VM_RG)
    policy = env["public"].protection_policies.get(VAULT, RG, "DailyPolicy-gov").as_dict()["properties"]
    old_policy = env["gov"].protection_policies.get(OLD_VAULT, OLD_RG, "DailyPolicy-gov").as_dict()["properties"]
    for key in ("schedulePolicy", "retentionPolicy", "timeZone", "instantRpRetentionRangeInDays", "policyType"):
        assert policy[key] == old_policy[key], key


def test_second_run_changes_nothing_and_writes_nothing(runner, admin, env):
    since = last_id(admin)
    result, _done = run(runner, env, "vm-app-win01", OLD_RG, diff=True)
    assert result["changed"] is False and result["actions"] == []
    assert result["new_protection"]["policy"] == "DailyPolicy-gov"
    assert writes(admin, since) == []


def test_delete_old_data_with_confirmation_then_rerun(runner, admin, env):
    result, _done = run(runner, env, "vm-app-lnx01", "rg-linux-gov", old_data="delete", confirm_delete_old_data=True)
    assert result["changed"] is True and result["recovery_points"]["count"] == 3
    # The policy made for vm-app-win01 is reused; the old item is soft-deleted (purged after 14 days).
    assert [a.split(" ")[0] for a in result["actions"]] == ["enable", "stop"], result["actions"]
    assert "delete its recovery points" in result["actions"][1]
    assert item(env["gov"], OLD_VAULT, OLD_RG, "rg-linux-gov", "vm-app-lnx01")["isScheduledForDeferredDelete"] is True
    assert item(env["public"], VAULT, RG, VM_RG, "vm-app-lnx01")["protectionState"] == "IRPending"
    since = last_id(admin)
    result, _done = run(runner, env, "vm-app-lnx01", "rg-linux-gov", old_data="delete", confirm_delete_old_data=True)
    assert result["changed"] is False and writes(admin, since) == []


def test_role_on_the_relocated_wave_changes_nothing(runner, admin, env):
    """The role per inventory host (azmove_name, azmove_resource_group), delegated to the controller."""
    result_file = env["tmp"] / "role.json"
    since = last_id(admin)
    done = runner.run("backup_relocation_role.yml", {
        "wave": [{"name": "vm-app-win01", "resource_group": OLD_RG}, {"name": "vm-app-lnx01", "resource_group": "rg-linux-gov"}],
        "vault": VAULT, "resource_group": RG, "target_vm_resource_group": VM_RG, "result_file": str(result_file)})
    assert_ok(done)
    results = json.loads(result_file.read_text())
    assert sorted(results) == ["vm-app-lnx01", "vm-app-win01"]
    assert all(r["changed"] is False and r["had_backup"] is True for r in results.values()), results
    assert results["vm-app-lnx01"]["old_protection"]["state"] == "deleted"
    assert writes(admin, since) == []


def test_machine_without_backup_is_ok_and_unchanged(runner, admin, env):
    since = last_id(admin)
    result, _done = run(runner, env, "vm-app-win02", OLD_RG)
    assert result["changed"] is False and result["had_backup"] is False and result["new_protection"] is None
    assert writes(admin, since) == []
