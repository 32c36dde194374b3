"""The command line (tlcim.cli) against hostile input: every refusal is one line naming the
culprit with exit status 2, nothing is written or changed, golden and rtl accept and refuse the
same inputs and agree on every accepted one, and Ctrl-C stops cleanly."""

import json
import os
import pathlib
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from tlcim.cli import main
from tlcim.golden import Config
from tlcim.sim import rtl

SMALL = Config.preset("small")
EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "small_session"


def snapshot(folder):
    """Every file under ``folder`` with its bytes (links as their targets' names)."""
    return {str(p.relative_to(folder)): (os.readlink(p) if p.is_symlink() else p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() or p.is_symlink()}


@pytest.fixture
def session(tmp_path):
    """A copy of the example session (small) in its own folder; returns that folder."""
    folder = tmp_path / "s"
    folder.mkdir()
    for item in EXAMPLE.iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    return folder


def refused(capsys, argv, *culprits, status=2):
    """Run ``tlcim argv``; assert the exit status, one line of error naming every culprit and
    no traceback; return that line."""
    assert main([str(a) for a in argv]) == status
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("tlcim: error: "), err
    for culprit in culprits:
        assert culprit in err, (culprit, err)
    return err


def write_script(folder, ops, name="t.json"):
    (folder / name).write_text(json.dumps(ops))
    return folder / name


# -- failed runs leave nothing behind -------------------------------------------------------------

def test_run_out_that_is_a_folder_writes_nothing(session, capsys, tmp_path):
    (tmp_path / "R").mkdir()
    before = snapshot(tmp_path)
    refused(capsys, ["run", "--config", "small", "--script", session / "session.json",
                     "--out", tmp_path / "R"], "--out", "is a folder")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command, name", [(["generate"], "files.f"), (["build"], "config.json"),
                                           (["export", "--clock-mhz", "100"], "manifest.json")])
def test_folder_commands_leave_the_destination_as_it_was(tmp_path, capsys, command, name):
    out = tmp_path / "out"
    out.mkdir()
    (out / name).write_text("a user's file\n")   # a name the command writes
    before = snapshot(tmp_path)
    refused(capsys, [command[0], "--config", "small", "--out", out, *command[1:]],
            name, "was not written by tlcim", "--force")
    assert snapshot(tmp_path) == before


# -- golden and rtl accept the same inputs --------------------------------------------------------

@pytest.mark.parametrize("requant, culprit", [
    ({"multiplier": 70000, "shift": 0}, "requant multiplier must be an integer from 0 to 65535, "
                                        "not 70000"),
    ({"multiplier": 2 ** 70, "shift": 0}, "not 1180591620717411303424"),
    ({"multiplier": 3, "shift": 64}, "requant shift must be an integer from 0 to 63, not 64"),
    ({"multiplier": -1, "shift": 0}, "not -1"),
])
@pytest.mark.parametrize("target", ["golden", "rtl"])
def test_requantisation_bounds_are_the_hardware_registers(session, capsys, target, requant,
                                                          culprit):
    script = write_script(session, [{"op": "mvm", "inputs": "X.npy", "requant": requant}])
    before = snapshot(session)
    refused(capsys, ["run", "--config", "small", "--target", target, "--script", script,
                     "--out", session / "R.json"], "operation [0] 'mvm'", culprit)
    assert snapshot(session) == before


@pytest.mark.parametrize("name", ["W0.npy", "X.npy"])
def test_values_beyond_int64_are_refused_not_wrapped(session, capsys, name):
    np.save(session / name, np.full(np.load(session / name).shape, 2 ** 64 - 1,
                                    dtype=np.uint64))
    refused(capsys, ["run", "--config", "small", "--script", session / "session.json",
                     "--out", session / "R.json"], name,
            "must hold values that fit in 64-bit signed integers")
    assert not (session / "R.json").exists()


# -- malformed input ----------------------------------------------------------------------------

def _npy_header(shape):
    text = f"{{'descr': '<i8', 'fortran_order': False, 'shape': {shape}, }}"
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()


