"""ARM front door: metadata, auth failures, api-version checks, headers, request log."""
import pytest
from azure.core.exceptions import HttpResponseError

from simhelpers import clients, credential
from rawhttp import call


def test_metadata_endpoints(ep):
    for cloud in ("gov", "public"):
        c = ep["clouds"][cloud]
        st, _unused, doc = call(ep, "GET", c["metadata_url"])
        assert st == 200 and isinstance(doc, list) and len(doc) == 1
        m = doc[0]
        assert m["name"] == c["name"]
        assert m["resourceManager"] == c["resource_manager"]
        assert m["authentication"]["loginEndpoint"] == c["login_endpoint"]
        assert m["authentication"]["audiences"] == c["audiences"]
        assert m["authentication"]["tenant"] == "common" and m["authentication"]["identityProvider"] == "AAD"
        for key in ("portal", "media", "graphAudience", "graph", "suffixes", "batch", "vmImageAliasDoc",
                    "sqlManagement", "microsoftGraphResourceId", "appInsightsResourceId"):
            assert key in m
        st, _unused, stack = call(ep, "GET", c["resource_manager"] + "metadata/endpoints?api-version=2015-01-01")
        assert st == 200 and stack["authentication"]["loginEndpoint"] == c["login_endpoint"]
        assert {"galleryEndpoint", "graphEndpoint", "portalEndpoint"} <= set(stack)


def _rg_url(ep, cloud="gov", rg="rg-app-gov", version="2025-04-01"):
    c = ep["clouds"][cloud]
    url = f"{c['resource_manager']}subscriptions/{c['subscription_id']}/resourcegroups/{rg}"
    return url + (f"?api-version={version}" if version else "")


def test_auth_failures(ep, admin):
    st, _unused, body = call(ep, "GET", _rg_url(ep))
    assert st == 401 and body["error"]["code"] == "AuthenticationFailed"
    st, _unused, body = call(ep, "GET", _rg_url(ep), token=admin.mint_token("gov", bad_signature=True))
    assert st == 401 and body["error"]["code"] == "InvalidAuthenticationToken"
    st, _unused, body = call(ep, "GET", _rg_url(ep), token=admin.mint_token("gov", expired=True))
    assert st == 401 and body["error"]["code"] == "ExpiredAuthenticationToken"
    st, _unused, body = call(ep, "GET", _rg_url(ep), token=admin.mint_token("gov", tid="11111111-1111-1111-1111-111111111111"))
    assert st == 401 and body["error"]["code"] == "InvalidAuthenticationTokenTenant"
    good = admin.mint_token("gov")
    c = ep["clouds"]["gov"]
    st, _unused, body = call(ep, "GET", f"{c['resource_manager']}subscriptions/00000000-0000-0000-0000-000000000000/"
                                        "resourcegroups?api-version=2025-04-01", token=good)
    assert st == 404 and body["error"]["code"] == "SubscriptionNotFound"


def test_gov_token_on_public_arm_is_wrong_audience(ep):
    gov_token = credential(ep, "gov").get_token(ep["clouds"]["gov"]["audience"] + ".default").token
    st, headers, body = call(ep, "GET", _rg_url(ep, "public", "rg-landing-eastus"), token=gov_token)
    assert st == 401
    assert body["error"]["code"] == "InvalidAuthenticationTokenAudience"
    assert body["error"]["message"].startswith(
        "The access token has been obtained for wrong audience or resource 'https://management.core.usgovcloudapi.net/'.")
    assert "https://management.core.windows.net/" in body["error"]["message"]
    www = {k.lower(): v for k, v in headers.items()}["www-authenticate"]
    assert 'error="invalid_token"' in www and ep["clouds"]["public"]["login_endpoint"].rstrip("/") in www
    # and through the SDK it is a ClientAuthenticationError (401)
    from azure.core.exceptions import ClientAuthenticationError
    from azure.mgmt.resource.resources import ResourceManagementClient
    p = ep["clouds"]["public"]
    rm = ResourceManagementClient(credential(ep, "gov"), p["subscription_id"], base_url=p["resource_manager"],
                                  credential_scopes=[ep["clouds"]["gov"]["audience"] + ".default"],
                                  connection_verify=ep["ca_bundle"])
    with pytest.raises(ClientAuthenticationError) as exc:
        rm.resource_groups.get("rg-landing-eastus")
    assert exc.value.error.code == "InvalidAuthenticationTokenAudience"


