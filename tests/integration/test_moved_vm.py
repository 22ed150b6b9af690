"""After failover, before commit: moved_vm attaches what no Site Recovery input carries (a NIC-level NSG, a public IP)
and compares the VM with its plan (issue 17). vm-app-win01 of the demo seed is replicated and failed over without a
commit; its plan is written by hand (as machine_mapping would). The first run attaches, the second changes nothing,
check mode changes nothing, a plan the VM does not match fails the machine naming the difference, and accepting it
passes. Decommission then refuses the machine while its differences are not accepted, and keeps a source public IP
whose copy the moved VM lacks."""

import json

import pytest

from conftest import ROOT, assert_ok
from test_lifecycle import network
from test_replication import extra, last_request_id, writes

VAULT, TARGET_RG, MACHINE = "rsv-movedvm", "rg-movedvm-eastus", "vm-app-win01"
NSG, PIP = "nsg-app-win01-nic", "pip-app-win01"


@pytest.fixture
def failed_over(runner, simulator, admin, tmp_path):
    """vm-app-win01 failed over, not committed; an NSG and a public IP in the target for it. The seed is restored
    after (the failover shut the source down)."""
    admin.seed({"public": {"resource_groups": [{"name": TARGET_RG, "location": "eastus"}]}})
    one = [{"name": MACHINE, "ip": "10.10.1.4", "os": "Windows", "account": "winadmin", "subnet": "snet-app"}]
    assert_ok(runner.run("replication_wave.yml", extra(simulator, tmp_path, vault=VAULT, target_rg=TARGET_RG, machines=one,
                                                       run_label="setup")))
    assert_ok(runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=VAULT, names=[MACHINE], steps=["failover"],
                                                run_label="failover")))
    net = network(simulator, "public")
    nsg = net.network_security_groups.begin_create_or_update(TARGET_RG, NSG, {"location": "eastus"}).result()
    pip = net.public_ip_addresses.begin_create_or_update(TARGET_RG, PIP, {
        "location": "eastus", "sku": {"name": "Standard"}, "public_ip_allocation_method": "Static"}).result()
    yield {"nsg_id": nsg.id, "public_ip_id": pip.id, "target_rg_id": "/subscriptions/%s/resourceGroups/%s" % (
        simulator["clouds"]["public"]["subscription_id"], TARGET_RG), "source_sub": simulator["clouds"]["gov"]["subscription_id"]}
    with open(ROOT / "tests" / "simulator" / "seed" / "demo.json", encoding="utf-8") as handle:
        admin.seed({"gov": json.load(handle)["gov"]})


def mapping(ids, **target):
    """vm-app-win01's plan, as machine_mapping writes it: kept as it was, its NIC getting the NSG and public IP."""
    gov = "/subscriptions/%s/resourceGroups/rg-app-gov/providers/Microsoft.Network" % ids["source_sub"]
    plan = {
        "vm_name": MACHINE, "resource_group_id": ids["target_rg_id"], "size": "Standard_D4s_v3", "size_source": "source",
        "zone": None, "availability_set_id": None, "proximity_placement_group_id": None,
        "tags": {"moved-from": "usgovvirginia"}, "license_type": "NoLicenseType", "linux_license_type": None,
        "sql_license_type": None, "boot_diagnostics": False,
        "disks": [{"lun": None, "size_gb": 127, "type": None}, {"lun": 0, "size_gb": 256, "type": None}],
        # The landing network is 10.20.0.0/16, the source's 10.10.0.0/16: the address is not kept.
        "nics": [{"source_ip": "10.10.1.4", "primary": True, "subnet": "snet-app", "static_ip": None,
                  "test_subnet": None, "test_static_ip": None, "network_security_group_id": ids["nsg_id"],
                  "public_ip_id": ids["public_ip_id"], "accelerated_networking": False}],
    }
    plan.update(target)
    return {
        "schema": 1, "machine": MACHINE, "computed_at": "2026-12-04T19:00:00Z",
        "source": {"name": MACHINE, "os_type": "Windows", "size": "Standard_D4s_v3", "zone": None,
                   "tags": {"move-wave": "1", "app": "contoso-app", "role": "web"}, "license_type": None,
                   "os_disk": {"size_gb": 127, "sku": None}, "data_disks": [{"lun": 0, "size_gb": 256, "sku": None}],
                   "nics": [{"name": "nic-vm-app-win01", "primary": True, "private_ip": "10.10.1.4", "allocation": "Static",
                             "subnet": "snet-app", "network_security_group_id": gov + "/networkSecurityGroups/" + NSG,
                             "public_ip_id": gov + "/publicIPAddresses/" + PIP, "accelerated_networking": False}]},
        "target": plan, "overridden": sorted(k for k in target if k != "tags"),
        "explained": {"tags": "the move's tags only (the test's plan)",
                      "nics[0].private_ip": "addresses are not kept (move_keep_ip_addresses: false)"}, "not_carried": [],
    }


def write_mapping(state, doc):
    (state / MACHINE).mkdir(parents=True, exist_ok=True)
    (state / MACHINE / "mapping.json").write_text(json.dumps(doc))


def run(runner, simulator, tmp_path, state, label, check=False, **more):
    done = runner.run("moved_vm.yml", extra(simulator, tmp_path, vault=VAULT, target_rg=TARGET_RG, state_dir=str(state),
                                            run_label=label, **more), check=check, diff=True)
    assert_ok(done)
    return json.loads((tmp_path / ("moved-vm-%s.json" % label)).read_text()), done


def primary_nic(simulator):
    net = network(simulator, "public")
    from test_lifecycle import compute  # pylint: disable=import-outside-toplevel
    vm = compute(simulator, "public").virtual_machines.get(TARGET_RG, MACHINE)
    ref = vm.network_profile.network_interfaces[0].id.split("/")
    return net.network_interfaces.get(ref[4], ref[-1])


