"""Trace explorer: pick a trace (failing, slowest, by service, or by id) → its waterfall, critical path and logs."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from apiprobe._redact import redact_text
from apiprobe.analyze.traces import trace_summary
from apiprobe.notebook.tracing import TraceEvidence, pick_trace, show_critical_path, show_trace_logs
from apiprobe.plot import fig_trace_waterfall
from apiprobe.widgets._explorer import ALL, Explorer, choices

__all__ = ["LISTINGS", "TraceExplorer"]

#: The lists of traces offered, ``key → label``, in the order of the first dropdown.
LISTINGS: dict[str, str] = {
    "failing": "failing (error spans), slowest first",
    "slowest": "slowest first",
    "earliest": "earliest first",
}


class TraceExplorer(Explorer):
    """Pick a trace from a list (failing, slowest, earliest; by service) or paste its id.

    The trace is drawn by the static cells' calls: the waterfall
    :func:`~apiprobe.plot.fig_trace_waterfall`, then
    :func:`apiprobe.notebook.show_critical_path` and
    :func:`apiprobe.notebook.show_trace_logs`. The per-trace summary
    (:func:`~apiprobe.analyze.trace_summary`) is computed once, when the
    explorer is built, and so is which traces each service has a span in (from
    the spans' ``service``: a service name may hold a comma); a change of
    control only sorts and filters them. The list's labels show each trace's
    root span name with secrets redacted.

    Picking from the list clears the id box; an id typed in the box wins over
    the list until the list is used again. An id that is in no span gets a
    message (its log lines are still shown, if any carry it).

    Parameters
    ----------
    evidence : TraceEvidence
        What :func:`apiprobe.notebook.get_trace_evidence` returned. It is not modified.
    top : int, default 50
        Traces offered in the list.
    **kwargs : Any
        Passed on to :class:`ipywidgets.VBox`.

    Attributes
    ----------
    evidence : TraceEvidence
        The spans and log lines explored.
    summary : pandas.DataFrame
        One row per trace (:func:`~apiprobe.analyze.trace_summary`), slowest first.
    listing : ipywidgets.Dropdown
        Which traces to list: ``"failing"`` (with error spans), ``"slowest"`` or
        ``"earliest"`` (see :data:`LISTINGS`).
    service : ipywidgets.Dropdown
        Only traces with a span of this service, or ``"(all)"``.
    trace : ipywidgets.Dropdown
        The listed traces (short id · duration · root span, redacted · errors); its value is the trace id.
    trace_id : ipywidgets.Text
        A trace id typed or pasted (applied on Enter); empty: the one picked in :attr:`trace`.
    out : ipywidgets.Output
        Where the waterfall and the tables are drawn.
    """

    def __init__(self, evidence: TraceEvidence, *, top: int = 50, **kwargs: Any) -> None:
        self.evidence = evidence
        self.top = top
        spans = evidence.spans
        self.summary = (
            trace_summary(spans)
            .sort_values(["duration_ms", "trace_id"], ascending=[False, True])
            .reset_index(drop=True)
        )
        self._known = frozenset(self.summary["trace_id"].astype(str))
        services = choices(spans["service"]) if "service" in spans.columns else [ALL]
        self._through = _traces_through(spans, self.summary["trace_id"], services[1:])
        failing = bool((self.summary["error_spans"] > 0).any())
        self.listing = w.Dropdown(
            options=[(label, key) for key, label in LISTINGS.items()],
            value="failing" if failing else "slowest",
            description="List",
        )
        self.service = w.Dropdown(options=services, value=ALL, description="Service")
        self.trace = w.Dropdown(options=[], description="Trace", layout=w.Layout(width="60%"))
        self.trace_id = w.Text(
            value="", placeholder="paste a trace id, then Enter", description="Trace id", continuous_update=False
        )
        self._relist()
        self.listing.observe(lambda _c: self._relist(), names="value")
        self.service.observe(lambda _c: self._relist(), names="value")
        self.trace.observe(lambda _c: self._picked(), names="value")
        controls = (self.listing, self.service, self.trace, self.trace_id)
        self._start([w.HBox([self.listing, self.service]), w.HBox([self.trace, self.trace_id])], controls, **kwargs)

    def _relist(self) -> None:
        """Repopulate :attr:`trace` for the current list and service; its first trace is picked."""
        listed = self.selection()
        with self._hush():
            self.trace.options = [(_label(row), str(row.trace_id)) for row in listed.itertuples(index=False)]
            self.trace.value = str(listed["trace_id"].iloc[0]) if len(listed) else None
            self.trace_id.value = ""

    def _picked(self) -> None:
        """A trace picked from the list replaces a typed id."""
        if not self._quiet:
            with self._hush():
                self.trace_id.value = ""

    def selection(self) -> pd.DataFrame:
        """The traces listed for the current :attr:`listing` and :attr:`service`, at most ``top``.

        Returns
        -------
        pandas.DataFrame
            Rows of :attr:`summary` (same columns): failing traces slowest
            first, every trace slowest first, or every trace by start time.
        """
        df = self.summary
        if self.service.value != ALL:
            df = df[self._through.get(self.service.value, np.zeros(len(df), dtype=bool))]
        if self.listing.value == "failing":
            df = df[df["error_spans"] > 0]
        elif self.listing.value == "earliest":
            df = df.sort_values(["start", "trace_id"], kind="stable")
        return df.head(self.top).reset_index(drop=True)

    def chosen(self) -> str:
        """The trace shown: the id typed in :attr:`trace_id` if any, else the one picked in :attr:`trace`.

        Returns
        -------
        str
            A trace id (lower case, as :func:`apiprobe.notebook.pick_trace` makes it); ``""`` when none.
        """
        typed = self.trace_id.value.strip()
        return pick_trace(self.evidence, typed) if typed else str(self.trace.value or "")

    def spans(self) -> pd.DataFrame:
        """The spans of :meth:`chosen` (rows of the evidence's spans table, same columns).

        Returns
        -------
        pandas.DataFrame
            Empty when the trace is in no span.
        """
        spans = self.evidence.spans
        return spans[spans["trace_id"] == self.chosen()] if not spans.empty else spans

    def figure(self) -> go.Figure:
        """The waterfall of :meth:`chosen`, as the static cell draws it.

        Returns
        -------
        plotly.graph_objects.Figure
            :func:`~apiprobe.plot.fig_trace_waterfall` of the evidence's spans for the trace.
        """
        return fig_trace_waterfall(self.evidence.spans, self.chosen())

    def describe(self) -> str:
        """One line saying what is listed and which trace is shown (plain text).

        Returns
        -------
        str
            The list, its size, and the trace's duration, spans, services and error spans.
        """
        listed = self.selection()
        where = f" through {self.service.value}" if self.service.value != ALL else ""
        head = f"{len(listed)} traces listed ({LISTINGS[self.listing.value]}{where})"
        tid = self.chosen()
        if not tid:
            return head + "; no trace to show."
        if tid not in self._known:
            return f"{head}. Trace {tid} is in no span of the {len(self._known):,} traces read."
        row = self.summary[self.summary["trace_id"] == tid].iloc[0]
        return (
            f"{head}. Trace {tid}: {row['duration_ms']:,.0f} ms, {row['spans']} spans, "
            f"{row['n_services']} services, {row['error_spans']} error spans."
        )

    def draw(self) -> None:
        """Display the line from :meth:`describe`, the waterfall, the critical path and the trace's log lines."""
        from IPython.display import HTML, display

        tid = self.chosen()
        display(HTML(f"<p>{html.escape(self.describe())}</p>"))
        if not tid:
            return
        if tid in self._known:
            self.figure().show()
            show_critical_path(self.evidence, tid)
        show_trace_logs(self.evidence, tid)


def _traces_through(spans: pd.DataFrame, trace_ids: pd.Series, services: list[str]) -> dict[str, np.ndarray]:
    """Per service, which of ``trace_ids`` have a span of that service (read from the spans' ``service``)."""
    ids = pd.Index(trace_ids.astype(str))
    out = {s: np.zeros(len(ids), dtype=bool) for s in services}
    if "service" not in spans.columns or not len(ids):
        return out
    pairs = spans[["trace_id", "service"]].dropna()
    where = ids.get_indexer(pd.Index(pairs["trace_id"].astype(str)))  # position in trace_ids, -1 if absent
    codes, names = pd.factorize(pairs["service"].astype(str).to_numpy())
    for code, name in enumerate(names):
        if name in out:
            rows = where[(codes == code) & (where >= 0)]
            out[name][rows] = True
    return out


def _label(row: Any) -> str:
    """``short id · duration · root span · errors`` for one row of the trace summary (the span name redacted)."""
    root = redact_text(row.root_name) if isinstance(row.root_name, str) and row.root_name else "(no root span)"
    errors = f"{row.error_spans} error spans" if row.error_spans else "no errors"
    return f"{str(row.trace_id)[:8]} · {row.duration_ms:,.0f} ms · {root} · {errors}"
