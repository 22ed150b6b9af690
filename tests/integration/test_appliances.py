"""Several replication appliances in one move: the replicate role gives each machine the appliance that reaches it,
enables it through that appliance's process server, keeps the choice on a re-run (writing nothing, in Azure or in
the state directory), and replication is removed with no appliance named, as cutover's complete migration does."""

import json
import sys

from conftest import ROOT, assert_ok
from test_replication import extra, last_request_id, writes

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import asr_client  # noqa: E402

VAULT, RG = "rsv-appliances", "rg-landing-eastus"
EXPECTED = {"vm-app-win01": "asr-multi-a", "vm-app-win02": "asr-multi-a", "vm-app-lnx01": "asr-multi-b"}


def process_servers(simulator):
    """{appliance name: its process server's id}, as the vault's InMageRcm fabric lists them."""
    client = asr_client(simulator)
    fabric = next(f for f in client.replication_fabrics.list(RG, VAULT) if f.properties.custom_details.instance_type == "InMageRcm")
    fabric = client.replication_fabrics.get(RG, VAULT, fabric.name)
    return {ps.name: ps.id for ps in fabric.properties.custom_details.process_servers}, fabric


def items(simulator):
    """{item name: its InMageRcm details} of the vault's replicated items."""
    return {i.name: i.properties.provider_specific_details for i in asr_client(simulator).replication_protected_items.list(RG, VAULT)}


def test_two_appliances_each_machine_through_its_own_kept_on_a_rerun(runner, simulator, admin, tmp_path):
    done = runner.run("appliances.yml", extra(simulator, tmp_path, vault=VAULT))
    assert_ok(done)
    first = json.loads((tmp_path / "appliances-first.json").read_text())["assigned"]
    assert {name: m["appliance"] for name, m in first["machines"].items()} == EXPECTED
    assert {m["reason"] for m in first["machines"].values()} == {"assigned"}
    assert first["appliances"]["asr-multi-a"]["load"]["machines"] == 2
    assert first["appliances"]["asr-multi-b"]["capacity"]["machines"] == 50  # the declared capacity, over the table's

    # Each replicated item replicates through the process server of its machine's appliance.
    ids, fabric = process_servers(simulator)
    assert set(ids) == {"asr-multi-a", "asr-multi-b"}
    details = items(simulator)
    assert len(details) == 3
    by_ip = {d.primary_nic_ip_address: d for d in details.values()}
    for name, ip in (("vm-app-win01", "10.10.1.4"), ("vm-app-win02", "10.10.1.5"), ("vm-app-lnx01", "10.10.2.4")):
        assert by_ip[ip].process_server_id == ids[EXPECTED[name]], (name, by_ip[ip].process_server_id)
        assert by_ip[ip].process_server_name == EXPECTED[name]
    # The fabric shows each appliance's load.
    assert {ps.name: ps.protected_item_count for ps in fabric.properties.custom_details.process_servers} == {
        "asr-multi-a": 2, "asr-multi-b": 1}

    # The choice is kept where the report reads it.
    state = tmp_path / "state"
    load = json.loads((state / "appliances.json").read_text())["appliances"]
    assert load["asr-multi-a"]["machines"] == ["vm-app-win01", "vm-app-win02"] and load["asr-multi-b"]["machines"] == ["vm-app-lnx01"]
    assert "learn.microsoft.com" in load["asr-multi-a"]["source"]
    files = sorted(state.glob("*/appliance.json")) + [state / "appliances.json"]
    stamps = {f: f.stat().st_mtime_ns for f in files}

    # Again: every machine keeps its appliance (it replicates through it), nothing is written in Azure or on disk;
    # then replication of the Linux machine (on the second appliance) is removed with no appliance named.
    mark = last_request_id(admin)
    again = runner.run("appliances.yml", extra(simulator, tmp_path, vault=VAULT, setup=False, run_label="second",
                                               remove=["vm-app-lnx01"]))
    assert_ok(again)
    second = json.loads((tmp_path / "appliances-second.json").read_text())
    assert {name: (m["appliance"], m["reason"]) for name, m in second["assigned"]["machines"].items()} == {
        name: (app, "replicating") for name, app in EXPECTED.items()}
    assert {f: f.stat().st_mtime_ns for f in files} == stamps
    # (the only writes: the removal of the Linux machine's replication)
    assert [(r["method"], r["path"]) for r in writes(admin, mark) if "/replicationProtectedItems/vm-app-lnx01" not in r["path"]] == []
    assert second["removed"]["results"][0]["changed"]
    assert len(items(simulator)) == 2
