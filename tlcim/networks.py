"""Layer shapes of the paper's evaluation networks (ResNet-18 and VGG-9 on CIFAR-10).

Only the shapes matter to the cost model: for every convolution or fully connected layer the
input channels ``c``, output channels ``m``, kernel side ``k`` and the side of the output feature
map ``out_hw`` (1 for a fully connected layer). Batch normalisation, pooling, ReLU and the
residual additions hold no weights and are done in the digital periphery, so they are left out.

Sources of the shapes (the paper names the networks and their sizes, "ResNet-18 11 MB and VGG-9
3 MB on CIFAR-10", SPEC section 1, but not their layers):

- ResNet-18: the CIFAR-10 variant of K. He et al. (CVPR 2016) as published in
  kuangliu/pytorch-cifar, ``models/resnet.py`` (3x3 stem with stride 1, four stages of two
  basic blocks with 64/128/256/512 channels, 1x1 projection shortcuts where the stride is 2,
  4x4 average pooling, one linear layer). 11.2 M weights: the paper's "11 MB" at 8 bit.
- VGG-9: the CIFAR-10 VGG-9 of H. Wang et al., "Federated Learning with Matched Averaging",
  ICLR 2020 (IBM/FedMA, ``model.py``, class ``ModerateCNN``): six 3x3 convolutions
  (32, 64, M, 128, 128, M, 256, 256, M) and three linear layers (4096-512-512-10). 3.5 M
  weights: the paper's "3 MB" at 8 bit.
"""

import dataclasses

__all__ = ["Layer", "Network", "resnet18_cifar10", "vgg9_cifar10", "NETWORKS", "network"]


@dataclasses.dataclass(frozen=True)
class Layer:
    """One weight layer: a ``k`` x ``k`` convolution or (``k = out_hw = 1``) a linear layer.

    Parameters
    ----------
    name : str
        Label used in reports.
    c, m : int
        Input and output channels (features); at least 1.
    k : int
        Kernel side; at least 1.
    out_hw : int
        Side of the square output feature map; the layer computes ``out_hw**2`` output
        positions, each one matrix-vector product of its ``rows`` x ``m`` weight matrix.

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    """

    name: str
    c: int
    m: int
    k: int = 1
    out_hw: int = 1

    def __post_init__(self):
        for field in ("c", "m", "k", "out_hw"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"layer {self.name!r}: {field} must be a positive integer, "
                                 f"not {value!r}")

    @property
    def rows(self):
        """Rows of the weight matrix (inputs of one product): ``c * k * k``."""
        return self.c * self.k * self.k

    @property
    def weights(self):
        """Weights of the layer: ``rows * m``."""
        return self.rows * self.m

    @property
    def positions(self):
        """Output positions (matrix-vector products per inference): ``out_hw ** 2``."""
        return self.out_hw ** 2

    @property
    def macs(self):
        """Multiply-accumulates per inference: ``weights * positions``."""
        return self.weights * self.positions


@dataclasses.dataclass(frozen=True)
class Network:
    """A named tuple of :class:`Layer` with the reference its shapes come from."""

    name: str
    source: str
    layers: tuple

    def __post_init__(self):
        if not self.layers:
            raise ValueError(f"network {self.name!r} must have at least one layer")

    @property
    def weights(self):
        """Total weights."""
        return sum(layer.weights for layer in self.layers)

    @property
    def macs(self):
        """Total multiply-accumulates per inference."""
        return sum(layer.macs for layer in self.layers)


def resnet18_cifar10():
    """Return ResNet-18 for 32x32 CIFAR-10 images (kuangliu/pytorch-cifar ``ResNet18``)."""
    layers = [Layer("conv1", 3, 64, 3, 32)]
    channels, side = 64, 32
    for stage, (planes, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2)), 1):
        for block in range(2):
            step = stride if block == 0 else 1
            side_out = side // step
            prefix = f"layer{stage}.{block}"
            layers.append(Layer(f"{prefix}.conv1", channels, planes, 3, side_out))
            layers.append(Layer(f"{prefix}.conv2", planes, planes, 3, side_out))
            if step != 1 or channels != planes:
                # 1x1 projection shortcut (BasicBlock.shortcut in the reference).
                layers.append(Layer(f"{prefix}.shortcut", channels, planes, 1, side_out))
            channels, side = planes, side_out
    layers.append(Layer("linear", 512, 10))  # after 4x4 average pooling
    return Network("ResNet-18", "kuangliu/pytorch-cifar models/resnet.py (ResNet18)",
                   tuple(layers))


def vgg9_cifar10():
    """Return VGG-9 for CIFAR-10 (FedMA's ``ModerateCNN``: 6 convolutions, 3 linear layers)."""
    layers = []
    channels, side = 3, 32
    for planes in (32, 64, "M", 128, 128, "M", 256, 256, "M"):
        if planes == "M":  # 2x2 max pooling, stride 2
            side //= 2
            continue
        layers.append(Layer(f"conv{len(layers) + 1}", channels, planes, 3, side))
        channels = planes
    features = channels * side * side  # 256 x 4 x 4 = 4096
    for index, (fan_in, fan_out) in enumerate(((features, 512), (512, 512), (512, 10)), 1):
        layers.append(Layer(f"fc{index}", fan_in, fan_out))
    return Network("VGG-9", "IBM/FedMA model.py (ModerateCNN), Wang et al., ICLR 2020",
                   tuple(layers))


#: The paper's evaluation networks, by the key used in reports and JSON.
NETWORKS = {"resnet18": resnet18_cifar10, "vgg9": vgg9_cifar10}


def network(name):
    """Return the network registered as ``name`` in :data:`NETWORKS`."""
    try:
        return NETWORKS[name]()
    except KeyError:
        raise ValueError(f"unknown network {name!r}; networks are "
                         f"{', '.join(sorted(NETWORKS))}") from None

