"""Benchmark: ARM reads made while a wave waits for hours of initial replication.

For each wave size (default 20 and 100 machines, each with one 128 GB disk), a simulator is seeded and prepared at time
factor 0 (prepare, the appliance's steps: as benchmarks/scale.py does). The wave is then replicated as a user does, up
to its enable jobs:

    ansible-playbook azmove.site_recovery.replicate -i bench.azure_vms.yml -e @move.yml -l wave_bench \
        -e replicate_wait_until=enabled

and waited for with the task the replicate role runs (replication_wait, one module process for the whole wait), in a
playbook of one task. Initial replication lasts --ir-hours (default 4) of Azure time, compressed --compress times
(default 60: 4 hours in 4 real minutes): the simulator's time factor runs the copy that much faster, and the wait's
poll_interval (60 s) and max_poll_interval (1800 s) are divided by the same figure, so the wait polls exactly as often
per hour of initial replication as it would at full length (its pace is a fraction of the time Azure's figures say is
left, between those two bounds). The requests the simulator logged between the task's start and end are counted by
kind, and the ARM reads expressed per machine per hour of (uncompressed) waiting.

Usage (after `make collection`):
    python benchmarks/waiting.py [--machines 20,100] [--ir-hours 4] [--compress 60] [--poll-interval 60]
                                 [--max-poll-interval 1800] [--forks 5] [--json FILE]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
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
GOALS = {20: 2.0, 100: 0.5}  # issue 20: ARM reads per machine-hour of waiting
PROGRESS_LINE = re.compile(r"^\[[^]]+\] (\d+h)?\d+m\d\ds: \d+ ready, ")

WAIT_PLAY = """---
- name: Wait for the wave's initial replication, as the replicate role does
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/azmove.site_recovery.azure:
      connections: "{{ move_connections }}"
  tasks:
    - name: Wait for the batch's initial replication
      azmove.site_recovery.replication_wait:
        use_connection: target
        resource_group: "{{ move_vault_resource_group }}"
        vault: "{{ move_vault }}"
        machines: "{{ bench_machines }}"
        poll_interval: "{{ bench_poll_interval }}"
        max_poll_interval: "{{ bench_max_poll_interval }}"
        timeout: "{{ bench_timeout }}"
      register: bench_wait

    - name: The wait's result
      ansible.builtin.copy:
        dest: "{{ bench_result }}"
        content: "{{ bench_wait | to_json }}"
        mode: "0600"
"""


def window_rows(rows, start, end):
    return [r for r in rows if start <= r["ts"] <= end and r.get("port") != "admin"]


def run_wait(sim, workdir, move_path, names, poll_interval, max_poll_interval, timeout):
    """The wait task alone, timed by scale.py's callback; returns its start, end, log, result and the requests."""
    play = workdir / "wait.yml"
    play.write_text(WAIT_PLAY, encoding="utf-8")
    tasks_json, result_path, log_path = workdir / "wait.tasks.json", workdir / "wait.result.json", workdir / "wait.log"
    extra = {"bench_machines": names, "bench_poll_interval": poll_interval, "bench_max_poll_interval": max_poll_interval,
             "bench_timeout": int(timeout), "bench_result": str(result_path)}
    cmd = [str(scale.ROOT / ".venv" / "bin" / "ansible-playbook"), str(play), "-i", "localhost,", "-c", "local",
           "-e", "@%s" % move_path, "-e", json.dumps(extra)]
    mark = sim.last_request_id()
    with open(log_path, "wb") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(workdir),
                            env=scale.ansible_env(tasks_json, 1), check=False).returncode
    text = log_path.read_text(encoding="utf-8", errors="replace")
    if rc != 0:
        raise SystemExit("the wait failed (rc %d); see %s:\n%s" % (rc, log_path, text[-4000:]))
    task = next(t for t in json.loads(tasks_json.read_text(encoding="utf-8"))["tasks"] if t["task"] == WAIT_TASK)
    return task["start"], task["end"], text, json.loads(result_path.read_text(encoding="utf-8")), sim.requests_since(mark)


