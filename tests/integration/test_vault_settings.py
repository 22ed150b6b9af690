"""vault_settings through ansible-playbook: the seeded Government vault rsv-backup-gov has public network access
disabled, a private endpoint (pe-rsv-backup-gov), classic alerts off, immutability unlocked, soft delete kept 30 days,
geo-redundant storage with cross region restore, and two diagnostic settings (to a Log Analytics workspace and to a
storage account of the Government cloud). Its settings are carried to a new, empty vault in eastus."""

import json
import sys

import pytest

from conftest import ROOT, assert_ok

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import client_kwargs, clients, credential  # noqa: E402

VAULT, RG = "rsv-it-settings-eastus", "rg-it-settings"
SA = "stitsettingsdiag"
WRITES = ("PUT", "POST", "PATCH", "DELETE")
DS_VERSION = {"api-version": "2021-05-01-preview"}


def last_id(admin):
    log = admin.requests(limit=100000)
    return log[-1]["id"] if log else 0


def writes(admin, since):
    return [r for r in admin.requests(since=since) if r["method"] in WRITES and r["port"] not in ("login", "admin")]


@pytest.fixture(scope="module")
def env(simulator, admin, tmp_path_factory):
    admin.seed({"public": {"resource_groups": [{"name": RG, "location": "eastus"}],
                           "storage_accounts": [{"name": SA, "resource_group": RG, "location": "eastus",
                                                 "sku": "Standard_LRS", "kind": "StorageV2"}]}})
    from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient

    rm, rs = clients(simulator, "public", polling_interval=0)
    rs.vaults.begin_create_or_update(RG, VAULT, {"location": "eastus", "sku": {"name": "Standard"}, "properties": {}}).result()
    gov_sub, pub_sub = (simulator["clouds"][c]["subscription_id"] for c in ("gov", "public"))
    backup = RecoveryServicesBackupClient(credential(simulator, "public"), pub_sub,
                                          **client_kwargs(simulator, "public", polling_interval=0))
    destinations = {
        "/subscriptions/%s/resourceGroups/rg-app-gov/providers/Microsoft.Storage/storageAccounts/stdiagappgov" % gov_sub:
        "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/%s" % (pub_sub, RG, SA)}
    return {"rm": rm, "rs": rs, "backup": backup, "destinations": destinations, "pub_sub": pub_sub,
            "tmp": tmp_path_factory.mktemp("vs")}


def run(runner, env, check=False, diff=False, expect_failure=False, **extra):
    result_file = env["tmp"] / "result.json"
    if result_file.exists():
        result_file.unlink()
    variables = dict(result_file=str(result_file), target_vault=VAULT, target_vault_resource_group=RG,
                     expect_failure=expect_failure)
    variables.update(extra)
    variables.setdefault("diagnostic_destinations", env["destinations"])
    done = runner.run("vault_settings.yml", variables, check=check, diff=diff)
    if not expect_failure:
        assert_ok(done)
    return json.loads(result_file.read_text()) if result_file.exists() else {}, done


def target_vault(env):
    return env["rs"].vaults.get(RG, VAULT).as_dict()


def target_diagnostics(env):
    from azure.core.rest import HttpRequest

    url = target_vault(env)["id"] + "/providers/Microsoft.Insights/diagnosticSettings"
    return {d["name"]: d["properties"] for d in env["rm"].send_request(HttpRequest("GET", url, params=DS_VERSION)).json()["value"]}


def test_bad_destination_mapping_fails_before_any_request(runner, admin, env):
    since = last_id(admin)
    result, done = run(runner, env, expect_failure=True, diagnostic_destinations={"stdiagappgov": "stitsettingsdiag"})
    assert result.get("failed") is True and "diagnostic_destinations maps resource ids" in result["msg"]
    assert [r for r in admin.requests(since=since) if r["port"] != "admin"] == []


