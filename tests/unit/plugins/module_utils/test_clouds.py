import json

import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _clouds as clouds


@pytest.mark.parametrize(
    "name, arm, authority, scope",
    [
        ("AzureCloud", "https://management.azure.com/", "https://login.microsoftonline.com/",
         "https://management.core.windows.net/.default"),
        ("AzureUSGovernment", "https://management.usgovcloudapi.net/", "https://login.microsoftonline.us/",
         "https://management.core.usgovcloudapi.net/.default"),
        ("AzureChinaCloud", "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn/",
         "https://management.core.chinacloudapi.cn/.default"),
    ],
)
def test_known_clouds_are_data(name, arm, authority, scope):
    cloud = clouds.resolve_cloud(name)
    assert (cloud.resource_manager, cloud.authority_host, cloud.scope) == (arm, authority, scope)
    assert not cloud.custom


def test_government_scope_is_not_the_arm_host():
    gov = clouds.resolve_cloud("AzureUSGovernment")
    # The InvalidAuthenticationTokenAudience trap: the scope is management.CORE.usgovcloudapi.net.
    assert gov.scope == "https://management.core.usgovcloudapi.net/.default"
    assert "management.usgovcloudapi.net/.default" not in gov.scope.replace("core.", "X")


@pytest.mark.parametrize("alias", ["azureusgovernment", "AzureUSGovernment", "usgov", "Azure US Government"])
def test_aliases(alias):
    assert clouds.resolve_cloud(alias).name == "AzureUSGovernment"


def test_default_is_public_and_ca_bundle_is_kept():
    cloud = clouds.resolve_cloud(None, ca_bundle="/tmp/ca.pem")
    assert cloud.name == "AzureCloud" and cloud.ca_bundle == "/tmp/ca.pem"


def test_unknown_name_says_what_is_allowed():
    with pytest.raises(clouds.CloudError, match="AzureUSGovernment.*metadata"):
        clouds.resolve_cloud("AzureGermanCloud2")


def test_plain_http_metadata_is_refused():
    with pytest.raises(clouds.CloudError, match="https"):
        clouds.resolve_cloud("http://arm.local/metadata/endpoints")


METADATA_2022 = [
    {
        "name": "AzureUSGovernment",
        "resourceManager": "https://arm.gov.example:8443/",
        "authentication": {
            "loginEndpoint": "https://login.gov.example:9443",
            "audiences": ["https://management.core.usgovcloudapi.net/", "https://management.usgovcloudapi.net/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "suffixes": {"storage": "core.usgovcloudapi.net", "keyVaultDns": "vault.usgovcloudapi.net"},
    },
    {"name": "Other", "resourceManager": "https://other.example/", "authentication": {"loginEndpoint": "x", "audiences": ["y"]}},
]


def test_metadata_list_picks_the_cloud_served_from_its_own_host():
    url = "https://arm.gov.example:8443/metadata/endpoints?api-version=2022-09-01"
    cloud = clouds.parse_metadata(METADATA_2022, url, ca_bundle="/ca.pem")
    assert cloud.resource_manager == "https://arm.gov.example:8443/"
    assert cloud.authority_host == "https://login.gov.example:9443/"
    assert cloud.scope == "https://management.core.usgovcloudapi.net/.default"
    assert cloud.custom and cloud.ca_bundle == "/ca.pem"
    assert cloud.tenant == "common"


def test_metadata_list_without_own_host_is_ambiguous():
    with pytest.raises(clouds.CloudError, match="none has resourceManager"):
        clouds.parse_metadata(METADATA_2022, "https://third.example/metadata/endpoints?api-version=2022-09-01")


def test_azure_stack_flavour_with_adfs():
    doc = {
        "galleryEndpoint": "https://portal.local.azurestack.external:30015/",
        "graphEndpoint": "https://graph.local.azurestack.external/",
        "portalEndpoint": "https://portal.local.azurestack.external/",
        "authentication": {
            "loginEndpoint": "https://adfs.local.azurestack.external/adfs/",
            "audiences": ["https://management.adfs.azurestack.local/4de154de-f8a8-4017-af41-df619da68155"],
            "identityProvider": "ADFS",
        },
    }
    cloud = clouds.parse_metadata(doc, "https://management.local.azurestack.external/metadata/endpoints?api-version=2015-01-01")
    assert cloud.resource_manager == "https://management.local.azurestack.external/"
    assert cloud.adfs
    assert cloud.scope == "https://management.adfs.azurestack.local/4de154de-f8a8-4017-af41-df619da68155/.default"


def test_metadata_without_authentication_is_refused():
    with pytest.raises(clouds.CloudError, match="loginEndpoint"):
        clouds.parse_metadata([{"resourceManager": "https://a.example/"}], "https://a.example/metadata/endpoints")


class _FakeResponse:
    def __init__(self, body):
        self.body = body

    def read(self):
        return json.dumps(self.body).encode()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_fetch_adds_path_and_api_version_and_uses_the_ca_bundle(tmp_path):
    seen = {}

    def opener(url, headers, timeout, validate_certs, ca_path):
        seen.update(url=url, validate_certs=validate_certs, ca_path=ca_path)
        return _FakeResponse(METADATA_2022)

    url, doc = clouds.fetch_metadata("https://arm.gov.example:8443", ca_bundle="/ca.pem", opener=opener)
    assert url == "https://arm.gov.example:8443/metadata/endpoints?api-version=2022-09-01"
    assert seen == {"url": url, "validate_certs": True, "ca_path": "/ca.pem"}
    assert doc == METADATA_2022


def test_fetch_failure_is_a_cloud_error_after_retries():
    calls, sleeps = [], []

    def opener(url, **kwargs):
        calls.append(url)
        raise OSError("connection refused")

    with pytest.raises(clouds.CloudError, match="connection refused"):
        clouds.fetch_metadata("https://arm.example/metadata/endpoints?api-version=2022-09-01", opener=opener, sleep=sleeps.append)
    assert len(calls) == clouds.METADATA_ATTEMPTS and sleeps == [1.0, 2.0, 4.0]


def test_fetch_retries_a_refused_connection_then_reads_the_metadata():
    answers = [OSError("connection refused"), _FakeResponse(METADATA_2022)]

    def opener(url, **kwargs):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    url, doc = clouds.fetch_metadata("https://arm.example", opener=opener, sleep=lambda seconds: None)
    assert doc == METADATA_2022 and answers == []


def test_fetch_does_not_retry_a_client_error():
    calls = []

    class NotFound(Exception):
        code = 404

    def opener(url, **kwargs):
        calls.append(url)
        raise NotFound("HTTP Error 404: Not Found")

    with pytest.raises(clouds.CloudError, match="404"):
        clouds.fetch_metadata("https://arm.example", opener=opener, sleep=lambda seconds: None)
    assert len(calls) == 1


def test_resolve_custom_cloud_through_fetch():
    def fetch(url, ca_bundle=None):
        assert ca_bundle == "/ca.pem"
        return "https://arm.gov.example:8443/metadata/endpoints?api-version=2022-09-01", METADATA_2022

    cloud = clouds.resolve_cloud("https://arm.gov.example:8443/metadata/endpoints", ca_bundle="/ca.pem", fetch=fetch)
    assert cloud.name == "AzureUSGovernment" and cloud.custom
