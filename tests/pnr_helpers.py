"""Hand-made inputs of the place-and-route tests: a two-layer LEF with an inverter, a fill
cell and a block macro, and a tiny yosys netlist using them."""

import os
import shutil
import subprocess

import pytest

from tlcim.pnr import deffile, route, tools
from tlcim.pnr.lef import read_lef
from tlcim.pnr.netlist import from_json
from tlcim.signoff.library import find_library

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
VIA M2_M1 DEFAULT
  LAYER metal1 ;
    RECT -0.2 -0.2 0.2 0.2 ;
  LAYER via ;
    RECT -0.1 -0.1 0.1 0.1 ;
  LAYER metal2 ;
    RECT -0.2 -0.2 0.2 0.2 ;
END M2_M1
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


def read_test_lef(folder):
    """Write :data:`LEF` into ``folder`` and return it read (:class:`tlcim.pnr.lef.Lef`)."""
    path = folder / "cells.lef"
    path.write_text(LEF)
    return read_lef(path)


def dump():
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


def tiny_netlist():
    """:func:`dump` read as a :class:`tlcim.pnr.netlist.GateNetlist` (BLK the macro)."""
    return from_json(dump(), "top", {"BLK"}, buffer=("INV", "A", "Y"))


def need_tools():
    """Skip a test without the place-and-route tools, or fail it in CI (which installs them)."""
    reasons = tools.missing()
    if reasons:
        if os.environ.get("CI"):
            pytest.fail("place and route tools missing in CI: " + "; ".join(reasons))
        pytest.skip(f"place and route tools missing (run {tools.SYSTEM_DEPS}): "
                    + "; ".join(reasons))


def route_two_inverters(folder):
    """Write two osu018 inverters whose inputs come from pins ``a`` and ``b``, below the two
    supply nets, into ``folder`` (``cells.lef``, ``placed.def``); route them with qrouter
    (``routed.def``) and return its log. Skips without the tools (fails in CI)."""
    need_tools()
    shutil.copy(find_library().lef, folder / "cells.lef")
    lef = read_lef(folder / "cells.lef")
    components = [deffile.Component("u1", "INVX1", 10, 20, "N"),
                  deffile.Component("u2", "INVX1", 30, 20, "N")]
    pins = [deffile.IoPin(name, "input", x, 0.5, "metal2", 0.15, 0.5)
            for name, x in (("a", 10.4), ("b", 30.4))]
    nets = {"a": [("PIN", "a"), ("u1", "A")], "b": [("PIN", "b"), ("u2", "A")]}
    special = ("SPECIALNETS 2 ;\n- vdd\n+ FIXED metal1 60 ( 1000 3000 ) ( 5000 * ) ;\n"
               "- gnd\n+ FIXED metal1 60 ( 1000 2000 ) ( 5000 * ) ;\nEND SPECIALNETS")
    (folder / "placed.def").write_text(deffile.placed_def(
        "top", (60, 60), [("ROW_0", "core", 10, 20, "N", 50, 0.8)], lef.layers, components,
        pins, nets, specialnets=special))
    (folder / "route.tcl").write_text(route.config_text(["cells.lef"], len(lef.layers),
                                                        "placed.def"))
    done = subprocess.run([tools.find("qrouter"), "-noc", "-nog", "-s", "route.tcl"],
                          cwd=folder, capture_output=True, text=True, timeout=120)
    return done.stdout + done.stderr


# Four rows of osu018 inverters (10 um tall; N and FS by turns, so the rails are shared):
# n1 stays in the lower two rows (strip 0), n2 in the upper two (strip 1), n3 goes from one
# strip to the other, a and y come from pins; "alone" has one connection and is not routed.
CELLS = [("u1", 10, 5, "N"), ("u2", 20, 15, "FS"), ("u5", 30, 5, "N"),
         ("u3", 10, 25, "N"), ("u4", 20, 35, "FS")]
NETS = {"a": [("PIN", "a"), ("u1", "A")], "n1": [("u1", "Y"), ("u2", "A")],
        "n3": [("u2", "Y"), ("u3", "A")], "n2": [("u3", "Y"), ("u4", "A")],
        "y": [("u4", "Y"), ("PIN", "y")], "alone": [("u5", "A")]}


def _fill(lef):
    # FILL components on every site of the four rows (37 sites from x = 5 um) no cell covers.
    site, cells = lef.macros["FILL"].width, []
    for k in range(4):
        y = 5 + 10 * k
        covered = [(x, x + lef.macros["INVX1"].width) for _, x, cy, _ in CELLS if cy == y]
        for s in range(37):
            x = round(5 + s * site, 3)
            if not any(x < b - 1e-6 and x + site > a + 1e-6 for a, b in covered):
                cells.append(deffile.Component(f"FILL_{k}_{s}", "FILL", x, y,
                                               "FS" if k % 2 else "N"))
    return cells


def four_rows(folder, fill=False):
    """Write the osu018 LEF (``cells.lef``) and the placed DEF (``placed.def``) of
    :data:`CELLS` and :data:`NETS` into ``folder``; return (the DEF's text, the Lef). With
    ``fill``, FILL cells take every free site of the rows."""
    shutil.copy(find_library().lef, folder / "cells.lef")
    lef = read_lef(folder / "cells.lef")
    rails = {"gnd": (5, 25, 45), "vdd": (15, 35)}
    special = f"SPECIALNETS {len(rails)} ;\n" + "".join(
        f"- {net}\n+ FIXED " + "\n  NEW ".join(f"metal1 60 ( 500 {y * 100} ) ( 3500 * )"
                                               for y in ys) + " ;\n"
        for net, ys in rails.items()) + "END SPECIALNETS"
    text = deffile.placed_def(
        "top", (40, 50),
        [(f"ROW_{k}", "core", 5, 5 + 10 * k, "FS" if k % 2 else "N", 37, 0.8) for k in range(4)],
        lef.layers, [deffile.Component(name, "INVX1", x, y, orient)
                     for name, x, y, orient in CELLS] + (_fill(lef) if fill else []),
        [deffile.IoPin("a", "input", 10.4, 0.5, "metal2", 0.15, 0.5),
         deffile.IoPin("y", "output", 20.4, 49.5, "metal2", 0.15, 0.5)],
        NETS, specialnets=special)
    (folder / "placed.def").write_text(text)
    return text, lef
