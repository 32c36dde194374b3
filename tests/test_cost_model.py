"""tlcim.cost.model: hand calculations on a tiny macro (energy, density, throughput), the
mapping of layers, the paper's headline figures, synthesised areas replacing the estimates."""

import json
import math

import pytest

from tlcim.golden import Config, PRESETS
from tlcim.cost import Constants, CostModel, TOLERANCE, count_mapping, load_area
from tlcim.networks import Layer, Network

K = Constants()

# A tiny macro whose numbers are checked by hand: 4 compute blocks of 8 rows, 10 CBLs
# (2 outputs of 5 trits), 2-trit inputs, 2 subarrays of 2 weight sets.
TINY = Config(rows=32, active_rows=8, cbls=10, x_trits=2, w_trits=5, adc_bits=5, adc_share=5,
              clusters=1, cluster_size=2, subarrays=2)
# Per column conversion: CIM 0.096 + ADC 0.188 + shift & add 0.336 / 5 = 0.3512 pJ.
PER_CONVERSION = 0.096 + 0.188 + 0.336 / 5


def one_layer(layer):
    return Network("one", "test", (layer,))


# -- hand calculations -----------------------------------------------------------------------------

def test_tiny_mvm_by_hand():
    mvm = CostModel(TINY).mvm("tl")
    conversions = 4 * 2 * 10                 # blocks x input trits x CBLs
    parts = mvm["components_pj"]
    assert mvm["conversions"] == conversions
    assert parts["array"] == pytest.approx(conversions * 0.096)
    assert parts["adc"] == pytest.approx(conversions * 0.188)
    assert parts["shift_add"] == pytest.approx(conversions * 0.0672)
    assert parts["encoder"] == pytest.approx(32 * 0.0131)      # every input encoded once
    assert parts["buffer"] == pytest.approx((32 + 2) * 8 * 0.042)  # inputs in, outputs out
    assert mvm["total_pj"] == pytest.approx(39.9392)
    # 2 x 8 rows x 1.6 x 1.6 binary-normalised ops per conversion, / 64 for 8-bit ops.
    assert mvm["ops_8b"] == pytest.approx(80 * 2 * 8 * 1.6 * 1.6 / 64)
    assert mvm["tops_per_w"] == pytest.approx(mvm["ops_8b"] / 39.9392)


