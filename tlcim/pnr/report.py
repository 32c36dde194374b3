"""``pnr.json``: the figures of a placed and routed design and its checks.

Keys (lengths in um, times in s, slacks in ns):

- ``config``, ``library``, ``clock_mhz``;
- ``die_um`` ``[width, height]``, ``core_um`` ``[width, height]``, ``utilization`` (standard
  cell area over core area, as placed), ``die_utilization`` (cells and macros over the die);
- ``cells`` (standard cells, ties and buffers included, fill not), ``buffers`` (added by the
  buffer trees), ``fill_cells``, ``macros`` (macro
  instances in the layout), ``nets``;
- ``unrouted_nets`` (``router``: qrouter's final count of failed nets; ``def``: nets of the
  routed DEF with two or more connections and no wire; ``detached``: nets whose final route
  qrouter could not attach to a pin at one end, :func:`tlcim.pnr.route.detached_nets`;
  ``open``: nets whose connections the layout's shapes do not all join,
  :mod:`tlcim.pnr.connectivity`),
  ``shorts`` (pairs of nets, or a net and a pin no net connects to or an obstruction, whose
  shapes touch) and ``short_examples``,
  ``routing`` (``strips``: how many strips of rows qrouter routed in, 1 for the whole die at
  once, :mod:`tlcim.pnr.regions`; ``passes``: each phase's failed nets after each pass;
  ``phases_s``: each phase's time), ``drc_errors`` and ``drc_rules`` (see below),
  ``wirelength_um`` (signal nets; ``power_um`` the power grid's wires), ``vias``;
- ``wns_ns``, ``tns_ns``, ``hold_wns_ns``, ``fmax_mhz``, the worst paths' end points;
  ``hold_fix``: hold fixed after routing (:mod:`tlcim.pnr.hold`): ``margin_ns`` (the hold
  slack asked for), ``rounds``, ``endpoints`` buffered and ``buffers`` added (``cells``
  counts them too);
- ``lvs``: netgen's verdict on the routed netlist against the synthesised one;
- ``checks``: each check's outcome; ``steps_s`` and ``runtime_s``; ``files``.

``drc_errors`` is magic's count of design-rule errors in the routed layout against the
library's rule deck (:mod:`tlcim.pnr.drc`), ``drc_rules`` the count of each rule; the cells
and the macro are LEF abstracts (the library has no cell layouts), so their insides are not
checked (docs/pnr.md).
"""

__all__ = ["check", "build", "summary"]


def _round(value, digits=3):
    return round(float(value), digits)


def check(*, router_failed, opens, shorts, drc_errors, lvs_match, wns_ns, hold_wns_ns,
          hold_margin_ns=0.0):
    """Return ``{check: passed}``: every net routed (qrouter's count of failed nets is 0 and
    no net is ``opens``, by the DEF, qrouter's log or the shapes), no routing conflicts (no
    failed nets, no ``shorts``), no DRC errors, LVS match, setup met, hold met (a slack of at
    least ``hold_margin_ns``)."""
    return {
        "every net routed": router_failed == 0 and not opens,
        "no routing conflicts": router_failed == 0 and not shorts,
        "no DRC errors": drc_errors == 0,
        "lvs match": bool(lvs_match),
        "setup met": wns_ns >= 0,
        "hold met": hold_wns_ns >= hold_margin_ns,
    }


