"""Partial MACs, the adder tree across subarrays and the Horner accumulator (SPEC 5)."""

import numpy as np
import pytest
from amaranth.sim import Simulator

import golden
from golden import Config, PRESETS
from hw.mac import Accumulator, PartialMac, cbl_sum_shape, partial_mac_shape
from hw.sequencer import Mode

CONFIGS = {
    "small": PRESETS["small"],
    "ternary": PRESETS["ternary"],
    "ideal": PRESETS["ideal"],
    "wide_adc": Config(rows=64, active_rows=8, cbls=12, x_trits=2, w_trits=2, adc_bits=12,
                       adc_lsb=4, adc_share=3, subarrays=3, clusters=1, cluster_size=1),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_partial_mac_sums_subarrays(name, rng):
    config = CONFIGS[name]
    mac = PartialMac(config)
    # Codes a discharge can give, plus the top code (beyond them for a wide ADC: clamped).
    reachable = min(config.adc_max_code, 2 * config.active_rows // config.adc_lsb)
    codes = rng.integers(0, reachable + 1, (40, config.subarrays, config.adcs))
    codes[0] = config.adc_max_code
    codes[1] = 0
    got = []

    async def testbench(ctx):
        for beat in codes:
            ctx.set(mac.codes, [[int(c) for c in row] for row in beat])
            got.append(list(ctx.get(mac.p)))

    sim = Simulator(mac)
    sim.add_testbench(testbench)
    sim.run()
    clamped = np.minimum(codes, reachable)
    expected = golden.partial_mac(config, clamped).sum(axis=1)
    np.testing.assert_array_equal(np.array(got), expected)
    bound = config.subarrays * config.active_rows
    assert np.abs(expected).max() <= bound < 2 ** (partial_mac_shape(config).width - 1)


@pytest.mark.parametrize("name", ["small", "ternary", "ideal"])
def test_accumulator_horner(name, rng):
    config = CONFIGS[name]
    acc = Accumulator(config)
    B, T, M, J = config.compute_blocks, config.x_trits, config.adc_share, config.adcs
    bound = config.subarrays * config.active_rows
    mvms = 2
    p = rng.integers(-bound, bound + 1, (mvms, T, B, M, J))
    p[1] = -bound  # the extreme: every partial sum at its negative bound
    results = {}

    async def testbench(ctx):
        for n in range(mvms):
            for t in reversed(range(T)):
                for b in range(B):
                    for mux in range(M):
                        mode = (Mode.LOAD if (t, b) == (T - 1, 0) else
                                Mode.SCALE if b == 0 else Mode.ADD)
                        final = t == 0 and b == B - 1
                        for name, value in (("valid", 1), ("mux", mux), ("mode", mode),
                                            ("final", final), ("end", final and mux == M - 1)):
                            ctx.set(getattr(acc.step, name), value)
                        ctx.set(acc.p, [int(v) for v in p[n, t, b, mux]])
                        if ctx.get(acc.result_valid):
                            results[n, ctx.get(acc.result_mux)] = (
                                list(ctx.get(acc.result)), ctx.get(acc.result_end))
                        await ctx.tick()
                        # An idle cycle changes nothing.
                        ctx.set(acc.step.valid, 0)
                        ctx.set(acc.p, [bound] * J)
                        await ctx.tick()

    sim = Simulator(acc)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()
    powers = 3 ** np.arange(T)
    expected = np.einsum("ntbmj,t->nmj", p, powers)
    assert sorted(results) == [(n, mux) for n in range(mvms) for mux in range(M)]
    for (n, mux), (values, end) in results.items():
        np.testing.assert_array_equal(values, expected[n, mux])
        assert end == (mux == M - 1)
    assert np.abs(expected).max() < 2 ** (cbl_sum_shape(config).width - 1)
