#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: cache_storage_account
short_description: The cache (log) storage account replication writes through, and the vault's access to it
version_added: 0.1.0
description:
  - Makes sure the storage account Site Recovery uses as its B(cache) (the API calls it the B(log storage
    account)) exists in the target region, secured, and - for the modernized provider - that the Recovery Services
    vault's system-assigned managed identity holds the roles Site Recovery needs on it.
  - "O(sku=standard): a general-purpose v2 account (C(StorageV2)), C(Standard_LRS). O(sku=premium): a premium block
    blob account (C(BlockBlobStorage), C(Premium_LRS)), the cache Site Recovery uses for high-churn machines."
  - "Always: secure transfer only (C(supportsHttpsTrafficOnly)), TLS 1.2 at the least (C(minimumTlsVersion)
    V(TLS1_2); an account already at V(TLS1_3) is left there) and no anonymous blob access
    (C(allowBlobPublicAccess=false)). An existing account that does not meet this is corrected with one update."
  - The account must be in the vault's region. With O(vault), a O(location) other than the vault's is refused
    before anything is written; an existing account in another region is refused too (an account cannot move).
  - The SKU and kind of an existing account are not changed (a Standard account cannot become Premium); a
    mismatch is refused and reported, so that another name can be chosen.
  - "Roles for the modernized provider (O(provider=modernized) with O(vault)), on the account's scope, as the
    replication tutorial lists them: standard - C(Contributor) and C(Storage Blob Data Contributor); premium -
    C(Contributor) and C(Storage Blob Data Owner). A role the identity already holds at the account or above it (its
    resource group, its subscription) is not assigned again."
  - The vault must have a system-assigned managed identity; when it has none, the module fails and says so. It does
    not turn it on - that is a change to the vault, made with M(azmove.site_recovery.recovery_vault)
    O(azmove.site_recovery.recovery_vault#module:system_assigned_identity=true).
  - Deleting the account is not this module's job (see the cleanup role of the move).
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-storage >= 21
  - azure-mgmt-authorization >= 4
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  name:
    description:
      - The storage account's name, 3 to 24 lower-case letters and digits, unique in the whole cloud.
      - A name that is taken (by anyone, in any subscription) is refused before anything is written.
    type: str
    required: true
  resource_group:
    description: The resource group of the account. It must exist.
    type: str
    required: true
  location:
    description: The target region, for example V(eastus); with O(vault), it must be the vault's region.
    type: str
    required: true
  sku:
    description:
      - V(standard) (C(Standard_LRS), C(StorageV2)) or V(premium) (C(Premium_LRS), C(BlockBlobStorage)).
    type: str
    choices: [standard, premium]
    default: standard
  vault:
    description:
      - The Recovery Services vault of the move. Its region is checked against O(location) and, for the
        modernized provider, its managed identity gets the roles on the account.
      - Without it, only the account is made.
    type: str
  vault_resource_group:
    description: The vault's resource group; the default is O(resource_group).
    type: str
  provider:
    description:
      - V(modernized) (replication appliance) grants the vault's identity its roles; V(classic) (configuration
        server) replicates with the process server's access and needs no role, so none is assigned.
    type: str
    choices: [modernized, classic]
    default: modernized
  tags:
    description: Tags to set on the account; tags it has besides these are kept.
    type: dict
  state:
    description: Only V(present).
    type: str
    choices: [present]
    default: present
  wait_timeout:
    description: How many seconds to wait at the most for the account to be created.
    type: int
    default: 900
notes:
  - "Azure permissions: C(Microsoft.Storage/storageAccounts/read) and C(/write) on the resource group,
    C(Microsoft.RecoveryServices/vaults/read) on the vault, and for the roles
    C(Microsoft.Authorization/roleAssignments/read) and C(/write) on the account (Owner or User Access
    Administrator; Contributor is not enough)."
  - Role assignments are named with a GUID derived from the account, the principal and the role, so a re-run after
    an interruption meets the same assignment.
  - Before anything is written, the caller's permissions on the resource group are read; a caller who could create
    the account but not assign the roles is refused then (a warning in check mode), not half-way.
  - Check mode reads and writes nothing; RV(action) and RV(role_assignments[].action) say what would be done.
