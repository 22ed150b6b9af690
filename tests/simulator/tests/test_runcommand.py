"""virtualMachines/runCommand through azure-mgmt-compute: the result shapes, Azure's refusals, the recorded scripts
(without parameter values), the collection's host preparation scripts played against the guest, and the push install
codes that read the guest's facts."""
import base64
import json

import pytest
from azure.core.exceptions import HttpResponseError

import rcmsetup
from simhelpers import client_kwargs, credential

RG = "rg-runcommand-gov"
VMS = {  # name: (ip, os, power state)
    "rc-win01": ("10.10.7.4", "Windows", "running"),
    "rc-lnx01": ("10.10.7.5", "Linux", "running"),
    "rc-off01": ("10.10.7.6", "Windows", "stopped"),
}
PASSWORD = "Rc-Pa55'word\"$x"


@pytest.fixture(scope="module")
def cc(ep, admin):
    """A compute client of the Government subscription the test VMs are seeded in (its second)."""
    from azure.mgmt.compute import ComputeManagementClient
    sub = ep["clouds"]["gov"]["subscriptions"][1]
    admin.seed({"gov": {"subscription_id": sub, "virtual_networks": [{
        "name": "vnet-runcommand", "resource_group": RG, "address_space": "10.10.7.0/24",
        "subnets": [{"name": "default", "address_prefix": "10.10.7.0/24"}]}],
        "virtual_machines": [{"name": name, "resource_group": RG, "os_type": os_type, "private_ip": ip,
                              "vnet": "vnet-runcommand", "power_state": power, "admin_username": "azureuser"}
                             for name, (ip, os_type, power) in VMS.items()]}})
    return ComputeManagementClient(credential(ep), sub, **client_kwargs(ep))


def body(command_id, script, **parameters):
    from azure.mgmt.compute.models import RunCommandInput, RunCommandInputParameter
    return RunCommandInput(command_id=command_id, script=script,
                           parameters=[RunCommandInputParameter(name=k, value=v) for k, v in parameters.items()])


def run(cc, name, command_id, script, **parameters):
    return cc.virtual_machines.begin_run_command(RG, name, body(command_id, script, **parameters)).result().as_dict()


def refusal(call):
    with pytest.raises(HttpResponseError) as err:
        call()
    return err.value.status_code, err.value.error.code, err.value.error.message


def test_result_shapes_and_the_record_without_parameter_values(cc, admin):
    win = run(cc, "rc-win01", "RunPowerShellScript", ["Write-Output 'hello'"], Secret="s3cr3t-value")
    assert [s["code"] for s in win["value"]] == ["ComponentStatus/StdOut/succeeded", "ComponentStatus/StdErr/succeeded"]
    assert all(s["level"] == "Info" and s["displayStatus"] == "Provisioning succeeded" for s in win["value"])
    lnx = run(cc, "rc-lnx01", "RunShellScript", ["echo hello"])
    assert [s["code"] for s in lnx["value"]] == ["ProvisioningState/succeeded"]
    assert lnx["value"][0]["message"] == "Enable succeeded: \n[stdout]\n\n[stderr]\n"
    record = admin.run_commands("gov", "rc-win01")[-1]
    assert record["script"] == ["Write-Output 'hello'"] and record["command_id"] == "RunPowerShellScript"
    assert record["parameters"] == [{"name": "Secret", "value": "(not stored)"}]
    assert record["recognised"] is False and record["status"] == "Succeeded" and record["operation"]
    assert "s3cr3t-value" not in json.dumps(admin.run_commands("gov"))


def test_azure_refusals(cc, admin):
    assert refusal(lambda: run(cc, "rc-off01", "RunPowerShellScript", ["hostname"])) == (
        409, "OperationNotAllowed", "The operation requires the VM to be running (or set to run).")
    status, code, message = refusal(lambda: run(cc, "rc-win01", "RunShellScript", ["hostname"]))
    assert (status, code) == (409, "Conflict") and "does not match the target OS Windows" in message
    assert refusal(lambda: run(cc, "rc-win01", "NoSuchCommand", ["hostname"]))[:2] == (404, "NotFound")
    assert refusal(lambda: run(cc, "rc-missing", "RunShellScript", ["x"]))[:2] == (404, "ResourceNotFound")
    admin.set_time_factor(0.05)  # a Run Command takes 1.5 s: long enough to send a second one meanwhile
    first = cc.virtual_machines.begin_run_command(RG, "rc-lnx01", body("RunShellScript", ["sleep 1"]))
    status, code, message = refusal(lambda: run(cc, "rc-lnx01", "RunShellScript", ["uptime"]))
    assert (status, code) == (409, "Conflict")
    assert message == ("Run command extension execution is in progress. Please wait for completion before invoking a "
                       "run command.")
    assert first.result().value[0].code == "ProvisioningState/succeeded"
    admin.set_time_factor(0)
    assert run(cc, "rc-lnx01", "RunShellScript", ["uptime"])["value"]


