"""Hold fixed after routing: delay buffers put into the routed layout in front of the endpoints
whose hold slack is below the margin.

Before layout, hold is fixed on the netlist with an ideal clock and a margin at the macros'
inputs (:mod:`tlcim.pnr.inputs`). After routing, the clock tree's wires move each flip-flop's
clock edge by up to tenths of a ns, and a few short paths between flip-flops on different
branches of the tree fail hold (on ``small``, 18 endpoints, the worst at -0.076 ns; which
ones depends on the routes, docs/pnr.md). So hold is fixed once more on the routed layout, as
sign-off flows do after routing:

1. OpenSTA lists the endpoints whose hold slack is below the margin
   (:func:`tlcim.pnr.timing.hold_endpoints`);
2. :func:`insert` puts a chain of buffers in front of each endpoint pin, long enough for a
   slack of the margin plus :data:`EXTRA_NS` (:func:`chains`), into the fill sites nearest the
   endpoint's cell: the fill cells go, a buffer takes their place, and the endpoint's net is
   cut at its pin into the chain;
3. the flow routes the changed nets again on the whole die, with every net that has a wire or
   via on the buffers' layers near a new buffer (:func:`tlcim.pnr.regions.reroute`), has magic
   check those areas, and extracts and times the layout again; at most :data:`ROUNDS` rounds.

The netlist that LVS compares the layout with is the one with these buffers; ``pnr.json``
counts them (``hold_fix``).
"""

import dataclasses

from tlcim.signoff.hold import hold_buffers_needed

from . import deffile, regions
from .netlist import Instance

__all__ = ["BUFFER", "EXTRA_NS", "ROUNDS", "CLEARANCE_UM", "PREFIX", "Insertion",
           "check_margin", "chains", "insert"]

#: (cell, input, output) of the hold buffers: osu018's smallest buffer, 3 sites wide.
BUFFER = ("BUFX2", "A", "Y")
#: Slack above the margin that the chains are sized for: the reroute moves wires near them.
EXTRA_NS = 0.05
#: Rounds of fixing at most.
ROUNDS = 2
#: Nets with a wire or via on the buffer's layers this close to a new buffer (um) are routed
#: again (osu018's metal1 spacing is 0.3 um).
CLEARANCE_UM = 0.5
#: Name prefix of the buffers (and of their output nets: ``<buffer>_y``).
PREFIX = "hold_eco"


@dataclasses.dataclass(frozen=True)
class Insertion:
    """What :func:`insert` did.

    Members
    -------
    netlist : tlcim.pnr.netlist.GateNetlist
        With the buffers.
    text : str
        The DEF with the buffers in place of fill, the cut nets unrouted and the new nets.
    nets : tuple of str
        To route: the cut nets, the new ones, and those with a wire or via near a buffer.
    boxes : tuple
        ``(x0, y0, x1, y1)`` in um of each new buffer.
    buffers : tuple of str
        The buffers' names.
    """

    netlist: object
    text: str
    nets: tuple
    boxes: tuple
    buffers: tuple


def check_margin(margin_ns, clock_mhz):
    """Return ``margin_ns`` as a float.

    Raises
    ------
    ValueError
        Unless it is a number of ns from 0 up to below the period of ``clock_mhz``.
    """
    period = 1000.0 / clock_mhz
    if isinstance(margin_ns, bool) or not isinstance(margin_ns, (int, float)) or \
            not 0 <= margin_ns < period:
        raise ValueError(f"hold margin must be a number of ns from 0 up to below the clock "
                         f"period ({period:g} ns at {clock_mhz:g} MHz), not {margin_ns!r}")
    return float(margin_ns)


def chains(paths, margin_ns):
    """Return ``{endpoint pin: buffers}`` for the hold ``paths`` (``(start, end, slack_ns)``)
    whose slack is below ``margin_ns``: chains sized for ``margin_ns + EXTRA_NS``. Endpoints
    that are top-level ports (no ``instance/pin``) are left out: there is nothing to buffer."""
    return {end: hold_buffers_needed(slack - margin_ns - EXTRA_NS)
            for _, end, slack in paths if "/" in end and slack < margin_ns}


