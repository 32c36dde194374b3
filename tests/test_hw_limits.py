# amaranth: UnusedElaboratable=no
"""tlcim.hw.limits: every limit of the generated hardware is checked in one place, each with
its own message, before anything is built."""

import pytest

from tlcim.cli import main
from tlcim.golden import Config, PRESETS
from tlcim.hw.limits import LIMITS, check_buildable
from tlcim.hw.nvm import NvmController
from tlcim.hw.top import Top

BASE = Config(rows=16, active_rows=16, cbls=5, adc_share=5, w_trits=5, clusters=1,
              cluster_size=2, subarrays=1)

#: One configuration beyond each limit, with the message that refuses it.
BEYOND = {
    "subarrays": (dict(subarrays=33),
                  "subarrays must be at most 32 for the register map (one VALID bit each), "
                  "not 33"),
    "rows": (dict(rows=65552),
             "rows must be at most 65536 for the 16-bit row fields of the readback and verify "
             "registers, not 65552"),
    "weight_sets": (dict(clusters=2, cluster_size=32769),
                    "weight_sets (clusters * cluster_size) must be at most 65536 for the 16-bit "
                    "weight-set fields of the store/restore commands, not 65538"),
    "cbls": (dict(cbls=900, w_trits=1),
             "cbls must be at most 896 for the SRAM readback and fault-map register windows, "
             "not 900"),
}


def test_every_limit_has_a_tested_refusal():
    assert sorted(limit.parameter for limit in LIMITS) == sorted(BEYOND)


@pytest.mark.parametrize("name", sorted(BEYOND))
def test_each_limit_refuses_with_its_message(name):
    changes, message = BEYOND[name]
    config = BASE.replace(**changes)
    with pytest.raises(ValueError) as error:
        check_buildable(config)
    assert str(error.value) == message
    # Every builder of the hardware refuses it the same way, before building anything.
    for build in (Top, NvmController):
        with pytest.raises(ValueError) as error:
            build(config)
        assert str(error.value) == message


@pytest.mark.parametrize("name", sorted(BEYOND))
def test_largest_values_are_buildable(name):
    limit = {limit.parameter: limit for limit in LIMITS}[name]
    changes = {"subarrays": dict(subarrays=32), "rows": dict(rows=65536),
               "weight_sets": dict(clusters=2, cluster_size=32768),
               "cbls": dict(cbls=896, w_trits=1, adc_share=1)}[name]
    config = BASE.replace(**changes)
    assert getattr(config, name) == limit.largest
    check_buildable(config)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_are_buildable(preset):
    check_buildable(PRESETS[preset])


def test_commands_refuse_before_writing(tmp_path, capsys):
    config = tmp_path / "wide.toml"
    config.write_text("subarrays = 33\nrows = 16\ncbls = 5\n")
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"tlcim: error: {BEYOND['subarrays'][1]}\n"
    assert not (tmp_path / "out").exists()


def test_check_buildable_wants_a_config():
    with pytest.raises(TypeError, match="config must be a tlcim.golden.Config, not 5"):
        check_buildable(5)
