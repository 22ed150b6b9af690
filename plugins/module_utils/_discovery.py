# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Source discovery: the VMs of a subscription with what a move needs to know about each, and the
resources they depend on. Shared by the ``azure_vms`` inventory plugin and ``source_vm_info``.

Everything is computed from REST-shaped dicts (``{"id", "properties": {...}}``), the shape ARM returns
and the one the SDK models convert to, so the logic is tested with plain JSON and works with every SDK
generation. Only ``Discovery`` talks to Azure: one list call per resource type and subscription, the
VM sizes of each location in use, and (optionally) each VM's instance view for its power state.
"""

from __future__ import annotations

import fnmatch
import json
import re

DEFAULT_WAVE_TAG = "move-wave"

# Dependency kinds, in the order a report lists them, with the word a person reads.
KINDS = (
    ("virtual_network", "virtual network"),
    ("subnet", "subnet"),
    ("network_security_group", "network security group"),
    ("route_table", "route table"),
    ("public_ip_address", "public IP address"),
    ("load_balancer", "load balancer"),
    ("availability_set", "availability set"),
)
KIND_LABELS = dict(KINDS)


# -- shapes -------------------------------------------------------------------------------------------
def rest(obj):
    """An SDK model (either generation) or a dict, as the REST-shaped plain dict ARM sent."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [rest(o) for o in obj]
    if hasattr(obj, "serialize") and not hasattr(obj, "keys"):
        return obj.serialize(keep_readonly=True)  # msrest models (older SDK generations)
    if hasattr(obj, "as_dict") and hasattr(obj, "keys"):
        return json.loads(json.dumps(obj.as_dict(), default=str))  # hybrid models: REST keys already
    if isinstance(obj, dict):
        return json.loads(json.dumps(obj, default=str))
    return obj


def parse_id(resource_id):
    """subscription_id, resource_group, namespace, type and name (the resource's, for a child's id) of an ARM id, as
    azure-mgmt-core reads it (a resource group may be called ``providers``); for anything else, name is its last part."""
    from azure.mgmt.core.tools import parse_resource_id  # pylint: disable=import-outside-toplevel

    value = (resource_id or "").rstrip("/")
    parsed = parse_resource_id(value) if value.lower().startswith("/subscriptions/") else {}
    return {"id": resource_id, "subscription_id": parsed.get("subscription"), "resource_group": parsed.get("resource_group"),
            "namespace": parsed.get("namespace"), "type": parsed.get("type"),
            "name": parsed["name"] if "type" in parsed else _name_of(value)}


def _key(resource_id):
    return (resource_id or "").lower()


def _ref(obj):
    return (obj or {}).get("id") if isinstance(obj, dict) else None


def _props(obj):
    return (obj or {}).get("properties") or {}


def _name_of(resource_id):
    """The last segment of an id: a resource's name, or a child's (subnet, backend pool)."""
    return [p for p in resource_id.split("/") if p][-1] if resource_id and resource_id.strip("/") else None


def parent_id(child_id, collection):
    """The id of the resource a child belongs to: ``.../virtualNetworks/v/subnets/s`` -> ``.../virtualNetworks/v``."""
    head, sep, _tail = (child_id or "").rpartition("/%s/" % collection)
    return head if sep else None


