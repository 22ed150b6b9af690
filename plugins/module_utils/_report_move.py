# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The move report: what the wave report saw of each machine, kept in a record of its own (``<dest>/state/<machine>.json``)
so that it outlives the replicated item (gone after complete migration), the source VM (gone after decommission) and
the vault's job history; the page of the whole move built from every record; the timeline drawn as inline SVG; and
the short summary printed at the end of each phase. Values are recorded when observed, never recomputed later."""

from __future__ import annotations

import copy
import datetime
import json
import os
import re

from ._report import _lower, _phase_badge, _short, _time_text, duration_text, esc, iso, parse_time

STATE_SCHEMA = 1
MOVE_REPORT_VERSION = 1
MOVED_PHASES = ("migrated",)
AFTER_FAILOVER = ("failed_over", "committing", "committed", "disabling", "migrated")

# The timeline of a machine: (key, label, colour).
EVENTS = (
    ("replication_start", "Replication start", "#64748b"),
    ("initial_replication_done", "Initial replication done", "#2563eb"),
    ("test_drill", "Test drill", "#ca8a04"),
    ("shutdown", "Source shut down", "#dc2626"),
    ("failover", "Failover", "#9333ea"),
    ("commit", "Commit", "#0d9488"),
    ("migration_complete", "Migration complete", "#15803d"),
)
EVENT_LABELS = dict((k, label) for k, label, _c in EVENTS)
_STEP_EVENT = {"enable_replication": ("replication_start", "start"), "test_failover": ("test_drill", "end"),
               "failover": ("failover", "end"), "commit": ("commit", "end"), "complete_migration": ("migration_complete", "end")}
_DONE = ("succeeded", "completedwithinformation", "completed")
_VOLATILE = ("last_seen", "last_recovery_point_before_failover")
SAMPLES_KEPT = 12


def _seconds(later, earlier):
    a, b = parse_time(later), parse_time(earlier)
    return int(round((a - b).total_seconds())) if a and b else None


def safe_file(name):
    """A machine's record file name: its name with anything but letters, digits, '.', '_' and '-' replaced."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name or "machine")).strip(".") or "machine"


def record_path(dest, machine):
    return os.path.join(dest, "state", safe_file(machine) + ".json")


def read_records(dest):
    """{lower-cased machine name: record} of every machine the report has seen; unreadable files are skipped."""
    out = {}
    folder = os.path.join(dest, "state")
    if not os.path.isdir(folder):
        return out
    for entry in sorted(os.listdir(folder)):
        if not entry.endswith(".json"):
            continue
        try:
            with open(os.path.join(folder, entry), encoding="utf-8") as handle:
                doc = json.load(handle)
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("machine"):
            out[_lower(doc["machine"])] = doc
    return out


def stable(record):
    """The record without what changes on every read (when it was last seen)."""
    out = json.loads(json.dumps(record, sort_keys=True, default=str))
    for key in _VOLATILE:
        out.pop(key, None)
    (out.get("target_vm") or {}).pop("observed_at", None)
    # Azure moves the RPO and the last recovery point every few seconds: kept when written, not a change by themselves.
    row = out.get("row") or {}
    for key in ("rpo_seconds", "last_recovery_point"):
        row.pop(key, None)
    for step in row.get("timings") or []:
        if step.get("running"):
            step.pop("duration_seconds", None)
    return out


# -- fixes ---------------------------------------------------------------------------------------------------------
def fix_for(reason, row, ir=None):
    """What to do about one blocker, in words."""
    text = _lower(reason)
    if text.startswith("not replicated") or text.startswith("replication not enabled"):
        return "run the replicate phase for this machine's wave"
    if text.startswith("enable replication failed"):
        return "fix the cause Azure gives, then run the replicate phase again (it retries the machine)"
    if text.startswith("initial replication at"):
        eta = (ir or {}).get("eta_seconds")
        return "wait for the initial copy%s; the test phase can run once it is done" % (
            " (about %s left)" % duration_text(eta) if eta else "")
    if "pending cleanup" in text:
        return "check the test VM, then run the test phase again to clean the drill up (cutover needs it cleaned)"
    if "running" in text and "job" in text or text.endswith("running"):
        return "wait for the job to end, then run the phase again"
    if text.startswith("replication unhealthy"):
        actions = [e.get("recommended_action") for e in row.get("health_errors") or [] if e.get("recommended_action")]
        return actions[0] if actions else "follow the health error's recommended action in the vault, then run the phase again"
    if text.startswith("last ") and "failed" in text:
        return "fix the cause Azure gives, then run the same phase again: it resumes where it stopped"
    if "differ" in text and "plan" in text:
        return "run the rollback phase (-e move_rollback_confirm=true), or accept with move_accept_differences: true"
    if text.startswith("state not recognised"):
        return "look at the machine with replicated_machine_info and in the vault"
    return "see the report"


