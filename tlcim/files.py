"""A command's outputs: written all together or not at all, never over what is not theirs.

Every file a command produces is written through :class:`Outputs` (or :func:`output_dir`, one
output folder): into staging folders beside the destinations first, then moved into place in
one step at the end, rolled back if any move fails. A failed or interrupted command (Ctrl-C
included) leaves every destination as it was. Before anything is computed the destinations are
checked, and the command is refused (``ValueError``, nothing written) when an output

- is one of the command's inputs (every file read through :mod:`tlcim.sim.inputs`),
- would replace a file that tlcim did not write, or that was changed since (unless
  ``force``); tlcim remembers what it wrote, with a hash of each file, in a small registry
  ``.tlcim-outputs.json`` in each folder it writes into,
- is a symbolic link (unless ``force``: then the link itself is replaced, never its target),
- is a folder where a file is expected or the other way round, or lies under a file.

Files are reproducible: nothing written depends on the machine (no absolute paths, no
timestamps).
"""

import contextlib
import hashlib
import io
import json
import os
import pathlib
import shutil
import tempfile

import numpy as np

from tlcim.sim.inputs import inputs_read

__all__ = ["REGISTRY", "Outputs", "output_dir", "atomic_write", "write_text", "write_json",
           "save_npy"]

#: Name of the registry of the files tlcim wrote in a folder.
REGISTRY = ".tlcim-outputs.json"


def _read_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


# -- writing one file ---------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_write(path, mode="w"):
    """Open a temporary file beside ``path``; on success rename it onto ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was. Used for
    files inside a staging folder and for caches; a command's outputs go through
    :class:`Outputs`.
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
    """Write ``data`` as indented JSON with a trailing newline, atomically.

    Raises
    ------
    ValueError
        If ``data`` holds a float that is not finite (JSON has no ``Infinity`` or ``NaN``).
    """
    try:
        text = json.dumps(data, indent=1, allow_nan=False)
    except ValueError:
        raise ValueError(f"cannot write {pathlib.Path(path).name}: a value is not a finite "
                         f"number") from None
    write_text(path, text + "\n")


def save_npy(path, array):
    """Save ``array`` in ``.npy`` format, atomically."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    with atomic_write(path, "wb") as file:
        file.write(buffer.getvalue())


# -- the registry of what tlcim wrote --------------------------------------------------------

def _digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _registry(folder):
    # {name relative to folder: sha256} of the files tlcim wrote there; a damaged or foreign
    # registry counts as empty (nothing is then taken for tlcim's).
    try:
        data = json.loads((folder / REGISTRY).read_text())
        files = data["files"]
        if isinstance(files, dict) and all(isinstance(v, str) for v in files.values()):
            return dict(files)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return {}


def _ours(path, root):
    """Whether ``path`` (under the folder ``root``) is a file tlcim wrote and nobody changed."""
    recorded = _registry(root).get(path.relative_to(root).as_posix())
    try:
        return recorded is not None and recorded == _digest(path)
    except OSError:
        return False


# -- the outputs of a command ---------------------------------------------------------------

