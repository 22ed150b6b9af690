"""The failover lifecycle end to end, the wrong orders refused, check mode, and a killed run resumed."""

import json
import subprocess
import sys
import time
import uuid

import pytest

from conftest import ROOT, RUN_MARKER, assert_ok, crash
from test_replication import PROVIDERS, extra, last_request_id, writes

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import asr_client, client_kwargs, credential  # noqa: E402

NAMES = ["vm-app-win01", "vm-app-win02", "vm-app-lnx01"]
SOURCE_RG = {"vm-app-win01": "rg-app-gov", "vm-app-win02": "rg-app-gov", "vm-app-lnx01": "rg-linux-gov"}
TARGET_RG = "rg-lifecycle-eastus"


def compute(ep, cloud):
    from azure.mgmt.compute import ComputeManagementClient
    return ComputeManagementClient(credential(ep, cloud), ep["clouds"][cloud]["subscription_id"], **client_kwargs(ep, cloud))


def network(ep, cloud):
    from azure.mgmt.network import NetworkManagementClient
    return NetworkManagementClient(credential(ep, cloud), ep["clouds"][cloud]["subscription_id"], **client_kwargs(ep, cloud))


def power(vm):
    return [s.code for s in vm.instance_view.statuses if s.code.startswith("PowerState/")][0].split("/")[1]


def vm_or_none(client, rg, name):
    from azure.core.exceptions import ResourceNotFoundError
    try:
        return client.virtual_machines.get(rg, name, expand="instanceView")
    except ResourceNotFoundError:
        return None


def subnet_of(ep, vm):
    nic_id = vm.network_profile.network_interfaces[0].id.split("/")
    nic = network(ep, "public").network_interfaces.get(nic_id[4], nic_id[-1])
    return nic.ip_configurations[0].subnet.id


@pytest.fixture(autouse=True)
def source_vms_restored(admin):
    """A failover shuts the Government VMs down; later tests need them running, as seeded."""
    yield
    with open(ROOT / "tests" / "simulator" / "seed" / "demo.json", encoding="utf-8") as handle:
        admin.seed({"gov": json.load(handle)["gov"]})


def protected_wave(runner, simulator, admin, tmp_path, vault, target_rg, provider):
    """Three protected machines replicating into their own target resource group."""
    admin.seed({"public": {"resource_groups": [{"name": target_rg, "location": "eastus"}]}})
    done = runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=vault, target_rg=target_rg, provider=provider,
                                                    run_label="setup"))
    assert_ok(done)


def results(tmp_path, label):
    return json.loads((tmp_path / ("lifecycle-%s.json" % label)).read_text())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_three_machines_through_the_whole_lifecycle_twice(runner, simulator, admin, tmp_path, provider):
    vault, target_rg = "rsv-lifecycle-" + provider, "%s-%s" % (TARGET_RG, provider)
    protected_wave(runner, simulator, admin, tmp_path, vault, target_rg, provider)
    ep = simulator
    gov, public = compute(ep, "gov"), compute(ep, "public")

    # Test failover, verified, then cleaned up: step by step, checking Azure in between.
    done = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="tfo", steps=["test", "verify"]))
    assert_ok(done)
    tfo = results(tmp_path, "tfo")
    for res in tfo["test"]["results"]:
        assert res["changed"] and res["machine"]["phase"] == "test_failover_pending_cleanup"
        vm = res["test_vm"]
        assert vm["power_state"] == "running" and vm["name"] == res["item"] + "-test"
        assert "/virtualNetworks/vnet-test-eastus/subnets/" in vm["subnet_ids"][0]
        assert res["recovery_point"]["consistency"] in ("crash-consistent", "app-consistent")
        assert power(vm_or_none(public, target_rg, res["item"] + "-test")) == "running"
    assert tfo["tested"]["counts"]["ready"] == 3

    done = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="cleanup", steps=["cleanup"]))
    assert_ok(done)
    for res in results(tmp_path, "cleanup")["cleanup"]["results"]:
        assert res["changed"] and res["machine"]["phase"] == "protected"
        assert vm_or_none(public, target_rg, res["item"] + "-test") is None

    # The move: source shut down first, target VM running in the target network; then commit and migrate.
    done = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="move", steps=["failover", "commit", "migrate"]))
    assert_ok(done)
    move = results(tmp_path, "move")
    for res in move["failover"]["results"]:
        name = res["item"]
        assert res["changed"] and res["source_shutdown"] == "succeeded"
        assert res["target_vm"]["power_state"] == "running"
        assert res["recovery_point"]["id"]
        assert power(gov.virtual_machines.get(SOURCE_RG[name], name, expand="instanceView")) in ("stopped", "deallocated")
        target = vm_or_none(public, target_rg, name)
        assert target is not None and power(target) == "running"
        assert "/virtualNetworks/vnet-landing-eastus/subnets/" in subnet_of(ep, target)
    assert all(r["changed"] and r["machine"]["phase"] == "committed" for r in move["commit"]["results"])
    # The commit recorded the move on both VMs: the record outlives the vault and its job history.
    for res in move["commit"]["results"]:
        name = res["item"]
        target_id = vm_or_none(public, target_rg, name).id
        assert [t["tag"] for t in res["move_recorded"]] == ["azmove-moved-to", "azmove-moved-from"], res
        assert gov.virtual_machines.get(SOURCE_RG[name], name).tags["azmove-moved-to"].lower() == target_id.lower()
        assert vm_or_none(public, target_rg, name).tags["azmove-moved-from"].lower().endswith("/virtualmachines/" + name)
    assert all(r["changed"] for r in move["migrate"]["results"])

    # Replication is gone, exactly one target VM per machine, no test VM left.
    items = list(asr_client(ep).replication_protected_items.list("rg-landing-eastus", vault))
    assert items == []
    names = sorted(vm.name for vm in public.virtual_machines.list(target_rg))
    assert names == sorted(NAMES)

    # Everything again: no change, no write.
    mark = last_request_id(admin)
    again = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="again",
                                              steps=["cleanup", "failover", "commit", "migrate", "reenable", "status"]))
    assert_ok(again)
    second = results(tmp_path, "again")
    for step in ("cleanup", "failover", "commit", "migrate", "reenable"):
        assert not any(r["changed"] for r in second[step]["results"]), step
    # Enabling replication again is refused quietly: the move is over, the source is retired.
    assert all(r["moved"] and r["machine"]["phase"] == "migrated" for r in second["reenable"]["results"])
    assert second["status"]["phases"] == {"migrated": 3}
    assert all(m["committed_at"] for m in second["status"]["machines"])
    assert writes(admin, mark) == []

    # Without the names the job history knows the machines by, the record on the source VMs alone says they moved.
    only_record = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=vault, provider=provider, run_label="record",
                                                    steps=["failover"], only_the_record=True))
    assert_ok(only_record)
    record = results(tmp_path, "record")
    assert all(not r["changed"] and r["machine"]["phase"] == "migrated" and r["machine"]["moved_to"]
               for r in record["failover"]["results"]), record["failover"]["results"]
    assert writes(admin, mark) == []


