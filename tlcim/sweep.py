"""Design-space sweep (``tlcim sweep``): cost and accuracy over a grid of configurations.

A *grid* is a base :class:`tlcim.golden.Config` and, for some of its parameters, a list of values;
its points are every combination (the Cartesian product, in file order). Each point is
evaluated independently (:func:`evaluate_point`): area, energy per MVM, TOPS/W, throughput and
storage density from :class:`tlcim.cost.CostModel`, the exact restore yield of its cluster size
from :mod:`tlcim.golden.reram`, and the accuracy of the digits network on the golden target from
:func:`tlcim.nn.evaluate`. A point whose parameters break a :class:`~tlcim.golden.Config`
rule, or on which the network cannot be mapped, is recorded as skipped with the reason.

Points run on an :class:`Executor`: a local process pool (:class:`LocalExecutor`) or an
existing Dask cluster (:class:`DaskExecutor`), behind the same ``submit``/``as_completed``
interface. Every finished point is appended at once as one JSON line to
``DIR/results.jsonl``, keyed by its configuration's JSON (:func:`point_key`), so an
interrupted sweep resumes where it stopped: a rerun computes only the points missing. At the
end ``DIR/sweep.json`` holds every point of the grid in grid order with the Pareto fronts, and
``DIR/pareto_*.png/.svg`` plot them. See ``docs/results.md``.

Sweep-level assumption (not in :mod:`tlcim.cost`, which keeps the paper's 5-bit ADC for every
configuration): a flash ADC's energy and area scale with its comparators, ``2**bits - 1``,
from the paper's 5-bit figures, so that ADC resolution costs something in the sweep. With
``adc_bits = 5`` the figures equal ``tlcim model``'s.
"""

import contextlib
import dataclasses
import itertools
import json
import math
import os
import pathlib
import sys
import time
import tomllib
import typing

import numpy as np

from tlcim.golden import Config

__all__ = ["GRID_PRESETS", "PARETO_PLOTS", "Grid", "Settings", "Executor", "LocalExecutor",
           "DaskExecutor", "make_executor", "load_grid", "parse_grid", "point_key",
           "evaluate_point", "pareto_front", "run_sweep", "sweep"]

#: Version of the record format and of what a point computes; records of another version in
#: ``results.jsonl`` are refused rather than mixed in.
RECORD_VERSION = 1

#: Named grids for ``--grid``. ``default`` runs in well under a minute on two cores.
GRID_PRESETS = {
    # The paper's macro, varying what trades accuracy against energy and throughput
    # (rows per compute block, ADC resolution and step) and what trades density against
    # restore yield (ReRAMs per cluster). Some ADC/row combinations cannot share a device sum
    # (the mapper refuses them): they are reported as skipped.
    "default": {
        "base": "paper",
        "grid": {"active_rows": [8, 16, 32], "adc_bits": [4, 5, 6], "adc_lsb": [1, 2],
                 "cluster_size": [60, 80]},
    },
    # Four points on the small preset: a smoke test.
    "tiny": {
        "base": "small",
        "grid": {"adc_bits": [5, 6], "cluster_size": [4, 8]},
    },
}

#: Pareto plots: name -> (x metric, x goal, y metric, y goal); goals are "min" or "max".
PARETO_PLOTS = {
    "energy_accuracy": ("energy_fj_per_op", "min", "accuracy", "max"),
    "area_throughput": ("area_mm2", "min", "throughput_tops", "max"),
    "density_yield": ("density_bits_per_um2", "max", "restore_yield", "max"),
}

#: Axis labels of the metrics that the plots use.
_LABELS = {
    "energy_fj_per_op": "energy per 8-bit op (fJ), full-array MVM",
    "accuracy": "digits accuracy, golden target (primary method)",
    "area_mm2": "macro area (mm^2)",
    "throughput_tops": "peak throughput (TOPS, 8-bit equivalent)",
    "density_bits_per_um2": "macro storage density incl. periphery (bit/um^2)",
    "restore_yield": "restore yield per cell (exact)",
}

