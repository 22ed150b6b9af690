"""After `ansible-galaxy collection build` and install: the installed collection is whole and
nothing of the development tree leaked into it."""

import glob
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Every module and action plugin of the source tree must be in the tarball and documented.
source_modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(repo, "plugins", "modules", "*.py")))
source_actions = sorted(os.path.basename(p) for p in glob.glob(os.path.join(repo, "plugins", "action", "*.py")))

root = os.path.join(os.environ["ANSIBLE_COLLECTIONS_PATH"], "ansible_collections", "azmove", "site_recovery")
must = ["plugins/modules/%s.py" % m for m in source_modules] + ["plugins/action/" + a for a in source_actions]
must += ["meta/runtime.yml", "plugins/module_utils/_module.py", "requirements.txt", "README.md", "COPYING"]
# Release hygiene: the changelog, what ansible-builder reads when the collection goes into an execution environment,
# and the licence file every header cites.
must += ["CHANGELOG.md", "changelogs/changelog.yaml", "meta/execution-environment.yml", "bindep.txt",
         "LICENSES/GPL-3.0-or-later.txt"]
# The repository's own image recipe and molecule scenarios need files the tarball leaves out (.build/dist, tests/).
must_not = [".venv", ".build", ".state", "tests", "benchmarks", ".ci", "Makefile", "execution-environment.yml",
            "extensions"]
problems = [p + " is missing" for p in must if not os.path.exists(os.path.join(root, p))]
problems += [p + " should not be in the tarball" for p in must_not if os.path.exists(os.path.join(root, p))]

with open(os.path.join(repo, "galaxy.yml"), encoding="utf-8") as handle:
    version = yaml.safe_load(handle)["version"]
with open(os.path.join(root, "MANIFEST.json"), encoding="utf-8") as handle:
    info = json.load(handle)["collection_info"]
if (info["namespace"], info["name"], info["version"]) != ("azmove", "site_recovery", version):
    problems.append("MANIFEST.json names %s.%s %s" % (info["namespace"], info["name"], info["version"]))

# Nothing in the tarball needs a file the tarball leaves out (galaxy.yml build_ignore).
installed = Path(root)
with open(installed / "meta" / "execution-environment.yml", encoding="utf-8") as handle:
    for kind, name in (yaml.safe_load(handle).get("dependencies") or {}).items():
        if not (installed / name).is_file():
            problems.append("meta/execution-environment.yml names %s file %s, which is not in the tarball" % (kind, name))
for path in installed.rglob("*"):
    if path.suffix in (".py", ".yml", ".yaml", ".j2", ".ps1", ".sh") and path.parts[len(installed.parts)] in (
            "plugins", "roles", "playbooks", "meta"):
        text = path.read_text(encoding="utf-8", errors="replace")
        for word in re.findall(r"(?<![\w.-])(?:tests|benchmarks|\.build)/[\w./-]+", text):
            problems.append("%s refers to %s, which is not in the tarball" % (path.relative_to(installed), word))
    if path.suffix in (".py", ".yml", ".yaml") and "LICENSES/" in path.read_text(encoding="utf-8", errors="replace"):
        for cited in set(re.findall(r"LICENSES/[\w.+-]+\.txt", path.read_text(encoding="utf-8", errors="replace"))):
            if not (installed / cited).is_file():
                problems.append("%s cites %s, which is not in the tarball" % (path.relative_to(installed), cited))
# Relative links of the Markdown pages (README, docs/, role READMEs, CHANGELOG) resolve inside the installed collection;
# a page that links into tests/ or benchmarks/ should use the repository's URL instead.
MD_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\)|href=\"([^\"]+)\"")
for page in installed.rglob("*.md"):
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for match in MD_LINK.finditer(text):
        target = match.group(1) or match.group(2)
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "//")) or not urlsplit(target).path:
            continue
        if not (page.parent / unquote(urlsplit(target).path)).resolve().exists():
            problems.append("%s links to %s, which is not in the tarball" % (page.relative_to(installed), target))

bindir = os.path.dirname(sys.executable)
listing = subprocess.run([os.path.join(bindir, "ansible-doc"), "-l", "azmove.site_recovery", "--json"],
                         capture_output=True, text=True, check=True)
modules = json.loads(listing.stdout)
for name in ("azmove.site_recovery." + m for m in source_modules):
    if name not in modules:
        problems.append("ansible-doc does not list " + name)

if problems:
    sys.exit("Installed collection check failed:\n- " + "\n- ".join(problems))
print("installed collection OK: %d modules documented" % len(modules))
