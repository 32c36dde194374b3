"""``tlcim regress``: reproducible constrained-random scripts, operation-by-operation comparison,
shrinking, the functional coverage plan, code coverage merging and waivers, option errors,
and a short regression on the simulated RTL with coverage and mutants (docs/verification.md)."""

import concurrent.futures
import json

import numpy as np
import pytest

from tlcim.cli import main
from tlcim.golden import Config
from tlcim.golden.config import PRESETS
from tlcim.regress import coverage, driver, functional
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


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_scripts_are_reproducible_and_valid(name, tmp_path, seed):
    config = Config.preset(name)
    first, again, other = generate(config, seed), generate(config, seed), generate(config, seed + 1)
    assert first.to_json() == again.to_json() and first.stall == again.stall
    assert all(np.array_equal(first.arrays[k], again.arrays[k]) for k in first.arrays)
    assert first.to_json() != other.to_json()
    ops = first.parse(config, tmp_path)   # every generated script is a valid session script
    assert len(ops) == len(first.ops)
    assert all("out" in op.source for op in ops if op.op in ("mvm", "read"))


def test_generate_refuses_bad_seeds():
    with pytest.raises(ValueError, match="seed must be a non-negative integer, not -1"):
        generate(SMALL, -1)
    with pytest.raises(ValueError, match="length must be a positive integer, not 0"):
        generate(SMALL, 0, length=0)


def test_golden_seeds_cover_the_plan():
    # The golden target against itself passes, and 60 seeds hit every bin of the plan.
    hit = set()
    for seed in range(60):
        record = run_seed(Job(SMALL.to_json(), "golden"), seed)
        assert record["status"] == "pass", record
        hit |= set(record["bins"])
    assert functional.uncovered(SMALL, hit) == []
    assert "adc:clamp" in functional.plan(SMALL)
    assert "adc:clamp" not in functional.plan(Config.preset("ideal"))


def test_mismatch_is_found_and_shrunk(broken_target):
    job = Job(SMALL.to_json(), broken_target)
    records = [run_seed(job, seed) for seed in range(8)]
    failing = [r for r in records if r["status"] == "mismatch"]
    assert failing, "no seed ran a batch of several vectors"
    record = failing[0]
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


