"""Store/restore controller of the non-volatile weights (SPEC 6).

:class:`NvmController` sequences the array-parallel store and restore of every subarray
through their :class:`~tlcim.hw.interfaces.NvmPinsSignature` pins, keeps the integrity checksums in
the spare cells of each row (``tlcim.golden.checksum``), tracks which weight set each subarray holds
and whether it is valid, and tells the datapath when MVMs may run.

Operation (one at a time; a command waits on ``cmd`` until the datapath is idle):

- **store** (``op = STORE``) of ``set`` from one subarray or all: refused with ``BAD_SET``
  (index out of range) or ``WEIGHTS_INVALID`` (a chosen subarray's SRAM is not valid), nothing
  changed. Otherwise: checksum pass (every row read, its CRC written into its spare cells;
  :func:`pass_cycles`), ``store_reset``, ``store_set``, then ``copy_cycles`` for the macro to
  settle.
- **restore** (``op = RESTORE``): ``BAD_SET`` as above, nothing changed. Otherwise the chosen
  subarrays become invalid at once, then ``precharge``, ``restore_left``, ``latch_left``,
  ``restore_right``, ``latch_right``, ``copy_cycles``, and a verify pass that reads every row
  (:func:`pass_cycles`). Per subarray: the marker of row 0 at HRS = never stored
  (``SET_EMPTY``, stays invalid); a row whose checksum, checksum-cell pattern or marker is
  wrong = ``VERIFY_FAILED``, reported with the first (row, subarray) in scan order, the
  subarray invalid unless ``allow_unverified`` was set when the command started (then valid
  and flagged ``unverified``); otherwise valid, holding ``set``.
- **after reset**: every subarray invalid; after ``copy_cycles`` (a copy the macro started
  before the reset completes first) ``config.boot_set`` is restored into all subarrays with
  the phase lengths on ``timing``. A boot set never stored leaves its subarrays invalid without
  an error (a fresh device); a verify failure is reported as for any restore.

Phase lengths come from ``timing`` (registers): each is sampled when the operation starts and
raised to :data:`tlcim.hw.interfaces.MINIMUM_CYCLES` if below it, so no register value, and no
register write during an operation, can break the macro's protocol.
:data:`tlcim.hw.interfaces.DEFAULT_TIMING` gives safe reset values for the registers
(:func:`tlcim.hw.regmap.nvm_registers`).

Checksum and verify passes share one CRC engine (:class:`tlcim.hw.crc.CrcEngine`; a parallel
CRC tree per subarray would be most of the controller's area, docs/nvm.md): rows in order, and
within a row the chosen subarrays in order, each subarray's row fed ``crc_chunk`` bits a cycle
(:func:`tlcim.hw.crc.crc_chunks`).
A row costs ``chunks`` cycles per chosen subarray, plus one to address it (in a verify pass
only the first row: the next row is addressed during a row's last cycle); the row of
subarray ``s`` is written back (checksum pass) or checked (verify pass) in its last chunk's
cycle. The first verify failure is therefore the first in (row, subarray) order, as in
``tlcim.golden.device``.

MVMs: ``mvm_allowed`` is high only while no operation runs or waits and every subarray is
valid; the datapath waits while ``busy`` and refuses (``WEIGHTS_INVALID``) when it is low and
``valid`` is not all ones. ``load_begin`` / ``load_end`` tell the controller that the datapath
started / completed writing a subarray's SRAM (honoured only while idle, when they can occur).
"""

from amaranth.hdl import Cat, Const, Module, Mux, Signal
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out

from tlcim.golden.checksum import crc_params
from tlcim.golden.errors import ErrorCode
from .crc import DEFAULT_CRC_CHUNK, CrcEngine, crc_chunks
from .interfaces import (DEFAULT_TIMING, ERROR_SHAPE, MINIMUM_CYCLES, NVM_PHASES, NvmOp,
                         NvmPinsSignature, NvmRowSignature, command_layout, copy_latency,
                         index_shape, timing_layout)
from .logic import balanced_or
from .reram_array import NvmSubarray, NvmSubarrayBlackBox, NvmSubarrayModel
from .stub import SubarraySignature

