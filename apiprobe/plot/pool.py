"""Figures for handbook §2.5: where goroutines wait, pool sizing, concurrency sweeps."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from apiprobe.plot._core import base_layout, nothing_to_draw

__all__ = ["fig_sizing", "fig_sweep", "fig_wait_sites"]

_POOL_SITES = {"http_pool_wait", "sql_pool_wait", "pool_wait"}


def fig_wait_sites(goroutines: pd.DataFrame, *, site: str = "wait_site", count: str = "count") -> go.Figure:
    """Horizontal bar of goroutines per wait site; pool waits in red.

    Parameters
    ----------
    goroutines
        A goroutines table (:func:`~apiprobe.load.goroutines.read_goroutines`).
    site, count
        Column names of the wait site and of the goroutines each row stands for.

    Returns
    -------
    plotly.graph_objects.Figure
        One horizontal ``go.Bar``: goroutines per wait site, pool waits in red.
    """
    title = "Where goroutines wait"
    if goroutines is None or goroutines.empty:
        return nothing_to_draw(title, "the dump holds no goroutines")
    n = goroutines[count].fillna(1).astype("int64") if count in goroutines else pd.Series(1, index=goroutines.index)
    totals = n.groupby(goroutines[site].fillna("other")).sum().sort_values()
    colors = ["#d62728" if s in _POOL_SITES else "#1f77b4" for s in totals.index]
    hover = []
    for s in totals.index:
        tops = goroutines.loc[goroutines[site] == s, "top_function"].dropna().value_counts().head(3)
        hover.append("<br>".join(f"{t}" for t in tops.index) or s)
    fig = go.Figure(
        go.Bar(
            x=totals.to_numpy(),
            y=list(totals.index),
            orientation="h",
            marker_color=colors,
            text=totals.to_numpy(),
            textposition="outside",
            customdata=hover,
            hovertemplate="%{y}: %{x} goroutines<br>%{customdata}<extra></extra>",
        )
    )
    total = int(totals.sum())
    pool = int(totals[[s for s in totals.index if s in _POOL_SITES]].sum())
    sub = f"{total} goroutines; {pool} wait for a pool connection" if pool else f"{total} goroutines"
    base_layout(fig, title, sub, height=max(320, 40 * len(totals) + 140))
    fig.update_xaxes(title_text="goroutines")
    return fig


def fig_sizing(sizing: pd.DataFrame) -> go.Figure:
    """Mean wait for a connection vs pool size (Erlang C), recommended and handbook sizes marked.

    Parameters
    ----------
    sizing
        A table from :func:`~apiprobe.analyze.pool.pool_sizing`.

    Returns
    -------
    plotly.graph_objects.Figure
        ``"mean wait (ms)"`` and ``"utilisation (%)"`` (y2) against pool
        size, saturated sizes shaded, recommended and handbook sizes marked.
    """
    title = "Wait for a connection vs pool size"
    if sizing is None or sizing.empty:
        return nothing_to_draw(title, "no sizing table")
    finite = sizing[sizing["mean_wait_ms"].apply(lambda v: math.isfinite(float(v)))]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Scatter(
            x=finite["pool_size"],
            y=finite["mean_wait_ms"],
            mode="lines+markers",
            name="mean wait (ms)",
            hovertemplate="pool %{x}: mean wait %{y:.2f} ms<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=sizing["pool_size"],
            y=sizing["utilisation"].clip(upper=1.5) * 100,
            mode="lines",
            name="utilisation (%)",
            line={"dash": "dot", "color": "#7f7f7f"},
            hovertemplate="pool %{x}: %{y:.0f} %% busy<extra></extra>",
        ),
        secondary_y=True,
    )
    saturated = sizing.loc[sizing["utilisation"] >= 1, "pool_size"]
    if len(saturated):
        fig.add_vrect(
            x0=0.5,
            x1=float(saturated.max()) + 0.5,
            fillcolor="#d62728",
            opacity=0.08,
            line_width=0,
            annotation_text="saturated: waits grow without bound",
            annotation_position="top left",
        )
    for col, color, label in (("recommended", "#2ca02c", "recommended"), ("handbook", "#ff7f0e", "handbook rule")):
        if col in sizing and sizing[col].any():
            size = int(sizing.loc[sizing[col], "pool_size"].iloc[0])
            fig.add_vline(
                x=size,
                line_color=color,
                line_dash="dash",
                annotation_text=f"{label}: {size}",
                annotation_position="top right",
            )
    sub = str(sizing.attrs.get("summary", ""))
    base_layout(fig, title, sub, height=440)
    fig.update_xaxes(title_text="pool size (connections)")
    fig.update_yaxes(title_text="mean wait (ms)", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="utilisation (%)", secondary_y=True, rangemode="tozero")
    return fig


def fig_sweep(sweep: pd.DataFrame, *, knee: int | None = None) -> go.Figure:
    """Latency percentiles and throughput vs concurrency, with the knee marked.

    Parameters
    ----------
    sweep
        A table from :func:`~apiprobe.probe.concurrency.probe_concurrency`.
    knee
        Concurrency to mark; default ``sweep.attrs["knee"]`` or :func:`find_knee`.

    Returns
    -------
    plotly.graph_objects.Figure
        p50/p90/p99 latency lines (ms) and throughput (y2) per concurrency level, the knee marked.
    """
    title = "Latency and throughput vs concurrency"
    if sweep is None or sweep.empty:
        return nothing_to_draw(title, "no sweep levels")
    from apiprobe.analyze.pool import find_knee

    if knee is None:
        knee = sweep.attrs.get("knee") if "knee" in sweep.attrs else find_knee(sweep)
    s = sweep.sort_values("concurrency")
    levels = s["concurrency"].astype(int).astype(str).tolist()  # categories: even spacing for 1, 2, 4, 8 ...
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for col, dash in (("p50_ms", "solid"), ("p90_ms", "dash"), ("p99_ms", "dot")):
        fig.add_trace(
            go.Scatter(
                x=levels,
                y=s[col],
                name=col.replace("_ms", " (ms)"),
                mode="lines+markers",
                line={"dash": dash},
                hovertemplate="concurrency %{x}: %{y:.1f} ms<extra>" + col + "</extra>",
            )
        )
    fig.add_trace(
        go.Bar(
            x=levels,
            y=s["throughput_rps"],
            name="throughput (req/s)",
            opacity=0.3,
            marker_color="#2ca02c",
            hovertemplate="concurrency %{x}: %{y:.1f} req/s<extra></extra>",
        ),
        secondary_y=True,
    )
    if knee is not None:
        fig.add_vline(
            x=levels.index(str(int(knee))) if str(int(knee)) in levels else 0,
            line_color="#d62728",
            line_dash="dash",
            annotation_text=f"knee: {knee}",
            annotation_position="top left",
        )
    sub = (
        f"throughput stops growing at {knee} concurrent requests; beyond, requests only queue"
        if knee is not None
        else "no knee: the target scaled over the whole sweep"
    )
    base_layout(fig, title, sub, height=440)
    fig.update_xaxes(title_text="concurrent requests", type="category")
    fig.update_yaxes(title_text="latency (ms)", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text="throughput (req/s)", secondary_y=True, rangemode="tozero", showgrid=False)
    return fig
