"""The standard-cell library and the tools of the sign-off flow, found or refused with a reason.

The flow maps the periphery onto the OSU 0.18 um standard cells that qflow ships (Debian
package ``qflow-tech-osu018``: an NLDM Liberty of the typical corner, a LEF with the routing
layers and the cell abstracts, and Verilog models of the cells), times it with OpenSTA
(Debian package ``opensta``) and proves it equivalent with ABC (``berkeley-abc``). Nothing is
assumed silently: the library folder is ``$TLCIM_OSU018_DIR`` when set, else the folder the
Debian package installs; OpenSTA is ``$STA`` or ``sta``, ABC ``$ABC`` or ``berkeley-abc``;
a missing file or tool is refused with a ``ValueError`` that names the Debian package and the
environment variable (``make system-deps`` installs every package as root).

What the flows take from the library besides its files is a static :class:`Technology`
(:data:`OSU018`), so the macro views need no installed library (``tlcim export`` ships them
from PyPI alone): the cells flip-flops, buffers and input drivers are mapped onto, the node the
cells belong to (for scaling the paper's 28 nm cell area into a consistent floorplan), the
placement site, the core supply, and the routing layers of the LEF (:class:`RoutingLayer`:
direction, pitch, offset, width) on which the macro's pins sit. :func:`read_technology` reads
the same figures from the installed files; a test checks that they agree.
"""

import dataclasses
import os
import pathlib
import re
import shutil

__all__ = ["LIBRARY_VARIABLE", "DEFAULT_FOLDER", "LIBRARY_PACKAGE", "STA_VARIABLE",
           "STA_PACKAGE", "ABC_VARIABLE", "ABC_PACKAGE", "SYSTEM_DEPS", "RoutingLayer", "Technology", "OSU018", "CellLibrary",
           "read_technology", "find_library", "find_sta", "find_abc", "missing_tools"]

#: The environment variable naming the folder of the osu018 files.
LIBRARY_VARIABLE = "TLCIM_OSU018_DIR"
#: Where the Debian package puts them.
DEFAULT_FOLDER = pathlib.Path("/usr/share/qflow/tech/osu018")
#: The Debian package of the library.
LIBRARY_PACKAGE = "qflow-tech-osu018"
#: The environment variable naming the OpenSTA executable, and its Debian package.
STA_VARIABLE, STA_PACKAGE = "STA", "opensta"
#: The environment variable naming ABC (the equivalence proof), and its Debian package.
ABC_VARIABLE, ABC_PACKAGE = "ABC", "berkeley-abc"
#: How to install every system package the flows use (README, docs/signoff.md).
SYSTEM_DEPS = "make system-deps (as root)"


@dataclasses.dataclass(frozen=True)
class RoutingLayer:
    """A routing layer of the library's LEF.

    Members
    -------
    name : str
    horizontal : bool
        Preferred direction.
    pitch, offset, width : float
        Track pitch, offset of the first track and minimum wire width, in um.
    """

    name: str
    horizontal: bool
    pitch: float
    offset: float
    width: float


@dataclasses.dataclass(frozen=True)
class Technology:
    """What the flows take from a standard-cell library besides its files.

    A static description, so that the macro views (:mod:`tlcim.signoff.views`) and
    ``tlcim export`` need no installed library; :func:`read_technology` reads the same figures
    from the installed files, and the tests check that they agree.

    Members
    -------
    name : str
        Short name (``"osu018"``), used in file names and reports.
    node_nm : int
        Drawn feature size of the process the cells are drawn in.
    corner : str
        The Liberty's operating condition, as timed.
    nominal_voltage : float
        The Liberty's ``nom_voltage`` (the core supply of its corner), in V.
    site : (float, float)
        Width and height in um of the core placement site (one row of cells).
    layers : tuple of RoutingLayer
        The routing layers of the LEF, bottom up.
    flop, flop_clock, flop_data, flop_output : str
        The D flip-flop every register is mapped onto, and its pins.
    buffer, buffer_input, buffer_output : str
        The buffer inserted for wire connections and hold fixing, and its pins.
    drive_cell : str
        The cell assumed to drive the inputs (ABC's ``set_driving_cell``, STA's
        ``set_driving_cell``).
    abc_load : float
        Load on every output while mapping (ABC's ``set_load``, in fF).
    """

    name: str
    node_nm: int
    corner: str
    nominal_voltage: float
    site: tuple
    layers: tuple
    flop: str
    flop_clock: str
    flop_data: str
    flop_output: str
    buffer: str
    buffer_input: str
    buffer_output: str
    drive_cell: str
    abc_load: float


#: The OSU 0.18 um cells of qflow, as its LEF and Liberty describe them.
OSU018 = Technology(
    name="osu018", node_nm=180, corner="typical (process 1, 1.8 V, 25 C)",
    nominal_voltage=1.8, site=(0.8, 10.0),
    layers=(RoutingLayer("metal1", True, 1.0, 0.5, 0.3),
            RoutingLayer("metal2", False, 0.8, 0.4, 0.3),
            RoutingLayer("metal3", True, 1.0, 0.5, 0.3),
            RoutingLayer("metal4", False, 0.8, 0.4, 0.3),
            RoutingLayer("metal5", True, 1.0, 0.5, 0.3),
            RoutingLayer("metal6", False, 1.6, 0.8, 0.5)),
    flop="DFFPOSX1", flop_clock="CLK", flop_data="D", flop_output="Q",
    buffer="BUFX2", buffer_input="A", buffer_output="Y", drive_cell="BUFX4", abc_load=20.0)


