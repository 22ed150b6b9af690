"""azure.azcollection's connection option names: a module_defaults block written for its modules serves ours."""

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.azmove.site_recovery.plugins.module_utils import _module as m
from ansible_collections.azmove.site_recovery.plugins.module_utils._auth import AuthError

SUB = "11111111-1111-1111-1111-111111111111"
# What users keep under module_defaults: group/azure.azcollection.azure (its option names).
AZCOLLECTION_DEFAULTS = {
    "cloud_environment": "AzureUSGovernment",
    "subscription_id": SUB,
    "tenant": "tenant-1",
    "client_id": "client-1",
    "x509_certificate_path": "/etc/azure/sp.pem",
    "thumbprint": "0123456789ABCDEF0123456789ABCDEF01234567",
    "cert_validation_mode": "validate",
    "adfs_authority_url": "https://adfs.example.test/adfs/",
    "api_profile": "latest",
    "auth_source": "auto",
}


def validated(params):
    result = ArgumentSpecValidator(m.connection_argument_spec()).validate(params)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def test_azcollection_names_are_accepted_and_mean_ours():
    params = validated(dict(AZCOLLECTION_DEFAULTS))
    assert params["cloud"] == "AzureUSGovernment"
    assert params["certificate_path"] == "/etc/azure/sp.pem"
    assert params["tenant_id"] == "tenant-1"
    chosen = m.select_connection_params(params)
    assert chosen["cloud"] == "AzureUSGovernment" and chosen["certificate_path"] == "/etc/azure/sp.pem"


def test_the_names_work_inside_connections_too():
    params = validated({"connections": [dict(AZCOLLECTION_DEFAULTS, name="source")]})
    entry = params["connections"][0]
    assert entry["cloud"] == "AzureUSGovernment" and entry["certificate_path"] == "/etc/azure/sp.pem"


def test_a_connection_built_from_them_uses_the_cloud_certificate_and_authority():
    conn = m.Connection(m.select_connection_params(validated(dict(AZCOLLECTION_DEFAULTS))), environ={})
    assert conn.settings["cloud"] == "AzureUSGovernment"
    assert conn.settings["certificate_path"] == "/etc/azure/sp.pem"
    assert conn.cloud.resource_manager == "https://management.usgovcloudapi.net/"
    assert conn.cloud.authority_host == "https://adfs.example.test/adfs/"
    assert conn.client_kwargs()["credential_scopes"] == ["https://management.core.usgovcloudapi.net/.default"]


def test_without_adfs_authority_url_the_cloud_s_authority_stays():
    params = validated({k: v for k, v in AZCOLLECTION_DEFAULTS.items() if k != "adfs_authority_url"})
    assert m.Connection(m.select_connection_params(params), environ={}).cloud.authority_host == \
        "https://login.microsoftonline.us/"


@pytest.mark.parametrize("extra, words", [
    ({"cert_validation_mode": "ignore"}, "TLS is always verified"),
    ({"api_profile": "2020-09-01-hybrid"}, "api_profile 2020-09-01-hybrid is not supported"),
])
def test_what_cannot_be_honoured_is_refused_before_any_request(extra, words):
    params = validated(dict(AZCOLLECTION_DEFAULTS, **extra))
    with pytest.raises(AuthError, match=words):
        m.select_connection_params(params)


def test_a_custom_cloud_is_its_metadata_url_under_either_name():
    url = "https://arm.example.test/metadata/endpoints?api-version=2022-09-01"
    assert m.select_connection_params(validated({"cloud_environment": url}))["cloud"] == url
