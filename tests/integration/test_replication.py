"""Replication end to end: a fresh vault in the public cloud to three Government machines protected by
Site Recovery, run twice; then every kind of bad input, refused before anything changes."""

import json
import os
from pathlib import Path

import pytest

from conftest import ROOT, assert_ok

WRITE_METHODS = ("PUT", "POST", "PATCH", "DELETE")
# The end-to-end tests run for both providers: modernized (InMageRcm, an appliance; the default) and classic.
PROVIDERS = ["modernized", "classic"]
SIM_PATH = str(ROOT / "tests" / "simulator")


def extra(simulator, tmp_path, **more):
    data = {
        "work_dir": str(tmp_path),
        "sim_state_dir": os.path.dirname(simulator["ca_bundle"]),
        "sim_pythonpath": SIM_PATH,
        "run_label": "first",
    }
    data.update(more)
    return data


def writes(admin, since):
    return [r for r in admin.requests(since=since, cloud="public") if r["method"] in WRITE_METHODS and r["port"] != "login"]


def last_request_id(admin):
    log = admin.requests(limit=100000)
    return log[-1]["id"] if log else 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wave_from_fresh_vault_to_protected_and_second_run_changes_nothing(runner, simulator, admin, tmp_path, provider):
    vault = "rsv-wave-" + provider
    done = runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=vault, provider=provider))
    assert_ok(done)
    first = json.loads((tmp_path / "results-first.json").read_text())

    assert first["vault"]["changed"]
    policy = first["policy"]
    assert policy["changed"] and policy["policy"]["retention_hours"] == 24
    if provider == "classic":
        assert first["key"]["changed"]
        assert oct(os.stat(first["key"]["path"]).st_mode & 0o777) == "0o600"
        server = first["server"]["configuration_servers"][0]
        assert server["friendly_name"] == "cs-gov-01" and server["process_servers"] and server["last_heartbeat"]
        assert policy["policy"]["provider"] == "InMageAzureV2" and policy["failback_policy"]["provider"] == "InMage"
        assert sorted(a["policy"] for a in policy["associations"]) == ["gov-to-public-24h", "gov-to-public-24h-failback"]
        # The configuration server adds the machines when asked (discoverProtectableItem).
        assert all(r["changed"] for r in first["added"]["results"])
    else:
        server = first["server"]["appliances"][0]
        assert server["friendly_name"].startswith("asr-") and server["healthy"]
        assert policy["policy"]["provider"] == "InMageRcm"
        assert [a["policy"] for a in policy["associations"]] == ["gov-to-public-24h"]
        # The appliance discovered them already (Add server): nothing to add.
        assert not any(r["changed"] for r in first["added"]["results"])
        # The test network is chosen when replication is enabled.
        assert all(m["target"]["test_network_id"].endswith("/vnet-test-eastus") for m in first["status"]["machines"])
    assert sorted(a["name"] for a in server["run_as_accounts"]) == ["linuxroot", "winadmin"]
    assert all(a["state"] == "Paired" for a in policy["associations"])

    # Modernized: the appliance discovered the guests, whose host names differ from the Azure VM names; each machine
    # was matched by its address. Classic: the configuration server knows them by the names they were added with.
    if provider == "modernized":
        assert [r["machine"]["friendly_name"] for r in first["added"]["results"]] == ["APPWIN01", "APPWIN02", "app-lnx01"]
        assert {r["machine"]["matched_by"] for r in first["added"]["results"]} == {"IP address"}
        assert all("/Microsoft.OffAzure/" in r["discovered_machine"]["id"] for r in first["enabled"]["results"])
    else:
        assert [r["machine"]["friendly_name"] for r in first["added"]["results"]] == ["vm-app-win01", "vm-app-win02", "vm-app-lnx01"]
    assert all(r["changed"] for r in first["enabled"]["results"])
    assert all(r["job"]["state"] == "Succeeded" for r in first["enabled"]["results"])

    wave = first["wave"]
    assert wave["counts"] == {"ready": 3, "failed": 0, "in_progress": 0, "missing": 0}
    assert all(v["phase"] == "protected" for v in wave["machines"].values())

    # Every machine is known by the name it was enabled under (its source VM's), whatever Site Recovery's friendly name.
    machines = {m["name"]: m for m in first["status"]["machines"]}
    assert set(machines) == {"vm-app-win01", "vm-app-win02", "vm-app-lnx01"}
    for machine in machines.values():
        assert machine["phase"] == "protected" and machine["provider"] == policy["policy"]["provider"]
        assert machine["replication_health"] == "Normal"
        assert machine["progress_percent"] == 100
        assert machine["rpo_seconds"] is not None
        assert "TestFailover" in machine["allowed_operations"]
        kinds = {p["consistency"] for p in machine["recovery_points"]}
        assert {"crash-consistent", "app-consistent"} <= kinds, machine["recovery_points"]
    assert first["status"]["phases"] == {"protected": 3}
    scenarios = {j["scenario"] for j in first["jobs"]["jobs"]}
    win01 = "APPWIN01" if provider == "modernized" else "vm-app-win01"  # jobs name the item by its friendly name
    assert len([j for j in first["jobs"]["jobs"] if j["target_object_name"] == win01]) >= 1, scenarios

    # Second run: nothing changes, and not a single write reaches Azure.
    mark = last_request_id(admin)
    again = runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="second"))
    assert_ok(again)
    second = json.loads((tmp_path / "results-second.json").read_text())
    for key in ("vault", "key", "policy"):
        assert not second[key]["changed"], key  # the key is skipped (not changed) for the modernized provider
    assert not any(r["changed"] for r in second["added"]["results"] + second["enabled"]["results"])
    assert writes(admin, mark) == [], writes(admin, mark)
    assert second["wave"]["polls"] >= 1

    # Check mode: a shorter retention and a bigger VM size would change the policy and every machine; nothing is sent.
    mark = last_request_id(admin)
    would = runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="check",
                                                     policy_retention=12, vm_size="Standard_D8s_v3"), check=True, diff=True)
    assert_ok(would)
    check = json.loads((tmp_path / "results-check.json").read_text())
    assert check["policy"]["changed"] and check["policy"]["policy"]["retention_hours"] == 12
    assert all(r["changed"] and r["changes"]["vm_size"] == "Standard_D8s_v3" for r in check["enabled"]["results"])
    assert writes(admin, mark) == [], writes(admin, mark)

    # For real: the VM size is a setting Azure updates in place.
    resized = runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="resized",
                                                       vm_size="Standard_D8s_v3"))
    assert_ok(resized)
    after = json.loads((tmp_path / "results-resized.json").read_text())
    assert all(r["changed"] for r in after["enabled"]["results"])
    assert {m["target"]["vm_size"] for m in after["status"]["machines"]} == {"Standard_D8s_v3"}
    assert after["status"]["phases"] == {"protected": 3}

    # The cache storage account is not: a clear error naming the setting, and nothing sent for it.
    mark = last_request_id(admin)
    refused = runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="refused",
                                                       vm_size="Standard_D8s_v3", cache_storage="stothercache",
                                                       expect_enable_errors=True))
    assert_ok(refused)
    result = json.loads((tmp_path / "results-refused.json").read_text())["enabled"]["results"][0]
    assert result["failed"] and "cannot change log_storage_account" in result["msg"]
    assert not [r for r in writes(admin, mark) if "replicationProtectedItems" in r["path"]]

    # A shorter retention updates the policy in place (UpdatePolicyInput, checked against the SDK model).
    shorter = runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="retention",
                                                       policy_retention=12, vm_size="Standard_D8s_v3"))
    assert_ok(shorter)
    policy = json.loads((tmp_path / "results-retention.json").read_text())["policy"]
    assert policy["changed"] and policy["policy"]["retention_hours"] == 12


