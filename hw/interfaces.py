"""Payloads and signatures shared by the datapath, the top level and the testbenches.

Streams follow ``amaranth.lib.stream``; payloads are ``lib.data`` struct layouts, so
testbenches pack and unpack beats with the same layout objects the hardware uses.
"""

from amaranth.hdl import unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from golden.errors import ErrorCode
from .geometry import Geometry, WEIGHT_BEAT_BITS

__all__ = ["ERROR_SHAPE", "activation_layout", "weight_layout", "result_layout",
           "ControlSignature", "StatusSignature", "DatapathSignature"]

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


class ControlSignature(wiring.Signature):
    """Settings the registers give the datapath; sampled when an MVM starts.

    Members
    -------
    requant : In(1)
        Replace each result by ``clip(relu?((y * multiplier + round) >> shift))`` to the input
        range (``golden.requantise``).
    relu : In(1)
    multiplier : In(16)
    shift : In(6)
    """

    def __init__(self):
        super().__init__({"requant": Out(1), "relu": Out(1),
                          "multiplier": Out(16), "shift": Out(6)})


class StatusSignature(wiring.Signature):
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

    def __init__(self, geometry):
        super().__init__({
            "valid": Out(geometry.config.subarrays),
            "busy": Out(1),
            "mvm_done": Out(1),
            "saturated": Out(range(geometry.in_lanes + 1)),
            "error": Out(1),
            "error_code": Out(ERROR_SHAPE),
        })


class DatapathSignature(wiring.Signature):
    """Ports of :class:`hw.datapath.Datapath` (as seen from the datapath).

    Members
    -------
    x : In(stream.Signature(activation_layout))
    w : In(stream.Signature(weight_layout))
    y : Out(stream.Signature(result_layout))
    ctrl : In(ControlSignature)
    status : Out(StatusSignature)
    """

    def __init__(self, geometry):
        if not isinstance(geometry, Geometry):
            raise TypeError(f"geometry must be a Geometry, not {geometry!r}")
        super().__init__({
            "x": In(stream.Signature(activation_layout(geometry))),
            "w": In(stream.Signature(weight_layout(geometry))),
            "y": Out(stream.Signature(result_layout(geometry))),
            "ctrl": In(ControlSignature()),
            "status": Out(StatusSignature(geometry)),
        })
