"""tlcim.golden.device: the transaction-level device model; validity rules, errors,
non-volatility, faults."""

import copy
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from tlcim.golden import Config, device_mvm, requantise, weights_to_cbl_trits
from tlcim.golden.device import Device, check_fault
from tlcim.golden.errors import DeviceError, ErrorCode

SMALL = Config.preset("small")  # 2 subarrays, 8 weight sets, 64 x 20


def weights(rng, config=SMALL):
    return rng.integers(-config.w_max, config.w_max + 1, (config.rows, config.outs))


def inputs(rng, batch=3, config=SMALL):
    return rng.integers(-config.x_max, config.x_max + 1, (batch, config.rows * config.subarrays))


def state(device):
    """Everything a device holds, for 'nothing changed' checks."""
    return copy.deepcopy({k: v for k, v in vars(device).items() if k != "_misread_rate"})


def assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray):
            assert np.array_equal(a[key], b[key]), key
        elif isinstance(a[key], list) and a[key] and isinstance(a[key][0], dict):
            assert [sorted(d) for d in a[key]] == [sorted(d) for d in b[key]], key
            for da, db in zip(a[key], b[key]):
                for k in da:
                    assert np.array_equal(da[k], db[k]), key
        else:
            assert a[key] == b[key], key


def refused(device, code, call, *args):
    before = state(device)
    with pytest.raises(DeviceError) as error:
        call(*args)
    assert error.value.code == code
    assert_same(before, state(device))
    return str(error.value)


@pytest.fixture
def loaded(rng):
    """A device with W0/W1 written and stored in set 1."""
    device = Device(SMALL)
    w = [weights(rng), weights(rng)]
    for s in range(2):
        device.write(s, w[s])
    device.store("all", 1)
    return device, w


def test_fresh_device_holds_nothing_valid(rng):
    device = Device(SMALL)
    assert device.status() == {"valid": [False, False], "sets": [None, None],
                               "stored": [[], []]}
    message = refused(device, ErrorCode.WEIGHTS_INVALID, device.mvm, inputs(rng))
    assert message == "weights_invalid: subarray(s) [0, 1] hold no valid weights"
    refused(device, ErrorCode.WEIGHTS_INVALID, device.read, 0)


def test_write_then_mvm_matches_golden(loaded, rng):
    device, w = loaded
    x = inputs(rng)
    assert np.array_equal(device.mvm(x), device_mvm(SMALL, np.stack(w), x))
    assert np.array_equal(device.mvm(x[0]), device_mvm(SMALL, np.stack(w), x[0]))
    requant = {"multiplier": 3, "shift": 9, "relu": True}
    assert np.array_equal(device.mvm(x, requant),
                          requantise(SMALL, device_mvm(SMALL, np.stack(w), x), **requant))
    assert np.array_equal(device.read(1), w[1])
    with pytest.raises(ValueError, match="requant must be None or a dict with keys multiplier"):
        device.mvm(x, {"shift": 1})


def test_write_refusals(loaded, rng):
    device, w = loaded
    bad = weights(rng)
    bad[3, 2] = SMALL.w_max + 1
    message = refused(device, ErrorCode.BAD_WEIGHTS, device.write, 0, bad)
    assert message == ("bad_weights: 1 weight(s) outside [-121, 121], the first 122 at row 3, "
                       "output 2")
    assert "subarray 2 out of range 0..1" in refused(device, ErrorCode.BAD_SET, device.write,
                                                     2, w[0])
    refused(device, ErrorCode.BAD_SET, device.write, -1, w[0])
    with pytest.raises(ValueError, match=r"weights must have shape \(rows, outs\) = \(64, 4\)"):
        device.write(0, w[0][:10])
    with pytest.raises(ValueError, match="weights must be an integer array, not float64"):
        device.write(0, w[0] * 1.0)
    with pytest.raises(ValueError, match="subarray must be an integer, not 'all'"):
        device.write("all", w[0])


