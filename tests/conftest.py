# Shared pytest set-up: import the collection as Ansible does, and run the simulator once per session.
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "azmove" / "site_recovery"
if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT)
sys.path.insert(0, str(COLLECTIONS))
sys.path.insert(0, str(ROOT / "tests" / "simulator"))


@pytest.fixture(scope="session")
def simulator(tmp_path_factory):
    """A running simulator (time factor 0) with the demo VMs seeded; yields its endpoints."""
    from azsim import testing

    state = tmp_path_factory.mktemp("azsim")
    endpoints = testing.start(str(state), time_factor=0, seed=str(ROOT / "tests" / "simulator" / "seed" / "demo.json"))
    try:
        yield endpoints
    finally:
        testing.stop(str(state))


@pytest.fixture(scope="session")
def admin(simulator):
    from azsim import testing

    return testing.AdminClient(simulator)
