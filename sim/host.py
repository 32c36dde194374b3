"""The host driver: what software on a processor next to the macro does, over any transport.

:class:`Host` speaks to the generated top level (:mod:`tlcim.hw.top`) through a :class:`Transport`
that moves register accesses and whole stream frames: cocotbext-axi in simulation
(:class:`tlcim.sim.transports.CocotbTransport`), a serial bridge on an FPGA. Register addresses and
fields come from :func:`tlcim.hw.regmap.register_map` by name, never written down here; beats are
packed as :mod:`tlcim.hw.interfaces` documents, from the same :class:`tlcim.hw.geometry.Geometry`.

:class:`Host` also implements the async Target protocol of :mod:`tlcim.sim.script` for the
``write``, ``mvm``, ``status``, ``store``, ``restore`` and ``reset`` operations; ``read`` and
``inject`` raise ``NotImplementedError``.
"""

import abc

import numpy as np

from tlcim.golden import Config, sram_bits_to_weights, weights_to_sram_bits
from tlcim.golden.device import Device, check_write
from tlcim.golden.errors import DeviceError, ErrorCode
from tlcim.hw.geometry import Geometry, WEIGHT_BEAT_BITS
from tlcim.hw.interfaces import NvmOp
from tlcim.hw.registers import Access
from tlcim.hw.regmap import register_map
from tlcim.hw.reram_array import fault_words, sensed_fault_map

__all__ = ["Transport", "Host", "FaultEmulation", "pack_weights", "pack_vectors", "unpack_results"]


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
    (``tlcim.golden.weights_to_sram_bits``), zero-padded (``tlcim.hw.interfaces.weight_layout``).
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