def test_store_restore_round_trip_and_bad_sets(loaded, rng):
    device, w = loaded
    device.write(0, weights(rng))
    device.restore(0, 1)
    assert np.array_equal(device.read(0), w[0])
    assert device.status()["sets"] == [1, None]
    for call in (device.store, device.restore):
        assert "set 8 out of range 0..7" in refused(device, ErrorCode.BAD_SET, call, 0, 8)
        refused(device, ErrorCode.BAD_SET, call, "all", -1)
        refused(device, ErrorCode.BAD_SET, call, 2, 0)
        with pytest.raises(ValueError, match="set must be an integer, not 1.0"):
            call(0, 1.0)


def test_store_from_invalid_sram_is_refused(loaded):
    device, w = loaded
    with pytest.raises(DeviceError):
        device.restore(1, 6)  # set_empty: subarray 1 is now invalid
    assert device.status()["valid"] == [True, False]
    message = refused(device, ErrorCode.WEIGHTS_INVALID, device.store, "all", 2)
    assert "invalid SRAM of subarray(s) [1]" in message
    refused(device, ErrorCode.WEIGHTS_INVALID, device.store, 1, 2)
    device.store(0, 2)  # a valid subarray alone may store
    assert device.status()["stored"] == [[1, 2], [1]]


def test_restore_of_an_empty_set_invalidates_only_that_subarray(loaded):
    device, w = loaded
    device.store(0, 4)
    with pytest.raises(DeviceError) as error:
        device.restore("all", 4)
    assert error.value.code == ErrorCode.SET_EMPTY
    assert "set 4 was never stored in subarray(s) [1]" in str(error.value)
    assert device.status()["valid"] == [True, False]
    assert device.status()["sets"] == [4, None]
    assert np.array_equal(device.read(0), w[0])
    with pytest.raises(DeviceError) as error:
        device.mvm(np.zeros((1, SMALL.rows * 2), dtype=int))
    assert error.value.code == ErrorCode.WEIGHTS_INVALID


def test_reset_keeps_reram_and_restores_the_boot_set(loaded, rng):
    device, w = loaded
    device.store("all", 0)
    device.write(0, weights(rng))
    device.store(0, 5)
    device.reset()
    assert device.status()["valid"] == [True, True] and device.status()["sets"] == [0, 0]
    assert np.array_equal(device.read(0), w[0]) and np.array_equal(device.read(1), w[1])
    device.restore("all", 1)  # other sets survive the power cycle too
    assert np.array_equal(device.read(1), w[1])


def test_reset_without_a_stored_boot_set_leaves_subarrays_invalid(rng):
    config = SMALL.replace(boot_set=3)
    device = Device(config)
    w = weights(rng)
    device.write(0, w)
    device.write(1, w)
    device.store(0, 3)
    device.store(1, 0)
    device.reset()
    assert device.status()["valid"] == [True, False]
    assert device.status()["sets"] == [3, None]
    assert np.array_equal(device.read(0), w)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(0, 7))
def test_any_weights_survive_store_reset_restore(seed, k):
    rng = np.random.default_rng(seed)
    device = Device(SMALL)
    w = [weights(rng), weights(rng)]
    for s in range(2):
        device.write(s, w[s])
    device.store("all", k)
    device.reset()
    device.restore("all", k)
    assert all(np.array_equal(device.read(s), w[s]) for s in range(2))


def test_stuck_cell(loaded):
    device, w = loaded
    trits = weights_to_cbl_trits(SMALL, w[0])
    level = -1 if trits[2, 7] != -1 else 1
    device.inject({"fault": "stuck", "subarray": 0, "set": 1, "row": 2, "cbl": 7,
                   "level": level})
    device.store(0, 1)  # programming does not heal a stuck cell
    with pytest.raises(DeviceError, match="verify_failed: first mismatch at subarray 0, row 2"):
        device.restore(0, 1)  # the checksum catches it: invalid by default
    assert device.status()["valid"] == [False, True]
    device.allow_unverified = True  # the policy keeps the weights, flagged
    with pytest.raises(DeviceError, match="kept valid by the allow_unverified policy"):
        device.restore(0, 1)
    assert device.unverified == [True, False]
    read = weights_to_cbl_trits(SMALL, device.read(0))
    assert read[2, 7] == level
    read[2, 7] = trits[2, 7]
    assert np.array_equal(read, trits)
    device.restore(1, 1)  # other subarrays and sets are unaffected
    assert np.array_equal(device.read(1), w[1])
    device.inject({"fault": "clear"})
    device.restore(0, 1)
    assert np.array_equal(device.read(0), w[0]) and device.unverified == [False, False]


