"""The simulator's answers against the reference examples and recorded traffic in reference/ (Azure's REST examples
and excerpts of recorded real traffic, with their provenance).

For every example (examples/*.json) and recorded response (recordings/*.json) of an operation the simulator serves,
the simulator's response for the same operation must have the same structure: the same key paths (lists compared
by their first element; a sub-object whose `instanceType` differs from the reference's is compared only by model
base type), up to the documented differences in ALLOWED_MISSING / ALLOWED_EXTRA (README "Site Recovery"). Both
bodies must deserialize with the SDK to the same model types. LRO examples also fix the 202 headers.
"""
import json
import os
import types

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.recoveryservices import models as rsm
from azure.mgmt.recoveryservices._utils import model_base as rs_base
from azure.mgmt.recoveryservicessiterecovery import models as m
from azure.mgmt.recoveryservicessiterecovery._utils import model_base as asr_base

import rcmsetup
from rawhttp import call
from test_siterecovery import RG, V2A_POLICY, VAULT, discover, enable, enable_input, env  # noqa: F401  # pylint: disable=unused-import

# Kept in the repository (reference/README.md says where each file comes from); AZSIM_AZURE_API_REF points elsewhere.
REF = os.environ.get("AZSIM_AZURE_API_REF") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference")
# Examples of operations the simulator does not serve, with the reason. test_unserved_list_is_exact keeps this equal
# to the examples no test below checks, so an example added to reference/examples must be either served or listed here.
UNSERVED = {
    "ReplicationProtectedItems_PlannedFailover": "planned failover has no InMageAzureV2 / InMageRcm input (HyperV "
                                                 "replica and failback providers only); not simulated",
    "ReplicationProtectedItems_SwitchProvider": "switching InMageAzureV2 items to InMageRcm is not simulated",
    "ReplicationProtectedItems_UpdateMobilityService": "Mobility service updates are not simulated",
    "ReplicationNetworkMappings_Create": "network mappings are not used by the physical-server path (the target "
                                         "network is given per item); not simulated",
}
RECOVERY_SERVICES = ("PUTVault", "PUTVaultCred", "GetOperationStatus")  # vault examples (check_recoveryservices)
BODYLESS = ("ReplicationProtectedItems_Delete", "ReplicationProtectedItems_Purge")  # 202/204 only: headers checked

# Key paths the simulator leaves out / adds compared with a reference (documented in README "Site Recovery").
RPI_EXTRA = {"properties.failoverHealth", "properties.healthErrors", "properties.primaryFabricProvider",
             "properties.eventCorrelationId", "properties.failoverRecoveryPointId"}
