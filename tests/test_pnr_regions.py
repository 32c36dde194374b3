"""tlcim.pnr.regions: the rows cut into strips, a strip's own DEF, the splice, the nets near a
DRC error, and a design routed in two strips by real qrouters (needs the Debian tools), with
and without a repair, and routed again in part."""

import dataclasses
import shutil

import pytest
from pnr_helpers import NETS
from pnr_helpers import four_rows as _design
from pnr_helpers import need_tools

from tlcim.pnr import connectivity, deffile, regions, tools
from tlcim.pnr.lef import read_lef
from tlcim.signoff.library import find_library

def test_the_rows_are_cut_into_strips_and_the_nets_sorted(tmp_path):
    text, _ = _design(tmp_path)
    strips = regions.plan(text, 2)
    assert strips.bands == ((500, 2500), (2500, 4500))
    assert strips.local == (("n1",), ("n2",))
    assert sorted(strips.between) == ["a", "n3", "y"]
    assert regions.plan(text, 1).local == (("n1", "n3", "n2"),)
    with pytest.raises(ValueError, match="cannot cut 4 rows into 5 strips"):
        regions.plan(text, 5)
    assert [regions.strip_count(n) for n in (1, 6000, 6001, 23594)] == [1, 1, 2, 4]


# n3 as the first phase routed it: up metal2 across the strips' edge at 25 um, a via to metal1
# at 30 um (in the upper strip only), then along metal1 to x = 15 um.
WIRING = {"n3": "( u2 Y ) ( u3 A )\n+ ROUTED metal2 ( 2040 2000 ) ( * 3000 ) M2_M1\n"
                "  NEW metal1 ( 2040 3000 ) ( 1500 * ) ;"}


def test_a_strips_def_has_its_own_rows_cells_nets_and_power(tmp_path):
    text, _ = _design(tmp_path)
    strips = regions.plan(text, 2)
    lower, upper = (regions.strip_def(text, strips, k, WIRING) for k in (0, 1))
    # The band and two tracks (2 um) more on either side; tracks over all of it.
    assert "DIEAREA ( 0 300 ) ( 4000 2700 )" in lower
    assert "TRACKS Y 350 DO 24 STEP 100 LAYER metal1" in lower
    assert "TRACKS Y 2350 DO 24 STEP 100 LAYER metal1" in upper
    assert [line.split()[1] for line in lower.splitlines() if line.startswith("ROW ")] == \
        ["ROW_0", "ROW_1"]
    lower, upper = deffile.split_sections(lower), deffile.split_sections(upper)
    assert [name for name, *_ in deffile.placements(lower["COMPONENTS"])] == ["u1", "u2", "u5"]
    assert [name for name, *_ in deffile.placements(upper["COMPONENTS"])] == ["u3", "u4"]
    # Its own nets to route; a net routed before is fixed, with its connections in the strip
    # and its wires and vias clipped to the band's tracks (5.5 to 24.5 um, 25.5 to 44.5 um).
    nets = dict(deffile.entries(lower["NETS"]))
    assert list(nets) == ["n1", "n3"] and "+ FIXED" in nets["n3"]
    assert nets["n3"].split("+")[0].split() == ["(", "u2", "Y", ")"]
    assert list(deffile.routes(nets["n3"])) == [
        ("metal2", None, [(2040, 2000), (2040, 2450)], [])]
    nets = dict(deffile.entries(upper["NETS"]))
    assert nets["n3"].split("+")[0].split() == ["(", "u3", "A", ")"]
    assert list(deffile.routes(nets["n3"])) == [
        ("metal2", None, [(2040, 2550), (2040, 3000)], []),
        ("metal2", None, [(2040, 3000)], [("M2_M1", (2040, 3000))]),
        ("metal1", None, [(2040, 3000), (1500, 3000)], [])]
    assert "+ FIXED" not in nets["n2"]
    # The rails of each band, the one on the edge in both.
    rails = {name: [points[0][1] for _, _, points, _ in deffile.routes(rest)]
             for name, rest in deffile.entries(upper["SPECIALNETS"])}
    assert rails == {"gnd": [2500, 4500], "vdd": [3500]}
    assert "PINS 0 ;" in upper["PINS"]


