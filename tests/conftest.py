"""Shared pytest options and fixtures: the long-regression switch and seeded randomness."""

import os
import zlib

import numpy as np
import pytest


def pytest_addoption(parser):
    parser.addoption("--long", action="store_true", default=False,
                     help="also run the long regressions (tests marked slow)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--long"):
        return
    skip = pytest.mark.skip(reason="long regression: run with --long")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def seed(request):
    """A seed stable per test (from its id), or ``TLCIM_SEED`` when set; always printed."""
    value = int(os.environ.get("TLCIM_SEED", zlib.crc32(request.node.nodeid.encode())))
    print(f"seed = {value} (rerun with TLCIM_SEED={value})")
    return value


@pytest.fixture
def rng(seed):
    """A numpy generator seeded by :func:`seed`."""
    return np.random.default_rng(seed)
