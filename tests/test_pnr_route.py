"""tlcim.pnr.route: qrouter's bounded schedule, its failed-net counts and the routes it could
not attach to a pin, and qrouter run on a two-cell design written by
:func:`tlcim.pnr.deffile.placed_def` (needs the Debian tools)."""

from pnr_helpers import route_two_inverters

from tlcim.pnr import deffile, route


def test_router_script_and_counts():
    assert route.failed_counts("*** failed after stage1: 12\n*** failed after stage2 mask 10:"
                               " 3\n*** final failed: 0\n") == [12, 3, 0]
    script = route.config_text(["cells.lef"], 6, "placed.def", passes=2)
    assert "read_def placed.def" in script and "$pass < 2" in script
    assert "via stack 1" in script


def test_detached_nets_of_the_last_pass():
    failure = "Error:  Failure to find route {} node/route on net {}!\n"
    first = failure.format("end", "a") + failure.format("start", "b[3]")
    assert route.detached_nets(first + "*** failed after stage1: 0\n") == ["a", "b[3]"]
    # The cleanup stage reroutes every net: what failed before it no longer counts.
    log = (first + "*** failed after stage1: 2\n*** failed after stage2 mask 10 effort 10: 0\n"
           + failure.format("end", "c") + "*** failed after stage3: 0\n"
           + failure.format("end", "d") + "*** final failed: 0\n")
    assert route.detached_nets(log) == ["c", "d"]


def test_the_first_signal_nets_route_as_themselves(tmp_path):
    # qrouter numbers a second net section's nets on from the first's count: with the two
    # supplies read first, signal net a took the supply's number (wired through vdd, 65 um)
    # and b the antenna net's (never routed). Each goes straight up to its inverter: 22 um.
    log = route_two_inverters(tmp_path)
    assert route.failed_counts(log)[-1] == 0, log[-2000:]
    assert route.detached_nets(log) == []
    routed = deffile.read_routed((tmp_path / "routed.def").read_text())
    assert routed.unrouted() == []
    assert [round(routed.nets[name].length, 2) for name in "ab"] == [22.05, 22.05]
