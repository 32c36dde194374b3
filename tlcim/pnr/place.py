"""Standard-cell placement of the periphery with graywolf (TimberWolfSC).

:func:`cel_text` writes graywolf's netlist (``.cel``) from the netlist and the LEF: every
standard cell with its pins (as qflow's ``blif2cel`` writes them), the top-level ports as
pads restricted to the bottom edge, and every net that reaches a macro as a pad fixed on the
top edge below the macro pin (:mod:`tlcim.pnr.floorplan`). Utilisation below 100 % is made as
qflow's ``decongest`` does: each cell is widened by the same share (its width over the
utilisation, on the site grid), so the free space spreads evenly; the cell then sits at the
left end of its box (the right end when mirrored).

:func:`par_text` takes the library's graywolf parameters (``osu018.par``) with three changes:
the number of rows (the floorplan's), graywolf's own global routing off (qrouter routes; that
phase looped for many minutes on these designs) and the annealing speed-up ``TWSC*fast``
(fewer moves per temperature: graywolf's run time scales with it, the placement degrades
slowly). :func:`read_placement` reads back the cells' positions (``.pl1``).
"""

import dataclasses
import math
import re

__all__ = ["UNITS", "FAST", "CellBox", "cel_text", "par_text", "read_placement"]

#: graywolf's database units per um (the .cel file's), as qflow writes them for osu018.
UNITS = 100
#: graywolf's annealing speed-up (``TWSC*fast``): about 5 s of placement per thousand cells
#: on the development machine, against 1,700 s for 19,000 cells at qflow's default of 1.
FAST = 4
#: Pad outline (half width, half height) in database units: a pin of one metal2 track.
_PAD = (40, 50)


@dataclasses.dataclass(frozen=True)
class CellBox:
    """A placed standard cell: ``instance``, ``cell``, lower-left ``x``, ``y`` in um in the
    core's coordinates (origin at the core's lower left), DEF orientation ``orient``."""

    instance: str
    cell: str
    x: float
    y: float
    orient: str


def _units(um):
    return int(round(um * UNITS))


def padded_width(width, utilization, site_width):
    """The width a cell of ``width`` um takes in placement: ``width / utilization`` on the
    site grid."""
    return math.ceil(round(width / utilization / site_width, 6)) * site_width


def cel_text(netlist, lef, plan, macro_pads):
    """Return graywolf's ``.cel`` text.

    Parameters
    ----------
    netlist : tlcim.pnr.netlist.GateNetlist
    lef : tlcim.pnr.lef.Lef
    plan : tlcim.pnr.floorplan.Floorplan
        For the utilisation and the site.
    macro_pads : dict
        ``{net: fraction}``: the nets that reach a macro, each with its place along the top
        edge (0 left, 1 right).
    """
    lines = []
    for index, cell in enumerate(netlist.cells):
        macro = lef.macros[cell.cell]
        width = padded_width(macro.width, plan.utilization, plan.site_width)
        half_w, half_h = _units(width) // 2, _units(macro.height) // 2
        lines += [f"cell {index} {cell.name}",
                  f"left {-half_w} right {_units(width) - half_w} bottom {-half_h} "
                  f"top {_units(macro.height) - half_h}"]
        for pin, net in cell.pins.items():
            if net in (netlist.ground, netlist.power):
                continue
            x, y = macro.pins[pin].centre
            lines.append(f"pin name {pin} signal {net} layer 1 {_units(x) - half_w} "
                         f"{_units(y) - half_h}")
    pad = 0
    corners = f"corners 4 {-_PAD[0]} {-_PAD[1]} {-_PAD[0]} {_PAD[1]} {_PAD[0]} {_PAD[1]} " \
              f"{_PAD[0]} {-_PAD[1]}"
    for bit in netlist.port_bits():
        pad += 1
        lines += [f"pad {pad} name twpin_{bit}", corners, "restrict side B",
                  f"pin name {bit} signal {bit} layer 1 0 0"]
    for net, fraction in macro_pads.items():
        pad += 1
        lines += [f"pad {pad} name twpin_{net}", corners, "restrict side T",
                  f"sidespace {fraction:.4f}", f"pin name {net} signal {net} layer 1 0 0"]
    return "\n".join(lines) + "\n"


def par_text(library_par, rows, *, fast=FAST, seed=12345):
    """Return graywolf's parameters: the library's ``library_par`` text with ``rows`` rows,
    its global routing off, speed-up ``fast`` and random ``seed``."""
    keep = [line for line in library_par.splitlines()
            if not re.match(r"\s*(TWSC\*do\.global\.route|GENR\*numrows|TWSC\*fast|"
                            r"\*random\.seed)\b", line)]
    return "\n".join(keep + [
        "TWSC*do.global.route : off",
        f"GENR*numrows : {rows}",
        f"TWSC*fast : {fast}",
        f"*random.seed : {seed}",
    ]) + "\n"


#: graywolf's orientation codes -> DEF orientations.
_ORIENT = {"0": "N", "1": "FS", "2": "FN", "3": "S"}


def read_placement(pl1_text, netlist, lef, plan):
    """Return the placed cells (:class:`CellBox` list, core coordinates, each cell at its
    end of its padded box) and the pads' positions ``{pin: (x, side)}`` (x in um in core
    coordinates; side ``-1``... as graywolf numbers rows: pads have negative rows) from
    graywolf's ``.pl1``.

    Raises
    ------
    ValueError
        If a cell of the netlist is missing from the placement.
    """
    cells = {cell.name: cell for cell in netlist.cells}
    records, pads = [], {}
    for line in pl1_text.splitlines():
        words = line.split()
        if len(words) < 7:
            continue
        name, x0, y0, x1, y1, orient, row = words[:7]
        x0, y0, x1, y1 = (int(v) / UNITS for v in (x0, y0, x1, y1))
        if name.startswith("twpin_"):
            pads[name[len("twpin_"):]] = ((x0 + x1) / 2, int(row))
        elif name in cells:
            records.append((name, x0, y0, x1, orient))
    missing = set(cells) - {record[0] for record in records}
    if missing:
        raise ValueError(f"graywolf placed {len(records)} of {len(cells)} cells "
                         f"(missing e.g. {sorted(missing)[0]})")
    left = min(record[1] for record in records)
    bottom = min(record[2] for record in records)
    placed = []
    for name, x0, y0, x1, orient in records:
        cell = cells[name]
        width = lef.macros[cell.cell].width
        orient = _ORIENT.get(orient, "N")
        x = x1 - width if orient in ("FN", "S") else x0
        placed.append(CellBox(name, cell.cell, round(x - left, 4), round(y0 - bottom, 4),
                              orient))
    pads = {pin: (x - left, row) for pin, (x, row) in pads.items()}
    return placed, pads
