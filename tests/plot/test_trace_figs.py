"""Trace figures: waterfall rows, colours, critical path and hover text; self time; log coverage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from apiprobe.load.traces import read_traces
from apiprobe.plot.traces import (
    CRITICAL_COLOR,
    ERROR_COLOR,
    fig_service_self_time,
    fig_trace_coverage,
    fig_trace_waterfall,
    fig_waterfall,
    service_color,
)
from apiprobe.schema import conform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
SHOP = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture(scope="module")
def shop() -> pd.DataFrame:
    return read_traces(FIXTURES / "shop-otlp.json")


def _bars(fig: object) -> dict[str, object]:
    return {t.name: t for t in fig.data}  # type: ignore[attr-defined]


def test_waterfall_rows_bars_and_colours(shop: pd.DataFrame) -> None:
    fig = fig_waterfall(shop)  # the only trace is picked
    assert fig_trace_waterfall is fig_waterfall
    assert [t.name for t in fig.data] == ["frontend", "payments", "error", "critical path"]
    labels = list(fig.layout.yaxis.ticktext)
    # tree order, indented two non-breaking spaces per level
    assert labels == [
        "frontend: GET /checkout",
        "\u00a0\u00a0frontend: POST /charge",
        "\u00a0\u00a0\u00a0\u00a0payments: POST /charge",
        "\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0payments: SELECT payments",
        "\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0payments: POST /fraud-check",
    ]
    assert fig.layout.yaxis.autorange == "reversed"
    bars = _bars(fig)
    payments = bars["payments"]
    assert list(payments.y) == [2, 3, 4]
    assert list(payments.base) == [8.0, 10.0, 32.0] and list(payments.x) == [104.0, 20.0, 78.0]
    assert payments.marker.color == service_color("payments")
    # errors: outlined red, and a red ✕ at their end
    assert list(payments.marker.line.color) == [ERROR_COLOR, service_color("payments"), ERROR_COLOR]
    assert list(payments.marker.line.width) == [2, 0, 2]
    err = bars["error"]
    assert list(err.y) == [0, 1, 2, 4] and list(err.x) == [120.0, 115.0, 112.0, 110.0]
    assert err.marker.color == ERROR_COLOR
    # the critical path, segment by segment (see test_trace_analysis)
    cp = bars["critical path"]
    assert cp.marker.color == CRITICAL_COLOR
    assert list(cp.y) == [0, 1, 2, 3, 2, 4, 2, 1, 0]
    assert sum(cp.x) == pytest.approx(120.0)
    assert "5 spans, 2 services, 120.0 ms" in fig.layout.title.subtitle.text
    assert fig.to_json()


def test_waterfall_hover_escapes_and_truncates(shop: pd.DataFrame) -> None:
    spans = shop.copy()
    spans.at[3, "attrs"] = {"db.statement": "<script>alert(1)</script>" + "x" * 200, "z": 1}
    spans.loc[3, "name"] = "SELECT <b>payments</b>"
    fig = fig_waterfall(spans, SHOP, max_attrs=1)
    bars = _bars(fig)
    text = bars["payments"].hovertext[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>" not in text
    assert "x" * 80 not in text and "…" in text
    assert "… 1 more" in text  # attribute z left out
    assert "self 20.000 ms" in text and "kind client · status unset" in text
    assert "payments: SELECT &lt;b&gt;payments&lt;/b&gt;" in fig.layout.yaxis.ticktext[3]
    assert "HTTP 504" in bars["payments"].hovertext[2]


def test_waterfall_options_and_missing_parents(shop: pd.DataFrame) -> None:
    assert [t.name for t in fig_waterfall(shop, critical=False).data] == ["frontend", "payments", "error"]
    partial = shop.iloc[2:].reset_index(drop=True)  # the payments spans only: their parent is missing
    fig = fig_waterfall(partial, max_spans=2)
    assert fig.layout.yaxis.ticktext[0].startswith("⚠ payments")
    sub = fig.layout.title.subtitle.text
    assert "1 with a missing parent" in sub and "first 2 of 3 spans shown" in sub
    other = conform(
        [
            {
                "trace_id": "ab" * 16,
                "span_id": "01" * 8,
                "service": "x",
                "name": "long",
                "start": pd.Timestamp("2024-06-01", tz="UTC"),
                "end": pd.Timestamp("2024-06-01 00:00:01", tz="UTC"),
                "status": "ok",
            }
        ],
        "spans",
    )
    both = pd.concat([shop, other], ignore_index=True)
    assert fig_waterfall(both).layout.title.text == f"Trace {'ab' * 16}"  # the longest trace by default
    assert fig_waterfall(both, SHOP).layout.title.text == f"Trace {SHOP}"
    with pytest.raises(ValueError, match="max_spans"):
        fig_waterfall(shop, max_spans=0)


def test_waterfall_nothing_to_draw(shop: pd.DataFrame) -> None:
    assert "Nothing to draw" in fig_waterfall(conform(None, "spans")).layout.annotations[0].text
    assert "is not in the table" in fig_waterfall(shop, "0" * 32).layout.annotations[0].text
    untimed = shop.assign(start=pd.NaT)
    assert "has a start time" in fig_waterfall(untimed).layout.annotations[0].text


def test_service_self_time(shop: pd.DataFrame) -> None:
    fig = fig_service_self_time(shop)
    bar = fig.data[0]
    # payments: 2 + 2 + 2 (server) + 20 + 78 = 104 ms of own time; frontend: 5 + 5 + 3 + 3 = 16
    assert list(bar.y) == ["payments", "frontend"] and list(bar.x) == [104.0, 16.0]
    assert list(bar.marker.color) == [service_color("payments"), service_color("frontend")]
    assert list(bar.text) == ["87%", "13%"]
    top1 = fig_service_self_time(shop, top=1).data[0]
    assert list(top1.y) == ["(other)"] and list(top1.x) == [120.0]
    assert "Nothing to draw" in fig_service_self_time(pd.DataFrame()).layout.annotations[0].text


def test_trace_coverage_figure() -> None:
    t0 = pd.Timestamp("2024-06-01", tz="UTC")
    rows = [{"ts": t0, "service": "api", "msg": "m", "trace_id": "ab" * 16} for _ in range(9)]
    rows += [{"ts": t0, "service": "api", "msg": "m"}]
    rows += [{"ts": t0, "service": "db", "msg": "m"} for _ in range(3)]
    rows += [{"ts": t0, "service": "edge", "msg": "m", "trace_id": "cd" * 16, "span_id": "01" * 8}]
    fig = fig_trace_coverage(conform(rows, "events"))
    bar = fig.data[0]
    assert list(bar.y) == ["db", "api", "edge"] and list(bar.x) == [0.0, 90.0, 100.0]
    assert list(bar.marker.color) == [ERROR_COLOR, "#2ca02c", "#2ca02c"]
    assert list(bar.text) == ["0 of 3", "9 of 10", "1 of 1"]
    assert "1 below 10% (red)" in fig.layout.title.subtitle.text
    assert list(fig_trace_coverage(conform(rows, "events"), min_coverage=0.95).data[0].marker.color) == [
        ERROR_COLOR,
        ERROR_COLOR,
        "#2ca02c",
    ]
    assert "Nothing to draw" in fig_trace_coverage(conform(None, "events")).layout.annotations[0].text


def test_waterfall_hover_redacts_secret_attributes() -> None:
    from apiprobe.plot.traces import fig_trace_waterfall
    from apiprobe.schema import conform

    t0 = pd.Timestamp("2024-03-14T10:00:00Z")
    spans = conform(
        [
            {
                "trace_id": "a" * 32,
                "span_id": "1" * 16,
                "service": "api",
                "name": "GET /x",
                "start": t0,
                "end": t0 + pd.Timedelta(milliseconds=5),
                "duration_ms": 5.0,
                "attrs": {
                    "http.request.header.authorization": "Bearer abcdef123456",
                    "db.statement": "SELECT 1 -- password=hunter2",
                },
            }
        ],
        "spans",
    )
    text = " ".join(str(t) for trace in fig_trace_waterfall(spans).data for t in (trace.hovertext or ()))
    assert "abcdef123456" not in text and "hunter2" not in text and "[REDACTED]" in text
