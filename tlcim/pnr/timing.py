"""Post-route static timing with OpenSTA: the routed netlist, its parasitics, both Liberty files
and the SDC, setup and hold.

OpenSTA (Debian's 2019 build) exits 0 even when a command fails, so its log is checked for
``Error`` lines; it has no ``report_worst_slack -max``, so the worst slacks are read from
``report_checks``. Fmax is ``1 / (period - WNS)``: the clock at which the worst setup path
would just meet its constraint, with the I/O delays kept as they are at the sign-off clock.
"""

import dataclasses
import re

from tlcim.signoff.sta import PATH_COUNT, read_summary

__all__ = ["Timing", "sta_script", "read_timing", "check_log", "reports", "hold_endpoints"]


@dataclasses.dataclass(frozen=True)
class Timing:
    """Post-route timing: ``wns_ns`` (setup), ``hold_wns_ns``, ``tns_ns`` (setup),
    ``clock_mhz`` and the start and end points of the worst setup and hold paths."""

    clock_mhz: float
    wns_ns: float
    hold_wns_ns: float
    tns_ns: float
    setup_path: tuple
    hold_path: tuple

    @property
    def fmax_mhz(self):
        """``1 / (period - WNS)`` in MHz."""
        return 1000.0 / (1000.0 / self.clock_mhz - self.wns_ns)

    @property
    def met(self):
        """Whether setup and hold are met."""
        return self.wns_ns >= 0 and self.hold_wns_ns >= 0


def sta_script(liberties, netlist, top, sdc, spef=None, *, propagated=True, hold_below=None):
    """Return the OpenSTA script: read, link, annotate, constrain, then the worst setup and
    hold paths (between ``=== setup``/``=== hold``/``=== end`` markers) and the setup TNS;
    with ``hold_below`` (ns), then every endpoint whose hold slack is below it
    (:func:`hold_endpoints`)."""
    lines = [f"read_liberty {lib}" for lib in liberties]
    lines += [f"read_verilog {netlist}", f"link_design {top}"]
    if spef:
        lines.append(f"read_spef {spef}")
    lines.append(f"read_sdc {sdc}")
    if propagated:
        lines.append("set_propagated_clock [all_clocks]")
    lines += [
        'puts "=== setup"',
        "report_checks -path_delay max -fields {slew cap input_pins} -digits 3",
        'puts "=== hold"',
        "report_checks -path_delay min -fields {slew cap input_pins} -digits 3",
        'puts "=== end"',
        "report_tns",
    ]
    if hold_below is not None:
        lines += ['puts "=== hold endpoints"',
                  f"report_checks -path_delay min -group_count {PATH_COUNT} -endpoint_count 1 "
                  f"-slack_max {hold_below:.4f} -format summary -digits 3",
                  'puts "=== hold endpoints end"']
    lines.append("exit")
    return "\n".join(lines) + "\n"


def hold_endpoints(log):
    """Return ``((startpoint, endpoint, slack_ns), ...)``: the hold paths of an OpenSTA log of
    :func:`sta_script` with ``hold_below``, one per endpoint, worst first."""
    listed = log.split("=== hold endpoints\n", 1)[-1].split("=== hold endpoints end", 1)[0]
    return read_summary(listed) if "=== hold endpoints\n" in log else ()


def check_log(log):
    """Return an error message for the first ``Error`` line of an OpenSTA log, or None."""
    found = re.search(r"^Error.*$", log, re.MULTILINE)
    return found.group(0) if found else None


def _worst(report):
    slack = re.search(r"^\s*(-?[\d.]+)\s+slack\s+\((MET|VIOLATED)\)", report, re.MULTILINE)
    start = re.search(r"^Startpoint:\s*(\S+)", report, re.MULTILINE)
    end = re.search(r"^Endpoint:\s*(\S+)", report, re.MULTILINE)
    if not slack:
        return None, ()
    return float(slack.group(1)), (start.group(1) if start else "", end.group(1) if end else "")


def read_timing(log, clock_mhz):
    """Return the :class:`Timing` of an OpenSTA log of :func:`sta_script`; reports without
    paths (nothing constrained) raise ``ValueError``."""
    setup = log.split("=== setup", 1)[-1].split("=== hold", 1)[0]
    hold = log.split("=== hold", 1)[-1].split("=== end", 1)[0]
    wns, setup_path = _worst(setup)
    hold_wns, hold_path = _worst(hold)
    if wns is None or hold_wns is None:
        raise ValueError("OpenSTA found no constrained paths (is the clock port named clk?)")
    tns = re.search(r"^tns\s+(-?[\d.]+)", log.split("=== end", 1)[-1], re.MULTILINE)
    return Timing(clock_mhz, wns, hold_wns, float(tns.group(1)) if tns else 0.0,
                  setup_path, hold_path)


def reports(log):
    """Return ``(setup, hold)``: the text of the two reports in an OpenSTA log."""
    setup = log.split("=== setup", 1)[-1].split("=== hold", 1)[0].strip() + "\n"
    hold = log.split("=== hold", 1)[-1].split("=== end", 1)[0].strip() + "\n"
    return setup, hold
