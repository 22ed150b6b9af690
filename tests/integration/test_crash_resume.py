"""Crash-resume: ansible-playbook killed (SIGKILL, every process of the run) at seeded random points across the whole
lifecycle of a wave - add, enable, wait protected, test failover, cleanup, failover, commit, complete migration - and
run again each time; the end state is that of an uninterrupted run, and nothing was started twice.

AZMOVE_CRASH_SEED picks the points (printed in every assertion message: re-run with it to reproduce a chain);
AZMOVE_CRASH_POINTS is how many (20 by default; `make crash-resume` runs more)."""

import json
import os
import random
import subprocess
import sys
import time
import uuid

import pytest

from conftest import ROOT, RUN_MARKER, assert_ok, crash
from test_lifecycle import compute, power, vm_or_none
from test_replication import extra, last_request_id, writes

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import asr_client  # noqa: E402

VAULT, VAULT_RG, TARGET_RG = "rsv-crash-resume", "rg-landing-eastus", "rg-crash-resume"
# computer_name: the guest's host name, what the appliance discovered and Site Recovery's job history names.
MACHINES = [{"name": "vm-app-win02", "ip": "10.10.1.5", "os": "Windows", "account": "winadmin", "subnet": "snet-app",
             "computer_name": "APPWIN02"},
            {"name": "vm-app-lnx02", "ip": "10.10.2.5", "os": "Linux", "account": "linuxroot", "subnet": "snet-linux",
             "computer_name": "app-lnx02"}]
SOURCE_RG = {"vm-app-win02": "rg-app-gov", "vm-app-lnx02": "rg-linux-gov"}
SEED = int(os.environ.get("AZMOVE_CRASH_SEED", "20261123"))
POINTS = int(os.environ.get("AZMOVE_CRASH_POINTS", "20"))
TIME_FACTOR = 0.002  # jobs last seconds: long enough to be killed while they run, short enough for CI
# The actions that must reach Azure exactly once per machine, however often the run was killed.
ACTIONS = ("/testFailover", "/testFailoverCleanup", "/unplannedFailover", "/failoverCommit", "/remove")


def arm_requests(admin, since):
    """ARM requests (both clouds; tokens and the test's own admin calls left out) since a request id."""
    return admin.requests(since=since, port="arm")


