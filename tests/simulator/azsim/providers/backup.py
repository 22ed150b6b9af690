"""Azure Backup for Azure VMs in a Recovery Services vault (Microsoft.RecoveryServices/vaults/backup*).

Shapes after the azure-rest-api-specs recoveryservicesbackup examples (ProtectedItems_CreateOrUpdate
"ConfigureProtection", "StopProtection", BackupPolicies_List, RecoveryPoints_List) and the
azure-mgmt-recoveryservicesbackup 11.2 models: ProtectedItemResource / AzureIaaSComputeVMProtectedItem,
ProtectionPolicyResource / AzureIaaSVMProtectionPolicy (SimpleSchedulePolicy[V2], LongTermRetentionPolicy),
IaasVMContainer, AzureIaaSComputeVMProtectableItem, IaasVMRecoveryPoint.

Only the Azure VM workload (backupManagementType AzureIaasVM) and fabric "Azure" exist. Containers and items are
named `iaasvmcontainer;iaasvmcontainerv2;{rg};{vm}` and `vm;iaasvmcontainerv2;{rg};{vm}` (lower case).
A VM becomes a protectable item once a refreshContainers operation has discovered it.
"""
import datetime
import hashlib
import uuid

from ..arm import ROUTER, ArmError, normalize_location
from ..httpbase import Response
from .recoveryservices import VAULT, VAULT_TYPE, default_properties, require_vault, vault_id

# azure-mgmt-recoveryservicesbackup 11.2.0 defaults to 2026-10-01; the others are spec example versions.
BACKUP_VERSIONS = {"2026-10-01", "2025-08-01", "2025-02-01", "2024-10-01", "2024-04-01", "2023-04-01",
                   "2021-12-01"}
VM_TYPE = "Microsoft.Compute/virtualMachines"
POLICY_TYPE = VAULT_TYPE + "/backupPolicies"
CONTAINER_TYPE = VAULT_TYPE + "/backupFabrics/protectionContainers"
ITEM_TYPE = CONTAINER_TYPE + "/protectedItems"
RP_TYPE = ITEM_TYPE + "/recoveryPoints"
PROTECTABLE_TYPE = CONTAINER_TYPE + "/protectableItems"
DISCOVERY, DISCOVERY_TYPE = "/azsimBackupDiscovery", "azsim/backupDiscovery"  # not routed: simulator-only
FABRIC = VAULT + "/backupFabrics/{fabric}"
CONTAINER = FABRIC + "/protectionContainers/{container}"
ITEM = CONTAINER + "/protectedItems/{item}"
POLICY = VAULT + "/backupPolicies/{policy}"
CONFIGURE_SECONDS = 60
STOP_SECONDS = 30
DELETE_SECONDS = 30
REFRESH_SECONDS = 30
ACTIVE_STATES = ("IRPending", "Protected", "ProtectionPaused", "ProtectionError")


def _names(rg, vm):
    key = f"iaasvmcontainerv2;{rg};{vm}".lower()
    return "iaasvmcontainer;" + key, "vm;" + key


def _vm_key(vm_id):
    """(rg, name) of a VM id, lower case."""
    parts = vm_id.strip("/").split("/")
    low = [p.lower() for p in parts]
    return parts[low.index("resourcegroups") + 1].lower(), parts[-1].lower()


def _fabric(p):
    if p["fabric"].lower() != "azure":
        raise ArmError(400, "BMSUserErrorInvalidInput", f"Fabric '{p['fabric']}' is not valid. Use 'Azure'.")


def _filter(req):
    """`$filter=a eq 'x' and b eq 'y'` as a dict (lower-case keys), the only form the service documents."""
    out = {}
    for clause in (req.query.get("$filter") or "").split(" and "):
        key, sep, value = clause.strip().partition(" eq ")
        if sep:
            out[key.strip().lower()] = value.strip().strip("'")
    return out


def _wrong_management_type(flt):
    mtype = flt.get("backupmanagementtype")
    return mtype is not None and mtype.lower() != "azureiaasvm"


# -- policies ----------------------------------------------------------------------------------------------------
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def _bad(message, code="BMSUserErrorInvalidPolicyInput"):
    return ArmError(400, code, message)


def validate_policy(props):
    if props.get("backupManagementType") != "AzureIaasVM":
        raise _bad("Only AzureIaasVM policies are supported by this vault (backupManagementType "
                   f"'{props.get('backupManagementType')}').", "BMSUserErrorInvalidInput")
    policy_type = props.get("policyType") or "V1"
    sched = props.get("schedulePolicy") or {}
    stype = sched.get("schedulePolicyType")
    if policy_type == "V1" and stype != "SimpleSchedulePolicy":
        raise _bad("A Standard (V1) Azure VM policy needs a SimpleSchedulePolicy schedule.")
    if policy_type == "V2" and stype != "SimpleSchedulePolicyV2":
        raise _bad("An Enhanced (V2) Azure VM policy needs a SimpleSchedulePolicyV2 schedule.")
    freq = sched.get("scheduleRunFrequency")
    if stype == "SimpleSchedulePolicy" and (freq not in ("Daily", "Weekly") or not sched.get("scheduleRunTimes")):
        raise _bad("The schedule needs scheduleRunFrequency Daily or Weekly and one scheduleRunTimes entry.")
    ret = props.get("retentionPolicy") or {}
    if ret.get("retentionPolicyType") != "LongTermRetentionPolicy":
        raise _bad("Azure VM policies need a LongTermRetentionPolicy.")
    daily = ret.get("dailySchedule")
    if freq == "Daily" and not daily:
        raise _bad("A daily schedule needs daily retention.")
    if daily and not 7 <= int((daily.get("retentionDuration") or {}).get("count") or 0) <= 9999:
        raise _bad("Daily retention must be between 7 and 9999 days.")
    weekly = ret.get("weeklySchedule")
    if weekly and (not weekly.get("daysOfTheWeek") or set(weekly["daysOfTheWeek"]) - set(DAYS)):
        raise _bad("Weekly retention needs valid daysOfTheWeek.")
    instant = props.get("instantRpRetentionRangeInDays")
    limit = 30 if policy_type == "V2" else 5
    if instant is not None and not 1 <= int(instant) <= limit:
        raise _bad(f"instantRpRetentionRangeInDays must be between 1 and {limit} for a {policy_type} policy.")


