"""tlcim.hw.mac: partial MACs, the adder tree across subarrays and the Horner accumulator
(SPEC 5)."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from tlcim import golden
from tlcim.golden import Config, PRESETS
from tlcim.hw.mac import Accumulator, PartialMac, adc_pieces, partial_mac_shape, piece_shape
from tlcim.hw.sequencer import Mode
from helpers import simulate

CONFIGS = {
    "small": PRESETS["small"],
    "ternary": PRESETS["ternary"],
    "ideal": PRESETS["ideal"],
    "wide_adc": Config(rows=64, active_rows=8, cbls=12, x_trits=2, w_trits=2, adc_bits=12,
                       adc_lsb=4, adc_share=3, subarrays=3, clusters=1, cluster_size=1),
    # ADC 1 serves the top weight trit of output 0 and the lowest of output 1.
    "misaligned": Config(rows=32, active_rows=8, cbls=6, x_trits=2, w_trits=3, adc_bits=4,
                         adc_share=2, subarrays=2, clusters=1, cluster_size=1),
    # Each ADC serves a whole output (2 CBLs) and one CBL of the next: pieces of two lengths.
    "mixed": Config(rows=32, active_rows=8, cbls=6, x_trits=3, w_trits=2, adc_bits=4,
                    adc_share=3, subarrays=2, clusters=1, cluster_size=1),
    # Pieces of two or more CBLs only (the LOAD clears the register), ADC 1 with two of them:
    # the clear must reach the piece whose mux positions are being issued, and only it.
    "split": Config(rows=32, active_rows=8, cbls=12, x_trits=2, w_trits=6, adc_bits=4,
                    adc_share=4, subarrays=2, clusters=1, cluster_size=1),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_partial_mac_sums_subarrays(name, rng):
    config = CONFIGS[name]
    mac = PartialMac(config)
    # Codes a discharge can give, plus the top code (beyond them for a wide ADC: clamped).
    reachable = config.adc.reachable_code
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
    simulate(sim)
    clamped = np.minimum(codes, reachable)
    expected = golden.partial_mac(config, clamped).sum(axis=1)
    np.testing.assert_array_equal(np.array(got), expected)
    bound = config.subarrays * config.active_rows
    assert np.abs(expected).max() <= bound < 2 ** (partial_mac_shape(config).width - 1)


def expected_pieces(config, p):
    """Golden reference of the accumulator: ``{(mvm, mux_lo): {adc: sum}}`` from
    ``p[mvm, t, b, mux, adc]``, straight from SPEC 5 (CBL ``c = adc * adc_share + mux`` is
    weight trit ``c % w_trits``), one sum per run of an ADC's CBLs within one output."""
    M, K = config.adc_share, config.w_trits
    expected = {}
    for n in range(p.shape[0]):
        for j in range(config.adcs):
            mux = M - 1
            while mux >= 0:
                hi_c = j * M + mux
                lo = mux
                while lo > 0 and (j * M + lo) % K:
                    lo -= 1
                total = 0
                for t in range(config.x_trits):
                    for pos in range(lo, mux + 1):
                        weight = 3 ** (t + (j * M + pos) % K - (j * M + lo) % K)
                        total += weight * int(p[n, t, :, pos, j].sum())
                expected.setdefault((n, lo), {})[j] = total
                assert (j * M + lo) // K == hi_c // K  # one output per piece
                mux = lo - 1
    return expected


@pytest.mark.parametrize("name", ["small", "ternary", "ideal", "misaligned", "mixed", "split"])
def test_pieces_cover_every_cbl_once(name):
    config = CONFIGS[name]
    seen = []
    for j, pieces in enumerate(adc_pieces(config)):
        assert [piece.mux_lo for piece in pieces] == sorted(piece.mux_lo for piece in pieces)
        for piece in pieces:
            for mux in range(piece.mux_lo, piece.mux_hi + 1):
                c = j * config.adc_share + mux
                assert divmod(c, config.w_trits) == (piece.output,
                                                     piece.k_lo + mux - piece.mux_lo)
                seen.append(c)
    assert sorted(seen) == list(range(config.cbls))


@pytest.mark.parametrize("name", ["small", "ternary", "ideal", "misaligned", "mixed", "split"])
def test_accumulator_horner(name, rng):
    config = CONFIGS[name]
    acc = Accumulator(config)
    B, T, M, J = config.compute_blocks, config.x_trits, config.adc_share, config.adcs
    bound = config.subarrays * config.active_rows
    mvms = 3
    p = rng.integers(-bound, bound + 1, (mvms, T, B, M, J))
    p[1] = -bound  # the extremes: every partial sum at its negative, then positive bound
    p[2] = bound
    results = {}

    async def testbench(ctx):
        n_seen = 0
        for n in range(mvms):
            for t in reversed(range(T)):
                for b in range(B):
                    for mux in reversed(range(M)):  # as the sequencer issues them
                        mode = (Mode.LOAD if (t, b) == (T - 1, 0) else
                                Mode.SCALE if b == 0 else Mode.ADD)
                        final = t == 0 and b == B - 1
                        for field, value in (("valid", 1), ("mux", mux), ("mode", mode),
                                             ("final", final), ("end", final and mux == 0)):
                            ctx.set(getattr(acc.step, field), value)
                        ctx.set(acc.p, [int(v) for v in p[n, t, b, mux]])
                        n_seen = record(ctx, n_seen)
                        await ctx.tick()
                        if n == 0 and mux == 0:
                            # An idle cycle changes nothing (the first MVM has one before every
                            # group, where the sequencer may hold; the others run back to
                            # back). Its garbage `p` must not count.
                            ctx.set(acc.step.valid, 0)
                            ctx.set(acc.step.mux, M - 1)
                            ctx.set(acc.p, [bound] * J)
                            n_seen = record(ctx, n_seen)
                            await ctx.tick()
        ctx.set(acc.step.valid, 0)
        record(ctx, n_seen)

    def record(ctx, n_seen):
        # Results are seen `latency` cycles after their step; returns the MVM count so far.
        if ctx.get(acc.result_valid):
            mux = ctx.get(acc.result_mux)
            assert (n_seen, mux) not in results
            results[n_seen, mux] = (list(ctx.get(acc.result)), ctx.get(acc.result_end))
            return n_seen + (mux == 0)
        return n_seen

    sim = Simulator(acc)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    simulate(sim)
    expected = expected_pieces(config, p)
    closes = {piece.mux_lo for pieces in adc_pieces(config) for piece in pieces}
    assert sorted(results) == [(n, mux) for n in range(mvms) for mux in range(M)]
    for (n, mux), (values, end) in results.items():
        assert end == (mux == 0)
        if mux in closes:
            got = {j: values[j] for j in expected[n, mux]}
            assert got == expected[n, mux], f"MVM {n}, mux {mux}"
        else:
            assert (n, mux) not in expected
    largest = max(abs(v) for sums in expected.values() for v in sums.values())
    assert largest < 2 ** (piece_shape(config).width - 1)


def test_accumulator_split_pieces_configuration():
    # The "split" case above is what it claims: every piece has two or more CBLs and one
    # ADC has two pieces.
    pieces = adc_pieces(CONFIGS["split"])
    assert all(p.mux_hi > p.mux_lo for ps in pieces for p in ps)
    assert max(len(ps) for ps in pieces) == 2
