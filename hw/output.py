"""Result stage: result slots, combination of weight trits, requantisation, result stream."""

from amaranth.hdl import Const, Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .geometry import Geometry
from .interfaces import ControlSignature, result_layout
from .mac import cbl_sum_shape
from .stub import index_shape, pick

__all__ = ["CONTROL_LAYOUT", "requantise", "OutputStage"]

#: The members of :class:`~hw.interfaces.ControlSignature` packed, as stored with each MVM.
CONTROL_LAYOUT = data.StructLayout({"requant": 1, "relu": 1, "multiplier": 16, "shift": 6})


def requantise(config, value, multiplier, shift, relu):
    """Return the requantised ``value`` as an Amaranth expression (``golden.requantise``).

    ``clip(relu?((value * multiplier + 2**(shift - 1)) >> shift), -x_max, x_max)`` with an
    arithmetic shift and no rounding term when ``shift`` is 0. The sum is computed wide enough
    for a shift of up to 63 (``ControlSignature.shift``), so it never wraps.
    """
    top = config.x_max
    product = value.as_signed() * multiplier.as_unsigned()
    # 2**(shift - 1), or 0 for shift 0: bit `shift` of a one shifted left, taken from bit 1 on.
    rounding = (Const(1, 2 ** len(shift) + 1) << shift)[1:2 ** len(shift) + 1]
    scaled = (product + rounding) >> shift  # signed: an arithmetic shift
    scaled = Mux(relu & (scaled < 0), 0, scaled)
    return Mux(scaled > top, top, Mux(scaled < -top, -top, scaled))


class OutputStage(wiring.Component):
    """Hold finished MVM results and stream them out, optionally requantised.

    Results wait in ``slots`` result slots. The sequencer reserves a slot (``alloc``, allowed
    while ``can_alloc``) before it issues the first final step of an MVM, so a result always
    has a free slot when it lands and nothing upstream ever has to stall; the MVM's control
    settings are stored with the slot. The accumulator writes the slot one group of CBLs
    (one mux position) at a time (``wr_*``); ``wr_end`` completes it.

    Complete slots are read in order, ``out_lanes`` results per beat: result ``o`` is
    ``sum_k 3**k cbl[o * w_trits + k]`` (Horner's rule), then requantised when the slot's
    ``requant`` is set (:func:`requantise`), sign-extended to ``out_bits`` and sent on ``y``
    through a two-stage pipeline (combination, then requantisation). A slot is free again once
    its last beat has entered that pipeline.

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
    wr_data : In(ArrayLayout(cbl_sum_shape(config), adcs))
        Sums of CBLs ``j * adc_share + wr_mux``.
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
            "wr_data": In(data.ArrayLayout(cbl_sum_shape(config), config.adcs)),
            "y": Out(stream.Signature(result_layout(geometry))),
            "done": Out(1),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        config, geometry, D = self.config, self.geometry, self.slots
        M, K, L = config.adc_share, config.w_trits, geometry.out_lanes
        shape = cbl_sum_shape(config)
        m = Module()

        # -- slot bookkeeping: reserve in order, fill in order, drain in order ----------------
        used = Signal(range(D + 1))        # reserved and not yet drained
        wr_ptr = Signal(index_shape(D))
        rd_ptr = Signal(index_shape(D))
        alloc_ptr = Signal(index_shape(D))
        complete = Signal(D)
        cells = [[Signal(shape, name=f"slot{d}_cbl{c}") for c in range(config.cbls)]
                 for d in range(D)]
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

        with m.If(self.wr_valid):
            with m.Switch(wr_ptr):
                for d in range(D):
                    with m.Case(d):
                        with m.Switch(self.wr_mux):
                            for pos in range(M):
                                with m.Case(pos):
                                    m.d.sync += [cells[d][j * M + pos].eq(self.wr_data[j])
                                                 for j in range(config.adcs)]
                        with m.If(self.wr_end):
                            m.d.sync += complete[d].eq(1)
            with m.If(self.wr_end):
                m.d.sync += wr_ptr.eq(bump(wr_ptr))

        # -- read side: beats of the oldest complete slot into a two-stage pipeline -----------
        beat = Signal(index_shape(geometry.out_beats))
        s1_valid, s1_last = Signal(), Signal()
        s1_values = [Signal(signed(geometry.result_bits), name=f"s1_value{lane}")
                     for lane in range(L)]
        s1_ctrl = Signal(CONTROL_LAYOUT)
        s2_ready = ~self.y.valid | self.y.ready
        s1_ready = ~s1_valid | s2_ready
        reading = complete.bit_select(rd_ptr, 1) & s1_ready
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

        zero = Const(0, shape)
        for lane in range(L):
            digits = []
            for k in range(K):
                per_slot = []
                for d in range(D):
                    per_beat = []
                    for b in range(geometry.out_beats):
                        o = b * L + lane
                        per_beat.append(cells[d][o * K + k] if o < config.outs else zero)
                    per_slot.append(pick(per_beat, beat))
                digit = Signal(shape, name=f"digit{lane}_{k}")
                m.d.comb += digit.eq(pick(per_slot, rd_ptr))
                digits.append(digit)
            value = digits[K - 1]
            for k in reversed(range(K - 1)):
                value = (value << 1) + value + digits[k]
            with m.If(s1_ready):
                m.d.sync += s1_values[lane].eq(value)
        with m.If(s1_ready):
            m.d.sync += [
                s1_valid.eq(reading),
                s1_last.eq(last_beat),
                s1_ctrl.eq(pick(ctrls, rd_ptr)),
            ]

        payload = Signal(self.y.payload.shape())
        lanes = payload.data
        for lane in range(L):
            raw = s1_values[lane]
            scaled = requantise(config, raw, s1_ctrl.multiplier, s1_ctrl.shift, s1_ctrl.relu)
            value = Signal(signed(geometry.out_bits), name=f"out{lane}")
            m.d.comb += value.eq(Mux(s1_ctrl.requant, scaled, raw))
            m.d.comb += lanes.word_select(lane, geometry.out_bits).eq(value)
        m.d.comb += payload.last.eq(s1_last)
        with m.If(s2_ready):
            m.d.sync += [self.y.valid.eq(s1_valid), self.y.payload.eq(payload)]

        m.d.comb += [
            self.done.eq(self.y.valid & self.y.ready & self.y.payload.last),
            self.busy.eq((used != 0) | s1_valid | self.y.valid),
        ]
        return m

