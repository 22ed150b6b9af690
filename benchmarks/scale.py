"""Benchmark: a wave of N machines through the whole lifecycle, with the collection's own playbooks.

For each wave size N (default 10, 100 and 1,000) a fresh simulator (time factor 0: every Azure duration is zero; ARM's
throttling buckets on, as the simulator enforces them by default) is seeded with a varied Government fleet: N machines
of the wave (Windows and Linux alternating, over four subnets and four resource groups, three sizes, data disks on a
third of them) and 10% more of another wave that must be left alone. The appliance's own steps register the wave's
machines, and the wave is moved as a user moves it, defaults on (host preparation included):

    ansible-playbook azmove.site_recovery.prepare      -i bench.azure_vms.yml -e @move.yml -l wave_bench
    ansible-playbook azmove.site_recovery.replicate    -i ... -l wave_bench      add, enable, wait protected
    ansible-playbook azmove.site_recovery.test         -i ... -l wave_bench      test failover, cleanup
    ansible-playbook azmove.site_recovery.cutover      -i ... -l wave_bench      failover, commit, complete migration
    ansible-playbook azmove.site_recovery.decommission -i ... -l wave_bench -e move_decommission_confirm=true
    ansible-playbook azmove.site_recovery.cleanup      -i ... -e move_cleanup_confirm=true

For every ansible-playbook run: wall time, CPU seconds of it and all its children (os.wait4: user + system of the
controller, its forks and every module process), the largest process's max RSS, the peak of the summed RSS of the
whole process tree (sampled every 0.25 s), the ARM requests it made by kind (method + resource type) and by ARM's
throttling kind (reads, writes, deletes), and the 429s it met, from the simulator's request log. A small callback
(written to .build/bench/callback/) records each task's wall time, the controller's CPU and how many hosts ran it.
With several sizes, each phase's cost is fitted as a fixed part plus a part per machine. The end state is read back
through the SDKs: every machine of the wave has its target VM and no source VM, the other wave is untouched.

Usage (after `make collection`):
    python benchmarks/scale.py [--machines 10,100,1000] [--forks 5] [--json FILE] [--no-prepare-hosts] [--uniform]
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
OTHER_TAG = {"move-wave": "other", "app": "bench-fleet"}
WAVE_GROUP = "wave_bench"
VAULT, VAULT_RG = "rsv-bench-scale", "rg-landing-eastus"
APPLIANCE = "asr-bench-01"
# The whole lifecycle, as a user runs it for a wave (prepare with host preparation on, its default).
PHASES = ("prepare", "replicate", "test", "cutover", "decommission", "cleanup")
# Addresses the demo seed already uses in the two source subnets (appliance, load balancer frontend).
TAKEN = {"10.10.1.20", "10.10.1.100"} | {"10.10.1.%d" % i for i in range(21, 30)}  # and the benchmark's other appliances
# Each OS spread over two subnets of the demo's source network: a /24 of the demo and a /22 added here, so up to
# about 2,500 machines (the target network mirrors the one source network; the test network mirrors it too).
SUBNETS = {"Windows": [("snet-app", "10.10.1.0/24"), ("snet-bench-win", "10.10.8.0/22")],
           "Linux": [("snet-linux", "10.10.2.0/24"), ("snet-bench-lnx", "10.10.12.0/22")]}
# ... and over two resource groups each (the VMs' NICs stay in the network's resource group, rg-app-gov).
GROUPS = {"Windows": ["rg-app-gov", "rg-bench-win-gov"], "Linux": ["rg-linux-gov", "rg-bench-lnx-gov"]}
SIZES = {"Windows": ["Standard_D2s_v3", "Standard_D2s_v3", "Standard_D4s_v3"], "Linux": ["Standard_B2ms", "Standard_D2s_v3"]}
VCPUS = {"Standard_D2s_v3": 2, "Standard_D4s_v3": 4, "Standard_B2ms": 2}


# ----------------------------------------------------------------------------------------------- the fleet


def addresses(prefix):
    """The usable addresses of an IPv4 prefix, as Azure gives them (the first four and the last are reserved)."""
    import ipaddress  # pylint: disable=import-outside-toplevel
    net = ipaddress.ip_network(prefix)
    return [str(a) for a in list(net)[4:-1] if str(a) not in TAKEN]


def fleet_seed(n, os_disk_gb=None, other=0, uniform=False):
    """The demo seed's Government side (networks, NSG, route table...) with N generated VMs of the wave instead of the
    demo's four, plus `other` VMs of another wave that must be left alone.

    Varied (unless `uniform`): Windows and Linux alternate, each spread over two subnets and two resource groups, three
    sizes, a data disk on every third machine and a second on every fifth, Azure Backup on three in four. `uniform` is the fleet of the earlier
    benchmarks (one subnet and group per OS, no data disks), for comparison."""
    with open(DEMO_SEED, encoding="utf-8") as fh:
        seed = json.load(fh)
    gov = seed["gov"]
    vnet = next(v for v in gov["virtual_networks"] if v["name"] == "vnet-app-gov")
    known = {s["name"] for s in vnet["subnets"]}
    for os_type, subnets in SUBNETS.items():
        for name, prefix in subnets:
            if name not in known:
                vnet["subnets"].append({"name": name, "address_prefix": prefix})
    known_groups = {g["name"] for g in gov["resource_groups"]}
    for groups in GROUPS.values():
        for group in groups:
            if group not in known_groups:
                gov["resource_groups"].append({"name": group, "location": "usgovvirginia"})
    free = {os_type: [addresses(prefix) for _name, prefix in subnets] for os_type, subnets in SUBNETS.items()}
    vms = []
    for i in range(n + other):
        os_type = "Windows" if i % 2 == 0 else "Linux"
        k = i // 2
        slot = 0 if uniform else k % 2
        if not free[os_type][slot]:
            slot = 1 - slot
        if uniform and slot == 1 or not free[os_type][slot]:
            raise SystemExit("too many machines for the source subnets")
        subnet = SUBNETS[os_type][slot][0]
        ip = free[os_type][slot].pop(0)
        group = GROUPS[os_type][0 if uniform else (k // 2) % 2]
        # the guest's computer name differs from the VM name, as on real machines (Windows: upper case, <= 15)
        computer = ("BENCHWIN%04d" if os_type == "Windows" else "bench-lnx%04d") % i
        wave = WAVE_TAG if i < n else OTHER_TAG
        vm = {"name": "vm-bench-%04d" % i if i < n else "vm-other-%04d" % i, "computer_name": computer,
              "location": "usgovvirginia", "private_ip": ip, "power_state": "running", "resource_group": group,
              "vnet": "vnet-app-gov", "vnet_resource_group": "rg-app-gov", "subnet": subnet,
              "tags": dict(wave, role="bench-%d" % (i % 4))}
        if os_type == "Windows":
            vm.update(size="Standard_D2s_v3" if uniform else SIZES["Windows"][k % 3], os_type="Windows",
                      os_name="Windows Server 2019", os_disk_size_gb=os_disk_gb or 127,
                      host={"local_account_token_filter_policy": 1})
        else:
            vm.update(size="Standard_B2ms" if uniform else SIZES["Linux"][k % 2], os_type="Linux", os_name="Ubuntu 20.04",
                      os_disk_size_gb=os_disk_gb or 30, host={})
        if not uniform and i % 3 == 0:
            vm["data_disks"] = [{"size_gb": 64}] + ([{"size_gb": 128}] if i % 5 == 0 else [])
        vms.append(vm)
    gov["virtual_machines"] = vms
    # Azure Backup protects three machines in four (the decommission phase relocates it); the demo's items go.
    for vault in gov.get("backup_vaults") or []:
        policy = vault["protected_items"][0]["policy"]
        vault["protected_items"] = [{"vm": vm["name"], "resource_group": vm["resource_group"], "policy": policy,
                                     "recovery_points": 1 + i % 3} for i, vm in enumerate(vms) if i % 4 != 3]
    return seed


def servers(seed):
    """(IP, credential) of each VM, as the appliance's configuration manager gets them."""
    return [(vm["private_ip"], demo_fleet.CREDENTIAL_OF_OS[vm["os_type"]]) for vm in seed["gov"]["virtual_machines"]
            if (vm.get("tags") or {}).get("move-wave") == WAVE_TAG["move-wave"]]


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
        vcpus = sum(VCPUS.get(vm.get("size"), 2) for vm in self.seed["gov"]["virtual_machines"])
        if vcpus > 100:
            public = self.endpoints["clouds"]["public"]["default_location"]
            for usage in ("cores", "standardDSv3Family", "standardBSFamily"):
                self.admin.set_quota("public", public, usage, vcpus + 100)
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


