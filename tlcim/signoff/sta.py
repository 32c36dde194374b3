"""Static timing analysis with OpenSTA: the script, running it, and reading its results.

:func:`sta_script` writes the Tcl that times a mapped netlist with both Liberty files and the
SDC that ``tlcim export`` ships; every path in it is relative to the sign-off folder, so
``cd DIR && sta sta/sta.tcl`` reruns it on exactly the files written. Besides the SDC it sets
one thing of the library: the inputs are driven by its ``drive_cell`` (as in mapping).

OpenSTA (2.0.17, Debian's ``opensta``) exits with 0 even when it could not read a file or
parse the netlist: :func:`run_sta` fails on any ``Error`` line instead. Setup figures come
from ``sta::worst_slack_cmd max`` and ``total_negative_slack_cmd max``, hold from the same
with ``min`` (this version's ``report_wns``/``report_tns`` are setup only). Fmax is
``1000 / (period - worst setup slack)`` (one clock, no multicycle paths).

Paths are named by block: a cell's instance name starts with the Amaranth module path of the
hierarchy it was mapped in (``datapath.output.ff12`` is in ``datapath.output``), which
:func:`module_blocks` maps onto the blocks of the area report (:data:`tlcim.synth.BLOCKS`).
"""

import dataclasses
import re
import subprocess

from .library import find_sta

__all__ = ["REPORTS", "sta_script", "Timing", "read_summary", "run_sta", "module_blocks",
           "block_of"]

#: Report files :func:`sta_script` writes into ``sta/``: what each holds.
REPORTS = {
    "setup.rpt": "the worst setup path, in full",
    "hold.rpt": "the worst hold path, in full",
    "setup_paths.rpt": "the worst setup path to each endpoint (summary)",
    "hold_paths.rpt": "the worst hold path to each endpoint (summary)",
    "transition.rpt": "transition limit violations",
}
#: Endpoints listed in the path summaries.
PATH_COUNT = 100000
_FIELDS = "{net fanout capacitance slew input_pin}"


def sta_script(*, cell_lib, macro_lib, netlist, sdc, technology, out="sta"):
    """Return the OpenSTA script (paths relative to the folder it runs in).

    It prints ``tlcim <key> <value>`` lines that :func:`run_sta` reads (``period``,
    ``setup_wns``, ``setup_tns``, ``hold_wns``, ``hold_tns``, ``transition_violations``) and
    writes :data:`REPORTS` into ``out``.
    """
    return "\n".join([
        "# OpenSTA script of tlcim signoff; rerun from the sign-off folder: sta sta/sta.tcl",
        f"read_liberty {cell_lib}",
        f"read_liberty {macro_lib}",
        f"read_verilog {netlist}",
        "link_design tlcim_top",
        f"read_sdc {sdc}",
        "# The inputs are driven by the library's input driver, as ABC assumed while mapping.",
        f"set_driving_cell -lib_cell {technology.drive_cell} "
        "[delete_from_list [all_inputs] [get_ports clk]]",
        f"report_checks -path_delay max -fields {_FIELDS} -digits 3 > {out}/setup.rpt",
        f"report_checks -path_delay min -fields {_FIELDS} -digits 3 > {out}/hold.rpt",
        f"report_checks -path_delay max -group_count {PATH_COUNT} -endpoint_count 1 "
        f"-format summary -digits 3 > {out}/setup_paths.rpt",
        f"report_checks -path_delay min -group_count {PATH_COUNT} -endpoint_count 1 "
        f"-format summary -digits 3 > {out}/hold_paths.rpt",
        f"report_check_types -max_transition -all_violators > {out}/transition.rpt",
        'puts "tlcim period [get_property [get_clocks clk] period]"',
        'foreach {key kind} {setup max hold min} {',
        '  puts "tlcim ${key}_wns [sta::format_time [sta::worst_slack_cmd $kind] 4]"',
        '  puts "tlcim ${key}_tns [sta::format_time [sta::total_negative_slack_cmd $kind] 4]"',
        '}',
        f'set violations [llength [regexp -all -inline -line {{VIOLATED}} '
        f'[read [open {out}/transition.rpt]]]]',
        'puts "tlcim transition_violations $violations"',
        "exit",
    ]) + "\n"


