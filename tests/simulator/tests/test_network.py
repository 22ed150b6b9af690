"""Microsoft.Network writes and the Compute catalog (usages, resource SKUs, availability sets),
driven with azure-mgmt-network and azure-mgmt-compute."""
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from simhelpers import client_kwargs, credential

RG = "rg-nettest"
LOC = "eastus"


@pytest.fixture(scope="module")
def net(ep, admin):
    from azure.mgmt.network import NetworkManagementClient
    admin.seed({"public": {"resource_groups": [{"name": RG, "location": LOC}]}})
    c = ep["clouds"]["public"]
    return NetworkManagementClient(credential(ep, "public"), c["subscription_id"], polling_interval=0,
                                   **client_kwargs(ep, "public"))


@pytest.fixture(scope="module")
def gov_net(ep):
    from azure.mgmt.network import NetworkManagementClient
    g = ep["clouds"]["gov"]
    return NetworkManagementClient(credential(ep), g["subscription_id"], **client_kwargs(ep))


@pytest.fixture(scope="module")
def gov_compute(ep):
    from azure.mgmt.compute import ComputeManagementClient
    g = ep["clouds"]["gov"]
    return ComputeManagementClient(credential(ep), g["subscription_id"], **client_kwargs(ep))


def sub_id(ep, cloud="public"):
    return ep["clouds"][cloud]["subscription_id"]


def rid(ep, kind, name, rg=RG):
    return f"/subscriptions/{sub_id(ep)}/resourceGroups/{rg}/providers/Microsoft.Network/{kind}/{name}"


def error_of(call):
    with pytest.raises(HttpResponseError) as info:
        call()
    return info.value.error.code, info.value.error.message


def vnet_body(prefixes=("10.40.0.0/16",), subnets=(("snet-a", "10.40.1.0/24", None, None),)):
    out = []
    for name, prefix, nsg, rt in subnets:
        props = {"addressPrefix": prefix}
        if nsg:
            props["networkSecurityGroup"] = {"id": nsg}
        if rt:
            props["routeTable"] = {"id": rt}
        out.append({"name": name, "properties": props})
    return {"location": LOC, "properties": {"addressSpace": {"addressPrefixes": list(prefixes)}, "subnets": out}}


def test_nsg_create_update_delete(net, ep, admin):
    admin.clear_requests()
    body = {"location": LOC, "tags": {"move": "test"}, "properties": {"securityRules": [
        {"name": "allow-https", "properties": {"priority": 100, "direction": "Inbound", "access": "Allow",
                                               "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "443",
                                               "sourceAddressPrefix": "*", "destinationAddressPrefix": "*"}}]}}
    nsg = net.network_security_groups.begin_create_or_update(RG, "nsg-a", body).result()
    assert nsg.provisioning_state == "Succeeded" and nsg.tags == {"move": "test"}
    assert [r.name for r in nsg.security_rules] == ["allow-https"]
    assert nsg.security_rules[0].id == rid(ep, "networkSecurityGroups", "nsg-a") + "/securityRules/allow-https"
    defaults = {r.name: (r.priority, r.direction, r.access) for r in nsg.default_security_rules}
    assert defaults["DenyAllInBound"] == (65500, "Inbound", "Deny")
    assert defaults["AllowInternetOutBound"] == (65001, "Outbound", "Allow") and len(defaults) == 6
    put = admin.requests(method="PUT", path_contains="/nsg-a")
    assert put[0]["status"] == 201
    # second PUT updates (200), rules replaced
    body["properties"]["securityRules"][0]["properties"]["destinationPortRange"] = "8443"
    nsg = net.network_security_groups.begin_create_or_update(RG, "nsg-a", body).result()
    assert nsg.security_rules[0].destination_port_range == "8443"
    assert admin.requests(method="PUT", path_contains="/nsg-a")[-1]["status"] == 200
    assert "nsg-a" in [n.name for n in net.network_security_groups.list(RG)]
    assert "nsg-a" in [n.name for n in net.network_security_groups.list_all()]
    net.network_security_groups.begin_delete(RG, "nsg-a").result()
    with pytest.raises(ResourceNotFoundError):
        net.network_security_groups.get(RG, "nsg-a")
    net.network_security_groups.begin_delete(RG, "nsg-a").result()  # already gone: 204


