# amaranth: UnusedElaboratable=no
"""The equivalence proof of the signed-off netlist: proven on small, and a netlist with one
gate changed is not proven."""

import dataclasses
import re
import shutil

from tlcim.golden import Config
from tlcim.signoff.equivalence import prove
from tlcim.signoff.flow import FILES, implement

from helpers import require_system_tools


def test_small_is_proven_equivalent():
    require_system_tools()
    result = prove(implement(Config.preset("small"), 100.0))
    assert result["proven"] is True, result
    assert result["result"] == "equivalent"
    assert "ABC" in result["method"] and "trusted" in result["scope"]


def test_one_changed_gate_is_not_proven(tmp_path):
    require_system_tools()
    implementation = implement(Config.preset("small"), 100.0)
    folder = tmp_path / "impl"
    for key in ("netlist", "cell_lib", "macro_lib"):
        (folder / FILES[key]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(implementation.path(key), folder / FILES[key])
    netlist = folder / FILES["netlist"]
    # An XOR turned XNOR (same pins): the function of its cone is inverted.
    text, count = re.subn(r"^(\s+)XOR2X1(\s)", r"\1XNOR2X1\2", netlist.read_text(), count=1,
                          flags=re.M)
    assert count == 1
    netlist.write_text(text)
    result = prove(dataclasses.replace(implementation, folder=folder), progress=print)
    assert result["proven"] is False, result
    assert result["result"].startswith("not equivalent")
