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
  - The move report - every machine the report has seen keeps a record of its own in O(dest)C(/state/<machine>.json),
    written when something new is observed and never recomputed later - its timeline (replication start, initial
    replication done, test drill, source shutdown, failover, commit, migration complete); its initial replication
    (duration, data size and throughput once done, an estimate of the time left from the progress between report
    runs while it runs); after failover, its target VM (id, size, private IPs, zone, power state, read from the target
    cloud's compute API until the migration is complete, then kept), its downtime (source shutdown to target VM
    running, from the failover job's tasks) and its data-loss window (the recovery point the failover used against the
    source shutdown); and from O(decommissions) and O(backups), what was deleted and kept of its source and the vault
    that now protects its backup. A machine whose replication was removed, or whose source VM was deleted (it leaves
    the inventory), stays in the report from its record; a finished machine reads C(moved).
  - Writes C(move.html) and C(move.json), the whole move from every record (machines per phase per wave, blockers with
    the fix, each machine's end and timeline), and a dated copy of the JSON in C(history/) each time it says something
    new; the pages link the earlier runs. The JSON's schema is C(docs/move-report.schema.json) of the collection.
  - With O(state_dir) and a C(appliances.json) in it, each replication appliance's load against its capacity.
  - Returns a few plain lines for the play's output (RV(summary)) - machines, phase, next step, what blocks and the fix.
  - The page works offline - inline styles and an inline SVG picture, no script, no link to anything outside it.
  - Reads the vault twice in all, whatever the number of machines - one paged list of replicated items and one of jobs.
  - The files are replaced atomically (a temporary file beside each, then C(atomic_move)), only when what they say
    changed - the time the report was made, and the RPO within the same minute, do not count - so a re-run with
    nothing new reports no change.
  - Every file it writes is mode C(0644) unless O(mode) says otherwise; O(owner), O(group), O(mode) and the SELinux
    options are applied to the report's pages and JSON on every run (a difference is a change), for example to let a
    web server's group read the directory.
author:
  - azmove maintainers (@azmove)
requirements:
  - azure-mgmt-core >= 1.4
extends_documentation_fragment:
  - azmove.site_recovery.azure
  - azmove.site_recovery.site_recovery
  - azmove.site_recovery.attributes
  - azmove.site_recovery.attributes.CHECK_MODE_FULL
  - azmove.site_recovery.attributes.IDEMPOTENT
  - ansible.builtin.files
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
    description:
      - File name of the report, without extension; the module writes C(<name>.html) and C(<name>.json) with every
        machine of O(machines).
      - With O(waves), also one page per wave, C(wave-<wave>.html), with the machines recorded in that wave that
        O(machines) leaves out (decommissioned ones included).
    type: str
    default: wave-report
  waves:
    description:
      - The wave of each machine (machine name - wave name, the inventory's C(azmove_wave)); recorded with the machine.
    type: dict
  decommissions:
    description:
      - The result of M(azmove.site_recovery.source_decommission) per machine (machine name - result), recorded as what
        was deleted and kept of its source. A result that deleted and kept nothing leaves an earlier record alone.
    type: dict
  backups:
    description:
      - The result of M(azmove.site_recovery.backup_relocation) per machine (machine name - result), recorded as the
        vault, policy and protection state of its backup in the target region.
    type: dict
  backup_vault:
    description: The vault that protects the machines' backup after O(backups).
    type: str
  backup_settings_not_carried:
    description:
      - The RV(azmove.site_recovery.vault_settings#module:not_carried) list of M(azmove.site_recovery.vault_settings),
        recorded with each machine of O(backups).
    type: list
    elements: dict
  observe_target:
    description:
      - Read each failed-over machine's target VM (one compute and one network read per NIC) until its migration is
        complete and its VM is recorded. V(false) shows only what was recorded before.
    type: bool
    default: true
  history:
    description: Keep a dated copy of C(move.json) in O(dest)C(/history/) each time it changes.
    type: bool
    default: true
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
      sample: {vault: rsv-move-eastus, resource_group: rg-move-target, machine_count: 3, counts: {protected: 2, initial_replication: 1}, ready: 2,
          blocked: 1, blockers: [{machine: vm-app-lnx01, phase: initial_replication, next_step: test failover,
          reasons: [initial replication at 40 %]}]}
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
          sample: [{code: "78144", message: No app-consistent recovery point in the last 720 minutes., recommended_action: "...", level: Warning}]
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
          sample: {when: "2026-05-04T09:40:12Z", result: Succeeded, job: 3f1c2b7e-0a4d-4d0e-9b7a-2f6c1d8e5a90, ended: true, errors: []}
        target_vm:
          description: Name of the VM in the target region.
          type: str
        move:
          description:
            - The machine in the move report (see C(docs/move-report.md)) - wave, status (V(moved) once its migration is
              complete), timeline, initial_replication, target_vm (as observed), cutover (downtime_seconds,
              data_loss_seconds and their times), decommission and backup.
          type: dict
          sample: {wave: "1", status: moved, target_vm: {id: /subscriptions/.../virtualMachines/vm-app-win01, size: Standard_D4s_v5,
              private_ips: [10.10.1.4]}, cutover: {downtime_seconds: 412, data_loss_seconds: 38}}
        target:
          description: Target VM name, size, resource group, network and test network.
          type: dict
          sample: {vm_name: vm-app-win01, vm_size: Standard_D4s_v5, resource_group_id: /subscriptions/.../resourceGroups/rg-landing-eastus,
              network_id: /subscriptions/.../virtualNetworks/vnet-landing-eastus}
        timings:
          description:
            - Per step that has happened - step, label, state, job, start, end, duration_seconds, running, attempts
              (the last attempt's times).
          type: list
          elements: dict
          sample: [{step: enable, label: replication enabled, state: Succeeded, job: 1e6a2f0c-..., start: "2026-05-04T08:00:00Z",
              end: "2026-05-04T08:12:30Z", duration_seconds: 750, running: false, attempts: 1}]
        mapping:
          description:
            - With O(state_dir) - the machine's plan (computed_at, target, overridden, explained (field - reason) and
              not_carried (kind, what, action)), or null when it has none.
          type: dict
          sample: {computed_at: "2026-05-03T12:00:00Z", target: {size: Standard_D4s_v5}, overridden: [], explained: {size: not offered in eastus},
              not_carried: []}
        comparison:
          description:
            - With O(state_dir) - the comparison after failover (compared_at, target_vm_id, fields, differences,
              accepted), or null before failover.
          type: dict
          sample: {compared_at: "2026-05-04T10:20:00Z", target_vm_id: /subscriptions/.../virtualMachines/vm-app-win01, fields: [], differences: 0,
              accepted: false}
        source_target:
          description:
            - With O(state_dir) - basis (V(planned) or V(compared)), fields (field, label, source, target, status
              V(same), V(explained) or V(different), why) and counts per status; null without a plan.
          type: dict
          sample: {basis: compared, fields: [{field: size, label: Size, source: Standard_D4s_v3, target: Standard_D4s_v5, status: explained,
              why: not offered in eastus}], counts: {same: 12, explained: 1, different: 0}}
        state_error:
          description: With O(state_dir) - why the machine's state files could not be read, or null.
          type: str
    dependencies:
      description: The dependency analysis given in O(dependencies), or null.
      type: dict
      sample: {scope: [vm-app-win01], resources: [], edges: [], outside_edges: [], shared_outside_scope: []}
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
pages:
  description: Every page written (or unchanged) - name, wave, html_path, json_path, changed.
  returned: always
  type: list
  elements: dict
  sample: [{name: wave-1, wave: "1", html_path: /srv/move/reports/wave-1.html, json_path: /srv/move/reports/wave-1.json, changed: true}]
move:
  description: The page of the whole move - html_path, json_path, summary (machine_count, wave_count, moved, blocked,
    counts per phase) and history (the newest dated copies, newest first).
  returned: always
  type: dict
  sample:
    html_path: /srv/move/reports/move.html
    json_path: /srv/move/reports/move.json
    summary: {machine_count: 4, wave_count: 2, moved: 4, blocked: 0, counts: {migrated: 4}}
    history: [2026-05-04T10-00-00Z.json]
summary:
  description: A few plain lines for the play's output - machines, phase, next step, what blocks with the fix.
  returned: always
  type: list
  elements: str
  sample:
    - "2 machines: 1 moved, 0 ready for their next step, 1 blocked"
    - "machine       phase                           next step"
    - "vm-app-win01  moved                           -"
    - "vm-app-lnx01  initial replication             test failover"
    - "blocked (what to do):"
    - "  vm-app-lnx01: initial replication at 40 % -> wait for the initial copy (about 2 h left)"
    - "report: /srv/move/reports/move.html"
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

import json
import os

from ansible_collections.azmove.site_recovery.plugins.module_utils._asr import SiteRecovery, vault_spec
from ansible_collections.azmove.site_recovery.plugins.module_utils._module import AzureModule, run
from ansible_collections.azmove.site_recovery.plugins.module_utils import _report_move as mv
from ansible_collections.azmove.site_recovery.plugins.module_utils._files import apply_file_args, write_file
from ansible_collections.azmove.site_recovery.plugins.module_utils._report import (
    build, comparable, render_html, to_json, utc_now, wave_summary)
from ansible_collections.azmove.site_recovery.plugins.module_utils._replication import list_items

FILE_MODE = 0o644


def read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def read_json(path):
    try:
        doc = json.loads(read_text(path) or "null")
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def unchanged(report, html_path, json_path, render=render_html, same=comparable):
    """The files on disk say what ``report`` says (its time aside): returns their report, or None."""
    old = read_json(json_path)
    if old is None or same(old) != same(report):
        return None
    # Same data: the page must be the one this version renders from it (with the old time and RPO).
    if read_text(html_path) != render(old):
        return None
    return old


def _by_name(values):
    return dict((str(k).lower(), v) for k, v in (values or {}).items())


def observe(module, report, records, now):
    """Each row's record after this read (the target VM read where the machine has one to show); returns
    {lower name: record} of the records that say something new."""
    p = module.params
    waves, decommissions, backups = _by_name(p["waves"]), _by_name(p["decommissions"]), _by_name(p["backups"])
    changed = {}
    for i, row in enumerate(report["machines"]):
        key = row["name"].lower()
        old = records.get(key)
        if row["phase"] == "missing" and old and old.get("phase") in mv.AFTER_FAILOVER:
            # The vault forgot it (its replication removed, the vault cleaned up): its record says where it went.
            keep = dict((k, row[k]) for k in ("mapping", "comparison", "source_target", "state_error") if k in row)
            row = report["machines"][i] = dict(mv.recorded_row(old), **keep)
        target = None
        if p["observe_target"] and mv.needs_target(row, old):
            vm_id = mv.target_vm_id(row, old)
            target = mv.read_vm(module, vm_id) if vm_id else None
        rec = mv.merge_record(old, row, now, wave=waves.get(key), vault=p["vault"], target_vm=target,
                              decommission=mv.decommission_of(decommissions.get(key), now),
                              backup=mv.backup_of(backups.get(key), p["backup_vault"], p["backup_settings_not_carried"]))
        if old is None or mv.stable(old) != mv.stable(rec):
            changed[key] = rec
        records[key] = rec
        row["move"] = mv.entry_of(rec)
    return changed


def pages_of(module, report, records):
    """{page name: rows}: the page ``name`` with every machine asked for, and one page per wave of O(waves) (with the
    machines the report recorded in that wave that this run did not ask for, decommissioned ones included)."""
    p = module.params
    pages = {p["name"]: report["machines"]}
    asked = set(r["name"].lower() for r in report["machines"])
    waves = {}
    for row in report["machines"]:
        wave = (records.get(row["name"].lower()) or {}).get("wave")
        if wave and p["waves"]:
            waves.setdefault(wave, []).append(row)
    for key, rec in sorted(records.items()):
        if rec.get("wave") in waves and key not in asked:
            row = mv.recorded_row(rec)
            row["move"] = mv.entry_of(rec)
            waves[rec["wave"]].append(row)
    for wave, rows in waves.items():
        pages.setdefault(mv.page_name(wave), [dict(r) for r in rows])
    return pages


def page_report(module, report, name, rows, history, appliances, pages):
    p = module.params
    wave = (rows[0].get("move") or {}).get("wave") if rows and name != p["name"] else None
    title = p["title"] or ("Wave %s status: %s" % (wave, p["vault"]) if wave else "Wave status: %s" % p["vault"])
    if p["title"] and wave:
        title = "%s - wave %s" % (p["title"], wave)
    info = {"vault": p["vault"], "resource_group": p["resource_group"]}
    if wave:
        info["name"] = wave
    out = dict(report, title=title, wave=wave_summary(rows, info), machines=rows, appliances=appliances,
               history=history)
    for blocker in out["wave"]["blockers"]:
        row = next(r for r in rows if r["name"] == blocker["machine"])
        blocker["fixes"] = [mv.fix_for(reason, row, (row.get("move") or {}).get("initial_replication"))
                            for reason in blocker["reasons"]]
    return out


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
            waves=dict(type="dict"),
            decommissions=dict(type="dict"),
            backups=dict(type="dict"),
            backup_vault=dict(type="str"),
            backup_settings_not_carried=dict(type="list", elements="dict"),
            observe_target=dict(type="bool", default=True),
            history=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
        add_file_common_args=True,
    )
    p = module.params
    if not p["name"] or "/" in p["name"] or p["name"] in (".", "..", "move"):
        module.fail("name must be a plain file name without a directory, other than move; it is %r." % p["name"])
    dest = p["dest"]

    def body():
        sr = SiteRecovery(module, p["resource_group"], p["vault"])
        items = list_items(sr)
        jobs = sr.list("replication_jobs")
        now = utc_now()
        report = build(items, jobs, {"vault": p["vault"], "resource_group": p["resource_group"]},
                       dependencies=p["dependencies"], title=p["title"] or "Wave status: %s" % p["vault"],
                       names=p["machines"], aliases=p["computer_names"], state_dir=p["state_dir"], generated_at=now)
        records = mv.read_records(dest)
        new_records = observe(module, report, records, now)
        pages = pages_of(module, report, records)
        appliances = mv.read_appliances(p["state_dir"])
        history_dir = os.path.join(dest, "history")
        history = sorted((f for f in (os.listdir(history_dir) if os.path.isdir(history_dir) else []) if f.endswith(".json")),
                         reverse=True)

        # The whole move, from every record; a dated copy of its JSON each time it says something new.
        move_json, move_html = os.path.join(dest, "move.json"), os.path.join(dest, "move.html")
        page_files = set(n + ".html" for n in pages) | set(f for f in (os.listdir(dest) if os.path.isdir(dest) else [])
                                                           if f.endswith(".html"))
        move = mv.build_move(records.values(), now, appliances, history, page_files)
        old_move = read_json(move_json)
        move_new = old_move is None or mv.move_comparable(old_move) != mv.move_comparable(move)
        new_history = None
        if move_new and p["history"]:
            new_history = mv.history_name(now, history)
            history = [new_history] + history
            move["history"] = history
        elif not move_new:
            move = old_move
            history = move.get("history") or history
        move_html_new = move_new or read_text(move_html) != mv.render_move_html(move)

        written = []
        first = None
        for name in sorted(pages):
            page = page_report(module, report, name, pages[name], history, appliances, pages)
            html_path, json_path = os.path.join(dest, name + ".html"), os.path.join(dest, name + ".json")
            old = unchanged(page, html_path, json_path)
            entry = {"name": name, "wave": page["wave"].get("name"), "html_path": html_path, "json_path": json_path,
                     "changed": old is None, "report": old or page}
            written.append(entry)
            first = first or entry
        changed = bool(new_records) or move_new or move_html_new or any(e["changed"] for e in written)
        ansible = module.module
        mode = FILE_MODE

        def write(path, text):
            directory = os.path.dirname(path)
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            write_file(ansible, path, text, mode)

        if changed and not module.check_mode:
            for rec in new_records.values():
                write(mv.record_path(dest, rec["machine"]), json.dumps(rec, indent=2, sort_keys=True) + "\n")
            if new_history:
                write(os.path.join(history_dir, new_history), to_json(move))
            if move_new or move_html_new:
                write(move_json, to_json(move))
                write(move_html, mv.render_move_html(move))
            for entry in written:
                if entry["changed"]:
                    write(entry["json_path"], to_json(entry["report"]))
                    write(entry["html_path"], render_html(entry["report"]))
        # The task's owner, group and mode on the pages and JSON every run (the records and history copies get them
        # when written); in check mode, only whether they would change.
        pages_written = [move_json, move_html] + [e[k] for e in written for k in ("json_path", "html_path")]
        written_now = [] if module.check_mode or not changed else (
            [mv.record_path(dest, r["machine"]) for r in new_records.values()]
            + ([os.path.join(history_dir, new_history)] if new_history else []))
        changed = apply_file_args(ansible, pages_written + written_now, mode) or changed
        rows = [r for e in written for r in e["report"]["machines"]]
        summary = mv.summary_lines(rows, move["machines"], move_html)
        module.exit(changed, report=first["report"] if first else report, html_path=first["html_path"] if first else None,
                    json_path=first["json_path"] if first else None,
                    pages=[dict((k, v) for k, v in e.items() if k != "report") for e in written],
                    move={"html_path": move_html, "json_path": move_json, "summary": move["summary"],
                          "history": history[:10]},
                    summary=summary, connection=module.connection().describe())

    run(module, body, "Writing the status report of vault %s" % p["vault"])


if __name__ == "__main__":
    main()
