"""Inference through a Target: program the weight sets once, then restore + MVM per batch.

:func:`run_network` is the device-side driver (an ``async`` function over the Target protocol
of :mod:`tlcim.sim.script`, so it runs unchanged on the golden model and on the RTL). The software
paths are :func:`.quantisation.forward` with exact products (``quantised``) and with
:func:`tlcim.golden.layer` (``quantised_adc``, the configuration's ADC); the golden target must
equal the latter on every logit, because every compute block holds the same ``active_rows`` rows of
a layer as :func:`tlcim.golden.layer`'s tiling, idle slots add exactly zero and partial sums of
parts are added exactly (see :mod:`.mapping`).
"""

import asyncio

import numpy as np

from tlcim import golden
from .mapping import place_network

__all__ = ["DEFAULT_BATCH", "program", "tile_writer", "run_network", "run_on_target",
           "software_logits", "mapping_for", "target_name", "run_session"]

#: Images per device batch (one restore of each tile per batch).
DEFAULT_BATCH = 128


async def program(target, mapping, weights):
    """Write every tile's weights and store them into their weight sets (once per network).

    ``weights`` is the list of integer layer matrices (``QuantisedNet`` layers' weights).
    """
    for tile in range(mapping.tiles):
        image = mapping.tile_weights(tile, weights)
        for subarray in range(mapping.config.subarrays):
            await target.write(subarray, image[subarray])
        await target.store("all", tile)


async def _restore(target, tile):
    await target.restore("all", tile)


async def run_network(target, mapping, net, x, *, batch=DEFAULT_BATCH, programmed=False,
                      restore=_restore):
    """Run ``net`` on the target; return int64 logits [len(x), outputs of the last layer].

    Parameters
    ----------
    target : sim.script.Target
    mapping : Mapping
        From :func:`place_network` for ``net``'s configuration and shapes.
    net : QuantisedNet
    x : numpy.ndarray of int, shape [images, inputs]
        Integer inputs (``0..x_max``).
    batch : int
        Images per device batch; each batch restores the tiles it uses (at least once each).
    programmed : bool
        Skip :func:`program` (the weight sets already hold this network).
    restore : async callable
        ``await restore(target, tile)`` brings a tile into SRAM (default ``restore("all",
        tile)``); the fault study passes one that also checks what was restored.
    """
    if not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be a positive integer, not {batch!r}")
    if mapping.config != net.config:
        raise ValueError("mapping and network must be for the same configuration")
    if list(mapping.shapes) != [tuple(shape) for shape in net.shapes]:
        raise ValueError(f"mapping shapes {list(mapping.shapes)} must match the network's "
                         f"{net.shapes}")
    weights = [layer.weights for layer in net.layers]
    if not programmed:
        await program(target, mapping, weights)
    x = np.asarray(x, dtype=np.int64)
    logits = []
    for start in range(0, len(x), batch):
        h = x[start:start + batch]
        in_sram = None  # restore every tile anew in each batch
        for index, layer in enumerate(net.layers):
            on_device = layer.requant if mapping.device_requant(index) else None
            y = np.zeros((len(h), layer.weights.shape[1]), dtype=np.int64)
            for step in mapping.passes:
                if step.layer != index:
                    continue
                if step.tile != in_sram:
                    await restore(target, step.tile)
                    in_sram = step.tile
                result = await target.mvm(mapping.pass_inputs(step, h), requant=on_device)
                mapping.gather(step, np.asarray(result, dtype=np.int64), y)
            if layer.requant is not None and on_device is None:
                # Several device sums: added exactly above, requantised here on the host.
                y = golden.requantise(net.config, y, **layer.requant)
            h = y
        logits.append(h)
    return np.concatenate(logits) if logits else np.zeros((0, net.shapes[-1][1]), np.int64)


def tile_writer(mapping, weights):
    """Return a ``restore`` for :func:`run_network` that writes each tile's weights instead.

    For targets without weight sets yet (store/restore unsupported): the same MVMs on the same
    SRAM contents, only loaded over the weight port rather than restored.
    """
    images = {tile: mapping.tile_weights(tile, weights) for tile in range(mapping.tiles)}

    async def write(target, tile):
        for subarray, image in enumerate(images[tile]):
            await target.write(subarray, image)

    return write


async def run_on_target(target, mapping, net, x, *, batch=DEFAULT_BATCH):
    """Program and run ``net``, falling back to :func:`tile_writer` without store/restore.

    Returns
    -------
    logits : numpy.ndarray of int64
    weights_path : str
        ``"store/restore"``, or ``"write"`` when the target raised ``NotImplementedError``
        for ``store`` (then every tile is written where it would have been restored).
    """
    weights = [layer.weights for layer in net.layers]
    try:
        await program(target, mapping, weights)
    except NotImplementedError:
        return (await run_network(target, mapping, net, x, batch=batch, programmed=True,
                                  restore=tile_writer(mapping, weights)), "write")
    return (await run_network(target, mapping, net, x, batch=batch, programmed=True),
            "store/restore")


def software_logits(net, x, *, adc=True):
    """Return the software path's int64 logits: :func:`tlcim.golden.layer` (``adc``) or exact."""
    from .quantisation import forward
    return forward(net, x, golden.layer if adc else None)


def mapping_for(net):
    """Return :func:`place_network` of ``net``'s configuration and shapes."""
    return place_network(net.config, net.shapes)


def target_name(spec):
    """Return the target's name without its option (``"rtl:verilator"`` -> ``"rtl"``)."""
    return spec.partition(":")[0]


def run_session(config, spec, session):
    """Open target ``spec`` on ``config``, run ``await session(target)`` under ``asyncio.run``,
    close it; return that.

    Raises
    ------
    ValueError
        For an unknown target, or one that only runs whole session scripts in its own runner
        (a target that must run inside another process cannot be driven call by call).
    """
    from tlcim.sim import script
    name = target_name(spec)
    registered = script.TARGETS.get(name)
    if registered is not None and registered.runner is not None:
        raise ValueError(f"target {name!r} runs only whole session scripts in its own runner; "
                         f"tlcim infer drives targets call by call")
    target = script.open_target(config, spec)

    async def main():
        try:
            return await session(target)
        finally:
            await target.close()

    return asyncio.run(main())
