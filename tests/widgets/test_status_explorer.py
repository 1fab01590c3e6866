"""The status explorer filters the status table and the answers computed once, misused first."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from explorer_display import drawn_html
from IPython.core.interactiveshell import InteractiveShell

from apiprobe.analyze import status_table
from apiprobe.analyze.status import classify_status_misuse
from apiprobe.notebook import get_status_evidence
from apiprobe.notebook.status import StatusEvidence
from apiprobe.widgets import StatusExplorer
from apiprobe.widgets._explorer import ALL, CSS_CLASS


@pytest.fixture(scope="module")
def evidence() -> StatusEvidence:
    """The notebook's default: the demo's request logs and HAR, and live probes of the fault lab (loopback)."""
    return get_status_evidence()


def expected_rows(df: pd.DataFrame, route: str, code: Any) -> pd.DataFrame:
    table = status_table(df)
    keep = table["subject"] == route if route != ALL else pd.Series(True, index=table.index)
    return table[keep & (table["status"] == code)] if code != ALL else table[keep]


def test_default_is_the_most_misused_route_and_code_of_the_first_source(evidence: StatusEvidence) -> None:
    before = {name: df.copy() for name, df in evidence.tables()}
    ex = StatusExplorer(evidence)
    assert CSS_CLASS in ex._dom_classes
    assert (
        list(ex.source.options)
        == [name for name, _df in evidence.tables()]
        == [
            "request logs",
            "HAR entries",
            "live probes",
        ]
    )
    table = status_table(evidence.events)
    misused = table.groupby("subject")["misuse_count"].sum()
    assert ex.route.value == misused.idxmax() and ex.route.options[0][1] == ALL
    routes = [v for _label, v in ex.route.options[1:]]
    assert set(routes) == set(table["subject"]) and misused[routes].is_monotonic_decreasing
    on_route = table[table["subject"] == ex.route.value]
    assert ex.code.value == on_route.loc[on_route["misuse_count"].idxmax(), "status"]
    pd.testing.assert_frame_equal(ex.table(), expected_rows(evidence.events, ex.route.value, ex.code.value))
    for name, df in evidence.tables():
        pd.testing.assert_frame_equal(df, before[name])


def test_each_source_gives_the_same_table_and_labels_as_the_analysis(evidence: StatusEvidence) -> None:
    events = evidence.events.set_axis(evidence.events.index[::-1] + 7)  # labels are positional, not by index
    tables = [("request logs", events), ("HAR entries", evidence.har), ("live probes", evidence.probes)]
    ex = StatusExplorer(StatusEvidence(events=events, har=evidence.har, probes=evidence.probes, source="test"))
    for name, df in tables:
        ex.source.value = name
        ex.route.value = ALL
        ex.code.value = ALL
        table = status_table(df)
        pd.testing.assert_frame_equal(ex.table(), table)
        labelled = classify_status_misuse(df).reset_index(drop=True)
        pd.testing.assert_frame_equal(ex._current().labels, labelled[["misuse", "recommended_status"]])
        assert ex.mask().tolist() == labelled["subject"].notna().tolist()
        status = pd.to_numeric(labelled["status"], errors="coerce")
        for route in labelled["subject"].dropna().unique()[:8]:
            ex.route.value = str(route)
            for _label, code in ex.code.options:
                ex.code.value = code
                expected = labelled["subject"].eq(route).fillna(False) & (status.eq(code).fillna(False) | (code == ALL))
                assert ex.mask().tolist() == expected.tolist()
                rows = table[(table["subject"] == route) & ((table["status"] == code) | (code == ALL))]
                pd.testing.assert_frame_equal(ex.table(), rows)


def test_the_source_repopulates_routes_and_codes_without_a_stale_redraw(evidence: StatusEvidence) -> None:
    ex = StatusExplorer(evidence)
    drawn: list[tuple[str, str, Any]] = []

    def record() -> None:
        drawn.append((ex.source.value, ex.route.value, ex.code.value))

    ex.draw = record  # type: ignore[method-assign]
    ex._view_count = 1  # a front end shows the explorer: it draws, then redraws on every change
    assert drawn == [(ex.source.value, ex.route.value, ex.code.value)]
    for name, df in evidence.tables()[::-1]:
        drawn.clear()
        ex.source.value = name
        table = status_table(df)
        assert drawn == [(name, ex.route.value, ex.code.value)]  # one redraw, with a consistent combination
        assert {v for _label, v in ex.route.options[1:]} == set(table["subject"])
        codes = [v for _label, v in ex.code.options[1:]]
        assert set(codes) == set(table.loc[table["subject"] == ex.route.value, "status"])
        pd.testing.assert_frame_equal(ex.table(), expected_rows(df, ex.route.value, ex.code.value))
    # a route without misuse: every code listed, "(all)" picked
    ex.source.value = "request logs"
    clean = "GET /api/cart (gateway)"
    drawn.clear()
    ex.route.value = clean
    assert drawn == [("request logs", clean, ALL)] and [v for _label, v in ex.code.options] == [ALL, 200]
    pd.testing.assert_frame_equal(ex.table(), expected_rows(evidence.events, clean, ALL))


def test_answers_are_the_rows_of_the_route_and_code(evidence: StatusEvidence) -> None:
    ex = StatusExplorer(evidence, max_rows=5)
    ex.source.value = "live probes"
    labelled = classify_status_misuse(evidence.probes)
    for _label, code in ex.code.options[1:]:
        ex.code.value = code
        answers = ex.answers()
        rows = labelled[(labelled["subject"] == ex.route.value) & (labelled["status"] == code)]
        assert int(ex.mask().sum()) == len(rows) == int(ex.table()["count"].sum()) > 0
        assert (answers["status"] == code).all() and answers["body"].notna().all()
        assert answers["misuse"].tolist() == rows["misuse"].tolist()
        assert answers["recommended_status"].tolist() == rows["recommended_status"].tolist()
    ex.source.value = "request logs"
    ex.route.value, ex.code.value = "/v1/charge (payments)", 500
    answers = ex.answers()
    assert len(answers) == 5 and (answers["misuse"] == "server_error_validation").all()
    assert answers["error"].str.contains("invalid card number").all() and (answers["recommended_status"] == 400).all()
    assert all(None not in a.values() for a in answers["attrs"])  # empty log fields dropped


def test_the_figure_and_the_order_of_answers_follow_the_route(evidence: StatusEvidence) -> None:
    ex = StatusExplorer(evidence)
    ex.source.value = "HAR entries"
    ex.route.value = ALL
    fig = ex.figure()
    assert "per route" in fig.layout.title.text
    assert {y for t in fig.data for y in t.y} == set(status_table(evidence.har)["subject"])
    ex.route.value = "POST /api/checkout (shop.demo.internal)"
    ex.code.value = ALL
    fig = ex.figure()
    assert ex.route.value in fig.layout.title.text
    assert sum(np.sum(t.y) for t in fig.data) == int(ex.mask().sum()) == 7
    answers = ex.answers()  # misused answers first, each group newest first
    misused = answers["misuse"].notna()
    assert misused.tolist() == [True] * 3 + [False] * 4
    assert answers[misused]["ts"].is_monotonic_decreasing and answers[~misused]["ts"].is_monotonic_decreasing


def test_bodies_are_escaped_and_redacted(evidence: StatusEvidence, shell: InteractiveShell) -> None:
    har = evidence.har.copy()
    har.loc[3, "body"] = '{"error": "token expired <script>alert(1)</script>", "access_token": "s3cr3t-value"}'
    ex = StatusExplorer(StatusEvidence(events=pd.DataFrame(), har=har, probes=pd.DataFrame(), source="test"))
    ex.route.value = "GET /api/account (shop.demo.internal)"
    ex.code.value = 403
    assert (
        ex.answers()["body"].iloc[0]
        == '{"error": "token expired <script>alert(1)</script>", "access_token": "[REDACTED]"}'
    )
    html = drawn_html(ex)
    assert "&lt;script&gt;alert(1)" in html and "<script>alert(1)" not in html and "s3cr3t" not in html
    assert "forbidden_unauthenticated" in html and "1 matching answers" in html


def test_no_table_with_a_status(shell: InteractiveShell) -> None:
    empty = StatusEvidence(events=pd.DataFrame(), har=pd.DataFrame(), probes=pd.DataFrame(), source="nothing")
    ex = StatusExplorer(empty)
    assert ex.source.options == () and ex.table().empty and ex.answers().empty
    assert "No request logs" in drawn_html(ex)