@pytest.mark.parametrize("args, message", [
    (["--seeds", "0"], "seeds must be an integer >= 1, not 0"),
    (["--target", "nope"], "unknown target 'nope'"),
    (["--target", "golden", "--coverage"], "--coverage needs the rtl:verilator target"),
    (["--target", "golden", "--mutants", "1"], "--mutants needs the rtl:verilator target"),
    (["--verilog", "missing.v"], "--verilog file 'missing.v' does not exist"),
])
def test_regress_option_errors(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["regress", "--config", "small", "--out", "r", *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r" / "regress.json").exists()


def test_regress_verilog_must_define_the_top(tmp_path, capsys):
    (tmp_path / "other.v").write_text("module something(input a);\nendmodule\n")
    assert main(["regress", "--config", "small", "--verilog", str(tmp_path / "other.v"),
                 "--out", str(tmp_path / "r")]) == 2
    assert "defines no module tlcim_top" in capsys.readouterr().err
    assert main(["regress", "--config", "small", "--target", "golden", "--verilog",
                 str(tmp_path / "other.v"), "--out", str(tmp_path / "r")]) == 2


def _dat(path, counts):
    keys = [("v_line/tlcim_top.regs", "block", "12"), ("v_toggle/tlcim_top.regs", "x[0]:0->1", "3"),
            ("v_toggle/tlcim_top.monitor", "cycles[63]:0->1", "7"),
            ("v_line/tlcim_harness", "block", "1")]
    lines = ["# SystemC::Coverage-3"]
    for (page, comment, line), count in zip(keys, counts):
        key = (f"\x01f\x02/somewhere/tlcim_top.v\x01l\x02{line}\x01page\x02{page}"
               f"\x01o\x02{comment}")
        lines.append(f"C '{key}' {count}")
    path.write_text("\n".join(lines) + "\n")


def test_code_coverage_condense_merge_waive_annotate(tmp_path):
    _dat(tmp_path / "a.dat", [3, 0, 0, 1])
    _dat(tmp_path / "b.dat", [1, 2, 0, 0])
    coverage.condense(tmp_path / "a.dat", tmp_path, "seed0")
    coverage.condense(tmp_path / "b.dat", tmp_path, "seed1")
    assert not (tmp_path / "a.dat").exists()
    points, counts = coverage.merge(tmp_path, ["seed0", "seed1", "seed9"])
    assert counts.tolist() == [2, 1, 0]      # seeds per point; the harness is left out
    waivers = [coverage.Waiver("toggle", "tlcim_top.monitor", "cycles[6*", "2**63 cycles")]
    summary = coverage.summarise(points, counts, waivers)
    assert summary["total"]["toggle"] == {"points": 2, "hit": 1, "waived": 1, "fraction": 1.0}
    assert summary["uncovered"] == []
    assert summary["waivers"][0]["points"] == 1
    assert coverage.summarise(points, counts, [])["uncovered"][0]["point"] == "cycles[63]:0->1"
    coverage.write_dat(tmp_path / "merged.dat", points, counts)
    assert [c for _, c in coverage.read_dat(tmp_path / "merged.dat")] == [2, 1, 0]
    source = "\n".join(f"line {n}" for n in range(1, 9))
    coverage.annotate({"tlcim_top.v": source}, points, counts, tmp_path / "ann")
    annotated = (tmp_path / "ann" / "tlcim_top.v").read_text().splitlines()
    assert annotated[6] == "%000000 line 7"     # a point no seed hit
    assert annotated[2] == " 000001 line 3" and annotated[0] == "        line 1"


def test_waivers_file_is_valid_and_errors_are_clear(tmp_path):
    assert all(w.reason for w in coverage.load_waivers())
    (tmp_path / "w.toml").write_text('[[waiver]]\nkind = "toggle"\nmodule = "x"\npoint = "y"\n')
    with pytest.raises(ValueError, match=r"waiver \[0\] is missing reason"):
        coverage.load_waivers(tmp_path / "w.toml")
    (tmp_path / "w.toml").write_text('[[waiver]]\nkind = "lines"\nmodule = "x"\npoint = "y"\n'
                                     'reason = "z"\n')
    with pytest.raises(ValueError, match="waiver kind must be one of line, branch, toggle"):
        coverage.load_waivers(tmp_path / "w.toml")


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


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None, reason="no Verilator")
def test_set_empty_names_only_empty_subarrays(tmp_path, rng, against_golden):
    """Found by seeds 3 and 9 of `small`: a restore of "all" where one subarray never stored
    the set and another fails verification names only the first (the host named both)."""
    for s in range(SMALL.subarrays):
        np.save(tmp_path / f"W{s}.npy", rng.integers(-SMALL.w_max, SMALL.w_max + 1,
                                                     (SMALL.rows, SMALL.outs)))
    ops = [{"op": "write", "subarray": s, "weights": f"W{s}.npy"} for s in range(2)]
    ops += [{"op": "store", "subarray": 0, "set": 2},
            {"op": "inject", "fault": "misread", "subarray": 0, "row": 3, "cbl": 1},
            {"op": "restore", "subarray": "all", "set": 2}, {"op": "status"}]
    (tmp_path / "s.json").write_text(json.dumps(ops))
    entries, _ = against_golden(tmp_path / "s.json")
    assert entries[4]["error"] == "set_empty"
    assert entries[4]["detail"] == ("set 2 was never stored in subarray(s) [1]; their weights "
                                    "are invalid")
    assert entries[5]["valid"] == [False, False]


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None, reason="no Verilator")
def test_regress_rtl_with_coverage_and_mutants(tmp_path):
    """The default suite's short sign-off run: `small`, 4 seeds with code coverage, 2 mutants
    (docs/verification.md records its figures and what each mutant is)."""
    out = tmp_path / "r"
    assert main(["regress", "--config", "small", "--seeds", "4", "--coverage", "--mutants",
                 "2", "--jobs", "2", "--out", str(out)]) == 0
    report = json.loads((out / "regress.json").read_text())
    assert (report["seeds"], report["passed"], report["mismatches"]) == (4, 4, 0)
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
