"""tlcim.hw.datapath: the whole compute datapath against ``tlcim.golden.device_mvm`` in the
Amaranth simulator."""

import numpy as np
import pytest
from amaranth.back import verilog
from amaranth.hdl import ResetInserter, Signal, signed
from amaranth.lib import data
from amaranth.sim import Simulator

from tlcim import golden
from tlcim.golden import Config, PRESETS
from tlcim.golden.errors import ErrorCode
from tlcim.hw.datapath import Datapath
from tlcim.hw.geometry import Geometry, WEIGHT_BEAT_BITS
from tlcim.hw.interfaces import DatapathSignature
from streams import stream_put
from helpers import simulate

#: The odd configuration of the brief: one trit everywhere, a 2-bit ADC, one subarray.
ODD = Config(rows=32, active_rows=16, cbls=6, x_trits=1, w_trits=1, adc_bits=2, adc_share=1,
             subarrays=1, clusters=1, cluster_size=1)
CONFIGS = {"small": PRESETS["small"], "ternary": PRESETS["ternary"],
           "ideal": PRESETS["ideal"], "odd": ODD}
#: Further corners: one block per subarray and one ADC for all CBLs (ideal); single-row
#: blocks and a 1-bit ADC; 6-trit inputs with three subarrays; 8 trits and a 12-bit ADC;
#: beats wider than a block (in_lanes 64 > active_rows 16) in 2-cycle MVMs; pieces of two
#: lengths.
CORNERS = {
    "one_block": Config(rows=16, active_rows=16, cbls=8, x_trits=2, w_trits=4, adc_bits=None,
                        adc_share=8, subarrays=3, clusters=1, cluster_size=1),
    "one_row": Config(rows=8, active_rows=1, cbls=6, x_trits=3, w_trits=3, adc_bits=1,
                      adc_share=2, subarrays=2, clusters=1, cluster_size=1),
    "three": Config(rows=24, active_rows=8, cbls=9, x_trits=6, w_trits=3, adc_bits=3,
                    adc_lsb=2, adc_share=3, subarrays=3, clusters=1, cluster_size=1),
    "wide": Config(rows=32, active_rows=4, cbls=16, x_trits=8, w_trits=8, adc_bits=12,
                   adc_share=1, subarrays=1, clusters=1, cluster_size=1),
    "fast": Config(rows=32, active_rows=16, cbls=8, x_trits=1, w_trits=2, adc_bits=6,
                   adc_lsb=4, adc_share=1, subarrays=3, clusters=1, cluster_size=1),
    # An ADC serving one whole output and one weight trit of the next (accumulator pieces of
    # two lengths; the output stage adds the pieces of an output spanning two ADCs).
    "mixed": Config(rows=32, active_rows=8, cbls=6, x_trits=3, w_trits=2, adc_bits=4,
                    adc_share=3, subarrays=2, clusters=1, cluster_size=1),
}


# -- host-side packing (from the layouts' documentation in hw.interfaces) ---------------------

def weight_beats(config, weights):
    """Beats (ints) of the weight packet loading ``weights`` [rows, outs]."""
    geometry = Geometry(config)
    bits = golden.weights_to_sram_bits(config, weights)
    beats = []
    for row in bits:
        value = sum(int(bit) << i for i, bit in enumerate(row))
        beats += [(value >> (WEIGHT_BEAT_BITS * i)) & ((1 << WEIGHT_BEAT_BITS) - 1)
                  for i in range(geometry.row_beats)]
    return beats


def vector_beats(config, x):
    """Beats (ints) of one activation vector; values are clipped to the signed in_bits range."""
    geometry = Geometry(config)
    lanes = data.ArrayLayout(signed(geometry.in_bits), geometry.in_lanes)
    limit = 1 << (geometry.in_bits - 1)
    padded = np.zeros(geometry.in_beats * geometry.in_lanes, dtype=np.int64)
    padded[:len(x)] = np.clip(x, -limit, limit - 1)
    return [lanes.const([int(v) for v in padded[i:i + geometry.in_lanes]]).as_value().value
            for i in range(0, len(padded), geometry.in_lanes)]


