"""JSON session scripts, the async :class:`Target` protocol they run against, and its registry.

A session script is a JSON list of operations (see ``docs/scripts.md`` for every op with an
example). :func:`load_script` parses and validates the *whole* script before anything runs:
a malformed script raises ``ValueError`` naming the operation's position (its index in the
list, from 0), its op and the reason. :func:`execute` then runs the parsed operations, in
order, against a *target*; a refusal by the device is recorded in that operation's result
entry and execution continues with the next operation, as a host driving real silicon would.

The Target protocol
-------------------
A target is any object with these coroutine methods (:class:`Target` spells them out). Every
refusal raises :class:`tlcim.golden.errors.DeviceError` with the code the hardware would report; an
operation a target cannot do at all raises ``NotImplementedError`` (the result entry then
says ``"error": "unsupported"``). Arguments are already validated for type and shape by the
script parser; ranges of subarray and set indices, and of weight values, are the target's to
check (they are part of the device contract).

``await write(subarray, weights)``
    ``weights`` int64 [rows, outs] into that subarray's SRAM; the subarray becomes valid.
``await store(subarray, set)`` / ``await restore(subarray, set)``
    ``subarray`` an int or ``"all"``; ``set`` = cluster * cluster_size + index.
``await mvm(inputs, requant=None) -> int64 [batch, outs]``
    ``inputs`` int64 [batch, rows * subarrays]; subarray s takes ``inputs[:, s*rows:(s+1)*rows]``
    and results are summed over subarrays (``tlcim.golden.device_mvm``). ``requant`` is None or
    ``{"multiplier": int, "shift": int, "relu": bool}``, applied by ``tlcim.golden.requantise``.
``await reset()``
    Power cycle: SRAM lost, ReRAM kept, the configured boot set restored where it was stored.
``await read(subarray) -> int64 [rows, outs]``
    The weights held in that subarray's SRAM.
``await status() -> dict``
    At least ``{"valid": [bool per subarray], "sets": [set index, or None, per subarray]}``.
``await inject(fault)``
    A fault dict as normalised by :func:`tlcim.golden.device.check_fault` (``docs/scripts.md``).
``await close()``
    Release the target (end a simulation, close a port); called once, also after an error.

:func:`execute` only awaits these methods and never uses ``asyncio`` itself, so it runs in any
event loop that drives plain coroutines, including cocotb's (a cocotb test can
``await execute(ops, target)`` with a target whose methods await simulator triggers).

The registry
------------
``--target`` is ``name`` or ``name:option`` (``rtl:verilator``, ``fpga:/dev/ttyUSB1``).
:data:`TARGETS` maps the name to a factory ``factory(config, option) -> Target``; registering
a target is one line, and may name the factory as ``"module:function"`` so its (heavy)
module is imported only when used::

    register_target("rtl", "tlcim.sim.rtl:open_target")

A target that must run the script somewhere else (inside a cocotb simulation process, say)
registers a ``runner(config, option, ops) -> SessionResult`` too; the default runner opens the
target with its factory and runs :func:`execute` under ``asyncio.run``.
"""

import asyncio
import dataclasses
import importlib
import os
import pathlib
import typing

import numpy as np

from tlcim.golden.device import Device, check_fault
from tlcim.golden.arith import REQUANT_MULTIPLIER_BITS, REQUANT_SHIFT_BITS
from tlcim.golden.errors import DeviceError
from .inputs import read_array, read_json

__all__ = ["Target", "GoldenTarget", "Op", "SessionResult", "TARGETS", "register_target",
           "check_target", "open_target", "load_script", "parse_ops", "execute", "run_ops", "OPS",
           "UNSUPPORTED"]

#: Error label of a result entry whose operation the target does not implement.
UNSUPPORTED = "unsupported"


class Target(typing.Protocol):
    """The async interface every target implements (see the module docstring)."""

    async def write(self, subarray: int, weights: np.ndarray) -> None: ...
    async def store(self, subarray: int | str, set: int) -> None: ...
    async def restore(self, subarray: int | str, set: int) -> None: ...
    async def mvm(self, inputs: np.ndarray, requant: dict | None = None) -> np.ndarray: ...
    async def reset(self) -> None: ...
    async def read(self, subarray: int) -> np.ndarray: ...
    async def status(self) -> dict: ...
    async def inject(self, fault: dict) -> None: ...
    async def close(self) -> None: ...


