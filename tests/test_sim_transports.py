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


def test_activation_file_records():
    # Two frames of two 4-byte beats: per beat a tlast byte, then the beat's bytes most
    # significant first (the frame is little-endian): a 33-bit word as $fread reads it.
    frames = [bytes(range(8)), bytes([0xff] * 4 + [0x0a, 0, 0, 0x80])]
    records = transports._beat_records(frames, 2, 4)
    assert records.hex() == "0003020100" "0107060504" "00ffffffff" "018000000a"
    words = [int.from_bytes(records[i:i + 5], "big") for i in range(0, len(records), 5)]
    assert words[1] == (1 << 32) | 0x07060504 and words[2] == 0xffffffff
    with pytest.raises(ValueError, match="activation frame has 7 bytes, expected 8"):
        transports._beat_records([bytes(7)], 2, 4)