def _policy_items(ctx, vid, policy_id):
    return [i for i in ctx.store.list_resources(ctx.cloud, ITEM_TYPE, *_sub_rg(vid))
            if i["id"].lower().startswith(vid.lower() + "/")
            and (i["properties"].get("policyId") or "").lower() == policy_id.lower()]


def _sub_rg(vid):
    parts = vid.split("/")
    return parts[2], parts[4]


def _with_count(ctx, vid, doc):
    doc = dict(doc, properties=dict(doc["properties"]))
    doc["properties"]["protectedItemsCount"] = len(_policy_items(ctx, vid, doc["id"]))
    return doc


def put_policy_doc(store, cloud, vault, name, props):
    pid = f"{vault['id']}/backupPolicies/{name}"
    props = {k: v for k, v in props.items() if k != "protectedItemsCount"}
    props.setdefault("policyType", "V1")
    doc = {"id": pid, "name": name, "type": POLICY_TYPE, "properties": props}
    sub, rg = _sub_rg(vault["id"])
    store.put_resource(cloud, pid, POLICY_TYPE, sub, rg, doc)
    return doc


@ROUTER.route("PUT", POLICY, rtype=POLICY_TYPE, api_versions=BACKUP_VERSIONS)
def put_policy(ctx, req, p):
    """Synchronous 200 with the policy (as in ProtectionPolicies_CreateOrUpdate examples)."""
    vault = require_vault(ctx, p)
    props = dict((req.json() or {}).get("properties") or {})
    validate_policy(props)
    doc = put_policy_doc(ctx.store, ctx.cloud, vault, p["policy"], props)
    return Response(200, _with_count(ctx, vault["id"], doc))


@ROUTER.route("GET", POLICY, rtype=POLICY_TYPE, api_versions=BACKUP_VERSIONS)
def get_policy(ctx, req, p):
    vault = require_vault(ctx, p)
    doc = ctx.store.get_resource(ctx.cloud, f"{vault['id']}/backupPolicies/{p['policy']}")
    if doc is None:
        raise ArmError(404, "BMSUserErrorPolicyNotExist", f"Policy '{p['policy']}' does not exist in the vault.")
    return Response(200, _with_count(ctx, vault["id"], doc))


@ROUTER.route("DELETE", POLICY, rtype=POLICY_TYPE, api_versions=BACKUP_VERSIONS)
def delete_policy(ctx, req, p):
    vault = require_vault(ctx, p)
    pid = f"{vault['id']}/backupPolicies/{p['policy']}"
    if ctx.store.get_resource(ctx.cloud, pid) is None:
        return Response(204)
    if _policy_items(ctx, vault["id"], pid):
        raise ArmError(400, "BMSUserErrorPolicyInUse", "The policy is associated with protected items and cannot "
                       "be deleted. Remove the items from the policy first.")
    ctx.store.delete_resource(ctx.cloud, pid)
    return Response(200, b"")


@ROUTER.route("GET", VAULT + "/backupPolicies", rtype=POLICY_TYPE, api_versions=BACKUP_VERSIONS)
def list_policies(ctx, req, p):
    vault = require_vault(ctx, p)
    if _wrong_management_type(_filter(req)):
        return ctx.page([])
    docs = [d for d in ctx.store.list_resources(ctx.cloud, POLICY_TYPE, p["sub"], p["rg"])
            if d["id"].lower().startswith(vault["id"].lower() + "/")]
    return ctx.page([_with_count(ctx, vault["id"], d) for d in docs])


# -- containers, discovery, protectable items ----------------------------------------------------------------------
def _region_vms(ctx, vault):
    sub, _rg = _sub_rg(vault["id"])
    return [vm for vm in ctx.store.list_resources(ctx.cloud, VM_TYPE, sub)
            if normalize_location(vm.get("location")) == vault["location"]]


def _discover(sim, cloud, action):
    vault = sim.store.get_resource(cloud, action["vault"])
    if vault is None:
        return
    sub, rg = _sub_rg(vault["id"])
    vms = [vm["id"] for vm in sim.store.list_resources(cloud, VM_TYPE, sub)
           if normalize_location(vm.get("location")) == vault["location"]]
    sim.store.put_resource(cloud, vault["id"] + DISCOVERY, DISCOVERY_TYPE, sub, rg, {"vms": vms})


