#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: target_network
short_description: Recreate the source network layout in the target region, and an isolated test network
version_added: 0.1.0
description:
  - Reads virtual networks, network security groups (NSGs), route tables, public IP addresses and load balancers in
    the B(source) (usually Azure Government) and makes sure the same layout exists in one resource group of the
    B(target) region, where Site Recovery puts the machines at failover.
  - "Copied: a virtual network's address space and subnets (with their NSG and route table); an NSG's security
    rules; a route table's routes and BGP route propagation; a public IP address's SKU, allocation method, IP
    version, idle timeout, DNS label and zones (a B(new) address: public addresses stay in their region); a load
    balancer's SKU, frontends (subnet and static private IP, or public IP), backend pools (empty), health probes and
    load balancing rules; the tags of each. Every reference is rewritten to the target resources."
  - "Not copied: network interfaces (Site Recovery creates them at failover), backend pool members, custom DNS
    servers, peerings, private endpoints, NAT gateways, DDoS protection plans, service endpoints, application
    security groups, inbound NAT and outbound rules. See C(docs/target_network.md) for why."
  - Basic SKU public IPs and load balancers were retired on 30 September 2025 and cannot be created any more; they
    are created as Standard (public IPs Static), with a warning. Standard resources are closed to inbound traffic
    unless an NSG allows it.
  - Also makes a B(test network) for test failovers, a separate virtual network with the same subnets (and address
    space unless told otherwise), never peered with anything.
  - Names are kept unless O(name_map) or O(name_replace) says otherwise.
  - Only the fields listed above are compared and written. Whatever the target has beyond them (subnets, rules,
    routes, pools or tags the source does not have, peerings) is left as it is; nothing is ever deleted.
  - Refuses, before any write, a target region equal to a source resource's region, two source resources of one
    kind mapped to one target name, a test network named like a production virtual network, a target resource
    that exists in another region, and an address space overlapping a virtual network of the target resource group
    that this task does not manage (unless O(allow_overlap=true)).
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-network >= 27
  - azure-mgmt-compute >= 33
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
  - azmove.site_recovery.progress
