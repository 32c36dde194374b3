"""Arithmetic of one MVM, of device sums and of whole layers (SPEC section 5, normative)."""

import numpy as np

from .trits import int_array, check_weight_range, check_weights, encode_trits, saturate

__all__ = ["adc_code", "partial_mac", "mvm", "device_mvm", "layer", "REQUANT_MULTIPLIER_BITS",
           "REQUANT_SHIFT_BITS", "requantise"]

#: Widths of the output stage's requantisation multiplier and shift (its registers, and the
#: bounds every caller of :func:`requantise` is held to, so golden and hardware accept the
#: same settings).
REQUANT_MULTIPLIER_BITS = 16
REQUANT_SHIFT_BITS = 6


def adc_code(config, discharge):
    """Return the ADC code of a CBL discharge total ``D`` (0 .. 2 * active_rows).

    ``min(floor(D / adc_lsb), 2**adc_bits - 1)``; for an ideal ADC the code is ``D``.
    """
    return config.adc.code(discharge)


def partial_mac(config, code):
    """Return the partial MAC the digital periphery rebuilds from an ADC code."""
    return config.active_rows - np.asarray(code) * config.adc_lsb


def _inputs(config, x, width, what):
    x = int_array(x, what)
    if x.ndim not in (1, 2) or x.shape[-1] != width:
        raise ValueError(f"{what} must have shape ({width},) or (batch, {width}), not {x.shape}")
    return x


def _adc_in_place(config, dot):
    # Turn trit-product sums into the partial MACs the periphery rebuilds, in place:
    # D = A - dot discharge units, p = A - lsb * min(floor(D / lsb), max_code).
    A, lsb, top = config.active_rows, config.adc_lsb, config.adc.max_code
    if lsb == 1:
        if top < 2 * A:
            np.maximum(dot, A - top, out=dot)  # only large discharges clip
        return
    np.subtract(A, dot, out=dot)
    np.multiply(dot, 1.0 / lsb, out=dot)  # exact: lsb is a power of two
    np.floor(dot, out=dot)
    np.minimum(dot, top, out=dot)
    np.multiply(dot, -lsb, out=dot)
    np.add(dot, A, out=dot)


def _trit_weights(config):
    # 3**(t + k) for every input trit t and weight trit k, as float64 (exact below 2**53).
    powers = 3.0 ** np.arange(max(config.x_trits, config.w_trits))
    return np.outer(powers[:config.x_trits], powers[:config.w_trits])


def mvm(config, weights, x):
    """Compute one subarray MVM with the ADC transfer of SPEC 5, bit-exactly.

    Parameters
    ----------
    config : Config
    weights : array_like of int, shape [rows, outs]
        Each within ``+-config.w_max`` (out-of-range weights raise, as when loading).
    x : array_like of int, shape [rows] or [batch, rows]
        Inputs; values outside ``+-config.x_max`` saturate.

    Returns
    -------
    numpy.ndarray of int64, shape [outs] or [batch, outs]
    """
    weights = check_weights(config, weights)
    x = _inputs(config, x, config.rows, "x")
    batch = x.reshape(-1, config.rows)
    B, S, A = len(batch), config.compute_blocks, config.active_rows
    T, K, O = config.x_trits, config.w_trits, config.outs
    # Per block s, the trit products summed over its rows form one small matmul:
    # dot[(b, t), (o, k)] = sum_a x_t[b, s*A + a] * w_k[s*A + a, o]. float32 is exact here
    # (|dot| <= active_rows, block sums <= rows) and lets BLAS do the work; one 2-D matmul
    # per block into a reused buffer is several times faster than a stacked matmul.
    xt = encode_trits(batch, T).reshape(B, S, A, T).transpose(1, 0, 3, 2)
    xt = np.ascontiguousarray(xt.reshape(S, B * T, A), dtype=np.float32)
    wt = encode_trits(weights, K).reshape(S, A, O * K).astype(np.float32)
    p = np.empty((B * T, O * K), dtype=np.float32)
    total = np.zeros_like(p)
    for s in range(S):
        np.matmul(xt[s], wt[s], out=p)
        _adc_in_place(config, p)
        total += p
    total = total.reshape(B, T, O, K).astype(np.float64)
    y = np.rint(np.einsum("btok,tk->bo", total, _trit_weights(config))).astype(np.int64)
    return y[0] if x.ndim == 1 else y


