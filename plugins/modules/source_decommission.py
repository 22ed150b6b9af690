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
  - "With O(machines), a whole wave in one task - one module process; each machine goes through exactly the guards
    and steps above, and what every machine reads the same way is read once for the wave: the vault's replicated
    items, its job history (only the jobs of the last O(history_days) days, with a time C($filter)), each subnet,
    and the lists of NICs, public IPs, NSGs and disks of each resource group the machines' resources are in (where
    an interrupted run's tagged leftovers are looked for). Leftovers in other resource groups are finished by
    O(leftovers=true), which lists the whole source subscription once."
seealso:
  - module: azmove.site_recovery.replicated_machine
    description: Enable replication of a machine - the move's first step.
  - module: azmove.site_recovery.replication_wait
    description: Wait for a wave's initial replication, showing progress.
  - module: azmove.site_recovery.test_failover
    description: Drill the move into an isolated network, then clean it up.
  - module: azmove.site_recovery.failover
    description: Fail the machine over to the target cloud, commit, and complete the migration.
  - module: azmove.site_recovery.moved_vm
    description: After failover, compare the moved VM with its plan and attach what was not carried.
  - module: azmove.site_recovery.move_rollback
    description: Undo a failover that is not committed.
  - module: azmove.site_recovery.backup_relocation
    description: Protect the moved VM with Azure Backup in its new region.
  - module: azmove.site_recovery.move_cleanup
    description: Delete what the move created once nothing uses it.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
  - azure-mgmt-compute
  - azure-mgmt-network
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.site_recovery.BATCH
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  name:
    description:
      - Name of the source VM in the Government cloud. With O(source_resource_group), or give O(vm_id), or set
        O(leftovers), or give O(machines).
    type: str
  machines:
    description:
      - Decommission a whole batch of machines in one task, instead of O(name). Each entry is one machine; what an
        entry leaves out comes from the task's options. Results are in RV(machines).
    type: list
    elements: dict
    suboptions:
      name:
        description: The source VM's name (see O(name)).
        type: str
        required: true
      source_resource_group:
        description: Its resource group (default O(source_resource_group)).
        type: str
      replicated_machine:
        description: Its replicated machine's name in the vault (default the entry's O(machines[].name)).
        type: str
      target_vm_id:
        description: Its target VM's resource id (see O(target_vm_id)).
        type: str
      target_resource_group:
        description: Its target VM's resource group (default O(target_resource_group)).
        type: str
  history_days:
    description:
      - How far back the vault's job history is read (a time C($filter) on its jobs) for the succeeded commit of a
        machine the vault no longer replicates. A machine whose migration completed longer ago is refused, saying
        so; raise the number then.
    type: int
    default: 90
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

- name: A whole wave in one task; each machine's result is in machines
  azmove.site_recovery.source_decommission:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    target_resource_group: rg-landing-eastus
    machines:
      - name: vm-app-win01
        source_resource_group: rg-app-gov
      - name: vm-app-lnx01
        source_resource_group: rg-linux-gov
    confirm: true
    fail_on_error: false
  register: discarded
"""

RETURN = r"""
machines:
  description:
    - With O(machines), each machine's result by name - what the task returns for one machine (the keys below), plus
      C(changed), C(failed), and for a failed machine C(msg).
  returned: with O(machines)
  type: dict
  sample:
    vm-app-win01: {changed: true, failed: false, source_vm_id: "/subscriptions/.../virtualMachines/vm-app-win01",
                   deleted: {vm: ["/subscriptions/.../virtualMachines/vm-app-win01"], nics: [], disks: [],
                             public_ips: [], nsgs: []}, kept: []}
failed_machines:
  description: With O(machines), the names of the machines that failed.
  returned: with O(machines)
  type: list
  elements: str
leftovers:
  description:
    - With O(leftovers=true), one entry per source VM whose tagged leftovers were found - C(source_vm_id),
      C(deleted), C(kept) and C(machine), shaped as the top-level values of a single VM. The top-level
      RV(deleted) and RV(kept) then add up all of them.
  returned: when O(leftovers=true)
  type: list
  elements: dict
  sample: [{source_vm_id: /subscriptions/.../virtualMachines/vm-app-win01, deleted: {vm: [],
      nics: [/subscriptions/.../networkInterfaces/vm-app-win01-nic0], disks: [], public_ips: [], nsgs: []}, kept: [], machine: null}]