ALLOWED_MISSING = {
    # 2017 traffic (api 2018-07-10): replication/failover health errors instead of healthErrors; old key spellings
    "V2ATFOJob.rpi": {"properties.replicationHealthErrors", "properties.failoverHealthErrors",
                      "properties.replicationHealthErrors[].errorSource", "properties.providerSpecificDetails."
                      "sourceVmCPUCount", "properties.providerSpecificDetails.sourceVmRAMSizeInMB",
                      "properties.providerSpecificDetails.enableRDPOnTargetOption",
                      "properties.providerSpecificDetails.vmNics[].replicaNicId",
                      "properties.providerSpecificDetails.vmNics[].sourceNicArmId",
                      "properties.providerSpecificDetails.vmNics[].vMSubnetName",
                      "properties.providerSpecificDetails.vmNics[].recoveryVMSubnetName",
                      "properties.providerSpecificDetails.vmNics[].ipAddressType",
                      "properties.providerSpecificDetails.vmNics[].primaryNicStaticIPAddress",
                      "properties.providerSpecificDetails.vmNics[].replicaNicStaticIPAddress",
                      "properties.providerSpecificDetails.vmNics[].recoveryNicIpAddressType",
                      "properties.providerSpecificDetails.protectedDisks[].resyncDurationInSeconds"},
    "V2ATFOJob.job": {"status", "error", "startTime", "endTime"},  # 2017 job bodies doubled as operation status
    "V2ATFOJob.tfo_job": {"status", "error", "startTime", "endTime"},
    "V2ATFOJob.cleanup_job": {"status", "error", "startTime", "endTime"},
    # the example's item had failed over before its test failover cleanup
    "ReplicationProtectedItems_TestFailoverCleanup": {"properties.lastSuccessfulFailoverTime"},
    # "...": the excerpt's marker for the InMageRcm details it abbreviated
    "TestV2ARCMCommit.rcm_failed_over": {"properties.providerSpecificDetails...."},
    "TestV2ARCMCommit.rcm_failed": {"properties.providerSpecificDetails...."},
}
# InMageRcmReplicationDetails keys the abbreviated TestV2ARCMCommit excerpt leaves out ("..." names mobilityAgentDetails,
# agentUpgradeBlockingErrorDetails and discoveredVmDetails; protectedDisks / vmNics are quoted separately from a single
# GET; the rest are SDK 2.0.0 fields of the model).
RCM_PSD_EXTRA = {"properties.providerSpecificDetails." + k for k in (
    "mobilityAgentDetails", "agentUpgradeBlockingErrorDetails", "discoveredVmDetails", "protectedDisks", "vmNics",
    "agentUpgradeAttemptToVersion", "agentUpgradeJobId", "failoverRecoveryPointId", "initialReplicationProcessedBytes",
    "initialReplicationTransferredBytes", "isLastUpgradeSuccessful", "lastAgentUpgradeErrorDetails",
    "lastAgentUpgradeType", "linuxLicenseType", "osName", "resyncProcessedBytes", "resyncProgressPercentage",
    "resyncTransferredBytes", "seedManagedDiskTags", "sqlServerLicenseType", "supportedOSVersions",
    "targetAvailabilitySetId", "targetAvailabilityZone", "targetBootDiagnosticsStorageAccountId",
    "targetCapacityReservationGroupId", "targetManagedDiskTags", "targetNicTags", "targetProximityPlacementGroupId",
    "targetVmSecurityProfile", "targetVmTags", "unprotectedDisks")}
ALLOWED_EXTRA = {
    "TestV2ARCMCommit.rcm_failed_over": RCM_PSD_EXTRA,
    # SDK 2.0.0 InMageRcmProtectedDiskDetails / InMageRcmNicDetails fields absent from the 2021 single GET
    "TestV2ARCMCommit.rcm_disk": {"diskState", "irDetails", "resyncDetails", "customTargetDiskName",
                                  "sectorSizeInBytes", "iops", "throughputInMbps", "diskSizeInGB"},
    "TestV2ARCMCommit.rcm_nic": {"targetNicName"},
    "ReplicationProtectedItems_Create": RPI_EXTRA, "ReplicationProtectedItems_Get": RPI_EXTRA,
    "ReplicationProtectedItems_TestFailover": RPI_EXTRA | {"properties.lastSuccessfulTestFailoverTime"},
    "ReplicationProtectedItems_TestFailoverCleanup": RPI_EXTRA,
    "ReplicationProtectedItems_UnplannedFailover": RPI_EXTRA,
    "ReplicationProtectedItems_FailoverCommit": RPI_EXTRA,
    "V2ATFOJob.rpi": RPI_EXTRA | {"type", "properties.protectedItemType"} | {
        "properties.providerSpecificDetails." + k for k in (
            "agentExpiryDate", "processServerName", "sourceVmCpuCount", "sourceVmRamSizeInMB",
            "selectedTfoAzureNetworkId", "selectedSourceNicId", "enableRdpOnTargetOption", "targetAvailabilityZone",
            "targetProximityPlacementGroupId", "sqlServerLicenseType", "protectedManagedDisks",
            "lastRecoveryPointReceived", "firmwareType", "azureVmGeneration", "isAdditionalStatsAvailable",
            "totalDataTransferred", "totalProgressHealth", "targetVmTags", "seedManagedDiskTags",
            "targetManagedDiskTags", "targetNicTags", "osName",
            "vmNics[].ipConfigs", "vmNics[].tfoVMNetworkId",
            "protectedDisks[].progressHealth", "protectedDisks[].resyncProcessedBytes")} - {
        "properties.protectedItemType"},
    "V2ATFOJob.job": {"type", "properties.endTime"},
    "V2ATFOJob.tfo_job": {"type", "properties.endTime"},  # the recorded body is the InProgress one
    "V2ATFOJob.cleanup_job": {"type"},
    "TestV2ARCMCommit.commit_job": {"properties.endTime"},  # the recorded body is the InProgress one
    "TestV2ARCMCommit.failed_over": {"properties.recoveryServicesProviderId"},  # V2A items have it (V2ATFOJob)
    "V2ACreateRPI.job": set(),
    "TestV2ARCMCommit.job": {"properties.endTime"},
    "TestV2ARCMCommit.failed": {"properties." + k for k in (
        "protectableItemId", "recoveryServicesProviderId", "primaryFabricFriendlyName", "recoveryFabricFriendlyName",
        "recoveryFabricId", "primaryProtectionContainerFriendlyName", "recoveryProtectionContainerFriendlyName",
        "protectedItemType", "policyId", "recoveryContainerId", "eventCorrelationId")},
    "ReplicationJobs_Get": {"type", "properties.tasks[].groupTaskCustomDetails"},
    "ReplicationJobs_List": {"value[].type", "value[].properties.activityId", "value[].properties.customDetails",
                             "nextLink"},
    "ReplicationFabrics_List": {"nextLink"}, "RecoveryPoints_ListByReplicationProtectedItems": {
        "nextLink", "value[].properties.providerSpecificDetails"},
    "ReplicationProtectableItems_Get": {"properties.replicationProtectedItemId"},  # null in V2ACreateRPI
    "PUTVault": {"properties." + k for k in (  # azure-mgmt-recoveryservices 4.3.0 VaultProperties defaults
        "backupStorageVersion", "bcdrSecurityLevel", "monitoringSettings", "moveState", "privateEndpointStateForBackup",
        "privateEndpointStateForSiteRecovery", "redundancySettings", "restoreSettings", "secureScore",
        "securitySettings")},
    "V2ATFOJob.fabric.processServers[0]": {"psStatsRefreshTime", "healthErrors", "agentExpiryDate", "health",
                                           "marsCommunicationStatus", "marsRegistrationStatus"},
    "V2ATFOJob.fabric.masterTargetServers[0]": {"healthErrors", "agentExpiryDate", "lastHeartbeat"},
    "V2ATFOJob.fabric.cs_fields": {"agentExpiryDate"},
}

