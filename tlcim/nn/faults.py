"""Restore misreads against accuracy: the paper's Fig. 10 question (issue 6 item 2).

For each cluster size ``n`` the ReRAM model (:func:`golden.reram.confusion_matrix`) gives the
probability that a restore reads a cell holding each level as each other level; leakage
through the ``n - 1`` unselected selectors makes HRS -> MRS misreads climb steeply past about
60 per cluster. The study injects misreads at exactly those rates through the target's fault
injection (``{"fault": "misread_rate", "seed", "matrix"}``: every restore draws fresh
misreads, seeded) and runs the test images as :func:`.evaluate.evaluate` does, on a fresh
target per cluster size. Only the misread *rates* follow ``n``; the configuration (and so the
mapping) stays the one given.

Every restore is checked by reading the SRAM back and comparing it with the tile stored:
a restore that differs is *corrupted*. If the device's integrity check refuses a restore
(``verify_failed``) it counts as *detected* and the host retries it; the detection rate is
detected / (detected + corrupted restores that were let through). While the device has no
checksum (``golden.device.Device._verify`` is a stub) every corrupted restore goes through and
the rate is 0.
"""

import numpy as np

from golden import reram
from golden.errors import DeviceError, ErrorCode
from ..files import write_json
from .evaluate import accuracy, run_session, target_name, load_test_set
from .quantisation import METHODS, quantise
from .run import DEFAULT_BATCH, mapping_for, program, run_network
from .train import DEFAULT_CACHE, TrainSettings, load_or_train

__all__ = ["CLUSTER_SIZES", "RestoreMonitor", "RestoreRefused", "fault_study", "write_study",
           "save_plot"]

#: Cluster sizes studied: the paper's 60, and around it where the misread rates change.
CLUSTER_SIZES = (1, 20, 40, 50, 60, 64, 70, 80, 90, 100)


class RestoreRefused(Exception):
    """The integrity check refused every attempt to restore a tile."""


class RestoreMonitor:
    """A ``restore`` for :func:`.run.run_network` that checks and counts every restore.

    Parameters
    ----------
    images : dict
        ``{tile: int64 [subarrays, rows, outs]}``, what each tile should restore to.
    attempts : int
        Restores tried per tile when the device's integrity check refuses them.

    Members
    -------
    restores, corrupted, detected : int
        Restores done, restores let through that differ from the tile, restores refused.
    """

    def __init__(self, images, *, attempts=4):
        self.images, self.attempts = images, attempts
        self.restores = self.corrupted = self.detected = 0

    async def __call__(self, target, tile):
        image = self.images[tile]
        for _ in range(self.attempts):
            self.restores += 1
            try:
                await target.restore("all", tile)
            except DeviceError as error:
                if error.code != ErrorCode.VERIFY_FAILED:
                    raise
                self.detected += 1
                continue
            for subarray in range(len(image)):
                if not np.array_equal(await target.read(subarray), image[subarray]):
                    self.corrupted += 1
                    break
            return
        raise RestoreRefused(f"tile {tile} failed verification {self.attempts} times")

    @property
    def detection_rate(self):
        """Detected / (detected + corrupted-and-undetected), or None without any bad restore."""
        bad = self.detected + self.corrupted
        return self.detected / bad if bad else None


def fault_study(config, target="golden", *, limit=None, settings=TrainSettings(),
                cache=DEFAULT_CACHE, sizes=CLUSTER_SIZES, seed=0, batch=DEFAULT_BATCH):
    """Run the test images with restore misreads at each cluster size's rates.

    Returns
    -------
    dict
        JSON-ready: ``cluster_sizes``; ``misread`` (per size, the probability of misreading
        -1, 0, +1); ``restore_yield`` (exact, per compute cell and three levels, as
        :func:`golden.reram.restore_yield` estimates); per method ``accuracy`` (None where the
        integrity check refused to run), ``restores``, ``corrupted``, ``detected`` and
        ``detection_rate``; ``seed``, ``samples``, ``target``.
    """
    _, labels, x = load_test_set(config, limit)
    trained = load_or_train(settings, cache)
    nets = {method: quantise(config, trained, method, threshold=settings.threshold)
            for method in METHODS}
    mappings = {method: mapping_for(net) for method, net in nets.items()}
    study = {"target": target_name(target), "samples": int(len(labels)), "seed": seed,
             "cluster_sizes": list(sizes),
             "misread": [reram.misread_probability(n).tolist() for n in sizes],
             "restore_yield": [float(np.prod(1 - reram.misread_probability(n)))
                               for n in sizes],
             "methods": {method: {key: [] for key in ("accuracy", "restores", "corrupted",
                                                      "detected", "detection_rate")}
                         for method in nets}}
    for index, size in enumerate(sizes):
        fault = {"fault": "misread_rate", "seed": seed + index,
                 "matrix": reram.confusion_matrix(size).tolist()}
        for method, net in nets.items():
            mapping = mappings[method]
            weights = [layer.weights for layer in net.layers]
            monitor = RestoreMonitor({tile: mapping.tile_weights(tile, weights)
                                      for tile in range(mapping.tiles)})

            async def session(device, net=net, mapping=mapping, weights=weights,
                              monitor=monitor):
                await program(device, mapping, weights)
                try:
                    await device.inject(fault)
                except NotImplementedError as error:
                    raise ValueError(f"target {study['target']!r} cannot inject restore "
                                     f"misreads ({error}); run the fault study on golden")
                try:
                    return await run_network(device, mapping, net, x, batch=batch,
                                             programmed=True, restore=monitor)
                except RestoreRefused:
                    return None

            logits = run_session(config, target, session)
            entry = study["methods"][method]
            entry["accuracy"].append(None if logits is None else accuracy(logits, labels))
            entry["restores"].append(monitor.restores)
            entry["corrupted"].append(monitor.corrupted)
            entry["detected"].append(monitor.detected)
            entry["detection_rate"].append(monitor.detection_rate)
    return study


def save_plot(stem, study):
    """Plot accuracy and restore yield against cluster size into ``stem.png`` and ``stem.svg``.

    Drawn and written by :func:`tlcim.plots.figure` (reproducible, atomic).
    """
    from .. import plots

    sizes = study["cluster_sizes"]
    with plots.figure(stem, 6.4, 4.0) as figure:
        axes = figure.subplots()
        for method, entry in study["methods"].items():
            accuracy = [np.nan if a is None else 100 * a for a in entry["accuracy"]]
            axes.plot(sizes, accuracy, "o-", label=f"accuracy, {method} weights")
        axes.plot(sizes, [100 * y for y in study["restore_yield"]], "k--",
                  label="restore yield per cell (ReRAM model)")
        axes.axvline(60, color="grey", linestyle=":", label="paper: 60 per cluster")
        axes.set_xlabel("ReRAMs per cluster")
        axes.set_ylabel("%")
        axes.set_ylim(0, 102)
        axes.set_title(f"digits MLP on {study['target']}, {study['samples']} test images, "
                       f"restore misreads at the model's rates")
        axes.legend(loc="lower left", fontsize="small")


def write_study(folder, study):
    """Write ``faults.json`` and ``accuracy_vs_cluster_size.png/.svg`` into ``folder``."""
    write_json(folder / "faults.json", study)
    save_plot(folder / "accuracy_vs_cluster_size", study)
