"""Microsoft.Compute catalog reads: usages (quota) per location, resource SKUs, and availability sets.

Usages follow the Usage model (`name {value, localizedValue}`, `currentValue`, `limit`, `unit`); the current
value of a family is the vCPUs of the VMs of that family in the subscription and location. Resource SKUs
follow ResourceSku: one entry per size and location, with `locationInfo`, `capabilities` (vCPUs, MemoryGB, ...)
and `restrictions`. Admin knobs set a family's limit in a location and restrict a size in a location
(`AdminClient.set_quota`, `AdminClient.restrict_size`). Availability sets are seeded and read-only.
"""
from ..arm import ROUTER, ArmError, normalize_location
from ..clouds import CLOUDS
from ..httpbase import Response
from .compute import COMPUTE_VERSIONS, VM_TYPE
from .resources import require_rg

AVSET_TYPE = "Microsoft.Compute/availabilitySets"
SKU_VERSIONS = {"2021-07-01", "2019-04-01", "2017-09-01"}  # azure-mgmt-compute 39: resource_skus 2021-07-01
META_KEY = "compute_catalog"

# size -> (family, vCPUs, memory GB, max data disks, premium IO, ACUs, max NICs, accelerated networking)
SIZES = {
    "Standard_B2s": ("standardBSFamily", 2, 4, 4, True, 0, 3, False),
    "Standard_B2ms": ("standardBSFamily", 2, 8, 4, True, 0, 3, False),
    "Standard_B4ms": ("standardBSFamily", 4, 16, 8, True, 0, 4, True),
    "Standard_D2s_v3": ("standardDSv3Family", 2, 8, 4, True, 160, 2, True),
    "Standard_D4s_v3": ("standardDSv3Family", 4, 16, 8, True, 160, 2, True),
    "Standard_D8s_v3": ("standardDSv3Family", 8, 32, 16, True, 160, 4, True),
    "Standard_D2s_v5": ("standardDSv5Family", 2, 8, 4, True, 195, 2, True),
    "Standard_D4s_v5": ("standardDSv5Family", 4, 16, 8, True, 195, 2, True),
    "Standard_D2as_v5": ("standardDASv5Family", 2, 8, 4, True, 0, 2, True),
    "Standard_D4as_v5": ("standardDASv5Family", 4, 16, 8, True, 0, 2, True),
    "Standard_E4s_v3": ("standardESv3Family", 4, 32, 8, True, 160, 2, True),
    "Standard_E4s_v5": ("standardESv5Family", 4, 32, 8, True, 195, 2, True),
    "Standard_F4s_v2": ("standardFSv2Family", 4, 8, 8, True, 195, 2, True),
    "Standard_DS2_v2": ("standardDSv2Family", 2, 7, 8, True, 210, 2, True),
    "Standard_DS3_v2": ("standardDSv2Family", 4, 14, 16, True, 210, 4, True),
}
# Sizes offered only in some regions (every other size is offered everywhere): the resource SKUs of another region do
# not list them, and a VM of that size cannot be created there (SkuNotAvailable). Representative, not a per-region
# fact: Standard_DS3_v2 stands for a size the Government source region has and the public target regions do not.
REGIONAL_SIZES = {"Standard_DS3_v2": {"usgovvirginia", "usgovtexas", "usgovarizona", "usgoviowa"}}
FAMILY_NAMES = {
    "standardBSFamily": "Standard BS Family vCPUs", "standardDSv3Family": "Standard DSv3 Family vCPUs",
    "standardDSv5Family": "Standard DSv5 Family vCPUs", "standardDASv5Family": "Standard DASv5 Family vCPUs",
    "standardESv3Family": "Standard ESv3 Family vCPUs", "standardESv5Family": "Standard ESv5 Family vCPUs",
    "standardFSv2Family": "Standard FSv2 Family vCPUs", "standardDSv2Family": "Standard DSv2 Family vCPUs",
}
# Default limits of a pay-as-you-go subscription (regional vCPUs and per-family vCPUs).
DEFAULT_LIMITS = {"cores": 100, "availabilitySets": 2500, "virtualMachines": 25000, "virtualMachineScaleSets": 2500}
DEFAULT_FAMILY_LIMIT = 100
ZONES = {
    "gov": {"usgovvirginia"},
    "public": {"eastus", "eastus2", "westus2", "westus3", "centralus", "northeurope", "westeurope", "uksouth",
               "canadacentral", "southcentralus"},
}


def _knobs(sim):
    return sim.store.get_meta(META_KEY, {"quotas": {}, "restrictions": {}})


