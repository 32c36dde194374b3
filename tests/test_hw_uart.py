# amaranth: UnusedElaboratable=no
"""tlcim.hw.uart: the UART and its bridge in the Amaranth simulator, driven over bit-banged serial
lines by the host side of the byte protocol (tlcim.sim.fpga); its parameter checks."""

import numpy as np
import pytest
from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.sim import Simulator

from tlcim.golden import Config
from tlcim.hw.geometry import Geometry
from tlcim.hw.interfaces import DatapathSignature
from tlcim.hw.regmap import ID, register_map
from tlcim.hw.top import Top
from tlcim.hw.uart import Opcode, UARTRx, UARTTop, beat_bytes, divisor_for
from tlcim.sim.fpga import UARTLink, UARTTransport
from helpers import FPGA_TINY as TINY, simulate

#: Clock cycles per UART bit in the simulations (the smallest the receiver allows).
DIVISOR = 4


class Loopback(wiring.Component):
    """Stand-in datapath: the first ``out_beats`` activation beats of each vector come back
    as result beats (data truncated), weight beats are taken and counted into ``valid``."""

    def __init__(self, geometry):
        self.geometry = geometry
        super().__init__(DatapathSignature(geometry.config))

    def elaborate(self, platform):
        m = Module()
        g = self.geometry
        count = Signal(range(g.in_beats + 1))
        taken = self.x.valid & self.x.ready
        m.d.comb += [self.x.ready.eq(self.y.ready | ~self.y.valid), self.w.ready.eq(1)]
        with m.If(taken):
            m.d.sync += count.eq(Mux(self.x.payload.last, 0, count + 1))
        with m.If(self.y.ready | ~self.y.valid):
            m.d.sync += [self.y.valid.eq(taken & (count < g.out_beats)),
                         self.y.payload.data.eq(self.x.payload.data),
                         self.y.payload.last.eq(count == g.out_beats - 1)]
        with m.If(self.w.valid & self.w.payload.last):
            m.d.sync += self.status.valid.eq(1)
        return m


def _simulate(config, body):
    """Run ``body(link, ctx)`` against a UARTTop with the loopback datapath, bit-banging the
    serial lines at DIVISOR cycles per bit (a background testbench decodes ``tx``)."""
    geometry = Geometry(config)
    dut = UARTTop(config, divisor=DIVISOR, top=Top(config, datapath=Loopback(geometry)))
    received = []

    async def monitor(ctx):
        while True:
            # Plain ticks (not `until`): a background testbench ends inside its await.
            while ctx.get(dut.tx):
                await ctx.tick()
            await ctx.tick().repeat(DIVISOR // 2)
            byte = 0
            for bit in range(8):
                await ctx.tick().repeat(DIVISOR)
                byte |= ctx.get(dut.tx) << bit
            await ctx.tick().repeat(DIVISOR)
            assert ctx.get(dut.tx) == 1, "stop bit"
            received.append(byte)

    class Port:
        def __init__(self, ctx):
            self.ctx = ctx

        async def write(self, data):
            for byte in data:
                for bit in [0, *((byte >> i) & 1 for i in range(8)), 1]:
                    self.ctx.set(dut.rx, bit)
                    await self.ctx.tick().repeat(DIVISOR)

        async def read(self, count):
            for _ in range(200 * DIVISOR * 10 * (count + 1)):
                if len(received) >= count:
                    data = bytes(received[:count])
                    del received[:count]
                    return data
                await self.ctx.tick()
            raise TimeoutError(f"{len(received)} of {count} bytes")

    async def main(ctx):
        await body(UARTLink(config, Port(ctx)), ctx)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(monitor, background=True)
    sim.add_testbench(main)
    simulate(sim)


def test_bridge_registers():
    config = Config.preset("small")
    regmap = register_map(config)

    async def body(link, ctx):
        await link.ping()
        assert await link.read(regmap.address("ID")) == (0, ID)
        assert await link.read(regmap.address("CFG_ROWS")) == (0, config.rows)
        assert await link.write(regmap.address("REQ_MULT"), 0x1234) == 0
        assert await link.read(regmap.address("REQ_MULT")) == (0, 0x1234)
        assert await link.read(0xFFC) == (2, 0)  # unmapped: SLVERR, reads 0
        assert await link.write(0xFFC, 1) == 2
        with pytest.raises(RuntimeError, match=r"answered 0xff to command 0x42"):
            await link.command(0x42)
        await link.ping()  # the bridge is back in step after an unknown opcode
    _simulate(config, body)


def test_bridge_streams(rng):
    config = Config.preset("small")
    g = Geometry(config)

    async def body(link, ctx):
        transport = UARTTransport(link, cycles_per_poll=DIVISOR * 10 * (2 + link.y_bytes))
        assert await link.poll_result() is None  # nothing waiting: flag 0
        size = g.in_lanes * g.in_bits // 8
        frames = [rng.integers(0, 256, g.in_beats * size, dtype=np.uint8).tobytes()
                  for _ in range(2)]
        await transport.send_vectors(frames)
        results = await transport.receive_vectors(2, timeout_cycles=10 ** 6)
        await transport.flush()
        out = g.out_lanes * g.out_bits // 8
        for frame, result in zip(frames, results, strict=True):
            # The loopback returns each of the first out_beats x beats, truncated/extended.
            for beat in range(g.out_beats):
                sent = frame[beat * size:(beat + 1) * size]
                got = result[beat * out:(beat + 1) * out]
                width = min(len(sent), len(got))
                assert got[:width] == sent[:width]
        await transport.send_weights(1, bytes(range(8)))  # two beats to subarray 1
        assert (await transport.read(register_map(config).address("VALID"))) & 1
    _simulate(config, body)


def test_uart_parameters_are_checked():
    with pytest.raises(ValueError, match=r"divisor must be an integer of at least 4, not 3"):
        UARTRx(3)
    with pytest.raises(ValueError, match=r"baud must be at most clock / 4 \(3\), not 115200"):
        divisor_for(12, 115200)
    with pytest.raises(ValueError, match=r"baud 115200 is .* off at 1000000 Hz"):
        divisor_for(1e6, 115200)
    assert divisor_for(12e6, 115200) == 104
    assert Opcode.Y_POLL == 5 and len(beat_bytes(Geometry(TINY))) == 3