options:
  source:
    description:
      - What to copy, read through another connection than the target's. Give at least one of
        O(source.virtual_networks), O(source.vms) and O(source.resources); the layout is their union, plus what it
        references (a subnet's NSG and route table, a load balancer's virtual network and public IPs).
    type: dict
    required: true
    suboptions:
      connection:
        description: The entry of O(connections) that reads the source.
        type: str
        default: source
      virtual_networks:
        description:
          - Virtual networks, by resource id or by name (a name must be unique in the source subscription).
          - Brings everything in them too - the NSGs and public IPs of the network interfaces in their subnets, and
            the load balancers those interfaces are behind or whose frontends are in the subnets.
        type: list
        elements: str
      vms:
        description:
          - Virtual machines, by resource id or by name (shell-style patterns allowed, for example V(vm-app-*));
            the network resources they depend on are copied, as M(azmove.site_recovery.source_vm_info) finds them
            with O(azmove.site_recovery.source_vm_info#module:dependencies=true), whole virtual networks included.
        type: list
        elements: str
      resources:
        description:
          - Resource ids of virtual networks, NSGs, route tables, public IPs or load balancers, for example the
            RV(azmove.site_recovery.source_vm_info#module:dependencies.resources[].id) of a wave. Ids of other types
            (subnets count as their virtual network, availability sets are ignored) are skipped.
        type: list
        elements: str
  resource_group:
    description: The target resource group. It must exist (check mode only warns when it does not).
    type: str
    required: true
  location:
    description: The target region, for example V(eastus). It must differ from the source's.
    type: str
    required: true
  name_map:
    description:
      - "Target names by source name or source resource id (case-insensitive), for example
        C({vnet-app-gov: vnet-app-eastus}). An entry wins over O(name_replace)."
      - A resource without an entry keeps its name, after O(name_replace).
    type: dict
  name_replace:
    description:
      - "Text to replace in every source name without a O(name_map) entry, each pair in turn (plain text, not a
        pattern), for example C({-gov: -eastus})."
    type: dict
  include:
    description:
      - The kinds to recreate besides virtual networks (always recreated).
      - Leaving out V(nsgs) or V(route_tables) leaves the subnets' associations as they are in the target. Leaving
        out V(public_ips) makes public load balancer frontends expect the public IP under its mapped name.
    type: list
    elements: str
    choices: [nsgs, route_tables, public_ips, load_balancers]
    default: [nsgs, route_tables, public_ips, load_balancers]
  test_network:
    description:
      - The non-production virtual network for test failovers. Without this option, one is made with the defaults
        below.
      - It is a copy of one production virtual network (subnets, NSGs when O(test_network.attach_nsgs=true)) under
        another name, in the same resource group, never peered. Site Recovery recommends the same address space so
        that test failover behaves like the real one; it does not meet production because nothing connects them.
    type: dict
    suboptions:
      create:
        description: Make (or update) the test network.
        type: bool
        default: true
      name:
        description:
          - Its name. The default is the production virtual network's target name with C(-test) appended.
          - Refused when it is the name of a production virtual network of this layout.
        type: str
      source_virtual_network:
        description:
          - The source virtual network it copies (name or id, source or target name). Required when the layout has
            more than one virtual network.
        type: str
      address_prefixes:
        description:
          - Its address space, one prefix per prefix of the virtual network it copies, each as large or larger; the
            subnets keep their offsets (10.10.1.0/24 in 10.10.0.0/16 becomes 10.40.1.0/24 in 10.40.0.0/16). The
            default is the production address space.
        type: list
        elements: str
      attach_nsgs:
        description: Give its subnets the same NSGs as production, so that a test failover meets the same rules.
        type: bool
        default: true
      attach_route_tables:
        description:
          - Give its subnets the production route tables. Off by default - their next hops (a firewall appliance,
            a gateway) are not in the isolated test network.
        type: bool
        default: false
  allow_overlap:
    description:
      - Go on (with a warning) when an address space overlaps a virtual network of the target resource group that
        this task does not manage. Overlapping networks cannot be peered or routed to each other later.
    type: bool
    default: false
  state:
    description:
      - Only V(present). Deleting a target layout (for example the test network after the move) is out of scope;
        delete the resources with your usual tools.
    type: str
    choices: [present]
    default: present
  wait_timeout:
    description: How many seconds to wait at the most for each resource to be created or updated.
    type: int
    default: 900
notes:
  - One resource at a time, in dependency order - NSGs and route tables, virtual networks, public IPs, load balancers.
  - Check mode reads the source and the target and writes nothing; RV(resources[].action) says what would happen.
  - Reads the source with C(Microsoft.Network/*/read) (and C(Microsoft.Compute/virtualMachines/read) and
    C(Microsoft.Compute/skus/read) for O(source.vms)); writes the target with C(Microsoft.Network/*/write) on the
    resource group. Zones are checked against the target region's resource SKUs.
  - A static private address of an internal load balancer frontend is kept when it is inside its target subnet.
seealso:
  - module: azmove.site_recovery.source_vm_info
  - module: azmove.site_recovery.test_failover
"""

EXAMPLES = r"""
- name: The network of wave 1 in East US, and its test network
  azmove.site_recovery.target_network:
    use_connection: target
    source:
      connection: source
      vms: [vm-app-win01, vm-app-win02]
    resource_group: rg-network-eastus
    location: eastus
    name_replace:
      "-gov": "-eastus"
  register: network

- name: Two virtual networks; the test network copies the first one, in another address space
  azmove.site_recovery.target_network:
    use_connection: target
    source:
      virtual_networks:
        - /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-app-gov/providers/Microsoft.Network/virtualNetworks/vnet-app-gov
        - vnet-data-gov
    resource_group: rg-network-eastus
    location: eastus
    name_map:
      vnet-app-gov: vnet-app-eastus
      nsg-snet-app: nsg-app-eastus
    test_network:
      source_virtual_network: vnet-app-gov
      name: vnet-app-eastus-isolated
      address_prefixes: [10.40.0.0/16]
      attach_nsgs: true

- name: Only virtual networks and NSGs, no test network, see what would change
  azmove.site_recovery.target_network:
    use_connection: target
    source:
      resources: "{{ deps.dependencies.resources | map(attribute='id') | list }}"
    resource_group: rg-network-eastus
    location: eastus
    include: [nsgs]
    test_network:
      create: false
  check_mode: true
  diff: true
"""

RETURN = r"""
resources:
  description: Every target resource, in the order they are written.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: V(network_security_group), V(route_table), V(virtual_network), V(public_ip_address) or V(load_balancer).
      type: str
    name:
      description: Its target name.
      type: str
    source_id:
      description: The source resource it copies (for the test network, the production virtual network it copies).
      type: str
    target_id:
      description: Its id in the target.
      type: str
    purpose:
      description: V(production), or V(test) for the test network.
      type: str
    action:
      description: V(created), V(updated) or V(unchanged); in check mode, what would be done.
      type: str
    changes:
      description: For V(updated), the fields that differ, as C(field - before -> after) sentences.
      type: list
      elements: str
  sample:
    - kind: network_security_group
      name: nsg-snet-app
      source_id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-app-gov/providers/Microsoft.Network/networkSecurityGroups/nsg-snet-app
      target_id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-net-eastus/providers/Microsoft.Network/networkSecurityGroups/nsg-snet-app
      purpose: production
      action: updated
      changes: ["securityRules[allow-https-in].destinationPortRange: 443 -> 8443"]
name_map:
  description: The effective names, source name to target name, of the production resources.
  returned: always
  type: dict
  sample: {vnet-app-gov: vnet-app-eastus, nsg-snet-app: nsg-snet-app}
test_network:
  description: The test network's id, or null when none is made.
  returned: always
  type: str
  sample: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-network-eastus/providers/Microsoft.Network/virtualNetworks/vnet-app-eastus-test
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

import fnmatch
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.azmove.site_recovery.plugins.module_utils import _network_layout as nl
from ansible_collections.azmove.site_recovery.plugins.module_utils import _progress
from ansible_collections.azmove.site_recovery.plugins.module_utils._discovery import Discovery, rest, vm_dependencies
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import AzureFailure, get_or_none, is_not_found
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import wait_for_poller

# SDK operation groups of NetworkManagementClient, by kind.
OPERATIONS = {
    "network_security_group": "network_security_groups",
    "route_table": "route_tables",
    "virtual_network": "virtual_networks",
    "public_ip_address": "public_ip_addresses",
    "load_balancer": "load_balancers",
}
TEST_DEFAULTS = dict(create=True, name=None, source_virtual_network=None, address_prefixes=None, attach_nsgs=True,
                     attach_route_tables=False)


class Source:
    """The source side: one Discovery (compute and network clients) per subscription, read lazily."""

    def __init__(self, module, connection_name):
        self.module = module
        self.conn = module.connection(connection_name)
        self._discoveries = {}
        self._lookup = None

    def discovery(self, subscription_id=None):
        sub = subscription_id or self.conn.subscription_id
        if sub not in self._discoveries:
            try:
                self._discoveries[sub] = Discovery.for_connection(self.conn, sub)
            except ImportError:
                self.module.module.fail_json(msg=missing_required_lib("azure-mgmt-compute and azure-mgmt-network"),
                                             exception=traceback.format_exc())
        return self._discoveries[sub]

    @property
    def lookup(self):
        if self._lookup is None:
            self._lookup = self.discovery().lookup()
        return self._lookup

    def read(self, rid):
        key = rid.lower()
        for known in (self.lookup.public_ips, self.lookup.load_balancers):
            if key in known:
                return known[key]
        sub, rg, kind, name, _child = nl.split_id(rid)
        ops = getattr(self.discovery(sub).network, OPERATIONS[kind])
        return rest(get_or_none(ops.get, rg, name))

    def vm_seeds(self, wanted):
        disc = self.discovery()
        vms = disc.virtual_machines()
        chosen, missing = [], []
        for entry in wanted:
            if entry.startswith("/"):
                hits = [vm for vm in vms if (vm.get("id") or "").lower() == entry.lower()]
            else:
                hits = [vm for vm in vms if fnmatch.fnmatchcase((vm.get("name") or "").lower(), entry.lower())]
            if not hits and not any(c in entry for c in "*?["):
                missing.append(entry)
            chosen.extend(vm for vm in hits if vm not in chosen)
        if missing:
            self.module.fail("source.vms: no VM %s in the source subscription %s."
                             % (", ".join(missing), self.conn.subscription_id))
        facts = disc.facts(chosen, self.lookup, with_power_state=False)
        return [rid for vm in facts for _kind, rid, _relation, _via in vm_dependencies(vm)]

    def vnet_seeds(self, wanted, kinds):
        ids = [entry for entry in wanted if entry.startswith("/")]
        names = [entry for entry in wanted if not entry.startswith("/")]
        listed = [rest(v) for v in self.discovery().network.virtual_networks.list_all()] if names else []
        for entry in names:
            hits = [v["id"] for v in listed if (v.get("name") or "").lower() == entry.lower()]
            if len(hits) != 1:
                self.module.fail("source.virtual_networks: %s virtual network named %s in the source subscription %s%s."
                                 % ("no" if not hits else "more than one", entry, self.conn.subscription_id,
                                    "" if not hits else " (%s); give its id" % ", ".join(hits)))
            ids.extend(hits)
        members = nl.vnet_members(ids, self.lookup.nics.values(), self.lookup.load_balancers.values(), kinds)
        return ids + members


class TargetNetwork:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.kinds = {nl.INCLUDE[k] for k in self.p["include"]} | {"virtual_network"}
        self.result = dict(resources=[], name_map={}, test_network=None)

    def sources(self):
        src = self.p["source"]
        if not (src.get("virtual_networks") or src.get("vms") or src.get("resources")):
            self.module.fail("source needs at least one of virtual_networks, vms and resources.")
        source = Source(self.module, src["connection"])
        self.result["source_connection"] = source.conn.describe()
        seeds = list(src.get("resources") or [])
        if src.get("vms"):
            seeds += source.vm_seeds(src["vms"])
        if src.get("virtual_networks"):
            seeds += source.vnet_seeds(src["virtual_networks"], self.kinds)
        return nl.closure(seeds, source.read, self.kinds)

    def zones(self, sources):
        """The target region's zones, read only when a source resource has zones."""
        zoned = any(body.get("zones") for body in sources.values()) or any(
            fe.get("zones") for body in sources.values()
            for fe in (body.get("properties") or {}).get("frontendIPConfigurations") or [])
        if not zoned:
            return None
        compute = self.module.client("compute")
        location = nl.normalize_region(self.p["location"])
        return nl.region_zones([rest(s) for s in compute.resource_skus.list(filter="location eq '%s'" % location)], location)

    def test_options(self):
        test = dict(TEST_DEFAULTS, **{k: v for k, v in (self.p["test_network"] or {}).items() if v is not None})
        return test if test["create"] else None

    def existing_vnets(self, network):
        """The VNets of the target resource group, or None when the group does not exist."""
        try:
            return [rest(v) for v in network.virtual_networks.list(self.p["resource_group"])]
        except Exception as exc:  # pylint: disable=broad-except  # a missing group is an answer; the rest re-raised
            if is_not_found(exc):
                return None
            raise

    def present(self):
        module, p = self.module, self.p
        sources = self.sources()
        conn = module.connection()
        self.result["connection"] = conn.describe()
        network = module.client("network")
        target = nl.Target(conn.subscription_id, p["resource_group"], p["location"],
                           nl.NameMap(p["name_map"], p["name_replace"]), self.kinds, self.zones(sources))
        planned, warnings = nl.plan(sources, target, self.test_options())
        self.result["name_map"] = nl.effective_names(planned)
        tests = [item for item in planned if item.purpose == "test"]
        self.result["test_network"] = tests[0].target_id if tests else None
        vnets = self.existing_vnets(network)
        if vnets is None:
            message = ("The target resource group %s does not exist in subscription %s; create it first (in %s)."
                       % (p["resource_group"], conn.subscription_id, p["location"]))
            if not module.check_mode:
                module.fail(message, **self.result)
            warnings.append(message)
        clashes = nl.overlaps(planned, vnets or [])
        if clashes:
            message = ("Address spaces overlap virtual networks of resource group %s that this task does not manage: %s."
                       % (p["resource_group"], "; ".join(clashes)))
            if not p["allow_overlap"]:
                module.fail(message + " Overlapping networks cannot be peered or routed later; choose other names or "
                            "address spaces, or set allow_overlap=true.", **self.result)
            warnings.append(message)
        known = {(v.get("name") or "").lower(): v for v in vnets or []}
        steps = []
        for item in planned:
            ops = getattr(network, OPERATIONS[item.kind])
            if item.kind == "virtual_network":
                existing = known.get(item.name.lower())
            else:
                existing = rest(get_or_none(ops.get, p["resource_group"], item.name)) if vnets is not None else None
            if existing and nl.normalize_region(existing.get("location")) != target.location:
                module.fail("%s %s already exists in %s, not %s; a resource cannot move. Map it to another name with "
                            "name_map." % (nl.LABELS[item.kind], item.target_id, existing.get("location"), target.location),
                            **self.result)
            steps.append((item, ops, existing))
        for message in warnings:
            module.module.warn(message)
        return self.apply(steps, target)

    def apply(self, steps, target):
        module = self.module
        before, after = {}, {}
        changed = False
        for item, ops, existing in steps:
            entry = item.describe()
            if existing is None:
                entry.update(action="created", changes=[])
            else:
                entry.update(changes=nl.differences(existing, item.desired))
                entry["action"] = "updated" if entry["changes"] else "unchanged"
                for fixed in nl.create_only_changes(existing, item.desired):
                    module.module.warn("%s %s: %s; it cannot change after creation, so it is left as it is."
                                       % (nl.LABELS[item.kind], item.name, fixed))
            self.result["resources"].append(entry)
            if entry["action"] == "unchanged":
                continue
            changed = True
            key = "%s %s" % (item.kind, item.name)
            before[key] = nl.view(existing, item.desired) if existing else {}
            after[key] = nl.put_body(item.kind, None, item.desired, target.location)
            if existing:
                after[key].pop("location")  # not a managed field of an existing resource
            if module.check_mode:
                continue
            body = nl.put_body(item.kind, existing, item.desired, target.location)
            what = "%s %s to be %s" % (nl.LABELS[item.kind], item.name, entry["action"])
            try:
                poller = ops.begin_create_or_update(self.p["resource_group"], item.name, body)
                wait_for_poller(poller, what, self.p["wait_timeout"])
            except Exception as exc:  # pylint: disable=broad-except  # reported with what was done so far
                entry["action"] = "failed"
                module.fail_from(exc, "target_network, writing %s %s" % (nl.LABELS[item.kind], item.name), **self.result)
        module.exit(changed, before=before if changed else None, after=after if changed else None, **self.result)


def main():
    module = AzureModule(
        argument_spec=dict(
            source=dict(type="dict", required=True, options=dict(
                connection=dict(type="str", default="source"),
                virtual_networks=dict(type="list", elements="str"),
                vms=dict(type="list", elements="str"),
                resources=dict(type="list", elements="str"),
            )),
            resource_group=dict(type="str", required=True),
            location=dict(type="str", required=True),
            name_map=dict(type="dict"),
            name_replace=dict(type="dict"),
            include=dict(type="list", elements="str", choices=list(nl.INCLUDE), default=list(nl.INCLUDE)),
            test_network=dict(type="dict", options=dict(
                create=dict(type="bool", default=True),
                name=dict(type="str"),
                source_virtual_network=dict(type="str"),
                address_prefixes=dict(type="list", elements="str"),
                attach_nsgs=dict(type="bool", default=True),
                attach_route_tables=dict(type="bool", default=False),
            )),
            allow_overlap=dict(type="bool", default=False),
            state=dict(type="str", choices=["present"], default="present"),
            wait_timeout=dict(type="int", default=900),
            progress_file=_progress.OPTION,
        ),
    )
    manager = TargetNetwork(module)
    _progress.start(module)  # each network's creation, shown by the task while it waits

    def body():
        try:
            manager.present()
        except nl.LayoutError as exc:
            module.fail(str(exc), **manager.result)
        except AzureFailure as exc:
            module.fail_from(exc, "target_network", **manager.result)

    run(module, body, action="target_network")


if __name__ == "__main__":
    main()
