# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The one wrapper every module uses: connection options merged into the argument spec,
SDK clients built lazily per connection, errors reported in one shape, and diff/check-mode
helpers so a module reads as a short statement of desired state."""

from __future__ import annotations

import dataclasses
import importlib
import os
import threading
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ._auth import (
    AUTH_SOURCES,
    SECRET_KEYS,
    AuthError,
    build_credential,
    cli_subscription,
    cloud_for,
    resolve_settings,
    subscription_problem,
)
from ._clouds import location_problem
from ._errors import AzureFailure, translate
from . import _recovery_rest
from ._version import COLLECTION_VERSION

USER_AGENT = "azmove-site-recovery/%s" % COLLECTION_VERSION

CONNECTION_OPTIONS = dict(
    cloud=dict(type="str", aliases=["cloud_environment"]),
    ca_bundle=dict(type="path"),
    auth_source=dict(type="str", choices=list(AUTH_SOURCES)),
    subscription_id=dict(type="str"),
    tenant_id=dict(type="str", aliases=["tenant"]),
    client_id=dict(type="str"),
    client_secret=dict(type="str", no_log=True, aliases=["secret"]),
    certificate_path=dict(type="path", aliases=["x509_certificate_path"]),
    certificate_password=dict(type="str", no_log=True),
    federated_token_file=dict(type="path", no_log=False),
    profile=dict(type="str"),
    credentials_file=dict(type="path"),
    # azure.azcollection's names, so that its module_defaults serve these modules too (see azcollection_problem).
    thumbprint=dict(type="str", no_log=False),
    cert_validation_mode=dict(type="str", choices=["validate", "ignore"]),
    adfs_authority_url=dict(type="str"),
    api_profile=dict(type="str"),
)


def azcollection_problem(params):
    """Why an azure.azcollection setting of these connection settings cannot be honoured, or None. The
    thumbprint needs no check: azure-identity reads it from the certificate."""
    if params.get("cert_validation_mode") == "ignore":
        return ("cert_validation_mode=ignore is not supported: TLS is always verified. Give the certificate "
                "authorities of the cloud's endpoints with ca_bundle (or REQUESTS_CA_BUNDLE's file) instead.")
    if params.get("api_profile") not in (None, "", "latest"):
        return ("api_profile %s is not supported: the modules send the api versions they are tested with (those of "
                "api_profile=latest)." % params["api_profile"])
    return None


def connection_argument_spec():
    spec = dict(CONNECTION_OPTIONS)
    spec["connections"] = dict(
        type="list",
        elements="dict",
        options=dict(name=dict(type="str", required=True), **CONNECTION_OPTIONS),
    )
    spec["use_connection"] = dict(type="str")
    return spec


# kind -> (import path, class name, PyPI package). Imported only when a module asks for it.
CLIENTS = {
    "resource": ("azure.mgmt.resource.resources", "ResourceManagementClient", "azure-mgmt-resource"),
    # The vault and backup APIs go through azure-mgmt-core's pipeline (_recovery_rest), so that any
    # version of the vault and Azure Backup SDKs, e.g. azure.azcollection's pins, can share the environment.
    "recoveryservices": (_recovery_rest.__name__, "RecoveryServicesClient", "azure-mgmt-core"),
    # So does Site Recovery: its SDK needs azure-mgmt-core 1.6 or later, which azure.azcollection pins below.
    "siterecovery": (_recovery_rest.__name__, "SiteRecoveryClient", "azure-mgmt-core"),
    "compute": ("azure.mgmt.compute", "ComputeManagementClient", "azure-mgmt-compute"),
    "network": ("azure.mgmt.network", "NetworkManagementClient", "azure-mgmt-network"),
    "storage": ("azure.mgmt.storage", "StorageManagementClient", "azure-mgmt-storage"),
    "authorization": ("azure.mgmt.authorization", "AuthorizationManagementClient", "azure-mgmt-authorization"),
    "backup": (_recovery_rest.__name__, "RecoveryServicesBackupClient", "azure-mgmt-core"),
}

# The client whose pipeline the modules' own ARM reads (regions, resource groups) go through: the collection's REST
# client, not an SDK's: older SDK releases have no public send_request (azure-mgmt-compute 33, azure-mgmt-resource 23).
REST_KIND = "recoveryservices"

# The Site Recovery API version the modules send (and build operation-status URLs with).
SITE_RECOVERY_API = _recovery_rest.SITE_RECOVERY_API

# azure-core's RetryPolicy retries 408/429/500/502/503/504 and dropped connections with
# exponential backoff, honouring Retry-After. These bound it: at most 6 retries, 60 s apart
# at the most, so a persistent fault fails in minutes instead of hanging a maintenance window.
RETRY_KWARGS = dict(retry_total=6, retry_backoff_factor=0.8, retry_backoff_max=60)
# GET subscriptions/{id}/locations: the regions the cloud offers the subscription (Microsoft.Resources).
LOCATIONS_API = "2022-12-01"
RESOURCE_GROUPS_API = "2021-04-01"


class Connection:
    """One resolved connection: settings, cloud, credential and SDK clients, all lazy."""

    def __init__(self, params, environ=None):
        self.name = params.get("name") or "default"
        self.settings = resolve_settings(params, environ)
        self.adfs_authority_url = params.get("adfs_authority_url")
        self._cloud = None
        self._credential = None
        self.credential_kind = None
        self._clients = {}
        # A batch run (see _batch) shares one connection between the machines' threads, and sizes its
        # connection pools to them (requests keeps 10 per host by default and drops the rest).
        self._lock = threading.RLock()
        self.pool_size = None
        self._session = None

    @property
    def cloud(self):
        if self._cloud is None:
            self._cloud = cloud_for(self.settings)
            if self.adfs_authority_url:  # azure.azcollection's override of the cloud's Entra ID / AD FS authority
                self._cloud = dataclasses.replace(self._cloud, authority_host=self.adfs_authority_url)
        return self._cloud

    @property
    def subscription_id(self):
        sub = self.settings.get("subscription_id")
        if not sub and self.settings.get("auth_source") == "cli":
            sub = self.settings["subscription_id"] = cli_subscription()
        if not sub:
            raise AuthError(
                "Connection %r has no subscription id: set subscription_id, a credentials-file profile with "
                "subscription_id, or AZURE_SUBSCRIPTION_ID." % self.name
            )
        problem = subscription_problem(sub, "Connection %r: subscription_id" % self.name)
        if problem:
            raise AuthError(problem)
        return sub

    @property
    def credential(self):
        with self._lock:
            if self._credential is None:
                self.credential_kind, self._credential = build_credential(self.settings, self.cloud)
            return self._credential

    def client_kwargs(self):
        kwargs = dict(
            base_url=self.cloud.resource_manager,
            credential_scopes=[self.cloud.scope],
            user_agent=USER_AGENT,
            **RETRY_KWARGS,
        )
        if self.cloud.ca_bundle:
            kwargs["connection_verify"] = self.cloud.ca_bundle
        # After the retry policy, so that every attempt (a retry too) waits its turn when ARM's budget runs low.
        kwargs["per_retry_policies"] = [arm_pacing_policy()]
        if self.pool_size:
            from azure.core.pipeline.transport import RequestsTransport  # pylint: disable=import-outside-toplevel

            with self._lock:  # one pooled session for all the connection's clients, which never close it
                if self._session is None:
                    self._session = pooled_session(self.pool_size)
            kwargs["transport"] = RequestsTransport(session=self._session, session_owner=False,
                                                    connection_verify=kwargs.get("connection_verify", True))
        return kwargs

    def client(self, kind):
        with self._lock:
            if kind not in self._clients:
                path, cls_name, _package = CLIENTS[kind]
                cls = getattr(importlib.import_module(path), cls_name)
                if self.pool_size:  # threads will share this client
                    guard_model_setup(path)
                sub = self.subscription_id  # checked (a GUID) before the cloud's metadata is read
                self._clients[kind] = cls(self.credential, sub, **self.client_kwargs())
            return self._clients[kind]

    def locations(self):
        """The regions the cloud offers this subscription ({name, displayName} each), read once through the
        collection's own ARM pipeline (_recovery_rest), whatever versions of the management SDKs are installed."""
        from ._offazure import list_all  # pylint: disable=import-outside-toplevel

        with self._lock:
            if getattr(self, "_locations", None) is None:
                path = "/subscriptions/%s/locations" % self.subscription_id
                self._locations = list_all(self.client(REST_KIND), path, LOCATIONS_API)
            return self._locations

    def resource_group(self, name):
        """The resource group ``name`` (ARM's JSON), or None when it does not exist, read through the collection's own
        ARM pipeline. A missing subscription or any other error is raised, never taken for "absent"."""
        from urllib.parse import quote  # pylint: disable=import-outside-toplevel

        from azure.core.exceptions import HttpResponseError  # pylint: disable=import-outside-toplevel
        from azure.core.rest import HttpRequest  # pylint: disable=import-outside-toplevel

        path = "/subscriptions/%s/resourcegroups/%s?api-version=%s" % (self.subscription_id, quote(name, safe=""),
                                                                       RESOURCE_GROUPS_API)
        response = self.client(REST_KIND).send_request(HttpRequest("GET", path))
        if response.status_code >= 400:
            failure = translate(HttpResponseError(response=response))
            if response.status_code == 404 and failure.code in (None, "ResourceGroupNotFound", "NotFound"):
                return None
            raise failure
        return response.json()

    def where(self):
        """The cloud and subscription, in words, for messages."""
        return "cloud %s (connection %r, subscription %s)" % (self.cloud.name, self.name, self.subscription_id)

    def describe(self):
        return {
            "name": self.name,
            "cloud": self.cloud.name,
            "resource_manager": self.cloud.resource_manager,
            "subscription_id": self.settings.get("subscription_id"),
            "auth_source": self.credential_kind or self.settings.get("auth_source"),
        }


