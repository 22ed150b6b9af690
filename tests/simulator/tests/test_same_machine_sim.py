"""What a "same machine" move needs from the simulator (issue 17), through the real SDK clients: the fleet of
seed/same_machine.json as Compute, Network and the SQL VM provider answer it; InMageRcm enable and update validating
zones, per-disk types and per-NIC static IPs; (test) failover creating the VM with the item's zone, size, licence,
tags, disks and one NIC per selected source NIC (static IPs honoured, refused when taken; no NSG or public IP, which
no Site Recovery input carries); and NIC PUTs attaching an NSG and a public IP afterwards, as the Network RP does."""
import json
import time

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

import rcmsetup
from rcmsetup import RG, VAULT, enable
from rawhttp import call
from simhelpers import SIM_ROOT, client_kwargs, credential

SEED = SIM_ROOT + "/seed/same_machine.json"
GOV_RG = "rg-fleet-gov"
TARGET_RG = "rg-fleet-eastus"
SQL_VM = "Microsoft.SqlVirtualMachine/sqlVirtualMachines"
MACHINES = {  # VM: (ip, credential)
    "vm-web01": ("10.20.1.10", "win-admin"), "vm-zonal01": ("10.20.1.11", "linux-root"),
    "vm-tagged01": ("10.20.1.12", "linux-root"), "vm-disks01": ("10.20.2.13", "linux-root"),
    "vm-sql01": ("10.20.2.14", "win-admin"), "vm-oddsize01": ("10.20.1.15", "linux-root"),
}


@pytest.fixture(scope="module")
def fleet(ep, admin):
    """The RCM vault world, the fleet seeded in Government, and a mirrored target network (production and test
    VNets with the source prefixes) in a target resource group of its own."""
    w = rcmsetup.world(ep, admin)
    with open(SEED) as fh:  # into the second Government subscription: other tests list the first one's VMs
        doc = json.load(fh)
    doc["gov"]["subscription_id"] = w.gov_sub
    admin.seed(doc)
    pub = ep["clouds"]["public"]
    net = NetworkManagementClient(credential(ep, "public"), pub["subscription_id"], polling_interval=0,
                                  **client_kwargs(ep, "public"))
    w.rm.resource_groups.create_or_update(TARGET_RG, {"location": "eastus"})
    for vnet in ("vnet-fleet-eastus", "vnet-fleet-test"):
        net.virtual_networks.begin_create_or_update(TARGET_RG, vnet, {
            "location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}, "subnets": [
                {"name": "snet-web", "properties": {"addressPrefix": "10.20.1.0/24"}},
                {"name": "snet-data", "properties": {"addressPrefix": "10.20.2.0/24"}}]}}).result()
    base = f"/subscriptions/{w.sub}/resourceGroups/{TARGET_RG}"
    w.extra.update(
        net=net, target_rg=base, vnet=base + "/providers/Microsoft.Network/virtualNetworks/vnet-fleet-eastus",
        test_vnet=base + "/providers/Microsoft.Network/virtualNetworks/vnet-fleet-test",
        compute=ComputeManagementClient(credential(ep, "public"), w.sub, **client_kwargs(ep, "public")),
        gov_compute=ComputeManagementClient(credential(ep), w.gov_sub, **client_kwargs(ep)),
        gov_net=NetworkManagementClient(credential(ep), w.gov_sub, **client_kwargs(ep)),
        gov_rm=ResourceManagementClient(credential(ep), w.gov_sub, **client_kwargs(ep)),
        servers={})
    return w


def srv(w, vm):
    if vm not in w.extra["servers"]:
        ip, cred = MACHINES[vm]
        w.extra["servers"][vm] = w.admin.add_server(ip, cred, appliance=rcmsetup.APPLIANCE)
    return w.extra["servers"][vm]


def start(w, vm, **over):
    """Enable replication of a fleet VM into the fleet's target network (item name sm-<vm>)."""
    x = w.extra
    psd = dict(targetResourceGroupId=x["target_rg"], targetNetworkId=x["vnet"], targetSubnetName="snet-web",
               testNetworkId=x["test_vnet"], testSubnetName="snet-web")
    psd.update(over)
    return enable(w, "sm-" + vm, srv(w, vm), MACHINES[vm][1], **psd)


def items(w):
    return w.asr.replication_protected_items


def update(w, vm, **psd):
    return items(w).begin_update(RG, VAULT, w.f, w.c, "sm-" + vm, {"properties": {"providerSpecificDetails": dict(
        instanceType="InMageRcm", **psd)}})


