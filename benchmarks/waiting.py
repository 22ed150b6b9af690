"""Benchmark: ARM reads made while the replicate phase waits for a wave's initial replication.

A simulator is seeded with N source VMs (default 100, each with one 128 GB disk) and prepared at time factor 0
(prepare, the appliance's steps: as benchmarks/scale.py does). Then the time factor is set so that initial replication
lasts about --ir-minutes (default 4: 1800 real seconds per 128 GB x factor), and the wave is replicated as a user does:

    ansible-playbook azmove.site_recovery.replicate -i bench.azure_vms.yml -e @move.yml -l wave_bench

with move_poll_interval as given (default 60, the playbook's default). The replicate role waits for the whole batch
with one task (replication_wait: one list of the vault's replicated items per poll). From the simulator's request log,
the requests made between that task's start and end (the callback of scale.py times each task) are counted by kind,
and the ARM reads expressed per machine per hour of waiting. The poll spacing is a real-time interval, so the rate does
not depend on the time factor: a real 30-minute initial replication polled every 60 s makes the same reads per hour.

Usage (after `make collection`):
    python benchmarks/waiting.py [--machines 100] [--ir-minutes 4] [--poll-interval 60] [--forks 5] [--json FILE]
"""

import argparse
import json
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402  (benchmarks/scale.py: the fleet, the simulator, the measured runs)

IR_SECONDS_PER_128GB = 1800  # the simulator's figure (tests/simulator/azsim/providers/siterecovery_items.py)
DISK_GB = 128
WAIT_TASK = "Wait for the batch's initial replication"
PER_MACHINE_POLL_SECONDS = 30  # the comparison: each machine read on its own every 30 s


def window_rows(rows, start, end):
    return [r for r in rows if start <= r["ts"] <= end and r.get("port") != "admin"]


