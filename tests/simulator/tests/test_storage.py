"""Microsoft.Storage/storageAccounts writes through azure-mgmt-storage: create as a long-running operation,
update, delete, names unique per cloud."""
import pytest
from azure.core.exceptions import HttpResponseError

import rawhttp
from simhelpers import client_kwargs, credential

RG = "rg-landing-eastus"


def storage(ep, cloud="public"):
    from azure.mgmt.storage import StorageManagementClient
    return StorageManagementClient(credential(ep, cloud), ep["clouds"][cloud]["subscription_id"],
                                   polling_interval=0, **client_kwargs(ep, cloud))


def params(location="eastus", sku="Standard_LRS", kind="StorageV2", **props):
    return {"location": location, "sku": {"name": sku}, "kind": kind, "properties": props}


def test_create_is_a_long_running_operation_with_location_then_200_with_the_account(ep, admin):
    sa = storage(ep)
    admin.set_time_factor(0.05)  # 20 s of creation: 1 s here, so the first poll sees it running
    since = admin.requests()[-1]["id"]
    wanted = params(minimumTlsVersion="TLS1_2", allowBlobPublicAccess=False)
    account = sa.storage_accounts.begin_create(RG, "stcachesim01", wanted).result()
    assert (account.name, account.location, account.kind, account.sku.name) == \
        ("stcachesim01", "eastus", "StorageV2", "Standard_LRS")
    assert account.provisioning_state == "Succeeded" and account.minimum_tls_version == "TLS1_2"
    assert account.primary_endpoints.blob == "https://stcachesim01.blob.core.windows.net/"
    log = [(r["method"], r["path"].split("/")[-2].lower(), r["status"]) for r in admin.requests(since=since, cloud="public")
           if "microsoft.storage" in r["path"].lower()]
    assert log[0] == ("PUT", "storageaccounts", 202)
    polls = [entry for entry in log[1:] if entry[1] == "asyncoperations"]
    assert polls[0][2] == 202 and polls[-1][2] == 200  # running, then done with the account
    assert [m for m, _s, _c in log].count("PUT") == 1


def test_create_answers_202_with_location_and_retry_after(ep):
    token = credential(ep, "public").get_token(ep["clouds"]["public"]["audience"] + ".default").token
    sub = ep["clouds"]["public"]["subscription_id"]
    url = (ep["clouds"]["public"]["resource_manager"].rstrip("/") + f"/subscriptions/{sub}/resourceGroups/{RG}/providers/"
           "Microsoft.Storage/storageAccounts/stcachesim02?api-version=2025-06-01")
    status, headers, body = rawhttp.call(ep, "PUT", url, token, params())
    headers = {k.lower(): v for k, v in headers.items()}
    assert status == 202 and body is None
    assert "/providers/Microsoft.Storage/locations/eastus/asyncoperations/" in headers["location"]
    assert "monitor=true" in headers["location"]
    assert "retry-after" in headers or "x-ms-retry-after-ms" in headers
    status, _h, polled = rawhttp.call(ep, "GET", headers["location"], token)
    assert status == 200 and polled["name"] == "stcachesim02" and polled["properties"]["provisioningState"] == "Succeeded"


def test_put_of_an_existing_account_updates_it_synchronously(ep):
    sa = storage(ep)
    sa.storage_accounts.begin_create(RG, "stcachesim03", params()).result()
    again = sa.storage_accounts.begin_create(RG, "stcachesim03", params(minimumTlsVersion="TLS1_2")).result()
    assert again.minimum_tls_version == "TLS1_2"
    with pytest.raises(HttpResponseError) as err:
        sa.storage_accounts.begin_create(RG, "stcachesim03", params(location="westus2")).result()
    assert err.value.status_code == 409 and err.value.error.code == "InvalidResourceLocation"


