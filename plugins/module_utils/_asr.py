# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Site Recovery, one vault at a time: reads as plain dicts (REST names), actions that hand back
the job they started, and jobs followed as Azure asks (Retry-After on the operation status).

Site Recovery answers every action with 202 and a job. A module that starts an action must be
able to stop waiting, be run again, and find the job it started instead of starting a second one;
so actions are started without the SDK's blocking poller, the job id is read from the 202's
headers, and the job is followed through ``replicationOperationStatus/{job}``.
"""

from __future__ import annotations

import re
import time

from . import _offazure as offazure
from ._batch import shared
from ._errors import AzureFailure, _JOB_RE, get_or_none, translate
from ._module import SITE_RECOVERY_API
from ._wait import Clock, wait_until

# Sending an action again after a dropped connection (see SiteRecovery.start).
START_ATTEMPTS = 3
START_BACKOFF = 2

IDLE_JOB = "None"
JOB_RUNNING = {"notstarted", "inprogress", "cancelling", "suspended"}
JOB_NOT_STARTED_OR_RUNNING = ("notstarted", "inprogress")
SETTLE_POLLS = 3  # reads of a job still InProgress after its operation succeeded
SUSPEND_CHECK_POLLS = 5  # while the operation runs, every so many polls read its job (a Suspended one never ends)
JOB_DONE_OK = {"succeeded", "completedwithinformation", "completedwithwarnings", "skipped"}
# Operation status values ARM polling treats as terminal.
OP_TERMINAL = {"succeeded", "failed", "canceled", "cancelled"}
ARM_ID_RE = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+", re.IGNORECASE)


def vault_id(subscription_id, resource_group, vault):
    from azure.mgmt.core.tools import resource_id as build  # pylint: disable=import-outside-toplevel

    return build(subscription=subscription_id, resource_group=resource_group, namespace="Microsoft.RecoveryServices",
                 type="vaults", name=vault)


def vault_spec(**options):
    """Argument spec of a Site Recovery module: the vault (resource group and name), then its own options."""
    spec = dict(resource_group=dict(type="str", required=True), vault=dict(type="str", required=True))
    spec.update(options)
    return spec


def plain(model):
    """ARM's JSON (an ArmDoc), an SDK model of either generation, or None, as a plain dict with the REST (camelCase)
    names: the hybrid models' as_dict() has them; an msrest model (the older releases, such as azure-mgmt-network 28
    that azure.azcollection pins) gives them only through serialize(), its as_dict() being snake_case."""
    if model is None:
        return None
    if hasattr(model, "serialize") and not hasattr(model, "keys"):
        return model.serialize(keep_readonly=True)
    if hasattr(model, "as_dict"):
        return model.as_dict()
    return dict(model)


def props(doc):
    return (doc or {}).get("properties") or {}


def lower(value):
    return (value or "").lower()


def name_of(arm_id):
    return (arm_id or "").rstrip("/").rsplit("/", 1)[-1]


# What each resource type is called in messages; the types whose ids the modules take from users.
RESOURCE_KINDS = {
    "resourceGroups": "resource group",
    "Microsoft.Compute/virtualMachines": "virtual machine",
    "Microsoft.Network/virtualNetworks": "virtual network",
    "Microsoft.Storage/storageAccounts": "storage account",
}


def _id_shape(resource_type):
    """The segments of a ``resource_type`` id, None where any name goes."""
    shape = ["", "subscriptions", None, "resourceGroups", None]
    if resource_type != "resourceGroups":
        shape += ["providers"] + resource_type.split("/") + [None]
    return shape


def resource_id_problem(option, value, resource_type, name_allowed=True):
    """Why ``value`` of ``option`` is not the resource id of a ``resource_type`` (a key of RESOURCE_KINDS) -
    nor, with ``name_allowed``, a plain name (no ``/``) - or None when it is fine. Checked before any request,
    so that a disk's id is never taken for a VM's, nor a truncated id for a network's."""
    if value is None or (name_allowed and "/" not in value):
        return None
    from azure.mgmt.core.tools import is_valid_resource_id  # pylint: disable=import-outside-toplevel

    shape, parts = _id_shape(resource_type), parse_arm_id(value)
    kind = "%s/%s" % (parts["namespace"], parts["type"]) if "type" in parts else "resourceGroups"
    if is_valid_resource_id(value) and "resource_group" in parts and not parts.get("children") and kind.lower() == resource_type.lower():
        return None
    example = "/".join("<%s>" % ("subscription" if i == 2 else "group" if i == 4 else "name") if want is None else want
                       for i, want in enumerate(shape))
    return "%s %r is %s the resource id of a %s (%s)." % (
        option, value, "neither a name nor" if name_allowed else "not", RESOURCE_KINDS[resource_type], example)


