"""Shared pytest options and fixtures: the long-regression switch, seeded randomness, session
scripts (a folder of operands; a script run on a target against the golden one), and the
trained digits network."""

import io
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


@pytest.fixture
def script_folder(tmp_path, rng):
    """A session-script folder for the small preset with W0/W1 [rows, outs] and
    X [batch, rows * subarrays]."""
    from tlcim.golden import Config
    small = Config.preset("small")
    d = tmp_path / "session"
    d.mkdir()
    np.save(d / "W0.npy", rng.integers(-121, 122, (small.rows, small.outs)))
    np.save(d / "W1.npy", rng.integers(-121, 122, (small.rows, small.outs)))
    np.save(d / "X.npy", rng.integers(-200, 200, (4, small.rows * small.subarrays)))
    return d


def _run_script(config, target, script):
    """Run ``script`` on ``target``; return its result entries and the .npy files it wrote
    (their bytes, then removed so that the next run writes them afresh)."""
    from tlcim.cli import main

    folder = script.parent
    before = set(folder.rglob("*.npy"))
    out = folder / f"R-{target.replace(':', '-')}.json"
    assert main(["run", "--config", config, "--target", target, "--script", str(script),
                 "--out", str(out)]) == 0
    outputs = {}
    for path in sorted(set(folder.rglob("*.npy")) - before):
        outputs[str(path.relative_to(folder))] = path.read_bytes()
        path.unlink()
    return json.loads(out.read_text()), outputs


@pytest.fixture
def against_golden():
    """Return ``check(script, target="rtl:verilator", config="small")``: run a session script
    on the golden target and on ``target``, assert that the result entries and every output
    file are identical, byte for byte, and return the golden ``(entries, outputs)`` (outputs
    loaded as arrays)."""
    def check(script, target="rtl:verilator", config="small"):
        expected, expected_outputs = _run_script(config, "golden", script)
        entries, outputs = _run_script(config, target, script)
        assert entries == expected
        assert sorted(outputs) == sorted(expected_outputs)
        for name, data in expected_outputs.items():
            assert outputs[name] == data, f"{name} differs"
        return expected, {name: np.load(io.BytesIO(data))
                          for name, data in expected_outputs.items()}
    return check


@pytest.fixture(scope="session")
def nn_cache(tmp_path_factory):
    """A cache folder holding the default digits network, trained once (about a second)."""
    from tlcim.nn import TrainSettings, load_or_train
    folder = tmp_path_factory.mktemp("nn-cache")
    load_or_train(TrainSettings(), folder)
    return folder


@pytest.fixture(scope="session")
def trained(nn_cache):
    """The default digits network (:func:`tlcim.nn.load_or_train`), from :func:`nn_cache`."""
    from tlcim.nn import TrainSettings, load_or_train
    return load_or_train(TrainSettings(), nn_cache)


@pytest.fixture
def sweep_settings(nn_cache):
    """Sweep settings that are small and fast: 12 test images, the network of :func:`nn_cache`."""
    from tlcim import sweep
    return sweep.Settings(limit=12, cache=str(nn_cache))
