"""The register description and everything generated from it: Markdown, JSON, C header and
the register block with its AXI4-Lite front end (Amaranth simulator)."""

import dataclasses
import json
import re

import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator

from tlcim.golden import Config, PRESETS
from tlcim.golden.errors import ErrorCode
from tlcim.hw.axi import AXI4LiteSlave, RESP_OKAY, RESP_SLVERR
from tlcim.hw.geometry import Geometry
from tlcim.hw.regblock import RegisterBlock
from tlcim.hw.regmap import register_map
from tlcim.hw.registers import ADDRESS_BITS, Access, Field, Register, RegisterMap


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_configuration_readback(name):
    config = PRESETS[name]
    regmap = register_map(config)
    for field in dataclasses.fields(Config):
        expected = getattr(config, field.name)
        assert regmap[f"CFG_{field.name.upper()}"].reset == (expected or 0)
    geometry = Geometry(config)
    for attribute in ("in_lanes", "in_bits", "in_beats", "out_lanes", "out_bits", "out_beats",
                      "row_beats", "result_bits"):
        assert regmap[f"GEO_{attribute.upper()}"].reset == getattr(geometry, attribute)
    assert regmap["VALID"].field("value").width == config.subarrays


def test_layout_is_consistent():
    regmap = register_map(Config())
    addresses = [register.address for register in regmap]
    assert len(set(addresses)) == len(addresses) and addresses == sorted(addresses)
    assert all(address % 4 == 0 and address < 1 << ADDRESS_BITS for address in addresses)
    # The store/restore controller's registers fill 0x200-0x2ff (hw.regmap.nvm_registers).
    nvm = [register.address for register in regmap if register.name.startswith("NVM_")]
    assert nvm and all(0x200 <= a < 0x300 for a in nvm)
    assert not any(0x200 <= a < 0x300 for a in addresses if a not in nvm)
    for name in ("CYCLES", "MVMS", "SATURATIONS"):
        assert regmap.address(f"{name}_HI") == regmap.address(f"{name}_LO") + 4
    assert regmap["ERROR"].clears_on_write
    assert regmap["CTRL"].field("clear").access is Access.W1P


def test_generated_documents():
    regmap = register_map(Config.preset("small"))
    data = json.loads(regmap.json())
    assert data == regmap.to_dict()
    assert [r["name"] for r in data["registers"]] == [r.name for r in regmap]
    markdown = regmap.markdown()
    header = regmap.c_header()
    for register in regmap:
        assert f"| `{register.address:#05x}` | `{register.name}` |" in markdown
        assert re.search(rf"^#define TLCIM_{register.name} {register.address:#05x}u$", header,
                         re.MULTILINE)
        for field in register.fields:
            name = f"TLCIM_{register.name}_{field.name.upper()}"
            assert f"#define {name}_SHIFT {field.lsb}u" in header
            assert f"#define {name}_MASK {field.mask:#010x}u" in header
    assert "#define TLCIM_NVM_CMD 0x200u" in header
    assert header.startswith("/* Generated") and header.rstrip().endswith("#endif /* TLCIM_REGS_H */")
    for code in ErrorCode:
        assert f"{code.value} = {code.label}" in markdown


def test_encode_decode():
    ctrl = register_map(Config())["CTRL"]
    word = ctrl.encode(requant=1, clear=1)
    assert word == 0x101
    assert ctrl.decode(word) == {"requant": 1, "relu": 0, "clear": 1}
    with pytest.raises(ValueError, match=r"CTRL.requant must fit in 1 bits, not 2"):
        ctrl.encode(requant=2)
    with pytest.raises(ValueError, match=r"register CTRL has no field 'speed'; fields are "
                                         r"requant, relu, clear"):
        ctrl.encode(speed=1)


