"""Running a regression (``tlcim regress``): seeds on an executor, resumable, then shrinking,
code coverage, mutants and the report.

Seeds run on a :class:`tlcim.executors.Executor` (local processes or an existing Dask
cluster, as for ``tlcim sweep``). Every finished seed is appended at once as one JSON line to
``DIR/results.jsonl`` (mutant runs to ``DIR/mutants.jsonl``), with the settings that made it,
so an interrupted regression resumes where it stopped: a rerun with the same settings runs only
the seeds missing. Code coverage keeps one ``coverage.dat`` per seed in ``DIR/coverage/``.
At the end ``DIR/regress.json``, ``DIR/regress.md``, ``DIR/coverage_vs_seeds.png/.svg``,
the annotated sources and the shrunk failing scripts are written together
(:class:`tlcim.files.Outputs`).
"""

import hashlib
import json
import pathlib
import re
import sys

from tlcim.executors import Progress, make_executor, read_records
from tlcim.sim.script import check_target
from .generate import GENERATOR_VERSION
from .run import CHECKS_VERSION, Job, run_seed, shrink

__all__ = ["MACROS", "Settings", "run_seeds", "regress", "read_verilog"]

#: The behavioural subarrays ``--macro`` chooses (:class:`Settings`).
MACROS = ("stub", "cpp")
#: Failing seeds shrunk and written out per run (each shrink reruns the seed many times).
SHRINK_LIMIT = 3


def read_verilog(path):
    """Return the text of a user's ``tlcim_top`` Verilog file.

    Raises
    ------
    ValueError
        If the file cannot be read (:func:`tlcim.sim.inputs.read_text`) or defines no module
        ``tlcim_top``.
    """
    from tlcim.sim.inputs import read_text
    from tlcim.sim.rtl import TOPLEVEL
    text = read_text(path, "--verilog file")
    if not re.search(rf"^\s*module\s+{TOPLEVEL}\b", text, re.MULTILINE):
        raise ValueError(f"--verilog file {str(path)!r} defines no module {TOPLEVEL}")
    return text


class Settings:
    """What decides a seed's record: configuration, target, design, coverage.

    Parameters
    ----------
    config : Config
    target : str
    verilog : str or None
        Text of a user's ``tlcim_top`` replacing the generated one.
    coverage : bool
    macro : "stub" or "cpp"
        The behavioural subarrays of the generated design: the Amaranth stub, or its C++ model
        (:mod:`tlcim.sim.model`: the same cycles, faster; Verilator only).
    """

    def __init__(self, config, target="rtl", verilog=None, coverage=False, macro="stub"):
        self.config, self.target, self.verilog, self.coverage = config, target, verilog, coverage
        name, _, option = target.partition(":")
        self.rtl = name == "rtl"
        self.simulator = (option or "verilator") if self.rtl else None
        if verilog is not None and not self.rtl:
            raise ValueError(f"--verilog needs an rtl target, not {target!r}")
        if coverage and self.simulator != "verilator":
            raise ValueError(f"--coverage needs the rtl:verilator target, not {target!r}")
        if macro not in MACROS:
            raise ValueError(f"--macro must be one of {', '.join(MACROS)}, not {macro!r}")
        if macro == "cpp":
            # The C++ model replaces the subarrays' Verilog: nothing of it to cover or mutate.
            if self.simulator != "verilator":
                raise ValueError(f"--macro cpp needs the rtl:verilator target, not {target!r}")
            for given, option in ((verilog is not None, "--verilog"), (coverage, "--coverage")):
                if given:
                    raise ValueError(f"--macro cpp cannot be combined with {option}: it "
                                     f"replaces the subarrays' Verilog with C++")
        self.macro = macro
        self._sources = None

    def sources(self):
        """The Verilog sources of the design under test (generated once)."""
        if self._sources is None:
            from tlcim.hw.generate import library_sources, simulation_sources
            from tlcim.sim import model
            sources = (model.sources(self.config) if self.macro == "cpp"
                       else simulation_sources(self.config))
            if self.verilog is not None:
                # The user's design in place of the generated one; the library modules that
                # either instantiates are still added.
                sources = {**library_sources(self.verilog + sources["tlcim_top.v"]),
                           "tlcim_top.v": self.verilog}
            self._sources = sources
        return self._sources

    @property
    def optimise(self):
        """How the simulator build's C++ is optimised: as ``tlcim run`` builds the generated
        design (:func:`tlcim.sim.rtl.generated_optimise`: profile-guided when large), by size
        for a user's design."""
        from tlcim.sim import rtl
        if not self.rtl or self.verilog is not None:
            return None
        return rtl.generated_optimise(self.simulator, self.sources(), self.coverage)

    @property
    def variant(self):
        """The simulator build's folder name part: the C++ model's builds keep their own."""
        return "cpp" if self.macro == "cpp" else ""

    def design_hash(self):
        if not self.rtl:
            return None
        return hashlib.sha256("\0".join(self.sources().values()).encode()).hexdigest()[:16]

    def identity(self):
        """What a record must have been made with to be reused (JSON-ready)."""
        return {"config": hashlib.sha256(self.config.to_json().encode()).hexdigest()[:16],
                "target": self.target, "macro": self.macro, "design": self.design_hash(),
                "coverage": self.coverage, "generator": GENERATOR_VERSION,
                "checks": CHECKS_VERSION}

    def job(self, *, sources=None, mutant=0, coverage_dir=None, variant="", build_args=(),
            optimise=None):
        build = None
        if self.rtl:
            build = {"simulator": self.simulator, "sources": sources or self.sources(),
                     "variant": variant or self.variant,
                     "coverage": self.coverage and mutant == 0,
                     "build_args": list(build_args),
                     "optimise": self.optimise if optimise is None else optimise}
        return Job(self.config.to_json(), self.target, build, mutant,
                   None if coverage_dir is None else str(coverage_dir))


