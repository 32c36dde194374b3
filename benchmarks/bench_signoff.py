"""Sign-off on osu018: Fmax, slack, area and the critical path by block, per preset.

``python -m benchmarks signoff`` (or ``python -m benchmarks.bench_signoff [--clock-mhz F]
[--config NAME ...]``). For each preset (default ``small`` and ``paper``) the implementation of
``tlcim signoff`` (:func:`tlcim.signoff.flow.implement`, cached in ``build/signoff``): setup
WNS/TNS and hold WNS at the clock (default 100 MHz, the target), Fmax, transition-limit
violations, standard-cell area beside ``tlcim synth``'s gate-equivalent estimate, and the worst
setup path ending in each block, worst first. Mapping ``paper`` takes several minutes the first
time; the figures and the commands are recorded in docs/signoff.md.
"""

import argparse
import sys
import time

from tlcim.golden import Config
from tlcim.signoff.command import DEFAULT_CLOCK_MHZ, ge_estimate, signoff_report, worst_paths
from tlcim.signoff.equivalence import prove
from tlcim.signoff.flow import implement
from tlcim.signoff.sta import module_blocks
from . import configuration

#: The presets signed off by default.
PRESETS = ("small", "paper")


def measure(name, clock_mhz, progress=lambda line: None):
    """Return ``tlcim signoff``'s report of preset ``name`` at ``clock_mhz`` and the wall
    time of the (possibly cached) implementation."""
    config = Config.preset(name)
    start = time.perf_counter()
    implementation = implement(config, clock_mhz, progress=progress)
    seconds = time.perf_counter() - start
    report = signoff_report(implementation, prove(implementation, progress=progress),
                            ge_estimate(config, progress=progress))
    report["hold_worst"] = worst_paths(implementation.timing.hold_paths,
                                       module_blocks(config), count=1)
    return report, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_signoff",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--clock-mhz", type=float, default=DEFAULT_CLOCK_MHZ)
    parser.add_argument("--config", nargs="*", default=list(PRESETS), type=configuration())
    args = parser.parse_args(argv or [])
    results = {}
    for name in args.config:
        report, seconds = measure(name, args.clock_mhz, progress=print)
        results[name] = report
        met = "met" if report["met"] else "MISSED"
        print(f"{name} on {report['library']} at {args.clock_mhz:g} MHz: {met}; setup WNS "
              f"{report['wns_ns']:+.3f} ns (TNS {report['tns_ns']:.3f}), hold WNS "
              f"{report['hold_wns_ns']:+.3f} ns, Fmax {report['fmax_mhz']:.1f} MHz "
              f"({report['fmax_mhz'] / args.clock_mhz:.2f}x the target); "
              f"{report['transition_violations']} transition-limit violations")
        estimate = report["ge_estimate"]
        print(f"  {report['area_um2']:,.0f} um^2 in {report['cells']:,} cells "
              f"({report['flops']:,} flip-flops, {report['hold_buffers']} hold buffers); "
              f"tlcim synth: {estimate['ge']:,.0f} GE = {estimate['um2_28nm']:,.0f} um^2 at "
              f"28 nm, scale {estimate['scale']:.1f}x (node alone {estimate['node_scale']:.1f}x)")
        print(f"  equivalence: {'proven' if report['equivalence']['proven'] else 'NOT proven'} "
              f"({report['equivalence']['result']}); implementation {seconds:.1f} s "
              f"(cached after the first run)")
        print("  worst setup path into each block:")
        for path in report["worst_paths"]:
            print(f"    {path['slack_ns']:+7.3f} ns  {path['from']} -> {path['to']}  "
                  f"({path['startpoint']} -> {path['endpoint']})")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
