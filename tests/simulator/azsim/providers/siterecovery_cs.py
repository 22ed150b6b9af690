"""Configuration server registration (.VaultCredentials check, layout as Az PowerShell's RSVaultAsrCreds) and
source-host facts for push install.

Used by the admin API (`POST /asr/configuration-servers`, `POST /asr/hosts`) and `python -m azsim register-cs`.
"""
import base64
import binascii
import datetime
import hashlib
import time
import types
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12

from ..clouds import CLOUDS
from ..sim import iso
from . import compute
from .recoveryservices import CERT_RECORD, stable_resource_id, vault_id
from .siterecovery import (T_CONTAINER, T_FABRIC, T_PROVIDER, Scope, guid, start_job, task, validate_ip)

DC_NS = "http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common"
AGENT_VERSION = "9.62.0.0"
PROVIDER_VERSION = "5.24.0801.1"


class RegistrationError(ValueError):
    """Refused registration; the message is shown to the user as is."""


# -- host facts ------------------------------------------------------------------------------------------------
HOST_DEFAULTS = {"domain_joined": False, "local_account_token_filter_policy": 0,
                 "sshd_password_authentication": True, "sftp_subsystem": True, "agent_installed": False,
                 "shutdown_fails": False,  # shutdown_fails: the failover's source shutdown task fails (a warning)
                 # The guest as Run Command (compute_runcommand) sees and changes it. Each default is the value under
                 # which push install succeeded before the fact existed; None = not modelled (not checked).
                 "firewall_file_printer_sharing": True, "firewall_wmi": True,
                 "local_users": None,  # {name: {"enabled", "password": HMAC or None}}
                 "local_admins": None,  # names in Administrators
                 "root_password_set": True, "root_password_digest": None, "sshd_permit_root_login": "yes",
                 "root_authorized_keys": None, "ca_certificates_current": True,
                 "azmove_markers": None}  # what the collection's scripts recorded to undo (state=absent)


def set_host(sim, ip, **facts):
    """Store facts for a source host (by IP); unknown keys are refused. Returns the effective facts."""
    validate_ip(ip, "ip")
    unknown = set(facts) - set(HOST_DEFAULTS) - {"reachable"}
    if unknown:
        raise ValueError(f"unknown host facts: {', '.join(sorted(unknown))}")
    stored = sim.store.get_meta("asr_host:" + ip) or {}
    stored.update(facts)
    sim.store.set_meta("asr_host:" + ip, stored)
    return host_facts(sim, ip)


def host_facts(sim, ip):
    """Effective facts: defaults, then the Gov VM owning the IP (reachable = running), then stored overrides."""
    stored = sim.store.get_meta("asr_host:" + ip)
    vm = compute.vm_by_private_ip(sim.store, "gov", ip)
    facts = dict(HOST_DEFAULTS, ip=ip, vm_id=vm["id"] if vm else None)
    facts["reachable"] = (vm["azsim"].get("power_state", "running") == "running") if vm else stored is not None
    facts.update(stored or {})
    return facts


# -- vault credentials -----------------------------------------------------------------------------------------
def _text(root, path):
    node = root.find("/".join(f"{{{DC_NS}}}{p}" for p in path.split("/")))
    return (node.text or "").strip() if node is not None else ""


def _cloud_of_subscription(sim, sub):
    for cloud in CLOUDS:
        if sub.lower() in [s.lower() for s in sim.identity[cloud]["subscriptions"]]:
            return cloud
    return None


def _load_pfx(b64):
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise RegistrationError("ManagementCert is not valid base64.")
    for password in (None, b""):
        try:
            key, cert, _unused = pkcs12.load_key_and_certificates(data, password)
        except ValueError:
            continue
        if cert is not None and key is not None:
            return cert
    raise RegistrationError("ManagementCert is not a PFX (with its private key) protected by an empty password.")


