# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The wave status report: one read of the vault's items and jobs turned into per-machine rows and per-wave
counts and blockers (``build``), and that data as one self-contained HTML page (``render_html``): inline CSS,
the dependency picture as inline SVG, no script and no external URL, so it opens offline from a file."""

from __future__ import annotations

import datetime
import html
import json
import math
import re

from ._asr import job_summary, props
from ._machine_map import BOOKKEEPING_TAG, LICENSE_FROM_SOURCE, MappingError, read_state
from ._providers import PHASES
from ._replication import index_by_machine, item_name, item_summary, lookup

REPORT_VERSION = 1

# The steps of a move, each with the Site Recovery job scenarios that perform it (REST scenarioName values).
STEPS = (
    ("enable_replication", "Enable replication", ("enabledr", "enableprotection")),
    ("initial_replication", "Initial replication", ()),
    ("test_failover", "Test failover", ("testfailover",)),
    ("test_failover_cleanup", "Test failover cleanup", ("testfailovercleanup",)),
    ("failover", "Failover", ("unplannedfailover", "plannedfailover", "failover")),
    ("commit", "Commit", ("commitfailover", "failovercommit")),
    ("complete_migration", "Complete migration", ("disabledr", "disableprotection", "migrationcomplete")),
)
STEP_LABELS = dict((key, label) for key, label, _scenarios in STEPS)
_SCENARIO_STEP = dict((s, key) for key, _label, scenarios in STEPS for s in scenarios)

# What a machine in each phase does next, in the user's words (None: nothing left to do).
NEXT_STEP = {
    "missing": "enable replication",
    "discovered": "enable replication",
    "enabling": "initial replication",
    "enable_failed": "enable replication",
    "initial_replication": "test failover",
    "protected": "test failover",
    "test_failover_running": "test failover cleanup",
    "test_failover_pending_cleanup": "failover",
    "test_failover_cleaning_up": "failover",
    "failing_over": "commit",
    "failed_over": "commit",
    "committing": "complete migration",
    "committed": "complete migration",
    "disabling": None,
    "migrated": None,
    "unknown": None,
}

# A phase that is a running job: what runs, and the step whose job it is.
_RUNNING = {
    "enabling": ("enable replication running", "enable_replication"),
    "test_failover_running": ("test failover running", "test_failover"),
    "test_failover_cleaning_up": ("test failover cleanup running", "test_failover_cleanup"),
    "failing_over": ("failover running", "failover"),
    "committing": ("commit running", "commit"),
    "disabling": ("disabling replication running", "complete_migration"),
}

_TIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$")


# -- small helpers -----------------------------------------------------------------------------------------------
def parse_time(value):
    """An ARM timestamp (any number of fraction digits, Z or offset) as an aware UTC datetime; None for none or
    Azure's "no time" values (year 1 or 1753)."""
    match = _TIME_RE.match(str(value or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(x) for x in match.groups()[:6])
    if year < 1900:
        return None
    micro = int((match.group(7) or "0")[:6].ljust(6, "0"))
    offset = match.group(8) or "Z"
    delta = datetime.timedelta(0)
    if offset != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        delta = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    stamp = datetime.datetime(year, month, day, hour, minute, second, micro, tzinfo=datetime.timezone.utc)
    return stamp - delta


def iso(stamp):
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ") if stamp else None


def utc_now():
    return iso(datetime.datetime.now(datetime.timezone.utc))


def duration_text(seconds):
    """12 s, 3 min 4 s, 2 h 5 min, 1 d 3 h."""
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return "%d s" % seconds
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return "%d min %d s" % (minutes, sec) if sec else "%d min" % minutes
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return "%d h %d min" % (hours, minutes) if minutes else "%d h" % hours
    days, hours = divmod(hours, 24)
    return "%d d %d h" % (days, hours) if hours else "%d d" % days


def _lower(value):
    return (value or "").lower()


def _error_text(err):
    """'95107 Protection couldn't be enabled ...' from a health error or a job error summary."""
    code = err.get("provider_error_code") or err.get("code")
    message = err.get("provider_error_message") or err.get("message") or ""
    return ("%s %s" % (code, message) if code else message).strip()


# -- build -------------------------------------------------------------------------------------------------------
def _jobs_by_machine(jobs):
    """{lower-cased machine name: [job summary, ...] oldest first} from raw jobs or job summaries."""
    out = {}
    for job in jobs or []:
        summary = job if "scenario" in job and "tasks" in job and "properties" not in job else job_summary(job)
        if "properties" in job:  # the recovery point a (test) failover used: its job's item details say it
            items = ((props(job).get("customDetails") or {}).get("protectedItemDetails")) or [{}]
            summary = dict(summary, recovery_point_time=(items[0] or {}).get("recoveryPointTime"))
        name = _lower(summary.get("target_object_name"))
        if name:
            out.setdefault(name, []).append(summary)
    for entries in out.values():
        entries.sort(key=lambda j: (parse_time(j["start_time"]) or datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)))
    return out


def _step_of(job):
    return _SCENARIO_STEP.get(_lower(job.get("scenario")))


def _timing(key, job=None, start=None, end=None, state=None, attempts=0, now=None):
    start_t = parse_time(job["start_time"]) if job else parse_time(start)
    end_t = parse_time(job["end_time"]) if job else parse_time(end)
    running = end_t is None and start_t is not None
    until = end_t or (now if running else None)
    duration = (until - start_t).total_seconds() if start_t and until else None
    return {
        "step": key,
        "label": STEP_LABELS[key],
        "state": (job or {}).get("state") or state,
        "job": (job or {}).get("name"),
        "start": iso(start_t),
        "end": iso(end_t),
        "duration_seconds": int(round(duration)) if duration is not None else None,
        "running": running,
        "attempts": attempts,
    }


