"""cocotb tests of the bulk stream transport on ``tlcim_harness`` (run by
``tests/test_tb_test_bulk.py``): results against the golden model with random stalls on both
streams, batches spanning several chunks, and the ``weights_invalid`` refusal; and a short
activation file, which must stop the simulation (``short_activation_file``, run alone).

``TLCIM_BULK_CHUNK`` sets the vectors per chunk (small, so a batch spans several).
"""

import os
import pathlib

import cocotb
import numpy as np

from tlcim import golden
from tlcim.golden.errors import DeviceError, ErrorCode
from tlcim.sim.rtl import X_FILE, harness_parameters
from tlcim.sim.transports import BulkTransport
from tlcim.tb.tb import TB, config_from_env, random_inputs, random_weights, seed_from_env


async def _tb(dut, stall):
    config = config_from_env()
    chunk = int(os.environ.get("TLCIM_BULK_CHUNK", "3"))
    tb = TB(dut, config, BulkTransport(dut, config, chunk=chunk, stall=stall))
    await tb.start()
    return tb, np.random.default_rng(seed_from_env())


@cocotb.test()
async def refusal_then_stalled_batches(dut):
    """Refused before weights are loaded (no result comes back), then a batch of several
    chunks with saturating inputs and one with requantisation, stalls on both streams."""
    tb, rng = await _tb(dut, stall=0.3)
    config = tb.config
    x = random_inputs(config, rng, 4, beyond=3)
    try:
        await tb.host.mvm(x)
    except DeviceError as error:
        assert error.code == ErrorCode.WEIGHTS_INVALID, error
    else:
        raise AssertionError("an MVM without weights was not refused")
    weights = random_weights(config, rng)
    for s, w in enumerate(weights):
        await tb.host.write(s, w)
    await tb.host.clear_counters()
    chunk = tb.transport.chunk
    x = random_inputs(config, rng, 2 * chunk + 2, beyond=3)
    y = await tb.host.mvm(x)
    np.testing.assert_array_equal(y, golden.device_mvm(config, weights, x))
    requant = {"multiplier": 3, "shift": 4, "relu": True}
    y = await tb.host.mvm(x[:chunk + 1], requant)
    expected = golden.requantise(config, golden.device_mvm(config, weights, x[:chunk + 1]),
                                 **requant)
    np.testing.assert_array_equal(y, expected)
    counters = await tb.host.counters()
    assert counters["mvms"] == 3 * chunk + 3, counters


@cocotb.test(skip=os.environ.get("TLCIM_BULK_SHORT") != "1")
async def short_activation_file(dut):
    """A chunk whose activation file holds fewer beats than announced: the harness stops the
    simulation ($fatal) instead of sending stale beats. Run alone (TLCIM_BULK_SHORT=1)."""
    from cocotb.triggers import ClockCycles, RisingEdge
    tb, _ = await _tb(dut, stall=0.0)
    record = (harness_parameters(tb.config)["X_WIDTH"] + 8) // 8   # {tlast, tdata} in bytes
    pathlib.Path(X_FILE).write_bytes(bytes(3 * record))           # three beats
    dut.bulk_beats.value = 4
    dut.bulk_start.value = 1
    await RisingEdge(dut.clk)
    dut.bulk_start.value = 0
    await ClockCycles(dut.clk, 4)
    raise AssertionError("the harness went on after a short activation file")
