"""tlcim.sweep.driver: running a sweep; skipped points, resuming, refusing other settings'
results, the local and Dask executors giving the same outputs, the command line."""

import concurrent.futures
import json
import shutil

import pytest
from dask.distributed import LocalCluster

from tlcim import sweep as sw
from tlcim.sweep import driver
from tlcim.cli import main

# Small and fast: the `small` preset (few test images: sweep_settings). cbls 21 breaks a Config
# rule (not a multiple of w_trits); adc_bits 3 with 16 active rows is refused by the mapper.
GRID = {"base": "small", "grid": {"cbls": [20, 21], "adc_bits": [3, 5, 6]}}


class SerialExecutor:
    """Runs each point in this process when submitted; counts the calls (a test double of
    the Executor protocol)."""

    def __init__(self):
        self.calls = 0

    def submit(self, fn, *args):
        self.calls += 1
        future = concurrent.futures.Future()
        future.set_result(fn(*args))
        return future

    def as_completed(self, futures):
        return iter(futures)

    def cancel(self, futures):
        for future in futures:
            future.cancel()

    def close(self):
        pass

    def describe(self):
        return "this process"


def outputs(folder):
    """The summary and plots of a sweep folder, as bytes by name."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())
            if path.name != "results.jsonl"}


# -- sweeps ---------------------------------------------------------------------------------

def test_invalid_points_skipped_with_reason(tmp_path, sweep_settings):
    grid = sw.parse_grid(GRID, source="t")
    summary = sw.run_sweep(grid, tmp_path, settings=sweep_settings, executor=SerialExecutor())
    status = {(p["params"]["cbls"], p["params"]["adc_bits"]): p for p in summary["points"]}
    assert list(status) == [(20, 3), (20, 5), (20, 6), (21, 3), (21, 5), (21, 6)]
    for adc_bits in (3, 5, 6):
        assert status[21, adc_bits]["status"] == "skipped"
        assert status[21, adc_bits]["reason"] == ("cbls must be a multiple of w_trits (5), "
                                                  "not 21")
    assert status[20, 3]["status"] == "skipped"
    assert "reads an idle compute block as 9, not 0" in status[20, 3]["reason"]
    assert summary["counts"] == {"points": 6, "ok": 2, "skipped": 4}
    ok = status[20, 5]["metrics"]
    assert 0.5 < ok["accuracy"] <= 1 and ok["samples"] == sweep_settings.limit
    # The 6-bit ADC costs more energy and area than the 5-bit one (comparators double).
    assert status[20, 6]["metrics"]["energy_fj_per_op"] > ok["energy_fj_per_op"]
    assert status[20, 6]["metrics"]["area_mm2"] > ok["area_mm2"]
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 6
    assert json.loads((tmp_path / "sweep.json").read_text()) == summary
    for name in sw.PARETO_PLOTS:
        assert (tmp_path / f"pareto_{name}.png").stat().st_size > 1000
        assert (tmp_path / f"pareto_{name}.svg").read_text().startswith("<?xml")


def test_interrupted_sweep_resumes_and_matches(tmp_path, sweep_settings):
    grid = sw.parse_grid({"base": "small", "grid": {"adc_bits": [5, 6],
                                                    "cluster_size": [4, 8]}}, source="t")
    whole = tmp_path / "whole"
    sw.run_sweep(grid, whole, settings=sweep_settings, executor=SerialExecutor())

    part = tmp_path / "part"
    seen = []

    def stop_after_two(record):
        seen.append(record["key"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(grid, part, settings=sweep_settings, executor=SerialExecutor(),
                     on_result=stop_after_two)
    assert len((part / "results.jsonl").read_text().splitlines()) == 2
    assert not (part / "sweep.json").exists()
    # A torn last line (the process died while writing) is dropped and recomputed.
    with open(part / "results.jsonl", "a") as file:
        file.write('{"key": "torn')
    executor = SerialExecutor()
    sw.run_sweep(grid, part, settings=sweep_settings, executor=executor)
    assert executor.calls == 2  # only the points not done
    assert outputs(part) == outputs(whole)  # sweep.json and plots byte-identical
    # A rerun of a finished sweep computes nothing and writes the same files.
    executor = SerialExecutor()
    sw.run_sweep(grid, part, settings=sweep_settings, executor=executor)
    assert executor.calls == 0 and outputs(part) == outputs(whole)


def test_results_of_other_settings_are_refused(tmp_path, sweep_settings, nn_cache):
    grid = sw.parse_grid({"base": "small", "grid": {"adc_bits": [5]}}, source="t")
    sw.run_sweep(grid, tmp_path, settings=sweep_settings, executor=SerialExecutor())
    before = (tmp_path / "results.jsonl").read_bytes()
    other = sw.Settings(limit=sweep_settings.limit + 1, cache=str(nn_cache))
    with pytest.raises(ValueError, match="^results.jsonl: line 1 was computed with settings "
                                         ".*'limit': 12.*, not .*'limit': 13.*; use the same "
                                         "settings or another output folder$"):
        sw.run_sweep(grid, tmp_path, settings=other, executor=SerialExecutor())
    (tmp_path / "results.jsonl").write_text("not json\n")
    with pytest.raises(ValueError, match="^results.jsonl: line 1 is not a sweep record$"):
        sw.run_sweep(grid, tmp_path, settings=sweep_settings, executor=SerialExecutor())
    assert before  # the refused runs changed nothing but what the test wrote


def test_local_executor_via_cli(tmp_path, nn_cache, sweep_settings, monkeypatch, capsys):
    # The CLI uses ./build/nn as the cache: give it the trained weights.
    monkeypatch.chdir(tmp_path)
    shutil.copytree(nn_cache, tmp_path / "build" / "nn")
    (tmp_path / "g.toml").write_text('base = "small"\n[grid]\nadc_bits = [5, 6]\n')
    assert main(["sweep", "--grid", "g.toml", "--out", "out", "--workers", "2",
                 "--limit", str(sweep_settings.limit)]) == 0
    captured = capsys.readouterr()
    assert "to compute on 2 local processes" in captured.err
    assert "sweep: 2/2 points (0 skipped)" in captured.err and "ETA 0 s" in captured.err
    serial = tmp_path / "serial"
    sw.run_sweep(sw.load_grid("g.toml"), serial, settings=sweep_settings,
                 executor=SerialExecutor())
    assert outputs(tmp_path / "out") == outputs(serial)


def test_cli_reports_bad_grid(tmp_path, capsys):
    (tmp_path / "g.toml").write_text("[grid]\nrows = 64\n")
    assert main(["sweep", "--grid", str(tmp_path / "g.toml"), "--out",
                 str(tmp_path / "out")]) == 2
    assert ("tlcim: error: g.toml: grid.rows must be a non-empty list of values, not 64"
            in capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_dask_executor_on_local_cluster(tmp_path, sweep_settings):
    grid = sw.parse_grid({"base": "small", "grid": {"adc_bits": [5, 6]}}, source="t")
    serial = tmp_path / "serial"
    sw.run_sweep(grid, serial, settings=sweep_settings, executor=SerialExecutor())
    # Threads in this process, reached over TCP on the loopback like a remote cluster.
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        with sw.make_executor(cluster.scheduler_address) as executor:
            assert "Dask cluster at tcp://127.0.0.1:" in executor.describe()
            sw.run_sweep(grid, tmp_path / "dask", settings=sweep_settings, executor=executor)
    assert outputs(tmp_path / "dask") == outputs(serial)


def test_cli_interrupt_keeps_results(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(driver, "run_sweep", interrupted)
    assert main(["sweep", "--grid", "tiny", "--out", str(tmp_path), "--workers", "1"]) == 130
    assert "run the same command to resume" in capsys.readouterr().err
