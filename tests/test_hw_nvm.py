"""tlcim.hw.nvm: the store/restore controller and its subsystem with the stubs in the Amaranth
simulator; round trips, refusals, boot restore, verification, random sessions against golden."""

import functools

import numpy as np
import pytest
from amaranth.hdl import ClockDomain, Elaboratable, Module, Signal
from amaranth.lib.memory import Memory
from amaranth.sim import Simulator

from tlcim.golden import Config, PRESETS
from tlcim.golden import checksum
from tlcim.golden.device import Device
from tlcim.golden.errors import DeviceError, ErrorCode
from tlcim.golden.trits import WEIGHT_Q, weights_to_cbl_trits
from tlcim.hw.interfaces import (DEFAULT_TIMING, MINIMUM_CYCLES, NVM_PHASES, NvmOp, copy_latency,
                                 nvm_row_bits)
from tlcim.hw.crc import DEFAULT_CRC_CHUNK
from tlcim.hw.nvm import NvmController, NvmState, pass_cycles, restore_cycles
from tlcim.hw.reram_array import (ReramArray, fault_words, identity_fault_map,
                                  sensed_fault_map)
from helpers import NVM_TINY as TINY, refused, simulate
from streams import stream_put


class _Ports(Elaboratable):
    """What :class:`Driver` uses of a bench besides the controller: the testbench's port on the
    SRAM rows of every subarray (``tb_*``) and the reset of the clock domain (``rst``)."""

    def __init__(self, config, rdata_bits):
        self.config = config
        self.tb_addr = Signal(range(config.rows))
        self.tb_wdata = Signal(nvm_row_bits(config))
        self.tb_we = Signal(config.subarrays)
        self.tb_rdata = [Signal(rdata_bits, name=f"tb_rdata{s}")
                         for s in range(config.subarrays)]
        self.rst = Signal()

    def _module(self):
        m = Module()
        m.domains.sync = cd = ClockDomain()
        m.d.comb += cd.rst.eq(self.rst)
        return m


class Bench(_Ports):
    """Controller + one ReramArray and one SRAM (rows x extended row) per subarray; the
    testbench writes SRAM rows through its own port when neither block uses it."""

    def __init__(self, config, fault_maps=None, fault_port=False, crc_chunk=DEFAULT_CRC_CHUNK):
        super().__init__(config, nvm_row_bits(config))
        self.ctrl = NvmController(config, crc_chunk=crc_chunk)
        self.arrays = [ReramArray(config, fault_map=None if fault_maps is None else
                                  fault_maps[s], fault_port=fault_port)
                       for s in range(config.subarrays)]

    def elaborate(self, platform):
        m = self._module()
        m.submodules.ctrl = ctrl = self.ctrl
        W = nvm_row_bits(self.config)
        for s, array in enumerate(self.arrays):
            m.submodules[f"array{s}"] = array
            m.submodules[f"sram{s}"] = sram = Memory(shape=W, depth=self.config.rows, init=[])
            wr, rd = sram.write_port(), sram.read_port()
            for name in ("cluster", "sl") + NVM_PHASES:
                m.d.comb += getattr(array.nvm, name).eq(getattr(ctrl.nvm[s], name))
            using_ctrl = (ctrl.state == NvmState.CHECKSUM) | (ctrl.state == NvmState.VERIFY)
            for source, cond in ((array.sram, array.busy), (ctrl.nvm_row[s], using_ctrl)):
                with m.If(cond):
                    m.d.comb += [rd.addr.eq(source.row_addr), wr.addr.eq(source.row_addr),
                                 wr.data.eq(source.row_wdata), wr.en.eq(source.row_we)]
            with m.If(~array.busy & ~using_ctrl):
                m.d.comb += [rd.addr.eq(self.tb_addr), wr.addr.eq(self.tb_addr),
                             wr.data.eq(self.tb_wdata), wr.en.eq(self.tb_we[s])]
            m.d.comb += [array.sram.row_rdata.eq(rd.data), ctrl.nvm_row[s].row_rdata.eq(rd.data),
                         self.tb_rdata[s].eq(rd.data)]
        return m


