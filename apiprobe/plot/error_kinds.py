"""Figures for handbook §3.3: classified log errors over time, by kind and layer, and template changes.

Inputs are the tables of the log-error analysis in :mod:`apiprobe.analyze` and
:mod:`apiprobe.analyze.templates`: :func:`~apiprobe.analyze.error_counts`
for :func:`fig_error_counts`, :func:`~apiprobe.analyze.error_summary`
for :func:`fig_error_kinds` and
:func:`~apiprobe.analyze.templates.compare_templates` for
:func:`fig_template_changes`. The figures never mutate their input, never
call ``.show()``, hand plotly plain floats and strings (never ``pd.NA``) and
say why when there is nothing to draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from apiprobe._frames import format_duration, require_columns
from apiprobe.errors import InvalidParameterError
from apiprobe.plot._core import ERROR_COLORS, base_layout, cut, nothing_to_draw, plain
from apiprobe.plot._doc import fill_parameters
from apiprobe.schema import ERROR_KINDS, ERROR_LAYERS

__all__ = ["KIND_COLORS", "LAYER_COLORS", "MAX_WINDOWS", "fig_error_counts", "fig_error_kinds", "fig_template_changes"]

#: One colour per ``error_layer`` (unknown layer: grey).
LAYER_COLORS: dict[str, str] = {
    "dns": "#9467bd",
    "connect": "#1f77b4",
    "tls": "#17becf",
    "request": "#ff7f0e",
    "response": "#2ca02c",
    "pool": "#8c564b",
    "breaker": "#e377c2",
    "server": "#d62728",
    "client": "#bcbd22",
    "unknown": "#7f7f7f",
}

#: One colour per ``error_kind`` (the same as :data:`apiprobe.plot.ERROR_COLORS`,
#: so a kind has one colour in every figure).
KIND_COLORS: dict[str, str] = dict(ERROR_COLORS)

#: Most time windows drawn by :func:`fig_error_counts`; more are merged into wider windows.
MAX_WINDOWS = 1000

_OTHER = tuple(qualitative.Set2)
_GREY = "#9e9e9e"
_RED = "#d62728"


def _label(value: object, missing: str = "(none)") -> str:
    return (
        missing if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else plain(value)
    )


def _window_width(starts: pd.DatetimeIndex, hint: object) -> pd.Timedelta:
    if isinstance(hint, str | pd.Timedelta):
        try:
            return pd.Timedelta(hint)
        except ValueError:
            pass
    if len(starts) > 1:
        return pd.Series(starts).diff().dropna().min()
    return pd.Timedelta("1min")


@fill_parameters(
    counts=(
        "pandas.DataFrame",
        "Long table from :func:`~apiprobe.analyze.error_counts`: window start ``ts``, the ``by`` column "
        "and ``count``; with ``window_lines`` (all lines of the window) the error rate is drawn on a second "
        "axis. Other group columns (``service``, ...) are summed over. It is not modified.",
    ),
    by=("str", "Column that names the stacks."),
    ts="Window-start column (UTC).",
    count="Column with the number of error lines of the row.",
)
def fig_error_counts(
    counts: pd.DataFrame,
    *,
    by: str = "error_kind",
    ts: str = "ts",
    count: str = "count",
    title: str | None = None,
) -> go.Figure:
    """Error lines per time window, stacked by kind (or any ``by`` column), with the error rate.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per ``by`` value named by it, most frequent first
        (colours of :data:`KIND_COLORS` for error kinds), windows without
        errors drawn as 0; plus an ``"error rate %"`` line on y2 when
        ``window_lines`` (or ``lines``) is given (NaN in windows with no
        error row, whose line count is unknown). More than :data:`MAX_WINDOWS` windows are merged
        into wider ones.
    """
    title = title or "Errors over time"
    if counts is None or len(counts) == 0:
        return nothing_to_draw(title, "no error lines in the table")
    require_columns(counts, [ts, by, count])
    work = pd.DataFrame(
        {
            "ts": pd.to_datetime(counts[ts], utc=True).dt.tz_localize(None),
            "cat": [_label(v) for v in counts[by]],
            "n": pd.to_numeric(counts[count], errors="coerce").fillna(0.0).to_numpy(dtype=float),
        }
    )
    lines: pd.Series | None = None
    if "window_lines" in counts.columns or "lines" in counts.columns:
        col = "window_lines" if "window_lines" in counts.columns else "lines"
        per_window = counts.drop_duplicates([ts]) if col == "window_lines" else counts
        if col == "lines":  # one denominator per (window, group of the non-error columns)
            others = [
                c
                for c in counts.columns
                if c
                not in (
                    ts,
                    by,
                    count,
                    "lines",
                    "error_rate",
                    "window_lines",
                    "error_kind",
                    "error_layer",
                    "retryable",
                    "error_rule",
                )
            ]
            per_window = counts.drop_duplicates([ts, *others])
        lines = (
            pd.Series(
                pd.to_numeric(per_window[col], errors="coerce").to_numpy(dtype=float),
                index=pd.to_datetime(per_window[ts], utc=True).dt.tz_localize(None),
            )
            .groupby(level=0)
            .sum()
        )
    starts = pd.DatetimeIndex(sorted(work["ts"].dropna().unique()))
    if not len(starts):
        return nothing_to_draw(title, "no error window has a time")
    width = _window_width(starts, counts.attrs.get("freq"))
    n_windows = int((starts[-1] - starts[0]) / width) + 1
    note = ""
    if n_windows > MAX_WINDOWS:
        factor = int(np.ceil(n_windows / MAX_WINDOWS))
        width = width * factor
        note = f" (merged into {format_duration(width)} windows to keep the figure small)"
    bins = work["ts"].dt.floor(width) if note else work["ts"]
    all_bins = pd.date_range(bins.min(), bins.max(), freq=width)
    table = work.assign(bin=bins).groupby(["bin", "cat"])["n"].sum().unstack(fill_value=0).astype(float)
    table = table.reindex(all_bins, fill_value=0.0)
    order = table.sum().sort_values(ascending=False, kind="stable").index.tolist()
    vocab = KIND_COLORS if by == "error_kind" else {}
    spare = {c: _OTHER[i % len(_OTHER)] for i, c in enumerate(c for c in order if c not in vocab)}
    x = all_bins + width / 2
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for cat in order:
        y = table[cat].to_numpy(dtype=float)
        fig.add_trace(
            go.Bar(
                x=x,
                y=y,
                name=cat,
                width=width.total_seconds() * 1000 * 0.9,
                marker={"color": vocab.get(cat) or spare.get(cat, _GREY), "line": {"width": 0}},
                customdata=np.full(len(y), ERROR_KINDS.get(cat, "") if vocab else "", dtype=object),
                hovertemplate=f"<b>{cat}</b>: %{{y:,.0f}} lines<br>%{{x|%Y-%m-%d %H:%M:%S}} UTC"
                "<br>%{customdata}<extra></extra>",
            ),
            secondary_y=False,
        )
    if lines is not None:
        keys = pd.DatetimeIndex(lines.index).floor(width) if note else pd.DatetimeIndex(lines.index)
        total_lines = lines.groupby(keys).sum().reindex(all_bins)
        errs = table.sum(axis=1).to_numpy(dtype=float)
        denom = total_lines.to_numpy(dtype=float)
        rate = np.divide(errs, denom, out=np.full_like(errs, np.nan), where=np.isfinite(denom) & (denom > 0)) * 100
        fig.add_trace(
            go.Scatter(
                x=x,
                y=rate,
                mode="lines+markers",
                name="error rate %",
                line={"color": "#333333", "width": 1.2},
                marker={"size": 3},
                connectgaps=False,
                customdata=np.column_stack([errs, np.nan_to_num(denom, nan=0.0)]),
                hovertemplate="<b>error rate</b>: %{y:.2f} % (%{customdata[0]:,.0f} of %{customdata[1]:,.0f} lines)"
                "<extra></extra>",
            ),
            secondary_y=True,
        )
        fig.update_yaxes(title_text="Error rate (%)", rangemode="tozero", showgrid=False, secondary_y=True)
    total = int(table.to_numpy().sum())
    sub = (
        f"{total:,} error lines in {len(order)} {by} value{'s' if len(order) != 1 else ''}; "
        f"windows of {format_duration(width)}{note}"
    )
    base_layout(fig, title, sub, height=440)
    fig.update_layout(barmode="stack", bargap=0, hovermode="closest", legend={"title": {"text": by}})
    fig.update_xaxes(title_text="Time (UTC)")
    fig.update_yaxes(title_text=f"Error lines per {format_duration(width)}", rangemode="tozero", secondary_y=False)
    return fig


@fill_parameters(
    summary=(
        "pandas.DataFrame",
        "Table from :func:`~apiprobe.analyze.error_summary` (``error_kind``, ``count`` and ``layer``; "
        "``retryable``, ``services``, ``example`` and ``description`` go into the hover text when present).",
    ),
)
def fig_error_kinds(summary: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Error lines per kind, one horizontal bar per kind, coloured by layer.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per layer (named by the layer, ``unknown`` when NA), so
        the legend reads as the layers of :data:`~apiprobe.schema.ERROR_LAYERS`;
        the most frequent kind at the top.
    """
    title = title or "Errors by kind and layer"
    if summary is None or len(summary) == 0:
        return nothing_to_draw(title, "no error lines in the table")
    require_columns(summary, ["error_kind", "count", "layer"])
    df = summary.assign(
        _kind=[_label(v) for v in summary["error_kind"]],
        _layer=[_label(v, "unknown") for v in summary["layer"]],
        _n=pd.to_numeric(summary["count"], errors="coerce").fillna(0.0).to_numpy(dtype=float),
    ).sort_values("_n", ascending=True, kind="stable")
    retry_text = {True: "a retry can help", False: "retrying will not help"}

    def hover(row: pd.Series) -> str:
        parts = [str(row.get("description", "") or "")] if "description" in row and pd.notna(row["description"]) else []
        if "retryable" in row:
            r = row["retryable"]
            parts.append(retry_text.get(bool(r), "") if pd.notna(r) else "a retry may help (idempotent, time left)")
        if "services" in row and pd.notna(row["services"]):
            parts.append(f"services: {row['services']}")
        if "example" in row and pd.notna(row["example"]):
            parts.append(f"e.g. {cut(str(row['example']), 100)}")
        return "<br>".join(p for p in parts if p)

    fig = go.Figure()
    layers = [layer for layer in [*ERROR_LAYERS, "unknown"] if layer in set(df["_layer"])]
    layers += sorted(set(df["_layer"]) - set(layers))
    for layer in layers:
        sub = df[df["_layer"] == layer]
        fig.add_trace(
            go.Bar(
                orientation="h",
                x=sub["_n"].to_numpy(dtype=float),
                y=sub["_kind"].tolist(),
                name=layer,
                marker={"color": LAYER_COLORS.get(layer, _GREY)},
                text=[f"{v:,.0f}" for v in sub["_n"]],
                textposition="outside",
                customdata=np.asarray([hover(r) for _, r in sub.iterrows()], dtype=object),
                hovertemplate=f"<b>%{{y}}</b> ({layer} layer): %{{x:,.0f}} lines<br>%{{customdata}}<extra></extra>",
            )
        )
    total = float(df["_n"].sum())
    base_layout(
        fig, title, f"{total:,.0f} error lines in {len(df)} kinds; colour = layer", height=max(320, 34 * len(df) + 160)
    )
    fig.update_layout(barmode="overlay", legend={"title": {"text": "layer"}})
    fig.update_xaxes(title_text="error lines", rangemode="tozero")
    fig.update_yaxes(categoryorder="array", categoryarray=df["_kind"].tolist())
    return fig


