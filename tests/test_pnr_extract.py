"""tlcim.pnr.extract: SPEF from qrouter's delays, the post-route Verilog."""

from pnr_helpers import read_test_lef, tiny_netlist

from tlcim.pnr import extract


def test_spef_from_qrouter_delays(tmp_path):
    lef = read_test_lef(tmp_path)
    netlist = tiny_netlist()
    rc = "n 1 u1/Y 2 ( 3.5 0.001 ( 1.5 0.0005 sub_m0/d[0] ) , ( 2 0.0002 u9/A ) )\n"
    spef = extract.spef_text(rc, netlist, lef, {"u1": "INV", "sub_m0": "BLK", "u9": "INV"})
    assert "*C_UNIT 1 PF" in spef and "*D_NET n 0.0017" in spef
    assert "*I u1:Y O" in spef and "*I sub_m0:d[0] I" in spef and "*I u9:A I" in spef
    assert "1 u1:Y n:1 3.5" in spef and "2 n:1 n:2 1.5" in spef and "3 n:2 sub_m0:d[0] 0" in spef


def test_verilog_groups_macro_buses_and_constants(tmp_path):
    lef = read_test_lef(tmp_path)
    netlist = tiny_netlist()
    text = extract.verilog_text(netlist, [(c.name, c.cell, c.pins)
                                          for c in netlist.instances()], lef)
    assert "  INV tie1_0_buf (.A(1'b1), .Y(tie1_0));" in text
    assert "  BLK sub_m0 (.d({tie1_0, n}), .q(y));" in text
    assert "  wire n;" in text and "  output y;" in text


def test_spef_keeps_a_branch_that_reaches_no_pin(tmp_path):
    # qrouter writes ERROR where a branch of a badly routed net ends at no pin.
    lef = read_test_lef(tmp_path)
    netlist = tiny_netlist()
    rc = "n 1 u1/Y 2 ( 3.5 0.001 ( 1.5 0.0005 ERROR ) , ( 2 0.0002 sub_m0/d[0] ) )\n"
    spef = extract.spef_text(rc, netlist, lef, {"u1": "INV", "sub_m0": "BLK"})
    assert "ERROR" not in spef and "*I sub_m0:d[0] I" in spef and "*D_NET n 0.0017" in spef


def test_spef_of_a_net_nested_thousands_deep(tmp_path):
    # qrouter nests each wire of a long route inside the one before: 5,000 deep here (the
    # reduced configuration's longest net went past Python's recursion limit).
    lef = read_test_lef(tmp_path)
    netlist = tiny_netlist()
    depth = 5000
    rc = "n 1 u1/Y 2 " + "( 1 0.001 " * depth + "u9/A" + " )" * depth + "\n"
    spef = extract.spef_text(rc, netlist, lef, {"u1": "INV", "u9": "INV"})
    assert f"*D_NET n {depth * 0.001:.6g}" in spef and "*I u9:A I" in spef
    assert f"{depth} n:{depth - 1} n:{depth} 1" in spef
    assert f"{depth + 1} n:{depth} u9:A 0" in spef
