"""Detailed routing with qrouter, on a bounded schedule.

qrouter's own ``standard_route`` retries its second stage up to 25 times with growing masks
and efforts; on a congested design that ran for over half an hour without converging. The
schedule here (:func:`config_text`) is the same sequence, bounded: the first stage (every net
routed in turn), then at most ``passes`` rip-up-and-reroute passes of the failed nets (a
growing search mask, then the whole die with growing effort once a pass makes no progress,
until a whole-die pass at the largest effort makes none), and then the result is written
whatever it is (without qrouter's ``cleanup all`` and third stage, see :func:`config_text`):
the routed DEF, the failed nets and the wires' resistances and capacitances
(``write_delays``, read by :mod:`tlcim.pnr.extract`). The numbers of failed nets after every
stage go into the log as ``*** failed after <stage>: N (T s)``, T the seconds since the DEF was
read.
"""

import re

__all__ = ["PASSES", "config_text", "failed_counts", "detached_nets"]

#: Rip-up-and-reroute passes of the second stage at most.
PASSES = 8
#: Effort of the whole-die passes at most: one without progress at this effort ends the stage.
MAX_EFFORT = 80


def config_text(lefs, layers, def_name, *, ground="gnd", power="vdd", passes=PASSES,
                out="routed", nets=None, obstructions=()):
    """Return qrouter's script: read ``lefs``, route ``def_name`` on ``layers`` routing
    layers, write ``<out>.def``, ``<out>.rc`` and ``failed.txt``.

    The second stage's passes search a growing margin around each failed net (mask 10, 30,
    ...); once a pass makes no progress the rest search the whole die with growing effort
    (20, 40, 80: how often a net may rip up others), and a pass at :data:`MAX_EFFORT` without
    progress ends the stage (on ``small`` one net that two routes wanted stayed after a
    whole-die pass at effort 20).

    ``nets`` (names) limits the first stage to those nets (the others keep the routes the DEF
    gives them, or stay unrouted); ``obstructions`` are ``(x0, y0, x1, y1, layer)`` in um that
    no wire may enter. With ``passes=0`` no route is ever torn up: the first stage only uses
    free grid, and the nets it fails are left for a later run."""
    # Every count is printed with the seconds since the DEF was read.
    lines = ["verbose 1", "proc elapsed {} {expr {[clock seconds] - $::started}}"]
    lines += [f"read_lef {lef}" for lef in lefs]
    # No stacked vias (``via stack 1``, as qflow's osu018 set-up has it): the metal pad
    # between two stacked vias is below the layers' minimum area (magic found 6,652 such
    # violations on the reduced design with stacks allowed, :mod:`tlcim.pnr.drc`).
    # No ``cleanup all`` before writing (qrouter's standard_route has it): on the reduced design
    # it moved one net's end off its pin (an open) and left two metal2 wires too close;
    # without it magic finds no error there. No third stage either (standard_route reroutes
    # every net once more without the congestion costs, for shorter wires): on ``small`` it
    # had made little progress after 10 minutes, and the layout is DRC clean without it.
    lines += [f"catch {{layers {layers}}}", "via stack 1", f"vdd {power}", f"gnd {ground}",
              *(f"obstruction {x0:g} {y0:g} {x1:g} {y1:g} {layer}"
                for x0, y0, x1, y1, layer in obstructions),
              f"read_def {def_name}",
              "set started [clock seconds]",
              *(["set result [stage1]"] if nets is None else
                ["set result 0",
                 "foreach net {%s} {incr result [stage1 route $net]}"
                 % " ".join("{%s}" % net for net in nets)]),
              'puts "*** failed after stage1: $result ([elapsed] s)"']
    lines += ["set mask 10",
              "set effort 10",
              f"for {{set pass 0}} {{$pass < {passes} && $result > 0}} {{incr pass}} {{",
              "    set last $result",
              "    set result [stage2 mask $mask effort $effort]",
              '    puts "*** failed after stage2 mask $mask effort $effort: $result ([elapsed] s)"',
              "    if {$result >= $last && $mask ne \"none\"} {",
              "        set mask none",
              "        set effort 20",
              "    } elseif {$result >= $last && $effort >= %d} {" % MAX_EFFORT,
              "        break",
              "    } elseif {$mask ne \"none\"} {",
              "        incr mask 20",
              "    } else {",
              "        set effort [expr {$effort * 2}]",
              "    }",
              "}"]
    lines += [f"write_def {out}.def",
              "write_failed failed.txt",
              f"write_delays {out}.rc",
              'puts "*** final failed: $result"',
              "quit"]
    return "\n".join(lines) + "\n"


def failed_counts(log):
    """Return the failed-net counts the script printed, in order (the last is final)."""
    return [int(n) for n in re.findall(r"^\*\*\* (?:failed after [^:]*|final failed): (\d+)",
                                       log, re.MULTILINE)]


def detached_nets(log):
    """Return the nets whose route qrouter could not attach to a pin at one end ("Failure to
    find route start/end node"), sorted: opens its failed-net count leaves out. Every stage
    counts: a net reported so in the first stage and rerouted later is still listed (an open
    is never missed; none was listed on the routed designs)."""
    return sorted(set(re.findall(r"Failure to find route (?:start|end) node/route on net "
                                 r"(.+)!\s*$", log, re.MULTILINE)))
