"""Hypothesis settings and strategies the golden-model tests share (test_golden_config.py,
test_golden_trits.py, test_golden_arith.py), and an encoding reference independent of the
golden model."""

import math

from hypothesis import settings, strategies as st

from tlcim.golden import Config

#: Hypothesis settings of every property test: reproducible (derandomised, like the seeded
#: tests), no example database written into the source tree, no per-example deadline (the first
#: call of a numpy path may be slow).
PROPERTY = settings(derandomize=True, database=None, deadline=None, max_examples=150)


@st.composite
def configs(draw, ideal=None, max_rows=48, max_cbls=24):
    """Draw a valid, small :class:`Config` (every rule of SPEC 3 satisfied by construction).

    ``ideal`` True/False forces an ideal/real ADC; None draws either.
    """
    active_rows = draw(st.integers(1, 8))
    rows = active_rows * draw(st.integers(1, max(1, max_rows // active_rows)))
    w_trits = draw(st.integers(1, 4))
    adc_share = draw(st.integers(1, 4))
    base = math.lcm(w_trits, adc_share)
    cbls = base * draw(st.integers(1, max(1, max_cbls // base)))
    if ideal is None:
        ideal = draw(st.booleans())
    adc_bits = None if ideal else draw(st.integers(1, 7))
    adc_lsb = 1 if ideal else draw(st.sampled_from([1, 2, 4, 8]))
    clusters, cluster_size = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    return Config(rows=rows, active_rows=active_rows, cbls=cbls, x_trits=draw(st.integers(1, 5)),
                  w_trits=w_trits, adc_bits=adc_bits, adc_lsb=adc_lsb, adc_share=adc_share,
                  clusters=clusters, cluster_size=cluster_size,
                  subarrays=draw(st.integers(1, 3)),
                  boot_set=draw(st.integers(0, clusters * cluster_size - 1)))


def balanced_digits(value, trits):
    """Digits of ``value`` in balanced ternary, least significant first (independent of golden)."""
    digits = []
    for _ in range(trits):
        digit = value % 3
        if digit == 2:
            digit = -1
        digits.append(digit)
        value = (value - digit) // 3
    assert value == 0, "value out of range"
    return digits