# The recorded failed InMageRcm item quotes a few details ("other fields omitted"): any InMageRcmReplicationDetails field
# of the SDK model (and agentUpgradeBlockingErrorDetails, which real 2021 traffic has) may be added to it.
m.InMageRcmReplicationDetails()  # the hybrid model builds its field table on first instantiation
ALLOWED_EXTRA["TestV2ARCMCommit.rcm_failed"] = (
    ALLOWED_EXTRA["TestV2ARCMCommit.failed"] - {"properties.recoveryServicesProviderId"}) | {
    "properties.providerSpecificDetails." + f._rest_name
    for f in m.InMageRcmReplicationDetails._attr_to_rest_field.values()} | {  # pylint: disable=protected-access
    "properties.providerSpecificDetails.agentUpgradeBlockingErrorDetails"}

FREE_FORM = ("tags.", "affectedObjectDetails.")  # dict[str, str]: key names are data (2017 PascalCase, 2021 camelCase)


def paths_diff(ref, sim, path="", out=None):
    """(missing, extra) key paths of `sim` against `ref`; lists by their first element."""
    out = out if out is not None else (set(), set())
    if isinstance(ref, dict) and isinstance(sim, dict):
        if "instanceType" in ref and ref.get("instanceType") != sim.get("instanceType"):
            return out  # another subtype of the same base: checked by model type only
        for k, v in ref.items():
            if k.startswith("_") or path.endswith(FREE_FORM):  # excerpt notes; free-form string maps
                continue
            if k not in sim:
                out[0].add(path + k)
            else:
                paths_diff(v, sim[k], path + k + ".", out)
        out[1].update(path + k for k in sim if k not in ref and not path.endswith(FREE_FORM))
    elif isinstance(ref, list) and isinstance(sim, list) and ref and sim:
        paths_diff(ref[0], sim[0], path.rstrip(".") + "[].", out)
    return out