class SubsystemBench(_Ports):
    """:class:`tlcim.hw.nvm.NvmSystem` (controller + the real stub with its weight sets per
    subarray), the testbench on the datapath's row ports; the members :class:`Driver` uses
    are those of :class:`Bench`."""

    def __init__(self, config, fault_maps=None, fault_port=False):
        from types import SimpleNamespace
        from tlcim.hw.nvm import NvmSystem
        assert fault_maps is None, "NvmSystem takes faults through its fault port"
        super().__init__(config, 2 * config.cbls)
        self.ctrl = NvmSystem(config, fault_port=fault_port)
        self.arrays = []
        for s in range(config.subarrays):
            pins = {"protocol_error": self.ctrl.protocol_error[s]}
            pins.update({name: getattr(self.ctrl.subarray[s], name)
                         for name in ("block", "wl1", "wl2", "mux", "codes")})
            if fault_port:
                pins.update({name: getattr(self.ctrl, name)[s]
                             for name in ("fault_addr", "fault_data", "fault_we")})
            self.arrays.append(SimpleNamespace(**pins))

    def elaborate(self, platform):
        m = self._module()
        m.submodules.system = system = self.ctrl
        for s in range(self.config.subarrays):
            pins = system.subarray[s]
            m.d.comb += [pins.row_addr.eq(self.tb_addr), pins.row_wdata.eq(self.tb_wdata),
                         pins.row_we.eq(self.tb_we[s]), self.tb_rdata[s].eq(pins.row_rdata)]
        return m


#: "chunked": the CRC engine fed 3 bits a cycle (TINY's 8-bit rows: 3 chunks, one zero pad
#: bit), so the multi-chunk paths run as on paper (160 bits a cycle over 320-bit rows).
BENCHES = {"bench": Bench, "stub": SubsystemBench,
           "chunked": functools.partial(Bench, crc_chunk=3)}


def _rows_bits(trits):
    # Weight trits [rows, cbls] -> SRAM row integers (no spare cells; they hold garbage).
    bits = WEIGHT_Q[np.asarray(trits) + 1].reshape(len(trits), -1)
    return [int("".join(str(b) for b in reversed(row)), 2) for row in bits]


class Driver:
    def __init__(self, bench, ctx):
        self.bench, self.ctx, self.config = bench, ctx, bench.config
        self.cycles = 0

    async def tick(self, n=1):
        for _ in range(n):
            await self.ctx.tick()
            self.cycles += 1

    async def wait_idle(self, limit=5000):
        for _ in range(limit):
            if self.ctx.get(self.bench.ctrl.state) == NvmState.IDLE:
                return
            await self.tick()
        raise AssertionError("controller never became idle")

    async def write(self, subarray, trits, spare_garbage=0):
        b, ctx = self.bench, self.ctx
        for r, value in enumerate(_rows_bits(trits)):
            ctx.set(b.tb_addr, r)
            ctx.set(b.tb_wdata, value | (spare_garbage << (2 * self.config.cbls)))
            ctx.set(b.tb_we, 1 << subarray)
            await self.tick()
        ctx.set(b.tb_we, 0)
        ctx.set(b.ctrl.load_end, 1 << subarray)
        await self.tick()
        ctx.set(b.ctrl.load_end, 0)

    async def read(self, subarray):
        b, ctx, C = self.bench, self.ctx, self.config.cbls
        rows = []
        for r in range(self.config.rows):
            ctx.set(b.tb_addr, r)
            await self.tick()
            value = ctx.get(b.tb_rdata[subarray])
            bits = [(value >> i) & 1 for i in range(2 * C)]
            rows.append([1 - bits[2 * c] - bits[2 * c + 1] for c in range(C)])
        return np.array(rows)

    async def put_command(self, op, set, subarray=0, all=False):
        """Hand the controller a command (one transfer on its ``cmd`` stream); return the
        cycles that took (1: taken at once)."""
        cycles = await stream_put(self.ctx, self.bench.ctrl.cmd, {
            "op": op, "all": int(all), "subarray": subarray, "set": set})
        self.cycles += cycles
        return cycles

    async def command(self, op, set, subarray=0, all=False, during=None):
        """Issue a command; return (cycles to done, error code or None)."""
        b, ctx = self.bench, self.ctx
        ctx.set(b.ctrl.dp_idle, 1)
        await self.put_command(op, set, subarray, all)
        start = self.cycles
        for _ in range(5000):
            if ctx.get(b.ctrl.done):
                error = ErrorCode(ctx.get(b.ctrl.error_code)) if ctx.get(b.ctrl.error) \
                    else None
                return self.cycles - start, error
            if during is not None:
                during(self)
            await self.tick()
        raise AssertionError("no done strobe")

    def status(self):
        c = self.bench.ctrl
        S = self.config.subarrays
        g = self.ctx.get
        return {"valid": [bool((g(c.valid) >> s) & 1) for s in range(S)],
                "sets": [g(c.sets[s]) if (g(c.set_known) >> s) & 1 else None
                         for s in range(S)],
                "unverified": [bool((g(c.unverified) >> s) & 1) for s in range(S)]}


