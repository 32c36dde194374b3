"""tlcim pnr: the pieces of the flow on small hand-made inputs, the command's refusals, and the
whole flow on the smallest configuration with two subarrays (``REDUCED``; needs the Debian
tools) and on ``small`` (``--long``)."""

import json
import os

import pytest

from tlcim.golden import Config
from tlcim.pnr import deffile, extract, floorplan, lvs, place, route, timing, tools
from tlcim.pnr.lef import read_lef
from tlcim.pnr.netlist import from_json

#: The smallest configuration that still has two subarrays: one 16-row compute block, one
#: CBL on its own ADC, 1-trit inputs and weights, a 2-bit ADC, one weight set. Its periphery
#: is about 6,000 osu018 cells (the fixed part: bus interfaces, registers, controller).
REDUCED = Config(rows=16, active_rows=16, cbls=1, x_trits=1, w_trits=1, adc_bits=2,
                 adc_share=1, clusters=1, cluster_size=1, subarrays=2)

LEF = """VERSION 5.6 ;
LAYER metal1
  TYPE ROUTING ;
  DIRECTION HORIZONTAL ;
  PITCH 1 ;
  WIDTH 0.3 ;
END metal1
LAYER metal2
  TYPE ROUTING ;
  DIRECTION VERTICAL ;
  PITCH 0.8 ;
  OFFSET 0.4 ;
  WIDTH 0.3 ;
END metal2
SITE core
  CLASS CORE ;
  SIZE 0.8 BY 10 ;
END core
MACRO INV
  CLASS CORE ;
  SIZE 1.6 BY 10 ;
  PIN A
    DIRECTION INPUT ;
    PORT
      LAYER metal1 ;
        RECT 0.2 1.9 0.6 2.7 ;
    END
  END A
  PIN Y
    DIRECTION OUTPUT ;
    PORT
      LAYER metal1 ;
        RECT 1.0 0.6 1.4 9.4 ;
    END
  END Y
  PIN vdd
    DIRECTION INOUT ;
    USE POWER ;
    PORT
      LAYER metal1 ;
        RECT 0 9.7 1.6 10.3 ;
    END
  END vdd
END INV
MACRO FILL
  CLASS CORE ;
  SIZE 0.8 BY 10 ;
END FILL
MACRO BLK
  CLASS BLOCK ;
  SIZE 40 BY 30 ;
  PIN d[0]
    DIRECTION INPUT ;
    PORT
      LAYER metal2 ;
        RECT 10 0 10.3 1 ;
    END
  END d[0]
  PIN d[1]
    DIRECTION INPUT ;
    PORT
      LAYER metal2 ;
        RECT 12 0 12.3 1 ;
    END
  END d[1]
  PIN q
    DIRECTION OUTPUT ;
    PORT
      LAYER metal2 ;
        RECT 20 29 20.3 30 ;
    END
  END q
  OBS
    LAYER metal1 ;
      RECT 0 0 40 30 ;
  END
END BLK
END LIBRARY
"""


@pytest.fixture
def lef(tmp_path):
    path = tmp_path / "cells.lef"
    path.write_text(LEF)
    return read_lef(path)


def _dump():
    # A yosys JSON netlist: a -> INV -> n -> macro d[0]; d[1] tied to 1; macro q -> y.
    return {"modules": {"top": {
        "ports": {"a": {"direction": "input", "bits": [2]},
                  "y": {"direction": "output", "bits": [3]}},
        "netnames": {"n": {"bits": [4], "hide_name": 0},
                     "$abc$1": {"bits": [4], "hide_name": 1}},
        "cells": {
            "u1": {"type": "INV", "port_directions": {"A": "input", "Y": "output"},
                   "connections": {"A": [2], "Y": [4]}},
            "sub.m0": {"type": "BLK",
                       "port_directions": {"d": "input", "q": "output"},
                       "connections": {"d": [4, "1"], "q": [3]}}}}}}


def test_netlist_ties_constants_and_keeps_names():
    netlist = from_json(_dump(), "top", {"BLK"}, buffer=("INV", "A", "Y"))
    assert [m.name for m in netlist.macros] == ["sub_m0"]
    macro = netlist.macros[0]
    assert macro.pins["d[0]"] == "n"
    tie = macro.pins["d[1]"]
    driver = next(c for c in netlist.cells if c.pins.get("Y") == tie)
    assert driver.pins["A"] == netlist.power
    # The output port is driven by the macro directly: no buffer needed.
    assert netlist.nets()["y"] == [("PIN", "y"), ("sub_m0", "q")]


