"""Several appliances per move: each machine gets one by documented capacity and declared reach, keeps it, and a batch
that cannot be placed is refused with every problem."""

import json
import os

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _appliances as ap


def machine(name, ip="10.1.0.4", subnet="snet-app", vnet="vnet-gov", **more):
    return dict({"name": name, "ip_addresses": [ip], "subnet": subnet, "virtual_network": vnet}, **more)


def wave(count, prefix="vm", ip_base="10.1.0.", **more):
    return [machine("%s-%03d" % (prefix, i), ip="%s%d" % (ip_base, 4 + i), **more) for i in range(count)]


def test_documented_sizes_and_overrides():
    cap, source = ap.capacity("modernized", {"name": "a"})
    assert (cap["machines"], cap["daily_change_gb"], cap["vcpus"], cap["memory_gb"]) == (200, 2048, 16, 32)
    assert source.startswith("https://learn.microsoft.com/azure/site-recovery/replication-appliance-support-matrix")
    assert ap.capacity("classic", {"name": "cs"})[0]["machines"] == 200
    assert ap.capacity("classic", {"name": "cs", "size": "cs-8vcpu"})[0]["machines"] == 99
    ps, ps_source = ap.capacity("classic", {"name": "cs", "process_server": "ps1"})
    assert ps["machines"] == 225 and ps_source.endswith("#size-recommendations-for-the-process-server")
    over = ap.capacity("modernized", {"name": "a", "capacity": {"machines": 3}})[0]
    assert over["machines"] == 3 and over["daily_change_gb"] == 2048 and over["overridden"] == ["machines"]
    # the tables' machine (three 100 GB disks): 200 of them change 2 TB a day
    assert ap.daily_change_gb({}) * 200 == pytest.approx(2048, rel=1e-3)
    assert ap.daily_change_gb({"daily_change_gb": 7}) == 7


def test_machines_are_spread_by_capacity():
    result, problems = ap.assign("modernized", [{"name": "a1"}, {"name": "a2"}], wave(10))
    assert problems == []
    loads = {k: v["load"]["machines"] for k, v in result["appliances"].items()}
    assert loads == {"a1": 5, "a2": 5}
    assert {m["reason"] for m in result["machines"].values()} == {"assigned"}
    # an appliance taking fewer machines fills up, the rest go to the other
    result, problems = ap.assign("modernized", [{"name": "a1", "capacity": {"machines": 2}}, {"name": "a2"}], wave(10))
    assert problems == [] and len(result["appliances"]["a1"]["machines"]) <= 2
    assert sum(len(a["machines"]) for a in result["appliances"].values()) == 10


def test_change_rate_counts_as_well_as_machine_count():
    apps = [{"name": "a1", "capacity": {"daily_change_gb": 100}}, {"name": "a2", "capacity": {"daily_change_gb": 100}}]
    big = [machine("db-01", daily_change_gb=90), machine("db-02", daily_change_gb=90), machine("web-01", disk_gb=30)]
    result, problems = ap.assign("modernized", apps, big)
    assert problems == []
    assert result["machines"]["db-01"]["appliance"] != result["machines"]["db-02"]["appliance"]
    result, problems = ap.assign("modernized", apps, big + [machine("db-03", daily_change_gb=90)])
    assert len(problems) == 1 and problems[0].startswith("db-03 (90.0 GB/day) fits on none of the appliances")
    assert "a1 has 1 of 200 machines" in problems[0] and "docs/appliances.md" in problems[0]


VNET_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-id"


def test_reach_by_prefix_subnet_and_network():
    apps = [{"name": "gov-app", "reaches": ["10.1.0.0/16"]}, {"name": "gov-data", "reaches": ["vnet-data/snet-db"]},
            {"name": "gov-id", "reaches": [VNET_ID]}]
    machines = [machine("app", ip="10.1.2.3"), machine("db", ip="10.9.0.5", subnet="snet-db", vnet="vnet-data"),
                machine("dc", ip="10.7.0.5", subnet="snet-dc",
                        vnet="/subscriptions/S/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-id")]
    result, problems = ap.assign("modernized", apps, machines)
    assert problems == []
    assert {n: m["appliance"] for n, m in result["machines"].items()} == {"app": "gov-app", "db": "gov-data", "dc": "gov-id"}