@fill_parameters(
    comparison=("pandas.DataFrame", "Table from :func:`~apiprobe.analyze.templates.compare_templates`."),
    n="Number of templates to show (new and grown ones first, as the table is sorted).",
)
def fig_template_changes(comparison: pd.DataFrame, *, n: int = 20, title: str | None = None) -> go.Figure:
    """Baseline vs incident rate of the message templates that changed most.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        Two horizontal ``go.Bar`` traces, ``"baseline"`` and ``"incident"``
        (lines per minute), one row per template labelled ``id: template``
        with ``(new)`` or ``(×ratio)`` appended; the first row of the table at
        the top.
    """
    if n < 1:
        raise InvalidParameterError(f"n must be at least 1, got {n}")
    title = title or "Message templates: baseline vs incident"
    if comparison is None or len(comparison) == 0:
        return nothing_to_draw(title, "no template in either window")
    require_columns(comparison, ["template_id", "template", "baseline_rate", "incident_rate"])
    top = comparison.head(n)
    labels = []
    for _, row in top.iterrows():
        tag = ""
        if "is_new" in row and bool(row["is_new"]):
            tag = " (new)"
        elif "ratio" in row and pd.notna(row["ratio"]) and np.isfinite(float(row["ratio"])):
            tag = f" (×{float(row['ratio']):.1f})"
        labels.append(f"{row['template_id']}: {cut(_label(row['template']), 60)}{tag}")
    base = pd.to_numeric(top["baseline_rate"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    inc = pd.to_numeric(top["incident_rate"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    full = np.asarray([_label(t) for t in top["template"]], dtype=object)
    base_n = top["baseline_count"].to_numpy(dtype=float) if "baseline_count" in top.columns else base
    inc_n = top["incident_count"].to_numpy(dtype=float) if "incident_count" in top.columns else inc
    fig = go.Figure()
    for name, values, counts_, color in (("baseline", base, base_n, _GREY), ("incident", inc, inc_n, _RED)):
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=labels,
                x=values,
                name=name,
                marker={"color": color},
                customdata=np.column_stack([full, counts_]),
                hovertemplate=f"<b>{name}</b>: %{{x:.3g}} lines/min (%{{customdata[1]:,.0f}} lines)"
                "<br>%{customdata[0]}<extra></extra>",
            )
        )
    n_new = int(top["is_new"].sum()) if "is_new" in top.columns else 0
    n_grew = int(top["grew"].sum()) if "grew" in top.columns else 0
    base_layout(
        fig,
        title,
        f"{len(top)} of {len(comparison)} templates; {n_new} new, {n_grew} grew",
        height=max(320, 40 * len(top) + 160),
    )
    fig.update_layout(barmode="group", bargap=0.25, legend={"traceorder": "normal"})
    fig.update_xaxes(title_text="lines per minute", rangemode="tozero")
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed")
    return fig
