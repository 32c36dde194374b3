"""tlcim.sim.fpga: the ``fpga:<serial port>`` target of ``tlcim run`` refuses a missing or
unopenable port (its byte protocol over a simulated UART: test_hw_uart.py)."""

import pytest

from tlcim.golden import Config
from tlcim.sim.fpga import open_target


def test_fpga_target_needs_a_port(tmp_path):
    config = Config.preset("ice40")
    with pytest.raises(ValueError, match=r"target 'fpga' needs a serial port"):
        open_target(config, None)
    with pytest.raises(ValueError, match=r"cannot open serial port '.*no-such-tty'"):
        open_target(config, str(tmp_path / "no-such-tty"))
