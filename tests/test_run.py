"""tlcim.run: the ``tlcim run`` and ``tlcim golden`` commands; bad targets and scripts run
nothing, a failing run leaves no half-written output, ``tlcim golden`` writes the layer product."""

import numpy as np
import pytest

from tlcim.golden import Config, layer
from tlcim.run import run_script
from tlcim.cli import main
from tlcim.sim import script
from sessions import LOAD, Broken, run_golden, write_script

SMALL = Config.preset("small")


def test_malformed_script_runs_nothing_and_writes_nothing(script_folder, capsys):
    ops = LOAD + [{"op": "mvm", "inputs": "X.npy", "out": "Y.npy"}, {"op": "store"}]
    assert run_golden(script_folder, ops) == 2
    err = capsys.readouterr().err
    assert err == "tlcim: error: s.json: operation [3] 'store': missing key(s) 'subarray', " \
                  "'set'\n"
    assert not (script_folder / "R.json").exists() and not (script_folder / "Y.npy").exists()


def test_failing_run_leaves_no_half_written_output(script_folder, monkeypatch):
    monkeypatch.setattr(script, "TARGETS", dict(script.TARGETS))
    script.register_target("broken", Broken)
    path = write_script(script_folder, LOAD + [{"op": "mvm", "inputs": "X.npy",
                                                "out": "Y.npy"}, {"op": "reset"}])
    with pytest.raises(RuntimeError, match="simulator crashed"):
        run_script(SMALL, "broken", path, script_folder / "R.json")
    assert Broken.closed
    assert not (script_folder / "R.json").exists() and not (script_folder / "Y.npy").exists()
    assert [p.name for p in script_folder.iterdir() if p.name.startswith(".")] == []


def test_cli_unknown_target(script_folder, capsys):
    path = write_script(script_folder, [{"op": "reset"}])
    assert main(["run", "--config", "small", "--target", "gpu", "--script", str(path),
                 "--out", str(script_folder / "R.json")]) == 2
    assert "tlcim: error: unknown target 'gpu'; targets are" in capsys.readouterr().err


def test_cli_golden(script_folder, capsys, rng):
    w = rng.integers(-121, 122, (150, 9))  # awkward: 3 row tiles, 3 column tiles
    x = rng.integers(-121, 122, (5, 150))
    np.save(script_folder / "W.npy", w)
    np.save(script_folder / "x.npy", x)
    args = ["golden", "--config", "small", "--weights", str(script_folder / "W.npy"),
            "--inputs", str(script_folder / "x.npy"), "--out", str(script_folder / "Y.npy")]
    assert main(args) == 0
    assert np.array_equal(np.load(script_folder / "Y.npy"), layer(SMALL, w, x))
    np.save(script_folder / "x.npy", x[:, :10])
    (script_folder / "Y.npy").unlink()
    assert main(args) == 2
    assert capsys.readouterr().err == ("tlcim: error: inputs must have shape (150,) or "
                                       "(batch, 150) to match weights (150, 9), not (5, 10)\n")
    assert not (script_folder / "Y.npy").exists()
    np.save(script_folder / "x.npy", x * 0.5)
    assert main(args) == 2
    assert "must hold integers, not float64" in capsys.readouterr().err
    np.save(script_folder / "W.npy", w * 2)
    np.save(script_folder / "x.npy", x)
    assert main(args) == 2
    assert "weights must lie in [-121, 121]" in capsys.readouterr().err
    (script_folder / "W.npy").unlink()
    assert main(args) == 2
    assert "W.npy' does not exist" in capsys.readouterr().err
    assert not (script_folder / "Y.npy").exists()
