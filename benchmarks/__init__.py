"""Benchmarks of tlcim (measurements, not tests): ``python -m benchmarks [NAME ...]``.

A benchmark is a module ``benchmarks/bench_<name>.py`` with a ``main()`` function that runs it
with its default settings, prints its figures (each next to the baseline it is compared with,
measured in the same run) and returns them as a dict. ``python -m benchmarks`` runs every such
module in name order, or only those named (``tlcim.golden`` or ``bench_golden``); ``make bench`` is
the same. The figures and commands are recorded in ``docs/``.
"""

import os

# The golden-model figures are quoted per core: keep numpy's BLAS to one thread unless the
# caller asked otherwise. This must happen before numpy is first imported, which is why it
# lives here, in the package every benchmark is imported through.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


def configuration(loader="preset"):
    """Return the argparse ``type`` of a ``--config`` option: it checks that
    ``Config.<loader>`` (``"preset"``: a preset's name; ``"load"``: a preset or a TOML/JSON
    file) takes the text, and returns the text. A bad one is then a usage error naming what
    is wrong (exit status 2), not a traceback after the work began."""
    import argparse

    def check(text):
        from tlcim.golden import Config
        try:
            getattr(Config, loader)(text)
        except (ValueError, TypeError, OSError) as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text
    return check
