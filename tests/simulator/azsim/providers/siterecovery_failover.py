"""Failover of replication protected items: test failover, test failover cleanup, unplanned failover, commit.

Each action is a job-backed LRO like every other write (siterecovery.py): validated at the initial request (nothing
is created on bad input), then a job whose tasks are computed from stored timestamps, with the side effects applied
when due: the test VM / the failed-over VM is created in the vault's cloud (public) when the job ends, the test VM is
deleted when the cleanup job ends, and the source machine (a Gov VM) is shut down when the failover's shutdown task
ends. The item's view comes from the @scenario handlers below, folded with the rest of the item's operations
(siterecovery_items.item_view). Provider-neutral where it costs nothing: the provider-specific parts are the input's
instanceType check and where the target settings are read (`_target_settings`).

Names and shapes: README "Site Recovery" (failover section) and its deviations list.
"""
import time

from ..sim import iso
from . import compute, compute_catalog, siterecovery_rcm_items
from .siterecovery import ACTIONS, ITEM, T_ITEM, Scope, bad, job_error, route, schedule, task
from .siterecovery_cs import host_facts
from .siterecovery_items import (PROTECTED_OPS, _current, _require_allowed, _start_item_op, item_view, need_item,
                                 points_of, render_point, scenario, target_network, target_resource)

# V2ATFOJob.excerpt.json: the TestFailover job of an InMageAzureV2 item (task ids, names, friendly names); the job took
# 240 s (the split between tasks is invented).
TFO_TASKS = [
    task("TestFailoverPreflightChecksTask", "VmTfoPrerequisitesCheck", "Prerequisites check for test failover", 5),
    task("BeginTestFailoverTask", "VmTfoInitiateFailover", "Starting test failover", 15),
    task("PrepareTestProtectedEntitiesTask", "VmTfoPrepareTestVm", "Creating test virtual machine", 180),
    task("BootTestProtectedEntitiesTask", "VmTfoBootTestVm", "Start the virtual machine", 40)]
TFO_VM_TASK = 2
# V2ATFOJob.excerpt.json: the TestFailoverCleanup job, with its recorded durations (~0.3 s, ~0.5 s, 162 s).
CLEANUP_TASKS = [
    task("TestFailoverCleanupPreflightChecksTask", "VmTfoCleanupPreflightsCheck",
         "Prerequisites check for test failover cleanup", 1),
    task("EndTestFailoverTask", "VmTfoEndFailover", "Ending test failover", 1),
    task("CleanupTestProtectedEntitiesTask", "VmTfoDeleteTestVm", "Clean up the test virtual machine", 162)]
# Unplanned failover: scenario "UnplannedFailover" / "Unplanned failover" are documented (MS Docs REST article); the
# tasks are invented after the test failover ones.
FO_PREREQ = task("UnplannedFailoverPreflightChecksTask", "VmFailoverPrerequisitesCheck",
                 "Prerequisites check for failover", 5)
FO_SHUTDOWN = task("ShutdownPrimaryTask", "VmShutdownPrimary", "Shut down the virtual machine", 60)
FO_REST = [task("BeginFailoverTask", "VmInitiateFailover", "Starting failover", 15),
           task("PrepareProtectedEntitiesTask", "VmPrepareRecoveryVm", "Creating the virtual machine", 180),
           task("BootProtectedEntitiesTask", "VmBootRecoveryVm", "Start the virtual machine", 40)]
# TestV2ARCMCommit.excerpt.json: the CommitFailover job ("Commit"), ~1 s.
COMMIT_TASKS = [task("CommitFailoverPreflightChecksTask", "VmCommitPrerequisitesCheck", "Prerequisite check", 1),
                task("CommitFailoverTask", "VmCommit", "Commit", 1)]