def model_types(obj, path="", out=None):
    """{attribute path: model class} of a deserialized hybrid model (lists by their first element)."""
    out = {} if out is None else out
    for attr in getattr(type(obj), "_attr_to_rest_field", {}):
        value = getattr(obj, attr, None)
        if isinstance(value, list) and value:
            value, attr = value[0], attr + "[]"
        if hasattr(type(value), "_attr_to_rest_field"):
            out[path + attr] = type(value)
            model_types(value, path + attr + ".", out)
    return out


def same_models(ref, sim, model, base=asr_base):
    if isinstance(model, list):  # a page: {"value": [...], "nextLink"}; compare the first elements
        return same_models(ref["value"][0], sim["value"][0], model[0], base)
    a, b = base._deserialize(model, ref), base._deserialize(model, sim)
    ta, tb = model_types(a), model_types(b)
    assert type(a) is type(b)
    for path in set(ta) & set(tb):
        if ta[path] is not tb[path]:  # only where the reference uses another subtype of the same discriminated base
            assert _root(ta[path]) is _root(tb[path]), (path, ta[path], tb[path])


def _root(cls):
    return next(c for c in cls.__mro__ if "__mapping__" in c.__dict__)


def check(name, ref, sim, model, base=asr_base):
    missing, extra = paths_diff(ref, sim)
    assert missing <= ALLOWED_MISSING.get(name, set()), (name, "missing", sorted(missing))
    assert extra <= ALLOWED_EXTRA.get(name, set()), (name, "extra", sorted(extra))
    same_models(ref, sim, model, base)


def load(kind, name):
    with open(os.path.join(REF, kind, name + ".json")) as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def world(env, admin):  # noqa: F811
    """One protected item, one failed enable, and the initial 202 answers of each LRO kind. The examples list
    Azure-AsyncOperation on every 202: the protected-item actions answer in the `both` style here (test_realism checks
    the Location-only one)."""
    before = admin.asr_settings()
    admin.asr_settings(lro_style="both")
    try:
        return _world(env, admin)
    finally:
        admin.asr_settings(**before)


def _world(env, admin):  # noqa: F811
    tok = admin.mint_token("public")
    arm = env.ep["clouds"]["public"]["resource_manager"].rstrip("/")

    def get(rid, method="GET", body=None, api="2025-08-01"):
        return call(env.ep, method, f"{arm}{rid}?api-version={api}", token=tok, body=body)

    admin.set_host("10.10.8.1", agent_installed=True)
    admin.set_host("10.10.8.2", reachable=False)
    admin.set_host("10.10.8.3", agent_installed=True)
    admin.set_host("10.10.8.4", reachable=False)
    ok = enable(env, "conf-ok", discover(env, "conf-ok", "10.10.8.1", "Windows")).result()
    for name, ip in (("conf-fail", "10.10.8.2"), ("conf-purge", "10.10.8.4")):
        with pytest.raises(HttpResponseError):
            enable(env, name, discover(env, name, ip, "Linux"), account="2").result()
    fail = env.asr.replication_protected_items.get(RG, VAULT, env.f, env.c, "conf-fail")
    pi3 = discover(env, "conf-lro", "10.10.8.3", "Windows")
    container = env.cs["container_id"]
    initial = {
        "ReplicationPolicies_Create": get(env.policy.id, "PUT", {"properties": {"providerSpecificInput": V2A_POLICY}}),
        "ReplicationProtectionContainerMappings_Create": get(container + "/replicationProtectionContainerMappings/"
                                                             "map-v2a", "PUT", {"properties": {
                                                                 "targetProtectionContainerId": "Microsoft Azure",
                                                                 "policyId": env.policy.id}}),
        "ReplicationProtectionContainers_DiscoverProtectableItem": get(container + "/discoverProtectableItem", "POST", {
            "properties": {"friendlyName": "conf-lro", "ipAddress": "10.10.8.3", "osType": "Windows"}}),
        "ReplicationProtectedItems_Create": get(container + "/replicationProtectedItems/conf-lro", "PUT",
                                                enable_input(env, pi3)),
    }
    initial["ReplicationProtectedItems_Delete"] = get(container + "/replicationProtectedItems/conf-lro/remove", "POST",
                                                      {"properties": {"disableProtectionReason": "NotSpecified"}})
    initial["ReplicationProtectedItems_Purge"] = get(container + "/replicationProtectedItems/conf-purge", "DELETE")
    # one item through the failover actions: the 202 of each and the item after it (time factor 0)
    admin.set_host("10.10.8.5", agent_installed=True)
    fo = enable(env, "conf-fo", discover(env, "conf-fo", "10.10.8.5", "Windows")).result()
    rcm = _rcm_items(env, admin)
    after = {}
    for name, action, body in (
            ("TestFailover", "testFailover", {"properties": {
                "failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput",
                "networkId": env.vnet.replace("vnet-landing-eastus", "vnet-test-eastus"),
                "providerSpecificDetails": {"instanceType": "InMageAzureV2"}}}),
            ("TestFailoverCleanup", "testFailoverCleanup", {"properties": {"comments": "Test Failover Cleanup"}}),
            ("UnplannedFailover", "unplannedFailover", {"properties": {
                "failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": "NotRequired",
                "providerSpecificDetails": {"instanceType": "InMageAzureV2"}}}),
            ("FailoverCommit", "failoverCommit", None)):
        initial["ReplicationProtectedItems_" + name] = get(fo.id + "/" + action, "POST", body)
        after["ReplicationProtectedItems_" + name] = get(fo.id)[2]
    jobs = {j.properties.target_object_name + "/" + j.properties.scenario_name: j.id
            for j in env.asr.replication_jobs.list(RG, VAULT)}
    return types.SimpleNamespace(env=env, get=lambda rid: get(rid)[2], ok=ok, fail=fail, initial=initial, jobs=jobs,
                                 raw=get, after=after, rcm=rcm)


