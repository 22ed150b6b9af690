"""After `ansible-galaxy collection build` and install: the installed collection is whole and
nothing of the development tree leaked into it."""

import glob
import json
import os
import subprocess
import sys

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Every module and action plugin of the source tree must be in the tarball and documented.
source_modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(repo, "plugins", "modules", "*.py")))
source_actions = sorted(os.path.basename(p) for p in glob.glob(os.path.join(repo, "plugins", "action", "*.py")))

root = os.path.join(os.environ["ANSIBLE_COLLECTIONS_PATH"], "ansible_collections", "azmove", "site_recovery")
must = ["plugins/modules/%s.py" % m for m in source_modules] + ["plugins/action/" + a for a in source_actions]
must += ["meta/runtime.yml", "plugins/module_utils/_module.py", "requirements.txt", "README.md", "COPYING"]
must_not = [".venv", ".build", ".state", "tests", "benchmarks", ".ci", "Makefile"]
problems = [p + " is missing" for p in must if not os.path.exists(os.path.join(root, p))]
problems += [p + " should not be in the tarball" for p in must_not if os.path.exists(os.path.join(root, p))]

with open(os.path.join(root, "MANIFEST.json"), encoding="utf-8") as handle:
    info = json.load(handle)["collection_info"]
if (info["namespace"], info["name"], info["version"]) != ("azmove", "site_recovery", "0.1.0"):
    problems.append("MANIFEST.json names %s.%s %s" % (info["namespace"], info["name"], info["version"]))

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
