"""Golden model of TL-nvSRAM-CIM: the executable form of SPEC sections 3-6.

Plain numpy, independent of the hardware generator (it never imports ``tlcim.hw``). Everything the
RTL computes is checked bit for bit against these functions.
"""

from .config import Config, PRESETS
from .trits import (trit_max, saturate, encode_trits, decode_trits, check_weights,
                    weights_to_cbl_trits, cbl_trits_to_weights, weights_to_sram_bits,
                    sram_bits_to_weights)
from .arith import adc_code, partial_mac, mvm, device_mvm, layer, requantise
from .quant import quantise_weights, ternarise
from .reram import (ReramParams, PAPER_RERAM, effective_resistance, confusion_matrix,
                    misread_probability, restore_yield)
from .device import Device
from .errors import DeviceError, ErrorCode

__all__ = [
    "Config", "PRESETS",
    "trit_max", "saturate", "encode_trits", "decode_trits", "check_weights",
    "weights_to_cbl_trits", "cbl_trits_to_weights", "weights_to_sram_bits",
    "sram_bits_to_weights",
    "adc_code", "partial_mac", "mvm", "device_mvm", "layer", "requantise",
    "quantise_weights", "ternarise",
    "ReramParams", "PAPER_RERAM", "effective_resistance", "confusion_matrix",
    "misread_probability", "restore_yield", "Device", "DeviceError", "ErrorCode",
]
