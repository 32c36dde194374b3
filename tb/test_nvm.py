"""cocotb testbench of the generated Verilog of ``tlcim.hw.nvm.NvmSystem`` (run by
tests/test_tb_test_nvm.py): the store/restore scenarios on the controller and the
behavioural stub with its ``tlcim_wsram`` weight-set storage.

Inputs are driven and outputs sampled at falling clock edges, half a cycle away from the
rising edges where the design changes.
"""

import json
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from tlcim.golden import Config
from tlcim.golden.errors import ErrorCode
from tlcim.golden.trits import WEIGHT_Q
from tlcim.hw.interfaces import DEFAULT_TIMING, NvmOp, command_layout, timing_layout
from tlcim.hw.nvm import restore_cycles, store_cycles
from tlcim.hw.reram_array import fault_words, identity_fault_map


class Tb:
    def __init__(self, dut):
        self.dut = dut
        self.config = Config.from_dict(json.loads(os.environ["TLCIM_CONFIG"]))
        self.cycles = 0

    def port(self, name, s=None):
        return getattr(self.dut, name if s is None else f"{name}__{s}")

    async def cycle(self, n=1):
        for _ in range(n):
            await FallingEdge(self.dut.clk)
            self.cycles += 1

    async def start(self):
        cocotb.start_soon(Clock(self.dut.clk, 10, unit="ns").start())
        dut = self.dut
        for name in ("cmd__valid", "load_begin", "load_end", "allow_unverified"):
            getattr(dut, name).value = 0
        dut.dp_idle.value = 1
        dut.timing.value = timing_layout().const(DEFAULT_TIMING).as_bits()
        for s in range(self.config.subarrays):
            for name in ("row_we", "row_addr", "row_wdata", "block", "wl1", "wl2", "mux"):
                getattr(dut, f"subarray__{s}__{name}").value = 0
            self.port("fault_we", s).value = 0
        await self.reset()

    async def reset(self):
        self.dut.rst.value = 1
        await self.cycle(2)
        self.dut.rst.value = 0

    async def idle(self, limit=2000):
        for _ in range(limit):
            if not int(self.dut.busy.value):
                return
            await self.cycle()
        raise AssertionError("the controller never became idle")

    async def write(self, s, trits):
        bits = WEIGHT_Q[np.asarray(trits) + 1].reshape(len(trits), -1)
        for r, row in enumerate(bits):
            self.port(f"subarray__{s}__row_addr").value = r
            self.port(f"subarray__{s}__row_wdata").value = int(
                "".join(str(int(b)) for b in reversed(row)), 2)
            self.port(f"subarray__{s}__row_we").value = 1
            await self.cycle()
        self.port(f"subarray__{s}__row_we").value = 0
        self.dut.load_end.value = 1 << s
        await self.cycle()
        self.dut.load_end.value = 0

    async def read(self, s):
        out = []
        for r in range(self.config.rows):
            self.port(f"subarray__{s}__row_addr").value = r
            await self.cycle()
            value = int(self.port(f"subarray__{s}__row_rdata").value)
            out.append([1 - ((value >> 2 * c) & 1) - ((value >> 2 * c + 1) & 1)
                        for c in range(self.config.cbls)])
        return np.array(out)

    async def command(self, op, set, subarray=0, all=False, watch=None):
        """Run a command; return (cycles from acceptance to done, error code or None)."""
        dut = self.dut
        dut.cmd__payload.value = command_layout().const(
            {"op": op, "all": int(all), "subarray": subarray, "set": set}).as_bits()
        dut.cmd__valid.value = 1
        while not int(dut.cmd__ready.value):
            await self.cycle()
        await self.cycle()
        dut.cmd__valid.value = 0
        start = self.cycles
        while not int(dut.done.value):
            if watch is not None:
                watch()
            await self.cycle()
        error = ErrorCode(int(dut.error_code.value)) if int(dut.error.value) else None
        return self.cycles - start, error

    def valid(self):
        return [bool((int(self.dut.valid.value) >> s) & 1) for s in range(self.config.subarrays)]

    async def load_faults(self, s, fault_map):
        for r, word in enumerate(fault_words(self.config, fault_map)):
            self.port("fault_addr", s).value = r
            self.port("fault_data", s).value = word
            self.port("fault_we", s).value = 1
            await self.cycle()
        self.port("fault_we", s).value = 0