TFO_RUNNING = ("TestFailoverInitiated", "Test failover in progress")  # invented (Microsoft.DataReplication's enum)
TFO_PENDING = ("WaitingForCompletion", "Waiting for user input")  # examples
TFO_CLEANED = ("MarkedForDeletion", "Cleaning up test environment")  # examples and both recordings: kept after cleanup
FAILED_OVER_OPS = ["CompleteMigration", "Commit", "DisableProtection", "ChangePit"]  # UnplannedFailover example
# TestV2ARCMCommit: an InMageRcm item waiting for commit also lists SwitchProtection (reprotect; not simulated)
RCM_FAILED_OVER_OPS = FAILED_OVER_OPS + ["SwitchProtection"]
COMMITTED_OPS = ["CompleteMigration", "DisableProtection"]  # FailoverCommit example without Failback (not simulated)


# -- capacity (compute_catalog: the admin quota and size-restriction knobs) ------------------------------------------
def capacity_error(scope, spec):
    """The job error of a VM creation the target region would refuse, or None: a size restricted in the location
    (SkuNotAvailable), or the size's family or the regional vCPUs over the subscription's limit (OperationNotAllowed,
    compute's quota error). Usage and limits are those the Compute usages API reports (compute_catalog)."""
    if spec.get("ip_error"):  # InMageRcm: a NIC's static IP is taken (siterecovery_rcm_items.failover_nics)
        return spec["ip_error"]
    location, sub = spec["location"], spec["resource_group_id"].split("/")[2]
    size = next((s for s in compute_catalog.SIZES if s.lower() == spec["size"].lower()), None)
    if size is None:
        return None  # a size the catalog does not know: no quota or restriction applies
    vm_id = _vm_id(spec)
    zone = spec.get("zone") or ""
    if not compute_catalog.offered(size, location) or \
            compute_catalog.sku_entry(scope.sim, scope.cloud, size, location)["restrictions"] or \
            (zone and zone not in compute_catalog.zones_for(scope.sim, scope.cloud, size, location)):
        return job_error("SkuNotAvailable", f"The requested size for resource '{vm_id}' is currently not available in "
                                            f"location '{location}' zones '{zone}' for subscription '{sub}'. Please "
                                            "try another size or deploy to a different location or zones. See "
                                            "https://aka.ms/azureskunotavailable for details.",
                         causes="The virtual machine size is not available in the target region for the subscription.",
                         action="Choose another size for the replicated item and retry the operation.")
    family, need = compute_catalog.SIZES[size][0], compute_catalog.SIZES[size][1]
    usage = {u["name"]["value"]: u for u in compute_catalog.usages(scope.sim, scope.cloud, sub, location)}
    for name, label in ((family, family), ("cores", "Total Regional")):
        current, limit = usage[name]["currentValue"], usage[name]["limit"]
        if current + need > limit:
            return job_error(
                "OperationNotAllowed",
                f"Operation could not be completed as it results in exceeding approved {label} Cores quota. Additional "
                f"details - Deployment Model: Resource Manager, Location: {location}, Current Limit: {limit}, Current "
                f"Usage: {current}, Additional Required: {need}, (Minimum) New Limit Required: {current + need}. "
                "Submit a request for Quota increase at https://aka.ms/ProdportalCRP by specifying parameters listed "
                "in the 'Details' section for deployment to succeed. Please read more about quota limits at "
                "https://docs.microsoft.com/en-us/azure/azure-supportability/per-vm-quota-requests",
                causes="The subscription does not have enough vCPU quota for the virtual machine size in the target "
                       "region.",
                action="Request a quota increase for the size's family in the target region, or choose another size "
                       "for the replicated item, then retry the operation.")
    return None


