"""cocotb tests of ``tlcim_top`` against the golden model (run by ``tests/test_tb_test_top.py``).

Every test makes its own :class:`tlcim.tb.tb.TB` (fresh clock and reset) and draws its stimulus from
a numpy generator seeded by ``TLCIM_SEED`` and the test's name. ``TLCIM_BATCH`` sets the number
of vectors of the random tests (small for big configurations).
"""

import json
import os
import zlib

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge

from tlcim import golden
from tlcim.golden.errors import DeviceError, ErrorCode
from tlcim.hw.registers import ADDRESS_BITS, Access
from tlcim.sim.host import pack_vectors
from tlcim.tb.tb import TB, random_inputs, random_weights, seed_from_env


def _rng(name):
    seed = seed_from_env() ^ zlib.crc32(name.encode())
    return np.random.default_rng(seed)


def _batch():
    return int(os.environ.get("TLCIM_BATCH", "6"))


async def _setup(dut, name, *, load=True):
    tb = TB(dut)
    await tb.start()
    rng = _rng(name)
    weights = random_weights(tb.config, rng)
    if load:
        for s, w in enumerate(weights):
            await tb.host.write(s, w)
    return tb, rng, weights


async def _check_mvm(tb, weights, x, requant=None):
    y = await tb.host.mvm(x, requant)
    expected = golden.device_mvm(tb.config, weights, x)
    if requant is not None:
        expected = golden.requantise(tb.config, expected, multiplier=requant["multiplier"],
                                     shift=requant["shift"], relu=requant["relu"])
    mismatch = np.argwhere(y != expected)
    assert not len(mismatch), (f"{len(mismatch)} results differ from golden, first at "
                               f"{mismatch[0].tolist()}: {y[tuple(mismatch[0])]} != "
                               f"{expected[tuple(mismatch[0])]}")
    return y


@cocotb.test()
async def registers(dut):
    """Identification and configuration readback, read/write registers, byte strobes,
    unmapped addresses (SLVERR, read 0), the sticky ERROR register and counter clearing."""
    tb, _, _ = await _setup(dut, "registers", load=False)
    host, regmap, transport = tb.host, tb.host.regmap, tb.transport
    await host.check_identity()  # ID and every CFG_/GEO_ register
    for register in regmap:
        value = await transport.read(register.address)
        if all(f.access is Access.CONST for f in register.fields):
            assert value == register.reset, register.name
    # Read/write fields keep what was written; read-only ones ignore writes.
    await host.write_reg("REQ_MULT", value=0xBEEF)
    assert await host.read_reg("REQ_MULT") == 0xBEEF
    await transport.write(regmap.address("REQ_SHIFT"), 0xFFFFFFFF)
    assert await host.read_reg("REQ_SHIFT") == 0x3F  # only the field's bits exist
    await transport.axil.write(regmap.address("REQ_MULT") + 1, b"\x12")  # byte lane 1 only
    assert await host.read_reg("REQ_MULT") == 0x12EF
    await transport.write(regmap.address("ID"), 0)
    assert await host.read_reg("ID") == regmap["ID"].reset
    await host.write_reg("CTRL", requant=1, relu=1)
    assert regmap["CTRL"].decode(await host.read_reg("CTRL")) == {"requant": 1, "relu": 1,
                                                                  "clear": 0}
    # Unmapped addresses: a gap below the store/restore registers and the top of the space.
    for address in (0x1F4, (1 << ADDRESS_BITS) - 4):
        response = await transport.axil.read(address, 4)
        assert response.resp.name == "SLVERR" and response.data == bytes(4), hex(address)
        response = await transport.axil.write(address, b"\xff\xff\xff\xff")
        assert response.resp.name == "SLVERR", hex(address)
    # Counters run, CTRL.clear zeroes them.
    first = await host.read_counter("CYCLES")
    await tb.cycles(100)
    assert await host.read_counter("CYCLES") >= first + 100
    await host.clear_counters()
    assert await host.read_counter("CYCLES") < 20
    assert await host.read_reg("VALID") == 0
    assert await host.error() == ErrorCode.NONE


@cocotb.test()
async def weights_invalid(dut):
    """An MVM before every subarray holds weights is refused: no result, ERROR set."""
    tb, rng, weights = await _setup(dut, "weights_invalid", load=False)
    config, host = tb.config, tb.host
    x = random_inputs(config, rng, 2)
    for loaded in range(config.subarrays):  # refused until the last subarray is loaded
        try:
            await host.mvm(x)
        except DeviceError as error:
            assert error.code == ErrorCode.WEIGHTS_INVALID, error
        else:
            raise AssertionError(f"MVM with {loaded} of {config.subarrays} subarrays loaded "
                                 f"was not refused")
        assert tb.transport.y.empty(), "a refused vector produced a result"
        assert await host.read_field("ERROR", "code") == ErrorCode.WEIGHTS_INVALID
        assert await host.read_reg("ERROR_COUNT") == 2 * (loaded + 1)
        await host.write(loaded, weights[loaded])
    await host.clear_error()
    assert await host.error() == ErrorCode.NONE
    await _check_mvm(tb, weights, x)
    assert (await host.counters())["mvms"] == 2


