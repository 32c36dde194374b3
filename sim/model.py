"""The behavioural subarray as a C++ model for Verilator: ``tlcim_subarray_model`` (DPI-C).

Verilator evaluates every combinational path of a model at every clock edge, used or not; the
Amaranth stub of the ``paper`` subarrays (:class:`tlcim.hw.reram_array.NvmSubarray`) is most of
the bulk harness's simulation time. ``sim/tlcim_subarray_model.cpp`` does cycle for cycle what
that stub does (SRAM and compute path, protocol checker, copy engine, weight sets, fault map,
spare cells and row-port arbitration) but only the work a cycle's inputs ask for: an ADC's
discharge is one masked population count over the block's rows, the codes are converted again
only when the block's contents, the word lines or the mux change, and wide values cross DPI
only when written or changed (``docs/verification.md``, "The C++ model of the subarray").

:func:`sources` gives what a simulator compiles: the design generated with ``storage="dpi"``
(each subarray an instance of :class:`tlcim.hw.reram_array.NvmSubarrayModel`), the Verilog
module that calls the model at every rising edge, generated for the configuration's widths,
and the C++ file. ``tests/test_sim_model.py`` runs the model in lock-step with the Amaranth
stub on random pin activity and the whole host protocol on it; ``python -m benchmarks stub``
measures it beside the stub.

Limits: Verilator only (Icarus has no DPI-C), no fault map fixed at generation time (the
simulation builds have none: hosts write the fault map through the ``FAULT_*`` registers), and
no coverage of the macro's own logic (it is not Verilog).
"""

import importlib.resources

from tlcim.golden import Config
from tlcim.hw.interfaces import MINIMUM_CYCLES, NVM_PHASES, index_shape

__all__ = ["MODULE", "CPP_FILE", "wrapper_verilog", "sources", "LOCKSTEP_TOPLEVEL",
           "REFERENCE_MODULE", "reference_port", "lockstep_sources"]

#: The Verilog module of the model, and its C++ source's file name.
MODULE = "tlcim_subarray_model"
CPP_FILE = f"{MODULE}.cpp"


def _cpp_text():
    return (importlib.resources.files("tlcim.sim") / CPP_FILE).read_text()


