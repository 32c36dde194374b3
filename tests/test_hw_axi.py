"""tlcim.hw.axi: the AXI4-Lite subordinate in front of a register block, cycle by cycle in the
Amaranth simulator (byte strobes, one-cycle responses, SLVERR, write pulses, clear strobes)."""

from amaranth.sim import Simulator

from tlcim.golden import Config
from tlcim.hw.axi import RESP_OKAY, RESP_SLVERR
from tlcim.hw.regmap import register_map
from axi_lite import accessors, register_bench
from helpers import simulate


def test_register_block_over_axi_lite():
    """Writes with strobes, W1P pulses, ROC clear strobes and SLVERR, cycle by cycle."""
    regmap = register_map(Config.preset("small"))
    m, bus, regs = register_bench(regmap)
    write, read = accessors(bus)
    seen = {"clear": 0, "error_clear": 0}

    async def watch(ctx):
        async for clk_edge, rst, clear, error_clear in ctx.tick().sample(
                regs.ctrl_clear, regs.error_clear):
            seen["clear"] += clear
            seen["error_clear"] += error_clear

    async def testbench(ctx):
        assert await read(ctx, regmap.address("ID")) == (regmap["ID"].reset, RESP_OKAY)
        assert await read(ctx, regmap.address("REQ_MULT")) == (1, RESP_OKAY)  # reset value
        assert await write(ctx, regmap.address("REQ_MULT"), 0xABCD, strobe=0b0010) == RESP_OKAY
        assert ctx.get(regs.req_mult_value) == 0xAB01
        ctx.set(regs.error_code, 5)
        assert await read(ctx, regmap.address("ERROR")) == (5, RESP_OKAY)
        assert await write(ctx, regmap.address("ERROR"), 0) == RESP_OKAY
        assert await write(ctx, regmap.address("CTRL"), 0x103) == RESP_OKAY
        assert (ctx.get(regs.ctrl_requant), ctx.get(regs.ctrl_relu)) == (1, 1)
        assert await read(ctx, regmap.address("CTRL")) == (0x3, RESP_OKAY)  # clear reads 0
        assert await write(ctx, 0x1F4, 0xFFFFFFFF) == RESP_SLVERR
        assert await read(ctx, 0x1F4) == (0, RESP_SLVERR)
        assert seen == {"clear": 1, "error_clear": 1}

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.add_process(watch)
    simulate(sim)