_PARAMETERS = tuple(field.name for field in dataclasses.fields(Config))

# The paper's ADC, from which the sweep scales ADC energy and area (SPEC 1: 5-bit flash).
_PAPER_ADC_BITS = 5


# -- the grid ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Grid:
    """A base configuration and the values swept for some of its parameters.

    Parameters
    ----------
    base : golden.Config
        Values of the parameters that are not swept.
    axes : tuple of (str, tuple)
        ``(parameter, values)`` pairs in order; the points are their Cartesian product, the
        last parameter varying fastest.
    source : str
        Where the grid came from (a preset name or file name), for messages.
    """

    base: Config
    axes: tuple
    source: str = "grid"

    @property
    def swept(self):
        """Names of the swept parameters, in order."""
        return tuple(name for name, _ in self.axes)

    def points(self):
        """Return every point as a dict of all parameters (``Config`` field order)."""
        base = self.base.to_dict()
        values = [values for _, values in self.axes]
        return [{**base, **dict(zip(self.swept, combo))} for combo in itertools.product(*values)]

    def to_dict(self):
        """Return the grid as JSON-ready data (what ``sweep.json`` records)."""
        return {"source": self.source, "base": self.base.to_dict(),
                "axes": {name: list(values) for name, values in self.axes}}


def _axis_value(name, value, where):
    # TOML has no null: an ideal ADC is written "ideal", as in configuration files.
    if name == "adc_bits" and value == "ideal":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        rule = 'an integer or "ideal"' if name == "adc_bits" else "an integer"
        raise ValueError(f"{where}: every value of {name} must be {rule}, not {value!r}")
    return value


def parse_grid(data, *, source="grid", folder=None):
    """Build a :class:`Grid` from parsed TOML (or an equal dict).

    The form is::

        base = "paper"          # a preset name or a configuration TOML path (default paper),
                                # or a table of parameters over the paper's values
        [grid]                  # each swept parameter with its list of values
        active_rows = [8, 16, 32]
        adc_bits = [4, 5, "ideal"]

    Parameters
    ----------
    data : dict
    source : str
        Named in error messages.
    folder : path-like, optional
        Folder against which a relative ``base`` TOML path is resolved.

    Raises
    ------
    ValueError
        On an unknown top-level key, a bad ``base``, a missing or empty ``[grid]``, an unknown
        parameter, a value list that is empty, not a list, repeats a value or holds a
        non-integer; each message names ``source`` and the offending key. Points that break
        a :class:`~tlcim.golden.Config` rule are not errors: the sweep skips them with the reason.
    """
    if not isinstance(data, dict):
        raise ValueError(f"{source}: a grid must be a table, not {type(data).__name__}")
    unknown = sorted(set(data) - {"base", "grid"})
    if unknown:
        raise ValueError(f"{source}: unknown key(s) {', '.join(unknown)}; a grid has "
                         f"\"base\" and \"grid\"")
    base = data.get("base", "paper")
    if isinstance(base, dict):
        base = Config.from_dict(base, source=f"{source}: base")
    elif isinstance(base, str):
        path = pathlib.Path(base)
        if folder is not None and base.endswith(".toml") and not path.is_absolute():
            path = pathlib.Path(folder) / path
        base = Config.load(str(path) if base.endswith(".toml") else base)
    else:
        raise ValueError(f"{source}: base must be a preset name, a TOML path or a table of "
                         f"parameters, not {base!r}")
    grid = data.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"{source}: needs a non-empty [grid] table mapping parameters to "
                         f"lists of values, not {grid!r}")
    axes = []
    for name, values in grid.items():
        if name not in _PARAMETERS:
            raise ValueError(f"{source}: unknown parameter {name!r} in [grid]; known "
                             f"parameters are {', '.join(_PARAMETERS)}")
        if not isinstance(values, list) or not values:
            raise ValueError(f"{source}: grid.{name} must be a non-empty list of values, "
                             f"not {values!r}")
        values = tuple(_axis_value(name, value, source) for value in values)
        if len(set(values)) != len(values):
            raise ValueError(f"{source}: grid.{name} must not repeat a value, not "
                             f"{list(values)!r}")
        axes.append((name, values))
    return Grid(base=base, axes=tuple(axes), source=source)


