#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: moved_vm
short_description: After failover, attach what Site Recovery cannot carry and compare the moved VM with its plan
version_added: 0.3.0
description:
  - For each machine, reads its plan (O(state_dir)C(/<machine>/mapping.json), written by
    M(azmove.site_recovery.machine_mapping) in the C(prepare) phase) and finds its failed-over VM in the target cloud
    (the plan's target resource group and VM name), through O(use_connection).
  - "Aligns, before the failover is committed, what no Site Recovery input carries: each target NIC gets the
    NIC-level network security group and the public IP the plan names (the copies
    M(azmove.site_recovery.target_network) made). Only a NIC that has none gets one, with one update of the NIC as
    read plus the change: nothing someone attached in the target is replaced or detached. With O(align=false)
    nothing is written in Azure."
  - "Then compares, field by field, the source as recorded before the move, the planned target and the target VM as
    Azure reports it: the NIC count and, per NIC, subnet, private IP (static or dynamic), NSG, public IP, primary flag
    and accelerated networking; zone; size; tags (every planned tag with its value; more tags on the target are
    fine); licence type where the VM shows it; OS disk and data disks (count, size, type where the plan names one).
    Each field is C(same) (as the source was), C(explained) (as planned, and the plan differs from the source on
    purpose - the closest size, a zone the region lacks, your override - with the reason) or C(different) (not as
    planned)."
  - The comparison is written to O(state_dir)C(/<machine>/comparison.json) (only when what it says changed), where the
    wave report, M(azmove.site_recovery.source_decommission) and the rollback read it.
  - A machine with a C(different) field fails, its message listing them, unless O(accept_differences) is set; either
    way its comparison is written first.
  - In check mode nothing is written; the fields alignment would fix are compared as they will be, their C(why)
    saying C(will be aligned).
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-compute
  - azure-mgmt-network
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery.BATCH
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  name:
    description:
      - The machine's key (its source VM's name, the inventory's C(azmove_name)), which names its directory in
        O(state_dir).
      - One of O(name) and O(machines) is required.
    type: str
  machines:
    description: Align and compare a whole batch of machines in one task, instead of O(name). Each entry is one machine.
    type: list
    elements: dict
    suboptions:
      name:
        description: The machine's key (see O(name)).
        type: str
        required: true
      accept_differences:
        description: This machine's O(accept_differences).
        type: bool
  state_dir:
    description: The move's per-machine state directory (the playbooks' C(move_state_dir)), where C(mapping.json) is.
    type: path
    required: true
  accept_differences:
    description:
      - Pass a machine whose target differs from its plan. The comparison records that you accepted the differences
        (C(accepted)), so the report and M(azmove.site_recovery.source_decommission) do not block on them.
    type: bool
    default: false
  align:
    description: Attach each target NIC's planned NSG and public IP where the NIC has none, before comparing.
    type: bool
    default: true
  missing_mapping:
    description:
      - What to do with a machine that has no C(mapping.json) (a move prepared by a version of this collection that
        did not plan machines, or with the mapping turned off).
      - V(fail) fails the machine, saying to run the C(prepare) phase; V(skip) compares nothing for it, with a warning
        (the cutover role uses this, so such a move is not blocked).
    type: str
    choices: [fail, skip]
    default: fail
notes:
  - Reads the target VM and its NICs (and a managed disk where the VM leaves its size out); writes a NIC only to
    attach an NSG or public IP. Run it after the failover and before the commit; after the commit the comparison
    is what the commit went on.
seealso:
  - module: azmove.site_recovery.machine_mapping
  - module: azmove.site_recovery.failover
  - module: azmove.site_recovery.source_decommission
  - module: azmove.site_recovery.replicated_machine
    description: Enable replication of a machine - the move's first step.
  - module: azmove.site_recovery.replication_wait
    description: Wait for a wave's initial replication, showing progress.
  - module: azmove.site_recovery.test_failover
    description: Drill the move into an isolated network, then clean it up.
  - module: azmove.site_recovery.move_rollback
    description: Undo a failover that is not committed.
  - module: azmove.site_recovery.backup_relocation
    description: Protect the moved VM with Azure Backup in its new region.
  - module: azmove.site_recovery.move_cleanup
    description: Delete what the move created once nothing uses it.
"""

EXAMPLES = r"""
- name: Attach what the failover did not carry and compare the wave's VMs with their plans
  azmove.site_recovery.moved_vm:
    use_connection: target
    state_dir: "{{ playbook_dir }}/move-reports/machines"
    machines:
      - name: vm-app-win01
      - name: vm-app-lnx01
        accept_differences: true
    fail_on_error: false
  register: compared