# -- the record ----------------------------------------------------------------------------------------------------
def _row_for_record(row):
    """The row as the report showed it, without the plan and comparison (they stay in the move's state dir)."""
    return dict((k, v) for k, v in row.items()
                if k not in ("mapping", "comparison", "source_target", "state_error", "observed", "move"))


def _timeline(rec, row):
    line = rec.setdefault("timeline", dict((k, None) for k, _l, _c in EVENTS))
    for step in row.get("timings") or []:
        event = _STEP_EVENT.get(step.get("step"))
        if not event:
            continue
        key, edge = event
        if edge == "end" and _lower(step.get("state")) not in _DONE:
            continue
        value = step.get(edge)
        if value and (key == "test_drill" or not line.get(key)):  # the latest drill; the first of the others
            line[key] = value
    fo = (row.get("observed") or {}).get("failover") or {}
    if fo.get("shutdown_at") and not line.get("shutdown"):
        line["shutdown"] = fo["shutdown_at"]
    ir_done = (rec.get("initial_replication") or {}).get("done_at")
    if ir_done and not line.get("initial_replication_done"):
        line["initial_replication_done"] = ir_done


def _initial_replication(rec, row, now):
    ir = rec.setdefault("initial_replication", {
        "start": None, "done_at": None, "done_basis": None, "duration_seconds": None, "bytes": None,
        "throughput_bytes_per_second": None, "progress_percent": None, "eta_seconds": None, "eta_at": None,
        "samples": []})
    step = next((t for t in row.get("timings") or [] if t.get("step") == "initial_replication"), None)
    seen = ((row.get("observed") or {}).get("initial_replication")) or {}
    if not step:
        return ir
    ir["start"] = ir.get("start") or step.get("start")
    if step.get("running"):
        pct = step.get("progress_percent") or 0
        samples = ir.setdefault("samples", [])
        if not samples or samples[-1].get("percent") != pct:
            samples.append({"at": now, "percent": pct, "bytes": seen.get("bytes")})
            del samples[:-SAMPLES_KEPT]
            # The rate between report runs when two saw progress; else since the copy started.
            first = next((s for s in samples if s.get("percent") is not None and s["percent"] < pct), None)
            base = (first["at"], first["percent"]) if first else (ir["start"], 0)
            elapsed = _seconds(now, base[0])
            if elapsed and elapsed > 0 and pct > base[1]:
                eta = int(round((100 - pct) * elapsed / float(pct - base[1])))
                ir.update(eta_seconds=eta, eta_at=iso(parse_time(now) + datetime.timedelta(seconds=eta)))
        ir.update(progress_percent=pct, bytes=seen.get("bytes") or ir.get("bytes"))
        return ir
    ir.update(progress_percent=100, eta_seconds=None, eta_at=None)
    if not ir.get("done_at"):
        # Azure does not say when the copy ended: the last transfer when it gives one, else no later than this read
        # or the first step that needed it done.
        later = [t.get("start") for t in row.get("timings") or [] if t.get("step") in ("test_failover", "failover")]
        candidates = [(seen.get("last_transfer"), "last data transfer")] + [(t, "no later than the next step") for t in later] + \
            [(now, "first seen complete by the report")]
        when, basis = min(((t, b) for t, b in candidates if parse_time(t)), key=lambda tb: parse_time(tb[0]))
        ir.update(done_at=iso(parse_time(when)), done_basis=basis)
    if not ir.get("bytes") or (seen.get("bytes") or 0) > ir["bytes"]:
        ir["bytes"] = seen.get("bytes") or seen.get("total_bytes") or ir.get("bytes")
    ir["duration_seconds"] = _seconds(ir["done_at"], ir["start"])
    if ir["bytes"] and ir["duration_seconds"]:
        ir["throughput_bytes_per_second"] = int(ir["bytes"] / max(ir["duration_seconds"], 1))
    return ir


