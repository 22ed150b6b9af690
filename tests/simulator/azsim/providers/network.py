"""Microsoft.Network: NSGs, route tables, public IPs, load balancers, and writes to VNets, subnets and NICs.

One registrar (`register`) gives a resource type the routes the Network RP has for it: GET, list by
resource group, list in the subscription, PUT (201 new / 200 update, `provisioningState`, an
`Azure-AsyncOperation` header on `.../providers/Microsoft.Network/locations/{loc}/operations/{id}`)
and DELETE (202 + `Location` and `Azure-AsyncOperation`; 204 when already gone). Each type brings a
normalizer that validates the request and returns the stored body in the shape Azure returns.

References are kept the way Azure keeps them. Forward references are what clients write (a subnet's
`networkSecurityGroup`, a NIC IP configuration's `subnet`, `publicIPAddress` and
`loadBalancerBackendAddressPools`, a load balancer frontend's `subnet`/`publicIPAddress`); the
back-references Azure computes (`subnet.ipConfigurations`, `networkSecurityGroup.subnets` and
`.networkInterfaces`, `routeTable.subnets`, `publicIPAddress.ipConfiguration`, a backend pool's
`backendIPConfigurations`) are recomputed from them by `refresh()` after every write and seed.
"In use" checks always read the forward references, so they are right even between refreshes.
"""
import ipaddress
import json

from ..arm import ROUTER, ArmError, normalize_location
from ..httpbase import Response
from .compute import NETWORK_VERSIONS, NIC_TYPE, P, VNET_TYPE, _guid, _hexid, nic_specs
from .resources import require_rg

NSG_TYPE = "Microsoft.Network/networkSecurityGroups"
RT_TYPE = "Microsoft.Network/routeTables"
PIP_TYPE = "Microsoft.Network/publicIPAddresses"
LB_TYPE = "Microsoft.Network/loadBalancers"
SUBNET_TYPE = VNET_TYPE + "/subnets"
OPS = "/subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}"
NOT_FOUND_HELP = "For more details please go to https://aka.ms/ARMResourceNotFoundFix"
# Real durations are a few seconds for most network writes and ~20 s for load balancers (× time factor).
WRITE_SECONDS = 10
RETRY_SECONDS = 10

KINDS = {}  # path segment (e.g. "networkSecurityGroups") -> Kind


class Kind:
    def __init__(self, segment, rtype, normalize, in_use, seconds):
        self.segment, self.rtype, self.normalize, self.in_use, self.seconds = segment, rtype, normalize, in_use, seconds


