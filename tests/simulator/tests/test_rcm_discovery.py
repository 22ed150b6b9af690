"""Modernized (InMageRcm) discovery as real Azure shows it: appliance-discovered machines live in Microsoft.OffAzure
only (physical and VMware sites), lists page, removed servers stay listed as deleted, the machine is named by the
guest's computer name, and a machine with several NICs has one vmNic each (updated by nicId, failed over NIC by NIC)."""
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient

import rcmsetup
from rcmsetup import RG, VAULT, arm_list, enable
from simhelpers import client_kwargs, credential

WIN_HOST = {"local_account_token_filter_policy": 1}
VMS = [  # Gov VMs of this module (in the rcmsetup VNet; addresses other RCM tests do not use)
    {"name": "vm-rcm-disc-windows-long01", "os_type": "Windows", "private_ip": "10.10.5.30",
     "subnet": "snet-rcm-win", "host": WIN_HOST},                       # no computer_name: Azure's derivation
    {"name": "vm-rcm-disc-2nic", "computer_name": "DISCNIC01", "os_type": "Windows", "host": WIN_HOST,
     "nics": [{"subnet": "snet-rcm-win", "private_ip": "10.10.5.31", "primary": True},
              {"subnet": "snet-rcm-lnx", "private_ip": "10.10.6.31", "allocation": "Dynamic"}]},
    {"name": "vm-rcm-disc-lnx", "computer_name": "disc-lnx01", "os_type": "Linux", "private_ip": "10.10.6.30",
     "subnet": "snet-rcm-lnx", "host": {}},
]


@pytest.fixture(scope="module")
def w(ep, admin):
    world = rcmsetup.world(ep, admin)
    admin.seed({"gov": {"subscription_id": world.gov_sub, "virtual_machines": [
        dict(vm, resource_group=rcmsetup.GOV_RG, vnet="vnet-rcm-gov", size="Standard_D2s_v3", os_disk_size_gb=64)
        for vm in VMS]}})
    return world


def arm(w, method, rid, body=None, api="2023-06-06"):
    from rawhttp import call
    base = w.ep["clouds"]["public"]["resource_manager"].rstrip("/")
    return call(w.ep, method, f"{base}{rid}?api-version={api}", token=w.admin.mint_token("public"), body=body)


def refused(call_):
    with pytest.raises(HttpResponseError) as exc:
        call_()
    assert exc.value.status_code == 400, exc.value
    return exc.value.error.code, exc.value.error.message


def items(w):
    return w.asr.replication_protected_items


def test_machines_only_in_offazure_named_by_computer_name(w):
    srv = w.admin.add_server("10.10.5.30", "win-admin", appliance=rcmsetup.APPLIANCE)
    assert srv["protectable_item_id"] is None
    with pytest.raises(ResourceNotFoundError):
        w.asr.replication_protectable_items.get(RG, VAULT, w.f, w.c, srv["machine_name"])
    machine = arm(w, "GET", srv["fabric_discovery_machine_id"])[2]
    props = machine["properties"]
    # a Windows VM named longer than 15 characters: the guest is what Azure derived, never the VM resource name
    assert props["displayName"] == "vm-rcm-disc-win" and srv["friendly_name"] == "vm-rcm-disc-win"
    assert props["fqdn"] == "vm-rcm-disc-win.gov.contoso.internal"
    assert props["runAsAccountId"] == w.creds["win-admin"]["run_as_account_id"] and props["isDeleted"] is False
    # by FQDN: the computer name resolves, the Azure VM name does not
    two = w.admin.add_server("DISCNIC01.gov.contoso.internal", "win-admin", appliance=rcmsetup.APPLIANCE)
    assert two["ip_address"] == "10.10.5.31" and two["friendly_name"] == "DISCNIC01"
    assert w.admin.add_server("vm-rcm-disc-2nic.gov.contoso.internal", "win-admin",
                              appliance=rcmsetup.APPLIANCE)["ip_address"] is None
    adapters = arm(w, "GET", two["fabric_discovery_machine_id"])[2]["properties"]["networkAdapters"]
    assert [a["ipAddressList"] for a in adapters] == [["10.10.5.31"], ["10.10.6.31"]]
    assert [a["ipAddressType"] for a in adapters] == ["Static", "Dynamic"]
    names = [p.properties.friendly_name for p in w.asr.replication_protectable_items
             .list_by_replication_protection_containers(RG, VAULT, w.f, w.c)]
    assert "vm-rcm-disc-win" not in names and "DISCNIC01" not in names


