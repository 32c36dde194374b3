"""tlcim.sim.host: the host driver; beat packing against the hardware's layouts, and SRAM reads
and faults mirrored into the fault port on ``tlcim run --target rtl`` matching golden."""

import numpy as np
import pytest

from tlcim.golden import Config, sram_bits_to_weights
from tlcim.hw.geometry import Geometry, WEIGHT_BEAT_BITS
from tlcim.hw.interfaces import activation_layout, result_layout, weight_layout
from tlcim.sim.host import pack_vectors, pack_weights, unpack_results
from sessions import save_inputs, save_weights, write_script


@pytest.mark.parametrize("name", ["small", "ternary", "ideal"])
def test_weight_packet_layout(name, rng):
    config = Config.preset(name)
    geometry = Geometry(config)
    weights = rng.integers(-config.w_max, config.w_max + 1, (config.rows, config.outs))
    packet = pack_weights(config, weights)
    assert len(packet) == config.rows * geometry.row_beats * WEIGHT_BEAT_BITS // 8
    layout = weight_layout(geometry)
    # Each 32-bit word of the frame is the data field of one beat (tdata).
    beats = [layout.from_bits(int.from_bytes(packet[i:i + 4], "little"))
             for i in range(0, len(packet), 4)]
    rows = []
    for r in range(config.rows):
        row = 0
        for k in range(geometry.row_beats):
            row |= beats[r * geometry.row_beats + k].data << (32 * k)
        assert row >> geometry.row_bits == 0  # padding is zero
        rows.append([(row >> b) & 1 for b in range(geometry.row_bits)])
    np.testing.assert_array_equal(sram_bits_to_weights(config, np.array(rows)), weights)


def test_activation_frames(rng):
    config = Config.preset("small")
    geometry = Geometry(config)
    x = rng.integers(-1000, 1000, (3, geometry.vector_length))
    frames = pack_vectors(config, x)
    lane_bytes = geometry.in_bits // 8
    assert [len(f) for f in frames] == [geometry.in_beats * geometry.in_lanes * lane_bytes] * 3
    assert activation_layout(geometry).size == geometry.in_lanes * geometry.in_bits + 1
    values = np.frombuffer(frames[1], dtype=f"<i{lane_bytes}")[:geometry.vector_length]
    limit = 1 << (geometry.in_bits - 1)
    np.testing.assert_array_equal(values, np.clip(x[1], -limit, limit - 1))


@pytest.mark.parametrize("name", ["small", "paper"])
def test_result_frames(name, rng):
    config = Config.preset(name)
    geometry = Geometry(config)
    y = rng.integers(-config.device_bound, config.device_bound + 1, config.outs)
    y[:2] = [-config.device_bound, config.device_bound]
    width = geometry.out_bits // 8
    padded = np.zeros(geometry.out_beats * geometry.out_lanes, dtype=object)
    padded[:config.outs] = y
    frame = b"".join((int(v) % (1 << geometry.out_bits)).to_bytes(width, "little")
                     for v in padded)
    assert result_layout(geometry).size == geometry.out_lanes * geometry.out_bits + 1
    np.testing.assert_array_equal(unpack_results(config, frame), y)
    with pytest.raises(RuntimeError, match="result frame has 1 bytes, expected"):
        unpack_results(config, b"\0")


# -- reads and faults on the rtl target ------------------------------------------------------

OUTPUTS = ("R0.npy", "R1.npy", "R_after.npy", "Y.npy", "Y_var.npy", "R_clear.npy")


def _fault_session(folder, config, rng):
    save_weights(folder, config, rng, "W0", "W1")
    # Whatever the seed, the cell stuck at +1 below (row 3, CBL 5: trit 0 of output 1) holds
    # another trit, so the restore reads it wrong.
    w1 = np.load(folder / "W1.npy")
    w1[3, 1] = 0
    np.save(folder / "W1.npy", w1)
    save_inputs(folder, config, rng, 3)
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
    return write_script(folder, ops)


def test_rtl_faults_and_read_match_golden(tmp_path, rng, against_golden):
    config = Config.preset("small")
    golden, golden_out = against_golden(_fault_session(tmp_path, config, rng))
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
