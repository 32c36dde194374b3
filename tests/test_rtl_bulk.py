"""The bulk stream transport (``tlcim.sim.transports.BulkTransport``, ``sim/tlcim_harness.v``): bit-exact results
with random stalls, batches of several chunks, refusals, and ``tlcim run --target rtl``
(which uses it by default) agreeing with ``--target golden``."""

import json
import pathlib
import shutil

import pytest

from tlcim.golden import Config
from tlcim.sim import rtl, transports

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "small_session"
#: Operations the rtl target supports so far (store/restore/read come with issue 4).
RTL_OPS = {"status", "mvm", "write"}


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


def test_run_rtl_matches_golden_on_example(tmp_path, against_golden):
    ops = [op for op in json.loads((EXAMPLE / "session.json").read_text())
           if op["op"] in RTL_OPS]
    shutil.copytree(EXAMPLE, tmp_path / "session")
    script = tmp_path / "session" / "session.json"
    script.write_text(json.dumps(ops))
    entries, outputs = against_golden(script, target="rtl")
    assert [e["error"] for e in entries].count("weights_invalid") == 1
    assert outputs != {}


def test_bulk_switch(monkeypatch):
    monkeypatch.delenv("TLCIM_BULK", raising=False)
    assert rtl.bulk_enabled()
    monkeypatch.setenv("TLCIM_BULK", "0")
    assert not rtl.bulk_enabled()


def test_bulk_transport_refuses_bad_arguments():
    config = Config.preset("small")
    with pytest.raises(ValueError, match=r"chunk must be an int in 1\.\.64 .* not 0"):
        transports.BulkTransport(None, config, chunk=0)
    with pytest.raises(ValueError, match=r"stall must be a probability in \[0, 1\), not 1\.5"):
        transports.BulkTransport(None, config, stall=1.5)


def test_harness_parameters():
    params = rtl.harness_parameters(Config.preset("paper"))
    assert params == {"X_WIDTH": 32, "Y_WIDTH": 32, "DEST_WIDTH": 3, "ADDR_WIDTH": 12,
                      "X_DEPTH": 64 * 384, "Y_DEPTH": 64 * 32}