def set_quota(sim, cloud, location, name, limit):
    """Limit of a usage (`cores`, a family such as `standardDSv3Family`, `virtualMachines`) in a location."""
    if name not in DEFAULT_LIMITS and name not in FAMILY_NAMES:
        raise ValueError(f"unknown usage name '{name}'")
    knobs = _knobs(sim)
    knobs["quotas"][f"{cloud}|{normalize_location(location)}|{name}"] = int(limit)
    sim.store.set_meta(META_KEY, knobs)
    return {"cloud": cloud, "location": normalize_location(location), "name": name, "limit": int(limit)}


def restrict_size(sim, cloud, location, size, reason="NotAvailableForSubscription", restricted=True):
    """Make a size unavailable in a location (a `Location` restriction), or available again."""
    if size not in SIZES:
        raise ValueError(f"unknown size '{size}'")
    knobs = _knobs(sim)
    key = f"{cloud}|{normalize_location(location)}|{size}"
    if restricted:
        knobs["restrictions"][key] = reason
    else:
        knobs["restrictions"].pop(key, None)
    sim.store.set_meta(META_KEY, knobs)
    return {"cloud": cloud, "location": normalize_location(location), "size": size, "restricted": restricted}


def reset(sim):
    sim.store.set_meta(META_KEY, {"quotas": {}, "restrictions": {}})


def admin(sim, parts, method, body):
    """Admin API: POST /compute/quotas {cloud, location, name, limit}; POST /compute/restrictions
    {cloud, location, size, reason?, restricted?}; DELETE /compute/knobs (back to the defaults)."""
    if parts == ["quotas"] and method == "POST":
        return Response(200, set_quota(sim, body["cloud"], body["location"], body["name"], body["limit"]))
    if parts == ["restrictions"] and method == "POST":
        return Response(200, restrict_size(sim, body["cloud"], body["location"], body["size"],
                                           body.get("reason") or "NotAvailableForSubscription",
                                           body.get("restricted", True)))
    if parts == ["knobs"] and method == "DELETE":
        reset(sim)
        return Response(204)
    return Response(404, {"error": {"code": "NotFound", "message": "unknown admin endpoint"}})


# -- usages -------------------------------------------------------------------------------------------------
def usages(sim, cloud, sub, location):
    location = normalize_location(location)
    quotas = _knobs(sim)["quotas"]
    counts = {"cores": 0, "virtualMachines": 0, "availabilitySets": 0, "virtualMachineScaleSets": 0}
    families = {f: 0 for f in FAMILY_NAMES}
    for vm in sim.store.list_resources(cloud, VM_TYPE, sub):
        if normalize_location(vm.get("location")) != location:
            continue
        counts["virtualMachines"] += 1
        size = SIZES.get(vm["properties"]["hardwareProfile"]["vmSize"])
        if size:
            counts["cores"] += size[1]
            families[size[0]] += size[1]
    counts["availabilitySets"] = sum(1 for a in sim.store.list_resources(cloud, AVSET_TYPE, sub)
                                     if normalize_location(a.get("location")) == location)

    def limit(name, default):
        return quotas.get(f"{cloud}|{location}|{name}", default)

    out = [{"limit": limit("availabilitySets", DEFAULT_LIMITS["availabilitySets"]), "unit": "Count",
            "currentValue": counts["availabilitySets"],
            "name": {"value": "availabilitySets", "localizedValue": "Availability Sets"}},
           {"limit": limit("cores", DEFAULT_LIMITS["cores"]), "unit": "Count", "currentValue": counts["cores"],
            "name": {"value": "cores", "localizedValue": "Total Regional vCPUs"}},
           {"limit": limit("virtualMachines", DEFAULT_LIMITS["virtualMachines"]), "unit": "Count",
            "currentValue": counts["virtualMachines"],
            "name": {"value": "virtualMachines", "localizedValue": "Virtual Machines"}},
           {"limit": limit("virtualMachineScaleSets", DEFAULT_LIMITS["virtualMachineScaleSets"]), "unit": "Count",
            "currentValue": 0, "name": {"value": "virtualMachineScaleSets",
                                        "localizedValue": "Virtual Machine Scale Sets"}}]
    for family, label in FAMILY_NAMES.items():
        out.append({"limit": limit(family, DEFAULT_FAMILY_LIMIT), "unit": "Count", "currentValue": families[family],
                    "name": {"value": family, "localizedValue": label}})
    return out


@ROUTER.route("GET", "/subscriptions/{sub}/providers/Microsoft.Compute/locations/{location}/usages",
              rtype="Microsoft.Compute/locations/usages", api_versions=COMPUTE_VERSIONS)
