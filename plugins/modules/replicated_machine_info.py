#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: replicated_machine_info
short_description: Replication state of machines in a Recovery Services vault
version_added: 0.1.0
description:
  - Returns, per replicated machine, where it stands in plain words (its RV(machines[].phase)), Site Recovery's protection
    state, replication health with health errors, initial replication progress, RPO, the job it is busy with,
    the operations Azure allows now, and its target settings.
  - Optionally lists each machine's recovery points (time and type, crash- or app-consistent).
  - Reads the vault's list of replicated items in one paged call, whatever the number of machines.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.INFO_MODULE
options:
  names:
    description:
      - Only these machines, by the name they were enabled under (their source VM's name) or their friendly name.
      - Default all replicated machines of the vault.
    type: list
    elements: str
  computer_names:
    description:
      - The guests' host names of O(names), where they differ (the inventory's C(azmove_computer_name)). Site Recovery's
        friendly name and job history know a modernized machine by what the appliance discovered, so with
        O(include_moved) a moved machine is found by them once its replicated item is gone.
    type: dict
  recovery_points:
    description: Also list each selected machine's recovery points (one call per machine).
    type: bool
    default: false
  include_moved:
    description:
      - Also list the machines whose move is over - failover committed and replication removed (complete
        migration) - with phase V(migrated), from one read of the vault's job history.
      - Without it such machines are simply absent, like machines never replicated.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Where does every machine of the vault stand
  azmove.site_recovery.replicated_machine_info:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
  register: status

- name: Recovery points of one machine before a test failover
  azmove.site_recovery.replicated_machine_info:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    names: [vm-app-win01]
    recovery_points: true
  register: win01

- name: Show the latest app-consistent point
  ansible.builtin.debug:
    msg: "{{ win01.machines[0].recovery_points | selectattr('consistency', 'equalto', 'app-consistent') | map(attribute='time') | max }}"
"""

RETURN = r"""
machines:
  description: The replicated machines found.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: "Site Recovery's name of the replicated item."
      type: str
    friendly_name:
      description: "Site Recovery's friendly name of the machine (modernized: the guest's host name)."
      type: str
    machine:
      description: With O(names), the name of O(names) this entry answers.
      type: str
    phase:
      description:
        - Where the machine stands, in plain words, the same for every provider.
        - One of discovered, enabling, enable_failed, initial_replication, protected, test_failover_running,
          test_failover_pending_cleanup, test_failover_cleaning_up, failing_over, failed_over, committing,
          committed, disabling, migrated, unknown.
      type: str
    protection_state:
      description: "Site Recovery's protection state."
      type: str
    protection_state_description:
      description: "Site Recovery's description of it."
      type: str
    replication_health:
      description: "Normal, Warning or Critical."
      type: str
    health_errors:
      description: Health errors with code, message, possible causes and recommended action.
      type: list
      elements: dict
      sample: [{code: "78144", message: No app-consistent recovery point in the last 720 minutes., possible_causes: "...", recommended_action: "...",
          level: Warning, source: "...", time: "2026-05-04T09:58:31Z"}]
    progress_percent:
      description: "Initial replication (or resynchronization) progress."
      type: int
    rpo_seconds:
      description: "Current recovery point objective in seconds."
      type: int
    current_job:
      description: "The job the machine is busy with (scenario and job name), or null."
      type: dict
      sample: {scenario: TestFailover, name: 1e6a2f0c-2a7b-4a8e-9a47-0c1d9b1a9f3e}
    allowed_operations:
      description: "Operations Azure allows on the machine now."
      type: list
      elements: str
    active_location:
      description: "Primary before failover, Recovery after."
      type: str
    test_failover_state:
      description: "State of a test failover."
      type: str
    policy:
      description: "Replication policy name."
      type: str
    configuration_server:
      description: "Friendly name of the source fabric (configuration server)."
      type: str
    target:
      description: "Target VM name, size, network, resource group and cache storage."
      type: dict
      sample: {vm_name: vm-app-win01, vm_size: Standard_D4s_v5, network_id: /subscriptions/.../virtualNetworks/vnet-landing-eastus,
          resource_group_id: /subscriptions/.../resourceGroups/rg-landing-eastus,
          test_network_id: /subscriptions/.../virtualNetworks/vnet-test-eastus, availability_zone: "1"}
    replication:
      description: "Provider details (protection stage, agent version, IP, last heartbeat)."
      type: dict
      sample: {progress_percent: 45, protection_stage: InitialReplication, rpo_seconds: null, last_heartbeat: "2026-05-04T09:58:31Z",
          agent_version: 9.62.0.0, ip_address: 10.10.1.4, os_type: Windows}
    committed_at:
      description: When the failover was committed, for a machine whose move is over (phase V(migrated)).
      returned: for moved machines, with O(include_moved=true)
      type: str
    recovery_points:
      description: Recovery points (id, name, time, type, consistency), newest first.
      returned: when O(recovery_points=true)
      type: list
      elements: dict
      sample: [{id: /subscriptions/.../recoveryPoints/8d2c..., name: 8d2c..., time: "2026-05-04T09:58:31Z", type: CrashConsistent,
          consistency: crash-consistent}]
  sample:
    - friendly_name: vm-app-win01
      phase: initial_replication
      protection_state: ProtectedStatesBegin
      replication_health: Normal
      progress_percent: 45
      current_job: null
      allowed_operations: [DisableProtection]