def _run(bench, body):
    sim = Simulator(bench)
    sim.add_clock(1e-8)

    async def testbench(ctx):
        ctx.set(bench.ctrl.timing, DEFAULT_TIMING)
        ctx.set(bench.ctrl.dp_idle, 1)
        await body(Driver(bench, ctx))

    sim.add_testbench(testbench)
    simulate(sim)


@pytest.mark.parametrize("kind", BENCHES)
def test_store_two_sets_and_restore_each(rng, kind):
    config = TINY
    bench = BENCHES[kind](config)
    a = rng.integers(-1, 2, (config.rows, config.cbls))
    b = rng.integers(-1, 2, (config.rows, config.cbls))

    async def body(d):
        await d.wait_idle()                       # boot restore of a never-stored set
        assert d.status()["valid"] == [False, False]
        for s in range(config.subarrays):
            await d.write(s, a, spare_garbage=0x5A5)
        cycles, error = await d.command(NvmOp.STORE, 2, all=True)
        assert error is None and cycles == bench.ctrl.store_cycles()
        for s in range(config.subarrays):
            await d.write(s, b)
        assert (await d.command(NvmOp.STORE, 3, all=True))[1] is None
        cycles, error = await d.command(NvmOp.RESTORE, 2, all=True)
        assert error is None and cycles == bench.ctrl.restore_cycles()
        assert d.status() == {"valid": [True, True], "sets": [2, 2],
                              "unverified": [False, False]}
        assert (await d.read(0) == a).all() and (await d.read(1) == a).all()
        # One subarray: only its rows are verified.
        cycles, error = await d.command(NvmOp.RESTORE, 3, subarray=1)
        assert error is None and cycles == bench.ctrl.restore_cycles(subarrays=1) < \
            bench.ctrl.restore_cycles()
        assert (await d.read(1) == b).all() and (await d.read(0) == a).all()
        assert d.status()["sets"] == [2, 3]
        assert not any(d.ctx.get(arr.protocol_error) for arr in bench.arrays)

    _run(bench, body)


#: TINY with 24-bit rows: 5 chunks of 5 bits, enough for every CRC state bit to feed back.
WIDE = Config(rows=8, active_rows=4, cbls=12, w_trits=2, adc_share=2, clusters=2,
              cluster_size=2, subarrays=2, boot_set=1)


@pytest.mark.parametrize("config, crc_chunk", [(TINY, DEFAULT_CRC_CHUNK), (TINY, 3), (TINY, 5),
                                               (WIDE, 5)], ids=["tiny", "tiny-3", "tiny-5",
                                                                "wide-5"])
def test_checksum_pass_writes_golden_spare_cells_of_chosen_subarray_only(rng, config,
                                                                         crc_chunk):
    bench = Bench(config, crc_chunk=crc_chunk)
    w = [rng.integers(-1, 2, (config.rows, config.cbls)) for _ in range(config.subarrays)]
    C2 = 2 * config.cbls

    async def body(d):
        await d.wait_idle()
        for s in range(config.subarrays):
            await d.write(s, w[s], spare_garbage=0x1A5)
        assert (await d.command(NvmOp.STORE, 0, subarray=1))[1] is None
        for s in range(config.subarrays):
            for r, value in enumerate(_rows_bits(w[s])):
                d.ctx.set(bench.tb_addr, r)
                await d.tick()
                row = d.ctx.get(bench.tb_rdata[s])
                assert row & ((1 << C2) - 1) == value       # weights kept
                bits = np.array([(value >> i) & 1 for i in range(C2)])
                spare = checksum.spare_sram_bits(bits)
                expected = sum(int(b) << i for i, b in enumerate(spare)) if s == 1 else 0x1A5
                assert row >> C2 == expected, (s, r)

    _run(bench, body)