def _discovered(ctx, vault):
    doc = ctx.store.get_resource(ctx.cloud, vault["id"] + DISCOVERY) or {"vms": []}
    known = {v.lower() for v in doc["vms"]}
    return [vm for vm in _region_vms(ctx, vault) if vm["id"].lower() in known]


def _protected_anywhere(ctx, vm_id):
    """The active protected item of a VM in any vault of its subscription (one VM, one vault)."""
    sub = vm_id.split("/")[2]
    for item in ctx.store.list_resources(ctx.cloud, ITEM_TYPE, sub):
        props = item["properties"]
        if (props.get("sourceResourceId") or "").lower() == vm_id.lower() and \
                props.get("protectionState") in ACTIVE_STATES + ("ProtectionStopped",) and \
                not props.get("isScheduledForDeferredDelete"):
            return item
    return None


@ROUTER.route("POST", FABRIC + "/refreshContainers", rtype=CONTAINER_TYPE, api_versions=BACKUP_VERSIONS)
def refresh_containers(ctx, req, p):
    vault = require_vault(ctx, p)
    _fabric(p)
    op_id = ctx.sim.start_operation(ctx.cloud, "backup-refresh", REFRESH_SECONDS,
                                    {"name": "backup_discover", "vault": vault["id"]}, req.method, req.path)
    base = f"{vault['id']}/backupFabrics/{p['fabric']}"
    return ctx.accepted(op_id, base + "/operationsStatus", base + "/operationResults", async_header=False)


def _operation_result(ctx, req, op_id):
    """An operationResults poll: 202 with Location while it runs, the error when it failed, else 204."""
    status, op = _op(ctx, op_id)
    if status == "InProgress":
        return Response(202, b"", {"Location": ctx.url(req.path), **ctx.sim.retry_after_headers(30, True)})
    if status == "Failed":
        return Response(400, {"error": op["failure"]})
    return Response(204)


@ROUTER.route("GET", FABRIC + "/operationResults/{opId}", rtype=CONTAINER_TYPE, api_versions=BACKUP_VERSIONS)
def refresh_result(ctx, req, p):
    require_vault(ctx, p)
    return _operation_result(ctx, req, p["opId"])


@ROUTER.route("GET", FABRIC + "/operationsStatus/{opId}", rtype=CONTAINER_TYPE, api_versions=BACKUP_VERSIONS)
def refresh_status(ctx, req, p):
    vault = require_vault(ctx, p)
    return _status(ctx, p["opId"], f"{vault['id']}/backupFabrics/{p['fabric']}/operationsStatus/{p['opId']}")


def protectable_doc(vault, vm):
    rg, name = _vm_key(vm["id"])
    container, item = _names(rg, name)
    return {
        "id": f"{vault['id']}/backupFabrics/Azure/protectionContainers/{container}/protectableItems/{item}",
        "name": item, "type": PROTECTABLE_TYPE,
        "properties": {"protectableItemType": VM_TYPE, "backupManagementType": "AzureIaasVM",
                       "friendlyName": vm["name"], "protectionState": "NotProtected",
                       "virtualMachineId": vm["id"], "resourceGroup": vm["id"].split("/")[4],
                       "virtualMachineVersion": "Compute"},
    }


@ROUTER.route("GET", VAULT + "/backupProtectableItems", rtype=PROTECTABLE_TYPE, api_versions=BACKUP_VERSIONS)
def list_protectable(ctx, req, p):
    vault = require_vault(ctx, p)
    if _wrong_management_type(_filter(req)):
        return ctx.page([])
    return ctx.page([protectable_doc(vault, vm) for vm in _discovered(ctx, vault)
                     if _protected_anywhere(ctx, vm["id"]) is None])


def container_doc(vault, vm_id):
    rg, name = _vm_key(vm_id)
    container, _item = _names(rg, name)
    return {"id": f"{vault['id']}/backupFabrics/Azure/protectionContainers/{container}", "name": container,
            "type": CONTAINER_TYPE,
            "properties": {"containerType": VM_TYPE, "backupManagementType": "AzureIaasVM",
                           "friendlyName": vm_id.split("/")[-1], "registrationStatus": "Registered",
                           "healthStatus": "Healthy", "virtualMachineId": vm_id,
                           "virtualMachineVersion": "Compute", "resourceGroup": vm_id.split("/")[4]}}


@ROUTER.route("GET", CONTAINER, rtype=CONTAINER_TYPE, api_versions=BACKUP_VERSIONS)
def get_container(ctx, req, p):
    vault = require_vault(ctx, p)
    _fabric(p)
    doc = ctx.store.get_resource(ctx.cloud, f"{vault['id']}/backupFabrics/Azure/protectionContainers/{p['container']}")
    if doc is None:
        raise ArmError(404, "BMSUserErrorContainerObjectNotFound", "The container is not registered with the vault.")
    return Response(200, doc)


# -- protected items --------------------------------------------------------------------------------------------
def _item_id(vault, p):
    return f"{vault['id']}/backupFabrics/Azure/protectionContainers/{p['container']}/protectedItems/{p['item']}"