def check_vault_credentials(sim, text):
    """Validate a .VaultCredentials document (Az PowerShell RSVaultAsrCreds). Returns (cloud, vault body, sub, rg)."""
    if "<asrvaultcreds" in text.lower():
        raise RegistrationError("legacy ACS vault credentials (ASRVaultCreds) are not supported; download a new "
                                "vault credentials file")
    try:
        root = ET.fromstring(text.lstrip("\ufeff").encode())
    except ET.ParseError as exc:
        raise RegistrationError(f"the vault credentials file is not valid XML: {exc}")
    if root.tag != f"{{{DC_NS}}}RSVaultAsrCreds":
        raise RegistrationError(f"the vault credentials root element must be RSVaultAsrCreds in namespace {DC_NS}")
    sub, rg, name = (_text(root, "VaultDetails/" + k) for k in ("SubscriptionId", "ResourceGroup", "ResourceName"))
    if not (sub and rg and name):
        raise RegistrationError("VaultDetails must name SubscriptionId, ResourceGroup and ResourceName")
    cloud = _cloud_of_subscription(sim, sub)
    vault = sim.store.get_resource(cloud, vault_id(sub, rg, name)) if cloud else None
    if vault is None:
        raise RegistrationError(f"vault '{name}' not found in resource group '{rg}' of subscription '{sub}'")
    expected = {"VaultDetails/ResourceType": "Vaults", "VaultDetails/ProviderNamespace": "Microsoft.RecoveryServices",
                "Version": "2.0", "VaultDetails/ResourceId": str(stable_resource_id(vault["id"])),
                "AadDetails/AadTenantId": sim.identity[cloud]["tenant_id"]}
    for path, want in expected.items():
        if _text(root, path).lower() != want.lower():
            raise RegistrationError(f"{path.rsplit('/', maxsplit=1)[-1]} '{_text(root, path)}' does not match the vault "
                                    f"'{name}' (expected '{want}')")
    location = _text(root, "VaultDetails/Location").replace(" ", "").lower()
    if location != vault["location"]:
        raise RegistrationError(f"Location '{location}' does not match the vault location '{vault['location']}'")
    audience = _text(root, "AadDetails/AadVaultAudience")
    if not audience.lower().endswith(f"recoveryservicevault/{location}/{name}/{expected['VaultDetails/ResourceId']}"
                                     .lower()) and not audience.lower().endswith(
                                         f"/{name}/{expected['VaultDetails/ResourceId']}".lower()):
        raise RegistrationError(f"AadVaultAudience '{audience}' is not consistent with ResourceName/ResourceId")
    cert = _load_pfx(_text(root, "ManagementCert"))
    after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    if after.timestamp() < time.time():
        raise RegistrationError(f"vault credentials expired on {after.strftime('%Y-%m-%d %H:%M:%S')} UTC; download "
                                "a new vault credentials file")
    thumb = cert.fingerprint(hashes.SHA1()).hex().upper()
    if sim.store.get_resource(cloud, vault["id"] + CERT_RECORD + thumb) is None:
        raise RegistrationError(f"the management certificate (thumbprint {thumb}) is not registered with vault "
                                f"'{name}'")
    ext = sim.store.get_resource(cloud, vault["id"] + "/extendedInformation/vaultExtendedInfo") or {}
    if _text(root, "ChannelIntegrityKey") != (ext.get("properties") or {}).get("integrityKey"):
        raise RegistrationError(f"channel integrity key does not match the extended info of vault '{name}'")
    return cloud, vault, sub, rg


# -- registration ----------------------------------------------------------------------------------------------
def _ps_id(fabric_id):
    h = hashlib.sha1((fabric_id.lower() + "/ps").encode()).hexdigest().upper()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:32]}"


