"""The ``tlcim`` command line: one ``argparse`` subcommand per job.

Each subcommand parses its options here and calls one function of the module that does the
work, imported only when that subcommand runs. Bad input (``ValueError`` from any layer) is
reported as ``tlcim: error: ...`` with exit status 2, after nothing has been written.
"""

import argparse
import importlib
import sys

__all__ = ["main"]


def _config(spec):
    from tlcim.golden import Config
    return Config.load(spec)


def _call(handler, **kwargs):
    module, function = handler.split(":")
    return getattr(importlib.import_module(module), function)(**kwargs)


def _parser():
    parser = argparse.ArgumentParser(
        prog="tlcim", description="TL-nvSRAM-CIM generator, golden model and flows.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help):
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument("--config", default="paper", metavar="C",
                         help="preset name or TOML file (default: paper)")
        return sub

    p = command("build", "run the main job: configuration, golden demonstration, Verilog "
                         "and reports, under one output folder")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(handler="tlcim.build:build", args=("config", "out"))

    p = command("config", "print a configuration with its derived values, or export it")
    p.add_argument("--format", choices=("json", "toml"), default="json")
    p.set_defaults(handler="tlcim.build:show_config", args=("config", "format"))

    p = command("golden", "compute a layer product W^T x with the golden model")
    p.add_argument("--weights", required=True, metavar="W.npy", help="int [N, O]")
    p.add_argument("--inputs", required=True, metavar="X.npy", help="int [N] or [batch, N]")
    p.add_argument("--out", required=True, metavar="Y.npy")
    p.set_defaults(handler="tlcim.run:golden_layer",
                   args=("config", "weights", "inputs", "out"))

    p = command("generate", "generate the Verilog (stub and black-box variants), file list, "
                            "register map (Markdown, JSON, C header) and configuration")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(handler="tlcim.build:generate", args=("config", "out"))

    p = command("synth", "synthesise the digital periphery (subarrays as black boxes) with "
                         "yosys: per-block cells, transistors, gate equivalents, array share")
    p.add_argument("--out", required=True, metavar="DIR", help="writes DIR/area.json, area.md")
    p.set_defaults(handler="tlcim.synth:synth", args=("config", "out"))

    p = command("export", "write the tapeout bundle: black-box Verilog, behavioural model, "
                          "file lists, SDC, register map and a manifest with checksums")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--clock-mhz", type=float, default=200.0, metavar="F",
                   help="clock of the SDC in MHz (default 200)")
    p.set_defaults(handler="tlcim.export:export", args=("config", "out", "clock_mhz"))

    p = command("pnr", "place and route the periphery around the subarray macros on the osu018 "
                       "standard cells (graywolf, qrouter), then time it after routing "
                       "(OpenSTA with the routed parasitics), compare it with netgen and draw it")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="writes DIR/pnr.json, the routed DEF, Verilog, SPEF, timing reports "
                        "and layout.png")
    p.add_argument("--clock-mhz", type=float, default=100.0, metavar="F",
                   help="sign-off clock in MHz (default 100)")
    p.add_argument("--utilization", type=float, default=0.6, metavar="U",
                   help="standard-cell area over core area, in (0, 1] (default 0.6)")
    p.set_defaults(handler="tlcim.pnr:pnr", args=("config", "out", "clock_mhz", "utilization"))

    p = command("fpga", "build the FPGA emulation bitstream (behavioural stub, UART bridge) "
                        "with amaranth-boards and the yowasp toolchain")
    p.add_argument("--board", required=True, choices=("icebreaker", "ulx3s-85f"))
    p.add_argument("--out", required=True, metavar="DIR", help="writes DIR/fpga.json, bitstream")
    p.set_defaults(handler="tlcim.fpga:fpga", args=("config", "board", "out"))

    p = command("run", "run a JSON session script on a target and write its results")
    p.add_argument("--target", default="golden",
                   help="golden, rtl[:verilator|icarus] or fpga:<serial port>")
    p.add_argument("--script", required=True, metavar="S.json")
    p.add_argument("--out", required=True, metavar="R.json")
    p.set_defaults(handler="tlcim.run:run_script",
                   args=("config", "target", "script", "out"))
    p = command("infer", "train, quantise and map a digits classifier and run it on a target, "
                         "reporting float, quantised-software and target accuracies")
    p.add_argument("--target", default="golden", help="golden or rtl[:simulator]")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="use only the first N test images")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write DIR/accuracy.json and the target's logits (.npy)")
    p.add_argument("--faults", action="store_true",
                   help="also inject restore misreads at the ReRAM model's rates for growing "
                        "cluster sizes and report accuracy against cluster size")
    p.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    p.add_argument("--hidden", type=int, default=32, help="hidden units (default 32)")
    p.set_defaults(handler="tlcim.nn:infer",
                   args=("config", "target", "limit", "out", "faults", "seed", "hidden"))
    p = command("model", "cost model: density, energy per MVM and per inference, throughput, "
                         "area, and the paper's comparisons on ResNet-18 and VGG-9")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write DIR/model.json, DIR/model.md and the plots (default: print the "
                        "comparison table)")
    p.add_argument("--area", default=None, metavar="AREA.json",
                   help="synthesised periphery area, replacing the estimates")
    p.set_defaults(handler="tlcim.cost:model_command", args=("config", "out", "area"))

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
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: the number of CPUs)")
    p.add_argument("--limit", type=int, default=100, metavar="N",
                   help="test images per accuracy (default 100)")
    p.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    p.add_argument("--hidden", type=int, default=32, help="hidden units (default 32)")
    p.add_argument("--area", default=None, metavar="AREA.json",
                   help="synthesised periphery area, replacing the estimates")
    p.set_defaults(handler="tlcim.sweep:sweep",
                   args=("grid", "out", "scheduler", "workers", "limit", "seed", "hidden",
                         "area"))
    return parser


def main(argv=None):
    """Run the ``tlcim`` command line with ``argv`` (default: ``sys.argv[1:]``)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        kwargs = {name: getattr(args, name) for name in args.args}
        if "config" in kwargs:
            kwargs["config"] = _config(kwargs["config"])
        result = _call(args.handler, **kwargs)
    except ValueError as error:
        print(f"tlcim: error: {error}", file=sys.stderr)
        return 2
    return result or 0


if __name__ == "__main__":
    sys.exit(main())
