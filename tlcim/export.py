"""The tapeout bundle (``tlcim export``): what an ASIC flow needs to take the periphery in.

Layout of the bundle (every path relative to it)::

    rtl/tlcim_top.v              the top level; each subarray an instance of tlcim_subarray
    rtl/tlcim_subarray_bb.v      port-only (* blackbox *) declaration of tlcim_subarray, its
                                 supplies under `ifdef USE_POWER_PINS (the macro's Verilog view)
    rtl/files.f                  file list for synthesis (library modules, the two above)
    macro/tlcim_subarray.lib     the macro's Liberty view (timing, power, area)
    macro/tlcim_subarray.lef     the macro's LEF abstract (size, pins, obstructions)
    sim/tlcim_subarray_model.v   behavioural model of tlcim_subarray (simulation only)
    sim/files.f                  file list for simulation (rtl files + model and its library)
    constraints/tlcim_top.sdc    clock and I/O constraints
    regmap/regmap.md, regmap/regmap.json, regmap/tlcim_regs.h
    config.json                  the configuration with its derived values and geometry
    manifest.json                configuration, clock, top and black-box names, and the
                                 sha256 of every other file: {"files": {path: sha256}}

The Verilog, register map and configuration come from :func:`tlcim.hw.generate.generated_files`
(the same text ``tlcim generate`` writes); the three macro views are
:mod:`tlcim.signoff.views` for the osu018 cells (the technology ``tlcim signoff`` signs off
on: areas scaled from the paper's 28 nm, see there); the behavioural model is
:class:`tlcim.hw.reram_array.NvmSubarray` (stub and weight sets) behind exactly the black box's
Verilog ports, converted under its module name. Output is reproducible byte for byte.
"""

import hashlib
import importlib.resources
import json
import math
import string
import time

from amaranth.back import verilog
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

# Verilator warnings accepted in the exported Verilog (``--lint-only -Wall``): the same list,
# with a reason for each, as the simulation builds use; every other warning fails the lint
# check of the test suite (tests/test_export.py).
from tlcim.sim.rtl import LINT_WAIVERS
from .files import output_dir, write_text

__all__ = ["DEFAULT_CLOCK_MHZ", "IO_PERCENT", "SETUP_UNCERTAINTY_PERCENT", "HOLD_UNCERTAINTY_NS",
           "TRANSITION_PERCENT", "LINT_WAIVERS", "check_clock", "input_ports", "bundle_files",
           "sdc_text", "export"]

#: Default clock of the SDC. The paper states no clock frequency; 200 MHz is a modest target
#: for 28 nm digital logic of this depth. ``tlcim export --clock-mhz`` changes it.
DEFAULT_CLOCK_MHZ = 200.0
#: Share of the clock period given to the logic outside the top level, per side (percent).
IO_PERCENT = 30
#: Setup clock uncertainty, percent of the period (jitter and the skew of a clock tree that
#: is not built yet).
SETUP_UNCERTAINTY_PERCENT = 5
#: Hold clock uncertainty in ns: skew only (jitter does not act on a same-edge check), so it
#: does not scale with the period.
HOLD_UNCERTAINTY_NS = 0.1
#: Largest transition, percent of the period (a rule of thumb: edges well inside a cycle).
TRANSITION_PERCENT = 10


def check_clock(clock_mhz):
    """Return ``clock_mhz`` as a float if it is a positive finite number of MHz.

    Raises
    ------
    ValueError
        ``"clock_mhz must be a positive finite number, not ..."`` (for 0, negatives, infinities,
        NaN and non-numbers).
    """
    if isinstance(clock_mhz, bool) or not isinstance(clock_mhz, (int, float)) or \
            not math.isfinite(clock_mhz) or not clock_mhz > 0:
        raise ValueError(f"clock_mhz must be a positive finite number, not {clock_mhz!r}")
    return float(clock_mhz)


def input_ports(config):
    """Return the names of the input ports of ``tlcim_top`` but the clock: ``rst``, then the
    bus inputs in port order."""
    from tlcim.hw.top import port_members
    return ["rst"] + [name for name, member in port_members(config).items()
                      if member.flow is In]


def sdc_text(config, clock_mhz=DEFAULT_CLOCK_MHZ):
    """Return the SDC of ``tlcim_top`` for a ``clock_mhz`` clock.

    Raises
    ------
    ValueError
        If ``clock_mhz`` is not a positive finite number (:func:`check_clock`).
    """
    period = 1000.0 / check_clock(clock_mhz)
    template = string.Template(
        (importlib.resources.files("tlcim.data") / "tlcim_top.sdc.in").read_text())
    return template.substitute(
        config=json.dumps(config.to_dict(), separators=(",", ":")),
        period_ns=f"{period:.4g}",
        setup_uncertainty_ns=f"{SETUP_UNCERTAINTY_PERCENT / 100 * period:.4g}",
        setup_percent=SETUP_UNCERTAINTY_PERCENT,
        hold_uncertainty_ns=f"{HOLD_UNCERTAINTY_NS:g}",
        io_delay_ns=f"{IO_PERCENT / 100 * period:.4g}", io_percent=IO_PERCENT,
        inputs=" ".join(input_ports(config)),
        max_transition_ns=f"{TRANSITION_PERCENT / 100 * period:.4g}",
        transition_percent=TRANSITION_PERCENT, load_pf="0.01")


