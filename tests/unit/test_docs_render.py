# Copyright (c) 2026 azmove.site_recovery contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Markdown pages render as their authors meant (issue 19): each page is parsed with a CommonMark parser (with
GitHub's tables), and
- every code fence is closed (a fence left open swallows the rest of the page, tables included);
- every line starting with `|` belongs to a rendered table (else the table is broken: a missing delimiter row,
  a blank line inside it, or a fence around it), and each row has as many cells as its header;
- every relative link and image points to a file of the repository, and a `#anchor` to a heading of that page."""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted(
    [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "roles").glob("*/README.md")]
    + [path for path in [ROOT / "CHANGELOG.md"] if path.exists()]
)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def parse(path):
    return MarkdownIt("commonmark").enable("table").parse(path.read_text(encoding="utf-8"))


def closing_fence(line, markup):
    """Whether `line` closes a fence opened with `markup` (same character, at least as long, nothing after)."""
    line = line.lstrip(" >")  # a fence inside a block quote or a list item
    match = re.match(r"^(`{3,}|~{3,})\s*$", line)
    return bool(match) and match.group(1)[0] == markup[0] and len(match.group(1)) >= len(markup)


def unclosed_fences(tokens, lines):
    """The first line of every fence that runs to the end of the page without its closing line."""
    fences = [token for token in tokens if token.type == "fence"]
    # A closed fence spans its opening line, its text and its closing line (at least two lines).
    return [token.map[0] + 1 for token in fences
            if token.map[1] - token.map[0] < 2 or not closing_fence(lines[token.map[1] - 1], token.markup)]


def heading_slugs(tokens):
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, -1, -2 on repeats."""
    slugs, seen = set(), {}
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = "".join(child.content for child in tokens[index + 1].children or [] if child.type in ("text", "code_inline"))
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        slugs.add(slug if count == 0 else "%s-%d" % (slug, count))
    return slugs


def links(tokens):
    """(line, target) of every link and image of the page, HTML ones included."""
    for token in tokens:
        line = token.map[0] + 1 if token.map else None
        if token.type == "html_block":
            for target in HTML_LINK.findall(token.content):
                yield line, target
        for child in token.children or []:
            if child.type == "link_open":
                yield line, child.attrGet("href")
            elif child.type == "image":
                yield line, child.attrGet("src")
            elif child.type == "html_inline":
                for target in HTML_LINK.findall(child.content):
                    yield line, target


def page_id(path):
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_every_code_fence_is_closed(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    opened = unclosed_fences(parse(path), lines)
    assert not opened, "%s: the code fence opened on line(s) %s is never closed: it swallows the rest of the page " \
        "(a closing fence stands alone on its line)" % (page_id(path), opened)


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_every_table_renders_as_a_table(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    tokens = parse(path)
    covered = set()
    for token in tokens:
        # A table's own lines, and literal text (a closed fence, an indented code block, HTML) may start with |.
        closed_fence = token.type == "fence" and token.map[0] + 1 not in unclosed_fences([token], lines)
        if token.map and (token.type in ("table_open", "code_block", "html_block") or closed_fence):
            covered.update(range(*token.map))
    broken = [number + 1 for number, line in enumerate(lines) if line.lstrip(" >").startswith("|") and number not in covered]
    assert not broken, "%s: lines %s start with | but are not part of a rendered table (a table needs its header, " \
        "then a |---| delimiter row, and no blank line or open code fence around its rows)" % (page_id(path), broken)


def cells(row):
    """The cells of a table row as GitHub splits them: on every | not escaped with a backslash (inside code too)."""
    row = row.strip().lstrip(">").strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return re.split(r"(?<!\\)\|", row)


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_every_table_row_has_the_header_s_cells(path):
    """A row with fewer cells than its header renders with empty cells, one with more loses the extra text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    wrong = []
    for token in parse(path):
        if token.type != "table_open":
            continue
        first, last = token.map
        width = len(cells(lines[first]))
        for number in range(first + 2, last):  # the header, the delimiter row, then the body's rows
            if lines[number].strip() and len(cells(lines[number])) != width:
                wrong.append("line %d: %d cells, the header has %d" % (number + 1, len(cells(lines[number])), width))
    assert not wrong, "%s: table rows whose cells do not match their header:\n%s" % (page_id(path), "\n".join(wrong))


@pytest.mark.parametrize("path", PAGES, ids=page_id)
def test_every_relative_link_points_into_the_repository(path):
    tokens = parse(path)
    wrong = []
    for line, target in links(tokens):
        if not target or SCHEME.match(target) or target.startswith("//"):
            continue  # an absolute URL: not checked here (the tests run offline)
        parts = urlsplit(target)
        where = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        if where != ROOT and ROOT not in where.parents:
            wrong.append("line %s: %s points outside the repository" % (line, target))
        elif not where.exists():
            wrong.append("line %s: %s does not exist" % (line, target))
        elif parts.fragment and where.suffix == ".md" and where.is_file():
            if unquote(parts.fragment).lower() not in heading_slugs(parse(where)):
                wrong.append("line %s: %s has no heading #%s" % (line, target, parts.fragment))
    assert not wrong, "%s: broken relative links:\n%s" % (page_id(path), "\n".join(wrong))


def test_the_docs_site_lists_every_guide():
    """make docs builds the site from docs/docsite (extra-docs.yml -> rst/guides.rst), which links each page of docs/."""
    index = (ROOT / "docs" / "docsite" / "rst" / "guides.rst").read_text(encoding="utf-8")
    missing = [page.name for page in sorted((ROOT / "docs").glob("*.md")) if "/docs/%s>" % page.name not in index]
    assert not missing, "docs/docsite/rst/guides.rst does not link these pages: %s" % missing
