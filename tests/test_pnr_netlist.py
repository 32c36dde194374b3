"""tlcim.pnr.netlist: constants tied through buffers, names kept."""

from pnr_helpers import tiny_netlist


def test_netlist_ties_constants_and_keeps_names():
    netlist = tiny_netlist()
    assert [m.name for m in netlist.macros] == ["sub_m0"]
    macro = netlist.macros[0]
    assert macro.pins["d[0]"] == "n"
    tie = macro.pins["d[1]"]
    driver = next(c for c in netlist.cells if c.pins.get("Y") == tie)
    assert driver.pins["A"] == netlist.power
    # The output port is driven by the macro directly: no buffer needed.
    assert netlist.nets()["y"] == [("PIN", "y"), ("sub_m0", "q")]
