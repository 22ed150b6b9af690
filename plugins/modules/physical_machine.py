#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: physical_machine
short_description: Add a physical machine (or an Azure VM treated as one) to a configuration server
version_added: 0.1.0
description:
  - Registers a source machine with a configuration server by friendly name, IP address and OS type, as the
    portal's "+Physical machine" does when enabling replication (Site Recovery C(discoverProtectableItem)), waits
    until it is discovered and returns it.
  - Idempotent. A machine the server already knows (same name, or same IP address) is not added again; a name
    known with another IP address, or an IP address known under another name, is an error that names both.
  - With the modernized provider (the default) machines are added on the replication appliance, so the module waits
    until the appliance has discovered the machine (by name or IP address) and returns it.
  - Government VMs move to the public cloud as physical servers, so their private IP address (as the
    configuration server reaches it) is what goes here.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.site_recovery.WAIT
  - azmove.site_recovery.site_recovery.BATCH
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.DIFF_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
options:
  provider:
    description:
      - V(modernized) - the machine is added on the replication appliance (its configuration manager's "Add server",
        with the credentials to reach it); Azure has no API for that step, so this module waits until the appliance
        has discovered the machine and returns it. V(classic) - the module adds the machine to the configuration
        server itself.
    type: str
    choices: [modernized, classic]
    default: modernized
  configuration_server:
    description: Friendly name of the registered configuration server that will replicate the machine (classic, required there).
    type: str
  appliance:
    description: Name of the replication appliance (modernized). Default the vault's only appliance.
    type: str
  name:
    description:
      - Friendly name of the machine (usually its host name).
      - One of O(name) and O(machines) is required.
    type: str
  ip_address:
    description:
      - IPv4 or IPv6 address at which the process server reaches the machine. Required with O(name).
      - Modernized - the first way the machine is matched to what the appliance discovered.
    type: str
  fqdn:
    description: Modernized - the machine's FQDN, the second way it is matched to what the appliance discovered.
    type: str
  computer_name:
    description:
      - Modernized - the guest's host name (the inventory's C(azmove_computer_name)), the third way it is matched; the
        appliance discovers the guest, whose name may differ from the Azure VM's (O(name) is tried last).
    type: str
  os_type:
    description: Operating system family of the machine. Required with O(name); with O(machines), the default of every entry.
    type: str
    choices: [Windows, Linux]
  machines:
    description:
      - Add a whole batch of machines in one task, instead of O(name). Each entry is one machine.
    type: list
    elements: dict
    suboptions:
      name:
        description: Friendly name of the machine.
        type: str
        required: true
      ip_address:
        description: IPv4 or IPv6 address at which the process server reaches the machine.
        type: str
      fqdn:
        description: Modernized - the machine's FQDN.
        type: str
      computer_name:
        description: Modernized - the guest's host name.
        type: str
      os_type:
        description: Operating system family of the machine (default O(os_type)).
        type: str
        choices: [Windows, Linux]
      appliance:
        description: Modernized - the appliance this machine is added on (default O(appliance)).
        type: str
      configuration_server:
        description: Classic - the configuration server this machine is added to (default O(configuration_server)).
        type: str
"""

EXAMPLES = r"""
- name: Add the wave's machines to the configuration server
  azmove.site_recovery.physical_machine:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    provider: classic
    configuration_server: cs-gov-01
    name: "{{ item.name }}"
    ip_address: "{{ item.ip }}"
    os_type: "{{ item.os }}"
  loop:
    - {name: vm-app-win01, ip: 10.10.1.4, os: Windows}
    - {name: vm-app-lnx01, ip: 10.10.2.4, os: Linux}

- name: The same for a whole wave, in one module run
  azmove.site_recovery.physical_machine:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    appliance: asr-gov-01
    machines:
      - {name: vm-app-win01, ip_address: 10.10.1.4, os_type: Windows}
      - {name: vm-app-lnx01, ip_address: 10.10.2.4, os_type: Linux}
    fail_on_error: false
  register: added
"""

RETURN = r"""
machine:
  description:
    - The discovered machine - classic, the configuration server's protectable item; modernized, the appliance's
      machine in Microsoft.OffAzure (then also C(fqdn), C(ip_addresses), C(run_as_account_id), C(site_id),
      C(site_kind) and C(matched_by)). In check mode, for a machine not yet added, the input.
  returned: with O(name)
  type: dict
  sample:
    id: /Subscriptions/.../replicationProtectableItems/3f2a...
    name: 3f2a...
    friendly_name: vm-app-win01
    ip_address: 10.10.1.4
    os_type: Windows
    protection_status: Unprotected
    replicated_item_id: null
