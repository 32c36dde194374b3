"""Ternary encoder and activation buffer against the encodings of SPEC 4."""

import gc
import warnings

import numpy as np
import pytest
from amaranth.hdl import UnusedElaboratable
from amaranth.sim import Simulator

import golden
from golden import Config, PRESETS
from hw.encoder import ActivationBuffer, TernaryEncoder
from hw.geometry import Geometry


def decode_pairs(word, trits):
    """Trits (least significant first) of one value's word-line pairs."""
    pairs = [((word >> (2 * i)) & 1, (word >> (2 * i + 1)) & 1) for i in range(trits)]
    assert (0, 1) not in pairs, "the encoder drove the unused pair (0, 1)"
    return [{(0, 0): -1, (1, 0): 0, (1, 1): 1}[pair] for pair in pairs]


@pytest.mark.parametrize("x_trits", [1, 3, 5, 8])
def test_encoder_matches_golden(x_trits, rng):
    config = PRESETS["small"].replace(x_trits=x_trits)
    geometry = Geometry(config)
    lanes = 4
    encoder = TernaryEncoder(config, lanes)
    low, high = -(1 << (geometry.in_bits - 1)), 1 << (geometry.in_bits - 1)
    edges = [low, high - 1, config.x_max, -config.x_max, config.x_max + 1, -config.x_max - 1,
             0, 1, -1]
    values = np.concatenate([edges, rng.integers(low, high, 200 - len(edges))])
    values = values[:len(values) // lanes * lanes].reshape(-1, lanes)
    masks = rng.integers(0, 1 << lanes, len(values))
    got = []

    async def testbench(ctx):
        for beat, mask in zip(values, masks):
            ctx.set(encoder.values, [int(v) for v in beat])
            ctx.set(encoder.mask, int(mask))
            got.append((list(ctx.get(encoder.trits)), ctx.get(encoder.saturated),
                        ctx.get(encoder.count)))

    sim = Simulator(encoder)
    sim.add_testbench(testbench)
    sim.run()
    for beat, mask, (trits, saturated, count) in zip(values, masks, got):
        expected = golden.encode_trits(beat, x_trits)
        flags = golden.saturate(beat, x_trits)[1]
        assert [decode_pairs(word, x_trits) for word in trits] == expected.tolist()
        assert saturated == sum(int(f) << lane for lane, f in enumerate(flags))
        assert count == bin(saturated & int(mask)).count("1")


def test_encoder_rejects_bad_lanes():
    for lanes in (0, -2, 1.5, True):
        with warnings.catch_warnings():
            # The half-built component is never elaborated; that is the point.
            warnings.simplefilter("ignore", UnusedElaboratable)
            with pytest.raises(ValueError, match=rf"lanes must be a positive integer, "
                                                 rf"not {lanes!r}$"):
                TernaryEncoder(PRESETS["small"], lanes)
            gc.collect()


@pytest.mark.parametrize("config", [
    PRESETS["small"],
    PRESETS["ideal"],
    Config(rows=32, active_rows=16, cbls=6, x_trits=1, w_trits=1, adc_bits=2, adc_share=1,
           subarrays=1, clusters=1, cluster_size=1),
], ids=["small", "ideal", "odd"])
def test_activation_buffer_rotates_blocks(config, rng):
    geometry = Geometry(config)
    T, A, B, S = config.x_trits, config.active_rows, config.compute_blocks, config.subarrays
    buffer = ActivationBuffer(config)
    n = geometry.in_beats * geometry.in_lanes
    vectors = rng.integers(-config.x_max, config.x_max + 1, (2, n))
    vectors[:, geometry.vector_length:] = 0

    def beats(vector):
        digits = golden.encode_trits(vector, T) + 1            # 0, 1, 2 = IN1 + IN2
        words = [sum((int(d != 0) | int(d == 2) << 1) << (2 * i) for i, d in enumerate(value))
                 for value in digits]
        return [words[i:i + geometry.in_lanes] for i in range(0, n, geometry.in_lanes)]

    first, second = beats(vectors[0]), beats(vectors[1])
    seen = []

    async def write(ctx, beat, *, swap=False):
        ctx.set(buffer.wr_trits, beat)
        ctx.set(buffer.wr_en, 1)
        ctx.set(buffer.swap, swap)
        await ctx.tick()
        ctx.set(buffer.wr_en, 0)
        ctx.set(buffer.swap, 0)

    async def read_all(ctx, index):
        for t in reversed(range(T)):
            for b in range(B):
                ctx.set(buffer.trit, t)
                seen.append((index, t, b, [ctx.get(buffer.wl1[s]) for s in range(S)],
                             [ctx.get(buffer.wl2[s]) for s in range(S)]))
                ctx.set(buffer.next_block, 1)
                await ctx.tick()
                ctx.set(buffer.next_block, 0)

    async def testbench(ctx):
        for beat in first:
            await write(ctx, beat)
        # The second vector's first beat is written in the cycle the first one swaps.
        await write(ctx, second[0], swap=True)
        await read_all(ctx, 0)
        for beat in second[1:]:
            await write(ctx, beat)
        ctx.set(buffer.swap, 1)
        await ctx.tick()
        ctx.set(buffer.swap, 0)
        await read_all(ctx, 1)

    sim = Simulator(buffer)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    assert len(seen) == 2 * T * B
    for index, t, b, wl1, wl2 in seen:
        digits = golden.encode_trits(vectors[index][:geometry.vector_length], T)[:, t]
        for s in range(S):
            rows = digits[s * config.rows + b * A:s * config.rows + (b + 1) * A]
            assert wl1[s] == sum(int(d != -1) << a for a, d in enumerate(rows))
            assert wl2[s] == sum(int(d == 1) << a for a, d in enumerate(rows))