def _rcm_items(env, admin):
    """InMageRcm (replication appliance) vault: an item through test failover, cleanup and failover (left waiting for
    commit, like TestV2ARCMCommit's), and an item whose enable failed (push install to an unreachable server)."""
    w = rcmsetup.world(env.ep, admin)
    if "conformance" in w.extra:
        return w.extra["conformance"]
    asr, rg, vault = w.asr.replication_protected_items, rcmsetup.RG, rcmsetup.VAULT
    srv = rcmsetup.server(w, "rcm-conf01")
    rcmsetup.enable(w, "rcm-conf01", srv).result()
    psd = {"instanceType": "InMageRcm"}
    asr.begin_test_failover(rg, vault, w.f, w.c, "rcm-conf01", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "networkType": "VmNetworkAsInput", "networkId": w.test_vnet,
        "providerSpecificDetails": dict(psd, networkId=w.test_vnet)}}).result()
    asr.begin_test_failover_cleanup(rg, vault, w.f, w.c, "rcm-conf01", {"properties": {"comments": "ok"}}).result()
    asr.begin_unplanned_failover(rg, vault, w.f, w.c, "rcm-conf01", {"properties": {
        "failoverDirection": "PrimaryToRecovery", "sourceSiteOperations": "NotRequired",
        "providerSpecificDetails": dict(psd, performShutdown="false")}}).result()
    bad = rcmsetup.server(w, "rcm-conf-fail", address="10.10.5.98", credential="win-admin")
    with pytest.raises(HttpResponseError):
        rcmsetup.enable(w, "rcm-conf-fail", bad).result()
    w.extra["conformance"] = types.SimpleNamespace(
        world=w, vault_id=w.app["vault_id"], failed_over=asr.get(rg, vault, w.f, w.c, "rcm-conf01").id,
        failed=asr.get(rg, vault, w.f, w.c, "rcm-conf-fail").id)
    return w.extra["conformance"]


def _fabric(w):
    return "/".join(w.ok.id.split("/")[:11])


def _mapping(w):
    return w.env.cs["container_id"] + "/replicationProtectionContainerMappings/map-v2a"


