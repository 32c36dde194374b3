"""FPGA emulation builds (``tlcim fpga``): the macro with its behavioural stub on a board.

The build top (:class:`BoardTop`) is :class:`tlcim.hw.uart.UARTTop` (the whole
:class:`tlcim.hw.top.Top` driven through the UART bridge of :mod:`tlcim.hw.uart`) on the board's
UART pins, clocked by the board oscillator without a PLL (iCEBreaker: 12 MHz; ULX3S: 25 MHz), with
the platform's power-on reset. amaranth-boards describes the boards; the yowasp builds of yosys,
nextpnr and the bitstream packers from PyPI do the work (each overridable by the environment
variables ``YOSYS``, ``NEXTPNR_ICE40``, ``ICEPACK``, ``NEXTPNR_ECP5``, ``ECPPACK``).

A configuration that cannot fit is refused before place and route, twice over: first by the
storage its stub needs against the board's RAM and flip-flops (instant), then by the LUTs,
flip-flops and block RAMs that synthesis reports against the device. Either message gives the
estimate and the limit.
"""

import dataclasses
import importlib
import json
import pathlib
import shutil
import subprocess
import tempfile
import time

from amaranth.hdl import Elaboratable, Module
from amaranth.lib import io

from .files import output_dir, write_json
from .yosys import find_tool

__all__ = ["Board", "BOARDS", "BAUD", "storage_bits", "check_storage", "check_fit", "BoardTop",
           "build", "fpga"]

#: UART baud rate of every build (``tlcim.sim.fpga.BAUD`` is the same number).
BAUD = 115200


@dataclasses.dataclass(frozen=True)
class Board:
    """A supported board.

    Members
    -------
    name : str
    platform : str
        ``"module:Class"`` of its amaranth-boards platform.
    family : str
        ``"ice40"`` or ``"ecp5"``.
    luts, ffs, brams, dsps : int
        Device limits: 4-input LUTs, flip-flops, block RAMs, hard multipliers.
    bram_bits : int
        Bits per block RAM.
    clock_mhz : float
        Board oscillator, the clock the build runs at.
    target_mhz : float
        The Fmax the preset must reach: the 12 MHz clock with a 10 % margin on iCE40; 50 MHz
        on ECP5, twice the oscillator the build runs at.
    preset : str
        The configuration preset made for this board.
    """

    name: str
    platform: str
    family: str
    luts: int
    ffs: int
    brams: int
    dsps: int
    bram_bits: int
    clock_mhz: float
    target_mhz: float
    preset: str


#: Boards of ``tlcim fpga --board``. Limits from the device data sheets: iCE40UP5K 5280 logic
#: cells (one LUT4 + one flip-flop each), 30 EBR of 4 kbit, 8 SB_MAC16; LFE5U-85F 83,640
#: LUT4s and flip-flops, 208 EBR of 18 kbit, 156 18x18 multipliers.
BOARDS = {
    "icebreaker": Board("icebreaker", "amaranth_boards.icebreaker:ICEBreakerPlatform", "ice40",
                        luts=5280, ffs=5280, brams=30, dsps=8, bram_bits=4096,
                        clock_mhz=12.0, target_mhz=13.2, preset="ice40"),
    "ulx3s-85f": Board("ulx3s-85f", "amaranth_boards.ulx3s:ULX3S_85F_Platform", "ecp5",
                       luts=83640, ffs=83640, brams=208, dsps=156, bram_bits=18432,
                       clock_mhz=25.0, target_mhz=50.0, preset="ecp5"),
}

#: Environment variable naming each tool of the build scripts (amaranth's convention).
_TOOL_ENV = {"yosys": "YOSYS", "nextpnr-ice40": "NEXTPNR_ICE40", "icepack": "ICEPACK",
             "nextpnr-ecp5": "NEXTPNR_ECP5", "ecppack": "ECPPACK"}

#: Extra synthesis options per family: on iCE40, map multipliers onto the SB_MAC16 DSP blocks
#: (synth_ice40 leaves them in LUTs unless asked; the requantisation multiplier is on the
#: critical path). synth_ecp5 uses its MULT18X18D blocks by default.
_SYNTH_OPTS = {"ice40": "-dsp", "ecp5": ""}

