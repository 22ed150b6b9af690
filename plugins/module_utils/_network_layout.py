# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The source network layout recreated in the target region, without Ansible and without Azure.

Everything works on REST-shaped dicts (``{"id", "name", "location", "properties": {...}}``), what ARM sends
and what the SDK models' ``as_dict()`` (or ``_discovery.rest()``) gives. From the source resources this
computes the *desired* target resources: names through a mapping, the target location, every reference
rewritten to the target ids, read-only and computed fields left out. A desired body holds only the fields this
collection manages; a key present with the value None means "managed, and absent", a key left out means "not
managed: keep what the target has". ``differences`` compares an existing target resource with its desired
body over those fields only, ``put_body`` makes the body of the PUT from the existing resource and the
desired fields, so settings made in the target by hand (extra subnets, rules, tags, peerings) survive.
"""

from __future__ import annotations

import copy
import ipaddress
import re

# Kinds in creation order: what a subnet references first, then VNets, then what a load balancer references.
ORDER = ("network_security_group", "route_table", "virtual_network", "public_ip_address", "load_balancer")
SEGMENTS = {
    "network_security_group": "networkSecurityGroups",
    "route_table": "routeTables",
    "virtual_network": "virtualNetworks",
    "public_ip_address": "publicIPAddresses",
    "load_balancer": "loadBalancers",
}
KIND_OF_SEGMENT = {segment.lower(): kind for kind, segment in SEGMENTS.items()}
LABELS = {
    "network_security_group": "network security group",
    "route_table": "route table",
    "virtual_network": "virtual network",
    "public_ip_address": "public IP address",
    "load_balancer": "load balancer",
}
# The values of the module's `include` option, and the kind each one brings. VNets are always recreated.
INCLUDE = {
    "nsgs": "network_security_group",
    "route_tables": "route_table",
    "public_ips": "public_ip_address",
    "load_balancers": "load_balancer",
}

RULE_KEYS = ("description", "protocol", "sourcePortRange", "sourcePortRanges", "destinationPortRange",
             "destinationPortRanges", "sourceAddressPrefix", "sourceAddressPrefixes", "destinationAddressPrefix",
             "destinationAddressPrefixes", "access", "priority", "direction")
ROUTE_KEYS = ("addressPrefix", "nextHopType", "nextHopIpAddress")
PROBE_KEYS = ("protocol", "port", "requestPath", "intervalInSeconds", "numberOfProbes", "probeThreshold")
LB_RULE_KEYS = ("protocol", "frontendPort", "backendPort", "enableFloatingIP", "idleTimeoutInMinutes",
                "loadDistribution", "disableOutboundSnat", "enableTcpReset")

# Lists of children matched by name: a child of the target that the source does not have is left alone.
NAMED_LISTS = ("securityRules", "routes", "subnets", "frontendIPConfigurations", "backendAddressPools", "probes",
               "loadBalancingRules")
# Lists whose order means nothing.
UNORDERED = ("addressPrefixes", "zones", "sourcePortRanges", "destinationPortRanges", "sourceAddressPrefixes",
             "destinationAddressPrefixes", "backendAddressPools")
# Set when the resource is created and never changed after: Azure refuses the change, so an update keeps
# what the target has (and the module warns).
CREATE_ONLY = ("sku", "zones")

# Read-only or computed wherever they appear in the kinds handled here: never sent, never compared.
READ_ONLY = ("etag", "provisioningState", "resourceGuid", "ipConfigurations", "ipConfiguration",
             "backendIPConfigurations", "backendIPConfiguration", "defaultSecurityRules", "networkInterfaces",
             "hasBgpOverride", "fqdn", "ipAddress", "privateEndpoints", "resourceNavigationLinks",
             "serviceAssociationLinks", "ipConfigurationProfiles", "purpose", "outboundRule")
# Back-references on a load balancer's children (forward references on the load balancer itself).
LB_CHILD_BACKREFS = ("loadBalancingRules", "inboundNatRules", "outboundRules", "inboundNatPools")
# e.g. "Storage.USGovVirginia": a service tag scoped to a region, which means another region in the target.
REGIONAL_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9]*$")


class LayoutError(ValueError):
    """A request refused before anything is written."""


# -- ids and names -------------------------------------------------------------------------------------
def normalize_region(name):
    """ARM's spelling of a region: 'US Gov Virginia' and 'usgovvirginia' are the same."""
    return (name or "").replace(" ", "").replace("_", "").replace("-", "").lower()


