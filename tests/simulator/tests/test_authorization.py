"""Microsoft.Authorization permissions through azure-mgmt-authorization, and their enforcement on ARM requests."""
import pytest
from azure.core.exceptions import HttpResponseError

from simhelpers import client_kwargs, credential

RG = "rg-landing-eastus"


@pytest.fixture
def public(ep, admin):
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.network import NetworkManagementClient
    p = ep["clouds"]["public"]
    sub = p["subscription_id"]
    cred, kw = credential(ep, "public"), client_kwargs(ep, "public")
    yield (sub, AuthorizationManagementClient(cred, sub, **kw), NetworkManagementClient(cred, sub, polling_interval=0, **kw))
    admin.set_permissions("public", None)


def test_default_is_owner_of_the_subscription(public):
    _sub, authz, _net = public
    perms = list(authz.permissions.list_for_resource_group(RG))
    assert [(p.actions, p.not_actions, p.data_actions) for p in perms] == [(["*"], [], [])]


def test_permissions_at_a_scope_are_the_assignments_at_or_above_it(public, admin):
    sub, authz, _net = public
    rg_scope = f"/subscriptions/{sub}/resourceGroups/{RG}"
    vault_scope = rg_scope + "/providers/Microsoft.RecoveryServices/vaults/rsv-x"
    admin.set_permissions("public", [
        {"scope": f"/subscriptions/{sub}", "actions": ["*/read"]},
        {"scope": rg_scope, "actions": ["Microsoft.Compute/*"], "notActions": ["Microsoft.Compute/*/delete"]},
        {"scope": vault_scope, "actions": ["Microsoft.RecoveryServices/*"]},
        {"scope": f"/subscriptions/{sub}/resourceGroups/rg-other", "actions": ["*"]},
    ])
    on_rg = list(authz.permissions.list_for_resource_group(RG))
    assert sorted(a for p in on_rg for a in p.actions) == ["*/read", "Microsoft.Compute/*"]
    assert [p.not_actions for p in on_rg if "Microsoft.Compute/*" in p.actions] == [["Microsoft.Compute/*/delete"]]
    on_vault = list(authz.permissions.list_for_resource(RG, "Microsoft.RecoveryServices", "", "vaults", "rsv-x"))
    assert sorted(a for p in on_vault for a in p.actions) == ["*/read", "Microsoft.Compute/*", "Microsoft.RecoveryServices/*"]


def test_a_write_without_permission_is_refused_as_arm_does(public, admin):
    sub, _authz, net = public
    admin.set_permissions("public", [{"scope": f"/subscriptions/{sub}", "actions": ["*/read"]}])
    assert net.virtual_networks.get(RG, "vnet-landing-eastus").name == "vnet-landing-eastus"  # reads still work
    with pytest.raises(HttpResponseError) as err:
        net.network_security_groups.begin_create_or_update(RG, "nsg-denied", {"location": "eastus"}).result()
    assert err.value.status_code == 403 and err.value.error.code == "AuthorizationFailed"
    assert "'Microsoft.Network/networkSecurityGroups/write' over scope " \
           f"'/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-denied'" \
           in err.value.error.message
    with pytest.raises(HttpResponseError):
        net.network_security_groups.get(RG, "nsg-denied")  # nothing was created


def test_operation_names():
    from azsim.providers.authorization import granted, operation_of
    item = ("subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/replicationFabrics/f/"
            "replicationProtectionContainers/c/replicationProtectedItems/i/unplannedFailover").split("/")
    op, scope = operation_of("POST", item)
    assert op == ("Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/"
                  "replicationProtectedItems/unplannedFailover/action")
    assert scope == "/" + "/".join(item[:-1])
    assert operation_of("GET", "subscriptions/s/resourcegroups/rg".split("/")) == \
        ("Microsoft.Resources/subscriptions/resourcegroups/read", "/subscriptions/s/resourcegroups/rg")
    assert operation_of("GET", "subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines".split("/"))[0] \
        == "Microsoft.Compute/virtualMachines/read"
    grant = [{"scope": "/subscriptions/s", "actions": ["Microsoft.Compute/*"], "notActions": ["*/delete"]}]
    assert granted(grant, "/subscriptions/s/resourceGroups/rg", "microsoft.compute/virtualMachines/write")
    assert not granted(grant, "/subscriptions/s/resourceGroups/rg", "Microsoft.Compute/virtualMachines/delete")
    assert not granted(grant, "/subscriptions/s2", "Microsoft.Compute/virtualMachines/write")


# -- role assignments and built-in role definitions -------------------------------------------------------------
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"


