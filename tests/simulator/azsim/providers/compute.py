"""Read-only Microsoft.Compute/virtualMachines, disks and Microsoft.Network NICs/VNets.

These are seeded (admin POST /seed or --seed) rather than created through PUT; the
shapes are what azure-mgmt-compute / azure-mgmt-network deserialize for a VM with
a managed OS disk, one NIC and a private IP in a VNet subnet.
"""
import hashlib
import ipaddress
import json
import re
import time
import uuid

from ..arm import ROUTER, ArmError, normalize_location
from ..httpbase import Response
from ..sim import iso
from .resources import RG_TYPE, rg_id, require_rg

# azure-mgmt-compute 39 defaults: virtualMachines 2026-04-01, disks 2026-03-02 (disk RP versions end in -02)
COMPUTE_VERSIONS = {"2026-04-01", "2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-09-01",
                    "2023-03-01", "2022-11-01", "2022-08-01"}
DISK_VERSIONS = {"2026-03-02", "2025-01-02", "2024-03-02", "2023-10-02", "2023-04-02", "2022-07-02"}
# azure-mgmt-network default 2026-03-01 (2018-10-01 for a few legacy operations)
NETWORK_VERSIONS = {"2026-03-01", "2025-05-01", "2025-01-01", "2024-05-01", "2024-03-01", "2023-09-01",
                    "2023-05-01", "2022-07-01", "2022-05-01", "2018-10-01"}
VM_TYPE = "Microsoft.Compute/virtualMachines"
DISK_TYPE = "Microsoft.Compute/disks"
NIC_TYPE = "Microsoft.Network/networkInterfaces"
VNET_TYPE = "Microsoft.Network/virtualNetworks"
P = "/subscriptions/{sub}/resourceGroups/{rg}/providers/"

IMAGES = {
    "windows server 2019": ("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter", "10.0.17763"),
    "windows server 2022": ("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition", "10.0.20348"),
    "ubuntu 20.04": ("Canonical", "0001-com-ubuntu-server-focal", "20_04-lts-gen2", "20.04"),
    "ubuntu 22.04": ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "22.04"),
    "rhel 8": ("RedHat", "RHEL", "8-lvm-gen2", "8.9"),
}
POWER = {"running": "VM running", "stopped": "VM stopped", "deallocated": "VM deallocated",
         "starting": "VM starting", "stopping": "VM stopping", "deallocating": "VM deallocating"}


def _hexid(*parts):
    return hashlib.sha1("/".join(parts).lower().encode()).hexdigest()


def _guid(*parts):
    return str(uuid.UUID(_hexid(*parts)[:32]))


def _ids(sub, rg, kind, name):
    compute_kinds = ("virtualMachines", "disks", "proximityPlacementGroups")
    ns = "Microsoft.Compute" if kind in compute_kinds else "Microsoft.Network"
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{kind}/{name}"


# -- seeding ---------------------------------------------------------------------------------------
def seed_vnet(sim, cloud, sub, v):
    rg, name = v["resource_group"], v["name"]
    vid = _ids(sub, rg, "virtualNetworks", name)
    loc = normalize_location(v.get("location"))
    subnets = []
    for s in v.get("subnets") or [{"name": "default", "address_prefix": v.get("address_prefix", "10.0.0.0/24")}]:
        subnets.append({"name": s["name"], "id": f"{vid}/subnets/{s['name']}",
                        "etag": f'W/"{_guid(vid, s["name"])}"',
                        "type": "Microsoft.Network/virtualNetworks/subnets",
                        "properties": {"provisioningState": "Succeeded", "addressPrefix": s["address_prefix"],
                                       "delegations": [], "privateEndpointNetworkPolicies": "Disabled",
                                       "privateLinkServiceNetworkPolicies": "Enabled"}})
    body = {"name": name, "id": vid, "etag": f'W/"{_guid(vid)}"', "type": VNET_TYPE, "location": loc,
            "tags": v.get("tags") or {},
            "properties": {"provisioningState": "Succeeded", "resourceGuid": _guid(vid, "guid"),
                           "addressSpace": {"addressPrefixes": [v.get("address_space", "10.0.0.0/16")]},
                           "subnets": subnets, "virtualNetworkPeerings": [], "enableDdosProtection": False}}
    sim.store.put_resource(cloud, vid, VNET_TYPE, sub, rg, body)
    return body


def default_computer_name(name, os_type):
    """The guest host name Azure derives from a VM name when none is given: Windows keeps letters, digits and '-'
    (no '.' or '_') and at most 15 characters; Linux drops '_' and keeps at most 64 (Microsoft Docs
    resource-name-rules.md, Microsoft.Compute/virtualMachines; Compute OSProfile.computerName)."""
    if os_type == "Windows":
        return re.sub(r"[^A-Za-z0-9-]", "", name)[:15].strip("-") or "vm"
    return re.sub(r"[^A-Za-z0-9.-]", "", name)[:64].strip("-.") or "vm"


