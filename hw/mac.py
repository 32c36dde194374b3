"""From ADC codes to per-output sums: the adder tree across subarrays, and the Horner
accumulation over weight trits, input trits and compute blocks (SPEC 5).

The powers of three of SPEC 5, ``3**(t + k)``, are applied by Horner's rule twice, so no
general multiplier is needed and every width is exact:

- the sequencer issues the mux positions of an ADC in descending order, so its CBLs arrive
  from the most significant weight trit ``k`` down: a per-ADC *group register* ``g`` forms
  ``sum_k 3**k p`` of one (input trit, compute block) group as ``g = 3 * g + p``;
- once per group, the *piece accumulator* takes ``g``: ``acc = g`` (first group of the MVM),
  ``3 * acc + g`` (first compute block of a less significant input trit) or ``acc + g``.

A *piece* (:func:`adc_pieces`) is the run of one ADC's CBLs that belong to one output. On the
paper's configuration (``adc_share == w_trits``) ADC ``j`` serves exactly output ``j``, so a
piece is a whole output and its accumulator holds the result. An ADC serving several outputs
has one piece per output; an output spanning several ADCs has one piece per ADC, and the
output stage adds the pieces with their weights ``3**k_lo``.
"""

import typing

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from tlcim.golden import Config
from .interfaces import index_shape
from .sequencer import Mode, StepSignature
from .logic import balanced_sum, pick

__all__ = ["Piece", "adc_pieces", "partial_mac_shape", "group_shape", "piece_shape",
           "group_preset", "group_update", "piece_start", "piece_update",
           "split_piece_update", "PartialMac",
           "Accumulator"]


def _signed_for(bound):
    # Signed shape holding every integer in -bound .. bound.
    return signed(max(1, bound).bit_length() + 1)


def _check(config):
    if not isinstance(config, Config):
        raise TypeError(f"config must be a golden.Config, not {config!r}")


class Piece(typing.NamedTuple):
    """The CBLs ``j * adc_share + mux_lo .. j * adc_share + mux_hi`` of one ADC ``j``: weight
    trits ``k_lo .. k_lo + mux_hi - mux_lo`` of ``output``."""

    output: int
    k_lo: int
    mux_lo: int
    mux_hi: int


def adc_pieces(config):
    """Return, for every ADC ``j``, its pieces in ascending mux order (a list of lists of
    :class:`Piece`). CBL ``c = j * adc_share + mux`` is weight trit ``c % w_trits`` of output
    ``c // w_trits`` (SPEC 5); a piece ends at an ADC or an output boundary."""
    M, K = config.adc_share, config.w_trits
    result = []
    for j in range(config.adcs):
        pieces = []
        for mux in range(M):
            output, k = divmod(j * M + mux, K)
            if mux == 0 or k == 0:
                pieces.append(Piece(output, k, mux, mux))
            else:
                pieces[-1] = pieces[-1]._replace(mux_hi=mux)
        result.append(pieces)
    return result


def _piece_length(config):
    return max(p.mux_hi - p.mux_lo + 1 for pieces in adc_pieces(config) for p in pieces)


def partial_mac_shape(config):
    """Shape of one ADC's partial MAC summed over subarrays: ``|p| <= subarrays*active_rows``."""
    return _signed_for(config.subarrays * config.active_rows)