def name_conflict(scope, spec):
    """The job error of a (test) failover whose VM name is already taken in the target resource group, or None. Azure
    fails the job rather than touching the existing VM; the code is Compute's answer to a PUT that would replace an
    existing VM's OS disk (PropertyChangeNotAllowed), the message's first sentence is invented."""
    vm_id = _vm_id(spec)
    if scope.store.get_resource(scope.cloud, vm_id) is None:
        return None
    rg = spec["resource_group_id"].rsplit("/", 1)[-1]
    return job_error("PropertyChangeNotAllowed",
                     f"A virtual machine named '{spec['name']}' already exists in the resource group '{rg}'. Changing "
                     "property 'osDisk.name' is not allowed.",
                     causes="The target virtual machine name is used by another virtual machine in the target "
                            "resource group.",
                     action="Delete or rename the existing virtual machine, or change the target virtual machine name "
                            "of the replicated item, then retry the operation.")


# -- completion actions --------------------------------------------------------------------------------------------
def _create_vm(sim, cloud, action):
    compute.create_vm(sim, cloud, action["spec"])


def _delete_vm(sim, cloud, action):
    compute.delete_vm(sim, cloud, action["vm_id"])


def _power(sim, cloud, action):
    compute.set_power_state(sim, action["vm_cloud"], action["vm_id"], action["state"])


ACTIONS.update(asr_create_vm=_create_vm, asr_delete_vm=_delete_vm, asr_power=_power)


# -- shared checks -------------------------------------------------------------------------------------------------
def is_rcm(item):
    return item["properties"]["providerSpecificDetails"]["instanceType"] == "InMageRcm"


def source_ip(item):
    """The source machine's IP (InMageAzureV2 ipAddress, InMageRcm primaryNicIpAddress; None for a server added by an
    FQDN that resolves to no machine)."""
    psd = item["properties"]["providerSpecificDetails"]
    return psd.get("primaryNicIpAddress") if is_rcm(item) else psd["ipAddress"]


def _tags(value):
    """Tags as a dict: InMageAzureV2 keeps dicts, InMageRcm lists of UserCreatedResourceTag {tagName, tagValue}."""
    if isinstance(value, list):
        return {t.get("tagName"): t.get("tagValue") for t in value if t.get("tagName")}
    return value or {}


def _input(req, item, *required):
    props = (req.json() or {}).get("properties") or {}
    kind = item["properties"]["providerSpecificDetails"]["instanceType"]
    psd = props.get("providerSpecificDetails") or {}
    if psd.get("instanceType") != kind:
        raise bad("InvalidParameter", f"providerSpecificDetails.instanceType must be '{kind}' for the replicated item "
                                      f"'{item['name']}' (got '{psd.get('instanceType')}').")
    for key, allowed in required:
        if props.get(key) not in allowed:
            raise bad("InvalidParameter", f"The {key} '{props.get(key)}' is not valid. Valid values: "
                                          f"{', '.join(a for a in allowed if a)}.")
    return props, psd


def _recovery_point(scope, item, view, wanted, now):
    """(id, time) of the requested recovery point, or of the newest one when none is given; 400 if unknown."""
    points = [(render_point(item, pt)["id"], pt[0]) for pt in points_of(scope, item, view, now)]
    if wanted:
        name = wanted.rstrip("/").rsplit("/", 1)[-1].lower()
        for rid, t in points:
            if rid.rsplit("/", 1)[-1].lower() == name and ("/" not in wanted or rid.lower() == wanted.lower()):
                return rid, t
        raise bad("RecoveryPointNotFound", f"The recovery point '{wanted}' was not found for the replicated item "
                                           f"'{item['name']}'.")
    return points[-1] if points else (None, None)


