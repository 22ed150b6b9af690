"""The collection as a user gets it: the built tarball, installed with ansible-galaxy into a fresh virtual environment
that holds only requirements.txt and ansible-core, imports every Python requirement its modules document, and runs
every phase playbook of the demo (prepare, then replicate, test, cutover, decommission, status, cleanup of the first
wave) against the simulator.

Nothing of the development tree is on the way: ANSIBLE_COLLECTIONS_PATH names only the temporary install, the
playbook runs from an empty directory with the fresh environment's ansible-playbook, and PYTHONPATH is unset.
Wheels are kept in .build/wheelhouse, so only the first run downloads them.
"""

import glob
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPO_PYTHON = ROOT / ".venv" / "bin" / "python"
WHEELHOUSE = ROOT / ".build" / "wheelhouse"
SEED = ROOT / "tests" / "simulator" / "seed" / "demo.json"
FLEET = ROOT / "tests" / "demo" / "fleet.py"
sys.path.insert(0, str(ROOT / "tests" / "simulator"))
sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))

from azsim import testing  # noqa: E402
from simhelpers import client_kwargs, credential  # noqa: E402

TARGET_RG = "rg-landing-eastus"


def ansible_core_requirement():
    """The ansible-core range the project is tested with (requirements-dev.txt), so the fresh venv matches it."""
    for line in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if re.match(r"ansible-core\b", line):
            return line
    raise AssertionError("requirements-dev.txt names no ansible-core range")


def run(cmd, **kwargs):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, "%s failed (%d):\n%s\n%s" % (cmd, done.returncode, done.stdout[-4000:], done.stderr[-4000:])
    return done


def clean_env(**extra):
    """The environment of a user's shell: none of the variables the Makefile or the test runner set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV", "PYTEST", "MOLECULE_"))}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A new virtual environment with requirements.txt and ansible-core only (wheels from .build/wheelhouse)."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--clear", venv])
    python = venv / "bin" / "python"
    wanted = ["-r", ROOT / "requirements.txt", ansible_core_requirement()]
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    env = clean_env()
    # Offline from the wheelhouse when it already holds everything; otherwise fill it first, then install from it.
    # (--no-compile: byte-compiling the whole Azure SDK would take longer than the rest of the install.)
    install = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", "--no-index",
               "--find-links", WHEELHOUSE] + wanted
    offline = subprocess.run([str(c) for c in install], capture_output=True, text=True, check=False, env=env)
    if offline.returncode != 0:
        run([python, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--wheel-dir", WHEELHOUSE] + wanted,
            env=env)
        run(install, env=env)
    listed = run([python, "-m", "pip", "list", "--format=freeze"], env=env).stdout.lower()
    # Only the runtime requirements: none of the development tools came along.
    for tool in ("ansible-lint", "pytest", "molecule", "antsibull"):
        assert not re.search(r"^%s==" % re.escape(tool), listed, re.M), tool + " is in the fresh venv"
    return venv / "bin"


@pytest.fixture(scope="module")
def installed(fresh_venv, tmp_path_factory):
    """The collection built into a tarball and installed with ansible-galaxy into a collections path of its own."""
    work = tmp_path_factory.mktemp("galaxy")
    env = clean_env(ANSIBLE_HOME=str(work / "home"))
    run([fresh_venv / "ansible-galaxy", "collection", "build", "--force", "--output-path", work / "dist", ROOT], env=env)
    tarballs = glob.glob(str(work / "dist" / "azmove-site_recovery-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    collections = work / "collections"
    # --no-deps: ansible.windows is only for the Windows roles, which the demo does not run.
    run([fresh_venv / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", collections, tarballs[0]],
        env=env)
    installed_root = collections / "ansible_collections" / "azmove" / "site_recovery"
    assert (installed_root / "MANIFEST.json").is_file()
    assert not installed_root.is_symlink()
    return collections


@pytest.fixture(scope="module")
def demo_simulator(tmp_path_factory):
    """The simulator, run from the repository with its own .venv (test infrastructure, not part of the install)."""
    state = tmp_path_factory.mktemp("demo-state")
    endpoints = testing.start(str(state), time_factor=0, seed=str(SEED), python=str(REPO_PYTHON))
    try:
        yield state, endpoints
    finally:
        testing.stop(str(state))


def target_client(endpoints, kind):
    sub = endpoints["clouds"]["public"]["subscription_id"]
    cred, kw = credential(endpoints, "public"), client_kwargs(endpoints, "public")
    if kind == "network":
        from azure.mgmt.network import NetworkManagementClient
        return NetworkManagementClient(cred, sub, **kw)
    from azure.mgmt.recoveryservices import RecoveryServicesClient
    return RecoveryServicesClient(cred, sub, **kw)


def documented_requirements(root):
    """{distribution: version spec} of every requirement in the DOCUMENTATION of the collection's modules, inventory
    plugin and doc fragments (python itself left out)."""
    out = {}
    for path in sorted(glob.glob(str(Path(root) / "plugins" / "*" / "*.py"))):
        text = Path(path).read_text(encoding="utf-8")
        block = re.search(r"^requirements:\n((?:[ \t]+- .*\n)+)", text, re.M)
        for line in block.group(1).splitlines() if block else ():
            entry = line.strip()[2:].strip()
            name, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", entry).groups()
            if name.lower() != "python":
                out.setdefault(name.lower(), set()).add(spec.replace(" ", ""))
    return out


IMPORT_CHECK = """
import importlib, importlib.metadata, json, sys
out = {}
for dist in json.loads(sys.argv[1]):
    module = dist.replace("-", ".") if dist.startswith("azure-") else dist.replace("-", "_")
    try:
        importlib.import_module(module)
        out[dist] = importlib.metadata.version(dist)
    except Exception as exc:  # noqa: BLE001  (reported by the test, with the requirement's name)
        out[dist] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(out))
