"""tlcim.yosys: the synthesis flow maps designs onto the cell library, keeps black boxes and
memories out of the gate count, and counts transistors by cell."""

import pathlib
import re

from amaranth.hdl import ClockSignal, Instance, Module, ResetSignal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from tlcim import yosys
from tlcim.area_quality import SumCircuit
from tlcim.golden import Config

#: Tiny configuration with every block present (two subarrays, ADC mux, 5-bit ADC).
TINY = Config(rows=16, cbls=5, clusters=1, cluster_size=1, subarrays=2)


def test_liberty_cells_have_transistor_counts():
    text = (pathlib.Path(yosys.__file__).parent / "data" / "generic.lib").read_text()
    cells = re.findall(r"cell \((\w+)\)", text)
    assert sorted(cells) == sorted(yosys.TRANSISTORS)
    assert re.search(r"cell \(NAND2\) \{\s*area : 1\.0;", text)  # the GE unit


def test_synthesise_full_adder():
    netlist = SumCircuit({"a": 1, "b": 1, "c": 1}, 2, lambda a, b, c: a + b + c)
    result = yosys.synthesise(netlist, name="fa")
    assert 4 <= result.ge <= 10  # a full adder is a few gate equivalents
    assert result.sequential_ge == 0 and result.blackboxes == {}
    assert result.transistors == sum(yosys.TRANSISTORS[k] * n for k, n in result.cells.items())
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
    result = yosys.synthesise(_WithBlackBox(), name="wrap")
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
    result = yosys.synthesise(_WithMemory(), name="ram")
    assert result.memories == ({"name": "ram", "width": 12, "depth": 32, "bits": 384,
                                "read_ports": 1, "write_ports": 1},)
    # Kept whole: no flip-flop per bit (384 of them would be over 2,000 GE).
    assert result.sequential_ge < 100 and "mem_v2" not in str(result.generic)
    assert result.memory_bits == 384


def test_constant_tables_are_logic_not_sram():
    # The encoder's lookup table becomes a ROM in yosys; ROMs are mapped to gates.
    from tlcim.hw.encoder import TernaryEncoder
    result = yosys.synthesise(TernaryEncoder(TINY, 2), name="encoder")
    assert result.memories == () and result.memory_bits == 0
    assert result.ge > 50
