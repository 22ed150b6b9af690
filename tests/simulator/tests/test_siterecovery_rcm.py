"""Site Recovery, modernized (InMageRcm, replication appliance), through azure-mgmt-recoveryservicessiterecovery 2.0.0:
appliance registration (and its refusals), the appliances list, credentials and servers, policies, mappings, enable
protection, the failed push install, the failover lifecycle, recovery points, update, wrong-order refusals."""
import json
import os
import subprocess
import sys

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.recoveryservicessiterecovery import models as m

import rcmsetup
from azsim.testing import AdminError, wait_until
from rawhttp import call
from rcmsetup import RG, VAULT, enable, enable_input, server
from simhelpers import SIM_ROOT, client_kwargs, clients, credential, lenient_bodies, vault_credentials

OFF_API = "2023-06-06"


@pytest.fixture(scope="module")
def w(ep, admin):
    return rcmsetup.world(ep, admin)


def refused(call_):
    with pytest.raises(HttpResponseError) as exc:
        call_()
    assert exc.value.status_code == 400, exc.value
    return exc.value.error.code, exc.value.error.message


def admin_refusal(call_):
    with pytest.raises(AdminError) as exc:
        call_()
    assert exc.value.status == 400
    return json.loads(exc.value.body)["error"]["message"]


def arm_get(w, rid, api=OFF_API):
    arm = w.ep["clouds"]["public"]["resource_manager"].rstrip("/")
    return call(w.ep, "GET", f"{arm}{rid}?api-version={api}", token=w.admin.mint_token("public"))


def items(w):
    return w.asr.replication_protected_items


def get(w, name):
    return items(w).get(RG, VAULT, w.f, w.c, name)


def begin(w, action, name, body=None):
    args = (RG, VAULT, w.f, w.c, name) + ((body,) if body is not None else ())
    return getattr(items(w), "begin_" + action)(*args)


def tfo_input(network=None, point=None):
    psd = {"instanceType": "InMageRcm"}
    if network:
        psd["networkId"] = network
    if point:
        psd["recoveryPointId"] = point
    return {"properties": {"failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
                           "providerSpecificDetails": psd}}


def fo_input(shutdown="true", site=None, point=None):
    psd = {"instanceType": "InMageRcm", "performShutdown": shutdown}
    if point:
        psd["recoveryPointId"] = point
    props = {"failoverDirection": "PrimaryToRecovery", "providerSpecificDetails": psd}
    if site:
        props["sourceSiteOperations"] = site
    return {"properties": props}