def net_id(sub, rg, segment, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/{segment}/{name}"


def parse_id(rid):
    """(sub, rg, segment, name, child segments) of a Microsoft.Network id, or None."""
    parts = [p for p in (rid or "").split("/") if p]
    if len(parts) < 8 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
        return None
    return parts[1], parts[3], parts[6], parts[7], parts[8:]


def _etag(rid):
    return f'W/"{_guid(rid, "etag", str(len(rid)))}"'


def _ref(obj):
    return ((obj or {}).get("id") or "") if isinstance(obj, dict) else ""


def _seeding(ctx):
    return getattr(ctx, "seeding", False)


def _bad_format(message="Cannot parse the request."):
    return ArmError(400, "InvalidRequestFormat", message)


def invalid_reference(target_id, referencing_id):
    return ArmError(400, "InvalidResourceReference",
                    f"Resource {target_id} referenced by resource {referencing_id} was not found. Please make sure "
                    "that the referenced resource exists, and that both resources are in the same region.",
                    details=[])


def not_found(rtype, name, rg):
    return ArmError(404, "ResourceNotFound",
                    f"The Resource '{rtype}/{name}' under resource group '{rg}' was not found. {NOT_FOUND_HELP}")


# -- lookups ------------------------------------------------------------------------------------------
def _all(store, cloud, rtype):
    return [json.loads(r["body"]) for r in
            store.query("SELECT body FROM resources WHERE cloud=? AND type_lower=?", (cloud, rtype.lower()))]


def find_subnet(store, cloud, subnet_id):
    """(vnet body, subnet body) for a subnet id, or (None, None)."""
    vnet_id, _unused, name = (subnet_id or "").rpartition("/subnets/")
    if not vnet_id:
        return None, None
    vnet = store.get_resource(cloud, vnet_id)
    if vnet is None:
        return None, None
    for s in vnet["properties"].get("subnets", []):
        if s["name"].lower() == name.lower():
            return vnet, s
    return vnet, None


def find_child(store, cloud, child_id, collection):
    """A child (e.g. a backend pool) of a stored resource, by its full id."""
    parent_id, _unused, name = (child_id or "").rpartition(f"/{collection}/")
    parent = store.get_resource(cloud, parent_id) if parent_id else None
    if parent is None:
        return None, None
    for c in parent["properties"].get(collection, []):
        if c["name"].lower() == name.lower():
            return parent, c
    return parent, None


def _require_ref(ctx, target_id, referencing_id, location, rtype):
    body = ctx.store.get_resource(ctx.cloud, target_id) if target_id else None
    if body is None or body.get("type", "").lower() != rtype.lower() or \
            normalize_location(body.get("location")) != location:
        raise invalid_reference(target_id, referencing_id)
    return body


def _network(prefix, owner_id):
    try:
        return ipaddress.ip_network(prefix, strict=True)
    except ValueError:
        try:
            fixed = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            raise ArmError(400, "InvalidAddressPrefixFormat",
                           f"Address prefix {prefix} of resource {owner_id} is not formatted correctly. It should "
                           "follow CIDR notation, for example 10.0.0.0/24.")
        raise ArmError(400, "InvalidCIDRNotation",
                       f"The address prefix {prefix} in resource {owner_id} has an invalid CIDR notation. For the "
                       f"given prefix length, the address prefix should be {fixed}.")


# -- the index of who uses what ---------------------------------------------------------------------------
def index(store, cloud):
    """Usage maps computed from forward references (keys are lower-case ids)."""
    idx = {"subnet_ipconfigs": {}, "nsg_subnets": {}, "nsg_nics": {}, "rt_subnets": {}, "pip_owner": {},
           "pool_members": {}, "private_ips": {}}

    def add(key, target, value):
        if target:
            idx[key].setdefault(target.lower(), [])
            if value not in idx[key][target.lower()]:
                idx[key][target.lower()].append(value)

    for nic in _all(store, cloud, NIC_TYPE):
        add("nsg_nics", _ref(nic["properties"].get("networkSecurityGroup")), nic["id"])
        for ipc in nic["properties"].get("ipConfigurations", []):
            props = ipc.get("properties", {})
            subnet = _ref(props.get("subnet"))
            add("subnet_ipconfigs", subnet, ipc["id"])
            if subnet and props.get("privateIPAddress"):
                idx["private_ips"][(subnet.lower(), props["privateIPAddress"])] = ipc["id"]
            pip = _ref(props.get("publicIPAddress"))
            if pip:
                idx["pip_owner"][pip.lower()] = ipc["id"]
            for pool in props.get("loadBalancerBackendAddressPools") or []:
                add("pool_members", _ref(pool), ipc["id"])
    for lb in _all(store, cloud, LB_TYPE):
        for fe in lb["properties"].get("frontendIPConfigurations", []):
            props = fe.get("properties", {})
            subnet = _ref(props.get("subnet"))
            add("subnet_ipconfigs", subnet, fe["id"])
            if subnet and props.get("privateIPAddress"):
                idx["private_ips"][(subnet.lower(), props["privateIPAddress"])] = fe["id"]
            pip = _ref(props.get("publicIPAddress"))
            if pip:
                idx["pip_owner"][pip.lower()] = fe["id"]
    for vnet in _all(store, cloud, VNET_TYPE):
        for s in vnet["properties"].get("subnets", []):
            add("nsg_subnets", _ref(s["properties"].get("networkSecurityGroup")), s["id"])
            add("rt_subnets", _ref(s["properties"].get("routeTable")), s["id"])
    return idx


def refresh(store, cloud):
    """Rewrite the back-references Azure computes, from the forward references."""
    idx = index(store, cloud)

    def put_if_changed(before, body):
        if json.dumps(before, sort_keys=True) != json.dumps(body, sort_keys=True):
            meta = parse_id(body["id"])
            store.put_resource(cloud, body["id"], body["type"], meta[0], meta[1], body)

    def set_list(props, key, ids):
        if ids:
            props[key] = [{"id": i} for i in ids]
        else:
            props.pop(key, None)

    with store.lock:
        for vnet in _all(store, cloud, VNET_TYPE):
            before = json.loads(json.dumps(vnet))
            for s in vnet["properties"].get("subnets", []):
                set_list(s["properties"], "ipConfigurations", idx["subnet_ipconfigs"].get(s["id"].lower()))
            put_if_changed(before, vnet)
        for nsg in _all(store, cloud, NSG_TYPE):
            before = json.loads(json.dumps(nsg))
            set_list(nsg["properties"], "subnets", idx["nsg_subnets"].get(nsg["id"].lower()))
            set_list(nsg["properties"], "networkInterfaces", idx["nsg_nics"].get(nsg["id"].lower()))
            put_if_changed(before, nsg)
        for rt in _all(store, cloud, RT_TYPE):
            before = json.loads(json.dumps(rt))
            set_list(rt["properties"], "subnets", idx["rt_subnets"].get(rt["id"].lower()))
            put_if_changed(before, rt)
        for pip in _all(store, cloud, PIP_TYPE):
            before = json.loads(json.dumps(pip))
            owner = idx["pip_owner"].get(pip["id"].lower())
            props = pip["properties"]
            if owner:
                props["ipConfiguration"] = {"id": owner}
            else:
                props.pop("ipConfiguration", None)
            # A dynamic address exists only while the public IP is attached to something.
            if props.get("publicIPAllocationMethod") == "Dynamic":
                if owner:
                    props["ipAddress"] = public_address(cloud, pip["id"])
                else:
                    props.pop("ipAddress", None)
            put_if_changed(before, pip)
        for lb in _all(store, cloud, LB_TYPE):
            before = json.loads(json.dumps(lb))
            for pool in lb["properties"].get("backendAddressPools", []):
                set_list(pool["properties"], "backendIPConfigurations", idx["pool_members"].get(pool["id"].lower()))
            put_if_changed(before, lb)


def public_address(cloud, rid):
    """A stable public address in a range the cloud's region really uses."""
    h = int(_hexid(rid, "ip")[:8], 16)
    first, second = (52, 227) if cloud == "gov" else (20, 121)
    return f"{first}.{second}.{(h >> 8) % 256}.{max(4, h % 251)}"


# -- the registrar ---------------------------------------------------------------------------------------
def register(segment, rtype, normalize, in_use=None, reads=True, list_all=True, seconds=WRITE_SECONDS):
    """Routes for one Microsoft.Network type: GET, list by RG, list in subscription, PUT, DELETE.

    normalize(ctx, p, body, existing, rid) -> the body to store (raises ArmError when Azure would refuse).
    in_use(ctx, body) -> an ArmError when Azure refuses the delete, else None.
    reads=False leaves GET / list by RG to another module (VNets and NICs: compute.py).
    """
    kind = KINDS[segment] = Kind(segment, rtype, normalize, in_use, seconds)
    item = P + f"Microsoft.Network/{segment}/{{name}}"
    if reads:
        @ROUTER.route("GET", item, rtype=rtype, api_versions=NETWORK_VERSIONS)
        def get_item(ctx, req, p):
            return Response(200, load(ctx, p, kind))

        @ROUTER.route("GET", P + f"Microsoft.Network/{segment}", rtype=rtype, api_versions=NETWORK_VERSIONS)
        def list_rg(ctx, req, p):
            require_rg(ctx, p["sub"], p["rg"])
            return ctx.page(ctx.store.list_resources(ctx.cloud, rtype, p["sub"], p["rg"]))

    if list_all:
        @ROUTER.route("GET", f"/subscriptions/{{sub}}/providers/Microsoft.Network/{segment}", rtype=rtype,
                      api_versions=NETWORK_VERSIONS)
        def list_sub(ctx, req, p):
            return ctx.page(ctx.store.list_resources(ctx.cloud, rtype, p["sub"]))

    @ROUTER.route("PUT", item, rtype=rtype, api_versions=NETWORK_VERSIONS)
    def put_item(ctx, req, p):
        require_rg(ctx, p["sub"], p["rg"])
        try:
            body = req.json() or {}
        except ValueError:
            raise _bad_format()
        if not isinstance(body, dict):
            raise _bad_format()
        rid = net_id(p["sub"], p["rg"], segment, p["name"])
        existing = ctx.store.get_resource(ctx.cloud, rid)
        if not body.get("location"):
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        location = normalize_location(body["location"])
        if existing and existing["location"] != location:
            raise ArmError(409, "InvalidResourceLocation",
                           f"The resource '{p['name']}' already exists in location '{existing['location']}' in "
                           f"resource group '{p['rg']}'. A resource with the same name cannot be created in location "
                           f"'{location}'. Please select a new resource name.")
        stored = normalize(ctx, p, body, existing, rid)
        stored.update({"name": existing["name"] if existing else p["name"], "id": existing["id"] if existing else rid,
                       "type": rtype, "location": location, "etag": _etag(rid + str(json.dumps(stored)))})
        stored["tags"] = body.get("tags") if body.get("tags") is not None else {}
        return write(ctx, req, p, stored, existing is None, kind.seconds)

    @ROUTER.route("DELETE", item, rtype=rtype, api_versions=NETWORK_VERSIONS)
    def delete_item(ctx, req, p):
        require_rg(ctx, p["sub"], p["rg"])
        existing = ctx.store.get_resource(ctx.cloud, net_id(p["sub"], p["rg"], segment, p["name"]))
        if existing is None:
            return Response(204)
        if in_use is not None:
            err = in_use(ctx, existing)
            if err is not None:
                raise err
        return delete(ctx, req, p, existing, kind.seconds)

    return kind


def load(ctx, p, kind):
    require_rg(ctx, p["sub"], p["rg"])
    body = ctx.store.get_resource(ctx.cloud, net_id(p["sub"], p["rg"], kind.segment, p["name"]))
    if body is None:
        raise not_found(kind.rtype, p["name"], p["rg"])
    return body


def _async_headers(ctx, sub, location, op_id, with_location=False):
    headers = {"Azure-AsyncOperation": ctx.url(OPS.format(sub=sub, loc=location) + f"/operations/{op_id}")}
    if with_location:
        headers["Location"] = ctx.url(OPS.format(sub=sub, loc=location) + f"/operationResults/{op_id}")
    headers.update(ctx.sim.retry_after_headers(RETRY_SECONDS, True))
    return headers


def write(ctx, req, p, stored, created, seconds, response_body=None):
    """Store a resource 'Updating', finish it by an LRO (instant at time factor 0), answer like NRP."""
    rid = stored["id"]
    meta = parse_id(rid)
    stored.setdefault("properties", {})["provisioningState"] = "Updating"
    ctx.store.put_resource(ctx.cloud, rid, stored["type"], meta[0], meta[1], stored)
    refresh(ctx.store, ctx.cloud)
    op_id = ctx.sim.start_operation(
        ctx.cloud, "network-put", seconds,
        {"name": "merge_resource", "rid": rid, "patch": {"properties": {"provisioningState": "Succeeded"}},
         "meta": {"type": stored["type"], "sub": meta[0], "rg": meta[1]}},
        req.method, req.path)
    body = response_body(ctx) if response_body else ctx.store.get_resource(ctx.cloud, rid)
    return Response(201 if created else 200, body, _async_headers(ctx, p["sub"], stored["location"], op_id))


def delete(ctx, req, p, existing, seconds, action=None):
    rid = existing["id"]
    meta = parse_id(rid)
    existing["properties"]["provisioningState"] = "Deleting"
    ctx.store.put_resource(ctx.cloud, rid, existing["type"], meta[0], meta[1], existing)
    op_id = ctx.sim.start_operation(ctx.cloud, "network-delete", seconds, action or {"name": "delete_resource", "rid": rid},
                                    req.method, req.path)
    refresh(ctx.store, ctx.cloud)
    return Response(202, b"", _async_headers(ctx, p["sub"], existing["location"], op_id, with_location=True))


@ROUTER.route("GET", OPS + "/operations/{opId}", rtype="Microsoft.Network/locations/operations",
              api_versions=NETWORK_VERSIONS)
def operation_status(ctx, req, p):
    status, op = ctx.sim.operation_status(p["opId"])
    if op is None or op["cloud"] != ctx.cloud:
        raise ArmError(404, "NotFound", "The operation was not found.")
    refresh(ctx.store, ctx.cloud)  # a delete that just completed drops its back-references
    body = {"status": status}
    if status == "Failed":
        body["error"] = {"code": op["failure"]["code"], "message": op["failure"]["message"], "details": []}
    headers = ctx.sim.retry_after_headers(RETRY_SECONDS) if status == "InProgress" else {}
    return Response(200, body, headers)


@ROUTER.route("GET", OPS + "/operationResults/{opId}", rtype="Microsoft.Network/locations/operationResults",
              api_versions=NETWORK_VERSIONS)
def operation_result(ctx, req, p):
    status, op = ctx.sim.operation_status(p["opId"])
    if op is None or op["cloud"] != ctx.cloud:
        raise ArmError(404, "NotFound", "The operation was not found.")
    refresh(ctx.store, ctx.cloud)
    if status == "InProgress":
        return Response(202, b"", {"Location": ctx.url(req.path), **ctx.sim.retry_after_headers(RETRY_SECONDS)})
    if status == "Failed":
        return Response(400, {"error": {"code": op["failure"]["code"], "message": op["failure"]["message"]}})
    return Response(204)


# -- network security groups -------------------------------------------------------------------------------
DEFAULT_RULES = [
    ("AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", "VirtualNetwork", "VirtualNetwork", "Allow",
     65000, "Inbound"),
    ("AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", "AzureLoadBalancer", "*",
     "Allow", 65001, "Inbound"),
    ("DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"),
    ("AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", "VirtualNetwork", "VirtualNetwork",
     "Allow", 65000, "Outbound"),
    ("AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", "*", "Internet", "Allow", 65001,
     "Outbound"),
    ("DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"),
]
RULE_LISTS = ("sourcePortRanges", "destinationPortRanges", "sourceAddressPrefixes", "destinationAddressPrefixes")
PROTOCOLS = {"tcp": "Tcp", "udp": "Udp", "icmp": "Icmp", "esp": "Esp", "ah": "Ah", "*": "*"}


def default_rules(nsg_id):
    out = []
    for name, desc, src, dst, access, prio, direction in DEFAULT_RULES:
        rid = f"{nsg_id}/defaultSecurityRules/{name}"
        out.append({"name": name, "id": rid, "etag": _etag(rid),
                    "type": NSG_TYPE + "/defaultSecurityRules",
                    "properties": {"provisioningState": "Succeeded", "description": desc, "protocol": "*",
                                   "sourcePortRange": "*", "destinationPortRange": "*", "sourceAddressPrefix": src,
                                   "destinationAddressPrefix": dst, "access": access, "priority": prio,
                                   "direction": direction, "sourcePortRanges": [], "destinationPortRanges": [],
                                   "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}})
    return out


def security_rule(nsg_id, rule):
    name = rule.get("name")
    props = dict(rule.get("properties") or {})
    rid = f"{nsg_id}/securityRules/{name}"
    if not name:
        raise _bad_format("Security rule name is missing.")
    priority = props.get("priority")
    if not isinstance(priority, int) or not 100 <= priority <= 4096:
        raise ArmError(400, "SecurityRuleInvalidPriority",
                       f"Security rule has invalid Priority. Value provided: {priority} Allowed values are from 100 "
                       "to 4096.", details=[])
    direction = str(props.get("direction") or "")
    access = str(props.get("access") or "")
    protocol = PROTOCOLS.get(str(props.get("protocol") or "").lower())
    if direction.lower() not in ("inbound", "outbound") or access.lower() not in ("allow", "deny") or not protocol:
        raise ArmError(400, "SecurityRuleParameterContainsUnsupportedValue",
                       f"Security rule parameter Direction, Access or Protocol of rule {rid} has an unsupported value "
                       f"(direction '{direction}', access '{access}', protocol '{props.get('protocol')}').", details=[])
    props.update({"direction": direction.capitalize(), "access": access.capitalize(), "protocol": protocol,
                  "provisioningState": "Succeeded"})
    for key in RULE_LISTS:
        props.setdefault(key, [])
    if not props.get("sourcePortRanges"):
        props.setdefault("sourcePortRange", "*")
    if not props.get("sourceAddressPrefixes"):
        props.setdefault("sourceAddressPrefix", "*")
    if not props.get("destinationAddressPrefixes"):
        props.setdefault("destinationAddressPrefix", "*")
    return {"name": name, "id": rid, "etag": _etag(rid), "type": NSG_TYPE + "/securityRules", "properties": props}


def normalize_nsg(ctx, p, body, existing, rid):
    rules = [security_rule(rid, r) for r in (body.get("properties") or {}).get("securityRules") or []]
    seen = {}
    for r in rules:
        key = (r["properties"]["priority"], r["properties"]["direction"])
        if key in seen:
            raise ArmError(400, "SecurityRuleConflict",
                           f"Security rule {seen[key]} conflicts with rule {r['name']}. Rules cannot have the same "
                           "Priority and Direction. To learn more, see aka.ms/nsgrules.", details=[])
        seen[key] = r["name"]
    props = {"resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid") or _guid(rid, "guid"),
             "securityRules": rules, "defaultSecurityRules": default_rules(rid)}
    if (body.get("properties") or {}).get("flushConnection") is not None:
        props["flushConnection"] = bool(body["properties"]["flushConnection"])
    return {"properties": props}


def nsg_in_use(ctx, body):
    idx = index(ctx.store, ctx.cloud)
    users = idx["nsg_subnets"].get(body["id"].lower(), []) + idx["nsg_nics"].get(body["id"].lower(), [])
    if users:
        return ArmError(400, "InUseNetworkSecurityGroupCannotBeDeleted",
                        f"Network security group {body['id']} cannot be deleted because it is in use by the following "
                        f"resources: {', '.join(users)}. In order to delete the Network security group, remove the "
                        "association with the resource(s). To learn how to do this, see aka.ms/deletensg.", details=[])
    return None


# -- route tables ---------------------------------------------------------------------------------------------
NEXT_HOPS = {"virtualnetworkgateway": "VirtualNetworkGateway", "vnetlocal": "VnetLocal", "internet": "Internet",
             "virtualappliance": "VirtualAppliance", "none": "None"}


def normalize_route_table(ctx, p, body, existing, rid):
    props_in = body.get("properties") or {}
    routes = []
    for r in props_in.get("routes") or []:
        rprops = dict(r.get("properties") or {})
        route_id = f"{rid}/routes/{r.get('name')}"
        hop = NEXT_HOPS.get(str(rprops.get("nextHopType") or "").lower())
        if not r.get("name") or not hop:
            raise _bad_format(f"Route {route_id} has an invalid nextHopType '{rprops.get('nextHopType')}'.")
        if "/" in str(rprops.get("addressPrefix") or ""):  # service tags (e.g. "Internet") are allowed too
            _network(rprops["addressPrefix"], route_id)
        if hop == "VirtualAppliance" and not rprops.get("nextHopIpAddress"):
            raise ArmError(400, "InvalidNextHopIpAddress",
                           f"Route {route_id} has next hop type VirtualAppliance and no next hop IP address.")
        rprops.update({"nextHopType": hop, "provisioningState": "Succeeded", "hasBgpOverride": False})
        routes.append({"name": r["name"], "id": route_id, "etag": _etag(route_id),
                       "type": RT_TYPE + "/routes", "properties": rprops})
    return {"properties": {"resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid")
                           or _guid(rid, "guid"),
                           "disableBgpRoutePropagation": bool(props_in.get("disableBgpRoutePropagation", False)),
                           "routes": routes}}


def route_table_in_use(ctx, body):
    users = index(ctx.store, ctx.cloud)["rt_subnets"].get(body["id"].lower(), [])
    if users:
        return ArmError(400, "InUseRouteTableCannotBeDeleted",
                        f"Route table {body['id']} is in use and cannot be deleted. It is associated with subnet(s): "
                        f"{', '.join(users)}. In order to delete the route table, remove the association with the "
                        "subnet(s).", details=[])
    return None


# -- public IP addresses -----------------------------------------------------------------------------------------
def normalize_public_ip(ctx, p, body, existing, rid):
    props_in = body.get("properties") or {}
    sku = (body.get("sku") or {}).get("name") or "Standard"
    if sku.lower() not in ("basic", "standard"):
        raise _bad_format(f"Public IP address SKU '{sku}' is not supported.")
    sku = sku.capitalize()
    allocation = props_in.get("publicIPAllocationMethod") or ("Static" if sku == "Standard" else "Dynamic")
    allocation = allocation.capitalize()
    if sku == "Standard" and allocation != "Static":
        raise ArmError(400, "StandardSkuPublicIPAddressesMustBeStatic",
                       f"Standard sku publicIp {rid} must have AllocationMethod set to Static.", details=[])
    if existing and (existing.get("sku") or {}).get("name") != sku:
        raise _bad_format(f"The SKU of public IP address {rid} cannot be changed from {existing['sku']['name']} "
                          f"to {sku}.")
    if sku == "Basic" and existing is None and not _seeding(ctx):
        # Basic public IPs were retired on 2025-09-30; creation was blocked from 2025-03-31 (a quota of 0).
        # Existing ones (seeded) still read and update.
        raise ArmError(400, "IPv4BasicSkuPublicIpCountLimitReached",
                       "Cannot create more than 0 IPv4 Basic SKU public IP addresses for this subscription in this "
                       "region.", details=[])
    props = {"resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid") or _guid(rid, "guid"),
             "publicIPAddressVersion": props_in.get("publicIPAddressVersion") or "IPv4",
             "publicIPAllocationMethod": allocation,
             "idleTimeoutInMinutes": int(props_in.get("idleTimeoutInMinutes") or 4), "ipTags": props_in.get("ipTags") or []}
    if allocation == "Static":
        props["ipAddress"] = public_address(ctx.cloud, rid)
    label = (props_in.get("dnsSettings") or {}).get("domainNameLabel")
    if label:
        suffix = "cloudapp.usgovcloudapi.net" if ctx.cloud == "gov" else "cloudapp.azure.com"
        props["dnsSettings"] = {"domainNameLabel": label,
                                "fqdn": f"{label}.{normalize_location(body['location'])}.{suffix}"}
    out = {"sku": {"name": sku, "tier": (body.get("sku") or {}).get("tier") or "Regional"}, "properties": props}
    if body.get("zones"):
        out["zones"] = list(body["zones"])
    return out


def public_ip_in_use(ctx, body):
    owner = index(ctx.store, ctx.cloud)["pip_owner"].get(body["id"].lower())
    if owner:
        return ArmError(400, "PublicIPAddressCannotBeDeleted",
                        f"Public IP address {body['id']} can not be deleted since it is still allocated to resource "
                        f"{owner}. In order to delete the public IP, disassociate/detach the Public IP address from "
                        "the resource.  To learn how to do this, see aka.ms/deletepublicip.", details=[])
    return None


def _check_public_ip(ctx, pip_id, referencing_id, location, sku=None, lb=False):
    pip = _require_ref(ctx, pip_id, referencing_id, location, PIP_TYPE)
    owner = index(ctx.store, ctx.cloud)["pip_owner"].get(pip["id"].lower())
    if owner and owner.lower() != referencing_id.lower():
        raise ArmError(400, "PublicIPAddressInUse",
                       f"Resource {referencing_id} is referencing public IP address {pip['id']} that is already "
                       f"allocated to resource {owner}.", details=[])
    if sku and pip["sku"]["name"] != sku:
        raise ArmError(400, "PublicIPAndLBSkuDoNotMatch",
                       f"{sku} sku load balancer {referencing_id.split('/frontendIPConfigurations/')[0]} cannot "
                       f"reference {pip['sku']['name']} sku publicIP {pip['id']}.", details=[])
    return pip


# -- private addresses -------------------------------------------------------------------------------------------
def _assign_private_ip(ctx, subnet_id, subnet, ipc_id, wanted, static):
    prefix = subnet["properties"].get("addressPrefix") or (subnet["properties"].get("addressPrefixes") or [""])[0]
    net = ipaddress.ip_network(prefix, strict=False)
    taken = {ip: owner for (sid, ip), owner in index(ctx.store, ctx.cloud)["private_ips"].items()
             if sid == subnet_id.lower() and owner.lower() != ipc_id.lower()}
    if static and wanted:
        try:
            addr = ipaddress.ip_address(wanted)
        except ValueError:
            raise _bad_format(f"IP configuration {ipc_id} has an invalid private IP address '{wanted}'.")
        hosts = list(net.hosts())
        if addr not in net:
            raise ArmError(400, "PrivateIPAddressNotInSubnet",
                           f"IP configuration {ipc_id} is referencing a private IP address {wanted} that does not "
                           f"belong to subnet {subnet_id} (address prefix {prefix}).", details=[])
        if addr in hosts[:3] or addr == net.broadcast_address or addr == net.network_address:
            raise ArmError(400, "PrivateIPAddressIsReserved",
                           f"IP configuration {ipc_id} is referencing reserved IP address {wanted}.", details=[])
        if wanted in taken:
            raise ArmError(400, "PrivateIPAddressInUse",
                           f"IP configuration {ipc_id} is using the private IP address {wanted} which is already "
                           f"allocated to resource {taken[wanted]}.", details=[])
        return wanted
    for addr in list(net.hosts())[3:]:  # Azure reserves the first four addresses (x.x.x.0 is not a host)
        if str(addr) not in taken:
            return str(addr)
    raise ArmError(400, "SubnetIsFull", f"Subnet {subnet_id} with address prefix {prefix} does not have enough "
                   "capacity for 1 IP addresses.", details=[])


# -- load balancers --------------------------------------------------------------------------------------------------
LB_CHILDREN = ("frontendIPConfigurations", "backendAddressPools", "probes", "loadBalancingRules")


def normalize_load_balancer(ctx, p, body, existing, rid):
    props_in = body.get("properties") or {}
    location = normalize_location(body["location"])
    sku = ((body.get("sku") or {}).get("name") or "Basic").capitalize()
    if sku not in ("Basic", "Standard"):
        raise _bad_format(f"Load balancer SKU '{sku}' is not supported.")
    if sku == "Basic" and existing is None and not _seeding(ctx):
        # Basic load balancers were retired on 2025-09-30 (new ones blocked since 2025-03-31). The code is invented.
        raise ArmError(400, "BasicSkuLoadBalancerCreationNotAllowed",
                       f"Load balancer {rid} cannot be created with the Basic SKU: Basic Load Balancer was retired on "
                       "30 September 2025. Use the Standard SKU.", details=[])
    children = {}
    for coll in LB_CHILDREN:
        children[coll] = []
        for c in props_in.get(coll) or []:
            if not c.get("name"):
                raise _bad_format(f"An item of {coll} of load balancer {rid} has no name.")
            cid = f"{rid}/{coll}/{c['name']}"
            children[coll].append({"name": c["name"], "id": cid, "etag": _etag(cid),
                                   "type": f"{LB_TYPE}/{coll}", "properties": dict(c.get("properties") or {})})
    if not children["frontendIPConfigurations"] and children["loadBalancingRules"]:
        raise _bad_format(f"Load balancer {rid} has rules but no frontend IP configuration.")
    ids = {coll: {c["id"].lower() for c in children[coll]} for coll in LB_CHILDREN}
    for fe in children["frontendIPConfigurations"]:
        fp = fe["properties"]
        fp.setdefault("privateIPAddressVersion", "IPv4")
        if _ref(fp.get("publicIPAddress")):
            pip = _check_public_ip(ctx, _ref(fp["publicIPAddress"]), fe["id"], location, sku=sku, lb=True)
            fp["publicIPAddress"] = {"id": pip["id"]}
            fp.pop("subnet", None)
        elif _ref(fp.get("subnet")):
            _vnet, subnet = find_subnet(ctx.store, ctx.cloud, _ref(fp["subnet"]))
            if subnet is None or normalize_location(_vnet["location"]) != location:
                raise invalid_reference(_ref(fp["subnet"]), fe["id"])
            static = (fp.get("privateIPAllocationMethod") or ("Static" if fp.get("privateIPAddress") else "Dynamic")) \
                .capitalize() == "Static"
            fp["privateIPAllocationMethod"] = "Static" if static else "Dynamic"
            fp["privateIPAddress"] = _assign_private_ip(ctx, subnet["id"], subnet, fe["id"],
                                                        fp.get("privateIPAddress"), static)
            fp["subnet"] = {"id": subnet["id"]}
        else:
            raise _bad_format(f"Frontend IP configuration {fe['id']} needs a subnet or a public IP address.")
        fp["provisioningState"] = "Succeeded"
    used_by = {}
    for rule in children["loadBalancingRules"]:
        rp = rule["properties"]
        for key, coll in (("frontendIPConfiguration", "frontendIPConfigurations"),
                          ("backendAddressPool", "backendAddressPools"), ("probe", "probes")):
            ref = _ref(rp.get(key))
            if not ref and key == "backendAddressPool" and rp.get("backendAddressPools"):
                ref = _ref(rp["backendAddressPools"][0])
            if not ref:
                if key == "frontendIPConfiguration":
                    raise _bad_format(f"Load balancing rule {rule['id']} has no frontendIPConfiguration.")
                continue
            if ref.lower() not in ids[coll]:
                raise invalid_reference(ref, rule["id"])
            rp[key] = {"id": next(c["id"] for c in children[coll] if c["id"].lower() == ref.lower())}
            used_by.setdefault(ref.lower(), []).append({"id": rule["id"]})
        if rp.get("backendAddressPool"):
            rp["backendAddressPools"] = [rp["backendAddressPool"]]
        proto = str(rp.get("protocol") or "").lower()
        if proto not in ("tcp", "udp", "all") or rp.get("frontendPort") is None or rp.get("backendPort") is None:
            raise _bad_format(f"Load balancing rule {rule['id']} needs protocol (Tcp, Udp or All), frontendPort "
                              "and backendPort.")
        rp["protocol"] = {"tcp": "Tcp", "udp": "Udp", "all": "All"}[proto]
        for key, default in (("enableFloatingIP", False), ("idleTimeoutInMinutes", 4), ("loadDistribution", "Default"),
                             ("disableOutboundSnat", False), ("enableTcpReset", False)):
            rp.setdefault(key, default)
        rp["provisioningState"] = "Succeeded"
    for probe in children["probes"]:
        pp = probe["properties"]
        proto = str(pp.get("protocol") or "").lower()
        if proto not in ("tcp", "http", "https") or not pp.get("port"):
            raise _bad_format(f"Probe {probe['id']} needs protocol (Tcp, Http or Https) and port.")
        pp["protocol"] = {"tcp": "Tcp", "http": "Http", "https": "Https"}[proto]
        pp.setdefault("intervalInSeconds", 5)
        pp.setdefault("numberOfProbes", 1)
        pp.setdefault("probeThreshold", 1)
        pp["provisioningState"] = "Succeeded"
    for coll in ("frontendIPConfigurations", "backendAddressPools", "probes"):
        for c in children[coll]:
            if c["id"].lower() in used_by:
                c["properties"]["loadBalancingRules"] = used_by[c["id"].lower()]
            else:
                c["properties"].pop("loadBalancingRules", None)
    for pool in children["backendAddressPools"]:
        pool["properties"].pop("backendIPConfigurations", None)  # computed from the NICs by refresh()
        pool["properties"]["provisioningState"] = "Succeeded"
    if existing:
        # A pool that NICs still reference cannot disappear.
        members = index(ctx.store, ctx.cloud)["pool_members"]
        for pool in existing["properties"].get("backendAddressPools", []):
            if pool["id"].lower() not in ids["backendAddressPools"] and members.get(pool["id"].lower()):
                raise ArmError(400, "InvalidResourceReference",
                               f"Resource {pool['id']} referenced by resource {members[pool['id'].lower()][0]} was "
                               "not found. Please make sure that the referenced resource exists, and that both "
                               "resources are in the same region.", details=[])
    props = {"resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid") or _guid(rid, "guid"),
             **children, "inboundNatRules": [], "outboundRules": [], "inboundNatPools": []}
    return {"sku": {"name": sku, "tier": (body.get("sku") or {}).get("tier") or "Regional"}, "properties": props}


