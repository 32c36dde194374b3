"""The one configuration object shared by the golden model, the generator and the testbenches.

Parameter names and rules are those of SPEC section 3. A :class:`Config` is immutable and
validated when it is constructed, so every consumer may rely on its invariants.
"""

import dataclasses
import json
import pathlib
import tomllib

from .adc import IDEAL, Adc
from .limits import check_limits

__all__ = ["Config", "PRESETS"]


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config:
    """Parameters of one TL-nvSRAM-CIM macro.

    Every field defaults to the paper's value (SPEC section 3), so ``Config()`` is the ``paper``
    preset and ``Config(rows=64)`` changes one parameter.

    Parameters
    ----------
    rows : int
        Rows per subarray; a multiple of ``active_rows``.
    active_rows : int
        Rows active per compute cycle (one compute block); at least 1.
    cbls : int
        Ternary columns (compute bitlines) per subarray; a multiple of ``w_trits`` and of
        ``adc_share``. The SRAM row is ``2 * cbls`` bits wide.
    x_trits, w_trits : int
        Trits per input value and per weight value; 1 to 8.
    adc_bits : int or None
        ADC resolution, 1 to 12; ``None`` (or the string ``"ideal"``) means an ideal ADC.
    adc_lsb : int
        Discharge units per ADC code; a power of two, and 1 for an ideal ADC.
    adc_share : int
        CBLs sharing one ADC through a mux; at least 1.
    clusters, cluster_size : int
        ReRAM clusters per compute cell and ReRAMs per cluster; at least 1 each.
    subarrays : int
        Subarrays in the macro; at least 1.
    boot_set : int
        Weight set restored automatically after reset; ``0 <= boot_set < weight_sets``.

    Raises
    ------
    ValueError
        If a value breaks its rule (SPEC 3) or exceeds what the generator can build and hold
        (:mod:`tlcim.golden.limits`); the message names the parameter, the rule and the value.
    """

    rows: int = 256
    active_rows: int = 16
    cbls: int = 160
    x_trits: int = 5
    w_trits: int = 5
    adc_bits: int | None = 5
    adc_lsb: int = 1
    adc_share: int = 5
    clusters: int = 4
    cluster_size: int = 60
    subarrays: int = 6
    boot_set: int = 0

    def __post_init__(self):
        object.__setattr__(self, "adc_bits", Adc.parse_bits(self.adc_bits))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name == "adc_bits" and value is None:
                continue
            if not _is_int(value):
                # Name the ideal option too: a misspelt "ideal" should say what was meant.
                rule = f'an integer or "{IDEAL}"' if field.name == "adc_bits" else "an integer"
                raise ValueError(f"{field.name} must be {rule}, not {value!r}")

        def at_least(name, low):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be at least {low}, not {getattr(self, name)!r}")

        def between(name, low, high):
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"{name} must be between {low} and {high}, "
                                 f"not {getattr(self, name)!r}")

        def multiple_of(name, base):
            if getattr(self, name) % getattr(self, base):
                raise ValueError(f"{name} must be a multiple of {base} ({getattr(self, base)}), "
                                 f"not {getattr(self, name)!r}")

        for name in ("active_rows", "rows", "cbls", "adc_share", "clusters", "cluster_size",
                     "subarrays", "adc_lsb"):
            at_least(name, 1)
        between("x_trits", 1, 8)
        between("w_trits", 1, 8)
        if self.adc_bits is not None:
            between("adc_bits", 1, 12)
        if self.adc_lsb & (self.adc_lsb - 1):
            raise ValueError(f"adc_lsb must be a power of two, not {self.adc_lsb!r}")
        if self.adc_bits is None and self.adc_lsb != 1:
            raise ValueError(f"adc_lsb must be 1 with an ideal ADC (adc_bits None), "
                             f"not {self.adc_lsb!r}")
        multiple_of("rows", "active_rows")
        multiple_of("cbls", "w_trits")
        multiple_of("cbls", "adc_share")
        if not 0 <= self.boot_set < self.weight_sets:
            raise ValueError(f"boot_set must be between 0 and weight_sets - 1 "
                             f"({self.weight_sets - 1}), not {self.boot_set!r}")
        check_limits(self)  # what the generator can build and hold (golden.limits)

    # -- derived values (SPEC section 3) --------------------------------------------------------

    @property
    def outs(self):
        """Outputs per subarray: ``cbls // w_trits``."""
        return self.cbls // self.w_trits

    @property
    def adcs(self):
        """ADCs per subarray: ``cbls // adc_share``."""
        return self.cbls // self.adc_share

    @property
    def weight_sets(self):
        """Weight sets per subarray: ``clusters * cluster_size``."""
        return self.clusters * self.cluster_size

    @property
    def compute_blocks(self):
        """Compute blocks per subarray: ``rows // active_rows``."""
        return self.rows // self.active_rows

    @property
    def x_max(self):
        """Largest input magnitude that ``x_trits`` balanced trits represent."""
        return (3 ** self.x_trits - 1) // 2

    @property
    def w_max(self):
        """Largest weight magnitude that ``w_trits`` balanced trits represent."""
        return (3 ** self.w_trits - 1) // 2

    @property
    def adc(self):
        """The ADC of every subarray (:class:`tlcim.golden.adc.Adc`): its codes, code width,
        reachable codes and cost, described once."""
        return Adc(self.adc_bits, self.adc_lsb, 2 * self.active_rows)

    @property
    def adc_max_code(self):
        """Largest ADC code (``adc.max_code``): ``2**adc_bits - 1``, or ``2 * active_rows`` for
        an ideal ADC."""
        return self.adc.max_code

    @property
    def conversions_per_mvm(self):
        """ADC conversion cycles of one subarray MVM: blocks x input trits x mux positions."""
        return self.compute_blocks * self.x_trits * self.adc_share

    @property
    def mvm_bound(self):
        """Largest ``|y[o]|`` one subarray MVM can produce: ``rows * x_max * w_max``.

        Each partial MAC satisfies ``|p| <= active_rows`` (SPEC 5), so the bound holds for
        every ADC, and it is reached when every input and weight trit is +1.
        """
        return self.rows * self.x_max * self.w_max

    @property
    def device_bound(self):
        """Largest ``|y[o]|`` after summing all subarrays."""
        return self.subarrays * self.mvm_bound

    @property
    def result_bits(self):
        """Signed width that holds every device result without wrapping."""
        return self.device_bound.bit_length() + 1

    # -- construction and export ----------------------------------------------------------------

    @classmethod
    def preset(cls, name):
        """Return the named preset (see :data:`PRESETS`)."""
        try:
            return PRESETS[name]
        except KeyError:
            raise ValueError(f"unknown preset {name!r}; presets are "
                             f"{', '.join(sorted(PRESETS))}") from None

    @classmethod
    def from_dict(cls, params, *, source="configuration"):
        """Build a configuration from a mapping of SPEC parameter names.

        Keys left out take the ``paper`` values; ``adc_bits = "ideal"`` means an ideal ADC.

        Raises
        ------
        ValueError
            On an unknown key (naming it and ``source``) or an invalid value.
        """
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"{source}: unknown parameter(s) {', '.join(unknown)}; "
                             f"known parameters are {', '.join(sorted(known))}")
        return cls(**params)

    @classmethod
    def from_toml(cls, path):
        """Load a configuration from a TOML file whose top-level keys are parameter names.

        (The command line reads configuration files through ``tlcim.sim.inputs``, which also
        bounds their size; this is the same for Python callers.)
        """
        path = pathlib.Path(path)
        try:
            params = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path.name}: not valid TOML: {error}") from None
        except UnicodeDecodeError:
            raise ValueError(f"configuration {str(path)!r} is not UTF-8 text") from None
        except RecursionError:
            raise ValueError(f"configuration {str(path)!r} nests too deeply") from None
        except OSError as error:
            raise ValueError(f"cannot read configuration {str(path)!r}: "
                             f"{error.strerror}") from None
        return cls.from_dict(params, source=path.name)

    @classmethod
    def load(cls, spec):
        """Return the preset named ``spec``, or load ``spec`` as a TOML path.

        This is what the ``--config`` option of every command accepts.
        """
        if spec in PRESETS:
            return PRESETS[spec]
        if str(spec).endswith(".toml") or pathlib.Path(spec).exists():
            return cls.from_toml(spec)
        return cls.preset(spec)

    def replace(self, **changes):
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self):
        """Return the parameters as a plain dict (``adc_bits`` None for an ideal ADC)."""
        return dataclasses.asdict(self)

    def derived(self):
        """Return the derived values as a plain dict, for reports."""
        names = ("outs", "adcs", "weight_sets", "compute_blocks", "x_max", "w_max",
                 "adc_max_code", "conversions_per_mvm", "mvm_bound", "device_bound",
                 "result_bits")
        return {name: getattr(self, name) for name in names}

    def to_json(self):
        """Return the parameters as JSON text (stable key order, trailing newline)."""
        return json.dumps(self.to_dict(), indent=1) + "\n"

    def to_toml(self):
        """Return the parameters as TOML text that :meth:`from_toml` reads back."""
        lines = []
        for key, value in self.to_dict().items():
            value = Adc.spell_bits(value) if key == "adc_bits" else value
            lines.append(f"{key} = {json.dumps(value)}\n")  # a string only for "ideal"
        return "".join(lines)


