"""Microsoft.Authorization: the caller's effective permissions, and enforcement of them on every ARM request.

`GET {scope}/providers/Microsoft.Authorization/permissions` (resource group and resource scopes, as
azure-mgmt-authorization's `permissions.list_for_resource_group` / `list_for_resource` call them) returns one
`Permission` per role assignment of the caller that applies at the scope (assigned at the scope or above it).

By default the simulator's service principal is an Owner of its subscriptions (`actions: ["*"]`) and nothing
is enforced. An admin knob (`AdminClient.set_permissions`) replaces its role assignments with a list of
`{scope, actions, notActions}`; from then on every ARM request is checked the way ARM checks it: the request
is turned into an operation name (`Microsoft.Compute/virtualMachines/write`, `.../unplannedFailover/action`,
...) and must be granted by one assignment whose scope contains the request's scope, by an `actions` pattern
not excluded by that assignment's `notActions`. A refusal is ARM's 403 `AuthorizationFailed`. Reading one's own
permissions is always allowed, as in Azure.
"""
import re

from ..arm import REQUEST_CHECKS, ROUTER, ArmError
from ..httpbase import Response
from .resources import require_rg

VERSIONS = {"2022-04-01", "2018-07-01", "2018-01-01-preview", "2015-07-01"}
TYPE = "Microsoft.Authorization/permissions"
META_KEY = "authorization"


def _knob(sim, cloud):
    return (sim.store.get_meta(META_KEY) or {}).get(cloud)


def set_permissions(sim, cloud, assignments):
    """Replace the caller's role assignments in a cloud with `assignments` ([{scope, actions, notActions}]);
    None goes back to the default (Owner of every subscription, nothing enforced)."""
    knobs = sim.store.get_meta(META_KEY) or {}
    if assignments is None:
        knobs.pop(cloud, None)
    else:
        clean = []
        for a in assignments:
            if not str(a.get("scope", "")).startswith("/subscriptions/"):
                raise ValueError("each assignment needs a scope starting with /subscriptions/")
            clean.append({"scope": a["scope"].rstrip("/"), "actions": list(a.get("actions") or []),
                          "notActions": list(a.get("notActions") or [])})
        knobs[cloud] = clean
    sim.store.set_meta(META_KEY, knobs)
    return knobs.get(cloud)


def _assignments(sim, cloud, sub):
    knob = _knob(sim, cloud)
    if knob is None:
        return [{"scope": f"/subscriptions/{sub}", "actions": ["*"], "notActions": []}]
    return knob


def _contains(outer, inner):
    outer, inner = outer.lower().rstrip("/"), inner.lower().rstrip("/")
    return inner == outer or inner.startswith(outer + "/")


def _pattern(action):
    return re.compile("^" + ".*".join(re.escape(p) for p in action.split("*")) + "$", re.IGNORECASE)


def granted(assignments, scope, operation):
    """True when one assignment at or above `scope` allows `operation` (its actions match, its notActions don't)."""
    for a in assignments:
        if not _contains(a["scope"], scope):
            continue
        if any(_pattern(p).match(operation) for p in a["actions"]) and \
                not any(_pattern(p).match(operation) for p in a["notActions"]):
            return True
    return False


def operation_of(method, parts):
    """(operation name, scope) of an ARM request path split into segments."""
    low = [p.lower() for p in parts]
    if "providers" not in low[2:]:
        # /subscriptions/{sub}[/resourcegroups[/{rg}]] and the resource group's own operations
        types = ["Microsoft.Resources/subscriptions"] + [p for i, p in enumerate(parts[2:]) if i % 2 == 0]
        scope = "/" + "/".join(parts[:4] if len(parts) >= 4 else parts[:2])
        verb = {"GET": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(method, "action")
        return "/".join(types + [verb]), scope
    i = len(low) - 1 - low[::-1].index("providers")
    ns, rest = parts[i + 1], parts[i + 2:]
    types = [p for j, p in enumerate(rest) if j % 2 == 0]
    scope = "/" + "/".join(parts[:i + 2 + 2 * (len(rest) // 2)])
    if len(rest) % 2 == 1 and method == "POST":  # .../{name}/{action}
        return "/".join([ns] + types + ["action"]), scope
    verb = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(method, "action")
    if len(rest) % 2 == 1 and method != "POST":  # a collection: list is a read of the type
        verb = "read" if method in ("GET", "HEAD") else verb
    return "/".join([ns] + types + [verb]), scope


def enforce(app, req, parts):
    """Refuse a request the caller's assignments do not allow (only when the knob is set)."""
    knob = _knob(app.sim, app.cloud)
    if knob is None or len(parts) < 2 or parts[0].lower() != "subscriptions":
        return
    if "microsoft.authorization" in [p.lower() for p in parts] and parts[-1].lower() == "permissions":
        return
    operation, scope = operation_of(req.method, parts)
    if granted(knob, scope, operation):
        return
    claims = getattr(req, "claims", None) or {}
    raise ArmError(403, "AuthorizationFailed",
                   f"The client '{claims.get('appid', '')}' with object id '{claims.get('oid', '')}' does not have "
                   f"authorization to perform action '{operation}' over scope '{scope}' or the scope is invalid. If "
                   "access was recently granted, please refresh your credentials.")


def _permissions(ctx, sub, scope):
    values = [{"actions": a["actions"], "notActions": a["notActions"], "dataActions": [], "notDataActions": []}
              for a in _assignments(ctx.sim, ctx.cloud, sub) if _contains(a["scope"], scope)]
    return ctx.page(values)


@ROUTER.route("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Authorization/permissions",
              rtype=TYPE, api_versions=VERSIONS)
def list_for_resource_group(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    return _permissions(ctx, p["sub"], f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}")


@ROUTER.route("GET", "/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}/providers/"
              "Microsoft.Authorization/permissions", rtype=TYPE, api_versions=VERSIONS)
def list_for_resource(ctx, req, p):
    require_rg(ctx, p["sub"], p["rg"])
    return _permissions(ctx, p["sub"], f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/{p['ns']}/"
                                       f"{p['type']}/{p['name']}")


def admin(sim, parts, method, body):
    """Admin API: PUT /authorization/permissions {cloud, assignments} (null assignments: back to Owner)."""
    if parts == ["permissions"] and method == "PUT":
        return Response(200, {"assignments": set_permissions(sim, body["cloud"], body.get("assignments"))})
    return Response(404, {"error": {"code": "NotFound", "message": "unknown admin endpoint"}})


REQUEST_CHECKS.append(enforce)
