"""Behavioural weight-set storage of one subarray: the TL-ReRAMs at their digital pins (SPEC 6).

:class:`ReramArray` holds every weight set of one subarray, spare checksum cells included
(``tlcim.golden.checksum``), and is driven only through
:class:`tlcim.hw.interfaces.NvmPinsSignature`.
It is the part of the macro stub that a later integration places next to the SRAM of
:class:`tlcim.hw.stub.SubarrayStub`: while it copies (``busy``) it owns the SRAM row port.

Storage
-------
One word per (set, row): ``set * rows + row``, ``nvm_row_bits`` bits, two per cell. A cell's
*code* is the bitwise inverse of the SRAM pair it restores to: HRS 00, MRS 10 (Q1 = 1,
Q2 = 0), LRS 11, bit 0 = ``~Q1``. Zero is HRS, the state of a never-programmed ReRAM, so the
storage needs no initialiser and a never-stored set restores with its marker cell at HRS
(``SET_EMPTY``). ``storage="verilog"`` instantiates the behavioural ``tlcim_wsram`` shipped in
``hw/verilog`` (SPEC 9: the ``paper`` storage generates in no time); ``storage="memory"`` uses
an Amaranth ``Memory`` (Python simulation, small configurations).

Semantics (all array-parallel in silicon; the model then copies row by row)
---------------------------------------------------------------------------
- Store: phase ``store_reset`` resets the selected ReRAM of every cell to HRS; ``store_set``
  sets it from (Q1, Q2): (0, 0) strong set -> LRS, (1, 0) weak set -> MRS, Q2 = 1 no set ->
  stays HRS (so the corrupt pair (0, 1) stores HRS).
- Restore: ``precharge``, ``restore_left``, ``latch_left``, ``restore_right``, ``latch_right``;
  the sensed level is the stored one (SPEC 6 rule with nominal resistances), unless the fault
  map says otherwise.
- When the last phase ends (every pin low) the model copies: ``rows`` words, one per cycle, done
  :func:`~tlcim.hw.interfaces.copy_latency` cycles after the first idle cycle. The protocol checker
  and the copy are reset-less, as the analog macro is: a digital reset only takes the pins to idle,
  which ends the operation in progress (with the corruption below if it was not complete), and a
  copy once started completes even through a reset.

Protocol checking and the corruption model
------------------------------------------
Every cycle the pins name a phase (exactly one high), idle (none) or nothing legal (several).
An operation starts with ``precharge`` (restore) or ``store_reset`` (store) from idle; each
phase must last at least
:data:`~tlcim.hw.interfaces.MINIMUM_CYCLES` and be followed by its successor in
:data:`~tlcim.hw.interfaces.NVM_PHASES`, the last one by idle; the selects must not change.
Any other pattern sets ``protocol_error`` (sticky until reset). A phase counts as *done*
when it was entered in order (from idle for a first phase, else from its predecessor), held
at least its minimum and left with the selects unmoved; moving the selects during a phase
fails every phase of the operation. When the pins return to idle (also after a violation, or
when a reset takes them there), the operation takes effect with these corruptions of every
cell (the operation is array-parallel, so every cell is affected):

- restore: the storage nodes start at VDD, so a failed ``precharge``, ``restore_left`` or
  ``latch_left`` leaves Q1 = 1 in every cell; a failed ``precharge``, ``restore_right`` or
  ``latch_right`` leaves Q2 = 1 (a cell can then hold the corrupt pair (0, 1));
- store: without a completed ``store_reset`` the old level is not erased and the set pulse can
  only lower resistance, so a cell ends at the lower-resistance of old and new (in codes:
  ``old | new``); without a completed ``store_set`` no cell is set (``new = HRS``).

Faults
------
``fault_map`` (int8 ``[rows, cells, 3]``, ``cells = cbls + spare_cells``) gives, for every
cell and every stored level (index ``level + 1``), the level a restore reads: the identity
when fault-free. It describes the sense path of this subarray for every set: stuck-at cells
(the same level for every entry), forced misreads, and per-cell variation drawn from the
golden ReRAM model with a seed (:func:`variation_fault_map`). It is a small ``rows``-word
``Memory`` initialised at generation time; with ``fault_port`` a host can rewrite it between
restores (one-shot misreads, per-set faults, random misreads drawn by the golden model).
"""

