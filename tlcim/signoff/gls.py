"""Gate-level simulation: the ``gls`` target of ``tlcim run``.

``tlcim run --target gls[:icarus|verilator]`` runs a session script on the mapped netlist of
the sign-off flow (:func:`tlcim.signoff.flow.implement` at :data:`GLS_CLOCK_MHZ`, cached: hold
buffers included) instead of the RTL: the netlist, models of its cells, the behavioural
subarray behind the black box's ports (``tlcim export``'s ``sim/tlcim_subarray_model.v`` with
its weight-set memory) and the bulk stream harness of the ``rtl`` target
(``sim/tlcim_harness.v``), driven by the same session server (:mod:`tlcim.sim.session`), so
its results compare entry by entry with ``--target golden``.

Cell models (:data:`MODELS`): ``liberty`` (the default) are the cells' Liberty functions
written out by yosys as plain Verilog (continuous assignments, a clocked ``always`` per
flip-flop, no timing): what the equivalence proof also reads, and several times faster to
simulate; ``vendor`` are the library's own Verilog models (``osu018_stdcells.v``: gate
primitives and UDP flip-flops with ``specify`` blocks, which Icarus ignores without
``-gspecify``), chosen with ``TLCIM_GLS_MODELS=vendor``. Both are zero-delay here: timing is
STA's job. Flip-flops start unknown (X) under Icarus, as silicon does; the reset of the
session bench defines every register that has a reset.

The netlist is the black-box top: it has no emulation-only fault registers, so ``inject``
operations end as ``unsupported`` (``tlcim.sim.script.UNSUPPORTED``) where the golden target
accepts them; scripts that compare both targets leave faults out.
"""

import os
import shutil

from tlcim.sim.rtl import (HARNESS, HARNESS_TOPLEVEL, RtlTarget, choose_simulator,
                           compile_sources, harness_parameters)

__all__ = ["GLS_CLOCK_MHZ", "SIMULATORS", "MODELS", "MODELS_VARIABLE", "CELL_WAIVERS",
           "cell_models", "gls_sources", "build_gls", "open_target"]

#: The clock the simulated netlist is mapped for (the sign-off target).
GLS_CLOCK_MHZ = 100.0
#: Simulators of the ``gls`` target, default first.
SIMULATORS = ("icarus", "verilator")
#: Cell models (see the module docstring), default first; ``$TLCIM_GLS_MODELS`` chooses.
MODELS = ("liberty", "vendor")
MODELS_VARIABLE = "TLCIM_GLS_MODELS"
#: Verilator warnings of the netlist and the cell models, each with the reason.
CELL_WAIVERS = {
    "DECLFILENAME": "the cell models are many modules in one file",
    "UNUSEDSIGNAL": "outputs of the netlist's cells that drive nothing",
    "PINCONNECTEMPTY": "unconnected outputs of cells (the macro's unused pins)",
    "UNDRIVEN": "undriven bits the mapped netlist leaves (tied off by the cells' inputs)",
    "IMPLICIT": "the vendor models' primitives declare their outputs implicitly",
    "MINTYPMAXDLY": "the vendor models' specify delays",
    "SPECIFYIGN": "the vendor models' specify blocks (zero delay: timing is STA's)",
    "BLKSEQ": "the vendor models' UDP flip-flops",
    "TIMESCALEMOD": "the vendor models carry their own timescale",
    "MULTITOP": "the cell library defines cells the netlist does not use",
    "GENUNNAMED": "the vendor models' generate blocks",
    "EOFNEWLINE": "the vendor models' last line",
}


def cell_models(library, kind):
    """Return the Verilog models of every cell of ``library``: ``kind`` ``liberty`` (the
    Liberty functions, written by yosys) or ``vendor`` (the library's own file).

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    """
    if kind not in MODELS:
        raise ValueError(f"cell models must be one of {', '.join(MODELS)}, not {kind!r}")
    if kind == "vendor":
        return library.verilog.read_text()
    from tlcim.yosys import find_tool, run_tool
    from .mapping import cache_root, strip_version
    work = cache_root() / f"cells-{library.technology.name}.tmp{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        (work / "cells.lib").write_text(library.liberty.read_text())
        (work / "cells.ys").write_text("read_liberty -ignore_miss_func cells.lib\nproc\n"
                                       "opt_clean\nwrite_verilog -noattr cells.v\n")
        run_tool(find_tool("yosys", "YOSYS") + ["-q", "cells.ys"], work,
                 "yosys (cell models from the Liberty functions)")
        return strip_version((work / "cells.v").read_text())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def gls_sources(implementation, library, models):
    """Return ``{file name: text}`` of a gate-level simulation of ``implementation``: cell
    models, the netlist, the behavioural subarray, its library modules and the bulk harness,
    in compilation order."""
    from tlcim.export import _model_verilog
    from tlcim.hw.generate import library_sources
    model = _model_verilog(implementation.config)
    sources = {f"{library.technology.name}_cells.v": cell_models(library, models),
               "tlcim_top.v": implementation.path("netlist").read_text()}
    sources.update(library_sources(model))
    sources["tlcim_subarray_model.v"] = model
    sources[HARNESS.name] = HARNESS.read_text()
    return sources


def build_gls(config, simulator=SIMULATORS[0], *, models=None, progress=print):
    """Build (cached) the gate-level simulation of ``config`` for ``simulator``; return the
    :class:`tlcim.sim.rtl.Build` (toplevel: the bulk harness).

    Raises
    ------
    ValueError
        If the simulator, the cell library or OpenSTA is missing, or ``config`` cannot be
        built.
    """
    from .flow import implement
    from .library import find_library
    models = models or os.environ.get(MODELS_VARIABLE) or MODELS[0]
    if models not in MODELS:
        raise ValueError(f"${MODELS_VARIABLE} must be one of {', '.join(MODELS)}, not "
                         f"{models!r}")
    implementation = implement(config, GLS_CLOCK_MHZ, progress=progress)
    library = find_library()
    sources = gls_sources(implementation, library, models)
    args = []
    if simulator == "verilator":
        args = [f"-Wno-{name}" for name in CELL_WAIVERS]
    # Unoptimised C++: gate-level sessions are short and the build dominates (small: 32 s to
    # build at -O0 against 68 s at -O3, the test's session 6 s either way).
    return compile_sources(config, simulator, sources, variant=f"gls-{models}",
                           toplevel=HARNESS_TOPLEVEL, parameters=harness_parameters(config),
                           build_args=args, optimise=False)


def open_target(config, option):
    """The ``gls[:icarus|verilator]`` target factory of :mod:`tlcim.sim.script`."""
    simulator = choose_simulator("gls", option, SIMULATORS)
    built = build_gls(config, simulator)
    return RtlTarget(config, simulator, built=built, fault_port=False, label="gls")