#: Yosys cell types counted as LUTs and flip-flops, per family.
_LUT_CELLS = {"ice40": ("SB_LUT4",), "ecp5": ("LUT4",)}
_FF_PREFIX = {"ice40": "SB_DFF", "ecp5": "TRELLIS_FF"}
_BRAM_CELLS = {"ice40": ("SB_RAM40_4K",), "ecp5": ("DP16KD", "PDPW16KD")}
_DSP_CELLS = {"ice40": ("SB_MAC16",), "ecp5": ("MULT18X18D",)}


def _board(name):
    try:
        return BOARDS[name]
    except KeyError:
        raise ValueError(f"board must be one of {', '.join(BOARDS)}, not {name!r}") from None


def storage_bits(config):
    """Bits of storage the behavioural stubs of ``config`` hold: every subarray's SRAM
    (``rows x 2 cbls``) and its weight sets (``weight_sets x rows x nvm_row_bits``, the
    ReRAMs with their checksum cells, :mod:`tlcim.hw.reram_array`)."""
    from tlcim.hw.interfaces import nvm_row_bits
    return config.subarrays * config.rows * (2 * config.cbls +
                                             config.weight_sets * nvm_row_bits(config))


def check_storage(config, board):
    """Refuse ``config`` if its stubs' storage cannot fit ``board`` at all.

    The bound is generous (all block RAM bits plus one bit per flip-flop), so a config that
    passes may still be refused after synthesis, never the other way round.

    Raises
    ------
    ValueError
        With the estimate and the limit.
    """
    board = _board(board) if isinstance(board, str) else board
    need = storage_bits(config)
    limit = board.brams * board.bram_bits + board.ffs
    if need > limit:
        raise ValueError(
            f"config does not fit {board.name}: its subarray stubs hold {need:,} bits of SRAM "
            f"and weight sets, the board has at most {limit:,} "
            f"({board.brams} block RAMs x {board.bram_bits} bits + {board.ffs} flip-flops); "
            f"try --config {board.preset}")


class BoardTop(Elaboratable):
    """Elaboratable: :class:`tlcim.hw.uart.UARTTop` on the board's first UART.

    Parameters
    ----------
    config : golden.Config
    """

    def __init__(self, config):
        self.config = config

    def elaborate(self, platform):
        from tlcim.hw.uart import UARTTop, divisor_for
        m = Module()
        # The behavioural Verilog modules the stub instantiates (the weight-set storage).
        from tlcim.hw.reram_array import verilog_sources
        for name, text in verilog_sources().items():
            platform.add_file(name, text)
        uart = platform.request("uart", 0, dir="-")
        m.submodules.rx = rx = io.Buffer("i", uart.rx)
        m.submodules.tx = tx = io.Buffer("o", uart.tx)
        divisor = divisor_for(platform.default_clk_frequency, BAUD)
        m.submodules.emulator = emulator = UARTTop(self.config, divisor=divisor)
        m.d.comb += [emulator.rx.eq(rx.i), tx.o.eq(emulator.tx)]
        return m


def _platform(board):
    module, name = board.platform.split(":")
    return getattr(importlib.import_module(module), name)()


def _run(command, cwd, what):
    tool = _TOOL_ENV[command[0]]
    argv = find_tool(command[0], tool) + command[1:]
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    if result.returncode:
        log = (result.stdout + result.stderr).strip().splitlines()
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\n" + "\n".join(log[-30:]))


def _synthesis_counts(board, stat):
    cells = stat["design"].get("num_cells_by_type", {})
    luts = sum(n for kind, n in cells.items() if kind in _LUT_CELLS[board.family])
    ffs = sum(n for kind, n in cells.items() if kind.startswith(_FF_PREFIX[board.family]))
    brams = sum(n for kind, n in cells.items() if kind in _BRAM_CELLS[board.family])
    dsps = sum(n for kind, n in cells.items() if kind in _DSP_CELLS[board.family])
    return {"luts": luts, "ffs": ffs, "brams": brams, "dsps": dsps}


def check_fit(board, counts):
    """Raise ``ValueError`` if synthesis ``counts`` (``luts``, ``ffs``, ``brams``, ``dsps``)
    exceed ``board``'s device, naming each resource over its limit."""
    over = [f"{counts[key]:,} {label} (limit {limit:,})"
            for key, label, limit in (("luts", "LUTs", board.luts), ("ffs", "flip-flops",
                                                                       board.ffs),
                                      ("brams", "block RAMs", board.brams),
                                      ("dsps", "multipliers", board.dsps))
            if counts[key] > limit]
    if over:
        raise ValueError(f"config does not fit {board.name}: synthesis needs "
                         f"{'; '.join(over)}; refused before place and route")