def safe_group_name(text):
    """A group name Ansible accepts: letters, digits and underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", str(text))


# -- sizes ------------------------------------------------------------------------------------------------
def size_catalog(skus):
    """{size (lower case): {vcpus, memory_gb, family}} from resource SKU entries (virtualMachines only)."""
    out = {}
    for sku in skus or []:
        sku = rest(sku)
        if (sku.get("resourceType") or "").lower() != "virtualmachines" or not sku.get("name"):
            continue
        caps = {c.get("name"): c.get("value") for c in sku.get("capabilities") or []}
        restricted = [r.get("reasonCode") or "restricted" for r in sku.get("restrictions") or [] if (r.get("type") or "").lower() == "location"]
        out[sku["name"].lower()] = {
            "name": sku["name"],
            "vcpus": _number(caps.get("vCPUs"), int),
            "memory_gb": _number(caps.get("MemoryGB"), float),
            "family": sku.get("family"),
            # A Location restriction (for example NotAvailableForSubscription): the size cannot be deployed there.
            "restricted": restricted[0] if restricted else None,
        }
    return out


def _number(value, kind):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        return None
    if kind is float and number == int(number):
        return int(number)
    return number


# -- filters -------------------------------------------------------------------------------------------------
def matches(vm, resource_groups=None, tags=None, names=None, exclude_names=None):
    """Whether a REST-shaped VM passes the filters: any of the resource groups, all the tags (a tag given
    with an empty or null value only needs to exist), any of the name patterns, none of the exclusions."""
    parsed = parse_id(vm.get("id"))
    if resource_groups and (parsed["resource_group"] or "").lower() not in {g.lower() for g in resource_groups}:
        return False
    vm_tags = vm.get("tags") or {}
    for key, value in (tags or {}).items():
        if key not in vm_tags:
            return False
        if value not in (None, "") and str(vm_tags[key]) != str(value):
            return False
    name = (vm.get("name") or "").lower()
    if names and not any(fnmatch.fnmatchcase(name, p.lower()) for p in names):
        return False
    if exclude_names and any(fnmatch.fnmatchcase(name, p.lower()) for p in exclude_names):
        return False
    return True


# -- facts of one VM -------------------------------------------------------------------------------------------
def power_state(instance_view):
    """``running``, ``deallocated``, ... from an instance view's PowerState/* status (None if unknown)."""
    for status in (instance_view or {}).get("statuses") or []:
        code = status.get("code") or ""
        if code.startswith("PowerState/"):
            return code.split("/", 1)[1]
    return None


class Lookup:
    """The network resources of the subscriptions in play, by lower-case id."""

    def __init__(self, nics=(), vnets=(), public_ips=(), load_balancers=()):
        self.nics = {_key(n["id"]): n for n in map(rest, nics)}
        self.subnets = {}
        for vnet in map(rest, vnets):
            for subnet in _props(vnet).get("subnets") or []:
                self.subnets[_key(subnet.get("id"))] = subnet
        self.public_ips = {_key(p["id"]): p for p in map(rest, public_ips)}
        self.load_balancers = {_key(lb["id"]): lb for lb in map(rest, load_balancers)}


def _disk(disk):
    managed = disk.get("managedDisk") or {}
    return {
        "name": disk.get("name"),
        "id": managed.get("id"),
        "lun": disk.get("lun"),
        "size_gb": disk.get("diskSizeGB"),
        "sku": managed.get("storageAccountType"),
        "caching": disk.get("caching"),
    }


def _public_ip(pip_id, lookup):
    pip = lookup.public_ips.get(_key(pip_id)) or {}
    props = _props(pip)
    return {
        "id": pip.get("id") or pip_id,
        "name": pip.get("name") or _name_of(pip_id),
        "ip_address": props.get("ipAddress"),
        "sku": (pip.get("sku") or {}).get("name"),
        "allocation": props.get("publicIPAllocationMethod"),
        "fqdn": (props.get("dnsSettings") or {}).get("fqdn"),
    }


