"""The cost model of TL-nvSRAM-CIM and of the paper's four baselines.

From a :class:`tlcim.golden.Config` and the constants (:mod:`tlcim.cost.constants`) this computes
storage density and capacity, energy per MVM by component, peak throughput, TOPS/W and area,
counts how ResNet-18 and VGG-9 (CIFAR-10 shapes, :mod:`tlcim.networks`) map with the paper's
weight mapping (:func:`count_mapping`), and compares the energy per inference with DRAM +
SRAM-CIM, on-chip ReRAM + SRAM-CIM, ReRAM-CIM and SL-nvSRAM-CIM. ``docs/cost-model.md``
explains the method and the remaining differences from the paper.

The model is analytic and independent of the hardware generator (it never imports
``tlcim.hw``). The periphery area is an estimate until a synthesised area is given as
``area.json`` (:func:`load_area`).
"""

import math
import pathlib

from tlcim.networks import NETWORKS
from tlcim.sim.inputs import read_json
from .constants import PAPER_CONSTANTS, Constants

__all__ = ["TOLERANCE", "DESIGNS", "COMPONENTS", "count_mapping", "load_area", "significant",
           "CostModel"]

#: Largest relative difference from the paper's headline figures that the model aims for.
TOLERANCE = 0.15

#: Designs compared, by key: TL-nvSRAM-CIM and the four baselines of the paper (SPEC 1).
DESIGNS = {
    "tl": "TL-nvSRAM-CIM",
    "dram_sram": "DRAM + SRAM-CIM",
    "reram_sram": "ReRAM + SRAM-CIM",
    "reram_cim": "ReRAM-CIM",
    "sl_nvsram": "SL-nvSRAM-CIM",
}

#: Energy components, in report order.
COMPONENTS = ("array", "adc", "encoder", "shift_add", "buffer", "restore", "storage_read",
              "sram_write")

# Headline figures of the paper (SPEC 1): energy-efficiency ratio of TL-nvSRAM-CIM over each
# baseline, per network; one figure stands for both networks where the paper gives one.
_PAPER_RATIOS = {
    "dram_sram": {"resnet18": 2.5, "vgg9": 2.9},
    "reram_sram": {"resnet18": 1.7, "vgg9": 1.9},
    "reram_cim": 2.0,
    "sl_nvsram": 1.2,
}

_PAPER_DENSITY_RATIO = 7.8

_PAPER_THROUGHPUT_RATIO = 1.3


