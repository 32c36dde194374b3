"""tlcim.area_quality: the full-adder bound, and the periphery's sums against it on paper."""

import pytest

from tlcim.area_quality import area_quality, full_adder_bound
from tlcim.golden import Config


def test_full_adder_bound():
    # Two 6-bit operands into 7 bits: a 6-bit ripple adder's 5 full adders (+1 half adder).
    assert full_adder_bound([6, 6], 7) == 5
    # Six 5-bit codes into 8 bits.
    assert full_adder_bound([5] * 6, 8) == 22
    assert full_adder_bound([3], 8) == 0
    with pytest.raises(ValueError, match=r"widths and result_width must be at least 1, not"):
        full_adder_bound([0, 4], 5)


def test_area_quality_targets_met_on_paper():
    # Both sums within 1.3x of their full-adder bound and smaller than naive.
    quality = area_quality(Config.preset("paper"), progress=lambda line: None)
    for name in ("accumulate tree", "shift & add"):
        q = quality[name]
        assert q["bound_ge"] < q["ge"] <= 1.3 * q["bound_ge"], (name, q)
        assert q["ge"] < q["naive_ge"] and q["meets_target"], (name, q)