def unpack_results(config, beats):
    """Signed results of one result vector from its beats (ints)."""
    geometry = Geometry(config)
    lanes = data.ArrayLayout(signed(geometry.out_bits), geometry.out_lanes)
    values = [value for beat in beats for value in lanes.from_bits(beat)]
    return np.array(values[:config.outs])


# -- simulation helpers ---------------------------------------------------------------------

class Bench:
    """Drives one :class:`Datapath` in the simulator: streams with optional random stalls,
    results and error strobes collected."""

    def __init__(self, config, rng, *, stalls=0.0):
        self.config, self.rng, self.stalls = config, rng, stalls
        self.dut = Datapath(config)
        self.reset = Signal()     # synchronous reset of the whole datapath
        self.sim = Simulator(ResetInserter(self.reset)(self.dut))
        self.sim.add_clock(1e-6)
        self.results = []         # list of (cycle of the last beat, beats)
        self.errors = []          # ErrorCode of every error strobe
        self.done_cycles = []     # cycles of the mvm_done strobes
        self.saturated = 0        # sum of status.saturated over all cycles
        self.cycle = 0
        self.x_last_cycles = []   # cycles of the handshakes of vectors' last beats
        self.y_first_cycles = []  # cycles a result vector's first beat became valid

    async def idle(self, ctx):
        if self.stalls and self.rng.random() < self.stalls:
            await ctx.tick().repeat(int(self.rng.integers(1, 4)))

    async def put(self, ctx, stream, payloads):
        # A random gap (valid low) before each beat, then one transfer.
        for payload in payloads:
            await self.idle(ctx)
            await stream_put(ctx, stream, payload)

    async def load(self, ctx, subarray, weights=None, *, beats=None, last_at=None):
        """Send a weight packet: ``weights`` [rows, outs], or explicit ``beats``."""
        beats = weight_beats(self.config, weights) if beats is None else beats
        last_at = len(beats) - 1 if last_at is None else last_at
        await self.put(ctx, self.dut.w, [
            {"data": beat, "dest": subarray, "last": int(i == last_at)}
            for i, beat in enumerate(beats)])

    async def send(self, ctx, x, *, beats=None, last_at=None):
        """Send one activation vector (or explicit ``beats``)."""
        beats = vector_beats(self.config, x) if beats is None else beats
        last_at = len(beats) - 1 if last_at is None else last_at
        await self.put(ctx, self.dut.x, [{"data": beat, "last": int(i == last_at)}
                                         for i, beat in enumerate(beats)])

    async def wait_results(self, ctx, count, *, timeout=20000):
        """Tick until ``count`` result vectors have come back in total."""
        for _ in range(timeout):
            if len(self.results) >= count:
                return
            await ctx.tick()
        raise AssertionError(f"timed out waiting for result {count}")

    def run(self, stimulus, *, results, drain=4):
        """Run ``stimulus(bench, ctx)``, then wait for ``results`` result vectors in total and
        ``drain`` more cycles; return the result vectors (int arrays)."""
        dut = self.dut

        async def driver(ctx):
            await stimulus(self, ctx)
            await self.wait_results(ctx, results)
            await ctx.tick().repeat(drain)

        async def monitor(ctx):
            beats, started = [], False
            while True:
                ready = not (self.stalls and self.rng.random() < self.stalls)
                ctx.set(dut.y.ready, ready)
                (_, _, valid, payload, error, code, done, saturated,
                 x_taken, x_last) = await ctx.tick().sample(
                    dut.y.valid, dut.y.payload, dut.status.error, dut.status.error_code,
                    dut.status.mvm_done, dut.status.saturated,
                    dut.x.valid & dut.x.ready, dut.x.payload.last)
                self.cycle += 1
                if x_taken and x_last:
                    self.x_last_cycles.append(self.cycle)
                if valid and not started:
                    self.y_first_cycles.append(self.cycle)
                    started = True
                self.saturated += saturated
                if error:
                    self.errors.append(ErrorCode(code))
                if done:
                    self.done_cycles.append(self.cycle)
                if valid and ready:
                    beats.append(payload.data)
                    if payload.last:
                        self.results.append((self.cycle, beats))
                        beats, started = [], False

        self.sim.add_testbench(driver)
        self.sim.add_testbench(monitor, background=True)
        simulate(self.sim)
        return [unpack_results(self.config, beats) for _, beats in self.results]


