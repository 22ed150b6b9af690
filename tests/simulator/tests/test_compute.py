"""Seeded VMs / NICs read through azure-mgmt-compute and azure-mgmt-network."""
import pytest

from simhelpers import client_kwargs, credential


def test_seeded_vms(ep):
    from azure.mgmt.compute import ComputeManagementClient
    g = ep["clouds"]["gov"]
    cc = ComputeManagementClient(credential(ep), g["subscription_id"], **client_kwargs(ep))
    vms = {vm.name: vm for vm in cc.virtual_machines.list_all()}
    assert set(vms) == {"vm-app-win01", "vm-app-win02", "vm-app-lnx01", "vm-app-lnx02"}
    assert {v.name for v in cc.virtual_machines.list("rg-app-gov")} == {"vm-app-win01", "vm-app-win02"}
    win = cc.virtual_machines.get("rg-app-gov", "vm-app-win01", expand="instanceView")
    assert win.location == "usgovvirginia" and win.tags["move-wave"] == "1"
    assert win.hardware_profile.vm_size == "Standard_D4s_v3"
    assert win.storage_profile.os_disk.os_type == "Windows"
    assert win.storage_profile.image_reference.sku == "2019-Datacenter"
    assert win.storage_profile.os_disk.managed_disk.id
    codes = [s.code for s in win.instance_view.statuses]
    assert "PowerState/running" in codes and "ProvisioningState/succeeded" in codes
    lnx = cc.virtual_machines.get("rg-linux-gov", "vm-app-lnx01")
    assert lnx.storage_profile.os_disk.os_type == "Linux" and lnx.tags["move-wave"] == "2"
    assert lnx.instance_view is None
    iv = cc.virtual_machines.instance_view("rg-linux-gov", "vm-app-lnx01")
    assert iv.os_name == "Ubuntu 20.04"
    disk_id = win.storage_profile.os_disk.managed_disk.id
    parts = disk_id.split("/")
    disk = cc.disks.get(parts[4], parts[-1])
    assert disk.disk_size_gb == 127 and disk.managed_by == win.id


def test_seeded_nics(ep):
    pytest.importorskip("azure.mgmt.network")
    from azure.mgmt.network import NetworkManagementClient
    g = ep["clouds"]["gov"]
    nc = NetworkManagementClient(credential(ep), g["subscription_id"], **client_kwargs(ep))
    nic = nc.network_interfaces.get("rg-app-gov", "vm-app-win01-nic")
    ipc = nic.ip_configurations[0]
    assert ipc.private_ip_address == "10.10.1.4"
    assert ipc.subnet.id.endswith("/virtualNetworks/vnet-app-gov/subnets/snet-app")
    assert nic.virtual_machine.id.endswith("/virtualMachines/vm-app-win01")
    ips = {n.name: n.ip_configurations[0].private_ip_address for n in nc.network_interfaces.list_all()}
    assert ips == {"vm-app-win01-nic": "10.10.1.4", "vm-app-win02-nic": "10.10.1.5", "vm-app-lnx01-nic": "10.10.2.4",
                   "vm-app-lnx02-nic": "10.10.2.5"}
    vnet = nc.virtual_networks.get("rg-app-gov", "vnet-app-gov")
    assert {s.name for s in vnet.subnets} == {"snet-app", "snet-linux"}
