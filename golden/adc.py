"""The ADC of a subarray, described once: ideal or a flash converter of ``adc_bits``.

SPEC 5 defines its transfer, ``code = min(floor(D / adc_lsb), 2**adc_bits - 1)`` for a CBL
discharge ``D`` in ``0 .. 2 * active_rows`` (an ideal ADC returns ``D``). Everything that depends
on the converter asks an :class:`Adc` (``Config.adc``): the golden arithmetic its codes, the
hardware the width of a code word and the largest code a discharge can reach, the cost model
and the sweep its comparators and how its energy and area scale from the paper's 5-bit ADC.
"""

import dataclasses

import numpy as np

__all__ = ["IDEAL", "PAPER_BITS", "Adc"]

#: How configuration files and grids spell an ideal ADC (TOML has no null).
IDEAL = "ideal"
#: Resolution of the paper's flash ADC, to which its energy and area figures belong (SPEC 1).
PAPER_BITS = 5


@dataclasses.dataclass(frozen=True)
class Adc:
    """One ADC: its resolution, its step and the largest discharge it sees.

    Members
    -------
    bits : int or None
        Resolution; ``None`` for an ideal ADC.
    lsb : int
        Discharge units per code (1 for an ideal ADC).
    full_scale : int
        The largest discharge of a CBL, ``2 * active_rows`` (every product -1).
    """

    bits: int | None
    lsb: int
    full_scale: int

    @staticmethod
    def parse_bits(value):
        """Return ``adc_bits`` as given in a file: the string ``"ideal"`` means ``None``;
        anything else is returned unchanged (the configuration checks it)."""
        return None if value == IDEAL else value

    @staticmethod
    def spell_bits(bits):
        """Return ``adc_bits`` as files write it: ``"ideal"`` for ``None``."""
        return IDEAL if bits is None else bits

    @property
    def is_ideal(self):
        """Whether the ADC is ideal (it returns the discharge itself)."""
        return self.bits is None

    @property
    def max_code(self):
        """Largest code: ``2**bits - 1``, or ``full_scale`` for an ideal ADC."""
        return self.full_scale if self.is_ideal else 2 ** self.bits - 1

    @property
    def code_bits(self):
        """Bits of a code word: ``bits``, or enough for ``full_scale`` if ideal."""
        return self.max_code.bit_length()

    @property
    def reachable_code(self):
        """Largest code a discharge can produce: ``min(max_code, full_scale // lsb)``.

        Below ``max_code`` when the step is coarse enough that the discharge never reaches the
        top code; sums of codes are sized for this, not for the code word.
        """
        return min(self.max_code, self.full_scale // self.lsb)

    @property
    def comparators(self):
        """Comparators of a flash converter with ``code_bits`` bits: ``2**code_bits - 1``
        (an ideal ADC is costed as the flash converter just wide enough for its codes)."""
        return 2 ** self.code_bits - 1

    @property
    def cost_scale(self):
        """Energy and area per conversion relative to the paper's 5-bit flash ADC: a flash
        converter's cost scales with its comparators (31 for the paper's)."""
        return self.comparators / (2 ** PAPER_BITS - 1)

    def code(self, discharge):
        """Return the codes of CBL discharges ``D`` (SPEC 5): ``min(D // lsb, max_code)``."""
        return np.minimum(np.asarray(discharge) // self.lsb, self.max_code)
