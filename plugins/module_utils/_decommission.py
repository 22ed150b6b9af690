# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Discarding a moved machine's source VM: the guards (move committed, target VM running), the plan
(what goes, what stays and why) and the order Azure needs (VM, then NICs, then disks, public IPs, NSGs).

Azure deletes a VM's NICs and disks with it only when their deleteOption says Delete; for VMs created
long ago it is Detach, so they stay behind. Before the VM is deleted, every resource the plan deletes is
tagged ``azmove-decommission`` = the VM's id, so a run stopped after the VM delete is finished by the
next run: it finds the tagged leftovers although nothing refers to them any more."""

from __future__ import annotations

import re

from ._asr import arm_id_upto, lower, name_of, props, segment  # noqa: F401  (re-exported: the modules use them from here)

KINDS = ("nics", "disks", "public_ips", "nsgs")
TAG = "azmove-decommission"
HOST_TAG = "azmove-decommission-host"
# Phases of a replicated item that mean the move is committed.
COMMITTED_PHASES = ("committed", "disabling", "migrated")


class Refused(Exception):
    """A guard failed: nothing may be deleted. The message says why in plain words."""


def ref(value):
    return (value or {}).get("id") if isinstance(value, dict) else None


def owner_of_child(child_id):
    """The resource a child id belongs to: .../networkInterfaces/nic1/ipConfigurations/ip1 -> .../nic1."""
    return arm_id_upto(child_id) or child_id


# -- what belongs to a VM ---------------------------------------------------------------------------
def vm_nic_ids(vm):
    return [r["id"] for r in (props(vm).get("networkProfile") or {}).get("networkInterfaces") or [] if r.get("id")]


def vm_disk_ids(vm):
    prof = props(vm).get("storageProfile") or {}
    out = []
    for disk in [prof.get("osDisk") or {}] + list(prof.get("dataDisks") or []):
        disk_id = (disk.get("managedDisk") or {}).get("id")
        if disk_id:
            out.append(disk_id)
    return out


def unmanaged_disks(vm):
    """Kept entries for classic (unmanaged) disks: VHD blobs in a storage account, not resources this module deletes."""
    prof = props(vm).get("storageProfile") or {}
    out = []
    for disk in [prof.get("osDisk") or {}] + list(prof.get("dataDisks") or []):
        uri = (disk.get("vhd") or {}).get("uri")
        if uri:
            out.append({"kind": "storage", "id": uri,
                        "reason": "an unmanaged disk (a VHD blob in a storage account): delete the blob yourself once you no longer need it"})
    return out


def nic_public_ip_ids(nic):
    return [ref(props(c).get("publicIPAddress")) for c in props(nic).get("ipConfigurations") or []
            if ref(props(c).get("publicIPAddress"))]


def nic_subnet_ids(nic):
    return [ref(props(c).get("subnet")) for c in props(nic).get("ipConfigurations") or [] if ref(props(c).get("subnet"))]


def tagged_for(doc, vm_id):
    return lower(((doc or {}).get("tags") or {}).get(TAG)) == lower(vm_id)


def host_name(found):
    """The source's guest host name: the name Site Recovery's job history knows the machine by. From the VM while it
    exists, else from what the decommission recorded on its leftovers (HOST_TAG) before deleting it."""
    name = (props(found.get("vm")).get("osProfile") or {}).get("computerName")
    for kind in KINDS:
        for doc in found.get(kind) or []:
            name = name or ((doc or {}).get("tags") or {}).get(HOST_TAG)
    return name


# -- the guards -------------------------------------------------------------------------------------
def check_guards(machine, phase, committed_in_history, target):
    """Refuse unless the move of ``machine`` is committed and its target VM is running.

    phase: the replicated item's phase, or None when the vault has no item for it (any more);
    committed_in_history: whether the vault's jobs show a succeeded commit of it;
    target: vm_facts() of its target VM, or None when it was not found.
    """
    if phase is not None and phase not in COMMITTED_PHASES:
        raise Refused("Refusing to decommission the source of %s: its move is not committed (the replicated machine is %s). "
                      "Fail it over and commit first (azmove.site_recovery.failover state committed)." % (machine, phase.replace("_", " ")))
    if phase is None and not committed_in_history:
        raise Refused("Refusing to decommission the source of %s: the vault neither replicates it nor has a succeeded commit of its "
                      "failover in its job history, so nothing shows that it moved." % machine)
    if target is None:
        raise Refused("Refusing to decommission the source of %s: its target VM was not found in the target cloud." % machine)
    if target.get("power_state") != "running":
        raise Refused("Refusing to decommission the source of %s: its target VM %s is %s, not running." % (
            machine, target.get("name") or name_of(target.get("id")), target.get("power_state") or "in an unknown power state"))


# -- the plan ---------------------------------------------------------------------------------------
def plan(vm_id, found, delete, subnet_nsgs=None):
    """What to delete and what to keep, and why.

    found: {"vm": VM dict or None, "nics"/"disks"/"public_ips"/"nsgs": [resource dicts]} - the VM's own
    resources and tagged leftovers of an earlier run, as Azure returns them (REST names).
    subnet_nsgs: {nsg id (lower): [subnet ids]} for NSGs seen on the subnets of the VM's NICs.
    Returns {"delete": {"vm": id or None, kind: [ids]}, "kept": [{"id", "kind", "reason"}]}.
    """
    subnet_nsgs = subnet_nsgs or {}
    delete = set(delete)
    vm_key = lower(vm_id)
    result = {"vm": found.get("vm", {}).get("id") if found.get("vm") else None}
    result.update({kind: [] for kind in KINDS})
    kept = []

    def keep(kind, doc, reason):
        if not any(lower(k["id"]) == lower(doc["id"]) for k in kept):
            kept.append({"kind": kind, "id": doc["id"], "reason": reason})

    for nic in found.get("nics") or []:
        attached = ref(props(nic).get("virtualMachine"))
        if attached and lower(attached) != vm_key:
            keep("nics", nic, "attached to another VM, %s" % name_of(attached))
        elif "nics" not in delete:
            keep("nics", nic, "nics is not in delete")
        else:
            result["nics"].append(nic["id"])
    going_nics = {lower(n) for n in result["nics"]}

    for disk in found.get("disks") or []:
        owner = disk.get("managedBy")
        others = [o for o in [owner] + list(disk.get("managedByExtended") or []) if o and lower(o) != vm_key]
        if others:
            keep("disks", disk, "attached to another VM, %s" % ", ".join(name_of(o) for o in others))
        elif "disks" not in delete:
            keep("disks", disk, "disks is not in delete")
        else:
            result["disks"].append(disk["id"])

    for pip in found.get("public_ips") or []:
        owner = ref(props(pip).get("ipConfiguration"))
        holder = owner_of_child(owner) if owner else None
        if holder and lower(holder) not in going_nics:
            if lower(holder) in {lower(n["id"]) for n in found.get("nics") or []}:
                keep("public_ips", pip, "still associated with network interface %s, which is kept" % name_of(holder))
            else:
                keep("public_ips", pip, "associated with %s, which is not this VM's" % name_of(holder))
        elif "public_ips" not in delete:
            keep("public_ips", pip, "public_ips is not in delete")
        else:
            result["public_ips"].append(pip["id"])

    for nsg in found.get("nsgs") or []:
        subnets = [ref(s) for s in props(nsg).get("subnets") or []] + list(subnet_nsgs.get(lower(nsg["id"])) or [])
        nic_users = [owner_of_child(ref(n)) for n in props(nsg).get("networkInterfaces") or []]
        other_nics = sorted({name_of(n) for n in nic_users if lower(n) not in going_nics})
        if subnets:
            keep("nsgs", nsg, "associated with subnet %s" % ", ".join(sorted({
                "%s/%s" % (segment(s, "virtualNetworks"), name_of(s)) for s in subnets})))
        elif other_nics:
            ours = {name_of(n["id"]) for n in found.get("nics") or []}
            keep("nsgs", nsg, "used by network interface %s%s" % (
                ", ".join(other_nics), ", which is kept" if set(other_nics) <= ours else ""))
        elif "nsgs" not in delete:
            keep("nsgs", nsg, "nsgs is not in delete")
        else:
            result["nsgs"].append(nsg["id"])
    return {"delete": result, "kept": kept}


def nothing_to_do(planned):
    return not planned["delete"]["vm"] and not any(planned["delete"][kind] for kind in KINDS)


def as_diff(planned):
    """Before/after of a diff: the resources that exist now, and those left after the run."""
    before = {"vm": [planned["delete"]["vm"]] if planned["delete"]["vm"] else []}
    before.update({kind: list(planned["delete"][kind]) for kind in KINDS})
    for k in planned["kept"]:
        before.setdefault(k["kind"], []).append(k["id"])
    after = {kind: [k["id"] for k in planned["kept"] if k["kind"] == kind] for kind in KINDS}
    after["vm"] = []
    return before, after


# -- the moved machine's comparison after failover (the move's state directory) ----------------------------------
NIC_FIELD = re.compile(r"^nics\[(\d+)\]\.(network_security_group|public_ip)$")


def check_comparison(machine, comparison, accept=False):
    """Refuse when the machine's comparison after failover (comparison.json, or None when there is none) has
    differences from its plan that nobody accepted: the source may be the only copy of what the target lacks."""
    if not comparison or accept or comparison.get("accepted"):
        return
    different = [f for f in comparison.get("fields") or [] if isinstance(f, dict) and f.get("status") == "different"]
    if not different and not comparison.get("differences"):
        return
    raise Refused("Refusing to decommission the source of %s: its target VM differs from the plan in %d field%s "
                  "(comparison.json of the cutover): %s. Fix the target (or roll the machine back), or set "
                  "accept_differences (move_accept_differences: true) to decommission anyway." % (
                      machine, len(different) or comparison.get("differences"), "" if len(different) == 1 else "s",
                      "; ".join("%s: %s" % (f.get("field"), f.get("why") or "different") for f in different)
                      or "see its comparison"))


def keep_unattached(planned, comparison, mapping):
    """Keep each source NSG and public IP whose counterpart the comparison shows not attached to the moved VM's NIC
    (its field is different): deleting it would lose the only copy of that firewall or address. Changes ``planned``."""
    if not comparison:
        return planned
    source_nics = ((mapping or {}).get("source") or {}).get("nics") or []
    for field in comparison.get("fields") or []:
        match = NIC_FIELD.match(str((field or {}).get("field") or ""))
        if not match or field.get("status") != "different":
            continue
        index, what = int(match.group(1)), match.group(2)
        kind, key = ("nsgs", "network_security_group_id") if what == "network_security_group" else ("public_ips", "public_ip_id")
        source_id = (source_nics[index] if index < len(source_nics) else {}).get(key)
        wanted = [i for i in planned["delete"][kind] if (source_id and lower(i) == lower(source_id))
                  or (not source_id and field.get("source") and lower(name_of(i)) == lower(field["source"]))]
        for arm_id in wanted:
            planned["delete"][kind].remove(arm_id)
            planned["kept"].append({"kind": kind, "id": arm_id, "reason": (
                "the moved VM's NIC %d has no %s %s attached (comparison after failover: %s); kept so it is not lost: "
                "attach it in the target (moved_vm) and run again" % (
                    index + 1, "network security group" if kind == "nsgs" else "public IP", field.get("expected") or
                    "copy", field.get("why") or "different"))})
    return planned
