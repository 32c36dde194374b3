"""The waveform switch: ``TLCIM_WAVES=1`` makes every simulation record its waveforms.

Verilator runs of the generated Verilog (:func:`tlcim.sim.rtl.run_cocotb`) write FST into their
run folder (the builds are then separate ``-waves`` variants with tracing compiled in); Amaranth
simulations run through :func:`run_simulation` write VCD into ``build/waves/`` beside the
simulator builds. Every file written is printed. Waveforms cost time and disk, so nothing is
recorded unless asked for.
"""

import contextlib
import os
import re

from .paths import waves_folder

__all__ = ["WAVES_VARIABLE", "waves_requested", "run_simulation"]

#: The environment variable of the switch: ``1`` records waveforms, ``0`` or unset does not.
WAVES_VARIABLE = "TLCIM_WAVES"


def waves_requested():
    """Return whether ``TLCIM_WAVES`` asks for waveforms.

    Raises
    ------
    ValueError
        If the variable holds anything but ``0``, ``1`` or nothing.
    """
    value = os.environ.get(WAVES_VARIABLE, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{WAVES_VARIABLE} must be 1 (record waveforms) or 0, not {value!r}")
    return value == "1"


def run_simulation(simulator, name, *, until=None):
    """Run an ``amaranth.sim.Simulator`` to the end (or to ``until`` seconds of simulated time),
    recording ``<tlcim.sim.paths.waves_folder()>/<name>.vcd`` when waveforms are requested.

    Parameters
    ----------
    simulator : amaranth.sim.Simulator
    name : str
        Names the waveform file; characters other than letters, digits, ``-``, ``_`` and
        ``.`` become ``_`` (a pytest node id is fine).
    until : float, optional
        Simulated seconds to run for (``Simulator.run_until``); default: until the
        testbenches end.
    """
    recording = contextlib.nullcontext()
    if waves_requested():
        folder = waves_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".vcd")
        recording = simulator.write_vcd(str(path))
        print(f"waves: {path}", flush=True)
    with recording:
        if until is None:
            simulator.run()
        else:
            simulator.run_until(until)
