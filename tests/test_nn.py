"""The digits network on the device model: training, quantisation, mapping, inference, CLI."""

import asyncio
import json

import numpy as np
import pytest

from tlcim import golden
from tlcim import cli
from tlcim.nn import (TrainSettings, input_integers, load_digits, load_or_train,
                      place_network, quantise, requant_params, run_network, software_logits,
                      train_mlp)
from tlcim.nn.evaluate import evaluate
from tlcim.nn.run import run_on_target, run_session

# A few epochs are enough to test determinism and caching in milliseconds.
TINY = TrainSettings(hidden=8, epochs=2, ternary_epochs=1)
SMALL = golden.Config.preset("small")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The default network (about a second to train), cached in a temporary folder."""
    return load_or_train(TrainSettings(), tmp_path_factory.mktemp("nn-cache"))


# -- data and training -------------------------------------------------------------------------

def test_digits_split_is_fixed():
    train_x, train_y, test_x, test_y = load_digits()
    assert train_x.shape == (1437, 64) and test_x.shape == (360, 64)
    assert set(np.unique(test_y)) == set(range(10))
    assert load_digits()[2] is test_x  # one split shared by every caller
    assert not test_x.flags.writeable


def test_input_integers_scale_to_x_max():
    np.testing.assert_array_equal(input_integers([0, 1, 8, 16], 121), [0, 8, 61, 121])
    np.testing.assert_array_equal(input_integers([0, 8, 16], 13), [0, 7, 13])
    with pytest.raises(ValueError, match=r"pixels must lie in 0\.\.16, not 0\.\.17"):
        input_integers([0, 17], 121)
    with pytest.raises(ValueError, match="x_max must be a positive integer, not 0"):
        input_integers([0], 0)


def test_training_is_deterministic_per_seed():
    first, second = train_mlp(TINY), train_mlp(TINY)
    other = train_mlp(TrainSettings(hidden=8, epochs=2, ternary_epochs=1, seed=1))
    for name in ("float", "ternary"):
        for a, b, c in zip(first[name], second[name], other[name]):
            np.testing.assert_array_equal(a, b)
            assert not np.array_equal(a, c)
    assert [w.shape for w in first["float"]] == [(64, 8), (8, 10)]


def test_trained_weights_are_cached_by_settings(tmp_path, monkeypatch):
    import tlcim.nn.train
    result = load_or_train(TINY, tmp_path)
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == [f"digits-mlp-{TINY.key()}.npz"]
    with monkeypatch.context() as patch:  # loading must not train again
        patch.setattr(tlcim.nn.train, "train_mlp", lambda settings: pytest.fail("retrained"))
        again = load_or_train(TINY, tmp_path)
        for a, b in zip(result["float"] + result["ternary"],
                        again["float"] + again["ternary"]):
            np.testing.assert_array_equal(a, b)
    assert TrainSettings(seed=1).key() != TrainSettings(seed=2).key()
    files[0].write_bytes(b"not an npz")  # a damaged cache entry is retrained
    np.testing.assert_array_equal(load_or_train(TINY, tmp_path)["float"][0], result["float"][0])


@pytest.mark.parametrize("kwargs, message", [
    ({"hidden": 0}, "hidden must be an integer of at least 1, not 0"),
    ({"seed": -1}, "seed must be an integer of at least 0, not -1"),
    ({"rate": 0}, "rate must be a positive number, not 0"),
])
def test_train_settings_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainSettings(**kwargs)


# -- quantisation ------------------------------------------------------------------------------

def test_requant_params_approximate_the_ratio():
    assert requant_params(0.5) == {"multiplier": 128, "shift": 8, "relu": True}
    params = requant_params(3.7e-4, relu=False)
    assert params["multiplier"] <= 255 and params["multiplier"] >= 128
    assert params["multiplier"] / 2 ** params["shift"] == pytest.approx(3.7e-4, rel=1 / 128)
    assert requant_params(1000.0)["multiplier"] == 255  # saturates, shift 0
    with pytest.raises(ValueError, match="ratio must be a positive finite number, not 0"):
        requant_params(0)


def test_quantisation_scales(trained):
    x = input_integers(load_digits()[0], SMALL.x_max)
    net = quantise(SMALL, trained, "trunc8")
    w1, w2 = (layer.weights for layer in net.layers)
    # 8-bit codes reach 127 at the largest weight; truncation to 5 trits clips to 121.
    assert np.abs(w1).max() == SMALL.w_max and np.abs(w2).max() == SMALL.w_max
    assert net.layers[0].scale == pytest.approx(np.abs(trained["float"][0]).max() / 127)
    assert net.layers[1].requant is None
    hidden = golden.requantise(SMALL, x @ w1, **net.layers[0].requant)
    assert hidden.min() == 0 and hidden.max() == SMALL.x_max  # ReLU, full x_trits range
    assert np.mean(hidden == SMALL.x_max) < 0.005  # only the top 0.1 % of activations clip
    ternary = quantise(SMALL, trained, "ternary")
    assert set(np.unique(np.concatenate([l.weights.ravel() for l in ternary.layers]))) \
        == {-1, 0, 1}
    # The exact-product path is what golden.layer gives with an ideal ADC.
    from tlcim.nn import forward
    ideal = SMALL.replace(adc_bits=None)
    x_test = input_integers(load_digits()[2][:30], SMALL.x_max)
    np.testing.assert_array_equal(
        software_logits(net, x_test, adc=False),
        forward(net, x_test, lambda config, w, x: golden.layer(ideal, w, x)))
    with pytest.raises(ValueError, match="method must be one of trunc8, ternary, not 'int4'"):
        quantise(SMALL, trained, "int4")


# -- mapping -----------------------------------------------------------------------------------

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


# -- inference ---------------------------------------------------------------------------------

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


def test_accuracy_above_floor(tmp_path):
    report, logits = evaluate(SMALL, "golden", limit=100, cache=tmp_path)
    assert report["float"] > 0.93
    methods = report["methods"]
    assert methods["trunc8"]["golden"] > 0.93 and methods["ternary"]["golden"] > 0.88
    assert report["golden"] == methods["trunc8"]["golden"]
    assert all(entry["logits_equal_golden_layer"] for entry in methods.values())
    assert all(entry["weights_path"] == "store/restore" for entry in methods.values())
    assert logits["trunc8"].shape == (100, 10)
    with pytest.raises(ValueError, match="limit must be a positive integer, not 0"):
        evaluate(SMALL, None, limit=0, cache=tmp_path)


# -- restore misreads against cluster size ------------------------------------------------------

def test_fault_study_follows_the_misread_rates(tmp_path):
    from tlcim.nn.faults import ROW_ERROR_BINS, fault_study
    study = fault_study(SMALL, limit=40, sizes=(1, 64, 100), cache=tmp_path)
    assert study["restore_yield"][0] > 0.999 and study["restore_yield"][2] < 0.5
    clean, _ = evaluate(SMALL, None, limit=40, cache=tmp_path)
    for method, policies in study["methods"].items():
        off, on = policies["unverified"], policies["enforced"]
        # No misreads at 1 per cluster: every restore exact, the clean accuracy either way.
        assert off["corrupted"][0] == off["detected"][0] == on["rejected"][0] == 0
        assert off["detection_rate"][0] is None
        assert off["accuracy"][0] == on["accuracy"][0] == clean["methods"][method]["quantised_adc"]
        # The checksum flags every corrupted restore: at 64 per cluster (rows with one or
        # two misreads) and at 100 (many per row, every restore corrupted).
        assert off["corrupted"][1] > 0 and off["detection_rate"][1] == 1.0
        assert off["corrupted"][2] == off["restores"][2] > 0 and off["detection_rate"][2] == 1.0
        few = [off["by_row_errors"][1][key] for key in ROW_ERROR_BINS[:2]]
        assert sum(corrupted for _, corrupted in few) > 0
        assert all(detected == corrupted for detected, corrupted in few)
        assert off["by_row_errors"][2]["3+"][0] == off["by_row_errors"][2]["3+"][1] > 0
        # Used anyway, the corrupted weights lose accuracy as clusters grow (Fig. 10).
        assert off["accuracy"][0] >= off["accuracy"][1] > off["accuracy"][2]
        assert off["accuracy"][2] < 0.7
        # Enforced: nothing corrupted gets through; the tiles are refused, batches unanswered.
        assert on["let_through"] == [0, 0, 0]
        assert on["refused"][2] > 0 and on["answered"][2] == 0 == on["accuracy"][2]
        assert on["rejected"][2] == on["restores"][2] == on["refused"][2] * study["attempts"]


class _Flaky:
    """A target whose integrity check flags the first restore; every read-back is wrong."""

    def __init__(self, image):
        self.calls, self.image = 0, image

    async def restore(self, subarray, set):
        from tlcim.golden.errors import DeviceError, ErrorCode
        self.calls += 1
        if self.calls == 1:
            raise DeviceError(ErrorCode.VERIFY_FAILED, "checksum")

    async def read(self, subarray):
        return self.image[0] + 1


def test_restore_monitor_counts_detections():
    from tlcim.nn.faults import RestoreMonitor, RestoreRefused
    image = np.zeros((1, 2, 2), dtype=np.int64)
    enforced = RestoreMonitor({0: image}, attempts=2)
    asyncio.run(enforced(_Flaky(image), 0))
    assert (enforced.restores, enforced.rejected, enforced.let_through) == (2, 1, 1)
    refused = RestoreMonitor({0: image}, attempts=1)
    with pytest.raises(RestoreRefused, match="tile 0 failed verification 1 times"):
        asyncio.run(refused(_Flaky(image), 0))
    assert refused.refused == 1
    unverified = RestoreMonitor({0: image}, policy="unverified")
    flaky = _Flaky(image)
    asyncio.run(unverified(flaky, 0))  # flagged and wrong: detected
    asyncio.run(unverified(flaky, 0))  # passed but wrong: missed
    assert (unverified.restores, unverified.corrupted, unverified.detected) == (2, 2, 1)
    assert unverified.detection_rate == 0.5 and unverified.false_alarms == 0
    with pytest.raises(ValueError, match="policy must be one of unverified, enforced, not 'x'"):
        RestoreMonitor({0: image}, policy="x")
    with pytest.raises(ValueError, match="attempts must be a positive integer, not 0"):
        RestoreMonitor({0: image}, attempts=0)


# -- command line ------------------------------------------------------------------------------

def test_cli_infer(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the trained weights are cached under ./build/nn
    assert cli.main(["infer", "--config", "small", "--limit", "12", "--out", "result"]) == 0
    report = json.loads((tmp_path / "result" / "accuracy.json").read_text())
    assert {"float", "quantised", "golden"} <= set(report)
    assert all(0 <= report[key] <= 1 for key in ("float", "quantised", "golden"))
    assert report["samples"] == 12
    assert np.load(tmp_path / "result" / "logits_golden_trunc8.npy").shape == (12, 10)
    assert list((tmp_path / "build" / "nn").glob("digits-mlp-*.npz"))
    assert "trunc8" in capsys.readouterr().out
    assert cli.main(["infer", "--config", "small", "--limit", "12", "--out", "faults",
                     "--faults"]) == 0
    study = json.loads((tmp_path / "faults" / "faults.json").read_text())
    for policy in ("unverified", "enforced"):
        accuracies = study["methods"]["ternary"][policy]["accuracy"]
        assert len(accuracies) == len(study["cluster_sizes"])
        assert all(0 <= a <= 1 for a in accuracies)
    assert "ternary detection rate" in capsys.readouterr().out
    svg = (tmp_path / "faults" / "accuracy_vs_cluster_size.svg").read_bytes()
    assert (tmp_path / "faults" / "accuracy_vs_cluster_size.png").stat().st_size > 0
    assert cli.main(["infer", "--config", "small", "--limit", "12", "--out", "faults",
                     "--faults"]) == 0
    assert (tmp_path / "faults" / "accuracy_vs_cluster_size.svg").read_bytes() == svg
    assert cli.main(["infer", "--config", "ideal", "--limit", "4"]) == 2
    assert "needs 13 weight sets" in capsys.readouterr().err


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
