# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every RETURN value a user reads as a structure says what is in it (issue 19): a dict, or a list of dicts, at any
depth of a module's RETURN, documents its keys with ``contains`` or shows them with a ``sample``."""

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "plugins" / "modules").glob("*.py"))


def return_doc(path):
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RETURN" for t in node.targets):
            return yaml.safe_load(node.value.value) or {}
    return None


def undocumented(values, path=()):
    """Dotted names of the dict and list-of-dict values without contains or sample, at any depth."""
    out = []
    for name, spec in (values or {}).items():
        here = path + (name,)
        structured = spec.get("type") == "dict" or (spec.get("type") == "list" and spec.get("elements") == "dict")
        if structured and "contains" not in spec and "sample" not in spec:
            out.append(".".join(here))
        out.extend(undocumented(spec.get("contains"), here))
    return out


def test_the_check_finds_a_nested_structure_left_bare():
    values = {"machine": {"type": "dict", "contains": {"target": {"type": "dict"}, "name": {"type": "str"}}},
              "jobs": {"type": "list", "elements": "dict", "sample": [{"name": "j1"}]},
              "ids": {"type": "list", "elements": "str"}}
    assert undocumented(values) == ["machine.target"]


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_structured_return_values_say_what_they_hold(path):
    doc = return_doc(path)
    assert doc is not None, "%s has no RETURN" % path.name
    assert undocumented(doc) == [], "%s: document these with contains or a sample" % path.name