def split_id(resource_id):
    """(subscription, resource group, kind, name, child path) of a Microsoft.Network id, or None."""
    from azure.mgmt.core.tools import parse_resource_id  # pylint: disable=import-outside-toplevel

    value = (resource_id or "").rstrip("/")
    parts = parse_resource_id(value) if value.lower().startswith("/subscriptions/") else {}
    if "resource_group" not in parts or (parts.get("namespace") or "").lower() != "microsoft.network" \
            or (parts.get("type") or "").lower() not in KIND_OF_SEGMENT:
        return None
    return (parts["subscription"], parts["resource_group"], KIND_OF_SEGMENT[parts["type"].lower()], parts["name"],
            "/".join(p for p in parts["children"].split("/") if p))


def kind_of(resource_id):
    parsed = split_id(resource_id)
    return parsed[2] if parsed else None


def resource_id_of(resource_id):
    """The id of the resource itself, without a child path (a subnet's id gives its VNet's)."""
    parsed = split_id(resource_id)
    if not parsed:
        return None
    sub, rg, kind, name, _child = parsed
    return network_id(sub, rg, kind, name)


def network_id(subscription_id, resource_group, kind, name):
    from azure.mgmt.core.tools import resource_id  # pylint: disable=import-outside-toplevel

    return resource_id(subscription=subscription_id, resource_group=resource_group, namespace="Microsoft.Network",
                       type=SEGMENTS[kind], name=name)


def _key(text):
    return (text or "").lower()


def _ref(obj):
    return obj.get("id") if isinstance(obj, dict) else None


def _props(obj):
    return (obj or {}).get("properties") or {}


class NameMap:
    """Target names: an entry of ``name_map`` (by source name or source id, case-insensitive) wins; otherwise
    each ``name_replace`` pair is applied in turn (plain text, not a pattern); otherwise the name is kept."""

    def __init__(self, name_map=None, name_replace=None):
        self.entries = {_key(k): v for k, v in (name_map or {}).items()}
        self.replace = list((name_replace or {}).items())
        for source, target in self.entries.items():
            if not isinstance(target, str) or not target:
                raise LayoutError("name_map needs a name for each entry; %r maps to %r." % (source, target))
        for old, new in self.replace:
            if not isinstance(new, str):
                raise LayoutError("name_replace needs text to put instead of %r, not %r." % (old, new))

    def target(self, source_id):
        parsed = split_id(source_id)
        name = parsed[3] if parsed else source_id
        for key in (_key(resource_id_of(source_id) or source_id), _key(name)):
            if key in self.entries:
                return self.entries[key]
        for old, new in self.replace:
            if old:
                name = name.replace(old, new)
        return name


# -- which source resources --------------------------------------------------------------------------------
def references(kind, body, kinds):
    """Ids of the resources (of the given kinds, VNets always) that a source resource needs in the target."""
    props = _props(body)
    out = []
    if kind == "virtual_network":
        for subnet in props.get("subnets") or []:
            sprops = _props(subnet)
            if "network_security_group" in kinds and _ref(sprops.get("networkSecurityGroup")):
                out.append(resource_id_of(sprops["networkSecurityGroup"]["id"]))
            if "route_table" in kinds and _ref(sprops.get("routeTable")):
                out.append(resource_id_of(sprops["routeTable"]["id"]))
    elif kind == "load_balancer":
        for fe in props.get("frontendIPConfigurations") or []:
            fprops = _props(fe)
            if _ref(fprops.get("subnet")):
                out.append(resource_id_of(fprops["subnet"]["id"]))
            if "public_ip_address" in kinds and _ref(fprops.get("publicIPAddress")):
                out.append(resource_id_of(fprops["publicIPAddress"]["id"]))
    return [rid for rid in out if rid]


def vnet_members(vnet_ids, nics=(), load_balancers=(), kinds=ORDER):
    """What lives in these VNets: the NSGs and public IPs of the NICs in their subnets, the load balancers those
    NICs are behind or whose frontends are in the subnets. Ids, in the order found."""
    wanted = {_key(v) for v in vnet_ids}
    out = []

    def in_vnets(subnet_ref):
        return _key(resource_id_of(_ref(subnet_ref))) in wanted

    for nic in nics:
        props = _props(nic)
        configs = [c for c in props.get("ipConfigurations") or [] if in_vnets(_props(c).get("subnet"))]
        if not configs:
            continue
        if "network_security_group" in kinds and _ref(props.get("networkSecurityGroup")):
            out.append(props["networkSecurityGroup"]["id"])
        for cfg in configs:
            cprops = _props(cfg)
            if "public_ip_address" in kinds and _ref(cprops.get("publicIPAddress")):
                out.append(cprops["publicIPAddress"]["id"])
            if "load_balancer" in kinds:
                out.extend(resource_id_of(_ref(pool)) for pool in cprops.get("loadBalancerBackendAddressPools") or [])
    if "load_balancer" in kinds:
        for lb in load_balancers:
            if any(in_vnets(_props(fe).get("subnet")) for fe in _props(lb).get("frontendIPConfigurations") or []):
                out.append(lb["id"])
    return [rid for rid in out if rid]


