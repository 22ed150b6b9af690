"""Decommission planning: what goes and what stays (and why), the guards, the interrupted-run tags."""

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _decommission as dc

SUB = "/subscriptions/0000/resourceGroups/rg-app-gov/providers/"
VM = SUB + "Microsoft.Compute/virtualMachines/vm1"
OTHER_VM = SUB + "Microsoft.Compute/virtualMachines/vm2"
NIC = SUB + "Microsoft.Network/networkInterfaces/vm1-nic"
OTHER_NIC = SUB + "Microsoft.Network/networkInterfaces/vm2-nic"
PIP = SUB + "Microsoft.Network/publicIPAddresses/pip-vm1"
NSG = SUB + "Microsoft.Network/networkSecurityGroups/nsg-vm1"
SUBNET = SUB + "Microsoft.Network/virtualNetworks/vnet-app/subnets/snet-app"
OS_DISK = SUB + "Microsoft.Compute/disks/vm1_OsDisk_1"
DATA_DISK = SUB + "Microsoft.Compute/disks/vm1_DataDisk_0"
LB_FRONTEND = SUB + "Microsoft.Network/loadBalancers/lb1/frontendIPConfigurations/fe1"


def vm():
    return {"id": VM, "properties": {
        "storageProfile": {"osDisk": {"managedDisk": {"id": OS_DISK}}, "dataDisks": [{"managedDisk": {"id": DATA_DISK}}]},
        "networkProfile": {"networkInterfaces": [{"id": NIC}]}}}


def nic(nic_id=NIC, vm_id=VM, pip=PIP, nsg=NSG):
    ipc = {"id": nic_id + "/ipConfigurations/ipconfig1", "properties": {"subnet": {"id": SUBNET}}}
    if pip:
        ipc["properties"]["publicIPAddress"] = {"id": pip}
    body = {"id": nic_id, "properties": {"ipConfigurations": [ipc]}}
    if vm_id:
        body["properties"]["virtualMachine"] = {"id": vm_id}
    if nsg:
        body["properties"]["networkSecurityGroup"] = {"id": nsg}
    return body


def found(**over):
    data = {"vm": vm(), "nics": [nic()], "disks": [{"id": OS_DISK, "managedBy": VM}, {"id": DATA_DISK, "managedBy": VM}],
            "public_ips": [{"id": PIP, "properties": {"ipConfiguration": {"id": NIC + "/ipConfigurations/ipconfig1"}}}],
            "nsgs": [{"id": NSG, "properties": {"networkInterfaces": [{"id": NIC}]}}]}
    data.update(over)
    return data


def test_the_vm_and_everything_only_it_uses_goes():
    planned = dc.plan(VM, found(), dc.KINDS)
    assert planned["delete"] == {"vm": VM, "nics": [NIC], "disks": [OS_DISK, DATA_DISK], "public_ips": [PIP], "nsgs": [NSG]}
    assert planned["kept"] == []
    assert not dc.nothing_to_do(planned)


def test_what_is_shared_is_kept_with_the_reason():
    shared = found(
        disks=[{"id": OS_DISK, "managedBy": VM}, {"id": DATA_DISK, "managedBy": VM, "managedByExtended": [OTHER_VM]}],
        public_ips=[{"id": PIP, "properties": {"ipConfiguration": {"id": LB_FRONTEND}}}],
        nsgs=[{"id": NSG, "properties": {"networkInterfaces": [{"id": NIC}, {"id": OTHER_NIC}]}}],
    )
    planned = dc.plan(VM, shared, dc.KINDS)
    assert planned["delete"]["disks"] == [OS_DISK] and planned["delete"]["public_ips"] == [] and planned["delete"]["nsgs"] == []
    reasons = {k["id"]: k["reason"] for k in planned["kept"]}
    assert reasons == {DATA_DISK: "attached to another VM, vm2", PIP: "associated with lb1, which is not this VM's",
                       NSG: "used by network interface vm2-nic"}


def test_a_subnet_nsg_stays():
    planned = dc.plan(VM, found(nsgs=[{"id": NSG, "properties": {}}]), dc.KINDS, {NSG.lower(): [SUBNET]})
    assert planned["delete"]["nsgs"] == []
    assert planned["kept"] == [{"kind": "nsgs", "id": NSG, "reason": "associated with subnet vnet-app/snet-app"}]


def test_kinds_left_out_of_delete_are_kept_and_what_they_hold_too():
    planned = dc.plan(VM, found(), ["disks"])
    assert planned["delete"]["nics"] == [] and planned["delete"]["disks"] == [OS_DISK, DATA_DISK]
    reasons = {k["id"]: k["reason"] for k in planned["kept"]}
    assert reasons[NIC] == "nics is not in delete"
    assert reasons[PIP] == "still associated with network interface vm1-nic, which is kept"
    assert reasons[NSG] == "used by network interface vm1-nic, which is kept"


