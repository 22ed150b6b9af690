"""cache_storage_account and the target_storage role through ansible-playbook: the cache storage account created once
in the vault's region, secured, corrected when it is not, and the vault's managed identity given its roles once."""

import json
import sys
import uuid
from collections import Counter

import pytest

from conftest import ROOT, assert_ok

sys.path.insert(0, str(ROOT / "tests" / "simulator" / "tests"))
from simhelpers import client_kwargs, credential  # noqa: E402

RG = "rg-cache-eastus"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"


def last_id(admin):
    log = admin.requests(limit=100000)
    return log[-1]["id"] if log else 0


def writes(admin, since):
    """The target cloud's ARM writes since a request id. checkNameAvailability is a POST that only reads."""
    return [(r["method"], r["path"].split("?")[0]) for r in admin.requests(since=since, cloud="public")
            if r["port"] != "login" and r["method"] in ("PUT", "POST", "PATCH", "DELETE")
            and not r["path"].lower().split("?")[0].endswith("/checknameavailability")]


def kinds(log):
    """Counter of (method, what) for a list of writes: what is 'account' or 'roleAssignment'."""
    out = Counter()
    for method, path in log:
        out[(method, "roleAssignment" if "/roleassignments/" in path.lower() else "account")] += 1
    return out


def sdk(simulator, kind):
    sub = simulator["clouds"]["public"]["subscription_id"]
    cred, kw = credential(simulator, "public"), client_kwargs(simulator, "public")
    if kind == "storage":
        from azure.mgmt.storage import StorageManagementClient
        return StorageManagementClient(cred, sub, polling_interval=0, **kw)
    if kind == "authorization":
        from azure.mgmt.authorization import AuthorizationManagementClient
        return AuthorizationManagementClient(cred, sub, **kw)
    from azure.mgmt.recoveryservices import RecoveryServicesClient
    return RecoveryServicesClient(cred, sub, polling_interval=0, **kw)


def make_vault(simulator, name, identity=True, location="eastus"):
    """A Recovery Services vault (with a system-assigned identity unless told otherwise); its principal id."""
    body = {"location": location, "sku": {"name": "Standard"}, "properties": {"publicNetworkAccess": "Enabled"}}
    if identity:
        body["identity"] = {"type": "SystemAssigned"}
    vault = sdk(simulator, "recoveryservices").vaults.begin_create_or_update(RG, name, body).result()
    return vault.identity.principal_id if identity else None


def assignments(simulator, account_id, principal):
    listed = sdk(simulator, "authorization").role_assignments.list_for_scope(
        account_id, filter="principalId eq '%s'" % principal)
    return sorted(a.role_definition_id.rsplit("/", 1)[-1] for a in listed)


@pytest.fixture(scope="module")
def runner_module(simulator, admin, tmp_path_factory):
    from conftest import Runner
    admin.seed({"public": {"resource_groups": [{"name": RG, "location": "eastus"}]}})
    tmp_path = tmp_path_factory.mktemp("cache-storage")
    return Runner(simulator, tmp_path), tmp_path


def play(runner_module, admin, playbook="cache_storage_account.yml", check=False, diff=False, **extra):
    """(result, the writes it made, the output)."""
    runner, tmp_path = runner_module
    result_file = tmp_path / ("result-%s.json" % uuid.uuid4().hex)
    since = last_id(admin)
    extra.setdefault("resource_group", RG)
    done = runner.run(playbook, dict(extra, result_file=str(result_file)), check=check, diff=diff)
    made = writes(admin, since)
    if extra.get("expect_failure"):
        return json.loads(result_file.read_text()), made, done.output
    assert_ok(done)
    return json.loads(result_file.read_text()), made, done.output


@pytest.fixture(scope="module")
def standard(runner_module, admin, simulator):
    """Check mode, then a run, then a re-run, of a standard account for a modernized vault."""
    principal = make_vault(simulator, "rsv-cache-std")
    options = dict(account_name="stcacheintstd", vault="rsv-cache-std")
    check = play(runner_module, admin, check=True, diff=True, **options)
    first = play(runner_module, admin, **options)
    second = play(runner_module, admin, **options)
    return dict(principal=principal, check=check, first=first, second=second)


def test_check_mode_writes_nothing_and_says_what_it_would_do(standard):
    result, made, output = standard["check"]
    assert made == []
    assert result["changed"] and result["action"] == "created"
    assert [(r["role"], r["action"]) for r in result["role_assignments"]] == [
        ("Contributor", "created"), ("Storage Blob Data Contributor", "created")]
    assert result["principal_id"] == standard["principal"]
    assert result["diff"]["after"]["account"]["minimum_tls_version"] == "TLS1_2"
    assert "+++ after" in output


