# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Site Recovery requests the modules send through azure-mgmt-core (module_utils/_recovery_rest.SiteRecoveryClient)
are the requests azure-mgmt-recoveryservicessiterecovery 2.0 sends for the same calls: method, URL (api version and
$filter included) and body, operation by operation; and an action started without polling hands its job's headers
to the caller's hook, as the SDK's begin_* do.

The SDK is a development requirement (the simulator's strict mode checks bodies against its models), not a runtime
one: the collection no longer needs it, so that it can share an environment with azure.azcollection's pins."""

import json

import pytest

import azure.mgmt.recoveryservicessiterecovery as sdk  # a development requirement: never skipped
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.pipeline.transport import HttpTransport

from ansible_collections.azmove.site_recovery.plugins.module_utils import _recovery_rest as rest

BODY = {"properties": {"providerSpecificDetails": {"instanceType": "InMageRcm"}}}
# (operation group, method, the names below the vault and the body): every Site Recovery call the modules make.
CALLS = [
    ("replication_fabrics", "list", ()),
    ("replication_fabrics", "get", ("F",)),
    ("replication_fabrics", "begin_delete", ("F",)),
    ("replication_protection_containers", "list_by_replication_fabrics", ("F",)),
    ("replication_protection_containers", "get", ("F", "C")),
    ("replication_protection_containers", "begin_discover_protectable_item", ("F", "C", BODY)),
    ("replication_protectable_items", "list_by_replication_protection_containers", ("F", "C")),
    ("replication_protected_items", "list", ()),
    ("replication_protected_items", "list_by_replication_protection_containers", ("F", "C")),
    ("replication_protected_items", "get", ("F", "C", "vm one")),
    ("replication_protected_items", "begin_create", ("F", "C", "I", BODY)),
    ("replication_protected_items", "begin_update", ("F", "C", "I", BODY)),
    ("replication_protected_items", "begin_delete", ("F", "C", "I", BODY)),
    ("replication_protected_items", "begin_unplanned_failover", ("F", "C", "I", BODY)),
    ("replication_protected_items", "begin_failover_commit", ("F", "C", "I")),
    ("replication_protected_items", "begin_test_failover", ("F", "C", "I", BODY)),
    ("replication_protected_items", "begin_test_failover_cleanup", ("F", "C", "I", BODY)),
    ("recovery_points", "list_by_replication_protected_items", ("F", "C", "I")),
    ("replication_jobs", "list", ()),
    ("replication_jobs", "get", ("J",)),
    ("replication_policies", "list", ()),
    ("replication_policies", "get", ("P",)),
    ("replication_policies", "begin_create", ("P", BODY)),
    ("replication_policies", "begin_update", ("P", BODY)),
    ("replication_policies", "begin_delete", ("P",)),
    ("replication_protection_container_mappings", "list", ()),
    ("replication_protection_container_mappings", "list_by_replication_protection_containers", ("F", "C")),
    ("replication_protection_container_mappings", "begin_create", ("F", "C", "M", BODY)),
    ("replication_protection_container_mappings", "begin_delete", ("F", "C", "M", BODY)),
    ("replication_recovery_services_providers", "list_by_replication_fabrics", ("F",)),
    ("replication_recovery_services_providers", "begin_refresh_provider", ("F", "P")),
]
JOBS_FILTER = "StartTime eq '2026-12-01T00:00:00Z' and EndTime eq '2026-12-05T00:00:00Z'"


class Credential:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("token", 4102444800)

    def get_token_info(self, *scopes, **kwargs):
        return AccessTokenInfo("token", 4102444800)


class Sent(Exception):
    pass


class Recorder(HttpTransport):
    """Records the first request and stops there: what was sent is what is compared."""

    def __init__(self):
        self.sent = []

    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send(self, request, **kwargs):
        content = request.content
        if isinstance(content, (bytes, str)) and content:
            content = json.loads(content)
        self.sent.append((request.method, request.url, content or None))
        raise Sent()


def first_request(client, group, method, names):
    kwargs = {"filter": JOBS_FILTER} if (group, method) == ("replication_jobs", "list") else {}
    if method.startswith("begin_"):
        kwargs["polling"] = False
    try:
        answer = getattr(getattr(client, group), method)("rg-landing", "rsv move", *names, **kwargs)
        list(answer)  # a pager sends its first request when it is read
    except Sent:
        pass
    return client._transport_under_test.sent[-1]  # pylint: disable=protected-access


def make(cls):
    transport = Recorder()
    client = cls(Credential(), "00000000-0000-0000-0000-000000000001", base_url="https://management.example",
                 credential_scopes=["https://management.example/.default"], transport=transport, retry_total=0)
    client._transport_under_test = transport  # pylint: disable=protected-access
    return client


@pytest.mark.parametrize("group, method, names", CALLS, ids=["%s.%s" % c[:2] for c in CALLS])
def test_each_request_is_the_one_the_site_recovery_sdk_sends(group, method, names):
    ours = first_request(make(rest.SiteRecoveryClient), group, method, names)
    theirs = first_request(make(sdk.SiteRecoveryManagementClient), group, method, names)
    assert ours == theirs
    assert "api-version=%s" % rest.SITE_RECOVERY_API in ours[1]


def test_every_call_the_modules_make_is_compared():
    """The calls above are the ones the plugins name (a new one must be added here to be checked)."""
    import re
    from pathlib import Path

    root = Path(rest.__file__).resolve().parents[1]
    named = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"\"(begin_(?:delete|create|update|discover_protectable_item|unplanned_failover|"
                                r"failover_commit|test_failover|test_failover_cleanup|refresh_provider)|"
                                r"list_by_replication_[a-z_]+)\"", text))
    assert named <= {method for _group, method, _names in CALLS}, named


def test_an_action_started_without_polling_gives_its_job_headers_to_the_hook():
    class Accepted(Recorder):
        def send(self, request, **kwargs):
            import requests  # pylint: disable=import-outside-toplevel
            from azure.core.pipeline.transport import RequestsTransportResponse  # pylint: disable=import-outside-toplevel

            raw = requests.Response()
            raw.status_code = 202
            raw.headers["Azure-AsyncOperation"] = "https://management.example/x/replicationOperationStatus/job-1"
            raw.headers["Location"] = "https://management.example/x/operationResults/job-1"
            raw._content = b""  # pylint: disable=protected-access
            return RequestsTransportResponse(request, raw)

    client = rest.SiteRecoveryClient(Credential(), "00000000-0000-0000-0000-000000000001",
                                     base_url="https://management.example",
                                     credential_scopes=["https://management.example/.default"], transport=Accepted(),
                                     retry_total=0)
    seen = []
    poller = client.replication_protected_items.begin_failover_commit(
        "rg", "rsv", "F", "C", "I", polling=False,
        raw_response_hook=lambda response: seen.append(dict(response.http_response.headers)))
    assert poller.done()
    assert seen and seen[0]["Azure-AsyncOperation"].endswith("/replicationOperationStatus/job-1")


def test_a_wrong_number_of_names_is_refused_before_any_request():
    client = make(rest.SiteRecoveryClient)
    with pytest.raises(TypeError):
        client.replication_protected_items.get("rg", "rsv", "F", "C")
    with pytest.raises(AttributeError):
        client.replication_policies.begin_test_failover  # pylint: disable=pointless-statement
    assert client._transport_under_test.sent == []  # pylint: disable=protected-access