_MODEL_SETUP_LOCK = threading.RLock()


def guard_model_setup(package):
    """Make an SDK's first use of each model class safe from threads.

    The models of the SDKs generated from TypeSpec (``_utils/model_base.py``) build a table of their fields the first
    time an object of the class is made. Two threads doing that at once for related classes can break it, and the SDK
    then silently returns plain dicts instead of models (Azure/azure-sdk-for-python#47426, fixed in the generator by
    microsoft/typespec#11236, not yet in the SDK releases we pin). A batch run's threads therefore do that first-time
    set-up one at a time; once a class is set up, nothing is locked.
    """
    try:
        base = importlib.import_module(package + "._utils.model_base").Model
    except (ImportError, AttributeError):
        return
    if getattr(base, "_azmove_guarded", False) or not isinstance(getattr(base, "_calculated", None), set):
        return
    original = base.__new__

    def guarded_new(cls, *args, **kwargs):
        if "%s.%s" % (cls.__module__, cls.__qualname__) in cls._calculated:
            return original(cls, *args, **kwargs)
        with _MODEL_SETUP_LOCK:
            return original(cls, *args, **kwargs)

    base.__new__ = staticmethod(guarded_new)
    base._azmove_guarded = True


def pooled_session(pool_size):
    """A requests session with connection pools of ``pool_size`` per host, for azure-core's
    ``RequestsTransport(session=...)``. As azure-core's own session, it leaves retries to azure-core's RetryPolicy."""
    import requests  # pylint: disable=import-outside-toplevel
    from requests.adapters import HTTPAdapter  # pylint: disable=import-outside-toplevel
    from urllib3.util.retry import Retry  # pylint: disable=import-outside-toplevel

    session = requests.Session()
    adapter = HTTPAdapter(max_retries=Retry(total=False, redirect=False, raise_on_status=False),
                          pool_connections=4, pool_maxsize=pool_size)
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter)
    return session


