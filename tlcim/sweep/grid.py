"""The grid of a design-space sweep and the evaluation of one point of it.

A *grid* is a base :class:`tlcim.golden.Config` and, for some of its parameters, a list of
values; its points are every combination (the Cartesian product, in file order). Each point is
evaluated independently (:func:`evaluate_point`): area, energy per MVM, TOPS/W, throughput and
storage density from :class:`tlcim.cost.CostModel`, the exact restore yield of its cluster size
from :mod:`tlcim.golden.reram`, and the accuracy of the digits network on the golden target from
:func:`tlcim.nn.evaluate`. A point whose parameters break a :class:`~tlcim.golden.Config`
rule, or on which the network cannot be mapped, is recorded as skipped with the reason.
"""

import dataclasses
import itertools
import json
import math
import os
import pathlib

from tlcim.golden import Config
from tlcim.golden.adc import IDEAL, Adc
from tlcim.sim.inputs import read_toml

__all__ = ["RECORD_VERSION", "MAX_POINTS", "GRID_PRESETS", "Grid", "parse_grid", "load_grid",
           "point_key", "Settings", "cost_metrics", "evaluate_point"]

#: Version of the record format and of what a point computes; records of another version in
#: ``results.jsonl`` are refused rather than mixed in.
RECORD_VERSION = 1

#: Most points a grid may have (each is a cost evaluation plus a network accuracy run).
MAX_POINTS = 100_000

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

_PARAMETERS = tuple(field.name for field in dataclasses.fields(Config))


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
    if name == "adc_bits" and Adc.parse_bits(value) is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        rule = f'an integer or "{IDEAL}"' if name == "adc_bits" else "an integer"
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
        base = Config.from_dict(read_toml(path, f"{source}: base configuration"),
                                source=path.name) if base.endswith(".toml") \
            else Config.preset(base)
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
    points = math.prod(len(values) for _, values in axes)
    if points > MAX_POINTS:
        raise ValueError(f"{source}: the grid has {points:,} points, more than the "
                         f"{MAX_POINTS:,} a sweep takes; sweep fewer values")
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
    data = read_toml(path, "grid")
    return parse_grid(data, source=path.name, folder=path.parent)


def point_key(params):
    """Return the key of a point: its parameters as compact JSON, in ``Config`` field order.

    For a valid point this is the configuration's JSON (``config.to_dict()``); the key of a
    point that breaks a rule is formed the same way from its parameters.
    """
    return json.dumps({name: params[name] for name in _PARAMETERS}, separators=(",", ":"))


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


def cost_metrics(config, area=None):
    """Return the cost metrics of one point, from :class:`tlcim.cost.CostModel` exactly as
    ``tlcim model`` computes them (6 significant digits), with the exact restore yield."""
    from tlcim.golden.reram import misread_probability
    from tlcim.cost.model import CostModel, significant
    model = CostModel(config, area=area)
    mvm, cost_area = model.mvm("tl"), model.area()
    throughput, density = model.throughput(), model.density()
    return significant({
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
        metrics = cost_metrics(config, settings.area)
        from tlcim.nn import TrainSettings, evaluate
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
