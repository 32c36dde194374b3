"""tlcim.nn.run: inference through a target; the golden target gives the software tiling's
logits (quantised and random networks, targets without weight sets), and so does the RTL."""

import asyncio

import numpy as np
import pytest

from tlcim import golden
from tlcim.nn import (input_integers, load_digits, place_network, quantise, run_network,
                      software_logits)
from tlcim.nn.run import run_on_target, run_session

SMALL = golden.Config.preset("small")


def _run(config, net, x, **kwargs):
    async def session(target):
        return await run_network(target, place_network(config, net.shapes), net, x, **kwargs)
    return run_session(config, "golden", session)


def test_golden_target_equals_software_tiling(trained):
    x = input_integers(load_digits()[2][:48], SMALL.x_max)
    for method in ("trunc8", "ternary"):
        net = quantise(SMALL, trained, method)
        logits = _run(SMALL, net, x, batch=20)  # batches of 20, 20 and 8
        np.testing.assert_array_equal(logits, software_logits(net, x))


def test_targets_without_weight_sets_get_tiles_written(trained):
    from tlcim.sim.script import GoldenTarget
    x = input_integers(load_digits()[2][:30], SMALL.x_max)
    net = quantise(SMALL, trained, "trunc8")

    class NoWeightSets(GoldenTarget):
        async def store(self, subarray, set):
            raise NotImplementedError("no store")

        async def restore(self, subarray, set):
            raise AssertionError("restore after a failed store")

    logits, path = asyncio.run(run_on_target(NoWeightSets(SMALL), place_network(SMALL, net.shapes),
                                             net, x, batch=16))
    assert path == "write"
    np.testing.assert_array_equal(logits, software_logits(net, x))


@pytest.mark.parametrize("preset, shapes, on_device", [
    # "ternary": 4-bit ADC with 2 units per code, so the ADC changes results; 1-trit weights.
    ("ternary", [(100, 30), (30, 10)], True),
    # "ideal" with 8 sets: one subarray of 4 slots, so the 70-row layer has two parts, added
    # and requantised on the host.
    ("ideal", [(70, 9), (9, 4)], False),
])
def test_golden_target_on_random_networks(rng, preset, shapes, on_device):
    from tlcim.nn import QuantisedLayer, QuantisedNet
    config = golden.Config.preset(preset).replace(cluster_size=8)
    weights = [rng.integers(-config.w_max, config.w_max + 1, shape) for shape in shapes]
    requant = {"multiplier": 3, "shift": 6, "relu": True}
    net = QuantisedNet(config, "random", (QuantisedLayer(weights[0], 1.0, requant),
                                          QuantisedLayer(weights[1], 1.0, None)))
    assert place_network(config, net.shapes).device_requant(0) == on_device
    x = rng.integers(-config.x_max, config.x_max + 1, (20, shapes[0][0]))
    logits = _run(config, net, x, batch=8)
    np.testing.assert_array_equal(logits, software_logits(net, x))
    exact = software_logits(net, x, adc=False)
    # The lossy ADC changes results (so the equality above covers it); the ideal one cannot.
    assert np.array_equal(logits, exact) == config.adc.is_ideal


def test_rtl_logits_equal_golden(tmp_path, trained):
    """The RTL runs the digits network with the same logits as golden (builds the Verilog)."""
    from tlcim.sim.rtl import simulator_missing
    missing = simulator_missing("verilator")
    if missing:
        pytest.skip(f"verilator unavailable: {missing}")
    x = input_integers(load_digits()[2][:6], SMALL.x_max)
    for method in ("trunc8", "ternary"):
        net = quantise(SMALL, trained, method)

        async def session(target):
            return await run_on_target(target, place_network(SMALL, net.shapes), net, x, batch=3)

        logits, _ = run_session(SMALL, "rtl", session)
        np.testing.assert_array_equal(logits, software_logits(net, x))
