"""The pure part of triage: windows, the call graph, hypotheses and their ranking, the timeline, the postmortem.

Findings here are built by hand with the shared :func:`finding` helper, so each
test states the story it checks; the demo folder's triage is in tests/incident.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.triage import (
    CAUSE_RULES,
    ROLES,
    TriageResult,
    error_mask,
    incident_impact,
    incident_window,
    life_events,
    mentioned_services,
    postmortem,
    rank_hypotheses,
    service_calls,
    triage_timeline,
    where,
)
from apiprobe.analyze.triage._graph import downstream
from apiprobe.schema import FAULTS, conform, validate

T0 = pd.Timestamp("2026-03-14T10:00:00Z")


def _at(minutes: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minutes)


def _f(fault: str, severity: str, subject: str, start: float | None, end: float | None, **tags: str) -> dict:
    row = finding(
        "test",
        fault,
        severity,
        subject,
        metric="m",
        value=1.0,
        threshold=0.0,
        evidence=tags.pop("evidence", f"{fault} seen in {subject}"),
        recommendation=f"fix {fault}",
        handbook_ref="§0",
        ts_start=None if start is None else _at(start),
        ts_end=None if end is None else _at(end),
    )
    return {
        **row,
        "source": tags.get("source", "logs"),
        "files": tags.get("files", ""),
        "services": tags.get("services"),
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    return findings_frame(rows)


CALLS = pd.DataFrame({"caller": ["gateway", "orders"], "callee": ["orders", "payments"], "source": ["spans", "spans"]})
INCIDENT = (_at(0), _at(20))


def test_every_fault_has_a_rule_with_a_known_role_and_known_consequences() -> None:
    assert set(CAUSE_RULES) == set(FAULTS)
    for fault, rule in CAUSE_RULES.items():
        assert rule.fault == fault
        assert rule.role in ROLES
        assert set(rule.leads_to) <= set(FAULTS), fault
        assert rule.confirm and rule.next and rule.notebook and rule.handbook_ref.startswith("§")


def test_the_pool_is_the_root_and_what_its_callers_saw_hangs_under_it() -> None:
    findings = _frame(
        [
            _f(
                "timeout",
                "critical",
                "error_kind read_timeout (request layer)",
                1.0,
                19,
                evidence="read_timeout in orders",
            ),
            _f("retry_storm", "critical", "retries (attempt column)", 1.5, 19, evidence="retries in orders"),
            _f("pool_exhaustion", "critical", "go-pg pool in payments", 0.5, 19, source="logs"),
            _f("pool_exhaustion", "critical", "go-pg pool", None, None, source="goroutines", services="payments"),
            _f("server_errors", "warning", "gateway 5xx", 2.0, 19, source="metrics", evidence="5xx in gateway"),
        ]
    )
    hyp = rank_hypotheses(findings, incident=INCIDENT, calls=CALLS, services=["gateway", "orders", "payments"])
    validate(hyp, "hypotheses")
    top = hyp.iloc[0]
    assert (top["fault"], top["service"], top["role"], top["rank"]) == ("pool_exhaustion", "payments", "root cause", 1)
    assert set(top["sources"].split(", ")) == {"logs", "goroutines"}
    rest = hyp.iloc[1:]
    assert (rest["role"] == "consequence").all()
    assert (rest["caused_by"] == 1).all()
    assert list(rest["fault"]) == ["timeout", "retry_storm", "server_errors"]  # in the order they began
    assert "explains 3 other hypotheses" in top["why"] and "as the incident began" in top["why"]


def test_less_evidence_lowers_the_confidence_but_keeps_the_ranking() -> None:
    rows = [
        _f("pool_exhaustion", "critical", "go-pg pool in payments", 0.5, 19),
        _f("timeout", "critical", "read_timeout", 1.0, 19, evidence="read_timeout in orders"),
    ]
    dump = _f("pool_exhaustion", "critical", "go-pg pool", None, None, source="goroutines", services="payments")
    services = ["gateway", "orders", "payments"]
    with_dump = rank_hypotheses(_frame([*rows, dump]), incident=INCIDENT, calls=CALLS, services=services)
    without = rank_hypotheses(_frame(rows), incident=INCIDENT, calls=CALLS, services=services)
    assert list(with_dump["title"]) == list(without["title"])
    assert with_dump.iloc[0]["confidence"] > without.iloc[0]["confidence"]


def test_a_symptom_in_a_service_that_does_not_call_the_cause_stays_apart() -> None:
    findings = _frame(
        [
            _f("pool_exhaustion", "critical", "pool in payments", 0.5, 19),
            _f("error_burst", "warning", "template T7", 3.0, 10, evidence="template 'login failed': lines in auth"),
        ]
    )
    hyp = rank_hypotheses(findings, incident=INCIDENT, calls=CALLS, services=["auth", "payments", "orders"])
    auth = hyp[hyp["service"] == "auth"].iloc[0]
    assert auth["role"] == "unexplained symptom" and pd.isna(auth["caused_by"])
    assert "template 'login failed'" in auth["title"]  # named by the template, not "T7"


def test_rate_limits_are_not_blamed_on_a_server_side_cause() -> None:
    findings = _frame(
        [
            _f("pool_exhaustion", "critical", "pool in payments", 0.5, 19),
            _f("error_burst", "warning", "error_kind rate_limited (server layer)", 13.0, 15, evidence="429 in gateway"),
        ]
    )
    hyp = rank_hypotheses(findings, incident=INCIDENT, calls=CALLS, services=["gateway", "payments", "orders"])
    limited = hyp[hyp["title"].str.contains("rate_limited")].iloc[0]
    assert pd.isna(limited["caused_by"])


def test_timing_decides_what_is_unrelated_and_what_was_there_before() -> None:
    findings = _frame(
        [
            _f("pool_exhaustion", "critical", "pool in payments", 0.5, 19),
            _f("status_misuse", "warning", "404 for a business rule in inventory", -20, 19),
            _f("goroutine_leak", "warning", "goroutines in gateway", -240, 100),
            _f("dns", "critical", "resolver in gateway", 60, 70),
        ]
    )
    hyp = rank_hypotheses(
        findings, incident=INCIDENT, calls=CALLS, services=["gateway", "payments", "orders", "inventory"]
    ).set_index("fault")
    assert hyp.loc["status_misuse", "role"] == "unrelated"  # a standing problem, whatever its timing
    assert hyp.loc["dns", "role"] == "unrelated"  # after the incident ended
    assert "outside the incident window" in hyp.loc["dns", "why"]
    assert "already there" in hyp.loc["goroutine_leak", "why"]
    assert hyp.loc["pool_exhaustion", "rank"] == 1


def test_a_consequence_may_seem_to_start_a_little_before_its_cause_clock_skew() -> None:
    findings = _frame(
        [
            _f("pool_exhaustion", "critical", "pool in payments", 1.0, 19),
            _f("timeout", "critical", "read_timeout", 1.0 - 4 / 60, 19, evidence="read_timeout in orders"),
        ]
    )
    hyp = rank_hypotheses(findings, incident=INCIDENT, calls=CALLS, services=["orders", "payments"])
    assert hyp.iloc[1]["caused_by"] == 1
    strict = rank_hypotheses(findings, incident=INCIDENT, calls=CALLS, services=["orders", "payments"], tolerance="1s")
    assert pd.isna(strict.iloc[1]["caused_by"])


def test_rules_are_data_a_user_can_extend() -> None:
    from dataclasses import replace

    findings = _frame(
        [
            _f("dns", "critical", "resolver for payments", 0.5, 19),
            _f("pool_exhaustion", "critical", "pool in payments", 1.0, 19),
        ]
    )
    plain = rank_hypotheses(findings, incident=INCIDENT, calls=CALLS, services=["payments"])
    assert pd.isna(plain.set_index("fault").loc["pool_exhaustion", "caused_by"])
    rules = {
        **CAUSE_RULES,
        "dns": replace(CAUSE_RULES["dns"], leads_to=(*CAUSE_RULES["dns"].leads_to, "pool_exhaustion")),
    }
    chained = rank_hypotheses(findings, incident=INCIDENT, calls=CALLS, services=["payments"], rules=rules)
    assert chained.set_index("fault").loc["pool_exhaustion", "caused_by"] == 1


def test_no_findings_no_hypotheses() -> None:
    assert rank_hypotheses(conform(None, "findings")).empty


def _events(rows: list[tuple[float, str, str, str | None, int | None]]) -> pd.DataFrame:
    return conform(
        [
            {"ts": _at(m), "service": svc, "level": level, "msg": msg, "error_kind": kind, "status": status}
            for m, svc, level, kind, status, msg in [(*r[:2], r[2], r[3], r[4], r[2]) for r in rows]
        ],
        "events",
    )


def _steady_then_failing() -> pd.DataFrame:
    rows = []
    for minute in range(-30, 30):
        rows += [(minute + k / 10, "gateway", "info", None, 200) for k in range(10)]
        if minute % 5 == 0:
            rows.append((minute + 0.5, "gateway", "error", "server_error", 500))
        if 0 <= minute < 20:
            rows += [(minute + k / 10 + 0.05, "orders", "error", "read_timeout", None) for k in range(8)]
    return _events(rows)


def test_the_incident_is_where_failures_step_up_and_the_baseline_is_just_before() -> None:
    events = _steady_then_failing()
    assert int(error_mask(events).sum()) == 12 + 160
    inc, base, how = incident_window(events)
    assert inc == (_at(0), _at(20))
    assert base == (_at(-20), _at(0))
    assert "inferred from the logs" in how


def test_given_windows_win_and_bad_ones_are_refused() -> None:
    events = _steady_then_failing()
    inc, base, how = incident_window(events, incident=("2026-03-14T10:05:00Z", "2026-03-14T10:06:00Z"))
    assert inc == (_at(5), _at(6)) and base == (_at(4), _at(5)) and how == "given"
    with pytest.raises(ValueError, match="incident"):
        incident_window(events, incident=("2026-03-14T10:06:00Z", "2026-03-14T10:05:00Z"))


def test_without_logs_the_critical_findings_date_the_incident() -> None:
    findings = _frame([_f("pool_exhaustion", "critical", "pool", 2, 12), _f("status_misuse", "warning", "x", -50, 50)])
    inc, _, how = incident_window(None, findings)
    assert inc == (_at(2), _at(12)) and "critical findings" in how
    assert incident_window(None, None)[0] is None


def test_life_events_find_restarts_jobs_and_version_changes() -> None:
    events = conform(
        [
            {"ts": _at(0), "service": "payments", "msg": "reconciliation job started", "attrs": {"version": "1.0"}},
            {"ts": _at(10), "service": "orders", "msg": "shutting down: received terminated, draining"},
            {"ts": _at(10.2), "service": "orders", "msg": "listening", "attrs": {"version": "2.3.0"}},
            {"ts": _at(11), "service": "orders", "msg": "order placed", "attrs": {"version": "2.3.1"}},
            {"ts": _at(12), "service": "payments", "msg": "panic: runtime error: invalid memory address"},
        ],
        "events",
    )
    life = life_events(events)
    assert list(zip(life["service"], life["kind"], strict=True)) == [
        ("payments", "job"),
        ("orders", "stop"),
        ("orders", "start"),
        ("orders", "version"),
        ("payments", "crash"),
    ]
    assert "2.3.1" in life.iloc[3]["text"]


def test_the_timeline_holds_every_source_in_one_schema() -> None:
    events = _steady_then_failing()
    findings = _frame([_f("pool_exhaustion", "critical", "pool in payments", 0.5, 19)])
    spans = conform(
        [{"trace_id": "t", "span_id": "a", "service": "orders", "start": _at(1), "duration_ms": 700.0}], "spans"
    )
    tl = triage_timeline(events=events, spans=spans, findings=findings)
    validate(tl, "triage_timeline")
    assert {"errors", "requests", "latency_p99_ms", "finding"} <= set(tl["signal"])
    errs = tl[(tl["signal"] == "errors") & (tl["service"] == "orders")]
    assert errs["value"].sum() == 160 and set(errs["series"]) == {"read_timeout"}
    assert tl["ts"].is_monotonic_increasing


def test_calls_come_from_spans_urls_in_errors_and_declarations() -> None:
    spans = conform(
        [
            {"trace_id": "t", "span_id": "a", "service": "gateway"},
            {"trace_id": "t", "span_id": "b", "parent_span_id": "a", "service": "orders"},
        ],
        "spans",
    )
    events = conform(
        [{"ts": T0, "service": "orders", "msg": "charge failed", "error": 'Post "http://payments:8080/v1": EOF'}],
        "events",
    )
    declared = pd.DataFrame({"caller": ["payments"], "callee": ["bank"]})
    calls = service_calls(
        services=["gateway", "orders", "payments", "bank"], spans=spans, events=events, declared=declared
    )
    assert set(zip(calls["caller"], calls["callee"], calls["source"], strict=True)) == {
        ("gateway", "orders", "spans"),
        ("orders", "payments", "logs"),
        ("payments", "bank", "declared"),
    }
    reach = downstream(calls)
    assert reach["gateway"] == {"orders", "payments", "bank"}
    assert where(["orders", "payments"], reach) == "payments"
    assert mentioned_services("pool_timeout: 3 lines in orders, payments-db", ["payments", "orders"]) == ["orders"]


def test_impact_counts_failures_at_the_edge_and_the_budget_they_used() -> None:
    events = _steady_then_failing()
    imp = incident_impact(events, (_at(0), _at(20)), (_at(-20), _at(0)), edges=["gateway"], objective=0.999)
    assert imp["requests"] == 20 * 11 - 16 and imp["failed"] == 4
    assert imp["baseline_rate_per_s"] == pytest.approx(204 / 1200)
    allowed = 204 / 1200 * 30 * 86400 * 0.001
    assert imp["budget_used"] == pytest.approx(4 / allowed)
    assert imp["services"] == {"orders": 160}


def test_the_postmortem_draft_has_every_section_and_escapes_log_text() -> None:
    findings = _frame(
        [
            _f("pool_exhaustion", "critical", "pool in payments", 0.5, 19, evidence="<script>alert(1)</script> pool"),
            _f("timeout", "critical", "read_timeout", 1.0, 19, evidence="token=abcdef123456 read_timeout in orders"),
        ]
    )
    hyp = rank_hypotheses(findings, incident=INCIDENT, calls=CALLS, services=["orders", "payments"])
    inv = conform(
        [
            {"path": "logs/a.log", "kind": "logs", "what": "a zap log", "usable": True, "rows": 10},
            {"path": "shot.png", "kind": None, "what": "a PNG image", "usable": False, "reason": "not evidence"},
        ],
        "inventory",
    )
    result = TriageResult(
        path=Path("incident"),
        inventory=inv,
        findings=findings,
        timeline=triage_timeline(events=_steady_then_failing(), findings=findings),
        hypotheses=hyp,
        incident=INCIDENT,
        baseline=(_at(-20), _at(0)),
        window_note="given",
        services=["orders", "payments", "search"],
        impact=incident_impact(_steady_then_failing(), INCIDENT, (_at(-20), _at(0)), edges=["gateway"]),
    )
    md = postmortem(result)
    for section in (
        "## Summary",
        "## Impact",
        "## Timeline (UTC)",
        "## Root-cause candidates",
        "## Contributing factors",
        "## What went well",
        "## What went badly",
        "## Action items",
        "## Evidence",
    ):
        assert section in md
    assert "payments: connection pool exhausted" in md.split("## Impact")[0]
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "abcdef123456" not in md
    assert "| 1 | " in md and "|  | P1 |" in md  # the first action item, owner left blank
    assert "shot.png" in md and "could not be used" in md
