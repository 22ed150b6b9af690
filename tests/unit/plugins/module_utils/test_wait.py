import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _wait as wait


class FakeClock:
    def __init__(self):
        self.t = 0.0
        self.sleeps = []

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.t += seconds


def states(*seq):
    it = iter(seq)

    def poll():
        return next(it)

    return poll


def test_sleeps_as_long_as_azure_asks():
    clock = FakeClock()
    poll = states((False, "InProgress", 30), (False, "InProgress", 10), (True, "Succeeded", None))
    assert wait.wait_until(poll, "job j1", timeout=600, clock=clock) == "Succeeded"
    assert clock.sleeps == [30, 10]


def test_falls_back_to_interval_without_retry_after():
    clock = FakeClock()
    poll = states((False, "InProgress", None), (True, "Succeeded", None))
    wait.wait_until(poll, "x", timeout=600, clock=clock, interval=15)
    assert clock.sleeps == [15]


def test_timeout_says_what_how_long_and_last_state():
    clock = FakeClock()

    def poll():
        return False, "InProgress (42%)", 30

    with pytest.raises(wait.WaitTimeout) as info:
        wait.wait_until(poll, "initial replication of vm-1", timeout=100, clock=clock)
    message = str(info.value)
    assert "initial replication of vm-1" in message and "100s" in message and "InProgress (42%)" in message
    assert info.value.code == "WaitTimeout"
    assert clock.t == 100  # the last sleep was cut to the deadline: no overrun
    assert clock.sleeps == [30, 30, 30, 10]


def test_progress_callback_sees_each_state():
    clock = FakeClock()
    seen = []
    poll = states((False, "a", 1), (False, "b", 1), (True, "c", None))
    wait.wait_until(poll, "x", timeout=10, clock=clock, on_progress=lambda s, e: seen.append((s, e)))
    assert seen == [("a", 0), ("b", 1)]


def test_zero_timeout_polls_once():
    clock = FakeClock()
    with pytest.raises(wait.WaitTimeout):
        wait.wait_until(lambda: (False, "s", 5), "x", timeout=0, clock=clock)
    assert clock.sleeps == []


class FakePoller:
    def __init__(self, done_after):
        self.done_after = done_after
        self.waited = None

    def wait(self, timeout=None):
        self.waited = timeout

    def done(self):
        return self.done_after <= (self.waited or 0)

    def status(self):
        return "Succeeded" if self.done() else "InProgress"

    def result(self):
        return "resource"


def test_poller_within_deadline():
    assert wait.wait_for_poller(FakePoller(5), "vault v", 10) == "resource"


def test_poller_past_deadline():
    with pytest.raises(wait.WaitTimeout, match="vault v to be deleted.*InProgress"):
        wait.wait_for_poller(FakePoller(50), "vault v to be deleted", 10)
