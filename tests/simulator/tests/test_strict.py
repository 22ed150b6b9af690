"""Strict request bodies (azsim/strict.py): every vault / Site Recovery write body is checked against the SDK model of
its operation. For each provider-specific input the collection sends, a valid body passes, and removing each required
field, a wrong JSON type or an unknown property answers 400 InvalidParameter naming the field, before any side effect.

Most bodies go to a vault that does not exist: the strict check runs before the handler, so a valid body gets the
handler's 404 and nothing is ever created."""
import copy
import importlib
import re

import pytest
from azure.core.exceptions import HttpResponseError

import rcmsetup
from azsim import arm, strict
from rawhttp import call
from simhelpers import lenient_bodies

importlib.import_module("azsim.providers")  # registers the routes on arm.ROUTER (in this process too)
RG, VAULT = "rg-strict-none", "rsv-strict-none"
SRC = "/Subscriptions/{sub}/resourceGroups/rg-x/providers/Microsoft.RecoveryServices/vaults/v/replicationFabrics/f"
VNET = "/subscriptions/{sub}/resourceGroups/rg-landing-eastus/providers/Microsoft.Network/virtualNetworks/vnet-landing"
ITEM = "/replicationFabrics/fab/replicationProtectionContainers/cont/replicationProtectedItems/strict-probe"
MAPPING = "/replicationFabrics/fab/replicationProtectionContainers/cont/replicationProtectionContainerMappings/m"
PSD = "properties.providerSpecificDetails"
PSI = "properties.providerSpecificInput"

RCM_ENABLE = {"properties": {"policyId": "{vault}/replicationPolicies/policy-rcm", "providerSpecificDetails": {
    "instanceType": "InMageRcm", "fabricDiscoveryMachineId": SRC + "/machines/m1", "processServerId": "ps-1",
    "runAsAccountId": SRC + "/runAsAccounts/win-admin",
    "targetResourceGroupId": "/subscriptions/{sub}/resourceGroups/rg",
    "targetNetworkId": VNET, "targetSubnetName": "snet-app", "targetVmName": "app01", "multiVmGroupName": "app01",
    "testNetworkId": VNET, "testSubnetName": "snet-app", "licenseType": "WindowsServer",
    "targetVmSize": "Standard_D2s_v3",
    "targetVmTags": [{"tagName": "wave", "tagValue": "1"}],
    "disksDefault": {"diskType": "Standard_LRS", "logStorageAccountId": "/subscriptions/{sub}/storage/st"}}}}
V2A_ENABLE = {"properties": {"policyId": "{vault}/replicationPolicies/policy-v2a", "protectableItemId": SRC + "/pi",
                             "providerSpecificDetails": {
                                 "instanceType": "InMageAzureV2", "processServerId": "ps-1", "masterTargetId": "ps-1", "runAsAccountId": "1",
                                 "targetAzureV2ResourceGroupId": "/subscriptions/{sub}/resourceGroups/rg", "targetAzureNetworkId": VNET,
                                 "targetAzureSubnetId": "snet-app", "targetAzureVmName": "app01", "enableRdpOnTargetOption": "Never",
                                 "multiVmGroupName": "app01", "multiVmGroupId": "0c9a3e43-0000-0000-0000-000000000001",
                                 "logStorageAccountId": "/subscriptions/{sub}/storage/st", "diskType": "Standard_LRS",
                                 "targetVmTags": {"wave": "1"}}}}
RCM_UPDATE = {"properties": {"providerSpecificDetails": {
    "instanceType": "InMageRcm", "targetVmName": "app01", "targetNetworkId": VNET, "targetVmSize": "Standard_D2s_v3",
    "vmNics": [{"nicId": "nic-1", "isPrimaryNic": "true", "isSelectedForFailover": "true",
                "targetSubnetName": "snet-app", "testSubnetName": "snet-app", "targetStaticIPAddress": "10.1.0.4"},
               {"nicId": "nic-2", "isPrimaryNic": "false"}]}}}
V2A_UPDATE = {"properties": {"recoveryAzureVMName": "app01", "selectedRecoveryAzureNetworkId": VNET, "vmNics": [
    {"nicId": "nic-1", "selectionType": "SelectedByUser", "ipConfigs": [
        {"ipConfigName": "ipconfig1", "isPrimary": True, "recoverySubnetName": "snet-app"}]}]}}