import importlib.resources

import numpy as np
from amaranth.hdl import (Cat, ClockSignal, Const, Instance, Module, Mux, ResetSignal, Shape,
                          Signal, unsigned)
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from tlcim.golden import Config
from tlcim.golden import reram
from tlcim.golden.checksum import spare_cells
from .interfaces import (MINIMUM_CYCLES, NVM_PHASES, NvmPinsSignature, NvmRowSignature,
                         nvm_row_bits)
from .stub import SubarraySignature, SubarrayStub

__all__ = ["ReramArray", "NvmSubarray", "NvmSubarrayBlackBox", "NvmSubarrayModel",
           "identity_fault_map",
           "variation_fault_map", "fault_words", "sensed_fault_map", "verilog_sources"]

_RESTORE = NVM_PHASES[:5]
_STORE = NVM_PHASES[5:]
# Phase numbers: 0 idle, 1.. the phases of NVM_PHASES, 8 several pins at once.
_IDLE, _ILLEGAL = 0, len(NVM_PHASES) + 1
# Level (trit) -> code, and code -> level; code 01 never stored (reads as HRS).
_CODE = {-1: 0b00, 0: 0b10, 1: 0b11}


def verilog_sources():
    """Return ``{file name: text}`` of the Verilog the ``verilog`` storage instantiates."""
    folder = importlib.resources.files("tlcim.hw") / "verilog"
    return {"tlcim_wsram.v": (folder / "tlcim_wsram.v").read_text()}


def _cells(config):
    return config.cbls + spare_cells(config.cbls)


def identity_fault_map(config):
    """Return the fault-free map: every cell reads the level it stores, int8 [rows, cells, 3]."""
    return np.broadcast_to(np.array([-1, 0, 1], dtype=np.int8),
                           (config.rows, _cells(config), 3)).copy()


def variation_fault_map(config, sigma, seed, *, cluster_size=None, params=reram.PAPER_RERAM):
    """Return a fault map of per-cell log-normal variation drawn from the golden model.

    Each cell gets one standard-normal draw ``Z`` (``numpy.random.default_rng(seed)``, shape
    ``[rows, cells]``); the level it reads for a stored level ``l`` is the SPEC 6 sensing of
    ``R_l * exp(sigma * Z)`` through the cluster's leakage (``tlcim.golden.reram``). The same ``Z``
    holds for every level, so the map is fixed per cell, as a fault map loaded at generation
    time must be.
    """
    if not isinstance(config, Config):
        raise TypeError(f"config must be a golden.Config, not {config!r}")
    cluster_size = config.cluster_size if cluster_size is None else cluster_size
    z = np.random.default_rng(seed).standard_normal((config.rows, _cells(config)))
    out = np.empty((config.rows, _cells(config), 3), dtype=np.int8)
    for level in (-1, 0, 1):
        r_cell = params.levels[level + 1] * np.exp(reram.check_sigma(sigma) * z)
        out[..., level + 1] = reram.sensed_trits(
            reram.effective_resistance(r_cell, cluster_size, params), params)
    return out


def sensed_fault_map(config, sensed):
    """Return the fault map that makes the stub read what the golden device sensed.

    ``sensed`` is :meth:`tlcim.golden.device.Device.sensed` of one subarray (or None: fault-free).
    Every cell reads, for the level it stores, the level the golden model read, so a restore
    of the RTL gives exactly the golden restore, misreads and all (whatever their cause:
    stuck cells, forced misreads, variation, random misreads).
    """
    fault_map = identity_fault_map(config)
    if sensed is None:
        return fault_map
    stored = np.concatenate([sensed["stored"], sensed["stored_spare"]], axis=1)
    read = np.concatenate([sensed["trits"], sensed["spare"]], axis=1)
    rows, cells = np.indices(stored.shape)
    fault_map[rows, cells, stored + 1] = read
    return fault_map