# -- appliance registration ------------------------------------------------------------------------------------------
def test_registration_refusals_and_cli(w, ep, admin, sim_dir):
    again = admin.register_appliance(rcmsetup.APPLIANCE, "10.10.5.10", w.sub, RG, VAULT)
    assert again == w.app  # idempotent: the same fabric, container, process server
    assert again["fabric_name"] == f"{VAULT}-vmwarefabric" and again["container_name"].endswith("replicationcontainer")
    assert "not valid" in admin_refusal(lambda: admin.register_appliance("x-app", "10.1.1.1",
                                                                         appliance_key=w.key + "x"))
    assert "is for vault" in admin_refusal(lambda: admin.register_appliance("x-app", "10.1.1.1", vault="other",
                                                                            appliance_key=w.key))
    _rm, rs = clients(ep, "public")
    rs.vaults.begin_create_or_update(RG, "rsv-rcm-second", {"location": "eastus", "sku": {"name": "Standard"}}).result()
    assert "already registered with vault 'rsv-rcm-eastus'" in admin_refusal(
        lambda: admin.register_appliance(rcmsetup.APPLIANCE, "10.10.5.10", w.sub, RG, "rsv-rcm-second"))
    assert "not found in resource group" in admin_refusal(
        lambda: admin.register_appliance("x-app", "10.1.1.1", w.sub, "rg-nowhere", VAULT))
    # a vault holding a configuration server (classic) fabric is refused, and a CS is refused on the RCM vault
    rs.vaults.begin_create_or_update(RG, "rsv-rcm-classic", {"location": "eastus",
                                                             "sku": {"name": "Standard"}}).result()
    admin.register_configuration_server(vault_credentials(rs, RG, "rsv-rcm-classic")[0], "cs-rcm", "10.10.1.30")
    assert "configuration server (classic) fabrics (cs-rcm)" in admin_refusal(
        lambda: admin.register_appliance("x-app", "10.1.1.1", w.sub, RG, "rsv-rcm-classic"))
    with pytest.raises(AdminError) as exc:
        admin.register_configuration_server(vault_credentials(rs, RG, VAULT)[0], "cs-on-rcm", "10.10.1.31")
    assert "used by a replication appliance" in exc.value.body
    # a vault in Azure Government is refused
    grm, grs = clients(ep, "gov")
    grm.resource_groups.create_or_update("rg-rcm-govvault", {"location": "usgovvirginia"})
    grs.vaults.begin_create_or_update("rg-rcm-govvault", "rsv-gov", {"location": "usgovvirginia",
                                                                     "sku": {"name": "Standard"}}).result()
    assert "Azure Government" in admin_refusal(lambda: admin.register_appliance(
        "x-app", "10.1.1.1", ep["clouds"]["gov"]["subscription_id"], "rg-rcm-govvault", "rsv-gov"))
    # CLI: a second appliance with the key only, then a credential and a server through it
    base = [sys.executable, "-m", "azsim"]
    envv = dict(os.environ, PYTHONPATH=SIM_ROOT)

    def cli(*args):
        return subprocess.run(base + list(args) + ["--state-dir", sim_dir], capture_output=True, text=True,
                              env=envv, check=False)
    key = json.loads(cli("appliance-key", "--subscription", w.sub, "--resource-group", RG, "--vault", VAULT).stdout)
    assert key["appliance_key"] == w.key
    out = cli("register-appliance", "--appliance-key", w.key, "--name", "rcm-app-02", "--ip", "10.10.5.11")
    assert out.returncode == 0, out.stderr
    second = json.loads(out.stdout)
    assert second["fabric_id"] == w.app["fabric_id"] and second["process_server_id"] != w.app["process_server_id"]
    bad = cli("register-appliance", "--subscription", w.sub, "--resource-group", RG, "--vault", "rsv-rcm-classic",
              "--name", "rcm-app-03", "--ip", "10.10.5.12")
    assert bad.returncode == 1 and "registration refused: " in bad.stderr and "exclusive" in bad.stderr
    cred = cli("add-credential", "--name", "win-admin-2", "--username", "CONTOSO\\asradmin", "--os", "Windows",
               "--appliance", "rcm-app-02")
    assert cred.returncode == 0 and "password" not in cred.stdout.lower()
    assert json.loads(cred.stdout)["credential_type"] == "WindowsServer"
    srv = cli("add-server", "--ip", "10.10.5.5", "--credential", "win-admin-2", "--appliance", "rcm-app-02")
    assert srv.returncode == 0 and json.loads(srv.stdout)["friendly_name"] == "rcm-win02"
    ambiguous = cli("add-server", "--ip", "10.10.5.5", "--credential", "win-admin")
    assert ambiguous.returncode == 1 and "name the appliance" in ambiguous.stderr
    unhealthy = cli("appliance-health", "--name", "rcm-app-02", "--component", "process-server",
                    "--error-code", "148012")
    assert unhealthy.returncode == 0 and json.loads(unhealthy.stdout)["health"] == "Critical"


