"""The modernized provider (InMageRcm, a replication appliance), the default: the settings only the other provider
takes are refused before any change. The end-to-end tests of test_replication.py and test_lifecycle.py run for both
providers."""

import json

from conftest import assert_ok
from test_replication import extra, last_request_id, writes


def test_settings_of_the_other_provider_are_refused_before_anything_changes(runner, simulator, admin, tmp_path):
    mark = last_request_id(admin)
    done = runner.run("provider_mismatch.yml", extra(simulator, tmp_path, vault="rsv-mismatch"))
    assert_ok(done)
    res = json.loads((tmp_path / "mismatch.json").read_text())
    assert "InMageRcm) has no RPO threshold" in res["rpo"]["msg"]
    assert "configuration_servers is a setting of the classic provider" in res["servers"]["msg"]
    assert "configuration_server is a setting only for the classic provider" in res["machine"]["msg"]
    assert "test_network is a setting only for the modernized provider" in res["classic_test_network"]["msg"]
    assert "test_network is the production target network (vnet-landing-eastus)" in res["test_is_production"]["msg"]
    assert [r for r in writes(admin, mark) if "rsv-mismatch" in r["path"]] == []