def test_lef_reader(lef):
    assert [layer.name for layer in lef.layers] == ["metal1", "metal2"]
    assert lef.layers[0].offset == 0.5 and lef.layers[1].offset == 0.4
    assert lef.site == (0.8, 10.0)
    block = lef.macros["BLK"]
    assert block.cls == "BLOCK" and (block.width, block.height) == (40.0, 30.0)
    assert [pin.name for pin in block.signal_pins()] == ["d[0]", "d[1]", "q"]
    assert lef.macros["INV"].pins["vdd"].supply
    assert floorplan.pin_edge(block, block.pins["d[0]"]) == "S"
    assert floorplan.pin_edge(block, block.pins["q"]) == "N"


def test_floorplan_puts_macros_above_the_core_facing_it(lef):
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


@pytest.mark.parametrize("value", [0, 1.5, -0.2, "0.5", True])
def test_floorplan_refuses_a_bad_utilization(lef, value):
    with pytest.raises(ValueError, match=r"utilization must be a number in \(0, 1\], not"):
        floorplan.plan(1000.0, [], lef, value)


def test_cel_pads_and_padding(lef):
    netlist = from_json(_dump(), "top", {"BLK"}, buffer=("INV", "A", "Y"))
    plan = floorplan.plan(100.0, [("sub_m0", lef.macros["BLK"])], lef, 0.5)
    pads = floorplan.macro_pads(netlist, lef, plan)
    # The tie buffer sits in the core too; ``y`` is a top-level port (bottom edge).
    assert set(pads) == {"n", "tie1_0"}
    text = place.cel_text(netlist, lef, plan, pads)
    # INV (1.6 um) at utilisation 0.5 takes 3.2 um: 320 units, pin A 0.4 um from its left.
    assert "cell 1 u1\nleft -160 right 160 bottom -500 top 500\n" in text
    assert "pin name A signal a layer 1 -120 -270" in text
    assert "pad 1 name twpin_a\n" in text and "restrict side B" in text
    assert f"restrict side T\nsidespace {pads['n']:.4f}\npin name n signal n" in text
    par = place.par_text("TWSC*do.global.route  : on\n*random.seed : 1\n", 7, fast=3)
    assert "TWSC*do.global.route : off" in par and "GENR*numrows : 7" in par
    assert "TWSC*fast : 3" in par and par.count("random.seed") == 1


def test_read_placement_puts_mirrored_cells_at_the_right_end(lef):
    netlist = from_json(_dump(), "top", {"BLK"}, buffer=("INV", "A", "Y"))
    plan = floorplan.plan(100.0, [], lef, 0.5)
    pl1 = "\n".join(f"{c.name} 100 0 420 1000 {orient} 1" for c, orient in
                    zip(netlist.cells, ("0", "3"))) + "\ntwpin_a 200 -100 280 0 0 -1\n"
    cells, pads = place.read_placement(pl1, netlist, lef, plan)
    assert [(c.x, c.orient) for c in cells] == [(0.0, "N"), (1.6, "S")]
    assert pads["a"] == (1.4, -1)
    with pytest.raises(ValueError, match="graywolf placed 1 of 2 cells"):
        place.read_placement(pl1.splitlines()[0], netlist, lef, plan)


def test_def_written_and_read_back(lef):
    components = [deffile.Component("u1", "INV", 10, 20, "FS"),
                  deffile.Component("m0", "BLK", 50, 60, "N", fixed=True)]
    pins = [deffile.IoPin("a", "input", 10.4, 0.5, "metal2", 0.15, 0.5)]
    nets = {"a": [("PIN", "a"), ("u1", "A")], "n": [("u1", "Y"), ("m0", "d[0]")]}
    text = deffile.placed_def("top", (100, 100), [("ROW_0", "core", 10, 20, "FS", 10, 0.8)],
                              lef.layers, components, pins, nets)
    assert "- m0 BLK + FIXED ( 5000 6000 ) N ;" in text
    assert "TRACKS X 40 DO 125 STEP 80 LAYER metal2 ;" in text
    routed = text.replace("  ( u1 A )\n;", "  ( u1 A )\n+ ROUTED metal2 ( 1040 50 ) ( * 2500 ) "
                                            "M2_M1\n  NEW metal1 ( 1040 2500 ) ( 1100 * ) ;")
    design = deffile.read_routed(routed)
    assert design.die == (100.0, 100.0)
    assert design.components == {"u1": "INV", "m0": "BLK"}
    assert design.nets["a"].routed and design.nets["a"].length == pytest.approx(25.1)
    assert design.nets["a"].vias == 1
    assert design.unrouted() == ["n"]


