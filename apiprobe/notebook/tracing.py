"""Notebook glue for 08_tracing: spans and logs of one incident, and their display."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from apiprobe.analyze.traces import (
    critical_path,
    join_logs_to_spans,
    propagation_report,
    trace_journeys,
    trace_summary,
)
from apiprobe.load.logs import read_logs
from apiprobe.load.traces import read_traces
from apiprobe.notebook._common import DEMO_DIR, heading, split_commas
from apiprobe.notebook._display import show_table
from apiprobe.schema import conform

__all__ = [
    "TraceEvidence",
    "get_trace_evidence",
    "pick_trace",
    "show_critical_path",
    "show_journeys",
    "show_propagation",
    "show_trace_logs",
    "show_trace_overview",
]


@dataclass(frozen=True)
class TraceEvidence:
    """Spans and log lines under review.

    Attributes
    ----------
    spans : pandas.DataFrame
        Spans of every trace file read, schema ``spans`` (may be empty).
    events : pandas.DataFrame
        Log lines, schema ``events`` (may be empty).
    source : str
        Where they came from, in words.
    """

    spans: pd.DataFrame
    events: pd.DataFrame
    source: str


def get_trace_evidence(
    *,
    traces_path: str | os.PathLike[str] = "",
    logs_path: str | os.PathLike[str] = "",
    service: str = "",
) -> TraceEvidence:
    """Read traces (OTLP, Jaeger or Zipkin JSON) and logs; the demo incident when both are empty.

    Parameters
    ----------
    traces_path, logs_path
        A file, folder or glob each; either may be empty.
    service
        Keep only this service's spans and lines (comma-separated for several).

    Returns
    -------
    TraceEvidence
        The spans, the log lines and their source.
    """
    if not traces_path and not logs_path:
        traces_path, logs_path = DEMO_DIR / "traces", DEMO_DIR / "logs"
        source = "the built-in demo incident (checkout through gateway, orders, payments, inventory, billing)"
    else:
        parts = [
            f"traces from {Path(traces_path).name}" if traces_path else "",
            f"logs from {Path(logs_path).name}" if logs_path else "",
        ]
        source = " and ".join(p for p in parts if p)
    spans = read_traces(traces_path) if traces_path else conform(None, "spans")
    events = read_logs(logs_path) if logs_path else conform(None, "events")
    if service:
        keep = set(split_commas(service))
        spans = spans[spans["service"].isin(keep)].reset_index(drop=True)
        events = events[events["service"].isin(keep)].reset_index(drop=True)
        source += f", services {', '.join(sorted(keep))}"
    return TraceEvidence(spans=spans, events=events, source=source)


def show_trace_overview(evidence: TraceEvidence, *, title: str = "") -> None:
    """Display what the notebook is looking at: spans and log lines per service.

    Parameters
    ----------
    evidence : TraceEvidence
        What :func:`get_trace_evidence` returned.
    title : str, optional
        A heading above the overview.
    """
    from IPython.display import HTML, display

    head = heading(title)
    sp, ev = evidence.spans, evidence.events
    traces = sp["trace_id"].nunique() if not sp.empty else 0
    display(
        HTML(
            head + f"<p>Data: {html.escape(evidence.source)}; {len(sp):,} spans in {traces:,} traces, "
            f"{len(ev):,} log lines.</p>"
        )
    )
    per_span = sp.groupby("service").agg(
        spans=("span_id", "size"),
        traces=("trace_id", "nunique"),
        error_spans=("status", lambda s: int((s == "error").sum())),
    )
    per_line = (
        ev.assign(has_trace=ev["trace_id"].notna())
        .groupby("service")
        .agg(log_lines=("ts", "size"), with_trace_id=("has_trace", "sum"))
    )
    table = per_span.join(per_line, how="outer").reset_index()
    show_table(table, caption="Evidence per service", float_format="{:.0f}")


def pick_trace(evidence: TraceEvidence, trace_id: str = "") -> str:
    """The trace to draw: ``trace_id`` if given, else the slowest trace with an error, else the slowest.

    Parameters
    ----------
    evidence : TraceEvidence
        What :func:`get_trace_evidence` returned.
    trace_id : str, optional
        A trace id chosen by the reader (stripped and lower-cased).

    Returns
    -------
    str
        The trace id, or ``""`` when there are no spans.
    """
    if trace_id:
        return trace_id.strip().lower()
    if evidence.spans.empty:
        return ""
    summary = trace_summary(evidence.spans)
    failing = summary[summary["error_spans"] > 0]
    pool = failing if not failing.empty else summary
    return str(pool.sort_values("duration_ms", ascending=False)["trace_id"].iloc[0])


def show_critical_path(evidence: TraceEvidence, trace_id: str) -> None:
    """Display the critical path of one trace, merged per span, longest first.

    Parameters
    ----------
    evidence : TraceEvidence
        What :func:`get_trace_evidence` returned.
    trace_id : str
        The trace (see :func:`pick_trace`); empty: a note that there is nothing to draw.
    """
    from IPython.display import HTML, display

    if not trace_id:
        display(HTML("<p><i>No spans: nothing to draw.</i></p>"))
        return
    path = critical_path(evidence.spans, trace_id)
    if path.empty:
        display(HTML(f"<p><i>Trace {html.escape(trace_id)} is not in the data.</i></p>"))
        return
    total = path["duration_ms"].sum()
    per_span = path.groupby(["service", "name", "span_id"], sort=False)["duration_ms"].sum().reset_index()
    per_span["share"] = per_span["duration_ms"] / total if total else float("nan")
    per_span = per_span.sort_values("duration_ms", ascending=False)
    show_table(
        per_span,
        caption=f"Critical path of trace {trace_id} ({total:,.0f} ms): time each span was the one everything waited on",
        float_format="{:.2f}",
    )


def show_propagation(evidence: TraceEvidence) -> None:
    """Display propagation problems: orphan spans, broken traces, services whose logs lack trace ids.

    Parameters
    ----------
    evidence : TraceEvidence
        What :func:`get_trace_evidence` returned.
    """
    from IPython.display import HTML, display

    report = propagation_report(
        evidence.spans if not evidence.spans.empty else None, evidence.events if not evidence.events.empty else None
    )
    if report.empty:
        display(HTML("<p><b>No propagation gaps found.</b></p>"))
        return
    counts = report.groupby(["issue", "service"]).size().rename("count").reset_index()
    show_table(counts, caption="Propagation problems by kind and service", float_format="{:.0f}")
    examples = report.groupby("issue", sort=False).head(5)
    cols = [c for c in ("issue", "service", "name", "ts", "detail") if c in examples.columns]
    show_table(examples[cols], caption="Examples (up to 5 per kind)", max_rows=25)


def show_journeys(evidence: TraceEvidence, *, top: int = 15) -> None:
    """Display per-trace journeys reconstructed from logs alone: failing and slowest first.

    Parameters
    ----------
    evidence : TraceEvidence
        What :func:`get_trace_evidence` returned.
    top : int, default 15
        Journeys shown.
    """
    from IPython.display import HTML, display

    journeys = trace_journeys(evidence.events) if not evidence.events.empty else pd.DataFrame()
    if journeys.empty:
        display(HTML("<p><i>No log lines with trace ids.</i></p>"))
        return
    outcome = journeys["outcome"].value_counts().rename_axis("outcome").rename("traces").reset_index()
    show_table(outcome, caption="Outcome of each trace id seen in the logs", float_format="{:.0f}")
    bad = (
        journeys.assign(_failed=journeys["outcome"].ne("ok"))
        .sort_values(["_failed", "elapsed_ms"], ascending=[False, False])
        .drop(columns="_failed")
    )
    cols = [
        c
        for c in (
            "trace_id",
            "services",
            "attempts",
            "outcome",
            "elapsed_ms",
            "entry_latency_ms",
            "max_status",
            "error_services",
        )
        if c in bad.columns
    ]
    show_table(bad[cols], caption="Failing and slowest journeys", max_rows=top)


def show_trace_logs(evidence: TraceEvidence, trace_id: str, *, max_rows: int = 40) -> None:
    """Display the log lines of one trace, each with the span it belongs to (by span id or by time).

    Parameters
    ----------
    evidence : TraceEvidence
        What :func:`get_trace_evidence` returned.
    trace_id : str
        The trace whose lines to show.
    max_rows : int, default 40
        Lines shown.
    """
    from IPython.display import HTML, display

    lines = evidence.events[evidence.events["trace_id"] == trace_id] if trace_id else evidence.events.iloc[:0]
    if lines.empty:
        display(HTML("<p><i>No log line carries this trace id.</i></p>"))
        return
    spans = evidence.spans[evidence.spans["trace_id"] == trace_id]
    joined = join_logs_to_spans(lines, spans) if not spans.empty else lines.assign(span_name=None, join_by=None)
    cols = [
        c
        for c in ("ts", "service", "level", "msg", "error", "status", "attempt", "span_name", "join_by")
        if c in joined.columns
    ]
    show_table(
        joined[cols],
        max_rows=max_rows,
        float_format="{:.0f}",
        caption=f"Log lines of trace {trace_id}, with the span each belongs to "
        "(join_by: span_id when the line carries one, time when only the trace id)",
        highlight=joined["level"].isin(["error", "fatal"]).fillna(False),
    )
