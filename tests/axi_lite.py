"""An AXI4-Lite manager for the Amaranth testbenches of the register block (test_hw_axi.py,
test_hw_regblock.py)."""

from amaranth.hdl import Module
from amaranth.lib import wiring

from tlcim.hw.axi import AXI4LiteSlave
from tlcim.hw.regblock import RegisterBlock


def register_bench(regmap, **kwargs):
    """A :class:`RegisterBlock` of ``regmap`` behind an :class:`AXI4LiteSlave`: returns the
    module, the AXI4-Lite port and the register block."""
    m = Module()
    m.submodules.axil = axil = AXI4LiteSlave()
    m.submodules.regs = regs = RegisterBlock(regmap, **kwargs)
    wiring.connect(m, axil.bus, regs.bus)
    return m, axil.axil, regs


def accessors(bus):
    """``write(ctx, address, data, strobe=0xF)`` and ``read(ctx, address)`` of one register over
    the AXI4-Lite port ``bus``, returning the response (and the data). Hand-written on purpose:
    they check the subordinate cycle by cycle (both write channels taken together, the response
    valid one cycle after the address)."""
    async def write(ctx, address, data, strobe=0xF):
        ctx.set(bus.awaddr, address)
        ctx.set(bus.wdata, data)
        ctx.set(bus.wstrb, strobe)
        ctx.set(bus.awvalid, 1)
        ctx.set(bus.wvalid, 1)
        ctx.set(bus.bready, 1)
        while not ctx.get(bus.awready):
            await ctx.tick()
        assert ctx.get(bus.wready)
        await ctx.tick()
        ctx.set(bus.awvalid, 0)
        ctx.set(bus.wvalid, 0)
        assert ctx.get(bus.bvalid)
        response = ctx.get(bus.bresp)
        await ctx.tick()
        return response

    async def read(ctx, address):
        ctx.set(bus.araddr, address)
        ctx.set(bus.arvalid, 1)
        ctx.set(bus.rready, 1)
        while not ctx.get(bus.arready):
            await ctx.tick()
        await ctx.tick()
        ctx.set(bus.arvalid, 0)
        assert ctx.get(bus.rvalid)
        result = ctx.get(bus.rdata), ctx.get(bus.rresp)
        await ctx.tick()
        return result

    return write, read