# ARM throttles each subscription (or tenant), principal and kind of request with a token bucket: reads refill at 25
# tokens a second, writes and deletes at 10 (Microsoft Learn, "Understand how Azure Resource Manager throttles
# requests", https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
ARM_REFILL = {"reads": 25.0, "writes": 10.0, "deletes": 10.0}
# Below this many tokens left (as the last answer's x-ms-ratelimit-remaining-* said, refilled since, less the requests
# still in flight), requests go out one per refill interval instead of at once.
PACING_RESERVE = 10


class ArmPacer:
    """Paces a process's ARM requests from the budget ARM reports, so a batch's threads spend a bucket at its refill
    rate instead of bursting into 429s. Shared by every client and thread of the process (see arm_pacing_policy)."""

    def __init__(self, clock=None, sleep=None):
        import time  # pylint: disable=import-outside-toplevel

        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self._lock = threading.Lock()
        self._buckets = {}

    @staticmethod
    def key(method, url):
        """(host, subscription or "" for a tenant request, kind): ARM's bucket of a request, as far as a client
        can tell."""
        from urllib.parse import urlsplit  # pylint: disable=import-outside-toplevel

        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        sub = segments[1].lower() if len(segments) > 1 and segments[0].lower() == "subscriptions" else ""
        method = method.upper()
        kind = "reads" if method in ("GET", "HEAD") else "deletes" if method == "DELETE" else "writes"
        return parts.netloc.lower(), sub, kind

    def before(self, key):
        """Wait, if the bucket is nearly empty, for this request's turn; returns the seconds waited."""
        with self._lock:
            state = self._buckets.setdefault(key, {"remaining": None, "at": 0.0, "in_flight": 0, "next": 0.0})
            state["in_flight"] += 1
            if state["remaining"] is None:
                return 0.0
            now = self.clock()
            rate = ARM_REFILL[key[2]]
            tokens = state["remaining"] + (now - state["at"]) * rate - (state["in_flight"] - 1)
            if tokens > PACING_RESERVE:
                return 0.0
            slot = max(now, state["next"])
            state["next"] = slot + 1.0 / rate
            delay = slot - now
        if delay > 0:
            self.sleep(delay)
        return delay

    def after(self, key, headers):
        """Take note of the budget left that ARM's answer reports (the request is no longer in flight)."""
        scope = "subscription" if key[1] else "tenant"
        value = headers.get("x-ms-ratelimit-remaining-%s-%s" % (scope, key[2])) if headers is not None else None
        with self._lock:
            state = self._buckets.get(key)
            if state is None:
                return
            state["in_flight"] = max(0, state["in_flight"] - 1)
            try:
                state["remaining"], state["at"] = int(value), self.clock()
            except (TypeError, ValueError):
                pass


