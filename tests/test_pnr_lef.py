"""tlcim.pnr.lef: layers, site, macros and pin edges read from a LEF."""

from pnr_helpers import read_test_lef

from tlcim.pnr import floorplan


def test_lef_reader(tmp_path):
    lef = read_test_lef(tmp_path)
    assert [layer.name for layer in lef.layers] == ["metal1", "metal2"]
    assert lef.layers[0].offset == 0.5 and lef.layers[1].offset == 0.4
    assert lef.site == (0.8, 10.0)
    block = lef.macros["BLK"]
    assert block.cls == "BLOCK" and (block.width, block.height) == (40.0, 30.0)
    assert [pin.name for pin in block.signal_pins()] == ["d[0]", "d[1]", "q"]
    assert lef.macros["INV"].pins["vdd"].supply
    assert floorplan.pin_edge(block, block.pins["d[0]"]) == "S"
    assert floorplan.pin_edge(block, block.pins["q"]) == "N"