def resource_id(value, resource_type, subscription_id, resource_group):
    """The id of a resource given by id or by name (then in ``subscription_id`` and ``resource_group``).
    Check the value with resource_id_problem first."""
    from azure.mgmt.core.tools import resource_id as build  # pylint: disable=import-outside-toplevel

    if "/" in value:
        return value
    if resource_type == "resourceGroups":
        return build(subscription=subscription_id, resource_group=value)
    namespace, kind = resource_type.split("/", 1)
    return build(subscription=subscription_id, resource_group=resource_group, namespace=namespace, type=kind, name=value)


def parse_arm_id(arm_id):
    """The parts of an ARM id as azure-mgmt-core reads them - subscription, resource_group, namespace, type, name,
    child_type_1, child_name_1, ... - with segment names in any case, and a resource group that may be called
    ``providers`` or ``resourceGroups``; {} for a value that is not an id."""
    from azure.mgmt.core.tools import parse_resource_id  # pylint: disable=import-outside-toplevel

    value = (arm_id or "").rstrip("/") if isinstance(arm_id, str) else ""
    return parse_resource_id(value) if value.lower().startswith("/subscriptions/") else {}


def group_and_name(arm_id):
    """(resource group, name) of a resource's id, what the SDKs' get(resource_group, name) take."""
    parts = parse_arm_id(arm_id)
    return parts.get("resource_group"), parts.get("name")


def _arm_levels(parts):
    """[(type in lower case, name, resource_id() arguments of that level)]: the resource group, the resource, then
    each of its children."""
    args = {k: parts[k] for k in ("subscription", "resource_group") if k in parts}
    out = [("resourcegroups", parts["resource_group"], dict(args))] if "resource_group" in parts else []
    if "type" in parts:
        args.update(namespace=parts["namespace"], type=parts["type"], name=parts["name"])
        out.append((parts["type"].lower(), parts["name"], dict(args)))
        for n in range(1, (parts.get("last_child_num") or 0) + 1):
            args.update({k % n: parts[k % n] for k in ("child_namespace_%d", "child_type_%d", "child_name_%d") if k % n in parts})
            out.append((parts["child_type_%d" % n].lower(), parts["child_name_%d" % n], dict(args)))
    return out


def segment(arm_id, key):
    """The name of the part of type ``key`` of an ARM id (case-insensitive), e.g. segment(id, 'replicationFabrics')."""
    parts = parse_arm_id(arm_id)
    if key.lower() == "subscriptions":
        return parts.get("subscription")
    return next((name for kind, name, unused in _arm_levels(parts) if kind == key.lower()), None)


def arm_id_upto(arm_id, key=None):
    """The id of the part of type ``key`` of an ARM id (without ``key``, of the resource itself, not its children),
    in the id's own spelling: arm_id_upto(item id, 'replicationFabrics') is the fabric's id. None when there is none."""
    from azure.mgmt.core.tools import resource_id as build  # pylint: disable=import-outside-toplevel

    parts = parse_arm_id(arm_id)
    key = (key or parts.get("type") or "").lower()
    args = next((a for kind, unused, a in _arm_levels(parts) if kind == key), None)
    if args is None:
        return None
    built = build(**args)
    # ARM ids are case-insensitive and the built one differs only in the case of its fixed segments: keep the caller's.
    head = arm_id.rstrip("/")[:len(built)]
    return head if head.lower() == built.lower() else built


def job_name_from(value):
    """Job name from a job ARM id, an operation-status URL or an operationresults URL."""
    if not value:
        return None
    match = _JOB_RE.search(value)
    if match:
        name = match.group(1)
        return None if name == IDLE_JOB else name
    return None


