"""tlcim.nn.mapping: the compact weight mapping of a network onto the device's weight sets, by
hand, packed, split into parts, and refused when it does not fit."""

import numpy as np
import pytest

from tlcim import golden
from tlcim.nn import place_network

SMALL = golden.Config.preset("small")

# Two subarrays of two compute blocks of 16 rows, 2 outputs each: four slots per weight set.
TINY_DEVICE = golden.Config(rows=32, active_rows=16, cbls=10, w_trits=5, adc_share=5,
                            subarrays=2, clusters=1, cluster_size=4)


def test_mapping_by_hand():
    mapping = place_network(TINY_DEVICE, [(48, 3), (3, 2)])
    summary = [(p.layer, p.part, p.group, p.row_blocks, p.outputs, p.tile, p.column, p.slots)
               for p in mapping.pieces]
    assert summary == [
        # 3 row blocks x outputs 0-1 spread over subarrays 0, 1, 0 in tile 0.
        (0, 0, 0, (0, 1, 2), (0, 2), 0, 0, ((0, 0), (1, 0), (0, 1))),
        # Output 2 needs three slots free in one column: tile 0 has one, so tile 1.
        (0, 0, 1, (0, 1, 2), (2, 3), 1, 0, ((0, 0), (1, 0), (0, 1))),
        # The second layer's single block fills tile 0's last free slot.
        (1, 0, 0, (0,), (0, 2), 0, 0, ((1, 1),)),
    ]
    assert mapping.tiles == 2 and mapping.device_requant(0) and mapping.device_requant(1)
    weights = [np.arange(1, 145).reshape(48, 3) % 100, np.array([[1, 2], [3, 4], [5, 6]])]
    tile0 = mapping.tile_weights(0, weights)
    np.testing.assert_array_equal(tile0[0, :16], weights[0][:16, :2])
    np.testing.assert_array_equal(tile0[1, :16], weights[0][16:32, :2])
    np.testing.assert_array_equal(tile0[0, 16:], weights[0][32:, :2])
    np.testing.assert_array_equal(tile0[1, 16:19], weights[1])
    assert not tile0[1, 19:].any()
    np.testing.assert_array_equal(mapping.tile_weights(1, weights)[0, :16, 0], weights[0][:16, 2])


def test_mapping_packs_narrow_blocks_into_free_columns():
    config = TINY_DEVICE.replace(cbls=20)  # 4 outputs per slot
    mapping = place_network(config, [(64, 2), (32, 2)])
    # The second layer's two blocks sit beside the first layer's in columns 2-3 of tile 0.
    assert mapping.tiles == 1
    assert [(p.tile, p.column, p.slots) for p in mapping.pieces] == [
        (0, 0, ((0, 0), (1, 0), (0, 1), (1, 1))), (0, 2, ((0, 0), (1, 0)))]


def test_mapping_splits_tall_layers_into_parts():
    mapping = place_network(TINY_DEVICE, [(100, 2)])  # 7 row blocks, 4 slots: parts of 3 and 4
    assert [p.row_blocks for p in mapping.pieces] == [(0, 1, 2), (3, 4, 5, 6)]
    assert mapping.parts(0) == 2 and not mapping.device_requant(0)
    assert mapping.tiles == 2


def test_mapping_refuses_what_does_not_fit():
    # "ideal": 4 slots of 8 rows x 6 outputs per set. 64 x 32: 2 parts x 6 column groups = 12
    # sets (the 2-wide groups leave 4 columns free); 32 x 10: a 6-wide group in a 13th set and
    # a 4-wide one beside a 2-wide group.
    with pytest.raises(ValueError, match=r"the network \(64 -> 32 -> 10\) needs 13 weight sets "
                                         r"but the configuration has weight_sets = clusters x "
                                         r"cluster_size = 1 x 2 = 2"):
        place_network(golden.Config.preset("ideal"), [(64, 32), (32, 10)])
    coarse = SMALL.replace(adc_bits=3)  # idle blocks would read 16 - 7 = 9
    with pytest.raises(ValueError, match="reads an idle compute block as 9, not 0"):
        place_network(coarse, [(16, 4)])
    with pytest.raises(ValueError, match=r"shapes\[1\] must be \(inputs, outputs\) of positive "
                                         r"integers, not \(4, 0\)"):
        place_network(SMALL, [(16, 4), (4, 0)])
