"""``tlcim.regress.functional``: golden seeds hit every bin of the coverage plan."""

from tlcim.golden import Config
from tlcim.regress import functional
from tlcim.regress.run import Job, run_seed

SMALL = Config.preset("small")


def test_golden_seeds_cover_the_plan():
    # The golden target against itself passes, and 60 seeds hit every bin of the plan (all
    # by seed 26 with generator 3).
    hit = set()
    for seed in range(60):
        record = run_seed(Job(SMALL.to_json(), "golden"), seed)
        assert record["status"] == "pass", record
        hit |= set(record["bins"])
    assert functional.uncovered(SMALL, hit) == []
    assert "adc:clamp" in functional.plan(SMALL)
    assert "adc:clamp" not in functional.plan(Config.preset("ideal"))