def test_nsg_rule_errors(net):
    def rule(name, prio, direction="Inbound"):
        return {"name": name, "properties": {"priority": prio, "direction": direction, "access": "Allow",
                                             "protocol": "Tcp", "destinationPortRange": "22"}}
    code, msg = error_of(lambda: net.network_security_groups.begin_create_or_update(
        RG, "nsg-bad", {"location": LOC, "properties": {"securityRules": [rule("a", 100), rule("b", 100)]}}).result())
    assert code == "SecurityRuleConflict" and "same Priority and Direction" in msg
    code, _unused = error_of(lambda: net.network_security_groups.begin_create_or_update(
        RG, "nsg-bad", {"location": LOC, "properties": {"securityRules": [rule("a", 5000)]}}).result())
    assert code == "SecurityRuleInvalidPriority"
    # same priority, other direction is fine
    nsg = net.network_security_groups.begin_create_or_update(
        RG, "nsg-ok", {"location": LOC, "properties": {"securityRules": [rule("a", 100), rule("b", 100, "Outbound")]}}
    ).result()
    assert len(nsg.security_rules) == 2
    net.network_security_groups.begin_delete(RG, "nsg-ok").result()


def test_vnet_subnets_references_and_in_use(net, ep):
    nsg = net.network_security_groups.begin_create_or_update(RG, "nsg-v", {"location": LOC}).result()
    rt = net.route_tables.begin_create_or_update(RG, "rt-v", {"location": LOC, "properties": {"routes": [
        {"name": "fw", "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                                      "nextHopIpAddress": "10.40.0.4"}}]}}).result()
    assert rt.routes[0].next_hop_type == "VirtualAppliance"
    vnet = net.virtual_networks.begin_create_or_update(RG, "vnet-a", vnet_body(subnets=(
        ("snet-a", "10.40.1.0/24", nsg.id, None), ("snet-b", "10.40.2.0/24", None, rt.id)))).result()
    assert vnet.address_space.address_prefixes == ["10.40.0.0/16"]
    assert {s.name: s.address_prefix for s in vnet.subnets} == {"snet-a": "10.40.1.0/24", "snet-b": "10.40.2.0/24"}
    # back-references, as Azure keeps them
    assert [s.id for s in net.network_security_groups.get(RG, "nsg-v").subnets] == [vnet.subnets[0].id]
    assert [s.id for s in net.route_tables.get(RG, "rt-v").subnets] == [vnet.subnets[1].id]
    assert "vnet-a" in [v.name for v in net.virtual_networks.list_all()]
    # subnet PUT / GET
    sn = net.subnets.begin_create_or_update(RG, "vnet-a", "snet-c", {"properties": {"addressPrefix": "10.40.3.0/24"}}
                                            ).result()
    assert sn.address_prefix == "10.40.3.0/24" and sn.id.endswith("/virtualNetworks/vnet-a/subnets/snet-c")
    assert net.subnets.get(RG, "vnet-a", "snet-c").address_prefix == "10.40.3.0/24"
    assert {s.name for s in net.subnets.list(RG, "vnet-a")} == {"snet-a", "snet-b", "snet-c"}
    # validation
    code, msg = error_of(lambda: net.subnets.begin_create_or_update(
        RG, "vnet-a", "snet-x", {"properties": {"addressPrefix": "10.40.1.128/25"}}).result())
    assert code == "NetcfgInvalidSubnet" and "snet-x" in msg
    code, _unused = error_of(lambda: net.subnets.begin_create_or_update(
        RG, "vnet-a", "snet-x", {"properties": {"addressPrefix": "10.99.0.0/24"}}).result())
    assert code == "NetcfgInvalidSubnet"
    code, _unused = error_of(lambda: net.subnets.begin_create_or_update(
        RG, "vnet-a", "snet-x", {"properties": {"addressPrefix": "10.40.9.5/24"}}).result())
    assert code == "InvalidCIDRNotation"
    missing = rid(ep, "networkSecurityGroups", "nsg-missing")
    code, msg = error_of(lambda: net.subnets.begin_create_or_update(
        RG, "vnet-a", "snet-x", {"properties": {"addressPrefix": "10.40.9.0/24", "networkSecurityGroup": {"id": missing}}}
    ).result())
    assert code == "InvalidResourceReference" and missing in msg
    # an NSG in use cannot be deleted
    code, msg = error_of(lambda: net.network_security_groups.begin_delete(RG, "nsg-v").result())
    assert code == "InUseNetworkSecurityGroupCannotBeDeleted" and vnet.subnets[0].id in msg
    code, _unused = error_of(lambda: net.route_tables.begin_delete(RG, "rt-v").result())
    assert code == "InUseRouteTableCannotBeDeleted"


def test_nic_public_ip_load_balancer(net, ep, admin):
    subnet_id = rid(ep, "virtualNetworks", "vnet-a") + "/subnets/snet-a"
    pip = net.public_ip_addresses.begin_create_or_update(
        RG, "pip-a", {"location": LOC, "sku": {"name": "Standard"},
                      "properties": {"publicIPAllocationMethod": "Static"}}).result()
    assert pip.sku.name == "Standard" and pip.public_ip_allocation_method == "Static"
    assert pip.ip_address.startswith("20.121.")
    # Basic public IPs cannot be created any more; one that exists from before (a seed) still works.
    admin.seed({"public": {"public_ip_addresses": [{"name": "pip-basic", "resource_group": RG, "location": LOC,
                                                    "sku": "Basic"}]}})
    basic = net.public_ip_addresses.get(RG, "pip-basic")
    assert basic.public_ip_allocation_method == "Dynamic" and basic.ip_address is None
    code, _unused = error_of(lambda: net.public_ip_addresses.begin_create_or_update(
        RG, "pip-bad", {"location": LOC, "sku": {"name": "Standard"},
                        "properties": {"publicIPAllocationMethod": "Dynamic"}}).result())
    assert code == "StandardSkuPublicIPAddressesMustBeStatic"

    lb_id = rid(ep, "loadBalancers", "lb-a")
    lb = net.load_balancers.begin_create_or_update(RG, "lb-a", {
        "location": LOC, "sku": {"name": "Standard"},
        "properties": {
            "frontendIPConfigurations": [{"name": "fe", "properties": {"subnet": {"id": subnet_id},
                                                                       "privateIPAddress": "10.40.1.100",
                                                                       "privateIPAllocationMethod": "Static"}}],
            "backendAddressPools": [{"name": "pool"}],
            "probes": [{"name": "p443", "properties": {"protocol": "Tcp", "port": 443}}],
            "loadBalancingRules": [{"name": "r443", "properties": {
                "frontendIPConfiguration": {"id": lb_id + "/frontendIPConfigurations/fe"},
                "backendAddressPool": {"id": lb_id + "/backendAddressPools/pool"},
                "probe": {"id": lb_id + "/probes/p443"}, "protocol": "Tcp", "frontendPort": 443,
                "backendPort": 443}}]}}).result()
    assert lb.sku.name == "Standard" and lb.frontend_ip_configurations[0].private_ip_address == "10.40.1.100"
    assert lb.probes[0].load_balancing_rules[0].id == lb_id + "/loadBalancingRules/r443"
    code, _unused = error_of(lambda: net.load_balancers.begin_create_or_update(RG, "lb-bad", {
        "location": LOC, "sku": {"name": "Standard"},
        "properties": {"frontendIPConfigurations": [{"name": "fe", "properties": {"publicIPAddress": {"id": basic.id}}}]}
    }).result())
    assert code == "PublicIPAndLBSkuDoNotMatch"

    nic = net.network_interfaces.begin_create_or_update(RG, "nic-a", {
        "location": LOC, "properties": {
            "networkSecurityGroup": {"id": rid(ep, "networkSecurityGroups", "nsg-v")},
            "ipConfigurations": [{"name": "ipconfig1", "properties": {
                "subnet": {"id": subnet_id}, "publicIPAddress": {"id": pip.id},
                "loadBalancerBackendAddressPools": [{"id": lb_id + "/backendAddressPools/pool"}]}}]}}).result()
    ipc = nic.ip_configurations[0]
    assert ipc.private_ip_address == "10.40.1.4" and ipc.private_ip_allocation_method == "Dynamic"
    nic2 = net.network_interfaces.begin_create_or_update(RG, "nic-b", {
        "location": LOC, "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
            "subnet": {"id": subnet_id}}}]}}).result()
    assert nic2.ip_configurations[0].private_ip_address == "10.40.1.5"
    code, _unused = error_of(lambda: net.network_interfaces.begin_create_or_update(RG, "nic-c", {
        "location": LOC, "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
            "subnet": {"id": subnet_id}, "privateIPAddress": "10.40.1.5", "privateIPAllocationMethod": "Static"}}]}}
    ).result())
    assert code == "PrivateIPAddressInUse"
    code, _unused = error_of(lambda: net.network_interfaces.begin_create_or_update(RG, "nic-c", {
        "location": LOC, "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
            "subnet": {"id": subnet_id}, "publicIPAddress": {"id": pip.id}}}]}}).result())
    assert code == "PublicIPAddressInUse"
    code, _unused = error_of(lambda: net.network_interfaces.begin_create_or_update(RG, "nic-c", {
        "location": LOC, "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
            "subnet": {"id": subnet_id + "-nope"}}}]}}).result())
    assert code == "InvalidResourceReference"

    # back-references
    assert net.public_ip_addresses.get(RG, "pip-a").ip_configuration.id == ipc.id
    pool = net.load_balancers.get(RG, "lb-a").backend_address_pools[0]
    assert [c.id for c in pool.backend_ip_configurations] == [ipc.id]
    assert [n.id for n in net.network_security_groups.get(RG, "nsg-v").network_interfaces] == [nic.id]
    subnet = net.subnets.get(RG, "vnet-a", "snet-a")
    expected = {ipc.id, nic2.ip_configurations[0].id, lb_id + "/frontendIPConfigurations/fe"}
    assert {c.id for c in subnet.ip_configurations} == expected

    # in use: public IP, subnet, vnet
    code, _unused = error_of(lambda: net.public_ip_addresses.begin_delete(RG, "pip-a").result())
    assert code == "PublicIPAddressCannotBeDeleted"
    code, msg = error_of(lambda: net.subnets.begin_delete(RG, "vnet-a", "snet-a").result())
    assert code == "InUseSubnetCannotBeDeleted" and "snet-a" in msg
    code, _unused = error_of(lambda: net.virtual_networks.begin_delete(RG, "vnet-a").result())
    assert code == "InUseSubnetCannotBeDeleted"
    code, _unused = error_of(lambda: net.virtual_networks.begin_create_or_update(
        RG, "vnet-a", vnet_body(subnets=(("snet-b", "10.40.2.0/24", None, None),))).result())
    assert code == "InUseSubnetCannotBeDeleted"

    # clean up in dependency order; back-references follow
    net.network_interfaces.begin_delete(RG, "nic-a").result()
    net.network_interfaces.begin_delete(RG, "nic-b").result()
    assert net.public_ip_addresses.get(RG, "pip-a").ip_configuration is None
    assert not net.load_balancers.get(RG, "lb-a").backend_address_pools[0].backend_ip_configurations
    net.load_balancers.begin_delete(RG, "lb-a").result()
    for name in ("pip-a", "pip-basic"):
        net.public_ip_addresses.begin_delete(RG, name).result()
    net.subnets.begin_delete(RG, "vnet-a", "snet-c").result()
    net.virtual_networks.begin_delete(RG, "vnet-a").result()
    net.network_security_groups.begin_delete(RG, "nsg-v").result()
    net.route_tables.begin_delete(RG, "rt-v").result()
    assert RG not in {n.id.split("/")[4] for n in net.network_security_groups.list_all()}


