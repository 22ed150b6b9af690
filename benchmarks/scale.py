"""Benchmark: a wave of N machines through the whole lifecycle, with the collection's own playbooks.

For each wave size N (default 10, 50 and 100) a fresh simulator (time factor 0: every Azure duration is zero) is
seeded with N source VMs in Azure Government (half Windows in snet-app, half Linux in snet-linux, distinct IPs,
tagged move-wave=bench), the appliance's own steps register them, and the wave is moved as a user moves it:

    ansible-playbook azmove.site_recovery.prepare   -i bench.azure_vms.yml -e @move.yml   (set-up, reported apart)
    ansible-playbook azmove.site_recovery.replicate -i ... -l wave_bench                  add, enable, wait protected
    ansible-playbook azmove.site_recovery.test      -i ... -l wave_bench                  test failover, cleanup
    ansible-playbook azmove.site_recovery.cutover   -i ... -l wave_bench                  failover, commit, complete migration

For every ansible-playbook run: wall time, CPU seconds of it and all its children (os.wait4: user + system of the
controller, its forks and every module process), the largest process's max RSS, the peak of the summed RSS of the
whole process tree (sampled every 0.25 s), and the ARM requests it made by kind (method + resource type) from the
simulator's request log. A small callback (written to .build/bench/callback/) records each task's wall time, the
controller's CPU (self + reaped children) between task starts and how many hosts ran it: where the cost goes.

Usage (after `make collection`):
    python benchmarks/scale.py [--machines 10,50,100] [--forks 5] [--json FILE] [--prepare-hosts]
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".build" / "bench"
PY = ROOT / ".venv" / "bin" / "python"
COLLECTIONS = ROOT / ".build" / "collections"
SIM_PATH = ROOT / "tests" / "simulator"
DEMO_SEED = SIM_PATH / "seed" / "demo.json"
sys.path.insert(0, str(SIM_PATH))
sys.path.insert(0, str(ROOT / "tests" / "demo"))

import fleet as demo_fleet  # noqa: E402  (tests/demo)
from azsim import testing as azsim_testing  # noqa: E402

WAVE_TAG = {"move-wave": "bench", "app": "bench-fleet"}
WAVE_GROUP = "wave_bench"
VAULT, VAULT_RG = "rsv-bench-scale", "rg-landing-eastus"
APPLIANCE = "asr-bench-01"
PHASES = ("replicate", "test", "cutover")
# Addresses the demo seed already uses in the two source subnets (appliance, load balancer frontend).
TAKEN = {"10.10.1.20", "10.10.1.100"}
SUBNETS = {"Windows": ("snet-app", "10.10.1."), "Linux": ("snet-linux", "10.10.2.")}


# ----------------------------------------------------------------------------------------------- the fleet


def fleet_seed(n, os_disk_gb=None):
    """The demo seed's Government side (networks, NSG, route table...) with N generated VMs instead of the demo's four.

    Windows VMs go to snet-app (10.10.1.0/24), Linux ones to snet-linux (10.10.2.0/24): a /24 holds 251 usable
    addresses here (.4-.254 less those taken), so up to about 500 machines."""
    with open(DEMO_SEED, encoding="utf-8") as fh:
        seed = json.load(fh)
    gov = seed["gov"]
    gov.pop("backup_vaults", None)  # its protected items name the demo's VMs
    free = {os_type: [prefix + str(i) for i in range(4, 255) if prefix + str(i) not in TAKEN]
            for os_type, (_subnet, prefix) in SUBNETS.items()}
    vms = []
    for i in range(n):
        os_type = "Windows" if i % 2 == 0 else "Linux"
        if not free[os_type]:
            raise SystemExit("too many machines for the two /24 source subnets: at most %d"
                             % (2 * min(len(v) for v in free.values())))
        ip = free[os_type].pop(0)
        # the guest's computer name differs from the VM name, as on real machines (Windows: upper case, <= 15)
        computer = ("BENCHWIN%03d" if os_type == "Windows" else "bench-lnx%03d") % i
        vm = {"name": "vm-bench-%03d" % i, "computer_name": computer, "location": "usgovvirginia", "private_ip": ip,
              "power_state": "running",
              "vnet": "vnet-app-gov", "subnet": SUBNETS[os_type][0], "tags": dict(WAVE_TAG, role="bench-%d" % (i % 4))}
        if os_type == "Windows":
            vm.update(resource_group="rg-app-gov", size="Standard_D2s_v3", os_type="Windows", os_name="Windows Server 2019",
                      os_disk_size_gb=os_disk_gb or 127, host={"local_account_token_filter_policy": 1})
        else:
            vm.update(resource_group="rg-linux-gov", vnet_resource_group="rg-app-gov", size="Standard_B2ms", os_type="Linux",
                      os_name="Ubuntu 20.04", os_disk_size_gb=os_disk_gb or 30, host={})
        vms.append(vm)
    gov["virtual_machines"] = vms
    return seed


def servers(seed):
    """(IP, credential) of each VM, as the appliance's configuration manager gets them."""
    return [(vm["private_ip"], demo_fleet.CREDENTIAL_OF_OS[vm["os_type"]]) for vm in seed["gov"]["virtual_machines"]]


