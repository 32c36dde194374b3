"""The compute datapath: weight loading, activations in, MVMs over all subarrays, results out.

This is the block the top level wraps with registers and bus adapters; its ports are exactly
:class:`tlcim.hw.interfaces.DatapathSignature`.
"""

from amaranth.hdl import Array, Cat, Module, Mux, Signal
from amaranth.lib import wiring

from tlcim.golden import Config
from tlcim.golden.errors import ErrorCode
from .encoder import ActivationBuffer, TernaryEncoder
from .geometry import Geometry, WEIGHT_BEAT_BITS
from .interfaces import DatapathSignature, ERROR_SHAPE, index_shape
from .mac import Accumulator, PartialMac
from .output import CONTROL_LAYOUT, OutputStage
from .sequencer import Sequencer, StepSignature
from .nvm import NvmSystem
from .stub import SubarrayBlackBox, SubarrayStub

__all__ = ["Datapath"]


class Datapath(wiring.Component):
    """Compute datapath of the macro (SPEC 5 and 7), bit-exact with ``tlcim.golden.device_mvm``.

    Streams (beat packings in :mod:`tlcim.hw.interfaces`):

    - ``w``: one packet of ``rows * row_beats`` beats loads one subarray (``dest``). Its first
      beat makes the subarray invalid; the right number of beats ending with ``last`` makes it
      valid. A wrong length is ``BAD_LENGTH`` (the subarray stays invalid; a missing ``last``
      drops beats up to the next ``last``); ``dest >= subarrays`` is ``BAD_SET`` (the packet
      is dropped, nothing changes). Weight beats wait while an MVM is in flight (a vector
      being received, waiting or computed); a pending weight packet goes before a new vector.
    - ``x``: one vector of ``in_beats`` beats. If a subarray is invalid when it starts, it is
      dropped up to its ``last`` with ``WEIGHTS_INVALID``; a wrong length is ``BAD_LENGTH``
      (dropped, no result). Each valid vector gives one result vector.
    - ``y``: ``out_beats`` beats per result vector, ``last`` on the final one; results are
      summed over subarrays and, when ``ctrl.requant`` was set as the MVM started,
      requantised (``tlcim.golden.requantise``).

    Non-volatile weights (``docs/nvm.md``): the subarrays are those of a
    :class:`tlcim.hw.nvm.NvmSystem` (the store/restore controller and each stub with its weight
    sets). Which subarrays are valid is the controller's: a weight packet's first beat makes
    its subarray invalid and a complete packet valid again (``load_begin``/``load_end``); a
    restore makes them valid. New vectors and new weight packets wait while the controller
    is ``busy`` (a command waiting or running; the boot restore after reset); a command starts
    only when no vector or packet is in flight. ``nvm`` carries the commands and reports
    (:class:`tlcim.hw.interfaces.NvmControlSignature`); the controller's refusals and verify
    failures come out as ``status.error``.

    Pipeline: encoder and activation buffer (double-buffered, so the next vector arrives while
    one computes), sequencer, one :class:`~tlcim.hw.stub.SubarrayStub` per subarray, partial MACs
    summed over subarrays, per-output Horner accumulators (:mod:`tlcim.hw.mac`), result slots and
    output stage. The ADCs convert every cycle of back-to-back MVMs: ``conversions_per_mvm``
    cycles per MVM.

    Parameters
    ----------
    config : Config
    blackbox : bool
        Instantiate :class:`~tlcim.hw.reram_array.NvmSubarrayBlackBox` (``tlcim_subarray``, the
        analog macro with its weight sets) instead of the behavioural stub.
    storage : "memory", "verilog" or "dpi"
        Weight-set storage of the behavioural stub (:class:`tlcim.hw.reram_array.ReramArray`):
        ``"verilog"`` (the ``tlcim_wsram`` module of ``hw/verilog``) for generated Verilog,
        ``"memory"`` for the Amaranth simulator; ``"dpi"``: the whole behavioural subarray
        as the C++ model :class:`tlcim.hw.reram_array.NvmSubarrayModel` (fast Verilator
        simulation, :mod:`tlcim.sim.model`).
    fault_port : bool
        Emulation only: give the stubs' fault maps the write port of ``nvm.fault_*`` (the
        simulation builds of ``tlcim.hw.generate.simulation_sources``); not part of a real macro.
    """

    def __init__(self, config, *, blackbox=False, storage="memory", fault_port=False):
        if not isinstance(config, Config):
            raise TypeError(f"config must be a golden.Config, not {config!r}")
        if blackbox and fault_port:
            raise ValueError("fault_port needs the behavioural stub, not blackbox")
        self.config = config
        self.geometry = Geometry(config)
        self.blackbox = bool(blackbox)
        self.storage = storage
        self.fault_port = bool(fault_port)
        super().__init__(DatapathSignature(config))

    @property
    def result_slots(self):
        """Result slots of the output stage: enough that back-to-back MVMs never wait for
        one while ``y`` is ready (a slot is held from the MVM's first final step until its
        last beat leaves, ``adc_share + stub latency + accumulator latency + out_beats``
        cycles)."""
        config = self.config
        held = (config.adc_share + SubarrayStub.compute_latency + Accumulator.latency
                + self.geometry.out_beats)
        return max(1, -(-held // config.conversions_per_mvm))

    @property
    def latency(self):
        """Cycles from the handshake of a vector's last beat to the first beat of its result
        on ``y``, when the datapath was idle and ``y`` is ready: the vector is registered
        complete (1), the sequencer starts (``Sequencer.latency``) and issues
        ``conversions_per_mvm`` steps, the last one meets its ADC codes
        (``compute_latency``), passes the accumulator (``Accumulator.latency``), lands in its
        result slot (1) and leaves through the output stage (``OutputStage.latency``)."""
        stub = SubarrayBlackBox if self.blackbox else SubarrayStub
        return (1 + Sequencer.latency + self.config.conversions_per_mvm - 1
                + stub.compute_latency + Accumulator.latency + 1 + OutputStage.latency)

    def elaborate(self, platform):
        config, geometry = self.config, self.geometry
        S = config.subarrays
        m = Module()

        m.submodules.encoder = encoder = TernaryEncoder(config, geometry.in_lanes)
        m.submodules.activations = activations = ActivationBuffer(config)
        m.submodules.sequencer = sequencer = Sequencer(config)
        m.submodules.partial_mac = partial_mac = PartialMac(config)
        m.submodules.accumulator = accumulator = Accumulator(config)
        m.submodules.output = output = OutputStage(config, self.result_slots)
        subarray_class = SubarrayBlackBox if self.blackbox else SubarrayStub
        m.submodules.nvm = nvm = NvmSystem(config, storage=self.storage,
                                           blackbox=self.blackbox,
                                           fault_port=self.fault_port)
        if self.fault_port:
            # Emulation only: the host rewrites one fault-map row of one subarray.
            for s in range(S):
                m.d.comb += [nvm.fault_addr[s].eq(self.nvm.fault_row),
                             nvm.fault_data[s].eq(self.nvm.fault_data),
                             nvm.fault_we[s].eq(self.nvm.fault_we &
                                                (self.nvm.fault_subarray == s))]
        subarrays = [nvm.subarray[s] for s in range(S)]
        valid = nvm.valid              # subarray s holds a complete weight matrix
        load_begin, load_end = Signal(S), Signal(S)
        m.d.comb += [nvm.load_begin.eq(load_begin), nvm.load_end.eq(load_end)]
        wiring.connect(m, wiring.flipped(self.nvm.cmd), nvm.cmd)
        m.d.comb += [nvm.timing.eq(self.nvm.timing),
                     nvm.allow_unverified.eq(self.nvm.allow_unverified)]
        for name in ("busy", "done", "unverified", "set_known", "sets", "error_subarray",
                     "error_row"):
            m.d.comb += getattr(self.nvm, name).eq(getattr(nvm, name))
        error = Signal()
        error_code = Signal(ERROR_SHAPE)
        raise_error = Signal()
        raise_code = Signal(ERROR_SHAPE)
        m.d.sync += [error.eq(raise_error), error_code.eq(raise_code)]

        # -- activation vectors ----------------------------------------------------------------
        x = self.x
        x_active = Signal()            # inside a vector (after its first beat)
        x_drop = Signal()              # dropping the rest of a refused vector
        x_beat = Signal(index_shape(geometry.in_beats))
        fill_full = Signal()           # a complete vector waits in the fill buffer
        w_active = Signal()
        mvm_in_flight = x_active | fill_full | sequencer.busy
        can_fill = ~fill_full | sequencer.start_ack
        # A vector starts only between weight packets; a waiting packet goes first. Neither
        # starts while a store/restore waits or runs.
        x_may_start = ~w_active & ~(self.w.valid & ~mvm_in_flight) & can_fill & ~nvm.busy
        m.d.comb += x.ready.eq(Mux(x_active, x_drop | can_fill, x_may_start))

        lanes = geometry.in_lanes
        tail = geometry.vector_length - (geometry.in_beats - 1) * lanes
        m.d.comb += [
            encoder.values.eq(x.payload.data),
            activations.wr_trits.eq(encoder.trits),
        ]
        accept_x = x.valid & x.ready
        all_valid = valid == (1 << S) - 1
        index = Mux(x_active, x_beat, 0)
        at_end = index == geometry.in_beats - 1
        storing = Signal()
        m.d.comb += [
            storing.eq(accept_x & ~(x_active & x_drop) & (x_active | all_valid)),
            activations.wr_en.eq(storing),
            activations.wr_index.eq(index),
            # Padding lanes of the last beat are not inputs: they never count as saturated.
            encoder.mask.eq(Mux(at_end, (1 << tail) - 1, (1 << lanes) - 1)),
        ]
        with m.If(sequencer.start_ack):
            m.d.sync += fill_full.eq(0)
        with m.If(accept_x):
            with m.If(~x_active & ~all_valid):
                m.d.comb += [raise_error.eq(1), raise_code.eq(ErrorCode.WEIGHTS_INVALID)]
                m.d.sync += [x_active.eq(~x.payload.last), x_drop.eq(1)]
            with m.Elif(x_active & x_drop):
                m.d.sync += x_active.eq(~x.payload.last)
            with m.Elif(x.payload.last & at_end):
                m.d.sync += [fill_full.eq(1), x_active.eq(0)]
            with m.Elif(x.payload.last | at_end):
                # Early `last`, or no `last` where it belongs (then drop up to the next one).
                m.d.comb += [raise_error.eq(1), raise_code.eq(ErrorCode.BAD_LENGTH)]
                m.d.sync += [x_active.eq(~x.payload.last), x_drop.eq(1)]
            with m.Else():
                m.d.sync += [x_active.eq(1), x_drop.eq(0), x_beat.eq(index + 1)]
        m.d.comb += self.status.saturated.eq(Mux(storing, encoder.count, 0))

        # -- weight packets --------------------------------------------------------------------
        w = self.w
        w_drop = Signal()
        w_dest = Signal.like(w.payload.dest)
        w_row = Signal(index_shape(config.rows))
        w_part = Signal(index_shape(geometry.row_beats))
        staged = [Signal(WEIGHT_BEAT_BITS, name=f"staged{i}")
                  for i in range(geometry.row_beats - 1)]
        m.d.comb += [w.ready.eq(~mvm_in_flight & (w_active | ~nvm.busy)),
                     nvm.dp_idle.eq(~mvm_in_flight & ~w_active)]
        accept_w = w.valid & w.ready
        dest = Mux(w_active, w_dest, w.payload.dest)
        last_part = w_part == geometry.row_beats - 1
        last_row = w_row == config.rows - 1
        row_data = Cat(*staged, w.payload.data)[:geometry.row_bits]
        write_row = Signal()
        read_rows = Array(subarray.row_rdata for subarray in subarrays)
        m.d.comb += self.nvm.read_data.eq(read_rows[self.nvm.read_subarray])
        for s, subarray in enumerate(subarrays):
            m.d.comb += [
                # The host's SRAM readback row unless a weight row is being written (the
                # row port is the datapath's only while no store/restore runs).
                subarray.row_addr.eq(Mux(write_row, w_row, self.nvm.read_row)),
                subarray.row_wdata.eq(row_data),
                subarray.row_we.eq(write_row & (dest == s)),
            ]
        with m.If(accept_w):
            with m.If(~w_active & (w.payload.dest >= S)):
                m.d.comb += [raise_error.eq(1), raise_code.eq(ErrorCode.BAD_SET)]
                m.d.sync += [w_active.eq(~w.payload.last), w_drop.eq(1)]
            with m.Elif(w_active & w_drop):
                m.d.sync += w_active.eq(~w.payload.last)
            with m.Else():
                # Invalid from the first beat on; valid again at a complete packet's end (the
                # controller lets load_end win over load_begin in the same cycle).
                m.d.comb += load_begin.eq(1 << dest if S > 1 else 1)
                m.d.sync += [w_active.eq(1), w_drop.eq(0), w_dest.eq(dest)]
                m.d.sync += w_part.eq(w_part + 1)
                with m.Switch(w_part):
                    for i in range(geometry.row_beats - 1):
                        with m.Case(i):
                            m.d.sync += staged[i].eq(w.payload.data)
                with m.If(last_part):
                    m.d.comb += write_row.eq(1)
                    m.d.sync += [w_part.eq(0), w_row.eq(w_row + 1)]
                end = last_part & last_row
                with m.If(w.payload.last | end):
                    m.d.sync += [w_active.eq(~w.payload.last), w_drop.eq(~w.payload.last),
                                 w_part.eq(0), w_row.eq(0)]
                    with m.If(w.payload.last & end):
                        m.d.comb += load_end.eq(1 << dest if S > 1 else 1)
                    with m.Else():
                        m.d.comb += [raise_error.eq(1), raise_code.eq(ErrorCode.BAD_LENGTH)]

        # -- MVMs ------------------------------------------------------------------------------
        # The control settings as sampled when the current MVM started.
        mvm_ctrl = Signal(CONTROL_LAYOUT)
        fields = CONTROL_LAYOUT.members
        m.d.comb += [
            sequencer.start.eq(fill_full),
            activations.swap.eq(sequencer.start_ack),
            activations.next_block.eq(sequencer.next_block),
            activations.trit.eq(sequencer.step.trit),
            sequencer.final_ok.eq(output.can_alloc),
            output.alloc.eq(sequencer.alloc),
            *[getattr(output.alloc_ctrl, name).eq(getattr(mvm_ctrl, name)) for name in fields],
        ]
        with m.If(sequencer.start_ack):
            m.d.sync += [getattr(mvm_ctrl, name).eq(getattr(self.ctrl, name))
                         for name in fields]

        for s, subarray in enumerate(subarrays):
            m.d.comb += [
                subarray.block.eq(sequencer.step.block),
                subarray.mux.eq(sequencer.step.mux),
                subarray.wl1.eq(activations.wl1[s]),
                subarray.wl2.eq(activations.wl2[s]),
                partial_mac.codes[s].eq(subarray.codes),
            ]

        # The step meets its ADC codes `compute_latency` cycles later.
        step = sequencer.step
        for stage in range(subarray_class.compute_latency):
            delayed = StepSignature(config).flip().create(path=(f"step_d{stage + 1}",))
            m.d.sync += _connect_step(delayed, step)
            step = delayed
        m.d.comb += _connect_step(accumulator.step, step)
        m.d.comb += [
            accumulator.p.eq(partial_mac.p),
            output.wr_valid.eq(accumulator.result_valid),
            output.wr_mux.eq(accumulator.result_mux),
            output.wr_end.eq(accumulator.result_end),
            output.wr_data.eq(accumulator.result),
        ]
        wiring.connect(m, wiring.flipped(self.y), output.y)

        m.d.comb += [
            self.status.valid.eq(valid),
            self.status.busy.eq(mvm_in_flight | w_active | output.busy | nvm.busy),
            self.status.mvm_done.eq(output.done),
            # The controller's errors come while the datapath is idle; it wins a tie.
            self.status.error.eq(error | nvm.error),
            self.status.error_code.eq(Mux(nvm.error, nvm.error_code, error_code)),
        ]
        return m


def _connect_step(target, source):
    # Statements copying every member of a StepSignature interface.
    return [getattr(target, name).eq(getattr(source, name))
            for name in source.signature.members]
