"""InMageRcm (modernized) replication protected items: enable protection, item details, update.

Plugged into siterecovery_items through its hooks (ENABLE_HOOKS by fabric type, PSD_RENDERERS / UPDATE_HOOKS /
ENABLE_FAILED_ERRORS by providerSpecificDetails.instanceType); the state machine, jobs, recovery points, disable, purge
and the failover actions (siterecovery_failover) are shared with the classic provider.

Inputs as PowerShell fills them (NewAzureRmRecoveryServicesAsrReplicationProtectedItem.cs): fabricDiscoveryMachineId =
the discovered machine's ARM id (Microsoft.OffAzure/serverSites/{site}/machines/{machine} or
VMwareSites/{site}/machines/{machine}); runAsAccountId =
a run-as account of the machine's site (physical: the machine's runAsAccountId; VMware: matched on displayName);
protectableItemId null or empty (appliance-discovered machines are not protectable items); processServerId = the
id of the process server named like the appliance in the fabric's InMageRcmFabricSpecificDetails.processServers.
Details: InMageRcmReplicationDetails with the keys of the TestV2ARCMCommit recording; the failed-enable item looks
like the recording's (health error 310056, protectedDisks []).
"""
import ipaddress
import math

from ..sim import iso
from .siterecovery import AZURE, AZURE_CONTAINER, AZURE_FABRIC, T_ITEM, T_MAPPING, accepted, bad, find_policy, guid, \
    heartbeat
from .siterecovery_cs import AGENT_VERSION, host_facts
from .siterecovery_items import (DISK_TYPES, ENABLE_FAILED_ERRORS, ENABLE_HOOKS, ENABLE_TASKS, IR_SECONDS_PER_128GB,
                                 LICENSES, PSD_RENDERERS, PUSH_TASK, UPDATE_HOOKS, UPDATE_TASKS, _start_item_op,
                                 check_choice, check_vm_name, default_vm_name, item_job, push_error_code,
                                 push_error_details, render_point, target_network, target_resource)
from . import compute, compute_catalog
from .siterecovery import job_error
from .siterecovery_rcm import machine, process_server, run_as_account, site_of_machine

LINUX_LICENSES = ("NotSpecified", "NoLicenseType", "LinuxServer")
SQL_LICENSES = ("NotSpecified", "NoLicenseType", "PAYG", "AHUB")
# InMageAzureV2 (configuration server) input keys and what InMageRcmEnableProtectionInput uses instead
CLASSIC_KEYS = {"masterTargetId": "processServerId (the appliance's process server)",
                "targetAzureNetworkId": "targetNetworkId", "targetAzureSubnetId": "targetSubnetName",
                "targetAzureV2ResourceGroupId": "targetResourceGroupId",
                "targetAzureV1ResourceGroupId": "targetResourceGroupId", "targetAzureVmName": "targetVmName",
                "storageAccountId": "disksDefault.logStorageAccountId", "logStorageAccountId":
                    "disksDefault.logStorageAccountId", "diskType": "disksDefault.diskType",
                "multiVmGroupId": "multiVmGroupName", "enableRdpOnTargetOption": "nothing (not an InMageRcm setting)",
                "recoveryPointThresholdInMinutes": "nothing (InMageRcm has no RPO threshold)",
                "multiVmSyncStatus": "the policy's enableMultiVmSync"}


def _tag_list(inp, key):
    value = inp.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(t, dict) and t.get("tagName") for t in value):
        raise bad("InvalidParameter", f"{key} must be a list of {{tagName, tagValue}} (UserCreatedResourceTag).")
    return [{"tagName": t["tagName"], "tagValue": t.get("tagValue")} for t in value]


def _storage(scope, rid, what):
    """A storage account of the vault's cloud, in the vault's region (the cache / log account of the appliance)."""
    account = target_resource(scope, rid, "Microsoft.Storage/storageAccounts", "StorageAccountNotFound", what)
    if account["location"] != scope.vault["location"]:
        raise bad("StorageAccountLocationMismatch", f"The {what} '{rid}' is in '{account['location']}'; it must be "
                                                    f"in the vault's region '{scope.vault['location']}'.")
    return account["id"]


def _disk_settings(scope, spec, what):
    if not isinstance(spec, dict):
        raise bad("InvalidParameter", f"{what} must be an object with diskType and logStorageAccountId.")
    if spec.get("diskType") not in DISK_TYPES:
        raise bad("InvalidParameter", f"{what}.diskType '{spec.get('diskType')}' is not valid. Valid values: "
                                      f"{', '.join(DISK_TYPES)}.")
    if not spec.get("logStorageAccountId"):
        raise bad("InvalidParameter", f"{what}.logStorageAccountId (the cache storage account) is required.")
    return {"diskType": spec["diskType"], "logStorageAccountId": _storage(scope, spec["logStorageAccountId"],
                                                                          "log storage account"),
            "diskEncryptionSetId": spec.get("diskEncryptionSetId"), "sectorSizeInBytes": spec.get("sectorSizeInBytes"),
            "diskSizeInGB": spec.get("diskSizeInGB")}