def nic_specs(vm):
    """The seeded VM's NICs: `nics` [{subnet, vnet?, vnet_resource_group?, private_ip, allocation?,
    network_security_group?, public_ip?, primary?, accelerated_networking?}], or the single-NIC keys (private_ip,
    subnet, vnet, vnet_resource_group, ip_allocation, network_security_group, public_ip). Names <vm>-nic, <vm>-nic1, ...
    Exactly one is primary (the one marked, else the first)."""
    if vm.get("nics"):
        specs = [dict(n) for n in vm["nics"]]
    else:
        specs = [{"subnet": vm.get("subnet"), "vnet": vm.get("vnet"),
                  "vnet_resource_group": vm.get("vnet_resource_group"), "private_ip": vm["private_ip"], "allocation": vm.get("ip_allocation", "Static"),
                  "network_security_group": vm.get("network_security_group"), "public_ip": vm.get("public_ip"),
                  "name": vm.get("nic_name"), "primary": True}]
    primary = next((i for i, n in enumerate(specs) if n.get("primary")), 0)
    for i, n in enumerate(specs):
        n["primary"] = i == primary
        n.setdefault("vnet", vm.get("vnet"))
        n.setdefault("vnet_resource_group", vm.get("vnet_resource_group"))
        n["name"] = n.get("name") or (f"{vm['name']}-nic" + (str(i) if i else ""))
    return specs


def _seed_nic(sim, cloud, sub, vm, vm_id, loc, spec):
    rg = vm["resource_group"]
    vnet_rg = spec.get("vnet_resource_group") or rg
    vnet_name = spec.get("vnet") or f"vnet-{rg}"
    subnet = spec.get("subnet") or "default"
    vnet_id = _ids(sub, vnet_rg, "virtualNetworks", vnet_name)
    if sim.store.get_resource(cloud, vnet_id) is None:
        seed_vnet(sim, cloud, sub, {"name": vnet_name, "resource_group": vnet_rg, "location": loc,
                                    "subnets": [{"name": subnet, "address_prefix": vm.get("subnet_prefix",
                                                                                          "10.0.0.0/24")}]})
    nic_id = _ids(sub, rg, "networkInterfaces", spec["name"])
    mac = _hexid(nic_id)[:12].upper()
    nic = {"name": spec["name"], "id": nic_id, "etag": f'W/"{_guid(nic_id)}"', "type": NIC_TYPE, "location": loc,
           "tags": vm.get("tags") or {},
           "properties": {
               "provisioningState": "Succeeded", "resourceGuid": _guid(nic_id, "guid"),
               "ipConfigurations": [{
                   "name": "ipconfig1", "id": f"{nic_id}/ipConfigurations/ipconfig1",
                   "etag": f'W/"{_guid(nic_id)}"', "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                   "properties": {"provisioningState": "Succeeded", "privateIPAddress": spec["private_ip"],
                                  "privateIPAllocationMethod": spec.get("allocation") or "Static",
                                  "subnet": {"id": f"{vnet_id}/subnets/{subnet}"}, "primary": True,
                                  "privateIPAddressVersion": "IPv4"}}],
               "dnsSettings": {"dnsServers": [], "appliedDnsServers": [],
                               "internalDomainNameSuffix": f"{_hexid(vnet_id)[:26]}.bx.internal.cloudapp.net"},
               "macAddress": "-".join(mac[i:i + 2] for i in range(0, 12, 2)),
               "enableAcceleratedNetworking": bool(spec.get("accelerated_networking")),
               "vnetEncryptionSupported": False,
               "enableIPForwarding": False, "primary": spec["primary"], "virtualMachine": {"id": vm_id},
               "hostedWorkloads": [], "tapConfigurations": [], "nicType": "Standard",
               "allowPort25Out": False, "auxiliaryMode": "None", "auxiliarySku": "None"}}
    sim.store.put_resource(cloud, nic_id, NIC_TYPE, sub, rg, nic)
    return nic_id


