"""Payloads and signatures shared by the datapath, the top level and the testbenches.

Streams follow ``amaranth.lib.stream``; payloads are ``lib.data`` struct layouts, so
testbenches pack and unpack beats with the same layout objects the hardware uses.
"""

from amaranth.hdl import unsigned
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out

from tlcim.golden.arith import REQUANT_MULTIPLIER_BITS, REQUANT_SHIFT_BITS
from tlcim.golden.checksum import spare_cells
from tlcim.golden.errors import ErrorCode
from .geometry import Geometry, WEIGHT_BEAT_BITS

__all__ = ["ERROR_SHAPE", "index_shape", "activation_layout", "weight_layout", "result_layout",
           "ConfigSignature", "ControlSignature", "StatusSignature", "DatapathSignature",
           "NVM_PHASES", "MINIMUM_CYCLES", "DEFAULT_TIMING", "copy_latency", "nvm_row_bits",
           "NvmPinsSignature", "NvmRowSignature",
           "NvmOp", "command_layout", "timing_layout", "readback_words", "fault_words_count",
           "NvmControlSignature"]

#: Shape of an error code on status signals and in the ``ERROR`` register.
ERROR_SHAPE = unsigned(4)
assert max(ErrorCode) < 2 ** ERROR_SHAPE.width


def activation_layout(geometry):
    """Beat of the activation stream: ``in_lanes`` signed ``in_bits`` values, lane 0 at the
    least significant bits, value ``i`` of a vector in beat ``i // in_lanes``; ``last`` marks
    the final beat of a vector (``in_beats`` beats, the last padded with zeros)."""
    return data.StructLayout({"data": unsigned(geometry.in_lanes * geometry.in_bits),
                              "last": 1})


def weight_layout(geometry):
    """Beat of the weight-load stream: 32 bits of SRAM row data, least significant first.

    A packet loads one whole subarray: ``rows * row_beats`` beats, row ``r`` in beats
    ``r * row_beats ..``, its ``2 * cbls`` bits packed from bit 0 (CBL c at [2c] = Q1,
    [2c + 1] = Q2; the last beat of a row padded with zeros). ``dest`` names the subarray and
    must stay the same through the packet; ``last`` marks its final beat.
    """
    return data.StructLayout({"data": unsigned(WEIGHT_BEAT_BITS),
                              "dest": unsigned(max(1, (geometry.config.subarrays - 1)
                                                   .bit_length())),
                              "last": 1})


def result_layout(geometry):
    """Beat of the result stream: ``out_lanes`` signed ``out_bits`` results, lane 0 at the
    least significant bits; ``last`` marks the final beat of a result vector."""
    return data.StructLayout({"data": unsigned(geometry.out_lanes * geometry.out_bits),
                              "last": 1})


class ConfigSignature(wiring.Signature):
    """Base of the signatures that one :class:`tlcim.golden.Config` determines: two are equal when
    they are of the same class and were built from equal configurations.

    Parameters
    ----------
    config : Config
    members : dict
        The members, as for :class:`amaranth.lib.wiring.Signature`.
    """

    def __init__(self, config, members):
        self._config = config
        super().__init__(members)

    @property
    def config(self):
        """The configuration this signature was built from."""
        return self._config

    def __eq__(self, other):
        return type(other) is type(self) and other.config == self.config

    def __repr__(self):
        return f"{type(self).__name__}({self.config!r})"


class ControlSignature(wiring.Signature):
    """Settings the registers give the datapath; sampled when an MVM starts.

    Members
    -------
    requant : In(1)
        Replace each result by ``clip(relu?((y * multiplier + round) >> shift))`` to the input
        range (``tlcim.golden.requantise``).
    relu : In(1)
    multiplier : In(REQUANT_MULTIPLIER_BITS)
    shift : In(REQUANT_SHIFT_BITS)
    """

    def __init__(self):
        super().__init__({"requant": Out(1), "relu": Out(1),
                          "multiplier": Out(REQUANT_MULTIPLIER_BITS),
                          "shift": Out(REQUANT_SHIFT_BITS)})

    def __eq__(self, other):
        return type(other) is type(self)

    def __repr__(self):
        return f"{type(self).__name__}()"


