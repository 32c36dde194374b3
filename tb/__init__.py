"""cocotb testbenches of the generated Verilog (run through ``tests/test_tb_<module>.py``)."""
