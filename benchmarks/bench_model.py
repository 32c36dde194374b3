"""The C++ model of the macro (:mod:`tlcim.sim.model`) on each of its ADC conversion paths, in
one run: portable C++ (the baseline) and ``popcnt``, the default (the instruction where the
CPU has it; elsewhere both runs take the portable path).

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

from .batches import alternate, batch_parser, compare


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
    ratio, rounds, median, text = compare(figures, best, "portable", "popcnt")
    print(f"{args.config}, the C++ model's conversion, MVM batch of {args.batch}: {text}",
          flush=True)
    return {"config": args.config, "batch": args.batch, "runs": figures, "best": best,
            "ratio": ratio, "paired": rounds, "median": median}


if __name__ == "__main__":
    main(sys.argv[1:])
