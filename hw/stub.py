"""Behavioural model of one analog subarray at its digital pins (SPEC 4-5), and its black box.

The real macro is analog: word lines drive the rows of one compute block, every compute cell
discharges its compute bitline (CBL) by ``1 - x * w`` units, and shared flash ADCs digitise the
CBLs selected by the ADC mux. :class:`SubarrayStub` reproduces that bit for bit in synthesisable
logic; :class:`SubarrayBlackBox` has the same ports and instantiates ``tlcim_subarray`` so that a
tapeout flow can drop the analog macro in its place.
"""

from amaranth.hdl import (Cat, ClockSignal, Const, Instance, Module, Mux, ResetSignal,
                          Signal, unsigned)
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from tlcim.golden import Config
from .interfaces import ConfigSignature, index_shape
from .logic import pick

__all__ = ["SubarraySignature", "SubarrayStub", "SubarrayBlackBox"]


class SubarraySignature(ConfigSignature):
    """Digital pins of one subarray (as seen from the subarray).

    Parameters
    ----------
    config : Config

    Members
    -------
    row_addr : In(index_shape(rows))
        SRAM row of the row port (write and readback).
    row_wdata : In(2 * cbls)
        Row to write: CBL ``c`` at bits ``[2c] = Q1``, ``[2c + 1] = Q2`` (SPEC 4).
    row_we : In(1)
        Write ``row_wdata`` into row ``row_addr`` at the clock edge.
    row_rdata : Out(2 * cbls)
        Contents of row ``row_addr``, ``read_latency`` cycles after the address.
    block : In(index_shape(compute_blocks))
        Compute block whose rows the word lines drive.
    wl1, wl2 : In(active_rows)
        Word-line pair (IN1, IN2) of each row of the block, bit ``a`` for row
        ``block * active_rows + a``: +1 = (1, 1), 0 = (1, 0), -1 = (0, 0) (SPEC 4).
    mux : In(index_shape(adc_share))
        ADC mux position: ADC ``j`` converts CBL ``j * adc_share + mux``.
    codes : Out(ArrayLayout(unsigned(adc.code_bits), adcs))
        ADC codes, ``compute_latency`` cycles after ``block``, ``wl1``, ``wl2`` and ``mux``.
    """

    def __init__(self, config):
        if not isinstance(config, Config):
            raise TypeError(f"config must be a golden.Config, not {config!r}")
        super().__init__(config, {
            "row_addr": In(index_shape(config.rows)),
            "row_wdata": In(2 * config.cbls),
            "row_we": In(1),
            "row_rdata": Out(2 * config.cbls),
            "block": In(index_shape(config.compute_blocks)),
            "wl1": In(config.active_rows),
            "wl2": In(config.active_rows),
            "mux": In(index_shape(config.adc_share)),
            "codes": Out(data.ArrayLayout(unsigned(config.adc.code_bits), config.adcs)),
        })


class _SubarrayPins(wiring.Component):
    # What the stub and its black box share: the signature and the documented latencies.

    #: Cycles from ``block``/``wl1``/``wl2``/``mux`` to ``codes``: the SRAM's synchronous read
    #: of the block, then the registered ADC output.
    compute_latency = 2
    #: Cycles from ``row_addr`` to ``row_rdata``.
    read_latency = 1

    def __init__(self, config):
        self.config = config
        super().__init__(SubarraySignature(config))