def _fault_members(config):
    # The fault map's write port (ReramArray's fault_port).
    return {"fault_addr": In(range(config.rows)), "fault_data": In(6 * _cells(config)),
            "fault_we": In(1)}


def _check_fault_map(config, fault_map):
    shape = (config.rows, _cells(config), 3)
    fault_map = np.asarray(fault_map)
    if fault_map.shape != shape or not np.issubdtype(fault_map.dtype, np.integer) \
            or np.any(np.abs(fault_map) > 1):
        raise ValueError(f"fault_map must be an integer array of trits with shape "
                         f"(rows, cbls + spare cells, 3) = {shape}, not shape "
                         f"{fault_map.shape}")
    return fault_map.astype(np.int8)


def fault_words(config, fault_map):
    """Return the fault map as the integers of the fault memory, one per row.

    For the stored level of index ``i`` (HRS, MRS, LRS), bits ``[2 * cells * i + 2c,
    2 * cells * i + 2c + 2)`` hold the XOR of cell ``c``'s code with the code it reads: zero
    is fault-free. Each level's XORs lie like the codes of a stored row (cell ``c`` at bits
    ``2c`` and ``2c + 1``), so the array applies them to whole rows at once. This is what the
    host writes through the ``fault`` port of :class:`ReramArray`.
    """
    fault_map = _check_fault_map(config, fault_map)
    codes = np.vectorize(_CODE.get)(fault_map).astype(np.int64)          # read codes
    stored = np.array([_CODE[-1], _CODE[0], _CODE[1]])
    xor = codes ^ stored                                                  # [rows, cells, 3]
    cells = xor.shape[1]
    words = []
    for row in xor:
        value = 0
        for c, entries in enumerate(row):
            for index, bits in enumerate(entries):
                value |= int(bits) << (2 * cells * index + 2 * c)
        words.append(value)
    return words