def closure(seeds, read, kinds):
    """Every source resource the layout needs, from the seed ids: ``read(id)`` gives a resource's REST body
    (or None when it does not exist). Returns {lower id: body}; raises LayoutError for a missing one."""
    found = {}
    queue = [resource_id_of(s) or s for s in seeds]
    while queue:
        rid = queue.pop(0)
        kind = kind_of(rid)
        if kind is None or _key(rid) in found or (kind != "virtual_network" and kind not in kinds):
            continue
        body = read(rid)
        if body is None:
            raise LayoutError("The source %s %s does not exist (or cannot be read)." % (LABELS[kind], rid))
        found[_key(rid)] = body
        queue.extend(references(kind, body, kinds))
    return found


# -- the desired target resources --------------------------------------------------------------------------------
class Target:
    """Where the layout goes: subscription, resource group, region, names, which kinds, the region's zones."""

    def __init__(self, subscription_id, resource_group, location, names=None, kinds=ORDER, zones=None):
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.location = normalize_region(location)
        self.names = names or NameMap()
        self.kinds = set(kinds) | {"virtual_network"}
        self.zones = None if zones is None else {str(z) for z in zones}  # None: unknown, keep them

    def id_for(self, source_ref):
        """The target id of a source id (a child keeps its path under the mapped parent)."""
        parsed = split_id(source_ref)
        if not parsed:
            return source_ref
        child = parsed[4]
        base = network_id(self.subscription_id, self.resource_group, parsed[2], self.names.target(source_ref))
        return base + ("/" + child if child else "")

    def ref(self, source_obj):
        rid = _ref(source_obj)
        return {"id": self.id_for(rid)} if rid else None

    def keep_zones(self, zones, what, warnings):
        zones = [str(z) for z in zones or []]
        if not zones or self.zones is None:
            return sorted(zones) or None
        kept = sorted(z for z in zones if z in self.zones)
        if kept != sorted(zones):
            warnings.append("%s is in zones %s of the source; %s has %s, so it gets %s." % (
                what, ", ".join(zones), self.location, ", ".join(sorted(self.zones)) or "no zones",
                ", ".join(kept) or "no zone"))
        return kept or None


class Planned:
    """One target resource: its kind, names, ids, desired managed fields and what the source said about it."""

    def __init__(self, kind, source, name, target_id, desired, purpose="production"):
        self.kind = kind
        self.source = source
        self.source_id = source.get("id")
        self.name = name
        self.target_id = target_id
        self.desired = desired
        self.purpose = purpose

    def describe(self):
        return {"kind": self.kind, "name": self.name, "source_id": self.source_id, "target_id": self.target_id,
                "purpose": self.purpose}


def _pick(props, keys):
    """The keys the source sets; a key it leaves out stays unmanaged (Azure's default in the target counts)."""
    return {k: copy.deepcopy(props[k]) for k in keys if not _empty(props.get(k))}


# A security rule has either the single or the list form of each of these; the other must go.
RULE_PAIRS = (("sourcePortRange", "sourcePortRanges"), ("destinationPortRange", "destinationPortRanges"),
              ("sourceAddressPrefix", "sourceAddressPrefixes"), ("destinationAddressPrefix", "destinationAddressPrefixes"))


def _rule_props(props):
    out = _pick(props, RULE_KEYS)
    for single, plural in RULE_PAIRS:
        if single in out:
            out[plural] = None
        elif plural in out:
            out[single] = None
    out.setdefault("description", None)
    return out


def _tags(source):
    return dict(source.get("tags") or {})


