"""Trace figures: a span waterfall with the critical path, self time per service, trace-id coverage of logs.

Every ``fig_*`` function is pure: it takes a ``spans`` or ``events`` table,
never mutates it, never calls ``.show()`` and returns a
:class:`plotly.graph_objects.Figure`. Each service keeps its colour in every
figure (:func:`service_color`); red is kept for errors. Text that comes from
the data (span names, attributes) is HTML-escaped and truncated before it
reaches a label or a hover box.
"""

from __future__ import annotations

import html
import zlib
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from apiprobe._redact import REDACTED, is_secret_name, redact_value
from apiprobe.analyze.traces import critical_path, self_time, service_self_time, span_tree, trace_coverage
from apiprobe.errors import InvalidParameterError
from apiprobe.plot._core import base_layout, nothing_to_draw

__all__ = [
    "CRITICAL_COLOR",
    "ERROR_COLOR",
    "MAX_WATERFALL_SPANS",
    "fig_service_self_time",
    "fig_trace_coverage",
    "fig_trace_waterfall",
    "fig_waterfall",
    "service_color",
]

#: Outline and marker colour of error spans.
ERROR_COLOR = "#d62728"
#: Colour of the critical-path segments drawn over the spans.
CRITICAL_COLOR = "#1a1a1a"
#: Most spans one waterfall draws; larger traces show their first spans in tree order.
MAX_WATERFALL_SPANS = 300

# qualitative palettes without their red, so red always means "error"
_PALETTE: tuple[str, ...] = tuple(
    c
    for c in (*qualitative.D3, *qualitative.Set2, *qualitative.Dark2)
    if c.lower() not in ("#d62728", "#e41a1c", "#fb8072")
)
_MAX_LABEL = 48
_MAX_VALUE = 80
_NS_PER_MS = 1e6


def service_color(service: Any) -> str:
    """Colour of a service, the same in every figure and every table (a hash of its name)."""
    name = "" if service is None or (isinstance(service, float) and np.isnan(service)) else str(service)
    return _PALETTE[zlib.crc32(name.encode("utf-8")) % len(_PALETTE)]


def _clip(text: Any, width: int) -> str:
    s = "" if text is None or (not isinstance(text, (dict, list)) and pd.isna(text)) else str(text)
    s = s.replace("\n", " ")
    return html.escape(s if len(s) <= width else s[: width - 1] + "…")


def _attrs_text(attrs: Any, max_attrs: int) -> str:
    if not isinstance(attrs, dict) or not attrs:
        return ""
    items = sorted(attrs.items(), key=lambda kv: str(kv[0]))
    lines = [
        f"{_clip(k, 40)} = {_clip(REDACTED if is_secret_name(str(k)) else redact_value(v), _MAX_VALUE)}"
        for k, v in items[:max_attrs]
    ]
    if len(items) > max_attrs:
        lines.append(f"… {len(items) - max_attrs} more")
    return "<br>" + "<br>".join(lines)


def _ms(ns: np.ndarray, t0: int) -> np.ndarray:
    out = (ns - t0).astype("float64") / _NS_PER_MS
    out[ns == np.iinfo("int64").min] = np.nan
    return out


def _int_ns(series: pd.Series) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(pd.to_datetime(series, utc=True)).as_unit("ns").asi8, dtype="int64")


def _pick_trace(spans: pd.DataFrame) -> str | None:
    """The trace with the longest extent (first start to last end), as the most interesting to draw."""
    s, e = _int_ns(spans["start"]), _int_ns(spans["end"])
    nat = np.iinfo("int64").min
    work = pd.DataFrame(
        {
            "t": spans["trace_id"].astype("string").to_numpy(),
            "s": np.where(s == nat, np.nan, s.astype("float64")),
            "e": np.where(e == nat, np.nan, e.astype("float64")),
        }
    ).dropna(subset=["t"])
    if work.empty:
        return None
    ext = (work.groupby("t", sort=False)["e"].max() - work.groupby("t", sort=False)["s"].min()).fillna(-1)
    return str(ext.idxmax())


