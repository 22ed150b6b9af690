#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: replication_wait
short_description: Wait for a wave of machines to reach a replication phase, showing progress
version_added: 0.1.0
description:
  - Waits until every machine of a wave has reached O(until) (by default V(protected), the end of initial
    replication, which can take hours), has failed, or O(timeout) has passed.
  - Each poll is one paged call to the vault's list of replicated items, whatever the number of machines; the whole
    wait runs in one module process, so the cloud's metadata and the token are fetched once, not per poll.
  - Polls are paced by the replication's own progress. From Azure's figures for the initial copy (each disk's start,
    last refresh and percentage, or the percentages seen at earlier polls) the wait works out the least time the
    slowest machine still needs, and polls again after half of it, at least O(poll_interval) and at most
    O(max_poll_interval) later (and never past O(timeout)). So a wave with hours of initial replication left is
    read every O(max_poll_interval) seconds, and more often as its end nears. Without such figures (a machine still
    enabling, a wait for a failover) polls are O(poll_interval) apart.
  - While it waits, the task prints a progress line per poll (the collection's action plugin shows what the module
    reports; the module alone, on a remote host, with C(become) or C(async), waits silently). A line names only the
    machines whose phase or result changed since the last one, then one count of the machines per result, the
    wave's estimated time left and when the next poll is.
  - Ends with a per-machine result - V(ready), V(failed) (with the health error and Azure's recommended action),
    V(in_progress) (still going at the timeout) or V(missing) (not replicating at all).
  - A machine fails only when its replication could not be enabled, or when its Site Recovery job is C(Suspended)
    (the message names the job and how to resume it). A C(Critical) or C(Warning) replication health while a machine
    is still on its way (RPO, data churn or cache throttling during initial replication) is reported as a warning
    with its health errors; the wait goes on.
seealso:
  - module: azmove.site_recovery.replicated_machine
    description: Enable replication of a machine - the move's first step.
  - module: azmove.site_recovery.test_failover
    description: Drill the move into an isolated network, then clean it up.
  - module: azmove.site_recovery.failover
    description: Fail the machine over to the target cloud, commit, and complete the migration.
  - module: azmove.site_recovery.moved_vm
    description: After failover, compare the moved VM with its plan and attach what was not carried.
  - module: azmove.site_recovery.move_rollback
    description: Undo a failover that is not committed.
  - module: azmove.site_recovery.source_decommission
    description: Once the move is over, delete the source VM and what it leaves.
  - module: azmove.site_recovery.backup_relocation
    description: Protect the moved VM with Azure Backup in its new region.
  - module: azmove.site_recovery.move_cleanup
    description: Delete what the move created once nothing uses it.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.INFO_MODULE
  - azmove.site_recovery.progress
options:
  machines:
    description: Friendly names of the machines of the wave.
    type: list
    elements: str
    required: true
  until:
    description:
      - The point of the lifecycle every machine must reach. V(protected) - initial replication done;
        V(test_failed_over) - a test failover done and pending cleanup; V(failed_over) - failed over (or
        committed); V(committed) - failover committed; V(migrated) - replication removed after the migration.
    type: str
    choices: [protected, test_failed_over, failed_over, committed, migrated]
    default: protected
  timeout:
    description: Seconds to wait at most.
    type: int
    default: 86400
  poll_interval:
    description:
      - Seconds between two polls when Azure gives no estimate of the time left, and the shortest pause otherwise
        (near the end of the initial copy). One poll reads all machines, so polling every minute costs at most one
        read per minute for the whole wave.
    type: float
    default: 60
  max_poll_interval:
    description:
      - The longest pause between two polls, while the initial copy has hours left. A smaller value prints progress
        more often, at one read of the vault's list per poll.
      - A value below O(poll_interval) counts as O(poll_interval).
    type: float
    default: 1800
  fail_on_error:
    description:
      - Fail the task when a machine failed, is missing, or is still in progress at the timeout.
      - The per-machine results are returned either way.
    type: bool
    default: true
  poll_once:
    description:
      - Read once and return the current per-machine results without waiting or failing, for an C(until) loop of
        your own (the task's own wait is cheaper - one process, one token, polls paced by the progress).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Wait for the wave's initial replication (polls at least 5 minutes apart, at most an hour while hours are left)
  azmove.site_recovery.replication_wait:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    machines: "{{ ansible_play_hosts }}"
    poll_interval: 300
    max_poll_interval: 3600
    timeout: 43200
  run_once: true
  register: wave

- name: Machines that are ready for the test failover
  ansible.builtin.debug:
    msg: "{{ wave.machines | dict2items | selectattr('value.result', 'equalto', 'ready') | map(attribute='key') }}"
"""

RETURN = r"""
machines:
  description:
    - Per machine, the result and where the machine stands.
    - C(warnings_seen) - a health warning seen during the wait that has cleared since (for example a Critical health
      during initial replication), with the poll it was first seen at and its error codes; null when none.
  returned: always
  type: dict
  sample:
    vm-app-win01: {result: ready, phase: protected, progress_percent: 100, health_errors: [], warning: null, warnings_seen: null}
    vm-app-lnx01:
      result: failed
      phase: enable_failed
      health_errors:
        - code: "95108"
          message: Validation of the specified credentials failed.
          recommended_action: Use the root account.
counts:
  description: How many machines have each result.
  returned: always
  type: dict
  sample: {ready: 2, failed: 1, in_progress: 0, missing: 0}
done:
  description: Whether no machine is still in progress.
  returned: always
  type: bool
polls:
  description: How many times the vault's list was read.
  returned: always
  type: int
eta_seconds:
  description:
    - At the last poll, the least time the slowest machine still in progress needed, in seconds, from Azure's
      progress figures; null when none was known or nothing is in progress.
  returned: always
  type: float
  sample: 5400.0
waited_seconds:
  description: How long the task waited.
  returned: always
  type: float
connection:
  description: The connection the task used (never its secrets).
  returned: always
  type: dict
  contains:
    name:
      description: The connection's name (of O(connections)), or C(default) when the task's own options were used.
      type: str
      sample: target
    cloud:
      description: The Azure cloud it reaches, C(AzureCloud) or C(AzureUSGovernment).
      type: str
      sample: AzureCloud
    resource_manager:
      description: That cloud's Azure Resource Manager endpoint.
      type: str
      sample: "https://management.azure.com/"
    subscription_id:
      description: The subscription it works in.
      type: str
      sample: "11111111-1111-1111-1111-111111111111"
    auth_source:
      description: How the token was obtained (one of O(auth_source)'s choices, as resolved by V(auto)).
      type: str
      sample: client_secret
"""

import datetime

from ansible_collections.azmove.site_recovery.plugins.module_utils import _progress
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import props, running_job, SiteRecovery, vault_spec
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import index_by_machine, list_items, lookup, wave_status
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import Clock, WaitTimeout, paced_interval, time_left, wait_until

RESULTS = ("ready", "failed", "in_progress", "missing")
# A machine's job running longer than this is read, to see whether it is Suspended (which never ends by itself);
# younger jobs are not, so a poll stays one read of the vault's list for the whole wave.
SUSPEND_CHECK_AFTER = 900


def parse_time(text):
    """An ARM timestamp (seconds precision), or None."""
    try:
        return datetime.datetime.strptime((text or "")[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def job_age(item, now):
    """Seconds since the item's current job started (currentScenario.startTime), or None."""
    started = parse_time((props(item).get("currentScenario") or {}).get("startTime"))
    return None if started is None else (now - started).total_seconds()


def azure_time_left(item, now=None):
    """The least time the item's initial copy still needs by Azure's own figures: each disk's initial-replication
    details (InMageRcm: start, last refresh, percentage), the slowest disk's; None without them. Timestamps are read
    to the second (a second is taken off the elapsed time), and the time since the last refresh (``now``) is gone."""
    lefts = []
    for disk in (props(item).get("providerSpecificDetails") or {}).get("protectedDisks") or []:
        if str(disk.get("isInitialReplicationComplete")).lower() == "true":
            continue
        ir = disk.get("irDetails") or {}
        start, refreshed = parse_time(ir.get("startTime")), parse_time(ir.get("lastRefreshTime"))
        if start is None or refreshed is None:
            return None
        left = time_left(0, ir.get("progressPercentage"), (refreshed - start).total_seconds() - 1)
        if left is None:
            return None
        lefts.append(max(0.0, left - max(0.0, (now - refreshed).total_seconds())) if now else left)
    return max(lefts) if lefts else None


def wave_time_left(items, status, first_seen, now, utc_now=None):
    """The least time the wave's slowest in-progress machine needs (None when one of them gives no figure).

    ``first_seen``: {machine: (time, percent)} of this wait, kept up to date here; a machine without Azure's disk
    figures (the classic provider) is estimated from its progress since then."""
    lefts = []
    for name, (result, summary) in status.items():
        percent = (summary or {}).get("progress_percent")
        if percent is None or result != "in_progress":
            first_seen.pop(name, None)
            if result == "in_progress":
                lefts.append(None)
            continue
        if name not in first_seen or percent < first_seen[name][1]:
            first_seen[name] = (now, percent)  # a copy that started again is timed from here
        left = azure_time_left(lookup(items, name) or {}, utc_now)
        if left is None:
            seen_at, seen_percent = first_seen[name]
            left = time_left(seen_percent, percent, now - seen_at)
        lefts.append(left)  # (every machine is seen at every poll, even after one without a figure)
    return None if not lefts or None in lefts else max(lefts)


def old_jobs(items, status, now):
    """Names of the jobs of in-progress machines that have run for SUSPEND_CHECK_AFTER seconds or more."""
    out = set()
    for name, (result, summary) in status.items():
        item = items.get((summary.get("name") or "").lower()) if summary else None
        job = running_job(item)[1] if item else None
        age = job_age(item, now) if job else None
        if result == "in_progress" and age is not None and age >= SUSPEND_CHECK_AFTER:
            out.add(job)
    return out


def read_wave(sr, machines, until, now=None):
    """One poll: the vault's list, then the state of any long-running job of a machine still in progress.
    Returns the items by machine and the wave's status."""
    items = index_by_machine(list_items(sr))
    status = wave_status(items, machines, until)
    jobs = old_jobs(items, status, now or datetime.datetime.now(datetime.timezone.utc))
    if jobs:
        states = {job: props(sr.job(job)).get("state") for job in sorted(jobs)}
        status = wave_status(items, machines, until, job_states=states)
    return items, status


def poll_wave(sr, machines, until, now=None):
    return read_wave(sr, machines, until, now)[1]


def report_poll(status, counts, left, delay):
    """The poll's progress, for the task to show: each machine's phase (only changes are written) and the counts."""
    for name, (result, summary) in status.items():
        summary = summary or {}
        health = None
        if summary.get("warning"):  # the health's error codes only: the whole text is in the task's warnings
            codes = sorted({e.get("code") for e in summary.get("health_errors") or [] if e.get("code")})
            health = "health %s%s" % (summary.get("replication_health"), ": " + ", ".join(codes) if codes else "")
        _progress.report(machine=name, result=result, phase=summary.get("phase") or result,
                         percent=summary.get("progress_percent") if result == "in_progress" else None,
                         msg=summary.get("suspended_job") or health)
    pending = counts.get("in_progress", 0)
    _progress.poll(counts=counts, pending=pending, eta_seconds=round(left) if left is not None and pending else None,
                   next_seconds=round(delay, 1) if pending else None)


def results_of(status):
    out = {}
    for name, (result, summary) in status.items():
        summary = summary or {}
        out[name] = {
            "result": result,
            "phase": summary.get("phase"),
            "progress_percent": summary.get("progress_percent"),
            "protection_state_description": summary.get("protection_state_description"),
            "replication_health": summary.get("replication_health"),
            "health_errors": summary.get("health_errors") or [],
            "current_job": summary.get("current_job"),
            "warning": summary.get("warning"),
            "suspended_job": summary.get("suspended_job"),
        }
    return out


def main():
    module = AzureModule(
        vault_spec(
            machines=dict(type="list", elements="str", required=True),
            until=dict(type="str", choices=["protected", "test_failed_over", "failed_over", "committed", "migrated"], default="protected"),
            timeout=dict(type="int", default=86400),
            poll_interval=dict(type="float", default=60),
            max_poll_interval=dict(type="float", default=1800),
            fail_on_error=dict(type="bool", default=True),
            poll_once=dict(type="bool", default=False),
            progress_file=_progress.OPTION,
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p["machines"]:
        module.fail("machines is empty: name the machines of the wave.")
    blank = [i for i, name in enumerate(p["machines"]) if not (name or "").strip()]
    if blank:
        module.fail("machines has %s blank name%s (entr%s %s): name every machine of the wave."
                    % (len(blank), "" if len(blank) == 1 else "s", "y" if len(blank) == 1 else "ies", ", ".join(str(i + 1) for i in blank)))

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        clock = Clock()
        start = clock.now()
        seen = {"polls": 0, "status": {}, "warned": {}, "first": {}, "left": None}
        _progress.start(module, p["machines"], what="the wave to reach %s" % p["until"])

        def poll():
            seen["polls"] += 1
            items, seen["status"] = read_wave(sr, p["machines"], p["until"])
            # Health that turned Critical on the way and cleared is over by the end: keep what was seen.
            for name, (_result, summary) in seen["status"].items():
                if summary and summary.get("warning"):
                    codes = sorted({e.get("code") for e in summary.get("health_errors") or [] if e.get("code")})
                    seen["warned"].setdefault(name, {"first_seen_poll": seen["polls"], "warning": summary["warning"],
                                                     "codes": codes})
            pending = [n for n, (r, _s) in seen["status"].items() if r == "in_progress"]
            seen["left"] = wave_time_left(items, seen["status"], seen["first"], clock.now(),
                                          datetime.datetime.now(datetime.timezone.utc))
            delay = paced_interval(seen["left"], p["poll_interval"], p["max_poll_interval"])
            counts = {r: sum(1 for v in seen["status"].values() if v[0] == r) for r in RESULTS}
            report_poll(seen["status"], counts, seen["left"], delay)
            return not pending, "%d of %d machines still in progress" % (len(pending), len(p["machines"])), delay

        timed_out = False
        if p["poll_once"]:
            poll()
        else:
            try:
                wait_until(poll, "the wave to reach %s" % p["until"], p["timeout"], clock=clock, interval=p["poll_interval"],
                           progress=False)
            except WaitTimeout:
                timed_out = True
        results = results_of(seen["status"])
        for name, value in results.items():
            value["warnings_seen"] = seen["warned"].get(name)
        if not p["poll_once"]:
            for name, value in sorted(results.items()):
                if value["warning"]:
                    module.warn("%s: %s" % (name, value["warning"]))
                elif value["warnings_seen"]:
                    module.warn("%s: %s (seen during the wait, since cleared)" % (name, value["warnings_seen"]["warning"]))
        counts = {r: sum(1 for v in results.values() if v["result"] == r) for r in RESULTS}
        out = dict(
            machines=results,
            counts=counts,
            done=counts["in_progress"] == 0,
            polls=seen["polls"],
            eta_seconds=round(seen["left"], 1) if seen["left"] is not None and counts["in_progress"] else None,
            waited_seconds=round(clock.now() - start, 1),
            connection=module.connection().describe(),
        )
        bad = {n: v for n, v in results.items() if v["result"] != "ready"}
        if bad and p["fail_on_error"] and not p["poll_once"]:
            lines = []
            for name, value in sorted(bad.items()):
                error = (value["health_errors"] or [{}])[0]
                detail = value["result"].replace("_", " ")
                if value["suspended_job"]:
                    detail += " - %s" % value["suspended_job"]
                elif error.get("message"):
                    detail += " - %s%s" % ("%s: " % error["code"] if error.get("code") else "", error["message"])
                    if error.get("recommended_action"):
                        detail += " Recommended action: %s" % error["recommended_action"]
                elif value["phase"]:
                    detail += " (%s%s)" % (value["phase"], ", %s%%" % value["progress_percent"] if value["progress_percent"] is not None else "")
                lines.append("%s: %s" % (name, detail))
            module.fail(
                "%d of %d machines did not reach %s%s: %s"
                % (len(bad), len(results), p["until"], " before the timeout" if timed_out else "", "; ".join(lines)),
                **out
            )
        module.exit(False, **out)

    run(module, body, "Waiting for machines of vault %s" % p["vault"])


if __name__ == "__main__":
    main()