def test_fabric_appliances_site_and_health(w, admin):
    fabric = w.asr.replication_fabrics.get(RG, VAULT, w.f)
    cd = fabric.properties.custom_details
    assert isinstance(cd, m.InMageRcmFabricSpecificDetails) and cd.physical_site_id == w.app["physical_site_id"]
    assert cd.source_agent_identity_details.tenant_id == w.ep["clouds"]["public"]["tenant_id"]
    ps = next(p for p in cd.process_servers if p.name == rcmsetup.APPLIANCE)
    assert ps.id == w.app["process_server_id"] and ps.ip_addresses == ["10.10.5.10"] and ps.last_heartbeat_utc
    for group in ("rcm_proxies", "push_installers", "replication_agents", "reprotect_agents", "mars_agents", "dras"):
        entry = next(c for c in getattr(cd, group) if c.name == rcmsetup.APPLIANCE)
        assert entry.id and entry.bios_id and entry.version and entry.last_heartbeat_utc and entry.health == "Normal"
    # the appliances list (ReplicationAppliances_List): one entry for the fabric, both appliances; $filter by name
    listed = list(w.asr.replication_appliances.list(RG, VAULT))
    details = listed[0].properties.provider_specific_details
    assert isinstance(details, m.InMageRcmApplianceSpecificDetails)
    names = {a.name: a for a in details.appliances}
    assert {rcmsetup.APPLIANCE, "rcm-app-02"} <= set(names) and names[rcmsetup.APPLIANCE].fabric_arm_id == fabric.id
    assert names[rcmsetup.APPLIANCE].process_server.id == w.app["process_server_id"]
    filtered = list(w.asr.replication_appliances.list(RG, VAULT, filter="name eq 'rcm-app-02'"))
    assert [a.name for a in filtered[0].properties.provider_specific_details.appliances] == ["rcm-app-02"]
    # rcm-app-02's process server was marked unhealthy through the CLI: health errors show; enable through it refused
    assert names["rcm-app-02"].process_server.health == "Critical"
    assert names["rcm-app-02"].process_server.health_errors[0].error_code == "148012"
    assert w.asr.replication_fabrics.get(RG, VAULT, w.f).properties.health == "Critical"
    srv = server(w, "rcm-win02")
    code, msg = refused(lambda: enable(w, "rcm-win02", srv, processServerId=names["rcm-app-02"].process_server.id))
    assert code == "ProcessServerNotHealthy" and "rcm-app-02" in msg
    healthy = admin.set_appliance_health("rcm-app-02", "processServer", healthy=True)
    assert healthy["health"] == "Normal" and healthy["healthErrors"] == []
    bad = admin.set_appliance_health("rcm-app-02", "pushInstaller", message="Push installer service stopped.")
    assert bad["healthErrors"][0]["errorMessage"] == "Push installer service stopped."
    admin.set_appliance_health("rcm-app-02", "push_installer", healthy=True)
    assert w.asr.replication_fabrics.get(RG, VAULT, w.f).properties.health == "Normal"
    # container, provider (DRA), site (Microsoft.OffAzure)
    container = w.asr.replication_protection_containers.get(RG, VAULT, w.f, w.c)
    assert container.properties.fabric_type == "InMageRcm" and container.properties.pairing_status == "Paired"
    providers = list(w.asr.replication_recovery_services_providers.list_by_replication_fabrics(RG, VAULT, w.f))
    assert {p.properties.friendly_name for p in providers} >= {rcmsetup.APPLIANCE, "rcm-app-02"}
    status, _h, site = arm_get(w, w.app["physical_site_id"])
    assert status == 200 and site["type"] == "Microsoft.OffAzure/serverSites" and site["location"] == "eastus"
    assert {a["applianceName"] for a in site["properties"]["siteAppliancePropertiesCollection"]} >= {
        rcmsetup.APPLIANCE, "rcm-app-02"}
    assert arm_get(w, w.app["physical_site_id"], api="2020-01-01")[0] == 400