seealso:
  - module: azmove.site_recovery.recovery_vault
  - module: azmove.site_recovery.move_prerequisites
  - name: Set up replication (modernized), the cache storage account and its roles
    description: The Site Recovery tutorial the roles come from.
    link: https://learn.microsoft.com/azure/site-recovery/vmware-azure-set-up-replication-tutorial-modernized
"""

EXAMPLES = r"""
- name: The cache storage account of the move, and the vault's access to it
  azmove.site_recovery.cache_storage_account:
    use_connection: target
    name: stmovecacheeastus
    resource_group: rg-move-eastus
    location: eastus
    vault: rsv-move-eastus
  register: cache

- name: A premium cache for high-churn machines, vault in another resource group
  azmove.site_recovery.cache_storage_account:
    use_connection: target
    name: stmovecachepremium
    resource_group: rg-move-eastus
    location: eastus
    sku: premium
    vault: rsv-move-eastus
    vault_resource_group: rg-vault-eastus
    tags:
      purpose: site-recovery-cache

- name: Classic provider (configuration server) - the account only, see what would change
  azmove.site_recovery.cache_storage_account:
    use_connection: target
    name: stmovecacheclassic
    resource_group: rg-move-eastus
    location: eastus
    provider: classic
  check_mode: true
  diff: true
"""

RETURN = r"""
id:
  description: The storage account's resource id (what replication takes as the log / cache storage account id).
  returned: always
  type: str
  sample: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-move-eastus/providers/Microsoft.Storage/storageAccounts/stmovecacheeastus
action:
  description: What was done to the account - V(created), V(updated) or V(unchanged); in check mode, what would be.
  returned: always
  type: str
  sample: created
changes:
  description: For V(updated), the settings corrected, as C(setting - before -> after) sentences.
  returned: always
  type: list
  elements: str
  sample: ["minimumTlsVersion: TLS1_0 -> TLS1_2", "allowBlobPublicAccess: true -> false"]
account:
  description: The account's settings after the task (in check mode, as they would be).
  returned: always
  type: dict
  contains:
    name:
      description: Its name.
      type: str
    location:
      description: Its region.
      type: str
    sku:
      description: Its SKU, V(Standard_LRS) or V(Premium_LRS).
      type: str
    kind:
      description: Its kind, V(StorageV2) or V(BlockBlobStorage).
      type: str
    supports_https_traffic_only:
      description: Secure transfer required.
      type: bool
    minimum_tls_version:
      description: The lowest TLS version accepted.
      type: str
    allow_blob_public_access:
      description: Whether anonymous access to blobs can be turned on.
      type: bool
    tags:
      description: Its tags.
      type: dict
      sample: {purpose: site-recovery-cache}
  sample:
    name: stmovecacheeastus
    location: eastus
    sku: Standard_LRS
    kind: StorageV2
    supports_https_traffic_only: true
    minimum_tls_version: TLS1_2
    allow_blob_public_access: false
    tags: {}
principal_id:
  description: The object id of the vault's system-assigned managed identity, or null without O(vault).
  returned: always
  type: str
  sample: 5b3a1c3e-4a4d-4a8e-9c55-0d5d9a3f8f21
