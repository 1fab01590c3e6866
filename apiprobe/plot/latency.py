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
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from apiprobe.errors import SchemaError
from apiprobe.plot._common import base_layout, nothing_to_draw
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

#: One colour per phase, used by every figure that shows phases.
PHASE_COLORS: dict[str, str] = {
    "dns_ms": "#9467bd",
    "connect_ms": "#1f77b4",
    "tls_ms": "#17becf",
    "request_ms": "#bcbd22",
    "ttfb_ms": "#ff7f0e",
    "transfer_ms": "#2ca02c",
}

#: One colour per ``error_kind`` (hues follow the phase the failure belongs to), plus ``http_5xx``.
ERROR_COLORS: dict[str, str] = {
    "dns_failure": "#c5b0d5",
    "dns_timeout": "#9467bd",
    "nxdomain": "#b39ddb",
    "servfail": "#7e57c2",
    "connect_refused": "#6baed6",
    "connect_timeout": "#1f4e99",
    "connect_error": "#aec7e8",
    "tls_error": "#17becf",
    "tls_untrusted": "#0b8fa0",
    "tls_expired": "#6fd3de",
    "tls_hostname": "#9edae5",
    "tls_timeout": "#0e7c86",
    "write_error": "#bcbd22",
    "read_timeout": "#ff7f0e",
    "body_timeout": "#2ca02c",
    "connection_reset": "#8c564b",
    "protocol_error": "#e377c2",
    # kinds that mostly come from logs (classify_errors)
    "deadline_exceeded": "#ffbb78",
    "canceled": "#c7c7c7",
    "pool_timeout": "#a0522d",
    "idle_conn_closed": "#c49c94",
    "goaway": "#98df8a",
    "eof": "#dbdb8d",
    "conn_closed": "#d8b365",
    "breaker_open": "#f0027f",
    "rate_limited": "#f7b6d2",
    "server_error": "#d62728",
    "client_error": "#ff9896",
    "error": "#7f7f7f",
    "http_5xx": "#d62728",
}

#: Most points a raw-sample trace may carry; larger inputs are thinned or aggregated.
MAX_POINTS = 2000

_MAX_WATERFALL_ROWS = 300
_TARGET_BINS = 200
_FAIL_COLOR = "#d62728"
_MEDIAN_COLOR = "#333333"
_TARGET_COLORS: tuple[str, ...] = tuple(qualitative.D3[i] for i in (0, 3, 2, 1, 4, 5, 6, 8, 9, 7)) + tuple(
    qualitative.Dark2
)
_OTHER_COLORS: tuple[str, ...] = tuple(qualitative.Set2)
# Loss colour scale: 0 % green, 2 % light green, 5 % yellow, 10 % orange, >= 20 % red.
_LOSS_CMAX = 20.0
_LOSS_COLORSCALE: list[list[float | str]] = [
    [0.0, "#1a9850"],
    [0.1, "#a6d96a"],
    [0.25, "#fee08b"],
    [0.5, "#fdae61"],
    [1.0, "#d73027"],
]
_FREQ_CANDIDATES: tuple[str, ...] = (
    "100ms", "250ms", "500ms", "1s", "2s", "5s", "10s", "15s", "30s",
    "1min", "2min", "5min", "10min", "15min", "30min",
    "1h", "2h", "3h", "6h", "12h", "1D", "2D", "7D", "14D", "28D",
)  # fmt: skip
_VALUE_LABELS: dict[str, str] = {
    **PHASE_LABELS,
    "rtt_ms": "RTT (TCP connect)",
    "elapsed_ms": "Elapsed",
    "latency_ms": "Latency",
    "duration_ms": "Duration",
}
_STATS: dict[str, str] = {"p50": "median (p50)", "p90": "p90", "p99": "p99", "mean": "mean"}
_TS_FMT = "%Y-%m-%d %H:%M:%S"

Stat = Literal["p50", "p90", "p99", "mean"]


# --------------------------------------------------------------------------- helpers


def _require(df: pd.DataFrame, cols: Sequence[str | None]) -> None:
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        raise SchemaError(
            f"missing column(s) {', '.join(map(repr, missing))}; the table has: {', '.join(map(str, df.columns))}"
        )


def _floats(series: pd.Series) -> np.ndarray:
    """Float64 numpy values with NaN for every kind of missing (pd.NA, None, NaT)."""
    return np.asarray(pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan))


