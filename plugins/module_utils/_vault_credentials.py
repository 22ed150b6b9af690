# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The Site Recovery vault registration key (the ``.VaultCredentials`` file Unified Setup takes as
``/VaultCredsFilePath``), made the way Az PowerShell's ``Get-AzRecoveryServicesVaultSettingsFile
-SiteRecovery`` makes it: a self-signed client certificate uploaded to the vault, the vault's
channel integrity key, and the ``RSVaultAsrCreds`` XML that DataContractSerializer writes.

Everything here works without Ansible. The file holds a private key and the integrity key: nothing
in this file logs or returns them, and callers must not either."""

from __future__ import annotations

import base64
import datetime
import os
import re
import secrets
import tempfile
import traceback
from xml.etree import ElementTree
from xml.sax.saxutils import escape

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

from ._errors import get_or_none

# PowerShell's constants (GetAzureRMRecoveryServicesVaultSettingsFile.cs, CertUtils.cs).
VALID_HOURS = 120  # Site Recovery; Backup uses 48
BACKDATE = datetime.timedelta(minutes=10)
ISSUER_CN = "Windows Azure Tools"
KEY_SIZE = 2048
VERSION = "2.0"
RESOURCE_TYPE = "Vaults"
PROVIDER_NAMESPACE = "Microsoft.RecoveryServices"
AUTH_TYPE = "AAD"
# PowerShell's Utilities.GenerateRandomKey(128): 128 random bits, base64.
INTEGRITY_KEY_BITS = 128
INTEGRITY_ALGORITHM = "None"

NAMESPACE = "http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ROOT = "RSVaultAsrCreds"
SUFFIX = ".VaultCredentials"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H-%M-%S"  # .NET "yyyy-MM-ddTHH-mm-ss", UTC
# .NET XmlWriterSettings: Indent=true (two spaces), NewLineOnAttributes=true, NewLineChars "\r\n".
INDENT = "  "
NEWLINE = "\r\n"
FILE_MODE = 0o600

# DataMember(Order=n) of RSVaultAsrCreds.cs, in order: (element, attribute or nested list).
VAULT_DETAILS = (
    ("SubscriptionId", "subscription_id"),
    ("ResourceGroup", "resource_group"),
    ("ResourceName", "vault_name"),
    ("ResourceId", "resource_id"),
    ("Location", "location"),
    ("ResourceType", "resource_type"),
    ("ProviderNamespace", "provider_namespace"),
)
AAD_DETAILS = (
    ("AadAuthority", "aad_authority"),
    ("AadTenantId", "aad_tenant_id"),
    ("ServicePrincipalClientId", "service_principal_client_id"),
    ("AadVaultAudience", "aad_vault_audience"),
    ("ArmManagementEndpoint", "arm_management_endpoint"),
)
LAYOUT = (
    ("VaultDetails", VAULT_DETAILS),
    ("ManagementCert", "management_cert"),
    ("Version", "version"),
    ("AadDetails", AAD_DETAILS),
    ("ChannelIntegrityKey", "channel_integrity_key"),
    ("SiteId", "site_id"),
    ("SiteName", "site_name"),
    ("PrivateEndpointStateForSiteRecovery", "private_endpoint_state_for_site_recovery"),
)


class CredentialsError(ValueError):
    """A file that is not a usable vault credentials file, or a vault that cannot have one."""


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def _utc(value):
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def iso(value):
    """ISO 8601 in UTC with a Z, to the second."""
    return _utc(value).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- names ---------------------------------------------------------------------------------------

def certificate_name(vault_name, subscription_id, today=None):
    """``<vault><subscription>-<M-d-yyyy>-vaultcredentials``: the certificate's friendly name, which
    PowerShell also uses as the name of the vault certificate resource it uploads."""
    today = today or datetime.date.today()  # PowerShell uses the local date (DateTime.Now)
    return "%s%s-%d-%d-%d-vaultcredentials" % (vault_name, subscription_id, today.month, today.day, today.year)


def file_name(vault_name, when=None):
    """``<VaultName>_<yyyy-MM-ddTHH-mm-ss>.VaultCredentials`` with the UTC time, as PowerShell names it."""
    return "%s_%s%s" % (vault_name, _utc(when or utcnow()).strftime(TIMESTAMP_FORMAT), SUFFIX)


def parse_file_name(name, vault_name):
    """The UTC time in a file name made by :func:`file_name` for this vault, or None."""
    match = re.match(r"^(?P<vault>.+)_(?P<stamp>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})%s$" % re.escape(SUFFIX),
                     os.path.basename(name), re.IGNORECASE)
    if not match or match.group("vault").lower() != vault_name.lower():
        return None
    try:
        stamp = datetime.datetime.strptime(match.group("stamp"), TIMESTAMP_FORMAT)
    except ValueError:
        return None
    return stamp.replace(tzinfo=datetime.timezone.utc)


def aad_vault_audience(location, vault_name, resource_id):
    """``https://RecoveryServiceVault/<location>/<vaultName>/<ResourceId>`` ("code taken from Ibiza")."""
    return "https://RecoveryServiceVault/%s/%s/%s" % (location, vault_name, resource_id)


