"""The ``tlcim`` command line: one ``argparse`` subcommand per job.

Each subcommand parses its options here and calls one function of the module that does the
work, imported only when that subcommand runs. This is the one way in and out of every command:

- options are checked by their parser types (a number that must be positive and finite says
  so, naming the option); files are read through :mod:`tlcim.sim.inputs`, outputs written
  through :mod:`tlcim.files` (all together or not at all; never over an input, nor over a file
  tlcim did not write unless ``--force``);
- a refused input (``ValueError`` from any layer) is reported as ``tlcim: error: ...`` with
  exit status 2, after nothing has been written; a failed tool or simulation as
  ``tlcim: failed: ...`` (status 1); Ctrl-C as one line (status 130), removing partial
  outputs and leaving caches usable. A user never sees a traceback: anything else is reported
  as an internal error in one line (``TLCIM_DEBUG=1`` shows the traceback).
"""

import argparse
import importlib
import math
import os
import signal
import sys
import threading
import traceback

__all__ = ["main"]

#: Setting it to 1 prints the traceback of an internal error.
DEBUG_VARIABLE = "TLCIM_DEBUG"


def _config(spec):
    # --config: a preset name, or a TOML file read through the checked readers.
    import pathlib
    from tlcim.golden import PRESETS, Config
    from tlcim.sim.inputs import read_toml
    if spec in PRESETS:
        return PRESETS[spec]
    path = pathlib.Path(spec)
    if spec.endswith(".toml") or path.exists():
        return Config.from_dict(read_toml(path, "configuration"), source=path.name)
    return Config.preset(spec)


def _call(handler, **kwargs):
    module, function = handler.split(":")
    return getattr(importlib.import_module(module), function)(**kwargs)


