"""``read`` and ``inject`` on ``tlcim run --target rtl`` (issue 4 item 4): the host reads SRAM
rows back through ``SRAM_READ``/``SRAM_DATA<i>`` and mirrors the golden device's faults into
the simulation's emulation-only fault port, so a script mixing writes, stores, restores,
resets, MVMs, faults and reads gives the same results file and outputs on both targets."""

import json

import numpy as np

from tlcim.golden import Config

OUTPUTS = ("R0.npy", "R1.npy", "R_after.npy", "Y.npy", "Y_var.npy", "R_clear.npy")


def _script(folder, config, rng):
    for name in ("W0", "W1"):
        np.save(folder / f"{name}.npy", rng.integers(-config.w_max, config.w_max + 1,
                                                     (config.rows, config.outs)))
    np.save(folder / "X.npy", rng.integers(-config.x_max, config.x_max + 1,
                                           (3, config.rows * config.subarrays)))
    ops = [
        {"op": "read", "subarray": 0, "out": "R_invalid.npy"},
        {"op": "write", "subarray": 0, "weights": "W0.npy"},
        {"op": "write", "subarray": 1, "weights": "W1.npy"},
        {"op": "read", "subarray": 0, "out": "R0.npy"},
        {"op": "read", "subarray": 2, "out": "R_bad.npy"},
        {"op": "store", "subarray": "all", "set": 1},
        {"op": "inject", "fault": "stuck", "subarray": 1, "set": 1, "row": 3, "cbl": 5,
         "level": 1},
        {"op": "inject", "fault": "stuck", "subarray": 1, "set": 1, "row": 7, "cbl": 0,
         "level": -1},
        {"op": "restore", "subarray": "all", "set": 1, "comment": "stuck cells fail verify"},
        {"op": "status"},
        {"op": "read", "subarray": 0, "out": "R1.npy"},
        {"op": "inject", "fault": "clear"},
        {"op": "inject", "fault": "misread", "subarray": 0, "row": 9, "cbl": 2},
        {"op": "restore", "subarray": "all", "set": 1, "comment": "one-shot misread"},
        {"op": "restore", "subarray": "all", "set": 1, "comment": "misread gone"},
        {"op": "read", "subarray": 1, "out": "R_after.npy"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y.npy"},
        {"op": "inject", "fault": "misread", "subarray": 1, "row": 0, "cbl": 1},
        {"op": "store", "subarray": 0, "set": 0},
        {"op": "reset", "comment": "boot set 0 restored in subarray 0 only"},
        {"op": "status"},
        {"op": "restore", "subarray": 1, "set": 1},
        {"op": "inject", "fault": "variation", "sigma": 0.35, "seed": 4, "cluster_size": 4},
        {"op": "restore", "subarray": "all", "set": 1, "comment": "variation"},
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_var.npy"},
        {"op": "inject", "fault": "clear"},
        {"op": "restore", "subarray": "all", "set": 1},
        {"op": "read", "subarray": 1, "out": "R_clear.npy"},
    ]
    (folder / "session.json").write_text(json.dumps(ops))
    return folder / "session.json"


def test_rtl_faults_and_read_match_golden(tmp_path, rng, against_golden):
    config = Config.preset("small")
    golden, golden_out = against_golden(_script(tmp_path, config, rng))
    errors = [entry["error"] for entry in golden]
    # The script provokes what it means to: refusals, verify failures detected by the checksum.
    assert errors[0] == "weights_invalid" and errors[4] == "bad_set"
    assert errors[8] == "verify_failed" and "subarray 1, row 3" in golden[8]["detail"]
    assert errors[13] == "verify_failed" and "subarray 0, row 9" in golden[13]["detail"]
    assert errors[14] is None and errors[19] is None and golden[20]["valid"] == [True, False]
    assert golden[9]["valid"] == [True, False]
    # The pending misread of subarray 1 survives the reset (no boot set there) until its restore.
    assert errors[21] == "verify_failed" and "subarray 1, row 0" in golden[21]["detail"]
    assert errors[23] == "verify_failed" and errors[25] == "weights_invalid"
    assert errors[27] is None
    assert set(golden_out) == set(OUTPUTS) - {"Y_var.npy"}
    np.testing.assert_array_equal(golden_out["R0.npy"], np.load(tmp_path / "W0.npy"))


def test_register_window_limits():
    from tlcim.hw.regmap import register_map
    config = Config.preset("small")
    regmap = register_map(config)
    # One readback word per 16 cells, one fault word per 32 bits of a fault-map row.
    assert [r.name for r in regmap if r.name.startswith("SRAM_DATA")] == ["SRAM_DATA0",
                                                                         "SRAM_DATA1"]
    assert regmap.address("FAULT_DATA0") == 0x480
    # The widest buildable row fills the readback window exactly (tlcim.hw.limits).
    widest = register_map(config.replace(cbls=896, w_trits=1, adc_share=1))
    last = [r for r in widest if r.name.startswith("SRAM_DATA")][-1]
    assert last.address == widest.address("FAULT_SEL") - 4
