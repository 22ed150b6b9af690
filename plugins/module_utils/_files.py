# -*- coding: utf-8 -*-
# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This is a private module_utils file of azmove.site_recovery: it may change without notice.

"""Files a module writes: through a temporary file beside the target and AnsibleModule.atomic_move, so a reader
sees the old file or the whole new one; never, even for a moment, with wider permissions than the module's mode;
then the file common arguments (owner, group, mode, SELinux context) the task gives."""

from __future__ import annotations

import os
import tempfile


def write_file(ansible_module, path, data, mode):
    """Write ``data`` (text or bytes) to ``path`` with permissions ``mode``.

    The temporary file is created 0600 by mkstemp and given ``mode`` before any byte is written; atomic_move, which
    gives a file it creates the umask's default permissions, runs under umask 077 so it cannot widen them."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path)) or "."
    handle, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as out:
            handle = None
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        old_umask = os.umask(0o077)
        try:
            ansible_module.atomic_move(tmp, path)
        finally:
            os.umask(old_umask)
        tmp = None
        os.chmod(path, mode)  # atomic_move keeps an existing file's permissions; the module's are wanted
    finally:
        if handle is not None:
            os.close(handle)
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def file_args(ansible_module, path, default_mode):
    """The task's file common arguments for ``path``; the module's own mode when the task gives none."""
    args = ansible_module.load_file_common_arguments(ansible_module.params, path=path)
    if args.get("mode") is None:
        args["mode"] = default_mode
    return args


def apply_file_args(ansible_module, paths, default_mode):
    """Give every existing file of ``paths`` the task's owner, group, mode and context; whether any changed (in
    check mode, whether any would)."""
    changed = False
    for path in paths:
        if os.path.exists(path):
            changed = ansible_module.set_fs_attributes_if_different(file_args(ansible_module, path, default_mode),
                                                                    False) or changed
    return changed
