"""The rollback phase and repeatable drills, through the collection's playbooks as a user runs them (issue 17).

One machine of the demo fleet is replicated and tested; a second `test` run starts no drill, one with
move_test_again does. Its plan is then changed behind the move's back (a tag the VM cannot have), so after failover
its comparison fails: cutover does not commit it and fails the host naming the difference and rollback. `rollback`:
refused without its confirmation, having changed nothing; confirmed, it leaves the source running, no target VM, none
of the target's NICs and disks, no replication, and the machine's rollback.json; again, nothing to do. With the plan
made again, the same machine replicates and moves cleanly in a later run, with its address and no difference."""

import json
import os

import pytest
import yaml

from conftest import ROOT, assert_ok
from test_lifecycle import compute, network, power, vm_or_none
from test_replication import last_request_id
from test_wave_playbooks import all_writes, ends, play, recap

import fleet as demo_fleet  # noqa: E402  (tests/demo, on the path through conftest)

VAULT, VAULT_RG = "rsv-rollback", "rg-landing-eastus"
NET_RG, VM_RG = "rg-rollback-net", "rg-rollback-vms"
APPLIANCE = "asr-rollback-01"
PASSWORD = "Push-Install-9e31a7"  # pragma: allowlist secret  (a test value)
MACHINE, SOURCE_RG = "vm-app-lnx01", "rg-linux-gov"


@pytest.fixture
def fleet(simulator, admin, tmp_path):
    """The azure_vms inventory of the Government VMs; the seed is restored after (the failover shut one down)."""
    inventory = tmp_path / "source.azure_vms.yml"
    inventory.write_text(yaml.safe_dump(demo_fleet.inventory(simulator)))
    os.chmod(inventory, 0o600)
    with open(ROOT / "tests" / "simulator" / "seed" / "demo.json", encoding="utf-8") as handle:
        gov_seed = json.load(handle)["gov"]
    admin.seed({"gov": gov_seed})
    admin.seed({"public": {"resource_groups": [{"name": NET_RG, "location": "eastus"}, {"name": VM_RG, "location": "eastus"}]}})
    yield inventory
    admin.seed({"gov": gov_seed})


def variables(runner, tmp_path):
    move = demo_fleet.move_variables(
        runner.endpoints, tmp_path / "reports", PASSWORD, move_vault=VAULT, move_vault_resource_group=VAULT_RG,
        move_source_server=APPLIANCE, move_source_server_timeout=5, move_policy="rollback-3d",
        move_target_resource_group=VM_RG, move_target_network_resource_group=NET_RG,
        move_test_network_resource_group=NET_RG, move_poll_interval=1,
        move_cache_storage_account="strollbackcache", move_cache_storage_account_resource_group=VAULT_RG,
        move_backup_vault="rsv-rollback-backup")
    path = tmp_path / "move.json"
    path.write_text(json.dumps(move))
    os.chmod(path, 0o600)
    return path


def posts(admin, since, suffix):
    return [r for r in all_writes(admin, since) if ends(suffix)(r) and VAULT in r["path"]]


def items(simulator):
    import sys  # pylint: disable=import-outside-toplevel
    sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
    from simhelpers import asr_client  # pylint: disable=import-outside-toplevel
    return [i.name for i in asr_client(simulator).replication_protected_items.list(VAULT_RG, VAULT)]


