"""``tlcim sweep``: grids and their messages, skipped points, resuming, Pareto fronts, the
local and Dask executors, reproducible outputs."""

import concurrent.futures
import json
import shutil

import pytest
from dask.distributed import LocalCluster

from tlcim.golden import Config
from tlcim import sweep as sw
from tlcim.sweep import driver
from tlcim.cli import main
from tlcim.nn import TrainSettings, load_or_train

# Small and fast: the `small` preset, few test images. cbls 21 breaks a Config rule (not a
# multiple of w_trits); adc_bits 3 with 16 active rows is refused by the mapper.
GRID = {"base": "small", "grid": {"cbls": [20, 21], "adc_bits": [3, 5, 6]}}
LIMIT = 12


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """The default network trained once for the module (about a second)."""
    folder = tmp_path_factory.mktemp("nn-cache")
    load_or_train(TrainSettings(), folder)
    return folder


@pytest.fixture
def settings(cache):
    return sw.Settings(limit=LIMIT, cache=str(cache))


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


# -- grids ----------------------------------------------------------------------------------

def test_grid_points_are_the_product_in_file_order():
    grid = sw.parse_grid({"base": {"rows": 64, "cbls": 20}, "grid": {
        "adc_bits": [5, "ideal"], "cluster_size": [4, 8, 2]}}, source="g.toml")
    assert grid.base == Config(rows=64, cbls=20)
    assert grid.swept == ("adc_bits", "cluster_size")
    points = grid.points()
    assert [(p["adc_bits"], p["cluster_size"]) for p in points] == [
        (5, 4), (5, 8), (5, 2), (None, 4), (None, 8), (None, 2)]
    assert all(p["rows"] == 64 for p in points)
    assert sw.point_key(points[0]) == json.dumps(Config(rows=64, cbls=20, cluster_size=4)
                                                 .to_dict(), separators=(",", ":"))


def test_grid_presets_and_files(tmp_path):
    default = sw.load_grid("default")
    assert default.base == Config.preset("paper") and "active_rows" in default.swept
    (tmp_path / "base.toml").write_text("rows = 64\ncbls = 20\n")
    (tmp_path / "g.toml").write_text('base = "base.toml"\n[grid]\nactive_rows = [8, 16]\n')
    grid = sw.load_grid(str(tmp_path / "g.toml"))  # base resolved beside the grid file
    assert grid.base.rows == 64 and grid.source == "g.toml"
    assert len(grid.points()) == 2


