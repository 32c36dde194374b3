"""tlcim.pnr.hold: hold fixed after routing. The chains sized from OpenSTA's endpoints, the
buffers put into fill sites with the nets cut at the endpoints, bad input refused, and a
layout routed, fixed and routed again by real qrouters (needs the Debian tools)."""

import collections
import math

import pytest
from pnr_helpers import CELLS, NETS, four_rows, need_tools

from tlcim.pnr import connectivity, deffile, hold, regions, timing, tools
from tlcim.pnr.netlist import GateNetlist, Instance, Port


def _netlist():
    # The gate netlist of pnr_helpers' four rows of inverters.
    pins = {}
    for net, ends in NETS.items():
        for instance, pin in ends:
            if instance != "PIN":
                pins.setdefault(instance, {})[pin] = net
    cells = tuple(Instance(name, "INVX1", pins[name], frozenset({"Y"} & set(pins[name])))
                  for name, *_ in CELLS)
    return GateNetlist("top", (Port("a", "input", 1), Port("y", "output", 1)), cells, (),
                       "gnd", "vdd")


def _connections(text):
    return {name: sorted(deffile.connections(rest))
            for name, rest in deffile.entries(deffile.split_sections(text)["NETS"])}


def test_chains_are_sized_for_the_margin_and_skip_ports():
    paths = (("a/Q", "b/D", -0.076), ("c/Q", "d/D", 0.02), ("x/Q", "out", -0.3),
             ("e/Q", "f/D", 0.2))
    # -0.076 ns to reach 0 + EXTRA_NS: 0.126 ns at 0.08 ns a buffer.
    assert hold.chains(paths, 0.0) == {"b/D": math.ceil((0.076 + hold.EXTRA_NS) / 0.08)}
    assert hold.chains(paths, 0.1) == {"b/D": 3, "d/D": 2}
    assert hold.chains(paths[2:3], 0.0) == {}  # a port: nothing inside to buffer


@pytest.mark.parametrize("margin", [-0.1, float("nan"), float("inf"), 10.0, "0.2", True])
def test_a_bad_margin_is_refused(margin):
    with pytest.raises(ValueError, match=r"hold margin must be .* below the clock period "
                                         r"\(10 ns at 100 MHz\)"):
        hold.check_margin(margin, 100.0)
    assert hold.check_margin(0, 100.0) == 0.0


def test_opensta_lists_the_endpoints_below_the_margin():
    script = timing.sta_script(["a.lib"], "n.v", "top", "c.sdc", "p.spef", hold_below=0.05)
    assert "-path_delay min -group_count 100000 -endpoint_count 1 -slack_max 0.0500 " \
           "-format summary" in script
    assert "-slack_max" not in timing.sta_script(["a.lib"], "n.v", "top", "c.sdc")
    log = ("=== end\ntns 0.00\n=== hold endpoints\n"
           "Startpoint                           Endpoint                    Slack\n"
           "--------------------------------------------------------------------\n"
           "regs_ff27/Q (DFFPOSX1)               datapath_ff60/D (DFFPOSX1)  -0.076\n"
           "m/Q (tlcim_subarray)     m2/nvm_sl[1] (tlcim_subarray)    0.047\n"
           "=== hold endpoints end\n")
    assert timing.hold_endpoints(log) == (("regs_ff27/Q", "datapath_ff60/D", -0.076),
                                          ("m/Q", "m2/nvm_sl[1]", 0.047))
    assert timing.hold_endpoints("=== end\ntns 0.00\n") == ()


