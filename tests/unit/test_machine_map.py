"""The per-machine plan: the defaults keep the machine as it was; every difference has its reason; bad input is named."""

import json
import os

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map as mm
from ansible_collections.azmove.site_recovery.plugins.module_utils._prerequisites import closest_size

SUB = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-net/providers/Microsoft.Network"


def vnet(name, *subnets):
    return {"name": name, "properties": {"subnets": [
        {"name": s, "properties": {"addressPrefix": prefix}} for s, prefix in subnets]}}


def source(**more):
    base = {
        "name": "vm-web01", "os_type": "Windows", "size": "Standard_D4s_v3", "vcpus": 4, "memory_gb": 16.0,
        "zone": "2", "tags": {"app": "billing", "azmove-moved-to": "x"}, "license_type": "Windows_Server",
        "sql_license_type": "AHUB", "boot_diagnostics": True,
        "os_disk": {"size_gb": 127, "sku": "Premium_LRS"},
        "data_disks": [{"lun": 0, "size_gb": 64, "sku": "Premium_LRS"}, {"lun": 1, "size_gb": 128, "sku": "Standard_LRS"}],
        "nics": [
            {"name": "nic0", "primary": True, "private_ip": "10.20.1.10", "allocation": "Static", "subnet": "snet-web",
             "network_security_group_id": SUB.replace("rg-net", "rg-gov") + "/networkSecurityGroups/nsg-web-nic",
             "public_ip_id": SUB.replace("rg-net", "rg-gov") + "/publicIPAddresses/pip-web01",
             "accelerated_networking": True},
            {"name": "nic1", "primary": False, "private_ip": "10.20.2.10", "allocation": "Dynamic", "subnet": "snet-data",
             "network_security_group_id": None, "public_ip_id": None, "accelerated_networking": False},
        ],
    }
    base.update(more)
    return base


def context(**more):
    catalog = {"standard_d4s_v3": {"name": "Standard_D4s_v3", "vcpus": 4, "memory_gb": 16.0, "family": "DSv3"},
               "standard_d4s_v5": {"name": "Standard_D4s_v5", "vcpus": 4, "memory_gb": 16.0, "family": "DSv5"},
               "standard_d8s_v5": {"name": "Standard_D8s_v5", "vcpus": 8, "memory_gb": 32.0, "family": "DSv5"}}
    ctx = {"target_vm_name": "vm-web01", "resource_group_id": "/subscriptions/1/resourceGroups/rg-landing",
           "location": "eastus", "catalog": catalog, "zones": {"1", "2", "3"}, "tags": {},
           "network": vnet("vnet-fleet", ("snet-web", "10.20.1.0/24"), ("snet-data", "10.20.2.0/24")),
           "test_network": vnet("vnet-fleet-test", ("snet-web", "10.20.1.0/24"), ("snet-data", "172.16.2.0/24")),
           "nsg_id": lambda sid: SUB + "/networkSecurityGroups/" + sid.rsplit("/", 1)[-1],
           "public_ip_id": lambda sid: SUB + "/publicIPAddresses/" + sid.rsplit("/", 1)[-1],
           "closest_size": closest_size}
    ctx.update(more)
    return ctx


def test_the_defaults_keep_the_machine_as_it_was():
    target, overridden, explained, problems = mm.plan(source(), context())
    assert problems == [] and overridden == []
    assert target["size"] == "Standard_D4s_v3" and target["size_source"] == "source"
    assert target["zone"] == "2"
    assert target["tags"] == {"app": "billing"}  # the move's bookkeeping tag is not the machine's
    assert target["license_type"] == "WindowsServer" and target["sql_license_type"] == "AHUB"
    assert [(d["lun"], d["size_gb"], d["type"]) for d in target["disks"]] == [
        (None, 127, "Premium_LRS"), (0, 64, "Premium_LRS"), (1, 128, "Standard_LRS")]
    web, data = target["nics"]
    assert (web["subnet"], web["static_ip"], web["primary"]) == ("snet-web", "10.20.1.10", True)
    assert web["network_security_group_id"].endswith("/nsg-web-nic") and web["public_ip_id"].endswith("/pip-web01")
    # The dynamic address is kept too, as a static one, and that is said.
    assert (data["subnet"], data["static_ip"]) == ("snet-data", "10.20.2.10")
    assert "dynamic" in explained["nics[1].allocation"]
    # The drill: the same address where the test subnet mirrors the prefix, none where it does not.
    assert (web["test_subnet"], web["test_static_ip"]) == ("snet-web", "10.20.1.10")
    assert (data["test_subnet"], data["test_static_ip"]) == ("snet-data", None)
    assert "accelerated networking" in explained["nics[0].accelerated_networking"]


