#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: source_decommission
short_description: Delete a moved machine's source VM and the NICs, disks, public IPs and NSGs it leaves
version_added: 0.1.0
description:
  - Deletes one source VM in the Government cloud, read through O(source_connection), once its move is done -
    and then its network interfaces, managed disks, public IP addresses and network security groups, as
    O(delete) says. Azure keeps a VM's NICs and disks when the VM is deleted unless their C(deleteOption) is
    C(Delete) (VMs created before 2021 have C(Detach)), so this module deletes them itself, in the order Azure
    needs - the VM, then its NICs, then disks, public IPs and NSGs.
  - Nothing is deleted without O(confirm=true); without it the task fails before sending any request.
  - "Guards, checked before any delete: the machine's move is committed - its replicated machine in the vault is
    committed, or it is gone (the migration is complete) and the vault's job history has a succeeded commit of
    its failover - and its target VM in the public cloud is running, read through the target connection
    (O(use_connection)). The task fails saying which guard failed, and deletes nothing."
  - "The target VM is O(target_vm_id); else the one the replicated machine names while it still replicates; else
    the VM named like the replicated machine in O(target_resource_group). Once the migration is complete the vault
    no longer knows the target VM, so give O(target_vm_id) or O(target_resource_group) then."
  - Never deletes what something else still uses; the result lists it under RV(kept) with the reason - a NIC
    attached to another VM, a disk attached to another VM, a public IP associated with a load balancer or
    another NIC, an NSG associated with a subnet or another VM's NIC. Classic (unmanaged) disks are VHD blobs in
    a storage account and are listed under RV(kept); delete them yourself.
  - "Safe to run again after an interruption: before the VM is deleted, every resource the task will delete gets
    the tag C(azmove-decommission) with the VM's id, so a later run finds and deletes what an interrupted run left
    behind although the VM is gone. A VM already gone with nothing left is no change."
  - "With O(leftovers=true) and no VM named, the task finishes every such interrupted run at once: it finds the
    resources tagged C(azmove-decommission) whose VM is gone, checks each machine's guards as above, and deletes
    them. This is what a playbook needs once the VMs it was deleting have left its inventory."
  - "With O(state_dir), the machine's comparison after failover (C(<machine>/comparison.json), written by
    M(azmove.site_recovery.moved_vm) in the cutover) is a guard too: a machine whose target VM differs from its plan,
    differences nobody accepted, is refused, the differences named, unless O(accept_differences=true). And whatever
    is accepted, a source NSG or public IP whose counterpart the comparison shows not attached to the moved VM's NIC
    is never deleted: it is listed under RV(kept), with why. A machine without a comparison is not held back."
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-recoveryservicessiterecovery >= 2.0
  - azure-mgmt-compute
  - azure-mgmt-network
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  name:
    description:
      - Name of the source VM in the Government cloud. With O(source_resource_group), or give O(vm_id), or set
        O(leftovers).
    type: str
  leftovers:
    description:
      - Instead of one VM, finish what interrupted runs left behind in the source subscription - the resources
        tagged C(azmove-decommission) whose VM is gone, each machine's guards checked first. Results are in
        RV(leftovers).
    type: bool
    default: false
  source_resource_group:
    description:
      - Resource group of the source VM. (O(resource_group) is the vault's, as in every Site Recovery module.)
    type: str
  vm_id:
    description: Resource id of the source VM, instead of O(name) and O(source_resource_group).
    type: str
  source_connection:
    description: Name of the entry of O(connections) that reaches the Government (source) cloud.
    type: str
    default: source
  replicated_machine:
    description: Friendly name of the replicated machine in the vault; default the source VM's name.
    type: str
  target_vm_id:
    description: Resource id of the machine's VM in the public cloud, checked to be running before anything is deleted.
    type: str
  target_resource_group:
    description:
      - Resource group of the target VM, named like the replicated machine; used when the vault no longer
        replicates the machine and O(target_vm_id) is not given.
    type: str
  confirm:
    description:
      - Must be V(true), or the task fails before sending any request. Check mode does not need it, as it deletes
        nothing.
    type: bool
    default: false
  delete:
    description:
      - What to delete besides the VM. Shared resources are never deleted (see RV(kept)).
    type: list
    elements: str
    choices: [nics, disks, public_ips, nsgs]
    default: [nics, disks, public_ips, nsgs]
  wait_timeout:
    description: Seconds to wait at most for each delete; the task fails naming the resource when they run out.
    type: int
    default: 1800
  state_dir:
    description:
      - The move's per-machine state directory (the playbooks' C(move_state_dir)), where the machine's
        C(mapping.json) and C(comparison.json) are (its directory is named like the replicated machine).
    type: path
  accept_differences:
    description:
      - Decommission a machine whose comparison after failover has differences nobody accepted. A source NSG or
        public IP the moved VM lacks is still kept.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Discard the Government VM of a committed move
  azmove.site_recovery.source_decommission:
    connections: "{{ azmove_connections }}"
    use_connection: target
    source_connection: source
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-win01
    source_resource_group: rg-app-gov
    target_resource_group: rg-landing-eastus
    confirm: true
  register: discarded

