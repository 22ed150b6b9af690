# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Attributes, one fragment each, so a module declares exactly what it supports."""

    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/azmove.site_recovery.azure) in C(module_defaults) to set connection options once.
    support: full
    membership:
      - azmove.site_recovery.azure
"""

    CHECK_MODE_FULL = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
"""

    DIFF_MODE_FULL = r"""
options: {}
attributes:
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
    details: This module does not change anything.
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: N/A
  idempotent:
    description: Reads only.
    support: full
"""

    IDEMPOTENT = r"""
options: {}
attributes:
  idempotent:
    description: A second run with the same options reports no change.
    support: full
"""
