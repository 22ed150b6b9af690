# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Replicated machines (replication protected items) in plain words, found by machine name,
and the state of a whole wave from one paged list of the vault's items."""

from __future__ import annotations

import re

from ._asr import name_of, props, running_job, segment, suspended_message
from ._providers import PROVIDERS, health_errors, phase_of

IDLE_TIME = "1753-01-01"


def provider_of(item):
    instance = (((item or {}).get("properties") or {}).get("providerSpecificDetails") or {}).get("instanceType") or ""
    for prov in PROVIDERS.values():
        if prov.instance_type.lower() == instance.lower():
            return prov
    return None


def item_summary(item, job_state=None):
    """Everything a user asks about a replicated machine, with the same keys for every provider. ``job_state``: the
    state of the job its currentScenario names, when the caller read it (see phase_of)."""
    p = props(item)
    scenario, job = running_job(item)
    prov = provider_of(item)
    details = p.get("providerSpecificDetails") or {}
    replication = prov.replication_of(item) if prov else {}
    target = prov.target_of(item) if prov else {}
    return {
        "name": item.get("name"),
        "id": item.get("id"),
        "friendly_name": p.get("friendlyName"),
        "provider": details.get("instanceType"),
        "provider_name": prov.name if prov else None,
        "phase": phase_of(item, scenario, job_state),
        "protection_state": p.get("protectionState"),
        "protection_state_description": p.get("protectionStateDescription"),
        "replication_health": p.get("replicationHealth"),
        "failover_health": p.get("failoverHealth"),
        "health_errors": health_errors(item),
        "active_location": p.get("activeLocation"),
        "test_failover_state": p.get("testFailoverState"),
        "allowed_operations": p.get("allowedOperations") or [],
        "current_job": {"scenario": scenario, "name": job} if job else None,
        "policy": p.get("policyFriendlyName") or name_of(p.get("policyId")),
        "configuration_server": p.get("primaryFabricFriendlyName"),
        "fabric_name": segment(item.get("id"), "replicationFabrics"),
        "container_name": segment(item.get("id"), "replicationProtectionContainers"),
        "protectable_item_id": p.get("protectableItemId"),
        "progress_percent": replication.get("progress_percent"),
        "rpo_seconds": replication.get("rpo_seconds"),
        "replication": replication,
        "target": target,
        "last_failover_time": p.get("lastSuccessfulFailoverTime"),
        "last_test_failover_time": p.get("lastSuccessfulTestFailoverTime"),
        "failover_recovery_point_id": p.get("failoverRecoveryPointId"),
    }


def list_items(sr):
    """Every replicated item of the vault: one paged call, however many machines."""
    return sr.list("replication_protected_items")


ITEM_NAME_RE = re.compile(r"[^A-Za-z0-9-]+")


def item_name(machine_name):
    """The replicated item's name for a machine: the machine's key from enable on (its source VM's name, cleaned).
    Site Recovery's friendlyName is what the appliance discovered (the guest's host name), which may differ."""
    cleaned = ITEM_NAME_RE.sub("-", machine_name).strip("-")
    return cleaned or "machine"


def index_by_machine(items):
    """{lower-cased key: item}, keyed by the item's friendly name and by its name; names win, so a machine is found by
    the name it was enabled under even where another machine's guest has that host name. Look a machine up with
    :func:`lookup`."""
    out = {}
    for item in items:
        out.setdefault((props(item).get("friendlyName") or "").lower(), item)
    for item in items:
        out[(item.get("name") or "").lower()] = item
    return out


def lookup(index, name):
    """The item of machine ``name`` in an :func:`index_by_machine`: by its item name, else its friendly name."""
    return index.get(item_name(name).lower()) or index.get((name or "").lower())


def recovery_point_summary(point):
    p = props(point)
    return {
        "id": point.get("id"),
        "name": point.get("name"),
        "time": p.get("recoveryPointTime"),
        "type": p.get("recoveryPointType"),
        "consistency": consistency_of(p.get("recoveryPointType")),
    }


def consistency_of(point_type):
    text = (point_type or "").lower()
    if "app" in text:
        return "app-consistent"
    if "crash" in text:
        return "crash-consistent"
    if "latest" in text:
        return "latest"
    return text or None


# The phases that count as having reached each point of the lifecycle.
WAVE_DONE = {
    # A machine in test failover, failing over or failed over is past "protected": a re-run of a wave's replicate
    # phase must not wait for it to come back to it.
    "protected": {"protected", "test_failover_running", "test_failover_pending_cleanup", "test_failover_cleaning_up",
                  "failing_over", "failed_over", "committing", "committed"},
    "test_failed_over": {"test_failover_pending_cleanup"},
    "failed_over": {"failed_over", "committing", "committed"},
    "committed": {"committed"},
    "migrated": set(),
}
WAVE_FAILED = {"enable_failed"}


def wave_status(items_by_name, names, until="protected", job_states=None):
    """Per-machine (result, summary) for the machines of a wave: ready / failed / in_progress / missing.

    For ``migrated`` a machine with no replicated item left is ready (its replication was removed). A machine fails
    only when its enable failed or its job is Suspended (``job_states``: {job name: state} the caller read); a
    Critical replication health while it is still on its way (RPO, churn or cache throttling during initial
    replication) is a warning in the summary, with its health errors, not a failure."""
    target = WAVE_DONE.get(until, {until})
    out = {}
    for name in names:
        item = lookup(items_by_name, name)
        if item is None:
            out[name] = ("ready" if until == "migrated" else "missing", None)
            continue
        job = (running_job(item)[1] or "")
        job_state = (job_states or {}).get(job)
        summary = item_summary(item, job_state)
        health = (summary["replication_health"] or "").lower()
        if summary["phase"] in target:
            out[name] = ("ready", summary)
        elif summary["phase"] in WAVE_FAILED:
            out[name] = ("failed", summary)
        elif (job_state or "").lower() == "suspended":
            summary["suspended_job"] = suspended_message(job, summary["current_job"]["scenario"])
            out[name] = ("failed", summary)
        else:
            out[name] = ("in_progress", summary)
        if health in ("critical", "warning") and out[name][0] != "failed":
            errors = summary["health_errors"]
            summary["warning"] = "replication health %s (%s)%s" % (
                summary["replication_health"], summary["phase"].replace("_", " "),
                ": " + "; ".join("%s%s" % ("%s: " % e["code"] if e.get("code") else "", e.get("message") or "") for e in errors)
                if errors else "")
    return out
