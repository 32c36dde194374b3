"""tlcim.golden.adc: one description of the ADC (transfer, widths, reachable codes, cost)."""

import numpy as np
import pytest

from tlcim.golden import Config, PRESETS
from tlcim.golden.adc import IDEAL, Adc


def test_paper_adc():
    adc = Config().adc
    assert adc == Adc(5, 1, 32)
    assert (adc.max_code, adc.code_bits, adc.reachable_code) == (31, 5, 31)
    assert adc.comparators == 31 and adc.cost_scale == 1.0
    np.testing.assert_array_equal(adc.code([0, 1, 31, 32]), [0, 1, 31, 31])  # D = 32 clips


def test_ideal_adc_returns_the_discharge():
    adc = PRESETS["ideal"].adc
    assert adc.is_ideal and adc.max_code == adc.full_scale == 16 and adc.code_bits == 5
    np.testing.assert_array_equal(adc.code(np.arange(17)), np.arange(17))
    # Costed as the flash converter just wide enough for its codes.
    assert adc.comparators == 31


def test_coarse_step_reaches_fewer_codes_than_its_word():
    # 16 rows, 2 units a code: discharges 0..32 give codes 0..16 of a 6-bit word.
    adc = Config(adc_bits=6, adc_lsb=2).adc
    assert adc.max_code == 63 and adc.reachable_code == 16
    assert adc.cost_scale == pytest.approx(63 / 31)


@pytest.mark.parametrize("value, parsed", [(IDEAL, None), (None, None), (5, 5)])
def test_ideal_is_spelt_one_way(value, parsed):
    assert Adc.parse_bits(value) == parsed
    assert Adc.spell_bits(parsed) == (IDEAL if parsed is None else parsed)
    assert Config(adc_bits=value, **({"adc_lsb": 1})).adc_bits == parsed


def test_config_delegates_to_its_adc():
    for config in PRESETS.values():
        assert config.adc_max_code == config.adc.max_code
        assert config.derived()["adc_max_code"] == config.adc.max_code
