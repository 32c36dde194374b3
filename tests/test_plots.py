"""tlcim.plots: the shared figure helpers refuse bad sizes and series."""

import pytest

from tlcim import plots


def test_validation_messages():
    with pytest.raises(ValueError, match="figure width must be positive, not 0"):
        plots.new_figure(0, 1)
    with plots.style():
        axes = plots.new_figure().subplots()
        with pytest.raises(ValueError, match="series 'a' must have 2 values"):
            plots.stacked_bars(axes, ["x", "y"], {"a": [1]}, ylabel="y")
