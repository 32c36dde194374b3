"""Where the generator's limits come from in the hardware.

The bounds every configuration must meet are checked once, when a
:class:`tlcim.golden.Config` is made (:mod:`tlcim.golden.limits`), so that the golden model never
accepts what the hardware cannot build. The golden model may not import the hardware, so its
numbers are stated there; :func:`hardware_limits` derives the same numbers from the hardware's
own register fields and windows, and a test holds the two equal: widen a field here and the
test says which bound in ``tlcim.golden.limits`` to raise.
"""

from tlcim.golden import Config
from .interfaces import command_layout, fault_words_count
from .regmap import FAULT_DATA_WORDS, READBACK_DATA_WORDS, register_map
from .registers import DATA_BITS

__all__ = ["hardware_limits"]


def hardware_limits():
    """Return ``{parameter: largest value}`` as the hardware's register fields and windows set
    them: ``subarrays`` (one ``VALID`` bit each), ``rows`` (the row fields of ``SRAM_READ``,
    ``FAULT_SEL`` and ``NVM_ERROR_AT``), ``weight_sets`` (the set field of a store/restore
    command and of ``NVM_SET<s>``) and ``cbls`` (the ``SRAM_DATA<i>`` readback window, whose
    widest row's fault-map row must also fit the ``FAULT_DATA<i>`` window)."""
    regmap = register_map(Config.preset("small"))
    rows = min(regmap[name].field("row").width for name in ("SRAM_READ", "FAULT_SEL",
                                                           "NVM_ERROR_AT"))
    sets = min(command_layout()["set"].shape.width, regmap["NVM_SET0"].field("set").width)
    cbls = 16 * READBACK_DATA_WORDS          # a readback word holds 16 cells (32 bits)
    widest = Config(rows=1, active_rows=1, cbls=cbls, w_trits=1, adc_share=1, clusters=1,
                    cluster_size=1, subarrays=1)
    if fault_words_count(widest) > FAULT_DATA_WORDS:
        cbls = max(c for c in range(1, cbls) if fault_words_count(widest.replace(cbls=c))
                   <= FAULT_DATA_WORDS)
    return {"subarrays": min(DATA_BITS, 1 << command_layout()["subarray"].shape.width),
            "rows": 1 << rows, "weight_sets": 1 << sets, "cbls": cbls}
