import pytest

from ansible_collections.azmove.site_recovery.plugins.module_utils import _auth as auth
from ansible_collections.azmove.site_recovery.plugins.module_utils._clouds import parse_metadata, resolve_cloud

PROFILES = """
[source]
subscription_id=11111111-1111-1111-1111-111111111111
client_id=aaaa
secret=gov-secret
tenant=gov-tenant
cloud_environment=AzureUSGovernment

[target]
subscription_id=22222222-2222-2222-2222-222222222222
client_id=bbbb
secret=pub-secret
tenant=pub-tenant
cloud_environment=AzureCloud
"""


@pytest.fixture
def cred_file(tmp_path):
    path = tmp_path / "credentials"
    path.write_text(PROFILES)
    return str(path)


def test_profiles_in_azure_azcollection_format(cred_file):
    src = auth.resolve_settings({"profile": "source", "credentials_file": cred_file}, environ={})
    tgt = auth.resolve_settings({"profile": "target", "credentials_file": cred_file}, environ={})
    assert (src["cloud"], src["client_secret"], src["tenant_id"]) == ("AzureUSGovernment", "gov-secret", "gov-tenant")
    assert (tgt["cloud"], tgt["client_secret"], tgt["subscription_id"]) == ("AzureCloud", "pub-secret", "2" * 8 + "-2222-2222-2222-" + "2" * 12)


def test_explicit_beats_profile_beats_environment(cred_file):
    env = {"AZURE_CLIENT_ID": "env-client", "AZURE_SUBSCRIPTION_ID": "env-sub", "AZURE_CLIENT_CERTIFICATE_PATH": "/env.pem"}
    settings = auth.resolve_settings(
        {"profile": "source", "credentials_file": cred_file, "client_id": "explicit"}, environ=env
    )
    assert settings["client_id"] == "explicit"
    assert settings["subscription_id"] == "11111111-1111-1111-1111-111111111111"
    assert settings["certificate_path"] == "/env.pem"  # the profile has none, the environment fills it


def test_standard_environment_variables():
    env = {
        "AZURE_CLIENT_ID": "c", "AZURE_TENANT_ID": "t", "AZURE_CLIENT_SECRET": "s", "AZURE_SUBSCRIPTION_ID": "sub",
        "AZURE_CLOUD_ENVIRONMENT": "AzureUSGovernment", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token",
        "AZURE_AUTHORITY_HOST": "https://login.example/",
    }
    s = auth.resolve_settings({}, environ=env)
    assert (s["client_id"], s["tenant_id"], s["client_secret"], s["subscription_id"]) == ("c", "t", "s", "sub")
    assert s["cloud"] == "AzureUSGovernment" and s["federated_token_file"] == "/var/run/token"
    assert s["authority_host_env"] == "https://login.example/"
    assert s["auth_source"] == "auto"


def test_azcollection_secret_variable_name():
    assert auth.resolve_settings({}, environ={"AZURE_SECRET": "old-name"})["client_secret"] == "old-name"


def test_profile_from_environment(cred_file):
    s = auth.resolve_settings({}, environ={"AZURE_PROFILE": "target", "AZURE_CREDENTIALS_FILE": cred_file})
    assert s["client_id"] == "bbbb"


def test_missing_profile_names_the_ones_there(cred_file):
    with pytest.raises(auth.AuthError, match=r"no profile \[nope\].*source, target"):
        auth.resolve_settings({"profile": "nope", "credentials_file": cred_file}, environ={})


def test_missing_file_is_clear(tmp_path):
    with pytest.raises(auth.AuthError, match="Cannot read the credentials file"):
        auth.resolve_settings({"profile": "x", "credentials_file": str(tmp_path / "none")}, environ={})


@pytest.mark.parametrize(
    "settings, kind",
    [
        ({"tenant_id": "t", "client_id": "c", "client_secret": "s"}, "client_secret"),
        ({"tenant_id": "t", "client_id": "c", "certificate_path": "/c.pem"}, "certificate"),
        ({"tenant_id": "t", "client_id": "c", "federated_token_file": "/tok"}, "workload_identity"),
        ({"tenant_id": "t", "client_id": "c", "client_secret": "s", "certificate_path": "/c.pem"}, "client_secret"),
    ],
)
def test_auto_order(settings, kind):
    assert auth.choose_kind(dict(settings, auth_source="auto")).name == kind


