"""What the generator can build and hold: the bounds every configuration must meet.

SPEC 3 sets few upper bounds; the generated hardware and the models that simulate it add their
own. They are checked here, in one place, when a :class:`~tlcim.golden.Config` is made, so a
configuration that exists can be built, simulated and modelled, and the golden model never
accepts what the hardware cannot (the numbers come from the hardware: ``tlcim.hw.limits``
derives them from its register fields and a test keeps both in step). Each refusal names the
parameter, its bound, the value and the reason.

:data:`LIMITS`:

- ``subarrays`` at most 32: the ``VALID`` and ``NVM_UNVERIFIED`` registers hold one bit per
  subarray;
- ``rows`` at most 65536: the 16-bit row fields of the readback and verify registers;
- ``weight_sets`` (``clusters * cluster_size``) at most 65536: the 16-bit weight-set fields of
  the store/restore commands;
- ``cbls`` at most 896: an SRAM row must fit the ``SRAM_DATA<i>`` readback window (and a
  fault-map row the ``FAULT_DATA<i>`` window);
- ``compute_cells`` (``subarrays * rows * cbls``) at most 2**24: the SRAM the golden model and
  the simulations hold in memory (the paper's macro has 245,760);
- ``storage_bits`` (``subarrays * weight_sets * rows * 2 * (cbls + spare cells)``) at most
  2**31: the weight sets the behavioural subarray stores (256 MiB; the paper's are 126 Mbit).
"""

import dataclasses

from .checksum import spare_cells

__all__ = ["Limit", "LIMITS", "check_limits", "compute_cells", "storage_bits"]


def compute_cells(config):
    """Compute cells of every subarray: ``subarrays * rows * cbls``."""
    return config.subarrays * config.rows * config.cbls


def storage_bits(config):
    """Bits of every weight set of every subarray as the behavioural stub stores them: two a
    cell, the checksum's spare cells included."""
    return (config.subarrays * config.weight_sets * config.rows
            * 2 * (config.cbls + spare_cells(config.cbls)))


@dataclasses.dataclass(frozen=True)
class Limit:
    """One bound of the generator.

    Members
    -------
    name : str
        The parameter, derived value or quantity bounded.
    largest : int
        Its largest accepted value.
    reason : str
        Why: the part of the hardware (or of its models) that sets it.
    value : callable
        ``value(config)``: the bounded quantity of a configuration.
    """

    name: str
    largest: int
    reason: str
    value: object

    def check(self, config):
        """Raise ``ValueError`` if ``config`` exceeds this limit."""
        value = self.value(config)
        if value > self.largest:
            raise ValueError(f"{self.name} must be at most {self.largest:,} {self.reason}, "
                             f"not {value:,}")


#: Every limit, in the order they are checked (the cheap parameter bounds first, so the
#: derived quantities are computed from sensible values only).
LIMITS = (
    Limit("subarrays", 32, "for the register map (one VALID bit each)",
          lambda config: config.subarrays),
    Limit("rows", 1 << 16, "for the 16-bit row fields of the readback and verify registers",
          lambda config: config.rows),
    Limit("weight_sets (clusters * cluster_size)", 1 << 16,
          "for the 16-bit weight-set fields of the store/restore commands",
          lambda config: config.weight_sets),
    Limit("cbls", 896, "for the SRAM readback and fault-map register windows",
          lambda config: config.cbls),
    Limit("subarrays * rows * cbls", 1 << 24,
          "compute cells (the SRAM the golden model and the simulations hold in memory)",
          compute_cells),
    Limit("subarrays * weight_sets * rows * 2 * (cbls + spare cells)", 1 << 31,
          "bits of weight-set storage (what the behavioural subarray holds in memory)",
          storage_bits),
)


def check_limits(config):
    """Raise ``ValueError`` for the first of :data:`LIMITS` that ``config`` exceeds."""
    for limit in LIMITS:
        limit.check(config)
