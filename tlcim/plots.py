"""Shared matplotlib helpers: reproducible PNG + SVG figures written atomically.

Every figure of the project goes through :func:`save`, which writes ``<stem>.png`` and
``<stem>.svg`` through :mod:`tlcim.files` so that a failed run leaves no half-written file, and
fixes everything matplotlib would otherwise vary between runs or machines: the backend (Agg,
without touching pyplot's global state), the SVG id hash salt, and the metadata (no date, a
fixed creator). The same data and the same matplotlib version give byte-identical files.

Draw inside :func:`figure` (or :func:`style`): text created outside those contexts would take
its font from the user's matplotlib settings.
"""

import contextlib
import io
import pathlib

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .files import atomic_write

__all__ = ["style", "figure", "new_figure", "save", "stacked_bars", "horizontal_bars",
           "restore_yield_plot", "FORMATS"]

#: File formats written by :func:`save`, in order.
FORMATS = ("png", "svg")

# Settings that make the output independent of the run: a fixed salt for the ids matplotlib
# hashes into SVG files (otherwise random per process), glyphs as paths (no font lookup by the
# viewer), and the project's fonts and sizes rather than any user matplotlibrc.
_RC = {
    "svg.hashsalt": "tlcim",
    "svg.fonttype": "path",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9.0,
    "figure.dpi": 100.0,
    "savefig.dpi": 150.0,
}

# Metadata per format: drop the creation date, fix the creator instead of the version string.
_METADATA = {
    "png": {"Software": "tlcim"},
    "svg": {"Date": None, "Creator": "tlcim"},
}


def style():
    """Return a context in which matplotlib uses the project's reproducible settings."""
    return matplotlib.rc_context(_RC)


@contextlib.contextmanager
def figure(stem, width=6.4, height=4.0):
    """Yield a new figure to draw on, then :func:`save` it as ``<stem>.png`` and ``.svg``.

    Drawing happens inside :func:`style`; if the body raises, nothing is written.
    """
    with style():
        fig = new_figure(width, height)
        yield fig
        save(fig, stem)


def new_figure(width=6.4, height=4.0):
    """Return a :class:`~matplotlib.figure.Figure` on an Agg canvas (no pyplot involved).

    Parameters
    ----------
    width, height : float
        Size in inches; both positive.

    Raises
    ------
    ValueError
        If a size is not positive.
    """
    for name, value in (("width", width), ("height", height)):
        if not value > 0:
            raise ValueError(f"figure {name} must be positive, not {value!r}")
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure, stem):
    """Write ``figure`` as ``<stem>.png`` and ``<stem>.svg``, atomically and reproducibly.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        Usually from :func:`new_figure`.
    stem : path-like
        Output path without suffix; its folder is created if needed.

    Returns
    -------
    list of pathlib.Path
        The files written, in :data:`FORMATS` order.
    """
    stem = pathlib.Path(stem)
    written = []
    with matplotlib.rc_context(_RC):
        for fmt in FORMATS:
            buffer = io.BytesIO()
            figure.savefig(buffer, format=fmt, metadata=_METADATA[fmt])
            path = stem.with_name(f"{stem.name}.{fmt}")
            with atomic_write(path, "wb") as file:
                file.write(buffer.getvalue())
            written.append(path)
    return written


def stacked_bars(axes, labels, series, *, ylabel, title=None, legend=True):
    """Draw one stacked bar per label, one colour per series.

    Parameters
    ----------
    axes : matplotlib.axes.Axes
    labels : sequence of str
        One bar per label.
    series : dict of str to sequence of float
        Component name to its value in every bar (``len(labels)`` values each); drawn bottom up
        in dict order. Components that are zero in every bar are left out of the legend.
    ylabel : str
    title : str, optional
    legend : bool
        Whether to draw the legend (beside the axes, so it hides no bar).

    Raises
    ------
    ValueError
        If a series does not have one value per label.
    """
    labels = list(labels)
    bottoms = [0.0] * len(labels)
    for name, values in series.items():
        values = [float(value) for value in values]
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} must have {len(labels)} values (one per label), "
                             f"not {len(values)}")
        if not any(values):
            continue
        axes.bar(labels, values, bottom=bottoms, label=name)
        bottoms = [bottom + value for bottom, value in zip(bottoms, values)]
    axes.set_ylabel(ylabel)
    if title:
        axes.set_title(title)
    for label in axes.get_xticklabels():
        label.set_rotation(25)
        label.set_horizontalalignment("right")
    if legend:
        axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))


def horizontal_bars(axes, values, *, xlabel, title=None):
    """Draw one horizontal bar per entry of ``values`` (name to number), labelled with its share.

    Raises
    ------
    ValueError
        If ``values`` is empty or its total is not positive.
    """
    names = list(values)
    numbers = [float(values[name]) for name in names]
    total = sum(numbers)
    if not names or not total > 0:
        raise ValueError(f"values must be non-empty with a positive total, not {values!r}")
    bars = axes.barh(names, numbers)
    axes.invert_yaxis()  # first entry on top
    axes.bar_label(bars, labels=[f"{number / total:.1%}" for number in numbers],
                   padding=3, fontsize="small")
    axes.set_xlabel(xlabel)
    axes.set_xlim(0, max(numbers) * 1.2)
    if title:
        axes.set_title(title)


def restore_yield_plot(stem, *, paper_size=60, runs=1000, seed=0, **curve_args):
    """Plot restore yield against cluster size as ``<stem>.png`` and ``<stem>.svg``.

    Monte Carlo points (``tlcim.golden.reram.restore_yield_curve``, seeded) with the exact curves,
    the paper's cluster size and its 94 % floor marked.

    Returns
    -------
    dict
        The plotted data ``{sigma: {"sizes", "monte_carlo", "exact"}}`` (JSON-ready).
    """
    from tlcim.golden.reram import restore_yield_curve

    curve = restore_yield_curve(runs=runs, seed=seed, **curve_args)
    with figure(stem, width=6.0, height=4.0) as fig:
        axes = fig.subplots()
        for sigma, (sizes, mc, exact) in curve.items():
            line, = axes.plot(sizes, 100 * exact, label=f"sigma(ln R) = {sigma:g}")
            axes.plot(sizes, 100 * mc, "o", color=line.get_color(), markersize=3)
        axes.axvline(paper_size, color="grey", linestyle=":",
                     label=f"paper: {paper_size} per cluster")
        axes.axhline(94, color="grey", linestyle="--", label="paper: 94 % floor")
        axes.set_xlabel("ReRAMs per cluster")
        axes.set_ylabel(f"restore yield (%), {runs} Monte Carlo runs (dots)")
        axes.set_ylim(0, 102)
        axes.legend(loc="lower left", fontsize="small")
    return {str(sigma): {"sizes": sizes.tolist(), "monte_carlo": mc.tolist(),
                         "exact": exact.tolist()}
            for sigma, (sizes, mc, exact) in curve.items()}
