"""tlcim.hw.generate: ``tlcim generate``; the files, their reproducibility, the black-box variant
and refusals."""

import json

import pytest

from tlcim.golden import Config
from tlcim.hw.generate import FILES, generated_files
from tlcim.build import generate
from tlcim.cli import main
from tlcim.files import REGISTRY


def test_generate_is_reproducible(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["generate", "--config", "small", "--out", str(first)]) == 0
    generate(Config.preset("small"), second)
    # The fixed files and the behavioural library modules the design instantiates.
    names = sorted(generated_files(Config.preset("small")))
    # (and tlcim's registry of what it wrote, tlcim.files.REGISTRY)
    assert sorted(p.name for p in first.iterdir() if p.name != REGISTRY) == names \
        == sorted([*FILES, "tlcim_wsram.v"])
    for name in names:
        text = (first / name).read_bytes()
        assert text == (second / name).read_bytes(), name
        assert b"/work" not in text and str(tmp_path).encode() not in text, name


def test_generated_contents(tmp_path):
    config = Config.preset("ternary")
    generate(config, tmp_path)
    top = (tmp_path / "tlcim_top.v").read_text()
    blackbox = (tmp_path / "tlcim_top_blackbox.v").read_text()
    for port in ("clk", "rst", "s_axil_awaddr", "s_axil_rresp", "s_axis_x_tdata",
                 "s_axis_w_tdest", "m_axis_y_tlast"):
        assert f" {port};" in top and f" {port};" in blackbox
    assert "module tlcim_subarray" not in top
    assert "(* blackbox *)\nmodule tlcim_subarray(clk, rst, row_addr," in blackbox
    assert blackbox.count("tlcim_subarray ") >= config.subarrays  # one instance each
    assert (tmp_path / "files.f").read_text() == "tlcim_wsram.v\ntlcim_top.v\n"
    assert json.loads((tmp_path / "config.json").read_text())["parameters"] == config.to_dict()
    assert json.loads((tmp_path / "regmap.json").read_text())["registers"][0]["name"] == "ID"
    assert "#define TLCIM_CTRL 0x100u" in (tmp_path / "tlcim_regs.h").read_text()


def test_unbuildable_config_writes_nothing(tmp_path, capsys):
    toml = tmp_path / "wide.toml"
    toml.write_text("rows = 16\ncbls = 5\nsubarrays = 33\n")
    out = tmp_path / "out"
    assert main(["generate", "--config", str(toml), "--out", str(out)]) == 2
    assert "subarrays must be at most 32" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(ValueError, match="subarrays must be at most 32"):
        generated_files(Config(rows=16, cbls=5, subarrays=33))
