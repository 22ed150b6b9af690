"""Source discovery from REST-shaped JSON: facts of a VM, filters, sizes, dependencies, the Mermaid picture."""

import copy

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _discovery as d

SUB = "00000000-0000-0000-0000-000000000001"
NET = "/subscriptions/%s/resourceGroups/rg-net/providers/Microsoft.Network" % SUB
VNET = NET + "/virtualNetworks/vnet-a"
NSG = NET + "/networkSecurityGroups/nsg-app"
NIC_NSG = NET + "/networkSecurityGroups/nsg-nic"
RT = NET + "/routeTables/rt-db"
LB = NET + "/loadBalancers/lb-app"
PIP = NET + "/publicIPAddresses/pip-web"
AVSET = "/subscriptions/%s/resourceGroups/RG-APP/providers/Microsoft.Compute/availabilitySets/AVSET-WEB" % SUB


def vm_id(name, rg="rg-app"):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s" % (SUB, rg, name)


def nic_id(name):
    return NET + "/networkInterfaces/%s-nic" % name


def vm(name, size="Standard_D2s_v3", rg="rg-app", os_type="Windows", tags=None, avset=None, zones=None):
    body = {
        "id": vm_id(name, rg), "name": name, "location": "usgovvirginia", "tags": tags or {},
        "properties": {
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {
                "imageReference": {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer",
                                   "sku": "2019-Datacenter", "version": "latest"},
                "osDisk": {"osType": os_type, "name": name + "-os", "caching": "ReadWrite", "diskSizeGB": 127,
                           "managedDisk": {"id": "/disks/%s-os" % name, "storageAccountType": "Premium_LRS"}},
                "dataDisks": [{"lun": 0, "name": name + "-data0", "diskSizeGB": 256, "caching": "None",
                               "managedDisk": {"id": "/disks/%s-data0" % name, "storageAccountType": "StandardSSD_LRS"}}],
            },
            "osProfile": {"computerName": name.upper()},
            "networkProfile": {"networkInterfaces": [{"id": nic_id(name), "properties": {"primary": True}}]},
        },
    }
    if avset:
        body["properties"]["availabilitySet"] = {"id": avset}
    if zones:
        body["zones"] = zones
    return body


def nic(name, ip, subnet, pip=None, pools=(), nsg=None):
    ipc = {"privateIPAddress": ip, "privateIPAllocationMethod": "Static", "primary": True,
           "subnet": {"id": VNET + "/subnets/" + subnet}}
    if pip:
        ipc["publicIPAddress"] = {"id": pip}
    if pools:
        ipc["loadBalancerBackendAddressPools"] = [{"id": LB + "/backendAddressPools/" + p} for p in pools]
    props = {"ipConfigurations": [{"name": "ipconfig1", "id": nic_id(name) + "/ipConfigurations/ipconfig1",
                                   "properties": ipc}], "macAddress": "00-0D-3A-00-00-01",
             "enableAcceleratedNetworking": True}
    if nsg:
        props["networkSecurityGroup"] = {"id": nsg}
    return {"id": nic_id(name), "name": name + "-nic", "properties": props}


VNET_BODY = {"id": VNET, "name": "vnet-a", "properties": {"subnets": [
    {"id": VNET + "/subnets/snet-app", "name": "snet-app",
     "properties": {"addressPrefix": "10.0.1.0/24", "networkSecurityGroup": {"id": NSG}}},
    {"id": VNET + "/subnets/snet-db", "name": "snet-db",
     "properties": {"addressPrefix": "10.0.2.0/24", "routeTable": {"id": RT}}},
]}}
PIP_BODY = {"id": PIP, "name": "pip-web", "sku": {"name": "Standard"},
            "properties": {"ipAddress": "52.227.1.2", "publicIPAllocationMethod": "Static"}}
