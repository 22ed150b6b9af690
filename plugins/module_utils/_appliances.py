# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Which replication appliance (or configuration / process server) replicates each machine of a move.

A move of hundreds of machines outgrows one appliance. Each machine is given one appliance of the move's list by
Microsoft's documented capacity (machines and daily data change per appliance; docs/appliances.md has the tables and
their pages) and by network reach (the networks each appliance is declared to reach), and keeps it: the choice is
recorded in ``<state_dir>/<machine>/appliance.json``, and a machine that replicates already stays on the appliance its
replicated item names. The move's load per appliance is written to ``<state_dir>/appliances.json`` for the report.

Everything here is pure (dicts in, dicts out) except the file helpers."""

from __future__ import annotations

import ipaddress
import json
import os

from ._files import write_file
from ._machine_map import MACHINE_NAME, STATE_FILE_MODE

SCHEMA = 1
MACHINE_FILE = "appliance.json"
MOVE_FILE = "appliances.json"

# Microsoft's sizing tables (docs/appliances.md). Daily change in GB (1 TB = 1024 GB); "fewer than 100" is 99.
MODERNIZED_SOURCE = ("https://learn.microsoft.com/azure/site-recovery/replication-appliance-support-matrix"
                     "#sizing-and-capacity")
CLASSIC_SOURCE = ("https://learn.microsoft.com/azure/site-recovery/site-recovery-plan-capacity-vmware"
                  "#size-recommendations-for-the-configuration-server-and-inbuilt-process-server")
PROCESS_SERVER_SOURCE = ("https://learn.microsoft.com/azure/site-recovery/site-recovery-plan-capacity-vmware"
                         "#size-recommendations-for-the-process-server")
SIZES = {
    # modernized: "An appliance that uses an in-built process server ... can handle up to 200 VMs" (one row)
    "appliance": dict(vcpus=16, memory_gb=32, cache_disk_gb=1024, daily_change_gb=2048, machines=200,
                      source=MODERNIZED_SOURCE),
    # classic configuration server with its in-built process server
    "cs-8vcpu": dict(vcpus=8, memory_gb=16, cache_disk_gb=300, daily_change_gb=500, machines=99, source=CLASSIC_SOURCE),
    "cs-12vcpu": dict(vcpus=12, memory_gb=18, cache_disk_gb=600, daily_change_gb=1024, machines=150,
                      source=CLASSIC_SOURCE),
    "cs-16vcpu": dict(vcpus=16, memory_gb=32, cache_disk_gb=1024, daily_change_gb=2048, machines=200,
                      source=CLASSIC_SOURCE),
    # classic scale-out process server
    "ps-4vcpu": dict(vcpus=4, memory_gb=8, cache_disk_gb=300, daily_change_gb=250, machines=85,
                     source=PROCESS_SERVER_SOURCE),
    "ps-8vcpu": dict(vcpus=8, memory_gb=12, cache_disk_gb=600, daily_change_gb=1024, machines=150,
                     source=PROCESS_SERVER_SOURCE),
    "ps-12vcpu": dict(vcpus=12, memory_gb=24, cache_disk_gb=1024, daily_change_gb=2048, machines=225,
                      source=PROCESS_SERVER_SOURCE),
}
DEFAULT_SIZE = {"modernized": "appliance", "classic": "cs-16vcpu", "process_server": "ps-12vcpu"}
# The tables were measured with machines of three 100 GB disks; at the top row 200 such machines change 2 TB a day.
# A machine whose change rate is not given is taken to change the same share of its disks each day.
REFERENCE_DISK_GB = 300
CHANGE_SHARE = 2048.0 / (200 * REFERENCE_DISK_GB)


class AssignmentError(Exception):
    pass


def _lower(value):
    return (value or "").strip().lower()


# -- the appliances ---------------------------------------------------------------------------------------------------
def capacity(provider, entry):
    """The capacity of one appliance entry: its documented size (or the default one), with the entry's overrides."""
    kind = "process_server" if provider == "classic" and entry.get("process_server") else provider
    size = entry.get("size") or DEFAULT_SIZE[kind]
    if size not in SIZES:
        raise AssignmentError("size %r is not a documented size (%s)." % (size, ", ".join(sorted(SIZES))))
    out = {k: v for k, v in SIZES[size].items() if k != "source"}
    out["size"] = size
    over = entry.get("capacity") or {}
    for key in ("machines", "daily_change_gb"):
        if over.get(key) is not None:
            out[key] = over[key]
            out.setdefault("overridden", []).append(key)
    return out, SIZES[size]["source"]


