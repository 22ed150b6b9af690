"""The move report: each machine's record (kept when the vault and the source forget it), the whole move's JSON
checked against docs/move-report.schema.json, the page (escaped, no script, no external URL), the estimate of the
time left from the progress between report runs, the summary printed in the play output, and a 300-machine move."""

import datetime
import json
import re
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _report
from ansible_collections.azmove.site_recovery.plugins.module_utils import _report_move as mv

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "move-report.schema.json").read_text())
T0 = datetime.datetime(2026, 5, 4, 8, 0, 0, tzinfo=datetime.timezone.utc)
EVIL = '<img src="https://evil.example/x.png">"&'


def at(minutes):
    return _report.iso(T0 + datetime.timedelta(minutes=minutes))


def step(key, start, end, state="Succeeded", running=False, **more):
    return dict({"step": key, "label": _report.STEP_LABELS[key], "state": state, "job": "job-%s" % key, "start": at(start),
                 "end": at(end) if end is not None else None, "duration_seconds": None, "running": running, "attempts": 1}, **more)


def row(name, phase, offset=0, progress=None, blockers=()):
    """A wave report row as build() makes it, for a machine in ``phase`` (its steps ``offset`` minutes later)."""
    o = offset
    timings = [step("enable_replication", o, o + 5)]
    observed = {"failover": None, "initial_replication": {"bytes": 64 * 1024 ** 3, "total_bytes": 64 * 1024 ** 3, "last_transfer": None}}
    if phase == "initial_replication":
        timings.append(step("initial_replication", o + 5, None, state="InProgress", running=True, progress_percent=progress))
    else:
        timings.append(step("initial_replication", o + 5, None, state="Completed", progress_percent=100))
        timings.append(step("test_failover", o + 200, o + 210))
    if phase in ("failed_over", "committed", "migrated"):
        timings.append(step("failover", o + 300, o + 306))
        observed["failover"] = {"job": "job-failover", "start": at(o + 300), "end": at(o + 306), "shutdown_at": at(o + 301),
                                "target_running_at": at(o + 305), "recovery_point_time": at(o + 299.5), "recovery_point_id": "rp1"}
    if phase in ("committed", "migrated"):
        timings.append(step("commit", o + 307, o + 308))
    if phase == "migrated":
        timings.append(step("complete_migration", o + 309, o + 310))
        observed["initial_replication"] = None
    return {"name": name, "friendly_name": name, "phase": phase, "protection_state": None, "provider": "InMageRcm",
            "health": "Normal", "failover_health": None, "health_errors": [], "progress_percent": progress,
            "rpo_seconds": 30, "last_recovery_point": at(o + 299), "last_test_failover": None, "last_failover_time": None,
            "target_vm": name, "target": {"vm_name": name, "resource_group_id": "/subscriptions/s/resourceGroups/rg-landing"},
            "current_job": None, "next_step": _report.NEXT_STEP.get(phase), "timings": timings, "blockers": list(blockers),
            "observed": observed}


def vm(name, i=4):
    return {"id": "/subscriptions/s/resourceGroups/rg-landing/providers/Microsoft.Compute/virtualMachines/%s" % name,
            "name": name, "location": "eastus", "size": "Standard_D2s_v3", "zone": "1", "power_state": "running",
            "private_ips": ["10.1.0.%d" % i]}


def fleet(count, now=None):
    """Records of ``count`` machines in 10 waves, most moved, some blocked in initial replication or drilled."""
    now = now or at(2000)
    records = []
    for i in range(count):
        name = "vm-app-%04d" % i
        phase = ("migrated", "migrated", "migrated", "committed", "initial_replication", "test_failover_pending_cleanup")[i % 6]
        blockers = ["initial replication at 40 %"] if phase == "initial_replication" else \
            (["test failover pending cleanup"] if phase == "test_failover_pending_cleanup" else [])
        r = row(name, phase, offset=i % 50, progress=40 if phase == "initial_replication" else None, blockers=blockers)
        rec = mv.merge_record(None, r, now, wave=str(i % 10 + 1), vault="rsv-move",
                              target_vm=vm(name, i % 250 + 4) if phase in ("migrated", "committed") else None)
        records.append(rec)
    return records


