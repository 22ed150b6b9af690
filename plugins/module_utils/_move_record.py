# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""The move, recorded in Azure itself: once a machine's failover is committed, its source VM carries a tag naming
the VM it became, and that VM a tag naming its source. The vault's job history says the same only while the vault
lives; these tags outlive it (a cleanup that deletes the vault, a second vault, a forgotten source), so a machine
that has moved is never replicated, tested or failed over again. Written with the tags API
(``{resource}/providers/Microsoft.Resources/tags/default``, a Merge), which leaves every other tag alone."""

from __future__ import annotations

from ._errors import get_or_none

MOVED_TO = "azmove-moved-to"
MOVED_FROM = "azmove-moved-from"


def _tags(module, connection, resource_id):
    client = module.client("resource", connection)
    found = get_or_none(client.tags.get_at_scope, resource_id)
    if found is None:
        return None
    return dict((getattr(found, "properties", None) and found.properties.tags) or {})


def moved_to(module, connection, source_vm_id):
    """The id of the VM the source became, as its tag says, or None (no tag, or no such VM)."""
    if not source_vm_id:
        return None
    tags = _tags(module, connection, source_vm_id) or {}
    return tags.get(MOVED_TO) or None


def record(module, source_connection, target_connection, source_vm_id, target_vm_id):
    """Tag both VMs (only where a tag is missing or differs); returns what was written, [] when nothing was."""
    from azure.mgmt.resource.resources.models import Tags, TagsPatchResource  # pylint: disable=import-outside-toplevel

    written = []
    for connection, vm_id, key, value in ((source_connection, source_vm_id, MOVED_TO, target_vm_id),
                                          (target_connection, target_vm_id, MOVED_FROM, source_vm_id)):
        tags = _tags(module, connection, vm_id)
        if tags is None or (tags.get(key) or "").lower() == value.lower():
            continue  # gone already (a decommissioned source), or recorded
        written.append({"vm_id": vm_id, "tag": key, "value": value})
        if not module.check_mode:
            client = module.client("resource", connection)
            client.tags.begin_update_at_scope(vm_id, TagsPatchResource(operation="Merge", properties=Tags(tags={key: value}))).result()
    return written
