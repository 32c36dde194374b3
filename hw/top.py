"""The Verilog top level: the datapath behind AXI4-Lite registers and AXI4-Stream ports.

Ports (flat, so cocotbext-axi's ``from_prefix`` and vendor IP packagers bind them directly):

- ``clk``, ``rst`` (synchronous, active high), from Amaranth's ``sync`` domain;
- ``s_axil_*``: AXI4-Lite subordinate (``awaddr``, ``awvalid``, ``awready``, ``wdata``,
  ``wstrb``, ``wvalid``, ``wready``, ``bresp``, ``bvalid``, ``bready``, ``araddr``,
  ``arvalid``, ``arready``, ``rdata``, ``rresp``, ``rvalid``, ``rready``), 12-bit byte
  addresses, 32-bit data, registers of :func:`tlcim.hw.regmap.register_map`;
- ``s_axis_x_*`` (``tdata``, ``tvalid``, ``tready``, ``tlast``): activation vectors, beats
  packed as :func:`tlcim.hw.interfaces.activation_layout` says;
- ``s_axis_w_*`` (the same plus ``tdest`` = subarray): weight packets,
  :func:`tlcim.hw.interfaces.weight_layout`;
- ``m_axis_y_*`` (``tdata``, ``tvalid``, ``tready``, ``tlast``): result vectors,
  :func:`tlcim.hw.interfaces.result_layout`.
"""

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .axi import (AXI4LiteSignature, AXI4StreamSignature, AXI4LiteSlave, FlatView,
                  connect_stream, flat_members)
from .datapath import Datapath
from .geometry import Geometry, WEIGHT_BEAT_BITS
from .interfaces import (ERROR_SHAPE, NVM_PHASES, DatapathSignature, StatusSignature,
                         fault_words_count, readback_words, weight_layout)
from .regblock import RegisterBlock
from .regmap import register_map

__all__ = ["Top", "StatusMonitor", "bus_signatures", "port_members", "COUNTER_BITS",
           "ERROR_COUNT_BITS"]

#: Width of the cycle, MVM and saturation counters.
COUNTER_BITS = 64
#: Width of the (saturating) error counter.
ERROR_COUNT_BITS = 32


class StatusMonitor(wiring.Component):
    """Sticky last error, error count and the cycle, MVM and saturation counters.

    Members
    -------
    status : In(StatusSignature)
        From the datapath.
    clear : In(1)
        Zero the counters (``CTRL.clear``).
    error_clear : In(1)
        Zero ``error_code`` (a write to ``ERROR``); an error in the same cycle wins.
    error_code : Out(ERROR_SHAPE)
        Code of the last error, held until ``error_clear``.
    error_count : Out(ERROR_COUNT_BITS)
        Errors counted, saturating at its maximum.
    cycles, mvms, saturations : Out(COUNTER_BITS)
        Clock cycles, result vectors and saturated input values counted.
    """

    def __init__(self, geometry):
        super().__init__({
            "status": In(StatusSignature(geometry.config)),
            "clear": In(1), "error_clear": In(1),
            "error_code": Out(ERROR_SHAPE), "error_count": Out(ERROR_COUNT_BITS),
            "cycles": Out(COUNTER_BITS), "mvms": Out(COUNTER_BITS),
            "saturations": Out(COUNTER_BITS),
        })

    def elaborate(self, platform):
        m = Module()
        status = self.status
        with m.If(status.error):
            m.d.sync += self.error_code.eq(status.error_code)
        with m.Elif(self.error_clear):
            m.d.sync += self.error_code.eq(0)
        full = self.error_count == (1 << ERROR_COUNT_BITS) - 1
        # The MVM and saturation events are registered before they are counted: they come
        # from input ports (the result stream's ready, the activations through the
        # encoder's saturation count), and with a 64-bit counter's carry chain behind them
        # those paths missed the clock after routing. Counting a cycle late changes nothing
        # a host can see: a clear drops the pending events, as it drops those of its own
        # cycle.
        mvm_done, saturated = Signal.like(status.mvm_done), Signal.like(status.saturated)
        with m.If(self.clear):
            m.d.sync += [self.error_count.eq(0), self.cycles.eq(0), self.mvms.eq(0),
                         self.saturations.eq(0), mvm_done.eq(0), saturated.eq(0)]
        with m.Else():
            m.d.sync += [
                self.error_count.eq(self.error_count + (status.error & ~full)),
                self.cycles.eq(self.cycles + 1),
                self.mvms.eq(self.mvms + mvm_done),
                self.saturations.eq(self.saturations + saturated),
                mvm_done.eq(status.mvm_done),
                saturated.eq(status.saturated),
            ]
        return m


