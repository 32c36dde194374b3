"""tlcim.export: the tapeout bundle (``tlcim export``); contents, checksums, reproducibility,
SDC, and that Verilator lints and yosys reads the exported Verilog."""

import hashlib
import json
import pathlib
import subprocess
import sys

import pytest

from tlcim.golden import Config
from tlcim import cli
from tlcim.export import LINT_WAIVERS, bundle_files, sdc_text
from tlcim.yosys import find_tool
from tlcim.files import REGISTRY

#: A small configuration with every block present (two subarrays, ADC mux, 5-bit ADC).
TINY = Config(rows=32, cbls=10, clusters=1, cluster_size=2, subarrays=2)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "out"
    assert cli.main(["export", "--config", _toml(tmp_path_factory.mktemp("cfg"), TINY),
                     "--out", str(out)]) in (0, None)
    return out


def _toml(folder, config):
    path = pathlib.Path(folder) / "tiny.toml"
    path.write_text(config.to_toml())
    return str(path)


def _files(folder):
    # The bundle's files (not tlcim's registry of what it wrote, tlcim.files.REGISTRY).
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and p.name != REGISTRY)


def test_bundle_contents_and_manifest(bundle):
    files = _files(bundle)
    for expected in ("rtl/tlcim_top.v", "rtl/tlcim_subarray_bb.v", "rtl/files.f",
                     "sim/tlcim_subarray_model.v", "sim/files.f", "constraints/tlcim_top.sdc",
                     "regmap/regmap.md", "regmap/regmap.json", "regmap/tlcim_regs.h",
                     "config.json", "manifest.json"):
        assert expected in files
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["config"] == TINY.to_dict()
    assert manifest["top"] == "tlcim_top" and manifest["blackbox"] == "tlcim_subarray"
    # Every other file is listed with its sha256, and nothing else is.
    assert sorted(manifest["files"]) == [f for f in files if f != "manifest.json"]
    for path, digest in manifest["files"].items():
        assert hashlib.sha256((bundle / path).read_bytes()).hexdigest() == digest, path
    # The synthesis top holds no subarray model: only instances of the black box.
    top = (bundle / "rtl/tlcim_top.v").read_text()
    assert "module tlcim_subarray" not in top and "tlcim_subarray " in top
    assert "module tlcim_subarray(" in (bundle / "rtl/tlcim_subarray_bb.v").read_text()
    assert "/work" not in top and "/tmp" not in top  # no absolute paths


def test_bundle_is_reproducible():
    first, second = bundle_files(TINY), bundle_files(TINY)
    assert first == second
    assert list(first)[-1] == "manifest.json"


def test_sdc_clock_and_io():
    sdc = sdc_text(TINY, 250)
    assert "create_clock -name clk -period 4 [get_ports clk]" in sdc
    assert "set_input_delay 1.2 -clock clk" in sdc and "set_output_delay 1.2" in sdc
    for bad in (0, -5, "fast", True):
        with pytest.raises(ValueError, match=r"clock_mhz must be a positive finite number, not"):
            sdc_text(TINY, bad)


def test_verilator_lint(bundle):
    # The whole design as simulated (top plus behavioural model), every warning on except the
    # documented waivers (sim.rtl.LINT_WAIVERS, one reason each).
    assert all(reason for reason in LINT_WAIVERS.values())
    result = subprocess.run(
        [sys.executable, "-m", "verilator", "--lint-only", "-Wall",
         *(f"-Wno-{name}" for name in LINT_WAIVERS), "--top-module", "tlcim_top",
         "-f", "files.f"], cwd=bundle / "sim", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("folder", ["rtl", "sim"])
def test_yosys_reads_bundle(bundle, folder):
    # Synthesis view (black box declared) and simulation view (model in its place) both
    # elaborate with every module defined.
    files = (bundle / folder / "files.f").read_text().split()
    script = (f"read_verilog {' '.join(files)}; hierarchy -check -top tlcim_top; "
              f"tee -o stat.txt stat")
    result = subprocess.run(find_tool("yosys", "YOSYS") + ["-q", "-p", script],
                            cwd=bundle / folder, capture_output=True, text=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    stat = (bundle / folder / "stat.txt").read_text()
    (bundle / folder / "stat.txt").unlink()
    # The subarray is a module with contents in sim only; in rtl it is a black-box cell.
    assert "tlcim_subarray" in stat
    assert ("=== tlcim_subarray ===" in stat) == (folder == "sim")


def test_export_refuses_unbuildable_config(tmp_path, capsys):
    out = tmp_path / "out"
    (tmp_path / "wide.toml").write_text("rows = 16\ncbls = 5\nclusters = 1\ncluster_size = 1\n"
                                        "subarrays = 33\n")
    assert cli.main(["export", "--config", str(tmp_path / "wide.toml"), "--out", str(out)]) == 2
    assert "subarrays must be at most 32" in capsys.readouterr().err
    assert not out.exists()