def test_two_sites_and_vmware_machines(w):
    fabric = w.asr.replication_fabrics.get(RG, VAULT, w.f)
    cd = fabric.properties.custom_details
    assert cd.physical_site_id == w.app["physical_site_id"] and "/serverSites/" in cd.physical_site_id
    assert cd.vmware_site_id == w.app["vmware_site_id"] and "/Microsoft.OffAzure/VMwareSites/" in cd.vmware_site_id
    for site in (cd.physical_site_id, cd.vmware_site_id):
        status, _h, body = arm(w, "GET", site)
        assert status == 200 and body["properties"]["discoveryScenario"] == "DR"
    rg_id = cd.vmware_site_id.split("/providers/")[0]
    assert cd.vmware_site_id in [s["id"] for s in arm_list(w, rg_id + "/providers/Microsoft.OffAzure/vmwareSites")]
    cred = w.admin.add_credential("vm-guest-linux", "root", "Linux", appliance=rcmsetup.APPLIANCE, site="vmware")
    assert cred["run_as_account_id"].startswith(cd.vmware_site_id + "/runAsAccounts/")
    accounts = arm_list(w, cd.vmware_site_id + "/runasaccounts")  # the REST article's spelling
    assert [(a["properties"]["displayName"], a["properties"]["credentialType"]) for a in accounts] == [
        ("vm-guest-linux", "LinuxGuest")]
    assert "vm-guest-linux" not in [a["properties"]["displayName"]
                                    for a in arm_list(w, cd.physical_site_id + "/runAsAccounts")]
    srv = w.admin.add_server("10.10.6.30", "vm-guest-linux", appliance=rcmsetup.APPLIANCE, site="vmware")
    assert srv["fabric_discovery_machine_id"].startswith(cd.vmware_site_id + "/machines/")
    machine = arm(w, "GET", srv["fabric_discovery_machine_id"])[2]
    assert machine["properties"]["displayName"] == "disc-lnx01" and "runAsAccountId" not in machine["properties"]
    # a VMware machine's account is the site's run-as account taken by display name
    item = enable(w, "disc-lnx01", srv, runAsAccountId=accounts[0]["id"], targetSubnetName="snet-linux",
                  testSubnetName="snet-linux").result()
    d = item.properties.provider_specific_details
    assert d.fabric_discovery_machine_id == srv["fabric_discovery_machine_id"] and item.properties.friendly_name == \
        "disc-lnx01"
    code, _msg = refused(lambda: enable(w, "disc-lnx01-b", srv, runAsAccountId=w.creds["linux-root"][
        "run_as_account_id"], targetSubnetName="snet-linux"))
    assert code in ("RunAsAccountNotFound", "ProtectableItemAlreadyProtected")


def test_paging_and_deleted_machines(w):
    site = w.app["physical_site_id"]
    w.admin.add_server("10.10.5.30", "win-admin", appliance=rcmsetup.APPLIANCE)
    w.admin.add_server("10.10.6.30", "linux-root", appliance=rcmsetup.APPLIANCE)
    pages = []
    machines = arm_list(w, site + "/machines", pages=pages)  # the session simulator pages by 1
    assert len(pages) == len(machines) >= 2 and set(pages) == {1}
    gone = w.admin.remove_server("10.10.6.30", appliance=rcmsetup.APPLIANCE)
    assert gone["is_deleted"] is True
    listed = {m["id"]: m for m in arm_list(w, site + "/machines")}
    assert listed[gone["fabric_discovery_machine_id"]]["properties"]["isDeleted"] is True  # still listed
    srv = {"fabric_discovery_machine_id": gone["fabric_discovery_machine_id"]}
    code, msg = refused(lambda: enable(w, "disc-deleted", srv, "linux-root", targetSubnetName="snet-linux"))
    assert code == "ProtectableItemNotFound" and "deleted" in msg
    again = w.admin.add_server("10.10.6.30", "linux-root", appliance=rcmsetup.APPLIANCE)
    assert again["fabric_discovery_machine_id"] != gone["fabric_discovery_machine_id"]
    live = [m for m in arm_list(w, site + "/machines") if m["properties"]["displayName"] == "disc-lnx01"]
    assert sorted(m["properties"]["isDeleted"] for m in live) == [False, True]
    status, _h, body = arm(w, "GET", site + "/machines", api="2020-01-01")
    assert status == 400