@pytest.mark.parametrize("break_it, culprits", [
    (lambda s: write_script(s, [{"op": ["write"]}], "session.json"),
     ["operation [0]", "unknown op ['write']"]),
    (lambda s: (s / "session.json").write_text("[" * 50_000 + "]" * 50_000),
     ["session.json", "nests too deeply"]),
    (lambda s: (s / "session.json").write_bytes(b"[{\"op\": \"status\"\x80}]"),
     ["session.json", "is not UTF-8 text (byte 0x80 at offset 16)"]),
    (lambda s: np.savez(s / "X.npy", x=np.zeros(3)) or (s / "X.npy.npz").rename(s / "X.npy"),
     ["X.npy", "is a .npz archive, not a .npy file"]),
    (lambda s: (s / "X.npy").write_bytes(_npy_header("(1000000000000,)")),
     ["X.npy", "declares 1,000,000,000,000 elements"]),
    (lambda s: (s / "X.npy").write_text("0 1 2\n"), ["X.npy", "is not a .npy file"]),
])
def test_malformed_scripts_and_arrays_are_named(session, capsys, break_it, culprits):
    break_it(session)
    before = snapshot(session)
    refused(capsys, ["run", "--config", "small", "--script", session / "session.json",
                     "--out", session / "R.json"], *culprits)
    assert snapshot(session) == before


@pytest.mark.parametrize("text, culprits", [
    ("rows = 1000000000\n", ["rows must be at most 65,536", "not 1,000,000,000"]),
    ("subarrays = 33\n", ["subarrays must be at most 32"]),
    ("rows = \"64\"\n", ["rows must be an integer, not '64'"]),
    ("rows = [\n", ["c.toml", "is not valid TOML"]),
    ("bogus = 1\n", ["unknown parameter(s) bogus"]),
])
def test_bad_configurations_are_named(tmp_path, capsys, text, culprits):
    (tmp_path / "c.toml").write_text(text)
    refused(capsys, ["generate", "--config", tmp_path / "c.toml", "--out", tmp_path / "out"],
            *culprits)
    assert not (tmp_path / "out").exists()


