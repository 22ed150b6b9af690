# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""requirements.txt lists every Azure package the plugins import (directly or as a client the modules build by
name), and nothing the plugins no longer import: a package listed for nothing narrows what can share the
environment (azure.azcollection pins azure-mgmt-recoveryservices and -backup to other versions than ours)."""

import re
from pathlib import Path

from ansible_collections.azmove.site_recovery.plugins.module_utils import _module

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(?:from|import)\s+(azure(?:\.mgmt)?\.[a-z_]+)", re.M)
FROM_AZURE = re.compile(r"^\s*from\s+azure\s+import\s+([a-z_]+)", re.M)  # from azure import identity


def distribution(module_path):
    """azure.mgmt.compute.models -> azure-mgmt-compute; azure.core -> azure-core."""
    parts = module_path.split(".")
    return "-".join(parts[:3] if parts[1] == "mgmt" else parts[:2]).replace("_", "-")


def listed():
    names = set()
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            names.add(re.split(r"[<>=!~;\[ ]", entry, 1)[0].lower())
    return names


def imported():
    found = {}
    for path in (ROOT / "plugins").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        modules = [m.group(1) for m in IMPORT.finditer(text)] + ["azure." + m.group(1) for m in FROM_AZURE.finditer(text)]
        for module_path in modules:
            found.setdefault(distribution(module_path), set()).add(path.relative_to(ROOT).as_posix())
    for kind, (module_path, _cls, package) in _module.CLIENTS.items():
        if module_path.startswith("azure."):
            assert distribution(module_path) == package, kind
            found.setdefault(package, set()).add("module_utils/_module.py CLIENTS[%r]" % kind)
    return found


def test_every_azure_package_the_plugins_import_is_a_requirement():
    missing = {dist: sorted(where) for dist, where in imported().items() if dist not in listed()}
    assert missing == {}, "imported but not in requirements.txt: %s" % missing


def test_no_azure_package_is_a_requirement_the_plugins_do_not_import():
    unused = sorted(n for n in listed() if n.startswith("azure-") and n not in imported())
    assert unused == [], "in requirements.txt but imported by no plugin: %s" % unused