def fig_trace_waterfall(
    spans: pd.DataFrame,
    trace_id: str | None = None,
    *,
    critical: bool = True,
    max_spans: int = MAX_WATERFALL_SPANS,
    max_attrs: int = 12,
    title: str | None = None,
) -> go.Figure:
    """The spans of one trace as a waterfall: one bar per span, children under their parent.

    Rows follow the tree (depth first, children by start time) and labels
    are indented by depth; a span whose parent is missing starts its own
    subtree and is marked ``⚠``. Bars are coloured by service
    (:func:`service_color`); error spans are outlined in red and get a red
    ✕ at their end; the critical path (:func:`~apiprobe.analyze.traces.critical_path`)
    is drawn as thin dark bars over the spans it runs through. Hovering a
    span shows its kind, status, timing, self time and attributes (at most
    ``max_attrs``, each value cut to 80 characters, HTML-escaped).

    Parameters
    ----------
    spans
        A ``spans`` table.
    trace_id
        The trace to draw; None draws the longest trace in the table.
    critical
        Draw the critical path.
    max_spans
        Most spans to draw (the first in tree order); the subtitle says when
        spans were left out.
    max_attrs
        Most attributes listed in a hover box.
    title
        Figure title; a default naming the trace is used when None.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per service (named by the service; ``customdata``
        holds the span ids), then an ``"error"`` marker trace and a
        ``"critical path"`` bar trace when there are errors / a path. The y
        axis is the row position, labelled with the indented span names;
        the x axis is milliseconds since the trace started.
    """
    if max_spans < 1:
        raise InvalidParameterError(f"max_spans must be at least 1, got {max_spans}")
    if spans is None or len(spans) == 0:
        return nothing_to_draw(title or "Trace waterfall", "the spans table is empty")
    tid = trace_id if trace_id is not None else _pick_trace(spans)
    title = title or (f"Trace {tid}" if tid is not None else "Trace waterfall")
    if tid is None:
        return nothing_to_draw(title, "no span has a trace id")
    rows = span_tree(spans, tid)
    if rows.empty:
        return nothing_to_draw(title, f"trace {tid} is not in the table")
    n_all = len(rows)
    rows = rows.iloc[:max_spans].reset_index(drop=True)
    s_ns, e_ns = _int_ns(rows["start"]), _int_ns(rows["end"])
    nat = np.iinfo("int64").min
    if (s_ns == nat).all():
        return nothing_to_draw(title, f"none of the {n_all} spans of trace {tid} has a start time")
    t0 = int(s_ns[s_ns != nat].min())
    start, end = _ms(s_ns, t0), _ms(e_ns, t0)
    dur = end - start
    selfs = self_time(spans[spans["trace_id"] == tid]).set_index("span_id")["self_ms"]
    err = (rows["status"].astype("string") == "error").fillna(False).to_numpy(dtype=bool)
    orphan = rows["parent_missing"].to_numpy(dtype=bool)
    services = rows["service"].astype("string").fillna("(unknown)").astype(object).to_numpy()
    depth = rows["depth"].to_numpy(dtype=int)
    labels = [
        ("\u00a0\u00a0" * int(d)) + ("⚠ " if o else "") + _clip(f"{svc}: {_clip_raw(name)}", _MAX_LABEL)
        for d, o, svc, name in zip(depth, orphan, services, rows["name"], strict=True)
    ]
    y = np.arange(len(rows))
    hover = []
    for i in range(len(rows)):
        r = rows.iloc[i]
        timing = (
            f"start +{start[i]:,.3f} ms · duration {dur[i]:,.3f} ms"
            if np.isfinite(dur[i])
            else f"start +{start[i]:,.3f} ms · no end time"
            if np.isfinite(start[i])
            else "no start time"
        )
        own = selfs.get(r["span_id"], np.nan)
        parts = [
            f"<b>{_clip(services[i], 60)}</b>: {_clip(r['name'], 100)}",
            f"kind {_clip(r.get('kind'), 20) or '?'} · status {_clip(r.get('status'), 20) or '?'}"
            + (
                f" · HTTP {int(r['http_status'])}"
                if "http_status" in rows.columns and pd.notna(r["http_status"])
                else ""
            ),
            timing + (f" · self {own:,.3f} ms" if pd.notna(own) else ""),
            f"span {_clip(r['span_id'], 40)}"
            + (f" · parent {_clip(r['parent_span_id'], 40)} (not in the trace)" if orphan[i] else ""),
        ]
        hover.append("<br>".join(parts) + _attrs_text(r.get("attrs"), max_attrs))
    hover_arr = np.asarray(hover, dtype=object)

    fig = go.Figure()
    for svc in sorted(set(services)):
        m = services == svc
        color = service_color(svc)
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=y[m],
                x=np.nan_to_num(dur[m], nan=0.0),
                base=np.nan_to_num(start[m], nan=0.0),
                name=svc,
                width=0.7,
                hovertext=hover_arr[m],
                hovertemplate="%{hovertext}<extra></extra>",
                customdata=rows["span_id"].astype(str).to_numpy()[m],
                marker={
                    "color": color,
                    "line": {
                        "color": [ERROR_COLOR if e else color for e in err[m]],
                        "width": [2 if e else 0 for e in err[m]],
                    },
                },
            )
        )
    if err.any():
        xs = np.where(np.isfinite(end), end, start)[err]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=y[err],
                mode="markers",
                name="error",
                marker={"symbol": "x", "color": ERROR_COLOR, "size": 9, "line": {"width": 1, "color": "white"}},
                hovertext=hover_arr[err],
                hovertemplate="%{hovertext}<extra>error</extra>",
            )
        )
    cp_total = np.nan
    if critical:
        cp = critical_path(spans, tid)
        pos = {sid: i for i, sid in enumerate(rows["span_id"])}
        cp = cp[cp["span_id"].isin(pos)]
        if len(cp):
            cs, ce = _ms(_int_ns(cp["start"]), t0), _ms(_int_ns(cp["end"]), t0)
            cp_total = float(cp["duration_ms"].sum())
            fig.add_trace(
                go.Bar(
                    orientation="h",
                    y=[pos[s] for s in cp["span_id"]],
                    x=ce - cs,
                    base=cs,
                    width=0.22,
                    name="critical path",
                    marker={"color": CRITICAL_COLOR, "line": {"width": 0}},
                    customdata=cp["span_id"].astype(str).to_numpy(),
                    hovertemplate="critical path: %{x:,.3f} ms<extra></extra>",
                )
            )
    extent = np.nanmax(end) if np.isfinite(end).any() else np.nanmax(start)
    sub = [f"{n_all} spans, {len(set(services))} services, {extent:,.1f} ms"]
    if np.isfinite(cp_total):
        sub.append("critical path dark")
    if err.any():
        sub.append(f"{int(err.sum())} error spans outlined red")
    if orphan.any():
        sub.append(f"{int(orphan.sum())} with a missing parent (⚠)")
    if n_all > len(rows):
        sub.append(f"first {len(rows)} of {n_all} spans shown")
    base_layout(fig, title, "; ".join(sub), height=int(min(2400, max(320, 140 + 24 * len(rows)))))
    fig.update_layout(barmode="overlay", bargap=0.2, hovermode="closest", legend={"title": {"text": "service"}})
    fig.update_yaxes(tickvals=y.tolist(), ticktext=labels, autorange="reversed", showgrid=False)
    fig.update_xaxes(title_text="ms since the trace started", rangemode="tozero")
    return fig