def run(n, ir_minutes, poll_interval, forks, keep):
    factor = ir_minutes * 60.0 / (IR_SECONDS_PER_128GB * DISK_GB / 128.0)
    workdir = scale.BENCH / ("waiting-%d" % n)
    seed = scale.fleet_seed(n, os_disk_gb=DISK_GB)
    out = dict(machines=n, ir_minutes_target=ir_minutes, time_factor=factor, poll_interval=poll_interval, forks=forks)
    with scale.Simulator(workdir / "sim", seed, time_factor=0) as sim:
        inventory, move_path = scale.write_files(sim, workdir, poll_interval, {"move_prepare_hosts": False})
        errors = []

        def appliance():
            try:
                scale.demo_fleet.play_appliance(str(sim.state_dir), scale.VAULT, scale.VAULT_RG, scale.APPLIANCE,
                                                server_list=scale.servers(seed), timeout=900)
            except Exception as exc:  # reported after prepare
                errors.append(repr(exc))

        thread = threading.Thread(target=appliance, daemon=True)
        thread.start()
        print("== N=%d: prepare at time factor 0" % n, flush=True)
        prep = scale.run_phase(sim, workdir, inventory, move_path, "prepare", forks, limit=None)
        thread.join()
        if errors:
            raise SystemExit("appliance steps failed: %s" % errors)
        out["prepare_wall"] = prep["wall"]
        sim.admin.set_time_factor(factor)
        print("== replicate at time factor %.4f (initial replication ~%.1f min), move_poll_interval %g"
              % (factor, ir_minutes, poll_interval), flush=True)
        res = scale.run_phase(sim, workdir, inventory, move_path, "replicate", forks)
        sim.admin.set_time_factor(0)
        rows = res.pop("_rows")
        hosts = [h for h in res["recap"] if h != "localhost"]
        if len(hosts) != n or any(c.get("failed") for c in res["recap"].values()):
            raise SystemExit("replicate: expected %d machines, all ok; recap: %s" % (n, res["recap"]))
        task = next(t for t in res["tasks"]["tasks"] if WAIT_TASK in t["task"])
        start, end = task["start"], task["end"]
        waited = end - start
        inside = window_rows(rows, start, end)
        kinds = scale.request_kinds(inside)
        arm_reads = sum(1 for r in inside if r["port"] == "arm" and r["method"] == "GET")
        vault_lists = [r for r in inside if r["method"] == "GET" and r["port"] == "arm"
                       and r["path"].split("?")[0].endswith("/replicationProtectedItems")]
        gaps = [b["ts"] - a["ts"] for a, b in zip(vault_lists, vault_lists[1:])]
        log = (workdir / "replicate.log").read_text(encoding="utf-8", errors="replace")
        progress = [line for line in log.splitlines() if re.match(r"^\[[^]]+\] \d+m\d\ds: \d+ ready, ", line)]
        hours = waited / 3600.0
        out.update(
            replicate_wall=res["wall"], replicate_cpu=res["cpu"], wait_seconds=waited,
            enable_seconds=start - res["started"],
            requests_in_wait=kinds, arm_reads_in_wait=arm_reads, vault_list_reads=len(vault_lists),
            poll_gaps_seconds=[round(g, 1) for g in gaps], progress_lines=len(progress),
            last_progress=progress[-1][:300] if progress else None,
            login_requests_in_wait=sum(1 for r in inside if r["port"] == "login"),
            arm_reads_per_machine_hour=arm_reads / n / hours if hours else None,
            vault_list_reads_per_machine_hour=len(vault_lists) / n / hours if hours else None,
            per_machine_poll_reference=3600.0 / PER_MACHINE_POLL_SECONDS,
            all_requests_replicate=res["requests"], tasks=scale.profile({"phases": {"replicate": res},
                                                                         "prepare": prep}, n)["replicate"]["tasks"])
        print("   waited %.0f s (%d polls, vault lists %d, gaps %s): %d ARM reads = %.2f per machine per hour"
              % (waited, len(progress), len(vault_lists), out["poll_gaps_seconds"], arm_reads,
                 out["arm_reads_per_machine_hour"] or 0), flush=True)
    if not keep:
        shutil.rmtree(workdir / "sim", ignore_errors=True)  # endpoints.json holds the simulator's secrets
        for name in ("move.yml", "bench.azure_vms.yml"):
            (workdir / name).unlink(missing_ok=True)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--machines", type=int, default=100, help="machines in the wave (default 100)")
    parser.add_argument("--ir-minutes", type=float, default=4, help="initial replication lasts about this (default 4)")
    parser.add_argument("--poll-interval", type=float, default=60, help="move_poll_interval (default 60, the playbook's)")
    parser.add_argument("--forks", type=int, default=5, help="ansible forks (default 5)")
    parser.add_argument("--json", default=str(scale.BENCH / "waiting.json"), help="where the figures go")
    parser.add_argument("--keep", action="store_true", help="keep the simulator state and the move's files (secrets)")
    args = parser.parse_args(argv)
    if not scale.PY.exists() or not (scale.COLLECTIONS / "ansible_collections" / "azmove" / "site_recovery").exists():
        raise SystemExit("run `make collection` first")
    given = list(sys.argv[1:] if argv is None else argv)
    data = dict(command=" ".join([".venv/bin/python", os.path.relpath(__file__, scale.ROOT)] + given),
                started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), machine=scale.machine(), versions=scale.versions())
    data["result"] = run(args.machines, args.ir_minutes, args.poll_interval, args.forks, args.keep)
    data["machine"]["loadavg_at_end"] = os.getloadavg()
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")
    r = data["result"]
    print("\nWhile waiting %.1f min for %d machines: %d ARM reads (%d vault-wide lists), %.2f ARM reads per machine per"
          " hour (goal <= 2; a per-machine poll every %d s: %.0f)" % (
              r["wait_seconds"] / 60, r["machines"], r["arm_reads_in_wait"], r["vault_list_reads"],
              r["arm_reads_per_machine_hour"], PER_MACHINE_POLL_SECONDS, r["per_machine_poll_reference"]))
    print("Full figures: %s" % args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