def test_auto_falls_back_to_cli_then_msi(monkeypatch):
    monkeypatch.setattr(auth.shutil, "which", lambda name: "/usr/bin/az")
    assert auth.choose_kind({"auth_source": "auto"}).name == "cli"
    monkeypatch.setattr(auth.shutil, "which", lambda name: None)
    assert auth.choose_kind({"auth_source": "auto"}).name == "msi"


def test_explicit_kind_reports_what_is_missing():
    with pytest.raises(auth.AuthError, match="client_secret needs client_id, client_secret"):
        auth.choose_kind({"auth_source": "client_secret", "tenant_id": "t"})


class FakeIdentity:
    """Records which azure-identity credential would be built, with which arguments."""

    def __getattr__(self, name):
        def build(*args, **kwargs):
            return (name, args, kwargs)

        return build


def test_known_cloud_uses_its_authority_and_instance_discovery():
    cloud = resolve_cloud("AzureUSGovernment")
    kind, (cls, args, kwargs) = auth.build_credential(
        {"auth_source": "client_secret", "tenant_id": "t", "client_id": "c", "client_secret": "s"}, cloud,
        identity=FakeIdentity(),
    )
    assert kind == "client_secret" and cls == "ClientSecretCredential"
    assert args == ("t", "c", "s")
    assert kwargs == {"authority": "https://login.microsoftonline.us/"}


def test_custom_cloud_disables_instance_discovery_and_verifies_with_its_ca():
    cloud = parse_metadata(
        [{"resourceManager": "https://arm.example/", "authentication": {"loginEndpoint": "https://login.example/", "audiences": ["https://aud.example/"]}}],
        "https://arm.example/metadata/endpoints", ca_bundle="/ca.pem",
    )
    _kind, (cls, _args, kwargs) = auth.build_credential(
        {"auth_source": "workload_identity", "tenant_id": "t", "client_id": "c", "federated_token_file": "/tok"}, cloud,
        identity=FakeIdentity(),
    )
    assert cls == "WorkloadIdentityCredential"
    assert kwargs["authority"] == "https://login.example/"
    assert kwargs["disable_instance_discovery"] is True
    assert kwargs["connection_verify"] == "/ca.pem"
    assert kwargs["token_file_path"] == "/tok"


def test_authority_host_variable_applies_only_when_no_cloud_is_named():
    cloud = resolve_cloud(None)
    settings = {"authority_host_env": "https://login.microsoftonline.us/"}
    assert auth.credential_kwargs(settings, cloud)["authority"] == "https://login.microsoftonline.us/"
    settings["cloud"] = "AzureCloud"
    assert auth.credential_kwargs(settings, cloud)["authority"] == "https://login.microsoftonline.com/"


def test_certificate_password_is_passed():
    _kind, (cls, args, kwargs) = auth.build_credential(
        {"auth_source": "certificate", "tenant_id": "t", "client_id": "c", "certificate_path": "/c.pfx",
         "certificate_password": "pw"}, resolve_cloud("AzureCloud"), identity=FakeIdentity(),
    )
    assert cls == "CertificateCredential" and kwargs["password"] == "pw" and kwargs["certificate_path"] == "/c.pfx"


def test_missing_certificate_file_is_a_clear_error_naming_it(tmp_path):
    path = str(tmp_path / "nowhere" / "client.pem")
    with pytest.raises(auth.AuthError, match="certificate_path %s cannot be read: No such file or directory" % path):
        auth.build_credential({"auth_source": "certificate", "tenant_id": "t", "client_id": "c", "certificate_path": path},
                              resolve_cloud("AzureCloud"))


def test_credential_file_kind_uses_the_profile(cred_file):
    settings = auth.resolve_settings({"auth_source": "credential_file", "profile": "source", "credentials_file": cred_file}, environ={})
    kind, (cls, args, _kwargs) = auth.build_credential(settings, resolve_cloud(settings["cloud"]), identity=FakeIdentity())
    assert kind == "credential_file" and cls == "ClientSecretCredential" and args[2] == "gov-secret"


def test_redacted_hides_secrets():
    shown = auth.redacted({"client_secret": "s3cr3t", "certificate_password": "pw", "client_id": "c"})
    assert "s3cr3t" not in repr(shown) and "pw" not in shown.values() and shown["client_id"] == "c"
