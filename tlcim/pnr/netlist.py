"""The mapped netlist as place and route sees it: cell instances and named nets, bit by bit.

:func:`read_netlist` reads a structural Verilog netlist of library cells and macro instances
(the sign-off mapping) with yosys and returns a :class:`GateNetlist`. Every name is made safe
for the whole tool chain (graywolf, qrouter, netgen, OpenSTA's Verilog and SPEF readers): nets
and instances keep their hierarchical names with every character but letters, digits and
``_`` turned into ``_`` (``datapath.output.ff12`` becomes ``datapath_output_ff12``, so reports
still name blocks); port bits are ``name[i]``.

The libraries have no tie cells, so every constant a cell or an output port reads becomes a
net driven by a buffer whose input is tied to a supply rail (as qflow does without tie cells):
one buffer per value for the macros of each instance and one per value for the rest, so the
router connects every pin and LVS sees every connection.
"""

import dataclasses
import json
import pathlib
import re
import shutil
import tempfile

from tlcim.yosys import find_tool, run_tool

__all__ = ["Instance", "Port", "GateNetlist", "read_netlist", "safe_name"]


@dataclasses.dataclass(frozen=True)
class Instance:
    """A cell instance: ``name``, ``cell`` (library cell or macro) and ``pins``, a dict of
    bit-level pin name (``codes[3]``) to net name, in the cell's port order, and ``outputs``,
    the pins the cell drives."""

    name: str
    cell: str
    pins: dict
    outputs: frozenset


@dataclasses.dataclass(frozen=True)
class Port:
    """A top-level port: ``name``, ``direction`` (``input``/``output``), ``width``."""

    name: str
    direction: str
    width: int

    def bits(self):
        """The bit names of the port, least significant first (``name`` if 1 bit wide)."""
        if self.width == 1:
            return [self.name]
        return [f"{self.name}[{i}]" for i in range(self.width)]


@dataclasses.dataclass(frozen=True)
class GateNetlist:
    """A flat netlist of ``cells`` (standard cells, ties included) and ``macros`` (instances
    of the macro cells) under the top module ``top`` with ``ports``; ``ground`` and ``power``
    name the supply nets the tie buffers read."""

    top: str
    ports: tuple
    cells: tuple
    macros: tuple
    ground: str
    power: str

    def port_bits(self):
        """``{bit name: direction}`` of every top-level port bit, in port order."""
        return {bit: port.direction for port in self.ports for bit in port.bits()}

    def instances(self):
        """Cells and macros together."""
        return self.cells + self.macros

    def nets(self):
        """``{net: [(instance, pin), ...]}`` for every signal net, in instance order; top
        ports appear as ``("PIN", bit)``."""
        nets = {bit: [("PIN", bit)] for bit in self.port_bits()}
        for instance in self.instances():
            for pin, net in instance.pins.items():
                if net not in (self.ground, self.power):
                    nets.setdefault(net, []).append((instance.name, pin))
        return nets