def _number(kind, low=None, *, positive=False, high=None, below=None):
    """An argparse type: a finite ``kind`` (int or float) within the bounds (``below``: an
    exclusive upper bound), or a message."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be {'an integer' if kind is int else 'a number'}, not {text!r}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
        if positive and not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text!r}")
        if low is not None and value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, not {text!r}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high}, not {text!r}")
        if below is not None and not value < below:
            raise argparse.ArgumentTypeError(f"must be below {below}, not {text!r}")
        return value
    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


#: Option types shared by the subcommands.
CLOCK_MHZ = _number(float, positive=True, high=100_000)
SEED = _number(int, 0, high=2 ** 63 - 1)
COUNT = _number(int, 1, high=1_000_000)
#: A share strictly between 0 and 1.
FRACTION = _number(float, positive=True, below=1)
#: A hold margin in ns (at most a period of the fastest clock accepted).
MARGIN_NS = _number(float, 0, high=10)


def _parser():
    parser = argparse.ArgumentParser(
        prog="tlcim", description="TL-nvSRAM-CIM generator, golden model and flows.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help, *, writes=True):
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument("--config", default="paper", metavar="C",
                         help="preset name or TOML file (default: paper)")
        if writes:
            force(sub)
        return sub

    def force(sub):
        sub.add_argument("--force", action="store_true",
                         help="replace existing files that tlcim did not write (or that were "
                              "changed since), and symbolic links")

    p = command("build", "run the main job: configuration, golden demonstration, Verilog "
                         "and reports, under one output folder")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(handler="tlcim.build:build", args=("config", "out", "force"))

    p = command("config", "print a configuration with its derived values, or export it",
                writes=False)
    p.add_argument("--format", choices=("json", "toml"), default="json")
    p.set_defaults(handler="tlcim.build:show_config", args=("config", "format"))

    p = command("golden", "compute a layer product W^T x with the golden model")
    p.add_argument("--weights", required=True, metavar="W.npy", help="int [N, O]")
    p.add_argument("--inputs", required=True, metavar="X.npy", help="int [N] or [batch, N]")
    p.add_argument("--out", required=True, metavar="Y.npy")
    p.set_defaults(handler="tlcim.run:golden_layer",
                   args=("config", "weights", "inputs", "out", "force"))

    p = command("generate", "generate the Verilog (stub and black-box variants), file list, "
                            "register map (Markdown, JSON, C header) and configuration")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(handler="tlcim.build:generate", args=("config", "out", "force"))

    p = command("synth", "synthesise the digital periphery (subarrays as black boxes) with "
                         "yosys: per-block cells, transistors, gate equivalents, array share")
    p.add_argument("--out", required=True, metavar="DIR", help="writes DIR/area.json, area.md")
    p.set_defaults(handler="tlcim.synth:synth", args=("config", "out", "force"))

    p = command("export", "write the tapeout bundle: black-box Verilog, behavioural model, "
                          "file lists, SDC, register map and a manifest with checksums")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--clock-mhz", type=CLOCK_MHZ, default=200.0, metavar="F",
                   help="clock of the SDC in MHz (default 200)")
    p.set_defaults(handler="tlcim.export:export", args=("config", "out", "clock_mhz", "force"))

    p = command("signoff", "map the periphery onto the osu018 standard cells (subarrays as "
                           "the macro), time it with OpenSTA, prove it equivalent; writes the "
                           "netlist, SDC, Liberty, LEF and Verilog views and DIR/signoff.json")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--clock-mhz", type=CLOCK_MHZ, default=100.0, metavar="F",
                   help="clock to sign off at in MHz (default 100)")
    p.set_defaults(handler="tlcim.signoff.command:signoff",
                   args=("config", "out", "clock_mhz", "force"))

    p = command("pnr", "place and route the periphery around the subarray macros on the osu018 "
                       "standard cells (graywolf, qrouter), then time it after routing "
                       "(OpenSTA with the routed parasitics), compare it with netgen and draw it")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="writes DIR/pnr.json, the routed DEF, Verilog, SPEF, timing reports "
                        "and layout.png")
    p.add_argument("--clock-mhz", type=CLOCK_MHZ, default=100.0, metavar="F",
                   help="sign-off clock in MHz (default 100)")
    # tlcim.pnr.DEFAULT_UTILIZATION (not imported here: the command line starts fast).
    p.add_argument("--utilization", type=FRACTION, default=0.5, metavar="U",
                   help="standard-cell area over core area, in (0, 1) (default 0.5)")
    p.add_argument("--hold-margin", type=MARGIN_NS, default=0.0, metavar="NS",
                   help="hold slack every endpoint must have after routing, in ns (default 0); "
                        "endpoints below it get delay buffers in the routed layout")
    p.set_defaults(handler="tlcim.pnr:pnr",
                   args=("config", "out", "clock_mhz", "utilization", "hold_margin", "force"))

    p = command("fpga", "build the FPGA emulation bitstream (behavioural stub, UART bridge) "
                        "with amaranth-boards and the yowasp toolchain")
    p.add_argument("--board", required=True, choices=("icebreaker", "ulx3s-85f"))
    p.add_argument("--out", required=True, metavar="DIR", help="writes DIR/fpga.json, bitstream")
    p.set_defaults(handler="tlcim.fpga:fpga", args=("config", "board", "out", "force"))

    p = command("run", "run a JSON session script on a target and write its results")
    p.add_argument("--target", default="golden",
                   help="golden, rtl[:verilator|icarus] or fpga:<serial port>")
    p.add_argument("--script", required=True, metavar="S.json")
    p.add_argument("--out", required=True, metavar="R.json")
    p.set_defaults(handler="tlcim.run:run_script",
                   args=("config", "target", "script", "out", "force"))

    p = command("regress", "verification sign-off: constrained-random sessions on the golden "
                           "model and a target compared operation by operation, with code and "
                           "functional coverage and a mutation score (resumable)")
    p.add_argument("--seeds", type=COUNT, default=10, metavar="N", help="seeds (default 10)")
    p.add_argument("--start", type=SEED, default=0, metavar="S",
                   help="first seed (default 0): seeds S .. S+N-1")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="writes DIR/results.jsonl (as seeds finish), DIR/regress.json, "
                        "DIR/regress.md and the coverage plot")
    p.add_argument("--target", default="rtl",
                   help="a tlcim run target (default rtl, i.e. rtl:verilator)")
    p.add_argument("--jobs", type=_number(int, 1, high=1024), default=None, metavar="J",
                   help="local worker processes (default: the number of CPUs)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on the existing Dask cluster at ADDRESS instead of local processes")
    p.add_argument("--verilog", default=None, metavar="FILE",
                   help="a tlcim_top Verilog to verify instead of the generated one")
    p.add_argument("--coverage", action="store_true",
                   help="Verilator line, branch and toggle coverage, merged over the seeds")
    p.add_argument("--mutants", type=_number(int, 0, high=10_000), default=0, metavar="M",
                   help="also run M yosys mutants of the design and report the mutation score")
    p.add_argument("--macro", choices=("stub", "cpp"), default="stub",
                   help="the behavioural subarrays: the Amaranth stub (default) or its C++ "
                        "model, the same cycles with twice the MVM throughput (Verilator "
                        "only)")
    p.set_defaults(handler="tlcim.regress:regress",
                   args=("config", "seeds", "out", "jobs", "scheduler", "target", "verilog",
                         "mutants", "coverage", "start", "force", "macro"))

    p = command("infer", "train, quantise and map a digits classifier and run it on a target, "
                         "reporting float, quantised-software and target accuracies")
    p.add_argument("--target", default="golden", help="golden or rtl[:simulator]")
    p.add_argument("--limit", type=COUNT, default=None, metavar="N",
                   help="use only the first N test images")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write DIR/accuracy.json and the target's logits (.npy)")
    p.add_argument("--faults", action="store_true",
                   help="also inject restore misreads at the ReRAM model's rates for growing "
                        "cluster sizes and report accuracy against cluster size")
    p.add_argument("--seed", type=SEED, default=0, help="training seed (default 0)")
    p.add_argument("--hidden", type=_number(int, 1, high=4096), default=32,
                   help="hidden units (default 32)")
    p.set_defaults(handler="tlcim.nn:infer",
                   args=("config", "target", "limit", "out", "faults", "seed", "hidden",
                         "force"))
    p = command("model", "cost model: density, energy per MVM and per inference, throughput, "
                         "area, and the paper's comparisons on ResNet-18 and VGG-9")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write DIR/model.json, DIR/model.md and the plots (default: print the "
                        "comparison table)")
    p.add_argument("--area", default=None, metavar="AREA.json",
                   help="synthesised periphery area, replacing the estimates")
    p.set_defaults(handler="tlcim.cost:model_command", args=("config", "out", "area", "force"))

    # No --config: the grid names its base configuration.
    p = commands.add_parser("sweep", help="design-space sweep: cost and digits accuracy over a "
                                          "grid of configurations, with Pareto plots "
                                          "(resumable)",
                            description="Evaluate every point of a parameter grid for area, "
                                        "energy, throughput, density and accuracy; resumable.")
    p.add_argument("--grid", default="default", metavar="GRID",
                   help="grid TOML file or preset (default, tiny; default: default)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="writes DIR/results.jsonl (as points finish), DIR/sweep.json and "
                        "DIR/pareto_*.png/.svg")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on the existing Dask cluster at ADDRESS instead of local processes")
    p.add_argument("--workers", type=_number(int, 1, high=1024), default=None, metavar="N",
                   help="local worker processes (default: the number of CPUs)")
    p.add_argument("--limit", type=COUNT, default=100, metavar="N",
                   help="test images per accuracy (default 100)")
    p.add_argument("--seed", type=SEED, default=0, help="training seed (default 0)")
    p.add_argument("--hidden", type=_number(int, 1, high=4096), default=32,
                   help="hidden units (default 32)")
    p.add_argument("--area", default=None, metavar="AREA.json",
                   help="synthesised periphery area, replacing the estimates")
    force(p)
    p.set_defaults(handler="tlcim.sweep:sweep",
                   args=("grid", "out", "scheduler", "workers", "limit", "seed", "hidden",
                         "area", "force"))
    return parser


def main(argv=None):
    """Run the ``tlcim`` command line with ``argv`` (default: ``sys.argv[1:]``); return the
    exit status (0 done, 1 a tool or simulation failed, 2 refused input, 130 interrupted)."""
    previous = _interrupt_where_pressed()
    try:
        return _main(argv)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _main(argv):
    from tlcim.sim.inputs import forget_inputs
    parser = _parser()
    args = parser.parse_args(argv)   # usage errors: argparse's message and status 2
    forget_inputs()                  # this command's inputs, as it reads them
    try:
        kwargs = {name: getattr(args, name) for name in args.args}
        if "config" in kwargs:
            kwargs["config"] = _config(kwargs["config"])
        result = _call(args.handler, **kwargs)
    except ValueError as error:
        return _report("error", error, 2)
    except KeyboardInterrupt:
        return _report("interrupted", "nothing was written (caches are kept)", 130)
    except RuntimeError as error:
        return _report("failed", error, 1)
    except OSError as error:
        # The file system refused (full, read-only, too long a name...).
        where = f" ({error.filename})" if error.filename else ""
        return _report("error", f"{error.strerror or error}{where}", 2)
    except (RecursionError, MemoryError) as error:
        return _report("error", f"the input is too large or nests too deeply to process "
                                f"({type(error).__name__})", 2)
    except Exception as error:  # a bug: one line, the traceback only when asked for
        if os.environ.get(DEBUG_VARIABLE) == "1":
            traceback.print_exc()
        return _report("internal error", f"{type(error).__name__}: {error} (please report "
                                          f"it; {DEBUG_VARIABLE}=1 shows the traceback)", 70)
    return result or 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _interrupt_where_pressed():
    """Make Ctrl-C raise ``KeyboardInterrupt`` wherever the command is, as Python's own
    handler does, but under a handler of our own: ``asyncio.run`` replaces Python's handler
    with one that only cancels its task at the next ``await``, which a session blocked in a
    simulator call reaches after the simulator (interrupted too) has gone, so the run ended
    as failed instead of interrupted. An ignored SIGINT (a background job) stays ignored.

    SIGTERM (``kill``) is handled the same way where it would end the process at once: the
    command then stops its worker processes and cleans up as after Ctrl-C, instead of
    leaving the workers of a pool behind. Returns ``{signal: handler replaced}``."""
    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread can set handlers (and receives the signal)
    previous = {}
    for signum, default in ((signal.SIGINT, signal.default_int_handler),
                            (signal.SIGTERM, signal.SIG_DFL)):
        if signal.getsignal(signum) is default:
            previous[signum] = signal.signal(signum, _interrupt)
    return previous


def _report(kind, message, status):
    print(f"tlcim: {kind}: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