def _nic_facts(nic_ref, lookup):
    nic_id = _ref(nic_ref)
    nic = lookup.nics.get(_key(nic_id)) or {"id": nic_id, "name": _name_of(nic_id)}
    props = _props(nic)
    nic_nsg = _ref(props.get("networkSecurityGroup"))
    configs = []
    for ipc in props.get("ipConfigurations") or []:
        ip = _props(ipc)
        subnet_id = _ref(ip.get("subnet"))
        subnet = lookup.subnets.get(_key(subnet_id)) or {}
        sprops = _props(subnet)
        vnet_id = parent_id(subnet_id, "subnets")
        pools = []
        for pool in ip.get("loadBalancerBackendAddressPools") or []:
            pool_id = _ref(pool)
            lb_id = parent_id(pool_id, "backendAddressPools")
            lb = lookup.load_balancers.get(_key(lb_id)) or {}
            pools.append({"id": pool_id, "name": _name_of(pool_id), "load_balancer_id": lb.get("id") or lb_id,
                          "load_balancer": lb.get("name") or _name_of(lb_id),
                          "load_balancer_sku": (lb.get("sku") or {}).get("name")})
        pip_id = _ref(ip.get("publicIPAddress"))
        configs.append({
            "name": ipc.get("name"),
            "primary": bool(ip.get("primary", len(configs) == 0)),
            "private_ip": ip.get("privateIPAddress"),
            "private_ip_allocation": ip.get("privateIPAllocationMethod"),
            "subnet_id": subnet_id,
            "subnet": _name_of(subnet_id),
            "subnet_address_prefix": sprops.get("addressPrefix") or (sprops.get("addressPrefixes") or [None])[0],
            "subnet_network_security_group_id": _ref(sprops.get("networkSecurityGroup")),
            "subnet_route_table_id": _ref(sprops.get("routeTable")),
            "virtual_network_id": vnet_id,
            "virtual_network": _name_of(vnet_id),
            "public_ip": _public_ip(pip_id, lookup) if pip_id else None,
            "load_balancer_backend_pools": pools,
        })
    configs.sort(key=lambda c: not c["primary"])
    return {
        "id": nic.get("id") or nic_id,
        "name": nic.get("name") or _name_of(nic_id),
        "primary": bool(_props(nic_ref).get("primary", props.get("primary", False))),
        "mac_address": props.get("macAddress"),
        "accelerated_networking": props.get("enableAcceleratedNetworking"),
        "ip_forwarding": props.get("enableIPForwarding"),
        "network_security_group_id": nic_nsg,
        "ip_configurations": configs,
    }


def _unique(items):
    out = []
    seen = set()
    for item in items:
        if item and _key(item) not in seen:
            seen.add(_key(item))
            out.append(item)
    return out


def vm_facts(vm, lookup, sizes=None, instance_view=None, wave_tag=DEFAULT_WAVE_TAG):
    """Everything the move needs to know about one VM, as snake_case keys (the host variables, unprefixed)."""
    vm = rest(vm)
    props = _props(vm)
    parsed = parse_id(vm.get("id"))
    storage = props.get("storageProfile") or {}
    os_disk = storage.get("osDisk") or {}
    image = storage.get("imageReference") or {}
    view = rest(instance_view) if instance_view is not None else (props.get("instanceView") or None)
    size = (props.get("hardwareProfile") or {}).get("vmSize")
    size_info = (sizes or {}).get((size or "").lower()) or {}
    nic_refs = (props.get("networkProfile") or {}).get("networkInterfaces") or []
    nics = [_nic_facts(ref, lookup) for ref in nic_refs]
    nics.sort(key=lambda n: not n["primary"])
    if nics and not any(n["primary"] for n in nics):
        nics[0]["primary"] = True
    configs = [c for n in nics for c in n["ip_configurations"]]
    avset_id = _ref(props.get("availabilitySet"))
    os_type = os_disk.get("osType") or ("Windows" if (props.get("osProfile") or {}).get("windowsConfiguration")
                                        else "Linux" if (props.get("osProfile") or {}).get("linuxConfiguration")
                                        else None)
    os_name = (view or {}).get("osName") or (" ".join(x for x in (image.get("offer"), image.get("sku")) if x) or None)
    data_disks = [_disk(d) for d in storage.get("dataDisks") or []]
    tags = vm.get("tags") or {}
    zones = vm.get("zones") or []
    nsgs = []
    for nic in nics:
        if nic["network_security_group_id"]:
            nsgs.append({"id": nic["network_security_group_id"], "name": _name_of(nic["network_security_group_id"]),
                         "applies_to": "network_interface", "network_interface": nic["name"]})
    for cfg in configs:
        if cfg["subnet_network_security_group_id"]:
            nsgs.append({"id": cfg["subnet_network_security_group_id"],
                         "name": _name_of(cfg["subnet_network_security_group_id"]),
                         "applies_to": "subnet", "subnet": cfg["subnet"]})
    primary = configs[0] if configs else {}
    lbs = {}
    for cfg in configs:
        for pool in cfg["load_balancer_backend_pools"]:
            entry = lbs.setdefault(_key(pool["load_balancer_id"]), {
                "id": pool["load_balancer_id"], "name": pool["load_balancer"], "sku": pool["load_balancer_sku"],
                "backend_pools": []})
            if pool["name"] not in entry["backend_pools"]:
                entry["backend_pools"].append(pool["name"])
    return {
        "id": vm.get("id"),
        "name": vm.get("name"),
        "resource_group": parsed["resource_group"],
        "subscription_id": parsed["subscription_id"],
        "location": vm.get("location"),
        "computer_name": (view or {}).get("computerName") or (props.get("osProfile") or {}).get("computerName"),
        "os_type": os_type,
        "os_name": os_name,
        "os_version": (view or {}).get("osVersion"),
        "image": {k: image.get(k) for k in ("publisher", "offer", "sku", "version")} if image else None,
        "size": size,
        "vcpus": size_info.get("vcpus"),
        "memory_gb": size_info.get("memory_gb"),
        "size_family": size_info.get("family"),
        "power_state": power_state(view),
        "private_ips": _unique(c["private_ip"] for c in configs),
        "public_ips": _unique(c["public_ip"]["ip_address"] for c in configs if c["public_ip"]),
        "os_disk": dict(_disk(os_disk), lun=None) if os_disk else None,
        "data_disks": data_disks,
        "disk_size_gb_total": sum(d.get("size_gb") or 0 for d in ([_disk(os_disk)] if os_disk else []) + data_disks),
        "nics": nics,
        "virtual_network": primary.get("virtual_network"),
        "virtual_network_id": primary.get("virtual_network_id"),
        "subnet": primary.get("subnet"),
        "subnet_id": primary.get("subnet_id"),
        "network_security_groups": nsgs,
        "route_tables": [{"id": rt, "name": _name_of(rt)} for rt in _unique(c["subnet_route_table_id"] for c in configs)],
        "public_ip_addresses": [c["public_ip"] for c in configs if c["public_ip"]],
        "load_balancers": list(lbs.values()),
        "availability_set": _name_of(avset_id),
        "availability_set_id": avset_id,
        "zone": zones[0] if zones else None,
        "tags": tags,
        "wave": tags.get(wave_tag) if wave_tag else None,
    }


