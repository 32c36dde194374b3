"""cocotb test of the C++ subarray model in lock-step with the Amaranth stub, on
``tlcim_lockstep`` (:func:`tlcim.sim.model.lockstep_sources`; run by ``tests/test_sim_model.py``).

Seeded random pin activity, every cycle: store/restore operations that are mostly legal and
sometimes not (phases too short, skipped, several pins at once, selects moved), copies with
and without faults in the fault map, row writes and reads from the datapath and from the
controller's port, compute reads with held and changing word lines (all-zero and all-one rows
drive the ADCs to their largest code), out-of-range mux positions and resets at random points.
After every edge each output of the two models must be equal; the first difference fails the
test, naming the cycle and the output. ``TLCIM_LOCKSTEP_CYCLES`` sets the length.
"""

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from tlcim.hw.interfaces import MINIMUM_CYCLES, NVM_PHASES
from tlcim.hw.reram_array import NvmSubarrayModel
from tlcim.tb.tb import config_from_env, seed_from_env

_RESTORE, _STORE = NVM_PHASES[:5], NVM_PHASES[5:]


class Stimulus:
    """The inputs of every cycle, drawn from a seeded generator."""

    def __init__(self, config, rng):
        self.config, self.rng = config, rng
        self.ports = {name: width for direction, name, width
                      in NvmSubarrayModel.verilog_ports(config)
                      if direction == "input" and name not in ("clk",)}
        self.plan = []          # [(pins, cycles)] still to play
        self.values = {name: 0 for name in self.ports}
        self.select = (0, 0)

    def _bits(self, width, density=0.5):
        bits = self.rng.random(width) < density
        return int(sum(1 << i for i in np.flatnonzero(bits)))

    def _row(self, width):
        kind = self.rng.integers(4)   # all zero, all one (the ADC's extremes), random
        return 0 if kind == 0 else (1 << width) - 1 if kind == 1 else self._bits(width)

    def _operation(self):
        rng, config = self.rng, self.config
        phases = list(_RESTORE if rng.random() < 0.6 else _STORE)
        if rng.random() < 0.1:                       # a phase skipped
            del phases[rng.integers(len(phases))]
        if rng.random() < 0.05 and len(phases) > 1:  # two phases swapped
            phases[0], phases[1] = phases[1], phases[0]
        plan = []
        for name in phases:
            length = max(1, MINIMUM_CYCLES[name] + int(rng.integers(-1, 3)))
            pins = 1 << NVM_PHASES.index(name)
            if rng.random() < 0.03:                  # several pins at once
                pins |= 1 << int(rng.integers(len(NVM_PHASES)))
            plan.append((pins, length))
        plan.append((0, int(rng.integers(1, 4))))
        self.select = (int(rng.integers(config.clusters)), int(rng.integers(config.cluster_size)))
        return plan

    def next(self):
        """Return ``{port: value}`` for the next cycle."""
        rng, config, v = self.rng, self.config, self.values
        if not self.plan and rng.random() < 0.05:
            self.plan = self._operation()
        pins = 0
        if self.plan:
            pins, left = self.plan[0]
            self.plan[0] = (pins, left - 1)
            if left <= 1:
                self.plan.pop(0)
        if rng.random() < 0.02:                      # the selects move
            self.select = (int(rng.integers(config.clusters)),
                           int(rng.integers(config.cluster_size)))
        v["nvm_cluster"], v["nvm_sl"] = self.select
        for i, name in enumerate(NVM_PHASES):
            v[f"nvm_{name}"] = (pins >> i) & 1
        v["rst"] = int(rng.random() < 0.004)
        if rng.random() < 0.05:
            v["nvm_owner"] ^= 1
        v["row_we"] = int(rng.random() < 0.3)
        v["row_addr"] = int(rng.integers(config.rows))
        v["row_wdata"] = self._row(2 * config.cbls)
        v["nvm_row_we"] = int(rng.random() < 0.3)
        v["nvm_row_addr"] = int(rng.integers(config.rows))
        v["nvm_row_wdata"] = self._row(self.ports["nvm_row_wdata"])
        if rng.random() < 0.3:                       # the compute inputs change
            v["block"] = int(rng.integers(config.compute_blocks))
            v["wl1"] = self._row(config.active_rows)
            v["wl2"] = self._row(config.active_rows)
            mux_range = (1 << self.ports["mux"]) if rng.random() < 0.05 else config.adc_share
            v["mux"] = int(rng.integers(mux_range))
        v["fault_we"] = int(rng.random() < 0.02)
        v["fault_addr"] = int(rng.integers(config.rows))
        v["fault_data"] = self._bits(self.ports["fault_data"], density=0.1)
        return v


@cocotb.test()
async def lockstep(dut):
    """The C++ model's outputs equal the Amaranth stub's after every clock edge."""
    config = config_from_env()
    rng = np.random.default_rng(seed_from_env())
    cycles = int(os.environ.get("TLCIM_LOCKSTEP_CYCLES", "20000"))
    Clock(dut.clk, 10, unit="ns").start()
    stimulus = Stimulus(config, rng)
    outputs = [name for direction, name, _ in NvmSubarrayModel.verilog_ports(config)
               if direction == "output"]
    seen = {name: set() for name in outputs}
    for cycle in range(cycles):
        await FallingEdge(dut.clk)
        for name in outputs:
            ref, model = getattr(dut, f"ref_{name}").value, getattr(dut, f"dut_{name}").value
            if not (ref.is_resolvable and model.is_resolvable and int(ref) == int(model)):
                raise AssertionError(f"cycle {cycle}: {name} differs: Amaranth stub {ref}, "
                                     f"C++ model {model}")
            if len(seen[name]) < 3:
                seen[name].add(int(ref))
        for name, value in stimulus.next().items():
            getattr(dut, name).value = value
    # The run did something: every output took more than one value.
    still = [name for name, values in seen.items() if len(values) < 2]
    assert not still, f"outputs that never changed: {', '.join(still)}"
