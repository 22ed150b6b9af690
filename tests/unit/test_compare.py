"""The failed-over VM against its plan: which target NIC is which, what must still be attached, and every field's
status (same, explained with the plan's reason, or different)."""

import copy

from ansible_collections.azmove.site_recovery.plugins.module_utils import _compare as cmp
from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map as mm

from test_machine_map import SUB, context, source

TARGET_RG = "/subscriptions/1/resourceGroups/rg-landing"


def plan(src=None, ctx=None, overrides=None):
    doc, problems = mm.mapping("vm-web01", src or source(), ctx or context(), overrides)
    assert problems == []
    return doc


def failed_over(doc, nsgs=True, pips=True):
    """The target VM as a failover that honoured every Site Recovery input leaves it: NSGs and public IPs are not
    among those inputs, so they are attached only when asked."""
    tgt = doc["target"]
    nics = []
    # Site Recovery's NIC order and names are its own: the data NIC first, to show matching does not rely on order.
    for i, nic in reversed(list(enumerate(tgt["nics"]))):
        nics.append({"id": "%s/providers/Microsoft.Network/networkInterfaces/nic-asr-%d" % (TARGET_RG, i),
                     "name": "nic-asr-%d" % i, "primary": nic["primary"], "private_ip": nic["static_ip"] or "10.20.9.9",
                     "allocation": "Static" if nic["static_ip"] else "Dynamic", "subnet": nic["subnet"],
                     "network_security_group_id": nic["network_security_group_id"] if nsgs else None,
                     "public_ip_id": nic["public_ip_id"] if pips else None, "accelerated_networking": False})
    return {"id": TARGET_RG + "/providers/Microsoft.Compute/virtualMachines/vm-web01", "name": "vm-web01",
            "size": tgt["size"], "zone": tgt["zone"], "tags": dict(tgt["tags"], **{"azmove-moved-from": "x"}),
            "license_type": "Windows_Server" if tgt["license_type"] == "WindowsServer" else None,
            "os_disk": {"lun": None, "size_gb": tgt["disks"][0]["size_gb"], "sku": tgt["disks"][0]["type"]},
            "data_disks": [{"lun": d["lun"], "size_gb": d["size_gb"], "sku": d["type"]} for d in tgt["disks"][1:]],
            "nics": nics}


def by_field(fields):
    return {f["field"]: f for f in fields}


def test_two_nics_as_planned_are_paired_by_address_and_nothing_differs():
    doc = plan()
    fields = by_field(cmp.compare(doc, failed_over(doc)))
    assert cmp.differences(fields.values()) == []
    assert fields["nics.count"]["status"] == "same"
    assert fields["nics[0].subnet"]["target"] == "snet-web" and fields["nics[1].subnet"]["target"] == "snet-data"
    assert fields["nics[0].private_ip"]["status"] == "same"
    assert fields["nics[0].network_security_group"]["status"] == "same"
    assert fields["nics[0].public_ip"]["status"] == "same"
    assert fields["zone"]["status"] == "same" and fields["size"]["status"] == "same"
    assert fields["license_type"]["status"] == "same"
    assert fields["data_disks.count"]["status"] == "same" and fields["data_disks[lun=1]"]["status"] == "same"
    # Accelerated networking is not carried by Site Recovery: explained, with how to turn it on.
    accel = fields["nics[0].accelerated_networking"]
    assert accel["status"] == "explained" and "deallocated" in accel["why"]


def test_nics_pair_by_address_then_subnet_then_primary():
    planned = [{"static_ip": "10.0.1.4", "subnet": "a", "primary": True},
               {"static_ip": None, "subnet": "b", "primary": False},
               {"static_ip": None, "subnet": "c", "primary": False}]
    actual = [{"id": "n2", "private_ip": "10.0.2.7", "subnet": "b", "primary": False},
              {"id": "n3", "private_ip": "10.0.9.9", "subnet": "x", "primary": False},
              {"id": "n1", "private_ip": "10.0.1.4", "subnet": "a", "primary": True}]
    assert [(i, n and n["id"]) for i, n in cmp.match_nics(planned, actual)] == [(0, "n1"), (1, "n2"), (2, "n3")]
    # Nothing to pair with: the planned NIC is named as missing.
    assert cmp.match_nics(planned[:1], []) == [(0, None)]