def test_rollback_before_commit_then_the_machine_moves_in_a_later_run(runner, simulator, admin, tmp_path, fleet):
    move_vars = variables(runner, tmp_path)
    done = play(runner, fleet, move_vars, "prepare", limit=MACHINE)  # stops at the appliance wait: the vault exists now
    assert done.returncode != 0 and APPLIANCE in done.output, done.output[-5000:]
    demo_fleet.play_appliance(os.path.dirname(simulator["ca_bundle"]), VAULT, VAULT_RG, APPLIANCE, timeout=0)
    assert_ok(play(runner, fleet, move_vars, "prepare", limit=MACHINE))
    assert_ok(play(runner, fleet, move_vars, "replicate", limit=MACHINE))

    # Drills: the first test runs one; a second run starts none and says when the last one was; asked, it runs again.
    mark = last_request_id(admin)
    assert_ok(play(runner, fleet, move_vars, "test", limit=MACHINE))
    assert len(posts(admin, mark, "/testFailover")) == 1
    mark = last_request_id(admin)
    done = play(runner, fleet, move_vars, "test", limit=MACHINE)
    assert_ok(done)
    assert posts(admin, mark, "/testFailover") == [] and posts(admin, mark, "/testFailoverCleanup") == []
    assert "succeeded; not repeated" in done.output and recap(done.output)[MACHINE]["changed"] == 0, done.output[-3000:]
    mark = last_request_id(admin)
    assert_ok(play(runner, fleet, move_vars, "test", limit=MACHINE, extra=["-e", "move_test_again=true"]))
    assert len(posts(admin, mark, "/testFailover")) == 1 and len(posts(admin, mark, "/testFailoverCleanup")) == 1

    # The plan changed behind the move's back: after failover the VM differs from it, so cutover does not commit it.
    plan_file = tmp_path / "reports" / "machines" / MACHINE / "mapping.json"
    plan = json.loads(plan_file.read_text())
    source_ip = plan["source"]["nics"][0]["private_ip"]
    plan["target"]["tags"]["cost-center"] = "not-on-the-vm"
    plan_file.write_text(json.dumps(plan))
    done = play(runner, fleet, move_vars, "cutover", limit=MACHINE)
    assert done.returncode != 0 and "cost-center" in done.output and "rollback" in done.output, done.output[-3000:]
    gov, public, public_net = compute(simulator, "gov"), compute(simulator, "public"), network(simulator, "public")
    target = vm_or_none(public, VM_RG, MACHINE)
    assert target is not None and power(target) == "running"
    nics = [n.id for n in target.network_profile.network_interfaces]
    disks = [target.storage_profile.os_disk.managed_disk.id] + [d.managed_disk.id for d in target.storage_profile.data_disks]
    assert power(gov.virtual_machines.get(SOURCE_RG, MACHINE, expand="instanceView")) in ("stopped", "deallocated")
    assert items(simulator)
    state = plan_file.parent
    assert json.loads((state / "comparison.json").read_text())["differences"] >= 1

    # Without its confirmation: refused before anything reached Azure.
    mark = last_request_id(admin)
    done = play(runner, fleet, move_vars, "rollback", limit=MACHINE)
    assert done.returncode != 0 and "set move_rollback_confirm to true" in done.output, done.output[-3000:]
    assert all_writes(admin, mark) == [] and admin.requests(since=mark, cloud="public", limit=100000) == []

    # Confirmed: the target and its NICs and disks go, replication ends, the source runs again.
    done = play(runner, fleet, move_vars, "rollback", limit=MACHINE, extra=["-e", "move_rollback_confirm=true"])
    assert_ok(done)
    assert recap(done.output)[MACHINE]["changed"] >= 1, done.output[-3000:]
    assert vm_or_none(public, VM_RG, MACHINE) is None
    left = {n.id.lower() for n in public_net.network_interfaces.list(VM_RG)} | {d.id.lower() for d in public.disks.list_by_resource_group(VM_RG)}
    assert not left & {x.lower() for x in nics + disks}, left
    assert items(simulator) == []
    assert power(gov.virtual_machines.get(SOURCE_RG, MACHINE, expand="instanceView")) == "running"
    record = json.loads((state / "rollback.json").read_text())
    assert record["machine"] == MACHINE and record["target_vm_id"].lower() == target.id.lower() and record["replication_ended"]
    assert not (state / "comparison.json").exists()

    # Again: nothing left to do, nothing written.
    mark = last_request_id(admin)
    done = play(runner, fleet, move_vars, "rollback", limit=MACHINE, extra=["-e", "move_rollback_confirm=true"])
    assert_ok(done)
    assert recap(done.output)[MACHINE]["changed"] == 0 and "rolled back already" in done.output, done.output[-3000:]
    assert all_writes(admin, mark) == []

    # A later run moves it from the beginning: the plan made again, replicated, failed over, committed, complete.
    plan_file.unlink()
    assert_ok(play(runner, fleet, move_vars, "prepare", limit=MACHINE))
    assert_ok(play(runner, fleet, move_vars, "replicate", limit=MACHINE))
    assert_ok(play(runner, fleet, move_vars, "cutover", limit=MACHINE))
    moved = vm_or_none(public, VM_RG, MACHINE)
    assert moved is not None and power(moved) == "running"
    assert power(gov.virtual_machines.get(SOURCE_RG, MACHINE, expand="instanceView")) in ("stopped", "deallocated")
    assert items(simulator) == []
    assert json.loads((state / "comparison.json").read_text())["differences"] == 0
    nic = public_net.network_interfaces.get(VM_RG, moved.network_profile.network_interfaces[0].id.rsplit("/", 1)[-1])
    assert nic.ip_configurations[0].private_ip_address == source_ip
    report = json.loads((tmp_path / "reports" / "wave-report.json").read_text())
    assert [m["phase"] for m in report["machines"]] == ["migrated"], report["machines"]

    # A committed move cannot be rolled back: refused, saying what to do instead.
    done = play(runner, fleet, move_vars, "rollback", limit=MACHINE, extra=["-e", "move_rollback_confirm=true"])
    assert done.returncode != 0 and "the move is final" in done.output, done.output[-3000:]
