"""A general description of memory-mapped registers, and every view generated from it.

:class:`Register` and :class:`Field` objects describe registers as data; a :class:`RegisterMap`
holds them and generates the Markdown table, the JSON file and the C header
(:meth:`RegisterMap.markdown`, :meth:`RegisterMap.json`, :meth:`RegisterMap.c_header`), and
host drivers look addresses and fields up by name in it (:meth:`RegisterMap.address`,
:meth:`Register.encode`, :meth:`Register.decode`). Nothing here knows the tlcim registers:
their catalogue is :func:`tlcim.hw.regmap.register_map`, and the hardware that implements a map
is :class:`tlcim.hw.regblock.RegisterBlock`.

Bus conventions (documented in the generated Markdown too): 32-bit registers at word-aligned
byte addresses in a 4 KiB window. An access to an address that holds no register answers
``SLVERR``: a read returns 0, a write changes nothing. Writes to read-only fields are ignored
(``OKAY``). Byte strobes apply to read/write fields. *Emulation-only* registers
(:attr:`Register.emulation`) are in every map, but live only in builds that implement them;
elsewhere they read 0, ignore writes (``OKAY``) and cost no hardware.
"""

import dataclasses
import enum
import json

__all__ = ["DATA_BITS", "ADDRESS_BITS", "Access", "Field", "Register", "Reserved",
           "RegisterMap", "value_register"]

#: Width of a register and of the AXI4-Lite data bus.
DATA_BITS = 32
#: Byte-address width of the register window (4 KiB).
ADDRESS_BITS = 12


class Access(enum.Enum):
    """How software and hardware see a field."""

    #: Read-only constant (its reset value), fixed when the hardware is generated.
    CONST = "const"
    #: Read-only, driven by the hardware.
    RO = "ro"
    #: Read/write, held in the register block, reset to its reset value.
    RW = "rw"
    #: Write 1 to give the hardware a one-cycle pulse; reads 0.
    W1P = "w1p"
    #: Read-only, driven by the hardware; any write to the register clears it (sticky status).
    ROC = "roc"

    @property
    def writable(self):
        """Whether a write has an effect on the field."""
        return self in (Access.RW, Access.W1P, Access.ROC)


@dataclasses.dataclass(frozen=True)
class Field:
    """A bit field of a register.

    Members
    -------
    name : str
        Lower-case identifier, unique within its register.
    lsb, width : int
        Position and size in the 32-bit register.
    access : Access
    reset : int
        Value after reset (for ``CONST`` fields: the constant).
    doc : str
    """

    name: str
    lsb: int
    width: int
    access: Access
    reset: int = 0
    doc: str = ""

    def __post_init__(self):
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"field name must be a lower-case identifier, not {self.name!r}")
        if not (self.width >= 1 and self.lsb >= 0 and self.lsb + self.width <= DATA_BITS):
            raise ValueError(f"field {self.name} must lie within bits 0..{DATA_BITS - 1}, "
                             f"not lsb {self.lsb} width {self.width}")
        if not 0 <= self.reset < 1 << self.width:
            raise ValueError(f"field {self.name} reset value must fit in {self.width} bits, "
                             f"not {self.reset!r}")

    @property
    def mask(self):
        """Mask of the field's bits within the register."""
        return ((1 << self.width) - 1) << self.lsb