@pytest.mark.parametrize("config", [
    Config(rows=4, active_rows=2, cbls=3, w_trits=1, adc_share=1, clusters=3, cluster_size=1,
           subarrays=1, boot_set=2),
    PRESETS["ideal"],
], ids=["one-subarray-cluster-size-1", "ideal"])
def test_round_trip_on_other_configs(rng, config):
    bench = Bench(config)
    w = [rng.integers(-1, 2, (config.rows, config.cbls)) for _ in range(config.subarrays)]

    async def body(d):
        await d.wait_idle()
        for s in range(config.subarrays):
            await d.write(s, w[s])
        last = config.weight_sets - 1
        assert (await d.command(NvmOp.STORE, last, all=True))[1] is None
        for s in range(config.subarrays):
            await d.write(s, -w[s])
        assert (await d.command(NvmOp.RESTORE, last, all=True))[1] is None
        assert d.status()["sets"] == [last] * config.subarrays
        for s in range(config.subarrays):
            assert (await d.read(s) == w[s]).all()
        assert (await d.command(NvmOp.RESTORE, 0, subarray=0))[1] == ErrorCode.SET_EMPTY

    _run(bench, body)


def test_refusals_change_nothing(rng):
    config = TINY
    bench = Bench(config)
    w = rng.integers(-1, 2, (config.rows, config.cbls))

    async def body(d):
        await d.wait_idle()
        # Store from invalid SRAM.
        assert (await d.command(NvmOp.STORE, 0, subarray=0))[1] == ErrorCode.WEIGHTS_INVALID
        await d.write(0, w)
        await d.write(1, w)
        before = d.status()
        for op in (NvmOp.STORE, NvmOp.RESTORE):
            for kwargs in ({"set": config.weight_sets, "subarray": 0},
                           {"set": 65535, "all": True},
                           {"set": 0, "subarray": config.subarrays},
                           {"set": 0, "subarray": 255}):
                cycles, error = await d.command(op, **kwargs)
                assert error == ErrorCode.BAD_SET and cycles == 0
                assert d.status() == before
        # Never stored: SET_EMPTY, that subarray invalid, the other untouched.
        assert (await d.command(NvmOp.RESTORE, 3, subarray=1))[1] == ErrorCode.SET_EMPTY
        assert d.status()["valid"] == [True, False]

    _run(bench, body)


@pytest.mark.parametrize("kind", BENCHES)
def test_boot_restore_and_reset_mid_operation(rng, kind):
    config = TINY
    bench = BENCHES[kind](config)
    w = rng.integers(-1, 2, (config.rows, config.cbls))

    async def body(d):
        await d.wait_idle()
        await d.write(0, w)
        await d.write(1, w)
        assert (await d.command(NvmOp.STORE, config.boot_set, all=True))[1] is None
        for s in range(config.subarrays):
            await d.write(s, -w)
        # Reset in the middle of a restore of another set: invalid until the boot restore.
        # Cycle-exact: the idle controller takes the command at once, the reset comes two
        # cycles later.
        assert await d.put_command(NvmOp.RESTORE, 0, all=True) == 1
        await d.tick(2)
        assert not d.ctx.get(bench.ctrl.mvm_allowed)
        d.ctx.set(bench.rst, 1)
        await d.tick()
        d.ctx.set(bench.rst, 0)
        assert d.status()["valid"] == [False, False]
        assert not d.ctx.get(bench.ctrl.mvm_allowed)
        await d.wait_idle()
        assert d.status() == {"valid": [True, True], "sets": [1, 1],
                              "unverified": [False, False]}
        assert d.ctx.get(bench.ctrl.mvm_allowed)
        assert (await d.read(0) == w).all()
        # Reset during a store's checksum pass: no phase ran, the boot set is intact.
        await store_then_reset(d, 5, None)
        assert d.status()["valid"] == [True, True]
        assert (await d.read(1) == w).all()
        # Reset during store_set: the cells were erased and not all set; the set reads as
        # never stored (marker at HRS), so nothing is restored and nothing is valid.
        ctrl = getattr(bench.ctrl, "controller", bench.ctrl)
        await store_then_reset(d, ctrl.pass_cycles() + DEFAULT_TIMING["store_reset"] + 1,
                               "store_set")
        assert d.status()["valid"] == [False, False]
        assert d.ctx.get(bench.arrays[0].protocol_error) == 1   # the macro saw the cut

    async def store_then_reset(d, after, pin):
        await d.write(0, -w)
        await d.write(1, -w)
        # Cycle-exact: taken at once, then `after` cycles into the store.
        assert await d.put_command(NvmOp.STORE, config.boot_set, all=True) == 1
        await d.tick(after)
        pins = getattr(bench.ctrl, "controller", bench.ctrl).nvm[0]
        assert [d.ctx.get(getattr(pins, name)) for name in NVM_PHASES] == \
            [int(name == pin) for name in NVM_PHASES]
        d.ctx.set(bench.rst, 1)
        await d.tick()
        d.ctx.set(bench.rst, 0)
        await d.wait_idle()

    _run(bench, body)


