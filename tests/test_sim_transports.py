"""tlcim.sim.transports: the host driver's transports inside a cocotb simulation; the bulk
stream transport refuses bad arguments (its results: test_tb_test_bulk.py)."""

import pytest

from tlcim.golden import Config
from tlcim.sim import transports


def test_bulk_transport_refuses_bad_arguments():
    config = Config.preset("small")
    with pytest.raises(ValueError, match=r"chunk must be an int in 1\.\.64 .* not 0"):
        transports.BulkTransport(None, config, chunk=0)
    with pytest.raises(ValueError, match=r"stall must be a probability in \[0, 1\), not 1\.5"):
        transports.BulkTransport(None, config, stall=1.5)


def test_activation_file_lines():
    # Two frames of two 4-byte beats: tlast digit first, then the beat's bytes most
    # significant first (the frame is little-endian), one line per beat.
    frames = [bytes(range(8)), bytes([0xff] * 4 + [0x0a, 0, 0, 0x80])]
    text = transports._hex_lines(frames, 2, 4).decode()
    assert text == "003020100\n107060504\n0ffffffff\n18000000a\n"
    # What $readmemh gives back: every beat's value with tlast above it.
    words = [int(line, 16) for line in text.split()]
    assert words[1] == (1 << 32) | 0x07060504 and words[2] == 0xffffffff
    with pytest.raises(ValueError, match="activation frame has 7 bytes, expected 8"):
        transports._hex_lines([bytes(7)], 2, 4)
