"""The profile explorer shows profile_top and the flame graph of the same selection, driven by its controls."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
import pytest

from apiprobe.analyze.profiles import filter_profile, flame_table, profile_top
from apiprobe.load.pprof import Profile, read_pprof
from apiprobe.notebook import get_profiles
from apiprobe.notebook.profiles import ProfileEvidence
from apiprobe.widgets import ProfileExplorer
from apiprobe.widgets._explorer import CSS_CLASS

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "pprof"
MARSHAL = r"^encoding/json\.Marshal$"


def _html(obj: Any) -> str:
    """The HTML of what was displayed: an IPython object's ``data``, or a raw bundle's ``text/html``.

    Which one arrives depends on plotly's default renderer, which other tests may have set.
    """
    if isinstance(obj, dict):
        return str(obj.get("text/html", ""))
    return str(getattr(obj, "data", ""))


@pytest.fixture(scope="module")
def evidence() -> ProfileEvidence:
    return get_profiles()


def _dropdowns(widget: w.Widget) -> list[w.Dropdown]:
    """The dropdowns inside ``widget``, in display order."""
    if isinstance(widget, w.Dropdown):
        return [widget]
    return [d for child in getattr(widget, "children", ()) for d in _dropdowns(child)]


def _flame_root(fig: Any) -> int:
    """The value of the root box of a flame figure (the icicle's widest)."""
    (icicle,) = fig.data
    return int(icicle.values[0])


def _messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the explorer displays instead of its figures (an error message); its figures and tables go nowhere."""
    shown: list[str] = []
    monkeypatch.setattr("apiprobe.widgets._explorer.display", lambda obj, **_: shown.append(_html(obj)))
    for target in ("apiprobe.widgets.profiles.display", "IPython.display.display"):
        monkeypatch.setattr(target, lambda obj, **_: None)
    monkeypatch.setattr("plotly.graph_objects.Figure.show", lambda self: None)
    return shown


def _on_screen(ex: ProfileExplorer) -> ProfileExplorer:
    """``ex`` as a front end shows it: drawn once, then redrawn by its controls (headless, it waits)."""
    ex._view_count = 1
    assert ex.drawn
    return ex


def _snapshot(p: Profile) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    return p.values.copy(), p.sample_stack.copy(), [dict(lab or {}) for lab in p.labels]


def test_the_default_view_is_the_static_cells(evidence: ProfileEvidence) -> None:
    p = evidence.profile
    before = _snapshot(p)
    ex = ProfileExplorer(evidence, n=12)
    assert CSS_CLASS in ex._dom_classes
    assert _dropdowns(ex)[0] is ex.sample_index  # the sample type comes first
    assert ex.sample_index.value == p.sample_index() and ex.granularity.value == "functions"
    pd.testing.assert_frame_equal(ex.table(), profile_top(p))
    bars = {t.name: t for t in ex.figure().data}
    assert list(bars["flat"].y)[::-1] == profile_top(p)["function"].head(12).tolist()
    assert ex.selection().n_samples == p.n_samples
    assert _flame_root(ex.flame()) == p.total() > 0
    assert ex.command() == "go tool pprof -top -sample_index=cpu PROFILE"
    after = _snapshot(p)
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2] == before[2]


def test_sample_type_granularity_and_rows_follow_profile_top(evidence: ProfileEvidence) -> None:
    p = evidence.profile
    ex = ProfileExplorer(p)
    ex.sample_index.value = 0  # "samples (count)"
    pd.testing.assert_frame_equal(ex.table(), profile_top(p, sample_index=0))
    assert ex.table().attrs["sample_type"] == ("samples", "count")
    assert _flame_root(ex.flame()) == p.total(0)
    for gran in ex.granularity.options:
        ex.granularity.value = gran
        pd.testing.assert_frame_equal(ex.table(), profile_top(p, sample_index=0, granularity=gran))
        assert ex.figure().layout.title.text == f"Top {gran}"
    ex.granularity.value = "lines"
    assert ex.table()["function"].str.contains(r"\.go:\d+$").all()  # one row per source line
    assert "-lines" in ex.command().split()
    ex.rows.value = 3
    assert len(ex.figure().data[0].y) == 3


def test_focus_keeps_only_the_samples_whose_stacks_contain_it(evidence: ProfileEvidence) -> None:
    p = evidence.profile
    ex = ProfileExplorer(evidence)
    ex.focus.value = MARSHAL
    kept = ex.selection()
    assert 0 < kept.n_samples < p.n_samples
    # every kept sample, and no dropped one, has encoding/json.Marshal on its stack
    with_it = set(p.frames.loc[p.frames["function"] == "encoding/json.Marshal", "sample_id"])
    assert kept.n_samples == len(with_it)
    per_sample = kept.frames.groupby("sample_id")["function"].agg(set)
    assert all("encoding/json.Marshal" in fns for fns in per_sample)
    top = ex.table()
    pd.testing.assert_frame_equal(top, profile_top(p, focus=MARSHAL))  # the same function, not a copy of it
    # the kept samples are exactly Marshal's cum; percentages stay those of the whole profile
    marshal = top.set_index("function").loc["encoding/json.Marshal"]
    assert marshal["cum"] == top["flat"].sum() == profile_top(p).set_index("function").loc[marshal.name, "cum"]
    assert top.attrs["total"] == p.total()
    # the flame graph draws the same samples: its root is Marshal's cum, and every path runs through it
    assert _flame_root(ex.flame()) == marshal["cum"]
    tree = flame_table(filter_profile(p, focus=MARSHAL))
    assert set(tree["function"]) < set(flame_table(p)["function"])
    assert "-focus=^encoding/json\\.Marshal$" in ex.command()


def test_ignore_and_tagfocus_drop_samples_like_profile_top(evidence: ProfileEvidence) -> None:
    p = evidence.profile
    ex = ProfileExplorer(evidence)
    ex.ignore.value = "json"
    assert not ex.table()["function"].str.contains("json").any()
    pd.testing.assert_frame_equal(ex.table(), profile_top(p, ignore="json"))
    assert "json" not in " ".join(ex.flame().data[0].labels)
    ex.ignore.value = ""
    ex.tagfocus.value = "handler=/v1/charge"
    kept = ex.selection()
    assert 0 < kept.n_samples < p.n_samples
    assert {tuple(lab["handler"]) for lab in kept.labels if lab} == {("/v1/charge",)}
    pd.testing.assert_frame_equal(ex.table(), profile_top(p, tagfocus="handler=/v1/charge"))
    assert _flame_root(ex.flame()) == kept.total() < p.total()
    # with a key, several regexes keep the samples any of them matches (pprof's -tagfocus)
    ex.tagfocus.value = "handler=/v1/charge,/v1/refunds"
    both = ex.selection()
    handlers = [tuple(lab["handler"]) if lab and "handler" in lab else None for lab in p.labels]
    assert both.n_samples == handlers.count(("/v1/charge",)) + handlers.count(("/v1/refunds",)) > kept.n_samples
    assert {tuple(lab["handler"]) for lab in both.labels if lab} == {("/v1/charge",), ("/v1/refunds",)}
    top = ex.table()
    pd.testing.assert_frame_equal(top, profile_top(p, tagfocus="handler=/v1/charge,/v1/refunds"))
    assert top["flat"].sum() == both.total() == _flame_root(ex.flame())
    assert "-tagfocus=handler=/v1/charge,/v1/refunds" in ex.command()
    ex.tagfocus.value = "handler=/v1/charge"  # back to a recent setting: the remembered selection
    assert ex.selection() is kept


def test_a_numeric_tag_range_is_a_message(evidence: ProfileEvidence, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = _messages(monkeypatch)
    ex = _on_screen(ProfileExplorer(evidence))
    ex.tagfocus.value = "bytes=1mb:"  # pprof's numeric range: refused, not silently matching nothing
    assert len(shown) == 1 and "Cannot draw this selection" in shown[0] and "numeric range" in shown[0]
    ex.tagfocus.value = "handler=^/v1/charge$"
    assert 0 < ex.selection().n_samples < evidence.profile.n_samples


def test_a_filter_that_keeps_nothing_draws_empty_figures(evidence: ProfileEvidence) -> None:
    ex = ProfileExplorer(evidence)
    ex.focus.value = "no_such_function_anywhere"
    assert ex.selection().n_samples == 0 and ex.table().empty
    for fig in (ex.figure(), ex.flame()):
        assert "Nothing to draw" in fig.layout.annotations[0].text


def test_a_bad_regex_is_a_message_not_a_traceback(evidence: ProfileEvidence, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = _messages(monkeypatch)
    ex = _on_screen(ProfileExplorer(evidence))
    ex.focus.value = "encoding/json.(Marshal"  # the observer redraws: the message replaces the figures
    assert len(shown) == 1 and "Cannot draw this selection" in shown[0] and "missing )" in shown[0]
    with pytest.raises(re.error):
        ex.table()
    ex.focus.value = ""
    pd.testing.assert_frame_equal(ex.table(), profile_top(evidence.profile))


def test_a_real_profile_from_the_corpus() -> None:
    path = CORPUS / "sample.cpu.pb.gz"
    if not path.exists():
        pytest.skip(f"shared corpus absent: {path}")
    p = read_pprof(path)
    ex = ProfileExplorer(p)
    assert [label for label, _ in ex.sample_index.options] == [f"{t} ({u})" for t, u in p.sample_types]
    for gran in ex.granularity.options:
        ex.granularity.value = gran
        pd.testing.assert_frame_equal(ex.table(), profile_top(p, granularity=gran))
    ex.granularity.value = "functions"
    ex.focus.value = "runtime"
    ex.ignore.value = "mapassign"
    pd.testing.assert_frame_equal(ex.table(), profile_top(p, focus="runtime", ignore="mapassign"))
    assert _flame_root(ex.flame()) == filter_profile(p, focus="runtime", ignore="mapassign").total()


def test_it_draws_once_shown(evidence: ProfileEvidence, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    for target in ("apiprobe.widgets.profiles.display", "IPython.display.display"):  # ours, show_table's
        monkeypatch.setattr(target, lambda obj, **_: shown.append(_html(obj)))
    ex = ProfileExplorer(evidence, n=7)
    assert not ex.drawn and not shown  # headless: nothing computed or drawn until a front end shows it
    ex._view_count = 1
    html = "".join(shown)
    kept = evidence.profile.n_samples
    assert f"{kept:,} of {kept:,} samples kept (100.0% of the total)" in html
    assert "Top 7 functions" in html and html.count("<tr") == 7 + 1  # header and the first seven rows
    drawn = len(shown)
    ex.focus.value = MARSHAL  # redraws
    assert any(f"{ex.selection().n_samples:,} of {kept:,} samples kept" in h for h in shown[drawn:])


def test_the_selection_reuses_the_call_graph_of_the_profile(evidence: ProfileEvidence) -> None:
    """The flame graph of a selection reuses the graph the top table built (the cache is shared, still valid)."""
    from apiprobe.analyze._profile_graph import _graph

    ex = ProfileExplorer(evidence)
    ex.focus.value = MARSHAL
    ex.table()
    kept = ex.selection()
    assert _graph(kept, "functions") is _graph(ex.profile, "functions")
    kept.locations = list(kept.locations)  # other Location objects: the shared arrays are rebuilt, not trusted
    assert _graph(kept, "functions") is not _graph(ex.profile, "functions")
    pd.testing.assert_frame_equal(flame_table(kept), flame_table(filter_profile(evidence.profile, focus=MARSHAL)))