def _rps(store, cloud, item_id):
    sub, rg = _sub_rg(item_id)
    rps = [r for r in store.list_resources(cloud, RP_TYPE, sub, rg)
           if r["id"].lower().startswith(item_id.lower() + "/")]
    return sorted(rps, key=lambda r: r["properties"]["recoveryPointTime"])


def _item_view(ctx, item):
    """The item with its extendedInfo (recovery point count, oldest) computed from the stored points."""
    item = dict(item, properties=dict(item["properties"]))
    rps = _rps(ctx.store, ctx.cloud, item["id"])
    info = {"recoveryPointCount": len(rps), "policyInconsistent": False}
    if rps:
        info["oldestRecoveryPoint"] = rps[0]["properties"]["recoveryPointTime"]
        item["properties"]["lastRecoveryPoint"] = rps[-1]["properties"]["recoveryPointTime"]
    item["properties"]["extendedInfo"] = info
    return item


def item_doc(vault, vm, policy_id, state="IRPending"):
    rg, name = _vm_key(vm["id"])
    container, item = _names(rg, name)
    return {
        "id": f"{vault['id']}/backupFabrics/Azure/protectionContainers/{container}/protectedItems/{item}",
        "name": item, "type": ITEM_TYPE,
        "properties": {
            "protectedItemType": VM_TYPE, "backupManagementType": "AzureIaasVM", "workloadType": "VM",
            "containerName": container.split(";", 1)[1], "sourceResourceId": vm["id"], "virtualMachineId": vm["id"],
            "friendlyName": vm["name"], "policyId": policy_id, "policyName": policy_id.split("/")[-1],
            "protectionStatus": "Healthy", "protectionState": state, "healthStatus": "Passed",
            "lastBackupStatus": "", "protectedItemDataId": str(int(hashlib.sha1(vm["id"].lower().encode())
                                                                   .hexdigest()[:10], 16)),
            "isScheduledForDeferredDelete": False, "isRehydrate": False, "isArchiveEnabled": False,
            "softDeleteRetentionPeriodInDays": 14, "vaultId": vault["id"],
        },
    }


@ROUTER.route("GET", ITEM, rtype=ITEM_TYPE, api_versions=BACKUP_VERSIONS)
def get_item(ctx, req, p):
    vault = require_vault(ctx, p)
    _fabric(p)
    item = ctx.store.get_resource(ctx.cloud, _item_id(vault, p))
    if item is None:
        raise ArmError(404, "BMSUserErrorItemNotFound", f"Item '{p['item']}' is not found in the vault.")
    return Response(200, _item_view(ctx, item))


@ROUTER.route("PUT", ITEM, rtype=ITEM_TYPE, api_versions=BACKUP_VERSIONS)
def put_item(ctx, req, p):
    """Configure protection (policyId), change policy, or stop protection keeping data (protectionState
    ProtectionStopped, no policyId): 202 + Location operationResults + Azure-AsyncOperation operationsStatus."""
    vault = require_vault(ctx, p)
    _fabric(p)
    props = (req.json() or {}).get("properties") or {}
    if props.get("protectedItemType") not in (None, VM_TYPE):
        raise ArmError(400, "BMSUserErrorInvalidInput", "Only Microsoft.Compute/virtualMachines items are supported.")
    iid = _item_id(vault, p)
    existing = ctx.store.get_resource(ctx.cloud, iid)
    stop = props.get("protectionState") == "ProtectionStopped"
    if stop:
        if existing is None:
            raise ArmError(404, "BMSUserErrorItemNotFound", f"Item '{p['item']}' is not found in the vault.")
        if existing["properties"].get("isScheduledForDeferredDelete"):
            raise ArmError(400, "UserErrorBackupOperationInProgress", "The item is soft deleted; undelete it first.")
        patch = {"protectionState": "ProtectionStopped", "policyId": "", "policyName": ""}
    else:
        policy_id = props.get("policyId") or ""
        policy = ctx.store.get_resource(ctx.cloud, policy_id) if policy_id else None
        if policy is None or not policy_id.lower().startswith(vault["id"].lower() + "/"):
            raise ArmError(400, "BMSUserErrorPolicyNotExist", f"Policy '{policy_id}' does not exist in this vault.")
        if existing is None:
            vm_id = props.get("sourceResourceId") or ""
            vm = ctx.store.get_resource(ctx.cloud, vm_id) if vm_id else None
            if vm is None:
                raise ArmError(400, "UserErrorVmNotFound", f"The virtual machine '{vm_id}' was not found.")
            if tuple(s.lower() for s in _names(*_vm_key(vm_id))) != (p["container"].lower(), p["item"].lower()):
                raise ArmError(400, "BMSUserErrorInvalidInput", "The container and item names do not match the VM.")
            if normalize_location(vm.get("location")) != vault["location"]:
                raise ArmError(400, "UserErrorVmNotInVaultRegion",
                               f"The VM is in {vm.get('location')}, the vault in {vault['location']}. A VM can be "
                               "backed up only to a vault in its own region.")
            other = _protected_anywhere(ctx, vm_id)
            if other is not None:
                raise ArmError(400, "UserErrorVmAlreadyProtected",
                               "The VM is already protected by vault "
                               f"'{other['id'].split('/backupFabrics/')[0].split('/')[-1]}'.")
            if vm["id"].lower() not in {v["id"].lower() for v in _discovered(ctx, vault)}:
                raise ArmError(400, "BMSUserErrorNeedsRefresh", "The VM has not been discovered by the vault. Run "
                               "refreshContainers (Discover) and try again.")
            patch = {"new": item_doc(vault, vm, policy["id"])}
        else:
            state = existing["properties"].get("protectionState")
            patch = {"policyId": policy["id"], "policyName": policy["name"],
                     "protectionState": "IRPending" if state == "ProtectionStopped" else state}
    op_id = ctx.sim.start_operation(ctx.cloud, "backup-configure", STOP_SECONDS if stop else CONFIGURE_SECONDS,
                                    {"name": "backup_item", "rid": iid, "patch": patch, "vault": vault["id"]},
                                    req.method, req.path)
    return ctx.accepted(op_id, iid + "/operationsStatus", iid + "/operationResults")


