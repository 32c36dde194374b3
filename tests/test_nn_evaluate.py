"""tlcim.nn.evaluate: ``tlcim infer``; accuracies of float, quantised-software and target
inference on the digits, through the library and the command line (with the fault study)."""

import json

import numpy as np
import pytest

from tlcim import cli, golden
from tlcim.nn.evaluate import evaluate

SMALL = golden.Config.preset("small")


def test_accuracy_above_floor(tmp_path):
    report, logits = evaluate(SMALL, "golden", limit=100, cache=tmp_path)
    assert report["float"] > 0.93
    methods = report["methods"]
    assert methods["trunc8"]["golden"] > 0.93 and methods["ternary"]["golden"] > 0.88
    assert report["golden"] == methods["trunc8"]["golden"]
    assert all(entry["logits_equal_golden_layer"] for entry in methods.values())
    assert all(entry["weights_path"] == "store/restore" for entry in methods.values())
    assert logits["trunc8"].shape == (100, 10)
    with pytest.raises(ValueError, match="limit must be a positive integer, not 0"):
        evaluate(SMALL, None, limit=0, cache=tmp_path)


def test_cli_infer(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the trained weights are cached under ./build/nn
    assert cli.main(["infer", "--config", "small", "--limit", "12", "--out", "result"]) == 0
    report = json.loads((tmp_path / "result" / "accuracy.json").read_text())
    assert {"float", "quantised", "golden"} <= set(report)
    assert all(0 <= report[key] <= 1 for key in ("float", "quantised", "golden"))
    assert report["samples"] == 12
    assert np.load(tmp_path / "result" / "logits_golden_trunc8.npy").shape == (12, 10)
    assert list((tmp_path / "build" / "nn").glob("digits-mlp-*.npz"))
    assert "trunc8" in capsys.readouterr().out
    assert cli.main(["infer", "--config", "small", "--limit", "12", "--out", "faults",
                     "--faults"]) == 0
    study = json.loads((tmp_path / "faults" / "faults.json").read_text())
    for policy in ("unverified", "enforced"):
        accuracies = study["methods"]["ternary"][policy]["accuracy"]
        assert len(accuracies) == len(study["cluster_sizes"])
        assert all(0 <= a <= 1 for a in accuracies)
    assert "ternary detection rate" in capsys.readouterr().out
    svg = (tmp_path / "faults" / "accuracy_vs_cluster_size.svg").read_bytes()
    assert (tmp_path / "faults" / "accuracy_vs_cluster_size.png").stat().st_size > 0
    assert cli.main(["infer", "--config", "small", "--limit", "12", "--out", "faults",
                     "--faults"]) == 0
    assert (tmp_path / "faults" / "accuracy_vs_cluster_size.svg").read_bytes() == svg
    assert cli.main(["infer", "--config", "ideal", "--limit", "4"]) == 2
    assert "needs 13 weight sets" in capsys.readouterr().err
