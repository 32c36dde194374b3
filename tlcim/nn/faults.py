"""Restore misreads against accuracy, with the integrity check: the paper's Fig. 10 question.

For each cluster size ``n`` the ReRAM model (:func:`tlcim.golden.reram.confusion_matrix`) gives the
probability that a restore reads a cell holding each level as each other level; leakage
through the ``n - 1`` unselected selectors makes HRS -> MRS misreads climb steeply past about
60 per cluster. The study injects misreads at exactly those rates through the target's fault
injection (``{"fault": "misread_rate", "seed", "matrix"}``: every restore draws fresh
misreads, seeded) and runs the test images as :func:`.evaluate.evaluate` does, on a fresh
target per cluster size and policy. Only the misread *rates* follow ``n``; the configuration
(and so the mapping) stays the one given.

The device verifies every restore against a per-row checksum (``docs/nvm.md``): a bad row raises
``VERIFY_FAILED``. Each size runs under both of the device's policies (``Device.
allow_unverified``, the hardware's policy register):

``unverified`` (policy allows unverified weights: the paper's Fig. 10 question)
    A flagged restore stays valid and is used anyway. Every restore is read back and compared
    with the tile stored: one that differs is *corrupted*; one the check flagged is
    *detected* if corrupted, a *false alarm* if not (a misread spare cell). The detection
    rate is detected / corrupted; ``by_row_errors`` splits it by the most misread cells
    (weight and spare) in any row of the restore, from ``Device.sensed``.
``enforced`` (the default policy)
    A flagged restore leaves the subarray invalid; the host retries it up to ``attempts``
    times, then gives the tile up (*refused*) and the images of that batch get no answer
    (counted wrong). Restores that pass but differ from the tile are *let through*.
"""

import numpy as np

from tlcim.golden import reram
from tlcim.golden.errors import DeviceError, ErrorCode
from ..files import write_json
from .data import load_test_set
from .quantisation import METHODS, quantise
from .run import DEFAULT_BATCH, mapping_for, program, run_network, run_session, target_name
from .train import DEFAULT_CACHE, TrainSettings, load_or_train

__all__ = ["CLUSTER_SIZES", "POLICIES", "ROW_ERROR_BINS", "RestoreMonitor", "RestoreRefused",
           "fault_study", "write_study", "save_plot"]

#: Cluster sizes studied: the paper's 60, and around it where the misread rates change.
CLUSTER_SIZES = (1, 20, 40, 50, 60, 64, 70, 80, 90, 100)

#: The device policies studied: use flagged weights anyway, or retry and refuse.
POLICIES = ("unverified", "enforced")

#: Bins of ``by_row_errors``: the most misread cells in one row of a corrupted restore.
ROW_ERROR_BINS = ("1", "2", "3+")

#: Restores tried per tile and batch under the enforced policy before the tile is refused.
DEFAULT_ATTEMPTS = 4


class RestoreRefused(Exception):
    """The integrity check refused every attempt to restore a tile."""


class RestoreMonitor:
    """A ``restore`` for :func:`.run.run_network` that checks and counts every restore.

    Parameters
    ----------
    images : dict
        ``{tile: int64 [subarrays, rows, outs]}``, what each tile should restore to.
    policy : str
        ``"unverified"``: the device keeps flagged weights (its ``allow_unverified`` must be
        set); every restore is used. ``"enforced"``: a flagged restore is retried.
    attempts : int
        Restores tried per tile under ``"enforced"`` before :class:`RestoreRefused`.

    Members
    -------
    restores : int
        Restores done.
    corrupted, detected, false_alarms : int
        ``"unverified"`` only: restores that differ from the tile; those of them the check
        flagged; flagged restores that do not differ.
    by_row_errors : dict
        ``"unverified"`` only: ``{bin: [detected, corrupted]}`` over :data:`ROW_ERROR_BINS`
        (needs ``target.device.sensed``; otherwise left at zero).
    rejected, refused, let_through : int
        ``"enforced"`` only: restores the check refused; tiles given up after ``attempts``
        refusals; restores that passed the check but differ from the tile.
    """

    def __init__(self, images, *, policy="enforced", attempts=DEFAULT_ATTEMPTS):
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}")
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
            raise ValueError(f"attempts must be a positive integer, not {attempts!r}")
        self.images, self.policy, self.attempts = images, policy, attempts
        self.restores = self.corrupted = self.detected = self.false_alarms = 0
        self.rejected = self.refused = self.let_through = 0
        self.by_row_errors = {key: [0, 0] for key in ROW_ERROR_BINS}

    async def _restore(self, target, tile):
        """Restore ``tile``; return whether the integrity check flagged it."""
        self.restores += 1
        try:
            await target.restore("all", tile)
        except DeviceError as error:
            if error.code != ErrorCode.VERIFY_FAILED:
                raise
            return True
        return False

    async def _differs(self, target, tile):
        image = self.images[tile]
        for subarray in range(len(image)):
            if not np.array_equal(await target.read(subarray), image[subarray]):
                return True
        return False

    async def __call__(self, target, tile):
        if self.policy == "unverified":
            flagged = await self._restore(target, tile)
            if await self._differs(target, tile):
                self.corrupted += 1
                self.detected += flagged
                row_bin = _worst_row_bin(target, len(self.images[tile]))
                if row_bin is not None:
                    self.by_row_errors[row_bin][0] += flagged
                    self.by_row_errors[row_bin][1] += 1
            else:
                self.false_alarms += flagged
            return
        for _ in range(self.attempts):
            if await self._restore(target, tile):
                self.rejected += 1
                continue
            self.let_through += await self._differs(target, tile)
            return
        self.refused += 1
        raise RestoreRefused(f"tile {tile} failed verification {self.attempts} times")

    @property
    def detection_rate(self):
        """Detected / corrupted restores (``"unverified"``), or None without a corrupted one."""
        return self.detected / self.corrupted if self.corrupted else None


