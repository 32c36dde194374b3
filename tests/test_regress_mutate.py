"""``tlcim.regress.mutate``: the mutations of a design, the mutant build's select, and the
proofs that a surviving mutant is equivalent, on a toy ``tlcim_top``."""

import re

import pytest

from tlcim.regress import mutate

#: ``never`` is 0 for every input; ``q`` and ``seen`` are registers, ``seen`` 0 only until
#: ``a`` is first 1.
TOY = {"tlcim_top.v": """
module tlcim_top(input clk, input a, input b, output reg q = 1'b0, output reg seen = 1'b0,
                 output y);
  wire never = (a ^ b) & (a ~^ b);
  assign y = never | b;
  always @(posedge clk) q <= q ^ a;
  always @(posedge clk) seen <= seen | a;
endmodule
"""}


@pytest.fixture(scope="module")
def mutations():
    listed = mutate.mutation_list(TOY, 60)
    assert listed == mutate.mutation_list(TOY, 60)     # the same design, the same list
    return listed


def _find(mutations, pattern):
    return next(m for m in mutations if re.search(pattern, m))


def test_a_mutation_that_never_takes_effect_is_proven_equivalent(mutations):
    # `never` tied to 0: it is 0 anyway.
    tied = _find(mutations, r"-mode const0 .*-port Y .*-wire never ")
    assert mutate.prove_inactive(TOY, tied)
    assert mutate.prove_equivalent(TOY, tied)


@pytest.mark.parametrize("pattern", [
    r"-mode const1 .*-port Y .*-wire never ",      # `never` tied to 1: y follows
    r"-mode inv .*-port Q .*-wire q ",             # the register's output inverted
    r"-mode const1 .*-port CLK ",                  # a clock tied off: never proven
    # 0 in the initial state only: proven if the proof took the initial values.
    r"-mode const0 .*-port Q .*-wire seen ",
])
def test_mutations_that_change_the_design_are_not_proven(mutations, pattern):
    mutation = _find(mutations, pattern)
    assert not mutate.prove_inactive(TOY, mutation)
    assert not mutate.prove_equivalent(TOY, mutation)


def test_the_mutant_build_selects_each_mutation_by_plusarg(mutations):
    chosen = mutations[:3]
    built = mutate.mutant_sources(TOY, chosen)["tlcim_top.v"]
    assert f"reg [{mutate.MUTSEL_BITS - 1}:0] mutsel;" in built
    assert '$value$plusargs("mutant=%d", mutsel)' in built
    assert not re.search(r"\binput\b[^;]*\bmutsel\b", built)