def test_forced_misread_is_one_shot_and_adjacent_by_default(loaded):
    device, w = loaded
    trits = weights_to_cbl_trits(SMALL, w[0])
    device.inject({"fault": "misread", "subarray": 0, "row": 0, "cbl": 0})
    device.inject({"fault": "misread", "subarray": 0, "row": 5, "cbl": 3, "level": 1})
    device.allow_unverified = True
    with pytest.raises(DeviceError, match="first mismatch at subarray 0, row 0"):
        device.restore(0, 1)
    read = weights_to_cbl_trits(SMALL, device.read(0))
    assert read[0, 0] == {1: 0, 0: 1, -1: 0}[trits[0, 0]]
    assert read[5, 3] == 1
    assert np.sum(read != trits) == 1 + (trits[5, 3] != 1)
    device.restore(0, 1)
    assert np.array_equal(device.read(0), w[0])


def test_variation_misreads_adjacent_levels_reproducibly(loaded):
    device, w = loaded
    trits = weights_to_cbl_trits(SMALL, w[0])
    device.inject({"fault": "variation", "sigma": 0.2, "seed": 7, "cluster_size": 80})
    device.allow_unverified = True
    with pytest.raises(DeviceError) as error:
        device.restore(0, 1)
    assert error.value.code == ErrorCode.VERIFY_FAILED
    first = weights_to_cbl_trits(SMALL, device.read(0))
    assert 0 < np.sum(first != trits) and np.all(np.abs(first - trits) <= 1)
    with pytest.raises(DeviceError, match=re.escape(str(error.value))):
        device.restore(0, 1)  # the same programmed resistances: the same misreads
    assert np.array_equal(weights_to_cbl_trits(SMALL, device.read(0)), first)
    device.inject({"fault": "variation", "sigma": 0.0, "seed": 7})
    device.restore(0, 1)
    assert np.array_equal(device.read(0), w[0])  # nominal levels at 4 per cluster


def test_misread_rate(loaded):
    device, w = loaded
    trits = weights_to_cbl_trits(SMALL, w[0])
    device.inject({"fault": "misread_rate", "rate": 1.0, "seed": 1})
    device.allow_unverified = True
    with pytest.raises(DeviceError, match="first mismatch at subarray 0, row 0"):
        device.restore(0, 1)
    read = weights_to_cbl_trits(SMALL, device.read(0))
    assert np.all(read != trits) and np.all(np.abs(read - trits) == 1)
    identity = np.eye(3).tolist()
    device.inject({"fault": "misread_rate", "matrix": identity, "seed": 1})
    device.restore(0, 1)
    assert np.array_equal(device.read(0), w[0])