def test_a_size_the_region_does_not_offer_gets_the_closest_and_says_so():
    target, _o, explained, problems = mm.plan(source(size="Standard_E4s_v3", memory_gb=32.0), context())
    assert problems == []
    assert (target["size"], target["size_source"]) == ("Standard_D8s_v5", "closest")
    assert "Standard_E4s_v3 is not offered in eastus" in explained["size"]


def test_overrides_win_and_are_named():
    over = {"size": "Standard_D8s_v5", "zone": "1", "tags": {"owner": "team-a"},
            "nics": [{"source_ip": "10.20.2.10", "static_ip": "10.20.2.50"}]}
    target, overridden, explained, problems = mm.plan(source(), context(), over)
    assert problems == []
    assert overridden == ["nics", "size", "tags", "zone"]
    assert (target["size"], target["size_source"], target["zone"]) == ("Standard_D8s_v5", "override", "1")
    assert target["tags"] == {"app": "billing", "owner": "team-a"}
    assert target["nics"][1]["static_ip"] == "10.20.2.50" and explained["nics[1].private_ip"] == "set by you"


def test_every_problem_is_reported_at_once():
    ctx = context(network=vnet("vnet-fleet", ("snet-web", "192.168.0.0/24")), nsg_id=lambda sid: None, zones=set())
    over = {"size": "Standard_Nope", "nics": [{"source_ip": "10.9.9.9"}], "zone": "3"}
    _t, _o, _e, problems = mm.plan(source(), ctx, over)
    text = "\n".join(problems)
    assert "Standard_Nope is not offered" in text
    assert "no NIC with that address" in text
    assert "10.20.1.10 is not an address of the target subnet snet-web" in text
    assert "subnet snet-data is not in the target network" in text
    assert "nsg-web-nic has no copy in the target" in text
    assert "zone 3 is not a zone of eastus" in text
    with pytest.raises(mm.MappingError, match="Unknown mapping override"):
        mm.plan(source(), context(), {"colour": "blue"})


def test_a_zone_the_region_lacks_is_dropped_with_its_reason():
    target, _o, explained, problems = mm.plan(source(), context(zones=set()))
    assert problems == [] and target["zone"] is None
    assert "no availability zone 2" in explained["zone"]


def test_what_does_not_move_is_said():
    src = source(identity="SystemAssigned", key_vault_ids=["/x/vaults/kv-gov"],
                 extensions=[{"name": "MicrosoftMonitoringAgent", "type": "MicrosoftMonitoringAgent"}],
                 private_endpoints=["/x/privateEndpoints/pe-sql"])
    src["nics"][0]["load_balancer_backend_pools"] = [
        "/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb-web/backendAddressPools/pool1"]
    kinds = [n["kind"] for n in mm.not_carried(src)]
    assert kinds == ["managed_identity", "key_vault_secret", "extension", "private_endpoint", "load_balancer"]
    assert all(n["action"] for n in mm.not_carried(src))


class FakeModule:
    check_mode = False

    def atomic_move(self, src, dest):
        os.replace(src, dest)


