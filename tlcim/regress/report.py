"""The regression's report: ``regress.json``, ``regress.md`` with the coverage tables, the plot
of coverage against seeds, the merged and annotated code coverage and the shrunk failing
scripts, written together (:class:`tlcim.files.Outputs`)."""

import pathlib

import numpy as np

from tlcim import plots
from tlcim.files import write_json, write_text
from . import coverage as code
from .functional import plan

__all__ = ["write_report"]

#: Uncovered code points listed in ``regress.json`` (all are in the annotated sources).
UNCOVERED_LISTED = 200


def _code_coverage(settings, seeds, out, folder):
    """Merge the seeds' code coverage; return (summary, cumulative fractions per kind)."""
    source = out / "coverage"
    if not (source / "points.json").exists():
        return None, None
    names = [f"seed{seed}" for seed in seeds]
    points, counts = code.merge(source, names)
    waivers = code.load_waivers()
    summary = code.summarise(points, counts, waivers)
    code.write_dat(folder / "coverage" / "merged.dat", points, counts)
    code.annotate(settings.sources(), points, counts, folder / "coverage" / "annotated")
    # Coverage as the seeds add up, point kinds and waivers resolved once.
    kinds = np.array([code._page(fields)[0] for fields in points])
    waived = np.array([any(w.matches(fields) for w in waivers) for fields in points])
    hit = np.zeros(len(points), dtype=bool)
    curves = {kind: [] for kind in code.KINDS}
    for name in names:
        packed = code.load_seed(source, name)
        if packed is not None:
            hit |= np.unpackbits(packed, count=len(points)).astype(bool)
        for kind in code.KINDS:
            mask = kinds == kind
            counted = mask & ~(waived & ~hit)
            curves[kind].append(float(hit[mask].sum() / max(counted.sum(), 1)))
    return summary, curves


def _functional(config, records):
    bins = plan(config)
    hit, curve = set(), []
    for record in records:
        hit |= set(record["bins"])
        curve.append(len(hit & set(bins)) / len(bins))
    return [b for b in bins if b not in hit], curve


def _plot(out, curves, functional):
    with plots.figure(out / "coverage_vs_seeds", 6.4, 3.6) as fig:
        ax = fig.add_subplot()
        x = np.arange(1, len(functional) + 1)
        ax.plot(x, 100 * np.array(functional), label="functional (plan bins)")
        for kind in code.KINDS if curves else ():
            ax.plot(x, 100 * np.array(curves[kind]), label=f"{kind} (after waivers)")
        ax.set_xlabel("seeds")
        ax.set_ylabel("coverage (%)")
        ax.set_ylim(0, 101)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")


def _markdown(summary, code_summary):
    lines = ["# Regression report", "",
             f"Target `{summary['target']}`"
             f"{' (subarrays: the C++ model)' if summary.get('macro') == 'cpp' else ''}, "
             f"configuration `{summary['config']}`, seeds "
             f"{summary['seed_range'][0]}..{summary['seed_range'][1]}: "
             f"**{summary['passed']} passed, {summary['mismatches']} mismatching, "
             f"{summary['failures']} failed**.", ""]
    failure = summary["first_failure"]
    if failure:
        lines += [f"First failure: seed {failure['seed']} ({failure['status']}), reproduce "
                  f"with `{failure['reproduce']}`" + (
                      f"; shrunk to {failure['shrunk_ops']} operation(s): `tlcim run --target "
                      f"{summary['target']} --script {failure['script']}`."
                      if failure["shrunk_ops"] else f" ({failure['script'] or 'not shrunk'})."),
                  ""]
    cov = summary["coverage"]
    lines += ["| coverage | fraction |", "|---|---|"]
    lines += [f"| {kind} | {'-' if cov[kind] is None else f'{cov[kind]:.2%}'} |"
              for kind in ("line", "branch", "toggle", "functional")]
    if code_summary and "toggle" in code_summary["total"]:
        toggle = code_summary["total"]["toggle"]
        lines.append(f"| toggle, every point (no waiver) | "
                     f"{toggle['hit'] / max(toggle['points'], 1):.2%} |")
    lines += ["", "![coverage against seeds](coverage_vs_seeds.png)", ""]
    if code_summary:
        lines += ["## Code coverage per module (after waivers)", "",
                  "| module | line | branch | toggle |", "|---|---|---|---|"]
        for module, kinds in code_summary["modules"].items():
            cells = [f"{kinds[k]['fraction']:.1%} ({kinds[k]['hit']}/{kinds[k]['points']}"
                     f"{', ' + str(kinds[k]['waived']) + ' waived' if kinds[k]['waived'] else ''})"
                     if k in kinds else "-" for k in code.KINDS]
            lines.append(f"| `{module}` | " + " | ".join(cells) + " |")
        lines += ["", "Waivers (`sim/coverage_waivers.toml`):", ""]
        lines += [f"- {w['kind']} `{w['module']}` `{w['point']}` ({w['points']} points): "
                  f"{w['reason']}" for w in code_summary["waivers"]]
        lines += ["", "Annotated sources: `coverage/annotated/` (`%000000`: a point no seed "
                      "hit); merged counts: `coverage/merged.dat`.", ""]
    lines += ["## Functional coverage", ""]
    missed = summary["uncovered"]["functional"]
    lines += (["Bins not hit: " + ", ".join(f"`{b}`" for b in missed)] if missed
              else ["Every bin of the plan was hit (docs/verification.md)."])
    mutants = summary["mutants"]
    if mutants["total"]:
        lines += ["", "## Mutants", "",
                  f"{mutants['total']} mutant(s): {mutants['killed']} killed, "
                  f"{mutants['equivalent']} proven equivalent, {mutants['survived']} "
                  f"survived.", "", "| mutant | status | killed by seed | mutation |",
                  "|---|---|---|---|"]
        lines += [f"| {m['mutant']} | {m['status']} | {m['killed_by'] or '-'} | "
                  f"`{m['mutation']}` |" for m in mutants["list"]]
    return "\n".join(lines) + "\n"