def test_mvm_blocked_and_register_writes_ignored_during_operation(rng):
    config = TINY
    bench = Bench(config)
    w = rng.integers(-1, 2, (config.rows, config.cbls))

    def scribble(d):
        # Every cycle of the restore: MVMs are not allowed, and the registers change.
        assert not d.ctx.get(bench.ctrl.mvm_allowed)
        d.ctx.set(bench.ctrl.timing, {name: 1 + (d.cycles * 7) % 200 for name in NVM_PHASES})
        d.ctx.set(bench.ctrl.allow_unverified, d.cycles & 1)

    async def body(d):
        await d.wait_idle()
        await d.write(0, w)
        await d.write(1, w)
        assert d.ctx.get(bench.ctrl.mvm_allowed)
        assert (await d.command(NvmOp.STORE, 0, all=True))[1] is None
        cycles, error = await d.command(NvmOp.RESTORE, 0, all=True, during=scribble)
        assert error is None and cycles == bench.ctrl.restore_cycles()
        assert not any(d.ctx.get(arr.protocol_error) for arr in bench.arrays)
        d.ctx.set(bench.ctrl.timing, {name: 0 for name in NVM_PHASES})   # below minimums
        cycles, error = await d.command(NvmOp.RESTORE, 0, all=True)
        assert error is None
        assert cycles == bench.ctrl.restore_cycles({name: 0 for name in NVM_PHASES})
        assert not any(d.ctx.get(arr.protocol_error) for arr in bench.arrays)

    _run(bench, body)


@pytest.mark.parametrize("crc_chunk", [DEFAULT_CRC_CHUNK, 3])
@pytest.mark.parametrize("allow", [False, True])
def test_misread_detected_and_located(rng, allow, crc_chunk):
    config = TINY
    faults = [identity_fault_map(config) for _ in range(config.subarrays)]
    w = rng.integers(-1, 2, (config.rows, config.cbls))
    w[5, 2] = 1
    faults[1][5, 2, 2] = 0          # subarray 1, row 5, CBL 2: LRS reads MRS
    faults[1][6, 1, :] = -1         # row 6, CBL 1 stuck at HRS (if it holds something else)
    w[6, 1] = 0
    bench = Bench(config, faults, crc_chunk=crc_chunk)

    async def body(d):
        await d.wait_idle()
        await d.write(0, w)
        await d.write(1, w)
        assert (await d.command(NvmOp.STORE, 0, all=True))[1] is None
        d.ctx.set(bench.ctrl.allow_unverified, int(allow))
        assert (await d.command(NvmOp.RESTORE, 0, all=True))[1] == ErrorCode.VERIFY_FAILED
        assert (d.ctx.get(bench.ctrl.error_subarray), d.ctx.get(bench.ctrl.error_row)) == (1, 5)
        status = d.status()
        assert status["valid"] == [True, allow] and status["unverified"] == [False, allow]
        read = await d.read(1)
        assert read[5, 2] == 0 and read[6, 1] == -1
        assert d.ctx.get(bench.ctrl.mvm_allowed) == allow

    _run(bench, body)


