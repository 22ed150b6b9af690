# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""One module run for a whole batch of machines.

A lifecycle module (physical_machine, replicated_machine, test_failover, failover) given ``machines``
runs its one-machine logic for each of them, concurrently, in one process: one Python start-up, one
set of SDK imports, one token, and the reads every machine would make the same way (the vault's
fabrics, its replicated items, the policy...) made once. Each machine's logic is exactly the
one-machine module's, so what one machine does, and what it refuses, does not change with the batch.

Every machine's input is checked before any machine starts: one bad entry fails the task with
nothing sent. A machine that fails later (Azure said no, a job failed) fails alone: the others go
on, and the result says, per machine, what happened.
"""

from __future__ import annotations

import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

from . import _progress
from ._auth import AuthError
from ._errors import AzureFailure, translate
from ._module import AzureModule

DEFAULT_CONCURRENCY = 20

# Options every batch-capable module adds.
BATCH_OPTIONS = dict(
    concurrency=dict(type="int", default=DEFAULT_CONCURRENCY),
    fail_on_error=dict(type="bool", default=True),
)


def machines_option(spec, keys):
    """The ``machines`` option: a list of dicts, each the per-machine ``keys`` of ``spec`` (defaults left to the task)."""
    options = {}
    for key in keys:
        entry = {k: v for k, v in spec[key].items() if k not in ("required", "default")}
        options[key] = entry
    options["name"]["required"] = True
    return dict(type="list", elements="dict", options=options)


class MachineDone(Exception):
    """The end of one machine's work: its result (with ``failed`` when it failed)."""

    def __init__(self, result):
        super().__init__(result.get("msg") or "done")
        self.result = result


class MachineModule:
    """What a module body sees of the module for one machine of a batch.

    The options are the task's with the machine's own entry over them; the connection, its clients and
    check/diff mode are the batch's. ``exit`` and ``fail`` end this machine's work only.
    """

    def __init__(self, batch, entry):
        self.batch = batch
        self.params = dict(batch.params)
        self.params.pop("machines", None)
        self.params.update({k: v for k, v in entry.items() if v is not None})
        self.warnings = []
        self.shared = batch.shared

    @property
    def check_mode(self):
        return self.batch.check_mode

    @property
    def diff_mode(self):
        return self.batch.diff_mode

    # A thread must never end the module process (fail_json): what goes wrong ends this machine's work only.
    def connection(self, name=None):
        try:
            return self.batch.connection_or_raise(name)
        except AuthError as exc:
            self.fail(str(exc))
        return None  # not reached

    def client(self, kind, connection=None):
        try:
            return self.batch.client_or_raise(kind, connection)
        except ImportError as exc:
            self.fail("A library this step needs is missing: %s" % exc)
        except AuthError as exc:
            self.fail(str(exc))
        return None  # not reached

    def warn(self, msg):
        self.warnings.append(msg)

    def fail(self, msg, **result):
        raise MachineDone(dict(result, failed=True, changed=bool(result.get("changed")), msg=msg))

    def fail_from(self, exc, action=None, **result):
        if isinstance(exc, AuthError):
            self.fail("%s%s" % ("%s: " % action if action else "", exc), **result)
        failure = translate(exc)
        self.fail(failure.summary(action), error=failure.to_dict(), **result)

    def exit(self, changed, before=None, after=None, **result):
        if self.diff_mode and (before is not None or after is not None):
            result["diff"] = {"before": before or {}, "after": after or {}}
        raise MachineDone(dict(result, changed=changed, failed=False))


def _outcome(view, call):
    """Run ``call`` for one machine and return its result dict, whatever happens."""
    from azure.core.exceptions import AzureError  # pylint: disable=import-outside-toplevel

    name = view.params.get("name")
    try:
        with _progress.machine(name):  # what this thread reports (its waits' polls) is this machine's
            call()
    except MachineDone as done:
        result = done.result
    except (AzureFailure, AuthError, AzureError) as exc:
        try:
            view.fail_from(exc)
        except MachineDone as done:
            result = done.result
    except (Exception, SystemExit) as exc:  # pylint: disable=broad-except  # one machine's bug must not hide the others' results
        result = {"failed": True, "changed": False, "msg": "Unexpected error for %s: %r" % (view.params.get("name"), exc),
                  "exception": traceback.format_exc()}
    else:
        result = {"failed": True, "changed": False, "msg": "The module ended without a result for %s." % view.params.get("name")}
    if view.warnings:
        result["warnings"] = list(view.warnings)
    _progress.outcome(name, result)
    return result


