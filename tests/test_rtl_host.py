"""Beat packing of the host driver against the layouts the hardware uses (hw.interfaces)."""

import numpy as np
import pytest

from tlcim.golden import Config, sram_bits_to_weights
from tlcim.hw.geometry import Geometry, WEIGHT_BEAT_BITS
from tlcim.hw.interfaces import activation_layout, result_layout, weight_layout
from tlcim.sim.host import pack_vectors, pack_weights, unpack_results


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
