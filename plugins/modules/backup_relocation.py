#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_relocation
short_description: Move a machine's Azure Backup protection to a vault in its new region
version_added: 0.1.0
description:
  - Azure Backup data does not move between vaults. For a machine that had VM backup (the portal's
    "Backup items", ARM C(protectedItems)) in a vault of the old (Government) region, this module protects the
    moved VM in a vault of the target region with an equivalent policy and stops protection in the old vault.
  - Each step is taken only when it is not done yet, so a re-run after an interruption finishes the work and a
    relocated machine reports C(changed=false).
  - First, it reads the old protection, its policy and its recovery points (recorded in RV(recovery_points)).
  - Then it creates the policy O(policy) in the new vault with the old policy's schedule and retention (times,
    days, daily, weekly, monthly and yearly counts, time zone, instant restore retention, Standard or Enhanced
    type), or checks that an existing policy of that name is equivalent.
  - Then it protects O(target_vm) in the new vault (the vault first discovers the region's VMs, the portal's
    "Discover") and waits for it.
  - Last, it stops protection in the old vault keeping the recovery points (O(old_data=retain)), or deleting
    them (O(old_data=delete) with O(confirm_delete_old_data=true)).
  - A machine without backup in the old vault is not an error; the result says C(had_backup=false).
  - With O(machines), a whole wave in one task - one module process; each machine goes through exactly the steps above,
    and what every machine reads the same way (each vault's protected items, the new vault's protectable VMs, a policy)
    is read once for the wave; a missing policy is made once; the new vault discovers the region's VMs at most once.
seealso:
  - module: azmove.site_recovery.replicated_machine
    description: Enable replication of a machine - the move's first step.
  - module: azmove.site_recovery.replication_wait
    description: Wait for a wave's initial replication, showing progress.
  - module: azmove.site_recovery.test_failover
    description: Drill the move into an isolated network, then clean it up.
  - module: azmove.site_recovery.failover
    description: Fail the machine over to the target cloud, commit, and complete the migration.
  - module: azmove.site_recovery.moved_vm
    description: After failover, compare the moved VM with its plan and attach what was not carried.
  - module: azmove.site_recovery.move_rollback
    description: Undo a failover that is not committed.
  - module: azmove.site_recovery.source_decommission
    description: Once the move is over, delete the source VM and what it leaves.
  - module: azmove.site_recovery.move_cleanup
    description: Delete what the move created once nothing uses it.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery.BATCH
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
  - azmove.site_recovery.progress
options:
  source_connection:
    description: Name of the entry of O(connections) that reaches the old (Government) vault.
    type: str
    default: source
  source_vault:
    description: The Recovery Services vault that backs the machine up today, in the old region.
    type: str
    required: true
  source_vault_resource_group:
    description: The resource group of O(source_vault).
    type: str
    required: true
  source_vm:
    description:
      - The machine's VM name in the old region.
      - One of O(source_vm) and O(machines) is required.
    type: str
  source_vm_resource_group:
    description: The resource group of O(source_vm) (with O(machines), the default of each entry's).
    type: str
  vault:
    description:
      - The Recovery Services vault in the target region that backs up the moved VM, reached through
        O(use_connection). It must exist (see M(azmove.site_recovery.recovery_vault)) and be in the VM's region.
    type: str
    required: true
  resource_group:
    description: The resource group of O(vault).
    type: str
    required: true
  target_vm:
    description: The moved VM's name in the target region; default O(source_vm).
    type: str
  target_vm_resource_group:
    description:
      - The resource group of O(target_vm) (with O(machines), the default of each entry's).
      - Required, here or in every entry of O(machines).
    type: str
  policy:
    description:
      - The backup policy in O(vault) that protects the moved VM; default the old policy's name.
      - Created when missing, from the old policy. When it exists it must be equivalent to the old policy, or
        the module fails naming the settings that differ.
    type: str
  old_data:
    description:
      - What becomes of the recovery points in the old vault. V(retain) stops protection and keeps them (they
        are kept, and billed, until removed; restores stay possible in the old region). V(delete) deletes them,
        which needs O(confirm_delete_old_data=true).
      - With the vault's soft delete on (Azure's default), deleted data is kept 14 more days before it is purged.
    type: str
    choices: [retain, delete]
    default: retain
  confirm_delete_old_data:
    description: Must be V(true) with O(old_data=delete); checked before any request.
    type: bool
    default: false
  wait_timeout:
    description: How many seconds to wait at the most for each operation (discovery, enabling, stopping).
    type: int
    default: 900
  machines:
    description:
      - Relocate the backup of a whole batch of machines in one task, instead of O(source_vm). Each entry is one machine;
        what an entry leaves out comes from the task's options.
    type: list
    elements: dict
    suboptions:
      name:
        description: The machine's VM name in the old region (see O(source_vm)).
        type: str
        required: true
      source_vm_resource_group:
        description: Its resource group (default O(source_vm_resource_group)).
        type: str
      target_vm:
        description: The moved VM's name (default the entry's O(machines[].name)).
        type: str
      target_vm_resource_group:
        description: The moved VM's resource group (default O(target_vm_resource_group)).
        type: str
      policy:
        description: The policy in O(vault) for this machine (default O(policy)).
        type: str