def test_state_files_are_written_atomically_and_read_back(tmp_path):
    doc, problems = mm.mapping("vm-web01", source(), context())
    assert problems == []
    path = mm.write_state(FakeModule(), str(tmp_path), "vm-web01", "mapping", doc)
    assert json.loads(open(path).read())["target"]["nics"][0]["static_ip"] == "10.20.1.10"
    assert mm.same_plan(mm.read_state(str(tmp_path), "vm-web01", "mapping"), mm.mapping("vm-web01", source(), context())[0])
    assert os.listdir(tmp_path / "vm-web01") == ["mapping.json"]  # no temp file left
    check = FakeModule()
    check.check_mode = True
    mm.write_state(check, str(tmp_path), "vm-other", "mapping", doc)
    assert not (tmp_path / "vm-other").exists()
    (tmp_path / "vm-web01" / "comparison.json").write_text("not json")
    with pytest.raises(mm.MappingError, match="Cannot read"):
        mm.read_state(str(tmp_path), "vm-web01", "comparison")
    with pytest.raises(mm.MappingError):
        mm.state_path(str(tmp_path), "../etc", "mapping")


# -- the plan, sent: InMageRcm's per-NIC inputs ----------------------------------------------------------------------
def rcm_item(*nics):
    return {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm", "vmNics": list(nics)}}}


def rcm_nic(nic_id, source_ip, primary, subnet="snet-web", ip="", kind="Dynamic"):
    return {"nicId": nic_id, "sourceIPAddress": source_ip, "isPrimaryNic": "true" if primary else "false",
            "isSelectedForFailover": "true", "targetSubnetName": subnet, "targetIPAddress": ip, "targetIPAddressType": kind,
            "testSubnetName": subnet, "testIPAddress": None, "testIPAddressType": "Dynamic"}


def test_planned_nics_are_sent_with_their_addresses_and_only_when_they_differ():
    from ansible_collections.azmove.site_recovery.plugins.module_utils._providers import InputError, provider

    rcm = provider("modernized")
    item = rcm_item(rcm_nic("aa", "10.20.1.10", True), rcm_nic("bb", "10.20.2.10", False))
    planned = [{"source_ip": "10.20.1.10", "primary": True, "subnet": "snet-web", "static_ip": "10.20.1.10",
                "test_subnet": "snet-web", "test_static_ip": "10.20.1.10"},
               {"source_ip": "10.20.2.10", "primary": False, "subnet": "snet-data", "static_ip": "10.20.2.10",
                "test_subnet": None, "test_static_ip": None}]
    changes = rcm.nic_changes(item, planned)
    assert {(c["source_ip"], c["field"]) for c in changes} == {
        ("10.20.1.10", "static_ip"), ("10.20.1.10", "test_static_ip"), ("10.20.2.10", "subnet"), ("10.20.2.10", "static_ip")}
    spec = {"target_vm_name": "vm-web01", "target_network_id": "/n", "target_vm_size": None, "license_type": None,
            "availability_set_id": None, "availability_zone": "2", "sql_license_type": "AHUB", "tags": {"app": "x"},
            "nics": planned}
    details = rcm.update_input(spec, item, "snet-web")["properties"]["providerSpecificDetails"]
    assert details["targetAvailabilityZone"] == "2" and details["sqlServerLicenseType"] == "AHUB"
    assert details["targetVmTags"] == [{"tagName": "app", "tagValue": "x"}]
    sent = {n["nicId"]: n for n in details["vmNics"]}
    assert sent["aa"] == {"nicId": "aa", "isPrimaryNic": "true", "isSelectedForFailover": "true", "targetSubnetName": "snet-web",
                          "testSubnetName": "snet-web", "targetStaticIPAddress": "10.20.1.10", "testStaticIPAddress": "10.20.1.10"}
    assert sent["bb"]["targetSubnetName"] == "snet-data" and sent["bb"]["targetStaticIPAddress"] == "10.20.2.10"
    assert "testStaticIPAddress" not in sent["bb"]  # dynamic now, dynamic planned: nothing to say
    # Once applied, nothing differs.
    done = rcm_item(dict(rcm_nic("aa", "10.20.1.10", True, ip="10.20.1.10", kind="Static"), testIPAddress="10.20.1.10",
                         testIPAddressType="Static"),
                    rcm_nic("bb", "10.20.2.10", False, subnet="snet-data", ip="10.20.2.10", kind="Static"))
    assert rcm.nic_changes(done, planned) == []
    with pytest.raises(InputError, match="no NIC with source address 10.9.9.9"):
        rcm.nic_changes(item, [{"source_ip": "10.9.9.9", "primary": True}])