@dataclasses.dataclass(frozen=True)
class Register:
    """A 32-bit register.

    Members
    -------
    name : str
        Upper-case identifier, unique in the map.
    address : int
        Byte address, a multiple of 4.
    fields : tuple of Field
    doc : str
    emulation : bool
        Emulation only: the register exists (at its address, answering ``OKAY``) in every build,
        but only builds with the emulation fault port implement it; in the others it reads 0,
        ignores writes and generates no hardware (:class:`tlcim.hw.regblock.RegisterBlock`).
    """

    name: str
    address: int
    fields: tuple
    doc: str = ""
    emulation: bool = False

    def __post_init__(self):
        if not self.name.isidentifier() or self.name != self.name.upper():
            raise ValueError(f"register name must be an upper-case identifier, not {self.name!r}")
        if self.address % 4 or not 0 <= self.address < 1 << ADDRESS_BITS:
            raise ValueError(f"register {self.name} address must be a multiple of 4 below "
                             f"{1 << ADDRESS_BITS:#x}, not {self.address:#x}")
        used = 0
        for field in self.fields:
            if used & field.mask:
                raise ValueError(f"register {self.name}: field {field.name} overlaps another")
            used |= field.mask
        if len({field.name for field in self.fields}) != len(self.fields):
            raise ValueError(f"register {self.name}: field names must be unique")

    @property
    def reset(self):
        """The value read after reset (``RO`` and ``ROC`` fields read as 0)."""
        return sum(f.reset << f.lsb for f in self.fields if f.access in (Access.CONST, Access.RW))

    @property
    def clears_on_write(self):
        """Whether a write to this register clears its ``ROC`` fields."""
        return any(field.access is Access.ROC for field in self.fields)

    def field(self, name):
        """Return the field called ``name``."""
        for field in self.fields:
            if field.name == name:
                return field
        raise ValueError(f"register {self.name} has no field {name!r}; fields are "
                         f"{', '.join(f.name for f in self.fields)}")

    def encode(self, **values):
        """Return the register value holding ``values`` (field name -> int); others 0.

        Raises
        ------
        ValueError
            On an unknown field or a value that does not fit it.
        """
        word = 0
        for name, value in values.items():
            field = self.field(name)
            if not 0 <= int(value) < 1 << field.width:
                raise ValueError(f"{self.name}.{name} must fit in {field.width} bits, "
                                 f"not {value!r}")
            word |= int(value) << field.lsb
        return word

    def decode(self, word):
        """Return ``{field name: value}`` of a register value read from the hardware."""
        return {f.name: (word >> f.lsb) & ((1 << f.width) - 1) for f in self.fields}


@dataclasses.dataclass(frozen=True)
class Reserved:
    """An address range kept free for registers of a later issue (reads as unmapped now)."""

    name: str
    start: int
    end: int
    doc: str


