"""The generated top level as a device inside a cocotb simulation: clock, reset, host driver.

:class:`Bench` is what the ``rtl`` target's session server (:mod:`tlcim.sim.session`) and every
testbench of ``tlcim_top`` (:class:`tlcim.tb.tb.TB` adds stimulus helpers to it) share. The
configuration reaches the simulation as ``TLCIM_CONFIG`` (its JSON), set by
:func:`tlcim.sim.rtl.run_cocotb`.
"""

import json
import os

from cocotb.clock import Clock

from tlcim.golden import Config
from .host import Host
from .transports import CLOCK_NS, CocotbTransport

__all__ = ["config_from_env", "Bench"]


def config_from_env():
    """Return the :class:`tlcim.golden.Config` the simulation was started with."""
    return Config.from_dict(json.loads(os.environ["TLCIM_CONFIG"]))


class Bench:
    """A simulated ``tlcim_top`` (or the bulk harness around it) with its host driver.

    Parameters
    ----------
    dut : the cocotb handle of the top level
    config : Config, optional
        Default: :func:`config_from_env`.
    transport : Transport, optional
        Default: :class:`tlcim.sim.transports.CocotbTransport` on ``dut``.

    Members
    -------
    dut, config, transport, host (:class:`tlcim.sim.host.Host`, replaced at every reset)
    """

    def __init__(self, dut, config=None, transport=None):
        self.dut = dut
        self.config = config or config_from_env()
        self.transport = transport or CocotbTransport(dut)
        self.host = Host(self.config, self.transport)
        self._clock = None

    async def start(self):
        """Start the clock and reset the design."""
        self._clock = Clock(self.dut.clk, CLOCK_NS, unit="ns")
        self._clock.start()
        await self.reset()

    async def reset(self, cycles=4):
        """Hold ``rst`` for ``cycles`` cycles; the host forgets its cached settings."""
        await self.transport.reset(cycles)
        self.host = Host(self.config, self.transport)
