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


@pytest.mark.parametrize("simulator", [pytest.param(simulator, marks=[pytest.mark.skip(
    reason=rtl.simulator_missing(simulator))] if rtl.simulator_missing(simulator) else [])
    for simulator in ("verilator", "icarus")])
def test_a_short_activation_file_stops_the_harness(simulator, tmp_path):
    built = rtl.build_harness(Config.preset("small"), simulator)
    with pytest.raises(RuntimeError) as failure:
        rtl.run_cocotb(built, "tlcim.tb.test_bulk", testcase="short_activation_file",
                       env={"TLCIM_BULK_SHORT": "1"}, test_dir=tmp_path)
    log = (tmp_path / "sim.log").read_text()
    record = (rtl.harness_parameters(built.config)["X_WIDTH"] + 8) // 8
    assert f"tlcim_bulk_x.bin gave {3 * record} bytes for 4 beats" in log, str(failure.value)