def _ceil(a, b):
    return -(-a // b)


def count_mapping(config, network):
    """Map ``network`` onto the macro with the paper's compact weight mapping (SPEC 1).

    A layer with ``rows = c*k*k`` and ``m`` outputs of ``w_trits`` trits is an
    ``rows x (m * w_trits)`` CBL matrix (``2 * m * w_trits`` SRAM columns), cut into blocks of
    ``active_rows`` rows by ``cbls`` CBLs. Each block fills one *slot*: one compute block of
    one subarray in one weight set. Full-width blocks take fresh slots in order, spread round
    robin over the subarrays (slot ``n`` is subarray ``n % subarrays``, compute block
    ``(n // subarrays) % compute_blocks``, weight set ``n // (subarrays * compute_blocks)``).
    The narrower last column block of a layer first goes into the free columns of a slot
    already in use (first fit) and takes a fresh slot only when none has room. Narrow blocks
    sharing a slot are computed in separate passes (their inputs differ), the ADC mux skipping
    the unused CBLs, so packing saves weight sets and restores but no energy. Duplicating
    blocks into idle subarrays for parallelism changes latency, not energy, and is not
    modelled.

    Returns
    -------
    dict
        ``layers`` (per layer: ``rows``, ``cbl_columns``, ``sram_columns``, ``row_tiles``,
        ``full_column_tiles``, ``narrow_width``, ``blocks``) and the totals ``blocks``,
        ``slots``, ``weight_sets_used``, ``restores`` (subarray x weight-set pairs holding
        weights, each restored once per inference), ``fits`` (whether one macro holds the
        network), ``macros`` (macros needed), ``utilisation`` (weight trits / slot trits).
    """
    slots = 0            # fresh slots taken so far
    open_slots = []      # free CBLs of slots holding narrow blocks (first fit)
    layers = []
    trits = 0
    for layer in network.layers:
        columns = layer.m * config.w_trits
        row_tiles = _ceil(layer.rows, config.active_rows)
        full, narrow = divmod(columns, config.cbls)
        slots += row_tiles * full
        if narrow:
            for _ in range(row_tiles):
                for index, free in enumerate(open_slots):
                    if free >= narrow:
                        open_slots[index] -= narrow
                        break
                else:
                    slots += 1
                    open_slots.append(config.cbls - narrow)
            open_slots = [free for free in open_slots if free]
        trits += layer.weights * config.w_trits
        layers.append({"name": layer.name, "rows": layer.rows, "cbl_columns": columns,
                       "sram_columns": 2 * columns, "row_tiles": row_tiles,
                       "full_column_tiles": full, "narrow_width": narrow,
                       "blocks": row_tiles * (full + (1 if narrow else 0))})
    per_set = config.subarrays * config.compute_blocks
    weight_sets_used = _ceil(slots, per_set)
    restores = (slots // per_set) * config.subarrays + min(slots % per_set, config.subarrays)
    return {
        "layers": layers,
        "blocks": sum(layer["blocks"] for layer in layers),
        "slots": slots,
        "weight_sets_used": weight_sets_used,
        "restores": restores,
        "fits": weight_sets_used <= config.weight_sets,
        "macros": _ceil(weight_sets_used, config.weight_sets),
        "utilisation": trits / (slots * config.active_rows * config.cbls),
    }


#: Periphery estimates that a ``tlcim synth`` report replaces: the digital blocks it
#: synthesises. The ADCs and row drivers are analog, inside the black-box subarray, and stay.
_DIGITAL_ESTIMATES = ("shift_add", "encoder", "control")


def _area_number(value, where):
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value < 0):
        raise ValueError(f"{where} must be a non-negative number, not {value!r}")
    return float(value)


def _synth_areas(data, name):
    """Components (um^2) of a ``tlcim synth`` area report: its blocks in GE x um^2 per GE."""
    try:
        per_ge = data["assumptions"]["um2_per_ge_28nm"]
        blocks = {block: entry["ge"] for block, entry in data["blocks"].items()}
        other = data.get("other_ge", 0.0)
    except (KeyError, TypeError, AttributeError):
        raise ValueError(f"{name}: a tlcim synth report needs assumptions.um2_per_ge_28nm and "
                         f"blocks.<name>.ge") from None
    per_ge = _area_number(per_ge, f"{name}: assumptions.um2_per_ge_28nm")
    areas = {block: _area_number(ge, f"{name}: blocks.{block}.ge") * per_ge
             for block, ge in blocks.items() if ge}
    if other:
        areas["other digital"] = _area_number(other, f"{name}: other_ge") * per_ge
    return areas


def load_area(path):
    """Read a synthesised periphery area from ``path`` (the ``--area`` hook).

    Two forms are accepted:

    - ``{"components_um2": {"<name>": <um^2>, ...}, "source": "..."}`` (source optional): each
      named component replaces the estimate of the same name (``adc``, ``shift_add``,
      ``encoder``, ``drivers``, ``control``) for the whole macro; other names are added.
    - the ``area.json`` that ``tlcim synth`` writes (it has ``total_um2_28nm`` and
      ``blocks``): its synthesised digital blocks replace the digital estimates
      (``shift_add``, ``encoder``, ``control``); the analog ADCs and drivers stay estimates.

    The array area is always computed from the cell area.

    Returns
    -------
    dict
        ``source``, ``components_um2`` and ``replaces`` (estimates that are dropped).

    Raises
    ------
    ValueError
        If the file cannot be read, has neither form, or an area is not a non-negative number.
    """
    path = pathlib.Path(path)
    data = read_json(path, "area file")
    if isinstance(data, dict) and "blocks" in data and "total_um2_28nm" in data:
        return {"source": f"tlcim synth ({path.name})",
                "components_um2": _synth_areas(data, path.name),
                "replaces": list(_DIGITAL_ESTIMATES)}
    if not isinstance(data, dict) or not isinstance(data.get("components_um2"), dict):
        raise ValueError(f"{path.name}: must be a JSON object with a \"components_um2\" object "
                         f"mapping component names to um^2, or a tlcim synth area report")
    areas = {}
    for name, value in data["components_um2"].items():
        if name == "array":
            raise ValueError(f"{path.name}: components_um2 must not set \"array\"; the array "
                             f"area comes from the cell area")
        areas[name] = _area_number(value, f"{path.name}: components_um2.{name}")
    return {"source": str(data.get("source", path.name)), "components_um2": areas,
            "replaces": sorted(areas)}


def significant(value, digits=6):
    """Round floats to ``digits`` significant digits, recursively (stable, readable JSON)."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {key: significant(item, digits) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [significant(item, digits) for item in value]
    return value


class CostModel:
    """Cost of one configuration and of the paper's baselines.

    Parameters
    ----------
    config : golden.Config
        The TL-nvSRAM-CIM macro (SPEC section 3).
    constants : Constants, optional
        Default :data:`PAPER_CONSTANTS`.
    area : dict, optional
        A synthesised periphery area as returned by :func:`load_area`.
    """

    def __init__(self, config, constants=PAPER_CONSTANTS, *, area=None):
        self.config = config
        self.k = constants
        self.area_override = area

    # -- organisation of each design -------------------------------------------------------------

    def _organisation(self, design):
        """Return (active rows, input digits, weight digits, bits per digit) of ``design``."""
        if design not in DESIGNS:
            raise ValueError(f"design must be one of {', '.join(DESIGNS)}, not {design!r}")
        k, c = self.k, self.config
        if design == "tl":
            return c.active_rows, c.x_trits, c.w_trits, k.bits_per_trit
        return k.binary_active_rows, k.operand_bits, k.operand_bits, 1.0

    def _adc_scale(self, design):
        """Cost of a conversion relative to the paper's 5-bit flash ADC: the configuration's
        ADC for TL-nvSRAM-CIM (:attr:`tlcim.golden.adc.Adc.cost_scale`), the paper's for the
        binary baselines."""
        return self.config.adc.cost_scale if design == "tl" else 1.0

    def _conversion_pj(self, design):
        """Energy per column conversion by component (array, adc, shift_add)."""
        k = self.k
        array = k.e_reram_column_pj if design == "reram_cim" else k.e_cim_pj
        return {"array": array, "adc": k.e_adc_pj * self._adc_scale(design),
                "shift_add": k.e_shift_add_column_pj}

    def _ops_per_conversion(self, design):
        """Binary-normalised ops of one conversion: 2 x rows x bits per input x per weight digit.

        With the paper's values, 2 x 16 x 1.6 x 1.6 = 81.92 (6554 ops in 80 cycles per column)
        for TL and 2 x 32 = 64 (4096 ops in 64 cycles) for the binary designs (SPEC 1).
        """
        rows, _, _, bits = self._organisation(design)
        return 2 * rows * bits * bits

    # -- storage ---------------------------------------------------------------------------------

    def density(self):
        """Storage density (bit/um^2) of the three cells and the ratios of the paper (SPEC 1).

        A TL cell keeps ``clusters * cluster_size`` trits in its ReRAMs, counted at
        ``bits_per_trit``; its area stays the paper's 6.35 um^2 (the ReRAMs sit above the cell
        in the back end of line, which the model does not check for other cluster sizes).
        """
        k, c = self.k, self.config
        tl = c.weight_sets * k.bits_per_trit / k.cell_area_um2
        sl = k.sl_bits_per_cell / k.sl_cell_area_um2
        sram = k.sram_bits_per_cell / k.sram_cell_area_um2
        return {"tl_bits_per_um2": tl, "sl_bits_per_um2": sl, "sram_bits_per_um2": sram,
                "tl_over_sl": tl / sl, "tl_over_sram": tl / sram,
                "tl_bits_per_cell": c.weight_sets * k.bits_per_trit}

    def capacity(self):
        """Weights held non-volatile by the macro (every weight set of every subarray)."""
        c = self.config
        trits = c.subarrays * c.rows * c.cbls * c.weight_sets
        bits = trits * self.k.bits_per_trit
        return {"trits": trits, "weights": trits // c.w_trits, "bits": bits,
                "megabytes": bits / 8 / 1e6}

    # -- one MVM ---------------------------------------------------------------------------------

    def mvm(self, design):
        """Energy of one full MVM of one subarray (TL) or one 256 x 256 array (binary designs).

        All rows and columns are used with inputs of full precision. Weight loading (restore
        or storage read) is per array fill, not per MVM: see :meth:`array_fill`.

        Returns
        -------
        dict
            ``components_pj`` (array, adc, encoder, shift_add, buffer), ``total_pj``,
            ``conversions``, ``macs``, ``ops_8b`` (binary-normalised ops / 64) and
            ``tops_per_w`` (8-bit-equivalent ops per pJ).
        """
        k, c = self.k, self.config
        _, inputs, weights, _ = self._organisation(design)
        if design == "tl":
            conversions = c.compute_blocks * c.x_trits * c.cbls
            rows, outs = c.rows, c.outs
            encoder = rows * k.e_encoder_pj
        else:
            conversions = _ceil(k.binary_rows, k.binary_active_rows) * inputs * k.binary_cols
            rows, outs = k.binary_rows, k.binary_cols // weights
            encoder = 0.0
        per = self._conversion_pj(design)
        components = {name: conversions * per[name] for name in ("array", "adc")}
        components["encoder"] = encoder
        components["shift_add"] = conversions * per["shift_add"]
        components["buffer"] = (rows + outs) * k.operand_bits * k.e_buffer_pj_per_bit
        total = sum(components.values())
        ops = conversions * self._ops_per_conversion(design) / k.operand_bits ** 2
        return {"components_pj": components, "total_pj": total, "conversions": conversions,
                "macs": rows * outs, "ops_8b": ops, "tops_per_w": ops / total}

    def array_fill(self):
        """Energy to put one array's worth of weights in place for computing (pJ).

        TL: restore a subarray; SL-nvSRAM-CIM: restore a 256 x 256 array; DRAM or ReRAM +
        SRAM-CIM: read 256 x 256 bits from storage and write them into SRAM; ReRAM-CIM: none.
        Also the one-off TL store (program) energy of one weight set.
        """
        k, c = self.k, self.config
        binary_bits = k.binary_rows * k.binary_cols
        fills = {
            "tl": c.rows * c.cbls * k.e_restore_cell_pj,
            "sl_nvsram": binary_bits * k.e_sl_restore_cell_pj,
            "dram_sram": binary_bits * (k.e_dram_pj_per_bit + k.e_sram_write_pj_per_bit),
            "reram_sram": binary_bits * (k.e_reram_read_pj_per_bit + k.e_sram_write_pj_per_bit),
            "reram_cim": 0.0,
        }
        return {"fill_pj": fills, "tl_store_pj": c.rows * c.cbls * k.e_store_cell_pj}

    # -- throughput ------------------------------------------------------------------------------

    def throughput(self):
        """Peak throughput: per column and cycle (the paper's 1.3x) and of the whole macro."""
        k, c = self.k, self.config
        ternary = self._ops_per_conversion("tl")
        binary = self._ops_per_conversion("dram_sram")
        per_cycle = c.subarrays * c.adcs * ternary
        seconds = k.cycle_ns * 1e-9
        return {
            "tl_ops_per_column_cycle": ternary,
            "binary_ops_per_column_cycle": binary,
            "tl_cycles_per_column": c.compute_blocks * c.x_trits,
            "tl_ops_per_column": ternary * c.compute_blocks * c.x_trits,
            "tl_over_binary": ternary / binary,
            "macro_binary_ops_per_cycle": per_cycle,
            "macro_tops_binary": per_cycle / seconds / 1e12,
            "macro_tops_8b": per_cycle / k.operand_bits ** 2 / seconds / 1e12,
            "mvm_cycles": c.conversions_per_mvm,
            # A binary array: blocks x input bits x columns per ADC, with cols / adc_share ADCs.
            "binary_mvm_cycles": (_ceil(k.binary_rows, k.binary_active_rows) * k.operand_bits
                                  * k.binary_adc_share),
            "binary_adcs_per_array": k.binary_cols // k.binary_adc_share,
            "cycle_ns": k.cycle_ns,
        }

    # -- area ------------------------------------------------------------------------------------

    def area(self):
        """Macro area (um^2) by component: the array from the cell, the periphery estimated.

        With an ``area`` override (:func:`load_area`) the estimates it ``replaces`` are dropped
        and its components added.
        """
        k, c = self.k, self.config
        components = {
            "array": c.subarrays * c.rows * c.cbls * k.cell_area_um2,
            "adc": c.subarrays * c.adcs * k.area_adc_um2 * self._adc_scale("tl"),
            "shift_add": c.subarrays * c.adcs * k.area_shift_add_um2,
            "encoder": c.subarrays * c.compute_blocks * k.area_encoder_um2,
            "drivers": c.subarrays * c.rows * k.area_driver_um2,
            "control": c.subarrays * k.area_control_um2,
        }
        source = "estimate"
        if self.area_override:
            for name in self.area_override["replaces"]:
                components.pop(name, None)
            components.update(self.area_override["components_um2"])
            source = self.area_override["source"]
        total = sum(components.values())
        bits = self.capacity()["bits"]
        return {"periphery_source": source, "components_um2": components, "total_um2": total,
                "total_mm2": total / 1e6, "array_fraction": components["array"] / total,
                "macro_bits_per_um2": bits / total}

    # -- whole networks --------------------------------------------------------------------------

    def inference(self, network, design, mapping=None):
        """Energy of one inference of ``network`` on ``design``, by component (pJ).

        Every layer's weights are put in place once per inference and used for all its output
        positions: restored from the ReRAMs (TL, SL-nvSRAM-CIM), loaded from DRAM or on-chip
        ReRAM storage and written into SRAM (weights "loaded for every use", SPEC 1: once per
        inference), or already in the crossbar (ReRAM-CIM). Activations are read from and
        written to the buffer once per output position at ``operand_bits`` each, for every
        design alike.
        """
        k, c = self.k, self.config
        rows_active, inputs, weights, _ = self._organisation(design)
        per = self._conversion_pj(design)
        energy = dict.fromkeys(COMPONENTS, 0.0)
        conversions = 0
        for layer in network.layers:
            row_tiles = _ceil(layer.rows, rows_active)
            conversions += layer.positions * row_tiles * inputs * layer.m * weights
            energy["buffer"] += (layer.positions * (layer.rows + layer.m) * k.operand_bits
                                 * k.e_buffer_pj_per_bit)
            if design == "tl":
                column_tiles = _ceil(layer.m * c.w_trits, c.cbls)
                energy["encoder"] += (layer.positions * layer.rows * column_tiles
                                      * k.e_encoder_pj)
        for name in ("array", "adc", "shift_add"):
            energy[name] = conversions * per[name]
        weight_bits = network.weights * k.operand_bits
        if design == "tl":
            mapping = mapping or count_mapping(c, network)
            energy["restore"] = mapping["restores"] * c.rows * c.cbls * k.e_restore_cell_pj
        elif design == "sl_nvsram":
            arrays = sum(_ceil(layer.rows, k.binary_rows)
                         * _ceil(layer.m * k.operand_bits, k.binary_cols)
                         for layer in network.layers)
            energy["restore"] = (arrays * k.binary_rows * k.binary_cols
                                 * k.e_sl_restore_cell_pj)
        elif design in ("dram_sram", "reram_sram"):
            read = k.e_dram_pj_per_bit if design == "dram_sram" else k.e_reram_read_pj_per_bit
            energy["storage_read"] = weight_bits * read
            energy["sram_write"] = weight_bits * k.e_sram_write_pj_per_bit
        total = sum(energy.values())
        ops = conversions * self._ops_per_conversion(design) / k.operand_bits ** 2
        return {"components_pj": energy, "total_pj": total, "conversions": conversions,
                "tops_per_w": ops / total}

    def network_report(self, name):
        """Mapping, energy per inference of every design, and ratios over TL, for ``name``."""
        network = NETWORKS[name]()
        mapping = count_mapping(self.config, network)
        energies = {design: self.inference(network, design, mapping) for design in DESIGNS}
        tl = energies["tl"]["total_pj"]
        return {
            "name": network.name, "source": network.source, "weights": network.weights,
            "macs": network.macs, "mapping": mapping, "energy": energies,
            "ratio_over_tl": {design: energies[design]["total_pj"] / tl for design in DESIGNS
                              if design != "tl"},
        }

    # -- the paper's comparisons -------------------------------------------------------------------

    def comparisons(self, networks=None):
        """One entry per headline figure of the paper: ``{"metric", "paper", "model", ...}``.

        ``ratio`` is model / paper and ``within_tolerance`` whether it is within
        :data:`TOLERANCE`. Where the paper gives one energy ratio for both networks, the model
        value is the geometric mean of its two per-network ratios (both given in ``note``).
        """
        networks = networks or {name: self.network_report(name) for name in NETWORKS}
        density, throughput = self.density(), self.throughput()
        entries = [
            ("storage density, TL-nvSRAM-CIM / SL-nvSRAM-CIM", _PAPER_DENSITY_RATIO,
             density["tl_over_sl"],
             f"{density['tl_bits_per_um2']:.2f} vs {density['sl_bits_per_um2']:.2f} bit/um^2"),
            ("peak throughput per column, ternary / binary SRAM-CIM", _PAPER_THROUGHPUT_RATIO,
             throughput["tl_over_binary"],
             f"{throughput['tl_ops_per_column']:.0f} ops in {throughput['tl_cycles_per_column']}"
             f" cycles vs 4096 ops in 64 cycles"),
        ]
        for design, paper in _PAPER_RATIOS.items():
            label = DESIGNS[design]
            if isinstance(paper, dict):
                for name, value in paper.items():
                    model = networks[name]["ratio_over_tl"][design]
                    entries.append((f"energy efficiency on {networks[name]['name']}, "
                                    f"TL-nvSRAM-CIM / {label}", value, model,
                                    "energy per inference ratio"))
            else:
                values = {networks[name]["name"]: networks[name]["ratio_over_tl"][design]
                          for name in networks}
                model = math.prod(values.values()) ** (1 / len(values))
                note = "geometric mean of " + ", ".join(f"{key} {value:.2f}"
                                                          for key, value in values.items())
                entries.append((f"energy efficiency, TL-nvSRAM-CIM / {label}", paper, model,
                                note))
        return [{"metric": metric, "paper": paper, "model": model, "ratio": model / paper,
                 "within_tolerance": abs(model / paper - 1) <= TOLERANCE, "note": note}
                for metric, paper, model, note in entries]

    def report(self):
        """Everything the model computes, as one JSON-ready dict (floats to 6 digits)."""
        networks = {name: self.network_report(name) for name in NETWORKS}
        return significant({
            "config": self.config.to_dict(),
            "constants": Constants.table(self.k),
            "density": self.density(),
            "capacity": self.capacity(),
            "mvm": {design: self.mvm(design) for design in DESIGNS},
            "array_fill": self.array_fill(),
            "throughput": self.throughput(),
            "area": self.area(),
            "networks": networks,
            "comparisons": self.comparisons(networks),
            "tolerance": TOLERANCE,
        })
