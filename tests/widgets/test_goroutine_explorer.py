"""The goroutine explorer groups a dump by the control's column and shows one group with the report's functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
import pytest

from apiprobe.analyze.pool import group_goroutines
from apiprobe.load.goroutines import parse_goroutines, read_goroutines
from apiprobe.notebook import get_pool_evidence
from apiprobe.notebook.pool import PoolEvidence
from apiprobe.schema import conform
from apiprobe.widgets import GoroutineExplorer
from apiprobe.widgets._explorer import CSS_CLASS
from apiprobe.widgets.goroutines import GROUP_BY, NONE

REPO = Path(__file__).resolve().parents[2]
DEBUG1 = REPO / "tests" / "fixtures" / "realworld" / "goroutines" / "ledger-go1.27-sql-debug1.txt"
CORPUS = REPO.parent / "shared" / "corpus" / "goroutines"


@pytest.fixture(scope="module")
def evidence() -> PoolEvidence:
    return get_pool_evidence()


def _dropdowns(widget: w.Widget) -> list[w.Dropdown]:
    if isinstance(widget, w.Dropdown):
        return [widget]
    return [d for child in getattr(widget, "children", ()) for d in _dropdowns(child)]


def _counts(ex: GoroutineExplorer) -> list[int]:
    return [int(label.split(" · ")[0].replace(",", "")) for label, _ in ex.group.options]


def _bars(fig: Any) -> dict[str, int]:
    (bar,) = fig.data
    return dict(zip(bar.y, (int(x) for x in bar.x), strict=True))


def test_default_groups_by_wait_site_largest_first(evidence: PoolEvidence) -> None:
    g = evidence.goroutines
    before = g.copy()
    ex = GoroutineExplorer(evidence)
    assert CSS_CLASS in ex._dom_classes
    assert _dropdowns(ex)[:2] == [ex.by, ex.group]  # group-by comes first
    assert ex.by.value == "wait_site"
    per_site = g.groupby("wait_site")["count"].sum()
    assert _counts(ex) == sorted(per_site.tolist(), reverse=True) and sum(_counts(ex)) == g["count"].sum()
    assert ex.group.label == "38 · http_pool_wait"  # the demo's pool pile-up
    sel = ex.selection()
    assert set(sel["wait_site"]) == {"http_pool_wait"} and len(sel) == (g["wait_site"] == "http_pool_wait").sum()
    # the figure splits the group by app function; the stacks are group_goroutines of the group
    assert _bars(ex.figure()) == {"main.(*UpstreamClient).FetchQuote": 38}
    table = ex.table()
    pd.testing.assert_frame_equal(table.drop(columns="frames"), group_goroutines(sel))
    assert ex.summary() == {"goroutines": 38, "stacks": 1, "states": "select×38", "wait_minutes": "1~4"}
    (text,) = ex.stack_texts()
    assert text.startswith("38 goroutines [select×38, waiting 1~4 min]:\nnet/http.(*Transport).getConn\n\t")
    assert "\t/usr/local/go/src/net/http/transport.go:" in text and text.endswith("created by net/http.(*Server).Serve")
    pd.testing.assert_frame_equal(g, before)


def test_changing_group_by_repopulates_the_groups(evidence: PoolEvidence) -> None:
    g = evidence.goroutines
    ex = GoroutineExplorer(evidence.goroutines)
    assert [c for _, c in ex.by.options] == [c for _, c in GROUP_BY]
    for _label, column in GROUP_BY:
        ex.by.value = column
        assert {value[0] for _, value in ex.group.options} == {column}
        assert ex.group.value == ex.group.options[0][1]  # the largest group is shown
        counts = _counts(ex)
        assert counts == sorted(counts, reverse=True) and sum(counts) == g["count"].sum()
        assert len(counts) == g[column].nunique() + int(g[column].isna().any())
        for label, value in ex.group.options:
            ex.group.value = value
            sel = ex.selection()
            name = label.split(" · ", 1)[1]
            if name == NONE:
                assert sel[column].isna().all()
            elif column == "group_id":
                assert name.endswith(f"({sel[column].iloc[0]})") and sel[column].nunique() == 1
            else:
                assert set(sel[column]) == {name}
            assert sel["count"].sum() == int(label.split(" · ")[0])
            assert sum(_bars(ex.figure()).values()) == sel["count"].sum()


def test_a_group_shows_its_wait_sites_stacks_and_waits(evidence: PoolEvidence) -> None:
    ex = GoroutineExplorer(evidence)
    ex.by.value = "app_function"
    (none,) = [v for label, v in ex.group.options if label.endswith(NONE)]
    ex.group.value = none
    sel = ex.selection()
    assert sel["app_function"].isna().all() and len(sel) == evidence.goroutines["app_function"].isna().sum()
    per_site = sel.groupby("wait_site")["count"].sum()
    assert _bars(ex.figure()) == per_site.to_dict() and ex.breakdown() == "wait_site"
    table = ex.table()
    assert table["count"].sum() == len(sel) and table["count"].is_monotonic_decreasing
    assert len(table) == sel["group_id"].nunique() == ex.summary()["stacks"]
    assert ex.summary()["wait_minutes"] == "1~14" and "IO wait×5" in ex.summary()["states"]
    assert len(ex.stack_texts()) == ex.max_stacks < len(table)


def test_goroutines_of_debug1_rows_are_counted() -> None:
    g = read_goroutines(DEBUG1)
    assert (g["count"] > 1).any()  # debug=1: one row per group of identical stacks
    ex = GoroutineExplorer(g)
    assert sum(_counts(ex)) == g["count"].sum() == 22
    top = g.loc[g["count"].idxmax()]
    assert _counts(ex)[0] >= top["count"]
    ex.by.value = "group_id"
    assert ex.group.label == f"{top['count']} · {top['top_function']} ({top['group_id']})"
    assert ex.summary()["goroutines"] == top["count"] and ex.table()["count"].tolist() == [top["count"]]


def _shown(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The HTML the explorer displays from now on (its own display calls and show_table's), in order."""
    shown: list[str] = []

    def display(obj: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(getattr(obj, "data", None), str):  # HTML; not a figure's bundle (plotly: raw=True)
            shown.append(obj.data)

    for target in ("apiprobe.widgets.goroutines.display", "IPython.display.display"):  # ours, show_table's
        monkeypatch.setattr(target, display)
    return shown


def test_a_draw_groups_the_chosen_goroutines_once(evidence: PoolEvidence, monkeypatch: pytest.MonkeyPatch) -> None:
    import apiprobe.widgets.goroutines as module

    grouped: list[int] = []  # rows of each group_goroutines call

    def counting(goroutines: pd.DataFrame) -> pd.DataFrame:
        grouped.append(len(goroutines))
        return group_goroutines(goroutines)

    monkeypatch.setattr(module, "group_goroutines", counting)
    monkeypatch.setattr(module.go.Figure, "show", lambda self, *a, **k: None)
    _shown(monkeypatch)
    ex = GoroutineExplorer(evidence)
    ex.by.value = "state"
    ex._view_count = 1  # a front end shows the explorer: it draws
    sel = ex.selection()
    assert grouped == [len(sel), len(sel)]  # the stacks, and the group as a whole for the summary; not 3
    ex.draw()
    table, summary, texts = ex.table(), ex.summary(), ex.stack_texts()
    assert grouped == [len(sel), len(sel)]  # a redraw, the table, the summary and the stacks reuse them
    pd.testing.assert_frame_equal(table.drop(columns="frames"), group_goroutines(sel))
    assert summary["goroutines"] == sel["count"].sum() and len(texts) == min(ex.max_stacks, len(table))
    # what a caller does to the tables returned leaves the shared ones alone
    rows = ex.selection()
    table.loc[0, "count"] = rows["count"] = summary["goroutines"] = -1
    assert ex.table()["count"].iloc[0] > 0 and (ex.selection()["count"] > 0).all() and ex.summary()["goroutines"] > 0
    # another group, another grouping: computed again for the new choice
    for column, value in [("state", ex.group.options[1][1]), ("wait_site", None)]:
        grouped.clear()
        ex.by.value = column
        if value is not None:
            ex.group.value = value
        sel = ex.selection()
        assert set(sel[column]) == {ex.group.label.split(" · ", 1)[1]}
        assert grouped == [len(sel), len(sel)]
        pd.testing.assert_frame_equal(ex.table().drop(columns="frames"), group_goroutines(sel))
        assert ex.summary()["goroutines"] == sel["count"].sum()
    grouped.clear()
    ex.by.value = "state"  # back to a grouping seen before: its group is computed again (one choice kept)
    assert ex.group.value == ex.group.options[0][1] and len(grouped) == 2


def test_stack_text_is_escaped_when_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    dump = (
        "goroutine 7 [select, 3 minutes]:\n"
        "main.<script>alert(1)</script>(0x1)\n\t/app/main.go:10 +0x1\n"
        "created by main.main in goroutine 1\n\t/app/main.go:5 +0x2\n"
    )
    g = parse_goroutines(dump)
    assert "<script>" in g["stack"].iloc[0]
    shown = _shown(monkeypatch)
    ex = GoroutineExplorer(g)
    assert "<script>" in ex.stack_texts()[0]  # the text is the dump's
    ex._view_count = 1  # a front end shows the explorer: it draws
    html = "".join(shown)
    assert "Stacks in this group" in html and "The largest stacks in full" in html
    assert "<script>" not in html and html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # table and stack


def test_an_empty_dump_draws_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    shown = _shown(monkeypatch)
    ex = GoroutineExplorer(conform(None, "goroutines"))
    assert ex.group.options == () and ex.group.value is None
    assert ex.selection().empty and ex.table().empty and ex.stack_texts() == []
    assert ex.summary()["goroutines"] == 0
    assert "Nothing to draw" in ex.figure().layout.annotations[0].text
    assert shown == []  # no front end yet: nothing drawn
    ex._view_count = 1  # a front end shows the explorer: it draws the note
    assert ex.drawn and shown == ["<p><i>No goroutines to show.</i></p>"]
    shown.clear()
    ex.by.value = "state"  # no groups either way (the group control does not change): still redraws
    assert ex.selection().empty and shown == ["<p><i>No goroutines to show.</i></p>"]


def test_a_real_dump_from_the_corpus() -> None:
    path = CORPUS / "goleak-http.txt"
    if not path.exists():
        pytest.skip(f"shared corpus absent: {path}")
    g = read_goroutines(path)
    ex = GoroutineExplorer(g)
    ex.by.value = "group_id"
    assert len(ex.group.options) == g["group_id"].nunique()
    for _label, value in ex.group.options:
        ex.group.value = value
        pd.testing.assert_frame_equal(ex.table().drop(columns="frames"), group_goroutines(ex.selection()))
        assert all(text.count("\n\t") >= 1 for text in ex.stack_texts())  # frames with their file:line