role_assignments:
  description: The roles the vault's identity needs on the account (empty for V(classic) or without O(vault)).
  returned: always
  type: list
  elements: dict
  contains:
    role:
      description: The built-in role's name.
      type: str
    role_definition_id:
      description: The role definition's id.
      type: str
    principal_id:
      description: Who holds it (the vault's managed identity).
      type: str
    scope:
      description: Where it is assigned - the account, or a scope above it that already grants it.
      type: str
    id:
      description: The role assignment's id (null in check mode for one not made yet).
      type: str
    action:
      description: V(created) or V(exists); in check mode, V(created) means it would be.
      type: str
  sample:
    - role: Contributor
      role_definition_id: "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Authorization/\
        roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"
      principal_id: 5b3a1c3e-4a4d-4a8e-9c55-0d5d9a3f8f21
      scope: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-move-eastus/providers/Microsoft.Storage/storageAccounts/stmovecacheeastus
      id: "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-move-eastus/providers/Microsoft.Storage/\
        storageAccounts/stmovecacheeastus/providers/Microsoft.Authorization/roleAssignments/0d7e0f4c-0a3b-5e8e-9f6c-1c2b3a4d5e6f"
      action: created
connection:
  description: The connection the task used (never its secrets).
  returned: always
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

import re
import uuid

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import resource_id
from ansible_collections.azmove.site_recovery.plugins.module_utils._discovery import rest
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none, translate
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._prerequisites import allowed
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import wait_for_poller

NAME_RE = re.compile(r"^[a-z0-9]{3,24}$")
SKUS = {"standard": ("Standard_LRS", "StorageV2"), "premium": ("Premium_LRS", "BlockBlobStorage")}
# Built-in role definitions: the same well-known ids in every Azure cloud.
ROLES = {
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
}
# What the vault's identity needs on the cache account (modernized replication tutorial).
NEEDED = {"standard": ["Contributor", "Storage Blob Data Contributor"], "premium": ["Contributor", "Storage Blob Data Owner"]}
TLS_ORDER = ["TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"]
# Named after the account, the principal and the role, like a template's guid(): a re-run meets the same name.
ASSIGNMENT_NAMESPACE = uuid.UUID("6f1c7a52-3d0e-4c59-9a43-5e0c2f0b7d11")


def normalize_region(value):
    return (value or "").replace(" ", "").lower()


def security_fixes(props):
    """{setting: (before, after)} for the account properties that fall short of the secure baseline."""
    fixes = {}
    if props.get("supportsHttpsTrafficOnly") is not True:
        fixes["supportsHttpsTrafficOnly"] = (props.get("supportsHttpsTrafficOnly"), True)
    tls = props.get("minimumTlsVersion") or "TLS1_0"  # unset means TLS 1.0 to Azure Storage
    if tls not in TLS_ORDER or TLS_ORDER.index(tls) < TLS_ORDER.index("TLS1_2"):
        fixes["minimumTlsVersion"] = (props.get("minimumTlsVersion"), "TLS1_2")
    if props.get("allowBlobPublicAccess") is True:
        fixes["allowBlobPublicAccess"] = (True, False)
    return fixes


def account_view(body):
    props = body.get("properties") or {}
    return {
        "name": body.get("name"),
        "location": normalize_region(body.get("location")),
        "sku": (body.get("sku") or {}).get("name"),
        "kind": body.get("kind"),
        "supports_https_traffic_only": props.get("supportsHttpsTrafficOnly"),
        "minimum_tls_version": props.get("minimumTlsVersion"),
        "allow_blob_public_access": props.get("allowBlobPublicAccess"),
        "tags": body.get("tags") or {},
    }


def scope_contains(outer, inner):
    outer, inner = outer.lower().rstrip("/"), inner.lower().rstrip("/")
    return inner == outer or inner.startswith(outer + "/")


def short(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


class CacheStorageAccount:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.sku, self.kind = SKUS[self.p["sku"]]
        self.location = normalize_region(self.p["location"])
        self.result = dict(id=None, action=None, changes=[], account={}, principal_id=None, role_assignments=[])

    # -- reads --------------------------------------------------------------------------------------------------
    def vault_principal(self):
        """The vault's system-assigned identity (None when no vault is given or, in check mode, it is missing)."""
        p, module = self.p, self.module
        if not p["vault"]:
            return None
        vault_rg = p["vault_resource_group"] or p["resource_group"]
        vault = rest(get_or_none(module.client("recoveryservices").vaults.get, vault_rg, p["vault"]))
        if vault is None:
            message = "The Recovery Services vault %s does not exist in resource group %s." % (p["vault"], vault_rg)
            if not module.check_mode:
                module.fail(message + " Create it first (azmove.site_recovery.recovery_vault).", **self.result)
            module.module.warn(message + " In check mode the roles are listed without a principal.")
            return None
        if normalize_region(vault.get("location")) != self.location:
            module.fail("The cache storage account must be in the vault's region: vault %s is in %s, location is %s. "
                        "Nothing was changed." % (p["vault"], normalize_region(vault.get("location")), self.location),
                        **self.result)
        if p["provider"] != "modernized":
            return None
        identity = vault.get("identity") or {}
        if "systemassigned" not in (identity.get("type") or "").replace(" ", "").lower() or not identity.get("principalId"):
            module.fail("The Recovery Services vault %s has no system-assigned managed identity, which the modernized "
                        "provider uses to write replication data to the cache storage account. Turn it on with "
                        "azmove.site_recovery.recovery_vault (system_assigned_identity: true) and run this again; "
                        "nothing was changed." % p["vault"], **self.result)
        return identity["principalId"]

    def check_name(self, storage):
        answer = rest(storage.storage_accounts.check_name_availability(
            {"name": self.p["name"], "type": "Microsoft.Storage/storageAccounts"}))
        if not answer.get("nameAvailable"):
            self.module.fail("The storage account name %s cannot be used (%s): %s Storage account names are unique "
                             "in the whole cloud; choose another. Nothing was changed."
                             % (self.p["name"], answer.get("reason"), answer.get("message") or ""), **self.result)

    # -- the account ----------------------------------------------------------------------------------------------
    def create_body(self):
        props = {"supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False}
        if self.kind == "StorageV2":
            props["accessTier"] = "Hot"
        return {"location": self.location, "sku": {"name": self.sku}, "kind": self.kind,
                "tags": dict(self.p["tags"] or {}), "properties": props}

    def account(self, storage, account_id):
        """(action, changes, before, after, update body) of the account, refusing what cannot be done."""
        p, module = self.p, self.module
        existing = rest(get_or_none(storage.storage_accounts.get_properties, p["resource_group"], p["name"]))
        if existing is None:
            self.check_name(storage)
            body = self.create_body()
            after = account_view(dict(body, name=p["name"]))
            return "created", [], {}, after, body
        view = account_view(existing)
        if view["location"] != self.location:
            module.fail("Storage account %s already exists in %s, not %s; an account cannot move. Choose another name."
                        % (account_id, view["location"], self.location), **self.result)
        if (view["sku"], view["kind"]) != (self.sku, self.kind):
            module.fail("Storage account %s is %s %s, but sku=%s asks for %s %s. Its SKU tier and kind are not changed "
                        "by this module (a Standard account cannot become Premium); choose another name, or the sku "
                        "that matches it. Nothing was changed." % (account_id, view["sku"], view["kind"], p["sku"],
                                                                   self.sku, self.kind), **self.result)
        fixes = security_fixes(existing.get("properties") or {})
        tags = dict(view["tags"])
        tag_changes = {k: v for k, v in (p["tags"] or {}).items() if tags.get(k) != v}
        changes = ["%s: %s -> %s" % (k, short(b), short(a)) for k, (b, a) in fixes.items()]
        changes += ["tags.%s: %s -> %s" % (k, tags.get(k), v) for k, v in tag_changes.items()]
        if not changes:
            return "unchanged", [], view, view, None
        body = {}
        if fixes:
            body["properties"] = {k: a for k, (b, a) in fixes.items()}
        if tag_changes:
            tags.update(tag_changes)
            body["tags"] = tags
        after = dict(view, tags=tags)
        for key, (_before, value) in fixes.items():
            after[{"supportsHttpsTrafficOnly": "supports_https_traffic_only", "minimumTlsVersion": "minimum_tls_version",
                   "allowBlobPublicAccess": "allow_blob_public_access"}[key]] = value
        return "updated", changes, view, after, body

    # -- roles ----------------------------------------------------------------------------------------------------
    def roles(self, authorization, account_id, principal, account_exists, subscription_id):
        """The role assignments the principal needs: [(entry, assignment name or None when it holds the role)]."""
        held = []
        if principal and account_exists:
            listed = authorization.role_assignments.list_for_scope(account_id, filter="principalId eq '%s'" % principal)
            held = [rest(a) for a in listed]
        plan = []
        for role in NEEDED[self.p["sku"]]:
            guid = ROLES[role]
            definition = "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (subscription_id, guid)
            entry = dict(role=role, role_definition_id=definition, principal_id=principal, scope=account_id, id=None,
                         action="created")
            for assignment in held:
                props = assignment.get("properties") or {}
                if (props.get("roleDefinitionId") or "").lower().rstrip("/").endswith("/" + guid) and \
                        (props.get("principalId") or "").lower() == principal.lower() and \
                        scope_contains(props.get("scope") or "", account_id):
                    entry.update(id=assignment.get("id"), scope=props.get("scope"), action="exists")
                    break
            name = None
            if entry["action"] == "created" and principal:
                name = str(uuid.uuid5(ASSIGNMENT_NAMESPACE, "%s|%s|%s" % (account_id.lower(), principal.lower(), guid)))
            plan.append((entry, name))
        return plan

    def may_assign_roles(self, authorization):
        """Refuse, before the account is written, a caller that could make it but not grant the roles on it."""
        rg = self.p["resource_group"]
        permissions = [rest(x) for x in authorization.permissions.list_for_resource_group(rg)]
        if allowed(permissions, "Microsoft.Authorization/roleAssignments/write"):
            return
        message = ("The caller may not assign roles (Microsoft.Authorization/roleAssignments/write) in resource group %s, "
                   "so the vault's identity cannot be given its roles on the cache storage account. Ask for Owner or "
                   "User Access Administrator there (Contributor cannot assign roles), or have someone who can run this "
                   "task." % rg)
        if self.module.check_mode:
            self.module.module.warn(message)
            return
        self.module.fail(message + " Nothing was changed.", **self.result)

    def grant(self, authorization, entry, name):
        body = {"properties": {"roleDefinitionId": entry["role_definition_id"], "principalId": entry["principal_id"],
                               "principalType": "ServicePrincipal"}}
        try:
            made = rest(authorization.role_assignments.create(entry["scope"], name, body))
            entry["id"] = made.get("id")
        except Exception as exc:  # pylint: disable=broad-except  # only "already there" is an answer
            failure = translate(exc)
            if failure.code != "RoleAssignmentExists":
                self.module.fail_from(exc, "cache_storage_account, granting %s to the vault's identity" % entry["role"],
                                      **self.result)
            entry["action"] = "exists"  # made meanwhile under another name

    # -- the whole task ---------------------------------------------------------------------------------------------
    def present(self):
        module, p = self.module, self.p
        if not NAME_RE.match(p["name"]):
            module.fail("name %r is not a valid storage account name: 3 to 24 characters, lower-case letters and "
                        "digits only." % p["name"])
        conn = module.connection()
        self.result["connection"] = conn.describe()
        account_id = resource_id(p["name"], "Microsoft.Storage/storageAccounts", conn.subscription_id, p["resource_group"])
        self.result["id"] = account_id
        principal = self.vault_principal()
        self.result["principal_id"] = principal
        storage = module.client("storage")
        action, changes, before, after, body = self.account(storage, account_id)
        self.result.update(action=action, changes=changes, account=after)
        plan = []
        if p["vault"] and p["provider"] == "modernized":
            authorization = module.client("authorization")
            plan = self.roles(authorization, account_id, principal, action != "created", conn.subscription_id)
        self.result["role_assignments"] = [entry for entry, _name in plan]
        to_grant = [(entry, name) for entry, name in plan if entry["action"] == "created"]
        if to_grant:
            self.may_assign_roles(authorization)
        changed = action != "unchanged" or bool(to_grant)
        diff_before = dict(account=before, role_assignments=[e["role"] for e, _n in plan if e["action"] == "exists"])
        diff_after = dict(account=after, role_assignments=[e["role"] for e, _n in plan])
        if module.check_mode or not changed:
            module.exit(changed, before=diff_before if changed else None, after=diff_after if changed else None,
                        **self.result)
        if action == "created":
            poller = storage.storage_accounts.begin_create(p["resource_group"], p["name"], body)
            created = rest(wait_for_poller(poller, "storage account %s to be created" % p["name"], p["wait_timeout"]))
            if created:
                self.result["account"] = account_view(created)
        elif action == "updated":
            self.result["account"] = account_view(rest(storage.storage_accounts.update(p["resource_group"], p["name"], body)))
        for entry, name in to_grant:
            self.grant(authorization, entry, name)
        module.exit(changed, before=diff_before, after=diff_after, **self.result)


def main():
    module = AzureModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            resource_group=dict(type="str", required=True),
            location=dict(type="str", required=True),
            sku=dict(type="str", choices=list(SKUS), default="standard"),
            vault=dict(type="str"),
            vault_resource_group=dict(type="str"),
            provider=dict(type="str", choices=["modernized", "classic"], default="modernized"),
            tags=dict(type="dict"),
            state=dict(type="str", choices=["present"], default="present"),
            wait_timeout=dict(type="int", default=900),
        ),
    )
    manager = CacheStorageAccount(module)
    run(module, manager.present, action="cache_storage_account")


if __name__ == "__main__":
    main()
