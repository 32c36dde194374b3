"""Fanout buffering across module boundaries: buffer trees on the flat netlist's large nets.

ABC maps and buffers each Amaranth module on its own (the mapping is hierarchical, so cells
keep their block's name), so it never sees a net that leaves its module: the encoder's
output bits drive every word of the activation buffer (about 100 loads each on ``paper``)
from one small gate, 2 to 4 ns of slow edge each. :func:`buffer_fanout` does on the flat
netlist what qflow's ``blifFanout`` does: every net driven by a cell or an input port with
more than ``max_fanout`` cell inputs is split into groups of at most ``max_fanout`` loads,
each behind one strong buffer (the library's input driver cell), in a tree as deep as needed.
The clock is left alone (ideal until a clock tree is built) and so are constants. Buffers are
named ``<module path>.fanout<n>`` after the driving cell, so they count in its block.
"""

__all__ = ["MAX_FANOUT", "buffer_fanout"]

#: Most cell inputs one net drives after buffering: a BUFX4 of osu018 drives 16 inputs
#: (about 0.16 pF with short wires) in about 0.3 ns.
MAX_FANOUT = 16


def buffer_fanout(netlist, technology, *, max_fanout=MAX_FANOUT, clock="clk",
                  top="tlcim_top"):
    """Buffer every net of more than ``max_fanout`` cell inputs in the yosys JSON
    ``netlist`` (a dict, changed in place); return the number of buffers inserted.

    Parameters
    ----------
    netlist : dict
        A yosys ``write_json`` netlist holding the flat module ``top``; its cells state their
        ``port_directions`` (the library was read with ``read_liberty -lib``).
    technology : tlcim.signoff.library.Technology
        Its ``drive_cell`` is the tree's buffer (with the pins of its ``buffer``: osu018's
        BUFX2 and BUFX4 share them).
    max_fanout : int
    clock : str
        The clock port, left unbuffered.
    """
    module = netlist["modules"][top]
    cells = module["cells"]
    loads, drivers = {}, {}
    for name, cell in cells.items():
        for port, bits in cell["connections"].items():
            for index, bit in enumerate(bits):
                if not isinstance(bit, int):
                    continue   # a constant
                if cell["port_directions"].get(port) == "input":
                    loads.setdefault(bit, []).append((name, port, index))
                else:
                    drivers[bit] = name
    skip = set(module["ports"].get(clock, {}).get("bits", ()))
    used = set(loads) | set(drivers) | {bit for port in module["ports"].values()
                                        for bit in port["bits"] if isinstance(bit, int)}
    next_bit = max(used, default=1) + 1
    count = inserted = 0
    pin_in, pin_out = technology.buffer_input, technology.buffer_output
    for bit in sorted(loads):
        if bit in skip or len(loads[bit]) <= max_fanout:
            continue
        driver = drivers.get(bit, "")
        prefix = driver.rsplit(".", 1)[0] + "." if "." in driver else ""
        pending = loads[bit]
        # One level per pass: groups of max_fanout loads behind a buffer each, until the
        # net itself drives at most max_fanout buffers.
        while len(pending) > max_fanout:
            buffers = []
            for start in range(0, len(pending), max_fanout):
                while f"{prefix}fanout{count}" in cells:
                    count += 1
                name = f"{prefix}fanout{count}"
                count += 1
                inserted += 1
                for cell, port, index in pending[start:start + max_fanout]:
                    cells[cell]["connections"][port][index] = next_bit
                cells[name] = {
                    "hide_name": 0, "type": technology.drive_cell, "parameters": {},
                    "attributes": {}, "port_directions": {pin_in: "input", pin_out: "output"},
                    "connections": {pin_in: [bit], pin_out: [next_bit]}}
                buffers.append((name, pin_in, 0))
                next_bit += 1
            pending = buffers
    return inserted
