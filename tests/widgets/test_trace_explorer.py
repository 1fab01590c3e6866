"""The trace explorer lists traces from the summary computed once and draws one with the static cells' calls."""

from __future__ import annotations

import pandas as pd
import pytest
from explorer_display import drawn_html
from IPython.core.interactiveshell import InteractiveShell

from apiprobe.analyze import trace_summary
from apiprobe.notebook import get_trace_evidence, pick_trace
from apiprobe.notebook.tracing import TraceEvidence
from apiprobe.plot import fig_trace_waterfall
from apiprobe.widgets import TraceExplorer
from apiprobe.widgets._explorer import ALL, CSS_CLASS


@pytest.fixture(scope="module")
def evidence() -> TraceEvidence:
    return get_trace_evidence()


def test_default_is_the_slowest_failing_trace_as_the_static_cell_picks_it(evidence: TraceEvidence) -> None:
    spans, events = evidence.spans.copy(), evidence.events.copy()
    ex = TraceExplorer(evidence)
    assert CSS_CLASS in ex._dom_classes
    assert ex.listing.value == "failing" and ex.chosen() == pick_trace(evidence)
    listed = ex.selection()
    assert (listed["error_spans"] > 0).all() and listed["duration_ms"].is_monotonic_decreasing
    summary = trace_summary(evidence.spans)
    assert len(listed) == (summary["error_spans"] > 0).sum() > 0
    assert [v for _label, v in ex.trace.options] == listed["trace_id"].tolist()
    label = ex.trace.label
    assert label.startswith(ex.chosen()[:8]) and " ms · " in label and "error spans" in label
    # the waterfall is the static cell's figure, and it holds that trace's spans
    fig, same = ex.figure(), fig_trace_waterfall(evidence.spans, ex.chosen())
    assert fig.to_json() == same.to_json()
    drawn_ids = {i for t in fig.data if t.type == "bar" and t.customdata is not None for i in t.customdata}
    assert set(ex.spans()["span_id"]) & drawn_ids and drawn_ids <= set(ex.spans()["span_id"])
    assert set(ex.spans()["trace_id"]) == {ex.chosen()}
    pd.testing.assert_frame_equal(evidence.spans, spans)
    pd.testing.assert_frame_equal(evidence.events, events)


def test_the_list_and_the_service_repopulate_the_traces(evidence: TraceEvidence) -> None:
    ex = TraceExplorer(evidence, top=10)
    summary = trace_summary(evidence.spans)
    ex.listing.value = "slowest"
    listed = ex.selection()
    assert len(listed) == 10 and listed["duration_ms"].tolist() == sorted(summary["duration_ms"], reverse=True)[:10]
    ex.listing.value = "earliest"
    first = summary.sort_values("start")["trace_id"].iloc[0]
    assert ex.selection()["start"].is_monotonic_increasing and ex.chosen() == first
    assert "earliest first" in ex.describe()
    ex.service.value = "billing"
    through = ex.selection()
    assert len(through) > 0 and through["services"].str.contains("billing").all()
    assert ex.trace.value == through["trace_id"].iloc[0] == ex.chosen()
    assert set(ex.spans()["trace_id"]) == {ex.chosen()} and "billing" in set(ex.spans()["service"])
    ex.service.value = ALL
    ex.listing.value = "failing"
    assert ex.chosen() == pick_trace(evidence)