ARM_PACER = ArmPacer()
_PACING_POLICY = []


def arm_pacing_policy(pacer=None):
    """An azure-core pipeline policy that paces requests through ``pacer`` (the process's ARM_PACER)."""
    from azure.core.pipeline.policies import HTTPPolicy  # pylint: disable=import-outside-toplevel

    if not _PACING_POLICY:
        class ArmPacingPolicy(HTTPPolicy):
            def __init__(self, pacer):
                super().__init__()
                self.pacer = pacer

            def send(self, request):
                http = request.http_request
                key = self.pacer.key(http.method, http.url)
                self.pacer.before(key)
                response = None
                try:
                    response = self.next.send(request)
                finally:
                    self.pacer.after(key, response.http_response.headers if response is not None else None)
                return response

        _PACING_POLICY.append(ArmPacingPolicy)
    return _PACING_POLICY[0](pacer or ARM_PACER)


def select_connection_params(params):
    """The explicit settings of the connection a task uses.

    With ``use_connection``, start from that entry of ``connections``; any connection option
    also given at task level overrides it for this task.
    """
    chosen = params.get("use_connection")
    base = {}
    listed = [c["name"] for c in params.get("connections") or []]
    twice = sorted({n for n in listed if listed.count(n) > 1})
    if twice:
        # Otherwise the last entry of a name would win silently.
        raise AuthError("connections defines %s more than once; give each connection its own name."
                        % ", ".join(repr(n) for n in twice))
    if not chosen and len(listed) > 1:
        raise AuthError("connections defines %s and the task does not say which one it uses: set use_connection "
                        "(usually in module_defaults, or on the task)." % ", ".join(repr(n) for n in listed))
    if chosen:
        entries = {c["name"]: c for c in params.get("connections") or []}
        if chosen not in entries:
            raise AuthError(
                "use_connection is %r but connections defines %s."
                % (chosen, ", ".join(repr(n) for n in entries) or "none (set connections, usually in module_defaults)")
            )
        base = dict(entries[chosen])
    elif params.get("connections") and len(params["connections"]) == 1:
        base = dict(params["connections"][0])
    for key in CONNECTION_OPTIONS:
        if params.get(key) not in (None, ""):
            base[key] = params[key]
    base.setdefault("name", chosen or "default")
    problem = azcollection_problem(base)
    if problem:
        raise AuthError("Connection %r: %s" % (base["name"], problem))
    return base


# The ranges of the numeric options the modules share by name: (minimum, minimum excluded, unit). Checked once, for
# every module, at the task level and in each entry of a list of dicts (a batch's machines), before any request.
OPTION_RANGES = {
    "wait_timeout": (0, False, "seconds"),
    "timeout": (0, False, "seconds"),
    "poll_interval": (0, True, "seconds"),
    "max_poll_interval": (0, True, "seconds"),
    "concurrency": (1, False, ""),
    "retention_hours": (0, True, "hours"),
    "rpo_threshold_minutes": (0, True, "minutes"),
    "app_consistent_frequency_minutes": (0, False, "minutes"),
    "crash_consistent_frequency_minutes": (0, False, "minutes"),
    "vcpus": (1, False, ""),
    "memory_gb": (0, True, "GB"),
    "disk_gb": (0, True, "GB"),
    "daily_change_gb": (0, True, "GB"),
    "machines": (1, False, ""),
}