def new_integrity_key():
    """A channel integrity key as PowerShell creates one when the vault has none."""
    return base64.b64encode(secrets.token_bytes(INTEGRITY_KEY_BITS // 8)).decode("ascii")


# -- the management certificate ------------------------------------------------------------------

class ManagementCertificate:
    """The self-signed client certificate and its private key."""

    def __init__(self, certificate, private_key=None):
        self.certificate = certificate
        self.private_key = private_key

    @property
    def thumbprint(self):
        """SHA-1 of the DER certificate, upper-case hex, as Windows and Azure show it."""
        return self.certificate.fingerprint(hashes.SHA1()).hex().upper()  # nosec - a thumbprint, not a signature

    @property
    def not_before(self):
        return _not_valid_before(self.certificate)

    @property
    def not_after(self):
        return _not_valid_after(self.certificate)

    def der_base64(self):
        """What the vault certificate upload takes (``RawCertificateData.certificate``)."""
        return base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")

    def pfx_base64(self, friendly_name=None):
        """The PKCS#12 (PFX) of key and certificate with an empty password, base64: ``ManagementCert``."""
        if self.private_key is None:
            raise CredentialsError("This certificate has no private key to export.")
        blob = pkcs12.serialize_key_and_certificates(
            friendly_name.encode("utf-8") if friendly_name else None,
            self.private_key,
            self.certificate,
            None,
            serialization.NoEncryption(),
        )
        return base64.b64encode(blob).decode("ascii")

    @classmethod
    def from_pfx_base64(cls, text, password=b""):
        """Load ``ManagementCert``; raises CredentialsError when it is not a PFX with that password."""
        try:
            blob = base64.b64decode(text or "", validate=True)
            key, cert, _extra = pkcs12.load_key_and_certificates(blob, password)
        except Exception as exc:  # pylint: disable=broad-except  # any decoding failure means "not ours"
            raise CredentialsError("ManagementCert is not a base64 PFX with an empty password (%s)."
                                   % exc.__class__.__name__) from None
        if cert is None:
            raise CredentialsError("ManagementCert holds no certificate.")
        return cls(cert, key)


def _not_valid_before(cert):
    value = getattr(cert, "not_valid_before_utc", None)
    return value if value is not None else _utc(cert.not_valid_before)


def _not_valid_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    return value if value is not None else _utc(cert.not_valid_after)


def generate_certificate(now=None, valid_hours=VALID_HOURS):
    """A new RSA 2048 key and self-signed certificate like CertUtils.CreateSelfSignedCertificate:
    subject and issuer ``CN=Windows Azure Tools``, EKU client authentication (1.3.6.1.5.5.7.3.2, not
    critical; "mandatory for the upload to be successful"), valid from 10 minutes ago for
    ``valid_hours`` (120 for Site Recovery). ``valid_hours`` other than 120 is for tests only."""
    now = _utc(now or utcnow())
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER_CN)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + datetime.timedelta(hours=valid_hours))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return ManagementCertificate(cert, key)