def _initial_replication(summary, enable_timing, item, now=None):
    """Initial replication has no job of its own: it starts when the enable job ends (or as the provider's disks
    say) and has ended once progress reaches 100 % (its end time Azure does not give)."""
    details = (props(item).get("providerSpecificDetails") or {}) if item else {}
    starts = [(d.get("irDetails") or {}).get("startTime") for d in details.get("protectedDisks") or []]
    start = min((s for s in starts if parse_time(s)), key=parse_time, default=None) or (enable_timing or {}).get("end")
    progress = summary.get("progress_percent") if summary else None
    phase = summary.get("phase") if summary else None
    if phase in ("enabling", "enable_failed", "discovered") or not start:
        return None
    done = progress == 100 or phase not in ("initial_replication",)
    entry = _timing("initial_replication", start=start, state="Completed" if done else "InProgress", now=now)
    entry["running"] = not done
    entry["progress_percent"] = 100 if done else progress
    entry["duration_seconds"] = None if done else entry["duration_seconds"]
    return entry


def _blockers(row, item_health_errors, jobs):
    """What stops this machine's next step, in words; [] when nothing does."""
    phase = row["phase"]
    out = []
    if phase == "missing":
        out.append("not replicated: the vault has no replicated item for it")
    elif phase == "discovered":
        out.append("replication not enabled")
    elif phase == "enable_failed":
        failed = [j for j in jobs if _step_of(j) == "enable_replication" and _lower(j["state"]) == "failed"]
        errors = (failed[-1]["errors"] if failed else []) or item_health_errors
        text = _error_text(errors[0]) if errors else ""
        out.append("enable replication failed" + (": %s" % text if text else ""))
    elif phase == "initial_replication":
        progress = row["progress_percent"]
        out.append("initial replication at %s %%" % (progress if progress is not None else 0))
    elif phase == "test_failover_pending_cleanup":
        out.append("test failover pending cleanup")
    elif phase in _RUNNING:
        text, step = _RUNNING[phase]
        running = [j for j in jobs if _step_of(j) == step and _lower(j["state"]) in ("inprogress", "notstarted")]
        out.append(text + (" (job %s)" % running[-1]["name"] if running else ""))
    elif phase == "unknown":
        out.append("state not recognised: %s" % (row.get("protection_state") or "none"))
    if _lower(row["health"]) == "critical" and phase not in ("enable_failed", "missing", "migrated"):
        for err in item_health_errors or [{}]:
            text = _error_text(err)
            out.append("replication unhealthy" + (": %s" % text if text else ""))
    # The newest job of the machine failed (a failover, a commit, a cleanup): that blocks until retried.
    if jobs and _lower(jobs[-1]["state"]) == "failed" and phase != "enable_failed":
        last = jobs[-1]
        text = _error_text(last["errors"][0]) if last["errors"] else ""
        step = STEP_LABELS.get(_step_of(last) or "", last.get("scenario") or "job").lower()
        out.append("last %s failed%s (job %s)" % (step, ": %s" % text if text else "", last["name"]))
    return out


def _display_name(name, summary):
    """The machine as named when it was enabled (its item's name, in Azure's case) where that is the name asked for."""
    item = (summary or {}).get("name") or ""
    return item if item.lower() in (_lower(name), item_name(name).lower()) else name


def _machine(name, item, jobs, now):
    summary = item_summary(item) if item else None
    steps = {}
    for job in jobs:
        key = _step_of(job)
        if key:
            steps.setdefault(key, []).append(job)
    timings = []
    enable = None
    for key, _label, _scenarios in STEPS:
        if key == "initial_replication":
            entry = _initial_replication(summary, enable, item, now)
        elif key in steps:
            entry = _timing(key, steps[key][-1], attempts=len(steps[key]), now=now)
        else:
            entry = None
        if key == "enable_replication":
            enable = entry
        if entry:
            timings.append(entry)
    migrated = summary is None and "complete_migration" in steps and _lower(steps["complete_migration"][-1]["state"]) == "succeeded"
    phase = summary["phase"] if summary else ("migrated" if migrated else "missing")
    tfo_jobs = steps.get("test_failover") or []
    last_tfo = None
    if tfo_jobs:
        job = tfo_jobs[-1]
        last_tfo = {"when": job["start_time"], "result": job["state"], "job": job["name"], "ended": job["end_time"],
                    "errors": [_error_text(e) for e in job["errors"]]}
    elif summary and parse_time(summary["last_test_failover_time"]):
        last_tfo = {"when": summary["last_test_failover_time"], "result": "Succeeded", "job": None, "ended": None, "errors": []}
    target = (summary or {}).get("target") or {}
    replication = (summary or {}).get("replication") or {}
    health_errors = (summary or {}).get("health_errors") or []
    row = {
        # The machine's name in the move (its source VM's); Site Recovery's friendly name is the guest's host name.
        "name": _display_name(name, summary),
        "friendly_name": (summary or {}).get("friendly_name"),
        "phase": phase,
        "protection_state": (summary or {}).get("protection_state"),
        "provider": (summary or {}).get("provider"),
        "health": (summary or {}).get("replication_health"),
        "failover_health": (summary or {}).get("failover_health"),
        "health_errors": [
            {"code": e.get("code"), "message": e.get("message"), "recommended_action": e.get("recommended_action"),
             "level": e.get("level")}
            for e in health_errors
        ],
        "progress_percent": (summary or {}).get("progress_percent"),
        "rpo_seconds": (summary or {}).get("rpo_seconds"),
        "last_recovery_point": replication.get("last_recovery_point"),
        "last_test_failover": last_tfo,
        "last_failover_time": (summary or {}).get("last_failover_time"),
        "target_vm": target.get("vm_name"),
        "target": {
            "vm_name": target.get("vm_name"),
            "vm_size": target.get("vm_size"),
            "resource_group": (target.get("resource_group_id") or "").rstrip("/").rsplit("/", 1)[-1] or None,
            "network": (target.get("network_id") or "").rstrip("/").rsplit("/", 1)[-1] or None,
            "test_network": (target.get("test_network_id") or "").rstrip("/").rsplit("/", 1)[-1] or None,
            "resource_group_id": target.get("resource_group_id"),
            "vm_id": target.get("vm_id"),
        },
        "current_job": (summary or {}).get("current_job"),
        "next_step": NEXT_STEP.get(phase),
        "timings": timings,
    }
    if phase == "protected" and last_tfo and _lower(last_tfo["result"]) == "succeeded":
        row["next_step"] = "failover"
    row["blockers"] = _blockers(row, health_errors, jobs)
    row["observed"] = observed_facts(item, summary, steps)
    return row


