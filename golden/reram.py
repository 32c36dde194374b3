"""Three-level ReRAM storage and the restore sensing model (SPEC section 6).

Levels are indexed by the weight trit they hold, ``level + 1``: -1 = HRS (1 MOhm), 0 = MRS
(282 kOhm), +1 = LRS (80 kOhm), the order of :data:`tlcim.golden.trits.WEIGHT_Q`.

Model
-----
- A ReRAM's resistance is log-normal around its level: ``R_cell = R_level * exp(sigma * Z)``,
  ``Z`` standard normal (so ``R_level`` is the median). ``sigma`` is the standard deviation of
  ``ln R``. The paper quotes a filament-gap spread of ``3 sigma / mu = 10 %``; with the usual
  tunnelling-gap law ``R ~ exp(g / g0)`` a gap spread ``s_g`` becomes
  ``sigma = (s_g / mu_g) * (mu_g / g0)``. We take ``mu_g / g0 = 3`` (a gap of about three decay
  lengths, consistent with the 12.5x HRS/LRS window) so ``sigma = 0.1 / 3 * 3 = 0.1``:
  :func:`sigma_from_gap` does this conversion, the default is 0.1.
- The selected ReRAM reads through its selector (``R_sel_on``); the ``cluster_size - 1``
  unselected selectors of the same cluster leak in parallel (``R_sel_off`` each):
  ``R = (R_cell + R_sel_on) || R_sel_off / (cluster_size - 1)``.
- Sensing: ``Q1 = R > Rref1``, ``Q2 = Q1 and R > Rref2``; the cell reads trit ``1 - Q1 - Q2``.
  Default references are the geometric means of adjacent levels *of the read path without
  leakage*, ``R_level + R_sel_on`` (196.6 kOhm and 578.7 kOhm). Why: the selector is in series
  with every read, known and stable, so the reference generator is designed around it; the
  leakage term depends on the selector off-resistance, which spreads over orders of magnitude
  with process and temperature, so it is not trimmed for (and trimming for it would hide the
  trend SPEC 6 describes). References at the bare cell levels (150 / 531 kOhm) would put
  LRS + selector (120 kOhm) within 0.22 in ln R of Rref1, an error rate of ~1 % at sigma 0.1
  independent of cluster size. Explicit references can be given.
- Leakage lowers the HRS path most (1.04 MOhm -> 688 kOhm at 60 per cluster) towards Rref2,
  so the HRS -> MRS misread dominates and restore yield falls steeply as clusters grow.

Restore yield (:func:`restore_yield`): each Monte Carlo run is one compute cell whose selected
ReRAM is stored and restored at each of the three levels, with independent variation per
level; the run passes when all three restores read back correctly. With the defaults this
gives > 99 % at 60 per cluster and falls below 90 % by 80 (the paper: above 94 % up to 60).
"""

import dataclasses
import math

import numpy as np

__all__ = ["ReramParams", "PAPER_RERAM", "NO_FAULT", "check_sigma", "sigma_from_gap",
           "effective_resistance", "sense", "sensed_trits", "store_levels", "sample_resistance",
           "restore_trits", "confusion_matrix", "misread_probability", "restore_yield",
           "restore_yield_curve"]

#: Marks a cell without a fault in the ``stuck`` / ``force`` arrays of :func:`restore_trits`.
NO_FAULT = 2


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a positive finite number, not {value!r}")


