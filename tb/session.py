"""The cocotb side of the ``rtl`` target: serve :mod:`sim.script` Target calls over a socket.

:class:`sim.rtl.RtlTarget` starts a simulation running this module; the test listens on the
Unix socket named by ``TLCIM_SESSION_ADDRESS`` and executes every call with the host driver
until the target is closed.
"""

import os
from multiprocessing.connection import Listener

import cocotb

from sim.rtl import SESSION_ADDRESS, SESSION_KEY, serve


@cocotb.test()
async def session(dut):
    """Execute the calls of one ``tlcim run --target rtl`` session."""
    with Listener(os.environ[SESSION_ADDRESS], family="AF_UNIX",
                  authkey=os.environ[SESSION_KEY].encode()) as listener:
        with listener.accept() as conn:
            await serve(dut, conn)
