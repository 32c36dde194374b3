"""The Debian tools of place and route, found or refused with a reason, and run as timed,
logged steps.

Each tool is found on ``PATH`` (or at ``$TLCIM_<TOOL>``) and named with its Debian package
when missing. :class:`Steps` runs the flow one step at a time: it prints what each step does
and how long it took, and a step that fails raises :class:`StepError` naming the step, the
tool and the last lines of its log. Every tool run has a time limit.
"""

import contextlib
import importlib.util
import os
import shutil
import subprocess
import time

from tlcim.signoff.library import STA_VARIABLE, SYSTEM_DEPS

__all__ = ["TOOLS", "SYSTEM_DEPS", "StepError", "find", "missing", "Steps"]


#: Tool -> (executable, Debian package, what it does here).
TOOLS = {
    "graywolf": ("graywolf", "graywolf", "standard-cell placement"),
    "qrouter": ("qrouter", "qrouter", "detailed routing"),
    "netgen": ("netgen-lvs", "netgen-lvs", "netlist comparison (LVS)"),
    "tclsh": ("tclsh", "tcl", "qflow's fill and power-stripe script"),
    "sta": ("sta", "opensta", "static timing analysis"),
    "magic": ("magic", "magic", "design-rule check"),
}

#: The environment variable naming a tool's executable where it is not ``TLCIM_<TOOL>``:
#: OpenSTA's is the one sign-off reads (``STA``), so one setting serves both flows.
VARIABLES = {"sta": STA_VARIABLE}

#: qflow's scripts folder (Debian package qflow): addspacers.tcl.
QFLOW_SCRIPTS = "/usr/lib/qflow/scripts"


class StepError(RuntimeError):
    """A step of the flow failed: ``step``, ``tool`` and ``log`` (its last lines)."""

    def __init__(self, step, tool, message, log=""):
        self.step, self.tool, self.log = step, tool, log
        text = f"{step} failed ({tool}): {message}"
        if log:
            text += "\nlast lines of its log:\n" + log
        super().__init__(text)


def find(tool):
    """Return the path of ``tool`` (a key of :data:`TOOLS`): ``$TLCIM_<TOOL>`` (or the
    variable of :data:`VARIABLES`) when set, else the executable on ``PATH``.

    Raises
    ------
    ValueError
        If it is not installed, naming its Debian package.
    """
    executable, package, purpose = TOOLS[tool]
    variable = VARIABLES.get(tool, f"TLCIM_{tool.upper()}")
    given = os.environ.get(variable)
    found = shutil.which(given or executable)
    if not found:
        where = f"${variable} = {given} not found" if given else f"no {executable} on PATH"
        raise ValueError(f"{executable} ({purpose}) is not installed ({where}): install the "
                         f"Debian package {package} ({SYSTEM_DEPS})")
    return found


def qflow_script(name):
    """Return the path of qflow's script ``name``.

    Raises
    ------
    ValueError
        If qflow is not installed.
    """
    path = os.path.join(os.environ.get("TLCIM_QFLOW_SCRIPTS", QFLOW_SCRIPTS), name)
    if not os.path.isfile(path):
        raise ValueError(f"qflow's {name} is missing (not in {os.path.dirname(path)}): "
                         f"install the Debian package qflow ({SYSTEM_DEPS})")
    return path


def missing():
    """Return the reasons (strings) why place and route cannot run here; empty if it can."""
    reasons = []
    for tool in TOOLS:
        try:
            find(tool)
        except ValueError as error:
            reasons.append(str(error))
    try:
        qflow_script("addspacers.tcl")
    except ValueError as error:
        reasons.append(str(error))
    # The picture is the flow's last step: without this check a missing package was refused
    # only after the whole run.
    if importlib.util.find_spec("klayout") is None:
        reasons.append("the layout picture needs the PyPI package klayout (pip install "
                       "klayout, or pip install . in the project)")
    return reasons


def _tail(path, lines=20):
    try:
        with open(path, errors="replace") as file:
            text = file.read()
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


class Steps:
    """Runs the flow's steps with progress lines and records their times.

    Parameters
    ----------
    work : pathlib.Path
        Where the tools run and write their logs (``<step>.log``).
    progress : callable
        Receives each progress line.
    """

    def __init__(self, work, progress=print):
        self.work = work
        self.progress = progress
        self.times = {}
        self._step = None

    @contextlib.contextmanager
    def step(self, name, what):
        """Run the body as step ``name`` (printing ``what`` first and its time after);
        any exception becomes a :class:`StepError` of this step unless it is one already
        or a ``ValueError`` (bad input)."""
        self.progress(f"[pnr] {name}: {what} ...")
        self._step = name
        start = time.monotonic()
        try:
            yield
        except (StepError, ValueError):
            raise
        except Exception as error:  # a bug or a tool's surprise: still name the step
            raise StepError(name, "tlcim", f"{type(error).__name__}: {error}") from error
        finally:
            self._step = None
        seconds = time.monotonic() - start
        self.times[name] = self.times.get(name, 0.0) + seconds
        self.progress(f"[pnr] {name}: done in {seconds:.1f} s")

    def run(self, tool, arguments, *, log, timeout, stdin=None, check=None, folder=None):
        """Run ``tool`` with ``arguments`` in the work folder (or its subfolder ``folder``),
        its output into ``log`` (a file name there); return the log's text. Runs may overlap
        (one thread each).

        ``check(text)`` may return an error message for a run that exited 0 but failed.

        Raises
        ------
        StepError
            On a non-zero exit, a time-out or a failed ``check``, with the log's last lines.
        """
        cwd = self.work / folder if folder else self.work
        path = cwd / log
        command = [find(tool) if tool in TOOLS else tool] + list(arguments)
        name = TOOLS[tool][0] if tool in TOOLS else os.path.basename(tool)
        with open(path, "w") as output:
            try:
                result = subprocess.run(command, cwd=cwd, stdout=output,
                                        stderr=subprocess.STDOUT, timeout=timeout,
                                        input=stdin, text=True,
                                        stdin=None if stdin is not None else
                                        subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise StepError(self._step, name, f"no result within {timeout:.0f} s",
                                _tail(path)) from None
        with open(path, errors="replace") as file:
            text = file.read()
        if result.returncode:
            raise StepError(self._step, name, f"exit status {result.returncode}", _tail(path))
        problem = check(text) if check else None
        if problem:
            raise StepError(self._step, name, problem, _tail(path))
        return text
