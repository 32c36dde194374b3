"""Simulation speed of the bulk harness against the C++ optimisation level of its Verilator
build: Verilator's default (``-Os``) and another level, in the same run.

``python -m benchmarks cxx`` (or ``python -m benchmarks.bench_cxx [--config paper]
[--level=-O3] [--batch 512] [--rounds 2]``; the level is a compiler option, so it follows
``=``). Both builds are cached like every simulator build; then
the session of :mod:`benchmarks.bench_stub` (weights for every subarray, one batch of MVMs)
runs on each, in alternation, ``--rounds`` times: MVMs per second of the batch and simulated
cycles per second, the best round of each, and the ratio. Results are compared with the
golden model.
"""

import sys
import time

from tlcim.golden import Config
from tlcim.hw.generate import simulation_sources
from tlcim.sim import rtl

from .batches import alternate, batch_parser, compare

#: C++ optimisation levels to compare with Verilator's default, ``-Os``.
LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Ofast")


def main(argv=None):
    parser = batch_parser("bench_cxx", __doc__, batch=512, rounds=2)
    parser.add_argument("--level", default="-O3",
                        help="the level compared: --level=-O0|-O1|-O2|-O3|-Ofast (default -O3)")
    args = parser.parse_args(argv or [])
    if args.level not in LEVELS:
        parser.error(f"--level must be one of {', '.join(LEVELS)} (-Os is the baseline), "
                     f"not {args.level!r}")
    config = Config.preset(args.config)
    sources = simulation_sources(config)
    start = time.perf_counter()
    built = {"-Os": rtl.build_harness(config, sources=sources, optimise="-Os",
                                      variant="cxx-Os"),
             args.level: rtl.build_harness(config, sources=sources, optimise=args.level,
                                           variant=f"cxx{args.level}")}
    print(f"{args.config}: both builds ready in {time.perf_counter() - start:.0f} s", flush=True)
    figures, best = alternate(config, built, args.batch, args.rounds)
    ratio, rounds, median, text = compare(figures, best, "-Os", args.level)
    print(f"{args.config}, bulk harness, MVM batch of {args.batch} (-Os is Verilator's "
          f"default): {text}", flush=True)
    return {"config": args.config, "level": args.level, "batch": args.batch, "runs": figures,
            "best": best, "ratio": ratio, "paired": rounds, "median": median}


if __name__ == "__main__":
    main(sys.argv[1:])
