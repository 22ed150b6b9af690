# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Bounded waits. Every wait has a deadline, sleeps as long as Azure asks (Retry-After),
and fails saying what it waited for, for how long, and the last state it saw."""

from __future__ import annotations

import time

from . import _progress
from ._errors import AzureFailure

DEFAULT_INTERVAL = 30.0  # what Site Recovery sends as Retry-After
MIN_INTERVAL = 0.01
POLLER_REPORT_EVERY = 15.0  # seconds between two progress reports of an azure-core poller's wait


# The pace of a long wait (replication_wait): a poll after this fraction of the time Azure's progress says is left,
# so polls thin out while hours are left and close in near the end; never longer apart than the wait's cap.
PACE_FRACTION = 0.5
DEFAULT_MAX_INTERVAL = 1800.0


def time_left(percent_before, percent_now, elapsed):
    """Seconds left at least, for a copy that went from ``percent_before`` to ``percent_now`` (Azure's whole
    percentages) in ``elapsed`` seconds; None when that says nothing (no progress figure, no time passed).

    Whole percentages hide up to one percent either way, so the rate is taken at its highest, (done + 1) per
    ``elapsed``, and the remainder at its lowest, (99 - now): the figure is a lower bound, so a wait paced by it
    never sleeps past the end. At 0% ten minutes after the start it says 990 minutes: a copy that has not reached
    1% in 10 minutes needs at least 99 times that.
    """
    if percent_now is None or percent_before is None or elapsed is None or elapsed <= 0:
        return None
    done = max(0.0, float(percent_now) - float(percent_before))
    return max(0.0, 99.0 - float(percent_now)) * elapsed / (done + 1.0)


def paced_interval(left, floor, cap=DEFAULT_MAX_INTERVAL, fraction=PACE_FRACTION):
    """Seconds to the next poll: ``fraction`` of the time ``left`` (None: unknown), between ``floor`` and ``cap``."""
    floor = max(MIN_INTERVAL, float(floor))
    if left is None:
        return floor
    return max(floor, min(max(floor, float(cap)), left * fraction))


class WaitTimeout(AzureFailure):
    def __init__(self, what, waited, last_state):
        super().__init__(
            "Timed out after %ds waiting for %s; the last state seen was %r." % (round(waited), what, last_state),
            code="WaitTimeout",
        )
        self.what = what
        self.waited = waited
        self.last_state = last_state


class Clock:
    """Real time; tests pass a fake with the same two methods."""

    @staticmethod
    def now():
        return time.monotonic()

    @staticmethod
    def sleep(seconds):
        time.sleep(seconds)


def wait_until(poll, what, timeout, clock=None, interval=DEFAULT_INTERVAL, on_progress=None, progress=True):
    """Call ``poll()`` until it reports done or ``timeout`` seconds pass.

    ``poll`` returns ``(done, state, retry_after)``: ``state`` is shown to the user if the wait
    times out; ``retry_after`` (seconds, or None) is Azure's own advice for the next poll and
    wins over ``interval``. The last sleep is cut to the deadline so a wait never overruns.
    Each poll's state goes to the task's progress (``_progress``) unless ``progress`` is false
    (a caller that reports its own). Returns the last state.
    """
    clock = clock or Clock()
    start = clock.now()
    deadline = start + max(0.0, timeout)
    while True:
        done, state, retry_after = poll()
        if done:
            return state
        now = clock.now()
        if now >= deadline:
            raise WaitTimeout(what, now - start, state)
        if on_progress is not None:
            on_progress(state, now - start)
        if progress:
            _progress.waiting(what, state)
        delay = retry_after if retry_after is not None and retry_after > 0 else interval
        clock.sleep(max(MIN_INTERVAL, min(delay, deadline - now)))


def wait_for_poller(poller, what, timeout):
    """Wait for an azure-core LROPoller up to ``timeout`` seconds.

    The poller itself sleeps as long as the service's Retry-After asks; this only puts a
    deadline on it and turns "not done in time" into a WaitTimeout with the last status.
    """
    if _progress.active():  # the poller's status, shown now and then while it runs
        deadline = time.monotonic() + max(0.0, timeout)
        while not poller.done() and time.monotonic() < deadline:
            _progress.waiting(what, poller.status())
            poller.wait(timeout=max(0.0, min(POLLER_REPORT_EVERY, deadline - time.monotonic())))
    else:
        poller.wait(timeout=max(0.0, timeout))
    if not poller.done():
        raise WaitTimeout(what, timeout, poller.status())
    return poller.result()
