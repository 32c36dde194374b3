"""``tlcim pnr``: the periphery placed and routed around the subarray macros, then timed, checked
and drawn.

Steps (each prints what it does and how long it took; a failing one names itself, the tool
and the last lines of its log):

1. ``inputs``: the mapped netlist, the library, the macro's views, the SDC
   (:mod:`tlcim.pnr.inputs`);
2. ``floorplan``: rows, core and macro positions (:mod:`tlcim.pnr.floorplan`);
3. ``place``: graywolf places the standard cells (:mod:`tlcim.pnr.place`);
4. ``buffers``: the clock tree and buffer trees on high-fanout nets (:mod:`tlcim.pnr.buffer`);
5. ``layout``: filled rows, I/O pins, macros and qflow's power grid in one DEF
   (:mod:`tlcim.pnr.layout`);
6. ``route``: qrouter (:mod:`tlcim.pnr.route`), in strips of rows on a large design
   (:mod:`tlcim.pnr.regions`);
7. ``drc``: magic checks the routed layout against the library's rules (:mod:`tlcim.pnr.drc`);
   the nets beside its errors are routed again once, and the layout checked again;
8. ``extract``: the routed DEF read back; post-route Verilog and SPEF (:mod:`tlcim.pnr.extract`),
   opens and shorts from the layout's shapes (:mod:`tlcim.pnr.connectivity`);
9. ``timing``: OpenSTA, setup and hold with the parasitics (:mod:`tlcim.pnr.timing`);
10. ``hold`` (only if hold fails): delay buffers in the routed layout before the endpoints
    below the hold margin, their nets routed again, their areas checked by magic, then
    ``extract`` and ``timing`` again (:mod:`tlcim.pnr.hold`; at most two rounds);
11. ``lvs``: netgen compares the routed netlist with the synthesised one and the buffers the
    flow added (:mod:`tlcim.pnr.lvs`);
12. ``picture``: the layout as a PNG (:mod:`tlcim.pnr.picture`).

Outputs (:data:`FILES`) appear in the output folder together, or not at all; ``pnr.json``
(:mod:`tlcim.pnr.report`) lists the figures and the checks. A check that fails (an unrouted
net, a netgen mismatch, negative slack) does not remove the outputs, which show what went
wrong; the command then exits with status 1 and names the failed checks.
"""

import collections
import concurrent.futures
import dataclasses
import pathlib
import shutil
import sys
import tempfile
import time

from tlcim.files import output_dir, write_json
from tlcim.golden import Config
from tlcim.signoff.library import find_library

from . import (buffer, connectivity, deffile, drc, extract, floorplan, hold, layout, lvs,
               place, regions, report, timing)
from .inputs import DEFAULT_CLOCK_MHZ, prepare, qflow_files
from .lef import read_lef
from .netlist import read_netlist
from .tools import Steps, missing, qflow_script

__all__ = ["DEFAULT_UTILIZATION", "DRC_MARGIN_UM", "FILES", "JOBS", "REDUCED", "TIMEOUTS",
           "run", "pnr"]

#: The smallest configuration that still has two subarrays (one 16-row compute block, one CBL
#: on its own ADC, 1-trit inputs and weights, a 2-bit ADC, one weight set): its periphery is
#: about 6,400 osu018 cells, mostly the fixed part (bus interfaces, registers, controller).
#: The default tests and the benchmark route it.
REDUCED = Config(rows=16, active_rows=16, cbls=1, x_trits=1, w_trits=1, adc_bits=2,
                 adc_share=1, clusters=1, cluster_size=1, subarrays=2)

#: Standard-cell area over core area. qflow's default packing (97 %) left 10 % of the nets
#: of a 19,000-cell periphery unrouted; at 60 % ``small``'s rip-up passes stalled (docs/pnr.md,
#: S6); 50 % leaves the router room over every cell.
DEFAULT_UTILIZATION = 0.5

