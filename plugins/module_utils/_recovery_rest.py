# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The Recovery Services vault and Azure Backup operations the modules use, sent over ARM's REST API through
azure-mgmt-core's pipeline instead of the Recovery Services and Azure Backup management SDKs, which the collection
does not require.

azure.azcollection pins those two SDKs to 3.0.0 and 9.1.0, whose models (msrest) and namespaces differ from the
versions this collection was written against; sending these few requests ourselves, with the api versions the
collection is tested with, lets both collections share one environment whatever SDK versions it holds. The objects
below keep the SDKs' operation names and signatures and answer ARM's JSON (camelCase dicts), which the callers read."""

from __future__ import annotations

import json
from urllib.parse import quote

# The api versions the modules were tested with (the defaults of the vault SDK 4.3 and the Azure Backup SDK 11.2).
VAULTS_API = "2026-11-01"
BACKUP_API = "2026-10-01"
LRO_DELAY = 30  # seconds between polls when ARM sends no Retry-After (the SDKs' default)


def pipeline_client(credential, base_url, credential_scopes, **kwargs):
    """An ARMPipelineClient with the policies the generated SDK clients use (retry, ARM challenge auth, RP
    registration, logging), configured by the same keyword arguments (user_agent, retry_*, transport, ...)."""
    from azure.core.pipeline import policies  # pylint: disable=import-outside-toplevel
    from azure.mgmt.core import ARMPipelineClient  # pylint: disable=import-outside-toplevel
    from azure.mgmt.core.policies import (  # pylint: disable=import-outside-toplevel
        ARMAutoResourceProviderRegistrationPolicy, ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy)

    kwargs.setdefault("sdk_moniker", "azmove-site-recovery-rest")
    chain = [
        policies.RequestIdPolicy(**kwargs),
        policies.HeadersPolicy(**kwargs),
        policies.UserAgentPolicy(**kwargs),
        policies.ProxyPolicy(**kwargs),
        policies.ContentDecodePolicy(**kwargs),
        ARMAutoResourceProviderRegistrationPolicy(),
        policies.RedirectPolicy(**kwargs),
        policies.RetryPolicy(**kwargs),
        ARMChallengeAuthenticationPolicy(credential, *credential_scopes, **kwargs),
        policies.CustomHookPolicy(**kwargs),
        policies.NetworkTraceLoggingPolicy(**kwargs),
        policies.DistributedTracingPolicy(**kwargs),
        ARMHttpLoggingPolicy(**kwargs),
    ]
    return ARMPipelineClient(base_url=base_url, policies=chain, **kwargs)


class ArmRest:
    """GET/PUT/PATCH/POST/DELETE of ARM paths with one api version; errors raised as the SDKs raise them."""

    QUERY_SAFE = "'"  # what a query value keeps unescaped (as the SDK whose requests these are)

    def __init__(self, credential, subscription_id, api_version, base_url=None, credential_scopes=None, **kwargs):
        self.subscription_id = subscription_id
        self.api_version = api_version
        self.client = pipeline_client(credential, base_url, credential_scopes or [], **kwargs)

    def send_request(self, request, **kwargs):
        """As the SDK clients' send_request: a path relative to the cloud's ARM endpoint is made absolute."""
        request.url = self.client.format_url(request.url)
        return self.client.send_request(request, **kwargs)

    def path(self, resource_group, *parts):
        """/subscriptions/.../resourceGroups/{rg}/providers/Microsoft.RecoveryServices/vaults/{parts...}"""
        base = "/subscriptions/%s" % quote(self.subscription_id, safe="")
        if resource_group is not None:
            base += "/resourceGroups/%s" % quote(resource_group, safe="")
        return base + "/providers/Microsoft.RecoveryServices/vaults" + "".join("/" + quote(p, safe="") for p in parts)

    def url(self, path, query=None):
        params = {"api-version": self.api_version}
        params.update({k: v for k, v in (query or {}).items() if v is not None})
        return path + "?" + "&".join("%s=%s" % (k, quote(str(v), safe=self.QUERY_SAFE)) for k, v in params.items())

    def send(self, method, url, body=None):
        """The response (body read); an error status raises HttpResponseError or its 401/404/409 kinds."""
        from azure.core.exceptions import (  # pylint: disable=import-outside-toplevel
            ClientAuthenticationError, HttpResponseError, ResourceExistsError, ResourceNotFoundError, map_error)
        from azure.core.rest import HttpRequest  # pylint: disable=import-outside-toplevel
        from azure.mgmt.core.exceptions import ARMErrorFormat  # pylint: disable=import-outside-toplevel

        headers = {"Accept": "application/json"}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = json.dumps(body)
        response = self.send_request(HttpRequest(method, url, headers=headers, content=content))
        if response.status_code >= 400:
            map_error(status_code=response.status_code, response=response,
                      error_map={401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError})
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        return response

    def call(self, method, path, body=None, query=None, cls=None):
        """ARM's JSON answer (None without a body); ``cls`` as in the SDKs: cls(pipeline_response, body, {})."""
        response = self.send(method, self.url(path, query), body)
        doc = _json(response)
        if cls is not None:
            from azure.core.pipeline import PipelineContext, PipelineResponse  # pylint: disable=import-outside-toplevel
            return cls(PipelineResponse(response.request, response, PipelineContext(None)), doc, {})
        return doc

    def pages(self, path, query=None):
        """Every entry of a list, following nextLink."""
        url, seen = self.url(path, query), set()
        while url and url not in seen:
            seen.add(url)  # a service that hands back the same link would otherwise loop for ever
            page = _json(self.send("GET", url)) or {}
            for entry in page.get("value") or []:
                yield ArmDoc(entry) if isinstance(entry, dict) else entry
            url = page.get("nextLink")

    def begin(self, method, path, body=None, polling=True, raw_response_hook=None):
        """A long-running operation as the SDKs' begin_* give it: an azure-core LROPoller with ARM polling, whose
        result is the resource's JSON (None for a delete). As in the SDKs, ``polling=False`` sends only the first
        request, and ``raw_response_hook`` is called with its pipeline response (whose headers name the job)."""
        from azure.core.pipeline import PipelineContext, PipelineResponse  # pylint: disable=import-outside-toplevel
        from azure.core.polling import LROPoller, NoPolling  # pylint: disable=import-outside-toplevel
        from azure.mgmt.core.polling.arm_polling import ARMPolling  # pylint: disable=import-outside-toplevel

        response = self.send(method, self.url(path), body)
        initial = PipelineResponse(response.request, response, PipelineContext(None))
        if raw_response_hook is not None:
            raw_response_hook(initial)

        def output(pipeline_response):
            return None if method == "DELETE" else _json(pipeline_response.http_response)

        return LROPoller(self.client, initial, output, ARMPolling(LRO_DELAY) if polling else NoPolling())