def _task_end(job, *words):
    """End of the first task of ``job`` whose name says one of ``words`` (lower case), or None."""
    for task in (job or {}).get("tasks") or []:
        text = ("%s %s" % (task.get("name") or "", task.get("friendly_name") or "")).lower()
        if any(w in text for w in words):
            return task.get("end_time")
    return None


def observed_facts(item, summary, steps):
    """What the move report keeps of this read, for when the item and its jobs are gone: the failover's source
    shutdown, target start and recovery point, and the initial replication's size and progress."""
    done = [j for j in steps.get("failover") or [] if _lower(j.get("state")) in ("succeeded", "completedwithinformation")]
    failover = done[-1] if done else None
    details = (props(item).get("providerSpecificDetails") or {}) if item else {}
    disks = [d for d in details.get("protectedDisks") or [] if isinstance(d, dict)]
    replication = (summary or {}).get("replication") or {}
    processed = [(d.get("irDetails") or {}).get("processedBytes") for d in disks]
    capacity = [d.get("capacityInBytes") for d in disks]
    if processed and all(isinstance(x, (int, float)) for x in processed):
        ir_bytes = sum(processed)
    else:
        ir_bytes = replication.get("initial_replication_processed_bytes")
    return {
        "failover": {
            "job": failover.get("name"), "start": failover.get("start_time"), "end": failover.get("end_time"),
            "shutdown_at": _task_end(failover, "shutdown", "shut down"),
            "target_running_at": _task_end(failover, "boot", "start the virtual machine") or failover.get("end_time"),
            "recovery_point_time": failover.get("recovery_point_time"),
            "recovery_point_id": (summary or {}).get("failover_recovery_point_id"),
        } if failover else None,
        "initial_replication": {
            "bytes": ir_bytes,
            "total_bytes": sum(c for c in capacity if isinstance(c, (int, float))) or None,
            "last_transfer": iso(max((parse_time((d.get("irDetails") or {}).get("lastDataTransferTimeUtc")) for d in disks
                                      if parse_time((d.get("irDetails") or {}).get("lastDataTransferTimeUtc"))), default=None)),
        } if item else None,
    }


# -- the machine's plan and its comparison after failover (the move's state directory) ----------------------------
STATUSES = ("same", "explained", "different")
_FIELD_LABELS = {
    "vm_name": "VM name", "size": "Size", "zone": "Availability zone", "availability_set_id": "Availability set",
    "proximity_placement_group_id": "Proximity placement group", "tags": "Tags", "license_type": "Licence type",
    "linux_license_type": "Linux licence type", "sql_license_type": "SQL Server licence type",
    "boot_diagnostics": "Boot diagnostics", "os_disk": "OS disk", "private_ip": "private IP", "public_ip": "public IP",
    "public_ip_id": "public IP", "network_security_group": "NSG", "network_security_group_id": "NSG",
    "size_gb": "size (GB)", "sku": "type",
}
_BOOKKEEPING_REASON = "the move's own azmove-* tags are bookkeeping, not the machine's: they are not carried"


def field_label(field):
    """'nics[0].private_ip' -> 'NIC 1 private IP', 'data_disks[lun=2]' -> 'Data disk LUN 2', 'size' -> 'Size'."""
    text = str(field or "")
    match = re.match(r"^nics\[(\d+)\]\.?(.*)$", text)
    lun = re.match(r"^data_disks\[lun=(\d+)\]\.?(.*)$", text)
    if match:
        head, rest = "NIC %d" % (int(match.group(1)) + 1), match.group(2)
    elif lun:
        head, rest = "Data disk LUN %s" % lun.group(1), lun.group(2)
    else:
        head, rest = "", text
    words = [_FIELD_LABELS.get(part, part.replace("_", " ")) for part in rest.split(".") if part]
    label = " ".join([head] + words if head else words).strip() or text
    return label[:1].upper() + label[1:]


def _name(arm_id):
    return arm_id.rstrip("/").rsplit("/", 1)[-1] if isinstance(arm_id, str) and arm_id else None


def _disk_text(disk):
    disk = disk or {}
    size, kind = disk.get("size_gb"), disk.get("sku") or disk.get("type")
    parts = (["%s GB" % size] if size is not None else []) + ([kind] if kind else [])
    return " ".join(parts) or None


