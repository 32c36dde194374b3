"""One seed of a regression: its script on the golden model and on the target, compared
operation by operation; and the shrinking of a failing script.

:func:`run_seed` is the job the executors run (a module-level function of plain data): it
generates the seed's script (:mod:`tlcim.regress.generate`), executes it on the golden device
and on the target, compares every result entry and every output array in order, and samples
the functional coverage (:mod:`tlcim.regress.functional`). A fresh device per seed: on the
``rtl`` targets one simulator process per seed, all from one cached build (the ReRAM of a
simulated device survives resets, as it should, so seeds cannot share a process).
"""

import asyncio
import dataclasses
import json
import pathlib
import tempfile
import time
import traceback

import numpy as np

from tlcim.golden import Config
from tlcim.sim.script import GoldenTarget, execute, open_target
from .coverage import condense
from .functional import sample
from .generate import GENERATOR_VERSION, generate

__all__ = ["CHECKS_VERSION", "Job", "run_seed", "run_script", "compare", "shrink"]

#: What a seed checks besides its results (2: the register audit at the end of rtl sessions;
#: 3: the written registers read back three times, the last after an idle cycle, and the
#: fault emulation's shadow following the policy); records made with other checks are not
#: reused when a regression resumes.
CHECKS_VERSION = 3


@dataclasses.dataclass(frozen=True)
class Job:
    """What a worker needs to run seeds (plain data: it travels to Dask workers).

    Members
    -------
    config : str
        The configuration's JSON.
    target : str
        Target spec (``rtl``, ``rtl:verilator``, ``golden``...).
    build : dict or None
        For the ``rtl`` targets: ``{"simulator", "sources", "variant", "coverage",
        "build_args"}``, the arguments of :func:`tlcim.sim.rtl.build_harness`.
    mutant : int
        Mutation selected in a mutant build (0: none).
    coverage_dir : str or None
        Folder where each seed's ``coverage.dat`` is kept (code coverage runs).
    """

    config: str
    target: str
    build: tuple = None
    mutant: int = 0
    coverage_dir: str = None


def _config(job):
    return Config.from_dict(json.loads(job.config))


def _open(job, config, script, test_dir):
    """Open the job's target for one seed."""
    name = job.target.partition(":")[0]
    if name != "rtl" or job.build is None:
        return open_target(config, job.target)
    from tlcim.sim.rtl import RtlTarget, build_harness
    options = dict(job.build)
    simulator = options.pop("simulator")
    built = build_harness(config, simulator, **options)
    target = RtlTarget(config, simulator, built=built, stall=script.stall,
                       stall_seed=script.seed, timing_seed=script.seed, test_dir=test_dir,
                       plusargs=[f"+mutant={job.mutant}"] if job.mutant else ())
    return target


def run_script(job, config, script, *, keep_coverage=None):
    """Run ``script`` on the golden device and on the job's target; with ``keep_coverage``
    ``(folder, name)`` condense the simulation's ``coverage.dat`` there
    (:func:`tlcim.regress.coverage.condense`).

    Returns
    -------
    (golden SessionResult, target SessionResult or None, ops, failure str or None)
    """
    with tempfile.TemporaryDirectory(prefix="tlcim-regress-") as folder:
        ops = script.parse(config, folder)
        golden = asyncio.run(execute(ops, GoldenTarget(config)))
        test_dir = tempfile.mkdtemp(dir=folder, prefix="sim-")
        try:
            target = _open(job, config, script, test_dir)

            async def session():
                try:
                    result = await execute(ops, target)
                    # The rtl target then checks every register against the session.
                    audit = getattr(target, "audit_registers", None)
                    if audit is not None:
                        audit()
                    return result
                finally:
                    await target.close()

            result, failure = asyncio.run(session()), None
        except Exception as error:  # a crashed or hung target is a failure of this seed
            result = None
            failure = f"{type(error).__name__}: {error}"
            if not isinstance(error, (RuntimeError, TimeoutError)):
                failure += "\n" + traceback.format_exc(limit=4)
        dat = pathlib.Path(test_dir) / "coverage.dat"
        if keep_coverage is not None and result is not None and dat.exists():
            condense(dat, *keep_coverage)
        return golden, result, ops, failure