def check_sigma(value, name="sigma"):
    """Return ``value`` as a float if it is a non-negative finite number (a spread of
    ``ln R``), else raise ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a non-negative finite number, not {value!r}")
    return float(value)


def _cluster_size(value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"cluster_size must be an integer of at least 1, not {value!r}")
    return int(value)


def sigma_from_gap(three_sigma_over_mu=0.10, gap_over_decay=3.0):
    """Return the ``ln R`` spread for a filament-gap spread ``3 sigma / mu``.

    ``R ~ exp(g / g0)``, so ``sigma_lnR = (sigma_g / mu_g) * (mu_g / g0)``; ``gap_over_decay``
    is ``mu_g / g0``. The paper's 10 % with the default 3 gives 0.1.
    """
    _positive("three_sigma_over_mu", three_sigma_over_mu)
    _positive("gap_over_decay", gap_over_decay)
    return three_sigma_over_mu / 3 * gap_over_decay


@dataclasses.dataclass(frozen=True, kw_only=True)
class ReramParams:
    """Electrical parameters of the TL-ReRAM storage; defaults are the paper's (SPEC 1).

    Parameters
    ----------
    r_lrs, r_mrs, r_hrs : float
        Median cell resistances in ohms of +1, 0 and -1; ``r_lrs < r_mrs < r_hrs``.
    r_sel_on, r_sel_off : float
        Selector resistance when selected and when not, ohms; ``r_sel_on < r_sel_off``.
    sigma : float
        Default standard deviation of ``ln R_cell`` (see the module docstring); >= 0.
    r_ref1, r_ref2 : float or None
        Sense references; None = geometric means of adjacent ``R_level + r_sel_on``.
        ``r_ref1 < r_ref2``.

    Raises
    ------
    ValueError
        Naming the parameter, the rule and the value.
    """

    r_lrs: float = 80e3
    r_mrs: float = 282e3
    r_hrs: float = 1e6
    r_sel_on: float = 40e3
    r_sel_off: float = 0.12e9
    sigma: float = 0.1
    r_ref1: float | None = None
    r_ref2: float | None = None

    def __post_init__(self):
        for name in ("r_lrs", "r_mrs", "r_hrs", "r_sel_on", "r_sel_off"):
            _positive(name, getattr(self, name))
        check_sigma(self.sigma)
        if not self.r_lrs < self.r_mrs < self.r_hrs:
            raise ValueError(f"levels must satisfy r_lrs < r_mrs < r_hrs, not "
                             f"{self.r_lrs!r}, {self.r_mrs!r}, {self.r_hrs!r}")
        if not self.r_sel_on < self.r_sel_off:
            raise ValueError(f"r_sel_on must be below r_sel_off ({self.r_sel_off!r}), "
                             f"not {self.r_sel_on!r}")
        for name in ("r_ref1", "r_ref2"):
            if getattr(self, name) is not None:
                _positive(name, getattr(self, name))
        if not self.ref1 < self.ref2:
            raise ValueError(f"r_ref1 must be below r_ref2 ({self.ref2!r}), not {self.ref1!r}")

    @property
    def levels(self):
        """Median cell resistances indexed by ``trit + 1``: [HRS, MRS, LRS]."""
        return np.array([self.r_hrs, self.r_mrs, self.r_lrs])

    @property
    def ref1(self):
        """Rref1 between LRS and MRS (ohms)."""
        if self.r_ref1 is not None:
            return float(self.r_ref1)
        return math.sqrt((self.r_lrs + self.r_sel_on) * (self.r_mrs + self.r_sel_on))

    @property
    def ref2(self):
        """Rref2 between MRS and HRS (ohms)."""
        if self.r_ref2 is not None:
            return float(self.r_ref2)
        return math.sqrt((self.r_mrs + self.r_sel_on) * (self.r_hrs + self.r_sel_on))

    def leakage(self, cluster_size):
        """Resistance of the unselected selectors in parallel, ``inf`` for a cluster of one."""
        cluster_size = _cluster_size(cluster_size)
        return math.inf if cluster_size == 1 else self.r_sel_off / (cluster_size - 1)


#: The paper's values.
PAPER_RERAM = ReramParams()


def effective_resistance(r_cell, cluster_size, params=PAPER_RERAM):
    """Return ``(r_cell + R_sel_on) || R_sel_off / (cluster_size - 1)`` (vectorised)."""
    path = np.asarray(r_cell, dtype=np.float64) + params.r_sel_on
    leak = params.leakage(cluster_size)
    return path if math.isinf(leak) else path * leak / (path + leak)


def _cell_threshold(r_ref, cluster_size, params):
    # The cell resistance at which the effective resistance equals r_ref (R is monotonic in
    # R_cell); inf when even an open cell cannot reach r_ref through the leakage.
    leak = params.leakage(cluster_size)
    if math.isinf(leak):
        return r_ref - params.r_sel_on
    if r_ref >= leak:
        return math.inf
    return r_ref * leak / (leak - r_ref) - params.r_sel_on


def sense(r, params=PAPER_RERAM):
    """Apply the two-step sensing rule to effective resistances ``r``.

    Returns
    -------
    q1, q2 : numpy.ndarray of bool
        ``q1 = r > Rref1``; ``q2 = q1 and r > Rref2``. (0, 1) cannot occur.
    """
    r = np.asarray(r, dtype=np.float64)
    q1 = r > params.ref1
    return q1, q1 & (r > params.ref2)


def sensed_trits(r, params=PAPER_RERAM):
    """Return the trits a restore reads from effective resistances ``r`` (int8)."""
    q1, q2 = sense(r, params)
    return (1 - q1.astype(np.int8) - q2.astype(np.int8)).astype(np.int8)


def store_levels(q1, q2):
    """Return the trit level a store programs from the SRAM pair (Q1, Q2).

    Phase 1 resets every selected ReRAM to HRS; phase 2 sets it from (Q1, Q2): (0, 0) strong
    set -> LRS (+1), (1, 0) weak set -> MRS (0), (1, 1) no set -> stays HRS (-1).

    Raises
    ------
    ValueError
        For the pair (0, 1), which SPEC 4 calls corrupt: the model refuses to guess what the
        set drivers would do with it (the device never holds it: SRAM contents come from
        checked writes or from sensing, which cannot produce it).
    """
    q1 = np.asarray(q1).astype(bool)
    q2 = np.asarray(q2).astype(bool)
    corrupt = ~q1 & q2
    if corrupt.any():
        raise ValueError(f"cannot store the corrupt SRAM pair (Q1, Q2) = (0, 1); "
                         f"{int(corrupt.sum())} cell(s) hold it")
    return (1 - q1.astype(np.int8) - q2.astype(np.int8)).astype(np.int8)


def _trits(levels, what="levels"):
    levels = np.asarray(levels)
    if not np.issubdtype(levels.dtype, np.integer) or np.any(np.abs(levels) > 1):
        raise ValueError(f"{what} must be trits in {{-1, 0, 1}}")
    return levels.astype(np.int8)


def sample_resistance(levels, sigma, rng, params=PAPER_RERAM):
    """Draw log-normal cell resistances (ohms) for trit ``levels``, ``ln R`` spread ``sigma``."""
    levels = _trits(levels)
    sigma = check_sigma(sigma)
    median = params.levels[levels + 1]
    return median * np.exp(sigma * rng.standard_normal(levels.shape)) if sigma else median


def restore_trits(stored, cluster_size, *, sigma=None, rng=None, stuck=None, force=None,
                  params=PAPER_RERAM):
    """Return what a restore reads from cells holding trits ``stored``.

    Parameters
    ----------
    stored : array_like of int
        Trit levels the selected ReRAMs were programmed to.
    cluster_size : int
    sigma : float or None
        ``ln R`` spread of this restore's cells; ``None`` skips the analog model and reads every
        cell exactly (the fault-free device). ``0`` senses the nominal levels, which misread
        only when leakage pushes a level past a reference (HRS from 93 per cluster up).
    rng : numpy.random.Generator
        Required when ``sigma > 0``.
    stuck : array_like of int, optional
        Same shape; a level where a cell is stuck (it holds that level whatever was stored),
        :data:`NO_FAULT` elsewhere.
    force : array_like of int, optional
        Same shape; a level where the sense amplifier is forced to a (mis)read, :data:`NO_FAULT`
        elsewhere. Applied after sensing.
    params : ReramParams

    Returns
    -------
    numpy.ndarray of int8, the shape of ``stored``
        Without faults and with ``sigma=None``, exactly ``stored``.
    """
    levels = _trits(stored, "stored")
    if stuck is not None:
        stuck = np.asarray(stuck)
        levels = np.where(stuck != NO_FAULT, stuck, levels).astype(np.int8)
    if sigma is not None:
        if check_sigma(sigma) > 0 and rng is None:
            raise ValueError("rng must be a numpy Generator when sigma > 0")
        r = effective_resistance(sample_resistance(levels, sigma, rng, params), cluster_size,
                                 params)
        levels = sensed_trits(r, params)
    if force is not None:
        force = np.asarray(force)
        levels = np.where(force != NO_FAULT, force, levels).astype(np.int8)
    return levels


def _phi(z):
    # Standard normal CDF for scalars (inf-safe), without scipy.
    if z == math.inf:
        return 1.0
    if z == -math.inf:
        return 0.0
    return 0.5 * math.erfc(-z / math.sqrt(2))


def confusion_matrix(cluster_size, sigma=None, params=PAPER_RERAM):
    """Return the exact probability of reading each level from each stored level.

    ``P[stored + 1, read + 1]``; rows sum to 1 and only adjacent levels are ever confused
    (the sensing rule is monotonic). Computed in closed form from the log-normal law.
    """
    sigma = params.sigma if sigma is None else check_sigma(sigma)
    cluster_size = _cluster_size(cluster_size)
    t1 = _cell_threshold(params.ref1, cluster_size, params)
    t2 = _cell_threshold(params.ref2, cluster_size, params)
    matrix = np.zeros((3, 3))
    for index, median in enumerate(params.levels):
        def below(threshold):
            if threshold <= 0:
                return 0.0
            if sigma == 0:
                return 1.0 if median < threshold else 0.0
            return _phi(math.log(threshold / median) / sigma)
        p_lrs = below(t1)               # R_cell <= t1 -> Q1 = 0 -> +1
        p_hrs = 1.0 - below(t2)         # R_cell > t2 -> Q1 = Q2 = 1 -> -1
        matrix[index] = [p_hrs, 1.0 - p_lrs - p_hrs, p_lrs]
    return matrix


def misread_probability(cluster_size, sigma=None, params=PAPER_RERAM):
    """Return the probability that a restore misreads each level, indexed by ``trit + 1``."""
    return 1.0 - np.diag(confusion_matrix(cluster_size, sigma, params))


def restore_yield(cluster_size, sigma=None, *, runs=1000, seed=0, params=PAPER_RERAM):
    """Estimate restore yield by Monte Carlo (vectorised, seeded).

    Each run is one compute cell whose selected ReRAM is stored and restored at each of the
    three levels with its own variation draw; the run passes when all three read back right.

    Parameters
    ----------
    cluster_size : int or array_like of int
        ReRAMs per cluster (>= 1); an array gives one yield per size (independent draws).
    sigma : float, optional
        ``ln R`` spread; default ``params.sigma``.
    runs : int
        Monte Carlo runs per cluster size (the paper used 1000).
    seed : int

    Returns
    -------
    float or numpy.ndarray of float
        Fraction of passing runs; its expectation is ``prod(1 - misread_probability(...))``.
    """
    sigma = params.sigma if sigma is None else check_sigma(sigma)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a positive integer, not {runs!r}")
    sizes = np.asarray(cluster_size)
    flat = [_cluster_size(size) for size in sizes.reshape(-1).tolist()]
    rng = np.random.default_rng(seed)
    levels = np.broadcast_to(np.array([-1, 0, 1], dtype=np.int8), (runs, 3))
    result = np.empty(len(flat))
    for i, size in enumerate(flat):
        read = restore_trits(levels, size, sigma=sigma, rng=rng, params=params)
        result[i] = np.mean(np.all(read == levels, axis=1))
    return float(result[0]) if sizes.ndim == 0 else result.reshape(sizes.shape)


def restore_yield_curve(cluster_sizes=(1, 10, 20, 30, 40, 50, 60, 64, 70, 80, 90, 100),
                        sigmas=(0.05, 0.1, 0.15), *, runs=1000, seed=0, params=PAPER_RERAM):
    """Return ``{sigma: (sizes, monte_carlo_yields, exact_yields)}`` for a yield plot."""
    sizes = np.asarray(cluster_sizes)
    curve = {}
    for sigma in sigmas:
        exact = np.array([np.prod(1 - misread_probability(int(n), sigma, params))
                          for n in sizes])
        curve[float(sigma)] = (sizes, restore_yield(sizes, sigma, runs=runs, seed=seed,
                                                    params=params), exact)
    return curve
