"""tlcim.sim.script: session scripts; validation before running (positions, ops, reasons),
execution on the golden target with its result entries, and the registry of targets."""

import asyncio
import json
import shutil

import numpy as np
import pytest

from tlcim.golden import Config, device_mvm, requantise
from tlcim.cli import main
from tlcim.sim import script
from sessions import EXAMPLE, LOAD, Broken, run_golden, write_script

SMALL = Config.preset("small")


@pytest.mark.parametrize("ops, where, reason", [
    ({"op": "reset"}, "", "a session script must be a JSON list of operations, not dict"),
    ([["reset"]], "operation [0] (no op)", "must be a JSON object, not list"),
    ([{"subarray": 0}], "operation [0] (no op)", "has no \"op\" key"),
    ([{"op": "reset"}, {"op": "wirte"}], "operation [1] 'wirte'",
     "unknown op 'wirte'; ops are write, store, restore, mvm, reset, read, status, inject"),
    ([{"op": "write", "weights": "W0.npy"}], "operation [0] 'write'", "missing key(s) 'subarray'"),
    ([{"op": "reset", "now": True}], "operation [0] 'reset'",
     "unknown key(s) 'now'; keys of 'reset' are none (and comment)"),
    ([{"op": "write", "subarray": True, "weights": "W0.npy"}], "operation [0] 'write'",
     "'subarray' must be an integer, not True"),
    ([{"op": "write", "subarray": "all", "weights": "W0.npy"}], "operation [0] 'write'",
     "'subarray' must be an integer, not 'all'"),
    ([{"op": "store", "subarray": "some", "set": 0}], "operation [0] 'store'",
     "'subarray' must be an integer or \"all\", not 'some'"),
    ([{"op": "restore", "subarray": 0, "set": 1.0}], "operation [0] 'restore'",
     "'set' must be an integer, not 1.0"),
    ([{"op": "write", "subarray": 0, "weights": "nope.npy"}], "operation [0] 'write'",
     "'weights' file 'nope.npy' does not exist (paths are relative to the script's folder)"),
    ([{"op": "write", "subarray": 0, "weights": "X.npy"}], "operation [0] 'write'",
     "'weights' file 'X.npy' must have shape (rows, outs) = (64, 4), not (4, 128)"),
    ([{"op": "write", "subarray": 0, "weights": "F.npy"}], "operation [0] 'write'",
     "'weights' file 'F.npy' must hold integers, not float64"),
    ([{"op": "mvm", "inputs": "W0.npy"}], "operation [0] 'mvm'",
     "'inputs' file 'W0.npy' must have shape (batch, rows * subarrays) = (batch, 128) or (128,)"),
    ([{"op": "mvm", "inputs": "E.npy"}], "operation [0] 'mvm'",
     "'inputs' file 'E.npy' must have shape (batch, rows * subarrays) = (batch, 128) or (128,) "
     "with batch >= 1, not (0, 128)"),
    ([{"op": "mvm", "inputs": "X.npy", "out": "Y.txt"}], "operation [0] 'mvm'",
     "'out' must be a path ending in .npy, not 'Y.txt'"),
    ([{"op": "mvm", "inputs": "X.npy", "out": "Y.npy"}, {"op": "read", "subarray": 0,
                                                        "out": "Y.npy"}],
     "operation [1] 'read'", "'out' 'Y.npy' is already written by operation [0]"),
    ([{"op": "mvm", "inputs": "X.npy", "requant": {"shift": 2}}], "operation [0] 'mvm'",
     "'requant' must have keys multiplier, shift and optionally relu; missing multiplier"),
    ([{"op": "mvm", "inputs": "X.npy", "requant": {"multiplier": 1, "shift": 64}}],
     "operation [0] 'mvm'", "requant shift must be an integer from 0 to 63, not 64"),
    ([{"op": "mvm", "inputs": "X.npy", "requant": {"multiplier": 1, "shift": 1, "relu": 1}}],
     "operation [0] 'mvm'", "requant relu must be true or false, not 1"),
    ([{"op": "inject", "fault": "stuck", "subarray": 0, "set": 9, "row": 0, "cbl": 0,
       "level": 1}], "operation [0] 'inject'",
     "fault 'stuck': 'set' must be an integer from 0 to 7, not 9"),
    ([{"op": "status", "comment": 3}], "operation [0] 'status'",
     "'comment' must be a string, not 3"),
])
def test_validation_names_position_op_and_reason(script_folder, ops, where, reason):
    np.save(script_folder / "F.npy", np.zeros((SMALL.rows, SMALL.outs)))
    np.save(script_folder / "E.npy", np.zeros((0, SMALL.rows * SMALL.subarrays), dtype=int))
    with pytest.raises(ValueError) as error:
        script.load_script(SMALL, write_script(script_folder, ops))
    prefix = f"s.json: {where}: " if where else "s.json: "
    assert str(error.value).startswith(prefix + reason[:12]) and reason in str(error.value)


