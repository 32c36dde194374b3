"""What place and route starts from, in one place: the mapped netlist, the cell library's files,
the macro's views and the timing constraints.

They are the sign-off flow's (:func:`tlcim.signoff.flow.implement`: the osu018 library found,
the periphery mapped onto it with the subarrays as the macro, fanout buffered and hold fixed,
the macro's Liberty and LEF views, the SDC that ``tlcim export`` ships), so that place and
route lays out what sign-off timed, with one difference: hold is fixed to a slack of
:data:`MACRO_HOLD_MARGIN_NS` at the macros' inputs, for the clock tree's skew.
:func:`prepare` copies them into the work folder, with the two files of qflow's osu018
set-up that only place and route needs (graywolf's parameters, netgen's device classes), and
returns :class:`Inputs`.
"""

import dataclasses
import pathlib
import shutil

from tlcim.signoff.library import LIBRARY_PACKAGE, LIBRARY_VARIABLE, SYSTEM_DEPS, find_library
from tlcim.signoff.views import MODULE

__all__ = ["DEFAULT_CLOCK_MHZ", "MACRO", "MACRO_HOLD_MARGIN_NS", "QFLOW_FILES", "Inputs",
           "prepare", "qflow_files"]

#: The sign-off clock (the periphery's timing target on osu018).
DEFAULT_CLOCK_MHZ = 100.0
#: Module name of the subarray macro.
MACRO = MODULE
#: Hold slack every macro input gets before layout. The clock tree reaches the macros'
#: clock pins later than the flip-flops that drive them: on ``small`` 0.15 ns later, which
#: left a macro input at -0.023 ns of hold after routing with only the netlist's own fix.
MACRO_HOLD_MARGIN_NS = 0.25
#: qflow's osu018 files that place and route needs besides sign-off's -> their names in the
#: work folder.
QFLOW_FILES = {"osu018.par": "graywolf.par", "osu018_setup.tcl": "netgen_setup.tcl"}


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Files in the work folder (names relative to it) and what place and route needs to
    know about them.

    Members
    -------
    netlist : str
        Structural Verilog of ``tlcim_top``: library cells and macro instances.
    cell_lef, cell_lib, macro_lef, macro_lib, sdc : str
    graywolf_par : str
        The library's graywolf parameters.
    netgen_setup : str
        The library's netgen set-up (device classes for LVS).
    top : str
    macro : str
        Module name of the macro.
    clock_mhz : float
    library : str
        Name of the standard-cell library.
    """

    netlist: str
    cell_lef: str
    cell_lib: str
    macro_lef: str
    macro_lib: str
    sdc: str
    graywolf_par: str
    netgen_setup: str
    top: str
    macro: str
    clock_mhz: float
    library: str


def qflow_files():
    """Return ``{name: path}`` of :data:`QFLOW_FILES` in the osu018 folder.

    Raises
    ------
    ValueError
        If the library or one of these files is missing.
    """
    folder = find_library().folder
    missing = [name for name in QFLOW_FILES if not (folder / name).is_file()]
    if missing:
        raise ValueError(f"qflow's osu018 set-up is incomplete ({', '.join(missing)} not in "
                         f"{folder}): install the Debian package {LIBRARY_PACKAGE} "
                         f"({SYSTEM_DEPS}) or set {LIBRARY_VARIABLE}")
    return {name: folder / name for name in QFLOW_FILES}


def prepare(config, clock_mhz, work, *, progress=print):
    """Write the inputs of place and route for ``config`` at ``clock_mhz`` into ``work``.

    Raises
    ------
    ValueError
        If the library is missing, the macro cannot be described or ``clock_mhz`` is not a
        positive number (:func:`tlcim.signoff.flow.implement`).
    RuntimeError
        If yosys or OpenSTA fails in sign-off.
    """
    from tlcim.signoff.flow import implement
    work = pathlib.Path(work)
    sources = qflow_files()
    implementation = implement(config, clock_mhz, macro_hold_margin_ns=MACRO_HOLD_MARGIN_NS,
                               progress=progress)
    library = find_library()
    copies = {"cells.lef": library.lef, "cells.lib": implementation.path("cell_lib"),
              f"{MACRO}.lef": implementation.path("macro_lef"),
              f"{MACRO}.lib": implementation.path("macro_lib"),
              "netlist.v": implementation.path("netlist"),
              "tlcim_top.sdc": implementation.path("sdc")}
    copies.update({target: sources[name] for name, target in QFLOW_FILES.items()})
    for target, source in copies.items():
        shutil.copyfile(source, work / target)
    return Inputs(netlist="netlist.v", cell_lef="cells.lef", cell_lib="cells.lib",
                  macro_lef=f"{MACRO}.lef", macro_lib=f"{MACRO}.lib", sdc="tlcim_top.sdc",
                  graywolf_par="graywolf.par", netgen_setup="netgen_setup.tcl",
                  top="tlcim_top", macro=MACRO, clock_mhz=float(implementation.clock_mhz),
                  library=library.technology.name)
