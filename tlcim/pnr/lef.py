"""What place and route reads from LEF files: routing layers, the placement site, and each
macro's size, pins and obstructions.

A small reader for the subset of LEF 5.x that the standard-cell library (osu018) and the
subarray's abstract use: ``UNITS``, ``SITE ... SIZE``, ``LAYER ... TYPE ROUTING`` with
``DIRECTION``/``PITCH``/``OFFSET``/``WIDTH``, and ``MACRO`` with ``CLASS``, ``SIZE``, ``PIN``
(``DIRECTION``, ``USE``, ``PORT`` rectangles per layer) and ``OBS``, and fixed ``VIA``
definitions (their rectangles per layer). Everything else is skipped.
Coordinates are in um, as written.
"""

import dataclasses
import re

from tlcim.signoff.library import RoutingLayer

__all__ = ["Rect", "Pin", "Macro", "Layer", "Lef", "read_lef"]


@dataclasses.dataclass(frozen=True)
class Rect:
    """A rectangle on a layer, in um, in the macro's own coordinates."""

    layer: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def centre(self):
        """``(x, y)`` of the middle of the rectangle."""
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2


@dataclasses.dataclass(frozen=True)
class Pin:
    """A macro pin.

    Members
    -------
    name : str
        As in the LEF, bus bits as ``name[i]``.
    direction : str
        ``INPUT``, ``OUTPUT`` or ``INOUT``.
    use : str
        ``SIGNAL``, ``CLOCK``, ``POWER`` or ``GROUND``.
    rects : tuple of Rect
    """

    name: str
    direction: str
    use: str
    rects: tuple

    @property
    def supply(self):
        """Whether the pin is a power or ground pin."""
        return self.use in ("POWER", "GROUND")

    @property
    def centre(self):
        """Middle of the pin's last rectangle (where qflow's tools put a pin, too)."""
        return self.rects[-1].centre


@dataclasses.dataclass(frozen=True)
class Macro:
    """A cell or block of a LEF file: ``cls`` (``CORE``, ``BLOCK``, ...), ``width`` and
    ``height`` in um, ``pins`` by name (in file order) and ``obstructions``."""

    name: str
    cls: str
    width: float
    height: float
    pins: dict
    obstructions: tuple

    @property
    def area(self):
        """Width times height, in um^2."""
        return self.width * self.height

    def signal_pins(self):
        """The pins that are not supplies, in file order."""
        return [pin for pin in self.pins.values() if not pin.supply]


#: A routing layer: ``name``, ``horizontal`` (preferred direction), ``pitch``, ``offset`` and
#: ``width`` in um (sign-off's description of the library's layers).
Layer = RoutingLayer


@dataclasses.dataclass(frozen=True)
class Lef:
    """The contents of one or more LEF files read together: ``layers`` (routing, bottom up),
    ``site`` (``(width, height)`` of the core site, or None), its ``site_name``, ``macros``
    by name and ``vias`` (name -> its :class:`Rect` s, centred on the via's origin)."""

    layers: tuple
    site: tuple
    macros: dict
    site_name: str = ""
    vias: dict = dataclasses.field(default_factory=dict)

    def layer(self, name):
        """Return the routing :class:`Layer` called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)


def _blocks(text, keyword):
    # ``KEYWORD name ... END name`` blocks at the top level of a LEF file.
    return re.finditer(rf"^\s*{keyword}\s+(\S+)(.*?)^\s*END\s+\1\s*$", text,
                       re.MULTILINE | re.DOTALL)


def _rects(body):
    rects, layer = [], None
    for line in body.splitlines():
        words = line.replace(";", " ").split()
        if not words:
            continue
        if words[0] == "LAYER":
            layer = words[1]
        elif words[0] == "RECT" and layer:
            x0, y0, x1, y1 = (float(w) for w in words[1:5])
            rects.append(Rect(layer, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
    return tuple(rects)


def _field(body, key, default=None):
    found = re.search(rf"^\s*{key}\s+([^;\n]+?)\s*;", body, re.MULTILINE)
    return found.group(1) if found else default


def _macro(name, body):
    size = re.search(r"^\s*SIZE\s+(\S+)\s+BY\s+(\S+)\s*;", body, re.MULTILINE)
    pins = {}
    for pin in _blocks(body, "PIN"):
        pin_name, pin_body = pin.group(1), pin.group(2)
        pins[pin_name] = Pin(pin_name, (_field(pin_body, "DIRECTION") or "INPUT").split()[0],
                             _field(pin_body, "USE", "SIGNAL"), _rects(pin_body))
    obs = re.search(r"^\s*OBS\s*$(.*?)^\s*END\s*$", body, re.MULTILINE | re.DOTALL)
    return Macro(name, (_field(body, "CLASS") or "CORE").split()[0],
                 float(size.group(1)) if size else 0.0, float(size.group(2)) if size else 0.0,
                 pins, _rects(obs.group(1)) if obs else ())


def read_lef(*paths):
    """Read the LEF files ``paths`` (technology first) into one :class:`Lef`.

    Raises
    ------
    ValueError
        If a file cannot be read or a routing layer lacks its direction or pitch.
    """
    layers, site, site_name, macros, vias = [], None, "", {}, {}
    for path in paths:
        try:
            with open(path) as file:
                text = file.read()
        except OSError as error:
            raise ValueError(f"cannot read LEF {str(path)!r}: {error}") from None
        for block in _blocks(text, "LAYER"):
            name, body = block.group(1), block.group(2)
            if not re.search(r"TYPE\s+ROUTING", body):
                continue
            direction, pitch = _field(body, "DIRECTION"), _field(body, "PITCH")
            if not direction or not pitch:
                raise ValueError(f"{path}: routing layer {name} lacks a DIRECTION or PITCH")
            pitch = float(pitch.split()[0])
            offset = _field(body, "OFFSET")
            layers.append(Layer(name, direction.strip() == "HORIZONTAL", pitch,
                                float(offset.split()[0]) if offset else pitch / 2,
                                float((_field(body, "WIDTH") or "0").split()[0])))
        for block in _blocks(text, "SITE"):
            if site is None and re.search(r"CLASS\s+CORE", block.group(2)):
                size = re.search(r"SIZE\s+(\S+)\s+BY\s+(\S+)", block.group(2))
                site = (float(size.group(1)), float(size.group(2)))
                site_name = block.group(1)
        for block in _blocks(text, "MACRO"):
            macros[block.group(1)] = _macro(block.group(1), block.group(2))
        for block in _blocks(text, "VIA"):
            vias[block.group(1)] = _rects(block.group(2))
    return Lef(tuple(layers), site, macros, site_name, vias)
