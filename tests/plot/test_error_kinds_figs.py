"""Error figures: counts over time, kinds by layer, template changes; data checked, empty input explained."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from apiprobe.analyze.error_kinds import error_counts, error_summary
from apiprobe.analyze.templates import compare_templates
from apiprobe.plot.error_kinds import (
    KIND_COLORS,
    LAYER_COLORS,
    MAX_WINDOWS,
    fig_error_counts,
    fig_error_kinds,
    fig_template_changes,
)
from apiprobe.schema import ERROR_KINDS, ERROR_LAYERS, conform

T0 = pd.Timestamp("2024-05-01T10:00:00Z")


def _events() -> pd.DataFrame:
    rows: list[dict[str, Any]] = [
        {"ts": T0 + pd.Timedelta(seconds=s), "service": "web", "level": "info", "msg": "ok"} for s in range(0, 600, 2)
    ]
    rows += [
        {
            "ts": T0 + pd.Timedelta(minutes=1, seconds=s),
            "service": "web",
            "level": "error",
            "error": 'Get "http://q:8080/": dial tcp 10.0.0.5:8080: connect: connection refused',
        }
        for s in range(0, 60, 6)
    ]  # 10 in minute 1
    rows += [
        {
            "ts": T0 + pd.Timedelta(minutes=4, seconds=s),
            "service": "api",
            "level": "error",
            "error": "redis: connection pool timeout",
        }
        for s in range(0, 60, 10)
    ]  # 6 in minute 4
    rows += [{"ts": T0 + pd.Timedelta(minutes=4, seconds=30), "service": "api", "level": "warn", "status": 503}]
    return conform(rows, "events")


def _no_na(fig: Any) -> None:
    json.dumps(json.loads(fig.to_json()))  # serialisable: no pd.NA reached plotly


def test_every_kind_and_layer_has_a_colour() -> None:
    assert set(ERROR_KINDS) <= set(KIND_COLORS)
    assert set(ERROR_LAYERS) <= set(LAYER_COLORS)


def test_fig_error_counts() -> None:
    counts = error_counts(_events())
    fig = fig_error_counts(counts)
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert list(bars) == ["connect_refused", "pool_timeout", "server_error"]  # most frequent first
    refused = np.asarray(bars["connect_refused"].y, dtype=float)
    assert refused.tolist() == [10, 0, 0, 0]  # windows 10:01 … 10:04, those without errors drawn as 0
    assert np.asarray(bars["pool_timeout"].y, dtype=float).tolist() == [0, 0, 0, 6]
    assert bars["connect_refused"].marker.color == KIND_COLORS["connect_refused"]
    rate = next(t for t in fig.data if t.name == "error rate %")
    y = np.asarray(rate.y, dtype=float)
    # 30 other lines a minute; the line count of a window without errors is unknown
    assert y[0] == pytest.approx(10 / 40 * 100) and np.isnan(y[1]) and y[3] == pytest.approx(7 / 37 * 100)
    assert "17 error lines in 3 error_kind values; windows of 1 min" in fig.layout.title.subtitle.text
    _no_na(fig)
    by_service = fig_error_counts(error_counts(_events(), by="service"), by="service")
    assert [t.name for t in by_service.data if t.type == "bar"] == ["web", "api"]
    assert "Nothing to draw" in fig_error_counts(counts.iloc[:0]).layout.annotations[0].text


def test_fig_error_counts_merges_many_windows() -> None:
    ts = pd.date_range(T0, periods=3000, freq="1min")
    counts = pd.DataFrame({"ts": ts, "error_kind": "eof", "count": 1})
    fig = fig_error_counts(counts)
    assert len(fig.data[0].x) <= MAX_WINDOWS
    assert float(np.sum(fig.data[0].y)) == 3000
    assert "merged into 3 min windows" in fig.layout.title.subtitle.text


def test_fig_error_kinds() -> None:
    summary = error_summary(_events())
    fig = fig_error_kinds(summary)
    by_layer = {t.name: dict(zip(t.y, t.x, strict=True)) for t in fig.data}
    assert by_layer == {"connect": {"connect_refused": 10}, "pool": {"pool_timeout": 6}, "server": {"server_error": 1}}
    assert fig.data[0].marker.color == LAYER_COLORS["connect"]
    assert list(fig.layout.yaxis.categoryarray) == ["server_error", "pool_timeout", "connect_refused"]
    hover = next(t for t in fig.data if t.name == "connect").customdata[0]
    assert "a retry can help" in hover and "services: web" in hover
    _no_na(fig)
    assert "Nothing to draw" in fig_error_kinds(summary.iloc[:0]).layout.annotations[0].text


def test_fig_template_changes() -> None:
    rows = [
        {"ts": T0 + pd.Timedelta(seconds=s), "level": "warn", "msg": f"slow query on shard {s % 3}"}
        for s in range(0, 600, 60)
    ]
    rows += [
        {"ts": T0 + pd.Timedelta(seconds=600 + s), "level": "warn", "msg": f"slow query on shard {s % 3}"}
        for s in range(0, 300, 10)
    ]
    rows += [
        {"ts": T0 + pd.Timedelta(seconds=600 + s), "level": "error", "msg": f"lost lease {s}"}
        for s in range(0, 300, 30)
    ]
    events = conform(rows, "events")
    table = compare_templates(
        events,
        incident=(T0 + pd.Timedelta(minutes=10), T0 + pd.Timedelta(minutes=15)),
        baseline=(T0, T0 + pd.Timedelta(minutes=10)),
    )
    fig = fig_template_changes(table)
    base, inc = fig.data
    assert (base.name, inc.name) == ("baseline", "incident")
    # escaped for plotly, which shows the entities as "<*>"
    assert list(inc.y) == ["T2: lost lease &lt;*&gt; (new)", "T1: slow query on shard &lt;*&gt; (×6.0)"]
    assert list(inc.x) == [pytest.approx(2.0), pytest.approx(6.0)] and list(base.x) == [0.0, pytest.approx(1.0)]
    assert "2 of 2 templates; 1 new, 1 grew" in fig.layout.title.subtitle.text
    _no_na(fig)
    assert len(fig_template_changes(table, n=1).data[0].y) == 1
    assert "Nothing to draw" in fig_template_changes(table.iloc[:0]).layout.annotations[0].text
    with pytest.raises(ValueError):
        fig_template_changes(table, n=0)


def test_log_text_is_never_markup_in_figures() -> None:
    from apiprobe.analyze.status import status_table
    from apiprobe.plot.status import fig_status_by_route

    evil = '<a href="https://evil.test">click</a><img src=x onerror=alert(1)>'
    comparison = pd.DataFrame(
        {
            "template_id": ["T1"],
            "template": [evil],
            "baseline_rate": [0.0],
            "incident_rate": [1.0],
            "baseline_count": [0],
            "incident_count": [5],
            "is_new": [True],
            "grew": [False],
        }
    )
    fig = fig_template_changes(comparison)
    shown = " ".join(str(v) for t in fig.data for v in list(t.y) + list(np.ravel(t.customdata)))
    assert "<a " not in shown and "<img" not in shown and "&lt;img" in shown
    events = conform(
        [
            {
                "ts": pd.Timestamp("2024-03-14T10:00:00Z"),
                "service": "api",
                "status": 200,
                "route": "/x<script>",
                "msg": "ok",
            }
        ],
        "events",
    )
    route_fig = fig_status_by_route(status_table(events))
    assert all("<script>" not in str(label) for t in route_fig.data for label in t.y)
