"""The control/status register map: one description, from which everything else is generated.

:func:`register_map` returns the registers of a configuration as data (:class:`Register` and
:class:`Field` objects). From that one description come the register block in the RTL
(:class:`RegisterBlock`), the Markdown table, the JSON file and the C header
(:meth:`RegisterMap.markdown`, :meth:`RegisterMap.json`, :meth:`RegisterMap.c_header`), and
host drivers look addresses and fields up by name in it (:meth:`RegisterMap.address`,
:meth:`Register.encode`, :meth:`Register.decode`); no address is written down twice.

Bus conventions (documented in the generated Markdown too): 32-bit registers at word-aligned
byte addresses in a 4 KiB window. An access to an address that holds no register answers
``SLVERR``: a read returns 0, a write changes nothing. Writes to read-only fields are ignored
(``OKAY``). Byte strobes apply to read/write fields. *Emulation-only* registers
(:attr:`Register.emulation`: the behavioural stub's fault port) are in every map, but live only
in builds with that port; elsewhere they read 0, ignore writes (``OKAY``) and cost no hardware.
"""

import dataclasses
import enum
import json

from amaranth.hdl import Cat, Const, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tlcim.golden import Config
from tlcim.golden.errors import ErrorCode
from .geometry import Geometry
from .interfaces import ERROR_SHAPE, NVM_PHASES, fault_words_count, readback_words
from .reram_array import DEFAULT_TIMING, MINIMUM_CYCLES

__all__ = ["Access", "Field", "Register", "Reserved", "RegisterMap", "register_map",
           "NVM_BASE", "READBACK_BASE", "FAULT_BASE", "nvm_registers", "readback_registers",
           "RegisterBusSignature", "RegisterBlock", "DATA_BITS", "ADDRESS_BITS", "ID", "VERSION"]

#: Width of a register and of the AXI4-Lite data bus.
DATA_BITS = 32
#: Byte-address width of the register window (4 KiB).
ADDRESS_BITS = 12
#: Value of the ``ID`` register: ASCII "TLCM".
ID = 0x544C434D
#: (major, minor) version of the register map; the major number changes when a register moves.
#: 1.3: emulation-only registers are marked (``emulation`` in the JSON) and read 0 in builds
#: without the fault port.
VERSION = (1, 3)


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
        Emulation only: the register exists (at its address, answering ``OKAY``) in every
        build, but only builds with the emulation fault port implement it; in the others it
        reads 0, ignores writes and generates no hardware (:class:`RegisterBlock`).
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


def _value_register(name, address, width, access, doc, reset=0, *, emulation=False):
    return Register(name, address, (Field("value", 0, width, access, reset, doc),), doc,
                    emulation=emulation)


# -- the store/restore controller (issue 4, hw.nvm) --------------------------------------------

#: Base of the store/restore controller's registers (:func:`nvm_registers`, ``0x200-0x2ff``).
NVM_BASE = 0x200
#: Base addresses of the SRAM row readback and of the emulation-only fault port registers
#: (:func:`readback_registers`).
READBACK_BASE, FAULT_BASE = 0x300, 0x400


def nvm_registers(config, timing_bits=8):
    """Return the registers of the store/restore controller (:class:`tlcim.hw.nvm.NvmController`)
    for ``config``, from :data:`NVM_BASE`.

    ``NVM_CMD`` holds a command's arguments, ``NVM_START`` starts it (the command waits,
    ``NVM_STATUS.busy``, until the datapath is idle); phase lengths with safe reset values
    (:data:`tlcim.hw.reram_array.DEFAULT_TIMING`); the policy; where the last verify failure was
    found; and per subarray the set it holds.
    """
    S = config.subarrays
    registers = [
        Register("NVM_CMD", NVM_BASE, (
            Field("op", 0, 1, Access.RW, 0, "0 = store, 1 = restore."),
            Field("all", 1, 1, Access.RW, 0, "Every subarray (subarray ignored)."),
            Field("subarray", 8, 8, Access.RW, 0, "Subarray (>= subarrays: bad_set)."),
            Field("set", 16, 16, Access.RW, 0, "Weight set cluster * cluster_size + index "
                                                "(>= weight_sets: bad_set)."),
        ), "Store/restore command arguments."),
        Register("NVM_START", NVM_BASE + 0x04, (
            Field("start", 0, 1, Access.W1P, 0, "Start the command in NVM_CMD."),
        ), "Start a store/restore."),
        Register("NVM_STATUS", NVM_BASE + 0x08, (
            Field("busy", 0, 1, Access.RO, 0, "A store/restore waits or runs (MVMs wait)."),
        ), "Store/restore status."),
        Register("NVM_UNVERIFIED", NVM_BASE + 0x0C, (
            Field("value", 0, S, Access.RO, 0, "Bit s: subarray s is valid only by the "
                                               "allow_unverified policy."),
        ), "Weights kept after a failed verification."),
        Register("NVM_ERROR_AT", NVM_BASE + 0x10, (
            Field("row", 0, 16, Access.RO, 0, "Row of the first verify mismatch."),
            Field("subarray", 16, 8, Access.RO, 0, "Its subarray."),
        ), "Where the last verify_failed restore found its first mismatch."),
        Register("NVM_POLICY", NVM_BASE + 0x14, (
            Field("allow_unverified", 0, 1, Access.RW, 0,
                  "Keep weights that failed verification valid (flagged)."),
        ), "Integrity policy; sampled when a command starts."),
    ]
    for index, name in enumerate(NVM_PHASES):
        registers.append(Register(f"NVM_T_{name.upper()}", NVM_BASE + 0x20 + 4 * index, (
            Field("cycles", 0, timing_bits, Access.RW, DEFAULT_TIMING[name],
                  f"Cycles of the {name} phase; raised to {MINIMUM_CYCLES[name]} if below."),
        ), f"Length of the {name} phase; sampled when a command starts."))
    for s in range(S):
        registers.append(Register(f"NVM_SET{s}", NVM_BASE + 0x80 + 4 * s, (
            Field("set", 0, 16, Access.RO, 0, "Weight set restored last."),
            Field("known", 31, 1, Access.RO, 0, "1: the SRAM holds that set (valid)."),
        ), f"The weight set subarray {s} holds."))
    return registers


