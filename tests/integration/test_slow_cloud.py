"""A cloud where operations take time and tokens live for seconds: the module must wait out
the long-running operation as Azure paces it, and get new tokens as the old ones expire."""

import pytest

from conftest import Runner, assert_ok

RG = "rg-it-slow"


@pytest.fixture(scope="module")
def slow_cloud(tmp_path_factory):
    from azsim import testing

    state = tmp_path_factory.mktemp("azsim-slow")
    # Vault delete is 30 s of Azure time: 1.5 s here. Tokens expire after 3 s, well inside the 5 minutes before expiry at which azure-identity renews.
    endpoints = testing.start(str(state), time_factor=0.05, token_lifetime=3)
    admin = testing.AdminClient(endpoints)
    admin.seed({"public": {"resource_groups": [{"name": RG, "location": "eastus"}]}})
    try:
        yield endpoints, admin
    finally:
        testing.stop(str(state))


def test_long_delete_outlives_the_token_and_is_waited_for(slow_cloud, tmp_path):
    endpoints, admin = slow_cloud
    runner = Runner(endpoints, tmp_path)
    done = runner.run("vault_lifecycle.yml", {"vault_name": "it-slow", "resource_group": RG})
    assert_ok(done)
    log = admin.requests()
    polls = [r for r in log if "operationStatus" in r["path"] or "operationResults" in r["path"].lower()]
    assert polls, "the delete should have been polled until done"
    # More token requests than module runs: tokens were renewed inside a run as they expired.
    tokens = [r for r in log if r["path"].endswith("/oauth2/v2.0/token") and r["status"] == 200]
    module_runs = 10  # tasks in vault_lifecycle.yml that call Azure
    assert len(tokens) > module_runs, len(tokens)
