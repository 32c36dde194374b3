"""Simulation speed of the bulk harness against the C++ optimisation of its Verilator build:
a baseline level (Verilator's default, ``-Os``, unless told) and another, in the same run.

``python -m benchmarks cxx`` (or ``python -m benchmarks.bench_cxx [--config paper]
[--macro stub|cpp] [--baseline=-Os] [--level=-O3] [--batch 512] [--rounds 2]``; levels are
compiler options, so they follow ``=``). ``--level=profile`` is the profile-guided build
(:data:`tlcim.sim.rtl.PROFILE`: link-time optimised at -O3, compiled again with the profile of
a training session). Both builds are cached like every simulator build; then the session of
:mod:`benchmarks.batches` (weights for every subarray, one batch of MVMs) runs on each, in
alternation, ``--rounds`` times: MVMs per second of the batch and simulated cycles per second,
the best round of each, round-by-round ratios, and whether the results equal the golden
model's.
"""

import sys
import time

from tlcim.golden import Config
from tlcim.hw.generate import simulation_sources
from tlcim.sim import model, rtl

from .batches import alternate, batch_parser, compare

#: C++ optimisations to compare: compiler levels, and the profile-guided build.
LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os", "-Ofast", rtl.PROFILE)


def main(argv=None):
    parser = batch_parser("bench_cxx", __doc__, batch=512, rounds=2)
    parser.add_argument("--level", default="-O3", choices=LEVELS, metavar="LEVEL",
                        help=f"the optimisation compared: {'|'.join(LEVELS)} (default -O3)")
    parser.add_argument("--baseline", default="-Os", choices=LEVELS, metavar="LEVEL",
                        help="the optimisation it is compared with (default -Os, Verilator's)")
    parser.add_argument("--macro", default="stub", choices=("stub", "cpp"),
                        help="the subarrays: the Amaranth stub or the C++ model (default stub)")
    args = parser.parse_args(argv or [])
    if args.level == args.baseline:
        parser.error(f"--level and --baseline are both {args.level}: nothing to compare")
    config = Config.preset(args.config)
    sources = model.sources(config) if args.macro == "cpp" else simulation_sources(config)
    start = time.perf_counter()
    built = {level: rtl.build_harness(config, sources=sources, optimise=level,
                                      variant=f"{args.macro}-cxx{level}")
             for level in (args.baseline, args.level)}
    print(f"{args.config}: both builds ready in {time.perf_counter() - start:.0f} s", flush=True)
    figures, best = alternate(config, built, args.batch, args.rounds)
    ratio, rounds, median, text = compare(figures, best, args.baseline, args.level)
    print(f"{args.config} ({args.macro} subarrays), bulk harness, MVM batch of {args.batch}: "
          f"{text}", flush=True)
    return {"config": args.config, "macro": args.macro, "baseline": args.baseline,
            "level": args.level, "batch": args.batch, "runs": figures, "best": best,
            "ratio": ratio, "paired": rounds, "median": median}


if __name__ == "__main__":
    main(sys.argv[1:])
