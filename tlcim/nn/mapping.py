"""Compact weight mapping (SPEC 1, paper section 3.6) onto the device's sum mode.

Device model
------------
One device MVM drives every subarray with its own slice of the input vector and sums all
subarrays' results into one vector of ``outs`` outputs. Inside a subarray every compute block
(``active_rows`` rows) also adds into the same outputs. So the device is a grid of
``subarrays x compute_blocks`` *slots*, each ``active_rows`` rows by ``outs`` columns, and one
MVM computes, for each output column, the sum over all slots of that slot's block times that
slot's input slice. A slot whose inputs are all zero contributes exactly zero (every row
discharges one unit, the ADC reads ``active_rows`` back; :func:`place_network` checks the
configuration keeps this exact), which is what lets unrelated blocks share a weight set.

A **device tile** is the contents of one weight-set index ``k`` in every subarray: the
``subarrays`` matrices [rows, outs] that ``restore("all", k)`` brings into SRAM together.

Mapping
-------
Each layer's weight matrix W [N, O] is cut into blocks of ``active_rows`` rows by at most
``outs`` columns: row blocks ``i`` (zero-padded at the end) and column groups ``j``. A layer's
row blocks are split into as few *parts* as possible, each no larger than the device's slots
(sizes differing by at most one); a layer "fits one device MVM" when it has a single part. A
*piece* is one column group of one part: its row blocks must sit in distinct slots at the same
columns, so that one MVM sums them. Pieces are placed in order (layer, part, group), each in
the first tile and at the lowest column offset where enough slots are free in its columns, so
smaller blocks (a layer's last, narrower column group, a layer with few rows) fill columns and
slots left free by earlier ones before a new weight set (tile) is opened; within a tile a piece
is spread over subarrays, taking free slots in round-robin subarray order (compute block 0 of
subarray 0, 1, ..., then compute block 1, ...). (The paper also duplicates blocks into idle
subarrays for parallelism; in the device's sum mode that buys nothing, so it is not done.)

A network needing more tiles than ``weight_sets`` is refused.

Schedule
--------
Once: every tile ``k`` is written (one ``write`` per subarray) and stored (``store("all",
k)``). Per batch, layer by layer, part by part, each piece is one MVM (a *pass*): the host
restores the piece's tile if it is not the one in SRAM, puts the part's row blocks of the layer
input in the piece's slots (zeros elsewhere) and reads the piece's columns from the result. A layer with one part is requantised by the device's
output stage (``mvm`` requant option); a layer with several parts is added up exactly on the
host and requantised there with :func:`tlcim.golden.requantise`, since no single MVM sees its whole
sum.
"""

import dataclasses

import numpy as np

from tlcim import golden

__all__ = ["Piece", "Mapping", "place_network"]


@dataclasses.dataclass(frozen=True)
class Piece:
    """One column group of one part of a layer, placed in a tile.

    Members
    -------
    layer, part, group : int
        Which layer, which part of its row blocks, which column group.
    row_blocks : tuple of int
        Row-block indices ``i`` (rows ``i * active_rows`` onwards of W), one per slot.
    outputs : tuple of int
        ``(start, stop)``: the layer outputs this piece computes.
    tile : int
        Weight-set index holding it.
    column : int
        First device output column; the piece uses ``column .. column + stop - start - 1``.
    slots : tuple of (int, int)
        ``(subarray, compute_block)`` of each row block, in ``row_blocks`` order.
    """

    layer: int
    part: int
    group: int
    row_blocks: tuple
    outputs: tuple
    tile: int
    column: int
    slots: tuple

    @property
    def width(self):
        """Outputs (device columns) of the piece."""
        return self.outputs[1] - self.outputs[0]


@dataclasses.dataclass(frozen=True)
class Mapping:
    """A network's placement on a configuration; build it with :func:`place_network`.

    Members
    -------
    config : golden.Config
    shapes : tuple of (int, int)
        ``(inputs, outputs)`` of each layer.
    pieces : tuple of Piece
    passes : tuple of Piece
        The pieces in schedule order (layer, part, tile, group): one device MVM each.
    tiles : int
        Weight sets used (``0 .. tiles - 1``).
    """

    config: golden.Config
    shapes: tuple
    pieces: tuple
    passes: tuple
    tiles: int

    def parts(self, layer):
        """Return how many parts (separate device sums) layer ``layer`` has."""
        return 1 + max(piece.part for piece in self.pieces if piece.layer == layer)

    def device_requant(self, layer):
        """Whether ``layer`` fits one device MVM, so the device's output stage requantises it."""
        return self.parts(layer) == 1

    def tile_weights(self, tile, weights):
        """Return the int64 [subarrays, rows, outs] contents of weight set ``tile``.

        ``weights`` is the list of layer matrices, of shapes :attr:`shapes`.
        """
        config, a = self.config, self.config.active_rows
        image = np.zeros((config.subarrays, config.rows, config.outs), dtype=np.int64)
        for piece in self.pieces:
            if piece.tile != tile:
                continue
            start, stop = piece.outputs
            for i, (s, cb) in zip(piece.row_blocks, piece.slots):
                block = weights[piece.layer][i * a:(i + 1) * a, start:stop]
                image[s, cb * a:cb * a + len(block), piece.column:piece.column + piece.width] \
                    = block
        return image

    def pass_inputs(self, step, x):
        """Return the device input [batch, rows * subarrays] of piece ``step`` for layer input x."""
        config, a = self.config, self.config.active_rows
        device = np.zeros((len(x), config.rows * config.subarrays), dtype=np.int64)
        for i, (s, cb) in zip(step.row_blocks, step.slots):
            block = x[:, i * a:(i + 1) * a]
            offset = s * config.rows + cb * a
            device[:, offset:offset + block.shape[1]] = block
        return device

    def gather(self, step, y, out):
        """Add piece ``step``'s columns of the device result ``y`` into the layer result ``out``."""
        out[:, step.outputs[0]:step.outputs[1]] += y[:, step.column:step.column + step.width]


