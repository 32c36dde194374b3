"""Routing in strips of rows: one qrouter per strip, two at a time, on grids a fraction of the
die's.

qrouter copies the whole die's routing grid before it routes each net
(``route_setup`` in ``qrouter.c``), so one qrouter over the die costs the nets times the area;
on ``small`` its first stage alone is about 19 minutes of one core. Here the core's rows are cut
into horizontal strips (:func:`plan`) and the routing runs in three phases (:func:`route`):

1. **between**: the nets that leave a strip (to another strip, a macro or an I/O pin) on the
   whole die, the other nets not yet routed;
2. **strips**: each strip's own nets by a qrouter of its own, on a DEF whose die, rows, tracks,
   cells and power grid are the strip's alone (:func:`strip_def`), two at a time, with at most
   :data:`STRIP_PASSES` rip-up passes. The first phase's nets that cross the strip are fixed
   nets there (``+ FIXED``: their wires clipped to the strip, their pins in it), which qrouter
   reads into its grid as it reads its own routes. The strip's top track is left free, so two
   strips' wires never meet;
3. **repair**: the strips' wires spliced into the first phase's DEF (:func:`splice`), the
   layout's shapes checked (:mod:`tlcim.pnr.connectivity`), and every net that is unrouted,
   detached, open or in a short routed again on the whole die by a qrouter that reads all the
   other routes and may tear any of them up (:func:`reroute`; those it tears up are routed
   again and taken from it too). A repair of :data:`SPLIT_REPAIR` nets or more is shared by
   two qrouters at once, each on the nets of one half of the die, the other half's unrouted;
   where their routes meet, the next check finds it and the next repair routes it again.

The parasitics come from the runs that routed each net (``write_delays``): a net's RC tree is
the one qrouter wrote with the net's final route. :func:`reroute` also serves the flow's DRC
step (the nets beside an error, :func:`nets_near`; where to check again, :func:`wire_boxes`).
"""

import concurrent.futures
import dataclasses
import math
import re
import shutil
import time

from . import connectivity, deffile
from . import route as qrouter

__all__ = ["NETS_PER_STRIP", "STRIP_PASSES", "REPAIRS", "SPLIT_REPAIR", "MARGIN_TRACKS",
           "Strips", "Routing", "strip_count", "plan", "strip_def", "splice", "nets_near",
           "wire_boxes", "reroute", "route"]

#: Nets per strip at most: ``small`` (23,594 nets) routes in 4 strips, the reduced test
#: configuration (8,198) in 2; a design of at most 6,000 nets in one (qrouter alone).
NETS_PER_STRIP = 6000

#: Rip-up passes in a strip at most (search margins 10, 30, 50 tracks): the nets a strip
#: leaves are routed on the whole die afterwards.
STRIP_PASSES = 3

#: Repairs after the splice at most: a repair's routes are checked again (the repair's qrouter
#: does not see the other nets' stubs to off-grid pins; two at once do not see each other's
#: routes) and what is wrong repaired again.
REPAIRS = 3

#: Nets to repair at least for two qrouters to share the first repair (halves of the die).
SPLIT_REPAIR = 100

#: Tracks added to a strip's die below and above its rows (:func:`strip_def`).
MARGIN_TRACKS = 2

_SUPPLIES = ("vdd", "gnd")


@dataclasses.dataclass(frozen=True)
class Strips:
    """Strips of rows: ``bands`` ``(y0, y1)`` in DBU (bottom up), ``local`` the nets of each
    strip (every connection on a cell of its rows), ``between`` the other nets with two or more
    connections."""

    bands: tuple
    local: tuple
    between: tuple


@dataclasses.dataclass(frozen=True)
class Routing:
    """What :func:`route` made in ``strips`` strips: ``text`` (the routed DEF), ``rc``
    (qrouter's ``write_delays`` line of each net, by net), ``failed`` (nets qrouter left
    unrouted), ``detached`` (nets whose final route qrouter could not attach to a pin),
    ``counts`` (failed nets after every pass of every phase, as lines) and ``times`` (seconds
    of each phase)."""

    strips: int
    text: str
    rc: dict
    failed: tuple
    detached: tuple
    counts: tuple
    times: dict


def strip_count(nets):
    """Return the number of strips for a design of ``nets`` nets (1: qrouter alone)."""
    return max(1, math.ceil(nets / NETS_PER_STRIP))


