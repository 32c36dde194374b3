"""The placed layout the router takes: filled rows, I/O pins on tracks, the power grid and the
macros, written as one DEF.

From graywolf's placement (:mod:`tlcim.pnr.place`) and the floorplan
(:mod:`tlcim.pnr.floorplan`):

- the core is as wide as graywolf's longest row; every row is filled to that width with the
  library's fill cell (each gap, the padding of the utilisation included, becomes fill, so
  the rows' supply rails are continuous);
- the macros are centred over the core as placed (graywolf's rows may end a little longer
  than planned), ``FIXED``; every net that reaches them connects their pins directly: the
  pins the placer was given on the core's top edge are gone;
- the top-level pins go on the bottom edge on the first vertical routing layer's tracks, in
  the order graywolf put them (each on its own track);
- the power grid is qflow's ``addspacers.tcl`` (``-nostretch``: the cells stay where they
  are): stripes on the top metal every ``STRIPE_PITCH_UM`` with via stacks to the rails, and
  the ``vdd``/``gnd`` pins. Its ``VIAS``, ``SPECIALNETS`` and supply pins are taken into the DEF.
"""

import dataclasses

from . import deffile
from .deffile import Component, IoPin
from .floorplan import MARGIN_UM, snap_up

__all__ = ["FILL_CELL", "STRIPE_WIDTH_UM", "STRIPE_PITCH_UM", "Layout", "assemble",
           "power_def", "with_power"]

#: The library's fill cell (qflow's ``fillcell`` for osu018).
FILL_CELL = "FILL"
#: Power stripes: width and pitch in um (qflow's osu018 defaults, ``addspacers_options``).
STRIPE_WIDTH_UM, STRIPE_PITCH_UM = 2.0, 50.0


@dataclasses.dataclass(frozen=True)
class Layout:
    """The placed design before routing.

    Members
    -------
    plan : tlcim.pnr.floorplan.Floorplan
        The floorplan as built (core width from the placement, macros moved with it).
    components : tuple of Component
        Standard cells, fill and macros in die coordinates.
    pins : tuple of IoPin
    nets : dict
        ``{net: [(instance or "PIN", pin), ...]}``: every signal net, and the supply nets
        the tie buffers read.
    rows : tuple
        ``(name, site, x, y, orient, count, step)`` per row.
    """

    plan: object
    components: tuple
    pins: tuple
    nets: dict
    rows: tuple

    @property
    def cell_count(self):
        """Standard cells (not fill, not macros)."""
        return sum(1 for c in self.components if not c.fixed and c.cell != FILL_CELL)


def _snap(value, step):
    return round(value / step) * step


def assemble(netlist, lef, plan, cells, pads):
    """Return the :class:`Layout` of ``netlist`` from graywolf's placed ``cells`` and
    ``pads`` (:func:`tlcim.pnr.place.read_placement`) on floorplan ``plan``."""
    site, row_height = plan.site_width, plan.row_height
    x0, y0 = plan.core[0], plan.core[1]
    width = snap_up(max(c.x + lef.macros[c.cell].width for c in cells), site)
    rows = max(1, round(max(c.y for c in cells) / row_height) + 1)
    # Macros keep their place relative to the core's middle.
    shift = _snap((width - (plan.core[2] - plan.core[0])) / 2, site)
    slots = tuple(dataclasses.replace(slot, x=slot.x + shift) for slot in plan.macros)
    right = max([x0 + width] + [slot.x + lef.macros[slot.cell].width for slot in slots])
    die = (snap_up(right + MARGIN_UM, site), plan.die[1])
    plan = dataclasses.replace(plan, core=(x0, y0, x0 + width, y0 + rows * row_height),
                               rows=rows, macros=slots, die=die)
    components, by_row = [], {}
    for c in cells:
        components.append(Component(c.instance, c.cell, x0 + c.x, y0 + c.y, c.orient))
        by_row.setdefault(round(c.y / row_height), []).append(c)
    fill = lef.macros[FILL_CELL].width
    row_list = []
    for row in range(rows):
        placed = sorted(by_row.get(row, []), key=lambda c: c.x)
        # Rows alternate orientation (flipped rows share their rails with the one below).
        orient = placed[0].orient if placed else ("FS" if row % 2 == 0 else "N")
        orient = "FS" if orient in ("FS", "S") else "N"
        y = y0 + row * row_height
        row_list.append((f"ROW_{row}", lef.site_name, x0, y, orient,
                         int(round(width / site)), site))
        x = 0.0
        count = 0
        for c in placed + [None]:
            end = c.x if c is not None else width
            while x + fill <= end + 1e-6:
                components.append(Component(f"FILL_{row}_{count}", FILL_CELL, x0 + x, y,
                                            orient))
                count += 1
                x += fill
            if c is not None:
                x = max(x, c.x + lef.macros[c.cell].width)
    for slot in slots:
        components.append(Component(slot.instance, slot.cell, slot.x, slot.y, slot.orient,
                                    fixed=True))
    pins = _io_pins(netlist, lef, plan, pads)
    nets = netlist.nets()
    supply = {}
    for cell in netlist.cells:
        for pin, net in cell.pins.items():
            if net in (netlist.ground, netlist.power):
                supply.setdefault(net, []).append((cell.name, pin))
    nets.update(supply)
    return Layout(plan, tuple(components), tuple(pins), nets, tuple(row_list))


