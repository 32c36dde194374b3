"""tlcim.golden.quant: weight quantisation, the paper's 8-bit-then-5-trit truncation and
ternary thresholds."""

import numpy as np
import pytest

from tlcim import golden
from tlcim.golden import Config


def test_quantise_paper_method():
    weights = np.array([1.0, -1.0, 0.5, -0.25, 0.0, 126.5 / 127, 120.4 / 127])
    q, scale = golden.quantise_weights(weights)
    assert scale == 1.0 / 127
    # 8 bit first: +-1.0 -> +-127; then 5 trits saturate the codes beyond +-121.
    assert q.dtype == np.int64
    assert q.tolist() == [121, -121, 64, -32, 0, 121, 120]


def test_quantise_error_bound(rng):
    weights = rng.normal(size=(64, 8))
    q, scale = golden.quantise_weights(weights, trits=8)  # 8 trits hold every 8-bit code
    assert np.abs(q).max() == 127
    assert np.abs(q * scale - weights).max() <= scale / 2 + 1e-12
    q5, _ = golden.quantise_weights(weights)
    unclipped = np.abs(q) <= 121
    assert (q5[unclipped] == q[unclipped]).all()
    assert (q5[~unclipped] == 121 * np.sign(q[~unclipped])).all()


def test_quantised_weights_load_and_compute(rng):
    config = Config.preset("small")
    q, _ = golden.quantise_weights(rng.normal(size=(config.rows, config.outs)),
                                   trits=config.w_trits)
    assert (golden.check_weights(config, q) == q).all()
    x = rng.integers(-config.x_max, config.x_max + 1, config.rows)
    assert golden.mvm(config, q, x).shape == (config.outs,)


@pytest.mark.parametrize("bits, trits, peak", [(4, 5, 7), (8, 1, 1), (8, 3, 13), (16, 8, 3280)])
def test_quantise_other_widths(bits, trits, peak, rng):
    q, _ = golden.quantise_weights(rng.normal(size=200), bits=bits, trits=trits)
    assert np.abs(q).max() == peak


def test_quantise_zeros_and_empty():
    q, scale = golden.quantise_weights(np.zeros((3, 2)))
    assert (q == 0).all() and q.shape == (3, 2) and scale == 1.0
    q, scale = golden.quantise_weights(np.zeros((0, 2)))
    assert q.shape == (0, 2) and scale == 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"bits": 1}, "bits must be an integer between 2 and 32, not 1"),
    ({"bits": 33}, "bits must be an integer between 2 and 32, not 33"),
    ({"bits": 8.0}, "bits must be an integer between 2 and 32, not 8.0"),
    ({"trits": 0}, "trits must be a positive integer, not 0"),
    ({"trits": 5.0}, "trits must be a positive integer, not 5.0"),
])
def test_quantise_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as error:
        golden.quantise_weights([0.5], **kwargs)
    assert str(error.value) == message


@pytest.mark.parametrize("function", [golden.quantise_weights, golden.ternarise])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights(function, bad):
    with pytest.raises(ValueError) as error:
        function([0.5, bad])
    assert str(error.value) == "weights must be finite"


def test_ternarise_threshold():
    weights = np.array([1.0, -1.0, 0.1, -0.1, 0.4, -0.35])
    # mean |w| = 0.4917, threshold 0.7 -> 0.344: 0.4 and -0.35 are kept, +-0.1 are not.
    q, scale = golden.ternarise(weights)
    assert q.dtype == np.int64 and q.tolist() == [1, -1, 0, 0, 1, -1]
    assert scale == pytest.approx((1.0 + 1.0 + 0.4 + 0.35) / 4)
    q, scale = golden.ternarise(weights, threshold=1.0)
    assert q.tolist() == [1, -1, 0, 0, 0, 0] and scale == 1.0
    q, _ = golden.ternarise(weights, threshold=0)
    assert q.tolist() == [1, -1, 1, -1, 1, -1]


def test_ternarise_loads_as_one_trit_weights(rng):
    config = Config.preset("ternary")
    q, _ = golden.ternarise(rng.normal(size=(config.rows, config.outs)))
    assert set(np.unique(q)) == {-1, 0, 1}
    assert (golden.check_weights(config, q) == q).all()


def test_ternarise_zeros_and_empty():
    q, scale = golden.ternarise(np.zeros(4))
    assert (q == 0).all() and scale == 1.0
    q, scale = golden.ternarise(np.zeros((0, 3)))
    assert q.shape == (0, 3) and scale == 1.0


@pytest.mark.parametrize("threshold", [-0.1, np.nan])
def test_ternarise_bad_threshold(threshold):
    with pytest.raises(ValueError) as error:
        golden.ternarise([0.5], threshold=threshold)
    assert str(error.value) == f"threshold must be non-negative, not {threshold!r}"