def test_missing_target_vault_is_a_clear_error(runner, admin, env):
    result, _done = run(runner, env, expect_failure=True, settings=["alerts"], target_vault="rsv-it-settings-nosuch")
    assert result.get("failed") is True
    assert "rsv-it-settings-nosuch was not found in resource group %s" % RG in result["msg"]


def test_check_mode_shows_the_differences_and_writes_nothing(runner, admin, env):
    since = last_id(admin)
    result, done = run(runner, env, check=True, diff=True)
    assert result["changed"] is True
    carried = result["carried"]
    assert carried["network_access"] == {"before": {"publicNetworkAccess": "Enabled"},
                                         "after": {"publicNetworkAccess": "Disabled"}, "changed": True}
    assert carried["soft_delete"]["after"]["softDeleteRetentionPeriodInDays"] == 30
    assert carried["storage_redundancy"]["after"]["crossRegionRestoreFlag"] is True
    assert list(carried["diagnostic_settings"]["after"]) == ["diag-to-storage"]
    assert sorted((n["setting"], n["item"].split(".")[0]) for n in result["not_carried"]) == [
        ("diagnostic_settings", "diag-to-workspace"), ("private_endpoints", "pe-rsv-backup-gov")]
    assert '"publicNetworkAccess": "Disabled"' in done.output  # the diff's after
    assert writes(admin, since) == []
    assert target_vault(env)["properties"]["publicNetworkAccess"] == "Enabled"


def test_run_carries_the_settings_and_reports_the_private_endpoint(runner, env):
    result, _done = run(runner, env, diff=True)
    assert result["changed"] is True
    props = target_vault(env)["properties"]
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["monitoringSettings"]["classicAlertSettings"] == {"alertsForCriticalOperations": "Disabled",
                                                                   "emailNotificationsForSiteRecovery": "Disabled"}
    assert props["securitySettings"]["immutabilitySettings"]["state"] == "Unlocked"
    config = env["backup"].backup_resource_vault_configs.get(VAULT, RG).as_dict()["properties"]
    assert (config["softDeleteFeatureState"], config["softDeleteRetentionPeriodInDays"],
            config["enhancedSecurityState"]) == ("Enabled", 30, "Enabled")
    storage = env["backup"].backup_resource_storage_configs_non_crr.get(VAULT, RG).as_dict()["properties"]
    assert storage["storageModelType"] == "GeoRedundant" and storage["crossRegionRestoreFlag"] is True

    diagnostics = target_diagnostics(env)
    assert list(diagnostics) == ["diag-to-storage"]
    assert diagnostics["diag-to-storage"]["storageAccountId"] == env["destinations"][next(iter(env["destinations"]))]
    assert diagnostics["diag-to-storage"]["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]

    [pe] = [n for n in result["not_carried"] if n["setting"] == "private_endpoints"]
    assert pe["item"].startswith("pe-rsv-backup-gov")
    assert "cannot move to another cloud" in pe["reason"] and "AzureBackup" in pe["reason"]
    assert VAULT in pe["what_to_do"]
    [ws] = [n for n in result["not_carried"] if n["setting"] == "diagnostic_settings"]
    assert ws["item"] == "diag-to-workspace" and "workspaces/log-app-gov" in ws["reason"]


def test_second_run_changes_nothing_and_writes_nothing(runner, admin, env):
    since = last_id(admin)
    result, _done = run(runner, env, diff=True)
    assert result["changed"] is False
    assert all(not c["changed"] for c in result["carried"].values())
    assert len(result["not_carried"]) == 2  # still said, every run
    assert writes(admin, since) == []


def test_excluded_settings_are_neither_read_nor_reported(runner, env):
    result, _done = run(runner, env, exclude=["private_endpoints", "diagnostic_settings"])
    assert result["changed"] is False and result["not_carried"] == []
    assert "diagnostic_settings" not in result["carried"] and "private_endpoints" not in result["carried"]