#: Half width and half height of the top-level pins, in um: a pad of the bottom layer larger
#: than the via landing on it and above its minimum area (0.2 um2 in osu018's SCN6M_SUBM
#: rules), which point pins left to the via's own pad alone.
_PIN_HALF_UM = (0.2, 0.4)


def _io_pins(netlist, lef, plan, pads):
    # The ports along the bottom edge, on the first vertical layer's tracks (so that each
    # leaves upwards on its own track), in graywolf's order.
    layer = next(layer for layer in lef.layers[1:] if not layer.horizontal)
    x0 = plan.core[0]
    order = sorted(netlist.port_bits().items(),
                   key=lambda item: (pads.get(item[0], (0.0, 0))[0], item[0]))
    first, last = 1, int((plan.die[0] - layer.offset) // layer.pitch) - 1
    # Every other track if they fit so (room for the wires between pins), else every one.
    step = 2 if (len(order) - 1) * 2 <= last - first else 1
    if (len(order) - 1) * step > last - first:
        raise ValueError(f"the {len(order)} top-level pins do not fit on the die's "
                         f"bottom edge ({plan.die[0]:g} um)")
    wanted = [int(round((x0 + pads.get(bit, (0.0, 0))[0] - layer.offset) / layer.pitch))
              for bit, _ in order]
    tracks = []
    for track in wanted:  # left to right, at least ``step`` apart
        tracks.append(max(track, first, tracks[-1] + step if tracks else first))
    for index in range(len(tracks) - 1, -1, -1):  # then back inside the right end
        bound = last if index == len(tracks) - 1 else tracks[index + 1] - step
        tracks[index] = min(tracks[index], bound)
    # Pins on the bottom layer, centred on a grid point one track above the die's edge, where
    # qflow's place2def puts its point pins: qrouter only recognises a route's start on a pin
    # of the layers the cells have pins on (metal1); on metal2 pins it lost the start of a
    # tenth of the I/O nets ("failure to find route start node").
    bottom = lef.layers[0]
    y = bottom.offset + bottom.pitch
    return [IoPin(bit, direction, layer.offset + track * layer.pitch, y, bottom.name,
                  *_PIN_HALF_UM)
            for (bit, direction), track in zip(order, tracks)]


def power_def(layout):
    """Return the DEF that qflow's ``addspacers.tcl`` takes to make the power grid: the
    core's rows and components only."""
    core = [c for c in layout.components if not c.fixed]
    return deffile.placed_def("power", layout.plan.die, layout.rows, (), core, (), {})


def with_power(layout, filled_text):
    """Return the VIAS, SPECIALNETS and supply pins of ``addspacers.tcl``'s output
    ``filled_text``, to go into the routed design's DEF: ``(vias, specialnets, pins)``,
    the pins as the text of their PINS entries."""
    sections = deffile.split_sections(filled_text)
    pins = sections.get("PINS", "")
    entries = [entry for entry in pins.split("\n- ")[1:]]
    supply = "".join("- " + entry.split("END PINS")[0].rstrip() + "\n" for entry in entries)
    return sections.get("VIAS", ""), sections.get("SPECIALNETS", ""), supply
