# amaranth: UnusedElaboratable=no
"""FPGA emulation: the UART and its bridge (Amaranth simulation), the host side of the byte
protocol, the fit checks, and a small iCE40 build (the preset builds run with --long)."""

import json
import shutil

import numpy as np
import pytest
from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.sim import Simulator

from tlcim.golden import Config
from tlcim.hw.geometry import Geometry
from tlcim.hw.interfaces import DatapathSignature
from tlcim.hw.regmap import ID, register_map
from tlcim.hw.top import Top
from tlcim.hw.uart import Opcode, UARTRx, UARTTop, beat_bytes, divisor_for
from tlcim.sim import rtl
from tlcim.sim.fpga import UARTLink, UARTTransport, build_emulator, open_target
from tlcim.sim.script import load_script, run_ops
from tlcim import cli, fpga
from tlcim.run import write_results

#: Clock cycles per UART bit in the simulations (the smallest the receiver allows).
DIVISOR = 4
#: The emulated configuration: two subarrays (results summed), ADC mux, 5-bit ADC.
EMULATED = Config(rows=32, cbls=10, clusters=1, cluster_size=1, subarrays=2)
#: A configuration small enough for a quick iCE40 build.
TINY = Config(rows=16, active_rows=4, cbls=2, x_trits=2, w_trits=1, adc_bits=3, adc_share=1,
              clusters=1, cluster_size=1, subarrays=1)


class Loopback(wiring.Component):
    """Stand-in datapath: the first ``out_beats`` activation beats of each vector come back
    as result beats (data truncated), weight beats are taken and counted into ``valid``."""

    def __init__(self, geometry):
        self.geometry = geometry
        super().__init__(DatapathSignature(geometry.config))

    def elaborate(self, platform):
        m = Module()
        g = self.geometry
        count = Signal(range(g.in_beats + 1))
        taken = self.x.valid & self.x.ready
        m.d.comb += [self.x.ready.eq(self.y.ready | ~self.y.valid), self.w.ready.eq(1)]
        with m.If(taken):
            m.d.sync += count.eq(Mux(self.x.payload.last, 0, count + 1))
        with m.If(self.y.ready | ~self.y.valid):
            m.d.sync += [self.y.valid.eq(taken & (count < g.out_beats)),
                         self.y.payload.data.eq(self.x.payload.data),
                         self.y.payload.last.eq(count == g.out_beats - 1)]
        with m.If(self.w.valid & self.w.payload.last):
            m.d.sync += self.status.valid.eq(1)
        return m


