"""Pareto fronts of a sweep: which points no other point beats, and their plots."""

import numpy as np

__all__ = ["PARETO_PLOTS", "pareto_front", "label", "pareto_plots"]

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


def label(grid, *records):
    """The swept parameters of ``records``, e.g. ``active_rows 16, adc_bits 5|ideal``."""
    def text(value):
        return "ideal" if value is None else str(value)
    return ", ".join(name + " " + "|".join(dict.fromkeys(text(record["params"][name])
                                                          for record in records))
                     for name in grid.swept)


def pareto_plots(grid, summary, out):
    """One Pareto plot per :data:`PARETO_PLOTS` entry: every point, the front as a step line."""
    from tlcim import plots
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
                    axes.annotate(label(grid, *records), spot, fontsize=6,
                                  xytext=(-4 if right else 4, -8), textcoords="offset points",
                                  horizontalalignment="right" if right else "left")
            axes.set_xlabel(_LABELS[x] + (" (lower is better)" if front["x_goal"] == "min"
                                          else " (higher is better)"))
            axes.set_ylabel(_LABELS[y])
            axes.set_title(f"{grid.source}: {' x '.join(grid.swept)}", fontsize="medium")
            axes.legend(fontsize="small", loc="best")
