"""Where the time of a request goes: per-request phase waterfall and per-group phase breakdown.

Both figures read the ``probes`` table. A phase that is NA (did not happen,
or failed) takes no room and is never drawn as 0 ms. See
:mod:`apiprobe.plot.latency` for the conventions shared by latency figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from apiprobe._frames import require_columns
from apiprobe.errors import InvalidParameterError
from apiprobe.plot._core import (
    FAIL_COLOR,
    OTHER_COLORS,
    PHASE_COLORS,
    as_labels,
    base_layout,
    failed_rows,
    floats,
    group_labels,
    naive_utc,
    nothing_to_draw,
    short,
)
from apiprobe.plot._doc import fill_parameters
from apiprobe.schema import PHASE_LABELS, PHASES

__all__ = ["fig_phase_breakdown", "fig_waterfall"]

#: The statistics :func:`fig_phase_breakdown` can show.
Stat = Literal["p50", "p90", "p99", "mean"]

_MAX_WATERFALL_ROWS = 300
_STATS: dict[str, str] = {"p50": "median (p50)", "p90": "p90", "p99": "p99", "mean": "mean"}


# --------------------------------------------------------------------------- waterfall


@fill_parameters(
    n="Number of requests to show (at most 300).",
    sort=(
        "{'slowest', 'latest', 'failed'}",
        '``"slowest"``: the ``n`` requests with the largest ``total_ms`` (a failed request, whose total is '
        'unknown, ranks by the sum of the phases it completed, so a timeout may rank low); ``"latest"``: the '
        '``n`` most recent requests; ``"failed"``: the ``n`` most recent failed requests.',
    ),
    ts="Column of the request's start time (UTC).",
)
def fig_waterfall(
    probes: pd.DataFrame,
    *,
    n: int = 30,
    sort: Literal["slowest", "latest", "failed"] = "slowest",
    phases: Sequence[str] = PHASES,
    ts: str = "ts",
    target: str = "target",
    total: str = "total_ms",
    title: str | None = None,
) -> go.Figure:
    """Per-request phase waterfall: one horizontal bar per request, one segment per phase.

    Segments are laid end to end in ``phases`` order; a phase that is NA (did
    not happen, such as DNS for an IP literal or TLS for plain HTTP, or
    failed) takes no room and is not drawn. A failed request shows the phases
    it completed followed by a red ✕ labelled with its ``error_kind`` at the
    point it failed; a 5xx answer gets an ``HTTP 5xx`` label at its end.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        Horizontal bars, slowest (or newest) request at the top; the x axis is
        milliseconds since the request started. One ``go.Bar`` per phase
        (named by :data:`PHASE_LABELS`), then ``"failed"`` and ``"HTTP 5xx"``
        marker traces when such requests are shown. When no request in the
        table completed, the failures are still drawn and an annotation says
        that no complete request exists.
    """
    if sort not in ("slowest", "latest", "failed"):
        raise InvalidParameterError(f"sort must be 'slowest', 'latest' or 'failed', got {sort!r}")
    if n < 1:
        raise InvalidParameterError(f"n must be at least 1, got {n}")
    n_rows = min(n, _MAX_WATERFALL_ROWS)
    title = title or f"Request waterfall: {n_rows} {sort} requests"
    if len(probes) == 0:
        return nothing_to_draw(title, "the table is empty")
    require_columns(probes, [ts, *phases])
    has_target = target in probes.columns
    widths = np.column_stack([floats(probes[p]) for p in phases]) if phases else np.zeros((len(probes), 0))
    done = np.nansum(widths, axis=1) if phases else np.zeros(len(probes))
    totals = floats(probes[total]) if total in probes.columns else np.full(len(probes), np.nan)
    failed = failed_rows(probes, total)
    if total not in probes.columns and not {"error_kind", "ok"} & set(probes.columns):
        failed = ~np.isfinite(totals)  # no failure evidence and no total: nothing counts as complete
    any_value = np.isfinite(widths).any(axis=1) | np.isfinite(totals)
    if not (any_value | failed).any():
        return nothing_to_draw(title, f"no request has a {' or '.join([*phases, total])} value")
    effective = np.where(np.isfinite(totals), totals, done)
    times = naive_utc(probes[ts])

    order = pd.DataFrame({"eff": effective, "ts": times.to_numpy(), "pos": np.arange(len(probes))})
    if sort == "failed":
        if not failed.any():
            return nothing_to_draw(title, f"none of the {len(probes):,} requests failed")
        order = order[failed]
    keys = ["eff", "ts"] if sort == "slowest" else ["ts", "eff"]
    order = order.sort_values(keys, ascending=False, na_position="last", kind="stable")
    sel = order["pos"].to_numpy()[:n_rows]

    targets = as_labels(probes[target]).to_numpy()[sel] if has_target else np.full(len(sel), "", dtype=object)
    one_target = len(set(targets)) <= 1
    ts_sel = times.to_numpy()[sel]
    ts_text = np.asarray(pd.DatetimeIndex(ts_sel).strftime("%Y-%m-%d %H:%M:%S.%f").str[:-3], dtype=object)
    short_ts = np.asarray(pd.DatetimeIndex(ts_sel).strftime("%m-%d %H:%M:%S.%f").str[:-3], dtype=object)
    rows = [
        f"{i + 1}. {t}" + ("" if one_target else f" {short(str(g), 32)}")
        for i, (t, g) in enumerate(zip(short_ts, targets, strict=True))
    ]
    status = floats(probes["status"])[sel] if "status" in probes.columns else np.full(len(sel), np.nan)
    kinds = (
        as_labels(probes["error_kind"], "").to_numpy()[sel]
        if "error_kind" in probes.columns
        else np.full(len(sel), "", dtype=object)
    )
    errors = (
        as_labels(probes["error"], "").map(lambda s: s if len(s) <= 160 else s[:159] + "…").to_numpy()[sel]
        if "error" in probes.columns
        else np.full(len(sel), "", dtype=object)
    )
    w_sel = widths[sel]
    tot_sel = totals[sel]
    done_sel = done[sel]
    fail_sel = failed[sel]
    status_text = np.asarray(["—" if np.isnan(s) else str(int(s)) for s in status], dtype=object)
    total_text = np.asarray(
        ["failed" if np.isnan(t) else f"{t:,.1f} ms" for t in tot_sel],
        dtype=object,
    )
    other = np.where(np.isfinite(tot_sel), tot_sel - done_sel, np.nan)
    other_text = np.asarray(
        ["" if not np.isfinite(o) or abs(o) < 0.05 else f"<br>not in a phase: {o:,.1f} ms" for o in other],
        dtype=object,
    )

    fig = go.Figure()
    starts = np.zeros(len(sel))
    for k, phase in enumerate(phases):
        w = w_sel[:, k]
        custom = np.column_stack([ts_text, targets, status_text, total_text, starts.copy(), kinds, other_text])
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=rows,
                x=w,
                base=starts.copy(),
                name=PHASE_LABELS.get(phase, phase),
                marker={"color": PHASE_COLORS.get(phase, OTHER_COLORS[k % len(OTHER_COLORS)])},
                customdata=custom,
                hovertemplate=(
                    f"<b>{PHASE_LABELS.get(phase, phase)}</b>: %{{x:,.1f}} ms"
                    " (from %{customdata[4]:,.1f} ms)<br>"
                    "%{customdata[0]} UTC<br>%{customdata[1]}<br>"
                    "status %{customdata[2]}, total %{customdata[3]}%{customdata[6]}<extra></extra>"
                ),
            )
        )
        starts = starts + np.nan_to_num(w, nan=0.0)

    def _markers(mask: np.ndarray, xs: np.ndarray, text: np.ndarray, name: str, symbol: str, color: str) -> None:
        if not mask.any():
            return
        fig.add_trace(
            go.Scatter(
                x=xs[mask],
                y=[r for r, m in zip(rows, mask, strict=True) if m],
                mode="markers+text",
                text=text[mask],
                textposition="middle right",
                textfont={"color": color, "size": 11},
                marker={"symbol": symbol, "color": color, "size": 10, "line": {"width": 1, "color": color}},
                name=name,
                customdata=np.column_stack([ts_text, targets, status_text, errors, done_sel])[mask],
                hovertemplate=(
                    "<b>%{text}</b> after %{customdata[4]:,.1f} ms of completed phases<br>"
                    "%{customdata[0]} UTC<br>%{customdata[1]}<br>status %{customdata[2]}<br>"
                    "%{customdata[3]}<extra></extra>"
                ),
            )
        )

    fail_text = np.asarray([k or "failed" for k in kinds], dtype=object)
    end = np.where(np.isfinite(tot_sel), np.fmax(tot_sel, done_sel), done_sel)
    _markers(fail_sel, done_sel, fail_text, "failed", "x-thin-open", FAIL_COLOR)
    is5xx = ~fail_sel & (np.nan_to_num(status, nan=0) >= 500)
    code_text = np.asarray([f"HTTP {s}" for s in status_text], dtype=object)
    _markers(is5xx, end, code_text, "HTTP 5xx", "diamond", "#b2182b")

    reach = float(np.nanmax(end)) if len(sel) else 0.0
    reach = reach if np.isfinite(reach) and reach > 0 else 1.0
    n_failed_all = int(failed.sum())
    sub = f"{len(sel)} of {len(probes):,} requests"
    if n_failed_all:
        sub += f"; {n_failed_all:,} failed in the table ({int(fail_sel.sum())} shown)"
    if sort == "slowest" and n_failed_all:
        sub += " (they rank by their completed phases; sort='failed' lists them)"
    base_layout(fig, title, sub, height=max(320, 130 + 22 * len(sel)))
    if not (~failed & np.isfinite(totals)).any():
        fig.add_annotation(
            text=f"Nothing complete to draw: all {len(probes):,} requests failed; ✕ marks where each stopped",
            xref="paper",
            yref="paper",
            x=0.5,
            y=1.0,
            yanchor="bottom",
            showarrow=False,
            font={"color": FAIL_COLOR},
        )
    fig.update_layout(barmode="overlay", bargap=0.25, legend={"traceorder": "normal"})
    fig.update_xaxes(title_text="Time since the request started (ms)", range=[0, reach * 1.18])
    fig.update_yaxes(
        title_text="Request (UTC start" + ("" if one_target else ", target") + ")",
        categoryorder="array",
        categoryarray=rows,
        autorange="reversed",
        tickfont={"family": "monospace", "size": 11},
    )
    return fig


# --------------------------------------------------------------------------- phase breakdown


@fill_parameters(
    by="Group column, one bar per value; None for one bar.",
    stat="The statistic of each phase (and of ``total``) to show.",
    total=("str or None", "Total duration column (ms), marked for comparison; None to leave it out."),
)
def fig_phase_breakdown(
    probes: pd.DataFrame,
    *,
    by: str | None = "target",
    stat: Stat = "p50",
    phases: Sequence[str] = PHASES,
    total: str | None = "total_ms",
    title: str | None = None,
) -> go.Figure:
    """Per group, one stacked horizontal bar of each phase's statistic.

    Each phase's statistic is computed over the requests where that phase
    happened (NA phases are left out, never counted as 0), so the dominant
    phase is the longest segment. A phase that never happened for a group
    (TLS over plain HTTP) has no segment. Note that a sum of per-phase p90s is
    not the p90 of the total: the same statistic of ``total`` is marked with
    a black diamond for comparison.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per phase (named by :data:`PHASE_LABELS`), groups on
        the y axis with the slowest at the top, and a ``"total <stat>"`` marker trace.
    """
    if stat not in _STATS:
        raise InvalidParameterError(f"stat must be one of {', '.join(_STATS)}, got {stat!r}")
    title = title or f"Where the time goes: {_STATS[stat]} of each phase"
    if len(probes) == 0:
        return nothing_to_draw(title, "the table is empty")
    require_columns(probes, [*phases, by])
    group_of = group_labels(probes, by).to_numpy()
    names = sorted(set(group_of))

    def _stat(values: np.ndarray) -> float:
        values = values[np.isfinite(values)]
        if not len(values):
            return float("nan")
        if stat == "mean":
            return float(values.mean())
        return float(np.quantile(values, int(stat[1:]) / 100))

    cols = {p: floats(probes[p]) for p in phases}
    tot = floats(probes[total]) if total is not None and total in probes.columns else None
    table = pd.DataFrame({p: [_stat(cols[p][group_of == g]) for g in names] for p in phases}, index=names, dtype=float)
    counts = pd.DataFrame(
        {p: [int(np.isfinite(cols[p][group_of == g]).sum()) for g in names] for p in phases}, index=names
    )
    tot_stat = pd.Series([_stat(tot[group_of == g]) if tot is not None else np.nan for g in names], index=names)
    if table.isna().all().all():
        return nothing_to_draw(title, f"no request completed any of {', '.join(phases)}")
    table = table[table.notna().any(axis=1)]
    stacked = table.fillna(0).sum(axis=1)
    table = table.loc[stacked.sort_values(ascending=False, kind="stable").index]
    stacked = stacked.loc[table.index]
    rows = [short(g) for g in table.index]
    if len(set(rows)) < len(rows):
        rows = list(table.index)

    fig = go.Figure()
    start = np.zeros(len(table))
    for k, p in enumerate(phases):
        w = table[p].to_numpy(dtype=float)
        tot_w = stacked.to_numpy(dtype=float)
        share = np.divide(w, tot_w, out=np.full_like(w, np.nan), where=tot_w > 0) * 100
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=rows,
                x=w,
                base=start.copy(),
                name=PHASE_LABELS.get(p, p),
                marker={"color": PHASE_COLORS.get(p, OTHER_COLORS[k % len(OTHER_COLORS)])},
                text=[f"{v:,.0f}" if np.isfinite(v) else "" for v in w],
                textposition="inside",
                insidetextanchor="middle",
                customdata=np.column_stack(
                    [
                        np.asarray(table.index, dtype=object),
                        share,
                        counts.loc[table.index, p].to_numpy(dtype=float),
                    ]
                ),
                hovertemplate=(
                    f"<b>%{{customdata[0]}}</b><br>{PHASE_LABELS.get(p, p)} {_STATS[stat]}: "
                    "%{x:,.1f} ms (%{customdata[1]:.0f} % of the bar)<br>"
                    "from %{customdata[2]:.0f} requests where the phase happened<extra></extra>"
                ),
            )
        )
        start = start + np.nan_to_num(w, nan=0.0)
    ts_vals = tot_stat.loc[table.index].to_numpy(dtype=float)
    if total is not None and np.isfinite(ts_vals).any():
        fig.add_trace(
            go.Scatter(
                x=ts_vals,
                y=rows,
                mode="markers",
                marker={"symbol": "diamond", "color": "black", "size": 10},
                name=f"total {stat}",
                customdata=np.column_stack([np.asarray(table.index, dtype=object), stacked.to_numpy()]),
                hovertemplate=(
                    f"<b>%{{customdata[0]}}</b><br>{_STATS[stat]} of {total}: %{{x:,.1f}} ms<br>"
                    f"sum of phase {stat}s: %{{customdata[1]:,.1f}} ms<extra></extra>"
                ),
            )
        )
    base_layout(
        fig,
        title,
        f"{len(probes):,} requests; each phase over the requests where it happened (NA phases excluded)",
        height=max(300, 150 + 48 * len(rows)),
    )
    fig.update_layout(
        barmode="overlay",
        bargap=0.35,
        hovermode="closest",
        uniformtext={"minsize": 9, "mode": "hide"},
        legend={"traceorder": "normal"},
    )
    fig.update_xaxes(title_text=f"{_STATS[stat]} per phase, stacked (ms)", rangemode="tozero")
    fig.update_yaxes(title_text=by or "", categoryorder="array", categoryarray=rows, autorange="reversed")
    return fig
