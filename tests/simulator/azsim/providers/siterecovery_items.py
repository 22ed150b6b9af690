"""Replication protected items (InMageAzureV2, classic physical servers) and their recovery points.

State machine. An item document keeps the ordered list of operations applied to it (`azsim.ops`: scenario + job id).
Every read folds them through SCENARIOS, starting from an empty view, so the state is computed from the jobs' stored
timestamps (no background work). A scenario handler receives (view, item, job document, job state, job end, now)
and updates the view. To add an action (testFailover, unplannedFailover, failoverCommit, ...): validate it against
`view["allowed"]`, start its job with `item_job`, append {"scenario", "job"} to the item's ops, and register a
handler with @scenario that maps the job's progress to protectionState / testFailoverState / activeLocation / etc.

    EnableProtection job running        -> EnablingProtection (currentScenario = the EnableDr job)
    EnableProtection job failed         -> EnablingFailed, replicationHealth Critical, healthErrors (push install)
    job done, initial replication runs  -> InitialReplicationInProgress (resyncProgressPercentage grows)
    initial replication complete        -> Protected (DifferentialSync, RPO, recovery points appear)
    DisableProtection / PurgeProtection -> DisablingProtection; the item is deleted when the job completes
"""
import math
import re
import time

from ..httpbase import Response
from ..sim import iso
from .siterecovery import (AZURE, AZURE_CONTAINER, AZURE_FABRIC, CONTAINER, ITEM, T_ITEM, T_MAPPING, T_POINT,
                           VAULT, Scope, accepted, affected_objects, bad, find_policy, guid, heartbeat, job_error,
                           job_state, list_of, listing, name_hash, not_found, protecting_item, public, route,
                           start_job, task, transient_health_ratio)
from .siterecovery_cs import AGENT_VERSION, host_facts, is_classic_vault

ENABLE_TASKS = [  # V2ACreateRPI.excerpt.json (EnableDr job of an InMageAzureV2 item); seconds ~ the recording's
    task("EnableProtectionPreflightChecksTask", "EnableProtectionPrerequisitesCheck",
         "Prerequisites check for enabling protection", 3),
    task("CreateProtectionTargetTask", "CreateProtectionTarget", "Installing Mobility Service and preparing target",
         50),
    task("EnableProtectionTask", "EnableProtection", "Enable replication", 7),
    task("StartInitialReplicationTask", "VmStartInitialReplication", "Starting initial replication", 3),
    task("UpdateDraStateTask", "UpdateDraState", "Updating the provider states", 1)]
PUSH_TASK = 1  # the push install happens in CreateProtectionTarget
DISABLE_TASKS = [
    task("DisableProtectionPreflightChecksTask", "DisableProtectionPrerequisitesCheck",
         "Prerequisites check for disabling protection", 3),
    task("DisableProtectionTask", "DisableProtection", "Disable replication", 30),
    task("UpdateDraStateTask", "UpdateDraState", "Updating the provider states", 1)]
PURGE_TASKS = [task("PurgeProtectionTask", "PurgeProtection", "Remove the replicated item", 15)]
UPDATE_TASKS = [task("UpdateVmPropertiesTask", "UpdateVmProperties", "Update the virtual machine properties", 20)]
IR_SECONDS_PER_128GB = 1800  # initial replication: ~30 real minutes per 128 GB of source disks
MAX_POINTS = 200  # newest recovery points listed per type
IDLE_START = "1753-01-01T01:01:01Z"
PROTECTED_OPS = ["UnplannedFailover", "DisableProtection", "TestFailover"]  # InMageAzureV2 item, recording/example
LICENSES = ("NotSpecified", "NoLicenseType", "WindowsServer")
DISK_TYPES = ("Standard_LRS", "Premium_LRS", "StandardSSD_LRS", "PremiumV2_LRS", "UltraSSD_LRS", "StandardSSD_ZRS",
              "Premium_ZRS")
VM_SIZES = {"standard_d4s_v3": (4, 16384), "standard_d2s_v3": (2, 8192), "standard_b2ms": (2, 8192)}

# Microsoft Docs vmware-physical-azure-classic-deprecation.md (later revision): enabling replication through a
# configuration server (classic) is blocked as of January 31, 2026 (00:00 UTC here); vaults marked as existing classic
# vaults (admin knob) keep it. Code invented, dates quoted from that article.
CLASSIC_ENABLE_BLOCKED = 1769817600.0
CLASSIC_RETIRED_MESSAGE = (
    "Enabling replication through a configuration server (classic experience, InMageAzureV2) is blocked as of January "
    "31, 2026: Azure Site Recovery no longer supports the classic experience for VMware and physical machines (as of "
    "March 15, 2026). Vault '{vault}' is not an existing classic vault. Use the modernized experience: a replication "
    "appliance (InMageRcm) registered with a new Recovery Services vault.")

# Transient Critical health during initial replication (README "Protected item state machine"): about
# transient_health_ratio of the items (by a hash of the item name) turn Critical between these fractions of their
# initial replication, with one of these health errors. 78169 and 78188 are the documented VMware/physical error IDs
# (troubleshoot-replication article; messages paraphrased); the cache upload one paraphrases the process server's
# Critical alert and its code is invented.
TRANSIENT_WINDOW = (0.3, 0.6)
TRANSIENT_ERRORS = [
    ("78169", "No crash consistent recovery point available for the VM in the last 60 minutes",
     "No crash consistent recovery point is available for the virtual machine '{name}' in the last 60 minutes: the "
     "RPO threshold is exceeded.",
     "Initial replication is slow: network bandwidth between the source machine, the process server and Azure, time "
     "synchronisation, or anti-virus software blocking Azure Site Recovery.",
     "Check connectivity and bandwidth from the source machine to the process server and to Azure, and exclude the "
     "Azure Site Recovery folders from anti-virus scanning."),
    ("78188", "Data change rate beyond supported limits",
     "The data change rate (write bytes/sec) on the disks of the virtual machine '{name}' is higher than the Azure "
     "Site Recovery supported limits for the replication target storage type.",
     "A sudden spike in the churn rate left a large amount of data pending upload.",
     "If the churn is temporary, wait for the pending data to be uploaded; otherwise use Premium target disks or "
     "exclude disks with non-critical data from replication."),
    ("ProcessServerCacheUploadDelayed", "Process server cache upload is throttled",
     "Data of the virtual machine '{name}' in the process server cache cannot be uploaded to Azure within 45 minutes: "
     "the cache storage account is throttling the uploads.",
     "The process server's upload to the cache storage account is slower than the data change rate.",
     "Check the process server's upload bandwidth and the cache storage account; the upload resumes on its own.")]