# -- the file ------------------------------------------------------------------------------------

class VaultCredentials:
    """The fields of ``RSVaultAsrCreds``, in the names this collection uses."""

    FIELDS = tuple(attr for _element, attr in VAULT_DETAILS + AAD_DETAILS) + tuple(
        attr for _element, attr in LAYOUT if isinstance(attr, str))

    def __init__(self, **values):
        values.setdefault("resource_type", RESOURCE_TYPE)
        values.setdefault("provider_namespace", PROVIDER_NAMESPACE)
        values.setdefault("version", VERSION)
        values.setdefault("site_id", "")
        values.setdefault("site_name", "")
        unknown = set(values) - set(self.FIELDS)
        if unknown:
            raise TypeError("unknown vault credentials fields: %s" % ", ".join(sorted(unknown)))
        for attr in self.FIELDS:
            setattr(self, attr, values.get(attr))

    def __repr__(self):
        # Never the certificate or the integrity key, even in a traceback.
        return "VaultCredentials(vault=%r, resource_group=%r, subscription=%r)" % (
            self.vault_name, self.resource_group, self.subscription_id)

    def management_certificate(self):
        return ManagementCertificate.from_pfx_base64(self.management_cert)

    def belongs_to(self, subscription_id, resource_group, vault_name):
        """Same vault: names compare without case, as ARM compares them."""
        return (
            (self.subscription_id or "").lower() == (subscription_id or "").lower()
            and (self.resource_group or "").lower() == (resource_group or "").lower()
            and (self.vault_name or "").lower() == (vault_name or "").lower()
            and (self.provider_namespace or "").lower() == PROVIDER_NAMESPACE.lower()
            and (self.resource_type or "").lower() == RESOURCE_TYPE.lower()
        )

    def to_xml(self):
        """The file's bytes: what DataContractSerializer writes through PowerShell's XmlWriter
        (UTF-8 without BOM, declaration, two-space indent, attributes on their own lines, CRLF,
        members in DataMember order, None as ``i:nil="true"``, no newline at the end)."""
        lines = ['<?xml version="1.0" encoding="utf-8"?>',
                 "<%s" % ROOT,
                 '%sxmlns:i="%s"' % (INDENT, XSI),
                 '%sxmlns="%s">' % (INDENT, NAMESPACE)]
        self._members(lines, LAYOUT, 1)
        lines.append("</%s>" % ROOT)
        return NEWLINE.join(lines).encode("utf-8")

    def _members(self, lines, layout, depth):
        pad = INDENT * depth
        for element, member in layout:
            if isinstance(member, tuple):
                lines.append("%s<%s>" % (pad, element))
                self._members(lines, member, depth + 1)
                lines.append("%s</%s>" % (pad, element))
                continue
            value = getattr(self, member)
            if value is None:
                lines.append('%s<%s i:nil="true" />' % (pad, element))
            else:
                lines.append("%s<%s>%s</%s>" % (pad, element, escape(str(value)), element))

    @classmethod
    def from_xml(cls, data):
        """Parse a file's bytes; raises CredentialsError when it is not an ``RSVaultAsrCreds`` file."""
        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError as exc:
            raise CredentialsError("not XML (%s)" % exc) from None
        if root.tag != "{%s}%s" % (NAMESPACE, ROOT):
            raise CredentialsError("the root element is %s, not %s in the DataContract namespace" % (root.tag, ROOT))
        values = {}
        cls._read(root, LAYOUT, values)
        if not values.get("vault_name") or not values.get("resource_group"):
            # Import-AzRecoveryServicesAsrVaultSettingsFile refuses these too.
            raise CredentialsError("ResourceName and ResourceGroup must not be empty")
        try:
            values["resource_id"] = int(values["resource_id"]) if values.get("resource_id") is not None else None
        except ValueError:
            raise CredentialsError("ResourceId is not a number") from None
        return cls(**values)

    @classmethod
    def _read(cls, parent, layout, values):
        for element, member in layout:
            node = parent.find("{%s}%s" % (NAMESPACE, element))
            if isinstance(member, tuple):
                if node is None:
                    raise CredentialsError("%s is missing" % element)
                cls._read(node, member, values)
            elif node is None or node.get("{%s}nil" % XSI) == "true":
                values[member] = None
            else:
                values[member] = node.text or ""


