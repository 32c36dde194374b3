"""The implementation that sign-off checks: macro views, mapped netlist, SDC, timing, hold fixed.

:func:`implement` builds, in one folder laid out as the sign-off output (every path relative
to it, see :data:`FILES`), everything that STA, gate-level simulation and the equivalence
proof take: the three macro views (:mod:`tlcim.signoff.views`), a copy of the cell Liberty,
the SDC that ``tlcim export`` ships for the clock, the mapped netlist
(:mod:`tlcim.signoff.mapping`) and the OpenSTA script with its reports
(:mod:`tlcim.signoff.sta`). Nets of more fanout than ABC saw inside one module are buffered
first (:mod:`tlcim.signoff.fanout`). Hold is then fixed (:mod:`tlcim.signoff.hold`): STA,
buffers in front of the failing endpoints, STA again, until hold is met (at most
:data:`HOLD_ROUNDS` rounds; place and route asks for a margin at the macros' inputs). The
folder is cached in ``build/signoff/impl-<key>`` (key: the mapping, the SDC, the views, the
fanout limit, the OpenSTA version and that margin), so ``tlcim run --target gls`` and the
tests reuse it.
"""

import dataclasses
import fcntl
import hashlib
import json
import math
import os
import re
import shutil
import subprocess

from tlcim.yosys import find_tool, run_tool
from .fanout import MAX_FANOUT, buffer_fanout
from .hold import hold_buffers_needed, insert_hold_buffers
from .library import find_library, find_sta
from .mapping import NETLIST_WRITER, cache_root, map_periphery, strip_version
from .sta import Timing, run_sta, sta_script
from .views import MODULE, describe_macro, view_files

__all__ = ["FILES", "HOLD_ROUNDS", "Implementation", "implement", "cell_areas",
           "netlist_instances", "area_by_module"]

#: The files of an implementation (and of ``tlcim signoff``'s output), relative to its folder.
FILES = {
    "netlist": "netlist/tlcim_top.v",
    "sdc": "constraints/tlcim_top.sdc",
    "cell_lib": "cells/osu018_stdcells.lib",
    "macro_lib": f"macro/{MODULE}.lib",
    "macro_lef": f"macro/{MODULE}.lef",
    "macro_verilog": f"macro/{MODULE}.v",
    "sta_script": "sta/sta.tcl",
}
#: Rounds of hold fixing before giving up (reported, not an error).
HOLD_ROUNDS = 4


@dataclasses.dataclass(frozen=True)
class Implementation:
    """A mapped, timed and hold-fixed periphery (see the module docstring).

    Members
    -------
    folder : pathlib.Path
        Holds :data:`FILES` and the STA reports (``sta/*.rpt``).
    config : Config
    clock_mhz : float
    technology : tlcim.signoff.library.Technology
    mapping : tlcim.signoff.mapping.Mapping
    timing : tlcim.signoff.sta.Timing
        After hold fixing.
    fanout_buffers : int
        Buffers of the fanout trees (:mod:`tlcim.signoff.fanout`).
    hold_buffers : int
        Buffers inserted for hold.
    hold_rounds : int
        STA runs after the first.
    """

    folder: object
    config: object
    clock_mhz: float
    technology: object
    mapping: object
    timing: Timing
    fanout_buffers: int
    hold_buffers: int
    hold_rounds: int

    def path(self, key):
        """Return the path of file ``key`` of :data:`FILES`."""
        return self.folder / FILES[key]


def _sta_version(command):
    result = subprocess.run(command + ["-version"], capture_output=True, text=True)
    return result.stdout.strip()


def _write_netlist(folder, netlist, technology):
    # yosys JSON -> plain Verilog netlist (the form OpenSTA reads), without yosys' banner.
    # The top alone: the cells and the macro come from their Liberty files.
    top = {"modules": {"tlcim_top": netlist["modules"]["tlcim_top"]}}
    (folder / "hold.json").write_text(json.dumps(top))
    script = "\n".join(["read_liberty -lib cells/osu018_stdcells.lib",
                        f"read_liberty -lib macro/{MODULE}.lib", "read_json hold.json",
                        "hierarchy -check -top tlcim_top",
                        f"{NETLIST_WRITER} netlist/tlcim_top.v"]) + "\n"
    (folder / "hold.ys").write_text(script)
    run_tool(find_tool("yosys", "YOSYS") + ["-q", "hold.ys"], folder,
             "yosys netlist writer (hold fixing)")
    path = folder / FILES["netlist"]
    path.write_text(strip_version(path.read_text()))
    for name in ("hold.json", "hold.ys"):
        (folder / name).unlink()


def _timing_json(timing):
    return {field.name: getattr(timing, field.name) for field in dataclasses.fields(timing)}