# The simulator's answer for the operation of a spec example (by operationId / file name): (fetch(world), model).
BODIES = {
    "ReplicationFabrics_Get": (lambda w: w.get(_fabric(w)), m.Fabric),
    "ReplicationFabrics_List": (lambda w: w.get(w.env.cs["vault_id"] + "/replicationFabrics"), [m.Fabric]),
    "ReplicationProtectionContainers_Get": (lambda w: w.get(w.env.cs["container_id"]), m.ProtectionContainer),
    "ReplicationProtectionContainers_DiscoverProtectableItem": (lambda w: w.get(w.env.cs["container_id"]),
                                                                m.ProtectionContainer),
    "ReplicationProtectableItems_Get": (lambda w: w.get(w.ok.properties.protectable_item_id), m.ProtectableItem),
    "ReplicationPolicies_Create": (lambda w: w.get(w.env.policy.id), m.Policy),
    "ReplicationPolicies_Get": (lambda w: w.get(w.env.policy.id), m.Policy),
    "ReplicationProtectionContainerMappings_Create": (lambda w: w.get(_mapping(w)), m.ProtectionContainerMapping),
    "ReplicationProtectionContainerMappings_Get": (lambda w: w.get(_mapping(w)), m.ProtectionContainerMapping),
    "ReplicationProtectedItems_Create": (lambda w: w.get(w.ok.id), m.ReplicationProtectedItem),
    "ReplicationProtectedItems_Get": (lambda w: w.get(w.ok.id), m.ReplicationProtectedItem),
    "RecoveryPoints_ListByReplicationProtectedItems": (lambda w: w.get(w.ok.id + "/recoveryPoints"),
                                                       [m.RecoveryPoint]),
    "ReplicationJobs_Get": (lambda w: w.get(w.jobs["conf-ok/EnableDr"]), m.Job),
    "ReplicationJobs_List": (lambda w: w.get(w.env.cs["vault_id"] + "/replicationJobs"), [m.Job]),
    "ReplicationAppliances_List": (lambda w: w.get(w.rcm.vault_id + "/replicationAppliances"),
                                   [m.ReplicationAppliance]),
}
for _name in ("TestFailover", "TestFailoverCleanup", "UnplannedFailover", "FailoverCommit"):
    BODIES["ReplicationProtectedItems_" + _name] = (
        lambda w, key="ReplicationProtectedItems_" + _name: w.after[key], m.ReplicationProtectedItem)

assert os.path.isdir(REF), f"the reference material is missing ({REF})"
EXAMPLES = sorted(f[:-5] for f in os.listdir(os.path.join(REF, "examples")))
SERVED = sorted(set(BODIES) | set(RECOVERY_SERVICES) | set(BODYLESS))


def test_unserved_list_is_exact():
    assert set(EXAMPLES) - set(SERVED) == set(UNSERVED)
    assert set(SERVED) <= set(EXAMPLES)


@pytest.mark.parametrize("name", [e for e in EXAMPLES if e not in UNSERVED])
def test_example(world, name):
    ex = load("examples", name)
    if name in ("PUTVault", "PUTVaultCred", "GetOperationStatus"):
        return check_recoveryservices(world, name, ex)
    responses = ex["responses"]
    if "202" in responses:
        status, headers, _unused = world.initial[name]
        assert status == 202, (name, status)
        names = {k.lower() for k in headers}
        for h in responses["202"]["headers"]:
            assert h.lower() in names or (h == "Retry-After" and "x-ms-retry-after-ms" in names), (name, h)
        assert "location" in names  # operationresults, like the recordings
    if name in BODYLESS:
        assert set(responses) <= {"202", "204"}, name
        return
    fetch, model = BODIES[name]
    check(name, responses["200"]["body"], fetch(world), model)


def check_recoveryservices(world, name, ex):
    e = world.env
    vault_id = e.cs["vault_id"]
    body = ex["responses"].get("200", ex["responses"].get("201", {})).get("body")
    if name == "PUTVault":
        check(name, body, world.get(vault_id), rsm.Vault, rs_base)
    elif name == "PUTVaultCred":
        cert = world.raw(vault_id + "/certificates/probe", "PUT", {"properties": {
            "authType": "AAD", "certificate": body["properties"]["certificate"]}}, "2026-11-01")[2]
        check(name, body, cert, rsm.VaultCertificateResponse, rs_base)
    else:
        status, headers, _unused = world.raw(vault_id, "PATCH", {"tags": {"probe": "1"}}, "2026-11-01")
        arm = world.env.ep["clouds"]["public"]["resource_manager"].rstrip("/")
        op = world.raw(headers["Azure-AsyncOperation"].split(arm)[1].split("?")[0])[2]
        check(name, body, op, rsm.OperationResource, rs_base)