def test_bad_files_and_json(script_folder):
    (script_folder / "bad.json").write_text("[{")
    with pytest.raises(ValueError, match="session script '.*bad.json' is not valid JSON"):
        script.load_script(SMALL, script_folder / "bad.json")
    with pytest.raises(ValueError, match="session script '.*missing.json' does not exist"):
        script.load_script(SMALL, script_folder / "missing.json")
    (script_folder / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match=r"operation \[0\] 'write': 'weights' file 'junk.npy' "
                                         r"'.*junk.npy' is not a .npy file"):
        script.load_script(SMALL, write_script(script_folder, [
            {"op": "write", "subarray": 0, "weights": "junk.npy"}]))


def test_session_results_and_relative_paths(script_folder, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the script's folder, not the working directory, counts
    ops = LOAD + [
        {"op": "mvm", "inputs": "X.npy", "out": "out/Y.npy"},
        {"op": "store", "subarray": "all", "set": 8},
        {"op": "store", "subarray": "all", "set": 2},
        {"op": "reset"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_reset.npy"},
        {"op": "restore", "subarray": "all", "set": 2},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_requant.npy",
         "requant": {"multiplier": 5, "shift": 12, "relu": True}},
        {"op": "restore", "subarray": 0, "set": 3},
        {"op": "read", "subarray": 1, "out": "W1_read.npy"},
        {"op": "status"},
    ]
    assert run_golden(script_folder, ops) == 0
    assert "12 operation(s) on golden, 3 error(s)" in capsys.readouterr().out
    results = json.loads((script_folder / "R.json").read_text())
    assert [e["op"] for e in results] == [op["op"] for op in ops]
    assert [e["error"] for e in results] == [None] * 3 + ["bad_set", None, None,
                                             "weights_invalid", None, None, "set_empty", None,
                                             None]
    for entry in results:
        assert entry["status"] == ("ok" if entry["error"] is None else "error")
        assert ("detail" in entry) == (entry["error"] is not None)
    assert results[2]["batch"] == 4 and results[2]["out"] == "out/Y.npy"
    assert results[-1]["valid"] == [False, True] and results[-1]["sets"] == [None, 2]
    assert results[-2]["subarray"] == 1  # the operation as written is echoed
    w = np.stack([np.load(script_folder / "W0.npy"), np.load(script_folder / "W1.npy")])
    x = np.load(script_folder / "X.npy")
    y = np.load(script_folder / "out" / "Y.npy")
    assert y.dtype == np.int64 and np.array_equal(y, device_mvm(SMALL, w, x))
    assert np.array_equal(np.load(script_folder / "Y_requant.npy"),
                          requantise(SMALL, y, multiplier=5, shift=12, relu=True))
    assert np.array_equal(np.load(script_folder / "W1_read.npy"), w[1])
    assert not (script_folder / "Y_reset.npy").exists()  # the refused mvm wrote nothing


def test_write_of_out_of_range_weights_is_an_error_entry(script_folder):
    np.save(script_folder / "big.npy", np.full((SMALL.rows, SMALL.outs), 122))
    assert run_golden(script_folder, [{"op": "write", "subarray": 0, "weights": "big.npy"},
                                      {"op": "status"}]) == 0
    results = json.loads((script_folder / "R.json").read_text())
    assert results[0]["error"] == "bad_weights" and results[1]["valid"] == [False, False]


def test_fault_ops_through_a_script(script_folder):
    ops = LOAD + [{"op": "store", "subarray": "all", "set": 0},
                  {"op": "inject", "fault": "misread", "subarray": 0, "row": 1, "cbl": 0,
                   "level": -1},
                  {"op": "restore", "subarray": 0, "set": 0},
                  {"op": "read", "subarray": 0, "out": "W0_read.npy"},
                  {"op": "inject", "fault": "clear"}]
    assert run_golden(script_folder, ops) == 0
    w0 = np.load(script_folder / "W0.npy")
    results = json.loads((script_folder / "R.json").read_text())
    if w0[1, 0] % 3 != 2:   # digit 0 of output 0 forced to -1 changes it: the checksum says so
        assert results[-3]["error"] == "verify_failed"
        assert "first mismatch at subarray 0, row 1" in results[-3]["detail"]
        assert results[-2]["error"] == "weights_invalid"   # never used silently
    else:
        assert np.array_equal(np.load(script_folder / "W0_read.npy"), w0)
        assert all(e["status"] == "ok" for e in results)


def test_unsupported_ops_and_protocol_checks(script_folder):
    ops = script.load_script(SMALL, write_script(script_folder, LOAD + [
        {"op": "read", "subarray": 0, "out": "W.npy"}]))
    result = asyncio.run(script.execute(ops, Broken(SMALL)))
    assert result.entries[2]["error"] == script.UNSUPPORTED
    assert result.entries[2]["detail"] == "read is not supported on broken yet"
    assert result.errors == 1 and result.outputs == {}


def test_registry(monkeypatch):
    with pytest.raises(ValueError) as error:
        script.open_target(SMALL, "gpu")
    known = ", ".join(sorted(script.TARGETS))
    assert str(error.value) == f"unknown target 'gpu'; targets are {known}"
    assert "golden" in str(error.value)
    monkeypatch.setattr(script, "TARGETS", dict(script.TARGETS))
    script.register_target("ghost", "tlcim.sim.ghost:open")
    with pytest.raises(ValueError, match="target 'ghost' is unavailable: cannot load "
                                         "tlcim.sim.ghost:open"):
        script.open_target(SMALL, "ghost:x")
    with pytest.raises(ValueError, match="target 'golden' takes no option, not 'fast'"):
        script.open_target(SMALL, "golden:fast")
    with pytest.raises(ValueError, match="target name must be a non-empty string without ':'"):
        script.register_target("a:b", Broken)
    script.register_target("x", "tlcim.sim.script:GoldenTarget")  # one line, imported lazily
    assert isinstance(script.open_target(SMALL, "x"), script.GoldenTarget)


def test_example_script(tmp_path):
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    assert main(["run", "--config", "small", "--script", str(folder / "session.json"),
                 "--out", str(tmp_path / "R.json")]) == 0
    results = json.loads((tmp_path / "R.json").read_text())
    errors = {i: e["error"] for i, e in enumerate(results) if e["error"]}
    assert errors == {1: "weights_invalid", 14: "bad_set", 15: "set_empty",
                      16: "weights_invalid"}
    assert np.array_equal(np.load(folder / "Y_after_reset.npy"), np.load(folder / "Y_set0.npy"))
    assert np.array_equal(np.load(folder / "W_read0.npy"), np.load(folder / "W1.npy"))
    assert results[-1]["valid"] == [True, False]
