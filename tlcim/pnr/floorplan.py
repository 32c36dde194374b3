"""The floorplan: standard-cell rows for the periphery, the subarray macros in a row above them.

::

        +----------------------------------------------+  die top
        |   margin (room for the macros' north pins)    |
        |  +-----------+    gap    +-----------+        |
        |  |  macro 0  |           |  macro 1  |        |  macros, FIXED, pins facing down
        |  +-----------+           +-----------+        |
        |     channel: the macro pins' wires to the core |
        |  +------------------------------------------+  |
        |  |  core: rows of standard cells at the      |  |
        |  |  chosen utilisation, power stripes        |  |
        |  +------------------------------------------+  |
        |   margin: the top-level I/O pins on the bottom edge
        +----------------------------------------------+

Why so: graywolf places standard cells in rows but cannot hold these macros (its mixed
mode crashes on them: docs/pnr.md), so the periphery is placed alone in a rectangular core
and the macros sit outside it, where nothing else is placed. They face the core with the edge
that carries most of their pins (orientation ``N`` for pins on the south edge, ``FS`` when
they are on the north edge); every net that reaches a macro is given to the placer as a pin
on the core's top edge right below the macro pin it goes to, so the cells that drive or read
the macros are pulled under them and the wires across the channel stay short. Pins on a side
edge face the gap beside the macro; pins on the far edge are reached around it (over the
macro on the metal layers its obstructions leave free).
"""

import dataclasses
import math

__all__ = ["CHANNEL_UM", "GAP_UM", "MARGIN_UM", "MacroSlot", "Floorplan", "plan",
           "check_utilization", "snap_up",
           "pin_edge", "macro_pin_position", "macro_pads"]

#: Height of the routing channel between the core's top row and the macros, in um. Every
#: macro pin is reached from below on its own vertical track; at 30 um, wires to every other
#: pin of a bus failed to route on the reduced configuration.
CHANNEL_UM = 60.0
#: Space between neighbouring macros (for the pins on their side edges), in um.
GAP_UM = 40.0
#: Space between the die edge and the core or the macros, in um (the I/O pins' wires below
#: the core, the macros' far-edge pins above them).
MARGIN_UM = 20.0


def pin_edge(macro, pin):
    """Return the edge of LEF ``macro`` (``"S"``, ``"N"``, ``"W"``, ``"E"``) nearest to
    ``pin``'s centre, in the macro's own orientation."""
    x, y = pin.centre
    distances = {"S": y, "N": macro.height - y, "W": x, "E": macro.width - x}
    return min(distances, key=lambda edge: (distances[edge], edge))


@dataclasses.dataclass(frozen=True)
class MacroSlot:
    """Where one macro instance goes: ``instance``, ``cell`` (its LEF macro), lower-left
    corner ``x``, ``y`` in um and DEF orientation ``orient`` (``N`` or ``FS``)."""

    instance: str
    cell: str
    x: float
    y: float
    orient: str


def macro_pin_position(slot, macro, pin):
    """Return ``(x, y, edge)`` of ``pin`` of ``macro`` placed in ``slot``: its centre in die
    coordinates and the die-facing edge it sits on (``"S"`` faces the core)."""
    x, y = pin.centre
    edge = pin_edge(macro, pin)
    if slot.orient == "FS":  # mirrored about the x axis: north and south swap
        y = macro.height - y
        edge = {"N": "S", "S": "N"}.get(edge, edge)
    return slot.x + x, slot.y + y, edge


@dataclasses.dataclass(frozen=True)
class Floorplan:
    """The planned geometry, in um (origin at the die's lower left).

    Members
    -------
    rows : int
        Standard-cell rows of the core.
    row_height, site_width : float
    core : tuple
        ``(x0, y0, x1, y1)`` of the core as planned (the placer may end a little shorter).
    die : tuple
        ``(width, height)``.
    macros : tuple of MacroSlot
    utilization : float
        Standard-cell area over core area, as asked for.
    """

    rows: int
    row_height: float
    site_width: float
    core: tuple
    die: tuple
    macros: tuple
    utilization: float

    def top_fraction(self, x):
        """Position of ``x`` along the core's top edge, from 0 (left) to 1 (right)."""
        x0, _, x1, _ = self.core
        return min(1.0, max(0.0, (x - x0) / (x1 - x0)))