LB_BODY = {"id": LB, "name": "lb-app", "sku": {"name": "Standard"}, "properties": {}}
SKUS = [
    {"resourceType": "virtualMachines", "name": "Standard_D2s_v3", "family": "standardDSv3Family",
     "capabilities": [{"name": "vCPUs", "value": "2"}, {"name": "MemoryGB", "value": "8"}]},
    {"resourceType": "virtualMachines", "name": "Standard_DS2_v2", "family": "standardDSv2Family",
     "capabilities": [{"name": "vCPUs", "value": "2"}, {"name": "MemoryGB", "value": "7"}]},
    {"resourceType": "disks", "name": "Premium_LRS", "capabilities": []},
]
RUNNING = {"statuses": [{"code": "ProvisioningState/succeeded"}, {"code": "PowerState/running"}],
           "osName": "Windows Server 2019 Datacenter", "osVersion": "10.0.17763"}


def world():
    vms = [vm("web1", tags={"move-wave": "1", "role": "web"}, avset=AVSET),
           vm("web2", tags={"move-wave": "1", "role": "web"}, avset=AVSET),
           vm("db1", size="Standard_DS2_v2", os_type="Linux", tags={"move-wave": "2"}, zones=["2"]),
           vm("tool1", size="Standard_Unknown", rg="rg-tools", tags={})]
    nics = [nic("web1", "10.0.1.4", "snet-app", pip=PIP, pools=["pool-web"], nsg=NIC_NSG),
            nic("web2", "10.0.1.5", "snet-app", pools=["pool-web"]),
            nic("db1", "10.0.2.4", "snet-db"),
            nic("tool1", "10.0.1.9", "snet-app")]
    lookup = d.Lookup(nics=nics, vnets=[VNET_BODY], public_ips=[PIP_BODY], load_balancers=[LB_BODY])
    return vms, lookup


def facts(name, view="running"):
    view = RUNNING if view == "running" else view
    vms, lookup = world()
    chosen = next(v for v in vms if v["name"] == name)
    return d.vm_facts(chosen, lookup, d.size_catalog(SKUS), view)


def test_facts_of_a_vm():
    f = facts("web1")
    assert f["id"] == vm_id("web1") and f["resource_group"] == "rg-app" and f["subscription_id"] == SUB
    assert (f["os_type"], f["os_name"], f["os_version"]) == ("Windows", "Windows Server 2019 Datacenter", "10.0.17763")
    assert (f["size"], f["vcpus"], f["memory_gb"], f["size_family"]) == ("Standard_D2s_v3", 2, 8, "standardDSv3Family")
    assert f["power_state"] == "running" and f["computer_name"] == "WEB1"
    assert f["private_ips"] == ["10.0.1.4"] and f["public_ips"] == ["52.227.1.2"]
    assert f["os_disk"] == {"name": "web1-os", "id": "/disks/web1-os", "lun": None, "size_gb": 127,
                            "sku": "Premium_LRS", "caching": "ReadWrite"}
    assert f["data_disks"][0]["sku"] == "StandardSSD_LRS" and f["disk_size_gb_total"] == 383
    assert (f["virtual_network"], f["subnet"]) == ("vnet-a", "snet-app")
    assert [(n["name"], n["applies_to"]) for n in f["network_security_groups"]] == [("nsg-nic", "network_interface"),
                                                                                    ("nsg-app", "subnet")]
    assert f["load_balancers"] == [{"id": LB, "name": "lb-app", "sku": "Standard", "backend_pools": ["pool-web"]}]
    assert f["public_ip_addresses"][0]["sku"] == "Standard"
    assert (f["availability_set"], f["availability_set_id"], f["zone"]) == ("AVSET-WEB", AVSET, None)
    assert f["wave"] == "1" and f["tags"]["role"] == "web"
    cfg = f["nics"][0]["ip_configurations"][0]
    assert cfg["subnet_address_prefix"] == "10.0.1.0/24" and cfg["subnet_network_security_group_id"] == NSG