def random_weights(config, rng):
    return rng.integers(-config.w_max, config.w_max + 1,
                        (config.subarrays, config.rows, config.outs))


def random_inputs(config, rng, batch, *, spread=1):
    bound = spread * config.x_max
    return rng.integers(-bound, bound + 1, (batch, config.rows * config.subarrays))


# -- tests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CONFIGS)
def test_random_mvms_match_golden(name, rng):
    config = CONFIGS[name]
    weights = random_weights(config, rng)
    x = random_inputs(config, rng, 3, spread=2)  # some inputs saturate
    bench = Bench(config, rng)

    async def stimulus(bench, ctx):
        for s in range(config.subarrays):
            await bench.load(ctx, s, weights[s])
        for vector in x:
            await bench.send(ctx, vector)

    got = bench.run(stimulus, results=len(x))
    np.testing.assert_array_equal(np.array(got), golden.device_mvm(config, weights, x))
    assert bench.errors == []


def loaded_bench(config, rng, *, stalls=0.0, weights=None):
    """A bench and a stimulus prefix loading ``weights`` (random by default)."""
    weights = random_weights(config, rng) if weights is None else weights
    bench = Bench(config, rng, stalls=stalls)

    async def load_all(ctx):
        for s in range(config.subarrays):
            await bench.load(ctx, s, weights[s])
    return bench, weights, load_all


def send_all(bench, load_all, x):
    """Run a bench of :func:`loaded_bench`: load its weights, send every vector of ``x``;
    return the result vectors."""
    async def stimulus(bench, ctx):
        await load_all(ctx)
        for vector in x:
            await bench.send(ctx, vector)

    return bench.run(stimulus, results=len(x))


@pytest.mark.parametrize("name", ["small", "ideal", "odd", "one_block", "fast"])
def test_back_to_back_throughput(name, rng):
    # SPEC 7: with inputs streaming and y ready, one MVM per conversions_per_mvm cycles.
    config = {**CONFIGS, **CORNERS}[name]
    bench, weights, load_all = loaded_bench(config, rng)
    x = random_inputs(config, rng, 6)

    got = send_all(bench, load_all, x)
    np.testing.assert_array_equal(np.array(got), golden.device_mvm(config, weights, x))
    ends = np.array([cycle for cycle, _ in bench.results])
    # The first vector waits for nothing; from the second on, the ADCs set the pace.
    assert list(np.diff(ends)[1:]) == [config.conversions_per_mvm] * (len(x) - 2)
    assert bench.done_cycles == list(ends)
    # The first vector found the datapath idle.
    assert bench.y_first_cycles[0] - bench.x_last_cycles[0] == bench.dut.latency


@pytest.mark.parametrize("name", ["small", "odd", "one_row", "three", "wide", "mixed"])
def test_random_stalls_on_every_stream(name, rng):
    config = {**CONFIGS, **CORNERS}[name]
    bench, weights, load_all = loaded_bench(config, rng, stalls=0.3)
    x = random_inputs(config, rng, 4)

    got = send_all(bench, load_all, x)
    np.testing.assert_array_equal(np.array(got), golden.device_mvm(config, weights, x))
    assert bench.errors == []


def test_adc_saturation_corner(rng):
    # Every product -1: each CBL discharges 2 * active_rows units, beyond the 5-bit ADC.
    config = CONFIGS["small"]
    weights = np.full((config.subarrays, config.rows, config.outs), -config.w_max)
    x = np.full((1, config.rows * config.subarrays), config.x_max)
    bench, _, load_all = loaded_bench(config, rng, weights=weights)

    async def stimulus(bench, ctx):
        await load_all(ctx)
        await bench.send(ctx, x[0])

    got = bench.run(stimulus, results=1)
    expected = golden.device_mvm(config, weights, x)
    np.testing.assert_array_equal(np.array(got), expected)
    exact = -config.subarrays * config.rows * config.x_max * config.w_max
    assert (expected != exact).all()  # the corner really saturates the ADC


