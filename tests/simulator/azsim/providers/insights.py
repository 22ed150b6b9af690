"""Microsoft.Insights/diagnosticSettings on any top-level resource (an extension resource: `{resourceId}/providers/
Microsoft.Insights/diagnosticSettings/{name}`): GET, list, PUT, DELETE, synchronous as in the Monitor REST API
(DiagnosticSettings_CreateOrUpdate / _Get / _List / _Delete, 2021-05-01-preview). Shapes after the
DiagnosticSettingsResource model: properties storageAccountId, workspaceId, eventHubAuthorizationRuleId,
eventHubName, marketplacePartnerId, serviceBusRuleId, logs [{category|categoryGroup, enabled, retentionPolicy}],
metrics [{category, timeGrain, enabled, retentionPolicy}], logAnalyticsDestinationType.

A destination that is a storage account must exist in the same cloud (the simulator knows storage accounts); other
destination types (workspaces, event hubs) are not simulated and are accepted as given.
"""
from ..arm import ROUTER, ArmError
from ..httpbase import Response

INSIGHTS_VERSIONS = {"2021-05-01-preview", "2017-05-01-preview", "2016-09-01"}
DS_TYPE = "Microsoft.Insights/diagnosticSettings"
TARGET = "/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}"
COLLECTION = TARGET + "/providers/Microsoft.Insights/diagnosticSettings"
ITEM = COLLECTION + "/{setting}"
DESTINATIONS = ("storageAccountId", "workspaceId", "eventHubAuthorizationRuleId", "marketplacePartnerId")


def target_id(p):
    return f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/{p['ns']}/{p['type']}/{p['name']}"


def _require_target(ctx, p):
    rid = target_id(p)
    body = ctx.store.get_resource(ctx.cloud, rid)
    if body is None:
        raise ArmError(404, "ResourceNotFound", f"The Resource '{p['ns']}/{p['type']}/{p['name']}' under resource "
                       f"group '{p['rg']}' was not found. For more details please go to "
                       "https://aka.ms/ARMResourceNotFoundFix")
    return body


def _settings(ctx, rid):
    prefix = rid.lower() + "/providers/microsoft.insights/diagnosticsettings/"
    sub, rg = rid.split("/")[2], rid.split("/")[4]
    return [d for d in ctx.store.list_resources(ctx.cloud, DS_TYPE, sub, rg) if d["id"].lower().startswith(prefix)]


def _validate(ctx, props):
    if not any(props.get(k) for k in DESTINATIONS):
        raise ArmError(400, "BadRequest", "At least one of storageAccountId, workspaceId, eventHubAuthorizationRuleId "
                       "or marketplacePartnerId must be specified.")
    if not any(e.get("enabled") for e in (props.get("logs") or []) + (props.get("metrics") or [])):
        raise ArmError(400, "BadRequest", "At least one log or metric category must be enabled.")
    sa = props.get("storageAccountId")
    if sa and ctx.store.get_resource(ctx.cloud, sa) is None:
        raise ArmError(400, "ResourceNotFound", f"Resource '{sa}' was not found.")


def put_setting_doc(store, cloud, rid, name, props):
    doc = {"id": f"{rid}/providers/Microsoft.Insights/diagnosticSettings/{name}", "name": name, "type": DS_TYPE,
           "properties": {k: v for k, v in props.items() if v is not None}}
    doc["properties"].setdefault("logs", [])
    doc["properties"].setdefault("metrics", [])
    store.put_resource(cloud, doc["id"], DS_TYPE, rid.split("/")[2], rid.split("/")[4], doc)
    return doc


@ROUTER.route("GET", COLLECTION, rtype=DS_TYPE, api_versions=INSIGHTS_VERSIONS)
def list_settings(ctx, req, p):
    _require_target(ctx, p)
    return Response(200, {"value": _settings(ctx, target_id(p))})  # the service returns one page, no nextLink


@ROUTER.route("GET", ITEM, rtype=DS_TYPE, api_versions=INSIGHTS_VERSIONS)
def get_setting(ctx, req, p):
    _require_target(ctx, p)
    doc = ctx.store.get_resource(ctx.cloud, f"{target_id(p)}/providers/Microsoft.Insights/diagnosticSettings/"
                                            f"{p['setting']}")
    if doc is None:
        raise ArmError(404, "ResourceNotFound", f"The diagnostic setting '{p['setting']}' doesn't exist.")
    return Response(200, doc)


@ROUTER.route("PUT", ITEM, rtype=DS_TYPE, api_versions=INSIGHTS_VERSIONS)
def put_setting(ctx, req, p):
    _require_target(ctx, p)
    props = dict((req.json() or {}).get("properties") or {})
    _validate(ctx, props)
    return Response(200, put_setting_doc(ctx.store, ctx.cloud, target_id(p), p["setting"], props))


@ROUTER.route("DELETE", ITEM, rtype=DS_TYPE, api_versions=INSIGHTS_VERSIONS)
def delete_setting(ctx, req, p):
    _require_target(ctx, p)
    rid = f"{target_id(p)}/providers/Microsoft.Insights/diagnosticSettings/{p['setting']}"
    if ctx.store.get_resource(ctx.cloud, rid) is None:
        return Response(204)
    ctx.store.delete_resource(ctx.cloud, rid)
    return Response(200, b"")
