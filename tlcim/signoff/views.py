"""Macro views of the analog subarray: Liberty, LEF and a Verilog black box, from one description.

A tapeout flow places and times the periphery around the subarrays (module ``tlcim_subarray``)
without knowing what is inside them; it needs three views of the macro that agree pin for pin
(as OpenRAM writes them for its SRAMs: ``compiler/characterizer/lib.py``,
``compiler/base/lef.py``). :func:`describe_macro` builds the one description of the macro
(:class:`Macro`) for a configuration and a standard-cell library; :func:`liberty_text`,
:func:`lef_text` and :func:`verilog_text` write it out.

Where every number comes from (:class:`tlcim.cost.constants.Constants`, each with its source):

- **Pins**: the signal ports of :meth:`tlcim.hw.reram_array.NvmSubarrayBlackBox.verilog_ports`
  in their order, plus the supplies ``VDD``, ``VSS`` and ``VPP`` (the ReRAM program path: the
  store's set and reset pulses, ``macro_vpp_v``).
- **Size**: ``rows x (cbls + spare checksum cells)`` compute cells (the spare cells of
  :func:`tlcim.golden.checksum.spare_cells` sit in every row beside the weights) of
  ``cell_area_um2`` (6.35 um^2, the paper's, at **28 nm**), scaled to the library's node by
  ``(node_nm / paper_node_nm) ** 2`` (41.3 for osu018's 180 nm) so that the floorplan of
  macro and standard cells is consistent, with the cell shape ``macro_cell_aspect``; width and
  height then rounded up to the library's placement site. The Liberty ``area`` is exactly the
  LEF's width times height.
- **Timing** (not in the paper; assumptions): setup and hold of every input to ``clk``
  (``macro_setup_ns``, ``macro_hold_ns``), clock to every output
  (``macro_clock_to_output_ns``, ``macro_output_transition_ns``), pin capacitances.
- **Power** at the paper's **28 nm** energies, not scaled (the Liberty's energies describe the
  paper's macro; only its area is scaled): per clock edge while computing, the conversions of
  every ADC (``adcs x (e_cim_pj + e_adc_pj x adc.cost_scale)``, the cost model's count per
  conversion, :mod:`tlcim.cost.model`), plus the SRAM row written with ``row_we``
  (``2 cbls x e_sram_write_pj_per_bit``); a restore of the whole array on the rising edge of
  ``nvm_precharge`` (``cells x e_restore_cell_pj``, from ``VDD``), a store on the rising edge of
  ``nvm_store_set`` (``cells x e_store_cell_pj``, from ``VPP``); leakage
  ``cells x macro_leakage_nw_per_cell``.
- **Layout** (LEF): signal pins drawn on the library's first vertical layer above the bottom
  one, on its tracks (south and north edges) or on the first horizontal layer's tracks (west
  edge), each the vertical layer's minimum width and two pitches deep, spread evenly along
  their edge: the compute
  inputs (word lines, block) and the store/restore controls on the west edge where the row
  drivers are, the SRAM row port, ADC codes, mux, clock and reset on the south edge below the
  columns, the controller's extended row port on the north edge. Supplies as stripes
  (``macro_power_stripe_um`` wide, ``macro_power_pitch_um`` apart) on the next vertical layer;
  obstructions over the whole array on every layer up to it (the ReRAMs sit in the back end of
  line above the cells), leaving the pins and stripes free.

A configuration whose pins do not fit on their edges cannot be described: :func:`describe_macro`
refuses it with a ``ValueError`` saying which edge and how many tracks it lacks.
"""

import dataclasses
import json
import math

from tlcim.cost.constants import PAPER_CONSTANTS
from tlcim.golden import Config
from tlcim.golden.checksum import spare_cells
from .library import OSU018

__all__ = ["MODULE", "SUPPLIES", "MacroPin", "PinShape", "Macro", "describe_macro",
           "liberty_text", "lef_text", "verilog_text", "view_files"]