- name: Finish the decommissions an interruption left half done (the VMs are gone, their NICs and disks are not)
  azmove.site_recovery.source_decommission:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    leftovers: true
    target_resource_group: rg-landing-eastus
    confirm: true

- name: What would go (check mode, nothing deleted)
  azmove.site_recovery.source_decommission:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    vm_id: /subscriptions/0000/resourceGroups/rg-app-gov/providers/Microsoft.Compute/virtualMachines/vm-app-win01
    target_resource_group: rg-landing-eastus
    delete: [nics, disks]
  check_mode: true
"""

RETURN = r"""
leftovers:
  description:
    - With O(leftovers=true), one entry per source VM whose tagged leftovers were found - C(source_vm_id),
      C(deleted), C(kept) and C(machine), shaped as the top-level values of a single VM. The top-level
      RV(deleted) and RV(kept) then add up all of them.
  returned: when O(leftovers=true)
  type: list
  elements: dict
deleted:
  description: Resource ids deleted (in check mode, that would be deleted), by kind.
  returned: always
  type: dict
  contains:
    vm:
      description: The source VM, when it was deleted by this run.
      type: list
      elements: str
    nics:
      description: Network interfaces.
      type: list
      elements: str
    disks:
      description: Managed disks.
      type: list
      elements: str
    public_ips:
      description: Public IP addresses.
      type: list
      elements: str
    nsgs:
      description: Network security groups.
      type: list
      elements: str
