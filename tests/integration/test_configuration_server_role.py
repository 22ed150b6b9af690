"""The configuration_server role. Its Windows tasks cannot run here, so: the playbooks parse, the task list is
what the README says, the Unified Setup command line and INI files it builds are right (rendered on localhost
with tasks_from: command_line.yml), secrets go by file only, and bad input stops before any task."""

import pytest

import roletools
from conftest import ROOT
from roletools import load, playbook, require_modules

ROLE = ROOT / "roles" / "configuration_server"
SECRETS = {
    "configuration_server_mysql_root_password": "R00t-Pw-7f3a9c",
    "configuration_server_mysql_user_password": "Us3r-Pw-51be02",
    "configuration_server_passphrase": "Passphrase-e6d4a1",
}
BASE = dict(
    SECRETS,
    configuration_server_vault_credentials_file="/srv/keys/rsv-move_2026-03-02T09-15-04.VaultCredentials",
    configuration_server_vault_name="rsv-move",
    configuration_server_vault_resource_group="rg-move",
    configuration_server_cs_ip="10.10.1.10",
    configuration_server_ps_ip="10.10.1.11",
    configuration_server_install_location="E:\\Program Files\\Microsoft Azure Site Recovery",
    configuration_server_setup_url="https://example.invalid/MicrosoftAzureSiteRecoveryUnifiedSetup.exe",
)


def render(tmp_path, **overrides):
    return roletools.render(tmp_path, "configuration_server_command_line.yml", BASE, **overrides)


def switch(argv, name):
    """The value after a switch (switches are matched without case, as Windows programs do)."""
    lowered = [a.lower() for a in argv]
    assert name.lower() in lowered, "%s missing from %s" % (name, argv)
    return argv[lowered.index(name.lower()) + 1]


# -- the command line ----------------------------------------------------------------------------

def test_every_mandatory_switch_is_there(tmp_path):
    out, _unused = render(tmp_path)
    argv = out["argv"]
    assert argv[0] == "C:\\Temp\\azmove-asr\\Extracted\\UNIFIEDSETUP.EXE"
    assert "/AcceptThirdpartyEULA" in argv
    assert switch(argv, "/ServerMode") == "CS"
    assert switch(argv, "/InstallLocation") == BASE["configuration_server_install_location"]
    assert switch(argv, "/EnvType") == "NonVMware"
    assert switch(argv, "/PSIP") == "10.10.1.11"
    assert switch(argv, "/CSIP") == "10.10.1.10"
    secrets_dir = "C:\\Temp\\azmove-asr\\secrets\\"
    assert switch(argv, "/MySQLCredsFilePath") == secrets_dir + "MySQLCredentials.txt"
    assert switch(argv, "/VaultCredsFilePath") == secrets_dir + "rsv-move_2026-03-02T09-15-04.VaultCredentials"
    assert switch(argv, "/PassphraseFilePath") == secrets_dir + "Passphrase.txt"
    # Nothing optional unless asked for.
    for optional in ("/BypassProxy", "/ProxySettingsFilePath", "/DataTransferSecurePort", "/SkipSpaceCheck",
                     "/ShowThirdpartyEULA"):
        assert optional.lower() not in [a.lower() for a in argv]


def test_secrets_go_by_file_never_on_the_command_line(tmp_path):
    proxy_password = "Proxy-Pw-0c9d"
    out, output = render(tmp_path, configuration_server_proxy={"address": "10.0.0.5", "port": 3128, "username": "svc",
                                                               "password": proxy_password})
    for secret in list(SECRETS.values()) + [proxy_password]:
        assert secret not in " ".join(out["argv"]) and secret not in out["command"]
        assert secret not in output
    # Every file switch points into the folder the role locks down and deletes afterwards.
    for name in ("/MySQLCredsFilePath", "/VaultCredsFilePath", "/PassphraseFilePath", "/ProxySettingsFilePath"):
        assert switch(out["argv"], name).startswith("C:\\Temp\\azmove-asr\\secrets\\")


def test_optional_switches(tmp_path):
    out, _unused = render(tmp_path, configuration_server_bypass_proxy=True, configuration_server_data_transfer_secure_port=9443,
                          configuration_server_skip_space_check=True, configuration_server_env_type="VMware",
                          configuration_server_work_dir="D:\\asr")
    argv = out["argv"]
    assert "/BypassProxy" in argv and "/SkipSpaceCheck" in argv
    assert switch(argv, "/DataTransferSecurePort") == "9443"
    assert switch(argv, "/EnvType") == "VMware"
    assert argv[0] == "D:\\asr\\Extracted\\UNIFIEDSETUP.EXE"
    assert switch(argv, "/PassphraseFilePath") == "D:\\asr\\secrets\\Passphrase.txt"


def test_command_string_quotes_paths_with_spaces(tmp_path):
    out, _unused = render(tmp_path)
    assert '/InstallLocation "E:\\Program Files\\Microsoft Azure Site Recovery"' in out["command"]
    assert " /ServerMode CS " in out["command"] and out["command"].startswith("C:\\Temp\\azmove-asr\\Extracted\\UNIFIEDSETUP.EXE ")


