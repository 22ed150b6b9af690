"""Progress on long waits: the lines the task prints (Renderer), the file the module writes (Sink), the wait's pace."""

import json

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _progress
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import paced_interval, time_left
from ansible_collections.azmove.site_recovery.plugins.modules import replication_wait as rw
from ansible_collections.azmove.site_recovery.plugins.plugin_utils import progress as progress_plugin
from ansible_collections.azmove.site_recovery.plugins.plugin_utils.progress import ProgressAction, Renderer


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def machine(name, **fields):
    return dict(kind="machine", machine=name, **fields)


def wave(n):
    return ["vm-%03d" % i for i in range(n)]


def test_at_100_machines_a_poll_line_names_only_the_machines_that_changed_plus_the_count():
    clock = FakeClock()
    renderer = Renderer("localhost", clock=clock)
    names = wave(100)
    first = [dict(kind="start", machines=names)]
    first += [machine(n, result="in_progress", phase="initial_replication", percent=10) for n in names]
    counts = {"ready": 0, "in_progress": 100, "failed": 0, "missing": 0}
    lines = renderer.feed(first + [dict(kind="poll", counts=counts, pending=100, eta_seconds=7200, next_seconds=1800)])
    assert len(lines) == 1
    assert lines[0].startswith("[localhost] 0m00s: 0 ready, 100 in progress, 0 failed, 0 missing")
    assert "about 2h00m left" in lines[0] and "next poll in 30m00s" in lines[0]
    # Every machine's percentage moved, two finished and one failed: the line names those three, not the 97 others.
    clock.t += 1800
    second = [machine(n, result="in_progress", phase="initial_replication", percent=40) for n in names[3:]]
    second += [machine(names[0], result="ready", phase="protected"), machine(names[1], result="ready", phase="protected"),
               machine(names[2], result="failed", phase="enable_failed", msg="95108: credentials")]
    counts = {"ready": 2, "in_progress": 97, "failed": 1, "missing": 0}
    lines = renderer.feed(second + [dict(kind="poll", counts=counts, pending=97, eta_seconds=3600, next_seconds=1800)])
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("[localhost] 30m00s: 2 ready, 97 in progress, 1 failed, 0 missing; 40% on average (40-40%)")
    named = [n for n in names if n in line]
    assert named == names[:3], line
    assert "vm-000 protected, vm-001 protected, vm-002 failed (enable_failed): 95108: credentials" in line
    # A poll where nothing but percentages moved prints the count alone.
    clock.t += 1800
    third = [machine(n, result="in_progress", phase="initial_replication", percent=70) for n in names[3:]]
    line = renderer.feed(third + [dict(kind="poll", counts=counts, pending=97, eta_seconds=1200, next_seconds=600)])[0]
    assert not [n for n in names if n in line]
    assert "70% on average" in line and "about 20m00s left" in line


def test_a_small_wave_lists_percentages_and_a_batch_waits_between_lines():
    clock = FakeClock()
    renderer = Renderer("jump01", clock=clock)
    renderer.feed([dict(kind="start", machines=["a", "b"])])
    lines = renderer.feed([machine("a", phase="failing_over", state="InProgress", percent=10), machine("b", phase="failing_over")])
    assert not lines  # a batch prints on tick, not per event
    assert renderer.tick() is None  # less than MIN_GAP since the start
    clock.t += 10
    line = renderer.tick()
    assert line.startswith("[jump01] 0m10s: 0 done, 2 in progress, 0 failed")
    assert "a failing_over 10% InProgress" in line and "b failing_over" in line
    assert renderer.tick() is None  # nothing changed since
    renderer.feed([machine("a", result="done", phase="failed_over"), machine("b", result="failed", msg="boom")])
    last = renderer.flush()
    assert "1 done, 0 in progress, 1 failed" in last and "a done (failed_over)" in last and "b failed: boom" in last


def test_the_sink_masks_secrets_leaves_out_repeats_and_never_fails_the_module(tmp_path):
    path = tmp_path / "progress.jsonl"
    secrets = {"s3cr3t-Value"}
    sink = _progress.Sink(str(path), secrets, clock=lambda: 5.0)
    assert sink.write("machine", machine="vm1", phase="failing_over", msg="login with s3cr3t-Value failed")
    assert not sink.write("machine", machine="vm1", phase="failing_over", msg="login with s3cr3t-Value failed again")
    secrets.add("late-token")  # a connection's secret resolved after the sink opened is masked too
    assert sink.write("machine", machine="vm1", phase="committing", state="token late-token")
    assert sink.write("poll", counts={"ready": 1})
    text = path.read_text()
    assert "s3cr3t-Value" not in text and "late-token" not in text
    events = _progress.Reader(str(path)).read()
    assert [e["kind"] for e in events] == ["machine", "machine", "poll"]
    assert events[0]["msg"].startswith("login with ") and events[1]["state"] == "token ********"
    # A file that cannot be written: progress is dropped, the module goes on.
    broken = _progress.Sink(str(tmp_path / "missing-dir" / "p.jsonl"))
    assert broken.write("poll", counts={}) is False


def test_the_reader_waits_for_a_half_written_line(tmp_path):
    path = tmp_path / "p.jsonl"
    reader = _progress.Reader(str(path))
    assert reader.read() == []
    line = json.dumps({"v": _progress.VERSION, "kind": "poll", "counts": {}})
    path.write_text(line[:10])
    assert reader.read() == []
    path.write_text(line + "\n")
    assert [e["kind"] for e in reader.read()] == ["poll"]