def test_facts_without_instance_view_or_known_size():
    f = facts("tool1", view=None)
    assert f["power_state"] is None and f["os_version"] is None
    assert f["os_name"] == "WindowsServer 2019-Datacenter"  # from the image when the agent said nothing
    assert f["vcpus"] is None and f["memory_gb"] is None
    db = facts("db1")
    assert db["zone"] == "2" and db["route_tables"] == [{"id": RT, "name": "rt-db"}] and db["memory_gb"] == 7


def test_missing_network_resources_still_give_names():
    vms, _lookup = world()
    f = d.vm_facts(vms[0], d.Lookup(), {}, None)
    assert f["nics"][0]["name"] == "web1-nic" and f["private_ips"] == [] and f["subnet"] is None


@pytest.mark.parametrize("kwargs, expected", [
    ({}, ["web1", "web2", "db1", "tool1"]),
    ({"resource_groups": ["RG-TOOLS"]}, ["tool1"]),
    ({"tags": {"move-wave": "1"}}, ["web1", "web2"]),
    ({"tags": {"move-wave": 2}}, ["db1"]),
    ({"tags": {"role": None}}, ["web1", "web2"]),
    ({"tags": {"move-wave": "1", "role": "db"}}, []),
    ({"names": ["WEB*"], "exclude_names": ["*2"]}, ["web1"]),
])
def test_filters(kwargs, expected):
    vms, _lookup = world()
    assert [v["name"] for v in vms if d.matches(v, **kwargs)] == expected


def test_size_catalog_and_power_state():
    sizes = d.size_catalog(SKUS)
    assert set(sizes) == {"standard_d2s_v3", "standard_ds2_v2"}
    assert d.power_state({"statuses": [{"code": "PowerState/deallocated"}]}) == "deallocated"
    assert d.power_state(None) is None


def test_rest_accepts_sdk_models_of_both_generations():
    from azure.mgmt.compute import models

    model = models.VirtualMachine(location="usgovvirginia", hardware_profile=models.HardwareProfile(vm_size="B2ms"))
    assert d.rest(model) == {"location": "usgovvirginia", "properties": {"hardwareProfile": {"vmSize": "B2ms"}}}

    class Msrest:  # what older SDKs' models offer
        def serialize(self, keep_readonly=False):
            return {"id": "x", "readonly": keep_readonly}

    assert d.rest(Msrest()) == {"id": "x", "readonly": True}


def test_ids():
    assert d.parse_id(vm_id("web1"))["resource_group"] == "rg-app"
    assert d.parent_id(VNET + "/subnets/snet-app", "subnets") == VNET
    assert d.safe_group_name("1.5 beta") == "1_5_beta"


def all_facts():
    vms, lookup = world()
    sizes = d.size_catalog(SKUS)
    return [d.vm_facts(v, lookup, sizes, None) for v in vms]


def test_dependencies_of_a_partial_wave():
    everything = all_facts()
    scope = [f for f in everything if f["name"] == "web1"]
    analysis = d.analyze_dependencies(scope, everything)
    res = {r["name"]: r for r in analysis["resources"]}
    assert [r["type"] for r in analysis["resources"]] == ["virtual_network", "subnet", "network_security_group",
                                                          "network_security_group", "public_ip_address",
                                                          "load_balancer", "availability_set"]
    assert res["lb-app"]["used_outside_scope_by"] == ["web2"] and res["lb-app"]["shared_outside_scope"]
    assert res["nsg-app"]["used_outside_scope_by"] == ["tool1", "web2"]  # through the subnet
    assert res["nsg-nic"]["shared_outside_scope"] is False and res["pip-web"]["used_by"] == ["web1"]
    assert res["vnet-a/snet-app"]["used_outside_scope_by"] == ["tool1", "web2"]
    assert res["vnet-a"]["used_outside_scope_by"] == ["db1", "tool1", "web2"]
    assert res["AVSET-WEB"]["used_outside_scope_by"] == ["web2"]
    assert set(analysis["shared_outside_scope"]) == {VNET, VNET + "/subnets/snet-app", NSG, LB, AVSET}
    edge = {(e["from"], e["to"]): e["relation"] for e in analysis["edges"]}
    assert edge[(VNET + "/subnets/snet-app", NSG)] == "subnet NSG"
    assert edge[(vm_id("web1"), LB)] == "backend pool pool-web"
    outside = {(e["from"], e["to"]): e["relation"] for e in analysis["outside_edges"]}
    assert outside[(vm_id("db1"), VNET)] == "through subnet snet-db"
    assert (vm_id("web2"), NSG) not in outside  # it reaches the NSG through the shared subnet


