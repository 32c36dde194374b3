"""Transaction-level model of the whole device: SRAM, weight sets, store/restore, MVMs (SPEC 6).

State per subarray ``s``:

- SRAM: the cell trits int8 [rows, cbls] (what the (Q1, Q2) pairs hold), whether they are a
  *valid*, complete weight matrix, and which weight set they came from (None after a write).
- ReRAM: the trits of every stored weight set, ``k = cluster * cluster_size + index``, ``0 <= k
  < weight_sets``; a set never stored is empty.

Rules (SPEC 6); every refusal raises :class:`DeviceError` and changes nothing
unless said otherwise:

- An out-of-range subarray or set: ``BAD_SET``.
- ``write`` with weights outside ``+-w_max``: ``BAD_WEIGHTS``. A write makes the subarray valid.
- ``store`` from a subarray whose SRAM is not valid: ``WEIGHTS_INVALID``, nothing stored (an
  invalid SRAM holds power-up garbage or a failed restore; storing it would silently turn a
  known-bad state into a weight set that later restores as "valid").
  ``store("all", k)`` is refused as a whole if any subarray is invalid.
- ``restore`` of a set never stored in that subarray: ``SET_EMPTY`` and that subarray becomes
  invalid (the restore started and overwrote the latches). ``restore("all", k)`` restores every
  subarray that holds ``k``, invalidates the others and then raises ``SET_EMPTY`` naming them.
- ``mvm`` unless every subarray is valid: ``WEIGHTS_INVALID``.
- ``read`` of an invalid subarray: ``WEIGHTS_INVALID``.
- ``reset`` (power cycle): SRAM lost, ReRAM kept, ``config.boot_set`` restored automatically
  in every subarray where it was stored (the others invalid). A fresh device is invalid.

Restores go through the ReRAM sensing model (:mod:`tlcim.golden.reram`), so injected faults and
variation show up as misreads to adjacent levels; without faults a restore returns exactly
what was stored. The restore path is ``sense -> verify -> commit``.

Integrity (``tlcim.golden.checksum``): a store also programs the spare cells of every row
with that row's CRC and the stored marker; a restore senses them with the weights (variation
and random misreads apply to them too; stuck and forced faults address weight cells only)
and checks every row. A subarray with a bad row stays invalid, unless the policy
``allow_unverified`` (an attribute, False by default and after a reset, the hardware's policy
register ``NVM_POLICY``) keeps it valid, flagged in :attr:`Device.unverified`. Either way the restore raises
``VERIFY_FAILED`` naming the first bad (row, subarray) in scan order (rows first), after
every chosen subarray was processed; ``SET_EMPTY`` takes precedence when both occur. The boot
restore of ``reset`` verifies too and raises ``VERIFY_FAILED`` the same way (a boot set never
stored is not an error). A restored row 0 whose marker cell reads HRS is what a set never
stored reads, and all the hardware sees: a stored set whose marker a fault turned to HRS (a
misread of two levels, which random misreads with a ``matrix`` and wide variation can draw)
restores as ``SET_EMPTY`` in that subarray, which becomes invalid whatever the policy.

Faults (:meth:`Device.inject`, dicts checked by :func:`check_fault`; ``docs/scripts.md``):

``{"fault": "stuck", "subarray", "set", "row", "cbl", "level"}``
    That ReRAM holds ``level`` (-1/0/+1) whatever is stored (programming has no effect).
``{"fault": "misread", "subarray", "row", "cbl"[, "level"]}``
    The next restore of that subarray reads that cell as ``level`` (default: the adjacent level
    leakage favours, +1 -> 0, 0 -> +1, -1 -> 0). One-shot.
``{"fault": "variation", "sigma", "seed"[, "cluster_size"]}``
    Every restore senses log-normal cell resistances (``ln R`` spread ``sigma``) through the
    cluster's leakage (``cluster_size``, default the configuration's). The draw is fixed per
    (seed, subarray, set, store): a set keeps its resistances until it is stored again.
``{"fault": "misread_rate", "seed", "rate" | "matrix"}``
    Every restore misreads each cell at random: ``rate`` (one probability; MRS misreads go to
    LRS and HRS equally) or ``matrix`` ``P[stored + 1][read + 1]`` (3 x 3, rows summing to 1,
    e.g. :func:`tlcim.golden.reram.confusion_matrix`). Draws continue across restores.
``{"fault": "clear"}``
    Remove every fault.
"""

