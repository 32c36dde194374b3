"""The bulk harness with its register slices against the same harness passing the bus, the
weight stream, reset and the stall odds straight through (``REGISTERED = 0``), in one run.

``python -m benchmarks harness`` (or ``python -m benchmarks.bench_harness [--config paper]
[--model cpp|stub] [--batch 1024] [--rounds 5]``). Both builds are optimised and simulate the
same design (default: ``paper`` on the C++ model of the macro, :mod:`tlcim.sim.model`); a
session (weights for every subarray, one batch of MVMs) runs on each in alternation, as in
``python -m benchmarks stub``: MVMs and simulated cycles per second, the best round of each,
and the ratio to the pass-through harness (the baseline), best against best and round by
round. Results of both are compared with the golden model.
"""

import sys
import time

from tlcim.golden import Config
from tlcim.hw.generate import simulation_sources
from tlcim.sim import model, rtl

from .batches import alternate, batch_parser, compare


def builds(config, macro):
    """Return ``{"pass-through": Build, "registered": Build}`` of ``config`` in the bulk
    harness, the macro as the C++ model (``"cpp"``) or the Amaranth stub (``"stub"``)."""
    sources = model.sources(config) if macro == "cpp" else simulation_sources(config)
    return {name: rtl.build_harness(config, sources=sources, variant=f"{macro}-{name}",
                                    optimise=True, parameters={"REGISTERED": registered})
            for name, registered in (("pass-through", 0), ("registered", 1))}


def main(argv=None):
    parser = batch_parser("bench_harness", __doc__, batch=1024, rounds=5)
    parser.add_argument("--model", choices=("cpp", "stub"), default="cpp",
                        help="the macro's model (default cpp)")
    args = parser.parse_args(argv or [])
    config = Config.preset(args.config)
    start = time.perf_counter()
    built = builds(config, args.model)
    print(f"{args.config}: both harnesses built in {time.perf_counter() - start:.0f} s",
          flush=True)
    figures, best = alternate(config, built, args.batch, args.rounds)
    ratio, rounds, median, text = compare(figures, best, "pass-through", "registered")
    print(f"{args.config} on the {args.model} model, MVM batch of {args.batch}: {text}",
          flush=True)
    return {"config": args.config, "model": args.model, "batch": args.batch, "runs": figures,
            "best": best, "ratio": ratio, "paired": rounds, "median": median}


if __name__ == "__main__":
    main(sys.argv[1:])
