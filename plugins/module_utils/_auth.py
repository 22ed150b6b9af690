# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Connections and credentials: one code path for every module and plugin.

A *connection* is a named set of settings (cloud, subscription, credential). A play declares
its connections once (``connections: [{name: source, ...}, {name: target, ...}]``, usually in
``module_defaults``) and each task names the one it uses with ``use_connection``. Settings a
connection leaves out come from its credentials-file profile, then from the standard
environment variables. Each credential kind is a small class that says when it applies and
how it builds an azure-identity credential; ``auto`` tries them in ``AUTO_ORDER``.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess

from ._clouds import CloudError, known_cloud, resolve_cloud

SETTING_KEYS = (
    "cloud",
    "ca_bundle",
    "auth_source",
    "subscription_id",
    "tenant_id",
    "client_id",
    "client_secret",
    "certificate_path",
    "certificate_password",
    "federated_token_file",
    "profile",
    "credentials_file",
)
SECRET_KEYS = ("client_secret", "certificate_password")

# Standard variables (azure-identity's, plus the ones azure.azcollection users already set).
ENV_VARS = {
    "cloud": ("AZURE_CLOUD_ENVIRONMENT",),
    "subscription_id": ("AZURE_SUBSCRIPTION_ID",),
    "tenant_id": ("AZURE_TENANT_ID", "AZURE_TENANT"),
    "client_id": ("AZURE_CLIENT_ID",),
    "client_secret": ("AZURE_CLIENT_SECRET", "AZURE_SECRET"),
    "certificate_path": ("AZURE_CLIENT_CERTIFICATE_PATH",),
    "certificate_password": ("AZURE_CLIENT_CERTIFICATE_PASSWORD",),
    "federated_token_file": ("AZURE_FEDERATED_TOKEN_FILE",),
    "profile": ("AZURE_PROFILE",),
    "credentials_file": ("AZURE_CREDENTIALS_FILE",),
}

# Keys of a ~/.azure/credentials profile (azure.azcollection's names, and ours).
PROFILE_KEYS = {
    "subscription_id": "subscription_id",
    "client_id": "client_id",
    "secret": "client_secret",
    "client_secret": "client_secret",
    "tenant": "tenant_id",
    "tenant_id": "tenant_id",
    "cloud_environment": "cloud",
    "cloud": "cloud",
    "x509_certificate_path": "certificate_path",
    "certificate_path": "certificate_path",
    "certificate_password": "certificate_password",
    "federated_token_file": "federated_token_file",
    "ca_bundle": "ca_bundle",
    "auth_source": "auth_source",
}

DEFAULT_CREDENTIALS_FILE = "~/.azure/credentials"


class AuthError(Exception):
    """Settings that cannot make a credential; the message is safe to show (no secrets)."""


# Azure subscription ids are GUIDs; anything else is refused before a request is sent (ARM would answer
# InvalidSubscriptionId or SubscriptionNotFound, and a 404 must never be taken for "absent").
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def subscription_problem(value, what="subscription_id"):
    """Why ``value`` is not a subscription id (a GUID), or None."""
    if isinstance(value, str) and GUID_RE.match(value.strip()):
        return None
    return ("%s %r is not a subscription id: an Azure subscription id is a GUID like "
            "00000000-0000-0000-0000-000000000000 (az account show --query id)." % (what, value))


