"""tlcim.pnr.timing: OpenSTA's setup and hold reports read into slacks and Fmax."""

import pytest

from tlcim.pnr import timing


def test_timing_parse():
    log = ("=== setup\nStartpoint: a (rising edge)\nEndpoint: b\n   4.250   slack (MET)\n"
           "=== hold\nStartpoint: c\nEndpoint: d\n  -0.010   slack (VIOLATED)\n=== end\n"
           "tns 0.00\n")
    timed = timing.read_timing(log, 100.0)
    assert (timed.wns_ns, timed.hold_wns_ns) == (4.25, -0.01) and not timed.met
    assert timed.fmax_mhz == pytest.approx(1000 / 5.75)
    assert timed.setup_path == ("a", "b")
    assert timing.check_log("Error: pin x not found\n") == "Error: pin x not found"
    with pytest.raises(ValueError, match="no constrained paths"):
        timing.read_timing("=== setup\nNo paths found.\n=== hold\n=== end\n", 100.0)
