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


def test_clients_are_built_with_cloud_endpoints_scope_and_ca(monkeypatch, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    conn = m.Connection({"name": "t", "cloud": "AzureUSGovernment", "subscription_id": "sub", "ca_bundle": str(ca),
                         "auth_source": "client_secret", "tenant_id": "t", "client_id": "c", "client_secret": "s"}, environ={})
    kwargs = conn.client_kwargs()
    assert kwargs["base_url"] == "https://management.usgovcloudapi.net/"
    assert kwargs["credential_scopes"] == ["https://management.core.usgovcloudapi.net/.default"]
    assert kwargs["connection_verify"] == str(ca)
    assert kwargs["user_agent"].startswith("azmove-site-recovery/")
    assert kwargs["retry_total"] == 6


SUB = "11111111-1111-1111-1111-111111111111"


def test_two_connections_with_one_name_are_refused():
    twice = CONNECTIONS + [{"name": "target", "cloud": "AzureChinaCloud"}]
    with pytest.raises(AuthError, match="connections defines 'target' more than once"):
        m.select_connection_params({"connections": twice, "use_connection": "target"})


def test_several_connections_without_use_connection_say_to_set_it():
    with pytest.raises(AuthError, match="set use_connection") as info:
        m.select_connection_params({"connections": CONNECTIONS})
    assert "'source', 'target'" in str(info.value) and "'default'" not in str(info.value)


@pytest.mark.parametrize("sub", ["not-a-guid", "sub-1", "11111111-1111-1111-1111-11111111111", " "])
def test_a_subscription_id_that_is_not_a_guid_is_refused_before_any_request(sub):
    conn = m.Connection({"name": "target", "subscription_id": sub}, environ={})
    with pytest.raises(AuthError, match="is not a subscription id"):
        conn.client("recoveryservices")


def test_a_guid_subscription_id_is_taken():
    assert m.Connection({"name": "t", "subscription_id": SUB.upper()}, environ={}).subscription_id == SUB.upper()


@pytest.mark.parametrize("content, words", [(None, "cannot be read"), ("not a certificate", "is not a PEM file")])
def test_a_bad_ca_bundle_is_named_at_once(tmp_path, content, words):
    ca = tmp_path / "ca.pem"
    if content is not None:
        ca.write_text(content)
    # A metadata URL: the bundle is refused before the (retried) metadata read is even tried.
    conn = m.Connection({"name": "t", "cloud": "https://arm.example/metadata/endpoints", "ca_bundle": str(ca),
                         "subscription_id": SUB}, environ={})
    with pytest.raises(AuthError, match=words) as info:
        conn.cloud  # pylint: disable=pointless-statement
    assert str(ca) in str(info.value)


SPEC = dict(wait_timeout=dict(type="int"), poll_interval=dict(type="float"), concurrency=dict(type="int"),
            machines=dict(type="list", elements="dict", options=dict(vcpus=dict(type="int"), memory_gb=dict(type="float"))),
            capacity=dict(type="dict", options=dict(machines=dict(type="int"), daily_change_gb=dict(type="float"))))


@pytest.mark.parametrize("params, words", [
    ({"wait_timeout": -1}, "wait_timeout must be 0 or more seconds, not -1."),
    ({"poll_interval": 0}, "poll_interval must be more than 0 seconds, not 0."),
    ({"poll_interval": -5.0}, "poll_interval must be more than 0 seconds"),
    ({"concurrency": 0}, "concurrency must be at least 1, not 0."),
    ({"machines": [{"vcpus": 2}, {"vcpus": 0}]}, "machines[1].vcpus must be at least 1, not 0."),
    ({"machines": [{"memory_gb": -1.0}]}, "machines[0].memory_gb must be more than 0 GB"),
    ({"capacity": {"machines": 0}}, "capacity.machines must be at least 1, not 0."),
    ({"capacity": {"daily_change_gb": 0.0}}, "capacity.daily_change_gb must be more than 0 GB"),
])
def test_numeric_options_out_of_range_are_named(params, words):
    assert words in " ".join(m.range_problems(params, SPEC))


def test_numeric_options_in_range_pass():
    assert m.range_problems({"wait_timeout": 0, "poll_interval": 0.5, "concurrency": 1,
                             "machines": [{"vcpus": 1, "memory_gb": 0.5}, {}]}, SPEC) == []


def test_every_module_option_with_a_shared_name_is_range_checked():
    """The numeric options of the modules have their range in OPTION_RANGES (one place), or a check of their own."""
    import ast

    own_checks = {"renew_before"}  # vault_registration_key: 0 to the key's validity, checked in the module
    own_checks.add("history_days")  # source_decommission: at least 1 day, checked in the module
    found = set()
    for path in (ROOT / "plugins" / "modules").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and isinstance(node.value, ast.Call) and any(
                    isinstance(k.value, ast.Constant) and k.arg == "type" and k.value.value in ("int", "float")
                    for k in node.value.keywords):
                found.add(node.arg)
    assert found - set(m.OPTION_RANGES) - own_checks == set()


def test_a_location_the_cloud_does_not_offer_is_named_with_the_list():
    from ansible_collections.azmove.site_recovery.plugins.module_utils._clouds import location_problem

    offered = [{"name": "eastus", "displayName": "East US"}, {"name": "westus3", "displayName": "West US 3"}]
    assert location_problem("East US", offered, "location", "cloud AzureCloud") is None
    assert location_problem("westus3", offered, "location", "cloud AzureCloud") is None
    problem = location_problem("eastus3", offered, "location", "cloud AzureCloud")
    assert problem == "location 'eastus3' is not a region of cloud AzureCloud; its regions are: eastus, westus3."
