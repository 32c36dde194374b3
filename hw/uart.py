"""A UART and a bridge from its bytes to the top level's AXI4-Lite registers and streams.

This is how a host drives the FPGA emulation build over one serial port (``tlcim run
--target fpga:<port>``). Everything here is plain synchronous logic (no vendor primitives), so
the same :class:`UARTTop` runs in cocotb, in Amaranth simulation and on any FPGA.

Byte protocol (8N1, least significant byte first in every field)
---------------------------------------------------------------
The host sends a command: one opcode byte, then the command's payload. The bridge executes it
and answers with the opcode echoed, then the response payload. Commands are handled one at a
time; the host sends the next command after the answer to the previous one (a 16-byte receive
FIFO absorbs the bytes of one command while the bridge is busy).

======  =========  ==================================  ====================================
opcode  command    payload (host -> FPGA)              answer (FPGA -> host)
======  =========  ==================================  ====================================
0x01    write      address (2 bytes), data (4 bytes)   0x01, BRESP (1 byte)
0x02    read       address (2 bytes)                   0x02, RRESP (1), data (4)
0x03    x beat     one activation beat (``x_bytes``)   0x03 once the beat is taken
0x04    w beat     one weight beat (``w_bytes``)       0x04 once the beat is taken
0x05    y poll     none                                0x05, flag (1), beat (``y_bytes``)
0x06    ping       none                                0x06, "TLCM" (4 bytes)
other   -          none                                0xFF
======  =========  ==================================  ====================================

Results do not wait for a poll: the bridge takes every result beat into a FIFO of
``2 * out_beats`` beats as soon as it is valid, so the datapath never stalls on the UART. A host
that keeps at most two vectors in flight (sends a vector's x beats, then polls until its
results are in) can therefore never deadlock the bridge on an x beat the datapath cannot take
while its previous result waits.

A *beat* is the ``lib.data`` struct of :mod:`tlcim.hw.interfaces` as bits (``activation_layout``:
data then last; ``weight_layout``: data, dest, last; ``result_layout``: data, last), padded
with zeros to whole bytes: ``x_bytes = ceil(activation_layout.size / 8)`` and so on. A y poll
takes a result beat from the FIFO if one is waiting (flag 1, the beat follows) and otherwise
answers flag 0 and a zero beat, so the host never blocks the bridge. AXI responses are the AXI
codes (0 OKAY, 2 SLVERR).
"""

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import fifo, stream, wiring
from amaranth.lib.wiring import In, Out

from .geometry import Geometry
from .interfaces import activation_layout, result_layout, weight_layout
from .regmap import ID
from .registers import ADDRESS_BITS, DATA_BITS

__all__ = ["UARTRx", "UARTTx", "UARTBridge", "UARTTop", "Opcode", "beat_bytes", "divisor_for"]


class Opcode:
    """Command opcodes of the byte protocol (see the module docstring)."""
    WRITE = 0x01
    READ = 0x02
    X_BEAT = 0x03
    W_BEAT = 0x04
    Y_POLL = 0x05
    PING = 0x06
    ERROR = 0xFF


