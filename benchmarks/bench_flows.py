"""The flows: periphery area and ``tlcim synth`` wall time, FPGA preset builds.

``python -m benchmarks flows`` (or ``python -m benchmarks.bench_flows [--config paper]
[--no-fpga]``). Figures, each next to its baseline from the same run:

1. ``tlcim synth`` on ``--config`` (default ``paper``): wall time, against the ``small``
   preset as the baseline; periphery GE per subarray and its share of the array (target
   < 2 %), and the area-quality ratios (target <= 1.3x the full-adder bound).
2. The FPGA presets on their boards (``ice40`` on the iCEBreaker, ``ecp5`` on the ULX3S-85F):
   LUTs, flip-flops, Fmax against the board clock and the issue's target, build wall time.
"""

import argparse
import sys
import tempfile
import time

from tlcim.golden import Config
from tlcim import fpga, synth
from tlcim.area_quality import area_quality
from . import configuration


def _synth(config):
    start = time.perf_counter()
    report = synth.area_report(config, progress=lambda line: None)
    report["area_quality"] = area_quality(config, progress=lambda line: None)
    return report, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_flows",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="paper", type=configuration("load"),
                        help="configuration of the synth figure")
    parser.add_argument("--no-fpga", action="store_true", help="skip the FPGA builds")
    args = parser.parse_args(argv or [])

    config = Config.load(args.config)
    _, base_seconds = _synth(Config.preset("small"))
    report, seconds = _synth(config)
    print(f"tlcim synth --config {args.config}: {seconds:.1f} s "
          f"({seconds / base_seconds:.1f}x the small preset's {base_seconds:.1f} s)")
    print(f"  periphery {report['total_ge']:,.0f} GE, {report['per_subarray_ge']:,.0f} GE per "
          f"subarray; {100 * report['array_fraction']:.2f} % of the array (target < 2 %), "
          f"{100 * report['logic_array_fraction']:.2f} % without the SRAM macros")
    for name in ("accumulate tree", "shift & add"):
        q = report["area_quality"][name]
        print(f"  {name}: {q['vs_bound']}x the full-adder bound, {q['vs_naive']}x naive "
              f"(target <= 1.3x, below naive)")

    if args.no_fpga:
        return
    for board in fpga.BOARDS.values():
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            result = fpga.build(Config.preset(board.preset), board, folder,
                                progress=lambda line: None)
        print(f"{board.preset} on {board.name}: {result['luts']:,}/{board.luts:,} LUTs, "
              f"{result['ffs']:,} FFs, Fmax {result['fmax_mhz']} MHz = "
              f"{result['fmax_mhz'] / board.clock_mhz:.2f}x the {board.clock_mhz:g} MHz clock, "
              f"{result['fmax_mhz'] / board.target_mhz:.2f}x the {board.target_mhz:g} MHz "
              f"target ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