def appliances(provider, entries):
    """The move's appliances, checked: ([{name, process_server, capacity, source, reaches}], problems)."""
    out, problems, seen = [], [], set()
    for i, entry in enumerate(entries or []):
        name = (entry.get("name") or "").strip()
        if not name:
            problems.append("move_appliances[%d] has no name." % i)
            continue
        key = (_lower(name), _lower(entry.get("process_server")))
        if key in seen:
            problems.append("appliance %s is listed more than once." % name)
            continue
        seen.add(key)
        if entry.get("process_server") and provider != "classic":
            problems.append("appliance %s: process_server is a classic (configuration server) setting; a replication "
                            "appliance has its own process server." % name)
        try:
            cap, source = capacity(provider, entry)
        except AssignmentError as exc:
            problems.append("appliance %s: %s" % (name, exc))
            continue
        bad = []
        for key in ("machines", "daily_change_gb"):
            try:
                if float(cap[key]) <= 0:
                    bad.append(key)
            except (TypeError, ValueError):
                bad.append(key)
        if bad:
            problems.extend("appliance %s: capacity %s must be a number above 0, not %r." % (name, key, cap[key])
                            for key in bad)
            continue
        reaches = []
        for net in entry.get("reaches") or []:
            try:
                reaches.append(ipaddress.ip_network(str(net).strip(), strict=False))
            except ValueError:
                reaches.append(_lower(str(net)).rstrip("/"))
        out.append({"name": name, "process_server": entry.get("process_server") or None, "capacity": cap,
                    "source": source, "reaches": reaches, "declared_reach": list(entry.get("reaches") or [])})
    if not out and not problems:
        problems.append("no appliance: set move_appliances (or move_source_server).")
    return out, problems


def label(appliance):
    """The key of an appliance in results and files: its name, or ``name/process server`` (classic scale-out)."""
    return "%s/%s" % (appliance["name"], appliance["process_server"]) if appliance["process_server"] else appliance["name"]


def reaches(appliance, machine):
    """Whether the appliance is declared to reach the machine: no declaration reaches everything; else one of the
    machine's addresses in a declared prefix, or its subnet or virtual network named (by name, vnet/subnet or id)."""
    if not appliance["reaches"]:
        return True
    names = set()
    for value in (machine.get("subnet"), machine.get("virtual_network")):
        value = _lower(value).rstrip("/")
        if value:
            names.update((value, value.rsplit("/", 1)[-1]))
    vnet, subnet = _lower(machine.get("virtual_network")).rsplit("/", 1)[-1], _lower(machine.get("subnet")).rsplit("/", 1)[-1]
    if vnet and subnet:
        names.add("%s/%s" % (vnet, subnet))
    addresses = []
    for ip in machine.get("ip_addresses") or []:
        try:
            addresses.append(ipaddress.ip_address(str(ip).strip()))
        except ValueError:
            continue
    for net in appliance["reaches"]:
        if isinstance(net, str):
            if net in names:
                return True
        elif any(a.version == net.version and a in net for a in addresses):
            return True
    return False


def daily_change_gb(machine):
    """The machine's daily data change: given, else its disks' size times the share the sizing tables assume."""
    if machine.get("daily_change_gb") is not None:
        return round(float(machine["daily_change_gb"]), 2)
    return round(float(machine.get("disk_gb") or REFERENCE_DISK_GB) * CHANGE_SHARE, 2)


