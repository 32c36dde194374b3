"""tlcim.pnr.lvs: the SPICE netlists netgen compares, and its verdict read."""

from pnr_helpers import read_test_lef, tiny_netlist

from tlcim.pnr import lvs


def test_lvs_spice_and_verdict(tmp_path):
    lef = read_test_lef(tmp_path)
    netlist = tiny_netlist()
    text = lvs.spice_text("top", ["a", "y"], [(c.name, c.cell, c.pins)
                                            for c in netlist.instances()], lef, ["vdd", "gnd"])
    assert ".subckt BLK d[0] d[1] q vdd gnd" in text
    assert "Xsub_m0 n tie1_0 y vdd gnd BLK" in text
    verdict = lvs.read_result("Circuit 1 contains 3 devices, Circuit 2 contains 3 devices.\n"
                              "Circuit 1 contains 4 nets,    Circuit 2 contains 5 nets.\n"
                              "Netlists do not match.\n")
    assert not verdict["match"] and verdict["cells"] == [3, 3] and verdict["nets"] == [4, 5]
    assert lvs.read_result("Netlists match uniquely.\nResult: Circuits match uniquely.\n")[
        "match"]
