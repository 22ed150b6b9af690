# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The vault every Site Recovery module works in, and how it waits for jobs."""

    DOCUMENTATION = r"""
options:
  resource_group:
    description:
      - Resource group of the Recovery Services vault, in the target (public) cloud.
    type: str
    required: true
  vault:
    description:
      - Name of the Recovery Services vault.
    type: str
    required: true
"""

    MOVE_RECORD = r"""
options:
  source_vm_id:
    description:
      - ARM id of the machine's source VM (the inventory's C(azmove_id)). When a failover is committed, the move is
        recorded in Azure itself (see M(azmove.site_recovery.failover)) - tag C(azmove-moved-to) on the source VM
        naming the target VM, C(azmove-moved-from) on the target VM naming the source - and a machine whose source VM
        carries that tag is left alone (reported as moved), even after the vault and its job history are gone.
    type: str
  source_connection:
    description: The connection (of O(connections)) that reaches O(source_vm_id).
    type: str
    default: source
"""

    WAIT = r"""
options:
  wait:
    description:
      - Wait for the Site Recovery job the task starts (or finds running) to end.
      - With V(false) the task returns as soon as Azure accepted the request, with the job's id; a later
        run of the same task follows that job instead of starting another.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait at most. When they run out the task fails, naming the job and its last state;
        the job keeps running in Azure and running the task again follows it.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two reads of a job when Azure does not say how long to wait (C(Retry-After)).
      - Azure's own advice always wins; this only applies to jobs found running that were started elsewhere.
    type: float
    default: 30
"""

    BATCH = r"""
options:
  concurrency:
    description:
      - With O(machines), how many machines are worked on at once (threads in the one module process; each
        follows its own Site Recovery job, polling it as Azure's C(Retry-After) asks).
    type: int
    default: 20
  fail_on_error:
    description:
      - With O(machines), fail the task when any machine failed (after every machine has run).
      - With V(false) the task succeeds and RV(machines) and RV(failed_machines) say which machines failed and why;
        the collection's roles use this to fail exactly those hosts.
    type: bool
    default: true
notes:
  - With O(machines) the task does for each machine exactly what it does for one, concurrently, in one module
    process, and the reads all machines make the same way (the vault's fabrics, its replicated items, the
    policy, the target network) once. Every machine's input is checked before any machine starts, so a bad entry
    fails the task with nothing sent; a machine that fails later fails alone, and the others go on.
"""
