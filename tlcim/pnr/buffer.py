"""Buffer trees after placement: the clock tree, and every other net with too many sinks.

The mapping leaves the clock driving every flip-flop straight from its port, and a few nets
(resets, enables) with hundreds of sinks. Such a net is slow (its wire and pin capacitance on
one driver), skewed, and the router spends minutes on it alone. So every net with more than
``MAX_FANOUT`` sinks gets a tree of buffers built on the placement: the sinks are split in
halves along the longer side of their bounding box until each group has at most
``MAX_FANOUT``; a buffer at each group's centre drives it, and the buffers are grouped the
same way until the driver has at most ``MAX_FANOUT`` of them. Groups of the same size at
each level keep the clock's paths alike (a balanced tree, not a sign-off clock tree with
skew targets). The clock gets clock buffers, other nets data buffers. Each buffer goes into
the free site nearest its group's centre (the rows have room: the utilisation is below one).

The netlist that place and route then lays out, times and compares is the mapped one with
these buffers; ``pnr.json`` counts them (``buffers``).
"""

import dataclasses
import math

from .netlist import Instance
from .place import CellBox

__all__ = ["MAX_FANOUT", "CLOCK_BUFFER", "DATA_BUFFER", "Rows", "buffer_trees"]

#: Sinks one driver may have before the net gets a buffer tree.
MAX_FANOUT = 16
#: (cell, input, output) of the clock tree's buffers and of the other trees' (osu018).
CLOCK_BUFFER = ("CLKBUF1", "A", "Y")
DATA_BUFFER = ("BUFX4", "A", "Y")


class Rows:
    """The free sites of the core's rows (core coordinates, um): where new cells can go."""

    def __init__(self, cells, lef, plan, width):
        self.site, self.height, self.width = plan.site_width, plan.row_height, width
        self.used, self.orient = {}, {}
        for cell in cells:
            row = round(cell.y / self.height)
            self.used.setdefault(row, []).append(
                (cell.x, cell.x + lef.macros[cell.cell].width))
            self.orient.setdefault(row, "FS" if cell.orient in ("FS", "S") else "N")
        self.rows = max(self.used) + 1 if self.used else 1
        for spans in self.used.values():
            spans.sort()

    def _gaps(self, row):
        x = 0.0
        for start, end in self.used.get(row, []) + [(self.width, self.width)]:
            if start > x + 1e-6:
                yield x, start
            x = max(x, end)

    def take(self, x, y, width):
        """Reserve ``width`` um nearest to (``x``, ``y``); return ``(x, y, orient)``.

        Raises
        ------
        ValueError
            If no row has room.
        """
        target = min(max(0, round(y / self.height)), self.rows - 1)
        best = None
        for row in sorted(range(self.rows), key=lambda r: abs(r - target)):
            if best is not None and abs(row - target) * self.height > best[0]:
                break
            for start, end in self._gaps(row):
                if end - start < width - 1e-6:
                    continue
                left = min(max(x - width / 2, start), end - width)
                left = math.ceil(round(left / self.site, 6)) * self.site
                if left + width > end + 1e-6:
                    left = math.floor(round((end - width) / self.site, 6)) * self.site
                if left < start - 1e-6:
                    continue
                cost = abs(left + width / 2 - x) + abs(row - target) * self.height
                if best is None or cost < best[0]:
                    best = (cost, row, left)
        if best is None:
            raise ValueError(f"no free site of {width:g} um left in the core for a buffer")
        _, row, left = best
        self.used.setdefault(row, []).append((left, left + width))
        self.used[row].sort()
        return left, row * self.height, self.orient.get(row, "N")


def _split(sinks, limit):
    # Halve along the longer side until every group has at most ``limit`` sinks.
    if len(sinks) <= limit:
        return [sinks]
    xs = [s[2] for s in sinks]
    ys = [s[3] for s in sinks]
    axis = 2 if max(xs) - min(xs) >= max(ys) - min(ys) else 3
    ordered = sorted(sinks, key=lambda s: (s[axis], s[0], s[1]))
    half = len(ordered) // 2
    return _split(ordered[:half], limit) + _split(ordered[half:], limit)


def buffer_trees(netlist, lef, plan, cells, pads, *, clock_nets=("clk",),
                 max_fanout=MAX_FANOUT):
    """Return ``(netlist, cells, count)``: the netlist and placement with a buffer tree on
    every net of more than ``max_fanout`` sinks, and how many buffers were added.

    ``cells`` and ``pads`` come from :func:`tlcim.pnr.place.read_placement` (core
    coordinates); macro pins are placed by ``plan``.
    """
    from .floorplan import macro_pin_position
    x0, y0 = plan.core[0], plan.core[1]
    width = max(c.x + lef.macros[c.cell].width for c in cells)
    rows = Rows(cells, lef, plan, width)
    where = {c.instance: c for c in cells}
    slots = {slot.instance: slot for slot in plan.macros}

    def position(instance, pin):
        # Core coordinates of a pin: cell pins at their cell's centre, macro pins exactly.
        if instance == "PIN":
            return pads.get(pin, (width / 2, 0))[0], 0.0
        if instance in where:
            cell = where[instance]
            macro = lef.macros[cell.cell]
            return cell.x + macro.width / 2, cell.y + macro.height / 2
        slot = slots[instance]
        macro = lef.macros[slot.cell]
        x, y, _ = macro_pin_position(slot, macro, macro.pins[pin])
        return x - x0, y - y0

    pins = {instance.name: dict(instance.pins) for instance in netlist.instances()}
    outputs = {instance.name: instance.outputs for instance in netlist.instances()}
    added, placed = [], list(cells)
    for net, connections in netlist.nets().items():
        sinks = [(instance, pin) + position(instance, pin) for instance, pin in connections
                 if not (instance == "PIN" and netlist.port_bits()[pin] == "input")
                 and not (instance != "PIN" and pin in outputs[instance])]
        if len(sinks) <= max_fanout:
            continue
        cell, pin_in, pin_out = CLOCK_BUFFER if net in clock_nets else DATA_BUFFER
        size = lef.macros[cell].width
        level, count = sinks, 0
        while len(level) > max_fanout:
            upper = []
            for group in _split(level, max_fanout):
                count += 1
                name = f"{net}_buf{count}"
                branch = f"{net}_b{count}"
                cx = sum(s[2] for s in group) / len(group)
                cy = sum(s[3] for s in group) / len(group)
                x, y, orient = rows.take(cx, cy, size)
                for instance, pin, _, _ in group:
                    pins[instance][pin] = branch
                pins[name] = {pin_in: net, pin_out: branch}
                outputs[name] = frozenset([pin_out])
                added.append(Instance(name, cell, pins[name], outputs[name]))
                placed.append(CellBox(name, cell, x, y, orient))
                upper.append((name, pin_in, x + size / 2, y + rows.height / 2))
            level = upper
    if not added:
        return netlist, cells, 0
    rebuilt = [dataclasses.replace(instance, pins=pins[instance.name])
               for instance in netlist.cells]
    macros = [dataclasses.replace(instance, pins=pins[instance.name])
              for instance in netlist.macros]
    netlist = dataclasses.replace(netlist, cells=tuple(rebuilt + added), macros=tuple(macros))
    return netlist, placed, len(added)
