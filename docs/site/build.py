"""make docs: the collection's documentation site, built with antsibull-docs and Sphinx into DEST/html.

Usage: python docs/site/build.py DEST        (the collection must be on ANSIBLE_COLLECTIONS_PATH)

antsibull-docs sphinx-init writes the Sphinx project into DEST/src, antsibull-docs collection turns the modules',
plugins' and roles' documentation into RST, and sphinx-build makes HTML of it with every warning an error.
The build runs without network access (as CI does): links to Ansible's own documentation (common return values,
ansible-core's environment variables, ansible.windows modules) resolve through a small intersphinx inventory
written here, instead of the one sphinx-init would fetch from docs.ansible.com.
"""

import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import yaml

COLLECTION = "azmove.site_recovery"
ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
# Labels of Ansible's documentation that antsibull-docs' templates refer to.
ANSIBLE_LABELS = {
    "common_return_values": ("reference_appendices/common_return_values.html#common-return-values", "Return Values"),
    "action_plugins": ("plugins/action.html#action-plugins", "Action plugins"),
    "ansible_configuration_settings": ("reference_appendices/config.html#ansible-configuration-settings",
                                       "Ansible Configuration Settings"),
}


def run(cmd, cwd=None):
    """A command with this Python's bin directory first on PATH (antsibull-docs calls ansible-doc and ansible)."""
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, check=True)


def collection_root(namespace, name):
    for base in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        root = Path(base, "ansible_collections", namespace, name)
        if root.is_dir():
            return root
    return None


def inventory_entries():
    """(name, domain:role, uri, display name) for what the site links to in Ansible's documentation."""
    entries = [(label, "std:label", uri, title) for label, (uri, title) in ANSIBLE_LABELS.items()]
    import ansible  # the ansible-core that documents the collection: its configuration's environment variables

    with open(Path(ansible.__file__).parent / "config" / "base.yml", encoding="utf-8") as handle:
        settings = yaml.safe_load(handle)
    envvars = sorted({env["name"] for setting in settings.values() for env in setting.get("env") or []})
    entries += [(var, "std:envvar", "reference_appendices/config.html#envvar-" + var, "-") for var in envvars]
    windows = collection_root("ansible", "windows")
    if windows is not None:
        for doc in sorted((windows / "plugins" / "modules").glob("*.py")):
            if doc.stem != "__init__":
                slug = "ansible-collections-ansible-windows-%s-module" % doc.stem.replace("_", "-")
                entries.append(("ansible_collections.ansible.windows.%s_module" % doc.stem, "std:label",
                                "collections/ansible/windows/%s_module.html#%s" % (doc.stem, slug),
                                "ansible.windows.%s module" % doc.stem))
    return entries


def write_inventory(path):
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n" \
             "# The remainder of this file is compressed using zlib.\n"
    body = "".join("%s %s -1 %s %s\n" % entry for entry in inventory_entries())
    path.write_bytes(header.encode() + zlib.compress(body.encode()))


def main(dest):
    dest = Path(dest).resolve()
    src = dest / "src"
    shutil.rmtree(dest, ignore_errors=True)
    src.mkdir(parents=True, mode=0o755)  # antsibull-docs writes only into directories no one else can write to
    src.chmod(0o755)
    bindir = Path(sys.executable).parent
    run([bindir / "antsibull-docs", "sphinx-init", "--use-current", "--squash-hierarchy", "--fail-on-error",
         "--dest-dir", src, "--project", COLLECTION, "--title", COLLECTION, "--copyright", "azmove.site_recovery contributors",
         COLLECTION])
    write_inventory(src / "ansible_devel.inv")
    with open(src / "conf.py", "a", encoding="utf-8") as conf:
        conf.write("\n# make docs runs offline: Ansible's documentation through a local inventory (docs/site/build.py).\n"
                   "intersphinx_mapping = {'ansible_devel': (%r, '../ansible_devel.inv')}\n" % ANSIBLE_DOCS)
    rst = src / "rst"
    rst.mkdir(exist_ok=True)
    rst.chmod(0o755)
    run([bindir / "antsibull-docs", "--config-file", "antsibull-docs.cfg", "collection", "--cleanup", "everything",
         "--fail-on-error", "--use-current", "--squash-hierarchy", "--dest-dir", "rst", COLLECTION], cwd=src)
    run([bindir / "sphinx-build", "-b", "html", "-c", src, "-W", "--keep-going", "-q", rst, dest / "html"])
    print("docs site: %s" % (dest / "html" / "index.html"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
