"""Microsoft.Storage/storageAccounts: the cache / log storage accounts of Site Recovery.

Shape: what azure-mgmt-storage deserializes for a StorageV2 (or premium BlockBlobStorage) account (sku, kind,
primaryEndpoints, ...). Writes behave like the storage resource provider:

- PUT of a new account is a long-running operation: 202 with a `Location` (`.../locations/{loc}/asyncoperations/
  {id}?monitor=true`) and `Retry-After`; polling it answers 202 while it runs, then 200 with the account.
  PUT of an existing account in its region updates it synchronously (200).
- Account names are 3-24 lower-case letters and digits, unique per cloud (`checkNameAvailability`, and PUT
  answers 409 `StorageAccountAlreadyTaken` / `StorageAccountInAnotherResourceGroup`).
- PATCH updates properties and tags (200); the kind and the SKU's tier (Standard / Premium) cannot change.
- DELETE is synchronous: 200 when it deleted the account, 204 when there was none. Role assignments at the
  account's scope go with it.
"""
import json
import re
import time

from ..arm import ROUTER, ArmError, normalize_location
from ..clouds import CLOUDS
from ..httpbase import Response
from ..sim import iso
from .resources import require_rg

STORAGE_VERSIONS = {"2026-09-01", "2025-08-01", "2025-06-01", "2025-01-01", "2024-01-01", "2023-05-01", "2023-01-01",
                    "2022-09-01", "2021-09-01"}
SA_TYPE = "Microsoft.Storage/storageAccounts"
P = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts"
OPS = "/subscriptions/{sub}/providers/Microsoft.Storage/locations/{loc}/asyncoperations"
SUFFIX = {"gov": "core.usgovcloudapi.net", "public": "core.windows.net"}
NAME_RE = re.compile(r"^[a-z0-9]{3,24}$")
CREATE_SECONDS = 20  # real creations take 15-30 s; the polling Retry-After of the storage RP is 17 s
KINDS = {"StorageV2", "Storage", "BlobStorage", "BlockBlobStorage", "FileStorage"}
SKUS = {"Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS",
        "Premium_LRS", "Premium_ZRS"}
TLS_VERSIONS = {"TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"}
READ_ONLY = {"provisioningState", "creationTime", "primaryEndpoints", "primaryLocation", "statusOfPrimary"}