class Simulator:
    def __init__(self, state_dir, seed, time_factor=0):
        self.state_dir = Path(state_dir)
        self.seed, self.time_factor = seed, time_factor

    def __enter__(self):
        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.state_dir.mkdir(parents=True)
        os.chmod(self.state_dir, 0o700)
        seed_path = self.state_dir / "seed.json"
        seed_path.write_text(json.dumps(self.seed, indent=1), encoding="utf-8")
        self.endpoints = azsim_testing.start(str(self.state_dir), time_factor=self.time_factor, seed=str(seed_path),
                                             python=str(PY), timeout=120)
        self.admin = azsim_testing.AdminClient(self.endpoints)
        # The target subscription's vCPU quota raised for the wave, as a user asks before a big move (the simulator
        # gives 100 vCPUs per family and in total; prepare's prerequisites check refuses a wave that needs more).
        vcpus = 2 * len(self.seed["gov"]["virtual_machines"])
        if vcpus > 100:
            public = self.endpoints["clouds"]["public"]["default_location"]
            for usage in ("cores", "standardDSv3Family", "standardBSFamily"):
                self.admin.set_quota("public", public, usage, vcpus)
        return self

    def __exit__(self, *exc):
        azsim_testing.stop(str(self.state_dir))

    def last_request_id(self):
        rows = self.admin.requests(since=0, limit=10000000)
        return rows[-1]["id"] if rows else 0

    def requests_since(self, since):
        return self.admin.requests(since=since, limit=10000000)

    def pid(self):
        return self.admin.health().get("pid")


def write_files(sim, workdir, poll_interval, extra_vars=None):
    """The azure_vms inventory of the wave and the move's variables (files of mode 0600)."""
    old = os.umask(0o077)
    try:
        inventory = workdir / "bench.azure_vms.yml"
        inventory.write_text(yaml.safe_dump(demo_fleet.inventory(sim.endpoints, tags={"move-wave": "bench"}), sort_keys=False))
        move = demo_fleet.move_variables(
            sim.endpoints, workdir / "reports", os.urandom(12).hex() + "Aa1!", move_vault=VAULT,
            move_vault_resource_group=VAULT_RG, move_source_server=APPLIANCE, move_source_server_timeout=600,
            move_poll_interval=poll_interval, **(extra_vars or {}))
        move_path = workdir / "move.yml"
        move_path.write_text(yaml.safe_dump(move, sort_keys=False))
    finally:
        os.umask(old)
    return inventory, move_path


# ----------------------------------------------------------------------------------------------- measuring a run