def planned_fields(doc):
    """A mapping.json side by side: each field of the source VM against its planned target, "same", "explained"
    (with the mapping's reason) or "different" (what the plan changes without a reason)."""
    src, tgt = doc.get("source") or {}, doc.get("target") or {}
    explained = doc.get("explained") or {}
    overridden = set(doc.get("overridden") or [])
    out = []

    def add(field, source, target, same, *extra):
        reasons = [r for r in [explained.get(field)] + list(extra) if r]
        if not same and not reasons and re.split(r"[\[.]", field)[0] in overridden:
            reasons = ["set by you"]
        status = "same" if same else ("explained" if reasons else "different")
        why = "" if same else ("; ".join(reasons) or "the plan differs from the source and gives no reason")
        out.append({"field": field, "label": field_label(field), "source": source, "target": target,
                    "status": status, "why": why})

    add("size", src.get("size"), tgt.get("size"), _lower(src.get("size")) == _lower(tgt.get("size")))
    zone_s, zone_t = (str(z) if z else None for z in (src.get("zone"), tgt.get("zone")))
    add("zone", zone_s, zone_t, zone_s == zone_t)
    for key in ("availability_set_id", "proximity_placement_group_id"):
        if src.get(key) or tgt.get(key):
            add(key, _name(src.get(key)), _name(tgt.get(key)), _lower(_name(src.get(key))) == _lower(_name(tgt.get(key))))
    tags_s, tags_t = src.get("tags") or {}, tgt.get("tags") or {}
    own = {k: v for k, v in tags_s.items() if not BOOKKEEPING_TAG.match(str(k))}
    if own == tags_t:
        add("tags", tags_s, tags_t, tags_s == tags_t, _BOOKKEEPING_REASON)
    else:  # only the mapping's reason can explain tags added or changed
        add("tags", tags_s, tags_t, False, *([_BOOKKEEPING_REASON] if explained.get("tags") and own != tags_s else []))

    # Licences: the source's licenseType and Site Recovery's name for the same benefit.
    windows = _lower(src.get("os_type")) == "windows"
    key = "linux_license_type" if tgt.get("linux_license_type") or (not windows and not tgt.get("license_type")) else "license_type"
    lic_t = tgt.get(key)
    add(key, src.get("license_type"), lic_t,
        (LICENSE_FROM_SOURCE.get(_lower(src.get("license_type"))) or (None, None))[1] == (None if lic_t == "NoLicenseType" else lic_t))
    if src.get("sql_license_type") or tgt.get("sql_license_type"):
        sql_s, sql_t = src.get("sql_license_type"), tgt.get("sql_license_type")
        add("sql_license_type", sql_s, sql_t, _lower(sql_s) == _lower(sql_t) or (not sql_s and sql_t == "NoLicenseType"))
    add("boot_diagnostics", bool(src.get("boot_diagnostics")), bool(tgt.get("boot_diagnostics")),
        bool(src.get("boot_diagnostics")) == bool(tgt.get("boot_diagnostics")))

    targets = [n for n in tgt.get("nics") or [] if isinstance(n, dict)]
    for i, nic in enumerate(src.get("nics") or []):
        t = next((n for n in targets if n.get("source_ip") and n.get("source_ip") == nic.get("private_ip")),
                 targets[i] if i < len(targets) else {})
        where = "nics[%d]" % i
        add(where + ".subnet", nic.get("subnet"), t.get("subnet"), _lower(nic.get("subnet")) == _lower(t.get("subnet")))
        ip, static = nic.get("private_ip"), t.get("static_ip")
        allocation = _lower(nic.get("allocation")) or "dynamic"
        add(where + ".private_ip", "%s (%s)" % (ip, allocation) if ip else None,
            "%s (static)" % static if static else "next free address (dynamic)",
            (static == ip and allocation == "static") or (not static and not ip), explained.get(where + ".allocation"))
        for field, key in (("network_security_group", "network_security_group_id"), ("public_ip", "public_ip_id")):
            if nic.get(key) or t.get(key):
                add(where + "." + field, _name(nic.get(key)), _name(t.get(key)),
                    _lower(_name(nic.get(key))) == _lower(_name(t.get(key))))
        add(where + ".primary", bool(nic.get("primary")), bool(t.get("primary")), bool(nic.get("primary")) == bool(t.get("primary")))
        if nic.get("accelerated_networking") or t.get("accelerated_networking"):
            add(where + ".accelerated_networking", bool(nic.get("accelerated_networking")),
                bool(t.get("accelerated_networking")),
                bool(nic.get("accelerated_networking")) == bool(t.get("accelerated_networking")))

    disks = [d for d in tgt.get("disks") or [] if isinstance(d, dict)]
    os_t = next((d for d in disks if d.get("lun") is None), None)
    add("os_disk", _disk_text(src.get("os_disk")), _disk_text(os_t), _lower(_disk_text(src.get("os_disk"))) == _lower(_disk_text(os_t)))
    data_s = {d.get("lun"): d for d in src.get("data_disks") or [] if isinstance(d, dict)}
    data_t = {d.get("lun"): d for d in disks if d.get("lun") is not None}
    for lun in sorted(set(data_s) | set(data_t), key=lambda x: (not isinstance(x, int), str(x) if not isinstance(x, int) else x)):
        one, two = _disk_text(data_s.get(lun)), _disk_text(data_t.get(lun))
        add("data_disks[lun=%s]" % lun, one, two, _lower(one) == _lower(two))
    return out


def compared_fields(doc):
    """A comparison.json side by side: its fields as the check after failover judged them."""
    out = []
    for entry in doc.get("fields") or []:
        if not isinstance(entry, dict):
            continue
        status = entry.get("status") if entry.get("status") in STATUSES else "different"
        why = str(entry.get("why") or "")
        if status == "different" and not why and "expected" in entry:
            why = "planned %s" % value_text(entry.get("expected"))
        out.append({"field": str(entry.get("field")), "label": field_label(entry.get("field")),
                    "source": entry.get("source"), "expected": entry.get("expected"), "target": entry.get("target"),
                    "status": status, "why": why})
    return out


def _attach_state(row, state_dir, name):
    """The machine's mapping.json and comparison.json in its row: the plan (target, reasons, what the move will not
    carry), the comparison, and source and target side by side. A file this collection cannot read is said, not fatal:
    the report is how a person finds out."""
    row.update(mapping=None, comparison=None, source_target=None, state_error=None)
    docs = {}
    try:
        for key in dict.fromkeys([name, row["name"]]):  # the name asked for, then the item's spelling of it
            docs = dict((kind, read_state(state_dir, key, kind)) for kind in ("mapping", "comparison"))
            if any(docs.values()):
                break
    except MappingError as exc:
        row["state_error"] = str(exc)
        return
    mapping, comparison = docs.get("mapping"), docs.get("comparison")
    try:
        if mapping:
            row["mapping"] = {
                "computed_at": mapping.get("computed_at"), "target": dict(mapping.get("target") or {}),
                "overridden": list(mapping.get("overridden") or []), "explained": dict(mapping.get("explained") or {}),
                "not_carried": [{"kind": n.get("kind"), "what": n.get("what"), "action": n.get("action")}
                                for n in mapping.get("not_carried") or [] if isinstance(n, dict)]}
        if comparison:
            fields = compared_fields(comparison)
            row["comparison"] = {
                "compared_at": comparison.get("compared_at"), "target_vm_id": comparison.get("target_vm_id"),
                "fields": list(comparison.get("fields") or []), "accepted": bool(comparison.get("accepted")),
                "differences": sum(1 for f in fields if f["status"] == "different")}
        elif mapping:
            fields = planned_fields(mapping)
        else:
            return
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        row.update(mapping=None, comparison=None, state_error="The state files of %s cannot be shown: %s" % (name, exc))
        return
    counts = dict((status, sum(1 for f in fields if f["status"] == status)) for status in STATUSES)
    row["source_target"] = {"basis": "compared" if comparison else "planned", "fields": fields, "counts": counts}
    if comparison and counts["different"] and not row["comparison"]["accepted"]:
        row["blockers"].append("%d field%s of the target differ%s from the plan (see Source and target): roll back before "
                               "commit, or accept them with move_accept_differences: true" % (
                                   counts["different"], "" if counts["different"] == 1 else "s",
                                   "s" if counts["different"] == 1 else ""))