def _cutover(rec, row):
    fo = (row.get("observed") or {}).get("failover")
    cut = rec.get("cutover")
    if not fo and not cut:
        return
    cut = rec.setdefault("cutover", {})
    for key in ("job", "start", "end", "shutdown_at", "target_running_at", "recovery_point_time", "recovery_point_id"):
        if (fo or {}).get(key):
            cut[key] = fo[key]
    if not cut.get("recovery_point_time") and rec.get("last_recovery_point_before_failover"):
        cut["recovery_point_time"] = rec["last_recovery_point_before_failover"]
        cut["recovery_point_basis"] = "the last recovery point seen before the failover"
    elif cut.get("recovery_point_time"):
        cut["recovery_point_basis"] = "the failover job"
    cut["downtime_seconds"] = _seconds(cut.get("target_running_at"), cut.get("shutdown_at"))
    if cut.get("shutdown_at"):
        cut["data_loss_seconds"] = _seconds(cut["shutdown_at"], cut.get("recovery_point_time"))
        cut["data_loss_basis"] = "recovery point used against the source shutdown"
    else:  # not shut down by the failover: it could change data until someone stopped it
        cut["data_loss_seconds"] = _seconds(cut.get("start"), cut.get("recovery_point_time"))
        cut["data_loss_basis"] = "recovery point used against the failover start (the source was not shut down by it)"
    if cut.get("data_loss_seconds") is not None:
        cut["data_loss_seconds"] = max(0, cut["data_loss_seconds"])


def _names(ids):
    return [str(i).rstrip("/").rsplit("/", 1)[-1] for i in ids or []]


def decommission_of(result, when):
    """source_decommission's result, as the record keeps it; None when it did nothing worth keeping."""
    if not isinstance(result, dict) or result.get("skipped") or result.get("failed"):
        return None
    deleted = dict((kind, _names(ids)) for kind, ids in (result.get("deleted") or {}).items() if ids)
    kept = [{"kind": k.get("kind"), "name": _names([k.get("id")])[0] if k.get("id") else None, "reason": k.get("reason")}
            for k in result.get("kept") or [] if isinstance(k, dict)]
    if not deleted and not kept:
        return None
    return {"at": when, "source_vm_id": result.get("source_vm_id"), "deleted": deleted, "kept": kept}


def backup_of(result, vault, not_carried):
    """backup_relocation's result, as the record keeps it; None when the task did not run."""
    if not isinstance(result, dict) or result.get("skipped") or result.get("failed") or "had_backup" not in result:
        return None
    new = result.get("new_protection") or {}
    old = result.get("old_protection") or {}
    return {"had_backup": bool(result.get("had_backup")), "vault": vault if result.get("had_backup") else None,
            "policy": (result.get("policy") or {}).get("name"), "protection_state": new.get("protection_state"),
            "old_protection": old.get("state"), "recovery_points": (result.get("recovery_points") or {}).get("count"),
            "settings_not_carried": [{"setting": n.get("setting"), "item": n.get("item"), "reason": n.get("reason")}
                                     for n in not_carried or [] if isinstance(n, dict)]}


def merge_record(old, row, now, wave=None, vault=None, target_vm=None, decommission=None, backup=None):
    """The machine's record after this read: ``old`` (or a new one) with what ``row`` shows now. What was observed
    once (a failover's times, the target VM after migration, a decommission) is kept when it can no longer be seen."""
    rec = copy.deepcopy(old) if old else {"schema": STATE_SCHEMA, "machine": row["name"], "first_seen": now, "wave": None}
    recorded_only = row.get("recorded")
    rec["machine"] = row["name"]
    if wave:
        rec["wave"] = str(wave)
    if vault and not recorded_only:
        rec["vault"] = vault
    rec["last_seen"] = now
    if not recorded_only:
        rec["row"] = _row_for_record(row)
        if row["phase"] not in AFTER_FAILOVER and row.get("last_recovery_point"):
            rec["last_recovery_point_before_failover"] = row["last_recovery_point"]
        target = row.get("target") or {}
        if target.get("vm_name"):
            rec["target_plan"] = {"vm_name": target.get("vm_name"), "resource_group_id": target.get("resource_group_id"),
                                  "vm_id": target.get("vm_id")}
        _initial_replication(rec, row, now)
        _cutover(rec, row)
        _timeline(rec, row)
    if target_vm:
        rec["target_vm"] = dict(target_vm, observed_at=now)
    if decommission:
        rec["decommission"] = decommission
    if backup and (backup.get("had_backup") or not rec.get("backup")):
        rec["backup"] = backup
    phase = rec["row"]["phase"] if rec.get("row") else row["phase"]
    rec["phase"] = phase
    rec["status"] = "moved" if phase in MOVED_PHASES else phase
    return rec


def recorded_row(rec):
    """A row for a machine the vault no longer knows (or the run did not ask for), from its record."""
    row = dict(rec.get("row") or {"name": rec["machine"], "phase": rec.get("phase") or "missing"})
    defaults = {"friendly_name": None, "protection_state": None, "provider": None, "health": None, "failover_health": None,
                "health_errors": [], "progress_percent": None, "rpo_seconds": None, "last_recovery_point": None,
                "last_test_failover": None, "last_failover_time": None, "target_vm": None, "target": {}, "current_job": None,
                "next_step": None, "timings": [], "blockers": []}
    for key, value in defaults.items():
        row.setdefault(key, value)
    row["recorded"] = True
    return row


