"""Source host preparation through Azure Run Command: unprepared Government VMs fail the push install (95107 on
Windows, 95108 on Linux); source_host_preparation and the mobility_account role's run_command transport prepare them
(check mode changes nothing, a second run only reads), then the push install succeeds. The password never shows, in
-vvvv output or in what the simulator recorded; a stopped VM gets Azure's refusal."""

import base64
import json
import sys

import pytest

from conftest import ROOT, assert_ok
from test_replication import extra

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import asr_client, clients  # noqa: E402

RG, VAULT, APPLIANCE = "rg-hostprep-eastus", "rsv-hostprep", "hostprep-appl"
WIN, LNX = ("vm-app-win01", "10.10.1.4"), ("vm-app-lnx01", "10.10.2.4")
PASSWORD = "Hp-Pa55w0rd!'$`\"x"
SEED = ROOT / "tests" / "simulator" / "seed" / "demo.json"


@pytest.fixture
def unprepared(admin):
    """The Windows VM without the registry value and File and Printer Sharing, the Linux VM without sshd password
    authentication; afterwards both hosts get their facts back, and vm-app-win02 (stopped here) runs again."""
    saved = {ip: admin.host(ip) for _name, ip in (WIN, LNX)}
    for _name, ip in (WIN, LNX):  # as seeded: earlier tests (a prepare phase) may have prepared these hosts already
        admin.set_host(ip, local_users=None, local_admins=None, azmove_markers=None, root_password_digest=None,
                       root_authorized_keys=None)
    admin.set_host(WIN[1], local_account_token_filter_policy=0, firewall_file_printer_sharing=False)
    admin.set_host(LNX[1], sshd_password_authentication=False)
    with open(SEED, encoding="utf-8") as handle:
        gov = json.load(handle)["gov"]
    win02 = dict([vm for vm in gov["virtual_machines"] if vm["name"] == "vm-app-win02"][0], power_state="stopped")
    admin.seed({"gov": {"virtual_machines": [win02]}})
    yield
    for ip, facts in saved.items():
        admin.set_host(ip, **{k: v for k, v in facts.items() if k not in ("ip", "vm_id", "reachable")})
    admin.seed({"gov": gov})


