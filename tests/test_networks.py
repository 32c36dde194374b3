"""tlcim.networks: the layer shapes of the paper's evaluation networks (sizes as the paper gives
them), and their messages."""

import pytest

from tlcim.golden import Config
from tlcim.cost import count_mapping
from tlcim.networks import Layer, network, resnet18_cifar10, vgg9_cifar10


def test_networks_match_the_papers_sizes():
    resnet, vgg = resnet18_cifar10(), vgg9_cifar10()
    assert resnet.weights == 11_164_352      # "ResNet-18 11 MB" at 8 bit
    assert vgg.weights == 3_489_632          # "VGG-9 3 MB" at 8 bit
    assert resnet.macs == 555_422_720
    assert [layer.name for layer in vgg.layers][-3:] == ["fc1", "fc2", "fc3"]
    assert vgg.layers[6].c == 4096           # 256 channels x 4 x 4 after three poolings
    assert len(resnet.layers) == 21          # 17 + 3 shortcuts + linear
    # The paper's macro holds all of ResNet-18 (11.8 MB).
    assert count_mapping(Config(), resnet)["fits"]


def test_validation_messages():
    with pytest.raises(ValueError, match="layer 'x': c must be a positive integer, not 0"):
        Layer("x", 0, 4)
    with pytest.raises(ValueError, match="unknown network 'lenet'; networks are resnet18, vgg9"):
        network("lenet")