class Operation:
    """What an action started: the job's name and the URL Azure said to poll - its Azure-AsyncOperation
    (``status_url``) or, where it answered with a Location header only, that (``location_url``)."""

    def __init__(self, job_name, status_url=None, location_url=None):
        self.job_name = job_name
        self.status_url = status_url
        self.location_url = location_url

    def __repr__(self):
        return "Operation(%r)" % self.job_name


class JobFailed(AzureFailure):
    """A Site Recovery job ended Failed: carries the provider error code and recommended action."""


def job_summary(job):
    """A job as users read it: state, tasks in order, and errors with their recommended action."""
    p = props(job)
    errors = []
    for err in p.get("errors") or []:
        service = err.get("serviceErrorDetails") or {}
        provider = err.get("providerErrorDetails") or {}
        errors.append(
            {
                "code": service.get("code") or (str(provider["errorCode"]) if provider.get("errorCode") else None),
                "message": service.get("message") or provider.get("errorMessage"),
                "possible_causes": service.get("possibleCauses") or provider.get("possibleCauses"),
                "recommended_action": service.get("recommendedAction") or provider.get("recommendedAction"),
                "provider_error_code": provider.get("errorCode"),
                "provider_error_message": provider.get("errorMessage"),
                "provider_possible_causes": provider.get("possibleCauses"),
                "provider_recommended_action": provider.get("recommendedAction"),
                "task_id": err.get("taskId"),
                "level": err.get("errorLevel"),
            }
        )
    return {
        "id": (job or {}).get("id"),
        "name": (job or {}).get("name"),
        "scenario": p.get("scenarioName"),
        "friendly_name": p.get("friendlyName"),
        "state": p.get("state"),
        "state_description": p.get("stateDescription"),
        "target_object_id": p.get("targetObjectId"),
        "target_object_name": p.get("targetObjectName"),
        "start_time": p.get("startTime"),
        "end_time": p.get("endTime"),
        "allowed_actions": p.get("allowedActions") or [],
        "tasks": [
            {
                "name": t.get("name"),
                "friendly_name": t.get("friendlyName"),
                "state": t.get("state"),
                "start_time": t.get("startTime"),
                "end_time": t.get("endTime"),
            }
            for t in p.get("tasks") or []
        ],
        "errors": errors,
    }


def job_failure(job, action=None):
    """A JobFailed for a failed job: Azure's code, message and recommended action, and the job id."""
    summary = job_summary(job)
    first = summary["errors"][0] if summary["errors"] else {}
    code = first.get("code") or summary["state"]
    parts = [first.get("message") or "The job %s ended %s." % (summary["friendly_name"] or summary["name"], summary["state"])]
    if first.get("provider_error_code") and str(first["provider_error_code"]) != str(code):
        parts.append("Provider error %s: %s" % (first["provider_error_code"], first.get("provider_error_message") or ""))
    if first.get("possible_causes") or first.get("provider_possible_causes"):
        parts.append("Possible causes: %s" % (first.get("provider_possible_causes") or first.get("possible_causes")))
    recommended = first.get("provider_recommended_action") or first.get("recommended_action")
    if recommended:
        parts.append("Recommended action: %s" % recommended)
    failure = JobFailed(" ".join(p.strip() for p in parts if p), code=str(code), job_id=summary["name"])
    failure.job = summary
    failure.recommended_action = recommended
    failure.action = action
    return failure


