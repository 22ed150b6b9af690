"""Two stand-ins that let azure.azcollection reach a custom cloud, for the benchmark's "patched" runs only.

azure.azcollection 3.12.0 resolves a custom cloud (``cloud_environment: <metadata URL>``) by calling
``azure_cloud.get_cloud_from_metadata_endpoint(url)`` (plugins/module_utils/azure_rm_common.py, line 1676), where
``azure_cloud`` is ``azure.cli.core.cloud``. That function lived in msrestazure's ``azure_cloud`` module; azure-cli-core
(2.75.0, pinned by the collection) has never had it, so every custom cloud fails with AttributeError, masked by a
second AttributeError on ``e.message`` in the handler. This file adds back the one missing function (built on
azure-cli-core's own ``_arm_to_cli_mapper``).

Past that, azure_rm_common.get_mgmt_svc_client (line 958-961) asks Entra ID for a token with the scope
``<resourceManager URL>/.default`` instead of the cloud's audience (``authentication.audiences`` in the metadata,
``endpoints.active_directory_resource_id`` in the Cloud object). In Azure public and Government the ARM host happens to be
an audience; in a custom cloud (Azure Stack Hub, this simulator) it is not, and Entra answers AADSTS500011. The second
stand-in rewrites that one scope to the audience (AZCOLLECTION_BENCH_SCOPE_MAP="<from scope>=<to scope>") in
ClientSecretCredential, so the rest of azure.azcollection can be measured unchanged.

It is installed into the benchmark's own azure.azcollection virtual environment only, and does nothing unless
AZCOLLECTION_BENCH_SHIM=1 is set: the "as shipped" runs use the same environment without it.
"""

import importlib.abc
import importlib.util
import os
import sys

CLOUD_MODULE = "azure.cli.core.cloud"
CREDENTIAL_MODULE = "azure.identity._credentials.client_secret"


def get_cloud_from_metadata_endpoint(url, name=None, session=None):
    """What msrestazure.azure_cloud.get_cloud_from_metadata_endpoint did, for both metadata formats."""
    import requests  # the collection's requirements install it; REQUESTS_CA_BUNDLE is honoured

    from azure.cli.core import cloud as cli_cloud

    if "/metadata/endpoints" not in url:
        url = url.rstrip("/") + "/metadata/endpoints?api-version=2022-09-01"
    document = (session or requests).get(url, timeout=30).json()
    if isinstance(document, dict):  # 2015-01-01 (Azure Stack) shape
        auth = document["authentication"]
        base = url.split("/metadata/endpoints")[0] + "/"
        document = [{"name": name or "custom", "resourceManager": base, "authentication": auth,
                     "graph": document.get("graphEndpoint"), "gallery": document.get("galleryEndpoint"),
                     "portal": document.get("portalEndpoint")}]
    entry = document[0]
    cloud = cli_cloud._arm_to_cli_mapper(entry)  # pylint: disable=protected-access
    if name:
        cloud.name = name
    return cloud


def _mapped(scopes):
    old, dummy, new = os.environ.get("AZCOLLECTION_BENCH_SCOPE_MAP", "").partition("=")
    return tuple(new if old and scope == old else scope for scope in scopes)


def _patch_credential(module):
    cls = module.ClientSecretCredential
    get_token, get_token_info = cls.get_token, getattr(cls, "get_token_info", None)

    def patched_get_token(self, *scopes, **kwargs):
        return get_token(self, *_mapped(scopes), **kwargs)

    cls.get_token = patched_get_token
    if get_token_info is not None:
        def patched_get_token_info(self, *scopes, **kwargs):
            return get_token_info(self, *_mapped(scopes), **kwargs)

        cls.get_token_info = patched_get_token_info


def _patch_cloud(module):
    if not hasattr(module, "get_cloud_from_metadata_endpoint"):
        module.get_cloud_from_metadata_endpoint = get_cloud_from_metadata_endpoint


PATCHES = {CLOUD_MODULE: _patch_cloud, CREDENTIAL_MODULE: _patch_credential}


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in PATCHES:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        original = spec.loader.exec_module

        def exec_module(module):
            original(module)
            PATCHES[fullname](module)

        spec.loader.exec_module = exec_module
        return spec


def install():
    if os.environ.get("AZCOLLECTION_BENCH_SHIM") == "1" and not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


install()
