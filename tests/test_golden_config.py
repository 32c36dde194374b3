"""tlcim.golden.config: the configuration object (SPEC section 3), its rules and their messages,
presets, TOML and JSON."""

import dataclasses
import json
import tomllib

import pytest
from hypothesis import given

from tlcim.golden import Config, PRESETS
from properties import PROPERTY, configs


# -- every rule, one message each ---------------------------------------------------------------

AT_LEAST_ONE = ["active_rows", "rows", "cbls", "adc_share", "clusters", "cluster_size",
                "subarrays", "adc_lsb"]


@pytest.mark.parametrize("name", AT_LEAST_ONE)
@pytest.mark.parametrize("value", [0, -3])
def test_at_least_one(name, value):
    with pytest.raises(ValueError) as error:
        Config(**{name: value})
    assert str(error.value) == f"{name} must be at least 1, not {value}"


@pytest.mark.parametrize("name", ["x_trits", "w_trits"])
@pytest.mark.parametrize("value", [0, 9])
def test_trits_between_1_and_8(name, value):
    with pytest.raises(ValueError) as error:
        Config(**{name: value})
    assert str(error.value) == f"{name} must be between 1 and 8, not {value}"


@pytest.mark.parametrize("value", [0, 13])
def test_adc_bits_between_1_and_12(value):
    with pytest.raises(ValueError) as error:
        Config(adc_bits=value)
    assert str(error.value) == f"adc_bits must be between 1 and 12, not {value}"


@pytest.mark.parametrize("value", [3, 6, 12])
def test_adc_lsb_power_of_two(value):
    with pytest.raises(ValueError) as error:
        Config(adc_lsb=value)
    assert str(error.value) == f"adc_lsb must be a power of two, not {value}"


def test_adc_lsb_one_with_ideal_adc():
    with pytest.raises(ValueError) as error:
        Config(adc_bits=None, adc_lsb=2)
    assert str(error.value) == "adc_lsb must be 1 with an ideal ADC (adc_bits None), not 2"


@pytest.mark.parametrize("params, message", [
    ({"rows": 100}, "rows must be a multiple of active_rows (16), not 100"),
    ({"rows": 64, "active_rows": 48}, "rows must be a multiple of active_rows (48), not 64"),
    ({"cbls": 162}, "cbls must be a multiple of w_trits (5), not 162"),
    ({"cbls": 20, "w_trits": 3}, "cbls must be a multiple of w_trits (3), not 20"),
    ({"adc_share": 3}, "cbls must be a multiple of adc_share (3), not 160"),
])
def test_multiple_of(params, message):
    with pytest.raises(ValueError) as error:
        Config(**params)
    assert str(error.value) == message


@pytest.mark.parametrize("params, message", [
    ({"boot_set": 240}, "boot_set must be between 0 and weight_sets - 1 (239), not 240"),
    ({"boot_set": -1}, "boot_set must be between 0 and weight_sets - 1 (239), not -1"),
    ({"clusters": 1, "cluster_size": 1, "boot_set": 1},
     "boot_set must be between 0 and weight_sets - 1 (0), not 1"),
])
def test_boot_set_in_range(params, message):
    with pytest.raises(ValueError) as error:
        Config(**params)
    assert str(error.value) == message


@pytest.mark.parametrize("name, value", [
    (field.name, value) for field in dataclasses.fields(Config)
    for value in (True, False, 16.0, "16", None)
    if not (field.name == "adc_bits" and value is None)])  # None: the ideal ADC, valid
def test_integer_type_rule(name, value):
    with pytest.raises(ValueError) as error:
        Config(**{name: value})
    rule = 'an integer or "ideal"' if name == "adc_bits" else "an integer"
    assert str(error.value) == f"{name} must be {rule}, not {value!r}"


def test_adc_bits_misspelt_ideal():
    with pytest.raises(ValueError) as error:
        Config(adc_bits="Ideal")
    assert str(error.value) == "adc_bits must be an integer or \"ideal\", not 'Ideal'"


@pytest.mark.parametrize("value", [None, "ideal"])
def test_ideal_adc(value):
    config = Config(adc_bits=value)
    assert config.adc_bits is None and config.adc.is_ideal
    assert config.adc_max_code == 2 * config.active_rows == 32
    assert config.adc.code_bits == 6


def test_unknown_keys():
    with pytest.raises(ValueError) as error:
        Config.from_dict({"rows": 64, "rowz": 64, "adc": 5})
    known = ", ".join(sorted(field.name for field in dataclasses.fields(Config)))
    assert str(error.value) == (f"configuration: unknown parameter(s) adc, rowz; "
                                f"known parameters are {known}")


def test_unknown_keyword_argument():
    with pytest.raises(TypeError, match="rowz"):
        Config(rowz=64)


# -- derived values and presets -----------------------------------------------------------------

