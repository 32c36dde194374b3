"""Hold fixing: delay buffers in front of the endpoints whose hold check fails.

A flip-flop of the library drives a macro input in about 0.12 ns, less than the macro's hold
time plus the hold uncertainty of the SDC, so those paths fail hold before any clock tree
exists. :func:`insert_hold_buffers` puts a chain of the library's buffer in front of each
failing endpoint pin (the pin alone: its net's other loads keep their timing), in the yosys
JSON netlist; :func:`hold_buffers_needed` sizes the chain from the slack. The flow
(:func:`tlcim.signoff.flow.implement`) repeats STA and fixing until hold is met. Buffers are
named ``<module path>.hold<n>`` after the endpoint's instance, so they count in its block.
"""

import math
import re

__all__ = ["BUFFER_DELAY_NS", "hold_buffers_needed", "insert_hold_buffers"]

#: Hold delay assumed per buffer when sizing a chain: osu018's BUFX2 at a light load is
#: 0.08 to 0.12 ns; the low end, so one round usually suffices (STA checks again anyway).
BUFFER_DELAY_NS = 0.08


def hold_buffers_needed(slack_ns):
    """Return how many buffers make up for a hold slack of ``slack_ns`` (negative)."""
    return max(1, math.ceil(-slack_ns / BUFFER_DELAY_NS))


def _pin(endpoint):
    # "datapath.nvm.subarray0.macro/row_wdata[3]" -> (instance, port, bit)
    instance, pin = endpoint.rsplit("/", 1)
    match = re.match(r"^(.*?)(?:\[(\d+)\])?$", pin)
    return instance, match.group(1), int(match.group(2) or 0)


def insert_hold_buffers(netlist, endpoints, technology, *, top="tlcim_top"):
    """Insert buffer chains in front of ``endpoints`` in the yosys JSON ``netlist`` (a dict,
    changed in place); return the number of buffers inserted.

    Parameters
    ----------
    netlist : dict
        A yosys ``write_json`` netlist holding the flat module ``top``.
    endpoints : dict
        ``{"instance/pin[bit]": buffers}``: the endpoint pins (of cells, not ports) and the
        length of each chain.
    technology : tlcim.signoff.library.Technology
        Its buffer and the buffer's pins.

    Raises
    ------
    ValueError
        If an endpoint names no cell pin of the netlist.
    """
    module = netlist["modules"][top]
    cells = module["cells"]
    used = [bit for cell in cells.values() for bits in cell["connections"].values()
            for bit in bits if isinstance(bit, int)]
    used += [bit for port in module["ports"].values() for bit in port["bits"]
             if isinstance(bit, int)]
    next_bit = max(used, default=1) + 1
    count = 0
    for endpoint, length in sorted(endpoints.items()):
        instance, port, index = _pin(endpoint)
        cell = cells.get(instance)
        if cell is None or port not in cell["connections"] or \
                index >= len(cell["connections"][port]):
            raise ValueError(f"hold fixing: {endpoint} is not a cell pin of the netlist")
        bits = cell["connections"][port]
        prefix = instance.rsplit(".", 1)[0] + "." if "." in instance else ""
        source = bits[index]
        for _ in range(length):
            while f"{prefix}hold{count}" in cells:
                count += 1
            cells[f"{prefix}hold{count}"] = {
                "hide_name": 0, "type": technology.buffer, "parameters": {}, "attributes": {},
                "port_directions": {technology.buffer_input: "input",
                                    technology.buffer_output: "output"},
                "connections": {technology.buffer_input: [source],
                                technology.buffer_output: [next_bit]}}
            source = next_bit
            next_bit += 1
            count += 1
        bits[index] = source
    return count
