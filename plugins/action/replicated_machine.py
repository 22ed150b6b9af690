# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runs the replicated_machine module once and shows its progress while it waits (see plugin_utils/progress.py)."""

from __future__ import annotations

from ansible_collections.azmove.site_recovery.plugins.plugin_utils.progress import ProgressAction


class ActionModule(ProgressAction):
    MODULE = "azmove.site_recovery.replicated_machine"