def test_dependencies_of_a_whole_wave():
    everything = all_facts()
    scope = [f for f in everything if f["wave"] == "1"]
    analysis = d.analyze_dependencies(scope, everything)
    shared = {r["name"] for r in analysis["resources"] if r["shared_outside_scope"]}
    assert shared == {"vnet-a", "vnet-a/snet-app", "nsg-app"}  # tool1 stays in snet-app
    assert analysis["scope"] == ["web1", "web2"]


def test_nothing_in_scope():
    analysis = d.analyze_dependencies([], all_facts())
    assert analysis == {"scope": [], "resources": [], "edges": [], "outside_edges": [], "shared_outside_scope": []}
    assert d.mermaid(analysis).startswith("flowchart LR")


def test_mermaid():
    everything = all_facts()
    scope = [f for f in everything if f["name"] == "web1"]
    text = d.mermaid(d.analyze_dependencies(scope, everything), everything)
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert any('["web1<br/>VM"]:::vm' in line for line in lines)
    assert any('["lb-app<br/>load balancer"]:::shared' in line for line in lines)
    assert any('["pip-web<br/>public IP address"]:::dep' in line for line in lines)
    assert any('["web2<br/>VM"]:::outside' in line for line in lines)
    assert any("-.->|backend pool pool-web|" in line for line in lines)
    assert text.count("subgraph") == 2 and text.endswith("\n")


def test_mermaid_escapes_quotes():
    everything = all_facts()
    scope = copy.deepcopy([f for f in everything if f["name"] == "web1"])
    scope[0]["name"] = 'we"b1'
    text = d.mermaid(d.analyze_dependencies(scope, scope), scope)
    assert 'we#quot;b1' in text and 'we"b1' not in text


class FakeOps:
    def __init__(self, items):
        self.items = items
        self.calls = []

    def list_all(self):
        return list(self.items)

    def list(self, filter=None):  # pylint: disable=redefined-builtin  # the SDK's keyword
        self.calls.append(filter)
        return list(self.items)

    def instance_view(self, resource_group, name):
        self.calls.append((resource_group, name))
        return RUNNING


class Fake:
    def __init__(self, **ops):
        for key, value in ops.items():
            setattr(self, key, value)


def test_discover_reads_each_list_once_and_sizes_per_location():
    vms, _lookup = world()
    skus = FakeOps(SKUS)
    vm_ops = FakeOps(vms)
    compute = Fake(virtual_machines=vm_ops, resource_skus=skus)
    network = Fake(network_interfaces=FakeOps([nic("web1", "10.0.1.4", "snet-app")]), virtual_networks=FakeOps([VNET_BODY]),
                   public_ip_addresses=FakeOps([]), load_balancers=FakeOps([]))
    disc = d.Discovery(compute, network, SUB)
    found, analysis = d.discover([disc], {"tags": {"move-wave": "1"}}, dependencies=True)
    assert [f["name"] for f in found] == ["web1", "web2"]
    assert skus.calls == ["location eq 'usgovvirginia'"]  # once for the location
    assert vm_ops.calls == [("rg-app", "web1"), ("rg-app", "web2")]  # power state of the scope only
    assert found[0]["power_state"] == "running" and analysis["scope"] == ["web1", "web2"]
    found, analysis = d.discover([disc], {"names": ["db*"]}, with_power_state=False)
    assert [f["name"] for f in found] == ["db1"] and analysis is None and found[0]["power_state"] is None
