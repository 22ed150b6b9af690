"""CHANGELOG.md is what antsibull-changelog makes of changelogs/ for the galaxy.yml version (tests/build/changelog.py
regenerates it after a fragment is added or changed)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_changelog_md_is_current():
    lint = subprocess.run([str(Path(sys.executable).parent / "antsibull-changelog"), "lint"], cwd=HERE.parents[1],
                          capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    done = subprocess.run([sys.executable, str(HERE / "changelog.py"), "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
