"""tlcim.hw.encoder: the ternary encoder and the activation buffer against the encodings of
SPEC 4."""

import gc
import warnings

import numpy as np
import pytest
from amaranth.hdl import UnusedElaboratable
from amaranth.sim import Simulator

from tlcim import golden
from tlcim.golden import Config, PRESETS
from tlcim.hw.encoder import ActivationBuffer, TernaryEncoder, encoder_table
from tlcim.hw.geometry import Geometry
from helpers import simulate


def decode_pairs(word, trits):
    """Trits (least significant first) of one value's word-line pairs."""
    pairs = [((word >> (2 * i)) & 1, (word >> (2 * i + 1)) & 1) for i in range(trits)]
    assert (0, 1) not in pairs, "the encoder drove the unused pair (0, 1)"
    return [{(0, 0): -1, (1, 0): 0, (1, 1): 1}[pair] for pair in pairs]


@pytest.mark.parametrize("x_trits", range(1, 9))
def test_encoder_table_matches_golden(x_trits):
    # Every entry of the lookup table (built for any width; the encoder uses it up to 8 bits).
    config = PRESETS["small"].replace(x_trits=x_trits)
    in_bits = Geometry(config).in_bits
    table = np.array(encoder_table(config, in_bits))
    assert len(table) == 1 << in_bits
    patterns = np.arange(1 << in_bits)
    values = np.where(patterns >= 1 << (in_bits - 1), patterns - (1 << in_bits), patterns)
    assert [decode_pairs(int(w), x_trits) for w in table] == \
        golden.encode_trits(values, x_trits).tolist()
    assert (table >> (2 * x_trits)).tolist() == golden.saturate(values, x_trits)[1].tolist()


@pytest.mark.parametrize("x_trits", [1, 3, 5, 6, 8])
def test_encoder_matches_golden(x_trits, rng):
    config = PRESETS["small"].replace(x_trits=x_trits)
    geometry = Geometry(config)
    lanes = 4
    encoder = TernaryEncoder(config, lanes)
    low, high = -(1 << (geometry.in_bits - 1)), 1 << (geometry.in_bits - 1)
    edges = [low, high - 1, config.x_max, -config.x_max, config.x_max + 1, -config.x_max - 1,
             0, 1, -1]
    if geometry.in_bits <= 8:
        edges += list(range(low, high))          # every input value
    values = np.concatenate([edges, rng.integers(low, high, 200)])
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
    simulate(sim)
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


def _odd(**params):
    base = dict(x_trits=1, w_trits=1, adc_bits=2, adc_share=1, clusters=1, cluster_size=1,
                subarrays=1)
    return Config(**{**base, **params})


BUFFER_CONFIGS = {
    "small": PRESETS["small"],
    "ideal": PRESETS["ideal"],
    "ternary": PRESETS["ternary"],
    # in_lanes == active_rows: one whole block per beat.
    "odd": _odd(rows=32, active_rows=16, cbls=6),
    # Blocks of 12 rows, 8 lanes: beats straddle blocks (two write ports, counters).
    "straddle": _odd(rows=24, active_rows=12, cbls=6, adc_share=2),
    # Blocks of 3 rows, 8 lanes over two subarrays: a beat covers three blocks.
    "wide": _odd(rows=6, active_rows=3, cbls=2, subarrays=2),
    # Blocks of 6 rows, a padded last beat (12 values in 2 beats of 8).
    "padded": _odd(rows=12, active_rows=6, cbls=2, x_trits=2),
    # Powers of two with 8 lanes over 2-row blocks: 4 ports placed by index bits.
    "pow2": _odd(rows=4, active_rows=2, cbls=2, subarrays=4),
}


def _beats(config, vector):
    # Word-line pair words of one vector, as activation beats (the last one padded).
    geometry = Geometry(config)
    digits = golden.encode_trits(vector, config.x_trits) + 1      # 0, 1, 2 = IN1 + IN2
    words = [sum((int(d != 0) | int(d == 2) << 1) << (2 * i) for i, d in enumerate(value))
             for value in digits]
    words += [0] * (geometry.in_beats * geometry.in_lanes - len(words))
    lanes = geometry.in_lanes
    return [words[i:i + lanes] for i in range(0, len(words), lanes)]


def _expected(config, vector, t, b):
    # (wl1, wl2) of every subarray for block b at input trit t.
    digits = golden.encode_trits(vector, config.x_trits)[:, t]
    A = config.active_rows
    out = []
    for s in range(config.subarrays):
        rows = digits[s * config.rows + b * A:s * config.rows + (b + 1) * A]
        out.append((sum(int(d != -1) << a for a, d in enumerate(rows)),
                    sum(int(d == 1) << a for a, d in enumerate(rows))))
    return out


def run_buffer(config, testbench):
    buffer = ActivationBuffer(config)
    sim = Simulator(buffer)
    sim.add_clock(1e-6)

    async def bench(ctx):
        await testbench(ctx, buffer)

    sim.add_testbench(bench)
    simulate(sim)
    return buffer


async def _write(ctx, buffer, index, beat, *, swap=False):
    ctx.set(buffer.wr_trits, beat)
    ctx.set(buffer.wr_index, index)
    ctx.set(buffer.wr_en, 1)
    ctx.set(buffer.swap, swap)
    await ctx.tick()
    ctx.set(buffer.wr_en, 0)
    ctx.set(buffer.swap, 0)


