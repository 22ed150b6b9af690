"""Microsoft.RecoveryServices/vaults (+ certificates, extendedInformation, operationStatus).

Shapes follow examples/PUTVault.json, PUTVaultCred.json and GetOperationStatus.json;
property defaults are the azure-mgmt-recoveryservices 4.3.0 VaultProperties model's fields.
Site Recovery providers (replicationFabrics, …) will hang off the same vault routes.
"""
import base64
import datetime
import hashlib
import re
import secrets
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from ..arm import ROUTER, ArmError, etag_now, normalize_location
from ..clouds import CLOUDS
from ..httpbase import Response
from .resources import require_rg

# 2026-11-01: azure-mgmt-recoveryservices 4.3.0 default; 2025-08-01: spec examples / siterecovery 2.0.0
RS_VERSIONS = {"2026-11-01", "2025-08-01", "2025-02-01", "2024-04-01", "2023-04-01", "2021-06-01", "2020-02-02", "2016-06-01"}
VAULT_TYPE = "Microsoft.RecoveryServices/vaults"
VAULT = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{vault}"
CERT_RECORD, CERT_RECORD_TYPE = "/azsimCertificates/", "azsim/vaultCertificates"  # not routed: simulator-only
DELETE_SECONDS = 30
UPDATE_SECONDS = 30
# Azure's naming rules for vaults (MicrosoftDocs/azure-docs resource-name-rules.md): 2-50 letters, digits and
# hyphens, starting with a letter. The error code Azure answers is not recorded: InvalidResourceName is ARM's
# code for a name a provider refuses (see README, "Known differences").
VAULT_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,49}$")


