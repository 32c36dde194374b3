"""tlcim.pnr.route: qrouter's bounded schedule, its failed-net counts and the routes it could
not attach to a pin, and qrouter run on a two-cell design written by
:func:`tlcim.pnr.deffile.placed_def` (needs the Debian tools)."""

import re

from pnr_helpers import need_tools, route_two_inverters

from tlcim.pnr import connectivity, deffile, route
from tlcim.pnr.lef import read_lef


def test_router_script_and_counts():
    assert route.failed_counts("*** failed after stage1: 12\n*** failed after stage2 mask 10:"
                               " 3\n*** final failed: 0\n") == [12, 3, 0]
    script = route.config_text(["cells.lef"], 6, "placed.def", passes=2)
    assert "read_def placed.def" in script and "$pass < 2" in script
    assert "via stack 1" in script


def test_detached_nets_of_every_stage():
    failure = "Error:  Failure to find route {} node/route on net {}!\n"
    log = (failure.format("end", "a") + failure.format("start", "b[3]")
           + "*** failed after stage1: 2\n" + failure.format("end", "a")
           + "*** failed after stage2 mask 10 effort 10: 0\n*** final failed: 0\n")
    assert route.detached_nets(log) == ["a", "b[3]"]
    assert route.detached_nets("*** final failed: 0\n") == []


def _schedule(tmp_path, stage1, stage2):
    # Run qrouter's script in plain tclsh with its commands stubbed: stage1 returns
    # ``stage1``, each stage2 the next of ``stage2``; return the "*** ..." lines it printed.
    import subprocess
    need_tools()  # tclsh comes with the place-and-route tools (Debian package tcl)
    script = route.config_text(["cells.lef"], 6, "placed.def")
    stubs = "\n".join(f"proc {name} args {{}}" for name in (
        "verbose", "read_lef", "layers", "via", "vdd", "gnd", "read_def", "write_def",
        "write_failed", "write_delays"))
    stubs += (f"\nproc stage1 args {{return {stage1}}}\nset counts {{{' '.join(map(str, stage2))}}}"
              "\nproc stage2 args {global counts; set n [lindex $counts 0];"
              " set counts [lrange $counts 1 end]; return $n}\nproc quit args {exit 0}\n")
    (tmp_path / "route.tcl").write_text(stubs + script)
    out = subprocess.run(["tclsh", str(tmp_path / "route.tcl")], capture_output=True,
                         text=True, check=True).stdout
    return [line for line in out.splitlines() if line.startswith("***")]


def test_the_schedule_widens_the_search_then_raises_the_effort(tmp_path):
    # Progress: the margin grows by 20 tracks; no progress: the whole die at effort 20, then
    # 40 and 80; no progress at 80 ends the stage, whatever passes are left.
    lines = _schedule(tmp_path, 50, [30, 30, 1, 1, 1, 1, 1])
    assert [line.split(":")[0] for line in lines] == [
        "*** failed after stage1", "*** failed after stage2 mask 10 effort 10",
        "*** failed after stage2 mask 30 effort 10", "*** failed after stage2 mask none effort 20",
        "*** failed after stage2 mask none effort 40",
        "*** failed after stage2 mask none effort 80", "*** final failed"]
    assert route.failed_counts("\n".join(lines)) == [50, 30, 30, 1, 1, 1, 1]
    # Each pass's count comes with the seconds since the DEF was read.
    assert all(re.search(r": \d+ \(\d+ s\)$", line) for line in lines[:-1]), lines
    # At most PASSES passes of the second stage; none once every net is routed.
    assert len(_schedule(tmp_path, 9, [8, 7, 6, 5, 4, 3, 2, 1, 0])) == route.PASSES + 2
    assert len(_schedule(tmp_path, 0, [])) == 2


def test_the_first_signal_nets_route_as_themselves(tmp_path):
    # qrouter numbers a second net section's nets on from the first's count: with the two
    # supplies read first, signal net a took the supply's number (wired through vdd, 65 um)
    # and b the antenna net's (never routed). Each goes straight up to its inverter: 22 um.
    log = route_two_inverters(tmp_path)
    assert route.failed_counts(log)[-1] == 0, log[-2000:]
    assert route.detached_nets(log) == []
    routed = deffile.read_routed((tmp_path / "routed.def").read_text())
    assert routed.unrouted() == []
    assert [round(routed.nets[name].length, 2) for name in "ab"] == [22.05, 22.05]
    # The shapes agree: each net joins its pin to its inverter and touches nothing else
    # (with the old order, a's wires ran through the vdd rail: a short, found here).
    shapes = connectivity.extract(deffile.close_sections((tmp_path / "routed.def").read_text()),
                                  read_lef(tmp_path / "cells.lef"))
    assert (shapes.opens, shapes.shorts) == ((), ())
