"""Simulation speed of the behavioural macro: the weight-set copy logic evaluated on whole rows
against the per-cell logic it replaced, in the same run.

``python -m benchmarks stub`` (or ``python -m benchmarks.bench_stub [--config paper]
[--batch 64] [--rounds 2]``). Verilator evaluates every combinational path of the model at
every clock edge, used or not; on ``paper`` the store/restore copy logic of
:class:`tlcim.hw.reram_array.ReramArray` (a dozen operations per cell, 171 cells per row, six
subarrays) was most of that work, although it only matters while a set is copied. Both
models are built in the bulk harness (``--no-public-flat-rw``, optimised C++), then a session
(weights for every subarray, one batch of MVMs) runs through the host driver on each, in
alternation, ``--rounds`` times: MVMs per second of the batch and simulated cycles per second,
the best round of each, and the ratio. Results of both are compared with the golden model.

A third build is the C++ model of the macro (:mod:`tlcim.sim.model`, cycle for cycle the
stub, through DPI-C), a fourth bounds what any faster model of the macro could give: the
periphery alone, with every subarray a module whose outputs are inverted at every clock edge
(a model that costs nothing; outputs that never changed would let Verilator remove the logic
that reads them, which made earlier versions of this bound too high; its results differ from
golden, as they must).
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time

import numpy as np
from amaranth.hdl import Cat, Mux

from tlcim.golden import Config
from tlcim.sim import rtl
from tlcim.sim.script import GoldenTarget, execute, parse_ops
from . import configuration

#: Seed of the weights and inputs.
SEED = 2023


def per_cell_copy_rows(codes, faults, sram, ok):
    """The baseline: :meth:`tlcim.hw.reram_array.ReramArray.copy_rows` written per cell, as the
    model was before (same results; a dozen operations per cell and cycle)."""
    width = len(codes)
    cells = width // 2
    left_ok = ok["precharge"] & ok["restore_left"] & ok["latch_left"]
    right_ok = ok["precharge"] & ok["restore_right"] & ok["latch_right"]
    sensed, programmed = [], []
    for c in range(cells):
        code = codes[2 * c:2 * c + 2]
        stored = Cat(~code[0] & ~code[1], ~code[0] & code[1], code[0] & code[1])
        xor = Mux(stored[0], faults[2 * c:2 * c + 2],
                  Mux(stored[1], faults[width + 2 * c:width + 2 * c + 2],
                      Mux(stored[2], faults[2 * width + 2 * c:2 * width + 2 * c + 2], 0)))
        read = code ^ xor
        sensed.append(Cat(~read[0] | ~left_ok, ~read[1] | ~right_ok))
        sq1, sq2 = sram[2 * c], sram[2 * c + 1]
        new = Mux(ok["store_set"], Cat(~sq1 & ~sq2, ~sq2), 0)
        programmed.append(Mux(ok["store_reset"], new, new | code))
    return Cat(*sensed), Cat(*programmed)


def builds(config):
    """Return ``{"rows": Build, "per cell": Build, "cpp": Build, "periphery": Build}``: the
    bulk-harness builds of the stub as it is, of its per-cell baseline, of the C++ model and
    of the periphery alone (cached like every simulator build)."""
    from tlcim.hw import reram_array
    from tlcim.hw.generate import simulation_sources
    from tlcim.sim import model
    result = {"rows": rtl.build_harness(config, sources=simulation_sources(config),
                                        variant="stub-rows", optimise=True)}
    saved = reram_array.ReramArray.copy_rows
    reram_array.ReramArray.copy_rows = staticmethod(per_cell_copy_rows)
    try:
        sources = simulation_sources(config)
    finally:
        reram_array.ReramArray.copy_rows = saved
    result["per cell"] = rtl.build_harness(config, sources=sources, variant="stub-per-cell",
                                           optimise=True)
    result["cpp"] = rtl.build_harness(config, sources=model.sources(config), variant="cpp",
                                      optimise=True)
    result["periphery"] = rtl.build_harness(config, sources=periphery_sources(config),
                                            variant="periphery", optimise=True)
    return result


def periphery_sources(config):
    """Return the sources of ``config`` with every subarray a ``tlcim_subarray`` whose outputs
    are inverted at every clock edge: the periphery's own simulation cost, an upper bound for
    any model of the macro."""
    from tlcim.hw.generate import blackbox_declaration, verilog_text
    return {"tlcim_top.v": verilog_text(config, blackbox=True),
            "tlcim_subarray.v": blackbox_declaration(config, stand_in=True)}


def _ops(config, folder, batch):
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
        ops = _ops(config, folder, batch)
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


def paired(figures, best, baseline, name):
    """Return ``(best against best, sorted round-by-round ratios, their median)`` of ``name``
    over ``baseline`` in :func:`alternate`'s figures. Each round's runs follow each other, so
    the paired ratios do not see the machine's speed drift over the rounds, which the best
    runs of each can."""
    ratio = best[name]["mvms_per_second"] / best[baseline]["mvms_per_second"]
    rounds = sorted(new["mvms_per_second"] / old["mvms_per_second"]
                    for old, new in zip(figures[baseline], figures[name]))
    return ratio, rounds, statistics.median(rounds)


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


def main(argv=None):
    args = batch_parser("bench_stub", __doc__, batch=64, rounds=2).parse_args(argv or [])
    config = Config.preset(args.config)
    start = time.perf_counter()
    built = builds(config)
    print(f"{args.config}: every model built in {time.perf_counter() - start:.0f} s",
          flush=True)
    figures, best = alternate(config, built, args.batch, args.rounds)
    ratio = best["rows"]["mvms_per_second"] / best["per cell"]["mvms_per_second"]
    print(f"{args.config}, bulk harness, MVM batch of {args.batch}: whole rows "
          f"{best['rows']['mvms_per_second']:,.1f} MVMs/s "
          f"({best['rows']['cycles_per_second']:,.0f} cycles/s), per cell (baseline) "
          f"{best['per cell']['mvms_per_second']:,.1f} MVMs/s "
          f"({best['per cell']['cycles_per_second']:,.0f} cycles/s): {ratio:.2f}x", flush=True)
    cpp = best["cpp"]["mvms_per_second"] / best["rows"]["mvms_per_second"]
    print(f"{args.config}, the C++ model (tlcim.sim.model): "
          f"{best['cpp']['mvms_per_second']:,.1f} MVMs/s "
          f"({best['cpp']['cycles_per_second']:,.0f} cycles/s): {cpp:.2f}x over whole rows",
          flush=True)
    bound = best["periphery"]["mvms_per_second"] / best["rows"]["mvms_per_second"]
    print(f"{args.config}, the periphery alone (subarrays whose outputs toggle): "
          f"{best['periphery']['mvms_per_second']:,.1f} MVMs/s "
          f"({best['periphery']['cycles_per_second']:,.0f} cycles/s): at most {bound:.2f}x "
          f"over whole rows for any model of the macro", flush=True)
    return {"config": args.config, "batch": args.batch, "runs": figures, "best": best,
            "ratio": ratio, "cpp": cpp, "bound": bound}


if __name__ == "__main__":
    main(sys.argv[1:])