#: Output files (relative to the output folder).
FILES = {"def": "tlcim_top.def", "netlist": "tlcim_top.v", "parasitics": "tlcim_top.spef",
         "setup_report": "timing/setup.rpt", "hold_report": "timing/hold.rpt",
         "lvs_report": "lvs.txt", "drc_report": "drc.txt", "picture": "layout.png",
         "report": "pnr.json"}

#: qrouter runs at a time when routing in strips (:mod:`tlcim.pnr.regions`): CI's cores.
JOBS = 2

#: Upright slices of the die per magic job in the DRC step.
DRC_SLICES_PER_JOB = 4

#: Nets with a wire this close to a DRC error (um) are routed again (once).
DRC_MARGIN_UM = 1.0

#: Time limit of each tool run, in seconds (the machine may be loaded: generous).
TIMEOUTS = {"place": 3600, "power": 600, "route": 7200, "timing": 1200, "lvs": 1800,
            "drc": 3600}


def _drc(steps, inputs, routing, windows=None, name="drc"):
    # Write the routed DEF and check it with magic, JOBS at a time side by side: the die in
    # slices, or ``windows`` (um), shared out. Return the errors ``[(rule, box in um)]``; an
    # error on the edge of two windows, listed by both, counts once.
    text = deffile.close_sections(routing.text)
    (steps.work / FILES["def"]).write_text(text)
    if windows is None:
        # Upright slices of the die, dealt out in turn: magic takes minutes over a macro (its
        # routing over the macro's abstract) and seconds over the cells, so each job gets a
        # share of every part of the die.
        x0, y0, x1, y1 = (value / deffile.units(text) for value in deffile.die_area(text))
        slices = DRC_SLICES_PER_JOB * JOBS
        windows = [(x0 + (x1 - x0) * k / slices, y0, x0 + (x1 - x0) * (k + 1) / slices, y1)
                   for k in range(slices)]
    bands = [windows[k::JOBS] for k in range(JOBS) if windows[k::JOBS]]

    def check(job):
        part = f"{name}{job}"
        (steps.work / f"{part}.tcl").write_text(drc.script_text(
            find_library().folder, [inputs.cell_lef, inputs.macro_lef], FILES["def"],
            inputs.top, bands[job]))
        return steps.run("magic", ["-dnull", "-noconsole", f"{part}.tcl"], log=f"{part}.log",
                         timeout=TIMEOUTS["drc"], check=drc.check_log)

    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        return sorted({error for log in pool.map(check, range(len(bands)))
                       for error in drc.read_errors(log)})


def _grown(boxes, margin):
    return [(x0 - margin, y0 - margin, x1 + margin, y1 + margin) for x0, y0, x1, y1 in boxes]


def _inside(box, windows):
    return any(x0 <= box[0] and box[2] <= x1 and y0 <= box[1] and box[3] <= y1
               for x0, y0, x1, y1 in windows)


def _recheck(steps, inputs, routing, errors, windows, name):
    # magic checks ``windows`` of the changed layout again; return its errors there and the
    # earlier ``errors`` outside them.
    return sorted({error for error in errors if not _inside(error[1], windows)} |
                  set(_drc(steps, inputs, routing, windows, name=name)))


