#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: replication_job_info
short_description: Site Recovery jobs of a vault, with their tasks and errors
version_added: 0.1.0
description:
  - Lists the Site Recovery jobs of a vault, or gets one by name, each with its tasks in order and its errors
    (Azure's error code, message, possible causes and recommended action, and the provider error, for example a
    Mobility service push-install failure).
  - With O(wait), follows one job until it ends, as often as Azure's C(Retry-After) allows, and fails with the
    job's error when it fails.
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
    description: One job, by name (the GUID at the end of the job id that other modules return).
    type: str
  machine:
    description: Only the jobs of this machine (its friendly name).
    type: str
  state:
    description: Only jobs in this state, for example V(InProgress), V(Failed) or V(Succeeded).
    type: str
  wait:
    description: Wait until the job O(name) has ended. Needs O(name).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait at most with O(wait).
    type: int
    default: 3600
  poll_interval:
    description: Seconds between reads when Azure does not give a C(Retry-After).
    type: float
    default: 30
"""

EXAMPLES = r"""
- name: Follow the enable job a previous run started without waiting
  azmove.site_recovery.replication_job_info:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    name: "{{ enabled.job.name }}"
    wait: true

- name: Failed jobs of a machine, with Azure's recommended action
  azmove.site_recovery.replication_job_info:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    machine: vm-app-win01
    state: Failed
  register: failed
"""

RETURN = r"""
jobs:
  description: The jobs found, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: "Job name."
      type: str
    id:
      description: "Job ARM id."
      type: str
    scenario:
      description: "What the job does (for example EnableDr, TestFailover)."
      type: str
    friendly_name:
      description: "Azure's display name of the job."
      type: str
    state:
      description: "Job state (InProgress, Succeeded, Failed, ...)."
      type: str
    target_object_name:
      description: "The machine or object the job works on."
      type: str
    start_time:
      description: "Start (UTC)."
      type: str
    end_time:
      description: "End (UTC)."
      type: str
    tasks:
      description: "Tasks in order, with name, state and times."
      type: list
      elements: dict
      sample: [{name: PushInstallMobilityService, friendly_name: Install the Mobility service, state: Failed, start_time: "2026-05-04T09:30:02Z",
          end_time: "2026-05-04T09:41:40Z"}]
    errors:
      description: Errors with code, message, possible causes, recommended action and provider error.
      type: list
      elements: dict
      sample: [{code: "95107", message: Protection couldn't be enabled for the virtual machine., possible_causes: "...",
          recommended_action: Use an administrator account., level: Error}]
  sample:
    - name: 1e6a2f0c-2a7b-4a8e-9a47-0c1d9b1a9f3e
      scenario: EnableDr
      state: Failed
      target_object_name: vm-app-win01
      tasks: [{name: PushInstallMobilityService, state: Failed}]
      errors:
        - code: "95107"
          message: Protection couldn't be enabled for the virtual machine.
          recommended_action: Use an administrator account; for a local account set LocalAccountTokenFilterPolicy to 1.
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
    job_summary,
    Operation,
    SiteRecovery,
    vault_spec,
)
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run


def main():
    module = AzureModule(
        vault_spec(
            name=dict(type="str"),
            machine=dict(type="str"),
            state=dict(type="str"),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=3600),
            poll_interval=dict(type="float", default=30),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["wait"] and not p["name"]:
        module.fail("wait needs the name of the job to follow.")

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        if p["name"]:
            if p["wait"]:
                sr.follow(Operation(p["name"]), "job %s" % p["name"], p["wait_timeout"], p["poll_interval"])
            job = sr.job(p["name"])
            jobs = [job_summary(job)] if job else []
        else:
            jobs = [job_summary(j) for j in sr.list("replication_jobs")]
        if p["machine"]:
            jobs = [j for j in jobs if (j["target_object_name"] or "").lower() == p["machine"].lower()]
        if p["state"]:
            jobs = [j for j in jobs if (j["state"] or "").lower() == p["state"].lower()]
        jobs.sort(key=lambda j: j["start_time"] or "", reverse=True)
        module.exit(False, jobs=jobs, connection=module.connection().describe())

    run(module, body, "Reading Site Recovery jobs of vault %s" % p["vault"])


if __name__ == "__main__":
    main()
