"""tlcim.golden.arith: arithmetic of one MVM, device sums, layers and requantisation (SPEC
section 5, normative), and the reference vectors of SPEC sections 4-5.

The reference is :func:`conversion_loop`: SPEC 5 transcribed literally, one ADC conversion at a
time in plain Python integers, sharing no code with the golden model.
"""

import json
import pathlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tlcim import golden
from tlcim.golden import Config
from properties import PROPERTY, balanced_digits, configs

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "vectors"
INDEX = json.loads((VECTORS / "index.json").read_text()) if VECTORS.exists() else []


def conversion_loop(config, weights, x):
    """Return one subarray MVM of the single input vector ``x``, conversion by conversion."""
    A, lsb = config.active_rows, config.adc_lsb
    x = [min(max(int(v), -config.x_max), config.x_max) for v in x]
    xt = [balanced_digits(v, config.x_trits) for v in x]
    wt = [[balanced_digits(int(w), config.w_trits) for w in row] for row in weights]
    y = [0] * config.outs
    for s in range(config.compute_blocks):
        block = range(s * A, (s + 1) * A)
        for t in range(config.x_trits):
            for k in range(config.w_trits):
                for o in range(config.outs):
                    discharge = sum(1 - xt[r][t] * wt[r][o][k] for r in block)
                    if config.adc_bits is None:
                        code = discharge
                    else:
                        code = min(discharge // lsb, 2 ** config.adc_bits - 1)
                    y[o] += 3 ** (t + k) * (A - code * lsb)
    return y


def random_operands(config, rng, batch, overdrive=2):
    """Random in-range weights and inputs reaching ``overdrive`` times the input range."""
    weights = rng.integers(-config.w_max, config.w_max + 1, (config.rows, config.outs))
    x = rng.integers(-overdrive * config.x_max, overdrive * config.x_max + 1,
                     (batch, config.rows))
    return weights, x


def exact(config, weights, x):
    """``W^T x`` of the saturated inputs, in int64."""
    return golden.saturate(x, config.x_trits)[0] @ np.asarray(weights, dtype=np.int64)


# -- one subarray -------------------------------------------------------------------------------

@PROPERTY
@given(configs(ideal=True), st.integers(0, 2 ** 32 - 1), st.integers(1, 6))
def test_ideal_adc_is_exact(config, seed, batch):
    weights, x = random_operands(config, np.random.default_rng(seed), batch)
    y = golden.mvm(config, weights, x)
    assert y.dtype == np.int64 and y.shape == (batch, config.outs)
    assert (y == exact(config, weights, x)).all()
    assert (golden.mvm(config, weights, x[0]) == y[0]).all()


@PROPERTY
@given(configs(), st.integers(0, 2 ** 32 - 1))
def test_every_adc_matches_the_conversion_loop(config, seed):
    weights, x = random_operands(config, np.random.default_rng(seed), 3)
    y = golden.mvm(config, weights, x)
    assert y.tolist() == [conversion_loop(config, weights, v) for v in x]
    assert (np.abs(y) <= config.mvm_bound).all()


@pytest.mark.parametrize("name", ["paper", "small", "ternary", "ideal"])
def test_presets_match_the_conversion_loop(name, rng):
    config = Config.preset(name)
    weights, x = random_operands(config, rng, 2)
    # Bias one vector so that many conversions discharge fully and the ADC clips.
    x[1] = np.where(weights[:, 0] > 0, -config.x_max, config.x_max)
    assert golden.mvm(config, weights, x).tolist() == [conversion_loop(config, weights, v)
                                                       for v in x]


@pytest.mark.parametrize("adc_bits", [None, 5, 3])
def test_eight_trits_at_the_bound(adc_bits, rng):
    # The widest operands: results near mvm_bound must come out exact (no float rounding).
    config = Config(rows=256, cbls=40, x_trits=8, w_trits=8, adc_bits=adc_bits)
    weights = np.full((256, 5), config.w_max)
    weights[:, 1] = -config.w_max
    weights[:, 2:] = rng.integers(-config.w_max, config.w_max + 1, (256, 3))
    x = np.full(256, config.x_max)
    y = golden.mvm(config, weights, x)
    assert y[0] == config.mvm_bound == 256 * 3280 * 3280
    assert y.tolist() == conversion_loop(config, weights, x)
    if adc_bits is None:
        assert (y == exact(config, weights, x)).all()


def test_adc_transfer_paper():
    # Paper values: only D = 32 saturates, p = -15 instead of -16.
    config = Config.preset("paper")
    discharge = np.arange(33)
    codes = golden.adc_code(config, discharge)
    assert codes.tolist() == list(range(32)) + [31]
    assert golden.partial_mac(config, codes).tolist() == [16 - d for d in range(32)] + [-15]


def test_adc_transfer_lsb2():
    # 4-bit ADC, 2 units per code: floor, then clip at code 15 (D >= 30).
    config = Config.preset("ternary")
    discharge = np.arange(33)
    codes = golden.adc_code(config, discharge)
    assert codes.tolist() == [d // 2 for d in range(30)] + [15, 15, 15]
    assert golden.partial_mac(config, codes).tolist() == (
        [16 - 2 * (d // 2) for d in range(30)] + [-14, -14, -14])


def test_adc_transfer_ideal():
    config = Config.preset("ideal")  # active_rows 8
    discharge = np.arange(17)
    assert (golden.adc_code(config, discharge) == discharge).all()
    assert (golden.partial_mac(config, discharge) == 8 - discharge).all()


def test_paper_saturation_corner():
    config = Config.preset("paper")
    weights = np.full((256, 32), -121)
    x = np.stack([np.full(256, 121),   # every product -1: D = 32 in every conversion
                  np.full(256, -128),  # saturates to -121: every product +1, D = 0
                  np.where(np.arange(256) % 16 == 0, 0, 121)])  # D = 30: no saturation
    y = golden.mvm(config, weights, x)
    per_conversion = sum(3 ** (t + k) for t in range(5) for k in range(5))  # 121 * 121
    assert (y[0] == 16 * per_conversion * -15).all()  # -3,513,840
    assert (exact(config, weights, x)[0] == -256 * 121 * 121).all()  # what an ideal ADC gives
    assert (y[1] == config.mvm_bound).all()  # the bound is reached
    assert (y[2] == exact(config, weights, x)[2]).all()
    assert y.tolist() == [conversion_loop(config, weights, v) for v in x]


def test_paper_one_saturating_block():
    # Saturation is per conversion: only the block whose sixteen products are all -1 loses 1.
    config = Config.preset("paper")
    weights = np.zeros((256, 32), dtype=np.int64)
    weights[:, 0] = -1  # output 0: weight trit 0 = -1 on every row, trits 1..4 = 0
    x = np.zeros(256, dtype=np.int64)
    x[32:48] = 1  # block 2: input trit 0 = +1 on every row -> D = 32 on (block 2, t 0, k 0)
    y = golden.mvm(config, weights, x)
    assert y[0] == -15 and (y[1:] == 0).all()
    x[47] = 0  # D = 31 now: exact again
    assert golden.mvm(config, weights, x)[0] == -15


def test_wider_adc_does_not_saturate():
    config = Config.preset("paper").replace(adc_bits=6)
    weights, x = np.full((256, 32), -121), np.full(256, 121)
    assert (golden.mvm(config, weights, x) == -256 * 121 * 121).all()


def test_input_saturation_inside_mvm(rng):
    config = Config.preset("small")
    weights, x = random_operands(config, rng, 4, overdrive=100)
    clipped = golden.saturate(x, config.x_trits)[0]
    assert (golden.mvm(config, weights, x) == golden.mvm(config, weights, clipped)).all()


def test_empty_batch():
    config = Config.preset("small")
    y = golden.mvm(config, np.zeros((64, 4), int), np.zeros((0, 64), int))
    assert y.shape == (0, 4) and y.dtype == np.int64


@pytest.mark.parametrize("x, message", [
    (np.zeros(63, int), "x must have shape (64,) or (batch, 64), not (63,)"),
    (np.zeros((2, 65), int), "x must have shape (64,) or (batch, 64), not (2, 65)"),
    (np.zeros((1, 2, 64), int), "x must have shape (64,) or (batch, 64), not (1, 2, 64)"),
    (np.zeros(64), "x must be an integer array, not float64"),
])
def test_mvm_bad_inputs(x, message):
    with pytest.raises(ValueError) as error:
        golden.mvm(Config.preset("small"), np.zeros((64, 4), int), x)
    assert str(error.value) == message


def test_mvm_rejects_out_of_range_weights():
    weights = np.zeros((64, 4), int)
    weights[10, 3] = -122
    with pytest.raises(ValueError) as error:
        golden.mvm(Config.preset("small"), weights, np.zeros(64, int))
    assert str(error.value) == ("weights must lie in [-121, 121] for w_trits=5; 1 do not, "
                                "the first -122 at row 10, output 3")


# -- device: subarray slices summed -------------------------------------------------------------

@pytest.mark.parametrize("name", ["small", "ideal", "ternary"])
def test_device_mvm_slices(name, rng):
    config = Config.preset(name)
    S, R = config.subarrays, config.rows
    weights = rng.integers(-config.w_max, config.w_max + 1, (S, R, config.outs))
    x = rng.integers(-2 * config.x_max, 2 * config.x_max + 1, (5, S * R))
    y = golden.device_mvm(config, weights, x)
    assert y.dtype == np.int64 and y.shape == (5, config.outs)
    parts = [golden.mvm(config, weights[s], x[:, s * R:(s + 1) * R]) for s in range(S)]
    assert (y == sum(parts)).all()
    assert (golden.device_mvm(config, weights, x[3]) == y[3]).all()
    if config.adc.is_ideal:
        assert (y == exact(config, weights.reshape(S * R, -1), x)).all()


def test_device_mvm_slice_order():
    # Subarray s takes x[s * rows:(s + 1) * rows]: put weights only in subarray 1.
    config = Config.preset("small")
    weights = np.zeros((2, 64, 4), int)
    weights[1, 0, 2] = 7
    x = np.zeros(128, int)
    x[0], x[64] = 100, 3
    assert golden.device_mvm(config, weights, x).tolist() == [0, 0, 21, 0]


@pytest.mark.parametrize("weights, x, message", [
    (np.zeros((64, 4), int), np.zeros(128, int),
     "weights must have shape (subarrays, rows, outs) = (2, 64, 4), not (64, 4)"),
    (np.zeros((2, 64, 4), int), np.zeros(64, int),
     "x must have shape (128,) or (batch, 128), not (64,)"),
])
def test_device_mvm_bad_shapes(weights, x, message):
    with pytest.raises(ValueError) as error:
        golden.device_mvm(Config.preset("small"), weights, x)
    assert str(error.value) == message


def test_device_mvm_range_message_names_subarray():
    weights = np.zeros((2, 64, 4), int)
    weights[1, 5, 2] = 300
    with pytest.raises(ValueError) as error:
        golden.device_mvm(Config.preset("small"), weights, np.zeros(128, int))
    assert str(error.value) == ("weights must lie in [-121, 121] for w_trits=5; 1 do not, "
                                "the first 300 at subarray 1, row 5, output 2")


# -- layers on subarray tiles -------------------------------------------------------------------

def tiled(config, weights, x):
    """Sum of per-tile MVMs of the zero-padded matrix (SPEC 5), built independently here."""
    n, o = weights.shape
    R, O = config.rows, config.outs
    rows, cols = -(-n // R) * R, -(-o // O) * O
    padded_w = np.zeros((rows, cols), dtype=np.int64)
    padded_w[:n, :o] = weights
    padded_x = np.zeros((len(x), rows), dtype=np.int64)
    padded_x[:, :n] = x
    y = np.concatenate([
        sum(golden.mvm(config, padded_w[i:i + R, j:j + O], padded_x[:, i:i + R])
            for i in range(0, rows, R))
        for j in range(0, cols, O)], axis=1)
    return y[:, :o]


LAYER_SHAPES = {  # (N, O) from (rows, outs) of a subarray
    "1x1": lambda rows, outs: (1, 1),
    "5x3": lambda rows, outs: (5, 3),
    "(rows-1)x(outs+1)": lambda rows, outs: (rows - 1, outs + 1),
    "one tile": lambda rows, outs: (rows, outs),
    "(2rows+3)x(3outs-1)": lambda rows, outs: (2 * rows + 3, 3 * outs - 1),
}


@pytest.mark.parametrize("name", ["small", "ternary", "ideal"])
@pytest.mark.parametrize("shape", LAYER_SHAPES)
def test_layer_awkward_shapes(name, shape, rng):
    config = Config.preset(name)
    shape = LAYER_SHAPES[shape](config.rows, config.outs)
    weights = rng.integers(-config.w_max, config.w_max + 1, shape)
    x = rng.integers(-2 * config.x_max, 2 * config.x_max + 1, (4, shape[0]))
    y = golden.layer(config, weights, x)
    assert y.dtype == np.int64 and y.shape == (4, shape[1])
    assert (y == tiled(config, weights, x)).all()
    assert (golden.layer(config, weights, x[2]) == y[2]).all()  # single vector
    if config.adc.is_ideal:
        assert (y == exact(config, weights, x)).all()


@PROPERTY
@given(configs(ideal=True, max_rows=16, max_cbls=12), st.integers(1, 40), st.integers(1, 12),
       st.integers(0, 2 ** 32 - 1))
def test_layer_ideal_is_exact(config, n, o, seed):
    rng = np.random.default_rng(seed)
    weights = rng.integers(-config.w_max, config.w_max + 1, (n, o))
    x = rng.integers(-2 * config.x_max, 2 * config.x_max + 1, (2, n))
    assert (golden.layer(config, weights, x) == exact(config, weights, x)).all()


def test_layer_range_message_names_layer_position():
    weights = np.zeros((100, 10), int)
    weights[70, 5] = 500
    with pytest.raises(ValueError) as error:
        golden.layer(Config.preset("small"), weights, np.zeros(100, int))
    assert str(error.value) == ("weights must lie in [-121, 121] for w_trits=5; 1 do not, "
                                "the first 500 at row 70, output 5")


@pytest.mark.parametrize("weights, x, message", [
    (np.zeros(10, int), np.zeros(10, int), "weights must be a matrix (N, O), not shape (10,)"),
    (np.zeros((10, 3), int), np.zeros(11, int),
     "x must have shape (10,) or (batch, 10), not (11,)"),
])
def test_layer_bad_shapes(weights, x, message):
    with pytest.raises(ValueError) as error:
        golden.layer(Config.preset("small"), weights, x)
    assert str(error.value) == message


# -- requantisation -----------------------------------------------------------------------------

@pytest.mark.parametrize("y, kwargs, expected", [
    ([3, -3, 5, -5, 4, 0], {"shift": 1}, [2, -1, 3, -2, 2, 0]),  # round half up
    ([7, -7, 6, -6, 10], {"multiplier": 3, "shift": 2}, [5, -5, 5, -4, 8]),
    ([10, -10, 0], {"relu": True}, [10, 0, 0]),
    ([-3, -1, 1], {"shift": 1, "relu": True}, [0, 0, 1]),
    ([1000, -1000, 121, -121, 122], {}, [121, -121, 121, -121, 121]),  # saturate to x_max
    ([5, -5], {"multiplier": 0}, [0, 0]),
])
def test_requantise(y, kwargs, expected):
    result = golden.requantise(Config.preset("paper"), np.array(y), **kwargs)
    assert result.dtype == np.int64 and result.tolist() == expected


def test_requantise_matches_rounded_division(rng):
    y = rng.integers(-10 ** 6, 10 ** 6, 1000)
    result = golden.requantise(Config.preset("paper").replace(x_trits=8), y, multiplier=5,
                               shift=7)
    expected = np.clip(np.floor(y * 5 / 128 + 0.5), -3280, 3280).astype(np.int64)
    assert (result == expected).all()


@pytest.mark.parametrize("kwargs, message", [
    ({"multiplier": -1}, "multiplier must be an integer from 0 to 65535, not -1"),
    ({"multiplier": 1.5}, "multiplier must be an integer from 0 to 65535, not 1.5"),
    ({"multiplier": 70000}, "multiplier must be an integer from 0 to 65535, not 70000"),
    ({"shift": -1}, "shift must be an integer from 0 to 63, not -1"),
    ({"shift": 64}, "shift must be an integer from 0 to 63, not 64"),
    ({"shift": 2.0}, "shift must be an integer from 0 to 63, not 2.0"),
])
def test_requantise_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as error:
        golden.requantise(Config.preset("paper"), np.array([1, 2]), **kwargs)
    assert str(error.value) == message


def test_requantise_bad_results():
    with pytest.raises(ValueError) as error:
        golden.requantise(Config.preset("paper"), np.array([1.5]))
    assert str(error.value) == "y must be an integer array, not float64"


# -- reference vectors (../shared/vectors) ------------------------------------------------------

@pytest.mark.skipif(not INDEX, reason=f"reference vectors not found at {VECTORS}")
@pytest.mark.parametrize("entry", INDEX, ids=[entry["file"] for entry in INDEX])
def test_reference_vectors(entry):
    config = golden.Config.from_dict(entry["config"])
    data = np.load(VECTORS / entry["file"])
    np.testing.assert_array_equal(golden.mvm(config, data["W"], data["x"]), data["y"])
    for i, x in enumerate(data["x"]):  # one vector at a time gives the same results
        np.testing.assert_array_equal(golden.mvm(config, data["W"], x), data["y"][i])
