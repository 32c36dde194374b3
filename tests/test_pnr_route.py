"""tlcim.pnr.route: qrouter's bounded schedule and its failed-net counts."""

from tlcim.pnr import route


def test_router_script_and_counts():
    assert route.failed_counts("*** failed after stage1: 12\n*** failed after stage2 mask 10:"
                               " 3\n*** final failed: 0\n") == [12, 3, 0]
    script = route.config_text(["cells.lef"], 6, "placed.def", passes=2)
    assert "read_def placed.def" in script and "$pass < 2" in script
