"""The heavier fault variant (`make faults-heavy`; not part of `make test`, where tests/integration/test_faults.py
holds the sized-down matrix): a whole wave taken through replicate, test and cutover with the collection's
playbooks while, in every phase, the cloud throttles, fails and drops seeded random requests and the simulator is
stopped and started again at a seeded random moment of the run. A phase whose run fails is run again, as a user
would, at most three times.

The end state must be an uninterrupted run's: every machine migrated, one target VM per machine and no test VM,
no replication left, and every action reached Azure exactly once per machine (one enable PUT, one test failover,
one cleanup, one failover, one commit, one complete migration).

    AZMOVE_HEAVY_MACHINES   machines in the wave (default 20)
    AZMOVE_HEAVY_SEED       the seed of the faults and restart moments (default: a new one, printed)
    AZMOVE_HEAVY_RESTARTS   simulator restarts per phase run (default 1)
"""

import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))

import scale  # noqa: E402  (benchmarks/scale.py: the fleet, its files and the simulator of the scale benchmark)
from azsim import testing  # noqa: E402
from simhelpers import asr_client, client_kwargs, credential  # noqa: E402

MACHINES = int(os.environ.get("AZMOVE_HEAVY_MACHINES", "20"))
SEED = int(os.environ.get("AZMOVE_HEAVY_SEED") or random.SystemRandom().randrange(1, 10 ** 6))
RESTARTS = int(os.environ.get("AZMOVE_HEAVY_RESTARTS", "1"))
ITEMS = r"/replicationProtectedItems/([^/]+)"
# The writes each phase makes once per machine, as (method, path regex with the item name as group 1).
ONCE = {
    "replicate": [("PUT", ITEMS + "$")],
    "test": [("POST", ITEMS + "/testFailover$"), ("POST", ITEMS + "/testFailoverCleanup$")],
    "cutover": [("POST", ITEMS + "/unplannedFailover$"), ("POST", ITEMS + "/failoverCommit$"), ("POST", ITEMS + "/remove$")],
}


def faults_for(rng, phase, names):
    """Seeded random faults for one phase: bursts on the phase's own writes and on the reads every step makes."""
    rules = []
    for method, pattern in ONCE[phase]:
        for name in rng.sample(names, k=max(1, len(names) // 4)):
            path = pattern.replace("([^/]+)", re.escape(name))
            kind = rng.choice(["429", "503", "drop"])
            if kind == "429":
                rules.append(dict(kind="status", status=429, retry_after=0.3, count=rng.randint(1, 3), method=method, path_regex=path))
            elif kind == "503":
                rules.append(dict(kind="status", status=503, count=rng.randint(1, 2), method=method, path_regex=path))
            else:
                rules.append(dict(kind="drop", count=1, method=method, path_regex=path))
    rules += [
        dict(kind="status", status=503, count=rng.randint(2, 6), method="GET", path_regex="/replicationOperationStatus/"),
        dict(kind="status", status=429, retry_after=0.5, count=rng.randint(1, 4), method="GET", path_regex="/replicationProtectedItems$"),
        dict(kind="drop", count=rng.randint(1, 3), method="GET", path_regex="/replicationJobs/"),
        dict(kind="status", status=500, count=rng.randint(1, 2), method="GET", path_regex="/virtualMachines/[^/]+$"),
    ]
    for rule in rules:
        rule.setdefault("cloud", "public")
    return rules


def compute(ep, cloud):
    from azure.mgmt.compute import ComputeManagementClient  # pylint: disable=import-outside-toplevel

    return ComputeManagementClient(credential(ep, cloud), ep["clouds"][cloud]["subscription_id"], **client_kwargs(ep, cloud))


def restart(sim):
    testing.stop(str(sim.state_dir))
    time.sleep(0.5)
    endpoints = testing.start(str(sim.state_dir), time_factor=None, python=str(scale.PY), timeout=120)
    assert endpoints["clouds"]["public"]["resource_manager"] == sim.endpoints["clouds"]["public"]["resource_manager"]
    sim.admin = testing.AdminClient(endpoints)


def run_phase(sim, workdir, inventory, move_path, phase, rng, attempt):
    """One ansible-playbook run of the wave, with the simulator restarted at seeded moments while it runs."""
    cmd = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "azmove.site_recovery." + phase, "-i", str(inventory),
           "-e", "@%s" % move_path, "-l", scale.WAVE_GROUP]
    env = scale.ansible_env(workdir / ("%s-%d.tasks.json" % (phase, attempt)), 5)
    log = workdir / ("%s-%d.log" % (phase, attempt))
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=str(workdir), start_new_session=True)
        restarts = []
        for _unused in range(RESTARTS):
            delay = rng.uniform(2, 12)
            try:
                proc.wait(timeout=delay)
                break
            except subprocess.TimeoutExpired:
                restart(sim)
                restarts.append(round(delay, 1))
        proc.wait(timeout=1800)
    print("   %s run %d: rc %d, simulator restarted after %s s" % (phase, attempt, proc.returncode, restarts or "no"), flush=True)
    return proc.returncode, log


