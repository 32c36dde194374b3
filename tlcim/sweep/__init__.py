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
 ADC energy and area scale with the ADC's comparators (:attr:`tlcim.golden.adc.Adc.cost_scale`),
as in ``tlcim model``: both cost a configuration identically.
"""

from tlcim.executors import DaskExecutor, Executor, LocalExecutor, make_executor
from .driver import run_sweep, sweep
from .grid import (GRID_PRESETS, RECORD_VERSION, Grid, Settings, cost_metrics, evaluate_point,
                   load_grid, parse_grid, point_key)
from .pareto import PARETO_PLOTS, pareto_front

__all__ = ["GRID_PRESETS", "PARETO_PLOTS", "RECORD_VERSION", "Grid", "Settings", "Executor",
           "LocalExecutor", "DaskExecutor", "make_executor", "load_grid", "parse_grid",
           "point_key", "cost_metrics", "evaluate_point", "pareto_front", "run_sweep", "sweep"]