def build(machines, jobs, wave, dependencies=None, generated_at=None, title=None, names=None, aliases=None, state_dir=None):
    """The report of a wave.

    ``machines``: the vault's replicated items (REST dicts, one list read); ``jobs``: the vault's jobs (REST dicts or
    ``job_summary`` results, one list read); ``wave``: {"vault", "resource_group"} or a name; ``dependencies``: the
    ``dependencies`` result of source_vm_info; ``names``: the machines of the wave (default every item); ``aliases``:
    {name: the guest's host name}, the name jobs know a machine by once its replicated item is gone; ``state_dir``:
    the move's per-machine state directory, whose mapping.json and comparison.json each machine's row shows."""
    generated = generated_at or utc_now()
    now = parse_time(generated) or datetime.datetime.now(datetime.timezone.utc)
    by_name = index_by_machine(machines or [])
    by_jobs = _jobs_by_machine(jobs)
    wanted = list(names) if names else [i.get("name") or props(i).get("friendlyName") for i in machines or []]
    rows = []
    seen = set()
    for name in wanted:
        if _lower(name) in seen:
            continue
        seen.add(_lower(name))
        item = lookup(by_name, name)
        # Jobs name the item by its friendly name (the guest's host name), which may differ from the machine's.
        friendly = _lower(props(item).get("friendlyName")) if item else ""
        alias = _lower((aliases or {}).get(name))
        rows.append(_machine(name, item, by_jobs.get(_lower(name)) or by_jobs.get(friendly) or by_jobs.get(alias, []), now))
        if state_dir:
            _attach_state(rows[-1], state_dir, name)
    wave_info = dict(wave) if isinstance(wave, dict) else {"name": wave}
    return {
        "report_version": REPORT_VERSION,
        "title": title or "Wave status: %s" % (wave_info.get("name") or wave_info.get("vault") or "wave"),
        "generated_at": generated,
        "wave": wave_summary(rows, wave_info),
        "machines": rows,
        "dependencies": dependencies or None,
    }


