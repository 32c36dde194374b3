# amaranth: UnusedElaboratable=no
"""Gate-level simulation (``tlcim run --target gls``): a session on the signed-off netlist
gives the results of the golden target, entry by entry and byte for byte."""

import pytest

from tlcim.golden import Config

from helpers import require_system_tools
from sessions import LOAD, save_inputs, save_weights, write_script


def _session(folder):
    # Weights into both subarrays, then a batch of two MVMs requantised with ReLU (Icarus
    # on the gate-level netlist: about 15 s to reset and boot, 5 s per operation).
    return write_script(folder, LOAD + [
        {"op": "mvm", "inputs": "X2.npy", "out": "Y.npy",
         "requant": {"multiplier": 3, "shift": 4, "relu": True}}])


# Verilator behind --long (its build of the netlist is most of a minute; paper's, below, is
# the Verilator case that matters); Icarus in the default suite.
@pytest.mark.parametrize("simulator", ["icarus", pytest.param("verilator",
                                                              marks=pytest.mark.slow)])
def test_gls_small_equals_golden(simulator, script_folder, rng, against_golden):
    require_system_tools(icarus=simulator == "icarus")
    save_inputs(script_folder, Config.preset("small"), rng, 2, name="X2")
    entries, outputs = against_golden(_session(script_folder), target=f"gls:{simulator}")
    assert [entry["status"] for entry in entries] == ["ok"] * 3, entries
    assert outputs["Y.npy"].shape == (2, Config.preset("small").outs)
    assert outputs["Y.npy"].any()   # not a netlist that outputs zeros


def test_gls_unknown_simulator_is_refused(script_folder):
    from tlcim.cli import main
    status = main(["run", "--config", "small", "--target", "gls:nosuch", "--script",
                   str(_session(script_folder)), "--out", str(script_folder / "R.json")])
    assert status == 2
    assert not (script_folder / "R.json").exists()


@pytest.mark.slow
def test_gls_paper_equals_golden(tmp_path, rng, against_golden):
    # Verilator: Icarus took 93 minutes for this session on paper's 195,000 cells.
    require_system_tools()
    paper = Config.preset("paper")
    save_weights(tmp_path, paper, rng, *(f"W{index}" for index in range(paper.subarrays)))
    save_inputs(tmp_path, paper, rng, 2)
    script = write_script(tmp_path, [
        {"op": "write", "subarray": index, "weights": f"W{index}.npy"}
        for index in range(paper.subarrays)] + [
        {"op": "mvm", "inputs": "X.npy", "out": "Y.npy"}])
    entries, _ = against_golden(script, target="gls:verilator", config="paper")
    assert all(entry["status"] == "ok" for entry in entries), entries