def _apply_item(sim, cloud, action):
    patch = action["patch"]
    sub, rg = _sub_rg(action["vault"])
    if "new" in patch:
        doc = patch["new"]
        vault = sim.store.get_resource(cloud, action["vault"])
        container = container_doc(vault, doc["properties"]["sourceResourceId"])
        sim.store.put_resource(cloud, container["id"], CONTAINER_TYPE, sub, rg, container)
    else:
        doc = sim.store.get_resource(cloud, action["rid"])
        if doc is None:
            return
        doc["properties"].update(patch)
    sim.store.put_resource(cloud, action["rid"], ITEM_TYPE, sub, rg, doc)


@ROUTER.route("DELETE", ITEM, rtype=ITEM_TYPE, api_versions=BACKUP_VERSIONS)
def delete_item(ctx, req, p):
    """Stop protection and delete the data: 202 + Location backupOperationResults + Azure-AsyncOperation
    backupOperations. With soft delete on (the default), the item stays 14 days marked for deferred delete."""
    vault = require_vault(ctx, p)
    _fabric(p)
    iid = _item_id(vault, p)
    item = ctx.store.get_resource(ctx.cloud, iid)
    if item is None:
        raise ArmError(404, "BMSUserErrorItemNotFound", f"Item '{p['item']}' is not found in the vault.")
    soft = ((vault["properties"].get("securitySettings") or {}).get("softDeleteSettings") or {}) \
        .get("softDeleteState", "Enabled") != "Disabled"
    op_id = ctx.sim.start_operation(ctx.cloud, "backup-delete", DELETE_SECONDS,
                                    {"name": "backup_delete", "rid": iid, "soft": soft, "vault": vault["id"]},
                                    req.method, req.path)
    return ctx.accepted(op_id, vault["id"] + "/backupOperations", vault["id"] + "/backupOperationResults")


def _apply_delete(sim, cloud, action):
    if not action["soft"]:
        sim.store.delete_resource(cloud, action["rid"])
        return
    doc = sim.store.get_resource(cloud, action["rid"])
    if doc is None:
        return
    when = datetime.datetime.now(datetime.timezone.utc)
    doc["properties"].update({"protectionState": "ProtectionStopped", "policyId": "", "policyName": "",
                              "isScheduledForDeferredDelete": True,
                              "deferredDeleteTimeInUTC": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "deferredDeleteTimeRemaining": "14.00:00:00"})
    sub, rg = _sub_rg(action["vault"])
    sim.store.put_resource(cloud, action["rid"], ITEM_TYPE, sub, rg, doc)


def _op(ctx, op_id):
    status, op = ctx.sim.operation_status(op_id)
    if op is None or op["cloud"] != ctx.cloud:
        raise ArmError(404, "BMSUserErrorOperationNotFound", f"The operation '{op_id}' was not found.")
    return status, op


def _status(ctx, op_id, rid):
    status, op = _op(ctx, op_id)
    body = ctx.sim.status_body(op_id, status, op, rid)
    body["properties"] = {"objectType": "OperationStatusJobExtendedInfo",
                          "jobId": str(uuid.uuid5(uuid.NAMESPACE_URL, op_id))}
    headers = ctx.sim.retry_after_headers(30) if status == "InProgress" else {}
    return Response(200, body, headers)


@ROUTER.route("GET", ITEM + "/operationsStatus/{opId}", rtype=ITEM_TYPE, api_versions=BACKUP_VERSIONS)
def item_status(ctx, req, p):
    vault = require_vault(ctx, p)
    return _status(ctx, p["opId"], _item_id(vault, p) + "/operationsStatus/" + p["opId"])


@ROUTER.route("GET", ITEM + "/operationResults/{opId}", rtype=ITEM_TYPE, api_versions=BACKUP_VERSIONS)
def item_result(ctx, req, p):
    vault = require_vault(ctx, p)
    status, op = _op(ctx, p["opId"])
    if status == "InProgress":
        return Response(202, b"", {"Location": ctx.url(req.path), **ctx.sim.retry_after_headers(30, True)})
    if status == "Failed":
        return Response(400, {"error": op["failure"]})
    item = ctx.store.get_resource(ctx.cloud, _item_id(vault, p))
    return Response(200, _item_view(ctx, item)) if item else Response(204)


@ROUTER.route("GET", VAULT + "/backupOperations/{opId}", rtype=VAULT_TYPE, api_versions=BACKUP_VERSIONS)
def backup_operation_status(ctx, req, p):
    vault = require_vault(ctx, p)
    return _status(ctx, p["opId"], vault["id"] + "/backupOperations/" + p["opId"])


