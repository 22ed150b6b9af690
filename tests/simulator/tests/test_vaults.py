"""Microsoft.RecoveryServices/vaults through azure-mgmt-recoveryservices 4.3.0."""
import base64
import datetime

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from simhelpers import clients
from rawhttp import call

VAULT_BODY = {"location": "US Gov Virginia", "sku": {"name": "Standard"}, "identity": {"type": "SystemAssigned"},
              "properties": {"publicNetworkAccess": "Enabled"}}


def test_vault_lifecycle(ep, admin):
    rm, rs = clients(ep, "gov")
    rm.resource_groups.create_or_update("rg-vaults", {"location": "usgovvirginia"})
    since = admin.requests()[-1]["id"]
    v = rs.vaults.begin_create_or_update("rg-vaults", "vault-a", VAULT_BODY).result()
    assert v.location == "usgovvirginia"
    assert v.sku.name == "RS0" and v.sku.tier == "Standard"
    assert v.properties.provisioning_state == "Succeeded"
    assert v.identity.type == "SystemAssigned" and v.identity.principal_id
    assert v.identity.tenant_id == ep["clouds"]["gov"]["tenant_id"]
    assert v.properties.redundancy_settings.standard_tier_storage_redundancy == "GeoRedundant"
    assert v.id.endswith("/resourceGroups/rg-vaults/providers/Microsoft.RecoveryServices/vaults/vault-a")
    assert v.etag.startswith('W/"datetime')
    rs.vaults.begin_create_or_update("rg-vaults", "vault-a", VAULT_BODY).result()
    statuses = [r["status"] for r in admin.requests(since=since, method="PUT", path_contains="vault-a")]
    assert statuses == [201, 200]
    for name in ("vault-b", "vault-c"):
        rs.vaults.begin_create_or_update("rg-vaults", name, VAULT_BODY).result()
    names = [x.name for x in rs.vaults.list_by_resource_group("rg-vaults")]
    assert names == ["vault-a", "vault-b", "vault-c"]  # 3 pages of 1
    assert {"vault-a", "vault-b", "vault-c"} <= {x.name for x in rs.vaults.list_by_subscription_id()}

    updated = rs.vaults.begin_update("rg-vaults", "vault-a", {"tags": {"move-wave": "1"}}).result()
    assert updated.tags == {"move-wave": "1"}
    assert rs.vaults.get("rg-vaults", "vault-a").tags == {"move-wave": "1"}

    since = admin.requests()[-1]["id"]
    rs.vaults.begin_delete("rg-vaults", "vault-a").result()
    polls = admin.requests(since=since, path_contains="/operationStatus/")
    assert polls and polls[-1]["status"] == 200
    with pytest.raises(ResourceNotFoundError) as exc:
        rs.vaults.get("rg-vaults", "vault-a")
    assert exc.value.error.code == "ResourceNotFound"
    assert exc.value.error.message == (
        "The Resource 'Microsoft.RecoveryServices/vaults/vault-a' under resource group 'rg-vaults' was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def test_vault_operation_status_shape(ep, admin):
    rm, rs = clients(ep, "gov")
    rm.resource_groups.create_or_update("rg-vaults", {"location": "usgovvirginia"})
    rs.vaults.begin_create_or_update("rg-vaults", "vault-op", VAULT_BODY).result()
    c = ep["clouds"]["gov"]
    tok = admin.mint_token("gov")
    url = (f"{c['resource_manager']}subscriptions/{c['subscription_id']}/resourceGroups/rg-vaults/providers/"
           "Microsoft.RecoveryServices/vaults/vault-op?api-version=2025-08-01")
    st, headers, body = call(ep, "DELETE", url, token=tok)
    h = {k.lower(): v for k, v in headers.items()}
    assert st == 202 and "/operationStatus/" in h["azure-asyncoperation"] and "/operationResults/" in h["location"]
    st, _unused, op = call(ep, "GET", h["azure-asyncoperation"], token=tok)
    assert st == 200 and set(op) >= {"id", "name", "status", "startTime", "endTime"}
    assert op["status"] == "Succeeded" and op["id"].endswith("/operationStatus/" + op["name"])
    st, _unused, _unused = call(ep, "DELETE", url, token=tok)
    assert st == 204  # already gone


def test_vault_put_missing_rg(ep):
    _unused, rs = clients(ep, "gov")
    with pytest.raises(ResourceNotFoundError) as exc:
        rs.vaults.begin_create_or_update("rg-does-not-exist", "v", VAULT_BODY).result()
    assert exc.value.error.code == "ResourceGroupNotFound"


@pytest.mark.parametrize("name", ["rsv bad!", "2rsv", "r", "rsv_move", "a" * 51])
def test_vault_put_refuses_a_name_azure_refuses(ep, admin, name):
    rm, rs = clients(ep, "gov")
    rm.resource_groups.create_or_update("rg-vaults", {"location": "usgovvirginia"})
    with pytest.raises(HttpResponseError) as exc:
        rs.vaults.begin_create_or_update("rg-vaults", name, VAULT_BODY).result()
    assert exc.value.status_code == 400 and exc.value.error.code == "InvalidResourceName"
    assert "'%s'" % name in exc.value.error.message
    assert name not in {v.name for v in rs.vaults.list_by_resource_group("rg-vaults")}


def test_vault_certificate_and_extended_info(ep):
    from azure.mgmt.recoveryservices.models import CertificateRequest, RawCertificateData
    rm, rs = clients(ep, "gov")
    rm.resource_groups.create_or_update("rg-vaults", {"location": "usgovvirginia"})
    rs.vaults.begin_create_or_update("rg-vaults", "vault-cred", VAULT_BODY).result()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Windows Azure Tools")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=5)).sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    req = CertificateRequest(properties=RawCertificateData(auth_type="AAD", certificate=base64.b64encode(der)))
    cred_name = "vault-cred-" + now.strftime("%m-%d-%Y") + "-vaultcredentials"
    r1 = rs.vault_certificates.create("rg-vaults", "vault-cred", cred_name, req)
    r2 = rs.vault_certificates.create("rg-vaults", "vault-cred", cred_name, req)
    p = r1.properties
    assert r1.type == "Microsoft.RecoveryServices/vaults/certificates"
    assert p.auth_type == "AzureActiveDirectory"
    assert p.aad_authority == ep["clouds"]["gov"]["login_endpoint"].rstrip("/")
    assert p.aad_tenant_id == ep["clouds"]["gov"]["tenant_id"]
    assert p.service_principal_client_id == ep["clouds"]["gov"]["client_id"]
    assert p.thumbprint == cert.fingerprint(hashes.SHA1()).hex().upper()
    assert p.subject == "CN=Windows Azure Tools"
    assert p.resource_id == r2.properties.resource_id  # stable per vault
    assert p.valid_to is not None

    with pytest.raises(ResourceNotFoundError):
        rs.vault_extended_info.get("rg-vaults", "vault-cred")
    from azure.mgmt.recoveryservices.models import VaultExtendedInfoResource, VaultExtendedInfo
    info = rs.vault_extended_info.create_or_update(
        "rg-vaults", "vault-cred",
        VaultExtendedInfoResource(properties=VaultExtendedInfo(integrity_key="abc123==", algorithm="None")))
    assert info.properties.integrity_key == "abc123=="
    got = rs.vault_extended_info.get("rg-vaults", "vault-cred")
    assert got.properties.integrity_key == "abc123==" and got.properties.algorithm == "None"
    upd = rs.vault_extended_info.update("rg-vaults", "vault-cred",
                                        VaultExtendedInfoResource(properties=VaultExtendedInfo(algorithm="SHA256")))
    assert upd.properties.integrity_key == "abc123==" and upd.properties.algorithm == "SHA256"
