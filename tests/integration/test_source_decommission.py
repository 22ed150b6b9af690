"""Discarding the Government sources of moved machines: refused without confirmation or before the commit,
the VM with its NIC, disks and public IP deleted after it, shared NSGs kept, no change the second time,
check mode harmless, and a run killed after the VM delete finished by the next run."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, assert_ok
from test_lifecycle import SOURCE_RG, compute, network, protected_wave, vm_or_none
from test_replication import extra, last_request_id

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))

VAULT, TARGET_RG = "rsv-decommission", "rg-decommission-eastus"


def gov_deletes(admin, since):
    return [r for r in admin.requests(since=since, cloud="gov") if r["method"] == "DELETE"]


def results(tmp_path, label):
    return json.loads((tmp_path / ("decommission-%s.json" % label)).read_text())


def machines(*names):
    return [{"name": n, "resource_group": SOURCE_RG[n]} for n in names]


def kill_tree(pid):
    """SIGKILL a process and all its descendants: Ansible's workers start sessions of their own, so killing the
    playbook's process group would leave the module running."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    todo, tree = [pid], []
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    for member in tree:
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass


def gone(call, *args):
    from azure.core.exceptions import ResourceNotFoundError
    try:
        call(*args)
    except ResourceNotFoundError:
        return True
    return False


@pytest.fixture(autouse=True)
def source_vms_restored(admin):
    """These tests delete seeded Government VMs, NICs, disks and public IPs: seeding again brings them back. Seeded
    before too: earlier tests of the session may have left a source VM stopped (failed over)."""
    with open(ROOT / "tests" / "simulator" / "seed" / "demo.json", encoding="utf-8") as handle:
        gov = json.load(handle)["gov"]
    admin.seed({"gov": gov})
    yield
    admin.seed({"gov": gov})