@pytest.mark.parametrize("provider", PROVIDERS)
def test_bad_input_is_refused_before_anything_changes(runner, simulator, admin, tmp_path, provider):
    vault = "rsv-bad-input-" + provider
    mark = last_request_id(admin)
    done = runner.run("replication_bad_input.yml", extra(simulator, tmp_path, vault=vault, provider=provider))
    assert_ok(done)
    results = json.loads((tmp_path / "bad-input.json").read_text())
    server = "configuration server 'cs-gov-01'" if provider == "classic" else "replication appliance 'asr-"
    expected = {
        "malformed_ip": "ip_address '10.10.1.400' is not a valid IPv4 or IPv6 address",
        "unknown_os": "value of os_type must be one of: Windows, Linux",
        "retention_over_limit": "at most 24 hours on premium storage" if provider == "classic" else "at most 15 days (360 hours)",
        "unknown_account": "has no run-as account 'nobody'",
        "subnet_outside_network": "Subnet 'snet-elsewhere' is not in target network vnet-landing-eastus",
        "size_not_offered": "target_vm_size 'Standard_Nope_v9' is not offered in eastus",
        "unknown_process_server": "has no process server 'ps-missing'",
        "policy_not_associated": "is not associated with " + server,
    }
    for key, text in expected.items():
        result = results[key]
        assert result.get("failed"), (key, result)
        assert text in result["msg"], (key, result["msg"])
    for key in ("unknown_account", "unknown_process_server"):
        assert ("The " + server) in results[key]["msg"], results[key]["msg"]
    # Nothing was sent for the refused tasks: no premium policy, no replicated item, the one machine found.
    assert results["after"]["machines"] == []
    sent = [(r["method"], r["path"]) for r in writes(admin, mark) if vault in r["path"]]
    assert not [s for s in sent if "gov-premium" in s[1]], sent
    assert not [s for s in sent if "replicationProtectedItems" in s[1]], sent
    # A configuration server is asked to add the machine; an appliance has discovered it already.
    assert len([s for s in sent if s[1].endswith("/discoverProtectableItem")]) == (1 if provider == "classic" else 0), sent
    discovered = results["discovered"]
    assert discovered["machine"]["friendly_name"] == ("vm-app-win01" if provider == "classic" else "APPWIN01")


