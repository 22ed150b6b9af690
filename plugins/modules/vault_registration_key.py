#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: vault_registration_key
short_description: Produce the vault registration key (.VaultCredentials file) for a configuration server
version_added: 0.1.0
description:
  - Writes the Site Recovery vault registration key of a Recovery Services vault - the portal's
    "Download registration key", the C(.VaultCredentials) file that Unified Setup takes as
    C(/VaultCredsFilePath) when it installs and registers the (classic) configuration server.
  - Makes it as Az PowerShell's C(Get-AzRecoveryServicesVaultSettingsFile -SiteRecovery) does - a new
    self-signed certificate (C(CN=Windows Azure Tools), RSA 2048, client authentication, valid from 10 minutes
    ago for 120 hours) is uploaded to the vault (C(PUT .../vaults/{vault}/certificates/{name})), the vault's
    channel integrity key is read from its extended information (and created, as PowerShell does, when the vault
    has none), and the C(RSVaultAsrCreds) XML is written with the certificate and its private key as an
    empty-password PFX.
  - The file is written on the host the task runs on (usually the controller, with C(delegate_to=localhost)),
    atomically (a temporary file beside it, then C(atomic_move)) and with mode C(0600), never wider even for a
    moment; O(owner), O(group) and the SELinux options apply to it. Copy it to the configuration server with the
    C(azmove.site_recovery.configuration_server) role, which also deletes it there after setup.
  - A registration key is valid for 5 days. By default an existing file of the same vault that is not about to
    expire is kept, so re-running a play does not upload a new certificate each time.
  - The file holds a private key and the vault's integrity key. Neither is ever returned or logged, not even at
    C(-vvvv) or in diff mode.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
  - cryptography
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - ansible.builtin.files
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
attributes:
  idempotent:
    details:
      - A second run keeps the file of the first, until it is within O(renew_before) hours of expiry.
