"""Shared fixtures: one simulator per test session (page size 1 so every list pages)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from simhelpers import DEMO_SEED  # noqa: E402  (also puts tests/simulator on sys.path)
from azsim.testing import AdminClient, start, stop  # noqa: E402


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("azsim-session"))


@pytest.fixture(scope="session")
def ep(sim_dir):
    endpoints = start(sim_dir, time_factor=0, seed=DEMO_SEED, page_size=1)
    yield endpoints
    stop(sim_dir)


@pytest.fixture(scope="session")
def admin(ep):
    return AdminClient(ep)


@pytest.fixture(autouse=True)
def _no_leftover_faults(request):
    yield
    if "admin" in request.fixturenames:
        request.getfixturevalue("admin").clear_faults()
        request.getfixturevalue("admin").set_time_factor(0)
        request.getfixturevalue("admin").set_strict_bodies(True)  # a test that turned it off never leaks that
