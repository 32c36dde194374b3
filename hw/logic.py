"""Small combinational building blocks the components share: balanced trees, a carry-save sum
and a selection that skips the multiplexer when there is nothing to choose from."""

import operator

from amaranth.hdl import Array, Cat, Const, Signal, Value

__all__ = ["balanced_sum", "balanced_or", "carry_save_sum", "pick"]


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


def carry_save_sum(values, width, *, m=None, name="csa"):
    """Return the sum of ``values`` modulo ``2**width``: a tree of carry-save adders (3:2
    compressors on whole vectors: ``a ^ b ^ c`` and the majority shifted left) that brings
    the operands down to two, then one carry-propagate adder. This is the structure of a
    Wallace multiplier: one adder's carry chain instead of one per level of a tree of adders,
    and a structure synthesis keeps (it sees bitwise logic and a single ``+``), so the mapped
    netlist can be proven equivalent to it level by level.

    Parameters
    ----------
    values : iterable of Value-castable
        Operands, zero-extended (unsigned) or sign-extended (signed) to ``width`` bits.
    width : int
    m : Module or None
        With a module, every level's sums and carries are named signals driven in it
        (``<name>_s<level>_<i>``, ``<name>_c<level>_<i>``): cut points for equivalence
        checking and readable timing reports. Without, the same logic as expressions.
    name : str
        Prefix of those signals.
    """
    def extend(value):
        value = Value.cast(value)
        pad = max(0, width - len(value))
        fill = value[-1].replicate(pad) if value.shape().signed and len(value) \
            else Const(0, pad)
        return Cat(value, fill)[:width]

    def named(expression, label):
        if m is None:
            return expression
        signal = Signal(width, name=f"{name}_{label}")
        m.d.comb += signal.eq(expression)
        return signal

    operands = [extend(value) for value in values]
    if not operands:
        return Const(0, width)
    level = 0
    while len(operands) > 2:
        reduced = []
        for group in range(len(operands) // 3):
            a, b, c = operands[3 * group:3 * group + 3]
            majority = (a & b) | (a & c) | (b & c)
            reduced += [named(a ^ b ^ c, f"s{level}_{group}"),
                        named(Cat(Const(0, 1), majority[:width - 1]), f"c{level}_{group}")]
        reduced += operands[len(operands) // 3 * 3:]
        operands = reduced
        level += 1
    return (operands[0] + operands[1])[:width] if len(operands) == 2 else operands[0]


def pick(values, index):
    """Return ``values[index]`` (an ``Array`` element), or the only value when there is one.

    With a single candidate the index is constant; skipping the multiplexer also keeps
    Icarus in SystemVerilog mode from leaving a never-triggered ``always @*`` at X.
    """
    values = list(values)
    return values[0] if len(values) == 1 else Array(values)[index]
