"""tlcim pnr (tlcim.pnr.flow): the command's refusals, and the whole flow on the smallest
configuration with two subarrays (``REDUCED``; needs the Debian tools) and on ``small``
(``--long``)."""

import json
import os

import pytest

from tlcim.cli import main
from tlcim.pnr import FILES, REDUCED, tools


@pytest.mark.parametrize("option, value", [("--utilization", "0"), ("--utilization", "1"),
                                           ("--utilization", "nan"), ("--clock-mhz", "-5"),
                                           ("--clock-mhz", "inf")])
def test_cli_refuses_bad_numbers_and_writes_nothing(tmp_path, capsys, option, value):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["pnr", "--config", "small", "--out", str(out), option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert option in err and "Traceback" not in err
    assert not out.exists()


def test_cli_refuses_a_missing_tool_naming_its_package(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TLCIM_QROUTER", str(tmp_path / "no-qrouter"))
    out = tmp_path / "out"
    assert main(["pnr", "--config", "small", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tlcim: error: ") and len(err.splitlines()) == 1
    assert "Debian package qrouter" in err and "make system-deps" in err
    assert not out.exists()


def _need_tools():
    reasons = tools.missing()
    if reasons:
        if os.environ.get("CI"):
            pytest.fail("place and route tools missing in CI: " + "; ".join(reasons))
        pytest.skip(f"place and route tools missing (run {tools.SYSTEM_DEPS}): "
                    + "; ".join(reasons))


def _check_routed(out, result):
    for key in ("clock_mhz", "wns_ns", "hold_wns_ns", "unrouted_nets", "drc_errors",
                "utilization", "die_um", "cells", "macros", "wirelength_um", "runtime_s"):
        assert key in result
    assert result["unrouted_nets"] == 0 and result["unrouted"]["def"] == 0, result["unrouted"]
    assert result["drc_errors"] == 0
    assert result["lvs"]["match"], result["lvs"]
    assert result["wns_ns"] >= 0 and result["hold_wns_ns"] >= 0
    assert all(result["checks"].values()), result["checks"]
    assert result["macros"] == 2
    for key in ("def", "netlist", "picture", "parasitics"):
        assert (out / result["files"][key]).stat().st_size > 0
    assert (out / result["files"]["picture"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Reproducible: no absolute paths in what was written.
    for name in FILES.values():
        if not name.endswith(".png"):
            assert str(out.parent) not in (out / name).read_text(errors="replace"), name


def test_reduced_configuration_routed(tmp_path):
    """The whole flow on ``REDUCED``: every net routed, LVS clean, timing met at 100 MHz."""
    _need_tools()
    config = tmp_path / "reduced.toml"
    config.write_text(REDUCED.to_toml())
    out = tmp_path / "pnr"
    assert main(["pnr", "--config", str(config), "--out", str(out)]) == 0
    _check_routed(out, json.loads((out / "pnr.json").read_text()))


@pytest.mark.slow
def test_small_routed(tmp_path):
    """``small`` (two 64 x 20 subarrays): every net routed, LVS clean, timing met."""
    _need_tools()
    out = tmp_path / "pnr"
    assert main(["pnr", "--config", "small", "--out", str(out)]) == 0
    _check_routed(out, json.loads((out / "pnr.json").read_text()))
