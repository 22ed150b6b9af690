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
