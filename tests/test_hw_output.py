"""tlcim.hw.output: the result stage; result slots, the combination of output pieces,
requantisation and the result stream."""

import gc
import warnings

import numpy as np
import pytest
from amaranth.hdl import Module, Signal, UnusedElaboratable, signed
from amaranth.lib import data
from amaranth.sim import Simulator

from tlcim import golden
from tlcim.golden import Config, PRESETS
from tlcim.hw.geometry import Geometry
from tlcim.hw.mac import adc_pieces, piece_shape
from tlcim.hw.output import OutputStage, requant_product, requantise
from streams import random_ready, stream_get_packet
from helpers import simulate


def unpack(config, beats):
    """Results and padding lanes (signed ints) of one result vector's beats."""
    geometry = Geometry(config)
    lanes = data.ArrayLayout(signed(geometry.out_bits), geometry.out_lanes)
    values = [value for beat in beats for value in lanes.from_bits(beat)]
    return values[:config.outs], values[config.outs:]


def piece_sums(config, sums):
    """``{(adc, mux_lo): sum}`` of the pieces of per-CBL sums ``sums`` (SPEC 5 weights)."""
    M, K = config.adc_share, config.w_trits
    result = {}
    for j, pieces in enumerate(adc_pieces(config)):
        for piece in pieces:
            result[j, piece.mux_lo] = sum(
                3 ** ((j * M + mux) % K - piece.k_lo) * int(sums[j * M + mux])
                for mux in range(piece.mux_lo, piece.mux_hi + 1))
    return result


#: An ADC serving the top weight trit of one output and the lowest of the next.
MISALIGNED = Config(rows=32, active_rows=8, cbls=6, x_trits=2, w_trits=3, adc_bits=4,
                    adc_share=2, subarrays=2, clusters=1, cluster_size=1)


@pytest.mark.parametrize("name,slots", [("small", 1), ("ternary", 2), ("ideal", 3),
                                        ("misaligned", 1)])
def test_results_requantised_with_stalls(name, slots, rng):
    config = MISALIGNED if name == "misaligned" else PRESETS[name]
    stage = OutputStage(config, slots)
    M, J, K = config.adc_share, config.adcs, config.w_trits
    count = 5
    bound = config.subarrays * config.rows * config.x_max
    sums = rng.integers(-bound, bound + 1, (count, config.cbls))
    sums[0] = bound  # the largest result
    settings = [dict(requant=0, multiplier=0, shift=0, relu=0)]
    settings += [dict(requant=1, multiplier=int(rng.integers(1 << 16)),
                      shift=int(rng.integers(64)), relu=int(rng.integers(2)))
                 for _ in range(count - 1)]
    settings[1].update(multiplier=1, shift=0, relu=1)
    allocations = []
    received = []

    async def writer(ctx):
        for n in range(count):
            # Like the sequencer: reserve a slot only while one is free.
            while not ctx.get(stage.can_alloc):
                await ctx.tick()
            ctx.set(stage.alloc, 1)
            for field, value in settings[n].items():
                ctx.set(getattr(stage.alloc_ctrl, field), value)
            await ctx.tick()
            allocations.append(n)
            ctx.set(stage.alloc, 0)
            for _ in range(int(rng.integers(0, 3))):
                await ctx.tick()
            pieces = piece_sums(config, sums[n])
            for mux in reversed(range(M)):  # as the accumulator delivers them
                ctx.set(stage.wr_valid, 1)
                ctx.set(stage.wr_mux, mux)
                ctx.set(stage.wr_end, mux == 0)
                # ADCs without a piece closing here carry garbage: it must be ignored.
                ctx.set(stage.wr_data, [pieces.get((j, mux), int(rng.integers(-9, 9)))
                                        for j in range(J)])
                await ctx.tick()
            ctx.set(stage.wr_valid, 0)

    async def reader(ctx):
        while len(received) < count:
            payloads = await stream_get_packet(ctx, stage.y, ready=random_ready(rng, 0.6))
            received.append([payload.data for payload in payloads])
        await ctx.tick().repeat(3)
        assert not ctx.get(stage.busy)

    async def done_strobe(ctx):
        # Every cycle: `done` exactly when the last beat of a result is taken.
        async for _, _, valid, ready, payload, done in ctx.tick().sample(
                stage.y.valid, stage.y.ready, stage.y.payload, stage.done):
            assert done == (valid and ready and payload.last)

    sim = Simulator(stage)
    sim.add_clock(1e-6)
    sim.add_testbench(writer, background=True)
    sim.add_testbench(reader)
    sim.add_testbench(done_strobe, background=True)
    simulate(sim)
    assert allocations == list(range(count))
    y = sums.reshape(count, config.outs, K) @ 3 ** np.arange(K)
    for n, beats in enumerate(received):
        values, padding = unpack(config, beats)
        setting = settings[n]
        expected = (golden.requantise(config, y[n], multiplier=setting["multiplier"],
                                      shift=setting["shift"], relu=bool(setting["relu"]))
                    if setting["requant"] else y[n])
        assert values == expected.tolist(), f"result {n} with {setting}"
        assert padding == [0] * len(padding)
    largest = max(abs(v) for n in range(count) for v in piece_sums(config, sums[n]).values())
    assert largest < 2 ** (piece_shape(config).width - 1)