def run(config, work, *, clock_mhz=DEFAULT_CLOCK_MHZ, utilization=DEFAULT_UTILIZATION,
        hold_margin=0.0, progress=print, seed=12345):
    """Run place and route of ``config`` in the folder ``work``; return the report (dict) and
    ``{key: path}`` of the files of :data:`FILES` written there. Endpoints whose hold slack
    after routing is below ``hold_margin`` (ns) get delay buffers (:mod:`tlcim.pnr.hold`)."""
    work = pathlib.Path(work)
    steps = Steps(work, progress)
    started = time.monotonic()
    floorplan.check_utilization(utilization)  # before any work
    hold_margin = hold.check_margin(hold_margin, clock_mhz)

    with steps.step("inputs", "mapped netlist, library, macro views, SDC"):
        inputs = prepare(config, clock_mhz, work, progress=progress)
        lef_files = [work / inputs.cell_lef, work / inputs.macro_lef]
        lef = read_lef(*lef_files)
        netlist = read_netlist(work / inputs.netlist, [work / inputs.cell_lib,
                                                       work / inputs.macro_lib],
                               inputs.top, [inputs.macro])
        progress(f"[pnr]   {len(netlist.cells):,} cells, {len(netlist.macros)} macros, "
                 f"{len(netlist.nets()):,} nets")

    with steps.step("floorplan", f"rows and macros at utilisation {utilization:g}"):
        cell_area = sum(lef.macros[cell.cell].area for cell in netlist.cells)
        plan = floorplan.plan(cell_area, [(m.name, lef.macros[m.cell]) for m in netlist.macros],
                              lef, utilization)
        pads = floorplan.macro_pads(netlist, lef, plan)
        progress(f"[pnr]   core {plan.core[2] - plan.core[0]:.0f} x "
                 f"{plan.core[3] - plan.core[1]:.0f} um in {plan.rows} rows, "
                 f"{len(plan.macros)} macros above it")

    with steps.step("place", f"graywolf, {len(netlist.cells):,} cells"):
        (work / f"{inputs.top}.cel").write_text(place.cel_text(netlist, lef, plan, pads))
        (work / f"{inputs.top}.par").write_text(place.par_text(
            (work / inputs.graywolf_par).read_text(), plan.rows, seed=seed))
        steps.run("graywolf", ["-n", inputs.top], log="place.log", timeout=TIMEOUTS["place"],
                  check=lambda text: None if (work / f"{inputs.top}.pl1").exists() else
                  "no placement (.pl1) written")
        cells, pad_places = place.read_placement((work / f"{inputs.top}.pl1").read_text(),
                                                 netlist, lef, plan)

    with steps.step("buffers", f"clock tree and buffer trees on nets of more than "
                               f"{buffer.MAX_FANOUT} sinks"):
        netlist, cells, buffers = buffer.buffer_trees(netlist, lef, plan, cells, pad_places)
        progress(f"[pnr]   {buffers} buffers added")

    with steps.step("layout", "filled rows, I/O pins, macros, power grid (addspacers)"):
        built = layout.assemble(netlist, lef, plan, cells, pad_places)
        (work / "power.def").write_text(layout.power_def(built))
        steps.run("tclsh", [qflow_script("addspacers.tcl"), "-nostretch", "-stripe",
                            f"{layout.STRIPE_WIDTH_UM:g}", f"{layout.STRIPE_PITCH_UM:g}", "PG",
                            "power", inputs.cell_lef, layout.FILL_CELL],
                  log="power.log", timeout=TIMEOUTS["power"],
                  check=lambda text: None if (work / "power_filled.def").exists() else
                  "no power grid (power_filled.def) written")
        vias, special, supply_pins = layout.with_power(built,
                                                       (work / "power_filled.def").read_text())
        placed = deffile.placed_def(inputs.top, built.plan.die, built.rows, lef.layers,
                                    built.components, built.pins, built.nets, vias=vias,
                                    specialnets=special, extra_pins=supply_pins)
        (work / "placed.def").write_text(placed)
        die = built.plan.die
        progress(f"[pnr]   die {die[0]:.0f} x {die[1]:.0f} um")

    strips = regions.strip_count(len(built.nets))
    lef_names = [inputs.cell_lef, inputs.macro_lef]
    with steps.step("route", f"qrouter, {len(built.nets):,} nets" +
                    (f" in {strips} strips of rows, {JOBS} at a time" if strips > 1 else "")):
        routing = regions.route(steps, "placed.def", lef_names, lef, strips, jobs=JOBS,
                                timeout=TIMEOUTS["route"], progress=progress)

    def rerouted(routing, nets, errors, boxes, name, check):
        # Route ``nets`` again (regions.reroute, run ``name``); magic then checks again around
        # the changed wires and ``boxes`` (um). Return the routing and the DRC errors.
        routing, changed = regions.reroute(steps, routing, nets, lef_names, lef, name=name,
                                           timeout=TIMEOUTS["route"], progress=progress)
        progress(f"[pnr]   {len(changed)} nets rerouted; magic checks their areas again")
        windows = regions.wire_boxes(routing.text, set(changed), DRC_MARGIN_UM)
        return routing, _recheck(steps, inputs, routing, errors,
                                 windows + _grown(boxes, DRC_MARGIN_UM), check)

    with steps.step("drc", f"magic, {drc.RULES} rules"):
        errors = _drc(steps, inputs, routing)
        near = regions.nets_near(routing.text, [box for _, box in errors], DRC_MARGIN_UM)
        if errors and near:
            # A DRC error is rerouted once: its nets and those the new routes tear up. Then
            # magic checks again where anything changed: around every error and every changed
            # net's routes (a check of the whole of small takes minutes).
            progress(f"[pnr]   {len(errors)} DRC errors: rerouting the {len(near)} nets "
                     f"within {DRC_MARGIN_UM:g} um of them")
            routing, errors = rerouted(routing, near, errors, [box for _, box in errors],
                                       "drc", "drc_again")
        progress(f"[pnr]   {len(errors)} DRC errors")

    def extract_layout():
        with steps.step("extract", "routed DEF read back; Verilog, SPEF, opens and shorts"):
            routed_text = deffile.close_sections(routing.text)
            (work / FILES["def"]).write_text(routed_text)
            routed = deffile.read_routed(routed_text)
            instances = extract.routed_instances(routed, skip=(layout.FILL_CELL,))
            (work / FILES["netlist"]).write_text(extract.verilog_text(netlist, instances, lef))
            (work / FILES["parasitics"]).write_text(extract.spef_text(
                "\n".join(routing.rc.values()) + "\n", netlist, lef, routed.components))
            shapes = connectivity.extract(routed_text, lef, power=netlist.power,
                                          ground=netlist.ground)
            progress(f"[pnr]   {shapes.shapes:,} shapes: {len(shapes.opens)} open nets, "
                     f"{len(shapes.shorts)} shorts")
        return routed, instances, shapes

    def time_layout():
        with steps.step("timing", f"OpenSTA at {clock_mhz:g} MHz, setup and hold"):
            (work / "sta.tcl").write_text(timing.sta_script(
                [inputs.cell_lib, inputs.macro_lib], FILES["netlist"], inputs.top, inputs.sdc,
                FILES["parasitics"], hold_below=hold_margin))
            log = steps.run("sta", ["sta.tcl"], log="sta.log", timeout=TIMEOUTS["timing"],
                            check=timing.check_log)
            setup_text, hold_text = timing.reports(log)
            (work / "timing").mkdir(exist_ok=True)
            (work / FILES["setup_report"]).write_text(setup_text)
            (work / FILES["hold_report"]).write_text(hold_text)
        return timing.read_timing(log, clock_mhz), timing.hold_endpoints(log)

    routed, instances, shapes = extract_layout()
    timed, below = time_layout()
    fixed = {"margin_ns": hold_margin, "rounds": 0, "endpoints": 0, "buffers": 0}
    while timed.hold_wns_ns < hold_margin and fixed["rounds"] < hold.ROUNDS:
        endpoints = hold.chains(below, hold_margin)
        if not endpoints:
            break  # only top-level ports fail: nothing to buffer inside
        fixed["rounds"] += 1
        with steps.step("hold", f"hold {timed.hold_wns_ns:+.3f} ns: delay buffers before "
                                f"{len(endpoints)} endpoints below {hold_margin:+.3f} ns"):
            added = hold.insert(netlist, routing.text, lef, endpoints, fill=layout.FILL_CELL)
            netlist = added.netlist
            fixed["endpoints"] += len(endpoints)
            fixed["buffers"] += len(added.buffers)
            progress(f"[pnr]   {len(added.buffers)} buffers placed; rerouting "
                     f"{len(added.nets)} nets")
            routing, errors = rerouted(dataclasses.replace(routing, text=added.text),
                                       added.nets, errors, added.boxes,
                                       f"hold{fixed['rounds']}", f"drc_hold{fixed['rounds']}")
            progress(f"[pnr]   {len(errors)} DRC errors")
        routed, instances, shapes = extract_layout()
        timed, below = time_layout()
    drc_total = len(errors)
    drc_rules = dict(collections.Counter(rule for rule, _ in errors).most_common())
    (work / FILES["drc_report"]).write_text(drc.report_text(drc_total, drc_rules))

    with steps.step("lvs", "netgen: routed netlist against the synthesised one"):
        supplies = [netlist.power, netlist.ground]
        ports = list(netlist.port_bits())
        (work / "reference.spice").write_text(lvs.spice_text(
            inputs.top, ports, [(c.name, c.cell, c.pins) for c in netlist.instances()], lef,
            supplies))
        (work / "routed.spice").write_text(lvs.spice_text(inputs.top, ports, instances, lef,
                                                          supplies))
        steps.run("netgen", ["-batch", "lvs", f"routed.spice {inputs.top}",
                             f"reference.spice {inputs.top}", inputs.netgen_setup, "lvs.txt",
                             "-blackbox"], log="netgen.log", timeout=TIMEOUTS["lvs"],
                  check=lambda text: None if (work / "lvs.txt").exists() else
                  "no comparison written")
        compared = lvs.read_result((work / "lvs.txt").read_text())

    with steps.step("picture", "the layout drawn by KLayout"):
        from .picture import render
        render(work / FILES["def"], lef_files, work / FILES["picture"])

    result = report.build(config=config, inputs=inputs, netlist=netlist, lef=lef,
                          built=built, routed=routed, routing=routing, shapes=shapes,
                          drc=(drc_total, drc_rules), timed=timed, compared=compared,
                          hold_fix=fixed,
                          utilization=utilization, buffers=buffers, times=steps.times,
                          runtime=time.monotonic() - started, files=FILES)
    write_json(work / FILES["report"], result)
    return result


