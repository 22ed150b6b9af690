#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: replicated_machine
short_description: Enable, update or disable Site Recovery replication of a machine
version_added: 0.1.0
description:
  - Enables replication of a discovered machine (see M(azmove.site_recovery.physical_machine)) to Azure, with its
    process server, push-install (run-as) account, policy, target resource group, network and subnet,
    managed disk type and cache storage account, target VM name and size, availability options and tags.
  - Everything is checked before the request is sent, so bad input changes nothing. The target subnet must be
    in the target network, the run-as account and process server must exist on the configuration server, and the
    policy must be associated with its protection container.
  - O(state=present) enables replication and, with O(wait), follows the enable job (the Mobility service push
    install) and then waits until initial replication has finished (O(wait_for=protected)) or only for the job
    (O(wait_for=enabled)). For a whole wave use M(azmove.site_recovery.replication_wait), which reads all machines
    in one call per poll.
  - Settings Azure can change on a replicating machine (VM name and size, network, subnet, license type, target
    resource group, availability zone, tags) are updated; others are an error that names the setting.
  - A machine whose enable job failed (for example the push install could not sign in) is enabled again on the
    next run, after its failed replication is removed; the result says so.
  - O(state=absent) disables replication. O(state=migrated) disables it with the reason C(MigrationComplete) (the
    portal's "Complete Migration"), only after the failover is committed, so billing for the machine stops.
  - A job already running for the machine is followed, never started twice.
seealso:
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
  - module: azmove.site_recovery.backup_relocation
    description: Protect the moved VM with Azure Backup in its new region.
  - module: azmove.site_recovery.move_cleanup
    description: Delete what the move created once nothing uses it.
  - name: Physical server disaster recovery to Azure (modernized)
    description: Microsoft's guide to the step.
    link: https://learn.microsoft.com/azure/site-recovery/physical-server-azure-architecture-modernized
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
  - azure-mgmt-network
  - azure-mgmt-compute
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.site_recovery.MOVE_RECORD
  - azmove.site_recovery.site_recovery.WAIT
  - azmove.site_recovery.site_recovery.BATCH
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
  - azmove.site_recovery.progress
options:
  name:
    description:
      - The machine's name in the move - for a Government VM, its Azure VM name. The replicated item is named after
        it, so every later step (test failover, failover, commit, complete migration, decommission) finds the machine
        by this name even where Site Recovery's friendly name differs.
      - Classic - the friendly name the machine was added with (M(azmove.site_recovery.physical_machine)).
      - Modernized - the appliance discovered the guest, whose host name may differ from the VM's name (a Windows
        computer name has at most 15 characters); the machine is found by O(ip_addresses), then O(fqdn), then
        O(computer_name), and only last by this name.
      - One of O(name) and O(machines) is required.
    type: str
  ip_addresses:
    description:
      - Modernized - the machine's private IP addresses (the inventory's C(azmove_private_ips)); the first way the
        machine is matched to what the appliance discovered.
    type: list
    elements: str
  fqdn:
    description: Modernized - the machine's fully qualified domain name, the second way it is matched.
    type: str
  computer_name:
    description:
      - Modernized - the guest's host name (the inventory's C(azmove_computer_name)), the third way the machine is
        matched.
    type: str
  state:
    description:
      - V(present) replicates the machine; V(absent) stops replicating it; V(migrated) completes its migration
        (disables replication with reason C(MigrationComplete)) once its failover is committed.
    type: str
    choices: [present, absent, migrated]
    default: present
  provider:
    description:
      - V(modernized) replicates through a replication appliance (C(InMageRcm)), the only way to start new replication
        since Microsoft retired the classic experience in 2026. V(classic) replicates through a configuration server
        (C(InMageAzureV2)), for existing classic vaults; a new classic enable also needs O(allow_classic_enable).
    type: str
    choices: [modernized, classic]
    default: modernized
  configuration_server:
    description: Friendly name of the configuration server the machine was added to. Classic provider only (required there).
    type: str
  appliance:
    description:
      - Name of the replication appliance that replicates the machine. Modernized provider only; default the vault's only
        appliance.
    type: str
  test_network:
    description:
      - Test failover network (name or ARM id), chosen at enable time by the modernized provider. Should not be the
        production O(target_network).
    type: str
  test_network_resource_group:
    description: Resource group of O(test_network) when given by name. Default that of O(target_network).
    type: str
  test_subnet:
    description: Subnet of O(test_network). Default the name of O(target_subnet).
    type: str
  allow_classic_enable:
    description:
      - Allow enabling new replication with O(provider=classic). Microsoft retired the classic experience - enabling
        replication through a configuration server is blocked in the portal and PowerShell as of January 31, 2026,
        and support ended March 15, 2026 - so a new classic enable is refused before anything is sent, unless this is
        V(true), meant only for a vault that still runs classic replication.
      - Machines already replicating under classic are not affected - they can still be updated, tested, failed over,
        committed and migrated without it.
    type: bool
    default: false
  allow_production_network_unsafe:
    description:
      - Allow O(test_network) to be the production O(target_network). Unsafe - a test failover would then put a copy of
        the machine into the production network.
    type: bool
    default: false
  policy:
    description: Replication policy (associated with the configuration server). Required to enable.
    type: str
  process_server:
    description:
      - Process server that replicates the machine, by name. Default the configuration server's own (classic) or the
        appliance's (modernized, where it has the appliance's name).
    type: str
  run_as_account:
    description:
      - Account the process server uses to push-install the Mobility service, by the name it has on the
        configuration server (see M(azmove.site_recovery.configuration_server_info)) or, modernized, the name of the
        credentials added on the appliance (see M(azmove.site_recovery.replication_appliance_info)).
      - Required to enable, except for a machine the appliance discovered with its own credentials (a physical
        server added with them) - then those are used, and a different name here is a warning.
      - On Windows an administrator (a local one needs C(LocalAccountTokenFilterPolicy=1)); on Linux C(root).
    type: str
  target_resource_group:
    description: Resource group (name or ARM id) in the target subscription for the failed-over VM. Required to enable.
    type: str
  target_network:
    description: Virtual network (name or ARM id) the failed-over VM joins. Required to enable.
    type: str
  target_network_resource_group:
    description: Resource group of O(target_network) when given by name. Default O(target_resource_group).
    type: str
  target_subnet:
    description: Subnet of O(target_network) for the VM's NIC. Required to enable.
    type: str
  log_storage_account:
    description:
      - Cache (log) storage account in the vault's region (name or ARM id); the replica uses managed disks of
        O(disk_type). Required to enable.
    type: str
  storage_account_resource_group:
    description: Resource group of O(log_storage_account) when given by name. Default O(target_resource_group).
    type: str
  disk_type:
    description: Managed disk type of the replica disks.
    type: str
    choices: [Standard_LRS, StandardSSD_LRS, Premium_LRS]
    default: Standard_LRS
  target_vm_name:
    description: Name of the VM in Azure after failover. Default the machine's name.
    type: str
  target_vm_size:
    description:
      - Size of the VM after failover, for example C(Standard_D2s_v3). Default chosen by Site Recovery.
      - It must be a size the target region offers the subscription; that is checked before anything is sent.
    type: str
  availability_set:
    description: ARM id of an availability set in the target region.
    type: str
  availability_zone:
    description: Availability zone in the target region, C(1), C(2) or C(3).
    type: str
  proximity_placement_group:
    description: ARM id of a proximity placement group in the target region.
    type: str
  license_type:
    description: Azure Hybrid Benefit for Windows (V(WindowsServer)) or none.
    type: str
    choices: [NoLicenseType, WindowsServer]
  sql_license_type:
    description: SQL Server licence type of the VM after failover (modernized only; InMageRcm C(sqlServerLicenseType)).
    type: str
    choices: [NoLicenseType, PAYG, AHUB]
  linux_license_type:
    description: Azure Hybrid Benefit for Linux after failover (modernized only; InMageRcm C(linuxLicenseType)).
    type: str
    choices: [NoLicenseType, LinuxServer]
  nics:
    description:
      - Every NIC's target and test subnet and static address (modernized only), each NIC named by the address the
        appliance found on it. Sent in an update of the replicated item right after the enable (the enable input takes
        no per-NIC settings) and whenever they differ later.
      - Default from the machine's mapping (O(state_dir)).
    type: list
    elements: dict
    suboptions:
      source_ip:
        description: The NIC's private IP in the source.
        type: str
        required: true
      primary:
        description: Whether it is the VM's primary NIC in the target. Exactly one NIC is.
        type: bool
        default: false
      subnet:
        description: Its subnet in the target network.
        type: str
      static_ip:
        description: Its static address in the target network. Unset, a dynamic one.
        type: str
      test_subnet:
        description: Its subnet in the test network.
        type: str
      test_static_ip:
        description: Its static address in the test network. Unset, a dynamic one.
        type: str
  state_dir:
    description:
      - The move's state directory. With O(state=present) and the modernized provider, the machine's
        C(mapping.json) there (written by M(azmove.site_recovery.machine_mapping) in the prepare phase) gives every
        target setting the task leaves unset - size, zone, licence types, NICs with their addresses, and tags, under
        the task's O(tags) - so the machine that arrives is the machine that left.
      - A machine without a mapping replicates with the task's settings, with a warning.
    type: path
  multi_vm_group:
    description: Replication group for multi-VM consistency. Default one group per machine.
    type: str
  tags:
    description: Tags of the VM after failover.
    type: dict
  replicate_again:
    description:
      - With O(state=present), enable replication even when the vault's job history shows this machine's failover
        committed before.
      - Without it, a machine whose move is over (committed, replication removed) is left alone - V(changed=false),
        RV(moved=true), phase V(migrated) in RV(machine) - so re-running a wave after its cutover never starts replicating a
        retired source again.
    type: bool
    default: false
  wait_for:
    description:
      - With O(wait), what to wait for after enabling. V(enabled) - the enable job (push install and start of
        replication); V(protected) - also the end of initial replication.
    type: str
    choices: [enabled, protected]
    default: protected
  machines:
    description:
      - Enable replication of (or complete the migration of) a whole batch of machines in one task, instead of O(name).
      - Each entry is one machine; what it leaves out comes from the task's options.
    type: list
    elements: dict
    suboptions:
      name:
        description: The machine's name (see O(name)).
        type: str
        required: true
      ip_addresses:
        description: This machine's private IP addresses (see O(ip_addresses)).
        type: list
        elements: str
      fqdn:
        description: This machine's FQDN (see O(fqdn)).
        type: str
      source_vm_id:
        description: This machine's source VM (see O(source_vm_id)).
        type: str
      computer_name:
        description: This machine's guest host name (see O(computer_name)).
        type: str
      run_as_account:
        description: This machine's push-install account (default O(run_as_account)).
        type: str
      target_subnet:
        description: This machine's subnet in the target network (default O(target_subnet)).
        type: str
      test_subnet:
        description: This machine's subnet in the test network (default O(test_subnet)).
        type: str
      target_vm_name:
        description: This machine's VM name in the target (default O(target_vm_name), else O(machines[].name)).
        type: str
      target_vm_size:
        description: This machine's VM size in the target (default O(target_vm_size)).
        type: str
      license_type:
        description: This machine's license type in the target (default O(license_type)).
        type: str
        choices: [NoLicenseType, WindowsServer]
      availability_zone:
        description: This machine's availability zone in the target (default O(availability_zone)).
        type: str
      sql_license_type:
        description: This machine's SQL Server licence type in the target (default O(sql_license_type)).
        type: str
        choices: [NoLicenseType, PAYG, AHUB]
      linux_license_type:
        description: This machine's Linux licence type in the target (default O(linux_license_type)).
        type: str
        choices: [NoLicenseType, LinuxServer]
      nics:
        description: This machine's NICs (see O(nics)).
        type: list
        elements: dict
        suboptions:
          source_ip:
            description: The NIC's private IP in the source.
            type: str
            required: true
          primary:
            description: Whether it is the VM's primary NIC in the target. Exactly one NIC is.
            type: bool
            default: false
          subnet:
            description: Its subnet in the target network.
            type: str
          static_ip:
            description: Its static address in the target network. Unset, a dynamic one.
            type: str
          test_subnet:
            description: Its subnet in the test network.
            type: str
          test_static_ip:
            description: Its static address in the test network. Unset, a dynamic one.
            type: str
      tags:
        description: This machine's target VM tags (default O(tags)).
        type: dict
      appliance:
        description:
          - The replication appliance that replicates this machine (default O(appliance)), as
            M(azmove.site_recovery.appliance_assignment) chose it. Modernized only.
        type: str
      configuration_server:
        description: The configuration server of this machine (default O(configuration_server)). Classic only.
        type: str
      process_server:
        description: The process server of this machine (default O(process_server)). Classic only.
        type: str