def desired_nsg(source, target, warnings):
    rules = []
    for rule in _props(source).get("securityRules") or []:
        props = _props(rule)
        if props.get("sourceApplicationSecurityGroups") or props.get("destinationApplicationSecurityGroups"):
            warnings.append("Security rule %s of %s uses application security groups, which are not copied; the "
                            "rule is left out." % (rule.get("name"), source.get("name")))
            continue
        for key in ("sourceAddressPrefix", "destinationAddressPrefix"):
            if REGIONAL_TAG.match(str(props.get(key) or "")):
                warnings.append("Security rule %s of %s uses the regional service tag %s, which names a source "
                                "region; change it in the target." % (rule.get("name"), source.get("name"), props[key]))
        rules.append({"name": rule.get("name"), "properties": _rule_props(props)})
    return {"tags": _tags(source), "properties": {"securityRules": rules}}


def desired_route_table(source, target, warnings):
    props = _props(source)
    routes = []
    for route in props.get("routes") or []:
        out = _pick(_props(route), ROUTE_KEYS)
        out.setdefault("nextHopIpAddress", None)  # only for a virtual appliance; gone when the source has none
        routes.append({"name": route.get("name"), "properties": out})
    return {"tags": _tags(source), "properties": {
        "disableBgpRoutePropagation": bool(props.get("disableBgpRoutePropagation", False)), "routes": routes}}


def _prefixes(props):
    if props.get("addressPrefix"):
        return [props["addressPrefix"]]
    return list(props.get("addressPrefixes") or [])


def _subnet_prefix_fields(prefixes):
    if len(prefixes) == 1:
        return {"addressPrefix": prefixes[0], "addressPrefixes": None}
    return {"addressPrefix": None, "addressPrefixes": list(prefixes)}


def desired_vnet(source, target, warnings, nsgs=True, route_tables=True, space=None, prefix_map=None):
    """A VNet with the source's address space and subnets; `nsgs` / `route_tables` False detach them (the test
    network), None leaves them unmanaged (their kind is not included). `space` / `prefix_map` readdress it."""
    props = _props(source)
    subnets = []
    for subnet in props.get("subnets") or []:
        sprops = _props(subnet)
        prefixes = _prefixes(sprops)
        if prefix_map:
            prefixes = [prefix_map[p] for p in prefixes]
        out = _subnet_prefix_fields(prefixes)
        for key, kind, attach in (("networkSecurityGroup", "network_security_group", nsgs),
                                  ("routeTable", "route_table", route_tables)):
            if kind not in target.kinds:
                continue  # not managed: the target keeps what it has
            out[key] = target.ref(sprops.get(key)) if attach else None
        subnets.append({"name": subnet.get("name"), "properties": out})
    address = space if space is not None else list((props.get("addressSpace") or {}).get("addressPrefixes") or [])
    return {"tags": _tags(source), "properties": {"addressSpace": {"addressPrefixes": address}, "subnets": subnets}}


def desired_public_ip(source, target, warnings):
    props = _props(source)
    sku = dict(source.get("sku") or {"name": "Basic"})
    what = "Public IP address %s" % source.get("name")
    if (sku.get("name") or "Basic").lower() == "basic":
        warnings.append("%s is a Basic SKU public IP; Basic public IPs were retired on 30 September 2025 and cannot "
                        "be created, so it is created as Standard, Static. Standard public IPs are closed to inbound "
                        "traffic unless a network security group allows it." % what)
        sku = {"name": "Standard", "tier": sku.get("tier") or "Regional"}
    sku = {"name": sku.get("name") or "Standard", "tier": sku.get("tier") or "Regional"}
    allocation = props.get("publicIPAllocationMethod") or "Static"
    if sku["name"].lower() == "standard":
        allocation = "Static"  # Azure's rule for Standard
    out = {"tags": _tags(source), "sku": sku, "zones": target.keep_zones(source.get("zones"), what, warnings),
           "properties": dict(_pick(props, ("publicIPAddressVersion", "idleTimeoutInMinutes")),
                              publicIPAllocationMethod=allocation)}
    label = (props.get("dnsSettings") or {}).get("domainNameLabel")
    out["properties"]["dnsSettings"] = {"domainNameLabel": label} if label else None
    if _ref(props.get("publicIPPrefix")):
        warnings.append("%s comes from a public IP prefix, which is not copied; the target address is any "
                        "address of the region." % what)
    return out


def _subnet_prefix_of(subnet_id, vnets):
    """The prefixes of a target subnet, from the desired VNets {lower target VNet id: desired body}."""
    vnet = vnets.get(_key(resource_id_of(subnet_id)))
    name = _key(subnet_id.rsplit("/", 1)[-1])
    for subnet in _props(vnet).get("subnets") or []:
        if _key(subnet["name"]) == name:
            sprops = subnet["properties"]
            return [sprops["addressPrefix"]] if sprops.get("addressPrefix") else list(sprops.get("addressPrefixes") or [])
    return None