class Outputs:
    """The outputs of one command: declared, checked, staged, then committed together.

    Use as a context manager: leaving it normally commits (moves every staged file into
    place), leaving it by an exception (Ctrl-C included) discards everything staged.

    Parameters
    ----------
    force : bool
        Replace files that tlcim did not write (or that changed since), and symbolic links.

    Raises
    ------
    ValueError
        From :meth:`file` and :meth:`folder` when a destination cannot or must not be
        written, and from the commit if a destination changed meanwhile; nothing is written.
    """

    def __init__(self, *, force=False):
        self.force = bool(force)
        self._files = {}      # destination -> (staged path, registry folder)
        self._folders = {}    # destination folder -> staging folder
        self._file_stages = {}  # destination's folder -> staging folder of its files
        self._whats = {}      # destination -> how the command names it
        self._staging = []    # staging folders to remove at the end
        self._committed = False

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        try:
            if kind is None:
                self.commit()
        finally:
            self._clean()

    # -- declaring outputs -------------------------------------------------------------------

    def file(self, path, *, what="output"):
        """Declare the output file ``path``; return the staged path to write it to."""
        destination = self._check(path, what, folder=False)
        if destination in self._files:
            raise ValueError(f"{what} {str(path)!r} is written twice by this command (it is "
                             f"also {self._whats[destination]})")
        self._whats[destination] = what
        if destination.parent not in self._file_stages:
            self._file_stages[destination.parent] = self._stage_folder(destination.parent)
        staged = self._file_stages[destination.parent] / f"{len(self._files)}-{destination.name}"
        self._files[destination] = (staged, destination.parent)
        return staged

    def folder(self, path, *, what="output folder", names=()):
        """Declare the output folder ``path``; return a staging folder to fill.

        When committed, every file in the staging folder replaces the file of the same name
        in ``path`` (created if needed); files of ``path`` that tlcim wrote before and this
        run does not produce are removed; other files are kept. ``names`` (paths relative to
        ``path``) are the files the command knows it will write: each is checked now as
        :meth:`file` checks, so that a file tlcim did not write is refused before the work,
        not at the commit.
        """
        destination = self._check(path, what, folder=True)
        for name in names:
            self._check(pathlib.Path(path) / name, "output", folder=False)
        if destination in self._folders:
            raise ValueError(f"{what} {str(path)!r} is written twice by this command")
        self._whats[destination] = what
        if destination.is_dir() and not self.force:
            for existing in sorted(destination.rglob("*")):
                if existing.is_symlink():
                    raise ValueError(f"{what} {str(path)!r} holds the symbolic link "
                                     f"{str(existing.relative_to(destination))!r}; tlcim "
                                     f"does not write through links (use --force to replace "
                                     f"it)")
        stage = self._stage_folder(destination.parent, name=destination.name)
        self._folders[destination] = stage
        return stage

    def _check(self, path, what, *, folder):
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise ValueError(f"{what} must be a path, not {path!r}")
        raw = pathlib.Path(path)
        destination = pathlib.Path(os.path.abspath(raw))
        name = f"{what} {str(path)!r}"
        if raw.is_symlink() and not self.force:
            raise ValueError(f"{name} is a symbolic link; tlcim does not write through links "
                             f"(use --force to replace the link itself)")
        if raw.exists() and not raw.is_symlink():
            if folder and not raw.is_dir():
                raise ValueError(f"{name} is a file, not a folder")
            if not folder and raw.is_dir():
                raise ValueError(f"{name} is a folder; give the path of a file")
        ancestor = destination.parent
        while not ancestor.exists():
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise ValueError(f"{name} lies under {str(ancestor)!r}, which is a file")
        if not os.access(ancestor, os.W_OK | os.X_OK):
            raise ValueError(f"{name} cannot be written: {str(ancestor)!r} is not writable")
        if not folder:
            self._check_inputs(destination, name)
        if not folder and raw.is_file() and not raw.is_symlink() and not self.force \
                and not _ours(destination, destination.parent):
            raise ValueError(f"{name} exists and was not written by tlcim (or was changed "
                             f"since); use --force to replace it")
        return destination

    @staticmethod
    def _check_inputs(destination, name):
        if destination.resolve() in inputs_read():
            raise ValueError(f"{name} is an input of this command; choose another output")

    def _stage_folder(self, parent, name="out"):
        try:
            parent.mkdir(parents=True, exist_ok=True)
            stage = pathlib.Path(tempfile.mkdtemp(dir=parent, prefix=f".{name}.",
                                                  suffix=".tlcim-staging"))
        except OSError as error:
            raise ValueError(f"cannot write into {str(parent)!r}: {error.strerror}") from None
        self._staging.append(stage)
        return stage

    # -- committing ------------------------------------------------------------------------

    def _plan(self):
        # Every (staged, destination, registry root) move, and the stale files to remove:
        # those tlcim wrote before that this run does not produce (a declared file left
        # unwritten, say by an operation the device refused, or an output folder's file).
        moves, stale = [], []
        for destination, (staged, root) in self._files.items():
            if staged.exists():
                moves.append((staged, destination, root))
            elif destination.is_file() and not destination.is_symlink() \
                    and destination.resolve() not in inputs_read() \
                    and _ours(destination, root):
                stale.append((destination, root))
        for destination, stage in self._folders.items():
            produced = {item.relative_to(stage) for item in stage.rglob("*")
                        if item.is_file()}
            for relative in sorted(produced):
                moves.append((stage / relative, destination / relative, destination))
            if destination.is_dir():
                inputs = inputs_read()
                for existing in sorted(destination.rglob("*")):
                    relative = existing.relative_to(destination)
                    if existing.is_file() and not existing.is_symlink() \
                            and existing.name != REGISTRY and relative not in produced \
                            and existing.resolve() not in inputs \
                            and _ours(existing, destination):
                        stale.append((existing, destination))
        return moves, stale

    def _recheck(self, moves):
        # Destinations may have changed since they were declared (another program), and an
        # output folder's files are only known now.
        for _, destination, root in moves:
            name = f"output {str(destination)!r}"
            if destination.is_symlink() and not self.force:
                raise ValueError(f"{name} became a symbolic link; nothing was written")
            if destination.is_dir() and not destination.is_symlink():
                raise ValueError(f"{name} is a folder; nothing was written")
            if destination.exists() and not destination.is_symlink() and not self.force \
                    and not _ours(destination, root):
                raise ValueError(f"{name} exists and was not written by tlcim (or was changed "
                                 f"since); use --force to replace it; nothing was written")
            self._check_inputs(destination, name)

    def commit(self):
        """Move every staged output into place, or none: on any failure the destinations are
        restored and the error propagates."""
        if self._committed:
            return
        moves, stale = self._plan()
        self._recheck(moves)
        undo = []   # (destination, its backup or None, whether the new file is in place)
        try:
            for index, (staged, destination, _) in enumerate(moves):
                destination.parent.mkdir(parents=True, exist_ok=True)
                backup = None
                if destination.exists() or destination.is_symlink():
                    # Beside the staged file: the same file system, so renames are atomic.
                    backup = staged.with_name(f"{staged.name}.{index}.backup")
                    os.replace(destination, backup)
                undo.append((destination, backup, False))
                os.chmod(staged, 0o666 & ~_UMASK)
                os.replace(staged, destination)
                undo[-1] = (destination, backup, True)
            for index, (existing, root) in enumerate(stale):
                backup = self._stage_folder(root, name="stale") / "backup"
                os.replace(existing, backup)
                undo.append((existing, backup, False))
        except BaseException:
            for destination, backup, placed in reversed(undo):
                with contextlib.suppress(OSError):
                    if placed:
                        destination.unlink()
                    if backup is not None:
                        os.replace(backup, destination)
            raise
        self._committed = True
        self._record(moves, stale)

    def _record(self, moves, stale):
        # Remember what was written (best effort: a registry that cannot be written only
        # means the files will not be recognised as tlcim's next time).
        roots = {}
        for _, destination, root in moves:
            roots.setdefault(root, {})[destination.relative_to(root).as_posix()] = \
                _digest(destination)
        for existing, root in stale:
            roots.setdefault(root, {})[existing.relative_to(root).as_posix()] = None
        for root, changes in roots.items():
            files = _registry(root)
            for name, digest in changes.items():
                if digest is None:
                    files.pop(name, None)
                else:
                    files[name] = digest
            with contextlib.suppress(OSError):
                write_text(root / REGISTRY, json.dumps(
                    {"written_by": "tlcim", "files": dict(sorted(files.items()))},
                    indent=1) + "\n")

    def _clean(self):
        for stage in self._staging:
            shutil.rmtree(stage, ignore_errors=True)
        self._staging = []


@contextlib.contextmanager
def output_dir(path, *, force=False, names=()):
    """Build one output folder in a staging folder beside it, then move it into place.

    Yields the staging folder; see :meth:`Outputs.folder` for what the commit does and what
    ``names`` are, and :class:`Outputs` for the checks (which raise ``ValueError`` before
    anything is written).
    """
    with Outputs(force=force) as outputs:
        yield outputs.folder(path, names=names)