def test_recordings(world):
    e = world.env
    tfo = load("recordings", "V2ATFOJob.excerpt")
    rpi = world.get(world.ok.id)
    check("V2ATFOJob.rpi", tfo["Entries"][0]["ResponseBody"], rpi, m.ReplicationProtectedItem)
    job = world.get(world.jobs["conf-ok/EnableDr"])
    check("V2ATFOJob.job", tfo["Entries"][3]["ResponseBody"], job, m.Job)
    fabric = world.get("/".join(world.ok.id.split("/")[:11]))["properties"]
    vmware = tfo["VMwareFabricCustomDetails_excerpt"]
    cd = fabric["customDetails"]
    scalars = {k: v for k, v in cd.items() if not isinstance(v, list) and k != "instanceType"}
    for key, mine in (("processServers[0]", cd["processServers"][0]),
                      ("masterTargetServers[0]", cd["masterTargetServers"][0]), ("cs_fields", scalars)):
        missing, extra = paths_diff(vmware[key], mine)
        assert not missing and extra <= ALLOWED_EXTRA["V2ATFOJob.fabric." + key], (key, missing, extra)
    assert paths_diff(vmware["runAsAccounts"][0], cd["runAsAccounts"][0]) == (set(), set())
    assert set(vmware["fabric_health"]) <= set(fabric)
    health_error = world.get(world.fail.id)["properties"]["healthErrors"][0]
    assert not paths_diff(vmware["fabric_health"]["healthErrorDetails"][0], health_error)[0]

    rpi_rec = load("recordings", "V2ACreateRPI.excerpt")
    pitem = world.get(world.ok.properties.protectable_item_id)
    check("V2ACreateRPI.protectable", rpi_rec["protectable_item_from_list_offset_200000"], pitem, m.ProtectableItem)
    enable_job = world.get(world.jobs["conf-ok/EnableDr"])
    check("V2ACreateRPI.job", rpi_rec["final_entry_EnableDr_job_succeeded"]["ResponseBody"], enable_job, m.Job)
    failed = world.get(world.fail.id)
    missing, _extra = paths_diff(rpi_rec["protectable_item_validationError_example"], failed["properties"]
                                 ["healthErrors"][0])
    assert not missing, missing

    rcm = load("recordings", "TestV2ARCMCommit.excerpt")
    check("TestV2ARCMCommit.failed", rcm["Entries"][0]["item_enable_failed"],
          {"name": failed["name"], "properties": failed["properties"]}, m.ReplicationProtectedItem)
    check("TestV2ARCMCommit.job", rcm["Entries"][2]["ResponseBody"], enable_job, m.Job)

    # failover: the recorded test failover / cleanup jobs (InMageAzureV2), the failed-over item and commit job (RCM)
    tfo_job = world.get(world.jobs["conf-fo/TestFailover"])
    check("V2ATFOJob.tfo_job", tfo["Entries"][3]["ResponseBody"], tfo_job, m.Job)
    assert [t["name"] for t in tfo_job["properties"]["tasks"]] == \
        [t["name"] for t in tfo["Entries"][3]["ResponseBody"]["properties"]["tasks"]]
    cleanup_job = world.get(world.jobs["conf-fo/TestFailoverCleanup"])
    check("V2ATFOJob.cleanup_job", tfo["Entries"][6]["ResponseBody"], cleanup_job, m.Job)
    assert [(t["taskId"], t["name"], t["friendlyName"]) for t in cleanup_job["properties"]["tasks"]] == \
        [(t["taskId"], t["name"], t["friendlyName"]) for t in tfo["Entries"][6]["ResponseBody"]["properties"]["tasks"]]
    assert cleanup_job["properties"]["customDetails"]["comments"] == "Test Failover Cleanup"
    rec_item = rcm["Entries"][0]["item_failed_over_waiting_commit"]
    failed_over = world.after["ReplicationProtectedItems_UnplannedFailover"]
    check("TestV2ARCMCommit.failed_over", rec_item, {"name": failed_over["name"],
                                                     "properties": failed_over["properties"]},
          m.ReplicationProtectedItem)
    for key in ("protectionState", "protectionStateDescription", "activeLocation", "testFailoverState",
                "testFailoverStateDescription"):
        assert failed_over["properties"][key] == rec_item["properties"][key], key
    commit_job = world.get(world.jobs["conf-fo/CommitFailover"])
    check("TestV2ARCMCommit.commit_job", rcm["Entries"][2]["ResponseBody"], commit_job, m.Job)
    assert [(t["name"], t["friendlyName"]) for t in commit_job["properties"]["tasks"]] == \
        [(t["name"], t["friendlyName"]) for t in rcm["Entries"][2]["ResponseBody"]["properties"]["tasks"]]
    assert e.asr.replication_protected_items.get(RG, VAULT, e.f, e.c, "conf-fail").properties.protection_state \
        == rcm["Entries"][0]["item_enable_failed"]["properties"]["protectionState"]