CALLBACK = '''
"""Per-task wall time, controller CPU (self + reaped children) and host count; written for benchmarks/scale.py."""
import json, os, resource, time
from ansible.plugins.callback import CallbackBase


def _cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.rows, self.cur = [], None
        self.t0, self.c0 = time.time(), _cpu()

    def _close(self):
        if self.cur is not None:
            self.cur["end"], self.cur["cpu_end"] = time.time(), _cpu()
            self.rows.append(self.cur)
            self.cur = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        role = task._role.get_name() if task._role else ""
        self.cur = {"task": task.get_name(), "role": role, "action": task.action, "start": time.time(),
                    "cpu_start": _cpu(), "ok": 0, "changed": 0, "skipped": 0, "failed": 0}

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _count(self, key, result):
        if self.cur is not None:
            self.cur[key] += 1
            if key == "ok" and result._result.get("changed"):
                self.cur["changed"] += 1

    def v2_runner_on_ok(self, result):
        self._count("ok", result)

    def v2_runner_on_skipped(self, result):
        self._count("skipped", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count("failed", result)

    def v2_runner_on_unreachable(self, result):
        self._count("failed", result)

    def v2_playbook_on_stats(self, stats):
        self._close()
        with open(os.environ["BENCH_TASKS_JSON"], "w") as fh:
            json.dump({"start": self.t0, "cpu_start": self.c0, "end": time.time(), "cpu_end": _cpu(), "tasks": self.rows}, fh)
'''


def callback_dir():
    path = BENCH / "callback"
    path.mkdir(parents=True, exist_ok=True)
    (path / "bench_tasks.py").write_text(CALLBACK.lstrip(), encoding="utf-8")
    return path


def tree_rss(root):
    """Summed RSS (MiB) of a process and all its descendants (ansible-playbook, its forks - which start sessions of
    their own, so a process group would miss them - and the module processes)."""
    parent, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            parent[int(entry)] = int(fields[1])  # field 4 of stat: ppid
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # field 24: rss in pages
        except (OSError, IndexError, ValueError):
            continue
    total = 0
    for pid, size in rss.items():
        cur, seen = pid, 0
        while cur and cur != root and seen < 64:
            cur, seen = parent.get(cur, 0), seen + 1
        if cur == root:
            total += size
    return total / 1048576.0


def sim_cpu(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, TypeError):
        return None


def ansible_env(tasks_json, forks):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ANSIBLE_"))}
    env.pop("PYTHONPATH", None)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="0",
               ANSIBLE_PYTHON_INTERPRETER=str(PY), ANSIBLE_CALLBACK_PLUGINS=str(callback_dir()),
               ANSIBLE_CALLBACKS_ENABLED="bench_tasks", BENCH_TASKS_JSON=str(tasks_json), ANSIBLE_FORKS=str(forks))
    return env


