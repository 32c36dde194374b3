"""cocotb testbenches of the generated Verilog (run through ``tests/test_rtl_*.py``)."""
