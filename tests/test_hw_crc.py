# amaranth: UnusedElaboratable=no
"""tlcim.hw.crc: the row CRC fed in chunks equals the golden checksum, as a matrix step and as
the CrcEngine component in an Amaranth simulation."""

import numpy as np
import pytest
from amaranth.sim import Simulator

from tlcim.golden import checksum
from tlcim.hw.crc import DEFAULT_CRC_CHUNK, CrcEngine, crc_chunks, crc_step_matrices
from tlcim.golden import Config
from helpers import simulate


def _padded(bits, chunk):
    # Leading zeros up to whole chunks: the CRC (initial value 0) does not change.
    chunks = -(-bits.shape[1] // chunk)
    return np.concatenate([np.zeros((len(bits), chunks * chunk - bits.shape[1]), dtype=int),
                           bits], 1), chunks


@pytest.mark.parametrize("row_bits, chunk", [(320, DEFAULT_CRC_CHUNK), (320, 64), (320, 7),
                                             (320, 1), (320, 320), (8, 3)])
def test_crc_in_chunks_equals_the_row_crc(rng, row_bits, chunk):
    A, B = crc_step_matrices(row_bits, chunk)
    bits = rng.integers(0, 2, (50, row_bits))
    padded, chunks = _padded(bits, chunk)
    state = np.zeros((50, A.shape[0]), dtype=int)
    for k in range(chunks):
        state = (state @ A.T + padded[:, k * chunk:(k + 1) * chunk] @ B.T) % 2
    assert (state @ (1 << np.arange(A.shape[0])) == checksum.row_checksums(bits)).all()


@pytest.mark.parametrize("row_bits, chunk", [(40, 40), (40, 16), (24, 5), (8, 3), (320, 160)])
def test_engine_computes_the_golden_crc_of_back_to_back_rows(rng, row_bits, chunk):
    dut = CrcEngine(row_bits, chunk)
    assert len(dut.crc) == checksum.crc_params(row_bits)[0]
    bits = rng.integers(0, 2, (6, row_bits))
    padded, chunks = _padded(bits, chunk)
    expected = checksum.row_checksums(bits)
    got = []

    async def testbench(ctx):
        # Rows follow each other without a gap: `first` restarts the state.
        for row in padded:
            for k in range(chunks):
                piece = row[k * chunk:(k + 1) * chunk]
                ctx.set(dut.data, int(sum(int(b) << i for i, b in enumerate(piece))))
                ctx.set(dut.first, k == 0)
                if k == chunks - 1:
                    got.append(ctx.get(dut.crc))
                await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    simulate(sim)
    assert got == expected.tolist()


def test_chunks_of_a_row():
    config = Config.preset("paper")
    assert crc_chunks(config) == (160, 2)
    assert crc_chunks(config, 7) == (7, 46)
    assert crc_chunks(config, 1000) == (320, 1)


@pytest.mark.parametrize("chunk", [0, -1, True, 2.0])
def test_bad_chunk_is_refused(chunk):
    with pytest.raises(ValueError, match=f"chunk must be a positive integer, not {chunk!r}"):
        CrcEngine(40, chunk)
    with pytest.raises(ValueError, match=f"crc_chunk must be a positive integer, not {chunk!r}"):
        crc_chunks(Config.preset("small"), chunk)