def readback_registers(config):
    """Return the SRAM row readback registers (from :data:`READBACK_BASE`) and the
    emulation-only fault port registers (from :data:`FAULT_BASE`, :attr:`Register.emulation`)
    for ``config``.

    Raises
    ------
    ValueError
        If a row does not fit its register window.
    """
    return _readback_registers(config) + _fault_registers(config)


def _readback_registers(config):
    # SRAM row readback (the host's `read`): select a row, read its bits a word at a time.
    words = readback_words(config)
    if 4 * words > 0x100 - 0x20:
        raise ValueError(f"cbls must be at most {(0x100 - 0x20) // 4 * 16} for the SRAM "
                         f"readback registers, not {config.cbls}")
    registers = [Register("SRAM_READ", READBACK_BASE, (
        Field("row", 0, 16, Access.RW, 0, "Row to read."),
        Field("subarray", 16, 8, Access.RW, 0, "Subarray to read."),
    ), "SRAM row readback select; SRAM_DATA<i> show the row while the device is idle.")]
    registers += [_value_register(f"SRAM_DATA{i}", READBACK_BASE + 0x20 + 4 * i, 32, Access.RO,
                                  f"Bits {32 * i + 31}:{32 * i} of the selected SRAM row (cell c "
                                  f"at bits 2c, 2c + 1: Q1, Q2).") for i in range(words)]
    return registers


def _fault_registers(config):
    # Not part of a real macro: the behavioural stub's fault-map write port
    # (hw.reram_array.ReramArray fault_port), so a host can make a restore read what the golden
    # device model senses. Emulation-only since map 1.3: in every map, but builds without the
    # fault port read them as 0, ignore writes and generate no hardware for them.
    words = fault_words_count(config)
    if 4 * words > 0x400 - 0x80:
        raise ValueError(f"cbls must be smaller for the fault port registers (a fault-map "
                         f"row needs at most {(0x400 - 0x80) // 4} words, {words} for "
                         f"cbls = {config.cbls})")
    registers = [
        Register("FAULT_SEL", FAULT_BASE, (
            Field("row", 0, 16, Access.RW, 0, "Fault-map row to write."),
            Field("subarray", 16, 8, Access.RW, 0, "Its subarray."),
        ), "Emulation only: fault-map row select (simulation builds with a fault port).",
            emulation=True),
        Register("FAULT_WRITE", FAULT_BASE + 0x04, (
            Field("write", 0, 1, Access.W1P, 0, "Write FAULT_DATA<i> into the selected row."),
        ), "Emulation only: write one fault-map row.", emulation=True),
    ]
    registers += [_value_register(f"FAULT_DATA{i}", FAULT_BASE + 0x80 + 4 * i, 32, Access.RW,
                                  f"Emulation only: bits {32 * i + 31}:{32 * i} of a fault-map "
                                  f"row (hw.reram_array.fault_words).", emulation=True)
                  for i in range(words)]
    return registers