"""

EXAMPLES = r"""
- name: Enable replication through the vault's replication appliance (modernized, the default)
  azmove.site_recovery.replicated_machine:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-lnx01
    policy: gov-to-public-3d
    run_as_account: linux-root
    target_resource_group: rg-landing-eastus
    target_network: vnet-landing-eastus
    target_subnet: snet-linux
    test_network: vnet-test-eastus
    log_storage_account: stmovecacheeastus
    wait_for: enabled

- name: Enable replication and come back once the push install worked
  azmove.site_recovery.replicated_machine:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-win01
    provider: classic
    allow_classic_enable: true  # a vault that still runs classic replication
    configuration_server: cs-gov-01
    policy: gov-to-public-24h
    run_as_account: winadmin
    target_resource_group: rg-landing-eastus
    target_network: vnet-landing-eastus
    target_subnet: snet-app
    log_storage_account: stmovecacheeastus
    target_vm_size: Standard_D4s_v3
    tags: {moved-from: usgovvirginia}
    wait_for: enabled

- name: Stop replicating a machine that will not move after all
  azmove.site_recovery.replicated_machine:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-win02
    appliance: asr-appliance-01
    state: absent

- name: Complete the migration after commit, so billing stops
  azmove.site_recovery.replicated_machine:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: vm-app-win01
    state: migrated

