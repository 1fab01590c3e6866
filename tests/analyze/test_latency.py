"""Latency analysis on constructed tables, the demo incident and live lab probes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from apiprobe.analyze import compare_latency, detect_latency_faults, jitter_stats, summarize_latency
from apiprobe.demo import demo_probes
from apiprobe.lab import FaultLab
from apiprobe.probe import probe_http
from apiprobe.schema import conform, validate

T0 = pd.Timestamp("2026-01-01T00:00:00Z")


def frame(rows: list[dict]) -> pd.DataFrame:
    for i, r in enumerate(rows):
        r.setdefault("ts", T0 + pd.Timedelta(seconds=i))
        r.setdefault("target", "http://a.test/")
    return conform(rows, "probes")


def test_jitter_stats_known_sequence() -> None:
    s = pd.Series([10.0, 20.0, np.nan, 15.0, 15.0])
    j = jitter_stats(s)
    assert j["jitter_mean_ms"] == pytest.approx((10 + 5 + 0) / 3)
    assert j["jitter_max_ms"] == 10
    expected = 0.0
    for d in (10, 5, 0):
        expected += (d - expected) / 16
    assert j["jitter_rfc3550_ms"] == pytest.approx(expected)
    assert np.isnan(jitter_stats(pd.Series([1.0]))["jitter_mean_ms"])


def test_summary_ignores_failed_phases_instead_of_counting_zero() -> None:
    rows = [{"total_ms": v, "connect_ms": 1.0} for v in (10.0, 20.0, 30.0)]
    rows.append({"error_kind": "connect_timeout"})
    s = summarize_latency(frame(rows)).set_index("phase")
    assert s.loc["total_ms", "count"] == 3 and s.loc["total_ms", "attempts"] == 4
    assert s.loc["total_ms", "p50_ms"] == 20.0
    assert s.loc["total_ms", "loss"] == 0.25
    assert s.loc["tls_ms", "count"] == 0 and np.isnan(s.loc["tls_ms", "p50_ms"])


def test_summary_counts_5xx_in_error_rate_not_loss() -> None:
    rows = [{"total_ms": 5.0, "status": 200}] * 3 + [{"total_ms": 5.0, "status": 503}]
    s = summarize_latency(frame([dict(r) for r in rows]), phases=("total_ms",)).iloc[0]
    assert s["loss"] == 0 and s["http_5xx"] == 1 and s["error_rate"] == 0.25


def test_summary_works_on_pings() -> None:
    pings = conform(
        [
            {"ts": T0, "target": "h:1", "rtt_ms": 1.0, "ok": True},
            {"ts": T0, "target": "h:1", "rtt_ms": None, "ok": False, "error_kind": "connect_timeout"},
        ],
        "pings",
    )
    s = summarize_latency(pings)
    assert list(s["phase"]) == ["rtt_ms"] and s["loss"].iloc[0] == 0.5


def test_inputs_are_not_mutated() -> None:
    df = demo_probes()
    before = df.copy()
    summarize_latency(df)
    detect_latency_faults(df, timeout_ms=2000)
    pd.testing.assert_frame_equal(df, before)


def test_demo_incident_findings() -> None:
    f = detect_latency_faults(demo_probes(), timeout_ms=2000)
    validate(f, "findings")
    got = {(row.fault, row.subject.split(" · ")[0]) for row in f.itertuples()}
    pay, inv = "https://payments.demo.internal/v1/charge", "http://inventory.demo.internal/stock"
    assert ("slow_phase", pay) in got and ("server_errors", pay) in got and ("timeout", pay) in got
    assert ("timeout_budget", pay) in got
    assert ("timeout", inv) in got and ("loss", inv) not in got  # the timeout finding explains the loss
    inv_timeout = f[(f["fault"] == "timeout") & (f["subject"] == inv)].iloc[0]
    assert "loss threshold" in inv_timeout["evidence"] and inv_timeout["severity"] == "critical"
    syn = f[(f["metric"] == "syn_retransmits")]
    assert len(syn) == 1 and syn["subject"].iloc[0].startswith(inv)
    slow = f[(f["fault"] == "slow_phase") & f["subject"].str.startswith(pay)]
    assert "Server (TTFB)" in slow["subject"].iloc[0]
    # the healthy control target yields nothing
    assert not f["subject"].str.startswith("https://checkout").any()
    # most severe first
    order = {"critical": 0, "warning": 1, "info": 2}
    assert list(f["severity"].map(order)) == sorted(f["severity"].map(order))


def test_loss_reports_only_failures_nothing_else_explains() -> None:
    rows = [{"total_ms": 10.0} for _ in range(90)]
    rows += [{"error_kind": "connection_reset"} for _ in range(5)]
    rows += [{"error_kind": "read_timeout"} for _ in range(5)]
    f = detect_latency_faults(frame(rows))
    loss = f[f["fault"] == "loss"]
    assert len(loss) == 1 and "connection_reset: 5" in loss["evidence"].iloc[0]
    only_timeouts = detect_latency_faults(frame([{"error_kind": "read_timeout"} for _ in range(10)]), timeout_ms=1000)
    assert list(only_timeouts["fault"]) == ["timeout"]  # no echo as loss or budget


def test_thresholds_are_options() -> None:
    rows = [{"dns_ms": 250.0, "total_ms": 260.0} for _ in range(5)]
    assert "dns" in set(detect_latency_faults(frame(rows))["fault"])
    assert "dns" not in set(detect_latency_faults(frame(rows), dns_threshold_ms=300)["fault"])


def test_empty_input_gives_empty_findings() -> None:
    f = detect_latency_faults(conform(None, "probes"))
    validate(f, "findings")
    assert f.empty


def test_compare_latency_ratios() -> None:
    now = frame([{"total_ms": 20.0} for _ in range(5)])
    base = frame([{"total_ms": 10.0} for _ in range(5)])
    c = compare_latency(now, base, phases=("total_ms",)).iloc[0]
    assert c["p50_ratio"] == 2.0 and c["p99_ratio"] == 2.0


def test_live_lab_faults_are_detected(lab: FaultLab) -> None:
    urls = [lab.url("ok"), lab.url("blackhole"), lab.url("refused"), lab.url("flaky", p=0.5)]
    probes = probe_http(urls, count=6, interval=0.05, timeout=0.5, concurrency=12, progress=False)
    f = detect_latency_faults(probes, timeout_ms=500)
    got = {(row.fault, row.subject) for row in f.itertuples()}
    assert ("timeout", lab.url("blackhole")) in got
    assert ("connect_refused", lab.url("refused")) in got
    assert ("server_errors", lab.url("flaky", p=0.5)) in got
    assert not any(s == lab.url("ok") for _, s in got)
    timeout_row = f[(f["fault"] == "timeout") & (f["subject"] == lab.url("blackhole"))].iloc[0]
    assert "read_timeout" in timeout_row["evidence"] and "ResponseHeaderTimeout" in timeout_row["recommendation"]
