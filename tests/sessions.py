"""Session scripts for the tests of ``tlcim run`` and its targets: random operand files, the
script file, a golden run through the command line, and a target that breaks."""

import json
import pathlib

import numpy as np

from tlcim.cli import main
from tlcim.sim import script

#: The example session of the repository (examples/small_session).
EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "small_session"

#: Operations loading W0.npy into subarray 0 and W1.npy into subarray 1.
LOAD = [{"op": "write", "subarray": 0, "weights": "W0.npy"},
        {"op": "write", "subarray": 1, "weights": "W1.npy"}]


def save_weights(folder, config, rng, *names):
    """Save random in-range weights [rows, outs] of one subarray as ``<name>.npy`` each."""
    for name in names:
        np.save(folder / f"{name}.npy", rng.integers(-config.w_max, config.w_max + 1,
                                                     (config.rows, config.outs)))


def save_inputs(folder, config, rng, batch, *, name="X", spread=1):
    """Save random inputs [batch, rows * subarrays] (one vector [rows * subarrays] when
    ``batch`` is None) reaching ``spread`` times the input range as ``<name>.npy``."""
    bound = spread * config.x_max
    length = config.rows * config.subarrays
    shape = length if batch is None else (batch, length)
    np.save(folder / f"{name}.npy", rng.integers(-bound, bound + 1, shape))


def write_script(folder, ops, name="s.json"):
    """Write the operations ``ops`` as a session script into ``folder``; return its path."""
    path = folder / name
    path.write_text(json.dumps(ops))
    return path


def run_golden(folder, ops):
    """Run ``ops`` on the golden target of the small preset with ``tlcim run``, results in
    ``folder/R.json``; return the exit status."""
    path = write_script(folder, ops)
    status = main(["run", "--config", "small", "--target", "golden", "--script", str(path),
                   "--out", str(folder / "R.json")])
    return status


class Broken(script.GoldenTarget):
    """A target that fails mid-session (a simulator crash) and cannot read."""

    closed = False

    async def read(self, subarray):
        raise NotImplementedError("read is not supported on broken yet")

    async def reset(self):
        raise RuntimeError("simulator crashed")

    async def close(self):
        Broken.closed = True