def _inside(address, prefixes):
    try:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(p, strict=False) for p in prefixes or [])
    except ValueError:
        return False


def desired_load_balancer(source, target, warnings, target_vnets=None):
    props = _props(source)
    name = source.get("name")
    sku = dict(source.get("sku") or {"name": "Basic"})
    if (sku.get("name") or "Basic").lower() == "basic":
        warnings.append("Load balancer %s is Basic SKU; Basic load balancers were retired on 30 September 2025, so "
                        "it is created as Standard (closed to inbound traffic unless a network security group allows "
                        "it; its public IPs become Standard too)." % name)
        sku = {"name": "Standard"}
    sku = {"name": sku.get("name") or "Standard", "tier": sku.get("tier") or "Regional"}
    frontends = []
    for fe in props.get("frontendIPConfigurations") or []:
        fprops = _props(fe)
        out = {}
        if _ref(fprops.get("publicIPAddress")):
            out["publicIPAddress"] = target.ref(fprops["publicIPAddress"])
            out["subnet"] = None
        else:
            subnet = target.ref(fprops.get("subnet"))
            out["subnet"] = subnet
            out["publicIPAddress"] = None
            static = (fprops.get("privateIPAllocationMethod") or "Dynamic").lower() == "static"
            address = fprops.get("privateIPAddress")
            if static and address:
                if _inside(address, _subnet_prefix_of(subnet["id"], target_vnets or {})):
                    out["privateIPAllocationMethod"] = "Static"
                    out["privateIPAddress"] = address
                else:
                    warnings.append("Frontend %s of load balancer %s keeps no static address: %s is not in its target "
                                    "subnet; Azure assigns one." % (fe.get("name"), name, address))
                    out["privateIPAllocationMethod"] = "Dynamic"
            else:
                out["privateIPAllocationMethod"] = "Dynamic"  # the address itself is Azure's choice
        child = {"name": fe.get("name"), "properties": out}
        zones = target.keep_zones(fe.get("zones"), "Frontend %s of load balancer %s" % (fe.get("name"), name), warnings)
        if zones:
            child["zones"] = zones
        frontends.append(child)
    pools = [{"name": p.get("name"), "properties": {}} for p in props.get("backendAddressPools") or []]
    probes = [{"name": p.get("name"), "properties": _pick(_props(p), PROBE_KEYS)} for p in props.get("probes") or []]
    rules = []
    for rule in props.get("loadBalancingRules") or []:
        rprops = _props(rule)
        out = _pick(rprops, LB_RULE_KEYS)
        out["frontendIPConfiguration"] = target.ref(rprops.get("frontendIPConfiguration"))
        out["backendAddressPool"] = target.ref(rprops.get("backendAddressPool"))
        out["probe"] = target.ref(rprops.get("probe"))
        if rprops.get("backendAddressPools"):
            out["backendAddressPools"] = [target.ref(p) for p in rprops["backendAddressPools"]]
        rules.append({"name": rule.get("name"), "properties": out})
    for key, label in (("inboundNatRules", "inbound NAT rules"), ("inboundNatPools", "inbound NAT pools"),
                       ("outboundRules", "outbound rules")):
        if props.get(key):
            warnings.append("Load balancer %s has %s, which are not copied." % (name, label))
    return {"tags": _tags(source), "sku": sku, "properties": {
        "frontendIPConfigurations": frontends, "backendAddressPools": pools, "probes": probes,
        "loadBalancingRules": rules}}


# -- the test network ----------------------------------------------------------------------------------------------
def translate_prefixes(space, new_space, prefixes):
    """{old prefix: new prefix} moving each prefix of `prefixes` (inside `space`) to the same offset in
    `new_space` (one new prefix per old one, each at least as large)."""
    old = [ipaddress.ip_network(p, strict=False) for p in space]
    try:
        new = [ipaddress.ip_network(p, strict=True) for p in new_space]
    except ValueError as exc:
        raise LayoutError("test_network.address_prefixes: %s." % exc)
    if len(new) != len(old):
        raise LayoutError("test_network.address_prefixes has %d prefixes; the virtual network it mirrors has %d (%s). "
                          "Give one per prefix, in the same order." % (len(new), len(old), ", ".join(space)))
    for o, n in zip(old, new):
        if o.version != n.version or n.prefixlen > o.prefixlen:
            raise LayoutError("test_network.address_prefixes: %s cannot hold the subnets of %s; give a prefix of the "
                              "same IP version, /%d or larger." % (n, o, o.prefixlen))
    out = {}
    for prefix in prefixes:
        net = ipaddress.ip_network(prefix, strict=False)
        for o, n in zip(old, new):
            if net.version == o.version and net.subnet_of(o):
                offset = int(net.network_address) - int(o.network_address)
                out[prefix] = str(ipaddress.ip_network((int(n.network_address) + offset, net.prefixlen)))
                break
        else:
            raise LayoutError("Subnet prefix %s is outside the address space %s." % (prefix, ", ".join(space)))
    return out