"""


def test_every_documented_requirement_imports_in_the_fresh_venv(fresh_venv):
    """requirements.txt brings every Python library a module documents, in a version the documentation admits."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    wanted = documented_requirements(ROOT)
    assert "azure-mgmt-resource" in wanted and "azure-mgmt-core" in wanted, wanted
    done = run([fresh_venv / "python", "-c", IMPORT_CHECK, json.dumps(sorted(wanted))], env=clean_env())
    found = json.loads(done.stdout)
    problems = []
    for dist, specs in sorted(wanted.items()):
        try:
            version = Version(found[dist])
        except InvalidVersion:
            problems.append("%s: %s" % (dist, found[dist]))
            continue
        problems += ["%s %s does not satisfy %s" % (dist, version, spec) for spec in specs if spec and version not in SpecifierSet(spec)]
    assert not problems, "requirements.txt does not install what the modules document:\n" + "\n".join(problems)


def test_prepare_phase_runs_from_the_installed_tarball(fresh_venv, installed, demo_simulator, tmp_path):
    state, endpoints = demo_simulator
    repo_env = dict(os.environ, PYTHONPATH=str(ROOT / "tests" / "simulator"))
    run([REPO_PYTHON, FLEET, "files", state], env=repo_env)
    # The appliance's own steps (its configuration manager), played as soon as prepare has created the vault.
    appliance = subprocess.Popen([str(REPO_PYTHON), str(FLEET), "appliance", str(state)], env=repo_env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_HOME=str(tmp_path / "home"),
                        ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        play = subprocess.run([str(fresh_venv / "ansible-playbook"), "azmove.site_recovery.prepare",
                               "-i", str(state / "source.azure_vms.yml"), "-e", "@" + str(state / "move.yml")],
                              cwd=str(tmp_path), env=env, capture_output=True, text=True, check=False, timeout=600)
        appliance_out = appliance.communicate(timeout=120)[0]
    finally:
        if appliance.poll() is None:
            appliance.kill()
            appliance.wait()
    assert play.returncode == 0, play.stdout[-6000:] + play.stderr[-3000:]
    assert appliance.returncode == 0, appliance_out
    recap = play.stdout[play.stdout.rindex("PLAY RECAP"):]
    assert re.search(r"ok=\d+", recap) and not re.search(r"(failed|unreachable)=[1-9]", recap), recap
    # Ansible found the collection in the tarball's install, and nowhere else.
    found = json.loads(run([fresh_venv / "ansible-galaxy", "collection", "list", "azmove.site_recovery", "--format", "json"],
                           cwd=str(tmp_path), env=env).stdout)
    assert list(found) == [str(installed / "ansible_collections")], found

    vault = target_client(endpoints, "recoveryservices").vaults.get(TARGET_RG, "rsv-move-demo")
    assert vault.location == "eastus" and vault.properties.provisioning_state == "Succeeded"
    networks = {n.name for n in target_client(endpoints, "network").virtual_networks.list(TARGET_RG)}
    assert {"vnet-app-gov", "vnet-app-gov-test"} <= networks, networks
    # The phase ends with the wave's report (from the templates the tarball carries): every machine, next step named.
    report = json.loads((state / "reports" / "wave-report.json").read_text(encoding="utf-8"))
    assert sorted(m["next_step"] for m in report["machines"]) == ["enable replication"] * 4, report["machines"]
    assert "vm-app-lnx01" in (state / "reports" / "wave-report.html").read_text(encoding="utf-8")


def play_installed(fresh_venv, installed, state, tmp_path, phase, *extra):
    """A phase playbook run as a user runs it: the fresh venv's ansible-playbook, the installed tarball, the demo's files."""
    env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_HOME=str(tmp_path / "home"),
                    ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return subprocess.run([str(fresh_venv / "ansible-playbook"), "azmove.site_recovery." + phase,
                           "-i", str(state / "source.azure_vms.yml"), "-e", "@" + str(state / "move.yml")] + list(extra),
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, check=False, timeout=900)


# After prepare (the test above): the first wave through every other phase, each naming its wave.
LATER_PHASES = [
    ("replicate", ["-l", "wave_1"]),
    ("test", ["-l", "wave_1"]),
    ("cutover", ["-l", "wave_1"]),
    # backup relocation first (vault_settings imports azure-mgmt-resource), then the sources are deleted.
    ("decommission", ["-l", "wave_1", "-e", "move_decommission_confirm=true"]),
    ("status", ["-l", "wave_2"]),
    ("cleanup", ["-e", "move_cleanup_confirm=true"]),
]


def test_every_phase_runs_from_the_installed_tarball(fresh_venv, installed, demo_simulator, tmp_path):
    state, endpoints = demo_simulator
    admin = testing.AdminClient(endpoints)
    for phase, extra in LATER_PHASES:
        log = admin.requests(limit=100000)
        mark = log[-1]["id"] if log else 0
        play = play_installed(fresh_venv, installed, state, tmp_path, phase, *extra)
        output = play.stdout + play.stderr
        assert "Failed to import" not in output and "No module named" not in output, (phase, output[-4000:])
        assert play.returncode == 0, (phase, output[-6000:])
        arm = [r for r in admin.requests(since=mark, limit=100000) if r["port"] == "arm" and "/metadata/" not in r["path"]]
        assert arm, (phase, "made no request to Azure", output[-3000:])
    report = json.loads((state / "reports" / "wave-report.json").read_text(encoding="utf-8"))
    assert {m["name"] for m in report["machines"]} == {"vm-app-lnx01", "vm-app-lnx02"}, report["machines"]  # status of wave_2
