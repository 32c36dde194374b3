"""Small configurations several test files share, and a check of refused components."""

import gc
import warnings

import pytest
from amaranth.hdl import UnusedElaboratable

from tlcim.golden import Config

#: The store/restore tests' configuration (test_hw_nvm.py, test_hw_reram_array.py,
#: test_hw_regmap.py): 8 rows of 4 CBLs, two subarrays of two clusters of two weight sets.
NVM_TINY = Config(rows=8, active_rows=4, cbls=4, w_trits=2, adc_share=2, clusters=2,
                  cluster_size=2, subarrays=2, boot_set=1)

#: A configuration small enough for a quick iCE40 build (test_fpga.py, test_hw_uart.py).
FPGA_TINY = Config(rows=16, active_rows=4, cbls=2, x_trits=2, w_trits=1, adc_bits=3,
                   adc_share=1, clusters=1, cluster_size=1, subarrays=1)


def refused(call, message):
    """Assert that ``call()`` raises ``ValueError`` matching ``message``. The half-built
    component is never elaborated; that is the point, so its warning is silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        with pytest.raises(ValueError, match=message):
            call()
        gc.collect()