#: Module (cell, macro) name of the subarray in every view.
MODULE = "tlcim_subarray"
#: The supplies: (pin, use, what it feeds).
SUPPLIES = (("VDD", "power", "core supply"), ("VSS", "ground", "ground"),
            ("VPP", "power", "ReRAM program supply (store)"))
#: Where each signal port sits (see the module docstring); every other port is on the west
#: edge with the store/restore controls.
_SOUTH = ("clk", "rst", "row_addr", "row_wdata", "row_we", "row_rdata", "mux", "codes")
_NORTH = ("nvm_row_addr", "nvm_row_wdata", "nvm_row_we", "nvm_row_rdata", "nvm_owner")
#: Phase pins whose rising edge starts an operation, with its energy constant and supply.
_OPERATIONS = {"nvm_precharge": ("restore", "e_restore_cell_pj", "VDD"),
               "nvm_store_set": ("store", "e_store_cell_pj", "VPP")}


@dataclasses.dataclass(frozen=True)
class MacroPin:
    """One port of the macro.

    Members
    -------
    name : str
    direction : str
        ``"input"``, ``"output"`` or ``"inout"`` (supplies).
    width : int
        Bits (a bus when more than 1; bit ``i`` is ``name[i]``).
    use : str
        ``"clock"``, ``"signal"``, ``"power"`` or ``"ground"``.
    side : str or None
        ``"south"``, ``"west"`` or ``"north"`` for signal pins; None for supplies (stripes).
    """

    name: str
    direction: str
    width: int
    use: str
    side: str = None

    def bits(self):
        """Return the names of its bits: ``name`` alone, or ``name[i]`` LSB first."""
        return [self.name] if self.width == 1 else [f"{self.name}[{i}]"
                                                    for i in range(self.width)]


@dataclasses.dataclass(frozen=True)
class PinShape:
    """A rectangle of a pin in the LEF, in um from the macro's lower left corner."""

    pin: str
    layer: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclasses.dataclass(frozen=True)
class Macro:
    """The one description of the macro that every view is written from.

    Members
    -------
    config : Config
    technology : tlcim.signoff.library.Technology
    constants : tlcim.cost.constants.Constants
    pins : tuple of MacroPin
        Signal ports in Verilog order, then the supplies.
    cells : int
        Compute cells: ``rows x (cbls + spare cells)``.
    scale : float
        Area factor from the paper's node to the library's.
    width, height : float
        Size in um (the LEF ``SIZE``; ``area`` is their product).
    shapes : tuple of PinShape
        Every pin bit's and supply stripe's rectangle.
    obstructions : tuple of PinShape
        The LEF ``OBS`` rectangles (``pin`` is empty).
    voltages : dict
        Supply name -> volts.
    """

    config: Config
    technology: object
    constants: object
    pins: tuple
    cells: int
    scale: float
    width: float
    height: float
    shapes: tuple
    obstructions: tuple
    voltages: dict

    @property
    def area(self):
        """Area in um^2: exactly ``width * height``."""
        return _round(self.width * self.height)

    @property
    def signal_pins(self):
        """The pins that are not supplies."""
        return tuple(pin for pin in self.pins if pin.use in ("clock", "signal"))

    @property
    def supply_pins(self):
        return tuple(pin for pin in self.pins if pin.use in ("power", "ground"))

    def energies(self):
        """Return the internal energies of the Liberty view, in pJ: ``compute`` and ``write``
        per clock edge, ``restore`` and ``store`` per operation (see the module docstring)."""
        k, c = self.constants, self.config
        conversion = k.e_cim_pj + k.e_adc_pj * c.adc.cost_scale
        compute = c.adcs * conversion
        return {"compute": compute,
                "write": compute + 2 * c.cbls * k.e_sram_write_pj_per_bit,
                "restore": self.cells * k.e_restore_cell_pj,
                "store": self.cells * k.e_store_cell_pj}

    @property
    def leakage_nw(self):
        """Leakage of the whole macro in nW."""
        return self.cells * self.constants.macro_leakage_nw_per_cell


def _round(value, digits=4):
    # Coordinates and areas on the manufacturing grid: print without float noise.
    return round(value, digits)


def _ceil_to(value, step):
    return _round(math.ceil(round(value / step, 6)) * step)