def safe_name(name):
    """Return ``name`` with every character but letters, digits and ``_`` as ``_``
    (and a leading digit prefixed by ``n``)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", name.lstrip("\\"))
    return name if re.match(r"[A-Za-z_]", name) else f"n{name}"


def _bit_names(module):
    # One name per net bit: the port bit if any, else the shortest public name.
    names = {}
    for name, port in module["ports"].items():
        bits = port["bits"]
        for i, bit in enumerate(bits):
            names[bit] = name if len(bits) == 1 else f"{name}[{i}]"
    candidates = {}
    for name, net in module["netnames"].items():
        if net.get("hide_name"):
            continue
        bits = net["bits"]
        for i, bit in enumerate(bits):
            if isinstance(bit, int) and bit not in names:
                label = safe_name(name if len(bits) == 1 else f"{name}_{i}")
                best = candidates.get(bit)
                if best is None or (len(label), label) < (len(best), best):
                    candidates[bit] = label
    used = set(names.values())
    for bit in sorted(candidates):
        label = candidates[bit]
        while label in used:
            label += "_"
        used.add(label)
        names[bit] = label
    return names


def from_json(dump, top, macro_cells, *, buffer=("BUFX2", "A", "Y"), ground="gnd",
              power="vdd"):
    """Return the :class:`GateNetlist` of module ``top`` in a yosys JSON ``dump``; instances
    of ``macro_cells`` are the macros, ``buffer`` (cell, input, output) ties constants."""
    module = dump["modules"][top]
    names = _bit_names(module)
    ports = tuple(Port(name, port["direction"], len(port["bits"]))
                  for name, port in module["ports"].items())
    ties, tie_cells = {}, []

    def tie(value, group):
        # The net a constant ``value`` of ``group`` reads: one tie buffer per pair.
        key = (value, group)
        if key not in ties:
            net = f"tie{value}_{len(ties)}"
            cell, pin_in, pin_out = buffer
            tie_cells.append(Instance(f"tie{value}_{len(ties)}_buf", cell,
                                      {pin_in: power if value == "1" else ground,
                                       pin_out: net}, frozenset([pin_out])))
            ties[key] = net
        return ties[key]

    cells, macros = [], []
    used = set()
    for name, cell in module["cells"].items():
        is_macro = cell["type"] in macro_cells
        instance_name = safe_name(name)
        while instance_name in used:
            instance_name += "_"
        used.add(instance_name)
        pins, outputs = {}, set()
        for pin, bits in cell["connections"].items():
            direction = cell.get("port_directions", {}).get(pin)
            if direction is None:
                raise ValueError(f"cell {cell['type']} of instance {name} is not in the "
                                 f"libraries read (pin {pin} has no direction)")
            for i, bit in enumerate(bits):
                pin_bit = pin if len(bits) == 1 and not is_macro else f"{pin}[{i}]"
                if is_macro and len(bits) == 1:
                    pin_bit = pin
                if isinstance(bit, str):
                    if direction == "output" or bit not in "01":
                        continue  # an unconnected output, or an undefined input left open
                    pins[pin_bit] = tie(bit, instance_name if is_macro else "")
                else:
                    pins[pin_bit] = names[bit]
                if direction == "output":
                    outputs.add(pin_bit)
        (macros if is_macro else cells).append(
            Instance(instance_name, cell["type"], pins, frozenset(outputs)))
    # Output ports that read a constant or another port directly get a buffer of their own.
    driven = {net for instance in cells + macros for pin, net in instance.pins.items()
              if pin in instance.outputs}
    for name, port in module["ports"].items():
        if port["direction"] != "output":
            continue
        for i, bit in enumerate(port["bits"]):
            label = name if len(port["bits"]) == 1 else f"{name}[{i}]"
            if isinstance(bit, str) or names[bit] != label or label not in driven:
                source = tie(bit, "") if isinstance(bit, str) else names[bit]
                cell, pin_in, pin_out = buffer
                cells.append(Instance(f"{safe_name(label)}_buf", cell,
                                      {pin_in: source, pin_out: label}, frozenset([pin_out])))
    return GateNetlist(top, ports, tuple(tie_cells + cells), tuple(macros), ground, power)


def read_netlist(verilog, liberties, top, macro_cells, **options):
    """Read the structural Verilog file ``verilog`` (cells described by the Liberty files
    ``liberties``) with yosys; return its :class:`GateNetlist` (see :func:`from_json`).

    Raises
    ------
    RuntimeError
        If yosys cannot read it.
    """
    with tempfile.TemporaryDirectory(prefix="tlcim-netlist-") as temp:
        # The yowasp build sees the work folder only: copy the inputs in.
        work = pathlib.Path(temp)
        lines = []
        for index, lib in enumerate(liberties):
            shutil.copyfile(lib, work / f"cells{index}.lib")
            lines.append(f"read_liberty -lib cells{index}.lib")
        shutil.copyfile(verilog, work / "netlist.v")
        lines += ["read_verilog netlist.v", f"hierarchy -check -top {top}",
                  "write_json netlist.json"]
        (work / "read.ys").write_text("\n".join(lines) + "\n")
        run_tool(find_tool("yosys", "YOSYS") + ["-q", "read.ys"], work,
                 "yosys reading the mapped netlist")
        dump = json.loads((work / "netlist.json").read_text())
    return from_json(dump, top, set(macro_cells), **options)
