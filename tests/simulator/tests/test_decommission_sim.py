"""Deleting a Government VM and what it leaves behind: VM deletes follow each NIC's and disk's deleteOption
(Detach by default), and disks, NICs, public IPs and NSGs refuse while something still uses them."""
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from simhelpers import client_kwargs, credential

RG = "rg-decom-sim"
LOC = "usgovvirginia"


def _seed(admin, name, **extra):
    vm = {"name": name, "resource_group": RG, "location": LOC, "os_type": "Linux", "private_ip": extra.pop("ip"),
          "vnet": "vnet-decom", "subnet": "snet-a", "public_ip": "pip-" + name, "network_security_group": "nsg-" + name}
    vm.update(extra)
    admin.seed({"gov": {"resource_groups": [{"name": RG, "location": LOC}],
                        "network_security_groups": [{"name": "nsg-" + name, "resource_group": RG, "location": LOC}],
                        "public_ip_addresses": [{"name": "pip-" + name, "resource_group": RG, "location": LOC}],
                        "virtual_networks": [{"name": "vnet-decom", "resource_group": RG, "location": LOC,
                                              "address_space": "10.50.0.0/16",
                                              "subnets": [{"name": "snet-a", "address_prefix": "10.50.1.0/24"}]}],
                        "virtual_machines": [vm]}})


@pytest.fixture(scope="module", autouse=True)
def _leave_no_vm(ep):
    """The VMs these tests seed would count in the Government cloud's usages that other tests read: delete the
    resource group, and everything in it, at the end."""
    yield
    from azure.mgmt.resource.resources import ResourceManagementClient
    rm = ResourceManagementClient(credential(ep), ep["clouds"]["gov"]["subscription_id"], polling_interval=0, **client_kwargs(ep))
    rm.resource_groups.begin_delete(RG).result()


@pytest.fixture(scope="module")
def clients(ep):
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.network import NetworkManagementClient
    sub = ep["clouds"]["gov"]["subscription_id"]
    return (ComputeManagementClient(credential(ep), sub, polling_interval=0, **client_kwargs(ep)),
            NetworkManagementClient(credential(ep), sub, polling_interval=0, **client_kwargs(ep)))


def test_in_use_resources_refuse_delete_and_a_vm_delete_detaches_its_nic_and_disks(ep, admin, clients):
    compute, network = clients
    _seed(admin, "vm-decom-a", ip="10.50.1.4")
    vm = compute.virtual_machines.get(RG, "vm-decom-a")
    disk_name = vm.storage_profile.os_disk.managed_disk.id.rsplit("/", 1)[-1]
    nic_name = vm.network_profile.network_interfaces[0].id.rsplit("/", 1)[-1]
    assert vm.storage_profile.os_disk.delete_option == "Detach"

    with pytest.raises(HttpResponseError) as err:
        compute.disks.begin_delete(RG, disk_name).result()
    assert err.value.status_code == 409 and err.value.error.code == "OperationNotAllowed"
    assert "is attached to VM %s" % vm.id in err.value.message
    for call, code in ((lambda: network.network_interfaces.begin_delete(RG, nic_name), "NicInUse"),
                       (lambda: network.public_ip_addresses.begin_delete(RG, "pip-vm-decom-a"), "PublicIPAddressCannotBeDeleted"),
                       (lambda: network.network_security_groups.begin_delete(RG, "nsg-vm-decom-a"),
                        "InUseNetworkSecurityGroupCannotBeDeleted")):
        with pytest.raises(HttpResponseError) as err:
            call().result()
        assert err.value.status_code == 400 and err.value.error.code == code

    compute.virtual_machines.begin_delete(RG, "vm-decom-a").result()
    with pytest.raises(ResourceNotFoundError):
        compute.virtual_machines.get(RG, "vm-decom-a")
    disk = compute.disks.get(RG, disk_name)  # Detach: the disk and the NIC stay, unattached
    assert disk.managed_by is None and disk.disk_state == "Unattached"
    assert network.network_interfaces.get(RG, nic_name).virtual_machine is None
    assert disk_name in [d.name for d in compute.disks.list()]

    # Now they go, in the order Azure needs: the NIC, then what it used.
    compute.disks.begin_delete(RG, disk_name).result()
    network.network_interfaces.begin_delete(RG, nic_name).result()
    network.public_ip_addresses.begin_delete(RG, "pip-vm-decom-a").result()
    network.network_security_groups.begin_delete(RG, "nsg-vm-decom-a").result()
    for call in (lambda: compute.disks.get(RG, disk_name), lambda: network.network_interfaces.get(RG, nic_name),
                 lambda: network.public_ip_addresses.get(RG, "pip-vm-decom-a"),
                 lambda: network.network_security_groups.get(RG, "nsg-vm-decom-a")):
        with pytest.raises(ResourceNotFoundError):
            call()
    # Deleting what is gone is 204: not an error.
    compute.virtual_machines.begin_delete(RG, "vm-decom-a").result()
    compute.disks.begin_delete(RG, disk_name).result()


def test_delete_option_delete_removes_nic_and_disk_with_the_vm_and_reseeding_restores_all(ep, admin, clients):
    compute, network = clients
    _seed(admin, "vm-decom-b", ip="10.50.1.5", delete_option="Delete")
    vm = compute.virtual_machines.get(RG, "vm-decom-b")
    assert vm.storage_profile.os_disk.delete_option == "Delete"
    assert vm.network_profile.network_interfaces[0].delete_option == "Delete"
    disk_name = vm.storage_profile.os_disk.managed_disk.id.rsplit("/", 1)[-1]
    compute.virtual_machines.begin_delete(RG, "vm-decom-b").result()
    with pytest.raises(ResourceNotFoundError):
        compute.disks.get(RG, disk_name)
    with pytest.raises(ResourceNotFoundError):
        network.network_interfaces.get(RG, "vm-decom-b-nic")
    # The public IP and the NSG stay (Azure deletes only the NIC and disks), now free.
    assert network.public_ip_addresses.get(RG, "pip-vm-decom-b").ip_configuration is None
    assert network.network_security_groups.get(RG, "nsg-vm-decom-b").network_interfaces is None

    _seed(admin, "vm-decom-b", ip="10.50.1.5", delete_option="Delete")  # seeding again brings all of it back
    assert compute.virtual_machines.get(RG, "vm-decom-b").id == vm.id
    assert compute.disks.get(RG, disk_name).managed_by == vm.id
    assert network.network_interfaces.get(RG, "vm-decom-b-nic").virtual_machine.id == vm.id
    assert network.public_ip_addresses.get(RG, "pip-vm-decom-b").ip_configuration is not None


def test_a_vm_delete_is_a_long_running_operation(ep, admin, clients):
    compute, _network = clients
    _seed(admin, "vm-decom-c", ip="10.50.1.6")
    admin.set_time_factor(0.02)
    try:
        poller = compute.virtual_machines.begin_delete(RG, "vm-decom-c")
        assert not poller.done()
        assert compute.virtual_machines.get(RG, "vm-decom-c").provisioning_state == "Deleting"
        poller.result()
    finally:
        admin.set_time_factor(0)
    with pytest.raises(ResourceNotFoundError):
        compute.virtual_machines.get(RG, "vm-decom-c")