def _disks(scope, inp, found):
    """(protected disks, unprotected disks) from disksToInclude (listed disks, the OS disk required) else disksDefault
    (every disk of the machine)."""
    default, include = inp.get("disksDefault"), inp.get("disksToInclude")
    if not default and not include:
        raise bad("InvalidParameter", "disksDefault (diskType, logStorageAccountId) or disksToInclude is required.")
    chosen = {}
    if include:
        ids = {d["diskId"].lower(): d for d in found}
        for spec in include:
            disk = ids.get(str((spec or {}).get("diskId")).lower())
            if disk is None:
                raise bad("InvalidParameter", f"The disk '{(spec or {}).get('diskId')}' is not a disk of the machine "
                                              f"(disks: {', '.join(d['diskId'] for d in found)}).")
            chosen[disk["diskId"]] = _disk_settings(scope, spec, "disksToInclude[]")
        if found[0]["diskId"] not in chosen:
            raise bad("InvalidParameter", "disksToInclude must include the OS disk "
                                          f"'{found[0]['diskId']}' ({found[0]['name']}).")
    else:
        settings = _disk_settings(scope, default, "disksDefault")
        chosen = {d["diskId"]: settings for d in found}
    protected = [dict(chosen[d["diskId"]], diskId=d["diskId"], diskName=d["name"], isOSDisk=d["isOSDisk"],
                      capacityInBytes=d["maxSizeInBytes"]) for d in found if d["diskId"] in chosen]
    unprotected = [{"diskId": d["diskId"], "diskName": d["name"], "capacityInBytes": d["maxSizeInBytes"]}
                   for d in found if d["diskId"] not in chosen]
    return protected, unprotected


def _test_network(scope, inp, subnet):
    """(test network id, test subnet name) or (None, None); the test network may equal the target network (the
    portal only advises another one; TestV2ARCMCommit uses the same network for both)."""
    if not inp.get("testNetworkId"):
        if inp.get("testSubnetName"):
            raise bad("InvalidParameter", "testSubnetName needs testNetworkId.")
        return None, None
    if inp.get("testSubnetName"):
        vnet, name = target_network(scope, inp["testNetworkId"], inp["testSubnetName"], what="test network")
        return vnet["id"], name
    vnet, _unused = target_network(scope, inp["testNetworkId"], what="test network")
    names = [s["name"] for s in vnet["properties"]["subnets"]]
    return vnet["id"], next((n for n in names if n.lower() == subnet.lower()), names[0] if names else None)


