"""Beside azure.azcollection, in one Python environment (docs/azcollection.md): azure.azcollection 3.12.0, taken from
the ``ansible`` 12.3.0 package on PyPI, and this collection's built tarball are installed into one new virtual
environment with both collections' requirements.txt; pip resolves them (azure.azcollection's exact pins win where
both name a package), and one play uses both collections against the simulator's public cloud: azure.azcollection
creates the resource group, ours the vault in it, azure.azcollection reads our vault back.

azure.azcollection cannot reach a custom cloud as shipped (benchmarks/azcollection_cloud_shim.py says why); the
environment gets that stand-in, active for this play only. The phases of the move under these pins are run by
``make integration`` with AZMOVE_PLAY_PYTHON naming this environment (docs/azcollection.md, "What is tested").

The environment is kept in .build/shared-venv and rebuilt when a requirements file changes (some 1.6 GB, mostly
azure.azcollection's SDKs: about two minutes to build)."""

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPO_PYTHON = ROOT / ".venv" / "bin" / "python"
SHARED = ROOT / ".build" / "shared-venv"
ANSIBLE_BUNDLE = "ansible==12.3.0"
SHIM = ROOT / "benchmarks" / "azcollection_cloud_shim.py"
SEED = ROOT / "tests" / "simulator" / "seed" / "demo.json"
THEIRS_PINNED = ROOT / "tests" / "unit" / "data" / "azcollection-3.12.0-requirements.txt"
sys.path.insert(0, str(ROOT / "tests" / "simulator"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from azsim import testing  # noqa: E402
from test_installed_collection import ansible_core_requirement, clean_env, run  # noqa: E402

PLAY = """---
- name: One play, both collections, one Python environment
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The landing zone's resource group (azure.azcollection)
      azure.azcollection.azure_rm_resourcegroup:
        name: rg-shared-env
        location: "{{ cloud.default_location }}"
        disable_instance_discovery: true
        <<: &auth
          cloud_environment: "{{ cloud.metadata_url }}"
          subscription_id: "{{ cloud.subscription_id }}"
          client_id: "{{ cloud.client_id }}"
          secret: "{{ cloud.client_secret }}"
          tenant: "{{ cloud.tenant_id }}"
      register: group

    - name: The move's vault in it (azmove.site_recovery, with azure.azcollection's option names)
      azmove.site_recovery.recovery_vault:
        name: rsv-shared-env
        resource_group: rg-shared-env
        location: "{{ cloud.default_location }}"
        ca_bundle: "{{ ca_bundle }}"
        <<: *auth
      register: vault

    - name: The vault read back (azure.azcollection)
      azure.azcollection.azure_rm_recoveryservicesvault_info:
        name: rsv-shared-env
        resource_group: rg-shared-env
        disable_instance_discovery: true
        <<: *auth
      register: theirs_view

    - name: Write what each saw
      ansible.builtin.copy:
        content: "{{ {'group': group, 'vault': vault, 'theirs_view': theirs_view} | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def requirement_files_digest(theirs):
    digest = hashlib.sha256()
    for path in (ROOT / "requirements.txt", theirs):
        digest.update(Path(path).read_bytes())
    digest.update(ansible_core_requirement().encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def azcollection(tmp_path_factory):
    """azure.azcollection as the ansible package on PyPI ships it, in a collections path of its own."""
    work = tmp_path_factory.mktemp("ansible-wheel")
    run([REPO_PYTHON, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps", "--dest", work,
         ANSIBLE_BUNDLE], env=clean_env())
    collections = work / "collections"
    prefix = "ansible_collections/azure/azcollection/"
    with zipfile.ZipFile(next(work.glob("*.whl"))) as wheel:
        wheel.extractall(collections, [n for n in wheel.namelist() if n.startswith(prefix)])
    root = collections / prefix
    assert json.loads((root / "MANIFEST.json").read_text())["collection_info"]["version"] == "3.12.0"
    # The pins the unit tests and the docs reason about are the ones this package ships.
    shipped = [line for line in (root / "requirements.txt").read_text().splitlines() if line.strip()]
    stored = [line for line in THEIRS_PINNED.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert shipped == stored
    return collections


@pytest.fixture(scope="module")
def shared_venv(azcollection):
    """One virtual environment: ansible-core, our requirements.txt and azure.azcollection's."""
    theirs = azcollection / "ansible_collections" / "azure" / "azcollection" / "requirements.txt"
    python = SHARED / "bin" / "python"
    marker = SHARED / ".installed"
    wanted = requirement_files_digest(theirs)
    if not (marker.exists() and marker.read_text() == wanted and python.exists()):
        shutil.rmtree(SHARED, ignore_errors=True)
        run([sys.executable, "-m", "venv", SHARED])
        run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             ansible_core_requirement(), "-r", ROOT / "requirements.txt", "-r", theirs], env=clean_env())
        marker.write_text(wanted)
    run([python, "-m", "pip", "check"], env=clean_env())
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    shutil.copyfile(SHIM, site / SHIM.name)
    (site / "azcollection_cloud_shim.pth").write_text("import azcollection_cloud_shim\n")
    return SHARED / "bin"