def insert(netlist, text, lef, endpoints, *, fill="FILL", buffer=BUFFER):
    """Put ``endpoints``' chains of ``buffer`` into the routed DEF ``text`` and ``netlist``;
    return the :class:`Insertion`.

    Parameters
    ----------
    netlist : tlcim.pnr.netlist.GateNetlist
        The netlist that was laid out.
    text : str
        The routed DEF (``fill`` cells ``PLACED`` in the rows' free sites).
    lef : tlcim.pnr.lef.Lef
    endpoints : dict
        ``{"instance/pin": buffers}``, as :func:`chains` gives them.

    Raises
    ------
    ValueError
        If an endpoint names no connected pin of the netlist, or no row has room left.
    """
    cell, pin_in, pin_out = buffer
    units = deffile.units(text)
    sections = deffile.split_sections(text)
    components = deffile.entry_texts(sections["COMPONENTS"])
    nets = deffile.entry_texts(sections["NETS"])
    placed = {name: (x, y) for name, _, x, y, _ in
              deffile.placements(sections["COMPONENTS"])}
    site = round(lef.macros[fill].width * units)
    width = round(lef.macros[cell].width * units)
    height = round(lef.macros[cell].height * units)
    span = -(-width // site) * site  # whole sites
    rows = {}  # row y -> {x: (fill name, orient)} of the free sites
    for name, kind, x, y, orient in deffile.placements(sections["COMPONENTS"]):
        if kind == fill:
            rows.setdefault(y, {})[x] = (name, orient)
    instances = {instance.name: instance for instance in netlist.instances()}
    macros = {macro.name for macro in netlist.macros}
    pins = {name: dict(instance.pins) for name, instance in instances.items()}
    taken = set(instances) | set(components) | set(nets)
    connections = {}  # net -> its (instance, pin)s, for the nets changed
    added, boxes = [], []

    def take(x, y):
        # The run of free sites nearest (x, y) (DBU) that the buffer fits: (x0, y0, orient).
        best = None
        for row in sorted(rows, key=lambda r: (abs(r - y), r)):
            if best is not None and abs(row - y) > best[0]:
                break
            xs = sorted(rows[row])
            for first, last in zip(xs, xs[span // site - 1:]):
                if last - first == span - site:  # every site between them free
                    cost = abs(first + width / 2 - x) + abs(row - y)
                    if best is None or cost < best[0]:
                        best = (cost, first, row)
        if best is None:
            raise ValueError(f"hold fixing: no free run of {span / units:g} um left in the "
                             f"rows for a {cell}")
        _, x0, y0 = best
        orient = rows[y0][x0][1]
        for x in range(x0, x0 + span, site):
            del components[rows[y0].pop(x)[0]]
        return x0, y0, orient

    def fresh():
        count = 0
        while f"{PREFIX}{count}" in taken or f"{PREFIX}{count}_y" in taken:
            count += 1
        taken.update((f"{PREFIX}{count}", f"{PREFIX}{count}_y"))
        return f"{PREFIX}{count}"

    for endpoint, length in sorted(endpoints.items()):
        instance, _, pin = endpoint.partition("/")
        net = pins.get(instance, {}).get(pin)
        if net is None or net not in nets:
            raise ValueError(f"hold fixing: {endpoint} is not a connected pin of the netlist")
        if net not in connections:
            connections[net] = deffile.connections(nets[net])
        # Next to the endpoint's cell; for a macro's pin, next to a cell on its net.
        near = [instance] if instance not in macros else \
            [other for other, _ in connections[net] if other in placed and other not in macros]
        if not near or near[0] not in placed:
            raise ValueError(f"hold fixing: no placed cell near {endpoint} to put buffers by")
        x, y = placed[near[0]]
        x += round(lef.macros[instances[near[0]].cell].width * units / 2)
        source = net
        for _ in range(length):
            name = fresh()
            x0, y0, orient = take(x, y)
            components[name] = f"- {name} {cell} + PLACED ( {x0} {y0} ) {orient} ;"
            boxes.append((x0 / units, y0 / units, (x0 + width) / units, (y0 + height) / units))
            pins[name] = {pin_in: source, pin_out: f"{name}_y"}
            added.append(Instance(name, cell, pins[name], frozenset([pin_out])))
            ends = connections[source]
            ends[ends.index((instance, pin))] = (name, pin_in)
            source = f"{name}_y"
            connections[source] = [(name, pin_out), (instance, pin)]
            x, y = x0 + width / 2, y0
        pins[instance][pin] = source

    for net, ends in connections.items():
        # The ";" on a line of its own, as qrouter writes it: qrouter 1.4 reads a net whose
        # last connection ends its line with " ;" without that connection.
        nets[net] = f"- {net} " + " ".join(f"( {a} {b} )" for a, b in ends) + "\n;"
    text = deffile.with_entries(text, "COMPONENTS", components.values())
    text = deffile.with_entries(text, "NETS", nets.values())
    layers = {rect.layer for part in lef.macros[cell].pins.values()
              for rect in part.rects} | {rect.layer for rect in lef.macros[cell].obstructions}
    near_buffers = regions.nets_near(text, boxes, CLEARANCE_UM, layers=layers, lef=lef)
    rebuilt = dataclasses.replace(
        netlist,
        cells=tuple(dataclasses.replace(c, pins=pins[c.name]) for c in netlist.cells) +
        tuple(added),
        macros=tuple(dataclasses.replace(m, pins=pins[m.name]) for m in netlist.macros))
    return Insertion(rebuilt, text, tuple(sorted(set(connections) | set(near_buffers))),
                     tuple(boxes), tuple(instance.name for instance in added))
