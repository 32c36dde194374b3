"""Connectivity extracted from the routed layout's shapes: opens and shorts.

The router's count of failed nets and LVS at netlist level both take the router's word for
what it connected; neither looks at the metal. This check does. From the routed DEF and the
LEF it draws every shape on the routing layers:

- each net's wires (``NETS``, and the short wires qrouter adds at pins in ``SPECIALNETS``) and
  vias (the LEF's and the DEF's via definitions);
- the supplies' wires and vias (``SPECIALNETS``: rails, stripes, via stacks);
- every pin of every component (the cells' and the macros' LEF pins moved to their placement
  and orientation; supply pins belong to the supply nets, pins no net connects to themselves)
  and the top-level pins;
- the components' obstructions (``OBS``: the macro's array on metal1-4).

Two shapes on one routing layer that overlap or touch are joined. Then:

- a net is **open** when its connections (two or more) are not all joined;
- two owners are **shorted** when shapes of theirs touch: two nets, a net and a pin no net
  connects to, or a net and a component's obstruction (shapes of one component are not
  compared with each other: the macro's obstruction covers its own pins).

Shapes are rectangles in DEF database units. A wire segment is its width wide and, as DEF
specifies for regular wiring, extends half its width past both end points; special wiring
ends flush, the reading that joins least. What it cannot see: the insides of the cells and of
the macro (the library has LEF abstracts only), and wires whose widths or ends differ from
what the DEF says.
"""

import collections
import dataclasses
import re

from .deffile import connections as net_connections
from .deffile import entries, placements, routes, split_sections
from .deffile import units as def_units

__all__ = ["Connectivity", "extract"]

#: Where a point ``(px, py)`` of a ``width`` x ``height`` cell lands for each DEF orientation,
#: relative to the placement point (the lower left corner of the placed cell).
_ORIENT = {
    "N": lambda px, py, w, h: (px, py),
    "S": lambda px, py, w, h: (w - px, h - py),
    "FN": lambda px, py, w, h: (w - px, py),
    "FS": lambda px, py, w, h: (px, h - py),
    "E": lambda px, py, w, h: (py, w - px),
    "W": lambda px, py, w, h: (h - py, px),
    "FE": lambda px, py, w, h: (py, px),
    "FW": lambda px, py, w, h: (h - py, w - px),
}

#: Two corners ``( x y ) ( x y )`` of a DEF rectangle.
_RECT = r"\(\s*(-?\d+)\s+(-?\d+)\s*\)\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)"

#: Height of the bands the layout is cut into for the search for touching shapes (DBU).
_BAND = 500


@dataclasses.dataclass(frozen=True)
class Connectivity:
    """What :func:`extract` found: ``opens`` (sorted net names), ``shorts`` (sorted pairs of
    owners: net names, ``instance/pin`` for pins no net connects to, ``instance (OBS)`` for
    obstructions) and ``shapes`` (how many rectangles were drawn)."""

    opens: tuple
    shorts: tuple
    shapes: int


