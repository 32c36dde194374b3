"""Place and route: ``tlcim pnr`` on ``small`` and on the reduced two-subarray configuration.

``python -m benchmarks pnr`` (or ``python -m benchmarks.bench_pnr [--config small]
[--utilization U] [--no-baseline]``). Figures, each configuration's next to the reduced
configuration's from the same run (the baseline, as in the other benchmarks): run time per
step and in all, die size, utilisation, cells, unrouted nets, post-route setup and hold WNS at
the sign-off clock and the post-route Fmax, LVS. Targets: ``small`` routed with every net in
under 20 minutes on 2 cores, timing met at the sign-off clock.
"""

import argparse
import sys
import tempfile

from tlcim.golden import Config
from tlcim.pnr import DEFAULT_UTILIZATION, REDUCED, run
from tlcim.pnr.inputs import DEFAULT_CLOCK_MHZ
from . import configuration


def _line(name, result):
    die = result["die_um"]
    steps = ", ".join(f"{step} {seconds:.0f}" for step, seconds in result["steps_s"].items())
    return "\n".join([
        f"{name}: {result['runtime_s']:.0f} s ({steps} s)",
        f"  die {die[0]:.0f} x {die[1]:.0f} um, utilisation {result['utilization']:.2f} "
        f"(die {result['die_utilization']:.2f}), {result['cells']:,} cells "
        f"({result['buffers']} buffers), {result['macros']} macros, {result['nets']:,} nets",
        f"  unrouted nets {result['unrouted_nets']} (router {result['unrouted']['router']}, "
        f"DEF {result['unrouted']['def']}, shapes {result['unrouted']['open']}), shorts "
        f"{result['shorts']}, DRC errors {result['drc_errors']}, wire "
        f"{result['wirelength_um'] / 1000:,.1f} mm, {result['vias']:,} vias",
        f"  at {result['clock_mhz']:g} MHz: setup WNS {result['wns_ns']:+.3f} ns, hold WNS "
        f"{result['hold_wns_ns']:+.3f} ns ({result['hold_fix']['buffers']} hold buffers "
        f"after routing), post-route Fmax {result['fmax_mhz']:.1f} MHz; "
        f"LVS: {result['lvs']['message']}",
    ])


def _run(config, utilization):
    with tempfile.TemporaryDirectory(prefix="bench-pnr-") as folder:
        # The steps' progress lines show where a run of many minutes is.
        return run(config, folder, clock_mhz=DEFAULT_CLOCK_MHZ, utilization=utilization,
                   progress=lambda line: print(f"  {line}", flush=True))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_pnr",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="small", type=configuration("load"),
                        help="configuration (default small)")
    parser.add_argument("--utilization", type=float, default=DEFAULT_UTILIZATION)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the reduced configuration")
    args = parser.parse_args(argv or [])
    if not args.no_baseline:
        base = _run(REDUCED, args.utilization)
        print(_line("reduced (rows 16, cbls 1, 1-trit, 2 subarrays)", base))
    result = _run(Config.load(args.config), args.utilization)
    print(_line(args.config, result))
    if not args.no_baseline:
        print(f"  {result['runtime_s'] / base['runtime_s']:.1f}x the reduced configuration's "
              f"time for {result['cells'] / base['cells']:.1f}x its cells")
    met = all(result["checks"].values()) and result["runtime_s"] < 1200
    print(f"  target (under 20 minutes, every check passed: every net routed, no conflicts, "
          f"DRC, LVS, timing met): {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main(sys.argv[1:])
