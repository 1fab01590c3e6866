"""Trace analysis: critical path, self time, summaries, propagation gaps, logs joined to spans, findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from apiprobe.analyze.traces import (
    broken_traces,
    critical_path,
    detect_span_faults,
    join_logs_to_spans,
    orphan_spans,
    propagation_report,
    self_time,
    service_self_time,
    span_tree,
    trace_coverage,
    trace_journeys,
    trace_summary,
)
from apiprobe.load.traces import read_traces
from apiprobe.schema import FAULTS, conform, validate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
T0 = pd.Timestamp("2024-06-01 12:00:00", tz="UTC")
SHOP = "4bf92f3577b34da6a3ce929d0e0e4736"


def at(ms: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(milliseconds=ms)


def span(
    tid: str,
    sid: str,
    parent: str | None,
    service: str,
    a: float,
    b: float,
    kind: str = "internal",
    status: str = "unset",
    attrs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "trace_id": tid,
        "span_id": sid,
        "parent_span_id": parent,
        "service": service,
        "name": sid.upper(),
        "kind": kind,
        "start": at(a),
        "end": at(b),
        "duration_ms": float(b - a),
        "status": status,
        "attrs": attrs or {},
    }


@pytest.fixture(scope="module")
def tree() -> pd.DataFrame:
    """A hand-built trace (times in ms from T0):

    r   0–100 api
    ├─ a    5–40   api       └─ a1 10–30 auth
    ├─ b   20–70   api (overlaps a and c; never critical)
    │  ├─ b1 25–50 db        └─ b2 45–65 db (overlaps b1)
    ├─ c   60–120  pricing (outlives r: clipped to 60–100)
    │  └─ c1 90–115 pricing (clipped to 90–100)
    └─ d  105–130  api producer (async: starts after r ended, dropped)   └─ d1 110–120 worker
    o  50–55 with a parent that is not in the trace
    """
    t = "t1"
    return conform(
        [
            span(t, "r", None, "api", 0, 100, "server"),
            span(t, "a", "r", "api", 5, 40, "client"),
            span(t, "a1", "a", "auth", 10, 30, "server"),
            span(t, "b", "r", "api", 20, 70),
            span(t, "b1", "b", "db", 25, 50, "client"),
            span(t, "b2", "b", "db", 45, 65, "client"),
            span(t, "c", "r", "pricing", 60, 120),
            span(t, "c1", "c", "pricing", 90, 115),
            span(t, "d", "r", "api", 105, 130, "producer"),
            span(t, "d1", "d", "worker", 110, 120, "consumer"),
            span(t, "o", "gone", "api", 50, 55, status="error"),
        ],
        "spans",
    )


@pytest.fixture(scope="module")
def shop() -> pd.DataFrame:
    return read_traces(FIXTURES / "shop-otlp.json")


# --------------------------------------------------------------------------- critical path


def test_critical_path_by_hand(tree: pd.DataFrame) -> None:
    cp = critical_path(tree)
    # from r: last-finishing child c (clipped to 100) → c1 (90–100) is critical; back in c, nothing ended
    # before 90, so c 60–90; back in r, the child that ended before c started (60) is a (40), not b (70):
    # r 40–60; a: after a1 30–40, a1 10–30, a 5–10; r 0–5. b and the async d are not critical.
    expected = [("r", 0, 5), ("a", 5, 10), ("a1", 10, 30), ("a", 30, 40), ("r", 40, 60), ("c", 60, 90), ("c1", 90, 100)]
    assert list(zip(cp["span_id"], cp["start"], cp["end"], strict=True)) == [(s, at(a), at(b)) for s, a, b in expected]
    assert cp["duration_ms"].tolist() == [float(b - a) for _, a, b in expected]
    assert cp["duration_ms"].sum() == 100.0  # the root's duration
    assert cp["service"].tolist() == ["api", "api", "auth", "api", "api", "pricing", "pricing"]
    assert list(cp.columns) == ["trace_id", "span_id", "service", "name", "start", "end", "duration_ms"]


def test_critical_path_of_the_shop_trace(shop: pd.DataFrame) -> None:
    cp = critical_path(shop, trace_id=SHOP)
    segs = list(zip(cp["span_id"].str[:4], cp["duration_ms"], strict=True))
    assert segs == [
        ("00f0", 5.0),
        ("5399", 3.0),
        ("7a08", 2.0),
        ("9c3d", 20.0),
        ("7a08", 2.0),
        ("b7ad", 78.0),
        ("7a08", 2.0),
        ("5399", 3.0),
        ("00f0", 5.0),
    ]
    assert critical_path(shop, trace_id="nope").empty


def test_critical_path_every_trace_and_edge_cases(tree: pd.DataFrame, shop: pd.DataFrame) -> None:
    both = critical_path(pd.concat([tree, shop], ignore_index=True))
    assert both.groupby("trace_id")["duration_ms"].sum().to_dict() == {"t1": 100.0, SHOP: 120.0}
    # a duplicated span is counted once; a lone span is its own critical path
    dup = pd.concat([shop.iloc[[0]], shop.iloc[[0]]], ignore_index=True)
    assert critical_path(dup)["duration_ms"].tolist() == [120.0]
    # back-to-back children are both critical (the Jaeger UI's strict "ended before" would credit p 0–10)
    seq = conform(
        [span("s", "p", None, "x", 0, 30), span("s", "k1", "p", "x", 0, 10), span("s", "k2", "p", "x", 10, 30)], "spans"
    )
    assert critical_path(seq)["span_id"].tolist() == ["k1", "k2"]
    # a span that lists itself as its parent and a cycle do not hang
    loop = conform(
        [span("z", "a", "a", "x", 0, 10), span("z", "b", "c", "x", 1, 2), span("z", "c", "b", "x", 2, 3)], "spans"
    )
    assert critical_path(loop)["span_id"].tolist() == ["a"]
    assert span_tree(loop)["span_id"].tolist() == ["a", "b", "c"]
    assert critical_path(conform(None, "spans")).empty


# --------------------------------------------------------------------------- self time and summaries


def test_self_time(tree: pd.DataFrame) -> None:
    st = self_time(tree).set_index("span_id")
    # r: children a, b, c (clipped to 100) and d (outside) cover 5–100; b: b1 ∪ b2 = 25–65
    expected = {"r": 5, "a": 15, "a1": 20, "b": 10, "b1": 25, "b2": 20, "c": 35, "c1": 25, "d": 15, "d1": 10, "o": 5}
    assert st["self_ms"].to_dict() == {k: float(v) for k, v in expected.items()}
    assert st.loc["b", "children_ms"] == 40.0
    svc = service_self_time(tree)
    assert svc["service"].tolist()[0] == "pricing" and svc["self_ms"].iloc[0] == 60.0
    assert svc["share"].sum() == pytest.approx(1.0)
    assert svc.set_index("service").loc["api", "spans"] == 5


def test_self_time_without_timing() -> None:
    spans = conform([span("t", "a", None, "x", 0, 10)], "spans")
    spans.loc[0, "end"] = pd.NaT
    st = self_time(spans)
    assert st["self_ms"].isna().all() and st["duration_ms"].isna().all()
    assert service_self_time(spans).empty


def test_trace_summary(tree: pd.DataFrame, shop: pd.DataFrame) -> None:
    both = pd.concat([shop, tree, shop.iloc[[1]]], ignore_index=True)
    summary = trace_summary(both).set_index("trace_id")
    t1 = summary.loc["t1"]
    assert (t1["root_service"], t1["root_name"]) == ("api", "R")
    assert t1["duration_ms"] == 130.0  # first start to last end, async d included
    assert t1["spans"] == 11 and t1["missing_parents"] == 1 and t1["roots"] == 2
    assert t1["services"] == "api, auth, db, pricing, worker" and t1["n_services"] == 5
    assert t1["error_spans"] == 1
    s = summary.loc[SHOP]
    assert s["services"] == "frontend, payments" and s["error_spans"] == 4 and s["duplicate_spans"] == 1
    assert s["duration_ms"] == 120.0 and s["missing_parents"] == 0 and s["roots"] == 1


def test_span_tree_order_and_depth(tree: pd.DataFrame) -> None:
    order = span_tree(tree, "t1")
    assert order["span_id"].tolist() == ["r", "a", "a1", "b", "b1", "b2", "c", "c1", "d", "d1", "o"]
    assert order["depth"].tolist() == [0, 1, 2, 1, 2, 2, 1, 2, 1, 2, 0]
    assert order["parent_missing"].tolist() == [False] * 10 + [True]


# --------------------------------------------------------------------------- propagation


def _broken() -> pd.DataFrame:
    """gateway calls inventory, which restarts the trace; payments calls fraud, which leaves no span."""
    x, y, z = "a" * 32, "b" * 32, "c" * 32
    return conform(
        [
            span(x, "1000000000000001", None, "gateway", 0, 200, "server"),
            span(
                x,
                "1000000000000002",
                "1000000000000001",
                "gateway",
                10,
                190,
                "client",
                attrs={"server.address": "inventory.svc.cluster.local:8080"},
            ),
            span(
                x, "1000000000000003", "1000000000000001", "gateway", 1, 9, "client", attrs={"db.system": "redis"}
            ),  # a call to an uninstrumented cache: not a gap
            span(y, "2000000000000001", None, "inventory", 12, 180, "server"),  # a new trace during the call
            span(y, "2000000000000002", "2000000000000001", "inventory", 20, 60, "client"),
            span(z, "3000000000000001", None, "payments", 500, 600, "server"),
            span(
                z,
                "3000000000000002",
                "3000000000000001",
                "payments",
                510,
                590,
                "client",
                attrs={"peer.service": "fraud"},
            ),
            span("d" * 32, "4000000000000001", None, "fraud", 1000, 1010, "server"),  # fraud does record spans
        ],
        "spans",
    )


def test_broken_traces() -> None:
    broken = broken_traces(_broken())
    assert broken["issue"].tolist() == ["restarted_trace", "missing_server_span"]
    restarted = broken.iloc[0]
    assert (restarted["service"], restarted["callee"]) == ("gateway", "inventory")
    assert restarted["other_trace_id"] == "b" * 32 and restarted["other_span_id"] == "2000000000000001"
    assert restarted["detail"] == (
        "inventory started trace bbbbbbbbbbbb… (2000000000000001) +2.0 ms after gateway (1000000000000002) "
        "called it in trace aaaaaaaaaaaa…: the trace context did not cross"
    )
    missing = broken.iloc[1]
    assert (missing["service"], missing["callee"]) == ("payments", "fraud")
    # a callee root outside the call window (beyond the skew) does not match
    assert broken_traces(_broken(), skew_ms=0)["issue"].tolist() == ["restarted_trace", "missing_server_span"]
    late = _broken()
    late.loc[3, "start"] = at(195)
    late.loc[3, "end"] = at(230)
    assert broken_traces(late, skew_ms=1)["issue"].tolist() == ["missing_server_span", "missing_server_span"]
    # an unnamed callee matches only when exactly one candidate ran inside the call
    unnamed = _broken()
    attrs = unnamed["attrs"].tolist()
    attrs[1] = {"http.request.method": "GET"}
    unnamed["attrs"] = pd.Series(attrs, index=unnamed.index, dtype=object)
    assert broken_traces(unnamed)["issue"].tolist() == ["restarted_trace", "missing_server_span"]
    crowd = pd.concat(
        [unnamed, conform([span("9" * 32, "5000000000000001", None, "search", 30, 90, "server")], "spans")],
        ignore_index=True,
    )
    assert broken_traces(crowd)["issue"].tolist() == ["missing_server_span"]
    # the shop trace is complete: fraud records no spans, so its missing server span is not a gap
    assert broken_traces(read_traces(FIXTURES / "shop-otlp.json")).empty


def test_orphans_and_report(tree: pd.DataFrame) -> None:
    orphans = orphan_spans(tree)
    assert orphans["span_id"].tolist() == ["o"] and list(orphans.columns) == list(tree.columns)
    report = propagation_report(pd.concat([tree, _broken()], ignore_index=True))
    assert report["issue"].value_counts().to_dict() == {
        "orphan_span": 1,
        "restarted_trace": 1,
        "missing_server_span": 1,
    }
    assert propagation_report().empty


# --------------------------------------------------------------------------- logs


def _events() -> pd.DataFrame:
    rows = [
        # frontend logs the span id of its server span
        {
            "ts": at(1),
            "service": "frontend",
            "level": "info",
            "msg": "checkout started",
            "trace_id": SHOP,
            "span_id": "00f067aa0ba902b7",
            "route": "/checkout",
        },
        {
            "ts": at(119),
            "service": "frontend",
            "level": "error",
            "msg": "checkout failed",
            "trace_id": SHOP.upper(),
            "span_id": "00f067aa0ba902b7",
            "route": "/checkout",
            "status": 502,
            "latency_ms": 119.5,
        },
        # payments logs the trace id only: joined by time to the innermost payments span
        {"ts": at(9), "service": "payments", "level": "info", "msg": "charging", "trace_id": SHOP},
        {
            "ts": at(109),
            "service": "payments",
            "level": "error",
            "msg": "fraud check timed out",
            "trace_id": SHOP,
            "error": "context deadline exceeded",
        },
        {
            "ts": at(20),
            "service": "payments",
            "level": "debug",
            "msg": "query",
            "trace_id": SHOP,
            "span_id": "deadbeefdeadbeef",
        },  # unknown span id: falls back to time
        # fraud never logs a trace id
        {"ts": at(40), "service": "fraud", "level": "info", "msg": "scoring"},
        {"ts": at(41), "service": "fraud", "level": "warn", "msg": "model slow"},
        # another trace, from logs only: two attempts of the same call, then success
        {
            "ts": at(1000),
            "service": "gateway",
            "level": "info",
            "msg": "upstream call",
            "trace_id": "e" * 32,
            "route": "/quote",
        },
        {
            "ts": at(1100),
            "service": "gateway",
            "level": "info",
            "msg": "upstream call",
            "trace_id": "e" * 32,
            "route": "/quote",
        },
        {"ts": at(1150), "service": "quotes", "level": "info", "msg": "served", "trace_id": "e" * 32, "status": 200},
        # a third trace with an attempt counter
        {"ts": at(2000), "service": "gateway", "level": "warn", "msg": "retrying", "trace_id": "f" * 32, "attempt": 1},
        {"ts": at(2200), "service": "gateway", "level": "warn", "msg": "retrying", "trace_id": "f" * 32, "attempt": 3},
        {"ts": pd.NaT, "service": "gateway", "msg": "garbled", "parse_ok": False, "raw": "%%"},
    ]
    return conform(rows, "events")


def test_trace_coverage() -> None:
    cov = trace_coverage(_events()).set_index("service")
    assert cov.index.tolist() == ["fraud", "frontend", "gateway", "payments", "quotes"]
    assert cov.loc["fraud", "share"] == 0.0 and cov.loc["payments", "share"] == 1.0
    assert cov.loc["payments", "with_span_id"] == 1 and cov.loc["frontend", "span_share"] == 1.0
    assert cov.loc["gateway", "lines"] == 4  # the unparsed line is left out


def test_join_logs_to_spans(shop: pd.DataFrame) -> None:
    ev = _events()
    joined = join_logs_to_spans(ev, shop)
    assert len(joined) == len(ev)
    assert_frame_equal(joined[list(ev.columns)], ev)
    got = list(zip(joined["msg"], joined["joined_span_id"].fillna("-"), joined["join_by"].fillna("-"), strict=True))[:7]
    assert got == [
        ("checkout started", "00f067aa0ba902b7", "span_id"),
        ("checkout failed", "00f067aa0ba902b7", "span_id"),  # upper-case trace id in the log line
        ("charging", "7a085853722dc6d2", "time"),  # only the payments server span contains 9 ms
        ("fraud check timed out", "b7ad6b7169203331", "time"),  # innermost of 7a08 (8–112) and b7ad (32–110)
        ("query", "9c3d4e5f60718293", "time"),
        ("scoring", "-", "-"),
        ("model slow", "-", "-"),
    ]
    row = joined.iloc[3]
    assert row["span_name"] == "POST /fraud-check" and row["span_service"] == "payments"
    assert row["span_start"] == at(32) and row["span_end"] == at(110)


def test_trace_journeys() -> None:
    j = trace_journeys(_events()).set_index("trace_id")
    assert j.index.tolist() == [SHOP, "e" * 32, "f" * 32]
    shop = j.loc[SHOP]
    assert shop["services"] == "frontend → payments" and shop["entry_service"] == "frontend"
    assert shop["lines"] == 5 and shop["outcome"] == "error" and shop["max_status"] == 502
    assert shop["error_services"] == "payments, frontend"
    assert shop["elapsed_ms"] == 118.0 and shop["entry_latency_ms"] == 119.5 and shop["latency_ms"] == 119.5
    assert shop["attempts"] == 1
    quote = j.loc["e" * 32]
    assert quote["attempts"] == 2 and quote["outcome"] == "ok" and quote["latency_ms"] == 150.0
    assert quote["services"] == "gateway → quotes" and pd.isna(quote["entry_latency_ms"])
    assert j.loc["f" * 32, "attempts"] == 3  # numbered from 1 in this table
    zero = _events().assign(attempt=lambda d: d["attempt"] - 1)
    assert trace_journeys(zero).set_index("trace_id").loc["f" * 32, "attempts"] == 3
    assert trace_journeys(_events().iloc[5:7]).empty


# --------------------------------------------------------------------------- findings


def test_detect_trace_findings(tree: pd.DataFrame, shop: pd.DataFrame) -> None:
    spans = pd.concat([shop, tree, _broken()], ignore_index=True)
    findings = validate(detect_span_faults(spans, _events()), "findings")
    assert set(findings["fault"]) <= set(FAULTS) and (findings["handbook_ref"] == "§3.2").all()
    by = {(r.fault, r.subject): r for r in findings.itertuples()}
    restarted = by[("propagation_gap", "gateway → inventory")]
    assert restarted.severity == "critical" and restarted.value == 1.0
    assert str(restarted.evidence).startswith("1 call from gateway to inventory continued under a new trace id")
    assert "inject" in str(restarted.recommendation)
    assert by[("propagation_gap", "payments → fraud")].severity == "warning"
    orphans = by[("propagation_gap", "api")]
    assert orphans.metric == "orphan_spans"
    assert str(orphans.evidence).startswith("1 of 5 spans of api (1 trace) name a parent")
    logs = by[("propagation_gap", "fraud")]
    assert logs.metric == "trace_id_share" and logs.value == 0.0
    assert logs.evidence == "0 of 2 log lines of fraud carry a trace id (0%), while 100% of frontend's do."
    assert findings["severity"].iloc[0] == "critical"


def test_slow_span_finding(shop: pd.DataFrame, tree: pd.DataFrame) -> None:
    # both traces are slow; payments holds 104 of the shop trace's 120 critical ms, 78 in POST /fraud-check,
    # and that is enough: it dominates in half of the slow traces
    findings = detect_span_faults(pd.concat([shop, tree], ignore_index=True), slow_ms=110)
    slow = findings[findings["fault"] == "slow_span"]
    assert slow["subject"].tolist() == ["payments"]
    row = slow.iloc[0]
    assert row["value"] == pytest.approx(104 / 120) and row["threshold"] == 0.5
    assert row["evidence"] == (
        "In 1 of 2 slow traces (≥ 110 ms), payments takes a median 87% of the critical "
        "path, 75% of it in 'POST /fraud-check'."
    )
    # in t1 no service holds half of the critical path
    assert detect_span_faults(tree)["fault"].tolist() == ["propagation_gap"]


def test_detect_without_evidence_and_no_trace_ids() -> None:
    assert detect_span_faults().empty
    ev = conform([{"ts": at(0), "service": "a", "msg": "x"}, {"ts": at(1), "service": "b", "msg": "y"}], "events")
    f = detect_span_faults(events=ev)
    assert f["severity"].tolist() == ["info"] and f["subject"].tolist() == ["(all services)"]
    assert f["evidence"].iloc[0] == "None of the 2 log lines carries a trace id."
    with pytest.raises(ValueError, match="slow_quantile"):
        detect_span_faults(slow_quantile=1.0)


def test_new_traces_at_an_entry_service_are_not_evidence() -> None:
    """An edge gateway starts a trace for every user request; an unnamed call that
    overlaps one of them (a DB insert without db.* tags) is not a broken trace."""
    rows = [span(f"{i:032x}", f"{i:016x}", None, "gateway", 100 * i, 100 * i + 50, "server") for i in range(1, 7)]
    rows.append(span("e" * 32, "5000000000000001", None, "billing", 295, 330, "server"))
    rows.append(span("e" * 32, "5000000000000002", "5000000000000001", "billing", 298, 320, "client"))
    spans = conform(rows, "spans")
    assert broken_traces(spans).empty
    # the same overlap with a callee that is not an entry service is reported
    rows[2] = span(f"{3:032x}", f"{3:016x}", None, "ledger", 300, 310, "server")
    assert broken_traces(conform(rows, "spans"))["callee"].tolist() == ["ledger"]


# --------------------------------------------------------------------------- regressions


def test_self_time_ignores_a_span_naming_itself_as_parent() -> None:
    spans = conform([span("1" * 32, "r", "r", "a", 0, 100), span("1" * 32, "c", "r", "a", 10, 50)], "spans")
    st = self_time(spans).set_index("span_id")
    assert st.loc["r", "children_ms"] == 40.0 and st.loc["r", "self_ms"] == 60.0
    assert st.loc["c", "self_ms"] == 40.0
    s = trace_summary(spans).iloc[0]
    assert s["roots"] == 1 and s["cycle_spans"] == 0 and s["root_name"] == "R"


def test_trace_summary_counts_parent_cycles() -> None:
    spans = conform(
        [
            span("2" * 32, "r", None, "a", 0, 100),
            span("2" * 32, "a", "b", "a", 10, 50),
            span("2" * 32, "b", "a", "b", 20, 40),
            span("2" * 32, "k", "b", "b", 25, 30),
        ],
        "spans",
    )
    s = trace_summary(spans).iloc[0]
    assert s["spans"] == 4 and s["roots"] == 1 and s["missing_parents"] == 0
    assert s["cycle_spans"] == 3  # a ↔ b and k below them: no root leads there
    assert trace_summary(spans[spans["span_id"] == "r"]).iloc[0]["cycle_spans"] == 0


def test_trace_journeys_entry_is_the_line_that_started_first() -> None:
    sec = pd.Timestamp("2026-03-14 09:40:00", tz="UTC")
    ms = pd.Timedelta(milliseconds=1)
    rows = [
        # downstream services log whole seconds, when they finish; the gateway when it finishes, precisely
        {"ts": sec, "service": "orders", "msg": "order created", "trace_id": "a" * 32, "latency_ms": 53.736},
        {"ts": sec, "service": "payments", "msg": "charge ok", "trace_id": "a" * 32, "latency_ms": 36.448},
        {"ts": sec + 177 * ms, "service": "inventory", "msg": "reserved", "trace_id": "a" * 32, "latency_ms": 3.034719},
        {
            "ts": sec + pd.Timedelta(nanoseconds=228_764_672),
            "service": "gateway",
            "msg": "request",
            "trace_id": "a" * 32,
            "latency_ms": 54.954457,
        },
        # precise timestamps: a line at ts - latency starts before another line's ts
        {"ts": sec + 5000 * ms, "service": "api", "msg": "request", "trace_id": "b" * 32, "latency_ms": 50.0},
        {"ts": sec + 4960 * ms, "service": "db", "msg": "query", "trace_id": "b" * 32, "latency_ms": 5.0},
        # near tie (within 1 ms): the larger latency wins
        {"ts": sec + 7010.5 * ms, "service": "inner", "msg": "done", "trace_id": "c" * 32, "latency_ms": 10.0},
        {"ts": sec + 7020 * ms, "service": "outer", "msg": "done", "trace_id": "c" * 32, "latency_ms": 20.0},
    ]
    j = trace_journeys(conform(rows, "events")).set_index("trace_id")
    demo = j.loc["a" * 32]
    assert demo["entry_service"] == "gateway"
    assert demo["services"] == "gateway → orders → payments → inventory"
    assert demo["entry_latency_ms"] == 54.954457 and demo["latency_ms"] == 54.954457
    assert j.loc["b" * 32, "entry_service"] == "api" and j.loc["b" * 32, "services"] == "api → db"
    assert j.loc["b" * 32, "entry_latency_ms"] == 50.0
    assert j.loc["c" * 32, "entry_service"] == "outer" and j.loc["c" * 32, "latency_ms"] == 20.0


def test_trace_journeys_attempt_base_is_per_service() -> None:
    rows = [
        {"ts": at(0), "service": "gateway", "msg": "call", "trace_id": "a" * 32, "attempt": 1},
        {"ts": at(10), "service": "worker", "msg": "try", "trace_id": "b" * 32, "attempt": 0},
        {"ts": at(20), "service": "worker", "msg": "try", "trace_id": "b" * 32, "attempt": 1},
        {"ts": at(30), "service": "worker", "msg": "try", "trace_id": "c" * 32, "attempt": 0},
    ]
    j = trace_journeys(conform(rows, "events")).set_index("trace_id")
    assert j.loc["a" * 32, "attempts"] == 1  # gateway counts from 1, whatever worker does
    assert j.loc["b" * 32, "attempts"] == 2 and j.loc["c" * 32, "attempts"] == 1
