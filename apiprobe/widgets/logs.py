"""Log explorer: service, error kind, level and a time window → the errors, their templates, the lines."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from apiprobe.analyze.error_kinds import error_counts
from apiprobe.analyze.templates import mine_templates
from apiprobe.errors import InvalidParameterError
from apiprobe.notebook import show_table
from apiprobe.notebook.logs import LogEvidence
from apiprobe.plot import fig_error_counts
from apiprobe.widgets._explorer import ALL, Explorer, choices, minute_window, window_bounds

__all__ = ["ANY_ERROR", "LogsExplorer"]

#: The error-kind option that keeps every classified error line (any kind).
ANY_ERROR = "(any error)"
_FILTERS = ("service", "error_kind", "level")
_LINE_COLUMNS = ("ts", "service", "level", "error_kind", "msg", "error", "route", "status", "trace_id", "raw")


class LogsExplorer(Explorer):
    """Drill into classified logs: pick a service, an error kind, a level and a time window.

    The error timeline (:func:`~apiprobe.analyze.error_counts` drawn by
    :func:`~apiprobe.plot.fig_error_counts`) shows the lines of the chosen
    service, kind and level over the whole time range, with the chosen window
    shaded; below it come the message templates
    (:func:`~apiprobe.analyze.templates.mine_templates`) and a sample of the
    raw lines inside the window. The lines are read once: the columns filtered
    on are coded to integers and the templates mined when the explorer is
    built, so a change of control only combines boolean masks; the error
    counts behind the timeline are kept per service and level.

    Parameters
    ----------
    evidence : LogEvidence or pandas.DataFrame
        What :func:`apiprobe.notebook.get_log_evidence` returned, or an events
        table classified by :func:`apiprobe.analyze.classify_errors`. It is not modified.
    sample : int, default 30
        Raw lines shown (the latest ones of the selection).
    **kwargs : Any
        Passed on to :class:`ipywidgets.VBox`.

    Attributes
    ----------
    events : pandas.DataFrame
        The table explored.
    templates : pandas.DataFrame
        The message templates of every line (``template_id``, ``template``, ``count``, ``example``).
    service : ipywidgets.Dropdown
        The service shown, or ``"(all)"``.
    kind : ipywidgets.Dropdown
        The error kind, ``"(any error)"`` or ``"(all)"`` (every line, errors or not).
    level : ipywidgets.Dropdown
        The log level, or ``"(all)"``.
    window : ipywidgets.SelectionRangeSlider
        The time window (UTC, by the minute) whose templates and lines are listed.
    out : ipywidgets.Output
        Where the figure and tables are drawn.
    """

    def __init__(self, evidence: LogEvidence | pd.DataFrame, *, sample: int = 30, **kwargs: Any) -> None:
        events = evidence.events if isinstance(evidence, LogEvidence) else evidence
        if not isinstance(events, pd.DataFrame):
            raise InvalidParameterError(
                "LogsExplorer browses lines held in memory, and this evidence is an evidence store: give "
                "service='a,b' to get_log_evidence (those services' lines are read in), or query the store "
                "with apiprobe.open_events"
            )
        self.events = events
        self.sample = sample
        self._counts: dict[tuple[str, str], pd.DataFrame] = {}
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        for column in _FILTERS:
            values = events[column] if column in events.columns else pd.Series(pd.NA, index=events.index)
            codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
            self._codes[column] = (codes, [str(u) for u in uniques])
        ts = pd.to_datetime(events["ts"], utc=True, errors="coerce")
        self._ns = ts.to_numpy(dtype="datetime64[ns]").view("int64")
        self._has_ts = ts.notna().to_numpy(dtype=bool)
        ids, self.templates = mine_templates(events) if len(events) else (pd.Series(dtype="string"), _no_templates())
        self._template_codes = (
            pd.Index(self.templates["template_id"].astype(str)).get_indexer(pd.Index(ids.astype(object).fillna("")))
            if len(events)
            else np.empty(0, dtype=np.int64)
        )
        self.service = w.Dropdown(options=choices(self._codes["service"][1]), value=ALL, description="Service")
        kinds = choices(self._codes["error_kind"][1])
        self.kind = w.Dropdown(options=[kinds[0], ANY_ERROR, *kinds[1:]], value=ANY_ERROR, description="Error kind")
        self.level = w.Dropdown(options=choices(self._codes["level"][1]), value=ALL, description="Level")
        self.window = minute_window(ts)
        controls = (self.service, self.kind, self.level, self.window)
        self._start([w.HBox([self.service, self.kind, self.level]), self.window], controls, **kwargs)

    def _is(self, column: str, value: str) -> np.ndarray:
        codes, uniques = self._codes[column]
        return codes == (uniques.index(value) if value in uniques else -2)

    def mask(self, *, windowed: bool = True, by_kind: bool = True) -> np.ndarray:
        """Which lines match the controls.

        Parameters
        ----------
        windowed : bool, default True
            Also require the line's time to be inside :attr:`window` (lines
            without a time never are); False for the whole time range.
        by_kind : bool, default True
            Also require the chosen error kind; False keeps every line of the
            service and level (what an error rate is counted against).

        Returns
        -------
        numpy.ndarray of bool
            Aligned with :attr:`events`.
        """
        keep = np.ones(len(self.events), dtype=bool)
        if self.service.value != ALL:
            keep &= self._is("service", self.service.value)
        if by_kind and self.kind.value == ANY_ERROR:
            keep &= self._codes["error_kind"][0] >= 0
        elif by_kind and self.kind.value != ALL:
            keep &= self._is("error_kind", self.kind.value)
        if self.level.value != ALL:
            keep &= self._is("level", self.level.value)
        start, end = window_bounds(self.window)
        if windowed and start is not None and end is not None:
            keep &= self._has_ts & (self._ns >= start.value) & (self._ns < end.value)
        return keep

    def selection(self, *, windowed: bool = True) -> pd.DataFrame:
        """The lines that match the controls (see :meth:`mask`).

        Parameters
        ----------
        windowed : bool, default True
            Also keep only the lines inside :attr:`window`.

        Returns
        -------
        pandas.DataFrame
            Rows of :attr:`events`, same columns, in their order.
        """
        return self.events[self.mask(windowed=windowed)]

    def counts(self) -> pd.DataFrame:
        """Errors per minute of the chosen service and level, by kind (the chosen kind only, if one is).

        Counted by :func:`~apiprobe.analyze.error_counts` over every line of
        the service and level, so ``error_rate`` is errors over all those
        lines, as in the notebook's static cell. Kept per (service, level):
        changing the kind or moving the window recounts nothing.

        Returns
        -------
        pandas.DataFrame
            Rows of :func:`~apiprobe.analyze.error_counts` with ``by=("error_kind",)``.
        """
        key = (self.service.value, self.level.value)
        if key not in self._counts:
            lines = self.events[self.mask(windowed=False, by_kind=False)]
            self._counts[key] = error_counts(lines, by=("error_kind",))
        table = self._counts[key]
        if self.kind.value in (ALL, ANY_ERROR):
            return table
        return table[table["error_kind"] == self.kind.value].reset_index(drop=True)

    def figure(self) -> go.Figure:
        """The error timeline of the chosen service, kind and level, the window shaded once narrowed.

        Returns
        -------
        plotly.graph_objects.Figure
            :func:`~apiprobe.plot.fig_error_counts` of :meth:`counts`, over the whole time range.
        """
        fig = fig_error_counts(self.counts())
        start, end = window_bounds(self.window)
        narrowed = tuple(self.window.index) != (0, len(self.window.options) - 1)
        if start is not None and end is not None and narrowed:
            fig.add_vrect(
                x0=start.tz_localize(None),
                x1=end.tz_localize(None),
                fillcolor="#888",
                opacity=0.15,
                line_width=0,
                annotation_text="window",
                annotation_position="top left",
            )
        return fig

    def template_counts(self) -> pd.DataFrame:
        """The message templates of the lines in the selection, most frequent first.

        Returns
        -------
        pandas.DataFrame
            ``template_id``, ``template``, ``lines`` (in the selection), ``all_lines``
            (in the whole table) and ``example``.
        """
        codes = self._template_codes[self.mask()]
        counts = np.bincount(codes[codes >= 0], minlength=len(self.templates))
        table = self.templates.assign(lines=counts).rename(columns={"count": "all_lines"})
        table = table[table["lines"] > 0].sort_values(["lines", "template_id"], ascending=[False, True])
        return table[["template_id", "template", "lines", "all_lines", "example"]].reset_index(drop=True)

    def lines(self) -> pd.DataFrame:
        """The latest :attr:`sample` lines of the selection, newest first.

        Returns
        -------
        pandas.DataFrame
            Time, service, level, error kind, message, error, route, status,
            trace id and the raw line (the ones the table has).
        """
        rows = np.flatnonzero(self.mask())
        latest = rows[np.argsort(self._ns[rows], kind="stable")[::-1][: self.sample]] if len(rows) else rows
        cols = [c for c in _LINE_COLUMNS if c in self.events.columns]
        return self.events.iloc[latest][cols].reset_index(drop=True)

    def draw(self) -> None:
        """Display the timeline, the templates and the sample of lines for the current controls."""
        from IPython.display import HTML, display

        self.figure().show()
        matched = int(self.mask().sum())
        display(HTML(f"<p>{matched:,} lines match in the window.</p>"))
        show_table(
            self.template_counts(), caption="Message templates in the window", max_rows=20, float_format="{:.0f}"
        )
        lines = self.lines()
        show_table(
            lines,
            caption=f"The latest {len(lines)} matching lines (secrets redacted)",
            max_rows=self.sample,
            float_format="{:.0f}",
            highlight=lines["level"].isin(["error", "fatal"]).fillna(False) if "level" in lines else None,
        )


def _no_templates() -> pd.DataFrame:
    """An empty templates table (:func:`~apiprobe.analyze.templates.mine_templates` columns)."""
    return pd.DataFrame(
        {c: pd.Series(dtype="string") for c in ("template_id", "template", "example")}
        | {"count": pd.Series(dtype="int64")}
    )[["template_id", "template", "count", "example"]]