def desired_test_network(source_vnet, target, name, production_names, warnings, address_prefixes=None,
                         attach_nsgs=True, attach_route_tables=False):
    """The desired test VNet: a copy of a production VNet under another name, never peered."""
    if _key(name) in {_key(n) for n in production_names}:
        raise LayoutError("The test network cannot be %s: that is a production virtual network of this layout. A "
                          "test failover needs an isolated network; give test_network.name another name." % name)
    props = _props(source_vnet)
    space = list((props.get("addressSpace") or {}).get("addressPrefixes") or [])
    prefix_map = None
    if address_prefixes and [_key(p) for p in address_prefixes] != [_key(p) for p in space]:
        subnet_prefixes = [p for s in props.get("subnets") or [] for p in _prefixes(_props(s))]
        prefix_map = translate_prefixes(space, address_prefixes, subnet_prefixes)
        space = list(address_prefixes)
    return desired_vnet(source_vnet, target, warnings, nsgs=attach_nsgs, route_tables=attach_route_tables,
                        space=space, prefix_map=prefix_map)


# -- the plan ---------------------------------------------------------------------------------------------------------
BUILDERS = {
    "network_security_group": desired_nsg,
    "route_table": desired_route_table,
    "public_ip_address": desired_public_ip,
}


def plan(sources, target, test=None):
    """The target resources, in creation order, and the warnings: (list of Planned, list of str).

    `sources` is {id: REST body} (``closure``'s answer); `test` the test network options (dict with name,
    source_virtual_network, address_prefixes, attach_nsgs, attach_route_tables) or None for none.
    Raises LayoutError for what must be refused before any write.
    """
    warnings = []
    by_kind = {kind: [] for kind in ORDER}
    for body in sources.values():
        kind = kind_of(body.get("id"))
        if kind in target.kinds:
            by_kind[kind].append(body)
    problems = []
    for bodies in by_kind.values():
        for body in bodies:
            if normalize_region(body.get("location")) == target.location:
                problems.append("%s %s is already in %s" % (LABELS[kind_of(body["id"])], body.get("name"), target.location))
    if problems:
        raise LayoutError("The target location must be another region than the source: %s. Give the target region "
                          "in location." % "; ".join(problems))
    planned = []
    target_vnets = {}
    for kind in ORDER:
        for body in sorted(by_kind[kind], key=lambda b: _key(b.get("name"))):
            name = target.names.target(body["id"])
            tid = target.id_for(body["id"])
            if kind == "virtual_network":
                desired = desired_vnet(body, target, warnings)
                target_vnets[_key(tid)] = desired
            elif kind == "load_balancer":
                desired = desired_load_balancer(body, target, warnings, target_vnets)
            else:
                desired = BUILDERS[kind](body, target, warnings)
            planned.append(Planned(kind, body, name, tid, desired))
    check_names(planned)
    if test is not None:
        test_entry = plan_test_network(planned, target, test, warnings)
        if test_entry is not None:
            # Right after the VNets: nothing else refers to it.
            position = max(i for i, p in enumerate(planned) if p.kind == "virtual_network") + 1
            planned.insert(position, test_entry)
    return planned, warnings


