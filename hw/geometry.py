"""Widths and packings of the hardware, derived from a :class:`tlcim.golden.Config`.

The configuration stays the one source of truth; this module only derives, in one place, the
numbers every hardware block, the generator and the host drivers must agree on.
"""

import dataclasses
import functools
import math

from tlcim.golden import Config

__all__ = ["Geometry", "WEIGHT_BEAT_BITS"]

#: Width of a beat of the weight-load stream.
WEIGHT_BEAT_BITS = 32


def _pow2_at_least(value):
    return 1 << max(0, math.ceil(value) - 1).bit_length()


@dataclasses.dataclass(frozen=True)
class Geometry:
    """Bit-level geometry of the generated hardware for ``config``.

    Members
    -------
    config : Config
    """

    config: Config

    def __post_init__(self):
        if not isinstance(self.config, Config):
            raise TypeError(f"config must be a golden.Config, not {self.config!r}")

    @functools.cached_property
    def in_bits(self):
        """Bits of one input value on the activation stream (signed, two's complement).

        Wide enough to carry values beyond ``x_max``, so the encoder's saturation is reachable.
        """
        return 8 if self.config.x_max < 128 else 16

    @functools.cached_property
    def vector_length(self):
        """Input values of one device MVM: ``rows * subarrays``."""
        return self.config.rows * self.config.subarrays

    @functools.cached_property
    def in_lanes(self):
        """Input values per activation beat: a power of two large enough that a whole vector
        arrives within one MVM's conversion cycles (so inputs never starve the ADCs)."""
        return _pow2_at_least(self.vector_length / self.config.conversions_per_mvm)

    @functools.cached_property
    def in_beats(self):
        """Activation beats per vector; the last one is padded with zeros."""
        return -(-self.vector_length // self.in_lanes)

    @functools.cached_property
    def out_bits(self):
        """Bits of one result on the result stream: ``result_bits`` rounded up to bytes."""
        return -(-self.config.result_bits // 8) * 8

    @functools.cached_property
    def out_lanes(self):
        """Results per result beat: a power of two large enough that a result vector leaves
        within one MVM's conversion cycles."""
        return _pow2_at_least(self.config.outs / self.config.conversions_per_mvm)

    @functools.cached_property
    def out_beats(self):
        """Result beats per vector; the last one is padded with zeros."""
        return -(-self.config.outs // self.out_lanes)

    @functools.cached_property
    def row_bits(self):
        """Bits of one SRAM row: ``2 * cbls``."""
        return 2 * self.config.cbls

    @functools.cached_property
    def row_beats(self):
        """Weight-stream beats per SRAM row (the last one padded with zeros)."""
        return -(-self.row_bits // WEIGHT_BEAT_BITS)

    @functools.cached_property
    def mvm_bits(self):
        """Signed width of one subarray's MVM result (never wraps)."""
        return self.config.mvm_bound.bit_length() + 1

    @functools.cached_property
    def result_bits(self):
        """Signed width of a device result summed over subarrays (never wraps)."""
        return self.config.result_bits
