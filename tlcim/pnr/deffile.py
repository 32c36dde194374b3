"""DEF files: the placed design written for the router, and the routed design read back.

:func:`placed_def` writes the design as qrouter takes it (DEF 5.6, 100 database units per
um as qflow writes for osu018): die, rows, routing tracks, the power grid's vias and special
nets, every component (standard cells and fill ``PLACED``, macros ``FIXED``), the top-level
pins and every signal net. :func:`read_routed` reads a routed DEF back: components, each
net's connections, whether it has wires, and its wire length and vias.
"""

import dataclasses
import re

__all__ = ["DBU", "Component", "IoPin", "close_sections", "placed_def", "RoutedNet", "Routed",
           "read_routed", "split_sections", "entries", "entry_texts", "with_entries", "placements",
           "routes", "units",
           "die_area", "connections"]

#: Database units per um.
DBU = 100


def _u(um):
    return int(round(um * DBU))


@dataclasses.dataclass(frozen=True)
class Component:
    """A component: ``name``, ``cell``, lower-left ``x``, ``y`` in um, ``orient``, and
    ``fixed`` (macros) or placed (cells)."""

    name: str
    cell: str
    x: float
    y: float
    orient: str = "N"
    fixed: bool = False


@dataclasses.dataclass(frozen=True)
class IoPin:
    """A top-level pin: ``name`` (its net too), ``direction``, centre ``x``, ``y`` in um,
    ``layer`` and half sizes ``half_w``, ``half_h`` in um."""

    name: str
    direction: str
    x: float
    y: float
    layer: str
    half_w: float
    half_h: float