import math

import numpy as np

from . import checksum, reram
from .arith import device_mvm, requantise
from .errors import DeviceError, ErrorCode
from .trits import WEIGHT_Q, int_array, cbl_trits_to_weights, encode_trits

__all__ = ["Device", "check_fault", "check_write", "FAULTS"]

#: Keys of every fault kind: (required, optional).
FAULTS = {
    "stuck": (("subarray", "set", "row", "cbl", "level"), ()),
    "misread": (("subarray", "row", "cbl"), ("level",)),
    "variation": (("sigma", "seed"), ("cluster_size",)),
    "misread_rate": (("seed",), ("rate", "matrix")),
    "clear": ((), ()),
}

#: What :meth:`Device._restore_one` returns when row 0's marker read HRS.
_READS_EMPTY = "empty"

#: Default forced misread of each level (index trit + 1): the adjacent level that leakage
#: (which lowers every effective resistance) favours; HRS and LRS have one neighbour each.
_DEFAULT_MISREAD = np.array([0, 1, 0], dtype=np.int8)


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_fault(config, fault):
    """Validate a fault dict for ``config`` and return it normalised (a new dict).

    Raises
    ------
    ValueError
        For an unknown kind, missing or unknown keys, or a value out of range; the message
        names the key, the rule and the value.
    """
    if not isinstance(fault, dict):
        raise ValueError(f"a fault must be a dict, not {type(fault).__name__}")
    kind = fault.get("fault")
    if not isinstance(kind, str) or kind not in FAULTS:
        raise ValueError(f"\"fault\" must be one of {', '.join(FAULTS)}, not {kind!r}")
    required, optional = FAULTS[kind]
    given = set(fault) - {"fault"}
    missing = [key for key in required if key not in given]
    extra = sorted(given - set(required) - set(optional))
    if missing:
        raise ValueError(f"fault {kind!r} is missing key(s) {', '.join(map(repr, missing))}")
    if extra:
        raise ValueError(f"fault {kind!r} has unknown key(s) {', '.join(map(repr, extra))}; "
                         f"its keys are {', '.join(required + optional) or 'none'}")
    out = {"fault": kind}

    def integer(key, low, high):
        value = fault[key]
        if not _is_int(value) or not low <= value <= high:
            raise ValueError(f"fault {kind!r}: {key!r} must be an integer from {low} to {high}, "
                             f"not {value!r}")
        out[key] = int(value)

    bounds = {"subarray": config.subarrays - 1, "set": config.weight_sets - 1,
              "row": config.rows - 1, "cbl": config.cbls - 1}
    for key, high in bounds.items():
        if key in fault:
            integer(key, 0, high)
    if "level" in fault:
        integer("level", -1, 1)
    if "seed" in fault:
        integer("seed", 0, 2 ** 63 - 1)
    if "cluster_size" in fault:
        integer("cluster_size", 1, 2 ** 31)
    if "sigma" in fault:
        value = fault["sigma"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not (math.isfinite(value) and value >= 0):
            raise ValueError(f"fault {kind!r}: 'sigma' must be a non-negative number, "
                             f"not {value!r}")
        out["sigma"] = float(value)
    if kind == "misread_rate":
        if ("rate" in fault) == ("matrix" in fault):
            raise ValueError("fault 'misread_rate' needs exactly one of 'rate' and 'matrix'")
        if "rate" in fault:
            value = fault["rate"]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not 0 <= value <= 1:
                raise ValueError(f"fault 'misread_rate': 'rate' must be a number from 0 to 1, "
                                 f"not {value!r}")
            out["rate"] = float(value)
        else:
            out["matrix"] = _check_matrix(fault["matrix"]).tolist()
    return out


def check_write(config, weights):
    """Return the weights of a ``write`` as int64 [rows, outs], or refuse them.

    Every target checks a write with this one function, so refusals read the same everywhere.

    Raises
    ------
    ValueError
        For non-integer weights or a shape other than (rows, outs).
    DeviceError
        ``BAD_WEIGHTS``, naming the first value outside ``+-w_max`` (weights are rejected,
        never saturated: SPEC 4).
    """
    weights = int_array(weights, "weights")
    if weights.shape != (config.rows, config.outs):
        raise ValueError(f"weights must have shape (rows, outs) = ({config.rows}, "
                         f"{config.outs}), not {weights.shape}")
    bad = np.argwhere(np.abs(weights) > config.w_max)
    if len(bad):
        row, out = bad[0]
        raise DeviceError(ErrorCode.BAD_WEIGHTS,
                          f"{len(bad)} weight(s) outside [-{config.w_max}, {config.w_max}], the "
                          f"first {weights[row, out]} at row {row}, output {out}")
    return weights


def _check_matrix(value):
    try:
        matrix = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        matrix = None
    if matrix is None or matrix.shape != (3, 3) or not np.all(np.isfinite(matrix)) \
            or np.any(matrix < 0) or not np.allclose(matrix.sum(axis=1), 1, atol=1e-9):
        raise ValueError(f"fault 'misread_rate': 'matrix' must be 3 x 3 probabilities "
                         f"P[stored + 1][read + 1] with rows summing to 1, not {value!r}")
    return matrix


def _rate_matrix(rate):
    return np.array([[1 - rate, rate, 0], [rate / 2, 1 - rate, rate / 2], [0, rate, 1 - rate]])


class Device:
    """The whole device at transaction level.

    Parameters
    ----------
    config : golden.Config
    params : golden.reram.ReramParams
        Electrical model used when variation is injected.

    Notes
    -----
    Methods validate argument *types* and *shapes* with ``ValueError`` (a programming error);
    device-level refusals are :class:`DeviceError` as listed in the module docstring.
    """

    def __init__(self, config, params=reram.PAPER_RERAM):
        self.config = config
        self.params = params
        S, R, C = config.subarrays, config.rows, config.cbls
        self._sram = np.zeros((S, R, C), dtype=np.int8)
        self._weights = np.zeros((S, R, config.outs), dtype=np.int64)  # decoded _sram
        self._valid = [False] * S
        self._set = [None] * S
        self._unverified = [False] * S
        #: Policy: weights that failed verification stay valid (flagged) instead of invalid.
        self.allow_unverified = False
        self._reram = [{} for _ in range(S)]       # set -> int8 [rows, cbls]
        self._spare = [{} for _ in range(S)]       # set -> int8 [rows, spare cells]
        self._sensed = [{} for _ in range(S)]      # what the last restore read (see sensed)
        self._generation = [{} for _ in range(S)]  # set -> times stored (seeds variation)
        self._clear_faults()

    # -- checks ---------------------------------------------------------------------------------

    def _subarrays(self, subarray, *, allow_all=False):
        if allow_all and subarray == "all":
            return list(range(self.config.subarrays))
        if not _is_int(subarray):
            rule = 'an integer or "all"' if allow_all else "an integer"
            raise ValueError(f"subarray must be {rule}, not {subarray!r}")
        if not 0 <= subarray < self.config.subarrays:
            raise DeviceError(ErrorCode.BAD_SET, f"subarray {subarray} out of range "
                                                 f"0..{self.config.subarrays - 1}")
        return [int(subarray)]

    def _check_set(self, set):
        if not _is_int(set):
            raise ValueError(f"set must be an integer, not {set!r}")
        if not 0 <= set < self.config.weight_sets:
            raise DeviceError(ErrorCode.BAD_SET, f"set {set} out of range "
                                                 f"0..{self.config.weight_sets - 1}")
        return int(set)

    # -- operations -----------------------------------------------------------------------------

    def write(self, subarray, weights):
        """Write int weights [rows, outs] into a subarray's SRAM; it becomes valid.

        Raises
        ------
        DeviceError
            ``BAD_SET`` (subarray), ``BAD_WEIGHTS`` (a value outside ``+-w_max``); nothing
            written.
        ValueError
            For non-integer weights or a wrong shape.
        """
        (s,) = self._subarrays(subarray)
        cfg = self.config
        weights = check_write(cfg, weights)
        self._commit(s, encode_trits(weights, cfg.w_trits).reshape(cfg.rows, cfg.cbls), None)

    def store(self, subarray, set):
        """Copy the SRAM of one subarray (or ``"all"``) into weight set ``set``.

        Raises
        ------
        DeviceError
            ``BAD_SET``; ``WEIGHTS_INVALID`` if a chosen subarray's SRAM is not valid
            (nothing stored anywhere).
        """
        k = self._check_set(set)
        chosen = self._subarrays(subarray, allow_all=True)
        invalid = [s for s in chosen if not self._valid[s]]
        if invalid:
            raise DeviceError(ErrorCode.WEIGHTS_INVALID,
                              f"cannot store from invalid SRAM of subarray(s) {invalid}")
        for s in chosen:
            # Reset to HRS then conditional set: the programmed level is the SRAM trit
            # (golden.reram.store_levels of its (Q1, Q2) pair).
            self._reram[s][k] = self._sram[s].copy()
            self._spare[s][k] = self._spare_trits(self._sram[s])
            self._generation[s][k] = self._generation[s].get(k, 0) + 1

    def restore(self, subarray, set):
        """Copy weight set ``set`` into the SRAM of one subarray (or ``"all"``).

        Raises
        ------
        DeviceError
            ``BAD_SET`` (nothing changed); ``SET_EMPTY`` if the set was never stored in a
            chosen subarray, or its row 0 marker reads HRS there (the hardware cannot tell
            the two apart): those subarrays become invalid, the others are restored;
            otherwise ``VERIFY_FAILED`` if a restored subarray failed verification (see the
            module docstring).
        """
        k = self._check_set(set)
        chosen = self._subarrays(subarray, allow_all=True)
        empty = [s for s in chosen if k not in self._reram[s]]
        self._sensed = [{} for _ in self._sensed]
        failures = {}
        for s in chosen:
            if s in empty:
                self._invalidate(s)
                continue
            bad = self._restore_one(s, k)
            if bad is _READS_EMPTY:
                empty.append(s)
            elif bad is not None:
                failures[s] = bad
        if empty:
            raise DeviceError(ErrorCode.SET_EMPTY, f"set {k} was never stored in subarray(s) "
                                                   f"{sorted(empty)}; their weights are invalid")
        self._raise_failures(failures)

    def mvm(self, inputs, requant=None):
        """Compute a device MVM (``tlcim.golden.device_mvm``) on the weights held in SRAM.

        Parameters
        ----------
        inputs : array_like of int, shape [batch, rows * subarrays] or [rows * subarrays]
        requant : dict, optional
            ``{"multiplier", "shift", "relu"}`` for :func:`tlcim.golden.requantise`.

        Raises
        ------
        DeviceError
            ``WEIGHTS_INVALID`` unless every subarray holds valid weights.
        """
        invalid = [s for s, valid in enumerate(self._valid) if not valid]
        if invalid:
            raise DeviceError(ErrorCode.WEIGHTS_INVALID,
                              f"subarray(s) {invalid} hold no valid weights")
        if requant is not None and (not isinstance(requant, dict)
                                    or not {"multiplier", "shift"} <= set(requant)
                                    <= {"multiplier", "shift", "relu"}):
            raise ValueError(f"requant must be None or a dict with keys multiplier, shift and "
                             f"optionally relu, not {requant!r}")
        y = device_mvm(self.config, self._weights, inputs)
        if requant is not None:
            y = requantise(self.config, y, **requant)
        return y

    def reset(self):
        """Power-cycle: SRAM lost, ReRAM kept, ``boot_set`` restored where it was stored.

        The policy ``allow_unverified`` is a register of the device: it is back at False
        (its reset value) for the boot restore and after it."""
        self.allow_unverified = False
        failures = {}
        self._sensed = [{} for _ in self._sensed]
        for s in range(self.config.subarrays):
            self._invalidate(s)
            self._sram[s] = 0  # the latches power up in an unknown state: model it as zeros
            if self.config.boot_set in self._reram[s]:
                bad = self._restore_one(s, self.config.boot_set)
                if bad is not None and bad is not _READS_EMPTY:  # (empty: no error at boot)
                    failures[s] = bad
        self._raise_failures(failures)

    def read(self, subarray):
        """Return the weights held in a subarray's SRAM, int64 [rows, outs].

        Raises
        ------
        DeviceError
            ``BAD_SET``; ``WEIGHTS_INVALID`` if the SRAM is not valid.
        """
        (s,) = self._subarrays(subarray)
        if not self._valid[s]:
            raise DeviceError(ErrorCode.WEIGHTS_INVALID, f"subarray {s} holds no valid weights")
        return self._weights[s].copy()

    def status(self):
        """Return ``{"valid": [bool], "sets": [int or None], "stored": [[set, ...]]}``."""
        return {"valid": list(self._valid), "sets": list(self._set),
                "stored": [sorted(sets) for sets in self._reram]}

    def sensed(self, subarray):
        """Return what the last ``restore`` (or ``reset``) read in ``subarray``, or None.

        ``{"stored": int8 [rows, cbls], "trits": int8 [rows, cbls], "stored_spare": ...,
        "spare": int8 [rows, spare cells]}``: the levels programmed and the levels sensed,
        weight cells and spare cells, whether or not the restore verified. A host driving
        the RTL uses it to give the behavioural stub the same misreads (its fault map).
        """
        entry = self._sensed[subarray]
        return {key: value.copy() for key, value in entry.items()} if entry else None

    def read_empty(self, subarray):
        """Whether the last ``restore`` (or ``reset``) read row 0's marker of ``subarray`` as
        HRS: the set reads as never stored there (``SET_EMPTY``; at boot, invalid without an
        error), though it may have been stored and misread."""
        entry = self._sensed[subarray]
        return bool(entry) and self._verify(entry["trits"], entry["spare"])[0]

    @property
    def unverified(self):
        """Per subarray: valid only by the ``allow_unverified`` policy after a failed
        verification."""
        return list(self._unverified)

    def is_stored(self, subarray, set):
        """Whether weight set ``set`` of ``subarray`` holds stored weights."""
        return set in self._reram[subarray]

    def inject(self, fault):
        """Inject (or clear) a fault; see the module docstring and :func:`check_fault`."""
        fault = check_fault(self.config, fault)
        kind = fault["fault"]
        if kind == "clear":
            self._clear_faults()
        elif kind == "stuck":
            key = (fault["subarray"], fault["set"])
            self._stuck.setdefault(key, {})[(fault["row"], fault["cbl"])] = fault["level"]
        elif kind == "misread":
            cells = self._forced.setdefault(fault["subarray"], {})
            cells[(fault["row"], fault["cbl"])] = fault.get("level")
        elif kind == "variation":
            self._variation = (fault["sigma"], fault["seed"],
                               fault.get("cluster_size", self.config.cluster_size))
        elif kind == "misread_rate":
            matrix = (_rate_matrix(fault["rate"]) if "rate" in fault
                      else np.array(fault["matrix"]))
            self._misread_rate = (np.cumsum(matrix, axis=1),
                                  np.random.default_rng(fault["seed"]))

    # -- internals ------------------------------------------------------------------------------

    def _clear_faults(self):
        self._stuck = {}        # (subarray, set) -> {(row, cbl): level}
        self._forced = {}       # subarray -> {(row, cbl): level or None}, one-shot
        self._variation = None  # (sigma, seed, cluster_size)
        self._misread_rate = None  # (cumulative matrix, rng)

    def _invalidate(self, s):
        self._valid[s] = False
        self._set[s] = None
        self._unverified[s] = False

    def _commit(self, s, trits, k, unverified=False):
        self._sram[s] = trits
        self._weights[s] = cbl_trits_to_weights(self.config, trits)
        self._valid[s] = True
        self._set[s] = k
        self._unverified[s] = unverified

    @staticmethod
    def _spare_trits(trits):
        # The spare cells a store programs for SRAM trits [rows, cbls] (golden.checksum).
        bits = WEIGHT_Q[trits + 1].reshape(trits.shape[0], -1)
        spare = checksum.spare_sram_bits(bits)
        return (1 - spare[:, 0::2].astype(np.int8) - spare[:, 1::2].astype(np.int8))

    def _raise_failures(self, failures):
        if not failures:
            return
        row, s = min((row, s) for s, row in failures.items())
        kept = "kept valid by the allow_unverified policy" if self.allow_unverified \
            else "invalid"
        raise DeviceError(ErrorCode.VERIFY_FAILED,
                          f"first mismatch at subarray {s}, row {row}; subarray(s) "
                          f"{sorted(failures)} {kept}")

    def _fault_map(self, cells):
        if not cells:
            return None
        cfg = self.config
        levels = np.full((cfg.rows, cfg.cbls), reram.NO_FAULT, dtype=np.int8)
        for (row, cbl), level in cells.items():
            levels[row, cbl] = level
        return levels

    def _sense(self, s, k):
        """Return what restoring set ``k`` into subarray ``s`` reads: the weight trits
        int8 [rows, cbls] and the spare-cell trits int8 [rows, spare cells].

        The spare cells are sensed after the weights, from the same random streams, so the
        weights read exactly as they would without spare cells."""
        stored = self._reram[s][k]
        sigma, rng, cluster_size = None, None, self.config.cluster_size
        if self._variation is not None:
            sigma, seed, cluster_size = self._variation
            # Fixed per (seed, subarray, set, store): the programmed resistances persist.
            rng = np.random.default_rng([seed, s, k, self._generation[s][k]])
        read = reram.restore_trits(stored, cluster_size, sigma=sigma, rng=rng,
                                   stuck=self._fault_map(self._stuck.get((s, k))),
                                   params=self.params)
        spare = reram.restore_trits(self._spare[s][k], cluster_size, sigma=sigma, rng=rng,
                                    params=self.params)
        if self._misread_rate is not None:
            cumulative, rate_rng = self._misread_rate
            read, spare = (self._random_misreads(cells, cumulative, rate_rng)
                           for cells in (read, spare))
        forced = self._forced.pop(s, None)
        if forced:
            for (row, cbl), level in forced.items():
                read[row, cbl] = _DEFAULT_MISREAD[read[row, cbl] + 1] if level is None else level
        return read, spare

    @staticmethod
    def _random_misreads(cells, cumulative, rate_rng):
        u = rate_rng.random(cells.shape)
        return (np.sum(u[..., None] >= cumulative[cells + 1][..., :2], axis=-1)
                - 1).astype(np.int8)

    @staticmethod
    def _verify(trits, spare):
        """Return ``(empty, bad)`` for restored weights ``trits`` and spare cells ``spare``
        (``tlcim.golden.checksum.verify_rows``): whether row 0's marker reads HRS, and the
        first row that fails the checksum, or None."""
        cells = np.concatenate([trits, spare], axis=1)
        bits = WEIGHT_Q[cells + 1].reshape(cells.shape[0], -1)
        empty, bad = checksum.verify_rows(bits)
        return empty, (bad[0] if bad else None)

    def _restore_one(self, s, k):
        """Restore set ``k`` into subarray ``s``; return :data:`_READS_EMPTY` if row 0's
        marker read HRS, else the first bad row or None.

        A marker at HRS is what a set never stored reads, and all the hardware can know: a
        stored set whose marker a fault made read HRS (only a misread of two levels, LRS to
        HRS, does) is reported as ``SET_EMPTY`` too, and the subarray is invalid whatever
        the policy."""
        trits, spare = self._sense(s, k)
        self._sensed[s] = {"stored": self._reram[s][k].copy(), "trits": trits.copy(),
                           "stored_spare": self._spare[s][k].copy(), "spare": spare.copy()}
        empty, bad = self._verify(trits, spare)
        if empty:
            self._invalidate(s)
            return _READS_EMPTY
        if bad is None or self.allow_unverified:
            self._commit(s, trits, k, unverified=bad is not None)
        else:
            self._invalidate(s)
        return bad
