"""The generated RTL: MVM throughput against its bound, simulation speed, generation time.

``python -m benchmarks rtl`` (or ``python -m benchmarks.bench_rtl [--configs small,paper]
[--batch N] [--simulators verilator,icarus] [--speed-config paper]``). Three figures, each
next to its baseline from the same run:

1. Cycles between back-to-back result vectors in steady state, against the bound
   ``conversions_per_mvm`` (400 on ``paper``); target ratio <= 1.01 (SPEC 7). Measured by the
   cocotb test ``throughput`` of ``tb/test_top.py`` on the Verilog.
2. Simulation speed of ``tlcim run --target rtl`` on ``paper`` (``--speed-config``): simulated
   cycles per second and MVMs per second of a session script (weights for every subarray, one batch
   of MVMs) through the host driver, per available simulator, with the bulk stream transport
   (``tlcim.sim.transports.BulkTransport``, the default) and with cocotbext-axi's streams
   (``TLCIM_BULK=0``, the baseline: ratio bulk / cocotbext-axi of the MVM batch printed), both for
   the whole session and for the MVM batch alone; the golden target on the same script for scale.
3. Generation time of the ``paper`` Verilog (``tlcim.hw.generate.generated_files``, all seven
   files).
"""

import argparse
import contextlib
import json
import os
import pathlib
import sys
import tempfile
import time

import numpy as np

from tlcim.golden import Config
from tlcim.sim import rtl
from tlcim.sim.script import execute, open_target, parse_ops
from . import configuration

#: Seed of the random weights and inputs.
SEED = 2023
#: Target of the throughput ratio (SPEC 7: no bubbles between back-to-back MVMs).
TARGET_RATIO = 1.01


def throughput(config, batch):
    """Return the figures of the cocotb ``throughput`` test on ``config`` (Verilator)."""
    built = rtl.build(config)
    with tempfile.TemporaryDirectory() as folder:
        figures = pathlib.Path(folder) / "throughput.json"
        rtl.run_cocotb(built, "tlcim.tb.test_top", testcase="throughput", test_dir=folder,
                       env={"TLCIM_THROUGHPUT": str(figures), "TLCIM_BATCH": str(batch),
                            "TLCIM_SEED": str(SEED)})
        return json.loads(figures.read_text())


def _session(config, folder, batch):
    rng = np.random.default_rng(SEED)
    ops = []
    for s in range(config.subarrays):
        np.save(folder / f"W{s}.npy", rng.integers(-config.w_max, config.w_max + 1,
                                                   (config.rows, config.outs)))
        ops.append({"op": "write", "subarray": s, "weights": f"W{s}.npy"})
    np.save(folder / "X.npy", rng.integers(-config.x_max, config.x_max + 1,
                                           (batch, config.rows * config.subarrays)))
    ops.append({"op": "mvm", "inputs": "X.npy", "out": "Y.npy"})
    return parse_ops(config, ops, folder)


@contextlib.contextmanager
def _environment(name, value):
    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            del os.environ[name]
        else:
            os.environ[name] = saved


async def _run(target, ops):
    # Times the weight loads and the final MVM op separately: (result, seconds, cycles) of
    # the whole session and (seconds, cycles) of the MVM batch.
    def cycles():
        return target.counters()["cycles"] if hasattr(target, "counters") else 0
    try:
        start = time.perf_counter()
        loads = await execute(ops[:-1], target)
        middle, loaded = time.perf_counter(), cycles()
        mvms = await execute(ops[-1:], target)
        end, total = time.perf_counter(), cycles()
        result = type(loads)(loads.entries + mvms.entries, {**loads.outputs, **mvms.outputs})
        return result, end - start, total, end - middle, total - loaded
    finally:
        await target.close()