def load_balancer_in_use(ctx, body):
    members = index(ctx.store, ctx.cloud)["pool_members"]
    users = [m for pool in body["properties"].get("backendAddressPools", []) for m in members.get(pool["id"].lower(), [])]
    if users:
        return ArmError(400, "LoadBalancerInUseByVirtualMachine",
                        f"Cannot delete load balancer {body['id']} since its backend address pools are referenced by "
                        f"IP configurations {', '.join(users)}. Remove them from the pool first.", details=[])
    return None


# -- virtual networks and subnets ----------------------------------------------------------------------------------------
def _subnet_body(ctx, vnet_id, location, s, old=None):
    name = s.get("name")
    sid = f"{vnet_id}/subnets/{name}"
    if not name:
        raise _bad_format(f"A subnet of virtual network {vnet_id} has no name.")
    props_in = dict(s.get("properties") or {})
    prefixes = [props_in["addressPrefix"]] if props_in.get("addressPrefix") else list(props_in.get("addressPrefixes") or [])
    if not prefixes:
        raise ArmError(400, "NetcfgInvalidSubnet", f"Subnet '{name}' is not valid in virtual network "
                       f"'{vnet_id.rsplit('/', 1)[-1]}'.", details=[])
    for prefix in prefixes:
        _network(prefix, sid)
    props = {"provisioningState": "Succeeded", "delegations": props_in.get("delegations") or [],
             "privateEndpointNetworkPolicies": props_in.get("privateEndpointNetworkPolicies") or "Disabled",
             "privateLinkServiceNetworkPolicies": props_in.get("privateLinkServiceNetworkPolicies") or "Enabled"}
    if len(prefixes) == 1:
        props["addressPrefix"] = prefixes[0]
    else:
        props["addressPrefixes"] = prefixes
    for key, rtype in (("networkSecurityGroup", NSG_TYPE), ("routeTable", RT_TYPE)):
        ref = _ref(props_in.get(key))
        if ref:
            target = _require_ref(ctx, ref, sid, location, rtype)
            props[key] = {"id": target["id"]}
    for key in ("serviceEndpoints", "defaultOutboundAccess"):
        if key in props_in:
            props[key] = props_in[key]
    if old and old["properties"].get("ipConfigurations"):
        props["ipConfigurations"] = old["properties"]["ipConfigurations"]
    return {"name": name, "id": sid, "etag": _etag(sid + json.dumps(props, sort_keys=True)), "type": SUBNET_TYPE,
            "properties": props}


