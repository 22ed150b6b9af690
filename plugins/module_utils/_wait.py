# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Bounded waits. Every wait has a deadline, sleeps as long as Azure asks (Retry-After),
and fails saying what it waited for, for how long, and the last state it saw."""

from __future__ import annotations

import time

from ._errors import AzureFailure

DEFAULT_INTERVAL = 30.0  # what Site Recovery sends as Retry-After
MIN_INTERVAL = 0.01


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


def wait_until(poll, what, timeout, clock=None, interval=DEFAULT_INTERVAL, on_progress=None):
    """Call ``poll()`` until it reports done or ``timeout`` seconds pass.

    ``poll`` returns ``(done, state, retry_after)``: ``state`` is shown to the user if the wait
    times out; ``retry_after`` (seconds, or None) is Azure's own advice for the next poll and
    wins over ``interval``. The last sleep is cut to the deadline so a wait never overruns.
    Returns the last state.
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
        delay = retry_after if retry_after is not None and retry_after > 0 else interval
        clock.sleep(max(MIN_INTERVAL, min(delay, deadline - now)))


def wait_for_poller(poller, what, timeout):
    """Wait for an azure-core LROPoller up to ``timeout`` seconds.

    The poller itself sleeps as long as the service's Retry-After asks; this only puts a
    deadline on it and turns "not done in time" into a WaitTimeout with the last status.
    """
    poller.wait(timeout=max(0.0, timeout))
    if not poller.done():
        raise WaitTimeout(what, timeout, poller.status())
    return poller.result()
