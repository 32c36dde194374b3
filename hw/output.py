"""Result stage: result slots, combination of output pieces, requantisation, result stream."""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from tlcim.golden.arith import REQUANT_MULTIPLIER_BITS, REQUANT_SHIFT_BITS
from .geometry import Geometry
from .interfaces import ControlSignature, index_shape, result_layout
from .mac import adc_pieces, piece_shape
from .logic import balanced_sum, carry_save_sum, pick

__all__ = ["CONTROL_LAYOUT", "requantise", "requant_product", "requant_scale", "OutputStage"]

#: The members of :class:`~tlcim.hw.interfaces.ControlSignature` packed, as stored with each MVM.
CONTROL_LAYOUT = data.StructLayout({"requant": 1, "relu": 1,
                                    "multiplier": REQUANT_MULTIPLIER_BITS,
                                    "shift": REQUANT_SHIFT_BITS})


def requant_product(m, value, multiplier, *, booth=True, name="booth"):
    """First half of :func:`requantise`: ``value * multiplier`` (signed times unsigned), as a
    signed value of ``len(value) + len(multiplier)`` bits (exact).

    With ``booth`` (the default; for standard cells) the product is written out as a radix-4
    Booth multiplier: ``len(multiplier) // 2 + 1`` partial products ``d * value`` with digits
    ``d`` in -2..2 (a select and a conditional inversion per bit), their sign extensions
    folded into one constant (each sign bit inverted, ``-2**msb`` added once), all summed in
    one carry-save tree (:func:`~tlcim.hw.logic.carry_save_sum`, its rows signals of ``m``
    named ``<name>_*``). On ``paper`` the Booth form took 26 % less area than yosys' array
    multiplier of ``*`` (summed by yosys then; the explicit tree adds 0.7 % to the periphery's
    gate equivalents). Without ``booth`` it is ``*``, which FPGA flows map onto hard multipliers.
    """
    width = len(value) + len(multiplier)
    value, multiplier = value.as_signed(), multiplier.as_unsigned()
    if not booth:
        return (value * multiplier)[:width].as_signed()
    W = len(value)
    # Bits m[2i - 1], m[2i], m[2i + 1] of the multiplier with zeros outside it (unsigned).
    bits = [Const(0, 1), *multiplier, Const(0, 1), Const(0, 1)]
    terms, constant = [], 0
    for i in range(len(multiplier) // 2 + 1):
        low, mid, high = bits[2 * i], bits[2 * i + 1], bits[2 * i + 2]
        one = mid ^ low                                      # |d| == 1
        two = (high & ~mid & ~low) | (~high & mid & low)     # |d| == 2
        magnitude = Mux(one, Cat(value, value[-1]), Mux(two, Cat(Const(0, 1), value), 0))
        ones = magnitude ^ Mux(high, (1 << (W + 1)) - 1, 0)  # -x == ~x + 1: the +1 below
        terms += [Cat(ones[:W], ~ones[W]) << (2 * i), high << (2 * i)]
        constant -= 1 << (W + 2 * i)                         # the inverted sign bit's offset
    terms.append(Const(constant % (1 << width), width))
    return carry_save_sum(m, terms, width, name=name).as_signed()


def requant_scale(config, product, shift, relu):
    """Second half of :func:`requantise`: round, shift, ReLU and clip ``product``.

    ``clip(relu?((product + 2**(shift - 1)) >> shift), -x_max, x_max)`` with an arithmetic
    shift and no rounding term when ``shift`` is 0. Computed as ``r = (u + 1) >> 1`` with
    ``u = (product << 1) >> shift``, which equals it for every shift (for ``shift == 0``,
    ``(2 * product + 1) >> 1 == product``; for ``shift >= 1``, ``floor((floor(x / a) + 1) / 2)
    == floor((x + a) / (2 * a))`` with ``a = 2**(shift - 1)``; a shift beyond the width gives
    ``u`` of 0 or -1 and ``r == 0``, as the exact sum does). The comparisons of the clip are
    made on ``u`` (``r > x_max`` iff ``u >= 2 * x_max + 1``, ``r < -x_max`` iff
    ``u <= -2 * x_max - 2``, ``r < 0`` iff ``u < -1``), so the rounding increment is only as
    wide as a clipped result: no adder and no shifter wider than ``product``.
    """
    top = config.x_max
    u = (product << 1) >> shift  # signed: an arithmetic shift
    narrow = signed((2 * top + 2).bit_length() + 1)  # holds -2 * top - 2 .. 2 * top + 1
    r = (u[:narrow.width].as_signed() + 1) >> 1
    return Mux(relu & (u < -1), 0,
               Mux(u >= 2 * top + 1, top, Mux(u <= -2 * top - 2, -top, r)))


def requantise(m, config, value, multiplier, shift, relu):
    """Return the requantised ``value`` as an Amaranth expression (``tlcim.golden.requantise``):
    :func:`requant_scale` of :func:`requant_product` (whose carry-save rows go into ``m``)."""
    return requant_scale(config, requant_product(m, value, multiplier), shift, relu)


class OutputStage(wiring.Component):
    """Hold finished MVM results and stream them out, optionally requantised.

    Results wait in ``slots`` result slots of one :func:`~tlcim.hw.mac.piece_shape` cell per piece
    (:func:`~tlcim.hw.mac.adc_pieces`; one per output when ``adc_share == w_trits``). The sequencer
    reserves a slot (``alloc``, allowed while ``can_alloc``) before it issues the first final
    step of an MVM, so a result always has a free slot when it lands and nothing upstream ever
    has to stall; the MVM's control settings are stored with the slot. The accumulator writes
    the pieces that close at one mux position at a time (``wr_*``); ``wr_end`` completes the
    slot.

    Complete slots are read in order, ``out_lanes`` results per beat: result ``o`` is
    ``sum 3**k_lo piece`` over its pieces (the piece itself when it is the whole output), then
    requantised when the slot's ``requant`` is set (:func:`requantise`), sign-extended to
    ``out_bits`` and sent on ``y`` through a two-stage pipeline: the read, combination and
    requantiser's product (:func:`requant_product`) are registered, then the rounding, shift
    and clip (:func:`requant_scale`). A slot is free again once its last beat has entered
    that pipeline.

    Parameters
    ----------
    config : Config
    slots : int
        Result slots; at least 1.

    Members
    -------
    alloc : In(1)
    alloc_ctrl : In(ControlSignature)
    can_alloc : Out(1)
    wr_valid : In(1)
    wr_mux : In(index_shape(adc_share))
    wr_end : In(1)
    wr_data : In(ArrayLayout(piece_shape(config), adcs))
        ``wr_data[j]``: the sum of the piece of ADC ``j`` whose ``mux_lo`` is ``wr_mux``
        (ignored for ADCs without one).
    y : Out(stream.Signature(result_layout))
    done : Out(1)
        Strobe: the last beat of a result vector was accepted on ``y``.
    busy : Out(1)
        A slot is reserved or a beat is in the pipeline.

    Raises
    ------
    ValueError
        If ``slots`` is not a positive integer.
    """

    #: Cycles from a complete slot to its first beat on ``y`` (with ``y`` ready).
    latency = 2

    def __init__(self, config, slots=1):
        if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1:
            raise ValueError(f"slots must be a positive integer, not {slots!r}")
        geometry = Geometry(config)
        self.config, self.geometry, self.slots = config, geometry, slots
        super().__init__({
            "alloc": In(1),
            "alloc_ctrl": In(ControlSignature()),
            "can_alloc": Out(1),
            "wr_valid": In(1),
            "wr_mux": In(index_shape(config.adc_share)),
            "wr_end": In(1),
            "wr_data": In(data.ArrayLayout(piece_shape(config), config.adcs)),
            "y": Out(stream.Signature(result_layout(geometry))),
            "done": Out(1),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        config, geometry, D = self.config, self.geometry, self.slots
        L = geometry.out_lanes
        shape = piece_shape(config)
        pieces = adc_pieces(config)
        m = Module()

        # -- slot bookkeeping: reserve in order, fill in order, drain in order ----------------
        used = Signal(range(D + 1))        # reserved and not yet drained
        wr_ptr = Signal(index_shape(D))
        rd_ptr = Signal(index_shape(D))
        alloc_ptr = Signal(index_shape(D))
        complete = Signal(D)
        cells = [{(j, q): Signal(shape, name=f"slot{d}_adc{j}_{q}")
                  for j, adc in enumerate(pieces) for q in range(len(adc))} for d in range(D)]
        ctrls = [Signal(CONTROL_LAYOUT, name=f"slot{d}_ctrl") for d in range(D)]

        def bump(pointer):
            return Mux(pointer == D - 1, 0, pointer + 1)

        released = Signal()
        m.d.comb += self.can_alloc.eq(used < D)
        m.d.sync += used.eq(used + self.alloc - released)
        with m.If(self.alloc):
            m.d.sync += alloc_ptr.eq(bump(alloc_ptr))
            with m.Switch(alloc_ptr):
                for d in range(D):
                    with m.Case(d):
                        m.d.sync += [getattr(ctrls[d], name).eq(getattr(self.alloc_ctrl, name))
                                     for name in CONTROL_LAYOUT.members]

        # Mux positions where some piece closes, with the pieces closing there.
        closing = {}
        for j, adc in enumerate(pieces):
            for q, piece in enumerate(adc):
                closing.setdefault(piece.mux_lo, []).append((j, q))
        with m.If(self.wr_valid):
            with m.Switch(wr_ptr):
                for d in range(D):
                    with m.Case(d):
                        def write(where):
                            return [cells[d][j, q].eq(self.wr_data[j]) for j, q in where]
                        if len(closing) == 1:  # every piece closes at mux 0: no decoding
                            m.d.sync += write(closing[0])
                        else:
                            with m.Switch(self.wr_mux):
                                for pos, where in sorted(closing.items()):
                                    with m.Case(pos):
                                        m.d.sync += write(where)
                        with m.If(self.wr_end):
                            m.d.sync += complete[d].eq(1)
            with m.If(self.wr_end):
                m.d.sync += wr_ptr.eq(bump(wr_ptr))

        # -- read side: beats of the oldest complete slot into a two-stage pipeline -----------
        beat = Signal(index_shape(geometry.out_beats))
        out_ready = ~self.y.valid | self.y.ready
        prod_valid, prod_last = Signal(), Signal()
        prod_ready = ~prod_valid | out_ready
        reading = complete.bit_select(rd_ptr, 1) & prod_ready
        last_beat = beat == geometry.out_beats - 1
        m.d.comb += released.eq(reading & last_beat)

        with m.If(reading):
            m.d.sync += beat.eq(beat + 1)
            with m.If(last_beat):
                m.d.sync += [beat.eq(0), rd_ptr.eq(bump(rd_ptr))]
                with m.Switch(rd_ptr):
                    for d in range(D):
                        with m.Case(d):
                            m.d.sync += complete[d].eq(0)
        # A slot completing and draining in the same cycle is impossible: draining needs the
        # slot complete already, and the writer moves on to the next slot at `wr_end`.

        # The pieces of each output by their lowest weight trit.
        of_output = {}
        for j, adc in enumerate(pieces):
            for q, piece in enumerate(adc):
                of_output.setdefault(piece.output, {})[piece.k_lo] = (j, q)
        zero = Const(0, shape)
        result = signed(geometry.result_bits)
        values = [Signal(result, name=f"value{lane}") for lane in range(L)]
        read_ctrl = Signal(CONTROL_LAYOUT)  # of the slot being read
        for lane in range(L):
            outputs = [b * L + lane for b in range(geometry.out_beats)]
            # Weight trits at which a piece of one of this lane's outputs starts.
            k_los = sorted({k for o in outputs if o < config.outs for k in of_output[o]})
            terms = []
            for k in k_los:
                per_slot = []
                for d in range(D):
                    per_beat = [cells[d][of_output[o][k]] if o < config.outs
                                and k in of_output[o] else zero for o in outputs]
                    per_slot.append(pick(per_beat, beat))
                digit = Signal(shape, name=f"piece{lane}_{k}")
                m.d.comb += digit.eq(pick(per_slot, rd_ptr))
                terms.append(digit * 3 ** k if k else digit)
            m.d.comb += values[lane].eq(balanced_sum(terms))
        m.d.comb += read_ctrl.eq(pick(ctrls, rd_ptr))

        # Registered: the requantiser's product, or the value itself (times one) when the MVM
        # is not requantised, so one register serves both.
        prod_ctrl = Signal(CONTROL_LAYOUT)
        products = []
        for lane in range(L):
            multiplier = Mux(read_ctrl.requant, read_ctrl.multiplier, 1)
            # Standard cells get the Booth multiplier; FPGA platforms their hard multipliers.
            product = requant_product(m, values[lane], multiplier, booth=platform is None,
                                      name=f"booth{lane}")
            prod = Signal(product.shape(), name=f"prod{lane}")
            with m.If(prod_ready):
                m.d.sync += prod.eq(product)
            products.append(prod)
        with m.If(prod_ready):
            m.d.sync += [prod_valid.eq(reading), prod_last.eq(last_beat),
                         prod_ctrl.eq(read_ctrl)]

        payload = Signal(self.y.payload.shape())
        lanes = payload.data
        for lane, product in enumerate(products):
            scaled = requant_scale(config, product, prod_ctrl.shift, prod_ctrl.relu)
            value = Signal(signed(geometry.out_bits), name=f"out{lane}")
            m.d.comb += value.eq(Mux(prod_ctrl.requant, scaled, product))
            m.d.comb += lanes.word_select(lane, geometry.out_bits).eq(value)
        m.d.comb += payload.last.eq(prod_last)
        with m.If(out_ready):
            m.d.sync += [self.y.valid.eq(prod_valid), self.y.payload.eq(payload)]

        m.d.comb += [
            self.done.eq(self.y.valid & self.y.ready & self.y.payload.last),
            self.busy.eq((used != 0) | prod_valid | self.y.valid),
        ]
        return m
