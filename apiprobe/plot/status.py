"""Status-code figures (handbook §2.4): codes per route with misuse highlighted, codes over time.

Both builders are pure: they take a table, never mutate it, never call
``.show()`` and return a :class:`plotly.graph_objects.Figure`; an empty input
gives a figure that says why there is nothing to draw. Status classes have
one colour each (:data:`STATUS_COLORS`); misused answers are drawn hatched
with a dark outline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from apiprobe._frames import require_columns
from apiprobe.analyze.status import MISUSE_KINDS, status_table
from apiprobe.plot._core import base_layout, bin_times, nothing_to_draw, plain
from apiprobe.plot._doc import fill_parameters

__all__ = ["STATUS_COLORS", "fig_status_by_route", "fig_status_timeline"]

#: One colour per status class.
STATUS_COLORS: dict[str, str] = {
    "1xx": "#7f7f7f",
    "2xx": "#2ca02c",
    "3xx": "#1f77b4",
    "4xx": "#ff7f0e",
    "5xx": "#d62728",
}

_MISUSE_LINE = "#222222"
_MAX_BINS = 2000
_FREQ_STEPS: tuple[str, ...] = (
    "1s", "5s", "10s", "30s", "1min", "2min", "5min", "10min", "15min", "30min",
    "1h", "2h", "3h", "6h", "12h", "1D", "2D", "7D", "14D", "28D",
)  # fmt: skip
_TABLE_COLUMNS = ("subject", "status_class", "count", "misuse", "misuse_count")


def _classes(present: set[str]) -> list[str]:
    known = [c for c in STATUS_COLORS if c in present]
    return known + sorted(present - set(STATUS_COLORS))


@fill_parameters(
    table=(
        "pandas.DataFrame",
        "The output of :func:`apiprobe.analyze.status.status_table`; an events, probes or HAR table is "
        "turned into one first. It is not modified.",
    ),
    max_routes=(
        "int",
        "Draw the routes with the most answers, at most this many (routes with misuse first).",
    ),
)
def fig_status_by_route(
    table: pd.DataFrame,
    *,
    max_routes: int = 30,
    title: str | None = None,
) -> go.Figure:
    """Answers per route, stacked by status class, with misused answers hatched.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        Horizontal stacked bars, one ``y`` per route (its ``subject``): a
        ``go.Bar`` per status class for the well-used answers (name ``"2xx"``)
        and one per class for the misused ones (name ``"2xx misused"``,
        hatched), so that each route's bars add up to its request count.
    """
    title = title or "Status codes per route"
    if len(table) == 0:
        return nothing_to_draw(title, "the table is empty")
    if not set(_TABLE_COLUMNS) <= set(table.columns):
        table = status_table(table)
        if len(table) == 0:
            return nothing_to_draw(title, "no row has an HTTP status")
    nan = pd.Series(np.nan, index=table.index)
    work = pd.DataFrame(
        {
            "subject": table["subject"].astype("string").fillna("(unknown)").astype(object).to_numpy(),
            "cls": table["status_class"].astype("string").fillna("?").astype(object).to_numpy(),
            "count": pd.to_numeric(table["count"], errors="coerce").fillna(0).to_numpy(dtype=float),
            "misused": pd.to_numeric(table["misuse_count"], errors="coerce").fillna(0).to_numpy(dtype=float),
            "misuse": table["misuse"].astype("string").fillna("").astype(object).to_numpy(),
            "status": pd.to_numeric(table["status"] if "status" in table.columns else nan, errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            ),
            "rec": pd.to_numeric(
                table["recommended_status"] if "recommended_status" in table.columns else nan, errors="coerce"
            ).to_numpy(dtype=float, na_value=np.nan),
        }
    )
    per_route = work.groupby("subject").agg(total=("count", "sum"), misused=("misused", "sum"))
    per_route = per_route.sort_values(["misused", "total"], ascending=False, kind="stable")
    shown = per_route.head(max_routes)
    routes = shown.sort_values(["misused", "total"], ascending=True, kind="stable").index.tolist()
    work = work[work["subject"].isin(routes)]
    labels = [plain(r) for r in routes]  # routes come from logs: shown as text, never as markup
    notes = {}
    for subject, group in work[work["misuse"] != ""].groupby("subject"):
        parts = []
        for code, cls, kind, rec_code, n in zip(
            group["status"], group["cls"], group["misuse"], group["rec"], group["misused"], strict=True
        ):
            rec = f" → {rec_code:.0f}" if np.isfinite(rec_code) else ""
            status = f"{code:.0f}" if np.isfinite(code) else str(cls)
            parts.append(f"{status} {kind}{rec} ({n:.0f})")
        notes[subject] = "<br>".join(parts)
    fig = go.Figure()
    for cls in _classes(set(work["cls"])):
        sub = work[work["cls"] == cls].groupby("subject")[["count", "misused"]].sum().reindex(routes, fill_value=0)
        good = (sub["count"] - sub["misused"]).clip(lower=0).to_numpy(dtype=float)
        bad = sub["misused"].to_numpy(dtype=float)
        color = STATUS_COLORS.get(cls, "#9e9e9e")
        hover_notes = [notes.get(r, "") for r in routes]
        if good.any():
            fig.add_trace(
                go.Bar(
                    y=labels,
                    x=good,
                    orientation="h",
                    name=cls,
                    legendgroup=cls,
                    marker={"color": color, "line": {"width": 0}},
                    hovertemplate=f"<b>%{{y}}</b><br>{cls}: %{{x:.0f}}<extra></extra>",
                )
            )
        if bad.any():
            fig.add_trace(
                go.Bar(
                    y=labels,
                    x=bad,
                    orientation="h",
                    name=f"{cls} misused",
                    legendgroup=cls,
                    marker={
                        "color": color,
                        "line": {"width": 1.5, "color": _MISUSE_LINE},
                        "pattern": {"shape": "/", "fgcolor": _MISUSE_LINE, "solidity": 0.3},
                    },
                    customdata=np.array(hover_notes, dtype=object).reshape(-1, 1),
                    hovertemplate=f"<b>%{{y}}</b><br>{cls} misused: %{{x:.0f}}<br>%{{customdata[0]}}<extra></extra>",
                )
            )
    total = float(per_route["total"].sum())
    misused = float(per_route["misused"].sum())
    kinds = sorted(k for k in set(work["misuse"]) - {""} if k in MISUSE_KINDS)
    subtitle = (
        f"{len(per_route):,} routes, {total:,.0f} answers; {misused:,.0f} misused "
        f"({misused / total * 100 if total else 0:.1f} %)" + (f": {', '.join(kinds)}" if kinds else "")
    )
    if len(per_route) > len(routes):
        subtitle += f" — showing {len(routes)} of {len(per_route)} routes"
    base_layout(fig, title, subtitle, height=max(320, 120 + 28 * len(routes)))
    fig.update_layout(
        barmode="stack", legend={"traceorder": "normal"}, xaxis_title="answers", yaxis={"automargin": True}
    )
    return fig


@fill_parameters(
    data=(
        "pandas.DataFrame",
        "Any table with a time and an HTTP status column: events (request log lines), probes, HAR. "
        "Rows without a status (log lines that are not requests, probes that got no answer) are left out.",
    ),
    status="HTTP status column.",
    freq=("str or pandas.Timedelta", "Bin width; widened when it would give more than 2,000 bins."),
)
def fig_status_timeline(
    data: pd.DataFrame,
    *,
    ts: str = "ts",
    status: str = "status",
    freq: str | pd.Timedelta = "1min",
    title: str | None = None,
) -> go.Figure:
    """Answers per time bin (one minute by default), stacked by status class.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per status class (name ``"2xx"``…), ``x`` the bin start
        (UTC), ``y`` the count in the bin; empty bins are 0.
    """
    title = title or "Status codes over time"
    if len(data) == 0:
        return nothing_to_draw(title, "the table is empty")
    require_columns(data, [ts, status])
    codes = pd.to_numeric(data[status], errors="coerce")
    times = pd.to_datetime(data[ts], utc=True, errors="coerce")
    ok = codes.notna() & times.notna()
    if not ok.any():
        return nothing_to_draw(title, "no row has both a time and an HTTP status")
    work = pd.DataFrame(
        {
            "ts": times[ok].dt.tz_localize(None).to_numpy(),
            "cls": [f"{int(c) // 100}xx" for c in codes[ok]],
        }
    )
    # limit counts both ends: at most _MAX_BINS bin widths over the span
    binned = bin_times(work["ts"], freq, limit=_MAX_BINS + 1, steps=_FREQ_STEPS)
    td, bins = binned.width, binned.starts
    work["bin"] = binned.keys
    note = f"bins widened to {binned.widened_to} to keep the figure small" if binned.widened_to else ""
    counts = work.groupby(["bin", "cls"]).size().unstack(fill_value=0).reindex(bins, fill_value=0)
    fig = go.Figure()
    width_ms = td.total_seconds() * 1000 * 0.9
    label = f"{td}" if note else str(freq)
    for cls in _classes(set(counts.columns)):
        y = counts[cls].to_numpy(dtype=float)
        fig.add_trace(
            go.Bar(
                x=bins,
                y=y,
                name=f"{cls} — {int(y.sum()):,}",
                width=width_ms,
                offset=0,
                marker={"color": STATUS_COLORS.get(cls, "#9e9e9e"), "line": {"width": 0}},
                hovertemplate=f"%{{x|%Y-%m-%d %H:%M:%S}} UTC<br><b>{cls}</b>: %{{y:.0f}}<extra></extra>",
            )
        )
    errors = int((codes[ok] >= 400).sum())
    sub = f"{int(ok.sum()):,} answers, {errors:,} 4xx/5xx; per {label} (UTC)"
    if note:
        sub += f"; {note}"
    skipped = int((~ok).sum())
    if skipped:
        sub += f"; {skipped:,} rows without a status left out"
    base_layout(fig, title, sub)
    fig.update_layout(barmode="stack", xaxis_title="time (UTC)", yaxis_title="answers")
    return fig
