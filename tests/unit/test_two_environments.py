# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Beside azure.azcollection (docs/azcollection.md): our requirements.txt admits every pin of azure.azcollection 3.12.0
(tests/unit/data) for a package both name, needs no Recovery Services SDK, and the docs' table says so; and the
two-image recipe's second definition is one ansible-builder accepts and that installs azure.azcollection.

tests/build/test_beside_azcollection.py builds the shared environment itself and runs a play using both."""

import subprocess
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
THEIRS = ROOT / "tests" / "unit" / "data" / "azcollection-3.12.0-requirements.txt"
DOC = ROOT / "docs" / "azcollection.md"
EE = ROOT / "docs" / "awx" / "azcollection-ee.yml"


def requirements(path):
    out = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            req = Requirement(entry)
            out[req.name.lower()] = req
    return out


def pinned(req):
    specs = list(req.specifier)
    return specs[0].version if len(specs) == 1 and specs[0].operator == "==" else None


def test_our_ranges_admit_every_pin_azure_azcollection_has_for_a_package_we_need():
    ours, theirs = requirements(ROOT / "requirements.txt"), requirements(THEIRS)
    shared = sorted(name for name in theirs if name in ours)
    blockers = ["%s==%s against our %s" % (name, pinned(theirs[name]), ours[name].specifier)
                for name in shared if pinned(theirs[name]) and pinned(theirs[name]) not in ours[name].specifier]
    assert blockers == []
    assert {"azure-mgmt-core", "azure-mgmt-resource", "azure-mgmt-compute", "azure-mgmt-network"} <= set(shared)
    # No Site Recovery, vault or backup SDK: the modules reach those APIs through azure-mgmt-core (_recovery_rest).
    assert not [name for name in ours if name.startswith("azure-mgmt-recoveryservices")]
    rows = {line.split("|")[1].strip(): line for line in DOC.read_text(encoding="utf-8").splitlines()
            if line.startswith("| azure-")}
    for name in shared:
        if name.startswith("azure-"):  # the table of docs/azcollection.md: their pin, then our range
            assert name in rows and "`==%s`" % pinned(theirs[name]) in rows[name], (name, rows.get(name))
            assert all(str(spec) in rows[name].split("|")[3] for spec in ours[name].specifier), rows[name]


def test_the_azure_azcollection_execution_environment_is_one_ansible_builder_builds(tmp_path):
    definition = yaml.safe_load(EE.read_text(encoding="utf-8"))
    assert definition["dependencies"]["galaxy"]["collections"] == [{"name": "azure.azcollection", "version": "3.12.0"}]
    done = subprocess.run([sys.executable, "-m", "ansible_builder", "create", "-f", str(EE), "-c", str(tmp_path / "ctx"),
                           "--output-filename", "Containerfile"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    containerfile = (tmp_path / "ctx" / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile and "introspect" in containerfile
    galaxy = yaml.safe_load((tmp_path / "ctx" / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert galaxy["collections"] == [{"name": "azure.azcollection", "version": "3.12.0"}]
    # Nothing of this collection in that image: each job template runs in the image of the collection it uses.
    assert "azmove" not in containerfile