def _clip_raw(text: Any) -> str:
    return "" if text is None or (not isinstance(text, (dict, list)) and pd.isna(text)) else str(text)


#: Short name: the waterfall of a trace (``apiprobe.plot`` exports it as ``fig_trace_waterfall``,
#: since ``fig_waterfall`` there is the request-phase waterfall of probes).
fig_waterfall = fig_trace_waterfall


def fig_service_self_time(spans: pd.DataFrame, *, top: int = 20, title: str | None = None) -> go.Figure:
    """Self time per service (:func:`~apiprobe.analyze.traces.service_self_time`) as horizontal bars.

    A service's self time is the time its spans spent outside their
    children: its own code, or waiting on something that has no span. The
    service with the most self time is at the top.

    Parameters
    ----------
    spans
        A ``spans`` table.
    top
        Most services shown; the rest are summed into ``"(other)"``.
    title
        Figure title; a default is used when None.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` (``y`` services, ``x`` self time in ms, text the share).
    """
    title = title or "Where the time goes: self time per service"
    if spans is None or len(spans) == 0:
        return nothing_to_draw(title, "the spans table is empty")
    table = service_self_time(spans)
    if table.empty:
        return nothing_to_draw(title, f"none of the {len(spans):,} spans has both a start and an end time")
    if len(table) > top:
        rest = table.iloc[top - 1 :]
        other = pd.DataFrame(
            {
                "service": ["(other)"],
                "spans": [rest["spans"].sum()],
                "traces": [np.nan],
                "self_ms": [rest["self_ms"].sum()],
                "mean_self_ms": [np.nan],
                "share": [rest["share"].sum()],
            }
        )
        table = pd.concat([table.iloc[: top - 1], other], ignore_index=True)
    names = table["service"].astype(str).tolist()
    share = table["share"].to_numpy(dtype="float64")
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=[_clip(n, _MAX_LABEL) for n in names],
            x=table["self_ms"].to_numpy(dtype="float64"),
            marker={"color": [service_color(n) if n != "(other)" else "#bbbbbb" for n in names]},
            text=[f"{v:.0%}" if np.isfinite(v) else "" for v in share],
            textposition="auto",
            customdata=np.column_stack([table["spans"].to_numpy(dtype="float64"), share * 100]),
            hovertemplate=(
                "<b>%{y}</b><br>self time %{x:,.1f} ms (%{customdata[1]:.1f} % of all)"
                "<br>over %{customdata[0]:.0f} spans<extra></extra>"
            ),
            name="self time",
        )
    )
    n_traces = spans["trace_id"].nunique()
    base_layout(
        fig,
        title,
        f"{len(spans):,} spans in {n_traces:,} traces; self time = span duration minus the "
        "time covered by its children",
        height=max(300, 140 + 30 * len(names)),
    )
    fig.update_layout(showlegend=False, hovermode="closest")
    fig.update_yaxes(autorange="reversed", title_text="service")
    fig.update_xaxes(title_text="self time, summed (ms)", rangemode="tozero")
    return fig


