"""``tlcim infer``: accuracies of float, quantised-software and target inference on the digits.

For each quantisation method (:data:`.quantisation.METHODS`) the same test images go through

``quantised``
    integer weights and requantisation with exact products (an ideal ADC);
``quantised_adc``
    the same with :func:`tlcim.golden.layer`, i.e. the configuration's ADC;
``<target>``
    the device (golden model or RTL) through :func:`.run.run_network`.

The *primary* method, whose figures also appear at the top level of ``accuracy.json``, is the
paper's 8-bit weights truncated to ``w_trits`` trits, or ternary when ``w_trits`` is 1.
"""

import numpy as np

from ..files import Outputs, save_npy, write_json
from .data import PIXEL_MAX, load_test_set
from .run import (DEFAULT_BATCH, mapping_for, run_on_target, run_session, software_logits,
                  target_name)
from .quantisation import METHODS, quantise
from .train import DEFAULT_CACHE, TrainSettings, load_or_train

__all__ = ["infer", "evaluate", "primary_method", "accuracy"]


def primary_method(config):
    """Return the method reported at the top level: ``"trunc8"``, or ``"ternary"`` for 1 trit."""
    return "ternary" if config.w_trits == 1 else "trunc8"


def accuracy(logits, labels):
    """Return the fraction of rows of ``logits`` whose largest entry is at the label."""
    return float(np.mean(np.argmax(logits, axis=1) == labels)) if len(labels) else 0.0


def _float_logits(weights, pixels):
    x = pixels / PIXEL_MAX
    for index, w in enumerate(weights):
        x = x @ w
        if index < len(weights) - 1:
            x = np.maximum(x, 0)
    return x


def evaluate(config, target="golden", *, limit=None, settings=TrainSettings(),
             cache=DEFAULT_CACHE, batch=DEFAULT_BATCH):
    """Train (or load), quantise, map and run the digits network; return results.

    Parameters
    ----------
    config : golden.Config
    target : str or None
        Target spec for :func:`run_session`; None runs the software paths only.
    limit : int or None
        Use only the first ``limit`` test images.

    Returns
    -------
    report : dict
        What ``accuracy.json`` holds.
    logits : dict
        ``{method: int64 [images, 10]}`` of the target.

    Raises
    ------
    ValueError
        On a bad ``limit``, or a network that does not fit ``config`` (see ``place_network``).
    """
    pixels, labels, x = load_test_set(config, limit)
    trained = load_or_train(settings, cache)
    nets = {method: quantise(config, trained, method, threshold=settings.threshold)
            for method in METHODS}
    mappings = {method: mapping_for(net) for method, net in nets.items()}  # refuse early
    logits, paths = {}, {}
    if target is not None:
        async def session(device):
            for method, net in nets.items():
                logits[method], paths[method] = await run_on_target(
                    device, mappings[method], net, x, batch=batch)
        run_session(config, target, session)
    float_accuracy = accuracy(_float_logits(trained["float"], pixels), labels)
    name = target_name(target) if target is not None else None
    methods = {}
    for method, net in nets.items():
        adc = software_logits(net, x)
        entry = {
            "quantised": accuracy(software_logits(net, x, adc=False), labels),
            "quantised_adc": accuracy(adc, labels),
            "float_of_trained": accuracy(_float_logits(trained[METHODS[method]], pixels),
                                          labels),
            "tiles": mappings[method].tiles,
            "passes": len(mappings[method].passes),
            "requant": [layer.requant for layer in net.layers],
        }
        entry["drop"] = float_accuracy - entry["quantised"]
        entry["drop_adc"] = float_accuracy - entry["quantised_adc"]
        if name is not None:
            entry[name] = accuracy(logits[method], labels)
            entry[f"drop_{name}"] = float_accuracy - entry[name]
            entry["logits_equal_golden_layer"] = bool(np.array_equal(logits[method], adc))
            entry["weights_path"] = paths[method]
        methods[method] = entry
    primary = primary_method(config)
    report = {
        "samples": int(len(labels)),
        "target": name,
        "primary": primary,
        "float": float_accuracy,
        "quantised": methods[primary]["quantised"],
        "quantised_adc": methods[primary]["quantised_adc"],
    }
    if name is not None:
        report[name] = methods[primary][name]
    report.update({
        "methods": methods,
        "network": {"shapes": [list(shape) for shape in nets[primary].shapes],
                    "hidden": settings.hidden, "seed": settings.seed,
                    "training_key": settings.key()},
        "config": config.to_dict(),
    })
    return report, logits


def _table(report):
    name = report["target"]
    columns = ["quantised", "quantised_adc"] + ([name] if name else [])
    lines = [f"digits, {report['samples']} test images: float {report['float']:.4f}; "
             f"accuracy (change from float)",
             f"{'method':<10}" + "".join(f"{column:>19}" for column in columns)]
    for method, entry in report["methods"].items():
        lines.append(f"{method:<10}" + "".join(
            f"{entry[column]:.4f} ({entry[column] - report['float']:+.4f})".rjust(19)
            for column in columns))
    return "\n".join(lines)


def infer(config, target="golden", limit=None, out=None, faults=False, seed=0, hidden=32,
          force=False):
    """Run ``tlcim infer``: print the accuracy table; with ``out`` write its files.

    Returns 1 (after writing) if the target's logits differ from :func:`tlcim.golden.layer`'s
    anywhere, else 0.

    ``out/accuracy.json`` holds :func:`evaluate`'s report and ``out/logits_<target>_<method>
    .npy`` the target's int64 logits, for comparing golden and RTL runs logit by logit. With
    ``faults`` it also runs the restore-misread study (:func:`.faults.fault_study`) into
    ``out/faults.json`` and its plots.
    """
    with Outputs(force=force) as outputs:
        temp = None if out is None else outputs.folder(out)  # checked before any work
        settings = TrainSettings(hidden=hidden, seed=seed)
        report, logits = evaluate(config, target, limit=limit, settings=settings)
        study = None
        if faults:
            from .faults import fault_study
            study = fault_study(config, target, limit=limit, settings=settings)
        print(_table(report))
        if study is not None:
            print("restore misreads at the ReRAM model's rates, by ReRAMs per cluster")
            print(f"{'':<32}" + "".join(f"{n:>7}" for n in study["cluster_sizes"]))
            for method, policies in study["methods"].items():
                rows = {"accuracy, check off": policies["unverified"]["accuracy"],
                        "detection rate": policies["unverified"]["detection_rate"],
                        "accuracy, check on": policies["enforced"]["accuracy"],
                        "tiles refused, check on": policies["enforced"]["refused"]}
                for label, values in rows.items():
                    print(f"{method + ' ' + label:<32}" + "".join(
                        "-".rjust(7) if v is None else f"{v:7d}" if isinstance(v, int)
                        else f"{v:7.3f}" for v in values))
        name = report["target"]
        for method, entry in report["methods"].items():
            if entry.get("weights_path") == "write":
                print(f"note: {name} has no store/restore yet; {method} tiles were written "
                      f"directly where they would have been restored")
        mismatched = [method for method, entry in report["methods"].items()
                      if not entry.get("logits_equal_golden_layer", True)]
        for method in mismatched:
            print(f"MISMATCH: {name} logits of {method} differ from golden.layer's")
        if temp is not None:
            write_json(temp / "accuracy.json", report)
            for method, array in logits.items():
                save_npy(temp / f"logits_{name}_{method}.npy", array)
            if study is not None:
                from .faults import write_study
                write_study(temp, study)
    if out is not None:
        print(f"written: {out}")
    return 1 if mismatched else 0