def entry_of(rec):
    """A machine of the move report (the JSON other tools read): the record without its bookkeeping."""
    row = rec.get("row") or {}
    ir = dict(rec.get("initial_replication") or {})
    ir.pop("samples", None)
    blockers = [{"reason": r, "fix": fix_for(r, row, ir)} for r in row.get("blockers") or []]
    return {
        "name": rec["machine"], "wave": rec.get("wave"), "vault": rec.get("vault"), "phase": rec.get("phase"),
        "status": rec.get("status"), "next_step": row.get("next_step"), "blockers": blockers,
        "first_seen": rec.get("first_seen"), "last_seen": rec.get("last_seen"),
        "timeline": dict((k, (rec.get("timeline") or {}).get(k)) for k, _l, _c in EVENTS),
        "initial_replication": ir or None, "target_plan": rec.get("target_plan"), "target_vm": rec.get("target_vm"),
        "cutover": rec.get("cutover"), "decommission": rec.get("decommission"), "backup": rec.get("backup"),
    }


# -- the target VM, read once it exists ----------------------------------------------------------------------------
def target_vm_id(row, rec):
    """Where to read the machine's target VM: the item's, the comparison's, or the planned name in its resource group."""
    target = dict((rec or {}).get("target_plan") or {})
    target.update(dict((k, v) for k, v in (row.get("target") or {}).items() if v))
    vm_id = target.get("vm_id") or ((row.get("comparison") or {}).get("target_vm_id")) or ((rec or {}).get("target_vm") or {}).get("id")
    if not vm_id and target.get("resource_group_id") and target.get("vm_name"):
        vm_id = "%s/providers/Microsoft.Compute/virtualMachines/%s" % (target["resource_group_id"].rstrip("/"), target["vm_name"])
    return vm_id


def needs_target(row, rec):
    """Read the target VM while the machine is between failover and complete migration, and once after it."""
    if row.get("recorded") or row["phase"] not in AFTER_FAILOVER:
        return False
    return row["phase"] not in MOVED_PHASES or not (rec or {}).get("target_vm")


def read_vm(module, vm_id):
    """The target VM's id, name, size, zone, power state and private IPs (compute and network APIs); None if gone."""
    from azure.mgmt.core.tools import parse_resource_id  # pylint: disable=import-outside-toplevel
    from ._errors import get_or_none  # pylint: disable=import-outside-toplevel

    parts = parse_resource_id(vm_id)
    vm = get_or_none(module.client("compute").virtual_machines.get, parts["resource_group"], parts["name"], expand="instanceView")
    if vm is None:
        return None
    power = None
    for status in (vm.instance_view.statuses if vm.instance_view else None) or []:
        if (status.code or "").startswith("PowerState/"):
            power = status.code.split("/", 1)[1]
    ips = []
    network = module.client("network")
    for ref in (vm.network_profile.network_interfaces if vm.network_profile else None) or []:
        nic_parts = parse_resource_id(ref.id)
        nic = get_or_none(network.network_interfaces.get, nic_parts["resource_group"], nic_parts["name"])
        ips.extend(c.private_ip_address for c in (nic.ip_configurations if nic else None) or [] if c.private_ip_address)
    return {"id": vm.id, "name": vm.name, "location": vm.location,
            "size": vm.hardware_profile.vm_size if vm.hardware_profile else None,
            "zone": str(vm.zones[0]) if vm.zones else None, "power_state": power, "private_ips": ips}


def read_appliances(state_dir):
    """<state_dir>/appliances.json (the appliances' capacity and machines), or None when absent or unreadable."""
    if not state_dir:
        return None
    try:
        with open(os.path.join(state_dir, "appliances.json"), encoding="utf-8") as handle:
            doc = json.load(handle)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("appliances"), dict) else None


# -- the move report -----------------------------------------------------------------------------------------------
def _wave_key(wave):
    text = str(wave or "")
    return (not text, int(text) if text.isdigit() else 0, text)


def page_name(wave):
    return "wave-%s" % safe_file(wave) if wave else "wave-report"


