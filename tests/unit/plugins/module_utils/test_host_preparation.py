"""Host preparation: settings refused before anything is sent, the scripts and their Run Command request, reading
what Azure answers, the check-then-apply flow, and the Linux script run for real against faked system commands."""

import base64
import json
import shutil
import subprocess
import types

import pytest
from azure.core.exceptions import HttpResponseError

from ansible_collections.azmove.site_recovery.plugins.module_utils import _host_preparation as hp
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import WaitTimeout

PASSWORD = "Pa55'w\"ord $HOME `x` \\n"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests it's me"


# -- settings ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,text", [
    ({"os_type": "windows"}, "account is required on Windows"),
    ({"os_type": "windows", "account": "a" * 21}, "is not a Windows local account name"),
    ({"os_type": "windows", "account": "bad/name"}, "is not a Windows local account name"),
    ({"os_type": "windows", "account": "admin", "authorized_key": KEY}, "authorized_key is for Linux"),
    ({"os_type": "linux", "account": "azureuser"}, "uses the root account"),
    ({"os_type": "linux", "authorized_key": "not a key"}, "one public key line"),
    ({"os_type": "linux", "authorized_key": KEY + "\nssh-rsa AAAA second"}, "one public key line"),
    ({"os_type": "linux", "password": ""}, "password is empty"),
    ({"os_type": "solaris"}, "windows or linux"),
])
def test_settings_that_cannot_work_are_refused(kw, text):
    with pytest.raises(hp.PreparationError) as err:
        hp.Settings(**kw)
    assert text in str(err.value)


def test_account_kinds_and_defaults():
    assert hp.Settings("Windows", account="CONTOSO\\svc-push").kind == "domain"
    assert hp.Settings("windows", account="svc-push@contoso.gov").kind == "domain"
    assert hp.Settings("windows", account="asr-push").kind == "local"
    assert hp.Settings("windows", state="absent").account is None
    linux = hp.Settings("linux", password="S3cret-pw")
    assert linux.account == "root" and linux.kind == "local"
    assert "S3cret-pw" not in repr(linux)


# -- the scripts and the request -----------------------------------------------------------------------------
def test_quoting():
    assert hp.ps_quote("it's") == "'it''s'"
    assert hp.ps_quote("a\u2019b") == "'a\u2019\u2019b'"  # PowerShell also ends a string at a typographic quote
    for text in ("it's", "$(touch /tmp/x)", "a'\"'b", "`back`"):
        out = subprocess.run(["sh", "-c", "printf %s " + hp.sh_quote(text)], capture_output=True, text=True, check=True)
        assert out.stdout == text


def test_windows_script_carries_settings_not_the_password():
    settings = hp.Settings("windows", account="o'brien", password=PASSWORD, firewall=False, update_password="on_create")
    script = hp.build_script(settings)
    assert script[0].startswith("# azmove.site_recovery host preparation (windows) v1")
    assert script[1] == "param([string]$AZMOVE_MODE = 'check', [string]$AZMOVE_SECRET = '')"  # the first statement
    assert "$Account = 'o''brien'" in script and "$ManageFirewall = $false" in script
    assert "$UpdatePassword = 'on_create'" in script and "$AccountKind = 'local'" in script
    assert PASSWORD not in "\n".join(script) and hp.encode_secret(PASSWORD) not in "\n".join(script)


def test_request_parameters_mode_and_the_secret_only_when_needed():
    present = hp.run_command_input(hp.Settings("linux", password=PASSWORD, authorized_key=KEY), "apply")
    assert present["commandId"] == "RunShellScript"
    assert present["parameters"][0] == {"name": "AZMOVE_MODE", "value": "apply"}
    secret = present["parameters"][1]
    assert secret["name"] == "AZMOVE_SECRET" and base64.b64decode(secret["value"]).decode() == PASSWORD
    assert "AUTHORIZED_KEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests it'\\''s me'" in present["script"]
    absent = hp.run_command_input(hp.Settings("windows", state="absent", password=PASSWORD), "check")
    assert absent["commandId"] == "RunPowerShellScript" and absent["parameters"] == [{"name": "AZMOVE_MODE", "value": "check"}]


@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_linux_script_parses(shell):
    assert shutil.which(shell), shell + " is needed: the script must run under Debian's /bin/sh (dash) and bash"
    script = "\n".join(hp.build_script(hp.Settings("linux", password="x", authorized_key=KEY))) + "\n"
    subprocess.run([shell, "-n"], input=script, text=True, check=True)


