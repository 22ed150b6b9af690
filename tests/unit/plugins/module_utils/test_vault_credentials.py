"""The .VaultCredentials file: layout per Az PowerShell (src/RecoveryServices/RecoveryServices/
Vault/GetAzureRMRecoveryServicesVaultSettingsFile.cs, Models/RSVaultAsrCreds.cs), the certificate, and the keep/renew
decision."""

import base64
import datetime
import os
import stat
from xml.etree import ElementTree

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.azmove.site_recovery.plugins.module_utils import _vault_credentials as vc

NS = "{%s}" % vc.NAMESPACE
SUB = "00000000-0000-0000-0000-000000000000"
RG = "rg-asr-target"
VAULT = "rsv-asr-target"
NOW = datetime.datetime(2026, 3, 2, 9, 15, 4, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module")
def cert():
    return vc.generate_certificate(NOW)


def vault_doc(state="Succeeded", pe_state="None"):
    return {
        "id": "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (SUB, RG, VAULT),
        "name": VAULT, "location": "eastus",
        "properties": {"provisioningState": state, "privateEndpointStateForSiteRecovery": pe_state},
    }


UPLOAD = {"properties": {
    "aadAuthority": "https://login.windows.net", "aadTenantId": "11111111-1111-1111-1111-111111111111",
    "servicePrincipalClientId": "22222222-2222-2222-2222-222222222222", "resourceId": 1234567890123456789,
    "azureManagementEndpointAudience": "https://wus.example/restapi/", "authType": "AzureActiveDirectory",
    "aadAudience": "api://t/RecoveryServiceVault/US/x/1"}}


def creds_for(cert, **override):
    creds = vc.build(SUB, RG, vault_doc(), UPLOAD, "KEY+/=", cert, "friendly")
    for key, value in override.items():
        setattr(creds, key, value)
    return creds


# -- the XML -------------------------------------------------------------------------------------

def test_root_namespace_declaration_and_bytes(cert):
    data = creds_for(cert).to_xml()
    assert not data.startswith(b"\xef\xbb\xbf"), "UTF-8 without BOM"
    text = data.decode("utf-8")
    lines = text.split("\r\n")
    assert lines[:4] == [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<RSVaultAsrCreds",
        '  xmlns:i="http://www.w3.org/2001/XMLSchema-instance"',
        '  xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common">',
    ]
    assert lines[-1] == "</RSVaultAsrCreds>" and not text.endswith("\n")
    assert "\n" not in text.replace("\r\n", "")
    root = ElementTree.fromstring(data)
    assert root.tag == NS + "RSVaultAsrCreds"


def test_members_in_data_member_order_with_two_space_indent(cert):
    data = creds_for(cert).to_xml()
    root = ElementTree.fromstring(data)
    assert [child.tag[len(NS):] for child in root] == [
        "VaultDetails", "ManagementCert", "Version", "AadDetails", "ChannelIntegrityKey", "SiteId", "SiteName",
        "PrivateEndpointStateForSiteRecovery"]
    assert [c.tag[len(NS):] for c in root.find(NS + "VaultDetails")] == [
        "SubscriptionId", "ResourceGroup", "ResourceName", "ResourceId", "Location", "ResourceType",
        "ProviderNamespace"]
    assert [c.tag[len(NS):] for c in root.find(NS + "AadDetails")] == [
        "AadAuthority", "AadTenantId", "ServicePrincipalClientId", "AadVaultAudience", "ArmManagementEndpoint"]
    text = data.decode()
    assert "\r\n  <VaultDetails>\r\n    <SubscriptionId>%s</SubscriptionId>" % SUB in text
    assert "\r\n  <SiteId></SiteId>\r\n  <SiteName></SiteName>\r\n" in text


def test_values_come_from_vault_upload_and_constants(cert):
    root = ElementTree.fromstring(creds_for(cert).to_xml())

    def value(path):
        return root.find("/".join(NS + p for p in path.split("/"))).text

    assert value("VaultDetails/SubscriptionId") == SUB
    assert value("VaultDetails/ResourceGroup") == RG
    assert value("VaultDetails/ResourceName") == VAULT
    assert value("VaultDetails/ResourceId") == "1234567890123456789"
    assert value("VaultDetails/Location") == "eastus"
    assert value("VaultDetails/ResourceType") == "Vaults"
    assert value("VaultDetails/ProviderNamespace") == "Microsoft.RecoveryServices"
    assert value("Version") == "2.0"
    assert value("AadDetails/AadAuthority") == "https://login.windows.net"
    assert value("AadDetails/AadTenantId") == UPLOAD["properties"]["aadTenantId"]
    assert value("AadDetails/ServicePrincipalClientId") == UPLOAD["properties"]["servicePrincipalClientId"]
    assert value("AadDetails/AadVaultAudience") == "https://RecoveryServiceVault/eastus/%s/1234567890123456789" % VAULT
    assert value("AadDetails/ArmManagementEndpoint") == "https://wus.example/restapi/"
    assert value("ChannelIntegrityKey") == "KEY+/="
    assert value("PrivateEndpointStateForSiteRecovery") == "None"


def test_none_is_written_as_nil_and_read_back_as_none(cert):
    creds = creds_for(cert, private_endpoint_state_for_site_recovery=None)
    data = creds.to_xml()
    assert b'<PrivateEndpointStateForSiteRecovery i:nil="true" />' in data
    assert vc.VaultCredentials.from_xml(data).private_endpoint_state_for_site_recovery is None


def test_text_is_escaped(cert):
    creds = creds_for(cert, aad_authority="https://a/?x=1&y=<2>")
    data = creds.to_xml()
    assert b"x=1&amp;y=&lt;2&gt;" in data
    assert vc.VaultCredentials.from_xml(data).aad_authority == "https://a/?x=1&y=<2>"


def test_round_trip(cert):
    creds = creds_for(cert)
    back = vc.VaultCredentials.from_xml(creds.to_xml())
    for field in vc.VaultCredentials.FIELDS:
        assert getattr(back, field) == getattr(creds, field), field


@pytest.mark.parametrize("data, message", [
    (b"not xml", "not XML"),
    (b'<ASRVaultCreds xmlns="http://schemas.datacontract.org/2004/07/x"/>', "root element"),
    (b'<RSVaultAsrCreds xmlns="%s"><VaultDetails/><AadDetails/></RSVaultAsrCreds>' % vc.NAMESPACE.encode(),
     "must not be empty"),
])
def test_other_files_are_refused(data, message):
    with pytest.raises(vc.CredentialsError, match=message):
        vc.VaultCredentials.from_xml(data)


def test_upload_without_resource_id_is_an_error(cert):
    with pytest.raises(vc.CredentialsError, match="resourceId"):
        vc.build(SUB, RG, vault_doc(), {"properties": {}}, "k", cert)


def test_repr_never_shows_secrets(cert):
    creds = creds_for(cert)
    assert creds.management_cert not in repr(creds) and "KEY+/=" not in repr(creds)


# -- the certificate and the PFX -----------------------------------------------------------------

def test_certificate_is_what_powershell_makes(cert):
    c = cert.certificate
    assert c.subject.rfc4514_string() == "CN=Windows Azure Tools" == c.issuer.rfc4514_string()
    assert isinstance(cert.private_key, rsa.RSAPrivateKey) and cert.private_key.key_size == 2048
    eku = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert list(eku.value) == [ExtendedKeyUsageOID.CLIENT_AUTH] and not eku.critical
    assert eku.value[0].dotted_string == "1.3.6.1.5.5.7.3.2"
    assert cert.not_before == NOW - datetime.timedelta(minutes=10)
    assert cert.not_after == NOW + datetime.timedelta(hours=120)


def test_upload_body_is_base64_der(cert):
    der = base64.b64decode(cert.der_base64())
    assert x509.load_der_x509_certificate(der) == cert.certificate


def test_pfx_round_trip_with_empty_password(cert):
    text = cert.pfx_base64("rsv-asr-target%s-3-2-2026-vaultcredentials" % SUB)
    key, loaded, extra = pkcs12.load_key_and_certificates(base64.b64decode(text), b"")
    assert loaded == cert.certificate and extra == []
    assert key.private_numbers() == cert.private_key.private_numbers()
    # Also with no password at all, as .NET's X509Certificate2(bytes) opens it.
    assert pkcs12.load_key_and_certificates(base64.b64decode(text), None)[1] == cert.certificate
    bundle = pkcs12.load_pkcs12(base64.b64decode(text), b"")
    assert bundle.cert.friendly_name == ("rsv-asr-target%s-3-2-2026-vaultcredentials" % SUB).encode()
    again = vc.ManagementCertificate.from_pfx_base64(text)
    assert again.thumbprint == cert.thumbprint and again.not_after == cert.not_after


def test_a_pfx_with_a_password_is_not_ours(cert):
    blob = pkcs12.serialize_key_and_certificates(
        b"x", cert.private_key, cert.certificate, None, serialization.BestAvailableEncryption(b"secret"))
    with pytest.raises(vc.CredentialsError, match="empty password"):
        vc.ManagementCertificate.from_pfx_base64(base64.b64encode(blob).decode())


def test_thumbprint_is_upper_sha1_hex(cert):
    from cryptography.hazmat.primitives import hashes

    assert cert.thumbprint == cert.certificate.fingerprint(hashes.SHA1()).hex().upper()
    assert len(cert.thumbprint) == 40


def test_expiry_is_read_from_the_embedded_certificate(cert, tmp_path):
    path = tmp_path / "a.VaultCredentials"
    vc.write_atomically(str(path), creds_for(cert).to_xml())
    creds, loaded = vc.read_file(str(path))
    assert loaded.not_after == NOW + datetime.timedelta(hours=120)
    assert vc.iso(loaded.not_after) == "2026-03-07T09:15:04Z"
    assert creds.belongs_to(SUB.upper(), RG.upper(), VAULT.upper())
    assert not creds.belongs_to(SUB, RG, "other")


# -- names ---------------------------------------------------------------------------------------

def test_file_name_like_powershell():
    assert vc.file_name(VAULT, NOW) == "rsv-asr-target_2026-03-02T09-15-04.VaultCredentials"
    local = datetime.datetime(2026, 3, 2, 4, 15, 4, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))
    assert vc.file_name(VAULT, local) == "rsv-asr-target_2026-03-02T09-15-04.VaultCredentials"
    assert vc.parse_file_name("/x/rsv-asr-target_2026-03-02T09-15-04.VaultCredentials", VAULT) == NOW
    assert vc.parse_file_name("rsv-asr-target_2026-03-02T09-15-04.VaultCredentials", "other") is None
    assert vc.parse_file_name("rsv-asr-target_2026-13-02T09-15-04.VaultCredentials", VAULT) is None
    assert vc.parse_file_name("rsv-asr-target.VaultCredentials", VAULT) is None