class GoldenTarget:
    """The golden device model (:class:`tlcim.golden.device.Device`) behind the async protocol.

    Parameters
    ----------
    config : Config
    option : str or None
        Must be None: ``--target golden`` takes no option.
    """

    def __init__(self, config, option=None):
        if option is not None:
            raise ValueError(f"target 'golden' takes no option, not {option!r}")
        self.device = Device(config)

    async def write(self, subarray, weights):
        self.device.write(subarray, weights)

    async def store(self, subarray, set):
        self.device.store(subarray, set)

    async def restore(self, subarray, set):
        self.device.restore(subarray, set)

    async def mvm(self, inputs, requant=None):
        return self.device.mvm(inputs, requant=requant)

    async def reset(self):
        self.device.reset()

    async def read(self, subarray):
        return self.device.read(subarray)

    async def status(self):
        return self.device.status()

    async def inject(self, fault):
        self.device.inject(fault)

    async def close(self):
        pass


# -- registry ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Registered:
    factory: object  # callable or "module:function"
    runner: object   # callable, "module:function" or None


#: Registered targets by the name before ``:`` in ``--target``.
TARGETS = {}


def register_target(name, factory, *, runner=None):
    """Register a target under ``name``.

    Parameters
    ----------
    name : str
        What ``--target`` starts with (before any ``:option``).
    factory : callable or str
        ``factory(config, option) -> Target``, or ``"module:function"`` naming it (imported
        on first use, so an unavailable dependency only matters when the target is chosen).
    runner : callable or str, optional
        ``runner(config, option, ops) -> SessionResult`` for targets that must run the
        operations elsewhere; default :func:`run_ops` with ``factory``.
    """
    if not isinstance(name, str) or not name or ":" in name:
        raise ValueError(f"target name must be a non-empty string without ':', not {name!r}")
    TARGETS[name] = _Registered(factory, runner)


register_target("golden", GoldenTarget)
register_target("rtl", "tlcim.sim.rtl:open_target")
register_target("fpga", "tlcim.sim.fpga:open_target")
# Gate-level simulation of the mapped netlist: the sign-off flow (tlcim.signoff) builds it.
register_target("gls", "tlcim.signoff.gls:open_target")


def _resolve(name, what):
    if not isinstance(what, str):
        return what
    module, _, attr = what.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"target {name!r} is unavailable: cannot load {what} ({error})") from None


def _lookup(spec):
    if not isinstance(spec, str) or not spec:
        raise ValueError(f"target must be a non-empty string, not {spec!r}")
    name, colon, option = spec.partition(":")
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}; targets are {', '.join(sorted(TARGETS))}")
    return name, TARGETS[name], (option if colon else None)


def check_target(spec):
    """Raise ``ValueError`` unless ``spec`` names a registered target (listing the known ones);
    commands call it before reading anything else."""
    _lookup(spec)


def open_target(config, spec):
    """Return the target ``spec`` (``"golden"``, ``"rtl:verilator"``...) opened on ``config``.

    Raises
    ------
    ValueError
        For an unknown name (listing the known ones) or a target that cannot be loaded.
    """
    name, registered, option = _lookup(spec)
    return _resolve(name, registered.factory)(config, option)


# -- parsing -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Op:
    """One validated operation of a script.

    Members
    -------
    index : int
        Position in the script (from 0).
    op : str
    source : dict
        The operation as written (echoed into its result entry).
    args : dict
        Parsed arguments: arrays loaded from ``.npy`` files, output paths resolved against the
        script's folder, ``requant``/``fault`` normalised.
    """

    index: int
    op: str
    source: dict
    args: dict


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class _Context:
    """What a key checker needs: the configuration, the script's folder, outputs so far."""

    def __init__(self, config, base):
        self.config = config
        self.base = pathlib.Path(base)
        self.outputs = {}


def _index(value, key, ctx):
    if not _is_int(value):
        raise ValueError(f"{key!r} must be an integer, not {value!r}")
    return value


def _index_or_all(value, key, ctx):
    if value == "all":
        return value
    if not _is_int(value):
        raise ValueError(f"{key!r} must be an integer or \"all\", not {value!r}")
    return value


def _array(value, key, ctx):
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} must be a path to a .npy file, not {value!r}")
    path = ctx.base / value
    if not path.is_file():
        raise ValueError(f"{key!r} file {value!r} does not exist (paths are relative to the "
                         f"script's folder)")
    return read_array(path, f"{key!r} file {value!r}")


def _weights(value, key, ctx):
    cfg = ctx.config
    array = _array(value, key, ctx)
    if array.shape != (cfg.rows, cfg.outs):
        raise ValueError(f"{key!r} file {value!r} must have shape (rows, outs) = "
                         f"({cfg.rows}, {cfg.outs}), not {array.shape}")
    return array


def _inputs(value, key, ctx):
    cfg = ctx.config
    array = _array(value, key, ctx)
    width = cfg.rows * cfg.subarrays
    if array.ndim not in (1, 2) or array.shape[-1] != width or array.size == 0:
        raise ValueError(f"{key!r} file {value!r} must have shape (batch, rows * subarrays) = "
                         f"(batch, {width}) or ({width},) with batch >= 1, not {array.shape}")
    return array


