"""Weight quantisation the paper uses: 8-bit then truncated to trits, and ternary thresholds."""

import numpy as np

from .trits import saturate

__all__ = ["quantise_weights", "ternarise"]


def _as_float(weights):
    weights = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(weights)):
        raise ValueError("weights must be finite")
    return weights


def quantise_weights(weights, *, bits=8, trits=5):
    """Quantise float weights symmetrically to ``bits`` bits, then truncate to ``trits`` trits.

    This is the paper's method (SPEC 1): the scale maps ``max|w|`` to ``2**(bits-1) - 1``, and
    the integer codes are then saturated to ``+-(3**trits - 1) // 2``, so only the largest
    weights are clipped (127 -> 121 for 8 bits and 5 trits).

    Returns
    -------
    q : numpy.ndarray of int64
        Integer weights; ``q * scale`` approximates ``weights``.
    scale : float

    Raises
    ------
    ValueError
        If ``bits`` is not an integer from 2 to 32, ``trits`` not a positive integer, or a
        weight is not finite.
    """
    if not isinstance(bits, int) or not 2 <= bits <= 32:
        raise ValueError(f"bits must be an integer between 2 and 32, not {bits!r}")
    if not isinstance(trits, int) or trits < 1:
        raise ValueError(f"trits must be a positive integer, not {trits!r}")
    weights = _as_float(weights)
    peak = float(np.max(np.abs(weights), initial=0.0))
    scale = peak / (2 ** (bits - 1) - 1) if peak else 1.0
    q = np.rint(weights / scale).astype(np.int64)
    return saturate(q, trits)[0], scale


def ternarise(weights, *, threshold=0.7):
    """Quantise float weights to {-1, 0, +1} with a magnitude threshold (ternary weight networks).

    Weights with ``|w| > threshold * mean|w|`` keep their sign, the rest become 0; the scale is
    the mean magnitude of the weights kept.

    Returns
    -------
    q : numpy.ndarray of int64
    scale : float
    """
    if not threshold >= 0:
        raise ValueError(f"threshold must be non-negative, not {threshold!r}")
    weights = _as_float(weights)
    magnitude = np.abs(weights)
    keep = magnitude > threshold * magnitude.mean() if weights.size else magnitude > 0
    q = np.where(keep, np.sign(weights), 0).astype(np.int64)
    scale = float(magnitude[keep].mean()) if keep.any() else 1.0
    return q, scale