def _same(a, b):
    return a.shape == b.shape and np.array_equal(a, b)


def compare(ops, golden, result):
    """Return the first difference of ``result`` from ``golden``, or None.

    Returns
    -------
    dict or None
        ``{"index", "op", "expected", "got"}``: the operation's position, its op, and the
        differing result entry or output (as JSON-ready text).
    """
    for op, expected, got in zip(ops, golden.entries, result.entries):
        if expected != got:
            return {"index": op.index, "op": op.op, "expected": expected, "got": got}
        out = op.args.get("out")
        if out is not None:
            e, g = golden.outputs.get(out), result.outputs.get(out)
            if (e is None) != (g is None) or (e is not None and not _same(e, g)):
                return {"index": op.index, "op": op.op,
                        "expected": None if e is None else e.tolist(),
                        "got": None if g is None else g.tolist()}
    if len(golden.entries) != len(result.entries):
        return {"index": min(len(golden.entries), len(result.entries)), "op": None,
                "expected": f"{len(golden.entries)} entries", "got": f"{len(result.entries)}"}
    return None


def run_seed(job, seed):
    """Run seed ``seed`` of ``job`` and return its record (JSON-ready).

    ``{"seed", "generator", "mutant", "status": "pass" | "mismatch" | "failed", "ops",
    "stall", "first_mismatch", "failure", "bins", "seconds"}``; ``bins`` lists the functional
    coverage bins the seed hit (:func:`tlcim.regress.functional.sample`).
    """
    start = time.perf_counter()
    config = _config(job)
    script = generate(config, seed)
    keep = None
    if job.coverage_dir is not None:
        keep = (job.coverage_dir, f"seed{seed}")
    golden, result, ops, failure = run_script(job, config, script, keep_coverage=keep)
    mismatch = None if result is None else compare(ops, golden, result)
    status = "failed" if failure else ("mismatch" if mismatch else "pass")
    return {"seed": int(seed), "generator": GENERATOR_VERSION, "mutant": job.mutant,
            "status": status, "ops": len(ops), "stall": script.stall,
            "first_mismatch": mismatch, "failure": failure,
            "bins": sorted(sample(config, script, ops, golden)),
            "seconds": round(time.perf_counter() - start, 2)}


def _fails(job, config, script):
    golden, result, ops, failure = run_script(job, config, script)
    return failure is not None or compare(ops, golden, result) is not None


def shrink(job, seed, *, first_mismatch=None, budget=40):
    """Return the smallest failing script found for failing seed ``seed``: first the shortest
    failing prefix (a bisection, starting from the first mismatch), then with single
    operations removed while it still fails (greedy, up to ``budget`` runs in all).

    Returns
    -------
    (Script or None, runs)
        None when the seed passes when run again (it did not reproduce).
    """
    config = _config(job)
    script = generate(config, seed)
    if not _fails(job, config, script):
        return None, 1
    runs = 1
    # Shortest prefix: the first mismatching operation bounds it.
    end = len(script.ops) if first_mismatch is None else first_mismatch["index"] + 1
    low, high = 1, end
    if not _fails(job, config, script.subset(range(high))):
        high = len(script.ops)
    runs += 1
    while low < high and runs < budget:
        middle = (low + high) // 2
        runs += 1
        if _fails(job, config, script.subset(range(middle))):
            high = middle
        else:
            low = middle + 1
    keep = list(range(high))
    # Fewest operations: drop one at a time, from the end backwards (the last is the failing
    # one and stays).
    for position in range(len(keep) - 2, -1, -1):
        if runs >= budget:
            break
        trial = keep[:position] + keep[position + 1:]
        runs += 1
        if _fails(job, config, script.subset(trial)):
            keep = trial
    return script.subset(keep), runs
