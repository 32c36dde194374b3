"""LVS at netlist level: the routed design's connectivity against the synthesised netlist,
compared by netgen.

Both sides are written as SPICE netlists of black-box cells (:func:`spice_text`): the
synthesised netlist as it went into placement, and the routed DEF as qrouter wrote it
(components and the connections of every net, fill left out). netgen (``netgen-lvs``, with
qflow's osu018 set-up and ``-blackbox``) then matches the two graphs: a cell or net that the
flow lost, added or connected differently is a mismatch. This checks what place and route did
to the netlist; it does not extract wires from shapes (qrouter's failed-net count and the DEF's
unrouted nets say whether every connection has a wire).
"""

import re

__all__ = ["spice_text", "Lvs", "read_result"]


def _lines(words, width=100):
    # SPICE lines of at most ``width`` characters, continued with ``+``.
    lines, line = [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "+ " + word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line]


def spice_text(top, ports, instances, lef, supplies):
    """Return a SPICE netlist of ``instances`` (``[(instance, cell, {pin: net})]``) as
    subcircuit ``top`` with ``ports`` (names); every cell an empty subcircuit (a black box)
    with the signal pins of its LEF macro and the ``supplies`` (names) connected by name."""
    cells = sorted({cell for _, cell, _ in instances})
    lines = ["* black boxes: the cells' signal pins, then the supplies"]
    order = {}
    for cell in cells:
        order[cell] = [pin.name for pin in lef.macros[cell].signal_pins()]
        lines += _lines([".subckt", cell] + order[cell] + list(supplies))
        lines.append(f".ends {cell}")
    lines += _lines([".subckt", top] + list(ports) + list(supplies))
    spare = 0
    for instance, cell, pins in instances:
        nets = []
        for pin in order[cell]:
            if pin not in pins:
                spare += 1  # an open pin: a net of its own
                nets.append(f"open_{spare}")
            else:
                nets.append(pins[pin])
        lines += _lines([f"X{instance}"] + nets + list(supplies) + [cell])
    lines.append(f".ends {top}")
    return "\n".join(lines) + "\n"


class Lvs(dict):
    """netgen's verdict: ``match`` (bool), ``cells`` and ``nets`` (``[layout, reference]``
    counts), ``message`` (netgen's final line)."""


def read_result(comp_out):
    """Return the :class:`Lvs` of netgen's report ``comp_out``."""
    match = bool(re.search(r"Netlists match uniquely", comp_out)) and \
        not re.search(r"Netlists do not match|Top level cell failed pin matching", comp_out)
    final = re.findall(r"^(Netlists .*|Final result:.*)$", comp_out, re.MULTILINE)
    result = Lvs(match=match, message=final[-1] if final else "no result")
    for key, word in (("cells", "devices"), ("nets", "nets")):
        found = re.findall(rf"Circuit 1 contains (\d+) {word},\s+Circuit 2 contains (\d+) {word}",
                           comp_out)
        if found:
            result[key] = [int(found[-1][0]), int(found[-1][1])]
    return result
