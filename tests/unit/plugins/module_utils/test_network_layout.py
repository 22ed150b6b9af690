"""The target network layout from REST-shaped JSON: names, reference rewriting, compare and diff, order, refusals."""

import copy

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _network_layout as nl

GOV = "00000000-0000-0000-0000-00000000000a"
PUB = "11111111-1111-1111-1111-11111111111b"
SRC = "/subscriptions/%s/resourceGroups/rg-app-gov/providers/Microsoft.Network" % GOV
DST = "/subscriptions/%s/resourceGroups/rg-net-eastus/providers/Microsoft.Network" % PUB
VNET, NSG, RT = SRC + "/virtualNetworks/vnet-app-gov", SRC + "/networkSecurityGroups/nsg-app", SRC + "/routeTables/rt-linux"
PIP, LB = SRC + "/publicIPAddresses/pip-web", SRC + "/loadBalancers/lbi-app"


def nsg():
    return {"id": NSG, "name": "nsg-app", "location": "usgovvirginia", "etag": 'W/"1"', "tags": {"app": "contoso"},
            "properties": {"provisioningState": "Succeeded", "resourceGuid": "g1",
                           "securityRules": [{"name": "allow-https", "id": NSG + "/securityRules/allow-https", "etag": "e",
                                              "properties": {"provisioningState": "Succeeded", "priority": 100,
                                                             "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
                                                             "sourcePortRange": "*", "destinationPortRange": "443",
                                                             "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
                                                             "sourcePortRanges": [], "destinationPortRanges": [],
                                                             "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}}],
                           "defaultSecurityRules": [{"name": "DenyAllInBound", "properties": {"priority": 65500}}],
                           "subnets": [{"id": VNET + "/subnets/snet-app"}]}}


def route_table():
    return {"id": RT, "name": "rt-linux", "location": "usgovvirginia",
            "properties": {"disableBgpRoutePropagation": False, "subnets": [{"id": VNET + "/subnets/snet-linux"}],
                           "routes": [{"name": "default", "properties": {"addressPrefix": "0.0.0.0/0",
                                                                         "nextHopType": "VirtualAppliance",
                                                                         "nextHopIpAddress": "10.10.0.4",
                                                                         "hasBgpOverride": False}}]}}


def vnet():
    return {"id": VNET, "name": "vnet-app-gov", "location": "usgovvirginia", "tags": {"env": "prod"},
            "properties": {"addressSpace": {"addressPrefixes": ["10.10.0.0/16"]}, "resourceGuid": "g2",
                           "dhcpOptions": {"dnsServers": ["10.10.0.10"]}, "virtualNetworkPeerings": [],
                           "subnets": [
                               {"name": "snet-app", "id": VNET + "/subnets/snet-app",
                                "properties": {"addressPrefix": "10.10.1.0/24", "networkSecurityGroup": {"id": NSG},
                                               "ipConfigurations": [{"id": "/nic/ipconfig1"}]}},
                               {"name": "snet-linux", "id": VNET + "/subnets/snet-linux",
                                "properties": {"addressPrefix": "10.10.2.0/24", "routeTable": {"id": RT}}}]}}


def public_ip(sku="Standard", allocation="Static", zones=None):
    body = {"id": PIP, "name": "pip-web", "location": "usgovvirginia", "sku": {"name": sku, "tier": "Regional"},
            "properties": {"publicIPAllocationMethod": allocation, "ipAddress": "52.227.1.10",
                           "publicIPAddressVersion": "IPv4", "idleTimeoutInMinutes": 4,
                           "ipConfiguration": {"id": "/nic/ipconfig1"},
                           "dnsSettings": {"domainNameLabel": "web", "fqdn": "web.usgovvirginia.cloudapp.usgovcloudapi.net"}}}
    if zones:
        body["zones"] = zones
    return body


def load_balancer(private_ip="10.10.1.100", sku="Standard"):
    return {"id": LB, "name": "lbi-app", "location": "usgovvirginia", "sku": {"name": sku, "tier": "Regional"},
            "properties": {
                "frontendIPConfigurations": [{"name": "fe", "id": LB + "/frontendIPConfigurations/fe", "properties": {
                    "subnet": {"id": VNET + "/subnets/snet-app"}, "privateIPAddress": private_ip,
                    "privateIPAllocationMethod": "Static", "loadBalancingRules": [{"id": LB + "/loadBalancingRules/r"}]}}],
                "backendAddressPools": [{"name": "pool", "id": LB + "/backendAddressPools/pool", "properties": {
                    "backendIPConfigurations": [{"id": "/nic/ipconfig1"}]}}],
                "probes": [{"name": "p443", "properties": {"protocol": "Tcp", "port": 443, "intervalInSeconds": 5}}],
                "loadBalancingRules": [{"name": "r", "properties": {
                    "frontendIPConfiguration": {"id": LB + "/frontendIPConfigurations/fe"},
                    "backendAddressPool": {"id": LB + "/backendAddressPools/pool"},
                    "backendAddressPools": [{"id": LB + "/backendAddressPools/pool"}],
                    "probe": {"id": LB + "/probes/p443"}, "protocol": "Tcp", "frontendPort": 443, "backendPort": 443}}],
                "inboundNatRules": []}}


def sources(*bodies):
    bodies = bodies or (nsg(), route_table(), vnet(), public_ip(), load_balancer())
    return {b["id"].lower(): b for b in bodies}


def target(**kw):
    kw.setdefault("names", nl.NameMap())
    return nl.Target(PUB, "rg-net-eastus", "East US", **kw)


def by_name(planned):
    return {p.name: p for p in planned}


def azure_has(kind, desired, planned_id):
    """What Azure would answer after a PUT of the desired body: defaults, read-only fields, ids, back-references."""
    body = nl.put_body(kind, None, desired, "eastus")
    body.update(id=planned_id, name=planned_id.rsplit("/", 1)[-1], etag='W/"x"')
    body.setdefault("properties", {}).update(provisioningState="Succeeded", resourceGuid="new")
    for coll in nl.NAMED_LISTS:
        for child in body["properties"].get(coll) or []:
            child["id"] = "%s/%s/%s" % (planned_id, coll, child["name"])
            child["properties"]["provisioningState"] = "Succeeded"
    if kind == "network_security_group":
        for rule in body["properties"]["securityRules"]:
            for key in ("sourcePortRanges", "destinationPortRanges", "sourceAddressPrefixes", "destinationAddressPrefixes"):
                rule["properties"].setdefault(key, [])
        body["properties"]["defaultSecurityRules"] = [{"name": "DenyAllInBound"}]
    if kind == "public_ip_address":
        body["properties"]["ipAddress"] = "20.121.3.4"
    return body


# -- names and ids --------------------------------------------------------------------------------------------
def test_names_keep_replace_and_map():
    names = nl.NameMap({"VNET-APP-GOV": "vnet-app-eastus", NSG.upper(): "nsg-by-id"}, {"-gov": "-eus", "app": "web"})
    assert names.target(VNET) == "vnet-app-eastus"  # by name, case-insensitive: the map wins over replacements
    assert names.target(NSG) == "nsg-by-id"  # by id
    assert names.target(SRC + "/loadBalancers/lbi-app-gov") == "lbi-web-eus"  # each replacement in turn
    assert nl.NameMap().target(RT) == "rt-linux"
    with pytest.raises(nl.LayoutError):
        nl.NameMap({"vnet": 3})


def test_ids_of_children_follow_their_parent():
    t = target(names=nl.NameMap({"vnet-app-gov": "vnet-app-eastus"}))
    assert t.id_for(VNET + "/subnets/snet-app") == DST + "/virtualNetworks/vnet-app-eastus/subnets/snet-app"
    assert t.id_for(LB + "/probes/p443") == DST + "/loadBalancers/lbi-app/probes/p443"
    assert nl.resource_id_of(VNET + "/subnets/snet-app") == VNET
    assert nl.kind_of(PIP) == "public_ip_address" and nl.kind_of("/subscriptions/s/resourceGroups/r/providers/"
                                                                 "Microsoft.Compute/availabilitySets/a") is None


# -- which resources ----------------------------------------------------------------------------------------------
def test_closure_follows_references_of_the_included_kinds():
    store = sources()
    reads = []

    def read(rid):
        reads.append(rid)
        return store.get(rid.lower())

    found = nl.closure([LB], read, set(nl.ORDER))
    # the load balancer brings its VNet, the VNet its subnets' NSG and route table
    assert set(found) == {LB.lower(), VNET.lower(), NSG.lower(), RT.lower()}
    found = nl.closure([VNET + "/subnets/snet-app", "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/"
                        "availabilitySets/a"], read, {"virtual_network"})
    assert set(found) == {VNET.lower()}  # NSGs and route tables left out: not read at all
    with pytest.raises(nl.LayoutError, match="does not exist"):
        nl.closure([SRC + "/routeTables/rt-gone"], read, set(nl.ORDER))


def test_vnet_members_are_what_lives_in_the_vnet():
    nic = {"id": SRC + "/networkInterfaces/nic1", "properties": {
        "networkSecurityGroup": {"id": SRC + "/networkSecurityGroups/nsg-nic"},
        "ipConfigurations": [{"properties": {"subnet": {"id": VNET + "/subnets/snet-app"}, "publicIPAddress": {"id": PIP},
                                             "loadBalancerBackendAddressPools": [{"id": LB + "/backendAddressPools/pool"}]}}]}}
    elsewhere = {"id": SRC + "/networkInterfaces/nic2", "properties": {"ipConfigurations": [
        {"properties": {"subnet": {"id": SRC + "/virtualNetworks/other/subnets/s"}, "publicIPAddress": {"id": "/other"}}}]}}
    members = nl.vnet_members([VNET], [nic, elsewhere], [load_balancer()])
    assert members == [SRC + "/networkSecurityGroups/nsg-nic", PIP, LB, LB]
    assert nl.vnet_members([VNET], [nic], [], kinds={"virtual_network"}) == []


# -- the plan -----------------------------------------------------------------------------------------------------
def test_order_names_location_and_rewritten_references():
    planned, warnings = nl.plan(sources(), target(), {"create": True})
    assert warnings == []
    assert [(p.kind, p.name, p.purpose) for p in planned] == [
        ("network_security_group", "nsg-app", "production"), ("route_table", "rt-linux", "production"),
        ("virtual_network", "vnet-app-gov", "production"), ("virtual_network", "vnet-app-gov-test", "test"),
        ("public_ip_address", "pip-web", "production"), ("load_balancer", "lbi-app", "production")]
    items = by_name(planned)
    subnets = items["vnet-app-gov"].desired["properties"]["subnets"]
    assert subnets[0] == {"name": "snet-app", "properties": {
        "addressPrefix": "10.10.1.0/24", "addressPrefixes": None,
        "networkSecurityGroup": {"id": DST + "/networkSecurityGroups/nsg-app"}, "routeTable": None}}
    assert subnets[1]["properties"]["routeTable"] == {"id": DST + "/routeTables/rt-linux"}
    assert items["vnet-app-gov"].target_id == DST + "/virtualNetworks/vnet-app-gov"
    lb = items["lbi-app"].desired["properties"]
    assert lb["frontendIPConfigurations"][0]["properties"] == {
        "subnet": {"id": DST + "/virtualNetworks/vnet-app-gov/subnets/snet-app"}, "publicIPAddress": None,
        "privateIPAllocationMethod": "Static", "privateIPAddress": "10.10.1.100"}
    rule = lb["loadBalancingRules"][0]["properties"]
    assert rule["frontendIPConfiguration"] == {"id": DST + "/loadBalancers/lbi-app/frontendIPConfigurations/fe"}
    assert rule["backendAddressPool"] == {"id": DST + "/loadBalancers/lbi-app/backendAddressPools/pool"}
    assert rule["probe"] == {"id": DST + "/loadBalancers/lbi-app/probes/p443"}
    assert lb["backendAddressPools"] == [{"name": "pool", "properties": {}}]  # members are not copied
    assert nl.effective_names(planned) == {"nsg-app": "nsg-app", "rt-linux": "rt-linux", "vnet-app-gov": "vnet-app-gov",
                                           "pip-web": "pip-web", "lbi-app": "lbi-app"}


def test_read_only_and_computed_fields_are_not_copied():
    planned, _unused = nl.plan(sources(), target())
    text = repr([p.desired for p in planned])
    for field in ("etag", "provisioningState", "resourceGuid", "ipConfigurations", "ipConfiguration", "ipAddress'",
                  "backendIPConfigurations", "defaultSecurityRules", "52.227.1.10", "fqdn", "dnsServers", GOV):
        assert field not in text, field
    items = by_name(planned)
    assert items["nsg-app"].desired["properties"]["securityRules"][0]["properties"] == {
        "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "sourcePortRange": "*",
        "destinationPortRange": "443", "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
        "sourcePortRanges": None, "destinationPortRanges": None, "sourceAddressPrefixes": None,
        "destinationAddressPrefixes": None, "description": None}
    pip = items["pip-web"].desired
    assert pip["sku"] == {"name": "Standard", "tier": "Regional"} and pip["zones"] is None
    assert pip["properties"] == {"publicIPAddressVersion": "IPv4", "idleTimeoutInMinutes": 4,
                                 "publicIPAllocationMethod": "Static", "dnsSettings": {"domainNameLabel": "web"}}
    assert items["vnet-app-gov"].desired["tags"] == {"env": "prod"}


def test_basic_public_ip_and_load_balancer_become_standard():
    planned, warnings = nl.plan(sources(public_ip("Basic", "Dynamic"), load_balancer(sku="Basic"), vnet(), nsg(),
                                        route_table()), target())
    items = by_name(planned)
    assert items["pip-web"].desired["sku"]["name"] == "Standard"
    assert items["pip-web"].desired["properties"]["publicIPAllocationMethod"] == "Static"
    assert items["lbi-app"].desired["sku"]["name"] == "Standard"
    assert any("Basic SKU public IP" in w and "30 September 2025" in w for w in warnings)
    assert any("Load balancer lbi-app is Basic SKU" in w for w in warnings)


def test_zones_kept_only_where_the_target_region_has_them():
    planned, warnings = nl.plan(sources(public_ip(zones=["1", "2", "3"])), target(zones={"1", "2", "3"}))
    assert planned[0].desired["zones"] == ["1", "2", "3"] and warnings == []
    planned, warnings = nl.plan(sources(public_ip(zones=["1", "2", "3"])), target(zones=set()))
    assert planned[0].desired["zones"] is None and "no zones" in warnings[0]
    skus = [{"locationInfo": [{"location": "eastus", "zones": ["2", "1"]}]}, {"locationInfo": [{"location": "westus"}]},
            {"locationInfo": [{"location": "EastUS", "zones": ["3"]}]}]
    assert nl.region_zones(skus, "East US") == {"1", "2", "3"} and nl.region_zones(skus, "westus") == set()


def test_a_static_frontend_address_outside_the_target_subnet_becomes_dynamic():
    planned, warnings = nl.plan(sources(vnet(), nsg(), route_table(), load_balancer(private_ip="10.99.0.5")), target())
    fe = by_name(planned)["lbi-app"].desired["properties"]["frontendIPConfigurations"][0]["properties"]
    assert fe["privateIPAllocationMethod"] == "Dynamic" and "privateIPAddress" not in fe
    assert "10.99.0.5 is not in its target subnet" in warnings[0]


def test_kinds_left_out_are_not_managed():
    planned, _unused = nl.plan(sources(vnet(), nsg(), route_table()), target(kinds={"route_table"}))
    assert [p.kind for p in planned] == ["route_table", "virtual_network"]
    subnet = planned[1].desired["properties"]["subnets"][0]["properties"]
    assert "networkSecurityGroup" not in subnet and subnet["routeTable"] is None


def test_rules_with_application_security_groups_or_regional_tags_are_reported():
    body = nsg()
    rules = body["properties"]["securityRules"]
    rules.append(copy.deepcopy(rules[0]))
    rules[1]["name"] = "asg"
    rules[1]["properties"].update(priority=110, sourceApplicationSecurityGroups=[{"id": "/asg"}])
    rules[0]["properties"]["destinationAddressPrefix"] = "Storage.USGovVirginia"
    planned, warnings = nl.plan(sources(body), target())
    assert [r["name"] for r in planned[0].desired["properties"]["securityRules"]] == ["allow-https"]
    assert any("application security groups" in w for w in warnings)
    assert any("Storage.USGovVirginia" in w for w in warnings)


# -- refusals -------------------------------------------------------------------------------------------------------
def test_target_in_the_source_region_is_refused():
    with pytest.raises(nl.LayoutError, match="another region than the source.*usgovvirginia"):
        nl.plan(sources(), nl.Target(PUB, "rg", "US Gov Virginia"))


def test_two_sources_mapped_to_one_name_are_refused():
    other = dict(nsg(), id=SRC.replace("rg-app-gov", "rg-other") + "/networkSecurityGroups/nsg-app")
    with pytest.raises(nl.LayoutError, match="two source resources to one target name"):
        nl.plan(sources(nsg(), other), target())
    second = dict(nsg(), id=SRC + "/networkSecurityGroups/nsg-db", name="nsg-db")
    with pytest.raises(nl.LayoutError, match="both become nsg-shared"):
        nl.plan(sources(nsg(), second), target(names=nl.NameMap({"nsg-app": "nsg-shared", "nsg-db": "nsg-shared"})))


def test_the_production_vnet_as_test_network_is_refused():
    with pytest.raises(nl.LayoutError, match="test network cannot be VNET-APP-GOV"):
        nl.plan(sources(), target(), {"name": "VNET-APP-GOV"})


def test_overlaps_with_vnets_this_layout_does_not_manage():
    planned, _unused = nl.plan(sources(vnet()), target(), {})
    others = [{"name": "vnet-hub", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/8"]}}},
              {"name": "vnet-app-gov", "properties": {"addressSpace": {"addressPrefixes": ["10.10.0.0/16"]}}},
              {"name": "vnet-far", "properties": {"addressSpace": {"addressPrefixes": ["192.168.0.0/24"]}}}]
    clashes = nl.overlaps(planned, others)
    # the VNet itself and its test network (same space on purpose) are ours; the hub overlaps both
    assert clashes == ["vnet-app-gov (10.10.0.0/16) overlaps vnet-hub (10.0.0.0/8)",
                       "vnet-app-gov-test (10.10.0.0/16) overlaps vnet-hub (10.0.0.0/8)"]


# -- the test network -----------------------------------------------------------------------------------------------
def test_test_network_defaults_and_options():
    planned, _unused = nl.plan(sources(vnet(), nsg(), route_table()), target(names=nl.NameMap({"vnet-app-gov": "vnet-eus"})), {})
    test = by_name(planned)["vnet-eus-test"]
    assert test.purpose == "test" and test.target_id == DST + "/virtualNetworks/vnet-eus-test"
    subnets = {s["name"]: s["properties"] for s in test.desired["properties"]["subnets"]}
    assert subnets["snet-app"]["networkSecurityGroup"] == {"id": DST + "/networkSecurityGroups/nsg-app"}
    assert subnets["snet-linux"]["routeTable"] is None  # next hops are not in the isolated network
    assert test.desired["properties"]["addressSpace"] == {"addressPrefixes": ["10.10.0.0/16"]}
    assert "virtualNetworkPeerings" not in repr(test.desired)
    planned, _unused = nl.plan(sources(vnet(), nsg(), route_table()), target(), {
        "name": "vnet-isolated", "address_prefixes": ["10.40.0.0/15"], "attach_nsgs": False, "attach_route_tables": True})
    subnets = {s["name"]: s["properties"] for s in by_name(planned)["vnet-isolated"].desired["properties"]["subnets"]}
    assert subnets["snet-app"]["addressPrefix"] == "10.40.1.0/24" and subnets["snet-app"]["networkSecurityGroup"] is None
    assert subnets["snet-linux"]["routeTable"] == {"id": DST + "/routeTables/rt-linux"}


def test_test_network_prefix_translation_and_choice_of_vnet():
    assert nl.translate_prefixes(["10.10.0.0/16", "172.16.0.0/24"], ["10.40.0.0/16", "192.168.4.0/23"],
                                 ["10.10.2.0/24", "172.16.0.128/25"]) == {"10.10.2.0/24": "10.40.2.0/24",
                                                                          "172.16.0.128/25": "192.168.4.128/25"}
    with pytest.raises(nl.LayoutError, match="cannot hold"):
        nl.translate_prefixes(["10.10.0.0/16"], ["10.40.0.0/24"], ["10.10.2.0/24"])
    with pytest.raises(nl.LayoutError, match="one per prefix"):
        nl.translate_prefixes(["10.10.0.0/16"], ["10.40.0.0/16", "10.41.0.0/16"], [])
    with pytest.raises(nl.LayoutError, match="address_prefixes"):
        nl.translate_prefixes(["10.10.0.0/16"], ["10.40.0.1/16"], [])
    second = dict(vnet(), id=SRC + "/virtualNetworks/vnet-data", name="vnet-data")
    with pytest.raises(nl.LayoutError, match="source_virtual_network"):
        nl.plan(sources(vnet(), second), target(kinds=()), {})
    planned, _unused = nl.plan(sources(vnet(), second), target(kinds=()), {"source_virtual_network": "vnet-data"})
    assert "vnet-data-test" in by_name(planned)
    planned, warnings = nl.plan(sources(nsg()), target(), {})
    assert len(planned) == 1 and "no test network" in warnings[0]


# -- compare, diff and the PUT body ----------------------------------------------------------------------------------
def test_what_azure_answers_for_the_desired_body_is_unchanged():
    planned, _unused = nl.plan(sources(), target(), {})
    for item in planned:
        existing = azure_has(item.kind, item.desired, item.target_id)
        assert nl.differences(existing, item.desired) == [], item.name
        assert nl.create_only_changes(existing, item.desired) == []


def test_differences_are_over_managed_fields_only():
    planned, _unused = nl.plan(sources(), target(), {})
    items = by_name(planned)
    nsg_item, vnet_item, pip_item = items["nsg-app"], items["vnet-app-gov"], items["pip-web"]
    existing = azure_has("network_security_group", nsg_item.desired, nsg_item.target_id)
    existing["tags"]["owner"] = "network-team"  # tags added in the target stay
    existing["properties"]["securityRules"].append({"name": "target-only", "properties": {"priority": 300}})
    existing["properties"]["securityRules"][0]["id"] = existing["properties"]["securityRules"][0]["id"].upper()
    assert nl.differences(existing, nsg_item.desired) == []
    existing["properties"]["securityRules"][0]["properties"]["destinationPortRange"] = "8443"
    existing["tags"]["app"] = "other"
    assert nl.differences(existing, nsg_item.desired) == [
        "tags.app: other -> contoso", "securityRules[allow-https].destinationPortRange: 8443 -> 443"]
    vnet_existing = azure_has("virtual_network", vnet_item.desired, vnet_item.target_id)
    del vnet_existing["properties"]["subnets"][1]
    vnet_existing["properties"]["subnets"][0]["properties"]["networkSecurityGroup"]["id"] = "/OTHER"
    assert nl.differences(vnet_existing, vnet_item.desired) == [
        "subnets[snet-app].networkSecurityGroup: /OTHER -> %s" % (DST + "/networkSecurityGroups/nsg-app"),
        "subnets[snet-linux]: added"]
    pip_existing = azure_has("public_ip_address", pip_item.desired, pip_item.target_id)
    pip_existing["sku"] = {"name": "Basic"}
    pip_existing["zones"] = ["1"]
    assert nl.differences(pip_existing, pip_item.desired) == []  # create-only: reported apart, never changed
    assert nl.create_only_changes(pip_existing, pip_item.desired) == [
        "sku is Basic (the source's: Standard)", "zones is 1 (the source's: (none))"]


def test_view_is_the_before_of_the_diff():
    planned, _unused = nl.plan(sources(nsg()), target())
    item = planned[0]
    existing = azure_has(item.kind, item.desired, item.target_id)
    existing["tags"]["owner"] = "x"
    before = nl.view(existing, item.desired)
    assert before["tags"] == {"app": "contoso"}
    assert before["properties"]["securityRules"][0]["properties"]["destinationPortRange"] == "443"
    assert "defaultSecurityRules" not in repr(before) and "provisioningState" not in repr(before)


def test_put_body_keeps_what_the_target_has_beyond_the_layout():
    planned, _unused = nl.plan(sources(), target(), {})
    items = by_name(planned)
    vnet_item = items["vnet-app-gov"]
    assert nl.put_body("virtual_network", None, vnet_item.desired, "eastus") == {
        "location": "eastus", "tags": {"env": "prod"}, "properties": {
            "addressSpace": {"addressPrefixes": ["10.10.0.0/16"]}, "subnets": [
                {"name": "snet-app", "properties": {"addressPrefix": "10.10.1.0/24",
                                                    "networkSecurityGroup": {"id": DST + "/networkSecurityGroups/nsg-app"}}},
                {"name": "snet-linux", "properties": {"addressPrefix": "10.10.2.0/24",
                                                      "routeTable": {"id": DST + "/routeTables/rt-linux"}}}]}}
    existing = azure_has("virtual_network", vnet_item.desired, vnet_item.target_id)
    props = existing["properties"]
    peering = {"provisioningState": "Succeeded", "remoteVirtualNetwork": {"id": "/hub"}}
    props["virtualNetworkPeerings"] = [{"name": "to-hub", "properties": peering}]
    props["subnets"].append({"name": "GatewaySubnet", "etag": "e", "properties": {"addressPrefix": "10.10.255.0/27",
                                                                                  "ipConfigurations": [{"id": "/gw"}]}})
    props["subnets"][0]["properties"].update(serviceEndpoints=[{"service": "Microsoft.Storage"}],
                                             ipConfigurations=[{"id": "/nic"}], addressPrefixes=["10.10.1.0/24"])
    props["subnets"][1]["properties"]["addressPrefix"] = "10.10.3.0/24"
    existing["tags"]["owner"] = "x"
    body = nl.put_body("virtual_network", existing, vnet_item.desired, "eastus")
    assert "id" not in body and "etag" not in body and "provisioningState" not in repr(body)
    assert "ipConfigurations" not in repr(body) and body["tags"] == {"env": "prod", "owner": "x"}
    assert body["properties"]["virtualNetworkPeerings"] == [{"name": "to-hub", "properties": {
        "remoteVirtualNetwork": {"id": "/hub"}}}]
    subnets = {s["name"]: s["properties"] for s in body["properties"]["subnets"]}
    assert list(subnets) == ["snet-app", "snet-linux", "GatewaySubnet"]
    assert subnets["snet-app"]["serviceEndpoints"] == [{"service": "Microsoft.Storage"}]
    assert "addressPrefixes" not in subnets["snet-app"]  # managed: the source has the single form
    assert subnets["snet-linux"]["addressPrefix"] == "10.10.2.0/24"
    pip_item = items["pip-web"]
    pip_existing = azure_has("public_ip_address", pip_item.desired, pip_item.target_id)
    pip_existing.update(sku={"name": "Standard", "tier": "Global"}, zones=["2"])
    body = nl.put_body("public_ip_address", pip_existing, pip_item.desired, "eastus")
    assert body["sku"] == {"name": "Standard", "tier": "Global"} and body["zones"] == ["2"]  # never changed
    assert "ipAddress" not in body["properties"]


def test_put_body_of_a_load_balancer_drops_back_references_only():
    planned, _unused = nl.plan(sources(), target())
    item = by_name(planned)["lbi-app"]
    existing = azure_has("load_balancer", item.desired, item.target_id)
    props = existing["properties"]
    props["frontendIPConfigurations"][0]["properties"]["loadBalancingRules"] = [{"id": "/rule"}]
    props["backendAddressPools"][0]["properties"]["backendIPConfigurations"] = [{"id": "/nic"}]
    props["inboundNatRules"] = [{"name": "rdp", "properties": {"frontendPort": 50001}}]
    body = nl.put_body("load_balancer", existing, item.desired, "eastus")
    assert body["properties"]["loadBalancingRules"][0]["name"] == "r"  # the forward list stays
    assert "loadBalancingRules" not in body["properties"]["frontendIPConfigurations"][0]["properties"]
    assert "backendIPConfigurations" not in repr(body)
    assert body["properties"]["inboundNatRules"] == [{"name": "rdp", "properties": {"frontendPort": 50001}}]
    nsg_item = by_name(planned)["nsg-app"]
    nsg_existing = azure_has("network_security_group", nsg_item.desired, nsg_item.target_id)
    nsg_existing["properties"]["subnets"] = [{"id": "/subnet"}]
    assert "subnets" not in nl.put_body("network_security_group", nsg_existing, nsg_item.desired, "eastus")["properties"]
