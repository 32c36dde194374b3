"""Where simulations keep what they build and record: ``build/sim`` (simulator builds, one
folder per configuration and simulator) and ``build/waves`` (Amaranth waveforms), under the
project checkout, or under ``$TLCIM_SIM_DIR`` and beside it."""

import os
import pathlib

__all__ = ["SIM_DIR_VARIABLE", "sim_root", "waves_folder"]

#: The environment variable that moves the simulator builds.
SIM_DIR_VARIABLE = "TLCIM_SIM_DIR"


def sim_root():
    """Return the folder of simulation builds: ``$TLCIM_SIM_DIR``, else ``build/sim`` in the
    project checkout (or, for an installed package, in the working directory).

    Raises
    ------
    ValueError
        If ``$TLCIM_SIM_DIR`` names something that is not a folder (or lies under a file).
    """
    if os.environ.get(SIM_DIR_VARIABLE):
        root = pathlib.Path(os.environ[SIM_DIR_VARIABLE])
        ancestor = root
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise ValueError(f"${SIM_DIR_VARIABLE} must name a folder, not "
                             f"{str(root)!r} ({str(ancestor)!r} is a file)")
        return root
    project = pathlib.Path(__file__).resolve().parents[1]
    base = project if (project / "pyproject.toml").exists() else pathlib.Path.cwd()
    return base / "build" / "sim"


def waves_folder():
    """Return the folder of Amaranth simulation waveforms: ``waves`` beside :func:`sim_root`."""
    return sim_root().parent / "waves"
