"""Throughput of the golden ``mvm`` against a per-conversion loop, on one core.

``python -m benchmarks golden`` (or ``python -m benchmarks.bench_golden``). The figure of merit
is subarray-MVMs per second on the ``paper`` configuration with a batch of 1024 input vectors;
the baseline is :func:`conversion_loop`, SPEC 5 written as one Python step per ADC conversion,
timed in the same run on the same weights. Targets: at least 20,000 MVMs/s and at
least 50 times the loop.
"""

import contextlib
import os
import platform
import statistics
import time

import numpy as np

from tlcim import golden

#: Seed of the random weights and inputs.
SEED = 2023
#: Targets of the golden model's speed.
TARGET_RATE, TARGET_RATIO = 20_000, 50


def conversion_loop(config, weights, x):
    """Return ``mvm(config, weights, x)`` for one vector ``x``, one ADC conversion at a time.

    The straightforward reading of SPEC 5: for every compute block, input trit, weight trit and
    output, sum the discharge of the block's rows, convert it and shift-and-add the partial MAC.
    """
    A, lsb, top = config.active_rows, config.adc_lsb, config.adc.max_code
    xt = golden.encode_trits(x, config.x_trits).tolist()          # [rows][t], saturated
    wt = golden.encode_trits(weights, config.w_trits).tolist()    # [rows][o][k]
    y = [0] * config.outs
    for s in range(config.compute_blocks):
        block = range(s * A, (s + 1) * A)
        for t in range(config.x_trits):
            for k in range(config.w_trits):
                for o in range(config.outs):
                    discharge = sum(1 - xt[r][t] * wt[r][o][k] for r in block)
                    code = min(discharge // lsb, top)
                    y[o] += 3 ** (t + k) * (A - code * lsb)
    return np.array(y, dtype=np.int64)


@contextlib.contextmanager
def one_core():
    """Run the body pinned to one CPU (where the OS allows it), restoring the affinity after."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _times(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def machine():
    """Describe the machine the figures come from."""
    blas = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
    return (f"{platform.machine()}, nproc {os.cpu_count()}, Python {platform.python_version()}, "
            f"numpy {np.__version__} ({blas.get('name', '?')} {blas.get('version', '')}), "
            f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")


def main(*, config="paper", batch=1024, repeats=20, loop_batch=4):
    """Measure and print golden and loop throughput; return the figures as a dict.

    Raises
    ------
    AssertionError
        If the loop and the golden model disagree (the comparison would be meaningless).
    """
    config = golden.Config.load(config)
    rng = np.random.default_rng(SEED)
    weights = rng.integers(-config.w_max, config.w_max + 1, (config.rows, config.outs))
    # Inputs over the int8 range, as the paper feeds them: some saturate.
    x = rng.integers(-128, 128, (batch, config.rows))
    print(f"machine: {machine()}")
    print(f"configuration {config.to_dict()}")
    with one_core():
        golden.mvm(config, weights, x)  # warm up: digit tables, BLAS buffers
        golden_times = _times(lambda: golden.mvm(config, weights, x), repeats)
        single_times = _times(lambda: golden.mvm(config, weights, x[0]), repeats)
        loop_y = []
        loop_times = _times(lambda: loop_y.append(conversion_loop(config, weights,
                                                                  x[len(loop_y)])), loop_batch)
    expected = golden.mvm(config, weights, x[:loop_batch])
    assert (np.array(loop_y) == expected).all(), "loop and golden model disagree"

    figures = {
        "golden_mvms_per_s": batch / statistics.median(golden_times),
        "golden_batch1_mvms_per_s": 1 / statistics.median(single_times),
        "loop_mvms_per_s": loop_batch / sum(loop_times),
    }
    figures["ratio"] = figures["golden_mvms_per_s"] / figures["loop_mvms_per_s"]
    conversions = config.compute_blocks * config.x_trits * config.w_trits * config.outs
    print(f"golden.mvm, batch {batch}:      {figures['golden_mvms_per_s']:12,.0f} subarray-MVMs/s"
          f"  (median of {repeats} runs, {statistics.median(golden_times) * 1e3:.1f} ms each)")
    print(f"golden.mvm, batch 1:         {figures['golden_batch1_mvms_per_s']:12,.0f} "
          f"subarray-MVMs/s  (per-call overhead)")
    print(f"per-conversion loop, {loop_batch} vectors: {figures['loop_mvms_per_s']:12,.1f} "
          f"subarray-MVMs/s  ({conversions:,} conversions per MVM; results agree)")
    rate_ok = figures["golden_mvms_per_s"] >= TARGET_RATE
    ratio_ok = figures["ratio"] >= TARGET_RATIO
    print(f"ratio golden / loop: {figures['ratio']:,.0f}x  "
          f"(targets: >= {TARGET_RATE:,} MVMs/s {'met' if rate_ok else 'MISSED'}, "
          f">= {TARGET_RATIO}x {'met' if ratio_ok else 'MISSED'})")
    return figures


if __name__ == "__main__":
    main()