def _check_subnets(vnet_name, space, subnets):
    nets = [ipaddress.ip_network(a, strict=False) for a in space]
    seen = []
    for s in subnets:
        prefixes = [s["properties"]["addressPrefix"]] if s["properties"].get("addressPrefix") \
            else s["properties"]["addressPrefixes"]
        for prefix in prefixes:
            net = ipaddress.ip_network(prefix, strict=False)
            inside = any(net.version == n.version and net.subnet_of(n) for n in nets)
            overlaps = any(net.version == o.version and net.overlaps(o) for o, _unused in seen)
            if not inside or overlaps:
                raise ArmError(400, "NetcfgInvalidSubnet",
                               f"Subnet '{s['name']}' is not valid in virtual network '{vnet_name}'.", details=[])
            seen.append((net, s["name"]))


def subnet_users(ctx, subnet_id):
    return index(ctx.store, ctx.cloud)["subnet_ipconfigs"].get(subnet_id.lower(), [])


def in_use_subnet(subnet_name, users):
    return ArmError(400, "InUseSubnetCannotBeDeleted",
                    f"Subnet {subnet_name} is in use by {users[0]} and cannot be deleted. In order to delete the "
                    "subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.", details=[])


def normalize_vnet(ctx, p, body, existing, rid):
    props_in = body.get("properties") or {}
    location = normalize_location(body["location"])
    space = list((props_in.get("addressSpace") or {}).get("addressPrefixes") or [])
    if not space:
        raise _bad_format(f"Virtual network {rid} must have at least one address prefix in its address space.")
    for prefix in space:
        _network(prefix, rid)
    old = {s["name"].lower(): s for s in (existing or {}).get("properties", {}).get("subnets", [])}
    subnets = [_subnet_body(ctx, rid, location, s, old.get(str(s.get("name", "")).lower()))
               for s in props_in.get("subnets") or []]
    _check_subnets(p["name"], space, subnets)
    kept = {s["name"].lower() for s in subnets}
    for name, s in old.items():
        users = subnet_users(ctx, s["id"])
        if name not in kept and users:
            raise in_use_subnet(s["name"], users)
    props = {"resourceGuid": (existing or {}).get("properties", {}).get("resourceGuid") or _guid(rid, "guid"),
             "addressSpace": {"addressPrefixes": space}, "subnets": subnets,
             "virtualNetworkPeerings": (existing or {}).get("properties", {}).get("virtualNetworkPeerings", []),
             "enableDdosProtection": bool(props_in.get("enableDdosProtection", False))}
    if props_in.get("dhcpOptions"):
        props["dhcpOptions"] = props_in["dhcpOptions"]
    return {"properties": props}


