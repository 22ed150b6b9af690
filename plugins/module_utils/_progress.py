# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Progress of a long-waiting module, written while it runs, for the action plugin of the same name to show.

A module cannot print while it runs. When its task runs on the controller, the collection's action plugin passes the
internal option ``progress_file`` (a file it created, mode 0600, removed afterwards); the module appends one JSON object
per line to it - the wait's start, each machine's phase changes, each poll of a wave - and the action plugin reads the
new lines while the module runs and shows them. Without the option nothing is written and nothing changes.

An event holds only names, phases, states, percentages, job names and counts: never an option's value. Every string is
also passed through Ansible's ``remove_values`` with the module's no_log values, so a secret that found its way into
a message is masked before it reaches the file. Writing progress never fails the module.

Module code reports with one call, :func:`report`, from any thread: in a batch, the machine a thread works on is known
(:func:`machine`), and the waits of ``_wait`` report each poll's state by themselves.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager

from ansible.module_utils.common.parameters import remove_values

VERSION = 1
# The internal option of the modules that report progress (documented by the doc fragment azmove.site_recovery.progress).
OPTION = dict(type="path")
MAX_TEXT = 240  # a state or message longer than this is cut: progress is one line per machine
FIELDS = ("machine", "what", "phase", "state", "percent", "job", "result", "eta_seconds", "msg")

_local = threading.local()
_sink = None


class Sink:
    """The progress file of one module run: JSON lines, appended under a lock, each machine's repeats left out."""

    def __init__(self, path, secrets=None, clock=time.time):
        self.path = path
        self.secrets = secrets if secrets is not None else set()  # live: connections add theirs as they resolve
        self.clock = clock
        self.lock = threading.Lock()
        self.last = {}
        self.handle = None
        self.broken = False

    def write(self, kind, **fields):
        event = {"v": VERSION, "t": round(self.clock(), 1), "kind": kind}
        for key, value in fields.items():
            if value is None:
                continue
            if isinstance(value, str) and len(value) > MAX_TEXT:
                value = value[:MAX_TEXT - 3] + "..."
            event[key] = value
        if self.secrets:
            event = remove_values(event, self.secrets)
        with self.lock:
            if kind == "machine":
                key = event.get("machine") or event.get("what") or ""
                same = tuple(event.get(k) for k in FIELDS if k not in ("msg", "eta_seconds"))
                if self.last.get(key) == same:
                    return False
                self.last[key] = same
            return self._append(event)

    def _append(self, event):
        if self.broken:
            return False
        try:
            if self.handle is None:
                self.handle = open(self.path, "a", encoding="utf-8")  # pylint: disable=consider-using-with  # kept for the run
            self.handle.write(json.dumps(event, sort_keys=True, default=str) + "\n")
            self.handle.flush()
        except (OSError, TypeError, ValueError):
            self.broken = True  # progress is a courtesy: the module's work goes on without it
            return False
        return True


def start(module, machines=None, what=None):
    """Open the progress file the task passed (``progress_file``), if any, and say what the run waits for.

    ``module``: an AzureModule (its no_log values mask any secret). Returns the sink, or None without the option.
    """
    global _sink  # pylint: disable=global-statement  # one module run, one progress file
    path = (getattr(module, "params", None) or {}).get("progress_file")
    if not path:
        return None
    inner = getattr(module, "module", module)
    _sink = Sink(path, getattr(inner, "no_log_values", None))
    _sink.write("start", machines=list(machines or []), what=what)
    return _sink


def active():
    return _sink is not None


def stop():
    """Forget the progress file (tests; a module process ends anyway)."""
    global _sink  # pylint: disable=global-statement
    _sink = None


@contextmanager
def machine(name):
    """The machine the current thread works on, for every :func:`report` made meanwhile."""
    before = getattr(_local, "name", None)
    _local.name = name
    try:
        yield
    finally:
        _local.name = before


def set_machine(name):
    """The machine of the main thread, for a module that works on one machine."""
    _local.name = name


def report(phase=None, state=None, percent=None, job=None, result=None, what=None, machine=None, **extra):  # pylint: disable=redefined-outer-name
    """A machine's progress (the current thread's machine unless named): its phase, state, percent, job, result.

    Repeats of the last event of the same machine are not written. A no-op when the task passed no progress file.
    """
    sink = _sink
    if sink is None:
        return False
    name = machine if machine is not None else getattr(_local, "name", None)
    if name is None and what is None:
        what = phase
    return sink.write("machine", machine=name, what=what, phase=phase, state=None if state is None else str(state),
                      percent=percent, job=job, result=result, **extra)


def waiting(what, state):
    """One poll of a bounded wait (``_wait``): what it waits for and the state it read."""
    if _sink is None:
        return False
    name = getattr(_local, "name", None)
    if name and isinstance(what, str):
        what = what.replace(" of %s" % name, "").replace(" (already running)", "")
    return report(phase=what if name else None, what=None if name else what, state=state)


def poll(**summary):
    """One poll of a wave (counts, the wave's estimate, the next poll's delay): the action plugin prints a line."""
    sink = _sink
    if sink is None:
        return False
    return sink.write("poll", **summary)


def outcome(name, result):
    """A batch machine's end: done or failed, with the phase it reached (and, failed, the first words of why)."""
    if _sink is None:
        return False
    phase = ((result.get("machine") or {}).get("phase") if isinstance(result.get("machine"), dict) else None)
    failed = bool(result.get("failed"))
    return report(machine=name, result="failed" if failed else "done",
                  phase=phase or ("changed" if result.get("changed") else "ok"),
                  msg=(result.get("msg") or "")[:MAX_TEXT] if failed else None)


# -- the reading side (the action plugin, on the controller) ---------------------------------------------------------
class Reader:
    """The new complete lines of a progress file, as events; a half-written last line waits for the next read."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.rest = b""

    def read(self):
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return []
        self.offset += len(data)
        data = self.rest + data
        lines = data.split(b"\n")
        self.rest = lines.pop()
        events = []
        for line in lines:
            try:
                event = json.loads(line.decode("utf-8"))
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("v") == VERSION:
                events.append(event)
        return events
