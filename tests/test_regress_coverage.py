"""``tlcim.regress.coverage``: Verilator coverage condensed per seed, merged, waived and annotated;
the waivers file checked."""

import pytest

from tlcim.regress import coverage


def _dat(path, counts):
    keys = [("v_line/tlcim_top.regs", "block", "12"), ("v_toggle/tlcim_top.regs", "x[0]:0->1", "3"),
            ("v_toggle/tlcim_top.monitor", "cycles[63]:0->1", "7"),
            ("v_line/tlcim_harness", "block", "1"),
            ("v_line/tlcim_harness_slice", "block", "2")]
    lines = ["# SystemC::Coverage-3"]
    for (page, comment, line), count in zip(keys, counts):
        key = (f"\x01f\x02/somewhere/tlcim_top.v\x01l\x02{line}\x01page\x02{page}"
               f"\x01o\x02{comment}")
        lines.append(f"C '{key}' {count}")
    path.write_text("\n".join(lines) + "\n")


def test_code_coverage_condense_merge_waive_annotate(tmp_path):
    _dat(tmp_path / "a.dat", [3, 0, 0, 1, 1])
    _dat(tmp_path / "b.dat", [1, 2, 0, 0, 1])
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



@pytest.mark.parametrize("point, waived", [
    ("__0241290[3]:0->1", True),          # `$1290`: an expression temporary
    ("booth0_0_11[3]:0->1", False),       # a named signal
    ("fault_data__02431[5]:1->0", False), # `fault_data$31`: a named signal, renamed unique
    ("cycles[63]:0->1", True),            # the counters' upper bits
])
def test_project_waivers_leave_named_signals_counted(point, waived):
    fields = {"page": "v_toggle/tlcim_top.datapath.output", "o": point}
    assert any(w.matches(fields) for w in coverage.load_waivers()) is waived
