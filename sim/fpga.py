"""The ``fpga:<serial port>`` target: the host driver over the UART bridge of an FPGA build.

:class:`UARTLink` speaks the byte protocol of :mod:`tlcim.hw.uart` over any *byte port* (an object
with ``async write(data: bytes)`` and ``async read(count) -> bytes``): a real serial port
(:class:`SerialPort`, pyserial) or a simulated UART in cocotb (:class:`CocotbUARTPort`).
:class:`UARTTransport` implements :class:`tlcim.sim.host.Transport` on a link, so the very same
:class:`tlcim.sim.host.Host` drives the RTL simulation, the FPGA in simulation and the board.

No board is attached where this project is tested: :func:`build_emulator` builds the complete
FPGA top (:class:`tlcim.hw.uart.UARTTop`: UART, bridge, registers, datapath, behavioural stub) for
cocotb, and ``tb/test_fpga_top.py`` runs session scripts through the host driver over a
simulated serial line (``tests/test_tb_test_fpga_top.py`` compares them with the golden target).
"""

import asyncio
import time

from tlcim.hw.geometry import Geometry, WEIGHT_BEAT_BITS
from tlcim.hw.interfaces import activation_layout, result_layout, weight_layout
from tlcim.hw.regmap import ID
from tlcim.hw.registers import ADDRESS_BITS
from tlcim.hw.uart import Opcode, beat_bytes
from tlcim.sim.host import Host, Transport

__all__ = ["UARTLink", "UARTTransport", "SerialPort", "CocotbUARTPort", "open_target",
           "build_emulator", "BAUD", "SIM_DIVISOR"]

#: Baud rate of the FPGA builds (``tlcim fpga``) and of ``--target fpga:<port>``.
BAUD = 115200
#: Clock cycles per UART bit in simulation (the smallest the receiver allows; a board runs at
#: its oscillator / BAUD).
SIM_DIVISOR = 4

_RESP = {0: "OKAY", 1: "EXOKAY", 2: "SLVERR", 3: "DECERR"}


def _bits(layout, value):
    # The integer of a struct value, packed with the hardware's own layout object.
    return int(layout.const(value).as_bits())