class _SubarrayModel(wiring.Component):
    """The behavioural subarray with its weight sets (:class:`tlcim.hw.reram_array.NvmSubarray`,
    Verilog weight-set storage) behind exactly the Verilog ports of the black box
    (:meth:`tlcim.hw.reram_array.NvmSubarrayBlackBox.verilog_ports`), so it drops into its place."""

    def __init__(self, config):
        from tlcim.hw.reram_array import NvmSubarrayBlackBox
        self.config = config
        self._ports = [(direction, name, width) for direction, name, width in
                       NvmSubarrayBlackBox.verilog_ports(config) if name not in ("clk", "rst")]
        super().__init__({name: (In if direction == "input" else Out)(width)
                          for direction, name, width in self._ports})

    def elaborate(self, platform):
        from tlcim.hw.reram_array import NvmSubarray
        m = Module()
        m.submodules.subarray = inner = NvmSubarray(self.config, storage="verilog")
        for direction, name, _ in self._ports:
            if name.startswith("nvm_row_"):
                theirs = getattr(inner.nvm_row, name[len("nvm_"):])
            elif name == "nvm_owner":
                theirs = inner.nvm_owner
            elif name.startswith("nvm_"):
                theirs = getattr(inner.nvm, name[len("nvm_"):])
            else:
                theirs = getattr(inner, name)
            ours = getattr(self, name)
            theirs = theirs.as_value() if hasattr(theirs, "as_value") else theirs
            m.d.comb += (theirs.eq(ours) if direction == "input" else ours.eq(theirs))
        return m


def _model_verilog(config):
    from tlcim.hw.generate import BLACKBOX_MODULE
    return verilog.convert(_SubarrayModel(config), name=BLACKBOX_MODULE, emit_src=False)


def _split_top(text, declaration):
    # hw.generate appends the black-box declaration to the black-box top; the bundle keeps it
    # in a file of its own, so simulation can put the behavioural model in its place.
    if declaration and text.endswith(declaration):
        return text[:-len(declaration)]
    return text


def bundle_files(config, *, clock_mhz=DEFAULT_CLOCK_MHZ):
    """Return ``{relative path: text}`` of the whole bundle, ``manifest.json`` last.

    Behavioural library modules (:func:`tlcim.hw.generate.library_sources`) go beside the file that
    instantiates them: into ``rtl/`` when the black-box top uses them, else into ``sim/``
    when only the subarray model does.

    Raises
    ------
    ValueError
        If the hardware cannot be built for ``config`` or ``clock_mhz`` is invalid.
    """
    from tlcim.hw.generate import (TOP_NAME, BLACKBOX_MODULE, blackbox_declaration,
                             generated_files, library_sources)
    from .signoff.views import describe_macro, view_files
    sdc = sdc_text(config, clock_mhz)
    views = view_files(describe_macro(config))
    generated = generated_files(config)
    declaration = blackbox_declaration(config)
    top = _split_top(generated["tlcim_top_blackbox.v"], declaration)
    model = _model_verilog(config)
    rtl_library = library_sources(top)
    sim_library = {name: text for name, text in library_sources(model).items()
                   if name not in rtl_library}
    files = {f"rtl/{name}": text for name, text in rtl_library.items()}
    files.update({
        "rtl/tlcim_top.v": top,
        "rtl/tlcim_subarray_bb.v": views["tlcim_subarray.v"],
        "rtl/files.f": "".join(f"{name}\n" for name in
                               [*rtl_library, "tlcim_top.v", "tlcim_subarray_bb.v"]),
    })
    files.update({"macro/tlcim_subarray.lib": views["tlcim_subarray.lib"],
                  "macro/tlcim_subarray.lef": views["tlcim_subarray.lef"]})
    files.update({f"sim/{name}": text for name, text in sim_library.items()})
    files.update({
        "sim/tlcim_subarray_model.v": model,
        "sim/files.f": "".join(f"{name}\n" for name in
                               [*(f"../rtl/{n}" for n in rtl_library), "../rtl/tlcim_top.v",
                                *sim_library, "tlcim_subarray_model.v"]),
        "constraints/tlcim_top.sdc": sdc,
        "regmap/regmap.md": generated["regmap.md"],
        "regmap/regmap.json": generated["regmap.json"],
        "regmap/tlcim_regs.h": generated["tlcim_regs.h"],
        "config.json": generated["config.json"],
    })
    manifest = {
        "top": TOP_NAME,
        "blackbox": BLACKBOX_MODULE,
        "clock_mhz": clock_mhz,
        "config": config.to_dict(),
        "files": {path: hashlib.sha256(text.encode()).hexdigest()
                  for path, text in sorted(files.items())},
    }
    files["manifest.json"] = json.dumps(manifest, indent=1) + "\n"
    return files


def export(config, out, clock_mhz=DEFAULT_CLOCK_MHZ, force=False):
    """``tlcim export``: write the tapeout bundle of ``config`` into folder ``out``.

    Raises
    ------
    ValueError
        If ``clock_mhz`` is not a positive finite number, or ``out`` cannot or must not be
        written (:class:`tlcim.files.Outputs`); nothing is written then.
    """
    started = time.monotonic()
    with output_dir(out, force=force) as temp:
        files = bundle_files(config, clock_mhz=clock_mhz)
        for path, text in files.items():
            write_text(temp / path, text)
    print(f"wrote {len(files)} files to {out} in {time.monotonic() - started:.1f} s")
