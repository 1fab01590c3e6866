"""How latency is spread: ECDF and histogram per group, jitter and loss over time.

Each figure reads the ``probes`` table by default (``value="total_ms"``) or
the ``pings`` table (``value="rtt_ms"``). Failed samples have no latency:
they are left out of the distributions (their count is in the subtitle) and
counted as loss. See :mod:`apiprobe.plot.latency` for the conventions
shared by latency figures.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from apiprobe._frames import require_columns
from apiprobe.analyze.latency import jitter_stats
from apiprobe.errors import InvalidParameterError
from apiprobe.plot._core import (
    FAIL_COLOR,
    MAX_POINTS,
    all_failed_reason,
    base_layout,
    bin_counts,
    bin_errors,
    bin_times,
    color_map,
    failed_rows,
    floats,
    group_labels,
    nothing_to_draw,
    sample_frame,
    short,
    thin,
    value_label,
    value_name,
)
from apiprobe.plot._doc import fill_parameters

__all__ = ["fig_ecdf", "fig_histogram", "fig_jitter_loss"]


def _value_groups(
    df: pd.DataFrame, value: str, by: str | None, failed: str | None
) -> tuple[dict[str, np.ndarray], int]:
    """Sorted finite values of successful samples per group, and the number of failed samples."""
    v = floats(df[value])
    fail = failed_rows(df, value, failed)
    good = ~fail & np.isfinite(v)
    group_of = group_labels(df, by).to_numpy()
    out: dict[str, np.ndarray] = {}
    for g in sorted(set(group_of[good])):
        out[g] = np.sort(v[good & (group_of == g)])
    return out, int((~good).sum())


@fill_parameters(
    by="Group column, one curve per value; None for one curve.",
    log_x=(
        "bool or None",
        "Logarithmic x axis; None chooses it when the values span more than a factor of 30.",
    ),
)
def fig_ecdf(
    df: pd.DataFrame,
    *,
    value: str = "total_ms",
    by: str | None = "target",
    log_x: bool | None = None,
    failed: str | None = None,
    max_points: int = MAX_POINTS,
    title: str | None = None,
) -> go.Figure:
    """Empirical CDF of latency per group, with p50, p90 and p99 marked.

    The y value at ``x`` ms is the share of the group's successful samples
    that took at most ``x`` ms. Failed samples have no latency and are left
    out (their count is in the subtitle). Each curve is computed on all
    samples, then thinned to at most ``max_points`` points.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        Per group: a curve named after the group and a ``"<group> p50/p90/p99"``
        marker trace.
    """
    title = title or f"{value_name(value)} latency distribution (ECDF)"
    if len(df) == 0:
        return nothing_to_draw(title, "the table is empty")
    require_columns(df, [value, by])
    groups, n_failed = _value_groups(df, value, by, failed)
    if not groups:
        return nothing_to_draw(title, all_failed_reason(df, len(df), value))
    allv = np.concatenate(list(groups.values()))
    if log_x is None:
        lo, hi = float(allv.min()), float(allv.max())
        log_x = lo > 0 and hi / lo > 30
    colors = color_map(list(groups))
    fig = go.Figure()
    for g, vals in groups.items():
        n = len(vals)
        y = np.arange(1, n + 1) / n
        idx = thin(n, max(2, max_points))
        fig.add_trace(
            go.Scatter(
                x=vals[idx],
                y=y[idx],
                mode="lines",
                line={"shape": "hv", "color": colors[g], "width": 2},
                name=f"{short(g)} (n={n:,})",
                legendgroup=g,
                hovertemplate=(f"<b>{short(g, 60)}</b><br>%{{y:.1%}} of {n:,} samples ≤ %{{x:,.1f}} ms<extra></extra>"),
            )
        )
        pq = np.quantile(vals, [0.5, 0.9, 0.99])
        fig.add_trace(
            go.Scatter(
                x=pq,
                y=[0.5, 0.9, 0.99],
                mode="markers+text",
                text=[f"p{p} {q:,.0f} ms" for p, q in zip((50, 90, 99), pq, strict=True)],
                textposition="middle right",
                textfont={"color": colors[g], "size": 10},
                marker={"color": colors[g], "size": 9, "symbol": "circle-open", "line": {"width": 2}},
                name=f"{short(g)} p50/p90/p99",
                legendgroup=g,
                showlegend=False,
                hovertemplate=f"<b>{short(g, 60)}</b><br>%{{text}} (n={n:,})<extra></extra>",
            )
        )
    sub = f"{len(allv):,} successful samples"
    if n_failed:
        sub += f"; {n_failed:,} failed samples have no {value} and are not shown"
    base_layout(fig, title, sub, height=460)
    fig.update_xaxes(title_text=value_label(value), type="log" if log_x else "linear")
    fig.update_yaxes(title_text="Share of samples ≤ x", tickformat=".0%", range=[0, 1.03])
    fig.update_layout(hovermode="closest")
    return fig


@fill_parameters(
    by="Group column, one bar trace per value; None for one trace.",
    nbins=("int", "Number of bins (at least 1)."),
)
def fig_histogram(
    df: pd.DataFrame,
    *,
    value: str = "total_ms",
    by: str | None = "target",
    nbins: int = 60,
    failed: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """Histogram of latency per group, binned before plotting.

    All groups share the same bin edges and are overlaid. When a few extreme
    values (above 3 × the p99.5) would squash the picture, the last bin
    collects everything above the p99.5 and says so in its hover text.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` trace per group with ``nbins`` bars; y is the sample count.
    """
    if nbins < 1:
        raise InvalidParameterError(f"nbins must be at least 1, got {nbins}")
    title = title or f"{value_name(value)} latency histogram"
    if len(df) == 0:
        return nothing_to_draw(title, "the table is empty")
    require_columns(df, [value, by])
    groups, n_failed = _value_groups(df, value, by, failed)
    if not groups:
        return nothing_to_draw(title, all_failed_reason(df, len(df), value))
    allv = np.concatenate(list(groups.values()))
    lo, hi = float(allv.min()), float(allv.max())
    cut = float(np.quantile(allv, 0.995))
    overflow = hi > 3 * cut and cut > lo
    top = cut if overflow else hi
    if top <= lo:
        top = lo + 1.0
    edges = np.linspace(lo, top, nbins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    colors = color_map(list(groups))
    fig = go.Figure()
    for g, vals in groups.items():
        counts, _ = np.histogram(np.minimum(vals, top), bins=edges)
        share = counts / len(vals) * 100
        labels = np.asarray([f"{a:,.1f}–{b:,.1f} ms" for a, b in itertools.pairwise(edges)], dtype=object)
        if overflow:
            labels[-1] = f"≥ {edges[-2]:,.1f} ms (up to {vals.max():,.1f} ms)"
        fig.add_trace(
            go.Bar(
                x=centres,
                y=counts,
                width=np.diff(edges),
                name=f"{short(g)} (n={len(vals):,})",
                marker={"color": colors[g], "line": {"width": 0}},
                opacity=0.85 if len(groups) == 1 else 0.55,
                customdata=np.column_stack([labels, share]),
                hovertemplate=(
                    f"<b>{short(g, 60)}</b><br>%{{customdata[0]}}<br>"
                    "%{y:,} samples (%{customdata[1]:.1f} %)<extra></extra>"
                ),
            )
        )
    sub = f"{len(allv):,} successful samples, bins of {edges[1] - edges[0]:,.2f} ms"
    if overflow:
        sub += f"; last bin holds everything ≥ {edges[-2]:,.1f} ms (max {hi:,.1f} ms)"
    if n_failed:
        sub += f"; {n_failed:,} failed samples not shown"
    base_layout(fig, title, sub, height=440)
    fig.update_layout(barmode="overlay", bargap=0, hovermode="closest")
    fig.update_xaxes(title_text=value_label(value))
    fig.update_yaxes(title_text="Samples per bin")
    return fig


# --------------------------------------------------------------------------- jitter and loss


def _jitter_per_bin(ok: pd.DataFrame, starts: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin: mean and max jitter (ms) and the number of consecutive pairs behind them.

    ``ok`` holds one group's successful samples in time order (columns ``v``
    and ``bin``). A pair counts in the bin of its later sample, so the first
    sample of a bin pairs with the last one before it; each bin's numbers are
    :func:`apiprobe.analyze.latency.jitter_stats` of those samples.
    """
    mean = np.full(len(starts), np.nan)
    top = np.full(len(starts), np.nan)
    pairs = np.zeros(len(starts))
    keys = ok["bin"].to_numpy()
    if not len(keys):
        return mean, top, pairs
    firsts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    for lo, hi in zip(firsts, np.r_[firsts[1:], len(keys)], strict=True):
        i = starts.get_loc(keys[lo])
        start = max(int(lo) - 1, 0)
        stats = jitter_stats(ok["v"].iloc[start:hi])
        mean[i], top[i], pairs[i] = stats["jitter_mean_ms"], stats["jitter_max_ms"], hi - start - 1
    return mean, top, pairs


@fill_parameters()
def fig_jitter_loss(
    df: pd.DataFrame,
    *,
    value: str = "total_ms",
    ts: str = "ts",
    by: str | None = "target",
    freq: str | pd.Timedelta | None = None,
    failed: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """Jitter and loss over time, per group.

    Jitter is mtr's: the absolute difference ``|xₙ − xₙ₋₁|`` between
    consecutive successful samples of a group (in time order), averaged per
    time bin (solid line, left axis, ms). Loss is the share of failed samples
    per bin (dotted line, right axis, %), with the handbook's 1 % threshold
    (§2.1) drawn as a reference line.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        Per group a ``"<group> jitter"`` trace (y) and a ``"<group> loss %"``
        trace (y2).
    """
    title = title or f"Jitter and loss over time ({value_name(value)})"
    if len(df) == 0:
        return nothing_to_draw(title, "the table is empty")
    require_columns(df, [ts, value, by])
    work = sample_frame(df, value=value, ts=ts, by=by, failed=failed)
    if not work["v"].notna().any():
        return nothing_to_draw(title, all_failed_reason(df, len(df), value))
    work = work[work["ts"].notna()].sort_values("ts", kind="stable")
    if work.empty:
        return nothing_to_draw(title, f"no sample has a {ts} time")
    bins = bin_times(work["ts"], freq)
    work["bin"] = bins.keys
    all_bins, x, bin_text = bins.starts, bins.centres, bins.labels
    groups = sorted(work["g"].unique())
    colors = color_map(groups)

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    max_loss = 0.0
    for g in groups:
        sub = work[work["g"] == g]
        ok = sub[sub["v"].notna()]
        jit_mean, jit_max, jit_pairs = _jitter_per_bin(ok, all_bins)
        med = ok.groupby("bin")["v"].median().reindex(all_bins).to_numpy(dtype=float)
        n, nfail = bin_counts(sub, all_bins)
        loss = np.where(n > 0, np.divide(nfail, n, out=np.zeros_like(n), where=n > 0) * 100, np.nan)
        if np.isfinite(loss).any():
            max_loss = max(max_loss, float(np.nanmax(loss)))
        err_text = bin_errors(sub, all_bins)
        name = short(g)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=jit_mean,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": colors[g], "width": 1.8},
                name=f"{name} jitter",
                legendgroup=g,
                customdata=np.column_stack([bin_text, jit_max, jit_pairs, med]),
                hovertemplate=(
                    f"<b>{short(g, 60)}</b><br>%{{customdata[0]}}<br>"
                    "jitter mean |Δ|: %{y:,.1f} ms, max %{customdata[1]:,.1f} ms "
                    "(%{customdata[2]:.0f} pairs)<br>median: %{customdata[3]:,.1f} ms<extra></extra>"
                ),
            ),
            secondary_y=False,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=loss,
                mode="lines+markers",
                marker={"size": 5, "symbol": "square"},
                line={"color": colors[g], "width": 1.4, "dash": "dot"},
                name=f"{name} loss %",
                legendgroup=g,
                customdata=np.column_stack([bin_text, n, nfail, err_text]),
                hovertemplate=(
                    f"<b>{short(g, 60)}</b><br>%{{customdata[0]}}<br>"
                    "loss: %{y:.1f} % (%{customdata[2]:.0f} of %{customdata[1]:.0f})"
                    "%{customdata[3]}<extra></extra>"
                ),
            ),
            secondary_y=True,
        )
    fig.add_hline(
        y=1.0,
        line={"dash": "dash", "color": FAIL_COLOR, "width": 1},
        opacity=0.6,
        secondary_y=True,
        annotation_text="loss 1 % (handbook §2.1)",
        annotation_position="top left",
        annotation_font={"size": 10, "color": FAIL_COLOR},
    )
    n_fail = int(work["fail"].sum())
    sub_text = (
        f"{len(work):,} samples, {n_fail:,} failed ({n_fail / len(work):.1%}); {bins.describe(freq)}"
        + "; jitter = mean |Δ| between consecutive successful samples"
    )
    base_layout(fig, title, sub_text, height=460)
    fig.update_layout(
        hovermode="x",
        legend={"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "x": 0.0},
        margin={"b": 90},
    )
    fig.update_xaxes(title_text="Time (UTC)")
    fig.update_yaxes(title_text="Jitter, mean |Δ| (ms)", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(
        title_text="Loss (%)",
        range=[0, min(100.0, max(5.0, max_loss * 1.1))],
        showgrid=False,
        secondary_y=True,
    )
    return fig