def _labels(series: pd.Series, missing: str = "(none)") -> pd.Series:
    """Plain ``str`` labels with ``missing`` in place of NA."""
    return series.astype("string").fillna(missing).astype(object).map(str)


def _groups(df: pd.DataFrame, by: str | None) -> pd.Series:
    if by is None:
        return pd.Series("all", index=df.index, dtype=object)
    return _labels(df[by])


def _naive_utc(series: pd.Series) -> pd.Series:
    ts = pd.to_datetime(series, utc=True)
    return ts.dt.tz_localize(None)


def _failed_mask(df: pd.DataFrame, values: np.ndarray, failed: str | None = None) -> np.ndarray:
    """Boolean array: True where the sample failed (see module docstring)."""
    if failed is not None:
        _require(df, [failed])
        return np.asarray(df[failed].astype("boolean").fillna(False).to_numpy(dtype=bool))
    if "error_kind" not in df.columns and "ok" not in df.columns:
        return np.isnan(values)
    mask = np.zeros(len(df), dtype=bool)
    if "error_kind" in df.columns:
        mask |= df["error_kind"].notna().to_numpy(dtype=bool)
    if "ok" in df.columns:
        ok = df["ok"].astype("boolean")
        mask |= (ok == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712  (nullable compare)
    return mask


def _value_label(value: str) -> str:
    return f"{_VALUE_LABELS.get(value, value)} (ms)"


def _fmt_td(td: pd.Timedelta) -> str:
    secs = td.total_seconds()
    if secs < 1:
        return f"{secs * 1000:g} ms"
    if secs < 60:
        return f"{secs:g} s"
    if secs < 3600:
        return f"{secs / 60:g} min"
    if secs < 86400:
        return f"{secs / 3600:g} h"
    return f"{secs / 86400:g} d"


def _resolve_freq(ts: pd.Series, freq: str | pd.Timedelta | None) -> tuple[pd.Timedelta, str]:
    """Bin width for ``ts`` and a note when the requested one had to be widened.

    ``None`` picks the smallest round width giving at most ~200 bins (so a
    span of a few hours gets 60-200 bins). A requested width that would give
    more than :data:`MAX_POINTS` bins is widened to keep figures small.
    """
    span = ts.max() - ts.min() if len(ts) else pd.Timedelta(0)
    if pd.isna(span):
        span = pd.Timedelta(0)
    limit = _TARGET_BINS if freq is None else MAX_POINTS
    if freq is not None:
        td = pd.Timedelta(freq)
        if td <= pd.Timedelta(0):
            raise ValueError(f"freq must be a positive duration, got {freq!r}")
        if span / td + 1 <= limit:
            return td, ""
    for cand in _FREQ_CANDIDATES:
        td = pd.Timedelta(cand)
        if span / td + 1 <= limit:
            break
    else:
        td = (span / (limit - 1)).ceil("1D")
    note = "" if freq is None else f"bins widened from {_fmt_td(pd.Timedelta(freq))} to keep the figure small"
    return td, note


def _bin_labels(starts: pd.DatetimeIndex, td: pd.Timedelta) -> np.ndarray:
    fmt = "%Y-%m-%d %H:%M:%S.%f" if td < pd.Timedelta("1s") else _TS_FMT
    lo = starts.strftime(fmt)
    hi = (starts + td).strftime("%H:%M:%S.%f" if td < pd.Timedelta("1s") else "%H:%M:%S")
    return np.asarray([f"{a} – {b} UTC" for a, b in zip(lo, hi, strict=True)], dtype=object)


def _error_summary(kinds: pd.Series, bins: pd.Series, top: int = 3) -> dict[pd.Timestamp, str]:
    """Per bin, the most frequent error kinds as ``"connect_timeout ×5, read_timeout ×1"``."""
    mask = kinds.notna()
    if not mask.any():
        return {}
    counts = (
        pd.DataFrame({"bin": bins[mask].to_numpy(), "kind": _labels(kinds[mask]).to_numpy()})
        .groupby(["bin", "kind"])
        .size()
        .rename("count")
        .reset_index()
        .sort_values(["bin", "count", "kind"], ascending=[True, False, True], kind="stable")
    )
    out: dict[pd.Timestamp, list[str]] = {}
    for b, kind, count in zip(counts["bin"], counts["kind"], counts["count"], strict=True):
        items = out.setdefault(pd.Timestamp(b), [])
        if len(items) < top:
            items.append(f"{kind} ×{count}")
    return {b: ", ".join(v) for b, v in out.items()}


def _colors(names: Sequence[str], palette: Sequence[str] = _TARGET_COLORS) -> dict[str, str]:
    return {name: palette[i % len(palette)] for i, name in enumerate(names)}


def _short(text: str, width: int = 40) -> str:
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text if len(text) <= width else text[: width - 1] + "…"


def _all_failed_reason(df: pd.DataFrame, n: int, value: str) -> str:
    reason = f"all {n:,} samples failed or have no {value}"
    if "error_kind" in df.columns:
        kinds = _labels(df["error_kind"].dropna()).value_counts()
        if len(kinds):
            reason += " (" + ", ".join(f"{k} ×{c}" for k, c in kinds.head(4).items()) + ")"
    return reason


def _thin(n: int, cap: int) -> np.ndarray:
    """Indices of at most ``cap`` evenly spread positions in ``range(n)``, keeping both ends."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(int))


def _quantile_pairs(quantiles: Sequence[float]) -> list[tuple[float, float]]:
    qs = sorted(float(q) for q in quantiles)
    if len(qs) % 2 or not qs or any(not 0.0 < q < 1.0 for q in qs):
        raise ValueError(f"quantiles must be an even number of values in (0, 1), got {tuple(quantiles)!r}")
    pairs = [(qs[i], qs[-1 - i]) for i in range(len(qs) // 2)]
    if any(lo >= hi for lo, hi in pairs):
        raise ValueError(f"quantiles must pair lower and upper values around the median, got {tuple(quantiles)!r}")
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


# --------------------------------------------------------------------------- waterfall


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
    probes
        Table with schema ``probes``.
    n
        Number of requests to show (at most 300).
    sort
        ``"slowest"``: the ``n`` requests with the largest ``total_ms`` (a
        failed request, whose total is unknown, ranks by the sum of the phases
        it completed, so a timeout may rank low); ``"latest"``: the ``n`` most
        recent requests; ``"failed"``: the ``n`` most recent failed requests.
    phases
        Phase columns (ms) in the order they happen.
    ts, target, total
        Column names of the start time, the target and the total duration (ms).
    title
        Figure title; a default naming the selection is used when None.

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
        raise ValueError(f"sort must be 'slowest', 'latest' or 'failed', got {sort!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    n_rows = min(n, _MAX_WATERFALL_ROWS)
    title = title or f"Request waterfall: {n_rows} {sort} requests"
    if len(probes) == 0:
        return nothing_to_draw(title, "the table is empty")
    _require(probes, [ts, *phases])
    has_target = target in probes.columns
    widths = np.column_stack([_floats(probes[p]) for p in phases]) if phases else np.zeros((len(probes), 0))
    done = np.nansum(widths, axis=1) if phases else np.zeros(len(probes))
    totals = _floats(probes[total]) if total in probes.columns else np.full(len(probes), np.nan)
    failed = _failed_mask(probes, totals)
    any_value = np.isfinite(widths).any(axis=1) | np.isfinite(totals)
    if not (any_value | failed).any():
        return nothing_to_draw(title, f"no request has a {' or '.join([*phases, total])} value")
    effective = np.where(np.isfinite(totals), totals, done)
    times = _naive_utc(probes[ts])

    order = pd.DataFrame({"eff": effective, "ts": times.to_numpy(), "pos": np.arange(len(probes))})
    if sort == "failed":
        if not failed.any():
            return nothing_to_draw(title, f"none of the {len(probes):,} requests failed")
        order = order[failed]
    keys = ["eff", "ts"] if sort == "slowest" else ["ts", "eff"]
    order = order.sort_values(keys, ascending=False, na_position="last", kind="stable")
    sel = order["pos"].to_numpy()[:n_rows]

    targets = _labels(probes[target]).to_numpy()[sel] if has_target else np.full(len(sel), "", dtype=object)
    one_target = len(set(targets)) <= 1
    ts_sel = times.to_numpy()[sel]
    ts_text = np.asarray(pd.DatetimeIndex(ts_sel).strftime("%Y-%m-%d %H:%M:%S.%f").str[:-3], dtype=object)
    short_ts = np.asarray(pd.DatetimeIndex(ts_sel).strftime("%m-%d %H:%M:%S.%f").str[:-3], dtype=object)
    rows = [
        f"{i + 1}. {t}" + ("" if one_target else f" {_short(str(g), 32)}")
        for i, (t, g) in enumerate(zip(short_ts, targets, strict=True))
    ]
    status = _floats(probes["status"])[sel] if "status" in probes.columns else np.full(len(sel), np.nan)
    kinds = (
        _labels(probes["error_kind"], "").to_numpy()[sel]
        if "error_kind" in probes.columns
        else np.full(len(sel), "", dtype=object)
    )
    errors = (
        _labels(probes["error"], "").map(lambda s: s if len(s) <= 160 else s[:159] + "…").to_numpy()[sel]
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
                marker={"color": PHASE_COLORS.get(phase, _OTHER_COLORS[k % len(_OTHER_COLORS)])},
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
    _markers(fail_sel, done_sel, fail_text, "failed", "x-thin-open", _FAIL_COLOR)
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
            font={"color": _FAIL_COLOR},
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


# --------------------------------------------------------------------------- smoke


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
    df
        Table with schema ``probes`` (default) or ``pings`` (``value="rtt_ms"``).
    value
        Latency column (ms).
    ts
        Time column (UTC).
    by
        Group column, one subplot row per value; None for a single row.
    freq
        Bin width (``"5min"``, ``pd.Timedelta``). None chooses a round width
        giving about 60–200 bins over the time span. A width giving more than
        :data:`MAX_POINTS` bins is widened.
    quantiles
        Even number of quantiles in (0, 1), paired outermost first:
        ``(0.05, 0.25, 0.75, 0.95)`` draws p5–p95 and p25–p75 bands.
    failed
        Name of a boolean column marking failed samples; None derives it from
        ``error_kind`` / ``ok``.
    title
        Figure title; a default is used when None.

    Returns
    -------
    plotly.graph_objects.Figure
        One row per group, traces per row: one band per quantile pair, the
        median, and (when any bin lost every sample) the all-failed markers.
    """
    pairs = _quantile_pairs(quantiles)
    title = title or f"{_VALUE_LABELS.get(value, value)} latency over time (median, spread, loss)"
    if len(df) == 0:
        return nothing_to_draw(title, "the table is empty")
    _require(df, [ts, value, by])
    v = _floats(df[value])
    fail = _failed_mask(df, v, failed)
    good = ~fail & np.isfinite(v)
    if not good.any():
        return nothing_to_draw(title, _all_failed_reason(df, len(df), value))
    times = _naive_utc(df[ts])
    work = pd.DataFrame(
        {
            "ts": times.to_numpy(),
            "v": np.where(good, v, np.nan),
            "fail": fail,
            "g": _groups(df, by).to_numpy(),
        }
    )
    if "error_kind" in df.columns:
        work["kind"] = df["error_kind"].to_numpy()
    work = work[work["ts"].notna()]
    if work.empty:
        return nothing_to_draw(title, f"no sample has a {ts} time")
    td, note = _resolve_freq(work["ts"], freq)
    work["bin"] = work["ts"].dt.floor(td)
    all_bins = pd.date_range(work["bin"].min(), work["bin"].max(), freq=td)
    x = all_bins + td / 2
    x_obj = np.asarray(x.to_pydatetime(), dtype=object)
    bin_text = _bin_labels(all_bins, td)
    groups = sorted(work["g"].unique())
    qs = sorted({q for pair in pairs for q in pair})

    spacing = min(0.08, 0.35 / max(len(groups) - 1, 1))
    fig = make_subplots(
        rows=len(groups),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=spacing,
        subplot_titles=[_short(g, 80) for g in groups] if by is not None else None,
    )
    band_alpha = np.linspace(0.18, 0.45, len(pairs))
    for row, g in enumerate(groups, start=1):
        sub = work[work["g"] == g]
        vals = sub[sub["v"].notna()].groupby("bin")["v"]
        stats = pd.DataFrame(index=all_bins)
        qtab = vals.quantile(qs).unstack() if len(vals) else pd.DataFrame(columns=qs)
        for q in qs:
            stats[q] = qtab[q].reindex(all_bins).to_numpy(dtype=float) if q in qtab else np.nan
        stats["med"] = vals.median().reindex(all_bins).to_numpy(dtype=float)
        counts = sub.groupby("bin").agg(n=("fail", "size"), nfail=("fail", "sum")).reindex(all_bins)
        n = counts["n"].fillna(0).to_numpy(dtype=float)
        nfail = counts["nfail"].fillna(0).to_numpy(dtype=float)
        loss = np.divide(nfail, n, out=np.zeros_like(n), where=n > 0) * 100
        errs = _error_summary(sub["kind"], sub["bin"]) if "kind" in sub.columns else {}
        err_text = np.asarray([errs.get(b, "") for b in all_bins], dtype=object)
        err_text = np.asarray([f"<br>errors: {e}" if e else "" for e in err_text], dtype=object)

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
        med = stats["med"].to_numpy()
        band_text = np.asarray(
            [
                "<br>".join(
                    f"{_pct(lo)}–{_pct(hi)}: {stats[lo].iat[i]:,.1f}–{stats[hi].iat[i]:,.1f} ms"
                    for lo, hi in reversed(pairs)
                )
                for i in range(len(all_bins))
            ],
            dtype=object,
        )
        custom = np.column_stack([bin_text, n, nfail, loss, band_text, err_text])
        fig.add_trace(
            go.Scatter(
                x=x,
                y=med,
                mode="lines+markers",
                line={"color": _MEDIAN_COLOR, "width": 1.2},
                marker={
                    "color": np.minimum(loss, _LOSS_CMAX),
                    "colorscale": _LOSS_COLORSCALE,
                    "cmin": 0,
                    "cmax": _LOSS_CMAX,
                    "size": 7,
                    "line": {"width": 0.5, "color": _MEDIAN_COLOR},
                    "showscale": row == 1,
                    "colorbar": {
                        "title": {"text": "Loss %"},
                        "ticksuffix": " %",
                        "tickvals": [0, 5, 10, 15, 20],
                        "ticktext": ["0", "5", "10", "15", "≥20"],
                        "len": min(1.0, 300 / (180 * len(groups) + 80)) if len(groups) > 1 else 1.0,
                        "y": 1.0,
                        "yanchor": "top",
                    },
                },
                name="median",
                legendgroup="median",
                showlegend=row == 1,
                customdata=custom,
                hovertemplate=(
                    f"<b>{_short(g, 60)}</b><br>%{{customdata[0]}}<br>"
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
                    x=x[dead],
                    y=np.zeros(int(dead.sum())),
                    mode="markers",
                    marker={"symbol": "x", "color": _FAIL_COLOR, "size": 9},
                    name="all samples failed",
                    legendgroup="dead",
                    showlegend=not any(t.name == "all samples failed" for t in fig.data),
                    customdata=custom[dead],
                    hovertemplate=(
                        f"<b>{_short(g, 60)}</b><br>%{{customdata[0]}}<br>"
                        "all %{customdata[1]:.0f} samples failed%{customdata[5]}<extra></extra>"
                    ),
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text=_value_label(value), rangemode="tozero", row=row, col=1)

    n_fail = int(work["fail"].sum())
    sub_text = (
        f"{len(work):,} samples, {n_fail:,} failed ({n_fail / len(work):.1%}); bins of {_fmt_td(td)}"
        + (f" ({note})" if note else "")
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


# --------------------------------------------------------------------------- distributions


def _value_groups(
    df: pd.DataFrame, value: str, by: str | None, failed: str | None
) -> tuple[dict[str, np.ndarray], int]:
    """Sorted finite values of successful samples per group, and the number of failed samples."""
    v = _floats(df[value])
    fail = _failed_mask(df, v, failed)
    good = ~fail & np.isfinite(v)
    groups = _groups(df, by).to_numpy()
    out: dict[str, np.ndarray] = {}
    for g in sorted(set(groups[good])):
        out[g] = np.sort(v[good & (groups == g)])
    return out, int((~good).sum())


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
    df
        Table with schema ``probes`` (default) or ``pings`` (``value="rtt_ms"``).
    value
        Latency column (ms).
    by
        Group column, one curve per value; None for one curve.
    log_x
        Logarithmic x axis; None chooses it when the values span more than
        a factor of 30.
    failed
        Name of a boolean column marking failed samples; None derives it from
        ``error_kind`` / ``ok``.
    max_points
        Most points per curve.
    title
        Figure title; a default is used when None.

    Returns
    -------
    plotly.graph_objects.Figure
        Per group: a curve named after the group and a ``"<group> p50/p90/p99"``
        marker trace.
    """
    title = title or f"{_VALUE_LABELS.get(value, value)} latency distribution (ECDF)"
    if len(df) == 0:
        return nothing_to_draw(title, "the table is empty")
    _require(df, [value, by])
    groups, n_failed = _value_groups(df, value, by, failed)
    if not groups:
        return nothing_to_draw(title, _all_failed_reason(df, len(df), value))
    allv = np.concatenate(list(groups.values()))
    if log_x is None:
        lo, hi = float(allv.min()), float(allv.max())
        log_x = lo > 0 and hi / lo > 30
    colors = _colors(list(groups))
    fig = go.Figure()
    for g, vals in groups.items():
        n = len(vals)
        y = np.arange(1, n + 1) / n
        idx = _thin(n, max(2, max_points))
        fig.add_trace(
            go.Scatter(
                x=vals[idx],
                y=y[idx],
                mode="lines",
                line={"shape": "hv", "color": colors[g], "width": 2},
                name=f"{_short(g)} (n={n:,})",
                legendgroup=g,
                hovertemplate=(
                    f"<b>{_short(g, 60)}</b><br>%{{y:.1%}} of {n:,} samples ≤ %{{x:,.1f}} ms<extra></extra>"
                ),
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
                name=f"{_short(g)} p50/p90/p99",
                legendgroup=g,
                showlegend=False,
                hovertemplate=f"<b>{_short(g, 60)}</b><br>%{{text}} (n={n:,})<extra></extra>",
            )
        )
    sub = f"{len(allv):,} successful samples"
    if n_failed:
        sub += f"; {n_failed:,} failed samples have no {value} and are not shown"
    base_layout(fig, title, sub, height=460)
    fig.update_xaxes(title_text=_value_label(value), type="log" if log_x else "linear")
    fig.update_yaxes(title_text="Share of samples ≤ x", tickformat=".0%", range=[0, 1.03])
    fig.update_layout(hovermode="closest")
    return fig


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
    df
        Table with schema ``probes`` (default) or ``pings`` (``value="rtt_ms"``).
    value
        Latency column (ms).
    by
        Group column, one bar trace per value; None for one trace.
    nbins
        Number of bins.
    failed
        Name of a boolean column marking failed samples; None derives it from
        ``error_kind`` / ``ok``.
    title
        Figure title; a default is used when None.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` trace per group with ``nbins`` bars; y is the sample count.
    """
    if nbins < 1:
        raise ValueError(f"nbins must be at least 1, got {nbins}")
    title = title or f"{_VALUE_LABELS.get(value, value)} latency histogram"
    if len(df) == 0:
        return nothing_to_draw(title, "the table is empty")
    _require(df, [value, by])
    groups, n_failed = _value_groups(df, value, by, failed)
    if not groups:
        return nothing_to_draw(title, _all_failed_reason(df, len(df), value))
    allv = np.concatenate(list(groups.values()))
    lo, hi = float(allv.min()), float(allv.max())
    cut = float(np.quantile(allv, 0.995))
    overflow = hi > 3 * cut and cut > lo
    top = cut if overflow else hi
    if top <= lo:
        top = lo + 1.0
    edges = np.linspace(lo, top, nbins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    colors = _colors(list(groups))
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
                name=f"{_short(g)} (n={len(vals):,})",
                marker={"color": colors[g], "line": {"width": 0}},
                opacity=0.85 if len(groups) == 1 else 0.55,
                customdata=np.column_stack([labels, share]),
                hovertemplate=(
                    f"<b>{_short(g, 60)}</b><br>%{{customdata[0]}}<br>"
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
    fig.update_xaxes(title_text=_value_label(value))
    fig.update_yaxes(title_text="Samples per bin")
    return fig


# --------------------------------------------------------------------------- jitter and loss


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
    df
        Table with schema ``probes`` (default) or ``pings`` (``value="rtt_ms"``).
    value
        Latency column (ms).
    ts
        Time column (UTC).
    by
        Group column; None for one group.
    freq
        Bin width; None chooses one giving about 60–200 bins.
    failed
        Name of a boolean column marking failed samples; None derives it from
        ``error_kind`` / ``ok``.
    title
        Figure title; a default is used when None.

    Returns
    -------
    plotly.graph_objects.Figure
        Per group a ``"<group> jitter"`` trace (y) and a ``"<group> loss %"``
        trace (y2).
    """
    title = title or f"Jitter and loss over time ({_VALUE_LABELS.get(value, value)})"
    if len(df) == 0:
        return nothing_to_draw(title, "the table is empty")
    _require(df, [ts, value, by])
    v = _floats(df[value])
    fail = _failed_mask(df, v, failed)
    good = ~fail & np.isfinite(v)
    if not good.any():
        return nothing_to_draw(title, _all_failed_reason(df, len(df), value))
    work = pd.DataFrame(
        {
            "ts": _naive_utc(df[ts]).to_numpy(),
            "v": np.where(good, v, np.nan),
            "fail": fail,
            "g": _groups(df, by).to_numpy(),
        }
    )
    if "error_kind" in df.columns:
        work["kind"] = df["error_kind"].to_numpy()
    work = work[work["ts"].notna()].sort_values("ts", kind="stable")
    if work.empty:
        return nothing_to_draw(title, f"no sample has a {ts} time")
    td, note = _resolve_freq(work["ts"], freq)
    work["bin"] = work["ts"].dt.floor(td)
    all_bins = pd.date_range(work["bin"].min(), work["bin"].max(), freq=td)
    x = all_bins + td / 2
    bin_text = _bin_labels(all_bins, td)
    groups = sorted(work["g"].unique())
    colors = _colors(groups)

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    max_loss = 0.0
    for g in groups:
        sub = work[work["g"] == g]
        ok = sub[sub["v"].notna()]
        delta = ok["v"].diff().abs()
        jit = delta.groupby(ok["bin"]).agg(["mean", "max", "count"]).reindex(all_bins)
        med = ok.groupby("bin")["v"].median().reindex(all_bins).to_numpy(dtype=float)
        counts = sub.groupby("bin").agg(n=("fail", "size"), nfail=("fail", "sum")).reindex(all_bins)
        n = counts["n"].fillna(0).to_numpy(dtype=float)
        nfail = counts["nfail"].fillna(0).to_numpy(dtype=float)
        loss = np.where(n > 0, np.divide(nfail, n, out=np.zeros_like(n), where=n > 0) * 100, np.nan)
        if np.isfinite(loss).any():
            max_loss = max(max_loss, float(np.nanmax(loss)))
        errs = _error_summary(sub["kind"], sub["bin"]) if "kind" in sub.columns else {}
        err_text = np.asarray([f"<br>errors: {errs[b]}" if b in errs else "" for b in all_bins], dtype=object)
        name = _short(g)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=jit["mean"].to_numpy(dtype=float),
                mode="lines+markers",
                marker={"size": 4},
                line={"color": colors[g], "width": 1.8},
                name=f"{name} jitter",
                legendgroup=g,
                customdata=np.column_stack(
                    [
                        bin_text,
                        jit["max"].to_numpy(dtype=float),
                        jit["count"].fillna(0).to_numpy(dtype=float),
                        med,
                    ]
                ),
                hovertemplate=(
                    f"<b>{_short(g, 60)}</b><br>%{{customdata[0]}}<br>"
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
                    f"<b>{_short(g, 60)}</b><br>%{{customdata[0]}}<br>"
                    "loss: %{y:.1f} % (%{customdata[2]:.0f} of %{customdata[1]:.0f})"
                    "%{customdata[3]}<extra></extra>"
                ),
            ),
            secondary_y=True,
        )
    fig.add_hline(
        y=1.0,
        line={"dash": "dash", "color": _FAIL_COLOR, "width": 1},
        opacity=0.6,
        secondary_y=True,
        annotation_text="loss 1 % (handbook §2.1)",
        annotation_position="top left",
        annotation_font={"size": 10, "color": _FAIL_COLOR},
    )
    n_fail = int(work["fail"].sum())
    sub_text = (
        f"{len(work):,} samples, {n_fail:,} failed ({n_fail / len(work):.1%}); bins of {_fmt_td(td)}"
        + (f" ({note})" if note else "")
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


# --------------------------------------------------------------------------- errors


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
    probes
        Table with schema ``probes`` (``pings`` works too).
    ts
        Time column (UTC).
    by
        Column whose value names the failure (stack); ``error_kind`` by default.
    freq
        Bin width; None chooses one giving about 60–200 bins.
    status
        HTTP status column; ignored when absent.
    title
        Figure title; a default is used when None.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per failure kind (name starts with the kind) and a
        ``"failure rate %"`` line on y2.
    """
    title = title or "Failures over time"
    if len(probes) == 0:
        return nothing_to_draw(title, "the table is empty")
    _require(probes, [ts, by])
    codes = _floats(probes[status]) if status in probes.columns else np.full(len(probes), np.nan)
    is5xx = np.nan_to_num(codes, nan=0.0) >= 500
    base_fail = _failed_mask(probes, np.zeros(len(probes)))
    fail = base_fail | is5xx
    kind = _labels(probes[by]).to_numpy()
    missing = probes[by].isna().to_numpy(dtype=bool)
    cats = np.where(missing, np.where(is5xx, "http_5xx", "unknown"), kind).astype(object)
    times = _naive_utc(probes[ts])
    work = pd.DataFrame({"ts": times.to_numpy(), "fail": fail, "cat": cats})
    work = work[work["ts"].notna()]
    if not work["fail"].any():
        span = ""
        if len(work):
            span = f" between {work['ts'].min():{_TS_FMT}} and {work['ts'].max():{_TS_FMT}} UTC"
        return nothing_to_draw(title, f"no failures among {len(work):,} requests{span}")
    td, note = _resolve_freq(work["ts"], freq)
    work["bin"] = work["ts"].dt.floor(td)
    all_bins = pd.date_range(work["bin"].min(), work["bin"].max(), freq=td)
    x = all_bins + td / 2
    bin_text = _bin_labels(all_bins, td)
    totals = work.groupby("bin").size().reindex(all_bins, fill_value=0).to_numpy(dtype=float)
    failures = work[work["fail"]]
    table = failures.groupby(["bin", "cat"]).size().unstack(fill_value=0).reindex(all_bins, fill_value=0)
    order = table.sum().sort_values(ascending=False, kind="stable").index.tolist()
    first = failures.groupby("cat")["ts"].min()
    first_fmt = "%H:%M:%S" if work["ts"].min().date() == work["ts"].max().date() else "%m-%d %H:%M"
    vocab = ERROR_COLORS if by == "error_kind" else {}
    spare = _colors([c for c in order if c not in vocab], _OTHER_COLORS if vocab else _TARGET_COLORS)
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
                marker={"color": vocab.get(cat) or spare.get(cat, _FAIL_COLOR), "line": {"width": 0}},
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
            line={"color": _MEDIAN_COLOR, "width": 1.2},
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
        f"bins of {_fmt_td(td)}" + (f" ({note})" if note else "") + "; first occurrence in the legend (UTC)"
    )
    base_layout(fig, title, sub_text, height=440)
    fig.update_layout(barmode="stack", bargap=0, hovermode="closest", legend={"title": {"text": by}})
    fig.update_xaxes(title_text="Time (UTC)")
    fig.update_yaxes(title_text=f"Failures per {_fmt_td(td)}", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="Failure rate (%)", range=[0, 100], showgrid=False, secondary_y=True)
    return fig


# --------------------------------------------------------------------------- phase breakdown


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
    probes
        Table with schema ``probes``.
    by
        Group column, one bar per value; None for one bar.
    stat
        ``"p50"``, ``"p90"``, ``"p99"`` or ``"mean"``.
    phases
        Phase columns (ms) in order.
    total
        Total duration column marked for comparison; None to leave it out.
    title
        Figure title; a default is used when None.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Bar`` per phase (named by :data:`PHASE_LABELS`), groups on
        the y axis with the slowest at the top, and a ``"total <stat>"`` marker trace.
    """
    if stat not in _STATS:
        raise ValueError(f"stat must be one of {', '.join(_STATS)}, got {stat!r}")
    title = title or f"Where the time goes: {_STATS[stat]} of each phase"
    if len(probes) == 0:
        return nothing_to_draw(title, "the table is empty")
    _require(probes, [*phases, by])
    groups = _groups(probes, by).to_numpy()
    names = sorted(set(groups))

    def _stat(values: np.ndarray) -> float:
        values = values[np.isfinite(values)]
        if not len(values):
            return float("nan")
        if stat == "mean":
            return float(values.mean())
        return float(np.quantile(values, int(stat[1:]) / 100))

    cols = {p: _floats(probes[p]) for p in phases}
    tot = _floats(probes[total]) if total is not None and total in probes.columns else None
    table = pd.DataFrame({p: [_stat(cols[p][groups == g]) for g in names] for p in phases}, index=names, dtype=float)
    counts = pd.DataFrame(
        {p: [int(np.isfinite(cols[p][groups == g]).sum()) for g in names] for p in phases}, index=names
    )
    tot_stat = pd.Series([_stat(tot[groups == g]) if tot is not None else np.nan for g in names], index=names)
    if table.isna().all().all():
        return nothing_to_draw(title, f"no request completed any of {', '.join(phases)}")
    table = table[table.notna().any(axis=1)]
    stacked = table.fillna(0).sum(axis=1)
    table = table.loc[stacked.sort_values(ascending=False, kind="stable").index]
    stacked = stacked.loc[table.index]
    rows = [_short(g) for g in table.index]
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
                marker={"color": PHASE_COLORS.get(p, _OTHER_COLORS[k % len(_OTHER_COLORS)])},
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
