"""The ``tlcim run`` and ``tlcim golden`` commands: read the inputs, compute, write the outputs.

The work is done below (:mod:`tlcim.sim.script` parses and runs session scripts on a target,
:func:`tlcim.golden.layer` computes layer products); these functions own the files: every
output is written only after everything was computed, each atomically.
"""

from tlcim.golden import layer
from tlcim.sim.script import check_target, load_script, read_array, run_ops
from .files import save_npy, write_json

__all__ = ["run_script", "write_results", "golden_layer"]


def write_results(result, out):
    """Write the ``.npy`` outputs of a :class:`tlcim.sim.script.SessionResult`, then its
    result entries as JSON to ``out``, each atomically."""
    for path, array in result.outputs.items():
        save_npy(path, array)
    write_json(out, result.entries)


def run_script(config, target, script, out):
    """Run the session script ``script`` on ``target`` and write its results to ``out``.

    The whole script is validated before anything runs; outputs and ``out`` are written only
    after every operation ran. This is ``tlcim run``.

    Returns
    -------
    int
        0 (device errors are results, reported in ``out``, not failures).
    """
    check_target(target)  # an unknown target is reported before the script is read
    ops = load_script(config, script)
    result = run_ops(config, target, ops)
    write_results(result, out)
    print(f"{len(result.entries)} operation(s) on {target}, {result.errors} error(s): {out}")
    return 0


def golden_layer(config, weights, inputs, out):
    """Compute ``tlcim.golden.layer(config, W, X)`` from ``.npy`` files; this is ``tlcim golden``.

    ``weights`` int [N, O] with values within ``+-w_max``; ``inputs`` int [N] or [batch, N]
    (saturated to ``+-x_max`` like the hardware encoder). Writes int64 [O] or [batch, O].
    """
    w = read_array(weights, "weights")
    x = read_array(inputs, "inputs")
    if w.ndim != 2:
        raise ValueError(f"weights must be a matrix (N, O), not shape {w.shape}")
    if x.ndim not in (1, 2) or x.shape[-1] != w.shape[0]:
        raise ValueError(f"inputs must have shape ({w.shape[0]},) or (batch, {w.shape[0]}) to "
                         f"match weights {w.shape}, not {x.shape}")
    y = layer(config, w, x)
    save_npy(out, y)
    print(f"layer {w.shape[0]} x {w.shape[1]}, batch {1 if x.ndim == 1 else len(x)}: {out}")
    return 0