def group_shape(config):
    """Shape of a group register: ``|sum_k 3**k p| <= subarrays * active_rows * (3**L - 1)/2``
    for pieces of at most ``L`` CBLs."""
    return _signed_for(config.subarrays * config.active_rows * (3 ** _piece_length(config) - 1)
                       // 2)


def piece_shape(config):
    """Shape of a piece's sum over blocks, input trits and subarrays:
    ``|sum| <= subarrays * rows * x_max * (3**L - 1) / 2`` (``result_bits`` when pieces are
    whole outputs)."""
    return _signed_for(config.subarrays * config.rows * config.x_max
                       * (3 ** _piece_length(config) - 1) // 2)


class PartialMac(wiring.Component):
    """ADC codes to partial MACs summed over subarrays:
    ``p = subarrays * active_rows - (sum_s code[s]) * adc_lsb``.

    The raw unsigned codes are summed first (the narrowest operands) and the constant is
    subtracted once; ``adc_lsb`` is a power of two, so its product is a shift. Codes above
    ``2 * active_rows // adc_lsb`` cannot come from a discharge (SPEC 5 bounds D by
    ``2 * active_rows``); they are clamped to it, so even a misbehaving macro cannot push a sum
    beyond the widths derived from the configuration.

    Parameters
    ----------
    config : Config

    Members
    -------
    codes : In(ArrayLayout(ArrayLayout(unsigned(adc.code_bits), adcs), subarrays))
    p : Out(ArrayLayout(partial_mac_shape(config), adcs))
        ``sum_s (active_rows - code[s][j] * adc_lsb)`` for every ADC ``j`` (combinational).
    """

    #: Cycles from ``codes`` to ``p`` (combinational).
    latency = 0

    def __init__(self, config):
        _check(config)
        self.config = config
        codes = data.ArrayLayout(unsigned(config.adc.code_bits), config.adcs)
        super().__init__({
            "codes": In(data.ArrayLayout(codes, config.subarrays)),
            "p": Out(data.ArrayLayout(partial_mac_shape(config), config.adcs)),
        })

    def elaborate(self, platform):
        config = self.config
        S, A, lsb = config.subarrays, config.active_rows, config.adc_lsb
        limit = config.adc.reachable_code
        shift = lsb.bit_length() - 1
        total = unsigned((S * limit).bit_length())
        m = Module()
        for j in range(config.adcs):
            codes = []
            for s in range(S):
                code = self.codes[s][j]
                if limit < 2 ** len(code) - 1:
                    code = Mux(code > limit, limit, code)
                codes.append(code)
            codes_sum = Signal(total, name=f"code_sum{j}")
            m.d.comb += [codes_sum.eq(balanced_sum(codes)),
                         self.p[j].eq(S * A - (codes_sum << shift))]
        return m


class Accumulator(wiring.Component):
    """Group registers and piece accumulators: Horner over weight trits, input trits, sums
    over compute blocks (see the module docstring).

    ADC ``j`` at mux position ``mux`` serves CBL ``j * adc_share + mux``; mux positions arrive
    in descending order within a group, as :class:`~tlcim.hw.sequencer.Sequencer` issues them. On
    every step the group register takes ``p`` (first position of a piece) or ``3 * g + p``
    (up to an offset that vanishes at the piece's last position: :func:`group_update`).
    On the cycle after a step that closes a piece (its lowest mux position), the piece's
    accumulator takes ``g`` as the step's ``mode`` says (:class:`~tlcim.hw.sequencer.Mode`); for
    pieces of two or more CBLs the cycle after the piece's first step prepares it, ``3 * acc``
    for SCALE and :func:`piece_start` for LOAD (:func:`split_piece_update`). After a ``final`` step
    that update gives the piece's result: it appears on ``result`` in that cycle
    (combinationally) with ``result_valid``, while the group registers already work on the
    next group.

    Contract: ``step.valid`` is low only before a step at mux position ``adc_share - 1`` (the
    sequencer is idle or holds for a result slot only there), and an invalid step's ``mux``
    is ``adc_share - 1``; the group registers do not hold, they need no enable.

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
        The mux position of the step the result comes from: ``result[j]`` is the sum of the
        piece of ADC ``j`` whose ``mux_lo`` it is (don't care for ADCs without one).
    result_end : Out(1)
        The last results of the MVM.
    result : Out(ArrayLayout(piece_shape(config), adcs))
        ``sum_t 3**t sum_b sum_k 3**(k - k_lo) p[b, t, k]`` over the piece's weight trits.
    """

    #: Cycles from ``step``/``p`` to ``result``: the group register.
    latency = 1

    def __init__(self, config):
        _check(config)
        self.config = config
        super().__init__({
            "step": In(StepSignature(config)),
            "p": In(data.ArrayLayout(partial_mac_shape(config), config.adcs)),
            "result_valid": Out(1),
            "result_mux": Out(index_shape(config.adc_share)),
            "result_end": Out(1),
            "result": Out(data.ArrayLayout(piece_shape(config), config.adcs)),
        })

    def elaborate(self, platform):
        config = self.config
        step = self.step
        m = Module()
        # The step that filled the group registers, one cycle on.
        d_valid, d_final, d_end = Signal(), Signal(), Signal()
        d_mux = Signal.like(step.mux)
        d_mode = Signal(Mode)
        m.d.sync += [d_valid.eq(step.valid), d_final.eq(step.final), d_end.eq(step.end),
                     d_mux.eq(step.mux), d_mode.eq(step.mode)]
        m.d.comb += [
            self.result_valid.eq(d_valid & d_final),
            self.result_mux.eq(d_mux),
            self.result_end.eq(d_end),
        ]
        decoded = {}

        def at(positions, mux):
            # `mux` is one of `positions` (decoders shared between ADCs).
            key = (frozenset(positions), mux.name)
            if key not in decoded:
                if len(key[0]) == config.adc_share:
                    decoded[key] = 1
                else:
                    hit = Signal(name=f"{mux.name}_in_" + "_".join(map(str, sorted(key[0]))))
                    m.d.comb += hit.eq(Cat(*(mux == v for v in sorted(positions))).any())
                    decoded[key] = hit
            return decoded[key]

        scale = d_mode == Mode.SCALE
        load = d_mode == Mode.LOAD
        for j, pieces in enumerate(adc_pieces(config)):
            # No enable: a step is invalid only before mux position adc_share - 1, a first
            # position, and by then the piece accumulator has taken the group value.
            g = Signal(group_shape(config), name=f"g{j}")
            first = at([piece.mux_hi for piece in pieces], step.mux)
            preset = group_preset(config, pieces[-1].mux_hi - pieces[-1].mux_lo + 1)
            for piece in pieces[:-1]:  # the preset of the piece starting here
                length = piece.mux_hi - piece.mux_lo + 1
                preset = Mux(step.mux == piece.mux_hi, group_preset(config, length), preset)
            m.d.sync += g.eq(group_update(g, self.p[j], first, preset))

            split = all(piece.mux_hi > piece.mux_lo for piece in pieces)
            start = piece_start(config) if split else 0
            # The power-on value is the LOAD's: one synchronous reset does both (see `write`).
            accs = [Signal(piece_shape(config), init=start, name=f"acc{j}_{q}")
                    for q in range(len(pieces))]
            owner = [next(q for q, piece in enumerate(pieces) if piece.mux_lo <= mux
                          <= piece.mux_hi) for mux in range(config.adc_share)]
            old = pick([accs[q] for q in owner], d_mux) if len(accs) > 1 else accs[0]
            new = Signal(piece_shape(config), name=f"new{j}")
            closing = d_valid & at([piece.mux_lo for piece in pieces], d_mux)
            if split:
                # The cycle after a piece's first step is free: it takes `3 * old` (SCALE)
                # or restarts the accumulator from `start` (LOAD), so that the close adds `g`.
                opening = d_valid & at([piece.mux_hi for piece in pieces], d_mux)
                m.d.comb += new.eq(split_piece_update(old, g, closing, opening & scale))
                update = 1  # `new` is `old` on the other cycles
                clear = opening & load
            else:
                m.d.comb += new.eq(piece_update(old, g, ~load, scale))
                update, clear = closing, None

            def write(acc):
                m.d.sync += acc.eq(new)
                if clear is not None:
                    # The register's own init value: synthesis merges this into the
                    # synchronous reset it has anyway, no gate per bit (gating `old` took one).
                    with m.If(clear):
                        m.d.sync += acc.eq(start)

            with m.If(update):
                if len(accs) == 1:
                    write(accs[0])
                else:
                    with m.Switch(d_mux):
                        for mux, q in enumerate(owner):
                            with m.Case(mux):
                                write(accs[q])
            m.d.comb += self.result[j].eq(new)
        return m


def group_preset(config, length):
    """Return the constant the group register's Horner sum starts from for a piece of
    ``length`` CBLs (see :func:`group_update`), as an unsigned ``group_shape`` integer."""
    # `length` steps `3 * g + p + bias` from the preset add `bias * (3**length - 1) / 2` and
    # triple the preset `length` times.
    bias = 1 << (partial_mac_shape(config).width - 1)
    return _cancelling_start(bias * (3 ** length - 1) // 2, length,
                             group_shape(config).width)


def group_update(g, p, first, preset):
    """Return the group register's next value (modulo ``2**len(g)``): ``3 * g + p``, starting
    from ``preset`` at the ``first`` position of a piece.

    ``p`` is taken with its sign bit inverted, ``p + 2**(len(p) - 1)`` as an unsigned number,
    so the sum has no sign-extension columns; the bias each step adds is cancelled by starting
    from :func:`group_preset` instead of 0: the stored value carries a known offset that is 0
    exactly after the piece's last position, when the value is used (3 is invertible modulo a
    power of two). The intermediate values are offset, the group value is exact.
    """
    prev = Mux(first, preset, g.as_unsigned())
    return ((prev << 1) + prev + Cat(p[:-1], ~p[-1]))[:len(g)]


def piece_start(config):
    """Return the value a piece accumulator of two or more CBLs starts an MVM from (see
    :func:`split_piece_update`), as a signed ``piece_shape`` integer.

    Every close adds ``g + 2**(len(g) - 1)``. An MVM closes ``compute_blocks`` groups per
    input trit and Horner's rule triples the sum between input trits, so by the last close
    these biases add up to ``2**(len(g) - 1) * compute_blocks * (3**x_trits - 1) / 2`` and
    the start value has been tripled ``x_trits - 1`` times. The start is minus that sum
    divided by ``3**(x_trits - 1)`` modulo ``2**len(acc)`` (3 is invertible modulo a power
    of two), so the accumulator is exact after the MVM's last close.
    """
    width = piece_shape(config).width
    T, B = config.x_trits, config.compute_blocks
    biases = (1 << (group_shape(config).width - 1)) * B * (3 ** T - 1) // 2
    start = _cancelling_start(biases, T - 1, width)
    return start - (start >> (width - 1) << width)  # as a signed integer


def _cancelling_start(biases, triplings, width):
    # The start value x (unsigned, modulo 2**width) with 3**triplings * x + biases == 0: a
    # register that starts from x, is tripled `triplings` times and has `biases` added on the
    # way ends exact. 3 is odd, so it is invertible modulo a power of two.
    return -biases * pow(3, -triplings, 1 << width) % (1 << width)


def piece_update(old, g, keep, scale):
    """Return the next value of the accumulator of a one-CBL piece (updated at every close)
    from ``old`` and the group value ``g``: ``3 * old + g`` when ``scale``, else ``old + g``
    when ``keep`` (low for :attr:`Mode.LOAD <hw.sequencer.Mode.LOAD>`), else ``g``: one
    three-operand sum."""
    return Mux(scale, old << 1, 0) + Mux(keep, old, 0) + g


def split_piece_update(old, g, closing, scaling):
    """Return the next value (modulo ``2**len(old)``) of the accumulator of a piece of two or
    more CBLs, which is free on the cycle after the piece's first step, from ``old`` and the
    group value ``g``.

    ``3 * old`` while ``scaling``, ``old + g`` while ``closing``, ``old`` otherwise, so the
    same two-operand adder does both halves of ``3 * old + g``. ``g`` enters with its sign bit
    inverted, ``g + 2**(len(g) - 1)`` as an unsigned number, so the sum has no sign-extension
    columns. A LOAD is ``start + g``: the caller restarts the register from
    :func:`piece_start` on the free cycle instead of scaling (:class:`Accumulator` does it
    with the register's synchronous reset), so the first operand is never gated, and that
    start cancels the biases of the MVM's closes: intermediate values are offset, the value
    after the last close is exact.
    """
    old = old.as_unsigned()
    return old + Mux(scaling, old << 1, Mux(closing, Cat(g[:-1], ~g[-1]), 0))