class SiteRecovery:
    """The Site Recovery side of one vault, through one connection."""

    def __init__(self, azmod, resource_group, vault, connection=None, clock=None):
        self.azmod = azmod
        self.resource_group = resource_group
        self.vault = vault
        self.connection_name = connection
        self.clock = clock or Clock()
        self._client = None
        self._cache = {}

    # -- plumbing ---------------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            self._client = self.azmod.client("siterecovery", self.connection_name)
        return self._client

    @property
    def vault_id(self):
        sub = self.azmod.connection(self.connection_name).subscription_id
        return vault_id(sub, self.resource_group, self.vault)

    def _ops(self, group):
        return getattr(self.client, group)

    def get(self, group, *names, **kwargs):
        """GET one resource as a dict, or None when it does not exist."""
        return plain(get_or_none(self._ops(group).get, self.resource_group, self.vault, *names, **kwargs))

    def list(self, group, method="list", *names, **kwargs):
        """All pages of a list, as dicts."""
        pages = getattr(self._ops(group), method)(self.resource_group, self.vault, *names, **kwargs)
        return [plain(item) for item in pages]

    def start(self, group, method, *args, recover=None, **kwargs):
        """Start an action (an LRO) without blocking; returns the Operation (its job).

        ``polling=False`` sends only the first request; the 202's Azure-AsyncOperation or
        Location header names the job, which :meth:`follow` then polls.

        azure-core retries a dropped connection for GET, PUT and DELETE but not for POST or PATCH, which
        Site Recovery's actions are. When the connection drops before the answer, ``recover()`` (if given)
        tells whether the action started anyway - it returns the Operation of the job now running, or
        None - and the request is sent again only when it did not, at most ``START_ATTEMPTS`` times.
        """
        from azure.core.exceptions import ServiceRequestError, ServiceResponseError  # pylint: disable=import-outside-toplevel

        seen = {}

        def hook(response):
            headers = response.http_response.headers
            for key in ("Azure-AsyncOperation", "Location"):
                if headers.get(key) and key not in seen:
                    seen[key] = headers[key]

        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                getattr(self._ops(group), method)(
                    self.resource_group, self.vault, *args, polling=False, raw_response_hook=hook, **kwargs
                )
                break
            except ServiceRequestError:  # never reached the service: sending it again is safe
                if attempt == START_ATTEMPTS:
                    raise
            except ServiceResponseError:  # sent, but the answer was lost: it may have started
                if recover is None or attempt == START_ATTEMPTS:
                    raise
                running = recover()
                if running is not None:
                    return running
            time.sleep(START_BACKOFF * attempt)
        status_url = seen.get("Azure-AsyncOperation")
        job = job_name_from(status_url) or job_name_from(seen.get("Location"))
        return Operation(job, status_url, seen.get("Location"))

    # -- jobs ---------------------------------------------------------------------------
    def job(self, job_name):
        return self.get("replication_jobs", job_name)

    def _operation_status(self, op):
        """(status, retry_after) from the operation-status URL, or (None, None) if it cannot be read."""
        from azure.core.rest import HttpRequest  # pylint: disable=import-outside-toplevel

        if not op.status_url and op.location_url:
            return self._location_status(op.location_url)
        url = op.status_url
        if not url:
            url = "%s/replicationOperationStatus/%s?api-version=%s" % (
                self.vault_id,
                op.job_name,
                SITE_RECOVERY_API,
            )
        try:
            response = self.client.send_request(HttpRequest("GET", url))
        except Exception as exc:  # pylint: disable=broad-except  # a transport error is reported by the caller
            raise translate(exc)
        if response.status_code == 404:
            return None, None
        if response.status_code >= 400:
            from azure.core.exceptions import HttpResponseError  # pylint: disable=import-outside-toplevel

            raise translate(HttpResponseError(response=response))
        try:
            status = (response.json() or {}).get("status")
        except ValueError:
            status = None
        return status, _retry_after(response.headers)

    def _location_status(self, url):
        """(status, retry_after) from an action's Location URL, as ARM's Location polling reads it: 202 while it
        runs; 200 or 204 once it is done; an error answer is the action's failure, which the job then explains."""
        from azure.core.rest import HttpRequest  # pylint: disable=import-outside-toplevel

        try:
            response = self.client.send_request(HttpRequest("GET", url))
        except Exception as exc:  # pylint: disable=broad-except  # a transport error is reported by the caller
            raise translate(exc)
        if response.status_code == 202:
            return "InProgress", _retry_after(response.headers)
        if response.status_code in (200, 201, 204):
            return "Succeeded", None
        if response.status_code == 404:
            return None, None
        return "Failed", None

    def follow(self, op, what, timeout, poll_interval=30.0, on_progress=None, action=None):
        """Wait for a job to end; return its summary, or raise JobFailed / WaitTimeout.

        Polls the operation status, which carries Azure's Retry-After; a job started elsewhere
        (found in an item's currentScenario) may have no operation status, and is then polled
        directly every ``poll_interval`` seconds.
        """
        if not op.job_name:
            return None  # Azure finished the action in its first answer: there is no job to follow
        state = {"direct": False, "polls": 0, "status": None, "retry_after": None}

        def job_state():
            job_state = props(self.job(op.job_name)).get("state") or "Unknown"
            if job_state.lower() == "suspended":  # it waits for someone to resume it: no wait ends it
                raise job_suspended(op.job_name, what, action)
            return job_state

        def poll():
            state["polls"] += 1
            if not state["direct"]:
                status, retry_after = self._operation_status(op)
                state.update(status=status, retry_after=retry_after)
                if status is None:
                    state["direct"] = True
                elif status.lower() not in OP_TERMINAL:
                    if state["polls"] % SUSPEND_CHECK_POLLS == 0:  # now and then, the job itself: is it Suspended?
                        job_state()
                    return False, status, retry_after
                else:
                    return True, status, None
            current = job_state()
            return current.lower() not in JOB_RUNNING, current, None

        wait_until(poll, what, timeout, clock=self.clock, interval=poll_interval, on_progress=on_progress)
        job = self.job(op.job_name)
        summary = job_summary(job)
        # The operation can read Succeeded a moment before its job does: read the job again, briefly.
        for _unused in range(SETTLE_POLLS):
            if (summary["state"] or "").lower() not in JOB_NOT_STARTED_OR_RUNNING:
                break
            self.clock.sleep(state["retry_after"] or poll_interval)
            job = self.job(op.job_name)
            summary = job_summary(job)
        current = (summary["state"] or "").lower()
        if current == "suspended":
            raise job_suspended(op.job_name, what, action)
        if current in JOB_NOT_STARTED_OR_RUNNING and (state["status"] or "").lower() == "succeeded":
            return summary  # the action succeeded and its job has not caught up: reported as it reads (InProgress)
        if current not in JOB_DONE_OK:
            raise job_failure(job, action)
        return summary


