"""Equivalence of the signed-off netlist to the RTL, in two proofs that chain.

The mapping (:mod:`tlcim.signoff.mapping`) keeps the *generic* netlist it made from the RTL
(yosys ``synth``, then every register on the library's flip-flop, named ``ff<n>`` per module)
before ABC mapped its logic onto the cells, buffered, sized and, in hold fixing, delayed it.

1. **RTL to generic** (:func:`prove_synthesis`): the RTL as yosys reads it (``proc``,
   ``flatten``, memories to flip-flops, ``techmap``: lowering only, none of ``synth``'s
   optimisations) against the generic netlist. ``synth`` keeps each register's name on the
   flip-flop's output net, so :func:`cut_matched_flops` pairs the flip-flops of the two by
   those names and cuts each pair into one shared input (its state) and two compared
   outputs (its next state). The few that ``synth`` merged or found constant keep their
   registers. ABC proves the miter: ``&scorr`` (induction over signal correspondence, from
   the initial values: the RTL's, and 0 for registers that have none), then ``dprove``.
2. **Generic to signed-off** (:func:`prove_mapping`): both netlists hold the same flip-flops
   under the same instance names, so this proof is combinational: every flip-flop and macro
   instance is cut into ports (``expose -evert``: ``<instance>.<pin>``), yosys builds a
   ``miter -equiv`` of the two and ABC's ``&cec -m`` proves its output constant 0.

Together: from equal states of the matched flip-flops, every output and every macro input of
the netlist signed off computes the same as the RTL, cycle by cycle; ``synth``, ABC's mapping,
the fanout buffers and the hold buffers changed nothing. Taken on trust: yosys' reading of the
Verilog and its lowering passes (``proc``, ``memory_map``, ``techmap``: what "the RTL" means to
every yosys flow), one clock for every flip-flop (AIGER has one; the periphery has one), and
undefined bits, tied to 0 on both sides (``setundef -zero``, as the
mapping does). A counterexample or an undecided miter is reported, never hidden; ``proven`` is
true only when both proofs are.

ABC is the Debian package ``berkeley-abc`` (:func:`tlcim.signoff.library.find_abc`). The
result is cached in the implementation's folder.
"""

import collections
import fcntl
import json
import os
import re
import shutil
import subprocess

from tlcim.yosys import find_tool, run_tool

__all__ = ["METHOD", "SCOPE", "ABC_SECONDS", "miter_script", "sides_script",
           "cut_matched_flops", "prove", "prove_synthesis", "prove_mapping"]
#: ``method`` of the result.
METHOD = ("RTL to generic netlist: yosys reads the RTL (proc, flatten, memory_map, techmap), "
          "flip-flops paired by register name and cut, ABC &scorr + dprove; generic to "
          "signed-off netlist: flip-flops and macros cut into matched ports, ABC &cec")
#: ``scope`` of the result: what is proven and what is trusted.
SCOPE = ("proven: yosys synth, the mapping, buffering and hold fixing, from equal states of "
         "the matched flip-flops; trusted: yosys' reading and lowering of the Verilog (proc, "
         "memory_map, techmap); undefined bits tied to 0 on both sides")
#: Bumped when the proof changes, so that results cached by an older proof are not reused.
PROOF_VERSION = 2
#: Seconds ABC may take on one miter before the proof is reported undecided.
ABC_SECONDS = 900
#: The ABC commands of the sequential proof of :func:`prove_synthesis`.
SEQUENTIAL_ABC = "read_aiger miter.aig; strash; &get -n; &scorr; &put; dprove"
#: The ABC commands of the combinational proof of :func:`prove_mapping`.
COMBINATIONAL_ABC = "read_aiger miter.aig; &get -n; &cec -m"


