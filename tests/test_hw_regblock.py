"""tlcim.hw.regblock: the register block; emulation-only registers only with the fault port,
and flip-flops only for the read/write bits."""

import pytest
from amaranth.sim import Simulator

from tlcim.golden import Config
from tlcim.hw.axi import RESP_OKAY
from tlcim.hw.regblock import RegisterBlock
from tlcim.hw.regmap import register_map
from tlcim.hw.registers import Access
from axi_lite import accessors, register_bench
from helpers import simulate


@pytest.mark.parametrize("emulation", [False, True])
def test_emulation_registers_only_with_the_fault_port(emulation):
    """Without ``emulation`` the FAULT_* registers answer OKAY, read 0, ignore writes and have
    no ports; with it they hold what is written."""
    regmap = register_map(Config.preset("small"))
    m, bus, regs = register_bench(regmap, emulation=emulation)
    assert regs.emulation is emulation
    ports = {name for name in regs.signature.members if name.startswith("fault_")}
    assert bool(ports) is emulation
    write, read = accessors(bus)
    address = regmap.address("FAULT_DATA0")

    async def testbench(ctx):
        assert await write(ctx, address, 0x12345678) == RESP_OKAY
        assert await read(ctx, address) == (0x12345678 if emulation else 0, RESP_OKAY)
        assert await write(ctx, regmap.address("FAULT_WRITE"), 1) == RESP_OKAY
        assert await read(ctx, regmap.address("REQ_MULT")) == (1, RESP_OKAY)  # untouched

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    simulate(sim)


def test_flip_flops_are_the_read_write_bits():
    """Synthesised without emulation, the register block's only flip-flops are its read/write
    bits (the fault registers cost nothing; the SRAM readback is not copied)."""
    from tlcim.yosys import synthesise
    regmap = register_map(Config.preset("small"))
    rw_bits = sum(field.width for register in regmap if not register.emulation
                  for field in register.fields if field.access is Access.RW)
    netlist = synthesise(RegisterBlock(regmap), name="top")
    assert sum(netlist.cells.get(kind, 0) for kind in ("DFF", "DFFR", "DFFS")) == rw_bits
