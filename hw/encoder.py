"""Input side of the datapath: the ternary encoder and the double-buffered activation store.

Input trits are kept as the word-line pairs they drive (SPEC 4): trit ``i`` of a value is the
pair of bits ``[2i] = IN1``, ``[2i + 1] = IN2`` with +1 = (1, 1), 0 = (1, 0), -1 = (0, 0).
"""

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .geometry import Geometry
from .stub import balanced_sum, index_shape

__all__ = ["TernaryEncoder", "ActivationBuffer"]


class TernaryEncoder(wiring.Component):
    """Saturating balanced-ternary encoder for ``lanes`` input values (combinational).

    Each value is clipped to ``+-x_max`` (the saturation flag of its lane is set when it was
    outside) and encoded into ``x_trits`` trits, least significant first, as word-line pairs.

    Parameters
    ----------
    config : Config
    lanes : int
        Values encoded per cycle (``Geometry.in_lanes`` in the datapath); at least 1.

    Members
    -------
    values : In(ArrayLayout(signed(in_bits), lanes))
    trits : Out(ArrayLayout(unsigned(2 * x_trits), lanes))
        Word-line pairs of every trit (see the module docstring).
    saturated : Out(lanes)
        Bit ``l``: value ``l`` was outside ``+-x_max`` and was clipped.
    count : Out(range(lanes + 1))
        Number of saturated values among those selected by ``mask``.
    mask : In(lanes, init=all ones)
        Lanes counted in ``count`` (padding lanes are excluded by the datapath).

    Raises
    ------
    ValueError
        If ``lanes`` is not a positive integer.
    """

    #: Cycles from ``values`` to ``trits``: the encoder is combinational.
    latency = 0

    def __init__(self, config, lanes):
        if not isinstance(lanes, int) or isinstance(lanes, bool) or lanes < 1:
            raise ValueError(f"lanes must be a positive integer, not {lanes!r}")
        geometry = Geometry(config)
        self.config, self.lanes = config, lanes
        super().__init__({
            "values": In(data.ArrayLayout(signed(geometry.in_bits), lanes)),
            "trits": Out(data.ArrayLayout(unsigned(2 * config.x_trits), lanes)),
            "saturated": Out(lanes),
            "mask": In(lanes, init=(1 << lanes) - 1),
            "count": Out(range(lanes + 1)),
        })

    def elaborate(self, platform):
        config = self.config
        top = config.x_max
        m = Module()
        for lane in range(self.lanes):
            value = self.values[lane]
            over, under = value > top, value < -top
            m.d.comb += self.saturated[lane].eq(over | under)
            # Offset into 0 .. 3**T - 1: the base-3 digits of the offset value are the trits + 1.
            offset = Signal(range(2 * top + 1), name=f"offset_{lane}")
            m.d.comb += offset.eq(Mux(over, 2 * top, Mux(under, 0, value + top)))
            pairs = []
            rest = offset
            for _ in range(config.x_trits):
                digit = rest % 3
                rest = rest // 3
                pairs += [digit != 0, digit == 2]  # IN1, IN2
            m.d.comb += self.trits[lane].eq(Cat(pairs))
        m.d.comb += self.count.eq(balanced_sum(
            [self.saturated[lane] & self.mask[lane] for lane in range(self.lanes)]))
        return m


class ActivationBuffer(wiring.Component):
    """Double-buffered word-line pairs of one input vector for every subarray.

    A vector is written beat by beat, as it arrives on the activation stream, into the *fill*
    buffer, a shift register: after ``in_beats`` writes, input value ``i`` (beat
    ``i // in_lanes``, lane ``i % in_lanes``) is in place ``i``. ``swap`` copies the vector
    into the *compute* buffer in one cycle, so the next vector arrives while this one is
    computed.

    In the compute buffer, input value ``i`` drives row ``i % rows`` of subarray
    ``i // rows``. Each subarray's compute blocks form a ring: ``wl1``/``wl2`` show the
    *current* block (the first after ``swap``) at input trit ``trit``, and ``next_block``
    rotates every ring by one block. The sequencer walks the blocks in order, so no wide
    multiplexer over blocks is needed: every stored bit only chooses between holding, the
    next block and the fill buffer.

    Parameters
    ----------
    config : Config

    Members
    -------
    wr_en : In(1)
        Shift ``wr_trits`` into the fill buffer as its newest beat.
    wr_trits : In(ArrayLayout(unsigned(2 * x_trits), in_lanes))
    swap : In(1)
        Copy the fill buffer into the compute buffer, current block = block 0 (a write in
        the same cycle lands in the fill buffer only).
    next_block : In(1)
        Make the next compute block (cyclically) current; ignored during ``swap``.
    trit : In(index_shape(x_trits))
    wl1, wl2 : Out(ArrayLayout(unsigned(active_rows), subarrays))
        IN1 and IN2 of the current block's rows at input trit ``trit``: subarray ``s`` in
        element ``s``, row ``a`` of the block at bit ``a``.
    """

    #: Cycles from ``trit`` to ``wl1``/``wl2`` (a multiplexer); ``swap`` and ``next_block``
    #: take effect in the next cycle.
    latency = 0

    def __init__(self, config):
        geometry = Geometry(config)
        self.config, self.geometry = config, geometry
        rows = data.ArrayLayout(unsigned(config.active_rows), config.subarrays)
        super().__init__({
            "wr_en": In(1),
            "wr_trits": In(data.ArrayLayout(unsigned(2 * config.x_trits), geometry.in_lanes)),
            "swap": In(1),
            "next_block": In(1),
            "trit": In(index_shape(config.x_trits)),
            "wl1": Out(rows),
            "wl2": Out(rows),
        })

    def elaborate(self, platform):
        config, geometry = self.config, self.geometry
        T, A, B = config.x_trits, config.active_rows, config.compute_blocks
        beat_bits = geometry.in_lanes * 2 * T
        block_bits = A * 2 * T
        m = Module()
        fill = Signal(geometry.in_beats * beat_bits)
        with m.If(self.wr_en):
            m.d.sync += fill.eq(Cat(fill[beat_bits:], self.wr_trits.as_value()))

        ring_bits = B * block_bits
        for s in range(config.subarrays):
            # One wide register per subarray: rotating it by a block is a single wide move.
            ring = Signal(ring_bits, name=f"ring_{s}")
            with m.If(self.swap):
                base = s * config.rows * 2 * T
                m.d.sync += ring.eq(fill[base:base + ring_bits])
            with m.Elif(self.next_block):
                m.d.sync += ring.eq(ring.rotate_right(block_bits))
            in1, in2 = [], []
            for a in range(A):
                pairs = ring[a * 2 * T:(a + 1) * 2 * T]
                pair = pairs.word_select(self.trit, 2) if T > 1 else pairs
                in1.append(pair[0])
                in2.append(pair[1])
            m.d.comb += [self.wl1[s].eq(Cat(in1)), self.wl2[s].eq(Cat(in2))]
        return m