def _flat_side(reads, name, cut):
    # Flatten, tie undefined bits, drop logic that drives nothing (as the mapping did), then
    # cut the flip-flops and macros into ports.
    return reads + ["hierarchy -top tlcim_top", "flatten", "setundef -zero",
                    "opt_clean -purge", cut, "opt_clean -purge", f"rename tlcim_top {name}"]


def miter_script(technology, *, gold="generic.il", gate="netlist.v", cells="cells.lib",
                 macro="macro.lib", module="tlcim_subarray", out="miter.aig"):
    """Return the yosys script of :func:`prove_mapping`: the AIGER miter of ``gold`` (RTLIL)
    and ``gate`` (the flat Verilog netlist); file names relative to where it runs."""
    cut = f"expose -evert t:{technology.flop} t:{module}"
    return "\n".join(
        _flat_side([f"read_liberty -lib {cells}", f"read_liberty -lib {macro}",
                    f"read_rtlil {gold}"], "gold", cut) + ["design -stash gold"] +
        # The gate side needs the cells' functions, but the flip-flop stays a box to be cut.
        _flat_side([f"read_liberty -ignore_miss_func {cells}", f"blackbox {technology.flop}",
                    f"read_liberty -lib {macro}", f"read_verilog {gate}"],
                   "gate", cut) + ["design -stash gate"] +
        ["design -copy-from gold -as gold gold", "design -copy-from gate -as gate gate",
         "miter -equiv -flatten gold gate miter", "hierarchy -top miter",
         "techmap", "opt -fast", "aigmap", f"write_aiger -zinit {out}"]) + "\n"


def sides_script(*, rtl="rtl.v", generic="generic.il", cells="cells.lib", macro="macro.lib",
                 module="tlcim_subarray"):
    """Return the yosys script that writes both sides of :func:`prove_synthesis` as flat,
    bit-level JSON (``gold.json``: the RTL, lowered only; ``gate.json``: the generic netlist,
    the cells' flip-flops as ``$_DFF_P_``), each macro cut into ports. No ``-purge``: the
    register names on the flip-flops' nets are what pairs them."""
    def side(reads, lowering, out):
        return reads + ["hierarchy -check -top tlcim_top", *lowering, "flatten",
                        "memory -nomap", "memory_map", "opt_clean", "setundef -zero",
                        f"expose -evert t:{module}", "techmap", "setundef -zero",
                        "opt_clean", f"write_json {out}", "design -reset"]
    return "\n".join(
        side([f"read_liberty -lib {macro}", f"read_verilog -sv {rtl}"], ["proc"], "gold.json")
        + side([f"read_liberty {cells}", f"read_liberty -lib {macro}",
                f"read_rtlil {generic}"], [], "gate.json")) + "\n"


def _register_names(module):
    # Net bit -> the public names of it ("name[i]"), and the flip-flops: cell -> Q bit.
    names = collections.defaultdict(set)
    for name, net in module["netnames"].items():
        if not name.startswith("$"):
            for index, bit in enumerate(net["bits"]):
                names[bit].add(f"{name}[{index}]")
    flops = {cell: entry["connections"]["Q"][0] for cell, entry in module["cells"].items()
             if entry["type"] == "$_DFF_P_"}
    return names, flops