options:
  mode:
    description:
      - The file's permissions in octal, as a quoted string (C("0600"), C("0640") or C("0400")); C(0600) when not given.
      - The file holds a private key, so a mode giving others any access, or the group write access, is refused, and
        so is a symbolic mode (its result depends on the file it is applied to, which is not known before the write).
      - A kept file whose mode differs is given this one, and that is a change.
    type: raw
  vault:
    description: The name of the Recovery Services vault the configuration server registers with.
    type: str
    required: true
    aliases: [vault_name]
  resource_group:
    description: The resource group of the vault.
    type: str
    required: true
  path:
    description:
      - Where to write the file.
      - An existing directory (or a path ending in C(/)) - the file is named
        C(<vault>_<yyyy-MM-ddTHH-mm-ss>.VaultCredentials) with the UTC time, as PowerShell names it, and the newest
        such file of the vault in that directory is the one considered for reuse. Older files are left in place.
      - Any other path is the file itself. Its directory must exist.
      - An existing file that is not a vault credentials file is never overwritten unless O(force=true).
    type: path
    required: true
  reuse:
    description:
      - Keep an existing file at O(path) when it belongs to this vault (same subscription, resource group and vault
        name), its certificate does not expire within O(renew_before) hours, and its channel integrity key is still
        the vault's.
      - With V(false), a new file (and a new certificate upload) every run.
    type: bool
    default: true
  renew_before:
    description:
      - How many hours before its certificate expires a kept file is replaced by a new one.
      - From 0 to 119; a new file is valid for 120 hours, so 120 or more would renew on every run.
    type: int
    default: 24
  force:
    description:
      - Always make a new file, even if the existing one could be kept, and overwrite whatever is at O(path),
        including a file that is not a vault credentials file.
    type: bool
    default: false
  create:
    description:
      - With V(false), only check the file at O(path) (in a directory, the vault's newest) and send nothing to
        Azure - the task fails unless it is a registration key of this vault (resource group and vault name; the
        subscription is not compared) whose certificate has not expired. The
        C(azmove.site_recovery.configuration_server) role checks its key so on the controller before it touches the
        server.
      - Not with O(force=true).
    type: bool
    default: true
notes:
  - Each new file uploads a new certificate to the vault; the vault keeps accepting the earlier ones until they
    expire.
  - The vault must be in provisioning state C(Succeeded). A missing vault fails with Azure's C(ResourceNotFound).
  - If the vault's integrity key was made by the Azure portal with an algorithm other than C(None), the key cannot
    be read back (PowerShell refuses too); download the registration key from the portal instead.
  - The PFX uses the C(cryptography) package's empty-password PKCS#12 (unencrypted key bag, SHA-256 MAC).
  - The classic configuration server is being retired by Microsoft (see the
    C(azmove.site_recovery.configuration_server) role's README for the dates).
seealso:
  - module: azmove.site_recovery.recovery_vault
  - name: Get-AzRecoveryServicesVaultSettingsFile
    description: The PowerShell cmdlet whose file this module writes.
    link: https://learn.microsoft.com/powershell/module/az.recoveryservices/get-azrecoveryservicesvaultsettingsfile
"""

EXAMPLES = r"""
- name: Registration key of the move's vault, next to the playbook
  azmove.site_recovery.vault_registration_key:
    use_connection: target
    vault: rsv-move-eastus
    resource_group: rg-move-target
    path: "{{ playbook_dir }}/files/rsv-move-eastus.VaultCredentials"
  delegate_to: localhost
  register: key

- name: Install the configuration server with it
  ansible.builtin.include_role:
    name: azmove.site_recovery.configuration_server
  vars:
    configuration_server_vault_credentials_file: "{{ key.path }}"

- name: Check, without asking Azure, that the key has not expired
  azmove.site_recovery.vault_registration_key:
    vault: rsv-move-eastus
    resource_group: rg-move-target
    path: "{{ playbook_dir }}/files/rsv-move-eastus.VaultCredentials"
    create: false
  delegate_to: localhost

- name: A new key in a directory, named like PowerShell names it, whatever exists
  azmove.site_recovery.vault_registration_key:
    use_connection: target
    vault: rsv-move-eastus
    resource_group: rg-move-target
    path: /srv/asr/keys/
    force: true
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: The file kept or written (in check mode, the one that would be written).
  returned: always
  type: str
  sample: /srv/asr/keys/rsv-move-eastus_2026-03-02T09-15-04.VaultCredentials
expires:
  description: When the file's certificate expires, ISO 8601 UTC. In check mode for a new file, an estimate.
  returned: always
  type: str
  sample: "2026-03-07T09:15:04Z"
expires_in_hours:
  description: Hours from now until O(path) expires, rounded to a hundredth.
  returned: always
  type: float
  sample: 119.99
thumbprint:
  description: SHA-1 thumbprint of the file's certificate, as the vault shows it. Null in check mode for a new file.
  returned: always
  type: str
  sample: 019FE9BAD18A5A09A5CA53B593AF66331F3054AF
created:
  description: A file was written (or would be, in check mode) where there was no file of this vault.
  returned: always
  type: bool
renewed:
  description: A file of this vault was replaced by a new one (expiring, O(force), O(reuse=false), or the vault's
    integrity key changed).
  returned: always
  type: bool
reason:
  description: Why a new file was made; null when the existing one was kept.
  returned: always
  type: str
  sample: the certificate expires at 2026-03-07T09:15:04Z, within renew_before (24 hours)
vault_id:
  description: The vault's ARM resource id.
  returned: always
  type: str
  sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-move-target/providers/Microsoft.RecoveryServices/vaults/rsv-move-eastus
location:
  description: The vault's region, as written in the file.
  returned: always
  type: str
  sample: eastus
connection:
  description: The connection the task used (never its secrets).
  returned: when O(create=true)
  type: dict
  contains:
    name:
      description: The connection's name (of O(connections)), or C(default) when the task's own options were used.
      type: str
      sample: target
    cloud:
      description: The Azure cloud it reaches, C(AzureCloud) or C(AzureUSGovernment).
      type: str
      sample: AzureCloud
    resource_manager:
      description: That cloud's Azure Resource Manager endpoint.
      type: str
      sample: "https://management.azure.com/"
    subscription_id:
      description: The subscription it works in.
      type: str
      sample: "11111111-1111-1111-1111-111111111111"
    auth_source:
      description: How the token was obtained (one of O(auth_source)'s choices, as resolved by V(auto)).
      type: str
      sample: client_secret
"""

import os

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import vault_id
from ansible_collections.azmove.site_recovery.plugins.module_utils._files import apply_file_args, write_file
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils import _vault_credentials as vc


def check_only(module):
    """create=false: the key at path, read and checked without a request, or a failure saying what is wrong."""
    p = module.params
    if p["force"]:
        module.fail("force makes a new file and create=false makes none: set one of them.")
    now = vc.utcnow()
    try:
        path, creds, cert = vc.usable_key(p["path"], p["resource_group"], p["vault"], now)
    except vc.CredentialsError as exc:
        module.fail(str(exc))
    for secret in (creds.channel_integrity_key, creds.management_cert):
        if secret:
            module.module.no_log_values.add(secret)
    summary = {"path": path, "expires": vc.iso(cert.not_after), "thumbprint": cert.thumbprint}
    module.exit(
        False, created=False, renewed=False, reason=None,
        expires_in_hours=round((cert.not_after - now).total_seconds() / 3600.0, 2), location=creds.location,
        vault_id=vault_id(creds.subscription_id, creds.resource_group, creds.vault_name), **summary)


def key_file_mode(module, mode):
    """The key file's permissions from the task's mode (0600 when not given); refuses what would expose the key."""
    if mode is None:
        return vc.FILE_MODE
    try:
        value = int(mode, 8) if isinstance(mode, str) else int(mode)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= 0o777:
        module.fail("mode %r is not an octal mode such as '0600': a symbolic mode cannot be checked before the key file "
                    "is written." % (mode,))
    if value & 0o027:
        module.fail("mode %04o would let %s the vault registration key, which holds a private key: use 0600, 0640 or "
                    "0400." % (value, "others read" if value & 0o007 else "the group change"))
    if not value & 0o400:
        module.fail("mode %04o would not let the owner read the key file." % value)
    return value


def main():
    module = AzureModule(
        argument_spec=dict(
            vault=dict(type="str", required=True, aliases=["vault_name"]),
            resource_group=dict(type="str", required=True),
            path=dict(type="path", required=True),
            reuse=dict(type="bool", default=True),
            renew_before=dict(type="int", default=24),
            force=dict(type="bool", default=False),
            create=dict(type="bool", default=True),
        ),
        add_file_common_args=True,
    )
    p = module.params
    mode = key_file_mode(module, p["mode"])
    if not vc.HAS_CRYPTOGRAPHY:
        module.module.fail_json(msg=missing_required_lib("cryptography"), exception=vc.CRYPTOGRAPHY_IMPORT_ERROR)
    if not p["create"]:
        check_only(module)
    # Bad input is refused before any request.
    if not 0 <= p["renew_before"] < vc.VALID_HOURS:
        module.fail("renew_before is %d, but it must be from 0 to %d hours: a new registration key is valid for %d "
                    "hours, so a larger value would renew it on every run." % (p["renew_before"], vc.VALID_HOURS - 1,
                                                                               vc.VALID_HOURS))
    raw_path = p["path"]
    directory_mode = os.path.isdir(raw_path) or raw_path.endswith(os.sep)
    if directory_mode and not os.path.isdir(raw_path):
        module.fail("path %s names a directory that does not exist." % raw_path)
    if not directory_mode and not os.path.isdir(os.path.dirname(os.path.abspath(raw_path))):
        module.fail("The directory of path %s does not exist." % raw_path)

    def body():
        conn = module.connection()
        manager = vc.RegistrationKeyManager(
            module.client("recoveryservices"), conn.subscription_id, p["resource_group"], p["vault"],
            check_mode=module.check_mode, mode=mode,
            writer=lambda path, data: write_file(module.module, path, data, mode))
        try:
            out = manager.ensure(raw_path, directory_mode, reuse=p["reuse"], force=p["force"],
                                 renew_before_hours=p["renew_before"])
        except (vc.CredentialsError, OSError) as exc:
            module.fail("vault_registration_key %s: %s" % (p["vault"], exc))
        for secret in out.pop("secrets"):
            if secret:
                module.module.no_log_values.add(secret)
        vault = out["vault"]
        expires = out["expires"]
        # The task's owner, group and SELinux context (the mode is the manager's already).
        attrs_changed = apply_file_args(module.module, [out["path"]], mode)
        module.exit(
            out["changed"] or attrs_changed,
            before=out["before"],
            after=out["after"],
            path=out["path"],
            expires=vc.iso(expires),
            expires_in_hours=round((expires - manager.now).total_seconds() / 3600.0, 2),
            thumbprint=out["thumbprint"],
            created=out["created"],
            renewed=out["renewed"],
            reason=out["reason"],
            vault_id=vault.get("id"),
            location=vault.get("location"),
            connection=conn.describe(),
        )

    run(module, body, action="vault_registration_key %s" % p["vault"])


if __name__ == "__main__":
    main()
