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
    from golden import Config
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
    p.set_defaults(handler="sim.script:golden_layer", args=("config", "weights", "inputs", "out"))

    p = command("run", "run a JSON session script on a target and write its results")
    p.add_argument("--target", default="golden",
                   help="golden, rtl[:verilator|icarus] or fpga:<serial port>")
    p.add_argument("--script", required=True, metavar="S.json")
    p.add_argument("--out", required=True, metavar="R.json")
    p.set_defaults(handler="sim.script:run_script",
                   args=("config", "target", "script", "out"))
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