def bus_signatures(geometry):
    """Return the buses of the top level: ``(prefix, signature as the transmitter sees it,
    whether the top receives it)`` for ``s_axil``, ``s_axis_x``, ``s_axis_w``, ``m_axis_y``."""
    dest_bits = weight_layout(geometry).size - WEIGHT_BEAT_BITS - 1
    return (
        ("s_axil", AXI4LiteSignature(), True),
        ("s_axis_x", AXI4StreamSignature(geometry.in_lanes * geometry.in_bits), True),
        ("s_axis_w", AXI4StreamSignature(WEIGHT_BEAT_BITS, dest_bits=dest_bits), True),
        ("m_axis_y", AXI4StreamSignature(geometry.out_lanes * geometry.out_bits), False),
    )


def port_members(config):
    """Return the (flat) signature members of :class:`Top` for ``config``: its Verilog ports
    but ``clk`` and ``rst``, in port order, without building a top level."""
    members = {}
    for prefix, signature, receives in bus_signatures(Geometry(config)):
        members.update(flat_members(prefix, In(signature) if receives else Out(signature)))
    return members


class Top(wiring.Component):
    """The whole macro with its bus interfaces; see the module docstring for the ports.

    Parameters
    ----------
    config : golden.Config
    blackbox : bool
        Instantiate each subarray as the port-only black box ``tlcim_subarray`` instead of the
        behavioural stub (for a flow that drops the analog macro in).
    datapath : wiring.Component or None
        The compute path, signature ``DatapathSignature(config)``; ``None`` builds
        :class:`tlcim.hw.datapath.Datapath` (tests pass a stand-in here).
    storage : "memory", "verilog" or "dpi"
        Weight-set storage of the behavioural stubs (:class:`tlcim.hw.datapath.Datapath`):
        ``"verilog"`` instantiates ``hw/verilog/tlcim_wsram.v`` (what :mod:`tlcim.hw.generate`
        uses: the ``paper`` storage generates in seconds), ``"memory"`` an Amaranth memory
        (FPGA flows and Python simulation of small configurations), ``"dpi"`` the C++ model
        of the whole subarray (Verilator simulation only, :mod:`tlcim.sim.model`).
    fault_port : bool
        Emulation only: connect the ``FAULT_*`` registers to the behavioural stubs' fault maps
        (:class:`tlcim.hw.datapath.Datapath`). Without it (or with a ``datapath`` whose
        ``fault_port`` attribute is false or missing) those registers read 0, ignore writes and
        generate no hardware (:class:`tlcim.hw.regblock.RegisterBlock` ``emulation``).

    Raises
    ------
    ValueError
        If the hardware cannot be built for ``config`` (the reason is in the message).
    """

    def __init__(self, config, *, blackbox=False, datapath=None, storage="memory",
                 fault_port=False):
        self._config = config
        self._geometry = geometry = Geometry(config)
        self._regmap = register_map(config)
        if datapath is None:
            # Built when elaborated, so a top that is never elaborated leaves no stray one.
            self._datapath = None
            self._datapath_args = ({"blackbox": True} if blackbox else
                                   {"storage": storage, "fault_port": bool(fault_port)})
        elif datapath.signature != DatapathSignature(config):
            raise TypeError(f"datapath must have signature DatapathSignature(config), "
                            f"not {datapath.signature!r}")
        else:
            self._datapath = datapath
        # The emulation-only registers get hardware only if the datapath has the fault port.
        self._emulation = bool(getattr(datapath, "fault_port", False)) if datapath is not None \
            else bool(fault_port) and not blackbox
        self._buses = bus_signatures(geometry)
        super().__init__(port_members(config))

    @property
    def config(self):
        return self._config

    @property
    def geometry(self):
        return self._geometry

    @property
    def regmap(self):
        """The :class:`tlcim.hw.registers.RegisterMap` of this top level."""
        return self._regmap

    @property
    def fault_port(self):
        """Whether the emulation-only ``FAULT_*`` registers are implemented (the datapath has
        the behavioural stubs' fault port); otherwise they read 0 and cost nothing."""
        return self._emulation

    def elaborate(self, platform):
        m = Module()
        datapath = self._datapath or Datapath(self._config, **self._datapath_args)
        m.submodules.datapath = datapath
        m.submodules.axil = axil = AXI4LiteSlave()
        m.submodules.regs = regs = RegisterBlock(self._regmap, emulation=self._emulation)
        m.submodules.monitor = monitor = StatusMonitor(self._geometry)

        views = {prefix: FlatView(self, prefix, signature)
                 for prefix, signature, _ in self._buses}
        wiring.connect(m, views["s_axil"], axil.axil)
        wiring.connect(m, axil.bus, regs.bus)
        connect_stream(m, datapath.x, views["s_axis_x"], to_axis=False)
        connect_stream(m, datapath.w, views["s_axis_w"], to_axis=False)
        connect_stream(m, datapath.y, views["m_axis_y"], to_axis=True)

        wiring.connect(m, datapath.status, monitor.status)
        m.d.comb += [
            datapath.ctrl.requant.eq(regs.ctrl_requant),
            datapath.ctrl.relu.eq(regs.ctrl_relu),
            datapath.ctrl.multiplier.eq(regs.req_mult_value),
            datapath.ctrl.shift.eq(regs.req_shift_value),
            monitor.clear.eq(regs.ctrl_clear),
            monitor.error_clear.eq(regs.error_clear),
            regs.status_busy.eq(datapath.status.busy),
            regs.valid_value.eq(datapath.status.valid),
            regs.error_code.eq(monitor.error_code),
            regs.error_count_value.eq(monitor.error_count),
        ]
        for name in ("cycles", "mvms", "saturations"):
            counter = getattr(monitor, name)
            m.d.comb += [getattr(regs, f"{name}_lo_value").eq(counter[:32]),
                         getattr(regs, f"{name}_hi_value").eq(counter[32:])]
        self._connect_nvm(m, regs, datapath.nvm)
        return m

    def _connect_nvm(self, m, regs, nvm):
        # Store/restore registers (hw.regmap.nvm_registers): NVM_START raises a pending command
        # (NVM_CMD's fields) that stays offered to the controller until it takes it.
        pending = Signal()
        with m.If(regs.nvm_start_start):
            m.d.sync += pending.eq(1)
        with m.Elif(nvm.cmd.ready):
            m.d.sync += pending.eq(0)
        m.d.comb += [
            nvm.cmd.valid.eq(pending),
            nvm.cmd.payload.op.eq(regs.nvm_cmd_op),
            nvm.cmd.payload.all.eq(regs.nvm_cmd_all),
            nvm.cmd.payload.subarray.eq(regs.nvm_cmd_subarray),
            nvm.cmd.payload.set.eq(regs.nvm_cmd_set),
            nvm.allow_unverified.eq(regs.nvm_policy_allow_unverified),
            regs.nvm_status_busy.eq(nvm.busy),
            regs.nvm_unverified_value.eq(nvm.unverified),
            regs.nvm_error_at_row.eq(nvm.error_row),
            regs.nvm_error_at_subarray.eq(nvm.error_subarray),
        ]
        for name in NVM_PHASES:
            m.d.comb += nvm.timing[name].eq(getattr(regs, f"nvm_t_{name}_cycles"))
        for s in range(self._config.subarrays):
            m.d.comb += [getattr(regs, f"nvm_set{s}_set").eq(nvm.sets[s]),
                         getattr(regs, f"nvm_set{s}_known").eq(nvm.set_known[s])]
        # SRAM row readback and the emulation-only fault port (hw.regmap.readback_registers).
        config = self._config
        read_data = Signal(32 * readback_words(config))
        m.d.comb += [nvm.read_subarray.eq(regs.sram_read_subarray),
                     nvm.read_row.eq(regs.sram_read_row), read_data.eq(nvm.read_data)]
        for i in range(readback_words(config)):
            m.d.comb += getattr(regs, f"sram_data{i}_value").eq(read_data[32 * i:32 * i + 32])
        if self._emulation:
            fault_data = [getattr(regs, f"fault_data{i}_value")
                          for i in range(fault_words_count(config))]
            m.d.comb += [nvm.fault_subarray.eq(regs.fault_sel_subarray),
                         nvm.fault_row.eq(regs.fault_sel_row),
                         nvm.fault_data.eq(Cat(*fault_data)),
                         nvm.fault_we.eq(regs.fault_write_write)]

