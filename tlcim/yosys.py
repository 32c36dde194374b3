"""Synthesis with yosys (the yowasp build from PyPI): finding the tools, running them, and
mapping an Amaranth design onto a cell library.

:func:`synthesise` turns a design into a :class:`Netlist`: yosys' generic gates first
(``synth -flatten -noabc``: word-level optimisation, then one gate per bit operation), then
a mapping onto a Liberty library (default the shipped ``tlcim/data/generic.lib``, areas in
gate equivalents, NAND2 = 1) with ``dfflibmap`` and ``abc`` (:data:`ABC_SCRIPT`), and an
estimated transistor count of the mapped cells (:data:`TRANSISTORS`). Memories
(``amaranth.lib.memory.Memory``) are kept whole, as the SRAM macros a chip takes from a memory
compiler; ``Instance`` s of external modules stay black boxes.
"""

import dataclasses
import importlib.resources
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from amaranth.back import rtlil
from amaranth.hdl import Fragment, Instance

__all__ = ["TRANSISTORS", "ABC_SCRIPT", "find_tool", "run_tool", "Netlist", "blackbox_verilog",
           "synthesise"]


#: Estimated transistors per cell of ``generic.lib``: static CMOS topologies. INV 2; NAND/NOR
#: 2 per input; AND/OR = NAND/NOR + INV; AOI/OAI 2 per input; XOR2/XNOR2 as the 12-transistor
#: complementary gate with input inverters; MUX2 as transmission gates with buffered output
#: (12); DFF as the transmission-gate master-slave flip-flop with local clock inverters (24),
#: 4 more for an asynchronous clear or preset.
TRANSISTORS = {
    "INV": 2, "BUF": 4, "NAND2": 4, "NOR2": 4, "AND2": 6, "OR2": 6, "NAND3": 6, "NOR3": 6,
    "AOI21": 6, "OAI21": 6, "AOI22": 8, "OAI22": 8, "XOR2": 12, "XNOR2": 12, "MUX2": 12,
    "DFF": 24, "DFFR": 28, "DFFS": 28,
}


#: ABC script of the mapping onto ``generic.lib``: area-oriented mapping after two rounds of
#: logic restructuring. On the paper's output stage it takes 1/20 of the time of ABC's default
#: script (which adds SAT sweeping and retiming-aware passes) for 4 % more area; the default
#: made ``tlcim synth`` on ``paper`` impractically slow. Commas stand for spaces (yosys).
ABC_SCRIPT = "+strash;dc2;dch,-f;map,-a;topo"


def find_tool(name, env):
    """Return the command (a list) that runs the yowasp build of tool ``name``.

    The environment variable ``env`` overrides it (as amaranth's platforms do); otherwise the
    ``yowasp-<name>`` script installed beside this Python, or on ``PATH``.

    Raises
    ------
    ValueError
        If ``env`` names no executable program.
    RuntimeError
        If no such tool is installed.
    """
    if os.environ.get(env):
        chosen = os.environ[env]
        if shutil.which(chosen) is None:
            raise ValueError(f"${env} must name an executable program, not {chosen!r}")
        return [chosen]
    script = f"yowasp-{name}"
    beside = pathlib.Path(sys.executable).parent / script
    if beside.exists():
        return [str(beside)]
    found = shutil.which(script)
    if found:
        return [found]
    raise RuntimeError(f"{script} is not installed (pip install {script.split('-')[0]}-"
                       f"{'-'.join(script.split('-')[1:])}) and ${env} is not set")


def run_tool(command, cwd, what):
    """Run ``command`` in ``cwd`` and return its standard output.

    Raises
    ------
    RuntimeError
        If it fails: ``"<what> failed (exit N):"`` and the last 30 lines of its output.
    """
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode:
        log = (result.stdout + result.stderr).strip().splitlines()
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n" +
                           "\n".join(log[-30:]))
    return result.stdout


@dataclasses.dataclass(frozen=True)
class Netlist:
    """Synthesis result of one design.

    Members
    -------
    generic : dict
        Cell type -> count after generic synthesis (yosys internal gates, ``$_`` stripped).
    cells : dict
        Library cell -> count after mapping onto ``generic.lib``.
    ge : float
        Area in gate equivalents.
    sequential_ge : float
        Area of the flip-flops, in gate equivalents.
    transistors : int
        Estimated transistor count (:data:`TRANSISTORS`).
    blackboxes : dict
        Black-box cell type -> count (not in the area).
    memories : tuple of dict
        The memories kept whole (SRAM macros): ``name``, ``width``, ``depth``, ``bits``,
        ``read_ports``, ``write_ports``. Not in ``ge``: a chip takes them from a memory
        compiler (:mod:`tlcim.synth` counts their area by the bit).
    """

    generic: dict
    cells: dict
    ge: float
    sequential_ge: float
    transistors: int
    blackboxes: dict
    memories: tuple = ()

    @property
    def memory_bits(self):
        """Bits of all memories (SRAM macros)."""
        return sum(memory["bits"] for memory in self.memories)

    @property
    def combinational_ge(self):
        """Area of everything but the flip-flops, in gate equivalents."""
        return self.ge - self.sequential_ge