_PAPER = Config()

#: Named configurations. Each is derived from ``paper`` by the changes that define it.
PRESETS = {
    # SPEC section 3: the paper's 28 nm macro.
    "paper": _PAPER,
    # Fast simulation: the paper's arithmetic (16-row blocks, 5 trits, 5-bit ADC, 5:1 mux)
    # on a quarter-height, eighth-width array with few weight sets.
    "small": _PAPER.replace(rows=64, cbls=20, clusters=2, cluster_size=4, subarrays=2),
    # 1-trit weights, 3-trit inputs, a coarse 4-bit ADC with 2 units per code.
    "ternary": _PAPER.replace(rows=64, cbls=20, x_trits=3, w_trits=1, adc_bits=4, adc_lsb=2,
                              adc_share=4, clusters=2, cluster_size=4, subarrays=2),
    # Ideal ADC: results are exactly W^T x; one subarray, no mux.
    "ideal": _PAPER.replace(rows=32, active_rows=8, cbls=12, x_trits=4, w_trits=2,
                            adc_bits=None, adc_share=1, clusters=1, cluster_size=2,
                            subarrays=1),
    # FPGA emulation on the iCEBreaker (iCE40 UP5K, 5280 LUTs, 12 MHz; tlcim fpga): the
    # paper's arithmetic (5-trit inputs and weights, 5-bit ADC, 5:1 mux) on two compute blocks
    # and one output (5 CBLs on one ADC), one subarray. About 58 % of the LUTs; 17.5-18.8 MHz,
    # limited by the weight-write path into the SRAM stub, not by the input encoder.
    "ice40": _PAPER.replace(rows=32, cbls=5, clusters=1, cluster_size=2, subarrays=1),
    # FPGA emulation on the ULX3S-85F (ECP5, 25 MHz): the `small` preset (the same values);
    # 58.5-62.4 MHz, limited by the same weight-write path.
    "ecp5": _PAPER.replace(rows=64, cbls=20, clusters=2, cluster_size=4, subarrays=2),
}