def test_credentials_and_servers(w, admin):
    site = w.app["physical_site_id"]
    status, _h, accounts = arm_get(w, site + "/runAsAccounts")
    assert status == 200  # page size 1: the first page
    account = w.creds["linux-root"]
    status, _h, body = arm_get(w, account["run_as_account_id"])
    assert status == 200 and body["properties"]["displayName"] == "linux-root"
    assert body["properties"]["credentialType"] == "LinuxServer"
    user_account = arm_get(w, w.creds["linux-user"]["run_as_account_id"])[2]
    assert "azureuser" not in json.dumps(user_account) and "azsim" not in user_account  # the username is never shown
    again = admin.add_credential("linux-root", "root", "Linux", appliance=rcmsetup.APPLIANCE)
    assert again["run_as_account_id"] == account["run_as_account_id"]
    assert "Windows or Linux" in admin_refusal(lambda: admin.add_credential("x", "y", "Solaris",
                                                                            appliance=rcmsetup.APPLIANCE))
    assert "not known to the appliance" in admin_refusal(
        lambda: admin.add_server("10.10.5.4", "nobody", appliance=rcmsetup.APPLIANCE))
    # discovery takes 120 s x time factor: nothing before, the machine after (in Microsoft.OffAzure only)
    admin.set_time_factor(0.005)
    srv = server(w, "rcm-lnx01", address="rcm-lnx01.contoso.gov")  # by FQDN: the Gov VM's host name
    assert srv["friendly_name"] == "rcm-lnx01" and srv["ip_address"] == "10.10.6.4"
    assert srv["protectable_item_id"] is None
    assert arm_get(w, srv["fabric_discovery_machine_id"])[0] == 404
    assert wait_until(lambda: arm_get(w, srv["fabric_discovery_machine_id"])[0] == 200, timeout=5)
    admin.set_time_factor(0)
    with pytest.raises(ResourceNotFoundError):  # appliance-discovered machines are not protectable items
        w.asr.replication_protectable_items.get(RG, VAULT, w.f, w.c, srv["machine_name"])
    machine = arm_get(w, srv["fabric_discovery_machine_id"])[2]
    assert machine["properties"]["displayName"] == "rcm-lnx01"
    assert machine["properties"]["fqdn"] == "rcm-lnx01.gov.contoso.internal"
    assert machine["properties"]["operatingSystemDetails"]["osType"] == "Linux"
    assert machine["properties"]["runAsAccountId"] == account["run_as_account_id"]
    assert machine["properties"]["networkAdapters"][0]["ipAddressList"] == ["10.10.6.4"]
    unknown = admin.add_server("10.10.5.99", "win-admin", appliance=rcmsetup.APPLIANCE)  # no machine there
    assert unknown["friendly_name"] == "10.10.5.99" and unknown["ip_address"] == "10.10.5.99"
    nowhere = admin.add_server("db01.nowhere.contoso.gov", "win-admin", appliance=rcmsetup.APPLIANCE)
    assert nowhere["friendly_name"] == "db01.nowhere.contoso.gov" and nowhere["ip_address"] is None
    names = [b["properties"]["displayName"] for b in rcmsetup.arm_list(w, site + "/machines")]
    assert {"rcm-lnx01", "10.10.5.99", "db01.nowhere.contoso.gov"} <= set(names)
    assert not list(w.asr.replication_protectable_items.list_by_replication_protection_containers(RG, VAULT, w.f,
                                                                                                  w.c))
    assert "neither an IPv4 address nor" in admin_refusal(
        lambda: admin.add_server("bad name!", "win-admin", appliance=rcmsetup.APPLIANCE))
    code, msg = refused(lambda: w.asr.replication_protection_containers.begin_discover_protectable_item(
        RG, VAULT, w.f, w.c, {"properties": {"friendlyName": "x", "ipAddress": "10.10.5.4", "osType": "Windows"}}))
    assert code == "InvalidParameter" and "configuration manager" in msg


def test_policy_limits_and_mapping(w):
    asr = w.asr
    for bad, text in (({"recoveryPointHistoryInMinutes": 21601}, "recoveryPointHistoryInMinutes"),
                      ({"appConsistentFrequencyInMinutes": 30}, "must be 0 (off) or between 60 and 720"),
                      ({"crashConsistentFrequencyInMinutes": 2}, "crashConsistentFrequencyInMinutes"),
                      ({"enableMultiVmSync": "Maybe"}, "enableMultiVmSync")):
        code, msg = refused(lambda: asr.replication_policies.begin_create(RG, VAULT, "policy-bad", {"properties": {
            "providerSpecificInput": dict(rcmsetup.RCM_POLICY, **bad)}}))
        assert code in ("InvalidPolicyInput", "InvalidParameter") and text in msg, (bad, msg)
    edge = asr.replication_policies.begin_create(RG, VAULT, "policy-rcm-edge", {"properties": {
        "providerSpecificInput": dict(rcmsetup.RCM_POLICY, recoveryPointHistoryInMinutes=21600,
                                      appConsistentFrequencyInMinutes=720, enableMultiVmSync="False")}}).result()
    details = edge.properties.provider_specific_details
    assert isinstance(details, m.InMageRcmPolicyDetails) and details.enable_multi_vm_sync == "False"
    failback = asr.replication_policies.begin_create(RG, VAULT, "policy-rcm-failback", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageRcmFailback", "crashConsistentFrequencyInMinutes": 10,
                                  "appConsistentFrequencyInMinutes": 60}}}).result()
    assert isinstance(failback.properties.provider_specific_details, m.InMageRcmFailbackPolicyDetails)
    classic = asr.replication_policies.begin_create(RG, VAULT, "policy-v2a-here", {"properties": {
        "providerSpecificInput": {"instanceType": "InMageAzureV2", "multiVmSyncStatus": "Enable"}}}).result()
    for policy, target, text in ((classic, "Microsoft Azure", "use an InMageRcm policy"),
                                 (failback, "Microsoft Azure", "use an InMageRcm policy"),
                                 (edge, w.app["container_id"], "Failback (InMageRcmFailback) mappings")):
        code, msg = refused(lambda: asr.replication_protection_container_mappings.begin_create(
            RG, VAULT, w.f, w.c, "map-bad", {"properties": {"targetProtectionContainerId": target,
                                                            "policyId": policy.id}}))
        assert code == "InvalidParameter" and text in msg
    mapping = asr.replication_protection_container_mappings.get(RG, VAULT, w.f, w.c, "map-rcm")
    assert isinstance(mapping.properties.provider_specific_details, m.InMageRcmProtectionContainerMappingDetails)
    assert mapping.properties.provider_specific_details.enable_agent_auto_upgrade == "true"
    updated = asr.replication_protection_container_mappings.begin_update(RG, VAULT, w.f, w.c, "map-rcm", {
        "properties": {"providerSpecificInput": {"instanceType": "InMageRcm", "enableAgentAutoUpgrade": "false"}}
    }).result()
    assert updated.properties.provider_specific_details.enable_agent_auto_upgrade == "false"
    for name in ("policy-rcm-edge", "policy-rcm-failback", "policy-v2a-here"):
        asr.replication_policies.begin_delete(RG, VAULT, name).result()


