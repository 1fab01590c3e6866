"""What every explorer shares: controls that redraw one output area, and the time-window slider."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import ipywidgets as w
import pandas as pd
from IPython.display import HTML, display

from apiprobe.errors import ApiprobeError

__all__ = ["ALL", "CSS_CLASS", "Explorer", "choices", "minute_window", "window_bounds"]

#: The option of a filter dropdown that keeps every value.
ALL = "(all)"
#: CSS class on every explorer's root element (the browser tests find explorers by it).
CSS_CLASS = "apiprobe-explorer"


class Explorer(w.VBox):
    """A box of controls above one :class:`ipywidgets.Output` that :meth:`draw` fills.

    Subclasses build their controls, then call :meth:`_start` with the rows to
    show and the controls to watch; any change of a watched control redraws.
    An :class:`~apiprobe.errors.ApiprobeError` or a bad regex raised while
    drawing is shown in the output as a message, not a traceback.

    The first drawing waits until a front end shows the explorer: ipywidgets'
    view count is tracked (``_view_count``), and JupyterLab reports each view
    it renders. A headless run (papermill, nbclient) renders no view, so the
    explorer draws nothing there and the cell finishes at once — a plotly
    figure captured by an ``Output`` widget would otherwise stall nbclient
    until the cell times out. Reports leave these cells out anyway.

    Attributes
    ----------
    out : ipywidgets.Output
        Where :meth:`draw` writes its figures and tables.
    drawn : bool
        Whether :meth:`refresh` has drawn at least once.
    """

    out: w.Output
    drawn: bool = False
    _quiet: int = 0

    def _start(self, rows: Sequence[w.Widget], watch: Iterable[w.ValueWidget], **kwargs: Any) -> None:
        self.out = w.Output()
        super().__init__([*rows, self.out], **kwargs)
        self.add_class(CSS_CLASS)
        for control in watch:
            control.observe(self._changed, names="value")
        self._view_count = 0  # the front end counts the views it renders
        self.observe(self._first_view, names="_view_count")

    def _changed(self, _change: dict[str, Any]) -> None:
        if self.drawn or self._view_count:  # never draw before a front end shows the explorer
            self.refresh()

    def _first_view(self, change: dict[str, Any]) -> None:
        if change["new"] and not self.drawn:
            self.refresh()

    def draw(self) -> None:
        """Display the figures and tables for the current controls (in :attr:`out`)."""
        raise NotImplementedError

    @contextmanager
    def _hush(self) -> Iterator[None]:
        """No redraw while dependent controls are reset together (the control that changed redraws once)."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def refresh(self) -> None:
        """Clear :attr:`out` and draw again for the current controls (not while controls are hushed)."""
        if self._quiet:
            return
        self.drawn = True
        self.out.clear_output(wait=True)
        with self.out:
            try:
                self.draw()
            except (ApiprobeError, re.error) as exc:
                display(HTML(f"<p><b>Cannot draw this selection:</b> {html.escape(str(exc))}</p>"))


def choices(values: pd.Series | Iterable[Any], *, all_label: str | None = ALL) -> list[Any]:
    """The distinct non-missing values, sorted, after ``all_label`` (if any).

    Parameters
    ----------
    values : pandas.Series or iterable
        The values a dropdown offers.
    all_label : str or None, default ``"(all)"``
        The first option, meaning "no filter"; None for none.

    Returns
    -------
    list
        ``[all_label, *sorted distinct values]``.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    distinct = sorted({str(v) for v in series.dropna().unique()})
    return ([all_label] if all_label is not None else []) + distinct


def minute_window(ts: pd.Series, *, description: str = "Window") -> w.SelectionRangeSlider:
    """A range slider over the minutes of ``ts`` (UTC), the whole span selected.

    Parameters
    ----------
    ts : pandas.Series
        Timestamps (tz-aware UTC); missing ones are ignored.
    description : str, default "Window"
        The slider's label.

    Returns
    -------
    ipywidgets.SelectionRangeSlider
        Options ``(label, minute)``; a single ``("—", None)`` when there is no time.
    """
    minutes = sorted(ts.dropna().dt.floor("min").unique()) if len(ts) else []
    options = [(f"{t:%m-%d %H:%M}", t) for t in minutes] or [("—", None)]
    return w.SelectionRangeSlider(
        options=options, index=(0, len(options) - 1), description=description, layout=w.Layout(width="95%")
    )


def window_bounds(slider: w.SelectionRangeSlider) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The selected window as ``[start, end)``: the last selected minute is included whole.

    Parameters
    ----------
    slider : ipywidgets.SelectionRangeSlider
        A slider from :func:`minute_window`.

    Returns
    -------
    tuple of (pandas.Timestamp or None, pandas.Timestamp or None)
        ``(None, None)`` when the data has no time.
    """
    start, end = slider.value if slider.value else (None, None)
    return start, (end + pd.Timedelta(minutes=1) if end is not None else None)