# -- what comes back ------------------------------------------------------------------------------------------
RESULT = {"os": "windows", "mode": "check", "changes": ["registry_value_set"], "before": {"a": 0}, "after": {"a": 1},
          "notes": [], "errors": []}


def test_windows_streams():
    answer = {"value": [
        {"code": "ComponentStatus/StdOut/succeeded", "level": "Info", "message": "noise\r\nAZMOVE-RESULT %s\r\n" % json.dumps(RESULT)},
        {"code": "ComponentStatus/StdErr/succeeded", "level": "Info", "message": "warning: x"}]}
    stdout, stderr, failed = hp.output_streams(answer)
    assert stderr == "warning: x" and not failed
    assert hp.parse_result(stdout)["changes"] == ["registry_value_set"]


@pytest.mark.parametrize("message,out,err,failed", [
    ("Enable succeeded: \n[stdout]\nline\n\n[stderr]\n", "line\n", "", False),
    ("Enable succeeded: \n[stdout]\n\n[stderr]\n", "", "", False),
    ("Enable succeeded: \n[stdout]\nhello\nworld\n[stderr]\nwarn\n", "hello\nworld", "warn\n", False),
    ("Enable failed: failed to execute command: command terminated with exit status=1\n[stdout]\nx\n\n[stderr]\nbad\n",
     "x\n", "bad\n", True),
])
def test_linux_message(message, out, err, failed):
    code = "ProvisioningState/failed/0" if failed else "ProvisioningState/succeeded"
    assert hp.output_streams({"value": [{"code": code, "message": message}]}) == (out, err, failed)


def test_the_last_result_line_counts_and_a_broken_one_is_none():
    assert hp.parse_result("AZMOVE-RESULT {\"changes\": [\"a\"]}\nAZMOVE-RESULT {\"changes\": []}\n")["changes"] == []
    assert hp.parse_result("AZMOVE-RESULT {not json") is None
    assert hp.parse_result("nothing here") is None
    assert hp.parse_result('AZMOVE-RESULT {"os": "linux"}') == {"os": "linux", "changes": [], "notes": [], "errors": []}


def test_failures_say_what_happened_with_the_end_of_the_streams():
    with pytest.raises(hp.ScriptFailure) as err:
        hp.outcome(None, "x" * 5000 + "END", "boom", True, "vm1", "apply")
    assert "printed no result line and failed" in err.value.message and "boom" in err.value.message
    assert err.value.stdout.endswith("END") and len(err.value.stdout) <= hp.TAIL_CHARS + 3
    bad = dict(RESULT, errors=["The local account x does not exist; give its password to create it."])
    with pytest.raises(hp.ScriptFailure) as err:
        hp.outcome(bad, "", "", False, "vm1", "check")
    assert "does not exist" in err.value.message and err.value.result is bad


# -- check, then apply ----------------------------------------------------------------------------------------
class FakeResponse:
    def __init__(self, status, body):
        self.status_code, self.reason, self.headers, self.url = status, "Reason", {}, "https://arm.example/x"
        self._body, self.content_type, self.request = json.dumps(body).encode(), "application/json", None

    def body(self):
        return self._body

    def text(self, encoding=None):
        return self._body.decode()

    def json(self):
        return json.loads(self._body)


def busy():
    return HttpResponseError(response=FakeResponse(409, {"error": {
        "code": "Conflict", "message": "Run command extension execution is in progress. Please wait for completion "
                                       "before invoking a run command."}}))


class FakePoller:
    def __init__(self, answer):
        self.answer = answer

    def wait(self, timeout=None):
        return None

    def done(self):
        return True

    def result(self):
        return self.answer