def _dpi_width(width):
    # Every vector crosses DPI as whole 32-bit words, at least two: never a scalar `bit`,
    # whose C type differs.
    return max(64, -(-width // 32) * 32)


def _parameters(config):
    """The arguments of ``tlcim_model_new`` in order (see the C++ file)."""
    from tlcim.golden.checksum import spare_cells
    count_bits = max(MINIMUM_CYCLES.values()).bit_length()
    depth = config.weight_sets * config.rows
    adc = config.adc
    return [config.rows, config.active_rows, config.cbls, config.adc_share, adc.code_bits,
            adc.max_code, int(adc.is_ideal), config.adc_lsb.bit_length() - 1,
            config.weight_sets, config.cluster_size, config.cbls + spare_cells(config.cbls),
            index_shape(config.clusters).width, max(1, (depth - 1).bit_length()),
            (1 << count_bits) - 1] + [MINIMUM_CYCLES[name] for name in NVM_PHASES]


def wrapper_verilog(config):
    """Return the Verilog of ``tlcim_subarray_model`` for ``config``: the ports of
    :class:`tlcim.hw.reram_array.NvmSubarrayModel`, registered outputs that take the model's
    values at every rising edge of ``clk``."""
    from tlcim.hw.reram_array import NvmSubarrayModel
    if not isinstance(config, Config):
        raise TypeError(f"config must be a golden.Config, not {config!r}")
    ports = NvmSubarrayModel.verilog_ports(config)
    width = {name: w for _, name, w in ports}

    def vector(name):   # an input zero-extended to its DPI width
        pad = _dpi_width(width[name]) - width[name]
        return f"{{{pad}'d0, {name}}}" if pad else name

    def number(name):   # a narrow input as an int
        return f"32'({name})" if width[name] < 32 else name

    pins = "{" + ", ".join(f"nvm_{name}" for name in reversed(NVM_PHASES)) + "}"

    def bits(name):
        return f"bit [{_dpi_width(width[name]) - 1}:0]"

    lines = ["// The C++ model of one behavioural subarray (tlcim.sim.model), generated for",
             "// this configuration's widths: the outputs take the model's values at every",
             "// rising edge of clk. Simulation only (Verilator, DPI-C).",
             f"module {MODULE}({', '.join(name for _, name, _ in ports)});"]
    for direction, name, w in ports:
        kind = "output reg" if direction == "output" else "input wire"
        init = " = 0" if direction == "output" else ""
        lines.append(f"  {kind} {f'[{w - 1}:0] ' if w > 1 else ''}{name}{init};")
    new_args = ", ".join(f"input int p{i}" for i in range(len(_parameters(config))))
    step_args = ", ".join(["input chandle handle", "input bit rst", "input int row_addr",
                           "input bit row_we", "input int block", f"input {bits('wl1')} wl1",
                           f"input {bits('wl2')} wl2", "input int mux", "input int cluster",
                           "input int sl", "input int pins", "input int nvm_row_addr",
                           "input bit nvm_row_we", "input bit nvm_owner",
                           "input int fault_addr", "input bit fault_we"])
    # Wide inputs cross only when written, outputs only when they changed (see the C++).
    lines += ["",
              f'  import "DPI-C" function chandle tlcim_model_new({new_args});',
              f'  import "DPI-C" function int tlcim_model_step({step_args});',
              f'  import "DPI-C" function void tlcim_model_row_wdata(input chandle handle, '
              f'input {bits("row_wdata")} data);',
              f'  import "DPI-C" function void tlcim_model_nvm_row_wdata(input chandle handle, '
              f'input {bits("nvm_row_wdata")} data);',
              f'  import "DPI-C" function void tlcim_model_fault_data(input chandle handle, '
              f'input {bits("fault_data")} data);',
              f'  import "DPI-C" function void tlcim_model_codes(input chandle handle, '
              f'output {bits("codes")} codes);',
              f'  import "DPI-C" function void tlcim_model_rows(input chandle handle, '
              f'output {bits("row_rdata")} row_rdata, '
              f'output {bits("nvm_row_rdata")} nvm_row_rdata);',
              "",
              "  chandle handle;",
              "  int status;",
              f"  {bits('codes')} codes_next;",
              f"  {bits('row_rdata')} row_rdata_next;",
              f"  {bits('nvm_row_rdata')} nvm_row_rdata_next;",
              f"  initial handle = tlcim_model_new({', '.join(map(str, _parameters(config)))});",
              "  // status is the step's result, read within the same block.",
              "  /* verilator lint_off BLKSEQ */",
              "  always @(posedge clk) begin",
              f"    if (row_we) tlcim_model_row_wdata(handle, {vector('row_wdata')});",
              f"    if (nvm_row_we) tlcim_model_nvm_row_wdata(handle, {vector('nvm_row_wdata')});",
              f"    if (fault_we) tlcim_model_fault_data(handle, {vector('fault_data')});",
              "    status = tlcim_model_step(" + ", ".join([
                  "handle", "rst", number("row_addr"), "row_we", number("block"),
                  vector("wl1"), vector("wl2"), number("mux"), number("nvm_cluster"),
                  number("nvm_sl"), f"32'({pins})", number("nvm_row_addr"), "nvm_row_we",
                  "nvm_owner", number("fault_addr"), "fault_we"]) + ");",
              "    if (status[0]) begin",
              "      tlcim_model_codes(handle, codes_next);",
              f"      codes <= codes_next[{width['codes'] - 1}:0];",
              "    end",
              "    if (status[1]) begin",
              "      tlcim_model_rows(handle, row_rdata_next, nvm_row_rdata_next);",
              f"      row_rdata <= row_rdata_next[{width['row_rdata'] - 1}:0];",
              f"      nvm_row_rdata <= nvm_row_rdata_next[{width['nvm_row_rdata'] - 1}:0];",
              "    end",
              "    busy <= status[2];",
              "    protocol_error <= status[3];",
              "  end",
              "  /* verilator lint_on BLKSEQ */"]
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def sources(config, *, datapath=None):
    """Return ``{file name: text}`` of the simulation build of ``config`` with every subarray
    the C++ model: what :func:`tlcim.hw.generate.simulation_sources` returns, with the
    ``dpi`` storage, the model's Verilog module and its C++ file (a ``.cpp`` file, which
    :func:`tlcim.sim.rtl.compile_sources` hands to Verilator as C++)."""
    from tlcim.hw.generate import library_sources, verilog_text
    text = verilog_text(config, datapath=datapath, fault_port=datapath is None, storage="dpi")
    return {**library_sources(text), f"{MODULE}.sv": wrapper_verilog(config),
            "tlcim_top.v": text, CPP_FILE: _cpp_text()}


#: The lock-step harness of :func:`lockstep_sources` and its reference module.
LOCKSTEP_TOPLEVEL, REFERENCE_MODULE = "tlcim_lockstep", "tlcim_reference_subarray"


def reference_port(name):
    """Return the Amaranth Verilog port of :class:`tlcim.hw.reram_array.NvmSubarray` that is
    the model's port ``name`` (``nvm_row_addr`` is ``nvm_row__row_addr``, ``nvm_sl`` is
    ``nvm__sl``; the others keep their names)."""
    if name.startswith("nvm_row_"):
        return "nvm_row__row_" + name.removeprefix("nvm_row_")
    if name.startswith("nvm_") and name != "nvm_owner":
        return "nvm__" + name.removeprefix("nvm_")
    return name


def lockstep_sources(config):
    """Return ``{file name: text}`` of ``tlcim_lockstep``: the Amaranth stub
    (:class:`tlcim.hw.reram_array.NvmSubarray`, ``verilog`` storage, fault port) and the C++
    model side by side on the same inputs; every output ``o`` of both comes out as ``ref_o``
    and ``dut_o`` (the cocotb test :mod:`tlcim.tb.test_model` compares them every cycle)."""
    from amaranth.back import verilog
    from tlcim.hw.reram_array import NvmSubarray, NvmSubarrayModel, verilog_sources
    reference = verilog.convert(NvmSubarray(config, storage="verilog", fault_port=True),
                                name=REFERENCE_MODULE, emit_src=False)
    ports = NvmSubarrayModel.verilog_ports(config)
    declarations, ref_pins, dut_pins = [], [], []
    for direction, name, width in ports:
        size = f"[{width - 1}:0] " if width > 1 else ""
        if direction == "input":
            declarations.append(f"  input wire {size}{name};")
            ref_pins.append(f".{reference_port(name)}({name})")
            dut_pins.append(f".{name}({name})")
        else:
            declarations += [f"  output wire {size}{side}_{name};" for side in ("ref", "dut")]
            ref_pins.append(f".{reference_port(name)}(ref_{name})")
            dut_pins.append(f".{name}(dut_{name})")
    names = [name for direction, name, _ in ports if direction == "input"] + \
        [f"{side}_{name}" for direction, name, _ in ports if direction == "output"
         for side in ("ref", "dut")]
    top = "\n".join(["// The Amaranth stub and the C++ model of one subarray on the same inputs.",
                     f"module {LOCKSTEP_TOPLEVEL}({', '.join(names)});", *declarations,
                     f"  {REFERENCE_MODULE} amaranth_stub({', '.join(ref_pins)});",
                     f"  {MODULE} cpp_model({', '.join(dut_pins)});", "endmodule", ""])
    return {**verilog_sources(), "reference.v": reference, f"{MODULE}.sv": wrapper_verilog(config),
            "tlcim_lockstep.v": top, CPP_FILE: _cpp_text()}