def check_utilization(utilization):
    """Raise ``ValueError`` unless ``utilization`` is a number in (0, 1) (a full core leaves
    the router no room, and the fill cells no place)."""
    if not isinstance(utilization, (int, float)) or isinstance(utilization, bool) or \
            not 0 < utilization < 1:
        raise ValueError(f"utilization must be a number in (0, 1), not {utilization!r}")


def snap_up(value, step):
    """Return ``value`` rounded up to a multiple of ``step`` (a millionth of a step below
    one counts as on it: the sums of floating-point micrometres are not exact)."""
    return math.ceil(round(value / step, 6)) * step


def plan(cell_area, macros, lef, utilization):
    """Plan the floorplan.

    Parameters
    ----------
    cell_area : float
        Total area of the standard cells, in um^2.
    macros : list of (instance name, LEF macro)
        The macros, in the order they go from left to right.
    lef : tlcim.pnr.lef.Lef
        For the site.
    utilization : float
        Standard-cell area over core area, in (0, 1).

    Raises
    ------
    ValueError
        If ``utilization`` is not in (0, 1).
    """
    check_utilization(utilization)
    site_width, row_height = lef.site
    core_area = cell_area / utilization
    span = sum(macro.width for _, macro in macros) + GAP_UM * max(0, len(macros) - 1)
    # A square core, or one as wide as the macros above it if they are wider.
    width = max(math.sqrt(core_area), min(span, core_area / (4 * row_height)))
    rows = max(1, math.ceil(core_area / width / row_height))
    width = snap_up(core_area / (rows * row_height), site_width)
    x0 = MARGIN_UM + max(0.0, (span - width) / 2)
    y0 = MARGIN_UM
    core = (x0, y0, x0 + width, y0 + rows * row_height)
    # Macros centred over the core, on the site grid, facing it with their pin edge.
    left = snap_up(x0 + width / 2 - span / 2, site_width) if macros else x0
    top = core[3] + CHANNEL_UM
    slots, x = [], left
    height = 0.0
    for name, macro in macros:
        edges = [pin_edge(macro, pin) for pin in macro.signal_pins()]
        orient = "FS" if edges.count("N") > edges.count("S") else "N"
        slots.append(MacroSlot(name, macro.name, x, snap_up(top, row_height), orient))
        x = snap_up(x + macro.width + GAP_UM, site_width)
        height = max(height, macro.height)
    die_width = snap_up(max(core[2], x - GAP_UM if macros else 0) + MARGIN_UM, site_width)
    die_height = snap_up((slots[0].y + height if macros else core[3]) + MARGIN_UM, row_height)
    return Floorplan(rows, row_height, site_width, core, (die_width, die_height),
                     tuple(slots), utilization)


def macro_pads(netlist, lef, plan):
    """Return ``{net: fraction}``: every net that reaches a macro and is not a top-level
    port, with the place along the core's top edge (0 left, 1 right) that faces the first
    macro pin on it: under a pin on the facing edge or the far edge, in the gap beside the
    macro for a pin on a side edge."""
    ports = netlist.port_bits()
    slots = {slot.instance: slot for slot in plan.macros}
    pads = {}
    for instance in netlist.macros:
        slot, macro = slots[instance.name], lef.macros[instance.cell]
        for pin, net in instance.pins.items():
            if net in ports or net in pads or net in (netlist.ground, netlist.power):
                continue
            x, _, edge = macro_pin_position(slot, macro, macro.pins[pin])
            if edge == "W":
                x = slot.x - GAP_UM / 2
            elif edge == "E":
                x = slot.x + macro.width + GAP_UM / 2
            pads[net] = plan.top_fraction(x)
    return pads
