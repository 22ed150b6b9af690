"""The modernized path as Azure runs it, on a simulator of its own set as strictly as it goes: every list one entry
per page, request bodies checked against the SDK models, Location-only answers for part of the protected-item
actions, and every machine's health Critical for a while during its initial replication. The fleet: a Windows VM
whose Azure name is longer than its 15-character host name, with two NICs in two subnets; a Linux VM; a Windows VM
that the appliance discovered through its VMware site (no credentials of its own: the site's are used)."""

import json
import os
import sys

import pytest

from conftest import ROOT, Runner, assert_ok
from test_replication import SIM_PATH, last_request_id, writes

LONG = "vm-reporting-win2019"  # 20 characters: its Windows host name cannot be the same
SEED_VM = {
    "name": LONG, "resource_group": "rg-app-gov", "location": "usgovvirginia", "size": "Standard_D2s_v3",
    "os_type": "Windows", "os_name": "Windows Server 2019", "power_state": "running", "os_disk_size_gb": 127,
    "data_disks": [{"size_gb": 1024}], "tags": {"move-wave": "9"}, "host": {"local_account_token_filter_policy": 1},
    "nics": [{"vnet": "vnet-app-gov", "subnet": "snet-app", "private_ip": "10.10.1.40", "allocation": "Static", "primary": True},
             {"vnet": "vnet-app-gov", "subnet": "snet-linux", "private_ip": "10.10.2.40", "allocation": "Static"}],
}
MACHINES = [
    {"name": LONG, "ip": "10.10.1.40", "os": "Windows", "account": "winadmin", "subnet": "snet-app", "site": "physical"},
    {"name": "vm-app-lnx01", "ip": "10.10.2.4", "os": "Linux", "account": "linuxroot", "subnet": "snet-linux", "site": "physical"},
    {"name": "vm-app-win02", "ip": "10.10.1.5", "os": "Windows", "account": "winadmin", "subnet": "snet-app", "site": "vmware"},
]
VAULT, TARGET_RG = "rsv-as-azure-runs", "rg-landing-eastus"
sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """A simulator with one entry per page, Location-only answers for part of the actions and transient Critical
    health for every machine, time running fast enough to see it."""
    from azsim import testing

    state = tmp_path_factory.mktemp("azsim-strict")
    endpoints = testing.start(str(state), time_factor=0.002, seed=str(ROOT / "tests" / "simulator" / "seed" / "demo.json"),
                              page_size=1, lro_style="mixed", transient_health_ratio=1.0)
    admin = testing.AdminClient(endpoints)
    admin.seed({"gov": {"virtual_machines": [SEED_VM]}})
    try:
        yield endpoints, admin
    finally:
        testing.stop(str(state))


def variables(endpoints, tmp_path, **more):
    for machine in MACHINES:
        machine["add"] = {"name": machine["name"], "ip_address": machine["ip"], "os_type": machine["os"]}
        machine["enable"] = {"name": machine["name"], "ip_addresses": [machine["ip"]], "target_subnet": machine["subnet"]}
        if machine["site"] == "vmware" or machine["name"] == LONG:
            machine["enable"]["run_as_account"] = machine["account"]
    data = {"work_dir": str(tmp_path), "sim_state_dir": os.path.dirname(endpoints["ca_bundle"]), "sim_pythonpath": SIM_PATH,
            "vault": VAULT, "target_rg": TARGET_RG, "machines": MACHINES, "run_label": "first",
            "name_entries": [{"name": m["name"]} for m in MACHINES],
            "two_nic": {"name": LONG, "ip": "10.10.1.40"}, "new_subnet": "snet-linux"}
    data.update(more)
    return data


