"""tlcim.golden.reram: ReRAM levels, sensing, store semantics, misread adjacency and restore
yield (SPEC 6)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tlcim.golden import reram
from tlcim.golden.reram import (PAPER_RERAM, NO_FAULT, ReramParams, confusion_matrix,
                          effective_resistance, misread_probability, restore_trits,
                          restore_yield, sense, sensed_trits, store_levels)


def test_paper_values_and_references():
    p = PAPER_RERAM
    assert p.levels.tolist() == [1e6, 282e3, 80e3]  # indexed by trit + 1
    assert (p.r_sel_on, p.r_sel_off) == (40e3, 0.12e9)
    assert p.ref1 == pytest.approx(math.sqrt(120e3 * 322e3))
    assert p.ref2 == pytest.approx(math.sqrt(322e3 * 1.04e6))
    assert reram.sigma_from_gap(0.10) == pytest.approx(p.sigma) == pytest.approx(0.1)
    assert ReramParams(r_ref1=1e5, r_ref2=4e5).ref1 == 1e5


@pytest.mark.parametrize("changes, message", [
    ({"r_lrs": 0}, "r_lrs must be a positive finite number, not 0"),
    ({"r_mrs": 50e3}, "levels must satisfy r_lrs < r_mrs < r_hrs"),
    ({"sigma": -0.1}, "sigma must be a non-negative finite number, not -0.1"),
    ({"r_sel_on": 1e9}, "r_sel_on must be below r_sel_off"),
    ({"r_ref1": 6e5, "r_ref2": 5e5}, "r_ref1 must be below r_ref2 (500000.0), not 600000.0"),
])
def test_params_validation(changes, message):
    with pytest.raises(ValueError) as error:
        ReramParams(**changes)
    assert message in str(error.value)
    with pytest.raises(Exception):
        PAPER_RERAM.sigma = 0.2  # frozen


def test_effective_resistance():
    assert effective_resistance(80e3, 1) == pytest.approx(120e3)
    leak = 0.12e9 / 59
    assert effective_resistance(1e6, 60) == pytest.approx(1.04e6 * leak / (1.04e6 + leak))
    # Leakage lowers every level, and more for larger clusters.
    r = [effective_resistance(PAPER_RERAM.levels, n) for n in (1, 30, 60, 90)]
    assert np.all(np.diff(np.array(r), axis=0) < 0)


def test_nominal_levels_sense_right_up_to_the_leakage_limit():
    for n in (1, 60, 92):
        assert sensed_trits(effective_resistance(PAPER_RERAM.levels, n)).tolist() == [-1, 0, 1]
    # From 93 per cluster the nominal HRS path falls below Rref2 and reads as MRS.
    assert sensed_trits(effective_resistance(PAPER_RERAM.levels, 93)).tolist() == [0, 0, 1]


@given(st.lists(st.floats(1e3, 1e8), min_size=2, max_size=2))
def test_sensing_is_monotonic_and_never_corrupt(rs):
    q1, q2 = sense(rs)
    assert not np.any(~q1 & q2)  # (0, 1) never comes out of sensing
    low, high = sorted(rs)
    assert sensed_trits(low) >= sensed_trits(high)  # so misreads are to adjacent levels


def test_store_semantics():
    assert store_levels([0, 1, 1], [0, 0, 1]).tolist() == [1, 0, -1]
    with pytest.raises(ValueError, match=r"corrupt SRAM pair \(Q1, Q2\) = \(0, 1\); 1 cell"):
        store_levels([0, 0], [1, 0])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 120), st.floats(0, 0.15))
def test_confusion_only_between_adjacent_levels(n, sigma):
    matrix = confusion_matrix(n, sigma)
    assert np.allclose(matrix.sum(axis=1), 1)
    assert matrix[0, 2] < 1e-9 and matrix[2, 0] < 1e-9  # HRS <-> LRS
    assert np.allclose(misread_probability(n, sigma), 1 - np.diag(matrix))


def test_misread_probability_grows_with_cluster_size_and_hrs_dominates():
    p = np.array([misread_probability(n) for n in (1, 20, 40, 60, 80)])
    assert np.all(np.diff(p[:, 0]) > 0)
    assert np.all(p[2:, 0] > p[2:, 1]) and np.all(p[2:, 0] > p[2:, 2])


def test_restore_trits_faults(rng):
    stored = rng.integers(-1, 2, (8, 10))
    assert np.array_equal(restore_trits(stored, 60), stored)
    stuck = np.full(stored.shape, NO_FAULT)
    stuck[1, 2] = 1
    force = np.full(stored.shape, NO_FAULT)
    force[3, 4] = -1
    read = restore_trits(stored, 60, stuck=stuck, force=force)
    expected = stored.copy()
    expected[1, 2], expected[3, 4] = 1, -1
    assert np.array_equal(read, expected)
    with pytest.raises(ValueError, match="rng must be a numpy Generator when sigma > 0"):
        restore_trits(stored, 60, sigma=0.1)
    with pytest.raises(ValueError, match=r"stored must be trits in \{-1, 0, 1\}"):
        restore_trits(stored * 2, 60)


def test_monte_carlo_matches_the_closed_form():
    for n in (70, 80, 93):
        exact = np.prod(1 - misread_probability(n))
        runs = 20000
        mc = restore_yield(n, runs=runs, seed=n)
        assert abs(mc - exact) < 4.5 * math.sqrt(exact * (1 - exact) / runs) + 1e-3


def test_restore_yield_falls_as_clusters_grow_and_meets_the_paper():
    sizes = [10, 40, 60, 70, 80, 100]
    yields = restore_yield(sizes, runs=1000, seed=1)
    assert yields[0] >= yields[2] > yields[3] > yields[4] > yields[5]
    exact = [np.prod(1 - misread_probability(n)) for n in range(1, 120)]
    assert np.all(np.diff(exact) <= 0)
    # The paper: above 94 % up to 60 per cluster (1000 runs, gap 3 sigma / mu = 10 %).
    assert restore_yield(60, runs=1000, seed=0) > 0.94
    assert restore_yield(100, runs=1000, seed=0) < 0.5
    # More variation, lower yield.
    assert restore_yield(60, 0.15, seed=2) < restore_yield(60, 0.05, seed=2)


def test_restore_yield_is_seeded_and_validated():
    assert restore_yield(80, seed=5) == restore_yield(80, seed=5)
    assert restore_yield([80, 80]).shape == (2,)
    with pytest.raises(ValueError, match="cluster_size must be an integer of at least 1, not 0"):
        restore_yield(0)
    with pytest.raises(ValueError, match="runs must be a positive integer, not 0"):
        restore_yield(10, runs=0)


def test_yield_plot_is_written_atomically_and_reproducibly(tmp_path):
    from tlcim.plots import restore_yield_plot

    args = dict(runs=200, cluster_sizes=(1, 60, 90), sigmas=(0.1,))
    data = restore_yield_plot(tmp_path / "a" / "yield", **args)
    restore_yield_plot(tmp_path / "b" / "yield", **args)
    for suffix in ("png", "svg"):
        first = (tmp_path / "a" / f"yield.{suffix}").read_bytes()
        assert first == (tmp_path / "b" / f"yield.{suffix}").read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["yield.png", "yield.svg"]
    assert data["0.1"]["sizes"] == [1, 60, 90]
    assert data["0.1"]["exact"][0] > data["0.1"]["exact"][2]