def simulation_speed(config, batch, simulator, *, bulk=True):
    """Run a session (every subarray's weights, then ``batch`` MVMs) on ``rtl:simulator``
    (streams through the bulk harness, or cocotbext-axi's if not ``bulk``) and on
    ``tlcim.golden``; return wall times, simulated cycles and rates of the session and of the
    MVM batch alone."""
    import asyncio
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        ops = _session(config, folder, batch)
        start = time.perf_counter()
        with _environment("TLCIM_BULK", "1" if bulk else "0"):
            target = open_target(config, f"rtl:{simulator}")
        opened = time.perf_counter() - start
        result, seconds, cycles, mvm_seconds, mvm_cycles = asyncio.run(_run(target, ops))
        golden_result, golden_seconds, *_ = asyncio.run(_run(open_target(config, "golden"),
                                                             ops))
    assert all(entry["status"] == "ok" for entry in result.entries), result.entries
    same = all(np.array_equal(result.outputs[path], golden_result.outputs[path])
               for path in golden_result.outputs)
    return {"simulator": simulator, "streams": "bulk" if bulk else "cocotbext-axi",
            "batch": batch, "open_seconds": opened,
            "session_seconds": seconds, "cycles": cycles,
            "cycles_per_second": cycles / seconds,
            "mvms_per_second": batch / seconds, "mvm_seconds": mvm_seconds,
            "mvm_cycles": mvm_cycles, "mvm_cycles_per_second": mvm_cycles / mvm_seconds,
            "mvm_mvms_per_second": batch / mvm_seconds, "golden_session_seconds": golden_seconds,
            "golden_mvms_per_second": batch / golden_seconds, "same_results": same}


def generation_time(config):
    """Return the seconds taken to generate every file of ``tlcim generate`` for ``config``."""
    from tlcim.hw.generate import generated_files
    start = time.perf_counter()
    files = generated_files(config)
    return {"seconds": time.perf_counter() - start,
            "verilog_bytes": len(files["tlcim_top.v"].encode())}


def _presets(text):
    # --configs: presets separated by commas, each checked (empty: none).
    check = configuration()
    return ",".join(check(name) for name in filter(None, text.split(",")))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_rtl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="small,paper", type=_presets,
                        help="presets for the throughput figure (default: small,paper; "
                             "empty: skip it)")
    parser.add_argument("--simulators", default=",".join(rtl.SIMULATORS),
                        help="simulators of the simulation-speed figure (default: all)")
    parser.add_argument("--speed-config", default="paper", type=configuration(),
                        help="preset of the simulation-speed figure (default: paper)")
    parser.add_argument("--batch", type=int, default=16, help="MVMs per measurement")
    args = parser.parse_args(argv or [])
    figures = {"throughput": {}, "simulation": [], "generation": {}}
    for name in filter(None, args.configs.split(",")):
        config = Config.preset(name)
        result = throughput(config, max(4, args.batch // 2))
        figures["throughput"][name] = result
        verdict = "meets" if result["ratio"] <= TARGET_RATIO else "MISSES"
        print(f"{name}: {result['steady_cycles_per_mvm']:.1f} cycles per back-to-back MVM, "
              f"bound {result['bound']}: ratio {result['ratio']:.4f} ({verdict} "
              f"<= {TARGET_RATIO}); first result after {result['first_result_cycles']} cycles",
              flush=True)
    speed_config = Config.preset(args.speed_config)
    for simulator in args.simulators.split(","):
        missing = rtl.simulator_missing(simulator)
        if missing:
            print(f"rtl:{simulator}: skipped ({missing})")
            continue
        speeds = {}
        for bulk in (False, True):
            speed = speeds[bulk] = simulation_speed(speed_config, args.batch, simulator,
                                                     bulk=bulk)
            figures["simulation"].append(speed)
            print(f"{args.speed_config} on rtl:{simulator}, {speed['streams']} streams: session "
                  f"{speed['cycles_per_second']:,.0f} simulated cycles/s, "
                  f"{speed['mvms_per_second']:.2f} MVMs/s ({speed['cycles']:,} cycles for "
                  f"{args.batch} MVMs and {speed_config.subarrays} weight loads in "
                  f"{speed['session_seconds']:.1f} s; build/open {speed['open_seconds']:.1f} s); "
                  f"MVM batch alone {speed['mvm_cycles_per_second']:,.0f} cycles/s, "
                  f"{speed['mvm_mvms_per_second']:.2f} MVMs/s; golden target "
                  f"{speed['golden_mvms_per_second']:,.0f} MVMs/s (rtl/golden "
                  f"{speed['mvms_per_second'] / speed['golden_mvms_per_second']:.2e}); "
                  f"results identical: {speed['same_results']}", flush=True)
        print(f"{args.speed_config} on rtl:{simulator}: bulk / cocotbext-axi streams: MVM batch "
              f"{speeds[True]['mvm_mvms_per_second'] / speeds[False]['mvm_mvms_per_second']:.1f}x"
              f", whole session "
              f"{speeds[True]['mvms_per_second'] / speeds[False]['mvms_per_second']:.1f}x",
              flush=True)
    generation = generation_time(Config.preset("paper"))
    figures["generation"] = generation
    print(f"paper generation: {generation['seconds']:.1f} s for all files "
          f"({generation['verilog_bytes'] / 1e6:.1f} MB of Verilog)")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