def test_picking_from_the_list_and_typing_an_id(evidence: TraceEvidence, shell: InteractiveShell) -> None:
    ex = TraceExplorer(evidence)
    drawn: list[tuple[str, str]] = []

    def record() -> None:
        drawn.append((ex.chosen(), ex.trace_id.value))
        TraceExplorer.draw(ex)

    ex.draw = record  # type: ignore[method-assign]
    ex._view_count = 1  # a front end shows the explorer: it draws, then redraws on every change
    assert drawn == [(ex.chosen(), "")]
    drawn.clear()
    other = ex.trace.options[3][1]
    ex.trace.value = other
    assert ex.chosen() == other and ex.figure().layout.title.text == f"Trace {other}"
    assert drawn == [(other, "")]  # one redraw per change
    # a typed id wins (trimmed, lower-cased as pick_trace does) until the list is used again
    typed = ex.trace.options[5][1]
    ex.trace_id.value = f"  {typed.upper()} "
    assert ex.chosen() == typed and ex.trace.value == other and drawn[-1] == (typed, f"  {typed.upper()} ")
    assert set(ex.spans()["trace_id"]) == {typed}
    html = drawn_html(ex)
    assert f"Critical path of trace {typed}" in html and f"Log lines of trace {typed}" in html
    drawn.clear()
    ex.listing.value = "slowest"  # the list is used again: the typed id is cleared
    assert ex.trace_id.value == "" and ex.chosen() == ex.selection()["trace_id"].iloc[0]
    assert drawn == [(ex.chosen(), "")]  # one redraw, never the stale list or id
    # an unknown id says so, draws no waterfall, and still looks for log lines
    ex.trace_id.value = "0123456789abcdef"
    html = drawn_html(ex)
    assert "Trace 0123456789abcdef is in no span" in html and "No log line carries this trace id" in html
    assert "Critical path" not in html
    assert ex.spans().empty


def test_a_trace_seen_only_in_the_logs_and_no_spans_at_all(evidence: TraceEvidence, shell: InteractiveShell) -> None:
    logs_only = TraceEvidence(spans=evidence.spans.iloc[:0], events=evidence.events, source="logs only")
    ex = TraceExplorer(logs_only)
    assert ex.selection().empty and ex.trace.options == () and ex.chosen() == ""
    ex.listing.value = "failing"
    assert "no trace to show" in drawn_html(ex)
    with_lines = str(evidence.events["trace_id"].dropna().iloc[0])
    ex.trace_id.value = with_lines
    html = drawn_html(ex)
    assert "is in no span" in html and f"Log lines of trace {with_lines}" in html


def test_a_service_is_matched_by_its_spans_not_by_splitting_the_summary(evidence: TraceEvidence) -> None:
    spans = evidence.spans.copy()
    summary = trace_summary(spans)
    checkout = set(summary.loc[summary["services"].str.endswith(", billing"), "trace_id"])
    standalone = set(summary.loc[summary["services"] == "billing", "trace_id"])
    assert checkout and standalone
    # the billing spans of the checkouts belong to a service whose name holds ", "
    spans["service"] = spans["service"].where(
        ~(spans["trace_id"].isin(checkout) & (spans["service"] == "billing")), "billing, eu"
    )
    ex = TraceExplorer(TraceEvidence(spans=spans, events=evidence.events, source="test"), top=100)
    assert "billing, eu" in ex.service.options and "eu" not in ex.service.options
    ex.listing.value = "slowest"
    ex.service.value = "billing, eu"
    assert set(ex.selection()["trace_id"]) == checkout  # was none: "billing, eu" split in two
    ex.service.value = "billing"
    assert set(ex.selection()["trace_id"]) == standalone  # the checkouts have no span of "billing"
    ex.service.value = "payments"
    assert checkout <= set(ex.selection()["trace_id"])
    for service in ex.service.options[1:]:
        ex.service.value = service
        listed = set(ex.selection()["trace_id"])
        assert listed == set(spans.loc[spans["service"] == service, "trace_id"]) & set(summary["trace_id"])


def test_the_list_shows_root_span_names_redacted(evidence: TraceEvidence) -> None:
    spans = evidence.spans.copy()
    first = pick_trace(evidence)  # the trace listed first
    root = trace_summary(spans).set_index("trace_id").at[first, "root_name"]
    spans["name"] = spans["name"].where(
        ~((spans["trace_id"] == first) & (spans["name"] == root)), "POST /api/login?password=hunter2"
    )
    ex = TraceExplorer(TraceEvidence(spans=spans, events=evidence.events, source="test"))
    assert ex.trace.value == first
    assert "POST /api/login?password=[REDACTED]" in ex.trace.label
    assert not any("hunter2" in label for label, _value in ex.trace.options)
    assert ex.summary.set_index("trace_id").at[first, "root_name"] == "POST /api/login?password=hunter2"  # data kept