def list_usages(ctx, req, p):
    location = normalize_location(p["location"])
    if location not in CLOUDS[ctx.cloud]["locations"]:
        raise ArmError(404, "NoRegisteredProviderFound",
                       f"No registered resource provider found for location '{location}' and API version "
                       f"'{req.api_version}' for type 'locations/usages'. The supported locations are "
                       f"'{', '.join(CLOUDS[ctx.cloud]['locations'])}'.")
    return ctx.page(usages(ctx.sim, ctx.cloud, p["sub"], location))


# -- resource SKUs ------------------------------------------------------------------------------------------------
def catalog_size(size):
    """The catalog's spelling of a size name (any case), or None."""
    return next((s for s in SIZES if s.lower() == (size or "").lower()), None)


def offered(size, location):
    """True when the region offers the size (REGIONAL_SIZES), whatever the subscription's restrictions."""
    size = catalog_size(size)
    return size is not None and normalize_location(location) in REGIONAL_SIZES.get(size, {normalize_location(location)})


def zones_for(sim, cloud, size, location):
    """The availability zones a VM of this size can use in the location (the SKU's locationInfo zones; the region's
    zones for a size the catalog does not know; none where the region has no zones or does not offer the size)."""
    location = normalize_location(location)
    if catalog_size(size) is None:
        return ["1", "2", "3"] if location in ZONES.get(cloud, set()) else []
    if not offered(size, location):
        return []
    return sku_entry(sim, cloud, catalog_size(size), location)["locationInfo"][0]["zones"]


def sku_entry(sim, cloud, size, location, knobs=None):
    family, vcpus, memory, disks, premium, acus, nics, accel = SIZES[size]
    knobs = knobs if knobs is not None else _knobs(sim)
    zones = ["1", "2", "3"] if location in ZONES.get(cloud, set()) else []
    caps = [("MaxResourceVolumeMB", str(vcpus * 8192) if not size.endswith("_v5") else "0"),
            ("OSVhdSizeMB", "1047552"), ("vCPUs", str(vcpus)), ("MemoryPreservingMaintenanceSupported", "True"),
            ("HyperVGenerations", "V1,V2"), ("MemoryGB", str(memory)), ("MaxDataDiskCount", str(disks)),
            ("CpuArchitectureType", "x64"), ("LowPriorityCapable", "True"), ("PremiumIO", str(premium)),
            ("VMDeploymentTypes", "IaaS"), ("vCPUsAvailable", str(vcpus)), ("vCPUsPerCore", "2"),
            ("EphemeralOSDiskSupported", "True"), ("EncryptionAtHostSupported", "True"),
            ("AcceleratedNetworkingEnabled", str(accel)), ("RdmaEnabled", "False"), ("MaxNetworkInterfaces", str(nics))]
    if acus:
        caps.insert(12, ("ACUs", str(acus)))
    restrictions = []
    reason = knobs["restrictions"].get(f"{cloud}|{location}|{size}")
    if reason:
        restrictions.append({"type": "Location", "values": [location], "restrictionInfo": {"locations": [location]},
                             "reasonCode": reason})
    return {"resourceType": "virtualMachines", "name": size, "tier": "Standard", "size": size.split("_", 1)[1],
            "family": family, "locations": [location],
            "locationInfo": [{"location": location, "zones": zones, "zoneDetails": []}],
            "capabilities": [{"name": n, "value": v} for n, v in caps], "restrictions": restrictions}


@ROUTER.route("GET", "/subscriptions/{sub}/providers/Microsoft.Compute/skus", rtype="Microsoft.Compute/skus",
              api_versions=SKU_VERSIONS)
def list_skus(ctx, req, p):
    wanted = None
    flt = (req.query.get("$filter") or "").strip()
    if flt:
        # The only filter the API supports: location eq '<location>'.
        key, _sep, value = flt.partition(" eq ")
        if key.strip().lower() != "location" or not value.strip().startswith("'"):
            raise ArmError(400, "InvalidFilter", f"The filter '{flt}' is not supported. Only "
                           "\"location eq '<location>'\" is supported.")
        wanted = normalize_location(value.strip().strip("'"))
    knobs = _knobs(ctx.sim)
    locations = [loc for loc in CLOUDS[ctx.cloud]["locations"] if wanted in (None, loc)]
    return ctx.page([sku_entry(ctx.sim, ctx.cloud, size, loc, knobs) for loc in locations for size in SIZES
                     if offered(size, loc)])