def run(n, ir_hours, compress, poll_interval, max_poll_interval, forks, keep):
    ir_real = ir_hours * 3600.0 / compress
    factor = ir_real / (IR_SECONDS_PER_128GB * DISK_GB / 128.0)
    workdir = scale.BENCH / ("waiting-%d" % n)
    seed = scale.fleet_seed(n, os_disk_gb=DISK_GB)
    out = dict(machines=n, ir_hours=ir_hours, compress=compress, time_factor=factor, poll_interval=poll_interval,
               max_poll_interval=max_poll_interval, forks=forks)
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
        print("== replicate (enable) at time factor %.4f: %g h of initial replication in %.1f real minutes"
              % (factor, ir_hours, ir_real / 60), flush=True)
        res = scale.run_phase(sim, workdir, inventory, move_path, "replicate", forks, extra=("-e", "replicate_wait_until=enabled"))
        hosts = sorted(h for h in res["recap"] if h != "localhost")
        if len(hosts) != n or any(c.get("failed") for c in res["recap"].values()):
            raise SystemExit("replicate: expected %d machines, all ok; recap: %s" % (n, res["recap"]))
        print("== wait: poll_interval %g s, max_poll_interval %g s (%g and %g at full length)"
              % (poll_interval / compress, max_poll_interval / compress, poll_interval, max_poll_interval), flush=True)
        start, end, log, result, rows = run_wait(sim, workdir, move_path, hosts, poll_interval / compress,
                                                 max_poll_interval / compress, 3 * ir_real + 600)
        sim.admin.set_time_factor(0)
        if result.get("counts", {}).get("ready") != n:
            raise SystemExit("the wait ended with %s" % result.get("counts"))
        inside = window_rows(rows, start, end)
        kinds = scale.request_kinds(inside)
        arm_reads = sum(1 for r in inside if r["port"] == "arm" and r["method"] == "GET")
        vault_lists = [r for r in inside if r["method"] == "GET" and r["port"] == "arm"
                       and r["path"].split("?")[0].endswith("/replicationProtectedItems")]
        gaps = [(b["ts"] - a["ts"]) * compress for a, b in zip(vault_lists, vault_lists[1:])]
        progress = [line for line in log.splitlines() if PROGRESS_LINE.match(line)]
        waited = (end - start) * compress  # seconds of waiting at full length
        hours = waited / 3600.0
        out.update(
            replicate_enable_wall=res["wall"], replicate_enable_cpu=res["cpu"], wait_seconds_full_length=waited,
            wait_seconds_real=end - start, requests_in_wait=kinds, arm_reads_in_wait=arm_reads,
            vault_list_reads=len(vault_lists), polls=result.get("polls"),
            poll_gaps_seconds_full_length=[round(g) for g in gaps], progress_lines=len(progress),
            progress_sample=[line[:300] for line in progress[:3] + progress[-2:]],
            login_requests_in_wait=sum(1 for r in inside if r["port"] == "login"),
            metadata_reads_in_wait=sum(v for k, v in kinds.items() if k.endswith("GET metadata/endpoints")),
            arm_reads_per_machine_hour=arm_reads / n / hours if hours else None,
            goal=GOALS.get(n),
            per_machine_poll_reference=3600.0 / PER_MACHINE_POLL_SECONDS)
        print("   waited %.2f h at full length (%.1f real min): %d polls, %d ARM reads (%d vault lists), %d logins,"
              " gaps %s s: %.3f ARM reads per machine-hour (goal %s)"
              % (hours, (end - start) / 60, result.get("polls") or 0, arm_reads, len(vault_lists),
                 out["login_requests_in_wait"], out["poll_gaps_seconds_full_length"], out["arm_reads_per_machine_hour"] or 0,
                 GOALS.get(n, "-")), flush=True)
    if not keep:
        shutil.rmtree(workdir / "sim", ignore_errors=True)  # endpoints.json holds the simulator's secrets
        for name in ("move.yml", "bench.azure_vms.yml"):
            (workdir / name).unlink(missing_ok=True)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--machines", default="20,100", help="wave sizes, comma-separated (default 20,100)")
    parser.add_argument("--ir-hours", type=float, default=4, help="initial replication lasts about this (default 4)")
    parser.add_argument("--compress", type=float, default=60, help="time runs this much faster (default 60)")
    parser.add_argument("--poll-interval", type=float, default=60, help="poll_interval at full length (default 60)")
    parser.add_argument("--max-poll-interval", type=float, default=1800, help="max_poll_interval at full length (default 1800)")
    parser.add_argument("--forks", type=int, default=5, help="ansible forks (default 5)")
    parser.add_argument("--json", default=str(scale.BENCH / "waiting.json"), help="where the figures go")
    parser.add_argument("--keep", action="store_true", help="keep the simulator state and the move's files (secrets)")
    args = parser.parse_args(argv)
    if not scale.PY.exists() or not (scale.COLLECTIONS / "ansible_collections" / "azmove" / "site_recovery").exists():
        raise SystemExit("run `make collection` first")
    given = list(sys.argv[1:] if argv is None else argv)
    data = dict(command=" ".join([".venv/bin/python", os.path.relpath(__file__, scale.ROOT)] + given),
                started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), machine=scale.machine(), versions=scale.versions(),
                results=[])
    for n in [int(x) for x in args.machines.split(",") if x.strip()]:
        data["results"].append(run(n, args.ir_hours, args.compress, args.poll_interval, args.max_poll_interval, args.forks,
                                   args.keep))
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")  # written after each wave
    data["machine"]["loadavg_at_end"] = os.getloadavg()
    Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")
    print()
    failed = False
    for r in data["results"]:
        met = r["goal"] is None or r["arm_reads_per_machine_hour"] <= r["goal"]
        failed = failed or not met
        print("%d machines, %.1f h of initial replication: %d polls, %d ARM reads, %.3f ARM reads per machine-hour (goal <= %s: %s;"
              " a per-machine poll every %d s: %.0f)" % (
                  r["machines"], r["wait_seconds_full_length"] / 3600, r["polls"] or 0, r["arm_reads_in_wait"],
                  r["arm_reads_per_machine_hour"], r["goal"], "met" if met else "NOT met", PER_MACHINE_POLL_SECONDS,
                  r["per_machine_poll_reference"]))
    print("Full figures: %s" % args.json)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