def placed_def(design, die, rows, tracks, components, pins, nets, *, vias="",
               specialnets="", extra_pins=""):
    """Return the text of a placed DEF.

    Parameters
    ----------
    design : str
    die : tuple
        ``(width, height)`` in um (origin at 0, 0).
    rows : list
        ``(name, site, x, y, orient, count, step)`` with ``x``, ``y``, ``step`` in um.
    tracks : list of tlcim.pnr.lef.Layer
        The routing layers: tracks over the whole die at their pitch and offset.
    components : list of Component
    pins : list of IoPin
    nets : dict
        ``{net: [(instance or "PIN", pin), ...]}``.
    vias, specialnets : str
        Whole ``VIAS``/``SPECIALNETS`` sections (the power grid), or empty.
    extra_pins : str
        ``PINS`` entries as text (the supply pins of the power grid).
    """
    width, height = die
    lines = ["VERSION 5.6 ;", "NAMESCASESENSITIVE ON ;", 'DIVIDERCHAR "/" ;',
             'BUSBITCHARS "[]" ;', f"DESIGN {design} ;", f"UNITS DISTANCE MICRONS {DBU} ;", "",
             f"DIEAREA ( 0 0 ) ( {_u(width)} {_u(height)} ) ;", ""]
    for name, site, x, y, orient, count, step in rows:
        lines.append(f"ROW {name} {site} {_u(x)} {_u(y)} {orient} DO {count} BY 1 "
                     f"STEP {_u(step)} 0 ;")
    lines.append("")
    for layer in tracks:
        axis, length = ("Y", height) if layer.horizontal else ("X", width)
        count = int((length - layer.offset) // layer.pitch) + 1
        lines.append(f"TRACKS {axis} {_u(layer.offset)} DO {count} STEP {_u(layer.pitch)} "
                     f"LAYER {layer.name} ;")
    lines.append("")
    if vias:
        lines += [vias.rstrip(), ""]
    lines.append(f"COMPONENTS {len(components)} ;")
    for c in components:
        status = "FIXED" if c.fixed else "PLACED"
        lines.append(f"- {c.name} {c.cell} + {status} ( {_u(c.x)} {_u(c.y)} ) {c.orient} ;")
    lines += ["END COMPONENTS", "",
              f"PINS {len(pins) + extra_pins.count('+ NET ')} ;"]
    if extra_pins:
        lines.append(extra_pins.rstrip())
    for p in pins:
        lines += [f"- {p.name} + NET {p.name} + DIRECTION {p.direction.upper()}",
                  f"  + LAYER {p.layer} ( {-_u(p.half_w)} {-_u(p.half_h)} ) "
                  f"( {_u(p.half_w)} {_u(p.half_h)} )",
                  f"  + PLACED ( {_u(p.x)} {_u(p.y)} ) N ;"]
    lines += ["END PINS", "", f"NETS {len(nets)} ;"]
    for net, connections in nets.items():
        lines.append(f"- {net}")
        lines += [f"  ( {instance} {pin} )" for instance, pin in connections]
        lines.append(";")
    lines += ["END NETS", ""]
    # After NETS (DEF allows any order): qrouter numbers the nets of a second net section from
    # the count of the first, so with the two supplies first its first two signal nets took
    # the numbers it keeps for the supply and antenna nets (one wired to vdd, one unroutable).
    if specialnets:
        lines += [specialnets.rstrip(), ""]
    lines += ["END DESIGN", ""]
    return "\n".join(lines)


def close_sections(text):
    """Return DEF ``text`` with every section closed before ``END DESIGN``.

    qrouter writes the short wires it adds at pins as a second ``SPECIALNETS`` section and
    leaves it without its ``END SPECIALNETS``, which KLayout's reader refuses.
    """
    lines = text.splitlines(keepends=True)
    open_section = None
    for index, line in enumerate(lines):
        words = line.split()
        if len(words) >= 2 and words[0] in _SECTIONS and words[1].rstrip(";").isdigit():
            open_section = words[0]
        elif len(words) >= 2 and words[0] == "END" and words[1] == open_section:
            open_section = None
        elif words[:2] == ["END", "DESIGN"] and open_section:
            return "".join(lines[:index] + [f"END {open_section}\n"] + lines[index:])
    return text


#: The DEF sections that hold a count and end with ``END <name>``.
_SECTIONS = ("COMPONENTS", "PINS", "NETS", "SPECIALNETS", "VIAS", "BLOCKAGES")


def split_sections(text):
    """Return ``{section: text}`` of a DEF's sections that end with ``END <section>``
    (``VIAS``, ``COMPONENTS``, ``PINS``, ``SPECIALNETS``, ``NETS``), each from its first
    line to its ``END`` line."""
    sections = {}
    for found in re.finditer(r"^(VIAS|COMPONENTS|PINS|SPECIALNETS|NETS)\s+\d+\s*;.*?"
                             r"^END\s+\1\s*$", text, re.MULTILINE | re.DOTALL):
        sections[found.group(1)] = found.group(0)
    return sections


def entries(section):
    """Yield ``(name, rest)`` for each ``- name ...`` entry of a section's text (as
    :func:`split_sections` returns it; nothing for None)."""
    if not section:
        return
    for chunk in re.split(r"^\s*-\s+", section.split(";", 1)[1], flags=re.MULTILINE)[1:]:
        name = chunk.split()[0]
        yield name, chunk[chunk.index(name) + len(name):]


def entry_texts(section):
    """Return ``{name: entry}`` of a section's text: each entry whole, ``- name ... ;``."""
    return {name: f"- {name}{rest[:rest.rindex(';') + 1]}" for name, rest in entries(section)}


def with_entries(text, section, new):
    """Return the DEF ``text`` with its section ``section`` holding the entries ``new``
    (texts, as :func:`entry_texts` gives them) and their count instead of its own."""
    old = split_sections(text)[section]
    return text.replace(old, f"{section} {len(new)} ;\n" + "".join(
        entry + "\n" for entry in new) + f"END {section}")


@dataclasses.dataclass(frozen=True)
class RoutedNet:
    """A net of a routed DEF: ``name``, ``connections`` (``(instance, pin)``; ``PIN`` for
    top-level pins), ``routed`` (has wires), ``length`` in um and ``vias``."""

    name: str
    connections: tuple
    routed: bool
    length: float
    vias: int


@dataclasses.dataclass(frozen=True)
class Routed:
    """A routed DEF: ``die`` (width, height in um), ``components`` (name -> cell),
    ``placement`` (name -> (x, y) in um), ``nets`` (name -> :class:`RoutedNet`) and
    ``special_length`` (um of wire in ``SPECIALNETS``)."""

    die: tuple
    components: dict
    placement: dict
    nets: dict
    special_length: float

    @property
    def length(self):
        """Total wire length of the signal nets, in um."""
        return sum(net.length for net in self.nets.values())

    def unrouted(self):
        """Names of the nets with two or more connections and no wire."""
        return [net.name for net in self.nets.values()
                if not net.routed and len(net.connections) >= 2]


def _tokens(text):
    return text.replace("(", " ( ").replace(")", " ) ").replace(";", " ; ").split()


def routes(text):
    """Yield ``(layer, width, points, vias)`` for each routing statement (``+ ROUTED``,
    ``+ FIXED``, ``+ COVER``, ``NEW``) of a net's text: ``width`` in DBU as special wiring
    gives it (None for regular wiring), ``points`` ``(x, y)`` in DBU with ``*`` resolved,
    ``vias`` ``(name, point)``."""
    tokens = _tokens(text)
    index, count = 0, len(tokens)
    while index < count:
        word = tokens[index]
        if word not in ("+", "NEW") or index + 1 >= count:
            index += 1
            continue
        if word == "+" and tokens[index + 1] not in ("ROUTED", "FIXED", "COVER"):
            index += 2
            continue
        index += 2 if word == "+" else 1
        layer, width = tokens[index], None
        index += 1
        if index < count and tokens[index].isdigit():
            width = int(tokens[index])
            index += 1
        points, vias, last = [], [], None
        while index < count and tokens[index] not in ("+", "NEW", ";"):
            if tokens[index] == "(":
                x, y = tokens[index + 1], tokens[index + 2]
                last = (int(x) if x != "*" else last[0], int(y) if y != "*" else last[1])
                points.append(last)
                index = tokens.index(")", index) + 1
            elif tokens[index] == "MASK":
                index += 2
            else:
                vias.append((tokens[index], last))
                index += 1
        yield layer, width, points, vias


def _wires(body, units):
    # Wire length (um) and vias of one net's routing statements.
    length, vias = 0, 0
    for _, _, points, placed_vias in routes(body):
        length += sum(abs(bx - ax) + abs(by - ay)
                      for (ax, ay), (bx, by) in zip(points, points[1:]))
        vias += len(placed_vias)
    return length / units, vias


def placements(section):
    """Yield ``(name, cell, x, y, orient)`` (``x``, ``y`` in DBU) for each placed or fixed
    component of a ``COMPONENTS`` section's text (nothing for None)."""
    for found in re.finditer(r"^\s*-\s+(\S+)\s+(\S+)\s+\+\s+(?:PLACED|FIXED)\s+\(\s*(-?\d+)\s+"
                             r"(-?\d+)\s*\)\s*(\S+)", section or "", re.MULTILINE):
        name, cell, x, y, orient = found.groups()
        yield name, cell, int(x), int(y), orient


def units(text):
    """Return a DEF's database units per um (``UNITS DISTANCE MICRONS``)."""
    return int(re.search(r"UNITS\s+DISTANCE\s+MICRONS\s+(\d+)", text).group(1))


def die_area(text):
    """Return a DEF's ``DIEAREA`` ``(x0, y0, x1, y1)`` in DBU."""
    return tuple(int(value) for value in re.search(
        r"DIEAREA\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)\s*\(\s*(-?\d+)\s+(-?\d+)\s*\)", text).groups())


def connections(rest):
    """Return the ``(instance, pin)`` pairs of a ``NETS`` entry's text (as :func:`entries`
    gives it), before its first ``+``."""
    return re.findall(r"\(\s*(\S+)\s+(\S+)\s*\)", rest.partition("+")[0])


def read_routed(text):
    """Read a routed DEF ``text`` into a :class:`Routed`."""
    scale = units(text)
    die = [value / scale for value in die_area(text)]
    sections = split_sections(text)
    components, placement = {}, {}
    for name, cell, x, y, _ in placements(sections.get("COMPONENTS")):
        components[name] = cell
        placement[name] = (x / scale, y / scale)
    nets = {}
    for name, rest in entries(sections.get("NETS")):
        _, plus, wiring = rest.partition("+")
        routed = bool(re.search(r"\b(ROUTED|FIXED|COVER)\b", wiring))
        length, vias = _wires(plus + wiring, scale) if routed else (0.0, 0)
        nets[name] = RoutedNet(name, tuple(connections(rest)), routed, length, vias)
    special = 0.0
    for _, rest in entries(sections.get("SPECIALNETS")):
        special += _wires(rest, scale)[0]
    return Routed((die[2] - die[0], die[3] - die[1]), components, placement, nets, special)
