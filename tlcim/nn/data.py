"""The dataset: scikit-learn's bundled 8x8 digits, split once and scaled to device integers.

The digits ship inside scikit-learn (no download), so every machine sees the same 1,797
images. Pixels are integers 0..16; the float network sees ``pixel / 16`` and the device sees
``rint(pixel / 16 * x_max)``, the largest integer grid that fits ``x_trits`` trits.
"""

import functools

import numpy as np

__all__ = ["TEST_SIZE", "SPLIT_SEED", "PIXEL_MAX", "load_digits", "input_integers",
           "load_test_set"]

#: Images held out for testing (20 % of 1,797), the same for every run and training seed.
TEST_SIZE = 360
#: Seed of the one permutation that splits train from test (independent of the training seed,
#: so networks trained with different seeds are scored on the same images).
SPLIT_SEED = 0
#: Largest pixel value of the digits images.
PIXEL_MAX = 16


@functools.cache
def _split():
    from sklearn.datasets import load_digits as sklearn_digits
    digits = sklearn_digits()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(digits.target))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]
    pixels = digits.data.astype(np.int64)
    labels = digits.target.astype(np.int64)
    arrays = (pixels[train], labels[train], pixels[test], labels[test])
    for array in arrays:
        array.flags.writeable = False
    return arrays


def load_digits():
    """Return ``(train_pixels, train_labels, test_pixels, test_labels)``.

    Pixels are int64 [n, 64] in 0..16 and labels int64 [n] in 0..9; 1,437 training and
    :data:`TEST_SIZE` test images. The arrays are read-only and shared between calls.
    """
    return _split()


def input_integers(pixels, x_max):
    """Scale pixels 0..16 to device inputs ``rint(pixel * x_max / 16)`` in ``0..x_max``.

    Parameters
    ----------
    pixels : array_like of int
    x_max : int
        Largest input magnitude (``config.x_max``); at least 1.

    Raises
    ------
    ValueError
        If ``x_max`` is not a positive integer or a pixel is outside 0..16.
    """
    if not isinstance(x_max, int) or x_max < 1:
        raise ValueError(f"x_max must be a positive integer, not {x_max!r}")
    pixels = np.asarray(pixels)
    if pixels.size and (pixels.min() < 0 or pixels.max() > PIXEL_MAX):
        raise ValueError(f"pixels must lie in 0..{PIXEL_MAX}, not "
                         f"{pixels.min()}..{pixels.max()}")
    # Exact integer rounding (half up) of pixel * x_max / 16, no float involved.
    return (pixels.astype(np.int64) * x_max * 2 + PIXEL_MAX) // (2 * PIXEL_MAX)


def load_test_set(config, limit=None):
    """Return ``(pixels, labels, x)`` of the first ``limit`` test images; x the device inputs.

    Raises
    ------
    ValueError
        If ``limit`` is not None or a positive integer.
    """
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)
                              or limit < 1):
        raise ValueError(f"limit must be a positive integer, not {limit!r}")
    _, _, pixels, labels = load_digits()
    pixels, labels = pixels[:limit], labels[:limit]
    return pixels, labels, input_integers(pixels, config.x_max)
