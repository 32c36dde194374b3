"""Balanced-ternary encodings and the bit patterns of SPEC section 4 (normative)."""

import functools

import numpy as np

__all__ = [
    "trit_max", "saturate", "encode_trits", "decode_trits",
    "INPUT_WL", "WEIGHT_Q", "weights_to_cbl_trits", "cbl_trits_to_weights",
    "weights_to_sram_bits", "sram_bits_to_weights", "check_weights", "check_weight_range",
    "int_array",
]


def trit_max(trits):
    """Return the largest magnitude ``trits`` balanced trits represent: ``(3**trits - 1) // 2``."""
    return (3 ** trits - 1) // 2


def int_array(values, what):
    """Return ``values`` as an int64 array, or raise ``ValueError`` naming ``what``.

    Booleans and non-integer arrays are refused; so are values that int64 cannot hold (a
    ``uint64`` array above ``2**63 - 1``), checked by value, never wrapped.
    """
    array = np.asarray(values)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{what} must be an integer array, not {array.dtype}")
    if array.dtype == np.uint64 and array.size and array.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{what} must hold values that fit in 64-bit signed integers, not "
                         f"{int(array.max())}")
    return array.astype(np.int64, copy=False)


def saturate(values, trits):
    """Clip ``values`` to the range of ``trits`` balanced trits.

    Returns
    -------
    clipped : numpy.ndarray of int64
    saturated : numpy.ndarray of bool
        True where a value was outside the range (what the hardware encoder reports).
    """
    values = int_array(values, "values")
    bound = trit_max(trits)
    clipped = np.clip(values, -bound, bound)
    return clipped, clipped != values


def encode_trits(values, trits):
    """Encode integers as balanced trits, least significant first, saturating.

    Parameters
    ----------
    values : array_like of int, shape [...]
    trits : int

    Returns
    -------
    numpy.ndarray of int8, shape [..., trits]
        Digits in {-1, 0, +1}; ``decode_trits`` of it is ``values`` clipped to
        ``+-trit_max(trits)``.
    """
    if not isinstance(trits, int) or trits < 1:
        raise ValueError(f"trits must be a positive integer, not {trits!r}")
    clipped, _ = saturate(values, trits)
    if trits <= _TABLE_TRITS:
        # One gather from a table of every representable value beats digit-by-digit division.
        return _digit_table(trits)[clipped + trit_max(trits)]
    return _digits(clipped, trits)


_TABLE_TRITS = 8


def _digits(values, trits):
    digits = np.empty(values.shape + (trits,), dtype=np.int8)
    for i in range(trits):
        digit = (values + 1) % 3 - 1
        digits[..., i] = digit
        values = (values - digit) // 3
    return digits


@functools.cache
def _digit_table(trits):
    bound = trit_max(trits)
    table = _digits(np.arange(-bound, bound + 1, dtype=np.int64), trits)
    table.flags.writeable = False
    return table


def decode_trits(digits):
    """Return ``sum_i digits[..., i] * 3**i`` as int64 (digits least significant first)."""
    digits = int_array(digits, "digits")
    return digits @ (3 ** np.arange(digits.shape[-1], dtype=np.int64))


#: Word-line pair (IN1, IN2) of an input trit, indexed by trit + 1 (SPEC 4).
INPUT_WL = np.array([(0, 0), (1, 0), (1, 1)], dtype=np.uint8)
#: SRAM pair (Q1, Q2) of a weight trit, indexed by trit + 1 (SPEC 4). (0, 1) is corrupt.
WEIGHT_Q = np.array([(1, 1), (1, 0), (0, 0)], dtype=np.uint8)


def check_weights(config, weights, *, what="weights"):
    """Return ``weights`` as int64 [rows, outs] or raise ``ValueError`` saying what is wrong.

    Out-of-range weights are rejected, not saturated (SPEC 4).
    """
    weights = int_array(weights, what)
    if weights.shape != (config.rows, config.outs):
        raise ValueError(f"{what} must have shape (rows, outs) = ({config.rows}, {config.outs}), "
                         f"not {weights.shape}")
    return check_weight_range(config, weights, what, ("row", "output"))


def check_weight_range(config, weights, what, axes):
    """Return int64 ``weights`` if every value lies within ``+-w_max``, else raise ``ValueError``
    naming the first one by its position: ``axes`` names each axis of the caller's own array
    (a layer's row, not a tile's), e.g. ``("row", "output")``."""
    bad = np.argwhere(np.abs(weights) > config.w_max)
    if len(bad):
        where = ", ".join(f"{axis} {index}" for axis, index in zip(axes, bad[0]))
        raise ValueError(f"{what} must lie in [-{config.w_max}, {config.w_max}] for "
                         f"w_trits={config.w_trits}; {len(bad)} do not, the first "
                         f"{weights[tuple(bad[0])]} at {where}")
    return weights


def weights_to_cbl_trits(config, weights):
    """Return the weight trit of every compute cell, int8 [rows, cbls].

    Digit k of output o lives on CBL ``o * w_trits + k`` (SPEC 5).
    """
    weights = check_weights(config, weights)
    return encode_trits(weights, config.w_trits).reshape(config.rows, config.cbls)


def cbl_trits_to_weights(config, cell_trits):
    """Inverse of :func:`weights_to_cbl_trits`: int64 [rows, outs]."""
    cell_trits = np.asarray(cell_trits)
    return decode_trits(cell_trits.reshape(cell_trits.shape[:-1] + (config.outs, config.w_trits)))


def weights_to_sram_bits(config, weights):
    """Return the SRAM row contents, uint8 [rows, 2 * cbls]: CBL c at [2c] = Q1, [2c + 1] = Q2."""
    cells = weights_to_cbl_trits(config, weights)
    return WEIGHT_Q[cells + 1].reshape(config.rows, 2 * config.cbls)


def sram_bits_to_weights(config, bits):
    """Decode SRAM rows (uint8 [rows, 2 * cbls]) into weights int64 [rows, outs].

    Raises
    ------
    ValueError
        If ``bits`` is not an integer array of 0s and 1s whose last axis is ``2 * cbls`` long,
        or if any compute cell holds the corrupt pair (0, 1), naming the first one.
    """
    bits = np.asarray(bits)
    bits = int_array(bits.astype(np.uint8) if bits.dtype == np.bool_ else bits, "bits")
    if bits.ndim == 0 or bits.shape[-1] != 2 * config.cbls:
        raise ValueError(f"bits must have shape (..., 2 * cbls) = (..., {2 * config.cbls}), "
                         f"not {bits.shape}")
    if np.any((bits != 0) & (bits != 1)):
        raise ValueError(f"bits must be 0 or 1, not {bits[(bits != 0) & (bits != 1)][0]}")
    pairs = bits.reshape(-1, config.cbls, 2)
    q1, q2 = pairs[..., 0].astype(np.int64), pairs[..., 1].astype(np.int64)
    corrupt = np.argwhere((q1 == 0) & (q2 == 1))
    if len(corrupt):
        row, cbl = corrupt[0]
        raise ValueError(f"SRAM holds the corrupt pair (Q1, Q2) = (0, 1) in {len(corrupt)} "
                         f"cell(s), the first at row {row}, CBL {cbl}")
    cells = 1 - q1 - q2  # (0,0) -> +1, (1,0) -> 0, (1,1) -> -1
    return cbl_trits_to_weights(config, cells)
