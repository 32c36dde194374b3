"""``tlcim regress``: verification sign-off on many seeds (``docs/verification.md``).

Constrained-random session scripts (:mod:`.generate`), each run on the golden model and on a
target and compared operation by operation, failing scripts shrunk (:mod:`.run`); Verilator
code coverage merged over the seeds with waivers (:mod:`.coverage`); functional coverage
against the written plan (:mod:`.functional`); the mutation score with formal equivalence of
the survivors (:mod:`.mutate`); all on local processes or a Dask cluster and resumable
(:mod:`.driver`), reported as ``regress.json``, ``regress.md`` and a plot (:mod:`.report`).
"""

from .driver import regress
from .generate import Script, generate

__all__ = ["regress", "generate", "Script"]
