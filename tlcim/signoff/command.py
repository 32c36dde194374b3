"""``tlcim signoff``: the periphery on real standard cells, timed, proven and reported.

:func:`signoff` writes into ``DIR`` the files of the implementation
(:data:`tlcim.signoff.flow.FILES`: mapped netlist, SDC, cell Liberty, the three macro views,
the OpenSTA script and its reports, all relative to ``DIR`` so ``cd DIR && sta sta/sta.tcl``
reruns the timing on exactly these files) and ``signoff.json`` (:func:`signoff_report`):

- ``library``, ``clock_mhz``; setup ``wns_ns``/``tns_ns``, ``hold_wns_ns``, ``fmax_mhz``
  (OpenSTA, typical corner), ``transition_violations``;
- ``area_um2`` (standard cells only, the macros excluded), ``cells``, ``flops`` (of the
  netlist signed off: hold buffers included), and beside
  them ``ge_estimate``: the gate equivalents ``tlcim synth`` counts for the same periphery, the
  28 nm area it assumes for them, and ``scale``, the ratio of the real area to that estimate
  (compare ``node_scale``, the square of the feature sizes);
- ``worst_paths``: the worst setup path ending in each block (start and end named by block,
  :func:`tlcim.signoff.sta.block_of`);
- ``equivalence``: ``{"method", "proven", ...}`` of :func:`tlcim.signoff.equivalence.prove`;
- ``gls``: how the gate-level simulation of this netlist is run and what the test suite
  checks (``signoff`` itself does not simulate);
- ``files``: the paths of ``netlist``, ``sdc``, ``cell_lib``, ``macro_lib``, ``macro_lef``,
  ``macro_verilog`` (and ``sta_script``) relative to ``DIR``.

Refused before anything is written (``ValueError``, exit 2): a clock that is not a positive
finite number, a missing cell library or OpenSTA or yosys (naming the Debian package), a
macro that cannot be described.
"""

import hashlib
import json
import time

from tlcim.files import output_dir, write_json, write_text

__all__ = ["DEFAULT_CLOCK_MHZ", "WORST_PATHS", "ge_estimate", "worst_paths", "signoff_report",
           "signoff"]

#: The sign-off clock (the issue's target on osu018 typical).
DEFAULT_CLOCK_MHZ = 100.0
#: How many worst paths (one per end block) ``signoff.json`` lists.
WORST_PATHS = 12


def ge_estimate(config, *, progress=print):
    """Return ``tlcim synth``'s estimate of the whole periphery of ``config``: ``{"ge",
    "um2_28nm", "um2_per_ge"}`` (the generic library's gate equivalents, memories included,
    and the area at 28 nm they stand for). Cached beside the mappings: it is a yosys run."""
    from tlcim.cost.constants import PAPER_CONSTANTS
    from tlcim.hw.generate import generated_files
    from tlcim.synth import periphery_top, total_ge
    from tlcim.yosys import synthesise
    from .mapping import cache_root
    key = hashlib.sha256(generated_files(config)["tlcim_top_blackbox.v"].encode()).hexdigest()
    path = cache_root() / f"ge-{key[:20]}.json"
    if path.exists():
        ge = json.loads(path.read_text())["ge"]
    else:
        progress("counting gate equivalents as tlcim synth does ...")
        ge = round(total_ge(synthesise(periphery_top(config))), 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, json.dumps({"ge": ge}))
    per_ge = PAPER_CONSTANTS.um2_per_ge
    return {"ge": ge, "um2_per_ge": per_ge, "um2_28nm": round(ge * per_ge, 1)}


def worst_paths(paths, blocks, count=WORST_PATHS):
    """Return the worst path ending in each block, worst first, at most ``count``.

    ``paths`` are ``(startpoint, endpoint, slack_ns)`` (:attr:`tlcim.signoff.sta.Timing.
    setup_paths`), ``blocks`` :func:`tlcim.signoff.sta.module_blocks`. Each entry is ``{"from",
    "to", "startpoint", "endpoint", "slack_ns"}`` (``from``/``to``: the blocks).
    """
    from .sta import block_of
    worst = {}
    for start, end, slack in paths:
        block = block_of(end, blocks)
        if block not in worst or slack < worst[block]["slack_ns"]:
            worst[block] = {"from": block_of(start, blocks), "to": block,
                            "startpoint": start, "endpoint": end, "slack_ns": slack}
    return sorted(worst.values(), key=lambda entry: entry["slack_ns"])[:count]