# -- the assignment ---------------------------------------------------------------------------------------------------
def assign(provider, entries, machines, recorded=None, replicating=None):
    """Give each machine one appliance.

    `machines`: [{name, ip_addresses, subnet, virtual_network, disk_gb, daily_change_gb}] of this run.
    `recorded`: {machine: {"appliance": label, "daily_change_gb": x}} from the state directory (every wave).
    `replicating`: {machine: process server name} read from the vault, or None when the vault was not read (then
    every recorded machine counts as load).

    Returns (result, problems): result = {"machines": {name: {appliance, reason, daily_change_gb}},
    "appliances": {label: {...appliance, "machines": [...], "load": {machines, daily_change_gb}}}}."""
    recorded = recorded or {}
    apps, problems = appliances(provider, entries)
    by_label = {_lower(label(a)): a for a in apps}
    load = {label(a): {"machines": [], "daily_change_gb": 0.0} for a in apps}

    def by_process_server(ps_name):
        ps = _lower(ps_name)
        found = [a for a in apps if ps and _lower(a["process_server"]) == ps]
        return found or [a for a in apps if ps and not a["process_server"] and _lower(a["name"]) == ps]

    def add(app, name, change):
        load[label(app)]["machines"].append(name)
        load[label(app)]["daily_change_gb"] = round(load[label(app)]["daily_change_gb"] + change, 2)

    batch = {m["name"].lower() for m in machines}
    # Machines of other runs (other waves, earlier batches) load their appliance while they replicate.
    others = {n for n in recorded if n.lower() not in batch}
    if replicating is not None:
        others = {n for n in others if n.lower() in {r.lower() for r in replicating}}
        others |= {n for n in replicating if n.lower() not in batch}
    for name in sorted(others):
        rec = recorded.get(name) or {}
        ps = (replicating or {}).get(name)
        app = (by_process_server(ps) or [None])[0] if ps else by_label.get(_lower(rec.get("appliance")))
        if app is not None:
            add(app, name, float(rec.get("daily_change_gb") or daily_change_gb({})))

    out, pending = {}, []
    for m in machines:
        name, change = m["name"], daily_change_gb(m)
        ps = (replicating or {}).get(name)
        rec = recorded.get(name) or {}
        if ps:
            found = by_process_server(ps)
            if not found:
                problems.append("%s replicates through %s, which is none of the move's appliances (%s): add it to "
                                "move_appliances; a replicating machine is never moved to another appliance."
                                % (name, ps, ", ".join(label(a) for a in apps) or "none"))
                continue
            out[name] = {"appliance": label(found[0]), "reason": "replicating", "daily_change_gb": change}
            add(found[0], name, change)
        elif _lower(rec.get("appliance")) in by_label and reaches(by_label[_lower(rec["appliance"])], m):
            app = by_label[_lower(rec["appliance"])]
            out[name] = {"appliance": label(app), "reason": "recorded", "daily_change_gb": change}
            add(app, name, change)
        else:
            pending.append((m, change, rec.get("appliance")))

    def usage(app, extra_machines=0, extra_change=0.0):
        cap, used = app["capacity"], load[label(app)]
        return max((len(used["machines"]) + extra_machines) / float(cap["machines"]),
                   (used["daily_change_gb"] + extra_change) / float(cap["daily_change_gb"]))

    # New machines, biggest change first (then by name, so a re-run decides alike), each to the reaching appliance
    # left least used by it.
    for m, change, before in sorted(pending, key=lambda p: (-p[1], p[0]["name"].lower())):
        name = m["name"]
        reaching = [a for a in apps if reaches(a, m)]
        if not reaching:
            problems.append("%s (%s) is reached by none of the move's appliances: declare its network in the reaches "
                            "of an appliance of move_appliances." % (name, where(m)))
            continue
        room = [a for a in reaching if len(load[label(a)]["machines"]) + 1 <= a["capacity"]["machines"]
                and load[label(a)]["daily_change_gb"] + change <= a["capacity"]["daily_change_gb"]]
        if not room:
            problems.append("%s (%s GB/day) fits on none of the appliances that reach it: %s; add an appliance (Microsoft's "
                            "sizing: docs/appliances.md)." % (name, change, "; ".join(
                                "%s has %d of %s machines and %s of %s GB/day" % (
                                    label(a), len(load[label(a)]["machines"]), a["capacity"]["machines"],
                                    load[label(a)]["daily_change_gb"], a["capacity"]["daily_change_gb"])
                                for a in reaching)))
            continue
        app = min(room, key=lambda a: (usage(a, 1, change), apps.index(a)))
        out[name] = {"appliance": label(app), "reason": "assigned", "daily_change_gb": change}
        if before:
            out[name]["previous"] = before
        add(app, name, change)
    result = {"machines": out, "appliances": {}}
    for app in apps:
        used = load[label(app)]
        result["appliances"][label(app)] = {
            "name": app["name"], "process_server": app["process_server"], "capacity": app["capacity"],
            "source": app["source"], "reaches": app["declared_reach"], "machines": sorted(used["machines"], key=str.lower),
            "load": {"machines": len(used["machines"]), "daily_change_gb": used["daily_change_gb"]}}
    return result, problems


