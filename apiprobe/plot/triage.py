"""The triage timeline: every source on one time axis, the incident shaded, findings and restarts as markers."""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from apiprobe._time import to_utc
from apiprobe.plot._core import FAIL_COLOR, TARGET_COLORS, base_layout, naive_utc, nothing_to_draw, plain

__all__ = ["fig_triage_timeline"]

_SEVERITY_COLORS = {"critical": FAIL_COLOR, "warning": "#ff7f0e", "info": "#7f7f7f"}
_EVENT_SYMBOLS = {"crash": "x", "stop": "triangle-down", "start": "triangle-up", "deploy": "star", "version": "star"}


def _colors(services: list[str]) -> dict[str, str]:
    return {s: TARGET_COLORS[i % len(TARGET_COLORS)] for i, s in enumerate(services)}


def fig_triage_timeline(
    timeline: pd.DataFrame,
    *,
    incident: tuple[Any, Any] | None = None,
    baseline: tuple[Any, Any] | None = None,
    title: str = "Incident timeline",
) -> go.Figure:
    """Failures per service, latency, saturation and every finding and restart on one shared time axis.

    Parameters
    ----------
    timeline : pandas.DataFrame
        Schema ``triage_timeline`` (:func:`apiprobe.triage_timeline`, ``TriageResult.timeline``).
    incident, baseline : pair of times, optional
        Shaded red (incident) and grey (baseline); the figure opens on them (the rest is a zoom out away).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Four rows: failures per minute by service (logs); latency p99 in ms by
        service (logs, spans, metrics); saturation (pool timeouts per minute, pool
        usage, the metrics' error ratio, SLO burn rate); and one row of markers: findings by severity,
        restarts, deploys and jobs, breaker state changes. Hover names the source.
    """
    if timeline is None or timeline.empty:
        return nothing_to_draw(title, "no evidence with timestamps")
    tl = timeline.assign(ts=naive_utc(timeline["ts"]), service=timeline["service"].fillna(""))
    services = sorted({s for s in tl["service"].unique() if s and "," not in s})
    colors = _colors(services)
    fig = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.32, 0.26, 0.2, 0.22],
        subplot_titles=(
            "failures per minute",
            "latency p99 (ms)",
            "saturation, error ratio and SLO burn",
            "what happened",
        ),
    )
    shown: set[str] = set()

    def legend(name: str) -> dict[str, Any]:
        first = name not in shown
        shown.add(name)
        return {"name": name, "legendgroup": name, "showlegend": first}

    errs = tl[tl["signal"] == "errors"]
    if len(errs):
        per = errs.groupby(["ts", "service"])["value"].sum().reset_index()
        for svc, grp in per.groupby("service"):
            kinds = (
                errs[errs["service"] == svc]
                .groupby("ts")["series"]
                .agg(lambda s: ", ".join(sorted({str(x) for x in s}))[:120])
            )
            fig.add_trace(
                go.Bar(
                    x=grp["ts"],
                    y=grp["value"],
                    marker_color=colors.get(str(svc), "#888"),
                    customdata=kinds.reindex(grp["ts"]).to_numpy(),
                    hovertemplate=f"{plain(svc)}: %{{y}} failures<br>%{{customdata}}<extra>logs</extra>",
                    **legend(str(svc)),
                ),
                row=1,
                col=1,
            )
        fig.update_layout(barmode="stack")
    lat = tl[tl["signal"] == "latency_p99_ms"]
    for key, grp in lat.groupby(["service", "source"]):
        svc, source = (str(k) for k in cast(tuple[Any, Any], key))
        fig.add_trace(
            go.Scatter(
                x=grp["ts"],
                y=grp["value"],
                mode="lines",
                line={
                    "color": colors.get(str(svc), "#888"),
                    "dash": {"logs": "solid", "traces": "dot"}.get(source, "dash"),
                },
                hovertemplate=f"{plain(svc)} p99 %{{y:.0f}} ms<extra>{source}</extra>",
                **legend(str(svc)),
            ),
            row=2,
            col=1,
        )
    sat = tl[tl["signal"].isin(["pool_waits", "pool_usage", "error_ratio", "burn_rate"])]
    for key, grp in sat.groupby(["signal", "service", "series"]):
        signal, svc, series = (str(k) for k in cast(tuple[Any, Any, Any], key))
        label = f"{svc} {series}".strip() if signal != "burn_rate" else f"burn rate {series}"
        fig.add_trace(
            go.Scatter(
                x=grp["ts"],
                y=grp["value"],
                mode="lines",
                line={"color": colors.get(str(svc), "#555"), "dash": "dot" if signal == "burn_rate" else "solid"},
                hovertemplate=f"{plain(label)}: %{{y:.3g}}<extra>{signal}</extra>",
                name=label,
                showlegend=False,
            ),
            row=3,
            col=1,
        )
    marks = tl[tl["signal"].isin(["finding", "event", "breaker_state"])]
    lanes = {"finding": 2, "event": 1, "breaker_state": 0}
    for lane, grp in marks.groupby("signal"):
        signal = str(lane)
        color: Any
        symbol: Any
        if signal == "finding":
            color = grp["severity"].map(_SEVERITY_COLORS).fillna("#7f7f7f")
            symbol = "diamond"
        else:
            color = grp["service"].map(colors).fillna("#444")
            symbol = grp["series"].map(_EVENT_SYMBOLS).fillna("circle") if signal == "event" else "square"
        fig.add_trace(
            go.Scatter(
                x=grp["ts"],
                y=[lanes[str(signal)]] * len(grp),
                mode="markers",
                marker={"color": color, "symbol": symbol, "size": 11, "line": {"width": 1, "color": "white"}},
                customdata=(
                    grp["service"] + " · " + grp["series"].fillna("") + "<br>" + grp["text"].fillna("").map(plain)
                ),
                hovertemplate="%{x|%H:%M:%S}<br>%{customdata}<extra>" + str(signal) + "</extra>",
                name={"finding": "findings", "event": "restarts, deploys, jobs", "breaker_state": "breaker"}[
                    str(signal)
                ],
                showlegend=True,
            ),
            row=4,
            col=1,
        )
    fig.update_yaxes(
        row=4,
        col=1,
        tickvals=[0, 1, 2],
        ticktext=["breakers", "restarts · jobs", "findings"],
        range=[-0.7, 2.7],
    )
    for window, shade, label in ((baseline, "#bbbbbb", "baseline"), (incident, FAIL_COLOR, "incident")):
        if window is None:
            continue
        x0, x1 = (to_utc(t).tz_localize(None) for t in window)
        fig.add_vrect(
            x0=x0,
            x1=x1,
            fillcolor=shade,
            opacity=0.08,
            line_width=0,
            annotation_text=label,
            annotation_position="top left",
            row="all",
            col=1,
        )
    if incident is not None:  # open on the incident and the baseline; the rest is a zoom out away
        start = to_utc(baseline[0] if baseline is not None else incident[0])
        end = to_utc(incident[1])
        margin = (end - start) * 0.1
        x_range = [(t.tz_convert("UTC").tz_localize(None)) for t in (start - margin, end + margin)]
        fig.update_xaxes(range=x_range)
    return base_layout(fig, title, "all sources on one UTC time axis; hover for details, zoom out for all", height=820)