class Appliance:
    """A modernized vault of its own with a replication appliance that has discovered both VMs: enable replication
    with a local Windows account (winadmin) or root pushes the Mobility service, as the portal's Enable replication."""

    def __init__(self, simulator, admin):
        self.ep, sub = simulator, simulator["clouds"]["public"]["subscription_id"]
        admin.seed({"public": {"resource_groups": [{"name": RG, "location": "eastus"}],
                               "virtual_networks": [{"name": "vnet-hostprep", "resource_group": RG, "location": "eastus",
                                                     "address_space": "10.40.0.0/16",
                                                     "subnets": [{"name": "snet-app", "address_prefix": "10.40.1.0/24"}]}],
                               "storage_accounts": [{"name": "sthostprepcache", "resource_group": RG, "location": "eastus"}]}})
        _unused, rs = clients(simulator, "public")
        rs.vaults.begin_create_or_update(RG, VAULT, {"location": "eastus", "sku": {"name": "Standard"},
                                                     "identity": {"type": "SystemAssigned"},
                                                     "properties": {"publicNetworkAccess": "Enabled"}}).result()
        app = admin.register_appliance(APPLIANCE, "10.10.1.30", appliance_key=admin.appliance_key(sub, RG, VAULT))
        self.creds = {"Windows": admin.add_credential("win-local", "winadmin", "Windows", appliance=APPLIANCE),
                      "Linux": admin.add_credential("linux-root", "root", "Linux", appliance=APPLIANCE)}
        self.servers = {WIN[0]: admin.add_server(WIN[1], "win-local", appliance=APPLIANCE),
                        LNX[0]: admin.add_server(LNX[1], "linux-root", appliance=APPLIANCE)}
        self.asr = asr_client(simulator)
        self.fabric, self.container, self.process_server = app["fabric_name"], app["container_name"], app["process_server_id"]
        self.policy = self.asr.replication_policies.begin_create(RG, VAULT, "hostprep-policy", {"properties": {
            "providerSpecificInput": {"instanceType": "InMageRcm", "recoveryPointHistoryInMinutes": 4320,
                                      "crashConsistentFrequencyInMinutes": 5, "enableMultiVmSync": "True"}}}).result()
        self.asr.replication_protection_container_mappings.begin_create(
            RG, VAULT, self.fabric, self.container, "hostprep-mapping",
            {"properties": {"targetProtectionContainerId": "Microsoft Azure", "policyId": self.policy.id,
                            "providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}}
        ).result()
        self.landing = "/subscriptions/%s/resourceGroups/%s" % (sub, RG)

    def enable(self, name, os_type):
        """None when replication is enabled, else the push install error code the job failed with (the failed item
        is purged so the next attempt starts afresh)."""
        from azure.core.exceptions import HttpResponseError
        details = {"instanceType": "InMageRcm", "fabricDiscoveryMachineId": self.servers[name]["fabric_discovery_machine_id"],
                   "processServerId": self.process_server, "runAsAccountId": self.creds[os_type]["run_as_account_id"],
                   "targetResourceGroupId": self.landing, "targetSubnetName": "snet-app",
                   "targetNetworkId": self.landing + "/providers/Microsoft.Network/virtualNetworks/vnet-hostprep",
                   "disksDefault": {"diskType": "Standard_LRS", "logStorageAccountId":
                                    self.landing + "/providers/Microsoft.Storage/storageAccounts/sthostprepcache"}}
        try:
            self.asr.replication_protected_items.begin_create(RG, VAULT, self.fabric, self.container, name, {
                "properties": {"policyId": self.policy.id, "providerSpecificDetails": details}}).result()
            return None
        except HttpResponseError as err:
            self.asr.replication_protected_items.begin_purge(RG, VAULT, self.fabric, self.container, name).result()
            return next((code for code in (95107, 95108, 95105, 95103, 95519, 95525) if str(code) in str(err)), str(err))


def test_run_command_prepares_windows_and_linux_for_the_push_install(runner, simulator, admin, tmp_path, unprepared):
    appliance = Appliance(simulator, admin)
    assert appliance.enable(WIN[0], "Windows") == 95107  # local account, LocalAccountTokenFilterPolicy 0
    assert appliance.enable(LNX[0], "Linux") == 95108  # sshd without password authentication
    before = {vm: len(admin.run_commands("gov", vm)) for vm in (WIN[0], LNX[0], "vm-app-win02")}

    done = runner.run("host_preparation_module.yml", extra(simulator, tmp_path, push_password=PASSWORD), verbosity=4)
    assert_ok(done)
    res = json.loads((tmp_path / "host-preparation-module.json").read_text())
    windows = ["registry_value_set", "account_created", "added_to_administrators",
               "firewall_file_and_printer_sharing_enabled"]
    would, first, second = res["would"], res["first"], res["second"]
    assert would["changed"] and would["changes"] == windows and would["run_commands"] == ["check"]
    assert would["state"]["local_account_token_filter_policy"] == 1 and would["state"]["account_in_administrators"]
    assert first["changed"] and first["changes"] == windows and first["run_commands"] == ["check", "apply"]
    # check mode changed nothing: the real run found the machine as it was
    assert first["diff"]["before"]["local_account_token_filter_policy"] == 0
    assert first["diff"]["before"]["account_exists"] is False and first["diff"]["after"]["account_exists"] is True
    assert first["state"] == {"local_account_token_filter_policy": 1, "azmove_marker": True, "account_exists": True,
                              "account_enabled": True, "account_in_administrators": True, "password_current": True,
                              "firewall_file_and_printer_sharing": True, "firewall_wmi": True}
    assert first["account"] == {"name": "winadmin", "kind": "local"} and first["vm"]["os_type"] == "windows"
    assert not second["changed"] and second["changes"] == [] and second["run_commands"] == ["check"]
    sent = admin.run_commands("gov", WIN[0])[before[WIN[0]]:]
    assert [r["mode"] for r in sent] == ["check", "check", "apply", "check", "check"]  # the later runs only read
    assert [r["command_id"] for r in sent] == ["RunPowerShellScript"] * 5 and all(r["recognised"] for r in sent)
    batch = res["batch"]
    assert not batch["changed"] and batch["failed_machines"] == ["vm-app-win02"]
    assert batch["machines"]["vm-app-win01"]["run_commands"] == ["check"] and not batch["machines"]["vm-app-win01"]["changed"]
    assert "OperationNotAllowed" in batch["machines"]["vm-app-win02"]["msg"]

    stopped = res["stopped"]
    assert stopped["failed"] and "OperationNotAllowed" in stopped["msg"]
    assert "The operation requires the VM to be running (or set to run)." in stopped["msg"]
    assert stopped["msg"].startswith("Host preparation of vm-app-win02 through Run Command: ")
    assert len(admin.run_commands("gov", "vm-app-win02")) == before["vm-app-win02"]  # refused, never run

    done_role = runner.run("host_preparation_role.yml", extra(simulator, tmp_path, push_password=PASSWORD), verbosity=4)
    assert_ok(done_role)
    role = json.loads((tmp_path / "host-preparation-role.json").read_text())
    assert role["first"]["changed"] and role["first"]["run_commands"] == ["check", "apply"]
    assert role["first"]["changes"] == ["password_authentication_enabled", "sshd_reloaded"]
    assert role["first"]["state"]["password_authentication"] == "yes" and role["first"]["vm"]["os_type"] == "linux"
    assert not role["second"]["changed"] and role["second"]["run_commands"] == ["check"]
    assert [r["mode"] for r in admin.run_commands("gov", LNX[0])[before[LNX[0]]:]] == ["check", "apply", "check"]

    # The push install now gets in.
    win, lnx = admin.host(WIN[1]), admin.host(LNX[1])
    assert win["local_account_token_filter_policy"] == 1 and "winadmin" in win["local_admins"]
    assert lnx["sshd_password_authentication"] is True
    assert appliance.enable(WIN[0], "Windows") is None
    assert appliance.enable(LNX[0], "Linux") is None

    # The password is in no output, no result, nothing the simulator kept (nor its base64, which Run Command carries).
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    kept = json.dumps(admin.run_commands("gov")) + json.dumps([win, lnx])
    for text in (done.output, done_role.output, json.dumps(res), json.dumps(role), kept):
        assert PASSWORD not in text and encoded not in text
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in done.output  # -vvvv shows the invocation, masked