# Push-install errors of Microsoft Docs vmware-azure-troubleshoot-push-install.md: (meaning used in the message,
# likely cause, recommended action)
PUSH_ERRORS = {
    95117: ("the source machine is not reachable from the process server",
            "Source unreachable from the configuration/process server (network, firewall, DNS, TCP port exhaustion).",
            "Ping the source machine from the configuration/process server; test RPC port 135 with telnet; for Linux "
            "ensure openssh, openssh-server and openssl are present, SSH is on port 22, SFTP and password "
            "authentication are enabled."),
    95107: ("the credential / privilege check failed",
            "The account chosen at enable replication is wrong or not a local/domain administrator, or a local "
            "(non-domain) administrator is blocked by UAC remote restrictions.",
            "Use an administrator account; for a local account set the DWORD LocalAccountTokenFilterPolicy = 1 under "
            "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System."),
    95518: ("the domain trust failed at sign-in",
            "Trust between the primary domain and the workstation can't be established.",
            "Use an account that can log on through the machine's primary domain."),
    95108: ("the credential check failed",
            "Not the root account, or the SFTP subsystem / password authentication is disabled in sshd.",
            "Use root; in /etc/ssh/sshd_config uncomment PasswordAuthentication and set it to yes, uncomment the "
            "Subsystem (sftp) line and restart sshd."),
    95525: ("", "Root account was not supplied.", "Supply the built-in root account and retry."),
    95519: ("the account is disabled", "The chosen account is disabled.",
            "Enable the account (net user <name> /active:yes) and retry."),
    95105: ("the File and Printer Sharing check failed",
            "File and Printer Sharing is blocked, so the Mobility service cannot be copied to the source machine.",
            "Enable the Windows Firewall rules File and Printer Sharing (NB-Session-In) and (SMB-In)."),
    95103: ("the WMI configuration check failed",
            "Windows Management Instrumentation is blocked in the firewall, so remote execution is impossible.",
            "Allow WMI for the domain, private and public profiles: netsh advfirewall firewall set rule "
            "group=\"windows management instrumentation (wmi)\" new enable=yes"),
}


def push_install_error(sim, fabric, account_id, ip, os_type):
    """The push-install error code (vmware-azure-troubleshoot-push-install.md) this host would fail with, or None."""
    user = next((a["username"] for a in fabric["azsim"]["accounts"] if a["id"] == account_id), None)
    return push_error_code(sim, user, ip, os_type)


def push_error_code(sim, user, ip, os_type):
    """The error code a push install with this username would fail with on the host behind `ip` (None: a host
    whose address is unknown, e.g. an FQDN that resolves to no machine = unreachable), or None. Shared by the
    configuration server (classic) and the replication appliance (InMageRcm)."""
    if ip is None:
        return 95117
    facts = host_facts(sim, ip)
    if facts["agent_installed"]:
        return None
    if not facts["reachable"]:
        return 95117
    user = user or ""
    if os_type == "Windows":
        domain = "\\" in user or "@" in user
        if domain and not facts["domain_joined"]:
            return 95518
        if not domain:
            if int(facts["local_account_token_filter_policy"] or 0) != 1:
                return 95107
            code = _local_account_error(facts, user)
            if code:
                return code
        # The order of the checks is invented: credentials, then File and Printer Sharing, then WMI.
        if not facts["firewall_file_printer_sharing"]:
            return 95105
        if not facts["firewall_wmi"]:
            return 95103
        return None
    if user != "root":
        return 95525
    if not facts["root_password_set"] or facts["sshd_permit_root_login"] != "yes":
        return 95108
    if not facts["sshd_password_authentication"] or not facts["sftp_subsystem"]:
        return 95108
    return None


def _local_account_error(facts, user):
    """95107 when the local account does not exist or is not an administrator, 95519 when it is disabled; nothing
    when the guest's accounts are not modelled (local_users None)."""
    users = facts.get("local_users")
    if users is None:
        return None
    entry = next((v for k, v in users.items() if k.lower() == user.lower()), None)
    if entry is None:
        return 95107
    if not entry.get("enabled", True):
        return 95519
    if facts.get("local_admins") is not None and user.lower() not in [a.lower() for a in facts["local_admins"]]:
        return 95107
    return None


def push_error_details(code, ip):
    meaning, causes, action = PUSH_ERRORS[code]
    message = (f"Mobility agent installation failed on the source machine ({ip})" if code == 95525 else
               f"Push installation of the Mobility service to the source machine ({ip}) failed: {meaning}.")
    provider = {"errorCode": code, "errorMessage": message, "errorId": f"{code}", "possibleCauses": causes,
                "recommendedAction": action}
    return job_error("ProtectionCouldNotBeEnabled", "The requested operation did not complete successfully. Check "
                     "the provider error for more details.", provider,
                     causes="The Mobility service could not be installed on the source machine.",
                     action="Resolve the provider error and retry the operation.")


# -- state machine -----------------------------------------------------------------------------------------------
SCENARIOS = {}