def test_a_dynamic_source_address_kept_as_static_is_explained_and_a_dynamic_target_differs():
    doc = plan()
    fields = by_field(cmp.compare(doc, failed_over(doc)))
    ip = fields["nics[1].private_ip"]
    assert (ip["source"], ip["target"], ip["status"]) == ("10.20.2.10 (dynamic)", "10.20.2.10 (static)", "explained")
    assert "dynamic" in ip["why"]
    actual = failed_over(doc)
    data = next(n for n in actual["nics"] if n["subnet"] == "snet-data")
    data.update(private_ip="10.20.2.11", allocation="Dynamic")
    fields = by_field(cmp.compare(doc, actual))
    assert fields["nics[1].private_ip"]["status"] == "different"
    assert fields["nics[1].subnet"]["status"] == "same"  # paired by its subnet once the address is not there


def test_a_missing_nsg_is_aligned_and_until_then_differs():
    doc = plan()
    actual = failed_over(doc, nsgs=False, pips=False)
    todo = cmp.alignment(doc, actual)
    assert sorted((t["nic"], t["what"]) for t in todo) == [("nic-asr-0", "network_security_group"), ("nic-asr-0", "public_ip")]
    fields = by_field(cmp.compare(doc, actual))
    assert fields["nics[0].network_security_group"]["status"] == "different"
    assert fields["nics[0].public_ip"]["status"] == "different"
    # Check mode compares what it will be, and says so.
    pending = {"nics[0].network_security_group": "NSG nsg-web-nic attached to NIC nic-asr-0"}
    fields = by_field(cmp.compare(doc, cmp.aligned(actual, todo), pending))
    assert fields["nics[0].network_security_group"]["status"] == "same"
    assert fields["nics[0].network_security_group"]["why"].startswith("will be aligned")
    # Aligned: nothing more to do.
    assert cmp.alignment(doc, cmp.aligned(actual, todo)) == []


def test_an_nsg_someone_attached_is_never_replaced_but_differs():
    doc = plan()
    actual = failed_over(doc)
    web = next(n for n in actual["nics"] if n["primary"])
    web["network_security_group_id"] = SUB + "/networkSecurityGroups/nsg-someone-elses"
    assert cmp.alignment(doc, actual) == []
    field = by_field(cmp.compare(doc, actual))["nics[0].network_security_group"]
    assert field["status"] == "different" and "not replaced" in field["why"]


def test_a_lost_zone_differs_and_a_zone_the_region_lacks_is_explained():
    doc = plan()
    actual = failed_over(doc)
    actual["zone"] = None
    field = by_field(cmp.compare(doc, actual))["zone"]
    assert field["status"] == "different" and "not zonal" in field["why"]
    doc = plan(ctx=context(zones={"1"}))
    field = by_field(cmp.compare(doc, failed_over(doc)))["zone"]
    assert field["status"] == "explained" and "no availability zone 2" in field["why"]


def test_missing_tags_differ_and_extra_tags_are_fine():
    doc = plan(ctx=context(tags={"moved-from": "usgovvirginia"}))
    actual = failed_over(doc)
    fields = by_field(cmp.compare(doc, actual))
    assert fields["tags"]["status"] == "explained" and "moved-from" in fields["tags"]["why"]
    del actual["tags"]["app"]
    actual["tags"]["moved-from"] = "elsewhere"
    field = by_field(cmp.compare(doc, actual))["tags"]
    assert field["status"] == "different" and "missing app" in field["why"] and "moved-from" in field["why"]


def test_a_lost_data_disk_and_a_wrong_size_differ():
    doc = plan()
    actual = failed_over(doc)
    actual["data_disks"] = actual["data_disks"][:1]
    actual["data_disks"][0]["size_gb"] = 32
    fields = by_field(cmp.compare(doc, actual))
    assert fields["data_disks.count"]["status"] == "different"
    assert fields["data_disks[lun=0]"]["status"] == "different" and fields["data_disks[lun=1]"]["target"] is None
    assert {f["field"] for f in cmp.differences(fields.values())} == {"data_disks.count", "data_disks[lun=0]", "data_disks[lun=1]"}


def test_the_closest_size_is_explained_and_another_size_differs():
    doc = plan(src=source(size="Standard_E4s_v3", memory_gb=32.0))
    actual = failed_over(doc)
    field = by_field(cmp.compare(doc, actual))["size"]
    assert field["status"] == "explained" and "closest" in field["why"]
    actual["size"] = "Standard_E4s_v3"
    assert by_field(cmp.compare(doc, actual))["size"]["status"] == "different"


def test_your_overrides_are_explained():
    doc = plan(overrides={"size": "Standard_D4s_v5", "zone": "1",
                          "nics": [{"source_ip": "10.20.1.10", "static_ip": "10.20.1.50"}]})
    fields = by_field(cmp.compare(doc, failed_over(doc)))
    for name in ("size", "zone", "nics[0].private_ip"):
        assert (fields[name]["status"], fields[name]["why"]) == ("explained", "set by you"), fields[name]
    assert cmp.differences(fields.values()) == []


