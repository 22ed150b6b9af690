"""The fault matrix: a wave of two machines moved while the cloud misbehaves.

Throttling (429 with Retry-After), server errors (500/503), dropped connections and an unavailable token endpoint
are retried: the step completes and nothing reaches Azure twice. A failed long-running operation (the enable of one
machine) and a failed Site Recovery job (the failover of one machine) fail that machine only, with Azure's code,
message and job id, and a re-run finishes it. Tokens that expire every two seconds and a simulator restarted while
a task waits are survived too. Nothing is duplicated and nothing is left behind.
"""

import json
import re
import subprocess
import time
import uuid

import pytest

from conftest import ROOT, Runner, assert_ok
from test_lifecycle import asr_client, compute
from test_replication import WRITE_METHODS, extra, last_request_id

NAMES = ["vm-app-lnx01", "vm-app-win01"]
ITEM = r"/replicationProtectedItems/%s"
SEED = str(ROOT / "tests" / "simulator" / "seed" / "demo.json")


@pytest.fixture
def source_vms_restored(admin):
    """A failover shuts the Government VMs down; later tests on this simulator need them running, as seeded."""
    yield
    with open(SEED, encoding="utf-8") as handle:
        admin.seed({"gov": json.load(handle)["gov"]})


@pytest.fixture
def faults(admin):
    """Add fault rules for one test; every rule it added is removed afterwards, whatever happens."""
    added = []

    def add(**rule):
        rule.setdefault("cloud", "public")
        added.append(admin.add_fault(**rule))
        return added[-1]

    add.rules = added
    yield add
    for rule in added:
        admin.clear_faults(rule["id"])


def spent(admin, rules):
    """The rules that were not used up (each must have hit as many requests as it was meant to)."""
    state = {f["id"]: f for f in admin.faults()}
    return [(r["kind"], r.get("status"), r.get("method"), r.get("path_regex"), state[r["id"]]["remaining"])
            for r in rules if state[r["id"]]["remaining"]]


def reached(admin, since, method, pattern):
    """Requests matching method and path regex that reached the provider (no injected fault), with a success."""
    rows = admin.requests(since=since, method=method, limit=100000)
    return [r for r in rows if re.search(pattern, r["path"], re.IGNORECASE) and not r["fault"]
            and r["status"] is not None and r["status"] < 400]


def read(tmp_path, label):
    return json.loads((tmp_path / ("faults-%s.json" % label)).read_text())


def by_item(step):
    """Each machine's result of a step (one task for the whole wave)."""
    assert not step.get("failed"), step.get("msg")
    return step["machines"]