def build(subscription_id, resource_group, vault, upload, integrity_key, certificate, friendly_name=None):
    """The credentials from the vault (dict as ARM returns it), the certificate upload's response
    (``VaultCertificateResponse`` as a dict) and the channel integrity key."""
    props = (upload or {}).get("properties") or {}
    resource_id = props.get("resourceId")
    if resource_id is None:
        raise CredentialsError("The certificate upload answered without a resourceId; cannot write the file.")
    location = vault.get("location")
    return VaultCredentials(
        subscription_id=subscription_id,
        resource_group=resource_group,
        vault_name=vault.get("name"),
        resource_id=int(resource_id),
        location=location,
        management_cert=certificate.pfx_base64(friendly_name),
        aad_authority=props.get("aadAuthority"),
        aad_tenant_id=props.get("aadTenantId"),
        service_principal_client_id=props.get("servicePrincipalClientId"),
        # PowerShell builds the audience itself rather than using the response's aadAudience.
        aad_vault_audience=aad_vault_audience(location, vault.get("name"), resource_id),
        arm_management_endpoint=props.get("azureManagementEndpointAudience"),
        channel_integrity_key=integrity_key,
        private_endpoint_state_for_site_recovery=(vault.get("properties") or {}).get(
            "privateEndpointStateForSiteRecovery"),
    )


# -- files on disk -------------------------------------------------------------------------------

def write_atomically(path, data, mode=FILE_MODE):
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a
    part; the file is created with ``mode`` (no moment with wider permissions)."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            fd = None
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
        try:
            dir_fd = os.open(directory, os.O_RDONLY)
        except OSError:  # pragma: no cover - some platforms cannot open directories
            return
        try:
            os.fsync(dir_fd)
        except OSError:  # pragma: no cover
            pass
        finally:
            os.close(dir_fd)
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def read_file(path):
    """(VaultCredentials, ManagementCertificate) of a file, or raise CredentialsError."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(1024 * 1024 + 1)
    except OSError as exc:
        raise CredentialsError("cannot read %s (%s)" % (path, exc.strerror)) from None
    if len(data) > 1024 * 1024:
        raise CredentialsError("larger than a vault credentials file can be")
    creds = VaultCredentials.from_xml(data)
    return creds, creds.management_certificate()


def latest_in_directory(directory, vault_name):
    """The newest ``<vault>_<timestamp>.VaultCredentials`` of this vault in a directory, or None."""
    best, best_time = None, None
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    for name in names:
        stamp = parse_file_name(name, vault_name)
        if stamp is not None and os.path.isfile(os.path.join(directory, name)) and (best_time is None or stamp > best_time):
            best, best_time = os.path.join(directory, name), stamp
    return best


def usable_key(path, resource_group, vault_name, now=None):
    """(path, VaultCredentials, ManagementCertificate) of the registration key at ``path`` (a directory: this
    vault's newest) when Setup can register with it now - a key of this vault (resource group and name; the
    subscription is not known without a connection) that has not expired. Else CredentialsError saying what is
    wrong and what to do. Reads the file only, never Azure; the error never holds the file's secrets."""
    make = "make a new one with azmove.site_recovery.vault_registration_key (it is valid for 5 days)"
    target = latest_in_directory(path, vault_name) if os.path.isdir(path) else path
    if target is None:
        raise CredentialsError("%s has no registration key of vault %s; %s." % (path, vault_name, make))
    if not os.path.isfile(target):
        raise CredentialsError("%s is not a file; %s." % (path, make))
    try:
        creds, cert = read_file(target)
    except CredentialsError as exc:
        raise CredentialsError("%s is not a vault registration key (%s); %s." % (target, exc, make)) from None
    if (creds.resource_group or "").lower() != resource_group.lower() or (creds.vault_name or "").lower() != vault_name.lower():
        raise CredentialsError("%s is the registration key of vault %s in resource group %s, not of vault %s in %s; %s."
                               % (target, creds.vault_name, creds.resource_group, vault_name, resource_group, make))
    if cert.not_after <= _utc(now or utcnow()):
        raise CredentialsError("The registration key %s expired at %s; %s." % (target, iso(cert.not_after), make))
    return target, creds, cert


