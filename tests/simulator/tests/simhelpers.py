"""Helpers shared by the simulator self-tests (kept out of conftest.py so imports are unambiguous)."""
import contextlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIM_ROOT = os.path.dirname(HERE)
if SIM_ROOT not in sys.path:
    sys.path.insert(0, SIM_ROOT)
DEMO_SEED = os.path.join(SIM_ROOT, "seed", "demo.json")


@contextlib.contextmanager
def lenient_bodies(admin):
    """Strict request bodies off, for a test of a handler's own check that must send a raw malformed body (a missing
    required field, an unknown property): the strict check (azsim/strict.py) would answer first."""
    admin.set_strict_bodies(False)
    try:
        yield
    finally:
        admin.set_strict_bodies(True)


def credential(ep, cloud="gov", secret=None, **kw):
    from azure.identity import ClientSecretCredential
    c = ep["clouds"][cloud]
    kw.setdefault("disable_instance_discovery", True)
    return ClientSecretCredential(c["tenant_id"], c["client_id"], secret or c["client_secret"],
                                  authority=c["login_endpoint"].rstrip("/"),
                                  connection_verify=ep["ca_bundle"], **kw)


def client_kwargs(ep, cloud="gov", **extra):
    c = ep["clouds"][cloud]
    kw = dict(base_url=c["resource_manager"], credential_scopes=[c["audience"] + ".default"],
              connection_verify=ep["ca_bundle"])
    kw.update(extra)
    return kw


def clients(ep, cloud="gov", cred=None, **extra):
    from azure.mgmt.recoveryservices import RecoveryServicesClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    cred = cred or credential(ep, cloud)
    sub = ep["clouds"][cloud]["subscription_id"]
    return (ResourceManagementClient(cred, sub, **client_kwargs(ep, cloud, **extra)),
            RecoveryServicesClient(cred, sub, **client_kwargs(ep, cloud, **extra)))


def asr_client(ep, cloud="public"):
    from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient
    return SiteRecoveryManagementClient(credential(ep, cloud), ep["clouds"][cloud]["subscription_id"],
                                        **client_kwargs(ep, cloud))


def management_cert(expired=False):
    """(key, certificate, PFX base64 with an empty password): a self-signed CN=Windows Azure Tools certificate,
    RSA 2048, client-authentication EKU, valid from now-10 min for 120 h (Az PowerShell CertUtils.cs); `expired`
    shifts it 200 h back."""
    import base64
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Windows Azure Tools")])
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=200 if expired else 0)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=10))
            .not_valid_after(now + datetime.timedelta(hours=120))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(key, hashes.SHA256()))
    pfx = pkcs12.serialize_key_and_certificates(b"azsim-vaultcredentials", key, cert, None,
                                                serialization.NoEncryption())
    return key, cert, base64.b64encode(pfx).decode()


CREDS_XML = """<?xml version="1.0" encoding="utf-8"?>
<RSVaultAsrCreds
  xmlns:i="http://www.w3.org/2001/XMLSchema-instance"
  xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common">
  <VaultDetails>
    <SubscriptionId>{sub}</SubscriptionId>
    <ResourceGroup>{rg}</ResourceGroup>
    <ResourceName>{vault}</ResourceName>
    <ResourceId>{rid}</ResourceId>
    <Location>{location}</Location>
    <ResourceType>Vaults</ResourceType>
    <ProviderNamespace>Microsoft.RecoveryServices</ProviderNamespace>
  </VaultDetails>
  <ManagementCert>{pfx}</ManagementCert>
  <Version>2.0</Version>
  <AadDetails>
    <AadAuthority>{authority}</AadAuthority>
    <AadTenantId>{tenant}</AadTenantId>
    <ServicePrincipalClientId>{client}</ServicePrincipalClientId>
    <AadVaultAudience>https://RecoveryServiceVault/{location}/{vault}/{rid}</AadVaultAudience>
    <ArmManagementEndpoint>{arm}</ArmManagementEndpoint>
  </AadDetails>
  <ChannelIntegrityKey>{key}</ChannelIntegrityKey>
  <SiteId></SiteId>
  <SiteName></SiteName>
  <PrivateEndpointStateForSiteRecovery>None</PrivateEndpointStateForSiteRecovery>
</RSVaultAsrCreds>
"""


def vault_credentials(rs, rg, vault, cert=None):
    """A .VaultCredentials document the way Get-AzRecoveryServicesVaultSettingsFile -SiteRecovery writes it:
    upload the certificate to the vault, then take the AAD details from the upload response and the channel
    integrity key from the vault's extended info (created if missing). Returns (xml text, pfx base64)."""
    import base64
    import datetime
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.recoveryservices.models import (CertificateRequest, RawCertificateData, VaultExtendedInfo,
                                                    VaultExtendedInfoResource)
    from cryptography.hazmat.primitives import serialization
    _unused, cert, pfx = cert or management_cert()
    v = rs.vaults.get(rg, vault)
    sub = v.id.split("/")[2]
    name = f"{vault}{sub}-{datetime.date.today():%m-%d-%Y}-vaultcredentials"
    der = cert.public_bytes(serialization.Encoding.DER)
    up = rs.vault_certificates.create(rg, vault, name, CertificateRequest(
        properties=RawCertificateData(auth_type="AAD", certificate=base64.b64encode(der)))).properties
    try:
        ext = rs.vault_extended_info.get(rg, vault)
    except ResourceNotFoundError:
        ext = rs.vault_extended_info.create_or_update(rg, vault, VaultExtendedInfoResource(
            properties=VaultExtendedInfo(integrity_key=base64.b64encode(os.urandom(96)).decode(), algorithm="None")))
    return CREDS_XML.format(sub=sub, rg=rg, vault=vault, rid=up.resource_id, location=v.location, pfx=pfx,
                            authority=up.aad_authority, tenant=up.aad_tenant_id, client=up.service_principal_client_id,
                            arm=up.azure_management_endpoint_audience, key=ext.properties.integrity_key), pfx
