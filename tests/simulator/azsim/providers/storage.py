"""Read-only Microsoft.Storage/storageAccounts (seeded): the cache / log storage accounts of Site Recovery.

Shape: what azure-mgmt-storage deserializes for a StorageV2 account (sku, kind, primaryEndpoints, ...).
"""
from ..arm import ROUTER, ArmError, normalize_location
from ..httpbase import Response
from ..sim import iso
from .resources import require_rg

STORAGE_VERSIONS = {"2026-09-01", "2025-08-01", "2025-06-01", "2025-01-01", "2024-01-01", "2023-05-01", "2023-01-01", "2022-09-01", "2021-09-01"}
SA_TYPE = "Microsoft.Storage/storageAccounts"
P = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts"
SUFFIX = {"gov": "core.usgovcloudapi.net", "public": "core.windows.net"}


def seed_storage_account(sim, cloud, sub, sa):
    rg, name = sa["resource_group"], sa["name"]
    rid = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{SA_TYPE}/{name}"
    sku = sa.get("sku", "Standard_LRS")
    ep = {k: f"https://{name}.{k}.{SUFFIX[cloud]}/" for k in ("blob", "queue", "table", "file", "dfs", "web")}
    body = {"id": rid, "name": name, "type": SA_TYPE, "location": normalize_location(sa.get("location")),
            "tags": sa.get("tags") or {}, "sku": {"name": sku, "tier": sku.split("_")[0]},
            "kind": sa.get("kind", "StorageV2"),
            "properties": {"provisioningState": "Succeeded", "creationTime": iso(0), "primaryEndpoints": ep,
                           "primaryLocation": normalize_location(sa.get("location")), "statusOfPrimary": "available",
                           "accessTier": "Hot", "supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2",
                           "allowBlobPublicAccess": False, "publicNetworkAccess": "Enabled",
                           "networkAcls": {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [],
                                           "defaultAction": "Allow"},
                           "encryption": {"keySource": "Microsoft.Storage", "services": {
                               "blob": {"enabled": True, "keyType": "Account"},
                               "file": {"enabled": True, "keyType": "Account"}}}}}
    sim.store.put_resource(cloud, rid, SA_TYPE, sub, rg, body)
    return body


@ROUTER.route("GET", P + "/{name}", rtype=SA_TYPE, api_versions=STORAGE_VERSIONS)
def get_storage_account(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    body = ctx.store.get_resource(ctx.cloud, f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/"
                                             f"{SA_TYPE}/{p['name']}")
    if body is None:
        raise ArmError(404, "ResourceNotFound", f"The Resource '{SA_TYPE}/{p['name']}' under resource group "
                                                f"'{p['rg']}' was not found. For more details please go to "
                                                "https://aka.ms/ARMResourceNotFoundFix")
    return Response(200, body)


def list_storage_accounts(ctx, req, p):
    """By resource group (404 if it is missing) or in the whole subscription."""
    if "rg" in p:
        require_rg(ctx, p["sub"], p["rg"])
    return ctx.page(ctx.store.list_resources(ctx.cloud, SA_TYPE, p["sub"], p.get("rg")))


for _tpl in (P, "/subscriptions/{sub}/providers/Microsoft.Storage/storageAccounts"):
    ROUTER.route("GET", _tpl, rtype=SA_TYPE, api_versions=STORAGE_VERSIONS)(list_storage_accounts)
