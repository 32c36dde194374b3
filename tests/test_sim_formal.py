"""tlcim.sim.formal: formal proofs of the store/restore controller (hw/nvm.py) with SymbiYosys
and z3."""

import gc
import warnings

import pytest
from amaranth.hdl import UnusedElaboratable

from tlcim.sim import formal

MISSING = formal.missing_tools()
needs_tools = pytest.mark.skipif(MISSING is not None, reason=f"formal tools: {MISSING}")


@needs_tools
def test_controller_properties_proven_by_induction(tmp_path):
    (passed, log), = formal.run(["prove"], workdir=tmp_path).values()
    assert passed, log
    assert "induction: pass" in log or "DONE (PASS" in log


@needs_tools
def test_boot_restore_covered(tmp_path):
    harness = formal.NvmProperties(covers=("boot",))
    (passed, log), = formal.run(["cover"], workdir=tmp_path, harness=harness,
                                depth=19).values()
    assert passed, log


@needs_tools
@pytest.mark.slow
def test_store_and_restore_commands_covered(tmp_path):
    (passed, log), = formal.run(["cover"], workdir=tmp_path).values()
    assert passed, log


def test_sby_file_and_messages():
    text = formal.sby_text({"prove": ("prove", 4)})
    assert "mode prove" in text and "smtbmc z3" in text and "read_rtlil nvm.il" in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)   # refused, never elaborated
        with pytest.raises(ValueError, match="covers must be among boot, store, restore, "
                                             "not reboot"):
            formal.NvmProperties(covers=("reboot",))
        gc.collect()
    if MISSING is None:
        with pytest.raises(ValueError, match="tasks must be among prove, cover, not bmc"):
            formal.run(["bmc"])
