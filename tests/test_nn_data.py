"""tlcim.nn.data: the digits dataset, split once, and its pixels scaled to device integers."""

import numpy as np
import pytest

from tlcim.nn import input_integers, load_digits


def test_digits_split_is_fixed():
    train_x, train_y, test_x, test_y = load_digits()
    assert train_x.shape == (1437, 64) and test_x.shape == (360, 64)
    assert set(np.unique(test_y)) == set(range(10))
    assert load_digits()[2] is test_x  # one split shared by every caller
    assert not test_x.flags.writeable


def test_input_integers_scale_to_x_max():
    np.testing.assert_array_equal(input_integers([0, 1, 8, 16], 121), [0, 8, 61, 121])
    np.testing.assert_array_equal(input_integers([0, 8, 16], 13), [0, 7, 13])
    with pytest.raises(ValueError, match=r"pixels must lie in 0\.\.16, not 0\.\.17"):
        input_integers([0, 17], 121)
    with pytest.raises(ValueError, match="x_max must be a positive integer, not 0"):
        input_integers([0], 0)
