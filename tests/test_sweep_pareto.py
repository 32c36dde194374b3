"""tlcim.sweep.pareto: Pareto fronts, on a hand-made set and against brute force."""

import pytest

from tlcim import sweep as sw


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


def test_pareto_front_matches_brute_force(rng):
    rows = [{"a": float(a), "b": float(b)} for a, b in rng.integers(0, 6, size=(60, 2))]
    objectives = [("a", "min"), ("b", "max")]
    expected = [i for i, r in enumerate(rows)
                if not any(s["a"] <= r["a"] and s["b"] >= r["b"] and s != r for s in rows)]
    assert sw.pareto_front(rows, objectives) == expected