# -- enable protection -------------------------------------------------------------------------------------------------
def test_enable_validation_creates_nothing(w, admin):
    srv = server(w, "rcm-win02")
    pi_id = f"{w.app['container_id']}/replicationProtectableItems/{srv['machine_name']}"  # what classic would use
    bad_rg = w.landing.replace("rg-landing-eastus", "rg-nowhere")
    cases = [
        ({"fabricDiscoveryMachineId": pi_id}, "InvalidParameter", "not a replicationProtectableItems id"),
        ({"fabricDiscoveryMachineId": srv["fabric_discovery_machine_id"] + "x"}, "ProtectableItemNotFound", ""),
        ({"processServerId": "00000000-0000-0000-0000-000000000000"}, "ProcessServerNotFound", ""),
        ({"runAsAccountId": w.app["physical_site_id"] + "/runAsAccounts/nope"}, "RunAsAccountNotFound", ""),
        ({"targetResourceGroupId": bad_rg}, "TargetResourceGroupNotFound", ""),
        ({"targetNetworkId": w.vnet + "-missing"}, "TargetNetworkNotFound", ""),
        ({"targetSubnetName": "snet-missing"}, "TargetSubnetNotFound", ""),
        ({"targetSubnetName": None}, "InvalidParameter", "targetSubnetName are required"),
        ({"testNetworkId": w.test_vnet + "-missing"}, "TargetNetworkNotFound", ""),
        ({"testSubnetName": "snet-missing"}, "TargetSubnetNotFound", ""),
        ({"disksDefault": {"diskType": "Standard_LRS", "logStorageAccountId": w.storage + "x"}},
         "StorageAccountNotFound", ""),
        ({"disksDefault": {"diskType": "Standard_LRS", "logStorageAccountId": w.storage_westus}},
         "StorageAccountLocationMismatch", "westus"),
        ({"disksDefault": {"diskType": "Floppy", "logStorageAccountId": w.storage}}, "InvalidParameter", "diskType"),
        ({"disksDefault": None}, "InvalidParameter", "disksDefault"),
        ({"disksToInclude": [{"diskId": "{nope}", "diskType": "Standard_LRS", "logStorageAccountId": w.storage}]},
         "InvalidParameter", "is not a disk of the machine"),
        ({"targetVmName": "a-name-of-sixty-four-characters-" + "x" * 32}, "InvalidParameter", "target virtual machine name"),
        ({"targetVmName": "dotted.name"}, "InvalidParameter", "target virtual machine name"),
        ({"licenseType": "Free"}, "InvalidParameter", "licenseType"),
        ({"targetAzureNetworkId": w.vnet}, "InvalidParameter", "InMageRcm uses targetNetworkId"),
        ({"recoveryPointThresholdInMinutes": 60}, "InvalidParameter", "no RPO threshold"),
        ({"instanceType": "InMageAzureV2"}, "InvalidParameter", "use InMageRcm"),
    ]
    with lenient_bodies(admin):  # the handler's own messages (unknown properties are the strict check's first)
        for over, want, text in cases:
            code, msg = refused(lambda: enable(w, "rcm-win02", srv, **over))
            assert code == want and text in msg, (over, code, msg)
    other = enable_input(w, srv)
    other["properties"]["policyId"] = w.policy.id.replace("policy-rcm", "policy-none")
    assert refused(lambda: items(w).begin_create(RG, VAULT, w.f, w.c, "rcm-win02", other))[0] == "InvalidParameter"
    given_pi = enable_input(w, srv)
    given_pi["properties"]["protectableItemId"] = pi_id  # the machine is no protectable item: null or empty only
    code, msg = refused(lambda: items(w).begin_create(RG, VAULT, w.f, w.c, "rcm-win02", given_pi))
    assert code == "InvalidParameter" and "null or empty" in msg
    assert "rcm-win02" not in [i.name for i in items(w).list_by_replication_protection_containers(RG, VAULT, w.f, w.c)]