def device_mvm(config, weights, x):
    """Compute one device MVM: every subarray takes its slice of ``x`` and results are summed.

    Parameters
    ----------
    weights : array_like of int, shape [subarrays, rows, outs]
    x : array_like of int, shape [rows * subarrays] or [batch, rows * subarrays]
        Subarray ``s`` takes ``x[..., s * rows:(s + 1) * rows]``.

    Returns
    -------
    numpy.ndarray of int64, shape [outs] or [batch, outs]
    """
    weights = int_array(weights, "weights")
    if weights.shape != (config.subarrays, config.rows, config.outs):
        raise ValueError(f"weights must have shape (subarrays, rows, outs) = "
                         f"({config.subarrays}, {config.rows}, {config.outs}), "
                         f"not {weights.shape}")
    check_weight_range(config, weights, "weights", ("subarray", "row", "output"))
    x = _inputs(config, x, config.rows * config.subarrays, "x")
    return sum(mvm(config, weights[s], x[..., s * config.rows:(s + 1) * config.rows])
               for s in range(config.subarrays))


def layer(config, weights, x):
    """Compute ``W^T x`` for any N x O weight matrix on subarray-sized tiles.

    The matrix is split into row tiles of ``rows`` and column tiles of ``outs``, zero-padded;
    row tiles are summed exactly in the digital domain and column tiles concatenated (SPEC 5).

    Parameters
    ----------
    weights : array_like of int, shape [N, O]
    x : array_like of int, shape [N] or [batch, N]

    Returns
    -------
    numpy.ndarray of int64, shape [O] or [batch, O]
    """
    weights = int_array(weights, "weights")
    if weights.ndim != 2:
        raise ValueError(f"weights must be a matrix (N, O), not shape {weights.shape}")
    check_weight_range(config, weights, "weights", ("row", "output"))
    n, o = weights.shape
    x = _inputs(config, x, n, "x")
    batch = x.reshape(-1, n)
    row_tiles, col_tiles = -(-n // config.rows), -(-o // config.outs)
    padded_w = np.zeros((row_tiles * config.rows, col_tiles * config.outs), dtype=np.int64)
    padded_w[:n, :o] = weights
    padded_x = np.zeros((len(batch), row_tiles * config.rows), dtype=np.int64)
    padded_x[:, :n] = batch
    y = np.zeros((len(batch), col_tiles * config.outs), dtype=np.int64)
    for i in range(row_tiles):
        rows = slice(i * config.rows, (i + 1) * config.rows)
        for j in range(col_tiles):
            cols = slice(j * config.outs, (j + 1) * config.outs)
            y[:, cols] += mvm(config, padded_w[rows, cols], padded_x[:, rows])
    y = y[:, :o]
    return y[0] if x.ndim == 1 else y


def requantise(config, y, *, multiplier=1, shift=0, relu=False):
    """Scale results back to inputs of the next layer, as the hardware output stage does.

    ``clip(relu((y * multiplier + round) >> shift), -x_max, x_max)`` with ``round`` =
    ``2**(shift - 1)`` (round half up; 0 when ``shift`` is 0) and an arithmetic shift.

    Raises
    ------
    ValueError
        If ``multiplier`` is not an integer from 0 to 65535 or ``shift`` not from 0 to 63 (the
        widths of the hardware's registers, :data:`REQUANT_MULTIPLIER_BITS` and
        :data:`REQUANT_SHIFT_BITS`).
    """
    top = (1 << REQUANT_MULTIPLIER_BITS) - 1
    if isinstance(multiplier, bool) or not isinstance(multiplier, int) \
            or not 0 <= multiplier <= top:
        raise ValueError(f"multiplier must be an integer from 0 to {top}, not {multiplier!r}")
    top = (1 << REQUANT_SHIFT_BITS) - 1
    if isinstance(shift, bool) or not isinstance(shift, int) or not 0 <= shift <= top:
        raise ValueError(f"shift must be an integer from 0 to {top}, not {shift!r}")
    y = int_array(y, "y")
    scaled = (y * multiplier + ((1 << shift) >> 1)) >> shift
    if relu:
        scaled = np.maximum(scaled, 0)
    return saturate(scaled, config.x_trits)[0]
