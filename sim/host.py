"""The host driver: what software on a processor next to the macro does, over any transport.

:class:`Host` speaks to the generated top level (:mod:`hw.top`) through a :class:`Transport`
that moves register accesses and whole stream frames: cocotbext-axi in simulation
(:class:`sim.rtl.CocotbTransport`), a serial bridge on an FPGA. Register addresses and fields
come from :func:`hw.regmap.register_map` by name, never written down here; beats are packed
as :mod:`hw.interfaces` documents, from the same :class:`hw.geometry.Geometry`.

:class:`Host` also implements the async Target protocol of :mod:`sim.script` for the ``write``,
``mvm`` and ``status`` operations; the others raise ``NotImplementedError`` (later issues).
"""

import abc

import numpy as np

from golden import Config, weights_to_sram_bits
from golden.errors import DeviceError, ErrorCode
from hw.geometry import Geometry, WEIGHT_BEAT_BITS
from hw.regmap import register_map

__all__ = ["Transport", "Host", "pack_weights", "pack_vectors", "unpack_results"]


class Transport(abc.ABC):
    """Moves register accesses and stream frames between the host and the device.

    A frame is the bytes of a whole packet, beats little-endian and least significant first,
    ``last`` on the final beat (the transport derives beats from the stream width).
    """

    @abc.abstractmethod
    async def read(self, address):
        """Return the 32-bit register at byte ``address``; raise ``RuntimeError`` on a bus
        error response."""

    @abc.abstractmethod
    async def write(self, address, value):
        """Write the 32-bit ``value`` to the register at byte ``address``."""

    @abc.abstractmethod
    async def send_weights(self, subarray, frame):
        """Send one weight packet to ``subarray`` and wait until the device has taken it."""

    @abc.abstractmethod
    async def send_vectors(self, frames):
        """Queue activation frames for sending (returns before they are all taken)."""

    @abc.abstractmethod
    async def flush(self):
        """Wait until every queued activation frame has been taken by the device."""

    @abc.abstractmethod
    async def discard(self, cycles):
        """Wait ``cycles`` clock cycles, then drop every result frame received so far and
        return how many there were."""

    @abc.abstractmethod
    async def receive_vectors(self, count, *, timeout_cycles):
        """Return ``count`` result frames, or fewer if none arrives for ``timeout_cycles``
        clock cycles (the device refused some vectors)."""


def pack_weights(config, weights):
    """Return the weight packet (bytes) loading ``weights`` int [rows, outs] into a subarray.

    Row ``r`` occupies ``row_beats`` 32-bit beats, its ``2 * cbls`` SRAM bits from bit 0
    (``golden.weights_to_sram_bits``), zero-padded (``hw.interfaces.weight_layout``).
    """
    geometry = Geometry(config)
    bits = weights_to_sram_bits(config, weights)
    padded = np.zeros((config.rows, geometry.row_beats * WEIGHT_BEAT_BITS), dtype=np.uint8)
    padded[:, :bits.shape[1]] = bits
    return np.packbits(padded, axis=1, bitorder="little").tobytes()


def pack_vectors(config, inputs):
    """Return one activation frame (bytes) per row of ``inputs`` int [batch, rows*subarrays].

    Values are clipped to the signed ``in_bits`` range first: every value beyond it lies
    beyond ``x_max`` too, so the encoder saturates it exactly as it would the original.
    """
    geometry = Geometry(config)
    limit = 1 << (geometry.in_bits - 1)
    x = np.clip(np.asarray(inputs, dtype=np.int64), -limit, limit - 1)
    padded = np.zeros((len(x), geometry.in_beats * geometry.in_lanes), dtype=f"<i{geometry.in_bits // 8}")
    padded[:, :x.shape[1]] = x
    return [row.tobytes() for row in padded]


def unpack_results(config, frame):
    """Return the ``outs`` signed results (int64) of one result frame."""
    geometry = Geometry(config)
    width = geometry.out_bits // 8
    raw = np.frombuffer(frame, dtype=np.uint8)
    if len(raw) != geometry.out_beats * geometry.out_lanes * width:
        raise RuntimeError(f"result frame has {len(raw)} bytes, expected "
                           f"{geometry.out_beats * geometry.out_lanes * width}")
    words = raw.reshape(-1, width)[:config.outs].astype(np.uint64)
    values = (words << (8 * np.arange(width, dtype=np.uint64))).sum(axis=1).astype(np.int64)
    sign = np.int64(1) << (geometry.out_bits - 1)
    return (values ^ sign) - sign


