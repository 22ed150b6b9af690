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
