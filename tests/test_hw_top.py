# amaranth: UnusedElaboratable=no
"""tlcim.hw.top: the Verilog top level; which builds implement the emulation-only fault
registers (its Verilog against the golden model: test_tb_test_top.py)."""

from tlcim.golden import Config


def test_fault_registers_only_with_the_fault_port():
    """Only simulation builds with the stubs' fault port implement the emulation-only FAULT_*
    registers; the FPGA build (default), the black-box top and a datapath without the port
    do not (tlcim.hw.regblock.RegisterBlock ``emulation``)."""
    from tlcim.hw.datapath import Datapath
    from tlcim.hw.top import Top
    config = Config.preset("small")

    def fault_port(**kwargs):
        # Only the constructor is under test: not elaborating is intended (see the pragma).
        return Top(config, **kwargs).fault_port

    assert fault_port(fault_port=True) is True
    assert fault_port(datapath=Datapath(config, fault_port=True)) is True
    assert fault_port() is False
    assert fault_port(blackbox=True) is False
    assert fault_port(datapath=Datapath(config), fault_port=True) is False
