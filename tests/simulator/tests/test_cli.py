"""The command line: start (daemonized) / wait / stop, --faults at start, login-port faults."""
import json
import os
import subprocess
import sys

from azsim.testing import AdminClient, read_endpoints
from simhelpers import SIM_ROOT, clients


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=SIM_ROOT)
    return subprocess.run([sys.executable, "-m", "azsim", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_start_wait_stop_with_fault_file(tmp_path):
    state = str(tmp_path / "cli")
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"id": "boot-503", "kind": "status", "status": 503, "count": 1,
                                   "retry_after": 0.05, "port": "login", "method": "POST"}]))
    r = _cli("start", "--state-dir", state, "--faults", str(faults), "--page-size", "2")
    assert r.returncode == 0, r.stderr
    try:
        assert json.loads(r.stdout)["clouds"]["gov"]["name"] == "AzureUSGovernment"
        assert _cli("wait", "--state-dir", state, "--timeout", "5").returncode == 0
        ep = read_endpoints(state)
        for name in ("ca.pem", "server.pem", "server.key", "azsim.sqlite", "azsim.pid", "azsim.log"):
            assert os.path.exists(os.path.join(state, name)), name
        admin = AdminClient(ep)
        assert [f["id"] for f in admin.faults()] == ["boot-503"]
        # the first token request gets a 503; azure-identity's retry policy survives it
        rm, _unused = clients(ep, "public")
        assert any(g.name for g in rm.resource_groups.list()) is False  # no RGs in a fresh public cloud
        login_rows = admin.requests(port="login", method="POST")
        assert [r["status"] for r in login_rows][:2] == [503, 200]
    finally:
        assert _cli("stop", "--state-dir", state).returncode == 0
    assert not os.path.exists(os.path.join(state, "azsim.pid"))
    assert _cli("wait", "--state-dir", state, "--timeout", "0.5").returncode == 1


def test_ratio_fault_is_seeded(ep, admin):
    admin.add_fault(kind="status", status=500, ratio=0.5, path_regex="/__ratio_probe__")
    from rawhttp import call
    tok = admin.mint_token("gov")
    url = (ep["clouds"]["gov"]["resource_manager"] + f"subscriptions/{ep['clouds']['gov']['subscription_id']}"
           "/resourcegroups/__ratio_probe__?api-version=2025-04-01")
    statuses = [call(ep, "GET", url, token=tok)[0] for _unused in range(40)]
    assert 5 < statuses.count(500) < 35 and set(statuses) <= {500, 404}
