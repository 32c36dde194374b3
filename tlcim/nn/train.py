"""Training: a small numpy MLP on the digits, and a ternary-aware fine-tune of it.

The network is ``64 -> hidden -> 10`` with a ReLU and no biases (the device has no bias
input; the digits need none for high accuracy). Training is plain minibatch Adam on softmax
cross-entropy, seeded, one core, well under a second. Ternary weights lose much accuracy when
an ordinary network is thresholded after training, so the ternary network is the float one
fine-tuned with ternary forward passes (straight-through gradients), as ternary weight
networks are trained; the 8-bit/5-trit method uses the float network directly.

Trained weights are cached under a build folder, keyed by every setting (seed included),
never in the source tree.
"""

import dataclasses
import hashlib
import io
import json
import pathlib
import zipfile

import numpy as np

from tlcim import golden
from ..files import atomic_write
from .data import PIXEL_MAX, load_digits

__all__ = ["TrainSettings", "train_mlp", "load_or_train", "DEFAULT_CACHE"]

#: Where :func:`load_or_train` keeps trained weights unless told otherwise (relative to the
#: working directory, like every other build product).
DEFAULT_CACHE = pathlib.Path("build") / "nn"

# Bump when the training procedure changes, so stale cached weights are not reused.
_VERSION = 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """Every setting that determines the trained weights.

    Parameters
    ----------
    hidden : int
        Hidden units; at least 1.
    seed : int
        Seed of initialisation and minibatch order; non-negative.
    epochs, ternary_epochs : int
        Float training epochs, then ternary-aware fine-tuning epochs; non-negative.
    batch : int
        Minibatch size; at least 1.
    rate, ternary_rate : float
        Adam learning rates of the two phases; positive.
    threshold : float
        Ternarisation threshold (see :func:`tlcim.golden.ternarise`).
    """

    hidden: int = 32
    seed: int = 0
    epochs: int = 100
    ternary_epochs: int = 30
    batch: int = 64
    rate: float = 0.01
    ternary_rate: float = 0.003
    threshold: float = 0.7

    def __post_init__(self):
        for name, low in (("hidden", 1), ("seed", 0), ("epochs", 0), ("ternary_epochs", 0),
                          ("batch", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer of at least {low}, not {value!r}")
        for name in ("rate", "ternary_rate"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, not {value!r}")

    def key(self):
        """Return a short hash naming these settings (and the training procedure's version)."""
        text = json.dumps({"version": _VERSION, **dataclasses.asdict(self)}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


class _Adam:
    def __init__(self, params, rate):
        self.params, self.rate, self.step = params, rate, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def update(self, grads):
        self.step += 1
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= self.rate * (m / (1 - 0.9 ** self.step)) / (
                np.sqrt(v / (1 - 0.999 ** self.step)) + 1e-8)


def _ternary(weights, threshold):
    q, scale = golden.ternarise(weights, threshold=threshold)
    return q * scale


def _epochs(params, x, labels, settings, rng, epochs, rate, view):
    # Minibatch Adam on softmax cross-entropy; ``view`` maps the trained (float) weights to
    # those the forward pass uses, and gradients pass straight through it.
    adam = _Adam(params, rate)
    for _ in range(epochs):
        order = rng.permutation(len(labels))
        for start in range(0, len(labels), settings.batch):
            index = order[start:start + settings.batch]
            xb, yb = x[index], labels[index]
            w1, w2 = (view(p) for p in params)
            pre = xb @ w1
            hidden = np.maximum(pre, 0)
            logits = hidden @ w2
            prob = np.exp(logits - logits.max(axis=1, keepdims=True))
            prob /= prob.sum(axis=1, keepdims=True)
            prob[np.arange(len(yb)), yb] -= 1
            prob /= len(yb)
            back = prob @ w2.T
            back[pre <= 0] = 0
            adam.update([xb.T @ back, hidden.T @ prob])


def train_mlp(settings=TrainSettings()):
    """Train the float network and its ternary-aware fine-tune; deterministic per settings.

    Returns
    -------
    dict
        ``{"float": [W1, W2], "ternary": [W1, W2]}``, float64 weights of shapes
        [64, hidden] and [hidden, 10]; the ``"ternary"`` pair is meant to be ternarised with
        ``settings.threshold``.
    """
    pixels, labels, _, _ = load_digits()
    x = pixels / PIXEL_MAX
    rng = np.random.default_rng(settings.seed)
    params = [rng.normal(0, np.sqrt(2 / x.shape[1]), (x.shape[1], settings.hidden)),
              rng.normal(0, np.sqrt(2 / settings.hidden), (settings.hidden, 10))]
    _epochs(params, x, labels, settings, rng, settings.epochs, settings.rate, lambda p: p)
    result = {"float": [p.copy() for p in params]}
    _epochs(params, x, labels, settings, rng, settings.ternary_epochs, settings.ternary_rate,
            lambda p: _ternary(p, settings.threshold))
    result["ternary"] = params
    return result


def load_or_train(settings=TrainSettings(), cache=DEFAULT_CACHE):
    """Return :func:`train_mlp`'s result, from ``cache`` if it was trained before with ``settings``.

    The file is ``cache/digits-mlp-<settings.key()>.npz``, written atomically; an unreadable
    one is trained again and replaced.
    """
    path = pathlib.Path(cache) / f"digits-mlp-{settings.key()}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                return {name: [data[f"{name}{i}"] for i in (1, 2)]
                        for name in ("float", "ternary")}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # an unreadable cache entry is rebuilt below
    result = train_mlp(settings)
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{name}{i + 1}": w for name, pair in result.items()
                        for i, w in enumerate(pair)})
    with atomic_write(path, "wb") as file:
        file.write(buffer.getvalue())
    return result
