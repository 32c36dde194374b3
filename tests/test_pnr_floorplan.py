"""tlcim.pnr.floorplan: macros above the core, facing it; utilisation checked."""

import pytest
from pnr_helpers import read_test_lef

from tlcim.pnr import floorplan


def test_floorplan_puts_macros_above_the_core_facing_it(tmp_path):
    lef = read_test_lef(tmp_path)
    block = lef.macros["BLK"]
    plan = floorplan.plan(4000.0, [("m0", block), ("m1", block)], lef, 0.5)
    x0, y0, x1, y1 = plan.core
    assert plan.rows * plan.row_height == y1 - y0
    assert (x1 - x0) * (y1 - y0) >= 4000.0 / 0.5
    for slot in plan.macros:
        assert slot.y >= y1 + floorplan.CHANNEL_UM and slot.orient == "N"
        assert slot.y + block.height <= plan.die[1] - floorplan.MARGIN_UM + 1e-6
    assert plan.macros[1].x >= plan.macros[0].x + block.width + floorplan.GAP_UM - 1e-6
    # Pins on the north edge only: the macro is flipped to face the core with them.
    north = dict(block.pins)
    north.pop("d[0]"), north.pop("d[1]")
    flipped = floorplan.plan(4000.0, [("m", type(block)(**{**block.__dict__, "pins": north}))],
                             lef, 0.5)
    assert flipped.macros[0].orient == "FS"


@pytest.mark.parametrize("value", [0, 1, 1.5, -0.2, "0.5", True])
def test_floorplan_refuses_a_bad_utilization(tmp_path, value):
    lef = read_test_lef(tmp_path)
    with pytest.raises(ValueError, match=r"utilization must be a number in \(0, 1\), not"):
        floorplan.plan(1000.0, [], lef, value)