def test_basic_sku_is_retired_for_new_resources(net, ep, admin):
    code, msg = error_of(lambda: net.public_ip_addresses.begin_create_or_update(
        RG, "pip-new-basic", {"location": LOC, "sku": {"name": "Basic"}}).result())
    assert code == "IPv4BasicSkuPublicIpCountLimitReached" and "0 IPv4 Basic SKU" in msg
    code, _unused = error_of(lambda: net.load_balancers.begin_create_or_update(
        RG, "lb-new-basic", {"location": LOC, "sku": {"name": "Basic"}, "properties": {}}).result())
    assert code == "BasicSkuLoadBalancerCreationNotAllowed"
    code, _unused = error_of(lambda: net.load_balancers.begin_create_or_update(  # no SKU is Basic
        RG, "lb-new-basic", {"location": LOC, "properties": {}}).result())
    assert code == "BasicSkuLoadBalancerCreationNotAllowed"
    # A Basic one that already exists (seeded) can still be updated.
    admin.seed({"public": {"public_ip_addresses": [{"name": "pip-old-basic", "resource_group": RG, "location": LOC,
                                                    "sku": "Basic"}]}})
    updated = net.public_ip_addresses.begin_create_or_update(
        RG, "pip-old-basic", {"location": LOC, "sku": {"name": "Basic"}, "tags": {"kept": "yes"},
                              "properties": {"publicIPAllocationMethod": "Dynamic"}}).result()
    assert updated.sku.name == "Basic" and updated.tags == {"kept": "yes"}
    net.public_ip_addresses.begin_delete(RG, "pip-old-basic").result()
    with pytest.raises(ResourceNotFoundError):  # the refused one was never stored
        net.public_ip_addresses.get(RG, "pip-new-basic")


