"""Running a role's test playbook on localhost (for roles whose real tasks need Windows), shared by the role tests."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import PLAY_PYTHON, ROOT

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"


def collections_path():
    # The repository's collection first; a developer's own path (with ansible.windows, say) after it.
    extra = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    return os.pathsep.join([str(ROOT / ".build" / "collections")] + ([extra] if extra else []))


def playbook(tmp_path, name, extra=None, *flags):
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra or {}))
    os.chmod(vars_file, 0o600)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER=PLAY_PYTHON, ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"))
    cmd = [str(Path(PLAY_PYTHON).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
           str(PLAYBOOKS / name), "-e", "@%s" % vars_file, *flags]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    done.output = done.stdout + done.stderr
    return done


def render(tmp_path, name, base, **overrides):
    """Run a command_line.yml test playbook; return (the facts it wrote, the output)."""
    result = tmp_path / "command_line.json"
    done = playbook(tmp_path, name, dict(base, result_file=str(result), **overrides))
    assert done.returncode == 0, done.output[-4000:]
    return json.loads(result.read_text()), done.output


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def resolvable(module):
    """True when ansible-doc finds `module` in the collections the tests use."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path())
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-doc"), "-t", "module", module, "--json"],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    return done.returncode == 0 and module in done.stdout


def require_modules(*modules):
    """Fail, never skip, when a module a role test needs is missing: `make collection` installs them all
    (ansible.windows comes from the pinned ansible wheel)."""
    missing = [m for m in modules if not resolvable(m)]
    if missing:
        pytest.fail("not installed: %s; run `make collection`" % ", ".join(missing))