def failover(w, vm):
    return items(w).begin_unplanned_failover(RG, VAULT, w.f, w.c, "sm-" + vm, {"properties": {
        "failoverDirection": "PrimaryToRecovery",
        "providerSpecificDetails": {"instanceType": "InMageRcm", "performShutdown": "false"}}})


def refused(call_):
    with pytest.raises(HttpResponseError) as exc:
        call_()
    assert exc.value.status_code == 400, exc.value
    return exc.value.error.code, exc.value.error.message


def nics_of(w, vm):
    net = w.extra["net"]
    return [net.network_interfaces.get(TARGET_RG, ref.id.rsplit("/", 1)[-1])
            for ref in vm.network_profile.network_interfaces]


def test_seeds_render_as_the_sdk_reads_them(fleet):
    w = fleet
    c, net = w.extra["gov_compute"], w.extra["gov_net"]
    web = c.virtual_machines.get(GOV_RG, "vm-web01")
    nics = [net.network_interfaces.get(GOV_RG, r.id.rsplit("/", 1)[-1]) for r in web.network_profile.network_interfaces]
    assert [(n.primary, n.ip_configurations[0].private_ip_address, n.ip_configurations[0].private_ip_allocation_method,
             n.ip_configurations[0].subnet.id.rsplit("/", 1)[-1]) for n in nics] == [
        (True, "10.20.1.10", "Static", "snet-web"), (False, "10.20.2.10", "Static", "snet-data")]
    assert nics[0].network_security_group.id.endswith("/networkSecurityGroups/nsg-web-nic")
    assert nics[0].ip_configurations[0].public_ip_address.id.endswith("/publicIPAddresses/pip-web01")
    assert nics[0].enable_accelerated_networking is True and nics[1].network_security_group is None
    assert [i.id for i in net.network_security_groups.get(GOV_RG, "nsg-web-nic").network_interfaces] == [nics[0].id]
    assert net.public_ip_addresses.get(GOV_RG, "pip-web01").ip_configuration.id == nics[0].ip_configurations[0].id
    assert web.os_profile.computer_name == "WEB01" and web.diagnostics_profile.boot_diagnostics.enabled is True
    assert web.os_profile.secrets[0].source_vault.id.endswith("/Microsoft.KeyVault/vaults/kv-fleet-gov")
    assert web.os_profile.secrets[0].vault_certificates[0].certificate_url.startswith(
        "https://kv-fleet-gov.vault.usgovcloudapi.net/secrets/web01-tls/")
    assert web.identity is None and web.license_type is None and not web.resources

    zonal = c.virtual_machines.get(GOV_RG, "vm-zonal01")
    assert zonal.zones == ["2"] and zonal.availability_set is None
    assert c.disks.get(GOV_RG, zonal.storage_profile.os_disk.name).zones == ["2"]
    assert c.virtual_machines.get(GOV_RG, "vm-tagged01").tags == {"move-wave": "17", "app": "billing",
                                                                  "owner": "team-a", "cost-center": "4711"}
    disks = c.virtual_machines.get(GOV_RG, "vm-disks01").storage_profile.data_disks
    assert [(d.lun, d.disk_size_gb, d.managed_disk.storage_account_type) for d in disks] == [
        (0, 64, "Premium_LRS"), (1, 128, "StandardSSD_LRS"), (2, 256, "Standard_LRS")]
    assert [(c.disks.get(GOV_RG, d.name).disk_size_gb, c.disks.get(GOV_RG, d.name).sku.name) for d in disks] == [
        (64, "Premium_LRS"), (128, "StandardSSD_LRS"), (256, "Standard_LRS")]

    sql = c.virtual_machines.get(GOV_RG, "vm-sql01")
    assert sql.license_type == "Windows_Server" and sql.identity.type == "SystemAssigned"
    assert sql.identity.principal_id and sql.identity.tenant_id == w.ep["clouds"]["gov"]["tenant_id"]
    assert [e.name for e in sql.resources] == ["SqlIaasExtension", "MicrosoftMonitoringAgent"]
    listed = c.virtual_machine_extensions.list(GOV_RG, "vm-sql01").value
    assert [(e.publisher, e.properties.type) for e in listed] == [
        ("Microsoft.SqlServer.Management", "SqlIaaSAgent"),
        ("Microsoft.EnterpriseCloud.Monitoring", "MicrosoftMonitoringAgent")]
    assert c.virtual_machine_extensions.get(GOV_RG, "vm-sql01", "SqlIaasExtension").id == \
        sql.id + "/extensions/SqlIaasExtension"
    assert c.virtual_machine_extensions.list(GOV_RG, "vm-web01").value == []
    with pytest.raises(ResourceNotFoundError):
        c.virtual_machine_extensions.get(GOV_RG, "vm-sql01", "nope")

    # the size the public target region does not offer: listed in Government, not in eastus
    gov_skus = [s.name for s in c.resource_skus.list(filter="location eq 'usgovvirginia'")]
    pub_skus = [s.name for s in w.extra["compute"].resource_skus.list(filter="location eq 'eastus'")]
    assert c.virtual_machines.get(GOV_RG, "vm-oddsize01").hardware_profile.vm_size == "Standard_DS3_v2"
    assert "Standard_DS3_v2" in gov_skus and "Standard_DS3_v2" not in pub_skus and "Standard_D4s_v3" in pub_skus