@ROUTER.route("GET", VAULT + "/backupOperationResults/{opId}", rtype=VAULT_TYPE, api_versions=BACKUP_VERSIONS)
def backup_operation_result(ctx, req, p):
    require_vault(ctx, p)
    return _operation_result(ctx, req, p["opId"])


@ROUTER.route("GET", VAULT + "/backupProtectedItems", rtype=ITEM_TYPE, api_versions=BACKUP_VERSIONS)
def list_items(ctx, req, p):
    vault = require_vault(ctx, p)
    flt = _filter(req)
    if _wrong_management_type(flt) or flt.get("itemtype", "VM").lower() != "vm":
        return ctx.page([])
    items = [_item_view(ctx, i) for i in ctx.store.list_resources(ctx.cloud, ITEM_TYPE, p["sub"], p["rg"])
             if i["id"].lower().startswith(vault["id"].lower() + "/")]
    if flt.get("policyname"):
        items = [i for i in items if (i["properties"].get("policyName") or "").lower() == flt["policyname"].lower()]
    return ctx.page(items)


@ROUTER.route("GET", ITEM + "/recoveryPoints", rtype=RP_TYPE, api_versions=BACKUP_VERSIONS)
def list_recovery_points(ctx, req, p):
    vault = require_vault(ctx, p)
    _fabric(p)
    iid = _item_id(vault, p)
    if ctx.store.get_resource(ctx.cloud, iid) is None:
        raise ArmError(404, "BMSUserErrorItemNotFound", f"Item '{p['item']}' is not found in the vault.")
    return ctx.page(list(reversed(_rps(ctx.store, ctx.cloud, iid))))  # newest first, like the service


@ROUTER.route("GET", ITEM + "/recoveryPoints/{rp}", rtype=RP_TYPE, api_versions=BACKUP_VERSIONS)
def get_recovery_point(ctx, req, p):
    vault = require_vault(ctx, p)
    doc = ctx.store.get_resource(ctx.cloud, _item_id(vault, p) + "/recoveryPoints/" + p["rp"])
    if doc is None:
        raise ArmError(404, "BMSUserErrorRecoveryPointNotFound", "The recovery point was not found.")
    return Response(200, doc)


# -- seed --------------------------------------------------------------------------------------------------------
def rp_doc(item_id, vm, when, consistency="AppConsistent"):
    name = str(int(when.timestamp() * 1000))
    os_type = ((vm.get("properties") or {}).get("storageProfile") or {}).get("osDisk", {}).get("osType", "Linux")
    return {"id": f"{item_id}/recoveryPoints/{name}", "name": name, "type": RP_TYPE,
            "properties": {"objectType": "IaasVMRecoveryPoint", "recoveryPointType": consistency,
                           "recoveryPointTime": when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"),
                           "recoveryPointAdditionalInfo": "", "sourceVMStorageType": "NormalStorage",
                           "isSourceVMEncrypted": False, "isInstantIlrSessionActive": False,
                           "recoveryPointTierDetails": [{"type": "HardenedRP", "status": "Valid"}],
                           "isManagedVirtualMachine": True, "virtualMachineSize":
                               ((vm.get("properties") or {}).get("hardwareProfile") or {}).get("vmSize"),
                           "originalStorageAccountOption": False, "osType": os_type}}


def seed(sim, cloud, sub, vaults):
    """Seed key `backup_vaults`: [{name, resource_group, location, policies: [{name, properties}],
    protected_items: [{vm, resource_group, policy, recovery_points (count, one a day back from 23:00 UTC
    yesterday), protection_state?}], plus the keys of seed_vault_settings}]. The vault is created when missing.
    Returns how many items were seeded."""
    n = 0
    for spec in vaults:
        vid = vault_id(sub, spec["resource_group"], spec["name"])
        vault = sim.store.get_resource(cloud, vid)
        if vault is None:
            vault = {"id": vid, "name": spec["name"], "type": VAULT_TYPE,
                     "location": normalize_location(spec["location"]), "sku": {"name": "RS0", "tier": "Standard"},
                     "tags": spec.get("tags") or {}, "properties": default_properties(), "etag": 'W/"seed"'}
            sim.store.put_resource(cloud, vid, VAULT_TYPE, sub, spec["resource_group"], vault)
        if any(spec.get(k) for k in ("vault_properties", "private_endpoints", "diagnostic_settings")):
            seed_vault_settings(sim, cloud, sub, vault, spec)
        for pol in spec.get("policies", []):
            props = dict(pol["properties"])
            validate_policy(props)
            put_policy_doc(sim.store, cloud, vault, pol["name"], props)
        day = datetime.datetime.now(datetime.timezone.utc).replace(hour=23, minute=0, second=0, microsecond=0)
        for it in spec.get("protected_items", []):
            vm_id = (f"/subscriptions/{sub}/resourceGroups/{it['resource_group']}/providers/"
                     f"Microsoft.Compute/virtualMachines/{it['vm']}")
            vm = sim.store.get_resource(cloud, vm_id)
            if vm is None:
                raise ValueError(f"backup seed: VM {it['vm']} in {it['resource_group']} is not seeded")
            doc = item_doc(vault, vm, f"{vid}/backupPolicies/{it['policy']}", it.get("protection_state", "Protected"))
            doc["properties"]["lastBackupStatus"] = "Completed"
            container = container_doc(vault, vm["id"])
            sim.store.put_resource(cloud, container["id"], CONTAINER_TYPE, sub, spec["resource_group"], container)
            sim.store.put_resource(cloud, doc["id"], ITEM_TYPE, sub, spec["resource_group"], doc)
            for i in range(int(it.get("recovery_points", 0))):
                when = day - datetime.timedelta(days=i + 1)
                rp = rp_doc(doc["id"], vm, when, "AppConsistent" if i % 3 else "CrashConsistent")
                sim.store.put_resource(cloud, rp["id"], RP_TYPE, sub, spec["resource_group"], rp)
            if int(it.get("recovery_points", 0)):
                doc["properties"]["lastBackupTime"] = (day - datetime.timedelta(days=1)).strftime(
                    "%Y-%m-%dT%H:%M:%S.0000000Z")
                sim.store.put_resource(cloud, doc["id"], ITEM_TYPE, sub, spec["resource_group"], doc)
            n += 1
    return n


