# amaranth: UnusedElaboratable=no
"""``tlcim signoff``: signoff.json and the files it names, which yosys and OpenSTA read again
with the same figures; refused inputs write nothing."""

import json
import re
import subprocess

import pytest

from tlcim.cli import main
from tlcim.golden import Config
from tlcim.signoff.command import worst_paths

from helpers import require_system_tools

KEYS = {"library", "clock_mhz", "wns_ns", "tns_ns", "hold_wns_ns", "fmax_mhz", "area_um2",
        "cells", "flops", "equivalence", "gls", "files"}
FILES = {"netlist", "sdc", "cell_lib", "macro_lib", "macro_lef", "macro_verilog"}


@pytest.fixture(scope="module")
def signed_off(tmp_path_factory):
    """``tlcim signoff --config small`` into a fresh folder (the implementation is cached in
    build/signoff across tests); returns the folder and signoff.json."""
    require_system_tools()
    out = tmp_path_factory.mktemp("signoff") / "small"
    assert main(["signoff", "--config", "small", "--out", str(out)]) == 0
    return out, json.loads((out / "signoff.json").read_text())


def test_signoff_json_has_the_figures(signed_off):
    out, report = signed_off
    assert KEYS <= set(report)
    assert report["clock_mhz"] == 100.0
    assert report["library"].startswith("osu018 (180 nm")
    # Fmax follows from the worst setup slack at the clock's period.
    assert report["fmax_mhz"] == pytest.approx(1000 / (10 - report["wns_ns"]), abs=0.01)
    assert report["wns_ns"] >= 0 and report["hold_wns_ns"] >= 0, report
    assert 0 < report["flops"] < report["cells"]
    assert report["equivalence"]["proven"] is True
    assert report["equivalence"]["method"]
    estimate = report["ge_estimate"]
    assert estimate["scale"] == pytest.approx(report["area_um2"] / estimate["um2_28nm"], rel=1e-2)
    assert report["worst_paths"][0]["slack_ns"] == pytest.approx(report["wns_ns"], abs=1e-3)
    assert FILES <= set(report["files"])
    for path in report["files"].values():
        assert (out / path).is_file() and not path.startswith("/")
    text = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert str(out) not in text and "/work/" not in text


def test_yosys_reads_the_netlist_with_both_libraries(signed_off):
    from tlcim.yosys import find_tool, run_tool
    out, report = signed_off
    files = report["files"]
    (out.parent / "check.ys").write_text("\n".join([
        f"read_liberty -lib small/{files['cell_lib']}",
        f"read_liberty -lib small/{files['macro_lib']}",
        f"read_verilog small/{files['netlist']}",
        "hierarchy -check -top tlcim_top", "stat"]) + "\n")
    log = run_tool(find_tool("yosys", "YOSYS") + ["check.ys"], out.parent, "yosys")
    assert "ERROR" not in log
    cells = int(re.search(r"^\s+(\d+) cells$", log, re.M).group(1))
    macros = Config.preset("small").subarrays
    assert cells == report["cells"] + macros


def test_opensta_reruns_to_the_same_figures(signed_off, tmp_path):
    import shutil
    from tlcim.signoff.library import find_sta
    out, report = signed_off
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)   # anyone can rerun it from the folder alone
    result = subprocess.run(find_sta() + ["-no_init", "-no_splash", report["files"]
                                          .get("sta_script", "sta/sta.tcl")],
                            cwd=copy, capture_output=True, text=True)
    values = dict(re.findall(r"^tlcim (\S+) (\S+)$", result.stdout, re.M))
    assert float(values["setup_wns"]) == report["wns_ns"]
    assert float(values["hold_wns"]) == report["hold_wns_ns"]
    assert not re.search(r"^Error", result.stdout + result.stderr, re.M)


def test_worst_paths_one_per_end_block_worst_first():
    blocks = {"datapath.output": "output stage", "datapath.nvm.controller": "controller"}
    paths = [("a_in", "datapath.output.ff1/D", 3.0), ("datapath.nvm.controller.ff2/Q",
                                                       "datapath.output.ff3/D", 1.5),
             ("s_axil_wvalid", "datapath.nvm.controller.ff4/D", 2.0)]
    found = worst_paths(paths, blocks)
    assert [(p["from"], p["to"], p["slack_ns"]) for p in found] == [
        ("controller", "output stage", 1.5), ("port s_axil", "controller", 2.0)]


@pytest.mark.parametrize("clock", ["0", "-5", "nan", "inf", "fast"])
def test_bad_clock_is_refused_and_writes_nothing(clock, tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:   # argparse's usage error
        main(["signoff", "--config", "small", "--out", str(tmp_path / "o"),
              f"--clock-mhz={clock}"])
    assert raised.value.code == 2
    assert "--clock-mhz" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("variable, value, package", [
    ("TLCIM_OSU018_DIR", "/nonexistent/osu018", "qflow-tech-osu018"),
    ("STA", "/nonexistent/sta", "opensta"),
    ("ABC", "/nonexistent/abc", "berkeley-abc")])
def test_missing_library_or_tool_is_refused_naming_the_package(variable, value, package,
                                                               tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(variable, value)
    assert main(["signoff", "--config", "small", "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("tlcim: error: ") and "\n" not in error
    assert package in error and variable in error and "make system-deps" in error
    assert not (tmp_path / "o").exists()
