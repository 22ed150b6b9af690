# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Vault settings carried from an old Recovery Services vault to a new one (the settings the Azure Backup vault
relocation article lists). The functions here are pure: they take the REST shapes (camelCase dicts) of both vaults
and answer what to write, what is already equal, and what cannot be carried and why. VaultSettings does the I/O."""

from __future__ import annotations

import copy

from ._asr import name_of, props
from ._errors import get_or_none
from ._wait import wait_for_poller

SETTINGS = ("network_access", "private_endpoints", "alerts", "diagnostic_settings", "storage_redundancy",
            "soft_delete", "immutability")
DIAGNOSTIC_API_VERSION = "2021-05-01-preview"
# Where a diagnostic setting sends its data: each is a resource of the old cloud that must be named anew.
DESTINATION_KEYS = (("workspaceId", "Log Analytics workspace"), ("storageAccountId", "storage account"),
                    ("eventHubAuthorizationRuleId", "event hub authorization rule"),
                    ("marketplacePartnerId", "partner solution"))
ALERT_KEYS = {"azureMonitorAlertSettings": ("alertsForAllJobFailures", "alertsForAllReplicationIssues",
                                            "alertsForAllFailoverIssues"),
              "classicAlertSettings": ("alertsForCriticalOperations", "emailNotificationsForSiteRecovery")}
# One-way settings: once the target has them, Azure does not let them go back.
ALWAYS_ON = "AlwaysON"
LOCKED = "Locked"


def _clean(value):
    """Drop None values (and empty dicts left behind) so a comparison sees only what was set."""
    if isinstance(value, dict):
        out = {k: _clean(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if v != {}}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


# -- what each setting is, read from a vault -----------------------------------------------------------------------
def network_access(vault):
    return _clean({"publicNetworkAccess": props(vault).get("publicNetworkAccess")})


def alerts(vault):
    monitoring = props(vault).get("monitoringSettings") or {}
    return _clean({group: {k: (monitoring.get(group) or {}).get(k) for k in keys} for group, keys in ALERT_KEYS.items()})


def immutability(vault):
    security = props(vault).get("securitySettings") or {}
    return _clean({"state": (security.get("immutabilitySettings") or {}).get("state")})


def soft_delete(vault_config):
    p = props(vault_config)
    return _clean({"softDeleteFeatureState": p.get("softDeleteFeatureState"),
                   "softDeleteRetentionPeriodInDays": p.get("softDeleteRetentionPeriodInDays"),
                   "enhancedSecurityState": p.get("enhancedSecurityState")})


def storage_redundancy(storage_config):
    p = props(storage_config)
    return _clean({"storageModelType": p.get("storageModelType") or p.get("storageType"),
                   "crossRegionRestoreFlag": p.get("crossRegionRestoreFlag")})


def storage_locked(storage_config):
    return props(storage_config).get("storageTypeState") == LOCKED


def private_endpoints(vault):
    """The vault's private endpoint connections, one dict each."""
    out = []
    for conn in props(vault).get("privateEndpointConnections") or []:
        p = props(conn)
        out.append({"name": conn.get("name") or name_of(conn.get("id")),
                    "private_endpoint_id": (p.get("privateEndpoint") or {}).get("id"),
                    "group_ids": list(p.get("groupIds") or []),
                    "status": (p.get("privateLinkServiceConnectionState") or {}).get("status")})
    return out


def diagnostic_body(setting):
    """The part of a diagnostic setting that is the user's choice (no id, no read-only fields)."""
    p = props(setting)
    body = {k: p.get(k) for k, _kind in DESTINATION_KEYS}
    body.update(eventHubName=p.get("eventHubName"), logAnalyticsDestinationType=p.get("logAnalyticsDestinationType"),
                serviceBusRuleId=p.get("serviceBusRuleId"))
    body["logs"] = [_clean({k: log.get(k) for k in ("category", "categoryGroup", "enabled", "retentionPolicy")})
                    for log in p.get("logs") or []]
    body["metrics"] = [_clean({k: m.get(k) for k in ("category", "timeGrain", "enabled", "retentionPolicy")})
                       for m in p.get("metrics") or []]
    return _clean(body)