def test_enable_progress_points_update_disable(w, admin):
    """Factor 0.003: the EnableDr job takes 0.2 s, initial replication of the 64 GB Linux VM ~2.7 s."""
    srv = server(w, "rcm-lnx01", address="rcm-lnx01.contoso.gov")
    admin.set_time_factor(0.003)
    poller = enable(w, "rcm-lnx01", srv, "linux-root", targetSubnetName="snet-linux", testSubnetName="snet-linux",
                    targetVmTags=[{"tagName": "wave", "tagValue": "2"}], multiVmGroupName="wave-2")
    first = get(w, "rcm-lnx01").properties
    assert first.protection_state == "EnablingProtection" and first.provider_specific_details.protected_disks == []
    assert first.current_scenario.scenario_name == "EnableProtection"
    poller.result()
    seen = []

    def protected():
        p = get(w, "rcm-lnx01").properties
        d = p.provider_specific_details
        seen.append((p.protection_state, d.initial_replication_progress_percentage,
                     d.initial_replication_progress_health, d.initial_replication_processed_bytes))
        return p.protection_state == "Protected"
    assert wait_until(protected, timeout=15, interval=0.2)
    admin.set_time_factor(0)
    ir = [s for s in seen if s[0] == "InitialReplicationInProgress"]
    assert ir and all(h == "InProgress" for _s, _p, h, _b in ir)
    assert [p for _s, p, _h, _b in ir] == sorted(p for _s, p, _h, _b in ir)
    item = get(w, "rcm-lnx01")
    d = item.properties.provider_specific_details
    assert isinstance(d, m.InMageRcmReplicationDetails)
    assert d.fabric_discovery_machine_id == srv["fabric_discovery_machine_id"]
    assert d.process_server_id == w.app["process_server_id"] and d.process_server_name == rcmsetup.APPLIANCE
    assert d.run_as_account_id == w.creds["linux-root"]["run_as_account_id"] and d.os_type == "Linux"
    assert d.primary_nic_ip_address == "10.10.6.4" and d.target_vm_name == "rcm-lnx01"
    assert d.target_vm_size == "Standard_B2ms" and d.target_network_id == w.vnet and d.test_network_id == w.test_vnet
    assert d.initial_replication_progress_percentage is None and d.last_rpo_in_seconds > 0
    assert d.last_recovery_point_id and d.last_recovery_point_received and d.resync_state == "None"
    assert d.mobility_agent_details.version and d.mobility_agent_details.last_heartbeat_utc
    assert d.multi_vm_group_name == "wave-2" and d.target_vm_tags[0].tag_name == "wave"
    disk = d.protected_disks[0]
    assert disk.is_os_disk == "true" and disk.capacity_in_bytes == 64 * 1024 ** 3 and disk.disk_name == "/dev/sda"
    assert disk.seed_managed_disk_id and disk.log_storage_account_id == w.storage and disk.disk_type == "Standard_LRS"
    assert d.vm_nics[0].target_subnet_name == "snet-linux" and d.discovered_vm_details.power_status == "ON"
    assert item.properties.protectable_item_id is None and item.properties.primary_fabric_provider == "InMageRcmFabric"
    points = list(w.asr.recovery_points.list_by_replication_protected_items(RG, VAULT, w.f, w.c, "rcm-lnx01"))
    assert sorted(p.properties.recovery_point_type for p in points) == ["AppConsistent", "CrashConsistent"]
    assert isinstance(points[0].properties.provider_specific_details, m.InMageRcmRecoveryPointDetails)
    code, _msg = refused(lambda: enable(w, "rcm-lnx01-again", srv, "linux-root", targetSubnetName="snet-linux"))
    assert code == "ProtectableItemAlreadyProtected"
    updated = begin(w, "update", "rcm-lnx01", {"properties": {"providerSpecificDetails": {
        "instanceType": "InMageRcm", "targetVmSize": "Standard_D2s_v3", "licenseType": "NoLicenseType",
        "vmNics": [{"nicId": d.vm_nics[0].nic_id, "isPrimaryNic": "true", "testSubnetName": "snet-app",
                    "targetStaticIPAddress": "10.20.2.50"}]}}}).result()
    ud = updated.properties.provider_specific_details
    assert ud.target_vm_size == "Standard_D2s_v3" and ud.license_type == "NoLicenseType"
    assert ud.vm_nics[0].test_subnet_name == "snet-app" and ud.vm_nics[0].target_ip_address == "10.20.2.50"
    code, msg = refused(lambda: begin(w, "update", "rcm-lnx01", {"properties": {"recoveryAzureVMName": "x"}}))
    assert code == "InvalidParameter" and "InMageRcm" in msg
    begin(w, "delete", "rcm-lnx01", {"properties": {"disableProtectionReason": "NotSpecified"}}).result()
    assert "rcm-lnx01" not in [i.name for i in items(w).list_by_replication_protection_containers(RG, VAULT, w.f, w.c)]


