"""The triage timeline figure: every source on one axis, the windows shaded, markers by severity and kind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from apiprobe import TriageResult, triage
from apiprobe.plot.triage import fig_triage_timeline
from apiprobe.schema import conform

FOLDER = Path(__file__).resolve().parents[2] / "data" / "demo" / "incident"


@pytest.fixture(scope="module")
def result() -> TriageResult:
    return triage(FOLDER)


def test_the_demo_timeline_draws_every_lane(result: TriageResult) -> None:
    fig = fig_triage_timeline(result.timeline, incident=result.incident, baseline=result.baseline)
    names = {t.name for t in fig.data}
    assert {"payments", "orders", "gateway"} <= names  # failures per service share one colour with their latency
    assert {"findings", "restarts, deploys, jobs"} <= names
    bars = [t for t in fig.data if t.type == "bar"]
    assert sum(float(v) for t in bars for v in t.y) == result.timeline.query("signal == 'errors'")["value"].sum()
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(shaded) == 2 * 4  # the baseline and the incident, on each of the four rows
    finding_marks = next(t for t in fig.data if t.name == "findings")
    assert len(finding_marks.x) == int(result.findings["ts_start"].notna().sum())
    assert fig.layout.xaxis.matches == fig.layout.xaxis2.matches == fig.layout.xaxis3.matches == "x4"  # one time axis


def test_log_text_in_hovers_is_escaped() -> None:
    tl = conform(
        [
            {
                "ts": pd.Timestamp("2026-03-14T10:00Z"),
                "source": "logs",
                "service": "api",
                "signal": "event",
                "series": "start",
                "text": "<script>alert(1)</script> listening",
            }
        ],
        "triage_timeline",
    )
    fig = fig_triage_timeline(tl)
    hover = " ".join(str(c) for t in fig.data for c in (t.customdata if t.customdata is not None else []))
    assert "<script>" not in hover and "listening" in hover


def test_nothing_to_draw_says_why() -> None:
    fig = fig_triage_timeline(conform(None, "triage_timeline"))
    assert any("no evidence with timestamps" in (a.text or "") for a in fig.layout.annotations)
