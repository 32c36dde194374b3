"""Functional coverage: the coverage plan of ``docs/verification.md`` as bins, and their
sampling from a session.

A bin is a string ``group:name``. :func:`plan` lists every bin a configuration can reach (the
plan); :func:`sample` returns the bins one session hit, read from its operations, the golden
results (the target's agree with them wherever the seed passed) and the stall of its streams.
A small model of our own, not ``cocotb-coverage``: the bins are sampled outside the simulator
(results and scripts), so no cocotb coroutine needs to see them.

Groups
------
``op``        every operation x outcome it can have (``op:mvm/ok``, ``op:store/bad_set``...)
``error``     every error code a session can provoke (``bad_length`` is the stream
              protocol's: sessions cannot send a malformed packet; tb/test_top.py covers it)
``adc``       an ADC clamped at its largest code (non-ideal ADCs)
``saturate``  input values beyond ``+x_max`` and beyond ``-x_max``
``subarray``  the first and the last subarray, and ``"all"``, for each of write, store,
              restore and read
``set``       the first and the last weight set, stored and restored
``reset``     a reset after every kind of operation (every state the device can be in
              between operations), and with and without the boot set stored
``stall``     stalls on the activation, weight and result streams
``requant``   results raw, requantised without ReLU and with ReLU
``mvm``       back-to-back MVMs: a batch of several vectors, and two MVM operations in a row
``fault``     every fault kind injected
"""

import numpy as np

from tlcim.golden.errors import ErrorCode
from tlcim.golden.trits import encode_trits
from tlcim.sim.script import OPS

__all__ = ["OUTCOMES", "plan", "sample", "uncovered"]

#: Outcomes each operation can have in a session: "ok" and its refusals.
OUTCOMES = {
    "write": ("ok", "bad_set", "bad_weights"),
    "store": ("ok", "bad_set", "weights_invalid"),
    "restore": ("ok", "bad_set", "set_empty", "verify_failed"),
    "mvm": ("ok", "weights_invalid"),
    "reset": ("ok", "verify_failed"),
    "read": ("ok", "bad_set", "weights_invalid"),
    "status": ("ok",),
    "inject": ("ok",),
}
_FAULTS = ("stuck", "misread", "variation", "misread_rate", "clear")
_STREAMS = ("x", "w", "y")


def plan(config):
    """Return the bins of the coverage plan for ``config`` (a sorted list)."""
    bins = {f"op:{op}/{outcome}" for op, outcomes in OUTCOMES.items() for outcome in outcomes}
    bins |= {f"error:{code.label}" for code in ErrorCode
             if code not in (ErrorCode.NONE, ErrorCode.BAD_LENGTH)}
    if not config.is_ideal_adc:
        bins.add("adc:clamp")
    bins |= {"saturate:high", "saturate:low"}
    for op in ("write", "store", "restore", "read"):
        bins |= {f"subarray:{op}/first", f"subarray:{op}/last"}
    bins |= {"subarray:store/all", "subarray:restore/all"}
    bins |= {f"set:{op}/{end}" for op in ("store", "restore") for end in ("first", "last")}
    bins |= {f"reset:after/{op}" for op in list(OPS) + ["start"]}
    bins |= {"reset:boot/stored", "reset:boot/empty"}
    bins |= {f"stall:{stream}" for stream in _STREAMS}
    bins |= {"requant:off", "requant:on", "requant:relu"}
    bins |= {"mvm:batch", "mvm:back_to_back"}
    bins |= {f"fault:{kind}" for kind in _FAULTS}
    return sorted(bins)


def _clamps(config, weights, x):
    """Whether some ADC of some subarray clamps at its largest code for inputs ``x``."""
    if config.is_ideal_adc:
        return False
    A, rows = config.active_rows, config.rows
    limit = (config.adc_max_code + 1) * config.adc_lsb   # smallest discharge that clamps
    batch = np.clip(np.atleast_2d(x), -config.x_max, config.x_max)
    for s in range(config.subarrays):
        xt = encode_trits(batch[:, s * rows:(s + 1) * rows], config.x_trits)  # [B, rows, T]
        wt = encode_trits(weights[s], config.w_trits)                          # [rows, O, K]
        blocks = rows // A
        xt = xt.reshape(len(batch), blocks, A, -1).astype(np.int32)
        wt = wt.reshape(blocks, A, -1).astype(np.int32)
        dot = np.einsum("bsat,sac->bstc", xt, wt)       # trit products summed per block
        if np.any(A - dot >= limit):                    # discharge D = A - dot
            return True
    return False


def sample(config, script, ops, golden):
    """Return the set of bins the session ``ops`` (of ``script``) hit, judged by the golden
    results ``golden`` (a :class:`tlcim.sim.script.SessionResult`)."""
    from tlcim.golden.device import Device
    hit = set()
    device = Device(config)  # replays the session to know the weights each MVM used
    previous = "start"
    for op, entry in zip(ops, golden.entries):
        name, args = op.op, op.args
        outcome = entry["error"] or "ok"
        hit.add(f"op:{name}/{outcome}")
        if entry["error"]:
            hit.add(f"error:{entry['error']}")
        subarray = args.get("subarray")
        if name in ("write", "store", "restore", "read"):
            if subarray == "all":
                hit.add(f"subarray:{name}/all")
            elif subarray == 0:
                hit.add(f"subarray:{name}/first")
            if subarray == config.subarrays - 1:
                hit.add(f"subarray:{name}/last")
        if name in ("store", "restore") and outcome == "ok":
            for end, k in (("first", 0), ("last", config.weight_sets - 1)):
                if args["set"] == k:
                    hit.add(f"set:{name}/{end}")
        if name == "reset":
            hit.add(f"reset:after/{previous}")
            stored = any(device.is_stored(s, config.boot_set) for s in range(config.subarrays))
            hit.add(f"reset:boot/{'stored' if stored else 'empty'}")
        if name == "mvm":
            x = args["inputs"]
            if np.any(x > config.x_max):
                hit.add("saturate:high")
            if np.any(x < -config.x_max):
                hit.add("saturate:low")
            requant = args["requant"]
            hit.add("requant:off" if requant is None else
                    "requant:relu" if requant["relu"] else "requant:on")
            if x.ndim == 2 and len(x) > 1:
                hit.add("mvm:batch")
            if previous == "mvm":
                hit.add("mvm:back_to_back")
            if outcome == "ok":
                weights = np.stack([device.read(s) for s in range(config.subarrays)])
                if _clamps(config, weights, x):
                    hit.add("adc:clamp")
                if script.stall:
                    hit |= {"stall:x", "stall:y"}
        if name == "write" and outcome == "ok" and script.stall:
            hit.add("stall:w")
        if name == "inject":
            hit.add(f"fault:{args['fault']['fault']}")
        _replay(device, op)
        previous = name
    return hit


def _replay(device, op):
    # The golden device again, only to know the SRAM contents (refusals change nothing the
    # samples need beyond what the device itself does).
    from tlcim.golden.errors import DeviceError
    args = op.args
    try:
        if op.op == "write":
            device.write(args["subarray"], args["weights"])
        elif op.op in ("store", "restore"):
            getattr(device, op.op)(args["subarray"], args["set"])
        elif op.op == "reset":
            device.reset()
        elif op.op == "inject":
            device.inject(args["fault"])
    except DeviceError:
        pass


def uncovered(config, hit):
    """Return the bins of the plan not in ``hit`` (sorted)."""
    return [b for b in plan(config) if b not in set(hit)]