def test_sql_vm_get_list_and_404(fleet):
    w = fleet
    rm, sub = w.extra["gov_rm"], w.gov_sub
    rid = f"/subscriptions/{sub}/resourceGroups/{GOV_RG}/providers/{SQL_VM}/"
    for api in ("2022-02-01", "2023-10-01"):
        sql = rm.resources.get_by_id(rid + "vm-sql01", api_version=api)
        assert sql.type == SQL_VM and sql.location == "usgovvirginia"
        assert sql.properties["sqlServerLicenseType"] == "AHUB"
        assert sql.properties["virtualMachineResourceId"].endswith("/virtualMachines/vm-sql01")
        assert sql.properties["provisioningState"] == "Succeeded"
        assert sql.properties["sqlImageOffer"] == "SQL2019-WS2019"
    with pytest.raises(ResourceNotFoundError) as exc:
        rm.resources.get_by_id(rid + "vm-web01", api_version="2022-02-01")
    assert exc.value.error.code == "ResourceNotFound"
    with pytest.raises(HttpResponseError) as exc:
        rm.resources.get_by_id(rid + "vm-sql01", api_version="2020-01-01")
    assert exc.value.error.code == "NoRegisteredProviderFound"
    arm = w.ep["clouds"]["gov"]["resource_manager"].rstrip("/")
    token = w.admin.mint_token("gov")
    for url in (f"{arm}{rid.rstrip('/')}?api-version=2023-10-01",
                f"{arm}/subscriptions/{sub}/providers/{SQL_VM}?api-version=2023-10-01"):
        status, _h, body = call(w.ep, "GET", url, token=token)
        assert status == 200 and [v["name"] for v in body["value"]] == ["vm-sql01"], body


