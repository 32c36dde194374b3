"""tlcim.sweep.grid: the grid of a design-space sweep (points, presets, files, messages) and the
evaluation of one point, costed as ``tlcim model`` costs it."""

import json

import pytest

from tlcim.golden import Config
from tlcim import sweep as sw

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
    with pytest.raises(ValueError, match="^grid '.*missing.toml' does not exist"):
        sw.load_grid(str(tmp_path / "missing.toml"))
    (tmp_path / "bad.toml").write_text("[grid\n")
    with pytest.raises(ValueError, match="^grid '.*bad.toml' is not valid TOML: "):
        sw.load_grid(str(tmp_path / "bad.toml"))


def test_settings_messages():
    with pytest.raises(ValueError, match="^limit must be a positive integer, not 0$"):
        sw.Settings(limit=0)


# -- points ---------------------------------------------------------------------------------

def test_cost_matches_tlcim_model_at_5_bits(sweep_settings):
    from tlcim.cost import CostModel
    params = Config.preset("small").to_dict()
    record = sw.evaluate_point(params, sweep_settings)
    model = CostModel(Config.preset("small"))
    assert record["metrics"]["area_mm2"] == pytest.approx(model.area()["total_mm2"], rel=1e-5)
    assert record["metrics"]["energy_mvm_pj"] == pytest.approx(model.mvm("tl")["total_pj"],
                                                               rel=1e-5)


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
