"""SLO burn rates and the SRE workbook's alerts on counters with a known incident: fire/clear times derived by hand.

Traffic is 10 req/s scraped every 15 s; from T0 5 % of requests fail for 30
minutes. With a 99.9 % objective (budget 0.001) the fast page (14.4× over 1 h
and 5 min) needs an error ratio above 1.44 % in both windows: the 1 h window
gets there when 0.05·x/3600 > 0.0144, x > 1036.8 s, so at the first step after,
T0 + 1050 s. After the errors stop at T1 = T0 + 1800 s, the 5 min window holds
0.05·(300 − y)/300, under 1.44 % once y > 213.6 s: the last firing step is
T1 + 210 s. The counters restart (reset to the requests of one scrape) at
T0 + 600 s, which must change nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import apiprobe as ap
from apiprobe.errors import InvalidParameterError, SchemaError

T0 = pd.Timestamp("2026-03-14T10:00:00Z")
STEP = 15
RATE = 10.0


def counters() -> tuple[pd.DataFrame, pd.DataFrame]:
    offsets = np.arange(-2 * 3600, 3 * 3600 + 1, STEP)  # two hours before T0, three after
    failing = (offsets > 0) & (offsets <= 1800)
    per_step_total = np.full(len(offsets), RATE * STEP)
    per_step_err = np.where(failing, 0.05 * RATE * STEP, 0.0)
    total, errors = np.cumsum(per_step_total), np.cumsum(per_step_err)
    restart = int(np.searchsorted(offsets, 600))
    total[restart:] -= total[restart - 1]
    errors[restart:] -= errors[restart - 1]
    ts = T0 + pd.to_timedelta(offsets, unit="s")
    base = {"ts": ts, "metric": "http_requests_total", "job": "api"}
    return (
        pd.DataFrame({**base, "code": "500", "value": errors}),
        pd.DataFrame({**base, "code": "200", "value": total - errors}),
    )


def test_page_fires_and_clears_when_the_incident_implies() -> None:
    errors, ok = counters()
    total = pd.concat([errors, ok], ignore_index=True)
    alerts = ap.detect_slo_burn(errors, total, objective=0.999, subject="api")
    fast = alerts[alerts["evidence"].str.startswith("page-fast")]
    assert len(fast) == 1
    assert fast["ts_start"].iloc[0] == T0 + pd.Timedelta(seconds=1050)
    assert fast["ts_end"].iloc[0] == T0 + pd.Timedelta(seconds=1800 + 210)
    assert fast["severity"].iloc[0] == "critical"
    assert fast["value"].iloc[0] == pytest.approx(0.05 * 1800 / 3600 / 0.001)  # peak 1 h burn: 25×
    # page-slow (6× over 6 h and 30 min): 6 h window needs 0.05·x/21600 > 0.006 — but only 2 h of history
    # precede T0, so Prometheus' extrapolation sees a 6 h window of 2 h + x; it fires when both exceed 6×
    burn = ap.slo_burn_rate(errors, total, objective=0.999, windows=("5m", "1h"))
    at = burn[(burn["ts"] == T0 + pd.Timedelta(seconds=1050)) & (burn["window"] == "1h")]
    assert at["error_ratio"].iloc[0] == pytest.approx(0.05 * 1050 / 3600)
    assert set(burn["window"]) == {"5m", "1h"}


def test_no_errors_no_alert_and_budget() -> None:
    errors, ok = counters()
    quiet = errors.assign(value=0.0)
    total = pd.concat([quiet, ok], ignore_index=True)
    assert ap.detect_slo_burn(quiet, total, objective=0.999).empty
    budget = ap.error_budget(errors, pd.concat([errors, ok], ignore_index=True), objective=0.999, period="30d")
    # 900 failed of 180,000 requests over 5 h: projected to 30 days the budget is 0.001 · 10 req/s · 30 d
    assert budget["errors"].iloc[-1] == pytest.approx(0.05 * RATE * 1800)
    assert budget["consumed"].iloc[-1] == pytest.approx(900 / (0.001 * RATE * 30 * 86400), rel=1e-3)
    assert budget["remaining"].is_monotonic_decreasing


def test_bad_input() -> None:
    errors, ok = counters()
    with pytest.raises(InvalidParameterError, match="objective"):
        ap.slo_burn_rate(errors, ok, objective=99.9)
    with pytest.raises(InvalidParameterError, match="window"):
        ap.slo_burn_rate(errors, ok, objective=0.999, windows=("5 minutes",))
    with pytest.raises(SchemaError, match="value"):
        ap.slo_burn_rate(errors.drop(columns="value"), ok, objective=0.999)
    with pytest.raises(SchemaError, match="6h"):
        ap.slo_alerts(ap.slo_burn_rate(errors, ok, objective=0.999, windows=("5m", "1h")), objective=0.999)
