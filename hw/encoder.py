"""Input side of the datapath: the ternary encoder and the double-buffered activation store.

Input trits are kept as the word-line pairs they drive (SPEC 4): trit ``i`` of a value is the
pair of bits ``[2i] = IN1``, ``[2i + 1] = IN2`` with +1 = (1, 1), 0 = (1, 0), -1 = (0, 0).
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .geometry import Geometry
from .interfaces import index_shape
from .logic import balanced_or, balanced_sum

__all__ = ["TernaryEncoder", "ActivationBuffer", "encoder_table", "DIRECT_TABLE_BITS"]


class TernaryEncoder(wiring.Component):
    """Saturating balanced-ternary encoder for ``lanes`` input values (combinational).

    Each value is clipped to ``+-x_max`` (the saturation flag of its lane is set when it was
    outside) and encoded into ``x_trits`` trits, least significant first, as word-line pairs.
    Up to 5 trits (8-bit inputs) each lane is one lookup table of :func:`encoder_table`, a
    short path on FPGAs; wider inputs compute the base-3 digits of the clipped value.

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
        in_bits = len(self.values[0])
        top = config.x_max
        m = Module()
        if in_bits <= DIRECT_TABLE_BITS:
            # One lookup table indexed by the raw input bits (8 bits for up to 5 trits): no
            # clipping in front of it and no `% 3` / `// 3` chain, which was the FPGA critical
            # path. It is one wide constant, word-selected: a shifter on a constant, which
            # synthesis minimises into gates.
            width = 2 * config.x_trits + 1
            table = Const(sum(word << (i * width)
                              for i, word in enumerate(encoder_table(config, in_bits))),
                          width << in_bits)
        for lane in range(self.lanes):
            value = self.values[lane]
            if in_bits <= DIRECT_TABLE_BITS:
                entry = table.word_select(value.as_unsigned(), width)
                m.d.comb += [self.trits[lane].eq(entry[:-1]),
                             self.saturated[lane].eq(entry[-1])]
                continue
            # 6 to 8 trits (16-bit inputs): a table would have 3**x_trits entries, so the
            # trits are computed: the base-3 digits of the clipped value's offset
            # ``value + x_max`` (0 .. 3**T - 1) are the trits + 1.
            over, under = value > top, value < -top
            m.d.comb += self.saturated[lane].eq(over | under)
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


#: Widest input (bits) encoded by one lookup table over every raw value (``2**bits`` entries):
#: 8-bit inputs, i.e. up to 5 input trits.
DIRECT_TABLE_BITS = 8


def encoder_table(config, in_bits):
    """Return the encoder's lookup table for ``in_bits``-bit inputs, one integer per entry.

    Entry ``u`` is for the two's complement pattern ``u`` (``0 <= u < 2**in_bits``): bits
    ``[0 : 2 * x_trits]`` are the word-line pairs of the value clipped to ``+-x_max`` (module
    docstring), bit ``2 * x_trits`` is 1 when the value was outside (saturated).
    """
    top, trits = config.x_max, config.x_trits
    half = 1 << (in_bits - 1)
    table = []
    for pattern in range(2 * half):
        value = pattern - 2 * half if pattern >= half else pattern
        clipped = min(max(value, -top), top)
        rest, word = clipped + top, 0
        for i in range(trits):
            rest, digit = divmod(rest, 3)     # digit = trit + 1
            word |= (int(digit != 0) | int(digit == 2) << 1) << (2 * i)
        table.append(word | int(clipped != value) << (2 * trits))
    return table