def range_problems(params, spec, where=""):
    """Every numeric option of ``spec`` (an argument spec) whose value in ``params`` is out of OPTION_RANGES."""
    out = []
    for name, option in spec.items():
        value = params.get(name)
        if value is None:
            continue
        if option.get("type") in ("int", "float") and name in OPTION_RANGES:
            low, excluded, unit = OPTION_RANGES[name]
            if value < low or (excluded and value == low):
                bound = "more than %s" % low if excluded else ("%s or more" % low if low == 0 else "at least %s" % low)
                out.append("%s%s must be %s%s, not %s." % (where, name, bound, " " + unit if unit else "", value))
        elif option.get("type") == "list" and option.get("elements") == "dict" and option.get("options"):
            for i, entry in enumerate(value):
                if isinstance(entry, dict):
                    out += range_problems(entry, option["options"], "%s%s[%d]." % (where, name, i))
        elif option.get("type") == "dict" and option.get("options") and isinstance(value, dict):
            out += range_problems(value, option["options"], "%s%s." % (where, name))
    return out


class AzureModule:
    """AnsibleModule plus the connection and client layer. Does not run anything itself."""

    def __init__(self, argument_spec, supports_check_mode=True, environ=None, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        self.params = self.module.params
        problems = range_problems(self.params, spec)
        if problems:
            self.fail(" ".join(problems))
        self._environ = os.environ if environ is None else environ
        self._connections = {}
        self._lock = threading.RLock()

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff  # pylint: disable=protected-access

    def connection(self, name=None):
        """The connection this task uses (``use_connection``), or another named one."""
        try:
            return self.connection_or_raise(name)
        except AuthError as exc:
            self.fail(str(exc))
        return None  # not reached

    def connection_or_raise(self, name=None):
        """As :meth:`connection`, raising AuthError instead of ending the module (for a batch's threads)."""
        key = name or self.params.get("use_connection") or ""
        with self._lock:
            if key not in self._connections:
                params = dict(self.params)
                if name:
                    params["use_connection"] = name
                conn = Connection(select_connection_params(params), self._environ)
                for secret_key in SECRET_KEYS:
                    # Secrets read from a profile or the environment are masked too.
                    if conn.settings.get(secret_key):
                        self.module.no_log_values.add(conn.settings[secret_key])
                self._connections[key] = conn
            return self._connections[key]

    def same_resource(self, first, second):
        """Whether two (connection name, resource group, name) triples name the same resource: the same subscription
        (a subscription id is unique across clouds), resource group and name, compared as Azure does (no case)."""
        subs = [self.connection(conn).subscription_id.lower() for conn, _rg, _name in (first, second)]
        return subs[0] == subs[1] and all((a or "").lower() == (b or "").lower() for a, b in zip(first[1:], second[1:]))

    def location_problem(self, option, value, connection=None):
        """Why ``value`` is not a region of the connection's cloud (from the cloud's own list), or None. Read before
        any write, so a region the cloud does not offer (eastus3) fails with the list instead of half a change."""
        if not value:
            return None
        conn = self.connection(connection)
        try:
            offered = conn.locations()
        except ImportError:
            self.module.fail_json(msg=missing_required_lib(CLIENTS[REST_KIND][2]), exception=traceback.format_exc())
        except AuthError as exc:
            self.fail(str(exc))
        return location_problem(value, offered, option, conn.where())

    def client(self, kind, connection=None):
        try:
            return self.client_or_raise(kind, connection)
        except ImportError:
            self.module.fail_json(msg=missing_required_lib(CLIENTS[kind][2]), exception=traceback.format_exc())
        except AuthError as exc:
            self.fail(str(exc))
        return None  # not reached

    def client_or_raise(self, kind, connection=None):
        """As :meth:`client`, raising ImportError or AuthError instead of ending the module (for a batch's threads)."""
        return self.connection_or_raise(connection).client(kind)

    def fail(self, msg, **result):
        self.module.fail_json(msg=msg, **result)

    def warn(self, msg):
        self.module.warn(msg)

    def fail_from(self, exc, action=None, **result):
        """Report an SDK/auth error with ARM's code, message, target, request and job id."""
        if isinstance(exc, AuthError):
            self.fail("%s%s" % ("%s: " % action if action else "", exc), **result)
        failure = translate(exc)
        self.module.fail_json(msg=failure.summary(action), error=failure.to_dict(), **result)

    def exit(self, changed, before=None, after=None, **result):
        if self.diff_mode and (before is not None or after is not None):
            result["diff"] = {"before": before or {}, "after": after or {}}
        self.module.exit_json(changed=changed, **result)


def run(module, body, action=None):
    """Run a module body; any SDK, auth or wait failure becomes one clear fail_json."""
    try:
        return body()
    except (AzureFailure, AuthError) as exc:
        module.fail_from(exc, action)
    except Exception as exc:  # pylint: disable=broad-except  # translated, not swallowed
        from azure.core.exceptions import AzureError  # pylint: disable=import-outside-toplevel

        if isinstance(exc, AzureError):
            module.fail_from(exc, action)
        raise
    return None