notes:
  - The moved VM's new recovery points start with its first scheduled backup; the old ones stay in the old
    vault, which is why RV(recovery_points) records them.
  - The instant restore snapshot resource group (C(instantRPDetails)) is not copied; Azure picks its default in
    the new region.
"""

EXAMPLES = r"""
- name: Azure Backup follows the moved VM, the old recovery points are kept
  azmove.site_recovery.backup_relocation:
    use_connection: target
    source_vault: rsv-backup-gov
    source_vault_resource_group: rg-app-gov
    source_vm: vm-app-win01
    source_vm_resource_group: rg-app-gov
    vault: rsv-backup-eastus
    resource_group: rg-move-target
    target_vm_resource_group: rg-app-eastus

- name: Relocate and delete the old recovery points
  azmove.site_recovery.backup_relocation:
    use_connection: target
    source_vault: rsv-backup-gov
    source_vault_resource_group: rg-app-gov
    source_vm: vm-app-lnx01
    source_vm_resource_group: rg-linux-gov
    vault: rsv-backup-eastus
    resource_group: rg-move-target
    target_vm_resource_group: rg-linux-eastus
    policy: DailyPolicy-eastus
    old_data: delete
    confirm_delete_old_data: true

- name: A whole wave in one task; each machine's result is in machines
  azmove.site_recovery.backup_relocation:
    use_connection: target
    source_vault: rsv-backup-gov
    source_vault_resource_group: rg-app-gov
    vault: rsv-backup-eastus
    resource_group: rg-move-target
    target_vm_resource_group: rg-app-eastus
    machines:
      - name: vm-app-win01
        source_vm_resource_group: rg-app-gov
      - name: vm-app-lnx01
        source_vm_resource_group: rg-linux-gov
    fail_on_error: false
  register: relocated
