"""tlcim.tb.test_bulk: the cocotb tests of the bulk stream transport on ``sim/tlcim_harness.v``
(results with random stalls, batches of several chunks, refusals) on Verilator and Icarus."""

import pytest

from tlcim.golden import Config
from tlcim.sim import rtl


def _case(preset, simulator):
    missing = rtl.simulator_missing(simulator)
    marks = [pytest.mark.skip(reason=missing)] if missing else []
    return pytest.param(preset, simulator, marks=marks, id=f"{preset}-{simulator}")


@pytest.mark.parametrize("preset, simulator", [_case("small", "verilator"),
                                               _case("ternary", "verilator"),
                                               _case("small", "icarus")])
def test_bulk_matches_golden_with_stalls(preset, simulator, seed):
    built = rtl.build_harness(Config.preset(preset), simulator)
    assert built.toplevel == rtl.HARNESS_TOPLEVEL
    # Raises, naming the failed cocotb test, on any mismatch against golden.device_mvm.
    rtl.run_cocotb(built, "tlcim.tb.test_bulk", env={"TLCIM_SEED": str(seed),
                                                     "TLCIM_BULK_CHUNK": "3"})