def enable_protection(scope, req, container, fabric, iid):
    """Enable replication on an InMageRcm container. Every input is checked here, so nothing is created on bad input."""
    props = (req.json() or {}).get("properties") or {}
    inp = props.get("providerSpecificDetails") or {}
    if inp.get("instanceType") != "InMageRcm":
        raise bad("InvalidParameter", f"The replication provider '{inp.get('instanceType')}' is not supported for a "
                                      "replication appliance (InMageRcm) fabric; use InMageRcm "
                                      "(InMageRcmEnableProtectionInput).")
    classic = [k for k in inp if k in CLASSIC_KEYS]
    if classic:
        raise bad("InvalidParameter", "; ".join(f"'{k}' is an InMageAzureV2 (configuration server) setting, "
                                                f"InMageRcm uses {CLASSIC_KEYS[k]}" for k in classic) + ".")
    policy = find_policy(scope, props.get("policyId"))
    if policy["properties"]["providerSpecificDetails"]["instanceType"] != "InMageRcm":
        raise bad("InvalidParameter", f"The replication policy '{policy['name']}' is not an InMageRcm policy.")
    if not any(m["properties"]["policyId"].lower() == policy["id"].lower()
               and m["properties"]["targetProtectionContainerId"] == AZURE
               for m in scope.children(T_MAPPING, container["id"])):
        raise bad("PolicyNotAssociated", f"The replication policy '{policy['name']}' is not associated with the "
                                         f"protection container '{container['name']}' for replication to Azure.")
    mid = inp.get("fabricDiscoveryMachineId") or ""
    if not mid:
        raise bad("InvalidParameter", "fabricDiscoveryMachineId (the ARM id of the discovered machine) is required.")
    site_id = site_of_machine(fabric, mid) or fabric["azsim"]["site_id"]
    if "/replicationprotectableitems/" in mid.lower():
        raise bad("InvalidParameter", f"fabricDiscoveryMachineId must be the ARM id of the discovered machine "
                                      f"({site_id}/machines/{mid.rstrip('/').rsplit('/', 1)[-1]}), not a "
                                      "replicationProtectableItems id.")
    found = machine(scope.sim, mid) if site_of_machine(fabric, mid) else None
    if found is None or found["properties"].get("isDeleted"):
        raise bad("ProtectableItemNotFound", f"The machine '{mid}' has not been discovered by a replication appliance "
                                             f"of the fabric '{fabric['name']}' (sites {fabric['azsim']['site_id']}, "
                                             f"{fabric['azsim'].get('vmware_site_id')})"
                                             + (" or it was deleted." if found else "."))
    friendly = found["properties"]["displayName"]
    mirrored = found["azsim"].get("protectable_id")  # only with --mirror-rcm-protectable-items
    if props.get("protectableItemId") and (not mirrored or props["protectableItemId"].lower() != mirrored.lower()):
        raise bad("InvalidParameter", f"protectableItemId '{props['protectableItemId']}' is not the protectable item "
                                      f"of the machine '{mid}'; send null or empty for InMageRcm (the machine is "
                                      "fabricDiscoveryMachineId).")
    if any((i["azsim"].get("machine_id") or "").lower() == found["id"].lower()
           for i in scope.children(T_ITEM, container["id"])):
        raise bad("ProtectableItemAlreadyProtected", f"The machine '{friendly}' is already protected.")
    app, health = process_server(scope, fabric, inp.get("processServerId"))
    if app is None:
        raise bad("ProcessServerNotFound", f"The process server '{inp.get('processServerId')}' is not a process "
                                           f"server of the fabric '{fabric['name']}' (see its customDetails."
                                           "processServers).")
    if health != "Normal":
        raise bad("ProcessServerNotHealthy", f"The process server of the replication appliance '{app['name']}' is "
                                             f"'{health}'; choose a healthy appliance.")
    facts = found["azsim"]["facts"]
    os_type, ip = facts["os"], facts["ip"]
    account = None
    if inp.get("runAsAccountId"):
        account = run_as_account(scope.sim, inp["runAsAccountId"])
        if account is None or not account["id"].lower().startswith(site_id.lower() + "/runasaccounts/"):
            raise bad("RunAsAccountNotFound", f"The run-as account '{inp['runAsAccountId']}' is not an account of "
                                              f"the site {site_id}.")
    elif ip is None or not host_facts(scope.sim, ip)["agent_installed"]:
        raise bad("RunAsAccountNotFound", "runAsAccountId is required to push-install the Mobility service.")
    rg = target_resource(scope, inp.get("targetResourceGroupId"), "Microsoft.Resources/resourceGroups",
                         "TargetResourceGroupNotFound", "target resource group")
    if not inp.get("targetNetworkId") or not inp.get("targetSubnetName"):
        raise bad("InvalidParameter", "targetNetworkId and targetSubnetName are required (the network the machine "
                                      "fails over to).")
    vnet, subnet = target_network(scope, inp["targetNetworkId"], inp["targetSubnetName"])
    test_id, test_subnet = _test_network(scope, inp, subnet)
    vm_name = check_vm_name(inp["targetVmName"], os_type) if inp.get("targetVmName") else default_vm_name(friendly)
    check_choice(inp.get("licenseType"), LICENSES, "licenseType")
    check_choice(inp.get("linuxLicenseType"), LINUX_LICENSES, "linuxLicenseType")
    check_choice(inp.get("sqlServerLicenseType"), SQL_LICENSES, "sqlServerLicenseType")
    if inp.get("targetAvailabilitySetId"):
        target_resource(scope, inp["targetAvailabilitySetId"], "Microsoft.Compute/availabilitySets",
                        "TargetAvailabilitySetNotFound", "target availability set")
    _check_placement(scope, inp.get("targetAvailabilityZone"), inp.get("targetAvailabilitySetId"),
                     inp.get("targetVmSize") or facts["size"] or "Standard_D2s_v3")
    if inp.get("targetBootDiagnosticsStorageAccountId"):
        _storage(scope, inp["targetBootDiagnosticsStorageAccountId"], "boot diagnostics storage account")
    tags = {k: _tag_list(inp, k) for k in ("targetVmTags", "seedManagedDiskTags", "targetManagedDiskTags",
                                           "targetNicTags")}
    protected, unprotected = _disks(scope, inp, found["azsim"]["disks"])
    code = push_error_code(scope.sim, account["azsim"]["username"] if account else None, ip, os_type)
    if code is None and account is not None and account["azsim"]["os"] != os_type:
        code = 95107 if os_type == "Windows" else 95108  # a Linux credential on Windows (or the reverse)
    internal = guid(iid, "internal")
    psd = {
        "instanceType": "InMageRcm", "internalIdentifier": internal, "fabricDiscoveryMachineId": found["id"],
        "multiVmGroupName": inp.get("multiVmGroupName"), "discoveryType": "PhysicalMachine",
        "processServerId": app["ids"]["processServer"], "processorCoreCount": facts["cpu"],
        "allocatedMemoryInMB": float(facts["ram"]), "processServerName": app["name"],
        "runAsAccountId": account["id"] if account else None, "osType": os_type, "firmwareType": "BIOS",
        "primaryNicIpAddress": next((n["ips"][0] for n in facts["nics"] if n["primary"] and n["ips"]), ip),
        "targetGeneration": "V1", "licenseType": inp.get("licenseType") or "NotSpecified",
        "linuxLicenseType": inp.get("linuxLicenseType") or "NotSpecified", "storageAccountId": None,
        "targetVmName": vm_name, "targetVmSize": inp.get("targetVmSize") or facts["size"] or "Standard_D2s_v3",
        "targetResourceGroupId": rg["id"], "targetLocation": scope.vault["location"],
        "targetAvailabilitySetId": inp.get("targetAvailabilitySetId"),
        "targetAvailabilityZone": inp.get("targetAvailabilityZone"),
        "targetProximityPlacementGroupId": inp.get("targetProximityPlacementGroupId"),
        "targetBootDiagnosticsStorageAccountId": inp.get("targetBootDiagnosticsStorageAccountId"),
        "targetNetworkId": vnet["id"], "testNetworkId": test_id, "failoverRecoveryPointId": None,
        "lastRecoveryPointReceived": None, "lastRpoInSeconds": None, "lastRpoCalculatedTime": None,
        "lastRecoveryPointId": None, "initialReplicationProgressPercentage": None,
        "initialReplicationProcessedBytes": None, "initialReplicationTransferredBytes": None,
        "initialReplicationProgressHealth": "None", "resyncProgressPercentage": None, "resyncProcessedBytes": None,
        "resyncTransferredBytes": None, "resyncProgressHealth": "None", "resyncRequired": "false",
        "resyncState": "None", "agentUpgradeState": "None", "lastAgentUpgradeType": None, "agentUpgradeJobId": None,
        "agentUpgradeAttemptToVersion": None, "protectedDisks": [], "unprotectedDisks": unprotected,
        "isLastUpgradeSuccessful": "false", "isAgentRegistrationSuccessfulAfterFailover": False,
        "mobilityAgentDetails": None, "lastAgentUpgradeErrorDetails": [], "agentUpgradeBlockingErrorDetails": [],
        "vmNics": [{"nicId": n["mac"] or guid(internal, "nic", str(i)), "isPrimaryNic": str(n["primary"]).lower(),
                    "isSelectedForFailover": "true", "sourceIPAddress": n["ips"][0] if n["ips"] else None,
                    "sourceIPAddressType": n["allocation"], "sourceNetworkId": n["network"],
                    "sourceSubnetName": n["subnet"], "targetIPAddress": "", "targetIPAddressType": "Dynamic",
                    "targetSubnetName": subnet, "testSubnetName": test_subnet, "testIPAddress": None,
                    "testIPAddressType": "Dynamic", "targetNicName": None} for i, n in enumerate(facts["nics"])],
        "discoveredVmDetails": None, **tags,
        "sqlServerLicenseType": inp.get("sqlServerLicenseType") or "NotSpecified", "supportedOSVersions": [],
        "osName": facts["os_name"], "targetVmSecurityProfile": inp.get("targetVmSecurityProfile"),
        "targetCapacityReservationGroupId": inp.get("targetCapacityReservationGroupId")}
    props_out = {
        "friendlyName": friendly, "protectedItemType": "", "protectableItemId": None,
        "primaryFabricFriendlyName": fabric["properties"]["friendlyName"], "primaryFabricProvider": "InMageRcmFabric",
        "recoveryFabricFriendlyName": AZURE, "recoveryFabricId": AZURE,
        "primaryProtectionContainerFriendlyName": container["properties"]["friendlyName"],
        "recoveryProtectionContainerFriendlyName": AZURE, "activeLocation": "Primary", "testFailoverState": "None",
        "testFailoverStateDescription": "None", "failoverHealth": "Normal", "policyId": policy["id"],
        "policyFriendlyName": policy["name"],
        "recoveryContainerId": scope.rid("replicationFabrics", AZURE_FABRIC, "replicationProtectionContainers",
                                         AZURE_CONTAINER),
        "eventCorrelationId": guid(iid, "event"), "providerSpecificDetails": psd}
    gb = sum(d["capacityInBytes"] for d in protected) / 1024 ** 3
    item = {"id": iid, "name": iid.rsplit("/", 1)[-1], "type": T_ITEM, "properties": props_out,
            "azsim": {"vm_id": internal, "ops": [], "factor": scope.sim.time_factor,
                      "ir_seconds": IR_SECONDS_PER_128GB * gb / 128.0, "disks": protected,
                      "protectable_id": mirrored, "address": found["azsim"]["address"],
                      "machine_id": found["id"], "gov_vm_id": facts["vm_id"]}}
    fail = (PUSH_TASK, push_error_details(code, ip or found["azsim"]["address"])) if code else None
    job = item_job(scope, req, item, "EnableDr", "Enable replication", ENABLE_TASKS, fail=fail)
    jdoc = scope.get(scope.rid("replicationJobs", job))
    item["azsim"]["ops"].append({"scenario": "EnableProtection", "job": job})
    if not code:
        item["azsim"]["agent_installed_at"] = jdoc["azsim"]["tasks"][PUSH_TASK][4]
    scope.put(item, T_ITEM)
    return accepted(scope, job, iid)


