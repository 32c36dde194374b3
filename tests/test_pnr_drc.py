"""tlcim.pnr.drc: magic's design-rule check on the library's rules, its script and its counts
(magic runs on two routed inverters; needs the Debian tools)."""

import subprocess

import pytest
from pnr_helpers import route_two_inverters

from tlcim.pnr import deffile, drc, tools
from tlcim.signoff.library import find_library


def test_counts_read_back():
    log = ("Loading DRC rules\n*** drc total: 3\n*** drc rule: 2 Metal2 area < 20 (Mosis #+++)\n"
           "*** drc rule: 1 Metal3 spacing < 3 (Mosis #15.2)\n")
    total, rules = drc.read_result(log)
    assert total == 3
    assert rules == {"Metal2 area < 20 (Mosis #+++)": 2, "Metal3 spacing < 3 (Mosis #15.2)": 1}
    assert "3 errors" in drc.report_text(total, rules)
    assert drc.read_result("*** drc total: 0\n") == (0, {})
    # Where: in magic's units, 0.05 um each here.
    errors = drc.read_errors(log + "*** drc scale: 0.05\n"
                                   "*** drc box: 100 -20 104 60 Metal2 area < 20 (Mosis #+++)\n")
    assert errors == [("Metal2 area < 20 (Mosis #+++)", (5.0, -1.0, 5.2, 3.0))]
    assert drc.read_errors(log) == []


def test_no_count_is_an_error():
    with pytest.raises(ValueError, match="no DRC count"):
        drc.read_result("magic: couldn't load technology\n")


def test_routed_inverters_are_clean_and_a_small_pad_is_not(tmp_path):
    route_two_inverters(tmp_path)
    routed = deffile.close_sections((tmp_path / "routed.def").read_text())
    # A 0.4 x 0.3 um piece of metal2 on its own: below the layer's minimum area (0.2 um2).
    pad = routed.replace("( 5000 * ) ;\nEND SPECIALNETS",
                         "( 5000 * )\n  NEW metal2 30 ( 5500 5500 ) ( 5510 * ) ;\nEND SPECIALNETS")
    assert pad != routed
    counts, boxes = {}, {}
    # Checked in windows only: one around the pad finds it, the same window on the routed
    # layout finds nothing, and the pad is listed when another window is checked after its
    # own (magic lists what is under its box: the script moves the box to each error).
    for name, text, windows in (("clean", routed, None), ("pad", pad, None),
                                ("window", pad, [(54, 54, 56, 56)]),
                                ("clean_window", routed, [(54, 54, 56, 56)]),
                                ("two", pad, [(54, 54, 56, 56), (40, 40, 50, 50)])):
        (tmp_path / f"{name}.def").write_text(text)
        (tmp_path / f"{name}.tcl").write_text(drc.script_text(
            find_library().folder, ["cells.lef"], f"{name}.def", "top", windows))
        done = subprocess.run([tools.find("magic"), "-dnull", "-noconsole", f"{name}.tcl"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
        counts[name] = drc.read_result(done.stdout + done.stderr)
        boxes[name] = [box for _, box in drc.read_errors(done.stdout + done.stderr)]
    assert counts["clean"] == (0, {})
    # The pad breaks the layer's minimum area; asked under the error's own small box, magic
    # names the piece's width as well.
    total, rules = counts["pad"]
    assert total == 2 and set(rules) == {"Metal2 area < 20 (Mosis #+++)",
                                         "Metal2 width < 3 (Mosis #9.1)"}, rules
    assert counts["window"] == counts["pad"] and counts["clean_window"] == (0, {})
    assert boxes["clean"] == [] and boxes["two"] == boxes["window"] == boxes["pad"]
    # The errors are where the pad is (x 55-55.1 um, y 54.85-55.15 um).
    for x0, y0, x1, y1 in boxes["pad"]:
        assert x0 <= 55.1 and x1 >= 55 and y0 <= 55.15 and y1 >= 54.85, boxes