def test_transient_faults_are_retried_and_a_failed_job_fails_only_its_machine(
        runner, simulator, admin, tmp_path, faults, source_vms_restored):
    suffix = uuid.uuid4().hex[:6]
    vault, target_rg = "rsv-faults-" + suffix, "rg-faults-" + suffix
    admin.seed({"public": {"resource_groups": [{"name": target_rg, "location": "eastus"}]}})
    mine = "/vaults/%s/.*" % vault  # faults for this test's vault only

    def run(label, steps):
        return runner.run("faults.yml", extra(simulator, tmp_path, vault=vault, target_rg=target_rg, run_label=label, steps=steps))

    # 1. Set up and enable while every kind of transient fault hits the wave; the enable of vm-app-lnx01 gets past its
    #    throttling, then its long-running operation fails.
    mark = last_request_id(admin)
    faults(kind="status", status=429, retry_after=0.2, count=2, method="PUT", path_regex="/vaults/%s$" % vault)
    faults(kind="status", status=503, count=2, method="PUT", path_regex="/replicationPolicies/gov-to-public-faults$")
    faults(kind="status", status=503, count=1, port="login", path_regex="/oauth2/v2.0/token$")
    faults(kind="status", status=500, count=1, method="PUT", path_regex=mine + ITEM % "vm-app-win01$")
    faults(kind="drop", count=1, method="PUT", path_regex=mine + ITEM % "vm-app-win01$")
    faults(kind="status", status=429, retry_after=0.2, count=2, method="PUT", path_regex=mine + ITEM % "vm-app-lnx01$")
    faults(kind="status", status=500, count=2, method="GET", path_regex="%s/replicationOperationStatus/" % vault)
    faults(kind="drop", count=2, method="GET", path_regex="%s/replicationProtectedItems$" % vault)
    faults(kind="lro_fail", count=1, method="PUT", path_regex=mine + ITEM % "vm-app-lnx01$", code="FaultMatrixEnableFailed",
           message="Protection could not be enabled for vm-app-lnx01 (fault matrix).")
    done = run("wave", ["setup", "enable", "wait"])
    assert_ok(done)
    result = read(tmp_path, "wave")
    enabled = by_item(result["enabled"])
    assert enabled["vm-app-win01"]["changed"] and not enabled["vm-app-win01"].get("failed"), enabled["vm-app-win01"]
    assert spent(admin, faults.rules) == [], "every fault was met"
    lnx = enabled["vm-app-lnx01"]
    assert lnx["failed"] and lnx["error"]["code"] == "FaultMatrixEnableFailed", lnx
    job_id = lnx["error"]["job_id"]
    for text in ("FaultMatrixEnableFailed", "Protection could not be enabled for vm-app-lnx01", "job id %s" % job_id):
        assert text in lnx["msg"], lnx["msg"]
    assert result["wave"]["counts"]["ready"] == 1 and result["wave"]["counts"]["failed"] == 1, result["wave"]
    # Each write reached Azure once, however many times it was refused or cut off before.
    assert len(reached(admin, mark, "PUT", "/vaults/%s$" % vault)) == 1
    assert len(reached(admin, mark, "PUT", "/replicationPolicies/gov-to-public-faults$")) == 1
    for name in NAMES:
        assert len(reached(admin, mark, "PUT", ITEM % name + "$")) == 1, name

    # 2. The re-run enables vm-app-lnx01 again and leaves vm-app-win01 alone; then the failover lifecycle, every action
    #    throttled, refused or cut off once or twice, and the failover job of vm-app-lnx01 fails.
    mark = last_request_id(admin)
    tfo, cleanup, failover, commit = (mine + ITEM % "vm-app-win01/" + action + "$"
                                      for action in ("testFailover", "testFailoverCleanup", "unplannedFailover", "failoverCommit"))
    faults(kind="status", status=429, retry_after=0.2, count=2, method="POST", path_regex=tfo)
    faults(kind="status", status=503, count=1, method="POST", path_regex=cleanup)
    faults(kind="status", status=500, count=1, method="POST", path_regex=failover)
    faults(kind="drop", count=1, method="POST", path_regex=failover)
    faults(kind="status", status=429, retry_after=0.2, count=1, method="POST", path_regex=commit)
    faults(kind="drop", count=2, method="GET", path_regex="%s/replicationJobs/" % vault)
    faults(kind="status", status=503, count=2, method="GET", path_regex="%s/replicationOperationStatus/" % vault)
    faults(kind="lro_fail", count=1, method="POST", path_regex=mine + ITEM % "vm-app-lnx01/unplannedFailover$", code="FaultMatrixFailoverFailed",
           message="The failover of vm-app-lnx01 could not start the virtual machine (fault matrix).")
    done = run("lifecycle", ["enable", "wait", "test", "cleanup", "failover", "commit"])
    assert_ok(done)
    result = read(tmp_path, "lifecycle")
    enabled = by_item(result["enabled"])
    assert enabled["vm-app-lnx01"]["changed"] and not enabled["vm-app-lnx01"].get("failed"), enabled["vm-app-lnx01"]
    assert not enabled["vm-app-win01"]["changed"]
    assert [r["path"] for r in reached(admin, mark, "PUT", ITEM % "")] == [r["path"] for r in reached(admin, mark, "PUT", ITEM % "vm-app-lnx01$")]
    assert len(reached(admin, mark, "PUT", ITEM % "vm-app-lnx01$")) == 1
    for step in ("test", "cleanup"):
        assert all(r["changed"] and not r.get("failed") for r in by_item(result[step]).values()), result[step]
    failed_over, committed = by_item(result["failover"]), by_item(result["commit"])
    assert failed_over["vm-app-win01"]["changed"] and not failed_over["vm-app-win01"].get("failed"), failed_over["vm-app-win01"]
    assert committed["vm-app-win01"]["machine"]["phase"] == "committed", committed["vm-app-win01"]
    assert spent(admin, faults.rules) == [], "every fault was met"
    lnx = failed_over["vm-app-lnx01"]
    assert lnx["failed"] and lnx["error"]["code"] == "FaultMatrixFailoverFailed", lnx
    job_id = lnx["error"]["job_id"]
    for text in ("FaultMatrixFailoverFailed", "could not start the virtual machine", "job id %s" % job_id):
        assert text in lnx["msg"], lnx["msg"]
    assert "has not failed over" in committed["vm-app-lnx01"]["msg"]
    for name in NAMES:
        for action in ("testFailover", "testFailoverCleanup", "unplannedFailover"):
            assert len(reached(admin, mark, "POST", ITEM % name + "/%s$" % action)) == 1, (name, action)
    assert len(reached(admin, mark, "POST", commit)) == 1
    assert reached(admin, mark, "POST", ITEM % "vm-app-lnx01/failoverCommit$") == []

    # 3. The re-run fails vm-app-lnx01 over and commits it, then completes the migration of both; the connection
    #    drops on the complete-migration POST of vm-app-win01, which azure-core does not retry.
    mark = last_request_id(admin)
    faults(kind="drop", count=1, method="POST", path_regex=mine + ITEM % "vm-app-win01/remove$")
    done = run("finish", ["failover", "commit", "migrate"])
    assert_ok(done)
    assert spent(admin, faults.rules) == [], "every fault was met"
    assert len(reached(admin, mark, "POST", ITEM % "vm-app-win01/remove$")) == 1
    result = read(tmp_path, "finish")
    failed_over = by_item(result["failover"])
    assert failed_over["vm-app-lnx01"]["changed"] and not failed_over["vm-app-lnx01"].get("failed"), failed_over["vm-app-lnx01"]
    assert not failed_over["vm-app-win01"]["changed"]
    assert all(not r.get("failed") for step in ("commit", "migrate") for r in by_item(result[step]).values())
    assert [m["phase"] for m in result["status"]["machines"]] == ["migrated", "migrated"]
    sent = [r["path"].split("/")[-2:] for r in reached(admin, mark, "POST", ITEM % "")]
    assert [s for s in sent if s[1] in ("unplannedFailover", "failoverCommit")] == [
        ["vm-app-lnx01", "unplannedFailover"], ["vm-app-lnx01", "failoverCommit"]], sent

    # Nothing left behind and nothing twice: one target VM per machine, no test VM, no replication.
    public = compute(simulator, "public")
    assert sorted(vm.name for vm in public.virtual_machines.list(target_rg)) == NAMES
    assert list(asr_client(simulator).replication_protected_items.list("rg-landing-eastus", vault)) == []