def test_refusals_then_the_move_committed_the_source_goes_once(runner, simulator, admin, tmp_path):
    protected_wave(runner, simulator, admin, tmp_path, VAULT, TARGET_RG, "modernized")
    gov, gov_net = compute(simulator, "gov"), network(simulator, "gov")
    win01 = gov.virtual_machines.get("rg-app-gov", "vm-app-win01")
    win01_disk = win01.storage_profile.os_disk.managed_disk.id
    win01_nic = win01.network_profile.network_interfaces[0].id

    # No confirmation: the role stops before any request; the module refuses before any request.
    mark = last_request_id(admin)
    done = runner.run("decommission_role.yml", extra(simulator, tmp_path, vault=VAULT, target_rg=TARGET_RG, run_label="noconfirm",
                                                     machines=machines("vm-app-win01")))
    assert done.returncode != 0 and "set decommission_confirm to true" in done.output, done.output[-3000:]
    done = runner.run("decommission_module.yml", extra(simulator, tmp_path, vault=VAULT, run_label="noconfirm", confirm=False,
                                                       machines=machines("vm-app-win01")))
    assert_ok(done)
    res = results(tmp_path, "noconfirm")["results"][0]
    assert res["failed"] and "set confirm to true" in res["msg"]
    assert admin.requests(since=mark, cloud="gov") == [] and gov_deletes(admin, mark) == []

    # Protected but not moved: refused by the guard, nothing deleted.
    done = runner.run("decommission_module.yml", extra(simulator, tmp_path, vault=VAULT, run_label="early", machines=machines("vm-app-win01")))
    assert_ok(done)
    res = results(tmp_path, "early")["results"][0]
    assert res["failed"] and "its move is not committed (the replicated machine is protected)" in res["msg"]
    assert gov_deletes(admin, mark) == []

    # The move: win01 failed over and committed (it still replicates); lnx01 also migrated (its replication is gone).
    done = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=VAULT, run_label="move", steps=["failover", "commit"],
                                             names=["vm-app-win01", "vm-app-lnx01"]))
    assert_ok(done)
    done = runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=VAULT, run_label="migrate", steps=["migrate"], names=["vm-app-lnx01"]))
    assert_ok(done)

    # Check mode: the plan, nothing deleted.
    mark = last_request_id(admin)
    done = runner.run("decommission_module.yml", extra(simulator, tmp_path, vault=VAULT, run_label="check", machines=machines("vm-app-win01")),
                      check=True)
    assert_ok(done)
    res = results(tmp_path, "check")["results"][0]
    assert res["changed"] and res["deleted"]["vm"] == [win01.id] and win01_disk in res["deleted"]["disks"]
    assert gov_deletes(admin, mark) == [] and gov.virtual_machines.get("rg-app-gov", "vm-app-win01")

    # For real: the VM, its NIC, OS disk and public IP are gone; the subnet's NSG stays, saying why.
    done = runner.run("decommission_module.yml", extra(simulator, tmp_path, vault=VAULT, run_label="real", machines=machines("vm-app-win01")),
                      diff=True)
    assert_ok(done)
    res = results(tmp_path, "real")["results"][0]
    assert res["changed"] and res["machine"]["phase"] == "committed" and res["machine"]["target_vm"]["power_state"] == "running"
    assert res["deleted"]["nics"] == [win01_nic] and len(res["deleted"]["public_ips"]) == 1
    assert [k["reason"] for k in res["kept"] if k["kind"] == "nsgs"] == ["associated with subnet vnet-app-gov/snet-app"]
    assert res["diff"]["before"]["vm"] == [win01.id] and res["diff"]["after"]["vm"] == []
    assert gone(gov.virtual_machines.get, "rg-app-gov", "vm-app-win01")
    assert gone(gov.disks.get, win01_disk.split("/")[4], win01_disk.split("/")[-1])
    assert gone(gov_net.network_interfaces.get, "rg-app-gov", win01_nic.split("/")[-1])
    assert gone(gov_net.public_ip_addresses.get, "rg-app-gov", "pip-app-win01")
    assert gov_net.network_security_groups.get("rg-app-gov", "nsg-snet-app")
    assert vm_or_none(compute(simulator, "gov"), "rg-app-gov", "vm-app-win02") is not None  # the other VM is untouched

    # Again: nothing left, no change, no delete.
    mark = last_request_id(admin)
    done = runner.run("decommission_module.yml", extra(simulator, tmp_path, vault=VAULT, run_label="again", machines=machines("vm-app-win01")))
    assert_ok(done)
    res = results(tmp_path, "again")["results"][0]
    assert not res["changed"] and not res.get("failed") and gov_deletes(admin, mark) == []

    # lnx01 (migrated) through the role, killed right after its VM delete was sent; the next run finishes the job.
    admin.set_time_factor(0.1)  # a VM delete takes 6 s: time to stop Ansible before its NIC delete
    try:
        mark = last_request_id(admin)
        cmd, env = runner.command("decommission_role.yml", extra(simulator, tmp_path, vault=VAULT, target_rg=TARGET_RG, run_label="killed",
                                                                 machines=machines("vm-app-lnx01"), decommission_confirm=True))
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline and not [r for r in gov_deletes(admin, mark) if "/virtualMachines/" in r["path"]]:
            time.sleep(0.1)
        kill_tree(proc.pid)
        proc.wait()
        deadline = time.time() + 60
        while time.time() < deadline and vm_or_none(gov, "rg-linux-gov", "vm-app-lnx01") is not None:
            time.sleep(0.2)
    finally:
        admin.set_time_factor(0)
    assert [r["path"] for r in gov_deletes(admin, mark)] and all("/virtualMachines/" in r["path"] for r in gov_deletes(admin, mark))
    lnx_nic = gov_net.network_interfaces.get("rg-linux-gov", "vm-app-lnx01-nic")  # left behind, detached
    assert lnx_nic.virtual_machine is None and lnx_nic.tags["azmove-decommission"].endswith("/vm-app-lnx01")
    # The next run, one batch of three machines in one module run: lnx01's leftovers go; win02 (not moved) is refused
    # and fails alone; win01 (gone) is no change. The vault's job history is read once (with a time $filter the
    # simulator refuses when malformed), each resource group's lists once, the subscription's never.
    mark = last_request_id(admin)
    done = runner.run("decommission_role.yml", extra(simulator, tmp_path, vault=VAULT, target_rg=TARGET_RG, run_label="resumed",
                                                     machines=machines("vm-app-lnx01", "vm-app-win02", "vm-app-win01"),
                                                     decommission_confirm=True))
    assert done.returncode != 0 and "failed=1" in done.output, done.output[-3000:]
    both = results(tmp_path, "resumed")
    assert both["vm-app-win02"]["failed"] and "its move is not committed" in both["vm-app-win02"]["msg"]
    assert not both["vm-app-win01"]["changed"] and not both["vm-app-win01"]["failed"]
    reads = [r for r in admin.requests(since=mark) if r["method"] == "GET"]
    history = [r for r in reads if r["path"].endswith("/replicationJobs")]
    assert len(history) == 1 and history[0]["status"] == 200, history
    lists = [r["path"].lower() for r in reads if r["cloud"] == "gov" and r["path"].lower().endswith(
        ("/networkinterfaces", "/publicipaddresses", "/networksecuritygroups", "/disks"))]
    assert lists and all("/resourcegroups/" in path for path in lists) and len(lists) == len(set(lists)), lists
    res = both["vm-app-lnx01"]
    assert res["changed"], (res, done.output[-3000:])
    assert res["deleted"]["vm"] == [] and res["deleted"]["nics"] == [lnx_nic.id] and len(res["deleted"]["disks"]) == 1
    assert res["machine"]["phase"] == "migrated"
    assert gone(gov_net.network_interfaces.get, "rg-linux-gov", "vm-app-lnx01-nic")
    assert [d.name for d in gov.disks.list_by_resource_group("rg-linux-gov") if d.name.startswith("vm-app-lnx01")] == []