def test_paper_values_and_derived():
    paper = Config.preset("paper")
    assert paper == Config()
    assert paper.to_dict() == {
        "rows": 256, "active_rows": 16, "cbls": 160, "x_trits": 5, "w_trits": 5, "adc_bits": 5,
        "adc_lsb": 1, "adc_share": 5, "clusters": 4, "cluster_size": 60, "subarrays": 6,
        "boot_set": 0}
    assert paper.derived() == {
        "outs": 32, "adcs": 32, "weight_sets": 240, "compute_blocks": 16, "x_max": 121,
        "w_max": 121, "adc_max_code": 31, "conversions_per_mvm": 400,
        "mvm_bound": 256 * 121 * 121, "device_bound": 6 * 256 * 121 * 121, "result_bits": 26}


def test_small_preset_values():
    small = Config.preset("small")
    expected = dict(rows=64, active_rows=16, cbls=20, w_trits=5, x_trits=5, adc_bits=5,
                    adc_share=5, clusters=2, cluster_size=4, subarrays=2)
    assert {key: getattr(small, key) for key in expected} == expected
    assert small.outs == 4 and small.conversions_per_mvm == 4 * 5 * 5


def test_presets():
    assert set(PRESETS) >= {"paper", "small"}
    for name, config in PRESETS.items():
        assert Config.preset(name) is config
        assert Config.load(name) is config
    assert PRESETS["ideal"].adc.is_ideal and PRESETS["ternary"].w_trits == 1


def test_unknown_preset():
    with pytest.raises(ValueError) as error:
        Config.preset("huge")
    assert str(error.value) == (f"unknown preset 'huge'; presets are "
                                f"{', '.join(sorted(PRESETS))}")
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        Config.load("huge")


@PROPERTY
@given(configs())
def test_result_bits_is_the_minimal_signed_width(config):
    half = 2 ** (config.result_bits - 1)
    assert -half <= -config.device_bound and config.device_bound <= half - 1
    assert config.device_bound > half // 2 - 1  # one bit fewer would not hold it


# -- immutability and replace() -----------------------------------------------------------------

def test_immutable():
    config = Config.preset("small")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.rows = 128
    assert config.rows == 64
    assert hash(config) == hash(Config.preset("paper").replace(
        rows=64, cbls=20, clusters=2, cluster_size=4, subarrays=2))


def test_replace_revalidates_and_copies():
    paper = Config.preset("paper")
    with pytest.raises(ValueError) as error:
        paper.replace(rows=100)
    assert str(error.value) == "rows must be a multiple of active_rows (16), not 100"
    with pytest.raises(ValueError, match="adc_lsb must be 1 with an ideal ADC"):
        paper.replace(adc_lsb=2, adc_bits="ideal")
    changed = paper.replace(rows=64)
    assert changed.rows == 64 and paper.rows == 256 and changed.cbls == paper.cbls


# -- TOML and JSON ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PRESETS))
def test_toml_file_round_trip(name, tmp_path):
    config = PRESETS[name]
    path = tmp_path / f"{name}.toml"
    path.write_text(config.to_toml())
    assert Config.from_toml(path) == config
    assert Config.load(str(path)) == config
    assert Config.from_dict(json.loads(config.to_json())) == config


@PROPERTY
@given(configs())
def test_toml_and_json_round_trip(config):
    assert Config.from_dict(tomllib.loads(config.to_toml())) == config
    text = config.to_json()
    assert text.endswith("\n") and Config.from_dict(json.loads(text)) == config
    assert list(json.loads(text)) == [field.name for field in dataclasses.fields(Config)]


def test_toml_ideal_and_defaults(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('rows = 64\nadc_bits = "ideal"\n')
    config = Config.from_toml(path)
    assert config == Config.preset("paper").replace(rows=64, adc_bits=None)
    assert 'adc_bits = "ideal"\n' in config.to_toml()
    assert json.loads(config.to_json())["adc_bits"] is None


@pytest.mark.parametrize("text, message", [
    ("rows = 64\nrowz = 3\n", "bad.toml: unknown parameter(s) rowz; known parameters are "),
    ("[paper]\nrows = 64\n", "bad.toml: unknown parameter(s) paper; "),
    ("rows = 64.0\n", "rows must be an integer, not 64.0"),
    ("rows = true\n", "rows must be an integer, not True"),
    ("rows = 100\n", "rows must be a multiple of active_rows (16), not 100"),
    ("adc_bits = \"none\"\n", "adc_bits must be an integer or \"ideal\", not 'none'"),
    ("rows = \n", "bad.toml: not valid TOML: "),
])
def test_toml_errors(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        Config.from_toml(path)
    assert str(error.value).startswith(message)
    with pytest.raises(ValueError) as error:  # what every --config option goes through
        Config.load(str(path))
    assert str(error.value).startswith(message)


def test_toml_missing_file(tmp_path):
    path = tmp_path / "missing.toml"
    with pytest.raises(ValueError) as error:
        Config.load(str(path))
    assert str(error.value) == f"cannot read configuration {str(path)!r}: No such file or directory"
