"""tlcim.tb.test_bulk: the cocotb tests of the bulk stream transport on ``sim/tlcim_harness.v``
(results with random stalls, batches of several chunks, refusals) on Verilator and Icarus."""

import pytest

from tlcim.golden import Config
from tlcim.sim import model, rtl


def _case(preset, simulator, macro="stub"):
    missing = rtl.simulator_missing(simulator)
    marks = [pytest.mark.skip(reason=missing)] if missing else []
    return pytest.param(preset, simulator, macro, marks=marks,
                        id=f"{preset}-{simulator}" + ("" if macro == "stub" else f"-{macro}"))


@pytest.mark.parametrize("preset, simulator, macro", [_case("small", "verilator"),
                                                      _case("ternary", "verilator"),
                                                      _case("small", "icarus"),
                                                      _case("small", "verilator", "cpp")])
def test_bulk_matches_golden_with_stalls(preset, simulator, macro, seed):
    config = Config.preset(preset)
    # The C++ model of the subarrays (tlcim.sim.model) in place of the Amaranth stub.
    built = (rtl.build_harness(config, simulator) if macro == "stub" else
             rtl.build_harness(config, simulator, sources=model.sources(config), variant="cpp"))
    assert built.toplevel == rtl.HARNESS_TOPLEVEL
    # Raises, naming the failed cocotb test, on any mismatch against golden.device_mvm.
    rtl.run_cocotb(built, "tlcim.tb.test_bulk", env={"TLCIM_SEED": str(seed),
                                                     "TLCIM_BULK_CHUNK": "3"})
