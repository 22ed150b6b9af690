#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wave_report
short_description: Write the status report of a wave, as an HTML page and as JSON
version_added: 0.1.0
description:
  - Writes the status of a wave of machines to O(dest) as C(<name>.html), a page a person opens in a browser, and
    C(<name>.json), the same data for tools.
  - Per machine - its phase, replication health and health errors, initial replication progress, RPO, last recovery
    point, last test failover and its result, the target VM, and the start, end and duration of each step (enable
    replication, initial replication, test failover, test failover cleanup, failover, commit, complete migration)
    from the vault's jobs.
  - Per wave - how many machines are in each phase, and what blocks each machine's next step, in words, for example
    C(initial replication at 40 %), C(test failover pending cleanup) or C(replication unhealthy) with Azure's error.
  - With O(dependencies), the page draws what the machines depend on (the dependency analysis of
    M(azmove.site_recovery.source_vm_info)) and lists the resources shared with machines outside the wave.
  - With O(state_dir), each machine's source and target side by side - size, zone, tags, every NIC (subnet, private
    IP static or dynamic, NSG, public IP, primary), disks and licence types - from its plan (C(mapping.json) of
    M(azmove.site_recovery.machine_mapping)) before failover and as compared after it (C(comparison.json) of
    M(azmove.site_recovery.moved_vm)); each field same, explained (with the reason) or different (highlighted, with
    the reason); and what the move will not carry, with what to do about it.
  - The page works offline - inline styles and an inline SVG picture, no script, no link to anything outside it.
  - Reads the vault twice in all, whatever the number of machines - one paged list of replicated items and one of jobs.
  - The files are replaced atomically, only when what they say changed - the time the report was made, and the RPO
    within the same minute, do not count - so a re-run with nothing new reports no change.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-recoveryservicessiterecovery >= 2.0
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
attributes:
  check_mode:
    details: Reads the vault and returns the report, and whether the files would change; writes nothing.
  diff_mode:
    description: Returns no diff; the report is the result.
    support: none
  idempotent:
    details: The time the report was made and an RPO change within the same minute are not a change.