# -- dependencies -------------------------------------------------------------------------------------------------
def vm_dependencies(facts):
    """The resources one VM depends on: [(kind, id, relation, via)] with `via` the id it goes through."""
    deps = []
    for nic in facts.get("nics") or []:
        if nic.get("network_security_group_id"):
            deps.append(("network_security_group", nic["network_security_group_id"], "network interface NSG", None))
        for cfg in nic.get("ip_configurations") or []:
            subnet = cfg.get("subnet_id")
            if subnet:
                deps.append(("subnet", subnet, "network interface in subnet", None))
                if cfg.get("virtual_network_id"):
                    deps.append(("virtual_network", cfg["virtual_network_id"], "subnet of", subnet))
                if cfg.get("subnet_network_security_group_id"):
                    deps.append(("network_security_group", cfg["subnet_network_security_group_id"], "subnet NSG", subnet))
                if cfg.get("subnet_route_table_id"):
                    deps.append(("route_table", cfg["subnet_route_table_id"], "subnet route table", subnet))
            if cfg.get("public_ip"):
                deps.append(("public_ip_address", cfg["public_ip"]["id"], "public IP address", None))
            for pool in cfg.get("load_balancer_backend_pools") or []:
                deps.append(("load_balancer", pool["load_balancer_id"], "backend pool %s" % pool["name"], None))
    if facts.get("availability_set_id"):
        deps.append(("availability_set", facts["availability_set_id"], "availability set", None))
    return deps