class StatusSignature(ConfigSignature):
    """What the datapath reports to the registers.

    Members
    -------
    valid : Out(subarrays)
        Bit ``s``: subarray ``s`` holds a complete, valid weight matrix.
    busy : Out(1)
        An MVM or a weight load is in progress.
    mvm_done : Out(1)
        Strobe: one result vector was completed.
    saturated : Out(range(in_lanes + 1))
        Input values that saturated in the encoder this cycle.
    error : Out(1)
        Strobe: an operation was refused or dropped; ``error_code`` says why.
    error_code : Out(ERROR_SHAPE)
    """

    def __init__(self, config):
        geometry = Geometry(config)
        super().__init__(config, {
            "valid": Out(config.subarrays),
            "busy": Out(1),
            "mvm_done": Out(1),
            "saturated": Out(range(geometry.in_lanes + 1)),
            "error": Out(1),
            "error_code": Out(ERROR_SHAPE),
        })


class DatapathSignature(ConfigSignature):
    """Ports of :class:`tlcim.hw.datapath.Datapath` (as seen from the datapath).

    Members
    -------
    x : In(stream.Signature(activation_layout))
    w : In(stream.Signature(weight_layout))
    y : Out(stream.Signature(result_layout))
    ctrl : In(ControlSignature)
    status : Out(StatusSignature)
    nvm : Out(NvmControlSignature)
        Store/restore commands, phase lengths and policy in; controller status out.
    """

    def __init__(self, config):
        geometry = Geometry(config)
        super().__init__(config, {
            "x": In(stream.Signature(activation_layout(geometry))),
            "w": In(stream.Signature(weight_layout(geometry))),
            "y": Out(stream.Signature(result_layout(geometry))),
            "ctrl": In(ControlSignature()),
            "status": Out(StatusSignature(config)),
            "nvm": Out(NvmControlSignature(config)),
        })


# -- non-volatile weights ----------------------------------------------------------------------

#: The phase pins of :class:`NvmPinsSignature`, in their legal order: a restore is the first
#: five in order, a store the last two; exactly one is high while a phase lasts.
NVM_PHASES = ("precharge", "restore_left", "latch_left", "restore_right", "latch_right",
              "store_reset", "store_set")


#: Shortest legal length of each phase in cycles, part of the macro's pin contract (the
#: behavioural stub checks it). A controller's programmable lengths must never go below these.
MINIMUM_CYCLES = {"precharge": 2, "restore_left": 2, "latch_left": 1, "restore_right": 2,
                  "latch_right": 1, "store_reset": 4, "store_set": 4}
#: Safe reset values of a controller's phase-length registers
#: (``tlcim.hw.regmap.nvm_registers``): twice the minimums.
DEFAULT_TIMING = {name: 2 * cycles for name, cycles in MINIMUM_CYCLES.items()}


def copy_latency(config):
    """Return the cycles from the first idle cycle after a store's or restore's last phase
    until the SRAM (or the weight set) holds its result: ``rows + 2`` for the behavioural stub,
    which copies a row a cycle (the analog macro copies in parallel and needs none)."""
    return config.rows + 2


def index_shape(count):
    """Return the unsigned shape of an index ``0 .. count - 1``, at least one bit wide.

    One bit even for ``count == 1`` keeps every port of the black box a real Verilog port.
    """
    return unsigned(max(1, (count - 1).bit_length()))


def nvm_row_bits(config):
    """Bits of an SRAM row including the checksum spare cells (``tlcim.golden.checksum``):
    ``2 * (cbls + spare_cells(cbls))``; spare cell ``i`` at bits ``[2 (cbls + i)], [.. + 1]``."""
    return 2 * (config.cbls + spare_cells(config.cbls))


class NvmPinsSignature(ConfigSignature):
    """Store/restore pins of one subarray (as seen from the controller).

    Weight set ``k`` is source line ``sl = k % cluster_size`` of cluster
    ``cluster = k // cluster_size`` (SPEC 6). The selects must stay stable from the first
    phase of an operation to its end; the phases follow :data:`NVM_PHASES`.

    Members
    -------
    cluster : Out(range(clusters))
    sl : Out(range(cluster_size))
    precharge, restore_left, latch_left, restore_right, latch_right : Out(1)
        Restore: precharge bitlines and initialise the storage nodes to VDD; discharge and
        latch the left bit (Q1); discharge and latch the right bit (Q2).
    store_reset, store_set : Out(1)
        Store: reset every selected ReRAM to HRS; conditional set from (Q1, Q2).
    """

    def __init__(self, config):
        members = {"cluster": Out(index_shape(config.clusters)),
                   "sl": Out(index_shape(config.cluster_size))}
        members.update({name: Out(1) for name in NVM_PHASES})
        super().__init__(config, members)


