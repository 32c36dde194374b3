"""Running a sweep (``tlcim sweep``): every point of a grid on an executor, resumable.

Points run on an :class:`tlcim.executors.Executor`: a local process pool or an existing Dask
cluster. Every finished point is appended at once as one JSON line to ``DIR/results.jsonl``,
keyed by its configuration's JSON (:func:`tlcim.sweep.grid.point_key`), so an interrupted sweep
resumes where it stopped: a rerun computes only the points missing. At the end
``DIR/sweep.json`` holds every point of the grid in grid order with the Pareto fronts, and
``DIR/pareto_*.png/.svg`` plot them. See ``docs/results.md``.
"""

import contextlib
import json
import pathlib
import sys

from tlcim.executors import LocalExecutor, Progress, make_executor, read_records
from .grid import Settings, evaluate_point, load_grid, point_key
from .pareto import PARETO_PLOTS, label, pareto_front, pareto_plots

__all__ = ["run_sweep", "sweep"]


def _read_records(path, settings):
    """Return ``{key: record}`` from ``results.jsonl`` (:func:`tlcim.executors.read_records`)."""
    return read_records(path, settings.identity(), lambda record: record["key"],
                        "sweep record")


def run_sweep(grid, out, *, settings=Settings(), executor=None, on_result=None,
              stream=None, force=False):
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
    force : bool
        Replace ``sweep.json`` and plots that tlcim did not write (:class:`tlcim.files.Outputs`).

    Returns
    -------
    dict
        What ``sweep.json`` holds.

    Raises
    ------
    ValueError
        If ``results.jsonl`` holds records of other settings or is damaged.
    """
    from tlcim.files import Outputs, write_json
    stream = sys.stderr if stream is None else stream
    out = pathlib.Path(out)
    # sweep.json and the plots appear together at the end; results.jsonl is the sweep's log,
    # appended point by point so that an interrupted sweep resumes.
    with contextlib.ExitStack() as stack:
        outputs = stack.enter_context(Outputs(force=force))
        final = outputs.folder(out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "results.jsonl"
        records = _read_records(path, settings)
        points = grid.points()
        todo = [params for params in points if point_key(params) not in records]
        total = len(points)
        if todo:
            if executor is None:
                executor = stack.enter_context(LocalExecutor())
            print(f"sweep: {total} points, {total - len(todo)} already done in {path}, "
                  f"{len(todo)} to compute on {executor.describe()}", file=stream, flush=True)
            _prepare(settings)
            progress = Progress("sweep", "points", total, total - len(todo), stream)
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
                        progress.update(f"{skipped} skipped")
                        if on_result is not None:
                            on_result(record)
            except BaseException:
                executor.cancel(futures)
                raise
        summary = _summary(grid, settings, [records[point_key(params)] for params in points])
        write_json(final / "sweep.json", summary)
        pareto_plots(grid, summary, final)
    reasons = {}
    for record in summary["points"]:
        if record["status"] == "skipped":
            reasons.setdefault(record["reason"], []).append(label(grid, record))
    for reason, labels in reasons.items():
        print(f"sweep: skipped {len(labels)} point(s) ({'; '.join(labels)}): {reason}",
              file=stream)
    print(f"sweep: {summary['counts']['ok']} points evaluated, {summary['counts']['skipped']} "
          f"skipped; written {out / 'sweep.json'} and the Pareto plots", file=stream)
    return summary


def _prepare(settings):
    """Train (or load) the network once here so that workers sharing the cache only load it."""
    from tlcim.nn import TrainSettings, load_or_train
    load_or_train(TrainSettings(hidden=settings.hidden, seed=settings.seed), settings.cache)


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


def sweep(grid="default", out=None, scheduler=None, workers=None, limit=100, seed=0,
          hidden=32, area=None, force=False):
    """Run ``tlcim sweep`` (see :func:`run_sweep`); ``area`` is an optional ``area.json`` path.

    Raises
    ------
    ValueError
        On a bad grid, option or ``results.jsonl``.
    """
    from tlcim.cost import load_area
    if out is None:
        raise ValueError("out must name the output folder, not None")
    loaded = load_grid(grid)
    settings = Settings(limit=limit, seed=seed, hidden=hidden,
                        area=load_area(area) if area else None)
    try:
        with make_executor(scheduler, workers) as executor:
            summary = run_sweep(loaded, out, settings=settings, executor=executor,
                                force=force)
    except KeyboardInterrupt:
        print(f"sweep: interrupted; the points finished are kept in "
              f"{pathlib.Path(out) / 'results.jsonl'}: run the same command to resume",
              file=sys.stderr)
        return 130
    print(f"sweep written to {out}: {summary['counts']['ok']} points, "
          f"{summary['counts']['skipped']} skipped")
    return 0
