#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: configuration_server_info
short_description: Configuration servers registered with a Recovery Services vault
version_added: 0.1.0
description:
  - Lists the configuration servers (classic Site Recovery, provider C(InMageAzureV2)) registered with a vault,
    each with its process servers, master target servers and run-as accounts.
  - The run-as accounts are the accounts the process server uses to push-install the Mobility service on the
    source machines; M(azmove.site_recovery.replicated_machine) picks one by name.
  - Can wait until a configuration server has registered, which is what the configuration server role does after
    Unified Setup.
  - Can ask a configuration server to refresh its data (the portal's "Refresh server"), which is Azure's way of
    picking up new accounts and process servers at once instead of at the next heartbeat.
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
  name:
    description:
      - Only the configuration server with this friendly name (the host name given at registration).
    type: str
  wait_for:
    description:
      - Wait until a configuration server with this friendly name is registered (and, with O(refresh), refreshed).
    type: str
  wait_timeout:
    description: Seconds to wait for O(wait_for) at most.
    type: int
    default: 1800
  poll_interval:
    description: Seconds between two reads while waiting for O(wait_for).
    type: float
    default: 30
  refresh:
    description:
      - Refresh the server(s) selected by O(name) or O(wait_for) (Site Recovery's C(refreshProvider)) and wait for
        the refresh job, so the accounts and process servers returned are current.
      - Skipped in check mode.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Wait until the configuration server installed by Unified Setup has registered
  azmove.site_recovery.configuration_server_info:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    wait_for: cs-gov-01
    wait_timeout: 900
  register: cs

- name: Refresh it after adding a run-as account in cspsconfigtool, then check the account is there
  azmove.site_recovery.configuration_server_info:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: cs-gov-01
    refresh: true
  register: cs

- name: Fail early when the push-install account is missing
  ansible.builtin.assert:
    that: "'winadmin' in (cs.configuration_servers[0].run_as_accounts | map(attribute='name'))"
    fail_msg: Add the account in cspsconfigtool on the configuration server first.
"""

RETURN = r"""
configuration_servers:
  description: The configuration servers found.
  returned: always
  type: list
  elements: dict
  contains:
    friendly_name:
      description: "Name given at registration (usually the host name)."
      type: str
    fabric_name:
      description: "Site Recovery fabric name; other modules take the friendly name."
      type: str
    fabric_id:
      description: "ARM id of the fabric."
      type: str
    host_name:
      description: "Host name of the server."
      type: str
    ip_address:
      description: "IP address of the server."
      type: str
    agent_version:
      description: "Version of the Site Recovery components on the server."
      type: str
    last_heartbeat:
      description: "Last contact with Azure (UTC)."
      type: str
    version_status:
      description: "Whether the components are up to date."
      type: str
    health:
      description: "Health Azure reports for the server."
      type: str
    health_errors:
      description: "Health error messages."
      type: list
      elements: str
    process_servers:
      description: Process servers (the configuration server itself, and any scale-out one).
      type: list
      elements: dict
      sample: [{id: 9a1e4c2b-..., name: cs-gov-01, ip_address: 10.10.1.10, agent_version: 9.62.7096.1, last_heartbeat: "2026-11-22T10:02:11Z",
          version_status: Latest, health_errors: [], machine_count: 3}]
    master_target_servers:
      description: "Master target servers."
      type: list
      elements: dict
      sample: [{id: 5c0d..., name: cs-gov-01, ip_address: 10.10.1.10, agent_version: 9.62.7096.1, last_heartbeat: "2026-11-22T10:02:11Z",
          version_status: Latest, health_errors: []}]
    run_as_accounts:
      description: Accounts the process server can use for the Mobility service push install (id and name).
      type: list
      elements: dict
      sample: [{id: "1", name: winadmin}, {id: "2", name: linuxroot}]
    container_name:
      description: "The server's protection container."
      type: str
    container_id:
      description: "ARM id of the protection container."
      type: str
  sample:
    - friendly_name: cs-gov-01
      fabric_name: 7f3c4a1b0e2d4c5f
      ip_address: 10.10.1.10
      agent_version: 9.62.7096.1
      last_heartbeat: "2026-11-22T10:02:11.0000000Z"
      process_servers: [{id: 9a1e..., name: cs-gov-01, ip_address: 10.10.1.10, machine_count: 3}]
      run_as_accounts: [{id: "1", name: winadmin}, {id: "2", name: linuxroot}]
      container_name: cloud_0f4a7e52-8d3c-4b5e-9f1a-2c6d8e0b7a31
refreshed:
  description: Friendly names of the servers refreshed.
  returned: when O(refresh=true)
  type: list
  elements: str
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

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import (
    configuration_servers,
    SiteRecovery,
    vault_spec,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import wait_until


def main():
    module = AzureModule(
        vault_spec(
            name=dict(type="str"),
            wait_for=dict(type="str"),
            wait_timeout=dict(type="int", default=1800),
            poll_interval=dict(type="float", default=30),
            refresh=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    sr = SiteRecovery(module, p["resource_group"], p["vault"])

    def body():
        name = p["wait_for"] or p["name"]
        if p["wait_for"]:

            def poll():
                found = configuration_servers(sr, p["wait_for"])
                return bool(found), "registered" if found else "not registered yet", None

            wait_until(
                poll,
                "configuration server %r to register with vault %r" % (p["wait_for"], p["vault"]),
                p["wait_timeout"],
                interval=p["poll_interval"],
            )
        result = {}
        if p["refresh"] and not module.check_mode:
            result["refreshed"] = refresh(sr, configuration_servers(sr, name), p)
        servers = configuration_servers(sr, name)
        module.exit(False, configuration_servers=servers, connection=module.connection().describe(), **result)

    run(module, body, "Reading configuration servers of vault %s" % p["vault"])


def refresh(sr, servers, p):
    done = []
    for server in servers:
        for provider in sr.list("replication_recovery_services_providers", "list_by_replication_fabrics", server["fabric_name"]):
            op = sr.start("replication_recovery_services_providers", "begin_refresh_provider", server["fabric_name"], provider["name"])
            sr.follow(op, "refresh of configuration server %r" % server["friendly_name"], p["wait_timeout"], p["poll_interval"])
        done.append(server["friendly_name"])
    return done


if __name__ == "__main__":
    main()