class UARTLink:
    """Commands of the :mod:`tlcim.hw.uart` byte protocol over a byte port.

    Parameters
    ----------
    config : golden.Config
    port : object
        ``async write(data)`` and ``async read(count)`` (``read`` returns exactly ``count``
        bytes or raises ``TimeoutError``).
    """

    def __init__(self, config, port):
        self.geometry = Geometry(config)
        self.port = port
        self.x_bytes, self.w_bytes, self.y_bytes = beat_bytes(self.geometry)
        self.layouts = {name: layout(self.geometry) for name, layout in
                        (("x", activation_layout), ("w", weight_layout), ("y", result_layout))}

    async def command(self, opcode, payload=b"", answer=0):
        """Send one command, check the echoed opcode and return the ``answer`` bytes after it.

        Raises
        ------
        RuntimeError
            If the bridge echoes something else (``0xFF``: unknown opcode).
        """
        await self.port.write(bytes([opcode]) + bytes(payload))
        echo = (await self.port.read(1))[0]
        if echo != opcode:
            raise RuntimeError(f"UART bridge answered {echo:#04x} to command {opcode:#04x}")
        return await self.port.read(answer) if answer else b""

    async def ping(self):
        """Check that a bridge answers with the device ID; raise ``RuntimeError`` if not."""
        ident = int.from_bytes(await self.command(Opcode.PING, answer=4), "little")
        if ident != ID:
            raise RuntimeError(f"UART bridge answered ID {ident:#010x}, expected {ID:#010x}")

    async def write(self, address, value):
        """Write a register; return the AXI response code."""
        payload = address.to_bytes(-(-ADDRESS_BITS // 8), "little") + \
            (value & 0xFFFFFFFF).to_bytes(4, "little")
        return (await self.command(Opcode.WRITE, payload, 1))[0]

    async def read(self, address):
        """Read a register; return ``(response code, value)``."""
        answer = await self.command(Opcode.READ,
                                    address.to_bytes(-(-ADDRESS_BITS // 8), "little"), 5)
        return answer[0], int.from_bytes(answer[1:], "little")

    async def send_beat(self, stream, fields):
        """Send one beat of stream ``"x"`` or ``"w"`` (``fields``: the layout's field values)
        and return once the device took it."""
        opcode, size = {"x": (Opcode.X_BEAT, self.x_bytes),
                        "w": (Opcode.W_BEAT, self.w_bytes)}[stream]
        value = _bits(self.layouts[stream], fields)
        await self.command(opcode, value.to_bytes(size, "little"))

    async def poll_result(self):
        """Return ``(data, last)`` of the next result beat, or None if none is waiting."""
        answer = await self.command(Opcode.Y_POLL, answer=1 + self.y_bytes)
        if not answer[0]:
            return None
        layout = self.layouts["y"]
        beat = layout.from_bits(int.from_bytes(answer[1:], "little") & ((1 << layout.size) - 1))
        return int(beat.data), int(beat.last)


class UARTTransport(Transport):
    """:class:`tlcim.sim.host.Transport` through a :class:`UARTLink`.

    Activation frames are sent one vector at a time; after each vector (and whenever results
    are wanted) waiting result beats are polled into a local buffer, so the bridge's result
    FIFO (two vectors deep, :mod:`tlcim.hw.uart`) never fills while an x beat waits for the
    datapath.

    Parameters
    ----------
    link : UARTLink
    cycles_per_poll : int
        Clock cycles one empty result poll takes at least (its bytes on the line); turns the
        host's cycle timeouts into a number of polls.
    """

    def __init__(self, link, *, cycles_per_poll):
        self.link = link
        self.geometry = link.geometry
        self.cycles_per_poll = max(1, cycles_per_poll)
        self._queue = []      # activation frames not sent yet
        self._beats = []      # beats of the result frame being received
        self._frames = []     # complete result frames not yet handed out

    async def read(self, address):
        resp, value = await self.link.read(address)
        if resp:
            raise RuntimeError(f"register read at {address:#05x} answered {_RESP[resp]}")
        return value

    async def write(self, address, value):
        resp = await self.link.write(address, value)
        if resp:
            raise RuntimeError(f"register write at {address:#05x} answered {_RESP[resp]}")

    async def send_weights(self, subarray, frame):
        size = WEIGHT_BEAT_BITS // 8
        beats = [frame[i:i + size] for i in range(0, len(frame), size)]
        for index, beat in enumerate(beats):
            await self.link.send_beat("w", {"data": int.from_bytes(beat, "little"),
                                            "dest": subarray,
                                            "last": int(index == len(beats) - 1)})

    async def _poll(self):
        # Take one result beat if one waits; return whether one did.
        beat = await self.link.poll_result()
        if beat is None:
            return False
        g = self.geometry
        self._beats.append(beat[0].to_bytes(g.out_lanes * g.out_bits // 8, "little"))
        if beat[1]:
            self._frames.append(b"".join(self._beats))
            self._beats = []
        return True

    async def _drain(self):
        while await self._poll():
            pass

    async def _send_next(self):
        g = self.geometry
        frame = self._queue.pop(0)
        size = g.in_lanes * g.in_bits // 8
        for beat in range(g.in_beats):
            chunk = frame[beat * size:(beat + 1) * size]
            await self.link.send_beat("x", {"data": int.from_bytes(chunk, "little"),
                                            "last": int(beat == g.in_beats - 1)})
        await self._drain()

    async def send_vectors(self, frames):
        self._queue.extend(frames)

    async def flush(self):
        while self._queue:
            await self._send_next()

    async def discard(self, cycles):
        # A serial host cannot wait a number of clock cycles: it polls for as long as the
        # polls would take on the line, and on until no result is left.
        await self.flush()
        polls = max(1, cycles // self.cycles_per_poll)
        while polls > 0:
            if not await self._poll():
                polls -= 1
        dropped = len(self._frames)
        self._frames, self._beats = [], []
        return dropped

    async def receive_vectors(self, count, *, timeout_cycles):
        polls = max(1, timeout_cycles // self.cycles_per_poll)
        while len(self._frames) < count:
            if self._queue:
                await self._send_next()
                continue
            if not await self._poll():
                polls -= 1
                if polls <= 0:
                    break
        frames, self._frames = self._frames[:count], self._frames[count:]
        return frames


class SerialPort:
    """A byte port on a real serial device (pyserial), for a board running ``tlcim fpga``'s
    bitstream. Blocking reads run in a worker thread.

    Parameters
    ----------
    device : str
        Serial device (``/dev/ttyUSB1``, ``COM3``).
    baud : int
    timeout : float
        Seconds a read may wait before ``TimeoutError``.
    """

    def __init__(self, device, *, baud=BAUD, timeout=2.0):
        try:
            import serial
        except ImportError:
            raise RuntimeError("the fpga target needs pyserial (pip install pyserial)") from None
        try:
            self._serial = serial.Serial(device, baud, timeout=timeout)
        except serial.SerialException as error:
            raise ValueError(f"cannot open serial port {device!r}: {error}") from None

    async def write(self, data):
        await asyncio.to_thread(self._serial.write, data)

    async def read(self, count):
        data = await asyncio.to_thread(self._serial.read, count)
        if len(data) != count:
            raise TimeoutError(f"serial port: {len(data)} of {count} bytes before the timeout")
        return data

    def close(self):
        self._serial.close()


class _BoardHost(Host):
    # Host that also closes its serial port.
    def __init__(self, config, transport, port):
        super().__init__(config, transport)
        self._port = port

    async def close(self):
        self._port.close()


def open_target(config, option):
    """Target factory of ``--target fpga:<serial port>`` (see :mod:`tlcim.sim.script`)."""
    if not option:
        raise ValueError("target 'fpga' needs a serial port, e.g. fpga:/dev/ttyUSB1")
    port = SerialPort(option)
    link = UARTLink(config, port)
    # One empty poll is 2 + y_bytes bytes of 10 bits; clocks per bit unknown to the host, so
    # count cycles as bit times (a conservative, larger number of polls).
    transport = UARTTransport(link, cycles_per_poll=10 * (2 + link.y_bytes))
    return _BoardHost(config, transport, port)


class CocotbUARTPort:
    """A byte port on the ``rx``/``tx`` pins of a simulated :class:`tlcim.hw.uart.UARTTop` (cocotb).

    ``start()`` launches a receiver task decoding ``tx``; writes drive ``rx`` bit by bit.
    Reads wait at most ``timeout_cycles`` clock cycles per byte before ``TimeoutError``.

    Parameters
    ----------
    dut : cocotb handle
        With ``clk``, ``rx`` and ``tx``.
    divisor : int
        Clock cycles per bit (the one the design was built with).
    """

    def __init__(self, dut, divisor=SIM_DIVISOR, *, timeout_cycles=10 ** 6):
        self.dut = dut
        self.divisor = divisor
        self.timeout_cycles = timeout_cycles
        self._received = bytearray()
        self._task = None

    def start(self):
        """Start decoding ``tx`` (call once the clock runs)."""
        import cocotb
        self.dut.rx.value = 1
        self._task = cocotb.start_soon(self._receive())

    async def _receive(self):
        from cocotb.triggers import ClockCycles, FallingEdge
        while True:
            await FallingEdge(self.dut.tx)
            await ClockCycles(self.dut.clk, self.divisor // 2)  # middle of the start bit
            byte = 0
            for bit in range(8):
                await ClockCycles(self.dut.clk, self.divisor)
                byte |= int(self.dut.tx.value) << bit
            await ClockCycles(self.dut.clk, self.divisor)
            if not int(self.dut.tx.value):
                raise RuntimeError("UART framing error: stop bit low on tx")
            self._received.append(byte)

    async def write(self, data):
        from cocotb.triggers import ClockCycles
        for byte in data:
            for bit in (0, *((byte >> i) & 1 for i in range(8)), 1):
                self.dut.rx.value = bit
                await ClockCycles(self.dut.clk, self.divisor)

    async def read(self, count):
        from cocotb.triggers import ClockCycles
        waited = 0
        # Check every byte time: the receiver task appends whole bytes.
        step = self.divisor * 10
        while len(self._received) < count:
            if waited > self.timeout_cycles * count:
                raise TimeoutError(f"UART: {len(self._received)} of {count} bytes after "
                                   f"{waited} cycles")
            await ClockCycles(self.dut.clk, step)
            waited += step
        data = bytes(self._received[:count])
        del self._received[:count]
        return data

    def close(self):
        if self._task is not None:
            self._task.cancel()


def cocotb_host(config, dut, divisor=SIM_DIVISOR):
    """Return ``(host, port)``: a :class:`tlcim.sim.host.Host` driving the simulated FPGA top
    ``dut`` over its UART (call ``port.start()`` once the clock runs)."""
    port = CocotbUARTPort(dut, divisor)
    link = UARTLink(config, port)
    transport = UARTTransport(link, cycles_per_poll=divisor * 10 * (2 + link.y_bytes))
    return Host(config, transport), port


def build_emulator(config, simulator="verilator", *, divisor=SIM_DIVISOR):
    """Build the FPGA top (:class:`tlcim.hw.uart.UARTTop` with the behavioural stub) of ``config``
    for cocotb as module ``tlcim_top``; return a :class:`tlcim.sim.rtl.Build` for
    :func:`tlcim.sim.rtl.run_cocotb`. Cached like :func:`tlcim.sim.rtl.build` (folder
    ``<config hash>-<simulator>-fpga``, rebuilt when the Verilog changes).

    Raises
    ------
    RuntimeError
        If ``simulator`` is not available here.
    """
    from amaranth.back import verilog
    from tlcim.hw.generate import library_sources
    from tlcim.hw.uart import UARTTop
    from tlcim.sim import rtl
    start = time.perf_counter()
    rtl.simulator_env()
    text = verilog.convert(UARTTop(config, divisor=divisor), name=rtl.TOPLEVEL,
                           emit_src=False)
    sources = {**library_sources(text), f"{rtl.TOPLEVEL}.v": text}
    return rtl.compile_sources(config, simulator, sources, variant="fpga", start=start)