def build_move(records, generated_at, appliances=None, history=None, pages=None):
    """The whole move from every record: machines per phase per wave, blockers with their fix, each machine's end."""
    entries = sorted((entry_of(r) for r in records), key=lambda e: (_wave_key(e["wave"]), _lower(e["name"])))
    waves = {}
    for entry in entries:
        wave = waves.setdefault(entry["wave"] or "", {
            "wave": entry["wave"], "machine_count": 0, "counts": {}, "moved": 0, "blocked": 0, "page": None})
        wave["machine_count"] += 1
        wave["counts"][entry["phase"]] = wave["counts"].get(entry["phase"], 0) + 1
        wave["moved"] += entry["status"] == "moved"
        wave["blocked"] += bool(entry["blockers"])
    for key, wave in waves.items():
        if pages and page_name(key) + ".html" in pages:
            wave["page"] = page_name(key) + ".html"
    counts = {}
    for entry in entries:
        counts[entry["phase"]] = counts.get(entry["phase"], 0) + 1
    return {
        "report_version": MOVE_REPORT_VERSION, "kind": "move", "title": "Move status", "generated_at": generated_at,
        "summary": {"machine_count": len(entries), "wave_count": len(waves), "moved": sum(e["status"] == "moved" for e in entries),
                    "blocked": sum(bool(e["blockers"]) for e in entries), "counts": counts},
        "waves": [waves[k] for k in sorted(waves, key=_wave_key)],
        "blockers": [{"machine": e["name"], "wave": e["wave"], "phase": e["phase"], "next_step": e["next_step"], "reasons": e["blockers"]}
                     for e in entries if e["blockers"]],
        "machines": entries,
        "appliances": appliances,
        "history": list(history or []),
    }


def move_comparable(report):
    out = json.loads(json.dumps(report, sort_keys=True, default=str))
    for key in ("generated_at", "history"):
        out.pop(key, None)
    for entry in out.get("machines") or []:
        entry.pop("last_seen", None)
        (entry.get("target_vm") or {}).pop("observed_at", None)
    return out


def history_name(generated_at, existing):
    base = (generated_at or "").replace(":", "-")
    name, n = "%s.json" % base, 2
    while name in existing:
        name, n = "%s-%d.json" % (base, n), n + 1
    return name


# -- the summary in the play's output ------------------------------------------------------------------------------
SUMMARY_ROWS = 20
SUMMARY_BLOCKERS = 15


def summary_lines(rows, entries, page):
    """A few plain lines for the job output (AWX): machines, phase, next step, and what blocks, with the fix."""
    by_name = dict((_lower(e["name"]), e) for e in entries)
    unique = {}
    for row in rows:  # a machine is on its wave's page and may be on another page written in the same run
        unique.setdefault(_lower(row["name"]), row)
    rows = list(unique.values())
    moved = sum(1 for r in rows if r["phase"] in MOVED_PHASES)
    blocked = [r for r in rows if r["blockers"]]
    lines = ["%d machines: %d moved, %d ready for their next step, %d blocked" % (
        len(rows), moved, len(rows) - moved - len(blocked), len(blocked))]
    width = max([len("machine")] + [len(r["name"]) for r in rows[:SUMMARY_ROWS]]) + 2
    if len(rows) <= SUMMARY_ROWS:
        lines.append("%-*s%-32s%s" % (width, "machine", "phase", "next step"))
        for row in rows:
            phase = "moved" if row["phase"] in MOVED_PHASES else row["phase"].replace("_", " ")
            lines.append("%-*s%-32s%s" % (width, row["name"], phase, row["next_step"] or "-"))
    else:
        counts = {}
        for row in rows:
            counts.setdefault(row["phase"], []).append(row)
        lines.append("%-32s%-10s%s" % ("phase", "machines", "next step"))
        for phase, members in counts.items():
            words = "moved" if phase in MOVED_PHASES else phase.replace("_", " ")
            lines.append("%-32s%-10d%s" % (words, len(members), members[0]["next_step"] or "-"))
    if blocked:
        lines.append("blocked (what to do):")
        for row in blocked[:SUMMARY_BLOCKERS]:
            ir = (by_name.get(_lower(row["name"])) or {}).get("initial_replication")
            for reason in row["blockers"][:2]:
                lines.append("  %s: %s -> %s" % (row["name"], _short(reason, 140), fix_for(reason, row, ir)))
        if len(blocked) > SUMMARY_BLOCKERS:
            lines.append("  ... and %d more blocked machines (see the report)" % (len(blocked) - SUMMARY_BLOCKERS))
    lines.append("report: %s" % page)
    return lines


# -- HTML ----------------------------------------------------------------------------------------------------------
MOVE_CSS = """
table.fixed { table-layout: fixed; } table.fixed td, table.fixed th { overflow-wrap: anywhere; }
#summary td.phases .phase { margin: 1px 2px; }
.legend span { display: inline-block; margin-right: 12px; white-space: nowrap; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; vertical-align: middle; }
svg.timeline { width: 100%; }
.history li { display: inline-block; margin-right: 10px; }
"""