@pytest.mark.parametrize("name,address,cred,code", [
    ("rcm-unreach", "10.10.5.99", "win-admin", 95117),                # no machine behind the IP
    ("rcm-nowhere", "db01.nowhere.contoso.gov", "win-admin", 95117),  # an FQDN that resolves to nothing
    ("rcm-win03", None, "win-admin", 95107),                          # local account, LocalAccountTokenFilterPolicy 0
    ("rcm-lnx02", None, "linux-user", 95525),                         # Linux, not root
])
def test_push_install_failure_looks_like_recording(w, name, address, cred, code):
    srv = server(w, name, address=address, credential=cred)
    over = {"targetSubnetName": "snet-linux"} if "lnx" in name else {}
    with pytest.raises(HttpResponseError) as exc:
        enable(w, name, srv, cred, **over).result()
    assert str(code) in str(exc.value)
    p = get(w, name).properties
    assert (p.protection_state, p.protection_state_description) == ("EnablingFailed", "Protection couldn't be enabled")
    assert p.allowed_operations == ["DisableProtection"] and p.replication_health == "Critical"
    err = p.health_errors[0]
    assert (err.error_code, err.summary_message, err.customer_resolvability, err.error_id) == (
        "310056", "Enable replication failed", "NotAllowed", "0:6")
    assert err.error_message == f"Protection could not be configured for the machine '{p.friendly_name}'."
    d = p.provider_specific_details
    assert d.protected_disks == [] and d.last_recovery_point_id is None and d.agent_upgrade_state == "None"
    assert d.is_last_upgrade_successful == "false" and d.process_server_name == rcmsetup.APPLIANCE
    assert p.current_scenario.scenario_name == "EnableProtection"
    job = w.asr.replication_jobs.get(RG, VAULT, p.current_scenario.job_id.rsplit("/", 1)[-1]).properties
    assert job.state == "Failed" and job.errors[0].provider_error_details.error_code == code
    assert job.custom_details.affected_object_details["primaryFabricProviderId"] == "InMageRcm"
    for action, body in (("test_failover", tfo_input(w.test_vnet)), ("unplanned_failover", fo_input())):
        assert refused(lambda: begin(w, action, name, body))[0] == "OperationNotAllowed"
    begin(w, "purge", name).result()


