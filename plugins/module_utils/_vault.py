# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Recovery Services vault: desired state against what Azure has, without Ansible."""

from __future__ import annotations

import re

from ._asr import parse_arm_id
from ._errors import get_or_none
from ._wait import wait_for_poller

REDUNDANCY = ("LocallyRedundant", "GeoRedundant", "ZoneRedundant")
# Vault names: 2-50 letters, digits and hyphens, starting with a letter (Azure's naming rules for
# Microsoft.RecoveryServices/vaults: MicrosoftDocs/azure-docs, articles/azure-resource-manager/management/resource-name-rules.md).
VAULT_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,49}$")


def vault_name_problem(name):
    """Why Azure would refuse ``name`` for a Recovery Services vault, or None."""
    if VAULT_NAME_RE.match(name):
        return None
    return ("Vault name %r is not valid: a Recovery Services vault name has 2 to 50 letters, digits and hyphens, "
            "and starts with a letter." % name)


def normalize_region(name):
    """ARM's spelling of a region: 'US Gov Virginia' and 'usgovvirginia' are the same."""
    return (name or "").replace(" ", "").replace("_", "").replace("-", "").lower()


def _as_dict(model):
    if model is None:
        return None
    if hasattr(model, "as_dict"):
        return model.as_dict()
    return dict(model)


def vault_facts(raw, resource_group=None):
    """The vault as the modules return it: snake_case, the fields a user acts on."""
    raw = _as_dict(raw) or {}
    props = raw.get("properties") or {}
    redundancy = props.get("redundancySettings") or {}
    identity = raw.get("identity") or {}
    sku = raw.get("sku") or {}
    vault_id = raw.get("id") or ""
    if resource_group is None:
        resource_group = parse_arm_id(vault_id).get("resource_group")
    return {
        "id": vault_id,
        "name": raw.get("name"),
        "resource_group": resource_group,
        "location": raw.get("location"),
        "tags": raw.get("tags") or {},
        "sku": sku.get("name"),
        "sku_tier": sku.get("tier"),
        "identity": {
            "type": identity.get("type") or "None",
            "principal_id": identity.get("principalId"),
            "tenant_id": identity.get("tenantId"),
        },
        "provisioning_state": props.get("provisioningState"),
        "public_network_access": props.get("publicNetworkAccess"),
        "storage_redundancy": redundancy.get("standardTierStorageRedundancy"),
        "cross_region_restore": redundancy.get("crossRegionRestore"),
        "private_endpoint_state_for_site_recovery": props.get("privateEndpointStateForSiteRecovery"),
    }


def _comparable(facts):
    """The part of the facts a user can set, for diffs."""
    return {
        "location": normalize_region(facts.get("location")),
        "tags": dict(facts.get("tags") or {}),
        "sku": "Standard" if facts.get("sku") in ("RS0", "Standard") else facts.get("sku"),
        "system_assigned_identity": "SystemAssigned" in (facts.get("identity") or {}).get("type", ""),
        "public_network_access": facts.get("public_network_access"),
        "storage_redundancy": facts.get("storage_redundancy"),
        "cross_region_restore": facts.get("cross_region_restore"),
    }


class VaultSpec:
    """What the user asked for; None means "leave as Azure has it"."""

    def __init__(self, name, resource_group, location=None, tags=None, purge_tags=False, sku=None,
                 system_assigned_identity=None, public_network_access=None, storage_redundancy=None,
                 cross_region_restore=None, source_region=None):
        self.name = name
        self.resource_group = resource_group
        self.location = location
        self.tags = tags
        self.purge_tags = purge_tags
        self.sku = "Standard" if sku in ("RS0", "Standard") else sku
        self.system_assigned_identity = system_assigned_identity
        self.public_network_access = public_network_access
        self.storage_redundancy = storage_redundancy
        self.cross_region_restore = cross_region_restore
        self.source_region = source_region

    def validate(self, existing):
        """Problems to report before anything changes (empty list when the spec is fine)."""
        problems = []
        location = self.location or (existing or {}).get("location")
        if not location:
            problems.append("location is required to create vault %r." % self.name)
        if self.source_region and location and normalize_region(location) == normalize_region(self.source_region):
            problems.append(
                "Vault %r would be in %s, the source region. Site Recovery replicates into the vault's region, "
                "so the vault must be in the target region, never the source one." % (self.name, location)
            )
        if existing and self.location and normalize_region(self.location) != normalize_region(existing["location"]):
            problems.append(
                "Vault %r already exists in %s; a vault cannot move to %s. Use another name or delete it first."
                % (self.name, existing["location"], self.location)
            )
        return problems

    def desired(self, current):
        """The comparable desired state, starting from the current one."""
        base = _comparable(current) if current else {
            "location": normalize_region(self.location),
            "tags": {},
            "sku": "Standard",
            "system_assigned_identity": True,
            "public_network_access": "Enabled",
            "storage_redundancy": "GeoRedundant",
            "cross_region_restore": "Disabled",
        }
        want = dict(base)
        if self.tags is not None:
            want["tags"] = dict(self.tags) if self.purge_tags else dict(base["tags"], **self.tags)
        for key in ("sku", "system_assigned_identity", "public_network_access", "storage_redundancy",
                    "cross_region_restore"):
            value = getattr(self, key)
            if value is not None:
                want[key] = value
        return want