@pytest.fixture
def account_scope(ep, public):
    from azure.mgmt.storage import StorageManagementClient
    sub = public[0]
    sa = StorageManagementClient(credential(ep, "public"), sub, polling_interval=0, **client_kwargs(ep, "public"))
    sa.storage_accounts.begin_create(RG, "stauthzscope", {"location": "eastus", "sku": {"name": "Standard_LRS"},
                                                          "kind": "StorageV2"}).result()
    yield f"/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/stauthzscope", sa
    sa.storage_accounts.delete(RG, "stauthzscope")


def assignment(sub, role, principal):
    return {"properties": {"roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}",
                           "principalId": principal, "principalType": "ServicePrincipal"}}


def test_built_in_role_definitions_by_their_well_known_ids(public):
    sub, authz, _net = public
    role = authz.role_definitions.get(f"/subscriptions/{sub}", BLOB_DATA_OWNER)
    assert role.role_name == "Storage Blob Data Owner" and role.role_type == "BuiltInRole"
    assert role.id == f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{BLOB_DATA_OWNER}"
    assert [r.name for r in authz.role_definitions.list(f"/subscriptions/{sub}", filter="roleName eq 'Contributor'")] \
        == [CONTRIBUTOR]
    with pytest.raises(HttpResponseError) as err:
        authz.role_definitions.get(f"/subscriptions/{sub}", "00000000-0000-0000-0000-00000000dead")
    assert err.value.status_code == 404


def test_role_assignment_at_a_resource_scope_is_created_once(public, account_scope, admin):
    import uuid
    sub, authz, _net = public
    scope, _sa = account_scope
    principal, name = str(uuid.uuid4()), str(uuid.uuid4())
    since = admin.requests()[-1]["id"]
    made = authz.role_assignments.create(scope, name, assignment(sub, CONTRIBUTOR, principal))
    again = authz.role_assignments.create(scope, name, assignment(sub, CONTRIBUTOR, principal))
    assert [r["status"] for r in admin.requests(since=since, method="PUT")] == [201, 200]
    assert made.id == again.id == f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    assert (made.principal_id, made.scope, made.principal_type) == (principal, scope, "ServicePrincipal")
    assert made.role_definition_id.endswith("/roleDefinitions/" + CONTRIBUTOR)
    with pytest.raises(HttpResponseError) as err:  # the same principal, role and scope under another name
        authz.role_assignments.create(scope, str(uuid.uuid4()), assignment(sub, CONTRIBUTOR, principal))
    assert err.value.status_code == 409 and err.value.error.code == "RoleAssignmentExists"
    other_role = authz.role_assignments.create(scope, str(uuid.uuid4()), assignment(sub, BLOB_DATA_OWNER, principal))
    mine = [a.name for a in authz.role_assignments.list_for_scope(scope, filter=f"principalId eq '{principal}'")]
    assert sorted(mine) == sorted([name, other_role.name])
    assert authz.role_assignments.get(scope, name).principal_id == principal
    # listed from the resource group (below it) but not with atScope() there
    rg_scope = f"/subscriptions/{sub}/resourceGroups/{RG}"
    assert name in [a.name for a in authz.role_assignments.list_for_scope(rg_scope)]
    assert name not in [a.name for a in authz.role_assignments.list_for_scope(rg_scope, filter="atScope()")]
    since = admin.requests()[-1]["id"]
    authz.role_assignments.delete(scope, name)
    authz.role_assignments.delete(scope, name)
    assert [r["status"] for r in admin.requests(since=since, method="DELETE")] == [200, 204]
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.get(scope, name)
    assert err.value.status_code == 404


def test_role_assignment_refusals(public, account_scope):
    import uuid
    sub, authz, _net = public
    scope, _sa = account_scope
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(scope, "not-a-guid", assignment(sub, CONTRIBUTOR, str(uuid.uuid4())))
    assert err.value.status_code == 400 and err.value.error.code == "InvalidRoleAssignmentId"
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(scope, str(uuid.uuid4()), assignment(sub, "00000000-0000-0000-0000-00000000dead",
                                                                           str(uuid.uuid4())))
    assert err.value.status_code == 400 and err.value.error.code == "RoleDefinitionDoesNotExist"
    with pytest.raises(HttpResponseError) as err:
        authz.role_assignments.create(scope.replace("stauthzscope", "stnosuchaccount"), str(uuid.uuid4()),
                                      assignment(sub, CONTRIBUTOR, str(uuid.uuid4())))
    assert err.value.status_code == 404


def test_deleting_the_account_takes_its_role_assignments(public, account_scope):
    import uuid
    sub, authz, _net = public
    scope, sa = account_scope
    name = str(uuid.uuid4())
    authz.role_assignments.create(scope, name, assignment(sub, CONTRIBUTOR, str(uuid.uuid4())))
    sa.storage_accounts.delete(RG, "stauthzscope")
    rg_scope = f"/subscriptions/{sub}/resourceGroups/{RG}"
    assert name not in [a.name for a in authz.role_assignments.list_for_scope(rg_scope)]
