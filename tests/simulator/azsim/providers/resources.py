"""Microsoft.Resources: resource groups (and the subscription/tenant reads SDKs do on start-up)."""
from ..arm import ROUTER, ArmError, normalize_location
from ..httpbase import Response
from ..clouds import CLOUDS

# azure-mgmt-resource 26 default is 2025-04-01; older widely used versions kept for other clients
RG_VERSIONS = {"2025-04-01", "2024-11-01", "2024-03-01", "2022-09-01", "2021-04-01", "2020-06-01", "2019-10-01"}
SUB_VERSIONS = {"2022-12-01", "2021-01-01", "2020-01-01", "2019-11-01", "2016-06-01"} | RG_VERSIONS
RG_TYPE = "Microsoft.Resources/resourceGroups"
RG = "/subscriptions/{sub}/resourcegroups/{rg}"
DELETE_SECONDS = 30  # simulated duration of a resource group deletion (real Azure: tens of seconds)


def rg_id(sub, rg):
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def not_found(rg):
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


def require_rg(ctx, sub, rg):
    """Return the stored RG body or raise ResourceGroupNotFound (used by other providers)."""
    body = ctx.store.get_resource(ctx.cloud, rg_id(sub, rg))
    if body is None:
        raise not_found(rg)
    return body


@ROUTER.route("GET", "/subscriptions", rtype="Microsoft.Resources/subscriptions", api_versions=SUB_VERSIONS)
def list_subscriptions(ctx, req, p):
    ident = ctx.sim.identity[ctx.cloud]
    return ctx.page([_sub_body(ctx, s) for s in ident["subscriptions"]])


@ROUTER.route("GET", "/subscriptions/{sub}", rtype="Microsoft.Resources/subscriptions", api_versions=SUB_VERSIONS)
def get_subscription(ctx, req, p):
    return Response(200, _sub_body(ctx, p["sub"]))


def _sub_body(ctx, sub):
    ident = ctx.sim.identity[ctx.cloud]
    idx = [s.lower() for s in ident["subscriptions"]].index(sub.lower())
    name = ("Azure Government" if ctx.cloud == "gov" else "Azure") + (" Sim Subscription %d" % (idx + 1))
    return {"id": f"/subscriptions/{ident['subscriptions'][idx]}", "authorizationSource": "RoleBased",
            "managedByTenants": [], "subscriptionId": ident["subscriptions"][idx], "tenantId": ident["tenant_id"],
            "displayName": name, "state": "Enabled",
            "subscriptionPolicies": {"locationPlacementId": "Internal_2014-09-01" if ctx.cloud == "public"
                                     else "USGov_2015-07-01", "quotaId": "Internal_2014-09-01",
                                     "spendingLimit": "Off"}}


@ROUTER.route("GET", "/tenants", rtype="Microsoft.Resources/tenants", api_versions=SUB_VERSIONS)
def list_tenants(ctx, req, p):
    ident = ctx.sim.identity[ctx.cloud]
    return ctx.page([{"id": f"/tenants/{ident['tenant_id']}", "tenantId": ident["tenant_id"],
                      "tenantCategory": "Home", "defaultDomain": ident["tenant_name"],
                      "displayName": ident["tenant_name"].split(".")[0]}])


@ROUTER.route("GET", "/subscriptions/{sub}/locations", rtype="Microsoft.Resources/subscriptions",
              api_versions=SUB_VERSIONS)
def list_locations(ctx, req, p):
    return ctx.page([{"id": f"/subscriptions/{p['sub']}/locations/{loc}", "name": loc, "displayName": loc,
                      "regionalDisplayName": loc, "type": "Region"} for loc in CLOUDS[ctx.cloud]["locations"]])