def pnr(config, out, clock_mhz=DEFAULT_CLOCK_MHZ, utilization=DEFAULT_UTILIZATION,
        hold_margin=0.0, force=False):
    """``tlcim pnr``: place and route ``config`` into the folder ``out``; return the exit
    status (1 when a check failed).

    Raises
    ------
    ValueError
        Before any work and with nothing written: a missing tool (naming its Debian package),
        a ``utilization`` outside (0, 1), an output folder that must not be written
        (:class:`tlcim.files.Outputs`; ``force`` replaces files tlcim did not write).
    StepError
        A step failed (a ``RuntimeError``: the command's status 1); nothing is written.
    """
    floorplan.check_utilization(utilization)
    hold.check_margin(hold_margin, clock_mhz)
    reasons = missing()
    if reasons:
        raise ValueError("; ".join(reasons))
    qflow_files()  # the library, before an hour of work
    # The tools run in a private folder (their scratch files stay out of DIR); the files of
    # FILES then go into the output folder in one commit.
    with output_dir(out, force=force, names=FILES.values()) as folder, \
            tempfile.TemporaryDirectory(prefix="tlcim-pnr-") as temp:
        result = run(config, temp, clock_mhz=clock_mhz, utilization=utilization,
                     hold_margin=hold_margin)
        for name in FILES.values():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pathlib.Path(temp) / name, target)
    print(report.summary(result))
    failed = [name for name, ok in result["checks"].items() if not ok]
    if failed:
        print(f"tlcim pnr: checks failed: {', '.join(failed)} (the outputs show why)",
              file=sys.stderr)
        return 1
    return 0
