"""What the benchmarks that time MVM batches share: a ``paper``-style session (weights for
every subarray, then one batch of MVMs), its measurement in the bulk harness, alternating
runs of several builds, their comparison, and the command line.
"""

import argparse
import asyncio
import statistics
import tempfile
import time

import numpy as np

from tlcim.sim import rtl
from tlcim.sim.script import GoldenTarget, execute, parse_ops

from . import configuration

#: Seed of the weights and inputs.
SEED = 2023


def session(config, folder, batch):
    """Return the parsed operations of the measured session, its operands saved in
    ``folder``: weights for every subarray, then one batch of ``batch`` MVMs (seeded)."""
    rng = np.random.default_rng(SEED)
    ops = []
    for s in range(config.subarrays):
        np.save(f"{folder}/W{s}.npy", rng.integers(-config.w_max, config.w_max + 1,
                                                   (config.rows, config.outs)))
        ops.append({"op": "write", "subarray": s, "weights": f"W{s}.npy"})
    np.save(f"{folder}/X.npy", rng.integers(-config.x_max, config.x_max + 1,
                                            (batch, config.rows * config.subarrays)))
    ops.append({"op": "mvm", "inputs": "X.npy", "out": "Y.npy"})
    return parse_ops(config, ops, folder)


def measure(config, built, ops, env=None):
    """Run ``ops`` on ``built`` (the simulation's environment extended by ``env``); return (MVM
    batch seconds, batch cycles, results)."""
    target = rtl.RtlTarget(config, "verilator", built=built, env=env)

    async def run():
        try:
            await execute(ops[:-1], target)
            before, start = target.counters()["cycles"], time.perf_counter()
            result = await execute(ops[-1:], target)
            return time.perf_counter() - start, target.counters()["cycles"] - before, result
        finally:
            await target.close()

    return asyncio.run(run())


def alternate(config, built, batch, rounds, env=None):
    """Run a session with an MVM batch of ``batch`` (:func:`measure`) on every build of
    ``built`` ({name: Build}), in alternation, ``rounds`` times, printing each run; return
    ``(figures, best)``: every run's MVMs and cycles per second and whether its results equal
    the golden model's, per name, and the fastest run of each. ``env`` ({name: dict}) gives
    runs more environment variables."""
    figures = {name: [] for name in built}
    with tempfile.TemporaryDirectory() as folder:
        ops = session(config, folder, batch)
        golden = asyncio.run(execute(ops, GoldenTarget(config))).outputs
        for _ in range(rounds):
            for name, build in built.items():
                seconds, cycles, result = measure(config, build, ops, (env or {}).get(name))
                same = all(np.array_equal(result.outputs[k], v) for k, v in golden.items()
                           if k in result.outputs) and len(result.outputs) == 1
                figures[name].append({"mvms_per_second": batch / seconds,
                                      "cycles_per_second": cycles / seconds,
                                      "same_results": same})
                print(f"  {name}: {batch / seconds:,.1f} MVMs/s, "
                      f"{cycles / seconds:,.0f} cycles/s, results identical to golden: {same}",
                      flush=True)
    best = {name: max(runs, key=lambda r: r["mvms_per_second"]) for name, runs in figures.items()}
    return figures, best


def compare(figures, best, baseline, name):
    """Return ``(ratio, rounds, median, text)`` of the runs ``name`` over ``baseline`` in
    :func:`alternate`'s figures: best against best, the sorted round-by-round ratios (each
    round's runs follow each other, so these do not see the machine's speed drift over the
    rounds, which the best runs of each can), their median, and a sentence of the figures."""
    ratio = best[name]["mvms_per_second"] / best[baseline]["mvms_per_second"]
    rounds = sorted(new["mvms_per_second"] / old["mvms_per_second"]
                    for old, new in zip(figures[baseline], figures[name]))
    median = statistics.median(rounds)

    def rate(run):
        return (f"{best[run]['mvms_per_second']:,.1f} MVMs/s "
                f"({best[run]['cycles_per_second']:,.0f} cycles/s)")
    text = (f"{name} {rate(name)}, {baseline} (baseline) {rate(baseline)}: {ratio:.2f}x best "
            f"against best; round by round {', '.join(f'{r:.2f}' for r in rounds)}x "
            f"(median {median:.2f}x)")
    return ratio, rounds, median, text


def batch_parser(module, doc, *, batch, rounds):
    """Return the command line of the benchmark ``module`` (``bench_<name>``, described by
    ``doc``) that alternates MVM batches (:func:`alternate`): ``--config`` (a preset, default
    ``paper``), ``--batch`` and ``--rounds`` with these defaults; a benchmark adds its own."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.{module}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="paper", type=configuration(),
                        help="preset (default paper)")
    parser.add_argument("--batch", type=int, default=batch, help="MVMs per measurement")
    parser.add_argument("--rounds", type=int, default=rounds, help="alternating rounds")
    return parser