- name: Enable replication of a whole wave in one module run, each machine with its own account and subnet
  azmove.site_recovery.replicated_machine:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    appliance: asr-gov-01
    machines:
      - {name: vm-app-win01, run_as_account: gov-windows-admin, target_subnet: snet-app}
      - {name: vm-app-lnx01, run_as_account: gov-linux-root, target_subnet: snet-linux}
    policy: pol-move-24h
    target_resource_group: rg-landing-eastus
    target_network: vnet-app-gov
    log_storage_account: stmovecacheeastus
    wait_for: enabled
    fail_on_error: false
  register: enabled
"""

RETURN = r"""
moved:
  description: True when O(state=present) found the machine's move already over, and left it alone.
  returned: when the move is over
  type: bool
machine:
  description: The replicated machine after the task, as M(azmove.site_recovery.replicated_machine_info) returns it.
  returned: when it exists
  type: dict
  sample:
    name: vm-app-win01
    friendly_name: vm-app-win01
    phase: protected
    protection_state: Protected
    replication_health: Normal
    progress_percent: 100
    rpo_seconds: 31
    allowed_operations: [TestFailover, UnplannedFailover, DisableProtection]
job:
  description: The job the task started or followed (scenario, state, tasks, errors).
  returned: when a job was started or followed
  type: dict
  contains:
    id:
      description: The job's ARM id.
      type: str
    name:
      description: The job's name (what RV(azmove.site_recovery.replication_job_info#module:jobs[].name) lists).
      type: str
      sample: 1e6a2f0c-2a7b-4a8e-9a47-0c1d9b1a9f3e
    scenario:
      description: What the job does, for example C(EnableDr), C(TestFailover), C(UnplannedFailover), C(DisableDr).
      type: str
    friendly_name:
      description: Azure's display name of the job.
      type: str
    state:
      description: C(InProgress), C(Succeeded), C(Failed), C(Cancelled), C(Suspended), ...
      type: str
    state_description:
      description: Azure's words for the state.
      type: str
    target_object_id:
      description: Id of what the job works on.
      type: str
    target_object_name:
      description: The machine or object the job works on.
      type: str
    start_time:
      description: Start (UTC).
      type: str
    end_time:
      description: End (UTC), or null while it runs.
      type: str
    allowed_actions:
      description: What Azure allows on the job now (for example C(Cancel), C(Restart)).
      type: list
      elements: str
    tasks:
      description: Its tasks in order - name, friendly_name, state, start_time, end_time.
      type: list
      elements: dict
      sample: [{name: PreFailoverValidation, friendly_name: Prerequisites check for test failover, state: Succeeded,
                start_time: "2026-05-04T09:30:02Z", end_time: "2026-05-04T09:30:40Z"}]
    errors:
      description:
        - Errors - code, message, possible_causes, recommended_action, the provider's (provider_error_code, ...),
          task_id and level.
      type: list
      elements: dict
      sample: [{code: "95107", message: Protection couldn't be enabled for the virtual machine., level: Error,
                recommended_action: Use an administrator account.}]
