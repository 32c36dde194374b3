"""tlcim.tb.test_fpga_top: the whole FPGA top (UART bridge included) in cocotb, driven by the host
driver over a simulated serial line, against the golden target on the same session script."""

import json
import shutil

import numpy as np

from tlcim.golden import Config
from tlcim.sim import rtl
from tlcim.sim.fpga import build_emulator
from tlcim.sim.script import load_script, run_ops
from sessions import save_inputs, save_weights, write_script

#: The emulated configuration: two subarrays (results summed), ADC mux, 5-bit ADC.
EMULATED = Config(rows=32, cbls=10, clusters=1, cluster_size=1, subarrays=2)


def _session(folder, config, rng):
    """Write a session script with its inputs into ``folder``; return its path."""
    folder.mkdir()
    save_weights(folder, config, rng, *(f"W{s}" for s in range(config.subarrays)))
    # Inputs beyond x_max too, so the encoder saturates.
    save_inputs(folder, config, rng, 3, spread=2)
    script = [
        {"op": "mvm", "inputs": "X.npy", "out": "Y_refused.npy",
         "comment": "no weights yet: weights_invalid"},
        *({"op": "write", "subarray": s, "weights": f"W{s}.npy"}
          for s in range(config.subarrays)),
        {"op": "write", "subarray": config.subarrays, "weights": "W0.npy",
         "comment": "no such subarray: bad_set"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y.npy"},
        {"op": "mvm", "inputs": "X.npy", "out": "Yq.npy",
         "requant": {"multiplier": 3, "shift": 6, "relu": True}},
        {"op": "status"},
    ]
    return write_script(folder, script)


def test_emulation_matches_golden(tmp_path, rng, seed):
    # The whole FPGA top (UART bridge included) in cocotb, driven by the host driver over a
    # simulated serial line, against the golden target on the same session script.
    script = _session(tmp_path / "golden", EMULATED, rng)
    shutil.copytree(tmp_path / "golden", tmp_path / "fpga")
    expected = run_ops(EMULATED, "golden", load_script(EMULATED, script))
    for path, array in expected.outputs.items():   # what `tlcim run` writes
        np.save(path, array)
    (tmp_path / "golden" / "R.json").write_text(json.dumps(expected.entries))
    built = build_emulator(EMULATED)
    print(f"emulator build {'compiled' if built.rebuilt else 'reused'} ({built.seconds:.1f} s)")
    rtl.run_cocotb(built, "tlcim.tb.test_fpga_top", test_dir=tmp_path / "run",
                   env={"TLCIM_SCRIPT": str(tmp_path / "fpga" / script.name),
                        "TLCIM_RESULT": str(tmp_path / "fpga" / "R.json"),
                        "TLCIM_SEED": str(seed)})
    golden = json.loads((tmp_path / "golden" / "R.json").read_text())
    emulated = json.loads((tmp_path / "fpga" / "R.json").read_text())
    assert [(e["op"], e["status"], e["error"]) for e in emulated] == \
        [(e["op"], e["status"], e["error"]) for e in golden]
    assert golden[0]["error"] == "weights_invalid" and emulated[-1]["valid"] == [True, True]
    for name in ("Y.npy", "Yq.npy"):
        np.testing.assert_array_equal(np.load(tmp_path / "fpga" / name),
                                      np.load(tmp_path / "golden" / name))