@cocotb.test()
async def random_mvm(dut):
    """Seeded random weights and inputs (some saturating) against golden.device_mvm; the
    MVM and saturation counters agree with the golden count."""
    tb, rng, weights = await _setup(dut, "random_mvm")
    config = tb.config
    x = random_inputs(config, rng, _batch(), beyond=config.x_max // 2 + 1)
    await tb.host.clear_counters()
    await _check_mvm(tb, weights, x)
    counters = await tb.host.counters()
    assert counters["mvms"] == len(x)
    assert counters["saturations"] == int(golden.saturate(x, config.x_trits)[1].sum())
    assert counters["errors"] == 0


@cocotb.test()
async def stalls(dut):
    """Random valid/ready stalls on every stream change nothing in the results."""
    tb, rng, weights = await _setup(dut, "stalls", load=False)
    tb.set_stalls(rng)
    for s, w in enumerate(weights):
        await tb.host.write(s, w)
    await _check_mvm(tb, weights, random_inputs(tb.config, rng, max(2, _batch() // 2)))


@cocotb.test()
async def corners(dut):
    """ADC saturation (every product -1: the largest discharge), the opposite extreme, and
    inputs at the ends of the stream's range (encoder saturation)."""
    tb, rng, _ = await _setup(dut, "corners", load=False)
    config = tb.config
    n = config.rows * config.subarrays
    limit = 1 << (tb.host.geometry.in_bits - 1)
    for sign in (-1, 1):
        weights = np.full((config.subarrays, config.rows, config.outs), sign * config.w_max)
        for s, w in enumerate(weights):
            await tb.host.write(s, w)
        x = np.stack([np.full(n, config.x_max), np.full(n, -config.x_max),
                      np.full(n, limit - 1), np.full(n, -limit),
                      rng.choice([-limit, limit - 1, 0], n)])
        await _check_mvm(tb, weights, x)


@cocotb.test()
async def requantise(dut):
    """The output stage: multiplier, rounding shift and ReLU as golden.requantise."""
    tb, rng, weights = await _setup(dut, "requantise")
    config = tb.config
    x = random_inputs(config, rng, 3)
    shift = max(1, config.result_bits - config.x_trits - 4)
    for requant in ({"multiplier": 3, "shift": shift, "relu": False},
                    {"multiplier": 1, "shift": 0, "relu": True},
                    {"multiplier": 0xFFFF, "shift": 63, "relu": False}):
        await _check_mvm(tb, weights, x, requant)
    await _check_mvm(tb, weights, x)  # and back to raw results


@cocotb.test()
async def reset_mid_mvm(dut):
    """A reset in the middle of an MVM leaves every subarray invalid; after reloading, the
    device computes correctly again."""
    tb, rng, weights = await _setup(dut, "reset_mid_mvm")
    config = tb.config
    x = random_inputs(config, rng, 3)
    await tb.transport.send_vectors(pack_vectors(config, x))
    await tb.cycles(config.conversions_per_mvm // 2 + tb.host.geometry.in_beats)
    assert await tb.host.busy()
    await tb.reset()
    assert await tb.host.read_reg("VALID") == 0
    assert await tb.host.busy()          # the automatic boot restore runs first
    await tb.host.boot_wait()            # of a set never stored here: no error
    assert await tb.host.read_reg("VALID") == 0
    assert not await tb.host.busy()
    try:
        await tb.host.mvm(x[:1])
    except DeviceError as error:
        assert error.code == ErrorCode.WEIGHTS_INVALID
    else:
        raise AssertionError("MVM after reset was not refused")
    weights = random_weights(config, rng)
    for s, w in enumerate(weights):
        await tb.host.write(s, w)
    await _check_mvm(tb, weights, x)


@cocotb.test(skip="TLCIM_THROUGHPUT" not in os.environ)
async def throughput(dut):
    """Back-to-back MVMs: cycles between result vectors in steady state (a benchmark; writes
    its figures to the JSON file named by TLCIM_THROUGHPUT)."""
    tb, rng, weights = await _setup(dut, "throughput")
    config, batch = tb.config, _batch()
    x = random_inputs(config, rng, batch)
    ends = []

    async def watch():
        y = dut.m_axis_y_tvalid, dut.m_axis_y_tready, dut.m_axis_y_tlast
        while len(ends) < batch:
            await RisingEdge(dut.clk)
            if y[0].value and y[1].value and y[2].value:
                ends.append(tb.now())

    watcher = cocotb.start_soon(watch())
    start = tb.now()
    y = await tb.host.mvm(x)
    await watcher
    expected = golden.device_mvm(config, weights, x)
    assert (y == expected).all()
    gaps = np.diff(ends)
    steady = float(np.median(gaps[len(gaps) // 2:])) if len(gaps) else float("nan")
    figures = {"batch": batch, "bound": config.conversions_per_mvm,
               "steady_cycles_per_mvm": steady, "ratio": steady / config.conversions_per_mvm,
               "first_result_cycles": int(ends[0] - start), "gaps": gaps.tolist()}
    with open(os.environ["TLCIM_THROUGHPUT"], "w") as file:
        json.dump(figures, file)
