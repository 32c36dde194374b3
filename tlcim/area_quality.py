"""How close the periphery's sums come to the least logic that can compute them.

The area-quality report (:func:`area_quality`, part of ``tlcim synth``) compares the shift & add
and the accumulate tree as built with a naive chained-``+`` Amaranth version of the same sums
and with the full-adder lower bound of those sums (:func:`full_adder_bound`), all synthesised
by the same flow (:func:`tlcim.yosys.synthesise`).
"""

from amaranth.hdl import Module, Mux, Shape, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .yosys import synthesise

__all__ = ["full_adder_bound", "SumCircuit", "full_adder_ge", "area_quality"]


def full_adder_bound(widths, result_width):
    """Return the least number of full adders that can sum operands of ``widths`` bits into a
    ``result_width``-bit result.

    A full adder turns three bits of one column into two (a sum and a carry), so it removes
    exactly one bit from the dot diagram, and a half adder removes none; summing operands of
    ``widths`` bits (signed ones with their sign bits inverted and the correction folded into
    one constant, which costs no adder) into ``result_width`` bits therefore takes at least
    ``sum(widths) - result_width`` full adders. A carry-save tree with a final ripple adder
    reaches the bound up to the half adders of the constant.
    """
    widths = list(widths)
    if any(w < 1 for w in widths) or result_width < 1:
        raise ValueError(f"widths and result_width must be at least 1, not {widths!r} and "
                         f"{result_width!r}")
    return max(0, sum(widths) - result_width)


class SumCircuit(wiring.Component):
    """A combinational sum for the area-quality report: ``y = expression(*inputs)``.

    Parameters
    ----------
    shapes : dict
        Input name -> shape.
    result : shape
    expression : callable
        Takes the input signals in order, returns the value of ``y``.
    """

    def __init__(self, shapes, result, expression):
        self._expression = expression
        super().__init__({**{name: In(shape) for name, shape in shapes.items()},
                          "y": Out(result)})

    def elaborate(self, platform):
        m = Module()
        inputs = [getattr(self, name) for name in self.signature.members if name != "y"]
        m.d.comb += self.y.eq(self._expression(*inputs))
        return m


def _chain(terms):
    # Plain chained `+`, left to right: the naive reference.
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _naive_partial_mac(config):
    # hw.mac.PartialMac's function as SPEC 5 writes it: signed terms chained with `+`.
    from tlcim.hw.mac import partial_mac_shape
    A, lsb, S = config.active_rows, config.adc_lsb, config.subarrays
    limit = config.adc.reachable_code
    shift = lsb.bit_length() - 1
    code = unsigned(config.adc.code_bits)

    def expression(*codes):
        terms = []
        for c in codes:
            if limit < 2 ** len(c) - 1:
                c = Mux(c > limit, limit, c)
            terms.append(A - (c << shift))
        return _chain(terms)
    one = SumCircuit({f"code{s}": code for s in range(S)}, partial_mac_shape(config), expression)
    return one, config.adcs


def full_adder_ge(liberty=None):
    """Return the area in GE of one full adder (``a + b + c`` to sum and carry) through the
    same synthesis flow: the unit of the full-adder lower bound."""
    adder = SumCircuit({"a": 1, "b": 1, "c": 1}, 2, lambda a, b, c: a + b + c)
    return synthesise(adder, name="full_adder", liberty=liberty).ge