@dataclasses.dataclass(frozen=True)
class Timing:
    """What one OpenSTA run found.

    Members
    -------
    period_ns, setup_wns_ns, setup_tns_ns, hold_wns_ns, hold_tns_ns : float
    transition_violations : int
    setup_paths, hold_paths : tuple of (startpoint, endpoint, slack_ns)
        The worst path to each endpoint, worst first.
    warnings : tuple of str
        OpenSTA's warnings.
    """

    period_ns: float
    setup_wns_ns: float
    setup_tns_ns: float
    hold_wns_ns: float
    hold_tns_ns: float
    transition_violations: int
    setup_paths: tuple
    hold_paths: tuple
    warnings: tuple

    @property
    def fmax_mhz(self):
        """The highest clock at which setup is met: ``1000 / (period - worst setup slack)``."""
        return 1000.0 / (self.period_ns - self.setup_wns_ns)

    @property
    def met(self):
        """Whether setup and hold are met and no transition limit is exceeded."""
        return self.setup_wns_ns >= 0 and self.hold_wns_ns >= 0 and \
            not self.transition_violations


def read_summary(text):
    """Return ``((startpoint, endpoint, slack_ns), ...)`` of ``report_checks -format summary``
    output (a line ``startpoint (kind)  endpoint (kind)  slack`` per path)."""
    found = []
    for line in text.splitlines():
        match = re.match(r"^(\S+) \(.*?\)\s+(\S+) \(.*?\)\s+(-?[0-9.]+)\s*$", line)
        if match:
            found.append((match.group(1), match.group(2), float(match.group(3))))
    return tuple(found)


def run_sta(folder, script="sta/sta.tcl", out="sta"):
    """Run OpenSTA on ``script`` in ``folder`` and return the :class:`Timing` it reports.

    Raises
    ------
    ValueError
        If OpenSTA is not installed (naming the Debian package).
    RuntimeError
        If OpenSTA reports an error (it exits with 0 on errors): the error lines.
    """
    result = subprocess.run(find_sta() + ["-no_init", "-no_splash", script], cwd=folder,
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if line.startswith("Error")]
    if errors or result.returncode:
        raise RuntimeError(f"OpenSTA failed (exit {result.returncode}) in {folder}:\n" +
                           "\n".join((errors or output.splitlines())[-20:]))
    values = dict(re.findall(r"^tlcim (\S+) (\S+)$", output, re.MULTILINE))
    missing = [key for key in ("period", "setup_wns", "setup_tns", "hold_wns", "hold_tns",
                               "transition_violations") if key not in values]
    if missing:
        raise RuntimeError(f"OpenSTA did not report {', '.join(missing)} in {folder}:\n" +
                           "\n".join(output.splitlines()[-20:]))
    reports = folder / out
    return Timing(
        period_ns=float(values["period"]), setup_wns_ns=float(values["setup_wns"]),
        setup_tns_ns=float(values["setup_tns"]), hold_wns_ns=float(values["hold_wns"]),
        hold_tns_ns=float(values["hold_tns"]),
        transition_violations=int(values["transition_violations"]),
        setup_paths=read_summary((reports / "setup_paths.rpt").read_text()),
        hold_paths=read_summary((reports / "hold_paths.rpt").read_text()),
        warnings=tuple(line for line in output.splitlines() if line.startswith("Warning")))


def module_blocks(config):
    """Return ``{Amaranth module path: block}`` for the periphery of ``config``: the paths
    (``datapath.output``) of the instances of each block of :data:`tlcim.synth.BLOCKS`, and of
    the macros (``"subarray macro"``)."""
    from amaranth.hdl import Fragment
    from tlcim.synth import block_classes, periphery_top
    classes = block_classes()
    found = {}

    def walk(fragment, path):
        for origin in getattr(fragment, "origins", None) or ():
            block = classes.get(type(origin))
            if block is not None:
                found[".".join(path)] = block
                return
        for sub, name, *_ in fragment.subfragments:
            walk(sub, path + [name] if name else path)
    walk(Fragment.get(periphery_top(config), None), [])
    return found


def block_of(point, blocks):
    """Return the block of a timing start- or endpoint (``datapath.output.ff3/D``, an
    instance pin, or ``s_axis_x_tdata[3]``, a port): the longest module path of ``blocks``
    (:func:`module_blocks`) that prefixes its instance, else that module path; ports are
    ``"input s_axis_x"`` or ``"output m_axis_y"``."""
    if "/" not in point:
        port = re.sub(r"\[\d+\]$", "", point)
        prefix = re.match(r"^(s_axil|s_axis_x|s_axis_w|m_axis_y)_", port)
        return f"port {prefix.group(1) if prefix else port}"
    instance = point.rsplit("/", 1)[0]
    if instance.endswith(".macro"):
        return "subarray macro"
    module = instance.rsplit(".", 1)[0] if "." in instance else "tlcim_top"
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        block = blocks.get(".".join(parts[:length]))
        if block is not None:
            return block
    return module
