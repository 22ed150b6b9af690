# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The collection's version, sent in the User-Agent; a unit test keeps it equal to galaxy.yml."""

COLLECTION_VERSION = "0.1.0"