def test_recorded_inmagercm_items(world):
    """The simulator's InMageRcm items against TestV2ARCMCommit: the item failed over and waiting for commit (top level,
    InMageRcmReplicationDetails, one protected disk and one NIC as recorded in a single GET) and the failed enable."""
    rcm = load("recordings", "TestV2ARCMCommit.excerpt")["Entries"][0]
    rec, mine = rcm["item_failed_over_waiting_commit"], world.get(world.rcm.failed_over)
    check("TestV2ARCMCommit.rcm_failed_over", rec, {"name": mine["name"], "properties": mine["properties"]},
          m.ReplicationProtectedItem)
    for key in ("protectionState", "protectionStateDescription", "activeLocation", "testFailoverState",
                "testFailoverStateDescription", "allowedOperations", "protectedItemType", "protectableItemId",
                "primaryFabricProvider", "recoveryFabricId", "recoveryProtectionContainerFriendlyName"):
        assert mine["properties"][key] == rec["properties"][key], key
    rpsd, psd = rec["properties"]["providerSpecificDetails"], mine["properties"]["providerSpecificDetails"]
    for key in ("initialReplicationProgressPercentage", "initialReplicationProgressHealth", "resyncProgressHealth",
                "resyncRequired", "resyncState", "agentUpgradeState", "isAgentRegistrationSuccessfulAfterFailover",
                "storageAccountId", "licenseType"):
        assert psd[key] == rpsd[key], key
    for name, ref, sim in (("rcm_disk", rpsd["_in_single_GET_protectedDisks[1]"], psd["protectedDisks"][0]),
                           ("rcm_nic", rpsd["_in_single_GET_vmNics[0]"], psd["vmNics"][0])):
        missing, extra = paths_diff(ref, sim)
        assert not missing and extra <= ALLOWED_EXTRA.get("TestV2ARCMCommit." + name, set()), (name, missing, extra)
    assert psd["protectedDisks"][0]["diskName"] == "\\\\.\\PHYSICALDRIVE0" and psd["vmNics"][0]["targetIPAddress"] == ""
    rec, mine = rcm["item_enable_failed"], world.get(world.rcm.failed)
    check("TestV2ARCMCommit.rcm_failed", rec, {"name": mine["name"], "properties": mine["properties"]},
          m.ReplicationProtectedItem)
    err, rerr = mine["properties"]["healthErrors"][0], rec["properties"]["healthErrors"][0]
    assert {k: v for k, v in err.items() if k not in ("errorMessage", "entityId")} == \
        {k: v for k, v in rerr.items() if k not in ("errorMessage", "entityId")}
    for key in ("protectionState", "protectionStateDescription", "activeLocation", "testFailoverState",
                "allowedOperations", "replicationHealth", "failoverHealth", "primaryFabricProvider"):
        assert mine["properties"][key] == rec["properties"][key], key
    assert mine["properties"]["currentScenario"]["scenarioName"] == "EnableProtection"
    for key in ("protectedDisks", "lastRecoveryPointId", "agentUpgradeState", "isLastUpgradeSuccessful"):
        assert mine["properties"]["providerSpecificDetails"][key] == rec["properties"]["providerSpecificDetails"][key]
