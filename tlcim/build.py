"""The main job (``tlcim build``): everything the generator makes for one configuration.

Stages run in order into one output folder, which is replaced atomically: the configuration,
a golden-model demonstration, and (from the hardware issues on) the Verilog and its reports.
"""

import json
import time

import numpy as np

from tlcim.golden import Config, device_mvm, saturate
from tlcim.hw.generate import generated_files
from .files import output_dir, write_json, write_text, save_npy

__all__ = ["build", "generate", "show_config", "golden_demo", "STAGES"]

#: Seed of the demonstration's random weights and inputs (printed with its results).
DEMO_SEED = 2023


def show_config(config, format="json"):
    """Print ``config`` as JSON (with its derived values) or as TOML."""
    if format == "toml":
        print(config.to_toml(), end="")
    else:
        print(json.dumps({"parameters": config.to_dict(), "derived": config.derived()},
                         indent=1))


def golden_demo(config, out, *, batch=16, seed=DEMO_SEED):
    """Run seeded random device MVMs through the golden model and write them with a summary.

    Writes ``demo/weights.npy`` (int [subarrays, rows, outs]), ``demo/inputs.npy``,
    ``demo/results.npy`` and ``demo/summary.json``, which compares the results with the exact
    product of the saturated inputs to show the ADC's effect.
    """
    rng = np.random.default_rng(seed)
    weights = rng.integers(-config.w_max, config.w_max + 1,
                           (config.subarrays, config.rows, config.outs))
    inputs = rng.integers(-2 * config.x_max, 2 * config.x_max + 1,
                          (batch, config.rows * config.subarrays))
    results = device_mvm(config, weights, inputs)
    clipped, saturated = saturate(inputs, config.x_trits)
    exact = np.einsum("bsr,sro->bo", clipped.reshape(batch, config.subarrays, config.rows),
                      weights)
    demo = out / "demo"
    save_npy(demo / "weights.npy", weights)
    save_npy(demo / "inputs.npy", inputs)
    save_npy(demo / "results.npy", results)
    summary = {
        "seed": seed,
        "batch": batch,
        "saturated_inputs": int(saturated.sum()),
        "results_differing_from_exact": int((results != exact).sum()),
        "max_abs_adc_error": int(np.abs(results - exact).max()),
        "max_abs_result": int(np.abs(results).max()),
        "result_bound": config.device_bound,
    }
    write_json(demo / "summary.json", summary)
    print(f"golden demo (seed {seed}): {batch} device MVMs, "
          f"{summary['saturated_inputs']} saturated inputs, "
          f"{summary['results_differing_from_exact']} results changed by the ADC")


def _config_files(config, out):
    write_text(out / "config.json", json.dumps(
        {"parameters": config.to_dict(), "derived": config.derived()}, indent=1) + "\n")
    write_text(out / "config.toml", config.to_toml())


def _write_files(files, folder):
    for name, text in files.items():
        write_text(folder / name, text)


def _verilog(config, out):
    # What `tlcim generate` writes, into rtl/.
    _write_files(generated_files(config), out / "rtl")


def generate(config, out, force=False):
    """Generate the Verilog, file list, register map and configuration
    (:func:`tlcim.hw.generate.generated_files`) into the folder ``out`` (``tlcim generate``).

    Raises
    ------
    ValueError
        If ``out`` cannot or must not be written (:class:`tlcim.files.Outputs`; ``force``
        replaces files tlcim did not write); nothing is written then.
    """
    if not isinstance(config, Config):
        raise TypeError(f"config must be a golden.Config, not {config!r}")
    start = time.perf_counter()
    with output_dir(out, force=force) as temp:
        files = generated_files(config)
        _write_files(files, temp)
    print(f"wrote {len(files)} files to {out} in {time.perf_counter() - start:.1f} s")


def _reports(config, out):
    # Restore yield against cluster size (SPEC 6): the question behind the paper's Fig. 10.
    from .plots import restore_yield_plot
    data = restore_yield_plot(out / "reports" / "restore_yield", paper_size=config.cluster_size)
    write_json(out / "reports" / "restore_yield.json", data)


def _cost_model(config, out):
    # Density, energy, throughput and the paper's comparisons (docs/cost-model.md).
    from .cost import CostModel, write_report
    write_report(CostModel(config).report(), out / "reports" / "model")


#: The stages of the main job, in order: (name, function(config, out_folder)).
STAGES = [
    ("configuration", _config_files),
    ("golden demonstration", golden_demo),
    ("restore-yield report", _reports),
    ("cost model report", _cost_model),
    ("Verilog and register map", _verilog),
]


def build(config, out, force=False):
    """Run every stage of :data:`STAGES` for ``config`` into the folder ``out``, all of it or
    nothing (:func:`tlcim.files.output_dir`; ``force`` replaces files tlcim did not write)."""
    with output_dir(out, force=force) as temp:
        for number, (name, stage) in enumerate(STAGES, 1):
            print(f"[{number}/{len(STAGES)}] {name}", flush=True)
            stage(config, temp)
    print(f"wrote {out}")
