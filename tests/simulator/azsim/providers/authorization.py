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

Role assignments (`{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`, at any scope under a
subscription: the subscription, a resource group or a resource) are stored resources: PUT answers 201 for a new
one and 200 for the same assignment again under its name; a second assignment of the same role to the same
principal at the same scope under another name is ARM's 409 `RoleAssignmentExists`; the name must be a GUID and
the role one of the built-in role definitions below (`{scope}/providers/Microsoft.Authorization/roleDefinitions/
{id}`, GET and list). They are records only: they do not feed the caller's permissions above (that is the knob's
job), and the principal is not looked up in the directory.
"""
import re
import time

from ..arm import REQUEST_CHECKS, ROUTER, ArmError, Route
from ..httpbase import Response
from ..sim import iso
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


# -- role assignments and role definitions -----------------------------------------------------------------------
RA_TYPE = "Microsoft.Authorization/roleAssignments"
RD_TYPE = "Microsoft.Authorization/roleDefinitions"
RA_VERSIONS = {"2022-04-01", "2020-10-01-preview", "2020-04-01-preview", "2018-09-01-preview", "2015-07-01"}
RD_VERSIONS = {"2022-05-01-preview", "2022-04-01", "2018-01-01-preview", "2015-07-01"}
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Built-in roles (well-known ids, the same in every cloud): name, description, actions, notActions, dataActions.
BUILTIN_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", "Grants full access to manage all resources, including the "
                                             "ability to assign roles in Azure RBAC.", ["*"], [], []),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor", "Grants full access to manage all resources, but does not allow you to assign roles in Azure "
        "RBAC, manage assignments in Azure Blueprints, or share image galleries.", ["*"],
        ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
         "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
         "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
         "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete"], []),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", "View all resources, but does not allow you to make any "
                                             "changes.", ["*/read"], [], []),
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": (
        "Storage Blob Data Contributor", "Allows for read, write and delete access to Azure Storage blob containers "
        "and data", ["Microsoft.Storage/storageAccounts/blobServices/containers/delete",
                     "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                     "Microsoft.Storage/storageAccounts/blobServices/containers/write",
                     "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"], [],
        ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
         "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
         "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
         "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
         "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action"]),
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": (
        "Storage Blob Data Owner", "Allows for full access to Azure Storage blob containers and data, including "
        "assigning POSIX access control.", ["Microsoft.Storage/storageAccounts/blobServices/containers/*",
                                            "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"],
        [], ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"]),
    # Microsoft Docs articles/role-based-access-control/built-in-roles/management-and-governance.md
    "6670b86e-a3f7-4917-ac9b-5d6ab1be4567": ("Site Recovery Contributor", "Lets you manage Site Recovery service "
                                             "except vault creation and role assignment",
                                             ["Microsoft.RecoveryServices/vaults/*"], [], []),
    "494ae006-db33-4328-bf46-533a6560a3ca": ("Site Recovery Operator", "Lets you failover and failback but not "
                                             "perform other Site Recovery management operations",
                                             ["Microsoft.RecoveryServices/vaults/*/read"], [], []),
    "dbaa88c4-0c30-4179-9fb3-46319faa6149": ("Site Recovery Reader", "Lets you view Site Recovery status but not "
                                             "perform other management operations",
                                             ["Microsoft.RecoveryServices/vaults/*/read"], [], []),
}


class ScopeRoute(Route):
    """A route at any scope: `{scope}/providers/Microsoft.Authorization/<collection>[/{name}]`."""

    def __init__(self, methods, collection, named, handler, rtype, api_versions):
        tail = ["providers", "Microsoft.Authorization", collection] + (["{name}"] if named else [])
        super().__init__(methods, "/{scope}/" + "/".join(tail), handler, rtype, api_versions)
        self.tail = tail

    def match(self, parts):
        n = len(self.tail)
        if len(parts) < n:
            return None
        scope, rest = parts[:-n], parts[-n:]
        params = {}
        for seg, part in zip(self.tail, rest):
            if seg == "{name}":
                params["name"] = part
            elif seg.lower() != part.lower():
                return None
        params["scope"] = "/" + "/".join(scope) if scope else ""
        return params


def _scope_route(methods, collection, named, rtype, versions):
    def deco(fn):
        ROUTER.routes.append(ScopeRoute(methods if isinstance(methods, list) else [methods], collection, named, fn,
                                        rtype, versions))
        return fn
    return deco


def _scope_sub_rg(scope):
    parts = [p for p in scope.split("/") if p]
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        raise ArmError(400, "InvalidScope" if parts else "MissingSubscription",
                       f"The scope '{scope}' is not supported: role assignments here are made at a subscription, "
                       "a resource group or a resource.")
    rg = parts[3] if len(parts) >= 4 and parts[2].lower() == "resourcegroups" else None
    return parts[1], rg, parts


def _require_scope(ctx, scope):
    sub, rg, parts = _scope_sub_rg(scope)
    if sub.lower() not in [s.lower() for s in ctx.sim.identity[ctx.cloud]["subscriptions"]]:
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    if rg is not None:
        require_rg(ctx, sub, rg)
    if len(parts) > 4 and ctx.store.get_resource(ctx.cloud, scope) is None:
        raise ArmError(404, "ResourceNotFound", f"The Resource '{'/'.join(parts[5:])}' under resource group '{rg}' "
                                                "was not found. For more details please go to "
                                                "https://aka.ms/ARMResourceNotFoundFix")
    return sub, rg


def _role_guid(role_definition_id):
    return (role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


def role_definition_body(scope, guid):
    name, description, actions, not_actions, data_actions = BUILTIN_ROLES[guid]
    sub = scope.split("/")[2] if scope.lower().startswith("/subscriptions/") else None
    prefix = f"/subscriptions/{sub}" if sub else ""
    return {"id": f"{prefix}/providers/{RD_TYPE}/{guid}", "type": RD_TYPE, "name": guid,
            "properties": {"roleName": name, "type": "BuiltInRole", "description": description,
                           "assignableScopes": ["/"],
                           "permissions": [{"actions": actions, "notActions": not_actions, "dataActions": data_actions,
                                            "notDataActions": []}],
                           "createdOn": "2015-02-02T21:55:09.8806423Z", "updatedOn": "2024-01-01T00:00:00.0000000Z",
                           "createdBy": None, "updatedBy": None}}


@_scope_route("GET", "roleDefinitions", True, RD_TYPE, RD_VERSIONS)
def get_role_definition(ctx, req, p):
    guid = p["name"].lower()
    if guid not in BUILTIN_ROLES:
        raise ArmError(404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{p['name']}' does "
                                                          "not exist.")
    return Response(200, role_definition_body(p["scope"], guid))


@_scope_route("GET", "roleDefinitions", False, RD_TYPE, RD_VERSIONS)
def list_role_definitions(ctx, req, p):
    """`$filter=roleName eq '<name>'` or `type eq 'BuiltInRole'`; every role is built in here."""
    flt = req.query.get("$filter") or ""
    wanted = re.search(r"roleName\s+eq\s+'([^']*)'", flt, re.IGNORECASE)
    values = [role_definition_body(p["scope"], g) for g in BUILTIN_ROLES
              if not wanted or BUILTIN_ROLES[g][0].lower() == wanted.group(1).lower()]
    return ctx.page(values)


def _assignment_id(scope, name):
    return f"{scope}/providers/{RA_TYPE}/{name}"


@_scope_route("PUT", "roleAssignments", True, RA_TYPE, RA_VERSIONS)
def create_role_assignment(ctx, req, p):
    scope, name = p["scope"], p["name"]
    if not GUID.match(name):
        raise ArmError(400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid. The role "
                                                       "assignment ID must be a GUID.")
    sub, rg = _require_scope(ctx, scope)
    props = (req.json() or {}).get("properties") or {}
    principal, role_id = props.get("principalId"), props.get("roleDefinitionId")
    if not principal or not role_id:
        raise ArmError(400, "InvalidRequestContent", "The request content was invalid: properties.principalId and "
                                                     "properties.roleDefinitionId are required.")
    guid = _role_guid(role_id)
    if guid not in BUILTIN_ROLES:
        raise ArmError(400, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not "
                                                          "exist.")
    rid = _assignment_id(scope, name)
    existing = ctx.store.get_resource(ctx.cloud, rid)
    same = (principal.lower(), guid)
    if existing is not None:
        ep = existing["properties"]
        if (ep["principalId"].lower(), _role_guid(ep["roleDefinitionId"])) != same:
            raise ArmError(400, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and "
                                                                    "scope are not allowed to be updated.")
        return Response(200, existing)
    for other in ctx.store.list_resources(ctx.cloud, RA_TYPE, sub):
        op = other["properties"]
        if op["scope"].lower() == scope.lower() and (op["principalId"].lower(), _role_guid(op["roleDefinitionId"])) == same:
            raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
    now = iso(time.time())
    claims = getattr(req, "claims", None) or {}
    body = {"id": rid, "type": RA_TYPE, "name": name,
            "properties": {"roleDefinitionId": f"/subscriptions/{sub}/providers/{RD_TYPE}/{guid}",
                           "principalId": principal, "principalType": props.get("principalType") or "ServicePrincipal",
                           "scope": scope, "condition": props.get("condition"),
                           "conditionVersion": props.get("conditionVersion"), "description": props.get("description"),
                           "createdOn": now, "updatedOn": now, "createdBy": claims.get("oid"),
                           "updatedBy": claims.get("oid"), "delegatedManagedIdentityResourceId": None}}
    ctx.store.put_resource(ctx.cloud, rid, RA_TYPE, sub, rg, body)
    return Response(201, body)


def _load_assignment(ctx, p):
    _scope_sub_rg(p["scope"])
    return ctx.store.get_resource(ctx.cloud, _assignment_id(p["scope"], p["name"]))


@_scope_route("GET", "roleAssignments", True, RA_TYPE, RA_VERSIONS)
def get_role_assignment(ctx, req, p):
    body = _load_assignment(ctx, p)
    if body is None:
        raise ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{p['name']}' is not found.")
    return Response(200, body)


@_scope_route("DELETE", "roleAssignments", True, RA_TYPE, RA_VERSIONS)
def delete_role_assignment(ctx, req, p):
    body = _load_assignment(ctx, p)
    if body is None:
        return Response(204, b"")
    ctx.store.delete_resource(ctx.cloud, body["id"], children=False)
    return Response(200, body)


@_scope_route("GET", "roleAssignments", False, RA_TYPE, RA_VERSIONS)
def list_role_assignments(ctx, req, p):
    """At, above and below the scope; `$filter=atScope()` at or above it only; `principalId eq '<id>'` or
    `assignedTo('<id>')` one principal's."""
    scope = p["scope"]
    sub, _rg = _require_scope(ctx, scope)
    flt = req.query.get("$filter") or ""
    at_scope = "atscope()" in flt.lower()
    who = re.search(r"(?:principalId\s+eq\s+'([^']*)')|(?:assignedTo\('([^']*)'\))", flt, re.IGNORECASE)
    principal = (who.group(1) or who.group(2)).lower() if who else None
    values = []
    for body in ctx.store.list_resources(ctx.cloud, RA_TYPE, sub):
        a_scope = body["properties"]["scope"]
        if not (_contains(a_scope, scope) or (not at_scope and _contains(scope, a_scope))):
            continue
        if principal and body["properties"]["principalId"].lower() != principal:
            continue
        values.append(body)
    return ctx.page(values)


REQUEST_CHECKS.append(enforce)
