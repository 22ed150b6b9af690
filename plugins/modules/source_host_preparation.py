#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: source_host_preparation
short_description: Prepare a source VM for the Mobility service push install, through Azure Run Command
version_added: 0.1.0
description:
  - Gets a source VM ready for Site Recovery's push install of the Mobility service by running a script in it with
    the Azure VM Run Command API (C(virtualMachines/runCommand)). Nothing needs a network path to the VM, only Azure
    Resource Manager and a running VM with its guest agent.
  - On Windows, for a local account O(account) - sets the DWORD C(LocalAccountTokenFilterPolicy=1) under
    C(HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System) (remote UAC would otherwise strip the local
    administrator's rights, push install error 95107), creates the account with O(password) when it does not exist,
    enables it, sets its password when it differs (O(update_password=always)) and adds it to the local
    Administrators group. With O(firewall=true), enables the inbound Windows Firewall rule groups
    File and Printer Sharing and Windows Management Instrumentation (WMI) (errors 95105 and 95103).
  - On Windows, for a domain account (C(DOMAIN\user) or C(user@domain)) - the registry value only matters for
    local accounts, so it is left as it is and the result says so in RV(notes); the account and its rights are
    managed in the domain; the firewall groups are handled as above.
  - On Linux - sets root's password from O(password) when root has none or it differs (O(update_password=always)),
    adds O(authorized_key) to root's C(authorized_keys), makes sshd accept C(PasswordAuthentication), C(PermitRootLogin)
    and the C(sftp) subsystem (error 95108) and reloads sshd, and updates the C(ca-certificates) package when a newer
    one is available (O(update_ca_certificates)).
  - The sshd settings are a marked block at the top of C(/etc/ssh/sshd_config) (sshd takes the first value of a
    setting), written only after C(sshd -t) accepts the new file. The Windows registry change remembers the value it
    replaced under C(HKLM\SOFTWARE\azmove\site_recovery).
  - O(state=absent), after the move, undoes exactly that - removes the sshd block (so each setting is what it was
    before) and puts C(LocalAccountTokenFilterPolicy) back as it was. It leaves accounts, passwords, keys, the
    firewall rules and the certificates alone.
  - Every run first runs the script read-only to see what differs, then, only when something does, runs it again
    to change it. A second run with the same options changes nothing and sends only the read-only run.
  - With O(machines), a whole wave in one task - one module process; each machine goes through exactly the steps
    above, O(concurrency) machines at a time (Azure runs one Run Command at a time per VM, but different VMs at once).
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-compute >= 33
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery.BATCH
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  name:
    description: Name of the source VM. Give it with O(resource_group), or give O(vm_id), or give O(machines).
    type: str
  machines:
    description:
      - Prepare a whole batch of VMs in one task, instead of O(name). Each entry is one VM; what an entry leaves out
        comes from the task's options. Results are in RV(machines).
    type: list
    elements: dict
    suboptions:
      name:
        description: The VM's name (see O(name)).
        type: str
        required: true
      resource_group:
        description: Its resource group (default O(resource_group)).
        type: str
      os_type:
        description: Its guest OS (see O(os_type)).
        type: str
        choices: [windows, linux]
      account:
        description: The account for its push install (see O(account); default O(account)).
        type: str
      password:
        description: The account's password (see O(password); default O(password)).
        type: str
      update_password:
        description: See O(update_password) (default the task's).
        type: str
        choices: [always, on_create]
      authorized_key:
        description: See O(authorized_key) (default the task's).
        type: str
      state:
        description: See O(state) (default the task's).
        type: str
        choices: [present, absent]
      firewall:
        description: See O(firewall) (default the task's).
        type: bool
      update_ca_certificates:
        description: See O(update_ca_certificates) (default the task's).
        type: bool
  resource_group:
    description: Resource group of the VM named O(name).
    type: str
  vm_id:
    description: Resource id of the source VM, instead of O(name) and O(resource_group).
    type: str
  os_type:
    description:
      - The guest OS. Defaults to the OS type of the VM's OS disk (C(storageProfile.osDisk.osType)).
      - Decides the Run Command (C(RunPowerShellScript) or C(RunShellScript)); Azure refuses one that does not match
        the VM.
    type: str
    choices: [windows, linux]
  account:
    description:
      - Windows - the account the push install uses, as it is registered on the replication appliance (or the
        configuration server). A local account name, or a domain account as C(DOMAIN\user) or C(user@domain).
        Required with O(state=present).
      - Linux - the push install always uses V(root); leave it out or give V(root).
    type: str
  password:
    description:
      - Windows - the local account's password, used to create the account when it does not exist and, with
        O(update_password=always), to set it when it differs. Not needed for an existing account whose password
        is left alone, nor for a domain account.
      - Linux - root's password, set when root has none or, with O(update_password=always), when it differs.
        Not needed when root already has the password the appliance holds; without a password root needs
        O(authorized_key) or an existing password.
      - It is sent as a Run Command parameter (base64-encoded), never in the script text, and never appears in the
        module's result, not even at C(-vvvv). Run Command's action API has no protected parameters (only the
        managed run command resource does), so the value reaches the guest agent's Run Command settings on the VM,
        readable by the VM's administrators (root); rotate the password after the move if that matters.
    type: str
  update_password:
    description:
      - V(always) - compare O(password) with the account's (Windows) or root's (Linux) and set it when it differs;
        the comparison is a local sign-in check on Windows and a C(crypt) comparison with C(/etc/shadow) on Linux
        (needs perl). V(on_create) - set it only when the account is created (Windows) or root has no password
        (Linux).
    type: str
    choices: [always, on_create]
    default: always
  authorized_key:
    description:
      - Linux - a public key line to add to root's C(~/.ssh/authorized_keys) (added once, never removed).
    type: str
  state:
    description:
      - V(present) - the machine is ready for the push install.
      - V(absent) - undo the registry value (Windows) and the sshd settings (Linux) this module changed, for after
        the move. Accounts, passwords, keys, firewall rules and certificates are left as they are.
    type: str
    choices: [present, absent]
    default: present
  firewall:
    description: Windows - enable the inbound rule groups File and Printer Sharing and Windows Management Instrumentation (WMI).
    type: bool
    default: true
  update_ca_certificates:
    description:
      - Linux - update the C(ca-certificates) package when the guest's package lists (apt, dnf, yum or zypper)
        offer a newer one. The lists are not refreshed (the guest's own schedule does that).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each Run Command, including the wait while another Run Command runs on the VM (Azure
        runs one at a time and refuses a second with C(409 Conflict)). A Run Command takes at least 20-30 seconds.
    type: int
    default: 900
notes:
  - Needs C(Microsoft.Compute/virtualMachines/read) and C(Microsoft.Compute/virtualMachines/runCommand/action) on the
    VM (Virtual Machine Contributor has both), a running VM and its guest agent (VM agent) in the Ready state.
    A stopped VM fails with Azure's error, for example C(OperationNotAllowed) - "The operation requires the VM to be
    running (or set to run).".
  - Check mode still runs a Run Command on the VM, the read-only one, and reports what would change.
  - Each run is one or two Run Commands, each at least 20-30 seconds; Azure keeps the last 4096 bytes of output, and
    the script prints one line, C(AZMOVE-RESULT {json}), that the module reads.
  - Windows needs Windows Server 2016 or later (the Microsoft.PowerShell.LocalAccounts and NetSecurity modules).
  - The Windows Firewall rule groups are found by their resource ids, so any display language works.
seealso:
  - module: azmove.site_recovery.replicated_machine
  - module: azmove.site_recovery.source_vm_info
"""

EXAMPLES = r"""
- name: A Windows VM with a local administrator for the push install
  azmove.site_recovery.source_host_preparation:
    use_connection: source
    name: vm-app-win01
    resource_group: rg-app-gov
    account: asr-push
    password: "{{ vault_asr_push_password }}"
  register: prepared

- name: A Linux VM, found by its resource id; root's password is the one the replication appliance holds
  azmove.site_recovery.source_host_preparation:
    use_connection: source
    vm_id: "{{ hostvars['vm-app-lnx01'].azmove_id }}"
    password: "{{ vault_linux_root_password }}"

- name: What would change on every VM of wave 1 (runs only the read-only script)
  azmove.site_recovery.source_host_preparation:
    use_connection: source
    name: "{{ item.name }}"
    resource_group: "{{ item.resource_group }}"
    account: asr-push
  loop: "{{ wave1.vms }}"
  check_mode: true

- name: After the move, put the registry value and sshd back as they were
  azmove.site_recovery.source_host_preparation:
    use_connection: source
    name: vm-app-lnx01
    resource_group: rg-linux-gov
    state: absent

- name: A whole wave in one task, ten VMs at a time; each VM's result is in machines
  azmove.site_recovery.source_host_preparation:
    use_connection: source
    resource_group: rg-app-gov
    account: asr-push
    password: "{{ vault_asr_push_password }}"
    machines:
      - name: vm-app-win01
      - name: vm-app-lnx01
        resource_group: rg-linux-gov
        os_type: linux
        account: root
        password: "{{ vault_linux_root_password }}"
    concurrency: 10
    fail_on_error: false
  register: prepared
"""

RETURN = r"""
machines:
  description:
    - With O(machines), each VM's result by name - what the task returns for one VM (the keys below), plus
      C(changed), C(failed), and for a failed VM C(msg).
  returned: with O(machines)
  type: dict
  sample:
    vm-app-win01: {changed: true, failed: false, run_commands: [check, apply], notes: []}
failed_machines:
  description: With O(machines), the names of the VMs that failed.
  returned: with O(machines)
  type: list
  elements: str
changes:
  description:
    - What changed (or, in check mode, would change), in order. Windows - V(registry_value_set), V(account_created),
      V(account_enabled), V(password_set), V(added_to_administrators), V(firewall_file_and_printer_sharing_enabled),
      V(firewall_wmi_enabled), V(registry_value_restored). Linux - V(root_password_set), V(authorized_key_added),
      V(password_authentication_enabled), V(permit_root_login_enabled), V(sftp_subsystem_enabled), V(sshd_reloaded),
      V(ca_certificates_updated), V(sshd_settings_restored).
  returned: always
  type: list
  elements: str
  sample: [registry_value_set, account_created, added_to_administrators, firewall_wmi_enabled]
state:
  description:
    - The machine's settings after the task (predicted in check mode). A setting that is not checked is null.
  returned: always
  type: dict
  contains:
    local_account_token_filter_policy:
      description: Windows - the DWORD C(LocalAccountTokenFilterPolicy), null when it does not exist.
      type: int
    azmove_marker:
      description: Windows - whether the value it replaced is recorded (so O(state=absent) can restore it).
      type: bool
    account_exists:
      description: Windows - the local account exists (null for a domain account).
      type: bool
    account_enabled:
      description: Windows - the local account is enabled.
      type: bool
    account_in_administrators:
      description: Windows - the local account is in the local Administrators group.
      type: bool
    password_current:
      description: Windows - O(password) is the account's password (null when not compared).
      type: bool
    firewall_file_and_printer_sharing:
      description: Windows - every inbound rule of the File and Printer Sharing group is enabled.
      type: bool
    firewall_wmi:
      description: Windows - every inbound rule of the WMI group is enabled.
      type: bool
    password_authentication:
      description: Linux - sshd's effective C(PasswordAuthentication) (C(sshd -T)).
      type: str
    permit_root_login:
      description: Linux - sshd's effective C(PermitRootLogin).
      type: str
    sftp_subsystem:
      description: Linux - sshd has an C(sftp) subsystem.
      type: bool
    root_password_set:
      description: Linux - root has a usable password.
      type: bool
    root_password_current:
      description: Linux - O(password) is root's password (null when not compared).
      type: bool
    authorized_key_present:
      description: Linux - O(authorized_key) is in root's C(authorized_keys) (null without O(authorized_key)).
      type: bool
    ca_certificates_current:
      description: Linux - no newer C(ca-certificates) package is offered (null when not checked or unknown).
      type: bool
    azmove_sshd_block:
      description: Linux - C(sshd_config) has the block this module writes.
      type: bool
  sample:
    local_account_token_filter_policy: 1
    azmove_marker: true
    account_exists: true
    account_enabled: true
    account_in_administrators: true
    password_current: true
    firewall_file_and_printer_sharing: true
    firewall_wmi: true
notes:
  description: Things the task left alone on purpose, for example the registry value for a domain account.
  returned: always
  type: list
  elements: str
vm:
  description: The VM the script ran on.
  returned: always
  type: dict
  contains:
    id:
      description: Resource id.
      type: str
    name:
      description: VM name.
      type: str
    resource_group:
      description: Resource group.
      type: str
    os_type:
      description: V(windows) or V(linux).
      type: str
account:
  description: The account prepared (V(root) on Linux) and whether it is V(local) or V(domain).
  returned: always
  type: dict
  sample: {name: asr-push, kind: local}
run_commands:
  description: The Run Commands sent, in order - V(check) (read-only), then V(apply) when something differed.
  returned: always
  type: list
  elements: str
  sample: [check, apply]
stdout:
  description: The end of the failing script's output (on failure only).
  returned: when the script failed
  type: str
stderr:
  description: The end of the failing script's error output (on failure only).
  returned: when the script failed
  type: str
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

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import resource_id_problem
from ansible_collections.azmove.site_recovery.plugins.module_utils._batch import BATCH_OPTIONS, run_batch
from ansible_collections.azmove.site_recovery.plugins.module_utils._discovery import parse_id
from ansible_collections.azmove.site_recovery.plugins.module_utils._errors import get_or_none
from ansible_collections.azmove.site_recovery.plugins.module_utils._host_preparation import (
    HostPreparation,
    PreparationError,
    ScriptFailure,
    Settings,
    encode_secret,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run


PER_MACHINE = dict(
    name=dict(type="str", required=True),
    resource_group=dict(type="str"),
    os_type=dict(type="str", choices=["windows", "linux"]),
    account=dict(type="str"),
    password=dict(type="str", no_log=True),
    update_password=dict(type="str", choices=["always", "on_create"], no_log=False),
    authorized_key=dict(type="str", no_log=False),
    state=dict(type="str", choices=["present", "absent"]),
    firewall=dict(type="bool"),
    update_ca_certificates=dict(type="bool"),
)


def check(module):
    """One VM's input, before anything is sent."""
    p = module.params
    problem = resource_id_problem("vm_id", p["vm_id"], "Microsoft.Compute/virtualMachines", name_allowed=False)
    if problem:
        module.fail(problem)
    if p["name"] and not p["resource_group"]:
        module.fail("%s: resource_group is required (on the task or the machine's entry)." % p["name"])


def act(module):
    """One VM: the read-only Run Command, then the changing one when something differs."""
    p = module.params
    if p["vm_id"]:
        parsed = parse_id(p["vm_id"])
        resource_group, name = parsed["resource_group"], parsed["name"]
    else:
        resource_group, name = p["resource_group"], p["name"]
    compute = module.client("compute")
    vm = get_or_none(compute.virtual_machines.get, resource_group, name)
    if vm is None:
        module.fail("VM %s was not found in resource group %s (connection %s)."
                    % (name, resource_group, module.connection().name))
    disk_os = vm.storage_profile.os_disk.os_type if vm.storage_profile and vm.storage_profile.os_disk else None
    os_type = p["os_type"] or str(getattr(disk_os, "value", disk_os) or "").lower()  # an enum in the SDK models
    try:
        settings = Settings(os_type, account=p["account"], password=p["password"], update_password=p["update_password"],
                            authorized_key=p["authorized_key"], state=p["state"], firewall=p["firewall"],
                            update_ca_certificates=p["update_ca_certificates"])
    except PreparationError as exc:
        module.fail(str(exc))
    result = dict(vm={"id": vm.id, "name": vm.name, "resource_group": resource_group, "os_type": os_type},
                  account={"name": settings.account, "kind": settings.kind if settings.account else None},
                  connection=module.connection().describe())
    prep = HostPreparation(compute, resource_group, vm.name, settings, p["wait_timeout"])
    try:
        changed, first, last = prep.prepare(module.check_mode)
    except ScriptFailure as exc:
        done = exc.result or {}
        module.fail(exc.message, error={"code": exc.code, "message": exc.message}, run_commands=prep.modes,
                    changes=done.get("changes", []), state=done.get("after"), notes=done.get("notes", []),
                    stdout=exc.stdout, stderr=exc.stderr, **result)
    module.exit(changed, before=first["before"], after=last["after"], changes=last["changes"], state=last["after"],
                notes=last["notes"], run_commands=prep.modes, **result)


def main():
    module = AzureModule(
        argument_spec=dict(
            name=dict(type="str"),
            resource_group=dict(type="str"),
            vm_id=dict(type="str"),
            os_type=dict(type="str", choices=["windows", "linux"]),
            account=dict(type="str"),
            password=dict(type="str", no_log=True),
            update_password=dict(type="str", choices=["always", "on_create"], default="always", no_log=False),
            authorized_key=dict(type="str", no_log=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            firewall=dict(type="bool", default=True),
            update_ca_certificates=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
            machines=dict(type="list", elements="dict", options=PER_MACHINE),
            **BATCH_OPTIONS
        ),
        mutually_exclusive=[["name", "vm_id"], ["resource_group", "vm_id"], ["name", "machines"], ["vm_id", "machines"]],
        required_one_of=[["name", "vm_id", "machines"]],
        supports_check_mode=True,
    )
    p = module.params
    for password in [p["password"]] + [(e or {}).get("password") for e in p["machines"] or []]:
        if password:
            module.module.no_log_values.add(encode_secret(password))  # the form the Run Command carries
    if p["machines"] is not None:
        run_batch(module, check, act)
    check(module)
    run(module, lambda: act(module), "Host preparation of %s through Run Command" % (p["name"] or p["vm_id"]))


if __name__ == "__main__":
    main()
