# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The internal option through which a long-waiting module shows its progress while it runs."""

    DOCUMENTATION = r"""
options:
  progress_file:
    description:
      - Internal; leave it unset. When the task runs on the controller, the collection's action plugin of the same name
        sets it to a file it creates (mode 0600) and removes afterwards; the module appends its progress there (one
        JSON object per line - each machine's phase, state and percentage, never an option's value) and the task
        prints it while it runs, only what changed since the last line plus a count of the machines per result.
      - Elsewhere (a remote host, C(become), C(async)) the module runs silently and returns the same result.
    type: path
"""
