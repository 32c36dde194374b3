"""tlcim.sim.model: the C++ subarray model against the Amaranth stub, cycle for cycle
(:mod:`tlcim.tb.test_model`), and the whole device on it against the golden model."""

import pathlib

import pytest

from tlcim.golden import Config
from tlcim.sim import model, rtl

pytestmark = pytest.mark.skipif(rtl.simulator_missing("verilator") is not None,
                                reason="needs Verilator")


#: Lock-step cases, with the cycles each runs: ``small``, and a shape no preset has, built on
#: ``ternary``'s ADC (4 bits, an LSB of 2, so a column of 40 rows clips often): one block of 40
#: rows (an ADC's column spans two words, the SRAM's address has no bits), a 3-way mux, 40 rows,
#: not a power of two, so the copy's row counter leaves the array. Behind ``--long`` (each case
#: is a build of its own): the presets ``ternary`` (4-way mux), ``ideal`` (the ideal ADC, no
#: mux) and ``paper``.
CASES = {"small": (Config.preset("small"), 10_000),
         "tall-block": (Config.preset("ternary").replace(rows=40, active_rows=40, cbls=30,
                                                          adc_share=3, clusters=1,
                                                          cluster_size=3, subarrays=1), 4_000),
         "ternary": (Config.preset("ternary"), 4_000),
         "ideal": (Config.preset("ideal"), 4_000),
         "paper": (Config.preset("paper"), 20_000)}
LONG = {"ternary", "ideal", "paper"}


#: The model's code paths for the ADC conversion (``TLCIM_MODEL_ISA``; ``None``: the default,
#: the popcnt instruction where the CPU has it): every default case runs both.
ISAS = (None, "portable")


def _lockstep(case, seed, isa=None, test_dir=None):
    config, cycles = CASES[case]
    built = rtl.compile_sources(config, "verilator", model.lockstep_sources(config),
                                variant="lockstep", toplevel=model.LOCKSTEP_TOPLEVEL)
    env = {"TLCIM_SEED": str(seed), "TLCIM_LOCKSTEP_CYCLES": str(cycles)}
    if isa is not None:
        env["TLCIM_MODEL_ISA"] = isa
    # Raises, naming the cycle and the output, at the first difference.
    rtl.run_cocotb(built, "tlcim.tb.test_model", env=env, test_dir=test_dir)


@pytest.mark.parametrize("case,isa", [
    pytest.param(case, isa, id=f"{case}-{isa or 'default'}",
                 marks=pytest.mark.slow if case in LONG else ())
    for case in CASES for isa in (ISAS[:1] if case in LONG else ISAS)])
def test_model_in_lockstep_with_the_stub(case, isa, seed):
    """The model's outputs equal the stub's after every edge, on both conversion paths (the
    long cases on the default one)."""
    _lockstep(case, seed, isa)


def test_model_refuses_an_unknown_instruction_set(seed, tmp_path):
    with pytest.raises(RuntimeError, match="the simulator exited with status 2") as failure:
        _lockstep("small", seed, "sse9", test_dir=tmp_path)
    log = pathlib.Path(str(failure.value).rsplit("log: ", 1)[1])
    assert "TLCIM_MODEL_ISA must be portable or popcnt, not 'sse9'" in log.read_text()


def test_model_sources_and_refusals():
    config = Config.preset("small")
    sources = model.sources(config)
    assert list(sources)[-1] == model.CPP_FILE and "tlcim_subarray_model.sv" in sources
    top = sources["tlcim_top.v"]
    # Every subarray is an instance of the model; no Amaranth stub is left in the design.
    assert top.count(f"  {model.MODULE} ") == config.subarrays and "tlcim_wsram" not in top
    assert model.sources(config) == sources   # reproducible
    with pytest.raises(ValueError, match="C\\+\\+ models \\(DPI-C\\) need Verilator, not icarus"):
        rtl.compile_sources(config, "icarus", sources)
    from tlcim.hw.generate import verilog_text
    with pytest.raises(ValueError, match="storage must be 'verilog' or 'dpi', not 'memory'"):
        verilog_text(config, storage="memory")
