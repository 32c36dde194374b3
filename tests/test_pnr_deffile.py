"""tlcim.pnr.deffile: a placed DEF written and a routed one read back."""

import pytest
from pnr_helpers import read_test_lef

from tlcim.pnr import deffile


def test_def_written_and_read_back(tmp_path):
    lef = read_test_lef(tmp_path)
    components = [deffile.Component("u1", "INV", 10, 20, "FS"),
                  deffile.Component("m0", "BLK", 50, 60, "N", fixed=True)]
    pins = [deffile.IoPin("a", "input", 10.4, 0.5, "metal2", 0.15, 0.5)]
    nets = {"a": [("PIN", "a"), ("u1", "A")], "n": [("u1", "Y"), ("m0", "d[0]")]}
    text = deffile.placed_def("top", (100, 100), [("ROW_0", "core", 10, 20, "FS", 10, 0.8)],
                              lef.layers, components, pins, nets)
    assert "- m0 BLK + FIXED ( 5000 6000 ) N ;" in text
    assert "TRACKS X 40 DO 125 STEP 80 LAYER metal2 ;" in text
    routed = text.replace("  ( u1 A )\n;", "  ( u1 A )\n+ ROUTED metal2 ( 1040 50 ) ( * 2500 ) "
                                            "M2_M1\n  NEW metal1 ( 1040 2500 ) ( 1100 * ) ;")
    design = deffile.read_routed(routed)
    assert design.die == (100.0, 100.0)
    assert design.components == {"u1": "INV", "m0": "BLK"}
    assert design.nets["a"].routed and design.nets["a"].length == pytest.approx(25.1)
    assert design.nets["a"].vias == 1
    assert design.unrouted() == ["n"]


def test_close_sections_ends_what_qrouter_left_open():
    text = ("NETS 1 ;\n- a\n;\nEND NETS\nSPECIALNETS 1 ;\n- a\n"
            "+ ROUTED metal1 40 ( 0 0 ) ( 1 * ) ;\n\nEND DESIGN\n")
    closed = deffile.close_sections(text)
    assert closed.endswith("( 1 * ) ;\n\nEND SPECIALNETS\nEND DESIGN\n")
    assert deffile.close_sections(closed) == closed
