# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The failed-over VM against its plan (mapping.json), field by field: which target NIC is which planned NIC, what
must still be attached after failover (a NIC-level NSG, a public IP: no Site Recovery input carries them), and the
status of every field.

A field is "same" when the target is as the source was, "explained" when it is as planned and the plan differs from
the source on purpose (the mapping's reason), "different" when it is not as planned. Everything here is pure: the
module reads the target VM into ``actual`` (see ``vm_facts``) and writes what ``alignment`` asks."""

from __future__ import annotations

import re

from ._machine_map import BOOKKEEPING_TAG

STATUSES = ("same", "explained", "different")
# VM licenseType (Compute) for Site Recovery's licence inputs; a Linux BYOS benefit is named per distribution.
WINDOWS_VM_LICENSE = {"windowsserver": "Windows_Server"}
LINUX_BYOS = ("RHEL_BYOS", "SLES_BYOS")
ACCELERATED_WHY = ("Site Recovery creates NICs without accelerated networking: stop (deallocate) the VM, enable it on "
                   "NIC %s (az network nic update --accelerated-networking true), then start the VM, if its size "
                   "supports it")


def _lower(value):
    return (value or "").lower() if isinstance(value, str) else value


def name_of(arm_id):
    return arm_id.rstrip("/").rsplit("/", 1)[-1] if isinstance(arm_id, str) and arm_id else None


def _ref(value):
    return value.get("id") if isinstance(value, dict) else None


# -- the target VM as read ------------------------------------------------------------------------------------------
def vm_facts(vm, nics, disks=None):
    """What the comparison needs of the target VM. `vm` and `nics` are REST-shaped dicts (the VM and its NICs as
    ARM returns them), `disks` {managed disk id (lower): disk REST dict} for sizes the VM's profile leaves out."""
    props = vm.get("properties") or {}
    storage = props.get("storageProfile") or {}
    refs = (props.get("networkProfile") or {}).get("networkInterfaces") or []
    by_id = {_lower(n.get("id")): n for n in nics}

    def disk(entry, lun):
        managed = entry.get("managedDisk") or {}
        found = (disks or {}).get(_lower(managed.get("id"))) or {}
        size = entry.get("diskSizeGB") or (found.get("properties") or {}).get("diskSizeGB")
        sku = managed.get("storageAccountType") or (found.get("sku") or {}).get("name")
        return {"lun": lun, "size_gb": size, "sku": sku, "id": managed.get("id")}

    out_nics = []
    for i, ref in enumerate(refs):
        nic = by_id.get(_lower(ref.get("id"))) or {"id": ref.get("id")}
        nprops = nic.get("properties") or {}
        configs = nprops.get("ipConfigurations") or []
        cfg = next((c for c in configs if (c.get("properties") or {}).get("primary")), configs[0] if configs else {})
        cprops = cfg.get("properties") or {}
        primary = (ref.get("properties") or {}).get("primary", nprops.get("primary"))
        out_nics.append({
            "id": nic.get("id"), "name": nic.get("name") or name_of(nic.get("id")),
            "primary": bool(primary) if primary is not None else (len(refs) == 1 or i == 0),
            "private_ip": cprops.get("privateIPAddress"),
            "allocation": cprops.get("privateIPAllocationMethod") or "Dynamic",
            "subnet_id": _ref(cprops.get("subnet")), "subnet": name_of(_ref(cprops.get("subnet"))),
            "network_security_group_id": _ref(nprops.get("networkSecurityGroup")),
            "public_ip_id": _ref(cprops.get("publicIPAddress")),
            "accelerated_networking": bool(nprops.get("enableAcceleratedNetworking")),
        })
    zones = vm.get("zones") or []
    return {
        "id": vm.get("id"), "name": vm.get("name"),
        "size": (props.get("hardwareProfile") or {}).get("vmSize"),
        "zone": str(zones[0]) if zones else None,
        "tags": dict(vm.get("tags") or {}),
        "license_type": props.get("licenseType"),
        "os_disk": disk(storage.get("osDisk") or {}, None),
        "data_disks": sorted((disk(d, d.get("lun")) for d in storage.get("dataDisks") or []),
                             key=lambda d: d["lun"] if isinstance(d["lun"], int) else -1),
        "nics": out_nics,
    }


# -- which target NIC is which planned NIC ---------------------------------------------------------------------------
def match_nics(planned, actual):
    """[(planned index, actual NIC or None)] for every planned NIC (mapping target.nics, in source order).

    Site Recovery names the target NICs its own way, so names cannot pair them. The private IP is the NIC's identity
    in the plan (a kept or set static address: it is unique in the VNet); where addresses are not kept, the subnet
    pairs a NIC that is alone in its subnet; the primary flag pairs what is left (one NIC each side, as a rule)."""
    free = list(actual)
    pairs = {}

    def take(i, nic):
        pairs[i] = nic
        free.remove(nic)

    for i, want in enumerate(planned):  # 1. the address
        ip = want.get("static_ip")
        hit = [n for n in free if ip and n.get("private_ip") == ip]
        if len(hit) == 1:
            take(i, hit[0])
    for i, want in enumerate(planned):  # 2. the subnet, where it names one NIC on each side
        if i in pairs:
            continue
        same = [j for j, w in enumerate(planned) if j not in pairs and _lower(w.get("subnet")) == _lower(want.get("subnet"))]
        hit = [n for n in free if _lower(n.get("subnet")) == _lower(want.get("subnet"))]
        if len(same) == 1 and len(hit) == 1:
            take(i, hit[0])
    for i, want in enumerate(planned):  # 3. the primary flag
        if i in pairs:
            continue
        hit = [n for n in free if bool(n.get("primary")) == bool(want.get("primary"))]
        if len(hit) == 1 or (hit and len([j for j, w in enumerate(planned) if j not in pairs
                                          and bool(w.get("primary")) == bool(want.get("primary"))]) == 1):
            take(i, hit[0])
    return [(i, pairs.get(i)) for i in range(len(planned))]


# -- what to attach ----------------------------------------------------------------------------------------------------
def alignment(mapping, actual):
    """What no Site Recovery input carries and the target NICs lack: [{"nic_index", "nic_id", "nic", "what"
    ("network_security_group" | "public_ip"), "id"}]. Only a NIC that has none gets one: an NSG or public IP someone
    attached in the target is never replaced (the comparison says it differs)."""
    planned = (mapping.get("target") or {}).get("nics") or []
    todo = []
    for i, nic in match_nics(planned, actual.get("nics") or []):
        if nic is None:
            continue
        want = planned[i]
        if want.get("network_security_group_id") and not nic.get("network_security_group_id"):
            todo.append({"nic_index": i, "nic_id": nic["id"], "nic": nic.get("name"), "what": "network_security_group",
                         "id": want["network_security_group_id"]})
        if want.get("public_ip_id") and not nic.get("public_ip_id"):
            todo.append({"nic_index": i, "nic_id": nic["id"], "nic": nic.get("name"), "what": "public_ip",
                         "id": want["public_ip_id"]})
    return todo


def aligned(actual, todo):
    """``actual`` as it will be once ``todo`` is attached (check mode's prediction)."""
    nics = [dict(n) for n in actual.get("nics") or []]
    for change in todo:
        for nic in nics:
            if _lower(nic.get("id")) == _lower(change["nic_id"]):
                nic["network_security_group_id" if change["what"] == "network_security_group" else "public_ip_id"] = change["id"]
    return dict(actual, nics=nics)


# -- the comparison ----------------------------------------------------------------------------------------------------
def _ip_text(ip, allocation):
    return "%s (%s)" % (ip, _lower(allocation) or "dynamic") if ip else None


def _disk_text(disk):
    if not disk:
        return None
    size, kind = disk.get("size_gb"), disk.get("sku") or disk.get("type")
    return " ".join((["%s GB" % size] if size is not None else []) + ([kind] if kind else [])) or None


class _Fields:
    def __init__(self, mapping, pending):
        self.explained = mapping.get("explained") or {}
        self.overridden = set(mapping.get("overridden") or [])
        self.pending = pending
        self.out = []

    def reason(self, field, keys=(), default=None):
        """The mapping's reason for a field that differs from the source on purpose."""
        for key in (field,) + tuple(keys):
            if self.explained.get(key):
                return self.explained[key]
        if re.split(r"[\[.]", field)[0] in self.overridden:
            return "set by you"
        return default or "as planned"

    def add(self, field, source, expected, target, as_source, as_planned, why_different=None, keys=(), default=None):
        """``as_source``: the target is as the source was; ``as_planned``: the target is as the plan says."""
        if as_planned and as_source:
            status, why = "same", ""
        elif as_planned:
            status, why = "explained", self.reason(field, keys, default)
        else:
            status = "different"
            why = why_different or "planned %s, the target has %s" % (_show(expected), _show(target))
        entry = {"field": field, "source": source, "expected": expected, "target": target, "status": status, "why": why}
        if field in self.pending:
            entry["why"] = ("will be aligned: %s" % self.pending[field]) + ("; %s" % why if why else "")
            entry["aligned"] = "pending"
        self.out.append(entry)


def _show(value):
    if value is None or value == "":
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _vm_license(target, source):
    """The VM licenseType the plan leads to, or None; for Linux BYOS the source's distribution name."""
    if _lower(target.get("license_type")) in WINDOWS_VM_LICENSE:
        return WINDOWS_VM_LICENSE[_lower(target["license_type"])]
    if _lower(target.get("linux_license_type")) == "linuxserver":
        return source.get("license_type") if source.get("license_type") in LINUX_BYOS else "BYOS"
    return None


def compare(mapping, actual, pending=None):
    """The fields of comparison.json (schema 1) for the target VM ``actual`` (``vm_facts``). ``pending``: {field:
    what alignment will attach}, for check mode, where the prediction (``aligned``) is compared."""
    src, tgt = mapping.get("source") or {}, mapping.get("target") or {}
    f = _Fields(mapping, pending or {})

    # NICs: the count, then each planned NIC with the target NIC it pairs with.
    planned = tgt.get("nics") or []
    src_nics = src.get("nics") or []
    have = actual.get("nics") or []
    f.add("nics.count", len(src_nics), len(planned), len(have), len(have) == len(src_nics), len(have) == len(planned))
    for i, nic in match_nics(planned, have):
        want, was = planned[i], (src_nics[i] if i < len(src_nics) else {})
        where = "nics[%d]" % i
        if nic is None:
            f.add(where, was.get("private_ip"), want.get("static_ip") or want.get("subnet"), None, False, False,
                  "no NIC of the target VM is this NIC (planned in subnet %s%s)" % (
                      want.get("subnet"), ", address %s" % want["static_ip"] if want.get("static_ip") else ""))
            continue
        nic = dict(nic)
        f.add(where + ".subnet", was.get("subnet"), want.get("subnet"), nic.get("subnet"),
              _lower(nic.get("subnet")) == _lower(was.get("subnet")), _lower(nic.get("subnet")) == _lower(want.get("subnet")))
        static = want.get("static_ip")
        target_ip = _ip_text(nic.get("private_ip"), nic.get("allocation"))
        f.add(where + ".private_ip", _ip_text(was.get("private_ip"), was.get("allocation")),
              _ip_text(static, "static") if static else "next free address (dynamic)", target_ip,
              nic.get("private_ip") == was.get("private_ip") and _lower(nic.get("allocation")) == _lower(was.get("allocation") or "dynamic"),
              (nic.get("private_ip") == static and _lower(nic.get("allocation")) == "static") if static
              else _lower(nic.get("allocation")) != "static",
              keys=(where + ".allocation",))
        for field, key, what in (("network_security_group", "network_security_group_id", "NSG"),
                                 ("public_ip", "public_ip_id", "public IP")):
            has, wanted, had = nic.get(key), want.get(key), was.get(key)
            if not (has or wanted or had):
                continue
            if wanted:
                as_planned = _lower(has) == _lower(wanted)
                why = None if not has else (
                    "NIC %s has %s %s, not the planned %s; it was attached in the target and is not replaced: attach %s "
                    "yourself, or accept the difference" % (nic.get("name"), what, name_of(has), name_of(wanted), name_of(wanted)))
            else:  # nothing planned: one someone attached in the target is theirs, and fine
                as_planned, why = True, None
            f.add(where + "." + field, name_of(had), name_of(wanted), name_of(has),
                  _lower(name_of(has)) == _lower(name_of(had)), as_planned, why,
                  default=("added in the target, not by the move" if has and not wanted else
                           "the copy of %s made in the target" % name_of(had) if had else None))
        f.add(where + ".primary", bool(was.get("primary")), bool(want.get("primary")), bool(nic.get("primary")),
              bool(nic.get("primary")) == bool(was.get("primary")), bool(nic.get("primary")) == bool(want.get("primary")))
        if was.get("accelerated_networking") or want.get("accelerated_networking") or nic.get("accelerated_networking"):
            has = bool(nic.get("accelerated_networking"))
            f.add(where + ".accelerated_networking", bool(was.get("accelerated_networking")),
                  bool(want.get("accelerated_networking")), has, has == bool(was.get("accelerated_networking")),
                  has == bool(want.get("accelerated_networking")) or has,
                  default=ACCELERATED_WHY % nic.get("name") if was.get("accelerated_networking") and not has else None)

    # Placement and size.
    zone_s, zone_e, zone_t = (str(z) if z else None for z in (src.get("zone"), tgt.get("zone"), actual.get("zone")))
    f.add("zone", zone_s, zone_e, zone_t, zone_t == zone_s, zone_t == zone_e,
          ("the VM is in zone %s, not %s" % (zone_t, zone_e) if zone_t and zone_e else
           "the VM is not zonal, but zone %s was planned" % zone_e if zone_e else
           "the VM is in zone %s, but no zone was planned" % zone_t))
    size_t = actual.get("size")
    f.add("size", src.get("size"), tgt.get("size"), size_t, _lower(size_t) == _lower(src.get("size")),
          _lower(size_t) == _lower(tgt.get("size")))

    # Tags: every planned tag with its value; more tags on the target are fine.
    own = {k: v for k, v in (src.get("tags") or {}).items() if not BOOKKEEPING_TAG.match(str(k))}
    want_tags, has_tags = tgt.get("tags") or {}, actual.get("tags") or {}
    missing = sorted(k for k in want_tags if k not in has_tags)
    wrong = sorted(k for k in want_tags if k in has_tags and has_tags[k] != want_tags[k])
    problems = (["missing %s" % ", ".join(missing)] if missing else []) + \
        (["%s" % ", ".join("%s is %r, not %r" % (k, has_tags[k], want_tags[k]) for k in wrong)] if wrong else [])
    f.add("tags", src.get("tags") or {}, want_tags, has_tags, all(has_tags.get(k) == v for k, v in own.items()) and not
          set(want_tags) - set(own), not problems, "tags %s" % "; ".join(problems) if problems else None)

    # Licence: as the VM shows it (properties.licenseType).
    lic_e, lic_t = _vm_license(tgt, src), actual.get("license_type")
    if lic_e or lic_t or src.get("license_type"):
        ok = _lower(lic_t) == _lower(lic_e) or (lic_e == "BYOS" and lic_t in LINUX_BYOS)
        f.add("license_type", src.get("license_type"), lic_e, lic_t, _lower(lic_t) == _lower(src.get("license_type")), ok,
              keys=("license_type", "linux_license_type"))

    # Disks: the OS disk, the count, each data disk by LUN (size; type where the plan names one).
    disks = tgt.get("disks") or []
    os_e = next((d for d in disks if d.get("lun") is None), None) or {}
    os_t = actual.get("os_disk") or {}

    def disk_ok(have, want):
        return bool(have) and have.get("size_gb") == want.get("size_gb") and \
            (not want.get("type") or _lower(have.get("sku")) == _lower(want.get("type")))

    f.add("os_disk", _disk_text(src.get("os_disk")), _disk_text(os_e), _disk_text(os_t),
          disk_ok(os_t, {"size_gb": (src.get("os_disk") or {}).get("size_gb"), "type": (src.get("os_disk") or {}).get("sku")}),
          disk_ok(os_t, os_e))
    data_e = {d.get("lun"): d for d in disks if d.get("lun") is not None}
    data_s = {d.get("lun"): d for d in src.get("data_disks") or []}
    data_t = {d.get("lun"): d for d in actual.get("data_disks") or []}
    f.add("data_disks.count", len(data_s), len(data_e), len(data_t), len(data_t) == len(data_s), len(data_t) == len(data_e))
    for lun in sorted(set(data_e) | set(data_t), key=lambda x: (x is None, x if isinstance(x, int) else 0)):
        e, t, s = data_e.get(lun) or {}, data_t.get(lun), data_s.get(lun) or {}
        f.add("data_disks[lun=%s]" % lun, _disk_text(s) if s else None, _disk_text(e) if e else None, _disk_text(t),
              disk_ok(t, {"size_gb": s.get("size_gb"), "type": s.get("sku")}) if s else False,
              disk_ok(t, e) if e else False,
              None if e else "a data disk at LUN %s that the plan does not have" % lun)
    return f.out


def differences(fields):
    return [x for x in fields if x["status"] == "different"]


def summary(fields):
    """'nics[0].network_security_group: planned nsg-app, the target has nothing; zone: ...' for a failure message."""
    return "; ".join("%s: %s" % (x["field"], x["why"]) for x in differences(fields))


def same_comparison(old, new):
    """Whether two comparison documents say the same (their time aside): a re-run rewrites nothing."""
    strip = ("compared_at", "schema")
    return {k: v for k, v in (old or {}).items() if k not in strip} == {k: v for k, v in new.items() if k not in strip}
