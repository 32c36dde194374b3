"""tlcim.pnr.route: qrouter's bounded schedule and its failed-net counts, and qrouter run on
a two-cell design written by :func:`tlcim.pnr.deffile.placed_def` (needs the Debian tools)."""

import pathlib
import shutil
import subprocess

from pnr_helpers import need_tools

from tlcim.pnr import deffile, route, tools
from tlcim.pnr.lef import read_lef
from tlcim.signoff.library import find_library


def test_router_script_and_counts():
    assert route.failed_counts("*** failed after stage1: 12\n*** failed after stage2 mask 10:"
                               " 3\n*** final failed: 0\n") == [12, 3, 0]
    script = route.config_text(["cells.lef"], 6, "placed.def", passes=2)
    assert "read_def placed.def" in script and "$pass < 2" in script


def test_the_first_signal_nets_route_as_themselves(tmp_path):
    # qrouter numbers a second net section's nets on from the first's count: with the two
    # supplies read first, signal net a took the supply's number (wired through vdd, 65 um)
    # and b the antenna net's (never routed). Each goes straight up to its inverter: 22 um.
    need_tools()
    shutil.copy(find_library().lef, tmp_path / "cells.lef")
    lef = read_lef(tmp_path / "cells.lef")
    components = [deffile.Component("u1", "INVX1", 10, 20, "N"),
                  deffile.Component("u2", "INVX1", 30, 20, "N")]
    pins = [deffile.IoPin(name, "input", x, 0.5, "metal2", 0.15, 0.5)
            for name, x in (("a", 10.4), ("b", 30.4))]
    nets = {"a": [("PIN", "a"), ("u1", "A")], "b": [("PIN", "b"), ("u2", "A")]}
    special = ("SPECIALNETS 2 ;\n- vdd\n+ FIXED metal1 60 ( 1000 3000 ) ( 5000 * ) ;\n"
               "- gnd\n+ FIXED metal1 60 ( 1000 2000 ) ( 5000 * ) ;\nEND SPECIALNETS")
    (tmp_path / "placed.def").write_text(deffile.placed_def(
        "top", (60, 60), [("ROW_0", "core", 10, 20, "N", 50, 0.8)], lef.layers, components,
        pins, nets, specialnets=special))
    (tmp_path / "route.tcl").write_text(route.config_text(["cells.lef"], len(lef.layers),
                                                          "placed.def"))
    done = subprocess.run([tools.find("qrouter"), "-noc", "-nog", "-s", "route.tcl"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert route.failed_counts(done.stdout)[-1] == 0, done.stdout[-2000:]
    routed = deffile.read_routed((tmp_path / "routed.def").read_text())
    assert routed.unrouted() == []
    assert [round(routed.nets[name].length, 2) for name in "ab"] == [22.05, 22.05]