class ArmDoc(dict):
    """ARM's JSON for one resource, readable as the SDK models are: doc["name"], doc.name (top-level keys) and
    doc.as_dict(), so callers written for the SDK clients keep working."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def as_dict(self):
        return dict(self)


def _json(response):
    text = response.text() if callable(getattr(response, "text", None)) else response.text
    doc = json.loads(text) if text and text.strip() else None
    return ArmDoc(doc) if isinstance(doc, dict) else doc


class _Operations:
    def __init__(self, rest):
        self.rest = rest


class _Vaults(_Operations):
    def get(self, resource_group_name, vault_name):
        return self.rest.call("GET", self.rest.path(resource_group_name, vault_name))

    def begin_create_or_update(self, resource_group_name, vault_name, vault):
        return self.rest.begin("PUT", self.rest.path(resource_group_name, vault_name), vault)

    def begin_update(self, resource_group_name, vault_name, vault):
        return self.rest.begin("PATCH", self.rest.path(resource_group_name, vault_name), vault)

    def begin_delete(self, resource_group_name, vault_name):
        return self.rest.begin("DELETE", self.rest.path(resource_group_name, vault_name))

    def list_by_resource_group(self, resource_group_name):
        return self.rest.pages(self.rest.path(resource_group_name))

    def list_by_subscription_id(self):
        return self.rest.pages(self.rest.path(None))


class _VaultExtendedInfo(_Operations):
    def get(self, resource_group_name, vault_name):
        return self.rest.call("GET", self.rest.path(resource_group_name, vault_name, "extendedInformation",
                                                    "vaultExtendedInfo"))

    def create_or_update(self, resource_group_name, vault_name, resource_extended_info_details):
        return self.rest.call("PUT", self.rest.path(resource_group_name, vault_name, "extendedInformation",
                                                    "vaultExtendedInfo"), resource_extended_info_details)


class _VaultCertificates(_Operations):
    def create(self, resource_group_name, vault_name, certificate_name, certificate_request):
        return self.rest.call("PUT", self.rest.path(resource_group_name, vault_name, "certificates", certificate_name),
                              certificate_request)


class RecoveryServicesClient(ArmRest):
    """What the modules use of the vault SDK's RecoveryServicesClient (Microsoft.RecoveryServices/vaults)."""

    def __init__(self, credential, subscription_id, **kwargs):
        super().__init__(credential, subscription_id, VAULTS_API, **kwargs)
        self.vaults = _Vaults(self)
        self.vault_extended_info = _VaultExtendedInfo(self)
        self.vault_certificates = _VaultCertificates(self)