def plan_test_network(planned, target, test, warnings):
    vnets = [p for p in planned if p.kind == "virtual_network"]
    if not vnets:
        warnings.append("No virtual network in the layout, so no test network is made.")
        return None
    which = test.get("source_virtual_network")
    if which:
        chosen = [p for p in vnets if _key(which) in (_key(p.source_id), _key(p.source.get("name")), _key(p.name))]
        if not chosen:
            raise LayoutError("test_network.source_virtual_network %s is not a virtual network of this layout (%s)."
                              % (which, ", ".join(p.source.get("name") for p in vnets)))
    elif len(vnets) > 1:
        raise LayoutError("The layout has %d virtual networks (%s): say which one the test network copies with "
                          "test_network.source_virtual_network." % (len(vnets), ", ".join(p.source.get("name") for p in vnets)))
    else:
        chosen = vnets
    production = chosen[0]
    name = test.get("name") or "%s-test" % production.name
    desired = desired_test_network(production.source, target, name, [p.name for p in vnets], warnings,
                                   address_prefixes=test.get("address_prefixes"),
                                   attach_nsgs=test.get("attach_nsgs", True),
                                   attach_route_tables=test.get("attach_route_tables", False))
    tid = network_id(target.subscription_id, target.resource_group, "virtual_network", name)
    return Planned("virtual_network", production.source, name, tid, desired, purpose="test")


def check_names(planned):
    """Refuse two source resources of one kind that end up under the same target name."""
    seen = {}
    clashes = []
    for item in planned:
        key = (item.kind, _key(item.name))
        if key in seen and _key(seen[key].source_id) != _key(item.source_id):
            clashes.append("%s %s and %s both become %s" % (LABELS[item.kind], seen[key].source_id, item.source_id, item.name))
        seen.setdefault(key, item)
    if clashes:
        raise LayoutError("The name mapping maps two source resources to one target name: %s. Give them different "
                          "names in name_map." % "; ".join(clashes))


def effective_names(planned):
    """{source name: target name} of the production resources."""
    return {p.source.get("name"): p.name for p in planned if p.purpose == "production"}


def overlaps(planned, existing_vnets):
    """Address spaces of the planned VNets that overlap a VNet of the target resource group that this layout does
    not manage. `existing_vnets` are REST bodies. Returns a list of sentences (empty when none)."""
    ours = {_key(p.name) for p in planned if p.kind == "virtual_network"}
    out = []
    for vnet in existing_vnets:
        if _key(vnet.get("name")) in ours:
            continue
        theirs = (_props(vnet).get("addressSpace") or {}).get("addressPrefixes") or []
        for item in planned:
            if item.kind != "virtual_network":
                continue
            for mine in item.desired["properties"]["addressSpace"]["addressPrefixes"]:
                for other in theirs:
                    a, b = ipaddress.ip_network(mine, strict=False), ipaddress.ip_network(other, strict=False)
                    if a.version == b.version and a.overlaps(b):
                        out.append("%s (%s) overlaps %s (%s)" % (item.name, mine, vnet.get("name"), other))
    return out


def region_zones(skus, location):
    """The availability zones of a region, from resource SKUs (``locationInfo``). An empty set: no zones."""
    zones = set()
    want = normalize_region(location)
    for sku in skus or []:
        for info in sku.get("locationInfo") or []:
            if normalize_region(info.get("location")) == want:
                zones.update(str(z) for z in info.get("zones") or [])
    return zones


# -- compare and write ---------------------------------------------------------------------------------------------------
def _named(key, value):
    """A list of children matched by name (not a list of references that happens to share a key name)."""
    return key in NAMED_LISTS and isinstance(value, list) and all(isinstance(c, dict) and "name" in c for c in value)


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def _norm(value, key=None):
    """A comparable form: empty is None, references are lower-case ids, unordered lists are sorted."""
    if _empty(value):
        return None
    if isinstance(value, dict):
        if set(value) == {"id"}:
            return _key(value["id"])
        out = {k: _norm(v, k) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None} or None
    if isinstance(value, list):
        items = [_norm(v) for v in value]
        if key in UNORDERED:
            return sorted(items, key=repr)
        return items
    return value


def _show(value):
    if _empty(value):
        return "(none)"
    if isinstance(value, dict) and set(value) == {"id"}:
        return value["id"]
    if isinstance(value, dict) and "name" in value and set(value) <= {"name", "tier"}:  # a SKU
        return value["name"]
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return str(value)


