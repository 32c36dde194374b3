"""Packaging: users import one name, ``tlcim``, however it is installed and wherever it runs.

The repository keeps ``golden/``, ``hw/``, ``sim/`` and ``tb/`` at its top level; ``pyproject.toml``
maps them into the ``tlcim`` package. These tests build the wheel and check that it holds
``tlcim`` alone with every package folder and data file, and run the command line and the
Python API from a folder holding a user's own ``tb``, ``sim``, ``hw`` and ``golden`` packages
on ``PYTHONPATH``, both with the editable install of the checkout and with the wheel.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from tlcim.sim import rtl
from tlcim.sim.paths import sim_root

ROOT = pathlib.Path(__file__).resolve().parents[1]
MAPPED = {"tlcim": "tlcim", "golden": "tlcim.golden", "hw": "tlcim.hw", "sim": "tlcim.sim",
          "tb": "tlcim.tb"}
EXAMPLE = ROOT / "examples" / "small_session"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel of the checkout, built without build isolation (no index needed)."""
    folder = tmp_path_factory.mktemp("wheel")
    # Build from a copy: setuptools writes its build folder beside the sources.
    source = folder / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "--wheel-dir", str(folder), str(source)],
                   check=True, capture_output=True)
    (path,) = folder.glob("tlcim-*.whl")
    return path


def _names(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_wheel_holds_tlcim_alone(wheel):
    names = _names(wheel)
    top = {name.split("/")[0] for name in names}
    assert {name for name in top if not name.endswith(".dist-info")} == {"tlcim"}
    (info,) = {name for name in names if name.endswith("dist-info/top_level.txt")}
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(info).decode().split() == ["tlcim"]


def test_wheel_holds_every_package_and_data_file(wheel):
    names = set(_names(wheel))
    for folder, package in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            inside = init.parent.relative_to(ROOT / folder)
            expected = "/".join([*package.split("."), *inside.parts, "__init__.py"])
            assert expected in names, f"{init.relative_to(ROOT)} is not packaged"
    for data in ("tlcim/hw/verilog/tlcim_wsram.v", "tlcim/sim/tlcim_harness.v",
                 "tlcim/sim/tlcim_subarray_model.cpp",
                 "tlcim/data/generic.lib",
                 "tlcim/data/tlcim_top.sdc.in"):
        assert data in names


@pytest.fixture
def user_project(tmp_path):
    """A user's project: its own ``tb``, ``sim``, ``hw`` and ``golden`` packages, which fail
    loudly if anything imports them, and a copy of the example session script."""
    project = tmp_path / "project"
    for name in ("tb", "sim", "hw", "golden"):
        (project / name).mkdir(parents=True)
        (project / name / "__init__.py").write_text(
            f"raise RuntimeError('the user project\\'s {name} package was imported')\n")
    shutil.copytree(EXAMPLE, project / "session")
    return project


def _installed(kind, wheel, tmp_path):
    # PYTHONPATH entries that select the install: the editable one of the checkout (already
    # in this interpreter's site-packages) or the wheel unpacked into a folder of its own.
    if kind == "editable":
        return []
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile",
                    "--quiet", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    return [str(target)]


@pytest.mark.parametrize("kind", ["editable", "wheel"])
def test_commands_beside_a_user_project(kind, wheel, user_project, tmp_path):
    if rtl.simulator_missing("verilator"):
        pytest.skip(rtl.simulator_missing("verilator"))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(user_project),
                                         *_installed(kind, wheel, tmp_path)])
    # Share the checkout's simulator builds (the wheel's own default is ./build/sim).
    env["TLCIM_SIM_DIR"] = str(sim_root())

    def run(*args):
        done = subprocess.run([sys.executable, *args], cwd=user_project, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    where = run("-c", "import tlcim, tlcim.golden, tlcim.hw.top, tlcim.sim.rtl, tlcim.tb.tb\n"
                      "from tlcim.golden import Config\n"
                      "assert Config.load('small').rows == 64\n"
                      "print(tlcim.__file__)")
    assert pathlib.Path(where.strip()).is_relative_to(
        ROOT if kind == "editable" else tmp_path / "site")
    run("-m", "tlcim", "build", "--config", "small", "--out", "out")
    assert (user_project / "out" / "rtl" / "tlcim_top.v").is_file()
    inputs = {path.name for path in (user_project / "session").glob("*.npy")}
    entries, outputs = {}, {}
    for target in ("golden", "rtl"):
        out = user_project / f"R-{target}.json"
        run("-m", "tlcim", "run", "--config", "small", "--target", target,
            "--script", "session/session.json", "--out", str(out))
        entries[target] = json.loads(out.read_text())
        outputs[target] = {}
        for path in sorted((user_project / "session").glob("*.npy")):
            if path.name not in inputs:
                outputs[target][path.name] = np.load(path)
                path.unlink()
    assert entries["rtl"] == entries["golden"]
    assert sorted(outputs["rtl"]) == sorted(outputs["golden"]) != []
    for name, array in outputs["golden"].items():
        np.testing.assert_array_equal(outputs["rtl"][name], array, err_msg=name)
