"""The machine that arrives is the machine that left: a fleet the other tests do not use - a two-NIC VM in two subnets
with static addresses, a NIC-level NSG and a public IP; a zonal VM; a tagged VM; a VM with three data disks; a SQL
Server VM with its licence types; a VM whose size the target region does not offer - moved by the collection's own
playbooks (prepare, replicate, test, cutover) on an azure_vms inventory, then read back through the SDKs: same
addresses, NIC count and subnets, NSG and public IP where they were, same zone, tags, disks, the closest size applied
and reported. A drill uses the test network's addresses, never production's. Every phase again writes nothing."""

import json
import os
import sys

import pytest
import yaml

from conftest import ROOT, HERE, Runner, assert_ok
from test_lifecycle import compute, network, power
from test_replication import last_request_id
from test_wave_playbooks import all_writes, play, recap

import fleet as demo_fleet  # noqa: E402  (tests/demo, on the path through conftest)

SEED = ROOT / "tests" / "simulator" / "seed" / "same_machine.json"
VAULT, VAULT_RG, NET_RG, VM_RG = "rsv-same", "rg-same-eastus", "rg-same-net", "rg-same-vms"
APPLIANCE, CACHE = "asr-same-01", "stsamecache"
PASSWORD = "Push-Install-5d1a7c"  # pragma: allowlist secret  (a test value)
SOURCE_RG = "rg-fleet-gov"
sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))


