"""``tlcim regress`` (``tlcim.regress.driver``): operation-by-operation comparison, shrinking,
resuming, Dask, interruption, option errors, a user's Verilog, and a short regression on the
simulated RTL with coverage and mutants (docs/verification.md)."""

import concurrent.futures
import json
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tlcim.cli import main
from tlcim.golden import Config
from tlcim.regress import driver, functional
from tlcim.regress.generate import generate
from tlcim.regress.run import Job, run_seed, shrink
from tlcim.sim import rtl
from tlcim.sim.script import TARGETS, GoldenTarget, register_target

SMALL = Config.preset("small")


class _BrokenTarget(GoldenTarget):
    """The golden device with a wrong gate: the last output of every batch of several
    vectors is off by one."""

    async def mvm(self, inputs, requant=None):
        y = await super().mvm(inputs, requant)
        if len(y) > 1:
            y[-1, -1] += 1
        return y


@pytest.fixture
def broken_target():
    register_target("broken", lambda config, option: _BrokenTarget(config))
    yield "broken"
    del TARGETS["broken"]


class _ThreadExecutor:
    """The Executor protocol on a thread of this process, where the test targets are
    registered (spawned workers would not know them)."""

    def __init__(self):
        self._pool = concurrent.futures.ThreadPoolExecutor(1)
        self.as_completed = concurrent.futures.as_completed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._pool.shutdown()

    def submit(self, fn, *args):
        return self._pool.submit(fn, *args)

    def cancel(self, futures):
        pass

    def describe(self):
        return "a thread"


def test_mismatch_is_found_and_shrunk(broken_target):
    job = Job(SMALL.to_json(), broken_target)
    records = [run_seed(job, seed) for seed in range(8)]
    failing = [r for r in records if r["status"] == "mismatch"]
    assert failing, "no seed ran a batch of several vectors"
    # The latest first mismatch, so that the shrinking has operations to remove.
    record = max(failing, key=lambda r: r["first_mismatch"]["index"])
    mismatch = record["first_mismatch"]
    assert mismatch["op"] == "mvm"
    assert np.array(mismatch["got"])[-1, -1] == np.array(mismatch["expected"])[-1, -1] + 1
    script, runs = shrink(job, record["seed"], first_mismatch=mismatch)
    assert runs <= 40
    full = generate(SMALL, record["seed"])
    assert len(script.ops) < mismatch["index"] + 1 <= len(full.ops)
    assert script.ops[-1]["op"] == "mvm"   # the failing operation is kept, last
    assert set(script.arrays) <= set(full.arrays)


def test_regress_reports_failures_with_a_shrunk_script(broken_target, tmp_path, monkeypatch,
                                                       capsys):
    monkeypatch.setattr(driver, "make_executor", lambda scheduler, jobs: _ThreadExecutor())
    out = tmp_path / "r"
    assert main(["regress", "--config", "small", "--target", broken_target, "--seeds", "6",
                 "--out", str(out)]) == 1
    report = json.loads((out / "regress.json").read_text())
    assert report["mismatches"] >= 1 and report["failures"] == 0
    first = report["first_failure"]
    assert first["reproduce"] == (f"tlcim regress --config small --target broken --start "
                                  f"{first['seed']} --seeds 1 --out OUT")
    shrunk = json.loads((out / first["script"]).read_text())
    assert len(shrunk) == first["shrunk_ops"] and shrunk[-1]["op"] == "mvm"
    assert "First failure: seed" in (out / "regress.md").read_text()
    assert (out / "coverage_vs_seeds.png").exists()
    assert main(["run", "--config", "small", "--target", "golden", "--script",
                 str(out / first["script"]), "--out", str(tmp_path / "R.json")]) == 0


def test_regress_resumes_and_refuses_other_settings(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["regress", "--config", "small", "--target", "golden", "--seeds", "3",
                 "--jobs", "1", "--out", str(out)]) == 0
    report = (out / "regress.json").read_text()
    assert json.loads(report)["coverage"]["line"] is None
    capsys.readouterr()
    # Everything done: nothing runs again and the report is the same, byte for byte.
    assert main(["regress", "--config", "small", "--target", "golden", "--seeds", "3",
                 "--jobs", "1", "--out", str(out)]) == 0
    assert "seeds/s" not in capsys.readouterr().err
    assert (out / "regress.json").read_text() == report
    assert main(["regress", "--config", "ideal", "--target", "golden", "--seeds", "3",
                 "--out", str(out)]) == 2
    assert "use the same settings or another output folder" in capsys.readouterr().err