# -- availability sets (seeded) -------------------------------------------------------------------------------------------
def _avset_id(sub, rg, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/availabilitySets/{name}"


def seed_availability_set(sim, cloud, sub, spec):
    """{name, resource_group, location, tags, fault_domains (2), update_domains (5)}"""
    rid = _avset_id(sub, spec["resource_group"], spec["name"])
    body = {"name": spec["name"], "id": rid, "type": AVSET_TYPE, "location": normalize_location(spec.get("location")),
            "tags": spec.get("tags") or {}, "sku": {"name": "Aligned"},
            "properties": {"platformUpdateDomainCount": int(spec.get("update_domains", 5)),
                           "platformFaultDomainCount": int(spec.get("fault_domains", 2)), "virtualMachines": []}}
    old = sim.store.get_resource(cloud, rid)
    if old:
        body["properties"]["virtualMachines"] = old["properties"].get("virtualMachines", [])
    sim.store.put_resource(cloud, rid, AVSET_TYPE, sub, spec["resource_group"], body)
    return body


def seed_vm_placement(sim, cloud, sub, vm):
    """The seeded VM's `availability_set` (name in the VM's RG, or an id) or `zone` ("1".."3")."""
    rg = vm["resource_group"]
    vm_id = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm['name']}"
    body = sim.store.get_resource(cloud, vm_id)
    if body is None or not (vm.get("availability_set") or vm.get("zone")):
        return body
    if vm.get("availability_set") and vm.get("zone"):
        raise ValueError(f"VM {vm['name']}: an availability set and a zone exclude each other")
    if vm.get("availability_set"):
        ref = vm["availability_set"]
        avset_id = ref if ref.startswith("/") else _avset_id(sub, rg, ref)
        avset = sim.store.get_resource(cloud, avset_id)
        if avset is None:
            raise ValueError(f"VM {vm['name']}: availability set {avset_id} is not seeded")
        # ARM answers both references with the resource group and name upper-cased, as here.
        avset_rg = avset["id"].split("/")[4]
        body["properties"]["availabilitySet"] = {"id": _avset_id(sub, avset_rg.upper(), avset["name"].upper())}
        members = avset["properties"].setdefault("virtualMachines", [])
        if vm_id.lower() not in [m["id"].lower() for m in members]:
            members.append({"id": f"/subscriptions/{sub}/resourceGroups/{rg.upper()}/providers/Microsoft.Compute/"
                                  f"virtualMachines/{vm['name'].upper()}"})
        sim.store.put_resource(cloud, avset["id"], AVSET_TYPE, sub, avset_rg, avset)
    else:
        zone = str(vm["zone"])
        if zone not in zones_for(sim, cloud, body["properties"]["hardwareProfile"]["vmSize"], body["location"]):
            raise ValueError(f"VM {vm['name']}: zone '{zone}' is not a zone of {body['location']} for its size")
        body["zones"] = [zone]
        # a zonal VM's managed disks are in its zone (Compute: disks of a zonal VM carry the same `zones`)
        prof = body["properties"]["storageProfile"]
        for ref in [prof["osDisk"]] + list(prof.get("dataDisks") or []):
            disk = sim.store.get_resource(cloud, (ref.get("managedDisk") or {}).get("id") or "")
            if disk is not None:
                disk["zones"] = [zone]
                sim.store.put_resource(cloud, disk["id"], "Microsoft.Compute/disks", sub, rg, disk)
    sim.store.put_resource(cloud, vm_id, VM_TYPE, sub, rg, body)
    return body


def _avset(ctx, p):
    require_rg(ctx, p["sub"], p["rg"])
    body = ctx.store.get_resource(ctx.cloud, _avset_id(p["sub"], p["rg"], p["name"]))
    if body is None:
        raise ArmError(404, "ResourceNotFound",
                       f"The Resource '{AVSET_TYPE}/{p['name']}' under resource group '{p['rg']}' was not found. "
                       "For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    return body


@ROUTER.route("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/availabilitySets/{name}",
              rtype=AVSET_TYPE, api_versions=COMPUTE_VERSIONS)
def get_avset(ctx, req, p):
    return Response(200, _avset(ctx, p))


@ROUTER.route("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/availabilitySets",
              rtype=AVSET_TYPE, api_versions=COMPUTE_VERSIONS)
def list_avsets(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    return ctx.page(ctx.store.list_resources(ctx.cloud, AVSET_TYPE, p["sub"], p["rg"]))


@ROUTER.route("GET", "/subscriptions/{sub}/providers/Microsoft.Compute/availabilitySets", rtype=AVSET_TYPE,
              api_versions=COMPUTE_VERSIONS)
def list_all_avsets(ctx, req, p):
    return ctx.page(ctx.store.list_resources(ctx.cloud, AVSET_TYPE, p["sub"]))