# -- failover --------------------------------------------------------------------------------------------------------
def test_failover_lifecycle(w, ep):
    landing = "rg-landing-eastus"
    compute = ComputeManagementClient(credential(ep, "public"), w.sub, **client_kwargs(ep, "public"))
    gov = ComputeManagementClient(credential(ep), w.gov_sub, **client_kwargs(ep))
    network = NetworkManagementClient(credential(ep, "public"), w.sub, **client_kwargs(ep, "public"))

    def power(vm):
        return next(s.code for s in vm.instance_view.statuses if s.code.startswith("PowerState/"))
    srv = server(w, "rcm-win01")
    item = enable(w, "rcm-win01", srv).result()
    assert item.properties.protection_state == "Protected"
    for action, body, text in (("test_failover_cleanup", {"properties": {"comments": "x"}}, "no test failover"),
                               ("failover_commit", None, "has not failed over"),
                               ("unplanned_failover", fo_input(shutdown="maybe"), "performShutdown"),
                               ("unplanned_failover", fo_input(shutdown="true", site="NotRequired"), "contradicts"),
                               ("test_failover", tfo_input(w.test_vnet + "-missing"), "vnet-test-eastus-missing"),
                               ("test_failover", dict(tfo_input(w.test_vnet), properties=dict(
                                   tfo_input(w.test_vnet)["properties"], networkId=w.vnet)), "differ")):
        code, msg = refused(lambda: begin(w, action, "rcm-win01", body))
        assert text in msg, (action, msg)
    # test failover (no network given: the item's test network), cleanup
    done = begin(w, "test_failover", "rcm-win01", tfo_input()).result().properties
    assert (done.test_failover_state, done.protection_state_description) == ("WaitingForCompletion",
                                                                             "Cleanup test failover pending")
    test_vm = compute.virtual_machines.get(landing, "rcm-win01-test", expand="instanceView")
    assert power(test_vm) == "PowerState/running" and len(test_vm.storage_profile.data_disks) == 1
    nic = network.network_interfaces.get(landing, test_vm.network_profile.network_interfaces[0].id.rsplit("/", 1)[-1])
    assert nic.ip_configurations[0].subnet.id == w.test_vnet + "/subnets/snet-app"
    code, msg = refused(lambda: begin(w, "unplanned_failover", "rcm-win01", fo_input()))
    assert code == "OperationNotAllowed" and "waiting for cleanup" in msg
    cleaned = begin(w, "test_failover_cleanup", "rcm-win01", {"properties": {"comments": "ok"}}).result().properties
    assert cleaned.test_failover_state == "MarkedForDeletion" and cleaned.current_scenario.scenario_name == "None"
    with pytest.raises(ResourceNotFoundError):
        compute.virtual_machines.get(landing, "rcm-win01-test")
    # unplanned failover with shutdown
    failed_over = begin(w, "unplanned_failover", "rcm-win01", fo_input("true")).result()
    p = failed_over.properties
    assert (p.protection_state, p.protection_state_description, p.active_location) == (
        "UnplannedFailoverCommitPendingStatesBegin", "Failover completed", "Recovery")
    assert p.allowed_operations == ["CompleteMigration", "Commit", "DisableProtection", "ChangePit", "SwitchProtection"]
    d = p.provider_specific_details
    assert d.is_agent_registration_successful_after_failover is True and d.agent_upgrade_state == "Commit"
    assert d.failover_recovery_point_id == p.failover_recovery_point_id
    assert d.discovered_vm_details.power_status == "OFF"  # the source was shut down
    assert power(gov.virtual_machines.get(rcmsetup.GOV_RG, "rcm-win01", expand="instanceView")) == "PowerState/stopped"
    target = compute.virtual_machines.get(landing, "rcm-win01", expand="instanceView")
    assert power(target) == "PowerState/running" and target.hardware_profile.vm_size == "Standard_D2s_v3"
    assert d.protected_disks[0].target_managed_disk_id.lower() == target.storage_profile.os_disk.managed_disk.id.lower()
    point = p.failover_recovery_point_id.rsplit("/", 1)[-1]
    assert w.asr.recovery_points.get(RG, VAULT, w.f, w.c, "rcm-win01", point).id.lower() == \
        p.failover_recovery_point_id.lower()
    code, msg = refused(lambda: begin(w, "unplanned_failover", "rcm-win01", fo_input()))
    assert code == "OperationNotAllowed" and "already failed over" in msg
    committed = begin(w, "failover_commit", "rcm-win01").result().properties
    assert committed.protection_state == "UnplannedFailoverCommitted"
    assert committed.allowed_operations == ["CompleteMigration", "DisableProtection"]
    begin(w, "delete", "rcm-win01", {"properties": {"disableProtectionReason": "MigrationComplete"}}).result()
    assert "rcm-win01" not in [i.name for i in items(w).list_by_replication_protection_containers(RG, VAULT, w.f, w.c)]
    assert power(compute.virtual_machines.get(landing, "rcm-win01", expand="instanceView")) == "PowerState/running"
    scenarios = [j.properties.scenario_name for j in w.asr.replication_jobs.list(
        RG, VAULT, filter="TargetObjectName eq 'rcm-win01'")]
    assert scenarios == ["DisableDr", "CommitFailover", "UnplannedFailover", "TestFailoverCleanup", "TestFailover",
                         "EnableDr"]
