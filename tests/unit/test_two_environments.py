# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Beside azure.azcollection (docs/azcollection.md): why one Python environment for both collections is still not
possible, checked against azure.azcollection 3.12.0's pins (tests/unit/data) and the packages installed here; and
the second execution environment of the recipe is one ansible-builder accepts and that installs azure.azcollection.

When the first test fails, one environment may have become possible: try it, and update docs/azcollection.md."""

import subprocess
import sys
from importlib import metadata
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


def test_one_environment_with_azure_azcollection_is_still_impossible_and_the_docs_say_why():
    ours, theirs = requirements(ROOT / "requirements.txt"), requirements(THEIRS)
    blockers = []
    # A package both list, whose pin is outside our range.
    for name, req in sorted(theirs.items()):
        if name in ours and pinned(req) and pinned(req) not in ours[name].specifier:
            blockers.append((name, "%s==%s against our %s" % (name, pinned(req), ours[name].specifier)))
    # Site Recovery's SDK: every release in our range (2.0 is the only one) needs an azure-mgmt-core their pin is not.
    sdk = "azure-mgmt-recoveryservicessiterecovery"
    assert metadata.version(sdk) in ours[sdk].specifier
    core_pin = pinned(theirs["azure-mgmt-core"])
    for entry in metadata.requires(sdk) or []:
        dep = Requirement(entry)
        if dep.name.lower() == "azure-mgmt-core" and core_pin not in dep.specifier:
            blockers.append((sdk, "%s %s needs %s; they pin azure-mgmt-core==%s" % (sdk, metadata.version(sdk), dep, core_pin)))
    assert [name for name, _why in blockers] == ["azure-mgmt-resource", sdk], blockers
    # The vault and backup SDKs they pin are no longer ours to need (the modules reach those APIs through azure-mgmt-core).
    assert "azure-mgmt-recoveryservices" not in ours and "azure-mgmt-recoveryservicesbackup" not in ours
    doc = DOC.read_text(encoding="utf-8")
    for name, _why in blockers:
        assert name in doc, "docs/azcollection.md does not name %s" % name
    assert "azure-mgmt-core==1.4.0" in doc and "awx/azcollection-ee.yml" in doc


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