@pytest.mark.parametrize("data, message", [
    ([1], "g: a grid must be a table, not list"),
    ({"grid": {"rows": [64]}, "points": []},
     'g: unknown key\\(s\\) points; a grid has "base" and "grid"'),
    ({"base": 3, "grid": {"rows": [64]}}, "g: base must be a preset name, a TOML path or a "
                                          "table of parameters, not 3"),
    ({"base": {"rowz": 1}, "grid": {"rows": [64]}}, "g: base: unknown parameter\\(s\\) rowz"),
    ({"base": "huge", "grid": {"rows": [64]}}, "unknown preset 'huge'"),
    ({"base": "paper"}, "g: needs a non-empty \\[grid\\] table mapping parameters to lists "
                        "of values, not None"),
    ({"grid": {}}, "g: needs a non-empty \\[grid\\] table"),
    ({"grid": {"colour": [1]}}, "g: unknown parameter 'colour' in \\[grid\\]; known "
                                "parameters are rows, "),
    ({"grid": {"rows": 64}}, "g: grid.rows must be a non-empty list of values, not 64"),
    ({"grid": {"rows": []}}, "g: grid.rows must be a non-empty list of values, not \\[\\]"),
    ({"grid": {"rows": [64, 64]}}, "g: grid.rows must not repeat a value, not \\[64, 64\\]"),
    ({"grid": {"rows": [64.0]}}, "g: every value of rows must be an integer, not 64.0"),
    ({"grid": {"adc_bits": ["perfect"]}},
     "g: every value of adc_bits must be an integer or \"ideal\", not 'perfect'"),
])
def test_grid_errors(data, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        sw.parse_grid(data, source="g")


def test_grid_file_errors(tmp_path):
    with pytest.raises(ValueError, match="^unknown grid 'nosuch': give a TOML file or one of "
                                         "the presets default, tiny$"):
        sw.load_grid("nosuch")
    with pytest.raises(ValueError, match="^cannot read grid '.*missing.toml': "):
        sw.load_grid(str(tmp_path / "missing.toml"))
    (tmp_path / "bad.toml").write_text("[grid\n")
    with pytest.raises(ValueError, match="^bad.toml: not valid TOML: "):
        sw.load_grid(str(tmp_path / "bad.toml"))


def test_settings_and_executor_messages():
    with pytest.raises(ValueError, match="^limit must be a positive integer, not 0$"):
        sw.Settings(limit=0)
    with pytest.raises(ValueError, match="^workers must be a positive integer, not 0$"):
        sw.LocalExecutor(0)
    with pytest.raises(ValueError, match="^workers must not be given with a scheduler "):
        sw.make_executor("tcp://127.0.0.1:1", 2)


# -- Pareto fronts --------------------------------------------------------------------------

def test_pareto_front_hand_made():
    rows = [
        {"e": 1.0, "a": 0.5},   # 0: cheapest -> front
        {"e": 2.0, "a": 0.9},   # 1: front
        {"e": 2.0, "a": 0.8},   # 2: dominated by 1 (same energy, worse accuracy)
        {"e": 3.0, "a": 0.9},   # 3: dominated by 1 (same accuracy, more energy)
        {"e": 4.0, "a": 1.0},   # 4: best accuracy -> front
        {"e": 2.0, "a": 0.9},   # 5: equal to 1 -> both stay
        {"e": 5.0, "a": 0.1},   # 6: dominated by everything
    ]
    assert sw.pareto_front(rows, [("e", "min"), ("a", "max")]) == [0, 1, 4, 5]
    # Both maximised: only the best accuracy; (6) alone maximises e and so joins it.
    assert sw.pareto_front(rows, [("e", "max"), ("a", "max")]) == [4, 6]
    assert sw.pareto_front(rows[:1], [("e", "min")]) == [0]
    assert sw.pareto_front([], [("e", "min")]) == []
    with pytest.raises(ValueError, match='^goal of e must be "min" or "max", not \'least\'$'):
        sw.pareto_front(rows, [("e", "least")])
    with pytest.raises(ValueError, match="^every row needs metric 'x'$"):
        sw.pareto_front(rows, [("x", "min")])


# -- sweeps ---------------------------------------------------------------------------------

def test_invalid_points_skipped_with_reason(tmp_path, settings):
    grid = sw.parse_grid(GRID, source="t")
    summary = sw.run_sweep(grid, tmp_path, settings=settings, executor=SerialExecutor())
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
    assert 0.5 < ok["accuracy"] <= 1 and ok["samples"] == LIMIT
    # The 6-bit ADC costs more energy and area than the 5-bit one (comparators double).
    assert status[20, 6]["metrics"]["energy_fj_per_op"] > ok["energy_fj_per_op"]
    assert status[20, 6]["metrics"]["area_mm2"] > ok["area_mm2"]
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 6
    assert json.loads((tmp_path / "sweep.json").read_text()) == summary
    for name in sw.PARETO_PLOTS:
        assert (tmp_path / f"pareto_{name}.png").stat().st_size > 1000
        assert (tmp_path / f"pareto_{name}.svg").read_text().startswith("<?xml")


def test_cost_matches_tlcim_model_at_5_bits(settings):
    from tlcim.cost import CostModel
    params = Config.preset("small").to_dict()
    record = sw.evaluate_point(params, settings)
    model = CostModel(Config.preset("small"))
    assert record["metrics"]["area_mm2"] == pytest.approx(model.area()["total_mm2"], rel=1e-5)
    assert record["metrics"]["energy_mvm_pj"] == pytest.approx(model.mvm("tl")["total_pj"],
                                                               rel=1e-5)


def test_interrupted_sweep_resumes_and_matches(tmp_path, settings):
    grid = sw.parse_grid({"base": "small", "grid": {"adc_bits": [5, 6],
                                                    "cluster_size": [4, 8]}}, source="t")
    whole = tmp_path / "whole"
    sw.run_sweep(grid, whole, settings=settings, executor=SerialExecutor())

    part = tmp_path / "part"
    seen = []

    def stop_after_two(record):
        seen.append(record["key"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(grid, part, settings=settings, executor=SerialExecutor(),
                     on_result=stop_after_two)
    assert len((part / "results.jsonl").read_text().splitlines()) == 2
    assert not (part / "sweep.json").exists()
    # A torn last line (the process died while writing) is dropped and recomputed.
    with open(part / "results.jsonl", "a") as file:
        file.write('{"key": "torn')
    executor = SerialExecutor()
    sw.run_sweep(grid, part, settings=settings, executor=executor)
    assert executor.calls == 2  # only the points not done
    assert outputs(part) == outputs(whole)  # sweep.json and plots byte-identical
    # A rerun of a finished sweep computes nothing and writes the same files.
    executor = SerialExecutor()
    sw.run_sweep(grid, part, settings=settings, executor=executor)
    assert executor.calls == 0 and outputs(part) == outputs(whole)


def test_results_of_other_settings_are_refused(tmp_path, settings, cache):
    grid = sw.parse_grid({"base": "small", "grid": {"adc_bits": [5]}}, source="t")
    sw.run_sweep(grid, tmp_path, settings=settings, executor=SerialExecutor())
    before = (tmp_path / "results.jsonl").read_bytes()
    other = sw.Settings(limit=LIMIT + 1, cache=str(cache))
    with pytest.raises(ValueError, match="^results.jsonl: line 1 was computed with settings "
                                         ".*'limit': 12.*, not .*'limit': 13.*; use the same "
                                         "settings or another output folder$"):
        sw.run_sweep(grid, tmp_path, settings=other, executor=SerialExecutor())
    (tmp_path / "results.jsonl").write_text("not json\n")
    with pytest.raises(ValueError, match="^results.jsonl: line 1 is not a sweep record$"):
        sw.run_sweep(grid, tmp_path, settings=settings, executor=SerialExecutor())
    assert before  # the refused runs changed nothing but what the test wrote


def test_local_executor_via_cli(tmp_path, cache, monkeypatch, capsys):
    # The CLI uses ./build/nn as the cache: give it the trained weights.
    monkeypatch.chdir(tmp_path)
    shutil.copytree(cache, tmp_path / "build" / "nn")
    (tmp_path / "g.toml").write_text('base = "small"\n[grid]\nadc_bits = [5, 6]\n')
    assert main(["sweep", "--grid", "g.toml", "--out", "out", "--workers", "2",
                 "--limit", str(LIMIT)]) == 0
    captured = capsys.readouterr()
    assert "to compute on 2 local processes" in captured.err
    assert "sweep: 2/2 points (0 skipped)" in captured.err and "ETA 0 s" in captured.err
    serial = tmp_path / "serial"
    sw.run_sweep(sw.load_grid("g.toml"), serial,
                 settings=sw.Settings(limit=LIMIT, cache=str(cache)), executor=SerialExecutor())
    assert outputs(tmp_path / "out") == outputs(serial)


def test_cli_reports_bad_grid(tmp_path, capsys):
    (tmp_path / "g.toml").write_text("[grid]\nrows = 64\n")
    assert main(["sweep", "--grid", str(tmp_path / "g.toml"), "--out",
                 str(tmp_path / "out")]) == 2
    assert ("tlcim: error: g.toml: grid.rows must be a non-empty list of values, not 64"
            in capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_dask_executor_on_local_cluster(tmp_path, settings):
    grid = sw.parse_grid({"base": "small", "grid": {"adc_bits": [5, 6]}}, source="t")
    serial = tmp_path / "serial"
    sw.run_sweep(grid, serial, settings=settings, executor=SerialExecutor())
    # Threads in this process, reached over TCP on the loopback like a remote cluster.
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        with sw.make_executor(cluster.scheduler_address) as executor:
            assert "Dask cluster at tcp://127.0.0.1:" in executor.describe()
            sw.run_sweep(grid, tmp_path / "dask", settings=settings, executor=executor)
    assert outputs(tmp_path / "dask") == outputs(serial)


def test_pareto_front_matches_brute_force(rng):
    rows = [{"a": float(a), "b": float(b)} for a, b in rng.integers(0, 6, size=(60, 2))]
    objectives = [("a", "min"), ("b", "max")]
    expected = [i for i, r in enumerate(rows)
                if not any(s["a"] <= r["a"] and s["b"] >= r["b"] and s != r for s in rows)]
    assert sw.pareto_front(rows, objectives) == expected


def test_cli_interrupt_keeps_results(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(driver, "run_sweep", interrupted)
    assert main(["sweep", "--grid", "tiny", "--out", str(tmp_path), "--workers", "1"]) == 130
    assert "run the same command to resume" in capsys.readouterr().err


@pytest.mark.parametrize("changes", [dict(adc_bits=6), dict(adc_bits=4, adc_lsb=2),
                                     dict(adc_bits=None, adc_share=1, active_rows=8), {}])
def test_model_and_sweep_cost_a_configuration_identically(tmp_path, changes):
    # One ADC description (tlcim.golden.adc) costs both: a 6-bit ADC is dearer in both, the
    # paper's 5-bit one costs its figures in both.
    from tlcim.cost import model_command
    config = Config.preset("small").replace(**changes)
    assert model_command(config, out=tmp_path / "model") == 0
    report = json.loads((tmp_path / "model" / "model.json").read_text())
    metrics = sw.cost_metrics(config)
    tl = report["mvm"]["tl"]
    assert metrics["energy_mvm_pj"] == tl["total_pj"]
    assert metrics["energy_mvm_components_pj"] == tl["components_pj"]
    assert metrics["tops_per_w"] == tl["tops_per_w"]
    assert metrics["area_mm2"] == report["area"]["total_mm2"]
    assert metrics["area_components_um2"] == report["area"]["components_um2"]
    paper_adc = Config.preset("small")
    ratio = config.adc.cost_scale
    assert (ratio == 1) == (config.adc.comparators == 31)
    base = sw.cost_metrics(paper_adc)["energy_mvm_components_pj"]["adc"]
    def cbl_conversions(c):
        return c.compute_blocks * c.x_trits * c.cbls
    assert metrics["energy_mvm_components_pj"]["adc"] == pytest.approx(
        base * ratio * cbl_conversions(config) / cbl_conversions(paper_adc), rel=1e-5)