def test_a_moved_machine_keeps_its_target_downtime_and_data_loss_window_after_the_vault_forgets_it():
    now = at(400)
    rec = mv.merge_record(None, row("vm-web01", "committed"), now, wave="1", vault="rsv", target_vm=vm("vm-web01"))
    cut = rec["cutover"]
    assert cut["downtime_seconds"] == 240 and cut["data_loss_seconds"] == 90
    assert rec["timeline"]["shutdown"] == at(301) and rec["timeline"]["failover"] == at(306)
    assert rec["initial_replication"]["done_at"] == at(200) and rec["initial_replication"]["duration_seconds"] == 195 * 60
    assert rec["initial_replication"]["throughput_bytes_per_second"] == 64 * 1024 ** 3 // (195 * 60)
    # Then the replication is removed: the jobs still say when; the item, its VM and its failover facts are gone.
    gone = row("vm-web01", "migrated")
    gone["observed"]["failover"] = None
    later = mv.merge_record(rec, gone, at(500))
    assert later["status"] == "moved" and later["wave"] == "1" and later["target_vm"]["private_ips"] == ["10.1.0.4"]
    assert later["cutover"]["downtime_seconds"] == 240 and later["timeline"]["migration_complete"] == at(310)
    # And the vault itself is gone (cleanup): the row comes from the record.
    recorded = mv.recorded_row(later)
    assert recorded["phase"] == "migrated" and recorded["recorded"]
    again = mv.merge_record(later, recorded, at(600), decommission=mv.decommission_of(
        {"deleted": {"vm": ["/s/x/virtualMachines/vm-web01"], "disks": ["/s/x/disks/d1"], "nics": []},
         "kept": [{"kind": "nsgs", "id": "/s/x/networkSecurityGroups/nsg-app", "reason": "used by subnet snet-app"}],
         "source_vm_id": "/s/x/virtualMachines/vm-web01"}, at(600)))
    assert again["decommission"]["deleted"] == {"vm": ["vm-web01"], "disks": ["d1"]}
    assert again["decommission"]["kept"] == [{"kind": "nsgs", "name": "nsg-app", "reason": "used by subnet snet-app"}]
    # A decommission re-run that found nothing to do leaves the record alone.
    assert mv.decommission_of({"deleted": {}, "kept": [], "source_vm_id": None}, at(700)) is None
    assert mv.stable(mv.merge_record(again, recorded, at(800))) == mv.stable(again)


def test_the_time_left_of_an_initial_replication_comes_from_the_progress_between_report_runs():
    first = mv.merge_record(None, row("vm-db01", "initial_replication", progress=20), at(65))
    # 20 % in the hour since the copy started: 4 hours left.
    assert first["initial_replication"]["eta_seconds"] == 4 * 3600
    second = mv.merge_record(first, row("vm-db01", "initial_replication", progress=60), at(95))
    # 40 % in the 30 minutes between the two report runs: 30 minutes left.
    assert second["initial_replication"]["eta_seconds"] == 1800 and second["initial_replication"]["eta_at"] == at(125)
    same = mv.merge_record(second, row("vm-db01", "initial_replication", progress=60), at(100))
    assert mv.stable(same) == mv.stable(second)  # no new progress: nothing new to write
    entry = mv.entry_of(second)
    assert "samples" not in entry["initial_replication"]
    fix = mv.fix_for("initial replication at 60 %", row("vm-db01", "initial_replication"), entry["initial_replication"])
    assert "about 30 min left" in fix


def test_the_move_json_follows_its_schema_and_the_page_escapes_what_azure_says(tmp_path):
    records = fleet(12)
    records[0]["machine"] = EVIL
    records[1]["target_vm"]["name"] = EVIL
    appliance = {"capacity": {"max_machines": 4, "disk_churn_tb_per_day": 2}, "machines": ["vm-app-0000", "vm-app-0001"],
                 "source": "https://learn.microsoft.com/azure/site-recovery/x"}
    appliances = {"schema": 1, "appliances": {"appliance-01": appliance}}
    move = mv.build_move(records, at(2000), appliances, ["2026-05-04T09-00-00Z.json"], {"wave-1.html"})
    jsonschema.validate(json.loads(_report.to_json(move)), SCHEMA)
    assert move["summary"]["machine_count"] == 12 and move["summary"]["moved"] == 6
    assert move["waves"][0]["wave"] == "1" and move["waves"][0]["page"] == "wave-1.html"
    assert move["blockers"][0]["reasons"][0]["fix"]
    page = mv.render_move_html(move)
    assert "<script" not in page.lower() and "<img" not in page and "&lt;img src=" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "learn.microsoft.com" in page  # the capacity figures' source, as text
    assert 'href="history/2026-05-04T09-00-00Z.json"' in page
    assert page.count('<g class="lane"') == 12
    one = re.search(r'<tr data-machine="vm-app-0003">(.*?)</tr>', page, re.S).group(1)
    assert "phase-committed" in one and "4 min" in one and "1 min 30 s" in one and "10.1.0.7" in one


def test_the_summary_in_the_play_output_is_short():
    blocked = row("vm-ir", "initial_replication", progress=40, blockers=["initial replication at 40 %"])
    rows = [row("vm-%02d" % i, "migrated") for i in range(3)] + [blocked]
    lines = mv.summary_lines(rows, [], "/r/move.html")
    assert lines[0] == "4 machines: 3 moved, 0 ready for their next step, 1 blocked"
    assert re.match(r"vm-00\s+moved\s+-$", lines[2]) and any("vm-ir: initial replication at 40 % -> wait" in x for x in lines)
    many = [row("vm-%03d" % i, "protected") for i in range(300)]
    assert len(mv.summary_lines(many, [], "/r/move.html")) < 8
    # a machine on two pages written in the same run is one machine
    assert mv.summary_lines(rows + rows[:2], [], "/r/move.html")[0] == lines[0]


@pytest.mark.parametrize("count", [300])
def test_a_move_of_300_machines_is_a_page_of_reasonable_size(count):
    move = mv.build_move(fleet(count), at(2000), None, [], set())
    jsonschema.validate(json.loads(_report.to_json(move)), SCHEMA)
    page = mv.render_move_html(move)
    assert len(page) < 1500 * 1024, len(page)
    assert page.count('<g class="lane"') == count and page.count("<svg") == 10