def _bytes_text(value):
    if not value:
        return ""
    value = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return ("%d %s" % (value, unit)) if unit == "B" else ("%.1f %s" % (value, unit))
        value /= 1024.0
    return ""


def _target_cell(entry):
    vm = entry.get("target_vm")
    if not vm:
        plan = entry.get("target_plan") or {}
        return '<span class="muted">%s</span>' % esc("planned %s" % plan["vm_name"] if plan.get("vm_name") else "-")
    power = vm.get("power_state") or "unknown"
    parts = ['<strong title="%s">%s</strong>' % (esc(vm.get("id")), esc(vm.get("name"))),
             '<span class="vm-size">%s</span>' % esc(vm.get("size") or "-"),
             'IP <span class="vm-ips">%s</span>' % esc(", ".join(vm.get("private_ips") or []) or "-"),
             "zone %s" % esc(vm.get("zone") or "none"),
             '<span class="%s vm-power">%s</span>' % ("ok" if power == "running" else "bad", esc(power))]
    return "<br>".join(parts) + '<br><span class="muted vm-id">%s</span>' % esc(vm.get("id"))


def _cutover_cells(entry):
    cut = entry.get("cutover") or {}
    down = cut.get("downtime_seconds")
    loss = cut.get("data_loss_seconds")
    down_text = esc(duration_text(down)) if down is not None else '<span class="muted">-</span>'
    if down is not None:
        down_text += '<br><span class="muted">%s to %s</span>' % (esc(_time_text(cut.get("shutdown_at"))),
                                                                  esc(_time_text(cut.get("target_running_at"))))
    loss_text = esc(duration_text(loss)) if loss is not None else '<span class="muted">-</span>'
    if loss is not None:
        loss_text += '<br><span class="muted">recovery point %s</span>' % esc(_time_text(cut.get("recovery_point_time")))
    return '<td class="downtime">%s</td><td class="data-loss">%s</td>' % (down_text, loss_text)


def _ir_cell(entry):
    ir = entry.get("initial_replication") or {}
    if not ir.get("start"):
        return '<span class="muted">-</span>'
    if ir.get("done_at"):
        parts = ["done in %s" % duration_text(ir.get("duration_seconds")) if ir.get("duration_seconds") is not None else "done"]
        if ir.get("bytes"):
            parts.append(_bytes_text(ir["bytes"]))
        if ir.get("throughput_bytes_per_second"):
            parts.append("%s/s" % _bytes_text(ir["throughput_bytes_per_second"]))
        return esc(", ".join(parts))
    text = "%s %%" % (ir.get("progress_percent") or 0)
    if ir.get("eta_seconds") is not None:
        text += ", about %s left (%s)" % (duration_text(ir["eta_seconds"]), _time_text(ir.get("eta_at")))
    return esc(text)


def _end_cell(entry):
    out = []
    dec = entry.get("decommission")
    if dec:
        deleted = ["%s %s" % (kind.replace("_", " "), ", ".join(names)) for kind, names in sorted(dec["deleted"].items())]
        out.append("source decommissioned %s: deleted %s" % (_time_text(dec.get("at")), "; ".join(deleted) or "nothing"))
        for kept in dec.get("kept") or []:
            out.append("kept %s %s: %s" % ((kept.get("kind") or "").replace("_", " "), kept.get("name") or "", kept.get("reason") or ""))
    backup = entry.get("backup")
    if backup:
        if backup.get("had_backup"):
            out.append("backup protected in %s (policy %s, %s)" % (
                backup.get("vault") or "?", backup.get("policy") or "?", backup.get("protection_state") or "?"))
            for item in backup.get("settings_not_carried") or []:
                out.append("vault setting not carried: %s (%s): %s" % (item.get("setting"), item.get("item"), item.get("reason")))
        else:
            out.append("no backup to relocate")
    return "<br>".join(esc(x) for x in out) or '<span class="muted">-</span>'


