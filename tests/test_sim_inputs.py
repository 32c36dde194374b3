"""tlcim.sim.inputs: every user file is read with a message naming it and what was wrong, never
an exception of another kind, whatever it holds (fuzzed with hypothesis and random bytes)."""

import dataclasses
import struct

import hypothesis
import numpy as np
import pytest
from hypothesis import strategies as st

from tlcim.golden import Config
from tlcim.sim import inputs
from tlcim.sim.script import parse_ops

SMALL = Config.preset("small")


def _npy_header(descr, shape):
    # A .npy header that declares what it likes (the data may not follow).
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    text += " " * (63 - (10 + len(text)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()


@pytest.mark.parametrize("make, message", [
    (lambda p: np.save(p, np.array([2 ** 64 - 1], dtype=np.uint64)),
     "must hold values that fit in 64-bit signed integers, not 18446744073709551615"),
    (lambda p: np.save(p, np.zeros(3)), "must hold integers, not float64"),
    (lambda p: np.save(p, np.array([True])), "must hold integers, not bool"),
    (lambda p: p.write_bytes(b"PK\x03\x04" + bytes(40)), "is a .npz archive, not a .npy file"),
    (lambda p: p.write_text("1 2 3\n"), "is not a .npy file (it does not start with the .npy "
                                          "magic string)"),
    (lambda p: p.write_bytes(_npy_header("<i8", "(1000000000000,)")),
     "declares 1,000,000,000,000 elements (shape (1000000000000,)), more than the "
     "268,435,456 accepted"),
    (lambda p: p.write_bytes(_npy_header("<i8", "(4,)") + bytes(8)),
     "declares shape (4,) of int64, 32 bytes, but holds 8"),
    (lambda p: p.write_bytes(_npy_header("|O", "(1,)") + bytes(8)),
     "must hold a plain integer array, not object"),
    (lambda p: p.write_bytes(b"\x93NUMPY\x01\x00\x05\x00{'a\n"), "has a malformed .npy header"),
])
def test_bad_arrays_are_named(tmp_path, make, message):
    path = tmp_path / "X.npy"
    make(path)
    with pytest.raises(ValueError) as error:
        inputs.read_array(path, "'weights' file")
    assert message in str(error.value) and "'weights' file" in str(error.value)


def test_arrays_of_every_integer_dtype_and_order_read_by_value(tmp_path):
    values = np.array([[-3, 0, 7], [1, -128, 127]])
    for dtype in (np.int8, np.int16, ">i4", np.int64, np.uint8):
        array = (np.abs(values) if np.dtype(dtype).kind == "u" else values).astype(dtype)
        for order in ("C", "F"):
            np.save(tmp_path / "a.npy", np.asarray(array, order=order))
            got = inputs.read_array(tmp_path / "a.npy", "a")
            assert got.dtype == np.int64 and np.array_equal(got, array.astype(np.int64))


@pytest.mark.parametrize("data, message", [
    (b"\xff\xfe{}", "is not UTF-8 text (byte 0xff at offset 0)"),
    (b"[" * 100_000 + b"]" * 100_000, "nests too deeply to be read"),
    (b"{\"op\": ", "is not valid JSON"),
])
def test_bad_json_is_named(tmp_path, data, message):
    path = tmp_path / "s.json"
    path.write_bytes(data)
    with pytest.raises(ValueError) as error:
        inputs.read_json(path, "session script")
    assert message in str(error.value) and "session script" in str(error.value)


def test_missing_folder_and_oversized_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        inputs.read_text(tmp_path / "none.toml", "configuration")
    with pytest.raises(ValueError, match="is a folder, not a file"):
        inputs.read_text(tmp_path, "configuration")
    (tmp_path / "big.toml").write_bytes(b"x" * 101)
    with pytest.raises(ValueError, match="has 101 bytes, more than the 100 accepted"):
        inputs.read_text(tmp_path / "big.toml", "configuration", limit=100)


def test_inputs_are_remembered_until_forgotten(tmp_path):
    inputs.forget_inputs()
    (tmp_path / "a.toml").write_text("rows = 64\n")
    inputs.read_toml(tmp_path / "a.toml", "configuration")
    assert inputs.inputs_read() == {(tmp_path / "a.toml").resolve()}
    inputs.forget_inputs()
    assert inputs.inputs_read() == frozenset()


# -- fuzzing: the parsers answer a config or a ValueError, nothing else ----------------------------

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
                     | st.text(max_size=8),
                     lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(st.text(max_size=8), children, max_size=4),
                     max_leaves=20)
_keys = st.sampled_from(["op", "subarray", "set", "weights", "inputs", "out", "requant",
                         "multiplier", "shift", "relu", "fault", "comment", "level", "row",
                         "cbl", "seed", "sigma"])
_ops = st.lists(st.dictionaries(_keys, _json | st.sampled_from(
    ["write", "store", "restore", "mvm", "reset", "read", "status", "inject", "all",
     "X.npy", "W.npy", "Y.npy", "stuck", "misread", "clear"]), max_size=6), max_size=6)


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True,
                     suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
@hypothesis.given(ops=st.one_of(_ops, _json))
def test_script_parser_answers_ops_or_a_named_refusal(tmp_path, ops):
    np.save(tmp_path / "X.npy", np.zeros((SMALL.rows * SMALL.subarrays,), dtype=np.int64))
    np.save(tmp_path / "W.npy", np.zeros((SMALL.rows, SMALL.outs), dtype=np.int64))
    try:
        parsed = parse_ops(SMALL, ops, tmp_path, source="fuzz.json")
    except ValueError as error:
        assert str(error).startswith("fuzz.json: ")
    else:
        assert [op.index for op in parsed] == list(range(len(ops)))


_toml_value = st.one_of(st.integers(min_value=-2 ** 70, max_value=2 ** 70), st.booleans(),
                        st.floats(allow_nan=True), st.text(max_size=6),
                        st.lists(st.integers(), max_size=3))


@hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
@hypothesis.given(params=st.dictionaries(st.sampled_from(
    [f.name for f in dataclasses.fields(Config)] + ["bogus"]), _toml_value,
    max_size=6))
def test_configuration_loader_answers_a_config_or_a_named_refusal(params):
    try:
        config = Config.from_dict(params, source="fuzz.toml")
    except ValueError as error:
        assert str(error)
    else:
        assert isinstance(config, Config)


@hypothesis.settings(max_examples=200, deadline=None, derandomize=True,
                     suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
@hypothesis.given(data=st.binary(max_size=300))
def test_random_bytes_at_every_reader(tmp_path, data):
    path = tmp_path / "random"
    path.write_bytes(data)
    for read in (inputs.read_json, inputs.read_toml, inputs.read_array):
        try:
            read(path, "file")
        except ValueError as error:
            assert "file" in str(error)
    try:
        Config.from_dict(inputs.read_toml(path, "configuration"), source="random")
    except ValueError:
        pass


def test_parser_refuses_unhashable_op_and_fault_kinds(tmp_path):
    with pytest.raises(ValueError, match=r"operation \[0\] \['write'\]: unknown op \['write'\]"):
        parse_ops(SMALL, [{"op": ["write"]}], tmp_path, source="s.json")
    with pytest.raises(ValueError, match="\"fault\" must be one of"):
        parse_ops(SMALL, [{"op": "inject", "fault": ["stuck"]}], tmp_path, source="s.json")
