"""Constrained-random session scripts: seed ``i`` always gives the same script.

A :class:`Script` is an ordinary session script (``docs/scripts.md``): JSON operations whose
``weights``/``inputs`` name ``.npy`` arrays kept beside them, plus the stream stall of the run.
:func:`generate` draws one from ``numpy.random.default_rng([GENERATOR_VERSION, seed])`` and
the configuration alone, so it is the same on every machine and in every process. The
weights of the draw favour what sign-off needs (``docs/verification.md``): refused operations
(indices out of range, weights beyond ``w_max``, MVMs or stores on invalid SRAM, restores of
empty sets), injected faults, resets after every kind of operation, requantisation with and
without ReLU, batches and back-to-back MVMs, inputs beyond both saturation limits, and
extreme weights and inputs that drive an ADC to its largest code. Two draws reach what
independent operations almost never do: faults followed by a restore and a look at what it
read (:meth:`_Draw.observed_fault`), and requantisation whose product lies a few LSBs from
a rounding boundary (:func:`_near_boundaries`, from one golden run of the drawn script).
"""

import asyncio
import dataclasses
import json
import pathlib
import tempfile

import numpy as np

from tlcim.files import save_npy, write_json
from tlcim.golden import requantise
from tlcim.sim.script import GoldenTarget, execute, parse_ops

__all__ = ["GENERATOR_VERSION", "Script", "generate", "script_length"]

#: Changes whenever the same seed would give another script (recorded in results, so that a
#: resumed run never mixes scripts of two generator versions).
GENERATOR_VERSION = 5

#: Relative weight of each operation after the opening writes.
_OP_WEIGHTS = {"write": 3, "store": 3, "restore": 4, "mvm": 7, "reset": 2, "read": 2,
               "status": 1, "inject": 3, "policy": 2, "observed_fault": 2}
#: Largest requantisation multiplier the hardware register holds (REQ_MULT is 16 bits).
_MULTIPLIER_MAX = (1 << 16) - 1


def _misread_matrix():
    # Every level misread as each other level at 5 % (``P[stored + 1][read + 1]``).
    return [[0.9 if read == stored else 0.05 for read in range(3)] for stored in range(3)]


@dataclasses.dataclass(frozen=True)
class Script:
    """One generated session.

    Members
    -------
    seed : int
    ops : list of dict
        The JSON operations; arrays are named ``<name>.npy``.
    arrays : dict
        ``{file name: int64 array}`` the operations read.
    stall : float
        Stall probability of every stream in the simulation (0: none).
    """

    seed: int
    ops: list
    arrays: dict
    stall: float

    def subset(self, keep):
        """Return this script with only the operations at the positions ``keep`` (in order)
        and the arrays they still read (used to shrink a failing script)."""
        ops = [self.ops[i] for i in keep]
        used = {value for op in ops for value in op.values()
                if isinstance(value, str) and value in self.arrays}
        return dataclasses.replace(self, ops=ops,
                                   arrays={k: v for k, v in self.arrays.items() if k in used})

    def parse(self, config, folder):
        """Write the arrays into ``folder`` and return the parsed operations
        (:func:`tlcim.sim.script.parse_ops`; every ``mvm`` and ``read`` writes an output, so
        results compare value by value)."""
        folder = pathlib.Path(folder)
        for name, array in self.arrays.items():
            np.save(folder / name, array)
        return parse_ops(config, self.ops, folder, source=f"seed {self.seed}")

    def save(self, folder):
        """Write ``session.json`` and its arrays into ``folder`` (atomically, file by file),
        ready for ``tlcim run --script folder/session.json``."""
        folder = pathlib.Path(folder)
        for name, array in self.arrays.items():
            save_npy(folder / name, array)
        write_json(folder / "session.json", self.ops)

    def to_json(self):
        """Return the operations as JSON text (for messages and hashing)."""
        return json.dumps(self.ops, sort_keys=True)


def _large(config):
    """Whether ``config``'s arrays are large (over 512 rows x subarrays): a read of them costs
    rows x words register reads, so scripts look through MVMs and write fewer subarrays."""
    return config.rows * config.subarrays > 512


def script_length(config):
    """Return the number of operations of a generated script for ``config``: enough for every
    kind of operation to meet every state a few times, few enough that a seed of ``paper``
    simulates in tens of seconds."""
    return 14 if _large(config) else 24


