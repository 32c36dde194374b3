"""cocotb: a session script through the host driver over the simulated UART of the FPGA top.

The design is :class:`tlcim.hw.uart.UARTTop` (UART, bridge, registers, datapath and behavioural
stub), built by :func:`tlcim.sim.fpga.build_emulator`; ``tests/test_tb_test_fpga_top.py`` runs this test and
compares its results with the golden target's. Environment: ``TLCIM_CONFIG`` (the
configuration), ``TLCIM_SCRIPT`` (the session script), ``TLCIM_RESULT`` (where to write the
results JSON; the script's outputs land beside it, as ``tlcim run`` writes them).
"""

import json
import os
import pathlib

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles

from tlcim.sim.fpga import cocotb_host
from tlcim.sim.script import execute, load_script
from tlcim.sim.transports import CLOCK_NS
from tlcim.tb.tb import config_from_env


@cocotb.test()
async def session(dut):
    """Reset, check the bridge and the device identity, then run the script."""
    config = config_from_env()
    Clock(dut.clk, CLOCK_NS, unit="ns").start()
    dut.rx.value = 1
    dut.rst.value = 1
    await ClockCycles(dut.clk, 4)
    dut.rst.value = 0
    host, port = cocotb_host(config, dut)
    port.start()
    await host.transport.link.ping()
    await host.check_identity()
    ops = load_script(config, os.environ["TLCIM_SCRIPT"])
    result = await execute(ops, host)
    port.close()
    # Write what `tlcim run` writes: the outputs where the script names them, then the entries.
    for path, array in result.outputs.items():
        np.save(path, array)
    pathlib.Path(os.environ["TLCIM_RESULT"]).write_text(json.dumps(result.entries))
