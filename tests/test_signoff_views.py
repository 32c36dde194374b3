# amaranth: UnusedElaboratable=no
"""The macro views of the subarray: Liberty, LEF and Verilog agree pin for pin, the Liberty
area is the LEF size, the pins match the black box, and yosys and OpenSTA read the files."""

import dataclasses
import re
import subprocess

import pytest

from tlcim.cost.constants import PAPER_CONSTANTS
from tlcim.golden import Config
from tlcim.hw.reram_array import NvmSubarrayBlackBox
from tlcim.signoff.views import MODULE, describe_macro, view_files
from tlcim.yosys import find_tool, run_tool

from helpers import NVM_TINY, require_system_tools

CONFIGS = {"small": Config.preset("small"), "paper": Config.preset("paper"), "tiny": NVM_TINY}
DIRECTIONS = {"input": "input", "output": "output", "inout": "inout"}


def liberty_pins(text):
    """``{bit: direction}`` of the cell's pins and buses (bits as ``name[i]``), supplies as
    ``inout``."""
    widths = {name: int(width) for name, width in
              re.findall(r"type \((\w+)\) \{[^}]*?bit_width : (\d+);", text)}
    pins = {name: "inout" for name in re.findall(r"^    pg_pin \((\w+)\)", text, re.M)}
    for kind, name, body in re.findall(r"^    (pin|bus) \((\w+)\) \{\n(.*?)^    \}", text,
                                       re.M | re.S):
        direction = re.search(r"^      direction : (\w+);", body, re.M).group(1)
        if kind == "pin":
            pins[name] = direction
        else:
            width = widths[re.search(r"bus_type : (\w+);", body).group(1)]
            pins.update({f"{name}[{i}]": direction for i in range(width)})
    return pins


def lef_pins(text):
    """``{bit: direction}`` of the LEF's pins, and the macro's SIZE (width, height)."""
    pins = {name: direction.lower() for name, direction in
            re.findall(r"^  PIN (\S+)\n    DIRECTION (\w+) ;", text, re.M)}
    width, height = re.search(r"^  SIZE (\S+) BY (\S+) ;", text, re.M).groups()
    return pins, (float(width), float(height))


def verilog_pins(text):
    """``{bit: direction}`` of the Verilog black box (power pins included)."""
    pins = {}
    for direction, msb, name in re.findall(r"^  (input|output|inout) (?:\[(\d+):0\] )?(\w+);",
                                           text, re.M):
        if msb:
            pins.update({f"{name}[{i}]": direction for i in range(int(msb) + 1)})
        else:
            pins[name] = direction
    return pins


@pytest.mark.parametrize("name", CONFIGS)
def test_views_agree_pin_for_pin_and_in_area(name):
    config = CONFIGS[name]
    views = view_files(describe_macro(config))
    liberty = liberty_pins(views[f"{MODULE}.lib"])
    lef, (width, height) = lef_pins(views[f"{MODULE}.lef"])
    verilog = verilog_pins(views[f"{MODULE}.v"])
    assert liberty == lef == verilog
    # The signal pins are the black box's ports, each with its direction and width.
    ports = {}
    for direction, port, width_bits in NvmSubarrayBlackBox.verilog_ports(config):
        bits = [port] if width_bits == 1 else [f"{port}[{i}]" for i in range(width_bits)]
        ports.update({bit: direction for bit in bits})
    assert {bit: d for bit, d in verilog.items() if d != "inout"} == ports
    assert {bit for bit, d in verilog.items() if d == "inout"} == {"VDD", "VSS", "VPP"}
    area = float(re.search(r"^    area : ([0-9.]+);", views[f"{MODULE}.lib"], re.M).group(1))
    assert area == pytest.approx(width * height, abs=1e-6)
    # Power pins only when the flow asks for them.
    assert re.search(r"`ifdef USE_POWER_PINS\n  VDD, VSS, VPP,\n`endif", views[f"{MODULE}.v"])


def test_views_are_reproducible():
    first = view_files(describe_macro(CONFIGS["small"]))
    assert first == view_files(describe_macro(CONFIGS["small"]))
    for text in first.values():
        assert "/work" not in text and "/home" not in text


def test_macro_that_cannot_be_described_is_refused():
    # Supply stripes wider than the macro: no floorplan holds them.
    wide = dataclasses.replace(PAPER_CONSTANTS, macro_power_stripe_um=10_000.0)
    with pytest.raises(ValueError, match="the macro cannot be described: it is .* too narrow"):
        describe_macro(CONFIGS["small"], constants=wide)


@pytest.mark.parametrize("name", ["small", "tiny"])
def test_yosys_and_opensta_read_the_views(name, tmp_path):
    require_system_tools()
    from tlcim.signoff.library import find_sta
    for file, text in view_files(describe_macro(CONFIGS[name])).items():
        (tmp_path / file).write_text(text)
    # The Liberty as a cell library and the Verilog as its black box, then an instance of it
    # checked against both (hierarchy -check fails on a missing or mismatched port).
    bits = ", ".join(f".{port}()" for _, port, _ in NvmSubarrayBlackBox.verilog_ports(
        CONFIGS[name]))
    (tmp_path / "use.v").write_text(f"module use_it(); {MODULE} u({bits}); endmodule\n")
    for reader in (f"read_liberty -lib {MODULE}.lib", f"read_verilog -lib {MODULE}.v"):
        (tmp_path / "read.ys").write_text(f"{reader}\nread_verilog use.v\n"
                                          f"hierarchy -check -top use_it\n")
        log = run_tool(find_tool("yosys", "YOSYS") + ["read.ys"], tmp_path, "yosys")
        assert "ERROR" not in log and "Warning" not in log, log
    (tmp_path / "read.tcl").write_text(
        f"read_liberty {MODULE}.lib\nputs \"cells [llength [get_lib_cells */{MODULE}]]\"\n"
        f"exit\n")
    result = subprocess.run(find_sta() + ["-no_init", "-no_splash", "read.tcl"], cwd=tmp_path,
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert "cells 1" in output, output
    assert not re.search(r"^(Error|Warning)", output, re.M), output
