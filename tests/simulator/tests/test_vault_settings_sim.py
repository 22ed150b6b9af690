"""Vault settings the relocation article lists: vault properties, backupconfig/vaultconfig,
backupstorageconfig/vaultstorageconfig, private endpoint connections and Microsoft.Insights/diagnosticSettings."""
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest

from simhelpers import client_kwargs, clients, credential

GOV_VAULT, GOV_RG = "rsv-backup-gov", "rg-app-gov"
RG, VAULT = "rg-vs-selftest", "rsv-vs-selftest"
DS_VERSION = {"api-version": "2021-05-01-preview"}


def backup_client(ep, cloud):
    from azure.mgmt.recoveryservicesbackup import RecoveryServicesBackupClient
    return RecoveryServicesBackupClient(credential(ep, cloud), ep["clouds"][cloud]["subscription_id"],
                                        **client_kwargs(ep, cloud, polling_interval=0))


@pytest.fixture(scope="module")
def gov(ep):
    rm, rs = clients(ep, "gov", polling_interval=0)
    return rm, rs, backup_client(ep, "gov")


@pytest.fixture(scope="module")
def public(ep):
    rm, rs = clients(ep, "public", polling_interval=0)
    rm.resource_groups.create_or_update(RG, {"location": "eastus"})
    rs.vaults.begin_create_or_update(RG, VAULT, {"location": "eastus", "sku": {"name": "Standard"},
                                                 "properties": {"publicNetworkAccess": "Enabled"}}).result()
    return rm, rs, backup_client(ep, "public")


def send(rm, method, url, body=None):
    return rm.send_request(HttpRequest(method, url, params=DS_VERSION, json=body))