def signoff_report(implementation, equivalence, estimate):
    """Return the ``signoff.json`` dict (see the module docstring) of an
    :class:`tlcim.signoff.flow.Implementation`, its equivalence result and ``ge_estimate``."""
    from .flow import FILES, cell_areas, netlist_instances
    from .gls import GLS_CLOCK_MHZ
    from .sta import module_blocks
    impl, timing = implementation, implementation.timing
    technology = impl.technology
    # Counted on the netlist signed off: the mapping's figures plus the hold buffers.
    areas = cell_areas(impl.path("cell_lib").read_text())
    instances = netlist_instances(impl.path("netlist"), areas)
    area = sum(areas[kind] for kind, _ in instances)
    return {
        "config": impl.config.to_dict(),
        "library": f"{technology.name} ({technology.node_nm} nm, {technology.corner})",
        "clock_mhz": impl.clock_mhz,
        "wns_ns": timing.setup_wns_ns,
        "tns_ns": timing.setup_tns_ns,
        "hold_wns_ns": timing.hold_wns_ns,
        "hold_tns_ns": timing.hold_tns_ns,
        "fmax_mhz": round(timing.fmax_mhz, 2),
        "met": timing.setup_wns_ns >= 0 and timing.hold_wns_ns >= 0,
        "transition_violations": timing.transition_violations,
        "area_um2": round(area, 1),
        "cells": len(instances),
        "flops": sum(kind == technology.flop for kind, _ in instances),
        "hold_buffers": impl.hold_buffers,
        "ge_estimate": {**estimate,
                        "scale": round(area / estimate["um2_28nm"], 2),
                        "node_scale": round((technology.node_nm / 28) ** 2, 2)},
        "worst_paths": worst_paths(timing.setup_paths, module_blocks(impl.config)),
        "equivalence": equivalence,
        "gls": {"run": False, "clock_mhz": GLS_CLOCK_MHZ,
                "command": "tlcim run --config C --target gls:icarus --script S.json --out D",
                "checked": "tests/test_signoff_gls.py: a session on this netlist equals "
                           "--target golden (small; paper with --long)"},
        "files": {key: FILES[key] for key in FILES},
    }


def signoff(config, out, clock_mhz=DEFAULT_CLOCK_MHZ, force=False):
    """``tlcim signoff``: implement ``config`` at ``clock_mhz`` and write ``out`` (see the
    module docstring).

    Raises
    ------
    ValueError
        Refused input (nothing written): the clock, a missing library or tool, the macro,
        or ``out`` (:class:`tlcim.files.Outputs`).
    RuntimeError
        If yosys or OpenSTA fails.
    """
    from tlcim.export import check_clock
    from .equivalence import prove
    from .flow import FILES, implement
    from .library import find_abc, find_library, find_sta
    from .views import describe_macro
    started = time.monotonic()
    clock_mhz = check_clock(clock_mhz)
    find_library(), find_sta(), find_abc()  # refused before any work
    describe_macro(config)
    with output_dir(out, force=force) as temp:
        progress = lambda line: print(line, flush=True)  # noqa: E731
        impl = implement(config, clock_mhz, progress=progress)
        equivalence = prove(impl, progress=progress)
        report = signoff_report(impl, equivalence, ge_estimate(config, progress=progress))
        for key, name in FILES.items():
            write_text(temp / name, impl.path(key).read_text())
        for report_file in sorted((impl.folder / "sta").glob("*.rpt")):
            write_text(temp / "sta" / report_file.name, report_file.read_text())
        write_json(temp / "signoff.json", report)
    print(f"{report['library']} at {clock_mhz:g} MHz: setup WNS {report['wns_ns']:+.3f} ns, "
          f"hold WNS {report['hold_wns_ns']:+.3f} ns, Fmax {report['fmax_mhz']:.1f} MHz, "
          f"{report['area_um2']:,.0f} um^2 in {report['cells']:,} cells "
          f"({report['flops']:,} flip-flops); equivalence "
          f"{'proven' if equivalence['proven'] else 'NOT proven'} ({equivalence['method']})")
    print(f"wrote {out} in {time.monotonic() - started:.1f} s")
