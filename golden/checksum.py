"""Integrity checksum of stored weight sets: a CRC per SRAM row, kept in spare compute cells.

Where the checksum lives, and why
---------------------------------
In ``spare`` extra compute cells at the end of every row of the subarray (``spare_cells``),
stored and restored *with* the weights by the same array-parallel operation. A register file
would be lost at power-off, so the automatic restore of the boot set after a power cycle could
not be verified; spare cells survive with the set they protect and cost no extra transfer.

Layout of the spare cells of a row (cell ``cbls + i`` of the extended row):

- cells ``0 .. width - 1``: checksum bit ``b`` as LRS (+1, SRAM pair (0, 0)) when 1 and HRS
  (-1, pair (1, 1)) when 0. These are the extreme levels: their only misread is to MRS
  (1, 0), itself a pattern a checksum cell never holds, so a misread checksum cell is detected
  by its pattern alone.
- cell ``width``: the *stored marker*, always LRS (+1). A ReRAM that was never programmed is in
  its high-resistance (HRS) state, so restoring a set that was never stored reads the marker
  as -1: that is how the hardware tells ``SET_EMPTY`` from ``VERIFY_FAILED`` without a
  register (which, again, would be lost at power-off: the boot restore must know whether the
  boot set was ever stored).

The CRC
-------
Per row, over the ``2 * cbls`` SRAM bits of the weights, bit 0 first (CBL ``c`` at bits
``[2c] = Q1``, ``[2c + 1] = Q2``, SPEC 4), shift register initialised to 0, non-reflected:
for each bit ``m``, ``feedback = crc[width - 1] ^ m; crc = (crc << 1) ^ (poly if feedback)``.

A misread moves a cell to an adjacent level (SPEC 6), which flips exactly one SRAM bit
(+1 (0, 0) <-> 0 (1, 0) flips Q1; 0 (1, 0) <-> -1 (1, 1) flips Q2). Every polynomial used has
the factor ``x + 1``, so every odd number of bit errors in a row is detected, and it is chosen
so that every double error is detected too: all single-bit syndromes of the row are distinct
and non-zero (:func:`crc_params` checks this). The brief asked for CRC-8 ``x^8 + x^2 + x + 1``
everywhere; its period is 127, so in a row of more than 127 bits two errors 127 bits apart
cancel (the ``paper`` row has 320 bits). :func:`crc_params` therefore picks the narrowest of
:data:`POLYNOMIALS` that detects all double errors at the row's length: CRC-8 for rows up to
127 bits (the small presets), CRC-10/ATM ``x^10 + x^9 + x^5 + x^4 + x + 1`` for ``paper``.

Everything here is vectorised numpy: the CRC is linear over GF(2) with initial value 0, so the
checksums of many rows are one matrix product with :func:`crc_matrix`.
"""

import functools

import numpy as np

__all__ = ["POLYNOMIALS", "crc_params", "crc_matrix", "spare_cells", "row_checksums",
           "checksum_bits", "spare_sram_bits", "verify_rows", "MARKER"]

#: Candidate CRCs ``(width, polynomial without its x^width term)``, narrowest first. Each has
#: the factor ``x + 1`` (an even number of terms).
POLYNOMIALS = ((8, 0x07), (10, 0x233), (12, 0x80F), (16, 0x1021))

#: Level of the stored-marker spare cell after a store (LRS).
MARKER = 1


def _row_bits(row_bits):
    if isinstance(row_bits, bool) or not isinstance(row_bits, (int, np.integer)) \
            or row_bits < 1:
        raise ValueError(f"row_bits must be a positive integer, not {row_bits!r}")
    return int(row_bits)


@functools.cache
def _matrix(row_bits, width, poly):
    # Row i: the CRC of the message with only bit i set (the CRC is linear, init 0).
    out = np.zeros((row_bits, width), dtype=np.uint8)
    # The CRC of e_i equals x^(row_bits - 1 - i) * x^width mod g: compute it by shifting a
    # register fed with a single 1 and then row_bits - 1 - i zeros.
    taps = np.array([(poly >> k) & 1 for k in range(width)], dtype=np.uint8)
    reg = taps.copy()                        # after feeding the 1: crc = poly
    for i in reversed(range(row_bits)):
        out[i] = reg
        feedback = reg[width - 1]
        reg = np.roll(reg, 1)
        reg[0] = 0
        if feedback:
            reg ^= taps
    out.flags.writeable = False
    return out


def crc_matrix(row_bits, width=None, poly=None):
    """Return the GF(2) generator of the row CRC, uint8 ``[row_bits, width]``.

    ``(bits @ crc_matrix) % 2`` is the CRC of ``bits`` (bit ``k`` of the CRC in column ``k``).
    ``width`` and ``poly`` default to :func:`crc_params` ``(row_bits)``.
    """
    row_bits = _row_bits(row_bits)
    if width is None or poly is None:
        width, poly = crc_params(row_bits)
    return _matrix(row_bits, int(width), int(poly))


