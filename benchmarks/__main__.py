"""Run the benchmarks: ``python -m benchmarks [NAME ...]`` (see :mod:`benchmarks`)."""

import argparse
import importlib
import pkgutil
import sys
import time
import traceback

import benchmarks


def available():
    """Return the names of every benchmark module (``bench_*``), sorted."""
    return sorted(module.name for module in pkgutil.iter_modules(benchmarks.__path__)
                  if module.name.startswith("bench_"))


def main(argv=None):
    """Run the named benchmarks (default: all); return 0, 1 if one failed, 2 on a bad name."""
    names = available()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benchmarks to run (default: all of {', '.join(names)})")
    args = parser.parse_args(argv)
    chosen = [name if name.startswith("bench_") else f"bench_{name}" for name in args.names]
    unknown = [given for given, name in zip(args.names, chosen) if name not in names]
    if unknown:
        print(f"benchmarks: error: unknown benchmark(s) {', '.join(unknown)}; "
              f"benchmarks are {', '.join(names)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen or names:
        print(f"== {name} ==", flush=True)
        start = time.perf_counter()
        try:
            importlib.import_module(f"benchmarks.{name}").main()
        except Exception:  # report it and go on with the others; the exit status says so
            traceback.print_exc()
            failed.append(name)
        print(f"== {name}: {'FAILED' if name in failed else 'done'} in "
              f"{time.perf_counter() - start:.1f} s ==\n", flush=True)
    if failed:
        print(f"benchmarks: failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