def test_the_account_is_created_once_secured_in_the_vault_region(standard, simulator):
    result, made, _output = standard["first"]
    assert result["changed"] and result["action"] == "created"
    assert kinds(made) == Counter({("PUT", "account"): 1, ("PUT", "roleAssignment"): 2})
    account = sdk(simulator, "storage").storage_accounts.get_properties(RG, "stcacheintstd")
    assert (account.location, account.sku.name, account.kind) == ("eastus", "Standard_LRS", "StorageV2")
    assert (account.enable_https_traffic_only, account.minimum_tls_version, account.allow_blob_public_access) == \
        (True, "TLS1_2", False)
    assert result["id"] == account.id and result["account"]["sku"] == "Standard_LRS"


def test_the_vault_identity_gets_contributor_and_blob_data_contributor_once(standard, simulator):
    result, _made, _output = standard["first"]
    principal = standard["principal"]
    assert assignments(simulator, result["id"], principal) == sorted([CONTRIBUTOR, BLOB_DATA_CONTRIBUTOR])
    for entry in result["role_assignments"]:
        assert entry["principal_id"] == principal and entry["scope"] == result["id"]
        assert entry["id"].startswith(result["id"] + "/providers/Microsoft.Authorization/roleAssignments/")


def test_a_rerun_writes_nothing(standard):
    result, made, _output = standard["second"]
    assert made == [] and not result["changed"] and result["action"] == "unchanged"
    assert {r["action"] for r in result["role_assignments"]} == {"exists"}
    assert [r["id"] for r in result["role_assignments"]] == [r["id"] for r in standard["first"][0]["role_assignments"]]


def test_premium_gets_storage_blob_data_owner(runner_module, admin, simulator):
    principal = make_vault(simulator, "rsv-cache-prem")
    result, made, _output = play(runner_module, admin, account_name="stcacheintprem", vault="rsv-cache-prem",
                                 sku="premium")
    assert kinds(made) == Counter({("PUT", "account"): 1, ("PUT", "roleAssignment"): 2})
    account = sdk(simulator, "storage").storage_accounts.get_properties(RG, "stcacheintprem")
    assert (account.sku.name, account.kind) == ("Premium_LRS", "BlockBlobStorage")
    assert assignments(simulator, result["id"], principal) == sorted([CONTRIBUTOR, BLOB_DATA_OWNER])
    assert [r["role"] for r in result["role_assignments"]] == ["Contributor", "Storage Blob Data Owner"]


def test_a_region_other_than_the_vault_is_refused_before_any_write(runner_module, admin, simulator):
    make_vault(simulator, "rsv-cache-region")
    result, made, _output = play(runner_module, admin, account_name="stcacheintwrong", vault="rsv-cache-region",
                                 location="westus2", expect_failure=True)
    assert result["failed"] and made == []
    assert "vault's region" in result["msg"] and "eastus" in result["msg"] and "westus2" in result["msg"]


def test_a_vault_without_managed_identity_is_reported_and_nothing_written(runner_module, admin, simulator):
    make_vault(simulator, "rsv-cache-noid", identity=False)
    result, made, _output = play(runner_module, admin, account_name="stcacheintnoid", vault="rsv-cache-noid",
                                 expect_failure=True)
    assert result["failed"] and made == []
    assert "no system-assigned managed identity" in result["msg"] and "system_assigned_identity" in result["msg"]


def test_a_non_compliant_account_is_corrected_with_one_update(runner_module, admin, simulator):
    admin.seed({"public": {"storage_accounts": [{
        "name": "stcacheintlax", "resource_group": RG, "location": "eastus", "tags": {"owner": "ops"},
        "properties": {"minimumTlsVersion": "TLS1_0", "supportsHttpsTrafficOnly": False, "allowBlobPublicAccess": True}}]}})
    check, check_made, _output = play(runner_module, admin, check=True, account_name="stcacheintlax", provider="classic",
                                      tags={"purpose": "asr-cache"})
    assert check_made == [] and check["action"] == "updated"
    result, made, _output = play(runner_module, admin, account_name="stcacheintlax", provider="classic",
                                 tags={"purpose": "asr-cache"})
    assert made and kinds(made) == Counter({("PATCH", "account"): 1})
    assert sorted(result["changes"]) == sorted(["supportsHttpsTrafficOnly: false -> true",
                                                "minimumTlsVersion: TLS1_0 -> TLS1_2",
                                                "allowBlobPublicAccess: true -> false",
                                                "tags.purpose: None -> asr-cache"])
    account = sdk(simulator, "storage").storage_accounts.get_properties(RG, "stcacheintlax")
    assert (account.enable_https_traffic_only, account.minimum_tls_version, account.allow_blob_public_access) == \
        (True, "TLS1_2", False)
    assert account.tags == {"owner": "ops", "purpose": "asr-cache"}  # tags it had are kept
    again, again_made, _output = play(runner_module, admin, account_name="stcacheintlax", provider="classic",
                                      tags={"purpose": "asr-cache"})
    assert again_made == [] and not again["changed"] and again["role_assignments"] == []


