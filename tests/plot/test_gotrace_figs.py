"""Execution-trace figures: region breakdown, goroutine timeline (rows, or counts when too many), MMU."""

from __future__ import annotations

import pytest
from gotraces import FIXTURES

import apiprobe.plot.gotrace as figs
from apiprobe.analyze import mmu_curve
from apiprobe.demo import demo_go_trace
from apiprobe.load import GoTrace, parse_go_trace, read_go_trace
from apiprobe.plot import fig_goroutine_timeline, fig_mmu, fig_region_breakdown


@pytest.fixture(scope="module")
def demo() -> GoTrace:
    return parse_go_trace(demo_go_trace(), source="demo")


def test_region_breakdown_has_median_and_p99_per_region(demo: GoTrace) -> None:
    fig = fig_region_breakdown(demo.regions, max_regions=3)
    names = {t.name for t in fig.data}
    assert names == {"running", "waiting for a P", "network", "chan / mutex / select", "syscall", "GC", "other"}
    regions, which = fig.data[0].x
    assert len(set(regions)) == 3 and set(which) == {"p50", "p99"}
    sync = next(t for t in fig.data if t.name == "chan / mutex / select")
    http = [y for r, w, y in zip(regions, which, sync.y, strict=True) if r == "http.call" and w == "p99"]
    assert http and http[0] > 10  # ms blocked in the pool wait


def test_timeline_rows_are_goroutines_of_the_slowest_regions(demo: GoTrace) -> None:
    fig = fig_goroutine_timeline(demo, region="http.call", top=3)
    bars = [t for t in fig.data if t.type == "bar"]
    rows = {y for t in bars for y in t.y}
    slow = demo.regions[demo.regions["region"] == "http.call"].nlargest(3, "duration_ms")
    assert rows == {r for r in rows if any(r.startswith(f"G{g} ") for g in slow["goroutine"])}
    assert len(rows) == slow["goroutine"].nunique()
    lines = [t for t in fig.data if t.type == "scatter"]
    assert len(lines) == 3  # one line per region shown


def test_timeline_counts_states_when_too_many_bars(demo: GoTrace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figs, "MAX_TIMELINE_BARS", 50)
    fig = fig_goroutine_timeline(demo, top=20)
    assert fig.data and all(t.type == "scatter" and t.stackgroup == "s" for t in fig.data)


def test_timeline_without_regions_shows_the_goroutines_that_waited_most() -> None:
    tr = read_go_trace(FIXTURES / "map-cli-go122-auth-test.trace")
    fig = fig_goroutine_timeline(tr, top=4)
    assert 0 < len({y for t in fig.data for y in t.y}) <= 4
    assert "Nothing to draw" in fig_region_breakdown(tr.regions).layout.annotations[0].text


def test_mmu_figure(demo: GoTrace) -> None:
    curve = mmu_curve(demo)
    fig = fig_mmu(curve)
    assert list(fig.data[0].x) == list(curve["window_ms"]) and fig.layout.xaxis.type == "log"
    assert "Nothing to draw" in fig_mmu(curve.iloc[:0]).layout.annotations[0].text