@pytest.mark.parametrize("fault, message", [
    ({"fault": "melt"}, "\"fault\" must be one of stuck, misread, variation, misread_rate, "
                        "clear, not 'melt'"),
    ({"fault": "stuck", "subarray": 0, "set": 0, "row": 0, "cbl": 0},
     "fault 'stuck' is missing key(s) 'level'"),
    ({"fault": "clear", "x": 1}, "fault 'clear' has unknown key(s) 'x'; its keys are none"),
    ({"fault": "misread", "subarray": 2, "row": 0, "cbl": 0},
     "fault 'misread': 'subarray' must be an integer from 0 to 1, not 2"),
    ({"fault": "misread", "subarray": 0, "row": 64, "cbl": 0},
     "'row' must be an integer from 0 to 63, not 64"),
    ({"fault": "stuck", "subarray": 0, "set": 8, "row": 0, "cbl": 0, "level": 0},
     "'set' must be an integer from 0 to 7, not 8"),
    ({"fault": "stuck", "subarray": 0, "set": 0, "row": 0, "cbl": 0, "level": 2},
     "'level' must be an integer from -1 to 1, not 2"),
    ({"fault": "variation", "sigma": -1, "seed": 0},
     "'sigma' must be a non-negative number, not -1"),
    ({"fault": "misread_rate", "seed": 0}, "needs exactly one of 'rate' and 'matrix'"),
    ({"fault": "misread_rate", "seed": 0, "rate": 1.5}, "'rate' must be a number from 0 to 1"),
    ({"fault": "misread_rate", "seed": 0, "matrix": [[1, 0, 0]]},
     "'matrix' must be 3 x 3 probabilities"),
    ("stuck", "a fault must be a dict, not str"),
])
def test_fault_validation(fault, message):
    device = Device(SMALL)
    before = state(device)
    with pytest.raises(ValueError) as error:
        device.inject(fault)
    assert message in str(error.value)
    assert_same(before, state(device))
    with pytest.raises(ValueError):
        check_fault(SMALL, fault)


class DeviceMachine(RuleBasedStateMachine):
    """Random sessions against a plain reference: SRAM and ReRAM as dicts of weight matrices.

    Indices range one beyond each end, so refusals are exercised as often as successes.
    """

    def __init__(self):
        super().__init__()
        self.device = Device(SMALL)
        self.sram = {}    # subarray -> (weights, set or None) while valid
        self.reram = {}   # (subarray, set) -> weights

    def refused(self, code, call, *args):
        before = state(self.device)
        with pytest.raises(DeviceError) as error:
            call(*args)
        assert error.value.code == code
        assert_same(before, state(self.device))

    subarray = st.integers(-1, SMALL.subarrays)
    target = st.one_of(st.just("all"), subarray)
    # The boot set, a few others, and both out-of-range neighbours.
    weight_set = st.sampled_from([SMALL.boot_set, -1, 1, 2, SMALL.weight_sets - 1,
                                  SMALL.weight_sets])

    def chosen(self, s):
        return list(range(SMALL.subarrays)) if s == "all" else [s]

    @initialize(seed=st.integers(0, 2 ** 16), boot=st.booleans())
    def load(self, seed, boot):
        # Start from a loaded device (and a stored boot set) often enough to reach the
        # restore and reset paths; random writes and stores alone seldom line up.
        for s in range(SMALL.subarrays):
            self.write(s, seed + s, False)
        if boot:
            self.store("all", SMALL.boot_set)

    @rule(s=subarray, seed=st.integers(0, 2 ** 16), bad=st.booleans())
    def write(self, s, seed, bad):
        w = weights(np.random.default_rng(seed))
        if bad:
            w[seed % SMALL.rows, 0] = -SMALL.w_max - 1
        if not 0 <= s < SMALL.subarrays:
            self.refused(ErrorCode.BAD_SET, self.device.write, s, w)
        elif bad:
            self.refused(ErrorCode.BAD_WEIGHTS, self.device.write, s, w)
        else:
            self.device.write(s, w)
            self.sram[s] = (w, None)

    @rule(s=target, k=weight_set)
    def store(self, s, k):
        chosen = self.chosen(s)
        if not 0 <= k < SMALL.weight_sets or not all(0 <= i < SMALL.subarrays for i in chosen):
            self.refused(ErrorCode.BAD_SET, self.device.store, s, k)
        elif any(i not in self.sram for i in chosen):
            self.refused(ErrorCode.WEIGHTS_INVALID, self.device.store, s, k)
        else:
            self.device.store(s, k)
            self.reram.update({(i, k): self.sram[i][0] for i in chosen})

    @rule(s=target, k=weight_set)
    def restore(self, s, k):
        chosen = self.chosen(s)
        if not 0 <= k < SMALL.weight_sets or not all(0 <= i < SMALL.subarrays for i in chosen):
            self.refused(ErrorCode.BAD_SET, self.device.restore, s, k)
            return
        empty = [i for i in chosen if (i, k) not in self.reram]
        for i in chosen:
            if i in empty:
                self.sram.pop(i, None)
            else:
                self.sram[i] = (self.reram[i, k], k)
        if empty:
            with pytest.raises(DeviceError) as error:
                self.device.restore(s, k)
            assert error.value.code == ErrorCode.SET_EMPTY
        else:
            self.device.restore(s, k)

    @rule()
    def reset(self):
        self.device.reset()
        boot = SMALL.boot_set
        self.sram = {i: (self.reram[i, boot], boot) for i in range(SMALL.subarrays)
                     if (i, boot) in self.reram}

    @rule(seed=st.integers(0, 2 ** 16))
    def mvm(self, seed):
        x = inputs(np.random.default_rng(seed), batch=2)
        if len(self.sram) < SMALL.subarrays:
            self.refused(ErrorCode.WEIGHTS_INVALID, self.device.mvm, x)
        else:
            w = np.stack([self.sram[i][0] for i in range(SMALL.subarrays)])
            assert np.array_equal(self.device.mvm(x), device_mvm(SMALL, w, x))

    @invariant()
    def matches_reference(self):
        status = self.device.status()
        assert status["valid"] == [i in self.sram for i in range(SMALL.subarrays)]
        assert status["sets"] == [self.sram[i][1] if i in self.sram else None
                                  for i in range(SMALL.subarrays)]
        assert status["stored"] == [sorted(k for j, k in self.reram if j == i)
                                    for i in range(SMALL.subarrays)]
        for i, (w, _) in self.sram.items():
            assert np.array_equal(self.device.read(i), w)