phases:
  description: How many machines are in each phase.
  returned: always
  type: dict
  sample: {protected: 2, initial_replication: 1}
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

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import SiteRecovery, vault_spec
from ansible_collections.azmove.site_recovery.plugins.module_utils._lifecycle import moved_machines
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import (
    item_name,
    item_summary,
    list_items,
    recovery_point_summary,
)


def main():
    module = AzureModule(
        vault_spec(
            names=dict(type="list", elements="str"),
            computer_names=dict(type="dict"),
            recovery_points=dict(type="bool", default=False),
            include_moved=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        # A machine is asked for by the name it was enabled under (the item's name), its friendly name, or its guest's
        # host name (how Site Recovery names a modernized machine).
        keys = {}
        for name in p["names"] or []:
            for key in (name, item_name(name), (p["computer_names"] or {}).get(name)):
                if key:
                    keys.setdefault(key.lower(), name)
        machines = []
        for item in list_items(sr):
            summary = item_summary(item)
            asked = keys.get((summary["name"] or "").lower()) or keys.get((summary["friendly_name"] or "").lower())
            if keys and not asked:
                continue
            summary["machine"] = asked
            if p["recovery_points"]:
                points = sr.list(
                    "recovery_points",
                    "list_by_replication_protected_items",
                    summary["fabric_name"],
                    summary["container_name"],
                    summary["name"],
                )
                summary["recovery_points"] = sorted(
                    (recovery_point_summary(pt) for pt in points), key=lambda x: x["time"] or "", reverse=True
                )
            machines.append(summary)
        if p["include_moved"]:
            listed = {(m[k] or "").lower() for m in machines for k in ("friendly_name", "machine") if m[k]}
            for key, moved in sorted(moved_machines(sr).items()):
                asked = keys.get(key)
                if key in listed or (asked and asked.lower() in listed) or (keys and not asked):
                    continue
                machines.append({"name": None, "friendly_name": moved["friendly_name"], "machine": asked, "phase": "migrated",
                                 "committed_at": moved["committed_at"], "current_job": None, "health_errors": []})
        phases = {}
        for machine in machines:
            phases[machine["phase"]] = phases.get(machine["phase"], 0) + 1
        module.exit(False, machines=machines, phases=phases, connection=module.connection().describe())

    run(module, body, "Reading replicated machines of vault %s" % p["vault"])


if __name__ == "__main__":
    main()