__all__ = ["NvmState", "effective_timing", "pass_cycles", "restore_cycles", "store_cycles",
           "NvmController", "NvmSystem"]


class NvmState(enum.Enum, shape=4):
    """Controller states; the phase states carry the name of the pin they drive."""
    BOOT_WAIT = 0
    IDLE = 1
    CHECKSUM = 2
    STORE_RESET = 3
    STORE_SET = 4
    PRECHARGE = 5
    RESTORE_LEFT = 6
    LATCH_LEFT = 7
    RESTORE_RIGHT = 8
    LATCH_RIGHT = 9
    COPY = 10
    VERIFY = 11
    FINISH = 12


#: Phase state of each pin.
PHASE_STATE = {name: NvmState[name.upper()] for name in NVM_PHASES}


def effective_timing(timing):
    """Return the phase lengths the controller uses for register values ``timing`` (a dict):
    each raised to :data:`~tlcim.hw.interfaces.MINIMUM_CYCLES`."""
    return {name: max(int(timing[name]), MINIMUM_CYCLES[name]) for name in NVM_PHASES}


def _copy(config, copy_cycles):
    return max(1, copy_latency(config) if copy_cycles is None else copy_cycles)


def pass_cycles(config, crc_chunk=DEFAULT_CRC_CHUNK, subarrays=None, verify=False):
    """Cycles of a checksum pass (or with ``verify`` a verify pass) over ``subarrays`` chosen
    subarrays (default: all): one per chunk (:func:`tlcim.hw.crc.crc_chunks`) of every chosen
    subarray's row, plus one to address each row; a verify pass addresses the next row during a
    row's last cycle, so it needs that cycle for the first row only (a checksum pass writes the row
    back in that cycle).

    Raises
    ------
    ValueError
        If ``subarrays`` is not an integer from 1 to ``config.subarrays``, or as
        :func:`tlcim.hw.crc.crc_chunks`.
    """
    chunks = crc_chunks(config, crc_chunk)[1]
    if subarrays is None:
        subarrays = config.subarrays
    if isinstance(subarrays, bool) or not isinstance(subarrays, int) \
            or not 1 <= subarrays <= config.subarrays:
        raise ValueError(f"subarrays must be an integer from 1 to {config.subarrays}, "
                         f"not {subarrays!r}")
    if verify:
        return 1 + config.rows * subarrays * chunks
    return config.rows * (1 + subarrays * chunks)


def restore_cycles(config, timing=DEFAULT_TIMING, copy_cycles=None,
                   crc_chunk=DEFAULT_CRC_CHUNK, subarrays=None):
    """Cycles from accepting a restore command of ``subarrays`` subarrays (default: all) to its
    ``done`` strobe: the five restore phases, the macro's copy (at least one cycle), the verify
    pass (:func:`pass_cycles`) and one to finish."""
    t = effective_timing(timing)
    return sum(t[name] for name in NVM_PHASES[:5]) + _copy(config, copy_cycles) + \
        pass_cycles(config, crc_chunk, subarrays, verify=True) + 1


def store_cycles(config, timing=DEFAULT_TIMING, copy_cycles=None, crc_chunk=DEFAULT_CRC_CHUNK,
                 subarrays=None):
    """Cycles from accepting a store command of ``subarrays`` subarrays (default: all) to its
    ``done`` strobe: the checksum pass (:func:`pass_cycles`), both store phases, the macro's
    copy and one to finish."""
    t = effective_timing(timing)
    return pass_cycles(config, crc_chunk, subarrays) + t["store_reset"] + t["store_set"] + \
        _copy(config, copy_cycles) + 1