def vault_id(sub, rg, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{name}"


def vault_not_found(rg, name):
    return ArmError(404, "ResourceNotFound",
                    f"The Resource 'Microsoft.RecoveryServices/vaults/{name}' under resource group '{rg}' was not "
                    "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def require_vault(ctx, p):
    """Stored vault body or 404 (RG missing → ResourceGroupNotFound, like ARM). Used by ASR providers too."""
    require_rg(ctx, p["sub"], p["rg"])
    body = ctx.store.get_resource(ctx.cloud, vault_id(p["sub"], p["rg"], p["vault"]))
    if body is None:
        raise vault_not_found(p["rg"], p["vault"])
    return body


def stable_resource_id(vid):
    """Stable numeric vault resourceId (PUTVaultCred.json shows a 64-bit-ish integer)."""
    return int.from_bytes(hashlib.sha256(vid.lower().encode()).digest()[:8], "big") >> 2


def default_properties():
    return {
        "provisioningState": "Succeeded",
        "privateEndpointStateForBackup": "None",
        "privateEndpointStateForSiteRecovery": "None",
        "publicNetworkAccess": "Enabled",
        "moveState": "Unknown",
        "backupStorageVersion": "V2",
        "monitoringSettings": {
            "azureMonitorAlertSettings": {"alertsForAllJobFailures": "Enabled",
                                          "alertsForAllReplicationIssues": "Enabled",
                                          "alertsForAllFailoverIssues": "Enabled"},
            "classicAlertSettings": {"alertsForCriticalOperations": "Enabled",
                                     "emailNotificationsForSiteRecovery": "Enabled"},
        },
        "redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant", "crossRegionRestore": "Disabled"},
        "securitySettings": {
            "immutabilitySettings": {"state": "Disabled"},
            "softDeleteSettings": {"softDeleteState": "Enabled", "softDeleteRetentionPeriodInDays": 14,
                                   "enhancedSecurityState": "Enabled"},
            "multiUserAuthorization": "Disabled",
        },
        "restoreSettings": {"crossSubscriptionRestoreSettings": {"crossSubscriptionRestoreState": "Enabled"}},
        "secureScore": "None",
        "bcdrSecurityLevel": "Poor",
    }


READ_ONLY_PROPS = {"provisioningState", "privateEndpointConnections", "privateEndpointStateForBackup",
                   "privateEndpointStateForSiteRecovery", "moveState", "backupStorageVersion", "secureScore",
                   "bcdrSecurityLevel", "upgradeDetails", "moveDetails"}


def merge(dst, src):
    for k, v in (src or {}).items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v
    return dst


def apply_request(ctx, vault, body):
    """Apply a PUT/PATCH body to a stored vault document."""
    if body.get("tags") is not None:
        vault["tags"] = body["tags"]
    props = {k: v for k, v in (body.get("properties") or {}).items() if k not in READ_ONLY_PROPS}
    merge(vault["properties"], props)
    if body.get("sku"):
        # RS0 is the only SKU; "Standard" (the request in PUTVault.json) is stored as RS0/Standard
        vault["sku"] = {"name": "RS0", "tier": "Standard"}
    ident = body.get("identity")
    if ident is not None:
        itype = ident.get("type") or "None"
        if itype == "None":
            vault["identity"] = {"type": "None"}
        else:
            new = {"type": itype}
            if "SystemAssigned" in itype:
                old = vault.get("identity") or {}
                new["principalId"] = old.get("principalId") or str(uuid.uuid4())
                new["tenantId"] = ctx.sim.identity[ctx.cloud]["tenant_id"]
            if ident.get("userAssignedIdentities"):
                new["userAssignedIdentities"] = {
                    k: {"principalId": str(uuid.uuid4()), "clientId": str(uuid.uuid4())}
                    for k in ident["userAssignedIdentities"]}
            vault["identity"] = new
    vault["etag"] = etag_now()
    return vault


@ROUTER.route("PUT", VAULT, rtype=VAULT_TYPE, api_versions=RS_VERSIONS)
def put_vault(ctx, req, p):
    """Synchronous 201/200 with provisioningState Succeeded, exactly like PUTVault.json."""
    require_rg(ctx, p["sub"], p["rg"])
    if not VAULT_NAME_RE.match(p["vault"]):
        raise ArmError(400, "InvalidResourceName",
                       f"The resource name '{p['vault']}' is invalid. A Recovery Services vault name must be 2 to 50 "
                       "characters long, start with a letter and contain only letters, numbers and hyphens.")
    body = req.json() or {}
    if not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    vid = vault_id(p["sub"], p["rg"], p["vault"])
    existing = ctx.store.get_resource(ctx.cloud, vid)
    loc = normalize_location(body["location"])
    if loc not in CLOUDS[ctx.cloud]["locations"]:
        raise ArmError(400, "LocationNotAvailableForResourceType",
                       f"The provided location '{loc}' is not available for resource type "
                       f"'{VAULT_TYPE}'. List of available regions for the resource type is "
                       f"'{','.join(CLOUDS[ctx.cloud]['locations'])}'.")
    if existing:
        vault = existing
        check_redundancy_change(ctx, vault, body)
        if vault["location"] != loc:
            raise ArmError(400, "InvalidResourceLocation",
                           f"The resource '{p['vault']}' already exists in location '{vault['location']}' in "
                           f"resource group '{p['rg']}'. A resource with the same name cannot be created in "
                           f"location '{loc}'. Please select a new resource name.")
    else:
        vault = {"id": vid, "name": p["vault"], "type": VAULT_TYPE, "location": loc,
                 "sku": {"name": "RS0", "tier": "Standard"}, "properties": default_properties()}
    apply_request(ctx, vault, body)
    ctx.store.put_resource(ctx.cloud, vid, VAULT_TYPE, p["sub"], p["rg"], vault)
    return Response(200 if existing else 201, vault)


@ROUTER.route("GET", VAULT, rtype=VAULT_TYPE, api_versions=RS_VERSIONS)
def get_vault(ctx, req, p):
    return Response(200, require_vault(ctx, p))


def check_redundancy_change(ctx, vault, body):
    """Storage redundancy is locked once an item is registered for backup (same refusal as backupstorageconfig)."""
    from .backup import storage_model_locked, vault_has_items  # late: backup imports this module

    want = ((body.get("properties") or {}).get("redundancySettings") or {}).get("standardTierStorageRedundancy")
    have = (vault["properties"].get("redundancySettings") or {}).get("standardTierStorageRedundancy")
    if want is not None and want != have and vault_has_items(ctx, vault):
        raise storage_model_locked(ctx, vault)


@ROUTER.route("PATCH", VAULT, rtype=VAULT_TYPE, api_versions=RS_VERSIONS)
def patch_vault(ctx, req, p):
    """202 + Azure-AsyncOperation (operationStatus) + Location (operationResults); applied on completion."""
    vault = require_vault(ctx, p)
    body = req.json() or {}
    check_redundancy_change(ctx, vault, body)
    patched = apply_request(ctx, dict(vault, properties=dict(vault["properties"])), body)
    op_id = ctx.sim.start_operation(
        ctx.cloud, "vault-update", UPDATE_SECONDS,
        {"name": "merge_resource", "rid": vault["id"], "patch": patched,
         "meta": {"type": VAULT_TYPE, "sub": p["sub"], "rg": p["rg"]}},
        req.method, req.path)
    return ctx.accepted(op_id, vault["id"] + "/operationStatus", vault["id"] + "/operationResults",
                        integer_retry_after=True)


HELD_TYPES = ("Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectedItems",
              "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems")


def vault_in_use(ctx, p, vid):
    """Replicated items, backup items, or a registered server (a fabric other than the "Microsoft Azure" one)."""
    inside = vid.lower() + "/"  # ASR ids start with '/Subscriptions/': compare in lower case
    for rtype in HELD_TYPES:
        if any(r["id"].lower().startswith(inside) for r in ctx.store.list_resources(ctx.cloud, rtype, p["sub"], p["rg"])):
            return True
    fabrics = ctx.store.list_resources(ctx.cloud, "Microsoft.RecoveryServices/vaults/replicationFabrics", p["sub"], p["rg"])
    return any(f["id"].lower().startswith(inside) and
               ((f.get("properties") or {}).get("customDetails") or {}).get("instanceType") in ("VMware", "InMageRcm")
               for f in fabrics)


@ROUTER.route("DELETE", VAULT, rtype=VAULT_TYPE, api_versions=RS_VERSIONS)
def delete_vault(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    vid = vault_id(p["sub"], p["rg"], p["vault"])
    vault = ctx.store.get_resource(ctx.cloud, vid)
    if vault is None:
        return Response(204)
    if vault_in_use(ctx, p, vid):
        raise ArmError(400, "ServiceResourceNotEmpty",
                       "Vault cannot be deleted as there are existing resources within the vault. Please delete any "
                       "replicated items, registered servers, Hyper-V sites (Used for Site Recovery), policy "
                       "associations for System Center VMM clouds (Used for Site Recovery) and then delete the vault.")
    op_id = ctx.sim.start_operation(ctx.cloud, "vault-delete", DELETE_SECONDS,
                                    {"name": "delete_resource", "rid": vault["id"]}, req.method, req.path)
    return ctx.accepted(op_id, vault["id"] + "/operationStatus", vault["id"] + "/operationResults",
                        integer_retry_after=True)


@ROUTER.route("GET", VAULT + "/operationStatus/{opId}", rtype=VAULT_TYPE, api_versions=RS_VERSIONS)
def vault_operation_status(ctx, req, p):
    status, op = ctx.sim.operation_status(p["opId"])
    if op is None or op["cloud"] != ctx.cloud:
        raise ArmError(404, "ResourceNotFound", f"The operation '{p['opId']}' was not found.")
    body = ctx.sim.status_body(p["opId"], status, op, vault_id(p["sub"], p["rg"], p["vault"]) +
                               "/operationStatus/" + p["opId"])
    headers = {"Retry-After": ctx.sim.retry_after(30)} if status == "InProgress" else {}
    return Response(200, body, headers)


@ROUTER.route("GET", VAULT + "/operationResults/{opId}", rtype=VAULT_TYPE, api_versions=RS_VERSIONS)
def vault_operation_result(ctx, req, p):
    status, op = ctx.sim.operation_status(p["opId"])
    if op is None or op["cloud"] != ctx.cloud:
        raise ArmError(404, "ResourceNotFound", f"The operation '{p['opId']}' was not found.")
    if status == "InProgress":
        return Response(202, b"", {"Location": ctx.url(req.path), "Retry-After": ctx.sim.retry_after(30)})
    if status == "Failed":
        return Response(400, {"error": {"code": op["failure"]["code"], "message": op["failure"]["message"]}})
    body = ctx.store.get_resource(ctx.cloud, vault_id(p["sub"], p["rg"], p["vault"]))
    if op["kind"] == "vault-delete" or body is None:
        return Response(204)
    return Response(200, body)


@ROUTER.route("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults",
              rtype=VAULT_TYPE, api_versions=RS_VERSIONS)
def list_vaults_rg(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    return ctx.page(ctx.store.list_resources(ctx.cloud, VAULT_TYPE, p["sub"], p["rg"]))


@ROUTER.route("GET", "/subscriptions/{sub}/providers/Microsoft.RecoveryServices/vaults",
              rtype=VAULT_TYPE, api_versions=RS_VERSIONS)
def list_vaults_sub(ctx, req, p):
    return ctx.page(ctx.store.list_resources(ctx.cloud, VAULT_TYPE, p["sub"]))


# -- certificates (vault credentials upload; NOT an LRO: 200 only) ---------------------------------
def _load_cert(data):
    raw = data.encode() if isinstance(data, str) else data
    candidates = [raw]
    try:
        candidates.append(base64.b64decode(raw, validate=False))
    except Exception:  # noqa: BLE001
        pass
    for c in list(candidates):
        try:
            candidates.append(base64.b64decode(c, validate=False))
        except Exception:  # noqa: BLE001
            pass
    for c in candidates:
        for loader in (x509.load_der_x509_certificate, x509.load_pem_x509_certificate):
            try:
                return loader(c)
            except Exception:  # noqa: BLE001
                continue
    return None


@ROUTER.route("PUT", VAULT + "/certificates/{cert}", rtype=VAULT_TYPE + "/certificates", api_versions=RS_VERSIONS)
def put_certificate(ctx, req, p):
    vault = require_vault(ctx, p)
    body = req.json() or {}
    props = body.get("properties") or {}
    raw = props.get("certificate")
    cert = _load_cert(raw) if raw else None
    if cert is None:
        raise ArmError(400, "BadRequest", "The certificate provided in the request is not valid.")
    ident = ctx.sim.identity[ctx.cloud]
    rid = stable_resource_id(vault["id"])
    spo = str(uuid.UUID(bytes=hashlib.md5(vault["id"].lower().encode()).digest()))
    fmt = "%Y-%m-%dT%H:%M:%S+00:00"
    nb = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    na = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    region = "US" if ctx.cloud == "public" else "USGov"
    out = {
        "name": p["cert"],
        "type": "Microsoft.RecoveryServices/vaults/certificates",
        "id": vault["id"] + "/certificates/" + p["cert"],
        "properties": {
            "aadAudience": f"api://{ident['tenant_id']}/RecoveryServiceVault/{region}/{vault['name']}/{rid}",
            "aadAuthority": ctx.sim.urls[(ctx.cloud, "login")],
            "aadTenantId": ident["tenant_id"],
            "authType": "AzureActiveDirectory",
            "azureManagementEndpointAudience": ctx.base + "/restapi/",
            "certificate": raw,
            "friendlyName": props.get("friendlyName", ""),
            "issuer": cert.issuer.rfc4514_string(),
            "resourceId": rid,
            "servicePrincipalClientId": ident["client_id"],
            "servicePrincipalObjectId": spo,
            "subject": cert.subject.rfc4514_string(),
            "thumbprint": cert.fingerprint(hashes.SHA1()).hex().upper(),
            "validFrom": nb.strftime(fmt),
            "validTo": na.strftime(fmt),
        },
    }
    ctx.store.put_resource(ctx.cloud, out["id"], out["type"], p["sub"], p["rg"], out)
    # every uploaded certificate is remembered per vault (by thumbprint) for the Site Recovery vault credentials check
    ctx.store.put_resource(ctx.cloud, vault["id"] + CERT_RECORD + out["properties"]["thumbprint"], CERT_RECORD_TYPE,
                           p["sub"], p["rg"], {"thumbprint": out["properties"]["thumbprint"],
                                               "validTo": out["properties"]["validTo"]})
    return Response(200, out)


# -- extended information --------------------------------------------------------------------------
EXT = VAULT + "/extendedInformation/vaultExtendedInfo"
EXT_TYPE = "Microsoft.RecoveryServices/vaults/extendedInformation"


def _ext_doc(vault, props, old=None):
    doc = {"id": vault["id"] + "/extendedInformation/vaultExtendedInfo", "name": "vaultExtendedInfo",
           "type": EXT_TYPE, "etag": etag_now(), "properties": dict((old or {}).get("properties") or {})}
    doc["properties"].update({k: v for k, v in (props or {}).items() if v is not None})
    doc["properties"].setdefault("integrityKey", base64.b64encode(secrets.token_bytes(16)).decode())
    doc["properties"].setdefault("algorithm", "None")
    return doc


@ROUTER.route("GET", EXT, rtype=EXT_TYPE, api_versions=RS_VERSIONS)
def get_ext(ctx, req, p):
    vault = require_vault(ctx, p)
    doc = ctx.store.get_resource(ctx.cloud, vault["id"] + "/extendedInformation/vaultExtendedInfo")
    if doc is None:
        raise ArmError(404, "ResourceNotFound",
                       f"The Resource 'Microsoft.RecoveryServices/vaults/{p['vault']}/extendedInformation/"
                       f"vaultExtendedInfo' under resource group '{p['rg']}' was not found. For more details please "
                       "go to https://aka.ms/ARMResourceNotFoundFix")
    return Response(200, doc)


@ROUTER.route(["PUT", "PATCH"], EXT, rtype=EXT_TYPE, api_versions=RS_VERSIONS)
def put_ext(ctx, req, p):
    vault = require_vault(ctx, p)
    rid = vault["id"] + "/extendedInformation/vaultExtendedInfo"
    old = ctx.store.get_resource(ctx.cloud, rid)
    if req.method == "PATCH" and old is None:
        raise ArmError(404, "ResourceNotFound", "The vault extended info was not found.")
    doc = _ext_doc(vault, (req.json() or {}).get("properties"), old if req.method == "PATCH" else None)
    ctx.store.put_resource(ctx.cloud, rid, EXT_TYPE, p["sub"], p["rg"], doc)
    return Response(200, doc)


# -- private endpoint connections (read here; created by Microsoft.Network private endpoints, not simulated) ---------
PEC_TYPE = VAULT_TYPE + "/privateEndpointConnections"


@ROUTER.route("GET", VAULT + "/privateEndpointConnections/{pec}", rtype=PEC_TYPE,
              api_versions=RS_VERSIONS | {"2026-10-01", "2024-10-01"})  # + azure-mgmt-recoveryservicesbackup's
def get_private_endpoint_connection(ctx, req, p):
    """PrivateEndpointConnection_Get (azure-mgmt-recoveryservicesbackup private_endpoint_connection.get); the same
    documents the vault lists in properties.privateEndpointConnections."""
    vault = require_vault(ctx, p)
    for conn in vault["properties"].get("privateEndpointConnections") or []:
        if conn["name"].lower() == p["pec"].lower():
            return Response(200, conn)
    raise ArmError(404, "ResourceNotFound", f"Private endpoint connection '{p['pec']}' was not found.")