def run_seeds(job, seeds, path, identity, executor, *, what="regress", stream=None,
              stop_on_failure=False):
    """Run ``seeds`` of ``job`` not yet recorded in ``path``; return ``{seed: record}``.

    ``stop_on_failure`` cancels the remaining seeds at the first failing one (a mutant is
    killed by one failure).
    """
    stream = sys.stderr if stream is None else stream
    records = {seed: r for (mutant, seed), r in
               read_records(path, identity, lambda r: (r["mutant"], r["seed"]),
                            "regression record").items()
               if mutant == job.mutant}
    if stop_on_failure and any(r["status"] != "pass" for r in records.values()):
        return records
    todo = [seed for seed in seeds if seed not in records]
    if not todo:
        return records
    progress = Progress(what, "seeds", len(seeds), len(seeds) - len(todo), stream)
    failures = sum(r["status"] != "pass" for r in records.values())
    futures = [executor.submit(run_seed, job, seed) for seed in todo]
    try:
        with open(path, "a") as file:
            for future in executor.as_completed(futures):
                record = future.result()
                record["settings"] = identity
                file.write(json.dumps(record, separators=(",", ":")) + "\n")
                file.flush()
                records[record["seed"]] = record
                failures += record["status"] != "pass"
                progress.update(f"{failures} failing")
                if stop_on_failure and failures:
                    executor.cancel(futures)
                    break
    except BaseException:
        executor.cancel(futures)
        raise
    return records