# -- Azure Backup (vaults/{vault}/backup*): the SDK's backup operations take (vault_name, resource_group_name, ...) --

def _item(rest, vault_name, resource_group_name, fabric_name, container_name, protected_item_name, *more):
    return rest.path(resource_group_name, vault_name, "backupFabrics", fabric_name, "protectionContainers",
                     container_name, "protectedItems", protected_item_name, *more)


class _ProtectedItemsList(_Operations):
    def list(self, vault_name, resource_group_name, filter=None, skip_token=None):  # pylint: disable=redefined-builtin
        return self.rest.pages(self.rest.path(resource_group_name, vault_name, "backupProtectedItems"),
                               {"$filter": filter, "$skipToken": skip_token})


class _ProtectableItems(_Operations):
    def list(self, vault_name, resource_group_name, filter=None, skip_token=None):  # pylint: disable=redefined-builtin
        return self.rest.pages(self.rest.path(resource_group_name, vault_name, "backupProtectableItems"),
                               {"$filter": filter, "$skipToken": skip_token})


class _ProtectionPolicies(_Operations):
    def get(self, vault_name, resource_group_name, policy_name):
        return self.rest.call("GET", self.rest.path(resource_group_name, vault_name, "backupPolicies", policy_name))

    def create_or_update(self, vault_name, resource_group_name, policy_name, parameters):
        return self.rest.call("PUT", self.rest.path(resource_group_name, vault_name, "backupPolicies", policy_name),
                              parameters)


class _RecoveryPoints(_Operations):
    def list(self, vault_name, resource_group_name, fabric_name, container_name, protected_item_name,
             filter=None):  # pylint: disable=redefined-builtin
        return self.rest.pages(_item(self.rest, vault_name, resource_group_name, fabric_name, container_name,
                                     protected_item_name, "recoveryPoints"), {"$filter": filter})


class _ProtectedItems(_Operations):
    def begin_create_or_update(self, vault_name, resource_group_name, fabric_name, container_name, protected_item_name,
                               parameters):
        return self.rest.begin("PUT", _item(self.rest, vault_name, resource_group_name, fabric_name, container_name,
                                            protected_item_name), parameters)

    def delete(self, vault_name, resource_group_name, fabric_name, container_name, protected_item_name, cls=None):
        return self.rest.call("DELETE", _item(self.rest, vault_name, resource_group_name, fabric_name, container_name,
                                              protected_item_name), cls=cls)


class _ProtectionContainers(_Operations):
    def refresh(self, vault_name, resource_group_name, fabric_name, filter=None, cls=None):  # pylint: disable=redefined-builtin
        return self.rest.call("POST", self.rest.path(resource_group_name, vault_name, "backupFabrics", fabric_name,
                                                     "refreshContainers"), query={"$filter": filter}, cls=cls)


class _RefreshResults(_Operations):
    def get(self, vault_name, resource_group_name, fabric_name, operation_id, cls=None):
        return self.rest.call("GET", self.rest.path(resource_group_name, vault_name, "backupFabrics", fabric_name,
                                                    "operationResults", operation_id), cls=cls)


class _OperationStatuses(_Operations):
    def get(self, vault_name, resource_group_name, operation_id):
        return self.rest.call("GET", self.rest.path(resource_group_name, vault_name, "backupOperations", operation_id))