def blackbox_verilog(fragment):
    """Return port-only ``(* blackbox *)`` Verilog declarations of the module types that
    ``Instance`` cells in the elaborated ``fragment`` name (port widths from the first instance
    of each type), so that yosys and Verilator can keep them as black boxes."""
    types = {}

    def walk(fragment):
        if isinstance(fragment, Instance):
            types.setdefault(fragment.type, fragment)
        for sub, *_ in fragment.subfragments:
            walk(sub)
    walk(fragment)
    text = []
    for name, instance in sorted(types.items()):
        ports = list(instance.ports.items())
        decls = [f"  parameter {key} = 0;" for key in instance.parameters]
        for port, (value, kind) in ports:
            direction = {"i": "input", "o": "output", "io": "inout"}[kind]
            width = len(value)
            decls.append(f"  {direction} [{width - 1}:0] {port};" if width > 1 else
                         f"  {direction} {port};")
        text.append(f"(* blackbox *)\nmodule {name}({', '.join(p for p, _ in ports)});\n" +
                    "\n".join(decls) + "\nendmodule\n")
    return "".join(text)


def _strip(kind):
    name = kind.lstrip("\\")
    return name[2:-1] if name.startswith("$_") and name.endswith("_") else name


def synthesise(design, *, name="top", workdir=None, liberty=None):
    """Synthesise ``design`` and return its :class:`Netlist`.

    Parameters
    ----------
    design : amaranth Elaboratable
        Usually a ``wiring.Component`` (its signature gives the ports). Instances of external
        modules in it become black boxes.
    name : str
        Name of the top module.
    workdir : path or None
        Keep the RTLIL, script and logs there (default: a temporary folder, removed).
    liberty : path or None
        Cell library (default: the shipped ``generic.lib``).
    """
    fragment = Fragment.get(design, None)
    text = rtlil.convert(design, name=name, emit_src=False)
    blackboxes = blackbox_verilog(fragment)
    with tempfile.TemporaryDirectory(prefix="tlcim-synth-") as temp:
        work = pathlib.Path(workdir or temp)
        work.mkdir(parents=True, exist_ok=True)
        lib = work / "generic.lib"
        source = pathlib.Path(liberty) if liberty else \
            importlib.resources.files("tlcim.data") / "generic.lib"
        lib.write_text(source.read_text())
        (work / "design.il").write_text(text)
        lines = []
        if blackboxes:
            (work / "blackboxes.v").write_text(blackboxes)
            lines.append("read_verilog -lib blackboxes.v")
        lines += [
            "read_rtlil design.il",
            # yosys' `synth` up to its fine stage, then that stage without `memory_map`:
            # memories stay whole, to be counted as SRAM macros.
            f"synth -flatten -noabc -top {name} -run begin:fine",
            # Constant tables (the encoder's lookup) are logic, not SRAM: map the ROMs.
            "memory_map -rom-only",
            "opt -fast -full", "opt -full", "techmap", "opt -fast",
            "select t:$mem_v2", "write_json -selected memories.json", "select -clear",
            "tee -q -o generic.json stat -json",
            "dfflibmap -liberty generic.lib",
            "abc -liberty generic.lib" + (f" -script {ABC_SCRIPT}" if ABC_SCRIPT else ""),
            "opt_clean -purge",
            "tee -q -o mapped.json stat -json -liberty generic.lib",
        ]
        (work / "synth.ys").write_text("\n".join(lines) + "\n")
        run_tool(find_tool("yosys", "YOSYS") + ["-q", "-l", "synth.log", "synth.ys"], work,
             f"yosys synthesis of {name}")
        generic = json.loads((work / "generic.json").read_text())["design"]
        mapped = json.loads((work / "mapped.json").read_text())["design"]
        memories = _memories(json.loads((work / "memories.json").read_text()))
    generic_cells = {_strip(k): v for k, v in generic.get("num_cells_by_type", {}).items()}
    cells, black = {}, {}
    for kind, count in mapped.get("num_cells_by_type", {}).items():
        kind = _strip(kind)
        (cells if kind in TRANSISTORS else black)[kind] = count
    black.pop("$mem_v2", None)
    for kind in black:
        generic_cells.pop(kind, None)
    generic_cells.pop("$mem_v2", None)
    return Netlist(generic=generic_cells, cells=cells, ge=float(mapped.get("area", 0.0)),
                   sequential_ge=float(mapped.get("sequential_area", 0.0)),
                   transistors=sum(TRANSISTORS[k] * n for k, n in cells.items()),
                   blackboxes=black, memories=memories)


def _memories(dump):
    # The $mem_v2 cells of a yosys JSON dump, as the memory records of a Netlist.
    found = []
    for module in dump.get("modules", {}).values():
        for cell_name, cell in sorted(module.get("cells", {}).items()):
            if cell["type"] != "$mem_v2":
                continue
            number = {key: int(value, 2) for key, value in cell["parameters"].items()
                      if key in ("WIDTH", "SIZE", "RD_PORTS", "WR_PORTS")}
            found.append({"name": cell_name.lstrip("\\"), "width": number["WIDTH"],
                          "depth": number["SIZE"], "bits": number["WIDTH"] * number["SIZE"],
                          "read_ports": number["RD_PORTS"],
                          "write_ports": number["WR_PORTS"]})
    return tuple(found)