def seed_vm(sim, cloud, sub, vm):
    rg, name = vm["resource_group"], vm["name"]
    loc = normalize_location(vm.get("location"))
    os_type = vm.get("os_type", "Linux")
    os_name = vm.get("os_name") or ("Windows Server 2019" if os_type == "Windows" else "Ubuntu 20.04")
    pub, offer, sku, osver = IMAGES.get(os_name.lower(), ("Unknown", "Unknown", "Unknown", ""))
    if vm.get("image"):
        pub, offer, sku = vm["image"].get("publisher", pub), vm["image"].get("offer", offer), \
            vm["image"].get("sku", sku)
    vm_id = _ids(sub, rg, "virtualMachines", name)
    specs = nic_specs(vm)
    nic_ids = [_seed_nic(sim, cloud, sub, vm, vm_id, loc, spec) for spec in specs]
    vm.setdefault("private_ip", next(n["private_ip"] for n in specs if n["primary"]))  # the host facts' key

    disk_name = f"{name}_OsDisk_1_{_hexid(vm_id)[:32]}"
    disk_id = _ids(sub, rg.upper(), "disks", disk_name)
    size_gb = int(vm.get("os_disk_size_gb", 127 if os_type == "Windows" else 30))
    sku_disk = vm.get("os_disk_type", "Premium_LRS")
    created = iso(time.time() - 86400 * 30)
    disk = {"name": disk_name, "id": disk_id, "type": DISK_TYPE, "location": loc, "tags": vm.get("tags") or {},
            "managedBy": vm_id, "sku": {"name": sku_disk, "tier": sku_disk.split("_")[0]},
            "properties": {"osType": os_type, "hyperVGeneration": "V2",
                           "creationData": {"createOption": "FromImage", "imageReference": {
                               "id": f"/Subscriptions/{sub}/Providers/Microsoft.Compute/Locations/{loc}/Publishers/"
                                     f"{pub}/ArtifactTypes/VMImage/Offers/{offer}/Skus/{sku}/Versions/latest"}},
                           "diskSizeGB": size_gb, "diskIOPSReadWrite": 500, "diskMBpsReadWrite": 100,
                           "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
                           "networkAccessPolicy": "AllowAll", "publicNetworkAccess": "Enabled",
                           "timeCreated": created, "provisioningState": "Succeeded", "diskState": "Attached",
                           "diskSizeBytes": size_gb * 1024 ** 3, "uniqueId": _guid(disk_id)}}
    sim.store.put_resource(cloud, disk_id, DISK_TYPE, sub, rg, disk)

    admin_user = vm.get("admin_username", "azureuser")
    os_profile = {"computerName": vm.get("computer_name") or default_computer_name(name, os_type),
                  "adminUsername": admin_user, "secrets": [],
                  "allowExtensionOperations": True, "requireGuestProvisionSignal": True}
    if os_type == "Windows":
        os_profile["windowsConfiguration"] = {"provisionVMAgent": True, "enableAutomaticUpdates": True,
                                              "patchSettings": {"patchMode": "AutomaticByOS",
                                                                "assessmentMode": "ImageDefault"}}
    else:
        os_profile["linuxConfiguration"] = {"disablePasswordAuthentication": False, "provisionVMAgent": True,
                                            "patchSettings": {"patchMode": "ImageDefault",
                                                              "assessmentMode": "ImageDefault"}}
    data_disks = []
    for i, dd in enumerate(vm.get("data_disks") or []):
        dd_name, dd_gb, dd_sku = f"{name}_DataDisk_{i}", int(dd.get("size_gb", 128)), dd.get("type", "Premium_LRS")
        dd_id = _ids(sub, rg.upper(), "disks", dd_name)
        # each data disk is a managed disk resource of its own, with its own SKU (Microsoft.Compute/disks)
        sim.store.put_resource(cloud, dd_id, DISK_TYPE, sub, rg, dict(
            disk, name=dd_name, id=dd_id, sku={"name": dd_sku, "tier": dd_sku.split("_")[0]},
            properties=dict({k: v for k, v in disk["properties"].items() if k != "osType"},
                            creationData={"createOption": "Empty"}, diskSizeGB=dd_gb, diskSizeBytes=dd_gb * 1024 ** 3,
                            uniqueId=_guid(dd_id))))
        data_disks.append({"lun": i, "name": dd_name, "createOption": "Empty",
                           "caching": "None", "diskSizeGB": dd_gb,
                           "managedDisk": {"storageAccountType": dd_sku, "id": dd_id},
                           "deleteOption": vm.get("delete_option", "Detach"), "toBeDetached": False})
    os_profile["secrets"] = _secret_groups(sub, rg, vm, os_type, cloud)
    body = {
        "name": name, "id": vm_id, "type": VM_TYPE, "location": loc, "tags": vm.get("tags") or {},
        "properties": {
            "hardwareProfile": {"vmSize": vm.get("size", "Standard_D2s_v3")},
            "provisioningState": "Succeeded",
            "vmId": _guid(vm_id, "vmid"),
            "storageProfile": {
                "imageReference": {"publisher": pub, "offer": offer, "sku": sku, "version": "latest",
                                   "exactVersion": (osver + ".0") if osver else "1.0.0"},
                "osDisk": {"osType": os_type, "name": disk_name, "createOption": "FromImage",
                           "caching": "ReadWrite", "managedDisk": {"storageAccountType": sku_disk, "id": disk_id},
                           "deleteOption": vm.get("delete_option", "Detach"), "diskSizeGB": size_gb},
                "dataDisks": data_disks, "diskControllerType": "SCSI"},
            "osProfile": os_profile,
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {
                "primary": spec["primary"], "deleteOption": vm.get("delete_option", "Detach")}}
                for nic_id, spec in zip(nic_ids, specs)]},
            "diagnosticsProfile": {"bootDiagnostics": {"enabled": bool(vm.get("boot_diagnostics", True))}},
            "timeCreated": created,
        },
        # kept out of the normal GET body; rendered only for $expand=instanceView / instanceView
        "azsim": {"power_state": vm.get("power_state", "running"), "os_name": os_name, "os_version": osver},
    }
    if vm.get("license_type"):  # Azure Hybrid Benefit / BYOS: Windows_Server, Windows_Client, RHEL_BYOS, SLES_BYOS
        body["properties"]["licenseType"] = vm["license_type"]
    if vm.get("proximity_placement_group"):
        body["properties"]["proximityPlacementGroup"] = {
            "id": _ppg(sim, cloud, sub, rg, loc, vm["proximity_placement_group"], vm_id)}
    if vm.get("identity"):  # system-assigned managed identity: Azure gives it a principal in the cloud's tenant
        if vm["identity"] != "SystemAssigned":
            raise ValueError(f"VM {name}: identity must be 'SystemAssigned'")
        body["identity"] = {"type": "SystemAssigned", "principalId": _guid(vm_id, "principal"),
                            "tenantId": sim.identity[cloud]["tenant_id"]}
    if vm.get("extensions"):  # ARM's VM GET lists the VM's extensions as child resources in `resources`
        body["resources"] = [_extension(vm_id, loc, e) for e in vm["extensions"]]
    sim.store.put_resource(cloud, vm_id, VM_TYPE, sub, rg, body)
    if vm.get("sql_license_type"):
        from . import sqlvm  # sqlvm imports this module
        sqlvm.seed_sql_vm(sim, cloud, sub, vm, body)
    return body


# Seeded extensions: typeHandlerVersion by publisher.type (the current major.minor of each, as the portal installs it).
EXTENSION_VERSIONS = {"Microsoft.SqlServer.Management.SqlIaaSAgent": "2.0",
                      "Microsoft.EnterpriseCloud.Monitoring.MicrosoftMonitoringAgent": "1.0",
                      "Microsoft.Azure.Monitor.AzureMonitorWindowsAgent": "1.0",
                      "Microsoft.Azure.Monitor.AzureMonitorLinuxAgent": "1.0"}


