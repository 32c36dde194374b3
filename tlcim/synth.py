"""Area estimates (``tlcim synth``): the digital periphery synthesised by yosys, per block.

The analog subarray is a black box (``Top(config, blackbox=True)``), so what is counted is
the digital periphery only. Each block of the periphery (:data:`BLOCKS`) is synthesised on its
own, then the whole top level, with :func:`tlcim.yosys.synthesise`: generic cell counts, the
area in gate equivalents (GE) of the shipped generic library, and an estimated transistor count.

Memories (``amaranth.lib.memory.Memory``: the activation buffer) are not built from gates: a chip
takes them from a memory compiler. They are kept whole and counted as SRAM macros by their bits at
``sram_um2_per_bit`` of :data:`tlcim.cost.PAPER_CONSTANTS`; a block's ``ge`` includes them as the
gate equivalents of the same area (:func:`memory_ge`), beside its ``logic_ge``.

Area in um^2 at 28 nm uses ``um2_per_ge``, an assumption stated in every report, and the *array
fraction* divides it by the area of the compute cells at the paper's ``cell_area_um2`` per cell
(SPEC 1); the *logic array fraction* does the same for the logic alone (without the SRAM macros).
The report ends with the area quality of the sums (:func:`tlcim.area_quality.area_quality`).
"""

import importlib
import pathlib
import time

from amaranth.hdl import Fragment

from .area_quality import area_quality
from .cost.constants import PAPER_CONSTANTS
from .files import output_dir, write_json, write_text
from .yosys import synthesise

__all__ = ["BLOCKS", "memory_ge", "total_ge", "netlist_numbers", "block_classes", "periphery_top",
           "hierarchy_blocks", "area_report", "format_table", "synth"]


#: The blocks of the per-block report, in report order: name -> ``"module:Class"`` paths of
#: the hardware classes whose instances make up the block (a path that names no class is an
#: error); a block without instances in the design is reported as absent.
#:
#: How the datapath (``hw/mac.py``, ``hw/output.py``) maps onto the paper's blocks: the
#: *accumulate tree* is :class:`tlcim.hw.mac.PartialMac` (ADC codes summed across subarrays, then
#: turned into partial MACs); *shift & add* is :class:`tlcim.hw.mac.Accumulator` (per ADC a group
#: register, Horner's rule over the weight trits ``3 * g + p``, and per output piece an
#: accumulator, Horner's rule over input trits ``3 * acc + g`` and sums over compute
#: blocks); the result slots, the combination of pieces when an output spans several ADCs
#: and the requantisation are the *output stage*.
BLOCKS = {
    "encoder": ("tlcim.hw.encoder:TernaryEncoder",),
    "activation buffer": ("tlcim.hw.encoder:ActivationBuffer",),
    "sequencer": ("tlcim.hw.sequencer:Sequencer",),
    "accumulate tree": ("tlcim.hw.mac:PartialMac",),
    "shift & add": ("tlcim.hw.mac:Accumulator",),
    "output stage": ("tlcim.hw.output:OutputStage",),
    "controller": ("tlcim.hw.nvm:NvmController",),
    "registers": ("tlcim.hw.regblock:RegisterBlock", "tlcim.hw.top:StatusMonitor"),
    "interfaces": ("tlcim.hw.axi:AXI4LiteSlave",),
}


def memory_ge(netlist):
    """Return the area of ``netlist``'s memories as SRAM macros (``sram_um2_per_bit`` of
    :data:`tlcim.cost.PAPER_CONSTANTS`), in the gate equivalents of the same area at
    ``um2_per_ge``."""
    return netlist.memory_bits * PAPER_CONSTANTS.sram_um2_per_bit / PAPER_CONSTANTS.um2_per_ge


def total_ge(netlist):
    """Return logic plus memories (:func:`memory_ge`), in gate equivalents."""
    return netlist.ge + memory_ge(netlist)


def netlist_numbers(netlist):
    """Return a netlist's numbers as plain data (GE rounded to 0.1): ``ge`` is the total
    (logic and memories), ``logic_ge`` the gates alone."""
    return {"ge": round(total_ge(netlist), 1), "logic_ge": round(netlist.ge, 1),
            "memory_bits": netlist.memory_bits, "memory_ge": round(memory_ge(netlist), 1),
            "memories": [dict(memory) for memory in netlist.memories],
            "sequential_ge": round(netlist.sequential_ge, 1),
            "combinational_ge": round(netlist.combinational_ge, 1),
            "transistors": netlist.transistors, "generic_cells": dict(sorted(
                netlist.generic.items())),
            "cells": dict(sorted(netlist.cells.items())),
            "blackboxes": dict(sorted(netlist.blackboxes.items()))}


