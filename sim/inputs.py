"""Reading the files a user gives: text, JSON, TOML and integer ``.npy`` arrays, checked.

Every file a command or a session script names is read through here, so that whatever the
file holds (the wrong format, bytes that are not UTF-8, nesting deep enough to exhaust
Python's recursion, a ``.npy`` header claiming more elements than the file holds or than
memory can take) the answer is a :class:`ValueError` whose message names the file and what
was expected, never a traceback. Nothing here writes.

Every file read is remembered (:func:`inputs_read`) so that a command's outputs can never
replace one of its own inputs (:class:`tlcim.files.Outputs` checks against them);
:func:`tlcim.cli.main` starts each command with :func:`forget_inputs`.
"""

import io
import json
import pathlib
import tomllib

import numpy as np

from tlcim.golden.trits import int_array

__all__ = ["MAX_TEXT_BYTES", "MAX_ARRAY_ELEMENTS", "read_bytes", "read_text", "read_json",
           "read_toml", "read_array", "note_input", "inputs_read", "forget_inputs"]

#: Largest text file (scripts, configurations, grids, reports) read, in bytes.
MAX_TEXT_BYTES = 64 << 20
#: Largest array read from a ``.npy`` file, in elements (2**28 int64 values are 2 GiB).
MAX_ARRAY_ELEMENTS = 1 << 28


#: Resolved paths of the files read since :func:`forget_inputs`.
_INPUTS = set()


def note_input(path):
    """Remember ``path`` as an input of the command running (resolved: links followed)."""
    _INPUTS.add(pathlib.Path(path).resolve())


def inputs_read():
    """Return the resolved paths of every file read (or noted) since :func:`forget_inputs`."""
    return frozenset(_INPUTS)


def forget_inputs():
    """Start a new command: no file has been read yet."""
    _INPUTS.clear()


def _describe(what, path):
    return f"{what} {str(path)!r}"


def read_bytes(path, what, *, limit=MAX_TEXT_BYTES):
    """Return the bytes of the regular file ``path``, at most ``limit`` of them.

    Raises
    ------
    ValueError
        If ``path`` does not exist, is not a regular file, cannot be read, or is larger than
        ``limit``; the message names ``what`` and the path.
    """
    path = pathlib.Path(path)
    name = _describe(what, path)
    note_input(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ValueError(f"{name} does not exist") from None
    except OSError as error:
        raise ValueError(f"cannot read {name}: {error.strerror}") from None
    if path.is_dir():
        raise ValueError(f"{name} is a folder, not a file")
    if not path.is_file():
        raise ValueError(f"{name} is not a regular file")
    if info.st_size > limit:
        raise ValueError(f"{name} has {info.st_size:,} bytes, more than the {limit:,} "
                         f"accepted")
    try:
        with open(path, "rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise ValueError(f"cannot read {name}: {error.strerror}") from None
    if len(data) > limit:  # it grew while being read
        raise ValueError(f"{name} has more than the {limit:,} bytes accepted")
    return data


def read_text(path, what, *, limit=MAX_TEXT_BYTES):
    """Return the UTF-8 text of ``path`` (see :func:`read_bytes`).

    Raises
    ------
    ValueError
        As :func:`read_bytes`, or if the bytes are not UTF-8 (naming the offset).
    """
    data = read_bytes(path, what, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{_describe(what, path)} is not UTF-8 text (byte "
                         f"{data[error.start]:#04x} at offset {error.start})") from None


def _parse(path, what, language, loads, error_type):
    text = read_text(path, what)
    try:
        return loads(text)
    except error_type as error:
        raise ValueError(f"{_describe(what, path)} is not valid {language}: {error}") from None
    except RecursionError:
        raise ValueError(f"{_describe(what, path)} nests too deeply to be read") from None


def read_json(path, what):
    """Return the JSON value in ``path``.

    Raises
    ------
    ValueError
        As :func:`read_text`, or if the text is not JSON or nests too deeply.
    """
    return _parse(path, what, "JSON", json.loads, json.JSONDecodeError)


def read_toml(path, what):
    """Return the TOML table in ``path`` as a dict.

    Raises
    ------
    ValueError
        As :func:`read_text`, or if the text is not TOML or nests too deeply.
    """
    return _parse(path, what, "TOML", tomllib.loads, tomllib.TOMLDecodeError)


def read_array(path, what, *, limit=MAX_ARRAY_ELEMENTS):
    """Return the integer array of the ``.npy`` file ``path`` as int64.

    The header is checked before any data is read: the file must be a ``.npy`` file (not
    ``.npz``, not text, not a pickle), hold a plain integer array (no objects, no structured
    records), and its shape must fit both the file's length and ``limit``. Values are checked
    before conversion (:func:`tlcim.golden.trits.int_array`: a ``uint64`` beyond int64 is
    refused, never wrapped).

    Raises
    ------
    ValueError
        Naming ``what``, the path and what was wrong.
    """
    path = pathlib.Path(path)
    name = _describe(what, path)
    # Read at most what the largest accepted array takes, plus a header.
    data = read_bytes(path, what, limit=limit * 8 + (1 << 16))
    if data.startswith(b"PK\x03\x04"):
        raise ValueError(f"{name} is a .npz archive, not a .npy file")
    if not data.startswith(b"\x93NUMPY"):
        raise ValueError(f"{name} is not a .npy file (it does not start with the .npy magic "
                         f"string)")
    buffer = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buffer)
        shape, fortran, dtype = _header(buffer, version)
    except (ValueError, OSError, SyntaxError) as error:
        raise ValueError(f"{name} has a malformed .npy header: {error}") from None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise ValueError(f"{name} must hold a plain integer array, not {dtype}")
    if dtype == np.bool_ or not np.issubdtype(dtype, np.integer):
        raise ValueError(f"{what} must hold integers, not {dtype}")
    count = int(np.prod(shape, dtype=object))
    if count > limit:
        raise ValueError(f"{name} declares {count:,} elements (shape {shape}), more than the "
                         f"{limit:,} accepted")
    if count * dtype.itemsize != len(data) - buffer.tell():
        raise ValueError(f"{name} declares shape {shape} of {dtype}, {count * dtype.itemsize:,} "
                         f"bytes, but holds {len(data) - buffer.tell():,}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=buffer.tell())
    array = array.reshape(shape, order="F" if fortran else "C")
    return int_array(array, what)


def _header(buffer, version):
    # numpy's public readers of the two header versions (3.0 is 2.0 with UTF-8 field names).
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(buffer)
    if version in ((2, 0), (3, 0)):
        return np.lib.format.read_array_header_2_0(buffer)
    raise ValueError(f"unsupported .npy version {version[0]}.{version[1]}")