def test_input_saturation_is_counted(rng):
    config = CONFIGS["ternary"]
    bench, weights, load_all = loaded_bench(config, rng)
    x = random_inputs(config, rng, 2, spread=3)
    x[0, :5] = [127, -128, config.x_max, -config.x_max, config.x_max + 1]  # edges

    got = send_all(bench, load_all, x)
    np.testing.assert_array_equal(np.array(got), golden.device_mvm(config, weights, x))
    assert bench.saturated == golden.saturate(x, config.x_trits)[1].sum() > 0


def test_requantisation_sampled_per_mvm(rng):
    config = CONFIGS["small"]
    bench, weights, load_all = loaded_bench(config, rng)
    x = random_inputs(config, rng, 4)
    settings = [dict(multiplier=int(rng.integers(1, 1 << 16)), shift=int(rng.integers(8, 30)),
                     relu=bool(rng.integers(2))) for _ in x]
    settings[0] = dict(multiplier=1, shift=0, relu=False)  # plain clipping
    settings[1] = dict(multiplier=65535, shift=63, relu=False)  # widest shift: all round to 0
    dut = bench.dut

    async def stimulus(bench, ctx):
        await load_all(ctx)
        for i, vector in enumerate(x):
            ctx.set(dut.ctrl.requant, 1)
            ctx.set(dut.ctrl.multiplier, settings[i]["multiplier"])
            ctx.set(dut.ctrl.shift, settings[i]["shift"])
            ctx.set(dut.ctrl.relu, settings[i]["relu"])
            await bench.send(ctx, vector)
            await bench.wait_results(ctx, i)  # the previous MVM has finished
            await ctx.tick().repeat(4)         # this one has started: ctrl is sampled
            ctx.set(dut.ctrl.shift, 0)         # must not affect the running MVM
            ctx.set(dut.ctrl.multiplier, 7)

    got = bench.run(stimulus, results=len(x))
    y = golden.device_mvm(config, weights, x)
    for i, setting in enumerate(settings):
        np.testing.assert_array_equal(got[i], golden.requantise(config, y[i], **setting))
    assert np.abs(np.array(got)).max() <= config.x_max


def test_weights_invalid_refusal(rng):
    config = CONFIGS["small"]
    bench, weights, load_all = loaded_bench(config, rng)
    x = random_inputs(config, rng, 1)
    dut = bench.dut
    seen = []

    async def stimulus(bench, ctx):
        await bench.send(ctx, x[0])           # nothing loaded
        await bench.load(ctx, 0, weights[0])  # one of two subarrays
        await ctx.tick().repeat(2)
        seen.append(ctx.get(dut.status.valid))
        await bench.send(ctx, x[0])
        await bench.load(ctx, 1, weights[1])
        await ctx.tick().repeat(2)
        seen.append(ctx.get(dut.status.valid))
        await bench.send(ctx, x[0])

    got = bench.run(stimulus, results=1)
    assert bench.errors == [ErrorCode.WEIGHTS_INVALID] * 2
    assert seen == [0b01, 0b11]
    np.testing.assert_array_equal(got[0], golden.device_mvm(config, weights, x[0]))


def test_bad_lengths_are_dropped(rng):
    config = CONFIGS["small"]
    geometry = Geometry(config)
    bench, weights, load_all = loaded_bench(config, rng)
    x = random_inputs(config, rng, 1)
    good = vector_beats(config, x[0])
    packet = weight_beats(config, weights[0])
    dut = bench.dut
    seen = []

    async def stimulus(bench, ctx):
        await load_all(ctx)
        await bench.send(ctx, None, beats=good, last_at=geometry.in_beats - 3)  # early last
        await bench.send(ctx, None, beats=good + good[:3])                      # late last
        await bench.send(ctx, x[0])                                           # fine
        await bench.wait_results(ctx, 1)
        await bench.load(ctx, 0, beats=packet[:-1])                           # short
        await ctx.tick().repeat(2)
        seen.append(ctx.get(dut.status.valid))
        await bench.send(ctx, x[0])                                           # refused
        await bench.load(ctx, 0, beats=packet + packet[:2])                   # long
        await ctx.tick().repeat(2)
        seen.append(ctx.get(dut.status.valid))
        await bench.load(ctx, 0, weights[0])
        await bench.send(ctx, x[0])

    got = bench.run(stimulus, results=2)
    assert bench.errors == [ErrorCode.BAD_LENGTH] * 3 + [ErrorCode.WEIGHTS_INVALID,
                                                         ErrorCode.BAD_LENGTH]
    assert seen == [0b10, 0b10]
    expected = golden.device_mvm(config, weights, x[0])
    for result in got:
        np.testing.assert_array_equal(result, expected)