def test_patch_updates_security_settings_and_refuses_a_tier_change(ep):
    sa = storage(ep)
    sa.storage_accounts.begin_create(RG, "stcachesim04", params(minimumTlsVersion="TLS1_0", supportsHttpsTrafficOnly=False,
                                                                allowBlobPublicAccess=True)).result()
    updated = sa.storage_accounts.update(RG, "stcachesim04", {"properties": {
        "minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": True, "allowBlobPublicAccess": False}})
    assert (updated.minimum_tls_version, updated.enable_https_traffic_only, updated.allow_blob_public_access) == \
        ("TLS1_2", True, False)
    got = sa.storage_accounts.get_properties(RG, "stcachesim04")
    assert got.minimum_tls_version == "TLS1_2" and got.allow_blob_public_access is False
    with pytest.raises(HttpResponseError) as err:
        sa.storage_accounts.update(RG, "stcachesim04", {"sku": {"name": "Premium_LRS"}})
    assert err.value.status_code == 409
    with pytest.raises(HttpResponseError) as err:
        sa.storage_accounts.update(RG, "stcachesim04", {"properties": {"minimumTlsVersion": "TLS9"}})
    assert err.value.status_code == 400
    with pytest.raises(HttpResponseError) as err:
        sa.storage_accounts.update(RG, "stnosuchaccount", {"tags": {}})
    assert err.value.status_code == 404


def test_delete_answers_200_then_204(ep, admin):
    sa = storage(ep)
    sa.storage_accounts.begin_create(RG, "stcachesim05", params()).result()
    since = admin.requests()[-1]["id"]
    sa.storage_accounts.delete(RG, "stcachesim05")
    sa.storage_accounts.delete(RG, "stcachesim05")
    assert [r["status"] for r in admin.requests(since=since, method="DELETE")] == [200, 204]
    with pytest.raises(HttpResponseError) as err:
        sa.storage_accounts.get_properties(RG, "stcachesim05")
    assert err.value.status_code == 404


def test_names_are_validated_and_unique_in_the_cloud(ep):
    sa = storage(ep)
    for bad in ("ab", "Has-Upper", "x" * 25, "with_underscore"):
        with pytest.raises(HttpResponseError) as err:
            sa.storage_accounts.begin_create(RG, bad, params()).result()
        assert err.value.status_code == 400 and err.value.error.code == "AccountNameInvalid"
        answer = sa.storage_accounts.check_name_availability({"name": bad, "type": "Microsoft.Storage/storageAccounts"})
        assert not answer.name_available and answer.reason == "AccountNameInvalid"
    sa.storage_accounts.begin_create(RG, "stcachesim06", params()).result()
    taken = sa.storage_accounts.check_name_availability({"name": "stcachesim06", "type": "Microsoft.Storage/storageAccounts"})
    assert not taken.name_available and taken.reason == "AlreadyExists"
    free = sa.storage_accounts.check_name_availability({"name": "stcachesimfree", "type": "Microsoft.Storage/storageAccounts"})
    assert free.name_available
    gov = storage(ep, "gov")  # names are global within a cloud, not across clouds
    assert gov.storage_accounts.check_name_availability({"name": "stcachesim06",
                                                         "type": "Microsoft.Storage/storageAccounts"}).name_available


def test_a_name_used_elsewhere_is_refused(ep, admin):
    admin.seed({"public": {"resource_groups": [{"name": "rg-storage-other", "location": "eastus"}]}})
    admin.seed({"public": {"subscription_id": "0b0b0b0b-0000-4000-8000-000000000001", "storage_accounts": [
        {"name": "stcachesimtaken", "resource_group": "rg-someone-else", "location": "eastus"}]}})
    sa = storage(ep)
    sa.storage_accounts.begin_create(RG, "stcachesim07", params()).result()
    with pytest.raises(HttpResponseError) as err:
        sa.storage_accounts.begin_create("rg-storage-other", "stcachesim07", params()).result()
    assert err.value.status_code == 409 and err.value.error.code == "StorageAccountInAnotherResourceGroup"
    with pytest.raises(HttpResponseError) as err:  # another subscription (someone else's) has it
        sa.storage_accounts.begin_create(RG, "stcachesimtaken", params()).result()
    assert err.value.status_code == 409 and err.value.error.code == "StorageAccountAlreadyTaken"


def test_premium_block_blob_account(ep):
    sa = storage(ep)
    account = sa.storage_accounts.begin_create(RG, "stcachesimprem", params(sku="Premium_LRS", kind="BlockBlobStorage")).result()
    assert (account.sku.name, account.sku.tier, account.kind) == ("Premium_LRS", "Premium", "BlockBlobStorage")
    assert account.primary_endpoints.queue is None and account.access_tier is None
    with pytest.raises(HttpResponseError) as err:
        sa.storage_accounts.begin_create(RG, "stcachesimbad", params(sku="Standard_LRS", kind="BlockBlobStorage")).result()
    assert err.value.status_code == 400