def _extension(vm_id, loc, spec):
    """A VirtualMachineExtension as ARM answers it under the VM (seed: {name, publisher, type, version?})."""
    kind = f"{spec['publisher']}.{spec['type']}"
    return {"name": spec["name"], "id": f"{vm_id}/extensions/{spec['name']}",
            "type": "Microsoft.Compute/virtualMachines/extensions", "location": loc,
            "properties": {"autoUpgradeMinorVersion": True, "provisioningState": "Succeeded",
                           "publisher": spec["publisher"], "type": spec["type"],
                           "typeHandlerVersion": spec.get("version") or EXTENSION_VERSIONS.get(kind, "1.0"),
                           "settings": spec.get("settings") or {}}}


def _secret_groups(sub, rg, vm, os_type, cloud):
    """osProfile.secrets (VaultSecretGroup) from the seed's key_vault_secrets: [{vault (name in the VM's RG, or id),
    certificates?: [secret name]}] or [vault]. Certificate URLs use the cloud's Key Vault DNS suffix."""
    suffix = "vault.usgovcloudapi.net" if cloud == "gov" else "vault.azure.net"
    out = []
    for spec in vm.get("key_vault_secrets") or []:
        spec = spec if isinstance(spec, dict) else {"vault": spec}
        vault = spec["vault"]
        vault_id = vault if vault.startswith("/") else \
            f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{vault}"
        vname = vault_id.rstrip("/").rsplit("/", 1)[-1]
        certs = []
        for cert in spec.get("certificates") or [f"{vm['name']}-cert"]:
            c = {"certificateUrl": f"https://{vname}.{suffix}/secrets/{cert}/{_hexid(vault_id, cert)[:32]}"}
            if os_type == "Windows":  # Linux VMs take no certificate store (Compute VaultCertificate)
                c["certificateStore"] = "My"
            certs.append(c)
        out.append({"sourceVault": {"id": vault_id}, "vaultCertificates": certs})
    return out


PPG_TYPE = "Microsoft.Compute/proximityPlacementGroups"


def _ppg(sim, cloud, sub, rg, loc, ref, vm_id):
    """The proximity placement group (name in the VM's RG, or id) the VM is in: created if missing, listing the VM."""
    ppg_id = ref if ref.startswith("/") else \
        f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/proximityPlacementGroups/{ref}"
    ppg = sim.store.get_resource(cloud, ppg_id) or {
        "name": ppg_id.rsplit("/", 1)[-1], "id": ppg_id, "type": PPG_TYPE, "location": loc, "tags": {},
        "properties": {"proximityPlacementGroupType": "Standard", "virtualMachines": [],
                       "virtualMachineScaleSets": [], "availabilitySets": []}}
    if vm_id.lower() not in [m["id"].lower() for m in ppg["properties"]["virtualMachines"]]:
        ppg["properties"]["virtualMachines"].append({"id": vm_id})
    sim.store.put_resource(cloud, ppg_id, PPG_TYPE, sub, ppg_id.split("/")[4], ppg)
    return ppg_id


def instance_view(vm):
    meta = vm.get("azsim", {})
    state = meta.get("power_state", "running")
    now = iso(time.time())
    running = state == "running"
    return {
        "computerName": (vm["properties"].get("osProfile") or {}).get("computerName", meta.get("computer_name"))
        if running else None,
        "osName": meta.get("os_name") if running else None,
        "osVersion": meta.get("os_version") if running else None,
        "hyperVGeneration": "V2",
        "vmAgent": {"vmAgentVersion": "2.7.41491.1102" if running else "Unknown", "statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready",
             "message": "GuestAgent is running and processing the extensions.", "time": now}] if running else [],
            "extensionHandlers": []},
        "disks": [{"name": vm["properties"]["storageProfile"]["osDisk"]["name"], "statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
             "time": vm["properties"]["timeCreated"]}]}],
        "bootDiagnostics": {},
        "statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
             "time": vm["properties"]["timeCreated"]},
            {"code": f"PowerState/{state}", "level": "Info", "displayStatus": POWER.get(state, state)},
        ],
    }


def render_vm(vm, expand=None):
    body = {k: v for k, v in vm.items() if k != "azsim"}
    if expand and "instanceview" in expand.lower():
        body = dict(body, properties=dict(body["properties"], instanceView=instance_view(vm)))
    return body