def _body(want, include_location):
    body = {
        "tags": want["tags"],
        "sku": {"name": want["sku"]},
        "identity": {"type": "SystemAssigned" if want["system_assigned_identity"] else "None"},
        "properties": {
            "publicNetworkAccess": want["public_network_access"],
            "redundancySettings": {
                "standardTierStorageRedundancy": want["storage_redundancy"],
                "crossRegionRestore": want["cross_region_restore"],
            },
        },
    }
    if include_location:
        body["location"] = want["location"]
    return body


def _patch(before, want):
    """Only what changes, so a PATCH never resets settings this module does not manage."""
    body = {}
    if before["tags"] != want["tags"]:
        body["tags"] = want["tags"]
    if before["sku"] != want["sku"]:
        body["sku"] = {"name": want["sku"]}
    if before["system_assigned_identity"] != want["system_assigned_identity"]:
        body["identity"] = {"type": "SystemAssigned" if want["system_assigned_identity"] else "None"}
    props = {}
    if before["public_network_access"] != want["public_network_access"]:
        props["publicNetworkAccess"] = want["public_network_access"]
    redundancy = {}
    if before["storage_redundancy"] != want["storage_redundancy"]:
        redundancy["standardTierStorageRedundancy"] = want["storage_redundancy"]
    if before["cross_region_restore"] != want["cross_region_restore"]:
        redundancy["crossRegionRestore"] = want["cross_region_restore"]
    if redundancy:
        props["redundancySettings"] = redundancy
    if props:
        body["properties"] = props
    return body


class VaultManager:
    """present() / absent() for one vault through a RecoveryServicesClient."""

    def __init__(self, client, check_mode=False, wait=True, wait_timeout=900):
        self.client = client
        self.check_mode = check_mode
        self.wait = wait
        self.wait_timeout = wait_timeout

    def get(self, resource_group, name):
        raw = get_or_none(self.client.vaults.get, resource_group, name)
        return vault_facts(raw, resource_group) if raw is not None else None

    def present(self, spec):
        """Returns (changed, before, after, vault facts or None in check mode for a new vault)."""
        current = self.get(spec.resource_group, spec.name)
        problems = spec.validate(current)
        if problems:
            raise ValueError(" ".join(problems))
        want = spec.desired(current)
        before = _comparable(current) if current else {}
        if current and before == want:
            return False, before, want, current
        if self.check_mode:
            return True, before, want, current
        if current is None:
            poller = self.client.vaults.begin_create_or_update(spec.resource_group, spec.name, _body(want, True))
            what = "vault %s to be created" % spec.name
        else:
            poller = self.client.vaults.begin_update(spec.resource_group, spec.name, _patch(before, want))
            what = "vault %s to be updated" % spec.name
        if self.wait:
            wait_for_poller(poller, what, self.wait_timeout)
            current = self.get(spec.resource_group, spec.name)
        return True, before, want, current

    def absent(self, resource_group, name):
        current = self.get(resource_group, name)
        if current is None:
            return False, {}, {}, None
        if not self.check_mode:
            poller = self.client.vaults.begin_delete(resource_group, name)
            if self.wait:
                wait_for_poller(poller, "vault %s to be deleted" % name, self.wait_timeout)
        return True, _comparable(current), {}, current

    def list(self, resource_group=None, name=None, tags=None):
        if name:
            if not resource_group:
                raise ValueError("name needs resource_group: a vault is found by its resource group and name.")
            found = self.get(resource_group, name)
            vaults = [found] if found else []
        elif resource_group:
            vaults = [vault_facts(v) for v in self.client.vaults.list_by_resource_group(resource_group)]
        else:
            vaults = [vault_facts(v) for v in self.client.vaults.list_by_subscription_id()]
        if tags:
            vaults = [v for v in vaults if all(v["tags"].get(k) == val for k, val in tags.items())]
        return vaults
