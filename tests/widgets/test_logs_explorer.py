"""The log explorer filters the classified lines once read, with the same analysis functions as the report."""

from __future__ import annotations

import pandas as pd
import pytest

from apiprobe.analyze.error_kinds import error_counts
from apiprobe.analyze.templates import mine_templates
from apiprobe.notebook import get_log_evidence
from apiprobe.notebook.logs import LogEvidence
from apiprobe.widgets import LogsExplorer
from apiprobe.widgets._explorer import ALL, CSS_CLASS
from apiprobe.widgets.logs import ANY_ERROR


@pytest.fixture(scope="module")
def evidence() -> LogEvidence:
    return get_log_evidence()


def test_default_selection_is_every_error_line(evidence: LogEvidence) -> None:
    before = evidence.events.copy()
    ex = LogsExplorer(evidence)
    assert CSS_CLASS in ex._dom_classes
    sel = ex.selection()
    assert len(sel) == evidence.events["error_kind"].notna().sum() > 0
    # the timeline is error_counts of the same lines, drawn by kind
    counts = error_counts(sel, by=("error_kind",))
    drawn = {t.name for t in ex.figure().data if t.type == "bar"}
    assert drawn == set(counts["error_kind"])
    pd.testing.assert_frame_equal(evidence.events, before)


def test_error_rates_are_counted_against_every_line_of_the_service(evidence: LogEvidence) -> None:
    ex = LogsExplorer(evidence)
    ex.service.value = "payments"
    expected = error_counts(evidence.events[evidence.events["service"] == "payments"], by=("error_kind",))
    pd.testing.assert_frame_equal(ex.counts(), expected)
    rate = next(t for t in ex.figure().data if t.name == "error rate %")
    assert 0 < max(v for v in rate.y if v == v) < 100  # errors over all of payments' lines, not over errors
    kind = expected["error_kind"].value_counts().index[0]
    ex.kind.value = kind
    kept = ex.counts()
    assert set(kept["error_kind"]) == {kind}
    assert kept["count"].sum() == expected.loc[expected["error_kind"] == kind, "count"].sum()
    assert list(ex._counts) == [("payments", ALL)]  # one count per service and level, reused across kinds


def test_service_kind_and_level_narrow_the_lines(evidence: LogEvidence) -> None:
    ex = LogsExplorer(evidence)
    ex.service.value = "payments"
    sel = ex.selection()
    assert set(sel["service"]) == {"payments"} and sel["error_kind"].notna().all()
    kind = sel["error_kind"].value_counts().index[0]
    ex.kind.value = kind
    assert set(ex.selection()["error_kind"]) == {kind}
    assert {t.name for t in ex.figure().data if t.type == "bar"} == {kind}
    ex.kind.value = ALL
    ex.level.value = "info"
    expected = evidence.events[(evidence.events["service"] == "payments") & (evidence.events["level"] == "info")]
    assert len(ex.selection()) == len(expected) > 0


def test_window_limits_templates_and_lines_and_is_shaded(evidence: LogEvidence) -> None:
    ex = LogsExplorer(evidence, sample=10)
    ex.kind.value = ALL
    assert not ex.figure().layout.shapes  # the whole span: nothing to shade
    n = len(ex.window.options)
    ex.window.index = (n // 2, n // 2 + 2)
    start, last = ex.window.value
    lines = ex.lines()
    assert 0 < len(lines) <= 10
    assert lines["ts"].min() >= start and lines["ts"].max() < last + pd.Timedelta(minutes=1)
    assert lines["ts"].is_monotonic_decreasing  # newest first
    # template counts: the same mining as the report, counted over the selection
    ids, _templates = mine_templates(evidence.events)
    expected = ids[ex.mask()].value_counts()
    got = ex.template_counts().set_index("template_id")["lines"]
    assert got.to_dict() == {k: int(v) for k, v in expected.items()} and got.sum() == len(ex.selection())
    shapes = ex.figure().layout.shapes
    assert len(shapes) == 1 and pd.Timestamp(shapes[0].x0) == start.tz_localize(None)


def test_an_empty_selection_and_an_empty_table_draw(evidence: LogEvidence) -> None:
    ex = LogsExplorer(evidence)
    ex.service.value = "auth"
    ex.kind.value = "goaway" if "goaway" in ex.kind.options else ex.kind.options[-1]
    ex.level.value = "info"
    assert ex.selection().empty and ex.template_counts().empty and ex.lines().empty
    assert ex.figure().layout.title.text
    ex.draw()  # nothing to list: notes, not errors
    empty = LogsExplorer(evidence.events.iloc[:0])
    assert empty.selection().empty and empty.window.value == (None, None)
    empty.draw()


def test_a_dataframe_works_as_well_as_the_evidence(evidence: LogEvidence) -> None:
    a, b = LogsExplorer(evidence), LogsExplorer(evidence.events)
    pd.testing.assert_frame_equal(a.selection(), b.selection())
    assert ANY_ERROR in a.kind.options
