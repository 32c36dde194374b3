"""Small configurations several test files share, a check of refused components, the
Amaranth simulation runner that honours the waveform switch, and the check that the sign-off
flow's system packages are installed."""

import gc
import os
import warnings

import pytest
from amaranth.hdl import UnusedElaboratable

from tlcim.golden import Config
from tlcim.sim.waves import run_simulation

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


def simulate(simulator):
    """Run an Amaranth ``simulator`` to the end; with ``TLCIM_WAVES=1`` it records
    ``build/waves/<test id>.vcd`` and prints the path (:func:`tlcim.sim.waves.run_simulation`)."""
    run_simulation(simulator, os.environ.get("PYTEST_CURRENT_TEST", "simulation").split(" ")[0])


def require_system_tools(*, icarus=False):
    """Skip the test when the sign-off flow's system packages (osu018, OpenSTA, ABC; Icarus
    with ``icarus``) are missing, naming ``make system-deps``; with ``CI`` set, fail instead:
    CI must run these tests, not skip them."""
    from tlcim.signoff.library import missing_tools
    reasons = missing_tools(icarus=icarus)
    if reasons:
        message = "; ".join(reasons) + " (run `make system-deps` as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