TestDeviceSessions = DeviceMachine.TestCase
TestDeviceSessions.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)


def test_misread_rate_matrix_follows_the_reram_model():
    from tlcim.golden.reram import confusion_matrix
    device = Device(SMALL)
    for s in range(2):
        device.write(s, np.full((SMALL.rows, SMALL.outs), -SMALL.w_max))  # every trit -1 (HRS)
    device.store("all", 0)
    matrix = confusion_matrix(80)  # HRS -> MRS about 13 %
    device.inject({"fault": "misread_rate", "matrix": matrix.tolist(), "seed": 11})
    device.allow_unverified = True
    counts = np.zeros(3)
    for _ in range(10):
        with pytest.raises(DeviceError) as error:   # 13 % misreads: every restore fails
            device.restore("all", 0)
        assert error.value.code == ErrorCode.VERIFY_FAILED
        for s in range(2):
            trits = weights_to_cbl_trits(SMALL, device.read(s))
            counts += np.bincount(trits.ravel() + 1, minlength=3)
    observed = counts / counts.sum()
    n = counts.sum()
    assert abs(observed[1] - matrix[0, 1]) < 5 * np.sqrt(matrix[0, 1] / n)
    assert counts[2] == 0  # never to a non-adjacent level


def test_every_single_misread_is_caught_and_located(loaded):
    # Each forced misread of any weight cell fails verification at its row.
    device, _ = loaded
    rng = np.random.default_rng(5)
    for row, cbl in zip(rng.integers(0, SMALL.rows, 40), rng.integers(0, SMALL.cbls, 40)):
        device.inject({"fault": "misread", "subarray": 1, "row": int(row), "cbl": int(cbl)})
        with pytest.raises(DeviceError, match=f"first mismatch at subarray 1, row {row}; "
                                              f"subarray\\(s\\) \\[1\\] invalid"):
            device.restore("all", 1)
        assert device.status()["valid"] == [True, False]


def test_boot_restore_verifies(loaded):
    device, w = loaded
    device.store("all", SMALL.boot_set)
    device.inject({"fault": "stuck", "subarray": 0, "set": SMALL.boot_set, "row": 3, "cbl": 1,
                   "level": 0 if weights_to_cbl_trits(SMALL, w[0])[3, 1] != 0 else 1})
    with pytest.raises(DeviceError, match="verify_failed: first mismatch at subarray 0, row 3"):
        device.reset()
    assert device.status()["valid"] == [False, True]
    device.inject({"fault": "clear"})
    device.reset()
    assert device.status()["valid"] == [True, True]
