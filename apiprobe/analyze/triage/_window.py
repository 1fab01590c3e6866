"""The incident window when nobody gave one: where the error rate steps up, and the baseline before it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from apiprobe._time import utc_window

__all__ = ["error_mask", "incident_window"]

Window = tuple[pd.Timestamp, pd.Timestamp]


def error_mask(events: pd.DataFrame) -> pd.Series:
    """Which log lines report a failure: an error kind, level error or worse, or a 5xx status.

    Parameters
    ----------
    events : pandas.DataFrame
        Schema ``events``.

    Returns
    -------
    pandas.Series of bool
        Aligned on ``events.index``.
    """
    mask = pd.Series(False, index=events.index)
    if "error_kind" in events.columns:
        mask |= events["error_kind"].notna() & (events["error_kind"].astype("string") != "client_error")
    if "level" in events.columns:
        mask |= events["level"].isin(["error", "fatal"]).fillna(False).astype(bool)
    if "status" in events.columns:
        mask |= (events["status"].astype("Float64") >= 500).fillna(False).astype(bool)
    return mask


def _max_segment(excess: np.ndarray) -> tuple[int, int, float]:
    """Start, end (exclusive) and sum of the contiguous run with the largest sum (Kadane)."""
    best, best_i, best_j = 0.0, 0, 0
    run, start = 0.0, 0
    for k, x in enumerate(excess):
        if run <= 0:
            run, start = x, k
        else:
            run += x
        if run > best:
            best, best_i, best_j = run, start, k + 1
    return best_i, best_j, best


def incident_window(
    events: pd.DataFrame | None = None,
    findings: pd.DataFrame | None = None,
    *,
    incident: Any = None,
    baseline: Any = None,
    freq: str = "1min",
    factor: float = 2.0,
    min_errors: int = 10,
) -> tuple[Window | None, Window | None, str]:
    """The incident and baseline windows: as given, or inferred from the evidence.

    Inference: failures per ``freq`` bin in the logs (:func:`error_mask`); the
    incident is the contiguous run of bins whose failures most exceed the
    larger of ``factor`` × the median bin and the mean bin (the maximum-sum
    segment of the excess, a change-point estimate that needs no tuning of its
    length; the mean keeps bursts of background noise out). Without logs,
    the span of the critical findings that carry times. The baseline is the
    stretch of the same length just before the incident, cut at the start of
    the evidence.

    Parameters
    ----------
    events : pandas.DataFrame, optional
        Schema ``events``.
    findings : pandas.DataFrame, optional
        Schema ``findings``; used when the logs show no step.
    incident, baseline : pair of times, optional
        Windows given by the user (anything :func:`apiprobe._time.utc_window` takes); they win.
    freq : str, default "1min"
        Bin width.
    factor : float, default 2.0
        A bin counts towards the incident when its failures exceed ``factor`` × the median bin
        (and the mean bin).
    min_errors : int, default 10
        Fewer excess failures than this is no incident.

    Returns
    -------
    tuple
        ``(incident, baseline, how)``: the windows as pairs of UTC timestamps (or None)
        and one sentence saying where they came from.
    """
    inc = utc_window(incident, "incident")
    base = utc_window(baseline, "baseline")
    how = "given" if inc is not None else ""
    data_start: pd.Timestamp | None = None
    if events is not None and len(events) and events["ts"].notna().any():
        data_start = events["ts"].min()
    if inc is None and events is not None and len(events) and events["ts"].notna().any():
        ts = events.loc[error_mask(events), "ts"].dropna()
        if len(ts):
            bins = pd.date_range(events["ts"].min().floor(freq), events["ts"].max().floor(freq), freq=freq)
            counts = ts.dt.floor(freq).value_counts().reindex(bins, fill_value=0).to_numpy(dtype=float)
            level = max(float(np.median(counts)), 1.0)
            bar = max(factor * level, float(counts.mean()))
            i, j, excess = _max_segment(counts - bar)
            if excess >= min_errors and j > i:
                inc = (bins[i], bins[j - 1] + pd.Timedelta(freq))
                how = (
                    f"inferred from the logs: failures per {freq} ran above {bar:.3g} (the larger of "
                    f"{factor:g}× the median and the mean) from {bins[i]:%H:%M} to {inc[1]:%H:%M} UTC"
                )
    if inc is None and findings is not None and len(findings):
        crit = findings[(findings["severity"] == "critical") & findings["ts_start"].notna()]
        if len(crit):
            end = crit["ts_end"].fillna(crit["ts_start"]).max()
            inc = (crit["ts_start"].min(), max(end, crit["ts_start"].min() + pd.Timedelta(freq)))
            how = "inferred from the span of the critical findings (no log shows a step in failures)"
    if inc is None:
        return None, base, "no incident window: give one, or add logs with timestamps"
    if base is None:
        length = inc[1] - inc[0]
        start = inc[0] - length
        if data_start is not None:
            start = max(start, data_start)
        if start < inc[0]:
            base = (start, inc[0])
    return inc, base, how
