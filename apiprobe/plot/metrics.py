"""Figures for handbook §5: golden signals per service, SLO burn rates with their alerts, the error budget."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from apiprobe.plot._core import FAIL_COLOR, TARGET_COLORS, base_layout, naive_utc, nothing_to_draw, plain

__all__ = ["fig_error_budget", "fig_golden_signals", "fig_slo_burn"]

_ROWS = (
    ("rate", "requests/s", ("rate",)),
    ("errors", "5xx ratio", ("error_ratio",)),
    ("latency", "seconds", ("p50", "p90", "p99")),
    ("saturation", "pool usage · goroutines", ("pool_usage", "goroutines")),
)
_DASH = {"p50": "dot", "p90": "dash", "p99": "solid", "pool_usage": "solid", "goroutines": "dot"}


def _shade(fig: go.Figure, findings: pd.DataFrame | None, x_range: pd.Timedelta | None = None, **where: Any) -> None:
    if findings is None or findings.empty:
        return
    spans = findings.dropna(subset=["ts_start", "ts_end"])
    if x_range is not None:  # a finding about the whole range (a slow leak) would only tint everything
        spans = spans[(spans["ts_end"] - spans["ts_start"]) < 0.5 * x_range]
    starts, ends = naive_utc(spans["ts_start"]), naive_utc(spans["ts_end"])
    for x0, x1, severity in zip(starts, ends, spans["severity"], strict=True):
        fig.add_vrect(
            x0=x0,
            x1=x1,
            fillcolor=FAIL_COLOR if severity == "critical" else "#ff7f0e",
            opacity=0.08,
            line_width=0,
            **where,
        )


def fig_golden_signals(
    signals: pd.DataFrame, *, findings: pd.DataFrame | None = None, title: str = "Golden signals"
) -> go.Figure:
    """Rate, errors, latency quantiles and saturation per service, stacked on one time axis.

    Parameters
    ----------
    signals : pandas.DataFrame
        From :func:`apiprobe.golden_signals` (``ts, service, signal, value, unit, promql``).
    findings : pandas.DataFrame, optional
        Findings whose windows are shaded (critical red, others orange).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Four rows sharing the time axis, one colour per service; the hover text
        shows the PromQL behind each series.
    """
    if signals is None or signals.empty:
        return nothing_to_draw(title, "no request, latency or saturation metrics found")
    fig = make_subplots(
        rows=len(_ROWS),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        subplot_titles=[name for name, _, _ in _ROWS],
        specs=[[{"secondary_y": name == "saturation"}] for name, _, _ in _ROWS],
    )
    services = sorted(signals["service"].unique())
    colors = {s: TARGET_COLORS[i % len(TARGET_COLORS)] for i, s in enumerate(services)}
    for r, (_, unit, names) in enumerate(_ROWS, start=1):
        for signal in names:
            for service in services:
                part = signals[(signals["signal"] == signal) & (signals["service"] == service)]
                if part.empty:
                    continue
                label = plain(service or "all")
                fig.add_trace(
                    go.Scatter(
                        x=naive_utc(part["ts"]),
                        y=part["value"],
                        mode="lines",
                        name=f"{label} {signal}",
                        legendgroup=label,
                        line={"color": colors[service], "dash": _DASH.get(signal, "solid"), "width": 1.5},
                        hovertemplate=f"{label} {signal}: %{{y:.4g}}<br>%{{x}}<br>{plain(part['promql'].iloc[0])}"
                        "<extra></extra>",
                    ),
                    row=r,
                    col=1,
                    secondary_y=signal == "goroutines",
                )
        fig.update_yaxes(title_text=unit, row=r, col=1, secondary_y=False)
    fig.update_yaxes(tickformat=".1%", row=2, col=1)
    fig.update_yaxes(tickformat=".0%", row=4, col=1, secondary_y=False)
    fig.update_yaxes(title_text="goroutines", row=4, col=1, secondary_y=True)
    _shade(fig, findings, signals["ts"].max() - signals["ts"].min(), row="all", col=1)
    base_layout(
        fig, title, "p50 dotted, p90 dashed, p99 solid; saturation: pool usage solid, goroutines dotted", height=900
    )
    return fig


def fig_slo_burn(
    burn: pd.DataFrame,
    *,
    alerts: pd.DataFrame | None = None,
    thresholds: dict[str, float] | None = None,
    title: str = "SLO burn rate",
) -> go.Figure:
    """Burn rate per window over time, the alert factors, and each alert's firing window shaded.

    Parameters
    ----------
    burn : pandas.DataFrame
        From :func:`apiprobe.slo_burn_rate` (``ts, window, burn_rate`` …).
    alerts : pandas.DataFrame, optional
        From :func:`apiprobe.detect_slo_burn`: each firing episode is shaded and its
        fire time marked.
    thresholds : dict of str to float, optional
        Burn-rate factors to draw as horizontal lines, by label (``{"page 14.4×": 14.4}``).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One line per window on a log axis (burn rate 1 spends the budget exactly in the SLO period).
    """
    if burn is None or burn.empty:
        return nothing_to_draw(title, "no request counters to compute a burn rate from")
    fig = go.Figure()
    for i, (window, part) in enumerate(burn.groupby("window", sort=False)):
        fig.add_trace(
            go.Scatter(
                x=naive_utc(part["ts"]),
                y=part["burn_rate"].clip(lower=1e-2),
                mode="lines",
                name=f"burn over {window}",
                line={"color": TARGET_COLORS[i % len(TARGET_COLORS)], "width": 1.5},
                hovertemplate=f"{window}: %{{y:.2f}}×<br>%{{x}}<extra></extra>",
            )
        )
    x = naive_utc(pd.Series([burn["ts"].min(), burn["ts"].max()]))
    for i, (label, factor) in enumerate((thresholds or {}).items()):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[factor, factor],
                mode="lines",
                name=plain(label),
                line={"color": "#7f7f7f", "dash": ("dash", "dot", "dashdot")[i % 3], "width": 1},
                hoverinfo="name",
            )
        )
    _shade(fig, alerts)
    if alerts is not None and not alerts.empty:
        fired = alerts.dropna(subset=["ts_start"])
        fig.add_trace(
            go.Scatter(
                x=naive_utc(fired["ts_start"]),
                y=fired["threshold"],
                mode="markers",
                name="alert fired",
                marker={"symbol": "triangle-up", "size": 12, "color": FAIL_COLOR},
                hovertext=[plain(e) for e in fired["evidence"]],
                hoverinfo="text",
            )
        )
    shown = burn["burn_rate"].replace([np.inf, -np.inf], np.nan).dropna()
    top = max(float(shown.max()) if len(shown) else 1.0, *(thresholds or {}).values(), 1.0)
    fig.update_yaxes(type="log", title_text="burn rate (× budget)", range=[-2, np.log10(top * 3)])
    base_layout(fig, title, "shaded: while an alert fires; triangles: when it fired", height=460)
    return fig


def fig_error_budget(budget: pd.DataFrame, *, title: str = "Error budget") -> go.Figure:
    """The share of the period's error budget consumed over time, and what remains.

    Parameters
    ----------
    budget : pandas.DataFrame
        From :func:`apiprobe.error_budget` (``ts, consumed, remaining`` …).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        The remaining budget as a filled line (red once it is below zero).
    """
    if budget is None or budget.empty:
        return nothing_to_draw(title, "no request counters to compute a budget from")
    fig = go.Figure(
        go.Scatter(
            x=naive_utc(budget["ts"]),
            y=budget["remaining"],
            mode="lines",
            fill="tozeroy",
            name="budget remaining",
            line={"color": TARGET_COLORS[0]},
            hovertemplate="%{x}<br>remaining %{y:.1%}<extra></extra>",
        )
    )
    last = float(budget["remaining"].iloc[-1])
    fig.update_yaxes(tickformat=".0%", title_text="of the period's budget")
    base_layout(fig, title, f"{last:.1%} left at the end of the data", height=360)
    return fig
