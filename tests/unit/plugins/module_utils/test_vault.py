import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _vault as vault


class Done:
    def __init__(self, value=None):
        self.value = value

    def wait(self, timeout=None):
        pass

    def done(self):
        return True

    def status(self):
        return "Succeeded"

    def result(self):
        return self.value


class FakeVaults:
    """An in-memory vaults API that counts writes."""

    def __init__(self):
        self.store = {}
        self.writes = []

    def get(self, rg, name):
        from azure.core.exceptions import ResourceNotFoundError

        if (rg, name) not in self.store:
            raise ResourceNotFoundError("not found")
        return self.store[(rg, name)]

    def begin_create_or_update(self, rg, name, body):
        self.writes.append(("put", name, body))
        self.store[(rg, name)] = {
            "id": "/subscriptions/s/resourceGroups/%s/providers/Microsoft.RecoveryServices/vaults/%s" % (rg, name),
            "name": name, "location": body["location"], "tags": body["tags"],
            "sku": {"name": "RS0", "tier": "Standard"},
            "identity": {"type": body["identity"]["type"], "principalId": "p", "tenantId": "t"},
            "properties": dict(body["properties"], provisioningState="Succeeded"),
        }
        return Done()

    def begin_update(self, rg, name, body):
        self.writes.append(("patch", name, body))
        current = self.store[(rg, name)]
        if "tags" in body:
            current["tags"] = body["tags"]
        props = body.get("properties", {})
        if "redundancySettings" in props:
            current["properties"]["redundancySettings"].update(props["redundancySettings"])
        return Done()

    def begin_delete(self, rg, name):
        self.writes.append(("delete", name, None))
        del self.store[(rg, name)]
        return Done()


class FakeClient:
    def __init__(self):
        self.vaults = FakeVaults()


def spec(**kw):
    base = dict(name="v1", resource_group="rg", location="East US")
    base.update(kw)
    return vault.VaultSpec(**base)


def test_create_once_then_no_change():
    client = FakeClient()
    changed, before, after, facts = vault.VaultManager(client).present(spec(tags={"a": "1"}))
    assert changed and before == {} and facts["location"] == "eastus" and facts["tags"] == {"a": "1"}
    assert facts["storage_redundancy"] == "GeoRedundant" and facts["identity"]["type"] == "SystemAssigned"
    changed = vault.VaultManager(client).present(spec(tags={"a": "1"}))[0]
    assert not changed
    assert [w[0] for w in client.vaults.writes] == ["put"]


def test_check_mode_changes_nothing_but_predicts():
    client = FakeClient()
    changed, before, after, facts = vault.VaultManager(client, check_mode=True).present(spec())
    assert changed and facts is None and after["location"] == "eastus"
    assert client.vaults.writes == [] and client.vaults.store == {}


def test_update_sends_only_what_changes():
    client = FakeClient()
    vault.VaultManager(client).present(spec(tags={"a": "1"}))
    changed, before, after, facts = vault.VaultManager(client).present(spec(tags={"b": "2"}, storage_redundancy="LocallyRedundant"))
    assert changed
    kind, _name, body = client.vaults.writes[-1]
    assert kind == "patch"
    assert body == {"tags": {"a": "1", "b": "2"}, "properties": {"redundancySettings": {"standardTierStorageRedundancy": "LocallyRedundant"}}}
    assert facts["storage_redundancy"] == "LocallyRedundant"


def test_purge_tags():
    client = FakeClient()
    vault.VaultManager(client).present(spec(tags={"a": "1"}))
    vault.VaultManager(client).present(spec(tags={"b": "2"}, purge_tags=True))
    assert client.vaults.store[("rg", "v1")]["tags"] == {"b": "2"}


def test_refuses_the_source_region_before_any_write():
    client = FakeClient()
    with pytest.raises(ValueError, match="source region"):
        vault.VaultManager(client).present(spec(location="US Gov Virginia", source_region="usgovvirginia"))
    assert client.vaults.writes == []


def test_refuses_to_move_an_existing_vault():
    client = FakeClient()
    vault.VaultManager(client).present(spec())
    with pytest.raises(ValueError, match="cannot move"):
        vault.VaultManager(client).present(spec(location="westus"))


def test_location_needed_to_create():
    with pytest.raises(ValueError, match="location is required"):
        vault.VaultManager(FakeClient()).present(spec(location=None))


def test_absent_twice():
    client = FakeClient()
    vault.VaultManager(client).present(spec())
    assert vault.VaultManager(client, check_mode=True).absent("rg", "v1")[0] is True
    assert ("rg", "v1") in client.vaults.store
    assert vault.VaultManager(client).absent("rg", "v1")[0] is True
    assert vault.VaultManager(client).absent("rg", "v1")[0] is False
    assert [w[0] for w in client.vaults.writes] == ["put", "delete"]


@pytest.mark.parametrize("a, b", [("US Gov Virginia", "usgovvirginia"), ("East US 2", "eastus2"), ("west-europe", "westeurope")])
def test_region_spellings(a, b):
    assert vault.normalize_region(a) == vault.normalize_region(b)


@pytest.mark.parametrize("name", ["rv", "rsv-move-eastus", "R2-d2", "a" * 50])
def test_names_azure_takes_for_a_vault(name):
    assert vault.vault_name_problem(name) is None


@pytest.mark.parametrize("name", ["r", "a" * 51, "rsv bad!", "2rsv", "-rsv", "rsv_move", "rsv.move", ""])
def test_names_azure_refuses_for_a_vault_are_refused_naming_them(name):
    assert vault.vault_name_problem(name) == (
        "Vault name %r is not valid: a Recovery Services vault name has 2 to 50 letters, digits and hyphens, and starts with a letter." % name)