def register_actions(sim):
    sim.register_action("backup_item", _apply_item)
    sim.register_action("backup_delete", _apply_delete)
    sim.register_action("backup_discover", _discover)


# -- vault backup configuration and storage configuration ---------------------------------------------------------
# Views over the vault's own properties, so the vault GET and these resources always agree:
# backupconfig/vaultconfig <-> properties.securitySettings.softDeleteSettings,
# backupstorageconfig/vaultstorageconfig <-> properties.redundancySettings (BackupResourceVaultConfig and
# BackupResourceConfig models of azure-mgmt-recoveryservicesbackup 11.2).
VAULT_CONFIG = VAULT + "/backupconfig/vaultconfig"
VAULT_CONFIG_TYPE = VAULT_TYPE + "/backupconfig"
STORAGE_CONFIG = VAULT + "/backupstorageconfig/vaultstorageconfig"
STORAGE_CONFIG_TYPE = VAULT_TYPE + "/backupstorageconfig"
SOFT_DELETE_STATES = {"Enabled", "Disabled", "AlwaysON"}
STORAGE_TYPES = {"GeoRedundant", "LocallyRedundant", "ZoneRedundant", "ReadAccessGeoZoneRedundant"}


def vault_has_items(ctx, vault):
    """Whether any item was ever registered for backup in the vault (redundancy is locked from then on)."""
    return any(i["id"].lower().startswith(vault["id"].lower() + "/")
               for i in ctx.store.list_resources(ctx.cloud, ITEM_TYPE, *_sub_rg(vault["id"])))


def storage_model_locked(ctx, vault):
    return ArmError(400, "StorageModelModifyError", "Storage Redundancy option is locked when the first machine is "
                    "registered with the vault, and cannot be modified thereafter.")


def _soft(vault):
    return ((vault["properties"].get("securitySettings") or {}).get("softDeleteSettings") or {})


def vault_config_doc(vault):
    soft = _soft(vault)
    return {"id": vault["id"] + "/backupconfig/vaultconfig", "name": "vaultconfig", "type": VAULT_CONFIG_TYPE,
            "properties": {"softDeleteFeatureState": soft.get("softDeleteState", "Enabled"),
                           "softDeleteRetentionPeriodInDays": soft.get("softDeleteRetentionPeriodInDays", 14),
                           "enhancedSecurityState": soft.get("enhancedSecurityState", "Enabled"),
                           "isSoftDeleteFeatureStateEditable": soft.get("softDeleteState") != "AlwaysON"}}


def storage_config_doc(ctx, vault):
    red = vault["properties"].get("redundancySettings") or {}
    kind = red.get("standardTierStorageRedundancy", "GeoRedundant")
    return {"id": vault["id"] + "/backupstorageconfig/vaultstorageconfig", "name": "vaultstorageconfig",
            "type": STORAGE_CONFIG_TYPE,
            "properties": {"storageModelType": kind, "storageType": kind,
                           "storageTypeState": "Locked" if vault_has_items(ctx, vault) else "Unlocked",
                           "crossRegionRestoreFlag": red.get("crossRegionRestore") == "Enabled",
                           "dedupState": "Disabled", "xcoolState": "Disabled"}}


def _save_vault(ctx, p, vault):
    ctx.store.put_resource(ctx.cloud, vault["id"], VAULT_TYPE, p["sub"], p["rg"], vault)


@ROUTER.route("GET", VAULT_CONFIG, rtype=VAULT_CONFIG_TYPE, api_versions=BACKUP_VERSIONS)
def get_vault_config(ctx, req, p):
    return Response(200, vault_config_doc(require_vault(ctx, p)))


