# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""One lifecycle step on one replicated machine: find it, follow a job it is already running,
say in plain words why a step cannot run now, start the step once, and check the VM it made
through the target cloud's compute API."""

from __future__ import annotations

from ._asr import JOB_RUNNING, Operation, group_and_name, props, running_job, segment
from ._batch import shared
from ._errors import get_or_none
from ._providers import InputError
from ._replication import index_by_machine, item_summary, lookup, list_items, recovery_point_summary

# Why an operation cannot run, per phase, in the words an administrator needs.
_BLOCKERS = {
    "discovered": "it is not replicating: enable replication first (azmove.site_recovery.replicated_machine)",
    "enabling": "replication is still being enabled: wait for the enable job",
    "enable_failed": "its replication could not be enabled: fix the cause in its health errors and run "
    "azmove.site_recovery.replicated_machine again",
    "initial_replication": "initial replication is still running (%(progress)s): wait until it is protected "
    "(azmove.site_recovery.replication_wait)",
    "test_failover_running": "a test failover is running: wait for it, then clean it up",
    "test_failover_pending_cleanup": "a test failover is pending cleanup: run the cleanup first "
    "(azmove.site_recovery.test_failover with state absent)",
    "test_failover_cleaning_up": "the test failover is being cleaned up: wait for the cleanup job",
    "failing_over": "a failover is running",
    "failed_over": "it has already failed over (commit it with azmove.site_recovery.failover state committed)",
    "committing": "its failover is being committed",
    "committed": "its failover is already committed (complete the migration with azmove.site_recovery.replicated_machine "
    "state migrated)",
    "disabling": "its replication is being disabled",
    "migrated": "its migration is complete",
    "unknown": "its state %(state)r is not one this collection knows",
}


SPECIAL_POINTS = ("latest_processed", "latest_app_consistent", "latest")


def choose_point(sr, item, wanted):
    """(recovery point id or None for 'latest', summary) for the user's choice; InputError if there is none."""
    if wanted == "latest":
        return None, {"name": "latest", "consistency": "latest"}
    points = [recovery_point_summary(p) for p in sr.list("recovery_points", "list_by_replication_protected_items", *item_path(item))]
    points.sort(key=lambda x: x["time"] or "", reverse=True)
    if wanted == "latest_processed":
        chosen = points[:1]
    elif wanted == "latest_app_consistent":
        chosen = [p for p in points if p["consistency"] == "app-consistent"][:1]
    else:
        chosen = [p for p in points if wanted.lower() in ((p["name"] or "").lower(), (p["id"] or "").lower())]
    if not chosen:
        raise InputError(
            "Machine %s has no %s recovery point (it has %d: %s)."
            % (item_summary(item)["friendly_name"], wanted.replace("_", " ") if wanted in SPECIAL_POINTS else "recovery point %r" % wanted,
               len(points), ", ".join("%s %s" % (p["consistency"], p["time"]) for p in points[:5]) or "none")
        )
    return chosen[0]["id"], chosen[0]


class StepRefused(Exception):
    """A step that cannot run in the machine's current state; the message says why."""


def blocker(summary):
    progress = summary.get("progress_percent")
    return _BLOCKERS.get(summary["phase"], _BLOCKERS["unknown"]) % {
        "progress": "%s%%" % progress if progress is not None else "progress unknown",
        "state": summary.get("protection_state_description") or summary.get("protection_state"),
    }


def refuse(name, step, summary):
    raise StepRefused("Cannot %s %s: %s." % (step, name, blocker(summary)))


def find_item(sr, name):
    """The replicated item of a machine (by friendly name), from the vault-wide list (read once per batch); None if it has none."""
    index = shared(sr.azmod, ("items", sr.resource_group.lower(), sr.vault.lower()), lambda: index_by_machine(list_items(sr)))
    return lookup(index, name)


COMMIT_SCENARIOS = ("commitfailover", "failovercommit")
DONE_STATES = ("succeeded", "completedwithinformation", "completedwithwarnings")


ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"


def jobs_filter(since, until):
    """Site Recovery's $filter for the jobs that started between two datetimes (UTC), as JobQueryParameter's
    StartTime and EndTime clauses."""
    return "StartTime eq '%s' and EndTime eq '%s'" % (since.strftime(ISO_SECONDS), until.strftime(ISO_SECONDS))


def moved_machines(sr, window=None):
    """{machine name (lower case): {friendly_name, committed_at, job}} for every machine whose failover the vault's
    job history shows committed: one read of the job list, whatever the number of machines. ``window``: (since,
    until) datetimes, to read only the jobs that started then instead of the whole history."""
    out = {}
    for job in sr.list("replication_jobs", **({"filter": jobs_filter(*window)} if window else {})):
        p = props(job)
        name = p.get("targetObjectName") or ""
        if name and (p.get("scenarioName") or "").lower() in COMMIT_SCENARIOS and (p.get("state") or "").lower() in DONE_STATES:
            seen = out.get(name.lower())
            if seen is None or (p.get("endTime") or "") > (seen["committed_at"] or ""):
                out[name.lower()] = {"friendly_name": name, "committed_at": p.get("endTime"), "job": job.get("name")}
    return out