async def _read_all(ctx, buffer, config, seen, tag, writes=()):
    # The sequencer's order: trits from the most significant, blocks within each trit; the
    # beats of `writes` ((index, beat) pairs) are written meanwhile, one per cycle.
    writes = list(writes)
    for t in reversed(range(config.x_trits)):
        for b in range(config.compute_blocks):
            ctx.set(buffer.trit, t)
            seen.append((tag, t, b, [(ctx.get(buffer.wl1[s]), ctx.get(buffer.wl2[s]))
                                     for s in range(config.subarrays)]))
            if writes:
                index, beat = writes.pop(0)
                ctx.set(buffer.wr_trits, beat)
                ctx.set(buffer.wr_index, index)
                ctx.set(buffer.wr_en, 1)
            ctx.set(buffer.next_block, 1)
            await ctx.tick()
            ctx.set(buffer.next_block, 0)
            ctx.set(buffer.wr_en, 0)
    for index, beat in writes:
        await _write(ctx, buffer, index, beat)


def _check(config, seen, vectors, count):
    assert len(seen) == count * config.x_trits * config.compute_blocks
    for tag, t, b, got in seen:
        assert got == _expected(config, vectors[tag], t, b), (tag, t, b)


def _random_vectors(config, rng, count):
    # In-range values plus saturating ones (the buffer stores whatever the encoder gives).
    n = Geometry(config).vector_length
    return rng.integers(-config.x_max - 2, config.x_max + 3, (count, n))


@pytest.mark.parametrize("name", list(BUFFER_CONFIGS))
def test_activation_buffer_double_buffers(name, rng):
    # Vector k + 1 fills while vector k is read, its first beat in the cycle of the swap.
    config = BUFFER_CONFIGS[name]
    vectors = _random_vectors(config, rng, 3)
    beats = [_beats(config, v) for v in vectors]
    seen = []

    async def testbench(ctx, buffer):
        for i, beat in enumerate(beats[0]):
            await _write(ctx, buffer, i, beat)
        for k in (1, 2):
            await _write(ctx, buffer, 0, beats[k][0], swap=True)
            await _read_all(ctx, buffer, config, seen, k - 1, enumerate(beats[k][1:], 1))
        ctx.set(buffer.swap, 1)
        await ctx.tick()
        ctx.set(buffer.swap, 0)
        await _read_all(ctx, buffer, config, seen, 2)

    run_buffer(config, testbench)
    _check(config, seen, vectors, 3)


@pytest.mark.parametrize("name", ["small", "straddle", "padded"])
def test_activation_buffer_restarted_vector(name, rng):
    # A vector dropped half-way (BAD_LENGTH) and sent again lands where its indices say;
    # a dropped vector after a complete one does not disturb the complete one either.
    config = BUFFER_CONFIGS[name]
    vectors = _random_vectors(config, rng, 3)
    beats = [_beats(config, v) for v in vectors]
    half = max(1, len(beats[0]) // 2)
    seen = []

    async def testbench(ctx, buffer):
        for i, beat in enumerate(beats[1][:half]):       # dropped after `half` beats
            await _write(ctx, buffer, i, beat)
        for i, beat in enumerate(beats[0]):
            await _write(ctx, buffer, i, beat)
        await _write(ctx, buffer, 0, beats[2][0], swap=True)
        # Vector 2 is dropped half-way while vector 0 is read, then vector 1 arrives whole.
        writes = list(enumerate(beats[2][:half])) + list(enumerate(beats[1]))
        await _read_all(ctx, buffer, config, seen, 0, writes)
        ctx.set(buffer.swap, 1)
        await ctx.tick()
        ctx.set(buffer.swap, 0)
        await _read_all(ctx, buffer, config, seen, 1)

    run_buffer(config, testbench)
    _check(config, seen, vectors, 2)


def test_activation_buffer_timing():
    # `swap` and `next_block` act in the next cycle, `trit` at once; `next_block` is ignored
    # during `swap`, and the current block holds without either.
    config = BUFFER_CONFIGS["small"]
    vectors = np.arange(2 * Geometry(config).vector_length).reshape(2, -1) % 121 - 60
    B, T = config.compute_blocks, config.x_trits
    log = []

    async def testbench(ctx, buffer):
        def sample(tag, t, b):
            ctx.set(buffer.trit, t)
            got = [(ctx.get(buffer.wl1[s]), ctx.get(buffer.wl2[s]))
                   for s in range(config.subarrays)]
            log.append((tag, t, b, got == _expected(config, vectors[tag], t, b)))

        for k in (0, 1):
            for i, beat in enumerate(_beats(config, vectors[k])):
                await _write(ctx, buffer, i, beat)
            ctx.set(buffer.swap, 1)
            ctx.set(buffer.next_block, 1)                # ignored: swap wins
            await ctx.tick()
            ctx.set(buffer.swap, 0)
            ctx.set(buffer.next_block, 0)
            for t in range(T):
                sample(k, t, 0)                          # block 0, every trit, same cycle
            await ctx.tick()
            await ctx.tick()
            sample(k, T - 1, 0)                          # held
            ctx.set(buffer.next_block, 1)
            sample(k, T - 1, 0)                          # not yet
            await ctx.tick()
            ctx.set(buffer.next_block, 0)
            sample(k, 0, 1 % B)
            for _ in range(B - 1):
                ctx.set(buffer.next_block, 1)
                await ctx.tick()
            ctx.set(buffer.next_block, 0)
            sample(k, 1, 0)                              # the ring wrapped around

    run_buffer(config, testbench)
    assert [entry[3] for entry in log] == [True] * len(log), log
    assert len(log) == 2 * (T + 4)
