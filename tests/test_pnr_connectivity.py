"""tlcim.pnr.connectivity: opens and shorts found in a routed DEF's shapes (hand-made layouts
on the two-layer test library; qrouter's own output in test_pnr_route)."""

import pytest
from pnr_helpers import read_test_lef

from tlcim.pnr import connectivity, deffile

# u1 (an inverter flipped, FS, at 10, 20 um) drives the macro m0 (at 50, 60 um); pin a feeds
# u1.A; u2 (an inverter, N, at 20, 20 um) is connected to nothing. u1.A lies at x 10.2-10.6,
# y 27.3-28.1 um when flipped (21.9-22.7 were it not), its vdd rail at y 19.7-20.3 um.
A_UP = "+ ROUTED metal2 ( 1040 50 ) ( * 2750 ) M2_M1"
N_ROUTE = ("+ ROUTED metal1 ( 1120 2500 ) M2_M1\n  NEW metal2 ( 1120 2500 ) ( * 5500 )\n"
           "  NEW metal2 ( 1120 5500 ) ( 6015 * ) ( * 6050 ) ;")
POWER = ("VIAS 1 ;\n- pad21\n+ RECT metal1 ( -30 -30 ) ( 30 30 )\n"
         "+ RECT metal2 ( -30 -30 ) ( 30 30 ) ;\nEND VIAS")
RAIL = ("SPECIALNETS 1 ;\n- vdd\n+ FIXED metal1 60 ( 1000 2000 ) ( 3000 * )\n"
        "  NEW metal1 60 ( 3000 2000 ) pad21 ;\nEND SPECIALNETS")


def _layout(tmp_path, a_route=A_UP + " ;", n_route=N_ROUTE, vias="", special=""):
    lef = read_test_lef(tmp_path)
    components = [deffile.Component("u1", "INV", 10, 20, "FS"),
                  deffile.Component("u2", "INV", 20, 20, "N"),
                  deffile.Component("m0", "BLK", 50, 60, "N", fixed=True)]
    pins = [deffile.IoPin("a", "input", 10.4, 0.5, "metal2", 0.15, 0.5)]
    nets = {"a": [("PIN", "a"), ("u1", "A")], "n": [("u1", "Y"), ("m0", "d[0]")]}
    text = deffile.placed_def("top", (100, 100), [("ROW_0", "core", 10, 20, "FS", 20, 0.8)],
                              lef.layers, components, pins, nets, vias=vias,
                              specialnets=special)
    text = text.replace("  ( u1 A )\n;", f"  ( u1 A )\n{a_route}")
    text = text.replace("  ( m0 d[0] )\n;", f"  ( m0 d[0] )\n{n_route}")
    return connectivity.extract(text, lef)


def test_a_routed_layout_is_connected_and_has_no_shorts(tmp_path):
    found = _layout(tmp_path)
    assert (found.opens, found.shorts) == ((), ())
    assert found.shapes > 10


def test_a_pin_found_only_where_the_orientation_puts_it(tmp_path):
    # The same wire ended where u1.A would be unflipped (y 22.3 um) misses it.
    found = _layout(tmp_path, a_route="+ ROUTED metal2 ( 1040 50 ) ( * 2230 ) M2_M1 ;")
    assert found.opens == ("a",)


def test_a_wire_cut_short_is_an_open(tmp_path):
    found = _layout(tmp_path, n_route=N_ROUTE.replace("( * 5500 )", "( * 5000 )"))
    assert found.opens == ("n",) and found.shorts == ()


def test_stub_ends_flush_and_a_gap_stays_open(tmp_path):
    # Special wiring (qrouter's stubs at pins) ends flush: a stub ending 0.1 um below the
    # pin does not reach it, one ending on its edge does.
    up = "+ ROUTED metal2 ( 1040 50 ) ( * 2650 ) M2_M1 ;"
    stub = "SPECIALNETS 1 ;\n- a\n+ ROUTED metal1 40 ( 1040 2650 ) ( * {} ) ;\nEND SPECIALNETS"
    assert _layout(tmp_path, a_route=up, special=stub.format(2720)).opens == ("a",)
    assert _layout(tmp_path, a_route=up, special=stub.format(2730)).opens == ()


@pytest.mark.parametrize("extra, short", [
    # across u1's flipped vdd rail
    ("  NEW metal1 ( 1040 2750 ) ( * 1950 ) ;", ("a", "vdd")),
    # across u1.Y, net n
    ("  NEW metal1 ( 1040 2750 ) ( 1140 * ) ;", ("a", "n")),
    # a piece on u2.A, which no net connects to
    ("  NEW metal1 ( 2040 2230 ) ( * 2240 ) ;", ("a", "u2/A")),
    # a piece in the macro's metal1 obstruction (x 50-90, y 60-90 um)
    ("  NEW metal1 ( 5100 7000 ) ( 5200 * ) ;", ("a", "m0 (OBS)")),
])
def test_shapes_of_two_owners_touching_are_a_short(tmp_path, extra, short):
    found = _layout(tmp_path, a_route=A_UP + "\n" + extra)
    assert short in found.shorts, found.shorts
    assert found.opens == ()


def test_vias_of_the_def_and_supply_wiring_take_part(tmp_path):
    # The supply rail's via (defined in the DEF's VIAS) reaches metal2 at x 29.7-30.3 um.
    clean = _layout(tmp_path, vias=POWER, special=RAIL)
    assert (clean.opens, clean.shorts) == ((), ())
    touching = _layout(tmp_path, vias=POWER, special=RAIL,
                       a_route=A_UP + "\n  NEW metal2 ( 1040 2000 ) ( 2975 * ) ;")
    assert ("a", "vdd") in touching.shorts


def test_an_unknown_via_is_refused(tmp_path):
    with pytest.raises(ValueError, match="via 'M9_M8' is not defined"):
        _layout(tmp_path, a_route="+ ROUTED metal2 ( 1040 50 ) ( * 2750 ) M9_M8 ;")


def test_an_unknown_orientation_is_refused(tmp_path, monkeypatch):
    real = deffile.placed_def
    monkeypatch.setattr(deffile, "placed_def",
                        lambda *a, **k: real(*a, **k).replace(") FS ;", ") XY ;"))
    with pytest.raises(ValueError, match="u1: orientation 'XY' is not a DEF one"):
        _layout(tmp_path)