@pytest.fixture(params=PROVIDERS)
def protected(request, runner, simulator, admin, tmp_path):
    """(vault, target resource group, provider) of a freshly protected wave, for each provider."""
    suffix = uuid.uuid4().hex[:6]
    vault, target_rg = "rsv-order-" + suffix, "rg-order-" + suffix
    protected_wave(runner, simulator, admin, tmp_path, vault, target_rg, request.param)
    return vault, target_rg, request.param


def test_wrong_orders_are_refused_in_plain_words_and_change_nothing(runner, simulator, admin, tmp_path, protected):
    protected, _target_rg, provider = protected
    mark = last_request_id(admin)
    done = runner.run("lifecycle_wrong_order.yml", extra(simulator, tmp_path, vault=protected, provider=provider, run_label="order"))
    assert_ok(done)
    res = json.loads((tmp_path / "order.json").read_text())
    assert not res["cleanup_nothing"]["changed"] and not res["cleanup_nothing"].get("failed")
    assert "it has not failed over" in res["commit_early"]["msg"]
    assert "production target network" in res["tfo_production"]["msg"]
    assert "does not exist" in res["tfo_missing_network"]["msg"]
    assert "a test failover is pending cleanup: run the cleanup first" in res["failover_during_tfo"]["msg"]
    assert res["tfo_check"]["changed"] and "test_vm" not in res["tfo_check"]
    assert res["failover_check"]["changed"] and "target_vm" not in res["failover_check"]
    sent = [(r["method"], r["path"]) for r in writes(admin, mark) if protected in r["path"]]
    # Only the one real test failover of the playbook reached Azure.
    assert len([p for _m, p in sent if p.endswith("/testFailover")]) == 1, sent
    assert not [p for _m, p in sent if p.endswith(("/unplannedFailover", "/failoverCommit"))], sent


@pytest.mark.parametrize("step,action", [("failover", "/unplannedFailover"), ("commit", "/failoverCommit")])
def test_killing_ansible_mid_step_and_rerunning_ends_in_one_move(runner, simulator, admin, tmp_path, protected, step, action):
    protected, target_rg, provider = protected
    if step == "commit":
        done = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=protected, provider=provider, run_label="pre", steps=["failover"],
                                                 names=["vm-app-lnx01"]))
        assert_ok(done)
    admin.set_time_factor(0.01)  # long enough to interrupt the job
    try:
        mark = last_request_id(admin)
        cmd, env = runner.command("lifecycle.yml", extra(simulator, tmp_path, vault=protected, provider=provider, run_label="killed",
                                                         steps=[step], names=["vm-app-lnx01"]))
        marker = uuid.uuid4().hex
        proc = subprocess.Popen(cmd, env=dict(env, **{RUN_MARKER: marker}), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline and not [r for r in writes(admin, mark) if r["path"].endswith(action)]:
            time.sleep(0.2)
        crash(marker)  # ansible's workers and their modules too, not only ansible-playbook
        proc.wait()
        assert [r for r in writes(admin, mark) if r["path"].endswith(action)], "the step never started"
        done = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=protected, provider=provider, run_label="resumed", steps=[step],
                                                 names=["vm-app-lnx01"]))
    finally:
        admin.set_time_factor(0)
    assert_ok(done)
    started = [r for r in writes(admin, mark) if r["path"].endswith(action) and protected in r["path"]]
    assert len(started) == 1, started  # the re-run followed the job; it did not start a second one
    res = results(tmp_path, "resumed")[step]["results"][0]
    assert res["machine"]["phase"] == ("committed" if step == "commit" else "failed_over")
    public = compute(simulator, "public")
    assert [vm.name for vm in public.virtual_machines.list(target_rg)] == ["vm-app-lnx01"]