def analyze_dependencies(scope, everything):
    """What the VMs in `scope` depend on, and who outside the scope uses the same resources.

    `scope` and `everything` are lists of VM facts (``vm_facts``); `everything` is every VM of the
    subscriptions looked at, in scope or not. Returns {scope, resources, edges, outside_edges,
    shared_outside_scope}: `edges` go from an in-scope VM (or the subnet a dependency comes through)
    to what it depends on; `outside_edges` from a VM outside the scope to a shared resource it uses directly.
    """
    in_scope = {_key(v["id"]) for v in scope}
    resources = {}
    edges, outside_edges = [], []
    seen = set()

    def add_edge(target_list, source, target, relation):
        marker = (target_list is edges, _key(source), _key(target))
        if marker not in seen:
            seen.add(marker)
            target_list.append({"from": source, "to": target, "relation": relation})

    for vm in scope:
        for kind, rid, relation, via in vm_dependencies(vm):
            entry = resources.setdefault(_key(rid), {
                "id": rid, "name": _name_of(rid), "type": kind, "resource_group": parse_id(rid)["resource_group"],
                "used_by": [], "used_outside_scope_by": [], "shared_outside_scope": False})
            if kind == "subnet":
                entry["name"] = "%s/%s" % (_name_of(parent_id(rid, "subnets")), _name_of(rid))
            if vm["name"] not in entry["used_by"]:
                entry["used_by"].append(vm["name"])
            add_edge(edges, via or vm["id"], rid, relation)
    for vm in everything:
        if _key(vm["id"]) in in_scope:
            continue
        for _kind, rid, relation, via in vm_dependencies(vm):
            entry = resources.get(_key(rid))
            if entry is None:
                continue
            if vm["name"] not in entry["used_outside_scope_by"]:
                entry["used_outside_scope_by"].append(vm["name"])
            if via is None:
                add_edge(outside_edges, vm["id"], rid, relation)
            elif _key(via) not in resources:  # e.g. the same VNet through another subnet
                add_edge(outside_edges, vm["id"], rid, "through %s %s" % (KIND_LABELS["subnet"], _name_of(via)))
    order = {kind: i for i, (kind, _label) in enumerate(KINDS)}
    listed = sorted(resources.values(), key=lambda r: (order.get(r["type"], 99), r["name"] or ""))
    for entry in listed:
        entry["shared_outside_scope"] = bool(entry["used_outside_scope_by"])
        entry["used_by"].sort()
        entry["used_outside_scope_by"].sort()
    return {
        "scope": sorted(v["name"] for v in scope),
        "resources": listed,
        "edges": edges,
        "outside_edges": outside_edges,
        "shared_outside_scope": [r["id"] for r in listed if r["shared_outside_scope"]],
    }


def _label(text):
    return str(text).replace('"', "#quot;")


def mermaid(analysis, everything=None):
    """A Mermaid flowchart of a dependency analysis: the VMs in scope, what they depend on, and (dashed) the
    VMs outside the scope that share a resource; shared resources are drawn in red."""
    lines = ["flowchart LR"]
    ids = {}

    def node(key):
        if _key(key) not in ids:
            ids[_key(key)] = "n%d" % len(ids)
        return ids[_key(key)]

    names = {_key(v["id"]): v["name"] for v in everything or []}
    scope_ids = {_key(e["from"]) for e in analysis["edges"] if "/virtualmachines/" in _key(e["from"])}
    lines.append('  subgraph scope["In scope"]')
    for vm_id in sorted(scope_ids):
        lines.append('    %s["%s<br/>VM"]:::vm' % (node(vm_id), _label(names.get(vm_id) or _name_of(vm_id))))
    lines.append("  end")
    for res in analysis["resources"]:
        css = "shared" if res["shared_outside_scope"] else "dep"
        kind = KIND_LABELS.get(res["type"], res["type"])
        lines.append('  %s["%s<br/>%s"]:::%s' % (node(res["id"]), _label(res["name"]), kind, css))
    for edge in analysis["edges"]:
        lines.append("  %s -->|%s| %s" % (node(edge["from"]), _label(edge["relation"]), node(edge["to"])))
    outside_ids = sorted({_key(e["from"]) for e in analysis.get("outside_edges") or []})
    if outside_ids:
        lines.append('  subgraph outside["Outside the scope"]')
        for vm_id in outside_ids:
            lines.append('    %s["%s<br/>VM"]:::outside' % (node(vm_id), _label(names.get(vm_id) or _name_of(vm_id))))
        lines.append("  end")
        for edge in analysis["outside_edges"]:
            lines.append("  %s -.->|%s| %s" % (node(edge["from"]), _label(edge["relation"]), node(edge["to"])))
    lines.append("  classDef vm fill:#dbeafe,stroke:#1e3a8a")
    lines.append("  classDef dep fill:#f8fafc,stroke:#475569")
    lines.append("  classDef shared fill:#fee2e2,stroke:#b91c1c,stroke-width:2px")
    lines.append("  classDef outside fill:#f3f4f6,stroke:#6b7280,stroke-dasharray:4 2")
    return "\n".join(lines) + "\n"