def write_report(settings, records, out, folder, *, shrunk=None, mutation=None, command=""):
    """Write the report of ``records`` (one per seed, in seed order) into ``folder``, the
    staging folder of the output folder ``out`` (:meth:`tlcim.files.Outputs.folder`); return
    the summary (what ``regress.json`` holds)."""
    from tlcim.golden.config import PRESETS
    out = pathlib.Path(out)
    config = settings.config
    shrunk = shrunk or {}
    failing = [r for r in records if r["status"] != "pass"]
    code_summary, curves = (_code_coverage(settings, [r["seed"] for r in records], out,
                                           folder) if settings.coverage else (None, None))
    missed, functional = _functional(config, records)
    first = None
    if failing:
        record = failing[0]
        script = shrunk.get(record["seed"])
        first = {"seed": record["seed"], "status": record["status"],
                 "first_mismatch": record["first_mismatch"], "failure": record["failure"],
                 "reproduce": command.format(seed=record["seed"]),
                 "script": None, "shrunk_ops": None}
        if script is not None:
            first["script"] = f"failures/seed{record['seed']}/session.json"
            first["shrunk_ops"] = len(script.ops)
        elif record["seed"] in shrunk:
            first["script"] = "not reproducible: the seed passed when run again"
    for seed, script in shrunk.items():
        if script is not None:
            script.save(folder / "failures" / f"seed{seed}")
    total = code_summary["total"] if code_summary else {}
    summary = {
        "config": next((n for n, p in PRESETS.items() if p == config), "custom"),
        "target": settings.target,
        "design": "user" if settings.verilog is not None else "generated",
        "macro": settings.macro,
        "seeds": len(records),
        "seed_range": [records[0]["seed"], records[-1]["seed"]] if records else [0, -1],
        "passed": len(records) - len(failing),
        "mismatches": sum(r["status"] == "mismatch" for r in records),
        "failures": sum(r["status"] == "failed" for r in records),
        "failing_seeds": [r["seed"] for r in failing],
        "first_failure": first,
        "coverage": {**{kind: total[kind]["fraction"] if kind in total else None
                        for kind in code.KINDS},
                     "functional": functional[-1] if functional else 0.0},
        "uncovered": {"functional": missed,
                      "code": (code_summary["uncovered"][:UNCOVERED_LISTED]
                               if code_summary else []),
                      "code_total": len(code_summary["uncovered"]) if code_summary else 0},
        "code_coverage": ({"total": total, "modules": code_summary["modules"],
                           "waivers": code_summary["waivers"]} if code_summary else None),
        "functional_plan": len(plan(config)),
        "mutants": mutation or {"total": 0, "killed": 0, "equivalent": 0, "survived": 0,
                                "list": []},
    }
    write_json(folder / "regress.json", summary)
    write_text(folder / "regress.md", _markdown(summary, code_summary))
    _plot(folder, curves, functional)
    return summary
