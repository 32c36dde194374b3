"""The ``tlcim build`` and ``tlcim config`` commands: outputs, reproducibility, bad input."""

import json
import subprocess
import sys
import tomllib

import numpy as np
import pytest

from tlcim import golden
from tlcim.golden import Config, PRESETS
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


def test_config_json(capsys):
    assert main(["config", "--config", "small"]) == 0
    printed = json.loads(capsys.readouterr().out)
    small = Config.preset("small")
    assert printed == {"parameters": small.to_dict(), "derived": small.derived()}


@pytest.mark.parametrize("name", ["paper", "ideal"])
def test_config_toml(name, capsys):
    assert main(["config", "--config", name, "--format", "toml"]) == 0
    out = capsys.readouterr().out
    assert out == Config.preset(name).to_toml()
    assert Config.from_dict(tomllib.loads(out)) == Config.preset(name)


def test_config_from_toml_file(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text('rows = 32\nadc_bits = "ideal"\n')
    assert main(["config", "--config", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["parameters"]["rows"] == 32 and printed["parameters"]["adc_bits"] is None


@pytest.mark.parametrize("toml, message", [
    (None, f"tlcim: error: unknown preset 'nosuch'; presets are {', '.join(sorted(PRESETS))}\n"),
    ("rows = 100\n", "tlcim: error: rows must be a multiple of active_rows (16), not 100"),
    ("speed = 3\n", "tlcim: error: bad.toml: unknown parameter(s) speed; known parameters are"),
])
def test_bad_config_exits_2(tmp_path, capsys, toml, message):
    spec = "nosuch"
    if toml is not None:
        spec = str(tmp_path / "bad.toml")
        (tmp_path / "bad.toml").write_text(toml)
    out = tmp_path / "out"
    assert main(["build", "--config", spec, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message) and captured.out == ""
    assert not out.exists()  # nothing written


def test_console_entry_point_exit_status(tmp_path):
    # The real process: exit status 2 and the message on stderr.
    missing = tmp_path / "missing.toml"
    process = subprocess.run(
        [sys.executable, "-m", "tlcim.cli", "config", "--config", str(missing)],
        capture_output=True, text=True, timeout=60)
    assert process.returncode == 2 and process.stdout == ""
    assert process.stderr == (f"tlcim: error: cannot read configuration {str(missing)!r}: "
                              f"No such file or directory\n")