def _vmware_details(name, ip, ps_ip, ps_id, registered):
    expiry = iso(registered + 3 * 365 * 86400)
    load = {"systemLoad": "0", "systemLoadStatus": "Green", "cpuLoad": "4", "cpuLoadStatus": "Green",
            "totalMemoryInBytes": 17179869184, "availableMemoryInBytes": 10737418240, "memoryUsageStatus": "Green",
            "totalSpaceInBytes": 644245094400, "availableSpaceInBytes": 590558003200, "spaceUsageStatus": "Green"}
    version = {"agentVersion": AGENT_VERSION, "versionStatus": "Supported", "sslCertExpiryDate": expiry,
               "sslCertExpiryRemainingDays": 1095, "agentExpiryDate": expiry}
    ps = dict(load, **version, friendlyName=name, id=ps_id, ipAddress=ps_ip, osType="Windows", hostId=ps_id,
              mobilityServiceUpdates=[{"version": AGENT_VERSION, "rebootStatus": "NotRequired", "osType": os}
                                      for os in ("Windows", "Linux")],
              machineCount="0", replicationPairCount="0", psServiceStatus="Running",
              osVersion="Microsoft Windows Server 2016 Datacenter", healthErrors=[], health="Normal",
              marsCommunicationStatus="Connected", marsRegistrationStatus="Registered")
    mt = {"id": ps_id, "ipAddress": ps_ip, "name": name, "osType": "Windows", "agentVersion": AGENT_VERSION,
          "versionStatus": "Supported", "diskCount": 0, "osVersion": "Microsoft Windows Server 2016 Datacenter",
          "retentionVolumes": [{"volumeName": "E", "capacityInBytes": 644245094400, "freeSpaceInBytes": 590558003200,
                                "thresholdPercentage": 80}],
          "dataStores": [], "validationErrors": [], "healthErrors": [], "agentExpiryDate": expiry}
    return dict(load, **version, instanceType="VMware", processServers=[ps], masterTargetServers=[mt],
                runAsAccounts=[], replicationPairCount="0", processServerCount="1", agentCount="0",
                protectedServers="0", webLoad="0", webLoadStatus="Green", databaseServerLoad="0.2",
                databaseServerLoadStatus="Green", csServiceStatus="Running", ipAddress=ip, hostName=name,
                psTemplateVersion="201702.01.00")


def _identity(sim, cloud, *parts):
    ident = sim.identity[cloud]
    return {"tenantId": ident["tenant_id"], "applicationId": guid(*parts, "app"), "objectId": guid(*parts, "obj"),
            "audience": f"https://RecoveryServiceVault/{'/'.join(parts[-1:])}", "aadAuthority":
            sim.urls.get((cloud, "login"), "")}


# -- classic retirement: new classic replication is refused unless the vault is an existing classic one --------------
# (Microsoft Docs vmware-physical-azure-classic-deprecation.md)
def _classic_key(vault_id_):
    return "asr_classic_vault:" + vault_id_.lower()


def mark_classic_vault(sim, subscription, resource_group, vault, existing=True):
    """Mark (or unmark) a vault as an existing classic vault: classic (InMageAzureV2) enables stay allowed there after
    the retirement. The vault must exist (in the cloud that owns the subscription)."""
    cloud = _cloud_of_subscription(sim, subscription or "")
    rid = vault_id(subscription, resource_group, vault)
    body = sim.store.get_resource(cloud, rid) if cloud else None
    if body is None:
        raise ValueError(f"vault '{vault}' not found in resource group '{resource_group}' of subscription "
                         f"'{subscription}'")
    sim.store.set_meta(_classic_key(body["id"]), bool(existing))
    return {"vault_id": body["id"], "cloud": cloud, "existing_classic": bool(existing)}


def is_classic_vault(sim, vault_id_):
    return bool(sim.store.get_meta(_classic_key(vault_id_)))


