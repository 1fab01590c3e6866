"""Findings from spans and logs: ``propagation_gap`` and ``slow_span`` (:func:`detect_span_faults`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.traces._propagation import propagation_report
from apiprobe.analyze.traces._spans import _DETECTOR, _REF, _prep
from apiprobe.analyze.traces._structure import critical_path, trace_summary
from apiprobe.errors import InvalidParameterError

# --------------------------------------------------------------------------- findings


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _slow_traces(spans: pd.DataFrame, slow_ms: float | None, quantile: float) -> tuple[list[str], float]:
    summary = trace_summary(spans)
    summary = summary[summary["duration_ms"].notna()]
    if summary.empty:
        return [], float("nan")
    threshold = float(slow_ms) if slow_ms is not None else float(summary["duration_ms"].quantile(quantile))
    slow = summary[summary["duration_ms"] >= threshold]
    return slow["trace_id"].astype(str).tolist(), threshold


def _slow_span_findings(
    spans: pd.DataFrame, slow_ms: float | None, quantile: float, dominant_share: float
) -> list[dict[str, Any]]:
    slow, threshold = _slow_traces(spans, slow_ms, quantile)
    if not slow:
        return []
    cp = critical_path(spans[spans["trace_id"].isin(slow)])
    if cp.empty:
        return []
    cp = cp.assign(service=cp["service"].fillna("(unknown)"), name=cp["name"].fillna("(unnamed)"))
    total = cp.groupby("trace_id")["duration_ms"].sum()
    per = cp.groupby(["trace_id", "service"])["duration_ms"].sum().reset_index()
    per["share"] = per["duration_ms"] / per["trace_id"].map(total)
    n_slow = per["trace_id"].nunique()
    rows: list[dict[str, Any]] = []
    for svc, g in per.groupby("service"):
        dominant = g[g["share"] >= dominant_share]
        if len(dominant) * 2 < n_slow or dominant.empty:
            continue
        ops = cp[(cp["service"] == svc) & cp["trace_id"].isin(dominant["trace_id"])]
        top_op = ops.groupby("name")["duration_ms"].sum().sort_values(ascending=False).index[0]
        op_share = float(ops.loc[ops["name"] == top_op, "duration_ms"].sum() / ops["duration_ms"].sum())
        med = float(dominant["share"].median())
        which = (
            f"≥ {slow_ms:g} ms"
            if slow_ms is not None
            else f"≥ {threshold:,.0f} ms, the p{quantile * 100:g} of trace durations"
        )
        sel = spans[spans["trace_id"].isin(dominant["trace_id"])]
        rows.append(
            finding(
                _DETECTOR,
                "slow_span",
                "warning",
                str(svc),
                metric="critical_path_share",
                value=med,
                threshold=dominant_share,
                ts_start=sel["start"].min(),
                ts_end=sel["end"].max(),
                evidence=(
                    f"In {len(dominant)} of {n_slow} slow traces ({which}), {svc} takes a median "
                    f"{med:.0%} of the critical path, {op_share:.0%} of it in '{top_op}'."
                ),
                recommendation=(
                    f"Start with {svc}: open one of these traces in the waterfall and compare "
                    f"'{top_op}' self time with its children; if its own time dominates, profile it "
                    "(§3.1), if a downstream call does, look at that call's timeout and retries."
                ),
                handbook_ref=_REF,
            )
        )
    return rows


def _propagation_findings(
    report: pd.DataFrame, spans: pd.DataFrame | None, min_coverage: float
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    n_spans = _prep(spans).groupby("service").size() if spans is not None and len(spans) else pd.Series(dtype=int)
    orph = report[report["issue"] == "orphan_span"]
    for svc, g in orph.groupby(orph["service"].fillna("(unknown)")):
        total = int(n_spans.get(svc, len(g)))
        rows.append(
            finding(
                _DETECTOR,
                "propagation_gap",
                "warning",
                str(svc),
                metric="orphan_spans",
                value=len(g),
                threshold=0,
                ts_start=g["ts"].min(),
                ts_end=g["ts"].max(),
                evidence=(
                    f"{len(g)} of {total} spans of {svc} ({_plural(g['trace_id'].nunique(), 'trace')}) name a "
                    "parent span that is not in their trace."
                ),
                recommendation=(
                    f"The trace id reached {svc} but its parent span was never exported: check that the "
                    "caller exports its spans (sampler, exporter errors, an uninstrumented proxy that "
                    "forwards traceparent) and that every file of the trace was loaded."
                ),
                handbook_ref=_REF,
            )
        )
    broken = report[report["issue"].isin(["restarted_trace", "missing_server_span"])]
    for (svc, callee, issue), g in broken.groupby(
        [broken["service"].fillna("(unknown)"), broken["other_service"].fillna("(unknown)"), broken["issue"]]
    ):
        restarted = issue == "restarted_trace"
        rows.append(
            finding(
                _DETECTOR,
                "propagation_gap",
                "critical" if restarted else "warning",
                f"{svc} → {callee}",
                metric="broken_calls",
                value=len(g),
                threshold=0,
                ts_start=g["ts"].min(),
                ts_end=g["ts"].max(),
                evidence=(
                    f"{_plural(len(g), 'call')} from {svc} to {callee} continued under a new trace id in "
                    f"{callee} (its spans start a trace during the call)."
                    if restarted
                    else f"{_plural(len(g), 'call')} from {svc} to {callee} left no {callee} span under them, "
                    f"although {callee} records spans."
                ),
                recommendation=(
                    f"Propagate the context on this hop: {svc} must inject it into the outgoing request "
                    "(otelhttp.NewTransport, or propagator.Inject with the request's ctx, not "
                    f"context.Background()) and {callee} must extract it (otelhttp.NewHandler; the same "
                    "propagator — W3C traceparent vs B3 — on both sides)."
                ),
                handbook_ref=_REF,
            )
        )
    logs = report[report["issue"] == "logs_without_trace_id"]
    for _, r in logs.iterrows():
        everyone = r["service"] == "(all services)"
        rows.append(
            finding(
                _DETECTOR,
                "propagation_gap",
                "info" if everyone else "warning",
                str(r["service"]),
                metric="trace_id_share",
                value=float(r["value"]),
                threshold=None if everyone else min_coverage,
                evidence=str(r["detail"]).capitalize() + ".",
                recommendation=(
                    "Log the trace id with every line: take it from the request context "
                    "(trace.SpanContextFromContext(ctx).TraceID()) in a logger middleware, so logs "
                    "can be joined to traces and to each other."
                ),
                handbook_ref=_REF,
            )
        )
    return rows


def detect_span_faults(
    spans: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    *,
    slow_ms: float | None = None,
    slow_quantile: float = 0.9,
    dominant_share: float = 0.5,
    min_coverage: float = 0.1,
    skew_ms: float = 25.0,
) -> pd.DataFrame:
    """Findings (handbook §3.2) from spans and/or log lines.

    * ``propagation_gap``: orphan spans (per service), calls whose callee
      restarted the trace or left no span (per caller → callee pair, see
      :func:`broken_traces`), services whose log lines carry no trace id
      while others' do (:func:`trace_coverage`).
    * ``slow_span``: a service taking at least ``dominant_share`` of the
      critical path in at least half of the slow traces.

    Parameters
    ----------
    spans, events
        A ``spans`` table and an ``events`` table; either may be None.
    slow_ms
        Traces at least this long (ms) are slow; by default the slowest
        ``1 − slow_quantile`` of the traces (duration ≥ that quantile).
    slow_quantile
        Quantile of trace duration above which a trace is slow.
    dominant_share
        Critical-path share (0–1) above which one service dominates a trace.
    min_coverage
        Trace-id share (0–1) of log lines below which a service is flagged.
    skew_ms
        Clock skew allowed when matching restarted traces, ms.

    Returns
    -------
    pandas.DataFrame
        A findings table, most severe first.
    """
    if not 0 < slow_quantile < 1:
        raise InvalidParameterError(f"slow_quantile must be in (0, 1), got {slow_quantile!r}")
    if not 0 < dominant_share <= 1:
        raise InvalidParameterError(f"dominant_share must be in (0, 1], got {dominant_share!r}")
    report = propagation_report(spans, events, skew_ms=skew_ms, min_coverage=min_coverage)
    rows = _propagation_findings(report, spans, min_coverage)
    if spans is not None and len(spans):
        rows += _slow_span_findings(spans, slow_ms, slow_quantile, dominant_share)
    return findings_frame(rows)
