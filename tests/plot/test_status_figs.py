"""Status figures: per-route bars with misuse hatched, counts per minute by status class."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from apiprobe.analyze.status import status_table
from apiprobe.errors import SchemaError
from apiprobe.load.har import read_har
from apiprobe.plot.status import STATUS_COLORS, fig_status_by_route, fig_status_timeline
from apiprobe.schema import conform

HAR = Path(__file__).resolve().parents[1] / "fixtures" / "har"
T0 = dt.datetime(2024, 5, 14, 9, 0, 10, tzinfo=dt.UTC)


def log(rows: list[tuple[float, int | None, str, dict[str, Any]]]) -> pd.DataFrame:
    """Events from (seconds after T0, status, route, attrs)."""
    return conform(
        [
            {
                "ts": T0 + dt.timedelta(seconds=s),
                "service": "shop",
                "level": "info",
                "msg": "req",
                "status": code,
                "route": route,
                "attrs": attrs,
            }
            for s, code, route, attrs in rows
        ],
        "events",
    )


def sample() -> pd.DataFrame:
    rows: list[tuple[float, int | None, str, dict[str, Any]]] = []
    rows += [(i, 200, "/pay", {"method": "POST", "body": '{"code":0}'}) for i in range(6)]
    rows += [
        (10 + i, 200, "/pay", {"method": "POST", "body": '{"code":1001,"error":"insufficient balance"}'})
        for i in range(3)
    ]
    rows += [(70 + i, 404, "/pay", {"method": "POST", "body": '{"error":"out of stock"}'}) for i in range(2)]
    # logged at info: a misuse too (server_error_low_level)
    rows += [(130, 500, "/users", {"method": "GET", "body": '{"error":"nil pointer dereference"}'})]
    rows += [(131, 200, "/users", {"method": "GET"})]
    rows += [(200, None, "", {})]  # not a request line
    return log(rows)


def test_fig_status_by_route_stacks_counts_and_hatches_misuse() -> None:
    table = status_table(sample())
    fig = fig_status_by_route(table)
    names = [t.name for t in fig.data]
    assert names == ["2xx", "2xx misused", "4xx misused", "5xx misused"]
    bars = {t.name: dict(zip(t.y, t.x, strict=True)) for t in fig.data}
    assert bars["2xx"] == {"GET /users (shop)": 1, "POST /pay (shop)": 6}
    assert bars["2xx misused"]["POST /pay (shop)"] == 3 and bars["2xx misused"]["GET /users (shop)"] == 0
    assert bars["4xx misused"]["POST /pay (shop)"] == 2
    assert bars["5xx misused"] == {"GET /users (shop)": 1, "POST /pay (shop)": 0}
    for subject, total in table.groupby("subject")["count"].sum().items():
        assert sum(b.get(subject, 0) for b in bars.values()) == total
    misused = fig.data[1]
    assert misused.marker.pattern.shape == "/" and misused.marker.color == STATUS_COLORS["2xx"]
    assert "200 ok_error_body → 422 (3)" in misused.customdata[-1][0]
    assert list(fig.data[0].y)[-1] == "POST /pay (shop)"  # routes with misuse on top
    assert fig.layout.barmode == "stack"
    assert "6 misused" in fig.layout.title.subtitle.text
    assert "server_error_low_level" in fig.layout.title.subtitle.text
    fig.to_json()


def test_fig_status_by_route_accepts_raw_tables_and_limits_routes() -> None:
    fig = fig_status_by_route(sample())
    assert [t.name for t in fig.data] == ["2xx", "2xx misused", "4xx misused", "5xx misused"]
    har = pd.concat([read_har(HAR / "chrome-checkout.har"), read_har(HAR / "firefox-login.har")], ignore_index=True)
    limited = fig_status_by_route(status_table(har), max_routes=3)
    assert len(limited.data[0].y) == 3
    assert "showing 3 of 10 routes" in limited.layout.title.subtitle.text


def test_fig_status_timeline_counts_per_minute() -> None:
    fig = fig_status_timeline(sample())
    assert [t.name for t in fig.data] == ["2xx — 10", "4xx — 2", "5xx — 1"]
    x = [pd.Timestamp(v) for v in fig.data[0].x]
    assert x == [pd.Timestamp("2024-05-14 09:00"), pd.Timestamp("2024-05-14 09:01"), pd.Timestamp("2024-05-14 09:02")]
    assert list(fig.data[0].y) == [9, 0, 1]
    assert list(fig.data[1].y) == [0, 2, 0]
    assert list(fig.data[2].y) == [0, 0, 1]
    assert fig.data[2].marker.color == STATUS_COLORS["5xx"]
    assert "1 rows without a status left out" in fig.layout.title.subtitle.text
    fig.to_json()


def test_fig_status_timeline_widens_bins_and_reads_probes() -> None:
    far = log([(0, 200, "/a", {}), (86400 * 3, 503, "/a", {})])
    fig = fig_status_timeline(far)
    assert "bins widened to 5min" in fig.layout.title.subtitle.text
    assert sum(len(t.x) for t in fig.data) == 2 * len(fig.data[0].x)
    har = read_har(HAR / "chrome-checkout.har")
    counts = {t.name: sum(t.y) for t in fig_status_timeline(har, freq="1s").data}
    assert counts == {"2xx — 4": 4, "4xx — 2": 2}


def test_empty_input_says_why() -> None:
    for fig in (
        fig_status_by_route(pd.DataFrame()),
        fig_status_timeline(pd.DataFrame()),
        fig_status_by_route(log([(0, None, "", {})])),
        fig_status_timeline(log([(0, None, "", {})])),
    ):
        assert "Nothing to draw" in fig.layout.annotations[0].text
    with pytest.raises(SchemaError, match="lacks column"):
        fig_status_timeline(pd.DataFrame({"x": [1]}))
