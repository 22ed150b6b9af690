"""vault_registration_key through ansible-playbook, against the simulator: the file is made once,
kept, renewed when it has to be, never written in check mode, and never shown."""

import base64
import datetime
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from conftest import ROOT, assert_ok

sys.path.insert(0, str(ROOT / ".build" / "collections"))

from ansible_collections.azmove.site_recovery.plugins.module_utils import _vault_credentials as vc  # noqa: E402
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import Connection  # noqa: E402

RG = "rg-it-regkey"


@pytest.fixture(scope="module", autouse=True)
def target_group(admin, simulator):
    admin.seed({"public": {"resource_groups": [{"name": RG, "location": simulator["clouds"]["public"]["default_location"]}]}})


def certificate_puts(admin, vault):
    return list(admin.requests(method="PUT", path_contains="/vaults/%s/certificates/" % vault))


def target_client(simulator):
    """The SDK client the module uses, built the same way, to read what the vault has."""
    from connections import connections

    params = dict(connections(simulator)[1])
    return Connection(params, environ={}).client("recoveryservices"), params["subscription_id"]


def run_key(runner, tmp_path, vault, key_path, name="result.json", **extra):
    result_file = tmp_path / name
    done = runner.run("vault_registration_key.yml", dict(
        {"vault_name": vault, "resource_group": RG, "key_path": str(key_path), "result_file": str(result_file)},
        **extra))
    result = json.loads(result_file.read_text()) if result_file.exists() else None
    return done, result


def test_create_keep_force_in_a_directory(runner, admin, simulator, tmp_path):
    vault = "it-regkey-life"
    key_dir = tmp_path / "keys"
    key_dir.mkdir()
    admin.clear_requests()
    done = runner.run("vault_registration_key_lifecycle.yml", {
        "vault_name": vault, "resource_group": RG, "key_dir": str(key_dir),
        "result_file": str(tmp_path / "life.json")})
    assert_ok(done)
    results = json.loads((tmp_path / "life.json").read_text())
    # Check mode and the second run uploaded nothing: one upload to create, one to force.
    assert len(certificate_puts(admin, vault)) == 2
    # Named like PowerShell names them; the older file is left; no temporary file is left behind.
    assert {str(f) for f in key_dir.iterdir()} == {results["created"]["path"], results["forced"]["path"]}
    newest = Path(results["forced"]["path"])
    assert stat.S_IMODE(newest.stat().st_mode) == 0o600
    creds, cert = vc.read_file(newest)
    assert cert.thumbprint == results["forced"]["thumbprint"]


def test_file_is_what_unified_setup_reads(runner, admin, simulator, tmp_path):
    vault = "it-regkey-file"
    path = tmp_path / "cs.VaultCredentials"
    admin.clear_requests()
    done, result = run_key(runner, tmp_path, vault, path)
    assert_ok(done)
    assert result["changed"] and result["created"] and not result["renewed"]
    assert result["path"] == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(certificate_puts(admin, vault)) == 1

    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    creds, cert = vc.read_file(path)
    client, subscription = target_client(simulator)
    vault_doc = client.vaults.get(RG, vault).as_dict()
    ext = client.vault_extended_info.get(RG, vault).as_dict()
    assert creds.subscription_id == subscription
    assert creds.resource_group == RG and creds.vault_name == vault
    assert creds.location == vault_doc["location"]
    assert creds.resource_type == "Vaults" and creds.provider_namespace == "Microsoft.RecoveryServices"
    assert creds.version == "2.0"
    assert creds.channel_integrity_key == ext["properties"]["integrityKey"]
    assert creds.aad_vault_audience == "https://RecoveryServiceVault/%s/%s/%d" % (creds.location, vault, creds.resource_id)
    assert creds.aad_tenant_id == simulator["clouds"]["public"]["tenant_id"]
    assert creds.arm_management_endpoint and creds.aad_authority and creds.service_principal_client_id
    assert creds.site_id == "" and creds.site_name == ""
    assert creds.private_endpoint_state_for_site_recovery == vault_doc["properties"]["privateEndpointStateForSiteRecovery"]
    # The PFX opens with an empty password and carries the private key of the uploaded certificate.
    assert cert.private_key is not None
    assert cert.certificate.subject.rfc4514_string() == "CN=Windows Azure Tools"
    assert cert.thumbprint == result["thumbprint"]
    now = datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(hours=119, minutes=55) < cert.not_after - now <= datetime.timedelta(hours=120)
    assert result["expires"] == vc.iso(cert.not_after)

    # Run again: kept, nothing uploaded.
    admin.clear_requests()
    done, again = run_key(runner, tmp_path, vault, path, name="again.json")
    assert_ok(done)
    assert not again["changed"] and not again["created"] and not again["renewed"]
    assert again["thumbprint"] == result["thumbprint"]
    assert certificate_puts(admin, vault) == []
    assert path.read_bytes() == data


