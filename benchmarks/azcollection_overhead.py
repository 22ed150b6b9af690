"""Benchmark: per-task cost of azmove.site_recovery's vault modules against azure.azcollection's.

The same work, side by side, against one simulator and one vault:

  present  an idempotent "vault is present" task
           ours:   azmove.site_recovery.recovery_vault
           theirs: azure.azcollection.azure_rm_recoveryservicesvault
  info     the same vault read by name
           ours:   azmove.site_recovery.recovery_vault_info
           theirs: azure.azcollection.azure_rm_recoveryservicesvault_info
  early    a task that stops before any request (ours: bad input, the vault in the source region;
           theirs as shipped: the custom cloud cannot be resolved): start-up, imports, argument handling

Two measurements per task:

  module   the module process alone: Ansible builds the AnsiballZ payload once (ANSIBLE_KEEP_REMOTE_FILES), then the
           payload runs N times under os.wait4, giving wall time, CPU (user+sys) and max RSS of exactly the process
           that runs on the managed node for one task. The four tasks run interleaved, so machine noise hits all alike.
  playbook one ansible-playbook run with the task looped N times minus a run with the loop empty, divided by N:
           what a task costs in a playbook, controller included.

azure.azcollection comes from the "ansible" wheel on PyPI (same bundle as the Makefile's ansible.windows), into its own
virtual environment with its own requirements.txt and our ansible-core version. It is pointed at the simulator as a
custom cloud, the way it documents (cloud_environment: <metadata URL>, REQUESTS_CA_BUNDLE, client id/secret/tenant).
As shipped that fails before any request (see azcollection_cloud_shim.py for the two defects and their lines); the
"present" and "info" rows for theirs are measured with the two defects bridged by that shim, which changes nothing
else. The simulator is started with one addition: Recovery Services API version 2020-02-02, which real Azure serves
and azure.azcollection hard-codes.

Usage (after `make collection`):
    python benchmarks/azcollection_overhead.py [-n 20] [--playbook-n N] [--json FILE] [--profile]
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".build" / "bench"
OURS_PY = ROOT / ".venv" / "bin" / "python"
OURS_COLLECTIONS = ROOT / ".build" / "collections"
THEIRS_VENV = BENCH / "azcollection-venv"
THEIRS_PY = THEIRS_VENV / "bin" / "python"
THEIRS_COLLECTIONS = BENCH / "collections"
THEIRS_COLLECTION = THEIRS_COLLECTIONS / "ansible_collections" / "azure" / "azcollection"
ANSIBLE_BUNDLE = "ansible==12.3.0"  # the Makefile's bundle (it takes ansible.windows from it)
SHIM = Path(__file__).resolve().parent / "azcollection_cloud_shim.py"
SEED = ROOT / "tests" / "simulator" / "seed" / "demo.json"
SIM_PATH = ROOT / "tests" / "simulator"
EXTRA_API_VERSION = "2020-02-02"  # real Azure lists it for Microsoft.RecoveryServices/vaults; azure.azcollection uses it

VAULT = "rsv-bench-overhead"
RESOURCE_GROUP = "rg-landing-eastus"


# ----------------------------------------------------------------------------------------------- set-up


def run(cmd, check=True, **kwargs):
    return subprocess.run([str(c) for c in cmd], check=check, **kwargs)


def ours_ansible_core():
    out = run([OURS_PY, "-c", "import ansible.release as r; print(r.__version__)"], capture_output=True, text=True)
    return out.stdout.strip()


def setup_theirs():
    """Make .build/bench/azcollection-venv with ansible-core and azure.azcollection's requirements (once)."""
    core = ours_ansible_core()
    marker = THEIRS_VENV / ".bench-installed"
    wanted = "%s ansible-core==%s\n" % (ANSIBLE_BUNDLE, core)
    if not (marker.exists() and marker.read_text(encoding="utf-8") == wanted and (THEIRS_COLLECTION / "MANIFEST.json").exists()):
        print("== Installing azure.azcollection from %s into %s (once; a few minutes)" % (ANSIBLE_BUNDLE, THEIRS_VENV))
        wheel_dir = BENCH / "wheel"
        shutil.rmtree(wheel_dir, ignore_errors=True)
        wheel_dir.mkdir(parents=True)
        run([OURS_PY, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", wheel_dir, ANSIBLE_BUNDLE])
        prefix = "ansible_collections/azure/azcollection/"
        shutil.rmtree(THEIRS_COLLECTIONS, ignore_errors=True)
        with zipfile.ZipFile(next(wheel_dir.glob("*.whl"))) as wheel:
            wheel.extractall(THEIRS_COLLECTIONS, [n for n in wheel.namelist() if n.startswith(prefix)])
        shutil.rmtree(wheel_dir)
        if not THEIRS_PY.exists():
            run([sys.executable, "-m", "venv", THEIRS_VENV])
        run([THEIRS_PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        run([THEIRS_PY, "-m", "pip", "install", "--quiet", "ansible-core==%s" % core,
             "-r", THEIRS_COLLECTION / "requirements.txt"])
        marker.write_text(wanted, encoding="utf-8")
    site = Path(run([THEIRS_PY, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    capture_output=True, text=True).stdout.strip())
    shutil.copyfile(SHIM, site / SHIM.name)
    (site / "azcollection_cloud_shim.pth").write_text("import azcollection_cloud_shim\n", encoding="utf-8")


def versions():
    def pip_versions(py, names):
        code = ("import importlib.metadata as m, sys, json\n"
                "out = {}\n"
                "for n in sys.argv[1:]:\n"
                "    try: out[n] = m.version(n)\n"
                "    except m.PackageNotFoundError: pass\n"
                "print(json.dumps(out))")
        return json.loads(run([py, "-c", code] + names, capture_output=True, text=True).stdout)

    names = ["ansible-core", "azure-core", "azure-identity", "msal", "azure-mgmt-recoveryservices", "azure-mgmt-core",
             "azure-cli-core", "requests"]
    manifest = json.loads((THEIRS_COLLECTION / "MANIFEST.json").read_text(encoding="utf-8"))
    galaxy = (ROOT / "galaxy.yml").read_text(encoding="utf-8")
    ours_version = re.search(r"^version:\s*(\S+)", galaxy, re.M).group(1)
    theirs_pkgs = len(run([THEIRS_PY, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True).stdout.split())
    ours_pkgs = len(run([OURS_PY, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True).stdout.split())
    return {
        "ours": dict(collection="azmove.site_recovery %s" % ours_version, venv=str(OURS_PY.parent.parent),
                     packages_in_venv=ours_pkgs, **pip_versions(OURS_PY, names)),
        "theirs": dict(collection="azure.azcollection %s (from %s)" % (manifest["collection_info"]["version"], ANSIBLE_BUNDLE),
                       venv=str(THEIRS_VENV), packages_in_venv=theirs_pkgs, **pip_versions(THEIRS_PY, names)),
    }


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return dict(nproc=os.cpu_count(), cpu=model, python=platform.python_version(), system=platform.platform(),
                loadavg_at_start=load)


# ----------------------------------------------------------------------------------------------- simulator


def serve_simulator(argv):
    """--serve-simulator: the simulator, plus the one API version azure.azcollection needs (see module doc)."""
    sys.path.insert(0, str(SIM_PATH))
    from azsim import __main__ as cli
    from azsim.providers import recoveryservices

    recoveryservices.RS_VERSIONS.add(EXTRA_API_VERSION)  # the routes hold this very set
    return cli.main(["serve"] + argv)


class Simulator:
    def __init__(self, state_dir):
        self.state_dir = Path(state_dir)
        self.proc = None
        self.endpoints = None

    def __enter__(self):
        sys.path.insert(0, str(SIM_PATH))
        from azsim import __main__ as cli

        shutil.rmtree(self.state_dir, ignore_errors=True)
        self.state_dir.mkdir(parents=True)
        env = dict(os.environ, PYTHONPATH=str(SIM_PATH))
        with open(self.state_dir / "azsim.log", "ab") as log:
            self.proc = subprocess.Popen(
                [str(OURS_PY), __file__, "--serve-simulator", "--state-dir", str(self.state_dir), "--time-factor", "0",
                 "--seed", str(SEED)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        if not cli.wait(str(self.state_dir), 60, self.proc):
            self.proc.kill()
            raise SystemExit("the simulator did not start; see %s/azsim.log" % self.state_dir)
        self.endpoints = json.loads((self.state_dir / "endpoints.json").read_text(encoding="utf-8"))
        from azsim.testing import AdminClient

        self.admin = AdminClient(self.endpoints)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def last_request_id(self):
        rows = self.admin.requests(since=0, limit=100000)
        return rows[-1]["id"] if rows else 0

    def requests_since(self, since):
        return self.admin.requests(since=since)


# ----------------------------------------------------------------------------------------------- tasks


class Task:
    def __init__(self, key, side, kind, module, args, expect_failed=False, patched=False):
        self.key, self.side, self.kind, self.module, self.args = key, side, kind, module, args
        self.expect_failed = expect_failed
        self.patched = patched  # theirs with azcollection_cloud_shim active
        self.payload = None

    @property
    def python(self):
        return OURS_PY if self.side == "ours" else THEIRS_PY


def tasks(sim):
    ep = sim.endpoints
    cloud = ep["clouds"]["public"]
    gov = ep["clouds"]["gov"]
    ours_auth = dict(cloud=cloud["metadata_url"], ca_bundle=ep["ca_bundle"], auth_source="client_secret",
                     tenant_id=cloud["tenant_id"], client_id=cloud["client_id"], client_secret=cloud["client_secret"],
                     subscription_id=cloud["subscription_id"])
    theirs_auth = dict(cloud_environment=cloud["metadata_url"], tenant=cloud["tenant_id"], client_id=cloud["client_id"],
                       secret=cloud["client_secret"], subscription_id=cloud["subscription_id"],
                       disable_instance_discovery=True)
    vault = dict(name=VAULT, resource_group=RESOURCE_GROUP)
    location = cloud["default_location"]
    return [
        Task("ours-present", "ours", "present", "azmove.site_recovery.recovery_vault",
             dict(ours_auth, location=location, **vault)),
        Task("ours-info", "ours", "info", "azmove.site_recovery.recovery_vault_info", dict(ours_auth, **vault)),
        Task("theirs-present", "theirs", "present", "azure.azcollection.azure_rm_recoveryservicesvault",
             dict(theirs_auth, location=location, **vault), patched=True),
        Task("theirs-info", "theirs", "info", "azure.azcollection.azure_rm_recoveryservicesvault_info",
             dict(theirs_auth, **vault), patched=True),
        Task("ours-early", "ours", "early", "azmove.site_recovery.recovery_vault",
             dict(ours_auth, location=gov["default_location"], source_region=gov["default_location"], **vault),
             expect_failed=True),
        Task("theirs-early", "theirs", "early", "azure.azcollection.azure_rm_recoveryservicesvault",
             dict(theirs_auth, location=location, **vault), expect_failed=True),
    ]


def task_env(task, sim, tmp):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ANSIBLE_", "AZCOLLECTION_", "REQUESTS_CA"))}
    env.pop("PYTHONPATH", None)
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_PYTHON_INTERPRETER=str(task.python),
               ANSIBLE_LOCAL_TEMP=str(tmp / "local"), ANSIBLE_REMOTE_TMP=str(tmp / "remote" / task.key),
               ANSIBLE_COLLECTIONS_PATH=str(OURS_COLLECTIONS if task.side == "ours" else THEIRS_COLLECTIONS))
    if task.side == "theirs":
        cloud = sim.endpoints["clouds"]["public"]
        env.update(REQUESTS_CA_BUNDLE=sim.endpoints["ca_bundle"], AZURE_CONFIG_DIR=str(tmp / "azure-config"))
        if task.patched:
            env.update(AZCOLLECTION_BENCH_SHIM="1",
                       AZCOLLECTION_BENCH_SCOPE_MAP="%s.default=%s.default" % (
                           cloud["resource_manager"].rstrip("/") + "/", cloud["audience"].rstrip("/") + "/"))
    return env


def playbook(task, tmp, loop=None):
    """A one-task playbook; the args are written in (JSON is YAML), so no templating and no secrets on argv."""
    path = tmp / ("%s-%s.yml" % (task.key, "once" if loop is None else "loop"))
    body = {"name": task.key, task.module: task.args, "ignore_errors": task.expect_failed}
    if loop is not None:
        body["loop"] = "{{ range(%d) | list }}" % loop
        body["loop_control"] = {"label": "{{ item }}"}
    play = [{"name": "bench", "hosts": "localhost", "gather_facts": False, "tasks": [body]}]
    path.write_text(json.dumps(play, indent=1), encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def ansible_playbook(task, path, env):
    bin_dir = task.python.parent
    cmd = [str(bin_dir / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path)]
    return measured(cmd, env)


def measured(cmd, env, stdout_path=None):
    """Run cmd; return (wall s, cpu s of it and its children, max RSS MiB of the largest process, rc, output)."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        status, usage = os.wait4(proc.pid, 0)[1:]
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    return dict(wall=wall, cpu=usage.ru_utime + usage.ru_stime, user=usage.ru_utime, sys=usage.ru_stime,
                rss=usage.ru_maxrss / 1024.0, rc=proc.returncode, output=text)


def build_payload(task, sim, tmp):
    """Run the task once through ansible-playbook, keeping the AnsiballZ payload Ansible sends to the node."""
    env = task_env(task, sim, tmp)
    env["ANSIBLE_KEEP_REMOTE_FILES"] = "1"
    done = ansible_playbook(task, playbook(task, tmp), env)
    found = sorted((tmp / "remote" / task.key).glob("ansible-tmp-*/AnsiballZ_*.py"))
    if not found:
        raise SystemExit("%s: no AnsiballZ payload kept; ansible-playbook said:\n%s" % (task.key, done["output"][-3000:]))
    task.payload = found[-1]
    os.chmod(task.payload, 0o600)


def run_payload(task, sim, tmp):
    env = task_env(task, sim, tmp)
    res = measured([str(task.python), str(task.payload)], env)
    try:
        result = json.loads(res["output"][res["output"].index("{"):])
    except ValueError:
        result = {"failed": True, "msg": "no JSON: " + res["output"][-500:]}
    res["result"] = result
    ok = bool(result.get("failed")) == task.expect_failed and (task.expect_failed or result.get("changed") is False)
    if not ok:
        raise SystemExit("%s did not do what the benchmark expects:\n%s" % (task.key, json.dumps(result)[:3000]))
    return res


def failure_text(result):
    """The message a failed module gave, with the exception chain AnsiballZ reports when the module crashed."""
    parts = [result["msg"]] if result.get("msg") else []
    event = (result.get("exception") or {}).get("event") if isinstance(result.get("exception"), dict) else None
    while event:
        parts.append(event.get("msg", ""))
        event = (event.get("chain") or {}).get("event")
    return " <- while handling: ".join(p for p in parts if p)[:600]


def summary(samples):
    def med(key):
        return statistics.median(s[key] for s in samples)

    return dict(n=len(samples), wall=med("wall"), cpu=med("cpu"), user=med("user"), sys=med("sys"), rss=med("rss"),
                wall_min=min(s["wall"] for s in samples), wall_max=max(s["wall"] for s in samples),
                cpu_min=min(s["cpu"] for s in samples), cpu_max=max(s["cpu"] for s in samples),
                rss_max=max(s["rss"] for s in samples))


def describe_requests(rows):
    """Requests one task made, by kind (the simulator logs which listener took each: arm, login or admin)."""
    kinds = {}
    for row in rows:
        path = row["path"].split("?")[0]
        if row.get("port") == "admin":
            continue
        if row.get("port") == "login":
            kind = "token" if path.endswith("/token") else "login " + path.rsplit("/", 1)[-1]
        elif "/metadata/endpoints" in path:
            kind = "metadata"
        else:
            kind = "ARM %s %s" % (row["method"], path.rsplit("/providers/", 1)[-1])
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


# ----------------------------------------------------------------------------------------------- profile


def profile(task, sim, tmp):
    """-X importtime and cProfile of one run of the payload; returns a summary dict and writes the raw files."""
    env = task_env(task, sim, tmp)
    out_dir = BENCH / "profile"
    out_dir.mkdir(parents=True, exist_ok=True)
    imp = subprocess.run([str(task.python), "-X", "importtime", str(task.payload)], env=env, capture_output=True,
                         text=True, check=False)
    (out_dir / ("%s.importtime.txt" % task.key)).write_text(imp.stderr, encoding="utf-8")
    top = {}
    total_us = 0
    for line in imp.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        self_us, cum_us, indent, name = int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4)
        total_us += self_us
        root = name.split(".")[0]
        if root == "ansible_collections":
            root = ".".join(name.split(".")[:3])
        elif root == "azure":
            root = ".".join(name.split(".")[:3]) if name.startswith("azure.mgmt.") else ".".join(name.split(".")[:2])
        top[root] = top.get(root, 0) + self_us
    prof_path = out_dir / ("%s.prof" % task.key)
    driver = ("import cProfile, runpy, sys\n"
              "payload, out = sys.argv[1], sys.argv[2]\n"
              "sys.argv = [payload]\n"
              "prof = cProfile.Profile()\n"
              "prof.enable()\n"
              "try:\n"
              "    runpy.run_path(payload, run_name='__main__')\n"
              "except SystemExit:\n"
              "    pass\n"
              "finally:\n"
              "    prof.disable()\n"
              "    prof.dump_stats(out)\n")
    subprocess.run([str(task.python), "-c", driver, str(task.payload), str(prof_path)], env=env, capture_output=True,
                   check=False)
    code = r"""
import json, pstats, sys
st = pstats.Stats(sys.argv[1])
def cum(pred):
    best = 0.0
    for (fn, line, name), (cc, nc, tt, ct, callers) in st.stats.items():
        if pred(fn, name):
            # the outermost frames only: skip calls made from another match
            outer = not any(pred(c[0], c[2]) for c in callers)
            if outer:
                best += ct
    return best
total = max(ct for (cc, nc, tt, ct, callers) in st.stats.values())
out = {
  "total": total,
  "argument_handling": cum(lambda f, n: n == "__init__" and f.endswith("module_utils/basic.py")),
  "cloud_metadata": cum(lambda f, n: n in ("fetch_metadata", "get_cloud_from_metadata_endpoint")),
  "token": cum(lambda f, n: n in ("get_token", "get_token_info") and "azure/identity" in f),
  "http_send": cum(lambda f, n: n == "send" and f.endswith("requests/sessions.py")),
  "tls_ca_load": cum(lambda f, n: "load_verify_locations" in n),
  "sleep": cum(lambda f, n: n == "<built-in method time.sleep>"),
  "exit_json": cum(lambda f, n: n == "exit_json"),
}
rows = sorted(((ct, tt, "%s:%d(%s)" % (fn.split("site-packages/")[-1].split(".zip/")[-1], line, name))
               for (fn, line, name), (cc, nc, tt, ct, callers) in st.stats.items()), reverse=True)
out["top_tottime"] = [[round(tt, 4), n] for ct, tt, n in sorted(rows, key=lambda r: -r[1])[:12]]
print(json.dumps(out))
"""
    stats = json.loads(run([task.python, "-c", code, prof_path], capture_output=True, text=True).stdout)
    stats["import_self_total"] = total_us / 1e6
    stats["import_by_package"] = sorted(((round(v / 1e6, 4), k) for k, v in top.items()), reverse=True)[:15]
    stats["modules_imported"] = sum(1 for line in imp.stderr.splitlines() if line.startswith("import time:")) - 1
    return stats


# ----------------------------------------------------------------------------------------------- main


def fmt(value, unit):
    return "%.3f %s" % (value, unit) if unit == "s" else "%.0f %s" % (value, unit)


def report(data):
    lines = []
    mod = data["module"]
    lines.append("Per task, the module process alone (median of %d runs; min-max in brackets):" % data["n"])
    lines.append("%-16s %24s %24s %12s %s" % ("task", "wall s", "cpu s", "maxrss MiB", "requests"))
    for key, s in mod.items():
        lines.append("%-16s %24s %24s %12.0f %s" % (
            key, "%.3f [%.3f-%.3f]" % (s["wall"], s["wall_min"], s["wall_max"]),
            "%.3f [%.3f-%.3f]" % (s["cpu"], s["cpu_min"], s["cpu_max"]), s["rss"],
            ", ".join("%s x%d" % kv for kv in sorted(data["requests"].get(key, {}).items()))))
    lines.append("")
    lines.append("Ratio ours/theirs (module process, medians):")
    for kind, r in data["ratios"].items():
        lines.append("  %-8s wall %.2f  cpu %.2f  maxrss %.2f" % (kind, r["wall"], r["cpu"], r["rss"]))
    if data.get("playbook"):
        lines.append("")
        lines.append("Per task inside ansible-playbook ((run with loop of %d - run with empty loop) / %d):"
                     % (data["playbook_n"], data["playbook_n"]))
        for key, s in data["playbook"].items():
            lines.append("  %-16s wall %.3f s  cpu %.3f s  peak RSS (largest process) %.0f MiB"
                         % (key, s["wall_per_task"], s["cpu_per_task"], s["rss"]))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("-n", type=int, default=20, help="runs of each task's module process (default 20)")
    parser.add_argument("--playbook-n", type=int, default=None,
                        help="loop length of the ansible-playbook measurement (default: -n; 0 skips it)")
    parser.add_argument("--json", default=str(BENCH / "azcollection_overhead.json"), help="where the figures go")
    parser.add_argument("--profile", action="store_true", help="also profile one run of each task (importtime, cProfile)")
    args = parser.parse_args(argv)
    playbook_n = args.n if args.playbook_n is None else args.playbook_n

    if not OURS_PY.exists() or not (OURS_COLLECTIONS / "ansible_collections" / "azmove" / "site_recovery").exists():
        raise SystemExit("run `make collection` first")
    BENCH.mkdir(parents=True, exist_ok=True)
    setup_theirs()
    python = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else "python"
    given = list(sys.argv[1:] if argv is None else argv)
    data = dict(command=" ".join([python, os.path.relpath(__file__, ROOT)] + given),
                started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), machine=machine(), versions=versions(),
                n=args.n, playbook_n=playbook_n)
    tmp = Path(tempfile.mkdtemp(prefix="bench-", dir=BENCH))
    os.chmod(tmp, 0o700)
    try:
        with Simulator(BENCH / "simulator") as sim:
            all_tasks = tasks(sim)
            print("== Building the AnsiballZ payloads (one ansible-playbook run per task; the first creates the vault)")
            for task in all_tasks:
                build_payload(task, sim, tmp)
            # Warm-up: one run each (disk cache, .pyc), and the request log of one run.
            data["requests"] = {}
            data["early_messages"] = {}
            for task in all_tasks:
                since = sim.last_request_id()
                res = run_payload(task, sim, tmp)
                data["requests"][task.key] = describe_requests(sim.requests_since(since))
                if task.expect_failed:
                    data["early_messages"][task.key] = failure_text(res["result"])
            print("== Module process: %d runs of each of %d tasks, interleaved" % (args.n, len(all_tasks)))
            samples = {t.key: [] for t in all_tasks}
            for i in range(args.n):
                for task in all_tasks:
                    samples[task.key].append(run_payload(task, sim, tmp))
                print("   round %d/%d done" % (i + 1, args.n), flush=True)
            data["module"] = {k: summary(v) for k, v in samples.items()}
            data["ratios"] = {}
            for kind in ("present", "info", "early"):
                ours, theirs = data["module"]["ours-" + kind], data["module"]["theirs-" + kind]
                data["ratios"][kind] = {m: ours[m] / theirs[m] for m in ("wall", "cpu", "rss")}
            if playbook_n:
                print("== ansible-playbook: each task looped %d times, and once with an empty loop" % playbook_n)
                data["playbook"] = {}
                for task in all_tasks:
                    if task.kind == "early":
                        continue
                    env = task_env(task, sim, tmp)
                    base = [ansible_playbook(task, playbook(task, tmp, loop=0), env) for dummy in range(3)]
                    full = ansible_playbook(task, playbook(task, tmp, loop=playbook_n), env)
                    if full["rc"] != 0:
                        raise SystemExit("%s looped failed:\n%s" % (task.key, full["output"][-3000:]))
                    b_wall = statistics.median(b["wall"] for b in base)
                    b_cpu = statistics.median(b["cpu"] for b in base)
                    data["playbook"][task.key] = dict(
                        wall_per_task=(full["wall"] - b_wall) / playbook_n, cpu_per_task=(full["cpu"] - b_cpu) / playbook_n,
                        wall_total=full["wall"], cpu_total=full["cpu"], wall_empty=b_wall, cpu_empty=b_cpu, rss=full["rss"])
                    print("   %s done" % task.key, flush=True)
                data["playbook_ratios"] = {}
                for kind in ("present", "info"):
                    ours, theirs = data["playbook"]["ours-" + kind], data["playbook"]["theirs-" + kind]
                    data["playbook_ratios"][kind] = {m: ours[m] / theirs[m] for m in ("wall_per_task", "cpu_per_task", "rss")}
            if args.profile:
                print("== Profiling one run of each task")
                data["profile"] = {t.key: profile(t, sim, tmp) for t in all_tasks if t.kind != "early"}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the payloads embed the simulator's client secret
    data["machine"]["loadavg_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")
    print()
    print(report(data))
    print("\nFull figures: %s" % args.json)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-simulator":
        sys.exit(serve_simulator(sys.argv[2:]))
    sys.exit(main())