def _resolve(path):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def block_classes(blocks=BLOCKS):
    """Return ``{hardware class: block name}`` for the ``"module:Class"`` paths of ``blocks``."""
    classes = {}
    for block, paths in blocks.items():
        for path in paths:
            cls = _resolve(path)
            if cls is not None:
                classes[cls] = block
    return classes


def hierarchy_blocks(design, blocks=None):
    """Group the instances in ``design``'s hierarchy by block.

    Returns ``{block: [(component, instances), ...]}``: for each block of ``blocks`` (default
    :data:`BLOCKS`), one representative component per distinct (class, port signature) with
    the number of its instances. Only outermost matches count (a block's own sub-blocks are
    part of it). The design is elaborated once, without a platform.
    """
    classes = block_classes(BLOCKS if blocks is None else blocks)
    groups = {}

    def walk(fragment):
        for origin in getattr(fragment, "origins", None) or ():
            block = classes.get(type(origin))
            if block is not None:
                signature = getattr(origin, "signature", None)
                key = (block, type(origin), repr(signature))
                entry = groups.setdefault(key, [origin, 0])
                entry[1] += 1
                return
        for sub, *_ in fragment.subfragments:
            walk(sub)
    walk(Fragment.get(design, None))
    result = {}
    for (block, _, _), (component, count) in groups.items():
        result.setdefault(block, []).append((component, count))
    return result


def periphery_top(config):
    """Return :class:`tlcim.hw.top.Top` for ``config`` with the subarrays as black boxes."""
    from tlcim.hw.top import Top
    return Top(config, blackbox=True)


def _ge(ge):
    return f"{ge:,.0f}"


def _memory_note(netlist):
    # Progress-line suffix naming the SRAM bits inside a GE figure.
    return f" (SRAM: {netlist.memory_bits:,} bits)" if netlist.memory_bits else ""


def area_report(config, *, workdir=None, progress=print):
    """Synthesise the periphery of ``config`` block by block and whole; return the report dict.

    ``progress`` receives one line per step (block names and timings).
    """
    top = periphery_top(config)
    groups = hierarchy_blocks(top)
    steps = sum(len(v) for v in groups.values()) + 1
    step = 0
    blocks = {}
    for block in BLOCKS:
        entries = []
        for component, count in groups.get(block, ()):
            step += 1
            progress(f"[{step}/{steps}] {block}: {type(component).__name__} "
                     f"(x{count}) ...")
            t = time.monotonic()
            sub = None if workdir is None else pathlib.Path(workdir) / f"{step:02d}"
            netlist = synthesise(component, name="block", workdir=sub)
            entries.append({"class": type(component).__name__, "instances": count,
                            "per_instance": netlist_numbers(netlist)})
            progress(f"      {_ge(total_ge(netlist))} GE per instance"
                     f"{_memory_note(netlist)} ({time.monotonic() - t:.1f} s)")

        def total(key):
            return sum(e["instances"] * e["per_instance"][key] for e in entries)
        blocks[block] = {
            "instances": sum(e["instances"] for e in entries),
            "ge": round(total("ge"), 1),
            "logic_ge": round(total("logic_ge"), 1),
            "memory_bits": total("memory_bits"),
            "transistors": sum(e["instances"] * e["per_instance"]["transistors"]
                               for e in entries),
            "components": entries,
        }
    step += 1
    progress(f"[{step}/{steps}] whole periphery (Top, subarrays as black boxes) ...")
    t = time.monotonic()
    sub = None if workdir is None else pathlib.Path(workdir) / "top"
    whole = synthesise(top, name="top", workdir=sub)
    progress(f"      {_ge(total_ge(whole))} GE{_memory_note(whole)} "
             f"({time.monotonic() - t:.1f} s)")
    listed = sum(b["ge"] for b in blocks.values())
    array_um2 = config.subarrays * config.rows * config.cbls * PAPER_CONSTANTS.cell_area_um2
    total_um2 = total_ge(whole) * PAPER_CONSTANTS.um2_per_ge
    return {
        "config": config.to_dict(),
        "assumptions": {
            "um2_per_ge_28nm": PAPER_CONSTANTS.um2_per_ge,
            "sram_um2_per_bit_28nm": PAPER_CONSTANTS.sram_um2_per_bit,
            "cell_um2": PAPER_CONSTANTS.cell_area_um2,
            "liberty": "tlcim/data/generic.lib (Nangate 45 nm OCL X1 areas / NAND2_X1)",
            "transistors": "static CMOS count per library cell (tlcim.yosys.TRANSISTORS)",
        },
        "total_ge": round(total_ge(whole), 1),
        "logic_ge": round(whole.ge, 1),
        "memory_bits": whole.memory_bits,
        "memory_um2_28nm": round(whole.memory_bits * PAPER_CONSTANTS.sram_um2_per_bit, 1),
        "total_transistors": whole.transistors,
        "total_um2_28nm": round(total_um2, 1),
        "per_subarray_ge": round(total_ge(whole) / config.subarrays, 1),
        "array_um2": round(array_um2, 1),
        "array_fraction": total_um2 / array_um2,
        # The same share without the SRAM macros (the activation double buffer's bits).
        "logic_array_fraction": whole.ge * PAPER_CONSTANTS.um2_per_ge / array_um2,
        "whole": netlist_numbers(whole),
        "blocks": blocks,
        # Glue outside the listed blocks; never negative (optimisation across block
        # boundaries in the whole design can make the whole smaller than its parts).
        "other_ge": round(max(0.0, total_ge(whole) - listed), 1),
        "cross_boundary_savings_ge": round(max(0.0, listed - total_ge(whole)), 1),
    }


