# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Connection options: cloud, subscription and credential, once per play."""

    DOCUMENTATION = r"""
options:
  connections:
    description:
      - Named connections, declared once (usually in C(module_defaults) for C(group/azmove.site_recovery.azure))
        so that one play can address the source cloud and the target cloud at the same time.
      - Each entry takes the same settings as the task-level connection options below, plus O(connections[].name).
      - A task picks one with O(use_connection). With a single entry, that entry is used; with several, a task
        without O(use_connection) is refused.
      - Each name must appear once; two entries with the same name are refused.
    type: list
    elements: dict
    suboptions:
      name:
        description: The name tasks use in O(use_connection), for example V(source) or V(target).
        type: str
        required: true
      cloud:
        description: See O(cloud).
        type: str
        aliases: [cloud_environment]
      ca_bundle:
        description: See O(ca_bundle).
        type: path
      auth_source:
        description: See O(auth_source).
        type: str
        choices: [auto, client_secret, certificate, workload_identity, env, credential_file, cli, msi]
      subscription_id:
        description: See O(subscription_id).
        type: str
      tenant_id:
        description: See O(tenant_id).
        type: str
        aliases: [tenant]
      client_id:
        description: See O(client_id).
        type: str
      client_secret:
        description: See O(client_secret).
        type: str
        aliases: [secret]
      certificate_path:
        description: See O(certificate_path).
        type: path
        aliases: [x509_certificate_path]
      certificate_password:
        description: See O(certificate_password).
        type: str
      federated_token_file:
        description: See O(federated_token_file).
        type: path
      profile:
        description: See O(profile).
        type: str
      credentials_file:
        description: See O(credentials_file).
        type: path
      thumbprint:
        description: See O(thumbprint).
        type: str
      cert_validation_mode:
        description: See O(cert_validation_mode).
        type: str
        choices: [validate, ignore]
      adfs_authority_url:
        description: See O(adfs_authority_url).
        type: str
      api_profile:
        description: See O(api_profile).
        type: str
  use_connection:
    description:
      - The name of the entry of O(connections) this task uses.
      - Connection options given on the task itself override that entry for this task only.
    type: str
  cloud:
    description:
      - The Azure cloud. V(AzureCloud) (public), V(AzureUSGovernment), V(AzureChinaCloud), or the https URL of an
        ARM metadata endpoint (C(https://<arm-host>/metadata/endpoints?api-version=2022-09-01)), as used by
        Azure Stack Hub and C(az cloud register), for any other cloud.
      - The cloud decides the ARM endpoint, the Microsoft Entra ID authority and the token scope. For Government
        the scope is C(https://management.core.usgovcloudapi.net/.default).
      - Falls back to E(AZURE_CLOUD_ENVIRONMENT), then V(AzureCloud).
      - O(cloud_environment) is azure.azcollection's name for it and takes the same values.
    type: str
    aliases: [cloud_environment]
  ca_bundle:
    description:
      - A PEM file of certificate authorities to trust for this cloud's endpoints (a custom cloud with a private
        CA). TLS is always verified.
      - A file that cannot be read or holds no PEM certificate is refused before any request.
    type: path
  auth_source:
    description:
      - How to get a token.
      - V(client_secret), V(certificate) and V(workload_identity) use a service principal (the last with a
        federated token file, as in AKS or GitHub Actions). V(env) uses azure-identity's EnvironmentCredential.
        V(credential_file) reads a profile of O(credentials_file). V(cli) uses the Azure CLI's login.
        V(msi) uses the managed identity of the machine the task runs on.
      - V(auto) takes the first that has what it needs, in this order - client_secret, certificate,
        workload_identity (settings from the task, the connection, its profile, or the environment), then
        cli when C(az) is installed, then msi. When not set here, in the connection or in its profile, V(auto).
    type: str
    choices: [auto, client_secret, certificate, workload_identity, env, credential_file, cli, msi]
  subscription_id:
    description:
      - The subscription, a GUID; another value is refused before any request. Falls back to the profile, then
        E(AZURE_SUBSCRIPTION_ID).
    type: str
  tenant_id:
    description: The Microsoft Entra tenant (directory) id. Falls back to the profile, then E(AZURE_TENANT_ID).
    type: str
    aliases: [tenant]
  client_id:
    description: The application (client) id of the service principal. Falls back to E(AZURE_CLIENT_ID).
    type: str
  client_secret:
    description:
      - The service principal's client secret. Falls back to the profile, then E(AZURE_CLIENT_SECRET).
      - Never printed, not even at C(-vvvv).
    type: str
    aliases: [secret]
  certificate_path:
    description:
      - A PEM or PKCS12 file with the service principal's certificate and private key.
        Falls back to E(AZURE_CLIENT_CERTIFICATE_PATH).
      - O(x509_certificate_path) is azure.azcollection's name for it.
    type: path
    aliases: [x509_certificate_path]
  certificate_password:
    description: The password of O(certificate_path), if it has one. Never printed.
    type: str
  federated_token_file:
    description: A file holding a federated (workload identity) token. Falls back to E(AZURE_FEDERATED_TOKEN_FILE).
    type: path
  profile:
    description:
      - A profile (section) of O(credentials_file), for example V(source) or V(target). Its C(subscription_id),
        C(client_id), C(secret), C(tenant), C(cloud_environment) and C(x509_certificate_path) keys fill the
        settings this connection leaves out. Falls back to E(AZURE_PROFILE).
    type: str
  credentials_file:
    description: The INI credentials file, in the format azure.azcollection users keep.
      Falls back to E(AZURE_CREDENTIALS_FILE), then C(~/.azure/credentials).
    type: path
  thumbprint:
    description:
      - The thumbprint of O(certificate_path), as azure.azcollection takes it. Accepted so that its
        C(module_defaults) serve these modules; not needed, since the thumbprint is read from the certificate.
    type: str
  cert_validation_mode:
    description:
      - azure.azcollection's TLS setting. V(validate) is what these modules always do; V(ignore) is refused
        before any request (give the cloud's certificate authorities with O(ca_bundle) instead).
    type: str
    choices: [validate, ignore]
  adfs_authority_url:
    description:
      - The Microsoft Entra ID or AD FS authority to ask for tokens, instead of the cloud's own (azure.azcollection's
        option of the same name). Usually not needed - a custom cloud's metadata names its authority.
    type: str
  api_profile:
    description:
      - azure.azcollection's API profile. Only V(latest) (its default) applies here - the modules send the API
        versions they are tested with; another profile (an Azure Stack Hub hybrid profile) is refused before any
        request.
    type: str
notes:
  - Settings are merged per connection - task options, then the connection entry, then its profile, then
    environment variables (E(AZURE_CLIENT_ID), E(AZURE_TENANT_ID), E(AZURE_CLIENT_SECRET),
    E(AZURE_SUBSCRIPTION_ID), E(AZURE_FEDERATED_TOKEN_FILE), E(AZURE_CLIENT_CERTIFICATE_PATH),
    E(AZURE_CLOUD_ENVIRONMENT); E(AZURE_AUTHORITY_HOST) when no cloud is named).
  - Transient errors (HTTP 408, 429, 500, 502, 503, 504 and dropped connections) are retried by azure-core's
    retry policy, at most 6 times with exponential backoff (0.8 s factor, 60 s cap), honouring C(Retry-After).
  - Requests carry the user agent C(azmove-site-recovery/<version>).
requirements:
  - python >= 3.9
  - azure-identity
  - azure-core
"""