def where(machine):
    parts = []
    if machine.get("virtual_network") or machine.get("subnet"):
        named = (machine.get("virtual_network"), machine.get("subnet"))
        parts.append("network %s" % "/".join(v.rsplit("/", 1)[-1] for v in named if v))
    if machine.get("ip_addresses"):
        parts.append("IP %s" % ", ".join(machine["ip_addresses"]))
    return "; ".join(parts) or "no network known"


def move_document(result):
    """The move's appliances.json: {"schema": 1, "appliances": {label: {capacity, machines, source}}}."""
    return {"schema": SCHEMA, "appliances": {k: {"capacity": v["capacity"], "machines": v["machines"], "source": v["source"]}
                                             for k, v in result["appliances"].items()}}


def machine_document(name, assigned, appliance):
    """A machine's appliance.json."""
    return {"schema": SCHEMA, "machine": name, "appliance": assigned["appliance"], "name": appliance["name"],
            "process_server": appliance["process_server"], "daily_change_gb": assigned["daily_change_gb"]}


# -- files ------------------------------------------------------------------------------------------------------------
def machine_path(state_dir, machine):
    if not MACHINE_NAME.match(machine or "") or machine in (".", ".."):
        raise AssignmentError("%r cannot name a machine's state directory." % machine)
    return os.path.join(state_dir, machine, MACHINE_FILE)


def read_json(path):
    """The file's JSON (a schema 1 dict), None when there is none; anything else is an error, never replaced."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise AssignmentError("Cannot read %s: %s" % (path, exc))
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise AssignmentError("%s is not a schema %d file of azmove.site_recovery." % (path, SCHEMA))
    return data


def recorded(state_dir):
    """{machine: its appliance.json} of every machine of the move's state directory."""
    out = {}
    if not os.path.isdir(state_dir):
        return out
    for name in sorted(os.listdir(state_dir)):
        path = os.path.join(state_dir, name, MACHINE_FILE)
        if os.path.isfile(path):
            out[name] = read_json(path)
    return out


def write_json(module, path, data):
    """Write atomically (temp file in the same directory, then atomic_move), only when the content changes; nothing
    in check mode. True when the file was (or, in check mode, would be) written."""
    if read_json(path) == data:
        return False
    if module.check_mode:
        return True
    os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
    write_file(module, path, json.dumps(data, indent=2, sort_keys=True) + "\n", STATE_FILE_MODE)
    return True