def test_put_is_async_like_the_network_rp(net, admin):
    admin.set_time_factor(0.05)  # 10 s × 0.05: the PUT answers Updating, the poll then Succeeded
    poller = net.route_tables.begin_create_or_update(RG, "rt-slow", {"location": LOC})
    assert poller.result().provisioning_state == "Succeeded"
    put = admin.requests(method="PUT", path_contains="/rt-slow")[-1]
    assert put["status"] == 201
    polls = admin.requests(method="GET", path_contains="/providers/Microsoft.Network/locations/eastus/operations/")
    assert polls, "the SDK polls the Azure-AsyncOperation URL"
    admin.set_time_factor(0)
    net.route_tables.begin_delete(RG, "rt-slow").result()


def test_seeded_network_layout(gov_net, gov_compute, ep):
    nsg = gov_net.network_security_groups.get("rg-app-gov", "nsg-snet-app")
    assert [r.name for r in nsg.security_rules] == ["allow-https-in", "allow-rdp-from-mgmt"]
    assert [s.id.rsplit("/", 1)[-1] for s in nsg.subnets] == ["snet-app"]
    rt = gov_net.route_tables.get("rg-app-gov", "rt-snet-linux")
    assert rt.routes[0].next_hop_ip_address == "10.10.0.4" and rt.subnets[0].id.endswith("/subnets/snet-linux")
    vnet = gov_net.virtual_networks.get("rg-app-gov", "vnet-app-gov")
    snet_app = next(s for s in vnet.subnets if s.name == "snet-app")
    assert snet_app.network_security_group.id == nsg.id
    pip = gov_net.public_ip_addresses.get("rg-app-gov", "pip-app-win01")
    assert pip.sku.name == "Standard" and pip.ip_address.startswith("52.227.")
    assert pip.ip_configuration.id.endswith("/networkInterfaces/vm-app-win01-nic/ipConfigurations/ipconfig1")
    lb = gov_net.load_balancers.get("rg-app-gov", "lbi-app-gov")
    members = sorted(c.id.split("/")[8] for c in lb.backend_address_pools[0].backend_ip_configurations)
    assert members == ["vm-app-win01-nic", "vm-app-win02-nic"]
    nic = gov_net.network_interfaces.get("rg-app-gov", "vm-app-win02-nic")
    assert nic.ip_configurations[0].load_balancer_backend_address_pools[0].id == lb.backend_address_pools[0].id
    win01 = gov_compute.virtual_machines.get("rg-app-gov", "vm-app-win01")
    assert win01.availability_set.id.lower().endswith("/availabilitysets/avset-app-win")
    avset = gov_compute.availability_sets.get("rg-app-gov", "avset-app-win")
    assert len(avset.virtual_machines) == 2 and avset.platform_fault_domain_count == 2
    lnx = gov_compute.virtual_machines.get("rg-linux-gov", "vm-app-lnx01")
    assert lnx.zones == ["1"] and lnx.availability_set is None