def _target_settings(item, test):
    """(network id, subnet name, static IP, VM name) the item targets, for a test failover or a failover
    (InMageAzureV2: selectedRecoveryAzureNetworkId + vmNics[0].ipConfigs[0]; InMageRcm: targetNetworkId /
    testNetworkId + vmNics[0] target*/test* keys)."""
    psd = item["properties"]["providerSpecificDetails"]
    if is_rcm(item):
        nics = psd.get("vmNics") or [{}]
        nic = next((n for n in nics if n.get("isPrimaryNic") == "true"), nics[0])
        if test:
            return (psd.get("testNetworkId"), nic.get("testSubnetName") or nic.get("targetSubnetName"),
                    nic.get("testIPAddress") or None, psd["targetVmName"] + "-test")
        return (psd.get("targetNetworkId"), nic.get("targetSubnetName"), nic.get("targetIPAddress") or None,
                psd["targetVmName"])
    cfg = ((psd.get("vmNics") or [{}])[0].get("ipConfigs") or [{}])[0]
    if test:
        return (None, cfg.get("tfoSubnetName") or cfg.get("recoverySubnetName"), cfg.get("tfoStaticIPAddress"),
                psd["recoveryAzureVMName"] + "-test")
    return (psd["selectedRecoveryAzureNetworkId"], cfg.get("recoverySubnetName"), cfg.get("recoveryStaticIPAddress"),
            psd["recoveryAzureVMName"])


