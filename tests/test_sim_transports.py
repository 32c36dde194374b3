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