def fig_trace_coverage(events: pd.DataFrame, *, min_coverage: float = 0.1, title: str | None = None) -> go.Figure:
    """Share of log lines carrying a trace id, per service (:func:`~apiprobe.analyze.traces.trace_coverage`).

    A service below ``min_coverage`` is red: its lines cannot be joined to
    traces or to the other services' lines, which is where a trace id is
    lost (handbook §3.2). Between that and 90 % is amber, above is green.

    Parameters
    ----------
    events
        An ``events`` table.
    min_coverage
        Share (0–1) below which a service is drawn red.
    title
        Figure title; a default is used when None.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar``: ``y`` services (lowest share on top), ``x`` the share
        in percent, marker colours by band; ``customdata`` holds lines with a
        trace id and all lines.
    """
    title = title or "Log lines that carry a trace id, per service"
    if events is None or len(events) == 0:
        return nothing_to_draw(title, "the events table is empty")
    cov = trace_coverage(events)
    if cov.empty:
        return nothing_to_draw(title, "no log line parsed")
    share = cov["share"].to_numpy(dtype="float64") * 100
    colors = [ERROR_COLOR if v < min_coverage * 100 else "#ff9f1c" if v < 90 else "#2ca02c" for v in share]
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=[_clip(s, _MAX_LABEL) for s in cov["service"].astype(str)],
            x=share,
            marker={"color": colors},
            text=[f"{int(a):,} of {int(b):,}" for a, b in zip(cov["with_trace_id"], cov["lines"], strict=True)],
            textposition="auto",
            customdata=np.column_stack(
                [
                    cov["with_trace_id"].to_numpy(dtype="float64"),
                    cov["lines"].to_numpy(dtype="float64"),
                    cov["span_share"].to_numpy(dtype="float64") * 100,
                ]
            ),
            hovertemplate=(
                "<b>%{y}</b><br>%{customdata[0]:,.0f} of %{customdata[1]:,.0f} lines carry a trace id "
                "(%{x:.1f} %)<br>%{customdata[2]:.1f} % carry a span id<extra></extra>"
            ),
            name="trace id share",
        )
    )
    low = int((share < min_coverage * 100).sum())
    sub = f"{int(cov['lines'].sum()):,} lines from {len(cov)} services"
    if low:
        sub += f"; {low} below {min_coverage:.0%} (red): the trace id is lost there"
    base_layout(fig, title, sub, height=max(300, 140 + 30 * len(cov)))
    fig.update_layout(showlegend=False, hovermode="closest")
    fig.update_xaxes(title_text="lines with a trace id (%)", range=[0, 100])
    fig.update_yaxes(autorange="reversed", title_text="service")
    return fig