def test_a_wave_moves_through_bursts_and_restarts_in_every_phase_exactly_once(tmp_path):
    print("\nAZMOVE_HEAVY_SEED=%d AZMOVE_HEAVY_MACHINES=%d AZMOVE_HEAVY_RESTARTS=%d" % (SEED, MACHINES, RESTARTS), flush=True)
    rng = random.Random(SEED)
    seed = scale.fleet_seed(MACHINES)
    names = [vm["name"] for vm in seed["gov"]["virtual_machines"]]
    with scale.Simulator(tmp_path / "sim", seed) as sim:
        inventory, move_path = scale.write_files(sim, tmp_path, 1, {"move_prepare_hosts": False})
        errors = []

        def appliance():
            try:
                scale.demo_fleet.play_appliance(str(sim.state_dir), scale.VAULT, scale.VAULT_RG, scale.APPLIANCE,
                                                server_list=scale.servers(seed), timeout=900)
            except Exception as exc:  # pylint: disable=broad-except  # reported below
                errors.append(repr(exc))

        thread = threading.Thread(target=appliance, daemon=True)
        thread.start()
        prepared = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "azmove.site_recovery.prepare",
                                   "-i", str(inventory), "-e", "@%s" % move_path], env=scale.ansible_env(tmp_path / "prepare.json", 5),
                                  cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        thread.join()
        assert prepared.returncode == 0 and not errors, (errors, prepared.stdout[-4000:])
        mark = sim.last_request_id()

        for phase in scale.PHASES:
            rules = [sim.admin.add_fault(**rule) for rule in faults_for(rng, phase, names)]
            for attempt in (1, 2, 3):
                rc, log = run_phase(sim, tmp_path, inventory, move_path, phase, rng, attempt)
                if rc == 0:
                    break
            else:
                pytest.fail("%s failed three times; the last run's end:\n%s" % (phase, log.read_text(errors="replace")[-6000:]))
            sim.admin.clear_faults()
            assert rules

        rows = [r for r in sim.admin.requests(since=mark, limit=10000000)
                if not r["fault"] and r["status"] is not None and r["status"] < 400]
        for phase, writes in ONCE.items():
            for method, pattern in writes:
                counts = {}
                for row in rows:
                    found = re.search(pattern, row["path"], re.IGNORECASE) if row["method"] == method else None
                    if found:
                        counts[found.group(1)] = counts.get(found.group(1), 0) + 1
                wrong = {name: counts.get(name, 0) for name in names if counts.get(name, 0) != 1}
                assert not wrong, "%s %s did not reach Azure exactly once per machine: %s" % (method, pattern, wrong)

        public = compute(sim.endpoints, "public")
        target = sorted(vm.name for vm in public.virtual_machines.list("rg-landing-eastus") if vm.name.startswith("vm-bench-"))
        assert target == sorted(names), "one target VM per machine, no test VM"
        assert list(asr_client(sim.endpoints).replication_protected_items.list(scale.VAULT_RG, scale.VAULT)) == [], "no replication left"
