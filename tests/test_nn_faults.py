"""tlcim.nn.faults: restore misreads against accuracy with the integrity check (the paper's
Fig. 10 question), and the restore monitor's counts."""

import asyncio

import numpy as np
import pytest

from tlcim import golden
from tlcim.nn.evaluate import evaluate

SMALL = golden.Config.preset("small")


def test_fault_study_follows_the_misread_rates(tmp_path):
    from tlcim.nn.faults import ROW_ERROR_BINS, fault_study
    study = fault_study(SMALL, limit=40, sizes=(1, 64, 100), cache=tmp_path)
    assert study["restore_yield"][0] > 0.999 and study["restore_yield"][2] < 0.5
    clean, _ = evaluate(SMALL, None, limit=40, cache=tmp_path)
    for method, policies in study["methods"].items():
        off, on = policies["unverified"], policies["enforced"]
        # No misreads at 1 per cluster: every restore exact, the clean accuracy either way.
        assert off["corrupted"][0] == off["detected"][0] == on["rejected"][0] == 0
        assert off["detection_rate"][0] is None
        assert off["accuracy"][0] == on["accuracy"][0] == clean["methods"][method]["quantised_adc"]
        # The checksum flags every corrupted restore: at 64 per cluster (rows with one or
        # two misreads) and at 100 (many per row, every restore corrupted).
        assert off["corrupted"][1] > 0 and off["detection_rate"][1] == 1.0
        assert off["corrupted"][2] == off["restores"][2] > 0 and off["detection_rate"][2] == 1.0
        few = [off["by_row_errors"][1][key] for key in ROW_ERROR_BINS[:2]]
        assert sum(corrupted for _, corrupted in few) > 0
        assert all(detected == corrupted for detected, corrupted in few)
        assert off["by_row_errors"][2]["3+"][0] == off["by_row_errors"][2]["3+"][1] > 0
        # Used anyway, the corrupted weights lose accuracy as clusters grow (Fig. 10).
        assert off["accuracy"][0] >= off["accuracy"][1] > off["accuracy"][2]
        assert off["accuracy"][2] < 0.7
        # Enforced: nothing corrupted gets through; the tiles are refused, batches unanswered.
        assert on["let_through"] == [0, 0, 0]
        assert on["refused"][2] > 0 and on["answered"][2] == 0 == on["accuracy"][2]
        assert on["rejected"][2] == on["restores"][2] == on["refused"][2] * study["attempts"]


class _Flaky:
    """A target whose integrity check flags the first restore; every read-back is wrong."""

    def __init__(self, image):
        self.calls, self.image = 0, image

    async def restore(self, subarray, set):
        from tlcim.golden.errors import DeviceError, ErrorCode
        self.calls += 1
        if self.calls == 1:
            raise DeviceError(ErrorCode.VERIFY_FAILED, "checksum")

    async def read(self, subarray):
        return self.image[0] + 1


def test_restore_monitor_counts_detections():
    from tlcim.nn.faults import RestoreMonitor, RestoreRefused
    image = np.zeros((1, 2, 2), dtype=np.int64)
    enforced = RestoreMonitor({0: image}, attempts=2)
    asyncio.run(enforced(_Flaky(image), 0))
    assert (enforced.restores, enforced.rejected, enforced.let_through) == (2, 1, 1)
    refused = RestoreMonitor({0: image}, attempts=1)
    with pytest.raises(RestoreRefused, match="tile 0 failed verification 1 times"):
        asyncio.run(refused(_Flaky(image), 0))
    assert refused.refused == 1
    unverified = RestoreMonitor({0: image}, policy="unverified")
    flaky = _Flaky(image)
    asyncio.run(unverified(flaky, 0))  # flagged and wrong: detected
    asyncio.run(unverified(flaky, 0))  # passed but wrong: missed
    assert (unverified.restores, unverified.corrupted, unverified.detected) == (2, 2, 1)
    assert unverified.detection_rate == 0.5 and unverified.false_alarms == 0
    with pytest.raises(ValueError, match="policy must be one of unverified, enforced, not 'x'"):
        RestoreMonitor({0: image}, policy="x")
    with pytest.raises(ValueError, match="attempts must be a positive integer, not 0"):
        RestoreMonitor({0: image}, attempts=0)