class FakeCompute:
    """virtual_machines.begin_run_command answering from a list: a result dict, or an exception to raise."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []
        self.virtual_machines = self

    def begin_run_command(self, resource_group, name, body):
        self.sent.append(body)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        line = "AZMOVE-RESULT " + json.dumps(answer)
        return FakePoller({"value": [{"code": "ProvisioningState/succeeded",
                                      "message": "Enable succeeded: \n[stdout]\n%s\n\n[stderr]\n" % line}]})


class FakeClock:
    def __init__(self):
        self.t = 0.0
        self.slept = []

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.t += seconds


def result(mode, changes):
    return dict(RESULT, mode=mode, changes=changes)


def preparation(compute, clock=None, timeout=100):
    return hp.HostPreparation(compute, "rg", "vm1", hp.Settings("linux", password="pw"), timeout, clock=clock or FakeClock())


def mode_of(body):
    return [p.value for p in body.parameters if p.name == "AZMOVE_MODE"][0]


def test_nothing_to_do_is_one_read_only_run():
    compute = FakeCompute(result("check", []))
    changed, first, last = preparation(compute).prepare(check_mode=False)
    assert not changed and first is last and [mode_of(b) for b in compute.sent] == ["check"]


def test_a_difference_is_read_then_changed():
    compute = FakeCompute(result("check", ["password_authentication_enabled"]), result("apply", ["password_authentication_enabled"]))
    prep = preparation(compute)
    changed, first, last = prep.prepare(check_mode=False)
    assert changed and first["mode"] == "check" and last["mode"] == "apply" and prep.modes == ["check", "apply"]
    assert [mode_of(b) for b in compute.sent] == ["check", "apply"]


def test_check_mode_only_reads():
    compute = FakeCompute(result("check", ["sshd_reloaded"]))
    changed, _first, last = preparation(compute).prepare(check_mode=True)
    assert changed and last["changes"] == ["sshd_reloaded"] and len(compute.sent) == 1


def test_a_run_command_in_progress_is_waited_for_then_gives_up():
    clock = FakeClock()
    compute = FakeCompute(busy(), busy(), result("check", []))
    assert preparation(compute, clock).prepare(check_mode=False)[0] is False
    assert clock.slept == [hp.BUSY_RETRY_SECONDS, hp.BUSY_RETRY_SECONDS]
    with pytest.raises(WaitTimeout) as err:
        preparation(FakeCompute(*[busy()] * 10), FakeClock(), timeout=40).prepare(check_mode=False)
    assert "another Run Command was running" in str(err.value)


def test_other_refusals_are_not_retried():
    stopped = HttpResponseError(response=FakeResponse(409, {"error": {
        "code": "OperationNotAllowed", "message": "The operation requires the VM to be running (or set to run)."}}))
    with pytest.raises(HttpResponseError):
        preparation(FakeCompute(stopped)).prepare(check_mode=False)


# -- the Linux script, run for real against faked system commands ---------------------------------------------
FAKES = {
    # sshd -T -f FILE: the effective global settings (first value wins); sshd -t -f FILE: refuses a second sftp subsystem
    "sshd": r"""#!/bin/sh
file=$3
[ -r "$file" ] || { echo "cannot read $file" >&2; exit 255; }
if [ "$1" = -t ]; then
    [ "$(awk 'tolower($1) == "subsystem" && $2 == "sftp"' "$file" | wc -l)" -le 1 ] || { echo "Subsystem 'sftp' already defined." >&2; exit 255; }
    exit 0
fi
awk '/^[[:space:]]*#/ || NF == 0 { next } { k = tolower($1) }
     k == "passwordauthentication" && !pa { pa = $2 }
     k == "permitrootlogin" && !prl { prl = $2 }
     k == "subsystem" && $2 == "sftp" && !sftp { sftp = $3 }
     END { print "passwordauthentication " (pa ? pa : "yes"); print "permitrootlogin " (prl ? prl : "prohibit-password");
           if (sftp) print "subsystem sftp " sftp }' "$file"
""",
    "getent": '#!/bin/sh\n[ "$1" = shadow ] && grep "^$2:" "$FAKE_ROOT/shadow"\n',
    "chpasswd": r"""#!/bin/sh
IFS= read -r line
hash=$(AZPW="${line#*:}" perl -e 'print crypt($ENV{AZPW}, q($6$fakesalt$))')
printf '%s:%s:19000:0:99999:7:::\n' "${line%%:*}" "$hash" > "$FAKE_ROOT/shadow"
echo chpasswd >> "$FAKE_ROOT/log"
""",
    "systemctl": '#!/bin/sh\necho "systemctl $*" >> "$FAKE_ROOT/log"\nif [ "$1" = cat ]; then [ "$2" = ssh.service ]; fi\n',
    "apt-get": r"""#!/bin/sh