deleted:
  description: Resource ids deleted (in check mode, that would be deleted), by kind.
  returned: without O(machines)
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
  returned: without O(machines)
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
  returned: without O(machines)
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
      sample: {id: /subscriptions/.../virtualMachines/vm-app-win01, name: vm-app-win01, power_state: running, size: Standard_D4s_v5}
source_vm_id:
  description: Resource id of the source VM.
  returned: without O(machines) and O(leftovers)
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
  returned: without O(machines)
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

import datetime
import threading

from ansible_collections.azmove.site_recovery.plugins.module_utils import _decommission as dc
from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map as mm
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import (
    SiteRecovery, group_and_name, parse_arm_id, plain, resource_id, resource_id_problem, vault_spec)
from ansible_collections.azmove.site_recovery.plugins.module_utils._batch import BATCH_OPTIONS, run_batch, shared
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none
from ansible_collections.azmove.site_recovery.plugins.module_utils._lifecycle import committed_earlier, find_item, vm_facts
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import item_summary

SEGMENTS = {"nics": "networkInterfaces", "public_ips": "publicIPAddresses", "nsgs": "networkSecurityGroups"}

PER_MACHINE = dict(
    name=dict(type="str", required=True),
    source_resource_group=dict(type="str"),
    replicated_machine=dict(type="str"),
    target_vm_id=dict(type="str"),
    target_resource_group=dict(type="str"),
)


def rg_name(arm_id):
    return group_and_name(arm_id)


def list_or_empty(lister, group):
    """One resource group's list, as dicts; [] when the group does not exist (any more)."""
    return [plain(x) for x in get_or_none(lambda: list(lister(group))) or []]


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

    def group_listing(self, groups):
        """In a batch: the NICs, public IPs, NSGs and disks of these resource groups, each group listed once for the
        whole batch (a wave's machines share a few groups), instead of the whole subscription per machine."""
        listers = (("nics", self.network.network_interfaces.list), ("public_ips", self.network.public_ip_addresses.list),
                   ("nsgs", self.network.network_security_groups.list), ("disks", self.compute.disks.list_by_resource_group))
        out = {kind: [] for kind, unused in listers}
        for group in sorted({g.lower() for g in groups if g}):
            for kind, lister in listers:
                out[kind] += shared(self.module, ("decommission-list", self.src, kind, group),
                                    lambda lister=lister, group=group: list_or_empty(lister, group))
        return out

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
        if getattr(self.module, "shared", None) is not None and not self.p["leftovers"]:
            # A batch: the tagged leftovers are looked for where this VM and its NICs and disks are.
            listed = self.group_listing([rg_name(vm_id)[0]] + [rg_name(i)[0] for kind in ("nics", "disks") for i in ids[kind]])
        else:
            listed = self.listing()
        for kind, docs in listed.items():
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
        """The NSG of a subnet; in a batch each subnet is read once (the wave's machines share a few subnets)."""
        parts = parse_arm_id(subnet_id)
        subnet = shared(self.module, ("decommission-subnet", self.src, subnet_id.lower()),
                        lambda: plain(get_or_none(self.network.subnets.get, parts["resource_group"], parts["name"], parts["child_name_1"])))
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
        return resource_id(machine, "Microsoft.Compute/virtualMachines", sub, p["target_resource_group"])
    return None


def history_window(module):
    """The job-history window of the task: the same (since, until) for every machine of a batch, so the vault's
    history is read once. Until a little after now: the controller's clock may be behind Azure's."""
    window = getattr(module, "history_window", None) or getattr(getattr(module, "batch", None), "history_window", None)
    if window is None:
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        window = (now - datetime.timedelta(days=module.params["history_days"]), now + datetime.timedelta(hours=1))
    return window