def test_discovery_reports_every_disk_and_nic(fleet):
    w = fleet
    arm = w.ep["clouds"]["public"]["resource_manager"].rstrip("/")
    token = w.admin.mint_token("public")
    for vm, disks, nics in (("vm-web01", [127], ["10.20.1.10", "10.20.2.10"]),
                            ("vm-disks01", [30, 64, 128, 256], ["10.20.2.13"])):
        s = srv(w, vm)
        _status, _h, machine = call(w.ep, "GET", f"{arm}{s['fabric_discovery_machine_id']}?api-version=2023-06-06",
                                    token=token)
        props = machine["properties"]
        assert [d["maxSizeInBytes"] // 1024 ** 3 for d in props["disks"]] == disks
        assert [a["ipAddressList"] for a in props["networkAdapters"]] == [[ip] for ip in nics]
    assert props["networkAdapters"][0]["ipAddressType"] == "Dynamic"
    assert (props["numberOfProcessorCore"], props["allocatedMemoryInMb"]) == (4, 16384.0)  # Standard_D4s_v3


def test_enable_checks_zone_and_per_disk_types(fleet):
    w = fleet
    code, msg = refused(lambda: start(w, "vm-zonal01", targetAvailabilityZone="4"))
    assert code == "InvalidParameter" and "'4'" in msg and "zones: 1, 2, 3" in msg
    avset = f"{w.landing}/providers/Microsoft.Compute/availabilitySets/nope"
    code, _msg = refused(lambda: start(w, "vm-zonal01", targetAvailabilityZone="2", targetAvailabilitySetId=avset))
    assert code == "TargetAvailabilitySetNotFound"
    # the Gov-only size has no zone in eastus (not offered there)
    code, msg = refused(lambda: start(w, "vm-oddsize01", targetAvailabilityZone="1"))
    assert code == "InvalidParameter" and "Standard_DS3_v2" in msg
    # per-disk types: every disk named, each with its own type; a wrong type is refused
    arm = w.ep["clouds"]["public"]["resource_manager"].rstrip("/")
    _s, _h, machine = call(w.ep, "GET", f"{arm}{srv(w, 'vm-disks01')['fabric_discovery_machine_id']}"
                                        "?api-version=2023-06-06", token=w.admin.mint_token("public"))
    ids = [d["uuid"] for d in machine["properties"]["disks"]]
    types = ["Premium_LRS", "Premium_LRS", "StandardSSD_LRS", "Standard_LRS"]
    include = [{"diskId": i, "diskType": t, "logStorageAccountId": w.storage} for i, t in zip(ids, types)]
    code, msg = refused(lambda: start(w, "vm-disks01", disksDefault=None, targetSubnetName="snet-data",
                                      disksToInclude=[dict(include[0], diskType="Gold_LRS")] + include[1:]))
    assert code == "InvalidParameter" and "Gold_LRS" in msg
    item = start(w, "vm-disks01", disksDefault=None, disksToInclude=include, targetSubnetName="snet-data").result()
    d = item.properties.provider_specific_details
    assert [(p.capacity_in_bytes // 1024 ** 3, p.disk_type, p.is_os_disk) for p in d.protected_disks] == [
        (30, "Premium_LRS", "true"), (64, "Premium_LRS", "false"), (128, "StandardSSD_LRS", "false"),
        (256, "Standard_LRS", "false")]
    assert [n.source_ip_address for n in d.vm_nics] == ["10.20.2.13"]
    zonal = start(w, "vm-zonal01", targetAvailabilityZone="2").result()
    assert zonal.properties.provider_specific_details.target_availability_zone == "2"


def test_update_sets_static_ips_strictly_even_during_initial_replication(fleet):
    w = fleet
    srv(w, "vm-tagged01")  # discovered at once (time factor 0)
    w.admin.set_time_factor(0.01)  # initial replication of the 30 GB machine lasts about 4 s
    item = start(w, "vm-tagged01").result()
    assert item.properties.protection_state == "InitialReplicationInProgress"
    nic = item.properties.provider_specific_details.vm_nics[0]
    code, msg = refused(lambda: update(w, "vm-tagged01", vmNics=[{
        "nicId": nic.nic_id, "isPrimaryNic": "true", "targetStaticIPAddress": "10.20.2.12"}]))
    assert code == "InvalidParameter" and "10.20.2.12" in msg and "snet-web" in msg
    code, _msg = refused(lambda: update(w, "vm-tagged01", vmNics=[{
        "nicId": "aa:bb:cc:dd:ee:ff", "isPrimaryNic": "true", "targetStaticIPAddress": "10.20.1.12"}]))
    assert code == "InvalidParameter"
    code, _msg = refused(lambda: update(w, "vm-tagged01", targetAvailabilityZone="7"))
    assert code == "InvalidParameter"
    done = update(w, "vm-tagged01", vmNics=[{"nicId": nic.nic_id, "isPrimaryNic": "true",
                                             "targetStaticIPAddress": "10.20.1.12",
                                             "testStaticIPAddress": "10.20.1.12"}],
                  targetVmTags=[{"tagName": "app", "tagValue": "billing"}]).result()
    got = done.properties.provider_specific_details.vm_nics[0]
    assert (got.target_ip_address, got.target_ip_address_type, got.test_ip_address) == ("10.20.1.12", "Static",
                                                                                        "10.20.1.12")
    assert done.properties.protection_state == "InitialReplicationInProgress"  # accepted while it replicates


def test_failover_creates_the_same_machine(fleet):
    w = fleet
    compute, x = w.extra["compute"], w.extra
    item = start(w, "vm-web01", licenseType="WindowsServer", targetVmSize="Standard_D2s_v3",
                 targetVmTags=[{"tagName": "move-wave", "tagValue": "17"}, {"tagName": "role", "tagValue": "web"}]
                 ).result()
    first, second = item.properties.provider_specific_details.vm_nics
    update(w, "vm-web01", vmNics=[
        {"nicId": first.nic_id, "isPrimaryNic": "true", "targetSubnetName": "snet-web",
         "targetStaticIPAddress": "10.20.1.10", "testSubnetName": "snet-web", "testStaticIPAddress": "10.20.1.10"},
        {"nicId": second.nic_id, "isPrimaryNic": "false", "targetSubnetName": "snet-data",
         "targetStaticIPAddress": "10.20.2.10", "testSubnetName": "snet-data", "testStaticIPAddress": "10.20.2.10"}]
    ).result()
    # the drill: the test network and its addresses
    items(w).begin_test_failover(RG, VAULT, w.f, w.c, "sm-vm-web01", {"properties": {
        "providerSpecificDetails": {"instanceType": "InMageRcm"}}}).result()
    test_vm = compute.virtual_machines.get(TARGET_RG, "WEB01-test")
    assert [(n.ip_configurations[0].private_ip_address, n.ip_configurations[0].subnet.id)
            for n in nics_of(w, test_vm)] == [
        ("10.20.1.10", x["test_vnet"] + "/subnets/snet-web"), ("10.20.2.10", x["test_vnet"] + "/subnets/snet-data")]
    items(w).begin_test_failover_cleanup(RG, VAULT, w.f, w.c, "sm-vm-web01",
                                         {"properties": {"comments": "ok"}}).result()
    failover(w, "vm-web01").result()
    vm = compute.virtual_machines.get(TARGET_RG, "WEB01")
    assert vm.license_type == "Windows_Server" and vm.hardware_profile.vm_size == "Standard_D2s_v3"
    assert vm.tags == {"move-wave": "17", "role": "web"} and vm.zones is None and vm.identity is None
    nics = nics_of(w, vm)
    assert [(n.primary, n.ip_configurations[0].private_ip_address, n.ip_configurations[0].private_ip_allocation_method,
             n.ip_configurations[0].subnet.id) for n in nics] == [
        (True, "10.20.1.10", "Static", x["vnet"] + "/subnets/snet-web"),
        (False, "10.20.2.10", "Static", x["vnet"] + "/subnets/snet-data")]
    # no Site Recovery input carries these: the failed-over NICs have none
    assert all(n.network_security_group is None and n.ip_configurations[0].public_ip_address is None
               and not n.enable_accelerated_networking for n in nics)

    # zone, per-disk sizes and types, licences
    failover(w, "vm-zonal01").result()
    zonal = compute.virtual_machines.get(TARGET_RG, "zonal01")
    assert zonal.zones == ["2"] and compute.disks.get(TARGET_RG, zonal.storage_profile.os_disk.name).zones == ["2"]
    assert zonal.license_type is None
    failover(w, "vm-disks01").result()
    disks = compute.virtual_machines.get(TARGET_RG, "disks01").storage_profile
    assert disks.os_disk.managed_disk.storage_account_type == "Premium_LRS"
    assert [(d.disk_size_gb, d.managed_disk.storage_account_type) for d in disks.data_disks] == [
        (64, "Premium_LRS"), (128, "StandardSSD_LRS"), (256, "Standard_LRS")]
    assert [(compute.disks.get(TARGET_RG, d.name).disk_size_gb, compute.disks.get(TARGET_RG, d.name).sku.name)
            for d in disks.data_disks] == [(64, "Premium_LRS"), (128, "StandardSSD_LRS"), (256, "Standard_LRS")]
    start(w, "vm-sql01", licenseType="WindowsServer", sqlServerLicenseType="AHUB",
          targetSubnetName="snet-data").result()
    failover(w, "vm-sql01").result()
    assert compute.virtual_machines.get(TARGET_RG, "SQL01").license_type == "Windows_Server"


def test_size_not_offered_fails_the_failover_until_changed(fleet):
    w = fleet
    start(w, "vm-oddsize01").result()
    with pytest.raises(HttpResponseError) as exc:
        failover(w, "vm-oddsize01").result()
    assert "SkuNotAvailable" in str(exc.value)
    with pytest.raises(ResourceNotFoundError):
        w.extra["compute"].virtual_machines.get(TARGET_RG, "oddsize01")
    update(w, "vm-oddsize01", targetVmSize="Standard_D4s_v3").result()
    failover(w, "vm-oddsize01").result()
    assert w.extra["compute"].virtual_machines.get(TARGET_RG, "oddsize01").hardware_profile.vm_size == "Standard_D4s_v3"


def test_taken_static_ip_fails_the_failover(fleet):
    w = fleet
    net = w.extra["net"]
    item = items(w).get(RG, VAULT, w.f, w.c, "sm-vm-tagged01")
    deadline = time.time() + 60
    while item.properties.protection_state != "Protected" and time.time() < deadline:  # initial replication ends
        time.sleep(0.5)
        item = items(w).get(RG, VAULT, w.f, w.c, "sm-vm-tagged01")
    assert item.properties.provider_specific_details.vm_nics[0].target_ip_address == "10.20.1.12"
    net.network_interfaces.begin_create_or_update(TARGET_RG, "nic-squatter-12", {
        "location": "eastus", "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
            "privateIPAddress": "10.20.1.12", "privateIPAllocationMethod": "Static",
            "subnet": {"id": w.extra["vnet"] + "/subnets/snet-web"}}}]}}).result()
    with pytest.raises(HttpResponseError) as exc:
        failover(w, "vm-tagged01").result()
    assert "PrivateIPAddressInUse" in str(exc.value)
    with pytest.raises(ResourceNotFoundError):
        w.extra["compute"].virtual_machines.get(TARGET_RG, "tagged01")
    net.network_interfaces.begin_delete(TARGET_RG, "nic-squatter-12").result()
    # The same address in another VNet (same prefix) is no conflict: addresses are unique per VNet.
    other = net.virtual_networks.begin_create_or_update(TARGET_RG, "vnet-same-prefix", {
        "location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
                                             "subnets": [{"name": "snet-web", "properties": {"addressPrefix": "10.20.1.0/24"}}]}}).result()
    net.network_interfaces.begin_create_or_update(TARGET_RG, "nic-elsewhere-12", {
        "location": "eastus", "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
            "privateIPAddress": "10.20.1.12", "privateIPAllocationMethod": "Static",
            "subnet": {"id": other.id + "/subnets/snet-web"}}}]}}).result()
    failover(w, "vm-tagged01").result()
    vm = w.extra["compute"].virtual_machines.get(TARGET_RG, "tagged01")
    config = nics_of(w, vm)[0].ip_configurations[0]
    assert (config.private_ip_address, config.private_ip_allocation_method) == ("10.20.1.12", "Static")