def test_file_near_expiry_is_renewed(runner, admin, tmp_path):
    vault = "it-regkey-expiry"
    path = tmp_path / "cs.VaultCredentials"
    done, first = run_key(runner, tmp_path, vault, path)
    assert_ok(done)
    # Rewrite the file with a certificate that ends in 10 hours, inside the default renew_before (24).
    creds, _cert = vc.read_file(path)
    short = vc.generate_certificate(valid_hours=10)
    creds.management_cert = short.pfx_base64()
    vc.write_atomically(str(path), creds.to_xml())

    admin.clear_requests()
    done, kept = run_key(runner, tmp_path, vault, path, name="kept.json", renew_before=5)
    assert_ok(done)
    assert not kept["changed"] and kept["thumbprint"] == short.thumbprint
    assert 9 < kept["expires_in_hours"] <= 10
    assert certificate_puts(admin, vault) == []

    done, renewed = run_key(runner, tmp_path, vault, path, name="renewed.json")
    assert_ok(done)
    assert renewed["changed"] and renewed["renewed"] and not renewed["created"]
    assert "renew_before" in renewed["reason"]
    assert renewed["thumbprint"] not in (short.thumbprint, first["thumbprint"])
    assert renewed["expires_in_hours"] > 119
    assert len(certificate_puts(admin, vault)) == 1
    assert vc.read_file(path)[1].thumbprint == renewed["thumbprint"]


def test_check_mode_writes_nothing_and_uploads_nothing(runner, admin, tmp_path):
    vault = "it-regkey-check"
    done, _unused = run_key(runner, tmp_path, vault, tmp_path / "first.VaultCredentials")  # the vault exists
    assert_ok(done)
    path = tmp_path / "check.VaultCredentials"
    admin.clear_requests()
    result_file = tmp_path / "check.json"
    done = runner.run("vault_registration_key.yml", {
        "vault_name": vault, "resource_group": RG, "key_path": str(path), "result_file": str(result_file)},
        check=True, diff=True)
    assert_ok(done)
    result = json.loads(result_file.read_text())
    assert result["changed"] and result["created"]
    assert result["thumbprint"] is None
    assert not path.exists()
    # No write to ARM at all: no certificate upload, no extended information, no vault change.
    assert [r for r in admin.requests(path_contains="/providers/")
            if r["method"] in ("PUT", "PATCH", "POST", "DELETE")] == []


def test_secrets_never_appear_even_at_vvvv(runner, tmp_path):
    vault = "it-regkey-secret"
    path = tmp_path / "cs.VaultCredentials"
    result_file = tmp_path / "vvvv.json"
    extra = {"vault_name": vault, "resource_group": RG, "key_path": str(path), "result_file": str(result_file)}
    done = runner.run("vault_registration_key.yml", extra, verbosity=4, diff=True)
    assert_ok(done)
    creds, cert = vc.read_file(path)
    from cryptography.hazmat.primitives import serialization

    key_der = cert.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption())
    key_pem = cert.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()).decode()
    secrets = {
        "ManagementCert": creds.management_cert,
        "ManagementCert (start)": creds.management_cert[100:160],
        "ChannelIntegrityKey": creds.channel_integrity_key,
        "private key (PEM body)": key_pem.splitlines()[1],
        "private key (DER base64)": base64.b64encode(key_der).decode()[40:100],
        "file": path.read_text(encoding="utf-8")[:400],
    }
    for label, value in secrets.items():
        assert value not in done.output, "%s appears in the -vvvv output" % label
    assert "ManagementCert" not in done.output and "ChannelIntegrityKey" not in done.output
    # Run again (the reuse path reads the file and the vault's key) at -vvvv: still nothing.
    again = runner.run("vault_registration_key.yml", extra, verbosity=4, diff=True)
    assert_ok(again)
    for label, value in secrets.items():
        assert value not in again.output, "%s appears in the -vvvv output of the reuse run" % label


