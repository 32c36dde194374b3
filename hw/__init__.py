"""Amaranth hardware of TL-nvSRAM-CIM, generated from a :class:`tlcim.golden.Config`."""
