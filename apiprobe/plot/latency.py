"""Latency figures over the ``probes`` and ``pings`` tables.

Every ``fig_*`` function is pure: it takes a table (schema ``probes`` by
default; pass ``value="rtt_ms"`` for ``pings``), never mutates it, never calls
``.show()`` and returns a :class:`plotly.graph_objects.Figure`.

Conventions shared by all figures:

* one colour per phase (:data:`PHASE_COLORS`), one per error kind
  (:data:`ERROR_COLORS`), targets coloured in sorted order;
* a failed phase is NA and is never drawn as 0 ms;
* large inputs are aggregated into time bins or histogram bins, and raw point
  traces are thinned to at most :data:`MAX_POINTS` points, so figures embedded
  in HTML reports stay small;
* an empty input, or one where every sample failed, gives a figure whose
  annotation says why there is nothing to draw;
* times are shown in UTC; values handed to plotly are plain floats / strings
  (never ``pd.NA``), so ``fig.to_json()`` always works.

A sample counts as *failed* when ``error_kind`` is set or ``ok`` is False
(whichever columns exist); without either column, a sample with no value
counts as failed. Functions taking ``failed=`` accept a boolean column name
instead.

This module draws latency over time (:func:`fig_smoke`) and failures over
time (:func:`fig_error_timeline`); :mod:`apiprobe.plot.distribution` draws
ECDF, histogram and jitter/loss, :mod:`apiprobe.plot.phases` the request
waterfall and the phase breakdown. All are re-exported here, with the shared
constants, so ``from apiprobe.plot.latency import fig_ecdf`` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from apiprobe._frames import format_duration, require_columns
from apiprobe.errors import InvalidParameterError
from apiprobe.plot._core import (
    ERROR_COLORS,
    FAIL_COLOR,
    MAX_POINTS,
    MEDIAN_COLOR,
    OTHER_COLORS,
    PHASE_COLORS,
    TARGET_COLORS,
    TS_FMT,
    TimeBins,
    all_failed_reason,
    as_labels,
    base_layout,
    bin_counts,
    bin_errors,
    bin_times,
    color_map,
    failed_rows,
    floats,
    naive_utc,
    nothing_to_draw,
    sample_frame,
    short,
    value_label,
    value_name,
)
from apiprobe.plot._doc import fill_parameters
from apiprobe.plot.distribution import fig_ecdf, fig_histogram, fig_jitter_loss
from apiprobe.plot.phases import fig_phase_breakdown, fig_waterfall
from apiprobe.schema import PHASE_LABELS, PHASES

__all__ = [
    "ERROR_COLORS",
    "MAX_POINTS",
    "PHASES",
    "PHASE_COLORS",
    "PHASE_LABELS",
    "fig_ecdf",
    "fig_error_timeline",
    "fig_histogram",
    "fig_jitter_loss",
    "fig_phase_breakdown",
    "fig_smoke",
    "fig_waterfall",
]

# Loss colour scale: 0 % green, 2 % light green, 5 % yellow, 10 % orange, >= 20 % red.
_LOSS_CMAX = 20.0
_LOSS_COLORSCALE: list[list[float | str]] = [
    [0.0, "#1a9850"],
    [0.1, "#a6d96a"],
    [0.25, "#fee08b"],
    [0.5, "#fdae61"],
    [1.0, "#d73027"],
]


def _quantile_pairs(quantiles: Sequence[float]) -> list[tuple[float, float]]:
    qs = sorted(float(q) for q in quantiles)
    if len(qs) % 2 or not qs or any(not 0.0 < q < 1.0 for q in qs):
        raise InvalidParameterError(f"quantiles must be an even number of values in (0, 1), got {tuple(quantiles)!r}")
    pairs = [(qs[i], qs[-1 - i]) for i in range(len(qs) // 2)]
    if any(lo >= hi for lo, hi in pairs):
        raise InvalidParameterError(
            f"quantiles must pair lower and upper values around the median, got {tuple(quantiles)!r}"
        )
    return pairs


def _pct(q: float) -> str:
    return f"p{q * 100:g}"


def _segments(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[list[object], list[float | None]]:
    """Closed polygons (``fill="toself"``) between ``lo`` and ``hi``, one per run of finite bins."""
    ok = np.isfinite(lo) & np.isfinite(hi)
    px: list[object] = []
    py: list[float | None] = []
    i, n = 0, len(x)
    while i < n:
        if not ok[i]:
            i += 1
            continue
        j = i
        while j < n and ok[j]:
            j += 1
        xs = list(x[i:j])
        if px:
            px.append(None)
            py.append(None)
        px += xs + xs[::-1]
        py += [float(v) for v in hi[i:j]] + [float(v) for v in lo[i:j][::-1]]
        i = j
    return px, py


# --------------------------------------------------------------------------- smoke


@fill_parameters(
    by="Group column, one subplot row per value; None for a single row.",
    quantiles=(
        "sequence of float",
        "Even number of quantiles in (0, 1), paired outermost first: ``(0.05, 0.25, 0.75, 0.95)`` draws "
        "p5–p95 and p25–p75 bands.",
    ),
)
def fig_smoke(
    df: pd.DataFrame,
    *,
    value: str = "total_ms",
    ts: str = "ts",
    by: str | None = "target",
    freq: str | pd.Timedelta | None = None,
    quantiles: Sequence[float] = (0.05, 0.25, 0.75, 0.95),
    failed: str | None = None,
    title: str | None = None,
) -> go.Figure:
    """SmokePing-style latency over time: quantile "smoke" bands, median coloured by loss.

    Samples are put in time bins. Per bin, grey bands span matching lower and
    upper quantiles of the successful samples (darker towards the median),
    and the median is a line whose markers are coloured by the share of
    failed samples in the bin (0 % green … ≥ 20 % red). A bin where every
    sample failed has no median; it is marked with a red ✕ on the x axis.
    One subplot row per group (target), sharing the time axis.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        One row per group, traces per row: one band per quantile pair, the
        median, and (when any bin lost every sample) the all-failed markers.
    """
    pairs = _quantile_pairs(quantiles)
    title = title or f"{value_name(value)} latency over time (median, spread, loss)"
    if len(df) == 0:
        return nothing_to_draw(title, "the table is empty")
    require_columns(df, [ts, value, by])
    work = sample_frame(df, value=value, ts=ts, by=by, failed=failed)
    if not work["v"].notna().any():
        return nothing_to_draw(title, all_failed_reason(df, len(df), value))
    work = work[work["ts"].notna()]
    if work.empty:
        return nothing_to_draw(title, f"no sample has a {ts} time")
    bins = bin_times(work["ts"], freq)
    work["bin"] = bins.keys
    groups = sorted(work["g"].unique())

    fig = make_subplots(
        rows=len(groups),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.08, 0.35 / max(len(groups) - 1, 1)),
        subplot_titles=[short(g, 80) for g in groups] if by is not None else None,
    )
    for row, g in enumerate(groups, start=1):
        sub = work[work["g"] == g]
        stats = _smoke_stats(sub, bins.starts, pairs)
        _add_bands(fig, row, bins, stats, pairs)
        _add_median(fig, row, g, bins, stats, pairs, n_groups=len(groups))
        fig.update_yaxes(title_text=value_label(value), rangemode="tozero", row=row, col=1)

    n_fail = int(work["fail"].sum())
    sub_text = (
        f"{len(work):,} samples, {n_fail:,} failed ({n_fail / len(work):.1%}); {bins.describe(freq)}"
        + "; bands: "
        + ", ".join(f"{_pct(lo)}–{_pct(hi)}" for lo, hi in pairs)
    )
    base_layout(fig, title, sub_text, height=max(360, 120 + 200 * len(groups)))
    fig.update_layout(
        hovermode="closest",
        legend={"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "x": 0.0},
        margin={"b": 70, "r": 40},
    )
    fig.update_xaxes(title_text="Time (UTC)", row=len(groups), col=1)
    return fig


def _smoke_stats(sub: pd.DataFrame, starts: pd.DatetimeIndex, pairs: list[tuple[float, float]]) -> pd.DataFrame:
    """Per bin of one group: each quantile, ``med``, ``n``, ``nfail``, ``loss`` (%) and ``err_text``."""
    qs = sorted({q for pair in pairs for q in pair})
    vals = sub[sub["v"].notna()].groupby("bin")["v"]
    stats = pd.DataFrame(index=starts)
    # pandas-stubs type q as one float; a list gives one column per quantile
    qtab = vals.quantile(qs).unstack() if len(vals) else pd.DataFrame(columns=qs)  # type: ignore[arg-type]
    for q in qs:
        stats[q] = qtab[q].reindex(starts).to_numpy(dtype=float) if q in qtab else np.nan
    stats["med"] = vals.median().reindex(starts).to_numpy(dtype=float)
    n, nfail = bin_counts(sub, starts)
    stats["n"], stats["nfail"] = n, nfail
    stats["loss"] = np.divide(nfail, n, out=np.zeros_like(n), where=n > 0) * 100
    stats["err_text"] = bin_errors(sub, starts)
    return stats


def _add_bands(fig: go.Figure, row: int, bins: TimeBins, stats: pd.DataFrame, pairs: list[tuple[float, float]]) -> None:
    """One filled band per quantile pair, darker towards the median; legend entries on the first row only."""
    x_obj = np.asarray(bins.centres.to_pydatetime(), dtype=object)
    band_alpha = np.linspace(0.18, 0.45, len(pairs))
    for k, (lo, hi) in enumerate(pairs):
        px, py = _segments(x_obj, stats[lo].to_numpy(), stats[hi].to_numpy())
        fig.add_trace(
            go.Scatter(
                x=px,
                y=py,
                fill="toself",
                mode="lines",
                line={"width": 0},
                fillcolor=f"rgba(90,90,90,{band_alpha[k]:.2f})",
                name=f"{_pct(lo)}–{_pct(hi)}",
                legendgroup=f"band{k}",
                showlegend=row == 1,
                hoverinfo="skip",
            ),
            row=row,
            col=1,
        )


def _add_median(
    fig: go.Figure,
    row: int,
    g: str,
    bins: TimeBins,
    stats: pd.DataFrame,
    pairs: list[tuple[float, float]],
    *,
    n_groups: int,
) -> None:
    """The median line with loss-coloured markers, and a red ✕ on every bin where all samples failed."""
    band_text = np.asarray(
        [
            "<br>".join(
                f"{_pct(lo)}–{_pct(hi)}: {stats[lo].iat[i]:,.1f}–{stats[hi].iat[i]:,.1f} ms"
                for lo, hi in reversed(pairs)
            )
            for i in range(len(stats))
        ],
        dtype=object,
    )
    n, loss, med = stats["n"].to_numpy(), stats["loss"].to_numpy(), stats["med"].to_numpy()
    custom = np.column_stack([bins.labels, n, stats["nfail"].to_numpy(), loss, band_text, stats["err_text"].to_numpy()])
    fig.add_trace(
        go.Scatter(
            x=bins.centres,
            y=med,
            mode="lines+markers",
            line={"color": MEDIAN_COLOR, "width": 1.2},
            marker={
                "color": np.minimum(loss, _LOSS_CMAX),
                "colorscale": _LOSS_COLORSCALE,
                "cmin": 0,
                "cmax": _LOSS_CMAX,
                "size": 7,
                "line": {"width": 0.5, "color": MEDIAN_COLOR},
                "showscale": row == 1,
                "colorbar": {
                    "title": {"text": "Loss %"},
                    "ticksuffix": " %",
                    "tickvals": [0, 5, 10, 15, 20],
                    "ticktext": ["0", "5", "10", "15", "≥20"],
                    "len": min(1.0, 300 / (180 * n_groups + 80)) if n_groups > 1 else 1.0,
                    "y": 1.0,
                    "yanchor": "top",
                },
            },
            name="median",
            legendgroup="median",
            showlegend=row == 1,
            customdata=custom,
            hovertemplate=(
                f"<b>{short(g, 60)}</b><br>%{{customdata[0]}}<br>"
                "median: %{y:,.1f} ms<br>%{customdata[4]}<br>"
                "samples: %{customdata[1]:.0f}, failed: %{customdata[2]:.0f} "
                "(%{customdata[3]:.1f} %)%{customdata[5]}<extra></extra>"
            ),
        ),
        row=row,
        col=1,
    )
    dead = (n > 0) & ~np.isfinite(med)
    if dead.any():
        fig.add_trace(
            go.Scatter(
                x=bins.centres[dead],
                y=np.zeros(int(dead.sum())),
                mode="markers",
                marker={"symbol": "x", "color": FAIL_COLOR, "size": 9},
                name="all samples failed",
                legendgroup="dead",
                showlegend=not any(t.name == "all samples failed" for t in fig.data),
                customdata=custom[dead],
                hovertemplate=(
                    f"<b>{short(g, 60)}</b><br>%{{customdata[0]}}<br>"
                    "all %{customdata[1]:.0f} samples failed%{customdata[5]}<extra></extra>"
                ),
            ),
            row=row,
            col=1,
        )


# --------------------------------------------------------------------------- errors


@fill_parameters(
    probes=("pandas.DataFrame", "Table with schema ``probes`` (``pings`` works too). It is not modified."),
    by=("str", "Column whose value names the failure (one stack per value)."),
)
def fig_error_timeline(
    probes: pd.DataFrame,
    *,
    ts: str = "ts",
    by: str = "error_kind",
    freq: str | pd.Timedelta | None = None,
    status: str = "status",
    title: str | None = None,
) -> go.Figure:
    """Failures per time bin, stacked by kind, with the failure rate on a second axis.

    A row is a failure when ``error_kind`` is set, ``ok`` is False, or the
    ``status`` is 5xx. It is stacked under its ``by`` value; a failure with no
    ``by`` value is ``http_5xx`` when its status is 5xx, else ``unknown``.
    Legend entries give each kind's count and first occurrence, so the moment
    timeouts started is readable at a glance.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per failure kind (name starts with the kind) and a
        ``"failure rate %"`` line on y2.
    """
    title = title or "Failures over time"
    if len(probes) == 0:
        return nothing_to_draw(title, "the table is empty")
    require_columns(probes, [ts, by])
    codes = floats(probes[status]) if status in probes.columns else np.full(len(probes), np.nan)
    is5xx = np.nan_to_num(codes, nan=0.0) >= 500
    fail = failed_rows(probes, None) | is5xx
    kind = as_labels(probes[by]).to_numpy()
    missing = probes[by].isna().to_numpy(dtype=bool)
    cats = np.where(missing, np.where(is5xx, "http_5xx", "unknown"), kind).astype(object)
    times = naive_utc(probes[ts])
    work = pd.DataFrame({"ts": times.to_numpy(), "fail": fail, "cat": cats})
    work = work[work["ts"].notna()]
    if not work["fail"].any():
        span = ""
        if len(work):
            span = f" between {work['ts'].min():{TS_FMT}} and {work['ts'].max():{TS_FMT}} UTC"
        return nothing_to_draw(title, f"no failures among {len(work):,} requests{span}")
    bins = bin_times(work["ts"], freq)
    work["bin"] = bins.keys
    td, all_bins, x, bin_text = bins.width, bins.starts, bins.centres, bins.labels
    totals = work.groupby("bin").size().reindex(all_bins, fill_value=0).to_numpy(dtype=float)
    failures = work[work["fail"]]
    table = failures.groupby(["bin", "cat"]).size().unstack(fill_value=0).reindex(all_bins, fill_value=0)
    order = table.sum().sort_values(ascending=False, kind="stable").index.tolist()
    first = failures.groupby("cat")["ts"].min()
    first_fmt = "%H:%M:%S" if work["ts"].min().date() == work["ts"].max().date() else "%m-%d %H:%M"
    vocab = ERROR_COLORS if by == "error_kind" else {}
    spare = color_map([c for c in order if c not in vocab], OTHER_COLORS if vocab else TARGET_COLORS)
    width_ms = td.total_seconds() * 1000 * 0.9

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for cat in order:
        counts = table[cat].to_numpy(dtype=float)
        share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0) * 100
        fig.add_trace(
            go.Bar(
                x=x,
                y=counts,
                width=width_ms,
                name=f"{cat} — {int(counts.sum()):,}, first {first[cat].strftime(first_fmt)}",
                marker={"color": vocab.get(cat) or spare.get(cat, FAIL_COLOR), "line": {"width": 0}},
                customdata=np.column_stack([bin_text, totals, share]),
                hovertemplate=(
                    f"<b>{cat}</b>: %{{y:.0f}} of %{{customdata[1]:.0f}} requests "
                    "(%{customdata[2]:.1f} %)<br>%{customdata[0]}<extra></extra>"
                ),
            ),
            secondary_y=False,
        )
    nfail = table.sum(axis=1).to_numpy(dtype=float)
    rate = np.divide(nfail, totals, out=np.full_like(nfail, np.nan), where=totals > 0) * 100
    fig.add_trace(
        go.Scatter(
            x=x,
            y=rate,
            mode="lines",
            line={"color": MEDIAN_COLOR, "width": 1.2},
            name="failure rate %",
            customdata=np.column_stack([bin_text, nfail, totals]),
            hovertemplate=(
                "<b>failure rate</b>: %{y:.1f} % (%{customdata[1]:.0f} of %{customdata[2]:.0f})"
                "<br>%{customdata[0]}<extra></extra>"
            ),
        ),
        secondary_y=True,
    )
    n_fail = int(work["fail"].sum())
    sub_text = (
        f"{n_fail:,} failures among {len(work):,} requests ({n_fail / len(work):.1%}); "
        f"{bins.describe(freq)}; first occurrence in the legend (UTC)"
    )
    base_layout(fig, title, sub_text, height=440)
    fig.update_layout(barmode="stack", bargap=0, hovermode="closest", legend={"title": {"text": by}})
    fig.update_xaxes(title_text="Time (UTC)")
    fig.update_yaxes(title_text=f"Failures per {format_duration(td)}", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="Failure rate (%)", range=[0, 100], showgrid=False, secondary_y=True)
    return fig
