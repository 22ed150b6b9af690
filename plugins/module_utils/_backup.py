# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Azure Backup relocation: backup data never moves between vaults, so the moved VM gets new protection in a
vault of its new region with an equivalent policy, and the old vault stops protecting (keeping or deleting the
recovery points). Every step reads first, so a re-run finishes what an interrupted run started.

Works on the REST shapes (camelCase dicts) rather than SDK model attributes: the Azure Backup SDK (11.2)
resolves protectedItemType only one level deep, so an Azure VM item arrives as a plain ProtectedItem."""

from __future__ import annotations

import copy
import re

from ._asr import parse_arm_id
from ._errors import AzureFailure, get_or_none
from ._wait import wait_for_poller, wait_until

IAAS_FILTER = "backupManagementType eq 'AzureIaasVM'"
VM_ITEMS_FILTER = IAAS_FILTER + " and itemType eq 'VM'"
FABRIC = "Azure"
VM_TYPE = "Microsoft.Compute/virtualMachines"
# Protection is on in these states (IRPending: configured, first backup not taken yet).
ACTIVE_STATES = ("IRPending", "Protected", "ProtectionPaused", "ProtectionError")
STOPPED = "ProtectionStopped"
# What a policy is made of; everything else (protectedItemsCount, instantRPDetails, resource guard requests) is the
# old vault's own business.
POLICY_KEYS = ("backupManagementType", "policyType", "schedulePolicy", "retentionPolicy", "timeZone",
               "instantRpRetentionRangeInDays", "tieringPolicy", "snapshotConsistencyType")
TIME_KEYS = ("scheduleRunTimes", "retentionTimes")
DAY_KEYS = ("daysOfTheWeek", "scheduleRunDays", "weeksOfTheMonth", "monthsOfYear")
_ITEM_ID = re.compile(r"/backupFabrics/([^/]+)/protectionContainers/([^/]+)/protectedItems/([^/]+)$", re.IGNORECASE)
_OP_ID = re.compile(r"/(?:operationResults|operationsStatus|backupOperations|backupOperationResults)/([^/?]+)",
                    re.IGNORECASE)


def as_dict(model):
    if model is None:
        return None
    if hasattr(model, "as_dict"):
        return model.as_dict()
    return dict(model)


def vm_key(vm_id):
    """(resource group, name) of a VM resource id, lower case; (None, None) when it is not one."""
    parts = parse_arm_id(vm_id)
    if "resource_group" not in parts or "name" not in parts:
        return None, None
    return parts["resource_group"].lower(), parts.get("resource_name", parts["name"]).lower()


def item_vm_id(item):
    props = item.get("properties") or {}
    return props.get("sourceResourceId") or props.get("virtualMachineId") or ""


def item_names(item_id):
    """(fabric, container, item) of a protected item id."""
    match = _ITEM_ID.search(item_id or "")
    if not match:
        raise AzureFailure("Unexpected protected item id %r." % item_id, code="UnexpectedResponse")
    return match.groups()


def item_state(item):
    """'active', 'stopped', 'deleted' (soft-deleted: the data goes when the retention ends) or None (no item)."""
    if item is None:
        return None
    props = item.get("properties") or {}
    if props.get("isScheduledForDeferredDelete"):
        return "deleted"
    if props.get("protectionState") == STOPPED:
        return "stopped"
    return "active"


def policy_name_of(item):
    policy_id = ((item or {}).get("properties") or {}).get("policyId") or ""
    return policy_id.rstrip("/").split("/")[-1] if policy_id else None


def item_facts(item):
    if item is None:
        return None
    props = item.get("properties") or {}
    info = props.get("extendedInfo") or {}
    return {
        "id": item.get("id"),
        "name": item.get("name"),
        "vm_id": item_vm_id(item),
        "protection_state": props.get("protectionState"),
        "state": item_state(item),
        "policy": policy_name_of(item),
        "last_backup_time": props.get("lastBackupTime"),
        "recovery_point_count": info.get("recoveryPointCount"),
    }


def _time_of_day(value):
    """'2026-01-05T23:00:00Z' and '2018-01-24T23:00:00+00:00' both schedule at '23:00'."""
    match = re.search(r"T(\d{2}):(\d{2})", str(value))
    return "%s:%s" % match.groups() if match else str(value)


def _normalize(value, key=None):
    if isinstance(value, dict):
        return {k: _normalize(v, k) for k, v in sorted(value.items()) if v not in (None, [], {})}
    if isinstance(value, list):
        if key in TIME_KEYS:
            return sorted(_time_of_day(v) for v in value)
        items = [_normalize(v) for v in value]
        return sorted(items, key=str) if key in DAY_KEYS else items
    return value


def mapped_policy(old_props):
    """The new vault's policy properties for an old policy: schedule, retention, time zone, instant restore
    retention and policy type (Standard V1 / Enhanced V2) kept as they are."""
    body = {k: copy.deepcopy(old_props[k]) for k in POLICY_KEYS if old_props.get(k) is not None}
    body.setdefault("policyType", "V1")
    return body


def comparable_policy(props):
    props = dict(props or {})
    props.setdefault("policyType", "V1")
    return _normalize({k: props.get(k) for k in POLICY_KEYS})


def policy_differences(want, have):
    """Names of the policy settings where ``have`` does not do what ``want`` does (empty list: equivalent)."""
    want, have = comparable_policy(want), comparable_policy(have)
    return sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))


def policy_summary(props):
    """The policy as a user reads it: when backups run and how long they are kept."""
    props = props or {}
    sched = props.get("schedulePolicy") or {}
    ret = props.get("retentionPolicy") or {}
    times = sched.get("scheduleRunTimes") or (sched.get("dailySchedule") or {}).get("scheduleRunTimes") or \
        (sched.get("weeklySchedule") or {}).get("scheduleRunTimes") or []
    out = {
        "policy_type": props.get("policyType") or "V1",
        "time_zone": props.get("timeZone"),
        "frequency": sched.get("scheduleRunFrequency"),
        "times": [_time_of_day(t) for t in times],
        "instant_restore_days": props.get("instantRpRetentionRangeInDays"),
    }
    for key, name in (("dailySchedule", "daily"), ("weeklySchedule", "weekly"), ("monthlySchedule", "monthly"),
                      ("yearlySchedule", "yearly")):
        duration = (ret.get(key) or {}).get("retentionDuration") or {}
        out["%s_retention" % name] = duration.get("count")
    out["weekly_days"] = (ret.get("weeklySchedule") or {}).get("daysOfTheWeek")
    return out


def recovery_point_summary(points):
    times = sorted(((p.get("properties") or {}).get("recoveryPointTime") for p in points if p.get("properties")),
                   key=str)
    times = [t for t in times if t]
    return {"count": len(points), "oldest": times[0] if times else None, "newest": times[-1] if times else None}


def plan(old_state, new_item_state, new_policy_matches, policy_exists, old_data):
    """The steps still to do, in order; an empty list means the backup is relocated already."""
    steps = []
    if old_state is None:
        return steps
    if not policy_exists and not (new_item_state == "active" and new_policy_matches):
        steps.append("create_policy")
    if new_item_state is None:
        steps.append("enable_protection")
    elif new_item_state != "active" or not new_policy_matches:
        steps.append("resume_protection")
    if old_data == "delete" and old_state != "deleted":
        steps.append("delete_old_data")
    elif old_data == "retain" and old_state == "active":
        steps.append("stop_old_protection")
    return steps


def _operation_id(headers):
    for key in ("Azure-AsyncOperation", "Location"):
        match = _OP_ID.search((headers or {}).get(key) or "")
        if match:
            return match.group(1)
    return None


def _headers(pipeline_response, _deserialized, _response_headers):
    return pipeline_response.http_response.headers


def _status_code(pipeline_response, _deserialized, _response_headers):
    return pipeline_response.http_response.status_code


class Side:
    """One vault, through one Backup client.

    ``shared`` (a batch's dict with its ``lock``): the reads every machine of a batch makes the same way - the vault's
    protected items, its protectable VMs, a policy - are made once for the batch, and a discovery (the refresh, a write)
    runs once for the batch, not once per machine. Without it, every call reads afresh, as for one machine."""

    def __init__(self, client, vault, resource_group, shared=None):
        self.client = client
        self.vault = vault
        self.resource_group = resource_group
        self.shared = shared

    def _once(self, key, fetch):
        if self.shared is None:
            return fetch()
        key = (key, self.vault.lower(), self.resource_group.lower())
        with self.shared["lock"]:
            if key not in self.shared:
                self.shared[key] = fetch()
            return self.shared[key]

    def _forget(self, key):
        if self.shared is not None:
            with self.shared["lock"]:
                self.shared.pop((key, self.vault.lower(), self.resource_group.lower()), None)

    def find_item(self, vm_resource_group, vm_name, fresh=False):
        """The vault's protected item of a VM, found by the VM's resource id (names differ in case). ``fresh``: read
        again, past the batch's first read (after this task changed the item)."""
        want = (vm_resource_group.lower(), vm_name.lower())

        def fetch():
            return [as_dict(i) for i in self.client.backup_protected_items.list(self.vault, self.resource_group,
                                                                                filter=VM_ITEMS_FILTER)]
        for item in fetch() if fresh else self._once("items", fetch):
            if vm_key(item_vm_id(item)) == want:
                return item
        return None

    def get_policy(self, name, fresh=False):
        def fetch():
            return as_dict(get_or_none(self.client.protection_policies.get, self.vault, self.resource_group, name))
        return fetch() if fresh else self._once(("policy", name.lower()), fetch)

    def remember_policy(self, name, policy):
        """A policy this task made: the batch's other machines use it instead of making it again."""
        if self.shared is not None:
            with self.shared["lock"]:
                self.shared[(("policy", name.lower()), self.vault.lower(), self.resource_group.lower())] = policy

    def recovery_points(self, item):
        fabric, container, name = item_names(item["id"])
        return [as_dict(p) for p in self.client.recovery_points.list(self.vault, self.resource_group, fabric,
                                                                     container, name)]

    def protectable_item(self, vm_resource_group, vm_name):
        want = (vm_resource_group.lower(), vm_name.lower())

        def fetch():
            return [as_dict(i) for i in self.client.backup_protectable_items.list(self.vault, self.resource_group,
                                                                                  filter=IAAS_FILTER)]
        for item in self._once("protectable", fetch):
            if vm_key((item.get("properties") or {}).get("virtualMachineId")) == want:
                return item
        return None


class BackupRelocation:
    """Relocates one machine's Azure Backup protection. ``run()`` returns the module's result (without connection)."""

    def __init__(self, source, target, source_vm, target_vm, policy=None, old_data="retain", check_mode=False,
                 wait_timeout=900, clock=None):
        self.source = source            # Side: the old vault (Government)
        self.target = target            # Side: the new vault (target region)
        self.source_vm = source_vm      # (resource group, name)
        self.target_vm = target_vm
        self.policy = policy
        self.old_data = old_data
        self.check_mode = check_mode
        self.wait_timeout = wait_timeout
        self.clock = clock
        self.actions = []

    # -- reading --------------------------------------------------------------------------------------------------
    def read(self):
        old = self.source.find_item(*self.source_vm)
        state = {"old": old, "new": self.target.find_item(*self.target_vm), "old_policy": None, "points": None}
        if old is None:
            return state
        state["points"] = recovery_point_summary(self.source.recovery_points(old))
        if policy_name_of(old):
            state["old_policy"] = self.source.get_policy(policy_name_of(old))
        return state

    def policy_name(self, state):
        name = self.policy or policy_name_of(state["old"]) or policy_name_of(state["new"])
        if not name:
            raise ValueError(
                "Protection of %s in vault %s is stopped and names no policy any more, and %s has no protection in "
                "vault %s: set policy to a policy of vault %s." % (
                    self.source_vm[1], self.source.vault, self.target_vm[1], self.target.vault, self.target.vault))
        return name

    # -- the run -----------------------------------------------------------------------------------------------------
    def run(self):
        state = self.read()
        old, new = state["old"], state["new"]
        result = {"had_backup": old is not None, "old_protection": item_facts(old), "recovery_points": state["points"],
                  "new_protection": item_facts(new), "policy": None, "actions": self.actions}
        before = self._diff_view(old, new, None)
        if old is None:
            return False, before, before, result

        name = self.policy_name(state)
        lock = self.target.shared["lock"] if self.target.shared is not None else None
        made_now = False
        if lock is not None:
            lock.acquire()  # in a batch, one machine makes a missing policy and the others find it made
        try:
            existing = self.target.get_policy(name)
            old_props = (state["old_policy"] or {}).get("properties")
            policy_matches = policy_name_of(new) is not None and policy_name_of(new).lower() == name.lower()
            steps = plan(item_state(old), item_state(new), policy_matches, existing is not None, self.old_data)
            before = self._diff_view(old, new, existing)
            needs_protection = "enable_protection" in steps or "resume_protection" in steps

            if existing is None and "create_policy" in steps:
                if old_props is None:
                    raise ValueError("Policy %r does not exist in vault %s, and the old policy is gone, so there is nothing "
                                     "to copy: create it first or name another with policy." % (name, self.target.vault))
                existing = self._create_policy(name, mapped_policy(old_props))
                made_now = True
                self.target.remember_policy(name, existing)
        finally:
            if lock is not None:
                lock.release()
        if not made_now and existing is not None and old_props is not None and needs_protection:
            differences = policy_differences(mapped_policy(old_props), existing.get("properties"))
            if differences:
                raise ValueError(
                    "Policy %r of vault %s does not match the old policy %r (%s differ): give another name with policy, "
                    "or change the policy." % (name, self.target.vault, policy_name_of(old), ", ".join(differences)))
        result["policy"] = {"name": name, "id": (existing or {}).get("id"),
                            "created": "create_policy" in steps,
                            "settings": policy_summary((existing or {}).get("properties") or mapped_policy(old_props or {}))}

        if needs_protection:
            new = self._protect(new, existing, name)
        if "stop_old_protection" in steps:
            old = self._stop(old)
        if "delete_old_data" in steps:
            old = self._delete(old)
        result["old_protection"] = item_facts(old)
        result["new_protection"] = item_facts(new)
        return bool(steps), before, self._diff_view(old, new, existing or {"name": name}), result

    def _diff_view(self, old, new, policy):
        return {
            "old_vault": {"vault": self.source.vault, "protection": (old or {}).get("properties", {}).get("protectionState"),
                          "policy": policy_name_of(old), "data_deleted": item_state(old) == "deleted"},
            "new_vault": {"vault": self.target.vault, "policy_exists": policy is not None,
                          "protection": (new or {}).get("properties", {}).get("protectionState"),
                          "policy": policy_name_of(new)},
        }

    # -- the steps -----------------------------------------------------------------------------------------------
    def _create_policy(self, name, props):
        self.actions.append("create policy %s in vault %s" % (name, self.target.vault))
        if self.check_mode:
            return {"id": None, "name": name, "properties": props}
        made = self.target.client.protection_policies.create_or_update(
            self.target.vault, self.target.resource_group, name, {"properties": props})
        # A 202 answer has no body; the policy is readable once it is made.
        return as_dict(made) or self.target.get_policy(name, fresh=True) or {"name": name, "properties": props}

    def _protect(self, new, policy, name):
        rg, vm = self.target_vm
        if new is not None:
            if item_state(new) == "deleted":
                raise ValueError("%s is soft-deleted in vault %s: undelete it (or wait until it is purged) before it "
                                 "can be protected again." % (vm, self.target.vault))
            fabric, container, item_name = item_names(new["id"])
            vm_id = item_vm_id(new)
            self.actions.append("%s protection of %s in vault %s with policy %s" % (
                "resume" if item_state(new) == "stopped" else "change the policy of", vm, self.target.vault, name))
        else:
            self.actions.append("enable protection of %s in vault %s with policy %s" % (vm, self.target.vault, name))
            if self.check_mode:
                # A read only: without a refresh (a write) a VM created since the last one is not listed yet.
                found = self.target.protectable_item(rg, vm) or {}
                return {"id": None, "name": found.get("name"),
                        "properties": {"protectionState": "IRPending", "policyId": "/" + name,
                                       "sourceResourceId": (found.get("properties") or {}).get("virtualMachineId")}}
            protectable = self._discover(rg, vm)
            container_id = protectable["id"].split("/protectableItems/")[0]
            fabric, container = container_id.split("/backupFabrics/")[1].split("/protectionContainers/")
            item_name = protectable["name"]
            vm_id = protectable["properties"]["virtualMachineId"]
        if self.check_mode:
            return dict(new, properties=dict(new["properties"], protectionState="IRPending", policyId="/" + name))
        body = {"properties": {"protectedItemType": VM_TYPE, "sourceResourceId": vm_id, "policyId": policy["id"]}}
        poller = self.target.client.protected_items.begin_create_or_update(
            self.target.vault, self.target.resource_group, fabric, container, item_name, body)
        done = as_dict(wait_for_poller(poller, "protection of %s in vault %s" % (vm, self.target.vault),
                                       self.wait_timeout))
        return done or self.target.find_item(rg, vm, fresh=True)

    def _discover(self, rg, vm):
        """Refresh the vault's view of the region's VMs (the portal's "Discover"), then find the VM."""
        found = self.target.protectable_item(rg, vm)
        if found is not None:
            return found
        side = self.target
        if side.shared is None:
            self._refresh()
        else:
            with side.shared["lock"]:  # once for the batch: the machines that were not listed wait for one refresh
                key = ("refreshed", side.vault.lower(), side.resource_group.lower())
                if key not in side.shared:
                    self._refresh()
                    side._forget("protectable")  # pylint: disable=protected-access
                    side.shared[key] = True
        found = side.protectable_item(rg, vm)
        if found is None:
            raise ValueError(
                "VM %s (resource group %s) is not among the machines vault %s can protect: it must exist in the vault's "
                "region and subscription and not be protected by another vault." % (vm, rg, side.vault))
        return found

    def _refresh(self):
        """The portal's "Discover": the vault lists the region's VMs again (a write, then its operation's result)."""
        side = self.target
        headers = side.client.protection_containers.refresh(side.vault, side.resource_group, FABRIC,
                                                            filter=IAAS_FILTER, cls=_headers)
        op_id = _operation_id(headers)
        if op_id:
            def poll():
                code = side.client.protection_container_refresh_operation_results.get(
                    side.vault, side.resource_group, FABRIC, op_id, cls=_status_code)
                return code != 202, "InProgress" if code == 202 else "Succeeded", None

            wait_until(poll, "VM discovery in vault %s" % side.vault, self.wait_timeout, clock=self.clock, interval=5)

    def _stop(self, old):
        self.actions.append("stop protection of %s in vault %s, keeping its recovery points" % (
            self.source_vm[1], self.source.vault))
        if self.check_mode:
            return dict(old, properties=dict(old["properties"], protectionState=STOPPED, policyId=""))
        fabric, container, name = item_names(old["id"])
        body = {"properties": {"protectedItemType": VM_TYPE, "sourceResourceId": item_vm_id(old),
                               "protectionState": STOPPED}}
        poller = self.source.client.protected_items.begin_create_or_update(
            self.source.vault, self.source.resource_group, fabric, container, name, body)
        done = as_dict(wait_for_poller(poller, "stopping protection of %s in vault %s" % (
            self.source_vm[1], self.source.vault), self.wait_timeout))
        return done or self.source.find_item(*self.source_vm, fresh=True)

    def _delete(self, old):
        self.actions.append("stop protection of %s in vault %s and delete its recovery points" % (
            self.source_vm[1], self.source.vault))
        if self.check_mode:
            return dict(old, properties=dict(old["properties"], protectionState=STOPPED, policyId="",
                                             isScheduledForDeferredDelete=True))
        side = self.source
        fabric, container, name = item_names(old["id"])
        headers = side.client.protected_items.delete(side.vault, side.resource_group, fabric, container, name,
                                                     cls=_headers)
        op_id = _operation_id(headers)
        if op_id:
            def poll():
                status = as_dict(side.client.backup_operation_statuses.get(side.vault, side.resource_group, op_id))
                if status.get("status") == "Failed":
                    error = status.get("error") or {}
                    raise AzureFailure(error.get("message") or "Deleting the backup data failed.",
                                       code=error.get("code"), job_id=op_id)
                return status.get("status") != "InProgress", status.get("status"), None

            wait_until(poll, "deleting the backup data of %s in vault %s" % (self.source_vm[1], side.vault),
                       self.wait_timeout, clock=self.clock, interval=5)
        # Soft delete keeps the item (marked for deferred delete); without it the item is gone.
        return side.find_item(*self.source_vm, fresh=True) or dict(old, properties=dict(
            old["properties"], protectionState=STOPPED, policyId="", isScheduledForDeferredDelete=True))