class _Layout:
    """The shapes: parallel lists of layer, rectangle, joined group (union-find), owner and
    component (None for wires)."""

    def __init__(self):
        self.layer, self.rect, self.group, self.owner, self.component = [], [], [], [], []
        self.parent = []

    def node(self):
        """A new group of shapes that are joined in themselves (a via's pads, a pin's ports)."""
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def add(self, node, owner, layer, x0, y0, x1, y1, component=None):
        self.layer.append(layer)
        self.rect.append((x0, y0, x1, y1))
        self.group.append(node)
        self.owner.append(owner)
        self.component.append(component)

    def find(self, item):
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def touching(self):
        """Yield the pairs of shape indices on one layer that overlap or touch, each once."""
        bands = collections.defaultdict(list)
        for index, (layer, (x0, y0, x1, y1)) in enumerate(zip(self.layer, self.rect)):
            for band in range(y0 // _BAND, y1 // _BAND + 1):
                bands[layer, band].append(index)
        rect = self.rect
        for (_, band), members in bands.items():
            members.sort(key=lambda index: rect[index][0])
            active = []
            for index in members:
                x0, y0, x1, y1 = rect[index]
                active = [other for other in active if rect[other][2] >= x0]
                for other in active:
                    _, oy0, _, oy1 = rect[other]
                    if oy0 <= y1 and y0 <= oy1:
                        # Report a pair once: in the band where the overlap starts.
                        if max(y0, oy0) // _BAND == band:
                            yield other, index
                active.append(index)


def _placed(rects, units, x=0, y=0, orient="N", width=0.0, height=0.0):
    # LEF rectangles (um, in a cell's or a via's own coordinates) placed at (x, y) (DBU) in
    # ``orient``: (layer, x0, y0, x1, y1) in DBU.
    move, out = _ORIENT[orient], []
    for rect in rects:
        ax, ay = move(rect.x0, rect.y0, width, height)
        bx, by = move(rect.x1, rect.y1, width, height)
        out.append((rect.layer, x + round(min(ax, bx) * units), y + round(min(ay, by) * units),
                    x + round(max(ax, bx) * units), y + round(max(ay, by) * units)))
    return out


def extract(text, lef, *, power="vdd", ground="gnd"):
    """Draw the shapes of the routed DEF ``text`` and return its :class:`Connectivity`.

    ``lef`` (:class:`tlcim.pnr.lef.Lef`) gives the cells', the macros' and the vias' shapes
    and the layers' wire widths; ``power`` and ``ground`` are the supply nets (the cells'
    ``USE POWER`` and ``USE GROUND`` pins belong to them).

    Raises
    ------
    ValueError
        The DEF uses a via, a cell or a pin that neither it nor ``lef`` defines or an
        orientation DEF does not have, or a net connects to a component or a top-level pin
        the DEF does not place.
    """
    units = def_units(text)
    routing = {layer.name for layer in lef.layers}
    widths = {layer.name: round(layer.width * units) for layer in lef.layers}
    sections = split_sections(text)
    shapes = _Layout()

    vias = {name: _placed(rects, units) for name, rects in lef.vias.items()}
    for name, body in entries(sections.get("VIAS")):
        vias[name] = [(layer,) + tuple(map(int, corners)) for layer, *corners in
                      re.findall(r"\+\s*RECT\s+(\S+)\s*" + _RECT, body)]

    def draw(node, owner, drawn, component=None):
        for layer, x0, y0, x1, y1 in drawn:
            if layer in routing:
                shapes.add(node, owner, layer, min(x0, x1), min(y0, y1), max(x0, x1),
                           max(y0, y1), component)

    def wires(owner, body, special):
        for layer, width, points, placed_vias in routes(body):
            half = (widths.get(layer, 0) if width is None else width) // 2
            end = 0 if special else half
            for (ax, ay), (bx, by) in zip(points, points[1:]):
                grow_x, grow_y = (end, half) if ay == by else (half, end)
                draw(shapes.node(), owner, [(layer, min(ax, bx) - grow_x, min(ay, by) - grow_y,
                                             max(ax, bx) + grow_x, max(ay, by) + grow_y)])
            for via, (x, y) in placed_vias:
                if via not in vias:
                    raise ValueError(f"net {owner}: via {via!r} is not defined")
                draw(shapes.node(), owner, [(layer, x + x0, y + y0, x + x1, y + y1)
                                            for layer, x0, y0, x1, y1 in vias[via]])

    # Which net each component pin belongs to.
    nets = {}
    pin_net = {}
    for name, body in entries(sections.get("NETS")):
        _, plus, wiring = body.partition("+")
        nets[name] = (net_connections(body), plus + wiring)
        for connection in nets[name][0]:
            pin_net[connection] = name

    pin_node = {}
    for instance, cell, x, y, orient in placements(sections.get("COMPONENTS")):
        macro = lef.macros.get(cell)
        if macro is None:
            raise ValueError(f"component {instance}: cell {cell!r} is not in the LEF")
        if orient not in _ORIENT:
            raise ValueError(f"component {instance}: orientation {orient!r} is not a DEF one")
        where = dict(units=units, x=x, y=y, orient=orient, width=macro.width,
                     height=macro.height)
        for pin in macro.pins.values():
            owner = {"POWER": power, "GROUND": ground}.get(
                pin.use, pin_net.get((instance, pin.name), f"{instance}/{pin.name}"))
            node = pin_node[instance, pin.name] = shapes.node()
            draw(node, owner, _placed(pin.rects, **where), instance)
        if macro.obstructions:
            draw(shapes.node(), f"{instance} (OBS)", _placed(macro.obstructions, **where),
                 instance)

    for name, body in entries(sections.get("PINS")):
        net = re.search(r"\+\s*NET\s+(\S+)", body)
        at = re.search(r"\+\s*(?:PLACED|FIXED)\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)", body)
        if not (net and at):
            continue
        x, y = int(at.group(1)), int(at.group(2))
        node = pin_node["PIN", name] = shapes.node()
        draw(node, net.group(1), [(layer, x + int(x0), y + int(y0), x + int(x1), y + int(y1))
                                  for layer, x0, y0, x1, y1 in
                                  re.findall(r"\+\s*LAYER\s+(\S+)\s*" + _RECT, body)])

    for name, body in entries(sections.get("SPECIALNETS")):
        wires(name, body, special=True)
    for name, (_, wiring) in nets.items():
        wires(name, wiring, special=False)

    parent, shorts = shapes.parent, set()
    for a, b in shapes.touching():
        owner_a, owner_b = shapes.owner[a], shapes.owner[b]
        component = shapes.component[a]
        if owner_a != owner_b and (component is None or component != shapes.component[b]):
            shorts.add(tuple(sorted((owner_a, owner_b))))
        root_a, root_b = shapes.find(shapes.group[a]), shapes.find(shapes.group[b])
        if root_a != root_b:
            parent[root_a] = root_b

    opens = []
    for name, (connections, _) in nets.items():
        if name in (power, ground) or len(connections) < 2:
            continue
        roots = set()
        for connection in connections:
            if connection not in pin_node:
                raise ValueError(f"net {name} connects to {' '.join(connection)}, which "
                                 f"neither the DEF places nor the LEF defines")
            roots.add(shapes.find(pin_node[connection]))
        if len(roots) > 1:
            opens.append(name)
    return Connectivity(tuple(sorted(opens)), tuple(sorted(shorts)), len(shapes.rect))
