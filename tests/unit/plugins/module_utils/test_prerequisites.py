"""Prerequisite checks as pure functions: Azure's permission rule, size substitutes, quota, places, the message."""

import re
from pathlib import Path

from ansible_collections.azmove.site_recovery.plugins.module_utils import _prerequisites as pre

ROOT = Path(__file__).resolve().parents[4]
CATALOG = {
    "standard_d4s_v3": {"name": "Standard_D4s_v3", "vcpus": 4, "memory_gb": 16, "family": "standardDSv3Family", "restricted": None},
    "standard_d2s_v3": {"name": "Standard_D2s_v3", "vcpus": 2, "memory_gb": 8, "family": "standardDSv3Family", "restricted": None},
    "standard_d8s_v3": {"name": "Standard_D8s_v3", "vcpus": 8, "memory_gb": 32, "family": "standardDSv3Family", "restricted": None},
    "standard_e4s_v5": {"name": "Standard_E4s_v5", "vcpus": 4, "memory_gb": 32, "family": "standardESv5Family",
                        "restricted": "NotAvailableForSubscription"},
    "standard_b4ms": {"name": "Standard_B4ms", "vcpus": 4, "memory_gb": 16, "family": "standardBSFamily", "restricted": None},
}


def test_permission_rule_is_per_assignment_with_wildcards_and_case():
    owner = [{"actions": ["*"], "notActions": []}]
    assert pre.allowed(owner, "Microsoft.Compute/virtualMachines/write")
    vm_contrib_no_delete = [{"actions": ["Microsoft.Compute/*"], "notActions": ["microsoft.compute/*/delete"]}]
    assert pre.allowed(vm_contrib_no_delete, "Microsoft.Compute/virtualMachines/write")
    assert not pre.allowed(vm_contrib_no_delete, "Microsoft.Compute/virtualMachines/delete")
    # Another assignment that grants it wins: notActions only subtract from their own assignment.
    assert pre.allowed(vm_contrib_no_delete + [{"actions": ["*/delete"], "not_actions": []}], "Microsoft.Compute/virtualMachines/delete")
    assert not pre.allowed([{"actions": ["*/read"]}], "Microsoft.Storage/storageAccounts/listkeys/action")
    assert not pre.allowed([], "Microsoft.Compute/virtualMachines/read")


def test_missing_permissions_are_grouped_by_area_with_the_role_to_assign():
    reader = [{"actions": ["*/read"], "notActions": []}]
    found = pre.check_permissions("resource_group", "resource group rg-t", reader)
    areas = {f["message"].split(" ")[4]: f for f in found}
    assert set(areas) == {"compute", "network", "storage", "resource"}
    assert areas["compute"]["missing_actions"] == ["Microsoft.Compute/virtualMachines/write", "Microsoft.Compute/virtualMachines/delete"]
    assert all(f["severity"] == "blocker" and "Virtual Machine Contributor" in f["fix"] for f in found)
    assert pre.check_permissions("vault", "vault v", [{"actions": ["Microsoft.RecoveryServices/*"]}]) == []


def test_docs_list_the_same_actions_as_the_check():
    text = (ROOT / "docs" / "permissions.md").read_text()
    documented = re.findall(r"^\| [a-z ]+ \| `([^`]+)` \|$", text, re.M)
    assert documented == [a for scope in ("resource_group", "vault") for _area, a in pre.REQUIRED_ACTIONS[scope]]


def test_closest_size_is_the_smallest_that_fits_same_family_first_among_equals():
    assert pre.closest_size(CATALOG, {"vcpus": 4, "memory_gb": 16, "family": "standardBSFamily"}) == "Standard_B4ms"
    assert pre.closest_size(CATALOG, {"vcpus": 4, "memory_gb": 16, "family": "standardDSv3Family"}) == "Standard_D4s_v3"
    # E4s_v5 (4, 32) is restricted: the next that fits is D8s_v3.
    assert pre.closest_size(CATALOG, {"vcpus": 4, "memory_gb": 32, "family": "standardESv5Family"}) == "Standard_D8s_v3"
    assert pre.closest_size(CATALOG, {"vcpus": 64, "memory_gb": 512}) is None


