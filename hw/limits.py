"""What the generated hardware can hold: the limits a configuration must meet to be built.

A :class:`tlcim.golden.Config` follows the architecture's rules (SPEC 3), which set no upper
bounds on most sizes. The generated hardware adds bounds of its own: register fields and
windows sized once for every configuration. :func:`check_buildable` checks them all, in one
place, before anything is built or generated; each refusal names the parameter, its limit, the
value given and the reason.

The limits (:data:`LIMITS`):

- ``subarrays`` at most 32: the ``VALID`` and ``NVM_UNVERIFIED`` registers hold one bit per
  subarray (so the 8-bit subarray fields of the commands and selects never overflow);
- ``rows`` at most 65536: the 16-bit row fields of ``NVM_ERROR_AT``, ``SRAM_READ`` and
  ``FAULT_SEL``;
- ``weight_sets`` (``clusters * cluster_size``) at most 65536: the 16-bit set fields of
  ``NVM_CMD`` and ``NVM_SET<s>``;
- ``cbls`` at most 896: an SRAM row must fit the ``SRAM_DATA<i>`` readback window (and a
  fault-map row the emulation-only ``FAULT_DATA<i>`` window).
"""

import dataclasses

from tlcim.golden import Config
from .interfaces import command_layout, fault_words_count
from .regmap import FAULT_DATA_WORDS, READBACK_DATA_WORDS
from .registers import DATA_BITS

__all__ = ["Limit", "LIMITS", "check_buildable"]


@dataclasses.dataclass(frozen=True)
class Limit:
    """One bound of the generated hardware.

    Members
    -------
    parameter : str
        The :class:`~tlcim.golden.Config` parameter or derived value it bounds.
    largest : int
        Its largest buildable value.
    reason : str
        Why, naming the part of the hardware that sets it.
    label : str
        How messages name the value (default ``parameter``).
    """

    parameter: str
    largest: int
    reason: str
    label: str = ""

    def check(self, config):
        """Raise ``ValueError`` if ``config`` exceeds this limit."""
        value = getattr(config, self.parameter)
        if value > self.largest:
            raise ValueError(f"{self.label or self.parameter} must be at most {self.largest} "
                             f"{self.reason}, not {value!r}")


_FIELDS = command_layout()
# An SRAM row is 2 * cbls bits, 16 cells to a readback word.
_LARGEST_CBLS = 16 * READBACK_DATA_WORDS

#: Every limit, in the order they are checked.
LIMITS = (
    Limit("subarrays", DATA_BITS, "for the register map (one VALID bit each)"),
    Limit("rows", 1 << 16, "for the 16-bit row fields of the readback and verify registers"),
    Limit("weight_sets", 1 << _FIELDS["set"].shape.width,
          f"for the {_FIELDS['set'].shape.width}-bit weight-set fields of the store/restore "
          f"commands", "weight_sets (clusters * cluster_size)"),
    Limit("cbls", _LARGEST_CBLS, "for the SRAM readback and fault-map register windows"),
)

# What the limits above imply, checked once: the subarray fields (8 bits) never overflow, and
# the widest readback row's fault-map row (cells with their spares) fits its window too.
assert DATA_BITS <= 1 << _FIELDS["subarray"].shape.width
assert fault_words_count(Config(rows=1, active_rows=1, cbls=_LARGEST_CBLS, w_trits=1,
                                adc_share=1, clusters=1, cluster_size=1, subarrays=1)) \
    <= FAULT_DATA_WORDS


def check_buildable(config):
    """Raise ``ValueError`` for the first :data:`LIMITS` entry ``config`` exceeds.

    Raises
    ------
    TypeError
        If ``config`` is not a :class:`tlcim.golden.Config`.
    ValueError
        ``"<parameter> must be at most <largest> <reason>, not <value>"``.
    """
    if not isinstance(config, Config):
        raise TypeError(f"config must be a tlcim.golden.Config, not {config!r}")
    for limit in LIMITS:
        limit.check(config)