def beat_bytes(geometry):
    """Return ``(x_bytes, w_bytes, y_bytes)``: bytes of one beat of each stream on the wire."""
    return tuple(-(-layout(geometry).size // 8)
                 for layout in (activation_layout, weight_layout, result_layout))


def divisor_for(clock_hz, baud):
    """Return the clock cycles per UART bit for ``baud`` at ``clock_hz``.

    Raises
    ------
    ValueError
        If the rate is off by more than 2 % (a UART tolerates about 4 % in total) or the
        divisor is below 4 (the receiver samples in the middle of a bit).
    """
    divisor = round(clock_hz / baud)
    if divisor < 4:
        raise ValueError(f"baud must be at most clock / 4 ({clock_hz / 4:.0f}), not {baud!r}")
    error = abs(clock_hz / divisor - baud) / baud
    if error > 0.02:
        raise ValueError(f"baud {baud} is {100 * error:.1f} % off at {clock_hz:.0f} Hz; "
                         f"the error must be at most 2 %")
    return divisor


def _check_divisor(divisor):
    if not isinstance(divisor, int) or isinstance(divisor, bool) or divisor < 4:
        raise ValueError(f"divisor must be an integer of at least 4, not {divisor!r}")


class UARTRx(wiring.Component):
    """UART receiver, 8 data bits, no parity, one stop bit.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit, at least 4.

    Members
    -------
    rx : In(1)
        The serial line (idle high); synchronised here.
    bytes : Out(stream.Signature(8))
        Received bytes. The receiver cannot wait: a byte not taken in the cycle it is valid is
        lost and ``overrun`` goes high.
    overrun : Out(1)
        Sticky: a byte was lost.
    frame_error : Out(1)
        Sticky: a stop bit was low.
    """

    def __init__(self, divisor):
        _check_divisor(divisor)
        self._divisor = divisor
        super().__init__({"rx": In(1, init=1), "bytes": Out(stream.Signature(8)),
                          "overrun": Out(1), "frame_error": Out(1)})

    def elaborate(self, platform):
        m = Module()
        divisor = self._divisor
        # Two flip-flops against metastability on the asynchronous line.
        sync = Signal(2, init=0b11)
        m.d.sync += sync.eq(Cat(self.rx, sync[0]))
        line = sync[1]
        timer = Signal(range(divisor * 3 // 2 + 1))
        bit = Signal(range(10))
        shift = Signal(8)
        with m.If(self.bytes.valid & ~self.bytes.ready):
            m.d.sync += self.overrun.eq(1)
        m.d.sync += self.bytes.valid.eq(0)
        with m.FSM():
            with m.State("idle"):
                with m.If(~line):
                    # Sample the start bit in its middle.
                    m.d.sync += timer.eq(divisor // 2 - 1)
                    m.next = "start"
            with m.State("start"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Elif(line):
                    m.next = "idle"  # a glitch, not a start bit
                with m.Else():
                    m.d.sync += [timer.eq(divisor - 1), bit.eq(0)]
                    m.next = "data"
            with m.State("data"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [timer.eq(divisor - 1), shift.eq(Cat(shift[1:], line)),
                                 bit.eq(bit + 1)]
                    with m.If(bit == 7):
                        m.next = "stop"
            with m.State("stop"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    with m.If(line):
                        m.d.sync += [self.bytes.payload.eq(shift), self.bytes.valid.eq(1)]
                    with m.Else():
                        m.d.sync += self.frame_error.eq(1)
                    m.next = "idle"
        return m


class UARTTx(wiring.Component):
    """UART transmitter, 8 data bits, no parity, one stop bit.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit, at least 4.

    Members
    -------
    bytes : In(stream.Signature(8))
        Bytes to send; taken when the previous one has been sent.
    tx : Out(1)
        The serial line (idle high).
    """

    def __init__(self, divisor):
        _check_divisor(divisor)
        self._divisor = divisor
        super().__init__({"bytes": In(stream.Signature(8)), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self._divisor))
        # Stop bit, 8 data bits, start bit: shifted out from bit 0.
        frame = Signal(10, init=0x3FF)
        left = Signal(range(11))
        m.d.comb += [self.tx.eq(frame[0]), self.bytes.ready.eq(left == 0)]
        with m.If(self.bytes.valid & self.bytes.ready):
            m.d.sync += [frame.eq(Cat(Const(0, 1), self.bytes.payload, Const(1, 1))),
                         left.eq(10), timer.eq(self._divisor - 1)]
        with m.Elif(left != 0):
            with m.If(timer != 0):
                m.d.sync += timer.eq(timer - 1)
            with m.Else():
                m.d.sync += [frame.eq(Cat(frame[1:], Const(1, 1))), left.eq(left - 1),
                             timer.eq(self._divisor - 1)]
        return m


class UARTBridge(wiring.Component):
    """Executes the byte protocol of the module docstring on the top level's flat ports.

    Parameters
    ----------
    geometry : Geometry
    top_signature : wiring.Signature
        Signature of the :class:`tlcim.hw.top.Top` it drives; the bridge has the flipped
        ``s_axil_*``, ``s_axis_x_*``, ``s_axis_w_*`` and ``m_axis_y_*`` ports.

    Members
    -------
    rx : In(stream.Signature(8))
        Command bytes from the host.
    tx : Out(stream.Signature(8))
        Answer bytes to the host.
    """

    def __init__(self, geometry, top_signature):
        if not isinstance(geometry, Geometry):
            raise TypeError(f"geometry must be a Geometry, not {geometry!r}")
        self._geometry = geometry
        members = {"rx": In(stream.Signature(8)), "tx": Out(stream.Signature(8))}
        for name, member in top_signature.members.items():
            if name.startswith(("s_axil_", "s_axis_", "m_axis_")):
                members[name] = member.flip()
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        x_bytes, w_bytes, y_bytes = beat_bytes(self._geometry)
        address_bytes = -(-ADDRESS_BITS // 8)
        payload_bytes = {Opcode.WRITE: address_bytes + 4, Opcode.READ: address_bytes,
                         Opcode.X_BEAT: x_bytes, Opcode.W_BEAT: w_bytes}
        max_in = max(payload_bytes.values())
        max_out = max(2 + y_bytes, 6)
        x_layout, w_layout, y_layout = (layout(self._geometry) for layout in
                                        (activation_layout, weight_layout, result_layout))

        opcode = Signal(8)
        buf = Signal(8 * max_in)        # payload, first byte at the least significant end
        need = Signal(range(max_in + 1))
        answer = Signal(8 * max_out)    # answer, first byte at the least significant end
        left = Signal(range(max_out + 1))
        aw_done, w_done = Signal(), Signal()

        def answer_with(*fields):
            # fields: (value, bytes) in wire order, after the echoed opcode.
            value, count = Cat(opcode), 1
            for field, size in fields:
                value = Cat(value, field)
                value = Cat(value, Const(0, 8 * (count + size) - len(value)))
                count += size
            return [answer.eq(value), left.eq(count)]

        address = buf[:ADDRESS_BITS]
        m.d.comb += [
            self.s_axil_awaddr.eq(address), self.s_axil_araddr.eq(address),
            self.s_axil_wdata.eq(buf[8 * address_bytes:8 * address_bytes + DATA_BITS]),
            self.s_axil_wstrb.eq(2 ** (DATA_BITS // 8) - 1),
            self.tx.payload.eq(answer[:8]),
        ]
        x_beat = x_layout(buf[:x_layout.size])
        w_beat = w_layout(buf[:w_layout.size])
        m.d.comb += [self.s_axis_x_tdata.eq(x_beat.data), self.s_axis_x_tlast.eq(x_beat.last),
                     self.s_axis_w_tdata.eq(w_beat.data), self.s_axis_w_tlast.eq(w_beat.last)]
        if hasattr(self, "s_axis_w_tdest"):
            m.d.comb += self.s_axis_w_tdest.eq(w_beat.dest)
        # Results drain into a FIFO on their own (see the module docstring).
        m.submodules.results = results = fifo.SyncFIFOBuffered(
            width=y_layout.size, depth=2 * self._geometry.out_beats)
        m.d.comb += [results.w_data.eq(Cat(self.m_axis_y_tdata, self.m_axis_y_tlast)),
                     results.w_en.eq(self.m_axis_y_tvalid),
                     self.m_axis_y_tready.eq(results.w_rdy)]
        y_beat = y_layout(results.r_data)

        with m.FSM():
            with m.State("opcode"):
                m.d.comb += self.rx.ready.eq(1)
                with m.If(self.rx.valid):
                    m.d.sync += opcode.eq(self.rx.payload)
                    with m.Switch(self.rx.payload):
                        for code, count in payload_bytes.items():
                            with m.Case(code):
                                m.d.sync += need.eq(count)
                                m.next = "payload"
                        with m.Case(Opcode.Y_POLL, Opcode.PING):
                            m.next = "execute"
                        with m.Default():
                            m.d.sync += [answer.eq(Opcode.ERROR), left.eq(1)]
                            m.next = "answer"
            with m.State("payload"):
                m.d.comb += self.rx.ready.eq(1)
                with m.If(self.rx.valid):
                    m.d.sync += [buf.eq(Cat(buf[8:], self.rx.payload)), need.eq(need - 1)]
                    with m.If(need == 1):
                        m.next = "align"
            with m.State("align"):
                # Shift the payload down to bit 0 (commands shorter than the longest).
                with m.Switch(opcode):
                    for code, count in payload_bytes.items():
                        with m.Case(code):
                            m.d.sync += buf.eq(buf >> (8 * (max_in - count)))
                m.d.sync += [aw_done.eq(0), w_done.eq(0)]
                m.next = "execute"
            with m.State("execute"):
                with m.Switch(opcode):
                    with m.Case(Opcode.WRITE):
                        m.d.comb += [self.s_axil_awvalid.eq(~aw_done),
                                     self.s_axil_wvalid.eq(~w_done)]
                        with m.If(self.s_axil_awvalid & self.s_axil_awready):
                            m.d.sync += aw_done.eq(1)
                        with m.If(self.s_axil_wvalid & self.s_axil_wready):
                            m.d.sync += w_done.eq(1)
                        with m.If((aw_done | self.s_axil_awready) &
                                  (w_done | self.s_axil_wready)):
                            m.next = "write_response"
                    with m.Case(Opcode.READ):
                        m.d.comb += self.s_axil_arvalid.eq(1)
                        with m.If(self.s_axil_arready):
                            m.next = "read_response"
                    with m.Case(Opcode.X_BEAT):
                        m.d.comb += self.s_axis_x_tvalid.eq(1)
                        with m.If(self.s_axis_x_tready):
                            m.d.sync += answer_with()
                            m.next = "answer"
                    with m.Case(Opcode.W_BEAT):
                        m.d.comb += self.s_axis_w_tvalid.eq(1)
                        with m.If(self.s_axis_w_tready):
                            m.d.sync += answer_with()
                            m.next = "answer"
                    with m.Case(Opcode.Y_POLL):
                        m.d.comb += results.r_en.eq(1)
                        with m.If(results.r_rdy):
                            m.d.sync += answer_with((Const(1, 8), 1), (y_beat, y_bytes))
                        with m.Else():
                            m.d.sync += answer_with((Const(0, 8), 1),
                                                    (Const(0, 8 * y_bytes), y_bytes))
                        m.next = "answer"
                    with m.Case(Opcode.PING):
                        m.d.sync += answer_with((Const(ID, 32), 4))
                        m.next = "answer"
            with m.State("write_response"):
                m.d.comb += self.s_axil_bready.eq(1)
                with m.If(self.s_axil_bvalid):
                    m.d.sync += answer_with((self.s_axil_bresp, 1))
                    m.next = "answer"
            with m.State("read_response"):
                m.d.comb += self.s_axil_rready.eq(1)
                with m.If(self.s_axil_rvalid):
                    m.d.sync += answer_with((self.s_axil_rresp, 1), (self.s_axil_rdata, 4))
                    m.next = "answer"
            with m.State("answer"):
                m.d.comb += self.tx.valid.eq(1)
                with m.If(self.tx.ready):
                    m.d.sync += [answer.eq(answer >> 8), left.eq(left - 1)]
                    with m.If(left == 1):
                        m.next = "opcode"
        return m


class UARTTop(wiring.Component):
    """The macro (:class:`tlcim.hw.top.Top`, behavioural stub inside) driven through a UART.

    Parameters
    ----------
    config : golden.Config
    divisor : int
        Clock cycles per UART bit (:func:`divisor_for`).
    top : wiring.Component or None
        The top level to drive (default ``tlcim.hw.top.Top(config)``; tests pass a stand-in).

    Members
    -------
    rx : In(1)
        Serial line from the host (idle high).
    tx : Out(1)
        Serial line to the host (idle high).
    """

    #: Depth of the receive FIFO, in bytes: one whole command fits.
    RX_DEPTH = 16

    def __init__(self, config, *, divisor, top=None):
        _check_divisor(divisor)
        self._geometry = Geometry(config)
        self._divisor = divisor
        if max(beat_bytes(self._geometry)) + 1 > self.RX_DEPTH:
            raise ValueError(f"a stream beat must fit the {self.RX_DEPTH}-byte receive FIFO "
                             f"with its opcode; beats are {beat_bytes(self._geometry)} bytes")
        if top is None:
            from .top import Top
            top = Top(config)
        self._top = top
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1)})

    @property
    def top(self):
        """The top level driven by the bridge."""
        return self._top

    def elaborate(self, platform):
        m = Module()
        m.submodules.top = top = self._top
        m.submodules.uart_rx = rx = UARTRx(self._divisor)
        m.submodules.uart_tx = tx = UARTTx(self._divisor)
        m.submodules.rx_fifo = rx_fifo = fifo.SyncFIFOBuffered(width=8, depth=self.RX_DEPTH)
        m.submodules.bridge = bridge = UARTBridge(self._geometry, top.signature)
        m.d.comb += [
            rx.rx.eq(self.rx), self.tx.eq(tx.tx),
            rx_fifo.w_data.eq(rx.bytes.payload), rx_fifo.w_en.eq(rx.bytes.valid),
            rx.bytes.ready.eq(rx_fifo.w_rdy),
            bridge.rx.payload.eq(rx_fifo.r_data), bridge.rx.valid.eq(rx_fifo.r_rdy),
            rx_fifo.r_en.eq(bridge.rx.ready),
        ]
        wiring.connect(m, bridge.tx, tx.bytes)
        for name in bridge.signature.members:
            if name.startswith(("s_axil_", "s_axis_", "m_axis_")):
                ours, theirs = getattr(bridge, name), getattr(top, name)
                if bridge.signature.members[name].flow is Out:
                    m.d.comb += theirs.eq(ours)
                else:
                    m.d.comb += ours.eq(theirs)
        return m
