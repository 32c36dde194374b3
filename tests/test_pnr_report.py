"""tlcim.pnr.report: which check each finding fails."""

import pytest

from tlcim.pnr import report

CLEAN = dict(router_failed=0, opens=[], shorts=(), drc_errors=0, lvs_match=True, wns_ns=0.1,
             hold_wns_ns=0.0)


def test_a_clean_run_passes_every_check():
    assert all(report.check(**CLEAN).values())


@pytest.mark.parametrize("finding, failed", [
    ({"router_failed": 2}, {"every net routed", "no routing conflicts"}),
    ({"router_failed": None}, {"every net routed", "no routing conflicts"}),
    ({"opens": ["n"]}, {"every net routed"}),
    ({"shorts": (("a", "vdd"),)}, {"no routing conflicts"}),
    ({"drc_errors": 1}, {"no DRC errors"}),
    ({"lvs_match": False}, {"lvs match"}),
    ({"wns_ns": -0.001}, {"setup met"}),
    ({"hold_wns_ns": -0.001}, {"hold met"}),
])
def test_each_finding_fails_its_checks(finding, failed):
    checks = report.check(**{**CLEAN, **finding})
    assert {name for name, passed in checks.items() if not passed} == failed