def test_certificate_name_like_powershell():
    assert vc.certificate_name("BCDRIbzVault", "77777777-d41f-4550-9f70-7708a3a2283b", datetime.date(2017, 12, 18)) \
        == "BCDRIbzVault77777777-d41f-4550-9f70-7708a3a2283b-12-18-2017-vaultcredentials"
    assert vc.certificate_name("v", "s", datetime.date(2026, 3, 2)) == "vs-3-2-2026-vaultcredentials"


def test_new_integrity_key_is_128_random_bits_base64():
    keys = {vc.new_integrity_key() for _unused in range(20)}
    assert len(keys) == 20
    assert all(len(base64.b64decode(k)) == 16 for k in keys)


def test_latest_in_directory(tmp_path):
    for name in ("v_2026-03-01T00-00-00.VaultCredentials", "v_2026-03-02T00-00-00.VaultCredentials",
                 "w_2026-03-03T00-00-00.VaultCredentials", "v.txt"):
        (tmp_path / name).write_text("x")
    assert vc.latest_in_directory(str(tmp_path), "v") == str(tmp_path / "v_2026-03-02T00-00-00.VaultCredentials")
    assert vc.latest_in_directory(str(tmp_path), "z") is None


# -- writing -------------------------------------------------------------------------------------

def test_written_with_mode_0600_even_under_a_lax_umask(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "k.VaultCredentials"
        vc.write_atomically(str(path), b"data")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == b"data"


def test_replacing_keeps_0600_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "k.VaultCredentials"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    vc.write_atomically(str(path), b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["k.VaultCredentials"]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "k.VaultCredentials"
    path.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vc.os, "replace", broken_replace)
    with pytest.raises(OSError):
        vc.write_atomically(str(path), b"new")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["k.VaultCredentials"]


# -- the decision, against a fake vault ----------------------------------------------------------

class NotFound(Exception):
    pass


class FakeClient:
    """vaults.get, vault_extended_info.get/create_or_update and vault_certificates.create, counted."""

    def __init__(self, vault=None, ext=None):
        from azure.core.exceptions import ResourceNotFoundError

        self._not_found = ResourceNotFoundError
        self.vault_doc = vault if vault is not None else vault_doc()
        self.ext = ext
        self.uploads = []
        self.ext_writes = []
        outer = self

        class Vaults:
            def get(self, rg, name):
                if outer.vault_doc is False:
                    raise outer._not_found("ResourceNotFound")
                return outer.vault_doc

        class Ext:
            def get(self, rg, name):
                if outer.ext is None:
                    raise outer._not_found("not found")
                return outer.ext

            def create_or_update(self, rg, name, body):
                outer.ext_writes.append(body)
                outer.ext = {"properties": dict(body["properties"])}
                return outer.ext

        class Certs:
            def create(self, rg, name, cert_name, body):
                outer.uploads.append((cert_name, body))
                return UPLOAD

        self.vaults, self.vault_extended_info, self.vault_certificates = Vaults(), Ext(), Certs()


def manager(client, check_mode=False, now=None):
    return vc.RegistrationKeyManager(client, SUB, RG, VAULT, check_mode=check_mode, now=now or vc.utcnow())


def test_new_file_uploads_once_and_creates_the_integrity_key(tmp_path):
    client = FakeClient()
    path = str(tmp_path / "k.VaultCredentials")
    out = manager(client).ensure(path, False)
    assert out["changed"] and out["created"] and not out["renewed"]
    assert len(client.uploads) == 1
    name, body = client.uploads[0]
    assert name.startswith(VAULT + SUB + "-") and name.endswith("-vaultcredentials")
    assert body["properties"]["authType"] == "AAD"
    der = base64.b64decode(body["properties"]["certificate"])
    assert x509.load_der_x509_certificate(der).fingerprint
    assert client.ext_writes[0]["properties"]["algorithm"] == "None"
    creds, cert = vc.read_file(path)
    assert creds.channel_integrity_key == client.ext["properties"]["integrityKey"]
    assert cert.thumbprint == out["thumbprint"]
    assert client.ext["properties"]["integrityKey"] in out["secrets"]
    assert creds.management_cert in out["secrets"]


def test_existing_integrity_key_is_used_not_replaced(tmp_path):
    client = FakeClient(ext={"properties": {"integrityKey": "existing", "algorithm": "None"}})
    manager(client).ensure(str(tmp_path / "k.VaultCredentials"), False)
    assert client.ext_writes == []
    assert vc.read_file(str(tmp_path / "k.VaultCredentials"))[0].channel_integrity_key == "existing"


def test_portal_made_integrity_key_is_refused_before_upload(tmp_path):
    client = FakeClient(ext={"properties": {"integrityKey": "x", "algorithm": "AES256"}})
    with pytest.raises(vc.CredentialsError, match="portal"):
        manager(client).ensure(str(tmp_path / "k.VaultCredentials"), False)
    assert client.uploads == []


def test_vault_not_succeeded_is_refused(tmp_path):
    client = FakeClient(vault=vault_doc(state="Deleting"))
    with pytest.raises(vc.CredentialsError, match="Deleting"):
        manager(client).ensure(str(tmp_path / "k.VaultCredentials"), False)
    assert client.uploads == []


def test_kept_then_renewed_near_expiry(tmp_path):
    client = FakeClient()
    path = str(tmp_path / "k.VaultCredentials")
    first = manager(client).ensure(path, False)
    kept = manager(client).ensure(path, False)
    assert not kept["changed"] and kept["thumbprint"] == first["thumbprint"] and len(client.uploads) == 1
    later = vc.utcnow() + datetime.timedelta(hours=97)  # 23 hours left, within renew_before=24
    assert not manager(client, now=later).ensure(path, False, renew_before_hours=22)["changed"]
    renewed = manager(client, now=later).ensure(path, False, renew_before_hours=24)
    assert renewed["changed"] and renewed["renewed"] and not renewed["created"]
    assert len(client.uploads) == 2


def test_a_changed_vault_key_renews(tmp_path):
    client = FakeClient()
    path = str(tmp_path / "k.VaultCredentials")
    manager(client).ensure(path, False)
    client.ext = {"properties": {"integrityKey": "rotated", "algorithm": "None"}}
    out = manager(client).ensure(path, False)
    assert out["renewed"] and "integrity key" in out["reason"]
    assert vc.read_file(path)[0].channel_integrity_key == "rotated"


def test_another_vaults_file_is_replaced_and_counts_as_created(tmp_path, cert):
    path = str(tmp_path / "k.VaultCredentials")
    vc.write_atomically(path, creds_for(cert, vault_name="other-vault").to_xml())
    out = manager(FakeClient()).ensure(path, False)
    assert out["created"] and not out["renewed"] and "other-vault" in out["reason"]


def test_check_mode_changes_nothing(tmp_path):
    client = FakeClient()
    out = manager(client, check_mode=True).ensure(str(tmp_path) + "/", True)
    assert out["changed"] and out["created"] and out["thumbprint"] is None
    assert out["path"].startswith(str(tmp_path) + "/" + VAULT + "_")
    assert client.uploads == [] and client.ext_writes == [] and os.listdir(tmp_path) == []


def test_reuse_false_and_force(tmp_path):
    client = FakeClient()
    path = str(tmp_path / "k.VaultCredentials")
    manager(client).ensure(path, False)
    assert manager(client).ensure(path, False, reuse=False)["reason"] == "reuse=false"
    assert manager(client).ensure(path, False, force=True)["reason"] == "force"
    assert len(client.uploads) == 3


def test_a_lax_mode_on_a_kept_file_is_fixed(tmp_path):
    client = FakeClient()
    path = str(tmp_path / "k.VaultCredentials")
    manager(client).ensure(path, False)
    os.chmod(path, 0o644)
    out = manager(client).ensure(path, False)
    assert out["changed"] and not out["renewed"] and len(client.uploads) == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_missing_vault_raises_azure_s_error(tmp_path):
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError):
        manager(FakeClient(vault=False)).ensure(str(tmp_path / "k.VaultCredentials"), False)


