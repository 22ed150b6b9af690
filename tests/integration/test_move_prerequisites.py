"""move_prerequisites through ansible-playbook: a ready target passes, an unready one lists every blocker at once."""

import json

import pytest


def assert_ok(done):
    assert done.returncode == 0, done.output[-6000:]


@pytest.fixture
def knobs(admin):
    yield admin
    admin.set_permissions("public", None)
    admin.reset_compute_knobs()


def check(runner, tmp_path, **extra):
    result_file = tmp_path / "result.json"
    done = runner.run("prerequisites.yml", dict(extra, result_file=str(result_file)))
    assert_ok(done)
    return json.loads(result_file.read_text()), done


def test_ready_target_passes_and_only_reads(runner, tmp_path, admin, knobs):
    check(runner, tmp_path, create_vaults=True)
    admin.clear_requests()
    result, _done = check(runner, tmp_path)
    assert result["passed"] is True and result["blockers"] == 0 and not result.get("failed")
    assert {c["check"]: c["status"] for c in result["checks"]} == {
        "resource_groups": "passed", "permissions": "passed", "regions": "passed", "vault_region": "passed", "vm_size": "passed", "quota": "passed",
        "storage": "passed", "target_network": "passed", "test_network": "passed", "retention": "passed"}
    assert [(s["name"], s["size"], s["substitute"]) for s in result["size_plan"]] == [
        ("vm-app-win01", "Standard_D4s_v3", None), ("vm-app-win02", "Standard_D2s_v3", None),
        ("vm-app-lnx01", "Standard_B2ms", None)]
    assert {r["method"] for r in admin.requests(cloud="public") if r["port"] != "login"} == {"GET"}


def test_unready_target_lists_every_blocker_with_its_fix(runner, tmp_path, simulator, admin, knobs):
    check(runner, tmp_path, create_vaults=True)
    sub = simulator["clouds"]["public"]["subscription_id"]
    rg = f"/subscriptions/{sub}/resourceGroups/rg-landing-eastus"
    # Contributor-like on the resource group, but without creating VMs; Site Recovery Contributor is missing.
    admin.set_permissions("public", [
        {"scope": f"/subscriptions/{sub}", "actions": ["*/read"]},
        {"scope": rg, "actions": ["Microsoft.Network/*", "Microsoft.Storage/*", "Microsoft.Resources/*", "Microsoft.Compute/*"],
         "notActions": ["Microsoft.Compute/virtualMachines/write"]}])
    admin.set_quota("public", "eastus", "standardDSv3Family", 4)  # win01 (4) + win02 (2) need 6
    admin.restrict_size("public", "eastus", "Standard_B2ms")
    admin.clear_requests()
    result, done = check(runner, tmp_path, vault="rsv-prereq-westus2", source_location="westus2", retention_hours=400,
                         expect_failure=True)
    assert result["failed"] is True and result["passed"] is False
    blockers = [f for f in result["findings"] if f["severity"] == "blocker"]
    by_check = {}
    for f in blockers:
        by_check.setdefault(f["check"], []).append(f)
    assert set(by_check) == {"permissions", "vm_size", "quota", "vault_region", "storage", "target_network",
                             "test_network", "retention"}
    perms = {tuple(f["missing_actions"]) for f in by_check["permissions"]}
    assert ("Microsoft.Compute/virtualMachines/write",) in perms
    assert any("Microsoft.RecoveryServices/vaults/replicationPolicies/write" in a for a in perms)
    assert all(f["fix"] for f in blockers)
    size = by_check["vm_size"][0]
    # B2ms (2 vCPUs, 8 GB) is restricted: the closest offered size has 2 vCPUs and 8 GB too.
    assert (size["resource"], size["substitute"]) == ("vm-app-lnx01", "Standard_D2as_v5")
    assert "NotAvailableForSubscription" in size["message"] and "Set target_size: Standard_D2as_v5" in size["fix"]
    assert [s["substitute"] for s in result["size_plan"]] == [None, None, "Standard_D2as_v5"]
    quota = by_check["quota"][0]
    assert (quota["usage"], quota["needed"], quota["limit"]) == ("standardDSv3Family", 6, 4)
    # Earlier tests of the session may have VMs of that family in eastus: the fix counts them too.
    assert "to at least %d vCPUs" % (quota["current"] + 6) in quota["fix"]
    assert "source region westus2" in by_check["vault_region"][0]["message"]
    # The storage account and the networks are in eastus, not in the vault's region (westus2).
    assert "vault's region westus2" in by_check["storage"][0]["message"]
    assert "15 days" in by_check["retention"][0]["message"]
    # One failure lists all of them, numbered, each with its fix.
    msg = result["msg"]
    assert msg.startswith("%d problems would block the move:" % len(blockers))
    assert all(("%d. [" % i) in msg for i in range(1, len(blockers) + 1)) and msg.count("Fix: ") == len(blockers)
    assert {r["method"] for r in admin.requests(cloud="public") if r["port"] != "login"} == {"GET"}


def test_bad_input_fails_before_any_request(runner, tmp_path, admin):
    admin.clear_requests()
    done = runner.run("prerequisites_bad_input.yml")
    assert done.returncode != 0
    assert "Each machine needs a size or a target_size; these have neither: vm-nosize." in done.output
    assert [r for r in admin.requests(cloud="public") if r["port"] != "login"] == []


def test_missing_resource_groups_and_a_region_the_cloud_does_not_offer_are_blockers(runner, tmp_path, admin):
    """Issue 18: the target resource group and the vault's are never created by a playbook, and Azure refuses a region
    it does not offer: each is a blocker with its fix (the target's was a warning, the vault's nothing), read only."""
    admin.clear_requests()
    result, _done = check(runner, tmp_path, target_location="eastus3", resource_group="rg-prereq-missing",
                          vault_resource_group="rg-prereq-vault-missing", expect_failure=True)
    assert result["failed"] is True
    blockers = {(f["check"], f["resource"]): f for f in result["findings"] if f["severity"] == "blocker"}
    target = blockers[("resource_groups", "rg-prereq-missing")]
    assert "target resource group rg-prereq-missing does not exist" in target["message"]
    assert "az group create --name rg-prereq-missing" in target["fix"]
    vault = blockers[("resource_groups", "rg-prereq-vault-missing")]
    assert "vault's resource group rg-prereq-vault-missing does not exist" in vault["message"] and vault["fix"]
    region = blockers[("regions", "eastus3")]
    assert "target_location 'eastus3' is not a region of cloud" in region["message"] and "eastus2" in region["message"]
    # Nothing is read in the missing groups, so no other check fails on ResourceGroupNotFound.
    assert not any("ResourceGroupNotFound" in f["message"] for f in result["findings"]), result["findings"]
    assert {r["method"] for r in admin.requests(cloud="public") if r["port"] != "login"} == {"GET"}