def differences(existing, desired, path=""):
    """What differs between an existing target resource (REST body) and its desired fields, as sentences.
    Only the desired keys count; named children the source lacks and create-only fields are ignored."""
    out = []
    existing = existing if isinstance(existing, dict) else {}
    for key, want in desired.items():
        have = existing.get(key)
        here = key if key == "properties" else ("%s.%s" % (path, key) if path else key)
        label = path if key == "properties" else here
        if key in CREATE_ONLY:
            continue
        if key == "tags":
            for tag, value in want.items():
                if (have or {}).get(tag) != value:
                    out.append("tags.%s: %s -> %s" % (tag, _show((have or {}).get(tag)), _show(value)))
        elif _named(key, want):
            by_name = {_key(c.get("name")): c for c in have or []}
            for child in want:
                name = "%s[%s]" % (here, child["name"])
                if _key(child["name"]) not in by_name:
                    out.append("%s: added" % name)
                else:
                    out.extend(differences(by_name[_key(child["name"])], child, name))
        elif isinstance(want, dict) and set(want) != {"id"} and isinstance(have, dict):
            out.extend(differences(have, want, label))
        elif _norm(have, key) != _norm(want, key):
            out.append("%s: %s -> %s" % (here, _show(have), _show(want)))
    return out


def create_only_changes(existing, desired):
    """Create-only fields (SKU, zones) the target has otherwise than desired: reported, never changed."""
    out = []
    for key in CREATE_ONLY:
        if key in desired and _norm(existing.get(key), key) != _norm(desired[key], key):
            if key == "sku" and _key((existing.get("sku") or {}).get("name")) == _key((desired["sku"] or {}).get("name")):
                continue
            out.append("%s is %s (the source's: %s)" % (key, _show(existing.get(key)), _show(desired[key])))
    for coll in ("frontendIPConfigurations",):
        have = {_key(c.get("name")): c for c in _props(existing).get(coll) or []}
        for child in _props(desired).get(coll) or []:
            if _key(child["name"]) in have and "zones" in child:
                if _norm(have[_key(child["name"])].get("zones"), "zones") != _norm(child["zones"], "zones"):
                    out.append("%s[%s].zones is %s (the source's: %s)" % (
                        coll, child["name"], _show(have[_key(child["name"])].get("zones")), _show(child["zones"])))
    return out


def view(existing, desired):
    """The existing resource seen through the desired fields: the `before` of a diff."""
    if not isinstance(desired, dict):
        return copy.deepcopy(existing)
    existing = existing if isinstance(existing, dict) else {}
    out = {}
    for key, want in desired.items():
        have = existing.get(key)
        if key == "tags":
            out[key] = {t: have[t] for t in want if t in (have or {})}
        elif _named(key, want):
            by_name = {_key(c.get("name")): c for c in have or []}
            out[key] = [view(by_name[_key(c["name"])], c) for c in want if _key(c["name"]) in by_name]
        elif isinstance(want, dict) and set(want) != {"id"}:
            out[key] = view(have, want)
        else:
            out[key] = copy.deepcopy(have)
    return out


def clean(obj, kind=None, depth=0):
    """A resource as the target has it, without read-only fields, ready to send back."""
    if isinstance(obj, list):
        return [clean(o, kind, depth + 1) for o in obj]
    if not isinstance(obj, dict):
        return copy.deepcopy(obj)
    out = {}
    for key, value in obj.items():
        if key in READ_ONLY:
            continue
        if key == "properties" and isinstance(value, dict):
            value = dict(value)
            if depth == 0 and kind in ("network_security_group", "route_table"):
                value.pop("subnets", None)  # back-references there (forward ones on a VNet)
            if depth > 0 and kind == "load_balancer":
                for backref in LB_CHILD_BACKREFS:
                    value.pop(backref, None)
        out[key] = clean(value, kind, depth + (1 if key not in ("properties",) else 0))
    return out


def _drop_none(obj):
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj


def _merge(have, want):
    out = copy.deepcopy(have) if isinstance(have, dict) else {}
    for key, value in want.items():
        if key == "tags":
            out["tags"] = dict(out.get("tags") or {}, **value)
        elif key in CREATE_ONLY:
            continue  # an update never touches them; Azure would refuse
        elif _named(key, value):
            wanted = {_key(c["name"]): c for c in value}
            merged = []
            for child in out.get(key) or []:
                name = _key(child.get("name"))
                merged.append(_merge(child, wanted.pop(name)) if name in wanted else child)
            merged.extend(_drop_none(c) for c in value if _key(c["name"]) in wanted)
            out[key] = merged
        elif value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and set(value) != {"id"} and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = _drop_none(copy.deepcopy(value))
    return out


def put_body(kind, existing, desired, location):
    """The PUT body: the desired fields on top of what the target has (read-only fields left out)."""
    if existing is None:
        body = _drop_none(copy.deepcopy(desired))
    else:
        body = _merge(clean(existing, kind), desired)
        for key in ("id", "name", "type"):
            body.pop(key, None)
    body["location"] = location
    return body