APPLIANCE_SHARE = 150  # machines per appliance in the benchmark: headroom under the documented 200


def appliance_names(n, share=APPLIANCE_SHARE):
    """The benchmark's appliances for a wave of n machines (one per `share`): APPLIANCE, then APPLIANCE-2, -3, ..."""
    count = max(1, -(-n // share))
    return [APPLIANCE] + ["%s-%d" % (APPLIANCE, i) for i in range(2, count + 1)]


def write_files(sim, workdir, poll_interval, extra_vars=None):
    """The azure_vms inventory of the wave and the move's variables (files of mode 0600)."""
    old = os.umask(0o077)
    try:
        inventory = workdir / "bench.azure_vms.yml"
        inventory.write_text(yaml.safe_dump(demo_fleet.inventory(sim.endpoints, tags={"app": WAVE_TAG["app"]}), sort_keys=False))
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


ARM_KIND = {"GET": "reads", "HEAD": "reads", "PUT": "writes", "PATCH": "writes", "POST": "writes", "DELETE": "deletes"}


def arm_budget(rows):
    """ARM requests by ARM's throttling kind (reads, writes, deletes) and the 429s met, over the given log rows."""
    out = {"reads": 0, "writes": 0, "deletes": 0, "throttled_429": 0, "login": 0}
    for row in rows:
        if row.get("port") == "admin":
            continue
        if row.get("port") == "login":
            out["login"] += 1
            continue
        out[ARM_KIND.get(row["method"], "reads")] += 1
        if row.get("status") == 429:
            out["throttled_429"] += 1
    return out


def arm_count(kinds, method=None):
    return sum(v for k, v in kinds.items() if not k.startswith("login") and (method is None or k.split()[1] == method))


# ----------------------------------------------------------------------------------------------- a wave


def run_wave(n, forks, poll_interval, prepare_hosts, keep, other=0, uniform=False, extra_vars=None,
             appliance_share=APPLIANCE_SHARE):
    """The whole lifecycle of one wave of N machines (plus `other` machines of another wave, left alone), measured."""
    workdir = BENCH / ("scale-%d-f%d" % (n, forks))
    seed = fleet_seed(n, other=other, uniform=uniform)
    out = dict(machines=n, other_wave_machines=other, forks=forks, poll_interval=poll_interval, uniform=uniform,
               prepare_hosts=prepare_hosts, phases={})
    with Simulator(workdir / "sim", seed) as sim:
        # Without host preparation the seeded hosts are ready for the push install already (as the demo's are).
        move_extra = dict(extra_vars or {})
        # A move of hundreds of machines outgrows one appliance (Microsoft's sizing: 200 machines each, docs/appliances.md):
        # one per APPLIANCE_SHARE machines, the first the move's source server, each machine given one by the playbooks.
        names = appliance_names(n, appliance_share)
        if len(names) > 1:
            move_extra["move_appliances"] = [{"name": name} for name in names]
        out["appliances"] = names
        if not prepare_hosts:
            move_extra["move_prepare_hosts"] = False
        inventory, move_path = write_files(sim, workdir, poll_interval, move_extra)
        # The appliance's own steps (register, credentials, the N servers) once prepare has made the vault.
        appliance_error = []

        def appliance():
            try:
                # Each appliance is given every server: which one a machine replicates through is the playbooks' choice.
                for index, name in enumerate(names):
                    demo_fleet.play_appliance(str(sim.state_dir), VAULT, VAULT_RG, name, ip="10.10.1.%d" % (20 + index),
                                              server_list=servers(seed), timeout=1800)
            except Exception as exc:  # reported after prepare
                appliance_error.append(repr(exc))

        thread = threading.Thread(target=appliance, daemon=True)
        thread.start()
        print("== N=%d (+%d of another wave), forks %d" % (n, other, forks), flush=True)
        for phase in PHASES:
            extra = {"decommission": ["-e", "move_decommission_confirm=true"],
                     "cleanup": ["-e", "move_cleanup_confirm=true"]}.get(phase, [])
            res = run_phase(sim, workdir, inventory, move_path, phase, forks, limit=None if phase == "cleanup" else WAVE_GROUP,
                            extra=extra)
            if phase == "prepare":
                thread.join()
                if appliance_error:
                    raise SystemExit("appliance steps failed: %s" % appliance_error)
            hosts = [h for h in res["recap"] if h != "localhost"]
            if phase != "cleanup" and len(hosts) != n or any(c.get("failed") or c.get("unreachable") for c in res["recap"].values()):
                raise SystemExit("%s: expected %d machines, all ok; recap: %s" % (phase, n, res["recap"]))
            res["arm"] = arm_budget(res.pop("_rows"))
            out["phases"][phase] = res
            print("   %-12s %7.1f s wall, %7.1f s CPU (%.3f s/machine), tree peak %5.0f MiB, ARM %d (%d reads, %d writes,"
                  " %d deletes), 429s %d" % (phase, res["wall"], res["cpu"], res["cpu"] / n, res["peak_tree_rss"],
                                             res["arm"]["reads"] + res["arm"]["writes"] + res["arm"]["deletes"],
                                             res["arm"]["reads"], res["arm"]["writes"], res["arm"]["deletes"],
                                             res["arm"]["throttled_429"]), flush=True)
        out["end_state"] = end_state(sim, n, other)
        if out["end_state"]["problems"]:
            raise SystemExit("the wave did not end moved: %s" % out["end_state"]["problems"])
    phases = out["phases"].values()
    total = dict(wall=sum(p["wall"] for p in phases), cpu=sum(p["cpu"] for p in phases),
                 max_rss_largest=max(p["max_rss_largest"] for p in phases),
                 peak_tree_rss=max(p["peak_tree_rss"] for p in phases),
                 simulator_cpu=sum(p["simulator_cpu"] or 0 for p in phases))
    kinds = {}
    for p in phases:
        for k, v in p["requests"].items():
            kinds[k] = kinds.get(k, 0) + v
    total["requests"] = dict(sorted(kinds.items(), key=lambda kv: -kv[1]))
    total["requests_per_machine"] = {k: round(v / n, 2) for k, v in total["requests"].items()}
    total["arm"] = {k: sum(p["arm"][k] for p in phases) for k in ("reads", "writes", "deletes", "throttled_429", "login")}
    total["arm_per_machine"] = (total["arm"]["reads"] + total["arm"]["writes"] + total["arm"]["deletes"]) / float(n)
    total["cpu_per_machine"] = total["cpu"] / n
    out["lifecycle"] = total
    out["profile"] = profile(out, n)
    if not keep:
        shutil.rmtree(workdir / "sim", ignore_errors=True)  # endpoints.json holds the simulator's secrets
        for name in ("move.yml", "bench.azure_vms.yml"):
            (workdir / name).unlink(missing_ok=True)
    return out


def end_state(sim, n, other):
    """What a user checks at the end, read through the SDKs: each machine of the wave has its target VM running and
    no source VM, no replication is left in the vault, the other wave's machines are untouched."""
    sys.path.insert(0, str(SIM_PATH / "tests"))
    from azure.mgmt.compute import ComputeManagementClient  # pylint: disable=import-outside-toplevel
    from simhelpers import client_kwargs, credential  # pylint: disable=import-outside-toplevel

    def compute(cloud):
        return ComputeManagementClient(credential(sim.endpoints, cloud), sim.endpoints["clouds"][cloud]["subscription_id"],
                                       **client_kwargs(sim.endpoints, cloud))
    gov, public = compute("gov"), compute("public")
    source = [vm.name for vm in gov.virtual_machines.list_all()]
    target = [vm.name for vm in public.virtual_machines.list_all()]
    wave = ["vm-bench-%04d" % i for i in range(n)]
    problems = []
    still = [name for name in wave if name in source]
    if still:
        problems.append("%d source VMs of the wave not decommissioned, e.g. %s" % (len(still), still[:3]))
    missing = [name for name in wave if name not in target]
    if missing:
        problems.append("%d machines without their target VM, e.g. %s" % (len(missing), missing[:3]))
    others = [name for name in source if name.startswith("vm-other-")]
    if len(others) != other:
        problems.append("the other wave has %d source VMs, not %d" % (len(others), other))
    return dict(source_vms_of_wave=len(wave) - len(still), target_vms=len(target) - len(missing), other_wave_left=len(others),
                problems=problems)


def profile(out, n):
    """Per phase: each task's wall and controller CPU, how many hosts ran it; per machine the module runs."""
    prof = {}
    extra = [("prepare", out["prepare"])] if "prepare" in out and "prepare" not in out["phases"] else []
    for phase, res in list(out["phases"].items()) + extra:
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


def fit(points):
    """Least-squares line y = fixed + per_machine * N through (N, y) points; None with fewer than two sizes."""
    if len({x for x, _y in points}) < 2:
        return None
    k = float(len(points))
    mx, my = sum(x for x, _y in points) / k, sum(y for _x, y in points) / k
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _y in points)
    return dict(fixed=round(my - slope * mx, 3), per_machine=round(slope, 4))


def fits(data):
    """Per phase and for the lifecycle: controller CPU-s, wall s and ARM requests as fixed + per-machine parts."""
    out = {}
    for phase in PHASES + ("lifecycle",):
        rows = []
        for w in data["waves"]:
            res = w["lifecycle"] if phase == "lifecycle" else w["phases"].get(phase)
            if res:
                arm = res["arm"]["reads"] + res["arm"]["writes"] + res["arm"]["deletes"]
                rows.append((w["machines"], res["cpu"], res["wall"], arm))
        out[phase] = {what: fit([(r[0], r[i]) for r in rows]) for i, what in ((1, "cpu_s"), (2, "wall_s"), (3, "arm_requests"))}
    return out


def summary(data):
    lines = ["Controller CPU-s per machine, by phase (falls as N grows where the fixed part dominates):",
             "%-6s" % "N" + "".join("%13s" % p for p in PHASES) + "%11s" % "lifecycle"]
    for w in data["waves"]:
        n = w["machines"]
        lines.append("%-6d" % n + "".join("%13.3f" % (w["phases"][p]["cpu"] / n) for p in PHASES)
                     + "%11.3f" % w["lifecycle"]["cpu_per_machine"])
    lines += ["", "%-6s %9s %9s %9s %9s %9s %9s %7s %10s %10s" % (
        "N", "wall s", "CPU s", "ARM/mach", "reads", "writes", "deletes", "429s", "tree MiB", "sim CPU s")]
    for w in data["waves"]:
        t = w["lifecycle"]
        lines.append("%-6d %9.1f %9.1f %9.1f %9d %9d %9d %7d %10.0f %10.1f" % (
            w["machines"], t["wall"], t["cpu"], t["arm_per_machine"], t["arm"]["reads"], t["arm"]["writes"],
            t["arm"]["deletes"], t["arm"]["throttled_429"], t["peak_tree_rss"], t["simulator_cpu"]))
    if data.get("fits"):
        lines += ["", "Fitted, fixed + per machine (CPU-s | wall s | ARM requests):"]
        for phase, f in data["fits"].items():
            if f["cpu_s"]:
                lines.append("  %-12s %8.1f + %.4f N | %8.1f + %.4f N | %8.1f + %.2f N" % (
                    phase, f["cpu_s"]["fixed"], f["cpu_s"]["per_machine"], f["wall_s"]["fixed"], f["wall_s"]["per_machine"],
                    f["arm_requests"]["fixed"], f["arm_requests"]["per_machine"]))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--machines", default="10,100,1000", help="wave sizes, comma-separated (default 10,100,1000)")
    parser.add_argument("--forks", default="5", help="ansible forks, comma-separated (default 5, Ansible's default)")
    parser.add_argument("--poll-interval", type=float, default=2, help="move_poll_interval (default 2, as the demo)")
    parser.add_argument("--no-prepare-hosts", dest="prepare_hosts", action="store_false",
                        help="skip host preparation in prepare (on by default, as for a user)")
    parser.add_argument("--other-wave", type=float, default=0.1,
                        help="machines of another wave present in the source, as a fraction of N (default 0.1, at least 2)")
    parser.add_argument("--uniform", action="store_true", help="the uniform fleet of earlier runs (one subnet and group per OS)")
    parser.add_argument("--appliance-share", type=int, default=APPLIANCE_SHARE,
                        help="machines per replication appliance (default %d: several appliances from %d machines)"
                        % (APPLIANCE_SHARE, APPLIANCE_SHARE + 1))
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
            other = max(2, int(round(n * args.other_wave))) if args.other_wave > 0 else 0
            wave = run_wave(n, forks, args.poll_interval, args.prepare_hosts, args.keep, other=other, uniform=args.uniform,
                            appliance_share=args.appliance_share)
            wave["loadavg_after"] = os.getloadavg()
            data["waves"].append(wave)
            data["machine"]["loadavg_at_end"] = os.getloadavg()
            data["fits"] = fits(data)
            out_path.parent.mkdir(parents=True, exist_ok=True)
            out_path.write_text(json.dumps(data, indent=1), encoding="utf-8")  # partial results survive a stop
    print()
    print(summary(data))
    print("\nFull figures: %s" % out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
