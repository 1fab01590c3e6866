"""Pool figures build from real tables and explain empty input."""

from __future__ import annotations

import pandas as pd

from apiprobe.analyze.pool import pool_sizing
from apiprobe.demo import demo_goroutine_dump
from apiprobe.load.goroutines import parse_goroutines
from apiprobe.plot.pool import fig_sizing, fig_sweep, fig_wait_sites


def test_fig_wait_sites() -> None:
    fig = fig_wait_sites(parse_goroutines(demo_goroutine_dump(waiting=38, pool=2)))
    bar = fig.data[0]
    sites = dict(zip(bar.y, bar.x, strict=True))
    assert sites["http_pool_wait"] == 38 and sites["mutex"] == 6
    assert "38 wait for a pool connection" in fig.layout.title.subtitle.text
    assert "Nothing to draw" in fig_wait_sites(pd.DataFrame()).layout.annotations[0].text


def test_fig_sizing_marks_recommendation() -> None:
    sizing = pool_sizing(200, 50, cores=2, compute_ms=5)
    fig = fig_sizing(sizing)
    texts = [a.text for a in fig.layout.annotations]
    assert any(t == f"recommended: {sizing.attrs['recommended']}" for t in texts)
    assert any(t.startswith("handbook rule") for t in texts)
    assert all(pd.notna(v) for v in fig.data[0].y)


def test_fig_sweep_marks_knee() -> None:
    sweep = pd.DataFrame(
        {
            "concurrency": [1, 2, 4, 8, 16],
            "p50_ms": [50, 51, 52, 101, 203],
            "p90_ms": [52, 53, 55, 110, 210],
            "p99_ms": [55, 56, 60, 120, 220],
            "throughput_rps": [19.8, 39.5, 78.0, 79.0, 78.5],
        }
    )
    fig = fig_sweep(sweep)
    assert any(a.text == "knee: 4" for a in fig.layout.annotations)
    assert len(fig.data) == 4
    assert "Nothing to draw" in fig_sweep(sweep.iloc[:0]).layout.annotations[0].text
