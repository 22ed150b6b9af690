# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Azure clouds as data: ARM endpoint, Entra ID authority and token scope.

A cloud is either one of the well-known names or the https URL of an ARM metadata
endpoint (``/metadata/endpoints?api-version=...``), which is how Azure Stack Hub,
air-gapped clouds and ``az cloud register --endpoint-resource-manager`` describe themselves.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from ansible.module_utils.urls import open_url


class CloudError(Exception):
    """The cloud setting cannot be resolved (unknown name, unreadable metadata)."""


@dataclass(frozen=True)
class Cloud:
    name: str
    resource_manager: str
    authority_host: str
    audience: str
    tenant: str = "organizations"
    ca_bundle: str | None = None
    suffixes: dict = field(default_factory=dict, compare=False)
    custom: bool = False

    @property
    def scope(self):
        """The OAuth scope for ARM: the audience with ``/.default`` (as azure-cli builds it)."""
        return self.audience + (".default" if self.audience.endswith("/") else "/.default")

    @property
    def adfs(self):
        return self.tenant.lower() == "adfs"

    def to_dict(self):
        return {
            "name": self.name,
            "resource_manager": self.resource_manager,
            "authority_host": self.authority_host,
            "scope": self.scope,
            "custom": self.custom,
        }


# The token scope is the cloud's "active directory resource id", NOT the ARM host: for
# Government that is management.core.usgovcloudapi.net; asking for management.usgovcloudapi.net
# is what produces InvalidAuthenticationTokenAudience in other tools.
KNOWN_CLOUDS = {
    "AzureCloud": Cloud(
        name="AzureCloud",
        resource_manager="https://management.azure.com/",
        authority_host="https://login.microsoftonline.com/",
        audience="https://management.core.windows.net/",
        suffixes={"storage_endpoint": "core.windows.net", "keyvault_dns": ".vault.azure.net"},
    ),
    "AzureUSGovernment": Cloud(
        name="AzureUSGovernment",
        resource_manager="https://management.usgovcloudapi.net/",
        authority_host="https://login.microsoftonline.us/",
        audience="https://management.core.usgovcloudapi.net/",
        suffixes={"storage_endpoint": "core.usgovcloudapi.net", "keyvault_dns": ".vault.usgovcloudapi.net"},
    ),
    "AzureChinaCloud": Cloud(
        name="AzureChinaCloud",
        resource_manager="https://management.chinacloudapi.cn/",
        authority_host="https://login.chinacloudapi.cn/",
        audience="https://management.core.chinacloudapi.cn/",
        suffixes={"storage_endpoint": "core.chinacloudapi.cn", "keyvault_dns": ".vault.azure.cn"},
    ),
}

# Other spellings users bring from azure-cli, azure.azcollection and the portal.
ALIASES = {
    "azurecloud": "AzureCloud",
    "azurepubliccloud": "AzureCloud",
    "public": "AzureCloud",
    "azureusgovernment": "AzureUSGovernment",
    "azureusgovernmentcloud": "AzureUSGovernment",
    "usgovernment": "AzureUSGovernment",
    "usgov": "AzureUSGovernment",
    "government": "AzureUSGovernment",
    "azurechinacloud": "AzureChinaCloud",
    "china": "AzureChinaCloud",
}

METADATA_API_VERSION = "2022-09-01"


def known_cloud(name):
    """Return the well-known cloud for ``name`` (case-insensitive, aliases allowed) or None."""
    if not name:
        return None
    key = ALIASES.get(name.replace(" ", "").replace("_", "").lower())
    return KNOWN_CLOUDS.get(key) if key else None


def _ensure_slash(url):
    return url if url.endswith("/") else url + "/"


def _same_host(a, b):
    pa, pb = urlparse(a), urlparse(b)
    return (pa.hostname or "").lower() == (pb.hostname or "").lower() and (pa.port or 443) == (pb.port or 443)


