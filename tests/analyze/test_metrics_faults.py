"""detect_metric_faults and golden_signals on the demo incident and on hand-made series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import apiprobe as ap
from apiprobe.demo import INCIDENT, demo_metrics_text
from apiprobe.errors import InvalidParameterError


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return ap.parse_metrics_text(demo_metrics_text())


def test_demo_incident_faults(demo: pd.DataFrame) -> None:
    found = ap.detect_metric_faults(demo)
    got = {(f, s) for f, s in zip(found["fault"], found["subject"], strict=True)}
    assert {
        ("server_errors", "gateway"),
        ("pool_exhaustion", "payments"),
        ("goroutine_leak", "gateway"),
        ("high_latency", "payments"),
    } <= got
    assert ("goroutine_leak", "payments") not in got  # its goroutines came back down after the pool recovered
    assert "gc_pressure" not in set(found["fault"])
    pool = found[found["fault"] == "pool_exhaustion"].iloc[0]
    start, end = (pd.Timestamp(t) for t in INCIDENT)
    assert start <= pool["ts_start"] < start + pd.Timedelta(minutes=1)
    assert end - pd.Timedelta(minutes=1) <= pool["ts_end"] < end
    assert "go_sql_stats_connections_in_use" in pool["evidence"]  # the PromQL of the evidence series


def test_baseline_alone_is_clean(demo: pd.DataFrame) -> None:
    before = demo[demo["ts"] < pd.Timestamp(INCIDENT[0]) - pd.Timedelta(minutes=30)]
    assert ap.detect_metric_faults(before).empty


def test_golden_signals_are_the_promql(demo: pd.DataFrame) -> None:
    signals = ap.golden_signals(demo)
    assert set(signals["signal"]) >= {"rate", "error_ratio", "p50", "p90", "p99", "goroutines", "pool_usage"}
    queries = ap.golden_signal_queries()
    for signal, promql in signals.groupby("signal")["promql"].first().items():
        assert promql == queries[signal]
    # the request rate over 5m equals the counters' own increase where no reset is in the window
    gw = demo[(demo["metric"] == "http_requests_total") & (demo["job"] == "gateway")]
    t = pd.Timestamp("2026-03-14T08:00:00Z")
    window = gw[(gw["ts"] >= t - pd.Timedelta(minutes=5)) & (gw["ts"] <= t)]
    by_code = window.groupby("code")["value"].agg(["first", "last"])
    expected = (by_code["last"] - by_code["first"]).sum() / 300  # samples cover the window exactly
    rate = signals[(signals["signal"] == "rate") & (signals["service"] == "gateway") & (signals["ts"] == t)]
    assert rate["value"].iloc[0] == pytest.approx(expected)


def test_cpu_throttling_and_names() -> None:
    ts = pd.date_range("2026-01-01", periods=40, freq="15s", tz="UTC")
    periods = np.arange(40) * 150.0  # 10 CFS periods per second
    throttled = np.r_[np.zeros(20), np.arange(1, 21) * 60.0]  # 40 % of periods throttled in the second half
    rows = pd.concat(
        [
            pd.DataFrame({"ts": ts, "metric": "container_cpu_cfs_periods_total", "value": periods, "container": "api"}),
            pd.DataFrame(
                {
                    "ts": ts,
                    "metric": "container_cpu_cfs_throttled_periods_total",
                    "value": throttled,
                    "container": "api",
                }
            ),
        ]
    )
    found = ap.detect_metric_faults(rows, window="1m")
    assert found["fault"].tolist() == ["cpu_throttling"]
    assert found["value"].iloc[0] == pytest.approx(0.4)
    assert found["subject"].iloc[0] == "api"
    with pytest.raises(InvalidParameterError, match="unknown keys"):
        ap.detect_metric_faults(rows, names={"reqs": "x"})


def test_heap_that_only_grows_and_gc_pauses() -> None:
    ts = pd.date_range("2026-01-01", periods=120, freq="30s", tz="UTC")
    heap = pd.DataFrame(
        {"ts": ts, "metric": "go_memstats_heap_inuse_bytes", "job": "api", "value": 50e6 * (1 + np.arange(120) / 40)}
    )
    found = ap.detect_metric_faults(heap)
    assert found["metric"].tolist() == ["heap_growth"] and found["fault"].iloc[0] == "gc_pressure"
    assert found["value"].iloc[0] == pytest.approx(
        np.median(heap["value"].iloc[-12:]) / np.median(heap["value"].iloc[:12])
    )
    # 8 s of stop-the-world pauses per minute (the handbook allows 5)
    pauses = pd.DataFrame(
        {"ts": ts, "metric": "go_gc_duration_seconds_sum", "job": "api", "value": np.arange(120) * 4.0}
    )
    found = ap.detect_metric_faults(pauses, window="2m")
    assert found["fault"].tolist() == ["gc_pressure"] and found["value"].iloc[0] == pytest.approx(8.0)
    flat = heap.assign(value=60e6)
    assert ap.detect_metric_faults(flat).empty