@ROUTER.route("PUT", RG, rtype=RG_TYPE, api_versions=RG_VERSIONS)
def put_rg(ctx, req, p):
    body = req.json() or {}
    if not body.get("location"):
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    rid = rg_id(p["sub"], p["rg"])
    existing = ctx.store.get_resource(ctx.cloud, rid)
    if existing and existing["properties"].get("provisioningState") == "Deleting":
        raise ArmError(409, "ResourceGroupBeingDeleted",
                       f"The resource group '{p['rg']}' is in deprovisioning state and cannot perform this "
                       "operation.")
    loc = normalize_location(body["location"])
    if existing and existing["location"] != loc:
        raise ArmError(409, "InvalidResourceGroupLocation",
                       f"Invalid resource group location '{loc}'. The Resource group already exists in location "
                       f"'{existing['location']}'.")
    name = existing["name"] if existing else p["rg"]
    rg = {"id": rg_id(p["sub"], name), "name": name, "type": RG_TYPE, "location": loc,
          "properties": {"provisioningState": "Succeeded"}}
    if body.get("tags") is not None:
        rg["tags"] = body["tags"]
    if body.get("managedBy"):
        rg["managedBy"] = body["managedBy"]
    ctx.store.put_resource(ctx.cloud, rid, RG_TYPE, p["sub"], None, rg)
    return Response(200 if existing else 201, rg)


@ROUTER.route("GET", RG, rtype=RG_TYPE, api_versions=RG_VERSIONS)
def get_rg(ctx, req, p):
    return Response(200, require_rg(ctx, p["sub"], p["rg"]))


@ROUTER.route("HEAD", RG, rtype=RG_TYPE, api_versions=RG_VERSIONS)
def head_rg(ctx, req, p):
    exists = ctx.store.get_resource(ctx.cloud, rg_id(p["sub"], p["rg"])) is not None
    return Response(204 if exists else 404)


@ROUTER.route("PATCH", RG, rtype=RG_TYPE, api_versions=RG_VERSIONS)
def patch_rg(ctx, req, p):
    rg = require_rg(ctx, p["sub"], p["rg"])
    body = req.json() or {}
    if "tags" in body:
        rg["tags"] = body["tags"] or {}
    if body.get("managedBy"):
        rg["managedBy"] = body["managedBy"]
    ctx.store.put_resource(ctx.cloud, rg["id"], RG_TYPE, p["sub"], None, rg)
    return Response(200, rg)


@ROUTER.route("GET", "/subscriptions/{sub}/resourcegroups", rtype=RG_TYPE, api_versions=RG_VERSIONS)
def list_rg(ctx, req, p):
    return ctx.page(ctx.store.list_resources(ctx.cloud, RG_TYPE, p["sub"]))


@ROUTER.route("DELETE", RG, rtype=RG_TYPE, api_versions=RG_VERSIONS)
def delete_rg(ctx, req, p):
    """202 + Location (…/operationresults/{id}) + Retry-After, like ARM; the poll answers 202 then 200."""
    rg = require_rg(ctx, p["sub"], p["rg"])
    rg["properties"]["provisioningState"] = "Deleting"
    ctx.store.put_resource(ctx.cloud, rg["id"], RG_TYPE, p["sub"], None, rg)
    op_id = ctx.sim.start_operation(
        ctx.cloud, "rg-delete", DELETE_SECONDS,
        {"name": "delete_rg", "sub": p["sub"], "rg": p["rg"], "rid": rg["id"],
         "on_failure": {"name": "merge_resource", "rid": rg["id"],
                        "patch": {"properties": {"provisioningState": "Succeeded"}},
                        "meta": {"type": RG_TYPE, "sub": p["sub"], "rg": None}}},
        req.method, req.path)
    return ctx.accepted(op_id, None, location_path=f"/subscriptions/{p['sub']}/operationresults",
                        async_header=False, real_seconds=15)


@ROUTER.route("GET", "/subscriptions/{sub}/operationresults/{opId}", rtype=RG_TYPE, api_versions=RG_VERSIONS)
def rg_operation_result(ctx, req, p):
    status, op = ctx.sim.operation_status(p["opId"])
    if op is None or op["cloud"] != ctx.cloud:
        raise ArmError(404, "NotFound", "The operation result was not found.")
    if status == "InProgress":
        return Response(202, b"", {"Location": ctx.url(req.path),
                                   "Retry-After": ctx.sim.retry_after(15)})
    if status == "Failed":
        return Response(409, {"error": {"code": op["failure"]["code"], "message": op["failure"]["message"]}})
    return Response(200)