def seeded_vms():
    with open(SEED, encoding="utf-8") as handle:
        return {vm["name"]: vm for vm in json.load(handle)["gov"]["virtual_machines"]}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A simulator of its own: the fleet is seeded into it, and its moves leave nothing behind for other tests."""
    from azsim import testing

    state = tmp_path_factory.mktemp("azsim-same")
    endpoints = testing.start(str(state), seed=str(ROOT / "tests" / "simulator" / "seed" / "demo.json"))
    admin = testing.AdminClient(endpoints)
    with open(SEED, encoding="utf-8") as handle:
        admin.seed(json.load(handle))
    admin.seed({"public": {"resource_groups": [{"name": n, "location": "eastus"} for n in (VAULT_RG, NET_RG, VM_RG)]}})
    try:
        yield endpoints, admin
    finally:
        testing.stop(str(state))


def primary_ip(vm):
    nics = vm.get("nics") or [vm]
    return next((n for n in nics if n.get("primary")), nics[0])["private_ip"]


def test_the_machine_that_arrives_is_the_machine_that_left(sim, tmp_path):
    endpoints, admin = sim
    runner = Runner(endpoints, tmp_path)
    vms = seeded_vms()
    inventory = tmp_path / "fleet.azure_vms.yml"
    inventory.write_text(yaml.safe_dump(demo_fleet.inventory(endpoints, tags={"move-wave": "17"})))
    os.chmod(inventory, 0o600)
    out = tmp_path / "out"
    out.mkdir()
    move = demo_fleet.move_variables(
        endpoints, tmp_path / "reports", PASSWORD, move_vault=VAULT, move_vault_resource_group=VAULT_RG,
        move_source_server=APPLIANCE, move_source_server_timeout=5, move_policy="same-3d",
        move_target_resource_group=VM_RG, move_target_network="vnet-fleet-gov", move_target_network_resource_group=NET_RG,
        move_test_network="vnet-fleet-gov-test", move_test_network_resource_group=NET_RG, move_poll_interval=1,
        move_cache_storage_account=CACHE, move_cache_storage_account_resource_group=VAULT_RG,
        move_target_tags={"moved-from": "usgovvirginia"}, move_all_waves_confirm=True,
        move_test_verify_tasks=[str(HERE / "playbooks" / "tasks" / "same_machine_test_vm.yml")], same_machine_out=str(out))
    move_vars = tmp_path / "move.json"
    move_vars.write_text(json.dumps(move))
    os.chmod(move_vars, 0o600)

    # prepare: the vault first (the appliance registers with it), then everything, the machines' plans included.
    done = play(runner, inventory, move_vars, "prepare")
    assert done.returncode != 0 and APPLIANCE in done.output, done.output[-3000:]
    demo_fleet.play_appliance(os.path.dirname(endpoints["ca_bundle"]), VAULT, VAULT_RG, APPLIANCE, timeout=0,
                              server_list=[(primary_ip(vm), demo_fleet.CREDENTIAL_OF_OS[vm["os_type"]]) for vm in vms.values()])
    done = play(runner, inventory, move_vars, "prepare")
    assert_ok(done)
    assert set(recap(done.output)) == set(vms)
    state = tmp_path / "reports" / "machines"
    plans = {name: json.loads((state / name / "mapping.json").read_text()) for name in vms}

    # The size the target region does not offer: the closest one, applied and said, and the prerequisite check
    # names a real variable rather than blocking the move.
    odd = plans["vm-oddsize01"]["target"]
    assert odd["size_source"] == "closest" and odd["size"] != vms["vm-oddsize01"]["size"], odd
    assert vms["vm-oddsize01"]["size"] in plans["vm-oddsize01"]["explained"]["size"]
    assert "move_target_vm_size" in done.output and "target_size:" not in done.output
    # What will not move with the SQL VM is said before the move.
    assert {n["kind"] for n in plans["vm-sql01"]["not_carried"]} >= {"managed_identity", "extension"}

    for phase in ("replicate", "test", "cutover"):
        done = play(runner, inventory, move_vars, phase, limit="wave_17")
        assert_ok(done)
        assert set(recap(done.output)) == set(vms), (phase, recap(done.output))

    # The end state, read through the SDKs.
    public, net = compute(endpoints, "public"), network(endpoints, "public")
    for name, seed in vms.items():
        vm = public.virtual_machines.get(VM_RG, name, expand="instanceView")
        assert power(vm) == "running", name
        nics = [net.network_interfaces.get(VM_RG, ref.id.rsplit("/", 1)[-1]) for ref in vm.network_profile.network_interfaces]
        source_nics = [dict(n) for n in seed.get("nics") or [dict(seed, primary=True)]]
        if not any(n.get("primary") for n in source_nics):
            source_nics[0]["primary"] = True  # as Azure has it: the first NIC, when none is marked
        got = sorted((n.ip_configurations[0].private_ip_address, n.ip_configurations[0].subnet.id.rsplit("/", 1)[-1],
                      bool(n.primary)) for n in nics)
        want = sorted((n["private_ip"], n["subnet"], bool(n.get("primary"))) for n in source_nics)
        assert got == want, (name, got, want)
        assert all("/virtualNetworks/vnet-fleet-gov/" in n.ip_configurations[0].subnet.id for n in nics), name
        for n, s in ((n, s) for n in nics for s in source_nics if s["private_ip"] == n.ip_configurations[0].private_ip_address):
            nsg = n.network_security_group.id.rsplit("/", 1)[-1] if n.network_security_group else None
            assert nsg == s.get("network_security_group"), (name, nsg)
            pip = n.ip_configurations[0].public_ip_address
            assert (pip.id.rsplit("/", 1)[-1] if pip else None) == s.get("public_ip"), (name, pip)
        assert (vm.zones or [None])[0] == seed.get("zone"), (name, vm.zones)
        for key, value in (seed.get("tags") or {}).items():
            assert vm.tags.get(key) == value, (name, key, vm.tags)
        assert vm.tags.get("moved-from") == "usgovvirginia"
        disks = vm.storage_profile.data_disks
        assert sorted(d.disk_size_gb for d in disks) == sorted(d["size_gb"] for d in seed.get("data_disks") or []), name
        assert vm.hardware_profile.vm_size == plans[name]["target"]["size"], name
        if seed.get("license_type"):
            assert vm.license_type == seed["license_type"], (name, vm.license_type)
        # The comparison after failover: nothing unexplained.
        comparison = json.loads((state / name / "comparison.json").read_text())
        assert comparison["differences"] == 0, (name, [f for f in comparison["fields"] if f["status"] == "different"])

    # The drill used the test network and the test addresses, never production's.
    for name, seed in vms.items():
        test_vm = json.loads((out / ("test-vm-%s.json" % name)).read_text())
        assert all("/virtualNetworks/vnet-fleet-gov-test/" in s for s in test_vm["subnet_ids"]), (name, test_vm)
        planned = [n["test_static_ip"] for n in plans[name]["target"]["nics"] if n["test_static_ip"]]
        assert set(planned) <= set(test_vm["private_ips"]), (name, planned, test_vm["private_ips"])

    # The report shows every machine's source and target side by side.
    page = (tmp_path / "reports" / "wave-report.html").read_text()
    for name in vms:
        assert '<details class="st" data-machine="%s"' % name in page, name
    report = json.loads((tmp_path / "reports" / "wave-report.json").read_text())
    rows = {m["name"]: m for m in report["machines"]}
    assert rows["vm-oddsize01"]["mapping"]["target"]["size_source"] == "closest"
    assert {n["kind"] for n in rows["vm-sql01"]["mapping"]["not_carried"]} >= {"managed_identity", "extension"}

    # Every phase again: nothing is written.
    mark = last_request_id(admin)
    for phase in ("prepare", "replicate", "test", "cutover"):
        done = play(runner, inventory, move_vars, phase, limit="wave_17", extra=["-e", "move_report_each_phase=false"])
        assert_ok(done)
        assert all(c["changed"] == 0 for c in recap(done.output).values()), (phase, recap(done.output))
    written = all_writes(admin, mark)
    assert written == [], [(r["method"], r["path"]) for r in written]
