"""``tlcim.regress.generate``: seeded session scripts are reproducible, valid and refuse bad seeds."""

import numpy as np
import pytest

from tlcim.golden import Config
from tlcim.golden.config import PRESETS
from tlcim.regress.generate import generate

SMALL = Config.preset("small")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_scripts_are_reproducible_and_valid(name, tmp_path, seed):
    config = Config.preset(name)
    first, again, other = generate(config, seed), generate(config, seed), generate(config, seed + 1)
    assert first.to_json() == again.to_json() and first.stall == again.stall
    assert all(np.array_equal(first.arrays[k], again.arrays[k]) for k in first.arrays)
    assert first.to_json() != other.to_json()
    ops = first.parse(config, tmp_path)   # every generated script is a valid session script
    assert len(ops) == len(first.ops)
    assert all("out" in op.source for op in ops if op.op in ("mvm", "read"))


def test_generate_refuses_bad_seeds():
    with pytest.raises(ValueError, match="seed must be a non-negative integer, not -1"):
        generate(SMALL, -1)
    with pytest.raises(ValueError, match="length must be a positive integer, not 0"):
        generate(SMALL, 0, length=0)