def cut_matched_flops(gold, gate):
    """Pair the flip-flops of the yosys JSON designs ``gold`` and ``gate`` (each one flat
    ``tlcim_top`` of ``$_DFF_P_`` and gates) and cut every pair into ports, in place.

    A gold flip-flop pairs with the one gate flip-flop whose output net shares a name with
    its own (unpaired when none or several do). Pair ``k`` becomes input ``ffq<k>`` (its
    state, shared by the miter) and output ``ffd<k>`` (its next state, compared); the top
    module is renamed ``gold`` and ``gate``. Unpaired flip-flops stay registers.

    Returns
    -------
    dict
        ``{"paired": int, "gold_only": [name, ...], "gate_only": [name, ...]}`` (a name of
        each unpaired flip-flop's output).

    Raises
    ------
    RuntimeError
        If either design clocks its flip-flops from more than one net.
    """
    sides = []
    for design in (gold, gate):
        module = design["modules"]["tlcim_top"]
        sides.append((module, *_register_names(module)))
    (gold_top, gold_names, gold_flops), (gate_top, gate_names, gate_flops) = sides
    for module, side in ((gold_top, "RTL"), (gate_top, "generic netlist")):
        clocks = {tuple(entry["connections"]["C"]) for entry in module["cells"].values()
                  if entry["type"] == "$_DFF_P_"}
        if len(clocks) > 1:   # AIGER's registers share one clock
            raise RuntimeError(f"the {side} has flip-flops on {len(clocks)} clocks; the "
                               f"equivalence proof needs one")
    by_name = collections.defaultdict(set)
    for cell, bit in gate_flops.items():
        for name in gate_names[bit]:
            by_name[name].add(cell)
    pairs, taken = [], set()
    for cell, bit in sorted(gold_flops.items()):
        found = set().union(*(by_name.get(name, set()) for name in gold_names[bit])) - taken
        if len(found) == 1:
            pairs.append((cell, *found))
            taken |= found
    for index, pair in enumerate(pairs):
        for module, cell in zip((gold_top, gate_top), pair):
            connections = module["cells"].pop(cell)["connections"]
            module["ports"][f"ffq{index}"] = {"direction": "input", "bits": connections["Q"]}
            module["ports"][f"ffd{index}"] = {"direction": "output", "bits": connections["D"]}
    for design, name in ((gold, "gold"), (gate, "gate")):
        design["modules"] = {name: design["modules"]["tlcim_top"]}

    def unpaired(flops, names, paired):
        return sorted(min(names[bit], default=cell) for cell, bit in flops.items()
                      if cell not in paired)
    return {"paired": len(pairs),
            "gold_only": unpaired(gold_flops, gold_names, {p[0] for p in pairs}),
            "gate_only": unpaired(gate_flops, gate_names, taken)}


#: ABC's verdicts, as it prints them: ``&cec`` ("Networks are (NOT) EQUIVALENT"), ``dprove``
#: ("Networks are not equivalent" after "Output 0 ... was asserted", or "UNSATISFIABLE" for a
#: miter it proved constant).
_VERDICTS = [(re.compile(r"networks are not equivalent|was asserted in frame", re.I), False),
             (re.compile(r"networks are equivalent|^UNSATISFIABLE\b", re.I), True)]


def _verdict(output):
    # The last line that states a verdict decides (engines print intermediate results).
    for line in reversed(output.splitlines()):
        for pattern, proven in _VERDICTS:
            if pattern.search(line.strip()):
                return proven, ("equivalent" if proven else
                                "not equivalent (ABC found a counterexample)")
    return False, "undecided (ABC could not prove the miter within its limits)"


def _abc(work, commands):
    from .library import find_abc
    try:
        result = subprocess.run(find_abc() + ["-c", commands], cwd=work, capture_output=True,
                                text=True, timeout=ABC_SECONDS)
    except subprocess.TimeoutExpired:
        return False, f"undecided (ABC took more than {ABC_SECONDS} s)"
    return _verdict(result.stdout + result.stderr)


def _run_yosys(work, script, what):
    (work / "script.ys").write_text(script)
    run_tool(find_tool("yosys", "YOSYS") + ["-q", "-l", "yosys.log", "script.ys"], work, what)


