"""What place and route starts from, in one place: the mapped netlist, the cell library's files,
the macro's views and the timing constraints.

:func:`prepare` writes them into the work folder and returns :class:`Inputs`. The sign-off
flow makes all of them (the osu018 library found, the periphery mapped onto it with the
subarrays as the macro, the macro's Liberty and LEF views, the SDC); this module takes them
from there so that place and route lays out exactly what sign-off timed. Until that flow is
in, the minimal versions below stand in for it (marked *interim*).
"""

import dataclasses
import math
import os
import pathlib
import shutil

__all__ = ["LIBRARY_VARIABLE", "DEFAULT_LIBRARY", "DEFAULT_CLOCK_MHZ", "MACRO", "Inputs",
           "prepare", "library_folder", "sdc_text"]

#: The environment variable naming the folder of the osu018 files, and the Debian package's.
LIBRARY_VARIABLE = "TLCIM_OSU018_DIR"
DEFAULT_LIBRARY = pathlib.Path("/usr/share/qflow/tech/osu018")
#: The sign-off clock (the periphery's timing target on osu018).
DEFAULT_CLOCK_MHZ = 100.0
#: Module name of the subarray macro.
MACRO = "tlcim_subarray"


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


def library_folder():
    """Return the osu018 folder: ``$TLCIM_OSU018_DIR`` or the Debian package's.

    Raises
    ------
    ValueError
        If a file place and route needs is missing from it.
    """
    given = os.environ.get(LIBRARY_VARIABLE)
    folder = pathlib.Path(given) if given else DEFAULT_LIBRARY
    needed = ("osu018_stdcells.lef", "osu018_stdcells.lib", "osu018.par", "osu018_setup.tcl")
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise ValueError(f"the osu018 standard-cell library is incomplete ({', '.join(missing)} "
                         f"not in {folder}): install the Debian packages qflow-tech-osu018 "
                         f"and qflow, or set {LIBRARY_VARIABLE}")
    return folder


def sdc_text(clock_mhz, io_percent=30):
    """Return the SDC for OpenSTA (interim): the clock on ``clk``, ``io_percent`` % of the
    period as input and output delay, as ``tlcim export``'s SDC says."""
    period = 1000.0 / clock_mhz
    io = period * io_percent / 100
    return "\n".join([
        f"create_clock -name clk -period {period:.4g} [get_ports clk]",
        f"set_clock_uncertainty {0.05 * period:.4g} [get_clocks clk]",
        f"set_input_delay {io:.4g} -clock clk [delete_from_list [all_inputs] "
        f"[get_ports clk]]",
        f"set_output_delay {io:.4g} -clock clk [all_outputs]",
        "set_load 0.01 [all_outputs]",
    ]) + "\n"


def prepare(config, clock_mhz, work, *, progress=print):
    """Write the inputs of place and route for ``config`` at ``clock_mhz`` into ``work``.

    Raises
    ------
    ValueError
        If the library is missing or ``clock_mhz`` is not a positive number.
    """
    if not isinstance(clock_mhz, (int, float)) or isinstance(clock_mhz, bool) or \
            not clock_mhz > 0:
        raise ValueError(f"clock_mhz must be a positive number, not {clock_mhz!r}")
    folder = library_folder()
    work = pathlib.Path(work)
    for name, target in (("osu018_stdcells.lef", "cells.lef"),
                         ("osu018_stdcells.lib", "cells.lib"),
                         ("osu018.par", "graywolf.par"),
                         ("osu018_setup.tcl", "netgen_setup.tcl")):
        shutil.copyfile(folder / name, work / target)
    from .lef import read_lef
    lef, lib = _interim_views(config, read_lef(work / "cells.lef"))
    (work / f"{MACRO}.lef").write_text(lef)
    (work / f"{MACRO}.lib").write_text(lib)
    _interim_mapping(config, clock_mhz, work, progress)
    (work / "tlcim_top.sdc").write_text(sdc_text(clock_mhz))
    return Inputs(netlist="netlist.v", cell_lef="cells.lef", cell_lib="cells.lib",
                  macro_lef=f"{MACRO}.lef", macro_lib=f"{MACRO}.lib", sdc="tlcim_top.sdc",
                  graywolf_par="graywolf.par", netgen_setup="netgen_setup.tcl",
                  top="tlcim_top", macro=MACRO, clock_mhz=float(clock_mhz), library="osu018")


# -- interim: the sign-off flow's mapping and macro views, at their minimum ----------------

#: The paper's compute cell (6.35 um^2 at 28 nm) scaled to osu018's 180 nm by (180/28)^2.
_CELL_UM2 = 6.35 * (180 / 28) ** 2
_PIN_PITCH_UM = 1.6  # every other metal2 track