class ReramArray(wiring.Component):
    """Every weight set of one subarray with its store/restore pins (see the module docstring).

    Parameters
    ----------
    config : Config
    storage : "memory" or "verilog"
        An Amaranth ``Memory``, or an instance of ``tlcim_wsram`` (:func:`verilog_sources`).
    fault_map : array_like or None
        Levels read per cell and stored level, int8 [rows, cells, 3]; None = fault-free.
    fault_port : bool
        Give the fault map a write port (``fault_addr``, ``fault_data``, ``fault_we``) so a
        host or testbench can change it between restores (:func:`fault_words` packs a row).
        A test feature of the behavioural stub: the analog macro has no such pins.

    Members
    -------
    nvm : In(NvmPinsSignature(config))
    sram : Out(NvmRowSignature(config))
        The SRAM row port, used while ``busy``.
    busy : Out(1)
        Copying between the SRAM and the ReRAM words.
    protocol_error : Out(1)
        A phase was out of order, too short, or the selects moved (sticky until reset).

    Raises
    ------
    ValueError
        For an unknown ``storage`` or a malformed ``fault_map``.
    """

    def __init__(self, config, *, storage="memory", fault_map=None, fault_port=False):
        if not isinstance(config, Config):
            raise TypeError(f"config must be a golden.Config, not {config!r}")
        if storage not in ("memory", "verilog"):
            raise ValueError(f"storage must be 'memory' or 'verilog', not {storage!r}")
        self.config = config
        self.storage = storage
        self.fault_map = None if fault_map is None else _check_fault_map(config, fault_map)
        self.fault_port = bool(fault_port)
        members = {"nvm": In(NvmPinsSignature(config)), "sram": Out(NvmRowSignature(config)),
                   "busy": Out(1), "protocol_error": Out(1)}
        if self.fault_port:
            members.update(_fault_members(config))
        super().__init__(members)

    def elaborate(self, platform):
        config = self.config
        R, W = config.rows, nvm_row_bits(config)
        cells = W // 2
        m = Module()

        # -- protocol checker ------------------------------------------------------------------
        pins = Cat(getattr(self.nvm, name) for name in NVM_PHASES)
        pin_phase = Signal(range(_ILLEGAL + 1))
        with m.Switch(pins):
            m.d.comb += pin_phase.eq(_ILLEGAL)
            with m.Case(0):
                m.d.comb += pin_phase.eq(_IDLE)
            for i in range(len(NVM_PHASES)):
                with m.Case(1 << i):
                    m.d.comb += pin_phase.eq(i + 1)
        # The checker is reset-less like the analog macro: a digital reset just takes the pins
        # back to idle, which ends (and, mid-operation, corrupts) the operation in progress.
        phase = Signal(range(_ILLEGAL + 1), reset_less=True)
        count = Signal(range(max(MINIMUM_CYCLES.values()) + 1), reset_less=True)
        done = Signal(len(NVM_PHASES), reset_less=True)   # phases completed properly
        select = Cat(self.nvm.cluster, self.nvm.sl)
        held = Signal.like(select, reset_less=True)   # selects latched at the start
        active = Signal(reset_less=True)              # inside an operation
        is_store = Signal(reset_less=True)
        minimum = Signal.like(count)
        with m.Switch(phase):
            for i, name in enumerate(NVM_PHASES):
                with m.Case(i + 1):
                    m.d.comb += minimum.eq(MINIMUM_CYCLES[name])
        successor = Signal.like(phase)     # the legal next phase after `phase`
        with m.Switch(phase):
            for i in range(len(NVM_PHASES)):
                with m.Case(i + 1):
                    last = NVM_PHASES[i] in (_RESTORE[-1], _STORE[-1])
                    m.d.comb += successor.eq(_IDLE if last else i + 2)

        commit = Signal()                  # pins back to idle: the operation takes effect
        commit_store = Signal()
        commit_done = Signal.like(done)
        violation = Signal()
        m.d.comb += [commit_store.eq(is_store), commit_done.eq(done)]
        spoiled = Signal(reset_less=True)  # the selects moved during this operation
        entered_ok = Signal(reset_less=True)   # the current phase was entered in order
        with m.If(pin_phase == phase):
            with m.If(count != (1 << len(count)) - 1):   # saturate: only >= minimum matters
                m.d.sync += count.eq(count + 1)
            with m.If(active & (select != held)):
                m.d.comb += violation.eq(1)
                m.d.sync += spoiled.eq(1)
        with m.Elif(~active):
            # From idle (or an illegal pattern outside an operation).
            first = (pin_phase == 1) | (pin_phase == len(_RESTORE) + 1)
            m.d.sync += [phase.eq(pin_phase), count.eq(1), done.eq(0), held.eq(select),
                         spoiled.eq(0), entered_ok.eq(first)]
            with m.If(pin_phase != _IDLE):
                m.d.sync += [active.eq(1),
                             is_store.eq(pin_phase > len(_RESTORE))]
                # Starting anywhere but at the first phase is a violation (the skipped phases
                # stay not done).
                with m.If(~first):
                    m.d.comb += violation.eq(1)
        with m.Else():
            # Leaving a phase: it is done if it was entered in order, held long enough, with
            # the selects unmoved. The selects matter only while a phase pin is high.
            moved = (select != held) & (pin_phase != _IDLE)
            leave_ok = entered_ok & (count >= minimum) & ~moved & ~spoiled
            with m.If(leave_ok):
                m.d.comb += commit_done.eq(done | (Const(1, 2 * len(done)) << phase)[1:])
                m.d.sync += done.eq(commit_done)
            with m.If(~leave_ok | (pin_phase != successor)):
                m.d.comb += violation.eq(1)
            with m.If(spoiled | moved):
                m.d.comb += commit_done.eq(0)
                m.d.sync += [done.eq(0), spoiled.eq(1)]
            m.d.sync += [phase.eq(pin_phase), count.eq(1),
                         entered_ok.eq(pin_phase == successor)]
            with m.If(pin_phase == _IDLE):
                m.d.comb += commit.eq(1)
                m.d.sync += active.eq(0)
        with m.If(violation):
            m.d.sync += self.protocol_error.eq(1)

        # -- storage ---------------------------------------------------------------------------
        depth = config.weight_sets * R
        abits = max(1, (depth - 1).bit_length())
        raddr, waddr = Signal(abits), Signal(abits)
        rdata, wdata, we = Signal(W), Signal(W), Signal()
        if self.storage == "memory":
            m.submodules.words = words = Memory(shape=unsigned(W), depth=depth, init=[])
            read, write = words.read_port(), words.write_port()
            m.d.comb += [read.addr.eq(raddr), rdata.eq(read.data), write.addr.eq(waddr),
                         write.data.eq(wdata), write.en.eq(we)]
        else:
            m.submodules.words = Instance("tlcim_wsram", p_WIDTH=W, p_DEPTH=depth,
                                          p_ABITS=abits, i_clk=ClockSignal(), i_raddr=raddr,
                                          o_rdata=rdata, i_waddr=waddr, i_wdata=wdata,
                                          i_we=we)

        # -- copy engine (reset-less: see the module docstring) --------------------------------
        copying = Signal(reset_less=True)
        writing = Signal(reset_less=True)        # stage 2: data of row `row_q` available
        c_store = Signal(reset_less=True)
        c_done = Signal(len(NVM_PHASES), reset_less=True)
        c_base = Signal(abits, reset_less=True)  # set * rows
        row = Signal(range(R), reset_less=True)
        row_q = Signal(range(R), reset_less=True)
        set_index = held[:len(self.nvm.cluster)] * config.cluster_size + \
            held[len(self.nvm.cluster):]
        with m.If(commit):
            m.d.sync += [copying.eq(1), row.eq(0), c_store.eq(commit_store),
                         c_done.eq(commit_done), c_base.eq(set_index * R)]
        with m.Elif(copying):
            m.d.sync += row.eq(row + 1)
            with m.If(row == R - 1):
                m.d.sync += copying.eq(0)
        m.d.sync += [writing.eq(copying), row_q.eq(row)]
        m.d.comb += self.busy.eq(copying | writing)

        m.d.comb += raddr.eq(c_base + row)
        m.d.comb += [waddr.eq(c_base + row_q), self.sram.row_addr.eq(Mux(c_store, row, row_q))]

        # Fault map: a 2-bit XOR per cell and stored level (fault_words), read with the row.
        if self.fault_map is not None or self.fault_port:
            init = [] if self.fault_map is None else fault_words(config, self.fault_map)
            m.submodules.faults = faults = Memory(shape=unsigned(6 * cells), depth=R,
                                                  init=init)
            if self.fault_port:
                fault_write = faults.write_port()
                m.d.comb += [fault_write.addr.eq(self.fault_addr),
                             fault_write.data.eq(self.fault_data),
                             fault_write.en.eq(self.fault_we)]
            fault_read = faults.read_port()
            m.d.comb += fault_read.addr.eq(row)
            fault_word = fault_read.data
        else:
            fault_word = Const(0, 6 * cells)

        ok = {name: c_done[i] for i, name in enumerate(NVM_PHASES)}
        # The SRAM row comes through the stub's bit permutation (storage order to SPEC 4
        # order); a signal of its own computes it once, not at every use below.
        sram_row = Signal(W)
        m.d.comb += sram_row.eq(self.sram.row_rdata)
        sensed, programmed = self.copy_rows(rdata, fault_word, sram_row, ok)
        m.d.comb += [
            self.sram.row_wdata.eq(sensed),
            self.sram.row_we.eq(writing & ~c_store),
            wdata.eq(programmed),
            we.eq(writing & c_store),
        ]
        return m


    @staticmethod
    def copy_rows(codes, faults, sram, ok):
        """Return ``(sensed, programmed)``: the SRAM row a restore writes and the codes a store
        programs, for a whole row at once.

        Parameters
        ----------
        codes : Value
            The stored row: cell ``c``'s code at bits ``2c`` (bit 0) and ``2c + 1``.
        faults : Value
            The row's fault word (:func:`fault_words`).
        sram : Value
            The SRAM row being stored: cell ``c``'s (Q1, Q2) at bits ``2c`` and ``2c + 1``.
        ok : dict
            Per phase of :data:`~tlcim.hw.interfaces.NVM_PHASES`, whether it was done.

        Notes
        -----
        Every cell's code and SRAM pair sit at the same two bits of a row, so the model works
        on whole rows with masks of the even (first) and odd (second) bit of every cell: a
        few operations on ``2 * cells``-bit words per cycle instead of a dozen per cell, which
        is what a Verilator simulation of the ``paper`` macro spends most of its time on
        otherwise (``python -m benchmarks stub``).
        """
        width = len(codes)
        even = Const(sum(1 << bit for bit in range(0, width, 2)), width)
        odd = Const(even.value << 1, width)

        def both(first):   # each cell's first bit copied into its second
            return first | (first << 1)[:width]

        # Which level every cell stores (code 01 is never stored: no XOR applies to it).
        high = codes >> 1   # each cell's code bit 1, in the position of its bit 0
        hrs = both(~codes & ~high & even)
        mrs = both(~codes & high & even)
        lrs = both(codes & high & even)
        # The levels exclude each other: each cell takes the XOR of the level it stores.
        xor = (faults[:width] & hrs) | (faults[width:2 * width] & mrs) \
            | (faults[2 * width:3 * width] & lrs)
        read = codes ^ xor
        # Q = ~code bit (code 11 = LRS restores (0, 0)); a failed half leaves its node at 1.
        sensed = ~read | Mux(ok["precharge"] & ok["restore_left"] & ok["latch_left"], 0, even) \
            | Mux(ok["precharge"] & ok["restore_right"] & ok["latch_right"], 0, odd)
        # (0, 0) -> 11 (strong set), (1, 0) -> 10 (weak set), Q2 = 1 -> 00 (no set).
        new = (~sram & ~(sram >> 1) & even) | (~sram & odd)
        new = Mux(ok["store_set"], new, 0)
        return sensed[:width], Mux(ok["store_reset"], new, new | codes)[:width]


