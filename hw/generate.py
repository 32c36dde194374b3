"""Verilog and register-map generation (``tlcim generate``).

Everything is produced in memory, so a configuration the hardware cannot build is refused
(``ValueError`` with the reason) before anything is written (:func:`tlcim.build.generate`
writes the files atomically). Output is reproducible: ``emit_src=False`` keeps
absolute source paths out of the Verilog, and nothing depends on time or machine.
"""

import functools
import json
import re

from amaranth.back import verilog

from .geometry import Geometry
from .top import Top

__all__ = ["TOP_NAME", "BLACKBOX_MODULE", "FILES", "verilog_text", "generated_files",
           "blackbox_declaration",
           "library_sources", "simulation_sources"]

#: Name of the generated top-level Verilog module.
TOP_NAME = "tlcim_top"
#: Module name of the subarray black box (provided by the analog flow).
BLACKBOX_MODULE = "tlcim_subarray"
#: The files :func:`generate` always writes, in order; behavioural library modules the design
#: instantiates (``hw/verilog``) are added beside them and listed in ``files.f``.
FILES = ("tlcim_top.v", "tlcim_top_blackbox.v", "files.f", "regmap.md", "regmap.json",
         "tlcim_regs.h", "config.json")


def verilog_text(config, *, blackbox=False, datapath=None, fault_port=False,
                 storage="verilog"):
    """Return the Verilog of :class:`tlcim.hw.top.Top` for ``config`` as text.

    Parameters
    ----------
    blackbox : bool
        Instantiate the subarrays as the port-only module ``tlcim_subarray``.
    datapath : wiring.Component or None
        Passed to :class:`tlcim.hw.top.Top` (tests substitute a stand-in).
    fault_port : bool
        Emulation only: the stubs' fault maps get their write port (``FAULT_*`` registers).
    storage : "verilog" or "dpi"
        The behavioural stubs' weight sets as ``tlcim_wsram`` (default), or every subarray as
        the C++ model ``tlcim_subarray_model`` (:mod:`tlcim.sim.model`).

    Raises
    ------
    ValueError
        If the hardware cannot be built for ``config``.
    """
    # The weight sets as the behavioural Verilog memory (hw/verilog/tlcim_wsram.v): the
    # paper's storage generates in seconds that way (SPEC 9).
    if storage not in ("verilog", "dpi"):
        raise ValueError(f"storage must be 'verilog' or 'dpi', not {storage!r}")
    # The same design is converted again by every simulator build and run that checks its
    # cached build against it (2-3 s on small, each): remember the last few (the configuration
    # is immutable; a substitute datapath is not, and is not remembered).
    convert = _convert if datapath is not None else _remembered
    return convert(config, blackbox, fault_port, storage, datapath)


def _convert(config, blackbox, fault_port, storage, datapath=None):
    top = Top(config, blackbox=blackbox, datapath=datapath, storage=storage,
              fault_port=fault_port)
    return verilog.convert(top, name=TOP_NAME, emit_src=False)


_remembered = functools.lru_cache(maxsize=8)(_convert)


def library_sources(text):
    """Return ``{file name: text}`` of the behavioural Verilog modules shipped in ``hw/verilog``
    that the Verilog ``text`` instantiates (they go next to it in every file list)."""
    from .reram_array import verilog_sources
    return {name: source for name, source in sorted(verilog_sources().items())
            if re.search(rf"^\s*{re.escape(name.removesuffix('.v'))}\s", text, re.MULTILINE)}


def simulation_sources(config, *, datapath=None):
    """Return ``{file name: text}`` of everything a simulator compiles for ``config``: the
    library modules it instantiates and ``tlcim_top.v``, in compilation order. Simulation
    builds of the real datapath have the emulation-only fault port (``FAULT_*`` registers),
    which hosts use to mirror the golden device's faults (``tlcim.sim.host.Host.inject``)."""
    text = verilog_text(config, datapath=datapath, fault_port=datapath is None)
    return {**library_sources(text), "tlcim_top.v": text}


def _config_json(config):
    geometry = Geometry(config)
    names = ("in_bits", "in_lanes", "in_beats", "out_bits", "out_lanes", "out_beats",
             "row_bits", "row_beats", "vector_length", "mvm_bits", "result_bits")
    return json.dumps({"parameters": config.to_dict(), "derived": config.derived(),
                       "geometry": {name: getattr(geometry, name) for name in names}},
                      indent=1) + "\n"


def blackbox_declaration(config, *, stand_in=False):
    """Return the port-only Verilog module ``tlcim_subarray`` (``(* blackbox *)``) that the
    black-box variant instantiates, with the ports of
    :class:`tlcim.hw.reram_array.NvmSubarrayBlackBox` (the stub's pins and the store/restore
    pins). ``stand_in``: a module instead whose outputs are registers inverted at every rising
    clock edge (simulation speed benchmarks: the periphery's own cost, as with a model of the
    macro that costs nothing; outputs that never change would let Verilator remove the logic
    that reads them)."""
    from .reram_array import NvmSubarrayBlackBox
    from .stub import SubarrayBlackBox
    ports = NvmSubarrayBlackBox.verilog_ports(config)
    lines = ["", "// Port-only black box of the analog subarray: the tapeout flow provides it.",
             "(* blackbox *)"] if not stand_in else \
        ["", "// A stand-in for the subarray: every output inverted at every clock edge."]
    lines.append(f"module {SubarrayBlackBox.module_name}"
                 f"({', '.join(name for _, name, _ in ports)});")
    for direction, name, width in ports:
        vector = f"[{width - 1}:0] " if width > 1 else ""
        lines.append(f"  {direction} {vector}{name};")
        if stand_in and direction == "output":
            lines += [f"  reg {vector}{name} = 0;", f"  always @(posedge clk) {name} <= ~{name};"]
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def generated_files(config):
    """Return ``{file name: text}`` of everything :func:`generate` writes for ``config``.

    Raises
    ------
    ValueError
        If the hardware cannot be built for ``config``.
    """
    top = Top(config, storage="verilog")
    regmap = top.regmap
    text = verilog.convert(top, name=TOP_NAME, emit_src=False)
    blackbox = verilog.convert(Top(config, blackbox=True), name=TOP_NAME, emit_src=False)
    library = library_sources(text + blackbox)
    files = {
        "tlcim_top.v": text,
        "tlcim_top_blackbox.v": blackbox + blackbox_declaration(config),
        "files.f": "".join(f"{name}\n" for name in [*library_sources(text), "tlcim_top.v"]),
        "regmap.md": regmap.markdown(),
        "regmap.json": regmap.json(),
        "tlcim_regs.h": regmap.c_header(),
        "config.json": _config_json(config),
    }
    assert tuple(files) == FILES
    files.update(library)  # behavioural library modules, when the design uses any
    return files