def test_an_existing_account_of_another_sku_is_refused_not_changed(runner_module, admin, simulator):
    admin.seed({"public": {"storage_accounts": [{"name": "stcacheintsku", "resource_group": RG, "location": "eastus"}]}})
    result, made, _output = play(runner_module, admin, account_name="stcacheintsku", sku="premium", expect_failure=True)
    assert result["failed"] and made == []
    assert "Standard_LRS StorageV2" in result["msg"] and "Premium_LRS BlockBlobStorage" in result["msg"]
    assert sdk(simulator, "storage").storage_accounts.get_properties(RG, "stcacheintsku").sku.name == "Standard_LRS"


def test_bad_and_taken_names_are_refused_before_any_write(runner_module, admin):
    result, made, _output = play(runner_module, admin, account_name="Cache_Account", expect_failure=True)
    assert result["failed"] and made == [] and "not a valid storage account name" in result["msg"]
    admin.seed({"public": {"subscription_id": "0c0c0c0c-0000-4000-8000-000000000002", "storage_accounts": [
        {"name": "stcacheinttaken", "resource_group": "rg-someone-else", "location": "eastus"}]}})
    result, made, _output = play(runner_module, admin, account_name="stcacheinttaken", expect_failure=True)
    assert result["failed"] and made == [] and "AlreadyExists" in result["msg"]


def test_the_role_creates_then_changes_nothing(runner_module, admin, simulator):
    principal = make_vault(simulator, "rsv-cache-role")
    result, made, _output = play(runner_module, admin, "cache_storage_account_role.yml", account_name="stcacheintrole",
                                 vault="rsv-cache-role")
    assert result["first"]["changed"] and not result["second"]["changed"]
    assert kinds(made) == Counter({("PUT", "account"): 1, ("PUT", "roleAssignment"): 2})
    assert assignments(simulator, result["first"]["id"], principal) == sorted([CONTRIBUTOR, BLOB_DATA_CONTRIBUTOR])


def test_a_caller_who_cannot_assign_roles_is_refused_before_the_account_is_made(runner_module, admin, simulator):
    principal = make_vault(simulator, "rsv-cache-perm")
    sub = simulator["clouds"]["public"]["subscription_id"]
    contributor = {"scope": "/subscriptions/%s" % sub, "actions": ["*"],
                   "notActions": ["Microsoft.Authorization/*/Write", "Microsoft.Authorization/*/Delete"]}
    admin.set_permissions("public", [contributor])
    try:
        result, made, _output = play(runner_module, admin, account_name="stcacheintperm", vault="rsv-cache-perm",
                                     expect_failure=True)
    finally:
        admin.set_permissions("public", None)
    assert result["failed"] and made == []
    assert "Microsoft.Authorization/roleAssignments/write" in result["msg"] and RG in result["msg"]
    result, made, _output = play(runner_module, admin, account_name="stcacheintperm", vault="rsv-cache-perm")
    assert kinds(made) == Counter({("PUT", "account"): 1, ("PUT", "roleAssignment"): 2})
    assert assignments(simulator, result["id"], principal) == sorted([CONTRIBUTOR, BLOB_DATA_CONTRIBUTOR])


def test_check_mode_before_the_vault_exists_warns_and_lists_the_roles(runner_module, admin):
    result, made, output = play(runner_module, admin, check=True, account_name="stcacheintlater", vault="rsv-not-yet")
    assert made == [] and result["changed"] and result["action"] == "created"
    assert "rsv-not-yet does not exist" in output
    assert [(r["role"], r["principal_id"]) for r in result["role_assignments"]] == [
        ("Contributor", None), ("Storage Blob Data Contributor", None)]
    result, made, _output = play(runner_module, admin, account_name="stcacheintlater", vault="rsv-not-yet",
                                 expect_failure=True)
    assert result["failed"] and made == [] and "does not exist" in result["msg"]