def run_phase(sim, workdir, inventory, move_path, phase, forks, limit=WAVE_GROUP, extra=()):
    """One ansible-playbook run, measured; its log goes to workdir/<phase>.log."""
    tasks_json = workdir / ("%s.tasks.json" % phase)
    cmd = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "azmove.site_recovery." + phase, "-i", str(inventory),
           "-e", "@%s" % move_path] + (["-l", limit] if limit else []) + list(extra)
    mark = sim.last_request_id()
    sim_pid = sim.pid()
    sim_cpu0 = sim_cpu(sim_pid)
    peak = [0.0]
    log_path = workdir / ("%s.log" % phase)
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        wall_start = time.time()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=ansible_env(tasks_json, forks), cwd=str(workdir), start_new_session=True)
        stop = threading.Event()

        def sample():
            while not stop.wait(0.25):
                peak[0] = max(peak[0], tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        status, usage = os.wait4(proc.pid, 0)[1:]
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
    rc = os.waitstatus_to_exitcode(status)
    sim_cpu1 = sim_cpu(sim_pid)
    rows = sim.requests_since(mark)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    result = dict(phase=phase, rc=rc, wall=wall, started=wall_start, cpu=usage.ru_utime + usage.ru_stime,
                  user=usage.ru_utime, sys=usage.ru_stime, max_rss_largest=usage.ru_maxrss / 1024.0,
                  peak_tree_rss=peak[0], simulator_cpu=(sim_cpu1 - sim_cpu0) if sim_cpu0 is not None and sim_cpu1 is not None else None,
                  requests=request_kinds(rows), request_rows=len(rows), recap=recap(text),
                  command=" ".join(["ansible-playbook"] + cmd[1:2] + ["-i", inventory.name, "-e", "@" + move_path.name]
                                   + cmd[6:]) + ("   (ANSIBLE_FORKS=%d)" % forks))
    if tasks_json.exists():
        result["tasks"] = json.loads(tasks_json.read_text(encoding="utf-8"))
    result["_rows"] = rows
    if rc != 0:
        raise SystemExit("%s failed (rc %d); see %s:\n%s" % (phase, rc, log_path, text[-4000:]))
    return result


def recap(output):
    out = {}
    for line in output.split("PLAY RECAP")[-1].splitlines()[1:]:
        if ":" in line and "=" in line:
            host, counts = line.split(":", 1)
            out[host.strip()] = {k: int(v) for k, v in (kv.split("=") for kv in counts.split())}
    return out


def request_kind(row):
    """'GET replicationProtectedItems (list)', 'POST replicationProtectedItems/testFailover', 'login token', ..."""
    path = row["path"].split("?")[0].rstrip("/")
    if row.get("port") == "login":
        return "login token" if path.endswith("/token") else "login " + path.rsplit("/", 1)[-1]
    if "/metadata/endpoints" in path:
        return "GET metadata/endpoints"
    if "/providers/" in path:
        segs = path.rsplit("/providers/", 1)[1].split("/")[1:]  # drop the namespace: type, name, type, name...
    else:
        segs = path.strip("/").split("/")  # subscriptions/{id}/resourceGroups/{name}...
    if len(segs) % 2 == 0:
        return "%s %s" % (row["method"], segs[-2])
    if row["method"] == "GET" and segs[-1].endswith("s"):  # a collection (ARM types are plural): a list
        return "GET %s (list)" % segs[-1]
    return "%s %s/%s" % (row["method"], segs[-3] if len(segs) > 2 else "", segs[-1])  # an action or a child view


def request_kinds(rows):
    kinds = {}
    for row in rows:
        if row.get("port") == "admin":
            continue
        kind = ("%s " % row.get("cloud")) + request_kind(row) if row.get("port") != "login" else request_kind(row)
        kinds[kind] = kinds.get(kind, 0) + 1
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))


def arm_count(kinds, method=None):
    return sum(v for k, v in kinds.items() if not k.startswith("login") and (method is None or k.split()[1] == method))


# ----------------------------------------------------------------------------------------------- a wave


