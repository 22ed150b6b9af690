"""Put tests/sanity/get_pip.py where ansible-test looks for its cached pip bootstrap script.

ansible-test downloads get-pip from its own CI file host, which networks that reach only the
package registries cannot reach; it uses a cached copy when there is one.
"""

import os
import shutil
import sys
from types import SimpleNamespace

from ansible_test._internal.python_requirements import get_venv_packages

version = "%d.%d" % sys.version_info[:2]
pip_version = get_venv_packages(SimpleNamespace(version=version))["pip"]
target = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % pip_version.replace(".", "_"))
os.makedirs(os.path.dirname(target), exist_ok=True)
shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), "get_pip.py"), target)
print("ansible-test pip bootstrap: %s" % target)
