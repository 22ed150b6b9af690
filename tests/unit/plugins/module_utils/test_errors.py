import json

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError, ServiceRequestError

from ansible_collections.azmove.site_recovery.plugins.module_utils import _errors as errors


class FakeResponse:
    """Just enough of azure.core.rest.HttpResponse for HttpResponseError to parse it."""

    def __init__(self, status, body, headers=None, url="https://arm.example/x"):
        self.status_code = status
        self.reason = "Reason"
        self.headers = headers or {}
        self.url = url
        self._body = json.dumps(body).encode()
        self.content_type = "application/json"
        self.request = None

    def body(self):
        return self._body

    def text(self, encoding=None):
        return self._body.decode()

    def json(self):
        return json.loads(self._body)


def test_arm_error_reaches_the_user_whole():
    body = {"error": {"code": "InvalidAuthenticationTokenAudience", "message": "wrong audience 'x'",
                      "target": "token", "details": [{"code": "Inner", "message": "more"}]}}
    exc = HttpResponseError(response=FakeResponse(401, body, {"x-ms-request-id": "rid-1"}))
    failure = errors.translate(exc)
    assert failure.code == "InvalidAuthenticationTokenAudience"
    assert failure.status == 401 and failure.request_id == "rid-1" and failure.target == "token"
    assert failure.details == [{"code": "Inner", "message": "more"}]
    text = failure.summary("recovery_vault v1")
    assert text.startswith("recovery_vault v1: InvalidAuthenticationTokenAudience: wrong audience 'x'")
    assert "HTTP 401" in text and "rid-1" in text and "Inner: more" in text


def test_site_recovery_job_id_from_the_async_operation_header():
    headers = {"Azure-AsyncOperation": "https://arm.example/subscriptions/s/resourceGroups/r/providers/"
               "Microsoft.RecoveryServices/vaults/v/replicationOperationStatus/job-42?api-version=2025-08-01"}
    exc = HttpResponseError(response=FakeResponse(400, {"error": {"code": "x", "message": "y"}}, headers))
    failure = errors.translate(exc)
    assert failure.job_id == "job-42"
    assert "job id job-42" in failure.summary()
    assert failure.to_dict()["job_id"] == "job-42"


def test_token_failure_keeps_the_aadsts_code():
    exc = ClientAuthenticationError(message="ClientSecretCredential.get_token failed: AADSTS7000215: Invalid client secret provided.")
    failure = errors.translate(exc)
    assert failure.code == "AADSTS7000215"
    assert "Microsoft Entra ID" in failure.message


def test_connection_errors_are_named():
    failure = errors.translate(ServiceRequestError("Connection refused"))
    assert failure.code == "ConnectionError" and "Connection refused" in failure.message


def test_not_found_is_a_value():
    def getter():
        raise ResourceNotFoundError(response=FakeResponse(404, {"error": {"code": "ResourceNotFound", "message": "gone"}}))

    assert errors.get_or_none(getter) is None


def test_other_errors_still_raise():
    def getter():
        raise HttpResponseError(response=FakeResponse(403, {"error": {"code": "AuthorizationFailed", "message": "no"}}))

    with pytest.raises(HttpResponseError):
        errors.get_or_none(getter)


def test_non_json_error_body():
    resp = FakeResponse(502, {})
    resp._body = b"<html>Bad Gateway</html>"
    failure = errors.translate(HttpResponseError(response=resp))
    assert failure.status == 502


@pytest.mark.parametrize("code", ["SubscriptionNotFound", "ResourceGroupNotFound", "InvalidResourceType",
                                  "NoRegisteredProviderFound", "InvalidSubscriptionId"])
def test_a_missing_subscription_or_resource_group_is_an_error_not_absent(code):
    """The SDKs raise ResourceNotFoundError for every 404: only the resource itself missing means absent."""
    def getter():
        raise ResourceNotFoundError(response=FakeResponse(404, {"error": {"code": code, "message": "no such scope"}}))

    with pytest.raises(ResourceNotFoundError):
        errors.get_or_none(getter)


@pytest.mark.parametrize("code", ["ResourceNotFound", "NotFound", "BMSUserErrorPolicyNotExist", None])
def test_the_resource_itself_missing_is_absent(code):
    body = {"error": {"code": code, "message": "gone"}} if code else {}

    def getter():
        raise ResourceNotFoundError(response=FakeResponse(404, body))

    assert errors.get_or_none(getter) is None
