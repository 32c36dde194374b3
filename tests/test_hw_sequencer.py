"""tlcim.hw.sequencer: the sequencer's step order, back-to-back starts and its wait for a
result slot."""

import pytest
from amaranth.sim import Simulator

from tlcim.golden import Config, PRESETS
from tlcim.hw.sequencer import Mode, Sequencer
from helpers import simulate

ODD = Config(rows=32, active_rows=16, cbls=6, x_trits=1, w_trits=1, adc_bits=2, adc_share=1,
             subarrays=1, clusters=1, cluster_size=1)


def expected_steps(config):
    """(trit, block, mux, mode, final, end, next_block) of one MVM, in issue order."""
    B, T, M = config.compute_blocks, config.x_trits, config.adc_share
    steps = []
    for t in reversed(range(T)):
        for b in range(B):
            for mux in reversed(range(M)):  # weight trits most significant first
                mode = Mode.LOAD if (t, b) == (T - 1, 0) else Mode.SCALE if b == 0 else Mode.ADD
                final = t == 0 and b == B - 1
                steps.append((t, b, mux, mode, final, final and mux == 0, mux == 0))
    return steps


@pytest.mark.parametrize("config", [PRESETS["ternary"], PRESETS["ideal"], ODD],
                         ids=["ternary", "ideal", "odd"])
def test_steps_back_to_back_and_holding(config):
    sequencer = Sequencer(config)
    P = config.conversions_per_mvm
    hold_cycles = 3
    log = []

    async def testbench(ctx):
        cycle = 0
        held = 0
        while len([entry for entry in log if entry[0]]) < 3 * P:
            step = sequencer.step
            issued = len([entry for entry in log if entry[0]])
            # Third MVM: withhold the result slot for a few cycles at its first final step.
            first_final = ctx.get(step.final) and ctx.get(step.mux) == config.adc_share - 1
            withhold = first_final and issued >= 2 * P and held < hold_cycles
            held += withhold
            ctx.set(sequencer.final_ok, not withhold)
            ctx.set(sequencer.start, issued < 3 * P - 1)
            log.append((ctx.get(step.valid), ctx.get(sequencer.alloc),
                        ctx.get(sequencer.start_ack), cycle, (
                            ctx.get(step.trit), ctx.get(step.block), ctx.get(step.mux),
                            ctx.get(step.mode), ctx.get(step.final), ctx.get(step.end),
                            ctx.get(sequencer.next_block))))
            await ctx.tick()
            cycle += 1

    sim = Simulator(sequencer)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    simulate(sim)
    issued = [entry for entry in log if entry[0]]
    assert [entry[4] for entry in issued] == expected_steps(config) * 3
    cycles = [entry[3] for entry in issued]
    # Back to back: one step per cycle, except the cycles held for a result slot.
    assert cycles[2 * P - 1] - cycles[0] == 2 * P - 1
    assert cycles[-1] - cycles[2 * P] == P - 1 + hold_cycles
    assert sum(entry[1] for entry in log) == 3  # one slot per MVM
    assert [entry[3] for entry in log if entry[2]][:3] == [0, P, 2 * P]  # start_ack cycles
    assert all(not entry[1] for entry in log if not entry[0])  # no alloc while holding
    # The accumulator's contract: steps are invalid only at the first mux position.
    assert all(entry[4][2] == config.adc_share - 1 for entry in log if not entry[0])