def wave_summary(rows, wave_info):
    """The wave's counts per phase, and what blocks which machine; sorts ``rows`` by name."""
    rows.sort(key=lambda r: _lower(r["name"]))
    counts = {}
    for row in rows:
        counts[row["phase"]] = counts.get(row["phase"], 0) + 1
    order = list(PHASES) + ["missing"]
    counts = dict(sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
    blockers = [{"machine": r["name"], "phase": r["phase"], "next_step": r["next_step"], "reasons": r["blockers"]}
                for r in rows if r["blockers"]]
    return dict(
        wave_info,
        machine_count=len(rows),
        counts=counts,
        blocked=len(blockers),
        moved=sum(1 for r in rows if r["phase"] == "migrated"),
        ready=sum(1 for r in rows if not r["blockers"] and r["phase"] != "migrated"),
        blockers=blockers,
    )


def comparable(report):
    """The report without what changes on every read: the time it was made, and the RPO below the minute (Azure
    recomputes it every few seconds). Two reports with the same comparable() say the same thing."""
    out = json.loads(json.dumps(report, sort_keys=True, default=str))
    out.pop("generated_at", None)
    for row in out.get("machines") or []:
        rpo = row.pop("rpo_seconds", None)
        row["rpo_minutes"] = None if rpo is None else int(math.ceil(rpo / 60.0))
        for step in row.get("timings") or []:
            if step.get("running"):
                step.pop("duration_seconds", None)
        move = row.get("move") or {}
        move.pop("last_seen", None)
        (move.get("target_vm") or {}).pop("observed_at", None)
    return out


def to_json(report):
    """The report as the JSON file holds it; keys keep their order, so the page renders the same from the file."""
    return json.dumps(report, indent=2, default=str) + "\n"


# -- HTML --------------------------------------------------------------------------------------------------------
def esc(value):
    return html.escape("" if value is None else str(value), quote=True)


CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 24px; color: #1f2937; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: #4b5563; margin-bottom: 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d1d5db; padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
table.counts { width: auto; } table.counts td.n { text-align: right; font-variant-numeric: tabular-nums; }
.phase { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #e5e7eb; white-space: nowrap; }
.phase-protected, .phase-committed, .phase-migrated, .phase-moved, .phase-failed_over { background: #dcfce7; color: #14532d; }
.phase-enable_failed, .phase-missing, .phase-unknown { background: #fee2e2; color: #7f1d1d; }
.phase-test_failover_pending_cleanup, .phase-initial_replication { background: #fef9c3; color: #713f12; }
.bar { width: 120px; height: 10px; background: #e5e7eb; border-radius: 5px; overflow: hidden; }
.bar span { display: block; height: 100%; background: #2563eb; }
.bad { color: #b91c1c; } .ok { color: #15803d; } .muted { color: #6b7280; }
ul { margin: 0; padding-left: 18px; }
table#timings { width: auto; } table#timings td { white-space: nowrap; }
pre { background: #f8fafc; border: 1px solid #e5e7eb; padding: 8px; overflow: auto; }
svg { max-width: 100%; height: auto; border: 1px solid #e5e7eb; background: #fff; }
details.st { border: 1px solid #e5e7eb; border-radius: 6px; margin: 4px 0; padding: 4px 8px; }
details.st > summary { cursor: pointer; } details.st table { margin: 6px 0; }
table.st td { overflow-wrap: anywhere; } table.st td:first-child { white-space: nowrap; }
tr.st-different td { background: #fee2e2; } tr.st-explained td { background: #fefce8; }
.mark { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; background: #e5e7eb; }
.mark-same { background: #dcfce7; color: #14532d; } .mark-explained { background: #fde68a; color: #713f12; }
.mark-different { background: #b91c1c; color: #fff; font-weight: 600; }
"""


def _name_cell(row):
    """The machine's name, and Site Recovery's friendly name (the guest's host name) where it differs."""
    text = esc(row["name"])
    friendly = row.get("friendly_name")
    if friendly and friendly.lower() != (row["name"] or "").lower():
        text += '<br><span class="muted">host %s</span>' % esc(friendly)
    return text


def _phase_badge(phase):
    """A phase in words; a machine whose migration is complete reads "moved"."""
    text = "moved" if phase == "migrated" else (phase or "").replace("_", " ")
    return '<span class="phase phase-%s">%s</span>' % (esc(phase), esc(text))


def _progress_cell(row):
    pct = row["progress_percent"]
    if pct is None:
        return '<span class="muted">-</span>'
    pct = max(0, min(100, int(pct)))
    return '<div class="bar" role="img" aria-label="%d %%"><span style="width:%d%%"></span></div>%d %%' % (pct, pct, pct)


def _health_cell(row):
    health = row["health"] or "-"
    css = "bad" if _lower(health) == "critical" else ("ok" if _lower(health) == "normal" else "")
    parts = ['<span class="%s">%s</span>' % (css, esc(health))]
    if row["health_errors"]:
        items = []
        for err in row["health_errors"]:
            action = err.get("recommended_action")
            items.append("<li>%s%s</li>" % (esc(_error_text(err)), ' <span class="muted">%s</span>' % esc(action) if action else ""))
        parts.append("<ul>%s</ul>" % "".join(items))
    return "".join(parts)


def _tfo_cell(row):
    tfo = row["last_test_failover"]
    if not tfo:
        return '<span class="muted">none</span>'
    css = "ok" if _lower(tfo["result"]) == "succeeded" else ("bad" if _lower(tfo["result"]) == "failed" else "")
    text = '<span class="%s">%s</span> %s' % (css, esc(tfo["result"]), esc(_time_text(tfo["when"]) or tfo["when"]))
    if tfo.get("job"):
        text += '<br><span class="muted">job %s</span>' % esc(tfo["job"])
    return text


def _time_text(value):
    stamp = parse_time(value)
    return stamp.strftime("%Y-%m-%d %H:%M:%S") if stamp else ""


def _timings_table(rows):
    out = ['<table id="timings"><tr><th>Machine</th><th>Step</th><th>State</th><th>Start (UTC)</th><th>End (UTC)</th>'
           "<th>Duration</th><th>Job</th></tr>"]
    for row in rows:
        for step in row["timings"]:
            out.append('<tr data-machine="%s" data-step="%s"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>'
                       '<td class="muted">%s</td></tr>' % (
                           esc(row["name"]), esc(step["step"]), esc(row["name"]), esc(step["label"]), esc(step["state"]),
                           esc(_time_text(step["start"])), esc(_time_text(step["end"]) or ("running" if step["running"] else "")),
                           esc(duration_text(step["duration_seconds"])), esc(step["job"] or "")))
    out.append("</table>")
    return "".join(out)


def _rpo_text(seconds):
    return "-" if seconds is None else duration_text(seconds)


def value_text(value):
    """A field's value in words: none, yes/no, k=v lists, an ARM id by its name."""
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join("%s=%s" % (k, "" if v is None else v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v) for v in value)
    text = str(value)
    return _name(text) if text.lower().startswith("/subscriptions/") else text


def _st_summary(row):
    st = row.get("source_target") or {}
    counts = st.get("counts") or {}
    parts = []
    if st:
        parts.append("%s: %d same, %d explained, %s" % (
            "target as compared after failover" if st.get("basis") == "compared" else "planned target",
            counts.get("same", 0), counts.get("explained", 0),
            '<span class="bad">%d different</span>' % counts["different"] if counts.get("different") else "0 different"))
        if row.get("comparison") and row["comparison"].get("accepted") and counts.get("different"):
            parts.append("differences accepted")
    if row.get("mapping"):
        count = len(row["mapping"].get("not_carried") or [])
        parts.append("%d thing%s the move will not carry" % (count, "" if count == 1 else "s"))
    if row.get("state_error"):
        parts.append('<span class="bad">state files unreadable</span>')
    return "; ".join(parts)


def _st_details(row):
    """One machine's source and target side by side, in a <details> that is open only when something differs."""
    st = row.get("source_target") or {}
    counts = st.get("counts") or {}
    opened = " open" if counts.get("different") or row.get("state_error") else ""
    out = ['<details class="st" data-machine="%s"%s><summary><strong>%s</strong> &middot; %s</summary>' % (
        esc(row["name"]), opened, esc(row["name"]), _st_summary(row))]
    if row.get("state_error"):
        out.append('<p class="bad">%s</p>' % esc(row["state_error"]))
    if st.get("fields"):
        when = (row.get("comparison") or {}).get("compared_at") if st.get("basis") == "compared" else \
            (row.get("mapping") or {}).get("computed_at")
        out.append('<table class="st"><tr><th>Field</th><th>Source</th><th>Target (%s)</th><th>Status</th></tr>' % (
            esc("as compared %s" % (_time_text(when) or "") if st.get("basis") == "compared"
                else "planned %s" % (_time_text(when) or "")).strip()))
        for field in st["fields"]:
            status = field.get("status") if field.get("status") in STATUSES else "different"
            out.append('<tr class="st-%s" data-field="%s"><td>%s</td><td>%s</td><td>%s</td>'
                       '<td><span class="mark mark-%s">%s</span>%s</td></tr>' % (
                           status, esc(field.get("field")), esc(field.get("label")), esc(value_text(field.get("source"))),
                           esc(value_text(field.get("target"))), status, status,
                           " %s" % esc(field["why"]) if field.get("why") else ""))
        out.append("</table>")
    if row.get("mapping") is not None:
        carried = row["mapping"].get("not_carried") or []
        if carried:
            out.append('<p class="nc-title">What the move will not carry, and what to do:</p><ul class="not-carried">')
            for entry in carried:
                out.append('<li data-kind="%s"><strong>%s</strong> <span class="muted">(%s)</span>: %s</li>' % (
                    esc(entry.get("kind")), esc(entry.get("what")), esc((entry.get("kind") or "").replace("_", " ")),
                    esc(entry.get("action"))))
            out.append("</ul>")
        else:
            out.append('<p class="muted">Nothing found that the move will not carry.</p>')
    out.append("</details>")
    return "".join(out)


def _source_target_section(rows):
    """Each machine's source and target side by side, from the move's state directory; nothing when the report was
    made without one."""
    if not any("source_target" in row for row in rows):
        return ""
    shown = [r for r in rows if r.get("source_target") or r.get("state_error") or r.get("mapping")]
    missing = [r["name"] for r in rows if r not in shown]
    compared = sum(1 for r in shown if (r.get("source_target") or {}).get("basis") == "compared")
    differing = sum(1 for r in shown if ((r.get("source_target") or {}).get("counts") or {}).get("different"))
    differing = '<span class="bad">%d with differences</span>' % differing if differing else "none with differences"
    out = ['<h2>Source and target</h2><div id="source-target">',
           '<p class="meta">%d machines planned, %d of them compared after failover; %s. Open a machine to see each '
           "field.</p>" % (len(shown), compared, differing)]
    out.extend(_st_details(row) for row in shown)
    if missing:
        out.append('<p class="muted">No plan yet (prepare writes one): %s</p>' % esc(", ".join(missing)))
    out.append("</div>")
    return "".join(out)


def render_html(report):
    """The report as one HTML page that needs nothing else: inline CSS, inline SVG, no script, no external URL."""
    wave = report["wave"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>%s</title>" % esc(report["title"]), "<style>%s%s</style></head><body>" % (CSS, move_css()),
           '<h1 id="title">%s</h1>' % esc(report["title"])]
    meta = []
    for key, label in (("vault", "Vault"), ("resource_group", "Resource group")):
        if wave.get(key):
            meta.append("%s <strong>%s</strong>" % (label, esc(wave[key])))
    meta.append('Generated <time id="generated-at">%s</time>' % esc(report["generated_at"]))
    meta.append("%d machines, %d moved, %d ready for their next step, %d blocked" % (
        wave["machine_count"], wave.get("moved", 0), wave["ready"], wave["blocked"]))
    out.append('<p class="meta">%s</p>' % " &middot; ".join(meta))

    out.append('<h2>Machines per phase</h2><table class="counts" id="counts"><tr><th>Phase</th><th>Machines</th></tr>')
    for phase, count in wave["counts"].items():
        out.append('<tr data-phase="%s"><td>%s</td><td class="n">%d</td></tr>' % (esc(phase), _phase_badge(phase), count))
    out.append("</table>")

    out.append('<h2>What blocks the next step</h2><div id="blockers">')
    if wave["blockers"]:
        out.append("<ul>")
        for entry in wave["blockers"]:
            out.append('<li data-machine="%s"><strong>%s</strong> (next: %s): %s</li>' % (
                esc(entry["machine"]), esc(entry["machine"]), esc(entry["next_step"] or "none"),
                "; ".join(esc(r) + (' <span class="fix">&rarr; %s</span>' % esc(f) if f else "")
                          for r, f in zip(entry["reasons"], entry.get("fixes") or [None] * len(entry["reasons"])))))
        out.append("</ul>")
    else:
        out.append('<p class="ok">Nothing: every machine is ready for its next step.</p>')
    out.append("</div>")

    out.append('<h2>Machines</h2><table id="machines"><tr><th>Machine</th><th>Phase</th><th>Next step</th><th>Replication health</th>'
               "<th>Initial replication</th><th>RPO</th><th>Last recovery point</th><th>Last test failover</th><th>Target VM</th></tr>")
    for row in report["machines"]:
        target = row["target"]
        moved_vm = (row.get("move") or {}).get("target_vm")
        target_text = esc((moved_vm or {}).get("name") or row["target_vm"] or "-")
        extra = [x for x in (target.get("vm_size"), target.get("resource_group"), target.get("network")) if x]
        if moved_vm:  # the VM as observed after failover, kept once the replicated item is gone
            extra = [x for x in [moved_vm.get("size"), ", ".join(moved_vm.get("private_ips") or []), moved_vm.get("power_state")] if x]
        if extra:
            target_text += '<br><span class="muted">%s</span>' % esc(", ".join(extra))
        different = ((row.get("source_target") or {}).get("counts") or {}).get("different")
        if different:
            target_text += '<br><span class="bad">%d different from %s</span>' % (
                different, "the plan" if row["source_target"].get("basis") == "compared" else "the source")
        out.append('<tr data-machine="%s"><td class="name">%s</td><td class="phase-cell">%s</td><td>%s</td><td>%s</td><td>%s</td>'
                   "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                       esc(row["name"]), _name_cell(row), _phase_badge(row["phase"]),
                       esc(row["next_step"] or ("none: moved" if row["phase"] == "migrated" else "-")),
                       _health_cell(row), _progress_cell(row), esc(_rpo_text(row["rpo_seconds"])),
                       esc(_time_text(row["last_recovery_point"]) or "-"), _tfo_cell(row), target_text))
    out.append("</table>")
    side_by_side = _source_target_section(report["machines"])
    if side_by_side:
        out.append(side_by_side)
    out.append(move_sections(report))
    out.append("<h2>Steps and their timings</h2>")
    out.append(_timings_table(report["machines"]))

    out.append('<h2>Dependencies</h2><div id="dependencies">')
    deps = report.get("dependencies")
    if deps and (deps.get("edges") or deps.get("resources")):
        out.append(dependency_svg(deps))
        shared = [r for r in deps.get("resources") or [] if r.get("shared_outside_scope")]
        if shared:
            out.append('<p class="bad">Shared with machines outside the wave:</p><ul>')
            for res in shared:
                out.append("<li>%s (%s): %s</li>" % (esc(res["name"]), esc(KIND_NAMES.get(res["type"], res["type"])),
                                                     esc(", ".join(res.get("used_outside_scope_by") or []))))
            out.append("</ul>")
    else:
        out.append('<p class="muted">No dependency analysis was given (source_vm_info with dependencies=true).</p>')
    out.append("</div></body></html>")
    return "\n".join(out) + "\n"


def move_css():
    from ._report_move import MOVE_CSS  # pylint: disable=import-outside-toplevel  # it imports this file
    return MOVE_CSS


def move_sections(report):
    """Where each machine went, its timeline, the appliances and earlier runs (from the move's records), if any."""
    from ._report_move import wave_sections  # pylint: disable=import-outside-toplevel  # it imports this file
    return wave_sections(report)


# -- the dependency picture --------------------------------------------------------------------------------------
KIND_NAMES = {
    "vm": "VM", "outside_vm": "VM outside the wave", "virtual_network": "virtual network", "subnet": "subnet",
    "network_security_group": "network security group", "route_table": "route table",
    "public_ip_address": "public IP address", "load_balancer": "load balancer", "availability_set": "availability set",
}
NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 200, 42, 90, 14, 20


def _short(text, limit=26):
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _id_name(arm_id):
    return (arm_id or "").rstrip("/").rsplit("/", 1)[-1]


def graph_layout(deps):
    """Nodes in columns (VMs of the wave first, then what they depend on by depth, VMs outside the wave last) and
    their positions: ({key: node}, [edges]) with node = {name, kind, shared, col, row, x, y}."""
    nodes = {}
    resources = {_lower(r["id"]): r for r in deps.get("resources") or []}

    def node(arm_id, kind=None):
        key = _lower(arm_id)
        if key not in nodes:
            res = resources.get(key)
            nodes[key] = {"key": key, "name": (res or {}).get("name") or _id_name(arm_id),
                          "kind": kind or (res or {}).get("type") or ("vm" if "/virtualmachines/" in key else "resource"),
                          "shared": bool((res or {}).get("shared_outside_scope"))}
        return nodes[key]

    edges = []
    for edge in deps.get("edges") or []:
        edges.append((node(edge["from"])["key"], node(edge["to"])["key"], edge.get("relation") or "", False))
    for res in deps.get("resources") or []:
        node(res["id"])
    outside = []
    for edge in deps.get("outside_edges") or []:
        src = node(edge["from"], "outside_vm")
        outside.append((src["key"], node(edge["to"])["key"], edge.get("relation") or "", True))
    # Column = longest path from a VM of the wave (edges only go VM -> subnet -> VNet/NSG/route table).
    incoming = {}
    for src, dst, _rel, _dashed in edges:
        incoming.setdefault(dst, set()).add(src)
    depth = {}

    def col(key, trail=()):
        if key in depth:
            return depth[key]
        if key in trail:
            return 0  # a cycle cannot happen in this analysis; never loop on bad input
        parents = incoming.get(key) or ()
        depth[key] = 1 + max((col(p, trail + (key,)) for p in parents), default=-1) if parents else 0
        return depth[key]

    # VMs outside the wave stand below the wave's own, so their (dashed) arrows run the same way.
    for key, entry in nodes.items():
        entry["col"] = 0 if entry["kind"] == "outside_vm" else col(key)
    columns = {}
    for entry in sorted(nodes.values(), key=lambda n: (n["kind"] == "outside_vm", n["kind"], _lower(n["name"]))):
        columns.setdefault(entry["col"], []).append(entry)
    for number, entries in columns.items():
        for row, entry in enumerate(entries):
            entry["row"] = row
            entry["x"] = PAD + number * (NODE_W + COL_GAP)
            entry["y"] = PAD + 24 + row * (NODE_H + ROW_GAP)
    return nodes, edges + outside


def dependency_svg(deps):
    """The dependency analysis as an inline SVG: boxes per VM and resource, arrows as in ``dependencies.edges``;
    resources shared with VMs outside the wave red, those VMs dashed. Each box and arrow has a <title>."""
    nodes, edges = graph_layout(deps)
    if not nodes:
        return ""
    width = max(n["x"] for n in nodes.values()) + NODE_W + PAD
    height = max(n["y"] for n in nodes.values()) + NODE_H + PAD
    out = ['<svg id="dependency-graph" role="img" width="%d" height="%d" viewBox="0 0 %d %d" '
           'aria-label="Dependencies of the wave">' % (width, height, width, height),
           "<title>Dependencies of the wave</title>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>']
    headers = {}
    for entry in nodes.values():
        headers.setdefault(entry["col"], entry)
    for number, entry in sorted(headers.items()):
        label = "VMs (dashed: outside the wave)" if number == 0 else "depends on"
        out.append('<text x="%d" y="%d" font-size="12" fill="#6b7280" font-family="sans-serif">%s</text>' % (entry["x"], PAD + 10, esc(label)))
    for src, dst, relation, dashed in edges:
        a, b = nodes[src], nodes[dst]
        x1, y1, x2, y2 = a["x"] + NODE_W, a["y"] + NODE_H / 2, b["x"], b["y"] + NODE_H / 2
        mid = (x1 + x2) / 2
        out.append('<path class="edge" d="M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="%s" stroke-width="1.4"%s '
                   'marker-end="url(#arrow)"><title>%s</title></path>' % (
                       x1, y1, mid, y1, mid, y2, x2, y2, "#9ca3af" if dashed else "#475569",
                       ' stroke-dasharray="5 3"' if dashed else "", esc("%s -> %s: %s" % (a["name"], b["name"], relation))))
    for entry in nodes.values():
        kind = entry["kind"]
        if kind == "vm":
            fill, stroke, dash = "#dbeafe", "#1e3a8a", ""
        elif kind == "outside_vm":
            fill, stroke, dash = "#f3f4f6", "#6b7280", ' stroke-dasharray="4 2"'
        elif entry["shared"]:
            fill, stroke, dash = "#fee2e2", "#b91c1c", ""
        else:
            fill, stroke, dash = "#f8fafc", "#475569", ""
        kind_text = KIND_NAMES.get(kind, kind.replace("_", " "))
        if entry["shared"]:
            kind_text += ", shared"
        out.append('<g class="node node-%s" data-name="%s"><title>%s (%s)</title>'
                   '<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="%s" stroke-width="%s"%s/>'
                   '<text x="%d" y="%d" font-size="13" font-family="sans-serif" fill="#111827">%s</text>'
                   '<text x="%d" y="%d" font-size="11" font-family="sans-serif" fill="#4b5563">%s</text></g>' % (
                       esc(kind), esc(entry["name"]), esc(entry["name"]), esc(kind_text),
                       entry["x"], entry["y"], NODE_W, NODE_H, fill, stroke, "2" if entry["shared"] else "1", dash,
                       entry["x"] + 8, entry["y"] + 17, esc(_short(entry["name"])),
                       entry["x"] + 8, entry["y"] + 33, esc(kind_text)))
    out.append("</svg>")
    return "".join(out)