def kill_points(rng, count):
    """Where each run is killed, as (kind, n, r). ("write", 1, r): after the run's first write (PUT/PATCH/POST/DELETE)
    and r more requests of any kind - the run has started one new action and is killed while it follows its job.
    ("request", n, 0): after its n-th request of any kind, or right after its first write if that comes sooner - in
    the reads a re-run starts with, in the waits and job polling of the step it has reached (the simulated jobs go
    on meanwhile), or just after an action reached Azure, before the run saw the answer. A run is killed after at
    most one new action, and a wave of two machines makes a dozen (enable, test failover, cleanup, failover, commit,
    complete migration), so at most 10 points are of the first kind (half of the default 20): the chain moves through
    the whole lifecycle and stays inside it; the uninterrupted run after it does what is left."""
    writers = set(rng.sample(range(count), min(10, count // 2)))
    return [("write", 1, rng.randint(0, 8)) if i in writers else ("request", rng.randint(1, 60), 0) for i in range(count)]


def reached(requests, point):
    kind, n, more = point
    write_at = [i for i, r in enumerate(requests) if r["method"] in ("PUT", "PATCH", "POST", "DELETE")]
    if kind == "request":
        return len(requests) >= n or bool(write_at)
    return bool(write_at) and len(requests) - 1 - write_at[0] >= more


def run_killed(admin, cmd, env, point, log):
    """Start the lifecycle and kill it at the point: (killed, return code, the last ARM request it made)."""
    mark = last_request_id(admin)
    marker = uuid.uuid4().hex
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, env=dict(env, **{RUN_MARKER: marker}), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        deadline = time.time() + 300
        while proc.poll() is None and not reached(arm_requests(admin, mark), point):
            if time.time() > deadline:
                crash(marker)
                raise AssertionError("the run neither ended nor reached its kill point %s in 5 minutes: see %s" % (point, log))
            time.sleep(0.1)
        killed = proc.poll() is None
        crash(marker)
        proc.wait()
    seen = arm_requests(admin, mark)
    last = "%s %s" % (seen[-1]["method"], seen[-1]["path"].split("?")[0].rsplit("/", 2)[-2:]) if seen else "-"
    return killed, proc.returncode, last


def machine_of(path):
    for machine in SOURCE_RG:
        if machine in path:
            return machine
    return None


@pytest.fixture
def gov_as_seeded(admin):
    """The Government VMs as seeded (running) before the move, and again after it: later tests need them."""
    with open(ROOT / "tests" / "simulator" / "seed" / "demo.json", encoding="utf-8") as handle:
        gov_seed = json.load(handle)["gov"]
    admin.seed({"gov": gov_seed})
    yield
    admin.seed({"gov": gov_seed})


def test_a_wave_killed_at_random_points_across_the_lifecycle_ends_as_an_uninterrupted_run(
        runner, simulator, admin, tmp_path, gov_as_seeded):
    why = "AZMOVE_CRASH_SEED=%d AZMOVE_CRASH_POINTS=%d" % (SEED, POINTS)
    admin.seed({"public": {"resource_groups": [{"name": TARGET_RG, "location": "eastus"}]}})
    wave = {"vault": VAULT, "target_rg": TARGET_RG, "machines": MACHINES, "policy": "crash-resume-24h"}
    assert_ok(runner.run("crash_resume_setup.yml", extra(simulator, tmp_path, **wave)))

    gov, public = compute(simulator, "gov"), compute(simulator, "public")
    mark = last_request_id(admin)
    started = time.time()
    cmd, env = runner.command("crash_resume.yml", extra(simulator, tmp_path, **wave))
    chain = []  # (point, killed, return code of a run that ended by itself)
    admin.set_time_factor(TIME_FACTOR)
    try:
        for number, point in enumerate(kill_points(random.Random(SEED), POINTS), 1):
            killed, code, last = run_killed(admin, cmd, env, point, tmp_path / ("run-%03d.log" % number))
            chain.append((point, killed, code))
            print("run %d %s %s at %s" % (number, point, "killed" if killed else "ended %s" % code, last))
            # A run that ended by itself before its point must have ended well: a failure is a resume bug.
            assert killed or code == 0, "%s: run %d %s ended with %s before its kill point:\n%s" % (
                why, number, point, code, (tmp_path / ("run-%03d.log" % number)).read_text()[-4000:])
        done = runner.run("crash_resume.yml", extra(simulator, tmp_path, **wave))
    finally:
        admin.set_time_factor(0)
    assert_ok(done)
    kills = sum(1 for _p, killed, _c in chain if killed)
    summary = "%s: %d kills, %d runs ended before their point, %.0fs" % (why, kills, len(chain) - kills, time.time() - started)
    print(summary)
    assert kills >= min(POINTS, 20) * 3 // 4, summary  # most points fell inside the lifecycle, not after it

    # One target VM per machine, running, in the target resource group; no test VM anywhere.
    assert sorted(vm.name for vm in public.virtual_machines.list(TARGET_RG)) == sorted(SOURCE_RG), summary
    for name in SOURCE_RG:
        assert power(vm_or_none(public, TARGET_RG, name)) == "running", (summary, name)
    assert [vm.name for vm in public.virtual_machines.list_all() if vm.name[:-len("-test")] in SOURCE_RG
            and vm.name.endswith("-test")] == [], summary  # (other tests of the session have their own)
    # The source is shut down (the failover phase's source shutdown), not deleted.
    for name, rg in SOURCE_RG.items():
        assert power(gov.virtual_machines.get(rg, name, expand="instanceView")) in ("stopped", "deallocated"), (summary, name)
    # No replication left; the vault's history holds one committed failover per machine.
    sr = asr_client(simulator)
    assert list(sr.replication_protected_items.list(VAULT_RG, VAULT)) == [], summary
    commits = [j.properties.target_object_name for j in sr.replication_jobs.list(VAULT_RG, VAULT)
               if j.properties.scenario_name == "CommitFailover" and j.properties.state == "Succeeded"]
    # (jobs name the machines as the appliance discovered them: their guests' host names)
    assert sorted(commits) == sorted(m["computer_name"] for m in MACHINES), (summary, commits)

    # Nothing started twice: each action reached Azure once per machine, replication was enabled once per machine.
    sent = writes(admin, mark)
    for action in ACTIONS:
        per_machine = sorted(machine_of(r["path"]) or r["path"] for r in sent if r["path"].split("?")[0].endswith(action))
        assert per_machine == sorted(SOURCE_RG), (summary, action, per_machine)
    enables = sorted(machine_of(r["path"]) or r["path"] for r in sent if r["method"] == "PUT"
                     and r["path"].split("?")[0].rstrip("/").split("/")[-2] == "replicationProtectedItems")
    assert enables == sorted(SOURCE_RG), (summary, enables)

    # And again: nothing to do, nothing written.
    mark = last_request_id(admin)
    assert_ok(runner.run("crash_resume.yml", extra(simulator, tmp_path, **wave)))
    assert writes(admin, mark) == [], summary
