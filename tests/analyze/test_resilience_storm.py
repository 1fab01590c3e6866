"""Retry storms, breakers in logs and fallbacks, on log lines read by the real readers.

The lab scenario's real traffic is in ``tests/lab/test_resilience_scenario.py``
and the demo report; these cases pin one rule each.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from apiprobe import (
    breaker_from_logs,
    detect_breaker_faults,
    detect_retry_storm,
    fallback_share,
    parse_logs,
    retry_attempts,
    retry_timeline,
)
from apiprobe.analyze.resilience import breaker_calls, detect_fallback
from apiprobe.schema import validate

T0 = 1764928800.0  # 2025-12-05T10:00:00Z


def zap(t: float, msg: str, **fields: object) -> str:
    return json.dumps({"level": "warn", "ts": T0 + t, "caller": "checkout/client.go:42", "msg": msg, **fields})


def storm_lines(*, gaps: list[float], requests: int = 12, status: int = 503, jitter: float = 0.0) -> str:
    lines = []
    for r in range(requests):
        t = r * 0.3
        for a, gap in enumerate([0.0, *gaps]):
            t += gap + (jitter * ((r * 7 + a * 3) % 5) / 5)
            lines.append(
                zap(
                    t,
                    "upstream call",
                    service="checkout",
                    upstream="inventory",
                    request_id=f"r{r}",
                    attempt=a + 1,
                    status=status,
                    error=f"unexpected HTTP status {status}",
                )
            )
    return "\n".join(sorted(lines, key=lambda line: json.loads(line)["ts"]))


def test_attempts_are_numbered_per_request_with_gaps() -> None:
    events = parse_logs(storm_lines(gaps=[0.05, 0.1]), format="zap")
    att = retry_attempts(events)
    validate(att, "retry_attempts")
    assert len(att) == 36 and att["request_id"].nunique() == 12
    assert set(att["caller"]) == {"checkout"} and set(att["callee"]) == {"inventory"}
    second = att[att["attempt"] == 2]
    assert second["gap_s"].round(3).eq(0.05).all() and second["offset_s"].round(3).eq(0.05).all()
    tl = retry_timeline(att, freq="1s")
    validate(tl, "retry_timeline")
    assert tl["requests"].sum() == 12 and tl["retries"].sum() == 24


def test_storm_lockstep_and_ignored_backoff_are_findings() -> None:
    events = parse_logs(storm_lines(gaps=[0.05, 0.1]), format="zap")
    found = detect_retry_storm(events, policy="go-retryablehttp")
    by = {(f, m) for f, m in zip(found["fault"], found["metric"], strict=True)}
    assert ("retry_storm", "attempts per request") in by  # 3 attempts per request
    assert ("retry_misuse", "retries sooner than the backoff allows") in by  # 50 ms where 1 s is the minimum
    assert ("retry_misuse", "relative spread of retry gaps") in by  # every client waits exactly 50 ms
    storm = found[found["fault"] == "retry_storm"].iloc[0]
    assert storm["subject"] == "checkout → inventory" and storm["value"] == pytest.approx(3.0)
    assert storm["severity"] == "critical"


def test_jittered_retries_within_the_policy_are_quiet_except_the_amplification() -> None:
    events = parse_logs(storm_lines(gaps=[1.2, 2.4], jitter=0.5), format="zap")
    found = detect_retry_storm(events, policy="go-retryablehttp")
    assert set(found["fault"]) == {"retry_storm"}


def test_retries_of_4xx_and_certificate_errors() -> None:
    events = parse_logs(storm_lines(gaps=[1.5, 3.0], status=400, jitter=0.5), format="zap")
    found = detect_retry_storm(events, policy="go-retryablehttp")
    misuse = found[found["metric"] == "retries of non-retryable responses"]
    assert len(misuse) == 1 and misuse.iloc[0]["value"] == 24  # attempts 1 and 2 of each request were retried
    lines = [
        zap(
            0,
            "upstream call",
            service="checkout",
            upstream="bank",
            request_id="x",
            attempt=1,
            error="tls: failed to verify certificate: x509: certificate signed by unknown authority",
        ),
        zap(
            2,
            "upstream call",
            service="checkout",
            upstream="bank",
            request_id="x",
            attempt=2,
            error="tls: failed to verify certificate: x509: certificate signed by unknown authority",
        ),
    ]
    found = detect_retry_storm(parse_logs("\n".join(lines), format="zap"), min_requests=1)
    assert "x509" in found[found["metric"] == "retries of non-retryable responses"].iloc[0]["evidence"]


def test_coarse_log_clocks_do_not_make_backoff_findings() -> None:
    # whole-second timestamps cannot show a 50 ms gap: no "ignored backoff" or "lockstep" claim
    lines = [
        json.dumps(
            {
                "level": "warn",
                "time": f"2026-12-05T10:00:{r:02d}Z",
                "message": "retry",
                "service": "orders",
                "upstream": "payments",
                "request_id": f"r{r}",
                "attempt": a,
                "error": "payments: 503",
            }
        )
        for r in range(15)
        for a in (1, 2)
    ]
    found = detect_retry_storm(parse_logs("\n".join(lines), format="zerolog"), policy="go-retryablehttp")
    assert set(found["fault"]) == {"retry_storm"}


def test_the_callee_comes_from_the_go_error_prefix_when_no_field_names_it() -> None:
    lines = [
        json.dumps(
            {
                "level": "warn",
                "ts": T0 + i,
                "msg": "payment attempt failed",
                "service": "orders",
                "trace_id": "ab" * 16,
                "attempt": i + 1,
                "error": "payments: 500 Internal Server Error",
            }
        )
        for i in range(2)
    ] + [json.dumps({"level": "info", "ts": T0, "msg": "charge", "service": "payments"})]
    att = retry_attempts(parse_logs("\n".join(lines), format="zap"))
    assert set(att["callee"]) == {"payments"} and att["attempt"].tolist() == [1, 2]


def breaker_log() -> str:
    lines = [
        zap(
            0.0,
            "upstream call",
            service="checkout",
            upstream="inventory",
            request_id="a",
            attempt=1,
            status=200,
            latency_ms=5,
        )
    ]
    t = 1.0
    for cycle in range(5):  # trip, wait, probe fails, trip again: flapping
        lines.append(
            zap(
                t,
                "circuit breaker state changed",
                service="checkout",
                breaker="inventory",
                **{"from": "closed" if cycle == 0 else "half-open", "to": "open"},
            )
        )
        lines.append(
            zap(
                t + 0.1,
                "upstream call",
                service="checkout",
                upstream="inventory",
                request_id=f"r{cycle}",
                attempt=1,
                error="circuit breaker is open",
            )
        )
        lines.append(
            zap(
                t + 0.2,
                "upstream call",
                service="checkout",
                upstream="inventory",
                request_id=f"q{cycle}",
                attempt=1,
                status=429,
                error="unexpected HTTP status 429 Too Many Requests",
            )
        )
        lines.append(
            zap(
                t + 0.6,
                "circuit breaker state changed",
                service="checkout",
                breaker="inventory",
                **{"from": "open", "to": "half-open"},
            )
        )
        t += 1.0
    return "\n".join(lines)


def test_breaker_from_zap_fields() -> None:
    b = breaker_from_logs(parse_logs(breaker_log(), format="zap"))
    validate(b.transitions, "breaker_transitions")
    assert len(b.transitions) == 10 and set(b.transitions["breaker"]) == {"inventory"}
    rejected = b.requests["rejected"].value_counts().to_dict()
    assert rejected == {"open": 5}  # the HTTP 429 is not gobreaker's "too many requests"
    assert b.requests.loc[b.requests["rejected"] == "open", "state"].eq("open").all()
    found = detect_breaker_faults(b, window_s=10, max_trips=3)
    flap = found[found["fault"] == "breaker_flapping"].iloc[0]
    assert flap["value"] == 5 and "4 half-open probes failed" in flap["evidence"]
    assert "breaker_open" in set(found["fault"])
    calls = breaker_calls(b)
    assert calls["estimated"].sum() == 5 and list(calls.columns) == [
        "start",
        "end",
        "ok",
        "estimated",
        "rejected_in_logs",
    ]


@pytest.mark.parametrize(
    ("line", "fmt"),
    [
        (
            'time="2026-12-05T10:00:00Z" level=warning '
            'msg="circuit breaker inventory: state changed from closed to open"',
            "logrus_text",
        ),
        (
            'time=2026-12-05T10:00:00Z level=WARN msg="breaker state change" '
            "name=inventory from=StateClosed to=StateOpen",
            "slog_text",
        ),
        ('{"level":"warn","time":"2026-12-05T10:00:00Z","message":"gobreaker inventory: closed -> open"}', "zerolog"),
    ],
)
def test_breaker_state_changes_in_other_dialects(line: str, fmt: str) -> None:
    b = breaker_from_logs(parse_logs(line, format=fmt))
    assert b.transitions[["from_state", "to_state"]].values.tolist() == [["closed", "open"]]


def test_a_rule_that_cannot_fire_is_reported() -> None:
    # every other call fails: consecutive failures never pass 5, and the breaker never opens
    lines = [
        zap(
            i * 0.1,
            "upstream call",
            service="checkout",
            upstream="inventory",
            request_id=f"r{i}",
            attempt=1,
            **({"status": 200} if i % 2 else {"status": 503, "error": "unexpected HTTP status 503"}),
        )
        for i in range(60)
    ]
    b = breaker_from_logs(parse_logs("\n".join(lines), format="zap"))
    found = detect_breaker_faults(b, window_s=10, min_requests=20)
    assert found["fault"].tolist() == ["breaker_misconfig"]
    assert "never opened" in found.iloc[0]["evidence"]


def test_fallback_share_and_its_period() -> None:
    lines = []
    for i in range(40):
        t = i * 0.25
        down = 3.0 <= t < 6.0
        lines.append(
            zap(
                t,
                "upstream call",
                service="checkout",
                upstream="inventory",
                request_id=f"r{i}",
                attempt=1,
                **({"status": 503, "error": "unexpected HTTP status 503"} if down else {"status": 200}),
            )
        )
        if down:
            lines.append(
                zap(t + 0.01, "served from fallback cache", service="checkout", request_id=f"r{i}", fallback="cache")
            )
        lines.append(zap(t + 0.02, "request served", service="checkout", request_id=f"r{i}", status=200, fallback=down))
    share = fallback_share(parse_logs("\n".join(lines), format="zap"), freq="1s")
    validate(share, "fallback_share")
    assert share["fallback"].sum() == 12 and share["requests"].sum() == 40
    assert share.loc[share["fallback"] > 0, "primary_error_rate"].min() == 1.0
    ((svc, start, end),) = share.attrs["periods"]
    assert svc == "checkout" and start == pd.Timestamp(T0 + 3, unit="s", tz="UTC")
    assert end == pd.Timestamp(T0 + 6, unit="s", tz="UTC")  # the last bin with a fallback, plus one bin
    found = detect_fallback(share)
    assert found.iloc[0]["fault"] == "fallback" and "12 of" in found.iloc[0]["evidence"]
    with pytest.raises(ValueError, match="marker"):
        fallback_share(parse_logs("\n".join(lines), format="zap"), marker="(")


def test_bad_input_gets_clear_errors() -> None:
    from apiprobe import InvalidParameterError, SchemaError

    with pytest.raises(SchemaError, match="retry_attempts needs log lines"):
        retry_attempts(pd.DataFrame({"x": [1]}))
    with pytest.raises(InvalidParameterError, match="DataFrame"):
        retry_attempts([1, 2])  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="msg"):
        breaker_from_logs(pd.DataFrame({"ts": [], "service": []}))
    with pytest.raises(SchemaError, match="service"):
        fallback_share(pd.DataFrame({"ts": [], "msg": []}))
    with pytest.raises(InvalidParameterError, match="BreakerReplay"):
        detect_breaker_faults(pd.DataFrame())  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="min_requests"):
        detect_retry_storm(parse_logs(storm_lines(gaps=[0.1]), format="zap"), min_requests=0)
    empty = parse_logs("", format="zap")
    assert retry_attempts(empty).empty and detect_retry_storm(empty).empty
    assert breaker_from_logs(empty).transitions.empty and fallback_share(empty).empty


def test_sibling_client_spans_are_attempts_of_one_call() -> None:
    t0 = pd.Timestamp("2026-12-05T10:00:00Z")
    rows = []
    for r in range(12):
        parent = f"p{r:03d}"
        rows.append((f"t{r:02d}", parent, None, "checkout", "POST /checkout", "server", 0, 900, "error", None))
        for a in range(3):  # three tries of the same operation under one parent, 200 ms apart
            start = 10 + a * 200
            rows.append(
                (
                    f"t{r:02d}",
                    f"c{r:03d}{a}",
                    parent,
                    "checkout",
                    "GET /stock",
                    "client",
                    start,
                    start + 150,
                    "error",
                    {"peer.service": "inventory"},
                )
            )
    spans = pd.DataFrame(
        rows, columns=["trace_id", "span_id", "parent_span_id", "service", "name", "kind", "s", "e", "status", "attrs"]
    )
    spans["start"] = t0 + pd.to_timedelta(spans.pop("s"), unit="ms")
    spans["end"] = t0 + pd.to_timedelta(spans.pop("e"), unit="ms")
    att = retry_attempts(spans)
    assert len(att) == 36 and set(att["callee"]) == {"inventory"} and set(att["source"]) == {"traces"}
    assert att.groupby("request_id")["attempt"].max().eq(3).all()
    found = detect_retry_storm(spans, policy="go-retryablehttp")
    assert {"retry_storm", "retry_misuse"} == set(found["fault"])  # 3× and 200 ms where 1 s is the minimum