def vnet_in_use(ctx, body):
    for s in body["properties"].get("subnets", []):
        users = subnet_users(ctx, s["id"])
        if users:
            return in_use_subnet(s["name"], users)
    return None


SUBNET = P + "Microsoft.Network/virtualNetworks/{vnet}/subnets"


def _vnet_for_subnet(ctx, p):
    require_rg(ctx, p["sub"], p["rg"])
    vnet = ctx.store.get_resource(ctx.cloud, net_id(p["sub"], p["rg"], "virtualNetworks", p["vnet"]))
    if vnet is None:
        raise not_found(VNET_TYPE, p["vnet"], p["rg"])
    return vnet


@ROUTER.route("GET", SUBNET, rtype=SUBNET_TYPE, api_versions=NETWORK_VERSIONS)
def list_subnets(ctx, req, p):
    return ctx.page(_vnet_for_subnet(ctx, p)["properties"].get("subnets", []))


@ROUTER.route("PUT", SUBNET + "/{name}", rtype=SUBNET_TYPE, api_versions=NETWORK_VERSIONS)
def put_subnet(ctx, req, p):
    vnet = _vnet_for_subnet(ctx, p)
    body = req.json() or {}
    subnets = vnet["properties"].get("subnets", [])
    old = next((s for s in subnets if s["name"].lower() == p["name"].lower()), None)
    new = _subnet_body(ctx, vnet["id"], vnet["location"], dict(body, name=old["name"] if old else p["name"]), old)
    others = [s for s in subnets if s is not old]
    _check_subnets(vnet["name"], vnet["properties"]["addressSpace"]["addressPrefixes"], others + [new])
    vnet["properties"]["subnets"] = [new if s is old else s for s in subnets] if old else subnets + [new]
    vnet["etag"] = _etag(json.dumps(vnet["properties"], sort_keys=True))
    sid = new["id"]

    def subnet_now(c):
        return find_subnet(c.store, c.cloud, sid)[1]
    return write(ctx, req, p, vnet, old is None, WRITE_SECONDS, response_body=subnet_now)


