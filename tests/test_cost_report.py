"""tlcim.cost.report: the ``tlcim model`` report; reproducible files, the table the command
prints, and bad input refused before anything is written."""

import json

from tlcim.golden import Config
from tlcim import cli
from tlcim.cost import model_command
from tlcim.files import REGISTRY


EXPECTED = {"model.json", "model.md", "energy_breakdown.png", "energy_breakdown.svg",
            "area_breakdown.png", "area_breakdown.svg"}


def test_model_files_are_reproducible(tmp_path):
    for run in ("a", "b"):
        model_command(Config(), tmp_path / run)
    names = {path.name for path in (tmp_path / "a").iterdir() if path.name != REGISTRY}
    assert names == EXPECTED
    for name in sorted(names):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    report = json.loads((tmp_path / "a" / "model.json").read_text())
    for entry in report["comparisons"]:
        assert {"metric", "paper", "model"} <= set(entry)
    text = (tmp_path / "a" / "model.md").read_text()
    assert "## Comparison with the paper" in text and str(tmp_path) not in text


def test_cli_prints_table(capsys):
    assert cli.main(["model", "--config", "paper"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| metric | paper | model |")
    assert out.count("\n") == 2 + 8


def test_cli_writes_folder(tmp_path, capsys):
    assert cli.main(["model", "--out", str(tmp_path / "m")]) == 0
    assert {path.name for path in (tmp_path / "m").iterdir() if path.name != REGISTRY} == EXPECTED


def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("rows = 0\n")
    assert cli.main(["model", "--config", str(bad), "--out", str(tmp_path / "m")]) == 2
    assert "rows must be at least 1, not 0" in capsys.readouterr().err
    area = tmp_path / "area.json"
    area.write_text("[]")
    assert cli.main(["model", "--area", str(area), "--out", str(tmp_path / "m")]) == 2
    assert "components_um2" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
