"""AXI4-Lite and AXI4-Stream at the edge of the design.

:class:`AXI4LiteSignature` and :class:`AXI4StreamSignature` name their members as the AMBA
specifications do (``awaddr``, ``tdata``...), so a top level that flattens them with a prefix
(:func:`flat_members`) gets the port names cocotbext-axi and vendor tools expect
(``s_axil_awaddr``, ``s_axis_x_tdata``...).

:class:`AXI4LiteSlave` turns AXI4-Lite transactions into accesses of a
:class:`tlcim.hw.regblock.RegisterBusSignature` bus. :func:`connect_stream` joins an
``amaranth.lib.stream`` interface whose payload is a struct with ``data``/``last``/``dest``
fields to AXI4-Stream ``tdata``/``tlast``/``tdest``.
"""

from amaranth.hdl import Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .regblock import RegisterBusSignature
from .registers import ADDRESS_BITS, DATA_BITS

__all__ = ["RESP_OKAY", "RESP_SLVERR", "AXI4LiteSignature", "AXI4StreamSignature",
           "AXI4LiteSlave", "flat_members", "FlatView", "connect_stream"]

#: AXI response codes.
RESP_OKAY, RESP_SLVERR = 0b00, 0b10


class AXI4LiteSignature(wiring.Signature):
    """AXI4-Lite, as seen from the manager (``Out`` = driven by the manager).

    ``awprot``/``arprot`` are left out: the register block does not distinguish protection
    levels (cocotbext-axi treats them as optional).

    Parameters
    ----------
    address_bits, data_bits : int
    """

    def __init__(self, *, address_bits=ADDRESS_BITS, data_bits=DATA_BITS):
        if data_bits not in (32, 64):
            raise ValueError(f"data_bits must be 32 or 64 (AXI4-Lite), not {data_bits!r}")
        self._address_bits, self._data_bits = address_bits, data_bits
        super().__init__({
            "awaddr": Out(address_bits), "awvalid": Out(1), "awready": In(1),
            "wdata": Out(data_bits), "wstrb": Out(data_bits // 8), "wvalid": Out(1),
            "wready": In(1),
            "bresp": In(2), "bvalid": In(1), "bready": Out(1),
            "araddr": Out(address_bits), "arvalid": Out(1), "arready": In(1),
            "rdata": In(data_bits), "rresp": In(2), "rvalid": In(1), "rready": Out(1),
        })

    @property
    def address_bits(self):
        return self._address_bits

    @property
    def data_bits(self):
        return self._data_bits

    def __eq__(self, other):
        return (isinstance(other, AXI4LiteSignature) and
                (self.address_bits, self.data_bits) == (other.address_bits, other.data_bits))

    def __repr__(self):
        return f"AXI4LiteSignature(address_bits={self.address_bits}, data_bits={self.data_bits})"


class AXI4StreamSignature(wiring.Signature):
    """AXI4-Stream with ``tdata``, ``tvalid``, ``tready``, ``tlast`` and optionally ``tdest``,
    as seen from the transmitter.

    Parameters
    ----------
    data_bits : int
        A multiple of 8 (AXI4-Stream carries whole bytes).
    dest_bits : int
        0 for no ``tdest``.
    """

    def __init__(self, data_bits, *, dest_bits=0):
        if data_bits < 8 or data_bits % 8:
            raise ValueError(f"data_bits must be a positive multiple of 8, not {data_bits!r}")
        self._data_bits, self._dest_bits = data_bits, dest_bits
        members = {"tdata": Out(data_bits), "tvalid": Out(1), "tready": In(1), "tlast": Out(1)}
        if dest_bits:
            members["tdest"] = Out(dest_bits)
        super().__init__(members)

    @property
    def data_bits(self):
        return self._data_bits

    @property
    def dest_bits(self):
        return self._dest_bits

    def __eq__(self, other):
        return (isinstance(other, AXI4StreamSignature) and
                (self.data_bits, self.dest_bits) == (other.data_bits, other.dest_bits))

    def __repr__(self):
        return f"AXI4StreamSignature({self.data_bits}, dest_bits={self.dest_bits})"


def flat_members(prefix, member):
    """Return ``{f"{prefix}_{name}": port member}`` for every member of a flat interface
    member (``In(sig)`` or ``Out(sig)``), with directions as the outer component sees them."""
    signature = member.signature if member.is_signature else None
    if signature is None:
        raise TypeError(f"member must be an interface member, not {member!r}")
    # ``member.signature`` is already flipped for an ``In`` member.
    return {f"{prefix}_{name}": inner for name, inner in signature.members.items()}


class FlatView:
    """The flat ports ``<prefix>_<name>`` of ``owner`` seen as one interface of ``signature``
    (so :func:`amaranth.lib.wiring.connect` can join them to an inner component)."""

    def __init__(self, owner, prefix, signature):
        self.signature = signature
        for name in signature.members:
            setattr(self, name, getattr(owner, f"{prefix}_{name}"))


class AXI4LiteSlave(wiring.Component):
    """AXI4-Lite subordinate driving a register bus.

    One transaction at a time per direction. A write is accepted when its address and data are
    both valid and no write response is pending; it answers ``SLVERR`` when the bus reports no
    register at the address. A read is accepted when no read response is pending and no write
    is accepted in the same cycle (writes win; they cannot starve reads because a write needs
    its response taken first). Reads of unmapped addresses return 0 with ``SLVERR``.

    Members
    -------
    axil : In(AXI4LiteSignature())
    bus : Out(RegisterBusSignature())
    """

    axil: In(AXI4LiteSignature())
    bus: Out(RegisterBusSignature())

    #: Cycles from an accepted address to its response being valid.
    latency = 1

    def elaborate(self, platform):
        m = Module()
        axil, bus = self.axil, self.bus
        do_write = axil.awvalid & axil.wvalid & ~axil.bvalid
        do_read = axil.arvalid & ~axil.rvalid & ~do_write
        m.d.comb += [
            axil.awready.eq(do_write),
            axil.wready.eq(do_write),
            axil.arready.eq(do_read),
            bus.addr.eq(Mux(do_write, axil.awaddr, axil.araddr)),
            bus.w_en.eq(do_write),
            bus.w_data.eq(axil.wdata),
            bus.w_strb.eq(axil.wstrb),
        ]
        with m.If(do_write):
            m.d.sync += [axil.bvalid.eq(1),
                         axil.bresp.eq(Mux(bus.error, RESP_SLVERR, RESP_OKAY))]
        with m.Elif(axil.bready):
            m.d.sync += axil.bvalid.eq(0)
        with m.If(do_read):
            m.d.sync += [axil.rvalid.eq(1),
                         axil.rdata.eq(Mux(bus.error, 0, bus.r_data)),
                         axil.rresp.eq(Mux(bus.error, RESP_SLVERR, RESP_OKAY))]
        with m.Elif(axil.rready):
            m.d.sync += axil.rvalid.eq(0)
        return m


def connect_stream(m, inner, axis, *, to_axis):
    """Join the ``lib.stream`` interface ``inner`` (payload fields ``data``, ``last`` and
    optionally ``dest``) to the AXI4-Stream ports of ``axis`` (``tdata``, ``tlast``,
    ``tdest``, ``tvalid``, ``tready``), in the direction ``to_axis`` says."""
    names = {"tdata": "data", "tlast": "last", "tdest": "dest"}
    for port, field in names.items():
        if hasattr(axis, port):
            if to_axis:
                m.d.comb += getattr(axis, port).eq(getattr(inner.payload, field))
            else:
                m.d.comb += getattr(inner.payload, field).eq(getattr(axis, port))
    if to_axis:
        m.d.comb += [axis.tvalid.eq(inner.valid), inner.ready.eq(axis.tready)]
    else:
        m.d.comb += [inner.valid.eq(axis.tvalid), axis.tready.eq(inner.ready)]