def _interim_views(config, cells_lef):
    """LEF and Liberty of the macro: rows x cbls compute cells (:data:`_CELL_UM2` each),
    every signal pin on the south edge on metal2, obstructions on metal1-4 over the array."""
    from tlcim.hw.reram_array import NvmSubarrayBlackBox
    ports = NvmSubarrayBlackBox.verilog_ports(config)
    bits = [(f"{name}[{i}]" if width > 1 else name, direction, name)
            for direction, name, width in ports for i in range(width)]
    area = config.rows * config.cbls * _CELL_UM2
    width = math.ceil(max(math.sqrt(area), (len(bits) + 4) * _PIN_PITCH_UM) / 1.6) * 1.6
    height = math.ceil(max(area / width, 20.0) / 10.0) * 10.0
    lef = ["VERSION 5.6 ;", 'BUSBITCHARS "[]" ;', 'DIVIDERCHAR "/" ;', "",
           f"MACRO {MACRO}", "  CLASS BLOCK ;", f"  FOREIGN {MACRO} 0 0 ;", "  ORIGIN 0 0 ;",
           f"  SIZE {width:.3f} BY {height:.3f} ;", "  SYMMETRY X Y ;"]
    for k, (bit, direction, name) in enumerate(bits):
        x = 2 * _PIN_PITCH_UM + 0.4 + k * _PIN_PITCH_UM
        lef += [f"  PIN {bit}", f"    DIRECTION {direction.upper()} ;",
                f"    USE {'CLOCK' if name == 'clk' else 'SIGNAL'} ;", "    PORT",
                "      LAYER metal2 ;", f"        RECT {x - 0.15:.3f} 0.000 {x + 0.15:.3f} 1.000 ;",
                "    END", f"  END {bit}"]
    lef += ["  OBS"]
    for layer in ("metal1", "metal3", "metal4"):
        lef += [f"    LAYER {layer} ;", f"      RECT 0.000 0.000 {width:.3f} {height:.3f} ;"]
    lef += ["    LAYER metal2 ;", f"      RECT 0.000 2.000 {width:.3f} {height:.3f} ;",
            "  END", f"END {MACRO}", "", "END LIBRARY", ""]
    lib = ["library (tlcim_subarray) {", "  delay_model : table_lookup;",
           '  time_unit : "1ns";', '  voltage_unit : "1V";', '  current_unit : "1uA";',
           "  capacitive_load_unit (1,pf);", '  leakage_power_unit : "1nW";',
           "  nom_process : 1;", "  nom_voltage : 1.8;", "  nom_temperature : 25;"]
    for width_bits in sorted({w for _, _, w in ports if w > 1}):
        lib += [f"  type (bus{width_bits}) {{", "    base_type : array;",
                "    data_type : bit;", f"    bit_width : {width_bits};",
                f"    bit_from : {width_bits - 1};", "    bit_to : 0;", "    downto : true;",
                "  }"]
    lib += [f"  cell ({MACRO}) {{", f"    area : {width * height:.1f};", "    dont_use : true;"]
    for direction, name, width_bits in ports:
        if name == "clk":
            body = ["direction : input;", "capacitance : 0.05;", "clock : true;"]
        elif direction == "input":
            body = ["direction : input;", "capacitance : 0.01;"]
            for kind, value in (("setup_rising", "0.3"), ("hold_rising", "0.05")):
                body += ["timing () {", '  related_pin : "clk";', f"  timing_type : {kind};",
                         f'  rise_constraint (scalar) {{ values ("{value}"); }}',
                         f'  fall_constraint (scalar) {{ values ("{value}"); }}', "}"]
        else:
            body = ["direction : output;", "timing () {", '  related_pin : "clk";',
                    "  timing_type : rising_edge;",
                    '  cell_rise (scalar) { values ("1.5"); }',
                    '  cell_fall (scalar) { values ("1.5"); }',
                    '  rise_transition (scalar) { values ("0.2"); }',
                    '  fall_transition (scalar) { values ("0.2"); }', "}"]
        head = [f"    bus ({name}) {{", f"      bus_type : bus{width_bits};"] \
            if width_bits > 1 else [f"    pin ({name}) {{"]
        lib += head + [f"      {line}" for line in body] + ["    }"]
    lib += ["  }", "}", ""]
    return "\n".join(lef), "\n".join(lib)


def _interim_mapping(config, clock_mhz, work, progress):
    """Map the periphery onto osu018 with yosys: ``work/netlist.v``."""
    from amaranth.back import rtlil
    from tlcim.synth import periphery_top
    from tlcim.yosys import find_tool, run_tool
    design = periphery_top(config)
    (work / "design.il").write_text(rtlil.convert(design, name="tlcim_top", emit_src=False))
    period_ps = int(round(1e6 / clock_mhz))
    (work / "abc.constr").write_text("set_driving_cell BUFX4\nset_load 20\n")
    (work / "map.ys").write_text("\n".join([
        "read_liberty -lib cells.lib", f"read_liberty -lib {MACRO}.lib",
        "read_rtlil design.il", "hierarchy -check -top tlcim_top", "synth -flatten -top tlcim_top",
        "dfflibmap -liberty cells.lib",
        f"abc -liberty cells.lib -constr abc.constr -D {period_ps}",
        "setundef -zero", "opt_clean -purge", "insbuf -buf BUFX2 A Y", "opt_clean -purge",
        "write_verilog -noattr -noexpr -nohex -nodec netlist.v"]) + "\n")
    progress("[pnr] mapping the periphery onto osu018 with yosys (interim) ...")
    run_tool(find_tool("yosys", "YOSYS") + ["-q", "-l", "map.log", "map.ys"], work,
             "yosys mapping onto osu018")