def test_binary_mvm_by_hand():
    mvm = CostModel(TINY).mvm("dram_sram")
    conversions = (256 // 32) * 8 * 256      # blocks x input bits x columns
    assert mvm["conversions"] == conversions
    assert mvm["macs"] == 256 * 32
    assert mvm["total_pj"] == pytest.approx(conversions * PER_CONVERSION + 288 * 8 * 0.042)
    assert mvm["ops_8b"] == pytest.approx(2 * 256 * 32)


def test_tiny_inference_by_hand():
    net = one_layer(Layer("fc", 20, 4))      # 20 x 4 weights, 20 CBL columns
    model = CostModel(TINY)
    tl = model.inference(net, "tl")
    parts = tl["components_pj"]
    conversions = 3 * 2 * 4 * 5              # row tiles x input trits x outputs x weight trits
    assert tl["conversions"] == conversions
    assert parts["array"] == pytest.approx(conversions * 0.096)
    assert parts["encoder"] == pytest.approx(20 * 2 * 0.0131)  # 2 column tiles
    assert parts["buffer"] == pytest.approx(24 * 8 * 0.042)
    # 6 slots over 2 subarrays x 4 blocks: one weight set, both subarrays restored.
    assert parts["restore"] == pytest.approx(2 * 32 * 10 * 0.00857)
    assert parts["storage_read"] == 0
    dram = model.inference(net, "dram_sram")["components_pj"]
    binary_conversions = 1 * 8 * 4 * 8
    assert dram["adc"] == pytest.approx(binary_conversions * 0.188)
    assert dram["storage_read"] == pytest.approx(80 * 8 * 4.2)
    assert dram["sram_write"] == pytest.approx(80 * 8 * 0.042)
    reram = model.inference(net, "reram_sram")["components_pj"]
    assert reram["storage_read"] == pytest.approx(80 * 8 * 1.63)
    assert model.inference(net, "reram_cim")["components_pj"]["array"] == pytest.approx(
        binary_conversions * K.e_reram_column_pj)


def test_density_capacity_and_throughput_by_hand():
    model = CostModel(Config())
    density = model.density()
    assert density["tl_bits_per_um2"] == pytest.approx(240 * 1.6 / 6.35)   # 60.47
    assert density["sl_bits_per_um2"] == pytest.approx(18 / 2.33)          # 7.73
    assert density["sram_bits_per_um2"] == pytest.approx(1 / 0.75)
    capacity = model.capacity()
    assert capacity["trits"] == 6 * 256 * 160 * 240
    assert capacity["megabytes"] == pytest.approx(6 * 256 * 160 * 240 * 1.6 / 8e6)
    throughput = model.throughput()
    assert throughput["tl_ops_per_column"] == pytest.approx(6553.6)        # SPEC 1: 6554
    assert throughput["tl_cycles_per_column"] == 80
    assert throughput["tl_over_binary"] == pytest.approx((6553.6 / 80) / (4096 / 64))
    assert throughput["mvm_cycles"] == 400


# -- mapping ---------------------------------------------------------------------------------------

def test_mapping_first_convolution():
    # 3 x 3 x 3 = 27 rows -> 2 row tiles of 16; 64 x 5 = 320 CBLs -> 2 full column tiles.
    mapping = count_mapping(Config(), one_layer(Layer("conv", 3, 64, 3, 32)))
    layer = mapping["layers"][0]
    assert (layer["rows"], layer["cbl_columns"], layer["sram_columns"]) == (27, 320, 640)
    assert (layer["row_tiles"], layer["full_column_tiles"], layer["narrow_width"]) == (2, 2, 0)
    assert (mapping["blocks"], mapping["slots"], mapping["restores"]) == (4, 4, 4)
    assert mapping["weight_sets_used"] == 1 and mapping["fits"]
    assert mapping["utilisation"] == pytest.approx(27 * 320 / (4 * 16 * 160))


def test_mapping_packs_narrow_blocks():
    # 512 x 10 linear layer: 32 row tiles of 50 CBLs; three fit side by side in 160 CBLs.
    mapping = count_mapping(Config(), one_layer(Layer("fc", 512, 10)))
    assert mapping["layers"][0]["narrow_width"] == 50
    assert mapping["blocks"] == 32
    assert mapping["slots"] == math.ceil(32 / 3)
    assert mapping["restores"] == 6          # 11 slots spread over the 6 subarrays


def test_mapping_spills_into_the_next_weight_set():
    # 97 full blocks: one weight set holds 6 subarrays x 16 blocks = 96.
    mapping = count_mapping(Config(), one_layer(Layer("fc", 16 * 97, 32)))
    assert mapping["slots"] == 97
    assert mapping["weight_sets_used"] == 2
    assert mapping["restores"] == 6 + 1


# -- the paper's figures ---------------------------------------------------------------------------

def test_every_headline_within_tolerance():
    comparisons = CostModel(Config()).comparisons()
    assert len(comparisons) == 8
    assert {entry["paper"] for entry in comparisons} == {7.8, 1.3, 2.5, 2.9, 1.7, 1.9, 2.0, 1.2}
    for entry in comparisons:
        assert abs(entry["model"] / entry["paper"] - 1) <= TOLERANCE, entry
        assert entry["within_tolerance"]


def test_other_presets_run_and_report_overflow():
    model = CostModel(PRESETS["small"])
    report = model.network_report("resnet18")
    assert not report["mapping"]["fits"] and report["mapping"]["macros"] > 1
    ideal = CostModel(PRESETS["ideal"]).report()
    assert ideal["mvm"]["tl"]["total_pj"] > 0


# -- synthesised areas ----------------------------------------------------------------------------

def test_area_json_replaces_estimates(tmp_path):
    area = tmp_path / "area.json"
    area.write_text(json.dumps({"source": "yosys", "components_um2": {"control": 5000,
                                                                     "fifo": 100}}))
    estimate = CostModel(Config()).area()
    synthesised = CostModel(Config(), area=load_area(area)).area()
    assert synthesised["periphery_source"] == "yosys"
    assert synthesised["components_um2"]["control"] == 5000
    assert synthesised["total_um2"] == pytest.approx(
        estimate["total_um2"] - estimate["components_um2"]["control"] + 5000 + 100)


def test_area_json_from_tlcim_synth(tmp_path):
    # The keys of the area.json that `tlcim synth` writes (tlcim/synth.py area_report).
    report = {"total_um2_28nm": 3000.0, "other_ge": 1000.0,
              "assumptions": {"um2_per_ge_28nm": 0.5},
              "blocks": {"encoder": {"ge": 2000.0}, "shift & add": {"ge": 3000.0},
                         "interfaces": {"ge": 0.0}}}
    area = tmp_path / "area.json"
    area.write_text(json.dumps(report))
    estimate = CostModel(Config()).area()["components_um2"]
    result = CostModel(Config(), area=load_area(area)).area()
    components = result["components_um2"]
    assert result["periphery_source"] == "tlcim synth (area.json)"
    assert "shift_add" not in components and "control" not in components
    assert components["encoder"] == 1000.0 and components["shift & add"] == 1500.0
    assert components["other digital"] == 500.0 and "interfaces" not in components
    assert components["adc"] == estimate["adc"]          # analog: still the estimate
    assert result["total_um2"] == pytest.approx(
        estimate["array"] + estimate["adc"] + estimate["drivers"] + 3000.0)
    report["blocks"]["encoder"]["ge"] = "many"
    area.write_text(json.dumps(report))
    with pytest.raises(ValueError, match="area.json: blocks.encoder.ge must be a non-negative "
                                         "number, not 'many'"):
        load_area(area)


@pytest.mark.parametrize("content, message", [
    ("[1]", "must be a JSON object with a \"components_um2\" object"),
    ('{"components_um2": {"adc": -1}}', "components_um2.adc must be a non-negative number, "
                                        "not -1"),
    ('{"components_um2": {"array": 1}}', "must not set \"array\""),
    ("{", "not valid JSON"),
])
def test_area_json_errors(tmp_path, content, message):
    area = tmp_path / "area.json"
    area.write_text(content)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        load_area(area)


def test_validation_messages():
    with pytest.raises(ValueError, match="design must be one of tl, dram_sram, reram_sram, "
                                         "reram_cim, sl_nvsram, not 'gpu'"):
        CostModel(TINY).mvm("gpu")