def test_slots_are_counted():
    config = PRESETS["ternary"]
    stage = OutputStage(config, 2)
    seen = []

    async def testbench(ctx):
        for _ in range(3):
            seen.append(ctx.get(stage.can_alloc))
            ctx.set(stage.alloc, 1)
            await ctx.tick()
            ctx.set(stage.alloc, 0)
        seen.append(ctx.get(stage.busy))

    sim = Simulator(stage)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    simulate(sim)
    assert seen == [1, 1, 0, 1]


def test_rejects_bad_slots():
    for slots in (0, -1, 2.0, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnusedElaboratable)  # never built, on purpose
            with pytest.raises(ValueError, match=rf"slots must be a positive integer, "
                                                 rf"not {slots!r}$"):
                OutputStage(PRESETS["small"], slots)
            gc.collect()


@pytest.mark.parametrize("name", ["small", "ternary"])
def test_requantise_matches_golden(name, rng):
    # The narrow rounding/clip of requant_scale against golden.requantise: every shift, both
    # ReLU settings, results at the extremes and around every clip and rounding boundary.
    config = PRESETS[name]
    width = Geometry(config).result_bits
    value, multiplier = Signal(signed(width)), Signal(16)
    shift, relu = Signal(6), Signal()
    out = Signal(signed(16))
    m = Module()
    m.d.comb += out.eq(requantise(m, config, value, multiplier, shift, relu))
    top, low = 2 ** (width - 1) - 1, -2 ** (width - 1)
    cases = [(v, mult, s, r) for s in range(64) for r in (0, 1)
             for v, mult in ((top, 65535), (low, 65535), (low, 1), (0, 7),
                             (int(rng.integers(low, top + 1)), int(rng.integers(1 << 16))))]
    # Around the clip and rounding boundaries: products of (2 * x_max + d) * 2**(s - 1).
    for s in range(1, 12):
        for d in range(-4, 5):
            for sign in (1, -1):
                v = sign * (2 * config.x_max + d) * 2 ** (s - 1) + int(rng.integers(-1, 2))
                if low <= v <= top:
                    cases += [(v, 1, s, r) for r in (0, 1)]
    got = []

    async def testbench(ctx):
        for v, mult, s, r in cases:
            for signal, x in ((value, v), (multiplier, mult), (shift, s), (relu, r)):
                ctx.set(signal, x)
            got.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(testbench)
    simulate(sim)
    expected = [int(golden.requantise(config, np.array([v]), multiplier=mult, shift=s,
                                      relu=bool(r))[0]) for v, mult, s, r in cases]
    assert got == expected


@pytest.mark.parametrize("booth", [True, False])
def test_requant_product_exact(booth, rng):
    # The Booth multiplier (standard cells) and `*` (FPGA) against Python's product.
    width = Geometry(PRESETS["paper"]).result_bits
    value, multiplier = Signal(signed(width)), Signal(16)
    out = Signal(signed(width + 16))
    m = Module()
    m.d.comb += out.eq(requant_product(m, value, multiplier, booth=booth))
    low, high = -2 ** (width - 1), 2 ** (width - 1) - 1
    cases = [(v, k) for v in (low, high, 0, -1, 1) for k in (0, 1, 2, 0x5555, 0xAAAA, 0x8000,
                                                             0xFFFF)]
    cases += [(int(rng.integers(low, high + 1)), int(rng.integers(1 << 16)))
              for _ in range(300)]
    got = []

    async def testbench(ctx):
        for v, k in cases:
            ctx.set(value, v)
            ctx.set(multiplier, k)
            got.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(testbench)
    simulate(sim)
    assert got == [v * k for v, k in cases]