def test_a_planned_nic_the_target_lacks_differs_and_the_summary_names_it():
    doc = plan()
    actual = failed_over(doc)
    actual["nics"] = [n for n in actual["nics"] if n["primary"]]
    fields = cmp.compare(doc, actual)
    text = cmp.summary(fields)
    assert "nics.count" in text and "nics[1]: no NIC of the target VM" in text


def test_vm_facts_reads_the_rest_shapes():
    vm = {"id": TARGET_RG + "/providers/Microsoft.Compute/virtualMachines/vm-web01", "name": "vm-web01", "zones": ["2"],
          "tags": {"a": "b"}, "properties": {
              "hardwareProfile": {"vmSize": "Standard_D4s_v3"}, "licenseType": "Windows_Server",
              "storageProfile": {"osDisk": {"diskSizeGB": 127, "managedDisk": {"id": "d0", "storageAccountType": "Premium_LRS"}},
                                 "dataDisks": [{"lun": 1, "managedDisk": {"id": "D1"}}]},
              "networkProfile": {"networkInterfaces": [{"id": "N1", "properties": {"primary": True}}]}}}
    nic = {"id": "n1", "name": "nic1", "properties": {
        "networkSecurityGroup": {"id": SUB + "/networkSecurityGroups/nsg1"}, "enableAcceleratedNetworking": False,
        "ipConfigurations": [{"properties": {"primary": True, "privateIPAddress": "10.0.0.4",
                                             "privateIPAllocationMethod": "Static",
                                             "subnet": {"id": SUB + "/virtualNetworks/v/subnets/snet-a"}}}]}}
    disks = {"d1": {"sku": {"name": "Standard_LRS"}, "properties": {"diskSizeGB": 64}}}
    facts = cmp.vm_facts(vm, [nic], disks)
    assert facts["zone"] == "2" and facts["size"] == "Standard_D4s_v3" and facts["license_type"] == "Windows_Server"
    assert facts["data_disks"] == [{"lun": 1, "size_gb": 64, "sku": "Standard_LRS", "id": "D1"}]
    assert facts["nics"][0]["subnet"] == "snet-a" and facts["nics"][0]["allocation"] == "Static"
    assert facts["nics"][0]["network_security_group_id"].endswith("/nsg1") and facts["nics"][0]["public_ip_id"] is None


def test_a_rerun_with_the_same_result_rewrites_nothing():
    doc = plan()
    fields = cmp.compare(doc, failed_over(doc))
    first = {"schema": 1, "machine": "vm-web01", "compared_at": "2026-01-01T00:00:00Z", "fields": fields, "differences": 0}
    again = dict(copy.deepcopy(first), compared_at="2026-01-02T00:00:00Z")
    assert cmp.same_comparison(first, again)
    assert not cmp.same_comparison(first, dict(again, accepted=True))


# -- decommission reads the comparison ---------------------------------------------------------------------------------
def test_decommission_refuses_unaccepted_differences_and_keeps_what_the_target_lacks():
    import pytest  # pylint: disable=import-outside-toplevel
    from ansible_collections.azmove.site_recovery.plugins.module_utils import _decommission as dc  # pylint: disable=import-outside-toplevel

    doc = plan()
    actual = failed_over(doc, nsgs=False)
    fields = cmp.compare(doc, actual)
    comparison = {"schema": 1, "machine": "vm-web01", "fields": fields, "differences": len(cmp.differences(fields)),
                  "accepted": False}
    with pytest.raises(dc.Refused, match="nics\\[0\\].network_security_group"):
        dc.check_comparison("vm-web01", comparison)
    dc.check_comparison("vm-web01", comparison, accept=True)
    dc.check_comparison("vm-web01", dict(comparison, accepted=True))
    dc.check_comparison("vm-web01", None)  # moved before comparisons existed: not held back

    nsg, pip = doc["source"]["nics"][0]["network_security_group_id"], doc["source"]["nics"][0]["public_ip_id"]
    planned = {"delete": {"vm": "vm", "nics": ["nic0"], "disks": [], "public_ips": [pip], "nsgs": [nsg]}, "kept": []}
    dc.keep_unattached(planned, comparison, doc)
    assert planned["delete"]["nsgs"] == [] and planned["delete"]["public_ips"] == [pip]  # the public IP is attached
    assert planned["kept"][0]["id"] == nsg and "has no network security group nsg-web-nic attached" in planned["kept"][0]["reason"]
