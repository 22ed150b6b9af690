"""Entra ID: real azure-identity credentials against the simulated login hosts."""
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azsim import jwtutil
from azsim.tls import write_client_certificate
from simhelpers import clients, credential
from rawhttp import call


def test_client_secret_token_claims(ep):
    g = ep["clouds"]["gov"]
    tok = credential(ep).get_token(g["audience"] + ".default")
    _unused, claims, _unused, _unused = jwtutil.split(tok.token)
    assert claims["aud"] == g["audience"]
    assert claims["tid"] == g["tenant_id"]
    assert claims["appid"] == g["client_id"]
    assert claims["iss"] == f"https://sts.windows.net/{g['tenant_id']}/"
    assert 3500 < tok.expires_on - time.time() <= 3600


def test_instance_discovery_enabled(ep):
    """MSAL with instance discovery on, pointed at the simulator's /common/discovery/instance.

    (azure-identity with discovery on always asks login.microsoftonline.com for unknown
    hosts, which a local simulator cannot answer - see README.)
    """
    import msal
    import requests
    g = ep["clouds"]["gov"]
    session = requests.Session()
    session.verify = ep["ca_bundle"]
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override verify
    login = g["login_endpoint"].rstrip("/")
    app = msal.ConfidentialClientApplication(
        g["client_id"], client_credential=g["client_secret"], authority=f"{login}/{g['tenant_id']}",
        instance_discovery=f"{login}/common/discovery/instance", http_client=session)
    result = app.acquire_token_for_client(["https://management.usgovcloudapi.net/.default"])
    assert result.get("access_token"), result
    _unused, claims, _unused, _unused = jwtutil.split(result["access_token"])
    assert claims["aud"] == "https://management.usgovcloudapi.net/"


def test_wrong_secret_is_aadsts7000215_without_echo(ep):
    g = ep["clouds"]["gov"]
    bad = "not-the-secret-" + "x" * 20
    with pytest.raises(ClientAuthenticationError) as exc:
        credential(ep, secret=bad).get_token(g["audience"] + ".default")
    text = str(exc.value)
    assert "AADSTS7000215" in text
    assert bad not in text and g["client_secret"] not in text


def test_token_endpoint_errors_raw(ep):
    g = ep["clouds"]["gov"]
    login = g["login_endpoint"].rstrip("/")
    base = {"grant_type": "client_credentials", "client_id": g["client_id"], "client_secret": g["client_secret"],
            "scope": g["audience"] + ".default"}
    st, _unused, body = call(ep, "POST", f"{login}/{g['tenant_id']}/oauth2/v2.0/token", form=dict(base, client_secret="x"))
    assert st == 401 and body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert body["error_uri"].endswith("code=7000215") and "Trace ID:" in body["error_description"]
    st, _unused, body = call(ep, "POST", f"{login}/{g['tenant_id']}/oauth2/v2.0/token",
                             form=dict(base, client_id="00000000-0000-0000-0000-000000000001"))
    assert st == 400 and body["error"] == "unauthorized_client" and body["error_codes"] == [700016]
    st, _unused, body = call(ep, "POST", f"{login}/00000000-0000-0000-0000-000000000002/oauth2/v2.0/token", form=base)
    assert st == 400 and body["error"] == "invalid_request" and body["error_codes"] == [90002]
    # a public-cloud audience is an unknown resource in the gov tenant
    st, _unused, body = call(ep, "POST", f"{login}/{g['tenant_id']}/oauth2/v2.0/token",
                             form=dict(base, scope="https://management.azure.com/.default"))
    assert st == 400 and body["error"] == "invalid_resource" and body["error_codes"] == [500011]
    assert g["client_secret"] not in str(body)


def _self_signed(tmp_path):
    path = tmp_path / "app.pem"
    return str(path), write_client_certificate(path)


def test_certificate_credential(ep, admin, tmp_path):
    from azure.identity import CertificateCredential
    p = ep["clouds"]["public"]
    path, cert_pem = _self_signed(tmp_path)
    kw = dict(authority=p["login_endpoint"].rstrip("/"), disable_instance_discovery=True,
              connection_verify=ep["ca_bundle"])
    # not registered yet -> AADSTS700027
    with pytest.raises(ClientAuthenticationError) as exc:
        CertificateCredential(p["tenant_id"], p["client_id"], path, **kw).get_token(p["audience"] + ".default")
    assert "AADSTS700027" in str(exc.value)
    admin.register_certificate("public", cert_pem)
    cred = CertificateCredential(p["tenant_id"], p["client_id"], path, **kw)
    rm, _unused = clients(ep, "public", cred=cred)
    assert any(rg.name == "rg-landing-eastus" for rg in rm.resource_groups.list())


def test_workload_identity_credential(ep, admin, tmp_path):
    from azure.identity import WorkloadIdentityCredential
    g = ep["clouds"]["gov"]
    issuer, subject = "https://token.actions.githubusercontent.com", "repo:contoso/migrate:environment:gov"
    admin.add_federated_credential("gov", issuer, subject)
    now = int(time.time())
    assertion = jwtutil.encode_hs256({"iss": issuer, "sub": subject, "aud": "api://AzureADTokenExchange",
                                      "iat": now, "nbf": now, "exp": now + 600}, b"external-idp-key")
    token_file = tmp_path / "token"
    token_file.write_text(assertion)
    cred = WorkloadIdentityCredential(tenant_id=g["tenant_id"], client_id=g["client_id"],
                                      token_file_path=str(token_file), authority=g["login_endpoint"].rstrip("/"),
                                      disable_instance_discovery=True, connection_verify=ep["ca_bundle"])
    rm, _unused = clients(ep, "gov", cred=cred)
    assert rm.resource_groups.check_existence("rg-app-gov")
    # a subject that is not registered is refused
    token_file.write_text(jwtutil.encode_hs256({"iss": issuer, "sub": "repo:evil/x", "aud":
                                                "api://AzureADTokenExchange", "exp": now + 600}, b"k"))
    bad = WorkloadIdentityCredential(tenant_id=g["tenant_id"], client_id=g["client_id"],
                                     token_file_path=str(token_file), authority=g["login_endpoint"].rstrip("/"),
                                     disable_instance_discovery=True, connection_verify=ep["ca_bundle"])
    with pytest.raises(ClientAuthenticationError) as exc:
        bad.get_token(g["audience"] + ".default")
    assert "AADSTS700027" in str(exc.value)
