# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Show a long-waiting module's progress while it runs (the controller's side of module_utils/_progress).

:class:`ProgressAction` runs the module once, in a background thread; when the module runs on the controller (a local
connection, no become) it passes the internal option ``progress_file``, a file it creates (mode 0600) and removes
afterwards, and the main thread shows what the module writes there. Elsewhere the module runs silently, as without
the action plugin. The module's result is returned as it is.

:class:`Renderer` turns events into plain lines (readable in AWX job output): one line per poll of a wave, or, for a
batch, a line when something changed (at most one every few seconds) and a count alone after a long silence. A line
names only the machines whose phase or result changed since the last line, then one count
(``N ready, N in progress, N failed``): at 100 machines, never every machine again.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.azmove.site_recovery.plugins.module_utils._progress import Reader

display = Display()

RESULT_ORDER = ("ready", "done", "in_progress", "failed", "missing")
WAVE_RESULTS = ("ready", "in_progress", "failed", "missing")  # replication_wait's counts, always shown
BATCH_RESULTS = ("done", "in_progress", "failed")
LIST_PERCENT_UP_TO = 10  # in a wave this small a machine whose percentage moved is listed; above, the average says it
MAX_LISTED = 20  # machines named on one line; the rest are counted
MIN_GAP = 5.0  # seconds between two lines of a batch's changes
HEARTBEAT = 300.0  # a count line after this long without a change
TAIL_EVERY = 1.0  # seconds between two reads of the progress file