job:
  description: The discovery job (when the task added the machine).
  returned: when changed and not in check mode
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
    - With O(machines), each machine's result by name - what the task returns for one machine (RV(machine), RV(job)),
      plus C(changed), C(failed), and for a failed machine C(msg) and C(error) (Azure's code, message and job id).
  returned: with O(machines)
  type: dict
  sample:
    vm-app-win01: {changed: false, failed: false, machine: {friendly_name: vm-app-win01, ip_address: 10.10.1.4}}
failed_machines:
  description: With O(machines), the names of the machines that failed.
  returned: with O(machines)
  type: list
  elements: str
"""

import ipaddress

from ansible_collections.azmove.site_recovery.plugins.module_utils import _offazure as offazure
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import (
    discovered_machines,
    find_machine,
    fresh_discovered_machines,
    known_machines,
    machine_summary,
    Operation,
    protectable_machines,
    resolve_source,
    SiteRecovery,
    vault_spec,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._batch import run_module
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import run
from ansible_collections.azmove.site_recovery.plugins.module_utils._providers import other_provider_settings
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import wait_until

# The source of each provider, refused before anything happens when the task uses the other.
PROVIDER_ONLY = {"modernized": ("configuration_server",), "classic": ("appliance", "fqdn", "computer_name")}


def wait_discovered(module, sr, server, wanted):
    """Modernized: the appliance adds machines; wait for its discovery (Microsoft.OffAzure) and return the machine
    (never a change). It is matched by IP address, then FQDN, then computer name, then name: what the appliance
    discovered is the guest, whose host name may differ from the Azure VM's name."""
    p = module.params
    keys = ([wanted["ip_address"]], p["fqdn"], p["computer_name"], p["name"])

    def poll():
        try:
            found, how = offazure.match(fresh_discovered_machines(sr, server), *keys)
        except ValueError as exc:
            module.fail("%s: %s" % (p["name"], exc))
        return found is not None, (found, how), None

    what = "appliance %s to discover %s (%s); add it in the appliance's configuration manager (Add server) if you have not" % (
        server["friendly_name"], p["name"], offazure.describe(*keys))
    machines = discovered_machines(sr, server)  # once per batch: a machine discovered already needs no wait
    try:
        found, how = offazure.match(machines, *keys)
    except ValueError as exc:
        module.fail("%s: %s" % (p["name"], exc))
    if found is None:
        found, how = wait_until(poll, what, p["wait_timeout"] if p["wait"] else 0, interval=p["poll_interval"])
    module.exit(False, machine=dict(found, matched_by=how), connection=module.connection().describe())


PER_MACHINE = ("name", "ip_address", "fqdn", "computer_name", "os_type", "appliance", "configuration_server")


def check(module):
    """The machine's input, checked before anything is sent."""
    p = module.params
    problem = other_provider_settings(p, PROVIDER_ONLY)
    if problem:
        module.fail(problem)
    if not (p["name"] or "").strip():
        module.fail("name must not be empty.")
    missing = [key for key in ("ip_address", "os_type") if not p.get(key)]
    if missing:
        module.fail("%s: %s required." % (p["name"], " and ".join(missing) + (" is" if len(missing) == 1 else " are")))
    try:
        p["ip_address"] = str(ipaddress.ip_address(p["ip_address"].strip()))
    except ValueError:
        module.fail("ip_address %r is not a valid IPv4 or IPv6 address." % p["ip_address"])


def act(module):
    p = module.params
    ip = p["ip_address"]

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        source = p["configuration_server"] if p["provider"] == "classic" else p["appliance"]
        server = resolve_source(sr, p["provider"], source, module.fail)
        wanted = {"friendly_name": p["name"], "ip_address": ip, "os_type": p["os_type"]}
        if p["provider"] == "modernized":
            return wait_discovered(module, sr, server, wanted)
        by_name, by_ip = find_machine(known_machines(sr, server), p["name"], ip)
        if by_name is not None or by_ip is not None:
            known = by_name if by_name is not None else by_ip
            summary = machine_summary(known)
            if by_name is None or summary["ip_address"] not in (None, ip):
                module.fail(
                    "Configuration server %r already knows %s as %r with IP address %s; machine %r (%s) conflicts "
                    "with it. Use the known name and address, or remove the old machine first."
                    % (p["configuration_server"], "this IP address" if by_name is None else "this name",
                       summary["friendly_name"], summary["ip_address"], p["name"], ip)
                )
            module.exit(False, machine=summary, connection=module.connection().describe())
        if module.check_mode:
            module.exit(True, before={}, after=wanted, machine=wanted, connection=module.connection().describe())
        op = sr.start(
            "replication_protection_containers",
            "begin_discover_protectable_item",
            server["fabric_name"],
            server["container_name"],
            {"properties": {"friendlyName": p["name"], "ipAddress": ip, "osType": p["os_type"]}},
            # The connection dropped on the POST: if the server knows the machine now, it went through.
            recover=lambda: Operation(None) if find_machine(protectable_machines(sr, server), p["name"], ip)[0] else None,
        )
        result = {"machine": dict(wanted, protection_status="Discovering")}
        if p["wait"]:
            what = "discovery of %s (%s)" % (p["name"], ip)
            result["job"] = sr.follow(op, what, p["wait_timeout"], p["poll_interval"], action=what)

            def poll():
                found, _unused = find_machine(protectable_machines(sr, server), p["name"])
                return found is not None, found, None

            found = wait_until(poll, what, p["wait_timeout"], interval=p["poll_interval"])
            result["machine"] = machine_summary(found)
        else:
            result["job"] = {"name": op.job_name, "state": "InProgress"}
        module.exit(True, before={}, after=result["machine"], connection=module.connection().describe(), **result)

    run(module, body, "Adding machine %s to configuration server %s" % (p["name"], p["configuration_server"]))


def main():
    run_module(
        vault_spec(
            provider=dict(type="str", choices=["modernized", "classic"], default="modernized"),
            configuration_server=dict(type="str"),
            appliance=dict(type="str"),
            name=dict(type="str"),
            fqdn=dict(type="str"),
            computer_name=dict(type="str"),
            ip_address=dict(type="str"),
            os_type=dict(type="str", choices=["Windows", "Linux"]),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=3600),
            poll_interval=dict(type="float", default=30),
        ),
        PER_MACHINE,
        check,
        act,
    )


if __name__ == "__main__":
    main()
