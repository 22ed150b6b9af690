# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""SDK errors translated once: the user always sees ARM's code, message, target, details,
the request id and, for Site Recovery, the job id. "Not found" is a value (None), not an
exception every module has to catch."""

from __future__ import annotations

import functools
import re

# Site Recovery answers 202 with an Azure-AsyncOperation URL that names the job.
_JOB_RE = re.compile(r"/(?:replicationJobs|replicationOperationStatus|operationresults)/([^/?]+)", re.IGNORECASE)
NOT_FOUND_CODES = {"ResourceNotFound", "NotFound"}
# A 404 (or 400) with one of these codes says the scope the resource was looked up in is wrong or missing
# (subscription, resource group, provider, type, access), not that the resource is absent: treating it as
# "absent" once made recovery_vault send a PUT to a subscription that does not exist. These are errors.
SCOPE_ERROR_CODES = {
    "SubscriptionNotFound", "ResourceGroupNotFound", "InvalidSubscriptionId", "InvalidResourceType",
    "InvalidResourceNamespace", "NoRegisteredProviderFound", "MissingSubscriptionRegistration",
    "AuthorizationFailed", "LinkedAuthorizationFailed", "InvalidAuthenticationToken", "InvalidApiVersionParameter",
}


class AzureFailure(Exception):
    """A failure with everything the user needs to act on it."""

    def __init__(self, message, code=None, status=None, target=None, details=None, request_id=None, job_id=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.target = target
        self.details = details or []
        self.request_id = request_id
        self.job_id = job_id

    def to_dict(self):
        data = {"code": self.code, "message": self.message, "status": self.status}
        for key in ("target", "request_id", "job_id"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.details:
            data["details"] = self.details
        return data

    def summary(self, action=None):
        head = "%s: " % action if action else ""
        text = "%s%s%s" % (head, "%s: " % self.code if self.code else "", self.message)
        extra = []
        if self.status:
            extra.append("HTTP %s" % self.status)
        if self.target:
            extra.append("target %s" % self.target)
        if self.job_id:
            extra.append("job id %s" % self.job_id)
        if self.request_id:
            extra.append("request id %s" % self.request_id)
        if extra:
            text += " (%s)" % ", ".join(extra)
        for detail in self.details:
            if isinstance(detail, dict) and detail.get("message"):
                text += "; %s%s" % ("%s: " % detail["code"] if detail.get("code") else "", detail["message"])
        return text


def _details(error):
    out = []
    for item in getattr(error, "details", None) or []:
        if isinstance(item, dict):
            out.append({k: item.get(k) for k in ("code", "message", "target") if item.get(k)})
        else:
            out.append({k: getattr(item, k, None) for k in ("code", "message", "target") if getattr(item, k, None)})
    return out


def _job_id(response):
    if response is None:
        return None
    headers = getattr(response, "headers", None) or {}
    for candidate in (headers.get("Azure-AsyncOperation"), headers.get("Location"), getattr(response, "url", None)):
        if candidate:
            match = _JOB_RE.search(candidate)
            if match:
                return match.group(1)
    return None


def translate(exc):
    """Turn any exception from azure-core, azure-identity or the SDKs into an AzureFailure."""
    if isinstance(exc, AzureFailure):
        return exc
    try:
        from azure.core import exceptions as core  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover - the client layer imports it first
        core = None

    if core is not None and isinstance(exc, core.ClientAuthenticationError) and getattr(exc, "response", None) is None:
        # azure-identity: the token request failed. Its message carries the AADSTS code and
        # never the secret.
        message = str(getattr(exc, "message", None) or exc)
        match = re.search(r"AADSTS(\d+)", message)
        return AzureFailure(
            "Could not get a token from Microsoft Entra ID: %s" % message,
            code="AADSTS%s" % match.group(1) if match else "AuthenticationFailed",
        )

    if core is not None and isinstance(exc, core.HttpResponseError):
        response = getattr(exc, "response", None)
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None)
        message = getattr(error, "message", None)
        if not code or not message:
            parsed = _parse_body(response)
            code = code or parsed.get("code")
            message = message or parsed.get("message")
        headers = getattr(response, "headers", None) or {}
        return AzureFailure(
            message or getattr(exc, "reason", None) or str(exc),
            code=code or getattr(exc, "reason", None),
            status=getattr(exc, "status_code", None),
            target=getattr(error, "target", None),
            details=_details(error),
            request_id=headers.get("x-ms-request-id"),
            job_id=_job_id(response),
        )

    if core is not None and isinstance(exc, (core.ServiceRequestError, core.ServiceResponseError)):
        return AzureFailure("Could not reach Azure: %s" % exc, code="ConnectionError")

    return AzureFailure(str(exc) or exc.__class__.__name__, code=exc.__class__.__name__)


def _parse_body(response):
    if response is None:
        return {}
    try:
        body = response.json()
    except Exception:  # pylint: disable=broad-except  # a non-JSON error body is still an error
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return error
    return body if isinstance(body, dict) else {}


def is_not_found(exc):
    """True when Azure says the resource itself does not exist (a 404 without a scope error code).

    The SDKs raise ResourceNotFoundError for every 404, whatever its code, so the code decides: a missing
    subscription or resource group (SCOPE_ERROR_CODES) is an error, not an absent resource."""
    from azure.core.exceptions import ResourceNotFoundError  # pylint: disable=import-outside-toplevel

    failure = translate(exc)
    if failure.code in SCOPE_ERROR_CODES:
        return False
    return isinstance(exc, ResourceNotFoundError) or failure.status == 404 or failure.code in NOT_FOUND_CODES


def none_if_not_found(func):
    """Decorate a reader so that a 404 becomes None (and every other error propagates)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:  # pylint: disable=broad-except  # re-raised unless 404
            if _is_http_error(exc) and is_not_found(exc):
                return None
            raise

    return wrapper


def get_or_none(call, *args, **kwargs):
    """Call an SDK getter; answer None when the resource does not exist."""
    return none_if_not_found(call)(*args, **kwargs)


def _is_http_error(exc):
    try:
        from azure.core.exceptions import HttpResponseError  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, HttpResponseError)
