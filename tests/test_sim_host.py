"""tlcim.sim.host: the host driver; beat packing against the hardware's layouts, and SRAM reads
and faults mirrored into the fault port on ``tlcim run --target rtl`` matching golden."""

import asyncio
import json

import numpy as np
import pytest

from tlcim.golden import Config, sram_bits_to_weights
from tlcim.hw.geometry import Geometry, WEIGHT_BEAT_BITS
from tlcim.hw.interfaces import activation_layout, result_layout, weight_layout
from tlcim.sim.host import Host, Transport, pack_vectors, pack_weights, unpack_results
from sessions import save_inputs, save_weights, write_script


@pytest.mark.parametrize("name", ["small", "ternary", "ideal"])
def test_weight_packet_layout(name, rng):
    config = Config.preset(name)
    geometry = Geometry(config)
    weights = rng.integers(-config.w_max, config.w_max + 1, (config.rows, config.outs))
    packet = pack_weights(config, weights)
    assert len(packet) == config.rows * geometry.row_beats * WEIGHT_BEAT_BITS // 8
    layout = weight_layout(geometry)
    # Each 32-bit word of the frame is the data field of one beat (tdata).
    beats = [layout.from_bits(int.from_bytes(packet[i:i + 4], "little"))
             for i in range(0, len(packet), 4)]
    rows = []
    for r in range(config.rows):
        row = 0
        for k in range(geometry.row_beats):
            row |= beats[r * geometry.row_beats + k].data << (32 * k)
        assert row >> geometry.row_bits == 0  # padding is zero
        rows.append([(row >> b) & 1 for b in range(geometry.row_bits)])
    np.testing.assert_array_equal(sram_bits_to_weights(config, np.array(rows)), weights)


def test_activation_frames(rng):
    config = Config.preset("small")
    geometry = Geometry(config)
    x = rng.integers(-1000, 1000, (3, geometry.vector_length))
    frames = pack_vectors(config, x)
    lane_bytes = geometry.in_bits // 8
    assert [len(f) for f in frames] == [geometry.in_beats * geometry.in_lanes * lane_bytes] * 3
    assert activation_layout(geometry).size == geometry.in_lanes * geometry.in_bits + 1
    values = np.frombuffer(frames[1], dtype=f"<i{lane_bytes}")[:geometry.vector_length]
    limit = 1 << (geometry.in_bits - 1)
    np.testing.assert_array_equal(values, np.clip(x[1], -limit, limit - 1))


@pytest.mark.parametrize("name", ["small", "paper"])
def test_result_frames(name, rng):
    config = Config.preset(name)
    geometry = Geometry(config)
    y = rng.integers(-config.device_bound, config.device_bound + 1, config.outs)
    y[:2] = [-config.device_bound, config.device_bound]
    width = geometry.out_bits // 8
    padded = np.zeros(geometry.out_beats * geometry.out_lanes, dtype=object)
    padded[:config.outs] = y
    frame = b"".join((int(v) % (1 << geometry.out_bits)).to_bytes(width, "little")
                     for v in padded)
    assert result_layout(geometry).size == geometry.out_lanes * geometry.out_bits + 1
    np.testing.assert_array_equal(unpack_results(config, frame), y)
    with pytest.raises(RuntimeError, match="result frame has 1 bytes, expected"):
        unpack_results(config, b"\0")


# -- reads and faults on the rtl target ------------------------------------------------------

OUTPUTS = ("R0.npy", "R1.npy", "R_after.npy", "Y.npy", "Y_var.npy", "R_clear.npy")


