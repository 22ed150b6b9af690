# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""execution-environment.yml: ansible-builder accepts it, and the build context it makes installs this collection
(the tarball of the current version) and exactly the Python requirements of requirements.txt."""

import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EE_FILE = ROOT / "execution-environment.yml"


def requirement_lines(path):
    """The requirement entries of a pip requirements file: comments and blank lines dropped, spaces removed."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip().replace(" ", "")
        if entry:
            out.append(entry)
    return out


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """`ansible-builder create` run on a copy of the repository's definition, with a freshly built tarball."""
    if importlib.util.find_spec("ansible_builder") is None:
        pytest.fail("ansible-builder is not installed: requirements-dev.txt needs 'ansible-builder>=3.1,<4'.")
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(EE_FILE, work / "execution-environment.yml")
    shutil.copy(ROOT / "requirements.txt", work / "requirements.txt")
    dist = work / ".build" / "dist"
    subprocess.run(
        [str(Path(sys.executable).parent / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist), str(ROOT)],
        check=True, capture_output=True, text=True,
    )
    ctx = work / "context"
    done = subprocess.run(
        [sys.executable, "-m", "ansible_builder", "create", "-f", str(work / "execution-environment.yml"), "-c", str(ctx),
         "--output-filename", "Containerfile"],
        check=False, capture_output=True, text=True, cwd=work,
    )
    assert done.returncode == 0, "ansible-builder create failed:\n%s%s" % (done.stdout, done.stderr)
    return ctx


def galaxy_version():
    return yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]


def test_python_requirements_are_exactly_the_collections(context):
    built = requirement_lines(context / "_build" / "requirements.txt")
    assert built == requirement_lines(ROOT / "requirements.txt")
    assert any(entry.startswith("azure-mgmt-core") for entry in built)


def test_collection_tarball_of_the_current_version_is_installed(context):
    version = galaxy_version()
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert galaxy["collections"] == [
        {"name": "/build/collections/azmove-site_recovery-%s.tar.gz" % version, "type": "file"}
    ], "execution-environment.yml names a tarball of another version than galaxy.yml's %s" % version

    # The Containerfile copies _build/ to /build before it installs the collections from requirements.yml.
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    galaxy_stage = containerfile.split("FROM base AS galaxy", 1)[1].split("FROM base AS builder", 1)[0]
    assert "COPY _build /build" in galaxy_stage
    assert "ansible-galaxy collection install" in galaxy_stage and "-r requirements.yml" in galaxy_stage

    tarball = context / "_build" / "collections" / ("azmove-site_recovery-%s.tar.gz" % version)
    assert tarball.is_file()
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
        shipped = tar.extractfile("requirements.txt").read().decode("utf-8")
        names = tar.getnames()
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == ("azmove", "site_recovery", version)
    # The build's introspection reads requirements.txt at the installed collection's root: the same entries.
    shipped_file = context / "shipped-requirements.txt"
    shipped_file.write_text(shipped, encoding="utf-8")
    assert requirement_lines(shipped_file) == requirement_lines(ROOT / "requirements.txt")
    assert "plugins/modules/replicated_machine.py" in names and "playbooks/move.yml" in names
    assert not any(name.startswith(("tests/", ".venv/")) for name in names)


def test_image_has_ansible_core_and_runner_the_collection_supports(context):
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    refs = [line for line in containerfile.splitlines() if line.startswith("ARG ANSIBLE_INSTALL_REFS=")]
    assert refs, containerfile
    assert "ansible-core>=2.17,<2.20" in refs[0] and "ansible-runner" in refs[0]
    requires = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))["requires_ansible"]
    assert requires.startswith(">=2.17"), "meta/runtime.yml requires %s; update execution-environment.yml's ansible-core" % requires