def test_the_nets_near_a_box(tmp_path):
    text, lef = _design(tmp_path)
    routed = regions.splice(text, {"n3": "- n3 " + WIRING["n3"]},
                            {"n1": "- n1\n+ ROUTED metal1 30 ( 1100 1000 ) ( 1150 * ) ;"})
    assert regions.nets_near(routed, [(20.3, 27.0, 20.5, 27.2)], 0.1) == ["n3"]
    assert regions.nets_near(routed, [(11.6, 10.0, 11.7, 10.1)], 0.05) == []
    assert regions.nets_near(routed, [(11.6, 10.0, 11.7, 10.1)], 0.1) == ["n1"]  # a stub
    # On some layers only: n3's metal2 wire is not on metal1; its via has a cut layer.
    assert regions.nets_near(routed, [(20.3, 27.0, 20.5, 27.2)], 0.1, layers={"metal1"},
                             lef=lef) == []
    assert regions.nets_near(routed, [(20.3, 27.0, 20.5, 27.2)], 3.0, layers={"via"},
                             lef=lef) == ["n3"]
    assert regions.nets_near(routed, [(20.3, 27.0, 20.5, 27.2)], 2.0, layers={"via"},
                             lef=lef) == []
    # Where the nets' wires, vias and stubs are, each piece on its own (the DRC step checks
    # these again after rerouting them): n1's stub and its first point, n3's metal1 wire, its
    # metal2 wire and that wire's first point and via.
    assert regions.wire_boxes(routed, {"n3", "n1"}, 0.5) == [pytest.approx(box) for box in (
        (10.5, 9.5, 11.5, 10.5), (10.5, 9.5, 12.0, 10.5), (14.5, 29.5, 20.9, 30.5),
        (19.9, 19.5, 20.9, 20.5), (19.9, 19.5, 20.9, 30.5), (19.9, 29.5, 20.9, 30.5))]
    # The metal1 wire's end point is at x = 15 um.
    assert regions.nets_near(routed, [(14.0, 30.0, 14.1, 30.1)], 0.8) == []
    assert regions.nets_near(routed, [(14.0, 30.0, 14.1, 30.1)], 1.0) == ["n3"]


def test_splice_replaces_the_nets_and_the_stubs_it_is_given(tmp_path):
    text, _ = _design(tmp_path)
    spliced = regions.splice(text, {"n1": "- n1 ( u1 Y ) ( u2 A )\n+ ROUTED metal1 "
                                          "( 1100 1000 ) ( 2050 * ) ;"},
                             {"n1": "- n1\n+ ROUTED metal1 30 ( 1100 1000 ) ( 1150 * ) ;"})
    sections = deffile.split_sections(spliced)
    nets = dict(deffile.entries(sections["NETS"]))
    assert list(nets) == list(NETS) and "ROUTED" in nets["n1"] and "ROUTED" not in nets["n2"]
    assert [name for name, _ in deffile.entries(sections["SPECIALNETS"])] == ["gnd", "vdd", "n1"]
    assert deffile.read_routed(spliced).nets["n1"].length == pytest.approx(9.5)


def _route(folder, count, progress):
    text, lef = _design(folder)
    routing = regions.route(tools.Steps(folder, progress), "placed.def", ["cells.lef"], lef,
                            count, progress=progress)
    shapes = connectivity.extract(deffile.close_sections(routing.text), lef)
    return routing, shapes


@pytest.mark.parametrize("count", [1, 2])
def test_routed_in_strips_by_real_qrouters(tmp_path, count):
    need_tools()
    lines = []
    routing, shapes = _route(tmp_path, count, lines.append)
    assert (routing.failed, routing.detached) == ((), ())
    assert (shapes.opens, shapes.shorts) == ((), ()), lines
    assert deffile.read_routed(routing.text).unrouted() == []
    assert sorted(routing.rc) == ["a", "n1", "n2", "n3", "y"]
    assert all(line.split()[0] == net for net, line in routing.rc.items())
    assert routing.strips == count
    if count == 1:
        assert list(routing.times) == ["die"]
        return
    # Each phase routed its own nets: the lower strip had a and n3 as fixed nets, and n1 to
    # route; the result takes n1 from it and n3 from the first phase.
    assert set(routing.times) == {"between", "strips", "strip0", "strip1"}
    fixed = {name for name, rest in deffile.entries(deffile.split_sections(
        (tmp_path / "route_strip0" / "in.def").read_text())["NETS"]) if "+ FIXED" in rest}
    assert fixed == {"a", "n3"}
    final = deffile.read_routed(routing.text).nets
    for phase, net in (("strip0", "n1"), ("between", "n3")):
        routed = deffile.read_routed((tmp_path / f"route_{phase}" / "routed.def").read_text())
        assert final[net].length == routed.nets[net].length > 0
    assert "obstruction" in (tmp_path / "route_strip0" / "route.tcl").read_text()
    # Routed again: n1 from the new run, the others as they were, the RC tree with it.
    stale = dataclasses.replace(routing, rc={**routing.rc, "n1": "n1 stale"})
    again, changed = regions.reroute(tools.Steps(tmp_path, lines.append), stale, ["n1"],
                                     ["cells.lef"], read_lef(tmp_path / "cells.lef"),
                                     name="again")
    assert "n1" in changed and "n2" not in changed
    redone = deffile.read_routed((tmp_path / "route_again" / "routed.def").read_text())
    assert deffile.read_routed(again.text).nets["n1"].length == redone.nets["n1"].length
    assert again.rc["n1"] == next(line for line in (tmp_path / "route_again" / "routed.rc")
                                  .read_text().splitlines() if line.startswith("n1 "))
    assert again.rc["n2"] == routing.rc["n2"] and again.counts[-1].startswith("again:")
    assert "+ ROUTED" not in dict(deffile.entries(deffile.split_sections(
        (tmp_path / "route_again" / "in.def").read_text())["NETS"]))["n1"]