def test_random_bytes_at_every_file_input(tmp_path, capsys, rng):
    # The configuration, a script, its arrays, the golden command's arrays, a grid, an area.
    blob = rng.integers(0, 256, 4000, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad"
    for name in ("c.toml", "s.json", "W.npy", "X.npy", "g.toml", "a.json"):
        (tmp_path / name).write_bytes(blob)
    np.save(tmp_path / "W_ok.npy", np.zeros((SMALL.rows, SMALL.outs), dtype=np.int64))
    cases = [
        ["generate", "--config", tmp_path / "c.toml", "--out", bad],
        ["run", "--config", "small", "--script", tmp_path / "s.json", "--out", bad / "R.json"],
        ["golden", "--config", "small", "--weights", tmp_path / "W.npy", "--inputs",
         tmp_path / "X.npy", "--out", bad / "Y.npy"],
        ["golden", "--config", "small", "--weights", tmp_path / "W_ok.npy", "--inputs",
         tmp_path / "X.npy", "--out", bad / "Y.npy"],
        ["sweep", "--grid", tmp_path / "g.toml", "--out", bad],
        ["model", "--config", "small", "--area", tmp_path / "a.json", "--out", bad],
    ]
    before = snapshot(tmp_path)
    for argv in cases:
        err = refused(capsys, argv)
        assert any(name in err for name in ("c.toml", "s.json", "W.npy", "X.npy", "g.toml",
                                            "a.json")), err
    assert snapshot(tmp_path) == before


# -- output paths -------------------------------------------------------------------------------

def test_output_under_a_file_or_unwritable(session, capsys, tmp_path):
    (tmp_path / "plain").write_text("x")
    refused(capsys, ["run", "--config", "small", "--script", session / "session.json",
                     "--out", tmp_path / "plain" / "R.json"], "which is a file")
    refused(capsys, ["generate", "--config", "small", "--out", "/proc/tlcim"],
            "cannot write into '/proc'")


def test_simulation_folder_variable_that_is_a_file(session, capsys, tmp_path, monkeypatch):
    (tmp_path / "f").write_text("x")
    monkeypatch.setenv("TLCIM_SIM_DIR", str(tmp_path / "f"))
    refused(capsys, ["run", "--config", "small", "--target", "rtl", "--script",
                     session / "session.json", "--out", tmp_path / "R.json"],
            "$TLCIM_SIM_DIR must name a folder")


@pytest.mark.parametrize("variable, value", [("TLCIM_BULK", "yes"), ("TLCIM_WAVES", "on"),
                                             ("YOSYS", "/no/such/yosys")])
def test_bad_environment_variables_are_named(capsys, tmp_path, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    argv = (["synth", "--config", "small", "--out", tmp_path / "o"] if variable == "YOSYS" else
            ["run", "--config", "small", "--target", "rtl", "--script",
             EXAMPLE / "session.json", "--out", tmp_path / "R.json"])
    refused(capsys, argv, variable)
    assert not any(tmp_path.iterdir())


# -- never over the user's files -----------------------------------------------------------------

@pytest.mark.parametrize("out, culprits", [
    ("Y_set0.npy", ["--out", "is written twice", "operation [5]"]),   # = an operation's out
    ("session.json", ["--out", "is an input of this command"]),
    ("W0.npy", ["--out", "is an input of this command"]),
])
def test_outputs_never_replace_inputs_or_each_other(session, capsys, out, culprits):
    before = snapshot(session)
    refused(capsys, ["run", "--config", "small", "--script", session / "session.json",
                     "--out", session / out], *culprits)
    assert snapshot(session) == before


def test_an_operation_writing_its_own_inputs_is_refused(session, capsys):
    script = write_script(session, [{"op": "mvm", "inputs": "X.npy", "out": "X.npy"}])
    before = snapshot(session)
    refused(capsys, ["run", "--config", "small", "--script", script, "--out",
                     session / "R.json"], "operation [0]", "is an input of this command")
    assert snapshot(session) == before


def test_unrelated_files_and_links_need_force(session, capsys, tmp_path):
    (tmp_path / "notes.json").write_text("my notes\n")
    (tmp_path / "link.json").symlink_to(tmp_path / "notes.json")
    run = ["run", "--config", "small", "--script", session / "session.json", "--out"]
    refused(capsys, run + [tmp_path / "notes.json"], "notes.json", "was not written by tlcim",
            "--force")
    refused(capsys, run + [tmp_path / "link.json"], "link.json", "is a symbolic link")
    assert (tmp_path / "notes.json").read_text() == "my notes\n"
    assert main([str(a) for a in run + [tmp_path / "link.json", "--force"]]) == 0
    assert not (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "notes.json").read_text() == "my notes\n"   # never written through
    # A rerun replaces what it wrote without --force.
    assert main([str(a) for a in run + [tmp_path / "link.json"]]) == 0


# -- options --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "fast", "1e400"])
def test_clock_must_be_a_positive_finite_number(capsys, tmp_path, value):
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--config", "small", "--out", str(tmp_path / "o"), "--clock-mhz", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--clock-mhz" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("argv", [["infer", "--limit", "0"], ["infer", "--seed", "-1"],
                                  ["infer", "--hidden", "0"], ["sweep", "--out", "x",
                                                               "--workers", "0"]])
def test_counts_must_be_in_range(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and "must be at least" in capsys.readouterr().err


# -- everything a subprocess user sees: no traceback, Ctrl-C one line ------------------------------

def _tlcim(args, cwd, **kwargs):
    """Start ``python -m tlcim args`` as from a terminal: not as a part of this pytest run,
    which cocotb's runner would otherwise think it is (it reads ``PYTEST_CURRENT_TEST``)."""
    env = dict(kwargs.pop("env", os.environ))
    env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.Popen([sys.executable, "-m", "tlcim", *map(str, args)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            **kwargs)


def test_internal_errors_are_one_line_without_traceback(tmp_path):
    # A broken pickle of a plot backend would be a bug: simulate one with a failing import.
    (tmp_path / "sitecustomize.py").write_text(
        "import tlcim.build\n"
        "def broken(*args, **kwargs):\n    raise KeyError('boom')\n"
        "tlcim.build.show_config = broken\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = _tlcim(["config", "--config", "small"], tmp_path, env=env)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 70, err
    assert err.strip().startswith("tlcim: internal error: KeyError: 'boom'")
    assert "Traceback" not in err and "TLCIM_DEBUG=1" in err


def _simulator_running(group):
    """Whether a process of process group ``group`` runs the Verilator simulation (Linux)."""
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != group:
            try:
                # Field 5 of stat is the process group; the command may contain spaces.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            # The simulator itself, not a build command naming its output.
            if int(fields[2]) == group and command.split(b"\0")[0].endswith(b"/tlcim_harness"):
                return True
    return False


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None, reason="no Verilator")
def test_ctrl_c_during_an_rtl_session_stops_cleanly(session, tmp_path):
    # Like Ctrl-C in a terminal: SIGINT to the whole process group, simulator included.
    before = snapshot(session)
    started = time.monotonic()
    # A terminal's foreground job: SIGINT at its default even when these tests run in the
    # background (where the shell has it ignored, and tlcim rightly leaves it ignored).
    child = _tlcim(["run", "--config", "small", "--target", "rtl", "--script",
                    session / "session.json", "--out", tmp_path / "R.json"], tmp_path,
                   start_new_session=True,
                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # Interrupt once the simulator runs (not after a fixed delay, which a loaded machine
    # spends importing or building and a fast one finishes the session in).
    while not _simulator_running(child.pid):
        assert child.poll() is None, "the session ended before its simulator was seen"
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGINT)
    out, err = child.communicate(timeout=300)
    print(f"interrupted after {time.monotonic() - started:.1f} s")
    assert child.returncode == 130, err
    assert err.strip() == "tlcim: interrupted: nothing was written (caches are kept)"
    assert not (tmp_path / "R.json").exists() and snapshot(session) == before
    assert not list(session.glob(".*staging")) and not list(tmp_path.glob(".*staging"))
    # The caches stay usable: the same command runs to the end.
    again = _tlcim(["run", "--config", "small", "--target", "rtl", "--script",
                    session / "session.json", "--out", tmp_path / "R.json"], tmp_path)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert json.loads((tmp_path / "R.json").read_text())[0]["op"] == "status"


# -- golden and rtl agree on everything accepted -----------------------------------------------------

def _fuzz_script(folder, rng, operations=14):
    """A random session script for ``small`` that mixes accepted and device-refused operations
    and extreme values (inputs far beyond the encoder's range, int64 limits, out-of-range
    weights, indices and sets); arrays beside it; seeded by ``rng``."""
    config, ops = SMALL, []
    width = config.rows * config.subarrays
    for index in range(operations):
        kind = rng.choice(["write", "write", "mvm", "mvm", "store", "restore", "reset",
                           "read", "status", "write_bad"])
        if kind in ("write", "write_bad"):
            top = config.w_max + (rng.integers(1, 5) if kind == "write_bad" else 0)
            name = f"W{index}.npy"
            np.save(folder / name, rng.integers(-top, top + 1, (config.rows, config.outs)))
            ops.append({"op": "write", "subarray": int(rng.integers(0, config.subarrays + 1)),
                        "weights": name})
        elif kind == "mvm":
            name = f"X{index}.npy"
            extreme = rng.choice([config.x_max, 1000, np.iinfo(np.int64).max])
            x = rng.integers(-config.x_max - 3, config.x_max + 4, (3, width))
            x[rng.random(x.shape) < 0.05] = extreme * rng.choice([-1, 1])
            np.save(folder / name, x)
            op = {"op": "mvm", "inputs": name, "out": f"Y{index}.npy"}
            if rng.random() < 0.5:
                op["requant"] = {"multiplier": int(rng.integers(0, 1 << 16)),
                                 "shift": int(rng.integers(0, 64)),
                                 "relu": bool(rng.random() < 0.5)}
            ops.append(op)
        elif kind in ("store", "restore"):
            subarray = "all" if rng.random() < 0.5 else int(rng.integers(0, config.subarrays))
            ops.append({"op": kind, "subarray": subarray,
                        "set": int(rng.integers(0, config.weight_sets + 2))})
        elif kind == "read":
            ops.append({"op": "read", "subarray": int(rng.integers(0, config.subarrays)),
                        "out": f"R{index}.npy"})
        else:
            ops.append({"op": str(kind)})
    return write_script(folder, ops, "fuzz.json")


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None, reason="no Verilator")
@pytest.mark.parametrize("case", range(3))
def test_random_scripts_give_identical_results_on_golden_and_rtl(tmp_path, against_golden,
                                                                 seed, case):
    rng = np.random.default_rng([seed, case])
    script = _fuzz_script(tmp_path, rng)
    entries, _ = against_golden(script)   # results JSON and every .npy equal, byte for byte
    assert len(entries) == 14 and {e["status"] for e in entries} <= {"ok", "error"}
