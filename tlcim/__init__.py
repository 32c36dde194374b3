"""tlcim: generator, golden model and flows for TL-nvSRAM-CIM.

The command line lives in :mod:`tlcim.cli`; file helpers shared by every command in
:mod:`tlcim.files`.
"""