@ROUTER.route("DELETE", SUBNET + "/{name}", rtype=SUBNET_TYPE, api_versions=NETWORK_VERSIONS)
def delete_subnet(ctx, req, p):
    vnet = _vnet_for_subnet(ctx, p)
    subnet = next((s for s in vnet["properties"].get("subnets", []) if s["name"].lower() == p["name"].lower()), None)
    if subnet is None:
        return Response(204)
    users = subnet_users(ctx, subnet["id"])
    if users:
        raise in_use_subnet(subnet["name"], users)
    vnet["properties"]["subnets"] = [s for s in vnet["properties"]["subnets"] if s is not subnet]
    meta = parse_id(vnet["id"])
    ctx.store.put_resource(ctx.cloud, vnet["id"], VNET_TYPE, meta[0], meta[1], vnet)
    op_id = ctx.sim.start_operation(ctx.cloud, "network-delete", WRITE_SECONDS, {"name": "noop"}, req.method, req.path)
    refresh(ctx.store, ctx.cloud)
    return Response(202, b"", _async_headers(ctx, p["sub"], vnet["location"], op_id, with_location=True))


# -- network interfaces -------------------------------------------------------------------------------------------------------
def normalize_nic(ctx, p, body, existing, rid):
    props_in = body.get("properties") or {}
    location = normalize_location(body["location"])
    configs = props_in.get("ipConfigurations") or []
    if not configs:
        raise _bad_format(f"Network interface {rid} must have at least one IP configuration.")
    out = []
    vnet_ids = set()
    for i, c in enumerate(configs):
        name = c.get("name") or f"ipconfig{i + 1}"
        cid = f"{rid}/ipConfigurations/{name}"
        cp = dict(c.get("properties") or {})
        vnet, subnet = find_subnet(ctx.store, ctx.cloud, _ref(cp.get("subnet")))
        if subnet is None or normalize_location(vnet["location"]) != location:
            raise invalid_reference(_ref(cp.get("subnet")) or "(no subnet)", cid)
        vnet_ids.add(vnet["id"].lower())
        static = (cp.get("privateIPAllocationMethod") or ("Static" if cp.get("privateIPAddress") else "Dynamic")) \
            .capitalize() == "Static"
        ip = _assign_private_ip(ctx, subnet["id"], subnet, cid, cp.get("privateIPAddress"), static)
        props = {"provisioningState": "Succeeded", "privateIPAddress": ip,
                 "privateIPAllocationMethod": "Static" if static else "Dynamic", "subnet": {"id": subnet["id"]},
                 "primary": bool(cp.get("primary", i == 0)), "privateIPAddressVersion": "IPv4"}
        if _ref(cp.get("publicIPAddress")):
            pip = _check_public_ip(ctx, _ref(cp["publicIPAddress"]), cid, location)
            props["publicIPAddress"] = {"id": pip["id"]}
        pools = []
        for pool_ref in cp.get("loadBalancerBackendAddressPools") or []:
            lb, pool = find_child(ctx.store, ctx.cloud, _ref(pool_ref), "backendAddressPools")
            if pool is None or normalize_location(lb["location"]) != location:
                raise invalid_reference(_ref(pool_ref), cid)
            pools.append({"id": pool["id"]})
        if pools:
            props["loadBalancerBackendAddressPools"] = pools
        out.append({"name": name, "id": cid, "etag": _etag(cid), "type": NIC_TYPE + "/ipConfigurations",
                    "properties": props})
    if len(vnet_ids) > 1:
        raise _bad_format(f"IP configurations of network interface {rid} must all use subnets of the same virtual "
                          "network.")
    props = dict((existing or {}).get("properties") or {})
    props.update({
        "resourceGuid": props.get("resourceGuid") or _guid(rid, "guid"), "ipConfigurations": out,
        "enableAcceleratedNetworking": bool(props_in.get("enableAcceleratedNetworking", False)),
        "enableIPForwarding": bool(props_in.get("enableIPForwarding", False)),
        "dnsSettings": {"dnsServers": (props_in.get("dnsSettings") or {}).get("dnsServers") or [],
                        "appliedDnsServers": [],
                        "internalDomainNameSuffix": f"{_hexid(next(iter(vnet_ids)))[:26]}.bx.internal.cloudapp.net"},
        "vnetEncryptionSupported": False, "hostedWorkloads": [], "tapConfigurations": [], "nicType": "Standard",
        "allowPort25Out": False, "auxiliaryMode": "None", "auxiliarySku": "None"})
    if not props.get("macAddress") and (existing or {}).get("properties", {}).get("virtualMachine"):
        mac = _hexid(rid)[:12].upper()
        props["macAddress"] = "-".join(mac[i:i + 2] for i in range(0, 12, 2))
    nsg = _ref(props_in.get("networkSecurityGroup"))
    if nsg:
        props["networkSecurityGroup"] = {"id": _require_ref(ctx, nsg, rid, location, NSG_TYPE)["id"]}
    else:
        props.pop("networkSecurityGroup", None)
    return {"properties": props}