def _rows(text):
    return sorted({int(y) for y in re.findall(r"^ROW\s+\S+\s+\S+\s+-?\d+\s+(-?\d+)", text,
                                                re.MULTILINE)})


def _row_cells(section):
    # Instance -> the y of its row, for the standard cells (PLACED; macros are FIXED).
    return {name: int(y) for name, y in re.findall(
        r"^\s*-\s+(\S+)\s+\S+\s+\+\s+PLACED\s+\(\s*-?\d+\s+(-?\d+)\s*\)", section or "",
        re.MULTILINE)}


def plan(text, count):
    """Cut the rows of the placed DEF ``text`` into ``count`` strips of about equal numbers of
    rows and sort its nets into them; return :class:`Strips`."""
    rows = _rows(text)
    if count < 1 or count > len(rows):
        raise ValueError(f"cannot cut {len(rows)} rows into {count} strips")
    height = rows[1] - rows[0] if len(rows) > 1 else 0
    per = math.ceil(len(rows) / count)
    starts = rows[::per]
    bands = tuple((start, (starts[k + 1] if k + 1 < len(starts) else rows[-1] + height))
                  for k, start in enumerate(starts))
    sections = deffile.split_sections(text)
    strip_of = {name: min(rows.index(y) // per, len(bands) - 1)
                for name, y in _row_cells(sections.get("COMPONENTS")).items()}
    local = [[] for _ in bands]
    between = []
    for name, rest in deffile.entries(sections.get("NETS")):
        pairs = deffile.connections(rest)
        if len(pairs) < 2:
            continue
        strips = {strip_of.get(instance) for instance, _ in pairs}
        if len(strips) == 1 and None not in strips:
            local[strips.pop()].append(name)
        else:
            between.append(name)
    return Strips(bands, tuple(tuple(nets) for nets in local), tuple(between))


def _clipped(points, vias, low, high):
    # The pieces of one routing statement that touch y = low..high, as DEF text: segments
    # clipped to it, vias inside it.
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        y0, y1 = sorted((ay, by))
        if y1 < low or y0 > high:
            continue
        if ax == bx:
            ay, by = max(y0, low), min(y1, high)
        yield f"( {ax} {ay} ) ( {bx} {by} )"
    for via, (x, y) in vias:
        if low <= y <= high:
            yield f"( {x} {y} ) {via}"


def _entry(name, head, statements):
    # A net's entry of fixed wiring ("+ FIXED" first, "NEW" after), or "" without any.
    statements = list(statements)
    if not statements:
        return ""
    return f"- {name}{head}\n  + FIXED " + "\n  NEW ".join(statements) + " ;\n"


def _y_step(text):
    return int(re.search(r"TRACKS\s+Y\s+-?\d+\s+DO\s+\d+\s+STEP\s+(\d+)", text).group(1))


def strip_def(text, strips, index, wiring=None):
    """Return the DEF of strip ``index`` of the placed DEF ``text``: its die (the die's width,
    the strip's band and :data:`MARGIN_TRACKS` tracks more on either side), rows, tracks,
    cells and own nets, the power grid clipped to the band, and ``wiring`` (``{net: routing
    text}`` of nets routed before) as fixed nets clipped to the band's tracks, with their
    connections in the strip.

    The margins keep the cells' rails and pins, which reach a little past their rows, inside
    the die: with a die cut at the rows qrouter 1.4.71 reads past its grid and crashes now and
    then. :func:`route` keeps wires out of them."""
    band = strips.bands[index]
    step = _y_step(text)
    die = (band[0] - MARGIN_TRACKS * step, band[1] + MARGIN_TRACKS * step)
    sections = deffile.split_sections(text)
    head = text[:text.index(sections.get("VIAS") or sections["COMPONENTS"])]
    head = re.sub(r"DIEAREA\s+\(\s*(-?\d+)\s+-?\d+\s*\)\s*\(\s*(-?\d+)\s+-?\d+\s*\)",
                  lambda m: f"DIEAREA ( {m.group(1)} {die[0]} ) ( {m.group(2)} {die[1]} )",
                  head)

    def first_track(start, low):
        return start + math.ceil((low - start) / step) * step

    def tracks(found):
        start = int(found.group(1))
        first, last = first_track(start, die[0]), first_track(start, die[1] + 1) - step
        return f"TRACKS Y {first} DO {(last - first) // step + 1} STEP {step}"

    start = int(re.search(r"TRACKS\s+Y\s+(-?\d+)", head).group(1))
    low, high = first_track(start, band[0]), first_track(start, band[1] + 1) - step
    head = re.sub(r"TRACKS\s+Y\s+(-?\d+)\s+DO\s+(\d+)\s+STEP\s+(\d+)", tracks, head)
    head = "".join(line for line in head.splitlines(keepends=True)
                   if not line.startswith("ROW ") or
                   band[0] <= int(line.split()[4]) < band[1])
    local = set(strips.local[index])
    cells = _row_cells(sections["COMPONENTS"])
    components = [line for line in sections["COMPONENTS"].splitlines()[1:-1]
                  if line.strip().startswith("-") and
                  band[0] <= cells.get(line.split()[1], band[1]) < band[1]]
    nets = [f"- {name}{rest[:rest.rindex(';') + 1]}"
            for name, rest in deffile.entries(sections["NETS"]) if name in local]
    if wiring:
        inside = {line.split()[1] for line in components}
        pins = {name: [(i, p) for i, p in deffile.connections(rest) if i in inside]
                for name, rest in deffile.entries(sections["NETS"]) if name in wiring}
        # A net routed before: its connections in the strip, its wiring clipped to the strip's
        # tracks.
        nets += [entry.rstrip() for entry in (
            _entry(name, "".join(f" ( {instance} {pin} )" for instance, pin in pins[name]),
                   (f"{layer} {piece}" for layer, _, points, vias in deffile.routes(body)
                    for piece in _clipped(points, vias, low, high)))
            for name, body in wiring.items()) if entry]
    special = [_entry(name, "", (f"{layer} {width} {piece}"
                                 for layer, width, points, vias in deffile.routes(rest)
                                 for piece in _clipped(points, vias, *band)))
               for name, rest in deffile.entries(sections.get("SPECIALNETS"))
               if name in _SUPPLIES]
    special = [entry for entry in special if entry]
    return (head + (sections.get("VIAS", "") + "\n\n") +
            f"COMPONENTS {len(components)} ;\n" + "\n".join(components) +
            "\nEND COMPONENTS\n\nPINS 0 ;\nEND PINS\n\n" +
            f"NETS {len(nets)} ;\n" + "\n".join(nets) + "\nEND NETS\n\n" +
            f"SPECIALNETS {len(special)} ;\n" + "".join(special) + "END SPECIALNETS\n\n"
            "END DESIGN\n")


def splice(text, nets, stubs):
    """Return the DEF ``text`` with the ``NETS`` entries of ``nets`` (``{name: entry}``)
    replaced and its signal nets' ``SPECIALNETS`` entries (qrouter's stubs) replaced by
    ``stubs`` (``{name: entry}``); the supplies' entries stay."""
    sections = deffile.split_sections(text)
    entries = deffile.entry_texts(sections["NETS"])
    entries.update((name, entry) for name, entry in nets.items() if name in entries)
    special = [entry for name, entry in deffile.entry_texts(sections.get("SPECIALNETS")).items()
               if name in _SUPPLIES] + list(stubs.values())
    text = deffile.with_entries(text, "NETS", entries.values())
    return deffile.with_entries(text, "SPECIALNETS", special)


def _stubs(text):
    # The signal nets' SPECIALNETS entries (qrouter's stubs to off-grid pins) of a DEF.
    return {name: entry for name, entry in
            deffile.entry_texts(deffile.split_sections(text).get("SPECIALNETS")).items()
            if name not in _SUPPLIES}


def _unrouted(entry):
    # A NETS entry without its routing.
    return entry[:entry.index("+ ROUTED")].rstrip() + " ;" if "+ ROUTED" in entry else entry


class _Run:
    """One qrouter run's results: ``text`` (its DEF), ``nets`` and ``stubs`` (entries by
    net), ``rc`` (``write_delays`` lines by net), ``failed``, ``detached`` and ``ripped``
    (nets it tore up to make room) and ``counts`` (failed nets after each pass)."""

    def __init__(self, folder, log):
        self.text = (folder / "routed.def").read_text()
        self.nets = deffile.entry_texts(deffile.split_sections(self.text)["NETS"])
        self.stubs = _stubs(self.text)
        self.rc = {line.split(None, 1)[0]: line for line in
                   (folder / "routed.rc").read_text().splitlines() if line.strip()}
        # "N nets failed to route:" and the names; no file when none failed.
        path = folder / "failed.txt"
        self.failed = set(path.read_text().split()[5:]) if path.exists() else set()
        self.counts = qrouter.failed_counts(log)
        if bool(self.failed) != bool(self.counts[-1]):
            raise RuntimeError(f"qrouter in {folder.name} counted {self.counts[-1]} failed "
                               f"nets but listed {len(self.failed)}")
        self.detached = set(qrouter.detached_nets(log))
        self.ripped = set(re.findall(r"^Ripping up blocking net (\S+)", log, re.MULTILINE))


class _Qrouter:
    # Runs qrouter through the flow's Steps, each run in its own subfolder route_<name>.

    def __init__(self, steps, lefs, lef, timeout):
        self.steps, self.lefs, self.lef, self.timeout = steps, lefs, lef, timeout
        self.times = {}

    def __call__(self, name, text, nets, obstructions=(), passes=qrouter.PASSES):
        start = time.monotonic()
        folder = self.steps.work / f"route_{name}"
        folder.mkdir(exist_ok=True)
        for file in self.lefs:
            shutil.copyfile(self.steps.work / file, folder / file)
        (folder / "in.def").write_text(text)
        (folder / "route.tcl").write_text(qrouter.config_text(
            self.lefs, len(self.lef.layers), "in.def", nets=nets, obstructions=obstructions,
            passes=passes))
        log = self.steps.run("qrouter", ["-noc", "-nog", "-s", "route.tcl"], log="route.log",
                             timeout=self.timeout, folder=folder.name,
                             check=lambda log: None if (folder / "routed.def").exists() and
                             qrouter.failed_counts(log) else f"no routed DEF written ({name})")
        self.times[name] = time.monotonic() - start
        return _Run(folder, log)


def _halves(text, nets):
    # ``nets`` cut at the die's middle by the centres of their wires' extents (nets without
    # wires go left): two sets a qrouter each can route at once, mostly apart.
    middle = deffile.die_area(text)[2] / 2
    boxes = dict(zip(sorted(nets), [None] * len(nets)))
    boxes.update(_extents(text, nets))
    left = {net for net, box in boxes.items() if box is None or box[0] + box[2] < 2 * middle}
    return [left, set(nets) - left]


def _reroute(router, name, routing, nets, jobs=1):
    # Route ``nets`` of ``routing`` again on the whole die by a qrouter that reads every other
    # route and may tear any of them up; take those nets and the ones it tore up from it.
    # With ``jobs`` > 1, two qrouters at once, each on half of the nets (_halves), the other
    # half unrouted; a net torn up by both is taken from the first. Return the routing, the
    # nets taken and the failed nets after each pass of each run.
    bad = set(nets)
    entries = deffile.entry_texts(deffile.split_sections(routing.text)["NETS"])
    text = splice(routing.text, {net: _unrouted(entries[net]) for net in bad},
                  {net: entry for net, entry in _stubs(routing.text).items() if net not in bad})
    parts = [part for part in (_halves(routing.text, bad) if jobs > 1 else [bad]) if part]
    names = [name] if len(parts) == 1 else [f"{name}{'ab'[k]}" for k in range(len(parts))]
    with concurrent.futures.ThreadPoolExecutor(len(parts)) as pool:
        runs = list(pool.map(lambda k: router(names[k], text, sorted(parts[k])),
                             range(len(parts))))
    taken = {}
    for part, run in zip(parts, runs):
        taken.update(dict.fromkeys(((part | run.ripped) & set(entries)) - set(taken), run))
    return _take(routing, dict(zip(names, runs)), taken, router.times), set(taken), \
        " ".join(f"{run.counts}" for run in runs)


def _take(routing, runs, taken, times):
    # ``routing`` with each net of ``taken`` ({net: run}) as its run routed it (wires, stubs,
    # RC tree, failed or detached), the counts of ``runs`` ({name: run}) and the router's
    # ``times`` (seconds by run or phase).
    changed = set(taken)
    stubs = {net: entry for net, entry in _stubs(routing.text).items() if net not in changed}
    stubs.update((net, run.stubs[net]) for net, run in taken.items() if net in run.stubs)
    return dataclasses.replace(
        routing,
        text=splice(routing.text, {net: run.nets[net] for net, run in taken.items()}, stubs),
        rc={**routing.rc, **{net: run.rc[net] for net, run in taken.items() if net in run.rc}},
        failed=tuple(sorted((set(routing.failed) - changed) |
                            {net for net, run in taken.items() if net in run.failed})),
        detached=tuple(sorted((set(routing.detached) - changed) |
                              {net for net, run in taken.items() if net in run.detached})),
        counts=routing.counts + tuple(f"{name}: {run.counts}" for name, run in runs.items()),
        times={**routing.times, **times})


def nets_near(text, boxes, margin, *, layers=None, lef=None):
    """Return the signal nets of the routed DEF ``text`` with a wire, via or stub within
    ``margin`` (um) of one of ``boxes`` (``(x0, y0, x1, y1)`` in um, e.g. DRC errors), sorted.

    With ``layers`` (names), only wires on those layers and vias with a shape on one of them
    (by the :class:`~tlcim.pnr.lef.Lef` ``lef``) count.
    """
    touching = None if layers is None else \
        {name for name, rects in lef.vias.items() if any(r.layer in layers for r in rects)}
    units = deffile.units(text)
    grown = [(x0 * units - margin * units, y0 * units - margin * units,
              x1 * units + margin * units, y1 * units + margin * units)
             for x0, y0, x1, y1 in boxes]
    sections = deffile.split_sections(text)
    found = set()
    for section in ("NETS", "SPECIALNETS"):
        for name, rest in deffile.entries(sections.get(section)):
            if name in _SUPPLIES or name in found:
                continue
            for layer, _, points, vias in deffile.routes(rest):
                pieces = [(p, p) for via, p in vias if touching is None or via in touching]
                if layers is None or layer in layers:
                    pieces += list(zip(points, points[1:])) + [(p, p) for p in points[:1]]
                if any(min(ax, bx) <= x1 and max(ax, bx) >= x0 and
                       min(ay, by) <= y1 and max(ay, by) >= y0
                       for (ax, ay), (bx, by) in pieces for x0, y0, x1, y1 in grown):
                    found.add(name)
                    break
    return sorted(found)


def _pieces(text, nets):
    # Yield (net, (x0, y0, x1, y1) in DBU) for each wire segment, via and stub of ``nets``.
    sections = deffile.split_sections(text)
    for section in ("NETS", "SPECIALNETS"):
        for name, rest in deffile.entries(sections.get(section)):
            if name not in nets:
                continue
            for _, _, points, vias in deffile.routes(rest):
                for (ax, ay), (bx, by) in zip(points, points[1:]):
                    yield name, (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
                for x, y in points[:1] + [point for _, point in vias]:
                    yield name, (x, y, x, y)


def wire_boxes(text, nets, margin):
    """Return the box ``(x0, y0, x1, y1)`` (um) of each wire segment, via and stub of
    ``nets`` in the routed DEF ``text``, grown by ``margin`` (um), without repeats: where a
    change of those nets could break a rule (the flow's magic checks them again)."""
    units = deffile.units(text)
    return sorted({(x0 / units - margin, y0 / units - margin, x1 / units + margin,
                    y1 / units + margin) for _, (x0, y0, x1, y1) in _pieces(text, nets)})


def _extents(text, nets):
    # {net: the bounding box (DBU) of its wires, vias and stubs}
    extent = {}
    for name, (x0, y0, x1, y1) in _pieces(text, nets):
        a, b, c, d = extent.get(name, (x0, y0, x1, y1))
        extent[name] = (min(a, x0), min(b, y0), max(c, x1), max(d, y1))
    return extent


def _repaired(router, routing, lef, progress, name, what, jobs=1):
    # Check the layout's shapes; route every net that is unrouted, detached, open or in a
    # short again on the whole die (_reroute), at most REPAIRS times. Return the routing and
    # the nets taken from the repairs.
    nets = set(deffile.entry_texts(deffile.split_sections(routing.text)["NETS"]))
    changed = set()
    for attempt in range(1, REPAIRS + 1):
        shapes = connectivity.extract(routing.text, lef, power=_SUPPLIES[0],
                                      ground=_SUPPLIES[1])
        bad = set(routing.failed) | set(routing.detached) | set(shapes.opens) | {
            owner for pair in shapes.shorts for owner in pair if owner in nets}
        progress(f"[pnr]   {what if attempt == 1 else 'repaired'}: {len(shapes.opens)} "
                 f"open nets, {len(shapes.shorts)} shorts, {len(routing.failed)} unrouted; "
                 f"to reroute on the whole die: {len(bad)} nets")
        if not bad:
            break
        run = name if attempt == 1 else f"{name}{attempt}"
        # The first repair in two halves at once when it is large; what their routes left
        # crossed, the next one repairs.
        split = jobs if attempt == 1 and len(bad) >= SPLIT_REPAIR else 1
        started = time.monotonic()
        routing, taken, counts = _reroute(router, run, routing, bad, split)
        changed |= taken
        progress(f"[pnr]   {run}: {len(bad)} nets and {len(taken - bad)} torn up, failed "
                 f"after each pass {counts} ({time.monotonic() - started:.0f} s)")
    return routing, changed


def reroute(steps, routing, nets, lefs, lef, *, name="drc", timeout=7200, progress=print):
    """Route ``nets`` of ``routing`` (:class:`Routing`) again on the whole die by a qrouter
    (in ``steps``' work folder, subfolder ``route_<name>``) that reads every other route and
    may tear any of them up (those it tears up are routed again and taken from it too), then
    check the layout's shapes and repair what is open or shorted as the route step does;
    return the new :class:`Routing` and the nets whose routes were taken from these runs."""
    router = _Qrouter(steps, lefs, lef, timeout)
    routing, changed, _ = _reroute(router, name, routing, nets)
    routing, repaired = _repaired(router, routing, lef, progress, f"{name}_repair", "rerouted")
    return routing, sorted(changed | repaired)


def route(steps, placed, lefs, lef, count, *, jobs=2, timeout=7200, progress=print):
    """Route the placed DEF ``placed`` (a file name in ``steps``' work folder) in ``count``
    strips (module docstring; 1: one qrouter over the die), running qrouter through ``steps``
    (``jobs`` at a time, each within ``timeout`` s, in subfolders ``route_<phase>``); return
    :class:`Routing`.

    ``lefs`` are the LEF file names in the work folder and ``lef`` the
    :class:`~tlcim.pnr.lef.Lef` read from them."""
    router = _Qrouter(steps, lefs, lef, timeout)
    text = (steps.work / placed).read_text()
    if count == 1:
        whole = router("die", text, None)
        return Routing(1, whole.text, whole.rc, tuple(sorted(whole.failed)),
                       tuple(sorted(whole.detached)), (f"die: {whole.counts}",), router.times)

    strips = plan(text, count)
    progress(f"[pnr]   {len(strips.between):,} nets between {count} strips, on the whole die")
    between = router("between", text, strips.between)
    progress(f"[pnr]   failed after each pass {between.counts} "
             f"({router.times['between']:.0f} s)")
    wiring = {name: between.nets[name] for name in strips.between}
    units = deffile.units(text)
    width = deffile.die_area(text)[2] / units

    step = _y_step(text)
    margin = MARGIN_TRACKS * step

    def strip(index):
        low, high = strips.bands[index]
        # No wires in the die's margins; the strip's top track stays free too, so the next
        # strip's wires never meet its own (the top strip ends at the last row's edge).
        top = high if index == count - 1 else high - step
        free = [(0, y0 / units, width, y1 / units, layer.name) for layer in lef.layers
                for y0, y1 in ((low - margin, low), (top, high + margin))]
        # The first phase's nets are fixed nets in the strip: a rip-up pass may tear one up
        # (it is then missing from the strip's grid, and the splice's check finds what took
        # its place).
        return router(f"strip{index}", strip_def(text, strips, index, wiring),
                      strips.local[index], free, passes=STRIP_PASSES)

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        runs = dict(zip((f"strip{k}" for k in range(count)), pool.map(strip, range(count))))
    router.times["strips"] = time.monotonic() - start
    for index, nets in enumerate(strips.local):
        progress(f"[pnr]   strip {index}: {len(nets):,} nets, failed after each pass "
                 f"{runs[f'strip{index}'].counts} ({router.times[f'strip{index}']:.0f} s)")
    # The first phase's DEF with each net as the run that routed it has it.
    taken = dict.fromkeys(strips.between, between)
    taken.update((net, runs[f"strip{k}"]) for k, nets in enumerate(strips.local) for net in nets)
    routing = _take(Routing(count, between.text, {}, (), (), (), {}),
                    {"between": between, **runs}, taken, router.times)
    return _repaired(router, routing, lef, progress, "repair", "spliced", jobs)[0]
