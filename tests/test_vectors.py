"""The golden model against the reference vectors of SPEC sections 4-5 (../shared/vectors)."""

import json
import pathlib

import numpy as np
import pytest

from tlcim import golden

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "vectors"
INDEX = json.loads((VECTORS / "index.json").read_text()) if VECTORS.exists() else []


@pytest.mark.skipif(not INDEX, reason=f"reference vectors not found at {VECTORS}")
@pytest.mark.parametrize("entry", INDEX, ids=[entry["file"] for entry in INDEX])
def test_reference_vectors(entry):
    config = golden.Config.from_dict(entry["config"])
    data = np.load(VECTORS / entry["file"])
    np.testing.assert_array_equal(golden.mvm(config, data["W"], data["x"]), data["y"])
    for i, x in enumerate(data["x"]):  # one vector at a time gives the same results
        np.testing.assert_array_equal(golden.mvm(config, data["W"], x), data["y"][i])
