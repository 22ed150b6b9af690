"""The modernized provider (InMageRcm, a replication appliance), the default: a wave from a fresh vault to
machines moved, committed and migrated, and the settings only the other provider takes refused before any change."""

import json
import sys

from conftest import ROOT, assert_ok
from test_replication import extra, last_request_id, writes

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import client_kwargs, credential  # noqa: E402

TARGET_RG = "rg-modern-eastus"


def test_a_wave_through_a_replication_appliance_from_fresh_vault_to_migrated(runner, simulator, admin, tmp_path):
    from azure.mgmt.compute import ComputeManagementClient

    admin.seed({"public": {"resource_groups": [{"name": TARGET_RG, "location": "eastus"}]}})
    try:
        done = runner.run("modernized_move.yml", extra(simulator, tmp_path, vault="rsv-modern", target_rg=TARGET_RG))
        assert_ok(done)
    finally:
        with open(ROOT / "tests" / "simulator" / "seed" / "demo.json", encoding="utf-8") as handle:
            admin.seed({"gov": json.load(handle)["gov"]})  # the failover stopped the Government VMs
    res = json.loads((tmp_path / "modern-first.json").read_text())
    appliance = res["appliance"]["appliances"][0]
    assert appliance["friendly_name"] == "asr-appl-01" and appliance["healthy"]
    assert sorted(a["name"] for a in appliance["run_as_accounts"]) == ["linux-root", "win-admin"]
    assert res["policy"]["policy"]["provider"] == "InMageRcm" and res["policy"]["policy"]["retention_hours"] == 72
    assert [a["state"] for a in res["policy"]["associations"]] == ["Paired"]
    assert all(not r["changed"] for r in res["discovered"]["results"])  # the appliance added them
    assert all(r["changed"] and r["job"]["state"] == "Succeeded" for r in res["enabled"]["results"])
    assert res["wave"]["counts"]["ready"] == 2
    for machine in res["status"]["machines"]:
        assert machine["provider"] == "InMageRcm" and machine["phase"] == "protected"
        assert machine["progress_percent"] == 100 and machine["recovery_points"]
        assert machine["target"]["test_network_id"].endswith("/vnet-test-eastus")
    assert all(r["test_vm"]["power_state"] == "running" for r in res["tfo"]["results"])
    assert all(r["changed"] for r in res["cleanup"]["results"])
    assert all(r["source_shutdown"] == "succeeded" and r["target_vm"]["power_state"] == "running" for r in res["failover"]["results"])
    assert all(r["machine"]["phase"] == "committed" for r in res["commit"]["results"])
    assert all(r["changed"] for r in res["migrate"]["results"])
    public = ComputeManagementClient(credential(simulator, "public"), simulator["clouds"]["public"]["subscription_id"],
                                     **client_kwargs(simulator, "public"))
    assert sorted(vm.name for vm in public.virtual_machines.list(TARGET_RG)) == ["vm-app-lnx01", "vm-app-win02"]


def test_settings_of_the_other_provider_are_refused_before_anything_changes(runner, simulator, admin, tmp_path):
    mark = last_request_id(admin)
    done = runner.run("provider_mismatch.yml", extra(simulator, tmp_path, vault="rsv-mismatch"))
    assert_ok(done)
    res = json.loads((tmp_path / "mismatch.json").read_text())
    assert "InMageRcm) has no RPO threshold" in res["rpo"]["msg"]
    assert "configuration_servers is a setting of the classic provider" in res["servers"]["msg"]
    assert "configuration_server is a setting only for the classic provider" in res["machine"]["msg"]
    assert "test_network is a setting only for the modernized provider" in res["classic_test_network"]["msg"]
    assert "test_network is the production target network (vnet-landing-eastus)" in res["test_is_production"]["msg"]
    assert [r for r in writes(admin, mark) if "rsv-mismatch" in r["path"]] == []
