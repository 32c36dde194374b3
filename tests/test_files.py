"""tlcim.files: a command's outputs appear together or not at all, never over its inputs, a
file tlcim did not write (without force) or through a symbolic link."""

import os

import pytest

from tlcim.files import REGISTRY, Outputs, output_dir, write_text
from tlcim.sim import inputs


def snapshot(folder):
    """Every file under ``folder`` with its bytes (links as their targets' names)."""
    return {str(p.relative_to(folder)): (os.readlink(p) if p.is_symlink() else p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() or p.is_symlink()}


@pytest.fixture(autouse=True)
def fresh_inputs():
    inputs.forget_inputs()
    yield
    inputs.forget_inputs()


def test_outputs_appear_together(tmp_path):
    with Outputs() as outputs:
        a = outputs.file(tmp_path / "a.txt")
        folder = outputs.folder(tmp_path / "out")
        write_text(a, "a\n")
        write_text(folder / "sub" / "b.txt", "b\n")
        assert not (tmp_path / "a.txt").exists() and not (tmp_path / "out").exists()
    assert (tmp_path / "a.txt").read_text() == "a\n"
    assert (tmp_path / "out" / "sub" / "b.txt").read_text() == "b\n"
    # Nothing of the staging is left, and tlcim remembers what it wrote.
    assert sorted(p.name for p in tmp_path.iterdir()) == [REGISTRY, "a.txt", "out"]
    assert (tmp_path / "out" / REGISTRY).exists()


def test_an_exception_writes_nothing(tmp_path):
    (tmp_path / "keep.txt").write_text("mine\n")
    before = snapshot(tmp_path)
    for error in (RuntimeError("tool failed"), KeyboardInterrupt()):
        with pytest.raises(type(error)):
            with Outputs() as outputs:
                write_text(outputs.file(tmp_path / "a.txt"), "a\n")
                write_text(outputs.folder(tmp_path / "out") / "b.txt", "b\n")
                raise error
        assert snapshot(tmp_path) == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_a_failing_move_rolls_every_output_back(tmp_path, monkeypatch):
    with Outputs() as outputs:
        write_text(outputs.file(tmp_path / "a.txt"), "old a\n")
        write_text(outputs.file(tmp_path / "b.txt"), "old b\n")
    before = snapshot(tmp_path)
    real = os.replace
    moved = []

    def flaky(source, destination):
        if str(destination).endswith("b.txt"):
            raise OSError(28, "No space left on device")
        moved.append(destination)
        return real(source, destination)
    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError):
        with Outputs() as outputs:
            write_text(outputs.file(tmp_path / "a.txt"), "new a\n")
            write_text(outputs.file(tmp_path / "b.txt"), "new b\n")
    monkeypatch.undo()
    assert moved  # a.txt had been replaced before b.txt failed...
    assert snapshot(tmp_path) == before  # ...and was put back


def test_rerun_replaces_its_own_files_but_not_others(tmp_path):
    for text in ("1\n", "2\n"):
        with Outputs() as outputs:
            write_text(outputs.file(tmp_path / "r.json"), text)
    assert (tmp_path / "r.json").read_text() == "2\n"
    (tmp_path / "r.json").write_text("edited by hand\n")     # no longer what tlcim wrote
    (tmp_path / "user.json").write_text("someone's\n")
    for name in ("r.json", "user.json"):
        with pytest.raises(ValueError, match="exists and was not written by tlcim .* use "
                                             "--force to replace it"):
            Outputs().file(tmp_path / name)
    with Outputs(force=True) as outputs:
        write_text(outputs.file(tmp_path / "user.json"), "3\n")
    assert (tmp_path / "user.json").read_text() == "3\n"


def test_output_folders_keep_other_files_and_drop_their_stale_ones(tmp_path):
    out = tmp_path / "out"
    with output_dir(out) as stage:
        write_text(stage / "a.v", "a\n")
        write_text(stage / "gone.v", "old\n")
    (out / "notes.txt").write_text("mine\n")
    with output_dir(out) as stage:
        write_text(stage / "a.v", "a2\n")
    assert (out / "a.v").read_text() == "a2\n" and not (out / "gone.v").exists()
    assert (out / "notes.txt").read_text() == "mine\n"
    (out / "a.v").write_text("changed\n")
    with pytest.raises(ValueError, match="a.v' exists and was not written by tlcim"):
        with output_dir(out) as stage:
            write_text(stage / "a.v", "a3\n")
    assert (out / "a.v").read_text() == "changed\n"


def test_inputs_are_never_outputs(tmp_path):
    (tmp_path / "script.json").write_text("[]")
    inputs.read_json(tmp_path / "script.json", "session script")
    with pytest.raises(ValueError, match="is an input of this command"):
        Outputs(force=True).file(tmp_path / "script.json")
    # Through a link to it too.
    (tmp_path / "link.json").symlink_to(tmp_path / "script.json")
    with pytest.raises(ValueError, match="is a symbolic link"):
        Outputs().file(tmp_path / "link.json")


def test_links_are_replaced_never_written_through(tmp_path):
    (tmp_path / "target.txt").write_text("target\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "target.txt")
    with pytest.raises(ValueError, match="is a symbolic link; tlcim does not write through "
                                         "links \\(use --force to replace the link itself\\)"):
        Outputs().file(tmp_path / "link.txt")
    with Outputs(force=True) as outputs:
        write_text(outputs.file(tmp_path / "link.txt"), "new\n")
    assert not (tmp_path / "link.txt").is_symlink()
    assert (tmp_path / "target.txt").read_text() == "target\n"


@pytest.mark.parametrize("setup, path, message", [
    (lambda t: (t / "d").mkdir(), "d", "is a folder; give the path of a file"),
    (lambda t: (t / "f").write_text(""), "f/out.json", "lies under .*f', which is a file"),
    (lambda t: None, "", "must be a path"),
])
def test_impossible_destinations(tmp_path, setup, path, message):
    setup(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match=message):
        with Outputs() as outputs:
            outputs.file(tmp_path / path if path else path)
    assert snapshot(tmp_path) == before


def test_unwritable_destination(tmp_path):
    with pytest.raises(ValueError, match="cannot write into '/proc"):
        Outputs().folder("/proc/tlcim-out")


def test_twice_the_same_output_is_refused(tmp_path):
    with pytest.raises(ValueError, match="'.*a.npy' is written twice by this command"):
        with Outputs() as outputs:
            outputs.file(tmp_path / "a.npy", what="--out")
            outputs.file(tmp_path / "a.npy", what="the out of operation [2]")
    assert list(tmp_path.iterdir()) == []


def test_an_output_folder_refuses_a_foreign_file_it_will_write_before_the_work(tmp_path):
    # A command that names its files (tlcim pnr) is refused when declaring the folder, not
    # after an hour of work at the commit.
    out = tmp_path / "out"
    out.mkdir()
    (out / "layout.png").write_text("someone else's\n")
    worked = []
    with pytest.raises(ValueError, match="layout.png' exists and was not written by tlcim"):
        with output_dir(out, names=["tlcim_top.def", "layout.png"]):
            worked.append(True)
    assert not worked and snapshot(out) == {"layout.png": b"someone else's\n"}
    with output_dir(out, names=["layout.png"], force=True) as stage:   # --force replaces it
        write_text(stage / "layout.png", "ours\n")
    assert (out / "layout.png").read_text() == "ours\n"