def run_wave(n, forks, poll_interval, prepare_hosts, keep):
    workdir = BENCH / ("scale-%d-f%d" % (n, forks))
    seed = fleet_seed(n)
    out = dict(machines=n, forks=forks, poll_interval=poll_interval, phases={})
    with Simulator(workdir / "sim", seed) as sim:
        # Without --prepare-hosts the seeded hosts are ready for the push install already (as the demo's are).
        inventory, move_path = write_files(sim, workdir, poll_interval,
                                           None if prepare_hosts else {"move_prepare_hosts": False})
        # The appliance's own steps (register, credentials, the N servers) once prepare has made the vault.
        appliance_error = []

        def appliance():
            try:
                demo_fleet.play_appliance(str(sim.state_dir), VAULT, VAULT_RG, APPLIANCE, server_list=servers(seed), timeout=900)
            except Exception as exc:  # reported after prepare
                appliance_error.append(repr(exc))

        thread = threading.Thread(target=appliance, daemon=True)
        thread.start()
        print("== N=%d, forks %d: prepare (set-up, not part of the lifecycle)" % (n, forks), flush=True)
        prep = run_phase(sim, workdir, inventory, move_path, "prepare", forks, limit=None)
        thread.join()
        if appliance_error:
            raise SystemExit("appliance steps failed: %s" % appliance_error)
        prep.pop("_rows")
        out["prepare"] = prep
        print("   prepare: %.1f s wall, %.1f s CPU" % (prep["wall"], prep["cpu"]), flush=True)
        for phase in PHASES:
            res = run_phase(sim, workdir, inventory, move_path, phase, forks)
            hosts = [h for h in res["recap"] if h != "localhost"]
            if len(hosts) != n or any(c.get("failed") or c.get("unreachable") for c in res["recap"].values()):
                raise SystemExit("%s: expected %d machines, all ok; recap: %s" % (phase, n, res["recap"]))
            res.pop("_rows")
            out["phases"][phase] = res
            print("   %-9s %6.1f s wall, %6.1f s CPU (%.2f s/machine), largest process %.0f MiB, tree peak %.0f MiB,"
                  " %d ARM requests" % (phase, res["wall"], res["cpu"], res["cpu"] / n, res["max_rss_largest"],
                                        res["peak_tree_rss"], arm_count(res["requests"])), flush=True)
        # The end state a user expects: every machine migrated, one target VM each, no test VM left.
        report = json.loads((workdir / "reports" / "wave-report.json").read_text(encoding="utf-8"))
        phases = {}
        for m in report["machines"]:
            phases[m["phase"]] = phases.get(m["phase"], 0) + 1
        out["final_phases"] = phases
        if phases != {"migrated": n}:
            raise SystemExit("the wave did not end migrated: %s" % phases)
    total = dict(wall=sum(p["wall"] for p in out["phases"].values()), cpu=sum(p["cpu"] for p in out["phases"].values()),
                 max_rss_largest=max(p["max_rss_largest"] for p in out["phases"].values()),
                 peak_tree_rss=max(p["peak_tree_rss"] for p in out["phases"].values()),
                 simulator_cpu=sum(p["simulator_cpu"] or 0 for p in out["phases"].values()))
    kinds = {}
    for p in out["phases"].values():
        for k, v in p["requests"].items():
            kinds[k] = kinds.get(k, 0) + v
    total["requests"] = dict(sorted(kinds.items(), key=lambda kv: -kv[1]))
    total["requests_per_machine"] = {k: round(v / n, 2) for k, v in total["requests"].items()}
    total["arm_per_machine"] = arm_count(kinds) / n
    total["cpu_per_machine"] = total["cpu"] / n
    out["lifecycle"] = total
    out["profile"] = profile(out, n)
    if not keep:
        shutil.rmtree(workdir / "sim", ignore_errors=True)  # endpoints.json holds the simulator's secrets
        for name in ("move.yml", "bench.azure_vms.yml"):
            (workdir / name).unlink(missing_ok=True)
    return out


def profile(out, n):
    """Per phase: each task's wall and controller CPU, how many hosts ran it; per machine the module runs."""
    prof = {}
    for phase, res in list(out["phases"].items()) + [("prepare", out["prepare"])]:
        rows = []
        for t in res.get("tasks", {}).get("tasks", []):
            runs = t["ok"] + t["failed"]
            rows.append(dict(task=t["task"], role=t["role"], action=t["action"], hosts_run=runs, skipped=t["skipped"],
                             wall=round(t["end"] - t["start"], 2), cpu=round(t["cpu_end"] - t["cpu_start"], 2)))
        info = res.get("tasks", {})
        startup_cpu = (info["tasks"][0]["cpu_start"] - info["cpu_start"]) if info.get("tasks") else None
        module_rows = [r for r in rows if r["action"].startswith("azmove.")]
        prof[phase] = dict(
            tasks=rows,
            module_runs=sum(r["hosts_run"] for r in module_rows),
            module_runs_per_machine=sum(r["hosts_run"] for r in module_rows if r["hosts_run"] > 1) / float(n),
            per_host_module_cpu=sum(r["cpu"] for r in module_rows if r["hosts_run"] > 1),
            run_once_module_cpu=sum(r["cpu"] for r in module_rows if r["hosts_run"] <= 1),
            other_task_cpu=sum(r["cpu"] for r in rows if not r["action"].startswith("azmove.")),
            before_first_task_cpu=startup_cpu)
    return prof


