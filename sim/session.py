"""The cocotb side of the ``rtl`` target: serve :mod:`tlcim.sim.script` Target calls over a socket.

:class:`tlcim.sim.rtl.RtlTarget` starts a simulation running this module; the test listens on the
Unix socket named by ``TLCIM_SESSION_ADDRESS`` and executes every call with the host driver
until the target is closed.
"""

import itertools
import os
import traceback
from multiprocessing.connection import Listener

import cocotb
import numpy as np

from tlcim.golden.errors import DeviceError
from .bench import Bench, config_from_env
from .host import FaultEmulation
from .rtl import (HARNESS_TOPLEVEL, SESSION_ADDRESS, SESSION_FAULTS, SESSION_KEY, SESSION_STALL,
                  SESSION_TIMING)
from .transports import BulkTransport


@cocotb.test()
async def session(dut):
    """Execute the calls of one ``tlcim run --target rtl`` session."""
    with Listener(os.environ[SESSION_ADDRESS], family="AF_UNIX",
                  authkey=os.environ[SESSION_KEY].encode()) as listener:
        with listener.accept() as conn:
            await serve(dut, conn)


async def serve(dut, conn):
    """Serve Target calls from ``conn`` with a :class:`Host` on ``dut`` until ``close``
    (the cocotb side of :class:`tlcim.sim.rtl.RtlTarget`)."""
    config = config_from_env()  # TLCIM_CONFIG
    stall, stall_seed = os.environ.get(SESSION_STALL, "0,0").split(",")
    stall = float(stall)
    # The build decides: the bulk harness streams without per-cycle Python.
    bulk = dut._name == HARNESS_TOPLEVEL
    bench = Bench(dut, config, BulkTransport(dut, config, stall=stall) if bulk else None)
    if stall:
        # The harness's LFSR stalls the activation and result streams; cocotbext-axi's pause
        # generator stalls the others (the weight stream, and all of them without the harness).
        pattern = (np.random.default_rng(int(stall_seed)).random(4096) < stall).tolist()
        transport = bench.transport
        for endpoint in filter(None, (transport.w, transport.x, transport.y)):
            endpoint.set_pause_generator(itertools.cycle(pattern))
    await bench.start()
    host = bench.host
    await host.check_identity()
    broken = None  # a failed set-up fails every call, with its reason
    if os.environ.get(SESSION_TIMING):
        try:
            await host.program_timing(np.random.default_rng(int(os.environ[SESSION_TIMING])))
        except RuntimeError:
            broken = traceback.format_exc()
    # RTL simulation builds have the emulation-only fault port: scripts may inject faults.
    # Gate-level builds (the black-box top) have none: inject is unsupported there.
    faults = FaultEmulation(config) if os.environ.get(SESSION_FAULTS, "1") != "0" else None
    host.faults = faults
    while True:
        # Blocking here is fine: simulated time stands still until the next request.
        name, args = conn.recv()
        if name == "close":
            conn.send(("ok", None))
            return
        if broken:
            conn.send(("error", broken))
            continue
        try:
            if name == "reset":
                await host.prepare_reset()
                await bench.reset()
                host = bench.host
                host.faults = faults
                await host.boot_wait()   # the store/restore controller's boot restore
                value = None
            elif name == "counters":
                value = await host.counters()
            else:
                value = await getattr(host, name)(*args)
            conn.send(("ok", value))
        except DeviceError as error:
            conn.send(("device_error", int(error.code), error.detail))
        except NotImplementedError as error:
            conn.send(("unsupported", str(error)))
        except Exception:
            conn.send(("error", traceback.format_exc()))