kept:
  description: What was left, and why.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: C(nics), C(disks), C(public_ips), C(nsgs) or C(storage).
      type: str
    id:
      description: Resource id (for C(storage), the VHD's URI).
      type: str
    reason:
      description: Why it stays, for example C(associated with subnet vnet-app-gov/snet-app).
      type: str
machine:
  description: The guard facts - the move's phase and the target VM - or null when there was nothing to do.
  returned: always
  type: dict
  contains:
    name:
      description: The replicated machine's name.
      type: str
    phase:
      description: Its phase in the vault; C(migrated) when the vault no longer replicates it.
      type: str
    committed:
      description: Whether its move is committed.
      type: bool
    target_vm:
      description: Its target VM as the target cloud's compute API reports it (id, name, power_state, size, ...).
      type: dict
source_vm_id:
  description: Resource id of the source VM.
  returned: always
  type: str
connection:
  description: The target connection the task used (never its secrets).
  returned: always
  type: dict
  contains:
    name:
      description: The connection's name (of O(connections)), or C(default) when the task's own options were used.
      type: str
      sample: target
    cloud:
      description: The Azure cloud it reaches, C(AzureCloud) or C(AzureUSGovernment).
      type: str
      sample: AzureCloud
    resource_manager:
      description: That cloud's Azure Resource Manager endpoint.
      type: str
      sample: "https://management.azure.com/"
    subscription_id:
      description: The subscription it works in.
      type: str
      sample: "11111111-1111-1111-1111-111111111111"
    auth_source:
      description: How the token was obtained (one of O(auth_source)'s choices, as resolved by V(auto)).
      type: str
      sample: client_secret
source_connection:
  description: The source connection the task used (never its secrets).
  returned: always
  type: dict
  contains:
    name:
      description: The connection's name (of O(connections)), or C(default) when the task's own options were used.
      type: str
      sample: source
    cloud:
      description: The Azure cloud it reaches, C(AzureCloud) or C(AzureUSGovernment).
      type: str
      sample: AzureUSGovernment
    resource_manager:
      description: That cloud's Azure Resource Manager endpoint.
      type: str
      sample: "https://management.usgovcloudapi.net/"
    subscription_id:
      description: The subscription it works in.
      type: str
      sample: "00000000-0000-0000-0000-000000000000"
    auth_source:
      description: How the token was obtained (one of O(auth_source)'s choices, as resolved by V(auto)).
      type: str
      sample: client_secret
"""

from ansible_collections.azmove.site_recovery.plugins.module_utils import _decommission as dc
from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map as mm
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import SiteRecovery, plain, resource_id_problem, vault_spec
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none
from ansible_collections.azmove.site_recovery.plugins.module_utils._lifecycle import committed_earlier, find_item, vm_facts
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import item_summary

SEGMENTS = {"nics": "networkInterfaces", "public_ips": "publicIPAddresses", "nsgs": "networkSecurityGroups"}


def rg_name(arm_id):
    parts = arm_id.split("/")
    return parts[4], parts[-1]


class Decommission:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.src = self.p["source_connection"]
        self.compute = module.client("compute", self.src)
        self.network = module.client("network", self.src)
        self._listed = None

    def ops(self, kind):
        return {"nics": self.network.network_interfaces, "public_ips": self.network.public_ip_addresses,
                "nsgs": self.network.network_security_groups, "disks": self.compute.disks}[kind]

    def read(self, kind, arm_id):
        return plain(get_or_none(self.ops(kind).get, *rg_name(arm_id)))

    # -- what the VM has, and what an interrupted run left ---------------------------------------
    def listing(self):
        """Every NIC, public IP, NSG and managed disk of the source subscription (read once per task)."""
        if self._listed is None:
            self._listed = {kind: [plain(x) for x in lister()] for kind, lister in (
                ("nics", self.network.network_interfaces.list_all), ("public_ips", self.network.public_ip_addresses.list_all),
                ("nsgs", self.network.network_security_groups.list_all), ("disks", self.compute.disks.list))}
        return self._listed

    def orphaned_vm_ids(self):
        """The VMs named by azmove-decommission tags whose VM is gone: an interrupted run's leftovers."""
        tagged = sorted({dc.lower((doc.get("tags") or {}).get(dc.TAG)) for docs in self.listing().values() for doc in docs} - {""})
        # Only VMs of the source subscription: an id is never looked up by its resource group and name elsewhere.
        prefix = "/subscriptions/%s/" % self.module.connection(self.src).subscription_id.lower()
        tagged = [vm_id for vm_id in tagged if vm_id.startswith(prefix)]
        return [vm_id for vm_id in tagged if not get_or_none(self.compute.virtual_machines.get, *rg_name(vm_id))]

    def gather(self, vm_id):
        vm = plain(get_or_none(self.compute.virtual_machines.get, *rg_name(vm_id)))
        found = {"vm": vm}
        ids = {kind: [] for kind in dc.KINDS}
        if vm:
            ids["nics"] += dc.vm_nic_ids(vm)
            ids["disks"] += dc.vm_disk_ids(vm)
        for kind, docs in self.listing().items():
            ids[kind] += [doc["id"] for doc in docs if dc.tagged_for(doc, vm_id)]
        found["nics"] = self.read_all("nics", ids["nics"])
        subnet_nsgs = {}
        for nic in found["nics"]:
            ids["public_ips"] += dc.nic_public_ip_ids(nic)
            if dc.ref(dc.props(nic).get("networkSecurityGroup")):
                ids["nsgs"].append(dc.ref(dc.props(nic)["networkSecurityGroup"]))
            for subnet_id in dc.nic_subnet_ids(nic):
                nsg = self.subnet_nsg(subnet_id)
                if nsg:
                    ids["nsgs"].append(nsg)
                    subnet_nsgs.setdefault(nsg.lower(), []).append(subnet_id)
        for kind in ("disks", "public_ips", "nsgs"):
            found[kind] = self.read_all(kind, ids[kind])
        return found, subnet_nsgs

    def read_all(self, kind, arm_ids):
        out, seen = [], set()
        for arm_id in arm_ids:
            if arm_id.lower() in seen:
                continue
            seen.add(arm_id.lower())
            doc = self.read(kind, arm_id)
            if doc:  # a data disk or NIC already deleted is simply not there
                out.append(doc)
        return out

    def subnet_nsg(self, subnet_id):
        parts = subnet_id.split("/")
        subnet = plain(get_or_none(self.network.subnets.get, parts[4], parts[8], parts[10]))
        return dc.ref(dc.props(subnet).get("networkSecurityGroup"))

    # -- the deletes --------------------------------------------------------------------------------
    def wait(self, poller, what):
        poller.wait(timeout=self.p["wait_timeout"])
        if not poller.done():
            self.module.fail("Timed out after %s s waiting for the delete of %s (last status: %s); run the task again to finish."
                             % (self.p["wait_timeout"], what, poller.status()))
        poller.result()

    def tag(self, planned, found, vm_id):
        """Record what belongs to the VM on each resource that will go, before the VM goes."""
        docs = {d["id"].lower(): (kind, d) for kind in dc.KINDS for d in found[kind]}
        for kind in dc.KINDS:
            for arm_id in planned["delete"][kind]:
                doc = docs[arm_id.lower()][1]
                if dc.tagged_for(doc, vm_id):
                    continue
                tags = dict(doc.get("tags") or {}, **{dc.TAG: vm_id.lower()})
                if dc.host_name(found):
                    tags[dc.HOST_TAG] = dc.host_name(found)
                group, name = rg_name(arm_id)
                if kind == "disks":
                    self.wait(self.compute.disks.begin_update(group, name, {"tags": tags}), arm_id)
                else:
                    model = self.ops(kind).get(group, name)
                    model.tags = tags
                    self.wait(self.ops(kind).begin_create_or_update(group, name, model), arm_id)

    def delete(self, planned):
        if planned["delete"]["vm"]:
            group, name = rg_name(planned["delete"]["vm"])
            self.wait(self.compute.virtual_machines.begin_delete(group, name), planned["delete"]["vm"])
        for kind in ("nics", "disks", "public_ips", "nsgs"):  # NICs first: they hold the public IPs and NSGs
            pollers = [(arm_id, self.ops(kind).begin_delete(*rg_name(arm_id))) for arm_id in planned["delete"][kind]]
            for arm_id, poller in pollers:
                self.wait(poller, arm_id)


def target_vm_id(module, summary, machine):
    p = module.params
    if p["target_vm_id"]:
        return p["target_vm_id"]
    target = (summary or {}).get("target") or {}
    if target.get("vm_id"):
        return target["vm_id"]
    if target.get("resource_group_id") and target.get("vm_name"):
        return "%s/providers/Microsoft.Compute/virtualMachines/%s" % (target["resource_group_id"], target["vm_name"])
    if p["target_resource_group"]:
        sub = module.connection().subscription_id
        return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s" % (
            sub, p["target_resource_group"], machine)
    return None


def guards(module, machine, computer_name=None):
    """The guard facts; refuses (Refused) when the move is not committed or the target VM is not running.
    ``computer_name``: the source's guest host name, the name Site Recovery's jobs may know the machine by."""
    p = module.params
    sr = SiteRecovery(module, p["resource_group"], p["vault"])
    item = find_item(sr, machine)
    summary = item_summary(item) if item else None
    phase = summary["phase"] if summary else None
    history = committed_earlier(sr, machine, computer_name) if item is None else False
    facts = {"name": machine, "phase": phase or ("migrated" if history else None), "committed": False, "target_vm": None}
    dc.check_guards(machine, phase, history, {"power_state": "running"})  # the move first: no target read when not moved
    vm_id = target_vm_id(module, summary, machine)
    if not vm_id:
        raise dc.Refused("Refusing to decommission the source of %s: the vault no longer replicates it, so it cannot tell which VM "
                         "is its target: set target_vm_id or target_resource_group." % machine)
    facts["target_vm"] = vm_facts(module, vm_id)
    dc.check_guards(machine, phase, history, facts["target_vm"])
    facts["committed"] = True
    return facts


def move_state(module, machine):
    """(comparison, mapping) of the machine from state_dir; (None, None) without state_dir or files."""
    p = module.params
    if not p["state_dir"]:
        return None, None
    try:
        return (mm.read_state(p["state_dir"], machine, "comparison"), mm.read_state(p["state_dir"], machine, "mapping"))
    except mm.MappingError as exc:
        module.fail("Refusing to decommission the source of %s: %s Nothing was deleted." % (machine, exc))
    return None, None  # not reached


def main():
    module = AzureModule(
        vault_spec(
            name=dict(type="str"),
            leftovers=dict(type="bool", default=False),
            source_resource_group=dict(type="str"),
            vm_id=dict(type="str"),
            source_connection=dict(type="str", default="source"),
            replicated_machine=dict(type="str"),
            target_vm_id=dict(type="str"),
            target_resource_group=dict(type="str"),
            confirm=dict(type="bool", default=False),
            delete=dict(type="list", elements="str", choices=list(dc.KINDS), default=list(dc.KINDS)),
            wait_timeout=dict(type="int", default=1800),
            state_dir=dict(type="path"),
            accept_differences=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
        mutually_exclusive=[("name", "vm_id")],
        required_by={"name": "source_resource_group"},
    )
    p = module.params
    if p["leftovers"] == bool(p["name"] or p["vm_id"]):
        module.fail("Name the source VM (name with source_resource_group, or vm_id), or set leftovers to true - one of them.")
    problem = resource_id_problem("vm_id", p["vm_id"], "Microsoft.Compute/virtualMachines", name_allowed=False)
    if problem:
        module.fail(problem)
    if p["vm_id"]:
        # The id is used whole: a VM of another subscription (the target's, another cloud's) is refused, never looked
        # up by its resource group and name in the source subscription, where a VM of that name could be deleted.
        src = module.connection(p["source_connection"])
        wanted = [x for x in p["vm_id"].split("/") if x][1]
        if wanted.lower() != src.subscription_id.lower():
            cloud = src.settings.get("cloud") or "AzureCloud"
            module.fail("vm_id %s is in subscription %s, but the source connection %r is subscription %s (cloud %s): give "
                        "the id of the source VM in that subscription, or set source_connection to the connection of its "
                        "subscription. Nothing was read or deleted." % (p["vm_id"], wanted, src.name, src.subscription_id, cloud))
    vm_name = p["name"] or dc.name_of(p["vm_id"]) or "the leftovers of interrupted runs"
    if not p["confirm"] and not module.check_mode:
        module.fail("Refusing to decommission %s: deleting a source VM cannot be undone, so set confirm to true "
                    "(in the role, decommission_confirm: true). Nothing was read or deleted." % vm_name)

    def leftovers_body():
        work = Decommission(module)
        src = module.connection(p["source_connection"])
        result = dict(leftovers=[], connection=module.connection().describe(), source_connection=src.describe())
        todo = []
        for vm_id in work.orphaned_vm_ids():
            found, subnet_nsgs = work.gather(vm_id)
            planned = dc.plan(vm_id, found, p["delete"], subnet_nsgs)
            comparison, mapping = move_state(module, dc.name_of(vm_id))
            dc.keep_unattached(planned, comparison, mapping)
            if dc.nothing_to_do(planned):  # only kept resources carry the tag
                continue
            entry = dict(source_vm_id=vm_id, deleted=dict(planned["delete"], vm=[]), kept=planned["kept"], machine=None)
            try:
                entry["machine"] = guards(module, dc.name_of(vm_id), dc.host_name(found))
                dc.check_comparison(dc.name_of(vm_id), comparison, p["accept_differences"])
            except dc.Refused as exc:
                module.fail(str(exc), **dict(result, deleted={kind: [] for kind in ("vm",) + dc.KINDS}, kept=[]))
            result["leftovers"].append(entry)
            todo.append((planned, found, vm_id))
        result["deleted"] = {kind: [i for e in result["leftovers"] for i in e["deleted"][kind]] for kind in ("vm",) + dc.KINDS}
        result["kept"] = [k for e in result["leftovers"] for k in e["kept"]]
        result["machine"] = None
        if not module.check_mode:
            for planned, found, vm_id in todo:
                work.tag(planned, found, vm_id)
                work.delete(planned)
        module.exit(bool(todo), **result)

    def body():
        work = Decommission(module)
        src = module.connection(p["source_connection"])
        vm_id = p["vm_id"] or "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s" % (
            src.subscription_id, p["source_resource_group"], p["name"])
        machine = p["replicated_machine"] or vm_name
        result = dict(source_vm_id=vm_id, connection=module.connection().describe(), source_connection=src.describe())
        found, subnet_nsgs = work.gather(vm_id)
        planned = dc.plan(vm_id, found, p["delete"], subnet_nsgs)
        comparison, mapping = move_state(module, machine)
        dc.keep_unattached(planned, comparison, mapping)
        planned["kept"] += dc.unmanaged_disks(found["vm"])
        deleted = dict(planned["delete"], vm=[planned["delete"]["vm"]] if planned["delete"]["vm"] else [])
        result.update(deleted=deleted, kept=planned["kept"])
        before, after = dc.as_diff(planned)
        if dc.nothing_to_do(planned):  # gone already, with nothing left behind
            module.exit(False, machine=None, **result)
        try:
            result["machine"] = guards(module, machine, dc.host_name(found))
            dc.check_comparison(machine, comparison, p["accept_differences"])
        except dc.Refused as exc:
            module.fail(str(exc), **dict(result, deleted={kind: [] for kind in deleted}))
        if not module.check_mode:
            work.tag(planned, found, vm_id)
            work.delete(planned)
        module.exit(True, before=before, after=after, **result)

    run(module, leftovers_body if p["leftovers"] else body, "Decommission of the source VM %s" % vm_name
        if not p["leftovers"] else "Decommission of the leftovers of interrupted runs")


if __name__ == "__main__":
    main()
