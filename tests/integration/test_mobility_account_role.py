"""The mobility_account role. Its Linux path runs against a real host in the molecule scenario linux_host; its
Windows path cannot run here, so: the task files parse (with the real ansible.windows), bad input stops before any
task touches the host, and the Windows path runs on localhost against stand-ins for the four ansible.windows
modules it uses, which record the arguments they get - that shows which tasks run for a local account, a domain
account and state absent, and that the password never reaches the output, even with -vvvv."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import roletools
from conftest import ROOT
from roletools import collections_path, load, playbook, require_modules

ROLE = ROOT / "roles" / "mobility_account"
PASSWORD = "Pw-7c1e0f9a2b_mobility"
WINDOWS_MODULES = ("win_user", "win_group_membership", "win_regedit", "win_powershell")
TOKEN_KEY = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System"

# A stand-in module: records its arguments (whether a password was given, never the password) and changes nothing.
STUB = '''
import json
import os

from ansible.module_utils.basic import AnsibleModule, _load_params


def main():
    given = _load_params()
    spec = {k: {"type": "raw", "no_log": k == "password"} for k in given if not k.startswith("_ansible")}
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    record = dict(module.params)
    if "password" in record:
        record["password"] = "given" if record["password"] else ""
    with open(os.environ["AZMOVE_STUB_LOG"], "a") as log:
        log.write(json.dumps({"module": "%s", "params": record, "check_mode": module.check_mode}) + "\\n")
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
'''


@pytest.fixture
def windows(tmp_path, monkeypatch):
    """Run the role with stand-ins for ansible.windows; returns run(extra, *flags) -> (done, calls)."""
    modules = tmp_path / "stubs" / "ansible_collections" / "ansible" / "windows" / "plugins" / "modules"
    modules.mkdir(parents=True)
    for name in WINDOWS_MODULES:
        (modules / (name + ".py")).write_text(STUB % name, encoding="utf-8")
    log = tmp_path / "calls.jsonl"
    real = roletools.collections_path
    monkeypatch.setattr(roletools, "collections_path", lambda: os.pathsep.join([str(tmp_path / "stubs"), real()]))
    monkeypatch.setenv("AZMOVE_STUB_LOG", str(log))

    def run(extra, *flags, os_type="windows"):
        if log.exists():
            log.unlink()
        given = dict({"mobility_account_os": os_type} if os_type else {}, **extra)
        done = playbook(tmp_path, "mobility_account_arguments.yml", given, *flags)
        calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
        return done, calls

    return run


def by_module(calls):
    found = {}
    for call in calls:
        found.setdefault(call["module"], []).append(call["params"])
    return found


# -- Windows, run against the stand-ins -------------------------------------------------------------------

def test_local_account(windows):
    done, calls = windows({"mobility_account_username": "asr-push", "mobility_account_password": PASSWORD}, "-vvvv")
    assert done.returncode == 0, done.output[-4000:]
    assert [c["module"] for c in calls] == ["win_user", "win_group_membership", "win_regedit", "win_powershell"]
    found = by_module(calls)
    assert found["win_user"] == [{"name": "asr-push", "password": "given", "update_password": "on_create",
                                  "account_disabled": False, "state": "present"}]
    assert found["win_group_membership"] == [{"name": "Administrators", "members": ["asr-push"], "state": "present"}]
    assert found["win_regedit"] == [{"path": TOKEN_KEY, "name": "LocalAccountTokenFilterPolicy", "data": 1, "type": "dword",
                                     "state": "present"}]
    firewall = found["win_powershell"][0]
    assert firewall["parameters"] == {"DisplayGroup": ["File and Printer Sharing", "Windows Management Instrumentation (WMI)"]}
    assert firewall["error_action"] == "stop"
    # Idempotent and check-mode aware: only disabled rules are enabled, and only when not in check mode.
    assert "SupportsShouldProcess" in firewall["script"] and "$PSCmdlet.ShouldProcess" in firewall["script"]
    assert "Where-Object { $_.Enabled -ne 'True' }" in firewall["script"] and "$Ansible.Changed = $true" in firewall["script"]
    assert PASSWORD not in done.output


@pytest.mark.parametrize("username, computer", [(".\\asr-push", None), ("WEB01\\asr-push", "WEB01"), ("web01\\asr-push", "WEB01")])
def test_local_account_written_with_the_computer_name(windows, username, computer):
    extra = {"mobility_account_username": username, "mobility_account_password": PASSWORD}
    if computer:
        extra["azmove_computer_name"] = computer
    done, calls = windows(extra)
    assert done.returncode == 0, done.output[-4000:]
    found = by_module(calls)
    assert found["win_user"][0]["name"] == "asr-push"
    assert found["win_group_membership"][0]["members"] == ["asr-push"]
    assert "win_regedit" in found


@pytest.mark.parametrize("username", ["CONTOSO\\asr-push", "asr-push@contoso.com"])
def test_domain_account_skips_the_registry_value(windows, username):
    # No password: the role neither creates nor changes a domain account.
    done, calls = windows({"mobility_account_username": username})
    assert done.returncode == 0, done.output[-4000:]
    assert [c["module"] for c in calls] == ["win_group_membership", "win_powershell"]
    assert by_module(calls)["win_group_membership"] == [{"name": "Administrators", "members": [username], "state": "present"}]
    assert "is a domain account - LocalAccountTokenFilterPolicy only matters for local" in done.output
    assert "skipped" in done.output


def test_options_firewall_and_group(windows):
    done, calls = windows({"mobility_account_username": "asr-push", "mobility_account_password": PASSWORD,
                           "mobility_account_firewall": False, "mobility_account_admin_group": "Administratoren",
                           "mobility_account_update_password": "always"})
    assert done.returncode == 0, done.output[-4000:]
    found = by_module(calls)
    assert "win_powershell" not in found
    assert found["win_group_membership"][0]["name"] == "Administratoren"
    assert found["win_user"][0]["update_password"] == "always"


def test_absent_removes_only_the_registry_value(windows):
    done, calls = windows({"mobility_account_username": "asr-push", "mobility_account_state": "absent"})
    assert done.returncode == 0, done.output[-4000:]
    assert calls == [{"module": "win_regedit", "check_mode": False,
                      "params": {"path": TOKEN_KEY, "name": "LocalAccountTokenFilterPolicy", "state": "absent"}}]


def test_absent_removes_the_account_when_asked(windows):
    done, calls = windows({"mobility_account_username": "asr-push", "mobility_account_state": "absent",
                           "mobility_account_remove_account": True})
    assert done.returncode == 0, done.output[-4000:]
    assert [(c["module"], c["params"]["state"]) for c in calls] == [("win_regedit", "absent"), ("win_user", "absent")]
    done, calls = windows({"mobility_account_username": "CONTOSO\\asr-push", "mobility_account_state": "absent",
                           "mobility_account_remove_account": True})
    assert done.returncode == 0, done.output[-4000:]
    assert calls == [{"module": "win_group_membership", "check_mode": False,
                      "params": {"name": "Administrators", "members": ["CONTOSO\\asr-push"], "state": "absent"}}]


def test_os_from_the_inventory_variable(windows):
    done, calls = windows({"mobility_account_username": "asr-push", "mobility_account_password": PASSWORD,
                           "azmove_os_type": "Windows"}, os_type=None)
    assert done.returncode == 0, done.output[-4000:]
    assert calls and calls[0]["module"] == "win_user"


# -- bad input stops before any task touches the host --------------------------------------------------------

def refused(tmp_path, extra):
    done = playbook(tmp_path, "mobility_account_arguments.yml", extra)
    assert done.returncode != 0, done.output[-4000:]
    for first_host_task in ("Read the host name, OS family and addresses", "Read root's home folder",
                            "Create or update the local account", "Make the account a member"):
        assert first_host_task not in done.output
    assert PASSWORD not in done.output
    return done.output


def test_linux_account_must_be_root(tmp_path):
    output = refused(tmp_path, {"mobility_account_os": "linux", "mobility_account_username": "azureuser",
                                "mobility_account_password": PASSWORD})
    assert "must log in as the built-in root account" in output and "95525" in output


def test_linux_needs_the_password(tmp_path):
    output = refused(tmp_path, {"mobility_account_os": "linux"})
    assert "Give mobility_account_password" in output and "root's password" in output


def test_local_windows_account_needs_the_password(tmp_path):
    output = refused(tmp_path, {"mobility_account_os": "windows", "mobility_account_username": "asr-push"})
    assert "Give mobility_account_password" in output and "created if it does not exist" in output


def test_windows_needs_an_account_name(tmp_path):
    output = refused(tmp_path, {"mobility_account_os": "windows", "mobility_account_password": PASSWORD})
    assert "Set mobility_account_username" in output
    output = refused(tmp_path, {"mobility_account_os": "windows", "mobility_account_username": "asr:push",
                                "mobility_account_password": PASSWORD})
    assert "Set mobility_account_username" in output


@pytest.mark.parametrize("name, value, expected", [
    ("mobility_account_state", "removed", "present, absent"),
    ("mobility_account_transport", "ssh", "direct, run_command"),
    ("mobility_account_os", "solaris", "windows, linux"),
    ("mobility_account_update_password", "never", "on_create, always"),
    ("mobility_account_firewall", "sometimes", "mobility_account_firewall"),
    ("mobility_account_host_ips", {"a": 1}, "mobility_account_host_ips"),
])
def test_bad_values_are_refused(tmp_path, name, value, expected):
    extra = {"mobility_account_os": "linux", "mobility_account_password": PASSWORD, name: value}
    output = refused(tmp_path, extra)
    assert name in output and expected in output


def test_unknown_os_is_refused(tmp_path):
    # No azmove_os_type and no facts: the default is "unknown", which the argument validation refuses.
    output = refused(tmp_path, {"mobility_account_password": PASSWORD})
    assert "mobility_account_os" in output and "got: unknown" in output


# -- the role's files ----------------------------------------------------------------------------------------

def test_every_variable_is_documented():
    spec = load(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = load(ROLE / "defaults" / "main.yml")
    assert set(defaults) == set(spec), set(defaults) ^ set(spec)
    for name, option in spec.items():
        assert name.startswith("mobility_account_")
        assert option.get("description"), name
        assert option.get("type"), name
        assert not option.get("required"), name
    assert spec["mobility_account_password"]["no_log"] is True
    assert spec["mobility_account_state"]["choices"] == ["present", "absent"]
    assert spec["mobility_account_transport"]["choices"] == ["direct", "run_command"]
    assert defaults["mobility_account_transport"] == "direct"
    assert defaults["mobility_account_update_password"] == "on_create"
    assert defaults["mobility_account_connection"] == "source"
    assert defaults["mobility_account_firewall"] is True and defaults["mobility_account_update_ca_certificates"] is True


def _tasks(node):
    for item in node if isinstance(node, list) else []:
        if isinstance(item, dict):
            yield item
            for key in ("block", "rescue", "always"):
                yield from _tasks(item.get(key))


def test_every_task_given_the_password_hides_its_output():
    uses = []
    for path in sorted((ROLE / "tasks").glob("*.yml")) + [ROLE / "handlers" / "main.yml"]:
        if path.name == "run_command.yml":
            continue  # another transport, with its own tests
        for task in _tasks(load(path)):
            own = {k: v for k, v in task.items() if k not in ("block", "rescue", "always")}
            text = yaml.safe_dump(own)
            # A template that reads the password (or the saved hash); the name in a message does not count.
            if re.search(r"\{\{[^}]*\b(mobility_account_password|__mobility_account_previous)\b", text):
                uses.append((path.name, task["name"], task.get("no_log")))
    assert {(name, task) for name, task, _no_log in uses} >= {
        ("windows.yml", "Create or update the local account"), ("linux.yml", "Set root's password"),
        ("linux.yml", "Restore root's previous password hash")}
    assert all(no_log is True for _name, _task, no_log in uses), uses


# -- the whole role parses -----------------------------------------------------------------------------------

@pytest.fixture
def windows_collection():
    require_modules("ansible.windows.win_regedit")


def test_syntax_check(tmp_path, windows_collection):
    done = playbook(tmp_path, "mobility_account_syntax.yml", {}, "--syntax-check")
    assert done.returncode == 0, done.output[-4000:]


def test_task_list(tmp_path, windows_collection):
    done = playbook(tmp_path, "mobility_account_syntax.yml", {}, "--list-tasks")
    assert done.returncode == 0, done.output[-4000:]
    for name in ("Validating arguments against arg spec 'main'", "Check that a Linux push install uses root",
                 "Check that the password is given", "Create or update the local account",
                 "Give remote logons of local accounts a full administrator token", "Say why LocalAccountTokenFilterPolicy is left alone",
                 "Allow File and Printer Sharing and WMI through the firewall", "Remove LocalAccountTokenFilterPolicy",
                 "Set root's password", "Let root log in with a password and allow SFTP", "Map the host name to the IPs of its NICs",
                 "Restore root's previous password hash", "Send SIGHUP to sshd", "Reload sshd through systemd"):
        assert name in done.output, name


def test_the_stand_ins_take_only_real_options(windows_collection):
    """The stand-ins accept anything, so check the options the role passes against the real modules' docs."""
    root = Path(collections_path().split(os.pathsep, maxsplit=1)[0]) / "ansible_collections" / "ansible" / "windows" / "plugins" / "modules"
    for path in (ROLE / "tasks" / "windows.yml",):
        for task in _tasks(load(path)):
            for module in WINDOWS_MODULES:
                args = task.get("ansible.windows." + module)
                if args is None:
                    continue
                source = (root / (module + ".py")).read_text(encoding="utf-8")
                documented = yaml.safe_load(source.split('DOCUMENTATION = r"""')[1].split('"""')[0]
                                            if 'DOCUMENTATION = r"""' in source else source.split("DOCUMENTATION = r'''")[1].split("'''")[0])
                assert set(args) <= set(documented["options"]), (module, set(args) - set(documented["options"]))


def test_lint(tmp_path):
    lint = Path(sys.executable).parent / "ansible-lint"
    assert lint.exists() and shutil.which("git"), "ansible-lint (requirements-dev.txt) and git are needed"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_HOME=str(tmp_path / "ansible-home"),
               PATH=os.pathsep.join([str(lint.parent), os.environ.get("PATH", "")]))
    done = subprocess.run([str(lint), "--profile", "production", "--offline", "--nocolor", "roles/mobility_account",
                           "extensions/molecule/linux_host", "tests/integration/playbooks/mobility_account_arguments.yml",
                           "tests/integration/playbooks/mobility_account_syntax.yml"],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
