"""tlcim.build: the main job, ``tlcim build``; its configuration files and golden demo, byte for
byte reproducible."""

import json
import tomllib

import numpy as np
import pytest

from tlcim import golden
from tlcim.golden import Config
from tlcim.cli import main


def tree(folder):
    """Every file under ``folder`` as {relative path: bytes}."""
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    """``tlcim build --config small`` run twice, into two folders (later stages add Verilog,
    so the runs are shared by the tests of this module)."""
    base = tmp_path_factory.mktemp("build")
    runs = []
    for out in (base / "a", base / "b"):
        assert main(["build", "--config", "small", "--out", str(out)]) == 0
        runs.append(tree(out))
    return base, runs


def test_build_writes_configuration_and_demo(small_build):
    base, runs = small_build
    files = runs[0]
    assert {"config.json", "config.toml", "demo/weights.npy", "demo/inputs.npy",
            "demo/results.npy", "demo/summary.json"} <= set(files)
    small = Config.preset("small")
    config_json = json.loads(files["config.json"])
    assert config_json == {"parameters": small.to_dict(), "derived": small.derived()}
    assert Config.from_dict(tomllib.loads(files["config.toml"].decode())) == small
    assert not [path for path in (base / "a").parent.rglob("*.tmp")]  # no temporaries left


def test_build_demo_is_the_golden_model(small_build):
    base, _ = small_build
    demo = base / "a" / "demo"
    config = Config.preset("small")
    weights, inputs = np.load(demo / "weights.npy"), np.load(demo / "inputs.npy")
    results = np.load(demo / "results.npy")
    assert weights.shape == (config.subarrays, config.rows, config.outs)
    assert (results == golden.device_mvm(config, weights, inputs)).all()
    summary = json.loads((demo / "summary.json").read_text())
    _, saturated = golden.saturate(inputs, config.x_trits)
    assert summary["saturated_inputs"] == saturated.sum() > 0
    assert summary["result_bound"] == config.device_bound


def test_build_is_reproducible(small_build):
    base, (first, second) = small_build
    assert first == second  # byte-identical, whatever the output folder
    for name, data in first.items():
        if not name.endswith(".npy"):
            assert str(base).encode() not in data, f"{name} holds an absolute path"