# -- checking a key without Azure (the configuration_server role, before it touches the server) -----

def test_a_usable_key_is_found_in_its_directory_and_checked(cert, tmp_path):
    path = tmp_path / vc.file_name(VAULT, NOW)
    vc.write_atomically(str(path), creds_for(cert).to_xml())
    found, creds, loaded = vc.usable_key(str(tmp_path), RG.upper(), VAULT, now=NOW + datetime.timedelta(hours=119))
    assert found == str(path) and creds.vault_name == VAULT and loaded.thumbprint == cert.thumbprint


@pytest.mark.parametrize("case,message", [
    ("expired", "The registration key {path} expired at 2026-03-07T09:15:04Z; make a new one with "
                "azmove.site_recovery.vault_registration_key (it is valid for 5 days)."),
    ("other_vault", "{path} is the registration key of vault rsv-other in resource group rg-asr-target, not of vault "
                    "rsv-asr-target in rg-asr-target; make a new one"),
    ("missing", "{path} is not a file; make a new one"),
    ("not_a_key", "{path} is not a vault registration key (not XML"),
])
def test_an_unusable_key_is_refused_saying_why_and_what_to_do(cert, tmp_path, case, message):
    path = tmp_path / "k.VaultCredentials"
    if case == "not_a_key":
        path.write_text("hello")
    elif case != "missing":
        vc.write_atomically(str(path), creds_for(cert, **({"vault_name": "rsv-other"} if case == "other_vault" else {})).to_xml())
    with pytest.raises(vc.CredentialsError) as exc:
        vc.usable_key(str(path), RG, VAULT, now=NOW + datetime.timedelta(hours=120))
    assert str(exc.value).startswith(message.format(path=path))
    assert "KEY+/=" not in str(exc.value) and creds_for(cert).management_cert not in str(exc.value)


def test_a_directory_without_a_key_of_the_vault_is_refused(tmp_path):
    with pytest.raises(vc.CredentialsError, match="has no registration key of vault rsv-asr-target; make a new one"):
        vc.usable_key(str(tmp_path), RG, VAULT)