def _open_once(monkeypatch, nets):
    # The next look at the layout's shapes (the first after the patch) reports ``nets`` open,
    # as a net cut at a seam would be; return the list of what each look really found.
    real = connectivity.extract
    seen = []

    def first_open(text, lef, **kwargs):
        found = real(text, lef, **kwargs)
        seen.append(found)
        return connectivity.Connectivity(tuple(nets), found.shorts, found.shapes) \
            if len(seen) == 1 else found

    monkeypatch.setattr(regions.connectivity, "extract", first_open)
    return seen


def test_a_net_the_splice_leaves_open_is_rerouted_on_the_whole_die(tmp_path, monkeypatch):
    # The first look at the spliced layout reports n1 open (as a net cut at a seam would be):
    # it is routed again by a qrouter that reads every other route, and taken from there.
    need_tools()
    _open_once(monkeypatch, ["n1"])
    lines = []
    routing, shapes = _route(tmp_path, 2, lines.append)
    assert "repair" in routing.times and routing.counts[-1].startswith("repair:")
    assert any("to reroute on the whole die: 1 nets" in line for line in lines), lines
    assert (routing.failed, shapes.opens, shapes.shorts) == ((), (), ())
    repaired = deffile.read_routed((tmp_path / "route_repair" / "routed.def").read_text())
    assert deffile.read_routed(routing.text).nets["n1"].length == repaired.nets["n1"].length


def test_a_large_repair_is_shared_by_two_qrouters(tmp_path, monkeypatch):
    # Two nets the splice's check reports open, one on either half of the die (n1 left of
    # x = 20 um, y right of it), and a repair this large is shared: each half by its own
    # qrouter, at once; each net taken from the run that routed it.
    need_tools()
    _open_once(monkeypatch, ["n1", "y"])
    monkeypatch.setattr(regions, "SPLIT_REPAIR", 2)
    lines = []
    routing, shapes = _route(tmp_path, 2, lines.append)
    assert {"repaira", "repairb"} <= set(routing.times), lines
    assert (routing.failed, shapes.opens, shapes.shorts) == ((), (), ())
    assert "foreach net {{n1}}" in (tmp_path / "route_repaira" / "route.tcl").read_text()
    assert "foreach net {{y}}" in (tmp_path / "route_repairb" / "route.tcl").read_text()
    final = deffile.read_routed(routing.text).nets
    for run, net in (("repaira", "n1"), ("repairb", "y")):
        routed = deffile.read_routed((tmp_path / f"route_{run}" / "routed.def").read_text())
        assert final[net].length == routed.nets[net].length > 0
        assert routing.rc[net] == next(line for line in (tmp_path / f"route_{run}" /
                                                         "routed.rc").read_text().splitlines()
                                       if line.startswith(f"{net} "))


def test_a_net_a_reroute_leaves_open_is_repaired(tmp_path, monkeypatch):
    # After a reroute (of n2, as for a DRC error), the shapes say n1 is open: the reroute
    # repairs it as the route step does, and counts it among the nets it changed.
    need_tools()
    lines = []
    routing, _ = _route(tmp_path, 1, lines.append)
    seen = _open_once(monkeypatch, ["n1"])
    again, changed = regions.reroute(tools.Steps(tmp_path, lines.append), routing, ["n2"],
                                     ["cells.lef"], read_lef(tmp_path / "cells.lef"),
                                     name="again", progress=lines.append)
    assert len(seen) == 2 and set(again.times) >= {"again", "again_repair"}, lines
    assert {"n1", "n2"} <= set(changed)
    assert any("rerouted: 1 open nets" in line for line in lines), lines
    repaired = deffile.read_routed((tmp_path / "route_again_repair" / "routed.def").read_text())
    assert deffile.read_routed(again.text).nets["n1"].length == repaired.nets["n1"].length > 0