# ----------------------------------------------------------------------------------------------- report


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            mem = "%.0f GiB" % (int(fh.readline().split()[1]) / 1048576.0)
    except (OSError, ValueError, IndexError):
        pass
    return dict(nproc=os.cpu_count(), cpu=model, memory=mem, python=platform.python_version(), system=platform.platform(),
                loadavg_at_start=os.getloadavg())


def versions():
    code = ("import importlib.metadata as m, json\n"
            "print(json.dumps({n: m.version(n) for n in ['ansible-core', 'azure-core', 'azure-identity', 'msal',"
            " 'azure-mgmt-recoveryservicessiterecovery', 'azure-mgmt-compute', 'azure-mgmt-network', 'requests']}))")
    out = json.loads(subprocess.run([str(PY), "-c", code], capture_output=True, text=True, check=True).stdout)
    galaxy = (ROOT / "galaxy.yml").read_text(encoding="utf-8")
    out["azmove.site_recovery"] = re.search(r"^version:\s*(\S+)", galaxy, re.M).group(1)
    return out


def summary(data):
    lines = ["%-6s %-5s %9s %9s %9s %9s %11s %9s %9s %9s %10s" % (
        "N", "forks", "replic s", "test s", "cutover s", "total s", "CPU s", "CPU/mach", "ARM/mach", "RSS MiB", "tree MiB")]
    for w in data["waves"]:
        p, t = w["phases"], w["lifecycle"]
        lines.append("%-6d %-5d %9.1f %9.1f %9.1f %9.1f %11.1f %9.2f %9.1f %9.0f %10.0f" % (
            w["machines"], w["forks"], p["replicate"]["wall"], p["test"]["wall"], p["cutover"]["wall"], t["wall"],
            t["cpu"], t["cpu_per_machine"], t["arm_per_machine"], t["max_rss_largest"], t["peak_tree_rss"]))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--machines", default="10,50,100", help="wave sizes, comma-separated (default 10,50,100)")
    parser.add_argument("--forks", default="5", help="ansible forks, comma-separated (default 5, Ansible's default)")
    parser.add_argument("--poll-interval", type=float, default=2, help="move_poll_interval (default 2, as the demo)")
    parser.add_argument("--prepare-hosts", action="store_true",
                        help="also prepare each source host in prepare (Run Command); by default the seeded hosts are ready")
    parser.add_argument("--json", default=str(BENCH / "scale.json"), help="where the figures go")
    parser.add_argument("--keep", action="store_true", help="keep the simulator state and the move's files (secrets)")
    args = parser.parse_args(argv)
    if not PY.exists() or not (COLLECTIONS / "ansible_collections" / "azmove" / "site_recovery").exists():
        raise SystemExit("run `make collection` first")
    BENCH.mkdir(parents=True, exist_ok=True)
    given = list(sys.argv[1:] if argv is None else argv)
    data = dict(command=" ".join([".venv/bin/python", os.path.relpath(__file__, ROOT)] + given),
                started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), machine=machine(), versions=versions(), waves=[])
    out_path = Path(args.json)
    for n in [int(x) for x in args.machines.split(",") if x]:
        for forks in [int(x) for x in args.forks.split(",") if x]:
            wave = run_wave(n, forks, args.poll_interval, args.prepare_hosts, args.keep)
            wave["loadavg_after"] = os.getloadavg()
            data["waves"].append(wave)
            data["machine"]["loadavg_at_end"] = os.getloadavg()
            out_path.parent.mkdir(parents=True, exist_ok=True)
            out_path.write_text(json.dumps(data, indent=1), encoding="utf-8")  # partial results survive a stop
    print()
    print(summary(data))
    print("\nFull figures: %s" % out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
