"""Small combinational building blocks the components share: balanced trees and a selection
that skips the multiplexer when there is nothing to choose from."""

import operator

from amaranth.hdl import Array, Const, Signal, Value

__all__ = ["balanced_sum", "carry_save_sum", "balanced_or", "pick"]


def _balanced(values, combine, empty):
    # `combine` folded over `values` as a balanced tree (log depth, not a chain).
    values = list(values)
    if not values:
        return empty
    while len(values) > 1:
        values = [combine(values[i], values[i + 1]) if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0]


def balanced_sum(values):
    """Return the sum of ``values`` as a balanced adder tree (log depth, not a chain)."""
    return _balanced(values, operator.add, 0)


def carry_save_sum(m, values, width, *, name="csa"):
    """Return ``sum(values) % 2**width`` (unsigned, ``width`` bits) as an explicit carry-save
    tree: rows of 3:2 compressors (bitwise sum and majority) until two rows are left, then one
    adder. Each row is a signal of ``m`` (``<name>_<level>_<i>``): the majority reads every
    input twice, so rows left as expressions would grow exponentially in the Verilog.

    Synthesis sees bitwise logic and a single two-operand adder, so it keeps this structure
    instead of building its own multi-operand adder; the equivalence proof from the RTL
    (:mod:`tlcim.signoff.equivalence`) depends on that, since no SAT solver proves two
    different adder trees of a multiplier equal.
    """
    rows = [Value.cast(value).as_unsigned()[:width] for value in values]
    level = 0
    while len(rows) > 2:
        done = len(rows) - len(rows) % 3
        compressed = []
        for a, b, c in zip(rows[0:done:3], rows[1:done:3], rows[2:done:3]):
            compressed += [a ^ b ^ c, ((a & b) | (a & c) | (b & c)) << 1]
        rows = [Signal(width, name=f"{name}_{level}_{index}") for index in
                range(len(compressed))] + rows[done:]
        m.d.comb += [row.eq(value[:width]) for row, value in zip(rows, compressed)]
        level += 1
    if len(rows) == 2:
        return (rows[0] + rows[1])[:width]
    return rows[0] if rows else Const(0, width)


def balanced_or(values):
    """Return the bitwise OR of ``values`` as a balanced tree (0 for none): with one-hot
    ``Mux(select, value, 0)`` terms, an AND-OR multiplexer."""
    return _balanced(values, operator.or_, 0)


def pick(values, index):
    """Return ``values[index]`` (an ``Array`` element), or the only value when there is one.

    With a single candidate the index is constant; skipping the multiplexer also keeps
    Icarus in SystemVerilog mode from leaving a never-triggered ``always @*`` at X.
    """
    values = list(values)
    return values[0] if len(values) == 1 else Array(values)[index]
