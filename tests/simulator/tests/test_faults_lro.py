"""Fault injection and long-running operations (time factor, restart survival)."""
import os
import threading
import time

import pytest
from azure.core.exceptions import HttpResponseError

from azsim.testing import AdminClient, start, stop
from simhelpers import clients
from rawhttp import call
from test_vaults import VAULT_BODY


@pytest.fixture
def vault(ep):
    rm, rs = clients(ep, "gov")
    rm.resource_groups.create_or_update("rg-faults", {"location": "usgovvirginia"})
    rs.vaults.begin_create_or_update("rg-faults", "vault-f", VAULT_BODY).result()
    return rs


def _since(admin):
    rows = admin.requests()
    return rows[-1]["id"] if rows else 0


def test_429_with_retry_after_then_success(ep, admin, vault):
    since = _since(admin)
    admin.add_fault(kind="status", status=429, retry_after=0.1, count=3, method="GET",
                    path_regex=r"/vaults/vault-f$")
    assert vault.vaults.get("rg-faults", "vault-f").name == "vault-f"
    rows = admin.requests(since=since, path_contains="/vaults/vault-f")
    assert [r["status"] for r in rows] == [429, 429, 429, 200]
    assert all(r["fault"] for r in rows[:3]) and rows[3]["fault"] is None


def test_503_burst_survived(ep, admin, vault):
    since = _since(admin)
    rule = admin.add_fault(kind="status", status=503, retry_after=0.05, count=2, cloud="gov",
                           path_regex=r"/resourcegroups/rg-faults$")
    rm, _unused = clients(ep, "gov")
    assert rm.resource_groups.get("rg-faults").name == "rg-faults"
    rows = admin.requests(since=since, path_contains="/resourcegroups/rg-faults")
    assert [r["status"] for r in rows] == [503, 503, 200]
    assert [f for f in admin.faults() if f["id"] == rule["id"]][0]["remaining"] == 0


def test_503_body_shape(ep, admin):
    admin.add_fault(kind="status", status=503, count=1, path_regex="rg-app-gov$")
    st, headers, body = call(ep, "GET", ep["clouds"]["gov"]["resource_manager"] +
                             f"subscriptions/{ep['clouds']['gov']['subscription_id']}/resourcegroups/rg-app-gov"
                             "?api-version=2025-04-01", token=admin.mint_token("gov"))
    assert st == 503 and body["error"]["code"] == "ServiceUnavailable"


def test_drop_burst_survived(ep, admin, vault):
    since = _since(admin)
    admin.add_fault(kind="drop", count=2, method="GET", path_regex=r"/vaults/vault-f$")
    assert vault.vaults.get("rg-faults", "vault-f").name == "vault-f"
    rows = admin.requests(since=since, path_contains="/vaults/vault-f")
    assert [r["status"] for r in rows] == [None, None, 200]


def test_lro_fail(ep, admin, vault):
    vault.vaults.begin_create_or_update("rg-faults", "vault-doomed", VAULT_BODY).result()
    admin.add_fault(kind="lro_fail", count=1, path_regex="vault-doomed", code="UserErrorVaultDeletionFailed",
                    message="Vault cannot be deleted as there are existing resources within the vault.")
    with pytest.raises(HttpResponseError) as exc:
        vault.vaults.begin_delete("rg-faults", "vault-doomed").result()
    assert "UserErrorVaultDeletionFailed" in str(exc.value)
    assert vault.vaults.get("rg-faults", "vault-doomed").name == "vault-doomed"  # still there


def test_lro_duration_scales_with_time_factor(ep, admin, vault):
    vault.vaults.begin_create_or_update("rg-faults", "vault-slow", VAULT_BODY).result()
    admin.set_time_factor(0.05)  # vault delete: 30 s * 0.05 = 1.5 s
    t0 = time.monotonic()
    vault.vaults.begin_delete("rg-faults", "vault-slow").result()
    elapsed = time.monotonic() - t0
    assert 1.4 <= elapsed < 6, elapsed


def test_lro_survives_restart(tmp_path):
    """Start a 3 s (scaled) delete, restart the simulator mid-flight, the SDK poller still finishes."""
    state = str(tmp_path / "restart")
    ep = start(state, time_factor=0.1)
    try:
        rm, rs = clients(ep, "gov")
        rm.resource_groups.create_or_update("rg-r", {"location": "usgovvirginia"})
        rs.vaults.begin_create_or_update("rg-r", "vault-r", VAULT_BODY).result()
        t0 = time.monotonic()
        poller = rs.vaults.begin_delete("rg-r", "vault-r")
        result = {}
        th = threading.Thread(target=lambda: result.setdefault("r", poller.result()))
        th.start()
        time.sleep(0.5)
        stop(state)
        assert not os.path.exists(os.path.join(state, "endpoints.json"))
        ep2 = start(state, time_factor=None)  # same ports, same identities; time factor kept from the previous run
        assert ep2["clouds"]["gov"]["resource_manager"] == ep["clouds"]["gov"]["resource_manager"]
        assert ep2["clouds"]["gov"]["client_secret"] == ep["clouds"]["gov"]["client_secret"]
        assert ep2["time_factor"] == 0.1
        assert rs.vaults.get("rg-r", "vault-r")  # still in flight: not deleted yet
        th.join(30)
        assert not th.is_alive()
        elapsed = time.monotonic() - t0
        assert 2.9 <= elapsed < 12, elapsed
        with pytest.raises(HttpResponseError):
            rs.vaults.get("rg-r", "vault-r")
        rows = AdminClient(ep2).requests(path_contains="/operationStatus/")
        assert rows and rows[-1]["status"] == 200
    finally:
        stop(state)


def test_every_lro_finishes_with_subsecond_retry_after(ep, admin):
    """RG delete (Location polling) and vault update (Azure-AsyncOperation + final GET) at factor 0.02."""
    rm, rs = clients(ep, "gov")
    rm.resource_groups.create_or_update("rg-lro", {"location": "usgovvirginia"})
    rs.vaults.begin_create_or_update("rg-lro", "vault-lro", VAULT_BODY).result()
    admin.set_time_factor(0.02)
    since = _since(admin)
    t0 = time.monotonic()
    assert rs.vaults.begin_update("rg-lro", "vault-lro", {"tags": {"k": "v"}}).result().tags == {"k": "v"}
    rm.resource_groups.begin_delete("rg-lro").result()
    assert time.monotonic() - t0 < 5
    assert rm.resource_groups.check_existence("rg-lro") is False
    rows = admin.requests(since=since)
    polls = [r for r in rows if "/operationresults/" in r["path"].lower() or "/operationstatus/" in r["path"].lower()]
    assert any(r["status"] == 202 for r in polls) or len(polls) >= 2  # saw in-progress answers
    st, headers, _unused = call(ep, "GET", ep["clouds"]["gov"]["resource_manager"] +
                                f"subscriptions/{ep['clouds']['gov']['subscription_id']}/resourcegroups/rg-lro"
                                "?api-version=2025-04-01", token=admin.mint_token("gov"))
    assert st == 404