def guards(module, machine, computer_name=None, window=None):
    """The guard facts; refuses (Refused) when the move is not committed or the target VM is not running.
    ``computer_name``: the source's guest host name, the name Site Recovery's jobs may know the machine by."""
    p = module.params
    sr = SiteRecovery(module, p["resource_group"], p["vault"])
    item = find_item(sr, machine)
    summary = item_summary(item) if item else None
    phase = summary["phase"] if summary else None
    history = committed_earlier(sr, machine, computer_name, window=window or history_window(module)) if item is None else False
    facts = {"name": machine, "phase": phase or ("migrated" if history else None), "committed": False, "target_vm": None}
    try:
        dc.check_guards(machine, phase, history, {"power_state": "running"})  # the move first: no target read when not moved
    except dc.Refused as exc:
        if phase is None:  # say how far back the history was read
            raise dc.Refused("%s (The job history was read for the last %d days: raise history_days if the migration "
                             "completed before that.)" % (exc, p["history_days"])) from None
        raise
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


def check(module):
    """One machine's input, before anything is read or deleted."""
    p = module.params
    if p.get("machines") is None and p["leftovers"] == bool(p["name"] or p["vm_id"]):
        module.fail("Name the source VM (name with source_resource_group, or vm_id), or set leftovers to true - one of them.")
    if p["name"] and not p["vm_id"] and not p["source_resource_group"]:
        module.fail("%s: source_resource_group is required (on the task or the machine's entry)." % p["name"])
    problem = resource_id_problem("vm_id", p["vm_id"], "Microsoft.Compute/virtualMachines", name_allowed=False)
    if problem:
        module.fail(problem)
    if p["vm_id"]:
        # The id is used whole: a VM of another subscription (the target's, another cloud's) is refused, never looked
        # up by its resource group and name in the source subscription, where a VM of that name could be deleted.
        src = module.connection(p["source_connection"])
        wanted = parse_arm_id(p["vm_id"]).get("subscription") or ""
        if wanted.lower() != src.subscription_id.lower():
            cloud = src.settings.get("cloud") or "AzureCloud"
            module.fail("vm_id %s is in subscription %s, but the source connection %r is subscription %s (cloud %s): give "
                        "the id of the source VM in that subscription, or set source_connection to the connection of its "
                        "subscription. Nothing was read or deleted." % (p["vm_id"], wanted, src.name, src.subscription_id, cloud))


def act(module):
    """One machine: gather, plan, guard, then tag and delete (the one-machine module's body, also a batch's)."""
    p = module.params
    work = Decommission(module)
    src = module.connection(p["source_connection"])
    vm_id = p["vm_id"] or resource_id(p["name"], "Microsoft.Compute/virtualMachines", src.subscription_id, p["source_resource_group"])
    machine = p["replicated_machine"] or p["name"] or dc.name_of(p["vm_id"])
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


def leftovers(module):
    """Finish what interrupted runs left behind in the whole source subscription (leftovers=true)."""
    p = module.params
    module.shared = {"lock": threading.RLock()}  # the vault's items and job history read once for all the leftovers
    window = history_window(module)
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
            entry["machine"] = guards(module, dc.name_of(vm_id), dc.host_name(found), window)
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


def main():
    options = vault_spec(
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
        history_days=dict(type="int", default=90),
        machines=dict(type="list", elements="dict", options=PER_MACHINE),
        **BATCH_OPTIONS
    )
    module = AzureModule(
        options,
        supports_check_mode=True,
        mutually_exclusive=[("name", "vm_id"), ("name", "machines"), ("vm_id", "machines"), ("leftovers", "machines")],
    )
    p = module.params
    if p["history_days"] < 1:
        module.fail("history_days must be at least 1, not %d." % p["history_days"])
    if p["machines"] is None:
        check(module)
        vm_name = p["name"] or dc.name_of(p["vm_id"]) or "the leftovers of interrupted runs"
    else:
        vm_name = "the %d machines of the batch" % len(p["machines"])
    if not p["confirm"] and not module.check_mode:
        module.fail("Refusing to decommission %s: deleting a source VM cannot be undone, so set confirm to true "
                    "(in the role, decommission_confirm: true). Nothing was read or deleted." % vm_name)
    module.history_window = history_window(module)
    if p["machines"] is not None:
        run_batch(module, check, act)
    if p["leftovers"]:
        run(module, lambda: leftovers(module), "Decommission of the leftovers of interrupted runs")
    run(module, lambda: act(module), "Decommission of the source VM %s" % vm_name)


if __name__ == "__main__":
    main()
