"""PromQL's ``rate``/``increase`` and ``histogram_quantile`` on samples tables, to the sample.

The samples table is what :func:`apiprobe.read_prometheus` and
:func:`apiprobe.read_metrics_text` return: ``ts``, ``value``, usually
``metric``, and one column per label. The semantics are Prometheus 2.42's
(``promql/functions.go`` ``extrapolatedRate``, ``promql/quantile.go``
``bucketQuantile``), the version Debian ships; ``tests/analyze/test_metrics_promql.py``
compares both against a real Prometheus evaluating the same data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe._time import duration_seconds, to_utc
from apiprobe.errors import InvalidParameterError

__all__ = ["histogram_quantile", "label_columns", "metric_rate", "sum_by"]

_BASE = ("ts", "metric", "value")
_TS_BITS = 42  # milliseconds since the first sample: 139 years
_MAX_CELLS = 50_000_000


def label_columns(samples: pd.DataFrame, *, drop: Sequence[str] = ()) -> list[str]:
    """The label columns of a samples table (every column but ``ts``, ``metric``, ``value`` and ``drop``).

    Parameters
    ----------
    samples : pandas.DataFrame
        A samples table.
    drop : sequence of str
        More columns to leave out (``"le"`` for bucket tables).

    Returns
    -------
    list of str
        The label columns, in table order.
    """
    skip = set(_BASE) | set(drop)
    return [c for c in samples.columns if c not in skip]


def _ms(ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(ts, utc=True)).as_unit("ms").asi8.astype(np.int64)


def _grid(samples: pd.DataFrame, start: Any, end: Any, step: Any, window_s: float) -> np.ndarray:
    """Evaluation times in ms, as ``query_range`` lays them out: start, start+step, … ≤ end."""
    ts_ms = _ms(samples["ts"])
    if step is None:
        diffs = np.diff(np.unique(ts_ms))
        step_ms = int(np.median(diffs)) if len(diffs) else int(window_s * 1000)
    else:
        step_ms = round(duration_seconds(step, "step") * 1000)
    start_ms = to_utc(start).value // 1_000_000 if start is not None else int(ts_ms.min())
    end_ms = to_utc(end).value // 1_000_000 if end is not None else int(ts_ms.max())
    if end_ms < start_ms:
        raise InvalidParameterError(f"end ({end}) is before start ({start})")
    return np.arange(start_ms, end_ms + 1, max(step_ms, 1), dtype=np.int64)


def metric_rate(
    samples: pd.DataFrame,
    window: Any = "5m",
    *,
    start: Any = None,
    end: Any = None,
    step: Any = None,
    func: str = "rate",
) -> pd.DataFrame:
    """PromQL's ``rate(x[window])`` (or ``increase``) evaluated as ``query_range`` would, per series.

    Counter resets are handled and the result extrapolated to the window's edges
    exactly as Prometheus 2.42 does; a window with fewer than two samples gives no
    row. Series are told apart by ``metric`` and the label columns.

    Parameters
    ----------
    samples : pandas.DataFrame
        A samples table of counters (``ts``, ``value``, ``metric`` and labels).
    window : str or float
        The range, as a Prometheus duration (``"5m"``) or seconds.
    start, end : time, optional
        First and last evaluation time (default: the first and last sample).
    step : str or float, optional
        Evaluation step (default: the median spacing of the samples).
    func : {"rate", "increase"}
        Per-second rate or increase over the window.

    Returns
    -------
    pandas.DataFrame
        ``ts`` (evaluation time), ``metric``, the label columns and ``value``.
        Unlike PromQL, ``metric`` is kept so several counters can be rated at once.

    Raises
    ------
    SchemaError
        When ``ts`` or ``value`` is missing.
    InvalidParameterError
        For an unknown ``func``, a bad duration, or ``end`` before ``start``.
    """
    require_columns(samples, ["ts", "value"], table="metric_rate input")
    if func not in ("rate", "increase"):
        raise InvalidParameterError(f"func must be 'rate' or 'increase', got {func!r}")
    window_s = duration_seconds(window, "window")
    labels = [c for c in samples.columns if c not in ("ts", "value")]
    out_cols = ["ts", *labels, "value"]
    data = samples.dropna(subset=["ts"])
    if data.empty:
        return pd.DataFrame({c: pd.Series(dtype=samples[c].dtype) for c in out_cols})
    grid = _grid(data, start, end, step, window_s)
    sid, keys_frame = _series_ids(data, labels)
    ts_ms = _ms(data["ts"])
    base = int(ts_ms.min()) - int(window_s * 1000) - 1
    rel = ts_ms - base
    order = np.lexsort((rel, sid))
    sid, rel, v = sid[order], rel[order], data["value"].to_numpy(dtype="float64")[order]
    key = (sid.astype(np.int64) << _TS_BITS) | rel
    n_series = int(sid.max()) + 1 if len(sid) else 0
    if n_series * len(grid) > _MAX_CELLS:
        raise InvalidParameterError(
            f"{n_series:,} series × {len(grid):,} steps is too many cells; use a larger step or fewer series"
        )
    # cumulative counter-reset correction (within a series only)
    same = np.r_[False, sid[1:] == sid[:-1]]
    reset = same & np.r_[False, v[1:] < v[:-1]]
    corr = np.cumsum(np.where(reset, np.r_[0.0, v[:-1]], 0.0))
    window_ms = round(window_s * 1000)
    s_col = np.repeat(np.arange(n_series, dtype=np.int64), len(grid))
    t_col = np.tile(grid, n_series)
    t_rel = t_col - base
    lo = np.searchsorted(key, (s_col << _TS_BITS) | np.maximum(t_rel - window_ms, 0), side="left")
    hi = np.searchsorted(key, (s_col << _TS_BITS) | t_rel, side="right")
    ok = (hi - lo) >= 2
    lo, hi, t_rel, s_col = lo[ok], hi[ok], t_rel[ok], s_col[ok]
    last = hi - 1
    result = (v[last] + corr[last]) - (v[lo] + corr[lo])
    first_v = v[lo]
    to_start = (rel[lo] - (t_rel - window_ms)) / 1000.0
    to_end = (t_rel - rel[last]) / 1000.0
    sampled = (rel[last] - rel[lo]) / 1000.0
    avg = sampled / (hi - lo - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        to_zero = sampled * (first_v / result)
    clamp = (result > 0) & (first_v >= 0) & (to_zero < to_start)
    to_start = np.where(clamp, to_zero, to_start)
    threshold = avg * 1.1
    interval = (
        sampled + np.where(to_start < threshold, to_start, avg / 2) + np.where(to_end < threshold, to_end, avg / 2)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = interval / sampled
    if func == "rate":
        factor = factor / window_s
    out = keys_frame.iloc[s_col].reset_index(drop=True)
    out.insert(0, "ts", pd.to_datetime(t_rel + base, unit="ms", utc=True))
    out["value"] = result * factor
    return out[out_cols]


def _series_ids(data: pd.DataFrame, labels: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """An integer id per series (``labels`` together) and the label values of each id."""
    if not labels:
        return np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=[0])
    codes, uniques = pd.MultiIndex.from_frame(data[labels].astype(str)).factorize()
    keys = pd.DataFrame(list(uniques), columns=labels, dtype=object)
    return codes.astype(np.int64), keys


def sum_by(samples: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """PromQL's ``sum by (by…) (x)``: values added per ``ts`` and the ``by`` labels.

    Parameters
    ----------
    samples : pandas.DataFrame
        A samples table (for instance :func:`metric_rate`'s result).
    by : sequence of str
        Label columns to keep (missing ones are taken as ``""``, as in PromQL).

    Returns
    -------
    pandas.DataFrame
        ``ts``, the ``by`` columns and ``value``. NaN values propagate, as in PromQL.
    """
    require_columns(samples, ["ts", "value"], table="sum_by input")
    by = list(by)
    frame = samples.assign(**{c: "" for c in by if c not in samples.columns})
    grouped = frame.groupby(["ts", *by], sort=True, dropna=False, observed=True)["value"]
    return grouped.sum(min_count=1).reset_index()


def histogram_quantile(q: float, buckets: pd.DataFrame) -> pd.DataFrame:
    """PromQL's ``histogram_quantile(q, buckets)`` on a table of ``le``-labelled bucket values.

    Buckets are grouped by ``ts`` and every label but ``le`` (``metric`` is dropped,
    as PromQL drops ``__name__``). Per group, as Prometheus 2.42: buckets sorted by
    their upper bound, equal bounds added together, counts made monotonic; fewer
    than two buckets, no ``+Inf`` bucket or no observations give NaN; the quantile
    falls in the first bucket whose count reaches ``q·total`` and is interpolated
    linearly inside it (from 0 for the first bucket when its bound is positive);
    in the ``+Inf`` bucket it is the largest finite bound. ``q < 0`` gives −Inf,
    ``q > 1`` +Inf, NaN gives NaN. An ``le`` that is not a number is ignored.

    Parameters
    ----------
    q : float
        The quantile, 0 ≤ q ≤ 1 (0.99 for p99).
    buckets : pandas.DataFrame
        ``ts``, ``le``, ``value`` and labels: cumulative bucket counts or their rates
        (``rate(x_bucket[5m])``), as :func:`apiprobe.read_prometheus` or
        :func:`metric_rate` return them.

    Returns
    -------
    pandas.DataFrame
        ``ts``, the labels (without ``le`` and ``metric``) and ``value``, one row per group.

    Raises
    ------
    SchemaError
        When ``ts``, ``le`` or ``value`` is missing.
    """
    require_columns(buckets, ["ts", "le", "value"], table="histogram_quantile input")
    labels = label_columns(buckets, drop=("le",))
    upper = pd.to_numeric(buckets["le"].astype(str).str.strip(), errors="coerce")
    frame = buckets.assign(_upper=upper.to_numpy(dtype="float64"))
    frame = frame[frame["_upper"].notna()]
    keys = ["ts", *labels]
    frame = frame.groupby([*keys, "_upper"], sort=True, dropna=False, observed=True)["value"].sum().reset_index()
    out = frame[keys].drop_duplicates().reset_index(drop=True)
    if frame.empty:
        return out.assign(value=pd.Series(dtype="float64"))
    gid = frame.groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    upper_v = frame["_upper"].to_numpy(dtype="float64")
    counts = frame["value"].to_numpy(dtype="float64")
    counts = _monotonic(counts, gid)
    starts = np.r_[0, np.flatnonzero(np.diff(gid)) + 1]
    ends = np.r_[starts[1:], len(gid)]
    n_groups = len(starts)
    size = ends - starts
    last = ends - 1
    total = counts[last]
    if math.isnan(q):
        values = np.full(n_groups, np.nan)
    elif q < 0:
        values = np.full(n_groups, -np.inf)
    elif q > 1:
        values = np.full(n_groups, np.inf)
    else:
        values = _bucket_quantiles(q, gid, counts, upper_v, starts, last, size, total)
    order = frame.loc[frame.index[starts], keys].reset_index(drop=True)
    order["value"] = values
    return order


def _monotonic(counts: np.ndarray, gid: np.ndarray) -> np.ndarray:
    """Go's ``ensureMonotonic`` per group: a running maximum (with Go's NaN comparisons when NaN occurs)."""
    if not np.isnan(counts).any():
        return pd.Series(counts).groupby(gid).cummax().to_numpy()
    out = counts.copy()
    top = math.nan
    for i in range(len(out)):
        if i == 0 or gid[i] != gid[i - 1] or out[i] > top:
            top = out[i]
        elif out[i] < top:
            out[i] = top
    return out


def _bucket_quantiles(
    q: float,
    gid: np.ndarray,
    counts: np.ndarray,
    upper: np.ndarray,
    starts: np.ndarray,
    last: np.ndarray,
    size: np.ndarray,
    total: np.ndarray,
) -> np.ndarray:
    rank = q * total
    rank_row = rank[gid]
    idx = np.arange(len(gid))
    # sort.Search over all buckets but the last: the first whose count >= rank
    hit = (counts >= rank_row) & (idx < last[gid])
    first_hit = np.full(len(starts), -1, dtype=np.int64)
    hit_idx = np.flatnonzero(hit)
    if len(hit_idx):
        g_hit = gid[hit_idx]
        keep = np.r_[True, g_hit[1:] != g_hit[:-1]]
        first_hit[g_hit[keep]] = hit_idx[keep]
    b = np.where(first_hit >= 0, first_hit, last)
    prev = np.maximum(b - 1, 0)
    has_prev = b > starts
    bucket_start = np.where(has_prev, upper[prev], 0.0)
    bucket_end = upper[b]
    count = counts[b] - np.where(has_prev, counts[prev], 0.0)
    r = rank - np.where(has_prev, counts[prev], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = bucket_start + (bucket_end - bucket_start) * (r / count)
    values = np.where((b == starts) & (upper[starts] <= 0), upper[starts], values)
    values = np.where(b == last, upper[np.maximum(last - 1, 0)], values)
    invalid = ~np.isinf(upper[last]) | (upper[last] < 0) | (size < 2) | (total == 0)
    return np.where(invalid, np.nan, values)
