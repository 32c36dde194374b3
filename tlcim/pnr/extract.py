"""What the routed layout is, for timing and for users: its Verilog netlist and its parasitics.

- :func:`verilog_text`: the post-route netlist, written from the routed DEF (every
  component but fill, every net as routed), macro bus pins as concatenations, the tie buffers'
  supply inputs as constants. What the router connected is what OpenSTA times.
- :func:`spef_text`: the parasitics in SPEF, from the resistance and capacitance trees qrouter
  writes for every routed net (``write_delays``: per wire segment its resistance in ohm and
  capacitance in pF, from the layers' per-square and per-area values in the LEF), with names
  that match the netlist. qflow's own converter (``rc2dly``) is not used: on these designs it
  crashes, writes pF under a fF unit and cuts macro bus pin names short (docs/pnr.md).
"""

import re

__all__ = ["routed_instances", "verilog_text", "spef_text"]

#: What qrouter's ``write_delays`` writes where a branch of a route reaches no pin (a net it
#: could not route cleanly); the wire is kept, the branch ends there.
_NO_NODE = "ERROR"


def _bus(name):
    found = re.fullmatch(r"(.*)\[(\d+)\]", name)
    return (found.group(1), int(found.group(2))) if found else (name, None)


def _pin_directions(lef, cell):
    return {name: pin.direction for name, pin in lef.macros[cell].pins.items()
            if not pin.supply}


def routed_instances(routed, *, skip=("FILL",)):
    """Return ``[(instance, cell, {pin: net})]`` of the routed DEF ``routed``
    (:class:`tlcim.pnr.deffile.Routed`): every component but fill, with its nets as routed."""
    connections = {}
    for net in routed.nets.values():
        for instance, pin in net.connections:
            if instance != "PIN":
                connections.setdefault(instance, {})[pin] = net.name
    return [(instance, cell, connections.get(instance, {}))
            for instance, cell in routed.components.items() if cell not in skip]


def verilog_text(netlist, instances, lef):
    """Return structural Verilog of ``instances`` (``[(instance, cell, {pin: net})]``) under
    ``netlist``'s top module and ports; bus pins of ``lef``'s macros as concatenations, the
    supply nets as constants."""
    supply = {netlist.ground: "1'b0", netlist.power: "1'b1"}
    lines = [f"module {netlist.top} ({', '.join(port.name for port in netlist.ports)});"]
    for port in netlist.ports:
        width = f" [{port.width - 1}:0]" if port.width > 1 else ""
        lines.append(f"  {port.direction}{width} {port.name};")
    port_bits = set(netlist.port_bits())
    wires, body, spare = set(), [], 0
    for instance, cell, pins in instances:
        directions = _pin_directions(lef, cell)
        groups = {}
        for pin in directions:
            base, index = _bus(pin)
            groups.setdefault(base, []).append(index)
        terms = []
        for base, indices in groups.items():
            bits = []
            for index in sorted(indices, key=lambda i: -1 if i is None else i, reverse=True):
                pin = base if index is None else f"{base}[{index}]"
                net = pins.get(pin)
                if net is None and directions[pin] != "OUTPUT":
                    bits = None  # an input left open: leave the whole pin out
                    break
                if net is None:
                    spare += 1
                    net = f"unconnected_{spare}"
                bits.append(supply.get(net, net))
                if net not in port_bits and net not in supply:
                    wires.add(net)
            if bits is None or (len(bits) == 1 and bits[0].startswith("unconnected_")):
                continue
            value = bits[0] if indices == [None] else "{" + ", ".join(bits) + "}"
            terms.append(f".{base}({value})")
        body.append(f"  {cell} {instance} ({', '.join(terms)});")
    lines += [f"  wire {wire};" for wire in sorted(wires)]
    lines += body + ["endmodule", ""]
    return "\n".join(lines)


def _tokens(line):
    return line.replace("(", " ( ").replace(")", " ) ").replace(",", " ").split()


def spef_text(rc_text, netlist, lef, components):
    """Return the SPEF of qrouter's ``write_delays`` output ``rc_text``.

    ``components`` maps instance names to cells (for pin directions); ``netlist`` gives the
    top-level ports and the design name.
    """
    ports = netlist.port_bits()
    directions = {}

    def pin_direction(instance, pin):
        cell = components.get(instance)
        if cell not in directions:
            directions[cell] = _pin_directions(lef, cell) if cell in lef.macros else {}
        return "O" if directions[cell].get(pin) == "OUTPUT" else "I"

    lines = ['*SPEF "IEEE 1481-1998"', f'*DESIGN "{netlist.top}"', '*DATE ""',
             '*VENDOR "tlcim"', '*PROGRAM "tlcim pnr"', '*VERSION "1"',
             '*DESIGN_FLOW "qrouter write_delays"', "*DIVIDER /", "*DELIMITER :",
             "*BUS_DELIMITER []", "*T_UNIT 1 NS", "*C_UNIT 1 PF", "*R_UNIT 1 OHM",
             "*L_UNIT 1 HENRY", "", "*PORTS"]
    lines += [f"{bit} {'I' if direction == 'input' else 'O'}"
              for bit, direction in ports.items()]
    lines.append("")
    for line in rc_text.splitlines():
        words = _tokens(line)
        if len(words) < 4 or words[0] in (netlist.ground, netlist.power):
            continue
        net, driver = words[0], words[2]
        connections, caps, resistors = [], [], []

        def terminal(name, drives):
            instance, pin = name.split("/", 1)
            if instance == "PIN":
                connections.append(f"*P {pin} {'I' if ports.get(pin) == 'input' else 'O'}")
                return pin
            direction = "O" if drives else pin_direction(instance, pin)
            connections.append(f"*I {instance}:{pin} {direction}")
            return f"{instance}:{pin}"

        # After the driver, ``( R C children... )`` groups: each a wire from the enclosing
        # node (the driver at the top) to a new node, its children nested inside. A long net
        # nests thousands deep, so the open groups are a list, not a recursion.
        open_nodes = [terminal(driver, True)]
        position = 4
        while position < len(words) and (words[position] == "(" or len(open_nodes) > 1):
            word = words[position]
            if word == "(":
                node = f"{net}:{len(caps) + 1}"
                caps.append((node, float(words[position + 2])))
                resistors.append((open_nodes[-1], node, float(words[position + 1])))
                open_nodes.append(node)
                position += 3
                continue
            if word == ")":
                open_nodes.pop()
            elif word != _NO_NODE:  # _NO_NODE: a wire end qrouter found no pin at
                resistors.append((open_nodes[-1], terminal(word, False), 0.0))
            position += 1
        total = sum(c for _, c in caps)
        lines += [f"*D_NET {net} {total:.6g}", "*CONN"] + connections + ["*CAP"]
        lines += [f"{i} {node} {c:.6g}" for i, (node, c) in enumerate(caps, 1)]
        lines.append("*RES")
        lines += [f"{i} {a} {b} {r:.6g}" for i, (a, b, r) in enumerate(resistors, 1)]
        lines += ["*END", ""]
    return "\n".join(lines) + "\n"