def suspended_message(job_name, what):
    """What to do about a Suspended job: it waits until someone resumes it, so no wait ends by itself."""
    return ("Site Recovery job %s (%s) is Suspended: it waits until someone resumes it. Resume it in the portal "
            "(Site Recovery jobs) or with Resume-AzRecoveryServicesAsrJob -Name %s, then run this task again."
            % (job_name, what, job_name))


def job_suspended(job_name, what, action=None):
    failure = JobFailed(suspended_message(job_name, what), code="JobSuspended", job_id=job_name)
    failure.job = {"name": job_name, "state": "Suspended"}
    failure.recommended_action = "Resume the job (portal or Resume-AzRecoveryServicesAsrJob -Name %s)." % job_name
    failure.action = action
    return failure


def _retry_after(headers):
    for key, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("Retry-After", 1.0)):
        value = headers.get(key)
        if value:
            try:
                return float(value) * scale
            except ValueError:
                return None
    return None


def running_job(item):
    """The job an item is busy with (currentScenario), as (scenario, job name), or (None, None)."""
    scenario = props(item).get("currentScenario") or {}
    name = scenario.get("scenarioName")
    job = job_name_from(scenario.get("jobId"))
    if not name or name == IDLE_JOB or not job:
        return None, None
    return name, job


# -- configuration servers (classic fabrics) ----------------------------------------------------
def _server_part(entry, name_key="friendlyName"):
    return {
        "id": entry.get("id"),
        "name": entry.get(name_key) or entry.get("name"),
        "ip_address": entry.get("ipAddress"),
        "agent_version": entry.get("agentVersion"),
        "last_heartbeat": entry.get("lastHeartbeat"),
        "version_status": entry.get("versionStatus"),
        "health_errors": [e.get("errorMessage") or e.get("summaryMessage") for e in entry.get("healthErrors") or []],
    }


def configuration_server_summary(fabric, containers=None):
    """A registered configuration server (a VMware-type fabric) in plain words."""
    p = props(fabric)
    d = p.get("customDetails") or {}
    containers = containers or []
    return {
        "friendly_name": p.get("friendlyName"),
        "fabric_name": fabric.get("name"),
        "fabric_id": fabric.get("id"),
        "fabric_type": d.get("instanceType"),
        "host_name": d.get("hostName"),
        "ip_address": d.get("ipAddress"),
        "agent_version": d.get("agentVersion"),
        "last_heartbeat": d.get("lastHeartbeat"),
        "version_status": d.get("versionStatus"),
        "health": p.get("health"),
        "health_errors": [e.get("errorMessage") or e.get("summaryMessage") for e in p.get("healthErrorDetails") or []],
        "protected_servers": d.get("protectedServers"),
        "process_servers": [
            dict(_server_part(ps), machine_count=ps.get("machineCount")) for ps in d.get("processServers") or []
        ],
        "master_target_servers": [_server_part(mt, "name") for mt in d.get("masterTargetServers") or []],
        "run_as_accounts": [{"id": a.get("accountId"), "name": a.get("accountName")} for a in d.get("runAsAccounts") or []],
        "container_name": containers[0].get("name") if containers else None,
        "container_id": containers[0].get("id") if containers else None,
    }


