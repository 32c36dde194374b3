"""tlcim.nn.train: training the digits network; deterministic per seed, cached by settings,
settings validated."""

import numpy as np
import pytest

from tlcim.nn import TrainSettings, load_or_train, train_mlp

# A few epochs are enough to test determinism and caching in milliseconds.
TINY = TrainSettings(hidden=8, epochs=2, ternary_epochs=1)


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
