"""target_network and its role through ansible-playbook: the seeded Government layout of vm-app-win01/win02/lnx01
(VNet, NSG, route table, public IP, internal load balancer) recreated in eastus, each resource written once."""

import json
import sys
from collections import Counter

import pytest

from conftest import ROOT, assert_ok

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import client_kwargs, credential  # noqa: E402

VMS = ["vm-app-win01", "vm-app-win02", "vm-app-lnx01"]
WRITES = ("PUT", "POST", "PATCH", "DELETE")
RG = "rg-tn-eastus"
LAYOUT = {"networkSecurityGroups": ["nsg-snet-app"], "routeTables": ["rt-snet-linux"],
          "virtualNetworks": ["vnet-app-gov", "vnet-app-gov-test"], "publicIPAddresses": ["pip-app-win01"],
          "loadBalancers": ["lbi-app-gov"]}
NSG_RULES = [{"name": "allow-https-in", "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
              "source_address_prefix": "*", "destination_port_range": "443"},
             {"name": "allow-rdp-from-mgmt", "priority": 200, "direction": "Inbound", "access": "Allow",
              "protocol": "Tcp", "source_address_prefix": "10.10.0.0/24", "destination_port_range": "3389"}]


def last_id(admin):
    log = admin.requests(limit=100000)
    return log[-1]["id"] if log else 0


def writes(admin, since):
    """The target cloud's ARM writes since a request id (token requests left out)."""
    return [r for r in admin.requests(since=since, cloud="public") if r["method"] in WRITES and r["port"] != "login"]


def puts_by_resource(log):
    """{segment: {name: count}} of the Microsoft.Network PUTs of a request log."""
    out = {}
    for req in log:
        assert req["method"] == "PUT", req
        parts = req["path"].split("?")[0].split("/")
        i = [p.lower() for p in parts].index("microsoft.network")
        out.setdefault(parts[i + 1], Counter())[parts[i + 2]] += 1
    return out


def seed_group(admin, name, vnets=()):
    admin.seed({"public": {"resource_groups": [{"name": name, "location": "eastus"}], "virtual_networks": list(vnets)}})


def network(simulator, cloud="public"):
    from azure.mgmt.network import NetworkManagementClient
    return NetworkManagementClient(credential(simulator, cloud), simulator["clouds"][cloud]["subscription_id"],
                                   **client_kwargs(simulator, cloud))


def run(runner, tmp_path, playbook="target_network.yml", check=False, diff=False, **extra):
    result_file = tmp_path / ("result-%s.json" % playbook)
    done = runner.run(playbook, dict(extra, result_file=str(result_file)), check=check, diff=diff)
    assert_ok(done)
    return json.loads(result_file.read_text()), done.output


@pytest.fixture(scope="module")
def layout(runner_module, admin):
    """Check mode on a fresh group, then the role twice: (check result, role results, the writes of each)."""
    runner, tmp_path = runner_module
    seed_group(admin, RG)
    since = last_id(admin)
    check, check_output = run(runner, tmp_path, check=True, diff=True, source_vms=VMS, resource_group=RG)
    check_writes = writes(admin, since)
    since = last_id(admin)
    role, _unused = run(runner, tmp_path, "target_network_role.yml", wave_vms=VMS, resource_group=RG)
    return {"check": check, "check_output": check_output, "check_writes": check_writes, "role": role,
            "role_writes": writes(admin, since)}


@pytest.fixture(scope="module")
def runner_module(simulator, tmp_path_factory):
    from conftest import Runner
    tmp_path = tmp_path_factory.mktemp("target-network")
    return Runner(simulator, tmp_path), tmp_path


def test_check_mode_on_a_fresh_target_writes_nothing_and_says_what_it_would_create(layout):
    check = layout["check"]
    assert layout["check_writes"] == []
    assert check["changed"]
    actions = {(r["kind"], r["name"]): r["action"] for r in check["resources"]}
    assert actions == {("network_security_group", "nsg-snet-app"): "created", ("route_table", "rt-snet-linux"): "created",
                       ("virtual_network", "vnet-app-gov"): "created", ("virtual_network", "vnet-app-gov-test"): "created",
                       ("public_ip_address", "pip-app-win01"): "created", ("load_balancer", "lbi-app-gov"): "created"}
    # dependency order: NSGs and route tables, VNets (the test network right after), public IPs, load balancers
    assert [r["kind"] for r in check["resources"]] == ["network_security_group", "route_table", "virtual_network",
                                                       "virtual_network", "public_ip_address", "load_balancer"]
    assert "load_balancer lbi-app-gov" in check["diff"]["after"] and check["diff"]["before"]["load_balancer lbi-app-gov"] == {}
    assert "+++ after" in layout["check_output"]  # --diff shows it