class _Draw:
    """The random choices of one script."""

    def __init__(self, config, seed):
        self.config = config
        self.rng = np.random.default_rng([GENERATOR_VERSION, seed])
        self.arrays = {}
        self.stored = set()  # sets named by a store so far
        self.boundary = []  # requantised mvm operations to put near a rounding boundary

    def array(self, prefix, values):
        name = f"{prefix}{len(self.arrays)}.npy"
        self.arrays[name] = np.asarray(values, dtype=np.int64)
        return name

    def chance(self, p):
        return bool(self.rng.random() < p)

    def pick(self, values):
        return values[int(self.rng.integers(len(values)))]

    def subarray(self, allow_all=False, refused=True):
        """A subarray index: first and last favoured, sometimes (with ``refused``) out of
        range (``BAD_SET``)."""
        S = self.config.subarrays
        if allow_all and self.chance(0.3):
            return "all"
        if refused and self.chance(0.05):
            return S
        return self.pick([0, S - 1, int(self.rng.integers(S))])

    def weight_set(self, restore=False, refused=True):
        """A weight-set index: first and last favoured, sometimes (with ``refused``) out of
        range; a restore mostly names a set stored before (or it meets ``SET_EMPTY``)."""
        K = self.config.weight_sets
        if refused and self.chance(0.05):
            return K
        if restore and self.stored and self.chance(0.7):
            return self.pick(sorted(self.stored))
        # The boot set (0 by default) is restored after a reset: favour it.
        k = self.pick([self.config.boot_set, 0, K - 1, int(self.rng.integers(K))])
        if not restore:
            self.stored.add(k)
        return k

    def write(self, subarray):
        """A write of fresh weights to ``subarray``."""
        return {"op": "write", "subarray": subarray, "weights": self.array("w", self.weights())}

    def weights(self):
        cfg, rng = self.config, self.rng
        shape = (cfg.rows, cfg.outs)
        kind = self.pick(["uniform", "uniform", "extreme", "sparse"])
        if kind == "extreme":
            # Whole blocks of one sign: with inputs of the opposite sign every product of a
            # block is -1 and the ADC reaches its largest code.
            w = np.full(shape, self.pick([cfg.w_max, -cfg.w_max]))
        elif kind == "sparse":
            w = rng.integers(-1, 2, shape) * (rng.random(shape) < 0.3)
        else:
            w = rng.integers(-cfg.w_max, cfg.w_max + 1, shape)
        if self.chance(0.05):
            w[int(rng.integers(cfg.rows)), int(rng.integers(cfg.outs))] = \
                self.pick([cfg.w_max + 1, -cfg.w_max - 1])  # refused: BAD_WEIGHTS
        return w

    def inputs(self, kind=None):
        cfg, rng = self.config, self.rng
        width = cfg.rows * cfg.subarrays
        batch = self.pick([1, 1, 2, 3, 5])
        kind = kind or self.pick(["uniform", "wide", "extreme", "limits", "sparse"])
        if kind == "wide":
            # Beyond both ends: the encoder saturates.
            x = rng.integers(-3 * cfg.x_max, 3 * cfg.x_max + 1, (batch, width))
        elif kind == "extreme":
            x = np.full((batch, width), self.pick([cfg.x_max, -cfg.x_max]))
        elif kind == "limits":
            x = rng.choice([-cfg.x_max - 1, -cfg.x_max, 0, cfg.x_max, cfg.x_max + 1],
                           (batch, width))
        elif kind == "sparse":
            # A few small activations: results of hundreds, which a multiplier can put a
            # product of near any rounding boundary (_near_boundaries).
            x = rng.integers(-2, 3, (batch, width)) * (rng.random((batch, width)) < 0.05)
        else:
            x = rng.integers(-cfg.x_max, cfg.x_max + 1, (batch, width))
        return x if batch > 1 or self.chance(0.5) else x[0]

    def requant(self):
        if self.chance(0.5):
            return None
        shift = int(self.rng.integers(0, 20))
        multiplier = int(self.rng.integers(0, _MULTIPLIER_MAX + 1))
        # Every magnitude (a uniform draw is almost always large), and a third at full
        # range, where every partial product of the multiplier has its top bits set.
        if self.chance(2 / 3):
            multiplier >>= int(self.rng.integers(0, 16))
        return {"multiplier": multiplier, "shift": shift, "relu": self.chance(0.5)}

    def fault(self, kind=None):
        cfg, rng = self.config, self.rng
        kind = kind or self.pick(["stuck", "misread", "misread", "clear", "variation",
                                  "variation", "misread_rate"])
        if kind == "stuck":
            return {"fault": "stuck", "subarray": int(rng.integers(cfg.subarrays)),
                    "set": self.pick([0, cfg.weight_sets - 1]), "row": int(rng.integers(cfg.rows)),
                    "cbl": int(rng.integers(cfg.cbls)), "level": int(rng.integers(-1, 2))}
        if kind == "misread":
            fault = {"fault": "misread", "subarray": int(rng.integers(cfg.subarrays)),
                     "row": int(rng.integers(cfg.rows)), "cbl": int(rng.integers(cfg.cbls))}
            if self.chance(0.5):
                fault["level"] = int(rng.integers(-1, 2))
            return fault
        if kind == "variation":
            return {"fault": "variation", "sigma": self.pick([0.05, 0.2, 0.4]),
                    "seed": int(rng.integers(1 << 16)),
                    "cluster_size": self.pick([cfg.cluster_size, 4 * cfg.cluster_size])}
        if kind == "misread_rate":
            fault = {"fault": "misread_rate", "seed": int(rng.integers(1 << 16))}
            if self.chance(1 / 3):
                # Every level misread as each other level at 5 %: HRS <-> LRS too, which the
                # rate model (adjacent levels only) never draws, and in the spare cells as
                # well as the weight cells (a misread op names weight cells only). Under the
                # allow_unverified policy the misread weights are then used and read back.
                fault["matrix"] = _misread_matrix()
            else:
                fault["rate"] = self.pick([1e-4, 1e-3, 0.02])
            return fault
        return {"fault": "clear"}

    def observed_fault(self):
        """Operations that inject a fault and then look at what it did: weights written to
        the subarray (or to every one, for ``"all"``), a store of a set, the fault, the
        ``allow_unverified`` policy (so misread weights are committed, not only flagged), a
        restore of that set and a read of the subarray (an MVM on large arrays, where a read
        is slow). Random faults alone rarely meet a restore and a read in that order, and the
        fault map's entries are only seen through that chain. The write makes the store
        succeed whatever came before: generator 4 stored only sets no earlier store had
        named, and most of its restores met ``SET_EMPTY`` (docs/verification.md)."""
        S, large = self.config.subarrays, _large(self.config)
        # A subarray that exists, or all of them where writing them all is cheap.
        subarray = self.subarray(allow_all=not large, refused=False)
        kind = self.pick(["matrix", "matrix", "misread", "stuck"])
        if kind == "matrix":
            fault = {"fault": "misread_rate", "seed": int(self.rng.integers(1 << 16)),
                     "matrix": _misread_matrix()}
        else:
            fault = self.fault(kind)
            if subarray != "all":
                fault["subarray"] = subarray
        k = fault["set"] if kind == "stuck" else self.weight_set(refused=False)
        self.stored.add(k)
        writes = [self.write(s) for s in (range(S) if subarray == "all" else [subarray])]
        look = self.pick(range(S)) if subarray == "all" else subarray
        observe = self.op("mvm") if large else {"op": "read", "subarray": look}
        return writes + [{"op": "store", "subarray": subarray, "set": k},
                         {"op": "inject", **fault}, {"op": "policy", "allow_unverified": True},
                         {"op": "restore", "subarray": subarray, "set": k}, observe]

    def op(self, name):
        if name == "write":
            return self.write(self.subarray())
        if name in ("store", "restore"):
            return {"op": name, "subarray": self.subarray(allow_all=True),
                    "set": self.weight_set(restore=name == "restore")}
        if name == "mvm":
            requant = self.requant()
            boundary = requant is not None and self.chance(0.75)
            op = {"op": "mvm", "inputs": self.array("x", self.inputs("sparse" if boundary
                                                                     else None))}
            if requant is not None:
                op["requant"] = requant
            if boundary:
                self.boundary.append(op)
            return op
        if name == "read":
            return {"op": "read", "subarray": self.subarray()}
        if name == "inject":
            return {"op": "inject", **self.fault()}
        if name == "policy":
            return {"op": "policy", "allow_unverified": self.chance(0.6)}
        return {"op": name}