def scenario(name):
    def deco(fn):
        SCENARIOS[name] = fn
        return fn
    return deco


ENABLE_FAILED_ERRORS = {}  # providerSpecificDetails instanceType -> fn(item, job, end): the failed-enable health error


def _current(view, job):
    view["current"] = {"scenarioName": view["op"], "jobId": job["id"], "startTime": iso(job["azsim"]["start"])}


@scenario("EnableProtection")
def _enable(view, item, job, state, end, now):
    az = item["azsim"]
    if state == "InProgress":
        _current(view, job)
        view.update(state=("EnablingProtection", "Enabling protection"), allowed=[])
        return
    if state == "Failed":
        _current(view, job)  # TestV2ARCMCommit: a failed enable keeps its job as currentScenario
        err = job["azsim"]["fail"][1]
        prov = err.get("providerErrorDetails") or {}
        svc = err["serviceErrorDetails"]
        special = ENABLE_FAILED_ERRORS.get(item["properties"]["providerSpecificDetails"]["instanceType"])
        if special:
            view.update(state=("EnablingFailed", "Protection couldn't be enabled"), allowed=["DisableProtection"],
                        health="Critical", errors=[special(item, job, end)])
            return
        view.update(state=("EnablingFailed", "Protection couldn't be enabled"), allowed=["DisableProtection"],
                    health="Critical", errors=[{
                        "innerHealthErrors": [], "errorSource": "ProtectedEntitySystemError", "errorType": "6",
                        "errorLevel": "Error", "errorCategory": "Replication",
                        "errorCode": str(prov.get("errorCode") or svc["code"]),
                        "summaryMessage": "Enable replication failed",
                        "errorMessage": prov.get("errorMessage") or svc["message"],
                        "possibleCauses": prov.get("possibleCauses") or svc["possibleCauses"],
                        "recommendedAction": prov.get("recommendedAction") or svc["recommendedAction"],
                        "creationTimeUtc": iso(end), "recoveryProviderErrorMessage": None, "entityId": az["vm_id"],
                        "errorId": f"0:{prov.get('errorCode') or 6}", "customerResolvability": "Allowed"}])
        return
    ir_end = end + az["ir_seconds"] * az["factor"]
    if now < ir_end:
        view.update(state=("InitialReplicationInProgress", "Initial replication in progress"), stage="Resync",
                    progress=int(100 * (now - end) / (ir_end - end)), allowed=["DisableProtection"], rpo=int(now - end))
        blip = az.get("transient_health")
        if blip and end + blip[0] * (ir_end - end) <= now < end + blip[1] * (ir_end - end):
            view.update(health="Critical", errors=[_transient_error(item, blip[2], end + blip[0] * (ir_end - end))])
    else:
        view.update(state=("Protected", "Protected"), stage="DifferentialSync", progress=0, since=ir_end,
                    allowed=list(PROTECTED_OPS), rpo=25 + int(now) % 30)


def _transient_error(item, index, since):
    code, summary, message, causes, action = TRANSIENT_ERRORS[index]
    return {"innerHealthErrors": [], "errorSource": "ProtectedEntitySystemError", "errorType": "6",
            "errorLevel": "Error", "errorCategory": "Replication", "errorCode": code, "summaryMessage": summary,
            "errorMessage": message.format(name=item["properties"]["friendlyName"]), "possibleCauses": causes,
            "recommendedAction": action, "creationTimeUtc": iso(since), "recoveryProviderErrorMessage": None,
            "entityId": item["azsim"]["vm_id"], "errorId": f"0:{code}", "customerResolvability": "Allowed"}


def transient_health(scope, item):
    """[from, to, error index] of the item's transient Critical window (fractions of its initial replication), or
    None: decided at enable time from the item name and the transient_health_ratio setting, stored in the item."""
    name = item["id"].rsplit("/", 1)[-1]
    if name_hash(name, "transient-health") >= transient_health_ratio(scope.sim):
        return None
    return [TRANSIENT_WINDOW[0], TRANSIENT_WINDOW[1], int(name_hash(name, "transient-error") * len(TRANSIENT_ERRORS))]


@scenario("DisableProtection")
@scenario("PurgeProtection")
def _disable(view, item, job, state, end, now):
    if state == "InProgress":
        _current(view, job)
        view.update(state=("DisablingProtection", "Disabling protection"), allowed=[])


@scenario("UpdateProtection")
def _update(view, item, job, state, end, now):
    if state == "InProgress":
        _current(view, job)


def item_view(scope, item, now):
    """The fold of the item's operations. Keys: state (protectionState, description), allowed, health, errors
    (replication health errors), current (currentScenario or None = idle), stage, progress, since (protected since),
    rpo; failover keys: active (activeLocation), tfo (testFailoverState, description), fo_health, fo_errors, times
    (lastSuccessful*Time), until (recovery points stop at failover), point (failoverRecoveryPointId), psd (patch of
    providerSpecificDetails), committed. Handlers get the op's stored data (target VM, recovery point) in
    view["opdata"]."""
    view = {"state": ("EnablingProtection", "Enabling protection"), "allowed": [], "health": "Normal", "errors": [],
            "current": None, "stage": "", "progress": 0, "since": None, "rpo": None, "active": "Primary",
            "tfo": ("None", "None"), "fo_health": "Normal", "fo_errors": [], "times": {}, "until": None,
            "point": None, "psd": {}, "committed": False}
    for op in item["azsim"]["ops"]:
        job = scope.get(scope.rid("replicationJobs", op["job"]))
        if job is None:
            continue
        state, end = job_state(job, now)
        view["op"], view["opdata"] = op["scenario"], op
        SCENARIOS[op["scenario"]](view, item, job, state, end, now)
    return view


def points_of(scope, item, view, now):
    """The recovery points listed now: they stop at failover (view["until"])."""
    return recovery_points(scope, item, view["since"], min(now, view["until"] or now))


