#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: replication_policy
short_description: Site Recovery replication policy, its failback policy and their association with a configuration server
version_added: 0.1.0
description:
  - Creates, updates or deletes a replication policy for physical servers (and Azure VMs treated as physical
    servers) in a Recovery Services vault.
  - With the classic provider (C(InMageAzureV2), a configuration server), also creates the failback policy Azure
    pairs with it (the portal names it C(<name>-failback)) and associates both with each configuration server
    in O(configuration_servers), as the portal's "Associate" does.
  - Limits are checked before any call. For the classic provider the recovery point retention is at most
    24 hours when the target storage is premium and 72 hours when it is standard, as the Site Recovery tutorial
    for physical servers states.
  - Idempotent; a second run with the same options changes nothing. Settings Azure can update in place are
    updated; the provider of an existing policy cannot be changed.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.site_recovery.WAIT
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  name:
    description: Name of the policy (letters, digits and hyphens).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the policy and its associations.
      - V(absent) removes the associations this module made (and the failback policy), then the policy.
        Azure refuses while machines still replicate with it.
    type: str
    choices: [present, absent]
    default: present
  provider:
    description:
      - The Site Recovery provider the policy is for. V(modernized) is C(InMageRcm) (replication appliance), with retention
        up to 15 days (default 3), app-consistent points off by default or every 60 to 720 minutes, no RPO threshold.
        V(classic) is C(InMageAzureV2) (configuration server), for existing classic vaults.
    type: str
    choices: [modernized, classic]
    default: modernized
  retention_hours:
    description:
      - How long recovery points are kept, in hours. Default 72 (modernized) or 24 (classic).
      - Modernized at most 360 (15 days). Classic at most 24 on premium target storage and 72 on standard
        (see O(target_storage)).
    type: float
  target_storage:
    description: Kind of target storage the replicas use; it bounds O(retention_hours) for the classic provider.
    type: str
    choices: [standard, premium]
    default: standard
  rpo_threshold_minutes:
    description:
      - Site Recovery raises an alert when the recovery point objective exceeds this. Classic only (default 60); the
        modernized provider has no such setting and refuses it.
    type: int
  app_consistent_frequency_minutes:
    description:
      - How often app-consistent snapshots are taken; V(0) turns them off. At most 720 (12 hours) and not more
        than the retention. Default 0 (modernized, at least 60 when on) or 60 (classic).
    type: int
  crash_consistent_frequency_minutes:
    description: How often crash-consistent recovery points are taken; at least 5. Default 5.
    type: int
  multi_vm_sync:
    description:
      - Multi-VM consistency, so machines of one replication group share crash- and app-consistent points.
        It needs port 20004 open between the machines. Default V(true).
    type: bool
  failback:
    description:
      - Also keep the failback policy C(<name>-failback) (C(InMage) for classic, C(InMageRcmFailback) for modernized)
        and, classic only, its association; the modernized failback policy is associated when reprotecting.
    type: bool
    default: true
  appliances:
    description:
      - Names of the replication appliances whose protection container the policy is associated with (modernized
        provider; see M(azmove.site_recovery.replication_appliance_info)).
    type: list
    elements: str
    default: []
  configuration_servers:
    description:
      - Friendly names of the configuration servers whose protection container the policy (and its failback
        policy) is associated with (classic provider). Each must be registered with the vault
        (see M(azmove.site_recovery.configuration_server_info)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: The portal's default modernized policy (3 days, app-consistent off), associated with the appliance
  azmove.site_recovery.replication_policy:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: gov-to-public-3d
    appliances: [asr-appliance-01]

- name: Replication policy as the tutorial sets it up, associated with the configuration server
  azmove.site_recovery.replication_policy:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: gov-to-public-24h
    provider: classic
    retention_hours: 24
    rpo_threshold_minutes: 60
    app_consistent_frequency_minutes: 60
    configuration_servers: [cs-gov-01]

- name: Premium target storage keeps at most 24 hours (this one fails before any change)
  azmove.site_recovery.replication_policy:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: premium-72h
    provider: classic
    target_storage: premium
    retention_hours: 72
  ignore_errors: true

- name: Remove the policy once the move is complete
  azmove.site_recovery.replication_policy:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: gov-to-public-24h
    provider: classic
    configuration_servers: [cs-gov-01]
    state: absent
"""

RETURN = r"""
policy:
  description: The policy's settings as Azure reports them (empty after V(absent)).
  returned: always
  type: dict
  sample:
    id: /Subscriptions/0000/resourceGroups/rg-move-target/providers/Microsoft.RecoveryServices/vaults/rsv-move/replicationPolicies/p24h
    name: gov-to-public-24h
    provider: InMageAzureV2
    retention_hours: 24.0
    rpo_threshold_minutes: 60
    app_consistent_frequency_minutes: 60
    crash_consistent_frequency_minutes: 5
    multi_vm_sync: true
failback_policy:
  description: The failback policy's settings (classic provider), or empty.
  returned: always
  type: dict
  sample: {id: /Subscriptions/0000/.../replicationPolicies/gov-to-public-24h-failback, name: gov-to-public-24h-failback, provider: InMage,
      retention_hours: 24.0}
associations:
  description: Policy-to-container associations (container mappings) of this policy, per configuration server.
  returned: always
  type: list
  elements: dict
  sample:
    - configuration_server: cs-gov-01
      policy: gov-to-public-24h
      mapping: gov-to-public-24h-mapping
      target: Microsoft Azure
      state: Paired
    - configuration_server: cs-gov-01
      policy: gov-to-public-24h-failback
      mapping: gov-to-public-24h-failback-mapping
      target: cloud_0f4a7e52-8d3c-4b5e-9f1a-2c6d8e0b7a31
      state: Paired
jobs:
  description: The Site Recovery jobs this run started or followed, each with its state.
  returned: always
  type: list
  elements: dict
  sample: [{name: 4c7e1d2a-..., scenario: AddProtectionContainerMapping, state: Succeeded}]
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

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import (
    appliances,
    configuration_servers,
    props,
    SiteRecovery,
    vault_spec,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._providers import InputError, provider

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$")
AZURE_TARGET = "Microsoft Azure"
SETTING_KEYS = (
    "retention_hours",
    "rpo_threshold_minutes",
    "app_consistent_frequency_minutes",
    "crash_consistent_frequency_minutes",
    "multi_vm_sync",
)


class PolicyRun:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.sr = SiteRecovery(module, self.p["resource_group"], self.p["vault"])
        self.provider = provider(self.p["provider"])
        self.changed = False
        self.jobs = []

    def act(self, group, method, what, *args):
        self.changed = True
        if self.module.check_mode:
            return
        op = self.sr.start(group, method, *args)
        job = self.sr.follow(op, what, self.p["wait_timeout"], self.p["poll_interval"], action=what) if self.p["wait"] else None
        self.jobs.append(job or {"name": op.job_name, "state": "InProgress" if op.job_name else "Succeeded", "scenario": what})

    # -- policies ------------------------------------------------------------------------
    def ensure_policy(self, name, body):
        current = self.sr.get("replication_policies", name)
        wanted_type = body["properties"]["providerSpecificInput"]["instanceType"]
        if current is None:
            self.act("replication_policies", "begin_create", "create policy %s" % name, name, body)
            return None
        have_type = (props(current).get("providerSpecificDetails") or {}).get("instanceType")
        if have_type and have_type.lower() != wanted_type.lower():
            self.module.fail(
                "Policy %r exists for provider %s; a policy's provider cannot change (wanted %s). Use another name."
                % (name, have_type, wanted_type)
            )
        want = self.provider.policy_settings_from({"properties": {"providerSpecificDetails": body["properties"]["providerSpecificInput"]}})
        have = self.provider.policy_settings_from(current)
        if any(want[k] is not None and want[k] != have.get(k) for k in SETTING_KEYS):
            # UpdatePolicyInput carries the settings as replicationProviderSettings, not the create's providerSpecificInput.
            update = {"properties": {"replicationProviderSettings": body["properties"]["providerSpecificInput"]}}
            self.act("replication_policies", "begin_update", "update policy %s" % name, name, update)
        return current

    def read_policy(self, name):
        policy = self.sr.get("replication_policies", name)
        if policy is None:
            return {}
        return dict(self.provider.policy_settings_from(policy), id=policy.get("id"), name=policy.get("name"))

    # -- associations -----------------------------------------------------------------------
    def servers(self):
        classic = self.provider.name == "classic"
        wanted = self.p["configuration_servers"] if classic else self.p["appliances"]
        found = {}
        if wanted:
            for server in configuration_servers(self.sr) if classic else appliances(self.sr, with_accounts=False):
                found[(server["friendly_name"] or "").lower()] = server
        missing = [n for n in wanted if n.lower() not in found]
        if missing:
            self.module.fail(
                "%s %s not registered with vault %r (registered: %s). Register %s first (role %s)."
                % ("Configuration server(s)" if classic else "Replication appliance(s)", ", ".join(missing),
                   self.p["vault"], ", ".join(sorted(s["friendly_name"] for s in found.values())) or "none",
                   "them", "azmove.site_recovery.configuration_server" if classic else "azmove.site_recovery.replication_appliance")
            )
        # One association per protection container (appliances of a vault share one).
        unique = {}
        for name in wanted:
            unique.setdefault(found[name.lower()]["container_id"], found[name.lower()])
        return list(unique.values())

    def mappings(self, server):
        return self.sr.list(
            "replication_protection_container_mappings",
            "list_by_replication_protection_containers",
            server["fabric_name"],
            server["container_name"],
        )

    @staticmethod
    def mapping_for(mappings, policy_name):
        for mapping in mappings:
            if (props(mapping).get("policyId") or "").lower().endswith("/replicationpolicies/" + policy_name.lower()):
                return mapping
        return None

    def pairs(self):
        """(policy name, target container id) pairs this policy associates."""
        pairs = [(self.p["name"], AZURE_TARGET)]
        if self.p["failback"] and self.provider.name == "classic":
            pairs.append((self.p["name"] + "-failback", None))  # failback: the container maps to itself
        return pairs

    def ensure_association(self, server, policy_name, target):
        if self.mapping_for(self.mappings(server), policy_name) is not None:
            return
        target = target or server["container_id"]
        policy_id = "%s/replicationPolicies/%s" % (self.sr.vault_id, policy_name)
        body = {
            "properties": {
                "targetProtectionContainerId": target,
                "policyId": policy_id,
                "providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"},
            }
        }
        self.act(
            "replication_protection_container_mappings",
            "begin_create",
            "associate %s with %s" % (policy_name, server["friendly_name"]),
            server["fabric_name"],
            server["container_name"],
            policy_name + "-mapping",
            body,
        )

    def remove_association(self, server, policy_name):
        mapping = self.mapping_for(self.mappings(server), policy_name)
        if mapping is None:
            return
        self.act(
            "replication_protection_container_mappings",
            "begin_delete",
            "dissociate %s from %s" % (policy_name, server["friendly_name"]),
            server["fabric_name"],
            server["container_name"],
            mapping["name"],
            {"properties": {"providerSpecificInput": {"instanceType": "ReplicationProviderSpecificContainerMappingInput"}}},
        )

    def associations(self, servers):
        out = []
        for server in servers:
            maps = self.mappings(server)
            for policy_name, _target in self.pairs():
                mapping = self.mapping_for(maps, policy_name)
                if mapping:
                    mp = props(mapping)
                    out.append(
                        {
                            "configuration_server": server["friendly_name"],
                            "policy": policy_name,
                            "mapping": mapping.get("name"),
                            "target": mp.get("targetProtectionContainerFriendlyName") or mp.get("targetProtectionContainerId"),
                            "state": mp.get("state"),
                            "health": mp.get("health"),
                        }
                    )
        return out

    # -- run --------------------------------------------------------------------------------------
    def present(self):
        settings = self.provider.policy_settings(self.p)
        servers = self.servers()
        before = {"policy": self.read_policy(self.p["name"]), "associations": self.associations(servers)}
        self.ensure_policy(self.p["name"], self.provider.policy_input(settings))
        if self.p["failback"]:
            self.ensure_policy(self.p["name"] + "-failback", self.provider.failback_policy_input(settings))
        for server in servers:
            for policy_name, target in self.pairs():
                self.ensure_association(server, policy_name, target)
        return before, settings, servers

    def absent(self):
        servers = self.servers()
        before = {"policy": self.read_policy(self.p["name"]), "associations": self.associations(servers)}
        for server in servers:
            for policy_name, _target in reversed(self.pairs()):
                self.remove_association(server, policy_name)
        for name in [n for n, _t in reversed(self.pairs())]:
            if self.sr.get("replication_policies", name) is not None:
                self.act("replication_policies", "begin_delete", "delete policy %s" % name, name)
        return before, servers


def main():
    module = AzureModule(
        vault_spec(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            provider=dict(type="str", choices=["modernized", "classic"], default="modernized"),
            retention_hours=dict(type="float"),
            target_storage=dict(type="str", choices=["standard", "premium"], default="standard"),
            rpo_threshold_minutes=dict(type="int"),
            app_consistent_frequency_minutes=dict(type="int"),
            crash_consistent_frequency_minutes=dict(type="int"),
            multi_vm_sync=dict(type="bool"),
            failback=dict(type="bool", default=True),
            configuration_servers=dict(type="list", elements="str", default=[]),
            appliances=dict(type="list", elements="str", default=[]),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=3600),
            poll_interval=dict(type="float", default=30),
        ),
        supports_check_mode=True,
    )
    p = module.params
    other = "appliances" if p["provider"] == "classic" else "configuration_servers"
    if p[other]:
        module.fail("%s is a setting of the %s provider; this task uses provider %s." % (
            other, "modernized" if other == "appliances" else "classic", p["provider"]))
    if not NAME_RE.match(p["name"]) or len(p["name"]) > 200:
        module.fail("Policy name %r is not valid: use letters, digits and hyphens, starting and ending with a letter or digit." % p["name"])

    def body():
        try:
            job = PolicyRun(module)
            if p["state"] == "present":
                before, settings, servers = job.present()
                wanted = dict(settings, provider=job.provider.instance_type)
            else:
                before, servers = job.absent()
                wanted = {}
        except InputError as exc:
            module.fail(str(exc))
        if module.check_mode:
            # Nothing was sent: report the settings the policy would have.
            policy, failback, associations = (dict(before["policy"], **wanted) if wanted else {}), {}, before["associations"]
            after = {"policy": policy, "associations": associations}
        else:
            policy = job.read_policy(p["name"])
            failback = job.read_policy(p["name"] + "-failback") if p["failback"] else {}
            associations = job.associations(servers)
            after = {"policy": policy, "associations": associations}
        module.exit(
            job.changed,
            before=before,
            after=after,
            policy=policy,
            failback_policy=failback,
            associations=associations,
            jobs=job.jobs,
            connection=module.connection().describe(),
        )

    run(module, body, "Replication policy %s in vault %s" % (p["name"], p["vault"]))


if __name__ == "__main__":
    main()