def test_role_writes_each_resource_once_and_the_second_run_nothing(layout):
    first, second = layout["role"]["first"], layout["role"]["second"]
    assert first["changed"] and not second["changed"]
    assert {r["action"] for r in first["resources"]} == {"created"}
    assert {r["action"] for r in second["resources"]} == {"unchanged"}
    # exactly one PUT per resource, nothing else, over both runs of the role
    assert puts_by_resource(layout["role_writes"]) == {k: Counter({n: 1 for n in v}) for k, v in LAYOUT.items()}
    assert first["name_map"]["vnet-app-gov"] == "vnet-app-gov"
    assert first["source_connection"]["name"] == "source" and first["connection"]["name"] == "target"


def test_the_target_layout_references_the_target_resources(layout, simulator):
    net, gov = network(simulator), network(simulator, "gov")
    sub = simulator["clouds"]["public"]["subscription_id"]
    base = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network" % (sub, RG)
    vnet = net.virtual_networks.get(RG, "vnet-app-gov")
    assert vnet.location == "eastus" and vnet.address_space.address_prefixes == ["10.10.0.0/16"]
    subnets = {s.name: s for s in vnet.subnets}
    assert subnets["snet-app"].network_security_group.id == base + "/networkSecurityGroups/nsg-snet-app"
    assert subnets["snet-linux"].route_table.id == base + "/routeTables/rt-snet-linux"
    rules = {r.name: r for r in net.network_security_groups.get(RG, "nsg-snet-app").security_rules}
    assert rules["allow-rdp-from-mgmt"].source_address_prefix == "10.10.0.0/24" and rules["allow-https-in"].priority == 100
    route = net.route_tables.get(RG, "rt-snet-linux").routes[0]
    assert (route.address_prefix, route.next_hop_ip_address) == ("0.0.0.0/0", "10.10.0.4")
    pip, source_pip = net.public_ip_addresses.get(RG, "pip-app-win01"), gov.public_ip_addresses.get("rg-app-gov", "pip-app-win01")
    assert (pip.sku.name, pip.public_ip_allocation_method) == ("Standard", "Static")
    assert pip.ip_address and pip.ip_address != source_pip.ip_address  # a new address in the target region
    lb = net.load_balancers.get(RG, "lbi-app-gov")
    frontend = lb.frontend_ip_configurations[0]
    assert frontend.subnet.id == base + "/virtualNetworks/vnet-app-gov/subnets/snet-app"
    assert (frontend.private_ip_address, frontend.private_ip_allocation_method) == ("10.10.1.100", "Static")
    rule = lb.load_balancing_rules[0]
    assert rule.probe.id == base + "/loadBalancers/lbi-app-gov/probes/probe-https"
    assert rule.backend_address_pool.id == base + "/loadBalancers/lbi-app-gov/backendAddressPools/bepool-app"
    assert not lb.backend_address_pools[0].backend_ip_configurations  # members come with the failed-over VMs


def test_the_test_network_is_separate(layout, simulator):
    net = network(simulator)
    test_id = layout["role"]["first"]["test_network"]
    assert test_id.endswith("/virtualNetworks/vnet-app-gov-test")
    test, prod = net.virtual_networks.get(RG, "vnet-app-gov-test"), net.virtual_networks.get(RG, "vnet-app-gov")
    assert test.id.lower() == test_id.lower() and test.id != prod.id
    assert not test.virtual_network_peerings and not prod.virtual_network_peerings
    assert test.address_space.address_prefixes == prod.address_space.address_prefixes
    subnets = {s.name: s for s in test.subnets}
    assert subnets["snet-app"].network_security_group.id == prod.subnets[0].network_security_group.id
    assert subnets["snet-linux"].route_table is None  # next hops are not in the isolated network
    entry = [r for r in layout["role"]["first"]["resources"] if r["purpose"] == "test"]
    assert [e["name"] for e in entry] == ["vnet-app-gov-test"]


def test_a_changed_source_rule_is_one_put_on_rerun(layout, runner_module, admin, tmp_path):
    runner, _unused = runner_module
    changed = [dict(NSG_RULES[0], destination_port_range="8443")] + NSG_RULES[1:]
    nsg = {"name": "nsg-snet-app", "resource_group": "rg-app-gov", "location": "usgovvirginia",
           "tags": {"app": "contoso-app"}}
    admin.seed({"gov": {"network_security_groups": [dict(nsg, rules=changed)]}})
    try:
        since = last_id(admin)
        result, output = run(runner, tmp_path, diff=True, source_vms=VMS, resource_group=RG)
        assert puts_by_resource(writes(admin, since)) == {"networkSecurityGroups": Counter({"nsg-snet-app": 1})}
    finally:
        admin.seed({"gov": {"network_security_groups": [dict(nsg, rules=NSG_RULES)]}})
    assert result["changed"]
    updated = [r for r in result["resources"] if r["action"] != "unchanged"]
    assert [(r["name"], r["action"]) for r in updated] == [("nsg-snet-app", "updated")]
    assert updated[0]["changes"] == ["securityRules[allow-https-in].destinationPortRange: 443 -> 8443"]
    assert "8443" in output  # the diff is shown


