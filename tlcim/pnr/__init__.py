"""Place and route of the periphery around the subarray macros, on the OSU 0.18 um standard
cells with Debian's open tools (graywolf, qrouter, qflow's power grid, OpenSTA, netgen) and a
KLayout picture: ``tlcim pnr``. The flow and its steps: :mod:`tlcim.pnr.flow`; what it shows
and what it does not: docs/pnr.md."""

from .flow import DEFAULT_UTILIZATION, FILES, REDUCED, pnr, run

__all__ = ["DEFAULT_UTILIZATION", "FILES", "REDUCED", "pnr", "run"]
