"""Timeout budgets (handbook §4.3): spans against their parents, a declared call graph, deadline chains in logs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from apiprobe import (
    InvalidParameterError,
    SchemaError,
    budget_tree,
    deadline_chains,
    detect_timeout_faults,
    parse_logs,
    read_traces,
    timeout_budget,
)
from apiprobe.analyze.resilience import duration_ms
from apiprobe.schema import validate

T0 = pd.Timestamp("2026-12-05T10:00:00Z")


def span(sid: str, parent: str | None, service: str, start_ms: float, end_ms: float, **attrs: object) -> dict:
    return {
        "trace_id": "t1",
        "span_id": sid,
        "parent_span_id": parent,
        "service": service,
        "name": f"{service} op",
        "kind": "client" if parent else "server",
        "start": T0 + pd.Timedelta(milliseconds=start_ms),
        "end": T0 + pd.Timedelta(milliseconds=end_ms),
        "attrs": attrs or None,
    }


def test_child_spans_against_their_parents_time() -> None:
    spans = pd.DataFrame(
        [
            span("a", None, "gateway", 0, 1000),
            span("b", "a", "orders", 100, 900, **{"grpc-timeout": "2S"}),
            span("c", "b", "payments", 200, 1500, timeout="300ms"),  # outlives orders by 600 ms
        ]
    )
    tb = timeout_budget(spans)
    validate(tb, "timeout_budget")
    b, c = tb.set_index("span_id").loc["b"], tb.set_index("span_id").loc["c"]
    assert b["parent_left_ms"] == pytest.approx(900) and b["deadline_ms"] == 2000 and b["exceeds_parent"]
    assert not b["orphaned"]
    assert c["overrun_ms"] == pytest.approx(600) and c["orphaned"] and not c["exceeds_parent"]
    found = detect_timeout_faults(spans=spans)
    assert set(found["fault"]) == {"orphaned_work", "timeout_budget"}
    orphan = found[found["fault"] == "orphaned_work"].iloc[0]
    assert orphan["subject"] == "orders → payments" and "600 ms" in orphan["evidence"]


def test_durations_in_every_notation() -> None:
    assert duration_ms("1m30s") == 90_000
    assert duration_ms("250ms") == 250
    assert duration_ms("100m") == 100  # grpc-timeout: m is milliseconds
    assert duration_ms("2S") == 2000
    assert duration_ms(1.5) == 1.5
    assert pd.isna(duration_ms("soon")) and pd.isna(duration_ms(None))


def test_budget_tree_flags_hops_whose_worst_case_overruns_the_caller() -> None:
    calls = pd.DataFrame(
        {
            "caller": ["client", "gateway", "orders", "orders"],
            "callee": ["gateway", "orders", "payments", "inventory"],
            "timeout_s": [5.0, 3.0, 1.0, 0.5],
            "retries": [0, 2, 3, 1],
            "backoff": [None, "go-retryablehttp", "exponential", None],
        }
    )
    tree = budget_tree(calls)
    validate(tree, "budget_tree")
    row = tree.set_index("callee")
    assert tree["path"].tolist() == [
        "client/gateway",
        "client/gateway/orders",
        "client/gateway/orders/payments",
        "client/gateway/orders/inventory",
    ]
    # gateway → orders: 3 × 3 s + waits 1 s and 2 s (DefaultBackoff) = 12 s against gateway's 5 s
    assert row.loc["orders", "worst_s"] == 12.0 and row.loc["orders", "verdict"] == "over budget"
    # orders → payments: 4 × 1 s + 1 + 2 + 4 s (exponential, base 1 s, no jitter) = 11 s against 3 s
    assert row.loc["payments", "worst_s"] == 11.0
    # orders → inventory: 2 × 0.5 s = 1 s of orders' 3 s: fine
    assert row.loc["inventory", "verdict"] == "ok" and row.loc["gateway", "verdict"] == "root"
    found = detect_timeout_faults(calls=calls)
    assert found["subject"].tolist() == ["gateway → orders", "orders → payments"]
    assert (found["severity"] == "critical").all()


def test_budget_tree_survives_cycles_and_refuses_bad_graphs() -> None:
    cyc = pd.DataFrame({"caller": ["a", "b"], "callee": ["b", "a"], "timeout_s": [1.0, 1.0]})
    assert len(budget_tree(cyc)) == 2
    with pytest.raises(SchemaError, match="timeout_s"):
        budget_tree(pd.DataFrame({"caller": ["a"], "callee": ["b"]}))
    with pytest.raises(InvalidParameterError, match="must be > 0"):
        budget_tree(pd.DataFrame({"caller": ["a"], "callee": ["b"], "timeout_s": [0]}))
    with pytest.raises(InvalidParameterError, match="unknown retry preset"):
        budget_tree(
            pd.DataFrame({"caller": ["a"], "callee": ["b"], "timeout_s": [1], "retries": [2], "backoff": ["x"]})
        )


def test_deadline_chains_name_who_gave_up_first() -> None:
    lines = "\n".join(
        [
            '{"level":"error","ts":1764928800.100,"msg":"upstream failed","service":"gateway",'
            '"trace_id":"aa","error":"context deadline exceeded"}',
            '{"level":"warn","ts":1764928800.120,"msg":"query aborted","service":"orders",'
            '"trace_id":"aa","error":"context canceled"}',
            '{"level":"warn","ts":1764928800.150,"msg":"charge aborted","service":"payments",'
            '"trace_id":"aa","error":"context canceled"}',
            '{"level":"error","ts":1764928801.000,"msg":"no trace","service":"orders","error":"context canceled"}',
        ]
    )
    events = parse_logs(lines, format="zap")
    chains = deadline_chains(events)
    validate(chains, "deadline_chains")
    assert len(chains) == 1
    row = chains.iloc[0]
    assert row["first_service"] == "gateway" and row["services"] == 3
    assert row["chain"] == "gateway: deadline_exceeded → orders: canceled → payments: canceled"
    assert row["spread_ms"] == pytest.approx(50, abs=1)
    found = detect_timeout_faults(events=events)
    assert found.iloc[0]["subject"] == "gateway" and found.iloc[0]["fault"] == "timeout"


def test_demo_traces_have_no_orphans_and_children_fit(tmp_path: Path) -> None:
    from apiprobe.demo import write_demo_incident

    write_demo_incident(tmp_path)
    spans = read_traces(tmp_path / "traces")
    tb = timeout_budget(spans)
    assert len(tb) > 100
    # children start inside their parent: time left is never negative
    assert (tb["parent_left_ms"] >= -1).all()
