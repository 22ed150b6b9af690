import copy

from ansible_collections.azmove.site_recovery.plugins.module_utils import _vault_settings as vs

GOV_SUB, PUB_SUB = "/subscriptions/1111", "/subscriptions/2222"
OLD_WS = GOV_SUB + "/resourceGroups/rg-app-gov/providers/Microsoft.OperationalInsights/workspaces/log-app-gov"
NEW_WS = PUB_SUB + "/resourceGroups/rg-landing/providers/Microsoft.OperationalInsights/workspaces/log-app-eastus"
OLD_SA = GOV_SUB + "/resourceGroups/rg-app-gov/providers/Microsoft.Storage/storageAccounts/stdiaggov"
NEW_VAULT_ID = PUB_SUB + "/resourceGroups/rg-t/providers/Microsoft.RecoveryServices/vaults/rsv-new"


def vault(public="Enabled", job_alerts="Enabled", classic="Enabled", immutability="Disabled", pecs=None):
    return {"id": NEW_VAULT_ID, "name": "rsv", "properties": {
        "publicNetworkAccess": public,
        "monitoringSettings": {
            "azureMonitorAlertSettings": {"alertsForAllJobFailures": job_alerts, "alertsForAllReplicationIssues": "Enabled",
                                          "alertsForAllFailoverIssues": "Enabled"},
            "classicAlertSettings": {"alertsForCriticalOperations": classic, "emailNotificationsForSiteRecovery": "Enabled"}},
        "securitySettings": {"immutabilitySettings": {"state": immutability}},
        "privateEndpointConnections": pecs or []}}


def pec(name, group="AzureBackup", status="Approved"):
    return {"id": "x/privateEndpointConnections/" + name, "name": name, "properties": {
        "privateEndpoint": {"id": GOV_SUB + "/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/" + name},
        "groupIds": [group], "privateLinkServiceConnectionState": {"status": status}}}


def vault_config(state="Enabled", days=14, enhanced="Enabled"):
    return {"properties": {"softDeleteFeatureState": state, "softDeleteRetentionPeriodInDays": days,
                           "enhancedSecurityState": enhanced, "isSoftDeleteFeatureStateEditable": True}}


def storage(kind="GeoRedundant", crr=False, locked=False):
    return {"properties": {"storageModelType": kind, "storageType": kind, "crossRegionRestoreFlag": crr,
                           "storageTypeState": "Locked" if locked else "Unlocked"}}


def diag(name, **props):
    props.setdefault("logs", [{"category": "CoreAzureBackup", "enabled": True}])
    props.setdefault("metrics", [])
    return {"id": "x/providers/Microsoft.Insights/diagnosticSettings/" + name, "name": name, "properties": props}


def side(v, vc=None, sc=None, ds=None):
    return {"vault": v, "vault_config": vc or vault_config(), "storage_config": sc or storage(), "diagnostic_settings": ds or []}


OLD = side(vault(public="Disabled", classic="Disabled", immutability="Unlocked", pecs=[pec("pe-gov")]),
           vault_config(days=30), storage(crr=True, locked=True),
           [diag("diag-ws", workspaceId=OLD_WS, logAnalyticsDestinationType="Dedicated"),
            diag("diag-sa", storageAccountId=OLD_SA)])


def test_settings_default_to_all_minus_excluded():
    assert vs.chosen_settings(None, []) == list(vs.SETTINGS)
    assert vs.chosen_settings(None, ["storage_redundancy", "private_endpoints"]) == [
        "network_access", "alerts", "diagnostic_settings", "soft_delete", "immutability"]
    assert vs.chosen_settings(["soft_delete", "alerts"], ["alerts"]) == ["soft_delete"]


def test_a_fresh_vault_gets_every_difference_in_one_write_per_resource():
    plan = vs.make_plan(OLD, side(vault()), vs.SETTINGS, {OLD_WS: NEW_WS})
    assert plan.writes["vault"] == {"properties": {
        "publicNetworkAccess": "Disabled",
        "monitoringSettings": vs.alerts(OLD["vault"]),
        "securitySettings": {"immutabilitySettings": {"state": "Unlocked"}}}}
    assert plan.writes["vault_config"] == {"properties": {"softDeleteFeatureState": "Enabled",
                                                          "softDeleteRetentionPeriodInDays": 30,
                                                          "enhancedSecurityState": "Enabled"}}
    assert plan.writes["storage_config"] == {"properties": {"storageModelType": "GeoRedundant",
                                                            "crossRegionRestoreFlag": True}}
    assert plan.writes["diagnostic:diag-ws"]["properties"]["workspaceId"] == NEW_WS
    assert plan.writes["diagnostic:diag-ws"]["properties"]["logAnalyticsDestinationType"] == "Dedicated"
    assert "diagnostic:diag-sa" not in plan.writes
    assert plan.carried["network_access"] == {"before": {"publicNetworkAccess": "Enabled"},
                                              "after": {"publicNetworkAccess": "Disabled"}, "changed": True}
    assert plan.carried["storage_redundancy"]["changed"] is True
    assert vs.ordered_writes(plan.writes)[:3] == ["storage_config", "vault_config", "vault"]