def test_a_modernized_move_as_azure_runs_it(strict, tmp_path):
    endpoints, admin = strict
    runner = Runner(endpoints, tmp_path)
    computer_names = {}
    done = runner.run("azure_as_it_runs.yml", variables(endpoints, tmp_path, computer_names=computer_names,
                                                        steps=["replicate", "update"]))
    assert_ok(done)
    first = json.loads((tmp_path / "real-first.json").read_text())

    # The appliance discovered the guests: host names, not Azure names; every machine was found by its address, in
    # its own site, and enabled with that machine's own id.
    added = first["added"]["machines"]
    long_host = added[LONG]["machine"]["friendly_name"]
    assert len(long_host) <= 15 and long_host.lower() != LONG, long_host
    assert {n: m["machine"]["matched_by"] for n, m in added.items()} == {n["name"]: "IP address" for n in MACHINES}
    assert added["vm-app-win02"]["machine"]["site_kind"] == "vmware" and "/VMwareSites/" in added["vm-app-win02"]["machine"]["id"]
    enabled = first["enabled"]["machines"]
    assert all(not m["failed"] and m["changed"] for m in enabled.values()), enabled
    for name, machine in enabled.items():
        assert machine["discovered_machine"]["id"] == added[name]["machine"]["id"]
        assert machine["machine"]["name"] == name  # the item is named after the source VM: the machine's key

    # Health turned Critical during initial replication and cleared: the wave did not fail.
    wave = first["wave"]
    assert wave["counts"] == {"ready": 3, "failed": 0, "in_progress": 0, "missing": 0}, wave
    seen = {n: m["warnings_seen"] for n, m in wave["machines"].items()}
    assert seen[LONG] and seen[LONG]["codes"], seen  # the biggest machine: its Critical window spans several polls

    # The two-NIC machine's primary NIC moved to another subnet; the other NIC is sent back as it was.
    updated = first["updated"]
    assert updated["changed"] and updated["changes"] == {"subnet": "snet-linux"}, updated
    nics = updated["machine"]["target"]
    item_nics = {n["isPrimaryNic"] in (True, "true"): n for n in _item(endpoints, LONG)["properties"]["providerSpecificDetails"]["vmNics"]}
    # (Enable names one target subnet, for every NIC: the second NIC keeps it.)
    assert item_nics[True]["targetSubnetName"] == "snet-linux" and item_nics[False]["targetSubnetName"] == "snet-app", nics
    assert len(item_nics) == 2

    # Test failover, failover, commit, complete migration, each with the machines' names; then where they stand.
    computer_names = {m["name"]: added[m["name"]]["machine"]["friendly_name"] for m in MACHINES}
    mark = last_request_id(admin)
    done = runner.run("azure_as_it_runs.yml", variables(endpoints, tmp_path, computer_names=computer_names, run_label="move",
                                                        steps=["test", "move"]))
    assert_ok(done)
    move = json.loads((tmp_path / "real-move.json").read_text())
    for step in ("tested", "moved"):
        for run in move[step]["results"]:
            assert not run["failed_machines"], (step, run)
    assert not move["migrated"]["failed_machines"]
    test_vms = {n: m["test_vm"]["name"] for n, m in move["tested"]["results"][0]["machines"].items()}
    assert all(test_vms.values()), test_vms  # named by the TestFailover job, not guessed
    assert {m["machine"]: m["phase"] for m in move["status"]["machines"]} == {m["name"]: "migrated" for m in MACHINES}
    assert writes(admin, mark), "the move wrote nothing"

    # The machine that arrived: the long-named Windows VM under its own name, with both NICs, running.
    from azure.mgmt.compute import ComputeManagementClient
    vm = _public(endpoints, ComputeManagementClient).virtual_machines.get(TARGET_RG, LONG, expand="instanceView")
    assert len(vm.network_profile.network_interfaces) == 2
    assert any(s.code == "PowerState/running" for s in vm.instance_view.statuses)


def _public(endpoints, client_class):
    from simhelpers import client_kwargs, credential  # pylint: disable=import-outside-toplevel

    return client_class(credential(endpoints, "public"), endpoints["clouds"]["public"]["subscription_id"],
                        **client_kwargs(endpoints, "public"))


def _item(endpoints, name):
    from simhelpers import asr_client  # pylint: disable=import-outside-toplevel

    client = asr_client(endpoints)
    return next(i for i in client.replication_protected_items.list(TARGET_RG, VAULT) if i.name == name).as_dict()
