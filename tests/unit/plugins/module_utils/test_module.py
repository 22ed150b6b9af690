from pathlib import Path

import pytest
import yaml

from ansible_collections.azmove.site_recovery.plugins.module_utils import _module as m
from ansible_collections.azmove.site_recovery.plugins.module_utils._auth import AuthError
from ansible_collections.azmove.site_recovery.plugins.module_utils._version import COLLECTION_VERSION

ROOT = Path(__file__).resolve().parents[4]


def test_user_agent_version_matches_galaxy():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert galaxy["version"] == COLLECTION_VERSION
    assert m.USER_AGENT == "azmove-site-recovery/" + galaxy["version"]


CONNECTIONS = [
    {"name": "source", "cloud": "AzureUSGovernment", "profile": "source", "client_secret": None},
    {"name": "target", "cloud": "AzureCloud", "profile": "target", "client_secret": None},
]


def test_use_connection_picks_the_named_entry():
    chosen = m.select_connection_params({"connections": CONNECTIONS, "use_connection": "target"})
    assert chosen["name"] == "target" and chosen["cloud"] == "AzureCloud"


def test_task_options_override_the_entry():
    chosen = m.select_connection_params({"connections": CONNECTIONS, "use_connection": "source", "subscription_id": "sub-x"})
    assert chosen["cloud"] == "AzureUSGovernment" and chosen["subscription_id"] == "sub-x"


def test_unknown_connection_lists_the_known_ones():
    with pytest.raises(AuthError, match="'source', 'target'"):
        m.select_connection_params({"connections": CONNECTIONS, "use_connection": "typo"})


def test_single_connection_needs_no_name():
    assert m.select_connection_params({"connections": CONNECTIONS[:1]})["cloud"] == "AzureUSGovernment"


def test_flat_options_without_connections():
    chosen = m.select_connection_params({"cloud": "AzureChinaCloud"})
    assert chosen == {"cloud": "AzureChinaCloud", "name": "default"}


def test_every_connection_option_is_documented_in_the_fragment():
    from ansible_collections.azmove.site_recovery.plugins.doc_fragments.azure import ModuleDocFragment

    doc = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = m.connection_argument_spec()
    assert set(doc) == set(spec)
    assert set(doc["connections"]["suboptions"]) == set(spec["connections"]["options"])
    for name, option in m.CONNECTION_OPTIONS.items():
        assert doc[name]["type"] == option["type"]
        assert bool(option.get("no_log")) == (name in ("client_secret", "certificate_password"))


def test_clients_are_built_with_cloud_endpoints_scope_and_ca(monkeypatch):
    conn = m.Connection({"name": "t", "cloud": "AzureUSGovernment", "subscription_id": "sub", "ca_bundle": "/ca.pem",
                         "auth_source": "client_secret", "tenant_id": "t", "client_id": "c", "client_secret": "s"}, environ={})
    kwargs = conn.client_kwargs()
    assert kwargs["base_url"] == "https://management.usgovcloudapi.net/"
    assert kwargs["credential_scopes"] == ["https://management.core.usgovcloudapi.net/.default"]
    assert kwargs["connection_verify"] == "/ca.pem"
    assert kwargs["user_agent"].startswith("azmove-site-recovery/")
    assert kwargs["retry_total"] == 6
