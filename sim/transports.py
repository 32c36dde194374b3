"""The host driver's transports inside a cocotb simulation of the generated Verilog.

:class:`CocotbTransport` moves registers, weight packets and both streams through
cocotbext-axi on ``tlcim_top``. :class:`BulkTransport` (the ``rtl`` target's default) keeps
registers and weight packets on cocotbext-axi but moves the streams in bulk through the
simulation-only harness ``sim/tlcim_harness.v`` (:func:`tlcim.sim.rtl.build_harness`): it writes a
chunk of activation beats to a file and pulses ``bulk_start``; the harness loads them with
``$fread``, sends them on ``s_axis_x`` and captures the ``m_axis_y`` beats, with an optional
LFSR stall pattern on both streams; the transport waits for ``bulk_done`` (one Python wake-up
per chunk) and reads the captured beats back through ``$writememh``.
"""

import logging
import pathlib

import numpy as np

from tlcim.hw.geometry import Geometry
from .host import Transport
from .rtl import CHUNK_VECTORS, X_FILE, Y_FILE, harness_parameters

__all__ = ["CLOCK_NS", "CocotbTransport", "BulkTransport"]

#: Clock period in ns (the timescale is 1ns/1ps).
CLOCK_NS = 10


class CocotbTransport(Transport):
    """The host driver's transport in a cocotb simulation, through cocotbext-axi.

    Parameters
    ----------
    dut : the cocotb handle of ``tlcim_top``
    streams : bool
        Whether to drive the activation and result streams (False: a subclass moves them
        another way, e.g. :class:`BulkTransport`; ``x`` and ``y`` are None).
    """

    def __init__(self, dut, *, streams=True):
        from cocotbext.axi import (AxiLiteBus, AxiLiteMaster, AxiStreamBus, AxiStreamSink,
                                   AxiStreamSource)
        self.dut = dut
        for prefix in ("s_axil", "s_axis_x", "s_axis_w", "m_axis_y"):
            # Per-transaction info logs cost time and bury the test output.
            logging.getLogger(f"cocotb.{dut._name}.{prefix}").setLevel(logging.WARNING)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        self.w = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_w"), dut.clk, dut.rst)
        self.x = self.y = None
        if streams:
            self.x = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_x"), dut.clk,
                                     dut.rst)
            self.y = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis_y"), dut.clk, dut.rst)

    async def read(self, address):
        from cocotbext.axi.constants import AxiResp
        response = await self.axil.read(address, 4)
        if response.resp != AxiResp.OKAY:
            raise RuntimeError(f"read of {address:#05x} answered {response.resp.name}")
        return int.from_bytes(response.data, "little")

    async def write(self, address, value):
        from cocotbext.axi.constants import AxiResp
        response = await self.axil.write(address, value.to_bytes(4, "little"))
        if response.resp != AxiResp.OKAY:
            raise RuntimeError(f"write of {address:#05x} answered {response.resp.name}")

    async def send_weights(self, subarray, frame):
        from cocotbext.axi import AxiStreamFrame
        await self.w.send(AxiStreamFrame(frame, tdest=subarray))
        await self.w.wait()

    async def send_vectors(self, frames):
        for frame in frames:
            self.x.send_nowait(frame)

    async def flush(self):
        await self.x.wait()

    async def receive_vectors(self, count, *, timeout_cycles):
        from cocotb.triggers import ClockCycles, First
        frames = []
        while len(frames) < count:
            if not self.y.empty():
                frames.append(bytes(self.y.recv_nowait().tdata))
                continue
            # Sleep until a frame arrives, or give up after timeout_cycles without one.
            waited = await First(self.y.active_event.wait(),
                                 ClockCycles(self.dut.clk, timeout_cycles))
            if self.y.empty() and isinstance(waited, ClockCycles):
                break
            if self.y.empty():
                await ClockCycles(self.dut.clk, 1)
        return frames

    async def discard(self, cycles):
        from cocotb.triggers import ClockCycles
        await ClockCycles(self.dut.clk, cycles)
        dropped = self.y.count()
        self.y.clear()
        return dropped

    async def reset(self, cycles=4):
        """Hold ``rst`` for ``cycles`` clock cycles (the cocotbext-axi endpoints drop their
        queues with it)."""
        from cocotb.triggers import RisingEdge
        self.dut.rst.value = 1
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)
        for endpoint in filter(None, (self.x, self.w, self.y)):
            endpoint.clear()  # a reset loses whatever was queued or in flight
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)


