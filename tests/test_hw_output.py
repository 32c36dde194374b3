"""Result slots, the combination of weight trits, requantisation and the result stream."""

import gc
import warnings

import numpy as np
import pytest
from amaranth.hdl import UnusedElaboratable, signed
from amaranth.lib import data
from amaranth.sim import Simulator

import golden
from golden import PRESETS
from hw.geometry import Geometry
from hw.mac import cbl_sum_shape
from hw.output import OutputStage


def unpack(config, beats):
    """Results and padding lanes (signed ints) of one result vector's beats."""
    geometry = Geometry(config)
    lanes = data.ArrayLayout(signed(geometry.out_bits), geometry.out_lanes)
    values = [value for beat in beats for value in lanes.from_bits(beat)]
    return values[:config.outs], values[config.outs:]


@pytest.mark.parametrize("name,slots", [("small", 1), ("ternary", 2), ("ideal", 3)])
def test_results_requantised_with_stalls(name, slots, rng):
    config = PRESETS[name]
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
            for mux in range(M):
                ctx.set(stage.wr_valid, 1)
                ctx.set(stage.wr_mux, mux)
                ctx.set(stage.wr_end, mux == M - 1)
                ctx.set(stage.wr_data, [int(sums[n, j * M + mux]) for j in range(J)])
                await ctx.tick()
            ctx.set(stage.wr_valid, 0)

    async def reader(ctx):
        beats = []
        while len(received) < count:
            ready = rng.random() < 0.6
            ctx.set(stage.y.ready, ready)
            _, _, valid, payload, done = await ctx.tick().sample(
                stage.y.valid, stage.y.payload, stage.done)
            assert done == (valid and ready and payload.last)
            if valid and ready:
                beats.append(payload.data)
                if payload.last:
                    received.append(beats)
                    beats = []
        await ctx.tick().repeat(3)
        assert not ctx.get(stage.busy)

    sim = Simulator(stage)
    sim.add_clock(1e-6)
    sim.add_testbench(writer, background=True)
    sim.add_testbench(reader)
    sim.run()
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
    assert np.abs(sums).max() < 2 ** (cbl_sum_shape(config).width - 1)


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
    sim.run()
    assert seen == [1, 1, 0, 1]


def test_rejects_bad_slots():
    for slots in (0, -1, 2.0, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnusedElaboratable)  # never built, on purpose
            with pytest.raises(ValueError, match=rf"slots must be a positive integer, "
                                                 rf"not {slots!r}$"):
                OutputStage(PRESETS["small"], slots)
            gc.collect()