def diagnostic_settings(settings):
    return {s.get("name"): diagnostic_body(s) for s in settings or []}


def _comparable_diagnostic(body):
    body = copy.deepcopy(body or {})
    for key, _kind in DESTINATION_KEYS:
        if body.get(key):
            body[key] = body[key].lower()
    for key in ("logs", "metrics"):
        body[key] = sorted(body.get(key) or [], key=lambda e: (e.get("category") or "", e.get("categoryGroup") or ""))
    return body


def same_diagnostic(a, b):
    return _comparable_diagnostic(a) == _comparable_diagnostic(b)


def merge(base, patch):
    out = copy.deepcopy(base or {})
    for key, value in (patch or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _subset_equal(want, have):
    """Whether every value in ``want`` is in ``have`` (values the source does not set are not compared)."""
    for key, value in want.items():
        if isinstance(value, dict):
            if not isinstance(have.get(key), dict) or not _subset_equal(value, have[key]):
                return False
        elif have.get(key) != value:
            return False
    return True


def not_carried(setting, reason, what_to_do, item=None):
    return {"setting": setting, "item": item, "reason": reason, "what_to_do": what_to_do}


# -- the plan ------------------------------------------------------------------------------------------------------
class Plan:
    """What to write in the target vault, and what cannot be carried.

    ``carried[setting]`` is ``{"before": target now, "after": target after the run, "changed": bool}``;
    ``writes`` maps a write kind (vault, vault_config, storage_config, diagnostic:<name>) to its request body."""

    def __init__(self):
        self.carried = {}
        self.not_carried = []
        self.writes = {}

    @property
    def changed(self):
        return bool(self.writes)

    def add(self, setting, before, after, write_kind=None, body=None):
        changed = write_kind is not None and not _subset_equal(after, before)
        self.carried[setting] = {"before": before, "after": merge(before, after) if changed else before,
                                 "changed": changed}
        if changed:
            self.writes[write_kind] = merge(self.writes.get(write_kind), body)


def plan_vault_properties(plan, source_vault, target_vault, settings):
    if "network_access" in settings:
        want = network_access(source_vault)
        plan.add("network_access", network_access(target_vault), want, "vault", {"properties": want})
    if "alerts" in settings:
        want = alerts(source_vault)
        plan.add("alerts", alerts(target_vault), want, "vault", {"properties": {"monitoringSettings": want}})
    if "immutability" in settings:
        want, have = immutability(source_vault), immutability(target_vault)
        if have.get("state") == LOCKED and want.get("state") not in (None, LOCKED):
            plan.not_carried.append(not_carried(
                "immutability", "The target vault's immutability is locked; a locked vault cannot be made mutable "
                "again, so the old vault's %r cannot be applied." % want.get("state"),
                "Nothing to do if a locked target is acceptable; otherwise use a new target vault."))
            want = {}
        plan.add("immutability", have, want, "vault",
                 {"properties": {"securitySettings": {"immutabilitySettings": want}}})


def plan_private_endpoints(plan, source_vault, target_vault, target_name):
    src, have = private_endpoints(source_vault), private_endpoints(target_vault)
    approved = {g.lower() for pe in have if (pe.get("status") or "").lower() == "approved" for g in pe["group_ids"]}
    plan.carried["private_endpoints"] = {"before": have, "after": have, "changed": False}
    for pe in src:
        missing = [g for g in pe["group_ids"] if g.lower() not in approved]
        if not missing:
            continue
        plan.not_carried.append(not_carried(
            "private_endpoints",
            "Private endpoint %s (%s) of the old vault lives in a virtual network of the old cloud; a private "
            "endpoint cannot move to another cloud, and the target vault has no approved private endpoint for %s yet."
            % (name_of(pe["private_endpoint_id"] or pe["name"]), pe["private_endpoint_id"], ", ".join(missing)),
            "Once the virtual network has moved, create a private endpoint for vault %s (sub-resource %s) in its "
            "subnet with the vault's private DNS zone, then approve the connection; until then keep public network "
            "access on the target vault if anything outside Azure (MARS agent, servers) backs up to it."
            % (target_name, ", ".join(missing)),
            item=pe["name"]))


def plan_soft_delete(plan, source_config, target_config):
    want, have = soft_delete(source_config), soft_delete(target_config)
    for key, label in (("softDeleteFeatureState", "soft delete"), ("enhancedSecurityState", "enhanced security")):
        if have.get(key) == ALWAYS_ON and want.get(key) not in (None, ALWAYS_ON):
            plan.not_carried.append(not_carried(
                "soft_delete", "The target vault's %s is always on and cannot be turned back to %r."
                % (label, want[key]), "Nothing to do: the target vault keeps the stronger setting.", item=key))
            want.pop(key)
    plan.add("soft_delete", have, want, "vault_config", {"properties": want})


def plan_storage(plan, source_config, target_config):
    want, have = storage_redundancy(source_config), storage_redundancy(target_config)
    kind = want.get("storageModelType")
    if kind and kind != have.get("storageModelType") and storage_locked(target_config):
        plan.not_carried.append(not_carried(
            "storage_redundancy", "The target vault already protects items, and storage redundancy is locked once "
            "the first item is protected: it stays %s instead of %s." % (have.get("storageModelType"), kind),
            "Use a new target vault and carry the settings before any backup is configured in it.",
            item="storageModelType"))
        want.pop("storageModelType")
    if have.get("crossRegionRestoreFlag") and want.get("crossRegionRestoreFlag") is False:
        plan.not_carried.append(not_carried(
            "storage_redundancy", "Cross region restore is enabled on the target vault and cannot be disabled.",
            "Nothing to do: restores to the paired region stay possible.", item="crossRegionRestoreFlag"))
        want.pop("crossRegionRestoreFlag")
    if want.get("crossRegionRestoreFlag") and want.get("storageModelType", have.get("storageModelType")) != "GeoRedundant":
        plan.not_carried.append(not_carried(
            "storage_redundancy", "Cross region restore needs geo-redundant storage, and the target vault's storage "
            "is %s." % want.get("storageModelType", have.get("storageModelType")),
            "Use a geo-redundant target vault if restores in the paired region are needed.",
            item="crossRegionRestoreFlag"))
        want.pop("crossRegionRestoreFlag")
    plan.add("storage_redundancy", have, want, "storage_config", {"properties": want})


def plan_diagnostics(plan, source_settings, target_settings, destinations, vault_id):
    """``destinations`` maps an old-cloud destination resource id to its target-cloud equivalent."""
    mapping = {k.lower(): v for k, v in (destinations or {}).items()}
    src, have = diagnostic_settings(source_settings), diagnostic_settings(target_settings)
    after = dict(have)
    for name, body in sorted(src.items()):
        want = dict(body)
        missing = []
        for key, kind in DESTINATION_KEYS:
            if want.get(key):
                if want[key].lower() in mapping:
                    want[key] = mapping[want[key].lower()]
                else:
                    missing.append("%s %s" % (kind, want[key]))
        if missing:
            plan.not_carried.append(not_carried(
                "diagnostic_settings", "Diagnostic setting %s sends to %s in the old cloud, which the target cloud "
                "cannot reach." % (name, " and ".join(missing)),
                "Name the equivalent target resource of each in diagnostic_destinations (old id: new id), or create "
                "the diagnostic setting on %s yourself." % vault_id, item=name))
            continue
        if name in have and same_diagnostic(want, have[name]):
            continue
        after[name] = want
        plan.writes["diagnostic:%s" % name] = {"properties": want}
    plan.carried["diagnostic_settings"] = {"before": have, "after": after, "changed": after != have}


def make_plan(source, target, settings, destinations=None, target_name=None):
    """``source``/``target``: dicts with vault, vault_config, storage_config, diagnostic_settings (REST shapes)."""
    plan = Plan()
    plan_vault_properties(plan, source["vault"], target["vault"], settings)
    if "private_endpoints" in settings:
        plan_private_endpoints(plan, source["vault"], target["vault"], target_name or target["vault"].get("name"))
    if "soft_delete" in settings:
        plan_soft_delete(plan, source["vault_config"], target["vault_config"])
    if "storage_redundancy" in settings:
        plan_storage(plan, source["storage_config"], target["storage_config"])
    if "diagnostic_settings" in settings:
        plan_diagnostics(plan, source["diagnostic_settings"], target["diagnostic_settings"], destinations,
                         target["vault"].get("id"))
    return plan


def chosen_settings(include, exclude):
    """The settings to carry: ``include`` (default all) minus ``exclude``, in a stable order."""
    wanted = set(include or SETTINGS) - set(exclude or [])
    return [s for s in SETTINGS if s in wanted]


# -- I/O -----------------------------------------------------------------------------------------------------------
def as_dict(model):
    if model is None:
        return None
    return model.as_dict() if hasattr(model, "as_dict") else dict(model)


class DiagnosticSettings:
    """Microsoft.Insights/diagnosticSettings through the collection's own ARM pipeline (no Monitor SDK)."""

    def __init__(self, resource_client):
        self.client = resource_client

    def _send(self, method, url, body=None):
        from azure.core.exceptions import HttpResponseError  # pylint: disable=import-outside-toplevel
        from azure.core.rest import HttpRequest  # pylint: disable=import-outside-toplevel
        from azure.mgmt.core.exceptions import ARMErrorFormat  # pylint: disable=import-outside-toplevel

        request = HttpRequest(method, url, params={"api-version": DIAGNOSTIC_API_VERSION}, json=body)
        response = self.client.send_request(request)
        if response.status_code >= 400:
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        return response.json() if response.text() else None

    def list(self, resource_id):
        url = resource_id + "/providers/Microsoft.Insights/diagnosticSettings"
        out = []
        while url:
            page = self._send("GET", url) or {}
            out.extend(page.get("value") or [])
            url = page.get("nextLink")
        return out

    def put(self, resource_id, name, body):
        return self._send("PUT", "%s/providers/Microsoft.Insights/diagnosticSettings/%s" % (resource_id, name), body)


class VaultSide:
    """One vault and the clients that reach it."""

    def __init__(self, recoveryservices, backup, name, resource_group):
        self.rs, self.backup, self.name, self.resource_group = recoveryservices, backup, name, resource_group
        self.diagnostics = DiagnosticSettings(recoveryservices)

    def read(self, settings):
        vault = as_dict(get_or_none(self.rs.vaults.get, self.resource_group, self.name))
        if vault is None:
            return None
        doc = {"vault": vault, "vault_config": {}, "storage_config": {}, "diagnostic_settings": []}
        if "soft_delete" in settings:
            doc["vault_config"] = as_dict(self.backup.backup_resource_vault_configs.get(self.name, self.resource_group))
        if "storage_redundancy" in settings:
            doc["storage_config"] = as_dict(
                self.backup.backup_resource_storage_configs_non_crr.get(self.name, self.resource_group))
        if "diagnostic_settings" in settings:
            doc["diagnostic_settings"] = self.diagnostics.list(vault["id"])
        return doc

    def write(self, kind, body, vault_id, wait_timeout):
        if kind == "vault":
            poller = self.rs.vaults.begin_update(self.resource_group, self.name, body)
            wait_for_poller(poller, "vault %s to be updated" % self.name, wait_timeout)
        elif kind == "vault_config":
            self.backup.backup_resource_vault_configs.update(self.name, self.resource_group, body)
        elif kind == "storage_config":
            self.backup.backup_resource_storage_configs_non_crr.patch(self.name, self.resource_group, body)
        elif kind.startswith("diagnostic:"):
            self.diagnostics.put(vault_id, kind.split(":", 1)[1], body)
        else:  # pragma: no cover - the plan makes only the kinds above
            raise ValueError("unknown write %r" % kind)


# The order writes happen in: storage redundancy first (it locks as soon as anything is protected).
WRITE_ORDER = ("storage_config", "vault_config", "vault")


def ordered_writes(writes):
    first = [k for k in WRITE_ORDER if k in writes]
    return first + sorted(k for k in writes if k not in WRITE_ORDER)