def test_seeded_gov_vault_has_non_default_settings(gov):
    _rm, rs, bk = gov
    props = rs.vaults.get(GOV_RG, GOV_VAULT).as_dict()["properties"]
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["privateEndpointStateForBackup"] == "Enabled"
    [conn] = props["privateEndpointConnections"]
    assert conn["properties"]["groupIds"] == ["AzureBackup"]
    assert conn["properties"]["privateEndpoint"]["id"].endswith("/privateEndpoints/pe-rsv-backup-gov")
    assert props["monitoringSettings"]["classicAlertSettings"]["alertsForCriticalOperations"] == "Disabled"
    assert props["securitySettings"]["immutabilitySettings"]["state"] == "Unlocked"

    config = bk.backup_resource_vault_configs.get(GOV_VAULT, GOV_RG).as_dict()["properties"]
    assert config["softDeleteFeatureState"] == "Enabled" and config["softDeleteRetentionPeriodInDays"] == 30
    assert config["enhancedSecurityState"] == "Enabled"
    storage = bk.backup_resource_storage_configs_non_crr.get(GOV_VAULT, GOV_RG).as_dict()["properties"]
    assert storage["storageModelType"] == "GeoRedundant" and storage["crossRegionRestoreFlag"] is True
    assert storage["storageTypeState"] == "Locked"  # it protects seeded VMs

    pec = bk.private_endpoint_connection.get(GOV_VAULT, GOV_RG, conn["name"]).as_dict()
    assert pec["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    with pytest.raises(ResourceNotFoundError):
        bk.private_endpoint_connection.get(GOV_VAULT, GOV_RG, "nope")


def test_redundancy_is_locked_once_items_are_protected(gov):
    _rm, rs, bk = gov
    with pytest.raises(HttpResponseError) as exc:
        bk.backup_resource_storage_configs_non_crr.patch(GOV_VAULT, GOV_RG,
                                                         {"properties": {"storageModelType": "LocallyRedundant"}})
    assert exc.value.error.code == "StorageModelModifyError"
    with pytest.raises(HttpResponseError) as exc:
        rs.vaults.begin_update(GOV_RG, GOV_VAULT, {"properties": {"redundancySettings": {
            "standardTierStorageRedundancy": "LocallyRedundant"}}}).result()
    assert exc.value.error.code == "StorageModelModifyError"
    storage = bk.backup_resource_storage_configs_non_crr.get(GOV_VAULT, GOV_RG).as_dict()["properties"]
    assert storage["storageModelType"] == "GeoRedundant"


def test_empty_vault_takes_storage_and_soft_delete_changes(public):
    _rm, rs, bk = public
    bk.backup_resource_storage_configs_non_crr.patch(VAULT, RG, {"properties": {"storageModelType": "LocallyRedundant"}})
    storage = bk.backup_resource_storage_configs_non_crr.get(VAULT, RG).as_dict()["properties"]
    assert storage["storageModelType"] == "LocallyRedundant" and storage["storageTypeState"] == "Unlocked"
    assert rs.vaults.get(RG, VAULT).as_dict()["properties"]["redundancySettings"]["standardTierStorageRedundancy"] == \
        "LocallyRedundant"
    with pytest.raises(HttpResponseError) as exc:  # cross region restore needs geo-redundant storage
        bk.backup_resource_storage_configs_non_crr.patch(VAULT, RG, {"properties": {"crossRegionRestoreFlag": True}})
    assert exc.value.status_code == 400
    bk.backup_resource_storage_configs_non_crr.patch(VAULT, RG, {"properties": {"storageModelType": "GeoRedundant",
                                                                                "crossRegionRestoreFlag": True}})
    assert bk.backup_resource_storage_configs_non_crr.get(VAULT, RG).as_dict()["properties"]["crossRegionRestoreFlag"]

    out = bk.backup_resource_vault_configs.update(VAULT, RG, {"properties": {"softDeleteRetentionPeriodInDays": 21,
                                                                             "enhancedSecurityState": "Disabled"}})
    assert out.as_dict()["properties"]["softDeleteRetentionPeriodInDays"] == 21
    soft = rs.vaults.get(RG, VAULT).as_dict()["properties"]["securitySettings"]["softDeleteSettings"]
    assert soft["softDeleteRetentionPeriodInDays"] == 21 and soft["enhancedSecurityState"] == "Disabled"
    with pytest.raises(HttpResponseError):
        bk.backup_resource_vault_configs.update(VAULT, RG, {"properties": {"softDeleteRetentionPeriodInDays": 2}})


def test_diagnostic_settings_on_a_vault(gov, public, ep):
    rm_gov, rs_gov, _bk = gov
    gov_vault = rs_gov.vaults.get(GOV_RG, GOV_VAULT).id
    listed = send(rm_gov, "GET", gov_vault + "/providers/Microsoft.Insights/diagnosticSettings").json()["value"]
    assert sorted(d["name"] for d in listed) == ["diag-to-storage", "diag-to-workspace"]
    [ws] = [d for d in listed if d["name"] == "diag-to-workspace"]
    assert ws["properties"]["workspaceId"].startswith("/subscriptions/%s/" % ep["clouds"]["gov"]["subscription_id"])

    rm, rs, _bk = public
    vault = rs.vaults.get(RG, VAULT).id
    url = vault + "/providers/Microsoft.Insights/diagnosticSettings/diag1"
    assert send(rm, "GET", url).status_code == 404
    missing_sa = {"properties": {"storageAccountId": vault.split("/providers/")[0] +
                                 "/providers/Microsoft.Storage/storageAccounts/nosuch",
                                 "logs": [{"categoryGroup": "allLogs", "enabled": True}]}}
    assert send(rm, "PUT", url, missing_sa).status_code == 400
    assert send(rm, "PUT", url, {"properties": {"logs": []}}).status_code == 400
    sub = ep["clouds"]["public"]["subscription_id"]
    body = {"properties": {"workspaceId": "/subscriptions/%s/resourceGroups/%s/providers/"
                                          "Microsoft.OperationalInsights/workspaces/log1" % (sub, RG),
                           "logs": [{"category": "CoreAzureBackup", "enabled": True}]}}
    put = send(rm, "PUT", url, body)
    assert put.status_code == 200 and put.json()["type"] == "Microsoft.Insights/diagnosticSettings"
    assert send(rm, "GET", url).json()["properties"]["logs"] == [{"category": "CoreAzureBackup", "enabled": True}]
    assert [d["name"] for d in send(rm, "GET", vault + "/providers/Microsoft.Insights/diagnosticSettings")
            .json()["value"]] == ["diag1"]
    assert send(rm, "DELETE", url).status_code == 200
    assert send(rm, "DELETE", url).status_code == 204
    assert send(rm, "GET", vault + "/providers/Microsoft.Insights/diagnosticSettings").json()["value"] == []
