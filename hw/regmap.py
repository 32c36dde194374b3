"""The tlcim register catalogue: the control/status registers of one configuration.

:func:`register_map` returns them as a :class:`tlcim.hw.registers.RegisterMap`, the one
description from which the register block in the RTL (:class:`tlcim.hw.regblock.RegisterBlock`),
the Markdown table, the JSON file and the C header are generated; host drivers look addresses
and fields up by name in it, so no address is written down twice.
"""

import dataclasses

from tlcim.golden import Config
from tlcim.golden.arith import REQUANT_MULTIPLIER_BITS, REQUANT_SHIFT_BITS
from tlcim.golden.errors import ErrorCode
from .geometry import Geometry
from .interfaces import (DEFAULT_TIMING, ERROR_SHAPE, MINIMUM_CYCLES, NVM_PHASES,
                         fault_words_count, readback_words)
from .registers import ADDRESS_BITS, Access, Field, Register, RegisterMap, value_register

__all__ = ["ID", "VERSION", "NVM_BASE", "READBACK_BASE", "FAULT_BASE", "READBACK_DATA_WORDS",
           "FAULT_DATA_WORDS", "register_map",
           "nvm_registers", "readback_registers"]

#: Value of the ``ID`` register: ASCII "TLCM".
ID = 0x544C434D
#: (major, minor) version of the register map; the major number changes when a register moves.
#: 1.3: emulation-only registers are marked (``emulation`` in the JSON) and read 0 in builds
#: without the fault port.
VERSION = (1, 3)


# -- the store/restore controller (tlcim.hw.nvm) -----------------------------------------------

#: Base of the store/restore controller's registers (:func:`nvm_registers`, ``0x200-0x2ff``).
NVM_BASE = 0x200
#: Base addresses of the SRAM row readback and of the emulation-only fault port registers
#: (:func:`readback_registers`).
READBACK_BASE, FAULT_BASE = 0x300, 0x400
#: Words of the ``SRAM_DATA<i>`` window (up to ``FAULT_BASE``) and of the ``FAULT_DATA<i>``
#: window (up to the end of the register space): they bound the row width
#: (:mod:`tlcim.hw.limits`).
READBACK_DATA_WORDS = (FAULT_BASE - (READBACK_BASE + 0x20)) // 4
FAULT_DATA_WORDS = ((1 << ADDRESS_BITS) // 2 - (FAULT_BASE + 0x80)) // 4


def nvm_registers(config, timing_bits=8):
    """Return the registers of the store/restore controller (:class:`tlcim.hw.nvm.NvmController`)
    for ``config``, from :data:`NVM_BASE`.

    ``NVM_CMD`` holds a command's arguments, ``NVM_START`` starts it (the command waits,
    ``NVM_STATUS.busy``, until the datapath is idle); phase lengths with safe reset values
    (:data:`tlcim.hw.interfaces.DEFAULT_TIMING`); the policy; where the last verify failure was
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
    for ``config`` (every configuration's row fits its window: :mod:`tlcim.golden.limits`).
    """
    return _readback_registers(config) + _fault_registers(config)


def _readback_registers(config):
    # SRAM row readback (the host's `read`): select a row, read its bits a word at a time.
    words = readback_words(config)
    registers = [Register("SRAM_READ", READBACK_BASE, (
        Field("row", 0, 16, Access.RW, 0, "Row to read."),
        Field("subarray", 16, 8, Access.RW, 0, "Subarray to read."),
    ), "SRAM row readback select; SRAM_DATA<i> show the row while the device is idle.")]
    registers += [value_register(f"SRAM_DATA{i}", READBACK_BASE + 0x20 + 4 * i, 32, Access.RO,
                                  f"Bits {32 * i + 31}:{32 * i} of the selected SRAM row (cell c "
                                  f"at bits 2c, 2c + 1: Q1, Q2).") for i in range(words)]
    return registers


def _fault_registers(config):
    # Not part of a real macro: the behavioural stub's fault-map write port
    # (hw.reram_array.ReramArray fault_port), so a host can make a restore read what the golden
    # device model senses. Emulation-only since map 1.3: in every map, but builds without the
    # fault port read them as 0, ignore writes and generate no hardware for them.
    words = fault_words_count(config)
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
    registers += [value_register(f"FAULT_DATA{i}", FAULT_BASE + 0x80 + 4 * i, 32, Access.RW,
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

    Every configuration fits (:mod:`tlcim.golden.limits` bounds the subarrays and the rows
    to what these windows hold).
    """
    if not isinstance(config, Config):
        raise TypeError(f"config must be a golden.Config, not {config!r}")
    geometry = Geometry(config)
    registers = [
        value_register("ID", 0x000, 32, Access.CONST, "Identification: ASCII \"TLCM\".", ID),
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
        registers.append(value_register(f"CFG_{field.name.upper()}", 0x010 + 4 * index, 32,
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
        registers.append(value_register(f"GEO_{name.upper()}", 0x080 + 4 * index, 32,
                                         Access.CONST, doc, getattr(geometry, name)))
    registers.append(value_register("GEO_OUTS", 0x080 + 4 * len(geometry_values), 32,
                                     Access.CONST, "Results per vector (outs).", config.outs))
    registers.append(value_register("GEO_CONVERSIONS", 0x084 + 4 * len(geometry_values), 32,
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
        value_register("REQ_MULT", 0x104, REQUANT_MULTIPLIER_BITS, Access.RW,
                       "Requantisation multiplier.", 1),
        value_register("REQ_SHIFT", 0x108, REQUANT_SHIFT_BITS, Access.RW,
                        "Requantisation right shift (round half up)."),
        Register("STATUS", 0x110, (
            Field("busy", 0, 1, Access.RO, 0, "An MVM or a weight load is in progress."),
        ), "Status."),
        value_register("VALID", 0x114, config.subarrays, Access.RO,
                        "Bit s: subarray s holds a complete, valid weight matrix."),
        Register("ERROR", 0x118, (
            Field("code", 0, ERROR_SHAPE.width, Access.ROC, 0,
                  f"Last error code ({codes}); sticky until any write to ERROR."),
        ), "Last error."),
        value_register("ERROR_COUNT", 0x11C, 32, Access.RO,
                        "Errors since reset or CTRL.clear (saturating)."),
    ]
    for index, (name, doc) in enumerate({
            "CYCLES": "Clock cycles since reset or CTRL.clear",
            "MVMS": "Result vectors produced since reset or CTRL.clear",
            "SATURATIONS": "Input values saturated by the encoder since reset or CTRL.clear",
    }.items()):
        address = 0x120 + 8 * index
        registers += [value_register(f"{name}_LO", address, 32, Access.RO, f"{doc}, bits 31:0."),
                      value_register(f"{name}_HI", address + 4, 32, Access.RO,
                                      f"{doc}, bits 63:32.")]
    # The store/restore controller: command, phase lengths, policy, verify results
    # and the set each subarray holds, at 0x200-0x2ff; SRAM row readback at 0x300 and the
    # emulation-only fault port at 0x400.
    registers += nvm_registers(config) + readback_registers(config)
    return RegisterMap(registers, title=f"tlcim registers (version "
                                        f"{VERSION[0]}.{VERSION[1]})")