def test_refusal_lists_every_problem():
    apps = [{"name": "a1", "reaches": ["10.1.0.0/24"], "capacity": {"machines": 1}}, {"name": "a1"},
            {"name": "", "size": "appliance"}, {"name": "a3", "size": "huge"}, {"name": "a4", "capacity": {"machines": 0}}]
    machines = [machine("m1"), machine("m2"), machine("far", ip="172.16.0.4", subnet="snet-x", vnet="vnet-x")]
    result, problems = ap.assign("modernized", apps, machines)
    text = " ".join(problems)
    assert "a1 is listed more than once" in text
    assert "move_appliances[2] has no name" in text
    assert "a3: size 'huge' is not a documented size" in text
    assert "a4: capacity machines must be a number above 0" in text
    # a1 takes one of m1/m2 (both in its prefix), the other fits nowhere; the bad entries take nothing, so far is
    # reached by none; every problem is in the one answer
    assert sum("fits on none" in p for p in problems) == 1 and sum("reached by none" in p for p in problems) == 1
    assert len(problems) == 6
    assert ap.assign("modernized", [{"name": "a1", "reaches": ["10.1.0.0/24"]}], machines[2:])[1] == [
        "far (network vnet-x/snet-x; IP 172.16.0.4) is reached by none of the move's appliances: declare its network "
        "in the reaches of an appliance of move_appliances."]
    assert ap.assign("modernized", [{"name": "a", "process_server": "ps"}], [])[1][0].startswith(
        "appliance a: process_server is a classic")


def test_stable_across_runs_and_other_waves_count():
    apps = [{"name": "a1"}, {"name": "a2"}]
    first, problems = ap.assign("modernized", apps, wave(4))
    recorded = {n: {"appliance": m["appliance"], "daily_change_gb": m["daily_change_gb"]}
                for n, m in first["machines"].items()}
    # the same wave again, with a third appliance added: nothing moves
    again, problems = ap.assign("modernized", apps + [{"name": "a3"}], wave(4), recorded)
    assert problems == [] and {n: m["appliance"] for n, m in again["machines"].items()} == {
        n: m["appliance"] for n, m in first["machines"].items()}
    assert {m["reason"] for m in again["machines"].values()} == {"recorded"}
    # the next wave: wave 1's machines load a1 and a2, so the new ones go to a3 first
    nxt, problems = ap.assign("modernized", apps + [{"name": "a3"}], wave(2, prefix="w2", ip_base="10.1.1."), recorded)
    assert problems == [] and {m["appliance"] for m in nxt["machines"].values()} == {"a3"}
    assert nxt["appliances"]["a1"]["load"]["machines"] == 2
    # with the vault read, only machines still replicating count: wave 1 is over, a1 and a2 are free again
    done, unused = ap.assign("modernized", apps, wave(2, prefix="w2", ip_base="10.1.1."), recorded, replicating={})
    assert done["appliances"]["a1"]["load"]["machines"] + done["appliances"]["a2"]["load"]["machines"] == 2


