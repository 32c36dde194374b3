"""Restore latency and the MVM throughput lost to switching weight sets, on ``paper``.

``python -m benchmarks nvm`` (or ``python -m benchmarks.bench_nvm``). Every latency is
*measured*: the store/restore controller (hw/nvm.py) for the ``paper`` configuration runs in
the Amaranth simulator and the cycles from accepting a command to its ``done`` strobe are
counted, for several phase-length settings; the measured figures are checked against the
closed form (:func:`tlcim.hw.nvm.restore_cycles`). The baseline, run in the same process, is the
default register setting with the behavioural stub's copy; ratios are against it.

Throughput loss of switching weight sets between layers: a layer of ``n`` MVMs on a subarray
takes ``n * conversions_per_mvm`` cycles (SPEC 7, 400 on ``paper``); switching to the next
layer's weights costs one restore, so the loss is ``restore / (restore + n * 400)``. The
alternative without non-volatile weights, loading a subarray through the 32-bit weight stream
(``rows * row_beats`` beats, one subarray at a time), is printed beside it.

CRC engine trade (``python -m benchmarks.bench_nvm --chunks``, adds a few minutes): for
several ``crc_chunk`` widths, the controller's area on ``paper`` (``tlcim.yosys.synthesise``,
GE) and its measured restore and store cycles (analog macro copy), against the default width
in the same process.
"""

import sys

from amaranth.sim import Simulator

from tlcim.golden import Config
from tlcim.hw.geometry import Geometry
from tlcim.hw.interfaces import DEFAULT_TIMING, NVM_PHASES, NvmOp
from tlcim.hw.crc import DEFAULT_CRC_CHUNK
from tlcim.hw.nvm import NvmController, NvmState, restore_cycles, store_cycles

#: Phase-length settings measured (register values; the controller raises them to minimums).
SETTINGS = {
    "default (2 x minimum)": DEFAULT_TIMING,
    "minimum (registers 0)": {name: 0 for name in NVM_PHASES},
    "4 x default": {name: 4 * value for name, value in DEFAULT_TIMING.items()},
    "slow precharge (100)": {**DEFAULT_TIMING, "precharge": 100},
}
#: MVMs per layer (batch sizes) for the throughput-loss table.
BATCHES = (1, 16, 256)


#: CRC engine widths (bits a cycle) of the area/latency table.
CHUNKS = (32, 64, 160, 320)


def measure(config, timing, copy_cycles, op=NvmOp.RESTORE, crc_chunk=DEFAULT_CRC_CHUNK,
            every=True):
    """Return the cycles from accepting a command (of every subarray, or of subarray 0) to
    ``done``, measured in simulation."""
    ctrl = NvmController(config, copy_cycles=copy_cycles, crc_chunk=crc_chunk)
    sim = Simulator(ctrl)
    sim.add_clock(1e-8)
    result = {}

    async def bench(ctx):
        ctx.set(ctrl.timing, timing)
        ctx.set(ctrl.dp_idle, 1)
        ctx.set(ctrl.load_end, (1 << config.subarrays) - 1)
        while ctx.get(ctrl.state) != NvmState.IDLE:      # the boot restore first
            await ctx.tick()
        await ctx.tick()                                   # weights "loaded": all valid
        ctx.set(ctrl.load_end, 0)
        ctx.set(ctrl.cmd.payload, {"op": op, "all": int(every), "subarray": 0, "set": 0})
        ctx.set(ctrl.cmd.valid, 1)
        await ctx.tick()
        ctx.set(ctrl.cmd.valid, 0)
        cycles = 0
        while not ctx.get(ctrl.done):
            await ctx.tick()
            cycles += 1
        result["cycles"] = cycles

    sim.add_testbench(bench)
    sim.run()
    return result["cycles"]


def chunk_table(config):
    """Print the controller's area and cycles against ``crc_chunk`` (default first: baseline)."""
    from tlcim.yosys import synthesise
    print(f"\nCRC engine width (crc_chunk) on paper, analog macro copy; default "
          f"{DEFAULT_CRC_CHUNK} is the baseline")
    print(f"{'crc_chunk':>9} {'controller GE':>13} {'restore':>8} {'store':>8} "
          f"{'GE vs base':>10} {'restore vs base':>15}")
    base = None
    for chunk in (DEFAULT_CRC_CHUNK,) + tuple(c for c in CHUNKS if c != DEFAULT_CRC_CHUNK):
        ge = synthesise(NvmController(config, copy_cycles=0, crc_chunk=chunk), name="top").ge
        restore = measure(config, DEFAULT_TIMING, 0, crc_chunk=chunk)
        store = measure(config, DEFAULT_TIMING, 0, NvmOp.STORE, crc_chunk=chunk)
        assert restore == restore_cycles(config, DEFAULT_TIMING, 0, chunk), (chunk, restore)
        assert store == store_cycles(config, DEFAULT_TIMING, 0, chunk), (chunk, store)
        base = base or (ge, restore)
        print(f"{chunk:9d} {ge:13.0f} {restore:8d} {store:8d} {ge / base[0]:10.3f} "
              f"{restore / base[1]:15.3f}")


def main(argv=None):
    argv = argv or []
    config = Config()   # paper
    geometry = Geometry(config)
    stub_copy = config.rows + 2
    print(f"paper: {config.subarrays} subarrays x {config.rows} rows x {config.cbls} CBLs, "
          f"MVM = {config.conversions_per_mvm} cycles")
    rows = []
    baseline = None
    for copy_name, copy in (("behavioural stub copy", stub_copy), ("analog macro", 0)):
        for name, timing in SETTINGS.items():
            cycles = measure(config, timing, copy)
            assert cycles == restore_cycles(config, timing, copy), (name, copy, cycles)
            baseline = baseline or cycles
            rows.append((copy_name, name, cycles))
    print(f"{'macro':24} {'phase lengths':24} {'restore cycles':>14} {'vs baseline':>11}")
    for copy_name, name, cycles in rows:
        print(f"{copy_name:24} {name:24} {cycles:14d} {cycles / baseline:11.3f}")
    store = measure(config, DEFAULT_TIMING, stub_copy, NvmOp.STORE)
    assert store == store_cycles(config, DEFAULT_TIMING, stub_copy), store
    print(f"store, default lengths, stub copy: {store} cycles")
    one = measure(config, DEFAULT_TIMING, 0, every=False)
    assert one == restore_cycles(config, DEFAULT_TIMING, 0, subarrays=1), one
    print(f"restore of one subarray, default lengths, analog macro: {one} cycles "
          f"({one / baseline:.3f} x the baseline)")

    load = geometry.row_beats * config.rows * config.subarrays
    print(f"\nreload through the weight stream instead (all {config.subarrays} subarrays): "
          f"{load} cycles ({load / baseline:.1f} x the baseline restore)")
    print(f"\n{'MVMs per layer':>14} {'loss, stub':>11} {'loss, macro':>12} {'loss, reload':>13}")
    macro = restore_cycles(config, DEFAULT_TIMING, 0)
    for batch in BATCHES:
        work = batch * config.conversions_per_mvm
        print(f"{batch:14d} {baseline / (baseline + work):11.1%} {macro / (macro + work):12.1%} "
              f"{load / (load + work):13.1%}")
    if "--chunks" in argv:
        chunk_table(config)


if __name__ == "__main__":
    main(sys.argv[1:])