def test_tokens_expiring_every_two_seconds_and_a_simulator_restart_mid_task_are_survived(tmp_path_factory, tmp_path):
    """A simulator of its own (restarting the session's would disturb the tests after this one) where tokens live two
    seconds and initial replication of vm-app-win01 (383 GB, enabled last) takes about 20 s. Its enable task waits for
    it (wait_for=protected), and the simulator is stopped and started again on the same state (same ports, same
    identities) while that task waits."""
    from azsim import testing

    vault = "rsv-faults-restart"
    win01 = ITEM % "vm-app-win01"
    state = str(tmp_path_factory.mktemp("azsim-restart"))
    endpoints = testing.start(state, time_factor=0.004, token_lifetime=2, seed=SEED)
    admin = testing.AdminClient(endpoints)
    try:
        data = {"work_dir": str(tmp_path), "sim_state_dir": state, "sim_pythonpath": str(ROOT / "tests" / "simulator"),
                "target_rg": "rg-landing-eastus", "vault": vault, "run_label": "restart", "enable_wait_for": "protected"}
        cmd, env = Runner(endpoints, tmp_path).command("faults.yml", data)
        with open(tmp_path / "restart.log", "w", encoding="utf-8") as out:
            proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                assert testing.wait_until(lambda: reached(admin, 0, "PUT", win01 + "$"), timeout=240, interval=0.1), "no enable"
                time.sleep(1)  # the task is waiting for initial replication now
                stopped_at = time.time()
                testing.stop(state)
                time.sleep(1)
                restarted = testing.start(state, time_factor=None, token_lifetime=2)
                restarted_at = time.time()
                assert restarted["clouds"]["public"]["resource_manager"] == endpoints["clouds"]["public"]["resource_manager"]
                proc.wait(timeout=300)
            finally:
                if proc.poll() is None:
                    proc.kill()
        assert proc.returncode == 0, (tmp_path / "restart.log").read_text()[-6000:]
        result = read(tmp_path, "restart")
        log = testing.AdminClient(restarted).requests(limit=100000)
    finally:
        testing.stop(state)

    # Both machines enabled once and protected; the enable task of vm-app-win01 polled before the restart and after it.
    assert all(r["changed"] and not r.get("failed") for r in by_item(result["enabled"]).values()), result["enabled"]
    assert result["wave"]["counts"]["ready"] == 2, result["wave"]
    for name in NAMES:
        puts = [r for r in log if r["method"] == "PUT" and r["path"].endswith(ITEM % name) and r["status"] and r["status"] < 400]
        assert len(puts) == 1, (name, puts)
    assert not [r for r in log if r["method"] in WRITE_METHODS and r["status"] == 409], "a write was sent twice"
    put = [r for r in log if r["method"] == "PUT" and r["path"].endswith(win01)][0]
    wave_list = [r for r in log if r["method"] == "GET" and r["path"].endswith("/vaults/%s/replicationProtectedItems" % vault)]
    task = [r for r in log if put["id"] <= r["id"] < wave_list[0]["id"] and r["port"] != "admin"]  # the task's requests
    polls = [r for r in task if r["method"] == "GET" and r["path"].endswith(win01)]
    assert [r for r in polls if r["ts"] < stopped_at] and [r for r in polls if r["ts"] > restarted_at], polls

    # The tokens: none was used after it expired, and that one task renewed its own as they expired, the simulator's
    # downtime included.
    assert not [r for r in log if r["status"] == 401], "a request went out with an expired token"
    assert polls[-1]["ts"] - put["ts"] > 3 * 2, "the task should outlive several tokens"
    renewed = [r for r in task if r["port"] == "login" and r["status"] == 200 and r["ts"] > restarted_at]
    assert len(renewed) >= 2, len(renewed)
