"""tlcim.hw.regmap: the register catalogue of a configuration; configuration readback, address
layout, the store/restore and emulation-only registers, the readback windows."""

import dataclasses
import json

import pytest

from tlcim.golden import Config, PRESETS
from tlcim.hw.geometry import Geometry
from tlcim.hw.interfaces import DEFAULT_TIMING, NVM_PHASES
from tlcim.hw.regmap import NVM_BASE, nvm_registers, register_map
from tlcim.hw.registers import ADDRESS_BITS, Access, RegisterMap
from helpers import NVM_TINY as TINY


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


@pytest.mark.parametrize("config", [TINY, PRESETS["paper"]], ids=["tiny", "paper"])
def test_register_description(config):
    registers = RegisterMap(nvm_registers(config))     # checks overlaps and unique names
    assert all(NVM_BASE <= r.address < NVM_BASE + 0x100 for r in registers)
    assert {registers[f"NVM_T_{name.upper()}"].field("cycles").reset
            for name in NVM_PHASES} <= set(DEFAULT_TIMING.values())
    assert registers["NVM_CMD"].encode(op=1, set=config.weight_sets) >> 16 == \
        config.weight_sets


def test_register_window_limits():
    config = Config.preset("small")
    regmap = register_map(config)
    # One readback word per 16 cells, one fault word per 32 bits of a fault-map row.
    assert [r.name for r in regmap if r.name.startswith("SRAM_DATA")] == ["SRAM_DATA0",
                                                                         "SRAM_DATA1"]
    assert regmap.address("FAULT_DATA0") == 0x480
    # The widest buildable row fills the readback window exactly (tlcim.hw.limits).
    widest = register_map(config.replace(cbls=896, w_trits=1, adc_share=1))
    last = [r for r in widest if r.name.startswith("SRAM_DATA")][-1]
    assert last.address == widest.address("FAULT_SEL") - 4