def test_missing_vault_is_azure_s_error(runner, admin, tmp_path):
    path = tmp_path / "none.VaultCredentials"
    admin.clear_requests()
    done, _unused = run_key(runner, tmp_path, "it-regkey-does-not-exist", path, create_vault=False)
    assert done.returncode != 0
    assert "ResourceNotFound" in done.output and "it-regkey-does-not-exist" in done.output
    assert not path.exists()
    assert certificate_puts(admin, "it-regkey-does-not-exist") == []


@pytest.mark.parametrize("renew_before", [-1, 120, 500])
def test_bad_renew_before_is_refused_before_any_request(runner, admin, tmp_path, renew_before):
    admin.clear_requests()
    done, _unused = run_key(runner, tmp_path, "it-regkey-bad-input", tmp_path / "x.VaultCredentials",
                            create_vault=False, renew_before=renew_before)
    assert done.returncode != 0
    assert "renew_before is %d, but it must be from 0 to 119 hours" % renew_before in done.output
    assert admin.requests(path_contains="it-regkey-bad-input") == []


def test_a_file_that_is_not_a_key_is_not_overwritten(runner, admin, tmp_path):
    vault = "it-regkey-foreign"
    path = tmp_path / "important.txt"
    path.write_text("not a key")
    admin.clear_requests()
    done, _unused = run_key(runner, tmp_path, vault, path)
    assert done.returncode != 0
    assert "Refusing to overwrite" in done.output
    assert path.read_text() == "not a key"
    assert certificate_puts(admin, vault) == []

    done, forced = run_key(runner, tmp_path, vault, path, force=True)
    assert_ok(done)
    assert forced["created"] and vc.read_file(path)[1].thumbprint == forced["thumbprint"]
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_unified_setup_would_accept_it(runner, admin, tmp_path):
    """The simulator's configuration server registration checks the file as Unified Setup's registration would (Az
    PowerShell's Get-AzRecoveryServicesVaultSettingsFile and RSVaultAsrCreds): root and namespace, vault, ResourceId,
    audience, empty-password PFX whose certificate was uploaded to the vault, not expired, and the vault's channel
    integrity key."""
    from azsim.testing import AdminError

    vault = "it-regkey-register"
    path = tmp_path / "cs.VaultCredentials"
    done, result = run_key(runner, tmp_path, vault, path)
    assert_ok(done)
    registered = admin.register_configuration_server(path.read_text(encoding="utf-8"), "cs-regkey-01", "10.10.1.50")
    assert registered

    # A file whose certificate was never uploaded is refused.
    creds, _cert = vc.read_file(path)
    creds.management_cert = vc.generate_certificate().pfx_base64()
    with pytest.raises(AdminError, match="not registered"):
        admin.register_configuration_server(creds.to_xml().decode("utf-8"), "cs-regkey-02", "10.10.1.51")


def test_the_task_mode_and_group_apply_and_a_mode_exposing_the_key_is_refused(runner, admin, tmp_path):
    import grp

    vault = "it-regkey-mode"
    path = tmp_path / "group.VaultCredentials"
    group = grp.getgrgid(os.getegid()).gr_name
    done, result = run_key(runner, tmp_path, vault, path, key_mode="0640", key_group=group)
    assert_ok(done)
    assert result["changed"] and result["created"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.stat().st_gid == os.getegid()
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".")] == []  # no temporary file left

    # Again with the same arguments: kept, no change; with 0600: kept, and its mode put back is the change.
    again, kept = run_key(runner, tmp_path, vault, path, name="again.json", key_mode="0640", key_group=group)
    assert_ok(again)
    assert not kept["changed"] and not kept["created"] and not kept["renewed"]
    narrowed, result = run_key(runner, tmp_path, vault, path, name="narrowed.json")
    assert_ok(narrowed)
    assert result["changed"] and result["reason"] == "kept; its mode was not 0600" and not result["renewed"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(certificate_puts(admin, vault)) == 1

    # A mode letting others read the private key, or a symbolic one, is refused before any request.
    admin.clear_requests()
    for mode, words in (("0644", "would let others read"), ("0660", "would let the group change"),
                        ("u=rw,g=r", "is not an octal mode")):
        refused, _result = run_key(runner, tmp_path, vault, tmp_path / "other.VaultCredentials", name="refused.json",
                                   key_mode=mode, create_vault=False)
        assert refused.returncode != 0 and words in refused.output, refused.output[-2000:]
    assert certificate_puts(admin, vault) == [] and not (tmp_path / "other.VaultCredentials").exists()