def preparation(**kw):
    from ansible_collections.azmove.site_recovery.plugins.module_utils import _host_preparation as hp
    return hp, hp.Settings(**kw)


def result_of(hp, answer):
    stdout, _unused, failed = hp.output_streams(answer)
    return hp.parse_result(stdout), failed


def prepare(cc, name, hp, settings, mode):
    data = hp.run_command_input(settings, mode)
    return result_of(hp, run(cc, name, data["commandId"], data["script"],
                             **{p["name"]: p["value"] for p in data["parameters"]}))


def test_windows_preparation_check_apply_again_and_absent(cc, admin):
    hp, settings = preparation(os_type="windows", account="pushadmin", password=PASSWORD)
    admin.set_host("10.10.7.4", local_account_token_filter_policy=0, firewall_file_printer_sharing=False)
    result, _unused = prepare(cc, "rc-win01", hp, settings, "check")
    assert result["mode"] == "check" and result["errors"] == []
    assert result["changes"] == ["registry_value_set", "account_created", "added_to_administrators",
                                 "firewall_file_and_printer_sharing_enabled"]
    assert result["before"]["local_account_token_filter_policy"] == 0 and result["before"]["account_exists"] is False
    assert result["after"]["local_account_token_filter_policy"] == 1 and result["after"]["password_current"] is True
    facts = admin.host("10.10.7.4")
    assert facts["local_account_token_filter_policy"] == 0 and facts["local_users"] is None  # check changed nothing

    result, _unused = prepare(cc, "rc-win01", hp, settings, "apply")
    assert result["mode"] == "apply" and len(result["changes"]) == 4
    facts = admin.host("10.10.7.4")
    assert facts["local_account_token_filter_policy"] == 1 and facts["firewall_file_printer_sharing"] is True
    assert sorted(facts["local_users"]) == ["azureuser", "pushadmin"] and "pushadmin" in facts["local_admins"]
    assert PASSWORD not in json.dumps(facts) and facts["azmove_markers"] == {"local_account_token_filter_policy": 0}

    result, _unused = prepare(cc, "rc-win01", hp, settings, "check")
    assert result["changes"] == [] and result["after"]["password_current"] is True
    other = hp.Settings(os_type="windows", account="pushadmin", password="another-password")
    assert prepare(cc, "rc-win01", hp, other, "check")[0]["changes"] == ["password_set"]

    hp, absent = preparation(os_type="windows", state="absent")
    result, _unused = prepare(cc, "rc-win01", hp, absent, "apply")
    assert result["changes"] == ["registry_value_restored"] and result["after"]["local_account_token_filter_policy"] == 0
    result, _unused = prepare(cc, "rc-win01", hp, absent, "apply")
    assert result["changes"] == [] and "not set by azmove.site_recovery" in result["notes"][0]
    assert "pushadmin" in admin.host("10.10.7.4")["local_users"]  # absent leaves the account


def test_windows_errors_change_nothing_and_a_domain_account_is_noted(cc, admin):
    hp, settings = preparation(os_type="windows", account="nopassword")
    admin.set_host("10.10.7.4", local_account_token_filter_policy=0)
    result, _unused = prepare(cc, "rc-win01", hp, settings, "apply")
    assert result["errors"] == ["The local account nopassword does not exist; give its password to create it."]
    assert result["changes"] == [] and admin.host("10.10.7.4")["local_account_token_filter_policy"] == 0
    hp, domain = preparation(os_type="windows", account="CONTOSO\\svc-push")
    result, _unused = prepare(cc, "rc-win01", hp, domain, "check")
    assert result["account_kind"] == "domain" and "registry_value_set" not in result["changes"]
    assert result["notes"][0].startswith("CONTOSO\\svc-push is a domain account")


