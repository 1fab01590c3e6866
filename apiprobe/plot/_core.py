"""The shared machinery of every apiprobe figure.

One home for what the ``fig_*`` modules have in common:

* the look: :func:`base_layout` (template, title and subtitle), :func:`nothing_to_draw`
  (the figure that says why it is empty), :func:`plain` (log text made safe for labels);
* the colours: :data:`PHASE_COLORS`, :data:`ERROR_COLORS`, target and spare palettes;
* values handed to plotly: :func:`floats`, :func:`labels`, :func:`groups`,
  :func:`naive_utc`, :func:`short`, :func:`thin` (never ``pd.NA``, large inputs thinned);
* the failure rule of figures: :func:`failed_rows` over :func:`apiprobe._frames.failed_mask`;
* time binning: :func:`resolve_freq` picks a bin width, :func:`bin_times` puts
  rows into bins and gives the bin starts, centres and hover labels.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from apiprobe._frames import failed_mask, format_duration, require_columns
from apiprobe._redact import redact_text
from apiprobe.errors import InvalidParameterError
from apiprobe.schema import PHASE_LABELS

__all__ = [
    "ERROR_COLORS",
    "FAIL_COLOR",
    "FREQ_STEPS",
    "MAX_POINTS",
    "MEDIAN_COLOR",
    "OTHER_COLORS",
    "PHASE_COLORS",
    "TARGET_COLORS",
    "TS_FMT",
    "TimeBins",
    "all_failed_reason",
    "as_labels",
    "base_layout",
    "bin_counts",
    "bin_errors",
    "bin_labels",
    "bin_times",
    "color_map",
    "cut",
    "error_summary",
    "failed_rows",
    "floats",
    "group_labels",
    "naive_utc",
    "nothing_to_draw",
    "plain",
    "resolve_freq",
    "sample_frame",
    "short",
    "thin",
    "title_dict",
    "value_label",
    "value_name",
]

# --------------------------------------------------------------------------- colours and limits

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

FAIL_COLOR = "#d62728"
MEDIAN_COLOR = "#333333"
TARGET_COLORS: tuple[str, ...] = tuple(qualitative.D3[i] for i in (0, 3, 2, 1, 4, 5, 6, 8, 9, 7)) + tuple(
    qualitative.Dark2
)
OTHER_COLORS: tuple[str, ...] = tuple(qualitative.Set2)
TS_FMT = "%Y-%m-%d %H:%M:%S"

#: Bin widths tried, smallest first, when a figure picks or widens its time bins.
FREQ_STEPS: tuple[str, ...] = (
    "100ms", "250ms", "500ms", "1s", "2s", "5s", "10s", "15s", "30s",
    "1min", "2min", "5min", "10min", "15min", "30min",
    "1h", "2h", "3h", "6h", "12h", "1D", "2D", "7D", "14D", "28D",
)  # fmt: skip
_TARGET_BINS = 200

_VALUE_LABELS: dict[str, str] = {
    **PHASE_LABELS,
    "rtt_ms": "RTT (TCP connect)",
    "elapsed_ms": "Elapsed",
    "latency_ms": "Latency",
    "duration_ms": "Duration",
}


def color_map(names: Sequence[str], palette: Sequence[str] = TARGET_COLORS) -> dict[str, str]:
    """One colour per name, in the order given, cycling through ``palette``."""
    return {name: palette[i % len(palette)] for i, name in enumerate(names)}


# --------------------------------------------------------------------------- the look


def title_dict(text: str, sub: str = "") -> dict[str, object]:
    """A plotly title, left-aligned, with ``sub`` as its subtitle when given."""
    out: dict[str, object] = {"text": text, "x": 0.0, "xanchor": "left"}
    if sub:
        out["subtitle"] = {"text": sub}
    return out


def base_layout(fig: go.Figure, title: str, sub: str = "", *, height: int | None = None) -> go.Figure:
    """Apply the apiprobe template, title and margins to ``fig`` (in place) and return it."""
    fig.update_layout(
        template="plotly_white",
        title=title_dict(title, sub),
        margin={"t": 90 if sub else 70, "l": 70, "r": 30, "b": 60},
        hoverlabel={"align": "left"},
    )
    if height is not None:
        fig.update_layout(height=height)
    return fig


def nothing_to_draw(title: str, reason: str) -> go.Figure:
    """A figure that says why there is nothing to draw."""
    fig = go.Figure()
    base_layout(fig, title, height=320)
    fig.add_annotation(
        text=f"Nothing to draw: {reason}",
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 15, "color": "#555555"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def plain(text: object) -> str:
    """Text from logs or servers made safe for plotly labels and hover text.

    Secrets are redacted (:func:`apiprobe._redact.redact_text`), and plotly
    renders a few HTML tags in labels (``<b>``, ``<a href>``, ``<br>``,
    ``<span style>``): a log message must show as written, never as markup.
    """
    return html.escape(redact_text(str(text)), quote=False)


def value_name(value: str) -> str:
    """Human name of a value column (``"total_ms"`` → ``"Total"``); the column name when unknown."""
    return _VALUE_LABELS.get(value, value)


def value_label(value: str) -> str:
    """Axis title of a value column, with its unit: ``"Total (ms)"``."""
    return f"{value_name(value)} (ms)"


def cut(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` characters, the last one an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def short(text: str, width: int = 40) -> str:
    """``text`` without its ``http(s)://`` prefix, cut to ``width`` characters (:func:`cut`)."""
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return cut(text, width)