def implement(config, clock_mhz, *, macro_hold_margin_ns=0.0, progress=print):
    """Return the :class:`Implementation` of ``config`` at ``clock_mhz`` (cached).

    Hold is fixed until every endpoint has a slack of at least 0, and every macro input at
    least ``macro_hold_margin_ns``: a layout flow asks for a margin there because its clock
    tree reaches the macros' clock pins later than the flip-flops driving them
    (:mod:`tlcim.pnr.inputs`), a skew the netlist's ideal clock does not have.

    Raises
    ------
    ValueError
        If the hardware or its macro cannot be built or described for ``config``,
        ``clock_mhz`` is not a positive number, or the cell library or OpenSTA is missing.
    RuntimeError
        If yosys or OpenSTA fails.
    """
    from tlcim.export import check_clock, sdc_text
    clock_mhz = check_clock(clock_mhz)
    if not (isinstance(macro_hold_margin_ns, (int, float))
            and 0 <= macro_hold_margin_ns < math.inf):
        raise ValueError(f"macro_hold_margin_ns must be a finite number of ns >= 0, not "
                         f"{macro_hold_margin_ns!r}")
    margin = float(macro_hold_margin_ns)
    library = find_library()
    sta = find_sta()
    technology = library.technology
    macro = describe_macro(config, technology)
    views = view_files(macro)
    sdc = sdc_text(config, clock_mhz)
    mapping = map_periphery(config, library, views[f"{MODULE}.lib"], clock_mhz,
                            progress=progress)
    script = sta_script(cell_lib=FILES["cell_lib"], macro_lib=FILES["macro_lib"],
                        netlist=FILES["netlist"], sdc=FILES["sdc"], technology=technology)
    # No margin keeps the digest of the implementations cached before margins existed.
    extra = [f"macro hold margin {margin!r}"] if margin else []
    digest = hashlib.sha256("\0".join([mapping.folder.name, sdc, script, _sta_version(sta),
                                       f"fanout {MAX_FANOUT}", *views.values(),
                                       *extra]).encode())
    folder = cache_root() / f"impl-{digest.hexdigest()[:20]}"
    with open(folder.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done.json").exists():
            work = folder.with_name(folder.name + ".tmp")
            shutil.rmtree(work, ignore_errors=True)
            for key in FILES:
                (work / FILES[key]).parent.mkdir(parents=True, exist_ok=True)
            for name, text in views.items():
                (work / "macro" / name).write_text(text)
            shutil.copyfile(library.liberty, work / FILES["cell_lib"])
            (work / FILES["sdc"]).write_text(sdc)
            (work / FILES["sta_script"]).write_text(script)
            netlist = json.loads((mapping.folder / "netlist.json").read_text())
            fanout = buffer_fanout(netlist, technology)
            progress(f"{fanout} buffers on nets of more than {MAX_FANOUT} loads; timing the "
                     f"netlist with OpenSTA at {clock_mhz:g} MHz ...")
            _write_netlist(work, netlist, technology)
            timing = run_sta(work)
            buffers, rounds = 0, 0
            cells = netlist["modules"]["tlcim_top"]["cells"]

            def target(end):  # the hold slack an endpoint pin needs
                macro = cells.get(end.rsplit("/", 1)[0], {}).get("type") == MODULE
                return margin if macro else 0.0

            while rounds < HOLD_ROUNDS:
                endpoints = {end: hold_buffers_needed(slack - target(end))
                             for _, end, slack in timing.hold_paths
                             if "/" in end and slack < target(end)}
                if not endpoints:
                    break  # hold met, or only ports fail it: nothing to buffer inside
                added = insert_hold_buffers(netlist, endpoints, technology)
                buffers += added
                rounds += 1
                progress(f"  hold {timing.hold_wns_ns:+.3f} ns: {added} buffers before "
                         f"{len(endpoints)} endpoints, timing again ...")
                _write_netlist(work, netlist, technology)
                timing = run_sta(work)
            (work / "done.json").write_text(json.dumps(
                {"timing": _timing_json(timing), "fanout_buffers": fanout,
                 "hold_buffers": buffers, "hold_rounds": rounds}, indent=1))
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(work, folder)
        done = json.loads((folder / "done.json").read_text())
    timing = Timing(**{key: tuple(tuple(path) for path in value)
                       if key.endswith("paths") else
                       tuple(value) if key == "warnings" else value
                       for key, value in done["timing"].items()})
    return Implementation(folder=folder, config=config, clock_mhz=clock_mhz,
                          technology=technology, mapping=mapping,
                          timing=timing, fanout_buffers=done["fanout_buffers"],
                          hold_buffers=done["hold_buffers"],
                          hold_rounds=done["hold_rounds"])


def cell_areas(liberty):
    """Return ``{cell: area}`` of the cells of a Liberty file (the text)."""
    return {name: float(area) for name, area in
            re.findall(r"cell\s*\(\s*\"?(\w+)\"?\s*\)\s*\{[^{}]*?area\s*:\s*([0-9.]+)",
                       liberty)}


def netlist_instances(netlist_path, cells):
    """Return ``[(cell, instance name)]`` of a flat netlist: its instances of ``cells``
    (names, e.g. the keys of :func:`cell_areas`), instance names without Verilog escapes."""
    return [(kind, name.lstrip("\\")) for kind, name in
            re.findall(r"^\s+(\w+)\s+(\\\S+|\w+)\s*\(", netlist_path.read_text(),
                       re.MULTILINE) if kind in cells]


def area_by_module(netlist_path, liberty):
    """Return ``{module path: um^2}`` of the standard cells of a flat netlist, by the module
    path that prefixes each instance name (``datapath.output.ff3`` is in
    ``datapath.output``; cells of the top level in ``""``), and the total under ``None``."""
    areas = cell_areas(liberty)
    found = {}
    for kind, name in netlist_instances(netlist_path, areas):
        module = name.rsplit(".", 1)[0] if "." in name else ""
        found[module] = found.get(module, 0.0) + areas[kind]
    found[None] = sum(found.values())
    return found
