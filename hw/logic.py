"""Small combinational building blocks the components share: balanced trees and a selection
that skips the multiplexer when there is nothing to choose from."""

import operator

from amaranth.hdl import Array

__all__ = ["balanced_sum", "balanced_or", "pick"]


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