def recovery_points(scope, item, since, now):
    """[(time, type, index)] by the policy's frequencies and retention, computed on read; at time factor 0 exactly
    one point of each enabled type (at protection time). Points added by a failover to "latest" (item
    azsim.extra_points) are included from their time on."""
    if since is None:
        return []
    policy = scope.get(item["properties"]["policyId"]) or {}
    details = (policy.get("properties") or {}).get("providerSpecificDetails") or {}
    factor = item["azsim"]["factor"]
    retention = details.get("recoveryPointHistory", details.get("recoveryPointHistoryInMinutes", 1440)) * 60 * factor
    out = []
    for kind, key in (("CrashConsistent", "crashConsistentFrequencyInMinutes"),
                      ("AppConsistent", "appConsistentFrequencyInMinutes")):
        minutes = details.get(key) or 0
        if not minutes:
            continue
        step = minutes * 60 * factor
        last = int((now - since) // step) if step else 0
        oldest = math.ceil((now - retention - since) / step) if step and retention else last
        first = max(oldest, 0, last - MAX_POINTS + 1)
        out += [(since + k * step, kind, k) for k in range(first, last + 1)]
    out += [tuple(x) for x in item["azsim"].get("extra_points", []) if since <= x[0] <= now]
    return sorted(out, key=lambda pt: (pt[0], pt[1], str(pt[2])))


def render_point(item, point):
    t, kind, k = point
    name = guid(item["id"], kind, str(k))
    return {"id": f"{item['id']}/recoveryPoints/{name}", "name": name, "type": T_POINT,
            "properties": {"recoveryPointTime": iso(t), "recoveryPointType": kind,
                           "providerSpecificDetails": {  # InMageAzureV2 / InMageRcm RecoveryPointDetails
                               "instanceType": item["properties"]["providerSpecificDetails"]["instanceType"],
                               "isMultiVmSyncPoint": "false"}}}


PSD_RENDERERS = {}  # providerSpecificDetails instanceType -> fn(scope, item, view, points, now) -> details
ENABLE_HOOKS = {}  # fabric customDetails instanceType -> enable handler (scope, req, container, fabric, item id)
UPDATE_HOOKS = {}  # providerSpecificDetails instanceType -> update handler (scope, req, item)


def render_item(scope, item, now):
    body = public(item)
    az = item["azsim"]
    view = item_view(scope, item, now)
    idle = {"scenarioName": "None", "jobId": scope.rid("replicationJobs", "None"), "startTime": IDLE_START}
    points = points_of(scope, item, view, now)
    props = dict(body["properties"], protectionState=view["state"][0], protectionStateDescription=view["state"][1],
                 activeLocation=view["active"], testFailoverState=view["tfo"][0],
                 testFailoverStateDescription=view["tfo"][1], allowedOperations=view["allowed"],
                 replicationHealth=view["health"], failoverHealth=view["fo_health"],
                 healthErrors=view["errors"] + view["fo_errors"], **view["times"],
                 currentScenario=view["current"] or idle,
                 failoverRecoveryPointId=view["point"] or (render_point(item, points[-1])["id"] if points else None))
    props = {k: props[k] for k in list(body["properties"]) + [k for k in props if k not in body["properties"]]}
    other = PSD_RENDERERS.get(props["providerSpecificDetails"]["instanceType"])
    if other:  # InMageRcm: siterecovery_rcm_items
        props["providerSpecificDetails"] = other(scope, item, view, points, now)
        body["properties"] = props
        return body
    psd = dict(props["providerSpecificDetails"], **view["psd"])
    installed = az.get("agent_installed_at", math.inf) <= now
    beat = heartbeat(az["agent_installed_at"], now) if installed else None
    in_ir = view["state"][0] == "InitialReplicationInProgress"
    disks = []
    for d in psd["protectedDisks"]:
        disks.append(dict(d, protectionStage=view["stage"], resyncProgressPercentage=view["progress"],
                          rpoInSeconds=view["rpo"], resyncRequired="NotRequired", lastRpoCalculatedTime=beat,
                          progressHealth="InProgress" if in_ir else "None",
                          resyncProcessedBytes=d["diskCapacityInBytes"] * view["progress"] // 100 if in_ir else 0))
    psd.update(protectionStage=view["stage"], vmProtectionState=view["state"][0],
               vmProtectionStateDescription=view["state"][1], resyncProgressPercentage=view["progress"],
               rpoInSeconds=view["rpo"], lastHeartbeat=beat, lastRpoCalculatedTime=beat if view["rpo"] else None,
               lastUpdateReceivedTime=beat, protectedDisks=disks,
               agentVersion=AGENT_VERSION if installed else None,
               lastRecoveryPointReceived=iso(points[-1][0]) if points else None,
               totalProgressHealth="InProgress" if in_ir else "None")
    props["providerSpecificDetails"] = psd
    body["properties"] = props
    return body


# -- enable protection -------------------------------------------------------------------------------------------
# Site Recovery's rule for the Azure VM it creates (support matrix for VMware VMs and physical servers, "Azure VM
# requirements"): 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit. It is the VM
# resource's name, not the guest's host name: a Windows VM may be named longer than its 15-character computer name.
VM_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def default_vm_name(friendly):
    """The VM name Site Recovery gives when the client names none: the machine's friendly name, made one it can give
    (invented: an address-only machine's friendly name is its IP address)."""
    name = re.sub(r"[^A-Za-z0-9-]+", "-", friendly or "").strip("-")[:63].strip("-")
    return name or "machine"


def check_vm_name(name, os_type):  # pylint: disable=unused-argument  # the same rule for every OS
    if not name or not VM_NAME_RE.match(name):
        raise bad("InvalidParameter", f"The target virtual machine name '{name}' is not valid: use 1 to 63 letters, "
                                      "digits and hyphens, starting and ending with a letter or digit.")
    return name


def check_choice(value, choices, what):
    if value is not None and value not in choices:
        raise bad("InvalidParameter", f"The {what} '{value}' is not valid. Valid values: {', '.join(choices)}.")
    return value


def target_network(scope, network_id, subnet=None, what="target network"):
    """A VNet of the vault's cloud (and its subnet, by name or id): 400 when missing."""
    vnet = scope.store.get_resource(scope.cloud, network_id or "") if network_id else None
    if vnet is None or vnet.get("type") != "Microsoft.Network/virtualNetworks":
        raise bad("TargetNetworkNotFound", f"The {what} '{network_id}' was not found.")
    if subnet is not None:
        name = subnet.rstrip("/").rsplit("/", 1)[-1]
        if "/" in subnet and not subnet.lower().startswith(vnet["id"].lower() + "/subnets/") or name.lower() not in [
                s["name"].lower() for s in vnet["properties"]["subnets"]]:
            raise bad("TargetSubnetNotFound", f"The subnet '{subnet}' was not found in the {what} '{network_id}'.")
        return vnet, name
    return vnet, None


def target_resource(scope, rid, rtype, code, what):
    body = scope.store.get_resource(scope.cloud, rid or "") if rid else None
    if body is None or (body.get("type") or "").lower() != rtype.lower():
        raise bad(code, f"The {what} '{rid}' was not found.")
    return body


def _source_machine(scope, ip, os_type):
    """(vm body or None, disks [(name, GiB)], cpu, ram MB, size, os name) of the Gov VM owning the IP."""
    facts = host_facts(scope.sim, ip)
    vm = scope.store.get_resource("gov", facts["vm_id"]) if facts["vm_id"] else None
    if vm is None:
        return None, [("Disk0", 128)], 2, 4096, None, os_type
    prof = vm["properties"]["storageProfile"]
    disks = [("Disk0", prof["osDisk"]["diskSizeGB"])] + [(f"Disk{i + 1}", d["diskSizeGB"])
                                                         for i, d in enumerate(prof["dataDisks"])]
    size = vm["properties"]["hardwareProfile"]["vmSize"]
    cpu, ram = VM_SIZES.get(size.lower(), (2, 4096))
    return vm, disks, cpu, ram, size, vm["azsim"].get("os_name") or os_type


def item_job(scope, req, item, job_scenario, friendly, tasks, action=None, fail=None, custom=None, warn=None):
    """A job on the item. custom: job customDetails (e.g. TestFailoverJobDetails) without affectedObjectDetails,
    which is added; default AsrJobDetails."""
    fabric = scope.fabric()
    container = scope.container()
    az = item["azsim"]
    name = item["properties"]["friendlyName"]
    details = affected_objects(fabric, container, az["vm_id"], name)
    if custom:
        details = dict(custom, affectedObjectDetails=details["affectedObjectDetails"])
    if job_scenario == "EnableDr":  # both enable paths (classic, InMageRcm) store the item after this
        az["transient_health"] = transient_health(scope, item)
    return start_job(scope, req, job_scenario, friendly, tasks, {"id": az["vm_id"], "name": name,
                                                                 "type": "ProtectionEntity"},
                     action=action, fail=fail, custom=details, warn=warn)


@route("PUT", ITEM, T_ITEM)
def enable_protection(ctx, req, p):
    """Enable replication (InMageAzureV2). Every input is checked here, so nothing is created on bad input."""
    scope = Scope(ctx, p)
    container = scope.container()
    fabric = scope.fabric()
    iid = container["id"] + "/replicationProtectedItems/" + p["item"]
    if scope.get(iid) is not None:
        raise bad("ReplicationProtectedItemAlreadyExists", f"The replicated item '{p['item']}' already exists. "
                                                           "Disable replication for it first.")
    other = ENABLE_HOOKS.get(fabric["properties"]["customDetails"]["instanceType"])
    if other:  # InMageRcm (replication appliance): siterecovery_rcm_items
        return other(scope, req, container, fabric, iid)
    props = (req.json() or {}).get("properties") or {}
    inp = props.get("providerSpecificDetails") or {}
    if inp.get("instanceType") != "InMageAzureV2":
        raise bad("InvalidParameter", f"The replication provider '{inp.get('instanceType')}' is not supported for a "
                                      "configuration server (VMware) fabric; use InMageAzureV2.")
    if time.time() >= CLASSIC_ENABLE_BLOCKED and not is_classic_vault(scope.sim, scope.vault["id"]):
        raise bad("ClassicExperienceRetired", CLASSIC_RETIRED_MESSAGE.format(vault=scope.vault["name"]))
    pi_name = (props.get("protectableItemId") or "").rstrip("/").rsplit("/", 1)[-1]
    pid = container["id"] + "/replicationProtectableItems/" + pi_name
    protectable = scope.get(pid)
    if protectable is None or (props.get("protectableItemId") or "").lower() != pid.lower():
        raise bad("ProtectableItemNotFound", f"The protectable item '{props.get('protectableItemId')}' was not found "
                                             f"in the protection container '{container['name']}'.")
    if protecting_item(scope, protectable):
        raise bad("ProtectableItemAlreadyProtected", f"The machine '{protectable['properties']['friendlyName']}' is "
                                                     "already protected.")
    policy = find_policy(scope, props.get("policyId"))
    if not any(m["properties"]["policyId"].lower() == policy["id"].lower()
               and m["properties"]["targetProtectionContainerId"] == AZURE
               for m in scope.children(T_MAPPING, container["id"])):
        raise bad("PolicyNotAssociated", f"The replication policy '{policy['name']}' is not associated with the "
                                         f"protection container '{container['name']}' for replication to Azure.")
    details = fabric["properties"]["customDetails"]
    ps = [s for s in details["processServers"] if s["id"].lower() == (inp.get("processServerId") or "").lower()]
    if not ps:
        raise bad("ProcessServerNotFound", f"The process server '{inp.get('processServerId')}' is not registered "
                                           f"with the configuration server '{fabric['properties']['friendlyName']}'.")
    master = inp.get("masterTargetId") or ps[0]["id"]
    if master.lower() not in [m["id"].lower() for m in details["masterTargetServers"]]:
        raise bad("MasterTargetNotFound", f"The master target server '{master}' is not registered with the "
                                          "configuration server.")
    account = inp.get("runAsAccountId")
    ip, os_type = protectable["azsim"]["ip"], protectable["azsim"]["os"]
    if account is not None and account not in [a["id"] for a in fabric["azsim"]["accounts"]]:
        raise bad("RunAsAccountNotFound", f"The run-as account '{account}' does not exist on the configuration "
                                          f"server '{fabric['properties']['friendlyName']}'.")
    if account is None and not host_facts(scope.sim, ip)["agent_installed"]:
        raise bad("RunAsAccountNotFound", "runAsAccountId is required to push-install the Mobility service.")
    rg = target_resource(scope, inp.get("targetAzureV2ResourceGroupId"), "Microsoft.Resources/resourceGroups",
                         "TargetResourceGroupNotFound", "target resource group")
    vnet, subnet = target_network(scope, inp.get("targetAzureNetworkId"), inp.get("targetAzureSubnetId") or "")
    for key in ("storageAccountId", "logStorageAccountId"):
        if inp.get(key):
            target_resource(scope, inp[key], "Microsoft.Storage/storageAccounts", "StorageAccountNotFound",
                            "storage account")
    vm_name = (check_vm_name(inp["targetAzureVmName"], os_type) if inp.get("targetAzureVmName")
               else default_vm_name(protectable["properties"]["friendlyName"]))
    check_choice(inp.get("licenseType"), LICENSES, "licenseType")
    check_choice(inp.get("diskType"), DISK_TYPES, "diskType")
    vm, disks, cpu, ram, size, os_name = _source_machine(scope, ip, os_type)
    code = push_install_error(scope.sim, fabric, account, ip, os_type)
    vm_id = protectable["name"]
    props = {
        "friendlyName": protectable["properties"]["friendlyName"], "protectedItemType": "", "protectableItemId": pid,
        "recoveryServicesProviderId": fabric["azsim"]["provider_id"],
        "primaryFabricFriendlyName": fabric["properties"]["friendlyName"], "primaryFabricProvider": "VMware",
        "recoveryFabricFriendlyName": AZURE, "recoveryFabricId": AZURE,
        "primaryProtectionContainerFriendlyName": container["properties"]["friendlyName"],
        "recoveryProtectionContainerFriendlyName": AZURE, "activeLocation": "Primary", "testFailoverState": "None",
        "testFailoverStateDescription": "None", "failoverHealth": "Normal", "policyId": policy["id"],
        "policyFriendlyName": policy["name"],
        "recoveryContainerId": scope.rid("replicationFabrics", AZURE_FABRIC, "replicationProtectionContainers",
                                         AZURE_CONTAINER),
        "eventCorrelationId": guid(iid, "event"),
        "providerSpecificDetails": {  # InMageAzureV2ReplicationDetails (SDK 2.0.0 key spellings)
            "instanceType": "InMageAzureV2", "infrastructureVmId": vm_id, "vCenterInfrastructureId": "",
            "vmId": vm_id, "compressedDataRateInMB": 0.0, "uncompressedDataRateInMB": 0.0, "ipAddress": ip,
            "isAgentUpdateRequired": "NotRequired", "isRebootAfterUpdateRequired": "NotRequired",
            "processServerId": ps[0]["id"], "processServerName": ps[0]["friendlyName"],
            "multiVmGroupId": inp.get("multiVmGroupId") or guid(iid, "group"),
            "multiVmGroupName": inp.get("multiVmGroupName") or guid(iid, "group"),
            "multiVmSyncStatus": policy["properties"]["providerSpecificDetails"]["multiVmSyncStatus"],
            "protectedDisks": [{"diskId": "{%s}" % guid(iid, n), "diskName": n, "healthErrorCode": "",
                                "diskCapacityInBytes": gb * 1024 ** 3, "fileSystemCapacityInBytes": gb * 1024 ** 3,
                                "sourceDataInMegaBytes": 0.0, "psDataInMegaBytes": 0.0, "targetDataInMegaBytes": 0.0,
                                "diskResized": "NotResized"} for n, gb in disks],
            "diskResized": "NotResized", "masterTargetId": master, "sourceVmCpuCount": cpu,
            "sourceVmRamSizeInMB": ram, "osType": os_type, "vhdName": "\\\\.\\PHYSICALDRIVE0",
            "osDiskId": "{%s}" % guid(iid, "Disk0"), "azureVMDiskDetails": [], "recoveryAzureVMName": vm_name,
            "recoveryAzureVMSize": inp.get("targetVmSize") or size or "Standard_D2s_v3",
            "recoveryAzureStorageAccount": inp.get("storageAccountId"),
            "recoveryAzureLogStorageAccountId": inp.get("logStorageAccountId"),
            "vmNics": [{"nicId": (vm and _mac(scope, vm)) or guid(iid, "nic")[:17], "vMNetworkName": "Ethernet",
                        "recoveryVMNetworkId": vnet["id"], "selectionType": "SelectedByUser",
                        "ipConfigs": [{"name": "ipconfig1", "isPrimary": True, "subnetName": "",
                                       "staticIPAddress": ip, "ipAddressType": "Static",
                                       "isSeletedForFailover": True, "recoverySubnetName": subnet,
                                       "recoveryIPAddressType": "Dynamic", "tfoSubnetName": subnet}]}],
            "selectedRecoveryAzureNetworkId": vnet["id"], "selectedTfoAzureNetworkId": None,
            "selectedSourceNicId": None, "discoveryType": "PhysicalMachine",
            "enableRdpOnTargetOption": inp.get("enableRdpOnTargetOption") or "Never", "datastores": [],
            "targetVmId": "", "recoveryAzureResourceGroupId": rg["id"],
            "recoveryAvailabilitySetId": inp.get("targetAvailabilitySetId") or "",
            "targetAvailabilityZone": inp.get("targetAvailabilityZone"),
            "targetProximityPlacementGroupId": inp.get("targetProximityPlacementGroupId"),
            "useManagedDisks": "true", "licenseType": inp.get("licenseType") or "NoLicenseType",
            "sqlServerLicenseType": inp.get("sqlServerLicenseType") or "NotSpecified", "validationErrors": [],
            "replicaId": f"{vm_id}_replica_{container['name']}", "osVersion": os_name, "osName": os_name,
            "protectedManagedDisks": [{"diskId": "{%s}" % guid(iid, n), "replicaDiskType":
                                       inp.get("diskType") or "Standard_LRS", "targetDiskName": f"{vm_name}-{n}"}
                                      for n, _gb in disks],
            "firmwareType": "BIOS", "azureVmGeneration": "1", "isAdditionalStatsAvailable": False,
            "totalDataTransferred": 0, "targetVmTags": inp.get("targetVmTags"),
            "seedManagedDiskTags": inp.get("seedManagedDiskTags"),
            "targetManagedDiskTags": inp.get("targetManagedDiskTags"), "targetNicTags": inp.get("targetNicTags")}}
    item = {"id": iid, "name": p["item"], "type": T_ITEM, "properties": props,
            "azsim": {"vm_id": vm_id, "ops": [], "factor": scope.sim.time_factor,
                      "ir_seconds": IR_SECONDS_PER_128GB * sum(gb for _n, gb in disks) / 128.0}}
    fail = (PUSH_TASK, push_error_details(code, ip)) if code else None
    job = item_job(scope, req, item, "EnableDr", "Enable replication", ENABLE_TASKS, fail=fail)
    jdoc = scope.get(scope.rid("replicationJobs", job))
    item["azsim"]["ops"].append({"scenario": "EnableProtection", "job": job})
    if not code:
        item["azsim"]["agent_installed_at"] = jdoc["azsim"]["tasks"][PUSH_TASK][4]
    scope.put(item, T_ITEM)
    return accepted(scope, job, iid)


def _mac(scope, vm):
    nic = scope.store.get_resource("gov", vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"])
    return nic["properties"]["macAddress"].replace("-", ":") if nic else None


# -- reads ---------------------------------------------------------------------------------------------------------
def need_item(scope):
    container = scope.container()
    return scope.need(container["id"] + "/replicationProtectedItems/" + scope.p["item"], "replicated item")


@route("GET", ITEM, T_ITEM)
def get_item(ctx, req, p):
    scope = Scope(ctx, p)
    return Response(200, render_item(scope, need_item(scope), time.time()))


listing(CONTAINER + "/replicationProtectedItems", T_ITEM, render_item, Scope.container)


@route("GET", VAULT + "/replicationProtectedItems", T_ITEM)
def list_all_items(ctx, req, p):
    """`skipToken` (the SDK's spelling) pages like $skiptoken; `$filter` is accepted and ignored."""
    if req.query.get("skipToken") and not req.query.get("$skiptoken"):
        req.query["$skiptoken"] = req.query.pop("skipToken")
    return list_of(ctx, p, T_ITEM, render_item)


@route("GET", ITEM + "/recoveryPoints", T_POINT)
def list_points(ctx, req, p):
    scope = Scope(ctx, p)
    item = need_item(scope)
    now = time.time()
    return ctx.page([render_point(item, pt) for pt in points_of(scope, item, item_view(scope, item, now), now)])


@route("GET", ITEM + "/recoveryPoints/{point}", T_POINT)
def get_point(ctx, req, p):
    scope = Scope(ctx, p)
    item = need_item(scope)
    now = time.time()
    for pt in points_of(scope, item, item_view(scope, item, now), now):
        body = render_point(item, pt)
        if body["name"].lower() == p["point"].lower():
            return Response(200, body)
    raise not_found("recovery point", p["point"])


# -- update, disable, purge ------------------------------------------------------------------------------------------
def _start_item_op(scope, req, item, op, job_scenario, friendly, tasks, action, opdata=None, item_patch=None,
                   **job_args):
    """Start a job on the item and record {scenario, job, **opdata} in its ops. item_patch(item) may change the
    stored item first (e.g. add a recovery point). job_args: fail, custom, warn (see item_job / start_job)."""
    fresh = scope.get(item["id"])
    if item_patch and fresh is not None:
        item_patch(fresh)
        scope.put(fresh, T_ITEM)
    job = item_job(scope, req, item, job_scenario, friendly, tasks, action=action, **job_args)
    fresh = scope.get(item["id"])
    if fresh is not None:  # (gone already when the action ran at once, at time factor 0)
        fresh["azsim"]["ops"].append(dict(opdata or {}, scenario=op, job=job))
        scope.put(fresh, T_ITEM)
    return accepted(scope, job, item["id"])


def _require_allowed(scope, item, operation, view=None, why=None):
    view = view or item_view(scope, item, time.time())
    if operation not in view["allowed"]:
        allowed = view["allowed"]
        raise bad("OperationNotAllowed", why or (
            f"The operation '{operation}' is not allowed for the replicated item '{item['name']}' in state "
            f"'{view['state'][0]}'" + (f" while the job {view['current']['jobId']} runs" if view["current"]
                                       and not allowed else "")
            + (f"; allowed operations: {', '.join(allowed)}." if allowed else ".")))
    return view


@route("PATCH", ITEM, T_ITEM)
def update_item(ctx, req, p):
    """UpdateReplicationProtectedItemInput; checked now, applied when the job completes."""
    scope = Scope(ctx, p)
    item = need_item(scope)
    view = item_view(scope, item, time.time())
    if view["current"] is not None or view["state"][0] in ("EnablingFailed", "DisablingProtection"):
        raise bad("OperationNotAllowed", f"The replicated item '{item['name']}' cannot be updated in state "
                                         f"'{view['state'][0]}'.")
    other = UPDATE_HOOKS.get(item["properties"]["providerSpecificDetails"]["instanceType"])
    if other:  # InMageRcm: siterecovery_rcm_items
        return other(scope, req, item)
    props = (req.json() or {}).get("properties") or {}
    inp = props.get("providerSpecificDetails") or {}
    psd = item["properties"]["providerSpecificDetails"]
    patch = {}
    if props.get("recoveryAzureVMName") is not None:
        patch["recoveryAzureVMName"] = check_vm_name(props["recoveryAzureVMName"], psd["osType"])
    for key in ("selectedRecoveryAzureNetworkId", "selectedTfoAzureNetworkId"):
        if props.get(key):
            patch[key] = target_network(scope, props[key], what="network")[0]["id"]
    if props.get("recoveryAzureVMSize"):
        patch["recoveryAzureVMSize"] = props["recoveryAzureVMSize"]
    patch["licenseType"] = check_choice(props.get("licenseType"), LICENSES, "licenseType") or psd["licenseType"]
    if props.get("enableRdpOnTargetOption"):
        patch["enableRdpOnTargetOption"] = props["enableRdpOnTargetOption"]
    if props.get("recoveryAvailabilitySetId") is not None:
        patch["recoveryAvailabilitySetId"] = props["recoveryAvailabilitySetId"]
    if inp.get("recoveryAzureV2ResourceGroupId"):
        patch["recoveryAzureResourceGroupId"] = target_resource(
            scope, inp["recoveryAzureV2ResourceGroupId"], "Microsoft.Resources/resourceGroups",
            "TargetResourceGroupNotFound", "target resource group")["id"]
    for key in ("targetAvailabilityZone", "targetProximityPlacementGroupId", "sqlServerLicenseType", "useManagedDisks",
                "targetVmTags", "targetManagedDiskTags", "targetNicTags"):
        if inp.get(key) is not None:
            patch[key] = inp[key]
    patch["vmNics"] = _updated_nics(scope, psd, patch, props.get("vmNics") or [])
    action = {"name": "merge_resource", "rid": item["id"], "patch": {"properties": {"providerSpecificDetails": patch}},
              "meta": {"type": T_ITEM, "sub": p["sub"], "rg": p["rg"]}}
    return _start_item_op(scope, req, item, "UpdateProtection", "UpdateVmProperties",
                          "Update the virtual machine properties", UPDATE_TASKS, action)


def _updated_nics(scope, psd, patch, nic_inputs):
    """Apply network changes and VMNicInputDetails (by nicId) to the item's vmNics."""
    nics = []
    for nic in psd["vmNics"]:
        nic = dict(nic, recoveryVMNetworkId=patch.get("selectedRecoveryAzureNetworkId", nic.get("recoveryVMNetworkId")),
                   tfoVMNetworkId=patch.get("selectedTfoAzureNetworkId", nic.get("tfoVMNetworkId")))
        for upd in nic_inputs:
            if (upd.get("nicId") or "").lower() != nic["nicId"].lower():
                continue
            nic.update({k: v for k, v in upd.items() if k not in ("nicId", "ipConfigs") and v is not None})
            for cfg_in, cfg in zip(upd.get("ipConfigs") or [], nic["ipConfigs"]):
                for key, net_key in (("recoverySubnetName", "recoveryVMNetworkId"),
                                     ("tfoSubnetName", "tfoVMNetworkId")):
                    # A value sent back as the item reports it is no change (clients copy the NIC details they
                    # read, as Az PowerShell does); a new subnet must be in the network.
                    if cfg_in.get(key) and (cfg_in[key] or "").lower() != (cfg.get(key) or "").lower():
                        target_network(scope, nic[net_key], cfg_in[key], what="network")
                cfg.update({k: v for k, v in cfg_in.items() if v is not None})
        nics.append(nic)
    return nics


@route("POST", ITEM + "/remove", T_ITEM)
def disable_protection(ctx, req, p):
    """Disable replication (DisableProtectionInput: NotSpecified | MigrationComplete); the item goes away."""
    scope = Scope(ctx, p)
    item = need_item(scope)
    props = (req.json() or {}).get("properties") or {}
    check_choice(props.get("disableProtectionReason"), ("NotSpecified", "MigrationComplete"),
                 "disableProtectionReason")
    _require_allowed(scope, item, "DisableProtection")
    return _start_item_op(scope, req, item, "DisableProtection", "DisableDr", "Disable replication", DISABLE_TASKS,
                          {"name": "delete_resource", "rid": item["id"]})


@route("DELETE", ITEM, T_ITEM)
def purge_item(ctx, req, p):
    """Purge (force delete): allowed in any state except while another purge/disable runs; 204 if already gone."""
    scope = Scope(ctx, p)
    container = scope.container()
    item = scope.get(container["id"] + "/replicationProtectedItems/" + p["item"])
    if item is None:
        return Response(204)
    if item_view(scope, item, time.time())["state"][0] == "DisablingProtection":
        raise bad("OperationNotAllowed", f"The replicated item '{item['name']}' is already being removed.")
    return _start_item_op(scope, req, item, "PurgeProtection", "PurgeProtection", "Remove the replicated item",
                          PURGE_TASKS, {"name": "delete_resource", "rid": item["id"]})
