"""SLO burn rates and the Google SRE workbook's multiwindow, multi-burn-rate alerts.

The burn rate over a window is the error ratio in it divided by the error
budget (``1 - objective``): at burn rate 1 the budget lasts exactly the SLO
period. The workbook's alerts for a 30-day, 99.9 % SLO (chapter 5, "Alerting on
SLOs", table 5-8) fire when *both* a long and a short window burn faster than a
factor: page at 14.4× over 1 h and 5 min, page at 6× over 6 h and 30 min,
ticket at 1× over 3 d and 6 h. The short window makes the alert clear soon
after the errors stop.

Each window's ratio is PromQL's
``(sum(rate(errors[w])) or vector(0)) / sum(rate(total[w]))``, computed with
:func:`metric_rate` (counter resets handled, extrapolated as Prometheus does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe._time import duration_seconds, format_duration
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.metrics._promql import _grid, metric_rate, sum_by
from apiprobe.errors import InvalidParameterError
from apiprobe.schema import conform

__all__ = ["SLO_ALERTS", "SloAlert", "detect_slo_burn", "error_budget", "slo_alerts", "slo_burn_rate"]


@dataclass(frozen=True)
class SloAlert:
    """One multiwindow burn-rate alert: fires while both windows burn faster than ``factor``.

    Attributes
    ----------
    name : str
        The alert's name (``page-fast``).
    severity : str
        Findings severity when it fires (``critical`` pages, ``warning`` tickets).
    factor : float
        The burn rate both windows must exceed.
    long, short : str
        The two windows, as Prometheus durations.
    """

    name: str
    severity: str
    factor: float
    long: str
    short: str


#: The SRE workbook's alerts (30-day SLO): two pages and a ticket.
SLO_ALERTS: tuple[SloAlert, ...] = (
    SloAlert("page-fast", "critical", 14.4, "1h", "5m"),
    SloAlert("page-slow", "critical", 6.0, "6h", "30m"),
    SloAlert("ticket", "warning", 1.0, "3d", "6h"),
)


def _budget(objective: float) -> float:
    if not isinstance(objective, int | float) or not 0 < objective < 1:
        raise InvalidParameterError(f"objective must be a ratio between 0 and 1 (0.999 for 99.9 %), got {objective!r}")
    return 1.0 - float(objective)


def _grid_of(errors: pd.DataFrame, total: pd.DataFrame, start: Any, end: Any, step: Any) -> np.ndarray:
    both = pd.concat([errors[["ts"]], total[["ts"]]], ignore_index=True).dropna()
    if both.empty:
        raise InvalidParameterError("errors and total hold no samples")
    return _grid(both, start, end, step, 60.0)


def _window_ratio(errors: pd.DataFrame, total: pd.DataFrame, window: str, grid: np.ndarray) -> pd.DataFrame:
    start, end = pd.Timestamp(grid[0], unit="ms", tz="UTC"), pd.Timestamp(grid[-1], unit="ms", tz="UTC")
    step = (grid[1] - grid[0]) / 1000 if len(grid) > 1 else 60.0
    err = sum_by(metric_rate(errors, window, start=start, end=end, step=step, func="increase"), [])
    tot = sum_by(metric_rate(total, window, start=start, end=end, step=step, func="increase"), [])
    frame = tot.rename(columns={"value": "total"}).merge(err.rename(columns={"value": "errors"}), on="ts", how="left")
    frame["errors"] = frame["errors"].fillna(0.0)  # `or vector(0)`: no error series yet is no errors
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["error_ratio"] = frame["errors"] / frame["total"]
    return frame


def slo_burn_rate(
    errors: pd.DataFrame,
    total: pd.DataFrame,
    *,
    objective: float,
    windows: Sequence[Any] = ("5m", "30m", "1h", "6h", "3d"),
    start: Any = None,
    end: Any = None,
    step: Any = None,
) -> pd.DataFrame:
    """Burn rate of the error budget over each window, at each step.

    Parameters
    ----------
    errors, total : pandas.DataFrame
        Counter series (samples tables, as :func:`apiprobe.read_prometheus` returns
        ``http_requests_total{code=~"5.."}`` and ``http_requests_total``); all series
        of each are added together.
    objective : float
        The SLO, e.g. 0.999; the error budget is ``1 - objective``.
    windows : sequence of str or float
        Windows as Prometheus durations or seconds.
    start, end, step : optional
        The evaluation grid (default: the samples' span and spacing).

    Returns
    -------
    pandas.DataFrame
        Schema ``slo_burn``: ``ts, window, window_s, errors, total, error_ratio, burn_rate``,
        one row per step and window (``errors``/``total`` are increases over the window).

    Raises
    ------
    SchemaError
        When ``ts`` or ``value`` is missing.
    InvalidParameterError
        For an objective outside (0, 1), a bad window or an empty input.
    """
    require_columns(errors, ["ts", "value"], table="errors")
    require_columns(total, ["ts", "value"], table="total")
    budget = _budget(objective)
    grid = _grid_of(errors, total, start, end, step)
    parts = []
    for window in windows:
        seconds = duration_seconds(window, "window")
        frame = _window_ratio(errors, total, format_duration(seconds), grid)
        frame.insert(1, "window", format_duration(seconds))
        frame.insert(2, "window_s", seconds)
        frame["burn_rate"] = frame["error_ratio"] / budget
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    return conform(out[["ts", "window", "window_s", "errors", "total", "error_ratio", "burn_rate"]], "slo_burn")


def _cumulative(counters: pd.DataFrame, grid_ts: pd.DatetimeIndex) -> np.ndarray:
    """Reset-corrected increase of all ``counters`` from their first sample to each grid time (last sample ≤ t)."""
    out = np.zeros(len(grid_ts))
    keys = [c for c in counters.columns if c not in ("ts", "value")]
    groups = counters.groupby(keys, sort=False, dropna=False, observed=True) if keys else [((), counters)]
    for _, series in groups:
        series = series.sort_values("ts")
        v = series["value"].to_numpy(dtype="float64")
        drop = np.r_[0.0, np.where(v[1:] < v[:-1], v[:-1], 0.0)]
        corrected = v + np.cumsum(drop) - v[0]
        pos = np.searchsorted(series["ts"].to_numpy(), grid_ts.to_numpy(), side="right") - 1
        out += np.where(pos >= 0, corrected[np.maximum(pos, 0)], 0.0)
    return out


def error_budget(
    errors: pd.DataFrame,
    total: pd.DataFrame,
    *,
    objective: float,
    period: Any = "30d",
    start: Any = None,
    end: Any = None,
    step: Any = None,
) -> pd.DataFrame:
    """The error budget spent since the first sample, step by step.

    The budget of a period is ``(1 - objective) × requests in the period``; the
    requests seen so far are projected to the period at their observed rate.

    Parameters
    ----------
    errors, total : pandas.DataFrame
        Counter series, as for :func:`slo_burn_rate`.
    objective : float
        The SLO, e.g. 0.999.
    period : str or float
        The SLO period (default 30 days).
    start, end, step : optional
        The evaluation grid.

    Returns
    -------
    pandas.DataFrame
        ``ts, errors, total, consumed, remaining``: counts since the first sample,
        the share of the period's budget consumed and what remains (may go below 0).

    Raises
    ------
    InvalidParameterError
        For an objective outside (0, 1) or a bad period.
    """
    require_columns(errors, ["ts", "value"], table="errors")
    require_columns(total, ["ts", "value"], table="total")
    budget = _budget(objective)
    period_s = duration_seconds(period, "period")
    grid = _grid_of(errors, total, start, end, step)
    ts = pd.DatetimeIndex(pd.to_datetime(grid, unit="ms", utc=True))
    err = _cumulative(errors, ts)
    tot = _cumulative(total, ts)
    elapsed = max((ts[-1] - ts[0]).total_seconds(), 1e-9)
    rate = tot[-1] / elapsed if tot[-1] > 0 else np.nan
    allowed = budget * rate * period_s
    consumed = err / allowed if allowed and np.isfinite(allowed) else np.full(len(ts), np.nan)
    return pd.DataFrame({"ts": ts, "errors": err, "total": tot, "consumed": consumed, "remaining": 1 - consumed})


def _episodes(firing: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    edges = np.diff(np.r_[0, firing.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def detect_slo_burn(
    errors: pd.DataFrame,
    total: pd.DataFrame,
    *,
    objective: float,
    alerts: Sequence[SloAlert] = SLO_ALERTS,
    period: Any = "30d",
    subject: str = "SLO",
    start: Any = None,
    end: Any = None,
    step: Any = None,
) -> pd.DataFrame:
    """When each multiwindow burn-rate alert would have fired and cleared.

    :func:`slo_burn_rate` over the alerts' windows, then :func:`slo_alerts`.

    Parameters
    ----------
    errors, total : pandas.DataFrame
        Counter series, as for :func:`slo_burn_rate`.
    objective : float
        The SLO, e.g. 0.999.
    alerts : sequence of SloAlert
        The alerts (default :data:`SLO_ALERTS`, the SRE workbook's).
    period : str or float
        The SLO period for the budget (default 30 days).
    subject : str
        What the SLO is about (a service name), for the findings.
    start, end, step : optional
        The evaluation grid (default: the samples' span and spacing).

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), fault ``slo_burn``.

    Raises
    ------
    InvalidParameterError
        For an objective outside (0, 1), bad windows or an empty input.
    """
    windows = sorted({a.long for a in alerts} | {a.short for a in alerts}, key=lambda w: duration_seconds(w))
    burn = slo_burn_rate(errors, total, objective=objective, windows=windows, start=start, end=end, step=step)
    spend = error_budget(errors, total, objective=objective, period=period, start=start, end=end, step=step)
    return slo_alerts(burn, objective=objective, alerts=alerts, budget=spend, period=period, subject=subject)


def slo_alerts(
    burn: pd.DataFrame,
    *,
    objective: float,
    alerts: Sequence[SloAlert] = SLO_ALERTS,
    budget: pd.DataFrame | None = None,
    period: Any = "30d",
    subject: str = "SLO",
) -> pd.DataFrame:
    """Firing episodes of multiwindow burn-rate alerts, from a burn-rate table.

    One finding per episode: ``ts_start`` is the first evaluation step at which
    both windows burned faster than the alert's factor, ``ts_end`` the last (the
    alert cleared at the next step, or was still firing at the end of the data).
    The evidence gives the peak burn rates and, with ``budget``, the share of the
    budget consumed and how long the rest lasts at the rate the alert fired with.

    Parameters
    ----------
    burn : pandas.DataFrame
        Schema ``slo_burn`` (:func:`slo_burn_rate`, or the same computed by Prometheus)
        holding every window the alerts use.
    objective : float
        The SLO, e.g. 0.999.
    alerts : sequence of SloAlert
        The alerts (default :data:`SLO_ALERTS`).
    budget : pandas.DataFrame, optional
        From :func:`error_budget`.
    period : str or float
        The SLO period.
    subject : str
        What the SLO is about, for the findings.

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``), fault ``slo_burn``.

    Raises
    ------
    SchemaError
        When ``burn`` lacks ``ts``, ``window`` or ``burn_rate``, or a window an alert needs.
    """
    require_columns(burn, ["ts", "window", "burn_rate"], table="slo_burn")
    budget_share = _budget(objective)
    period_s = duration_seconds(period, "period")
    wide = burn.pivot_table(index="ts", columns="window", values="burn_rate", aggfunc="first", dropna=False)
    rows = []
    for alert in alerts:
        long_w, short_w = format_duration(duration_seconds(alert.long)), format_duration(duration_seconds(alert.short))
        require_columns(wide, [long_w, short_w], table="slo_burn windows")
        long_b = wide[long_w].to_numpy(dtype="float64")
        short_b = wide[short_w].to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            firing = (long_b > alert.factor) & (short_b > alert.factor)
        # judged only once the table covers the short window: a first minute of data says nothing about 6 h
        covered = (wide.index - wide.index[0]).total_seconds().to_numpy() >= duration_seconds(short_w)
        firing &= covered
        for first, last in _episodes(firing):
            fired, cleared = wide.index[first], wide.index[last]
            still = last == len(wide) - 1
            at_fire = float(long_b[first])
            spent = ""
            if budget is not None and not budget.empty:
                pos = min(int((budget["ts"] <= cleared).sum()) - 1, len(budget) - 1)
                consumed = float(budget["consumed"].iloc[max(pos, 0)])
                left_s = (1 - consumed) * period_s / at_fire if at_fire > 0 else np.inf
                spent = (
                    f" {consumed:.1%} of the {format_duration(period_s)} error budget consumed by then; "
                    f"at the burn rate it fired with ({at_fire:.1f}×) the rest lasts {_human(left_s)}."
                )
            coverage = (wide.index[first] - wide.index[0]).total_seconds()
            thin = (
                f" The {long_w} window then held only {_human(coverage)} of data."
                if coverage < duration_seconds(long_w)
                else ""
            )
            rows.append(
                finding(
                    "detect_slo_burn",
                    "slo_burn",
                    alert.severity,
                    subject,
                    metric=f"burn_rate_{long_w}",
                    value=float(np.nanmax(long_b[first : last + 1])),
                    threshold=alert.factor,
                    evidence=(
                        f"{alert.name} alert ({alert.factor:g}× over {long_w} and {short_w}, objective "
                        f"{objective:.4g}, budget {budget_share:.3g}) fired at {fired:%Y-%m-%d %H:%M:%S} UTC and "
                        + ("was still firing at the end of the data" if still else f"cleared after {cleared:%H:%M:%S}")
                        + f"; peak burn {np.nanmax(long_b[first : last + 1]):.1f}× over {long_w}, "
                        f"{np.nanmax(short_b[first : last + 1]):.1f}× over {short_w}." + spent + thin
                    ),
                    recommendation=(
                        "Page-level burn: stop the bleeding first (roll back the last change, shed or fail over), "
                        "then find the cause in the error timeline."
                        if alert.severity == "critical"
                        else "Slow burn: open a ticket, find the error source before the budget runs out."
                    ),
                    handbook_ref="§5",
                    ts_start=fired,
                    ts_end=cleared,
                )
            )
    return findings_frame(rows)


def _human(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "forever"
    if seconds <= 0:
        return "no time: the budget is already spent"
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