def _worst_row_bin(target, subarrays):
    """The :data:`ROW_ERROR_BINS` bin of the most misread cells in a row of the last restore,
    from the golden device's ``sensed`` record (None for targets without one)."""
    device = getattr(target, "device", None)
    if device is None or not hasattr(device, "sensed"):
        return None
    worst = 0
    for subarray in range(subarrays):
        sensed = device.sensed(subarray)
        if sensed is None:
            continue
        errors = (sensed["trits"] != sensed["stored"]).sum(axis=1) \
            + (sensed["spare"] != sensed["stored_spare"]).sum(axis=1)
        worst = max(worst, int(errors.max()))
    return None if worst == 0 else ROW_ERROR_BINS[min(worst, 3) - 1]


def _set_policy(target, policy, name):
    """Set the device's ``allow_unverified`` policy register for ``policy``."""
    device = getattr(target, "device", None)
    if device is None or not hasattr(device, "allow_unverified"):
        if policy == "unverified":
            raise ValueError(f"target {name!r} has no allow_unverified policy; run the fault "
                             f"study on golden")
        return
    device.allow_unverified = policy == "unverified"


_KEYS = {"unverified": ("accuracy", "restores", "corrupted", "detected", "false_alarms",
                        "detection_rate", "by_row_errors"),
         "enforced": ("accuracy", "answered", "restores", "rejected", "refused",
                      "let_through")}