def test_size_plan_uses_substitutes_and_names_the_fix():
    machines = [{"name": "a", "size": "Standard_D4s_v3"}, {"name": "b", "size": "Standard_E4s_v5"},
                {"name": "c", "size": "Standard_X9", "vcpus": 2, "memory_gb": 8}, {"name": "d", "size": "Standard_X9"},
                {"name": "e", "size": "Standard_E4s_v5", "target_size": "Standard_D2s_v3"}]
    plan, found = pre.plan_sizes(machines, CATALOG, "eastus")
    assert [(p["name"], p["size"], p["substitute"], p.get("family")) for p in plan] == [
        ("a", "Standard_D4s_v3", None, "standardDSv3Family"),
        ("b", "Standard_E4s_v5", "Standard_D8s_v3", "standardDSv3Family"),
        ("c", "Standard_X9", "Standard_D2s_v3", "standardDSv3Family"),
        ("d", "Standard_X9", None, None),  # nothing known of it: no guess
        ("e", "Standard_D2s_v3", None, "standardDSv3Family")]
    assert [f["resource"] for f in found] == ["b", "c", "d"]
    assert "restricted for this subscription (NotAvailableForSubscription)" in found[0]["message"]
    assert "not offered in eastus" in found[1]["message"] and "Set target_size: Standard_D2s_v3 for c" in found[1]["fix"]
    assert "give its vcpus and memory_gb" in found[2]["fix"]


def test_quota_per_family_and_regional_total():
    plan = [{"family": "standardDSv3Family", "vcpus": 4}, {"family": "standardDSv3Family", "vcpus": 4},
            {"family": "standardBSFamily", "vcpus": 2}]
    usages = [pre.usage_entry({"name": {"value": "standardDSv3Family", "localizedValue": "Standard DSv3 Family vCPUs"},
                               "currentValue": 2, "limit": 8}),
              pre.usage_entry({"name": {"value": "standardBSFamily"}, "currentValue": 0, "limit": 10}),
              pre.usage_entry({"name": {"value": "cores", "localizedValue": "Total Regional vCPUs"}, "currentValue": 2, "limit": 10})]
    found = pre.check_quota(plan, usages, "eastus")
    assert [(f["usage"], f["needed"], f["limit"], f["current"]) for f in found] == [
        ("standardDSv3Family", 8, 8, 2), ("cores", 10, 10, 2)]
    assert found[0]["fix"].endswith("to at least 10 vCPUs (Azure portal: Quotas > Compute).")
    assert pre.check_quota(plan, [dict(u, limit=100) for u in usages], "eastus") == []


def test_regions_and_vault_place():
    assert pre.check_regions("East US", "eastus", None)[0]["check"] == "regions"
    assert pre.check_regions("usgovvirginia", "eastus", {"name": "v", "location": "eastus"}) == []
    in_source = pre.check_regions("westus2", "eastus", {"name": "v", "id": "/v", "location": "westus2"})
    assert [f["check"] for f in in_source] == ["vault_region"] and "in the source region" in in_source[0]["message"]
    elsewhere = pre.check_regions("usgovvirginia", "eastus", {"name": "v", "id": "/v", "location": "centralus"})
    assert "not in the target region eastus" in elsewhere[0]["message"]


def test_storage_network_and_test_network():
    sa = {"id": "/sa", "name": "st", "location": "eastus", "sku": {"name": "Standard_LRS"}}
    assert pre.check_in_region("storage", "storage account", sa, "st", "eastus", "create") == []
    assert "vault's region westus2" in pre.check_in_region("storage", "storage account", sa, "st", "westus2", "create")[0]["message"]
    assert pre.check_in_region("storage", "storage account", None, "st", "eastus", "create it")[0]["fix"] == "create it"
    assert "premium storage was chosen" in pre.check_storage_kind(sa, "premium")[0]["message"]
    assert pre.check_storage_kind(dict(sa, sku={"name": "Premium_LRS"}), "premium") == []
    vnet = {"id": "/vnet", "name": "vnet", "subnets": [{"name": "snet-app"}]}
    assert pre.check_subnet(vnet, "snet-app") == [] and "has no subnet snet-db" in pre.check_subnet(vnet, "snet-db")[0]["message"]
    assert pre.check_test_network(vnet, dict(vnet))[0]["severity"] == "warning"
    assert pre.check_test_network(vnet, {"id": "/other"}) == []


def test_summary_and_one_message_for_all_blockers():
    findings = [pre.finding("quota", "blocker", "r1", "m1.", "f1."), pre.finding("storage", "warning", "r2", "m2.", None),
                pre.finding("vm_size", "blocker", "r3", "m3.", "f3.")]
    assert pre.summary(findings, [("quota", True), ("storage", True), ("retention", False)]) == [
        {"check": "quota", "status": "failed", "findings": 1}, {"check": "storage", "status": "passed", "findings": 1},
        {"check": "retention", "status": "skipped", "findings": 0}]
    blockers = [f for f in findings if f["severity"] == "blocker"]
    assert pre.failure_message(blockers) == ("2 problems would block the move:\n1. [quota] r1: m1. Fix: f1.\n"
                                             "2. [vm_size] r3: m3. Fix: f3.")