def test_name_map_and_a_readdressed_test_network(runner, admin, simulator, tmp_path):
    rg = "rg-tn-names"
    seed_group(admin, rg)
    result, _unused = run(runner, tmp_path, source_virtual_networks=["vnet-app-gov"], resource_group=rg,
                          name_map={"vnet-app-gov": "vnet-app-eastus", "nsg-snet-app": "nsg-app-eastus"},
                          name_replace={"-gov": "-eus"},
                          test_network={"address_prefixes": ["10.40.0.0/16"], "attach_nsgs": False})
    names = {(r["kind"], r["name"]) for r in result["resources"]}
    assert names == {("network_security_group", "nsg-app-eastus"), ("route_table", "rt-snet-linux"),
                     ("virtual_network", "vnet-app-eastus"), ("virtual_network", "vnet-app-eastus-test"),
                     ("public_ip_address", "pip-app-win01"), ("load_balancer", "lbi-app-eus")}
    assert result["name_map"]["lbi-app-gov"] == "lbi-app-eus"
    net = network(simulator)
    subnet = net.subnets.get(rg, "vnet-app-eastus", "snet-app")
    assert subnet.network_security_group.id.endswith("/networkSecurityGroups/nsg-app-eastus")
    frontend = net.load_balancers.get(rg, "lbi-app-eus").frontend_ip_configurations[0]
    assert frontend.subnet.id.endswith("/virtualNetworks/vnet-app-eastus/subnets/snet-app")
    test = net.virtual_networks.get(rg, "vnet-app-eastus-test")
    assert test.address_space.address_prefixes == ["10.40.0.0/16"]
    assert {s.name: s.address_prefix for s in test.subnets} == {"snet-app": "10.40.1.0/24", "snet-linux": "10.40.2.0/24"}
    assert all(s.network_security_group is None for s in test.subnets)


def test_refusals_write_nothing(runner, admin, tmp_path):
    seed_group(admin, "rg-tn-refusals")
    seed_group(admin, "rg-tn-overlap", [{"name": "vnet-existing", "resource_group": "rg-tn-overlap", "location": "eastus",
                                         "address_space": "10.10.0.0/20",
                                         "subnets": [{"name": "default", "address_prefix": "10.10.0.0/24"}]}])
    since = last_id(admin)
    answers, _unused = run(runner, tmp_path, "target_network_refusals.yml", resource_group="rg-tn-refusals",
                           overlap_resource_group="rg-tn-overlap")
    assert writes(admin, since) == []
    assert all(a["failed"] for a in answers.values())
    assert "test network cannot be vnet-app-gov" in answers["test_is_production"]["msg"]
    assert "must be another region than the source" in answers["same_region"]["msg"]
    assert "vnet-app-gov (10.10.0.0/16) overlaps vnet-existing (10.10.0.0/20)" in answers["overlap"]["msg"]
    assert "allow_overlap" in answers["overlap"]["msg"]
    # Azure's own answer for a missing resource group, not taken for an absent network (issue 18).
    assert "ResourceGroupNotFound" in answers["no_group"]["msg"] and "rg-does-not-exist" in answers["no_group"]["msg"]


def test_an_azure_error_reaches_the_user_and_a_rerun_finishes_the_job(runner, admin, tmp_path):
    rg = "rg-tn-error"
    seed_group(admin, rg)
    admin.add_fault(cloud="public", method="PUT", path_regex="/publicIPAddresses/pip-app-win01$", kind="status",
                    status=400, code="PublicIPCountLimitReached", message="Cannot create more than 10 public IP "
                    "addresses for this subscription in this region.", count=1)
    failed, _unused = run(runner, tmp_path, source_vms=VMS, resource_group=rg, expect_failure=True)
    assert failed["failed"]
    assert "PublicIPCountLimitReached" in failed["msg"] and "Cannot create more than 10" in failed["msg"]
    assert failed["error"]["code"] == "PublicIPCountLimitReached" and failed["error"]["status"] == 400
    # what was done before the error is reported; the load balancer was not attempted
    assert [(r["name"], r["action"]) for r in failed["resources"]] == [
        ("nsg-snet-app", "created"), ("rt-snet-linux", "created"), ("vnet-app-gov", "created"),
        ("vnet-app-gov-test", "created"), ("pip-app-win01", "failed")]
    again, _unused = run(runner, tmp_path, source_vms=VMS, resource_group=rg)
    assert {r["name"]: r["action"] for r in again["resources"]} == {
        "nsg-snet-app": "unchanged", "rt-snet-linux": "unchanged", "vnet-app-gov": "unchanged",
        "vnet-app-gov-test": "unchanged", "pip-app-win01": "created", "lbi-app-gov": "created"}