def committed_earlier(sr, name, *aliases, window=None):
    """Whether the vault's job history shows a committed failover of this machine (its replication may be gone since).
    Jobs name the item by its friendly name (what the appliance discovered, e.g. the guest's host name), so the
    other names the machine is known by (``aliases``) are looked for too. ``window``: see :func:`moved_machines`
    (a batch passes the same one for every machine, so the history is read once)."""
    moved = shared(sr.azmod, ("moved", sr.resource_group.lower(), sr.vault.lower(), window),
                   lambda: moved_machines(sr, window))
    return any((n or "").lower() in moved for n in (name,) + aliases if n)


def item_path(item):
    rid = item["id"]
    return segment(rid, "replicationFabrics"), segment(rid, "replicationProtectionContainers"), item["name"]


def reread(sr, item):
    return sr.get("replication_protected_items", *item_path(item))


def running(sr, item):
    """(scenario, Operation) of a job the item is really running now, else (None, None)."""
    scenario, job = running_job(item)
    if not job:
        return None, None
    if (props(sr.job(job)).get("state") or "").lower() not in JOB_RUNNING:
        return None, None
    return scenario, Operation(job)


class Step:
    """Shared plumbing of the lifecycle modules: the vault, the waits and the result."""

    def __init__(self, module, sr):
        self.module = module
        self.p = module.params
        self.sr = sr
        self.result = {}
        self.changed = False

    def follow(self, op, what):
        if not self.p["wait"]:
            self.result["job"] = {"name": op.job_name, "state": "InProgress", "scenario": what}
            return None
        job = self.sr.follow(op, what, self.p["wait_timeout"], self.p["poll_interval"], action=what)
        self.result["job"] = job
        return job

    def start(self, item, method, what, body=None):
        """Start an action on the item once and follow its job (nothing is sent in check mode)."""
        self.changed = True
        if self.module.check_mode:
            return None
        args = list(item_path(item))
        if body is not None:
            args.append(body)

        def recover():  # the connection dropped: did the action start anyway? Its job shows on the item.
            fresh = self.sr.get("replication_protected_items", *item_path(item))
            return running(self.sr, fresh)[1] if fresh else None

        op = self.sr.start("replication_protected_items", method, *args, recover=recover)
        return self.follow(op, what)

    def follow_running(self, item, scenarios):
        """Follow the item's running job when it is one of ``scenarios`` (lower-cased names); True if followed."""
        scenario, op = running(self.sr, item)
        if op is None:
            return False
        if (scenario or "").lower() not in scenarios:
            refuse(item_summary(item)["friendly_name"], "start this step on", dict(item_summary(item), phase="busy"))
        self.follow(op, "%s of %s (already running)" % (scenario, item_summary(item)["friendly_name"]))
        return True


_BLOCKERS["busy"] = "another Site Recovery job is running on it: wait for it to end"


# -- verification through the target cloud's compute API -------------------------------------
def vm_facts(module, vm_id, connection=None):
    """Power state, size, private IPs and subnets of a VM, read through the compute and network APIs."""
    compute = module.client("compute", connection)
    vm = get_or_none(compute.virtual_machines.get, *group_and_name(vm_id), expand="instanceView")
    if vm is None:
        return None
    power = None
    for status in (vm.instance_view.statuses if vm.instance_view else None) or []:
        if (status.code or "").startswith("PowerState/"):
            power = status.code.split("/", 1)[1]
    network = module.client("network", connection)
    ips, subnets = [], []
    for ref in (vm.network_profile.network_interfaces if vm.network_profile else None) or []:
        nic = get_or_none(network.network_interfaces.get, *group_and_name(ref.id))
        for conf in (nic.ip_configurations if nic else None) or []:
            if conf.private_ip_address:
                ips.append(conf.private_ip_address)
            if conf.subnet is not None:
                subnets.append(conf.subnet.id)
    return {
        "id": vm.id,
        "name": vm.name,
        "location": vm.location,
        "size": vm.hardware_profile.vm_size if vm.hardware_profile else None,
        "power_state": power,
        "private_ips": ips,
        "subnet_ids": subnets,
    }


def check_vm(facts, expect_network_id=None, expect_size=None):
    """Problems with a failed-over VM (empty when it is as expected)."""
    if facts is None:
        return ["the VM does not exist"]
    problems = []
    if facts["power_state"] != "running":
        problems.append("it is %s, not running" % (facts["power_state"] or "in an unknown power state"))
    if expect_size and (facts["size"] or "").lower() != expect_size.lower():
        problems.append("its size is %s, not %s" % (facts["size"], expect_size))
    if expect_network_id:
        prefix = expect_network_id.lower().rstrip("/") + "/subnets/"
        if not any(s.lower().startswith(prefix) for s in facts["subnet_ids"]):
            problems.append("it is not in network %s (subnets: %s)" % (expect_network_id.rsplit("/", 1)[-1], ", ".join(facts["subnet_ids"]) or "none"))
    return problems