def test_two_nic_vm_vmnics_update_and_failover(w, ep):
    landing = "rg-landing-eastus"
    compute = ComputeManagementClient(credential(ep, "public"), w.sub, **client_kwargs(ep, "public"))
    network = NetworkManagementClient(credential(ep, "public"), w.sub, **client_kwargs(ep, "public"))
    srv = w.admin.add_server("10.10.5.31", "win-admin", appliance=rcmsetup.APPLIANCE)
    item = enable(w, "disc-2nic", srv).result()
    d = item.properties.provider_specific_details
    assert d.primary_nic_ip_address == "10.10.5.31" and len(d.vm_nics) == 2
    first, second = d.vm_nics
    assert (first.is_primary_nic, first.source_ip_address, first.source_subnet_name) == ("true", "10.10.5.31",
                                                                                         "snet-rcm-win")
    assert (second.is_primary_nic, second.source_ip_address, second.source_ip_address_type) == (
        "false", "10.10.6.31", "Dynamic")
    assert first.nic_id != second.nic_id and {first.target_subnet_name, second.target_subnet_name} == {"snet-app"}

    def update(nics):
        return items(w).begin_update(RG, VAULT, w.f, w.c, "disc-2nic", {"properties": {"providerSpecificDetails": {
            "instanceType": "InMageRcm", "vmNics": nics}}})
    code, msg = refused(lambda: update([{"nicId": second.nic_id, "targetSubnetName": "snet-linux"}]))
    assert code == "InvalidParameter" and "isPrimaryNic" in msg
    code, msg = refused(lambda: update([{"nicId": second.nic_id, "isPrimaryNic": "false",
                                         "targetStaticIPAddress": "10.99.0.5"}]))
    assert code == "InvalidParameter" and "10.99.0.5" in msg
    code, _msg = refused(lambda: update([{"nicId": "00:00:00:00:00:00", "isPrimaryNic": "false"}]))
    assert code == "InvalidParameter"
    updated = update([{"nicId": second.nic_id, "isPrimaryNic": "false", "targetSubnetName": "snet-linux",
                       "targetStaticIPAddress": "10.20.2.40"},
                      {"nicId": first.nic_id, "isPrimaryNic": "true", "testStaticIPAddress": "10.30.1.40"}]).result()
    ud = {n.nic_id: n for n in updated.properties.provider_specific_details.vm_nics}
    assert (ud[second.nic_id].target_subnet_name, ud[second.nic_id].target_ip_address,
            ud[second.nic_id].target_ip_address_type) == ("snet-linux", "10.20.2.40", "Static")
    assert ud[first.nic_id].test_ip_address == "10.30.1.40" and ud[first.nic_id].is_primary_nic == "true"
    # test failover: one NIC per source NIC, the static test IP honoured
    items(w).begin_test_failover(RG, VAULT, w.f, w.c, "disc-2nic", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
        "providerSpecificDetails": {"instanceType": "InMageRcm"}}}).result()
    test_vm = compute.virtual_machines.get(landing, "DISCNIC01-test")
    nics = [network.network_interfaces.get(landing, r.id.rsplit("/", 1)[-1])
            for r in test_vm.network_profile.network_interfaces]
    assert [n.name for n in nics] == ["DISCNIC01-test-nic", "DISCNIC01-test-nic1"]
    assert nics[0].primary and nics[0].ip_configurations[0].private_ip_address == "10.30.1.40"
    assert nics[0].ip_configurations[0].private_ip_allocation_method == "Static"
    assert nics[1].ip_configurations[0].subnet.id == w.test_vnet + "/subnets/snet-app"
    items(w).begin_test_failover_cleanup(RG, VAULT, w.f, w.c, "disc-2nic", {"properties": {"comments": "ok"}}).result()
    # the second NIC's static target IP is taken in the target network: the failover job fails (Azure's code)
    network.network_interfaces.begin_create_or_update(landing, "nic-squatter", {
        "location": "eastus", "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
            "privateIPAddress": "10.20.2.40", "privateIPAllocationMethod": "Static",
            "subnet": {"id": w.vnet + "/subnets/snet-linux"}}}]}}).result()
    with pytest.raises(HttpResponseError) as exc:
        items(w).begin_unplanned_failover(RG, VAULT, w.f, w.c, "disc-2nic", {"properties": {
            "failoverDirection": "PrimaryToRecovery",
            "providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "false"}}}).result()
    assert "PrivateIPAddressInUse" in str(exc.value)
    with pytest.raises(ResourceNotFoundError):
        compute.virtual_machines.get(landing, "DISCNIC01")
