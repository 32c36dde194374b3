"""tlcim pnr (tlcim.pnr.flow): the command's refusals, the whole flow on the smallest
configuration with two subarrays (``REDUCED``, about 3 minutes on one core; needs the Debian
tools) and, with ``--long``, on ``small``."""

import inspect
import json

import pytest
from pnr_helpers import need_tools

from tlcim.cli import main
from tlcim.pnr import FILES, REDUCED, tools


@pytest.mark.parametrize("option, value", [("--utilization", "0"), ("--utilization", "1"),
                                           ("--utilization", "nan"), ("--clock-mhz", "-5"),
                                           ("--clock-mhz", "inf"), ("--hold-margin", "-0.1"),
                                           ("--hold-margin", "nan"), ("--hold-margin", "x")])
def test_cli_refuses_bad_numbers_and_writes_nothing(tmp_path, capsys, option, value):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["pnr", "--config", "small", "--out", str(out), option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert option in err and "Traceback" not in err
    assert not out.exists()


def test_a_hold_margin_of_a_period_or_more_is_refused_before_the_work(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["pnr", "--config", "small", "--out", str(out), "--clock-mhz", "200",
                 "--hold-margin", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tlcim: error: hold margin must be") and "(5 ns at 200 MHz)" in err
    assert not out.exists()


def test_cli_refuses_a_missing_tool_naming_its_package(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TLCIM_QROUTER", str(tmp_path / "no-qrouter"))
    out = tmp_path / "out"
    assert main(["pnr", "--config", "small", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tlcim: error: ") and len(err.splitlines()) == 1
    assert "Debian package qrouter" in err and "make system-deps" in err
    assert not out.exists()


def test_cli_refuses_a_missing_klayout_before_the_work(tmp_path, capsys, monkeypatch):
    # The picture is the last step; a missing package must be named before an hour of work.
    find_spec = tools.importlib.util.find_spec
    monkeypatch.setattr(tools.importlib.util, "find_spec",
                        lambda name, *args: None if name == "klayout" else find_spec(name, *args))
    out = tmp_path / "out"
    assert main(["pnr", "--config", "small", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tlcim: error: ") and "PyPI package klayout" in err, err
    assert not out.exists()


def test_cli_refuses_a_file_it_did_not_write_before_the_work(tmp_path, capsys, monkeypatch):
    from helpers import require_system_tools
    require_system_tools()
    import tlcim.pnr.flow as flow

    def no_work(*args, **kwargs):
        raise AssertionError("place and route started although the output is refused")
    monkeypatch.setattr(flow, "run", no_work)
    out = tmp_path / "out"
    out.mkdir()
    (out / FILES["def"]).write_text("a DEF of someone else's\n")
    assert main(["pnr", "--config", "small", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "tlcim_top.def' exists and was not written by tlcim" in err, err
    assert [p.name for p in out.iterdir()] == [FILES["def"]]


def _check_outputs(out, result):
    # What every run gives, whatever its checks say: the figures, both macros, LVS, the files.
    for key in ("clock_mhz", "wns_ns", "hold_wns_ns", "unrouted_nets", "drc_errors",
                "utilization", "die_um", "cells", "macros", "wirelength_um", "runtime_s"):
        assert key in result
    assert result["macros"] == 2
    assert result["lvs"]["match"], result["lvs"]
    for key in ("def", "netlist", "picture", "parasitics"):
        assert (out / result["files"][key]).stat().st_size > 0
    assert (out / result["files"]["picture"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Reproducible: no absolute paths in what was written.
    for name in FILES.values():
        if not name.endswith(".png"):
            assert str(out.parent) not in (out / name).read_text(errors="replace"), name


def _check_targets(result):
    # The targets: every net routed, no conflicts, timing met at the sign-off clock.
    assert result["unrouted_nets"] == 0 and result["unrouted"]["def"] == 0, result["unrouted"]
    assert result["unrouted"]["open"] == 0 and result["shorts"] == 0, result["short_examples"]
    assert result["drc_errors"] == 0
    assert result["wns_ns"] >= 0 and result["hold_wns_ns"] >= 0
    assert all(result["checks"].values()), result["checks"]


def _run(folder, config, *options):
    # The command's exit status (1 when a check failed), its output folder and pnr.json.
    need_tools()
    out = folder / "pnr"
    status = main(["pnr", "--config", str(config), "--out", str(out), *options])
    result = json.loads((out / "pnr.json").read_text())
    assert status == (0 if all(result["checks"].values()) else 1), (status, result["checks"])
    return out, result


@pytest.mark.parametrize("name", ["reduced", pytest.param("small", marks=pytest.mark.slow)])
def test_laid_out_routed_and_timed(tmp_path, name):
    """The whole flow on ``REDUCED`` (two 16 x 1 subarrays) and ``small`` (two 64 x 20): both
    macros placed, every file written, LVS clean, every net routed, timing met at 100 MHz.

    ``REDUCED`` meets hold after routing by +0.12 ns; asked for a margin of 0.15 ns, the flow
    fixes hold in the routed layout (:mod:`tlcim.pnr.hold`), which ``small`` needs at 0."""
    config, options = name, []
    if name == "reduced":
        config = tmp_path / "reduced.toml"
        config.write_text(REDUCED.to_toml())
        options = ["--hold-margin", "0.15"]
    out, result = _run(tmp_path, config, *options)
    _check_outputs(out, result)
    _check_targets(result)
    fixed = result["hold_fix"]
    if name == "reduced":
        assert fixed["buffers"] >= fixed["endpoints"] > 0 and fixed["rounds"] >= 1, fixed
        assert result["hold_wns_ns"] >= fixed["margin_ns"] == 0.15
        assert (out / result["files"]["def"]).read_text().count(" BUFX2 + PLACED") >= \
            fixed["buffers"]
    # Both are routed in strips of rows (tlcim.pnr.regions): 2 and 4.
    assert result["routing"]["strips"] == (2 if name == "reduced" else 4), result["routing"]
    assert {"between", "strips", "strip0", "strip1"} <= set(result["routing"]["phases_s"])


def test_opensta_is_found_through_the_variable_sign_off_reads(tmp_path, monkeypatch):
    # One setting for OpenSTA serves sign-off and place and route.
    monkeypatch.setenv("STA", str(tmp_path / "no-sta"))
    with pytest.raises(ValueError, match=r"\$STA = .*no-sta not found.*opensta"):
        tools.find("sta")


def _macro_hold_slacks(implementation):
    # The hold slack of every macro input pin of the implementation's netlist.
    return [slack for _, end, slack in implementation.timing.hold_paths
            if end.split("/")[0].endswith("macro")]


def test_macro_inputs_get_the_hold_margin_the_layout_needs():
    # The netlist place and route starts from: every macro input keeps MACRO_HOLD_MARGIN_NS of
    # hold slack for the clock tree's skew; sign-off's own fix (no margin) leaves less.
    from tlcim.pnr.inputs import MACRO_HOLD_MARGIN_NS
    from tlcim.signoff.flow import implement
    need_tools()
    quiet = {"progress": lambda message: None}
    plain = _macro_hold_slacks(implement(REDUCED, 100.0, **quiet))
    margined = _macro_hold_slacks(implement(REDUCED, 100.0, **quiet,
                                            macro_hold_margin_ns=MACRO_HOLD_MARGIN_NS))
    assert plain and len(margined) == len(plain)
    assert min(plain) >= 0 and min(plain) < MACRO_HOLD_MARGIN_NS
    assert min(margined) >= MACRO_HOLD_MARGIN_NS


@pytest.mark.parametrize("margin", [-0.1, float("nan"), float("inf"), "0.2"])
def test_a_bad_hold_margin_is_refused_before_any_work(margin):
    from tlcim.signoff.flow import implement
    with pytest.raises(ValueError, match="macro_hold_margin_ns must be a finite number of ns >= 0"):
        implement(REDUCED, 100.0, macro_hold_margin_ns=margin)


def test_the_command_line_defaults_are_the_flows():
    # The command line does not import the flow (it starts fast): its defaults are copies.
    from tlcim.cli import _parser
    from tlcim.pnr import DEFAULT_UTILIZATION
    from tlcim.pnr.inputs import DEFAULT_CLOCK_MHZ
    from tlcim.pnr.flow import run
    args = _parser().parse_args(["pnr", "--out", "x"])
    assert (args.utilization, args.clock_mhz) == (DEFAULT_UTILIZATION, DEFAULT_CLOCK_MHZ)
    assert args.hold_margin == inspect.signature(run).parameters["hold_margin"].default
