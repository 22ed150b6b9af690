"""The replication_appliance role. Its Windows tasks cannot run here, so: the playbooks parse, the task list is
what the README says, the installer command line, the steps and the registration instructions it builds are right
(rendered on localhost with tasks_from: command_line.yml), the key never reaches a command line or the output,
and bad input stops before any task."""

import json

import pytest
import yaml

import roletools
from conftest import ROOT
from roletools import load, playbook, require_modules

ROLE = ROOT / "roles" / "replication_appliance"
KEY = "ApplianceKey-3f9e1c7b0d2a4e58"
BASE = dict(
    replication_appliance_vault_name="rsv-move",
    replication_appliance_vault_resource_group="rg-move",
    replication_appliance_friendly_name="asr-appliance-01",
    replication_appliance_key=KEY,
)


def render(tmp_path, **overrides):
    return roletools.render(tmp_path, "replication_appliance_command_line.yml", BASE, **overrides)


# -- the installer and the steps -----------------------------------------------------------------
def test_installer_runs_drinstaller_without_invented_switches(tmp_path):
    out, _unused = render(tmp_path)
    argv = out["argv"]
    assert argv[0] == "powershell.exe"
    assert argv[-2:] == ["-File", "C:\\Temp\\azmove-appliance\\Extracted\\DRInstaller.ps1"]
    # Only powershell.exe's own switches: DRInstaller.ps1 gets no argument (none are documented).
    assert argv[1:-2] == ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass"]
    assert out["command"] == ("powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "
                              "C:\\Temp\\azmove-appliance\\Extracted\\DRInstaller.ps1")


def test_steps_default_to_the_documented_zip(tmp_path):
    out, _unused = render(tmp_path)
    steps = out["steps"]
    assert steps[0].startswith("Download https://aka.ms/V2ARcmApplianceCreationPowershellZip to "
                               "C:\\Temp\\azmove-appliance\\ApplianceCreation.zip")
    assert "no checksum given" in steps[0]
    assert "DRInstaller.ps1" in steps[2] and "no switches" in steps[2]
    assert "C:\\ProgramData\\azmove\\replication_appliance\\installed.json" in steps[3]
    assert "asr-appliance-01" in steps[4] and "device code" in steps[4]
    assert "rsv-move" in steps[5] and "healthy" in steps[5]


def test_steps_with_checksum_work_dir_and_local_zip(tmp_path):
    out, _unused = render(tmp_path, replication_appliance_zip_checksum="ab" * 32, replication_appliance_work_dir="D:\\appliance",
                          replication_appliance_zip_src="/srv/zips/appliance.zip", replication_appliance_wait_healthy=False)
    assert out["steps"][0].startswith("Copy /srv/zips/appliance.zip to D:\\appliance\\ApplianceCreation.zip")
    assert "sha256 checksum" in out["steps"][0]
    assert out["argv"][-1] == "D:\\appliance\\Extracted\\DRInstaller.ps1"
    assert "healthy" not in out["steps"][5]


def test_registration_instructions(tmp_path):
    out, _unused = render(tmp_path)
    text = "\n".join(out["instructions"])
    for expected in ("configuration manager", "asr-appliance-01", "rsv-move", "Prepare infrastructure", "device code",
                     "5 minutes", "30 minutes", "one at a time", "replication_appliance_registered=true",
                     "C:\\Temp\\azmove-appliance\\secrets\\replication-appliance-key.txt"):
        assert expected in text, expected
    out, _unused = render(tmp_path, replication_appliance_stage_key=False)
    assert "secrets" not in "\n".join(out["instructions"])


def test_the_key_is_never_on_a_command_line_or_in_the_output(tmp_path):
    out, output = render(tmp_path)
    assert KEY not in json.dumps(out)
    assert KEY not in output
    # In the task files the key is used only by the no_log assert and the no_log file write.
    uses = []
    for path in (ROLE / "tasks").glob("*.yml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "replication_appliance_key " in line or "replication_appliance_key }}" in line or "replication_appliance_key |" in line:
                uses.append((path.name, line.strip()))
    assert uses and all(name == "register.yml" for name, _line in uses), uses
    register = load(ROLE / "tasks" / "register.yml")
    manual = register[0]["block"]
    key_assert = next(t for t in manual if t["name"] == "Check that the replication appliance key is given")
    assert key_assert["no_log"] == "{{ replication_appliance_no_log | bool }}"
    staged = next(t for t in manual if "block" in t)["block"]
    write = next(t for t in staged if t["name"] == "Write the replication appliance key")
    assert write["no_log"] == "{{ replication_appliance_no_log | bool }}" and write["diff"] is False
    assert set(write["ansible.windows.win_copy"]) == {"content", "dest"}
    assert "replication_appliance_key" not in yaml.safe_dump(load(ROLE / "tasks" / "install.yml"))


