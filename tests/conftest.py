"""Shared pytest options and fixtures: the long-regression switch, seeded randomness, and
session scripts run on a target against the golden one."""

import json
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


def _run_script(config, target, script):
    """Run ``script`` on ``target``; return its result entries and the .npy files it wrote
    (loaded, then removed so that the next run writes them afresh)."""
    from tlcim.cli import main

    folder = script.parent
    before = set(folder.rglob("*.npy"))
    out = folder / f"R-{target.replace(':', '-')}.json"
    assert main(["run", "--config", config, "--target", target, "--script", str(script),
                 "--out", str(out)]) == 0
    outputs = {}
    for path in sorted(set(folder.rglob("*.npy")) - before):
        outputs[str(path.relative_to(folder))] = np.load(path)
        path.unlink()
    return json.loads(out.read_text()), outputs


@pytest.fixture
def against_golden():
    """Return ``check(script, target="rtl:verilator", config="small")``: run a session script
    on the golden target and on ``target``, assert that the result entries and every output
    file are identical, and return the golden ``(entries, outputs)``."""
    def check(script, target="rtl:verilator", config="small"):
        expected, expected_outputs = _run_script(config, "golden", script)
        entries, outputs = _run_script(config, target, script)
        assert entries == expected
        assert sorted(outputs) == sorted(expected_outputs)
        for name, value in expected_outputs.items():
            np.testing.assert_array_equal(outputs[name], value, err_msg=name)
        return expected, expected_outputs
    return check
