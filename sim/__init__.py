"""Simulation drivers: JSON session scripts and the targets that execute them.

``tlcim.sim.script`` parses session scripts and runs them against a *target* (the golden device
model, the RTL simulation, an FPGA) through one async protocol; see that module.
"""