# -- input validation ----------------------------------------------------------------------------

def test_missing_vault_stops_before_any_task(tmp_path):
    partial = {k: v for k, v in BASE.items() if k != "replication_appliance_vault_name"}
    done = playbook(tmp_path, "replication_appliance_arguments.yml", partial)
    assert done.returncode != 0
    assert "replication_appliance_vault_name" in done.output
    assert "Look for the appliance created earlier" not in done.output  # the first task of the role never ran
    assert KEY not in done.output


def test_bad_cloud_is_refused(tmp_path):
    done = playbook(tmp_path, "replication_appliance_arguments.yml", dict(BASE, replication_appliance_endpoint_cloud="AzureChina"))
    assert done.returncode != 0
    assert "replication_appliance_endpoint_cloud" in done.output and "AzureUSGovernment" in done.output
    assert KEY not in done.output


def test_bad_credential_os_is_refused(tmp_path):
    done = playbook(tmp_path, "replication_appliance_arguments.yml",
                    dict(BASE, replication_appliance_credentials=[{"name": "linux-root", "os": "Solaris"}]))
    assert done.returncode != 0
    assert "os" in done.output and "Linux" in done.output


# -- the role's files ----------------------------------------------------------------------------

def test_every_variable_is_documented():
    spec = load(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = load(ROLE / "defaults" / "main.yml")
    assert set(defaults) <= set(spec), set(defaults) - set(spec)
    for name, option in spec.items():
        assert name.startswith("replication_appliance_")
        assert option.get("description"), name
        assert option.get("type"), name
        if not option.get("required"):
            assert name in defaults or name == "replication_appliance_connections", "%s has no default" % name
        elif name in defaults:
            pytest.fail("%s is required and has a default" % name)
    assert spec["replication_appliance_key"]["no_log"] is True
    assert spec["replication_appliance_endpoint_cloud"]["choices"] == ["AzureCloud", "AzureUSGovernment"]
    assert defaults["replication_appliance_zip_url"] == "https://aka.ms/V2ARcmApplianceCreationPowershellZip"


def test_endpoints_of_both_clouds_are_listed():
    endpoints = load(ROLE / "vars" / "main.yml")["__replication_appliance_endpoints"]
    public, gov = endpoints["AzureCloud"], endpoints["AzureUSGovernment"]
    assert {"portal.azure.com", "management.azure.com", "login.windows.net", "aka.ms"} <= set(public["probe"])
    assert {"*.hypervrecoverymanager.windowsazure.com", "*.servicebus.windows.net", "*.blob.core.windows.net"} <= set(public["firewall"])
    assert {"portal.azure.us", "management.usgovcloudapi.net", "login.microsoftonline.us"} <= set(gov["probe"])
    assert {"*.hypervrecoverymanager.windowsazure.us", "*.vault.usgovcloudapi.net"} <= set(gov["firewall"])
    for cloud in (public, gov):
        assert not [h for h in cloud["probe"] if "*" in h or "/" in h]


# -- the whole role parses -----------------------------------------------------------------------

@pytest.fixture
def windows_collections():
    require_modules("ansible.windows.win_command", "azmove.site_recovery.replication_appliance_info")


def test_syntax_check(tmp_path, windows_collections):
    done = playbook(tmp_path, "replication_appliance_syntax.yml", {}, "--syntax-check")
    assert done.returncode == 0, done.output[-4000:]


def test_task_list(tmp_path, windows_collections):
    done = playbook(tmp_path, "replication_appliance_syntax.yml", {}, "--list-tasks")
    assert done.returncode == 0, done.output[-4000:]
    for name in ("Validating arguments against arg spec 'main'", "Check the operating system", "Check the processors and memory",
                 "Check that the locale is English", "Check the disk sizes", "Check that FIPS mode is off",
                 "Check the group policies", "Check that the appliance's ports are free", "Check the clock",
                 "Probe HTTPS 443 to the endpoints of the vault's cloud", "Download the appliance creation zip",
                 "Extract the appliance creation zip", "Run DRInstaller.ps1", "Write the marker",
                 "Write the replication appliance key", "Say how to register the appliance", "Stop until the registration is done",
                 "Wait until the vault lists the appliance", "Delete the staged replication appliance key",
                 "Say which credentials to add by hand", "Check that the vault lists the credentials"):
        assert name in done.output, name
