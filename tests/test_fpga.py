# amaranth: UnusedElaboratable=no
"""tlcim.fpga: FPGA emulation builds; board and fit checks, a small iCE40 build, the presets'
arithmetic (the preset builds run with --long)."""

import json

import pytest

from tlcim.golden import Config
from tlcim import cli, fpga
from helpers import FPGA_TINY as TINY


def test_unknown_board_and_oversized_config(capsys, tmp_path):
    with pytest.raises(ValueError, match=r"board must be one of icebreaker, ulx3s-85f, "
                                         r"not 'de0'"):
        fpga.build(TINY, "de0")
    # paper's storage (SRAM and 240 weight sets) exceeds both boards: refused at once, with
    # the estimate and the limit, before anything is synthesised.
    need = fpga.storage_bits(Config.preset("paper"))
    assert need > 6 * 256 * 320 * 240  # every weight set of every subarray, at least
    for board, limit in (("icebreaker", "128,160"), ("ulx3s-85f", "3,917,496")):
        out = tmp_path / board
        assert cli.main(["fpga", "--board", board, "--config", "paper", "--out", str(out)]) == 2
        error = capsys.readouterr().err
        assert f"does not fit {board}" in error and f"{need:,} bits" in error
        assert f"at most {limit}" in error and not out.exists()


def test_synthesis_fit_check_message():
    board = fpga.BOARDS["icebreaker"]
    with pytest.raises(ValueError, match=r"synthesis needs 6,000 LUTs \(limit 5,280\); "
                                         r"refused before place and route"):
        fpga.check_fit(board, {"luts": 6000, "ffs": 100, "brams": 0, "dsps": 0})


def test_small_ice40_build(tmp_path):
    out = tmp_path / "fpga"
    config = tmp_path / "tiny.toml"
    config.write_text(TINY.to_toml())
    assert cli.main(["fpga", "--board", "icebreaker", "--config", str(config),
                     "--out", str(out)]) in (0, None)
    report = json.loads((out / "fpga.json").read_text())
    assert 0 < report["luts"] <= 5280 and 0 < report["ffs"] <= 5280
    assert report["fmax_mhz"] > 12 and report["timing_met"]
    assert (out / "top.bin").stat().st_size > 100_000  # an UP5K bitstream is ~104 kB


@pytest.mark.slow
@pytest.mark.parametrize("board", ["icebreaker", "ulx3s-85f"])
def test_preset_builds_meet_timing(board, tmp_path):
    preset = fpga.BOARDS[board].preset
    report = fpga.build(Config.preset(preset), board, tmp_path)
    print(json.dumps(report, indent=1))
    # Fits, meets timing at the board clock and reaches the board's Fmax target (measured
    # spread over placement seeds in docs/flows.md: iCE40 17.5-18.8 MHz for 13.2, ECP5
    # 58.5-62.4 MHz for 50).
    assert report["luts"] <= fpga.BOARDS[board].luts and report["timing_met"]
    assert report["meets_target"], f"Fmax {report['fmax_mhz']} MHz < {report['target_mhz']}"


@pytest.mark.parametrize("board", sorted(fpga.BOARDS))
def test_presets_keep_the_papers_arithmetic(board):
    # The FPGA presets shrink the array, never the arithmetic: the emulation computes what
    # the paper's macro computes, 5-trit inputs included.
    paper, preset = Config.preset("paper"), Config.preset(fpga.BOARDS[board].preset)
    names = ("active_rows", "x_trits", "w_trits", "adc_bits", "adc_lsb", "adc_share")
    assert {name: getattr(preset, name) for name in names} == \
        {name: getattr(paper, name) for name in names}