# -- reading Azure ------------------------------------------------------------------------------------------------
class Discovery:
    """Reads one subscription through a compute and a network client (any SDK generation)."""

    def __init__(self, compute, network, subscription_id=None):
        self.compute = compute
        self.network = network
        self.subscription_id = subscription_id
        self._sizes = {}

    @classmethod
    def for_connection(cls, connection, subscription_id):
        """Clients of a resolved connection (``_module.Connection``) for one of its cloud's subscriptions.
        Raises ImportError when an SDK package is missing."""
        import importlib  # pylint: disable=import-outside-toplevel

        from ._module import CLIENTS  # pylint: disable=import-outside-toplevel

        clients = []
        for kind in ("compute", "network"):
            path, cls_name, _package = CLIENTS[kind]
            client_cls = getattr(importlib.import_module(path), cls_name)
            clients.append(client_cls(connection.credential, subscription_id, **connection.client_kwargs()))
        return cls(clients[0], clients[1], subscription_id)

    def _list(self, operations, *args, **kwargs):
        return [rest(item) for item in operations.list_all(*args, **kwargs)]

    def virtual_machines(self):
        return self._list(self.compute.virtual_machines)

    def lookup(self):
        return Lookup(
            nics=self._list(self.network.network_interfaces),
            vnets=self._list(self.network.virtual_networks),
            public_ips=self._list(self.network.public_ip_addresses),
            load_balancers=self._list(self.network.load_balancers),
        )

    def sizes(self, location):
        """The VM sizes of a location (vCPUs, memory) from the resource SKUs, read once per location."""
        key = (location or "").lower()
        if key not in self._sizes:
            self._sizes[key] = size_catalog(self.compute.resource_skus.list(filter="location eq '%s'" % key))
        return self._sizes[key]

    def instance_view(self, vm):
        parsed = parse_id(vm["id"])
        return rest(self.compute.virtual_machines.instance_view(parsed["resource_group"], vm["name"]))

    def facts(self, vms=None, lookup=None, with_power_state=True, wave_tag=DEFAULT_WAVE_TAG, filters=None):
        """Facts of the VMs that pass `filters` (the keyword arguments of ``matches``)."""
        vms = self.virtual_machines() if vms is None else vms
        lookup = lookup or self.lookup()
        out = []
        for vm in vms:
            if filters is not None and not matches(vm, **filters):
                continue
            sizes = self.sizes(vm.get("location"))
            view = self.instance_view(vm) if with_power_state else None
            out.append(vm_facts(vm, lookup, sizes, view, wave_tag))
        return out


def discover(discoveries, filters, with_power_state=True, wave_tag=DEFAULT_WAVE_TAG, dependencies=False):
    """Facts of the VMs in scope over several subscriptions (one Discovery each), sorted by name; with
    `dependencies`, also the analysis against every VM of those subscriptions. Returns (facts, analysis)."""
    scope, everything = [], []
    for disc in discoveries:
        vms = disc.virtual_machines()
        lookup = disc.lookup()
        chosen = [vm for vm in vms if matches(vm, **filters)]
        scope.extend(disc.facts(chosen, lookup, with_power_state, wave_tag))
        if dependencies:
            chosen_ids = {_key(vm["id"]) for vm in chosen}
            others = [vm for vm in vms if _key(vm["id"]) not in chosen_ids]
            everything.extend(disc.facts(others, lookup, False, wave_tag))
    scope.sort(key=lambda f: (f["name"] or "").lower())
    analysis = analyze_dependencies(scope, scope + everything) if dependencies else None
    return scope, analysis