def test_linux_preparation_and_absent_restores_sshd(cc, admin):
    admin.set_host("10.10.7.5", sshd_password_authentication=False, sshd_permit_root_login="prohibit-password",
                   ca_certificates_current=False)
    hp, settings = preparation(os_type="linux", password=PASSWORD, authorized_key="ssh-ed25519 AAAAC3Nz test@host")
    result, failed = prepare(cc, "rc-lnx01", hp, settings, "apply")
    assert not failed and result["errors"] == []
    assert result["changes"] == ["root_password_set", "authorized_key_added", "password_authentication_enabled",
                                 "permit_root_login_enabled", "sshd_reloaded", "ca_certificates_updated"]
    assert result["after"]["password_authentication"] == "yes" and result["after"]["azmove_sshd_block"] is True
    facts = admin.host("10.10.7.5")
    assert facts["sshd_password_authentication"] is True and facts["sshd_permit_root_login"] == "yes"
    assert facts["azmove_markers"]["sshd_block"] == {"sshd_password_authentication": False,
                                                     "sshd_permit_root_login": "prohibit-password"}
    assert prepare(cc, "rc-lnx01", hp, settings, "check")[0]["changes"] == []

    hp, absent = preparation(os_type="linux", state="absent")
    result, _unused = prepare(cc, "rc-lnx01", hp, absent, "apply")
    assert result["changes"] == ["sshd_settings_restored", "sshd_reloaded"]
    facts = admin.host("10.10.7.5")
    assert facts["sshd_password_authentication"] is False and facts["sshd_permit_root_login"] == "prohibit-password"
    assert facts["root_password_set"] is True  # absent leaves root's password and keys


def test_linux_failure_is_the_failed_provisioning_state(cc, admin):
    admin.set_host("10.10.7.5", root_password_set=False)
    hp, settings = preparation(os_type="linux")
    data = hp.run_command_input(settings, "apply")
    answer = run(cc, "rc-lnx01", data["commandId"], data["script"], **{p["name"]: p["value"] for p in data["parameters"]})
    status = answer["value"][0]
    assert status["code"].startswith("ProvisioningState/failed") and status["level"] == "Error"
    assert status["message"].startswith("Enable failed: failed to execute command: command terminated with exit status=1")
    result, failed = result_of(hp, answer)
    assert failed and result["errors"][0].startswith("root has no password")
    admin.set_host("10.10.7.5", root_password_set=True)


def test_secret_parameter_is_used_but_never_recorded(cc, admin):
    hp, settings = preparation(os_type="windows", account="pushadmin", password=PASSWORD)
    data = hp.run_command_input(settings, "check")
    secret = [p["value"] for p in data["parameters"] if p["name"] == hp.SECRET_PARAMETER][0]
    assert base64.b64decode(secret).decode() == PASSWORD and PASSWORD not in "\n".join(data["script"])
    prepare(cc, "rc-win01", hp, settings, "check")
    everything = json.dumps(admin.run_commands("gov")) + json.dumps(admin.host("10.10.7.4"))
    assert PASSWORD not in everything and secret not in everything


@pytest.fixture(scope="module")
def w(ep, admin):
    return rcmsetup.world(ep, admin)


@pytest.mark.parametrize("ip,os_type,cred,facts,code", [
    ("10.10.9.61", "Windows", "win-admin", {"firewall_file_printer_sharing": False}, 95105),
    ("10.10.9.62", "Windows", "win-admin", {"firewall_wmi": False}, 95103),
    ("10.10.9.63", "Windows", "win-admin", {"local_users": {"Administrator": {"enabled": False, "password": None}},
                                            "local_admins": ["Administrator"]}, 95519),
    ("10.10.9.64", "Windows", "win-admin", {"local_users": {"azureuser": {"enabled": True, "password": None}},
                                            "local_admins": ["azureuser"]}, 95107),
    ("10.10.9.65", "Linux", "linux-root", {"root_password_set": False}, 95108),
])
def test_push_install_reads_the_guest_facts(w, admin, ip, os_type, cred, facts, code):
    if os_type == "Windows":
        facts = dict(facts, local_account_token_filter_policy=1)
    admin.set_host(ip, **facts)
    name = "rc-push-" + ip.rsplit(".", 1)[-1]
    srv = rcmsetup.server(w, name, address=ip, credential=cred)  # discovered at once (time factor 0)
    with pytest.raises(HttpResponseError) as err:
        rcmsetup.enable(w, name, srv, cred).result()
    assert str(code) in str(err.value)
    w.asr.replication_protected_items.begin_purge(rcmsetup.RG, rcmsetup.VAULT, w.f, w.c, name).result()