class SubarrayStub(_SubarrayPins):
    """Bit-exact behavioural subarray: SRAM pairs, discharge counting, ADC mux and ADC.

    Storage is one ``lib.memory.Memory`` of ``compute_blocks`` words, each word one compute
    block (``active_rows`` rows of ``2 * cbls`` bits) with a write granularity of one row, so
    the compute path reads one block per cycle from a real memory. Inside the memory a row is
    kept in mux order (see :meth:`storage_order`), so that the bits one mux position feeds to
    the ADCs are contiguous; the row port converts from and to the SPEC 4 order.

    Every cycle the selected block is read; each row ``r`` adds to CBL ``c`` the discharge
    ``d = 1 - x * w`` of its cell, expressed as two discharge paths on the pins:
    ``a = IN2 ? Q1 : (IN1 | ~Q1)`` and ``b = IN2 ? Q2 : (~IN1 & ~Q2)``, ``d = a + b``.
    ADC ``j`` converts the CBL ``j * adc_share + mux``:
    ``code = min(D // adc_lsb, 2**adc_bits - 1)`` with ``D = sum_r d`` (an ideal ADC returns
    ``D``), registered.

    Two pin patterns never occur in normal operation; this is what the stub does with them:

    - a cell holding the corrupt pair (Q1, Q2) = (0, 1) discharges one unit whatever the
      input, as a weight of 0 would (its two paths are then complementary);
    - the word-line pair (IN1, IN2) = (0, 1) acts as an input of +1 (IN2 selects the paths).

    Weight sets (the ReRAM clusters) and the store/restore pins are added around this stub,
    unchanged, by :class:`tlcim.hw.reram_array.NvmSubarray` (``docs/nvm.md``): it drives
    this row port for the array-parallel copies and keeps the checksum spare cells beside it.
    """

    def storage_order(self):
        """Return, for each bit of a stored row, the SPEC 4 row bit it holds.

        Stored bit ``(mux * 2 + q) * adcs + j`` holds bit ``q`` (0 = Q1, 1 = Q2) of CBL
        ``j * adc_share + mux``.
        """
        M, J = self.config.adc_share, self.config.adcs
        return [2 * (j * M + mux) + q for mux in range(M) for q in range(2) for j in range(J)]

    def elaborate(self, platform):
        config = self.config
        A, C, M, J = config.active_rows, config.cbls, config.adc_share, config.adcs
        row_bits = 2 * C
        order = self.storage_order()
        m = Module()

        m.submodules.sram = sram = Memory(shape=unsigned(A * row_bits),
                                          depth=config.compute_blocks, init=[])
        # Row port: one row of a block word is written through the row-granular enable.
        write = sram.write_port(granularity=row_bits)
        row_block = self.row_addr // A if A > 1 else self.row_addr
        row_offset = self.row_addr % A if A > 1 else 0
        m.d.comb += [
            write.addr.eq(row_block),
            write.data.eq(Cat(self.row_wdata[bit] for bit in order).replicate(A)),
            write.en.eq(self.row_we.replicate(A) & (Const(1, A) << row_offset)),
        ]
        readback = sram.read_port()
        offset_q = Signal(index_shape(A))
        stored = Signal(row_bits)
        m.d.sync += offset_q.eq(row_offset)
        m.d.comb += [
            readback.addr.eq(row_block),
            stored.eq(readback.data.word_select(offset_q, row_bits)),
        ]
        where = {bit: index for index, bit in enumerate(order)}
        m.d.comb += self.row_rdata.eq(Cat(stored[where[bit]] for bit in range(row_bits)))
        # Weight sets: hw.reram_array.NvmSubarray restores through the row port above.

        # Compute path: the block read takes one cycle, so the word lines and mux position are
        # registered to meet the block's contents.
        read = sram.read_port()
        wl1, wl2 = Signal(A), Signal(A)
        mux = Signal.like(self.mux)
        m.d.comb += read.addr.eq(self.block)
        m.d.sync += [wl1.eq(self.wl1), wl2.eq(self.wl2), mux.eq(self.mux)]

        # Bit-sliced: every signal below is a vector over the ADCs (bit j for ADC j), so the
        # logic is per row and per count bit, not per ADC; Verilator keeps it in a few words.
        paths = []
        for a in range(A):
            q1, q2 = Signal(J, name=f"q1_row{a}"), Signal(J, name=f"q2_row{a}")
            base = [a * row_bits + 2 * position * J for position in range(M)]  # storage_order
            m.d.comb += [q1.eq(pick([read.data[b:b + J] for b in base], mux)),
                         q2.eq(pick([read.data[b + J:b + 2 * J] for b in base], mux))]
            in1, in2 = wl1[a].replicate(J), wl2[a].replicate(J)
            path_a, path_b = Signal(J, name=f"path_a_row{a}"), Signal(J, name=f"path_b_row{a}")
            m.d.comb += [
                path_a.eq((in2 & q1) | (~in2 & (in1 | ~q1))),
                path_b.eq((in2 & q2) | (~in2 & ~in1 & ~q2)),
            ]
            paths += [path_a, path_b]
        planes = _count_ones(m, paths)  # bit k of every ADC's discharge D

        shift = config.adc_lsb.bit_length() - 1
        top = config.adc.max_code
        for j in range(J):
            level = Cat(plane[j] for plane in planes[shift:]) if len(planes) > shift else 0
            # An ideal ADC never clips: D <= 2 * active_rows = its top code.
            m.d.sync += self.codes[j].eq(level if config.adc.is_ideal
                                         else Mux(level > top, top, level))
        return m


def _count_ones(m, vectors):
    """Count, lane by lane, the ones among equally wide ``vectors``: return the bit planes of
    the counts, least significant first, built from full and half adders on whole vectors."""
    columns = [list(vectors)]
    planes = []
    weight = 0
    while weight < len(columns):
        column = columns[weight]
        while len(column) > 1:
            if weight + 1 == len(columns):
                columns.append([])
            operands = [column.pop(0) for _ in range(min(3, len(column)))]
            total = Signal.like(operands[0], name=f"sum{weight}_{len(column)}")
            carry = Signal.like(operands[0], name=f"carry{weight}_{len(column)}")
            if len(operands) == 3:
                a, b, c = operands
                m.d.comb += [total.eq(a ^ b ^ c), carry.eq((a & b) | (a & c) | (b & c))]
            else:
                a, b = operands
                m.d.comb += [total.eq(a ^ b), carry.eq(a & b)]
            column.append(total)
            columns[weight + 1].append(carry)
        planes.append(column[0])
        weight += 1
    return planes


class SubarrayBlackBox(_SubarrayPins):
    """Port-only stand-in for the analog macro: an instance of ``tlcim_subarray``.

    Same signature and latencies as :class:`SubarrayStub`. The instance has no parameters;
    its Verilog ports, in this order, are ``clk``, ``rst`` (synchronous, active high),
    ``row_addr``, ``row_wdata``, ``row_we`` (inputs), ``row_rdata`` (output), ``block``,
    ``wl1``, ``wl2``, ``mux`` (inputs) and ``codes`` (output, ``adcs * adc.code_bits`` bits,
    ADC ``j`` at bits ``[j * adc.code_bits +: adc.code_bits]``), with the widths of
    :class:`SubarraySignature`.
    """

    #: Verilog module name of the analog macro.
    module_name = "tlcim_subarray"

    def elaborate(self, platform):
        m = Module()
        m.submodules.macro = Instance(
            self.module_name,
            i_clk=ClockSignal(), i_rst=ResetSignal(),
            i_row_addr=self.row_addr, i_row_wdata=self.row_wdata, i_row_we=self.row_we,
            o_row_rdata=self.row_rdata,
            i_block=self.block, i_wl1=self.wl1, i_wl2=self.wl2, i_mux=self.mux,
            o_codes=self.codes.as_value(),
        )
        return m