def fault_study(config, target="golden", *, limit=None, settings=TrainSettings(),
                cache=DEFAULT_CACHE, sizes=CLUSTER_SIZES, seed=0, batch=DEFAULT_BATCH,
                attempts=DEFAULT_ATTEMPTS):
    """Run the test images with restore misreads at each cluster size's rates, both policies.

    Returns
    -------
    dict
        JSON-ready: ``cluster_sizes``; ``misread`` (per size, the probability of misreading
        -1, 0, +1); ``restore_yield`` (exact, per compute cell and three levels, as
        :func:`tlcim.golden.reram.restore_yield` estimates); ``attempts``; per method and policy
        (``methods.<m>.unverified`` / ``.enforced``) one list entry per size:
        ``unverified``: ``accuracy``, ``restores``, ``corrupted``, ``detected``,
        ``false_alarms``, ``detection_rate`` (None without corrupted restores),
        ``by_row_errors``; ``enforced``: ``accuracy`` (unanswered images count wrong),
        ``answered`` (fraction of images whose batch ran), ``restores``, ``rejected``,
        ``refused`` (tiles given up, per batch), ``let_through``; and ``seed``, ``samples``,
        ``target``.
    """
    _, labels, x = load_test_set(config, limit)
    trained = load_or_train(settings, cache)
    nets = {method: quantise(config, trained, method, threshold=settings.threshold)
            for method in METHODS}
    mappings = {method: mapping_for(net) for method, net in nets.items()}
    name = target_name(target)
    study = {"target": name, "samples": int(len(labels)), "seed": seed,
             "attempts": attempts, "cluster_sizes": list(sizes),
             "misread": [reram.misread_probability(n).tolist() for n in sizes],
             "restore_yield": [float(np.prod(1 - reram.misread_probability(n)))
                               for n in sizes],
             "methods": {method: {policy: {key: [] for key in _KEYS[policy]}
                                  for policy in POLICIES}
                         for method in nets}}
    outputs = next(iter(nets.values())).shapes[-1][1]
    for index, size in enumerate(sizes):
        fault = {"fault": "misread_rate", "seed": seed + index,
                 "matrix": reram.confusion_matrix(size).tolist()}
        for method, net in nets.items():
            mapping = mappings[method]
            weights = [layer.weights for layer in net.layers]
            images = {tile: mapping.tile_weights(tile, weights) for tile in range(mapping.tiles)}
            for policy in POLICIES:
                monitor = RestoreMonitor(images, policy=policy, attempts=attempts)

                async def session(device, net=net, mapping=mapping, weights=weights,
                                  monitor=monitor, policy=policy):
                    _set_policy(device, policy, name)
                    await program(device, mapping, weights)
                    try:
                        await device.inject(fault)
                    except NotImplementedError as error:
                        raise ValueError(f"target {name!r} cannot inject restore misreads "
                                         f"({error}); run the fault study on golden")
                    # One batch at a time (each restores its tiles afresh anyway), so a tile
                    # refused in one batch costs only that batch's answers.
                    logits, answered = [], []
                    for start in range(0, len(x), batch):
                        part = x[start:start + batch]
                        try:
                            logits.append(await run_network(device, mapping, net, part,
                                                             batch=batch, programmed=True,
                                                             restore=monitor))
                            answered.append(np.ones(len(part), bool))
                        except RestoreRefused:
                            logits.append(np.zeros((len(part), outputs), np.int64))
                            answered.append(np.zeros(len(part), bool))
                    return np.concatenate(logits), np.concatenate(answered)

                logits, answered = run_session(config, target, session)
                correct = (np.argmax(logits, axis=1) == labels) & answered
                entry = study["methods"][method][policy]
                entry["accuracy"].append(float(correct.mean()))
                entry["restores"].append(monitor.restores)
                if policy == "unverified":
                    entry["corrupted"].append(monitor.corrupted)
                    entry["detected"].append(monitor.detected)
                    entry["false_alarms"].append(monitor.false_alarms)
                    entry["detection_rate"].append(monitor.detection_rate)
                    entry["by_row_errors"].append({key: list(value) for key, value
                                                   in monitor.by_row_errors.items()})
                else:
                    entry["answered"].append(float(answered.mean()))
                    entry["rejected"].append(monitor.rejected)
                    entry["refused"].append(monitor.refused)
                    entry["let_through"].append(monitor.let_through)
    return study


def save_plot(stem, study):
    """Plot accuracy (both policies) and restore yield against cluster size into ``stem.png``
    and ``stem.svg``.

    Drawn and written by :func:`tlcim.plots.figure` (reproducible, atomic).
    """
    from .. import plots

    sizes = study["cluster_sizes"]
    styles = {"unverified": ("o-", "check off: corrupted weights used"),
              "enforced": ("s--", f"check on: retry {study['attempts']}x, then refuse")}
    with plots.figure(stem, 6.4, 4.4) as figure:
        axes = figure.subplots()
        for method, policies in study["methods"].items():
            color = None
            for policy, (marker, label) in styles.items():
                line, = axes.plot(sizes, [100 * a for a in policies[policy]["accuracy"]],
                                  marker, color=color, label=f"{method}, {label}")
                color = line.get_color()
        axes.plot(sizes, [100 * y for y in study["restore_yield"]], "k:",
                  label="restore yield per cell (ReRAM model)")
        axes.axvline(60, color="grey", linestyle=":", label="paper: 60 per cluster")
        axes.set_xlabel("ReRAMs per cluster")
        axes.set_ylabel("accuracy (%)")
        axes.set_ylim(0, 102)
        axes.set_title(f"digits MLP on {study['target']}, {study['samples']} test images, "
                       f"restore misreads at the model's rates", fontsize="medium")
        axes.legend(loc="lower left", fontsize="x-small")


def write_study(folder, study):
    """Write ``faults.json`` and ``accuracy_vs_cluster_size.png/.svg`` into ``folder``."""
    write_json(folder / "faults.json", study)
    save_plot(folder / "accuracy_vs_cluster_size", study)
