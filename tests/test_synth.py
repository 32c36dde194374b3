"""Area estimates (``tlcim synth``): the synthesis flow, the cell library, the full-adder bound,
the per-block grouping and a smoke test of the command on a tiny configuration."""

import json
import pathlib
import re

import pytest
from amaranth.hdl import ClockSignal, Instance, Module, ResetSignal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from tlcim.golden import Config
from tlcim import cli, synth

#: Tiny configuration with every block present (two subarrays, ADC mux, 5-bit ADC).
TINY = Config(rows=16, cbls=5, clusters=1, cluster_size=1, subarrays=2)


def test_liberty_cells_have_transistor_counts():
    text = (pathlib.Path(synth.__file__).parent / "data" / "generic.lib").read_text()
    cells = re.findall(r"cell \((\w+)\)", text)
    assert sorted(cells) == sorted(synth.TRANSISTORS)
    assert re.search(r"cell \(NAND2\) \{\s*area : 1\.0;", text)  # the GE unit


def test_full_adder_bound():
    # Two 6-bit operands into 7 bits: a 6-bit ripple adder's 5 full adders (+1 half adder).
    assert synth.full_adder_bound([6, 6], 7) == 5
    # Six 5-bit codes into 8 bits.
    assert synth.full_adder_bound([5] * 6, 8) == 22
    assert synth.full_adder_bound([3], 8) == 0
    with pytest.raises(ValueError, match=r"widths and result_width must be at least 1, not"):
        synth.full_adder_bound([0, 4], 5)


def test_area_quality_targets_met_on_paper():
    # Issue 5: both sums within 1.3x of their full-adder bound and smaller than naive.
    quality = synth.area_quality(Config.preset("paper"), progress=lambda line: None)
    for name in ("accumulate tree", "shift & add"):
        q = quality[name]
        assert q["bound_ge"] < q["ge"] <= 1.3 * q["bound_ge"], (name, q)
        assert q["ge"] < q["naive_ge"] and q["meets_target"], (name, q)


def test_synthesise_full_adder():
    netlist = synth.SumCircuit({"a": 1, "b": 1, "c": 1}, 2, lambda a, b, c: a + b + c)
    result = synth.synthesise(netlist, name="fa")
    assert 4 <= result.ge <= 10  # a full adder is a few gate equivalents
    assert result.sequential_ge == 0 and result.blackboxes == {}
    assert result.transistors == sum(synth.TRANSISTORS[k] * n for k, n in result.cells.items())
    assert sum(result.generic.values()) > 0


class _WithBlackBox(wiring.Component):
    a: In(4)
    y: Out(4)

    def elaborate(self, platform):
        m = Module()
        m.submodules.macro = Instance("analog_macro", i_clk=ClockSignal(), i_rst=ResetSignal(),
                                      i_a=self.a, o_y=self.y)
        return m


def test_black_boxes_are_kept_out_of_the_area():
    result = synth.synthesise(_WithBlackBox(), name="wrap")
    assert result.blackboxes == {"analog_macro": 1}
    assert result.ge == 0


class _WithMemory(wiring.Component):
    addr: In(5)
    data: In(12)
    en: In(1)
    q: Out(12)

    def elaborate(self, platform):
        m = Module()
        m.submodules.ram = ram = memory.Memory(shape=12, depth=32, init=[])
        write, read = ram.write_port(), ram.read_port()
        m.d.comb += [write.addr.eq(self.addr), write.data.eq(self.data), write.en.eq(self.en),
                     read.addr.eq(self.addr), self.q.eq(read.data)]
        return m


def test_memories_are_counted_as_sram_macros():
    result = synth.synthesise(_WithMemory(), name="ram")
    assert result.memories == ({"name": "ram", "width": 12, "depth": 32, "bits": 384,
                                "read_ports": 1, "write_ports": 1},)
    # Kept whole: no flip-flop per bit (384 of them would be over 2,000 GE).
    assert result.sequential_ge < 100 and "mem_v2" not in str(result.generic)
    assert result.memory_ge == pytest.approx(
        384 * synth.SRAM_UM2_PER_BIT_28NM / synth.UM2_PER_GE_28NM)
    numbers = result.to_dict()
    assert numbers["ge"] == pytest.approx(result.ge + result.memory_ge, abs=0.1)
    assert numbers["logic_ge"] == pytest.approx(result.ge, abs=0.1)


def test_constant_tables_are_logic_not_sram():
    # The encoder's lookup table becomes a ROM in yosys; ROMs are mapped to gates.
    from tlcim.hw.encoder import TernaryEncoder
    result = synth.synthesise(TernaryEncoder(TINY, 2), name="encoder")
    assert result.memories == () and result.memory_ge == 0
    assert result.ge > 50


def test_hierarchy_blocks_of_the_top():
    groups = synth.hierarchy_blocks(synth.periphery_top(TINY))
    for block in ("encoder", "sequencer", "accumulate tree", "shift & add", "output stage",
                  "registers", "interfaces"):
        assert block in groups, block
        assert all(count >= 1 for _, count in groups[block])
    assert "controller" not in groups or groups["controller"]


def test_synth_command_smoke(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY.to_toml())
    out = tmp_path / "area"
    assert cli.main(["synth", "--config", str(config), "--out", str(out)]) in (0, None)
    printed = capsys.readouterr().out
    assert "[1/" in printed and "whole periphery" in printed  # progress while running
    report = json.loads((out / "area.json").read_text())
    assert report["total_ge"] > 0 and report["whole"]["transistors"] > 0
    assert report["total_ge"] == pytest.approx(
        report["logic_ge"] + report["memory_bits"] * synth.SRAM_UM2_PER_BIT_28NM
        / synth.UM2_PER_GE_28NM, abs=0.2)
    assert report["assumptions"]["um2_per_ge_28nm"] == synth.UM2_PER_GE_28NM
    array = TINY.subarrays * TINY.rows * TINY.cbls * synth.CELL_UM2
    assert report["array_fraction"] == pytest.approx(
        report["total_ge"] * synth.UM2_PER_GE_28NM / array, rel=1e-3)
    assert report["logic_array_fraction"] == pytest.approx(
        report["logic_ge"] * synth.UM2_PER_GE_28NM / array, rel=1e-3)
    assert report["logic_array_fraction"] < report["array_fraction"]  # the buffer is SRAM
    blocks = report["blocks"]
    assert blocks["encoder"]["ge"] > 0 and blocks["shift & add"]["ge"] > 0
    listed = sum(entry["ge"] for entry in blocks.values())
    assert report["other_ge"] == pytest.approx(max(0, report["total_ge"] - listed), abs=0.2)
    quality = report["area_quality"]
    for name in ("accumulate tree", "shift & add"):
        assert quality[name]["bound_ge"] <= quality[name]["ge"]  # a lower bound is lower
        assert quality[name]["naive_ge"] > 0
    table = (out / "area.md").read_text()
    assert "| **whole periphery** |" in table and "Area quality" in table