"""

RETURN = r"""
machines:
  description:
    - With O(machines), each machine's result by name - what the task returns for one machine (the keys below), plus
      C(changed), C(failed), and for a failed machine C(msg) and C(error) (Azure's code and message).
  returned: with O(machines)
  type: dict
  sample:
    vm-app-win01: {changed: true, failed: false, had_backup: true, actions: ["enable protection of vm-app-win01 ..."]}
failed_machines:
  description: With O(machines), the names of the machines that failed.
  returned: with O(machines)
  type: list
  elements: str
had_backup:
  description: Whether the old vault protects (or protected) the machine. V(false) means nothing was to do.
  returned: always
  type: bool
  sample: true
recovery_points:
  description: The machine's recovery points in the old vault when the task started (null without backup).
  returned: always
  type: dict
  contains:
    count:
      description: How many.
      type: int
      sample: 5
    oldest:
      description: The oldest recovery point's time (UTC).
      type: str
      sample: "2026-11-17T23:00:00.0000000Z"
    newest:
      description: The newest recovery point's time (UTC).
      type: str
      sample: "2026-11-21T23:00:00.0000000Z"
old_protection:
  description: The protected item in the old vault after the task (null without backup).
  returned: always
  type: dict
  contains:
    id:
      description: The protected item's resource id.
      type: str
    name:
      description: The protected item's name.
      type: str
      sample: vm;iaasvmcontainerv2;rg-app-gov;vm-app-win01
    vm_id:
      description: The VM's resource id.
      type: str
    protection_state:
      description: Azure's protection state, for example V(Protected) or V(ProtectionStopped).
      type: str
      sample: ProtectionStopped
    state:
      description: V(active), V(stopped), or V(deleted) (soft-deleted, purged when the soft delete retention ends).
      type: str
      sample: stopped
    policy:
      description: The policy's name (null once protection is stopped).
      type: str
    last_backup_time:
      description: When the last backup ran.
      type: str
    recovery_point_count:
      description: The recovery points Azure reports for the item.
      type: int
new_protection:
  description: The protected item of the moved VM in the new vault (same keys as RV(old_protection)).
  returned: always
  type: dict
  sample:
    name: vm;iaasvmcontainerv2;rg-app-eastus;vm-app-win01
    protection_state: IRPending
    state: active
    policy: DailyPolicy-gov
policy:
  description: The policy in the new vault (null without backup).
  returned: always
  type: dict
  contains:
    name:
      description: Its name.
      type: str
      sample: DailyPolicy-gov
    id:
      description: Its resource id (null in check mode before it exists).
      type: str
    created:
      description: Whether this task created it (or would, in check mode).
      type: bool
    settings:
      description: Schedule and retention, for a person to read.
      type: dict
      sample:
        policy_type: V1
        time_zone: UTC
        frequency: Daily
        times: ["23:00"]
        instant_restore_days: 2
        daily_retention: 30
        weekly_retention: 12
        weekly_days: [Sunday]
        monthly_retention: null
        yearly_retention: null
actions:
  description: What the task did, or would do in check mode, in order; empty when nothing was to do.
  returned: always
  type: list
  elements: str
  sample:
    - create policy DailyPolicy-gov in vault rsv-backup-eastus
    - enable protection of vm-app-win01 in vault rsv-backup-eastus with policy DailyPolicy-gov
    - stop protection of vm-app-win01 in vault rsv-backup-gov, keeping its recovery points
connection:
  description: The target connection the task used (never its secrets).
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
source_connection:
  description: The source connection the task used (never its secrets).
  returned: always
  type: dict
  contains:
    name:
      description: The connection's name (of O(connections)), or C(default) when the task's own options were used.
      type: str
      sample: source
    cloud:
      description: The Azure cloud it reaches, C(AzureCloud) or C(AzureUSGovernment).
      type: str
      sample: AzureUSGovernment
    resource_manager:
      description: That cloud's Azure Resource Manager endpoint.
      type: str
      sample: "https://management.usgovcloudapi.net/"
    subscription_id:
      description: The subscription it works in.
      type: str
      sample: "00000000-0000-0000-0000-000000000000"
    auth_source:
      description: How the token was obtained (one of O(auth_source)'s choices, as resolved by V(auto)).
      type: str
      sample: client_secret
"""

from ansible_collections.azmove.site_recovery.plugins.module_utils._backup import BackupRelocation, Side
from ansible_collections.azmove.site_recovery.plugins.module_utils import _progress
from ansible_collections.azmove.site_recovery.plugins.module_utils._batch import BATCH_OPTIONS, run_batch
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run

PER_MACHINE = dict(
    name=dict(type="str", required=True),
    source_vm_resource_group=dict(type="str"),
    target_vm=dict(type="str"),
    target_vm_resource_group=dict(type="str"),
    policy=dict(type="str"),
)


def check(module):
    """One machine's input, before anything is read: refuses what a re-run could not undo."""
    p = module.params
    vm = p.get("source_vm") or p.get("name")
    missing = [key for key in ("source_vm_resource_group", "target_vm_resource_group") if not p.get(key)]
    if missing:
        module.fail("%s: %s %s required (on the task or the machine's entry)." % (
            vm, " and ".join(missing), "is" if len(missing) == 1 else "are"))
    # Refused before any request: deleting backup data is not undone by a re-run.
    if p["old_data"] == "delete" and not p["confirm_delete_old_data"]:
        module.fail("old_data=delete deletes the recovery points of %s in vault %s; set confirm_delete_old_data=true "
                    "to confirm, or keep them with old_data=retain." % (vm, p["source_vault"]))


def act(module):
    p = module.params
    vm = p.get("source_vm") or p.get("name")
    shared = getattr(module, "shared", None)  # a batch's: each vault's reads made once for all its machines
    target = module.connection()
    source = module.connection(p["source_connection"])
    relocation = BackupRelocation(
        Side(module.client("backup", p["source_connection"]), p["source_vault"], p["source_vault_resource_group"], shared),
        Side(module.client("backup"), p["vault"], p["resource_group"], shared),
        (p["source_vm_resource_group"], vm),
        (p["target_vm_resource_group"], p["target_vm"] or vm),
        policy=p["policy"], old_data=p["old_data"], check_mode=module.check_mode, wait_timeout=p["wait_timeout"],
    )
    try:
        changed, before, after, result = relocation.run()
    except ValueError as exc:
        module.fail(str(exc), actions=relocation.actions)
    module.exit(changed, before=before, after=after, connection=target.describe(),
                source_connection=source.describe(), **result)


def main():
    options = dict(
        source_connection=dict(type="str", default="source"),
        source_vault=dict(type="str", required=True),
        source_vault_resource_group=dict(type="str", required=True),
        source_vm=dict(type="str"),
        source_vm_resource_group=dict(type="str"),
        vault=dict(type="str", required=True),
        resource_group=dict(type="str", required=True),
        target_vm=dict(type="str"),
        target_vm_resource_group=dict(type="str"),
        policy=dict(type="str"),
        old_data=dict(type="str", choices=["retain", "delete"], default="retain"),
        confirm_delete_old_data=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=900),
        progress_file=dict(type="path"),  # set by the action plugin: the task shows the wait's progress
        machines=dict(type="list", elements="dict", options=PER_MACHINE),
        **BATCH_OPTIONS
    )
    module = AzureModule(argument_spec=options, required_one_of=[("source_vm", "machines")],
                         mutually_exclusive=[("source_vm", "machines")])
    p = module.params
    if module.same_resource((p["source_connection"], p["source_vault_resource_group"], p["source_vault"]),
                            (None, p["resource_group"], p["vault"])):
        # Relocating into the same vault would stop protection there and, with old_data=delete, delete its recovery points.
        module.fail("source_vault and vault are the same vault (%s in resource group %s of the same subscription): backup "
                    "is relocated from the old vault to a vault in the target; name that one as vault. Nothing was "
                    "changed." % (p["vault"], p["resource_group"]))
    if p["machines"] is not None:
        run_batch(module, check, act)
    check(module)
    if _progress.start(module, [p["source_vm"]]):
        _progress.set_machine(p["source_vm"])
    run(module, lambda: act(module), action="backup_relocation %s" % p["source_vm"])


if __name__ == "__main__":
    main()