def versions(bin_dir, names):
    code = "import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
    return json.loads(run([bin_dir / "python", "-c", code] + names).stdout)


def test_pip_resolves_both_collections_requirements_with_their_pins(shared_venv):
    ours = [line.split("#")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
            for line in (ROOT / "requirements.txt").read_text().splitlines()]
    ours = [name for name in ours if name]
    pins = {}
    for line in THEIRS_PINNED.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.strip().split("==")
            pins[name.lower()] = version
    shared = sorted(name for name in ours if name in pins)
    # What the two have in common, at azure.azcollection's exact versions (ours are ranges that admit them).
    assert {"azure-core", "azure-identity", "azure-mgmt-core", "azure-mgmt-compute", "azure-mgmt-network",
            "azure-mgmt-resource", "azure-mgmt-storage", "azure-mgmt-authorization"} <= set(shared), shared
    assert versions(shared_venv, shared) == {name: pins[name] for name in shared}


def test_one_play_uses_both_collections(shared_venv, azcollection, tmp_path):
    state = tmp_path / "sim"
    endpoints = testing.start(str(state), time_factor=0, seed=str(SEED), python=str(REPO_PYTHON))
    try:
        galaxy = tmp_path / "galaxy"
        env = clean_env(ANSIBLE_HOME=str(galaxy / "home"))
        run([shared_venv / "ansible-galaxy", "collection", "build", "--force", "--output-path", galaxy, ROOT], env=env)
        tarball = glob.glob(str(galaxy / "azmove-site_recovery-*.tar.gz"))[0]
        run([shared_venv / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", azcollection,
             tarball], env=env)
        cloud = endpoints["clouds"]["public"]
        variables = tmp_path / "vars.json"
        out = tmp_path / "seen.json"
        variables.write_text(json.dumps({"cloud": cloud, "ca_bundle": endpoints["ca_bundle"], "out": str(out)}))
        os.chmod(variables, 0o600)
        playbook = tmp_path / "both.yml"
        playbook.write_text(PLAY)
        scope = "%s/.default=%s/.default" % (cloud["resource_manager"].rstrip("/"), cloud["audience"].rstrip("/"))
        env = clean_env(ANSIBLE_COLLECTIONS_PATH=str(azcollection), ANSIBLE_HOME=str(tmp_path / "home"),
                        ANSIBLE_NOCOLOR="1", ANSIBLE_PYTHON_INTERPRETER=str(shared_venv / "python"),
                        REQUESTS_CA_BUNDLE=endpoints["ca_bundle"], AZURE_CONFIG_DIR=str(tmp_path / "azure-config"),
                        AZCOLLECTION_BENCH_SHIM="1", AZCOLLECTION_BENCH_SCOPE_MAP=scope)
        done = subprocess.run([str(shared_venv / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook),
                               "-e", "@%s" % variables], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                              check=False, timeout=600)
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
        seen = json.loads(out.read_text())
        assert seen["group"]["changed"] and seen["group"]["state"]["name"] == "rg-shared-env"
        assert seen["vault"]["changed"] and seen["vault"]["vault"]["resource_group"] == "rg-shared-env"
        theirs_view = seen["theirs_view"]["response"]
        assert theirs_view["name"] == "rsv-shared-env", theirs_view
        assert theirs_view["id"].lower() == seen["vault"]["vault"]["id"].lower()
        found = json.loads(run([shared_venv / "ansible-galaxy", "collection", "list", "--format", "json"],
                               env=env).stdout)
        listed = {name for path in found.values() for name in path}
        assert {"azure.azcollection", "azmove.site_recovery"} <= listed, found
    finally:
        testing.stop(str(state))