def duration(seconds):
    seconds = int(max(0, seconds))
    if seconds >= 3600:
        return "%dh%02dm" % (seconds // 3600, seconds % 3600 // 60)
    return "%dm%02ds" % (seconds // 60, seconds % 60)


def machine_text(name, entry):
    phase = entry.get("phase") or ""
    result = entry.get("result")
    if result == "done":
        return "%s done%s" % (name, " (%s)" % phase if phase and phase not in ("ok", "changed") else "")
    if result == "failed":
        why = entry.get("msg") or ""
        return "%s failed%s%s" % (name, " (%s)" % phase if phase and phase not in ("ok", "changed") else "", ": %s" % why if why else "")
    text = "%s %s" % (name, phase or result or "waiting")
    if entry.get("percent") is not None and phase != "protected":
        text += " %s%%" % entry["percent"]
    if entry.get("state"):
        text += " %s" % entry["state"]
    if entry.get("msg"):
        text += " (%s)" % entry["msg"]
    return text


class Renderer:
    """Events in, plain lines out. ``label`` starts every line (the host the task runs for)."""

    def __init__(self, label, clock=time.monotonic):
        self.label = label
        self.clock = clock
        self.started = clock()
        self.machines = {}
        self.tasks = {}
        self.major = []  # machines whose phase, state or result changed since the last line (in order)
        self.minor = []  # machines whose percentage only moved
        self.tasks_changed = []
        self.last_poll = None
        self.wave = False  # a wave's module writes a poll event per poll: lines follow polls then
        self.last_line = self.started
        self.lines = 0

    def _note(self, bucket, key):
        if key not in bucket:
            bucket.append(key)

    def feed(self, events):
        """Take events; return the lines they complete (a poll event completes one)."""
        out = []
        for event in events:
            kind = event.get("kind")
            if kind == "start":
                for name in event.get("machines") or []:
                    self.machines.setdefault(name, {"result": "in_progress"})
            elif kind == "machine":
                name = event.get("machine")
                if not name:
                    key = event.get("what") or "waiting"
                    if self.tasks.get(key) != event.get("state"):
                        self.tasks[key] = event.get("state")
                        self._note(self.tasks_changed, key)
                    continue
                entry = self.machines.setdefault(name, {"result": "in_progress"})
                new = {k: event.get(k) for k in ("phase", "state", "percent", "job", "result", "msg") if k in event}
                new.setdefault("result", entry.get("result") or "in_progress")
                if any(new.get(k) != entry.get(k) for k in ("phase", "state", "result", "job", "msg")):
                    self._note(self.major, name)
                elif new.get("percent") != entry.get("percent"):
                    self._note(self.minor, name)
                entry.clear()
                entry.update(new)
            elif kind == "poll":
                self.wave = True
                self.last_poll = event
                out.append(self.line())
        return out

    def tick(self):
        """A line when a batch's changes are due (or a count after a long silence), else None."""
        now = self.clock()
        if self.wave:
            return self.line() if now - self.last_line >= HEARTBEAT * 2 else None
        pending = self.major or self.tasks_changed or (self.minor and len(self.machines) <= LIST_PERCENT_UP_TO)
        if pending and now - self.last_line >= MIN_GAP:
            return self.line()
        if now - self.last_line >= HEARTBEAT and (self.machines or self.tasks):
            return self.line()
        return None

    def flush(self):
        """The last line, when something changed since the one before."""
        if self.major or self.tasks_changed or (self.minor and len(self.machines) <= LIST_PERCENT_UP_TO and not self.wave):
            return self.line()
        return None

    def counts(self):
        if self.wave and self.last_poll and self.last_poll.get("counts"):
            counts = self.last_poll["counts"]
            order = WAVE_RESULTS
        else:
            counts = {}
            for entry in self.machines.values():
                counts[entry.get("result") or "in_progress"] = counts.get(entry.get("result") or "in_progress", 0) + 1
            order = BATCH_RESULTS
        shown = list(order) + [k for k in RESULT_ORDER if k not in order and counts.get(k)]
        return ", ".join("%d %s" % (counts.get(k, 0), k.replace("_", " ")) for k in shown)

    def line(self):
        now = self.clock()
        parts = []
        if self.machines:
            head = self.counts()
            extra = []
            moving = [e["percent"] for e in self.machines.values()
                      if e.get("result") == "in_progress" and isinstance(e.get("percent"), (int, float))]
            if moving and len(self.machines) > LIST_PERCENT_UP_TO:
                extra.append("%d%% on average (%d-%d%%)" % (sum(moving) / len(moving), min(moving), max(moving)))
            poll = self.last_poll or {}
            if poll.get("eta_seconds"):
                extra.append("about %s left" % duration(poll["eta_seconds"]))
            if poll.get("next_seconds") and poll.get("pending"):
                extra.append("next poll in %s" % duration(poll["next_seconds"]))
            if extra:
                head += "; " + ", ".join(extra)
            parts.append(head)
        listed = list(self.major)
        if len(self.machines) <= LIST_PERCENT_UP_TO:
            listed += [n for n in self.minor if n not in listed]
        names = [machine_text(n, self.machines[n]) for n in listed[:MAX_LISTED]]
        if len(listed) > MAX_LISTED:
            names.append("and %d more changed" % (len(listed) - MAX_LISTED))
        names += ["%s: %s" % (k, self.tasks[k]) for k in self.tasks_changed]
        if not self.machines and not names:
            names = ["%s: %s" % (k, v) for k, v in self.tasks.items()]
        text = "[%s] %s: %s" % (self.label, duration(now - self.started), " | ".join(parts + ([", ".join(names)] if names else [])))
        self.major, self.minor, self.tasks_changed = [], [], []
        self.last_line = now
        self.lines += 1
        return text


class ProgressAction(ActionBase):
    """The action plugin of a module that reports progress: ``MODULE`` is its full name."""

    MODULE = None
    _supports_check_mode = True
    _supports_async = True

    def on_controller(self):
        """The module runs here, as this user: it can write a file this process reads."""
        return self._connection.transport in ("local", "ansible.builtin.local") and not self._play_context.become

    def label(self, task_vars):
        delegated = self._task.delegate_to
        return delegated or (task_vars or {}).get("inventory_hostname") or "localhost"

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        wrap_async = self._task.async_val and not self._connection.has_native_async
        if wrap_async or not self.on_controller() or args.get("progress_file"):
            result = merge_hash(result, self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars,
                                                             wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)  # pylint: disable=protected-access  # as ansible.builtin.normal does
            return result
        handle, path = tempfile.mkstemp(prefix="azmove-progress-", suffix=".jsonl")  # mode 0600
        os.close(handle)
        try:
            done = self.run_showing(args, task_vars, path)
        finally:
            os.unlink(path)
        self._remove_tmp_path(self._connection._shell.tmpdir)  # pylint: disable=protected-access
        return merge_hash(result, done)

    def run_showing(self, args, task_vars, path):
        outcome = {}

        def work():
            try:
                outcome["result"] = self._execute_module(module_name=self.MODULE, module_args=dict(args, progress_file=path),
                                                         task_vars=task_vars)
            except Exception as exc:  # pylint: disable=broad-except  # raised again in the task's own thread
                outcome["error"] = exc

        thread = threading.Thread(target=work, name="azmove-progress", daemon=True)
        thread.start()
        reader = Reader(path)
        renderer = Renderer(self.label(task_vars))
        while thread.is_alive():
            thread.join(TAIL_EVERY)
            lines = renderer.feed(reader.read())
            line = renderer.tick()
            for text in lines + ([line] if line else []):
                display.display(text)
        lines = renderer.feed(reader.read())
        last = renderer.flush()
        for text in lines + ([last] if last else []):
            display.display(text)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]