def generate(config, seed, *, length=None):
    """Return the :class:`Script` of ``seed`` for ``config``.

    Parameters
    ----------
    config : Config
    seed : int
        Non-negative.
    length : int, optional
        Operations; default :func:`script_length`.

    Raises
    ------
    ValueError
        For a negative or non-integer seed or length.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    length = script_length(config) if length is None else length
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, not {length!r}")
    draw = _Draw(config, int(seed))
    ops = []
    # Most sessions start by loading every subarray, so that MVMs and stores are accepted;
    # the others start on a fresh, invalid device and meet the refusals first.
    if draw.chance(0.75):
        ops += [draw.write(s) for s in range(config.subarrays)]
    elif draw.chance(0.3):
        ops.append({"op": "reset"})  # a reset of a device that never held weights
    names = list(_OP_WEIGHTS)
    p = np.array([_OP_WEIGHTS[name] for name in names], dtype=float)
    while len(ops) < length:
        name = names[int(draw.rng.choice(len(names), p=p / p.sum()))]
        if name == "read" and _large(config) and draw.chance(0.7):
            name = "status"  # a read costs rows x words register reads: rare on large arrays
        ops += draw.observed_fault() if name == "observed_fault" else [draw.op(name)]
    ops = ops[:length]
    for index, op in enumerate(ops):
        if op["op"] in ("mvm", "read"):
            op["out"] = f"out{index}.npy"
    stall = 0.0 if draw.chance(0.4) else draw.pick([0.1, 0.25, 0.5])
    script = Script(int(seed), ops, draw.arrays, stall)
    if draw.boundary:
        _near_boundaries(config, script, draw.boundary, np.random.default_rng(
            [GENERATOR_VERSION, int(seed), 1]))
    return script


#: How close (in units of the product) to a rounding or clipping boundary of the requantiser
#: :func:`_near_boundaries` puts a product: a few LSBs, the size of a carry lost in its tree.
_BOUNDARY_DISTANCE = 4


def _near_boundaries(config, script, marked, rng):
    """Choose the multiplier and shift of each ``marked`` mvm operation of ``script`` (in
    place) so that the product of one of its exact results lies within
    :data:`_BOUNDARY_DISTANCE` of a rounding or clipping boundary, and is as large as the
    shift leaves unclipped: where a wrong low bit of a wide product changes the result.

    Requantisation changes no device state, so one golden run of the script with the drawn
    settings gives every marked operation's exact results. An operation the device refuses,
    or whose results give no such product, keeps its drawn settings.
    """
    marked = {id(op) for op in marked}
    mvms = iter([op for op in script.ops if op["op"] == "mvm"])

    class Chooser(GoldenTarget):
        async def mvm(self, inputs, requant=None):
            op = next(mvms)
            y = self.device.mvm(inputs)
            if id(op) in marked:
                chosen = _boundary_requant(config, rng, y, op["requant"]["relu"])
                if chosen is not None:
                    op["requant"].update(chosen)
                requant = op["requant"]
            return y if requant is None else requantise(config, y, **requant)

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(execute(script.parse(config, folder), Chooser(config)))


def _boundary_requant(config, rng, y, relu):
    """Return ``{"multiplier", "shift"}`` putting ``value * multiplier`` near a boundary for
    one ``value`` of ``y``, or None when no multiplier does.

    Up to 8 values are tried in random order (the negative ones first half the time); for
    each, shifts from the largest at which its largest product is unclipped downwards. Few
    products of a large value come near a boundary unclipped (about
    ``4 * 2 * x_max / |value|`` per shift), hence the sparse inputs of the marked
    operations. The multiplier is drawn among those whose product is near a boundary and
    requantises to a non-zero result (a product of 0 is near the first rounding boundary at
    every shift but tests nothing wide), half the time the largest.
    """
    values = np.unique(y[y > 0] if relu else y[y != 0])  # with ReLU a negative result is 0
    multipliers = np.arange(_MULTIPLIER_MAX + 1, dtype=np.int64)
    order = rng.permutation(values)
    if rng.random() < 0.5:
        # Negative values first: a negative product's upper partial products are all sign
        # bits, the upper half of the tree that positive products leave at zero.
        order = np.concatenate([order[order < 0], order[order > 0]])
    for value in order[:8].tolist():
        products = value * multipliers
        top = min(int(np.log2(abs(value) * _MULTIPLIER_MAX / config.x_max)), 63)
        for shift in range(top, -1, -1):
            exact = requantise(config, products, shift=shift, relu=relu)
            near = np.zeros(len(products), dtype=bool)
            for step in (-_BOUNDARY_DISTANCE, _BOUNDARY_DISTANCE):
                near |= requantise(config, products + step, shift=shift, relu=relu) != exact
            near &= exact != 0
            if near.any():
                # Half the time the largest such multiplier: its top bits set, the upper
                # partial products of a negative value all sign bits.
                chosen = multipliers[near][-1] if rng.random() < 0.5 else rng.choice(
                    multipliers[near])
                return {"multiplier": int(chosen), "shift": shift}
    return None
