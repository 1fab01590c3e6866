"""Execution-trace figures: where region time went, what goroutines did, how much CPU the GC left."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from apiprobe.analyze.gotrace import CATEGORIES, goroutine_states
from apiprobe.load.gotrace import GoTrace
from apiprobe.plot._core import base_layout, nothing_to_draw

__all__ = ["CATEGORY_COLORS", "MAX_TIMELINE_BARS", "fig_goroutine_timeline", "fig_mmu", "fig_region_breakdown"]

#: One colour per time category (the goroutine and region breakdowns).
CATEGORY_COLORS = {
    "exec": "#2ca02c",
    "sched_wait": "#ff7f0e",
    "block_net": "#1f77b4",
    "block_sync": "#d62728",
    "block_syscall": "#9467bd",
    "gc": "#8c564b",
    "other": "#bbbbbb",
}
_LABELS = {
    "exec": "running",
    "sched_wait": "waiting for a P",
    "block_net": "network",
    "block_sync": "chan / mutex / select",
    "block_syscall": "syscall",
    "gc": "GC",
    "other": "other",
}
#: Above this many state bars the timeline shows counts of goroutines per state instead of one row each.
MAX_TIMELINE_BARS = 20_000


def fig_region_breakdown(
    regions: pd.DataFrame, *, max_regions: int = 12, title: str = "Where region time went"
) -> go.Figure:
    """Stacked bars of each region name's time categories, for its median and its p99 instance.

    Parameters
    ----------
    regions : pandas.DataFrame
        :attr:`~apiprobe.load.GoTrace.regions`.
    max_regions : int, default 12
        The region names with the highest p99 are drawn.
    title : str, optional
        The figure's title.

    Returns
    -------
    plotly.graph_objects.Figure
        One stacked bar per region name and quantile (ms by time category).
    """
    if regions.empty:
        return nothing_to_draw(title, "the trace has no user regions (trace.WithRegion / trace.StartRegion)")
    picks = []
    for name, grp in regions.groupby("region", sort=False):
        d = grp["duration_ms"].to_numpy()
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            v = np.quantile(d, q, method="nearest")
            row = grp.iloc[int(np.argmin(np.abs(d - v)))]
            picks.append({"region": name, "which": label, "n": len(grp), **{c: row[f"{c}_ms"] for c in CATEGORIES}})
    df = pd.DataFrame(picks)
    p99 = df[df["which"] == "p99"].assign(total=lambda x: x[list(CATEGORIES)].sum(axis=1))
    keep = p99.sort_values("total", ascending=False)["region"].head(max_regions).tolist()
    df = df[df["region"].isin(keep)]
    df["region"] = pd.Categorical(df["region"], categories=keep, ordered=True)
    df = df.sort_values(["region", "which"])
    x = [df["region"].astype(str).tolist(), df["which"].tolist()]
    fig = go.Figure()
    for c in CATEGORIES:
        fig.add_trace(
            go.Bar(
                x=x,
                y=df[c],
                name=_LABELS[c],
                marker_color=CATEGORY_COLORS[c],
                hovertemplate=f"%{{x}}<br>{_LABELS[c]}: %{{y:.3f}} ms<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack", yaxis_title="ms", legend_title_text="time spent")
    return base_layout(
        fig, title, "the instance at the median and at p99 of each region name, by what its goroutine did"
    )


def _pick_goroutines(
    trace: GoTrace, regions: pd.DataFrame | None, region: str | None, top: int
) -> tuple[list[int], pd.DataFrame]:
    regions = trace.regions if regions is None else regions
    if region:
        regions = regions[regions["region"] == region]
    if regions.empty:
        g = trace.goroutines
        g = g[~g["system"]]
        blocked = g[["block_net_ms", "block_sync_ms", "block_syscall_ms", "sched_wait_ms"]].sum(axis=1)
        return g.loc[blocked.sort_values(ascending=False).index[:top], "goroutine"].tolist(), regions
    slow = regions.sort_values("duration_ms", ascending=False).head(top)
    return slow["goroutine"].unique().tolist(), slow


def fig_goroutine_timeline(
    trace: GoTrace,
    *,
    region: str | None = None,
    regions: pd.DataFrame | None = None,
    goroutines: list[int] | None = None,
    top: int = 10,
    title: str = "Goroutine timeline",
) -> go.Figure:
    """What goroutines did, over time: one row per goroutine, coloured by state (``go tool trace``'s view).

    By default the goroutines of the ``top`` slowest regions (of one
    ``region`` name if given, among ``regions`` if given -- e.g. one task's,
    from :func:`~apiprobe.notebook.select_regions`; without regions, the
    goroutines that waited most), over the span of those regions. With more than
    :data:`MAX_TIMELINE_BARS` stretches the figure shows instead how many
    goroutines were in each state over time (stacked), so a trace with
    100k goroutines still draws.

    Parameters
    ----------
    trace : GoTrace
        From :func:`~apiprobe.load.read_go_trace`.
    region : str, optional
        Only regions of this name.
    regions : pandas.DataFrame, optional
        Choose among these regions (default: all of the trace's).
    goroutines : list of int, optional
        Show exactly these goroutines, over the whole trace.
    top : int, default 10
        How many of the slowest regions to show.
    title : str, optional
        The figure's title.

    Returns
    -------
    plotly.graph_objects.Figure
        Horizontal bars per goroutine and state, with the regions as black lines.
    """
    slow = pd.DataFrame()
    if goroutines is None:
        goroutines, slow = _pick_goroutines(trace, regions, region, top)
    if not goroutines:
        return nothing_to_draw(title, "no goroutine to show")
    st = goroutine_states(trace, goroutines)
    if not slow.empty:
        lo = int(slow["start"].fillna(0).min())
        hi = int(slow["end"].fillna(trace.duration_ns).max())
        pad = max((hi - lo) // 20, 1)
        lo, hi = max(lo - pad, 0), hi + pad
        st = st[(st["end"] >= lo) & (st["start"] <= hi)].copy()
        st["start"] = st["start"].clip(lower=lo)
        st["end"] = st["end"].clip(upper=hi)
    if st.empty:
        return nothing_to_draw(title, "the goroutines did nothing in that span")
    if len(st) > MAX_TIMELINE_BARS:
        return _state_counts(st, title)
    labels = trace.goroutines.set_index("goroutine")["start_function"].to_dict()
    st["row"] = [f"G{g} {labels.get(g, '')}"[:60] for g in st["goroutine"].tolist()]
    fig = go.Figure()
    for c in CATEGORIES:
        part = st[st["category"] == c]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                y=part["row"],
                x=(part["end"] - part["start"]) / 1e6,
                base=part["start"] / 1e6,
                orientation="h",
                name=_LABELS[c],
                marker_color=CATEGORY_COLORS[c],
                customdata=part[["reason"]],
                hovertemplate=(
                    f"%{{y}}<br>{_LABELS[c]} %{{customdata[0]}}<br>%{{base:.3f}} ms + %{{x:.3f}} ms<extra></extra>"
                ),
            )
        )
    for r in slow.to_dict("records"):
        if pd.notna(r["start"]):
            row = f"G{r['goroutine']} {labels.get(r['goroutine'], '')}"[:60]
            end = float(r["end"]) if pd.notna(r["end"]) else float(trace.duration_ns)
            fig.add_trace(
                go.Scatter(
                    x=[float(r["start"]) / 1e6, end / 1e6],
                    y=[row, row],
                    mode="lines+markers",
                    line={"color": "black", "width": 1},
                    marker={"symbol": "line-ns", "size": 12},
                    name=f"region {r['region']}",
                    showlegend=False,
                    hovertemplate=f"region {r['region']}: {float(r['duration_ms']):.3f} ms<extra></extra>",
                )
            )
    n = st["row"].nunique()
    fig.update_layout(barmode="overlay", xaxis_title="ms since the trace started", legend_title_text="state")
    fig.update_yaxes(categoryorder="category descending")
    sub = f"{n} goroutines" + (f" of the {len(slow)} slowest regions" if not slow.empty else "")
    return base_layout(fig, title, sub + "; black lines: the regions", height=max(320, 24 * n + 160))


def _state_counts(st: pd.DataFrame, title: str, bins: int = 400) -> go.Figure:
    lo, hi = int(st["start"].min()), int(st["end"].max())
    edges = np.linspace(lo, hi, bins + 1)
    fig = go.Figure()
    width = (hi - lo) / bins or 1
    for c in CATEGORIES:
        part = st[st["category"] == c]
        if part.empty:
            continue
        # time-weighted count of goroutines in this state per bin: overlap of each stretch with each bin
        s, e = part["start"].to_numpy(float), part["end"].to_numpy(float)
        cum = np.zeros(bins + 1)
        for arr, sign in ((s, 1.0), (e, -1.0)):
            pos = np.clip((arr - lo) / width, 0, bins)
            i = np.floor(pos).astype(int)
            frac = pos - i
            np.add.at(cum, np.minimum(i, bins), sign * (1 - frac))
            np.add.at(cum, np.minimum(i + 1, bins), sign * frac)
        level = np.cumsum(cum)[:-1]
        fig.add_trace(
            go.Scatter(x=edges[:-1] / 1e6, y=level, stackgroup="s", name=_LABELS[c], line={"color": CATEGORY_COLORS[c]})
        )
    fig.update_layout(xaxis_title="ms since the trace started", yaxis_title="goroutines", legend_title_text="state")
    return base_layout(fig, title, "too many goroutines for one row each: how many were in each state over time")


def fig_mmu(curve: pd.DataFrame, *, title: str = "Minimum mutator utilization") -> go.Figure:
    """The MMU curve: the worst share of CPU left to the program, per window length.

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`~apiprobe.analyze.mmu_curve`.
    title : str, optional
        The figure's title.

    Returns
    -------
    plotly.graph_objects.Figure
        MMU (0–100 %) against the window (log scale).
    """
    if curve.empty:
        return nothing_to_draw(title, "the trace is shorter than the smallest window")
    fig = go.Figure(
        go.Scatter(
            x=curve["window_ms"],
            y=curve["mmu"],
            mode="lines+markers",
            line={"color": "#8c564b"},
            hovertemplate="in the worst %{x} ms: %{y:.0%} of the CPU for the program<extra></extra>",
        )
    )
    fig.update_xaxes(type="log", title_text="window (ms)")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", title_text="CPU left to the program")
    return base_layout(fig, title, "1.0: the GC never took the CPU away in any window of that length")