def account_id(sub, rg, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{SA_TYPE}/{name}"


def invalid_name_message(name):
    return (f"{name} is not a valid storage account name. Storage account name must be between 3 and 24 characters "
            "in length and use numbers and lower-case letters only.")


def _endpoints(cloud, name, kind):
    kinds = ("blob", "dfs", "web") if kind == "BlockBlobStorage" else ("blob", "queue", "table", "file", "dfs", "web")
    return {k: f"https://{name}.{k}.{SUFFIX[cloud]}/" for k in kinds}


def account_body(cloud, rid, name, location, sku, kind, tags=None, properties=None, state="Succeeded"):
    location = normalize_location(location)
    props = {"provisioningState": state, "creationTime": iso(0), "primaryEndpoints": _endpoints(cloud, name, kind),
             "primaryLocation": location, "statusOfPrimary": "available",
             "supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_0", "allowBlobPublicAccess": False,
             "publicNetworkAccess": "Enabled",
             "networkAcls": {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Allow"},
             "encryption": {"keySource": "Microsoft.Storage", "services": {
                 "blob": {"enabled": True, "keyType": "Account"}, "file": {"enabled": True, "keyType": "Account"}}}}
    if kind != "BlockBlobStorage":
        props["accessTier"] = "Hot"
    props.update({k: v for k, v in (properties or {}).items() if k not in READ_ONLY})
    return {"id": rid, "name": name, "type": SA_TYPE, "location": location, "tags": tags or {},
            "sku": {"name": sku, "tier": sku.split("_")[0]}, "kind": kind, "properties": props}


def seed_storage_account(sim, cloud, sub, sa):
    """A seeded account; `properties` overrides the compliant defaults (https only, TLS 1.2, no public blobs)."""
    rg, name = sa["resource_group"], sa["name"]
    rid = account_id(sub, rg, name)
    props = {"minimumTlsVersion": "TLS1_2"}
    props.update(sa.get("properties") or {})
    body = account_body(cloud, rid, name, sa.get("location"), sa.get("sku", "Standard_LRS"), sa.get("kind", "StorageV2"),
                        sa.get("tags"), props)
    sim.store.put_resource(cloud, rid, SA_TYPE, sub, rg, body)
    return body


def _not_found(name, rg):
    return ArmError(404, "ResourceNotFound", f"The Resource '{SA_TYPE}/{name}' under resource group '{rg}' was not "
                                             "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")


def _same_name(ctx, name):
    """Accounts named `name` anywhere in this cloud (names are global), as stored bodies."""
    rows = ctx.store.query("SELECT body FROM resources WHERE cloud=? AND type_lower=? AND rid_lower LIKE ?",
                           (ctx.cloud, SA_TYPE.lower(), "%/storageaccounts/" + name.lower()))
    return [json.loads(r["body"]) for r in rows]


def _check_properties(props):
    tls = props.get("minimumTlsVersion")
    if tls is not None and tls not in TLS_VERSIONS:
        raise ArmError(400, "InvalidRequestPropertyValue",
                       f"The value '{tls}' is not allowed for property minimumTlsVersion. Allowed values are "
                       f"{', '.join(sorted(TLS_VERSIONS))}.")
    for key in ("supportsHttpsTrafficOnly", "allowBlobPublicAccess"):
        if key in props and not isinstance(props[key], bool):
            raise ArmError(400, "InvalidRequestPropertyValue", f"The value of property {key} must be a boolean.")


def _sku_change(existing, sku_name, kind):
    if kind and kind != existing["kind"] and not (existing["kind"] == "Storage" and kind == "StorageV2"):
        raise ArmError(409, "OperationNotAllowed",
                       f"The kind of storage account {existing['name']} cannot be changed from {existing['kind']} "
                       f"to {kind}.")
    if sku_name and sku_name.split("_")[0] != existing["sku"]["tier"]:
        raise ArmError(409, "OperationNotAllowed",
                       f"The SKU of storage account {existing['name']} cannot be changed from {existing['sku']['name']} "
                       f"to {sku_name}: a Standard account cannot become Premium or the other way round.")


def _location_headers(ctx, sub, loc, op_id):
    url = ctx.url(OPS.format(sub=sub, loc=loc) + f"/{op_id}", monitor="true")
    headers = {"Location": url}
    headers.update(ctx.sim.retry_after_headers(17, True))
    return headers


@ROUTER.route("GET", P + "/{name}", rtype=SA_TYPE, api_versions=STORAGE_VERSIONS)
def get_storage_account(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    body = ctx.store.get_resource(ctx.cloud, account_id(p["sub"], p["rg"], p["name"]))
    if body is None:
        raise _not_found(p["name"], p["rg"])
    return Response(200, body)


@ROUTER.route("PUT", P + "/{name}", rtype=SA_TYPE, api_versions=STORAGE_VERSIONS)
def create_storage_account(ctx, req, p):
    name = p["name"]
    if not NAME_RE.match(name):
        raise ArmError(400, "AccountNameInvalid", invalid_name_message(name))
    require_rg(ctx, p["sub"], p["rg"])
    body = req.json() or {}
    sku = (body.get("sku") or {}).get("name")
    kind = body.get("kind")
    if not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    if not sku or not kind:
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid: sku.name and kind are required.")
    if sku not in SKUS:
        raise ArmError(400, "InvalidRequestPropertyValue", f"The value '{sku}' is not allowed for property sku.name.")
    if kind not in KINDS:
        raise ArmError(400, "InvalidRequestPropertyValue", f"The value '{kind}' is not allowed for property kind.")
    if kind == "BlockBlobStorage" and not sku.startswith("Premium_"):
        raise ArmError(400, "InvalidRequestPropertyValue", "A BlockBlobStorage account must have a Premium SKU.")
    loc = normalize_location(body["location"])
    if loc not in CLOUDS[ctx.cloud]["locations"]:
        raise ArmError(400, "LocationNotAvailableForResourceType",
                       f"The provided location '{loc}' is not available for resource type '{SA_TYPE}'. List of "
                       f"available regions for the resource type is '{','.join(CLOUDS[ctx.cloud]['locations'])}'.")
    props = body.get("properties") or {}
    _check_properties(props)
    rid = account_id(p["sub"], p["rg"], name)
    for other in _same_name(ctx, name):
        if other["id"].lower() == rid.lower():
            continue
        if other["id"].lower().startswith(f"/subscriptions/{p['sub']}/".lower()):
            raise ArmError(409, "StorageAccountInAnotherResourceGroup",
                           f"The account {name} is already in another resource group in this subscription.")
        raise ArmError(409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken.")
    existing = ctx.store.get_resource(ctx.cloud, rid)
    if existing is not None:
        if existing["location"] != loc:
            raise ArmError(409, "InvalidResourceLocation",
                           f"The resource '{name}' already exists in location '{existing['location']}' in resource "
                           f"group '{p['rg']}'. A resource with the same name cannot be created in location '{loc}'. "
                           "Please select a new resource name.")
        _sku_change(existing, sku, kind)
        existing["properties"].update({k: v for k, v in props.items() if k not in READ_ONLY})
        if body.get("tags") is not None:
            existing["tags"] = body["tags"]
        existing["sku"] = {"name": sku, "tier": sku.split("_")[0]}
        ctx.store.put_resource(ctx.cloud, rid, SA_TYPE, p["sub"], p["rg"], existing)
        return Response(200, existing)
    account = account_body(ctx.cloud, rid, name, loc, sku, kind, body.get("tags"), props, state="Creating")
    account["properties"]["creationTime"] = iso(time.time())
    ctx.store.put_resource(ctx.cloud, rid, SA_TYPE, p["sub"], p["rg"], account)
    meta = {"type": SA_TYPE, "sub": p["sub"], "rg": p["rg"]}
    op_id = ctx.sim.start_operation(
        ctx.cloud, "storage-create", CREATE_SECONDS,
        {"name": "merge_resource", "rid": rid, "patch": {"properties": {"provisioningState": "Succeeded"}}, "meta": meta,
         "on_failure": {"name": "delete_resource", "rid": rid}},
        req.method, req.path)
    return Response(202, b"", _location_headers(ctx, p["sub"], loc, op_id))


@ROUTER.route("GET", OPS + "/{opId}", rtype="Microsoft.Storage/locations/asyncoperations",
              api_versions=STORAGE_VERSIONS)
def create_status(ctx, req, p):
    """The Location of a creation: 202 while it runs, then 200 with the account (or the failure)."""
    status, op = ctx.sim.operation_status(p["opId"])
    if op is None or op["cloud"] != ctx.cloud:
        raise ArmError(404, "NotFound", "The operation was not found.")
    if status == "InProgress":
        return Response(202, b"", _location_headers(ctx, p["sub"], p["loc"], p["opId"]))
    if status == "Failed":
        raise ArmError(500, op["failure"]["code"], op["failure"]["message"])
    rid = op["action"]["rid"]
    body = ctx.store.get_resource(ctx.cloud, rid)
    if body is None:  # deleted since
        raise ArmError(404, "ResourceNotFound", f"The Resource '{SA_TYPE}/{rid.rsplit('/', 1)[-1]}' was not found.")
    return Response(200, body)


@ROUTER.route("PATCH", P + "/{name}", rtype=SA_TYPE, api_versions=STORAGE_VERSIONS)
def update_storage_account(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    rid = account_id(p["sub"], p["rg"], p["name"])
    existing = ctx.store.get_resource(ctx.cloud, rid)
    if existing is None:
        raise _not_found(p["name"], p["rg"])
    body = req.json() or {}
    props = body.get("properties") or {}
    _check_properties(props)
    sku = (body.get("sku") or {}).get("name")
    if sku and sku not in SKUS:
        raise ArmError(400, "InvalidRequestPropertyValue", f"The value '{sku}' is not allowed for property sku.name.")
    _sku_change(existing, sku, body.get("kind"))
    existing["properties"].update({k: v for k, v in props.items() if k not in READ_ONLY})
    if body.get("tags") is not None:
        existing["tags"] = body["tags"]
    if sku:
        existing["sku"] = {"name": sku, "tier": sku.split("_")[0]}
    if body.get("kind"):
        existing["kind"] = body["kind"]
    ctx.store.put_resource(ctx.cloud, rid, SA_TYPE, p["sub"], p["rg"], existing)
    return Response(200, existing)


@ROUTER.route("DELETE", P + "/{name}", rtype=SA_TYPE, api_versions=STORAGE_VERSIONS)
def delete_storage_account(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    deleted = ctx.store.delete_resource(ctx.cloud, account_id(p["sub"], p["rg"], p["name"]))
    return Response(200 if deleted else 204, b"")


@ROUTER.route("POST", "/subscriptions/{sub}/providers/Microsoft.Storage/checkNameAvailability", rtype=SA_TYPE,
              api_versions=STORAGE_VERSIONS)
def check_name_availability(ctx, req, p):
    body = req.json() or {}
    name = body.get("name") or ""
    if (body.get("type") or SA_TYPE).lower() != SA_TYPE.lower():
        raise ArmError(400, "InvalidRequestPropertyValue", "The type must be Microsoft.Storage/storageAccounts.")
    if not NAME_RE.match(name):
        return Response(200, {"nameAvailable": False, "reason": "AccountNameInvalid",
                              "message": invalid_name_message(name)})
    if _same_name(ctx, name):
        return Response(200, {"nameAvailable": False, "reason": "AlreadyExists",
                              "message": f"The storage account named {name} is already taken."})
    return Response(200, {"nameAvailable": True})


def list_storage_accounts(ctx, req, p):
    """By resource group (404 if it is missing) or in the whole subscription."""
    if "rg" in p:
        require_rg(ctx, p["sub"], p["rg"])
    return ctx.page(ctx.store.list_resources(ctx.cloud, SA_TYPE, p["sub"], p.get("rg")))


for _tpl in (P, "/subscriptions/{sub}/providers/Microsoft.Storage/storageAccounts"):
    ROUTER.route("GET", _tpl, rtype=SA_TYPE, api_versions=STORAGE_VERSIONS)(list_storage_accounts)