def is_configuration_server(fabric):
    return ((props(fabric).get("customDetails") or {}).get("instanceType") or "").lower() == "vmware"


def configuration_servers(sr, name=None):
    """Registered configuration servers of the vault, optionally only the one with this friendly name."""
    out = []
    for fabric in sr.list("replication_fabrics"):
        if not is_configuration_server(fabric):
            continue
        if name and (props(fabric).get("friendlyName") or "").lower() != name.lower() and fabric.get("name") != name:
            continue
        containers = sr.list("replication_protection_containers", "list_by_replication_fabrics", fabric["name"])
        out.append(configuration_server_summary(fabric, containers))
    return out


# -- machines ---------------------------------------------------------------------------------------
def machine_summary(protectable):
    """A discovered machine (protectable item) in plain words."""
    p = props(protectable)
    d = p.get("customDetails") or {}
    return {
        "id": protectable.get("id"),
        "name": protectable.get("name"),
        "friendly_name": p.get("friendlyName"),
        "ip_address": d.get("ipAddress"),
        "os_type": d.get("osType"),
        "protection_status": p.get("protectionStatus"),
        "replicated_item_id": p.get("replicationProtectedItemId"),
        "discovery_type": d.get("discoveryType"),
        "agent_installed": d.get("agentInstalled"),
        "readiness_errors": p.get("protectionReadinessErrors") or [],
    }


def resolve_server(sr, friendly_name, fail):
    """The registered configuration server with this friendly name, or fail naming those that are."""
    servers = configuration_servers(sr)
    for server in servers:
        if (server["friendly_name"] or "").lower() == (friendly_name or "").lower() or server["fabric_name"] == friendly_name:
            if not server["container_name"]:
                fail("Configuration server %r has no protection container yet; wait for its registration to finish." % friendly_name)
            return server
    fail(
        "Configuration server %r is not registered with vault %r (registered: %s)."
        % (friendly_name, sr.vault, ", ".join(sorted(s["friendly_name"] or "" for s in servers)) or "none")
    )
    return None


def known_machines(sr, server):
    """The machines the source-side server knows, as a step first reads them (once per batch; see _batch.shared).
    A wait for a machine to show up reads :func:`protectable_machines` afresh instead."""
    return shared(sr.azmod, ("protectable", server["fabric_name"], server["container_name"]), lambda: protectable_machines(sr, server))


def discovered_machines(sr, server):
    """The machines a replication appliance's sites hold (Microsoft.OffAzure), read once per batch; a wait for a
    machine to show up reads :func:`offazure.discovered_machines` afresh instead."""
    return shared(sr.azmod, ("discovered", server["fabric_name"]), lambda: fresh_discovered_machines(sr, server))


def fresh_discovered_machines(sr, server):
    sites = {"physicalSiteId": server.get("physical_site_id"), "vmwareSiteId": server.get("vmware_site_id")}
    fabric = {"properties": {"customDetails": sites}}
    return offazure.discovered_machines(sr.client, fabric)


def protectable_machines(sr, server):
    return sr.list(
        "replication_protectable_items",
        "list_by_replication_protection_containers",
        server["fabric_name"],
        server["container_name"],
    )


def find_machine(machines, name=None, ip_address=None):
    """(by name, by IP) among protectable items; names compare case-insensitively."""
    by_name = by_ip = None
    for item in machines:
        summary = machine_summary(item)
        if name and (summary["friendly_name"] or "").lower() == name.lower():
            by_name = item
        if ip_address and summary["ip_address"] == ip_address:
            by_ip = item
    return by_name, by_ip


# -- replication appliances (modernized fabrics) ---------------------------------------------------------