options:
  machines:
    description:
      - The machines of the wave, by the names they were enabled under (their source VMs' names) or Site Recovery's
        friendly names. Default every replicated machine of the vault.
    type: list
    elements: str
  computer_names:
    description:
      - The guests' host names of O(machines), where they differ from the machines' names (the inventory's
        C(azmove_computer_name)). Site Recovery's jobs name a machine by what the appliance discovered; once its
        replication is removed (migration complete), only they tell its history.
    type: dict
  dependencies:
    description:
      - The RV(azmove.site_recovery.source_vm_info#module:dependencies) result of
        M(azmove.site_recovery.source_vm_info) with O(azmove.site_recovery.source_vm_info#module:dependencies=true),
        drawn in the page.
    type: dict
  dest:
    description: Directory to write the report to; created (mode 0755) when missing.
    type: path
    required: true
  name:
    description: File name of the report, without extension; the module writes C(<name>.html) and C(<name>.json).
    type: str
    default: wave-report
  title:
    description: Title of the page. Default C(Wave status) followed by the vault's name.
    type: str
  state_dir:
    description:
      - The move's per-machine state directory (the playbooks' C(move_state_dir)), whose C(<machine>/mapping.json) and
        C(<machine>/comparison.json) the report shows. A machine without them is reported as without O(state_dir);
        a file that cannot be read is said in that machine's section, and the report is still written.
    type: path
notes:
  - Initial replication has no job of its own; its start is the end of the enable job (or the time the provider's
    disks give) and Azure does not say when it ended, only that progress reached 100 %.
seealso:
  - module: azmove.site_recovery.replicated_machine_info
  - module: azmove.site_recovery.replication_job_info
  - module: azmove.site_recovery.source_vm_info
"""

EXAMPLES = r"""
- name: What the wave depends on
  azmove.site_recovery.source_vm_info:
    use_connection: source
    names: [vm-app-win01, vm-app-win02, vm-app-lnx01]
    dependencies: true
  register: wave1_sources

- name: Status report of wave 1
  azmove.site_recovery.wave_report:
    use_connection: target
    resource_group: rg-move-target
    vault: rsv-move-eastus
    machines: [vm-app-win01, vm-app-win02, vm-app-lnx01]
    dependencies: "{{ wave1_sources.dependencies }}"
    dest: /srv/move/reports
    state_dir: /srv/move/reports/machines
    name: wave-1
    title: Wave 1 - application servers
  register: report

- name: Stop when something blocks the cutover
  ansible.builtin.assert:
    that: report.report.wave.blockers | length == 0
    fail_msg: "{{ report.report.wave.blockers | map(attribute='reasons') | flatten | join('; ') }} - see {{ report.html_path }}"
"""

RETURN = r"""
report:
  description: The data of the report, as written to RV(json_path).
  returned: always
  type: dict
  contains:
    title:
      description: Title of the page.
      type: str
    generated_at:
      description: When the report was made (UTC); that of the files when they did not change.
      type: str
    wave:
      description:
        - The wave - vault, resource_group, machine_count, counts (machines per phase), ready, blocked, and blockers
          (per blocked machine - machine, phase, next_step and reasons, in words).
      type: dict
    machines:
      description: One entry per machine, sorted by name.
      type: list
      elements: dict
      contains:
        name:
          description: The machine's name.
          type: str
        phase:
          description:
            - Where the machine stands, as in RV(azmove.site_recovery.replicated_machine_info#module:machines[].phase);
              V(missing) when the vault has no replicated item for it, V(migrated) when its replication was removed
              after the migration was completed.
          type: str
        next_step:
          description: The step that comes next for the machine, or null when nothing is left.
          type: str
        blockers:
          description: What stops the next step, in words; empty when nothing does.
          type: list
          elements: str
        health:
          description: Replication health (Normal, Warning or Critical).
          type: str
        health_errors:
          description: Health errors (code, message, recommended_action, level).
          type: list
          elements: dict
        progress_percent:
          description: Initial replication progress.
          type: int
        rpo_seconds:
          description: Current RPO in seconds.
          type: int
        last_recovery_point:
          description: Time of the last recovery point received.
          type: str
        last_test_failover:
          description: The last test failover - when, result (the job's state), job (its name), ended, errors; or null.
          type: dict
        target_vm:
          description: Name of the VM in the target region.
          type: str
        target:
          description: Target VM name, size, resource group, network and test network.
          type: dict
        timings:
          description:
            - Per step that has happened - step, label, state, job, start, end, duration_seconds, running, attempts
              (the last attempt's times).
          type: list
          elements: dict
        mapping:
          description:
            - With O(state_dir) - the machine's plan (computed_at, target, overridden, explained (field - reason) and
              not_carried (kind, what, action)), or null when it has none.
          type: dict
        comparison:
          description:
            - With O(state_dir) - the comparison after failover (compared_at, target_vm_id, fields, differences,
              accepted), or null before failover.
          type: dict
        source_target:
          description:
            - With O(state_dir) - basis (V(planned) or V(compared)), fields (field, label, source, target, status
              V(same), V(explained) or V(different), why) and counts per status; null without a plan.
          type: dict
        state_error:
          description: With O(state_dir) - why the machine's state files could not be read, or null.
          type: str
    dependencies:
      description: The dependency analysis given in O(dependencies), or null.
      type: dict
  sample:
    title: "Wave status: rsv-move-eastus"
    generated_at: "2026-05-04T10:00:00Z"
    wave:
      vault: rsv-move-eastus
      counts: {protected: 2, initial_replication: 1}
      blockers:
        - machine: vm-app-lnx01
          phase: initial_replication
          next_step: test failover
          reasons: [initial replication at 40 %]
    machines:
      - name: vm-app-win01
        phase: test_failover_pending_cleanup
        progress_percent: 100
        last_test_failover: {when: "2026-05-04T09:40:12Z", result: Succeeded, job: 3f1c2b7e-0a4d-4d0e-9b7a-2f6c1d8e5a90}
        blockers: [test failover pending cleanup]
html_path:
  description: Path of the HTML page.
  returned: always
  type: str
  sample: /srv/move/reports/wave-1.html
json_path:
  description: Path of the JSON file.
  returned: always
  type: str
  sample: /srv/move/reports/wave-1.json
connection:
  description: The connection the task used (never its secrets).
  returned: always
  type: dict
"""

import json
import os
import tempfile

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import SiteRecovery, vault_spec
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils._report import build, comparable, render_html, to_json
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import list_items

FILE_MODE = 0o644


def read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def write_atomically(path, text, mode=FILE_MODE):
    """Readers see the old file or the whole new one, never a part."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = None
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def unchanged(report, html_path, json_path):
    """The files on disk say what ``report`` says (its time aside): returns their report, or None."""
    old_json = read_text(json_path)
    try:
        old = json.loads(old_json) if old_json else None
    except ValueError:
        old = None
    if not isinstance(old, dict) or comparable(old) != comparable(report):
        return None
    # Same data: the page must be the one this version renders from it (with the old time and RPO).
    if read_text(html_path) != render_html(old):
        return None
    return old


def main():
    module = AzureModule(
        vault_spec(
            machines=dict(type="list", elements="str"),
            computer_names=dict(type="dict"),
            dependencies=dict(type="dict"),
            dest=dict(type="path", required=True),
            name=dict(type="str", default="wave-report"),
            title=dict(type="str"),
            state_dir=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p["name"] or "/" in p["name"] or p["name"] in (".", ".."):
        module.fail("name must be a plain file name without a directory; it is %r." % p["name"])
    html_path = os.path.join(p["dest"], p["name"] + ".html")
    json_path = os.path.join(p["dest"], p["name"] + ".json")

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        items = list_items(sr)
        jobs = sr.list("replication_jobs")
        report = build(items, jobs, {"vault": p["vault"], "resource_group": p["resource_group"]},
                       dependencies=p["dependencies"], title=p["title"] or "Wave status: %s" % p["vault"],
                       names=p["machines"], aliases=p["computer_names"], state_dir=p["state_dir"])
        old = unchanged(report, html_path, json_path)
        if old is not None:
            module.exit(False, report=old, html_path=html_path, json_path=json_path, connection=module.connection().describe())
        if not module.check_mode:
            if not os.path.isdir(p["dest"]):
                os.makedirs(p["dest"], 0o755)
            write_atomically(json_path, to_json(report))
            write_atomically(html_path, render_html(report))
        module.exit(True, report=report, html_path=html_path, json_path=json_path, connection=module.connection().describe())

    run(module, body, "Writing the status report of vault %s" % p["vault"])


if __name__ == "__main__":
    main()
