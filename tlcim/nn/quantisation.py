"""Quantisation: integer weights the device holds and the requantisation between layers.

Two methods, as in the paper (SPEC 1):

``trunc8``
    The float network's weights quantised symmetrically to 8 bits, then truncated (saturated)
    to ``w_trits`` trits (:func:`tlcim.golden.quantise_weights`).
``ternary``
    The ternary-aware fine-tuned weights thresholded to {-1, 0, +1}
    (:func:`tlcim.golden.ternarise`).

Inputs are integers ``0..x_max`` (:func:`.data.input_integers`). Between layers the output
stage requantises ``y`` to the next layer's inputs, ``clip(relu((y * multiplier + round) >>
shift), -x_max, x_max)`` (:func:`tlcim.golden.requantise`). One integer ratio per layer maps the
99.9th percentile of the positive pre-activations on the training images to ``x_max``, so the
hidden activations fill the ``x_trits`` range and only rare outliers saturate. The last layer is
not requantised: its raw integer results are the logits.
"""

import dataclasses

import numpy as np

from tlcim import golden
from .data import input_integers, load_digits

__all__ = ["METHODS", "MULTIPLIER_BITS", "CALIBRATION_PERCENTILE", "QuantisedLayer",
           "QuantisedNet", "requant_params", "quantise", "forward"]

#: Quantisation methods: name -> which trained weights they start from.
METHODS = {"trunc8": "float", "ternary": "ternary"}
#: Width of the unsigned requantisation multiplier (the output stage's multiplier operand).
MULTIPLIER_BITS = 8
#: Percentile of positive pre-activations mapped to ``x_max`` by the requantisation.
CALIBRATION_PERCENTILE = 99.9


@dataclasses.dataclass(frozen=True)
class QuantisedLayer:
    """One layer as the device computes it.

    Members
    -------
    weights : numpy.ndarray of int64, shape [inputs, outputs]
        Within ``+-config.w_max``.
    scale : float
        Float value of one weight step (``weights * scale`` approximates the float weights).
    requant : dict or None
        ``{"multiplier", "shift", "relu"}`` applied to this layer's results, or None for the
        output layer (raw logits).
    """

    weights: np.ndarray
    scale: float
    requant: dict | None


@dataclasses.dataclass(frozen=True)
class QuantisedNet:
    """An integer network for one configuration and quantisation method."""

    config: golden.Config
    method: str
    layers: tuple

    @property
    def shapes(self):
        """The ``(inputs, outputs)`` shape of every layer."""
        return [layer.weights.shape for layer in self.layers]


def requant_params(ratio, *, relu=True, bits=MULTIPLIER_BITS):
    """Return ``{"multiplier", "shift", "relu"}`` with ``multiplier / 2**shift ~= ratio``.

    The multiplier is the largest that fits ``bits`` unsigned bits (most precision), with
    ``shift`` at most 63.

    Raises
    ------
    ValueError
        If ``ratio`` is not a positive finite number.
    """
    if not np.isfinite(ratio) or not ratio > 0:
        raise ValueError(f"ratio must be a positive finite number, not {ratio!r}")
    top = 2 ** bits - 1
    shift = 0
    while shift < 63 and round(ratio * 2 ** (shift + 1)) <= top:
        shift += 1
    multiplier = max(1, min(top, round(ratio * 2 ** shift)))
    return {"multiplier": int(multiplier), "shift": int(shift), "relu": bool(relu)}


def _ideal(config, weights, x):
    return x @ weights


def forward(net, x, product=None):
    """Run ``net`` on integer inputs ``x`` [batch, inputs]; return int64 logits [batch, 10].

    ``product(config, W, x)`` computes one layer's results (default: the exact product
    ``x @ W``, what an ideal ADC gives; pass :func:`tlcim.golden.layer` for the configuration's
    ADC).
    Requantisation is always :func:`tlcim.golden.requantise`.
    """
    product = product or _ideal
    x = np.asarray(x, dtype=np.int64)
    for layer in net.layers:
        x = product(net.config, layer.weights, x)
        if layer.requant is not None:
            x = golden.requantise(net.config, x, **layer.requant)
    return x


def _integer_weights(config, method, weights, threshold):
    if method == "trunc8":
        return golden.quantise_weights(weights, bits=8, trits=config.w_trits)
    return golden.ternarise(weights, threshold=threshold)


def quantise(config, trained, method, *, threshold=0.7):
    """Quantise a trained network (from :func:`.train.train_mlp`) for ``config``.

    Parameters
    ----------
    config : golden.Config
    trained : dict
        ``{"float": [W1, W2], "ternary": [W1, W2]}``.
    method : str
        A key of :data:`METHODS`.
    threshold : float
        Ternarisation threshold (the one training used).

    Returns
    -------
    QuantisedNet

    Raises
    ------
    ValueError
        On an unknown ``method``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    pixels = load_digits()[0]
    x = input_integers(pixels, config.x_max)
    weights = trained[METHODS[method]]
    layers = []
    for index, w in enumerate(weights):
        q, scale = _integer_weights(config, method, w, threshold)
        requant = None
        if index < len(weights) - 1:
            # Calibrate on the training images with exact arithmetic (the ADC's clipping is a
            # device effect the scales should not chase).
            y = x @ q
            positive = y[y > 0]
            peak = np.percentile(positive, CALIBRATION_PERCENTILE) if positive.size else 1.0
            requant = requant_params(config.x_max / max(float(peak), 1.0))
            x = golden.requantise(config, y, **requant)
        layers.append(QuantisedLayer(q, float(scale), requant))
    return QuantisedNet(config, method, tuple(layers))