def failover(instance, **psd):
    return {"properties": {"failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
                           "networkId": VNET, "providerSpecificDetails": dict(instanceType=instance, **psd)}}


def unplanned(instance, **psd):
    return {"properties": {"failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": "Required",
                           "providerSpecificDetails": dict(instanceType=instance, **psd)}}


def policy(**psi):
    return {"properties": {"providerSpecificInput": psi}}


# name: (method, path below the vault, valid body, required fields (paths), (path, wrong value), unknown property path)
CASES = {
    "rcm_enable": ("PUT", ITEM, RCM_ENABLE,
                   [PSD + ".instanceType", PSD + ".fabricDiscoveryMachineId", PSD + ".targetResourceGroupId",
                    PSD + ".processServerId", PSD + ".disksDefault.diskType",
                    PSD + ".disksDefault.logStorageAccountId"],
                   (PSD + ".targetVmName", 42), PSD + ".targetAzureNetworkId"),
    "v2a_enable": ("PUT", ITEM, V2A_ENABLE, [PSD + ".instanceType"], (PSD + ".targetVmTags", [{"wave": "1"}]),
                   PSD + ".fabricDiscoveryMachineId"),
    "rcm_update": ("PATCH", ITEM, RCM_UPDATE,
                   [PSD + ".instanceType", PSD + ".vmNics[0].nicId", PSD + ".vmNics[0].isPrimaryNic",
                    PSD + ".vmNics[1].nicId",
                    PSD + ".vmNics[1].isPrimaryNic"],
                   (PSD + ".vmNics[0].isPrimaryNic", True), PSD + ".vmNics[0].ipConfigs"),
    "v2a_update": ("PATCH", ITEM, V2A_UPDATE, [], ("properties.vmNics[0].ipConfigs[0].isPrimary", "true"), None),
    "rcm_test_failover": ("POST", ITEM + "/testFailover",
                          failover("InMageRcm", networkId=VNET, recoveryPointId=SRC + "/rp"),
                          ["properties", PSD + ".instanceType"], (PSD + ".networkId", [VNET]),
                          PSD + ".performShutdown"),
    "v2a_test_failover": ("POST", ITEM + "/testFailover", failover("InMageAzureV2", recoveryPointId=SRC + "/rp"),
                          ["properties", PSD + ".instanceType"], ("properties.networkId", 1), PSD + ".networkId"),
    "test_failover_cleanup": ("POST", ITEM + "/testFailoverCleanup", {"properties": {"comments": "done"}},
                              ["properties"], ("properties.comments", ["done"]), None),
    "rcm_unplanned_failover": ("POST", ITEM + "/unplannedFailover", unplanned("InMageRcm", performShutdown="true"),
                               ["properties", PSD + ".instanceType", PSD + ".performShutdown"],
                               (PSD + ".performShutdown", True), PSD + ".sourceSiteOperations"),
    "v2a_unplanned_failover": ("POST", ITEM + "/unplannedFailover", unplanned("InMageAzureV2"),
                               ["properties", PSD + ".instanceType"], ("properties.sourceSiteOperations", False),
                               PSD + ".performShutdown"),
    "disable_protection": ("POST", ITEM + "/remove", {"properties": {"disableProtectionReason": "MigrationComplete"}},
                           ["properties"], ("properties.disableProtectionReason", "Finished"), None),
    "disable_protection_inmage": ("POST", ITEM + "/remove", {"properties": {
        "disableProtectionReason": "NotSpecified", "replicationProviderInput": {"instanceType": "InMage"}}},
        ["properties", "properties.replicationProviderInput.instanceType"],
        ("properties.replicationProviderInput.replicaVmDeletionStatus", 1),
        "properties.replicationProviderInput.deleteVm"),
    "rcm_policy": ("PUT", "/replicationPolicies/strict-probe", policy(
        instanceType="InMageRcm", recoveryPointHistoryInMinutes=4320, appConsistentFrequencyInMinutes=240,
        crashConsistentFrequencyInMinutes=5, enableMultiVmSync="True"),
        [PSI + ".instanceType"], (PSI + ".recoveryPointHistoryInMinutes", "4320"),
        PSI + ".recoveryPointThresholdInMinutes"),
    "rcm_failback_policy": ("PUT", "/replicationPolicies/strict-probe", policy(
        instanceType="InMageRcmFailback", appConsistentFrequencyInMinutes=240, crashConsistentFrequencyInMinutes=5),
        [PSI + ".instanceType"], (PSI + ".crashConsistentFrequencyInMinutes", 5.5),
        PSI + ".recoveryPointHistoryInMinutes"),
    "v2a_policy": ("PUT", "/replicationPolicies/strict-probe", policy(
        instanceType="InMageAzureV2", recoveryPointHistory=4320, recoveryPointThresholdInMinutes=60,
        appConsistentFrequencyInMinutes=240, crashConsistentFrequencyInMinutes=5, multiVmSyncStatus="Enable"),
        [PSI + ".instanceType", PSI + ".multiVmSyncStatus"], (PSI + ".multiVmSyncStatus", "Maybe"),
        PSI + ".enableMultiVmSync"),
    "v2a_failback_policy": ("PUT", "/replicationPolicies/strict-probe", policy(
        instanceType="InMage", recoveryPointHistory=4320, recoveryPointThresholdInMinutes=60,
        appConsistentFrequencyInMinutes=240, multiVmSyncStatus="Disable"),
        [PSI + ".instanceType", PSI + ".multiVmSyncStatus"], (PSI + ".recoveryPointHistory", True),
        PSI + ".crashConsistentFrequencyInMinutes"),
    "policy_update": ("PATCH", "/replicationPolicies/strict-probe", {"properties": {"replicationProviderSettings": {
        "instanceType": "InMageRcm", "appConsistentFrequencyInMinutes": 120}}},
        ["properties.replicationProviderSettings.instanceType"],
        ("properties.replicationProviderSettings.appConsistentFrequencyInMinutes", "120"),
        "properties.replicationProviderSettings.multiVmSyncStatus"),
    "mapping_create": ("PUT", MAPPING, {"properties": {
        "targetProtectionContainerId": "Microsoft Azure", "policyId": "{vault}/replicationPolicies/policy-rcm",
        "providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}},
        [PSI + ".instanceType"], ("properties.policyId", 7), PSI + ".enableAgentAutoUpgrade"),
    "mapping_update": ("PATCH", MAPPING, {"properties": {"providerSpecificInput": {
        "instanceType": "InMageRcm", "enableAgentAutoUpgrade": "true"}}},
        [PSI + ".instanceType", PSI + ".enableAgentAutoUpgrade"], (PSI + ".enableAgentAutoUpgrade", True),
        PSI + ".automationAccountArmId"),
    "mapping_remove": ("POST", MAPPING + "/remove", {"properties": {"providerSpecificInput": {
        "instanceType": "ReplicationProviderSpecificContainerMappingInput"}}}, [], (PSI + ".instanceType", 1), None),
    "discover_protectable_item": ("POST", "/replicationFabrics/fab/replicationProtectionContainers/cont/"
                                          "discoverProtectableItem",
                                  {"properties": {"friendlyName": "app01", "ipAddress": "10.10.5.4",
                                                  "osType": "Windows"}},
                                  [], ("properties.ipAddress", 10105), None),
    "vault_create": ("PUT", "", {"location": "eastus", "sku": {"name": "Standard"}, "tags": {"wave": "1"},
                                 "identity": {"type": "SystemAssigned"},
                                 "properties": {"publicNetworkAccess": "Enabled"}},
                     ["location", "sku.name", "identity.type"], ("tags", ["wave"]), None),
    "vault_update": ("PATCH", "", {"tags": {"wave": "2"}, "properties": {"publicNetworkAccess": "Disabled"}},
                     [], ("tags.wave", 2), None),
}


@pytest.fixture(scope="module")
def post(ep, admin):
    """post(method, below_vault, body) -> (status, error) against the missing vault."""
    c = ep["clouds"]["public"]
    token = admin.mint_token("public")
    vault = (f"/subscriptions/{c['subscription_id']}/resourceGroups/{RG}/providers/Microsoft.RecoveryServices/"
             f"vaults/{VAULT}")
    arm_url = c["resource_manager"].rstrip("/")
    version = {"": "2026-11-01"}

    def send(method, below, body):
        api = version.get(below, "2025-08-01")
        text = _fill(body, sub=c["subscription_id"], vault=vault)
        status, _h, answer = call(ep, method, f"{arm_url}{vault}{below}?api-version={api}", token=token, body=text)
        return status, (answer or {}).get("error") or {}
    return send


def _fill(body, **values):
    if isinstance(body, dict):
        return {k: _fill(v, **values) for k, v in body.items()}
    if isinstance(body, list):
        return [_fill(v, **values) for v in body]
    return body.format(**values) if isinstance(body, str) else body


def _steps(path):
    return [int(s[1:-1]) if s.startswith("[") else s for s in re.findall(r"\[\d+\]|[^.\[\]]+", path)]


def edit(body, path, value=None, remove=False):
    out = copy.deepcopy(body)
    *parents, last = _steps(path)
    node = out
    for step in parents:
        node = node[step]
    if remove:
        del node[last]
    else:
        node[last] = value
    return out


def is_strict(status, err, path=None):
    """The strict check's answer (for `path` when given): 400 InvalidParameter "<path>: <problem>", target, []."""
    ok = status == 400 and err.get("code") == "InvalidParameter" and err.get("details") == [] and \
        str(err.get("message", "")).startswith(f"{err.get('target')}: ")
    return ok and (path is None or err.get("target") == path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_valid_body_passes_and_each_break_is_refused(post, name):
    method, below, body, required, (bad_path, bad_value), unknown = CASES[name]
    status, err = post(method, below, body)
    assert not is_strict(status, err) and status == 404, (name, status, err)  # the handler's: no such vault
    for path in required:
        status, err = post(method, below, edit(body, path, remove=True))
        assert is_strict(status, err, path) and "required property is missing" in err["message"], (path, err)
    status, err = post(method, below, edit(body, bad_path, bad_value))
    assert is_strict(status, err, bad_path) and ("expected" in err["message"] or "not a valid" in err["message"]), \
        (bad_path, err)
    if unknown:
        status, err = post(method, below, edit(body, unknown, "x"))
        assert is_strict(status, err, unknown) and "unknown property of" in err["message"], (unknown, err)


def test_required_fields_are_the_sdk_ones():
    """The hand-written lists above are the SDK's: every required field of the models walked is listed."""
    for name, (method, below, body, required, _bad, _unknown) in CASES.items():
        route, _params = arm.ROUTER.resolve(method, f"/subscriptions/s/resourceGroups/{RG}/providers/"
                                                    f"Microsoft.RecoveryServices/vaults/{VAULT}{below}")
        found = set()
        _required(strict.model_for(method, route.template), _fill(body, sub="s", vault="v"), "", found)
        assert found == set(required), (name, sorted(found ^ set(required)))


def _required(cls, data, path, found):
    disc = strict._discriminator(cls)
    if disc is not None:
        cls = disc[1][data[disc[0]]]
    for key, (tp, req, _w) in strict.fields(cls).items():
        here = f"{path}.{key}" if path else key
        if req:
            found.add(here)
        value = data.get(key)
        model = next((a for a in [tp, *getattr(tp, "__args__", ())] if strict._is_model(a)), None)
        item = next((a for a in getattr(tp, "__args__", ()) if getattr(a, "__origin__", None) is list), None)
        if isinstance(value, dict) and model is not None:
            _required(model, value, here, found)
        elif isinstance(value, list) and item is not None and strict._is_model(item.__args__[0]):
            for i, entry in enumerate(value):
                _required(item.__args__[0], entry, f"{here}[{i}]", found)


def test_instance_type_enum_case_and_nested_unknown(post):
    status, err = post("PUT", ITEM, edit(RCM_ENABLE, PSD + ".instanceType", "InMageRcmX"))
    assert is_strict(status, err, PSD + ".instanceType") and "InMageRcm" in err["message"], err
    status, err = post("PUT", ITEM, edit(RCM_ENABLE, PSD + ".instanceType", "inmagercm"))  # the SDK's map is exact
    assert is_strict(status, err, PSD + ".instanceType"), err
    status, err = post("PUT", ITEM, edit(RCM_ENABLE, PSD + ".licenseType", "windowsserver"))  # enums: any case
    assert not is_strict(status, err), err
    status, err = post("PUT", ITEM, edit(RCM_ENABLE, PSD + ".licenseType", "Free"))
    assert is_strict(status, err, PSD + ".licenseType") and "LicenseType" in err["message"], err
    status, err = post("PUT", ITEM, edit(RCM_ENABLE, PSD + ".disksDefault.diskSizeGB", 128))  # under the provider input
    assert is_strict(status, err, PSD + ".disksDefault.diskSizeGB"), err
    status, err = post("PUT", ITEM, edit(RCM_ENABLE, PSD + ".targetVmTags[0].tagName", 5))
    assert is_strict(status, err, PSD + ".targetVmTags[0].tagName"), err
    status, err = post("PUT", ITEM, edit(RCM_ENABLE, "properties.comment", "ignored"))  # outside: ignored, as Azure
    assert not is_strict(status, err), err
    status, err = post("POST", ITEM + "/testFailover", [1])
    assert is_strict(status, err, "(body)") and "expected an object" in err["message"], err
    status, err = post("POST", ITEM + "/testFailover", None)  # no body: the required properties are missing
    assert is_strict(status, err, "properties"), err


def test_nothing_is_created_and_the_sdk_sees_target(ep, admin):
    """On the real RCM vault (rcmsetup): a refused policy and a refused enable leave nothing behind."""
    w = rcmsetup.world(ep, admin)
    with pytest.raises(HttpResponseError) as exc:
        w.asr.replication_policies.begin_create(rcmsetup.RG, rcmsetup.VAULT, "policy-strict", policy(
            instanceType="InMageAzureV2", recoveryPointHistory=60))
    assert exc.value.status_code == 400 and exc.value.error.code == "InvalidParameter"
    assert exc.value.error.target == PSI + ".multiVmSyncStatus"
    assert "policy-strict" not in [p.name for p in w.asr.replication_policies.list(rcmsetup.RG, rcmsetup.VAULT)]
    srv = rcmsetup.server(w, "rcm-conf01")
    body = rcmsetup.enable_input(w, srv)
    del body["properties"]["providerSpecificDetails"]["processServerId"]
    with pytest.raises(HttpResponseError) as exc:
        w.asr.replication_protected_items.begin_create(rcmsetup.RG, rcmsetup.VAULT, w.f, w.c, "strict-item", body)
    assert exc.value.error.target == PSD + ".processServerId"
    items = w.asr.replication_protected_items.list_by_replication_protection_containers(
        rcmsetup.RG, rcmsetup.VAULT, w.f, w.c)
    assert "strict-item" not in [i.name for i in items]


def test_switch_off_reaches_the_handler(post, admin):
    body = edit(CASES["v2a_policy"][2], PSI + ".multiVmSyncStatus", remove=True)
    with lenient_bodies(admin):
        status, err = post("PUT", "/replicationPolicies/strict-probe", body)
        assert not is_strict(status, err) and "multiVmSyncStatus is required" in err["message"], err
    assert is_strict(*post("PUT", "/replicationPolicies/strict-probe", body))


def test_every_write_route_has_an_entry():
    """A vault / Site Recovery route added without a ROUTE_OPERATIONS entry fails here (model_for raises KeyError);
    an entry without a route is stale."""
    used = set()
    for route in arm.ROUTER.routes:
        for method in route.methods & {"PUT", "PATCH", "POST"}:
            key = strict.route_key(method, route.template)
            if key is not None:
                strict.model_for(method, route.template)
                used.add(strict._key(*key))
    assert used == set(strict._TABLE), sorted(set(strict._TABLE) ^ used)
    assert strict.model_for("PUT", "/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.RecoveryServices/"
                                   "vaults/{v}/backupPolicies/{p}") is None  # Azure Backup: not covered


def test_introspection_is_cached():
    from azure.mgmt.recoveryservicessiterecovery import models as m
    assert strict.fields(m.InMageRcmNicInput) is strict.fields(m.InMageRcmNicInput)
    assert strict.fields(m.InMageRcmNicInput)["isPrimaryNic"][1] is True  # required, a string ("true"/"false")
