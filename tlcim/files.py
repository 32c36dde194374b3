"""Atomic, reproducible output files.

Every generated file is written through these helpers: a failed run leaves no half-written
output, and nothing written depends on the machine (no absolute paths, no timestamps).
"""

import contextlib
import io
import json
import os
import pathlib
import shutil
import tempfile

import numpy as np

def _read_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()

__all__ = ["atomic_write", "write_text", "write_json", "save_npy", "load_npy", "output_dir"]


@contextlib.contextmanager
def atomic_write(path, mode="w"):
    """Open a temporary file beside ``path``; on success rename it onto ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as file:
            yield file
        # mkstemp creates files readable by their owner only; give the usual permissions.
        os.chmod(temp, 0o666 & ~_UMASK)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def write_text(path, text):
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path) as file:
        file.write(text)


def write_json(path, data):
    """Write ``data`` as indented JSON with a trailing newline, atomically."""
    write_text(path, json.dumps(data, indent=1) + "\n")


def save_npy(path, array):
    """Save ``array`` in ``.npy`` format, atomically."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    with atomic_write(path, "wb") as file:
        file.write(buffer.getvalue())


def load_npy(path, *, what="array"):
    """Load a ``.npy`` file without pickles, turning every failure into ``ValueError``."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"cannot read {what} from {str(path)!r}: {error}") from None


@contextlib.contextmanager
def output_dir(path):
    """Build a whole output folder in a temporary sibling, then move it into place.

    Yields the temporary folder. On success the files written there replace those of the same
    names in ``path`` (other files in ``path`` are kept); on an exception nothing in ``path``
    changes.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = pathlib.Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield temp
        os.chmod(temp, 0o777 & ~_UMASK)
        path.mkdir(exist_ok=True)
        for item in sorted(temp.rglob("*")):
            target = path / item.relative_to(temp)
            if item.is_dir():
                target.mkdir(exist_ok=True)
            else:
                os.replace(item, target)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