class BulkTransport(CocotbTransport):
    """The host driver's transport on ``tlcim_harness``: streams in bulk, registers and
    weights through cocotbext-axi.

    Frames queued by :meth:`send_vectors` are sent by :meth:`flush`, ``chunk`` vectors at a
    time; each chunk runs until its results are captured (or none came for an idle time, when
    the device refused vectors), so the results wait in this object for
    :meth:`receive_vectors`.

    Parameters
    ----------
    dut : the cocotb handle of ``tlcim_harness``
    config : Config
        The configuration the harness was built for.
    chunk : int or None
        Vectors per chunk, 1 to :data:`CHUNK_VECTORS` (default: all that fit).
    stall : float
        Chance in [0, 1) that the source pauses before a beat and that the sink withholds
        ``tready`` in a cycle (quantised to 1/256).
    """

    def __init__(self, dut, config, *, chunk=None, stall=0.0):
        chunk = CHUNK_VECTORS if chunk is None else chunk
        if not (isinstance(chunk, int) and 1 <= chunk <= CHUNK_VECTORS):
            raise ValueError(f"chunk must be an int in 1..{CHUNK_VECTORS} (the vectors the "
                             f"harness holds), not {chunk!r}")
        if not 0 <= stall < 1:
            raise ValueError(f"stall must be a probability in [0, 1), not {stall!r}")
        super().__init__(dut, streams=False)
        self.config, self.geometry, self.chunk = config, Geometry(config), chunk
        self.stall = stall
        params = harness_parameters(config)
        self._x_width, self._y_width = params["X_WIDTH"], params["Y_WIDTH"]
        self._pending = []   # activation frames queued, not yet sent
        self._results = []   # result frames received, not yet returned
        self._beats = []     # result beats of a frame not complete yet
        self._read = 0       # captured beats of the current chunk already read back
        dut.bulk_start.value = 0
        dut.bulk_dump.value = 0
        dut.bulk_beats.value = 0
        dut.bulk_expect.value = 0
        dut.bulk_timeout.value = 0
        dut.bulk_stall.value = 0

    @property
    def stall(self):
        """Stall probability of both streams (0 = never stall)."""
        return self._stall

    @stall.setter
    def stall(self, value):
        if not 0 <= value < 1:
            raise ValueError(f"stall must be a probability in [0, 1), not {value!r}")
        self._stall = value

    def idle_cycles(self):
        """Cycles without a result beat after which a chunk counts as finished (results
        missing: refused vectors); generous against stalls and pipeline latency."""
        g = self.geometry
        return 4 * (self.config.conversions_per_mvm + g.in_beats + g.out_beats) + 200

    async def send_vectors(self, frames):
        self._pending.extend(frames)

    async def flush(self):
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), self.chunk):
            await self._run_chunk(pending[start:start + self.chunk])

    async def _run_chunk(self, frames):
        from cocotb.triggers import First, RisingEdge
        dut, g = self.dut, self.geometry
        beats = _beat_records(frames, g.in_beats, self._x_width // 8)
        pathlib.Path(X_FILE).write_bytes(beats)
        dut.bulk_beats.value = len(frames) * g.in_beats
        dut.bulk_expect.value = len(frames) * g.out_beats
        dut.bulk_timeout.value = self.idle_cycles()
        dut.bulk_stall.value = min(255, round(self._stall * 256))
        dut.bulk_start.value = 1
        await RisingEdge(dut.clk)
        dut.bulk_start.value = 0
        self._read = 0
        # bulk_done is cleared by the start edge, so its next rise ends this chunk. The
        # bound only catches a device that stops taking beats (never met otherwise).
        per_vector = 2 * (self.config.conversions_per_mvm + g.in_beats + g.out_beats)
        bound = 4 * len(frames) * per_vector + self.idle_cycles() + 1000
        done = RisingEdge(dut.bulk_done)
        if await First(done, self._cycles(bound)) is not done:
            raise RuntimeError(f"the harness did not finish a chunk of {len(frames)} vectors "
                               f"in {bound} cycles ({int(dut.bulk_captured.value)} result "
                               f"beats captured)")
        await self._collect()

    def _cycles(self, count):
        # One timer instead of ClockCycles, which wakes Python at every edge.
        from cocotb.triggers import Timer
        return Timer(count * CLOCK_NS, "ns")

    async def _collect(self):
        # Read the beats captured since the last start (and not read yet) and group them into
        # frames by tlast.
        from cocotb.triggers import ReadOnly, RisingEdge
        dut, dump = self.dut, pathlib.Path(Y_FILE)
        dump.unlink(missing_ok=True)  # no stale beats if nothing was captured by the edge
        self.dut.bulk_dump.value = 1
        await RisingEdge(dut.clk)
        self.dut.bulk_dump.value = 0
        await ReadOnly()  # the dump happened at that edge
        if int(dut.bulk_overflow.value):
            raise RuntimeError("the harness capture memory overflowed: more result beats than "
                               "the vectors of a chunk give")
        captured = int(dut.bulk_captured.value)
        await RisingEdge(dut.clk)  # leave the read-only phase
        if captured <= self._read or not dump.exists():
            return
        # The dump holds the beats captured before its edge (a beat taken at that edge is
        # read next time). Icarus adds `// 0x<address>` comment lines, Verilator none.
        words = []
        for line in dump.read_text().splitlines():
            words += [int(word, 16) for word in line.split("//")[0].split()
                      if not word.startswith("@")]
        captured = min(captured, len(words))
        mask, width = (1 << self._y_width) - 1, self._y_width // 8
        for word in words[self._read:captured]:
            self._beats.append((word & mask).to_bytes(width, "little"))
            if word >> self._y_width:
                self._results.append(b"".join(self._beats))
                self._beats = []
        self._read = captured

    async def receive_vectors(self, count, *, timeout_cycles):
        await self.flush()
        if len(self._results) < count:
            # Late results: give them the caller's time, then read what was captured.
            await self._cycles(timeout_cycles)
            await self._collect()
        frames, self._results = self._results[:count], self._results[count:]
        return frames

    async def discard(self, cycles):
        await self.flush()
        await self._cycles(cycles)
        await self._collect()
        dropped = len(self._results) + bool(self._beats)
        self._results, self._beats = [], []
        return dropped

    async def reset(self, cycles=4):
        """Hold ``rst`` for ``cycles`` clock cycles; queued frames and results are lost."""
        self._pending, self._results, self._beats, self._read = [], [], [], 0
        await super().reset(cycles)


def _beat_records(frames, beats, width):
    """Return the ``$fread`` records of ``frames``: per beat of ``width`` bytes (little-endian
    in the frame), ``width + 1`` bytes most significant first, the first holding ``tlast``
    (set on the last of every frame's ``beats``) in its low bit: a memory word
    ``{tlast, tdata}`` of ``8 * width + 1`` bits.

    Raises
    ------
    ValueError
        If a frame is not ``beats * width`` bytes long.
    """
    for frame in frames:
        if len(frame) != beats * width:
            raise ValueError(f"activation frame has {len(frame)} bytes, expected "
                             f"{beats * width}")
    # Binary, built with numpy: formatting beats in Python took over a quarter of the
    # simulation time of a `paper` MVM batch, and parsing hex text ($readmemh) 6 %.
    data = np.frombuffer(b"".join(frames), dtype=np.uint8).reshape(-1, width)
    records = np.zeros((len(data), width + 1), dtype=np.uint8)
    records[beats - 1::beats, 0] = 1
    records[:, 1:] = data[:, ::-1]
    return records.tobytes()
