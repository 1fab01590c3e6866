"""Error taxonomy: classification of Go error strings, codes and statuses; aggregation; findings."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import apiprobe.analyze.error_kinds._classify as classify_mod
from apiprobe.analyze.error_kinds import (
    ERROR_PATTERNS,
    KIND_DEFAULTS,
    classify_error_text,
    classify_errors,
    detect_error_faults,
    error_counts,
    error_summary,
    error_taxonomy,
)
from apiprobe.schema import ERROR_KINDS, ERROR_LAYERS, conform, validate

T0 = pd.Timestamp("2024-05-01T10:00:00Z")

# (Go error string as logged, kind, layer, retryable) — verbatim fragments from REFERENCE §5
GO_ERRORS: list[tuple[str, str, str, bool | None]] = [
    ('Get "http://quotes:8080/q": context deadline exceeded', "deadline_exceeded", "client", None),
    (
        'Get "http://quotes:8080/q": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
        "read_timeout",
        "request",
        None,
    ),
    (
        'Get "http://quotes:8080/q": net/http: request canceled (Client.Timeout exceeded while awaiting headers)',
        "read_timeout",
        "request",
        None,
    ),
    (
        "net/http: request canceled (Client.Timeout or context cancellation while reading body)",
        "body_timeout",
        "response",
        None,
    ),
    ('Get "https://quotes:8443/q": net/http: TLS handshake timeout', "tls_timeout", "tls", True),
    ('Get "http://quotes:8080/q": net/http: timeout awaiting response headers', "read_timeout", "request", None),
    (
        'Get "http://quotes:8080/q": net/http: request canceled while waiting for connection',
        "pool_timeout",
        "pool",
        True,
    ),
    (
        'Get "http://quotes:8080/q": net/http: request canceled while waiting for connection '
        "(Client.Timeout exceeded while awaiting headers)",
        "pool_timeout",
        "pool",
        True,
    ),
    (
        'Post "http://10.0.0.5:8080/q": dial tcp 10.0.0.5:8080: connect: connection refused',
        "connect_refused",
        "connect",
        True,
    ),
    ('Get "http://quotes:8080/q": dial tcp 10.0.0.5:8080: i/o timeout', "connect_timeout", "connect", True),
    ("read tcp 10.0.0.4:51234->10.0.0.5:8080: i/o timeout", "read_timeout", "request", None),
    ("dial tcp: lookup quotes.internal on 10.96.0.10:53: no such host", "nxdomain", "dns", False),
    ("dial tcp: lookup quotes.internal: i/o timeout", "dns_timeout", "dns", True),
    (
        "dial tcp: lookup quotes on 10.96.0.10:53: read udp 10.1.0.7:41234->10.96.0.10:53: i/o timeout",
        "dns_timeout",
        "dns",
        True,
    ),
    (
        "dial tcp: lookup quotes on 10.96.0.10:53: dial udp 10.96.0.10:53: connect: connection refused",
        "dns_failure",
        "dns",
        True,
    ),
    ("read tcp 10.0.0.4:51234->10.0.0.5:8080: read: connection reset by peer", "connection_reset", "response", True),
    ('Post "http://quotes:8080/q": EOF', "eof", "response", True),
    ("unexpected EOF", "eof", "response", True),
    ('Post "http://quotes:8080/q": http: server closed idle connection', "idle_conn_closed", "response", True),
    (
        'Get "https://quotes:8443/q": http2: server sent GOAWAY and closed the connection; LastStreamID=1999, '
        'ErrCode=NO_ERROR, debug=""',
        "goaway",
        "response",
        True,
    ),
    ('Get "https://pay:8443/p": x509: certificate signed by unknown authority', "tls_untrusted", "tls", False),
    (
        'Get "https://pay:8443/p": tls: failed to verify certificate: x509: certificate signed by unknown authority',
        "tls_untrusted",
        "tls",
        False,
    ),
    (
        "x509: certificate has expired or is not yet valid: current time 2024-05-01T10:00:00Z is after "
        "2024-04-30T23:59:59Z",
        "tls_expired",
        "tls",
        False,
    ),
    ("x509: certificate is valid for quotes.internal, not quotes", "tls_hostname", "tls", False),
    (
        "x509: cannot validate certificate for 10.0.0.5 because it doesn't contain any IP SANs",
        "tls_hostname",
        "tls",
        False,
    ),
    ("circuit breaker is open", "breaker_open", "breaker", False),
    ("too many requests", "breaker_open", "breaker", False),
    ("unexpected status 429 Too Many Requests", "rate_limited", "server", True),
    ("redis: connection pool timeout", "pool_timeout", "pool", True),
    ("pg: connection pool timeout", "pool_timeout", "pool", True),
    ("sql: connection is already closed", "conn_closed", "pool", True),
    ('Get "http://quotes:8080/q": context canceled', "canceled", "client", False),
    ("write tcp 10.0.0.4:51234->10.0.0.5:8080: write: broken pipe", "connection_reset", "request", True),
    ("rate: Wait(n=1) would exceed context deadline", "rate_limited", "breaker", False),
    (
        'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp '
        '10.0.0.5:50051: connect: connection refused"',
        "connect_refused",
        "connect",
        True,
    ),
    ("unexpected status 503 Service Unavailable", "server_error", "server", True),
    ("unexpected status 500 Internal Server Error", "server_error", "server", None),
    ("validation failed: symbol must not be empty", "client_error", "client", False),
]


def ev(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return conform(rows, "events")


@pytest.mark.parametrize(("text", "kind", "layer", "retryable"), GO_ERRORS)
def test_classify_go_error_strings(text: str, kind: str, layer: str, retryable: bool | None) -> None:
    assert classify_error_text(text) == (kind, layer, retryable)


def test_unmatched_and_empty_text() -> None:
    assert classify_error_text("something odd happened") == ("error", None, None)
    assert classify_error_text("") == (None, None, None)
    assert classify_error_text(None) == (None, None, None)


def test_every_rule_example_hits_its_own_rule() -> None:
    """The order is right: each example is decided by its own rule, not by an earlier, vaguer one."""
    for rule in ERROR_PATTERNS:
        assert rule.example, f"rule {rule.name} has no example"
        idx = int(classify_mod._match_rules([rule.example])[0])
        assert ERROR_PATTERNS[idx].name == rule.name, (rule.name, ERROR_PATTERNS[idx].name)


def test_taxonomy_uses_only_the_vocabulary() -> None:
    assert set(KIND_DEFAULTS) == set(ERROR_KINDS)
    assert {layer for layer, _ in KIND_DEFAULTS.values() if layer} <= set(ERROR_LAYERS)
    names = [r.name for r in ERROR_PATTERNS]
    assert len(names) == len(set(names))
    for rule in ERROR_PATTERNS:
        assert rule.kind in ERROR_KINDS and rule.layer in ERROR_LAYERS
        re.compile(rule.pattern)  # documented as valid for Python's re as well as RE2
    table = error_taxonomy()
    assert table["priority"].tolist() == list(range(1, len(ERROR_PATTERNS) + 1))
    assert table["kind_doc"].notna().all()
    assert str(table["retryable"].dtype) == "boolean"
    # TLS rules come from apiprobe.analyze.tls, pool rules from apiprobe.analyze.pool
    assert any(n.startswith("tls_certificate_signed") for n in names)
    assert any(n.startswith("pool_wait_go_redis") for n in names)


def test_classify_errors_sources_and_priority() -> None:
    df = ev(
        [
            {
                "level": "error",
                "msg": "call failed",
                "error": 'Get "http://q:8080/": dial tcp 10.0.0.5:8080: connect: connection refused',
            },
            {"level": "info", "msg": "request done", "status": 200},
            {"level": "warn", "msg": "upstream answered", "status": 503},
            {"level": "info", "msg": "answered", "status": 404},
            {"level": "info", "msg": "answered", "status": 422},
            {"level": "warn", "msg": "slowed down", "status": 429},
            {"level": "error", "msg": "context deadline exceeded"},  # msg stands in for error
            {"level": "info", "msg": "EOF"},  # info msg is not an error
            {"level": "error", "msg": "something broke"},  # error level, nothing known
            {"level": "info", "msg": "x", "attrs": {"code": "ECONNRESET"}},  # explicit code wins
            {"level": "info", "msg": "x", "attrs": {"code": 0}},  # success code
            {"level": "info", "msg": "x", "attrs": {"error_code": "E_WEIRD"}},
            {"level": "error", "error": "EOF", "attrs": {"error_kind": "pool_timeout"}, "status": 500},
            {"level": "info", "error_kind": "tls_expired"},
            {"level": "ERROR", "error": "redis: connection pool timeout", "status": 503},
        ]
    )
    out = classify_errors(df)
    assert out["error_kind"].tolist() == [
        "connect_refused",
        pd.NA,
        "server_error",
        pd.NA,
        "client_error",
        "rate_limited",
        "deadline_exceeded",
        pd.NA,
        "error",
        "connection_reset",
        pd.NA,
        "error",
        "pool_timeout",
        "tls_expired",
        "pool_timeout",
    ]
    assert out["error_rule"].tolist()[:7] == [
        "dial_refused",
        pd.NA,
        "status:5xx",
        pd.NA,
        "status:4xx",
        "status:429",
        "context_deadline",
    ]
    assert out.loc[8, "error_rule"] == "level" and out.loc[11, "error_rule"] == "unmatched"
    assert out.loc[9, "error_rule"] == "attrs.code" and out.loc[12, "error_rule"] == "attrs.error_kind"
    assert out["retryable"].tolist()[:7] == [True, pd.NA, True, pd.NA, False, True, pd.NA]
    assert out.loc[13, "error_layer"] == "tls" and out.loc[13, "retryable"] == False  # noqa: E712
    validate(out, "events")
    for col, dtype in (("error_layer", "string"), ("retryable", "boolean"), ("error_rule", "string")):
        assert str(out[col].dtype) == dtype
    assert set(out["error_layer"].dropna()) <= set(ERROR_LAYERS)


def test_classify_errors_is_pure_and_idempotent() -> None:
    df = ev(
        [
            {"error": "EOF", "service": "a"},
            {"status": 503, "level": "warn"},
            {"error_kind": "tls_expired"},
            {"msg": "fine"},
        ]
    )
    df.index = [10, 20, 30, 40]
    before = df.copy()
    once = classify_errors(df)
    pd.testing.assert_frame_equal(df, before)
    assert list(once.index) == [10, 20, 30, 40]
    pd.testing.assert_frame_equal(classify_errors(once), once)


def test_attrs_as_arrow_struct_and_map() -> None:
    base = ev([{"msg": "a"}, {"msg": "b"}, {"msg": "c"}, {"msg": "d"}])
    struct = pd.Series(
        [
            {"code": "UNAVAILABLE", "error_code": None},
            {"code": None, "error_code": "503"},
            None,
            {"code": "OK", "error_code": None},
        ],
        dtype=pd.ArrowDtype(pa.struct([("code", pa.string()), ("error_code", pa.string())])),
    )
    out = classify_errors(base.assign(attrs=struct))
    assert out["error_kind"].tolist() == ["server_error", "server_error", pd.NA, pd.NA]
    assert out["error_rule"].tolist()[:2] == ["attrs.code", "attrs.error_code:5xx"]
    assert out["retryable"].tolist()[:2] == [True, True]  # gRPC UNAVAILABLE and HTTP 503
    mapped = pd.Series(
        [[("error_kind", "goaway")], None, [("code", "429")], []],
        dtype=pd.ArrowDtype(pa.map_(pa.string(), pa.string())),
    )
    out = classify_errors(base.assign(attrs=mapped))
    assert out["error_kind"].tolist() == ["goaway", pd.NA, "rate_limited", pd.NA]


def test_classifies_each_distinct_string_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = classify_mod._match_rules

    def spy(texts: Any) -> np.ndarray:
        seen.append(len(texts))
        return real(texts)

    monkeypatch.setattr(classify_mod, "_match_rules", spy)
    errs = ["EOF", "redis: connection pool timeout", None]
    df = ev([{"error": errs[i % 3], "level": "error"} for i in range(3000)])
    out = classify_errors(df)
    assert sum(seen) == 2
    assert out["error_kind"].value_counts().to_dict() == {"eof": 1000, "pool_timeout": 1000, "error": 1000}


def test_many_events_with_few_distinct_strings() -> None:
    n = 200_000
    rng = np.random.default_rng(1)
    distinct = (
        [f'Get "http://svc{i}:8080/q": dial tcp 10.0.{i}.5:8080: connect: connection refused' for i in range(100)]
        + [
            f'Get "http://svc{i}:8080/q": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
            for i in range(100)
        ]
        + [f"read tcp 10.0.0.{i}:5->10.1.1.1:80: read: connection reset by peer" for i in range(100)]
        + [None] * 300
    )
    pick = rng.integers(0, len(distinct), n)
    status = rng.choice([200, 200, 503, 429], n)
    df = conform(
        pd.DataFrame(
            {
                "ts": pd.date_range(T0, periods=n, freq="10ms"),
                "level": pd.array(np.where(pick < 300, "error", "info"), dtype="string"),
                "msg": pd.array(np.full(n, "request"), dtype="string"),
                "error": pd.array(np.asarray(distinct, dtype=object)[pick], dtype="string"),
                "status": pd.array(status, dtype="Int64"),
                "attrs": pd.Series([{"k": 1}] * n, dtype=object),
            }
        ),
        "events",
    )
    out = classify_errors(df)  # speed: benchmarks/bench_logs.py times it on 1,000,000 lines
    expected = (pick < 300) | (status >= 429)
    assert (out["error_kind"].notna().to_numpy(dtype=bool) == expected).all()
    assert (out["error_kind"][pick < 100] == "connect_refused").all()


def _incident_events() -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for s in range(0, 40 * 60, 2):  # steady traffic: a line every 2 s for 40 minutes
        rows.append(
            {
                "ts": T0 + pd.Timedelta(seconds=s),
                "service": "checkout",
                "level": "info",
                "msg": "request served",
                "status": 200,
                "attempt": 1,
            }
        )
    timeout = 'Get "http://quotes:8080/q": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    for s in (300, 900, 1500):  # baseline: a timeout every 10 minutes
        rows.append(
            {
                "ts": T0 + pd.Timedelta(seconds=s),
                "service": "checkout",
                "level": "error",
                "msg": "quote failed",
                "error": timeout,
            }
        )
    for s in range(1800, 2400, 10):  # incident: 6 per minute, on the third attempt
        rows.append(
            {
                "ts": T0 + pd.Timedelta(seconds=s),
                "service": "checkout",
                "level": "error",
                "msg": "quote failed",
                "error": timeout,
                "attempt": 3,
            }
        )
    for s in range(1800, 1900, 20):
        rows.append(
            {
                "ts": T0 + pd.Timedelta(seconds=s),
                "service": "checkout",
                "level": "error",
                "msg": "payment failed",
                "error": 'Post "https://pay:8443/p": tls: failed to verify '
                "certificate: x509: certificate signed by unknown authority",
            }
        )
    for s in range(1850, 2000, 5):
        rows.append(
            {
                "ts": T0 + pd.Timedelta(seconds=s),
                "service": "cart",
                "level": "error",
                "msg": "cache get failed",
                "error": "redis: connection pool timeout",
            }
        )
    for s in range(1800, 2400, 15):
        rows.append(
            {
                "ts": T0 + pd.Timedelta(seconds=s),
                "service": "cart",
                "level": "warn",
                "msg": f"inventory lag {s} items behind on shard {s % 7}",
            }
        )
    return ev(rows).sort_values("ts", kind="stable").reset_index(drop=True)


INCIDENT = (T0 + pd.Timedelta(minutes=30), T0 + pd.Timedelta(minutes=40))
BASELINE = (T0, T0 + pd.Timedelta(minutes=30))


def test_error_counts_long_form() -> None:
    events = _incident_events()
    counts = error_counts(events, freq="10min")
    assert list(counts.columns) == ["ts", "error_kind", "count", "lines", "error_rate", "window_lines"]
    first = counts[counts["ts"] == T0].iloc[0]
    assert (first["error_kind"], first["count"], first["lines"]) == ("read_timeout", 1, 301)
    inc = counts[counts["ts"] == T0 + pd.Timedelta(minutes=30)].set_index("error_kind")
    assert inc.loc["read_timeout", "count"] == 60 and inc.loc["pool_timeout", "count"] == 30
    assert inc.loc["read_timeout", "error_rate"] == pytest.approx(60 / inc["lines"].to_dict()["read_timeout"])
    by_service = error_counts(events, by=("service", "error_kind"), freq="10min")
    row = by_service[(by_service["ts"] == INCIDENT[0]) & (by_service["service"] == "cart")].iloc[0]
    assert row["error_kind"] == "pool_timeout" and row["lines"] == 30 + 40 and row["error_rate"] == 30 / 70
    assert row["window_lines"] == inc.loc["read_timeout", "window_lines"]
    one = error_counts(events, freq=None)
    assert one["count"].sum() == events.pipe(classify_errors)["error_kind"].notna().sum()
    assert one["ts"].nunique() == 1
    assert error_counts(events.iloc[:0]).empty


def test_error_summary() -> None:
    summary = error_summary(_incident_events())
    assert summary["error_kind"].tolist() == ["read_timeout", "pool_timeout", "tls_untrusted"]
    top = summary.iloc[0]
    assert (top["count"], top["layer"], top["services"], top["rules"]) == (
        63,
        "request",
        "checkout",
        "client_timeout_headers",
    )
    assert pd.isna(top["retryable"]) and top["share"] == pytest.approx(63 / 98)
    assert top["first_seen"] == T0 + pd.Timedelta(seconds=300)
    assert top["example"].startswith('Get "http://quotes:8080/q": context deadline exceeded')
    assert summary.loc[1, "retryable"] == True  # noqa: E712
    assert summary["description"].tolist()[2] == ERROR_KINDS["tls_untrusted"]
    long = error_summary(ev([{"error": "x" * 500 + " https://bob:secret@h/x?token=abc EOF"}]))
    assert len(long["example"].iloc[0]) == 160 and long["example"].iloc[0].endswith("…")
    redacted = error_summary(ev([{"error": 'Get "https://bob:hunter2@api/x?token=abc": EOF'}]))
    assert "hunter2" not in redacted["example"].iloc[0] and "abc" not in redacted["example"].iloc[0]
    assert error_summary(ev([{"msg": "ok", "level": "info"}])).empty


def test_detect_with_windows() -> None:
    findings = validate(detect_error_faults(_incident_events(), incident=INCIDENT, baseline=BASELINE), "findings")
    by_fault = {f: findings[findings["fault"] == f] for f in findings["fault"].unique()}
    timeout = by_fault["timeout"].iloc[0]  # read_timeout burst: 60 against an expected 1
    assert timeout["severity"] == "critical" and timeout["value"] == 60 and timeout["handbook_ref"] == "§3.3, §4.3"
    assert "60.0× the usual rate" in timeout["evidence"] and "in checkout" in timeout["evidence"]
    pool = by_fault["pool_exhaustion"].iloc[0]  # new in the incident: pool_timeout means pool exhaustion
    assert "none among the 903 lines of the baseline" in pool["evidence"] and pool["handbook_ref"] == "§3.3, §2.5"
    assert "Little's law" in pool["recommendation"]
    tls = by_fault["new_error"]
    assert "error_kind tls_untrusted (tls layer)" in tls["subject"].tolist()
    assert any("fullchain" in r for r in tls["recommendation"])
    template = tls[tls["subject"].str.startswith("template")].iloc[0]
    assert "inventory lag <*> items behind on shard <*>" in template["evidence"]
    storm = by_fault["retry_storm"].iloc[0]
    assert storm["value"] == 60 and "highest attempt 3" in storm["evidence"] and storm["handbook_ref"] == "§3.3, §4.1"
    # the timeout lines' template is not reported twice: its kind already has a finding
    assert not findings["evidence"].str.contains("template 'quote failed'").any()
    assert findings["ts_start"].notna().all()


def test_detect_with_one_window_given() -> None:
    a = detect_error_faults(_incident_events(), incident=INCIDENT)
    b = detect_error_faults(_incident_events(), incident=INCIDENT, baseline=BASELINE)
    pd.testing.assert_frame_equal(a, b)
    c = detect_error_faults(_incident_events(), baseline=BASELINE)  # incident: everything after
    pd.testing.assert_frame_equal(c.drop(columns="evidence"), b.drop(columns="evidence"))


def test_detect_auto_window() -> None:
    findings = detect_error_faults(_incident_events())
    assert set(findings["fault"]) >= {"pool_exhaustion", "timeout"}
    pool = findings[findings["fault"] == "pool_exhaustion"].iloc[0]
    assert "10:31:00–10:32:00 UTC" in pool["evidence"] and "a median of 0 per 1 min window" in pool["evidence"]


def test_detect_breaker_flapping() -> None:
    rows = [
        {"ts": T0 + pd.Timedelta(seconds=s), "service": "web", "level": "info", "msg": "ok"} for s in range(0, 1200, 5)
    ]
    for m in (11, 13, 15, 17):  # four separate runs of open-breaker errors
        rows += [
            {
                "ts": T0 + pd.Timedelta(minutes=m, seconds=s),
                "service": "web",
                "level": "error",
                "msg": "call quotes",
                "error": "circuit breaker is open",
            }
            for s in range(0, 30, 3)
        ]
    events = ev(rows)
    window = (T0 + pd.Timedelta(minutes=10), T0 + pd.Timedelta(minutes=20))
    findings = detect_error_faults(events, incident=window)
    flap = findings[findings["fault"] == "breaker_flapping"].iloc[0]
    assert flap["value"] == 4 and "4 separate runs of breaker_open errors" in flap["evidence"]
    assert flap["handbook_ref"] == "§3.3, §4.2"
    logged = ev(
        rows[:240]
        + [
            {
                "ts": T0 + pd.Timedelta(minutes=m),
                "level": "warn",
                "msg": "breaker quotes: state changed from half-open to open",
            }
            for m in (2, 4, 6)
        ]
    )
    assert detect_error_faults(logged, incident=(T0, T0 + pd.Timedelta(minutes=20)))["fault"].tolist() == [
        "breaker_flapping"
    ]


def test_detect_nothing() -> None:
    assert detect_error_faults(ev([])).empty
    quiet = ev([{"ts": T0 + pd.Timedelta(seconds=s), "level": "info", "msg": "ok"} for s in range(100)])
    assert detect_error_faults(quiet).empty
    steady = _incident_events()
    steady = steady[steady["ts"] < BASELINE[1]]
    assert detect_error_faults(steady, incident=(T0 + pd.Timedelta(minutes=20), BASELINE[1])).empty
    with pytest.raises(ValueError, match="start before"):
        detect_error_faults(steady, incident=(BASELINE[1], T0))


def test_severity_ranks_outages_above_client_storms() -> None:
    t0 = pd.Timestamp("2026-03-14T10:00:00Z")
    rows = [
        {
            "ts": t0 - pd.Timedelta(minutes=30) + pd.Timedelta(seconds=10 * i),
            "service": "api",
            "level": "info",
            "msg": "ok",
            "status": 200,
        }
        for i in range(120)
    ]
    rows += [
        {
            "ts": t0 + pd.Timedelta(seconds=5 * i),
            "service": "api",
            "level": "error",
            "msg": "charge failed",
            "error": "pg: connection pool timeout",
        }
        for i in range(60)
    ]
    rows += [
        {"ts": t0 + pd.Timedelta(seconds=5 * i), "service": "api", "level": "warn", "msg": "request", "status": 429}
        for i in range(60)
    ]
    found = detect_error_faults(
        conform(rows, "events"),
        templates=False,
        incident=(t0, t0 + pd.Timedelta(minutes=10)),
        baseline=(t0 - pd.Timedelta(minutes=30), t0),
    )
    by = dict(zip(found["fault"], found["severity"], strict=False))
    assert by["pool_exhaustion"] == "critical"  # 60 new pool timeouts: an outage
    assert found.loc[found["subject"].str.contains("rate_limited"), "severity"].tolist() == ["warning"]


# --------------------------------------------------------------------------- regressions


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # application errors wrapped as "lookup <thing>: …" are not DNS failures
        ("lookup account abc: dial tcp 10.0.0.5:5432: connect: connection refused", "connect_refused"),
        ("lookup user 42: context deadline exceeded", "deadline_exceeded"),
        ("cache lookup for key k1 timed out", "deadline_exceeded"),
        ("lookup user 42: i/o timeout", "deadline_exceeded"),
        # Go's real resolver errors still are
        ("lookup quotes.internal on 10.96.0.10:53: no such host", "nxdomain"),
        ("lookup quotes: no such host", "nxdomain"),
        ("lookup quotes.internal: i/o timeout", "dns_timeout"),
        ("lookup quotes on [fd00::a]:53: read udp [fd00::7]:41234->[fd00::a]:53: i/o timeout", "dns_timeout"),
        ("lookup quotes on 10.96.0.10:53: dial udp 10.96.0.10:53: connect: connection refused", "dns_failure"),
        ("dial tcp: lookup quotes: Temporary failure in name resolution", "dns_failure"),
        ("dial tcp: lookup quotes.internal.: operation was canceled", "dns_failure"),
        ("lookup quotes.internal on 10.96.0.10:53: server misbehaving", "servfail"),
        (
            "user lookup failed: dial tcp: lookup db on 10.0.0.2:53: read udp 10.1.0.7:5->10.0.0.2:53: i/o timeout",
            "dns_timeout",
        ),
    ],
)
def test_dns_rules_match_only_go_resolver_errors(text: str, kind: str) -> None:
    assert classify_error_text(text)[0] == kind
    python = next(r for r in ERROR_PATTERNS if re.search(r.pattern, text, 0 if r.case_sensitive else re.IGNORECASE))
    assert python.kind == kind  # the patterns mean the same in Python's re


_CODE_ROWS: list[tuple[str, dict[str, Any], str | None, str | None]] = [
    # (level, attrs, kind, rule)
    ("info", {"error_code": 0}, None, None),
    ("info", {"error_code": ""}, None, None),
    ("info", {"error_code": "0"}, None, None),
    ("info", {"error_code": 200}, None, None),
    ("info", {"error_code": "OK"}, None, None),
    ("error", {"error_code": "success"}, "error", "level"),  # the level still counts
    ("info", {"errorCode": "302"}, None, None),
    ("info", {"code": "US"}, None, None),
    ("info", {"code": 42}, None, None),
    ("warn", {"code": 42}, None, None),
    ("warn", {"code": "ok"}, None, None),
    ("warn", {"code": "US"}, "error", "unmatched"),
    ("info", {"code": "503"}, "server_error", "attrs.code:5xx"),
    ("info", {"code": "UNAVAILABLE"}, "server_error", "attrs.code"),
    ("info", {"error_code": "E_WEIRD"}, "error", "unmatched"),
    ("info", {"err_code": "1001"}, "error", "unmatched"),
    ("info", {"errorCode": "ECONNREFUSED"}, "connect_refused", "attrs.errorCode"),
]


def test_success_and_generic_codes_do_not_make_errors() -> None:
    rows = [{"level": lvl, "msg": "done", "attrs": attrs} for lvl, attrs, _, _ in _CODE_ROWS]
    want_kind = [pd.NA if k is None else k for _, _, k, _ in _CODE_ROWS]
    want_rule = [pd.NA if r is None else r for _, _, _, r in _CODE_ROWS]
    out = classify_errors(ev(rows))  # attrs as an object column of dicts
    assert out["error_kind"].tolist() == want_kind
    assert out["error_rule"].tolist() == want_rule
    # the same as an Arrow struct, as parse_logs makes it (one type per field: strings here)
    keys = sorted({k for _, attrs, _, _ in _CODE_ROWS for k in attrs})
    struct = pd.Series(
        [{k: (None if attrs.get(k) is None else str(attrs[k])) for k in keys} for _, attrs, _, _ in _CODE_ROWS],
        dtype=pd.ArrowDtype(pa.struct([(k, pa.string()) for k in keys])),
    )
    out = classify_errors(ev(rows).assign(attrs=struct))
    assert out["error_kind"].tolist() == want_kind
    assert out["error_rule"].tolist() == want_rule


def test_codes_from_parse_logs_struct_attrs() -> None:
    import json

    from apiprobe.load.logs import parse_logs

    cases: list[tuple[str, dict[str, Any]]] = [
        ("info", {"error_code": 0}),
        ("info", {"code": "US"}),
        ("info", {"error_code": "OK"}),
        ("warn", {"code": "US"}),
        ("info", {"error_code": "E_WEIRD"}),
        ("info", {"code": 503}),
    ]
    lines = [
        json.dumps({"time": f"2024-05-01T10:00:0{i}Z", "level": lvl, "msg": "done", **attrs})
        for i, (lvl, attrs) in enumerate(cases)
    ]
    events = parse_logs(lines)
    assert isinstance(events["attrs"].dtype, pd.ArrowDtype)
    out = classify_errors(events)
    assert out["error_kind"].tolist() == [pd.NA, pd.NA, pd.NA, "error", "error", "server_error"]
    assert out["error_rule"].tolist() == [pd.NA, pd.NA, pd.NA, "unmatched", "unmatched", "attrs.code:5xx"]


_CLASSIFIED = ["error_kind", "error_layer", "retryable", "error_rule"]


def test_reclassifying_keeps_explicit_kinds() -> None:
    df = ev(
        [
            {"level": "warn", "msg": "x", "error_kind": "503"},
            {"level": "info", "msg": "x", "error_kind": "E_WEIRD"},
            {"level": "info", "msg": "x", "error_kind": "UNAVAILABLE"},
            {"level": "info", "msg": "x", "error_kind": "429"},
            {"level": "info", "msg": "x", "error_kind": "OK"},
            {"level": "info", "msg": "x", "error_kind": "E_WEIRD", "status": 502},
            {"level": "info", "msg": "x", "attrs": {"error_code": "E_WEIRD"}},
        ]
    )
    once = classify_errors(df)
    assert once["error_kind"].tolist() == [
        "server_error",
        "error",
        "server_error",
        "rate_limited",
        pd.NA,
        "server_error",
        "error",
    ]
    assert once["error_rule"].tolist() == [
        "error_kind:5xx",
        "unmatched",
        "error_kind",
        "error_kind:429",
        pd.NA,
        "status:5xx",
        "unmatched",
    ]
    assert once["retryable"].tolist()[:3] == [True, pd.NA, True]
    twice = classify_errors(once)
    pd.testing.assert_frame_equal(twice, once)
    # an edited kind is classified again rather than keeping a rule that no longer fits
    edited = once.copy()
    edited.loc[0, "error_kind"] = "eof"
    again = classify_errors(edited)
    assert [again.loc[0, c] for c in _CLASSIFIED] == ["eof", "response", True, "error_kind"]


def test_classify_errors_idempotent_on_demo_logs() -> None:
    from apiprobe.load.logs import read_logs

    events = read_logs("/work/main/data/demo/logs")
    assert len(events)
    rng = np.random.default_rng(7)
    explicit = pd.array(
        rng.choice(
            np.asarray(["503", "E_WEIRD", "UNAVAILABLE", "tls_expired", "404", "OK", None], dtype=object), len(events)
        ),
        dtype="string",
    )
    for table in (events, events.assign(error_kind=explicit)):
        once = classify_errors(table)
        assert once["error_kind"].notna().any()
        twice = classify_errors(once)
        pd.testing.assert_frame_equal(twice[_CLASSIFIED], once[_CLASSIFIED])
        pd.testing.assert_frame_equal(classify_errors(twice)[_CLASSIFIED], once[_CLASSIFIED])


def test_detect_without_msg_column() -> None:
    table = pd.DataFrame({"ts": [T0] * 6, "error": ["EOF"] * 6})
    found = validate(detect_error_faults(table), "findings")
    assert "template" not in " ".join(found["subject"].tolist())
    raw_only = pd.DataFrame(
        {"ts": [T0] * 6, "level": ["error"] * 6, "raw": ["worker 3 crashed"] * 6, "error": ["EOF"] * 6}
    )
    detect_error_faults(raw_only)  # mines the raw lines instead of raising
