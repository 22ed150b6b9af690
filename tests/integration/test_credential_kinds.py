"""Each credential kind through a real module run: certificate, workload identity, and a
~/.azure/credentials profile per cloud."""

import base64
import datetime
import json
import os
import time

from conftest import assert_ok


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "azmove-it")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = tmp_path / "sp.pem"
    path.write_bytes(key_pem + cert_pem)
    os.chmod(path, 0o600)
    return path, cert_pem


def _target(simulator, **settings):
    pub = simulator["clouds"]["public"]
    base = {"name": "target", "cloud": pub["metadata_url"], "ca_bundle": simulator["ca_bundle"],
            "tenant_id": pub["tenant_id"], "client_id": pub["client_id"], "subscription_id": pub["subscription_id"]}
    base.update(settings)
    return [base]


def test_certificate(runner, admin, simulator, tmp_path):
    path, cert_pem = _self_signed(tmp_path)
    admin.register_certificate("public", cert_pem)
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