# -- routes ------------------------------------------------------------------------------------------
def _get(ctx, p, rtype, kind, label):
    require_rg(ctx, p["sub"], p["rg"])
    body = ctx.store.get_resource(ctx.cloud, _ids(p["sub"], p["rg"], kind, p["name"]))
    if body is None:
        raise ArmError(404, "ResourceNotFound",
                       f"The Resource '{label}/{p['name']}' under resource group '{p['rg']}' was not found. "
                       "For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    return body


@ROUTER.route("GET", P + "Microsoft.Compute/virtualMachines/{name}", rtype=VM_TYPE, api_versions=COMPUTE_VERSIONS)
def get_vm(ctx, req, p):
    vm = _get(ctx, p, VM_TYPE, "virtualMachines", VM_TYPE)
    return Response(200, render_vm(vm, req.query.get("$expand")))


@ROUTER.route("GET", P + "Microsoft.Compute/virtualMachines/{name}/instanceView", rtype=VM_TYPE,
              api_versions=COMPUTE_VERSIONS)
def get_vm_instance_view(ctx, req, p):
    return Response(200, instance_view(_get(ctx, p, VM_TYPE, "virtualMachines", VM_TYPE)))


@ROUTER.route("GET", P + "Microsoft.Compute/virtualMachines", rtype=VM_TYPE, api_versions=COMPUTE_VERSIONS)
def list_vms(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    return ctx.page([render_vm(v) for v in ctx.store.list_resources(ctx.cloud, VM_TYPE, p["sub"], p["rg"])])


@ROUTER.route("GET", "/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachines", rtype=VM_TYPE,
              api_versions=COMPUTE_VERSIONS)
def list_all_vms(ctx, req, p):
    vms = ctx.store.list_resources(ctx.cloud, VM_TYPE, p["sub"])
    if (req.query.get("statusOnly") or "").lower() == "true":
        # Each VM's run-time status only: no model (tags, profiles) and an instance view without the guest's OS
        # name or version (VirtualMachines_ListAll statusOnly; azure-sdk-for-go issue 18565 shows such a response).
        return ctx.page([{"name": v["name"], "id": v["id"], "type": VM_TYPE, "location": v["location"],
                          "properties": {"instanceView": {"statuses": instance_view(v)["statuses"]}}} for v in vms])
    return ctx.page([render_vm(v, req.query.get("$expand")) for v in vms])


@ROUTER.route("GET", P + "Microsoft.Compute/virtualMachines/{name}/extensions", rtype=VM_TYPE + "/extensions",
              api_versions=COMPUTE_VERSIONS)
def list_vm_extensions(ctx, req, p):
    """VirtualMachineExtensionsListResult: one page, no nextLink (the operation is not pageable in the API)."""
    return Response(200, {"value": _get(ctx, p, VM_TYPE, "virtualMachines", VM_TYPE).get("resources") or []})


@ROUTER.route("GET", P + "Microsoft.Compute/virtualMachines/{vm}/extensions/{name}", rtype=VM_TYPE + "/extensions",
              api_versions=COMPUTE_VERSIONS)
def get_vm_extension(ctx, req, p):
    vm = _get(ctx, dict(p, name=p["vm"]), VM_TYPE, "virtualMachines", VM_TYPE)
    for ext in vm.get("resources") or []:
        if ext["name"].lower() == p["name"].lower():
            return Response(200, ext)
    raise ArmError(404, "NotFound", "The entity was not found in this Azure location.")


@ROUTER.route("GET", P + "Microsoft.Compute/proximityPlacementGroups/{name}", rtype=PPG_TYPE,
              api_versions=COMPUTE_VERSIONS)
def get_ppg(ctx, req, p):
    return Response(200, _get(ctx, p, PPG_TYPE, "proximityPlacementGroups", PPG_TYPE))


@ROUTER.route("GET", P + "Microsoft.Compute/disks/{name}", rtype=DISK_TYPE, api_versions=DISK_VERSIONS)
def get_disk(ctx, req, p):
    return Response(200, _get(ctx, p, DISK_TYPE, "disks", DISK_TYPE))


@ROUTER.route("GET", P + "Microsoft.Compute/disks", rtype=DISK_TYPE, api_versions=DISK_VERSIONS)
def list_disks(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    return ctx.page(ctx.store.list_resources(ctx.cloud, DISK_TYPE, p["sub"], p["rg"]))


@ROUTER.route("GET", P + "Microsoft.Network/networkInterfaces/{name}", rtype=NIC_TYPE,
              api_versions=NETWORK_VERSIONS)
def get_nic(ctx, req, p):
    return Response(200, _get(ctx, p, NIC_TYPE, "networkInterfaces", NIC_TYPE))


@ROUTER.route("GET", P + "Microsoft.Network/networkInterfaces", rtype=NIC_TYPE, api_versions=NETWORK_VERSIONS)
def list_nics(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    return ctx.page(ctx.store.list_resources(ctx.cloud, NIC_TYPE, p["sub"], p["rg"]))


@ROUTER.route("GET", "/subscriptions/{sub}/providers/Microsoft.Network/networkInterfaces", rtype=NIC_TYPE,
              api_versions=NETWORK_VERSIONS)
def list_all_nics(ctx, req, p):
    return ctx.page(ctx.store.list_resources(ctx.cloud, NIC_TYPE, p["sub"]))


@ROUTER.route("GET", P + "Microsoft.Network/virtualNetworks/{name}", rtype=VNET_TYPE, api_versions=NETWORK_VERSIONS)
def get_vnet(ctx, req, p):
    return Response(200, _get(ctx, p, VNET_TYPE, "virtualNetworks", VNET_TYPE))


@ROUTER.route("GET", P + "Microsoft.Network/virtualNetworks", rtype=VNET_TYPE, api_versions=NETWORK_VERSIONS)
def list_vnets(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    return ctx.page(ctx.store.list_resources(ctx.cloud, VNET_TYPE, p["sub"], p["rg"]))


@ROUTER.route("GET", P + "Microsoft.Network/virtualNetworks/{vnet}/subnets/{name}",
              rtype=VNET_TYPE + "/subnets", api_versions=NETWORK_VERSIONS)
def get_subnet(ctx, req, p):
    vnet = _get(ctx, dict(p, name=p["vnet"]), VNET_TYPE, "virtualNetworks", VNET_TYPE)
    for s in vnet["properties"]["subnets"]:
        if s["name"].lower() == p["name"].lower():
            return Response(200, s)
    raise ArmError(404, "NotFound", f"Resource {vnet['id']}/subnets/{p['name']} not found.")


def seed_resource_group(sim, cloud, sub, rg):
    rid = rg_id(sub, rg["name"])
    if sim.store.get_resource(cloud, rid) is None or rg.get("tags") is not None:
        body = {"id": rid, "name": rg["name"], "type": RG_TYPE, "location": normalize_location(rg["location"]),
                "properties": {"provisioningState": "Succeeded"}}
        if rg.get("tags") is not None:
            body["tags"] = rg["tags"]
        sim.store.put_resource(cloud, rid, RG_TYPE, sub, None, body)


def vm_by_private_ip(store, cloud, ip):
    """The VM (stored body) whose NIC has this private IP, in any subscription of the cloud, or None."""
    for row in store.query("SELECT body FROM resources WHERE cloud=? AND type_lower=?", (cloud, NIC_TYPE.lower())):
        nic = json.loads(row["body"])
        ips = [c["properties"].get("privateIPAddress") for c in nic["properties"].get("ipConfigurations", [])]
        vm_ref = (nic["properties"].get("virtualMachine") or {}).get("id")
        if ip in ips and vm_ref:
            return store.get_resource(cloud, vm_ref)
    return None


# -- VMs created by the simulator (Site Recovery test failover / failover) --------------------------------------
def free_ip(store, cloud, vnet, subnet_name, wanted=None, taken=()):
    """`wanted` if it is in the subnet and unused, else the lowest unused address from .4 (Azure reserves .0-.3).
    `taken`: addresses already given to other NICs of the VM being built."""
    subnet = next(s for s in vnet["properties"]["subnets"] if s["name"].lower() == subnet_name.lower())
    net = ipaddress.ip_network(subnet["properties"]["addressPrefix"], strict=False)
    used = set(taken)
    prefix = vnet["id"].lower() + "/subnets/"  # addresses are unique per VNet: another VNet's .4 does not count
    for row in store.query("SELECT body FROM resources WHERE cloud=? AND type_lower=?", (cloud, NIC_TYPE.lower())):
        for cfg in json.loads(row["body"])["properties"].get("ipConfigurations", []):
            if ((cfg["properties"].get("subnet") or {}).get("id") or "").lower().startswith(prefix):
                used.add(cfg["properties"].get("privateIPAddress"))
    if wanted and ipaddress.ip_address(wanted) in net and wanted not in used:
        return wanted
    for host in list(net.hosts())[3:-1]:
        if str(host) not in used:
            return str(host)
    raise ValueError(f"subnet {subnet['id']} is full")


def ip_owner(store, cloud, vnet_id, ip):
    """The id of the IP configuration holding private IP `ip` in VNet `vnet_id`, or None (addresses are unique per
    VNet, not per cloud)."""
    prefix = vnet_id.lower() + "/subnets/"
    for row in store.query("SELECT body FROM resources WHERE cloud=? AND type_lower=?", (cloud, NIC_TYPE.lower())):
        for cfg in json.loads(row["body"])["properties"].get("ipConfigurations", []):
            props = cfg["properties"]
            if props.get("privateIPAddress") == ip and props["subnet"]["id"].lower().startswith(prefix):
                return cfg["id"]
    return None


def create_vm(sim, cloud, spec):
    """A VM built from replicated (specialized) disks, the way Site Recovery creates it: OS disk attached (no image,
    no osProfile), NICs with a private IP each (Static when the requested static IP was given, else Dynamic), managed
    OS and data disks, power state running. spec: name, resource_group_id, location, size, os_type, os_name,
    subnet_id + static_ip? (one NIC) or nics [{subnet_id, static_ip?, primary?}], os_disk_size_gb, disk_type,
    data_disks [GiB or {size_gb, type}], tags, nic_tags, disk_tags, zone?, license_type?, availability_set_id?,
    proximity_placement_group_id?. The NICs get no NSG, public IP or accelerated networking (nothing in the failover
    inputs carries them). Returns the VM id."""
    sub, rg = spec["resource_group_id"].split("/")[2], spec["resource_group_id"].split("/")[4]
    plan = spec.get("nics") or [{"subnet_id": spec["subnet_id"], "static_ip": spec.get("static_ip"), "primary": True}]
    nics, taken = [], []
    for n in plan:
        vnet_id, subnet = n["subnet_id"].split("/subnets/")
        vnet = sim.store.get_resource(cloud, vnet_id)
        ip = free_ip(sim.store, cloud, vnet, subnet, n.get("static_ip"), taken)
        taken.append(ip)
        nics.append({"vnet": vnet["name"], "vnet_resource_group": vnet_id.split("/")[4], "subnet": subnet,
                     "private_ip": ip, "allocation": "Static" if n.get("static_ip") == ip else "Dynamic",
                     "primary": bool(n.get("primary")), "name": n.get("name")})
    name = spec["name"]
    body = seed_vm(sim, cloud, sub, {
        "name": name, "resource_group": rg, "location": spec["location"], "size": spec["size"],
        "os_type": spec["os_type"], "os_name": spec.get("os_name"), "nics": nics, "power_state": "running",
        "os_disk_size_gb": spec["os_disk_size_gb"], "os_disk_type": spec.get("disk_type") or "Standard_LRS",
        "tags": spec.get("tags") or {}})
    vm_id = body["id"]
    for ref in body["properties"]["networkProfile"]["networkInterfaces"]:
        nic = sim.store.get_resource(cloud, ref["id"])
        nic["tags"] = spec.get("nic_tags") or {}
        sim.store.put_resource(cloud, ref["id"], NIC_TYPE, sub, rg, nic)
    prof = body["properties"]["storageProfile"]
    os_disk = sim.store.get_resource(cloud, prof["osDisk"]["managedDisk"]["id"])
    os_disk["properties"]["creationData"] = {"createOption": "Import"}
    os_disk["tags"] = spec.get("disk_tags") or {}
    sim.store.put_resource(cloud, os_disk["id"], DISK_TYPE, sub, rg, os_disk)
    zones = [str(spec["zone"])] if spec.get("zone") else None
    if zones:  # a zonal VM and its managed disks are in the zone
        body["zones"] = os_disk["zones"] = zones
        sim.store.put_resource(cloud, os_disk["id"], DISK_TYPE, sub, rg, os_disk)
    data_disks = []
    for lun, dd in enumerate(spec.get("data_disks") or []):
        dd = dd if isinstance(dd, dict) else {"size_gb": dd}
        size_gb, sku = int(dd["size_gb"]), dd.get("type") or os_disk["sku"]["name"]
        disk = dict(os_disk, name=f"{name}_DataDisk_{lun}", id=_ids(sub, rg.upper(), "disks", f"{name}_DataDisk_{lun}"),
                    sku={"name": sku, "tier": sku.split("_")[0]})
        disk["properties"] = dict(os_disk["properties"], diskSizeGB=size_gb, diskSizeBytes=size_gb * 1024 ** 3,
                                  uniqueId=_guid(vm_id, "data", str(lun)))
        disk["properties"].pop("osType", None)
        sim.store.put_resource(cloud, disk["id"], DISK_TYPE, sub, rg, disk)
        data_disks.append({"lun": lun, "name": disk["name"], "createOption": "Attach", "caching": "None",
                           "diskSizeGB": size_gb, "managedDisk": {"storageAccountType": disk["sku"]["name"],
                                                                  "id": disk["id"]},
                           "deleteOption": "Detach", "toBeDetached": False})
    prof.pop("imageReference", None)
    prof["osDisk"]["createOption"] = "Attach"
    prof["dataDisks"] = data_disks
    body["properties"].pop("osProfile", None)
    if spec.get("license_type"):
        body["properties"]["licenseType"] = spec["license_type"]
    if spec.get("proximity_placement_group_id"):
        body["properties"]["proximityPlacementGroup"] = {
            "id": _ppg(sim, cloud, sub, rg, body["location"], spec["proximity_placement_group_id"], vm_id)}
    avset = sim.store.get_resource(cloud, spec.get("availability_set_id") or "") \
        if spec.get("availability_set_id") else None
    if avset is not None:  # ARM answers both references with the resource group and name upper-cased
        avset_rg = avset["id"].split("/")[4]
        body["properties"]["availabilitySet"] = {"id": avset["id"].replace(f"/{avset_rg}/", f"/{avset_rg.upper()}/")
                                                 .rsplit("/", 1)[0] + "/" + avset["name"].upper()}
        avset["properties"].setdefault("virtualMachines", []).append(
            {"id": f"/subscriptions/{sub}/resourceGroups/{rg.upper()}/providers/Microsoft.Compute/virtualMachines/"
                   f"{name.upper()}"})
        sim.store.put_resource(cloud, avset["id"], avset["type"], sub, avset_rg, avset)
    body["properties"]["timeCreated"] = iso(time.time())
    body["azsim"]["computer_name"] = spec.get("computer_name") or name
    sim.store.put_resource(cloud, vm_id, VM_TYPE, sub, rg, body)
    return vm_id


def delete_vm(sim, cloud, vm_id):
    """Delete a VM with its NICs and managed disks (what test failover cleanup removes). False if it was gone."""
    vm = sim.store.get_resource(cloud, vm_id)
    if vm is None:
        return False
    prof = vm["properties"]["storageProfile"]
    for ref in vm["properties"]["networkProfile"]["networkInterfaces"]:
        sim.store.delete_resource(cloud, ref["id"])
    for disk in [prof["osDisk"]] + prof.get("dataDisks", []):
        if (disk.get("managedDisk") or {}).get("id"):
            sim.store.delete_resource(cloud, disk["managedDisk"]["id"])
    return sim.store.delete_resource(cloud, vm_id)


def set_power_state(sim, cloud, vm_id, state):
    """Change a VM's power state (seen in its instance view); False if there is no such VM."""
    with sim.store.lock:
        vm = sim.store.get_resource(cloud, vm_id)
        if vm is None:
            return False
        vm.setdefault("azsim", {})["power_state"] = state
        parts = vm_id.split("/")
        sim.store.put_resource(cloud, vm_id, VM_TYPE, parts[2], parts[4], vm)
        return True


# -- deletes: VMs and managed disks (the Government VMs a move leaves behind) ------------------------------
# A VM DELETE answers 202 with Azure-AsyncOperation .../locations/{loc}/operations/{id} (served by
# compute_runcommand.operation, which falls back to compute_operation_status for these) and a Location with
# monitor=true. When it ends the VM is gone; each NIC and disk follows its deleteOption: Delete removes it,
# Detach (the default, and what VMs created before 2021 have) leaves it, unattached.
# A disk DELETE answers 202 with .../locations/{loc}/DiskOperations/{id}.
VM_DELETE_SECONDS = 60
DISK_DELETE_SECONDS = 10
DELETE_KIND = "compute-delete"


def _delete_headers(ctx, sub, location, op_id, segment):
    ops = f"/subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/{segment}/{op_id}"
    headers = {"Azure-AsyncOperation": ctx.url(ops), "Location": ctx.url(ops, monitor="true")}
    headers.update(ctx.sim.retry_after_headers(10, integer_only=True))
    return headers


def finish_vm_delete(sim, cloud, action):
    """The end of a VM delete: the VM goes; its NICs and disks go only when their deleteOption says Delete."""
    from . import network  # network imports this module
    vm = sim.store.get_resource(cloud, action["rid"])
    if vm is None:
        return
    props = vm["properties"]
    for ref in (props.get("networkProfile") or {}).get("networkInterfaces") or []:
        if ((ref.get("properties") or {}).get("deleteOption") or "Detach") == "Delete":
            sim.store.delete_resource(cloud, ref["id"])
            continue
        nic = sim.store.get_resource(cloud, ref["id"])
        if nic is not None:
            nic["properties"].pop("virtualMachine", None)
            parts = ref["id"].split("/")
            sim.store.put_resource(cloud, nic["id"], NIC_TYPE, parts[2], parts[4], nic)
    prof = props.get("storageProfile") or {}
    for disk_ref in [prof.get("osDisk") or {}] + list(prof.get("dataDisks") or []):
        disk_id = (disk_ref.get("managedDisk") or {}).get("id")
        if not disk_id:
            continue
        if (disk_ref.get("deleteOption") or "Detach") == "Delete":
            sim.store.delete_resource(cloud, disk_id)
            continue
        disk = sim.store.get_resource(cloud, disk_id)
        if disk is not None:
            disk.pop("managedBy", None)
            disk["properties"]["diskState"] = "Unattached"
            parts = disk_id.split("/")
            sim.store.put_resource(cloud, disk["id"], DISK_TYPE, parts[2], parts[4], disk)
    sim.store.delete_resource(cloud, vm["id"])
    network.refresh(sim.store, cloud)


def compute_operation_status(ctx, req, p, op):
    """Status of a VM or disk delete (Azure-AsyncOperation, or the Location with monitor=true)."""
    status, op = ctx.sim.operation_status(p["opId"])
    retry = ctx.sim.retry_after_headers(10)
    if (req.query_lower.get("monitor") or "").lower() == "true":
        if status == "InProgress":
            return Response(202, b"", dict(retry, Location=ctx.url(req.path, monitor="true")))
        if status == "Failed":
            return Response(400, {"error": {"code": op["failure"]["code"], "message": op["failure"]["message"]}})
        return Response(204)
    body = {"name": p["opId"], "status": status, "startTime": iso(op["created"])}
    if status != "InProgress":
        body["endTime"] = iso(op["due"])
    if status == "Failed":
        body["error"] = {"code": op["failure"]["code"], "message": op["failure"]["message"]}
    return Response(200, body, retry if status == "InProgress" else {})


@ROUTER.route("DELETE", P + "Microsoft.Compute/virtualMachines/{name}", rtype=VM_TYPE, api_versions=COMPUTE_VERSIONS)
def delete_vm_route(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    vm = ctx.store.get_resource(ctx.cloud, _ids(p["sub"], p["rg"], "virtualMachines", p["name"]))
    if vm is None:
        return Response(204)
    vm["properties"]["provisioningState"] = "Deleting"
    ctx.store.put_resource(ctx.cloud, vm["id"], VM_TYPE, p["sub"], p["rg"], vm)
    op_id = ctx.sim.start_operation(ctx.cloud, DELETE_KIND, VM_DELETE_SECONDS,
                                    {"name": "compute_vm_delete", "rid": vm["id"]}, req.method, req.path)
    return Response(202, b"", _delete_headers(ctx, p["sub"], vm["location"], op_id, "operations"))


@ROUTER.route("DELETE", P + "Microsoft.Compute/disks/{name}", rtype=DISK_TYPE, api_versions=DISK_VERSIONS)
def delete_disk_route(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    disk = ctx.store.get_resource(ctx.cloud, _ids(p["sub"], p["rg"], "disks", p["name"]))
    if disk is None:
        return Response(204)
    owner = disk.get("managedBy")
    if owner and ctx.store.get_resource(ctx.cloud, owner) is not None:
        raise ArmError(409, "OperationNotAllowed", f"Disk {disk['name']} is attached to VM {owner}.")
    op_id = ctx.sim.start_operation(ctx.cloud, DELETE_KIND, DISK_DELETE_SECONDS,
                                    {"name": "delete_resource", "rid": disk["id"]}, req.method, req.path)
    return Response(202, b"", _delete_headers(ctx, p["sub"], disk["location"], op_id, "DiskOperations"))


@ROUTER.route("PATCH", P + "Microsoft.Compute/disks/{name}", rtype=DISK_TYPE, api_versions=DISK_VERSIONS)
def update_disk_tags(ctx, req, p):
    """Disk update; only `tags` is applied (the decommission records what belongs to a VM in tags)."""
    disk = _get(ctx, p, DISK_TYPE, "disks", DISK_TYPE)
    body = req.json() or {}
    if body.get("tags") is not None:
        disk["tags"] = body["tags"]
    ctx.store.put_resource(ctx.cloud, disk["id"], DISK_TYPE, p["sub"], p["rg"], disk)
    return Response(200, disk)


@ROUTER.route("GET", "/subscriptions/{sub}/providers/Microsoft.Compute/disks", rtype=DISK_TYPE,
              api_versions=DISK_VERSIONS)
def list_all_disks(ctx, req, p):
    return ctx.page(ctx.store.list_resources(ctx.cloud, DISK_TYPE, p["sub"]))


@ROUTER.route("GET", "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/DiskOperations/{opId}",
              rtype="Microsoft.Compute/locations/DiskOperations", api_versions=DISK_VERSIONS)
def disk_operation(ctx, req, p):
    status, op = ctx.sim.operation_status(p["opId"])
    if op is None or op["cloud"] != ctx.cloud or op["kind"] != DELETE_KIND:
        raise ArmError(404, "NotFound", "The entity was not found in this Azure location.")
    return compute_operation_status(ctx, req, p, op)