def prove_synthesis(work, rtl, generic, cell_lib, macro_lib):
    """Prove the generic netlist ``generic`` (RTLIL) equivalent to the RTL ``rtl`` (the
    black-box top's Verilog), both with the macro of ``macro_lib``; ``work`` is an empty
    folder to work in (see the module docstring, step 1).

    Returns
    -------
    dict
        ``{"proven", "result", "paired", "gold_only", "gate_only"}`` (flip-flops, see
        :func:`cut_matched_flops`).
    """
    for source, name in ((rtl, "rtl.v"), (generic, "generic.il"), (cell_lib, "cells.lib"),
                         (macro_lib, "macro.lib")):
        shutil.copyfile(source, work / name)
    _run_yosys(work, sides_script(), "yosys (RTL and generic netlist for the proof)")
    gold, gate = (json.loads((work / f"{side}.json").read_text()) for side in ("gold", "gate"))
    flops = cut_matched_flops(gold, gate)
    for design, side in ((gold, "gold"), (gate, "gate")):
        (work / f"{side}_cut.json").write_text(json.dumps(design))
    del gold, gate
    _run_yosys(work, "\n".join([
        "read_json gold_cut.json", "read_json gate_cut.json",
        "miter -equiv -flatten gold gate miter", "hierarchy -top miter", "techmap",
        "opt_clean", "setundef -zero -init", "setundef -zero", "aigmap",
        "write_aiger -zinit miter.aig"]) + "\n", "yosys (RTL to generic miter)")
    proven, result = _abc(work, SEQUENTIAL_ABC)
    return {"proven": proven, "result": result, **flops}


def prove_mapping(work, technology, generic, netlist, cell_lib, macro_lib):
    """Prove the signed-off ``netlist`` equivalent to the generic netlist ``generic`` (see the
    module docstring, step 2); return ``{"proven", "result"}``."""
    for source, name in ((generic, "generic.il"), (netlist, "netlist.v"),
                         (cell_lib, "cells.lib"), (macro_lib, "macro.lib")):
        shutil.copyfile(source, work / name)
    _run_yosys(work, miter_script(technology), "yosys (equivalence miter)")
    proven, result = _abc(work, COMBINATIONAL_ABC)
    return {"proven": proven, "result": result}


def prove(implementation, *, progress=print):
    """Prove the netlist of ``implementation`` equivalent to its RTL (cached).

    Returns
    -------
    dict
        ``{"method", "scope", "proven": bool, "result": str, "synthesis": {...},
        "mapping": {...}}``: the two proofs of :func:`prove_synthesis` and
        :func:`prove_mapping`; ``proven`` is true only when ABC proved both.

    Raises
    ------
    ValueError
        If ABC is not installed.
    RuntimeError
        If yosys fails to build a miter.
    """
    from .library import find_abc
    find_abc()   # refuse before any work
    cached = implementation.folder / f"equivalence-{PROOF_VERSION}.json"
    with open(implementation.folder.with_suffix(".equiv.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # one proof per implementation at a time
        if not cached.exists():
            cached.write_text(json.dumps(_prove(implementation, progress), indent=1))
        return json.loads(cached.read_text())


def _prove(implementation, progress):
    impl, mapping = implementation, implementation.mapping
    work = impl.folder.with_name(impl.folder.name + f".equiv{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    try:
        (work / "synthesis").mkdir(parents=True)
        (work / "mapping").mkdir()
        progress("proving the generic netlist equivalent to the RTL (yosys, ABC &scorr) ...")
        synthesis = prove_synthesis(work / "synthesis", mapping.rtl, mapping.generic,
                                    impl.path("cell_lib"), impl.path("macro_lib"))
        progress("proving the netlist equivalent to the generic netlist (yosys miter, "
                 "ABC &cec) ...")
        mapped = prove_mapping(work / "mapping", impl.technology, mapping.generic,
                               impl.path("netlist"), impl.path("cell_lib"),
                               impl.path("macro_lib"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = [f"{step}: {result['result']}" for step, result in
              (("RTL to generic", synthesis), ("generic to netlist", mapped))
              if not result["proven"]]
    return {"method": METHOD, "scope": SCOPE, "proven": not failed,
            "result": "; ".join(failed) if failed else "equivalent",
            "synthesis": synthesis, "mapping": mapped}