def test_api_version_checks_and_headers(ep, admin):
    tok = admin.mint_token("gov")
    st, _unused, body = call(ep, "GET", _rg_url(ep, version=None), token=tok)
    assert st == 400 and body["error"]["code"] == "MissingApiVersionParameter"
    st, _unused, body = call(ep, "GET", _rg_url(ep, version="1999-01-01"), token=tok)
    assert st == 400 and body["error"]["code"] == "InvalidApiVersionParameter"
    c = ep["clouds"]["gov"]
    url = (f"{c['resource_manager']}subscriptions/{c['subscription_id']}/resourceGroups/rg-app-gov/providers/"
           "Microsoft.RecoveryServices/vaults/nope?api-version=1999-01-01")
    st, _unused, body = call(ep, "GET", url, token=tok)
    assert st == 400 and body["error"]["code"] == "NoRegisteredProviderFound"
    assert "The supported api-versions are '" in body["error"]["message"] and "2025-08-01" in body["error"]["message"]
    st, headers, body = call(ep, "GET", _rg_url(ep), token=tok, headers={"x-ms-correlation-request-id": "corr-123"})
    h = {k.lower(): v for k, v in headers.items()}
    assert st == 200 and h["x-ms-correlation-request-id"] == "corr-123"
    assert h["x-ms-request-id"] and h["x-ms-ratelimit-remaining-subscription-reads"]
    assert h["content-type"] == "application/json; charset=utf-8"
    st, _unused, body = call(ep, "GET", f"{c['resource_manager']}subscriptions/{c['subscription_id']}/providers/"
                                        "Microsoft.Nope/things?api-version=2020-01-01", token=tok)
    assert st == 404 and body["error"]["code"] == "InvalidResourceType"


def test_resource_group_crud_and_paging(ep, admin):
    rm, _unused = clients(ep, "gov")
    since = admin.requests()[-1]["id"]
    rm.resource_groups.create_or_update("rg-crud", {"location": "US Gov Virginia", "tags": {"a": "1"}})
    rg = rm.resource_groups.create_or_update("rg-crud", {"location": "usgovvirginia", "tags": {"a": "2"}})
    assert rg.location == "usgovvirginia" and rg.tags == {"a": "2"}
    puts = [r["status"] for r in admin.requests(since=since, method="PUT", path_contains="rg-crud")]
    assert puts == [201, 200]
    assert rm.resource_groups.update("rg-crud", {"tags": {"b": "3"}}).tags == {"b": "3"}
    names = [g.name for g in rm.resource_groups.list()]  # page size 1 -> several pages
    assert {"rg-app-gov", "rg-linux-gov", "rg-crud"} <= set(names)
    list_calls = admin.requests(since=since, method="GET", path_contains="/resourcegroups")
    assert len([r for r in list_calls if r["path"].lower().endswith("/resourcegroups")]) >= len(names)
    assert rm.resource_groups.check_existence("rg-crud") is True
    rm.resource_groups.begin_delete("rg-crud").result()
    assert rm.resource_groups.check_existence("rg-crud") is False
    with pytest.raises(HttpResponseError) as exc:
        rm.resource_groups.get("rg-crud")
    assert exc.value.status_code == 404 and exc.value.error.code == "ResourceGroupNotFound"
    assert exc.value.error.message == "Resource group 'rg-crud' could not be found."


def test_request_log(ep, admin):
    admin.clear_requests()
    rm, _unused = clients(ep, "gov")
    for _unused in range(3):
        rm.resource_groups.get("rg-app-gov")
    rows = admin.requests(cloud="gov", port="arm", method="GET", path_contains="/resourcegroups/rg-app-gov")
    assert len(rows) == 3
    assert all(r["status"] == 200 and r["api_version"] == "2025-04-01" and r["request_id"] for r in rows)
    logins = admin.requests(port="login")
    assert all("client_secret" not in str(r) for r in logins)