def register_map(config):
    """Return the :class:`RegisterMap` of the hardware generated for ``config``.

    Layout: ``0x000`` identification, ``0x010`` configuration readback (one register per
    :class:`tlcim.golden.Config` parameter, in declaration order), ``0x080`` geometry readback,
    ``0x100`` control and status, ``0x200-0x2ff`` the store/restore controller, ``0x300`` SRAM
    row readback, ``0x400`` the emulation-only fault port (:func:`nvm_registers`,
    :func:`readback_registers`).

    Raises
    ------
    ValueError
        If the hardware cannot be built for ``config`` (more than 32 subarrays: the ``VALID``
        register has one bit per subarray).
    """
    if not isinstance(config, Config):
        raise TypeError(f"config must be a golden.Config, not {config!r}")
    if config.subarrays > DATA_BITS:
        raise ValueError(f"subarrays must be at most {DATA_BITS} for the register map "
                         f"(one VALID bit each), not {config.subarrays!r}")
    geometry = Geometry(config)
    registers = [
        _value_register("ID", 0x000, 32, Access.CONST, "Identification: ASCII \"TLCM\".", ID),
        Register("VERSION", 0x004, (
            Field("minor", 0, 16, Access.CONST, VERSION[1], "Compatible additions."),
            Field("major", 16, 16, Access.CONST, VERSION[0], "Incompatible changes."),
        ), "Register-map version."),
    ]
    for index, field in enumerate(dataclasses.fields(Config)):
        value = getattr(config, field.name)
        doc = f"Configuration parameter `{field.name}`."
        if field.name == "adc_bits":
            value, doc = value or 0, doc + " 0 means an ideal ADC."
        registers.append(_value_register(f"CFG_{field.name.upper()}", 0x010 + 4 * index, 32,
                                         Access.CONST, doc, value))
    geometry_values = {
        "in_lanes": "Input values per activation beat.",
        "in_bits": "Bits per input value (signed).",
        "in_beats": "Activation beats per vector.",
        "out_lanes": "Results per result beat.",
        "out_bits": "Bits per result (signed).",
        "out_beats": "Result beats per vector.",
        "row_beats": "Weight-stream beats per SRAM row.",
        "vector_length": "Input values per device MVM (rows x subarrays).",
        "result_bits": "Significant bits of a result.",
    }
    for index, (name, doc) in enumerate(geometry_values.items()):
        registers.append(_value_register(f"GEO_{name.upper()}", 0x080 + 4 * index, 32,
                                         Access.CONST, doc, getattr(geometry, name)))
    registers.append(_value_register("GEO_OUTS", 0x080 + 4 * len(geometry_values), 32,
                                     Access.CONST, "Results per vector (outs).", config.outs))
    registers.append(_value_register("GEO_CONVERSIONS", 0x084 + 4 * len(geometry_values), 32,
                                     Access.CONST, "ADC conversion cycles per subarray MVM.",
                                     config.conversions_per_mvm))
    codes = ", ".join(f"{code.value} = {code.label}" for code in ErrorCode)
    registers += [
        Register("CTRL", 0x100, (
            Field("requant", 0, 1, Access.RW, 0, "Requantise results (REQ_MULT, REQ_SHIFT)."),
            Field("relu", 1, 1, Access.RW, 0, "ReLU in the requantisation."),
            Field("clear", 8, 1, Access.W1P, 0,
                  "Clear ERROR_COUNT, CYCLES, MVMS and SATURATIONS."),
        ), "Control; sampled by the datapath at the start of each MVM."),
        _value_register("REQ_MULT", 0x104, 16, Access.RW, "Requantisation multiplier.", 1),
        _value_register("REQ_SHIFT", 0x108, 6, Access.RW,
                        "Requantisation right shift (round half up)."),
        Register("STATUS", 0x110, (
            Field("busy", 0, 1, Access.RO, 0, "An MVM or a weight load is in progress."),
        ), "Status."),
        _value_register("VALID", 0x114, config.subarrays, Access.RO,
                        "Bit s: subarray s holds a complete, valid weight matrix."),
        Register("ERROR", 0x118, (
            Field("code", 0, ERROR_SHAPE.width, Access.ROC, 0,
                  f"Last error code ({codes}); sticky until any write to ERROR."),
        ), "Last error."),
        _value_register("ERROR_COUNT", 0x11C, 32, Access.RO,
                        "Errors since reset or CTRL.clear (saturating)."),
    ]
    for index, (name, doc) in enumerate({
            "CYCLES": "Clock cycles since reset or CTRL.clear",
            "MVMS": "Result vectors produced since reset or CTRL.clear",
            "SATURATIONS": "Input values saturated by the encoder since reset or CTRL.clear",
    }.items()):
        address = 0x120 + 8 * index
        registers += [_value_register(f"{name}_LO", address, 32, Access.RO, f"{doc}, bits 31:0."),
                      _value_register(f"{name}_HI", address + 4, 32, Access.RO,
                                      f"{doc}, bits 63:32.")]
    # The store/restore controller (issue 4): command, phase lengths, policy, verify results
    # and the set each subarray holds, at 0x200-0x2ff; SRAM row readback at 0x300 and the
    # emulation-only fault port at 0x400.
    registers += nvm_registers(config) + readback_registers(config)
    return RegisterMap(registers, title=f"tlcim registers (version "
                                        f"{VERSION[0]}.{VERSION[1]})")


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
        Implement the emulation-only registers (:attr:`Register.emulation`). Without it they
        are decoded (``OKAY``) but read 0, ignore writes and have no ports and no flip-flops.
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
