"""The C++ model of the macro (:mod:`tlcim.sim.model`) on each of its ADC conversion paths, in
one run: portable C++ (the baseline) and the ``popcnt`` instruction (the default where the CPU
has it).

``python -m benchmarks model`` (or ``python -m benchmarks.bench_model [--config paper]
[--batch 1024] [--rounds 3]``). One build of ``config`` in the bulk harness with every subarray
the C++ model; the path is chosen when the simulation starts (``TLCIM_MODEL_ISA``), so the
runs differ in that alone. A session (weights for every subarray, one batch of MVMs) runs on
each path in alternation, as in ``python -m benchmarks stub``: MVMs and simulated cycles per
second, the best round of each, and the ratio to the portable path, best against best and
round by round. Results are compared with the golden model.
"""

import sys
import time

from tlcim.golden import Config
from tlcim.sim import model, rtl

from .bench_stub import alternate, batch_parser, paired


def main(argv=None):
    args = batch_parser("bench_model", __doc__, batch=1024, rounds=3).parse_args(argv or [])
    config = Config.preset(args.config)
    start = time.perf_counter()
    build = rtl.build_harness(config, sources=model.sources(config), variant="cpp",
                              optimise=True)
    print(f"{args.config}: the C++ model's build {'compiled' if build.rebuilt else 'reused'} "
          f"in {time.perf_counter() - start:.0f} s", flush=True)
    figures, best = alternate(config, {"portable": build, "popcnt": build}, args.batch,
                              args.rounds, {"portable": {"TLCIM_MODEL_ISA": "portable"}})
    ratio, rounds, median = paired(figures, best, "portable", "popcnt")
    print(f"{args.config}, the C++ model's conversion, MVM batch of {args.batch}: popcnt "
          f"(the default) {best['popcnt']['mvms_per_second']:,.1f} MVMs/s "
          f"({best['popcnt']['cycles_per_second']:,.0f} cycles/s), portable (baseline) "
          f"{best['portable']['mvms_per_second']:,.1f} MVMs/s: {ratio:.2f}x best against best; "
          f"round by round {', '.join(f'{r:.2f}' for r in rounds)}x (median {median:.2f}x)",
          flush=True)
    return {"config": args.config, "batch": args.batch, "runs": figures, "best": best,
            "ratio": ratio, "paired": rounds, "median": median}


if __name__ == "__main__":
    main(sys.argv[1:])