- name: What would be attached, and how the VM compares (nothing written)
  azmove.site_recovery.moved_vm:
    use_connection: target
    state_dir: "{{ playbook_dir }}/move-reports/machines"
    name: vm-app-win01
  check_mode: true
"""

RETURN = r"""
fields:
  description:
    - Every compared field, with C(field) (for example C(nics[0].private_ip), C(zone), C(data_disks[lun=1])),
      C(source), C(expected), C(target), C(status) (C(same), C(explained) or C(different)) and C(why).
  returned: when the machine was compared
  type: list
  elements: dict
  sample:
    - {field: size, source: Standard_D4s_v3, expected: Standard_D4s_v5, target: Standard_D4s_v5, status: explained,
       why: "Standard_D4s_v3 is not offered in eastus; Standard_D4s_v5 (4 vCPUs, 16 GB) is the closest offered size"}
    - {field: "nics[0].network_security_group", source: nsg-app-win01, expected: nsg-app-win01, target: nsg-app-win01,
       status: same, why: ""}
differences:
  description: How many fields are C(different) (not as planned).
  returned: when the machine was compared
  type: int
aligned:
  description: What was attached (in check mode, what would be), each with C(nic), C(nic_id), C(what) and C(id).
  returned: when the machine was compared
  type: list
  elements: dict
  sample: [{nic: vm-app-win01-nic0, what: network_security_group, id: /subscriptions/.../networkSecurityGroups/nsg-app}]
accepted:
  description: Whether the differences were accepted (O(accept_differences)).
  returned: when the machine was compared
  type: bool
target_vm_id:
  description: The target VM compared.
  returned: when the machine was compared
  type: str
path:
  description: The comparison file.
  returned: when the machine was compared
  type: str
skipped:
  description: True when the machine has no mapping and O(missing_mapping=skip).
  returned: when skipped
  type: bool
machines:
  description:
    - With O(machines), each machine's result by name - what the task returns for one machine, plus C(changed),
      C(failed) and, for a failed machine, C(msg).
  returned: with O(machines)
  type: dict
  sample:
    vm-app-win01: {changed: true, failed: false, differences: 0, accepted: false, path: /srv/move/machines/vm-app-win01/comparison.json}
    vm-app-lnx01: {changed: false, failed: true, msg: "...", differences: 1}
failed_machines:
  description: With O(machines), the names of the machines that failed.
  returned: with O(machines)
  type: list
  elements: str