class FaultEmulation:
    """What a host needs to give a simulated device the golden device's faults: a golden
    :class:`~tlcim.golden.device.Device` shadow fed the same operations (it decides what every
    restore senses) and the fault-map rows already programmed (``{subarray: [word per row]}``,
    all zero = fault-free at power-up). Kept across :class:`Host` objects, as the fault maps
    survive a reset.
    """

    def __init__(self, config):
        self.shadow = Device(config)
        self.programmed = {}


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
        #: What the counters must hold (result vectors, saturated input values) after what
        #: this host did since the device's reset or the last ``CTRL.clear``.
        self._expected = {"mvms": 0, "saturations": 0}
        #: ``{address: (name, mask, value)}``: the read-write bits of every register this host
        #: wrote since the device's reset, as written (what the register must read back).
        self._written = {}
        #: :class:`FaultEmulation` when the device has the emulation-only fault port (the
        #: simulation builds): ``inject`` then works; None: ``inject`` is unsupported.
        self.faults = None

    # -- registers ------------------------------------------------------------------------------

    async def read_reg(self, name):
        """Return the value of register ``name``."""
        return await self.transport.read(self.regmap.address(name))

    async def write_reg(self, name, **fields):
        """Write register ``name`` with ``fields`` (field name -> value; others 0)."""
        register = self.regmap[name]
        word = register.encode(**fields)
        await self.transport.write(register.address, word)
        mask = sum(field.mask for field in register.fields if field.access is Access.RW)
        if mask:
            self._written[register.address] = (name, mask, word & mask)

    async def check_written(self):
        """Check that the read-write bits of every register this host wrote since the device's
        reset still read as written (the audit and every reset do).

        Raises
        ------
        RuntimeError
            Naming the first register that disagrees.
        """
        for address, (name, mask, written) in sorted(self._written.items()):
            # Three reads, the last after an idle cycle: whatever a read takes, two of them
            # are an odd number of cycles apart, so a bit that flips on every clock edge
            # shows (reads of equal length alone always met it in the same phase).
            for idle in (0, 0, 1):
                if idle:
                    await self.transport.discard(idle)
                value = await self.transport.read(address) & mask
                if value != written:
                    raise RuntimeError(f"{name} reads {value:#x} in its read-write bits, this "
                                       f"host wrote {written:#x}")

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
        self._expected = dict.fromkeys(self._expected, 0)

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
        """Raise ``RuntimeError`` unless the device's ID, ``VERSION``, ``CFG_*`` and ``GEO_*``
        registers (every constant register) match the configuration this host was made for."""
        ident = await self.read_reg("ID")
        expected = self.regmap["ID"].reset
        if ident != expected:
            raise RuntimeError(f"device ID is {ident:#010x}, expected {expected:#010x}")
        for register in self.regmap:
            if all(field.access is Access.CONST for field in register.fields):
                value = await self.transport.read(register.address)
                if value != register.reset:
                    raise RuntimeError(f"device {register.name} is {value}, this host was made "
                                       f"for {register.reset}")

    async def audit_registers(self):
        """Check the registers against what this host did, then clear the counters.

        Every register is read once; the constant ones must match the configuration
        (:meth:`check_identity`), the read-write bits of those this host wrote must read as
        written, ``MVMS`` must count the result vectors and ``SATURATIONS``
        the input values beyond ``x_max`` of the vectors the device took since its reset or
        the last ``CTRL.clear``, ``CYCLES`` must have advanced; after ``CTRL.clear`` the
        event counters must read zero, and still zero after one and two idle cycles.
        Randomised sessions end with it (``tlcim regress``).

        Raises
        ------
        RuntimeError
            Naming the first register that disagrees.
        """
        await self.check_identity()                       # reads the constant registers
        for register in self.regmap:
            if not all(field.access is Access.CONST for field in register.fields):
                await self.transport.read(register.address)  # no read has side effects
        await self.check_written()
        counts = await self.counters()
        for name, value in self._expected.items():
            if counts[name] != value:
                raise RuntimeError(f"{name.upper()} counts {counts[name]}, expected {value} "
                                   f"after this session")
        if counts["cycles"] == 0:
            raise RuntimeError("CYCLES has not advanced")
        await self.clear_counters()
        # The event counters must read zero after the clear and stay there while the device
        # idles. Register reads take a fixed number of cycles, so reading again after one and
        # then two idle cycles also catches a bit that changes by itself in either phase.
        for idle in (0, 1, 2):
            if idle and await self.transport.discard(idle):
                raise RuntimeError("result vectors arrived while the device was idle")
            cleared = await self.counters()
            left = {name: cleared[name] for name in ("mvms", "saturations", "errors")
                    if cleared[name]}
            if left:
                raise RuntimeError(f"counters not zero {idle} idle cycle(s) after "
                                   f"CTRL.clear: {left}")

    async def program_timing(self, rng):
        """Give every phase-length register ``NVM_T_<phase>`` a random value drawn from
        ``rng`` (numpy generator; any value: the controller raises one below its phase's
        minimum) and check that each reads back as written. Outcomes do not depend on phase
        lengths (SPEC 6: normative outcome, free timing), so a session gives the same results
        with any; randomised sessions use this to exercise them.

        Raises
        ------
        RuntimeError
            If a register does not read back what was written.
        """
        for register in self.regmap:
            if register.name.startswith("NVM_T_"):
                field, = register.fields
                value = int(rng.integers(0, 1 << field.width))
                await self.write_reg(register.name, **{field.name: value})
                read = await self.read_field(register.name, field.name)
                if read != value:
                    raise RuntimeError(f"{register.name} reads {read} after writing {value}")

    async def set_requant(self, requant=None):
        """Set the output stage: ``None`` for raw results, else ``{"multiplier", "shift",
        "relu"}`` as ``tlcim.golden.requantise`` takes them. Skips writes that change nothing."""
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
        weights = check_write(config, weights)
        self._mirror("write", subarray, weights)
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
        # Every vector was taken and computed: the counters count them.
        self._expected["mvms"] += len(inputs)
        self._expected["saturations"] += int(np.count_nonzero(np.abs(inputs) > self.config.x_max))
        return np.stack([unpack_results(self.config, f) for f in frames]).astype(np.int64)

    async def _refusal_detail(self, code, batch):
        if code == ErrorCode.WEIGHTS_INVALID:
            invalid = [s for s, valid in enumerate(await self.valid()) if not valid]
            return f"subarray(s) {invalid} hold no valid weights"
        return f"the device refused vectors of a batch of {batch}"

    async def status(self):
        """Return ``{"valid": [...], "sets": [...]}``: per subarray, whether it holds valid
        weights and the weight set it holds (None after a write or when invalid)."""
        sets = []
        for s in range(self.config.subarrays):
            held = self.regmap[f"NVM_SET{s}"].decode(await self.read_reg(f"NVM_SET{s}"))
            sets.append(held["set"] if held["known"] else None)
        return {"valid": await self.valid(), "sets": sets}

    # -- non-volatile weights (docs/nvm.md) ------------------------------------------------

    def _nvm_targets(self, subarray, set):
        """Return the chosen subarrays, refusing indices as the golden device does (the
        messages are its messages, so results agree entry for entry)."""
        config = self.config
        if not 0 <= set < config.weight_sets:
            raise DeviceError(ErrorCode.BAD_SET, f"set {set} out of range "
                                                 f"0..{config.weight_sets - 1}")
        if subarray == "all":
            return list(range(config.subarrays))
        if not 0 <= subarray < config.subarrays:
            raise DeviceError(ErrorCode.BAD_SET, f"subarray {subarray} out of range "
                                                 f"0..{config.subarrays - 1}")
        return [subarray]

    async def _nvm_wait(self):
        """Poll until the store/restore controller is idle; return the error it reported
        (``ErrorCode``; the caller cleared ``ERROR`` before)."""
        while await self.read_field("NVM_STATUS", "busy"):
            pass
        return await self.error()

    async def _nvm_command(self, op, subarray, set):
        await self.clear_error()
        await self.write_reg("NVM_CMD", op=NvmOp[op].value, all=int(subarray == "all"),
                             subarray=0 if subarray == "all" else subarray, set=set)
        await self.write_reg("NVM_START", start=1)
        return await self._nvm_wait()

    async def _verify_failure(self, chosen):
        where = self.regmap["NVM_ERROR_AT"].decode(await self.read_reg("NVM_ERROR_AT"))
        valid = await self.valid()
        unverified = await self.read_reg("NVM_UNVERIFIED")
        allowed = await self.read_field("NVM_POLICY", "allow_unverified")
        failed = [s for s in chosen if (unverified >> s & 1) or not valid[s]]
        kept = "kept valid by the allow_unverified policy" if allowed else "invalid"
        return DeviceError(ErrorCode.VERIFY_FAILED,
                           f"first mismatch at subarray {where['subarray']}, row "
                           f"{where['row']}; subarray(s) {failed} {kept}")

    async def policy(self, allow_unverified):
        """Set ``NVM_POLICY.allow_unverified``: weights that fail verification stay valid,
        flagged in ``NVM_UNVERIFIED`` (a reset clears it)."""
        await self.write_reg("NVM_POLICY", allow_unverified=int(bool(allow_unverified)))
        if self.faults is not None:
            # The shadow keeps weights the policy keeps: a later store copies them and a
            # restore of that set must sense them (the fault maps follow the shadow).
            self.faults.shadow.allow_unverified = bool(allow_unverified)

    async def store(self, subarray, set):
        """Copy the SRAM of ``subarray`` (or ``"all"``) into weight set ``set``.

        Raises
        ------
        DeviceError
            ``BAD_SET``, ``WEIGHTS_INVALID`` (a chosen subarray's SRAM is not valid).
        """
        chosen = self._nvm_targets(subarray, set)
        self._mirror("store", subarray, set)
        valid = await self.valid()
        code = await self._nvm_command("STORE", subarray, set)
        if code == ErrorCode.WEIGHTS_INVALID:
            invalid = [s for s in chosen if not valid[s]]
            raise DeviceError(code, f"cannot store from invalid SRAM of subarray(s) {invalid}")
        if code:
            raise DeviceError(code)

    async def restore(self, subarray, set):
        """Copy weight set ``set`` into ``subarray`` (or ``"all"``) and verify it.

        Raises
        ------
        DeviceError
            ``BAD_SET``, ``SET_EMPTY``, ``VERIFY_FAILED`` (with the first mismatch).
        """
        chosen = self._nvm_targets(subarray, set)
        await self._program_faults(lambda shadow: shadow.restore(subarray, set), chosen)
        code = await self._nvm_command("RESTORE", subarray, set)
        if code == ErrorCode.SET_EMPTY:
            # The device reports that some chosen subarray read the set as never stored, not
            # which: the golden shadow knows (a marker a fault turned to HRS included);
            # without one, the invalid subarrays are named (a subarray that failed
            # verification in the same restore is among them then).
            if self.faults is not None:
                shadow = self.faults.shadow
                empty = [s for s in chosen
                         if not shadow.is_stored(s, set) or shadow.read_empty(s)]
            else:
                valid = await self.valid()
                empty = [s for s in chosen if not valid[s]]
            raise DeviceError(code, f"set {set} was never stored in subarray(s) {empty}; "
                                    f"their weights are invalid")
        if code == ErrorCode.VERIFY_FAILED:
            raise await self._verify_failure(chosen)
        if code:
            raise DeviceError(code)

    async def reset(self):
        """Power-cycle the device (``rst``) and wait for its automatic boot restore.

        Raises
        ------
        DeviceError
            ``VERIFY_FAILED`` if the boot restore failed verification.
        NotImplementedError
            If the transport cannot reset the device.
        """
        reset = getattr(self.transport, "reset", None)
        if reset is None:
            raise NotImplementedError("this transport cannot reset the device")
        await self.prepare_reset()
        await self.check_written()    # all this host wrote must have held until the reset
        await reset()
        self._requant = None          # the registers are back at their reset values
        self._written = {}
        await self.boot_wait()

    async def boot_wait(self):
        """Wait for the automatic boot restore that follows a reset.

        Raises
        ------
        DeviceError
            ``VERIFY_FAILED`` if it failed verification.
        """
        code = await self._nvm_wait()
        if code == ErrorCode.VERIFY_FAILED:
            # Only subarrays that stored the boot set, and read its marker as stored,
            # restored it; the others are invalid without a failure. The device does not say
            # which, the golden shadow knows; without one, every invalid subarray is named.
            chosen = range(self.config.subarrays)
            if self.faults is not None:
                shadow = self.faults.shadow
                chosen = [s for s in chosen if shadow.is_stored(s, self.config.boot_set)
                          and not shadow.read_empty(s)]
            raise await self._verify_failure(list(chosen))
        if code:
            raise DeviceError(code)

    async def prepare_reset(self):
        """Before a power cycle: give the stubs the misreads of the automatic boot restore
        (with fault emulation; the fault maps survive ``rst``, like the ReRAMs)."""
        await self._program_faults(lambda shadow: shadow.reset(),
                                   range(self.config.subarrays))

    async def read(self, subarray):
        """Return the weights held in ``subarray``'s SRAM, int64 [rows, outs], read row by row
        through ``SRAM_READ``/``SRAM_DATA<i>``.

        Raises
        ------
        DeviceError
            ``BAD_SET`` (subarray out of range), ``WEIGHTS_INVALID`` (it holds no valid weights).
        """
        config = self.config
        if not (isinstance(subarray, (int, np.integer)) and 0 <= subarray < config.subarrays):
            raise DeviceError(ErrorCode.BAD_SET, f"subarray {subarray} out of range "
                                                 f"0..{config.subarrays - 1}")
        if not (await self.valid())[subarray]:
            raise DeviceError(ErrorCode.WEIGHTS_INVALID,
                              f"subarray {subarray} holds no valid weights")
        words = sum(1 for register in self.regmap if register.name.startswith("SRAM_DATA"))
        rows = np.zeros((config.rows, 32 * words), dtype=np.uint8)
        for row in range(config.rows):
            await self.write_reg("SRAM_READ", subarray=int(subarray), row=row)
            for i in range(words):
                word = await self.read_reg(f"SRAM_DATA{i}")
                rows[row, 32 * i:32 * i + 32] = word >> np.arange(32) & 1
        return sram_bits_to_weights(config, rows[:, :2 * config.cbls])

    async def inject(self, fault):
        """Inject a fault (``tlcim.golden.device.check_fault``) into the fault emulation: the golden
        device shadow decides what each later restore senses and the host programs that into
        the stubs' fault maps before the restore.

        Raises
        ------
        NotImplementedError
            Without fault emulation (a device without the fault port).
        """
        if self.faults is None:
            raise NotImplementedError("fault injection needs the simulation's emulation-only "
                                      "fault port (docs/nvm.md)")
        self.faults.shadow.inject(fault)

    def _mirror(self, name, *args):
        # Keep the golden shadow in step (its refusals are the device's, reported by it).
        if self.faults is not None:
            try:
                getattr(self.faults.shadow, name)(*args)
            except DeviceError:
                pass

    async def _program_faults(self, operation, subarrays):
        # Run `operation` on the shadow, then make each subarray it sensed read exactly what
        # the golden model read (hw.reram_array.sensed_fault_map), writing only changed rows.
        if self.faults is None:
            return
        try:
            operation(self.faults.shadow)
        except DeviceError:
            pass
        count = sum(1 for register in self.regmap if register.name.startswith("FAULT_DATA"))
        for s in subarrays:
            sensed = self.faults.shadow.sensed(s)
            if sensed is None:
                continue  # not read by this restore (set empty): its map does not matter
            words = fault_words(self.config, sensed_fault_map(self.config, sensed))
            old = self.faults.programmed.setdefault(s, [0] * self.config.rows)
            for row, word in enumerate(words):
                word = int(word)
                if word == old[row]:
                    continue
                await self.write_reg("FAULT_SEL", subarray=s, row=row)
                for i in range(count):
                    await self.write_reg(f"FAULT_DATA{i}", value=word >> 32 * i & 0xFFFFFFFF)
                await self.write_reg("FAULT_WRITE", write=1)
                old[row] = word

    async def close(self):
        pass