def test_buffers_take_the_fill_sites_nearest_the_endpoint(tmp_path):
    text, lef = four_rows(tmp_path, fill=True)
    before = dict((name, (cell, x, y)) for name, cell, x, y, _ in
                  deffile.placements(deffile.split_sections(text)["COMPONENTS"]))
    done = hold.insert(_netlist(), text, lef, {"u4/A": 2})
    assert done.buffers == ("hold_eco0", "hold_eco1")
    sections = deffile.split_sections(done.text)
    after = {name: (cell, x, y, orient) for name, cell, x, y, orient in
             deffile.placements(sections["COMPONENTS"])}
    assert f"COMPONENTS {len(after)} ;" in sections["COMPONENTS"]
    # Each buffer on 3 sites that were fill, in u4's row (35 um, flipped) beside it.
    fills = collections.Counter(cell for cell, *_ in before.values())["FILL"]
    assert collections.Counter(cell for cell, *_ in after.values())["FILL"] == fills - 6
    for name in done.buffers:
        cell, x, y, orient = after[name]
        assert (cell, y, orient) == ("BUFX2", 3500, "FS")
        assert all(before[f][0] == "FILL" for f in before if f not in after)
        assert all(not (x <= other[1] < x + 240) for n, other in after.items() if n != name
                   and other[2] == y), "a buffer overlaps another cell"
    assert abs(after["hold_eco0"][1] - 2000) <= 400 and done.boxes[0][1] == 35.0
    # n2 now ends at the chain, which drives u4's A; nothing else changed.
    nets = _connections(done.text)
    assert nets["n2"] == [("hold_eco0", "A"), ("u3", "Y")]
    assert nets["hold_eco0_y"] == [("hold_eco0", "Y"), ("hold_eco1", "A")]
    assert nets["hold_eco1_y"] == [("hold_eco1", "Y"), ("u4", "A")]
    assert f"NETS {len(nets)} ;" in sections["NETS"]
    assert {net: ends for net, ends in nets.items() if not net.startswith("hold")} == {
        **_connections(text), "n2": [("hold_eco0", "A"), ("u3", "Y")]}
    # The netlist says the same as the DEF.
    assert {net: sorted(ends) for net, ends in done.netlist.nets().items()
            if net not in ("a", "y")} == {net: ends for net, ends in nets.items()
                                          if net not in ("a", "y")}
    assert set(done.nets) >= {"n2", "hold_eco0_y", "hold_eco1_y"}


def test_a_macro_pins_buffer_goes_next_to_a_cell_on_its_net(tmp_path):
    # Taken as a macro, u4 is no row cell to stand beside: the buffer goes by u3 (row 25 um),
    # which drives u4's A.
    text, lef = four_rows(tmp_path, fill=True)
    netlist = _netlist()
    macro = [cell for cell in netlist.cells if cell.name == "u4"]
    netlist = GateNetlist(netlist.top, netlist.ports, tuple(c for c in netlist.cells
                                                            if c.name != "u4"),
                          tuple(macro), "gnd", "vdd")
    done = hold.insert(netlist, text, lef, {"u4/A": 1})
    placed = {name: (x, y) for name, _, x, y, _ in
              deffile.placements(deffile.split_sections(done.text)["COMPONENTS"])}
    assert placed["hold_eco0"][1] == 2500 and abs(placed["hold_eco0"][0] - 1000) <= 400
    assert done.netlist.macros[0].pins["A"] == "hold_eco0_y"


def test_bad_endpoints_and_full_rows_are_refused(tmp_path):
    text, lef = four_rows(tmp_path, fill=True)
    for endpoint in ("u9/A", "u4/Q", "u4"):
        with pytest.raises(ValueError, match=f"hold fixing: {endpoint} is not a connected pin"):
            hold.insert(_netlist(), text, lef, {endpoint: 1})
    with pytest.raises(ValueError, match="no free run of 2.4 um left in the rows for a BUFX2"):
        hold.insert(_netlist(), text, lef, {"u4/A": 60})


def test_a_routed_layout_gets_its_buffer_and_is_routed_again(tmp_path):
    need_tools()
    text, lef = four_rows(tmp_path, fill=True)
    lines = []
    steps = tools.Steps(tmp_path, lines.append)
    routing = regions.route(steps, "placed.def", ["cells.lef"], lef, 1, progress=lines.append)
    done = hold.insert(_netlist(), routing.text, lef, {"u2/A": 1})
    fixed, changed = regions.reroute(steps, routing.__class__(**{
        **routing.__dict__, "text": done.text}), done.nets, ["cells.lef"], lef, name="hold1",
        progress=lines.append)
    assert {"n1", "hold_eco0_y"} <= set(changed)
    # Routed by the reroute itself (a net qrouter misread would come out open and need a
    # repair run).
    assert "hold1_repair" not in fixed.times, lines
    shapes = connectivity.extract(deffile.close_sections(fixed.text), lef)
    assert (fixed.failed, fixed.detached, shapes.opens, shapes.shorts) == ((), (), (), ()), lines
    routed = deffile.read_routed(fixed.text)
    assert routed.unrouted() == [] and routed.components["hold_eco0"] == "BUFX2"
    assert routed.nets["hold_eco0_y"].length > 0
    assert fixed.rc["hold_eco0_y"].split()[0] == "hold_eco0_y"
    assert sorted(routed.nets["n1"].connections) == [("hold_eco0", "A"), ("u1", "Y")]