class _VaultConfigs(_Operations):
    def get(self, vault_name, resource_group_name):
        return self.rest.call("GET", self.rest.path(resource_group_name, vault_name, "backupconfig", "vaultconfig"))

    def update(self, vault_name, resource_group_name, parameters):
        return self.rest.call("PATCH", self.rest.path(resource_group_name, vault_name, "backupconfig", "vaultconfig"),
                              parameters)


class _StorageConfigs(_Operations):
    def get(self, vault_name, resource_group_name):
        return self.rest.call("GET", self.rest.path(resource_group_name, vault_name, "backupstorageconfig",
                                                    "vaultstorageconfig"))

    def patch(self, vault_name, resource_group_name, parameters):
        return self.rest.call("PATCH", self.rest.path(resource_group_name, vault_name, "backupstorageconfig",
                                                      "vaultstorageconfig"), parameters)


class RecoveryServicesBackupClient(ArmRest):
    """What the modules use of the Azure Backup SDK's RecoveryServicesBackupClient, with its operation names."""

    def __init__(self, credential, subscription_id, **kwargs):
        super().__init__(credential, subscription_id, BACKUP_API, **kwargs)
        self.backup_protected_items = _ProtectedItemsList(self)
        self.backup_protectable_items = _ProtectableItems(self)
        self.protection_policies = _ProtectionPolicies(self)
        self.recovery_points = _RecoveryPoints(self)
        self.protected_items = _ProtectedItems(self)
        self.protection_containers = _ProtectionContainers(self)
        self.protection_container_refresh_operation_results = _RefreshResults(self)
        self.backup_operation_statuses = _OperationStatuses(self)
        self.backup_resource_vault_configs = _VaultConfigs(self)
        self.backup_resource_storage_configs_non_crr = _StorageConfigs(self)


# -- Site Recovery (vaults/{vault}/replication*): the operations of the Site Recovery SDK 2.0 (the Python SDK), whose
# every call takes (resource_group_name, vault_name, <the names of the path below the vault>, [body]). Each request is
# the one that SDK sends (method, path and api version; the collection's unit tests compare them with the SDK's
# where it is installed). The SDK needs azure-mgmt-core 1.6 or later, which azure.azcollection's pin
# (1.4.0) is not: sending them ourselves is what lets the two collections share one environment.

SITE_RECOVERY_API = "2025-08-01"  # the SDK 2.0's default, the API version the modules are tested with


class _SiteRecoveryOperations(_Operations):
    """One operation group: ``CHAIN`` is the collection segments from the vault down to this resource type;
    ``REMOVE`` says that begin_delete is POST .../remove (the SDK's name for it), not DELETE."""

    CHAIN = ()
    REMOVE = False
    ACTIONS = {}  # begin_<method> -> the POST action below the resource (begin_test_failover -> testFailover)

    def _path(self, resource_group_name, vault_name, names, whole=True):
        if whole and len(names) != len(self.CHAIN) or len(names) > len(self.CHAIN):
            raise TypeError("%s takes %d names below the vault, not %d"
                            % (type(self).__name__, len(self.CHAIN), len(names)))
        parts = []
        for segment, name in zip(self.CHAIN, names):
            parts += [segment, name]
        if len(names) < len(self.CHAIN):
            parts.append(self.CHAIN[len(names)])
        return self.rest.path(resource_group_name, vault_name, *parts)

    def get(self, resource_group_name, vault_name, *names):
        return self.rest.call("GET", self._path(resource_group_name, vault_name, names))

    def list(self, resource_group_name, vault_name, filter=None):  # pylint: disable=redefined-builtin
        """Every one in the vault (GET vaults/{vault}/<collection>), across its fabrics and containers."""
        return self.rest.pages(self.rest.path(resource_group_name, vault_name, self.CHAIN[-1]), {"$filter": filter})

    def _list_below(self, resource_group_name, vault_name, *parents):
        return self.rest.pages(self._path(resource_group_name, vault_name, parents, whole=False))

    def _begin(self, method, resource_group_name, vault_name, names, body=None, action=None, **kwargs):
        path = self._path(resource_group_name, vault_name, names)
        if action:
            path += "/" + action
        return self.rest.begin(method, path, body, **kwargs)

    def begin_create(self, resource_group_name, vault_name, *args, **kwargs):
        return self._begin("PUT", resource_group_name, vault_name, args[:-1], args[-1], **kwargs)

    def begin_update(self, resource_group_name, vault_name, *args, **kwargs):
        return self._begin("PATCH", resource_group_name, vault_name, args[:-1], args[-1], **kwargs)

    def begin_delete(self, resource_group_name, vault_name, *args, **kwargs):
        if self.REMOVE:  # POST .../remove, with a body where the SDK takes one
            names, body = (args[:-1], args[-1]) if len(args) > len(self.CHAIN) else (args, None)
            return self._begin("POST", resource_group_name, vault_name, names, body, action="remove", **kwargs)
        return self._begin("DELETE", resource_group_name, vault_name, args, **kwargs)

    def __getattr__(self, method):
        action = type(self).ACTIONS.get(method)
        if action is None:
            raise AttributeError(method)

        def begin(resource_group_name, vault_name, *args, **kwargs):
            names, body = (args[:-1], args[-1]) if len(args) > len(self.CHAIN) else (args, None)
            return self._begin("POST", resource_group_name, vault_name, names, body, action=action, **kwargs)

        return begin


