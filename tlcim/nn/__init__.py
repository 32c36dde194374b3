"""A real network on the device: training, quantisation, mapping and inference.

A small MLP (``64 -> hidden -> 10``) is trained with numpy on scikit-learn's bundled 8x8
digits (:mod:`.train`), quantised the paper's two ways (:mod:`.quantisation`), placed on subarrays
and weight sets with the compact mapping (:mod:`.mapping`), and run through any target of
:mod:`tlcim.sim.script` (:mod:`.run`). :mod:`.evaluate` is ``tlcim infer``; :mod:`.faults` studies
restore misreads against cluster size. See ``docs/nn.md``.
"""

from .data import input_integers, load_digits
from .train import TrainSettings, load_or_train, train_mlp
from .quantisation import METHODS, QuantisedLayer, QuantisedNet, forward, quantise, requant_params
from .mapping import Mapping, Piece, place_network
from .run import program, run_network, software_logits
from .evaluate import evaluate, infer

__all__ = [
    "input_integers", "load_digits", "TrainSettings", "load_or_train", "train_mlp",
    "METHODS", "QuantisedLayer", "QuantisedNet", "forward", "quantise", "requant_params",
    "Mapping", "Piece", "place_network", "program", "run_network", "software_logits",
    "evaluate", "infer",
]