def moved_table(entries, table_id):
    """Per machine: status, where it went, downtime, data-loss window, initial replication, the end of its move."""
    out = ['<table class="fixed" id="%s"><tr><th style="width:14%%">Machine</th><th style="width:6%%">Wave</th>'
           '<th style="width:11%%">Status</th><th style="width:22%%">Target VM</th><th style="width:10%%">Downtime</th>'
           '<th style="width:11%%">Data-loss window</th><th style="width:12%%">Initial replication</th><th>End of the move</th></tr>' % table_id]
    for e in entries:
        status = '<span class="phase phase-moved">moved</span>' if e["status"] == "moved" else _phase_badge(e["phase"])
        out.append('<tr data-machine="%s"><td>%s</td><td>%s</td><td class="status">%s<br><span class="muted">%s</span></td>'
                   '<td class="target-vm">%s</td>%s<td class="ir">%s</td><td class="end">%s</td></tr>' % (
                       esc(e["name"]), esc(e["name"]), esc(e.get("wave") or "-"), status,
                       esc("next: %s" % e["next_step"] if e.get("next_step") else ("nothing left" if e["status"] == "moved" else "")),
                       _target_cell(e), _cutover_cells(e), _ir_cell(e), _end_cell(e)))
    out.append("</table>")
    return "".join(out)


TL_W, TL_LABEL, TL_LANE, TL_TOP = 1000, 190, 18, 30


def timeline_svg(entries, svg_id):
    """One lane per machine, a dot per event of its move (with a <title>), on one time axis; inline SVG, no script."""
    lanes = []
    for e in entries:
        times = [(k, parse_time((e.get("timeline") or {}).get(k))) for k, _l, _c in EVENTS]
        times = [(k, t) for k, t in times if t]
        if times:
            lanes.append((e, times))
    if not lanes:
        return '<p class="muted">No step of the move has happened yet.</p>'
    first = min(t for _e, ts in lanes for _k, t in ts)
    last = max(t for _e, ts in lanes for _k, t in ts)
    span = max((last - first).total_seconds(), 60.0)
    width = TL_W - TL_LABEL - 20
    height = TL_TOP + len(lanes) * TL_LANE + 10

    def x(stamp):
        return TL_LABEL + (stamp - first).total_seconds() / span * width

    colours = dict((k, c) for k, _l, c in EVENTS)
    out = ['<svg class="timeline" id="%s" role="img" width="%d" height="%d" viewBox="0 0 %d %d" '
           'aria-label="Timeline of each machine">' % (esc(svg_id), TL_W, height, TL_W, height),
           "<title>Timeline of each machine</title>"]
    for i in range(5):
        stamp = first + datetime.timedelta(seconds=span * i / 4.0)
        xx = x(stamp)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e7eb"/>' % (xx, TL_TOP - 6, xx, height - 6))
        out.append('<text x="%.1f" y="%d" font-size="11" font-family="sans-serif" fill="#6b7280" text-anchor="%s">%s</text>' % (
            xx, TL_TOP - 12, "start" if i == 0 else ("end" if i == 4 else "middle"), esc(stamp.strftime("%Y-%m-%d %H:%M"))))
    for n, (entry, times) in enumerate(lanes):
        y = TL_TOP + n * TL_LANE + TL_LANE / 2.0
        xs = [x(t) for _k, t in times]
        out.append('<g class="lane" data-machine="%s"><title>%s</title>' % (esc(entry["name"]), esc(entry["name"])))
        out.append('<text x="4" y="%.1f" font-size="12" font-family="sans-serif" fill="#111827">%s</text>' % (y + 4, esc(_short(entry["name"], 28))))
        out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#94a3b8" stroke-width="2"/>' % (min(xs), y, max(xs), y))
        for key, stamp in times:
            out.append('<circle class="event" data-event="%s" cx="%.1f" cy="%.1f" r="5" fill="%s"><title>%s: %s</title></circle>' % (
                key, x(stamp), y, colours[key], esc(EVENT_LABELS[key]), esc(_time_text(iso(stamp)))))
        out.append("</g>")
    out.append("</svg>")
    legend = "".join('<span><i style="background:%s"></i>%s</span>' % (c, esc(label)) for _k, label, c in EVENTS)
    return '<p class="legend">%s</p>%s' % (legend, "".join(out))


def appliances_section(doc):
    if not doc:
        return ""
    out = ['<h2>Replication appliances</h2><table class="fixed" id="appliances"><tr><th style="width:18%">Appliance</th>'
           '<th style="width:10%">Machines</th><th style="width:24%">Capacity</th><th>Machines assigned</th></tr>']
    for name, entry in sorted((doc.get("appliances") or {}).items()):
        entry = entry if isinstance(entry, dict) else {}
        machines = [str(m) for m in entry.get("machines") or []]
        capacity = entry.get("capacity") if isinstance(entry.get("capacity"), dict) else {}
        limit = next((v for k, v in capacity.items() if "machine" in str(k).lower() and isinstance(v, (int, float)) and v > 0), None)
        load = "%d" % len(machines) + (" of %d (%d %%)" % (limit, round(100.0 * len(machines) / limit)) if limit else "")
        cap_text = ", ".join("%s %s" % (str(k).replace("_", " "), v) for k, v in sorted(capacity.items(), key=lambda kv: str(kv[0])))
        source = ' <span class="muted">(source: %s)</span>' % esc(entry.get("source")) if entry.get("source") else ""
        css = ' class="bad"' if limit and len(machines) > limit else ""
        out.append('<tr data-appliance="%s"><td>%s</td><td%s>%s</td><td>%s%s</td><td>%s</td></tr>' % (
            esc(name), esc(name), css, esc(load), esc(cap_text), source, esc(", ".join(machines)) or "-"))
    out.append("</table>")
    return "".join(out)