def read_profile(path, profile):
    """Read one profile of an INI credentials file into our setting names."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(os.path.expanduser(path), encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError as exc:
        raise AuthError("Cannot read the credentials file %s: %s" % (path, exc.strerror)) from None
    except configparser.Error:
        raise AuthError("The credentials file %s is not an INI file with [profile] sections." % path) from None
    if not parser.has_section(profile):
        raise AuthError(
            "The credentials file %s has no profile [%s] (it has: %s)."
            % (path, profile, ", ".join(parser.sections()) or "none")
        )
    values = {}
    for key, value in parser.items(profile):
        target = PROFILE_KEYS.get(key.lower())
        if target and value.strip():
            values[target] = value.strip().strip('"')
    return values


def resolve_settings(params, environ=None):
    """Merge one connection's settings: explicit values, then its profile, then environment.

    ``params`` holds the explicit values (None where unset). The environment is read only
    for what is still missing, so a play that names two connections is not silently
    sent to the same account unless the user means it.
    """
    environ = os.environ if environ is None else environ
    settings = {key: params.get(key) for key in SETTING_KEYS}
    settings["name"] = params.get("name")

    profile = settings["profile"] or _env(environ, "profile")
    cred_file = settings["credentials_file"] or _env(environ, "credentials_file") or DEFAULT_CREDENTIALS_FILE
    from_profile = {}
    if profile:
        from_profile = read_profile(cred_file, profile)
    elif settings["auth_source"] == "credential_file":
        profile = "default"
        from_profile = read_profile(cred_file, profile)
    settings["profile"] = profile
    settings["credentials_file"] = cred_file
    for key, value in from_profile.items():
        if settings.get(key) in (None, ""):
            settings[key] = value
    for key in ENV_VARS:
        if settings.get(key) in (None, "") and key not in ("profile", "credentials_file"):
            settings[key] = _env(environ, key)
    settings["authority_host_env"] = environ.get("AZURE_AUTHORITY_HOST")
    settings["auth_source"] = settings["auth_source"] or "auto"
    return settings


def _env(environ, key):
    for name in ENV_VARS.get(key, ()):
        if environ.get(name):
            return environ[name]
    return None


def redacted(settings):
    """A copy of the settings that is safe to print."""
    return {k: ("********" if k in SECRET_KEYS and v else v) for k, v in settings.items()}


# --------------------------------------------------------------------------------------------
# Credential kinds


class _Kind:
    name = ""
    needs = ()

    def applies(self, settings):
        return all(settings.get(k) for k in self.needs)

    def missing(self, settings):
        return [k for k in self.needs if not settings.get(k)]

    def build(self, identity, settings, common):  # pragma: no cover - interface
        raise NotImplementedError


class ClientSecret(_Kind):
    name = "client_secret"
    needs = ("tenant_id", "client_id", "client_secret")

    def build(self, identity, settings, common):
        return identity.ClientSecretCredential(
            settings["tenant_id"], settings["client_id"], settings["client_secret"], **common
        )


class Certificate(_Kind):
    name = "certificate"
    needs = ("tenant_id", "client_id", "certificate_path")

    def build(self, identity, settings, common):
        kwargs = dict(common)
        if settings.get("certificate_password"):
            kwargs["password"] = settings["certificate_password"]
        try:  # azure-identity reads the file here
            return identity.CertificateCredential(
                settings["tenant_id"], settings["client_id"], certificate_path=settings["certificate_path"], **kwargs
            )
        except OSError as exc:
            raise AuthError("certificate_path %s cannot be read: %s." % (settings["certificate_path"], exc.strerror)) from None


class WorkloadIdentity(_Kind):
    name = "workload_identity"
    needs = ("tenant_id", "client_id", "federated_token_file")

    def build(self, identity, settings, common):
        return identity.WorkloadIdentityCredential(
            tenant_id=settings["tenant_id"],
            client_id=settings["client_id"],
            token_file_path=settings["federated_token_file"],
            **common,
        )


class Environment(_Kind):
    name = "env"

    def applies(self, settings):
        return False  # explicit only: 'auto' already reads the same variables into settings

    def build(self, identity, settings, common):
        return identity.EnvironmentCredential(**common)


class CredentialFile(_Kind):
    name = "credential_file"

    def applies(self, settings):
        return False  # a profile's values are merged into settings; the matching kind then applies

    def build(self, identity, settings, common):
        for kind in (ClientSecret(), Certificate(), WorkloadIdentity()):
            if kind.applies(settings):
                return kind.build(identity, settings, common)
        raise AuthError(
            "Profile [%s] of %s has neither a client secret nor a certificate for its client_id and tenant."
            % (settings.get("profile"), settings.get("credentials_file"))
        )


class Cli(_Kind):
    name = "cli"

    def applies(self, settings):
        return shutil.which("az") is not None

    def build(self, identity, settings, common):
        kwargs = {}
        if settings.get("tenant_id"):
            kwargs["tenant_id"] = settings["tenant_id"]
        return identity.AzureCliCredential(**kwargs)


class ManagedIdentity(_Kind):
    name = "msi"

    def applies(self, settings):
        return True  # last resort in 'auto'

    def build(self, identity, settings, common):
        kwargs = {k: v for k, v in common.items() if k == "connection_verify"}
        if settings.get("client_id"):
            kwargs["client_id"] = settings["client_id"]
        return identity.ManagedIdentityCredential(**kwargs)


KINDS = {k.name: k for k in (ClientSecret(), Certificate(), WorkloadIdentity(), Environment(), CredentialFile(), Cli(), ManagedIdentity())}
AUTO_ORDER = ("client_secret", "certificate", "workload_identity", "cli", "msi")
AUTH_SOURCES = ("auto",) + tuple(KINDS)


def choose_kind(settings):
    """The credential kind for these settings: the one asked for, or the first that applies."""
    source = settings.get("auth_source") or "auto"
    if source == "auto":
        for name in AUTO_ORDER:
            if KINDS[name].applies(settings):
                return KINDS[name]
        return KINDS["msi"]
    if source not in KINDS:
        raise AuthError("Unknown auth_source %r; use one of: %s." % (source, ", ".join(AUTH_SOURCES)))
    kind = KINDS[source]
    missing = kind.missing(settings)
    if missing:
        raise AuthError(
            "auth_source %s needs %s (as options, in a credentials-file profile, or from the environment)."
            % (source, ", ".join(missing))
        )
    return kind


def credential_kwargs(settings, cloud):
    """Keyword arguments every azure-identity credential of this connection gets."""
    authority = cloud.authority_host
    if not settings.get("cloud") and settings.get("authority_host_env"):
        authority = settings["authority_host_env"]
    common = {"authority": authority}
    if cloud.custom:
        # Instance discovery asks the public cloud about the authority: an air-gapped or
        # Azure Stack authority is unknown there, so discovery must be off for it.
        common["disable_instance_discovery"] = True
    if cloud.ca_bundle:
        common["connection_verify"] = cloud.ca_bundle
    return common


def build_credential(settings, cloud, identity=None):
    """Build the azure-identity credential for one connection."""
    if identity is None:
        from azure import identity  # pylint: disable=import-outside-toplevel
    kind = choose_kind(settings)
    return kind.name, kind.build(identity, settings, credential_kwargs(settings, cloud))


def ca_bundle_problem(path):
    """Why ``path`` cannot be the CA bundle (unreadable, or no PEM certificate in it), or None.

    Checked before the first request: otherwise a bad bundle surfaces as a TLS error of the metadata read, retried
    for seconds and named only as "cannot read the cloud metadata"."""
    if os.path.isdir(path):
        return None  # a directory of hashed certificates (c_rehash), as requests and OpenSSL accept
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return "ca_bundle %s cannot be read: %s." % (path, exc.strerror or exc)
    if b"-----BEGIN CERTIFICATE-----" not in data:
        return ("ca_bundle %s is not a PEM file of certificates (no -----BEGIN CERTIFICATE----- block): give the "
                "certificate authorities to trust in PEM format." % path)
    return None


def cloud_for(settings):
    """Resolve the connection's cloud; raise AuthError with a readable message."""
    if settings.get("ca_bundle"):
        problem = ca_bundle_problem(settings["ca_bundle"])
        if problem:
            raise AuthError(problem)
    try:
        return resolve_cloud(settings.get("cloud"), ca_bundle=settings.get("ca_bundle"))
    except CloudError as exc:
        raise AuthError(str(exc)) from None


def is_known_cloud_name(value):
    return known_cloud(value) is not None


def cli_subscription(run=subprocess.run):
    """The default subscription of the Azure CLI, for auth_source cli without subscription_id."""
    if not shutil.which("az"):
        return None
    try:
        done = run(["az", "account", "show", "--query", "id", "-o", "tsv"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None