def _vm_spec(scope, item, name, vnet, subnet, static_ip, test=False):
    psd = item["properties"]["providerSpecificDetails"]
    names = [s["name"] for s in vnet["properties"]["subnets"]]
    subnet = next((n for n in names if subnet and n.lower() == subnet.lower()), names[0])
    if is_rcm(item):  # InMageRcmReplicationDetails keys
        rg = target_resource(scope, psd["targetResourceGroupId"], "Microsoft.Resources/resourceGroups",
                             "TargetResourceGroupNotFound", "target resource group")
        protected = item["azsim"]["disks"]
        disks = [{"size_gb": d["capacityInBytes"] // 1024 ** 3, "type": d.get("diskType")} for d in protected]
        return {"name": name, "resource_group_id": rg["id"], "location": scope.vault["location"],
                "size": psd["targetVmSize"], "os_type": psd["osType"], "os_name": psd.get("osName"),
                "subnet_id": f"{vnet['id']}/subnets/{subnet}", "static_ip": static_ip,
                "os_disk_size_gb": disks[0]["size_gb"], "data_disks": disks[1:], "disk_type": disks[0]["type"],
                "tags": _tags(psd.get("targetVmTags")), "nic_tags": _tags(psd.get("targetNicTags")),
                "disk_tags": _tags(psd.get("targetManagedDiskTags")),
                "computer_name": item["properties"]["friendlyName"],
                "zone": psd.get("targetAvailabilityZone") or None,
                "availability_set_id": psd.get("targetAvailabilitySetId") or None,
                "proximity_placement_group_id": psd.get("targetProximityPlacementGroupId") or None,
                "license_type": vm_license_type(psd),
                # Site Recovery's inputs carry no NIC-level NSG, public IP or accelerated networking: the NICs it
                # creates have none (a client attaches them to the failed-over VM's NICs afterwards).
                # one NIC per selected vmNic; ip_error: a static IP already in use (checked by capacity_error)
                **dict(zip(("nics", "ip_error"), siterecovery_rcm_items.failover_nics(scope, item, vnet, test)))}
    rg = target_resource(scope, psd["recoveryAzureResourceGroupId"], "Microsoft.Resources/resourceGroups",
                         "TargetResourceGroupNotFound", "target resource group")
    disks = [d["diskCapacityInBytes"] // 1024 ** 3 for d in psd["protectedDisks"]]
    managed = psd.get("protectedManagedDisks") or [{}]
    return {"name": name, "resource_group_id": rg["id"], "location": scope.vault["location"],
            "size": psd["recoveryAzureVMSize"], "os_type": psd["osType"], "os_name": psd.get("osName"),
            "subnet_id": f"{vnet['id']}/subnets/{subnet}", "static_ip": static_ip, "os_disk_size_gb": disks[0],
            "data_disks": disks[1:], "disk_type": managed[0].get("replicaDiskType"),
            "tags": psd.get("targetVmTags") or {}, "nic_tags": psd.get("targetNicTags") or {},
            "disk_tags": psd.get("targetManagedDiskTags") or {}, "computer_name": item["properties"]["friendlyName"]}


def vm_license_type(psd):
    """The failed-over VM's properties.licenseType from the InMageRcm item's licence inputs. licenseType WindowsServer
    is Azure Hybrid Benefit for Windows Server (VM licenseType Windows_Server). linuxLicenseType LinuxServer is a
    bring-your-own Linux subscription; Compute names it per distribution (RHEL_BYOS, SLES_BYOS), so it is chosen by
    the replicated OS name and left unset for any other distribution. The mapping is this simulator's reading of the
    two APIs' enums (SDK LicenseType / LinuxLicenseType; Compute VirtualMachine.licenseType), not documented by
    Site Recovery. sqlServerLicenseType is recorded on the item only: the failover creates no
    Microsoft.SqlVirtualMachine resource (nothing documents that it does)."""
    if (psd.get("licenseType") or "").lower() == "windowsserver":
        return "Windows_Server"
    if (psd.get("linuxLicenseType") or "").lower() == "linuxserver":
        os_name = (psd.get("osName") or "").lower()
        if "red hat" in os_name or "rhel" in os_name:
            return "RHEL_BYOS"
        if "suse" in os_name or "sles" in os_name:
            return "SLES_BYOS"
    return None


def _vm_id(spec):
    sub, rg = spec["resource_group_id"].split("/")[2], spec["resource_group_id"].split("/")[4]
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{spec['name']}"


def _item_details(item, vnet, spec, point, test):
    """FailoverReplicationProtectedItemDetails (SDK 2.0.0) of the job's customDetails."""
    name = spec["name"] if test else None
    return [{"name": item["name"], "friendlyName": item["properties"]["friendlyName"], "testVmName": name,
             "testVmFriendlyName": name, "networkConnectionStatus": "Connected", "networkFriendlyName": vnet["name"],
             "subnet": spec["subnet_id"].rsplit("/", 1)[-1], "recoveryPointId": point[0],
             "recoveryPointTime": iso(point[1]) if point[1] else None}]


def _failover_error(item, job, end, what):
    """The failoverHealth error of a failed (test) failover job (invented shape, after the enable-failed one)."""
    svc = job["azsim"]["fail"][1]["serviceErrorDetails"]
    return {"innerHealthErrors": [], "errorSource": "ProtectedEntitySystemError", "errorType": "6",
            "errorLevel": "Error", "errorCategory": what.replace(" ", ""), "errorCode": svc["code"],
            "summaryMessage": f"{what} failed", "errorMessage": svc["message"], "possibleCauses": svc["possibleCauses"],
            "recommendedAction": svc["recommendedAction"], "creationTimeUtc": iso(end),
            "recoveryProviderErrorMessage": None, "entityId": item["azsim"]["vm_id"],
            "errorId": f"0:{svc['code']}", "customerResolvability": "Allowed"}


# -- routes --------------------------------------------------------------------------------------------------------
@route("POST", ITEM + "/testFailover", T_ITEM)
def test_failover(ctx, req, p):
    """TestFailoverInput: the test VM <target VM name>-test is created in the given network when the job ends."""
    scope = Scope(ctx, p)
    item = need_item(scope)
    rcm = is_rcm(item)  # InMageRcm: networkType/failoverDirection may be left out; the network may be in the details
    props, psd = _input(req, item, ("failoverDirection", ("PrimaryToRecovery",) + ((None,) if rcm else ())),
                        ("networkType", ("VmNetworkAsInput",) + ((None,) if rcm else ())))
    network_id = props.get("networkId")
    if rcm:
        inner = psd.get("networkId")
        if inner and network_id and inner.lower() != network_id.lower():
            raise bad("InvalidParameter", f"properties.networkId '{network_id}' and providerSpecificDetails.networkId "
                                          f"'{inner}' differ.")
        network_id = inner or network_id or item["properties"]["providerSpecificDetails"].get("testNetworkId")
    now = time.time()
    view = item_view(scope, item, now)
    why = None
    if view["tfo"] == TFO_PENDING:
        why = (f"A test failover of the replicated item '{item['name']}' is already waiting for cleanup. Clean up the "
               "test failover before starting another one.")
    _require_allowed(scope, item, "TestFailover", view, why)
    vnet, _unused = target_network(scope, network_id, what="test failover network")
    _net, subnet, static_ip, name = _target_settings(item, test=True)
    spec = _vm_spec(scope, item, name, vnet, subnet, static_ip, test=True)
    point = _recovery_point(scope, item, view, psd.get("recoveryPointId"), now)
    quota = name_conflict(scope, spec) or capacity_error(scope, spec)
    custom = {"instanceType": "TestFailoverJobDetails", "testFailoverStatus": "Active", "comments": None,
              "networkName": vnet["name"], "networkFriendlyName": vnet["name"],
              "networkType": props.get("networkType") or "VmNetworkAsInput",
              "protectedItemDetails": _item_details(item, vnet, spec, point, test=True)}
    return _start_item_op(scope, req, item, "TestFailover", "TestFailover", "Test failover", TFO_TASKS,
                          {"name": "asr_create_vm", "spec": spec},
                          opdata={"vm_id": _vm_id(spec), "network_id": vnet["id"], "point": point[0]},
                          fail=(TFO_VM_TASK, quota) if quota else None, custom=custom)


@route("POST", ITEM + "/testFailoverCleanup", T_ITEM)
def test_failover_cleanup(ctx, req, p):
    """TestFailoverCleanupInput {comments}: deletes the test VM (with its NIC and disks) when the job ends."""
    scope = Scope(ctx, p)
    item = need_item(scope)
    comments = ((req.json() or {}).get("properties") or {}).get("comments")
    view = item_view(scope, item, time.time())
    _require_allowed(scope, item, "TestFailoverCleanup", view,
                     None if view["current"] else f"There is no test failover of the replicated item '{item['name']}' "
                                                  "waiting for cleanup.")
    tfo = [op for op in item["azsim"]["ops"] if op["scenario"] == "TestFailover"][-1]
    custom = {"instanceType": "TestFailoverJobDetails", "testFailoverStatus": None, "comments": comments,
              "networkName": None, "networkFriendlyName": None, "networkType": None, "protectedItemDetails": []}
    return _start_item_op(scope, req, item, "TestFailoverCleanup", "TestFailoverCleanup", "Test failover cleanup",
                          CLEANUP_TASKS, {"name": "asr_delete_vm", "vm_id": tfo["vm_id"]},
                          opdata={"vm_id": tfo["vm_id"], "comments": comments}, custom=custom)


@route("POST", ITEM + "/unplannedFailover", T_ITEM)
def unplanned_failover(ctx, req, p):
    """UnplannedFailoverInput: optional source shutdown (sourceSiteOperations Required), then the target VM."""
    scope = Scope(ctx, p)
    item = need_item(scope)
    rcm = is_rcm(item)
    props, psd = _input(req, item, ("failoverDirection", ("PrimaryToRecovery",) + ((None,) if rcm else ())),
                        ("sourceSiteOperations", ("Required", "NotRequired", None)))
    shut = props.get("sourceSiteOperations") == "Required"
    if rcm:  # InMageRcmUnplannedFailoverInput.performShutdown ("true"/"false", required) decides the shutdown
        perform = str(psd.get("performShutdown")).lower()
        if perform not in ("true", "false"):
            raise bad("InvalidParameter", "providerSpecificDetails.performShutdown is required for an InMageRcm item: "
                                          f"'true' or 'false' (got '{psd.get('performShutdown')}').")
        if props.get("sourceSiteOperations") and shut != (perform == "true"):
            raise bad("InvalidParameter", f"sourceSiteOperations '{props['sourceSiteOperations']}' contradicts "
                                          f"performShutdown '{psd['performShutdown']}'.")
        shut = perform == "true"
    now = time.time()
    view = item_view(scope, item, now)
    why = None
    if view["tfo"] == TFO_PENDING:
        why = (f"A test failover of the replicated item '{item['name']}' is waiting for cleanup. Clean up the test "
               "failover before failing over.")
    elif view["active"] == "Recovery":
        why = f"The replicated item '{item['name']}' has already failed over."
    _require_allowed(scope, item, "UnplannedFailover", view, why)
    network_id, subnet, static_ip, name = _target_settings(item, test=False)
    vnet, _unused = target_network(scope, network_id)
    spec = _vm_spec(scope, item, name, vnet, subnet, static_ip)
    extra = None
    if psd.get("recoveryPointId"):
        point = _recovery_point(scope, item, view, psd["recoveryPointId"], now)
    else:  # latest: the pending changes are processed into a new recovery point at failover time
        extra = [now, "CrashConsistent", f"failover-{int(now * 1000)}"]
        point = (render_point(item, extra)["id"], now)
    tasks, warn, shutdown = [FO_PREREQ], None, None
    if shut:
        tasks.append(FO_SHUTDOWN)
        ip = source_ip(item)
        facts = host_facts(scope.sim, ip) if ip else {"ip": item["azsim"].get("address"), "vm_id": None,
                                                      "reachable": False, "shutdown_fails": False}
        vm = scope.store.get_resource("gov", facts["vm_id"]) if facts["vm_id"] else None
        running = vm is not None and vm["azsim"].get("power_state", "running") == "running"
        if facts["shutdown_fails"] or (not facts["reachable"] and (vm is None or running)):
            warn = [(1, dict(job_error(
                "ShutdownPrimaryFailed", f"The source machine '{item['properties']['friendlyName']}' "
                f"({facts['ip']}) could not be shut down. The failover continued with the source running.",
                causes="The source machine did not respond to the shutdown request.",
                action="Shut down the source machine manually so that it does not keep serving."),
                errorLevel="Warning"))]
        elif running:
            shutdown = vm["id"]
    tasks += FO_REST
    quota = name_conflict(scope, spec) or capacity_error(scope, spec)
    custom = {"instanceType": "FailoverJobDetails",
              "protectedItemDetails": _item_details(item, vnet, spec, point, test=False)}
    response = _start_item_op(
        scope, req, item, "UnplannedFailover", "UnplannedFailover", "Unplanned failover", tasks,
        {"name": "asr_create_vm", "spec": spec}, opdata={"vm_id": _vm_id(spec), "point": point[0]},
        item_patch=(lambda fresh: fresh["azsim"].setdefault("extra_points", []).append(extra)) if extra else None,
        fail=(len(tasks) - 2, quota) if quota else None, custom=custom, warn=warn)
    if shutdown:
        job_id = response.headers["Location"].split("/operationresults/")[1].split("?")[0]
        bounds = scope.get(scope.rid("replicationJobs", job_id))["azsim"]["tasks"][1]
        schedule(scope.sim, scope.cloud, bounds[4], {"name": "asr_power", "vm_cloud": "gov", "vm_id": shutdown,
                                                     "state": "stopped"})
    return response


@route("POST", ITEM + "/failoverCommit", T_ITEM)
def failover_commit(ctx, req, p):
    """Commit a completed failover (no body)."""
    scope = Scope(ctx, p)
    item = need_item(scope)
    view = item_view(scope, item, time.time())
    why = None
    if view["committed"]:
        why = f"The failover of the replicated item '{item['name']}' has already been committed."
    elif view["active"] != "Recovery" and not view["current"]:
        why = f"The replicated item '{item['name']}' has not failed over: there is no failover to commit."
    _require_allowed(scope, item, "Commit", view, why)
    return _start_item_op(scope, req, item, "CommitFailover", "CommitFailover", "Commit", COMMIT_TASKS, None)


# -- state machine -------------------------------------------------------------------------------------------------
@scenario("TestFailover")
def _test_failover(view, item, job, state, end, now):
    if state == "InProgress":
        _current(view, job)
        view.update(state=("Protected", "Protected"), tfo=TFO_RUNNING, allowed=[])
    elif state == "Succeeded":
        _current(view, job)  # the TestFailover example: the job stays the current scenario until cleanup
        view.update(state=("Protected", "Cleanup test failover pending"), tfo=TFO_PENDING,
                    allowed=["TestFailoverCleanup"], fo_health="Normal", fo_errors=[])
        view["times"]["lastSuccessfulTestFailoverTime"] = iso(job["azsim"]["start"])
    else:
        view.update(current=None, state=("Protected", "Protected"), allowed=list(PROTECTED_OPS),
                    fo_health="Critical", fo_errors=[_failover_error(item, job, end, "Test failover")])


@scenario("TestFailoverCleanup")
def _test_failover_cleanup(view, item, job, state, end, now):
    if state == "InProgress":
        _current(view, job)
        view.update(state=("Protected", "Protected"), tfo=TFO_CLEANED, allowed=[])
    elif state == "Succeeded":
        view.update(current=None, state=("Protected", "Protected"), tfo=TFO_CLEANED, allowed=list(PROTECTED_OPS))
    else:
        _current(view, job)
        view.update(state=("Protected", "Cleanup test failover pending"), tfo=TFO_PENDING,
                    allowed=["TestFailoverCleanup"])


@scenario("UnplannedFailover")
def _unplanned_failover(view, item, job, state, end, now):
    op = view["opdata"]
    start = job["azsim"]["start"]
    if state == "InProgress":
        _current(view, job)
        view.update(state=("UnplannedFailoverInitiated", "Failover in progress"), allowed=[], until=start)
    elif state == "Succeeded":
        view.update(current=None, state=("UnplannedFailoverCommitPendingStatesBegin", "Failover completed"),
                    active="Recovery", allowed=list(FAILED_OVER_OPS), until=start, point=op["point"],
                    fo_health="Normal", fo_errors=[], rpo=None)
        view["times"]["lastSuccessfulFailoverTime"] = iso(start)
        if is_rcm(item):  # TestV2ARCMCommit: the agent re-registers from Azure, the upgrade state is Commit
            view.update(allowed=list(RCM_FAILED_OVER_OPS), target_vm=op["vm_id"])
            view["psd"].update(isAgentRegistrationSuccessfulAfterFailover=True, agentUpgradeState="Commit")
            return
        psd = item["properties"]["providerSpecificDetails"]
        nic_id = f"{op['vm_id'].split('/providers/')[0]}/providers/Microsoft.Network/networkInterfaces/" \
                 f"{op['vm_id'].rsplit('/', 1)[-1]}-nic"
        view["psd"].update(targetVmId=op["vm_id"], vmNics=[dict(n, replicaNicId=nic_id if i == 0 else None)
                                                           for i, n in enumerate(psd.get("vmNics") or [])])
    else:
        view.update(current=None, state=("UnplannedFailoverFailed", "Failover failed"), active="Primary",
                    allowed=list(PROTECTED_OPS), fo_health="Critical",
                    fo_errors=[_failover_error(item, job, end, "Failover")])


@scenario("CommitFailover")
def _commit(view, item, job, state, end, now):
    if state == "InProgress":
        _current(view, job)
        view["allowed"] = []
    elif state == "Succeeded":
        view.update(current=None, state=("UnplannedFailoverCommitted", "Failover committed"),
                    allowed=list(COMMITTED_OPS), committed=True)
    else:
        view.update(current=None, allowed=list(RCM_FAILED_OVER_OPS if is_rcm(item) else FAILED_OVER_OPS))