def parse_metadata(document, metadata_url, ca_bundle=None):
    """Build a Cloud from an ARM metadata document.

    ``api-version=2022-09-01`` (and later) answers a list of clouds; the one whose
    ``resourceManager`` is the host that served the document is chosen. The Azure Stack
    flavour (``api-version=2015-01-01``) answers a single object without ``resourceManager``:
    ARM is then the host that served it.
    """
    if isinstance(document, list):
        if not document:
            raise CloudError("The metadata endpoint %s lists no cloud." % metadata_url)
        chosen = [c for c in document if isinstance(c, dict) and _same_host(c.get("resourceManager", ""), metadata_url)]
        if not chosen and len(document) == 1:
            chosen = document
        if not chosen:
            raise CloudError(
                "The metadata endpoint %s lists %d clouds and none has resourceManager on its own host; "
                "give the metadata URL of the ARM endpoint you mean." % (metadata_url, len(document))
            )
        entry = chosen[0]
        resource_manager = entry.get("resourceManager")
        name = entry.get("name") or urlparse(metadata_url).hostname
    elif isinstance(document, dict):
        entry = document
        parsed = urlparse(metadata_url)
        resource_manager = entry.get("resourceManager") or "%s://%s/" % (parsed.scheme, parsed.netloc)
        name = entry.get("name") or parsed.hostname
    else:
        raise CloudError("The metadata endpoint %s did not answer a JSON object or list." % metadata_url)

    auth = entry.get("authentication") or {}
    login = auth.get("loginEndpoint")
    audiences = auth.get("audiences") or []
    if not login or not audiences:
        raise CloudError(
            "The metadata from %s has no authentication.loginEndpoint or authentication.audiences." % metadata_url
        )
    tenant = auth.get("tenant") or "organizations"
    if (auth.get("identityProvider") or "").upper() == "ADFS":
        tenant = "adfs"
    suffixes = entry.get("suffixes") or {}
    return Cloud(
        name=name,
        resource_manager=_ensure_slash(resource_manager),
        authority_host=_ensure_slash(login),
        audience=audiences[0],
        tenant=tenant,
        ca_bundle=ca_bundle,
        suffixes={"storage_endpoint": suffixes.get("storage"), "keyvault_dns": suffixes.get("keyVaultDns")},
        custom=True,
    )


METADATA_ATTEMPTS = 4  # over about 7 s: a dropped connection or a restarting endpoint
METADATA_BACKOFF = 1.0


def fetch_metadata(url, ca_bundle=None, timeout=30, opener=open_url, sleep=time.sleep):
    """GET the metadata document over verified TLS (with the given CA bundle, if any)."""
    parsed = urlparse(url)
    if parsed.scheme != "https":
        raise CloudError("A custom cloud must be an https URL of an ARM metadata endpoint, got %r." % url)
    if not parsed.path or parsed.path == "/":
        # Only the ARM host was given (as azure-cli's --endpoint-resource-manager): add the path.
        url = "%s://%s/metadata/endpoints%s" % (parsed.scheme, parsed.netloc, "?" + parsed.query if parsed.query else "")
    if "api-version=" not in url:
        url += ("&" if "?" in url else "?") + "api-version=" + METADATA_API_VERSION
    for attempt in range(1, METADATA_ATTEMPTS + 1):
        try:
            response = opener(url, headers={"Accept": "application/json"}, timeout=timeout, validate_certs=True,
                              ca_path=ca_bundle)
            return url, json.loads(response.read().decode("utf-8"))
        except Exception as exc:  # pylint: disable=broad-except  # open_url raises many kinds; all mean "unreadable"
            status = getattr(exc, "code", None)
            # A refused connection, a timeout, throttling or a server error may pass; a 4xx answer or bad JSON will not.
            if attempt == METADATA_ATTEMPTS or isinstance(exc, ValueError) or (
                    isinstance(status, int) and 400 <= status < 500 and status not in (408, 429)):
                raise CloudError("Cannot read the cloud metadata from %s: %s" % (url, exc)) from None
            sleep(METADATA_BACKOFF * 2 ** (attempt - 1))
    return None  # not reached


def resolve_cloud(value, ca_bundle=None, fetch=fetch_metadata):
    """Turn the ``cloud`` setting into a Cloud: a known name, or an https metadata URL."""
    if value is None or value == "":
        value = "AzureCloud"
    cloud = known_cloud(value)
    if cloud is not None:
        if ca_bundle:
            cloud = Cloud(**{**cloud.__dict__, "ca_bundle": ca_bundle})
        return cloud
    if value.lower().startswith("https://"):
        url, document = fetch(value, ca_bundle=ca_bundle)
        return parse_metadata(document, url, ca_bundle=ca_bundle)
    if value.lower().startswith("http://"):
        raise CloudError("A custom cloud's metadata endpoint must use https, got %r." % value)
    raise CloudError(
        "Unknown cloud %r: use AzureCloud, AzureUSGovernment, AzureChinaCloud, or the https URL of an "
        "ARM metadata endpoint (https://<arm-host>/metadata/endpoints?api-version=%s)." % (value, METADATA_API_VERSION)
    )


def normalize_location(name):
    """ARM's spelling of a region: 'US Gov Virginia', 'usgov-virginia' and 'usgovvirginia' are the same."""
    return re.sub(r"[\s_-]", "", name or "").lower()


def location_problem(value, offered, option, where):
    """Why ``value`` is not one of the ``offered`` locations (ARM's subscriptions/{id}/locations entries, each
    with name and displayName) of ``where`` (a cloud and subscription, in words), or None."""
    names = {normalize_location(entry.get(key)) for entry in offered for key in ("name", "displayName")} - {""}
    if not names or normalize_location(value) in names:
        return None
    return ("%s %r is not a region of %s; its regions are: %s."
            % (option, value, where, ", ".join(sorted(entry.get("name") for entry in offered if entry.get("name")))))