def is_appliance_fabric(fabric):
    return ((props(fabric).get("customDetails") or {}).get("instanceType") or "").lower() == "inmagercm"


def _component(entries, name):
    for entry in entries or []:
        if (entry.get("name") or "").lower() == (name or "").lower():
            return entry
    return None


def appliance_summaries(sr, fabric, containers, with_accounts=True):
    """One summary per appliance registered in a modernized (InMageRcm) fabric."""
    d = props(fabric).get("customDetails") or {}
    sites = offazure.sites_of(fabric)
    accounts = []
    if with_accounts:
        # The credentials of both sites (physical and VMware), each tagged with its site: a machine's run-as
        # account comes from the site it was found in.
        for site_id, _kind in sites:
            accounts.extend(dict(a, site_id=site_id) for a in offazure.run_as_accounts(sr.client, site_id))
    out = []
    for ps in d.get("processServers") or []:
        name = ps.get("name")
        components = {}
        for key in ("processServers", "rcmProxies", "pushInstallers", "replicationAgents", "reprotectAgents", "marsAgents"):
            entry = _component(d.get(key), name)
            if entry is not None:
                components[key[:-1] if key.endswith("s") else key] = {
                    "health": entry.get("health"),
                    "last_heartbeat": entry.get("lastHeartbeatUtc"),
                    "version": entry.get("version"),
                    "health_errors": [e.get("errorMessage") or e.get("summaryMessage") for e in entry.get("healthErrors") or []],
                }
        out.append(
            {
                "friendly_name": name,
                "kind": "appliance",
                "fabric_name": fabric.get("name"),
                "fabric_id": fabric.get("id"),
                "physical_site_id": d.get("physicalSiteId"),
                "vmware_site_id": d.get("vmwareSiteId"),
                "sites": [{"id": site_id, "kind": kind} for site_id, kind in sites],
                "ip_addresses": ps.get("ipAddresses") or [],
                "last_heartbeat": ps.get("lastHeartbeatUtc"),
                "health": ps.get("health"),
                "healthy": all((c.get("health") or "Normal").lower() in ("normal", "none") for c in components.values()),
                "components": components,
                "process_servers": [{"id": ps.get("id"), "name": name, "ip_address": (ps.get("ipAddresses") or [None])[0],
                                     "last_heartbeat": ps.get("lastHeartbeatUtc"), "health": ps.get("health")}],
                "master_target_servers": [],
                "run_as_accounts": accounts,
                "container_name": containers[0].get("name") if containers else None,
                "container_id": containers[0].get("id") if containers else None,
            }
        )
    return out


def appliances(sr, name=None, with_accounts=True):
    """Replication appliances registered with the vault, optionally only the one with this name."""
    out = []
    for fabric in sr.list("replication_fabrics"):
        if not is_appliance_fabric(fabric):
            continue
        containers = sr.list("replication_protection_containers", "list_by_replication_fabrics", fabric["name"])
        for summary in appliance_summaries(sr, fabric, containers, with_accounts):
            if not name or (summary["friendly_name"] or "").lower() == name.lower():
                out.append(summary)
    return out


def resolve_source(sr, provider_name, name, fail):
    """The source-side server machines replicate through: a configuration server (classic) or an appliance.
    Read once per batch (see _batch.shared)."""
    return shared(sr.azmod, ("source", provider_name, name), lambda: _resolve_source(sr, provider_name, name, fail))


def _resolve_source(sr, provider_name, name, fail):
    if provider_name == "classic":
        if not name:
            fail("configuration_server is required with provider classic.")
        return resolve_server(sr, name, fail)
    found = appliances(sr)
    if name:
        chosen = [a for a in found if (a["friendly_name"] or "").lower() == name.lower()]
    else:
        chosen = found if len(found) == 1 else []
    if not chosen:
        fail(
            "%s (registered appliances: %s)."
            % (
                "Replication appliance %r is not registered with vault %r" % (name, sr.vault)
                if name
                else "Name the replication appliance (appliance) of vault %r" % sr.vault,
                ", ".join(sorted(a["friendly_name"] for a in found)) or "none",
            )
        )
    if not chosen[0]["container_name"]:
        fail("Replication appliance %r has no protection container yet; wait for its registration to finish." % chosen[0]["friendly_name"])
    return chosen[0]