def test_a_foreign_vault_credentials_file_is_refused_by_the_configuration_server(runner, simulator, admin, tmp_path):
    from azsim import testing  # the configuration server's side

    done = runner.run("replication_bad_input.yml", extra(simulator, tmp_path, vault="rsv-creds-a", provider="classic", only_key=True))
    assert_ok(done)
    good = Path(tmp_path / "rsv-creds-a.VaultCredentials").read_text()
    foreign = good.replace("<ResourceName>rsv-creds-a</ResourceName>", "<ResourceName>rsv-someone-else</ResourceName>")
    for text, expected in ((foreign, "not found"),):  # expired and tampered files: tests/simulator
        try:
            admin.register_configuration_server(vault_credentials=text, name="cs-x", ip="10.10.1.11", accounts=[])
        except testing.AdminError as err:
            assert expected in str(err)
        else:
            raise AssertionError("a foreign vault credentials file was accepted")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_push_install_failure_reaches_the_user_then_a_rerun_after_the_fix_enables(runner, simulator, admin, tmp_path, provider):
    vault = "rsv-push-install-" + provider
    admin.set_host("10.10.1.5", local_account_token_filter_policy=0)
    try:
        done = runner.run("replication_one.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="broken"))
        assert_ok(done)
        broken = json.loads((tmp_path / "one-broken.json").read_text())
        enabled = broken["enabled"]
        assert enabled["failed"]
        assert "95107" in enabled["msg"]
        assert "LocalAccountTokenFilterPolicy" in enabled["msg"]  # Azure's recommended action
        job_id = enabled["error"]["job_id"]
        assert job_id and "job id %s" % job_id in enabled["msg"]
        wave = broken["wave"]
        assert wave["failed"] and wave["counts"]["failed"] == 1
        win02 = wave["machines"]["vm-app-win02"]
        assert win02["phase"] == "enable_failed"
        # The item's health error: the push-install code itself (classic), or the failed-enable error that
        # TestV2ARCMCommit records for an InMageRcm item (the push-install code is in the job's error above).
        health_code = "95107" if provider == "classic" else "310056"
        assert win02["health_errors"][0]["code"] == health_code
        assert "vm-app-win02: failed - " + health_code in wave["msg"]
    finally:
        admin.set_host("10.10.1.5", local_account_token_filter_policy=1)

    # The host is fixed: the same playbook removes the failed replication and enables it again.
    done = runner.run("replication_one.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="fixed"))
    assert_ok(done)
    fixed = json.loads((tmp_path / "one-fixed.json").read_text())
    assert fixed["enabled"]["changed"] and not fixed["enabled"].get("failed")
    assert fixed["enabled"]["retried"][0]["code"] == health_code
    assert fixed["wave"]["counts"]["ready"] == 1


def test_a_new_classic_enable_is_refused_unless_asked_for_in_a_vault_that_still_runs_classic(runner, simulator, admin, tmp_path):
    vault = "rsv-classic-retired"
    # Not asked for: refused by the collection, with Microsoft's dates, before anything is sent for the machine.
    mark = last_request_id(admin)
    done = runner.run("replication_one.yml", extra(simulator, tmp_path, vault=vault, provider="classic", run_label="refused",
                                                   allow_classic=False, existing_classic=False))
    assert_ok(done)
    enabled = json.loads((tmp_path / "one-refused.json").read_text())["enabled"]
    assert enabled["failed"] and "January 31, 2026" in enabled["msg"] and "allow_classic_enable" in enabled["msg"], enabled["msg"]
    assert not [r for r in writes(admin, mark) if "replicationProtectedItems" in r["path"]]

    # Asked for, in a vault that no longer runs classic: Azure says no.
    done = runner.run("replication_one.yml", extra(simulator, tmp_path, vault=vault, provider="classic", run_label="azure-says-no",
                                                   allow_classic=True, existing_classic=False))
    assert_ok(done)
    enabled = json.loads((tmp_path / "one-azure-says-no.json").read_text())["enabled"]
    assert enabled["failed"] and enabled["error"]["code"] == "ClassicExperienceRetired", enabled

    # Asked for, in a vault that still runs classic replication: enabled.
    sub = simulator["clouds"]["public"]["subscription_id"]
    admin.mark_classic_vault(sub, "rg-landing-eastus", vault)
    done = runner.run("replication_one.yml", extra(simulator, tmp_path, vault=vault, provider="classic", run_label="allowed",
                                                   allow_classic=True, existing_classic=False))
    assert_ok(done)
    allowed = json.loads((tmp_path / "one-allowed.json").read_text())
    assert allowed["enabled"]["changed"] and not allowed["enabled"].get("failed"), allowed["enabled"]
    assert allowed["wave"]["counts"]["ready"] == 1


def test_the_wave_wait_shows_progress_while_initial_replication_runs(runner, simulator, admin, tmp_path):
    admin.set_time_factor(0.005)  # initial replication of the 127 GB machine takes about 9 s
    try:
        done = runner.run("replication_one.yml", extra(simulator, tmp_path, vault="rsv-progress", run_label="slow"))
    finally:
        admin.set_time_factor(0)
    assert_ok(done)
    result = json.loads((tmp_path / "one-slow.json").read_text())
    assert result["wave"]["counts"]["ready"] == 1
    lines = [line for line in done.output.splitlines() if line.startswith("[localhost] ") and "in progress" in line]
    progress = [line for line in lines if "1 in progress" in line and "%" in line]
    assert len(progress) >= 2, done.output[-3000:]
    assert lines[-1].split("| ")[1].startswith("vm-app-win02 protected"), lines[-1]
    # One read of the vault's item list per poll, not one per machine.
    assert result["wave"]["polls"] >= len(progress)