def test_spef_from_qrouter_delays(lef):
    netlist = from_json(_dump(), "top", {"BLK"}, buffer=("INV", "A", "Y"))
    rc = "n 1 u1/Y 2 ( 3.5 0.001 ( 1.5 0.0005 sub_m0/d[0] ) , ( 2 0.0002 u9/A ) )\n"
    spef = extract.spef_text(rc, netlist, lef, {"u1": "INV", "sub_m0": "BLK", "u9": "INV"})
    assert "*C_UNIT 1 PF" in spef and "*D_NET n 0.0017" in spef
    assert "*I u1:Y O" in spef and "*I sub_m0:d[0] I" in spef and "*I u9:A I" in spef
    assert "1 u1:Y n:1 3.5" in spef and "2 n:1 n:2 1.5" in spef and "3 n:2 sub_m0:d[0] 0" in spef


def test_verilog_groups_macro_buses_and_constants(lef):
    netlist = from_json(_dump(), "top", {"BLK"}, buffer=("INV", "A", "Y"))
    text = extract.verilog_text(netlist, [(c.name, c.cell, c.pins)
                                          for c in netlist.instances()], lef)
    assert "  INV tie1_0_buf (.A(1'b1), .Y(tie1_0));" in text
    assert "  BLK sub_m0 (.d({tie1_0, n}), .q(y));" in text
    assert "  wire n;" in text and "  output y;" in text


def test_lvs_spice_and_verdict(lef):
    netlist = from_json(_dump(), "top", {"BLK"}, buffer=("INV", "A", "Y"))
    text = lvs.spice_text("top", ["a", "y"], [(c.name, c.cell, c.pins)
                                            for c in netlist.instances()], lef, ["vdd", "gnd"])
    assert ".subckt BLK d[0] d[1] q vdd gnd" in text
    assert "Xsub_m0 n tie1_0 y vdd gnd BLK" in text
    verdict = lvs.read_result("Circuit 1 contains 3 devices, Circuit 2 contains 3 devices.\n"
                              "Circuit 1 contains 4 nets,    Circuit 2 contains 5 nets.\n"
                              "Netlists do not match.\n")
    assert not verdict["match"] and verdict["cells"] == [3, 3] and verdict["nets"] == [4, 5]
    assert lvs.read_result("Netlists match uniquely.\nResult: Circuits match uniquely.\n")[
        "match"]


def test_router_counts_and_timing_parse():
    assert route.failed_counts("*** failed after stage1: 12\n*** failed after stage2 mask 10:"
                               " 3\n*** final failed: 0\n") == [12, 3, 0]
    script = route.config_text(["cells.lef"], 6, "placed.def", passes=2)
    assert "read_def placed.def" in script and "$pass < 2" in script
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


@pytest.mark.parametrize("args, message", [
    (["--utilization", "0"], "utilization must be a number in (0, 1], not 0.0"),
    (["--clock-mhz", "-5"], "clock_mhz must be a positive number, not -5.0"),
])
def test_cli_refuses_bad_input_and_writes_nothing(tmp_path, capsys, args, message):
    from tlcim.cli import main
    out = tmp_path / "out"
    assert main(["pnr", "--config", "small", "--out", str(out)] + args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def _need_tools():
    reasons = tools.missing()
    if reasons:
        if os.environ.get("CI"):
            pytest.fail("place and route tools missing in CI: " + "; ".join(reasons))
        pytest.skip(f"place and route tools missing (run {tools.SYSTEM_DEPS}): "
                    + "; ".join(reasons))


def _check_routed(out, result):
    assert result["unrouted_nets"] == 0 and result["unrouted"]["def"] == 0
    assert result["drc_errors"] == 0
    assert result["lvs"]["match"], result["lvs"]
    assert result["wns_ns"] >= 0 and result["hold_wns_ns"] >= 0
    assert all(result["checks"].values()), result["checks"]
    assert result["macros"] == 2
    for key in ("clock_mhz", "wns_ns", "hold_wns_ns", "unrouted_nets", "drc_errors",
                "utilization", "die_um", "cells", "macros", "wirelength_um", "runtime_s"):
        assert key in result
    for key in ("def", "netlist", "picture", "parasitics"):
        assert (out / result["files"][key]).stat().st_size > 0
    assert (out / result["files"]["picture"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reduced_configuration_routed(tmp_path):
    """The whole flow on ``REDUCED``: every net routed, LVS clean, timing met at 100 MHz."""
    _need_tools()
    from tlcim.cli import main
    config = tmp_path / "reduced.toml"
    config.write_text(REDUCED.to_toml())
    out = tmp_path / "pnr"
    assert main(["pnr", "--config", str(config), "--out", str(out)]) == 0
    _check_routed(out, json.loads((out / "pnr.json").read_text()))


@pytest.mark.slow
def test_small_routed(tmp_path):
    """``small`` (two 64 x 20 subarrays): every net routed, LVS clean, timing met."""
    _need_tools()
    from tlcim.cli import main
    out = tmp_path / "pnr"
    assert main(["pnr", "--config", "small", "--out", str(out)]) == 0
    _check_routed(out, json.loads((out / "pnr.json").read_text()))
