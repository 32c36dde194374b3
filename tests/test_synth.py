"""tlcim.synth: the per-block grouping of the periphery, SRAM counted by the bit, and the
``tlcim synth`` command on a tiny configuration."""

import json

import pytest

from tlcim import cli, synth
from tlcim.cost import PAPER_CONSTANTS
from tlcim.golden import Config
from tlcim.yosys import Netlist

#: Tiny configuration with every block present (two subarrays, ADC mux, 5-bit ADC).
TINY = Config(rows=16, cbls=5, clusters=1, cluster_size=1, subarrays=2)


def test_every_block_names_existing_classes():
    classes = synth.block_classes()
    assert sorted(set(classes.values())) == sorted(synth.BLOCKS)
    assert len(classes) == sum(len(paths) for paths in synth.BLOCKS.values())


def test_memories_count_as_sram_by_the_bit():
    netlist = Netlist(generic={}, cells={"NAND2": 10}, ge=10.0, sequential_ge=0.0,
                      transistors=40, blackboxes={},
                      memories=({"name": "ram", "width": 12, "depth": 32, "bits": 384,
                                 "read_ports": 1, "write_ports": 1},))
    assert synth.memory_ge(netlist) == pytest.approx(
        384 * PAPER_CONSTANTS.sram_um2_per_bit / PAPER_CONSTANTS.um2_per_ge)
    numbers = synth.netlist_numbers(netlist)
    assert numbers["ge"] == pytest.approx(netlist.ge + synth.memory_ge(netlist), abs=0.1)
    assert numbers["logic_ge"] == pytest.approx(netlist.ge, abs=0.1)


def test_hierarchy_blocks_of_the_top():
    groups = synth.hierarchy_blocks(synth.periphery_top(TINY))
    for block in ("encoder", "sequencer", "accumulate tree", "shift & add", "output stage",
                  "registers", "interfaces"):
        assert block in groups, block
        assert all(count >= 1 for _, count in groups[block])
    assert "controller" not in groups or groups["controller"]


def test_synth_command_smoke(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY.to_toml())
    out = tmp_path / "area"
    assert cli.main(["synth", "--config", str(config), "--out", str(out)]) in (0, None)
    printed = capsys.readouterr().out
    assert "[1/" in printed and "whole periphery" in printed  # progress while running
    report = json.loads((out / "area.json").read_text())
    assert report["total_ge"] > 0 and report["whole"]["transistors"] > 0
    assert report["total_ge"] == pytest.approx(
        report["logic_ge"] + report["memory_bits"] * PAPER_CONSTANTS.sram_um2_per_bit
        / PAPER_CONSTANTS.um2_per_ge, abs=0.2)
    assert report["assumptions"]["um2_per_ge_28nm"] == PAPER_CONSTANTS.um2_per_ge
    array = TINY.subarrays * TINY.rows * TINY.cbls * PAPER_CONSTANTS.cell_area_um2
    assert report["array_fraction"] == pytest.approx(
        report["total_ge"] * PAPER_CONSTANTS.um2_per_ge / array, rel=1e-3)
    assert report["logic_array_fraction"] == pytest.approx(
        report["logic_ge"] * PAPER_CONSTANTS.um2_per_ge / array, rel=1e-3)
    assert report["logic_array_fraction"] < report["array_fraction"]  # the buffer is SRAM
    blocks = report["blocks"]
    assert blocks["encoder"]["ge"] > 0 and blocks["shift & add"]["ge"] > 0
    listed = sum(entry["ge"] for entry in blocks.values())
    assert report["other_ge"] == pytest.approx(max(0, report["total_ge"] - listed), abs=0.2)
    quality = report["area_quality"]
    for name in ("accumulate tree", "shift & add"):
        assert quality[name]["bound_ge"] <= quality[name]["ge"]  # a lower bound is lower
        assert quality[name]["naive_ge"] > 0
    table = (out / "area.md").read_text()
    assert "| **whole periphery** |" in table and "Area quality" in table
