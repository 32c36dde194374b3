"""``tlcim run --target rtl``: a session script on the simulated Verilog gives the same results
file and outputs as ``--target golden`` (read and inject: tests/test_rtl_faults.py)."""

import json

import numpy as np

from tlcim.golden import Config
from tlcim.sim import rtl
from tlcim.cli import main


def _script(folder, config, rng):
    np.save(folder / "W0.npy", rng.integers(-config.w_max, config.w_max + 1,
                                            (config.rows, config.outs)))
    np.save(folder / "W1.npy", rng.integers(-config.w_max, config.w_max + 1,
                                            (config.rows, config.outs)))
    np.save(folder / "Wbad.npy", np.full((config.rows, config.outs), config.w_max + 1))
    np.save(folder / "X.npy", rng.integers(-2 * config.x_max, 2 * config.x_max + 1,
                                           (5, config.rows * config.subarrays)))
    np.save(folder / "x1.npy", rng.integers(-config.x_max, config.x_max + 1,
                                            config.rows * config.subarrays))
    ops = [
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_refused.npy"},
        {"op": "write", "subarray": 0, "weights": "W0.npy"},
        {"op": "write", "subarray": 1, "weights": "W1.npy"},
        {"op": "write", "subarray": 2, "weights": "W1.npy"},
        {"op": "write", "subarray": 1, "weights": "Wbad.npy"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y.npy"},
        {"op": "mvm", "inputs": "x1.npy", "out": "y1.npy"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_relu.npy",
         "requant": {"multiplier": 3, "shift": 9, "relu": True}},
        {"op": "status"},
        {"op": "reset"},
        {"op": "mvm", "inputs": "X.npy"},
    ]
    (folder / "session.json").write_text(json.dumps(ops))
    return folder / "session.json"


def test_rtl_matches_golden(tmp_path, rng, against_golden):
    config = Config.preset("small")
    entries, outputs = against_golden(_script(tmp_path, config, rng))
    assert [e["error"] for e in entries] == [None, "weights_invalid", None, None, "bad_set",
                                             "bad_weights", None, None, None, None, None,
                                             "weights_invalid"]
    assert sorted(outputs) == ["Y.npy", "Y_relu.npy", "y1.npy"]


def test_rtl_refusal_and_unavailable(tmp_path, capsys):
    (tmp_path / "s.json").write_text(json.dumps([{"op": "read", "subarray": 0,
                                                  "out": "W.npy"}]))
    assert main(["run", "--config", "small", "--target", "rtl", "--script",
                 str(tmp_path / "s.json"), "--out", str(tmp_path / "r.json")]) == 0
    entry, = json.loads((tmp_path / "r.json").read_text())
    assert (entry["status"], entry["error"]) == ("error", "weights_invalid")
    assert entry["detail"] == "subarray 0 holds no valid weights"  # the golden device's words
    assert main(["run", "--config", "small", "--target", "rtl:vcs", "--script",
                 str(tmp_path / "s.json"), "--out", str(tmp_path / "r.json")]) == 2
    assert "rtl target option must be one of verilator, icarus, not 'vcs'" in \
        capsys.readouterr().err
    if rtl.simulator_missing("icarus"):
        assert main(["run", "--config", "small", "--target", "rtl:icarus", "--script",
                     str(tmp_path / "s.json"), "--out", str(tmp_path / "r.json")]) == 2
        assert "target rtl:icarus is unavailable" in capsys.readouterr().err