# --------------------------------------------------------------------------- values for plotly


def floats(series: pd.Series) -> np.ndarray:
    """Float64 numpy values with NaN for every kind of missing (pd.NA, None, NaT)."""
    return np.asarray(pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan))


def as_labels(series: pd.Series, missing: str = "(none)") -> pd.Series:
    """Plain ``str`` labels with ``missing`` in place of NA."""
    return series.astype("string").fillna(missing).astype(object).map(str)


def group_labels(df: pd.DataFrame, by: str | None) -> pd.Series:
    """The group label of each row: the ``by`` column as text, or ``"all"`` when ``by`` is None."""
    if by is None:
        return pd.Series("all", index=df.index, dtype=object)
    return as_labels(df[by])


def naive_utc(series: pd.Series) -> pd.Series:
    """Times as tz-naive UTC (plotly shows naive times as written)."""
    ts = pd.to_datetime(series, utc=True)
    return ts.dt.tz_localize(None)


def thin(n: int, cap: int) -> np.ndarray:
    """Indices of at most ``cap`` evenly spread positions in ``range(n)``, keeping both ends."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(int))


# --------------------------------------------------------------------------- failures


def failed_rows(df: pd.DataFrame, value: str | None, failed: str | None = None) -> np.ndarray:
    """Boolean array: True where the sample failed.

    With ``failed`` (a boolean column) that column decides; otherwise
    :func:`apiprobe._frames.failed_mask`: ``error_kind`` set or ``ok`` False,
    and without either column a missing ``value`` counts as failed.
    """
    if failed is not None:
        require_columns(df, [failed])
        return np.asarray(df[failed].astype("boolean").fillna(False).to_numpy(dtype=bool))
    return failed_mask(df, value).to_numpy(dtype=bool)


def all_failed_reason(df: pd.DataFrame, n: int, value: str) -> str:
    """Why a figure of ``value`` is empty when no sample succeeded, with the top error kinds."""
    reason = f"all {n:,} samples failed or have no {value}"
    if "error_kind" in df.columns:
        kinds = as_labels(df["error_kind"].dropna()).value_counts()
        if len(kinds):
            reason += " (" + ", ".join(f"{k} ×{c}" for k, c in kinds.head(4).items()) + ")"
    return reason


def error_summary(kinds: pd.Series, bins: pd.Series, top: int = 3) -> dict[pd.Timestamp, str]:
    """Per bin, the most frequent error kinds as ``"connect_timeout ×5, read_timeout ×1"``."""
    mask = kinds.notna()
    if not mask.any():
        return {}
    counts = (
        pd.DataFrame({"bin": bins[mask].to_numpy(), "kind": as_labels(kinds[mask]).to_numpy()})
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


# --------------------------------------------------------------------------- time binning


def resolve_freq(
    ts: pd.Series,
    freq: str | pd.Timedelta | None,
    *,
    limit: int = MAX_POINTS,
    steps: Sequence[str] = FREQ_STEPS,
) -> tuple[pd.Timedelta, str]:
    """Bin width for the times ``ts``, and the step it was widened to.

    ``None`` picks the smallest of ``steps`` giving at most ~200 bins (so a
    span of a few hours gets 60-200 bins). A requested width giving more than
    ``limit`` bins (counting both ends) is widened to the smallest of
    ``steps`` that fits; past the last step, whole days.

    Returns
    -------
    tuple of (pandas.Timedelta, str)
        The width, and the name of the step chosen here (``""`` when ``freq``
        was kept as asked; the width's ``str`` when it is a number of days).

    Raises
    ------
    InvalidParameterError
        When ``freq`` is zero or negative.
    """
    span = ts.max() - ts.min() if len(ts) else pd.Timedelta(0)
    if pd.isna(span):
        span = pd.Timedelta(0)
    if freq is None:
        limit = _TARGET_BINS
    else:
        td = pd.Timedelta(freq)
        if td <= pd.Timedelta(0):
            raise InvalidParameterError(f"freq must be a positive duration, got {freq!r}")
        if span / td + 1 <= limit:
            return td, ""
    for step in steps:
        td = pd.Timedelta(step)
        if span / td + 1 <= limit:
            return td, step
    td = (span / (limit - 1)).ceil("1D")
    return td, str(td)


def bin_labels(starts: pd.DatetimeIndex, td: pd.Timedelta) -> np.ndarray:
    """Hover text of each bin: ``"2024-05-01 08:00:00 – 08:05:00 UTC"`` (with µs below a second)."""
    fmt = "%Y-%m-%d %H:%M:%S.%f" if td < pd.Timedelta("1s") else TS_FMT
    lo = starts.strftime(fmt)
    hi = (starts + td).strftime("%H:%M:%S.%f" if td < pd.Timedelta("1s") else "%H:%M:%S")
    return np.asarray([f"{a} – {b} UTC" for a, b in zip(lo, hi, strict=True)], dtype=object)


@dataclass(frozen=True)
class TimeBins:
    """Rows put into time bins of one width, every bin from the first to the last kept.

    Attributes
    ----------
    width : pandas.Timedelta
        Bin width.
    widened_to : str
        The step the requested width was widened to; ``""`` when it was kept
        (or none was requested).
    keys : pandas.Series
        Per row, the start of its bin (tz-naive UTC), on the index of the times given.
    starts : pandas.DatetimeIndex
        Every bin start from the first to the last, empty bins included.
    """

    width: pd.Timedelta
    widened_to: str
    keys: pd.Series
    starts: pd.DatetimeIndex

    @property
    def centres(self) -> pd.DatetimeIndex:
        """The middle of each bin (where a bar or marker is drawn)."""
        return self.starts + self.width / 2

    @property
    def labels(self) -> np.ndarray:
        """Hover text of each bin (:func:`bin_labels`)."""
        return bin_labels(self.starts, self.width)

    def describe(self, freq: str | pd.Timedelta | None) -> str:
        """For a subtitle: ``"bins of 5 min"``, saying when the requested ``freq`` was widened."""
        text = f"bins of {format_duration(self.width)}"
        if freq is not None and self.widened_to:
            text += f" (bins widened from {format_duration(pd.Timedelta(freq))} to keep the figure small)"
        return text


def bin_times(
    times: pd.Series,
    freq: str | pd.Timedelta | None,
    *,
    limit: int = MAX_POINTS,
    steps: Sequence[str] = FREQ_STEPS,
) -> TimeBins:
    """Put tz-naive ``times`` (no NaT) into bins of a width from :func:`resolve_freq`."""
    td, widened_to = resolve_freq(times, freq, limit=limit, steps=steps)
    keys = times.dt.floor(td)
    starts = pd.date_range(keys.min(), keys.max(), freq=td)
    return TimeBins(width=td, widened_to=widened_to, keys=keys, starts=starts)


# --------------------------------------------------------------------------- samples in time bins


def sample_frame(df: pd.DataFrame, *, value: str, ts: str, by: str | None, failed: str | None) -> pd.DataFrame:
    """The samples of a latency figure, one row per input row.

    Columns ``ts`` (tz-naive UTC), ``v`` (the value of successful samples,
    NaN for failed ones), ``fail`` (bool, :func:`failed_rows`), ``g`` (group
    label) and, when ``df`` has ``error_kind``, ``kind``.
    """
    v = floats(df[value])
    fail = failed_rows(df, value, failed)
    good = ~fail & np.isfinite(v)
    work = pd.DataFrame(
        {
            "ts": naive_utc(df[ts]).to_numpy(),
            "v": np.where(good, v, np.nan),
            "fail": fail,
            "g": group_labels(df, by).to_numpy(),
        }
    )
    if "error_kind" in df.columns:
        work["kind"] = df["error_kind"].to_numpy()
    return work


def bin_counts(sub: pd.DataFrame, starts: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Samples and failed samples per bin of ``sub`` (columns ``bin``, ``fail``), 0 for empty bins."""
    counts = sub.groupby("bin").agg(n=("fail", "size"), nfail=("fail", "sum")).reindex(starts)
    return counts["n"].fillna(0).to_numpy(dtype=float), counts["nfail"].fillna(0).to_numpy(dtype=float)


def bin_errors(sub: pd.DataFrame, starts: pd.DatetimeIndex) -> np.ndarray:
    """Per bin, ``"<br>errors: …"`` naming the top error kinds of ``sub`` (``""`` when none)."""
    errs = error_summary(sub["kind"], sub["bin"]) if "kind" in sub.columns else {}
    return np.asarray([f"<br>errors: {errs[b]}" if b in errs else "" for b in starts], dtype=object)
