#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_assignment
short_description: Give each machine of a move one of several replication appliances (or configuration servers)
version_added: 0.3.0
description:
  - A move of hundreds of machines outgrows one replication appliance. This module gives each machine of the batch
    one appliance of O(appliances) - modernized, a replication appliance; classic, a configuration server or one of
    its scale-out process servers - by Microsoft's documented capacity (machines and daily data change per appliance,
    see C(docs/appliances.md)) and by network reach (the networks each appliance is declared to reach).
  - The choice is kept. It is recorded in O(state_dir)C(/<machine>/appliance.json) and a later run keeps it while the
    appliance is still listed and reaches the machine; a machine whose replicated item exists in O(vault) stays on the
    appliance the item names (Site Recovery's C(processServerName)), whatever was recorded - a replicating machine is
    never moved to another appliance.
  - Every machine's load counts - the batch's and, from the state directory, the other waves' (with O(vault), only
    those still replicating). The load of every appliance is written to O(state_dir)C(/appliances.json) - its
    capacity, its machines and the page of Microsoft's figures, in the format C(docs/appliances.md) gives - which the
    move's report reads.
  - When capacity or reach cannot be satisfied the module fails with every problem at once and writes nothing.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  provider:
    description: V(modernized) (replication appliances) or V(classic) (configuration servers and process servers).
    type: str
    choices: [modernized, classic]
    default: modernized
  appliances:
    description:
      - The move's appliances. One entry is a move with one appliance (the playbooks make it from C(move_source_server)
        when C(move_appliances) is not set).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The replication appliance's name (modernized) or the configuration server's (classic).
        type: str
        required: true
      process_server:
        description:
          - Classic - a scale-out process server of the configuration server O(appliances[].name); the entry is then
            that process server, sized by Microsoft's process server table.
        type: str
      size:
        description:
          - A row of Microsoft's sizing tables (C(docs/appliances.md)). Default V(appliance) (modernized, 200 machines,
            2 TB a day), V(cs-16vcpu) (classic configuration server, 200 machines) or V(ps-12vcpu) (classic scale-out
            process server, 225 machines).
        type: str
        choices: [appliance, cs-8vcpu, cs-12vcpu, cs-16vcpu, ps-4vcpu, ps-8vcpu, ps-12vcpu]
      capacity:
        description: What this appliance can take, where it differs from its size's documented figures.
        type: dict
        suboptions:
          machines:
            description: How many machines it replicates at most.
            type: int
          daily_change_gb:
            description: How much data change a day (GB) it handles at most.
            type: float
      reaches:
        description:
          - The source networks this appliance reaches (and that reach it on 443 and 9443) - address prefixes
            (C(10.1.0.0/16)), subnet or virtual network names (C(snet-app), C(vnet-gov/snet-app)) or ids.
          - Empty or left out, it reaches every machine.
        type: list
        elements: str
  machines:
    description: The batch's machines.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The machine's key (its source VM's name, C(azmove_name)); its state directory's name.
        type: str
        required: true
      ip_addresses:
        description: The machine's private IP addresses.
        type: list
        elements: str
      subnet:
        description: The machine's source subnet (name or id).
        type: str
      virtual_network:
        description: The machine's source virtual network (name or id).
        type: str
      disk_gb:
        description:
          - The size of the machine's disks (GB), the proxy for its daily change when O(machines[].daily_change_gb)
            is not given (the share the sizing tables assume, about 3.4% a day). Default 300 (the tables' machine).
        type: float
      daily_change_gb:
        description: The machine's daily data change (GB), measured (for example by Site Recovery Deployment Planner).
        type: float
  state_dir:
    description: The move's state directory (the playbooks' C(move_state_dir)).
    type: path
    required: true
  resource_group:
    description: The vault's resource group (with O(vault)).
    type: str
  vault:
    description:
      - The Recovery Services vault. Given, its replicated items are read once, so that a replicating machine keeps
        the appliance it replicates through and the load counts the machines that replicate now.
    type: str
"""

EXAMPLES = r"""
- name: Share the wave between two appliances, each in its own network
  azmove.site_recovery.appliance_assignment:
    use_connection: target
    resource_group: rg-move-eastus
    vault: rsv-move-eastus
    state_dir: "{{ playbook_dir }}/move-reports/machines"
    appliances:
      - {name: asr-gov-01, reaches: [10.10.0.0/16]}
      - {name: asr-gov-02, reaches: [vnet-gov-data], capacity: {machines: 120}}
    machines:
      - {name: vm-app-01, ip_addresses: [10.10.1.4], subnet: snet-app, virtual_network: vnet-gov-app, disk_gb: 256}
      - {name: vm-db-01, ip_addresses: [10.20.1.4], subnet: snet-db, virtual_network: vnet-gov-data, daily_change_gb: 40}
  register: placed
"""

RETURN = r"""
machines:
  description: Each machine's appliance, by name.
  returned: always
  type: dict
  contains:
    appliance:
      description: The appliance (classic scale-out process server - C(<configuration server>/<process server>)).
      type: str
    name:
      description: The appliance's or configuration server's name (what the replicate steps are given).
      type: str
    process_server:
      description: Classic - the process server, when the entry names one.
      type: str
    reason:
      description:
        - V(replicating) (its replicated item names it), V(recorded) (kept from an earlier run) or V(assigned) (now).
      type: str
    daily_change_gb:
      description: The daily change the machine counts for (given, or estimated from its disks).
      type: float
    changed:
      description: Whether its appliance.json was (or would be) written.
      type: bool
  sample:
    vm-app-01: {appliance: asr-gov-01, name: asr-gov-01, process_server: null, reason: assigned, daily_change_gb: 8.74,
                changed: true}
appliances:
  description: Each appliance's capacity and load after this run (what appliances.json holds, and more).
  returned: always
  type: dict
  contains:
    capacity:
      description: The size used and its figures (C(machines), C(daily_change_gb), C(vcpus), C(memory_gb), C(cache_disk_gb)).
      type: dict
      sample: {size: appliance, machines: 200, daily_change_gb: 2048, vcpus: 16, memory_gb: 32, cache_disk_gb: 1024}
    machines:
      description: The machines it replicates (or will).
      type: list
      elements: str
    load:
      description: C(machines) (count) and C(daily_change_gb).
      type: dict
      sample: {machines: 1, daily_change_gb: 8.74}
    source:
      description: The Microsoft page of the capacity figures.
      type: str
    reaches:
      description: The networks it is declared to reach.
      type: list
      elements: str
  sample:
    asr-gov-01:
      capacity: {size: appliance, machines: 200, daily_change_gb: 2048, vcpus: 16, memory_gb: 32, cache_disk_gb: 1024}
      machines: [vm-app-01]
      load: {machines: 1, daily_change_gb: 8.74}
      source: https://learn.microsoft.com/azure/site-recovery/replication-appliance-support-matrix#sizing-and-capacity
      reaches: [10.10.0.0/16]
problems:
  description: Every reason the batch could not be placed (the module then fails and writes nothing).
  returned: failure
  type: list
  elements: str
  sample: ["vm-db-09 (network vnet-gov-data/snet-db; IP 10.20.1.9) is reached by none of the move's appliances: ..."]
"""

import os

from ansible_collections.azmove.site_recovery.plugins.module_utils import _appliances as ap
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import SiteRecovery, props
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import index_by_machine, list_items, lookup


def replicating(module, names):
    """{machine: process server name} of the vault's replicated items (one paged read); items of machines this move
    does not know are keyed by their own name, since they load their appliance too."""
    p = module.params
    items = list_items(SiteRecovery(module, p["resource_group"], p["vault"]))
    index = index_by_machine(items)
    out, known = {}, set()
    for name in names:
        item = lookup(index, name)
        if item is not None:
            known.add(item.get("id"))
            ps = (props(item).get("providerSpecificDetails") or {}).get("processServerName")
            if ps:
                out[name] = ps
    for item in items:
        ps = (props(item).get("providerSpecificDetails") or {}).get("processServerName")
        if item.get("id") not in known and ps:
            out[item.get("name")] = ps
    return out


def body(module):
    p = module.params
    if bool(p["vault"]) != bool(p["resource_group"]):
        module.fail("vault and resource_group go together.")
    state_dir = p["state_dir"]
    if os.path.exists(state_dir) and not os.path.isdir(state_dir):
        module.fail("state_dir %s is not a directory." % state_dir)
    problems = []
    for m in p["machines"]:
        try:
            ap.machine_path(state_dir, m["name"])
        except ap.AssignmentError as exc:
            problems.append(str(exc))
    try:
        recorded = ap.recorded(state_dir)
    except ap.AssignmentError as exc:
        module.fail(str(exc))
    pinned = replicating(module, sorted(set(recorded) | {m["name"] for m in p["machines"]})) if p["vault"] else None
    result, found = ap.assign(p["provider"], p["appliances"], p["machines"], recorded, pinned)
    problems += found
    if problems:
        module.fail("Nothing was written: %d problem(s) placing %d machine(s) on %d appliance(s). %s"
                    % (len(problems), len(p["machines"]), len(p["appliances"]), " ".join(problems)), problems=problems)
    apps = result["appliances"]
    out, before, after, changed = {}, {}, {}, False
    for name, assigned in result["machines"].items():
        app = apps[assigned["appliance"]]
        doc = ap.machine_document(name, assigned, app)
        path = ap.machine_path(state_dir, name)
        wrote = ap.write_json(module.module, path, doc)
        changed |= wrote
        if wrote:
            before[name] = (recorded.get(name) or {}).get("appliance")
            after[name] = assigned["appliance"]
        out[name] = dict(assigned, name=app["name"], process_server=app["process_server"], changed=wrote)
    if ap.write_json(module.module, os.path.join(state_dir, ap.MOVE_FILE), ap.move_document(result)):
        changed = True
    module.exit(changed, before if before or after else None, after if before or after else None,
                machines=out, appliances=apps)


def main():
    module = AzureModule(
        argument_spec=dict(
            provider=dict(type="str", choices=["modernized", "classic"], default="modernized"),
            appliances=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True), process_server=dict(type="str"),
                size=dict(type="str", choices=list(ap.SIZES)),
                capacity=dict(type="dict", options=dict(machines=dict(type="int"), daily_change_gb=dict(type="float"))),
                reaches=dict(type="list", elements="str"))),
            machines=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True), ip_addresses=dict(type="list", elements="str"),
                subnet=dict(type="str"), virtual_network=dict(type="str"), disk_gb=dict(type="float"),
                daily_change_gb=dict(type="float"))),
            state_dir=dict(type="path", required=True),
            resource_group=dict(type="str"),
            vault=dict(type="str"),
        ),
    )
    run(module, lambda: body(module), action="appliance_assignment")


if __name__ == "__main__":
    main()
