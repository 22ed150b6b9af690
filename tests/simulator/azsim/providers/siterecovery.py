"""Azure Site Recovery (Microsoft.RecoveryServices/vaults/replication*): the shared engine and the simple resources.

Classic physical-server path (InMageAzureV2 through a configuration server). The vault lives in the public
cloud; the configuration server is registered through the admin API (siterecovery_cs.py) and the protected
items with their state machine are in siterecovery_items.py. The modernized path (InMageRcm, a replication
appliance) plugs into the same engine: siterecovery_rcm.py (FABRIC_RENDERERS) and siterecovery_rcm_items.py.

Every write is a job-backed LRO: `start_job` stores a replicationJobs document with absolute task start/end
timestamps (real durations × time factor), registers a simulator operation that applies the side effect when
the job is due, and answers 202 with `Azure-AsyncOperation: {vault}/replicationOperationStatus/{jobId}` and
`Location: {resource}/operationresults/{jobId}`. Job state, task states, operation status and resource views are
computed from the stored timestamps on every read, so they survive restarts. Stored documents keep simulator-only
data under the key "azsim"; `public()` strips it.
"""
import datetime
import hashlib
import ipaddress
import re
import time
import uuid

from ..arm import ROUTER, ArmError
from ..httpbase import Response
from ..sim import iso
from .recoveryservices import VAULT, require_vault

# 2025-08-01: azure-mgmt-recoveryservicessiterecovery 2.0.0 default and the spec examples; 2024-02-01 / 2021-06-01 /
# 2018-07-10: the recordings.
ASR_VERSIONS = {"2025-08-01", "2024-02-01", "2021-06-01", "2018-07-10"}
NS = "Microsoft.RecoveryServices/vaults/"
T_FABRIC = NS + "replicationFabrics"
T_PROVIDER = T_FABRIC + "/replicationRecoveryServicesProviders"
T_CONTAINER = T_FABRIC + "/replicationProtectionContainers"
T_PROTECTABLE = T_CONTAINER + "/replicationProtectableItems"
T_MAPPING = T_CONTAINER + "/replicationProtectionContainerMappings"
T_ITEM = T_CONTAINER + "/replicationProtectedItems"
T_POINT = T_ITEM + "/recoveryPoints"
T_POLICY = NS + "replicationPolicies"
T_JOB = NS + "replicationJobs"

FABRIC = VAULT + "/replicationFabrics/{fabric}"
PROVIDER = FABRIC + "/replicationRecoveryServicesProviders/{provider}"
CONTAINER = FABRIC + "/replicationProtectionContainers/{container}"
PROTECTABLE = CONTAINER + "/replicationProtectableItems/{pitem}"
MAPPING = CONTAINER + "/replicationProtectionContainerMappings/{mapping}"
ITEM = CONTAINER + "/replicationProtectedItems/{item}"
POLICY = VAULT + "/replicationPolicies/{policy}"
JOB = VAULT + "/replicationJobs/{job}"

AZURE = "Microsoft Azure"  # recovery fabric / container literal in every example and recording
# Azure recovery-side ids seen in every example and recording (fixed GUIDs of the "Microsoft Azure" fabric)
AZURE_FABRIC = "d49858f157601230a6ac5862fbbc6e63bf38d23ecd96cf953767945d457fe9d5"
AZURE_CONTAINER = "d38048d4-b460-4791-8ece-108395ee8478"
AZURE_VMM = "21a9403c-6ec1-44f2-b744-b4e50b792387"
NO_TIME = "0001-01-01T00:00:00"
HEARTBEAT_SECONDS = 60


def route(methods, template, rtype):
    return ROUTER.route(methods, template, rtype=rtype, api_versions=ASR_VERSIONS)


def guid(*parts):
    return str(uuid.UUID(hashlib.sha1("/".join(parts).lower().encode()).hexdigest()[:32]))


def asr_vault_id(vault):
    """ASR answers with '/Subscriptions/' (capital S) in every example and recording."""
    return "/Subscriptions/" + vault["id"].split("/", 2)[2]


def public(body):
    return {k: v for k, v in body.items() if k != "azsim"}


def bad(code, message, status=400):
    return ArmError(status, code, message)


def not_found(kind, name):
    return ArmError(404, "NotFound", f"The {kind} '{name}' was not found in the vault.")