def _check_shapes(shapes):
    shapes = tuple(tuple(shape) for shape in shapes)
    if not shapes:
        raise ValueError("shapes must list at least one layer, not none")
    for index, shape in enumerate(shapes):
        if len(shape) != 2 or not all(isinstance(n, (int, np.integer)) and n >= 1
                                      for n in shape):
            raise ValueError(f"shapes[{index}] must be (inputs, outputs) of positive integers, "
                             f"not {shape!r}")
    return tuple((int(n), int(o)) for n, o in shapes)


def _check_zero_slots(config):
    # Idle slots (zero inputs) and zero-padded weights must add nothing: with all-zero trit
    # products the ADC reads active_rows discharge units and p = active_rows - code * lsb.
    offset = int(golden.partial_mac(config, golden.adc_code(config, config.active_rows)))
    if offset:
        raise ValueError(f"the configuration's ADC (adc_bits {config.adc_bits}, adc_lsb "
                         f"{config.adc_lsb}, active_rows {config.active_rows}) reads an idle "
                         f"compute block as {offset}, not 0, so blocks cannot share a device "
                         f"sum; choose active_rows a multiple of adc_lsb and at most "
                         f"adc_lsb * (2**adc_bits - 1)")


class _Packer:
    def __init__(self, config):
        self.config = config
        # Round-robin over subarrays: slot order (0, 0), (1, 0), ..., (0, 1), (1, 1), ...
        self.order = [(s, cb) for cb in range(config.compute_blocks)
                      for s in range(config.subarrays)]
        self.used = []  # per tile: bool [subarrays, compute_blocks, outs]

    def _free(self, tile, slot, column, width):
        return not self.used[tile][slot[0], slot[1], column:column + width].any()

    def place(self, count, width):
        outs = self.config.outs
        for tile in range(len(self.used) + 1):
            if tile == len(self.used):
                self.used.append(np.zeros((self.config.subarrays, self.config.compute_blocks,
                                           outs), dtype=bool))
            for column in range(outs - width + 1):
                free = [slot for slot in self.order if self._free(tile, slot, column, width)]
                if len(free) >= count:
                    return self._take(tile, column, width, tuple(free[:count]))
        raise AssertionError("a fresh tile always has room")  # pragma: no cover

    def _take(self, tile, column, width, slots):
        for s, cb in slots:
            self.used[tile][s, cb, column:column + width] = True
        return tile, column, slots


def place_network(config, shapes):
    """Place layers of the given shapes on ``config`` with the compact mapping (module doc).

    Parameters
    ----------
    config : golden.Config
    shapes : sequence of (int, int)
        ``(inputs, outputs)`` of each layer, in order.

    Returns
    -------
    Mapping

    Raises
    ------
    ValueError
        If a shape is malformed, if the configuration's ADC does not read idle compute blocks
        as zero, or if the network needs more weight sets than ``config.weight_sets``.
    """
    shapes = _check_shapes(shapes)
    _check_zero_slots(config)
    a, outs = config.active_rows, config.outs
    capacity = config.subarrays * config.compute_blocks
    packer = _Packer(config)
    pieces = []
    for layer, (n, o) in enumerate(shapes):
        blocks = -(-n // a)
        parts = -(-blocks // capacity)
        bounds = [part * blocks // parts for part in range(parts + 1)]  # balanced, later larger
        for part in range(parts):
            row_blocks = tuple(range(bounds[part], bounds[part + 1]))
            for group in range(-(-o // outs)):
                start, stop = group * outs, min(o, (group + 1) * outs)
                tile, column, slots = packer.place(len(row_blocks), stop - start)
                pieces.append(Piece(layer, part, group, row_blocks, (start, stop), tile,
                                    column, slots))
    tiles = len(packer.used)
    if tiles > config.weight_sets:
        raise ValueError(f"the network ({' -> '.join(str(n) for n, _ in shapes)} -> "
                         f"{shapes[-1][1]}) needs {tiles} weight sets but the configuration has "
                         f"weight_sets = clusters x cluster_size = {config.clusters} x "
                         f"{config.cluster_size} = {config.weight_sets}")
    passes = sorted(pieces, key=lambda piece: (piece.layer, piece.part, piece.tile,
                                               piece.group))
    return Mapping(config, shapes, tuple(pieces), tuple(passes), tiles)
