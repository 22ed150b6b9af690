# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The machines a replication appliance discovered, where Azure keeps them: Microsoft.OffAzure.

The modernized (InMageRcm) fabric names two sites in its ``customDetails``: ``physicalSiteId`` (ServerSites) and
``vmwareSiteId`` (VMwareSites). Each site lists its discovered machines and its run-as accounts (credentials).
Enabling replication sends the discovered machine's own ARM ``id`` as ``fabricDiscoveryMachineId`` (Microsoft's
REST article, and Az PowerShell's ``New-AzRecoveryServicesAsrReplicationProtectedItem``): it is read, never built
from a name.

What the appliance discovered is the guest, not the Azure VM resource: its host name (a Windows computer name has
at most 15 characters), FQDN and IP addresses. A source VM is matched to its machine by IP address first, then by
FQDN, then by computer name, and only last by the name the user gave.
"""

from __future__ import annotations

import ipaddress

from ._errors import translate

OFFAZURE_API = "2023-06-06"
SITE_KEYS = (("physicalSiteId", "physical"), ("vmwareSiteId", "vmware"))


def list_all(client, path, api_version):
    """Every entry of a raw ARM list (``value`` + ``nextLink``), through the client's pipeline.

    The SDKs page their own lists; what the collection reads itself must follow ``nextLink`` too, or whatever sits
    on the second page (a machine, a credential) is silently missing."""
    from azure.core.exceptions import HttpResponseError  # pylint: disable=import-outside-toplevel
    from azure.core.rest import HttpRequest  # pylint: disable=import-outside-toplevel

    url = "%s?api-version=%s" % (path, api_version)
    out, seen = [], set()
    while url and url not in seen:
        seen.add(url)  # a service that hands back the same link would otherwise loop for ever
        response = client.send_request(HttpRequest("GET", url))
        if response.status_code >= 400:
            raise translate(HttpResponseError(response=response))
        page = response.json() or {}
        out.extend(page.get("value") or [])
        url = page.get("nextLink")
    return out


def sites_of(fabric):
    """[(site id, kind)] of an InMageRcm fabric, physical first."""
    details = ((fabric or {}).get("properties") or {}).get("customDetails") or {}
    return [(details[key], kind) for key, kind in SITE_KEYS if details.get(key)]


def _addresses(machine_properties):
    out = []
    for adapter in machine_properties.get("networkAdapters") or []:
        for value in (adapter.get("ipAddressList") or []) + ([adapter["ipAddress"]] if adapter.get("ipAddress") else []):
            if value and value not in out:
                out.append(value)
    return out


def machine_summary(machine, site_id, kind):
    """A discovered machine in plain words (the keys the protectable-item summary has, and the OffAzure ones)."""
    p = (machine or {}).get("properties") or {}
    os_details = p.get("operatingSystemDetails") or {}
    addresses = _addresses(p)
    return {
        "id": machine.get("id"),
        "name": machine.get("name"),
        "friendly_name": p.get("displayName"),
        "fqdn": p.get("fqdn"),
        "ip_address": addresses[0] if addresses else None,
        "ip_addresses": addresses,
        "os_type": os_details.get("osType"),
        "os_name": os_details.get("osName"),
        "run_as_account_id": p.get("runAsAccountId"),
        "site_id": site_id,
        "site_kind": kind,
        "protection_status": None,
        "replicated_item_id": None,
        "discovery_type": "OffAzure %s site" % kind,
        "agent_installed": None,
        "readiness_errors": [e.get("message") for e in p.get("errors") or [] if isinstance(e, dict)],
        # The disks the appliance found (their uuid is the diskId InMageRcm's per-disk input names).
        "disks": [{"id": d.get("uuid"), "name": d.get("name"), "lun": d.get("lun"),
                   "size_bytes": d.get("maxSizeInBytes")} for d in p.get("disks") or [] if isinstance(d, dict)],
    }


def discovered_machines(client, fabric):
    """Every live machine of the fabric's sites (entries marked ``isDeleted`` dropped), as summaries."""
    out = []
    for site_id, kind in sites_of(fabric):
        for machine in list_all(client, site_id + "/machines", OFFAZURE_API):
            if str(((machine or {}).get("properties") or {}).get("isDeleted")).lower() == "true":
                continue
            out.append(machine_summary(machine, site_id, kind))
    return out


def run_as_accounts(client, site_id):
    """[{id, name}] of a site's credentials (all pages)."""
    return [{"id": a.get("id"), "name": ((a.get("properties") or {}).get("displayName"))}
            for a in list_all(client, site_id + "/runAsAccounts", OFFAZURE_API)]


def _ip(value):
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def _lower(value):
    return (value or "").strip().lower()


def match(machines, ip_addresses=(), fqdn=None, computer_name=None, name=None):
    """(machine, how) for a source machine: by IP address, then FQDN, then computer name, then the given name;
    (None, None) when nothing matches. Raises ValueError when one key matches several live machines, since
    replicating the wrong one is worse than stopping."""
    wanted_ips = [ip for ip in (_ip(v) for v in ip_addresses or ()) if ip]
    keys = (
        ("IP address", lambda m: any(_ip(a) in wanted_ips for a in m["ip_addresses"]) if wanted_ips else False),
        ("FQDN", lambda m: bool(fqdn) and _lower(m["fqdn"]) == _lower(fqdn)),
        ("computer name", lambda m: bool(computer_name) and _lower(computer_name) in (
            _lower(m["friendly_name"]), _lower(m["fqdn"]).split(".")[0])),
        ("name", lambda m: bool(name) and _lower(name) in (_lower(m["friendly_name"]), _lower(m["fqdn"]).split(".")[0])),
    )
    for how, test in keys:
        found = [m for m in machines if test(m)]
        if len(found) > 1:
            raise ValueError(
                "%d discovered machines match by %s (%s); remove the stale one from the appliance or give the machine's "
                "FQDN." % (len(found), how, ", ".join(sorted("%s [%s]" % (m["friendly_name"], m["id"]) for m in found))))
        if found:
            return found[0], how
    return None, None


def describe(ip_addresses=(), fqdn=None, computer_name=None, name=None):
    """How a source machine was looked for, for messages."""
    parts = []
    if ip_addresses:
        parts.append("IP %s" % ", ".join(ip_addresses))
    if fqdn:
        parts.append("FQDN %s" % fqdn)
    if computer_name:
        parts.append("computer name %s" % computer_name)
    if name and name != computer_name:
        parts.append("name %s" % name)
    return "; ".join(parts) or "no identifying details"