def history_section(history, limit=30):
    if not history:
        return ""
    items = ['<li><a href="history/%s">%s</a></li>' % (esc(name), esc(name[:-5])) for name in history[:limit]]
    more = '<p class="muted">and %d earlier runs in history/</p>' % (len(history) - limit) if len(history) > limit else ""
    return '<h2>Earlier runs</h2><ul class="history" id="history">%s</ul>%s' % ("".join(items), more)


def wave_sections(report):
    """The move's part of a wave page: where each machine went, its timeline, the appliances, earlier runs."""
    entries = [row["move"] for row in report["machines"] if row.get("move")]
    if not entries:
        return ""
    return "".join([
        '<p class="meta"><a href="move.html">The whole move</a></p>',
        "<h2>Where each machine went</h2>", moved_table(entries, "moved"),
        "<h2>Timeline</h2>", timeline_svg(entries, "timeline"),
        appliances_section(report.get("appliances")), history_section(report.get("history"))])


def render_move_html(move):
    """The whole move as one page: inline CSS and SVG, no script, no external URL (a source URL is shown as text)."""
    from ._report import CSS  # pylint: disable=import-outside-toplevel

    s = move["summary"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>%s</title>" % esc(move["title"]), "<style>%s%s</style></head><body>" % (CSS, MOVE_CSS),
           '<h1 id="title">%s</h1>' % esc(move["title"]),
           '<p class="meta">Generated <time id="generated-at">%s</time> &middot; %d machines in %d waves &middot; '
           '<span class="ok">%d moved</span> &middot; %d blocked</p>' % (
               esc(move["generated_at"]), s["machine_count"], s["wave_count"], s["moved"], s["blocked"])]
    out.append('<h2>Machines per phase per wave</h2><table class="fixed" id="summary"><tr><th style="width:14%">Wave</th>'
               '<th style="width:10%">Machines</th><th style="width:10%">Moved</th><th style="width:10%">Blocked</th><th>By phase</th></tr>')
    for wave in move["waves"]:
        label = esc(wave["wave"] or "no wave")
        if wave.get("page"):
            label = '<a href="%s">%s</a>' % (esc(wave["page"]), label)
        phases = " ".join('%s&nbsp;%d' % (_phase_badge(p) if p not in MOVED_PHASES else '<span class="phase phase-moved">moved</span>', n)
                          for p, n in wave["counts"].items())
        out.append('<tr data-wave="%s"><td>%s</td><td class="n">%d</td><td class="n">%d</td><td class="n">%d</td><td class="phases">%s</td></tr>' % (
            esc(wave["wave"] or ""), label, wave["machine_count"], wave["moved"], wave["blocked"], phases))
    out.append("</table>")
    out.append('<h2>What blocks the next step, and the fix</h2><div id="blockers">')
    if move["blockers"]:
        out.append('<table class="fixed"><tr><th style="width:16%">Machine</th><th style="width:8%">Wave</th>'
                   '<th style="width:38%">What blocks</th><th>Fix</th></tr>')
        for b in move["blockers"]:
            for reason in b["reasons"]:
                out.append('<tr data-machine="%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
                    esc(b["machine"]), esc(b["machine"]), esc(b["wave"] or "-"), esc(reason["reason"]), esc(reason["fix"])))
        out.append("</table>")
    else:
        out.append('<p class="ok">Nothing blocks any machine.</p>')
    out.append("</div><h2>Machines</h2>")
    out.append(moved_table(move["machines"], "machines"))
    out.append("<h2>Timeline</h2>")
    waves = {}
    for entry in move["machines"]:
        waves.setdefault(entry["wave"] or "", []).append(entry)
    for wave in sorted(waves, key=_wave_key):
        out.append('<h3>%s</h3>' % esc("Wave %s" % wave if wave else "No wave"))
        out.append(timeline_svg(waves[wave], "timeline-%s" % safe_file(wave or "none")))
    out.append(appliances_section(move.get("appliances")))
    out.append(history_section(move.get("history")))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
