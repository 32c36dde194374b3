"""tlcim.hw.stub: the behavioural subarray stub against SPEC 4-5 (``tlcim.golden.adc_code``),
and its black box."""

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.sim import Simulator

from tlcim import golden
from tlcim.golden import Config, PRESETS
from tlcim.hw.stub import SubarrayBlackBox, SubarraySignature, SubarrayStub
from helpers import simulate

CONFIGS = {
    "small": PRESETS["small"],
    "ternary": PRESETS["ternary"],  # adc_lsb 2, 4-bit ADC
    "ideal": PRESETS["ideal"],
    "odd": Config(rows=32, active_rows=16, cbls=6, x_trits=1, w_trits=1, adc_bits=2,
                  adc_share=1, subarrays=1, clusters=1, cluster_size=1),
    "one_row": Config(rows=4, active_rows=1, cbls=4, x_trits=2, w_trits=2, adc_bits=1,
                      adc_share=2, subarrays=1, clusters=1, cluster_size=1),
}

#: (Q1, Q2) of weights -1, 0, +1 and of the corrupt pair; the discharge of a corrupt cell is 1.
PAIRS = np.array([(1, 1), (1, 0), (0, 0), (0, 1)])
#: (IN1, IN2) of inputs -1, 0, +1.
WORD_LINES = np.array([(0, 0), (1, 0), (1, 1)])


def expected_codes(config, cells, block, x, mux):
    """ADC codes for cell states ``cells`` [rows, cbls] (0..2 = weight + 1, 3 = corrupt)."""
    A = config.active_rows
    rows = cells[block * A:(block + 1) * A]
    cbls = np.arange(config.adcs) * config.adc_share + mux
    w = rows[:, cbls] - 1
    d = np.where(rows[:, cbls] == 3, 1, 1 - x[:, None] * w)
    return golden.adc_code(config, d.sum(axis=0))


@pytest.mark.parametrize("name", CONFIGS)
def test_codes_and_readback(name, rng):
    config = CONFIGS[name]
    stub = SubarrayStub(config)
    # Mostly valid cells, a few corrupt ones (the stub's documented behaviour).
    cells = rng.choice(4, size=(config.rows, config.cbls), p=[0.32, 0.32, 0.32, 0.04])
    cells[:config.active_rows] = 0  # block 0 all -1, for the corners below
    steps = [(int(rng.integers(config.compute_blocks)),
              rng.integers(-1, 2, config.active_rows), int(rng.integers(config.adc_share)))
             for _ in range(24)]
    # Corners: every discharge 2 (saturating a small ADC) and every discharge 0.
    steps += [(0, np.ones(config.active_rows, int), 0), (0, -np.ones(config.active_rows, int), 0)]
    bits = PAIRS[cells].reshape(config.rows, 2 * config.cbls)
    words = [sum(int(b) << i for i, b in enumerate(row)) for row in bits]
    got, readback = [], []

    async def testbench(ctx):
        for row, word in enumerate(words):
            ctx.set(stub.row_addr, row)
            ctx.set(stub.row_wdata, word)
            ctx.set(stub.row_we, 1)
            await ctx.tick()
        ctx.set(stub.row_we, 0)
        for row in range(config.rows + stub.read_latency):
            ctx.set(stub.row_addr, min(row, config.rows - 1))
            await ctx.tick()
            readback.append(ctx.get(stub.row_rdata))
        for i in range(len(steps) + stub.compute_latency):
            if i < len(steps):
                block, x, mux = steps[i]
                pairs = WORD_LINES[x + 1]
                ctx.set(stub.block, block)
                ctx.set(stub.wl1, sum(int(v) << a for a, v in enumerate(pairs[:, 0])))
                ctx.set(stub.wl2, sum(int(v) << a for a, v in enumerate(pairs[:, 1])))
                ctx.set(stub.mux, mux)
            await ctx.tick()
            got.append(list(ctx.get(stub.codes)))

    sim = Simulator(stub)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    simulate(sim)
    assert readback[stub.read_latency - 1:][:config.rows] == words
    for i, (block, x, mux) in enumerate(steps):
        np.testing.assert_array_equal(got[i + stub.compute_latency - 1],
                                      expected_codes(config, cells, block, x, mux),
                                      err_msg=f"step {i}")
    if not config.adc.is_ideal and config.adc_max_code < 2 * config.active_rows // config.adc_lsb:
        assert max(got[len(steps) - 2 + stub.compute_latency - 1]) == config.adc_max_code


def test_black_box_has_the_stub_ports():
    config = CONFIGS["small"]
    box = SubarrayBlackBox(config)
    assert box.signature == SubarraySignature(config)
    assert ((box.compute_latency, box.read_latency) ==
            (SubarrayStub.compute_latency, SubarrayStub.read_latency))
    text = verilog.convert(box, name="wrapper", emit_src=False)
    assert "tlcim_subarray macro" in text
    for port in ("clk", "rst", "row_addr", "row_wdata", "row_we", "row_rdata", "block", "wl1",
                 "wl2", "mux", "codes"):
        assert f".{port}(" in text


def test_signature_checks_config():
    with pytest.raises(TypeError, match="config must be a golden.Config"):
        SubarraySignature({"rows": 64})
    assert SubarraySignature(CONFIGS["small"]) != SubarraySignature(CONFIGS["ideal"])
    assert repr(SubarraySignature(CONFIGS["odd"])).startswith("SubarraySignature(Config(")