def _fault_session(folder, config, rng):
    save_weights(folder, config, rng, "W0", "W1")
    # Whatever the seed, the cell stuck at +1 below (row 3, CBL 5: trit 0 of output 1) holds
    # another trit, so the restore reads it wrong.
    w1 = np.load(folder / "W1.npy")
    w1[3, 1] = 0
    np.save(folder / "W1.npy", w1)
    save_inputs(folder, config, rng, 3)
    ops = [
        {"op": "read", "subarray": 0, "out": "R_invalid.npy"},
        {"op": "write", "subarray": 0, "weights": "W0.npy"},
        {"op": "write", "subarray": 1, "weights": "W1.npy"},
        {"op": "read", "subarray": 0, "out": "R0.npy"},
        {"op": "read", "subarray": 2, "out": "R_bad.npy"},
        {"op": "store", "subarray": "all", "set": 1},
        {"op": "inject", "fault": "stuck", "subarray": 1, "set": 1, "row": 3, "cbl": 5,
         "level": 1},
        {"op": "inject", "fault": "stuck", "subarray": 1, "set": 1, "row": 7, "cbl": 0,
         "level": -1},
        {"op": "restore", "subarray": "all", "set": 1, "comment": "stuck cells fail verify"},
        {"op": "status"},
        {"op": "read", "subarray": 0, "out": "R1.npy"},
        {"op": "inject", "fault": "clear"},
        {"op": "inject", "fault": "misread", "subarray": 0, "row": 9, "cbl": 2},
        {"op": "restore", "subarray": "all", "set": 1, "comment": "one-shot misread"},
        {"op": "restore", "subarray": "all", "set": 1, "comment": "misread gone"},
        {"op": "read", "subarray": 1, "out": "R_after.npy"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y.npy"},
        {"op": "inject", "fault": "misread", "subarray": 1, "row": 0, "cbl": 1},
        {"op": "store", "subarray": 0, "set": 0},
        {"op": "reset", "comment": "boot set 0 restored in subarray 0 only"},
        {"op": "status"},
        {"op": "restore", "subarray": 1, "set": 1},
        {"op": "inject", "fault": "variation", "sigma": 0.35, "seed": 4, "cluster_size": 4},
        {"op": "restore", "subarray": "all", "set": 1, "comment": "variation"},
        {"op": "status"},
        {"op": "mvm", "inputs": "X.npy", "out": "Y_var.npy"},
        {"op": "inject", "fault": "clear"},
        {"op": "restore", "subarray": "all", "set": 1},
        {"op": "read", "subarray": 1, "out": "R_clear.npy"},
    ]
    return write_script(folder, ops)


def test_rtl_faults_and_read_match_golden(tmp_path, rng, against_golden):
    config = Config.preset("small")
    golden, golden_out = against_golden(_fault_session(tmp_path, config, rng))
    errors = [entry["error"] for entry in golden]
    # The script provokes what it means to: refusals, verify failures detected by the checksum.
    assert errors[0] == "weights_invalid" and errors[4] == "bad_set"
    assert errors[8] == "verify_failed" and "subarray 1, row 3" in golden[8]["detail"]
    assert errors[13] == "verify_failed" and "subarray 0, row 9" in golden[13]["detail"]
    assert errors[14] is None and errors[19] is None and golden[20]["valid"] == [True, False]
    assert golden[9]["valid"] == [True, False]
    # The pending misread of subarray 1 survives the reset (no boot set there) until its restore.
    assert errors[21] == "verify_failed" and "subarray 1, row 0" in golden[21]["detail"]
    assert errors[23] == "verify_failed" and errors[25] == "weights_invalid"
    assert errors[27] is None
    assert set(golden_out) == set(OUTPUTS) - {"Y_var.npy"}
    np.testing.assert_array_equal(golden_out["R0.npy"], np.load(tmp_path / "W0.npy"))


def _script(folder, ops):
    """Write session script ``ops`` into ``folder``; return its path."""
    path = folder / "s.json"
    path.write_text(json.dumps(ops))
    return path


def test_set_empty_names_only_empty_subarrays(tmp_path, rng, against_golden):
    """Found by seeds 3 and 9 of `small`: a restore of "all" where one subarray never stored
    the set and another fails verification names only the first (the host named both)."""
    config = Config.preset("small")
    for s in range(config.subarrays):
        np.save(tmp_path / f"W{s}.npy", rng.integers(-config.w_max, config.w_max + 1,
                                                     (config.rows, config.outs)))
    ops = [{"op": "write", "subarray": s, "weights": f"W{s}.npy"} for s in range(2)]
    ops += [{"op": "store", "subarray": 0, "set": 2},
            {"op": "inject", "fault": "misread", "subarray": 0, "row": 3, "cbl": 1},
            {"op": "restore", "subarray": "all", "set": 2}, {"op": "status"}]
    entries, _ = against_golden(_script(tmp_path, ops))
    assert entries[4]["error"] == "set_empty"
    assert entries[4]["detail"] == ("set 2 was never stored in subarray(s) [1]; their weights "
                                    "are invalid")
    assert entries[5]["valid"] == [False, False]


def test_boot_verify_failure_names_only_subarrays_holding_the_boot_set(tmp_path, rng,
                                                                         against_golden):
    """Found by seed 45 of `tlcim regress --config small`: a boot restore that fails
    verification in subarray 0 names subarray 0 alone; subarray 1 never stored the boot set
    and is invalid without a failure (the host named both)."""
    config = Config.preset("small")
    np.save(tmp_path / "W.npy", rng.integers(-config.w_max, config.w_max + 1,
                                             (config.rows, config.outs)))
    ops = [{"op": "inject", "fault": "stuck", "subarray": 0, "set": config.boot_set,
            "row": 57, "cbl": 10, "level": 0},
           {"op": "write", "subarray": 0, "weights": "W.npy"},
           {"op": "store", "subarray": 0, "set": config.boot_set},
           {"op": "reset"}, {"op": "status"}]
    entries, _ = against_golden(_script(tmp_path, ops))
    assert entries[3]["error"] == "verify_failed"
    assert entries[3]["detail"].endswith("subarray(s) [0] invalid")
    assert entries[4]["valid"] == [False, False]


class _RegisterFile(Transport):
    """Registers only: the constants of the map, counters given, writes kept (``CTRL.clear``
    zeroes the counters). ``broken``: ``"clear"`` leaves ERROR_COUNT uncleared, ``"drift"``
    makes its bit 2 flip in every idle cycle, ``"stuck"`` keeps bit 6 of every write at 1,
    ``"toggle"`` flips bit 3 of REQ_MULT on every clock edge after it is written (reads and
    writes take two cycles each, as the bus transactions of the harness take an even
    number)."""

    def __init__(self, config, counters, *, broken=None):
        from tlcim.hw.regmap import register_map
        self.map = register_map(config)
        self.values = {register.address: register.reset for register in self.map}
        self.broken = broken
        self.cycle = self.written_at = 0
        for name, value in counters.items():
            self.values[self.map[f"{name}_LO"].address] = value & 0xFFFFFFFF
            self.values[self.map[f"{name}_HI"].address] = value >> 32

    async def read(self, address):
        self.cycle += 2
        flip = self.broken == "toggle" and address == self.map["REQ_MULT"].address
        return self.values[address] ^ (8 * ((self.cycle - self.written_at) % 2) if flip else 0)

    async def write(self, address, value):
        self.cycle += 2
        self.written_at = self.cycle
        clear, = (field for field in self.map["CTRL"].fields if field.name == "clear")
        self.values[address] = (value | 0x40 if self.broken == "stuck" else value) & ~clear.mask
        if address == self.map["CTRL"].address and value & clear.mask:
            kept = ("ERROR_COUNT",) if self.broken == "clear" else ()
            for name in {"MVMS", "SATURATIONS", "ERROR_COUNT"} - set(kept):
                for half in (("_LO", "_HI") if name != "ERROR_COUNT" else ("",)):
                    self.values[self.map[name + half].address] = 0

    async def discard(self, cycles):
        self.cycle += cycles
        if self.broken == "drift":
            self.values[self.map["ERROR_COUNT"].address] ^= 4 * (cycles % 2)
        return 0

    async def reset(self, cycles=4):
        self.values.update({register.address: register.reset for register in self.map})

    send_weights = send_vectors = flush = receive_vectors = None


@pytest.mark.parametrize("counters, broken, message", [
    ({"CYCLES": 1000, "MVMS": 0, "SATURATIONS": 0}, None, None),
    ({"CYCLES": 1000, "MVMS": 3, "SATURATIONS": 0}, None, "MVMS counts 3, expected 0"),
    ({"CYCLES": 1000, "MVMS": 0, "SATURATIONS": 2 ** 33}, None,
     f"SATURATIONS counts {2 ** 33}, expected 0"),
    ({"CYCLES": 0, "MVMS": 0, "SATURATIONS": 0}, None, "CYCLES has not advanced"),
    ({"CYCLES": 5, "MVMS": 0, "SATURATIONS": 0}, "clear", "not zero 0 idle cycle"),
    # Found by a mutant (ERROR_COUNT's bit 2 inverted on every clock edge): the reads after
    # the clear always came an even number of cycles apart.
    ({"CYCLES": 5, "MVMS": 0, "SATURATIONS": 0}, "drift",
     r"not zero 1 idle cycle\(s\) after CTRL.clear: \{'errors': 4\}"),
    # Found by mutants of the fault-data registers' write logic and outputs.
    ({"CYCLES": 5, "MVMS": 0, "SATURATIONS": 0}, "stuck",
     "REQ_MULT reads 0x1274 in its read-write bits, this host wrote 0x1234"),
    # Found by a mutant (a FAULT_DATA4 output bit inverted, so the register's hold path
    # flipped it on every clock edge): reads of equal length always met it in one phase.
    ({"CYCLES": 5, "MVMS": 0, "SATURATIONS": 0}, "toggle",
     "REQ_MULT reads 0x123c in its read-write bits, this host wrote 0x1234"),
])
def test_register_audit(counters, broken, message):
    config = Config.preset("small")
    transport = _RegisterFile(config, counters, broken=broken)
    transport.values[transport.map["ERROR_COUNT"].address] = 1
    host = Host(config, transport)
    asyncio.run(host.write_reg("REQ_MULT", value=0x1234))
    if message is None:
        asyncio.run(host.audit_registers())
        assert transport.values[transport.map["ERROR_COUNT"].address] == 0
    else:
        with pytest.raises(RuntimeError, match=message):
            asyncio.run(host.audit_registers())
    transport.values[transport.map["VERSION"].address] += 1   # a constant that disagrees
    with pytest.raises(RuntimeError, match="device VERSION is"):
        asyncio.run(host.audit_registers())


def test_policy_keeps_failed_weights_until_a_reset(tmp_path, rng, against_golden):
    """The policy op on golden and rtl: while allow_unverified is on, a restore that fails
    verification keeps the weights (flagged) and MVMs run; a reset turns the policy off, so
    the boot restore of a failing set invalidates."""
    config = Config.preset("small")
    for s in range(config.subarrays):
        np.save(tmp_path / f"W{s}.npy", rng.integers(-config.w_max, config.w_max + 1,
                                                     (config.rows, config.outs)))
    np.save(tmp_path / "X.npy", rng.integers(-config.x_max, config.x_max + 1,
                                             (2, config.rows * config.subarrays)))
    boot = config.boot_set
    ops = [{"op": "write", "subarray": s, "weights": f"W{s}.npy"} for s in range(2)]
    ops += [{"op": "store", "subarray": "all", "set": boot},
            {"op": "inject", "fault": "misread", "subarray": 1, "row": 9, "cbl": 2},
            {"op": "policy", "allow_unverified": True},
            {"op": "restore", "subarray": "all", "set": boot},
            {"op": "status"},
            {"op": "mvm", "inputs": "X.npy", "out": "Y.npy"},
            {"op": "inject", "fault": "misread", "subarray": 1, "row": 9, "cbl": 2},
            {"op": "reset"},
            {"op": "status"},
            {"op": "policy", "allow_unverified": False}]
    entries, outputs = against_golden(_script(tmp_path, ops))
    assert entries[5]["error"] == "verify_failed"
    assert entries[5]["detail"].endswith("subarray(s) [1] kept valid by the allow_unverified "
                                         "policy")
    assert entries[6]["valid"] == [True, True] and entries[7]["status"] == "ok"
    assert outputs["Y.npy"].shape == (2, config.outs)
    assert entries[9]["error"] == "verify_failed" and entries[9]["detail"].endswith("invalid")
    assert entries[10]["valid"] == [True, False]


def test_a_store_of_weights_the_policy_kept(tmp_path, against_golden):
    """Found by seed 3 of `tlcim regress --config small` (generator 4), shrunk to these
    operations: weights kept by ``allow_unverified`` after a failed verification are stored
    as another set, and a misread restoring that set must fail verification. The host's
    golden shadow, which decides the fault maps, did not follow the policy: it had
    invalidated the subarray, refused the store and left the second restore's fault map
    empty, so the RTL restored cleanly."""
    config = Config.preset("small")
    np.save(tmp_path / "W.npy", np.zeros((config.rows, config.outs), dtype=np.int64))
    ops = [{"op": "write", "subarray": 1, "weights": "W.npy"},
           {"op": "store", "subarray": 1, "set": 5},
           {"op": "inject", "fault": "misread", "subarray": 1, "row": 15, "cbl": 5},
           {"op": "policy", "allow_unverified": True},
           {"op": "restore", "subarray": 1, "set": 5},
           {"op": "store", "subarray": 1, "set": 7},
           {"op": "inject", "fault": "misread", "subarray": 1, "row": 28, "cbl": 17,
            "level": 1},
           {"op": "restore", "subarray": 1, "set": 7},
           {"op": "read", "subarray": 1, "out": "W7.npy"}]
    entries, outputs = against_golden(_script(tmp_path, ops))
    assert entries[7]["error"] == "verify_failed"
    assert outputs["W7.npy"][28, 17 // config.w_trits] == 3 ** (17 % config.w_trits)


def test_a_marker_misread_to_hrs_restores_as_never_stored(tmp_path, against_golden):
    """Found by seed 131 of `tlcim regress --config paper` (generator 4): random misreads
    with a matrix can turn the stored marker of row 0 (LRS) into HRS, which is what a set
    never stored reads. The hardware reports SET_EMPTY and leaves the subarray invalid; the
    golden model now does the same (it reported a verification failure at row 0, which the
    policy kept valid), and the host names the subarray its shadow read as empty."""
    config = Config.preset("small")
    np.save(tmp_path / "W.npy", np.zeros((config.rows, config.outs), dtype=np.int64))
    lrs_to_hrs = [[1, 0, 0], [0, 1, 0], [1, 0, 0]]   # P[stored + 1][read + 1]
    ops = [{"op": "write", "subarray": s, "weights": "W.npy"} for s in range(2)]
    ops += [{"op": "store", "subarray": 1, "set": 5},
            {"op": "store", "subarray": 0, "set": 5},
            {"op": "inject", "fault": "misread_rate", "seed": 1, "matrix": lrs_to_hrs},
            {"op": "policy", "allow_unverified": True},
            {"op": "restore", "subarray": "all", "set": 5},
            {"op": "status"}]
    entries, _ = against_golden(_script(tmp_path, ops))
    assert entries[6]["error"] == "set_empty"
    assert entries[6]["detail"] == ("set 5 was never stored in subarray(s) [0, 1]; their "
                                    "weights are invalid")
    assert entries[7]["valid"] == [False, False]


def test_a_boot_restore_names_only_the_subarrays_that_failed(tmp_path, against_golden):
    """Found by seed 80 of `tlcim regress --config paper` (generator 4): a boot restore in
    which one subarray reads the boot set's marker as HRS (invalid, no error) and another
    fails verification names the failing one alone; the host named both."""
    config = Config.preset("small")
    np.save(tmp_path / "W.npy", np.zeros((config.rows, config.outs), dtype=np.int64))
    ops = [{"op": "write", "subarray": s, "weights": "W.npy"} for s in range(2)]
    ops += [{"op": "store", "subarray": "all", "set": config.boot_set},
            # LRS read as HRS half the time: with this seed subarray 1's row-0 marker does,
            # subarray 0 keeps its marker but loses checksum cells.
            {"op": "inject", "fault": "misread_rate", "seed": 0,
             "matrix": [[1, 0, 0], [0, 1, 0], [0.5, 0, 0.5]]},
            {"op": "reset"},
            {"op": "status"}]
    entries, _ = against_golden(_script(tmp_path, ops))
    assert entries[4]["detail"] == ("first mismatch at subarray 0, row 0; subarray(s) [0] "
                                    "invalid")
    assert entries[5]["valid"] == [False, False]


def test_a_reset_first_checks_what_the_host_wrote():
    """Registers written since the last reset are read back before the next one, so a
    session need not end with them for a broken register to show."""
    config = Config.preset("small")
    host = Host(config, _RegisterFile(config, {"CYCLES": 5, "MVMS": 0, "SATURATIONS": 0}))
    asyncio.run(host.write_reg("REQ_MULT", value=0x1234))
    asyncio.run(host.reset())                    # reads back as written
    broken = Host(config, _RegisterFile(config, {"CYCLES": 5, "MVMS": 0, "SATURATIONS": 0},
                                        broken="stuck"))
    asyncio.run(broken.write_reg("REQ_MULT", value=0x1234))
    with pytest.raises(RuntimeError, match="REQ_MULT reads 0x1274"):
        asyncio.run(broken.reset())