def test_usages_and_quota_knob(gov_compute, admin):
    usage = {u.name.value: u for u in gov_compute.usage.list("usgovvirginia")}
    assert usage["cores"].name.localized_value == "Total Regional vCPUs" and usage["cores"].unit == "Count"
    # seeded: D4s_v3 + D2s_v3 (DSv3: 6 vCPUs) and B2ms (2)
    assert usage["standardDSv3Family"].current_value == 6 and usage["standardBSFamily"].current_value == 2
    assert usage["cores"].current_value == 10 and usage["virtualMachines"].current_value == 4
    assert usage["availabilitySets"].current_value == 1
    admin.set_quota("gov", "usgovvirginia", "standardDSv3Family", 4)
    try:
        assert {u.name.value: u.limit for u in gov_compute.usage.list("usgovvirginia")}["standardDSv3Family"] == 4
    finally:
        admin.reset_compute_knobs()
    assert {u.name.value: u.limit for u in gov_compute.usage.list("usgovvirginia")}["standardDSv3Family"] == 100


def test_resource_skus_and_restriction_knob(gov_compute, admin):
    skus = list(gov_compute.resource_skus.list(filter="location eq 'usgovvirginia'"))
    names = {s.name for s in skus}
    assert {"Standard_D4s_v3", "Standard_D2s_v3", "Standard_B2ms"} <= names
    d4 = next(s for s in skus if s.name == "Standard_D4s_v3")
    caps = {c.name: c.value for c in d4.capabilities}
    assert caps["vCPUs"] == "4" and caps["MemoryGB"] == "16" and d4.family == "standardDSv3Family"
    assert d4.locations == ["usgovvirginia"] and d4.location_info[0].zones == ["1", "2", "3"]
    assert d4.restrictions == [] and d4.resource_type == "virtualMachines"
    admin.restrict_size("gov", "usgovvirginia", "Standard_D4s_v3")
    try:
        d4 = next(s for s in gov_compute.resource_skus.list(filter="location eq 'usgovvirginia'")
                  if s.name == "Standard_D4s_v3")
        assert d4.restrictions[0].type == "Location" and d4.restrictions[0]["values"] == ["usgovvirginia"]  # .values is dict.values
        assert d4.restrictions[0].reason_code == "NotAvailableForSubscription"
    finally:
        admin.reset_compute_knobs()
