#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: machine_mapping
short_description: Record each source VM and plan its target, field by field, before the move
version_added: 0.3.0
description:
  - For each machine of a wave, records what its source VM is - every NIC (primary flag, subnet, private IP and whether
    it is static, NIC-level network security group, public IP, accelerated networking), availability zone or set,
    proximity placement group, tags, OS and data disks (type, size, count), licence types (Windows Server and Linux
    Azure Hybrid Benefit from the VM, SQL Server from its SQL virtual machine resource), boot diagnostics, size, power
    state - and plans its target so that the defaults keep the machine as it was.
  - The plan keeps every private IP (as a static address of the mirrored subnet, the same address in the test network
    where the test subnet mirrors the prefix, so a drill never collides with production), the zone where the target
    region has it, the tags (plus O(tags)), the disks, the licence types and the size - or, when the target region
    does not offer the size, the closest offered size (at least its vCPUs and memory, the fewest of each, the same
    family first), applied and said. Each NIC's NSG and public IP map to the copies
    M(azmove.site_recovery.target_network) made (same names, or O(name_map) and O(name_replace) as given to it).
  - Lists, per machine, what the move will not carry (a managed identity and its role assignments, Key Vault
    references, VM extensions and monitoring agents, private endpoints in its subnets, load balancer backend
    membership) with what to do about each.
  - The mapping is written to O(state_dir)C(/<machine>/mapping.json) and read by every later phase
    (M(azmove.site_recovery.replicated_machine) with O(azmove.site_recovery.replicated_machine#module:state_dir), the
    post-failover comparison of M(azmove.site_recovery.moved_vm), the report). The source is read once, the first
    time, while it still runs (a deallocated VM has released its dynamic addresses); later runs plan again from that
    record (so a new override takes effect) and write only when the plan changed. O(refresh=true) reads the source
    again.
  - Every machine's input is checked, and every problem of every machine reported, before anything is written; a
    machine with a problem gets no mapping (its entry in RV(machines) says why).
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-compute >= 33
  - azure-mgmt-network >= 27
  - azure-mgmt-resource >= 23.2
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  machines:
    description: The machines to map, one entry each.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The machine's key - its source VM's name (the inventory's C(azmove_name)).
        type: str
        required: true
      source_vm_id:
        description: ARM id of the source VM (the inventory's C(azmove_id)). Default the VM of that name in the source subscription.
        type: str
      overrides:
        description:
          - What to change on purpose. Anything left out keeps the source's value. Each override is named in the
            mapping's C(overridden) list (see RV(machines)) and explained in the comparison after failover.
        type: dict
        suboptions:
          vm_name:
            description: The VM's name in the target.
            type: str
          size:
            description: The VM size in the target (it must be offered there).
            type: str
          zone:
            description: The availability zone in the target (C(1), C(2) or C(3)).
            type: str
          availability_set_id:
            description: ARM id of an availability set in the target.
            type: str
          proximity_placement_group_id:
            description: ARM id of a proximity placement group in the target.
            type: str
          tags:
            description: Tags to set on the target VM over the source's.
            type: dict
          license_type:
            description: Azure Hybrid Benefit for Windows Server in the target.
            type: str
            choices: [NoLicenseType, WindowsServer]
          linux_license_type:
            description: Azure Hybrid Benefit for Linux (bring your own subscription) in the target.
            type: str
            choices: [NoLicenseType, LinuxServer]
          sql_license_type:
            description: SQL Server licence type in the target.
            type: str
            choices: [NoLicenseType, PAYG, AHUB]
          keep_ip_addresses:
            description: Keep every NIC's private IP. With V(false) the target NICs take the next free addresses.
            type: bool
          nics:
            description: Per-NIC changes, each naming the NIC by its source address.
            type: list
            elements: dict
            suboptions:
              source_ip:
                description: The NIC's private IP in the source.
                type: str
                required: true
              subnet:
                description: The NIC's subnet in the target network.
                type: str
              static_ip:
                description: The NIC's static address in the target.
                type: str
              test_subnet:
                description: The NIC's subnet in the test network.
                type: str
              test_static_ip:
                description: The NIC's static address in the test network.
                type: str
  state_dir:
    description: The directory of the move's per-machine state (created when missing).
    type: path
    required: true
  source_connection:
    description: The connection (of O(connections)) that reaches the source VMs.
    type: str
    default: source
  target_resource_group:
    description: Resource group of the target VMs.
    type: str
    required: true
  target_network:
    description: The target virtual network (the copy of the source network M(azmove.site_recovery.target_network) made).
    type: str
    required: true
  target_network_resource_group:
    description: Resource group of O(target_network). Default O(target_resource_group).
    type: str
  test_network:
    description: The test network, for the addresses a test failover uses.
    type: str
  test_network_resource_group:
    description: Resource group of O(test_network). Default O(target_network_resource_group).
    type: str
  network_resource_group:
    description:
      - Resource group of the NSGs and public IPs M(azmove.site_recovery.target_network) copied. Default
        O(target_network_resource_group).
    type: str
  name_map:
    description: The O(azmove.site_recovery.target_network#module:name_map) given to M(azmove.site_recovery.target_network).
    type: dict
  name_replace:
    description: The O(azmove.site_recovery.target_network#module:name_replace) given to M(azmove.site_recovery.target_network).
    type: dict
  tags:
    description: Tags every target VM gets besides its source's (the playbooks' C(move_target_tags)).
    type: dict
  refresh:
    description: Read the source VMs again instead of using the record made the first time.
    type: bool
    default: false
  fail_on_error:
    description: Fail the task when a machine has a problem. With V(false), RV(failed_machines) names them.
    type: bool
    default: true
notes:
  - Reads the source subscription once per run (VMs, NICs, networks, public IPs, load balancers) plus each new
    machine's extensions and SQL virtual machine resource; reads the target network, test network, NSGs and public IPs
    of O(network_resource_group) and the target region's resource SKUs once.
seealso:
  - module: azmove.site_recovery.target_network
  - module: azmove.site_recovery.replicated_machine
  - module: azmove.site_recovery.moved_vm
"""

EXAMPLES = r"""
- name: Plan the wave's machines (run by the prepare phase)
  azmove.site_recovery.machine_mapping:
    use_connection: target
    source_connection: source
    state_dir: "{{ playbook_dir }}/move-reports/machines"
    target_resource_group: rg-landing-eastus
    target_network: vnet-app-eastus
    test_network: vnet-app-eastus-test
    tags: {moved-from: usgovvirginia}
    machines:
      - name: vm-app-win01
        source_vm_id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-app-gov/providers/Microsoft.Compute/virtualMachines/vm-app-win01
      - name: vm-app-lnx01
        overrides:
          size: Standard_D4s_v5
          nics:
            - {source_ip: 10.10.2.4, static_ip: 10.10.2.40}
"""

RETURN = r"""
machines:
  description: Each machine's mapping, by name.
  returned: always
  type: dict
  contains:
    changed:
      description: Whether the mapping was written (new, or the plan changed).
      type: bool
    failed:
      description: Whether the machine has a problem (no mapping written).
      type: bool
    msg:
      description: The machine's problems, when it has any.
      type: str
    problems:
      description: Every problem found for the machine.
      type: list
      elements: str
    path:
      description: The mapping file.
      type: str
    mapping:
      description: The mapping document (the content of the file).
      type: dict
      contains:
        source:
          description: What the source VM is, as recorded (NICs, zone, tags, disks, licences, size...).
          type: dict
          sample: {size: Standard_D4s_v3, zone: "1", nics: [{name: vm-app-win01-nic0, private_ip: 10.10.1.4, subnet: snet-app}], tags: {app: billing}}
        target:
          description: What the target will be; C(size_source) says whether the size is the source's, the closest offered or yours.
          type: dict
          sample: {size: Standard_D4s_v5, size_source: closest, zone: "1", nics: [{source_ip: 10.10.1.4, subnet: snet-app, static_ip: 10.10.1.4,
              primary: true}]}
        overridden:
          description: The target fields you set.
          type: list
          elements: str
        explained:
          description: Target fields that differ from the source on purpose, and why.
          type: dict
          sample: {size: "Standard_D4s_v3 is not offered in eastus; Standard_D4s_v5 (4 vCPUs, 16 GB) is the closest offered size"}
        not_carried:
          description: What the move does not carry, each with C(kind), C(what) and C(action).
          type: list
          elements: dict
          sample: [{kind: extension, what: VM extension MicrosoftMonitoringAgent, action: install it on the target VM}]
  sample:
    vm-app-win01:
      changed: true
      failed: false
      path: /home/ops/move-reports/machines/vm-app-win01/mapping.json
      mapping:
        target: {size: Standard_D4s_v5, size_source: closest, zone: "1",
                 nics: [{source_ip: 10.10.1.4, subnet: snet-app, static_ip: 10.10.1.4, primary: true}]}
        explained: {size: "Standard_D4s_v3 is not offered in eastus; Standard_D4s_v5 (4 vCPUs, 16 GB) is the closest offered size"}
        not_carried: [{kind: extension, what: "VM extension MicrosoftMonitoringAgent (MicrosoftMonitoringAgent)",
                       action: "Site Recovery moves the disks, not the VM's extensions: install it on the target VM"}]
failed_machines:
  description: The machines with a problem.
  returned: always
  type: list
  elements: str
"""

import os
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map as mm
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import resource_id
from ansible_collections.azmove.site_recovery.plugins.module_utils._discovery import (
    Discovery, parse_id, rest, size_catalog, vm_facts)
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._network_layout import NameMap, LayoutError, region_zones
from ansible_collections.azmove.site_recovery.plugins.module_utils._prerequisites import closest_size

SQL_VM = "Microsoft.SqlVirtualMachine/sqlVirtualMachines"
SQL_VM_API = "2022-02-01"

NIC_OPTIONS = dict(source_ip=dict(type="str", required=True), subnet=dict(type="str"), static_ip=dict(type="str"),
                   test_subnet=dict(type="str"), test_static_ip=dict(type="str"))
OVERRIDES = dict(
    vm_name=dict(type="str"), size=dict(type="str"), zone=dict(type="str"), availability_set_id=dict(type="str"),
    proximity_placement_group_id=dict(type="str"), tags=dict(type="dict"),
    license_type=dict(type="str", choices=["NoLicenseType", "WindowsServer"]),
    linux_license_type=dict(type="str", choices=["NoLicenseType", "LinuxServer"]),
    sql_license_type=dict(type="str", choices=["NoLicenseType", "PAYG", "AHUB"]),
    keep_ip_addresses=dict(type="bool"),
    nics=dict(type="list", elements="dict", options=NIC_OPTIONS),
)


def _key(text):
    return (text or "").lower()


class Mapper:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.result = {"machines": {}, "failed_machines": []}

    # -- checks before anything is read -----------------------------------------------------------------------------
    def check_input(self):
        problems = []
        seen = set()
        for m in self.p["machines"]:
            try:
                mm.state_path(self.p["state_dir"], m["name"], "mapping")
            except mm.MappingError as exc:
                problems.append(str(exc))
            if _key(m["name"]) in seen:
                problems.append("Machine %s is listed twice." % m["name"])
            seen.add(_key(m["name"]))
            if m.get("source_vm_id") and not parse_id(m["source_vm_id"]).get("subscription_id"):
                problems.append("%s: source_vm_id %r is not an ARM id." % (m["name"], m["source_vm_id"]))
            zone = (m.get("overrides") or {}).get("zone")
            if zone and zone not in ("1", "2", "3"):
                problems.append("%s: zone %r is not an availability zone: use 1, 2 or 3." % (m["name"], zone))
        if os.path.exists(self.p["state_dir"]) and not os.path.isdir(self.p["state_dir"]):
            problems.append("state_dir %s is not a directory." % self.p["state_dir"])
        try:
            self.names = NameMap(self.p["name_map"], self.p["name_replace"])
        except LayoutError as exc:
            problems.append(str(exc))
        if problems:
            self.module.fail("Nothing was read or written: " + " ".join(problems))

    # -- reads ------------------------------------------------------------------------------------------------------
    def existing(self):
        out, problems = {}, []
        for m in self.p["machines"]:
            try:
                out[m["name"]] = mm.read_state(self.p["state_dir"], m["name"], "mapping")
            except mm.MappingError as exc:
                problems.append(str(exc))
        if problems:
            self.module.fail("Nothing was written: " + " ".join(problems))
        return out

    def read_sources(self, wanted):
        """{machine name: source record or an error text} for the machines to read, one discovery per subscription."""
        conn = self.module.connection(self.p["source_connection"])
        by_sub = {}
        for m in wanted:
            sub = parse_id(m.get("source_vm_id") or "").get("subscription_id") or conn.subscription_id
            by_sub.setdefault(sub.lower(), []).append(m)
        out = {}
        resource = self.module.client("resource", self.p["source_connection"])
        for sub, machines in by_sub.items():
            try:
                disc = Discovery.for_connection(conn, sub)
            except ImportError:
                self.module.module.fail_json(msg=missing_required_lib("azure-mgmt-compute and azure-mgmt-network"),
                                             exception=traceback.format_exc())
            vms = disc.virtual_machines()
            by_id = {_key(vm["id"]): vm for vm in vms}
            by_name = {}
            for vm in vms:
                by_name.setdefault(_key(vm["name"]), []).append(vm)
            lookup = disc.lookup()
            subnets = lookup.subnets
            for m in machines:
                if m.get("source_vm_id"):
                    vm = by_id.get(_key(m["source_vm_id"]))
                else:
                    found = by_name.get(_key(m["name"])) or []
                    if len(found) > 1:
                        out[m["name"]] = ("%d VMs are named %s in subscription %s (%s): give its source_vm_id."
                                          % (len(found), m["name"], sub, ", ".join(parse_id(v["id"])["resource_group"] for v in found)))
                        continue
                    vm = found[0] if found else None
                if vm is None:
                    out[m["name"]] = "The source VM %s is not in subscription %s." % (m.get("source_vm_id") or m["name"], sub)
                    continue
                rg = parse_id(vm["id"])["resource_group"]
                facts = vm_facts(vm, lookup, disc.sizes(vm.get("location")), disc.instance_view(vm))
                extensions = [rest(e) for e in disc.compute.virtual_machine_extensions.list(rg, vm["name"]).value or []]
                sql = get_or_none(resource.resources.get_by_id,
                                  resource_id(vm["name"], SQL_VM, sub, rg),
                                  api_version=SQL_VM_API)
                sql_license = (rest(sql).get("properties") or {}).get("sqlServerLicenseType") if sql is not None else None
                out[m["name"]] = mm.source_record(facts, vm, sql_license, extensions, subnets)
        return out

    def target_context(self):
        p = self.p
        network = self.module.client("network")
        net_rg = p["target_network_resource_group"] or p["target_resource_group"]
        vnet = get_or_none(network.virtual_networks.get, net_rg, p["target_network"])
        if vnet is None:
            self.module.fail("The target network %s is not in resource group %s: build it first (prepare, tag networks)."
                             % (p["target_network"], net_rg))
        vnet = rest(vnet)
        test = None
        if p["test_network"]:
            test_rg = p["test_network_resource_group"] or net_rg
            test = get_or_none(network.virtual_networks.get, test_rg, p["test_network"])
            if test is None:
                self.module.fail("The test network %s is not in resource group %s." % (p["test_network"], test_rg))
            test = rest(test)
        location = vnet.get("location")
        skus = [rest(s) for s in self.module.client("compute").resource_skus.list(filter="location eq '%s'" % location)]
        copies_rg = p["network_resource_group"] or net_rg
        nsgs = {_key(n.name): n.id for n in network.network_security_groups.list(copies_rg)}
        pips = {_key(n.name): n.id for n in network.public_ip_addresses.list(copies_rg)}
        sub = self.module.connection().subscription_id
        return {
            "resource_group_id": resource_id(p["target_resource_group"], "resourceGroups", sub, None),
            "location": location, "network": vnet, "test_network": test,
            "catalog": size_catalog(skus), "zones": region_zones(skus, location), "tags": p["tags"] or {},
            "nsg_id": lambda source_id: nsgs.get(_key(self.names.target(source_id))),
            "public_ip_id": lambda source_id: pips.get(_key(self.names.target(source_id))),
            "closest_size": closest_size,
        }

    # -- the run ----------------------------------------------------------------------------------------------------
    def body(self):
        self.check_input()
        existing = self.existing()
        to_read = [m for m in self.p["machines"] if self.p["refresh"] or existing.get(m["name"]) is None]
        sources = self.read_sources(to_read) if to_read else {}
        context = self.target_context()
        planned = {}
        for m in self.p["machines"]:
            name = m["name"]
            source = sources.get(name) if name in sources else existing[name]["source"]
            if isinstance(source, str):
                planned[name] = (None, [source])
                continue
            ctx = dict(context, target_vm_name=name)
            try:
                planned[name] = mm.mapping(name, source, ctx, m.get("overrides") or {})
            except mm.MappingError as exc:
                planned[name] = (None, [str(exc)])
        changed, before, after = False, {}, {}
        for m in self.p["machines"]:
            name = m["name"]
            doc, problems = planned[name]
            entry = {"changed": False, "failed": bool(problems), "problems": problems,
                     "path": mm.state_path(self.p["state_dir"], name, "mapping")}
            if problems:
                entry["msg"] = "%s: %s" % (name, " ".join(problems))
                self.result["failed_machines"].append(name)
            else:
                old = existing.get(name)
                if old is not None and mm.same_plan(old, doc):
                    doc = old
                else:
                    entry["changed"] = changed = True
                    before[name] = (old or {}).get("target")
                    after[name] = doc["target"]
                    mm.write_state(self.module, self.p["state_dir"], name, "mapping", doc)
                entry["mapping"] = doc
            self.result["machines"][name] = entry
        if self.result["failed_machines"] and self.p["fail_on_error"]:
            self.module.fail("; ".join(self.result["machines"][n]["msg"] for n in self.result["failed_machines"]),
                             changed=changed, **self.result)
        self.module.exit(changed, before if before else None, after if after else None, **self.result)


def main():
    module = AzureModule(
        argument_spec=dict(
            machines=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True), source_vm_id=dict(type="str"),
                overrides=dict(type="dict", options=OVERRIDES))),
            state_dir=dict(type="path", required=True),
            source_connection=dict(type="str", default="source"),
            target_resource_group=dict(type="str", required=True),
            target_network=dict(type="str", required=True),
            target_network_resource_group=dict(type="str"),
            test_network=dict(type="str"),
            test_network_resource_group=dict(type="str"),
            network_resource_group=dict(type="str"),
            name_map=dict(type="dict"),
            name_replace=dict(type="dict"),
            tags=dict(type="dict"),
            refresh=dict(type="bool", default=False),
            fail_on_error=dict(type="bool", default=True),
        ),
    )
    mapper = Mapper(module)
    run(module, mapper.body, action="machine_mapping")


if __name__ == "__main__":
    main()
