#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: replication_appliance_info
short_description: Replication appliances registered with a Recovery Services vault, with component health
version_added: 0.1.0
description:
  - Lists the Site Recovery replication appliances (modernized provider, C(InMageRcm)) registered with a vault, each
    with its components - process server, RCM proxy, push installer, replication agent, reprotect agent, MARS agent -
    their health and last heartbeat, and the credentials (run-as accounts) added on the appliance for the Mobility
    service push install.
  - Can wait until an appliance has registered and, with O(healthy), until all its components are healthy.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.INFO_MODULE
  - azmove.site_recovery.progress
options:
  name:
    description: Only the appliance with this name.
    type: str
  wait_for:
    description: Wait until an appliance with this name is registered.
    type: str
  healthy:
    description: With O(wait_for), also wait until every component of the appliance is healthy.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait at most.
    type: int
    default: 1800
  poll_interval:
    description: Seconds between two reads while waiting.
    type: float
    default: 30
"""

EXAMPLES = r"""
- name: Wait until the appliance has registered and all its components are healthy
  azmove.site_recovery.replication_appliance_info:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    wait_for: asr-appliance-01
    healthy: true
  register: appliance

- name: The credentials the push install can use
  ansible.builtin.debug:
    msg: "{{ appliance.appliances[0].run_as_accounts | map(attribute='name') }}"
"""

RETURN = r"""
appliances:
  description: The appliances found.
  returned: always
  type: list
  elements: dict
  contains:
    friendly_name:
      description: The appliance's name.
      type: str
    fabric_name:
      description: The Site Recovery fabric (shared by the vault's appliances).
      type: str
    physical_site_id:
      description: ARM id of the Microsoft.OffAzure site that holds the appliance's discovered machines and credentials.
      type: str
    healthy:
      description: Whether every component reports normal health.
      type: bool
    last_heartbeat:
      description: Last heartbeat of the process server (UTC).
      type: str
    components:
      description:
        - Per component (processServer, rcmProxy, pushInstaller, replicationAgent, reprotectAgent, marsAgent), its
          health, last heartbeat, version and health errors.
      type: dict
      sample: {processServer: {health: Normal, last_heartbeat: "2026-11-22T10:02:11Z", version: 9.62.0.0, health_errors: []},
          rcmProxy: {health: Normal, last_heartbeat: "2026-11-22T10:02:09Z", version: 1.38.0.0, health_errors: []}}
    process_servers:
      description: The appliance's process server (id and name), what enable replication uses.
      type: list
      elements: dict
      sample: [{id: 0b2f7c1e-..., name: asr-appliance-01}]
    run_as_accounts:
      description: Credentials added on the appliance (id and name).
      type: list
      elements: dict
      sample: [{id: "/subscriptions/.../runAsAccounts/1f0c...", name: linux-root}]
    container_name:
      description: Protection container of the appliance's fabric.
      type: str
  sample:
    - friendly_name: asr-appliance-01
      healthy: true
      components:
        processServer: {health: Normal, last_heartbeat: "2026-11-22T10:02:11Z", version: 9.62.0.0, health_errors: []}
      run_as_accounts: [{id: "/subscriptions/.../runAsAccounts/1f0c...", name: linux-root}]
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

from ansible_collections.azmove.site_recovery.plugins.module_utils import _progress
from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import appliances, SiteRecovery, vault_spec
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._wait import wait_until


def main():
    module = AzureModule(
        vault_spec(
            name=dict(type="str"),
            wait_for=dict(type="str"),
            healthy=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1800),
            poll_interval=dict(type="float", default=30),
            progress_file=_progress.OPTION,
        ),
        supports_check_mode=True,
    )
    p = module.params

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        if p["wait_for"]:
            _progress.start(module)  # each poll's state, shown by the task while it waits

            def poll():
                found = appliances(sr, p["wait_for"], with_accounts=False)
                if not found:
                    return False, "not registered yet", None
                if p["healthy"] and not found[0]["healthy"]:
                    sick = [k for k, v in found[0]["components"].items() if (v.get("health") or "").lower() not in ("normal", "none")]
                    return False, "registered; unhealthy: %s" % ", ".join(sick), None
                return True, "ready", None

            wait_until(
                poll,
                "replication appliance %r to register with vault %r%s" % (p["wait_for"], p["vault"], " and be healthy" if p["healthy"] else ""),
                p["wait_timeout"],
                interval=p["poll_interval"],
            )
        module.exit(False, appliances=appliances(sr, p["name"] or p["wait_for"]), connection=module.connection().describe())

    run(module, body, "Reading replication appliances of vault %s" % p["vault"])


if __name__ == "__main__":
    main()
