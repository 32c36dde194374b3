# amaranth: UnusedElaboratable=no
"""tlcim.golden.limits: what the generator can build and hold is checked in one place, when a
configuration is made, each bound with its own message; the numbers match the hardware's own
fields (tlcim.hw.limits), so golden and hardware accept the same configurations."""

import pytest

from tlcim.cli import main
from tlcim.golden import Config, PRESETS
from tlcim.golden.limits import LIMITS, compute_cells, storage_bits
from tlcim.hw.limits import hardware_limits

BASE = Config(rows=16, active_rows=16, cbls=5, adc_share=5, w_trits=5, clusters=1,
              cluster_size=2, subarrays=1)

#: One configuration beyond each limit, with the message that refuses it.
BEYOND = {
    "subarrays": (dict(subarrays=33),
                  "subarrays must be at most 32 for the register map (one VALID bit each), "
                  "not 33"),
    "rows": (dict(rows=65552),
             "rows must be at most 65,536 for the 16-bit row fields of the readback and verify "
             "registers, not 65,552"),
    "weight_sets (clusters * cluster_size)": (
        dict(clusters=2, cluster_size=32769),
        "weight_sets (clusters * cluster_size) must be at most 65,536 for the 16-bit "
        "weight-set fields of the store/restore commands, not 65,538"),
    "cbls": (dict(cbls=900, w_trits=1),
             "cbls must be at most 896 for the SRAM readback and fault-map register windows, "
             "not 900"),
    "subarrays * rows * cbls": (
        dict(subarrays=32, rows=65536, cbls=10, w_trits=1, adc_share=1),
        "subarrays * rows * cbls must be at most 16,777,216 compute cells (the SRAM the "
        "golden model and the simulations hold in memory), not 20,971,520"),
    "subarrays * weight_sets * rows * 2 * (cbls + spare cells)": (
        dict(subarrays=8, rows=8192, cluster_size=4096),
        "subarrays * weight_sets * rows * 2 * (cbls + spare cells) must be at most "
        "2,147,483,648 bits of weight-set storage (what the behavioural subarray holds in "
        "memory), not 7,516,192,768"),
}


def test_every_limit_has_a_tested_refusal():
    assert [limit.name for limit in LIMITS] == list(BEYOND)


@pytest.mark.parametrize("name", list(BEYOND))
def test_each_limit_refuses_with_its_message(name):
    changes, message = BEYOND[name]
    with pytest.raises(ValueError) as error:
        BASE.replace(**changes)
    assert str(error.value) == message


def test_largest_values_are_accepted():
    for changes in (dict(subarrays=32), dict(rows=65536), dict(clusters=2, cluster_size=32768),
                    dict(cbls=896, w_trits=1, adc_share=1)):
        BASE.replace(**changes)
    config = BASE.replace(subarrays=32, rows=4096, cbls=128, w_trits=1, adc_share=1)
    assert compute_cells(config) == 1 << 24
    assert storage_bits(BASE) == 1 * 2 * 16 * 2 * (5 + 9)


def test_limits_are_the_hardware_fields():
    # Widen a register field and this says which bound of tlcim.golden.limits to raise.
    declared = {limit.name.split(" ")[0]: limit.largest for limit in LIMITS[:4]}
    assert declared == hardware_limits()


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_are_within_the_limits(preset):
    config = PRESETS[preset]
    for limit in LIMITS:
        assert limit.value(config) <= limit.largest


def test_commands_refuse_before_writing(tmp_path, capsys):
    config = tmp_path / "wide.toml"
    config.write_text("subarrays = 33\nrows = 16\ncbls = 5\n")
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"tlcim: error: {BEYOND['subarrays'][1]}\n"
    assert not (tmp_path / "out").exists()