def test_nic_put_attaches_nsg_and_public_ip(fleet):
    w = fleet
    net, compute = w.extra["net"], w.extra["compute"]
    try:
        vm = compute.virtual_machines.get(TARGET_RG, "WEB01")
    except ResourceNotFoundError:
        pytest.skip("needs the failover of test_failover_creates_the_same_machine")
    nsg = net.network_security_groups.begin_create_or_update(TARGET_RG, "nsg-web-nic", {"location": "eastus"}).result()
    pip = net.public_ip_addresses.begin_create_or_update(TARGET_RG, "pip-web01", {
        "location": "eastus", "sku": {"name": "Standard"},
        "properties": {"publicIPAllocationMethod": "Static"}}).result()
    far = net.network_security_groups.begin_create_or_update(TARGET_RG, "nsg-westus", {"location": "westus"}).result()
    primary, second = nics_of(w, vm)

    def put(nic, nsg_id=None, pip_id=None):  # what a client does: GET the NIC, set the references, PUT it back
        from azure.mgmt.network.models import NetworkSecurityGroup, PublicIPAddress
        nic = net.network_interfaces.get(TARGET_RG, nic.name)
        if pip_id:
            nic.ip_configurations[0].public_ip_address = PublicIPAddress(id=pip_id)
        if nsg_id:
            nic.network_security_group = NetworkSecurityGroup(id=nsg_id)
        return net.network_interfaces.begin_create_or_update(TARGET_RG, nic.name, nic).result()
    code, _m = refused(lambda: put(primary, nsg_id=far.id))
    assert code == "InvalidResourceReference"
    code, _m = refused(lambda: put(primary, pip_id=pip.id.replace("pip-web01", "pip-missing")))
    assert code == "InvalidResourceReference"
    done = put(primary, nsg_id=nsg.id, pip_id=pip.id)
    assert done.network_security_group.id == nsg.id and done.ip_configurations[0].public_ip_address.id == pip.id
    assert done.ip_configurations[0].private_ip_address == "10.20.1.10"  # the static address stays
    assert done.ip_configurations[0].private_ip_allocation_method == "Static" and done.virtual_machine.id == vm.id
    assert [n.id for n in net.network_security_groups.get(TARGET_RG, "nsg-web-nic").network_interfaces] == [done.id]
    assert net.public_ip_addresses.get(TARGET_RG, "pip-web01").ip_configuration.id == done.ip_configurations[0].id
    assert put(done, nsg_id=nsg.id, pip_id=pip.id).ip_configurations[0].public_ip_address.id == pip.id  # again: same
    code, msg = refused(lambda: put(second, pip_id=pip.id))
    assert code == "PublicIPAddressInUse" and done.ip_configurations[0].id in msg