def _subarray_members(config):
    # The members of every subarray with weight sets (behavioural, black box or model).
    members = dict(SubarraySignature(config).members)
    members.update({"nvm": In(NvmPinsSignature(config)), "nvm_row": In(NvmRowSignature(config)),
                    "nvm_owner": In(1), "busy": Out(1), "protocol_error": Out(1)})
    return members


class NvmSubarray(wiring.Component):
    """A behavioural subarray with its weight sets: :class:`tlcim.hw.stub.SubarrayStub`, a
    :class:`ReramArray` and the SRAM of the spare checksum cells, around one row port.

    The stub is used as it is (its SRAM holds the weight cells, its compute path is
    untouched); the spare cells of every row live in a small ``rows``-word memory beside it,
    addressed with the same row. Who drives the row port:

    1. the weight-set copy while ``busy`` (the :class:`ReramArray` moves whole extended rows);
    2. else the store/restore controller while ``nvm_owner`` is high (checksum and verify
       passes, extended rows);
    3. else the datapath (``row_*``, weight cells only; a row it writes gets zero spare cells,
       which a later store recomputes).

    Parameters
    ----------
    config : Config
    storage, fault_map, fault_port
        As for :class:`ReramArray`.

    Members
    -------
    (every member of :class:`tlcim.hw.stub.SubarraySignature`)
    nvm : In(NvmPinsSignature(config))
    nvm_row : In(NvmRowSignature(config))
        The controller's row port (extended rows), used while ``nvm_owner``.
    nvm_owner : In(1)
    busy, protocol_error : Out(1)
        From the :class:`ReramArray`.
    fault_addr, fault_data, fault_we : In
        With ``fault_port`` only.
    """

    def __init__(self, config, *, storage="memory", fault_map=None, fault_port=False):
        self.config = config
        self.array = ReramArray(config, storage=storage, fault_map=fault_map,
                                fault_port=fault_port)
        members = _subarray_members(config)
        if fault_port:
            members.update(_fault_members(config))
        super().__init__(members)

    def elaborate(self, platform):
        config = self.config
        C2 = 2 * config.cbls
        W = nvm_row_bits(config)
        m = Module()
        m.submodules.stub = stub = SubarrayStub(config)
        m.submodules.array = array = self.array
        m.submodules.spare = spare = Memory(shape=unsigned(W - C2), depth=config.rows,
                                            init=[])
        spare_write, spare_read = spare.write_port(), spare.read_port()

        # Compute path: straight through.
        m.d.comb += [stub.block.eq(self.block), stub.wl1.eq(self.wl1), stub.wl2.eq(self.wl2),
                     stub.mux.eq(self.mux), self.codes.eq(stub.codes)]
        for name in ("cluster", "sl") + NVM_PHASES:
            m.d.comb += getattr(array.nvm, name).eq(getattr(self.nvm, name))
        if "fault_addr" in self.signature.members:
            m.d.comb += [array.fault_addr.eq(self.fault_addr),
                         array.fault_data.eq(self.fault_data), array.fault_we.eq(self.fault_we)]
        m.d.comb += [self.busy.eq(array.busy), self.protocol_error.eq(array.protocol_error)]

        # Row port arbitration (see the class docstring).
        addr, wdata, we = Signal.like(self.row_addr), Signal(W), Signal()
        with m.If(array.busy):
            m.d.comb += [addr.eq(array.sram.row_addr), wdata.eq(array.sram.row_wdata),
                         we.eq(array.sram.row_we)]
        with m.Elif(self.nvm_owner):
            m.d.comb += [addr.eq(self.nvm_row.row_addr), wdata.eq(self.nvm_row.row_wdata),
                         we.eq(self.nvm_row.row_we)]
        with m.Else():
            m.d.comb += [addr.eq(self.row_addr), wdata.eq(self.row_wdata), we.eq(self.row_we)]
        m.d.comb += [
            stub.row_addr.eq(addr), stub.row_wdata.eq(wdata[:C2]), stub.row_we.eq(we),
            spare_write.addr.eq(addr), spare_write.data.eq(wdata[C2:]), spare_write.en.eq(we),
            spare_read.addr.eq(addr),
        ]
        extended = Cat(stub.row_rdata, spare_read.data)
        m.d.comb += [self.row_rdata.eq(stub.row_rdata), array.sram.row_rdata.eq(extended),
                     self.nvm_row.row_rdata.eq(extended)]
        return m