def test_not_carried_names_the_private_endpoint_and_the_unmapped_diagnostic_destination():
    plan = vs.make_plan(OLD, side(vault()), vs.SETTINGS, {OLD_WS: NEW_WS}, target_name="rsv-new")
    by = {(n["setting"], n["item"]): n for n in plan.not_carried}
    assert set(by) == {("private_endpoints", "pe-gov"), ("diagnostic_settings", "diag-sa")}
    pe = by[("private_endpoints", "pe-gov")]
    assert "cannot move" in pe["reason"] and "AzureBackup" in pe["reason"]
    assert "rsv-new" in pe["what_to_do"]
    assert OLD_SA in by[("diagnostic_settings", "diag-sa")]["reason"]
    assert "diagnostic_destinations" in by[("diagnostic_settings", "diag-sa")]["what_to_do"]


def test_a_vault_with_the_same_settings_needs_no_write():
    new = copy.deepcopy(OLD)
    new["vault"]["properties"]["privateEndpointConnections"] = [pec("pe-eastus")]
    new["storage_config"] = storage(crr=True, locked=True)
    new["diagnostic_settings"] = [diag("diag-ws", workspaceId=NEW_WS.upper(), logAnalyticsDestinationType="Dedicated")]
    plan = vs.make_plan(OLD, new, vs.SETTINGS, {OLD_WS.upper(): NEW_WS})
    assert plan.writes == {} and plan.changed is False
    assert all(not c["changed"] for c in plan.carried.values())
    # the target has an approved endpoint for the same sub-resource: nothing left to report for it
    assert [n["item"] for n in plan.not_carried] == ["diag-sa"]


def test_only_the_chosen_settings_are_planned():
    plan = vs.make_plan(OLD, side(vault()), ["soft_delete"])
    assert set(plan.carried) == {"soft_delete"} and set(plan.writes) == {"vault_config"}
    assert plan.not_carried == []


def test_storage_redundancy_of_a_vault_that_protects_items_is_not_carried():
    old = side(vault(), sc=storage("LocallyRedundant"))
    plan = vs.make_plan(old, side(vault(), sc=storage("GeoRedundant", locked=True)), ["storage_redundancy"])
    assert "storage_config" not in plan.writes
    [entry] = plan.not_carried
    assert entry["item"] == "storageModelType" and "locked" in entry["reason"]
    assert plan.carried["storage_redundancy"]["after"]["storageModelType"] == "GeoRedundant"


def test_cross_region_restore_is_never_turned_off_and_needs_geo_redundancy():
    plan = vs.make_plan(side(vault(), sc=storage(crr=False)), side(vault(), sc=storage(crr=True)),
                        ["storage_redundancy"])
    assert plan.writes == {} and plan.not_carried[0]["item"] == "crossRegionRestoreFlag"
    plan = vs.make_plan(side(vault(), sc=storage(crr=True)), side(vault(), sc=storage("LocallyRedundant", locked=True)),
                        ["storage_redundancy"])
    assert plan.writes == {}
    assert {n["item"] for n in plan.not_carried} == {"storageModelType", "crossRegionRestoreFlag"}


def test_one_way_security_settings_of_the_target_are_kept():
    plan = vs.make_plan(side(vault(immutability="Disabled"), vault_config(state="Enabled", days=20)),
                        side(vault(immutability="Locked"), vault_config(state="AlwaysON", days=14)),
                        ["soft_delete", "immutability"])
    assert plan.writes == {"vault_config": {"properties": {"softDeleteRetentionPeriodInDays": 20,
                                                           "enhancedSecurityState": "Enabled"}}}
    assert sorted(n["setting"] for n in plan.not_carried) == ["immutability", "soft_delete"]


def test_a_changed_diagnostic_setting_is_rewritten_and_others_are_left_alone():
    old = side(vault(), ds=[diag("d", workspaceId=OLD_WS, logs=[{"category": "A", "enabled": True},
                                                                {"category": "B", "enabled": True}])])
    new = side(vault(), ds=[diag("d", workspaceId=NEW_WS, logs=[{"category": "A", "enabled": True}]),
                            diag("theirs", workspaceId=NEW_WS)])
    plan = vs.make_plan(old, new, ["diagnostic_settings"], {OLD_WS: NEW_WS})
    assert list(plan.writes) == ["diagnostic:d"]
    assert sorted(plan.carried["diagnostic_settings"]["after"]) == ["d", "theirs"]
    # same logs in another order is the same setting
    new["diagnostic_settings"][0]["properties"]["logs"] = [{"category": "B", "enabled": True},
                                                           {"category": "A", "enabled": True}]
    assert vs.make_plan(old, new, ["diagnostic_settings"], {OLD_WS: NEW_WS}).writes == {}


def test_settings_the_old_vault_does_not_report_are_not_written():
    bare = {"vault": {"id": "x", "properties": {}}, "vault_config": {}, "storage_config": {}, "diagnostic_settings": []}
    plan = vs.make_plan(bare, side(vault()), vs.SETTINGS)
    assert plan.writes == {} and plan.not_carried == []


def test_private_endpoint_list_shape():
    assert vs.private_endpoints(vault(pecs=[pec("a", "AzureSiteRecovery", "Pending")])) == [
        {"name": "a", "private_endpoint_id": GOV_SUB + "/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/a",
         "group_ids": ["AzureSiteRecovery"], "status": "Pending"}]