@dataclasses.dataclass(frozen=True)
class CellLibrary:
    """An installed standard-cell library: its :class:`Technology` and files.

    Members
    -------
    technology : Technology
    folder : pathlib.Path
    liberty, lef, verilog : pathlib.Path
        The NLDM Liberty (one corner), the LEF (technology and cell abstracts) and the
        Verilog models of the cells.
    """

    technology: Technology
    folder: pathlib.Path
    liberty: pathlib.Path
    lef: pathlib.Path
    verilog: pathlib.Path


def read_technology(lef, liberty):
    """Return ``{"layers", "site", "nominal_voltage"}`` as the files ``lef`` and ``liberty``
    state them (the figures of :class:`Technology` that come from the files)."""
    text = pathlib.Path(lef).read_text()
    layers = []
    for name, body in re.findall(r"^LAYER\s+(\S+)\s*\n(.*?)^END\s+\1", text,
                                 re.MULTILINE | re.DOTALL):
        if not re.search(r"TYPE\s+ROUTING", body):
            continue
        value = {key: re.search(rf"^\s*{key}\s+(\S+)", body, re.MULTILINE)
                 for key in ("DIRECTION", "PITCH", "OFFSET", "WIDTH")}
        layers.append(RoutingLayer(name, value["DIRECTION"].group(1) == "HORIZONTAL",
                                   *(float(value[key].group(1))
                                     for key in ("PITCH", "OFFSET", "WIDTH"))))
    site = re.search(r"^SITE\s+\S+.*?SIZE\s+(\S+)\s+BY\s+(\S+)", text,
                     re.MULTILINE | re.DOTALL)
    voltage = re.search(r"nom_voltage\s*:\s*([0-9.]+)", pathlib.Path(liberty).read_text())
    return {"layers": tuple(layers), "site": (float(site.group(1)), float(site.group(2))),
            "nominal_voltage": float(voltage.group(1))}


def find_library():
    """Return the osu018 :class:`CellLibrary`: in ``$TLCIM_OSU018_DIR`` when set, else in the
    Debian package's folder.

    Raises
    ------
    ValueError
        If a file is missing, naming the folder, the package and the variable.
    """
    given = os.environ.get(LIBRARY_VARIABLE)
    folder = pathlib.Path(given) if given else DEFAULT_FOLDER
    files = {kind: folder / f"osu018_stdcells.{kind}" for kind in ("lib", "lef", "v")}
    missing = [path.name for path in files.values() if not path.is_file()]
    if missing:
        where = f"${LIBRARY_VARIABLE} = {given}" if given else str(folder)
        raise ValueError(f"the osu018 standard-cell library is missing ({', '.join(missing)} "
                         f"not in {where}): install the Debian package {LIBRARY_PACKAGE} "
                         f"({SYSTEM_DEPS}) or set {LIBRARY_VARIABLE} to the folder holding "
                         f"osu018_stdcells.lib, .lef and .v")
    return CellLibrary(technology=OSU018, folder=folder, liberty=files["lib"],
                       lef=files["lef"], verilog=files["v"])


def find_sta():
    """Return the command (a list) that runs OpenSTA: ``$STA`` when set, else ``sta``.

    Raises
    ------
    ValueError
        If it is not installed, naming the Debian package.
    """
    given = os.environ.get(STA_VARIABLE)
    found = shutil.which(given or "sta")
    if not found:
        where = f"${STA_VARIABLE} = {given} not found" if given else "no sta on PATH"
        raise ValueError(f"OpenSTA is not installed ({where}): "
                         f"install the Debian package {STA_PACKAGE} ({SYSTEM_DEPS}) or set "
                         f"{STA_VARIABLE} to its executable")
    return [found]


def find_abc():
    """Return the command (a list) that runs ABC: ``$ABC`` when set, else ``berkeley-abc``
    or ``yosys-abc`` on ``PATH``.

    Raises
    ------
    ValueError
        If none is installed, naming the Debian package.
    """
    given = os.environ.get(ABC_VARIABLE)
    for name in ([given] if given else ["berkeley-abc", "yosys-abc"]):
        found = shutil.which(name)
        if found:
            return [found]
    where = f"${ABC_VARIABLE} = {given} not found" if given else "no berkeley-abc on PATH"
    raise ValueError(f"ABC is not installed ({where}): install the Debian package "
                     f"{ABC_PACKAGE} ({SYSTEM_DEPS}) or set {ABC_VARIABLE} to its executable")


def missing_tools(*, icarus=False):
    """Return the reasons (strings) why the sign-off flow cannot run here; empty if it can.

    ``icarus`` also asks for Icarus Verilog (gate-level simulation's default simulator).
    """
    reasons = []
    for find in (find_library, find_sta, find_abc):
        try:
            find()
        except ValueError as error:
            reasons.append(str(error))
    if icarus and shutil.which("iverilog") is None:
        reasons.append(f"Icarus Verilog is not installed: install the Debian package iverilog "
                       f"({SYSTEM_DEPS})")
    return reasons