class NvmSubarrayBlackBox(wiring.Component):
    """Port-only stand-in for the analog macro *with* its weight sets: an instance of
    ``tlcim_subarray`` with the pins of :class:`NvmSubarray`.

    Verilog ports: those of :class:`tlcim.hw.stub.SubarrayBlackBox` (``clk``, ``rst``, ``row_addr``,
    ``row_wdata``, ``row_we``, ``row_rdata``, ``block``, ``wl1``, ``wl2``, ``mux``, ``codes``),
    then ``nvm_cluster``, ``nvm_sl``, ``nvm_<phase>`` for every phase of
    :data:`~tlcim.hw.interfaces.NVM_PHASES`, ``nvm_row_addr``, ``nvm_row_wdata``, ``nvm_row_we``
    (inputs), ``nvm_row_rdata`` (output, extended rows, one cycle after the address) and
    ``nvm_owner`` (input). ``busy`` and ``protocol_error`` are 0 (an analog macro needs no
    copy time; its controller waits ``copy_cycles`` anyway).
    """

    module_name = "tlcim_subarray"

    @staticmethod
    def verilog_ports(config):
        """Return the macro's Verilog ports ``[(direction, name, width)]`` in order."""
        ports = [("input", "clk", 1), ("input", "rst", 1)]
        for name, member in SubarraySignature(config).members.items():
            ports.append(("input" if member.flow is In else "output", name,
                          Shape.cast(member.shape).width))
        for name, member in NvmPinsSignature(config).members.items():
            ports.append(("input", f"nvm_{name}", Shape.cast(member.shape).width))
        bits = nvm_row_bits(config)
        ports += [("input", "nvm_row_addr", max(1, (config.rows - 1).bit_length())),
                  ("input", "nvm_row_wdata", bits), ("input", "nvm_row_we", 1),
                  ("output", "nvm_row_rdata", bits), ("input", "nvm_owner", 1)]
        return ports

    def __init__(self, config):
        self.config = config
        super().__init__(self._members())

    def _members(self):
        return _subarray_members(self.config)

    def _ports(self):
        ports = {"i_clk": ClockSignal(), "i_rst": ResetSignal(),
                 "i_row_addr": self.row_addr, "i_row_wdata": self.row_wdata,
                 "i_row_we": self.row_we, "o_row_rdata": self.row_rdata,
                 "i_block": self.block, "i_wl1": self.wl1, "i_wl2": self.wl2, "i_mux": self.mux,
                 "o_codes": self.codes.as_value(),
                 "i_nvm_cluster": self.nvm.cluster, "i_nvm_sl": self.nvm.sl}
        ports.update({f"i_nvm_{name}": getattr(self.nvm, name) for name in NVM_PHASES})
        ports.update({"i_nvm_row_addr": self.nvm_row.row_addr,
                      "i_nvm_row_wdata": self.nvm_row.row_wdata,
                      "i_nvm_row_we": self.nvm_row.row_we,
                      "o_nvm_row_rdata": self.nvm_row.row_rdata,
                      "i_nvm_owner": self.nvm_owner})
        return ports

    def elaborate(self, platform):
        m = Module()
        m.submodules.macro = Instance(self.module_name, **self._ports())
        return m