retried:
  description: Set when a failed enable was removed and enabled again; holds the earlier health errors.
  returned: when it happened
  type: list
  elements: dict
  sample: [{code: "78007", message: The protection couldn't be enabled., level: Error, recommended_action: "..."}]
discovered_machine:
  description:
    - Modernized - the machine the appliance discovered for this one, and how it was matched.
  returned: when the machine was found
  type: dict
  contains:
    id:
      description: ARM id of the discovered machine (Microsoft.OffAzure), sent as C(fabricDiscoveryMachineId).
      type: str
    friendly_name:
      description: The name the appliance discovered (the guest's host name).
      type: str
    matched_by:
      description: C(IP address), C(FQDN), C(computer name) or C(name).
      type: str
  sample: {id: "/subscriptions/.../Microsoft.OffAzure/serverSites/s1/machines/0f4c...", friendly_name: APPWIN01, matched_by: IP address}
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
machines:
  description:
    - With O(machines), each machine's result by name - what the task returns for one machine, plus C(changed),
      C(failed), and for a failed machine C(msg) and C(error) (Azure's code, message and job id).
  returned: with O(machines)
  type: dict
  sample:
    vm-app-win01: {changed: true, failed: false, machine: {name: vm-app-win01, phase: enabling}}
    vm-app-lnx01: {changed: false, failed: true, msg: "...", error: {code: "539", message: "...", job_id: 3f1c2b7e-0a4d-4d0e-9b7a-2f6c1d8e5a90}}
failed_machines:
  description: With O(machines), the names of the machines that failed.
  returned: with O(machines)
  type: list
  elements: str
"""

import re
import uuid

from ansible_collections.azmove.site_recovery.plugins.module_utils import _move_record as move_record
from ansible_collections.azmove.site_recovery.plugins.module_utils import _offazure as offazure
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import (
    appliances,
    discovered_machines,
    find_machine,
    group_and_name,
    known_machines,
    machine_summary,
    name_of,
    Operation,
    props,
    resolve_source,
    resource_id,
    resource_id_problem,
    SiteRecovery,
    vault_spec,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._lifecycle import committed_earlier, running
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none
from ansible_collections.azmove.site_recovery.plugins.module_utils._batch import run_module, shared
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import run
from ansible_collections.azmove.site_recovery.plugins.module_utils._providers import InputError, other_provider_settings, provider
from ansible_collections.azmove.site_recovery.plugins.module_utils import _machine_map as machine_map
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import item_name, item_summary
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import wait_until

# Microsoft's retirement of classic replication (vmware-physical-azure-classic-deprecation, Microsoft Learn).
CLASSIC_RETIRED = (
    "Cannot enable classic replication of %s: Microsoft retired the classic experience (configuration server, "
    "InMageAzureV2) - enabling replication with it is blocked in the portal and PowerShell as of January 31, 2026, "
    "and support ended March 15, 2026. Replicate it through a replication appliance (provider: modernized), or, "
    "for a vault that still runs classic replication, set allow_classic_enable: true."
)
# Settings of one provider, refused before anything happens when the task uses the other.
PROVIDER_ONLY = {"modernized": ("configuration_server",), "classic": ("appliance", "test_network", "test_subnet")}
# The VM Site Recovery creates (its support matrix, "Azure VM requirements"): 1-63 letters, digits and hyphens,
# starting and ending with a letter or digit. The resource's name, not the guest's (Windows: 15) host name.
VM_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
VNET = "Microsoft.Network/virtualNetworks"
REQUIRED_TO_ENABLE = ("policy", "target_resource_group", "target_network", "target_subnet", "log_storage_account")


# Options that take a name or a resource id, and the type of resource they name.
RESOURCE_OPTIONS = (("target_resource_group", "resourceGroups"), ("target_network", VNET), ("test_network", VNET),
                    ("log_storage_account", "Microsoft.Storage/storageAccounts"))


class Replication:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.sr = SiteRecovery(module, self.p["resource_group"], self.p["vault"])
        self.provider = provider(self.p["provider"])
        self.result = {}
        self.changed = False
        self.networks = {}

    def fail(self, msg):
        self.module.fail(msg, **self.result)

    # -- finding ------------------------------------------------------------------------------
    def locate(self):
        source = self.p["configuration_server"] if self.provider.name == "classic" else self.p["appliance"]
        if not source and self.provider.name == "modernized" and self.p["state"] != "present":
            # Removing replication needs only the vault's InMageRcm container, which all its appliances share: with
            # several appliances and none named (cutover's complete migration), any registered one finds the machine.
            self.server = shared(self.module, ("source", "modernized", "any"), self.any_appliance)
        else:
            self.server = resolve_source(self.sr, self.provider.name, source, self.fail)
        server_key = (self.server["fabric_name"], self.server["container_name"])
        machine_id = None
        if self.provider.name == "modernized":
            # What the appliance discovered is the guest (host name, FQDN, addresses), not the Azure VM's name.
            try:
                self.protectable, self.matched_by = offazure.match(
                    discovered_machines(self.sr, self.server), self.p["ip_addresses"], self.p["fqdn"],
                    self.p["computer_name"], self.p["name"])
            except ValueError as exc:
                self.fail("%s: %s" % (self.p["name"], exc))
            machine_id = (self.protectable or {}).get("id")
            if self.protectable is not None:
                self.result["discovered_machine"] = {"id": machine_id, "friendly_name": self.protectable["friendly_name"],
                                                     "matched_by": self.matched_by}
        else:
            by_name, by_ip = find_machine(known_machines(self.sr, self.server), self.p["name"], (self.p["ip_addresses"] or [None])[0])
            self.protectable = by_name or by_ip
        item = None
        rpi_id = props(self.protectable).get("replicationProtectedItemId") if self.provider.name == "classic" else None
        if rpi_id:
            item = self.get_item(name_of(rpi_id))
        if item is None:
            # The item's name is the machine's key (item_name of the source VM's name); the discovered machine it
            # replicates, then its friendly name, find items enabled some other way.
            wanted = item_name(self.p["name"]).lower()
            by_key = by_machine = by_friendly = None
            for candidate in shared(self.module, ("container_items",) + server_key, lambda: self.sr.list(
                "replication_protected_items",
                "list_by_replication_protection_containers",
                self.server["fabric_name"],
                self.server["container_name"],
            )):
                details = props(candidate).get("providerSpecificDetails") or {}
                if (candidate.get("name") or "").lower() == wanted:
                    by_key = candidate
                elif machine_id and (details.get("fabricDiscoveryMachineId") or "").lower() == machine_id.lower():
                    by_machine = candidate
                elif (props(candidate).get("friendlyName") or "").lower() == self.p["name"].lower():
                    by_friendly = candidate
            item = by_key or by_machine or by_friendly
        return item

    def any_appliance(self):
        """The first registered appliance with its container (the same reads as resolving the vault's only one)."""
        found = [a for a in appliances(self.sr) if a["container_name"]]
        if not found:
            self.fail("No replication appliance with a protection container is registered with vault %r." % self.sr.vault)
        return found[0]

    def get_item(self, name):
        return self.sr.get("replication_protected_items", self.server["fabric_name"], self.server["container_name"], name)

    # -- validation (before any change) ------------------------------------------------------
    def resolve_spec(self):
        p = self.p
        missing = [k for k in REQUIRED_TO_ENABLE if not p.get(k)]
        if missing:
            self.fail("To enable replication of %s, set %s." % (p["name"], ", ".join(missing)))
        if self.protectable is None:
            if self.provider.name == "modernized":
                self.fail(
                    "Machine %r is not among the machines replication appliance %r discovered (looked for %s); add it in "
                    "the appliance's configuration manager (Add server), then wait for it with azmove.site_recovery.physical_machine."
                    % (p["name"], self.server["friendly_name"],
                       offazure.describe(p["ip_addresses"], p["fqdn"], p["computer_name"], p["name"])))
            self.fail(
                "Machine %r is not known to configuration server %r; add it first with azmove.site_recovery.physical_machine."
                % (p["name"], self.server["friendly_name"])
            )
        vm_name = p["target_vm_name"] or p["name"]
        if not VM_NAME_RE.match(vm_name):
            self.fail("%s %r cannot name the VM Site Recovery creates: it takes 1 to 63 letters, digits and hyphens, starting "
                      "and ending with a letter or digit.%s" % (
                          "target_vm_name" if p["target_vm_name"] else "The machine's name", vm_name,
                          "" if p["target_vm_name"] else " Set target_vm_name (per machine: replicate_target_vm_name)."))
        server = self.server
        account = self.run_as_account()
        process_servers = server["process_servers"]
        if p["process_server"]:
            chosen = [ps for ps in process_servers if (ps["name"] or "").lower() == p["process_server"].lower()]
            if not chosen:
                self.fail(
                    "The %s %r has no process server %r (it has: %s)."
                    % (self.source_kind(), server["friendly_name"], p["process_server"], ", ".join(ps["name"] or ps["id"] for ps in process_servers) or "none")
                )
        else:
            chosen = process_servers[:1]
            if not chosen:
                self.fail("Configuration server %r reports no process server yet." % server["friendly_name"])
        masters = server["master_target_servers"]
        policy = shared(self.module, ("policy", p["policy"].lower()), lambda: self.sr.get("replication_policies", p["policy"]))
        if policy is None:
            self.fail("Replication policy %r does not exist in vault %r; create it with azmove.site_recovery.replication_policy." % (p["policy"], p["vault"]))
        mappings = shared(self.module, ("mappings", server["fabric_name"], server["container_name"]), lambda: self.sr.list(
            "replication_protection_container_mappings",
            "list_by_replication_protection_containers",
            server["fabric_name"],
            server["container_name"],
        ))
        if not any((props(m).get("policyId") or "").lower() == policy["id"].lower() for m in mappings):
            self.fail(
                "Policy %r is not associated with %s %r; associate it with azmove.site_recovery.replication_policy (%s: [%s])."
                % (p["policy"], self.source_kind(), server["friendly_name"],
                   "configuration_servers" if self.provider.name == "classic" else "appliances", server["friendly_name"])
            )
        conn = self.module.connection()
        sub = conn.subscription_id
        rg_id = resource_id(p["target_resource_group"], "resourceGroups", sub, None)
        rg_name = name_of(rg_id)
        network_id = resource_id(p["target_network"], VNET, sub, p["target_network_resource_group"] or rg_name)
        subnet_id = self.check_subnet(network_id, p["target_subnet"])
        if p["target_vm_size"]:
            self.check_size(network_id, p["target_vm_size"])
        storage_id = resource_id(p["log_storage_account"], "Microsoft.Storage/storageAccounts", sub, p["storage_account_resource_group"] or rg_name)
        # InMageRcm takes the discovered machine's own id (Microsoft.OffAzure); classic the protectable item's.
        machine_id = self.protectable["id"]
        test_network_id = None
        if p["test_network"]:
            test_network_id = resource_id(p["test_network"], VNET, sub, p["test_network_resource_group"] or p["target_network_resource_group"] or rg_name)
            self.check_subnet(test_network_id, p["test_subnet"] or p["target_subnet"])
        for nic in p["nics"] or []:
            if nic.get("subnet"):
                self.check_subnet(network_id, nic["subnet"])
            if nic.get("test_subnet") and test_network_id:
                self.check_subnet(test_network_id, nic["test_subnet"])
        return dict(
            policy_id=policy["id"],
            protectable_item_id=machine_id,
            test_network_id=test_network_id,
            test_subnet=p["test_subnet"],
            process_server_id=chosen[0]["id"],
            master_target_id=masters[0]["id"] if masters else None,
            run_as_account_id=account["id"],
            target_resource_group_id=rg_id,
            target_network_id=network_id,
            target_subnet_id=subnet_id,
            log_storage_account_id=storage_id,
            disk_type=p["disk_type"],
            disks=self.disk_types(),
            target_vm_name=vm_name,
            target_vm_size=p["target_vm_size"],
            availability_set_id=p["availability_set"],
            availability_zone=p["availability_zone"],
            proximity_placement_group_id=p["proximity_placement_group"],
            license_type=p["license_type"],
            sql_license_type=p["sql_license_type"],
            linux_license_type=p["linux_license_type"],
            nics=p["nics"],
            multi_vm_group=p["multi_vm_group"],
            tags=p["tags"],
        )

    def disk_types(self):
        """Each discovered disk with the type its source disk has, from the machine's mapping (OS disk first, then the
        data disks by LUN, matched to the appliance's disks by their order and checked by size); None - one type for
        every disk (disk_type) - when there is no mapping, or its disks cannot be matched one to one."""
        planned = self.p.get("planned_disks") or []
        found = (self.protectable or {}).get("disks") or [] if self.provider.name == "modernized" else []
        if not planned or not found:
            return None
        found = sorted(found, key=lambda d: (d.get("lun") is None, d.get("lun") or 0))
        gib = 1024 ** 3
        if len(found) != len(planned) or not all(d.get("id") for d in found) or any(
                d.get("size_bytes") and w.get("size_gb") and abs(d["size_bytes"] / gib - w["size_gb"]) > 1
                for d, w in zip(found, planned)):
            self.module.warn("%s: the appliance found %d disk(s) that do not match the %d of its source VM one to one; "
                             "every disk gets disk_type %s." % (self.p["name"], len(found), len(planned), self.p["disk_type"]))
            return None
        return [{"id": d["id"], "type": w.get("type") or self.p["disk_type"]} for d, w in zip(found, planned)]

    def run_as_account(self):
        """The push-install account: for a machine the appliance found, the one its site holds (the machine's own
        runAsAccountId where it has one, else the site's credential of that name); classic, the server's by name."""
        p, server = self.p, self.server
        accounts = server["run_as_accounts"]
        where = "%s %r" % (self.source_kind(), server["friendly_name"])
        if self.provider.name == "modernized":
            site = self.protectable.get("site_id") or ""
            accounts = [a for a in accounts if (a.get("site_id") or "").lower() == site.lower()]
            where = "%s (its %s site)" % (where, self.protectable.get("site_kind") or "discovery")
            own = self.protectable.get("run_as_account_id")
            if own:
                chosen = {"id": own, "name": next((a["name"] for a in accounts if (a["id"] or "").lower() == own.lower()), None)}
                if p["run_as_account"] and (chosen["name"] or "").lower() != p["run_as_account"].lower():
                    if not any((a["name"] or "").lower() == p["run_as_account"].lower() for a in accounts):
                        self.fail("The %s has no run-as account %r (it has: %s)." % (
                            where, p["run_as_account"], ", ".join(sorted(a["name"] or a["id"] for a in accounts)) or "none"))
                    self.module.warn("%s: the appliance reaches it with credentials %r, not %r; using the appliance's."
                                     % (p["name"], chosen["name"] or own, p["run_as_account"]))
                return chosen
        if not p["run_as_account"]:
            self.fail("To enable replication of %s, set run_as_account (%s has: %s)."
                      % (p["name"], where, ", ".join(sorted(a["name"] or a["id"] for a in accounts)) or "none"))
        by_name = {(a["name"] or "").lower(): a for a in accounts if a.get("name")}
        account = by_name.get(p["run_as_account"].lower())
        if account is None:
            self.fail(
                "The %s has no run-as account %r (it has: %s). %s"
                % (where, p["run_as_account"], ", ".join(sorted(a["name"] for a in by_name.values())) or "none",
                   "Add the credentials in the appliance's configuration manager." if self.provider.name == "modernized" else
                   "Add the account in cspsconfigtool on the configuration server, then refresh it (configuration_server_info refresh=true).")
            )
        return account

    def network(self, network_id):
        """A target or test network as plain data (a batch's machines share it), or None when it does not exist."""
        if network_id.lower() in self.networks:
            return self.networks[network_id.lower()]
        network = self.module.client("network").virtual_networks

        def read():
            vnet = get_or_none(network.get, *group_and_name(network_id))
            return None if vnet is None else {"name": vnet.name, "location": vnet.location,
                                              "subnets": {s.name.lower(): (s.name, s.id) for s in vnet.subnets or []}}

        self.networks[network_id.lower()] = shared(self.module, ("vnet", network_id.lower()), read)
        return self.networks[network_id.lower()]

    def check_subnet(self, network_id, subnet):
        vnet = self.network(network_id)
        if vnet is None:
            self.fail("Target network %s does not exist." % network_id)
        if subnet.lower() not in vnet["subnets"]:
            self.fail(
                "Subnet %r is not in target network %s (its subnets: %s)."
                % (subnet, vnet["name"], ", ".join(sorted(name for name, _id in vnet["subnets"].values())) or "none")
            )
        return vnet["subnets"][subnet.lower()][1]

    def check_size(self, network_id, size):
        """The VM size must be one the target region offers this subscription (resource SKUs without a Location
        restriction): Azure would refuse it only at failover, after days of replication."""
        location = (self.network(network_id) or {}).get("location")
        if not location:
            return

        def offered():
            compute = self.module.client("compute")
            out = set()
            for sku in compute.resource_skus.list(filter="location eq '%s'" % location):
                restricted = any((r.type or "").lower() == "location" for r in sku.restrictions or [])
                if (sku.resource_type or "").lower() == "virtualmachines" and not restricted:
                    out.add(sku.name.lower())
            return sorted(out)

        sizes = shared(self.module, ("sizes", location.lower()), offered)
        if sizes and size.lower() not in sizes:
            self.fail("target_vm_size %r is not offered in %s for this subscription; choose an offered size (see "
                      "azmove.site_recovery.move_prerequisites, which proposes the closest one)." % (size, location))

    # -- actions ---------------------------------------------------------------------------------
    def follow(self, op, what):
        if not self.p["wait"]:
            self.result["job"] = {"name": op.job_name, "state": "InProgress", "scenario": what}
            return None
        job = self.sr.follow(op, what, self.p["wait_timeout"], self.p["poll_interval"], action=what)
        self.result["job"] = job
        return job

    def follow_running(self, item):
        """Follow the job the machine is busy with, if one is still running (an ended one stays listed)."""
        scenario, op = running(self.sr, item)
        if op is None:
            return False
        self.follow(op, "%s of %s (already running)" % (scenario, self.p["name"]))
        return True

    def recover(self, name, gone_is_done=False):
        """After a connection dropped on an action's POST or PATCH: the job it started, if it did (see SiteRecovery.start)."""
        def check():
            fresh = self.get_item(name)
            if fresh is None:
                return Operation(None) if gone_is_done else None
            return running(self.sr, fresh)[1]
        return check

    def item_path(self, item):
        return (self.server["fabric_name"], self.server["container_name"], item["name"])

    def refuse_classic_enable(self):
        """New classic replication is blocked by Microsoft; only a vault that still runs it may opt in."""
        if self.provider.name == "classic" and not self.p["allow_classic_enable"]:
            self.fail(CLASSIC_RETIRED % self.p["name"])

    def multi_vm_group_id(self, spec):
        """The classic replication group's id: that of the container's InMageAzureV2 items in the group of the same
        name, else a new one (as Az PowerShell does); one id per group name for a whole batch."""
        group = spec.get("multi_vm_group") or spec["target_vm_name"]
        fabric, container = self.server["fabric_name"], self.server["container_name"]

        def find():
            items = self.sr.list("replication_protected_items", "list_by_replication_protection_containers", fabric, container)
            return self.provider.multi_vm_group_id(items, group) or str(uuid.uuid4())

        return shared(self.module, ("multi_vm_group_id", fabric, container, group.lower()), find)

    def enable(self, spec):
        name = item_name(self.p["name"])
        self.changed = True
        if self.module.check_mode:
            return None
        if self.provider.name == "classic":
            spec = dict(spec, multi_vm_group_id=self.multi_vm_group_id(spec))
        op = self.sr.start(
            "replication_protected_items",
            "begin_create",
            self.server["fabric_name"],
            self.server["container_name"],
            name,
            self.provider.enable_input(spec),
        )
        self.follow(op, "enable replication of %s" % self.p["name"])
        return self.get_item(name)

    def disable(self, item, reason):
        self.changed = True
        if self.module.check_mode:
            return
        op = self.sr.start(
            "replication_protected_items",
            "begin_delete",
            *self.item_path(item),
            self.disable_input(reason),
            recover=self.recover(item["name"], gone_is_done=True)
        )
        self.follow(op, "%s for %s" % ("complete migration" if reason == "MigrationComplete" else "disable replication", self.p["name"]))

    @staticmethod
    def disable_input(reason):
        # DisableProtectionInput: its provider input is optional and only the InMage (VMware failback) provider has
        # one, so neither classic (InMageAzureV2) nor modernized items get any.
        return {"properties": {"disableProtectionReason": reason}}

    def source_kind(self):
        return "configuration server" if self.provider.name == "classic" else "replication appliance"

    def update(self, item, spec):
        current = self.provider.target_of(item)
        wanted = {
            "vm_name": spec["target_vm_name"],
            "vm_size": spec["target_vm_size"],
            "network_id": spec["target_network_id"],
            "license_type": spec["license_type"],
            "availability_set_id": spec["availability_set_id"],
        }
        if self.provider.name == "modernized":
            wanted.update(availability_zone=spec["availability_zone"], sql_license_type=spec["sql_license_type"],
                          linux_license_type=spec["linux_license_type"])
        changes = {k: v for k, v in wanted.items() if v and (current.get(k) or "").lower() != v.lower()}
        if self.provider.name == "modernized" and spec["tags"]:
            have = current.get("tags") or {}
            if any(str(have.get(k)) != str(v) for k, v in spec["tags"].items()):
                changes["tags"] = spec["tags"]
        if self.provider.name == "modernized" and spec["nics"]:
            try:
                nic_changes = self.provider.nic_changes(item, spec["nics"])
            except InputError as exc:
                self.fail("%s: %s" % (self.p["name"], exc))
            if nic_changes:
                changes["nics"] = nic_changes
        subnet = self.p["target_subnet"]
        current_subnet = self.provider.nic_subnet(item)
        if subnet and current_subnet and current_subnet.lower() != subnet.lower():
            changes["subnet"] = subnet
        policy_id = props(item).get("policyId") or ""
        if policy_id and policy_id.lower() != spec["policy_id"].lower():
            self.fail(
                "Machine %s replicates with policy %r; Azure cannot move a replicating machine to policy %r. "
                "Disable replication (state: absent) and enable it again to change it." % (self.p["name"], name_of(policy_id), self.p["policy"])
            )
        if current.get("log_storage_account_id") and current["log_storage_account_id"].lower() != spec["log_storage_account_id"].lower():
            self.fail(
                "Machine %s replicates through cache storage account %s; Azure cannot change log_storage_account of a "
                "replicating machine." % (self.p["name"], name_of(current["log_storage_account_id"]))
            )
        if not changes:
            return item, {}
        self.changed = True
        if self.module.check_mode:
            return item, changes
        body = self.provider.update_input(spec, item, subnet)
        op = self.sr.start("replication_protected_items", "begin_update", *self.item_path(item), body, recover=self.recover(item["name"]))
        self.follow(op, "update replication settings of %s" % self.p["name"])
        return self.get_item(item["name"]), changes

    def wait_protected(self, item):
        what = "initial replication of %s" % self.p["name"]

        def poll():
            current = self.get_item(item["name"])
            summary = item_summary(current)
            if summary["phase"] == "enable_failed":
                self.result["machine"] = summary
                errors = summary["health_errors"]
                first = errors[0] if errors else {}
                self.fail(
                    "Replication of %s failed: %s%s" % (
                        self.p["name"], "%s: " % first["code"] if first.get("code") else "",
                        first.get("message") or summary["protection_state_description"],
                    ) + (" Recommended action: %s" % first["recommended_action"] if first.get("recommended_action") else "")
                )
            state = "%s %s%%" % (summary["phase"], summary["progress_percent"] if summary["progress_percent"] is not None else "?")
            return summary["phase"] == "protected", state, None

        wait_until(poll, what, self.p["wait_timeout"], interval=self.p["poll_interval"])

    # -- states -------------------------------------------------------------------------------------
    def present(self, item):
        before = item_summary(item) if item else {}
        if item is not None and self.follow_running(item):
            item = self.get_item(item["name"])
        if item is not None and item_summary(item)["phase"] == "enable_failed":
            self.refuse_classic_enable()  # enabling it again would be a new classic enable
            self.result["retried"] = item_summary(item)["health_errors"]
            self.disable(item, "NotSpecified")
            item = None
        if item is None and not self.p["replicate_again"] and move_record.moved_to(
                self.module, self.p["source_connection"], self.p["source_vm_id"]):
            # The move is recorded on the source VM itself: over, whatever became of the vault.
            self.result["moved"] = True
            return before, None
        if item is None and not self.p["replicate_again"] and committed_earlier(
                self.sr, self.p["name"], (self.protectable or {}).get("friendly_name"), self.p["computer_name"]):
            # Moved already (committed, replication removed): re-running a wave must not replicate a retired source.
            self.result["moved"] = True
            return before, None
        if item is None:
            self.refuse_classic_enable()
        spec = self.resolve_spec()
        if item is None:
            item = self.enable(spec)
            # The enable input has no per-NIC settings: the planned addresses go in an update right after it.
            if item is not None and spec["nics"]:
                item, changes = self.update(item, spec)
                if changes:
                    self.result["changes"] = changes
        else:
            item, changes = self.update(item, spec)
            if changes:
                self.result["changes"] = changes
        if item is not None and not self.module.check_mode and self.p["wait"] and self.p["wait_for"] == "protected":
            self.wait_protected(item)
            item = self.get_item(item["name"])
        return before, item

    def remove(self, item, reason):
        before = item_summary(item) if item else {}
        if item is None:
            return before, None
        if self.follow_running(item):
            item = self.get_item(item["name"])
            if item is None:
                return before, None
        if reason == "MigrationComplete":
            summary = item_summary(item)
            if summary["phase"] != "committed" and "CompleteMigration" not in summary["allowed_operations"]:
                self.fail(
                    "Cannot complete the migration of %s: it is %s (%s). Complete migration comes after failover and "
                    "commit (the cutover)." % (self.p["name"], summary["phase"].replace("_", " "), summary["protection_state_description"])
                )
        self.disable(item, reason)
        return before, None if not self.module.check_mode else item


PER_MACHINE = ("name", "ip_addresses", "fqdn", "computer_name", "source_vm_id", "run_as_account", "target_subnet",
               "test_subnet", "target_vm_name", "target_vm_size", "license_type", "availability_zone",
               "sql_license_type", "linux_license_type", "nics", "tags", "appliance", "configuration_server", "process_server")
DISK_TYPES = ("Standard_LRS", "StandardSSD_LRS", "Premium_LRS")
NIC_OPTIONS = dict(source_ip=dict(type="str", required=True), primary=dict(type="bool", default=False),
                   subnet=dict(type="str"), static_ip=dict(type="str"), test_subnet=dict(type="str"),
                   test_static_ip=dict(type="str"))


def apply_mapping(module):
    """The machine's plan from its mapping.json (machine_mapping, in prepare): what the task leaves unset comes from
    it - size, zone, licence types, every NIC's subnet and addresses - and its tags go under the task's. Read on the
    controller from a file this collection wrote; nothing of it is templated."""
    p = module.params
    if not p.get("state_dir") or p["state"] != "present" or p["provider"] != "modernized":
        return None
    try:
        doc = machine_map.read_state(p["state_dir"], p["name"], "mapping")
    except machine_map.MappingError as exc:
        module.fail(str(exc))
    if doc is None:
        module.warn("%s has no mapping in %s (run the prepare phase): it replicates with the task's settings only, "
                    "and its addresses, zone and tags are not carried." % (p["name"], p["state_dir"]))
        return None
    target = doc.get("target") or {}
    for option, key in (("target_vm_size", "size"), ("availability_zone", "zone"), ("license_type", "license_type"),
                        ("sql_license_type", "sql_license_type"), ("linux_license_type", "linux_license_type"),
                        ("target_vm_name", "vm_name"), ("availability_set", "availability_set_id"),
                        ("proximity_placement_group", "proximity_placement_group_id")):
        if not p.get(option) and target.get(key):
            p[option] = target[key]
    p["tags"] = dict(target.get("tags") or {}, **(p.get("tags") or {}))
    # A type Site Recovery cannot give a replica disk (zone-redundant, Ultra) gets the task's disk_type.
    p["planned_disks"] = [dict(d, type=d.get("type") if d.get("type") in DISK_TYPES else None)
                          for d in target.get("disks") or []]
    nics = target.get("nics") or []
    if not p.get("nics") and nics:
        p["nics"] = [{k: n.get(k) for k in NIC_OPTIONS} for n in nics]
    primary = next((n for n in p["nics"] or [] if n.get("primary")), None)
    if primary and primary.get("subnet") and not p.get("target_subnet"):
        p["target_subnet"] = primary["subnet"]
    return doc


def check(module):
    """The machine's input, checked before anything is sent."""
    p = module.params
    if not (p["name"] or "").strip():
        module.fail("name must not be empty.")
    apply_mapping(module)
    if p["nics"] and p["provider"] != "modernized":
        module.fail("nics (per-NIC subnets and addresses) are settings of the modernized provider (InMageRcm) only.")
    if p["nics"] and sum(1 for n in p["nics"] if n.get("primary")) != 1:
        module.fail("nics must mark exactly one NIC primary (it has %d)." % sum(1 for n in p["nics"] if n.get("primary")))
    problem = other_provider_settings(p, PROVIDER_ONLY)
    if problem:
        module.fail(problem)
    if p["availability_zone"] and p["availability_zone"] not in ("1", "2", "3"):
        module.fail("availability_zone %r is not an Azure availability zone: use 1, 2 or 3." % p["availability_zone"])
    for option, resource_type in RESOURCE_OPTIONS:
        problem = resource_id_problem(option, p[option], resource_type)
        if problem:
            module.fail(problem)

    if p["test_network"] and p["target_network"] and not p["allow_production_network_unsafe"]:
        sub = module.connection().subscription_id
        rg = name_of(p["target_resource_group"])
        production = resource_id(p["target_network"], VNET, sub, p["target_network_resource_group"] or rg)
        test = resource_id(p["test_network"], VNET, sub, p["test_network_resource_group"] or p["target_network_resource_group"] or rg)
        if production.lower() == test.lower():
            module.fail(
                "test_network is the production target network (%s). Test failovers must go into an isolated, non-production "
                "network; set allow_production_network_unsafe: true only if you accept the risk." % production.rsplit("/", 1)[-1]
            )


def act(module):
    p = module.params

    def body():
        rep = Replication(module)
        item = rep.locate()
        if p["state"] == "present":
            before, after = rep.present(item)
        else:
            before, after = rep.remove(item, "MigrationComplete" if p["state"] == "migrated" else "NotSpecified")
        result = dict(rep.result)
        if after is not None:
            result["machine"] = item_summary(after)
        elif rep.protectable is not None:
            moved = p["state"] == "migrated" or rep.result.get("moved")
            result["machine"] = {"friendly_name": p["name"], "phase": "migrated" if moved else "discovered",
                                 "discovered": rep.protectable if p["provider"] == "modernized" else machine_summary(rep.protectable)}
        module.exit(rep.changed, before=before, after=result.get("machine") or {}, connection=module.connection().describe(), **result)

    run(module, body, "Replication of %s (state %s)" % (p["name"], p["state"]))


def main():
    run_module(
        vault_spec(
            name=dict(type="str"),
            ip_addresses=dict(type="list", elements="str"),
            fqdn=dict(type="str"),
            computer_name=dict(type="str"),
            source_vm_id=dict(type="str"),
            source_connection=dict(type="str", default="source"),
            state=dict(type="str", choices=["present", "absent", "migrated"], default="present"),
            provider=dict(type="str", choices=["modernized", "classic"], default="modernized"),
            configuration_server=dict(type="str"),
            appliance=dict(type="str"),
            test_network=dict(type="str"),
            test_network_resource_group=dict(type="str"),
            test_subnet=dict(type="str"),
            allow_production_network_unsafe=dict(type="bool", default=False),
            allow_classic_enable=dict(type="bool", default=False),
            policy=dict(type="str"),
            process_server=dict(type="str"),
            run_as_account=dict(type="str"),
            target_resource_group=dict(type="str"),
            target_network=dict(type="str"),
            target_network_resource_group=dict(type="str"),
            target_subnet=dict(type="str"),
            log_storage_account=dict(type="str"),
            storage_account_resource_group=dict(type="str"),
            disk_type=dict(type="str", choices=["Standard_LRS", "StandardSSD_LRS", "Premium_LRS"], default="Standard_LRS"),
            target_vm_name=dict(type="str"),
            target_vm_size=dict(type="str"),
            availability_set=dict(type="str"),
            availability_zone=dict(type="str"),
            proximity_placement_group=dict(type="str"),
            license_type=dict(type="str", choices=["NoLicenseType", "WindowsServer"]),
            sql_license_type=dict(type="str", choices=["NoLicenseType", "PAYG", "AHUB"]),
            linux_license_type=dict(type="str", choices=["NoLicenseType", "LinuxServer"]),
            nics=dict(type="list", elements="dict", options=NIC_OPTIONS),
            state_dir=dict(type="path"),
            multi_vm_group=dict(type="str"),
            tags=dict(type="dict"),
            replicate_again=dict(type="bool", default=False),
            wait=dict(type="bool", default=True),
            wait_for=dict(type="str", choices=["enabled", "protected"], default="protected"),
            wait_timeout=dict(type="int", default=3600),
            poll_interval=dict(type="float", default=30),
            progress_file=dict(type="path"),  # set by the action plugin: the task shows the wait's progress
        ),
        PER_MACHINE,
        check,
        act,
    )


if __name__ == "__main__":
    main()