def _layers(technology):
    layers = technology.layers
    vertical = [layer for layer in layers[1:] if not layer.horizontal]
    horizontal = [layer for layer in layers[1:] if layer.horizontal]
    if len(vertical) < 2 or not horizontal:
        raise ValueError(f"{technology.name}: the macro needs two vertical routing layers and "
                         f"a horizontal one above the bottom layer")
    pins_v, pins_h, stripes = vertical[0], horizontal[0], vertical[1]
    blocked = [layer for layer in layers if layers.index(layer) <= layers.index(stripes)]
    return pins_v, pins_h, stripes, blocked


def _place(bits, side, layer, length, depth, reserved, size, drawn):
    """Spread ``bits`` on the tracks of ``layer`` along an edge of ``length`` um, leaving
    ``reserved`` um free at both ends; return their shapes (on layer ``drawn``, at its
    width) or raise ``ValueError``."""
    first = math.ceil(round((reserved - layer.offset) / layer.pitch, 6))
    last = math.floor(round((length - reserved - layer.offset) / layer.pitch, 6))
    tracks = last - first + 1
    if tracks < len(bits):
        raise ValueError(f"the macro cannot be described: its {side} edge is {length:g} um "
                         f"long, which leaves {max(tracks, 0)} tracks of {layer.name} for its "
                         f"{len(bits)} pins")
    step = tracks // len(bits) if bits else 1
    start = first + (tracks - (len(bits) - 1) * step - 1) // 2
    width, height = size
    shapes = []
    for index, bit in enumerate(bits):
        centre = layer.offset + (start + index * step) * layer.pitch
        low, high = _round(centre - drawn.width / 2), _round(centre + drawn.width / 2)
        if side == "south":
            box = (low, 0.0, high, depth)
        elif side == "north":
            box = (low, _round(height - depth), high, height)
        else:  # west
            box = (0.0, low, depth, high)
        shapes.append(PinShape(bit, drawn.name, *box))
    return shapes