def build(*, config, inputs, netlist, lef, built, routed, routing, shapes, drc, timed,
          compared, hold_fix, utilization, buffers, times, runtime, files):
    """Return the report (a dict) of one run (``routing``: the
    :class:`tlcim.pnr.regions.Routing` qrouter made, ``shapes``: the
    :class:`tlcim.pnr.connectivity.Connectivity` of the routed layout)."""
    router_failed, detached = len(routing.failed), routing.detached
    plan = built.plan
    core_w, core_h = plan.core[2] - plan.core[0], plan.core[3] - plan.core[1]
    cell_area = sum(lef.macros[cell.cell].area for cell in netlist.cells)
    macro_area = sum(lef.macros[macro.cell].area for macro in netlist.macros)
    die_w, die_h = plan.die
    unrouted_def = routed.unrouted()
    # Nets open by the DEF, qrouter's log or the shapes.
    opens = sorted(set(unrouted_def) | set(detached) | set(shapes.opens))
    fills = sum(1 for cell in routed.components.values() if cell == "FILL")
    macros_placed = sum(1 for name in routed.components if name in
                        {macro.name for macro in netlist.macros})
    vias = sum(net.vias for net in routed.nets.values())
    drc_total, drc_rules = drc
    checks = check(router_failed=router_failed, opens=opens, shorts=shapes.shorts,
                   drc_errors=drc_total, lvs_match=compared["match"], wns_ns=timed.wns_ns,
                   hold_wns_ns=timed.hold_wns_ns, hold_margin_ns=hold_fix["margin_ns"])
    return {
        "config": config.to_dict(),
        "library": inputs.library,
        "clock_mhz": inputs.clock_mhz,
        "die_um": [_round(die_w, 2), _round(die_h, 2)],
        "core_um": [_round(core_w, 2), _round(core_h, 2)],
        "utilization": _round(cell_area / (core_w * core_h)),
        "utilization_asked": utilization,
        "die_utilization": _round((cell_area + macro_area) / (die_w * die_h)),
        "cell_area_um2": _round(cell_area, 1),
        "macro_area_um2": _round(macro_area, 1),
        "cells": len(netlist.cells),
        "buffers": buffers,
        "fill_cells": fills,
        "macros": macros_placed,
        "nets": len(routed.nets),
        "unrouted_nets": max(router_failed, len(opens)),
        "unrouted": {"router": router_failed, "def": len(unrouted_def),
                     "detached": len(detached), "open": len(shapes.opens),
                     "examples": opens[:10]},
        "routing": {"strips": routing.strips, "passes": list(routing.counts),
                    "phases_s": {name: _round(seconds, 1)
                                 for name, seconds in routing.times.items()}},
        "shorts": len(shapes.shorts),
        "short_examples": [list(pair) for pair in shapes.shorts[:10]],
        "drc_errors": drc_total,
        "drc_rules": drc_rules,
        "wirelength_um": _round(routed.length, 1),
        "power_um": _round(routed.special_length, 1),
        "vias": vias,
        "wns_ns": timed.wns_ns,
        "tns_ns": timed.tns_ns,
        "hold_wns_ns": timed.hold_wns_ns,
        "hold_fix": dict(hold_fix),
        "fmax_mhz": _round(timed.fmax_mhz, 2),
        "worst_setup_path": list(timed.setup_path),
        "worst_hold_path": list(timed.hold_path),
        "lvs": dict(compared),
        "checks": checks,
        "steps_s": {name: _round(seconds, 1) for name, seconds in times.items()},
        "runtime_s": _round(runtime, 1),
        "files": {key: name for key, name in files.items() if key != "report"},
    }


def summary(result):
    """Return a few lines summing up a report."""
    die = result["die_um"]
    lines = [
        f"die {die[0]:.0f} x {die[1]:.0f} um, {result['cells']:,} cells at utilisation "
        f"{result['utilization']:.2f}, {result['macros']} macros",
        f"routed: {result['wirelength_um'] / 1000:,.1f} mm of wire, "
        f"{result['unrouted_nets']} unrouted nets, {result['shorts']} shorts, "
        f"{result['drc_errors']} DRC errors",
        f"timing at {result['clock_mhz']:g} MHz: setup WNS {result['wns_ns']:+.3f} ns, "
        f"hold WNS {result['hold_wns_ns']:+.3f} ns, Fmax {result['fmax_mhz']:.1f} MHz" + (
            f" ({result['hold_fix']['buffers']} hold buffers added after routing)"
            if result["hold_fix"]["buffers"] else ""),
        f"LVS: {result['lvs']['message']}",
        f"{result['runtime_s']:.0f} s: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds
                                                  in result["steps_s"].items()),
    ]
    return "\n".join(lines)