class ActivationBuffer(wiring.Component):
    """Double-buffered word-line pairs of one input vector for every subarray, in a memory.

    Input value ``i`` of a vector drives row ``i % rows`` of subarray ``i // rows``. The values
    live in one :class:`~amaranth.lib.memory.Memory` (an SRAM macro on a chip, block or
    distributed RAM on an FPGA) of two *banks* (fill and compute) of ``compute_blocks`` words;
    word ``b`` of a bank holds compute block ``b`` of every subarray with all its trits: value
    (subarray ``s``, row ``a`` of the block) at bits ``[(s * active_rows + a) * 2 * x_trits]``
    onwards, its trits as in the module docstring.

    A vector is written beat by beat, as it arrives on the activation stream, into the fill
    bank: beat ``wr_index`` carries values ``wr_index * in_lanes + lane``, and lanes past the
    end of the vector (padding of the last beat) are not written. Every beat lands where its
    index says, so a vector dropped half-way (``BAD_LENGTH``) and sent again overwrites the
    dropped beats. ``swap`` exchanges the banks, so the next vector arrives while this one is
    computed.

    ``wl1``/``wl2`` show the *current* compute block (block 0 after ``swap``) at input trit
    ``trit``; ``next_block`` makes the next block (cyclically) current. The memory's
    synchronous read port reads, every cycle, the word that is current in the next cycle, and
    a multiplexer after it picks the trit.

    Parameters
    ----------
    config : Config

    Members
    -------
    wr_en : In(1)
        Write ``wr_trits`` as beat ``wr_index`` of the vector in the fill bank.
    wr_index : In(index_shape(in_beats))
        Beat index within the vector (``0 <= wr_index < in_beats``).
    wr_trits : In(ArrayLayout(unsigned(2 * x_trits), in_lanes))
    swap : In(1)
        Exchange the banks: the vector filled so far is computed, current block = block 0
        (a write in the same cycle lands in the new fill bank).
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
            "wr_index": In(index_shape(geometry.in_beats)),
            "wr_trits": In(data.ArrayLayout(unsigned(2 * config.x_trits), geometry.in_lanes)),
            "swap": In(1),
            "next_block": In(1),
            "trit": In(index_shape(config.x_trits)),
            "wl1": Out(rows),
            "wl2": Out(rows),
        })

    @property
    def group(self):
        """Values written together through one write port: the largest power of two that
        divides both ``in_lanes`` and ``active_rows``. A group never straddles two blocks,
        so a beat is ``in_lanes // group`` groups, one write port each (one port when
        ``active_rows`` is a multiple of ``in_lanes``, as in every preset)."""
        lanes, rows = self.geometry.in_lanes, self.config.active_rows
        return min(lanes, rows & -rows)

    def elaborate(self, platform):
        config, geometry = self.config, self.geometry
        T, A, B, S = config.x_trits, config.active_rows, config.compute_blocks, config.subarrays
        lanes, group = geometry.in_lanes, self.group
        value_bits = 2 * T
        groups = A // group                    # groups per block of one subarray
        m = Module()
        # `ram_style`: block RAM on FPGAs even when small (yosys would build the iCE40 preset's
        # 384 bits from flip-flops and LUTs); ASIC synthesis keeps the memory whole anyway.
        m.submodules.memory = memory = Memory(shape=unsigned(S * A * value_bits),
                                              depth=2 * B, init=[],
                                              attrs={"ram_style": "block"})

        def address(bank, block):
            # Word `block` of `bank`: bank * B + block, a plain concatenation when B is a
            # power of two.
            if B & (B - 1) == 0:
                return Cat(block[:(B - 1).bit_length()], bank)
            return Mux(bank, block + B, block)

        # -- read side: the word current in the next cycle, then the trit ----------------------
        bank = Signal()                        # compute bank; the other one fills
        block = Signal(index_shape(B))
        next_bank = bank ^ self.swap
        following = Mux(block == B - 1, 0, block + 1)
        next_current = Mux(self.swap, 0, Mux(self.next_block, following, block))
        m.d.sync += [bank.eq(next_bank), block.eq(next_current)]
        read = memory.read_port(domain="sync")
        m.d.comb += read.addr.eq(address(next_bank, next_current))
        # The trit multiplexer as an AND-OR over one-hot selects decoded once: two AOI22 and
        # a NAND per output bit for 5 trits, smaller than a tree of 2:1 multiplexers.
        selects = [self.trit == t for t in range(T)]
        for s in range(S):
            in1, in2 = [], []
            for a in range(A):
                pairs = read.data.word_select(s * A + a, value_bits)
                in1.append(balanced_or(pairs[2 * t] & selects[t] for t in range(T)))
                in2.append(balanced_or(pairs[2 * t + 1] & selects[t] for t in range(T)))
            m.d.comb += [self.wl1[s].eq(Cat(in1)), self.wl2[s].eq(Cat(in2))]

        # -- write side: one port per group of a beat ------------------------------------------
        fill_bank = ~next_bank                 # a write during `swap` goes to the new fill bank
        beat = self.wr_trits.as_value()
        for port_index in range(lanes // group):
            first_lane = port_index * group
            port = memory.write_port(granularity=group * value_bits)
            subarray, row_block, slot = self._place(m, port_index)
            chunk = beat[first_lane * value_bits:(first_lane + group) * value_bits]
            # The group's values go to every slot of the word; the enable picks one slot.
            # Padding of the last beat lies past the last subarray: no slot matches it.
            m.d.comb += [
                port.addr.eq(address(fill_bank, row_block)),
                port.data.eq(Cat(chunk for _ in range(S * groups))),
                port.en.eq(Cat(self.wr_en & (subarray == s) & (slot == q)
                               for s in range(S) for q in range(groups))),
            ]
        return m

    def _place(self, m, port_index):
        # (subarray, block, slot) of the group that write port `port_index` writes in beat
        # `wr_index`: value v = wr_index * in_lanes + port_index * group is row
        # a = v % rows of subarray v // rows, in block a // active_rows at slot
        # (a % active_rows) // group.
        config, geometry = self.config, self.geometry
        A, B, S, rows = config.active_rows, config.compute_blocks, config.subarrays, config.rows
        lanes, group = geometry.in_lanes, self.group
        groups = A // group
        first = port_index * group
        if rows & (rows - 1) == 0 and A & (A - 1) == 0:
            # Powers of two: the place is bit fields of the value index (wires only).
            v = Cat(Const(first, (lanes - 1).bit_length()), self.wr_index)
            slot_bits, block_bits = (groups - 1).bit_length(), (B - 1).bit_length()
            low = group.bit_length() - 1
            slot = v[low:low + slot_bits]
            row_block = v[low + slot_bits:low + slot_bits + block_bits]
            subarray = v[low + slot_bits + block_bits:]
            return subarray, row_block, slot
        # Otherwise counters: the place of the group in the current beat, advanced by one
        # beat (lanes // group groups) after every write and restarted at beat 0.

        def split(index):                       # group index in the vector -> place
            value = index * group
            return value // rows, value % rows // A, value % A // group
        step_s, step_b, step_q = split(lanes // group)
        start = split(port_index)
        counters = [Signal(range(S + step_s + 1), name=f"subarray_{port_index}"),
                    Signal(index_shape(B), name=f"block_{port_index}"),
                    Signal(index_shape(groups), name=f"slot_{port_index}")]
        restart = self.wr_index == 0
        subarray, row_block, slot = (Mux(restart, init, counter)
                                     for init, counter in zip(start, counters))
        slot_sum = slot + step_q
        slot_carry = slot_sum >= groups
        block_sum = row_block + step_b + slot_carry
        block_carry = block_sum >= B
        with m.If(self.wr_en):
            m.d.sync += [
                counters[2].eq(Mux(slot_carry, slot_sum - groups, slot_sum)),
                counters[1].eq(Mux(block_carry, block_sum - B, block_sum)),
                counters[0].eq(subarray + step_s + block_carry),
            ]
        return subarray, row_block, slot