def test_bad_set_changes_nothing(rng):
    config = CONFIGS["odd"]  # one subarray: dest 1 is out of range
    bench, weights, load_all = loaded_bench(config, rng)
    x = random_inputs(config, rng, 1)
    other = random_weights(config, rng)
    dut = bench.dut
    seen = []

    async def stimulus(bench, ctx):
        await load_all(ctx)
        await bench.load(ctx, 1, other[0])
        await ctx.tick().repeat(2)
        seen.append(ctx.get(dut.status.valid))
        await bench.send(ctx, x[0])

    got = bench.run(stimulus, results=1)
    assert bench.errors == [ErrorCode.BAD_SET]
    assert seen == [1]
    np.testing.assert_array_equal(got[0], golden.device_mvm(config, weights, x[0]))


def test_reset_in_mid_mvm(rng):
    config = CONFIGS["small"]
    bench, weights, load_all = loaded_bench(config, rng)
    x = random_inputs(config, rng, 2)
    dut = bench.dut
    seen = []

    async def stimulus(bench, ctx):
        await load_all(ctx)
        await bench.send(ctx, x[0])
        await ctx.tick().repeat(config.conversions_per_mvm // 2)
        seen.append(ctx.get(dut.status.busy))
        ctx.set(bench.reset, 1)
        await ctx.tick().repeat(2)
        ctx.set(bench.reset, 0)
        await ctx.tick()
        seen.append((ctx.get(dut.status.busy), ctx.get(dut.status.valid)))
        await bench.send(ctx, x[0])  # weights are no longer known valid
        await load_all(ctx)
        for vector in x:
            await bench.send(ctx, vector)

    got = bench.run(stimulus, results=2, drain=2 * config.conversions_per_mvm)
    # After the reset the store/restore controller is busy with the boot restore (of a set
    # never stored here): the vector waits for it, then is refused.
    assert seen == [1, (1, 0)]
    assert bench.errors == [ErrorCode.WEIGHTS_INVALID]
    assert len(got) == 2  # the interrupted MVM never returns
    np.testing.assert_array_equal(np.array(got), golden.device_mvm(config, weights, x))


def test_black_box_variant_instantiates_the_macro():
    config = CONFIGS["ternary"]
    dut = Datapath(config, blackbox=True)
    assert dut.signature == DatapathSignature(config)
    text = verilog.convert(dut, name="datapath", emit_src=False)
    assert text.count("tlcim_subarray ") == config.subarrays
    assert "sram" not in text  # the SRAM lives in the macro


@pytest.mark.slow
@pytest.mark.parametrize("name", [*CONFIGS, *CORNERS])
def test_long_random_regression(name, rng):
    # Several weight matrices in turn on one device, with stalls everywhere.
    config = {**CONFIGS, **CORNERS}[name]
    rounds = [(random_weights(config, rng), random_inputs(config, rng, 8, spread=2))
              for _ in range(3)]
    bench = Bench(config, rng, stalls=0.25)

    async def stimulus(bench, ctx):
        for weights, x in rounds:
            for s in range(config.subarrays):
                await bench.load(ctx, s, weights[s])
            for vector in x:
                await bench.send(ctx, vector)

    got = bench.run(stimulus, results=sum(len(x) for _, x in rounds))
    expected = np.concatenate([golden.device_mvm(config, weights, x) for weights, x in rounds])
    np.testing.assert_array_equal(np.array(got), expected)
    assert bench.errors == []