def _simulate(config, body):
    """Run ``body(link, ctx)`` against a UARTTop with the loopback datapath, bit-banging the
    serial lines at DIVISOR cycles per bit (a background testbench decodes ``tx``)."""
    geometry = Geometry(config)
    dut = UARTTop(config, divisor=DIVISOR, top=Top(config, datapath=Loopback(geometry)))
    received = []

    async def monitor(ctx):
        while True:
            # Plain ticks (not `until`): a background testbench ends inside its await.
            while ctx.get(dut.tx):
                await ctx.tick()
            await ctx.tick().repeat(DIVISOR // 2)
            byte = 0
            for bit in range(8):
                await ctx.tick().repeat(DIVISOR)
                byte |= ctx.get(dut.tx) << bit
            await ctx.tick().repeat(DIVISOR)
            assert ctx.get(dut.tx) == 1, "stop bit"
            received.append(byte)

    class Port:
        def __init__(self, ctx):
            self.ctx = ctx

        async def write(self, data):
            for byte in data:
                for bit in [0, *((byte >> i) & 1 for i in range(8)), 1]:
                    self.ctx.set(dut.rx, bit)
                    await self.ctx.tick().repeat(DIVISOR)

        async def read(self, count):
            for _ in range(200 * DIVISOR * 10 * (count + 1)):
                if len(received) >= count:
                    data = bytes(received[:count])
                    del received[:count]
                    return data
                await self.ctx.tick()
            raise TimeoutError(f"{len(received)} of {count} bytes")

    async def main(ctx):
        await body(UARTLink(config, Port(ctx)), ctx)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(monitor, background=True)
    sim.add_testbench(main)
    sim.run()


def test_bridge_registers():
    config = Config.preset("small")
    regmap = register_map(config)

    async def body(link, ctx):
        await link.ping()
        assert await link.read(regmap.address("ID")) == (0, ID)
        assert await link.read(regmap.address("CFG_ROWS")) == (0, config.rows)
        assert await link.write(regmap.address("REQ_MULT"), 0x1234) == 0
        assert await link.read(regmap.address("REQ_MULT")) == (0, 0x1234)
        assert await link.read(0xFFC) == (2, 0)  # unmapped: SLVERR, reads 0
        assert await link.write(0xFFC, 1) == 2
        with pytest.raises(RuntimeError, match=r"answered 0xff to command 0x42"):
            await link.command(0x42)
        await link.ping()  # the bridge is back in step after an unknown opcode
    _simulate(config, body)


def test_bridge_streams(rng):
    config = Config.preset("small")
    g = Geometry(config)

    async def body(link, ctx):
        transport = UARTTransport(link, cycles_per_poll=DIVISOR * 10 * (2 + link.y_bytes))
        assert await link.poll_result() is None  # nothing waiting: flag 0
        size = g.in_lanes * g.in_bits // 8
        frames = [rng.integers(0, 256, g.in_beats * size, dtype=np.uint8).tobytes()
                  for _ in range(2)]
        await transport.send_vectors(frames)
        results = await transport.receive_vectors(2, timeout_cycles=10 ** 6)
        await transport.flush()
        out = g.out_lanes * g.out_bits // 8
        for frame, result in zip(frames, results, strict=True):
            # The loopback returns each of the first out_beats x beats, truncated/extended.
            for beat in range(g.out_beats):
                sent = frame[beat * size:(beat + 1) * size]
                got = result[beat * out:(beat + 1) * out]
                width = min(len(sent), len(got))
                assert got[:width] == sent[:width]
        await transport.send_weights(1, bytes(range(8)))  # two beats to subarray 1
        assert (await transport.read(register_map(config).address("VALID"))) & 1
    _simulate(config, body)


def test_uart_parameters_are_checked():
    with pytest.raises(ValueError, match=r"divisor must be an integer of at least 4, not 3"):
        UARTRx(3)
    with pytest.raises(ValueError, match=r"baud must be at most clock / 4 \(3\), not 115200"):
        divisor_for(12, 115200)
    with pytest.raises(ValueError, match=r"baud 115200 is .* off at 1000000 Hz"):
        divisor_for(1e6, 115200)
    assert divisor_for(12e6, 115200) == 104
    assert Opcode.Y_POLL == 5 and len(beat_bytes(Geometry(TINY))) == 3


def test_unknown_board_and_oversized_config(capsys, tmp_path):
    with pytest.raises(ValueError, match=r"board must be one of icebreaker, ulx3s-85f, "
                                         r"not 'de0'"):
        fpga.build(TINY, "de0")
    # paper's storage (SRAM and 240 weight sets) exceeds both boards: refused at once, with
    # the estimate and the limit, before anything is synthesised.
    need = fpga.storage_bits(Config.preset("paper"))
    assert need > 6 * 256 * 320 * 240  # every weight set of every subarray, at least
    for board, limit in (("icebreaker", "128,160"), ("ulx3s-85f", "3,917,496")):
        out = tmp_path / board
        assert cli.main(["fpga", "--board", board, "--config", "paper", "--out", str(out)]) == 2
        error = capsys.readouterr().err
        assert f"does not fit {board}" in error and f"{need:,} bits" in error
        assert f"at most {limit}" in error and not out.exists()


def test_fpga_target_needs_a_port(tmp_path):
    config = Config.preset("ice40")
    with pytest.raises(ValueError, match=r"target 'fpga' needs a serial port"):
        open_target(config, None)
    with pytest.raises(ValueError, match=r"cannot open serial port '.*no-such-tty'"):
        open_target(config, str(tmp_path / "no-such-tty"))


def test_synthesis_fit_check_message():
    board = fpga.BOARDS["icebreaker"]
    with pytest.raises(ValueError, match=r"synthesis needs 6,000 LUTs \(limit 5,280\); "
                                         r"refused before place and route"):
        fpga.check_fit(board, {"luts": 6000, "ffs": 100, "brams": 0, "dsps": 0})


def test_small_ice40_build(tmp_path):
    out = tmp_path / "fpga"
    config = tmp_path / "tiny.toml"
    config.write_text(TINY.to_toml())
    assert cli.main(["fpga", "--board", "icebreaker", "--config", str(config),
                     "--out", str(out)]) in (0, None)
    report = json.loads((out / "fpga.json").read_text())
    assert 0 < report["luts"] <= 5280 and 0 < report["ffs"] <= 5280
    assert report["fmax_mhz"] > 12 and report["timing_met"]
    assert (out / "top.bin").stat().st_size > 100_000  # an UP5K bitstream is ~104 kB


def _session(folder, config, rng):
    """Write a session script with its inputs into ``folder``; return its path."""
    folder.mkdir()
    for s in range(config.subarrays):
        np.save(folder / f"W{s}.npy",
                rng.integers(-config.w_max, config.w_max + 1, (config.rows, config.outs)))
    # Inputs beyond x_max too, so the encoder saturates.
    np.save(folder / "X.npy", rng.integers(-2 * config.x_max, 2 * config.x_max + 1,
                                           (3, config.rows * config.subarrays)))
    script = [
        {"op": "mvm", "inputs": "X.npy", "out": "Y_refused.npy",
         "comment": "no weights yet: weights_invalid"},
        *({"op": "write", "subarray": s, "weights": f"W{s}.npy"}
          for s in range(config.subarrays)),
        {"op": "write", "subarray": config.subarrays, "weights": "W0.npy",
         "comment": "no such subarray: bad_set"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y.npy"},
        {"op": "mvm", "inputs": "X.npy", "out": "Yq.npy",
         "requant": {"multiplier": 3, "shift": 6, "relu": True}},
        {"op": "status"},
    ]
    (folder / "session.json").write_text(json.dumps(script))
    return folder / "session.json"


def test_emulation_matches_golden(tmp_path, rng, seed):
    # The whole FPGA top (UART bridge included) in cocotb, driven by the host driver over a
    # simulated serial line, against the golden target on the same session script.
    script = _session(tmp_path / "golden", EMULATED, rng)
    shutil.copytree(tmp_path / "golden", tmp_path / "fpga")
    expected = run_ops(EMULATED, "golden", load_script(EMULATED, script))
    write_results(expected, tmp_path / "golden" / "R.json")
    built = build_emulator(EMULATED)
    print(f"emulator build {'compiled' if built.rebuilt else 'reused'} ({built.seconds:.1f} s)")
    rtl.run_cocotb(built, "tlcim.tb.test_fpga_top", test_dir=tmp_path / "run",
                   env={"TLCIM_SCRIPT": str(tmp_path / "fpga" / "session.json"),
                        "TLCIM_RESULT": str(tmp_path / "fpga" / "R.json"),
                        "TLCIM_SEED": str(seed)})
    golden = json.loads((tmp_path / "golden" / "R.json").read_text())
    emulated = json.loads((tmp_path / "fpga" / "R.json").read_text())
    assert [(e["op"], e["status"], e["error"]) for e in emulated] == \
        [(e["op"], e["status"], e["error"]) for e in golden]
    assert golden[0]["error"] == "weights_invalid" and emulated[-1]["valid"] == [True, True]
    for name in ("Y.npy", "Yq.npy"):
        np.testing.assert_array_equal(np.load(tmp_path / "fpga" / name),
                                      np.load(tmp_path / "golden" / name))


@pytest.mark.slow
@pytest.mark.parametrize("board", ["icebreaker", "ulx3s-85f"])
def test_preset_builds_meet_timing(board, tmp_path):
    preset = fpga.BOARDS[board].preset
    report = fpga.build(Config.preset(preset), board, tmp_path)
    print(json.dumps(report, indent=1))
    # Fits, meets timing at the board clock and reaches the Fmax target (measured
    # spread over placement seeds in docs/flows.md: iCE40 17.5-18.8 MHz for 13.2, ECP5
    # 58.5-62.4 MHz for 50).
    assert report["luts"] <= fpga.BOARDS[board].luts and report["timing_met"]
    assert report["meets_target"], f"Fmax {report['fmax_mhz']} MHz < {report['target_mhz']}"


@pytest.mark.parametrize("board", sorted(fpga.BOARDS))
def test_presets_keep_the_papers_arithmetic(board):
    # The FPGA presets shrink the array, never the arithmetic: the emulation computes what
    # the paper's macro computes, 5-trit inputs included.
    paper, preset = Config.preset("paper"), Config.preset(fpga.BOARDS[board].preset)
    names = ("active_rows", "x_trits", "w_trits", "adc_bits", "adc_lsb", "adc_share")
    assert {name: getattr(preset, name) for name in names} == \
        {name: getattr(paper, name) for name in names}
