# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The repository never points outside itself (issue 18): no tracked file cites the project's private notes
(FACTS.md and its sections, NOTES.md, INMAGERCM_REST.md, SOURCES.md) or the folder they live in (shared/azure-api,
beside a checkout), which users never have. Cite the primary source instead: a Microsoft Docs article by its azure-docs path,
an Az PowerShell source file, a REST spec path, or tests/simulator/tests/reference/ for the copied examples."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The repository's own copy of the REST examples and recordings keeps the provenance notes it was copied with.
EXCLUDED_PREFIX = "tests/simulator/tests/reference/"
# This file names the forbidden pointers in order to find them.
SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()
FORBIDDEN = re.compile(r"FACTS(\.md|\s*§|\s+sections?\b)|NOTES\.md|INMAGERCM_REST|SOURCES\.md|shared/azure-api|\.\./shared")


def tracked_files():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    return [name for name in out.decode("utf-8").split("\0") if name]


def test_no_tracked_file_points_outside_the_repository():
    found = []
    for name in tracked_files():
        if name.startswith(EXCLUDED_PREFIX) or name == SELF:
            continue
        path = ROOT / name
        if not path.is_file():  # deleted in the work tree but still in the index
            continue
        data = path.read_bytes()
        if b"\0" in data:  # binary
            continue
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
            match = FORBIDDEN.search(line)
            if match:
                found.append("%s:%d: %s" % (name, number, match.group(0)))
    assert not found, "pointers to files outside the repository (cite the primary source instead):\n" + "\n".join(found)