def test_description_messages():
    with pytest.raises(ValueError, match=r"field wide must lie within bits 0..31, "
                                         r"not lsb 30 width 4"):
        Field("wide", 30, 4, Access.RW)
    with pytest.raises(ValueError, match=r"field f reset value must fit in 2 bits, not 4"):
        Field("f", 0, 2, Access.RW, reset=4)
    with pytest.raises(ValueError, match=r"register R address must be a multiple of 4 below "
                                         r"0x1000, not 0x6"):
        Register("R", 6, ())
    with pytest.raises(ValueError, match=r"register R: field b overlaps another"):
        Register("R", 0, (Field("a", 0, 4, Access.RW), Field("b", 3, 2, Access.RW)))
    with pytest.raises(ValueError, match=r"register addresses must be unique"):
        RegisterMap([Register("A", 0, ()), Register("B", 0, ())])
    with pytest.raises(ValueError, match=r"no register named 'NOPE'"):
        register_map(Config())["NOPE"]


def _bench(regmap, **kwargs):
    m = Module()
    m.submodules.axil = axil = AXI4LiteSlave()
    m.submodules.regs = regs = RegisterBlock(regmap, **kwargs)
    from amaranth.lib import wiring
    wiring.connect(m, axil.bus, regs.bus)
    return m, axil.axil, regs


def _accessors(bus):
    # AXI4-Lite write and read of one register, returning the response (and the data).
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


def test_register_block_over_axi_lite():
    """Writes with strobes, W1P pulses, ROC clear strobes and SLVERR, cycle by cycle."""
    regmap = register_map(Config.preset("small"))
    m, bus, regs = _bench(regmap)
    write, read = _accessors(bus)
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
    sim.run()


def test_emulation_registers_are_marked():
    """The fault port's registers (0x400 on) are emulation-only in every view of the map."""
    regmap = register_map(Config.preset("small"))
    emulation = [register.name for register in regmap if register.emulation]
    assert emulation and all(name.startswith("FAULT_") for name in emulation)
    assert all(regmap.address(name) >= 0x400 for name in emulation)
    assert not any(register.emulation for register in regmap
                   if register.name.startswith(("SRAM_", "NVM_")))
    data = json.loads(regmap.json())
    assert [r["name"] for r in data["registers"] if r["emulation"]] == emulation
    markdown = regmap.markdown()
    assert f"| `{regmap.address('FAULT_SEL'):#05x}` | `FAULT_SEL` | `0x0` | *(emulation)* " \
        in markdown
    assert "/* (emulation only: reads 0 without the fault port) " in regmap.c_header()
    assert regmap["VERSION"].decode(regmap["VERSION"].reset) == {"major": 1, "minor": 3}


@pytest.mark.parametrize("emulation", [False, True])
def test_emulation_registers_only_with_the_fault_port(emulation):
    """Without ``emulation`` the FAULT_* registers answer OKAY, read 0, ignore writes and have
    no ports; with it they hold what is written."""
    regmap = register_map(Config.preset("small"))
    m, bus, regs = _bench(regmap, emulation=emulation)
    assert regs.emulation is emulation
    ports = {name for name in regs.signature.members if name.startswith("fault_")}
    assert bool(ports) is emulation
    write, read = _accessors(bus)
    address = regmap.address("FAULT_DATA0")

    async def testbench(ctx):
        assert await write(ctx, address, 0x12345678) == RESP_OKAY
        assert await read(ctx, address) == (0x12345678 if emulation else 0, RESP_OKAY)
        assert await write(ctx, regmap.address("FAULT_WRITE"), 1) == RESP_OKAY
        assert await read(ctx, regmap.address("REQ_MULT")) == (1, RESP_OKAY)  # untouched

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()


def test_flip_flops_are_the_read_write_bits():
    """Synthesised without emulation, the register block's only flip-flops are its read/write
    bits (the fault registers cost nothing; the SRAM readback is not copied)."""
    from tlcim.yosys import synthesise
    regmap = register_map(Config.preset("small"))
    rw_bits = sum(field.width for register in regmap if not register.emulation
                  for field in register.fields if field.access is Access.RW)
    netlist = synthesise(RegisterBlock(regmap), name="top")
    assert sum(netlist.cells.get(kind, 0) for kind in ("DFF", "DFFR", "DFFS")) == rw_bits
