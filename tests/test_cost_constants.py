"""tlcim.cost.constants: the sourced constants of the cost model; their validation, a derived
energy checked by hand, and the docs citing every constant and design."""

import pathlib

import pytest

from tlcim.cost import Constants, DESIGNS, constants_markdown

K = Constants()
DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "cost-model.md"


def test_reram_cim_column_energy_by_hand():
    # 32 rows x half the inputs at 1 x 0.3 V x mean conductance, from 0.9 V for 5 ns, twice.
    current = 32 * 0.5 * 0.3 * (0.5 / 80e3 + 0.5 / 1e6)
    assert K.e_reram_column_pj == pytest.approx(2 * 0.9 * current * 5e-9 * 1e12)
    assert K.e_reram_column_pj == pytest.approx(0.2916)


def test_validation_messages():
    with pytest.raises(ValueError, match="constant e_adc_pj must be a positive number, not -1"):
        Constants(e_adc_pj=-1)
    with pytest.raises(ValueError, match="constant input_one_fraction must be at most 1"):
        Constants(input_one_fraction=1.5)
    with pytest.raises(ValueError, match=r"constant binary_rows must be an integer \(a count\), "
                                         r"not 256.5"):
        Constants(binary_rows=256.5)


def test_docs_cite_every_constant_and_design():
    text = DOCS.read_text()
    # The docs hold the current table of constants, values and sources included.
    assert constants_markdown() in text
    for row in Constants.table():
        assert f"`{row['name']}`" in text, row["name"]
    for label in DESIGNS.values():
        assert label in text
