"""The register block: the hardware of a :class:`tlcim.hw.registers.RegisterMap` behind a simple
register bus (which :class:`tlcim.hw.axi.AXI4LiteSlave` drives)."""

from amaranth.hdl import Cat, Const, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .registers import ADDRESS_BITS, DATA_BITS, Access

__all__ = ["RegisterBusSignature", "port_name", "RegisterBlock"]


class RegisterBusSignature(wiring.Signature):
    """A simple register bus, as seen from its initiator (the AXI4-Lite slave).

    Reads are combinational: ``r_data`` and ``error`` follow ``addr`` in the same cycle.
    A write takes effect at the clock edge where ``w_en`` is high.

    Members
    -------
    addr : Out(ADDRESS_BITS)
        Byte address (the two low bits are ignored).
    w_en : Out(1)
    w_data : Out(32)
    w_strb : Out(4)
    r_data : In(32)
    error : In(1)
        No register at ``addr``.
    """

    def __init__(self):
        super().__init__({"addr": Out(ADDRESS_BITS), "w_en": Out(1), "w_data": Out(DATA_BITS),
                          "w_strb": Out(DATA_BITS // 8), "r_data": In(DATA_BITS),
                          "error": In(1)})


def port_name(register, field):
    """Return the name of the :class:`RegisterBlock` port of ``field`` of ``register``."""
    return f"{register.name.lower()}_{field.name}"


class RegisterBlock(wiring.Component):
    """The registers of a :class:`RegisterMap` behind a :class:`RegisterBusSignature` bus.

    Ports are made from the description: per field ``<register>_<field>`` (lower case),
    ``Out`` for ``RW`` (the stored value) and ``W1P`` (a one-cycle pulse) fields, ``In`` for
    ``RO`` and ``ROC`` fields; and per register with ``ROC`` fields an ``Out(1)`` strobe
    ``<register>_clear`` high for one cycle when the register is written. ``CONST`` fields have
    no port.

    Parameters
    ----------
    regmap : RegisterMap
    emulation : bool
        Implement the emulation-only registers (:attr:`tlcim.hw.registers.Register.emulation`).
        Without it they are decoded (``OKAY``) but read 0, ignore writes and have no ports and no
        flip-flops.
    """

    def __init__(self, regmap, *, emulation=False):
        self._regmap = regmap
        self._emulation = bool(emulation)
        members = {"bus": In(RegisterBusSignature())}
        for register in self._implemented():
            for field in register.fields:
                if field.access is Access.RW:
                    members[port_name(register, field)] = Out(field.width, init=field.reset)
                elif field.access is Access.W1P:
                    members[port_name(register, field)] = Out(field.width)
                elif field.access in (Access.RO, Access.ROC):
                    members[port_name(register, field)] = In(field.width)
            if register.clears_on_write:
                members[f"{register.name.lower()}_clear"] = Out(1)
        super().__init__(members)

    @property
    def regmap(self):
        """The register map this block implements."""
        return self._regmap

    @property
    def emulation(self):
        """Whether the emulation-only registers are implemented."""
        return self._emulation

    def _implemented(self):
        # The registers with hardware behind them.
        return [register for register in self._regmap
                if self._emulation or not register.emulation]

    def _read_value(self, register):
        # The register as read: fields at their positions, unused bits and W1P fields 0.
        parts, position = [], 0
        for field in sorted(register.fields, key=lambda field: field.lsb):
            if field.lsb > position:
                parts.append(Const(0, field.lsb - position))
            if field.access is Access.CONST:
                parts.append(Const(field.reset, field.width))
            elif field.access is Access.W1P:
                parts.append(Const(0, field.width))
            else:
                parts.append(getattr(self, port_name(register, field)))
            position = field.lsb + field.width
        return Cat(*parts)

    def elaborate(self, platform):
        m = Module()
        bus = self.bus
        word = bus.addr[2:]
        # Bit mask of the bytes the write strobes enable.
        strobe_mask = Cat(*(bit.replicate(8) for bit in bus.w_strb))
        inert = [] if self._emulation else \
            [register.address >> 2 for register in self._regmap if register.emulation]
        with m.Switch(word):
            if inert:
                with m.Case(*inert):
                    pass  # decoded (no SLVERR), read 0, writes ignored
            for register in self._implemented():
                with m.Case(register.address >> 2):
                    m.d.comb += bus.r_data.eq(self._read_value(register))
                    for field in register.fields:
                        port = getattr(self, port_name(register, field), None)
                        new = bus.w_data[field.lsb:field.lsb + field.width]
                        enabled = strobe_mask[field.lsb:field.lsb + field.width]
                        if field.access is Access.RW:
                            with m.If(bus.w_en):
                                m.d.sync += port.eq((port & ~enabled) | (new & enabled))
                        elif field.access is Access.W1P:
                            m.d.comb += port.eq(bus.w_en.replicate(field.width) &
                                                new & enabled)
                    if register.clears_on_write:
                        m.d.comb += getattr(self, f"{register.name.lower()}_clear").eq(bus.w_en)
            with m.Default():
                m.d.comb += bus.error.eq(1)
        return m