def test_a_nic_of_another_vm_is_never_deleted():
    planned = dc.plan(VM, found(vm=None, nics=[nic(OTHER_NIC, OTHER_VM, pip=None, nsg=None)], disks=[], public_ips=[], nsgs=[]), dc.KINDS)
    assert planned["delete"]["nics"] == [] and planned["kept"][0]["reason"] == "attached to another VM, vm2"


def test_leftovers_of_an_interrupted_run_go_without_the_vm():
    # The VM is gone: the NIC and disks are detached (no virtualMachine, no managedBy); the public IP still on the NIC.
    left = found(vm=None, nics=[nic(vm_id=None)], disks=[{"id": OS_DISK}], nsgs=[])
    planned = dc.plan(VM, left, dc.KINDS)
    assert planned["delete"] == {"vm": None, "nics": [NIC], "disks": [OS_DISK], "public_ips": [PIP], "nsgs": []}
    assert dc.nothing_to_do(dc.plan(VM, {"vm": None}, dc.KINDS))


def test_tags_and_what_a_vm_has():
    assert dc.tagged_for({"tags": {dc.TAG: VM.lower()}}, VM) and not dc.tagged_for({"tags": {}}, VM)
    assert dc.vm_nic_ids(vm()) == [NIC] and dc.vm_disk_ids(vm()) == [OS_DISK, DATA_DISK]
    assert dc.nic_public_ip_ids(nic()) == [PIP] and dc.nic_subnet_ids(nic()) == [SUBNET]
    classic = {"properties": {"storageProfile": {"osDisk": {"vhd": {"uri": "https://sa.blob.core.usgovcloudapi.net/vhds/vm1.vhd"}}}}}
    assert dc.unmanaged_disks(classic)[0]["kind"] == "storage" and dc.vm_disk_ids(classic) == []


def test_diff_lists_before_and_after():
    before, after = dc.as_diff(dc.plan(VM, found(nsgs=[{"id": NSG, "properties": {}}]), dc.KINDS, {NSG.lower(): [SUBNET]}))
    assert before["vm"] == [VM] and before["nsgs"] == [NSG] and after == {"vm": [], "nics": [], "disks": [], "public_ips": [], "nsgs": [NSG]}


RUNNING = {"name": "vm1", "power_state": "running"}


@pytest.mark.parametrize("phase,history,target,message", [
    ("protected", False, RUNNING, "its move is not committed (the replicated machine is protected)"),
    ("failed_over", False, RUNNING, "its move is not committed (the replicated machine is failed over)"),
    (None, False, RUNNING, "nothing shows that it moved"),
    ("committed", False, None, "its target VM was not found"),
    ("committed", False, {"name": "vm1", "power_state": "deallocated"}, "its target VM vm1 is deallocated, not running"),
    (None, True, {"name": "vm1", "power_state": None}, "in an unknown power state"),
])
def test_guards_refuse_in_plain_words(phase, history, target, message):
    with pytest.raises(dc.Refused) as err:
        dc.check_guards("vm1", phase, history, target)
    assert message in str(err.value) and str(err.value).startswith("Refusing to decommission the source of vm1")


@pytest.mark.parametrize("phase,history", [("committed", False), ("migrated", False), (None, True)])
def test_guards_pass_once_committed_and_running(phase, history):
    dc.check_guards("vm1", phase, history, RUNNING)


def test_committed_history_is_read_once_per_batch_with_a_time_filter():
    """A batch's machines share one read of the vault's job history, of one time window (a $filter), not the whole."""
    import datetime
    import threading
    from types import SimpleNamespace

    from ansible_collections.azmove.site_recovery.plugins.module_utils import _lifecycle as lc

    calls = []

    class Vault:
        resource_group, vault = "rg-move", "rsv-move"
        azmod = SimpleNamespace(shared={"lock": threading.RLock()})

        def list(self, group, **kwargs):
            calls.append((group, kwargs))
            return [{"name": "j1", "properties": {"targetObjectName": "vm1", "scenarioName": "CommitFailover",
                                                  "state": "Succeeded", "endTime": "2026-12-01T10:00:00Z"}}]

    since = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
    until = datetime.datetime(2026, 12, 4, 12, 30, tzinfo=datetime.timezone.utc)
    sr = Vault()
    assert lc.committed_earlier(sr, "vm1", window=(since, until))
    assert not lc.committed_earlier(sr, "vm2", "host2", window=(since, until))
    assert calls == [("replication_jobs", {"filter": "StartTime eq '2026-11-01T00:00:00Z' and EndTime eq '2026-12-04T12:30:00Z'"})]
