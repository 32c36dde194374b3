"""tlcim.pnr.place: graywolf's netlist and parameters written, its placement read back."""

import pytest
from pnr_helpers import read_test_lef, tiny_netlist

from tlcim.pnr import floorplan, place


def test_cel_pads_and_padding(tmp_path):
    lef = read_test_lef(tmp_path)
    netlist = tiny_netlist()
    plan = floorplan.plan(100.0, [("sub_m0", lef.macros["BLK"])], lef, 0.5)
    pads = floorplan.macro_pads(netlist, lef, plan)
    # The tie buffer sits in the core too; ``y`` is a top-level port (bottom edge).
    assert set(pads) == {"n", "tie1_0"}
    text = place.cel_text(netlist, lef, plan, pads)
    # INV (1.6 um) at utilisation 0.5 takes 3.2 um: 320 units, pin A 0.4 um from its left.
    assert "cell 1 u1\nleft -160 right 160 bottom -500 top 500\n" in text
    assert "pin name A signal a layer 1 -120 -270" in text
    assert "pad 1 name twpin_a\n" in text and "restrict side B" in text
    assert f"restrict side T\nsidespace {pads['n']:.4f}\npin name n signal n" in text
    par = place.par_text("TWSC*do.global.route  : on\n*random.seed : 1\n", 7, fast=3)
    assert "TWSC*do.global.route : off" in par and "GENR*numrows : 7" in par
    assert "TWSC*fast : 3" in par and par.count("random.seed") == 1


def test_read_placement_puts_mirrored_cells_at_the_right_end(tmp_path):
    lef = read_test_lef(tmp_path)
    netlist = tiny_netlist()
    plan = floorplan.plan(100.0, [], lef, 0.5)
    pl1 = "\n".join(f"{c.name} 100 0 420 1000 {orient} 1" for c, orient in
                    zip(netlist.cells, ("0", "3"))) + "\ntwpin_a 200 -100 280 0 0 -1\n"
    cells, pads = place.read_placement(pl1, netlist, lef, plan)
    assert [(c.x, c.orient) for c in cells] == [(0.0, "N"), (1.6, "S")]
    assert pads["a"] == (1.4, -1)
    with pytest.raises(ValueError, match="graywolf placed 1 of 2 cells"):
        place.read_placement(pl1.splitlines()[0], netlist, lef, plan)
