"""Microsoft.Resources/tags at the scope of a top-level resource (`{resourceId}/providers/Microsoft.Resources/tags/
default`): GET (Tags_GetAtScope) and PATCH (Tags_UpdateAtScope, TagsPatchResource {operation: Merge | Replace |
Delete, properties.tags}), as azure-mgmt-resource's `tags.get_at_scope` / `begin_update_at_scope` send them. The tags
are the resource's own (`tags` of its body), so a GET of the resource shows them. The PATCH answers 200 at once
(the SDK's poller accepts it); real ARM may answer 202 first. At most 50 tags, as ARM allows.
"""
from ..arm import ROUTER, ArmError
from ..httpbase import Response
from .insights import TARGET, _require_target, target_id
from .resources import RG_VERSIONS

TAGS_TYPE = "Microsoft.Resources/tags"
TAGS = TARGET + "/providers/Microsoft.Resources/tags/default"


def _doc(rid, tags):
    return {"id": rid + "/providers/Microsoft.Resources/tags/default", "name": "default", "type": TAGS_TYPE,
            "properties": {"tags": tags}}


@ROUTER.route("GET", TAGS, rtype=TAGS_TYPE, api_versions=RG_VERSIONS)
def get_tags(ctx, req, p):
    body = _require_target(ctx, p)
    return Response(200, _doc(target_id(p), body.get("tags") or {}))


@ROUTER.route("PATCH", TAGS, rtype=TAGS_TYPE, api_versions=RG_VERSIONS)
def update_tags(ctx, req, p):
    with ctx.store.lock:
        body = _require_target(ctx, p)
        patch = req.json() or {}
        operation = patch.get("operation")
        tags = (patch.get("properties") or {}).get("tags")
        if operation not in ("Merge", "Replace", "Delete") or not isinstance(tags, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content is not valid: 'operation' must be Merge, "
                           "Replace or Delete and 'properties.tags' an object.")
        if any(not isinstance(v, str) for v in tags.values()):
            raise ArmError(400, "InvalidTagValue", "Tag values must be strings.")
        current = dict(body.get("tags") or {})
        if operation == "Merge":
            current.update(tags)
        elif operation == "Replace":
            current = dict(tags)
        else:
            current = {k: v for k, v in current.items() if k not in tags or (tags[k] and tags[k] != v)}
        if len(current) > 50:
            raise ArmError(400, "InvalidTagCount", "A resource can have at most 50 tags.")
        body["tags"] = current
        rid = target_id(p)
        ctx.store.put_resource(ctx.cloud, body.get("id") or rid, body.get("type") or p["type"], p["sub"], p["rg"], body)
    return Response(200, _doc(rid, current))
