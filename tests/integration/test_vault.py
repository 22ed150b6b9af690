"""The vault modules through ansible-playbook, against the simulator."""

import ssl
import threading
import json
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from conftest import assert_ok

RG = "rg-it-target"


@pytest.fixture(scope="module", autouse=True)
def target_group(admin, simulator):
    admin.seed({"public": {"resource_groups": [{"name": RG, "location": simulator["clouds"]["public"]["default_location"]}]}})


def writes(admin, vault):
    return [r for r in admin.requests(path_contains="/vaults/" + vault) if r["method"] in ("PUT", "PATCH", "DELETE")]


def test_lifecycle_create_once_check_mode_diff_delete_twice(runner, admin):
    done = runner.run("vault_lifecycle.yml", {"vault_name": "it-lifecycle", "resource_group": RG})
    assert_ok(done)
    methods = [r["method"] for r in writes(admin, "it-lifecycle")]
    # Created exactly once, changed once (by PATCH), deleted once: check mode and re-runs wrote nothing.
    assert methods == ["PUT", "PATCH", "DELETE"], methods


def test_vault_in_the_source_region_is_refused_before_any_request(runner, admin, simulator):
    gov_region = simulator["clouds"]["gov"]["default_location"]
    admin.clear_requests()
    done = runner.run("vault_one_task.yml", {"vault_name": "it-wrong-region", "resource_group": RG, "location": gov_region})
    assert done.returncode != 0
    assert "source region" in done.output and "target region" in done.output
    assert admin.requests(path_contains="it-wrong-region") == []


def test_missing_resource_group_is_azure_s_error(runner):
    done = runner.run("vault_one_task.yml", {"vault_name": "it-no-rg", "resource_group": "rg-does-not-exist"})
    assert done.returncode != 0
    assert "ResourceGroupNotFound" in done.output and "rg-does-not-exist" in done.output


def test_wrong_secret_fails_clearly_and_never_shows_the_secret(runner, simulator):
    from connections import connections

    conns = connections(simulator)
    wrong = "Wr0ng-S3cret-" + "x" * 20
    conns[1]["client_secret"] = wrong
    done = runner.run("vault_info.yml", {"azmove_connections": conns}, verbosity=4)
    assert done.returncode != 0
    assert "AADSTS7000215" in done.output
    assert wrong not in done.output
    assert conns[0]["client_secret"] not in done.output  # the other connection's secret neither


def test_secret_given_on_the_task_is_masked_at_vvvv(runner, simulator):
    secret = simulator["clouds"]["public"]["client_secret"]
    done = runner.run("vault_info.yml", {}, verbosity=4)
    assert_ok(done)
    assert secret not in done.output
    assert "vault count" in done.output


def test_government_token_sent_to_public_arm_is_an_audience_error(runner, simulator, tmp_path):
    """A cloud definition that mixes Government sign-in with the public ARM endpoint: the token's
    audience is Government's, and public ARM answers 401 InvalidAuthenticationTokenAudience."""
    gov, pub = simulator["clouds"]["gov"], simulator["clouds"]["public"]
    doc = [{
        "name": "Misconfigured",
        "resourceManager": pub["resource_manager"],
        "authentication": {"loginEndpoint": gov["login_endpoint"], "audiences": [gov["audience"]], "tenant": "common"},
    }]
    state = Path(simulator["ca_bundle"]).parent
    server = _metadata_server(doc, state)
    try:
        url = "https://localhost:%d/metadata/endpoints?api-version=2022-09-01" % server.server_address[1]
        conns = [{"name": "target", "cloud": url, "ca_bundle": simulator["ca_bundle"], "auth_source": "client_secret",
                  "tenant_id": gov["tenant_id"], "client_id": gov["client_id"], "client_secret": gov["client_secret"],
                  "subscription_id": pub["subscription_id"]}]
        done = runner.run("vault_info.yml", {"azmove_connections": conns})
    finally:
        server.shutdown()
    assert done.returncode != 0
    assert "InvalidAuthenticationTokenAudience" in done.output
    assert "HTTP 401" in done.output
    assert gov["client_secret"] not in done.output


def test_bursts_of_429_and_503_are_survived(runner, admin):
    admin.clear_faults()
    admin.clear_requests()
    admin.add_fault(kind="status", status=429, retry_after=1, count=3, method="GET", path_regex="/vaults")
    done = runner.run("vault_info.yml", {})
    assert_ok(done)
    statuses = [r["status"] for r in admin.requests(path_contains="/vaults")]
    assert statuses.count(429) == 3 and statuses[-1] == 200, statuses

    admin.clear_requests()
    admin.add_fault(kind="status", status=503, count=3, method="GET", path_regex="/vaults")
    done = runner.run("vault_info.yml", {})
    assert_ok(done)
    statuses = [r["status"] for r in admin.requests(path_contains="/vaults")]
    assert statuses.count(503) == 3 and statuses[-1] == 200, statuses
    admin.clear_faults()


def _metadata_server(document, state_dir):
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(state_dir / "server.pem"), str(state_dir / "server.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