echo "apt-get $*" >> "$FAKE_ROOT/log"
case " $* " in *" -s "*) if [ -f "$FAKE_ROOT/ca-outdated" ]; then echo "Inst ca-certificates [1] (2 Ubuntu:20.04/focal-updates [all])"; fi; exit 0 ;; esac
rm -f "$FAKE_ROOT/ca-outdated"
""",
}
# Everything else that could change this machine is a no-op that only logs.
LOGGING_FAKES = ("service", "dnf", "yum", "zypper", "update-ca-certificates", "update-ca-trust", "restorecon", "passwd",
                 "usermod", "useradd")
SSHD_CONFIG = """# sample sshd_config
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin prohibit-password
PasswordAuthentication no
#Subsystem sftp /usr/lib/openssh/sftp-server
UsePAM yes
"""


@pytest.fixture
def guest(tmp_path):
    assert shutil.which("perl"), "perl is needed to fake chpasswd"
    root = tmp_path / "guest"
    (root / "bin").mkdir(parents=True)
    (root / "home").mkdir()
    for name, text in FAKES.items():
        (root / "bin" / name).write_text(text)
    for name in LOGGING_FAKES:
        (root / "bin" / name).write_text('#!/bin/sh\necho "%s $*" >> "$FAKE_ROOT/log"\n' % name)
    for path in (root / "bin").iterdir():
        path.chmod(0o755)
    (root / "sshd_config").write_text(SSHD_CONFIG)
    (root / "shadow").write_text("root:!:19000:0:99999:7:::\n")
    (root / "ca-outdated").write_text("")
    (root / "log").write_text("")
    return root


def run_linux(guest, settings, mode, shell="sh"):
    data = hp.run_command_input(settings, mode)
    lines = [{"SSHD_CONFIG='/etc/ssh/sshd_config'": "SSHD_CONFIG=%s" % hp.sh_quote(str(guest / "sshd_config")),
              "ROOT_HOME='/root'": "ROOT_HOME=%s" % hp.sh_quote(str(guest / "home"))}.get(line, line) for line in data["script"]]
    text = "\n".join(lines) + "\n"
    assert "/etc/ssh/sshd_config'" not in text and "ROOT_HOME='/root'" not in text  # never this machine's files
    env = {"PATH": "%s:/usr/bin:/bin" % (guest / "bin"), "HOME": str(guest), "TMPDIR": str(guest), "FAKE_ROOT": str(guest)}
    env.update({p["name"]: p["value"] for p in data["parameters"]})
    done = subprocess.run([shell, "-s"], input=text, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert PASSWORD not in done.stdout + done.stderr
    return done, hp.parse_result(done.stdout)


def linux_settings(**kw):
    return hp.Settings("linux", **dict({"password": PASSWORD, "authorized_key": KEY}, **kw))


ALL_LINUX = ["root_password_set", "authorized_key_added", "password_authentication_enabled", "permit_root_login_enabled",
             "sftp_subsystem_enabled", "sshd_reloaded", "ca_certificates_updated"]


@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_linux_script_check_apply_again_and_absent(guest, shell):
    assert shutil.which(shell), shell + " is needed: the script must run under Debian's /bin/sh (dash) and bash"
    settings = linux_settings()
    done, res = run_linux(guest, settings, "check", shell)
    assert done.returncode == 0, done.stderr
    assert res["mode"] == "check" and res["changes"] == ALL_LINUX and res["errors"] == []
    assert res["before"] == {"password_authentication": "no", "permit_root_login": "prohibit-password",
                             "sftp_subsystem": False, "root_password_set": False, "root_password_current": None,
                             "authorized_key_present": False, "ca_certificates_current": False,
                             "azmove_sshd_block": False}
    assert res["after"]["password_authentication"] == "yes" and res["after"]["root_password_current"] is True
    assert (guest / "sshd_config").read_text() == SSHD_CONFIG and "chpasswd" not in (guest / "log").read_text()

    done, res = run_linux(guest, settings, "apply", shell)
    assert done.returncode == 0, done.stderr
    assert res["mode"] == "apply" and res["changes"] == ALL_LINUX and res["errors"] == []
    assert res["after"] == {"password_authentication": "yes", "permit_root_login": "yes", "sftp_subsystem": True,
                            "root_password_set": True, "root_password_current": True, "authorized_key_present": True,
                            "ca_certificates_current": True, "azmove_sshd_block": True}
    config = (guest / "sshd_config").read_text()
    assert config == ("# BEGIN azmove.site_recovery: Site Recovery push install\nPasswordAuthentication yes\n"
                      "PermitRootLogin yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n"
                      "# END azmove.site_recovery\n" + SSHD_CONFIG)
    assert (guest / "home" / ".ssh" / "authorized_keys").read_text() == KEY + "\n"
    log = (guest / "log").read_text()
    assert "systemctl reload-or-try-restart ssh.service" in log and "--only-upgrade ca-certificates" in log

    for mode in ("apply", "check"):  # nothing left to do
        done, res = run_linux(guest, settings, mode, shell)
        assert done.returncode == 0 and res["changes"] == [] and res["after"]["root_password_current"] is True

    done, res = run_linux(guest, linux_settings(state="absent"), "apply", shell)
    assert res["changes"] == ["sshd_settings_restored", "sshd_reloaded"]
    assert res["after"]["password_authentication"] == "no" and res["after"]["azmove_sshd_block"] is False
    assert (guest / "sshd_config").read_text() == SSHD_CONFIG  # exactly as before
    assert run_linux(guest, linux_settings(state="absent"), "apply", shell)[1]["changes"] == []


def test_linux_script_a_new_password_is_set_and_on_create_leaves_it(guest):
    run_linux(guest, linux_settings(), "apply")
    other = linux_settings(password="another one")
    assert run_linux(guest, other, "check")[1]["changes"] == ["root_password_set"]
    assert run_linux(guest, linux_settings(password="another one", update_password="on_create"), "check")[1]["changes"] == []


def test_linux_script_refuses_root_without_password_or_key_and_changes_nothing(guest):
    done, res = run_linux(guest, hp.Settings("linux"), "apply")
    assert done.returncode == 1 and res["changes"] == [] and res["after"] == res["before"]
    assert res["errors"] == ["root has no password and no key was given: give the root password the replication "
                             "appliance (or configuration server) holds."]
    assert (guest / "sshd_config").read_text() == SSHD_CONFIG and (guest / "log").read_text().count("apt-get") == 1


def test_linux_script_will_not_write_a_config_sshd_refuses(guest):
    (guest / "sshd_config").write_text(SSHD_CONFIG.replace("#Subsystem", "Subsystem") + "Subsystem sftp internal-sftp\n")
    original = (guest / "sshd_config").read_text()
    done, res = run_linux(guest, linux_settings(), "apply")
    assert done.returncode == 1 and "fails sshd -t" in res["errors"][0]
    assert (guest / "sshd_config").read_text() == original


def test_the_simulator_plays_the_linux_script_the_way_it_runs(guest):
    """The simulator's model of the script (tests/simulator) against the real script, from the same starting state."""
    from azsim.providers import compute_runcommand as sim_rc
    from azsim.providers.siterecovery_cs import HOST_DEFAULTS

    sim = types.SimpleNamespace(signing_key=b"k")
    facts = dict(HOST_DEFAULTS, sshd_password_authentication=False, sshd_permit_root_login="prohibit-password",
                 sftp_subsystem=False, root_password_set=False, ca_certificates_current=False)
    for mode in ("check", "apply"):
        data = hp.run_command_input(linux_settings(), mode)
        plan = sim_rc.interpret(sim, data["script"], data["parameters"])
        assert plan["mode"] == mode and set(plan["statements"]) == set(sim_rc.STATEMENTS["linux"])
        run = sim_rc.LinuxRun(plan, facts)
        before = run.present()
        real = run_linux(guest, linux_settings(), mode)[1]
        assert run.changes == real["changes"]
        assert before == real["before"] and run.state() == real["after"]


def test_the_simulator_recognises_every_statement_and_setting_of_both_scripts():
    from azsim.providers import compute_runcommand as sim_rc

    sim = types.SimpleNamespace(signing_key=b"k")
    windows = hp.run_command_input(hp.Settings("windows", account="o'brien", password=PASSWORD, firewall=False), "apply")
    plan = sim_rc.interpret(sim, windows["script"], windows["parameters"])
    assert plan["os"] == "windows" and plan["mode"] == "apply" and plan["secret"]
    assert set(plan["statements"]) == set(sim_rc.STATEMENTS["windows"])
    assert plan["settings"] == {"account": "o'brien", "account_kind": "local", "state": "present", "firewall": False,
                                "update_password": "always"}
    linux = hp.run_command_input(hp.Settings("linux", authorized_key=KEY, update_ca_certificates=False), "check")
    plan = sim_rc.interpret(sim, linux["script"], linux["parameters"])
    assert plan["mode"] == "check" and plan["secret"] is None
    assert plan["settings"] == {"state": "present", "authorized_key": KEY, "update_password": "always",
                                "update_ca_certificates": "no"}