@cocotb.test()
async def store_restore_scenarios(dut):
    tb = Tb(dut)
    config = tb.config
    S, K = config.subarrays, config.weight_sets
    rng = np.random.default_rng(int(os.environ.get("TLCIM_SEED", "1")))
    a = rng.integers(-1, 2, (S, config.rows, config.cbls))
    b = rng.integers(-1, 2, (S, config.rows, config.cbls))
    await tb.start()
    await tb.idle()                                    # boot restore of a never-stored set
    assert tb.valid() == [False] * S and not int(dut.error.value)

    # Store two different sets, restore each and read back.
    for s in range(S):
        await tb.write(s, a[s])
    assert await tb.command(NvmOp.STORE, 0, all=True) == (store_cycles(config), None)
    for s in range(S):
        await tb.write(s, b[s])
    assert (await tb.command(NvmOp.STORE, config.boot_set, all=True))[1] is None

    def no_mvm():
        assert not int(dut.mvm_allowed.value)

    cycles, error = await tb.command(NvmOp.RESTORE, 0, all=True, watch=no_mvm)
    assert (cycles, error) == (restore_cycles(config), None)
    assert tb.valid() == [True] * S and int(dut.mvm_allowed.value)
    for s in range(S):
        assert (await tb.read(s) == a[s]).all()
    assert (await tb.command(NvmOp.RESTORE, config.boot_set, subarray=S - 1))[1] is None
    assert (await tb.read(S - 1) == b[S - 1]).all() and (await tb.read(0) == a[0]).all()

    # Every out-of-range index: bad_set, nothing changes, no phase runs.
    for op in (NvmOp.STORE, NvmOp.RESTORE):
        for set_, subarray, all_ in ((K, 0, False), (65535, 0, True), (0, S, False),
                                     (0, 255, False)):
            assert await tb.command(op, set_, subarray, all_) == (0, ErrorCode.BAD_SET)
            assert tb.valid() == [True] * S
    # A set never stored.
    assert (await tb.command(NvmOp.RESTORE, K - 1, subarray=0))[1] == ErrorCode.SET_EMPTY
    assert tb.valid() == [False] + [True] * (S - 1)

    # An injected misread is detected and located; the policy keeps the weights, flagged.
    faults = identity_fault_map(config)
    row, cbl = 3, 1
    stored = int(b[S - 1][row, cbl])
    faults[row, cbl, stored + 1] = 0 if stored != 0 else 1
    await tb.load_faults(S - 1, faults)
    assert (await tb.command(NvmOp.RESTORE, config.boot_set, all=True))[1] == \
        ErrorCode.VERIFY_FAILED
    assert (int(dut.error_subarray.value), int(dut.error_row.value)) == (S - 1, row)
    assert tb.valid() == [True] * (S - 1) + [False]
    dut.allow_unverified.value = 1
    assert (await tb.command(NvmOp.RESTORE, config.boot_set, all=True))[1] == \
        ErrorCode.VERIFY_FAILED
    assert tb.valid() == [True] * S and int(dut.unverified.value) == 1 << (S - 1)
    dut.allow_unverified.value = 0
    await tb.load_faults(S - 1, identity_fault_map(config))

    # Reset in the middle of a restore: invalid until the boot restore completes.
    dut.cmd__payload.value = command_layout().const(
        {"op": NvmOp.RESTORE, "all": 1, "subarray": 0, "set": 0}).as_bits()
    dut.cmd__valid.value = 1
    await tb.cycle(4)
    dut.cmd__valid.value = 0
    await tb.reset()
    assert tb.valid() == [False] * S and not int(dut.mvm_allowed.value)
    await tb.idle()
    assert tb.valid() == [True] * S and int(dut.sets.value) == \
        sum(config.boot_set << (s * (len(dut.sets.value) // S)) for s in range(S))
    for s in range(S):
        assert (await tb.read(s) == b[s]).all()

    # Reset in the middle of a store (during its checksum pass): the old set survives.
    for s in range(S):
        await tb.write(s, a[s])
    dut.cmd__payload.value = command_layout().const(
        {"op": NvmOp.STORE, "all": 1, "subarray": 0, "set": config.boot_set}).as_bits()
    dut.cmd__valid.value = 1
    await tb.cycle(3)
    dut.cmd__valid.value = 0
    await tb.reset()
    await tb.idle()
    assert tb.valid() == [True] * S
    for s in range(S):
        assert (await tb.read(s) == b[s]).all()