def regress(config, seeds=10, out=None, jobs=None, scheduler=None, target="rtl", verilog=None,
            mutants=0, coverage=False, start=0, force=False, macro="stub"):
    """Run ``tlcim regress``: see the module docstring and ``docs/verification.md``.

    Returns
    -------
    int
        0 when every seed passed, 1 when a seed mismatched or failed, 130 when interrupted.

    Raises
    ------
    ValueError
        For bad options, a bad ``--verilog`` file, an output folder that must not be written
        (:class:`tlcim.files.Outputs`; ``force`` replaces files tlcim did not write) or a
        damaged ``results.jsonl``.
    """
    from tlcim.files import Outputs
    from .report import write_report
    check_target(target)
    for name, value, low in (("seeds", seeds, 1), ("mutants", mutants, 0), ("start", start, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, not {value!r}")
    if out is None:
        raise ValueError("out must name the output folder, not None")
    text = read_verilog(verilog) if verilog is not None else None
    settings = Settings(config, target, text, coverage, macro)
    if mutants and settings.simulator != "verilator":
        raise ValueError(f"--mutants needs the rtl:verilator target, not {target!r}")
    if mutants and macro == "cpp":
        raise ValueError("--macro cpp cannot be combined with --mutants: it replaces the "
                         "subarrays' Verilog with C++")
    out = pathlib.Path(out)
    seed_list = list(range(start, start + seeds))
    identity = settings.identity()
    coverage_dir = out / "coverage"
    # The report appears together at the end; results.jsonl (and the per-seed coverage) is
    # the regression's log, appended seed by seed so that an interrupted run resumes.
    try:
        with Outputs(force=force) as outputs:
            folder = outputs.folder(out)
            out.mkdir(parents=True, exist_ok=True)
            if coverage:
                coverage_dir.mkdir(exist_ok=True)
            with make_executor(scheduler, jobs) as executor:
                print(f"regress: {seeds} seed(s) of {target} on {executor.describe()}",
                      file=sys.stderr, flush=True)
                if settings.rtl:
                    _build_first(settings)
                job = settings.job(coverage_dir=coverage_dir if coverage else None)
                records = run_seeds(job, seed_list, out / "results.jsonl", identity, executor)
                mutation = None
                if mutants:
                    from .mutate import run_mutants
                    mutation = run_mutants(settings, mutants, seed_list, out, executor)
            failing = sorted(seed for seed, record in records.items()
                             if record["status"] != "pass")
            shrunk = {}
            for seed in failing[:SHRINK_LIMIT]:
                print(f"regress: shrinking the script of failing seed {seed}", file=sys.stderr,
                      flush=True)
                script = shrink(job, seed, first_mismatch=records[seed]["first_mismatch"])[0]
                if script is None:
                    print(f"regress: seed {seed} passed when run again: not reproducible",
                          file=sys.stderr, flush=True)
                shrunk[seed] = script
            summary = write_report(settings, [records[s] for s in seed_list], out, folder,
                                   shrunk=shrunk, mutation=mutation,
                                   command=_command(config, target, verilog, macro))
    except KeyboardInterrupt:
        print(f"regress: interrupted; finished seeds are kept in {out / 'results.jsonl'}: "
              f"run the same command to resume", file=sys.stderr)
        return 130
    print(f"regress: {summary['seeds']} seed(s), {summary['mismatches']} mismatching, "
          f"{summary['failures']} failed; functional coverage "
          f"{summary['coverage']['functional']:.1%}; written {out / 'regress.json'}")
    return 1 if failing else 0


def _build_first(settings):
    """Build the simulator once here, so workers sharing the cache only check its stamp."""
    from tlcim.sim.rtl import build_harness
    built = build_harness(settings.config, settings.simulator, sources=settings.sources(),
                          variant=settings.variant, coverage=settings.coverage,
                          optimise=settings.optimise)
    print(f"regress: {settings.simulator} build {'compiled' if built.rebuilt else 'reused'} "
          f"in {built.seconds:.1f} s", file=sys.stderr, flush=True)


def _command(config, target, verilog, macro):
    """The command line that reruns one seed (``{seed}`` left to fill in)."""
    from tlcim.golden.config import PRESETS
    name = next((n for n, preset in PRESETS.items() if preset == config), None)
    parts = ["tlcim", "regress", "--config", name or "CONFIG.toml", "--target", target,
             "--start", "{seed}", "--seeds", "1"]
    if verilog is not None:
        parts += ["--verilog", str(verilog)]
    if macro != "stub":
        parts += ["--macro", macro]
    return " ".join(parts + ["--out", "OUT"])