def load_grid(spec):
    """Return the grid preset named ``spec`` (:data:`GRID_PRESETS`) or read the TOML ``spec``.

    Raises
    ------
    ValueError
        If ``spec`` is neither a preset nor a readable TOML grid, or the grid is invalid.
    """
    if spec in GRID_PRESETS:
        return parse_grid(GRID_PRESETS[spec], source=spec)
    path = pathlib.Path(spec)
    if not str(spec).endswith(".toml") and not path.exists():
        raise ValueError(f"unknown grid {spec!r}: give a TOML file or one of the presets "
                         f"{', '.join(GRID_PRESETS)}")
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"cannot read grid {str(spec)!r}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path.name}: not valid TOML: {error}") from None
    return parse_grid(data, source=path.name, folder=path.parent)


def point_key(params):
    """Return the key of a point: its parameters as compact JSON, in ``Config`` field order.

    For a valid point this is the configuration's JSON (``config.to_dict()``); the key of a
    point that breaks a rule is formed the same way from its parameters.
    """
    return json.dumps({name: params[name] for name in _PARAMETERS}, separators=(",", ":"))


# -- evaluating one point -----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """What a point's results depend on besides its configuration.

    Parameters
    ----------
    limit : int or None
        Test images for the accuracy (the first ``limit``; None: all 360).
    seed, hidden : int
        Training seed and hidden units of the digits network (``tlcim infer``'s defaults).
    area : dict or None
        A synthesised periphery area (:func:`tlcim.cost.load_area`), or None for estimates.
    cache : str
        Folder of the trained-weights cache (relative paths are taken in each worker's
        working directory); not part of the results.
    """

    limit: int | None = 100
    seed: int = 0
    hidden: int = 32
    area: dict | None = None
    cache: str = os.path.join("build", "nn")

    def __post_init__(self):
        if self.limit is not None and (isinstance(self.limit, bool)
                                       or not isinstance(self.limit, int) or self.limit < 1):
            raise ValueError(f"limit must be a positive integer, not {self.limit!r}")

    def identity(self):
        """Return what the results depend on (stored with every record, checked on resume)."""
        return {"version": RECORD_VERSION, "target": "golden", "limit": self.limit,
                "seed": self.seed, "hidden": self.hidden, "area": self.area}


def _adc_constants(config):
    """Cost constants with ADC energy and area scaled by comparators (module docstring)."""
    from .cost import PAPER_CONSTANTS
    k = PAPER_CONSTANTS
    bits = config.adc_code_bits  # an ideal ADC is costed as one just wide enough
    scale = (2 ** bits - 1) / (2 ** _PAPER_ADC_BITS - 1)
    return k.replace(e_adc_pj=k.e_adc_pj * scale, area_adc_um2=k.area_adc_um2 * scale)


def _cost_metrics(config, area):
    from tlcim.golden.reram import misread_probability
    from .cost import CostModel, _sig
    model = CostModel(config, _adc_constants(config), area=area)
    mvm, cost_area = model.mvm("tl"), model.area()
    throughput, density = model.throughput(), model.density()
    return _sig({
        "area_mm2": cost_area["total_mm2"],
        "energy_mvm_pj": mvm["total_pj"],
        "tops_per_w": mvm["tops_per_w"],
        "energy_fj_per_op": 1e3 / mvm["tops_per_w"],
        "throughput_tops": throughput["macro_tops_8b"],
        "density_bits_per_um2": cost_area["macro_bits_per_um2"],
        "cell_bits_per_um2": density["tl_bits_per_um2"],
        "capacity_mb": model.capacity()["megabytes"],
        # The paper's yield: all three levels of a cell restore right (exact, from the model).
        "restore_yield": float(math.prod(1 - misread_probability(config.cluster_size))),
        "energy_mvm_components_pj": mvm["components_pj"],
        "area_components_um2": cost_area["components_um2"],
    })


def evaluate_point(params, settings):
    """Evaluate one point; return its record (what one line of ``results.jsonl`` holds).

    Runs in a worker, so it takes and returns plain data only.

    Parameters
    ----------
    params : dict
        Every ``Config`` parameter.
    settings : Settings

    Returns
    -------
    dict
        ``key``, ``settings`` (:meth:`Settings.identity`), ``params``, ``status`` (``"ok"``
        or ``"skipped"``) and either ``metrics`` or ``reason`` (the ``ValueError`` message
        that made the point invalid).
    """
    record = {"key": point_key(params), "settings": settings.identity(),
              "params": {name: params[name] for name in _PARAMETERS}}
    try:
        config = Config.from_dict(params)
        metrics = _cost_metrics(config, settings.area)
        from .nn import TrainSettings, evaluate
        report, _ = evaluate(config, "golden", limit=settings.limit, cache=settings.cache,
                             settings=TrainSettings(hidden=settings.hidden, seed=settings.seed))
    except ValueError as error:
        return {**record, "status": "skipped", "reason": str(error)}
    metrics.update({
        "accuracy": report["golden"],
        "primary": report["primary"],
        "float": report["float"],
        "quantised": report["quantised"],
        "accuracy_methods": {method: entry["golden"]
                             for method, entry in report["methods"].items()},
        "tiles": report["methods"][report["primary"]]["tiles"],
        "samples": report["samples"],
    })
    return {**record, "status": "ok", "metrics": metrics}


# -- executors ----------------------------------------------------------------------------------

class Executor(typing.Protocol):
    """Where points run: submit calls, collect them as they finish, cancel, close.

    Futures need only ``result()``. Use an executor as a context manager; leaving it closes
    it (a Dask executor disconnects and leaves the cluster running).
    """

    def submit(self, fn, *args):
        """Schedule ``fn(*args)``; return a future."""

    def as_completed(self, futures):
        """Yield ``futures`` as they finish."""

    def cancel(self, futures):
        """Cancel the futures not started yet (best effort)."""

    def close(self):
        """Release the workers or the connection."""

    def describe(self):
        """Return a short description for progress messages."""


class _Closing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _ignore_interrupt():
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalExecutor(_Closing):
    """A process pool on this machine (``concurrent.futures``, spawned workers).

    Parameters
    ----------
    workers : int or None
        Processes; default ``os.cpu_count()``.

    Raises
    ------
    ValueError
        If ``workers`` is not a positive integer.
    """

    def __init__(self, workers=None):
        import concurrent.futures
        import multiprocessing
        workers = (os.cpu_count() or 1) if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, not {workers!r}")
        self.workers = workers
        self._futures = concurrent.futures
        # Spawned, not forked: the caller may hold threads (a Dask client, a test runner)
        # that a fork would copy in an unknown state. Workers ignore Ctrl-C, which reaches
        # the whole process group: the parent alone stops the sweep and shuts them down.
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_interrupt)

    def submit(self, fn, *args):
        return self._pool.submit(fn, *args)

    def as_completed(self, futures):
        return self._futures.as_completed(futures)

    def cancel(self, futures):
        for future in futures:
            future.cancel()

    def close(self):
        self._pool.shutdown(wait=True, cancel_futures=True)

    def describe(self):
        return f"{self.workers} local process{'es' if self.workers != 1 else ''}"


class DaskExecutor(_Closing):
    """An existing Dask cluster, reached through ``dask.distributed.Client(address)``.

    The workers must be able to import ``tlcim`` (install the project on them). ``close``
    disconnects; the cluster keeps running.

    Parameters
    ----------
    address : str or object
        Scheduler address (``tcp://host:8786``), or anything ``Client`` accepts (a
        ``LocalCluster``).
    """

    def __init__(self, address):
        from dask.distributed import Client
        self.address = address
        self._client = Client(address)

    def submit(self, fn, *args):
        # Not pure: a point is one job even if an identical call ran before on the cluster.
        return self._client.submit(fn, *args, pure=False)

    def as_completed(self, futures):
        from dask.distributed import as_completed
        return as_completed(futures)

    def cancel(self, futures):
        self._client.cancel(list(futures))

    def close(self):
        self._client.close()

    def describe(self):
        workers = len(self._client.scheduler_info().get("workers", {}))
        return f"the Dask cluster at {self._client.scheduler.address} ({workers} workers)"


def make_executor(scheduler=None, workers=None):
    """Return a :class:`DaskExecutor` on ``scheduler`` if given, else a :class:`LocalExecutor`.

    Raises
    ------
    ValueError
        If both are given (the cluster decides its workers), or ``workers`` is invalid.
    """
    if scheduler is not None:
        if workers is not None:
            raise ValueError(f"workers must not be given with a scheduler (the Dask cluster "
                             f"has its own), not {workers!r}")
        return DaskExecutor(scheduler)
    return LocalExecutor(workers)


# -- Pareto fronts ------------------------------------------------------------------------------

def pareto_front(rows, objectives):
    """Return the indices (ascending) of the rows that no other row dominates.

    Row ``j`` dominates row ``i`` if it is at least as good in every objective and better in
    one. Rows equal in every objective do not dominate each other, so all of them stay.

    Parameters
    ----------
    rows : sequence of dict
        Metrics by name.
    objectives : sequence of (str, str)
        ``(metric, goal)`` with goal ``"min"`` or ``"max"``.

    Raises
    ------
    ValueError
        On a goal other than min or max, or a row without one of the metrics.
    """
    signs = []
    for metric, goal in objectives:
        if goal not in ("min", "max"):
            raise ValueError(f"goal of {metric} must be \"min\" or \"max\", not {goal!r}")
        signs.append((metric, 1 if goal == "max" else -1))
    try:
        scores = np.array([[sign * row[metric] for metric, sign in signs] for row in rows],
                          dtype=float).reshape(len(rows), len(signs))
    except KeyError as error:
        raise ValueError(f"every row needs metric {error.args[0]!r}") from None
    # Larger is better in every column now; one vectorised pass per row (O(n^2) in all).
    return [i for i, row in enumerate(scores)
            if not np.any(np.all(scores >= row, axis=1) & np.any(scores > row, axis=1))]


# -- the sweep ----------------------------------------------------------------------------------

def _read_records(path, settings):
    """Return ``{key: record}`` from ``results.jsonl``, dropping a torn last line.

    Raises
    ------
    ValueError
        If a complete line is not a record, or a record was made with other settings.
    """
    if not path.exists():
        return {}
    text = path.read_text()
    lines = text.split("\n")
    if lines[-1]:
        # The last write was interrupted: drop the partial line so appends start clean.
        lines[-1] = ""
        from .files import write_text
        write_text(path, "\n".join(lines))
    identity = settings.identity()
    records = {}
    for number, line in enumerate(lines[:-1], 1):
        try:
            record = json.loads(line)
            key = record["key"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ValueError(f"{path.name}: line {number} is not a sweep record") from None
        if record.get("settings") != identity:
            raise ValueError(f"{path.name}: line {number} was computed with settings "
                             f"{record.get('settings')}, not {identity}; use the same "
                             f"settings or another output folder")
        records[key] = record
    return records


class _Progress:
    """Done/total, rate and ETA of the points computed in this run, on a stream."""

    def __init__(self, stream, total, done):
        self.stream, self.total, self.done, self.start_done = stream, total, done, done
        self.start = time.monotonic()
        self.last = -math.inf

    def update(self, skipped):
        self.done += 1
        now = time.monotonic()
        # At most a few lines a second, and always the last one.
        if now - self.last < 0.5 and self.done < self.total:
            return
        self.last = now
        rate = (self.done - self.start_done) / max(now - self.start, 1e-9)
        eta = (self.total - self.done) / rate
        print(f"sweep: {self.done}/{self.total} points ({skipped} skipped), "
              f"{rate:.2f} points/s, ETA {eta:.0f} s", file=self.stream, flush=True)


def run_sweep(grid, out, *, settings=Settings(), executor=None, on_result=None,
              stream=None):
    """Evaluate every point of ``grid`` not yet in ``out/results.jsonl``; write the summary.

    Parameters
    ----------
    grid : Grid
    out : path-like
        Output folder: ``results.jsonl`` (appended as points finish), then ``sweep.json``
        and the ``pareto_*`` plots.
    settings : Settings
    executor : Executor, optional
        Default a :class:`LocalExecutor` with ``os.cpu_count()`` workers (closed at the end).
    on_result : callable, optional
        ``on_result(record)`` after each record is appended; if it raises, pending points
        are cancelled and the exception propagates (the records appended stay, so a rerun
        resumes).
    stream : file, optional
        Progress messages; default ``sys.stderr``.

    Returns
    -------
    dict
        What ``sweep.json`` holds.

    Raises
    ------
    ValueError
        If ``results.jsonl`` holds records of other settings or is damaged.
    """
    from .files import write_json
    stream = sys.stderr if stream is None else stream
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.jsonl"
    records = _read_records(path, settings)
    points = grid.points()
    todo = [params for params in points if point_key(params) not in records]
    total = len(points)
    with contextlib.ExitStack() as stack:
        if todo:
            if executor is None:
                executor = stack.enter_context(LocalExecutor())
            print(f"sweep: {total} points, {total - len(todo)} already done in {path}, "
                  f"{len(todo)} to compute on {executor.describe()}", file=stream, flush=True)
            _prepare(settings)
            progress = _Progress(stream, total, total - len(todo))
            skipped = sum(record["status"] == "skipped" for record in records.values())
            futures = [executor.submit(evaluate_point, params, settings) for params in todo]
            try:
                with open(path, "a") as file:
                    for future in executor.as_completed(futures):
                        record = future.result()
                        file.write(json.dumps(record, separators=(",", ":")) + "\n")
                        file.flush()
                        records[record["key"]] = record
                        skipped += record["status"] == "skipped"
                        progress.update(skipped)
                        if on_result is not None:
                            on_result(record)
            except BaseException:
                executor.cancel(futures)
                raise
    summary = _summary(grid, settings, [records[point_key(params)] for params in points])
    reasons = {}
    for record in summary["points"]:
        if record["status"] == "skipped":
            reasons.setdefault(record["reason"], []).append(_label(grid, record))
    for reason, labels in reasons.items():
        print(f"sweep: skipped {len(labels)} point(s) ({'; '.join(labels)}): {reason}",
              file=stream)
    write_json(out / "sweep.json", summary)
    _plots(grid, summary, out)
    print(f"sweep: {summary['counts']['ok']} points evaluated, {summary['counts']['skipped']} "
          f"skipped; written {out / 'sweep.json'} and the Pareto plots", file=stream)
    return summary


def _prepare(settings):
    """Train (or load) the network once here so that workers sharing the cache only load it."""
    from .nn import TrainSettings, load_or_train
    load_or_train(TrainSettings(hidden=settings.hidden, seed=settings.seed), settings.cache)


def _label(grid, *records):
    """The swept parameters of ``records``, e.g. ``active_rows 16, adc_bits 5|ideal``."""
    def text(value):
        return "ideal" if value is None else str(value)
    return ", ".join(name + " " + "|".join(dict.fromkeys(text(record["params"][name])
                                                          for record in records))
                     for name in grid.swept)


def _summary(grid, settings, records):
    """``sweep.json``: the grid, settings, every record in grid order and the Pareto fronts."""
    ok = [index for index, record in enumerate(records) if record["status"] == "ok"]
    metrics = [records[index]["metrics"] for index in ok]
    fronts = {name: [ok[i] for i in pareto_front(metrics, [(x, gx), (y, gy)])]
              for name, (x, gx, y, gy) in PARETO_PLOTS.items()}
    return {
        "grid": grid.to_dict(),
        "settings": settings.identity(),
        "assumptions": ["ADC energy and area scale with flash comparators, 2**adc_bits - 1, "
                        "from the paper's 5-bit figures (an ideal ADC as one just wide enough)",
                        "accuracy: digits network on the golden target, restores without "
                        "misreads (cluster size changes restore yield and density only)"],
        "counts": {"points": len(records), "ok": len(ok), "skipped": len(records) - len(ok)},
        "pareto": {name: {"x": x, "x_goal": gx, "y": y, "y_goal": gy, "points": fronts[name]}
                   for name, (x, gx, y, gy) in PARETO_PLOTS.items()},
        "points": records,
    }


def _plots(grid, summary, out):
    """One Pareto plot per :data:`PARETO_PLOTS` entry: every point, the front as a step line."""
    from . import plots
    points = summary["points"]
    for name, front in summary["pareto"].items():
        x, y = front["x"], front["y"]
        with plots.figure(out / f"pareto_{name}", 6.4, 4.4) as figure:
            axes = figure.subplots()
            ok = [record["metrics"] for record in points if record["status"] == "ok"]
            axes.plot([m[x] for m in ok], [m[y] for m in ok], "o", color="0.7", markersize=4,
                      label=f"{len(ok)} points")
            best = sorted(front["points"], key=lambda i: points[i]["metrics"][x])
            axes.plot([points[i]["metrics"][x] for i in best],
                      [points[i]["metrics"][y] for i in best], "o-", color="C3",
                      # The staircase bounds the region the front dominates.
                      drawstyle="steps-post" if front["x_goal"] == "min" else "steps-pre",
                      markersize=5, label=f"Pareto front ({len(best)})")
            # Label the front's distinct positions (points that differ only in a parameter
            # without effect here, such as cluster_size for accuracy, share a position).
            spots = {}
            for i in best:
                spots.setdefault((points[i]["metrics"][x], points[i]["metrics"][y]),
                                 []).append(points[i])
            if len(spots) <= 10:
                low, high = axes.get_xlim()
                for spot, records in spots.items():
                    right = spot[0] > (low + high) / 2  # keep the text inside the axes
                    axes.annotate(_label(grid, *records), spot, fontsize=6,
                                  xytext=(-4 if right else 4, -8), textcoords="offset points",
                                  horizontalalignment="right" if right else "left")
            axes.set_xlabel(_LABELS[x] + (" (lower is better)" if front["x_goal"] == "min"
                                          else " (higher is better)"))
            axes.set_ylabel(_LABELS[y])
            axes.set_title(f"{grid.source}: {' x '.join(grid.swept)}", fontsize="medium")
            axes.legend(fontsize="small", loc="best")


def sweep(grid="default", out=None, scheduler=None, workers=None, limit=100, seed=0,
          hidden=32, area=None):
    """Run ``tlcim sweep`` (see :func:`run_sweep`); ``area`` is an optional ``area.json`` path.

    Raises
    ------
    ValueError
        On a bad grid, option or ``results.jsonl``.
    """
    from .cost import load_area
    if out is None:
        raise ValueError("out must name the output folder, not None")
    loaded = load_grid(grid)
    settings = Settings(limit=limit, seed=seed, hidden=hidden,
                        area=load_area(area) if area else None)
    try:
        with make_executor(scheduler, workers) as executor:
            summary = run_sweep(loaded, out, settings=settings, executor=executor)
    except KeyboardInterrupt:
        print(f"sweep: interrupted; the points finished are kept in "
              f"{pathlib.Path(out) / 'results.jsonl'}: run the same command to resume",
              file=sys.stderr)
        return 130
    print(f"sweep written to {out}: {summary['counts']['ok']} points, "
          f"{summary['counts']['skipped']} skipped")
    return 0