def test_ini_files_are_as_documented(tmp_path):
    out, _unused = render(tmp_path, configuration_server_proxy={"address": "10.0.0.5", "port": 3128})
    assert out["mysql_ini"] == (
        '[MySQLCredentials]\r\nMySQLRootPassword = "R00t-Pw-7f3a9c"\r\nMySQLUserPassword = "Us3r-Pw-51be02"\r\n')
    assert out["proxy_ini"] == (
        '[ProxySettings]\r\nProxyAuthentication = "No"\r\nProxy IP = "10.0.0.5"\r\nProxyPort = "3128"\r\n'
        'ProxyUserName=""\r\nProxyPassword=""\r\n')


# -- input validation ----------------------------------------------------------------------------

def test_missing_required_variables_stop_before_any_task(tmp_path):
    partial = {k: v for k, v in BASE.items() if k not in ("configuration_server_passphrase", "configuration_server_cs_ip")}
    done = playbook(tmp_path, "configuration_server_arguments.yml", partial)
    assert done.returncode != 0
    assert "configuration_server_passphrase" in done.output and "configuration_server_cs_ip" in done.output
    assert "Check the inputs" not in done.output  # the first task of the role never ran
    for secret in SECRETS.values():
        assert secret not in done.output


def test_bad_choice_is_refused(tmp_path):
    done = playbook(tmp_path, "configuration_server_arguments.yml", dict(BASE, configuration_server_env_type="Physical"))
    assert done.returncode != 0
    assert "configuration_server_env_type" in done.output and "NonVMware" in done.output


# -- the role's files ----------------------------------------------------------------------------


def test_every_variable_is_documented():
    spec = load(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = load(ROLE / "defaults" / "main.yml")
    assert set(defaults) <= set(spec), set(defaults) - set(spec)
    for name, option in spec.items():
        assert name.startswith("configuration_server_")
        assert option.get("description"), name
        assert option.get("type"), name
        if not option.get("required"):
            assert name in defaults or name in ("configuration_server_connections",), "%s has no default" % name
    for secret in SECRETS:
        assert spec[secret].get("no_log") is True and spec[secret].get("required") is True
    assert spec["configuration_server_proxy"]["options"]["password"]["no_log"] is True


def test_tasks_that_handle_secrets_do_not_log():
    tasks = load(ROLE / "tasks" / "install.yml")
    block = next(t for t in tasks if "block" in t)["block"]
    for task in block:
        module = task.get("ansible.windows.win_copy")
        if module and ("content" in module or "VaultCredentials" in task["name"] or "registration key" in task["name"]):
            assert task.get("no_log") == "{{ configuration_server_no_log | bool }}", task["name"]
            assert task.get("diff") is False, task["name"]
    always = next(t for t in tasks if "block" in t)["always"]
    assert always[0]["ansible.windows.win_file"] == {"path": "{{ __configuration_server_secrets_dir }}", "state": "absent"}


def test_endpoints_of_both_clouds_are_listed():
    endpoints = load(ROLE / "vars" / "main.yml")["__configuration_server_endpoints"]
    assert endpoints["AzureCloud"]["entra_id"] == ["login.microsoftonline.com"]
    assert endpoints["AzureUSGovernment"]["entra_id"] == ["login.microsoftonline.us"]
    assert "*.hypervrecoverymanager.windowsazure.com" in endpoints["AzureCloud"]["replication_management"]
    assert "*.hypervrecoverymanager.windowsazure.us" in endpoints["AzureUSGovernment"]["replication_management"]
    assert "*.blob.core.usgovcloudapi.net" in endpoints["AzureUSGovernment"]["storage"]
    assert "time.windows.com" in endpoints["AzureCloud"]["time"] and "time.nist.gov" in endpoints["AzureUSGovernment"]["time"]


# -- the whole role parses -----------------------------------------------------------------------

@pytest.fixture
def windows_collections():
    require_modules("ansible.windows.win_command", "azmove.site_recovery.configuration_server_info")


def test_syntax_check(tmp_path, windows_collections):
    done = playbook(tmp_path, "configuration_server_syntax.yml", {}, "--syntax-check")
    assert done.returncode == 0, done.output[-4000:]


def test_task_list(tmp_path, windows_collections):
    done = playbook(tmp_path, "configuration_server_syntax.yml", {}, "--list-tasks")
    assert done.returncode == 0, done.output[-4000:]
    listed = done.output
    for name in ("Validating arguments against arg spec 'main'", "Check that the locale is English",
                 "Check that AD DS, IIS and Hyper-V are not installed", "Check that nothing listens on port 443",
                 "Check that FIPS mode is off", "Check the free space where Site Recovery is installed",
                 "Check the clock", "Probe HTTPS 443 to the endpoints of the vault's cloud",
                 "Write the MySQL credentials file", "Download Unified Setup", "Extract Unified Setup",
                 "Run Unified Setup (configuration server and process server)",
                 "Wait until the vault lists the configuration server", "Say which run-as accounts to add by hand"):
        assert name in listed, name
