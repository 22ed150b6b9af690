# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Show a wave's progress while it waits.

A module cannot print while it runs, so this action runs the replication_wait module with
``poll_once`` (one read of the vault's list), prints one line per poll, sleeps
``poll_interval`` and reads again; the last call, without ``poll_once``, gives the module's own
verdict (fail_on_error), so the result is the same as the module's alone.
"""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()
MODULE = "azmove.site_recovery.replication_wait"


def progress_line(host, result, elapsed):
    parts = []
    for name, value in sorted((result.get("machines") or {}).items()):
        text = value.get("phase") or value.get("result")
        if value.get("progress_percent") is not None and value.get("phase") not in ("protected",):
            text += " %s%%" % value["progress_percent"]
        if value.get("suspended_job"):
            text += " (job suspended)"
        elif value.get("warning"):
            text += " (health %s)" % value.get("replication_health")
        parts.append("%s %s" % (name, text))
    counts = result.get("counts") or {}
    return "[%s] %dm%02ds: %d ready, %d in progress, %d failed, %d missing | %s" % (
        host,
        elapsed // 60,
        elapsed % 60,
        counts.get("ready", 0),
        counts.get("in_progress", 0),
        counts.get("failed", 0),
        counts.get("missing", 0),
        ", ".join(parts),
    )


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        if args.get("poll_once"):
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
            return result
        timeout = float(args.get("timeout", 86400))
        interval = max(0.01, float(args.get("poll_interval", 60)))
        host = task_vars.get("inventory_hostname", "localhost") if task_vars else "localhost"
        start = time.monotonic()
        polls = 0
        warned = {}
        while True:
            once = self._execute_module(module_name=MODULE, module_args=dict(args, poll_once=True), task_vars=task_vars)
            polls += 1
            if once.get("failed"):
                result.update(once)
                return result
            # A health warning that clears before the end (Critical during initial replication) is kept.
            for name, value in (once.get("machines") or {}).items():
                if value.get("warning") and name not in warned:
                    warned[name] = {"first_seen_poll": polls, "warning": value["warning"], "codes": sorted(
                        {e.get("code") for e in value.get("health_errors") or [] if e.get("code")})}
            elapsed = time.monotonic() - start
            display.display(progress_line(host, once, int(elapsed)))
            if once.get("done") or elapsed + interval > timeout:
                break
            time.sleep(interval)
        final_args = dict(args, timeout=0)
        final = self._execute_module(module_name=MODULE, module_args=final_args, task_vars=task_vars)
        polls += final.get("polls", 0)
        final["polls"] = polls
        final["waited_seconds"] = round(time.monotonic() - start, 1)
        for name, value in (final.get("machines") or {}).items():
            if warned.get(name) and not value.get("warnings_seen"):
                value["warnings_seen"] = warned[name]
                if not value.get("warning"):
                    final.setdefault("warnings", []).append("%s: %s (seen during the wait, since cleared)" % (name, warned[name]["warning"]))
        result.update(final)
        return result
