"""The testbench of ``tlcim_top``: the simulated device of :class:`tlcim.sim.bench.Bench` (clock,
reset, bus endpoints, host driver) with stall generators and seeded stimulus.

In the style of Forencich's cocotbext-axi testbenches (a ``TB`` class owning everything the
tests share), in the cocotb 2.x API. The configuration comes from ``TLCIM_CONFIG`` (its JSON),
set by :func:`tlcim.sim.rtl.run_cocotb`; the seed from ``TLCIM_SEED``.
"""

import itertools
import os

from cocotb.triggers import ClockCycles, RisingEdge
from cocotb.utils import get_sim_time

from tlcim.sim.bench import Bench, config_from_env
from tlcim.sim.transports import CLOCK_NS

__all__ = ["TB", "config_from_env", "seed_from_env", "random_weights", "random_inputs"]


def seed_from_env():
    """Return the seed of the random stimulus (``TLCIM_SEED``, printed by the pytest side)."""
    return int(os.environ.get("TLCIM_SEED", "1"))


class TB(Bench):
    """Everything a test of ``tlcim_top`` needs: a :class:`tlcim.sim.bench.Bench` (``dut``,
    ``config``, ``transport``, ``host``, ``start``, ``reset``) with waits and stall generators."""

    async def cycles(self, count):
        """Wait ``count`` clock cycles."""
        await ClockCycles(self.dut.clk, count)

    def now(self):
        """Return the current simulated time in clock cycles."""
        return get_sim_time("ns") // CLOCK_NS

    def set_stalls(self, rng, *, probability=0.3):
        """Stall every stream at random: sources pause, the sink withholds ``tready``.

        ``rng`` is a numpy generator (seeded by the test); each stream gets its own pattern.
        """
        for endpoint in (self.transport.x, self.transport.w, self.transport.y):
            pattern = (rng.random(4096) < probability).tolist()
            endpoint.set_pause_generator(itertools.cycle(pattern))

    def clear_stalls(self):
        """Stop stalling the streams."""
        for endpoint in (self.transport.x, self.transport.w, self.transport.y):
            endpoint.clear_pause_generator()

    async def rising_edges(self, signal, count):
        """Wait until ``signal`` has been seen high at ``count`` clock edges."""
        seen = 0
        while seen < count:
            await RisingEdge(self.dut.clk)
            seen += int(signal.value)


def random_weights(config, rng):
    """Return seeded random weights int [subarrays, rows, outs] within ``+-w_max``."""
    return rng.integers(-config.w_max, config.w_max + 1,
                        (config.subarrays, config.rows, config.outs))


def random_inputs(config, rng, batch, *, beyond=0):
    """Return seeded random inputs int [batch, rows * subarrays]; ``beyond`` widens the range
    past ``x_max`` by that many units, so some saturate."""
    top = config.x_max + beyond
    return rng.integers(-top, top + 1, (batch, config.rows * config.subarrays))

