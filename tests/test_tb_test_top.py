"""tlcim.tb.test_top: the cocotb tests of the generated Verilog against the golden model, on
several configurations (Verilator; Icarus when installed).

Each configuration is built once into ``build/sim/<hash>-<simulator>`` and reused (see
``tlcim.sim.rtl.build``); one simulator process runs every cocotb test of the module.
"""

import pytest

from tlcim.golden import Config
from tlcim.sim import rtl

#: Configurations the RTL is checked on: presets plus odd corners, with the batch of the random
#: tests (small where the configuration is big).
CONFIGS = {
    "small": (Config.preset("small"), 6),
    "ternary": (Config.preset("ternary"), 6),
    "ideal": (Config.preset("ideal"), 6),
    # One subarray, no ADC mux, 1-trit weights, 3-trit inputs, a 3-bit ADC that saturates often.
    "odd": (Config(rows=32, active_rows=16, cbls=6, x_trits=3, w_trits=1, adc_bits=3,
                   adc_share=1, clusters=1, cluster_size=1, subarrays=1), 6),
    "paper": (Config.preset("paper"), 2),
}
SLOW = {"paper"}
#: Configurations whose Icarus runs are behind ``--long`` too (Verilator runs them by default).
SLOW_ON_ICARUS = {"ternary", "ideal"}


def _marks(name, simulator):
    missing = rtl.simulator_missing(simulator)
    if missing:
        return [pytest.mark.skip(reason=missing)]
    long = name in SLOW or (simulator == "icarus" and name in SLOW_ON_ICARUS)
    return [pytest.mark.slow] if long else []


@pytest.mark.parametrize("name, simulator", [
    pytest.param(name, simulator, id=f"{name}-{simulator}",
                 marks=_marks(name, simulator))
    for simulator in rtl.SIMULATORS for name in CONFIGS])
def test_top_against_golden(name, simulator, seed, tmp_path):
    config, batch = CONFIGS[name]
    if simulator == "icarus" and name in SLOW:
        pytest.skip("paper on Icarus takes too long for the test suite (see benchmarks)")
    built = rtl.build(config, simulator)
    print(f"{name} on {simulator}: build {'compiled' if built.rebuilt else 'reused'} "
          f"({built.seconds:.1f} s) in {built.directory}")
    results = rtl.run_cocotb(built, "tlcim.tb.test_top", test_dir=tmp_path,
                             env={"TLCIM_SEED": str(seed), "TLCIM_BATCH": str(batch)})
    assert results.exists()