def test_a_replicating_machine_never_moves():
    apps = [{"name": "a1"}, {"name": "a2"}]
    recorded = {"vm-000": {"appliance": "a1"}}
    result, problems = ap.assign("modernized", apps, wave(1), recorded, replicating={"vm-000": "a2"})
    assert problems == [] and result["machines"]["vm-000"] == {"appliance": "a2", "reason": "replicating",
                                                               "daily_change_gb": ap.daily_change_gb({})}
    # even over capacity or out of its declared reach: Azure's item is the truth
    tight = [{"name": "a2", "capacity": {"machines": 1}, "reaches": ["192.168.0.0/24"]}, {"name": "a1"}]
    result, problems = ap.assign("modernized", tight, wave(2), {}, replicating={"vm-000": "A2"})
    assert problems == [] and result["machines"]["vm-000"]["appliance"] == "a2"
    assert result["machines"]["vm-001"]["appliance"] == "a1"
    result, problems = ap.assign("modernized", [{"name": "a1"}], wave(1), {}, replicating={"vm-000": "old-app"})
    assert problems == ["vm-000 replicates through old-app, which is none of the move's appliances (a1): add it to "
                        "move_appliances; a replicating machine is never moved to another appliance."]
    # a recorded appliance that left the list (and the machine does not replicate): placed again, and said so
    result, problems = ap.assign("modernized", [{"name": "a3"}], wave(1), recorded)
    assert result["machines"]["vm-000"]["appliance"] == "a3" and result["machines"]["vm-000"]["previous"] == "a1"


def test_classic_process_servers():
    apps = [{"name": "cs-01"}, {"name": "cs-01", "process_server": "ps-01", "size": "ps-4vcpu"}]
    result, problems = ap.assign("classic", apps, wave(3), {}, replicating={"vm-002": "ps-01"})
    assert problems == []
    assert result["machines"]["vm-002"]["appliance"] == "cs-01/ps-01"
    assert set(result["appliances"]) == {"cs-01", "cs-01/ps-01"}


def test_documents_and_files(tmp_path):
    class Fake:
        check_mode = False

        @staticmethod
        def atomic_move(src, dst):
            os.replace(src, dst)

    result, unused = ap.assign("modernized", [{"name": "a1"}], wave(2))
    doc = ap.move_document(result)
    assert doc == {"schema": 1, "appliances": {"a1": {"capacity": result["appliances"]["a1"]["capacity"],
                                                      "machines": ["vm-000", "vm-001"],
                                                      "source": ap.MODERNIZED_SOURCE}}}
    path = str(tmp_path / ap.MOVE_FILE)
    assert ap.write_json(Fake, path, doc) is True and ap.write_json(Fake, path, doc) is False
    assert json.load(open(path))["appliances"]["a1"]["machines"] == ["vm-000", "vm-001"]
    mpath = ap.machine_path(str(tmp_path), "vm-000")
    ap.write_json(Fake, mpath, ap.machine_document("vm-000", result["machines"]["vm-000"], result["appliances"]["a1"]))
    assert ap.recorded(str(tmp_path))["vm-000"]["appliance"] == "a1"
    Fake.check_mode = True
    assert ap.write_json(Fake, str(tmp_path / "x" / "appliance.json"), doc) is True
    assert not (tmp_path / "x").exists()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "appliance.json").write_text("{}")
    with pytest.raises(ap.AssignmentError, match="not a schema 1 file"):
        ap.recorded(str(tmp_path))
    with pytest.raises(ap.AssignmentError):
        ap.machine_path(str(tmp_path), "..")


def test_the_report_reads_the_load_the_assignment_writes():
    """appliances.json as move_document writes it is what the move report's appliance table reads."""
    from ansible_collections.azmove.site_recovery.plugins.module_utils import _report_move as mv

    result, problems = ap.assign("modernized", [{"name": "asr-a", "capacity": {"machines": 4}}, {"name": "asr-b"}], wave(3))
    assert problems == []
    html = mv.appliances_section(json.loads(json.dumps(ap.move_document(result))))
    assert 'data-appliance="asr-a"' in html and 'data-appliance="asr-b"' in html
    loads = {k: v["load"]["machines"] for k, v in result["appliances"].items()}
    assert "%d of 4 (" % loads["asr-a"] in html and "%d of 200 (" % loads["asr-b"] in html
    assert all(name in html for name in result["machines"])
