"""Where independent jobs run: a local process pool or an existing Dask cluster, behind one
interface (:class:`Executor`), with a progress line for long runs (:class:`Progress`).

``tlcim sweep`` runs design points on them and ``tlcim regress`` seeds; a job must be a
picklable module-level function taking and returning plain data. Both append each finished
job as a JSON line and resume from those lines (:func:`read_records`).
"""

import json
import math
import os
import sys
import time
import typing

__all__ = ["Executor", "LocalExecutor", "DaskExecutor", "make_executor", "Progress",
           "read_records"]


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


class Progress:
    """Done/total, rate and ETA of the jobs computed in this run, as lines on a stream.

    Parameters
    ----------
    what : str
        Prefix of every line (``"sweep"``).
    unit : str
        What is counted (``"points"``).
    total, done : int
        Jobs in all, and already done before this run (resumed).
    stream : file, optional
        Default ``sys.stderr``.
    """

    def __init__(self, what, unit, total, done=0, stream=None):
        self.what, self.unit = what, unit
        self.stream = sys.stderr if stream is None else stream
        self.total, self.done, self.start_done = total, done, done
        self.start = time.monotonic()
        self.last = -math.inf

    def update(self, note=""):
        """Count one more job done; print a line (at most a few a second, and the last)."""
        self.done += 1
        now = time.monotonic()
        if now - self.last < 0.5 and self.done < self.total:
            return
        self.last = now
        rate = (self.done - self.start_done) / max(now - self.start, 1e-9)
        eta = (self.total - self.done) / rate
        print(f"{self.what}: {self.done}/{self.total} {self.unit}{f' ({note})' if note else ''}, "
              f"{rate:.2f} {self.unit}/s, ETA {eta:.0f} s", file=self.stream, flush=True)


def read_records(path, identity, key, what):
    """Return ``{key(record): record}`` of the JSON lines in ``path`` (none if it is missing),
    each made with the settings ``identity`` (its ``"settings"``); a torn last line (an
    interrupted append) is dropped from the file.

    Raises
    ------
    ValueError
        If a complete line is not a record (``what`` names it) or was made with other settings.
    """
    if not path.exists():
        return {}
    lines = path.read_text().split("\n")
    if lines[-1]:
        # The last write was interrupted: drop the partial line so appends start clean.
        from tlcim.files import write_text
        lines[-1] = ""
        write_text(path, "\n".join(lines))
    records = {}
    for number, line in enumerate(lines[:-1], 1):
        try:
            record = json.loads(line)
            settings = record["settings"]
            name = key(record)
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ValueError(f"{path.name}: line {number} is not a {what}") from None
        if settings != identity:
            raise ValueError(f"{path.name}: line {number} was computed with settings "
                             f"{settings}, not {identity}; use the same settings or another "
                             f"output folder")
        records[name] = record
    return records