def run_batch(module, check, act):
    """Run ``check(view)`` for every machine, then, if none failed, ``act(view)`` for every machine concurrently.

    ``check`` validates one machine's input without sending anything; ``act`` is the one-machine module body
    (it ends with ``view.exit`` or ``view.fail``). Exits the module with ``machines`` (name: result),
    ``failed_machines`` and ``changed`` when any machine changed.
    """
    entries = module.params["machines"]
    if not entries:
        module.exit(False, machines={}, failed_machines=[], msg="No machines: nothing to do.")
    names = [e["name"] for e in entries]
    seen, repeated = set(), []
    for name in names:
        if name.lower() in seen:
            repeated.append(name)
        seen.add(name.lower())
    if repeated:
        module.fail("machines names %s more than once: each machine must appear once." % ", ".join(sorted(set(repeated))))
    if module.params["concurrency"] < 1:
        module.fail("concurrency must be at least 1, not %d." % module.params["concurrency"])
    module.shared = {"lock": threading.RLock()}
    views = [MachineModule(module, entry) for entry in entries]
    problems = []
    for view in views:
        try:
            check(view)
        except MachineDone as done:
            if done.result.get("failed"):
                problems.append("%s: %s" % (view.params["name"], done.result["msg"]))
    if problems:
        module.fail("Nothing was done: %d of %d machines have bad input. %s" % (len(problems), len(views), " ".join(problems)),
                    problems=problems)
    # The task's progress (when it passed a progress file): every machine's phase changes, as they happen.
    _progress.start(module, names)
    workers = min(len(views), module.params["concurrency"])
    connection = module.connection()
    connection.pool_size = max(10, workers)
    try:
        connection.cloud  # pylint: disable=pointless-statement  # the cloud's endpoints, read once before the threads
    except (AzureFailure, AuthError) as exc:
        module.fail_from(exc, "Reading the cloud's endpoints")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda view: _outcome(view, lambda: act(view)), views))
    results = dict(zip(names, outcomes))
    failed = [name for name in names if results[name].get("failed")]
    for name in names:
        for warning in results[name].pop("warnings", []):
            module.warn("%s: %s" % (name, warning))
    changed = any(r.get("changed") for r in outcomes)
    summary = dict(machines=results, failed_machines=failed, connection=connection.describe())
    if module.diff_mode:
        summary["diff"] = {
            "before": {n: r.get("diff", {}).get("before", {}) for n, r in results.items()},
            "after": {n: r.get("diff", {}).get("after", {}) for n, r in results.items()},
        }
    if failed and module.params["fail_on_error"]:
        module.fail("%d of %d machines failed: %s" % (len(failed), len(names), " ".join(
            "%s: %s" % (name, results[name].get("msg")) for name in failed)), changed=changed, **summary)
    module.module.exit_json(changed=changed, **summary)


def shared(module, key, fetch):
    """In a batch, the first answer to a read every machine makes the same way; alone, a fresh read."""
    cache = getattr(module, "shared", None)
    if cache is None:
        return fetch()
    with cache["lock"]:
        if key not in cache:
            cache[key] = fetch()
        return cache[key]


def run_module(options, per_machine, check, act, **kwargs):
    """A lifecycle module's main: its options plus ``machines``, ``concurrency`` and ``fail_on_error``; then ``check``
    and ``act`` for the one machine of ``name``, or :func:`run_batch` for ``machines``."""
    options = dict(options, **BATCH_OPTIONS)
    options["machines"] = machines_option(options, per_machine)
    module = AzureModule(options, supports_check_mode=True, required_one_of=[("name", "machines")],
                         mutually_exclusive=[("name", "machines")], **kwargs)
    if module.params["machines"] is not None:
        run_batch(module, check, act)
    check(module)
    if _progress.start(module, [module.params["name"]]):
        _progress.set_machine(module.params["name"])
    act(module)