connection:
  description: The connection the task used (never its secrets).
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
"""

from ansible_collections.azmove.site_recovery.plugins.module_utils import _compare as cmp
from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map as mm
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import group_and_name
from ansible_collections.azmove.site_recovery.plugins.module_utils._batch import run_module
from ansible_collections.azmove.site_recovery.plugins.module_utils._discovery import rest
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import run

PER_MACHINE = ("name", "accept_differences")
FIELD_OF = {"network_security_group": "network_security_group", "public_ip": "public_ip"}


def _split(arm_id):
    return group_and_name(arm_id)


def read_target(module, vm):
    """The target VM as the comparison sees it (see _compare.vm_facts): its NICs read, and a disk where needed."""
    network = module.client("network")
    doc = rest(vm)
    props = doc.get("properties") or {}
    nics = []
    for ref in (props.get("networkProfile") or {}).get("networkInterfaces") or []:
        nic = get_or_none(network.network_interfaces.get, *_split(ref["id"]))
        if nic is not None:
            nics.append(rest(nic))
    disks = {}
    storage = props.get("storageProfile") or {}
    for entry in [storage.get("osDisk") or {}] + list(storage.get("dataDisks") or []):
        disk_id = (entry.get("managedDisk") or {}).get("id")
        if disk_id and not entry.get("diskSizeGB"):  # the VM's profile may leave a managed disk's size out
            disk = get_or_none(module.client("compute").disks.get, *_split(disk_id))
            if disk is not None:
                disks[disk_id.lower()] = rest(disk)
    return cmp.vm_facts(doc, nics, disks)


def attach(module, todo):
    """One NIC update per NIC: the NIC as read, plus its planned NSG and public IP (nothing else changes)."""
    from azure.mgmt.network.models import NetworkSecurityGroup, PublicIPAddress  # pylint: disable=import-outside-toplevel

    network = module.client("network")
    by_nic = {}
    for change in todo:
        by_nic.setdefault(change["nic_id"], []).append(change)
    for nic_id, changes in by_nic.items():
        group, name = _split(nic_id)
        model = network.network_interfaces.get(group, name)
        for change in changes:
            if change["what"] == "network_security_group":
                model.network_security_group = NetworkSecurityGroup(id=change["id"])
            else:
                configs = list(model.ip_configurations or [])
                primary = next((c for c in configs if c.primary), configs[0] if configs else None)
                primary.public_ip_address = PublicIPAddress(id=change["id"])
        network.network_interfaces.begin_create_or_update(group, name, model).result()


def check(module):
    p = module.params
    if not (p["name"] or "").strip():
        module.fail("name must not be empty.")
    try:
        mm.state_path(p["state_dir"], p["name"], "mapping")
    except mm.MappingError as exc:
        module.fail(str(exc))


def act(module):
    p = module.params
    machine = p["name"]

    def body():
        try:
            mapping = mm.read_state(p["state_dir"], machine, "mapping")
            old = mm.read_state(p["state_dir"], machine, "comparison")
        except mm.MappingError as exc:
            module.fail(str(exc))
        if mapping is None:
            msg = ("%s has no plan (%s): run the prepare phase (role machine_mapping) to record its source and plan its "
                   "target, then compare." % (machine, mm.state_path(p["state_dir"], machine, "mapping")))
            if p["missing_mapping"] == "skip":
                module.warn("%s Its comparison after failover is skipped." % msg)
                module.exit(False, skipped=True, msg=msg)
            module.fail(msg)
        target = mapping.get("target") or {}
        if not target.get("resource_group_id") or not target.get("vm_name"):
            module.fail("%s's mapping names no target VM (resource_group_id and vm_name): run the prepare phase again."
                        % machine)
        vm_id = "%s/providers/Microsoft.Compute/virtualMachines/%s" % (target["resource_group_id"].rstrip("/"), target["vm_name"])
        vm = get_or_none(module.client("compute").virtual_machines.get, *_split(vm_id))
        if vm is None:
            module.fail("%s has no VM %s in resource group %s of the target yet: fail it over first (the cutover "
                        "phase's failover step), then compare." % (machine, target["vm_name"], _split(vm_id)[0]))
        actual = read_target(module, vm)
        todo = cmp.alignment(mapping, actual) if p["align"] else []
        pending = {}
        if todo and module.check_mode:
            pending = {"nics[%d].%s" % (c["nic_index"], FIELD_OF[c["what"]]): "%s %s attached to NIC %s" % (
                "NSG" if c["what"] == "network_security_group" else "public IP", cmp.name_of(c["id"]), c["nic"])
                for c in todo}
            actual = cmp.aligned(actual, todo)
        elif todo:
            attach(module, todo)
            actual = read_target(module, vm)
        fields = cmp.compare(mapping, actual, pending)
        diffs = cmp.differences(fields)
        doc = {"schema": mm.SCHEMA, "machine": machine, "compared_at": mm.now(), "target_vm_id": actual.get("id") or vm_id,
               "fields": fields, "differences": len(diffs), "accepted": bool(p["accept_differences"])}
        write = not cmp.same_comparison(old, doc)
        # write_state wants the AnsibleModule's owner: a batch's machine view is not one.
        path = mm.write_state(getattr(module, "batch", module), p["state_dir"], machine, "comparison", doc) if write else \
            mm.state_path(p["state_dir"], machine, "comparison")
        result = dict(fields=fields, differences=len(diffs), accepted=doc["accepted"], target_vm_id=doc["target_vm_id"],
                      path=path, aligned=[{k: c[k] for k in ("nic", "nic_id", "what", "id")} for c in todo],
                      connection=module.connection().describe())
        changed = bool(todo) or write
        if diffs and not p["accept_differences"]:
            module.fail("%s: %d field%s of the target VM differ%s from the plan: %s. Roll the machine back before "
                        "commit, or accept the differences (accept_differences)." % (
                            machine, len(diffs), "" if len(diffs) == 1 else "s", "s" if len(diffs) == 1 else "",
                            cmp.summary(fields)), changed=changed, **result)
        before = {c["nic"]: {c["what"]: None} for c in todo}
        after = {}
        for c in todo:
            after.setdefault(c["nic"], {})[c["what"]] = c["id"]
        module.exit(changed, before if todo else None, after if todo else None, **result)

    run(module, body, "Comparing the moved VM of %s with its plan" % machine)


def main():
    run_module(
        dict(
            name=dict(type="str"),
            state_dir=dict(type="path", required=True),
            accept_differences=dict(type="bool", default=False),
            align=dict(type="bool", default=True),
            missing_mapping=dict(type="str", choices=["fail", "skip"], default="fail"),
        ),
        PER_MACHINE,
        check,
        act,
    )


if __name__ == "__main__":
    main()