def register_configuration_server(sim, vault_credentials, name, ip, accounts=(), process_server_ip=None,
                                  existing_classic=False):
    """Create or update the VMware fabric of a configuration server. Returns the ids the collection needs.
    existing_classic: also mark the vault as an existing classic vault (mark_classic_vault)."""
    name = (name or "").strip()
    if not name:
        raise RegistrationError("the configuration server name is required")
    for addr in (ip, process_server_ip or ip):
        try:
            validate_ip(addr)
        except Exception:  # noqa: BLE001 - ArmError from the shared validator
            raise RegistrationError(f"'{addr}' is not a valid IPv4 address")
    cloud, vault, sub, rg = check_vault_credentials(sim, vault_credentials)
    scope = Scope(None, {"sub": sub, "rg": rg}, sim=sim, cloud=cloud, vault=vault)
    if any(f["properties"]["customDetails"]["instanceType"] == "InMageRcm" for f in scope.children(T_FABRIC)):
        raise RegistrationError(f"vault '{vault['name']}' is used by a replication appliance (modernized "
                                "experience); a configuration server needs a vault without InMageRcm fabrics")
    fname = hashlib.sha256(f"{vault['id'].lower()}/{name.lower()}".encode()).hexdigest()
    fid = scope.rid("replicationFabrics", fname)
    iid = guid(fid, "fabric")
    old = scope.get(fid)
    now = time.time()
    registered = old["azsim"]["registered"] if old else now
    known = {a["name"].lower(): a for a in (old["azsim"]["accounts"] if old else [])}
    for acc in accounts:
        if not acc.get("name") or not acc.get("username"):
            raise RegistrationError("each run-as account needs a name and a username")
        entry = known.setdefault(acc["name"].lower(), {"id": str(len(known) + 1), "name": acc["name"]})
        entry["username"] = acc["username"]
    accounts_out = sorted(known.values(), key=lambda a: int(a["id"]))
    ps_id = _ps_id(fid)
    container_id = f"{fid}/replicationProtectionContainers/cloud_{iid}"
    provider_id = f"{fid}/replicationRecoveryServicesProviders/{iid}"
    fabric = {"id": fid, "name": fname, "type": T_FABRIC,
              "properties": {"friendlyName": name, "encryptionDetails": {"kekState": "None"},
                             "rolloverEncryptionDetails": {"kekState": "None"}, "internalIdentifier": iid,
                             "bcdrState": "Valid",
                             "customDetails": _vmware_details(name, ip, process_server_ip or ip, ps_id, registered),
                             "healthErrorDetails": [], "health": "Normal"},
              "azsim": {"registered": registered, "accounts": accounts_out, "provider_id": provider_id,
                        "container_id": container_id, "ps_id": ps_id}}
    container = {"id": container_id, "name": f"cloud_{iid}", "type": T_CONTAINER,
                 "properties": {"fabricFriendlyName": name, "friendlyName": name, "fabricType": "VMware",
                                "protectedItemCount": 0, "pairingStatus": "NotPaired", "role": ""}}
    ident = _identity(sim, cloud, vault["location"], vault["name"], iid)
    provider = {"id": provider_id, "name": iid, "type": T_PROVIDER,
                "properties": {"fabricType": "VMware", "friendlyName": name, "providerVersion": PROVIDER_VERSION,
                               "serverVersion": AGENT_VERSION, "providerVersionState": "Latest",
                               "providerVersionExpiryDate": iso(registered + 365 * 86400),
                               "fabricFriendlyName": name, "connectionStatus": "Connected", "protectedItemCount": 0,
                               "allowedScenarios": [], "healthErrorDetails": [], "draIdentifier": iid,
                               "machineId": guid(fid, "machine"), "machineName": name, "biosId": guid(fid, "bios"),
                               "authenticationIdentityDetails": ident, "resourceAccessIdentityDetails": ident,
                               "providerVersionDetails": {"version": PROVIDER_VERSION, "status": "Supported",
                                                          "expiryDate": iso(registered + 365 * 86400)}},
                "azsim": {"registered": registered}}
    for body, rtype in ((fabric, T_FABRIC), (container, T_CONTAINER), (provider, T_PROVIDER)):
        scope.put(body, rtype)
    if existing_classic:
        sim.store.set_meta(_classic_key(vault["id"]), True)
    start_job(scope, types.SimpleNamespace(method="POST", path=fid), "RegisterDra",
              "Register the Azure Site Recovery Provider",
              [task("RegisterDraTask", "RegisterDra", "Registering the configuration server", 30)],
              {"id": iid, "name": name, "type": "Server"})
    return {"fabric_name": fname, "fabric_id": fid, "fabric_friendly_name": name, "container_name": container["name"],
            "container_id": container_id, "recovery_services_provider_id": provider_id, "process_server_id": ps_id,
            "master_target_id": ps_id, "vault_id": vault["id"], "cloud": cloud,
            "existing_classic": is_classic_vault(sim, vault["id"]),
            "run_as_accounts": [{"account_id": a["id"], "account_name": a["name"]} for a in accounts_out]}