@ROUTER.route(["PUT", "PATCH"], VAULT_CONFIG, rtype=VAULT_CONFIG_TYPE, api_versions=BACKUP_VERSIONS)
def put_vault_config(ctx, req, p):
    """Synchronous 200 with the configuration (BackupResourceVaultConfigs_Update / _Put)."""
    vault = require_vault(ctx, p)
    props = (req.json() or {}).get("properties") or {}
    soft = dict(_soft(vault))
    state = props.get("softDeleteFeatureState")
    if state is not None:
        if state not in SOFT_DELETE_STATES:
            raise ArmError(400, "BMSUserErrorInvalidInput", f"Soft delete state '{state}' is not valid.")
        if soft.get("softDeleteState") == "AlwaysON" and state != "AlwaysON":
            raise ArmError(400, "BMSUserErrorInvalidInput", "Soft delete is always on for this vault and cannot be "
                           "disabled.")
        soft["softDeleteState"] = state
    days = props.get("softDeleteRetentionPeriodInDays")
    if days is not None:
        if not 14 <= int(days) <= 180:
            raise ArmError(400, "BMSUserErrorInvalidInput", "The soft delete retention must be between 14 and 180 days.")
        soft["softDeleteRetentionPeriodInDays"] = int(days)
    if props.get("enhancedSecurityState") is not None:
        soft["enhancedSecurityState"] = props["enhancedSecurityState"]
    security = dict(vault["properties"].get("securitySettings") or {})
    security["softDeleteSettings"] = soft
    vault["properties"]["securitySettings"] = security
    _save_vault(ctx, p, vault)
    return Response(200, vault_config_doc(vault))


@ROUTER.route("GET", STORAGE_CONFIG, rtype=STORAGE_CONFIG_TYPE, api_versions=BACKUP_VERSIONS)
def get_storage_config(ctx, req, p):
    return Response(200, storage_config_doc(ctx, require_vault(ctx, p)))


@ROUTER.route(["PUT", "PATCH"], STORAGE_CONFIG, rtype=STORAGE_CONFIG_TYPE, api_versions=BACKUP_VERSIONS)
def put_storage_config(ctx, req, p):
    """PUT: 200 with the configuration; PATCH: 204 (BackupResourceStorageConfigsNonCRR_Update / _Patch).
    Once an item is registered, the storage type is locked (StorageModelModifyError)."""
    vault = require_vault(ctx, p)
    props = (req.json() or {}).get("properties") or {}
    red = dict(vault["properties"].get("redundancySettings") or {})
    kind = props.get("storageModelType") or props.get("storageType")
    if kind is not None and kind != red.get("standardTierStorageRedundancy", "GeoRedundant"):
        if kind not in STORAGE_TYPES:
            raise ArmError(400, "BMSUserErrorInvalidInput", f"Storage type '{kind}' is not valid.")
        if vault_has_items(ctx, vault):
            raise storage_model_locked(ctx, vault)
        red["standardTierStorageRedundancy"] = kind
    crr = props.get("crossRegionRestoreFlag")
    if crr is not None:
        if crr and red.get("standardTierStorageRedundancy", "GeoRedundant") != "GeoRedundant":
            raise ArmError(400, "BMSUserErrorInvalidInput", "Cross Region Restore can be enabled only for a "
                           "GeoRedundant vault.")
        if not crr and red.get("crossRegionRestore") == "Enabled":
            raise ArmError(400, "BMSUserErrorInvalidInput", "Cross Region Restore cannot be disabled once enabled.")
        red["crossRegionRestore"] = "Enabled" if crr else "Disabled"
    vault["properties"]["redundancySettings"] = red
    _save_vault(ctx, p, vault)
    return Response(204) if req.method == "PATCH" else Response(200, storage_config_doc(ctx, vault))


def seed_vault_settings(sim, cloud, sub, vault, spec):
    """Seed keys of a backup vault entry: `vault_properties` (merged into the vault's properties),
    `private_endpoints` ([{name, resource_group, group_id?}]: approved connections of private endpoints in the
    same subscription) and `diagnostic_settings` ([{name, properties}], `{subscription}` in ids is replaced)."""
    from . import deep_merge  # late: the package imports this module first
    from .insights import put_setting_doc

    vault["properties"] = deep_merge(vault["properties"], spec.get("vault_properties") or {})
    conns = []
    for pe in spec.get("private_endpoints") or []:
        pe_id = f"/subscriptions/{sub}/resourceGroups/{pe['resource_group']}/providers/Microsoft.Network/" \
                f"privateEndpoints/{pe['name']}"
        name = f"{pe['name']}.{hashlib.sha1(pe_id.lower().encode()).hexdigest()[:8]}"
        group = pe.get("group_id", "AzureBackup")
        conns.append({"id": f"{vault['id']}/privateEndpointConnections/{name}", "name": name,
                      "type": VAULT_TYPE + "/privateEndpointConnections", "location": vault["location"],
                      "properties": {"provisioningState": "Succeeded", "privateEndpoint": {"id": pe_id},
                                     "groupIds": [group],
                                     "privateLinkServiceConnectionState": {"status": "Approved",
                                                                           "description": "Approved by seed",
                                                                           "actionsRequired": "None"}}})
        key = "privateEndpointStateForSiteRecovery" if group == "AzureSiteRecovery" else "privateEndpointStateForBackup"
        vault["properties"][key] = "Enabled"
    if conns:
        vault["properties"]["privateEndpointConnections"] = conns
    sim.store.put_resource(cloud, vault["id"], VAULT_TYPE, sub, spec["resource_group"], vault)
    for ds in spec.get("diagnostic_settings") or []:
        props = {k: v.replace("{subscription}", sub) if isinstance(v, str) else v
                 for k, v in ds["properties"].items()}
        put_setting_doc(sim.store, cloud, vault["id"], ds["name"], props)
