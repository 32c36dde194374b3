"""The ``tlcim run`` and ``tlcim golden`` commands: read the inputs, compute, write the outputs.

The work is done below (:mod:`tlcim.sim.script` parses and runs session scripts on a target,
:func:`tlcim.golden.layer` computes layer products); these functions own the files: every input
is read and checked first (:mod:`tlcim.sim.inputs`), every output declared and checked before
anything runs, and all of them written together at the end, or none (:class:`tlcim.files.Outputs`).
"""

from tlcim.golden import layer
from tlcim.sim.inputs import read_array
from tlcim.sim.script import check_target, load_script, run_ops
from .files import Outputs, save_npy, write_json

__all__ = ["run_script", "golden_layer"]


def run_script(config, target, script, out, force=False):
    """Run the session script ``script`` on ``target``; write its results JSON to ``out`` and
    the ``.npy`` files its operations name (``tlcim run``).

    The whole script and its arrays are read and checked, and every output checked (none may
    be an input, be written twice, or replace a file tlcim did not write unless ``force``),
    before anything runs; the outputs are written only after every operation ran.

    Returns
    -------
    int
        0 (device errors are results, reported in ``out``, not failures).
    """
    check_target(target)  # an unknown target is reported before the script is read
    ops = load_script(config, script)
    with Outputs(force=force) as outputs:
        results = outputs.file(out, what="--out")
        staged = {op.args["out"]: outputs.file(op.args["out"],
                                               what=f"the out of operation [{op.index}]")
                  for op in ops if op.args.get("out") is not None}
        result = run_ops(config, target, ops)
        for path, array in result.outputs.items():
            save_npy(staged[path], array)
        write_json(results, result.entries)
    print(f"{len(result.entries)} operation(s) on {target}, {result.errors} error(s): {out}")
    return 0


def golden_layer(config, weights, inputs, out, force=False):
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
    with Outputs(force=force) as outputs:
        staged = outputs.file(out, what="--out")
        y = layer(config, w, x)
        save_npy(staged, y)
    print(f"layer {w.shape[0]} x {w.shape[1]}, batch {1 if x.ndim == 1 else len(x)}: {out}")
    return 0
