"""Integration tests: run ansible-playbook against the simulator, as a user would."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "demo"))

import connections as demo_connections  # noqa: E402  (a sibling script, not a package)


# The Python environment the playbooks and modules run in: this one, unless AZMOVE_PLAY_PYTHON names another (the
# environment shared with azure.azcollection's pins that tests/build/test_beside_azcollection.py builds).
PLAY_PYTHON = os.environ.get("AZMOVE_PLAY_PYTHON") or sys.executable


class Runner:
    def __init__(self, endpoints, tmp_path):
        self.endpoints = endpoints
        self.tmp_path = tmp_path
        self.bin = Path(PLAY_PYTHON).parent

    def vars_file(self, extra=None, name="vars.json"):
        data = demo_connections.variables(self.endpoints)
        data.update(extra or {})
        path = self.tmp_path / name
        path.write_text(json.dumps(data))
        os.chmod(path, 0o600)
        return path

    def run(self, playbook, extra=None, verbosity=0, check=False, diff=False, env=None):
        cmd, full_env = self.command(playbook, extra, verbosity, check, diff, env)
        done = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=600, check=False)
        done.output = done.stdout + done.stderr
        return done

    def command(self, playbook, extra=None, verbosity=0, check=False, diff=False, env=None):
        """The ansible-playbook command line and environment a run uses (for tests that start it themselves)."""
        cmd = [str(self.bin / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(HERE / "playbooks" / playbook),
               "-e", "@%s" % self.vars_file(extra)]
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        full_env = dict(os.environ)
        full_env.update({"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build" / "collections"), "ANSIBLE_NOCOLOR": "1",
                         "ANSIBLE_HOST_KEY_CHECKING": "0", "ANSIBLE_PYTHON_INTERPRETER": PLAY_PYTHON,
                         "ANSIBLE_LOCAL_TEMP": str(self.tmp_path / "ansible-tmp")})
        # Nothing from the developer's own Azure setup may leak into a test.
        for key in list(full_env):
            if key.startswith("AZURE_"):
                del full_env[key]
        full_env.update(env or {})
        return cmd, full_env


@pytest.fixture(scope="module", autouse=True)
def gov_as_seeded(admin):
    """Each test file starts with the Government VMs as seeded (running, none deleted): the files share one
    simulator per worker, and which files a worker ran before this one (a failover shuts the sources down, a
    decommission deletes them) depends on how pytest-xdist spread them."""
    with open(ROOT / "tests" / "simulator" / "seed" / "demo.json", encoding="utf-8") as handle:
        admin.seed({"gov": json.load(handle)["gov"]})


@pytest.fixture
def runner(simulator, tmp_path):
    return Runner(simulator, tmp_path)


def assert_ok(done):
    assert done.returncode == 0, done.output[-6000:]


# -- killing a run the way a dying controller ends: all of it --------------------------------------------------
RUN_MARKER = "AZMOVE_TEST_RUN"


def run_processes(marker):
    """Every process of a run: ansible-playbook's workers call setsid(), so its process group is not enough; they
    (and the modules they run) carry the run's marker in their environment whoever their parent is now."""
    needle = ("%s=%s" % (RUN_MARKER, marker)).encode()
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/environ" % entry, "rb") as handle:
                    if needle in handle.read().split(b"\0"):
                        pids.append(int(entry))
            except OSError:
                pass  # gone, or not ours
    return pids


def crash(marker):
    """SIGKILL every process of the run (started with RUN_MARKER=marker in its environment): nothing of it goes on."""
    for attempt in range(100):  # pylint: disable=unused-variable
        pids = run_processes(marker)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    raise AssertionError("processes of the killed run are still there: %s" % run_processes(marker))
