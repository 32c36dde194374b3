"""The row checksum in hardware: a CRC engine fed a chunk of a row every cycle.

The checksum is the row CRC of :mod:`tlcim.golden.checksum`: linear over GF(2) with initial
value 0, so feeding a row ``chunk`` bits a cycle updates the state as ``crc' = A crc ^ B chunk``
(:func:`crc_step_matrices`), and a row padded with leading zeros to whole chunks has the same
CRC. :class:`CrcEngine` computes that step with shared XOR pairs (:func:`xor_network`); the
store/restore controller (:class:`tlcim.hw.nvm.NvmController`) feeds it every row of a checksum
or verify pass. How many bits a cycle is an area/latency trade (docs/nvm.md).
"""

import collections
import itertools

import numpy as np
from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tlcim.golden.checksum import crc_matrix, crc_params

__all__ = ["DEFAULT_CRC_CHUNK", "crc_chunks", "crc_step_matrices", "xor_network", "CrcEngine"]


#: Row bits the CRC engine takes per cycle unless told otherwise (the area/latency trade of
#: docs/nvm.md).
DEFAULT_CRC_CHUNK = 160


def crc_chunks(config, crc_chunk=DEFAULT_CRC_CHUNK):
    """Return ``(chunk, chunks)``: the bits the CRC engine takes per cycle (``crc_chunk``, at
    most the ``2 * cbls`` bits of a row) and the cycles it spends on one subarray's row.

    Raises
    ------
    ValueError
        If ``crc_chunk`` is not a positive integer.
    """
    if isinstance(crc_chunk, bool) or not isinstance(crc_chunk, int) or crc_chunk < 1:
        raise ValueError(f"crc_chunk must be a positive integer, not {crc_chunk!r}")
    chunk = min(crc_chunk, 2 * config.cbls)
    return chunk, -(-2 * config.cbls // chunk)


def crc_step_matrices(row_bits, chunk):
    """Return ``(A, B)`` of the row CRC (``tlcim.golden.checksum.crc_params(row_bits)``) fed
    ``chunk`` bits at a time: the state after a chunk is ``A @ state ^ B @ bits`` over GF(2), ``A``
    of shape ``[width, width]`` (``chunk`` zero bits fed into state bit ``j`` give column ``j``),
    ``B = crc_matrix(chunk).T`` of shape ``[width, chunk]`` (bit 0 of the chunk fed first)."""
    width, poly = crc_params(row_bits)
    A = np.zeros((width, width), dtype=np.uint8)
    for j in range(width):
        reg = 1 << j
        for _ in range(chunk):
            reg = ((reg << 1) & ((1 << width) - 1)) ^ (poly if reg >> (width - 1) & 1 else 0)
        A[:, j] = [(reg >> k) & 1 for k in range(width)]
    return A, crc_matrix(chunk, width, poly).T


def xor_network(m, bits, rows, name):
    """Return, for each row (indices into ``bits``), the XOR of those bits, with pairs common
    to several rows computed once: Paar's greedy, repeatedly giving the pair shared by most
    rows (the smallest on ties, so the netlist is reproducible) its own signal. On paper's CRC
    step (10 outputs of 160 + 10 bits) it needs 391 XORs where separate trees need 802; abc
    does not find that sharing itself (docs/nvm.md)."""
    bits = list(bits)
    rows = [set(row) for row in rows]
    while True:
        counts = collections.Counter(pair for row in rows
                                     for pair in itertools.combinations(sorted(row), 2))
        if not counts:
            break
        pair, count = min(counts.items(), key=lambda item: (-item[1], item[0]))
        if count < 2:
            break
        shared = Signal(name=f"{name}_x{len(bits)}")
        m.d.comb += shared.eq(bits[pair[0]] ^ bits[pair[1]])
        for row in rows:
            if pair[0] in row and pair[1] in row:
                row.difference_update(pair)
                row.add(len(bits))
        bits.append(shared)
    return [Cat(*(bits[i] for i in sorted(row))).xor() for row in rows]


class CrcEngine(wiring.Component):
    """The CRC of a ``row_bits``-bit row (:func:`tlcim.golden.checksum.crc_params`), fed
    ``chunk`` bits a cycle, most significant chunk first.

    Parameters
    ----------
    row_bits : int
        Bits of the rows whose CRC is computed.
    chunk : int
        Bits fed per cycle; a row is padded with leading zeros to whole chunks (which leaves
        its CRC unchanged).

    Members
    -------
    data : In(chunk)
        This cycle's chunk, bit 0 fed first.
    first : In(1)
        This cycle's chunk is the first of a row: the state restarts from 0.
    crc : Out(width)
        The CRC of the row's chunks so far, this cycle's included (combinational: after the
        row's last chunk, the row's CRC). The state advances every cycle.
    """

    def __init__(self, row_bits, chunk):
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"chunk must be a positive integer, not {chunk!r}")
        self._row_bits, self._chunk = row_bits, chunk
        width, _ = crc_params(row_bits)
        super().__init__({"data": In(chunk), "first": In(1), "crc": Out(width)})

    @property
    def row_bits(self):
        return self._row_bits

    @property
    def chunk(self):
        return self._chunk

    def elaborate(self, platform):
        m = Module()
        width, W = len(self.crc), self._chunk
        A, B = crc_step_matrices(self._row_bits, W)
        crc = Signal(width)                      # the state after the chunks fed so far
        crc_in = Mux(self.first, 0, crc)         # a row starts from 0
        m.d.comb += self.crc.eq(Cat(*xor_network(
            m, [crc_in[j] for j in range(width)] + [self.data[i] for i in range(W)],
            [[j for j in range(width) if A[k, j]] + [width + i for i in range(W) if B[k, i]]
             for k in range(width)], "crc")))
        m.d.sync += crc.eq(self.crc)
        return m