# -- the decision and the Azure calls ------------------------------------------------------------

def _as_dict(model):
    if model is None:
        return None
    if hasattr(model, "as_dict"):
        return model.as_dict()
    return dict(model)


class Existing:
    """What is at the target path now, and whether it can be kept."""

    def __init__(self, path, creds=None, cert=None, problem=None):
        self.path = path
        self.creds = creds
        self.cert = cert
        self.problem = problem  # why it cannot be kept, or None

    @property
    def is_credentials_file(self):
        return self.creds is not None

    def summary(self):
        if self.cert is None:
            return {}
        return {"path": self.path, "expires": iso(self.cert.not_after), "thumbprint": self.cert.thumbprint}


class RegistrationKeyManager:
    """Keeps or produces the vault credentials file of one vault at one path."""

    def __init__(self, client, subscription_id, resource_group, vault_name, check_mode=False, now=None,
                 mode=FILE_MODE, writer=None):
        self.client = client
        self.mode = mode  # the file's permissions (0600 unless the task narrows or widens them for its group)
        self.writer = writer or (lambda path, data: write_atomically(path, data, mode))
        self.subscription_id = subscription_id
        self.resource_group = resource_group
        self.vault_name = vault_name
        self.check_mode = check_mode
        self.now = _utc(now or utcnow())

    # reading -----------------------------------------------------------------------------------
    def vault(self):
        """The vault as ARM has it; a missing vault raises Azure's own error (ResourceNotFound)."""
        vault = _as_dict(self.client.vaults.get(self.resource_group, self.vault_name))
        state = (vault.get("properties") or {}).get("provisioningState")
        if state and state != "Succeeded":
            raise CredentialsError(
                "Vault %s is in provisioning state %s; a registration key can be made only for a vault in state "
                "Succeeded. Wait for the vault operation to finish and run again." % (self.vault_name, state))
        return vault

    def integrity_key(self, create):
        """The vault's channel integrity key. Missing: None, or (create=True) a new one stored as
        PowerShell stores it. A key whose algorithm is not None was made by the portal and cannot be
        read back, so PowerShell refuses, and so does this."""
        ext = _as_dict(get_or_none(self.client.vault_extended_info.get, self.resource_group, self.vault_name))
        props = (ext or {}).get("properties") or {}
        if ext is not None and props.get("integrityKey"):
            algorithm = props.get("algorithm") or INTEGRITY_ALGORITHM
            if algorithm.lower() != INTEGRITY_ALGORITHM.lower():
                raise CredentialsError(
                    "The channel integrity key of vault %s uses algorithm %s (it was made by the Azure portal); "
                    "as with Get-AzRecoveryServicesVaultSettingsFile, a registration key cannot be made here. "
                    "Download it from the portal instead." % (self.vault_name, algorithm))
            return props["integrityKey"]
        if not create:
            return None
        key = new_integrity_key()
        self.client.vault_extended_info.create_or_update(
            self.resource_group, self.vault_name,
            {"properties": {"integrityKey": key, "algorithm": INTEGRITY_ALGORITHM}})
        return key

    def existing(self, path, directory_mode):
        """The file now at ``path`` (in a directory: this vault's newest), parsed."""
        target = latest_in_directory(path, self.vault_name) if directory_mode else path
        if not target or not os.path.exists(target):
            return None
        try:
            creds, cert = read_file(target)
        except CredentialsError as exc:
            return Existing(target, problem="not a vault credentials file: %s" % exc)
        found = Existing(target, creds, cert)
        if not creds.belongs_to(self.subscription_id, self.resource_group, self.vault_name):
            found.problem = "it belongs to vault %s in resource group %s of subscription %s" % (
                creds.vault_name, creds.resource_group, creds.subscription_id)
        return found

    def expiring(self, cert, renew_before_hours):
        return cert.not_after - datetime.timedelta(hours=renew_before_hours) <= self.now

    # deciding ----------------------------------------------------------------------------------
    def ensure(self, path, directory_mode, reuse=True, force=False, renew_before_hours=24):
        """Returns a dict: changed, created, renewed, path, expires, thumbprint, vault, before, after,
        reason, and ``secrets`` (values the caller must mask, never return). In check mode nothing is
        uploaded, created or written."""
        vault = self.vault()
        found = self.existing(path, directory_mode)
        before = found.summary() if found else {}

        reason = None
        if found is None:
            reason = "no file yet"
        elif force:
            reason = "force"
        elif not found.is_credentials_file:
            raise CredentialsError(
                "%s exists and is %s. Refusing to overwrite it; remove it, choose another path, or use force=true."
                % (found.path, found.problem))
        elif found.problem:
            reason = found.problem
        elif not reuse:
            reason = "reuse=false"
        elif self.expiring(found.cert, renew_before_hours):
            reason = "the certificate expires at %s, within renew_before (%s hours)" % (
                iso(found.cert.not_after), renew_before_hours)
        else:
            current_key = self.integrity_key(create=False)
            if current_key != found.creds.channel_integrity_key:
                # The vault was recreated, or its key changed: the file would be refused.
                reason = "the vault's channel integrity key is not the one in the file"

        ours = found is not None and found.is_credentials_file and not (
            found.problem and found.problem.startswith("it belongs to"))
        result = {"vault": vault, "before": before, "reason": reason, "secrets": []}
        if found is not None and found.creds is not None:
            result["secrets"] += [found.creds.channel_integrity_key, found.creds.management_cert]
        if reason is None:
            # Kept. A key file readable by others is put back to 0600, and that is a change.
            mode_fixed = (os.stat(found.path).st_mode & 0o777) != self.mode
            if mode_fixed and not self.check_mode:
                os.chmod(found.path, self.mode)
            result.update(changed=mode_fixed, created=False, renewed=False, path=found.path,
                          expires=found.cert.not_after, thumbprint=found.cert.thumbprint, after=before)
            if mode_fixed:
                result["reason"] = "kept; its mode was not %04o" % self.mode
            return result

        target = os.path.join(path, file_name(self.vault_name, self.now)) if directory_mode else path
        result.update(changed=True, created=not ours, renewed=ours, path=target)
        if self.check_mode:
            expires = self.now + datetime.timedelta(hours=VALID_HOURS)
            result.update(expires=expires, thumbprint=None,
                          after={"path": target, "expires": iso(expires), "thumbprint": "(known after the upload)"})
            return result

        integrity_key = self.integrity_key(create=True)
        cert = generate_certificate(self.now)
        name = certificate_name(self.vault_name, self.subscription_id)
        upload = _as_dict(self.client.vault_certificates.create(
            self.resource_group, self.vault_name, name,
            {"properties": {"authType": AUTH_TYPE, "certificate": cert.der_base64()}}))
        creds = build(self.subscription_id, self.resource_group, vault, upload, integrity_key, cert, name)
        self.writer(target, creds.to_xml())
        after = {"path": target, "expires": iso(cert.not_after), "thumbprint": cert.thumbprint}
        result["secrets"] += [integrity_key, creds.management_cert]
        result.update(expires=cert.not_after, thumbprint=cert.thumbprint, after=after)
        return result
