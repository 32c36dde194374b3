"""tlcim.nn.quantisation: integer weights the device holds and the requantisation between
layers, for both of the paper's methods."""

import numpy as np
import pytest

from tlcim import golden
from tlcim.nn import input_integers, load_digits, quantise, requant_params, software_logits

SMALL = golden.Config.preset("small")


def test_requant_params_approximate_the_ratio():
    assert requant_params(0.5) == {"multiplier": 128, "shift": 8, "relu": True}
    params = requant_params(3.7e-4, relu=False)
    assert params["multiplier"] <= 255 and params["multiplier"] >= 128
    assert params["multiplier"] / 2 ** params["shift"] == pytest.approx(3.7e-4, rel=1 / 128)
    assert requant_params(1000.0)["multiplier"] == 255  # saturates, shift 0
    with pytest.raises(ValueError, match="ratio must be a positive finite number, not 0"):
        requant_params(0)


def test_quantisation_scales(trained):
    x = input_integers(load_digits()[0], SMALL.x_max)
    net = quantise(SMALL, trained, "trunc8")
    w1, w2 = (layer.weights for layer in net.layers)
    # 8-bit codes reach 127 at the largest weight; truncation to 5 trits clips to 121.
    assert np.abs(w1).max() == SMALL.w_max and np.abs(w2).max() == SMALL.w_max
    assert net.layers[0].scale == pytest.approx(np.abs(trained["float"][0]).max() / 127)
    assert net.layers[1].requant is None
    hidden = golden.requantise(SMALL, x @ w1, **net.layers[0].requant)
    assert hidden.min() == 0 and hidden.max() == SMALL.x_max  # ReLU, full x_trits range
    assert np.mean(hidden == SMALL.x_max) < 0.005  # only the top 0.1 % of activations clip
    ternary = quantise(SMALL, trained, "ternary")
    assert set(np.unique(np.concatenate([l.weights.ravel() for l in ternary.layers]))) \
        == {-1, 0, 1}
    # The exact-product path is what golden.layer gives with an ideal ADC.
    from tlcim.nn import forward
    ideal = SMALL.replace(adc_bits=None)
    x_test = input_integers(load_digits()[2][:30], SMALL.x_max)
    np.testing.assert_array_equal(
        software_logits(net, x_test, adc=False),
        forward(net, x_test, lambda config, w, x: golden.layer(ideal, w, x)))
    with pytest.raises(ValueError, match="method must be one of trunc8, ternary, not 'int4'"):
        quantise(SMALL, trained, "int4")
