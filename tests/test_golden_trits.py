"""tlcim.golden.trits: balanced-ternary encodings and SRAM bit patterns (SPEC section 4,
normative)."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tlcim import golden
from tlcim.golden import Config
from tlcim.golden.trits import INPUT_WL, WEIGHT_Q
from properties import PROPERTY, balanced_digits, configs


# -- encode / decode ----------------------------------------------------------------------------

@pytest.mark.parametrize("trits, bound", [(1, 1), (2, 4), (5, 121), (8, 3280), (10, 29524)])
def test_trit_max(trits, bound):
    assert golden.trit_max(trits) == bound


@pytest.mark.parametrize("value, trits, digits", [
    (0, 3, [0, 0, 0]), (1, 3, [1, 0, 0]), (3, 3, [0, 1, 0]), (9, 3, [0, 0, 1]),
    (5, 3, [-1, -1, 1]), (-5, 3, [1, 1, -1]), (13, 3, [1, 1, 1]), (-4, 2, [-1, -1]),
    (121, 5, [1, 1, 1, 1, 1]), (-121, 5, [-1, -1, -1, -1, -1]), (100, 5, [1, 0, -1, 1, 1]),
])
def test_known_encodings(value, trits, digits):
    assert golden.encode_trits(value, trits).tolist() == digits
    assert golden.decode_trits(digits) == value


@PROPERTY
@given(st.integers(1, 12).flatmap(
    lambda trits: st.tuples(st.just(trits), st.lists(
        st.integers(-golden.trit_max(trits), golden.trit_max(trits)), min_size=1, max_size=20))))
def test_round_trip_in_range(case):
    # 1..8 trits use the lookup table, more trits the digit loop: both are covered.
    trits, values = case
    digits = golden.encode_trits(values, trits)
    assert digits.shape == (len(values), trits) and digits.dtype == np.int8
    assert digits.tolist() == [balanced_digits(v, trits) for v in values]
    decoded = golden.decode_trits(digits)
    assert decoded.dtype == np.int64 and decoded.tolist() == values


@PROPERTY
@given(st.integers(1, 10), st.lists(st.integers(-10 ** 6, 10 ** 6), min_size=1, max_size=20))
def test_saturation(trits, values):
    bound = golden.trit_max(trits)
    expected = [min(max(v, -bound), bound) for v in values]
    assert golden.decode_trits(golden.encode_trits(values, trits)).tolist() == expected
    clipped, saturated = golden.saturate(values, trits)
    assert clipped.tolist() == expected
    assert saturated.tolist() == [abs(v) > bound for v in values]


def test_saturation_of_int8_to_five_trits():
    # The paper's case: 8-bit inputs on 5 trits; exactly the values beyond +-121 saturate.
    values = np.arange(-128, 128)
    clipped, saturated = golden.saturate(values, 5)
    assert clipped.min() == -121 and clipped.max() == 121
    assert saturated.sum() == 13 and not saturated[7:250].any()
    assert (golden.decode_trits(golden.encode_trits(values, 5)) == clipped).all()


def test_encode_keeps_batch_shape(rng):
    values = rng.integers(-40, 41, (3, 4, 5))
    digits = golden.encode_trits(values, 4)
    assert digits.shape == (3, 4, 5, 4)
    assert (golden.decode_trits(digits) == values).all()


def test_encoding_is_a_bijection():
    table = golden.encode_trits(np.arange(-121, 122), 5)
    assert len({tuple(row) for row in table.tolist()}) == 243
    assert set(np.unique(table)) == {-1, 0, 1}


@pytest.mark.parametrize("trits", [0, -1, 2.0, None])
def test_encode_bad_trits(trits):
    with pytest.raises(ValueError) as error:
        golden.encode_trits([1, 2], trits)
    assert str(error.value) == f"trits must be a positive integer, not {trits!r}"


@pytest.mark.parametrize("values, dtype", [([1.0, 2.0], "float64"), ([True, False], "bool"),
                                           (["1"], "<U1")])
def test_non_integer_values(values, dtype):
    with pytest.raises(ValueError) as error:
        golden.encode_trits(values, 3)
    assert str(error.value) == f"values must be an integer array, not {dtype}"
    with pytest.raises(ValueError) as error:
        golden.decode_trits(values)
    assert str(error.value) == f"digits must be an integer array, not {dtype}"


# -- word-line and SRAM encodings ---------------------------------------------------------------

def test_input_word_lines():
    # (IN1, IN2): +1 = (1, 1), 0 = (1, 0), -1 = (0, 0); indexed by trit + 1.
    assert {trit: tuple(INPUT_WL[trit + 1].tolist()) for trit in (-1, 0, 1)} == {
        1: (1, 1), 0: (1, 0), -1: (0, 0)}


def test_weight_sram_pairs():
    # (Q1, Q2): +1 = (0, 0) LRS, 0 = (1, 0) MRS, -1 = (1, 1) HRS; (0, 1) never produced.
    assert {trit: tuple(WEIGHT_Q[trit + 1].tolist()) for trit in (-1, 0, 1)} == {
        1: (0, 0), 0: (1, 0), -1: (1, 1)}


def test_cbl_layout():
    # Weight digit k of output o lives on CBL o * w_trits + k.
    config = Config.preset("small")  # 4 outputs of 5 trits on 20 CBLs
    weights = np.zeros((config.rows, config.outs), dtype=np.int64)
    weights[2, 1] = 5  # digits [-1, -1, 1, 0, 0] on CBLs 5..9
    weights[3, 3] = -1  # digit 0 = -1 on CBL 15
    cells = golden.weights_to_cbl_trits(config, weights)
    assert cells.shape == (64, 20)
    assert cells[2].tolist() == [0] * 5 + [-1, -1, 1, 0, 0] + [0] * 10
    assert cells[3].tolist() == [0] * 15 + [-1] + [0] * 4
    assert np.count_nonzero(cells) == 4
    assert (golden.cbl_trits_to_weights(config, cells) == weights).all()


def test_sram_bit_positions():
    # CBL c at bits [2c] = Q1 and [2c + 1] = Q2.
    config = Config.preset("small")
    weights = np.zeros((config.rows, config.outs), dtype=np.int64)
    weights[0, 1] = 1   # +1 on CBL 5 -> bits 10, 11 = (0, 0)
    weights[1, 0] = -3  # -1 on CBL 1 -> bits 2, 3 = (1, 1)
    bits = golden.weights_to_sram_bits(config, weights)
    assert bits.shape == (64, 40) and bits.dtype == np.uint8
    zero_row = [1, 0] * 20  # every other cell holds 0 = (1, 0)
    expected0, expected1 = list(zero_row), list(zero_row)
    expected0[10:12] = [0, 0]
    expected1[2:4] = [1, 1]
    assert bits[0].tolist() == expected0 and bits[1].tolist() == expected1
    assert (bits[2:] == np.array(zero_row)).all()


@PROPERTY
@given(configs(), st.integers(0, 2 ** 32 - 1))
def test_sram_round_trip(config, seed):
    rng = np.random.default_rng(seed)
    weights = rng.integers(-config.w_max, config.w_max + 1, (config.rows, config.outs))
    bits = golden.weights_to_sram_bits(config, weights)
    cells = golden.weights_to_cbl_trits(config, weights)
    q1, q2 = bits[:, 0::2], bits[:, 1::2]
    assert ((q1 == 0) & (q2 == 1)).sum() == 0
    assert (1 - q1.astype(int) - q2 == cells).all()
    assert (golden.sram_bits_to_weights(config, bits) == weights).all()
    assert (golden.sram_bits_to_weights(config, bits.astype(bool)) == weights).all()


def test_sram_corrupt_pair():
    config = Config.preset("small")
    bits = golden.weights_to_sram_bits(config, np.zeros((config.rows, config.outs), int))
    bits[3, 14:16] = (0, 1)  # CBL 7
    bits[9, 0:2] = (0, 1)    # CBL 0
    with pytest.raises(ValueError) as error:
        golden.sram_bits_to_weights(config, bits)
    assert str(error.value) == ("SRAM holds the corrupt pair (Q1, Q2) = (0, 1) in 2 cell(s), "
                                "the first at row 3, CBL 7")


@pytest.mark.parametrize("bits, message", [
    (np.zeros((64, 41), np.uint8), "bits must have shape (..., 2 * cbls) = (..., 40), "
                                   "not (64, 41)"),
    (np.zeros((128, 20), np.uint8), "bits must have shape (..., 2 * cbls) = (..., 40), "
                                    "not (128, 20)"),
    (np.full((64, 40), 2, np.uint8), "bits must be 0 or 1, not 2"),
    (np.zeros((64, 40)), "bits must be an integer array, not float64"),
])
def test_sram_bad_bits(bits, message):
    with pytest.raises(ValueError) as error:
        golden.sram_bits_to_weights(Config.preset("small"), bits)
    assert str(error.value) == message


# -- check_weights ------------------------------------------------------------------------------

def test_check_weights_accepts_and_converts():
    config = Config.preset("small")
    weights = np.full((64, 4), 121, dtype=np.int16)
    checked = golden.check_weights(config, weights)
    assert checked.dtype == np.int64 and (checked == 121).all()


def test_check_weights_range_message():
    config = Config.preset("small")
    weights = np.zeros((64, 4), dtype=np.int64)
    weights[5, 2], weights[7, 0], weights[9, 3] = 122, -200, 121
    original = weights.copy()
    with pytest.raises(ValueError) as error:
        golden.check_weights(config, weights)
    assert str(error.value) == ("weights must lie in [-121, 121] for w_trits=5; 2 do not, "
                                "the first 122 at row 5, output 2")
    assert (weights == original).all()  # rejected, not saturated in place


@pytest.mark.parametrize("weights, message", [
    (np.zeros((64, 5), int), "W must have shape (rows, outs) = (64, 4), not (64, 5)"),
    (np.zeros(256, int), "W must have shape (rows, outs) = (64, 4), not (256,)"),
    (np.zeros((64, 4)), "W must be an integer array, not float64"),
    (np.zeros((64, 4), bool), "W must be an integer array, not bool"),
])
def test_check_weights_messages(weights, message):
    with pytest.raises(ValueError) as error:
        golden.check_weights(Config.preset("small"), weights, what="W")
    assert str(error.value) == message


def test_check_weights_one_trit():
    config = Config.preset("ternary")
    with pytest.raises(ValueError) as error:
        golden.check_weights(config, np.full((64, 20), 2))
    assert str(error.value) == ("weights must lie in [-1, 1] for w_trits=1; 1280 do not, "
                                "the first 2 at row 0, output 0")
