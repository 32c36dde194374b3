"""Simulation speed of the behavioural macro: the weight-set copy logic evaluated on whole rows
against the per-cell logic it replaced, in the same run.

``python -m benchmarks stub`` (or ``python -m benchmarks.bench_stub [--config paper]
[--batch 64] [--rounds 2]``). Verilator evaluates every combinational path of the model at
every clock edge, used or not; on ``paper`` the store/restore copy logic of
:class:`tlcim.hw.reram_array.ReramArray` (a dozen operations per cell, 171 cells per row, six
subarrays) was most of that work, although it only matters while a set is copied. Both
models are built in the bulk harness (``--no-public-flat-rw``, optimised C++), then a session
(weights for every subarray, one batch of MVMs) runs through the host driver on each, in
alternation, ``--rounds`` times: MVMs per second of the batch and simulated cycles per second,
the best round of each, and the ratio. Results of both are compared with the golden model.

A third build is the C++ model of the macro (:mod:`tlcim.sim.model`, cycle for cycle the
stub, through DPI-C) at -O3 like the others, a fourth the same profile-guided
(:data:`tlcim.sim.rtl.PROFILE`, what ``tlcim run`` and ``tlcim regress`` build for large
designs), a fifth bounds what any faster model of the macro could give: the periphery alone,
with every subarray a module whose outputs are inverted at every clock edge (a model that
costs nothing; outputs that never changed would let Verilator remove the logic that reads
them, which made earlier versions of this bound too high; its results differ from golden,
as they must).
"""

import sys
import time

from amaranth.hdl import Cat, Mux

from tlcim.golden import Config
from tlcim.sim import rtl

from .batches import alternate, batch_parser, compare


def per_cell_copy_rows(codes, faults, sram, ok):
    """The baseline: :meth:`tlcim.hw.reram_array.ReramArray.copy_rows` written per cell, as the
    model was before (same results; a dozen operations per cell and cycle)."""
    width = len(codes)
    cells = width // 2
    left_ok = ok["precharge"] & ok["restore_left"] & ok["latch_left"]
    right_ok = ok["precharge"] & ok["restore_right"] & ok["latch_right"]
    sensed, programmed = [], []
    for c in range(cells):
        code = codes[2 * c:2 * c + 2]
        stored = Cat(~code[0] & ~code[1], ~code[0] & code[1], code[0] & code[1])
        xor = Mux(stored[0], faults[2 * c:2 * c + 2],
                  Mux(stored[1], faults[width + 2 * c:width + 2 * c + 2],
                      Mux(stored[2], faults[2 * width + 2 * c:2 * width + 2 * c + 2], 0)))
        read = code ^ xor
        sensed.append(Cat(~read[0] | ~left_ok, ~read[1] | ~right_ok))
        sq1, sq2 = sram[2 * c], sram[2 * c + 1]
        new = Mux(ok["store_set"], Cat(~sq1 & ~sq2, ~sq2), 0)
        programmed.append(Mux(ok["store_reset"], new, new | code))
    return Cat(*sensed), Cat(*programmed)


def builds(config):
    """Return ``{"rows": Build, "per cell": Build, "cpp": Build, "cpp profile": Build,
    "periphery": Build}``: the bulk-harness builds of the stub as it is, of its per-cell
    baseline, of the C++ model (at -O3 and profile-guided) and of the periphery alone (cached
    like every simulator build)."""
    from tlcim.hw import reram_array
    from tlcim.hw.generate import simulation_sources
    from tlcim.sim import model
    result = {"rows": rtl.build_harness(config, sources=simulation_sources(config),
                                        variant="stub-rows", optimise=True)}
    saved = reram_array.ReramArray.copy_rows
    reram_array.ReramArray.copy_rows = staticmethod(per_cell_copy_rows)
    try:
        sources = simulation_sources(config)
    finally:
        reram_array.ReramArray.copy_rows = saved
    result["per cell"] = rtl.build_harness(config, sources=sources, variant="stub-per-cell",
                                           optimise=True)
    for name, optimise in (("cpp", True), ("cpp profile", rtl.PROFILE)):
        result[name] = rtl.build_harness(config, sources=model.sources(config), variant="cpp",
                                         optimise=optimise)
    result["periphery"] = rtl.build_harness(config, sources=periphery_sources(config),
                                            variant="periphery", optimise=True)
    return result


def periphery_sources(config):
    """Return the sources of ``config`` with every subarray a ``tlcim_subarray`` whose outputs
    are inverted at every clock edge: the periphery's own simulation cost, an upper bound for
    any model of the macro."""
    from tlcim.hw.generate import blackbox_declaration, verilog_text
    return {"tlcim_top.v": verilog_text(config, blackbox=True),
            "tlcim_subarray.v": blackbox_declaration(config, stand_in=True)}


def main(argv=None):
    args = batch_parser("bench_stub", __doc__, batch=64, rounds=2).parse_args(argv or [])
    config = Config.preset(args.config)
    start = time.perf_counter()
    built = builds(config)
    print(f"{args.config}: every model built in {time.perf_counter() - start:.0f} s",
          flush=True)
    figures, best = alternate(config, built, args.batch, args.rounds)
    ratio, _, _, text = compare(figures, best, "per cell", "rows")
    print(f"{args.config}, bulk harness, MVM batch of {args.batch}, the stub's copy logic: "
          f"{text}", flush=True)
    cpp, _, _, text = compare(figures, best, "rows", "cpp")
    print(f"{args.config}, the C++ model (tlcim.sim.model) against the stub: {text}",
          flush=True)
    profiled, _, _, text = compare(figures, best, "rows", "cpp profile")
    print(f"{args.config}, the C++ model, profile-guided build, against the stub: {text}",
          flush=True)
    bound, _, _, text = compare(figures, best, "rows", "periphery")
    print(f"{args.config}, the periphery alone (subarrays whose outputs toggle), a bound for any "
          f"model of the macro: {text}", flush=True)
    return {"config": args.config, "batch": args.batch, "runs": figures, "best": best,
            "ratio": ratio, "cpp": cpp, "cpp_profile": profiled, "bound": bound}


if __name__ == "__main__":
    main(sys.argv[1:])