def nic_in_use(ctx, body):
    vm = _ref(body["properties"].get("virtualMachine"))
    if vm and ctx.store.get_resource(ctx.cloud, vm) is not None:
        return ArmError(400, "NicInUse",
                        f"Network Interface {body['id']} is used by existing resource {vm}. In order to delete the "
                        "network interface, it must be dissociated from the resource. To learn more, see "
                        "aka.ms/deletenic.", details=[])
    return None


register("networkSecurityGroups", NSG_TYPE, normalize_nsg, in_use=nsg_in_use)
register("routeTables", RT_TYPE, normalize_route_table, in_use=route_table_in_use)
register("publicIPAddresses", PIP_TYPE, normalize_public_ip, in_use=public_ip_in_use)
register("loadBalancers", LB_TYPE, normalize_load_balancer, in_use=load_balancer_in_use, seconds=20)
# GET and list-by-RG of VNets and NICs are served by compute.py (and the NIC subscription list too).
register("virtualNetworks", VNET_TYPE, normalize_vnet, in_use=vnet_in_use, reads=False)
register("networkInterfaces", NIC_TYPE, normalize_nic, in_use=nic_in_use, reads=False, list_all=False)


# -- seeding ---------------------------------------------------------------------------------------------------------------------
class _SeedCtx:
    """Enough of ArmContext for the normalizers, so seeds are validated like requests."""

    seeding = True  # seeds describe what already exists, retired SKUs included

    def __init__(self, sim, cloud):
        self.sim, self.cloud, self.store = sim, cloud, sim.store


def _seed(sim, cloud, sub, spec, segment, body):
    kind = KINDS[segment]
    rg, name = spec["resource_group"], spec["name"]
    rid = net_id(sub, rg, segment, name)
    existing = sim.store.get_resource(cloud, rid)
    body = dict(body, location=normalize_location(spec.get("location")))
    stored = kind.normalize(_SeedCtx(sim, cloud), {"sub": sub, "rg": rg, "name": name}, body, existing, rid)
    stored.update({"name": name, "id": rid, "type": kind.rtype, "location": body["location"], "etag": _etag(rid),
                   "tags": spec.get("tags") or {}})
    stored["properties"]["provisioningState"] = "Succeeded"
    sim.store.put_resource(cloud, rid, kind.rtype, sub, rg, stored)
    refresh(sim.store, cloud)
    return stored


def _rule_spec(r):
    props = {"priority": r["priority"], "direction": r.get("direction", "Inbound"), "access": r.get("access", "Allow"),
             "protocol": r.get("protocol", "Tcp"), "sourcePortRange": r.get("source_port_range", "*"),
             "sourceAddressPrefix": r.get("source_address_prefix", "*"),
             "destinationAddressPrefix": r.get("destination_address_prefix", "*")}
    ports = r.get("destination_port_range", "*")
    if isinstance(ports, list):
        props["destinationPortRanges"] = [str(x) for x in ports]
    else:
        props["destinationPortRange"] = str(ports)
    if r.get("description"):
        props["description"] = r["description"]
    return {"name": r["name"], "properties": props}


def seed_nsg(sim, cloud, sub, spec):
    """{name, resource_group, location, tags, rules: [{name, priority, direction, access, protocol,
    source_address_prefix, destination_address_prefix, source_port_range, destination_port_range (str or list)}]}"""
    return _seed(sim, cloud, sub, spec, "networkSecurityGroups",
                 {"properties": {"securityRules": [_rule_spec(r) for r in spec.get("rules") or []]}})


