"""Status-code explorer: a source, a route and a status code → the table row, a figure and the answers' bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from apiprobe._redact import redact_body
from apiprobe.analyze.status import classify_status_misuse, status_table
from apiprobe.notebook import show_table
from apiprobe.notebook.status import StatusEvidence
from apiprobe.plot import fig_status_by_route, fig_status_timeline
from apiprobe.widgets._explorer import ALL, Explorer

__all__ = ["StatusExplorer"]

#: Columns of an answer shown, when the table has them (events, HAR entries, probes).
_WHO_WHAT = ("ts", "service", "level", "method", "url", "route", "status", "msg", "error")
_ANSWER_COLUMNS = (*_WHO_WHAT, "body", "content_type", "request_body", "attrs", "trace_id")
_TABLE_COLUMNS = ("subject", "status", "count", "share", "misuse", "misuse_count", "recommended_status")
_KIND = ["status", "misuse", "recommended_status"]
_BODY_CHARS = 600


@dataclass(frozen=True)
class _Source:
    """One table of the evidence with what every redraw needs, computed once."""

    data: pd.DataFrame
    table: pd.DataFrame  # status_table(data)
    subject: np.ndarray  # per row of data, the code of its route group in `subjects` (-1 without a status)
    subjects: dict[str, int]  # route group (subject of the status table) → its code
    status: np.ndarray  # per row, the status code (-1 when missing)
    labels: pd.DataFrame  # per row (positional index): misuse, recommended_status
    order: np.ndarray  # row positions: misused answers first, then newest first

    @classmethod
    def build(cls, data: pd.DataFrame) -> _Source:
        """Label every answer and build the status table, once per source.

        The labels are :func:`~apiprobe.analyze.status.classify_status_misuse`'s
        and the table :func:`~apiprobe.analyze.status_table`'s, called as they
        are (each classifies the rows: about 7 s each for a million log lines,
        paid when the explorer is built, never on a change of control). Route
        groups are coded to integers so that a selection compares integers.
        """
        labelled = classify_status_misuse(data).reset_index(drop=True)
        labels = labelled[["misuse", "recommended_status"]]
        subject_codes, subjects = pd.factorize(labelled["subject"].astype("string"))
        ts = pd.to_datetime(data["ts"].reset_index(drop=True), utc=True, errors="coerce") if "ts" in data else pd.NaT
        keys = pd.DataFrame({"fine": labels["misuse"].isna().to_numpy(dtype=bool), "ts": ts}, index=labels.index)
        keys = keys.sort_values(["fine", "ts"], ascending=[True, False], na_position="last", kind="stable")
        status = data["status"] if "status" in data.columns else pd.Series(np.nan, index=data.index)
        return cls(
            data=data,
            table=status_table(data),
            subject=np.asarray(subject_codes, dtype=np.int64),
            subjects={str(name): code for code, name in enumerate(subjects)},
            status=pd.to_numeric(status, errors="coerce").fillna(-1).to_numpy(dtype="int64"),
            labels=labels,
            order=keys.index.to_numpy(),
        )


class StatusExplorer(Explorer):
    """Pick a source, a route and a status code: the rows of the status table, a figure and the answers.

    The table is :func:`~apiprobe.analyze.status_table` of the chosen source,
    the answers are labelled by :func:`~apiprobe.analyze.status.classify_status_misuse`
    (both computed once, when the explorer is built), and the figure is
    :func:`~apiprobe.plot.fig_status_by_route` over every route or
    :func:`~apiprobe.plot.fig_status_timeline` of one route's answers. Routes
    and codes are listed misused first. Every cell is shown escaped, secrets
    redacted; the bodies (``body``, ``request_body``) are cut to 600
    characters, the log messages and errors are shown whole.

    Parameters
    ----------
    evidence : StatusEvidence
        What :func:`apiprobe.notebook.get_status_evidence` returned. It is not modified.
    max_rows : int, default 30
        Answers listed.
    **kwargs : Any
        Passed on to :class:`ipywidgets.VBox`.

    Attributes
    ----------
    evidence : StatusEvidence
        The answers explored.
    source : ipywidgets.Dropdown
        The table: ``"request logs"``, ``"HAR entries"`` or ``"live probes"`` (the non-empty ones).
    route : ipywidgets.Dropdown
        The route group (``subject`` of the status table), misused first, or ``"(all)"``.
    code : ipywidgets.Dropdown
        The status code (int) on that route, misused first, or ``"(all)"``.
    out : ipywidgets.Output
        Where the table, the figure and the answers are drawn.

    Notes
    -----
    An answer whose status is only in a log line's attributes (not in its
    ``status`` column) is counted in the table but listed only under ``"(all)"`` codes.
    """

    def __init__(self, evidence: StatusEvidence, *, max_rows: int = 30, **kwargs: Any) -> None:
        self.evidence = evidence
        self.max_rows = max_rows
        self._sources = {name: _Source.build(df) for name, df in evidence.tables()}
        self._none = _Source.build(pd.DataFrame({"status": pd.Series(dtype="Int64")}))
        names = list(self._sources)
        self.source = w.Dropdown(options=names, value=names[0] if names else None, description="Source")
        self.route = w.Dropdown(options=[], description="Route", layout=w.Layout(width="55%"))
        self.code = w.Dropdown(options=[], description="Status")
        self._reroute()
        self.source.observe(lambda _c: self._reroute(), names="value")
        self.route.observe(lambda _c: self._recode(), names="value")
        controls = (self.source, self.route, self.code)
        self._start([w.HBox([self.source, self.code]), self.route], controls, **kwargs)

    def _current(self) -> _Source:
        return self._sources.get(self.source.value, self._none)

    def _reroute(self) -> None:
        """Repopulate :attr:`route` for the source: misused routes first; the first one picked."""
        table = self._current().table
        per = table.groupby("subject", sort=False).agg(total=("count", "sum"), misused=("misuse_count", "sum"))
        per = per.reset_index().sort_values(["misused", "total", "subject"], ascending=[False, False, True])
        options: list[tuple[str, str]] = [("(all routes)", ALL)]
        for subject, total, misused in zip(per["subject"], per["total"], per["misused"], strict=True):
            what = f"{misused:,} of {total:,} misused" if misused else f"{total:,} answers"
            options.append((f"{subject} · {what}", str(subject)))
        with self._hush():
            self.route.options = options
            self.route.value = str(per["subject"].iloc[0]) if len(per) and per["misused"].iloc[0] else ALL
            self._recode()

    def _recode(self) -> None:
        """Repopulate :attr:`code` for the route: misused codes first; the first misused one picked."""
        rows = self.table(code=ALL)
        per = rows.groupby("status").agg(count=("count", "sum"), misused=("misuse_count", "sum")).reset_index()
        per = per.sort_values(["misused", "count", "status"], ascending=[False, False, True])
        first = rows.dropna(subset=["misuse"]).drop_duplicates("status")
        kinds = {int(c): f"{m}" + ("" if pd.isna(r) else f" → {r}") for c, m, r in first[_KIND].itertuples(index=False)}
        options: list[tuple[str, Any]] = [("(all codes)", ALL)]
        for status, count, misused in zip(per["status"], per["count"], per["misused"], strict=True):
            label = f"{status} · {count:,} answers"
            if misused and self.route.value != ALL and int(status) in kinds:
                label += f" · {misused:,} {kinds[int(status)]}"
            elif misused:
                label += f" · {misused:,} misused"
            options.append((label, int(status)))
        with self._hush():
            self.code.options = options
            self.code.value = int(per["status"].iloc[0]) if len(per) and per["misused"].iloc[0] else ALL

    def table(self, *, code: Any = None) -> pd.DataFrame:
        """The rows of the source's status table for the chosen route and code.

        Parameters
        ----------
        code : int or "(all)", optional
            A status code instead of :attr:`code`'s.

        Returns
        -------
        pandas.DataFrame
            Rows of :func:`~apiprobe.analyze.status_table` of the source (same columns), in its order.
        """
        src = self._current()
        code = self.code.value if code is None else code
        keep = np.ones(len(src.table), dtype=bool)
        if self.route.value != ALL:
            keep &= (src.table["subject"] == self.route.value).to_numpy(dtype=bool)
        if code not in (ALL, None):
            keep &= (src.table["status"] == code).to_numpy(dtype=bool)
        return src.table[keep]

    def mask(self) -> np.ndarray:
        """Which rows of the source answer the chosen route with the chosen code.

        Returns
        -------
        numpy.ndarray of bool
            Aligned with the source table (rows without a status never match).
        """
        src = self._current()
        # route groups are coded once; a route the source lacks matches no row
        keep = src.subject >= 0 if self.route.value == ALL else src.subject == src.subjects.get(self.route.value, -2)
        if self.code.value not in (ALL, None):
            keep &= src.status == self.code.value
        return keep

    def answers(self) -> pd.DataFrame:
        """The first ``max_rows`` matching answers: misused first, then newest first.

        Returns
        -------
        pandas.DataFrame
            Time, service, level, method, URL, route, status, message, error,
            body, content type, request body, log fields (``attrs`` without
            empty fields) and trace id (those the source has), then ``misuse``
            and ``recommended_status``. Bodies are redacted and cut to 600 characters.
        """
        src = self._current()
        rows = src.order[self.mask()[src.order]][: self.max_rows]
        cols = [c for c in _ANSWER_COLUMNS if c in src.data.columns]
        out = src.data.iloc[rows][cols].reset_index(drop=True)
        for col in ("body", "request_body"):
            if col in out.columns:
                types = out["content_type"] if "content_type" in out.columns else pd.Series(None, index=out.index)
                out[col] = [
                    _cut(redact_body(b, t if isinstance(t, str) else None))
                    for b, t in zip(out[col], types, strict=True)
                ]
        if "attrs" in out.columns:
            out["attrs"] = [_fields(a) for a in out["attrs"].tolist()]
        return out.join(src.labels.iloc[rows].reset_index(drop=True))

    def figure(self) -> go.Figure:
        """Status classes per route (every route), or one route's answers per minute.

        Returns
        -------
        plotly.graph_objects.Figure
            :func:`~apiprobe.plot.fig_status_by_route` of :meth:`table` when the route
            is ``"(all)"``, else :func:`~apiprobe.plot.fig_status_timeline` of the matching answers.
        """
        src, name = self._current(), self.source.value
        code = "" if self.code.value in (ALL, None) else f", status {self.code.value}"
        if self.route.value == ALL or "ts" not in src.data.columns:
            return fig_status_by_route(self.table(), title=f"Status classes per route — {name}{code}")
        rows = src.data[self.mask()]
        return fig_status_timeline(rows, title=f"{self.route.value}{code}: answers per minute — {name}")

    def draw(self) -> None:
        """Display the status-table rows, the figure and the matching answers (escaped, redacted)."""
        from IPython.display import HTML, display

        if not self._sources:
            display(HTML("<p><i>No request logs, HAR entries or probes with a status.</i></p>"))
            return
        table, answers = self.table().reset_index(drop=True), self.answers()
        route = "every route" if self.route.value == ALL else self.route.value
        caption = f"{self.source.value}: status codes of {route}"
        show_table(table[[*_TABLE_COLUMNS]], caption=caption, float_format="{:.2f}", highlight=table["misuse"].notna())
        self.figure().show()
        shown = f"the first {len(answers)} shown, misused first" if len(answers) else "none"
        caption = f"{int(self.mask().sum()):,} matching answers ({shown}; secrets redacted)"
        show_table(answers, caption=caption, max_rows=self.max_rows, highlight=answers["misuse"].notna())


def _cut(text: str | None) -> str | None:
    """At most 600 characters of ``text``, an ellipsis marking a cut."""
    return text if text is None or len(text) <= _BODY_CHARS else text[:_BODY_CHARS] + "…"


def _fields(attrs: Any) -> Any:
    """A log line's attributes without the empty ones (an Arrow struct has every key on every line)."""
    if not isinstance(attrs, dict):
        return attrs
    return {k: v for k, v in attrs.items() if v is not None and not (isinstance(v, float) and v != v)}