def area_quality(config, *, progress=print):
    """Compare the accumulate tree and shift & add with naive versions and the full-adder
    lower bound of the same sums; return the report dict.

    - *Accumulate tree*: :class:`tlcim.hw.mac.PartialMac` as built (per ADC, the raw codes of all
      subarrays summed, then subtracted once from ``subarrays * active_rows``), against SPEC
      5's formula written plainly (the signed terms ``active_rows - code * adc_lsb`` chained
      with ``+``), and against ``adcs x full_adder_bound(subarrays x adc.code_bits -> bits of
      the largest code sum)`` full adders (the constant folds into the carry-in for free).
    - *Shift & add*: the combinational update of one ADC of :class:`tlcim.hw.mac.Accumulator`, as
      built (:func:`tlcim.hw.mac.group_update` for the longest piece, then
      :func:`tlcim.hw.mac.piece_update` or, for pieces of two or more CBLs,
      :func:`tlcim.hw.mac.split_piece_update`, with their operand gating and selection), isolated
      from the registers and decoders, x ``adcs``. For pieces of two or more CBLs that form
      has no LOAD and adds ``g + 2**(len(g) - 1)`` at a close: the Accumulator restarts the
      register from :func:`tlcim.hw.mac.piece_start` instead (cancelling those biases), merged
      into the synchronous reset its registers have anyway, so neither side of the
      comparison contains the LOAD (the whole Accumulator is smaller than with the LOAD in
      the update). Compared against the same function with every sum a chain of ``+``
      (``g + g + g + p``, ``acc + acc + acc``, ``acc + g`` or ``acc + g + 2**(len(g) - 1)``)
      and the results selected; and against the bound of its sums: the
      group sum ``3 * g + p`` (operands ``g << 1`` without its zero bit, ``g``, ``p`` into the
      group width) plus the accumulator sum ``3 * acc + g`` (operands ``acc << 1``, ``acc``
      and ``g``), which for pieces of two or more CBLs is done in two halves by one adder, so
      its bound is the larger half (``acc + (acc << 1)`` or ``acc + g``). Selection logic has
      no bound: it counts against the design.

    The target is at most 1.3x the bound and smaller than naive.
    """
    from amaranth.hdl import Cat
    from tlcim.hw.mac import (PartialMac, adc_pieces, group_preset, group_shape, group_update,
                        partial_mac_shape, piece_shape, piece_update, split_piece_update)
    fa = full_adder_ge()
    g, p, acc = (Shape.cast(shape(config)) for shape in
                 (group_shape, partial_mac_shape, piece_shape))
    S, code_bits = config.subarrays, config.adc.code_bits
    largest = S * config.adc.reachable_code
    lengths = [piece.mux_hi - piece.mux_lo + 1 for pieces in adc_pieces(config)
               for piece in pieces]
    split = min(lengths) > 1
    preset = group_preset(config, max(lengths))
    controls = ("first", "closing", "scaling") if split else ("first", "keep", "scale")
    shapes = {"g": g, "p": p, "acc": acc, **{name: 1 for name in controls}}

    update = split_piece_update if split else piece_update

    def built(g_, p_, acc_, first, *selects):
        return Cat(group_update(g_, p_, first, preset), update(acc_, g_, *selects)[:acc.width])

    def naive(g_, p_, acc_, first, *selects):
        if split:
            closing, scaling = selects
            piece = Mux(scaling, _chain([acc_, acc_, acc_]),
                        Mux(closing, _chain([acc_, g_, 1 << (g.width - 1)]), acc_))
        else:
            keep, scale = selects
            piece = Mux(scale, _chain([acc_, acc_, acc_, g_]),
                        Mux(keep, _chain([acc_, g_]), g_))
        return Cat(Mux(first, p_, _chain([g_, g_, g_, p_]))[:g.width], piece[:acc.width])

    group_fa = full_adder_bound([g.width - 1, g.width, p.width], g.width)
    if split:
        piece_fa = max(full_adder_bound([acc.width, acc.width - 1], acc.width),
                       full_adder_bound([acc.width, g.width], acc.width))
    else:
        piece_fa = full_adder_bound([acc.width - 1, acc.width, g.width], acc.width)
    cases = {
        "accumulate tree": (
            (PartialMac(config), 1), _naive_partial_mac(config),
            config.adcs * full_adder_bound([code_bits] * S, largest.bit_length())),
        "shift & add": (
            (SumCircuit(shapes, g.width + acc.width, built), config.adcs),
            (SumCircuit(shapes, g.width + acc.width, naive), config.adcs),
            config.adcs * (group_fa + piece_fa)),
    }
    report = {"full_adder_ge": round(fa, 2), "target_vs_bound": 1.3}
    for name, ((design, copies), (naive_design, naive_copies), bound_fa) in cases.items():
        progress(f"area quality: {name} ...")
        actual = synthesise(design, name="actual").ge * copies
        naive_ge = synthesise(naive_design, name="naive").ge * naive_copies
        bound = bound_fa * fa
        report[name] = {
            "ge": round(actual, 1), "naive_ge": round(naive_ge, 1),
            "bound_full_adders": bound_fa, "bound_ge": round(bound, 1),
            "vs_bound": round(actual / bound, 3) if bound else None,
            "vs_naive": round(actual / naive_ge, 3) if naive_ge else None,
            "meets_target": bool(bound and actual <= 1.3 * bound and actual < naive_ge),
        }
    return report
