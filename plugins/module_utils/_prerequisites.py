# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private to azmove.site_recovery; may change without notice.

The prerequisite checks of a move, as pure functions over what Azure returned: each check gives findings
(severity, the resource, what is wrong and what to do), so one run can list every blocker at once.
"""

from __future__ import annotations

import re

BLOCKER, WARNING, INFO = "blocker", "warning", "info"

# The Resource Manager actions Site Recovery needs, by the scope they are checked at. The first group is
# "Permissions to enable replication for new machines" (site-recovery-role-based-linked-access-control.md):
# the user must be able to create a VM in the target resource group and network and use the storage account.
# The second is what the collection does in the vault: the operations of the Site Recovery Contributor role
# it uses (vault-credentials certificate, fabrics and everything under them, policies, jobs, operation
# status). docs/permissions.md shows the same list; a unit test keeps the two equal.
REQUIRED_ACTIONS = {
    "resource_group": [
        ("compute", "Microsoft.Compute/availabilitySets/read"),
        ("compute", "Microsoft.Compute/virtualMachines/read"),
        ("compute", "Microsoft.Compute/virtualMachines/write"),
        ("compute", "Microsoft.Compute/virtualMachines/delete"),
        ("network", "Microsoft.Network/networkInterfaces/read"),
        ("network", "Microsoft.Network/networkInterfaces/write"),
        ("network", "Microsoft.Network/networkInterfaces/delete"),
        ("network", "Microsoft.Network/networkInterfaces/join/action"),
        ("network", "Microsoft.Network/virtualNetworks/read"),
        ("network", "Microsoft.Network/virtualNetworks/subnets/read"),
        ("network", "Microsoft.Network/virtualNetworks/subnets/join/action"),
        ("storage", "Microsoft.Storage/storageAccounts/read"),
        ("storage", "Microsoft.Storage/storageAccounts/listkeys/action"),
        ("resource group", "Microsoft.Resources/deployments/write"),
        ("resource group", "Microsoft.Resources/subscriptions/resourceGroups/read"),
    ],
    "vault": [
        ("site recovery", "Microsoft.RecoveryServices/Vaults/read"),
        ("site recovery", "Microsoft.RecoveryServices/Vaults/certificates/write"),
        ("site recovery", "Microsoft.RecoveryServices/Vaults/extendedInformation/read"),
        ("site recovery", "Microsoft.RecoveryServices/vaults/replicationFabrics/read"),
        ("site recovery", "Microsoft.RecoveryServices/vaults/replicationFabrics/write"),
        ("site recovery", "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
                          "replicationProtectedItems/write"),
        ("site recovery", "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
                          "replicationProtectedItems/testFailover/action"),
        ("site recovery", "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
                          "replicationProtectedItems/unplannedFailover/action"),
        ("site recovery", "Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
                          "replicationProtectedItems/failoverCommit/action"),
        ("site recovery", "Microsoft.RecoveryServices/vaults/replicationPolicies/write"),
        ("site recovery", "Microsoft.RecoveryServices/vaults/replicationJobs/read"),
        ("site recovery", "Microsoft.RecoveryServices/vaults/replicationOperationStatus/read"),
    ],
}
# The built-in roles that grant each group (Virtual Machine Contributor does not cover storage listkeys or
# deployments; Contributor covers all of it).
ROLE_HINTS = {
    "resource_group": "Virtual Machine Contributor (which the Site Recovery documentation suggests) or Contributor",
    "vault": "Site Recovery Contributor",
}


def finding(check, severity, resource, message, fix=None, **extra):
    out = {"check": check, "severity": severity, "resource": resource, "message": message, "fix": fix}
    out.update(extra)
    return out


def same_location(a, b):
    def norm(loc):
        return re.sub(r"\s+", "", (loc or "")).lower()

    return norm(a) == norm(b)


# -- permissions ----------------------------------------------------------------------------------------------
def _pattern(action):
    return re.compile("^" + ".*".join(re.escape(p) for p in action.split("*")) + "$", re.IGNORECASE)


def allowed(permissions, action):
    """Azure's rule: allowed when one permission (role assignment) has a matching action that its own
    notActions do not exclude. Deny assignments are not visible here."""
    for perm in permissions or []:
        actions = perm.get("actions") or []
        not_actions = perm.get("not_actions") or perm.get("notActions") or []
        if any(_pattern(a).match(action) for a in actions) and not any(_pattern(a).match(action) for a in not_actions):
            return True
    return False


def check_permissions(scope_kind, scope, permissions):
    """Findings for the required actions missing at `scope` (one per area, listing its actions)."""
    missing = {}
    for area, action in REQUIRED_ACTIONS[scope_kind]:
        if not allowed(permissions, action):
            missing.setdefault(area, []).append(action)
    return [
        finding("permissions", BLOCKER, scope,
                "The caller lacks %s %s action%s that Site Recovery needs at this scope: %s."
                % ("these" if len(actions) > 1 else "this", area, "s" if len(actions) > 1 else "", ", ".join(actions)),
                "Assign the caller %s at %s (or a custom role with these actions); see docs/permissions.md."
                % (ROLE_HINTS[scope_kind], scope),
                missing_actions=actions)
        for area, actions in missing.items()
    ]


# -- sizes and quota ------------------------------------------------------------------------------------------------
def closest_size(catalog, size_info):
    """The available size Site Recovery would pick as 'the closest possible size': at least the vCPUs and memory,
    then the fewest vCPUs and least memory, the same family first among equals. None when nothing is big enough."""
    cpus, memory, family = size_info.get("vcpus") or 0, size_info.get("memory_gb") or 0, size_info.get("family")
    fits = [(name, info) for name, info in catalog.items()
            if not info.get("restricted") and (info.get("vcpus") or 0) >= cpus and (info.get("memory_gb") or 0) >= memory]
    if not fits:
        return None
    fits.sort(key=lambda item: (item[1].get("vcpus") or 0, item[1].get("memory_gb") or 0,
                                item[1].get("family") != family, item[0]))
    return fits[0][1].get("name") or fits[0][0]


def plan_sizes(machines, catalog, location, apply_closest=False, setting="target_size"):
    """(plan, findings): the size each machine gets in the target location, and a finding per size that is not
    offered there (with the closest substitute, which the plan then uses). With `apply_closest` (the playbooks, whose
    machine mapping applies the substitute), a size with a substitute is a warning, not a blocker. `setting` is how the
    caller sets a machine's size, named in the fix (a module option, or the playbooks' host variable)."""
    plan, findings = [], []
    for m in machines:
        wanted = m.get("target_size") or m.get("size")
        info = catalog.get((wanted or "").lower())
        entry = {"name": m["name"], "size": wanted, "substitute": None}
        if info and not info.get("restricted"):
            entry.update(vcpus=info.get("vcpus"), family=info.get("family"))
            plan.append(entry)
            continue
        # What the machine needs: the size's own figures (from the target catalog even when restricted there,
        # else from the source inventory's vcpus/memory_gb).
        needs = dict(info or {})
        needs.setdefault("vcpus", m.get("vcpus"))
        needs.setdefault("memory_gb", m.get("memory_gb"))
        # Nothing known of the size (not in the target's list, no vCPUs or memory given): no guess.
        substitute = closest_size(catalog, needs) if needs.get("vcpus") or needs.get("memory_gb") else None
        reason = ("restricted for this subscription (%s)" % info["restricted"]) if info else "not offered"
        if substitute:
            sub_info = catalog[substitute.lower()]
            entry.update(substitute=substitute, vcpus=sub_info.get("vcpus"), family=sub_info.get("family"))
            if apply_closest:
                fix = ("Nothing to do: %s (the closest size: %s vCPUs, %s GB) is applied to %s. To choose another, set "
                       "%s for it; or ask for %s in %s."
                       % (substitute, sub_info.get("vcpus"), sub_info.get("memory_gb"), m["name"], setting, wanted, location))
            else:
                fix = ("Set %s: %s for %s (the closest size: %s vCPUs, %s GB), or ask for %s in %s."
                       % (setting, substitute, m["name"], sub_info.get("vcpus"), sub_info.get("memory_gb"), wanted, location))
        else:
            fix = ("Set %s to a size offered in %s for %s (give its vcpus and memory_gb to have the closest one "
                   "suggested)." % (setting, location, m["name"]))
        findings.append(finding("vm_size", WARNING if substitute and apply_closest else BLOCKER, m["name"],
                                "Size %s is %s in %s." % (wanted, reason, location), fix,
                                size=wanted, substitute=substitute))
        plan.append(entry)
    return plan, findings


def usage_entry(usage):
    """A compute Usage (REST shape) as {name, localized_name, current_value, limit}."""
    name = usage.get("name") or {}
    return {"name": name.get("value"), "localized_name": name.get("localizedValue"),
            "current_value": usage.get("currentValue") or 0, "limit": usage.get("limit") or 0}


def check_quota(plan, usages, location):
    """Findings for each family (and the regional total) whose current use plus the planned vCPUs exceed its limit."""
    by_name = {u["name"]: u for u in usages}
    needed = {}
    for entry in plan:
        if entry.get("family") and entry.get("vcpus"):
            needed[entry["family"]] = needed.get(entry["family"], 0) + entry["vcpus"]
    needed_total = sum(needed.values())
    out = []
    for name, want in sorted(needed.items()) + ([("cores", needed_total)] if needed_total else []):
        usage = by_name.get(name)
        if usage is None:
            continue
        free = usage["limit"] - usage["current_value"]
        if want > free:
            label = usage.get("localized_name") or name
            out.append(finding(
                "quota", BLOCKER, "%s in %s" % (label, location),
                "The move needs %d vCPUs of %s in %s; %d of %d are in use, so only %d are free."
                % (want, label, location, usage["current_value"], usage["limit"], max(free, 0)),
                "Request a quota increase of %s in %s to at least %d vCPUs (Azure portal: Quotas > Compute)."
                % (label, location, usage["current_value"] + want),
                usage=name, needed=want, limit=usage["limit"], current=usage["current_value"]))
    return out


# -- places -------------------------------------------------------------------------------------------------------
def check_regions(source_location, target_location, vault):
    out = []
    if source_location and same_location(source_location, target_location):
        out.append(finding("regions", BLOCKER, target_location,
                           "The source and target regions are the same (%s): there is nothing to move." % target_location,
                           "Set target_location to the region the machines should move to."))
    if vault is None:
        return out
    vloc = vault.get("location")
    if source_location and same_location(vloc, source_location):
        out.append(finding("vault_region", BLOCKER, vault.get("id"),
                           "The vault %s is in the source region %s; Site Recovery replicates into the vault's region, "
                           "so the vault must be in the target region." % (vault.get("name"), vloc),
                           "Create a Recovery Services vault in %s (recovery_vault with location: %s) and use it."
                           % (target_location, target_location)))
    elif not same_location(vloc, target_location):
        out.append(finding("vault_region", BLOCKER, vault.get("id"),
                           "The vault %s is in %s, not in the target region %s." % (vault.get("name"), vloc, target_location),
                           "Use a vault in %s, or set target_location: %s." % (target_location, vloc)))
    return out


def missing_group(what, rg, location, vault=None):
    """The finding (as finding()'s arguments) for a resource group of the move that does not exist."""
    why = ("the vault %s is created in it" % vault if what.startswith("vault") else
           "Site Recovery creates the failed-over VMs in it")
    return ("resource_groups", BLOCKER, rg,
            "The %s %s does not exist: %s, and no playbook of the collection creates it." % (what, rg, why),
            "Create it in %s (az group create --name %s --location %s; this needs "
            "Microsoft.Resources/subscriptions/resourceGroups/write), or name an existing one." % (location, rg, location))


WHY_IN_REGION = {
    "storage account": "Site Recovery caches the replicated data in it, in the vault's region",
    "virtual network": "the failed-over VMs are attached to it, and they are created in the vault's region",
}


def check_in_region(check, kind, resource, name, region, fix_missing):
    """A resource that must exist in the vault's region."""
    if resource is None:
        return [finding(check, BLOCKER, name, "The %s %s does not exist." % (kind, name), fix_missing)]
    loc = resource.get("location")
    if region and not same_location(loc, region):
        return [finding(check, BLOCKER, resource.get("id"),
                        "The %s %s is in %s, but it must be in the vault's region %s: %s." % (kind, name, loc, region, WHY_IN_REGION[kind]),
                        "Use a %s in %s." % (kind, region))]
    return []


def check_subnet(vnet, subnet, check="target_network"):
    names = [s.get("name") for s in (vnet or {}).get("subnets") or []]
    if vnet is not None and subnet and subnet not in names:
        return [finding(check, BLOCKER, vnet.get("id"),
                        "The virtual network %s has no subnet %s (it has: %s)." % (vnet.get("name"), subnet, ", ".join(names) or "none"),
                        "Create the subnet, or choose one of the existing ones.")]
    return []


def check_test_network(target_vnet, test_vnet):
    if target_vnet is not None and test_vnet is not None and (target_vnet.get("id") or "").lower() == (test_vnet.get("id") or "").lower():
        return [finding("test_network", WARNING, test_vnet.get("id"),
                        "The test network is the production network: a test failover would put a copy of each machine "
                        "beside the live one.",
                        "Use a separate, isolated virtual network for test failovers (target_network role creates one).")]
    return []


def check_storage_kind(account, storage_type):
    """Premium replication needs a premium (Premium_LRS) account; standard needs a standard one."""
    if account is None:
        return []
    sku = ((account.get("sku") or {}).get("name") or "")
    premium = sku.lower().startswith("premium")
    if storage_type == "premium" and not premium or storage_type == "standard" and premium:
        return [finding("storage", BLOCKER, account.get("id"),
                        "The storage account %s is %s, but %s storage was chosen." % (account.get("name"), sku, storage_type),
                        "Use a %s storage account, or set storage_type: %s." % (storage_type, "premium" if premium else "standard"))]
    return []


def summary(findings, checks):
    """Per check: passed / failed / skipped, with its finding count."""
    out = []
    for name, ran in checks:
        mine = [f for f in findings if f["check"] == name]
        status = "skipped" if not ran else ("failed" if any(f["severity"] == BLOCKER for f in mine) else "passed")
        out.append({"check": name, "status": status, "findings": len(mine)})
    return out


def failure_message(blockers):
    lines = ["%d problem%s would block the move:" % (len(blockers), "s" if len(blockers) > 1 else "")]
    for i, f in enumerate(blockers, 1):
        lines.append("%d. [%s] %s: %s%s" % (i, f["check"], f["resource"], f["message"], (" Fix: " + f["fix"]) if f.get("fix") else ""))
    return "\n".join(lines)