def build(config, board, out=None, *, progress=print):
    """Build ``config`` for ``board`` and return the report (what ``fpga.json`` holds).

    Parameters
    ----------
    out : path or None
        Folder for the bitstream and logs (``build/`` inside it); None keeps nothing.

    Raises
    ------
    ValueError
        If the board is unknown or the configuration does not fit (before place and route).
    RuntimeError
        If a tool fails.
    """
    board = _board(board) if isinstance(board, str) else board
    check_storage(config, board)
    platform = _platform(board)
    plan = platform.prepare(BoardTop(config), "top",
                            synth_opts=_SYNTH_OPTS[board.family],
                            script_after_synth="tee -q -o top.stat.json stat -json",
                            nextpnr_opts="--report report.json --timing-allow-fail")
    commands = json.loads(plan.files["build_top.json"])["commands"]
    with tempfile.TemporaryDirectory(prefix="tlcim-fpga-") as temp:
        work = pathlib.Path(temp)
        plan.extract(work)
        t = time.monotonic()
        progress(f"[1/3] synthesis ({commands[0][0]}) ...")
        _run(commands[0], work, "synthesis")
        counts = _synthesis_counts(board, json.loads((work / "top.stat.json").read_text()))
        progress(f"      {counts['luts']:,} LUTs, {counts['ffs']:,} flip-flops, "
                 f"{counts['brams']} block RAMs, {counts['dsps']} multipliers "
                 f"({time.monotonic() - t:.1f} s)")
        check_fit(board, counts)
        t = time.monotonic()
        progress(f"[2/3] place and route ({commands[1][0]}) ...")
        _run(commands[1], work, "place and route")
        report = json.loads((work / "report.json").read_text())
        fmax = min(clock["achieved"] for clock in report["fmax"].values())
        used = {kind: entry["used"] for kind, entry in report["utilization"].items()
                if entry["used"]}
        progress(f"      Fmax {fmax:.1f} MHz ({time.monotonic() - t:.1f} s)")
        t = time.monotonic()
        progress(f"[3/3] bitstream ({commands[2][0]}) ...")
        _run(commands[2], work, "bitstream packing")
        progress(f"      done ({time.monotonic() - t:.1f} s)")
        bitstream = "top.bin" if board.family == "ice40" else "top.bit"
        if out is not None:
            out = pathlib.Path(out)
            (out / "build").mkdir(parents=True, exist_ok=True)
            shutil.copy(work / bitstream, out / bitstream)
            for name in ("top.rpt", "top.tim", "report.json", "top.stat.json"):
                shutil.copy(work / name, out / "build" / name)
    ram_kind = "ICESTORM_RAM" if board.family == "ice40" else "DP16KD"
    return {
        "board": board.name,
        "config": config.to_dict(),
        "luts": counts["luts"],
        "ffs": counts["ffs"],
        "brams": used.get(ram_kind, counts["brams"]),
        "dsps": counts["dsps"],
        "limits": {"luts": board.luts, "ffs": board.ffs, "brams": board.brams,
                   "dsps": board.dsps},
        "utilization": used,
        "clock_mhz": board.clock_mhz,
        "fmax_mhz": round(fmax, 2),
        "timing_met": fmax >= board.clock_mhz,
        "target_mhz": board.target_mhz,
        "meets_target": fmax >= board.target_mhz,
        "uart": {"baud": BAUD, "format": "8N1", "protocol": "hw/uart.py"},
        "bitstream": bitstream,
    }


def fpga(config, board, out, force=False):
    """``tlcim fpga``: build ``config`` for ``board``; write the bitstream, logs and
    ``fpga.json`` into ``out``."""
    started = time.monotonic()
    board = _board(board)
    with output_dir(out, force=force) as temp:
        report = build(config, board, temp, progress=lambda line: print(line, flush=True))
        write_json(temp / "fpga.json", report)
    print(f"{board.name}: {report['luts']:,}/{board.luts:,} LUTs, {report['ffs']:,} "
          f"flip-flops, {report['brams']} block RAMs; Fmax {report['fmax_mhz']} MHz at a "
          f"{board.clock_mhz:g} MHz clock (timing {'met' if report['timing_met'] else 'FAILED'}"
          f"; target {board.target_mhz:g} MHz "
          f"{'met' if report['meets_target'] else 'missed'})")
    print(f"wrote {out} in {time.monotonic() - started:.1f} s")