def test_moved_vm_attaches_compares_and_decommission_respects_it(runner, simulator, admin, tmp_path, failed_over):
    ids = failed_over
    state = tmp_path / "machines"

    # No plan: the machine fails, saying which phase makes one.
    result, _done = run(runner, simulator, tmp_path, state, "noplan")
    assert result["failed_machines"] == [MACHINE] and "prepare phase" in result["machines"][MACHINE]["msg"]

    write_mapping(state, mapping(ids))
    nic = primary_nic(simulator)
    assert nic.network_security_group is None and nic.ip_configurations[0].public_ip_address is None
    address = nic.ip_configurations[0].private_ip_address

    # Check mode: what would be attached, compared as it will be; nothing written, in Azure or the state directory.
    mark = last_request_id(admin)
    result, _done = run(runner, simulator, tmp_path, state, "check", check=True)
    one = result["machines"][MACHINE]
    assert result["changed"] and not one["failed"], one
    assert sorted(a["what"] for a in one["aligned"]) == ["network_security_group", "public_ip"]
    fields = {f["field"]: f for f in one["fields"]}
    assert fields["nics[0].network_security_group"]["why"].startswith("will be aligned"), fields
    assert one["differences"] == 0, [f for f in one["fields"] if f["status"] == "different"]
    assert writes(admin, mark) == [] and not (state / MACHINE / "comparison.json").exists()

    # The first run attaches the NSG and the public IP to the target NIC, and the comparison passes.
    result, _done = run(runner, simulator, tmp_path, state, "first")
    one = result["machines"][MACHINE]
    assert result["changed"] and not one["failed"] and one["differences"] == 0, one
    nic = primary_nic(simulator)
    assert nic.network_security_group.id.lower() == ids["nsg_id"].lower()
    assert nic.ip_configurations[0].public_ip_address.id.lower() == ids["public_ip_id"].lower()
    assert nic.ip_configurations[0].private_ip_address == address  # the NIC as it was, plus the change
    comparison = json.loads((state / MACHINE / "comparison.json").read_text())
    assert comparison["differences"] == 0 and comparison["target_vm_id"].lower().endswith("/virtualmachines/" + MACHINE)
    statuses = {f["field"]: f["status"] for f in comparison["fields"]}
    assert statuses["nics[0].network_security_group"] == "same" and statuses["tags"] == "explained", statuses
    assert statuses["nics[0].private_ip"] == "explained", statuses

    # Again: nothing to attach, nothing written anywhere.
    mark = last_request_id(admin)
    before = (state / MACHINE / "comparison.json").read_text()
    result, _done = run(runner, simulator, tmp_path, state, "again")
    assert not result["changed"] and result["machines"][MACHINE]["aligned"] == []
    assert writes(admin, mark) == [] and (state / MACHINE / "comparison.json").read_text() == before

    # A plan the VM does not match (a zone it does not have): the machine fails, the difference named; the
    # comparison is written so the report, the rollback and decommission see it.
    write_mapping(state, mapping(ids, zone="2"))
    result, _done = run(runner, simulator, tmp_path, state, "wrong")
    one = result["machines"][MACHINE]
    assert result["failed_machines"] == [MACHINE] and "zone" in one["msg"] and "not zonal" in one["msg"], one
    comparison = json.loads((state / MACHINE / "comparison.json").read_text())
    assert comparison["differences"] == 1 and not comparison["accepted"]

    # The source is refused while its differences are not accepted (the move committed first: the other guards pass).
    assert_ok(runner.run("lifecycle.yml", extra(simulator, tmp_path, vault=VAULT, names=[MACHINE], steps=["commit"],
                                                run_label="commit")))
    mark = last_request_id(admin)
    done = runner.run("moved_vm.yml", extra(simulator, tmp_path, vault=VAULT, target_rg=TARGET_RG, state_dir=str(state),
                                            run_label="refused", step="decommission"))
    assert_ok(done)
    refused = json.loads((tmp_path / "moved-vm-refused.json").read_text())
    assert refused["failed"] and "differs from the plan" in refused["msg"] and "zone" in refused["msg"], refused
    assert [r for r in admin.requests(since=mark, cloud="gov") if r["method"] == "DELETE"] == []

    # Accepted, the machine passes; decommission (check mode) would go on, but keeps a source public IP whose copy
    # the comparison shows not attached.
    result, _done = run(runner, simulator, tmp_path, state, "accepted", accept=True)
    one = result["machines"][MACHINE]
    assert not one["failed"] and one["accepted"] and one["differences"] == 1, one
    comparison = json.loads((state / MACHINE / "comparison.json").read_text())
    assert comparison["accepted"]
    for field in comparison["fields"]:
        if field["field"] == "nics[0].public_ip":
            field.update(status="different", target=None, why="planned %s, the target has nothing" % PIP)
    (state / MACHINE / "comparison.json").write_text(json.dumps(comparison))
    done = runner.run("moved_vm.yml", extra(simulator, tmp_path, vault=VAULT, target_rg=TARGET_RG, state_dir=str(state),
                                            run_label="decommission", step="decommission", accept=True), check=True)
    assert_ok(done)
    planned = json.loads((tmp_path / "moved-vm-decommission.json").read_text())
    assert not planned["failed"], planned
    kept = {k["id"].rsplit("/", 1)[-1]: k["reason"] for k in planned["kept"]}
    assert PIP in kept and "has no public IP %s attached" % PIP in kept[PIP], kept
    assert not any(i.endswith("/" + PIP) for i in planned["deleted"]["public_ips"])
