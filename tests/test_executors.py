"""tlcim.executors: where independent jobs run; the executors' messages (a sweep on each
executor: test_sweep_driver.py)."""

import pytest

from tlcim import executors


def test_executor_messages():
    with pytest.raises(ValueError, match="^workers must be a positive integer, not 0$"):
        executors.LocalExecutor(0)
    with pytest.raises(ValueError, match="^workers must not be given with a scheduler "):
        executors.make_executor("tcp://127.0.0.1:1", 2)
