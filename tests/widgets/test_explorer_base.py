"""What every explorer shares: it draws once a front end shows it, and never stalls a headless run."""

from __future__ import annotations

import json
from pathlib import Path

import ipywidgets as w
import pandas as pd
import pytest

from apiprobe.errors import InvalidParameterError
from apiprobe.widgets._explorer import ALL, CSS_CLASS, Explorer, choices, minute_window, window_bounds

REPO = Path(__file__).resolve().parents[2]


class _Counting(Explorer):
    """An explorer that counts its drawings and fails on demand."""

    def __init__(self) -> None:
        self.draws = 0
        self.pick = w.Dropdown(options=["a", "b", "bad"], value="a")
        self._start([self.pick], [self.pick])

    def draw(self) -> None:
        self.draws += 1
        if self.pick.value == "bad":
            raise InvalidParameterError("pick: 'bad' is not drawable")


def test_first_drawing_waits_for_a_front_end_view() -> None:
    ex = _Counting()
    assert ex.draws == 0 and not ex.drawn and ex._view_count == 0  # headless: nothing drawn
    ex.pick.value = "b"  # set in code before any view: still nothing drawn
    assert ex.draws == 0
    assert CSS_CLASS in ex._dom_classes
    ex._view_count = 1  # what JupyterLab reports when it renders the widget
    assert ex.draws == 1 and ex.drawn
    ex._view_count = 2  # a second view of the same explorer does not redraw
    assert ex.draws == 1
    ex.pick.value = "a"
    assert ex.draws == 2


def test_an_error_while_drawing_is_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr("apiprobe.widgets._explorer.display", shown.append)  # outside a kernel: record it
    ex = _Counting()
    ex._view_count = 1
    ex.pick.value = "bad"
    assert ex.draws == 2 and len(shown) == 1
    html = shown[0].data  # type: ignore[attr-defined]
    assert "Cannot draw this selection" in html and "&#x27;bad&#x27; is not drawable" in html


def test_choices_and_the_minute_window() -> None:
    assert choices(pd.Series(["b", None, "a", "b"])) == [ALL, "a", "b"]
    assert choices(["x"], all_label=None) == ["x"]
    ts = pd.Series(pd.to_datetime(["2026-03-14 10:00:10", "2026-03-14 10:02:50", None], utc=True))
    slider = minute_window(ts)
    assert [label for label, _ in slider.options] == ["03-14 10:00", "03-14 10:01", "03-14 10:02"][::2]
    start, end = window_bounds(slider)
    assert start == pd.Timestamp("2026-03-14 10:00", tz="UTC") and end == pd.Timestamp("2026-03-14 10:03", tz="UTC")
    assert window_bounds(minute_window(ts.iloc[:0])) == (None, None)


@pytest.mark.slow
def test_a_notebook_with_an_explorer_runs_headless_with_papermill(tmp_path: Path) -> None:
    """Run directly by papermill (explore cells included), the notebook finishes: no stalled widget output."""
    papermill = pytest.importorskip("papermill")
    out = tmp_path / "out.ipynb"
    # a stall would fail as the cell timeout, not hang the suite
    papermill.execute_notebook(
        str(REPO / "notebooks" / "09_logs_errors.ipynb"), str(out), kernel_name="python3", execution_timeout=300
    )
    cells = json.loads(out.read_text())["cells"]
    explore = [c for c in cells if c["cell_type"] == "code" and "interactive-only" in c["metadata"].get("tags", [])]
    assert explore, "the notebook has an explore cell"
    shown = [
        o for c in explore for o in c["outputs"] if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert shown, "the explorer's controls are in the output (drawn once a front end shows them)"
