"""Equivalence of the signed-off netlist: a combinational proof with matched flip-flops.

The mapping (:mod:`tlcim.signoff.mapping`) keeps the *generic* netlist it made from the RTL
(yosys ``synth``, then every register on the library's flip-flop, named ``ff<n>`` per module)
before ABC mapped its logic onto the cells, buffered, sized and, in hold fixing, delayed it.
Both netlists hold the same flip-flops under the same names (``datapath.output.ff12``), so
their equivalence is combinational: :func:`prove` cuts every flip-flop and macro instance
(``expose -evert``: each pin becomes a port of the top, ``<instance>.<pin>``), builds a yosys
``miter -equiv`` of the two, writes it as AIGER and has ABC (``&cec -m``: simulation, SAT
sweeping, then its older CEC engine) prove the miter's output constant 0. A counterexample or
an undecided miter is reported, never hidden.

What this proves: every output and every flip-flop and macro input of the netlist signed off
computes the same function of the flip-flop and macro outputs and the inputs as the generic
netlist: ABC's mapping, the buffers and the hold buffers changed nothing. What it takes on
trust: yosys' own ``synth`` from the RTL to the generic netlist (the step every yosys flow
trusts), and undefined bits, tied to 0 on both sides (``setundef -zero``, as the mapping does).
The result says so in ``method`` and ``scope``.

ABC is the Debian package ``berkeley-abc`` (:func:`tlcim.signoff.library.find_abc`). The result is cached in the implementation's folder.
"""

import fcntl
import json
import os
import re
import shutil
import subprocess

from tlcim.yosys import find_tool, run_tool

__all__ = ["METHOD", "SCOPE", "miter_script", "prove"]
#: ``method`` of the result.
METHOD = ("yosys miter of the generic netlist (synth of the RTL, flip-flops mapped) and the "
          "signed-off netlist, flip-flops and macros cut into matched ports; ABC &cec")
#: ``scope`` of the result: what is proven and what is trusted.
SCOPE = ("proven: the mapping, buffering and hold fixing (combinational, every flip-flop "
         "matched by name); trusted: yosys synth from the RTL to the generic netlist; "
         "undefined bits tied to 0 on both sides")


def miter_script(technology, *, gold="generic.il", gate="netlist.v", cells="cells.lib",
                 macro="macro.lib", module="tlcim_subarray", out="miter.aig"):
    """Return the yosys script that writes the AIGER miter of ``gold`` (RTLIL) and ``gate``
    (the flat Verilog netlist); file names relative to where it runs."""
    cut = f"expose -evert t:{technology.flop} t:{module}"

    def side(name, reads):
        # Flatten, tie undefined bits, drop logic that drives nothing (as the mapping did),
        # then cut the flip-flops and macros into ports.
        return reads + [f"read_liberty -lib {macro}", "hierarchy -top tlcim_top", "flatten",
                        "setundef -zero", "opt_clean -purge", cut, "opt_clean -purge",
                        f"rename tlcim_top {name}", f"design -stash {name}"]
    return "\n".join(
        side("gold", [f"read_liberty -lib {cells}", f"read_rtlil {gold}"]) +
        # The gate side needs the cells' functions, but the flip-flop stays a box to be cut.
        side("gate", [f"read_liberty -ignore_miss_func {cells}", f"blackbox {technology.flop}",
                      f"read_verilog {gate}"]) +
        ["design -copy-from gold -as gold gold", "design -copy-from gate -as gate gate",
         "miter -equiv -flatten gold gate miter", "hierarchy -top miter",
         "techmap", "opt -fast", "aigmap", f"write_aiger -zinit {out}"]) + "\n"


def _verdict(output):
    if re.search(r"Networks are equivalent", output):
        return True, "equivalent"
    if re.search(r"NOT EQUIVALENT", output):
        return False, "not equivalent (ABC found a counterexample)"
    return False, "undecided (ABC could not prove the miter within its limits)"


def prove(implementation, *, progress=print):
    """Prove the netlist of ``implementation`` equivalent to its generic netlist (cached).

    Returns
    -------
    dict
        ``{"method", "scope", "proven": bool, "result": str}``;
        ``proven`` is true only when ABC proved the miter.

    Raises
    ------
    ValueError
        If ABC is not installed.
    RuntimeError
        If yosys fails to build the miter (e.g. the two netlists' flip-flops do not match).
    """
    cached = implementation.folder / "equivalence.json"
    with open(implementation.folder.with_suffix(".equiv.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # one proof per implementation at a time
        if not cached.exists():
            cached.write_text(json.dumps(_prove(implementation, progress), indent=1))
        return json.loads(cached.read_text())


def _prove(implementation, progress):
    from .library import find_abc
    abc = find_abc()
    impl, mapping = implementation, implementation.mapping
    work = impl.folder.with_name(impl.folder.name + f".equiv{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        progress("proving the netlist equivalent to the generic netlist (yosys miter, ABC) ...")
        shutil.copyfile(mapping.generic, work / "generic.il")
        shutil.copyfile(impl.path("netlist"), work / "netlist.v")
        shutil.copyfile(impl.path("cell_lib"), work / "cells.lib")
        shutil.copyfile(impl.path("macro_lib"), work / "macro.lib")
        (work / "miter.ys").write_text(miter_script(impl.technology))
        run_tool(find_tool("yosys", "YOSYS") + ["-q", "-l", "miter.log", "miter.ys"], work,
                 "yosys (equivalence miter)")
        result = subprocess.run(abc + ["-c", "read_aiger miter.aig; &get -n; &cec -m"],
                                cwd=work, capture_output=True, text=True)
        proven, verdict = _verdict(result.stdout + result.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"method": METHOD, "scope": SCOPE, "proven": proven, "result": verdict}
