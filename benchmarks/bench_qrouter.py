"""qrouter's first stage against the size of its grid: the same placement on its own die and
on a die twice as tall.

``python -m benchmarks qrouter`` (or ``python -m benchmarks.bench_qrouter [--config C]``,
default the reduced two-subarray configuration of ``tlcim.pnr.REDUCED``). The flow runs
(``tlcim.pnr.run``), then qrouter's first stage alone (the flow's script without rip-up passes,
``tlcim.pnr.route.config_text``) routes the placed DEF twice, in
the same process: as placed (the baseline), and with the die stretched to twice its height
(empty space above the macros: the same cells, pins and nets, twice the routing grid). Both
must leave the same failed nets. The growth of the time shows how much of it is proportional
to the grid rather than to the nets: qrouter's ``route_setup`` copies the whole grid of every
layer for every net it routes (``qrouter.c``), which docs/pnr.md cites for ``small``'s routing
time.
"""

import argparse
import pathlib
import re
import subprocess
import sys
import tempfile
import time

from tlcim.golden import Config
from tlcim.pnr import REDUCED, run
from tlcim.pnr.lef import read_lef
from tlcim.pnr.route import config_text, failed_counts
from tlcim.pnr.tools import find
from . import configuration


def stretched(text, factor=2):
    """Return the DEF ``text`` with its die ``factor`` times as tall (DIEAREA and the
    horizontal tracks that cover it); nothing else moves."""
    def die(match):
        x0, y0, x1, y1 = map(int, match.groups())
        return f"DIEAREA ( {x0} {y0} ) ( {x1} {y0 + (y1 - y0) * factor} ) ;"

    def tracks(match):
        start, count, step = map(int, match.group(2, 3, 4))
        if match.group(1) == "Y":
            count = count * factor + factor - 1
        return f"TRACKS {match.group(1)} {start} DO {count} STEP {step}"

    text, found = re.subn(r"DIEAREA \( (-?\d+) (-?\d+) \) \( (-?\d+) (-?\d+) \) ;", die, text)
    if found != 1:
        raise ValueError("the placed DEF has no DIEAREA")
    return re.sub(r"TRACKS (X|Y) (-?\d+) DO (\d+) STEP (\d+)", tracks, text)


def _stage1(folder, name):
    """Route ``name`` (a DEF in ``folder``, beside the flow's LEF files) with the flow's script
    without rip-up passes (its first stage only); return (seconds, failed nets)."""
    lefs = sorted(path.name for path in folder.glob("*.lef"))
    layers = len(read_lef(*(folder / lef for lef in lefs)).layers)
    (folder / f"{name}.tcl").write_text(config_text(lefs, layers, f"{name}.def", passes=0,
                                                    out=f"{name}-routed"))
    start = time.perf_counter()
    result = subprocess.run([find("qrouter"), "-noc", "-nog", "-s", f"{name}.tcl"], cwd=folder,
                            capture_output=True, text=True, check=True)
    return time.perf_counter() - start, failed_counts(result.stdout)[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_qrouter",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None, type=configuration("load"),
                        help="configuration (default: the reduced one of tlcim.pnr.REDUCED)")
    args = parser.parse_args(argv or [])
    config = REDUCED if args.config is None else Config.load(args.config)
    with tempfile.TemporaryDirectory(prefix="bench-qrouter-") as folder:
        folder = pathlib.Path(folder)
        print("the whole flow (tlcim.pnr.run), for its placed DEF ...", flush=True)
        run(config, folder, progress=lambda line: print(f"  {line}", flush=True))
        placed = (folder / "placed.def").read_text()
        (folder / "tall.def").write_text(stretched(placed))
        (folder / "base.def").write_text(placed)
        base, base_failed = _stage1(folder, "base")
        print(f"stage 1 as placed: {base:.1f} s, {base_failed} nets failed", flush=True)
        tall, tall_failed = _stage1(folder, "tall")
        print(f"stage 1 on a die twice as tall (the grid 2x, the same nets): {tall:.1f} s, "
              f"{tall_failed} nets failed; {tall / base:.2f}x the time")
        print(f"  grid-proportional part of the first stage as placed: about "
              f"{tall - base:.0f} s of {base:.0f} s ({(tall - base) / base:.0%})")
        if tall_failed != base_failed:
            raise RuntimeError(f"the stretched die routed differently ({tall_failed} failed "
                               f"nets against {base_failed}): not the same work")
    return {"stage1_s": base, "stage1_tall_s": tall, "ratio": tall / base,
            "failed_nets": base_failed}


if __name__ == "__main__":
    main(sys.argv[1:])
