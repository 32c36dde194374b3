# amaranth: UnusedElaboratable=no
"""The equivalence proof of the signed-off netlist to the RTL: proven on small; a generic
netlist or a signed-off netlist with one gate changed is not proven; the flip-flop pairing and
ABC's verdicts read as they should."""

import dataclasses
import re
import shutil

import pytest

from tlcim.golden import Config
from tlcim.signoff import equivalence
from tlcim.signoff.equivalence import _verdict, cut_matched_flops, prove, prove_synthesis
from tlcim.signoff.flow import FILES, implement

from helpers import require_system_tools


def test_small_is_proven_equivalent_to_the_rtl():
    require_system_tools()
    result = prove(implement(Config.preset("small"), 100.0))
    assert result["proven"] is True, result
    assert result["result"] == "equivalent"
    assert result["synthesis"]["proven"] and result["mapping"]["proven"], result
    # Nearly every register pairs by name; the rest (constant or merged by synth) are few.
    assert result["synthesis"]["paired"] > 3800, result["synthesis"]
    assert len(result["synthesis"]["gold_only"]) + len(result["synthesis"]["gate_only"]) < 20
    assert "ABC" in result["method"] and "trusted" in result["scope"]


def _changed(text, pattern, replacement):
    changed, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
    assert count == 1
    return changed


def test_one_changed_gate_in_the_generic_netlist_is_not_proven(tmp_path):
    require_system_tools()
    mapping = implement(Config.preset("small"), 100.0).mapping
    # An AND turned OR in the output stage (requantiser and FIFO): synth "got it wrong".
    text = mapping.generic.read_text()
    start = text.index("module \\tlcim_top.datapath.output\n")
    generic = tmp_path / "generic.il"
    generic.write_text(text[:start] + _changed(text[start:], r"^(\s+cell )\$_AND_ ", r"\1$_OR_ "))
    work = tmp_path / "work"
    work.mkdir()
    result = prove_synthesis(work, mapping.rtl, generic, mapping.folder / "cells.lib",
                             mapping.folder / "macro.lib")
    assert result["proven"] is False, result
    assert result["result"].startswith("not equivalent")


def test_one_changed_gate_in_the_netlist_is_not_proven(tmp_path, monkeypatch):
    require_system_tools()
    implementation = implement(Config.preset("small"), 100.0)
    # The RTL-to-generic step has the same inputs as the proven implementation's: reuse its
    # (cached) proof rather than run ABC on it again (about 50 s).
    synthesis = prove(implementation)["synthesis"]
    monkeypatch.setattr(equivalence, "prove_synthesis", lambda *args: synthesis)
    folder = tmp_path / "impl"
    for key in ("netlist", "cell_lib", "macro_lib"):
        (folder / FILES[key]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(implementation.path(key), folder / FILES[key])
    netlist = folder / FILES["netlist"]
    # An XOR turned XNOR (same pins): the function of its cone is inverted.
    netlist.write_text(_changed(netlist.read_text(), r"^(\s+)XOR2X1(\s)", r"\1XNOR2X1\2"))
    result = prove(dataclasses.replace(implementation, folder=folder), progress=print)
    assert result["proven"] is False, result
    assert result["mapping"]["result"].startswith("not equivalent")
    assert result["synthesis"]["proven"] is True   # the RTL-to-generic step is untouched


def _design(flops, names):
    # A flat yosys JSON design: flip-flops (cell -> (D bit, Q bit)) and net names.
    return {"modules": {"tlcim_top": {
        "ports": {}, "netnames": {name: {"bits": bits} for name, bits in names.items()},
        "cells": {cell: {"type": "$_DFF_P_", "connections": {"C": [1], "D": [d], "Q": [q]}}
                  for cell, (d, q) in flops.items()}}}}


def test_flops_pair_by_a_shared_register_name():
    gold = _design({"a": (2, 3), "b": (4, 5), "c": (6, 7)},
                   {"count": [3, 5], "$private": [7]})
    gate = _design({"ff0": (12, 13), "ff1": (14, 15), "ff2": (16, 17)},
                   {"x.count": [15], "count": [13, 15], "other": [17]})
    report = cut_matched_flops(gold, gate)
    assert report == {"paired": 2, "gold_only": ["c"],
                      "gate_only": ["other[0]"]}
    gold_top, gate_top = gold["modules"]["gold"], gate["modules"]["gate"]
    assert gold_top["cells"].keys() == {"c"} and gate_top["cells"].keys() == {"ff2"}
    # Pair 0 is gold "a" (count[0]) with gate ff0; its state is one shared input.
    assert gold_top["ports"]["ffq0"] == {"direction": "input", "bits": [3]}
    assert gate_top["ports"]["ffq0"] == {"direction": "input", "bits": [13]}
    assert gold_top["ports"]["ffd1"] == {"direction": "output", "bits": [4]}
    assert gate_top["ports"]["ffd1"] == {"direction": "output", "bits": [14]}


def test_abc_verdicts():
    assert _verdict("Networks are equivalent.  Time = 0.6 sec") == (True, "equivalent")
    assert _verdict("Fraiging ...\nUNSATISFIABLE  Time =    14.76 sec\n")[0] is True
    for refuted in ("Networks are NOT EQUIVALENT.  Time = 0.01 sec",
                    'Output 0 of miter "miter" was asserted in frame 0.\n'
                    "Networks are not equivalent.\n"):
        assert _verdict(refuted) == (False, "not equivalent (ABC found a counterexample)")
    assert _verdict("Reached local conflict limit (2000).")[1].startswith("undecided")


def test_flops_on_two_clocks_are_refused():
    gold = _design({"a": (2, 3)}, {"count": [3]})
    gate = _design({"ff0": (12, 13), "ff1": (14, 15)}, {"count": [13]})
    gate["modules"]["tlcim_top"]["cells"]["ff1"]["connections"]["C"] = [9]
    with pytest.raises(RuntimeError, match="generic netlist has flip-flops on 2 clocks"):
        cut_matched_flops(gold, gate)