def seed_route_table(sim, cloud, sub, spec):
    """{name, resource_group, location, tags, routes: [{name, address_prefix, next_hop_type, next_hop_ip_address}]}"""
    routes = []
    for r in spec.get("routes") or []:
        props = {"addressPrefix": r["address_prefix"], "nextHopType": r.get("next_hop_type", "VirtualAppliance")}
        if r.get("next_hop_ip_address"):
            props["nextHopIpAddress"] = r["next_hop_ip_address"]
        routes.append({"name": r["name"], "properties": props})
    return _seed(sim, cloud, sub, spec, "routeTables",
                 {"properties": {"routes": routes,
                                 "disableBgpRoutePropagation": bool(spec.get("disable_bgp_route_propagation"))}})


def seed_public_ip(sim, cloud, sub, spec):
    """{name, resource_group, location, tags, sku (Basic|Standard), allocation (Static|Dynamic), zones,
    domain_name_label}"""
    sku = spec.get("sku", "Standard")
    props = {"publicIPAllocationMethod": spec.get("allocation") or ("Static" if sku == "Standard" else "Dynamic")}
    if spec.get("domain_name_label"):
        props["dnsSettings"] = {"domainNameLabel": spec["domain_name_label"]}
    body = {"sku": {"name": sku}, "properties": props}
    if spec.get("zones"):
        body["zones"] = spec["zones"]
    return _seed(sim, cloud, sub, spec, "publicIPAddresses", body)


def _ref_id(sub, default_rg, value, segment):
    if not value:
        return None
    if isinstance(value, dict):
        return net_id(sub, value.get("resource_group", default_rg), segment, value["name"])
    return value if value.startswith("/") else net_id(sub, default_rg, segment, value)


def seed_load_balancer(sim, cloud, sub, spec):
    """{name, resource_group, location, tags, sku, frontends: [{name, subnet: {vnet, subnet, resource_group?},
    private_ip?} | {name, public_ip}], backend_pools: [name], probes: [{name, protocol, port, request_path?}],
    rules: [{name, frontend, backend_pool, probe, protocol, frontend_port, backend_port}]}"""
    rg = spec["resource_group"]
    lb_id = net_id(sub, rg, "loadBalancers", spec["name"])
    frontends = []
    for fe in spec.get("frontends") or []:
        props = {}
        if fe.get("public_ip"):
            props["publicIPAddress"] = {"id": _ref_id(sub, rg, fe["public_ip"], "publicIPAddresses")}
        else:
            sn = fe["subnet"]
            vnet_id = net_id(sub, sn.get("resource_group", rg), "virtualNetworks", sn["vnet"])
            props["subnet"] = {"id": f"{vnet_id}/subnets/{sn['subnet']}"}
            if fe.get("private_ip"):
                props.update(privateIPAddress=fe["private_ip"], privateIPAllocationMethod="Static")
        frontends.append({"name": fe["name"], "properties": props})
    rules = []
    for r in spec.get("rules") or []:
        props = {"frontendIPConfiguration": {"id": f"{lb_id}/frontendIPConfigurations/{r['frontend']}"},
                 "backendAddressPool": {"id": f"{lb_id}/backendAddressPools/{r['backend_pool']}"},
                 "protocol": r.get("protocol", "Tcp"), "frontendPort": r["frontend_port"],
                 "backendPort": r.get("backend_port", r["frontend_port"])}
        if r.get("probe"):
            props["probe"] = {"id": f"{lb_id}/probes/{r['probe']}"}
        rules.append({"name": r["name"], "properties": props})
    probes = [{"name": pr["name"], "properties": {k: v for k, v in {
        "protocol": pr.get("protocol", "Tcp"), "port": pr["port"], "requestPath": pr.get("request_path"),
        "intervalInSeconds": pr.get("interval", 5), "numberOfProbes": pr.get("number_of_probes", 1)}.items()
        if v is not None}} for pr in spec.get("probes") or []]
    return _seed(sim, cloud, sub, spec, "loadBalancers",
                 {"sku": {"name": spec.get("sku", "Standard")},
                  "properties": {"frontendIPConfigurations": frontends,
                                 "backendAddressPools": [{"name": n} for n in spec.get("backend_pools") or []],
                                 "probes": probes, "loadBalancingRules": rules}})


def seed_subnet_refs(sim, cloud, sub, vnet_spec):
    """Point the seeded VNet's subnets at their NSG / route table (`network_security_group`, `route_table`)."""
    rg = vnet_spec["resource_group"]
    vid = net_id(sub, rg, "virtualNetworks", vnet_spec["name"])
    vnet = sim.store.get_resource(cloud, vid)
    if vnet is None:
        return None
    wanted = {s["name"].lower(): s for s in vnet_spec.get("subnets") or []}
    for s in vnet["properties"]["subnets"]:
        spec = wanted.get(s["name"].lower()) or {}
        for key, prop, segment in (("network_security_group", "networkSecurityGroup", "networkSecurityGroups"),
                                   ("route_table", "routeTable", "routeTables")):
            ref = _ref_id(sub, rg, spec.get(key), segment)
            if ref:
                if sim.store.get_resource(cloud, ref) is None:
                    raise ValueError(f"subnet {s['name']}: {key} {ref} is not seeded")
                s["properties"][prop] = {"id": ref}
    sim.store.put_resource(cloud, vid, VNET_TYPE, sub, rg, vnet)
    refresh(sim.store, cloud)
    return vnet


def seed_vm_refs(sim, cloud, sub, vm):
    """The seeded VM's NIC-level references: `network_security_group` and `public_ip` (per NIC, from `nics` or the
    single-NIC keys), and `load_balancer_backend_pools` ([{load_balancer, pool, resource_group?}] or ["lb/pool"]) on
    the primary NIC. Returns the primary NIC."""
    rg = vm["resource_group"]
    vm_id = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm['name']}"
    body = sim.store.get_resource(cloud, vm_id)
    if body is None:
        return None
    primary = None
    refreshed = False
    for ref, spec in zip(body["properties"]["networkProfile"]["networkInterfaces"], nic_specs(vm)):
        nic = sim.store.get_resource(cloud, ref["id"])
        ipc = nic["properties"]["ipConfigurations"][0]["properties"]
        changed = False
        nsg = _ref_id(sub, rg, spec.get("network_security_group"), "networkSecurityGroups")
        if nsg:
            nic["properties"]["networkSecurityGroup"] = {"id": nsg}
            changed = True
        pip = _ref_id(sub, rg, spec.get("public_ip"), "publicIPAddresses")
        if pip:
            ipc["publicIPAddress"] = {"id": pip}
            changed = True
        pools = []
        for item in (vm.get("load_balancer_backend_pools") or []) if spec["primary"] else []:
            if isinstance(item, str):
                lb_name, _unused, pool = item.partition("/")
                item = {"load_balancer": lb_name, "pool": pool}
            lb_id = net_id(sub, item.get("resource_group", rg), "loadBalancers", item["load_balancer"])
            pools.append({"id": f"{lb_id}/backendAddressPools/{item['pool']}"})
        if pools:
            ipc["loadBalancerBackendAddressPools"] = pools
            changed = True
        for ref_id in [nsg, pip] + [p_["id"].rsplit("/backendAddressPools/", 1)[0] for p_ in pools]:
            if ref_id and sim.store.get_resource(cloud, ref_id) is None:
                raise ValueError(f"VM {vm['name']}: {ref_id} is not seeded")
        if changed:
            meta = parse_id(ref["id"])
            sim.store.put_resource(cloud, ref["id"], NIC_TYPE, meta[0], meta[1], nic)
            refreshed = True
        if spec["primary"]:
            primary = nic
    if refreshed:
        refresh(sim.store, cloud)
    return primary