class RegisterMap:
    """The registers of one configuration, with the generators of every view of them.

    Parameters
    ----------
    registers : iterable of Register
    reserved : iterable of Reserved
    title : str
        Heading of the generated documents.
    """

    def __init__(self, registers, reserved=(), *, title="tlcim registers"):
        self.registers = tuple(sorted(registers, key=lambda register: register.address))
        self.reserved = tuple(reserved)
        self.title = title
        names = [register.name for register in self.registers]
        if len(set(names)) != len(names):
            raise ValueError("register names must be unique")
        addresses = [register.address for register in self.registers]
        if len(set(addresses)) != len(addresses):
            raise ValueError("register addresses must be unique")
        for block in self.reserved:
            for register in self.registers:
                if block.start <= register.address < block.end:
                    raise ValueError(f"register {register.name} lies in the reserved range "
                                     f"{block.name}")
        self._by_name = {register.name: register for register in self.registers}

    def __iter__(self):
        return iter(self.registers)

    def __getitem__(self, name):
        """Return the register called ``name``."""
        try:
            return self._by_name[name]
        except KeyError:
            raise ValueError(f"no register named {name!r}") from None

    def address(self, name):
        """Return the byte address of the register called ``name``."""
        return self[name].address

    # -- generated views ------------------------------------------------------------------------

    def to_dict(self):
        """Return the map as plain data (what :meth:`json` writes)."""
        return {
            "title": self.title,
            "data_bits": DATA_BITS,
            "address_bits": ADDRESS_BITS,
            "unmapped": "SLVERR; reads return 0, writes change nothing",
            "registers": [{
                "name": register.name, "address": register.address,
                "reset": register.reset, "doc": register.doc, "emulation": register.emulation,
                "fields": [{"name": f.name, "lsb": f.lsb, "width": f.width,
                            "access": f.access.value, "reset": f.reset, "doc": f.doc}
                           for f in register.fields],
            } for register in self.registers],
            "reserved": [dataclasses.asdict(block) for block in self.reserved],
        }

    def json(self):
        """Return the map as JSON text (stable order, trailing newline)."""
        return json.dumps(self.to_dict(), indent=1) + "\n"

    def markdown(self):
        """Return the map as a Markdown document."""
        lines = [f"# {self.title}", "",
                 f"{DATA_BITS}-bit registers at byte addresses in a {1 << ADDRESS_BITS}-byte "
                 f"AXI4-Lite window. Accesses to addresses without a register answer `SLVERR` "
                 f"(reads return 0, writes change nothing); writes to read-only fields are "
                 f"ignored. 64-bit counters are split into `_LO`/`_HI` words: read HI, LO, HI "
                 f"and retry if HI changed. Registers marked *(emulation)* exist at their "
                 f"addresses in every build but work only in simulation builds with the "
                 f"emulation fault port; in every other build they read 0 and ignore writes.",
                 "",
                 "Access: " + "; ".join(f"`{a.value}` = {_ACCESS_DOC[a]}" for a in Access), "",
                 "| address | register | reset | description |", "|---|---|---|---|"]
        for register in self.registers:
            mark = "*(emulation)* " if register.emulation else ""
            lines.append(f"| `{register.address:#05x}` | `{register.name}` | "
                         f"`{register.reset:#x}` | {mark}{register.doc} |")
        lines += ["", "## Fields", "", "| register | field | bits | access | reset | description |",
                  "|---|---|---|---|---|---|"]
        for register in self.registers:
            for f in register.fields:
                bits = f"{f.lsb}" if f.width == 1 else f"{f.lsb + f.width - 1}:{f.lsb}"
                lines.append(f"| `{register.name}` | `{f.name}` | {bits} | {f.access.value} | "
                             f"{f.reset} | {f.doc} |")
        if self.reserved:
            lines += ["", "## Reserved ranges", "", "| range | for |", "|---|---|"]
            for block in self.reserved:
                lines.append(f"| `{block.start:#05x}`-`{block.end - 1:#05x}` | "
                             f"{block.name}: {block.doc} |")
        return "\n".join(lines) + "\n"

    def c_header(self):
        """Return the map as a C header: ``TLCIM_<REG>`` addresses and, per field,
        ``TLCIM_<REG>_<FIELD>_SHIFT``, ``_MASK`` (in place) and ``_RESET``."""
        lines = ["/* Generated by tlcim (hw/regmap.py); do not edit. */",
                 f"/* {self.title} */", "#ifndef TLCIM_REGS_H", "#define TLCIM_REGS_H", "",
                 f"#define TLCIM_REG_WINDOW_BYTES {1 << ADDRESS_BITS}u", ""]
        for register in self.registers:
            prefix = f"TLCIM_{register.name}"
            mark = "(emulation only: reads 0 without the fault port) " if register.emulation \
                else ""
            lines.append(f"/* {mark}{register.doc} */")
            lines.append(f"#define {prefix} {register.address:#05x}u")
            for f in register.fields:
                name = f"{prefix}_{f.name.upper()}"
                lines += [f"#define {name}_SHIFT {f.lsb}u",
                          f"#define {name}_MASK {f.mask:#010x}u",
                          f"#define {name}_RESET {f.reset:#x}u"]
            lines.append("")
        for block in self.reserved:
            lines += [f"/* reserved: {block.name}: {block.doc} */",
                      f"#define TLCIM_{block.name.upper()}_BASE {block.start:#05x}u",
                      f"#define TLCIM_{block.name.upper()}_END {block.end:#05x}u", ""]
        lines.append("#endif /* TLCIM_REGS_H */")
        return "\n".join(lines) + "\n"


_ACCESS_DOC = {
    Access.CONST: "read-only constant",
    Access.RO: "read-only status",
    Access.RW: "read/write",
    Access.W1P: "write 1 to pulse, reads 0",
    Access.ROC: "read-only, cleared by any write to the register",
}


def value_register(name, address, width, access, doc, reset=0, *, emulation=False):
    """Return a register with one field, ``value``, of ``width`` bits at bit 0."""
    return Register(name, address, (Field("value", 0, width, access, reset, doc),), doc,
                    emulation=emulation)