# -- details -------------------------------------------------------------------------------------------------------
def _sync(progress_health, total, pct, start, now):
    done = total * pct // 100
    return {"progressHealth": progress_health, "transferredBytes": done * 6 // 10,
            "last15MinutesTransferredBytes": done * 6 // 10 if progress_health == "InProgress" else 0,
            "lastDataTransferTimeUtc": iso(now) if progress_health == "InProgress" else None,
            "processedBytes": done, "startTime": iso(start) if start else None, "lastRefreshTime": iso(now),
            "progressPercentage": pct}


def _disk_base(name):
    return name.replace("\\\\.\\", "").rsplit("/", 1)[-1]


def _target_disks(scope, vm_id):
    vm = scope.store.get_resource(scope.cloud, vm_id or "") if vm_id else None
    if vm is None:
        return []
    prof = vm["properties"]["storageProfile"]
    return [prof["osDisk"]["managedDisk"]["id"]] + [d["managedDisk"]["id"] for d in prof["dataDisks"]]


def render_details(scope, item, view, points, now):
    """InMageRcmReplicationDetails computed on read (TestV2ARCMCommit keys)."""
    psd = dict(item["properties"]["providerSpecificDetails"], **view["psd"])
    az = item["azsim"]
    state = view["state"][0]
    installed = az.get("agent_installed_at", math.inf) <= now
    beat = heartbeat(az["agent_installed_at"], now) if installed else None
    in_ir = state == "InitialReplicationInProgress"
    failed_over = view["active"] == "Recovery"
    registered = in_ir or view["since"] is not None or failed_over  # disks are registered once the enable job is done
    total = sum(d["capacityInBytes"] for d in az["disks"])
    ir_start = view["since"] - az["ir_seconds"] * az["factor"] if view["since"] else None
    target_disks = _target_disks(scope, view.get("target_vm")) if failed_over else []
    disks = []
    for i, d in enumerate(az["disks"] if registered else []):
        vm = psd["targetVmName"].replace("-", "_")
        base = _disk_base(d["diskName"])
        pct = view["progress"] if in_ir else 100
        disks.append({
            "diskId": d["diskId"], "diskName": d["diskName"], "isOSDisk": "true" if d["isOSDisk"] else "false",
            "capacityInBytes": d["capacityInBytes"], "diskState": "InitialReplicationPending" if in_ir else "Protected",
            "logStorageAccountId": d["logStorageAccountId"], "diskEncryptionSetId": d.get("diskEncryptionSetId"),
            "seedManagedDiskId": f"{psd['targetResourceGroupId']}/providers/Microsoft.Compute/disks/asrseeddisk-"
                                 f"{vm[:8]}-{base[:8]}-{guid(item['id'], 'seed', d['diskId'])}",
            "seedBlobUri": None, "targetManagedDiskId": target_disks[i] if i < len(target_disks) else None,
            "targetBlobUri": None, "diskType": d["diskType"], "dataPendingInLogDataStoreInMB": 0.0,
            "dataPendingAtSourceAgentInMB": 0.0 if in_ir or failed_over else 0.41162109375,
            "isInitialReplicationComplete": "false" if in_ir else "true",
            "irDetails": _sync("InProgress" if in_ir else "None", d["capacityInBytes"], pct, ir_start, now),
            "resyncDetails": _sync("None", d["capacityInBytes"], 0, None, now),
            "customTargetDiskName": None, "sectorSizeInBytes": d.get("sectorSizeInBytes") or 512, "iops": None,
            "throughputInMbps": None, "diskSizeInGB": d.get("diskSizeInGB") or d["capacityInBytes"] // 1024 ** 3})
    last = points[-1] if points else None
    processed = total * view["progress"] // 100 if in_ir else None
    psd.update(protectedDisks=disks, initialReplicationProgressPercentage=view["progress"] if in_ir else None,
               initialReplicationProcessedBytes=processed,
               initialReplicationTransferredBytes=processed * 6 // 10 if in_ir else None,
               initialReplicationProgressHealth="InProgress" if in_ir else "None",
               lastRecoveryPointId=render_point(item, last)["id"] if last else None,
               lastRecoveryPointReceived=iso(last[0]) if last else None, failoverRecoveryPointId=view["point"])
    if failed_over:  # the RPO at failover time, kept
        psd.update(lastRpoInSeconds=25 + int(view["until"]) % 30, lastRpoCalculatedTime=iso(view["until"]))
    elif view["since"] is not None:
        psd.update(lastRpoInSeconds=view["rpo"], lastRpoCalculatedTime=beat)
    if installed:
        expiry = iso(az["agent_installed_at"] + 365 * 86400)
        psd["mobilityAgentDetails"] = {
            "version": AGENT_VERSION, "latestVersion": AGENT_VERSION, "latestAgentReleaseDate": "2024-05-30",
            "driverVersion": AGENT_VERSION, "latestUpgradableVersionWithoutReboot": AGENT_VERSION,
            "agentVersionExpiryDate": expiry, "driverVersionExpiryDate": expiry, "lastHeartbeatUtc": beat,
            "reasonsBlockingUpgrade": ["AlreadyOnLatestVersion"], "isUpgradeable": "false",
            "osFamilyName": psd["osType"], "distroName": psd.get("osName"),
            "distroNameForWhichAgentIsInstalled": psd.get("osName"), "isAgentUpgradeable": False,
            "isAgentReinstallRequired": False, "reasonsBlockingReinstall": []}
    gov = scope.store.get_resource("gov", az["gov_vm_id"]) if az.get("gov_vm_id") else None
    running = gov is not None and gov["azsim"].get("power_state", "running") == "running"
    found = scope.store.get_resource(scope.cloud, az["machine_id"]) or {}
    if registered:
        psd["discoveredVmDetails"] = {
            "vCenterId": "", "vCenterFqdn": "", "datastores": [],
            "ipAddresses": [psd["primaryNicIpAddress"]] if psd["primaryNicIpAddress"] else [],
            "vmwareToolsStatus": "", "powerStatus": "ON" if running else "OFF",
            "vmFqdn": (found.get("properties") or {}).get("fqdn") or item["properties"]["friendlyName"],
            "osName": psd.get("osName"), "createdTimestamp": (found.get("properties") or {}).get("createdTimestamp"),
            "updatedTimestamp": iso(now), "isDeleted": False,
            "lastDiscoveryTimeInUtc": heartbeat(az["agent_installed_at"], now) if installed else None}
    return psd


def enable_failed_error(item, job, end):
    """The failed enable's health error as TestV2ARCMCommit records it for an InMageRcm item (the push-install error
    itself is in the EnableDr job named by currentScenario)."""
    name = item["properties"]["friendlyName"]
    return {"innerHealthErrors": [], "errorSource": "ProtectedEntitySystemError", "errorType": "6",
            "errorLevel": "Error", "errorCategory": "Replication", "errorCode": "310056",
            "summaryMessage": "Enable replication failed",
            "errorMessage": f"Protection could not be configured for the machine '{name}'.",
            "possibleCauses": "Check the failed Enable Protection job for more information.",
            "recommendedAction": "Resolve the issue, disable protection on the machine and then retry the enable "
                                 "protection operation.",
            "creationTimeUtc": "0001-01-01T00:00:00", "recoveryProviderErrorMessage": None,
            "entityId": item["azsim"]["vm_id"], "errorId": "0:6", "customerResolvability": "NotAllowed"}


# -- update (InMageRcmUpdateReplicationProtectedItemInput) ------------------------------------------------------------
def update_item(scope, req, item):
    props = (req.json() or {}).get("properties") or {}
    inp = props.get("providerSpecificDetails") or {}
    if inp.get("instanceType") != "InMageRcm":
        raise bad("InvalidParameter", "An InMageRcm item is updated with providerSpecificDetails of instanceType "
                                      "InMageRcm (InMageRcmUpdateReplicationProtectedItemInput).")
    psd = item["properties"]["providerSpecificDetails"]
    patch = {}
    if inp.get("targetVmName"):
        patch["targetVmName"] = check_vm_name(inp["targetVmName"], psd["osType"])
    if inp.get("targetResourceGroupId"):
        patch["targetResourceGroupId"] = target_resource(
            scope, inp["targetResourceGroupId"], "Microsoft.Resources/resourceGroups", "TargetResourceGroupNotFound",
            "target resource group")["id"]
    for key, what in (("targetNetworkId", "target network"), ("testNetworkId", "test network")):
        if inp.get(key):
            patch[key] = target_network(scope, inp[key], what=what)[0]["id"]
    for key, choices in (("licenseType", LICENSES), ("linuxLicenseType", LINUX_LICENSES),
                         ("sqlServerLicenseType", SQL_LICENSES)):
        if inp.get(key) is not None:
            patch[key] = check_choice(inp[key], choices, key)
    for key in ("targetVmSize", "targetAvailabilitySetId", "targetAvailabilityZone", "targetProximityPlacementGroupId",
                "targetBootDiagnosticsStorageAccountId", "targetCapacityReservationGroupId"):
        if inp.get(key) is not None and (inp[key] or key != "targetVmSize"):
            patch[key] = inp[key] or None  # an empty string removes the setting (availability set / zone)
    if inp.get("targetAvailabilitySetId"):
        target_resource(scope, inp["targetAvailabilitySetId"], "Microsoft.Compute/availabilitySets",
                        "TargetAvailabilitySetNotFound", "target availability set")
    if {"targetVmSize", "targetAvailabilityZone", "targetAvailabilitySetId"} & set(patch):
        _check_placement(scope, patch.get("targetAvailabilityZone", psd.get("targetAvailabilityZone")),
                         patch.get("targetAvailabilitySetId", psd.get("targetAvailabilitySetId")),
                         patch.get("targetVmSize") or psd["targetVmSize"])
    for key in ("targetVmTags", "targetManagedDiskTags", "targetNicTags"):
        if inp.get(key) is not None:
            patch[key] = _tag_list(inp, key)
    nets = {"target": patch.get("targetNetworkId", psd["targetNetworkId"]),
            "test": patch.get("testNetworkId", psd.get("testNetworkId"))}
    nics = [dict(n) for n in psd["vmNics"]]
    for upd in inp.get("vmNics") or []:
        upd = upd if isinstance(upd, dict) else {}
        nic = next((n for n in nics if n["nicId"].lower() == str(upd.get("nicId")).lower()), None)
        if nic is None:
            raise bad("InvalidParameter", f"The NIC '{upd.get('nicId')}' is not a NIC of the replicated item "
                                          f"(nicIds: {', '.join(n['nicId'] for n in nics)}).")
        if str(upd.get("isPrimaryNic")).lower() not in ("true", "false"):  # InMageRcmNicInput: nicId, isPrimaryNic
            raise bad("InvalidParameter", f"vmNics[].isPrimaryNic is required ('true' or 'false') for the NIC "
                                          f"'{nic['nicId']}'.")
        for side in ("target", "test"):
            if upd.get(f"{side}SubnetName"):
                if not nets[side]:
                    raise bad("InvalidParameter", f"{side}SubnetName needs the item's {side}NetworkId.")
                nic[f"{side}SubnetName"] = target_network(scope, nets[side], upd[f"{side}SubnetName"],
                                                          what=f"{side} network")[1]
            wanted = upd.get(f"{side}StaticIPAddress")
            if wanted and not nets[side]:
                raise bad("InvalidParameter", f"{side}StaticIPAddress needs the item's {side}NetworkId.")
            if wanted:
                _check_static_ip(scope, nets[side], nic.get(f"{side}SubnetName") or nic.get("targetSubnetName"),
                                 wanted, f"{side}StaticIPAddress")
            if wanted is not None:
                nic[f"{side}IPAddress"] = wanted
                nic[f"{side}IPAddressType"] = "Static" if wanted else "Dynamic"
        if str(upd["isPrimaryNic"]).lower() == "true":
            for other in nics:
                other["isPrimaryNic"] = "false"
        nic["isPrimaryNic"] = str(upd["isPrimaryNic"]).lower()
        # the SDK's isSelectedForFailover; Microsoft's REST article calls it isSelectedForMigration
        selected = upd.get("isSelectedForFailover", upd.get("isSelectedForMigration"))
        if selected is not None:
            nic["isSelectedForFailover"] = str(selected).lower()
        if upd.get("targetNicName") is not None:
            nic["targetNicName"] = upd["targetNicName"]
    if inp.get("vmNics") and not any(n["isPrimaryNic"] == "true" and n["isSelectedForFailover"] == "true"
                                     for n in nics):
        raise bad("InvalidParameter", "Exactly one NIC selected for failover must be the primary NIC.")
    patch["vmNics"] = nics
    action = {"name": "merge_resource", "rid": item["id"], "patch": {"properties": {"providerSpecificDetails": patch}},
              "meta": {"type": T_ITEM, "sub": scope.sub, "rg": scope.rg}}
    return _start_item_op(scope, req, item, "UpdateProtection", "UpdateVmProperties",
                          "Update the virtual machine properties", UPDATE_TASKS, action)


def _check_placement(scope, zone, avset_id, size):
    """A target availability zone must be one the vault's region has for the target size (the size's resource SKU
    locationInfo zones, compute_catalog); a VM is in a zone or in an availability set, never both (Compute)."""
    if not zone:
        return
    location = scope.vault["location"]
    zones = compute_catalog.zones_for(scope.sim, scope.cloud, size, location)
    if str(zone) not in zones:
        raise bad("InvalidParameter", f"targetAvailabilityZone '{zone}' is not an availability zone of '{location}' "
                                      f"for the virtual machine size '{size}'"
                                      + (f" (zones: {', '.join(zones)})." if zones else
                                         " (the size has no availability zones there)."))
    if avset_id:
        raise bad("InvalidParameter", "targetAvailabilityZone and targetAvailabilitySetId exclude each other: a "
                                      "virtual machine is in an availability zone or in an availability set.")


def _check_static_ip(scope, network_id, subnet_name, ip, what):
    """A static IP must be an address of the NIC's subnet (Azure reserves the first four and the last)."""
    vnet, name = target_network(scope, network_id, subnet_name)
    subnet = next(s for s in vnet["properties"]["subnets"] if s["name"].lower() == name.lower())
    net = ipaddress.ip_network(subnet["properties"]["addressPrefix"], strict=False)
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        addr = None
    if addr is None or addr not in net or addr in list(net)[:4] or addr == net.broadcast_address:
        raise bad("InvalidParameter", f"{what} '{ip}' is not a usable address of the subnet '{name}' "
                                      f"({subnet['properties']['addressPrefix']}).")


# -- failover: the target VM's NICs ---------------------------------------------------------------------------------
def failover_nics(scope, item, vnet, test):
    """(NIC plan, job error or None) of the VM a (test) failover creates: one NIC per vmNic selected for failover,
    each in its target (test) subnet of `vnet` (the VNet's first subnet when the name is gone), with its static IP
    when one is set; the error is PrivateIPAddressInUse when a static IP is already held in that VNet."""
    psd = item["properties"]["providerSpecificDetails"]
    names = [s["name"] for s in vnet["properties"]["subnets"]]
    plan, error = [], None
    for nic in psd.get("vmNics") or [{}]:
        if str(nic.get("isSelectedForFailover", "true")).lower() != "true":
            continue
        wanted = (nic.get("testSubnetName") or nic.get("targetSubnetName")) if test else nic.get("targetSubnetName")
        subnet = next((n for n in names if wanted and n.lower() == wanted.lower()), names[0])
        static = (nic.get("testIPAddress") if test else nic.get("targetIPAddress")) or None
        subnet_id = f"{vnet['id']}/subnets/{subnet}"
        owner = compute.ip_owner(scope.store, scope.cloud, vnet["id"], static) if static else None
        if static and owner is None and static in [p["static_ip"] for p in plan]:
            owner = "another NIC of the same virtual machine"
        if owner and error is None:
            error = job_error("PrivateIPAddressInUse",
                              f"IP configuration {subnet_id} is using the private IP address {static} which is "
                              f"already allocated to resource {owner}.",
                              causes="The static IP address chosen for the NIC of the failed-over virtual machine is "
                                     "in use in the target network.",
                              action="Choose a free IP address for the NIC (update the replicated item's vmNics) or "
                                     "free the address, then retry the operation.")
        plan.append({"subnet_id": subnet_id, "static_ip": static, "primary": nic.get("isPrimaryNic") == "true",
                     "name": nic.get("targetNicName")})
    if plan and not any(p["primary"] for p in plan):
        plan[0]["primary"] = True
    return plan, error


ENABLE_HOOKS["InMageRcm"] = enable_protection
PSD_RENDERERS["InMageRcm"] = render_details
UPDATE_HOOKS["InMageRcm"] = update_item
ENABLE_FAILED_ERRORS["InMageRcm"] = enable_failed_error
