"""Error codes shared by the golden device model, the hardware status registers and the drivers.

The names are what session-script results report; the numbers are what the hardware's
``ERROR`` register holds. Both are part of the device's contract.
"""

import enum

__all__ = ["ErrorCode", "DeviceError"]


class ErrorCode(enum.IntEnum):
    """Why the device refused or failed an operation."""

    #: No error.
    NONE = 0
    #: An MVM was requested while some subarray holds no valid, complete weight set.
    WEIGHTS_INVALID = 1
    #: A weight-set index (or subarray index) is out of range; nothing changed.
    BAD_SET = 2
    #: A restore named a weight set that was never stored; the subarray's weights are invalid.
    SET_EMPTY = 3
    #: A stream packet had the wrong number of beats (early or late ``last``); it was dropped.
    BAD_LENGTH = 4
    #: A restore's checksum did not match the one taken when the set was stored.
    VERIFY_FAILED = 5
    #: Weights to be written lie outside the range of ``w_trits`` trits; nothing was written.
    BAD_WEIGHTS = 6

    @property
    def label(self):
        """The lower-case name used in session-script results (``"weights_invalid"``)."""
        return self.name.lower()


class DeviceError(Exception):
    """An operation the device refused; ``code`` says why and ``detail`` adds context."""

    def __init__(self, code, detail=""):
        self.code = ErrorCode(code)
        self.detail = detail
        super().__init__(f"{self.code.label}: {detail}" if detail else self.code.label)