def test_without_a_progress_file_nothing_is_written():
    _progress.stop()
    assert _progress.report(phase="x", machine="a") is False
    assert _progress.poll(counts={}) is False


@pytest.mark.parametrize("before, now, elapsed, least", [
    (0, 0, 600, 99 * 600),  # not 1% in 10 minutes: at least 99 times that
    (0, 49, 3600, 50 * 3600 / 50),  # halfway after an hour: at least 50 minutes... an hour, at the highest rate
    (10, 10, 60, 89 * 60),
    (0, 99, 100, 0),
    (None, 5, 60, None), (0, None, 60, None), (0, 5, 0, None),
])
def test_time_left_is_a_lower_bound_from_whole_percentages(before, now, elapsed, least):
    assert time_left(before, now, elapsed) == least


def test_the_pace_is_half_the_time_left_between_the_floor_and_the_cap():
    assert paced_interval(None, 60, 1800) == 60  # no estimate: the poll interval
    assert paced_interval(8 * 3600, 60, 1800) == 1800  # hours left: the cap
    assert paced_interval(1200, 60, 1800) == 600
    assert paced_interval(30, 60, 1800) == 60  # close: the floor
    assert paced_interval(8 * 3600, 300, 120) == 300  # a cap below the floor counts as the floor


def rcm_item(name, percent, start, refreshed):
    disk = {"isInitialReplicationComplete": "false",
            "irDetails": {"startTime": start, "lastRefreshTime": refreshed, "progressPercentage": percent}}
    return {"name": name, "properties": {"friendlyName": name, "protectionState": "InitialReplicationInProgress",
                                         "providerSpecificDetails": {"instanceType": "InMageRcm", "protectedDisks": [disk]}}}


def test_the_wave_is_paced_by_azures_figures_for_its_slowest_machine():
    items = {"a": rcm_item("a", 50, "2026-02-01T10:00:00Z", "2026-02-01T11:00:00.123Z"),
             "b": rcm_item("b", 9, "2026-02-01T10:00:00Z", "2026-02-01T11:00:00Z")}
    assert rw.azure_time_left(items["a"]) == pytest.approx(49 * 3599 / 51)  # timestamps to the second: one off
    later = rw.parse_time("2026-02-01T11:10:00Z")  # ten minutes after Azure's last refresh
    assert rw.azure_time_left(items["a"], later) == pytest.approx(49 * 3599 / 51 - 600)
    status = {"a": ("in_progress", {"progress_percent": 50}), "b": ("in_progress", {"progress_percent": 9}),
              "c": ("ready", {"progress_percent": 100})}
    assert rw.wave_time_left(items, status, {}, 0.0) == pytest.approx(90 * 3599 / 10)
    # A machine with no figure yet (still enabling): no estimate, polls at the floor.
    status["d"] = ("in_progress", {"progress_percent": None})
    assert rw.wave_time_left(items, status, {}, 0.0) is None


def test_without_azures_disk_figures_the_pace_follows_the_percentages_seen_in_this_wait():
    first = {}
    status = {"a": ("in_progress", {"progress_percent": 20})}
    classic = {"a": {"name": "a", "properties": {"providerSpecificDetails": {"instanceType": "InMageAzureV2"}}}}
    status["b"] = ("in_progress", {"progress_percent": 50})
    assert rw.wave_time_left(classic, status, first, 100.0) is None  # one sighting says nothing yet
    assert set(first) == {"a", "b"}  # but every machine's is kept, for the next poll
    status = {"a": ("in_progress", {"progress_percent": 29}), "b": ("in_progress", {"progress_percent": 59})}
    assert rw.wave_time_left(classic, status, first, 700.0) == pytest.approx(70 * 600 / 10)


class FakeAction(ProgressAction):
    MODULE = "azmove.site_recovery.failover"

    def __init__(self, transport="local", become=False):  # pylint: disable=super-init-not-called
        self._connection = type("Connection", (), {"transport": transport})()
        self._play_context = type("PlayContext", (), {"become": become})()
        self._task = type("Task", (), {"delegate_to": "localhost"})()
        self.calls = []

    def _execute_module(self, module_name=None, module_args=None, task_vars=None, **kwargs):
        self.calls.append(dict(module_args))
        sink = _progress.Sink(module_args["progress_file"], {"hunter2"})
        sink.write("start", machines=["a", "b"])
        sink.write("machine", machine="a", phase="failing_over", state="InProgress hunter2")
        sink.write("machine", machine="a", result="done", phase="failed_over")
        sink.write("machine", machine="b", result="done", phase="failed_over")
        return {"changed": True, "machines": {}}


def test_the_action_runs_the_module_once_on_the_controller_and_shows_its_progress(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(progress_plugin.display, "display", shown.append)
    action = FakeAction()
    path = tmp_path / "p.jsonl"
    path.touch()
    result = action.run_showing({"name": "x"}, {}, str(path))
    assert result == {"changed": True, "machines": {}} and len(action.calls) == 1
    assert action.calls[0]["progress_file"] == str(path)
    assert shown and shown[-1].startswith("[localhost] 0m0") and "2 done, 0 in progress, 0 failed" in shown[-1]
    assert "a done (failed_over), b done (failed_over)" in shown[-1]
    assert not [line for line in shown if "hunter2" in line]


@pytest.mark.parametrize("transport, become, here", [("local", False, True), ("ansible.builtin.local", False, True),
                                                     ("ssh", False, False), ("local", True, False)])
def test_progress_is_shown_only_where_the_module_can_write_a_file_the_controller_reads(transport, become, here):
    assert FakeAction(transport, become).on_controller() is here