def describe_macro(config, technology=OSU018, constants=PAPER_CONSTANTS):
    """Return the :class:`Macro` of ``config`` beside the standard cells of ``technology``.

    Raises
    ------
    ValueError
        If the macro cannot be described: its pins do not fit on their edges, or it is too
        narrow for its supply stripes. (What the hardware cannot build was refused when
        ``config`` was made: :mod:`tlcim.golden.limits`.)
    """
    from tlcim.hw.reram_array import NvmSubarrayBlackBox
    k = constants
    pins = []
    for direction, name, width in NvmSubarrayBlackBox.verilog_ports(config):
        side = "south" if name in _SOUTH else "north" if name in _NORTH else "west"
        pins.append(MacroPin(name, direction, width, "clock" if name == "clk" else "signal",
                             side))
    pins += [MacroPin(name, "inout", 1, use) for name, use, _ in SUPPLIES]

    cells_per_row = config.cbls + spare_cells(config.cbls)
    cells = config.rows * cells_per_row
    scale = (technology.node_nm / k.paper_node_nm) ** 2
    cell_area = k.cell_area_um2 * scale
    cell_width = math.sqrt(cell_area * k.macro_cell_aspect)
    site_width, site_height = technology.site
    width = _ceil_to(cells_per_row * cell_width, site_width)
    height = _ceil_to(config.rows * cell_area / cell_width, site_height)

    pins_v, pins_h, stripes, blocked = _layers(technology)
    depth = {layer.name: _round(2 * layer.pitch) for layer in (pins_v, pins_h)}
    # Keep the corners free of the other edges' pins.
    reserved = max(depth.values()) + max(pins_v.pitch, pins_h.pitch)
    shapes = []
    # Every pin is drawn on the vertical layer, the west ones on the horizontal layer's
    # tracks: qrouter attaches a route's end only to pins on the layers where the cells have
    # theirs; on metal3 the routes to west pins ended a track beside them, opens it did not
    # count ("Failure to find route end node").
    for side, layer, length in (("south", pins_v, width), ("north", pins_v, width),
                                ("west", pins_h, height)):
        bits = [bit for pin in pins if pin.side == side for bit in pin.bits()]
        shapes += _place(bits, side, layer, length, depth[layer.name], reserved,
                         (width, height), pins_v)

    # Supply stripes: VDD, VSS, VPP repeating across the width, full height.
    stripe, pitch = k.macro_power_stripe_um, k.macro_power_pitch_um
    supplies = [name for name, _, _ in SUPPLIES]
    span = width - 2 * reserved
    if span < len(supplies) * (stripe + 2 * stripes.pitch):
        raise ValueError(f"the macro cannot be described: it is {width:g} um wide, too narrow "
                         f"for one {stripe:g} um stripe of each supply")
    count = max(len(supplies), int(span // pitch))
    for index in range(count):
        centre = reserved + (index + 0.5) * span / count
        centre = _round(round(centre / stripes.pitch) * stripes.pitch)  # on a track
        shapes.append(PinShape(supplies[index % len(supplies)], stripes.name,
                               _round(centre - stripe / 2), 0.0, _round(centre + stripe / 2),
                               height))

    inset = reserved
    obstructions = []
    for layer in blocked:
        if layer is stripes:
            edges = sorted((s.x0, s.x1) for s in shapes if s.layer == layer.name)
            x = 0.0
            gap = _round(layer.pitch)  # keep a track of clearance beside each stripe
            for x0, x1 in edges:
                if _round(x0 - gap) > x:
                    obstructions.append(PinShape("", layer.name, x, 0.0, _round(x0 - gap),
                                                 height))
                x = _round(x1 + gap)
            if x < width:
                obstructions.append(PinShape("", layer.name, x, 0.0, width, height))
        elif layer.name in depth:
            obstructions.append(PinShape("", layer.name, inset, inset, _round(width - inset),
                                         _round(height - inset)))
        else:
            obstructions.append(PinShape("", layer.name, 0.0, 0.0, width, height))

    voltages = {"VDD": technology.nominal_voltage, "VSS": 0.0, "VPP": k.macro_vpp_v}
    return Macro(config=config, technology=technology, constants=k, pins=tuple(pins), cells=cells,
                 scale=scale, width=width, height=height, shapes=tuple(shapes),
                 obstructions=tuple(obstructions), voltages=voltages)


def _number(value):
    # Shortest exact-enough decimal for the views (no float noise, no exponent).
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _header(macro, comment):
    k, c, lib = macro.constants, macro.config, macro.technology
    cells_per_row = macro.cells // c.rows
    return [
        f"{comment} {MODULE}: the analog subarray of TL-nvSRAM-CIM as a macro (tlcim signoff "
        f"views; do not edit).",
        f"{comment} Configuration: {json.dumps(c.to_dict(), separators=(',', ':'))}",
        f"{comment} Library: {lib.name} ({lib.node_nm} nm), {lib.corner}.",
        f"{comment} Size: {c.rows} rows x {cells_per_row} cells ({c.cbls} CBLs + "
        f"{cells_per_row - c.cbls} checksum spare cells) of {_number(k.cell_area_um2)} um^2 "
        f"(the paper's cell, {k.paper_node_nm} nm)",
        f"{comment}   scaled by ({lib.node_nm}/{k.paper_node_nm})^2 = {macro.scale:.3f} to "
        f"{lib.node_nm} nm, aspect {_number(k.macro_cell_aspect)}, rounded up to the "
        f"placement site: {_number(macro.width)} x {_number(macro.height)} um = "
        f"{_number(macro.area)} um^2.",
        f"{comment} Timing and power are assumptions (tlcim.cost.constants, kind "
        f"'assumption'); energies are the paper's {k.paper_node_nm} nm figures, not scaled.",
    ]


def liberty_text(macro):
    """Return the Liberty view of ``macro`` (one cell, ``tlcim_subarray``)."""
    k, c = macro.constants, macro.config
    energies = macro.energies()
    lines = ["/*"] + [line[3:] if line.startswith("// ") else line
                      for line in _header(macro, "//")] + [
        f"   Energies (pJ, capacitance unit x voltage unit^2): compute "
        f"{_number(energies['compute'])} per clock edge ({c.adcs} ADC conversions of "
        f"{_number(k.e_cim_pj)} + {_number(k.e_adc_pj)} x {_number(c.adc.cost_scale)}), "
        f"row write {_number(energies['write'] - energies['compute'])} more,",
        f"   restore {_number(energies['restore'])} per nvm_precharge rise, store "
        f"{_number(energies['store'])} per nvm_store_set rise (from VPP).",
        "*/",
        f"library ({MODULE}_lib) {{",
        "  delay_model : table_lookup;",
        '  time_unit : "1ns";', '  voltage_unit : "1V";', '  current_unit : "1uA";',
        '  pulling_resistance_unit : "1kohm";', '  leakage_power_unit : "1nW";',
        "  capacitive_load_unit (1,pf);",
    ]
    for edge in ("rise", "fall"):
        lines += [f"  slew_upper_threshold_pct_{edge} : 80;",
                  f"  slew_lower_threshold_pct_{edge} : 20;",
                  f"  input_threshold_pct_{edge} : 50;", f"  output_threshold_pct_{edge} : 50;"]
    vdd = macro.voltages["VDD"]
    lines += [
        "  nom_process : 1;", f"  nom_voltage : {_number(vdd)};", "  nom_temperature : 25;",
        f"  operating_conditions (typical) {{ process : 1; voltage : {_number(vdd)}; "
        f"temperature : 25; }}",
        "  default_operating_conditions : typical;",
    ]
    lines += [f"  voltage_map ({name}, {_number(volts)});"
              for name, volts in macro.voltages.items()]
    for width in sorted({pin.width for pin in macro.signal_pins if pin.width > 1}):
        lines += [f"  type (bus{width}) {{", "    base_type : array;", "    data_type : bit;",
                  f"    bit_width : {width};", f"    bit_from : {width - 1};", "    bit_to : 0;",
                  "    downto : true;", "  }"]
    lines += [f"  cell ({MODULE}) {{", f"    area : {_number(macro.area)};",
              "    is_macro_cell : true;", "    dont_touch : true;", "    dont_use : true;",
              "    interface_timing : true;",
              f"    cell_leakage_power : {_number(macro.leakage_nw)};"]
    for name, use, _ in SUPPLIES:
        pg_type = "primary_power" if use == "power" else "primary_ground"
        lines.append(f"    pg_pin ({name}) {{ voltage_name : {name}; pg_type : {pg_type}; }}")

    def scalar(group, value):
        return [f"      {group} (scalar) {{ values (\"{_number(value)}\"); }}"]

    idle = " & ".join(f"!{pin.name}" for pin in macro.signal_pins
                      if pin.name.startswith("nvm_") and pin.width == 1
                      and pin.name not in ("nvm_row_we", "nvm_owner"))
    for pin in macro.signal_pins:
        body = [f"      direction : {pin.direction};", "      related_power_pin : VDD;",
                "      related_ground_pin : VSS;"]
        if pin.direction == "input":
            body.append(f"      capacitance : {_number(k.macro_input_capacitance_pf)};")
        if pin.use == "clock":
            body.append("      clock : true;")
            for mode, condition in (("compute", f"!row_we & {idle}"),
                                    ("write", f"row_we & {idle}")):
                body += ["      internal_power () {", f"        /* {mode} */",
                         f"        when : \"{condition}\";",
                         *["  " + line for line in scalar("rise_power", energies[mode])],
                         *["  " + line for line in scalar("fall_power", 0)], "      }"]
        elif pin.direction == "input":
            for kind, value in (("setup_rising", k.macro_setup_ns),
                                ("hold_rising", k.macro_hold_ns)):
                body += ["      timing () {", '        related_pin : "clk";',
                         f"        timing_type : {kind};",
                         *["  " + line for line in scalar("rise_constraint", value)],
                         *["  " + line for line in scalar("fall_constraint", value)], "      }"]
            if pin.name in _OPERATIONS:
                operation, _, supply = _OPERATIONS[pin.name]
                body += ["      internal_power () {", f"        /* {operation} */",
                         f"        related_pg_pin : {supply};",
                         *["  " + line for line in scalar("rise_power", energies[operation])],
                         *["  " + line for line in scalar("fall_power", 0)], "      }"]
        else:
            body.append(f"      max_capacitance : "
                        f"{_number(k.macro_output_max_capacitance_pf)};")
            body += ["      timing () {", '        related_pin : "clk";',
                     "        timing_type : rising_edge;"]
            for group, value in (("cell_rise", k.macro_clock_to_output_ns),
                                 ("cell_fall", k.macro_clock_to_output_ns),
                                 ("rise_transition", k.macro_output_transition_ns),
                                 ("fall_transition", k.macro_output_transition_ns)):
                body += ["  " + line for line in scalar(group, value)]
            body.append("      }")
        if pin.width > 1:
            lines += [f"    bus ({pin.name}) {{", f"      bus_type : bus{pin.width};", *body,
                      "    }"]
        else:
            lines += [f"    pin ({pin.name}) {{", *body, "    }"]
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def lef_text(macro):
    """Return the LEF abstract of ``macro``."""
    lines = [line for line in _header(macro, "#")] + [
        "VERSION 5.7 ;", 'BUSBITCHARS "[]" ;', 'DIVIDERCHAR "/" ;', "",
        f"MACRO {MODULE}", "  CLASS BLOCK ;", f"  FOREIGN {MODULE} 0 0 ;", "  ORIGIN 0 0 ;",
        f"  SIZE {_number(macro.width)} BY {_number(macro.height)} ;", "  SYMMETRY X Y ;"]
    by_pin = {}
    for shape in macro.shapes:
        by_pin.setdefault(shape.pin, []).append(shape)
    for pin in macro.pins:
        use = {"clock": "CLOCK", "signal": "SIGNAL", "power": "POWER", "ground": "GROUND"}
        for bit in pin.bits():
            lines += [f"  PIN {bit}", f"    DIRECTION {pin.direction.upper()} ;",
                      f"    USE {use[pin.use]} ;"]
            if pin.use in ("power", "ground"):
                lines.append("    SHAPE ABUTMENT ;")
            lines.append("    PORT")
            for shape in by_pin[bit]:
                lines += [f"      LAYER {shape.layer} ;",
                          f"        RECT {_number(shape.x0)} {_number(shape.y0)} "
                          f"{_number(shape.x1)} {_number(shape.y1)} ;"]
            lines += ["    END", f"  END {bit}"]
    lines.append("  OBS")
    for shape in macro.obstructions:
        lines += [f"    LAYER {shape.layer} ;",
                  f"      RECT {_number(shape.x0)} {_number(shape.y0)} {_number(shape.x1)} "
                  f"{_number(shape.y1)} ;"]
    lines += ["  END", f"END {MODULE}", "", "END LIBRARY"]
    return "\n".join(lines) + "\n"


def verilog_text(macro):
    """Return the port-only Verilog black box of ``macro``, its supplies under
    ``ifdef USE_POWER_PINS`` (the convention of the open flows)."""
    supplies = [pin.name for pin in macro.supply_pins]
    signals = [pin.name for pin in macro.signal_pins]
    lines = [line for line in _header(macro, "//")] + [
        "(* blackbox *)", f"module {MODULE}(", "`ifdef USE_POWER_PINS",
        f"  {', '.join(supplies)},", "`endif", f"  {', '.join(signals)}", ");",
        "`ifdef USE_POWER_PINS"]
    lines += [f"  inout {name};" for name in supplies]
    lines.append("`endif")
    for pin in macro.signal_pins:
        lines.append(f"  {pin.direction} {f'[{pin.width - 1}:0] ' if pin.width > 1 else ''}"
                     f"{pin.name};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def view_files(macro):
    """Return ``{file name: text}`` of the three views: ``tlcim_subarray.lib``, ``.lef``,
    ``.v``."""
    return {f"{MODULE}.lib": liberty_text(macro), f"{MODULE}.lef": lef_text(macro),
            f"{MODULE}.v": verilog_text(macro)}
