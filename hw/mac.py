"""From ADC codes to per-CBL sums: partial MACs, the adder tree across subarrays, and the
Horner accumulation over compute blocks and input trits (SPEC 5).

The powers of three of SPEC 5, ``3**(t + k)``, are split in two: the accumulator applies
``3**t`` by Horner's rule (input trits arrive most significant first; ``3 * acc`` is one shift
and one add), and the output stage applies ``3**k`` when it combines the ``w_trits`` CBLs of a
result the same way. So no general multiplier is needed and every width is exact.
"""

from amaranth.hdl import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden import Config
from .sequencer import Mode, StepSignature
from .stub import balanced_sum, index_shape, pick

__all__ = ["partial_mac_shape", "cbl_sum_shape", "PartialMac", "Accumulator"]


def _signed_for(bound):
    # Signed shape holding every integer in -bound .. bound.
    return signed(max(1, bound).bit_length() + 1)


def _check(config):
    if not isinstance(config, Config):
        raise TypeError(f"config must be a golden.Config, not {config!r}")


def partial_mac_shape(config):
    """Shape of one ADC's partial MAC summed over subarrays: ``|p| <= subarrays*active_rows``."""
    return _signed_for(config.subarrays * config.active_rows)


def cbl_sum_shape(config):
    """Shape of one CBL's accumulated sum over blocks, trits and subarrays:
    ``|sum| <= subarrays * rows * x_max``."""
    return _signed_for(config.subarrays * config.rows * config.x_max)


class PartialMac(wiring.Component):
    """ADC codes to partial MACs ``p = active_rows - code * adc_lsb``, summed over subarrays.

    Codes above ``2 * active_rows // adc_lsb`` cannot come from a discharge (SPEC 5 bounds D by
    ``2 * active_rows``); they are clamped to it, so even a misbehaving macro cannot push a sum
    beyond the widths derived from the configuration.

    Parameters
    ----------
    config : Config

    Members
    -------
    codes : In(ArrayLayout(ArrayLayout(unsigned(adc_code_bits), adcs), subarrays))
    p : Out(ArrayLayout(partial_mac_shape(config), adcs))
        ``sum_s (active_rows - code[s][j] * adc_lsb)`` for every ADC ``j`` (combinational).
    """

    #: Cycles from ``codes`` to ``p`` (combinational).
    latency = 0

    def __init__(self, config):
        _check(config)
        self.config = config
        codes = data.ArrayLayout(unsigned(config.adc_code_bits), config.adcs)
        super().__init__({
            "codes": In(data.ArrayLayout(codes, config.subarrays)),
            "p": Out(data.ArrayLayout(partial_mac_shape(config), config.adcs)),
        })

    def elaborate(self, platform):
        config = self.config
        A, lsb = config.active_rows, config.adc_lsb
        limit = min(config.adc_max_code, 2 * A // lsb)
        shift = lsb.bit_length() - 1
        m = Module()
        for j in range(config.adcs):
            terms = []
            for s in range(config.subarrays):
                code = self.codes[s][j]
                if limit < 2 ** len(code) - 1:
                    code = Mux(code > limit, limit, code)
                terms.append(A - (code << shift))
            m.d.comb += self.p[j].eq(balanced_sum(terms))
        return m


class Accumulator(wiring.Component):
    """Per-CBL accumulators: Horner over input trits, sums over compute blocks.

    ADC ``j`` at mux position ``mux`` serves CBL ``j * adc_share + mux``; its accumulator is
    updated on every valid step as ``step.mode`` says (:class:`~hw.sequencer.Mode`). On a
    ``final`` step the updated values are the CBL results of the MVM: they appear on ``result``
    in the same cycle (combinationally) with ``result_valid``, while the accumulators already
    start the next MVM at the following step.

    Parameters
    ----------
    config : Config

    Members
    -------
    step : In(StepSignature)
        The sequencer's step, delayed to meet ``p``.
    p : In(ArrayLayout(partial_mac_shape(config), adcs))
    result_valid : Out(1)
    result_mux : Out(index_shape(adc_share))
    result_end : Out(1)
        The last group of CBLs of the MVM.
    result : Out(ArrayLayout(cbl_sum_shape(config), adcs))
        ``sum_t 3**t sum_b p[b, t]`` of CBL ``j * adc_share + result_mux``.
    """

    #: Cycles from ``step``/``p`` to ``result`` (combinational; the state is registered).
    latency = 0

    def __init__(self, config):
        _check(config)
        self.config = config
        super().__init__({
            "step": In(StepSignature(config)),
            "p": In(data.ArrayLayout(partial_mac_shape(config), config.adcs)),
            "result_valid": Out(1),
            "result_mux": Out(index_shape(config.adc_share)),
            "result_end": Out(1),
            "result": Out(data.ArrayLayout(cbl_sum_shape(config), config.adcs)),
        })

    def elaborate(self, platform):
        config = self.config
        shape = cbl_sum_shape(config)
        step = self.step
        m = Module()
        m.d.comb += [
            self.result_valid.eq(step.valid & step.final),
            self.result_mux.eq(step.mux),
            self.result_end.eq(step.end),
        ]
        for j in range(config.adcs):
            accs = [Signal(shape, name=f"acc_{j}_{k}") for k in range(config.adc_share)]
            acc = pick(accs, step.mux)
            old = Signal(shape, name=f"old_{j}")
            new = Signal(shape, name=f"new_{j}")
            m.d.comb += old.eq(acc)
            with m.Switch(step.mode):
                with m.Case(Mode.LOAD):
                    m.d.comb += new.eq(self.p[j])
                with m.Case(Mode.SCALE):
                    m.d.comb += new.eq((old << 1) + old + self.p[j])
                with m.Default():
                    m.d.comb += new.eq(old + self.p[j])
            with m.If(step.valid):
                m.d.sync += acc.eq(new)
            m.d.comb += self.result[j].eq(new)
        return m
