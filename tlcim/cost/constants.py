"""The sourced constants of the cost model: every number with its unit, kind and source.

:class:`Constants` is the one table the cost model (:mod:`tlcim.cost.model`) and the area report
(:mod:`tlcim.synth`) take their figures from; ``kind`` says whether a value is the paper's
(SPEC section 1), derived from the paper's by stated arithmetic, our assumption, or a
periphery estimate that a synthesised ``area.json`` replaces.
"""

import dataclasses
import math

__all__ = ["Constants", "PAPER_CONSTANTS", "KINDS"]

_PAPER = "paper"            # a figure of the paper, as recorded in SPEC section 1

_DERIVED = "derived"        # follows from paper figures by arithmetic stated in the source

_ASSUMED = "assumption"     # not in the paper: our documented choice

_ESTIMATE = "estimate"      # periphery area placeholder, replaced by area.json when given

#: The kinds of constants, in table order.
KINDS = (_PAPER, _DERIVED, _ASSUMED, _ESTIMATE)


def _constant(value, unit, kind, source):
    return dataclasses.field(default=value, metadata={"unit": unit, "kind": kind,
                                                      "source": source})


@dataclasses.dataclass(frozen=True, kw_only=True)
class Constants:
    """The named constants of the cost model, each with its unit, kind and source.

    ``kind`` is ``paper`` (a figure of the paper, SPEC section 1), ``derived`` (arithmetic on
    paper figures), ``assumption`` (not in the paper; our stated choice) or ``estimate`` (a
    periphery area placeholder that ``area.json`` replaces). Use :meth:`replace` to study
    another value; :meth:`table` lists them all for reports.

    Raises
    ------
    ValueError
        If a value is not a positive number, a count (``int`` field) not an integer, or a
        fraction above 1.
    """

    # -- storage (paper Sec. 4 / Table, SPEC 1) ---------------------------------------------------
    bits_per_trit: float = _constant(
        1.6, "bit/trit", _DERIVED,
        "SPEC 1: 240 trits per cell = 384 bits, and 6554 = 4096 x 1.6 ops (5 trits replace 8 "
        "bits)")
    cell_area_um2: float = _constant(6.35, "um^2", _PAPER, "SPEC 1: TL-nvSRAM-CIM cell area")
    sl_cell_area_um2: float = _constant(2.33, "um^2", _PAPER, "SPEC 1: SL-nvSRAM-CIM cell area")
    sl_bits_per_cell: int = _constant(18, "bit", _PAPER,
                                        "SPEC 1: SL-nvSRAM-CIM, 3 groups x 6 SL-ReRAMs per cell")
    sram_cell_area_um2: float = _constant(0.75, "um^2", _PAPER, "SPEC 1: 6T SRAM cell area")
    sram_bits_per_cell: int = _constant(1, "bit", _PAPER, "SPEC 1: 6T SRAM, 1.33 bit/um^2")
    # -- TL-nvSRAM-CIM energies (paper Sec. 4, SPEC 1) ---------------------------------------------
    e_cim_pj: float = _constant(0.096, "pJ/CBL", _PAPER,
                                "SPEC 1: CIM energy per CBL evaluation (one block, one input "
                                "trit)")
    e_adc_pj: float = _constant(0.188, "pJ/conversion", _PAPER,
                                "SPEC 1: 5-bit flash ADC conversion")
    e_encoder_pj: float = _constant(0.0131, "pJ/conversion", _PAPER,
                                    "SPEC 1: ternary encoder, one 8-bit input to trits")
    e_shift_add_pj: float = _constant(0.336, "pJ/group", _PAPER,
                                      "SPEC 1: shift & add per 5 columns")
    shift_add_columns: int = _constant(5, "columns/group", _PAPER,
                                         "SPEC 1: the shift & add figure is per 5 columns")
    e_restore_cell_pj: float = _constant(
        0.00857, "pJ/cell", _PAPER,
        "SPEC 1: restore 8.57 fJ/cell (the 75.2 pJ/array figure matches ~8.8k cells, not a "
        "whole 256 x 160 subarray, so the per-cell figure is used)")
    e_store_cell_pj: float = _constant(0.0692, "pJ/cell", _PAPER,
                                       "SPEC 1: store (program) 69.2 fJ/cell; one-off, not per "
                                       "inference")
    e_buffer_pj_per_bit: float = _constant(0.042, "pJ/bit", _PAPER,
                                           "SPEC 1: activation buffer access")
    # -- storage reads of the baselines (SPEC 1) ---------------------------------------------------
    e_dram_pj_per_bit: float = _constant(4.2, "pJ/bit", _PAPER, "SPEC 1: DRAM read (1 ns)")
    e_reram_read_pj_per_bit: float = _constant(1.63, "pJ/bit", _PAPER,
                                               "SPEC 1: on-chip ReRAM storage read (5 ns)")
    t_reram_read_ns: float = _constant(5, "ns", _PAPER, "SPEC 1: ReRAM read time")
    r_lrs_ohm: float = _constant(80e3, "ohm", _PAPER, "SPEC 1: LRS resistance")
    r_hrs_ohm: float = _constant(1e6, "ohm", _PAPER, "SPEC 1: HRS resistance")
    # -- binary baselines' organisation (SPEC 1) ---------------------------------------------------
    binary_rows: int = _constant(256, "rows", _PAPER, "SPEC 1: binary designs, 256 x 256")
    binary_cols: int = _constant(256, "columns", _PAPER, "SPEC 1: binary designs, 256 x 256")
    binary_active_rows: int = _constant(32, "rows", _PAPER,
                                          "SPEC 1: binary designs, 32 rows active")
    operand_bits: int = _constant(8, "bit", _PAPER,
                                    "SPEC 1: 8-bit inputs and weights (binary designs; TL "
                                    "inputs before encoding)")
    binary_adc_share: int = _constant(8, "columns/ADC", _PAPER,
                                        "SPEC 1: binary designs, one 5-bit ADC per 8 columns")
    # -- assumptions (not in the paper) ------------------------------------------------------------
    cycle_ns: float = _constant(5.0, "ns", _ASSUMED,
                                "conversion cycle (200 MHz); only absolute throughput uses it")
    e_sram_write_pj_per_bit: float = _constant(
        0.042, "pJ/bit", _ASSUMED,
        "writing a loaded weight bit into SRAM-CIM, taken equal to the buffer access energy")
    e_sl_restore_cell_pj: float = _constant(
        0.00857, "pJ/cell", _ASSUMED,
        "SL-nvSRAM-CIM restore per cell, taken equal to TL's (favours SL; <0.3 % of its energy)")
    vdd_v: float = _constant(0.9, "V", _ASSUMED, "28 nm core supply")
    reram_v_read: float = _constant(0.3, "V", _ASSUMED,
                                    "ReRAM-CIM read voltage on the selected rows (kept to a few "
                                    "hundred mV against read disturb; see docs for the "
                                    "sensitivity)")
    reram_read_paths: int = _constant(
        2, "paths", _ASSUMED,
        "ReRAM-CIM current-mode sensing: the column current drawn from VDD through the "
        "bitline clamp, plus its mirror copy into the ADC")
    input_one_fraction: float = _constant(0.5, "", _ASSUMED,
                                          "fraction of input bits that are 1 (activity)")
    weight_lrs_fraction: float = _constant(0.5, "", _ASSUMED,
                                           "fraction of ReRAM-CIM weight bits in LRS")
    um2_per_ge: float = _constant(
        0.5, "um^2/GE", _ASSUMED,
        "28 nm NAND2 X1 footprint (9-track libraries: about 0.4 to 0.5 um^2; the upper end, so "
        "the periphery is not understated); converts tlcim synth's gate equivalents to area")
    sram_um2_per_bit: float = _constant(
        0.3, "um^2/bit", _ASSUMED,
        "small two-port SRAM macro at 28 nm, periphery included: 8T cell 0.18 um^2 (1.4x the "
        "0.127 um^2 6T cell) over 60 % array efficiency; the activation buffer's bits")
    # -- macro views of the subarray (tlcim.signoff.views) -----------------------------------------
    paper_node_nm: int = _constant(28, "nm", _PAPER,
                                   "SPEC 1: the paper's macro, cell area and energies are 28 nm")
    macro_cell_aspect: float = _constant(
        1.0, "width/height", _ASSUMED,
        "shape of one compute cell in the macro's floorplan: the paper gives its area, not its "
        "shape, so a square")
    macro_setup_ns: float = _constant(
        0.3, "ns", _ASSUMED,
        "setup of every macro input to clk: the input registers of a synchronous SRAM macro "
        "at 0.18 um (0.2 to 0.4 ns)")
    macro_hold_ns: float = _constant(
        0.1, "ns", _ASSUMED, "hold of every macro input after clk (SRAM macros: 0 to 0.2 ns)")
    macro_clock_to_output_ns: float = _constant(
        1.5, "ns", _ASSUMED,
        "clk to every macro output: the ADC output register (codes) and the synchronous SRAM "
        "row read (row_rdata, nvm_row_rdata; a 0.18 um SRAM access is 1 to 2 ns)")
    macro_output_transition_ns: float = _constant(
        0.3, "ns", _ASSUMED, "transition of every macro output (a buffered output driver)")
    macro_input_capacitance_pf: float = _constant(
        0.01, "pF", _ASSUMED,
        "capacitance of every macro input: one buffered driver input (osu018 BUFX4's A pin is "
        "0.0096 pF)")
    macro_output_max_capacitance_pf: float = _constant(
        0.5, "pF", _ASSUMED, "largest load a macro output drives within its transition")
    macro_leakage_nw_per_cell: float = _constant(
        0.05, "nW/cell", _ASSUMED,
        "leakage of one compute cell (its two 6T SRAM cells; the ReRAMs keep their state "
        "without power), scaled by the cells of the macro")
    macro_vpp_v: float = _constant(
        3.3, "V", _ASSUMED,
        "supply of the ReRAM program path (store's set and reset pulses need more than the "
        "core supply; 3.3 V is the thick-oxide supply of 0.18 um processes)")
    macro_power_stripe_um: float = _constant(
        4.0, "um", _ASSUMED, "width of each power stripe (VDD, VSS, VPP) of the macro's LEF")
    macro_power_pitch_um: float = _constant(
        60.0, "um", _ASSUMED,
        "distance between the stripes of one supply across the macro's LEF")
    # -- periphery area placeholders (replaced by area.json) ---------------------------------------
    area_adc_um2: float = _constant(1500, "um^2/ADC", _ESTIMATE,
                                    "5-bit flash ADC with its 5:1 mux (31 comparators, ladder)")
    area_shift_add_um2: float = _constant(150, "um^2/ADC", _ESTIMATE,
                                          "shift & add after each ADC (~300 gates)")
    area_encoder_um2: float = _constant(60, "um^2/block", _ESTIMATE,
                                        "ternary encoder per compute block (~120 gates)")
    area_driver_um2: float = _constant(10, "um^2/row", _ESTIMATE,
                                       "word-line pair and restore/store drivers per row")
    area_control_um2: float = _constant(2000, "um^2/subarray", _ESTIMATE,
                                        "sequencer, accumulators, restore controller per "
                                        "subarray (~4k gates)")

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value) or value <= 0):
                raise ValueError(f"constant {field.name} must be a positive number, "
                                 f"not {value!r}")
            if field.type in (int, "int") and not isinstance(value, int):
                raise ValueError(f"constant {field.name} must be an integer (a count), "
                                 f"not {value!r}")
        for name in ("input_one_fraction", "weight_lrs_fraction"):
            if getattr(self, name) > 1:
                raise ValueError(f"constant {name} must be at most 1, not {getattr(self, name)!r}")

    def replace(self, **changes):
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def table(cls, constants=None):
        """Return ``[{"name", "value", "unit", "kind", "source"}, ...]`` for every constant."""
        constants = constants or cls()
        return [{"name": field.name, "value": getattr(constants, field.name), **field.metadata}
                for field in dataclasses.fields(cls)]

    # -- derived per-event energies -------------------------------------------------------------

    @property
    def e_shift_add_column_pj(self):
        """Shift & add energy per column conversion (the paper's figure is per 5 columns)."""
        return self.e_shift_add_pj / self.shift_add_columns

    @property
    def e_reram_column_pj(self):
        """ReRAM-CIM column read energy per conversion (replaces SRAM-CIM's ``e_cim_pj``).

        The mean column current of ``binary_active_rows`` selected cells at ``reram_v_read``
        (inputs at 1 with ``input_one_fraction``; cells in LRS with ``weight_lrs_fraction``,
        else HRS), drawn from ``vdd_v`` for ``t_reram_read_ns`` on ``reram_read_paths`` paths.
        """
        mean_conductance = (self.weight_lrs_fraction / self.r_lrs_ohm
                            + (1 - self.weight_lrs_fraction) / self.r_hrs_ohm)
        current = (self.binary_active_rows * self.input_one_fraction * self.reram_v_read
                   * mean_conductance)
        return self.reram_read_paths * self.vdd_v * current * self.t_reram_read_ns * 1e-9 * 1e12


PAPER_CONSTANTS = Constants()