def _output(value, key, ctx):
    if not isinstance(value, str) or not value.endswith(".npy"):
        raise ValueError(f"{key!r} must be a path ending in .npy, not {value!r}")
    # Normalised, not resolved: an output that is a link must be seen as one (tlcim.files).
    path = pathlib.Path(os.path.abspath(ctx.base / value))
    if path in ctx.outputs:
        raise ValueError(f"{key!r} {value!r} is already written by operation "
                         f"[{ctx.outputs[path]}]")
    ctx.outputs[path] = ctx.index
    return path


def _requant(value, key, ctx):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{key!r} must be null or an object {{\"multiplier\", \"shift\", "
                         f"\"relu\"}}, not {value!r}")
    extra = sorted(set(value) - {"multiplier", "shift", "relu"})
    missing = sorted({"multiplier", "shift"} - set(value))
    if extra or missing:
        raise ValueError(f"{key!r} must have keys multiplier, shift and optionally relu; "
                         + (f"missing {', '.join(missing)}" if missing else "")
                         + ("; " if extra and missing else "")
                         + (f"unknown {', '.join(extra)}" if extra else ""))
    multiplier, shift, relu = value["multiplier"], value["shift"], value.get("relu", False)
    # The hardware's register widths bound both (tlcim.golden.requantise holds the same).
    for name, number, bits in (("multiplier", multiplier, REQUANT_MULTIPLIER_BITS),
                               ("shift", shift, REQUANT_SHIFT_BITS)):
        if not _is_int(number) or not 0 <= number < 1 << bits:
            raise ValueError(f"requant {name} must be an integer from 0 to {(1 << bits) - 1}, "
                             f"not {number!r}")
    if not isinstance(relu, bool):
        raise ValueError(f"requant relu must be true or false, not {relu!r}")
    return {"multiplier": multiplier, "shift": shift, "relu": relu}


def _comment(value, key, ctx):
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string, not {value!r}")
    return value


#: Every op: {key: (checker, required)}. ``comment`` (a string) is allowed on every op;
#: ``inject`` takes the keys of its fault kind (checked by ``tlcim.golden.device.check_fault``).
OPS = {
    "write": {"subarray": (_index, True), "weights": (_weights, True)},
    "store": {"subarray": (_index_or_all, True), "set": (_index, True)},
    "restore": {"subarray": (_index_or_all, True), "set": (_index, True)},
    "mvm": {"inputs": (_inputs, True), "out": (_output, False), "requant": (_requant, False)},
    "reset": {},
    "read": {"subarray": (_index, True), "out": (_output, True)},
    "status": {},
    "inject": None,
}


def _parse_op(raw, ctx):
    if not isinstance(raw, dict):
        raise ValueError(f"must be a JSON object, not {type(raw).__name__}")
    if "op" not in raw:
        raise ValueError(f"has no \"op\" key; ops are {', '.join(OPS)}")
    op = raw["op"]
    if not isinstance(op, str) or op not in OPS:
        raise ValueError(f"unknown op {op!r}; ops are {', '.join(OPS)}")
    given = {key: value for key, value in raw.items() if key not in ("op", "comment")}
    if "comment" in raw:
        _comment(raw["comment"], "comment", ctx)
    if op == "inject":
        return {"fault": check_fault(ctx.config, given)}
    schema = OPS[op]
    extra = sorted(set(given) - set(schema))
    if extra:
        allowed = ", ".join(schema) or "none"
        raise ValueError(f"unknown key(s) {', '.join(map(repr, extra))}; "
                         f"keys of {op!r} are {allowed} (and comment)")
    missing = [key for key, (_, required) in schema.items() if required and key not in given]
    if missing:
        raise ValueError(f"missing key(s) {', '.join(map(repr, missing))}")
    return {key: check(given[key], key, ctx) if key in given else None
            for key, (check, _) in schema.items()}


def parse_ops(config, ops, base, *, source="script"):
    """Validate a list of operations (already decoded from JSON) and return :class:`Op` s.

    Parameters
    ----------
    config : Config
    ops : list
    base : path-like
        Folder that relative paths in the operations are taken from.
    source : str
        Name used in error messages (the script's file name).

    Raises
    ------
    ValueError
        ``"<source>: operation [i] <op>: <reason>"`` for the first bad operation; nothing runs.
    """
    if not isinstance(ops, list):
        raise ValueError(f"{source}: a session script must be a JSON list of operations, "
                         f"not {type(ops).__name__}")
    ctx = _Context(config, base)
    parsed = []
    for index, raw in enumerate(ops):
        ctx.index = index
        try:
            args = _parse_op(raw, ctx)
        except ValueError as error:
            name = repr(raw["op"]) if isinstance(raw, dict) and "op" in raw else "(no op)"
            raise ValueError(f"{source}: operation [{index}] {name}: {error}") from None
        parsed.append(Op(index, raw["op"], raw, args))
    return parsed


def load_script(config, script):
    """Read and validate the JSON session script at path ``script`` (see :func:`parse_ops`).

    Raises
    ------
    ValueError
        If the file cannot be read as JSON (:func:`tlcim.sim.inputs.read_json`) or an
        operation is invalid.
    """
    path = pathlib.Path(script)
    ops = read_json(path, "session script")
    return parse_ops(config, ops, path.parent, source=path.name)


# -- execution ---------------------------------------------------------------------------------

@dataclasses.dataclass
class SessionResult:
    """What a session produced.

    Members
    -------
    entries : list of dict
        One JSON-ready entry per operation, in order: the operation as written plus
        ``"status"`` (``"ok"``/``"error"``), ``"error"`` (code label or None) and, on error,
        ``"detail"``; ``mvm`` adds ``"batch"``, ``status`` adds ``"valid"`` and ``"sets"``.
    outputs : dict
        ``{resolved path: array}`` of the ``.npy`` files the session writes.
    """

    entries: list
    outputs: dict

    @property
    def errors(self):
        """Number of operations that ended in an error."""
        return sum(entry["status"] == "error" for entry in self.entries)


def _check_result(array, rows, what):
    # The protocol's shapes; a target breaking them is a bug, not a device refusal.
    array = np.asarray(array)
    if array.ndim != 2 or len(array) != rows or not np.issubdtype(array.dtype, np.integer):
        raise RuntimeError(f"target returned {what} of shape {array.shape} and dtype "
                           f"{array.dtype}; the protocol requires int64 with {rows} rows")
    return array.astype(np.int64)


async def _run_op(op, target, outputs, entry):
    args = op.args
    if op.op == "write":
        await target.write(args["subarray"], args["weights"])
    elif op.op in ("store", "restore"):
        await getattr(target, op.op)(args["subarray"], args["set"])
    elif op.op == "mvm":
        x = args["inputs"]
        batch = x.reshape(-1, x.shape[-1])
        y = await target.mvm(batch, args["requant"])
        y = _check_result(y, len(batch), "mvm results")
        entry["batch"] = len(batch)
        if args["out"] is not None:
            outputs[args["out"]] = y if x.ndim == 2 else y[0]
    elif op.op == "reset":
        await target.reset()
    elif op.op == "read":
        w = await target.read(args["subarray"])
        outputs[args["out"]] = _check_result(w, len(w), "weights")
    elif op.op == "status":
        status = await target.status()
        # Plain JSON types whatever the target returns (numpy bools and ints included).
        entry["valid"] = [bool(valid) for valid in status["valid"]]
        entry["sets"] = [None if k is None else int(k) for k in status["sets"]]
    elif op.op == "inject":
        await target.inject(args["fault"])
    else:  # pragma: no cover - OPS and this dispatch are kept in step
        raise AssertionError(op.op)


async def execute(ops, target):
    """Run parsed operations in order against ``target`` and collect their results.

    A :class:`DeviceError` ends that operation with ``"status": "error"`` and its code label;
    ``NotImplementedError`` with the label ``"unsupported"``; execution continues. Any other
    exception propagates (nothing is written by the callers then).

    Parameters
    ----------
    ops : list of Op
        From :func:`load_script` or :func:`parse_ops` (with the same ``config``).
    target : Target

    Returns
    -------
    SessionResult
    """
    entries, outputs = [], {}
    for op in ops:
        entry = {"op": op.op, "status": "ok", "error": None}
        entry.update({key: value for key, value in op.source.items() if key != "op"})
        try:
            await _run_op(op, target, outputs, entry)
        except DeviceError as error:
            entry.update(status="error", error=error.code.label, detail=error.detail)
        except NotImplementedError as error:
            entry.update(status="error", error=UNSUPPORTED,
                         detail=str(error) or f"{op.op} is not supported by this target")
        entries.append(entry)
    return SessionResult(entries, outputs)


def run_ops(config, spec, ops):
    """Open target ``spec``, execute ``ops`` under ``asyncio.run``, close it, return results.

    Uses the target's registered runner when it has one.
    """
    name, registered, option = _lookup(spec)
    if registered.runner is not None:
        return _resolve(name, registered.runner)(config, option, ops)
    target = _resolve(name, registered.factory)(config, option)

    async def session():
        try:
            return await execute(ops, target)
        finally:
            await target.close()

    return asyncio.run(session())