class NvmSubarrayModel(NvmSubarrayBlackBox):
    """The behavioural subarray as a C++ model: an instance of ``tlcim_subarray_model``, which
    :mod:`tlcim.sim.model` provides for Verilator (DPI-C).

    Cycle for cycle what :class:`NvmSubarray` does (with ``storage="verilog"`` and no fault map
    given at generation), at a fraction of its simulation cost; simulation only, and not
    synthesisable. Ports: those of :class:`NvmSubarrayBlackBox`, then ``busy`` and
    ``protocol_error`` (outputs) and ``fault_addr``, ``fault_data``, ``fault_we`` (inputs, tied
    to 0 without ``fault_port``).

    Parameters
    ----------
    config : Config
    fault_port : bool
        As for :class:`ReramArray`.
    """

    module_name = "tlcim_subarray_model"

    @staticmethod
    def verilog_ports(config):
        """Return the model's Verilog ports ``[(direction, name, width)]`` in order."""
        return NvmSubarrayBlackBox.verilog_ports(config) + [
            ("output", "busy", 1), ("output", "protocol_error", 1)] + [
            ("input", name, Shape.cast(member.shape).width)
            for name, member in _fault_members(config).items()]

    def __init__(self, config, *, fault_port=False):
        self.fault_port = bool(fault_port)
        super().__init__(config)

    def _members(self):
        members = super()._members()
        if self.fault_port:
            members.update(_fault_members(self.config))
        return members

    def _ports(self):
        ports = super()._ports()
        ports.update({"o_busy": self.busy, "o_protocol_error": self.protocol_error})
        if self.fault_port:
            ports.update({"i_fault_addr": self.fault_addr, "i_fault_data": self.fault_data,
                          "i_fault_we": self.fault_we})
        else:
            ports.update({"i_fault_addr": 0, "i_fault_data": 0, "i_fault_we": 0})
        return ports
