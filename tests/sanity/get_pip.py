"""Stand-in for the get-pip bootstrap script that ansible-test downloads from its CI file host.

That host is out of reach on networks that only reach package registries (ours, and many
corporate ones). This does what get-pip does - put a pip wheel on sys.path and run
``pip install <the arguments ansible-test gives>`` - using the pip wheel that Python's own
ensurepip ships, so the requested pip comes from the package index as usual.
"""

import glob
import os
import sys

import ensurepip

wheels = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
if not wheels:
    sys.exit("ensurepip has no bundled pip wheel on this Python")
sys.path.insert(0, wheels[0])

from pip._internal.cli.main import main  # noqa: E402  (importable only after the wheel is on sys.path)

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