def test_timing_defaults_are_safe():
    assert all(DEFAULT_TIMING[name] >= MINIMUM_CYCLES[name] for name in NVM_PHASES)
    assert restore_cycles(TINY) == sum(DEFAULT_TIMING[n] for n in NVM_PHASES[:5]) + \
        copy_latency(TINY) + pass_cycles(TINY, verify=True) + 1
    # A pass: per row, one cycle to address it and one per chunk of every subarray.
    assert pass_cycles(TINY) == TINY.rows * (1 + TINY.subarrays)      # 8-bit rows: one chunk
    assert pass_cycles(TINY, 3) == TINY.rows * (1 + TINY.subarrays * 3)
    assert pass_cycles(TINY, 3, subarrays=1) == TINY.rows * (1 + 3)
    # A verify pass addresses each next row during the row before: one cycle for the first.
    assert pass_cycles(TINY, 3, verify=True) == 1 + TINY.rows * TINY.subarrays * 3
    assert checksum.spare_cells(TINY.cbls) == 9


@pytest.mark.parametrize("call, message", [
    (lambda: NvmController(TINY, copy_cycles=-1),
     "copy_cycles must be a non-negative integer, not -1"),
    (lambda: NvmController(TINY, timing_bits=2),
     "timing_bits must be an integer of at least 4, not 2"),
    (lambda: NvmController(TINY, crc_chunk=0), "crc_chunk must be a positive integer, not 0"),
    (lambda: pass_cycles(TINY, subarrays=3), "subarrays must be an integer from 1 to 2, not 3"),
    (lambda: restore_cycles(TINY, subarrays=0),
     "subarrays must be an integer from 1 to 2, not 0"),
    (lambda: NvmController(TINY, crc_chunk=True),
     "crc_chunk must be a positive integer, not True"),
])
def test_messages(call, message):
    refused(call, message)


# -- random sessions against the golden device model ----------------------------------------------

def _golden(call, *args):
    """Run a golden device operation; return (error code or None, detail)."""
    try:
        call(*args)
    except DeviceError as error:
        return error.code, error.detail
    return None, ""


async def _mirror_faults(d, device):
    # Give every array the misreads the golden model's last restore made (fault_port).
    for address in range(d.config.rows):
        for s, array in enumerate(d.bench.arrays):
            words = fault_words(d.config, sensed_fault_map(d.config, device.sensed(s)))
            d.ctx.set(array.fault_addr, address)
            d.ctx.set(array.fault_data, words[address])
            d.ctx.set(array.fault_we, 1)
        await d.tick()
    for array in d.bench.arrays:
        d.ctx.set(array.fault_we, 0)


def _located(d):
    return f"first mismatch at subarray {d.ctx.get(d.bench.ctrl.error_subarray)}, " \
           f"row {d.ctx.get(d.bench.ctrl.error_row)}"