@functools.cache
def crc_params(row_bits):
    """Return ``(width, poly)``: the narrowest CRC of :data:`POLYNOMIALS` that detects every
    single and double bit error in a row of ``row_bits`` bits.

    Raises
    ------
    ValueError
        If ``row_bits`` is not a positive integer, or no candidate is long enough.
    """
    row_bits = _row_bits(row_bits)
    for width, poly in POLYNOMIALS:
        syndromes = _matrix(row_bits, width, poly).astype(np.int64) @ (1 << np.arange(width))
        if np.all(syndromes != 0) and len(np.unique(syndromes)) == row_bits:
            return width, poly
    raise ValueError(f"row_bits must be at most 32751 for a checksum that detects every "
                     f"double error, not {row_bits!r}")


def spare_cells(cbls):
    """Return the spare compute cells per row for ``cbls`` weight cells: CRC width + marker."""
    return crc_params(2 * _row_bits(cbls))[0] + 1


def _bits(bits, what="bits"):
    bits = np.asarray(bits)
    if not (bits.dtype == np.bool_ or np.issubdtype(bits.dtype, np.integer)) \
            or bits.ndim < 1 or np.any((bits != 0) & (bits != 1)):
        raise ValueError(f"{what} must be an array of 0/1 SRAM bits with a row axis last")
    return bits.astype(np.uint8)


def row_checksums(bits):
    """Return the CRC of each row of SRAM bits.

    Parameters
    ----------
    bits : array_like of 0/1, shape ``[..., 2 * cbls]``
        The weight bits of each row (no spare cells), bit 0 first.

    Returns
    -------
    numpy.ndarray of int64, shape ``[...]``
        CRC values, bit ``k`` of the CRC at weight ``2**k``.
    """
    bits = _bits(bits)
    matrix = crc_matrix(bits.shape[-1])
    crc_bits = (bits.astype(np.int64) @ matrix.astype(np.int64)) & 1
    return crc_bits @ (1 << np.arange(matrix.shape[1], dtype=np.int64))


def checksum_bits(crc, width):
    """Return the bits of CRC values, ``[..., width]``, bit 0 first (uint8)."""
    crc = np.asarray(crc, dtype=np.int64)
    return ((crc[..., None] >> np.arange(width)) & 1).astype(np.uint8)


def spare_sram_bits(bits):
    """Return the SRAM bits of the spare cells a store writes for rows ``bits``.

    Parameters
    ----------
    bits : array_like of 0/1, shape ``[..., 2 * cbls]``

    Returns
    -------
    numpy.ndarray of uint8, shape ``[..., 2 * spare_cells(cbls)]``
        Checksum cell ``b`` holds (Q1, Q2) = (0, 0) (LRS, +1) for a 1 and (1, 1) (HRS, -1) for
        a 0; the marker cell (last) holds (0, 0). Same packing as a weight row (cell ``i`` at
        bits ``[2i], [2i + 1]``), so the extended row is ``concatenate([bits, spare])``.
    """
    bits = _bits(bits)
    width, _ = crc_params(bits.shape[-1])
    q = 1 - checksum_bits(row_checksums(bits), width)          # LRS (1) -> Q = 0
    q = np.concatenate([q, np.zeros(q.shape[:-1] + (1,), dtype=np.uint8)], axis=-1)
    return np.repeat(q, 2, axis=-1)


def verify_rows(rows):
    """Check restored extended rows (weights then spare cells) and return the bad ones.

    Parameters
    ----------
    rows : array_like of 0/1, shape ``[rows, 2 * (cbls + spare_cells(cbls))]``

    Returns
    -------
    empty : bool
        The marker of row 0 reads HRS (1, 1): the set was never stored.
    bad : list of int
        Rows whose checksum cells hold a pattern other than (0, 0)/(1, 1), whose marker is not
        LRS, or whose CRC differs from the one recomputed from the weight bits; ascending.
        Empty when ``empty`` (a never-stored set has no checksum to compare).
    """
    rows = _bits(rows, "rows")
    if rows.ndim != 2 or rows.shape[1] % 2:
        raise ValueError(f"rows must be a 2-D array of extended rows with an even number of "
                         f"bits, not shape {rows.shape}")
    total = rows.shape[1] // 2
    # Solve cbls + width(2 * cbls) + 1 = total.
    for cbls in range(total - 1, 0, -1):
        if cbls + spare_cells(cbls) == total:
            break
    else:
        raise ValueError(f"rows must have 2 * (cbls + spare_cells(cbls)) bits, not {2 * total}")
    weights, spare = rows[:, :2 * cbls], rows[:, 2 * cbls:]
    q1, q2 = spare[:, 0::2], spare[:, 1::2]
    if q1[0, -1] and q2[0, -1]:
        return True, []
    width = spare.shape[1] // 2 - 1
    pattern_ok = np.all(q1[:, :width] == q2[:, :width], axis=1)
    marker_ok = (q1[:, -1] == 0) & (q2[:, -1] == 0)
    stored = ((1 - q1[:, :width]).astype(np.int64) << np.arange(width)).sum(axis=1)
    crc_ok = stored == row_checksums(weights)
    return False, np.flatnonzero(~(pattern_ok & marker_ok & crc_ok)).tolist()