class NvmRowSignature(ConfigSignature):
    """A row port of a subarray's SRAM with its spare cells (as seen from the port's user).

    Members
    -------
    row_addr : Out(range(rows))
    row_wdata : Out(nvm_row_bits(config))
    row_we : Out(1)
        Write ``row_wdata`` into row ``row_addr`` at the clock edge.
    row_rdata : In(nvm_row_bits(config))
        Contents of row ``row_addr``, one cycle after the address.
    """

    def __init__(self, config):
        bits = nvm_row_bits(config)
        super().__init__(config, {"row_addr": Out(index_shape(config.rows)),
                                  "row_wdata": Out(bits), "row_we": Out(1),
                                  "row_rdata": In(bits)})


class NvmOp(enum.Enum, shape=1):
    """Operation of a store/restore command (``op`` of :func:`command_layout`)."""
    STORE = 0
    RESTORE = 1


def command_layout():
    """A store/restore command: ``subarray`` (ignored when ``all``) and ``set``.

    The fields are wider than any configuration needs so that out-of-range values written to
    the registers reach the controller, which refuses them (``BAD_SET``).
    """
    return data.StructLayout({"op": NvmOp, "all": 1, "subarray": unsigned(8),
                              "set": unsigned(16)})


def timing_layout(bits=8):
    """Phase lengths in cycles, one ``bits``-wide field per pin of :data:`NVM_PHASES`."""
    return data.StructLayout({name: unsigned(bits) for name in NVM_PHASES})


def readback_words(config):
    """32-bit words of one SRAM row (weight cells, ``2 * cbls`` bits) in ``SRAM_DATA<i>``."""
    return -(-2 * config.cbls // 32)


def fault_words_count(config):
    """32-bit words of one fault-map row (``tlcim.hw.reram_array.fault_words``) in
    ``FAULT_DATA<i>``."""
    return -(-6 * (config.cbls + spare_cells(config.cbls)) // 32)


class NvmControlSignature(ConfigSignature):
    """The store/restore side of the datapath's ports (as seen from the datapath): what the
    registers give the controller and read back from it (:class:`tlcim.hw.nvm.NvmController`
    members of the same names).

    Members
    -------
    cmd : In(stream.Signature(command_layout()))
    timing : In(timing_layout())
    allow_unverified : In(1)
    busy, done : Out(1)
    unverified, set_known : Out(subarrays)
    sets : Out(ArrayLayout(set bits, subarrays))
    error_subarray, error_row : Out
    read_subarray, read_row : In; read_data : Out(2 * cbls)
        SRAM row readback: the weight cells of that row, while the datapath is idle.
    fault_subarray, fault_row, fault_data, fault_we : In
        Emulation only: write a fault-map row (``tlcim.hw.reram_array.fault_words``, zero-extended)
        when the datapath has a fault port; ignored otherwise.
    """

    def __init__(self, config):
        super().__init__(config, {
            "cmd": In(stream.Signature(command_layout())),
            "timing": In(timing_layout()),
            "allow_unverified": In(1),
            "busy": Out(1),
            "done": Out(1),
            "unverified": Out(config.subarrays),
            "set_known": Out(config.subarrays),
            "sets": Out(data.ArrayLayout(index_shape(config.weight_sets), config.subarrays)),
            "error_subarray": Out(index_shape(config.subarrays)),
            "error_row": Out(index_shape(config.rows)),
            # SRAM row readback (valid while the datapath is idle) and the emulation-only
            # fault-map write port (ignored without hw.nvm.NvmSystem fault_port).
            "read_subarray": In(index_shape(config.subarrays)),
            "read_row": In(index_shape(config.rows)),
            "read_data": Out(2 * config.cbls),
            "fault_subarray": In(index_shape(config.subarrays)),
            "fault_row": In(index_shape(config.rows)),
            "fault_data": In(32 * fault_words_count(config)),
            "fault_we": In(1),
        })