class Host:
    """Drives one device through ``transport``.

    Parameters
    ----------
    config : Config
        The configuration the device was generated for (checked against its ``CFG_*``
        registers by :meth:`check_identity`).
    transport : Transport
    """

    def __init__(self, config, transport):
        if not isinstance(config, Config):
            raise TypeError(f"config must be a golden.Config, not {config!r}")
        self.config = config
        self.geometry = Geometry(config)
        self.regmap = register_map(config)
        self.transport = transport
        self._requant = None

    # -- registers ------------------------------------------------------------------------------

    async def read_reg(self, name):
        """Return the value of register ``name``."""
        return await self.transport.read(self.regmap.address(name))

    async def write_reg(self, name, **fields):
        """Write register ``name`` with ``fields`` (field name -> value; others 0)."""
        await self.transport.write(self.regmap.address(name), self.regmap[name].encode(**fields))

    async def read_field(self, name, field):
        """Return field ``field`` of register ``name``."""
        return self.regmap[name].decode(await self.read_reg(name))[field]

    async def read_counter(self, name):
        """Return a 64-bit counter (``CYCLES``, ``MVMS``, ``SATURATIONS``) read consistently
        from its two halves (HI, LO, HI again until HI is stable)."""
        while True:
            high = await self.read_reg(f"{name}_HI")
            low = await self.read_reg(f"{name}_LO")
            if await self.read_reg(f"{name}_HI") == high:
                return high << 32 | low

    async def counters(self):
        """Return ``{"cycles", "mvms", "saturations", "errors"}`` counted since reset/clear."""
        result = {name.lower(): await self.read_counter(name)
                  for name in ("CYCLES", "MVMS", "SATURATIONS")}
        result["errors"] = await self.read_reg("ERROR_COUNT")
        return result

    async def clear_counters(self):
        """Zero the counters (``CTRL.clear``), keeping the requantisation settings."""
        requant = self._requant or {"multiplier": 1, "shift": 0, "relu": False, "on": False}
        await self.write_reg("CTRL", requant=int(requant["on"]), relu=int(requant["relu"]),
                             clear=1)

    async def error(self):
        """Return the sticky last error code (``ErrorCode``)."""
        return ErrorCode(await self.read_field("ERROR", "code"))

    async def clear_error(self):
        """Clear the sticky error register."""
        await self.write_reg("ERROR")

    async def valid(self):
        """Return the per-subarray valid flags as a list of bools."""
        bits = await self.read_reg("VALID")
        return [bool(bits >> s & 1) for s in range(self.config.subarrays)]

    async def busy(self):
        """Return whether an MVM or a weight load is in progress."""
        return bool(await self.read_field("STATUS", "busy"))

    async def check_identity(self):
        """Raise ``RuntimeError`` unless the device's ID and ``CFG_*`` registers match the
        configuration this host was made for."""
        ident = await self.read_reg("ID")
        expected = self.regmap["ID"].reset
        if ident != expected:
            raise RuntimeError(f"device ID is {ident:#010x}, expected {expected:#010x}")
        for register in self.regmap:
            if register.name.startswith(("CFG_", "GEO_")):
                value = await self.transport.read(register.address)
                if value != register.reset:
                    raise RuntimeError(f"device {register.name} is {value}, this host was made "
                                       f"for {register.reset}")

    async def set_requant(self, requant=None):
        """Set the output stage: ``None`` for raw results, else ``{"multiplier", "shift",
        "relu"}`` as ``golden.requantise`` takes them. Skips writes that change nothing."""
        wanted = ({"on": False, "multiplier": 1, "shift": 0, "relu": False} if requant is None
                  else {"on": True, "multiplier": requant["multiplier"],
                        "shift": requant["shift"], "relu": bool(requant.get("relu", False))})
        if wanted == self._requant:
            return
        await self.write_reg("REQ_MULT", value=wanted["multiplier"])
        await self.write_reg("REQ_SHIFT", value=wanted["shift"])
        await self.write_reg("CTRL", requant=int(wanted["on"]), relu=int(wanted["relu"]))
        self._requant = wanted

    # -- operations (the sim.script Target protocol) -----------------------------------------

    async def write(self, subarray, weights):
        """Load ``weights`` int [rows, outs] into ``subarray``.

        Raises
        ------
        DeviceError
            ``BAD_SET`` for a subarray out of range, ``BAD_WEIGHTS`` for values beyond
            ``w_max`` (nothing sent in either case), or the code the device reports.
        """
        # Refusals the driver makes itself carry the golden device's details word for word,
        # so `tlcim run` results agree between targets.
        config = self.config
        if not (isinstance(subarray, (int, np.integer)) and 0 <= subarray < config.subarrays):
            raise DeviceError(ErrorCode.BAD_SET, f"subarray {subarray} out of range "
                                                 f"0..{config.subarrays - 1}")
        weights = np.asarray(weights)
        if weights.shape != (config.rows, config.outs):
            raise ValueError(f"weights must have shape (rows, outs) = ({config.rows}, "
                             f"{config.outs}), not {weights.shape}")
        bad = np.argwhere(np.abs(weights) > config.w_max)
        if len(bad):
            row, out = bad[0]
            raise DeviceError(ErrorCode.BAD_WEIGHTS,
                              f"{len(bad)} weight(s) outside [-{config.w_max}, {config.w_max}], "
                              f"the first {weights[row, out]} at row {row}, output {out}")
        await self.clear_error()
        await self.transport.send_weights(int(subarray), pack_weights(config, weights))
        code = await self.error()
        if code != ErrorCode.NONE:
            raise DeviceError(code, f"weight load into subarray {subarray} refused")
        if not (await self.valid())[subarray]:
            raise RuntimeError(f"subarray {subarray} is not valid after a complete weight load")

    def timeout_cycles(self, batch):
        """Generous clock-cycle bound for ``batch`` vectors to come back as results (every
        vector taking its conversions, its input and its output beats one after the other,
        plus room for pipeline latency)."""
        g = self.geometry
        per_vector = self.config.conversions_per_mvm + g.in_beats + g.out_beats
        return 2 * batch * per_vector + per_vector + 200

    async def mvm(self, inputs, requant=None):
        """Return the results int64 [batch, outs] of the activation vectors ``inputs``
        int [batch, rows * subarrays] (the whole batch streams in bulk).

        Raises
        ------
        DeviceError
            With the code the device reports when it refuses vectors (e.g.
            ``WEIGHTS_INVALID``); no results are returned then.
        """
        inputs = np.asarray(inputs)
        if inputs.ndim != 2 or inputs.shape[1] != self.geometry.vector_length:
            raise ValueError(f"inputs must have shape (batch, {self.geometry.vector_length}), "
                             f"not {inputs.shape}")
        if not len(inputs):
            return np.zeros((0, self.config.outs), dtype=np.int64)
        await self.set_requant(requant)
        await self.clear_error()
        await self.transport.send_vectors(pack_vectors(self.config, inputs))
        # The device refuses a vector when it starts, so once all are taken the ERROR
        # register tells whether results are coming (results queue up in the meantime).
        await self.transport.flush()
        code = await self.error()
        if code != ErrorCode.NONE:
            # A refused vector gives no result; a result now breaks the device's contract.
            stray = await self.transport.discard(self.timeout_cycles(0))
            if stray:
                raise RuntimeError(f"the device refused vectors ({code.label}) but sent "
                                   f"{stray} result vector(s)")
            raise DeviceError(code, await self._refusal_detail(code, len(inputs)))
        frames = await self.transport.receive_vectors(
            len(inputs), timeout_cycles=self.timeout_cycles(len(inputs)))
        if len(frames) != len(inputs):
            code = await self.error()
            if code != ErrorCode.NONE:
                raise DeviceError(code, f"{len(inputs) - len(frames)} of {len(inputs)} "
                                        f"vectors refused")
            raise RuntimeError(f"{len(frames)} results for {len(inputs)} vectors and no error")
        return np.stack([unpack_results(self.config, f) for f in frames]).astype(np.int64)

    async def _refusal_detail(self, code, batch):
        if code == ErrorCode.WEIGHTS_INVALID:
            invalid = [s for s, valid in enumerate(await self.valid()) if not valid]
            return f"subarray(s) {invalid} hold no valid weights"
        return f"the device refused vectors of a batch of {batch}"

    async def status(self):
        """Return ``{"valid": [...], "sets": [...]}`` (sets are not tracked yet: None)."""
        return {"valid": await self.valid(), "sets": [None] * self.config.subarrays}

    async def _unsupported(self, *args, **kwargs):
        raise NotImplementedError("not supported on rtl yet (store/restore controller: "
                                  "issue 4)")

    store = restore = reset = read = inject = _unsupported

    async def close(self):
        pass
