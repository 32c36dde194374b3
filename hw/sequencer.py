"""The sequencer: walks one MVM over input trits x compute blocks x ADC mux positions."""

from amaranth.lib import enum

from amaranth.hdl import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from tlcim.golden import Config
from .interfaces import index_shape

__all__ = ["Mode", "StepSignature", "Sequencer"]


class Mode(enum.Enum, shape=2):
    """What the accumulator does with the partial MAC of a step (Horner over input trits)."""

    #: First step of a CBL in an MVM: ``acc = p``.
    LOAD = 0
    #: First compute block of a new (less significant) input trit: ``acc = 3 * acc + p``.
    SCALE = 1
    #: Any other step: ``acc = acc + p``.
    ADD = 2


class StepSignature(wiring.Signature):
    """One conversion step, as the sequencer issues it (seen from the sequencer).

    Members
    -------
    valid : Out(1)
        A conversion of this MVM happens this cycle (low while holding).
    block : Out(index_shape(compute_blocks))
    trit : Out(index_shape(x_trits))
    mux : Out(index_shape(adc_share))
    mode : Out(Mode)
    final : Out(1)
        A step of the last (input trit, compute block) group of the MVM.
    end : Out(1)
        Last step of the MVM (``final`` at mux position 0).
    """

    def __init__(self, config):
        super().__init__({
            "valid": Out(1),
            "block": Out(index_shape(config.compute_blocks)),
            "trit": Out(index_shape(config.x_trits)),
            "mux": Out(index_shape(config.adc_share)),
            "mode": Out(Mode),
            "final": Out(1),
            "end": Out(1),
        })


class Sequencer(wiring.Component):
    """Issue the ``conversions_per_mvm`` steps of every MVM, back to back.

    Order: input trits from the most significant down, then compute blocks, then mux positions
    (innermost) from ``adc_share - 1`` down to 0: every ADC meets its CBLs' weight trits most
    significant first, so the accumulator applies the powers of three of both input and weight
    trits by Horner's rule (:mod:`tlcim.hw.mac`). An MVM starts when ``start`` is high and the
    sequencer is idle or issuing the last step of the previous one (``start_ack`` says so; the
    caller swaps its activation buffers then); its first step is issued the next cycle, so
    back-to-back MVMs have no bubble. While no step is valid, ``step.mux`` is ``adc_share - 1``.

    Before the first ``final`` step of an MVM the sequencer waits for ``final_ok`` (a free
    result slot) and pulses ``alloc`` when it issues that step; steps are otherwise issued every
    cycle.

    Parameters
    ----------
    config : Config

    Members
    -------
    start : In(1)
    start_ack : Out(1)
    final_ok : In(1)
    alloc : Out(1)
    step : Out(StepSignature)
    next_block : Out(1)
        The current compute block is done after this step (the activation buffer rotates).
    busy : Out(1)
        An MVM is being issued.
    """

    #: Cycles from ``start_ack`` to the first step.
    latency = 1

    def __init__(self, config):
        if not isinstance(config, Config):
            raise TypeError(f"config must be a golden.Config, not {config!r}")
        self.config = config
        super().__init__({
            "start": In(1),
            "start_ack": Out(1),
            "final_ok": In(1),
            "alloc": Out(1),
            "step": Out(StepSignature(config)),
            "next_block": Out(1),
            "busy": Out(1),
        })

    def elaborate(self, platform):
        config = self.config
        B, T, M = config.compute_blocks, config.x_trits, config.adc_share
        m = Module()
        running = Signal()
        # Index shapes are at least one bit wide: no zero-width signals in the Verilog.
        block = Signal(index_shape(B))
        trit = Signal(index_shape(T), init=T - 1)
        mux = Signal(index_shape(M), init=M - 1)
        step = self.step

        last_mux, last_block, last_trit = mux == 0, block == B - 1, trit == 0
        final = last_trit & last_block
        first_final = final & (mux == M - 1)
        hold = first_final & ~self.final_ok
        m.d.comb += [
            step.block.eq(block), step.trit.eq(trit), step.mux.eq(mux),
            step.final.eq(final), step.end.eq(final & last_mux),
            step.valid.eq(running & ~hold),
            self.alloc.eq(running & ~hold & first_final),
            self.busy.eq(running),
        ]
        with m.If((block == 0) & (trit == T - 1)):
            m.d.comb += step.mode.eq(Mode.LOAD)
        with m.Elif(block == 0):
            m.d.comb += step.mode.eq(Mode.SCALE)
        with m.Else():
            m.d.comb += step.mode.eq(Mode.ADD)

        advance = step.valid
        m.d.comb += self.next_block.eq(advance & last_mux)
        finishing = advance & final & last_mux
        m.d.comb += self.start_ack.eq(self.start & (~running | finishing))
        with m.If(advance):
            m.d.sync += mux.eq(mux - 1)
            with m.If(last_mux):
                m.d.sync += [mux.eq(M - 1), block.eq(block + 1)]
                with m.If(last_block):
                    m.d.sync += [block.eq(0), trit.eq(trit - 1)]
                    with m.If(last_trit):
                        m.d.sync += trit.eq(T - 1)
        with m.If(finishing):
            m.d.sync += running.eq(0)
        with m.If(self.start_ack):
            m.d.sync += running.eq(1)
        return m
