"""tlcim.pnr.drc: magic's design-rule check on the library's rules, its script and its counts
(magic runs on two routed inverters; needs the Debian tools)."""

import subprocess

from pnr_helpers import route_two_inverters

from tlcim.pnr import deffile, drc, tools
from tlcim.signoff.library import find_library


def test_errors_read_back_and_reported():
    # Where: in magic's units, 0.05 um each here.
    log = ("Loading DRC rules\n*** drc scale: 0.05\n"
           "*** drc box: 100 -20 104 60 Metal2 area < 20 (Mosis #+++)\n"
           "*** drc box: 0 0 6 2 Metal3 spacing < 3 (Mosis #15.2)\n*** drc total: 2\n")
    assert drc.read_errors(log) == [("Metal2 area < 20 (Mosis #+++)", (5.0, -1.0, 5.2, 3.0)),
                                    ("Metal3 spacing < 3 (Mosis #15.2)", (0.0, 0.0, 0.3, 0.1))]
    assert drc.check_log(log) is None
    # Magic did not get to its counts: no errors read, and the log is refused.
    assert drc.read_errors("magic: couldn't load technology\n") == []
    assert drc.check_log("magic: couldn't load technology\n") == "magic printed no DRC count"
    report = drc.report_text(3, {"Metal2 area < 20 (Mosis #+++)": 2, "Metal3 spacing": 1})
    assert "3 errors" in report and "       2  Metal2 area < 20 (Mosis #+++)" in report


def test_routed_inverters_are_clean_and_a_small_pad_is_not(tmp_path):
    route_two_inverters(tmp_path)
    routed = deffile.close_sections((tmp_path / "routed.def").read_text())
    # A 0.4 x 0.3 um piece of metal2 on its own: below the layer's minimum area (0.2 um2).
    pad = routed.replace("( 5000 * ) ;\nEND SPECIALNETS",
                         "( 5000 * )\n  NEW metal2 30 ( 5500 5500 ) ( 5510 * ) ;\nEND SPECIALNETS")
    assert pad != routed
    rules, boxes = {}, {}
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
        log = done.stdout + done.stderr
        assert drc.check_log(log) is None, log[-2000:]
        errors = drc.read_errors(log)
        rules[name] = sorted(rule for rule, _ in errors)
        boxes[name] = [box for _, box in errors]
    assert rules["clean"] == []
    # The pad breaks the layer's minimum area; asked under the error's own small box, magic
    # names the piece's width as well.
    assert rules["pad"] == ["Metal2 area < 20 (Mosis #+++)", "Metal2 width < 3 (Mosis #9.1)"]
    assert rules["window"] == rules["pad"] and rules["clean_window"] == []
    assert boxes["clean"] == [] and boxes["two"] == boxes["window"] == boxes["pad"]
    # The errors are where the pad is (x 55-55.1 um, y 54.85-55.15 um).
    for x0, y0, x1, y1 in boxes["pad"]:
        assert x0 <= 55.1 and x1 >= 55 and y0 <= 55.15 and y1 >= 54.85, boxes