def heartbeat(since, now):
    """Last heartbeat: every HEARTBEAT_SECONDS (real) since `since`, computed on read."""
    return iso(since + ((now - since) // HEARTBEAT_SECONDS) * HEARTBEAT_SECONDS)


def validate_ip(value, what="ipAddress"):
    try:
        ipaddress.IPv4Address(value or "")
    except ValueError:
        raise bad("InvalidParameter", f"The {what} '{value}' is not a valid IPv4 address.")
    return value


class Scope:
    """The vault of a request plus store helpers for its ASR children (store, cloud, sub, rg, vault, prefix)."""

    def __init__(self, ctx, p, sim=None, cloud=None, vault=None):
        self.ctx, self.p = ctx, p
        self.sim, self.cloud = (ctx.sim, ctx.cloud) if ctx else (sim, cloud)
        self.store, self.sub, self.rg = self.sim.store, p["sub"], p["rg"]
        self.vault = vault or require_vault(ctx, p)
        self.prefix = asr_vault_id(self.vault)

    def rid(self, *parts):
        return self.prefix + "".join("/" + s for s in parts)

    def fabric_id(self):
        return self.rid("replicationFabrics", self.p["fabric"])

    def container_id(self):
        return self.fabric_id() + "/replicationProtectionContainers/" + self.p["container"]

    def get(self, rid):
        return self.store.get_resource(self.cloud, rid)

    def need(self, rid, kind):
        body = self.get(rid)
        if body is None:
            raise not_found(kind, rid.rsplit("/", 1)[-1])
        return body

    def put(self, body, rtype):
        self.store.put_resource(self.cloud, body["id"], rtype, self.sub, self.rg, body)

    def children(self, rtype, parent=None):
        parent = (parent or self.prefix).lower() + "/"
        return [b for b in self.store.list_resources(self.cloud, rtype, self.sub, self.rg)
                if b["id"].lower().startswith(parent)]

    def fabric(self):
        return self.need(self.fabric_id(), "fabric")

    def container(self):
        self.fabric()
        return self.need(self.container_id(), "protection container")


# -- jobs ----------------------------------------------------------------------------------------------------
def task(task_id, name, friendly, seconds):
    return (task_id, name, friendly, seconds)


def start_job(scope, req, scenario, friendly, tasks, target, action=None, fail=None, custom=None, warn=None):
    """Create a job-backed LRO. tasks: [(taskId, name, friendlyName, real seconds)].

    fail = (task index, JobErrorDetails-like dict): the job ends Failed at the end of that task. An `lro_fail` fault
    on the request fails the last task instead (and its action is not applied). warn = [(task index, JobErrorDetails)]:
    those tasks end Failed with a Warning-level error but the job goes on and ends Succeeded, stateDescription
    CompletedWithInformation (e.g. a source shutdown that failed during a failover). Returns the job (= operation) id.
    """
    n = len(tasks) if fail is None else fail[0] + 1
    total = sum(t[3] for t in tasks[:n])
    sim = scope.sim
    if fail is not None:  # a job failing on its own: its side effect does not happen either
        action = (action or {}).get("on_failure")
    op_id = sim.start_operation(scope.cloud, "asr-job", total, action or {}, req.method, req.path)
    op = sim.store.get_operation(op_id)
    if op["failure"] and fail is None:
        fault = op["failure"]
        fail = (len(tasks) - 1, job_error(fault["code"], fault["message"]))
    start, span = op["created"], op["due"] - op["created"]
    bounds, acc = [], 0.0
    for t in tasks:
        begin = start + (span * acc / total if total else 0)
        acc += t[3]
        bounds.append([t[0], t[1], t[2], begin, start + (span * acc / total if total else 0)])
    jid = scope.rid("replicationJobs", op_id)
    doc = {"id": jid, "name": op_id, "type": T_JOB,
           "azsim": {"scenario": scenario, "friendly": friendly, "tasks": bounds, "start": start, "end": op["due"],
                     "fail": list(fail) if fail else None, "target": target, "custom": custom,
                     "warn": [list(w) for w in warn or []],
                     "activity": f"{uuid.uuid4()} ActivityId: {uuid.uuid4()}"}}
    scope.put(doc, T_JOB)
    return op_id


def job_error(code, message, provider=None, task_id=None, causes="", action=""):
    """JobErrorDetails: the service error plus, for push-install failures, the provider error (shape:
    MicrosoftDocs/azure-docs issue 40834)."""
    err = {"serviceErrorDetails": {"code": str(code), "message": message, "possibleCauses": causes,
                                   "recommendedAction": action, "activityId": str(uuid.uuid4())},
           "providerErrorDetails": provider, "errorLevel": "Error", "creationTime": None, "taskId": task_id}
    return err


def job_state(doc, now=None):
    """('InProgress'|'Succeeded'|'Failed', end timestamp) of a stored job document."""
    az = doc["azsim"]
    now = time.time() if now is None else now
    if now < az["end"]:
        return "InProgress", az["end"]
    return ("Failed" if az["fail"] else "Succeeded"), az["end"]


def render_job(doc, now=None):
    now = time.time() if now is None else now
    az = doc["azsim"]
    state, end = job_state(doc, now)
    fail_at = az["fail"][0] if az["fail"] else None
    warnings = {w[0]: w[1] for w in az.get("warn") or []}
    tasks, errors = [], []
    for i, (tid, name, friendly, t0, t1) in enumerate(az["tasks"]):
        if fail_at is not None and i > fail_at or now < t0:
            tstate, t_start, t_end = "NotStarted", NO_TIME, NO_TIME
        elif now < t1:
            tstate, t_start, t_end = "InProgress", iso(t0), NO_TIME
        else:
            tstate, t_start, t_end = ("Failed" if i == fail_at or i in warnings else "Succeeded"), iso(t0), iso(t1)
        terr = []
        if tstate == "Failed":
            err = dict(az["fail"][1] if i == fail_at else warnings[i], creationTime=iso(t1), taskId=tid)
            terr = [err]
            errors.append(err)
        tasks.append({"taskId": tid, "name": name, "startTime": t_start, "endTime": t_end, "allowedActions": [],
                      "friendlyName": friendly, "state": tstate,
                      "stateDescription": "Completed" if tstate == "Succeeded" else tstate,
                      "taskType": "TaskDetails", "customDetails": {"instanceType": "TaskDetails"},
                      "groupTaskCustomDetails": None, "errors": terr})
    target = az["target"]
    description = state
    if state == "Succeeded":
        description = "CompletedWithInformation" if errors else "Completed"
    props = {"activityId": az["activity"], "scenarioName": az["scenario"], "friendlyName": az["friendly"],
             "state": state, "stateDescription": description, "tasks": tasks,
             "errors": errors, "startTime": iso(az["start"]),
             "allowedActions": ["Cancel"] if state == "InProgress" else [],
             "targetObjectId": target["id"], "targetObjectName": target["name"],
             "targetInstanceType": target["type"]}
    if state != "InProgress":
        props["endTime"] = iso(end)
    if az.get("custom"):
        props["customDetails"] = az["custom"]
    return {"id": doc["id"], "name": doc["name"], "type": T_JOB, "properties": props}


def affected_objects(fabric, container, vm_id="", vm_name=""):
    """AsrJobDetails.affectedObjectDetails as in the 2021 recordings (camelCase keys)."""
    fid = fabric["properties"]["internalIdentifier"]
    return {"instanceType": "AsrJobDetails", "affectedObjectDetails": {
        "primaryVmId": vm_id, "primaryVmName": vm_name, "recoveryVmId": "", "recoveryVmName": vm_name,
        "protectionProfileId": guid(container["id"], "profile"), "primaryCloudId": container["name"],
        "primaryCloudName": container["properties"]["friendlyName"], "recoveryCloudId": AZURE_CONTAINER,
        "recoveryCloudName": AZURE, "primaryVmmId": fid, "primaryVmmName": fabric["properties"]["friendlyName"],
        "recoveryVmmId": AZURE_VMM, "recoveryVmmName": AZURE,
        "primaryFabricProviderId": fabric["properties"]["customDetails"]["instanceType"],  # VMware | InMageRcm
        "recoveryFabricProviderId": "Azure"}}


# -- server settings (stored in the state's meta, so they survive restarts; see README "Long-running operations") --
LRO_STYLES = ("both", "location", "mixed")
DEFAULT_LRO_STYLE = "mixed"
DEFAULT_TRANSIENT_HEALTH_RATIO = 0.33


def lro_style(sim):
    return sim.store.get_meta("asr_lro_style") or DEFAULT_LRO_STYLE


def transient_health_ratio(sim):
    value = sim.store.get_meta("asr_transient_health_ratio")
    return DEFAULT_TRANSIENT_HEALTH_RATIO if value is None else float(value)


def configure(sim, lro=None, transient_ratio=None):
    """Change the Site Recovery server settings (None keeps a value); returns them all."""
    if lro is not None:
        if lro not in LRO_STYLES:
            raise ValueError(f"lro_style must be one of {', '.join(LRO_STYLES)}, not '{lro}'")
        sim.store.set_meta("asr_lro_style", lro)
    if transient_ratio is not None:
        ratio = float(transient_ratio)
        if not 0 <= ratio <= 1:
            raise ValueError(f"transient_health_ratio must be between 0 and 1, not {ratio}")
        sim.store.set_meta("asr_transient_health_ratio", ratio)
    return {"lro_style": lro_style(sim), "transient_health_ratio": transient_health_ratio(sim)}


def name_hash(*parts):
    """A stable number in [0, 1) from names (case-insensitive): per-item choices that repeat across runs."""
    return int(hashlib.sha1("/".join(parts).lower().encode()).hexdigest()[:8], 16) / 16 ** 8


def location_only(scope, job_id, resource_id):
    """Whether this protected-item action answers the way the 2025-08-01 spec declares it (a Location-header LRO,
    no Azure-AsyncOperation): always (`location`), never (`both`), or for about half of the (item, action) pairs
    (`mixed`, by a hash of the item name and the job's scenario)."""
    if "/replicationprotecteditems/" not in resource_id.lower():
        return False
    style = lro_style(scope.sim)
    if style != "mixed":
        return style == "location"
    job = scope.get(scope.rid("replicationJobs", job_id)) or {}
    return name_hash(resource_id.rsplit("/", 1)[-1], (job.get("azsim") or {}).get("scenario", "")) < 0.5


def accepted(scope, job_id, resource_id):
    """202, empty body, Azure-AsyncOperation (replicationOperationStatus) + Location (operationresults); protected-item
    actions may answer with Location only (location_only)."""
    return scope.ctx.accepted(job_id, scope.prefix + "/replicationOperationStatus", resource_id + "/operationresults",
                              integer_retry_after=True,
                              async_header=not location_only(scope, job_id, resource_id))


def find_job(scope, name):
    doc = scope.get(scope.rid("replicationJobs", name))
    if doc is None:
        raise not_found("job", name)
    return doc


@route("GET", VAULT + "/replicationOperationStatus/{job}", T_JOB)
def operation_status(ctx, req, p):
    scope = Scope(ctx, p)
    doc = find_job(scope, p["job"])
    job = render_job(doc)["properties"]
    body = {"id": scope.rid("replicationOperationStatus", p["job"]), "name": p["job"], "status": job["state"],
            "startTime": job["startTime"]}
    headers = {}
    if job["state"] == "InProgress":
        headers["Retry-After"] = ctx.sim.retry_after(30)
    else:
        body["endTime"] = job["endTime"]
    if job["state"] == "Failed":
        body["error"] = job_failure(job)
    return Response(200, body, headers)


def job_failure(job):
    """{code, message} of a failed job: the provider error when there is one (e.g. 95107), else the service error.
    The same for the operation status and the operationresults 400, so both LRO styles raise the same code."""
    svc = job["errors"][-1]["serviceErrorDetails"]
    prov = job["errors"][-1].get("providerErrorDetails") or {}
    return {"code": str(prov.get("errorCode") or svc["code"]), "message": prov.get("errorMessage") or svc["message"]}


def operation_result(ctx, req, p):
    """202 while the job runs; then the resource (GET of the path before /operationresults) or 204 if it is gone."""
    scope = Scope(ctx, p)
    doc = find_job(scope, p["job"])
    state, _unused = job_state(doc)
    if state == "InProgress":
        return Response(202, b"", {"Location": ctx.url(req.path), "Retry-After": ctx.sim.retry_after(30)})
    if state == "Failed":
        return Response(400, {"error": job_failure(render_job(doc)["properties"])})
    resource_path = req.path[:req.path.lower().rfind("/operationresults/")]
    found, params = ROUTER.resolve("GET", resource_path)
    try:
        return found.handler(ctx, req, params) if found else Response(204)
    except ArmError as err:
        if err.status == 404:
            return Response(204)
        raise


for _tpl, _t in ((FABRIC, T_FABRIC), (PROVIDER, T_PROVIDER), (CONTAINER, T_CONTAINER), (MAPPING, T_MAPPING),
                 (ITEM, T_ITEM), (POLICY, T_POLICY)):
    ROUTER.route("GET", _tpl + "/operationresults/{job}", rtype=_t, api_versions=ASR_VERSIONS)(operation_result)


# -- replicationJobs -----------------------------------------------------------------------------------------
# $filter is JobQueryParameter's clauses, `Name eq 'value'` joined by `and` (how the .NET SDK and PowerShell's
# Get-AzRecoveryServicesAsrJob -StartTime/-EndTime send it). StartTime and EndTime bound the job's start time; the
# other names the simulator also answers for its own tests. Anything else (another operator, `or`, an unknown
# name, a time that is not a date-time) is refused with 400 InvalidFilter, not ignored.
FILTER_RE = re.compile(r"(\w+)\s+(eq|ge|le|gt|lt)\s+'([^']*)'", re.I)  # siterecovery_rcm's protectable items
FILTER_CLAUSE = re.compile(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$", re.I)
FILTER_FIELDS = {"jobstatus": "state", "state": "state", "jobname": "scenarioName", "scenarioname": "scenarioName",
                 "affectedobjecttypes": "targetInstanceType", "targetinstancetype": "targetInstanceType",
                 "targetobjectid": "targetObjectId", "affectedobjectid": "targetObjectId",
                 "targetobjectname": "targetObjectName", "starttime": "startTime", "endtime": "startTime",
                 "fabricid": None}


def job_filter(flt):
    """[(field, value)] of a $filter, or ArmError 400 for what the service does not accept."""
    clauses = []
    for part in re.split(r"\s+and\s+", (flt or "").strip(), flags=re.I) if (flt or "").strip() else []:
        match = FILTER_CLAUSE.match(part)
        if not match or match.group(1).lower() not in FILTER_FIELDS:
            raise ArmError(400, "InvalidFilter", f"The filter '{flt}' is not valid: '{part.strip()}' is not a "
                           "supported clause (Name eq 'value', joined by 'and'; names: StartTime, EndTime, FabricId, "
                           "AffectedObjectTypes, JobStatus, JobName).")
        field, value = match.group(1).lower(), match.group(2)
        if field in ("starttime", "endtime"):
            try:
                value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ArmError(400, "InvalidFilter", f"The filter '{flt}' is not valid: {match.group(1)} "
                               f"'{match.group(2)}' is not a date-time.") from None
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.timezone.utc)
        clauses.append((field, value))
    return clauses


def job_matches(job, clauses):
    """Whether a rendered job passes every clause of :func:`job_filter`."""
    for field, value in clauses:
        key = FILTER_FIELDS[field]
        if key is None:
            continue
        have = str(job["properties"].get(key) or "")
        if key == "startTime":
            started = datetime.datetime.fromisoformat(have.replace("Z", "+00:00"))
            if started < value if field == "starttime" else started > value:
                return False
        elif key == "targetObjectId":
            if value.lower() not in (have.lower(), have.lower().rsplit("/", 1)[-1]):
                return False
        elif have.lower() not in [v.strip().lower() for v in value.split(",")]:
            return False
    return True


@route("GET", VAULT + "/replicationJobs", T_JOB)
def list_jobs(ctx, req, p):
    scope = Scope(ctx, p)
    clauses = job_filter(req.query.get("$filter"))
    now = time.time()
    jobs = [render_job(d, now) for d in scope.children(T_JOB)]
    jobs.sort(key=lambda j: j["properties"]["startTime"], reverse=True)
    return ctx.page([j for j in jobs if job_matches(j, clauses)])


@route("GET", JOB, T_JOB)
def get_job(ctx, req, p):
    return Response(200, render_job(find_job(Scope(ctx, p), p["job"])))


# -- fabrics, recovery services providers ----------------------------------------------------------------------
FABRIC_RENDERERS = {}  # customDetails instanceType -> render(scope, doc, now); InMageRcm: siterecovery_rcm


def render_fabric(scope, doc, now):
    """VMware fabric (configuration server): heartbeats and counters computed on read."""
    other = FABRIC_RENDERERS.get(doc["properties"]["customDetails"]["instanceType"])
    if other:
        return other(scope, doc, now)
    body = public(doc)
    az = doc["azsim"]
    cd = dict(body["properties"]["customDetails"])
    items = scope.children(T_ITEM, doc["id"])
    beat = heartbeat(az["registered"], now)
    pairs = str(sum(len(i["properties"]["providerSpecificDetails"].get("protectedDisks") or []) or 1 for i in items))
    cd.update(lastHeartbeat=beat, replicationPairCount=pairs, agentCount=str(len(items)),
              protectedServers=str(len(items)))
    cd["processServers"] = [dict(ps, lastHeartbeat=beat, machineCount=str(len(items)), replicationPairCount=pairs)
                            for ps in cd["processServers"]]
    cd["masterTargetServers"] = [dict(mt, lastHeartbeat=beat) for mt in cd["masterTargetServers"]]
    cd["runAsAccounts"] = [{"accountId": a["id"], "accountName": a["name"]} for a in az["accounts"]]
    body["properties"] = dict(body["properties"], customDetails=cd)
    return body


def render_provider(scope, doc, now):
    body = public(doc)
    fabric_id = doc["id"].split("/replicationRecoveryServicesProviders/")[0]
    count = len(scope.children(T_ITEM, fabric_id))
    body["properties"] = dict(body["properties"], lastHeartBeat=heartbeat(doc["azsim"]["registered"], now),
                              protectedItemCount=count)
    return body


def list_of(ctx, p, rtype, render=None, parent=None):
    """One page of the vault's (or the parent's) children of a type, rendered on read."""
    scope = Scope(ctx, p)
    now = time.time()
    docs = scope.children(rtype, parent(scope)["id"] if parent else None)
    return ctx.page([render(scope, d, now) if render else d for d in docs])


def listing(template, rtype, render=None, parent=None):
    """Register GET `template` as a paged list (`$filter` and other query options are accepted and ignored)."""
    route("GET", template, rtype)(lambda ctx, req, p: list_of(ctx, p, rtype, render, parent))


@route("GET", FABRIC, T_FABRIC)
def get_fabric(ctx, req, p):
    scope = Scope(ctx, p)
    return Response(200, render_fabric(scope, scope.fabric(), time.time()))


@route("GET", PROVIDER, T_PROVIDER)
def get_provider(ctx, req, p):
    scope = Scope(ctx, p)
    scope.fabric()
    doc = scope.need(scope.fabric_id() + "/replicationRecoveryServicesProviders/" + p["provider"],
                     "recovery services provider")
    return Response(200, render_provider(scope, doc, time.time()))


def fabric_job(scope, req, scenario, friendly, steps, resource, action=None):
    fabric = scope.fabric()
    target = {"id": fabric["properties"]["internalIdentifier"], "name": fabric["properties"]["friendlyName"],
              "type": "Server"}
    job = start_job(scope, req, scenario, friendly, steps, target, action=action)
    return accepted(scope, job, resource["id"])


@route("POST", PROVIDER + "/refreshProvider", T_PROVIDER)
def refresh_provider(ctx, req, p):
    """LRO; on completion the provider's lastRefreshed marker moves (the CS re-reports its inventory)."""
    scope = Scope(ctx, p)
    get_provider(ctx, req, p)
    rid = scope.fabric_id() + "/replicationRecoveryServicesProviders/" + p["provider"]
    return fabric_job(scope, req, "RefreshContainer", "Refresh server", [
        task("RefreshProviderTask", "RefreshProvider", "Refreshing the provider", 20),
        task("UpdateDraStateTask", "UpdateDraState", "Updating the provider states", 1)],
        {"id": rid}, {"name": "merge_resource", "rid": rid, "patch": {"azsim": {"refreshed": time.time()}},
                      "meta": {"type": T_PROVIDER, "sub": p["sub"], "rg": p["rg"]}})


@route("POST", FABRIC + "/checkConsistency", T_FABRIC)
def check_consistency(ctx, req, p):
    scope = Scope(ctx, p)
    return fabric_job(scope, req, "CheckConsistency", "Check consistency",
                      [task("CheckConsistencyTask", "CheckConsistency", "Checking consistency", 15)], scope.fabric())


def remove_fabric(ctx, req, p):
    """POST .../remove (replication_fabrics.begin_delete) and DELETE (begin_purge): unregisters the configuration server
    or replication appliance, and with it its providers, protection containers and mappings. Refused while machines
    still replicate through it (the portal asks to disable replication first); 204 when it is already gone."""
    scope = Scope(ctx, p)
    fabric = scope.get(scope.fabric_id())
    if fabric is None:
        return Response(204)
    items = sorted(i["properties"]["friendlyName"] for i in scope.children(T_ITEM, fabric["id"]))
    if items:
        raise bad("ServerHasProtectedItems", f"The server '{fabric['properties']['friendlyName']}' can't be removed: "
                                             f"it still has protected items ({', '.join(items)}). Disable "
                                             "replication for them and retry.")
    return fabric_job(scope, req, "RemoveFabric", "Remove server", [
        task("RemoveFabricTask", "RemoveFabric", "Removing the server registration", 30)], fabric,
        {"name": "delete_resource", "rid": fabric["id"]})


ROUTER.route("POST", FABRIC + "/remove", rtype=T_FABRIC, api_versions=ASR_VERSIONS)(remove_fabric)
ROUTER.route("DELETE", FABRIC, rtype=T_FABRIC, api_versions=ASR_VERSIONS)(remove_fabric)


# -- protection containers, discovery, protectable items -------------------------------------------------------
def render_container(scope, doc, now):
    body = public(doc)
    items = scope.children(T_ITEM, doc["id"])
    paired = any(m["properties"]["targetProtectionContainerId"] == AZURE for m in scope.children(T_MAPPING, doc["id"]))
    body["properties"] = dict(body["properties"], protectedItemCount=len(items),
                              pairingStatus="Paired" if paired else "NotPaired", role="Primary" if paired else "")
    return body


@route("GET", CONTAINER, T_CONTAINER)
def get_container(ctx, req, p):
    scope = Scope(ctx, p)
    return Response(200, render_container(scope, scope.container(), time.time()))


@route("POST", CONTAINER + "/discoverProtectableItem", T_CONTAINER)
def discover_protectable_item(ctx, req, p):
    """Validates at the initial request; the protectable item appears when the job completes (idempotent per IP)."""
    scope = Scope(ctx, p)
    container = scope.container()
    fabric = scope.fabric()
    if fabric["properties"]["customDetails"]["instanceType"] != "VMware":
        raise bad("InvalidParameter", "Physical machines are added with discoverProtectableItem only to configuration "
                                      "server (VMware) fabrics. For a replication appliance (InMageRcm) fabric, add "
                                      "the server in the appliance's configuration manager.")
    props = ((req.json() or {}).get("properties") or {})
    name = (props.get("friendlyName") or "").strip()
    if not name:
        raise bad("InvalidParameter", "The friendlyName of the machine to discover is required.")
    ip = validate_ip(props.get("ipAddress"))
    os_type = props.get("osType") or ""
    if os_type.lower() not in ("windows", "linux"):
        raise bad("InvalidParameter", f"The osType '{os_type}' is not valid. Supported values are Windows and Linux.")
    os_type = os_type.capitalize()
    pid = container["id"] + "/replicationProtectableItems/" + protectable_name(container["id"], ip)
    existing = scope.get(pid)
    doc = existing or {
        "id": pid, "name": pid.rsplit("/", 1)[-1], "type": T_PROTECTABLE,
        "properties": {"friendlyName": name, "protectionStatus": "Unprotected", "replicationProtectedItemId": None,
                       "recoveryServicesProviderId": fabric["azsim"]["provider_id"], "protectionReadinessErrors": [],
                       "supportedReplicationProviders": ["InMage", "InMageAzureV2"],
                       "customDetails": {"instanceType": "VMwareVirtualMachine", "agentGeneratedId": None,
                                         "agentInstalled": "NotInstalled", "osType": os_type.upper(),
                                         "agentVersion": None, "ipAddress": ip, "poweredOn": "On",
                                         "vCenterInfrastructureId": "", "discoveryType": "PhysicalMachine",
                                         "diskDetails": [], "validationErrors": []}},
        "azsim": {"os": os_type, "ip": ip}}
    action = put_action(scope, doc, T_PROTECTABLE)
    target = {"id": doc["name"], "name": name, "type": "ProtectionEntity"}
    job = start_job(scope, req, "DiscoverProtectableItem", "Add a physical machine", [
        task("DiscoverProtectableItemTask", "DiscoverProtectableItem", "Adding the physical machine", 30),
        task("UpdateDraStateTask", "UpdateDraState", "Updating the provider states", 1)],
        target, action=None if existing else action, custom=affected_objects(fabric, container, doc["name"], name))
    return accepted(scope, job, container["id"])


def protectable_name(container_id, ip):
    return guid(container_id, "machine", ip)


def render_protectable(scope, doc, now):
    body = public(doc)
    props = dict(body["properties"])
    item = protecting_item(scope, doc)
    if item:
        props.update(protectionStatus="Protected", replicationProtectedItemId=item["id"])
        if item["azsim"].get("agent_installed_at", float("inf")) <= now:
            props["customDetails"] = dict(props["customDetails"], agentInstalled="Installed",
                                          agentGeneratedId=item["azsim"]["vm_id"], agentVersion="9.62.0.0")
    body["properties"] = props
    return body


def protecting_item(scope, protectable):
    container_id = protectable["id"].split("/replicationProtectableItems/")[0]
    for item in scope.children(T_ITEM, container_id):
        pid = item["properties"].get("protectableItemId") or item["azsim"].get("protectable_id") or ""
        if pid.lower() == protectable["id"].lower():  # InMageRcm items: protectableItemId null, id kept in azsim
            return item
    return None


def visible(doc, now):
    """False until a server added to a replication appliance has been discovered (azsim.visible_at)."""
    return (doc.get("azsim") or {}).get("visible_at", 0) <= now


@route("GET", CONTAINER + "/replicationProtectableItems", T_PROTECTABLE)
def list_protectable(ctx, req, p):
    """$take limits the answer like $top; $filter is accepted and ignored."""
    if (req.query.get("$take") or "").isdigit():
        req.query["$top"] = req.query["$take"]
    scope = Scope(ctx, p)
    now = time.time()
    docs = scope.children(T_PROTECTABLE, scope.container()["id"])
    return ctx.page([render_protectable(scope, d, now) for d in docs if visible(d, now)])


@route("GET", PROTECTABLE, T_PROTECTABLE)
def get_protectable(ctx, req, p):
    scope = Scope(ctx, p)
    container = scope.container()
    doc = scope.need(container["id"] + "/replicationProtectableItems/" + p["pitem"], "protectable item")
    if not visible(doc, time.time()):
        raise not_found("protectable item", p["pitem"])
    return Response(200, render_protectable(scope, doc, time.time()))


# -- replication policies --------------------------------------------------------------------------------------
# Retention up to 15 days (Microsoft Docs vmware-azure-set-up-replication-tutorial-modernized.md)
MAX_RETENTION = 15 * 24 * 60
SYNC = {"enable": "Enabled", "enabled": "Enabled", "disable": "Disabled", "disabled": "Disabled"}


def _minutes(inp, key, low=0, high=None, required=False, default=None):
    value = inp.get(key, default)
    if value is None:
        if required:
            raise bad("InvalidParameter", f"The policy setting '{key}' is required.")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad("InvalidParameter", f"The policy setting '{key}' must be an integer number of minutes.")
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad("InvalidPolicyInput", f"The value {value} of '{key}' is out of range: it must be {limit} minutes.")
    return value


def _app_frequency(inp, key, retention):
    value = _minutes(inp, key, 0, 720, default=0)
    if value and value < 60:
        raise bad("InvalidPolicyInput", f"The app-consistent snapshot frequency ({value} minutes) must be 0 (off) or "
                                        "between 60 and 720 minutes.")
    if retention is not None and value and value > retention:
        raise bad("InvalidPolicyInput", f"The app-consistent snapshot frequency ({value} minutes) cannot exceed the "
                                        f"recovery point retention ({retention} minutes).")
    return value


def policy_details(inp):
    """Validate a PolicyProviderSpecificInput (limits of Microsoft Docs vmware-azure-set-up-replication.md and
    vmware-azure-set-up-replication-tutorial-modernized.md) and return the matching *PolicyDetails."""
    kind = (inp or {}).get("instanceType")
    if kind in ("InMageAzureV2", "InMage"):
        sync = SYNC.get(str(inp.get("multiVmSyncStatus") or "").lower())
        if sync is None:
            raise bad("InvalidParameter", "multiVmSyncStatus is required: 'Enable' or 'Disable'.")
        retention = _minutes(inp, "recoveryPointHistory", 0, MAX_RETENTION, default=1440)
        out = {"instanceType": kind, "recoveryPointThresholdInMinutes":
               _minutes(inp, "recoveryPointThresholdInMinutes", 1, 1440, default=60),
               "recoveryPointHistory": retention,
               "appConsistentFrequencyInMinutes": _app_frequency(inp, "appConsistentFrequencyInMinutes", retention),
               "multiVmSyncStatus": sync}
        if kind == "InMageAzureV2":
            out["crashConsistentFrequencyInMinutes"] = _minutes(inp, "crashConsistentFrequencyInMinutes", 5, 720,
                                                                default=5)
        return out
    if kind == "InMageRcm":
        retention = _minutes(inp, "recoveryPointHistoryInMinutes", 0, MAX_RETENTION, default=4320)
        multi = str(inp.get("enableMultiVmSync") or "True")
        if multi.lower() not in ("true", "false"):
            raise bad("InvalidParameter", "enableMultiVmSync must be 'True' or 'False'.")
        return {"instanceType": kind, "recoveryPointHistoryInMinutes": retention,
                "crashConsistentFrequencyInMinutes": _minutes(inp, "crashConsistentFrequencyInMinutes", 5, 720,
                                                              default=5),
                "appConsistentFrequencyInMinutes": _app_frequency(inp, "appConsistentFrequencyInMinutes", retention),
                "enableMultiVmSync": multi.capitalize()}
    if kind == "InMageRcmFailback":  # reprotect (failback) policy of the modernized path; crash >= 5 as for InMageRcm
        return {"instanceType": kind,
                "crashConsistentFrequencyInMinutes": _minutes(inp, "crashConsistentFrequencyInMinutes", 5, 720,
                                                              default=5),
                "appConsistentFrequencyInMinutes": _app_frequency(inp, "appConsistentFrequencyInMinutes", None)}
    raise bad("InvalidParameter", f"The replication provider '{kind}' is not supported for policies in this vault "
                                  "(supported: InMageAzureV2, InMage, InMageRcm, InMageRcmFailback).")


def _policy_job(scope, req, scenario, friendly, name, action):
    pid = scope.rid("replicationPolicies", name)
    target = {"id": guid(pid, "profile"), "name": name, "type": "ProtectionProfile"}
    job = start_job(scope, req, scenario, friendly,
                    [task(f"{scenario}Task", scenario, friendly, 45)], target, action=action)
    return accepted(scope, job, pid)


def _save_policy(scope, req, scenario, friendly, details):
    name = scope.p["policy"]
    body = {"id": scope.rid("replicationPolicies", name), "name": name, "type": T_POLICY,
            "properties": {"friendlyName": name, "providerSpecificDetails": details}}
    return _policy_job(scope, req, scenario, friendly, name, put_action(scope, body, T_POLICY))


@route("PUT", POLICY, T_POLICY)
def put_policy(ctx, req, p):
    details = policy_details(((req.json() or {}).get("properties") or {}).get("providerSpecificInput"))
    return _save_policy(Scope(ctx, p), req, "AddProtectionProfile", "Create replication policy", details)


@route("PATCH", POLICY, T_POLICY)
def patch_policy(ctx, req, p):
    scope = Scope(ctx, p)
    old = scope.need(scope.rid("replicationPolicies", p["policy"]), "replication policy")
    inp = ((req.json() or {}).get("properties") or {}).get("replicationProviderSettings") or {}
    current = old["properties"]["providerSpecificDetails"]
    if inp.get("instanceType") != current["instanceType"]:
        raise bad("InvalidParameter", f"The policy is of type '{current['instanceType']}'; the update must use the "
                                      "same replication provider.")
    merged = dict(current, **{k: v for k, v in inp.items() if v is not None})
    return _save_policy(scope, req, "UpdateProtectionProfile", "Update replication policy", policy_details(merged))


@route("DELETE", POLICY, T_POLICY)
def delete_policy(ctx, req, p):
    scope = Scope(ctx, p)
    pid = scope.rid("replicationPolicies", p["policy"])
    if scope.get(pid) is None:
        return Response(204)
    users = [m["name"] for m in scope.children(T_MAPPING) if m["properties"]["policyId"].lower() == pid.lower()]
    if users:
        raise bad("PolicyInUse", f"The replication policy '{p['policy']}' is associated with the protection "
                                 f"container mapping(s) {', '.join(users)}. Dissociate it from every protection "
                                 "container and retry.")
    return _policy_job(scope, req, "RemoveProtectionProfile", "Delete replication policy", p["policy"],
                       {"name": "delete_resource", "rid": pid})


@route("GET", POLICY, T_POLICY)
def get_policy(ctx, req, p):
    scope = Scope(ctx, p)
    return Response(200, scope.need(scope.rid("replicationPolicies", p["policy"]), "replication policy"))


# -- protection container mappings ---------------------------------------------------------------------------
def find_policy(scope, policy_id):
    name = (policy_id or "").rstrip("/").rsplit("/", 1)[-1]
    pid = scope.rid("replicationPolicies", name)
    if not policy_id or "/replicationpolicies/" not in policy_id.lower() or scope.get(pid) is None:
        raise bad("InvalidParameter", f"The replication policy '{policy_id}' was not found in the vault.")
    return scope.get(pid)


@route("PUT", MAPPING, T_MAPPING)
def put_mapping(ctx, req, p):
    """Replication mapping: target "Microsoft Azure" + an InMageAzureV2 policy. Failback mapping: target = the same
    container + an InMage policy (the example's and PowerShell's practice)."""
    scope = Scope(ctx, p)
    container = scope.container()
    fabric = scope.fabric()
    props = (req.json() or {}).get("properties") or {}
    policy = find_policy(scope, props.get("policyId"))
    kind = policy["properties"]["providerSpecificDetails"]["instanceType"]
    target = props.get("targetProtectionContainerId") or ""
    extra = {}
    if fabric["properties"]["customDetails"]["instanceType"] == "InMageRcm":
        extra = rcm_mapping_details(props, kind, target)
        target_name = target_fabric = AZURE
    elif target == AZURE:
        if kind != "InMageAzureV2":
            raise bad("InvalidParameter", f"A '{kind}' policy cannot be used to replicate to Microsoft Azure from a "
                                          "configuration server; use an InMageAzureV2 policy.")
        target_name = target_fabric = AZURE
    elif target.lower() == container["id"].lower():
        if kind != "InMage":
            raise bad("InvalidParameter", "A failback mapping (target = the same container) needs an InMage policy.")
        target, target_name = container["id"], container["properties"]["friendlyName"]
        target_fabric = fabric["properties"]["friendlyName"]
    else:
        raise bad("InvalidParameter", f"The target protection container '{target}' is not valid. Use 'Microsoft "
                                      "Azure' (replication) or this container's id (failback).")
    mid = container["id"] + "/replicationProtectionContainerMappings/" + p["mapping"]
    body = {"id": mid, "name": p["mapping"], "type": T_MAPPING, "properties": {
        "targetProtectionContainerId": target, "targetProtectionContainerFriendlyName": target_name,
        "health": "Normal", "healthErrorDetails": [], "policyId": policy["id"], "state": "Paired",
        "sourceProtectionContainerFriendlyName": container["properties"]["friendlyName"],
        "sourceFabricFriendlyName": fabric["properties"]["friendlyName"], "targetFabricFriendlyName": target_fabric,
        "policyFriendlyName": policy["name"], **extra}}
    info = {"id": guid(policy["id"], "profile"), "name": policy["name"], "type": "ProtectionProfile"}
    job = start_job(scope, req, "PairCloud", "Associate replication policy", [
        task("PrerequisitesCheckTask", "CloudPairingPrerequisitesCheck", "Prerequisites check", 5),
        task("PairCloudTask", "PairCloud", "Associating the policy with the protection container", 60)],
        info, action=put_action(scope, body, T_MAPPING))
    return accepted(scope, job, mid)


MAPPING_INPUT_BASE = "ReplicationProviderSpecificContainerMappingInput"


def _auto_upgrade(value):
    if str(value).lower() not in ("true", "false"):
        raise bad("InvalidParameter", f"enableAgentAutoUpgrade must be 'true' or 'false', not '{value}'.")
    return str(value).lower()


def rcm_mapping_details(props, kind, target):
    """Replication appliance (InMageRcm) container: target "Microsoft Azure" with an InMageRcm policy. PowerShell sends
    the base ReplicationProviderSpecificContainerMappingInput (the SDK has no InMageRcm creation input); the answer
    carries InMageRcmProtectionContainerMappingDetails (enableAgentAutoUpgrade, "true" by default)."""
    if target != AZURE:
        raise bad("InvalidParameter", f"The target protection container '{target}' is not valid for a replication "
                                      "appliance (InMageRcm) container: use 'Microsoft Azure'. Failback "
                                      "(InMageRcmFailback) mappings are not simulated.")
    if kind != "InMageRcm":
        raise bad("InvalidParameter", f"A '{kind}' policy cannot be used to replicate to Microsoft Azure from a "
                                      "replication appliance; use an InMageRcm policy.")
    inp = props.get("providerSpecificInput") or {}
    if inp.get("instanceType") not in (None, MAPPING_INPUT_BASE, "InMageRcm"):
        raise bad("InvalidParameter", f"providerSpecificInput.instanceType '{inp.get('instanceType')}' is not valid "
                                      f"for an InMageRcm container (use {MAPPING_INPUT_BASE} or leave it out).")
    auto = _auto_upgrade(inp.get("enableAgentAutoUpgrade", "true"))
    return {"providerSpecificDetails": {"instanceType": "InMageRcm", "enableAgentAutoUpgrade": auto}}


@route("PATCH", MAPPING, T_MAPPING)
def update_mapping(ctx, req, p):
    """InMageRcmUpdateContainerMappingInput {enableAgentAutoUpgrade}: InMageRcm mappings only."""
    scope = Scope(ctx, p)
    container = scope.container()
    mid = container["id"] + "/replicationProtectionContainerMappings/" + p["mapping"]
    mapping = scope.need(mid, "protection container mapping")
    inp = ((req.json() or {}).get("properties") or {}).get("providerSpecificInput") or {}
    current = (mapping["properties"].get("providerSpecificDetails") or {}).get("instanceType")
    if current != "InMageRcm" or inp.get("instanceType") != "InMageRcm":
        raise bad("InvalidParameter", "Only InMageRcm protection container mappings can be updated "
                                      "(InMageRcmUpdateContainerMappingInput).")
    body = dict(mapping, properties=dict(mapping["properties"], providerSpecificDetails={
        "instanceType": "InMageRcm", "enableAgentAutoUpgrade": _auto_upgrade(inp.get("enableAgentAutoUpgrade"))}))
    info = {"id": guid(mapping["properties"]["policyId"], "profile"),
            "name": mapping["properties"]["policyFriendlyName"], "type": "ProtectionProfile"}
    job = start_job(scope, req, "UpdateCloudPairing", "Update replication policy association",
                    [task("UpdateCloudPairingTask", "UpdateCloudPairing", "Updating the policy association", 20)],
                    info, action=put_action(scope, body, T_MAPPING))
    return accepted(scope, job, mid)


def remove_mapping(ctx, req, p):
    """DELETE (purge) and POST .../remove: refused while protected items of the container use the mapping."""
    scope = Scope(ctx, p)
    container = scope.container()
    mid = container["id"] + "/replicationProtectionContainerMappings/" + p["mapping"]
    mapping = scope.get(mid)
    if mapping is None:
        return Response(204)
    users = [i["name"] for i in scope.children(T_ITEM, container["id"])
             if i["properties"]["policyId"].lower() == mapping["properties"]["policyId"].lower()]
    if users and mapping["properties"]["targetProtectionContainerId"] == AZURE:
        raise bad("MappingInUse", f"The protection container mapping '{p['mapping']}' is in use by the replicated "
                                  f"item(s) {', '.join(users)}. Disable replication for them first.")
    info = {"id": guid(mapping["properties"]["policyId"], "profile"),
            "name": mapping["properties"]["policyFriendlyName"], "type": "ProtectionProfile"}
    job = start_job(scope, req, "UnpairCloud", "Dissociate replication policy",
                    [task("UnpairCloudTask", "UnpairCloud", "Dissociating the policy", 45)], info,
                    action={"name": "delete_resource", "rid": mid})
    return accepted(scope, job, mid)


ROUTER.route("DELETE", MAPPING, rtype=T_MAPPING, api_versions=ASR_VERSIONS)(remove_mapping)
ROUTER.route("POST", MAPPING + "/remove", rtype=T_MAPPING, api_versions=ASR_VERSIONS)(remove_mapping)


@route("GET", MAPPING, T_MAPPING)
def get_mapping(ctx, req, p):
    scope = Scope(ctx, p)
    container = scope.container()
    return Response(200, scope.need(container["id"] + "/replicationProtectionContainerMappings/" + p["mapping"],
                                    "protection container mapping"))


listing(VAULT + "/replicationFabrics", T_FABRIC, render_fabric)
listing(FABRIC + "/replicationRecoveryServicesProviders", T_PROVIDER, render_provider, Scope.fabric)
listing(VAULT + "/replicationRecoveryServicesProviders", T_PROVIDER, render_provider)
listing(FABRIC + "/replicationProtectionContainers", T_CONTAINER, render_container, Scope.fabric)
listing(VAULT + "/replicationProtectionContainers", T_CONTAINER, render_container)
listing(VAULT + "/replicationPolicies", T_POLICY)
listing(CONTAINER + "/replicationProtectionContainerMappings", T_MAPPING, parent=Scope.container)
listing(VAULT + "/replicationProtectionContainerMappings", T_MAPPING)


# -- completion actions ------------------------------------------------------------------------------------------
def put_action(scope, body, rtype):
    """Completion action storing `body` when the job is due."""
    return {"name": "asr_put", "body": body, "type": rtype, "sub": scope.sub, "rg": scope.rg}


def _asr_put(sim, cloud, action):
    sim.store.put_resource(cloud, action["body"]["id"], action["type"], action["sub"], action["rg"], action["body"])


ACTIONS = {"asr_put": _asr_put}  # completion actions; the other siterecovery_* modules add theirs at import


def schedule(sim, cloud, due, action):
    """A side effect of a job that happens before the job ends (e.g. the source shutdown task of a failover): a
    simulator operation due at `due` (absolute time), never subject to fault rules. Applied by the first request
    after `due`, like every other operation."""
    sim.store.add_operation(str(uuid.uuid4()), cloud, "asr-step", due, action)
    if due <= time.time():
        sim.apply_due()


def register_actions(sim):
    for name, fn in ACTIONS.items():
        sim.register_action(name, fn)