class NvmController(wiring.Component):
    """Store/restore controller (see the module docstring).

    Parameters
    ----------
    config : Config
    copy_cycles : int, optional
        Cycles the macro needs after an operation's last phase (the behavioural stub's
        :func:`~tlcim.hw.interfaces.copy_latency`; 0 for an analog macro).
    timing_bits : int
        Width of each phase-length field.
    crc_chunk : int
        Row bits the shared CRC engine takes per cycle (:func:`tlcim.hw.crc.crc_chunks`): fewer is
        smaller and slower (:func:`pass_cycles`).

    Members
    -------
    cmd : In(stream.Signature(command_layout()))
    timing : In(timing_layout(timing_bits))
    allow_unverified : In(1)
        Policy: weights that failed verification become valid (flagged ``unverified``).
    dp_idle : In(1)
        No MVM or weight load is in flight in the datapath.
    load_begin, load_end : In(subarrays)
    nvm : Out(NvmPinsSignature).array(subarrays)
    nvm_row : Out(NvmRowSignature).array(subarrays)
        SRAM row ports (with spare cells) for the checksum and verify passes.
    nvm_owner : Out(1)
        The ``nvm_row`` ports are in use (checksum or verify pass): the subarrays must give them
        their row port (``tlcim.hw.reram_array.NvmSubarray.nvm_owner``).
    busy, mvm_allowed : Out(1)
    valid, unverified, set_known : Out(subarrays)
    sets : Out(ArrayLayout(set bits, subarrays))
    done, error : Out(1)
        Strobes: a command (or the boot restore) finished; it failed with ``error_code``.
    error_code : Out(ERROR_SHAPE)
    error_subarray, error_row : Out
        Where the first verify failure of the last failing restore was found.

    Raises
    ------
    ValueError
        For a negative ``copy_cycles``, a ``timing_bits`` too narrow for the minimums or a
        ``crc_chunk`` that is not a positive integer.
    """

    def __init__(self, config, *, copy_cycles=None, timing_bits=8, crc_chunk=DEFAULT_CRC_CHUNK):
        if copy_cycles is None:
            copy_cycles = copy_latency(config)
        if isinstance(copy_cycles, bool) or not isinstance(copy_cycles, int) or copy_cycles < 0:
            raise ValueError(f"copy_cycles must be a non-negative integer, not {copy_cycles!r}")
        need = max(max(MINIMUM_CYCLES.values()), max(DEFAULT_TIMING.values())).bit_length()
        if isinstance(timing_bits, bool) or not isinstance(timing_bits, int) \
                or timing_bits < need:
            raise ValueError(f"timing_bits must be an integer of at least {need}, "
                             f"not {timing_bits!r}")
        self.chunk, self.chunks = crc_chunks(config, crc_chunk)
        self.crc_chunk = crc_chunk
        self.config = config
        self.copy_cycles = copy_cycles
        self.timing_bits = timing_bits
        S = config.subarrays
        set_shape = index_shape(config.weight_sets)
        super().__init__({
            "cmd": In(stream.Signature(command_layout())),
            "timing": In(timing_layout(timing_bits)),
            "allow_unverified": In(1),
            "dp_idle": In(1),
            "load_begin": In(S),
            "load_end": In(S),
            "nvm": Out(NvmPinsSignature(config)).array(S),
            "nvm_row": Out(NvmRowSignature(config)).array(S),
            "nvm_owner": Out(1),
            "busy": Out(1),
            "mvm_allowed": Out(1),
            "valid": Out(S),
            "unverified": Out(S),
            "set_known": Out(S),
            "sets": Out(data.ArrayLayout(set_shape, S)),
            "done": Out(1),
            "error": Out(1),
            "error_code": Out(ERROR_SHAPE),
            "error_subarray": Out(index_shape(S)),
            "error_row": Out(index_shape(config.rows)),
        })
        # State visible to the formal harness (sim/formal.py).
        self.state = Signal(NvmState, init=NvmState.BOOT_WAIT)
        self.count = Signal(max(timing_bits, index_shape(copy_cycles + 1).width))
        # Position in a checksum/verify pass: row, then (once the row is addressed,
        # `fetched`) the subarray `sub` and its chunk `part` fed to the CRC engine.
        self.row = Signal(range(config.rows + 1))
        self.fetched = Signal()
        self.sub = Signal(range(S))
        self.part = Signal(range(self.chunks))
        self.op = Signal(NvmOp)
        self.boot = Signal()
        self.selected = Signal(S)
        self.set_index = Signal(set_shape)
        self.lengths = Signal(timing_layout(timing_bits))
        self.allow = Signal()

    # -- analysis helpers ------------------------------------------------------------------------

    def restore_cycles(self, timing=DEFAULT_TIMING, subarrays=None):
        """Cycles from accepting a restore command of ``subarrays`` subarrays (default: all)
        to its ``done`` strobe (:func:`restore_cycles`)."""
        return restore_cycles(self.config, timing, self.copy_cycles, self.crc_chunk, subarrays)

    def store_cycles(self, timing=DEFAULT_TIMING, subarrays=None):
        """Cycles from accepting a store command of ``subarrays`` subarrays (default: all) to
        its ``done`` strobe (:func:`store_cycles`)."""
        return store_cycles(self.config, timing, self.copy_cycles, self.crc_chunk, subarrays)

    def pass_cycles(self, subarrays=None, verify=False):
        """Cycles of a checksum (or verify) pass over ``subarrays`` subarrays (default: all;
        :func:`pass_cycles`)."""
        return pass_cycles(self.config, self.crc_chunk, subarrays, verify)

    # Expressions of the state for the formal harness (sim/formal.py); the pass is a verify
    # pass when ``op`` is RESTORE.

    def pass_length(self):
        """The length of the pass of ``op`` over the latched ``selected`` subarrays
        (:func:`pass_cycles`)."""
        R, K = self.config.rows, self.chunks
        chosen = sum(self.selected[s] for s in range(self.config.subarrays))
        return Mux(self.op == NvmOp.RESTORE, 1 + R * chosen * K, R * (1 + chosen * K))

    def pass_elapsed(self):
        """Cycles spent so far in the current pass: once the row is addressed, ``1 + (chosen
        subarrays before sub) * chunks + part``, plus ``row`` times the cycles of a row (one
        more in a checksum pass, whose every row is addressed on its own)."""
        S, K = self.config.subarrays, self.chunks
        chosen = sum(self.selected[s] for s in range(S))
        before = sum(self.selected[s] & (self.sub > s) for s in range(S))
        within = Mux(self.fetched, 1 + before * K + self.part, 0)
        return within + self.row * Mux(self.op == NvmOp.RESTORE, chosen * K, 1 + chosen * K)

    def pass_invariant(self):
        """What holds in every reachable state of a pass: some subarray is chosen, the
        position is in range, ``part`` is 0 until the row is addressed (in a verify pass, only
        row 0 is addressed on its own), then ``sub`` is a chosen subarray."""
        S = self.config.subarrays
        in_range = (self.row < self.config.rows) & (self.sub < S) & (self.part < self.chunks)
        unaddressed = (self.part == 0) & ((self.op == NvmOp.STORE) | (self.row == 0))
        return in_range & self.selected.any() & \
            Mux(self.fetched, self.selected.bit_select(self.sub, 1), unaddressed)

    # -- hardware --------------------------------------------------------------------------------

    def elaborate(self, platform):
        config = self.config
        S, R, C = config.subarrays, config.rows, config.cbls
        m = Module()
        state, count, row = self.state, self.count, self.row
        fetched, sub, part = self.fetched, self.sub, self.part
        lengths = self.lengths

        # -- status registers ------------------------------------------------------------------
        valid = Signal(S)
        unverified = Signal(S)
        known = Signal(S)
        sets = Signal(data.ArrayLayout(self.sets.shape().elem_shape, S))
        error_subarray = Signal.like(self.error_subarray)
        error_row = Signal.like(self.error_row)
        error_code = Signal(ERROR_SHAPE)
        m.d.comb += [self.valid.eq(valid), self.unverified.eq(unverified),
                     self.set_known.eq(known), self.sets.eq(sets),
                     self.error_subarray.eq(error_subarray), self.error_row.eq(error_row),
                     self.error_code.eq(error_code)]
        done, error, code = Signal(), Signal(), Signal(ERROR_SHAPE)
        m.d.sync += [self.done.eq(done), self.error.eq(error)]
        with m.If(error):
            m.d.sync += error_code.eq(code)

        idle = state == NvmState.IDLE
        m.d.comb += self.nvm_owner.eq((state == NvmState.CHECKSUM) | (state == NvmState.VERIFY))
        m.d.comb += [
            self.busy.eq(~idle | self.cmd.valid),
            self.mvm_allowed.eq(idle & ~self.cmd.valid & (valid == (1 << S) - 1)),
            self.cmd.ready.eq(idle & self.dp_idle),
        ]
        with m.If(idle):
            m.d.sync += [valid.eq((valid & ~self.load_begin) | self.load_end),
                         known.eq(known & ~self.load_begin & ~self.load_end),
                         unverified.eq(unverified & ~self.load_begin & ~self.load_end)]

        # -- pins --------------------------------------------------------------------------------
        cluster_bits = len(self.nvm[0].cluster)
        cluster = Signal(cluster_bits)
        sl = Signal(len(self.nvm[0].sl))
        if config.cluster_size > 1:
            m.d.comb += [cluster.eq(self.set_index // config.cluster_size),
                         sl.eq(self.set_index % config.cluster_size)]
        else:
            m.d.comb += cluster.eq(self.set_index)
        for s in range(S):
            pins = self.nvm[s]
            m.d.comb += [pins.cluster.eq(cluster), pins.sl.eq(sl)]
            for name, phase_state in PHASE_STATE.items():
                m.d.comb += getattr(pins, name).eq((state == phase_state) & self.selected[s])

        def length(name):
            # The sampled length of a phase, minus one: the count to load on entering it.
            return lengths[name] - 1

        def enter(name):
            return [state.eq(PHASE_STATE[name]), count.eq(length(name))]

        # -- the shared CRC engine (checksum and verify passes) ----------------------------------
        width, _ = crc_params(2 * C)
        W, K = self.chunk, self.chunks
        last = fetched & (part == K - 1)         # the current subarray's last chunk
        sub_hot = Signal(S)
        part_hot = Signal(K)
        m.d.comb += [sub_hot[s].eq(sub == s) for s in range(S)]
        m.d.comb += [part_hot[k].eq(part == k) for k in range(K)]
        # Only the chosen subarrays are scanned: the first, and the next after `sub`.
        later = Signal(S)
        first_chosen, next_chosen = Signal.like(sub), Signal.like(sub)
        # (Subarray 0 is never after `sub`; `sub < 0` would be a constant comparison.)
        m.d.comb += [later[s].eq(self.selected[s] & (sub < s)) for s in range(1, S)]
        for s in reversed(range(S)):        # the lowest index is assigned last, so it wins
            with m.If(self.selected[s]):
                m.d.comb += first_chosen.eq(s)
            with m.If(later[s]):
                m.d.comb += next_chosen.eq(s)
        # A verify pass addresses the next row in a row's last cycle (its data comes a cycle
        # after the address), so only its first row costs a cycle of its own.
        row_done = last & ~later.any()
        next_row = (state == NvmState.VERIFY) & row_done & (row != R - 1)
        address = Mux(next_row, row + 1, row)
        for s in range(S):
            m.d.comb += self.nvm_row[s].row_addr.eq(address[:len(self.nvm_row[s].row_addr)])
        # Leading zeros do not change a CRC with initial value 0 (golden.checksum).
        padded = [Cat(Const(0, K * W - 2 * C), self.nvm_row[s].row_rdata[:2 * C])
                  for s in range(S)]
        chunk = Signal(W)
        spare = Signal(2 * (width + 1))
        # The chunk multiplexer over subarrays x chunks, the largest part of the controller
        # (about 2,500 GE on paper), as one-hot AND-OR (abc gives an Array index the same
        # area within 3 %).
        m.d.comb += [
            chunk.eq(balanced_or([Mux(sub_hot[s] & part_hot[k], padded[s][k * W:(k + 1) * W], 0)
                              for s in range(S) for k in range(K)])),
            spare.eq(balanced_or([Mux(sub_hot[s], self.nvm_row[s].row_rdata[2 * C:], 0)
                              for s in range(S)])),
        ]
        m.submodules.crc = engine = CrcEngine(2 * C, W)
        crc_next = engine.crc                    # the state after this cycle's chunk
        m.d.comb += [engine.data.eq(chunk), engine.first.eq(part == 0)]
        # The current subarray's row as it should be (with `last`: the CRC is complete).
        q1 = Cat(spare[2 * b] for b in range(width + 1))
        q2 = Cat(spare[2 * b + 1] for b in range(width + 1))
        row_ok = (q1[:width] == q2[:width]) & (~q1[:width] == crc_next) & \
            ~q1[width] & ~q2[width]
        row_empty = q1[width] & q2[width]
        # The row written back by the checksum pass: weights kept, spare cells replaced
        # (checksum bit b as LRS (0, 0) for 1, HRS (1, 1) for 0; the marker LRS).
        spare_out = Cat(Cat(~crc_next[b], ~crc_next[b]) for b in range(width)), Const(0, 2)
        for s in range(S):
            m.d.comb += self.nvm_row[s].row_wdata.eq(Cat(self.nvm_row[s].row_rdata[:2 * C],
                                                         spare_out))

        empty = Signal(S)            # restore: row 0 marker at HRS (never stored)
        failed = Signal(S)           # restore: a row failed verification
        located = Signal()           # the first failure's location is recorded

        # -- sequencing ------------------------------------------------------------------------
        cmd = self.cmd.payload
        accept = self.cmd.valid & self.cmd.ready
        set_ok = cmd.set < config.weight_sets
        sub_ok = cmd.all | (cmd.subarray < S)
        chosen = Mux(cmd.all, (1 << S) - 1,
                     Const(1, S) << cmd.subarray[:max(1, (S - 1).bit_length())])

        def clamped(name):
            # A phase length from the registers, raised to the macro's minimum.
            return Mux(self.timing[name] < MINIMUM_CYCLES[name], MINIMUM_CYCLES[name],
                       self.timing[name])

        def start(selected, set_index, op, boot):
            stmts = [self.selected.eq(selected), self.set_index.eq(set_index),
                     self.op.eq(op), self.boot.eq(boot), self.allow.eq(self.allow_unverified),
                     empty.eq(0), failed.eq(0), located.eq(0), row.eq(0), fetched.eq(0),
                     sub.eq(0), part.eq(0)]
            stmts += [lengths[name].eq(clamped(name)) for name in NVM_PHASES]
            return stmts

        def advance(after, pipelined):
            # One cycle of a pass: address the row (in a pipelined pass, the first row only),
            # then feed every chosen subarray's chunks in turn; `after` once the last row is
            # done.
            with m.If(~fetched):
                m.d.sync += [fetched.eq(1), sub.eq(first_chosen)]
            with m.Elif(part != K - 1):
                m.d.sync += part.eq(part + 1)
            with m.Else():
                m.d.sync += part.eq(0)
                with m.If(later.any()):
                    m.d.sync += sub.eq(next_chosen)
                with m.Else():
                    m.d.sync += [row.eq(row + 1), fetched.eq(pipelined), sub.eq(first_chosen)]
                    with m.If(row == R - 1):
                        m.d.sync += [fetched.eq(0), *after]

        with m.Switch(state):
            with m.Case(NvmState.BOOT_WAIT):
                with m.If(count == self.copy_cycles):
                    # Boot restore of every subarray (the lengths sampled now).
                    m.d.sync += start((1 << S) - 1, config.boot_set, NvmOp.RESTORE, 1)
                    m.d.sync += [state.eq(NvmState.PRECHARGE),
                                 count.eq(clamped("precharge") - 1)]
                with m.Else():
                    m.d.sync += count.eq(count + 1)

            with m.Case(NvmState.IDLE):
                with m.If(accept):
                    with m.If(~set_ok | ~sub_ok):
                        m.d.comb += [done.eq(1), error.eq(1), code.eq(ErrorCode.BAD_SET)]
                    with m.Elif((cmd.op == NvmOp.STORE) & (chosen & ~valid).any()):
                        m.d.comb += [done.eq(1), error.eq(1),
                                     code.eq(ErrorCode.WEIGHTS_INVALID)]
                    with m.Else():
                        m.d.sync += start(chosen, cmd.set, cmd.op, 0)
                        with m.If(cmd.op == NvmOp.STORE):
                            m.d.sync += state.eq(NvmState.CHECKSUM)
                        with m.Else():
                            # The SRAM is about to be overwritten.
                            m.d.sync += [valid.eq(valid & ~chosen), known.eq(known & ~chosen),
                                         unverified.eq(unverified & ~chosen)]
                            m.d.sync += [state.eq(NvmState.PRECHARGE),
                                         count.eq(clamped("precharge") - 1)]

            with m.Case(NvmState.CHECKSUM):
                for s in range(S):
                    m.d.comb += self.nvm_row[s].row_we.eq(last & sub_hot[s] & self.selected[s])
                advance(enter("store_reset"), pipelined=False)

            phases = [("store_reset", "store_set"), ("store_set", None),
                      ("precharge", "restore_left"), ("restore_left", "latch_left"),
                      ("latch_left", "restore_right"), ("restore_right", "latch_right"),
                      ("latch_right", None)]
            for name, following in phases:
                with m.Case(PHASE_STATE[name]):
                    with m.If(count == 0):
                        if following is not None:
                            m.d.sync += enter(following)
                        else:
                            m.d.sync += [state.eq(NvmState.COPY), count.eq(0)]
                    with m.Else():
                        m.d.sync += count.eq(count - 1)

            with m.Case(NvmState.COPY):
                # Counts up to copy_cycles (count starts at 0), then the next pass.
                with m.If(count >= self.copy_cycles - 1 if self.copy_cycles else Const(1)):
                    m.d.sync += [count.eq(0), row.eq(0), fetched.eq(0), sub.eq(0), part.eq(0)]
                    with m.If(self.op == NvmOp.STORE):
                        m.d.sync += state.eq(NvmState.FINISH)
                    with m.Else():
                        m.d.sync += state.eq(NvmState.VERIFY)
                with m.Else():
                    m.d.sync += count.eq(count + 1)

            with m.Case(NvmState.VERIFY):
                chosen_now = (self.selected & sub_hot).any()
                new_empty = Signal()
                new_fail = Signal()
                m.d.comb += [
                    new_empty.eq(last & (row == 0) & chosen_now & row_empty),
                    new_fail.eq(last & chosen_now & ~(empty & sub_hot).any() & ~new_empty &
                                ~row_ok),
                ]
                m.d.sync += [empty.eq(empty | Mux(new_empty, sub_hot, 0)),
                             failed.eq(failed | Mux(new_fail, sub_hot, 0))]
                with m.If(new_fail & ~located):
                    m.d.sync += [located.eq(1), error_row.eq(row), error_subarray.eq(sub)]
                advance([state.eq(NvmState.FINISH)], pipelined=True)

            with m.Case(NvmState.FINISH):
                m.d.comb += done.eq(1)
                m.d.sync += state.eq(NvmState.IDLE)
                with m.If(self.op == NvmOp.RESTORE):
                    good = self.selected & ~empty & (~failed | Mux(self.allow, (1 << S) - 1, 0))
                    m.d.sync += [valid.eq(valid | good), known.eq(known | good),
                                 unverified.eq(unverified | (good & failed))]
                    for s in range(S):
                        with m.If(good[s]):
                            m.d.sync += sets[s].eq(self.set_index)
                    with m.If(empty.any() & ~self.boot):
                        m.d.comb += [error.eq(1), code.eq(ErrorCode.SET_EMPTY)]
                    with m.Elif(failed.any()):
                        m.d.comb += [error.eq(1), code.eq(ErrorCode.VERIFY_FAILED)]
        return m


class NvmSystem(wiring.Component):
    """The controller and every subarray with its weight sets, wired: what the datapath
    instantiates instead of bare stubs.

    Parameters
    ----------
    config : Config
    storage, fault_port
        As for :class:`tlcim.hw.reram_array.ReramArray` (``"verilog"`` for generated Verilog of
        large configurations), or ``storage="dpi"``: every subarray the C++ model
        :class:`tlcim.hw.reram_array.NvmSubarrayModel` (Verilator simulation only).
    blackbox : bool
        Instantiate :class:`tlcim.hw.reram_array.NvmSubarrayBlackBox` (the analog macro's ports)
        instead of the behavioural stubs.
    crc_chunk : int
        As for :class:`NvmController`.

    Members
    -------
    cmd, timing, allow_unverified, dp_idle, load_begin, load_end
        The controller's inputs (:class:`NvmController`).
    busy, mvm_allowed, valid, unverified, set_known, sets, done, error, error_code,
    error_subarray, error_row
        The controller's outputs.
    subarray : Out(SubarraySignature(config)).array(subarrays)
        Each subarray's compute and row pins, as :class:`tlcim.hw.stub.SubarrayStub` has them.
    protocol_error : Out(subarrays)
        A subarray saw its store/restore pins break the protocol (never, with this controller).
    fault_addr, fault_data, fault_we : In, arrays of subarrays (with ``fault_port``)
    """

    _CONTROLLER = ("cmd", "timing", "allow_unverified", "dp_idle", "load_begin", "load_end",
                   "busy", "mvm_allowed", "valid", "unverified", "set_known", "sets", "done",
                   "error", "error_code", "error_subarray", "error_row")

    def __init__(self, config, *, storage="memory", fault_port=False, timing_bits=8,
                 blackbox=False, crc_chunk=DEFAULT_CRC_CHUNK):
        if blackbox and fault_port:
            raise ValueError("fault_port needs the behavioural stub, not blackbox")
        self.config = config
        S = config.subarrays
        self.controller = NvmController(config, timing_bits=timing_bits, crc_chunk=crc_chunk)
        self.subarrays = [NvmSubarrayBlackBox(config) if blackbox else
                          NvmSubarrayModel(config, fault_port=fault_port) if storage == "dpi"
                          else NvmSubarray(config, storage=storage, fault_port=fault_port)
                          for _ in range(S)]
        members = {name: self.controller.signature.members[name] for name in self._CONTROLLER}
        members["subarray"] = Out(SubarraySignature(config)).array(S)
        members["protocol_error"] = Out(S)
        self.fault_port = fault_port
        #: The controller's state (for testbenches and the formal harness).
        self.state = self.controller.state
        if fault_port:
            for name in ("fault_addr", "fault_data", "fault_we"):
                member = self.subarrays[0].signature.members[name]
                members[name] = In(member.shape).array(S)
        super().__init__(members)

    def restore_cycles(self, timing=DEFAULT_TIMING, subarrays=None):
        """See :meth:`NvmController.restore_cycles`."""
        return self.controller.restore_cycles(timing, subarrays)

    def store_cycles(self, timing=DEFAULT_TIMING, subarrays=None):
        """See :meth:`NvmController.store_cycles`."""
        return self.controller.store_cycles(timing, subarrays)

    def elaborate(self, platform):
        m = Module()
        m.submodules.controller = ctrl = self.controller
        for name in self._CONTROLLER:
            member = ctrl.signature.members[name]
            if member.is_signature:
                wiring.connect(m, wiring.flipped(getattr(self, name)), getattr(ctrl, name))
            elif member.flow == In:
                m.d.comb += getattr(ctrl, name).eq(getattr(self, name))
            else:
                m.d.comb += getattr(self, name).eq(getattr(ctrl, name))
        for s, sub in enumerate(self.subarrays):
            m.submodules[f"subarray{s}"] = sub
            wiring.connect(m, ctrl.nvm[s], sub.nvm)
            wiring.connect(m, ctrl.nvm_row[s], sub.nvm_row)
            m.d.comb += [sub.nvm_owner.eq(ctrl.nvm_owner),
                         self.protocol_error[s].eq(sub.protocol_error)]
            outer = self.subarray[s]
            for name, member in SubarraySignature(self.config).members.items():
                if member.flow == In:
                    m.d.comb += getattr(sub, name).eq(getattr(outer, name))
                else:
                    m.d.comb += getattr(outer, name).eq(getattr(sub, name))
            if self.fault_port:
                for name in ("fault_addr", "fault_data", "fault_we"):
                    m.d.comb += getattr(sub, name).eq(getattr(self, name)[s])
        return m