def test_regress_on_a_dask_cluster_matches_local(tmp_path, capsys):
    from dask.distributed import LocalCluster
    local = tmp_path / "local"
    assert main(["regress", "--config", "ideal", "--target", "golden", "--seeds", "4",
                 "--jobs", "1", "--out", str(local)]) == 0
    # Threads in this process, reached over TCP on the loopback like a remote cluster.
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        assert main(["regress", "--config", "ideal", "--target", "golden", "--seeds", "4",
                     "--scheduler", cluster.scheduler_address,
                     "--out", str(tmp_path / "dask")]) == 0
    assert "Dask cluster at tcp://127.0.0.1:" in capsys.readouterr().err
    for name in ("regress.json", "regress.md", "coverage_vs_seeds.svg"):
        assert (tmp_path / "dask" / name).read_bytes() == (local / name).read_bytes()


def test_regress_interrupt_keeps_results(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(driver, "run_seeds", interrupted)
    assert main(["regress", "--config", "small", "--target", "golden", "--out",
                 str(tmp_path), "--jobs", "1"]) == 130
    assert "run the same command to resume" in capsys.readouterr().err


def _children(pid):
    # The processes ``pid`` started (Linux /proc).
    found = set()
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


@pytest.mark.skipif(not pathlib.Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_regress_sigterm_stops_the_workers(tmp_path):
    """``kill`` (SIGTERM to the command's process alone) ends a run as Ctrl-C does: status
    130, the finished seeds kept, and no worker process left behind."""
    command = [sys.executable, "-m", "tlcim", "regress", "--config", "small", "--target",
               "golden", "--seeds", "400", "--jobs", "2", "--out", str(tmp_path / "r")]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:  # wait for the workers to report a seed
            if "seeds (" in line:
                break
        workers = _children(process.pid)
        assert workers, "no worker processes"
        process.send_signal(signal.SIGTERM)
        rest = process.communicate(timeout=120)[1]
    finally:
        process.kill()
    assert process.returncode == 130, rest
    assert "run the same command to resume" in rest
    assert (tmp_path / "r" / "results.jsonl").read_text().strip()
    deadline = time.monotonic() + 30
    while any(pathlib.Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, f"workers left running: {workers}"
        time.sleep(0.2)


@pytest.mark.parametrize("args, message", [
    (["--seeds", "0"], "argument --seeds: must be at least 1, not '0'"),
    (["--target", "nope"], "unknown target 'nope'"),
    (["--target", "golden", "--coverage"], "--coverage needs the rtl:verilator target"),
    (["--target", "golden", "--mutants", "1"], "--mutants needs the rtl:verilator target"),
    (["--verilog", "missing.v"], "--verilog file 'missing.v' does not exist"),
    (["--macro", "nope"], "argument --macro: invalid choice: 'nope'"),
    (["--macro", "cpp", "--target", "golden"], "--macro cpp needs the rtl:verilator target"),
    (["--macro", "cpp", "--target", "rtl:icarus"], "--macro cpp needs the rtl:verilator target"),
    (["--macro", "cpp", "--coverage"], "--macro cpp cannot be combined with --coverage"),
    (["--macro", "cpp", "--mutants", "1"], "--macro cpp cannot be combined with --mutants"),
])
def test_regress_option_errors(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        status = main(["regress", "--config", "small", "--out", "r", *args])
    except SystemExit as exit_:  # argparse refuses option values itself
        status = exit_.code
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r" / "regress.json").exists()


def test_regress_verilog_must_define_the_top(tmp_path, capsys):
    (tmp_path / "other.v").write_text("module something(input a);\nendmodule\n")
    assert main(["regress", "--config", "small", "--verilog", str(tmp_path / "other.v"),
                 "--out", str(tmp_path / "r")]) == 2
    assert "defines no module tlcim_top" in capsys.readouterr().err
    assert main(["regress", "--config", "small", "--target", "golden", "--verilog",
                 str(tmp_path / "other.v"), "--out", str(tmp_path / "r")]) == 2


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None, reason="no Verilator")
def test_regress_a_users_verilog(tmp_path):
    # The generated tlcim_top as a user's file: it replaces the generated one in the build
    # (the same text, so the cached build serves) and the library modules are still added.
    from tlcim.hw.generate import simulation_sources
    (tmp_path / "mine.v").write_text(simulation_sources(SMALL)["tlcim_top.v"])
    out = tmp_path / "r"
    assert main(["regress", "--config", "small", "--verilog", str(tmp_path / "mine.v"),
                 "--seeds", "1", "--start", "5", "--jobs", "1", "--out", str(out)]) == 0
    report = json.loads((out / "regress.json").read_text())
    assert (report["design"], report["seed_range"], report["passed"]) == ("user", [5, 5], 1)


def test_large_generated_designs_get_profile_guided_builds(monkeypatch):
    # A user's design or a mutant might never end the training session; a coverage build
    # counts what runs, not how fast; small designs compile longer than they run.
    assert driver.Settings(SMALL).optimise is None
    monkeypatch.setattr(rtl, "FAST_BUILD_BYTES", 0)   # small counts as large
    assert driver.Settings(SMALL).optimise == rtl.PROFILE
    assert driver.Settings(SMALL, macro="cpp").optimise == rtl.PROFILE
    assert driver.Settings(SMALL, coverage=True).optimise is None
    assert driver.Settings(SMALL, verilog="module tlcim_top;\nendmodule\n").optimise is None
    assert driver.Settings(SMALL, target="golden").optimise is None
    assert driver.Settings(SMALL).job(optimise=False).build["optimise"] is False


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None, reason="no Verilator")
def test_regress_on_the_cpp_model(tmp_path, monkeypatch):
    """The same random sessions (resets mid-operation, faults, stalls, refusals) with every
    subarray the C++ model: no mismatch, and the settings say which model ran. ``small``
    counts as large here, so this is the profile-guided build ``paper`` gets: trained, then
    compiled with every object's profile."""
    monkeypatch.setattr(rtl, "FAST_BUILD_BYTES", 0)
    out = tmp_path / "r"
    assert main(["regress", "--config", "small", "--macro", "cpp", "--seeds", "2", "--jobs",
                 "2", "--out", str(out)]) == 0
    report = json.loads((out / "regress.json").read_text())
    assert (report["seeds"], report["passed"], report["mismatches"], report["macro"]) == \
        (2, 2, 0, "cpp")
    assert "(subarrays: the C++ model)" in (out / "regress.md").read_text()
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert {record["settings"]["macro"] for record in records} == {"cpp"}
    settings = driver.Settings(SMALL, macro="cpp")
    built = rtl.build_harness(SMALL, sources=settings.sources(), variant="cpp",
                              optimise=rtl.PROFILE)
    assert not built.rebuilt and built.directory.name.endswith("-cpp-profile")
    log = (built.directory / "build.log").read_text()   # the second compile's
    assert "-fprofile-use=" in log and "-fprofile-generate" not in log
    assert "profile count data file not found" not in log
    # One profile per object with code (GCC names it after the object's path): the design's
    # evaluation, the C++ model, Verilator's runtime.
    profiles = {path.stem.rsplit("#", 1)[-1]
                for path in (built.directory / rtl.PROFILE_FOLDER).glob("*.gcda")}
    assert {"Vtop___024root__0", "tlcim_subarray_model", "verilated"} <= profiles, profiles


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None, reason="no Verilator")
def test_regress_rtl_with_coverage_and_mutants(tmp_path):
    """The default suite's short sign-off run: `small`, 5 seeds with code coverage, 2 mutants
    (docs/verification.md records its figures and what each mutant is)."""
    out = tmp_path / "r"
    assert main(["regress", "--config", "small", "--seeds", "5", "--coverage", "--mutants",
                 "2", "--jobs", "2", "--out", str(out)]) == 0
    report = json.loads((out / "regress.json").read_text())
    assert (report["seeds"], report["passed"], report["mismatches"]) == (5, 5, 0)
    cov = report["coverage"]
    assert 0.5 < cov["line"] <= 1 and 0.3 < cov["toggle"] <= 1 and 0.5 < cov["functional"] <= 1
    assert report["uncovered"]["functional"] == functional.uncovered(
        SMALL, set().union(*(json.loads(line)["bins"] for line in
                             (out / "results.jsonl").read_text().splitlines())))
    assert (out / "coverage" / "annotated" / "tlcim_top.v").exists()
    mutants = report["mutants"]
    assert mutants["total"] == 2
    assert mutants["killed"] + mutants["equivalent"] + mutants["survived"] == 2
    assert mutants["survived"] == 0, mutants["list"]


@pytest.mark.slow
@pytest.mark.parametrize("name, seeds", [("small", 100), ("ternary", 30), ("ideal", 30),
                                         ("paper", 5)])
def test_regress_rtl_long(name, seeds, tmp_path):
    """Long: many seeds on the simulated RTL of several presets, no mismatch (the recorded
    sign-off runs of docs/verification.md use more seeds)."""
    out = tmp_path / "r"
    assert main(["regress", "--config", name, "--seeds", str(seeds), "--jobs", "2",
                 "--out", str(out)]) == 0
    report = json.loads((out / "regress.json").read_text())
    assert (report["passed"], report["mismatches"], report["failures"]) == (seeds, 0, 0)
