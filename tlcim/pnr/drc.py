"""Design-rule check of the routed layout with magic, on the library's own rule deck.

magic reads the LEF abstracts of the cells and the macro and the routed DEF, and checks the
wires, vias and pins against ``SCN6M_SUBM.10``, the MOSIS scalable rules that
``qflow-tech-osu018`` ships for these cells (widths, spacings, minimum areas of every metal and
via layer), as qflow's own ``drc.sh`` does. What it cannot check: the inside of the cells
(the Debian library has no cell layouts, only abstracts) and the inside of the macro.

:func:`script_text` writes magic's batch script; :func:`check_log` says whether magic got to
its counts, :func:`read_errors` reads each error's rule and place back from its log (lines
``*** drc ...`` the script prints), and :func:`report_text` writes the count of each rule.
"""

import re

__all__ = ["RULES", "script_text", "check_log", "read_errors", "report_text"]

#: magic's technology file (in the library folder), as ``osu018.magicrc`` loads it.
RULES = "SCN6M_SUBM.10"


def script_text(tech_folder, lefs, def_name, design, windows=None):
    """Return magic's batch script: load the rules from ``tech_folder``, read ``lefs`` and
    ``def_name``, check the whole of ``design`` (or only ``windows``, ``(x0, y0, x1, y1)`` in
    um) and print the counts and where the errors are."""
    lines = [f"path sys +{tech_folder}", f"tech load {RULES} -noprompt",
             # The macro's pins sit on half-lambda coordinates (0.05 um): on magic's default
             # grid of one lambda they would be rounded into slivers that are not there.
             "scalegrid 1 2", "drc euclidean on", "drc off"]
    lines += [f"lef read {lef}" for lef in lefs]
    lines += [f"def read {def_name}", f"load {design}", "select top cell", "expand", "drc on"]
    # The whole cell: the box "select top cell" left.
    boxes = [[]] if windows is None else \
        [[f"box {x0:.2f}um {y0:.2f}um {x1:.2f}um {y1:.2f}um"] for x0, y0, x1, y1 in windows]
    for box in boxes:
        lines += box + ["drc check"]
    # Each error magic counts is found on its error plane ("drc find": the box goes to it)
    # and its rule asked for under that small box: "drc listall why" checks the area under
    # the box again, so listing whole slices would cost as much as checking them. The total
    # is the errors listed: after a check of windows only, magic's count once said 1 where
    # none was listed. A small box may name a too-narrow piece's width as well as its area.
    lines += ["drc catchup",
              "set total 0",
              'puts stdout "*** drc scale: [cif scale out]"',
              "set found [drc list count total]",
              "for {set i 1} {$i <= $found} {incr i} {",
              "    drc find $i",
              "    foreach {why boxes} [drc listall why] {",
              '        foreach box $boxes {puts stdout "*** drc box: $box $why"}',
              "        incr total [llength $boxes]",
              "    }",
              "}",
              'puts stdout "*** drc total: $total"',
              "quit -noprompt"]
    return "\n".join(lines) + "\n"


def check_log(log):
    """Return an error message if magic's log lacks the script's total (it stopped before its
    counts: a missing rule deck, a DEF it could not read), else None."""
    return None if re.search(r"^\*\*\* drc total: \d+", log, re.MULTILINE) else \
        "magic printed no DRC count"


def read_errors(log):
    """Return the errors ``(rule, (x0, y0, x1, y1))`` (um) from magic's log (the script prints
    each area in magic's units and the size of one)."""
    scale = re.search(r"^\*\*\* drc scale: (\S+)", log, re.MULTILINE)
    if scale is None:
        return []
    unit = float(scale.group(1))
    return [(rule, tuple(round(int(value) * unit, 3) for value in box.split()))
            for box, rule in re.findall(r"^\*\*\* drc box: (-?\d+ -?\d+ -?\d+ -?\d+) (.+?)\s*$",
                                        log, re.MULTILINE)]


def report_text(total, rules):
    """Return the DRC report written into the output folder."""
    lines = [f"magic DRC ({RULES} rules, LEF abstracts of the cells and the macro): "
             f"{total} errors"]
    lines += [f"{count:8d}  {rule}" for rule, count in rules.items()]
    return "\n".join(lines) + "\n"
