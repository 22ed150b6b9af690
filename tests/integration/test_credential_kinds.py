"""Each credential kind through a real module run: certificate, workload identity, and a
~/.azure/credentials profile per cloud."""

import base64
import json
import os
import time

from azsim.tls import write_client_certificate
from conftest import assert_ok


def _target(simulator, **settings):
    pub = simulator["clouds"]["public"]
    base = {"name": "target", "cloud": pub["metadata_url"], "ca_bundle": simulator["ca_bundle"],
            "tenant_id": pub["tenant_id"], "client_id": pub["client_id"], "subscription_id": pub["subscription_id"]}
    base.update(settings)
    return [base]


def test_certificate(runner, admin, simulator, tmp_path):
    path = tmp_path / "sp.pem"
    admin.register_certificate("public", write_client_certificate(path, "azmove-it"))
    done = runner.run("vault_info.yml", {"azmove_connections": _target(simulator, auth_source="certificate",
                                                                       certificate_path=str(path))})
    assert_ok(done)
    assert '"auth_source": "certificate"' in runner.run("vault_info.yml", {"azmove_connections": _target(
        simulator, certificate_path=str(path))}, verbosity=1).output  # auto picks it too


def test_workload_identity_token_file(runner, admin, simulator, tmp_path):
    issuer, subject = "https://token.actions.example", "repo:azmove/site_recovery:ref:refs/heads/main"
    admin.add_federated_credential("public", issuer, subject)

    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(time.time())
    token = ".".join([part({"alg": "RS256", "typ": "JWT"}),
                      part({"iss": issuer, "sub": subject, "aud": "api://AzureADTokenExchange", "iat": now, "exp": now + 600}),
                      "c2ln"])
    token_file = tmp_path / "federated-token"
    token_file.write_text(token)
    # The token file comes from the standard variable, as in AKS and GitHub Actions.
    done = runner.run("vault_info.yml", {"azmove_connections": _target(simulator)},
                      env={"AZURE_FEDERATED_TOKEN_FILE": str(token_file)}, verbosity=1)
    assert_ok(done)
    assert '"auth_source": "workload_identity"' in done.output


def test_profiles_in_a_credentials_file(runner, simulator, tmp_path):
    gov, pub = simulator["clouds"]["gov"], simulator["clouds"]["public"]
    cred = tmp_path / "credentials"
    cred.write_text(
        "[source]\nsubscription_id=%s\nclient_id=%s\nsecret=%s\ntenant=%s\ncloud_environment=%s\nca_bundle=%s\n\n"
        "[target]\nsubscription_id=%s\nclient_id=%s\nsecret=%s\ntenant=%s\ncloud_environment=%s\nca_bundle=%s\n"
        % (gov["subscription_id"], gov["client_id"], gov["client_secret"], gov["tenant_id"], gov["metadata_url"],
           simulator["ca_bundle"], pub["subscription_id"], pub["client_id"], pub["client_secret"], pub["tenant_id"],
           pub["metadata_url"], simulator["ca_bundle"]))
    os.chmod(cred, 0o600)
    conns = [{"name": "source", "profile": "source"}, {"name": "target", "profile": "target"}]
    done = runner.run("vault_info.yml", {"azmove_connections": conns, "use": "source"},
                      env={"AZURE_CREDENTIALS_FILE": str(cred)}, verbosity=4)
    assert_ok(done)
    assert "AzureUSGovernment" in done.output
    assert gov["client_secret"] not in done.output and pub["client_secret"] not in done.output
