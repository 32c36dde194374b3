"""Cost model of TL-nvSRAM-CIM and of the paper's four baselines (``tlcim model``).

:mod:`tlcim.cost.constants` holds every sourced number; :mod:`tlcim.cost.model` computes density,
energy, throughput, area and the paper's comparisons from them; :mod:`tlcim.cost.report` writes
the ``tlcim model`` report. ``docs/cost-model.md`` explains the method.
"""

from .constants import PAPER_CONSTANTS, Constants
from .model import COMPONENTS, DESIGNS, TOLERANCE, CostModel, count_mapping, load_area
from .report import (comparisons_markdown, constants_markdown, markdown, model_command,
                     write_report)

__all__ = ["Constants", "PAPER_CONSTANTS", "DESIGNS", "COMPONENTS", "TOLERANCE", "CostModel",
           "count_mapping", "load_area", "comparisons_markdown", "constants_markdown",
           "markdown", "model_command", "write_report"]
