"""Amaranth hardware of TL-nvSRAM-CIM, generated from a :class:`golden.Config`."""
