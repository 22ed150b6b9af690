# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The machine that arrives must be the machine that left: for each machine, what the source VM is (recorded once,
before anything is shut down: a deallocated VM loses its dynamic addresses) and what its target will be, field by
field, with the reason wherever the two differ on purpose.

The mapping is kept in a state directory on the controller, one directory per machine (named by the machine key, the
source VM's name), so that every later phase - on another day, after an interruption - reads the same plan:

    <state_dir>/<machine>/mapping.json      machine_mapping (prepare)
    <state_dir>/<machine>/comparison.json   moved_vm (cutover)
    <state_dir>/<machine>/rollback.json     move_rollback

Everything here is pure (dicts in, dicts out) except the two file helpers."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re

from ._files import write_file

SCHEMA = 1
# The state files (plan, comparison, rollback record): readable by the directory's group, like the report's files.
STATE_FILE_MODE = 0o644
KINDS = ("mapping", "comparison", "rollback")
# Tags the move itself writes: bookkeeping, not the machine's own.
BOOKKEEPING_TAG = re.compile(r"^azmove-", re.I)
# InMageRcm inputs (SDK 2.0 models: InMageRcmEnableProtectionInput / InMageRcmUpdateReplicationProtectedItemInput).
WINDOWS_LICENSES = ("NoLicenseType", "WindowsServer")
LINUX_LICENSES = ("NoLicenseType", "LinuxServer")
SQL_LICENSES = ("NoLicenseType", "PAYG", "AHUB")
# The source VM's properties.licenseType (Azure Hybrid Benefit) and the provider's name for the same benefit.
LICENSE_FROM_SOURCE = {"windows_server": ("license_type", "WindowsServer"), "windows_client": ("license_type", None),
                       "rhel_byos": ("linux_license_type", "LinuxServer"), "sles_byos": ("linux_license_type", "LinuxServer")}
OVERRIDABLE = ("vm_name", "size", "zone", "availability_set_id", "proximity_placement_group_id", "tags",
               "license_type", "linux_license_type", "sql_license_type", "keep_ip_addresses", "nics")
MACHINE_NAME = re.compile(r"^[^/\\\x00]{1,255}$")


class MappingError(Exception):
    pass


# -- state files --------------------------------------------------------------------------------------------------------
def state_path(state_dir, machine, kind):
    if kind not in KINDS:
        raise MappingError("Unknown state file kind %r." % kind)
    if not MACHINE_NAME.match(machine or "") or machine in (".", ".."):
        raise MappingError("%r cannot name a machine's state directory." % machine)
    return os.path.join(state_dir, machine, "%s.json" % kind)


def read_state(state_dir, machine, kind):
    """The machine's state file of that kind as a dict, or None when there is none. A file that is not the JSON this
    collection writes is an error, never silently replaced."""
    path = state_path(state_dir, machine, kind)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise MappingError("Cannot read %s: %s" % (path, exc))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise MappingError("%s is not a schema %d %s file of azmove.site_recovery." % (path, SCHEMA, kind))
    return data


def write_state(module, state_dir, machine, kind, data):
    """Write the machine's state file atomically (a temp file in the same directory, then atomic_move); nothing in
    check mode. `module` is an AnsibleModule, or a wrapper with ``.module`` and ``.check_mode``. Returns the path."""
    path = state_path(state_dir, machine, kind)
    ansible = getattr(module, "module", module)
    if getattr(module, "check_mode", False) or ansible.check_mode:
        return path
    os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
    write_file(ansible, path, json.dumps(dict(data, schema=SCHEMA), indent=2, sort_keys=True) + "\n", STATE_FILE_MODE)
    return path


def remove_state(module, state_dir, machine, kind):
    """Remove the machine's state file of that kind (nothing in check mode); True when there was one."""
    path = state_path(state_dir, machine, kind)
    if not os.path.exists(path):
        return False
    if not (getattr(module, "check_mode", False) or getattr(module, "module", module).check_mode):
        os.unlink(path)
    return True


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the source, recorded -------------------------------------------------------------------------------------------------
def _lower(value):
    return (value or "").lower()


def source_record(facts, vm, sql_license_type=None, extensions=(), subnets=None):
    """What is recorded of a source VM: its discovered facts (``_discovery.vm_facts``) with what the move needs
    besides - licence types, identity, boot diagnostics, Key Vault secrets, extensions, private endpoints in its
    subnets. `vm` is the VM as ARM returns it (REST shape), `subnets` {subnet id (lower): subnet REST body}."""
    props = vm.get("properties") or {}
    nics = []
    for nic in facts.get("nics") or []:
        cfg = next((c for c in nic.get("ip_configurations") or [] if c.get("primary")),
                   (nic.get("ip_configurations") or [{}])[0])
        nics.append({
            "name": nic.get("name"), "id": nic.get("id"), "primary": bool(nic.get("primary")),
            "private_ip": cfg.get("private_ip"), "allocation": cfg.get("private_ip_allocation") or "Dynamic",
            "subnet": cfg.get("subnet"), "subnet_id": cfg.get("subnet_id"),
            "subnet_address_prefix": cfg.get("subnet_address_prefix"), "virtual_network": cfg.get("virtual_network"),
            "network_security_group_id": nic.get("network_security_group_id"),
            "public_ip_id": (cfg.get("public_ip") or {}).get("id"),
            "accelerated_networking": bool(nic.get("accelerated_networking")),
            "load_balancer_backend_pools": [p.get("id") for p in cfg.get("load_balancer_backend_pools") or []],
        })
    identity = vm.get("identity") or {}
    boot = ((props.get("diagnosticsProfile") or {}).get("bootDiagnostics") or {})
    secrets = ((props.get("osProfile") or {}).get("secrets")) or []
    endpoints = []
    for nic in nics:
        subnet = (subnets or {}).get(_lower(nic["subnet_id"])) or {}
        for pe in (subnet.get("properties") or {}).get("privateEndpoints") or []:
            if pe.get("id") and pe["id"] not in endpoints:
                endpoints.append(pe["id"])
    os_disk = facts.get("os_disk") or {}
    return {
        "id": facts.get("id"), "name": facts.get("name"), "resource_group": facts.get("resource_group"),
        "subscription_id": facts.get("subscription_id"), "location": facts.get("location"),
        "computer_name": facts.get("computer_name"), "os_type": facts.get("os_type"), "os_name": facts.get("os_name"),
        "size": facts.get("size"), "vcpus": facts.get("vcpus"), "memory_gb": facts.get("memory_gb"),
        "zone": facts.get("zone"), "availability_set_id": facts.get("availability_set_id"),
        "proximity_placement_group_id": ((props.get("proximityPlacementGroup") or {}).get("id")),
        "tags": dict(facts.get("tags") or {}),
        "license_type": props.get("licenseType"), "sql_license_type": sql_license_type,
        "boot_diagnostics": bool(boot.get("enabled")),
        "os_disk": {"size_gb": os_disk.get("size_gb"), "sku": os_disk.get("sku")},
        "data_disks": [{"lun": d.get("lun"), "size_gb": d.get("size_gb"), "sku": d.get("sku")}
                       for d in sorted(facts.get("data_disks") or [], key=lambda d: d.get("lun") or 0)],
        "nics": nics,
        "power_state": facts.get("power_state"),
        "identity": identity.get("type"),
        "user_assigned_identities": sorted((identity.get("userAssignedIdentities") or {}).keys()),
        "key_vault_ids": sorted({(s.get("sourceVault") or {}).get("id") for s in secrets
                                 if (s.get("sourceVault") or {}).get("id")}),
        "extensions": [{"name": e.get("name"), "publisher": (e.get("properties") or {}).get("publisher"),
                        "type": (e.get("properties") or {}).get("type")} for e in extensions or []],
        "private_endpoints": endpoints,
    }


# -- what the move will not carry ---------------------------------------------------------------------------------------
def _pool_name(pool_id):
    """<load balancer>/<pool> of a backend pool's id."""
    from azure.mgmt.core.tools import parse_resource_id  # pylint: disable=import-outside-toplevel

    parts = parse_resource_id(pool_id.rstrip("/"))
    return "%s/%s" % (parts["name"], parts["child_name_1"]) if parts.get("child_name_1") else pool_id


def not_carried(source):
    """What stays behind when the VM moves, with what to do about each (said before the move, kept in the report)."""
    out = []
    if source.get("identity") and "systemassigned" in _lower(source["identity"]).replace(" ", "").replace(",", ""):
        out.append({"kind": "managed_identity", "what": "A system-assigned managed identity and its role assignments",
                    "action": "The target VM gets no identity: enable one on it after the move and grant it the roles "
                              "(and Key Vault access) the source's identity had; they are new principals."})
    for ident in source.get("user_assigned_identities") or []:
        out.append({"kind": "managed_identity", "what": "User-assigned identity %s" % ident.rsplit("/", 1)[-1],
                    "action": "Create an identity in the target cloud, grant it the same roles and assign it to the "
                              "target VM: an identity of the source cloud cannot be used there."})
    for vault in source.get("key_vault_ids") or []:
        out.append({"kind": "key_vault_secret", "what": "Certificates from Key Vault %s" % vault.rsplit("/", 1)[-1],
                    "action": "Copy the certificates to a Key Vault in the target cloud; the guest keeps the ones "
                              "already installed, but the VM's reference to the source vault is not carried."})
    for ext in source.get("extensions") or []:
        out.append({"kind": "extension", "what": "VM extension %s (%s)" % (ext.get("name"), ext.get("type") or "?"),
                    "action": "Site Recovery moves the disks, not the VM's extensions: install it on the target VM "
                              "(monitoring agents report to a workspace in the target cloud)."})
    for pe in source.get("private_endpoints") or []:
        out.append({"kind": "private_endpoint", "what": "Private endpoint %s in the VM's subnet" % pe.rsplit("/", 1)[-1],
                    "action": "The service behind it stays in the source cloud: create a private endpoint (and its "
                              "private DNS record) in the target network for what the VM must still reach."})
    pools = sorted({p for nic in source.get("nics") or [] for p in nic.get("load_balancer_backend_pools") or []})
    for pool in pools:
        out.append({"kind": "load_balancer", "what": "Backend pool membership %s" % _pool_name(pool),
                    "action": "Add the target NIC to the copied load balancer's backend pool after failover."})
    return out


# -- the target, planned --------------------------------------------------------------------------------------------------
def _usable(ip, prefix):
    """Whether `ip` is an address a NIC can have in a subnet of `prefix` (Azure keeps the first four and the last)."""
    try:
        addr, net = ipaddress.ip_address(ip), ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False
    hosts = list(net)
    return addr in net and addr not in hosts[:4] and addr != net.broadcast_address


def _subnet_prefixes(vnet):
    """{subnet name (lower): (name, [prefixes])} of a VNet (REST shape), or {}."""
    out = {}
    for s in (vnet or {}).get("properties", {}).get("subnets") or []:
        props = s.get("properties") or {}
        prefixes = props.get("addressPrefixes") or ([props["addressPrefix"]] if props.get("addressPrefix") else [])
        out[_lower(s.get("name"))] = (s.get("name"), prefixes)
    return out


def _fits(ip, prefixes):
    return any(_usable(ip, p) for p in prefixes)


def plan(source, context, overrides=None):
    """The target of one machine: (target, overridden, explained, problems).

    `context`: target_vm_name, resource_group_id, location, network (the target VNet, REST shape), test_network
    (or None), catalog (``_discovery.size_catalog`` of the target location), zones (the region's zones: a set),
    tags (to add), nsg_id(source_id) and public_ip_id(source_id) -> the id of the copy in the target or None,
    closest_size(catalog, needs) -> name or None. Every default keeps the machine as it was."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None and v != ""}
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise MappingError("Unknown mapping override%s %s (known: %s)." % (
            "s" if len(unknown) > 1 else "", ", ".join(unknown), ", ".join(OVERRIDABLE)))
    explained, problems = {}, []
    target = {"vm_name": overrides.get("vm_name") or context["target_vm_name"],
              "resource_group_id": context["resource_group_id"]}
    if "vm_name" in overrides:
        explained["vm_name"] = "set by you"

    # Size: the source's, else Site Recovery's 'closest possible size' chosen now and said now, or yours.
    catalog = context.get("catalog") or {}
    wanted = overrides.get("size") or source.get("size")
    info = catalog.get(_lower(wanted))
    if overrides.get("size"):
        target.update(size=overrides["size"], size_source="override")
        explained["size"] = "set by you"
        if catalog and (not info or info.get("restricted")):
            problems.append("size %s is not offered in %s for this subscription: choose an offered size."
                            % (overrides["size"], context.get("location")))
    elif not catalog or (info and not info.get("restricted")):
        target.update(size=source.get("size"), size_source="source")
    else:
        needs = dict(info or {})
        needs.setdefault("vcpus", source.get("vcpus"))
        needs.setdefault("memory_gb", source.get("memory_gb"))
        closest = context["closest_size"](catalog, needs) if (needs.get("vcpus") or needs.get("memory_gb")) else None
        if closest:
            c = catalog[closest.lower()]
            target.update(size=closest, size_source="closest")
            explained["size"] = ("%s is %s in %s; %s (%s vCPUs, %s GB) is the closest offered size"
                                 % (source.get("size"), "restricted for this subscription" if info else "not offered",
                                    context.get("location"), closest, c.get("vcpus"), c.get("memory_gb")))
        else:
            target.update(size=source.get("size"), size_source="source")
            problems.append("size %s is not offered in %s and no offered size has its vCPUs and memory: set the host's "
                            "move_target_vm_size." % (source.get("size"), context.get("location")))

    # Placement.
    zone = overrides.get("zone", source.get("zone"))
    if zone and str(zone) not in (context.get("zones") or set()):
        if "zone" in overrides:
            problems.append("zone %s is not a zone of %s." % (zone, context.get("location")))
        else:
            explained["zone"] = "%s has no availability zone %s: the VM is not zonal there" % (context.get("location"), zone)
            zone = None
    elif "zone" in overrides and str(zone) != str(source.get("zone")):
        explained["zone"] = "set by you"
    target["zone"] = str(zone) if zone else None
    for key, what in (("availability_set_id", "availability set"), ("proximity_placement_group_id", "proximity placement group")):
        target[key] = overrides.get(key)
        if overrides.get(key):
            explained[key] = "set by you"
        elif source.get(key):
            explained[key] = ("the source's %s is a resource of the source cloud; set move_target_%s to place the VM "
                              "in one of the target" % (what, "availability_set" if key.startswith("avail") else
                                                        "proximity_placement_group"))
    if target["zone"] and target["availability_set_id"]:
        problems.append("a VM cannot be both zonal (zone %s) and in an availability set." % target["zone"])

    # Tags: the machine's own, then the move's; never the move's own bookkeeping.
    tags = {k: v for k, v in (source.get("tags") or {}).items() if not BOOKKEEPING_TAG.match(k)}
    tags.update(context.get("tags") or {})
    tags.update(overrides.get("tags") or {})
    target["tags"] = tags
    if context.get("tags") or overrides.get("tags"):
        explained["tags"] = "the source's tags, with %s added" % ", ".join(sorted(set(context.get("tags") or {})
                                                                                  | set(overrides.get("tags") or {})))

    # Licences: the benefit the source has, under the provider's name for it.
    windows = _lower(source.get("os_type")) == "windows"
    target["license_type"] = ("NoLicenseType" if windows else None)
    target["linux_license_type"] = None
    kind = LICENSE_FROM_SOURCE.get(_lower(source.get("license_type")))
    if kind and kind[1]:
        target[kind[0]] = kind[1]
    sql = {"payg": "PAYG", "ahub": "AHUB"}.get(_lower(source.get("sql_license_type")))
    target["sql_license_type"] = sql
    if source.get("sql_license_type") and not sql:
        explained["sql_license_type"] = ("Site Recovery has no %s licence type: set it on the SQL virtual machine "
                                         "after the move" % source["sql_license_type"])
    for key, choices in (("license_type", WINDOWS_LICENSES), ("linux_license_type", LINUX_LICENSES),
                         ("sql_license_type", SQL_LICENSES)):
        if key in overrides:
            if overrides[key] not in choices:
                problems.append("%s %r is not one of %s." % (key, overrides[key], ", ".join(choices)))
            target[key] = overrides[key]
            explained[key] = "set by you"
    target["boot_diagnostics"] = bool(source.get("boot_diagnostics"))

    # Disks: Site Recovery replicates every disk with its size; the type is the provider's per-disk input.
    target["disks"] = [{"lun": None, "size_gb": (source.get("os_disk") or {}).get("size_gb"),
                        "type": (source.get("os_disk") or {}).get("sku")}]
    target["disks"] += [{"lun": d["lun"], "size_gb": d["size_gb"], "type": d["sku"]} for d in source.get("data_disks") or []]

    target["nics"] = _plan_nics(source, context, overrides, explained, problems)
    return target, sorted(k for k in overrides if k != "keep_ip_addresses"), explained, problems


def _plan_nics(source, context, overrides, explained, problems):
    prod = _subnet_prefixes(context.get("network"))
    test = _subnet_prefixes(context.get("test_network")) if context.get("test_network") else {}
    keep = overrides.get("keep_ip_addresses", True)
    per_nic = {}
    for entry in overrides.get("nics") or []:
        if not isinstance(entry, dict) or not entry.get("source_ip"):
            problems.append("each nics override names the NIC by its source_ip: %r does not." % (entry,))
            continue
        per_nic[entry["source_ip"]] = entry
    known = {n.get("private_ip") for n in source.get("nics") or []}
    for ip in sorted(set(per_nic) - known):
        problems.append("nics override for %s: the source VM has no NIC with that address (it has %s)."
                        % (ip, ", ".join(sorted(i for i in known if i)) or "none"))
    nics = []
    for i, nic in enumerate(source.get("nics") or []):
        over = per_nic.get(nic.get("private_ip"), {})
        where = "nics[%d]" % i
        subnet_name = over.get("subnet") or nic.get("subnet")
        found = prod.get(_lower(subnet_name))
        if found is None:
            problems.append("NIC %s: subnet %s is not in the target network %s (its subnets: %s); build the target "
                            "networks first (prepare, tag networks), or set the NIC's subnet in move_target_nics."
                            % (nic.get("name"), subnet_name, (context.get("network") or {}).get("name"),
                               ", ".join(sorted(n for n, _p in prod.values())) or "none"))
            subnet, prefixes = subnet_name, []
        else:
            subnet, prefixes = found
        ip = nic.get("private_ip")
        static = over.get("static_ip")
        if static:
            explained[where + ".private_ip"] = "set by you"
        elif keep and ip and prefixes and _fits(ip, prefixes):
            static = ip
            if _lower(nic.get("allocation")) != "static":
                explained[where + ".allocation"] = ("the source address was dynamic; it is kept, so the target NIC "
                                                    "holds it as a static address")
        elif keep and ip and prefixes:
            problems.append("NIC %s: %s is not an address of the target subnet %s (%s); the target network's "
                            "prefixes differ from the source's: set the NIC's static_ip in move_target_nics, or "
                            "move_keep_ip_addresses: false to take the next free address."
                            % (nic.get("name"), ip, subnet, ", ".join(prefixes)))
        elif not keep:
            explained[where + ".private_ip"] = "addresses are not kept (move_keep_ip_addresses: false)"
        if static and prefixes and not _fits(static, prefixes):
            problems.append("NIC %s: static IP %s is not a usable address of the target subnet %s (%s)."
                            % (nic.get("name"), static, subnet, ", ".join(prefixes)))
        test_subnet, test_ip = None, None
        if test:
            t = test.get(_lower(over.get("test_subnet") or subnet))
            if t is not None:
                test_subnet = t[0]
                wanted = over.get("test_static_ip") or static
                # The drill gets the same address only where the test subnet mirrors the prefix: the test network
                # is isolated, so it never collides with production.
                test_ip = wanted if wanted and _fits(wanted, t[1]) else None
        nsg = context["nsg_id"](nic["network_security_group_id"]) if nic.get("network_security_group_id") else None
        if nic.get("network_security_group_id") and not nsg:
            problems.append("NIC %s: its network security group %s has no copy in the target; build the target "
                            "networks first (prepare, tag networks, with nsgs included)."
                            % (nic.get("name"), nic["network_security_group_id"].rsplit("/", 1)[-1]))
        pip = context["public_ip_id"](nic["public_ip_id"]) if nic.get("public_ip_id") else None
        if nic.get("public_ip_id") and not pip:
            explained[where + ".public_ip"] = ("the public IP %s has no copy in the target (target_network copies "
                                               "public IPs with include: public_ips); the VM has no public address "
                                               "there" % nic["public_ip_id"].rsplit("/", 1)[-1])
        if nic.get("accelerated_networking"):
            explained[where + ".accelerated_networking"] = (
                "Site Recovery creates NICs without accelerated networking; enable it on the NIC after the move, "
                "with the VM deallocated, if its size supports it")
        nics.append({"source_ip": ip, "primary": bool(nic.get("primary")), "subnet": subnet, "static_ip": static,
                     "test_subnet": test_subnet, "test_static_ip": test_ip, "network_security_group_id": nsg,
                     "public_ip_id": pip, "accelerated_networking": False})
    return nics


def mapping(machine, source, context, overrides=None, computed_at=None):
    """The whole mapping document of one machine (see the module's RETURN), and its blocking problems."""
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None and v != ""}
    target, overridden, explained, problems = plan(source, context, overrides)
    doc = {"schema": SCHEMA, "machine": machine, "computed_at": computed_at or now(), "source": source,
           "target": target, "overridden": overridden, "explained": explained, "not_carried": not_carried(source),
           "inputs": {"overrides": overrides, "tags": context.get("tags") or {}}}
    return doc, problems


def same_plan(old, new):
    """Whether two mapping documents plan the same move (their time of computing aside)."""
    strip = ("computed_at", "schema")
    return {k: v for k, v in (old or {}).items() if k not in strip} == {k: v for k, v in new.items() if k not in strip}