def format_table(report):
    """Return the readable (Markdown) table of an :func:`area_report`."""
    total = report["total_ge"] or 1.0
    lines = ["| block | instances | GE | share | SRAM bits | transistors |",
             "|---|---:|---:|---:|---:|---:|"]
    for block, entry in report["blocks"].items():
        if not entry["instances"]:
            lines.append(f"| {block} | absent | - | - | - | - |")
            continue
        lines.append(f"| {block} | {entry['instances']} | {_ge(entry['ge'])} | "
                     f"{100 * entry['ge'] / total:.1f} % | {entry.get('memory_bits', 0):,} | "
                     f"{entry['transistors']:,} |")
    lines.append(f"| other (glue; whole minus blocks) | | {_ge(report['other_ge'])} | "
                 f"{100 * report['other_ge'] / total:.1f} % | | |")
    lines.append(f"| **whole periphery** | | **{_ge(report['total_ge'])}** | 100 % | "
                 f"{report.get('memory_bits', 0):,} | {report['total_transistors']:,} |")
    a = report["assumptions"]
    lines += ["", f"Area at 28 nm: {report['total_um2_28nm']:,.0f} um^2 "
              f"(assumed {a['um2_per_ge_28nm']} um^2 per GE of logic, "
              f"{a['sram_um2_per_bit_28nm']} um^2 per SRAM bit; "
              f"SRAM counted in GE by the same area, transistors count logic only); "
              f"per subarray {_ge(report['per_subarray_ge'])} GE.",
              f"Array: {report['array_um2']:,.0f} um^2 ({a['cell_um2']} um^2 per compute cell); "
              f"periphery / array = {100 * report['array_fraction']:.2f} % "
              f"({100 * report['logic_array_fraction']:.2f} % without the SRAM macros)."]
    quality = report.get("area_quality")
    if quality:
        lines += ["", f"Area quality (one full adder = {quality['full_adder_ge']} GE; target: "
                      f"at most {quality['target_vs_bound']}x the bound and below naive):", "",
                  "| sum | GE | naive GE | full-adder bound GE | vs bound | vs naive | met |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for name in ("accumulate tree", "shift & add"):
            q = quality[name]
            lines.append(f"| {name} | {_ge(q['ge'])} | {_ge(q['naive_ge'])} | "
                         f"{_ge(q['bound_ge'])} ({q['bound_full_adders']} FA) | "
                         f"{q['vs_bound']} | {q['vs_naive']} | "
                         f"{'yes' if q['meets_target'] else 'no'} |")
    return "\n".join(lines) + "\n"


def synth(config, out, force=False):
    """``tlcim synth``: write ``area.json`` and ``area.md`` for ``config`` into ``out``."""
    started = time.monotonic()
    with output_dir(out, force=force) as temp:
        progress = lambda line: print(line, flush=True)  # noqa: E731
        report = area_report(config, progress=progress)
        report["area_quality"] = area_quality(config, progress=progress)
        table = format_table(report)
        write_json(temp / "area.json", report)
        write_text(temp / "area.md", f"# Periphery area\n\n{table}")
    print(table, end="")
    print(f"wrote {out} in {time.monotonic() - started:.1f} s")