_FABRICS = ("replicationFabrics",)
_CONTAINERS = _FABRICS + ("replicationProtectionContainers",)


class _Fabrics(_SiteRecoveryOperations):
    CHAIN = _FABRICS
    REMOVE = True


class _ProtectionContainersSr(_SiteRecoveryOperations):
    CHAIN = _CONTAINERS
    ACTIONS = {"begin_discover_protectable_item": "discoverProtectableItem"}

    def list_by_replication_fabrics(self, resource_group_name, vault_name, fabric_name):
        return self._list_below(resource_group_name, vault_name, fabric_name)


class _BelowContainers(_SiteRecoveryOperations):
    def list_by_replication_protection_containers(self, resource_group_name, vault_name, fabric_name, container_name):
        return self._list_below(resource_group_name, vault_name, fabric_name, container_name)


class _ProtectableItemsSr(_BelowContainers):
    CHAIN = _CONTAINERS + ("replicationProtectableItems",)


class _ReplicationProtectedItems(_BelowContainers):
    CHAIN = _CONTAINERS + ("replicationProtectedItems",)
    REMOVE = True
    ACTIONS = {"begin_unplanned_failover": "unplannedFailover", "begin_failover_commit": "failoverCommit",
               "begin_test_failover": "testFailover", "begin_test_failover_cleanup": "testFailoverCleanup"}


class _ContainerMappings(_BelowContainers):
    CHAIN = _CONTAINERS + ("replicationProtectionContainerMappings",)
    REMOVE = True


class _RecoveryPointsSr(_SiteRecoveryOperations):
    CHAIN = _CONTAINERS + ("replicationProtectedItems", "recoveryPoints")

    def list_by_replication_protected_items(self, resource_group_name, vault_name, fabric_name, container_name,
                                            protected_item_name):
        return self._list_below(resource_group_name, vault_name, fabric_name, container_name, protected_item_name)


class _Providers(_SiteRecoveryOperations):
    CHAIN = _FABRICS + ("replicationRecoveryServicesProviders",)
    ACTIONS = {"begin_refresh_provider": "refreshProvider"}

    def list_by_replication_fabrics(self, resource_group_name, vault_name, fabric_name):
        return self._list_below(resource_group_name, vault_name, fabric_name)


class _Jobs(_SiteRecoveryOperations):
    CHAIN = ("replicationJobs",)


class _Policies(_SiteRecoveryOperations):
    CHAIN = ("replicationPolicies",)


class SiteRecoveryClient(ArmRest):
    """What the modules use of the Site Recovery SDK's SiteRecoveryManagementClient, with its
    operation names and signatures, answering ARM's JSON."""

    QUERY_SAFE = ""  # the SDK escapes the quotes of a $filter too

    def __init__(self, credential, subscription_id, **kwargs):
        super().__init__(credential, subscription_id, SITE_RECOVERY_API, **kwargs)
        self.replication_fabrics = _Fabrics(self)
        self.replication_protection_containers = _ProtectionContainersSr(self)
        self.replication_protectable_items = _ProtectableItemsSr(self)
        self.replication_protected_items = _ReplicationProtectedItems(self)
        self.replication_protection_container_mappings = _ContainerMappings(self)
        self.recovery_points = _RecoveryPointsSr(self)
        self.replication_recovery_services_providers = _Providers(self)
        self.replication_jobs = _Jobs(self)
        self.replication_policies = _Policies(self)