async def _session(d, device, rng, steps):
    config = d.config
    S, K = config.subarrays, config.weight_sets
    faults = [
        lambda: {"fault": "misread", "subarray": int(rng.integers(S)),
                 "row": int(rng.integers(config.rows)), "cbl": int(rng.integers(config.cbls))},
        lambda: {"fault": "stuck", "subarray": int(rng.integers(S)), "set": int(rng.integers(K)),
                 "row": int(rng.integers(config.rows)), "cbl": int(rng.integers(config.cbls)),
                 "level": int(rng.integers(-1, 2))},
        lambda: {"fault": "variation", "sigma": 0.2, "seed": int(rng.integers(1000)),
                 "cluster_size": 60},
        lambda: {"fault": "misread_rate", "rate": 0.002, "seed": int(rng.integers(1000))},
        lambda: {"fault": "clear"},
    ]
    fault_odds = [0.3, 0.15, 0.1, 0.1, 0.35]
    await d.wait_idle()
    for step in range(steps):
        kind = str(rng.choice(["write", "store", "restore", "reset", "fault", "policy"],
                              p=[0.2, 0.25, 0.25, 0.1, 0.12, 0.08]))
        # Mostly "all" or a subarray, sometimes one beyond the end; mostly two sets (one the
        # boot set), sometimes out of range.
        target = str(rng.choice(["all", "one", "bad"], p=[0.5, 0.4, 0.1]))
        target = {"all": "all", "one": int(rng.integers(S)), "bad": S}[target]
        k = int(rng.choice([0, config.boot_set, K, int(rng.integers(K))],
                           p=[0.4, 0.4, 0.1, 0.1]))
        where = f"step {step} {kind} {target} {k}"
        if kind == "write":
            s = int(rng.integers(S))
            w = rng.integers(-config.w_max, config.w_max + 1, (config.rows, config.outs))
            device.write(s, w)
            await d.write(s, weights_to_cbl_trits(config, w))
        elif kind in ("store", "restore"):
            code, detail = _golden(getattr(device, kind), "all" if target == "all" else target,
                                   k)
            op = NvmOp.STORE if kind == "store" else NvmOp.RESTORE
            if kind == "restore":
                await _mirror_faults(d, device)
            _, rtl = await d.command(op, min(k, 65535), subarray=0 if target == "all" else target,
                                     all=target == "all")
            assert rtl == code, where
            if code == ErrorCode.VERIFY_FAILED:
                assert detail.startswith(_located(d)), where
        elif kind == "reset":
            code, detail = _golden(device.reset)
            d.ctx.set(d.bench.rst, 1)
            await _mirror_faults(d, device)
            d.ctx.set(d.bench.rst, 0)
            await d.wait_idle()
            rtl = ErrorCode(d.ctx.get(d.bench.ctrl.error_code)) \
                if d.ctx.get(d.bench.ctrl.error) else None
            assert rtl == code, where
            if code == ErrorCode.VERIFY_FAILED:
                assert detail.startswith(_located(d)), where
        elif kind == "fault":
            device.inject(faults[int(rng.choice(len(faults), p=fault_odds))]())
        else:
            device.allow_unverified = bool(rng.integers(2))
            d.ctx.set(d.bench.ctrl.allow_unverified, int(device.allow_unverified))
        status = device.status()
        rtl = d.status()
        assert rtl["valid"] == status["valid"], where
        assert rtl["sets"] == status["sets"], where
        assert rtl["unverified"] == device.unverified, where
        for s in range(S):
            if status["valid"][s]:
                assert (await d.read(s) == weights_to_cbl_trits(config, device.read(s))).all(), \
                    where


def _run_session(rng, steps, kind="bench"):
    config = TINY
    bench = BENCHES[kind](config, fault_port=True)
    device = Device(config)
    _run(bench, lambda d: _session(d, device, rng, steps))


@pytest.mark.parametrize("kind", BENCHES)
def test_random_session_matches_golden_device(rng, kind):
    _run_session(rng, 40, kind)


@pytest.mark.slow
@pytest.mark.parametrize("kind", BENCHES)
@pytest.mark.parametrize("index", range(10))
def test_long_random_sessions_match_golden_device(seed, index, kind):
    _run_session(np.random.default_rng([seed, index]), 200, kind)


def test_restored_weights_reach_the_compute_path(rng):
    # The integrated stub: after a restore, the ADC codes of a block are those of the
    # restored weights (SPEC 5 discharge counting), not of what the SRAM held before.
    config = TINY
    bench = SubsystemBench(config)
    w = rng.integers(-1, 2, (config.rows, config.cbls))
    x = rng.integers(-1, 2, config.active_rows)
    wl1 = sum(int(v != -1) << a for a, v in enumerate(x))     # +1 (1,1), 0 (1,0), -1 (0,0)
    wl2 = sum(int(v == 1) << a for a, v in enumerate(x))

    async def body(d):
        await d.wait_idle()
        for s in range(config.subarrays):
            await d.write(s, w)
        assert (await d.command(NvmOp.STORE, 2, all=True))[1] is None
        for s in range(config.subarrays):
            await d.write(s, -w)
        assert (await d.command(NvmOp.RESTORE, 2, all=True))[1] is None
        sub = bench.arrays[1]
        for block in range(config.compute_blocks):
            rows = w[block * config.active_rows:(block + 1) * config.active_rows]
            for mux in range(config.adc_share):
                d.ctx.set(sub.block, block)
                d.ctx.set(sub.wl1, wl1)
                d.ctx.set(sub.wl2, wl2)
                d.ctx.set(sub.mux, mux)
                await d.tick(2)                                 # compute_latency
                for j in range(config.adcs):
                    c = j * config.adc_share + mux
                    discharge = int(np.sum(1 - x * rows[:, c]))
                    assert d.ctx.get(sub.codes[j]) == min(discharge, config.adc_max_code)

    _run(bench, body)
