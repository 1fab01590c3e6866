"""The handbook's production checks (§5) on Go services' standard Prometheus metrics.

The handbook's list: P99 latency, error rate under 0.5 %, GC time under 5 s per
minute (it says "JVM"; for Go the same budget applies to
``go_gc_duration_seconds``, the stop-the-world pauses), connection pool usage
under 80 %. Added, because they are what a Go service shows first when it goes
wrong: goroutines growing without bound and CPU throttling by the cgroup.

Names are the Go client's and the usual exporters' (:data:`METRIC_NAMES`); pass
``names=`` to map others. Each check runs only when its metrics are present.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._frames import require_columns
from apiprobe._time import duration_seconds, format_duration, utc_window
from apiprobe.analyze._findings import finding, findings_frame
from apiprobe.analyze.metrics._promql import histogram_quantile, metric_rate, sum_by
from apiprobe.errors import InvalidParameterError
from apiprobe.schema import conform

__all__ = ["METRIC_NAMES", "detect_metric_faults", "golden_signal_queries", "golden_signals"]

#: Metric and label names the checks read (Go client, promhttp, sqlstats, cAdvisor).
METRIC_NAMES: dict[str, str] = {
    "requests": "http_requests_total",
    "duration": "http_request_duration_seconds",
    "code_label": "code",
    "service_label": "job",
    "goroutines": "go_goroutines",
    "gc": "go_gc_duration_seconds",
    "heap": "go_memstats_heap_inuse_bytes",
    "pool_in_use": "go_sql_stats_connections_in_use",
    "pool_max": "go_sql_stats_connections_max_open",
    "pool_waits": "go_sql_stats_connections_waited_for",
    "throttled": "container_cpu_cfs_throttled_periods_total",
    "periods": "container_cpu_cfs_periods_total",
}


def _names(names: Mapping[str, str] | None) -> dict[str, str]:
    out = dict(METRIC_NAMES)
    unknown = set(names or {}) - set(out)
    if unknown:
        raise InvalidParameterError(f"names: unknown keys {sorted(unknown)}; known: {sorted(out)}")
    out.update(names or {})
    return out


def _pick(metrics: pd.DataFrame, name: str) -> pd.DataFrame:
    return metrics[metrics["metric"] == name]


def _by(metrics: pd.DataFrame, service_label: str) -> list[str]:
    return [service_label] if service_label in metrics.columns else []


def golden_signal_queries(
    *, window: Any = "5m", names: Mapping[str, str] | None = None, quantiles: tuple[float, ...] = (0.5, 0.9, 0.99)
) -> dict[str, str]:
    """The PromQL of each golden signal, as :func:`golden_signals` computes it (``$service`` is the service regex).

    Parameters
    ----------
    window : str or float
        The ``rate`` window.
    names : mapping, optional
        Overrides of :data:`METRIC_NAMES`.
    quantiles : tuple of float
        Latency quantiles.

    Returns
    -------
    dict of str to str
        Signal name → PromQL, ready for Grafana (with a ``$service`` variable) or
        for :func:`apiprobe.read_prometheus` once ``$service`` is replaced.
    """
    n = _names(names)
    svc, code = n["service_label"], n["code_label"]
    sel = f'{{{svc}=~"$service"}}'
    err = f'{{{code}=~"5..",{svc}=~"$service"}}'
    w = format_duration(duration_seconds(window, "window"))
    req = n["requests"]
    out = {
        "rate": f"sum by ({svc}) (rate({req}{sel}[{w}]))",
        "error_ratio": f"sum by ({svc}) (rate({req}{err}[{w}])) / sum by ({svc}) (rate({req}{sel}[{w}]))",
    }
    for q in quantiles:
        out[f"p{round(q * 100)}"] = (
            f"histogram_quantile({q:g}, sum by ({svc}, le) (rate({n['duration']}_bucket{sel}[{w}])))"
        )
    out["goroutines"] = f"sum by ({svc}) ({n['goroutines']}{sel})"
    out["heap_bytes"] = f"sum by ({svc}) ({n['heap']}{sel})"
    out["gc_seconds_per_minute"] = f"sum by ({svc}) (rate({n['gc']}_sum{sel}[{w}])) * 60"
    out["pool_usage"] = f"sum by ({svc}) ({n['pool_in_use']}{sel}) / sum by ({svc}) ({n['pool_max']}{sel})"
    return out


def golden_signals(
    metrics: pd.DataFrame,
    *,
    window: Any = "5m",
    step: Any = None,
    names: Mapping[str, str] | None = None,
    quantiles: tuple[float, ...] = (0.5, 0.9, 0.99),
) -> pd.DataFrame:
    """Rate, errors, latency quantiles and saturation per service, as PromQL would compute them.

    Parameters
    ----------
    metrics : pandas.DataFrame
        A samples table (:func:`apiprobe.read_metrics_text` or raw series from
        :func:`apiprobe.read_prometheus`).
    window : str or float
        The ``rate`` window.
    step : str or float, optional
        Evaluation step (default: the samples' spacing).
    names : mapping, optional
        Overrides of :data:`METRIC_NAMES`.
    quantiles : tuple of float
        Latency quantiles from the duration histogram.

    Returns
    -------
    pandas.DataFrame
        Schema ``golden_signals``: ``ts, service, signal, value, unit, promql``; signals
        ``rate`` (req/s), ``error_ratio``, ``p50``/``p90``/``p99`` (s), ``goroutines``,
        ``pool_usage`` (0–1), ``gc_seconds_per_minute``, ``heap_bytes``.

    Raises
    ------
    SchemaError
        When ``ts``, ``metric`` or ``value`` is missing.
    """
    require_columns(metrics, ["ts", "metric", "value"], table="metrics")
    n = _names(names)
    svc = n["service_label"]
    by = _by(metrics, svc)
    queries = golden_signal_queries(window=window, names=names, quantiles=quantiles)
    # start once a whole window of samples exists (PromQL extrapolates a lone first pair badly)
    grid = {"start": metrics["ts"].min() + pd.Timedelta(seconds=duration_seconds(window, "window")), "step": step}
    parts: list[pd.DataFrame] = []

    def add(frame: pd.DataFrame, signal: str, unit: str, promql: str) -> None:
        if frame.empty:
            return
        out = frame.rename(columns={svc: "service"}) if by else frame.assign(service="")
        parts.append(out[["ts", "service", "value"]].assign(signal=signal, unit=unit, promql=promql))

    requests = _pick(metrics, n["requests"])
    if not requests.empty:
        rate = metric_rate(requests, window, **grid)
        total = sum_by(rate, by)
        add(total, "rate", "req/s", queries["rate"])
        code = n["code_label"]
        if code in rate.columns:
            errs = sum_by(rate[rate[code].astype(str).str.startswith("5")], by)
            merged = total.merge(errs, on=["ts", *by], how="left", suffixes=("_total", "_err"))
            merged["value"] = merged["value_err"].fillna(0.0) / merged["value_total"]
            add(merged, "error_ratio", "ratio", queries["error_ratio"])
    buckets = _pick(metrics, f"{n['duration']}_bucket")
    if not buckets.empty and "le" in buckets.columns:
        rates = sum_by(metric_rate(buckets, window, **grid), [*by, "le"])
        for q in quantiles:
            add(
                histogram_quantile(q, rates),
                f"p{round(q * 100)}",
                "s",
                queries[f"p{round(q * 100)}"],
            )
    goroutines = _pick(metrics, n["goroutines"])
    if not goroutines.empty:
        add(sum_by(goroutines, by), "goroutines", "goroutines", queries["goroutines"])
    heap = _pick(metrics, n["heap"])
    if not heap.empty:
        add(sum_by(heap, by), "heap_bytes", "bytes", queries["heap_bytes"])
    gc = _pick(metrics, f"{n['gc']}_sum")
    if not gc.empty:
        gc_rate = sum_by(metric_rate(gc, window, **grid), by)
        add(
            gc_rate.assign(value=gc_rate["value"] * 60),
            "gc_seconds_per_minute",
            "s/min",
            queries["gc_seconds_per_minute"],
        )
    in_use, max_open = _pick(metrics, n["pool_in_use"]), _pick(metrics, n["pool_max"])
    if not in_use.empty and not max_open.empty:
        used, cap = sum_by(in_use, by), sum_by(max_open, by)
        merged = used.merge(cap, on=["ts", *by], suffixes=("_used", "_max"))
        merged["value"] = merged["value_used"] / merged["value_max"].where(merged["value_max"] > 0)
        add(
            merged,
            "pool_usage",
            "ratio",
            queries["pool_usage"],
        )
    if not parts:
        return conform(None, "golden_signals")
    out = pd.concat(parts, ignore_index=True)[["ts", "service", "signal", "value", "unit", "promql"]]
    return conform(out.sort_values(["signal", "service", "ts"], kind="stable", ignore_index=True), "golden_signals")


def _span(rows: pd.DataFrame, mask: pd.Series) -> dict[str, Any]:
    hit = rows.loc[mask, "ts"]
    return {"ts_start": hit.min(), "ts_end": hit.max()}


def _share_text(mask: pd.Series) -> str:
    return f"{int(mask.sum())} of {len(mask)} steps"


def detect_metric_faults(
    metrics: pd.DataFrame,
    *,
    p99_threshold_s: float = 1.0,
    p99_rise: float = 2.0,
    error_ratio: float = 0.005,
    gc_seconds_per_minute: float = 5.0,
    pool_usage: float = 0.8,
    goroutine_growth: float = 2.0,
    heap_growth: float = 2.0,
    throttled_share: float = 0.25,
    baseline: tuple[Any, Any] | None = None,
    window: Any = "5m",
    step: Any = None,
    names: Mapping[str, str] | None = None,
    signals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The handbook's production checks (§5) on Go services' metrics.

    Per service (the ``job`` label by default): p99 latency above ``p99_threshold_s``
    or ``p99_rise`` times its baseline median (``high_latency``); 5xx ratio above
    ``error_ratio`` (``server_errors``); GC pauses above ``gc_seconds_per_minute``
    (``gc_pressure``), a heap in use that grows ``heap_growth`` times and stays
    (``gc_pressure``); goroutines that only grow, by ``goroutine_growth`` times or more
    (``goroutine_leak``); connection pool usage
    above ``pool_usage`` and the time spent at 100 % (``pool_exhaustion``); CPU
    throttled in more than ``throttled_share`` of cgroup periods (``cpu_throttling``).

    Parameters
    ----------
    metrics : pandas.DataFrame
        A samples table with ``ts``, ``metric``, ``value`` and labels, or a golden-signals
        table (:func:`golden_signals`, or the same computed by Prometheus), which skips the
        CPU throttling check.
    p99_threshold_s, p99_rise, error_ratio : float
        Latency and error thresholds, as above.
    gc_seconds_per_minute, pool_usage, goroutine_growth, heap_growth, throttled_share : float
        Saturation thresholds, as above.
    baseline : (start, end), optional
        The normal window for the p99 rise check (default: the first quarter of the data).
    window : str or float
        The ``rate`` window.
    step : str or float, optional
        Evaluation step.
    names : mapping, optional
        Overrides of :data:`METRIC_NAMES`.
    signals : pandas.DataFrame, optional
        :func:`golden_signals` of ``metrics`` when already computed (same window, step and names).

    Returns
    -------
    pandas.DataFrame
        Findings (schema ``findings``); each names the window and the PromQL of its evidence series.

    Raises
    ------
    SchemaError
        When ``ts``, ``metric`` or ``value`` is missing.
    InvalidParameterError
        For unknown ``names`` keys or a bad window.
    """
    precomputed = "signal" in metrics.columns
    if precomputed:
        signals = metrics
    elif signals is None:
        signals = golden_signals(metrics, window=window, step=step, names=names)
    n = _names(names)
    rows: list[dict[str, Any]] = []
    for (service_key, signal), series in signals.groupby(["service", "signal"], sort=True):
        service = str(service_key)
        series = series.sort_values("ts")
        subject = service or "all"
        promql = series["promql"].iloc[0]
        values = series["value"]
        if signal == "p99":
            rows.extend(_latency(series, subject, promql, p99_threshold_s, p99_rise, baseline))
        elif signal == "error_ratio":
            over = values > error_ratio
            if over.any():
                peak = float(values[over].max())
                rows.append(
                    finding(
                        "detect_metric_faults",
                        "server_errors",
                        "critical" if peak > 10 * error_ratio else "warning",
                        subject,
                        metric="error_ratio",
                        value=peak,
                        threshold=error_ratio,
                        evidence=f"5xx ratio above {error_ratio:.2%} in {_share_text(over)} (peak {peak:.2%}). "
                        f"PromQL: {promql}",
                        recommendation="Open the logs and traces of this window: which route and which error "
                        "kind? The handbook keeps the error rate under 0.5 %.",
                        handbook_ref="§5",
                        **_span(series, over),
                    )
                )
        elif signal == "gc_seconds_per_minute":
            over = values > gc_seconds_per_minute
            if over.any():
                heap = signals[(signals["service"] == service) & (signals["signal"] == "heap_bytes")]["value"]
                growth = (
                    f"; heap in use {heap.iloc[0] / 2**20:.0f} → {heap.iloc[-1] / 2**20:.0f} MiB" if len(heap) else ""
                )
                rows.append(
                    finding(
                        "detect_metric_faults",
                        "gc_pressure",
                        "warning",
                        subject,
                        metric="gc_seconds_per_minute",
                        value=float(values.max()),
                        threshold=gc_seconds_per_minute,
                        evidence=f"GC pauses above {gc_seconds_per_minute:g} s per minute in {_share_text(over)} "
                        f"(peak {values.max():.1f} s/min){growth}. PromQL: {promql}",
                        recommendation="Take a heap profile (alloc_space) and cut allocations on the hot path; "
                        "check GOGC/GOMEMLIMIT against the container limit.",
                        handbook_ref="§5, §3.1",
                        **_span(series, over),
                    )
                )
        elif signal == "goroutines":
            rows.extend(_goroutines(series, subject, promql, goroutine_growth))
        elif signal == "heap_bytes":
            rows.extend(_heap(series, subject, promql, heap_growth))
        elif signal == "pool_usage":
            over = values > pool_usage
            if over.any():
                full = values >= 1.0
                rows.append(
                    finding(
                        "detect_metric_faults",
                        "pool_exhaustion",
                        "critical" if full.any() else "warning",
                        subject,
                        metric="pool_usage",
                        value=float(values.max()),
                        threshold=pool_usage,
                        evidence=f"connection pool usage above {pool_usage:.0%} in {_share_text(over)}, at 100 % in "
                        f"{_share_text(full)} (peak {values.max():.0%}). PromQL: {promql}",
                        recommendation="Find who holds connections (goroutine dump: database/sql conn waits), "
                        "check for leaked rows/transactions, then size the pool (notebook 06).",
                        handbook_ref="§5, §2.5",
                        **_span(series, over),
                    )
                )
    if not precomputed:
        rows.extend(_throttling(metrics, n, throttled_share, window, step))
    return findings_frame(rows)


def _latency(
    series: pd.DataFrame, subject: str, promql: str, threshold: float, rise: float, baseline: tuple[Any, Any] | None
) -> list[dict[str, Any]]:
    finite = series["value"].replace([np.inf, -np.inf], np.nan)
    if baseline is not None:
        window = utc_window(baseline, "baseline")
        assert window is not None
        base = finite[(series["ts"] >= window[0]) & (series["ts"] < window[1])]
    else:
        base = finite[series["ts"] <= series["ts"].min() + (series["ts"].max() - series["ts"].min()) / 4]
    normal = float(base.median()) if base.notna().any() else np.nan
    over = finite > threshold
    risen = finite > rise * normal if np.isfinite(normal) and normal > 0 else pd.Series(False, index=finite.index)
    if not over.any() and not risen.any():
        return []
    peak = float(finite.max())
    versus = f"; {peak / normal:.1f}× the baseline median {normal:.3g} s" if np.isfinite(normal) and normal > 0 else ""
    if over.any():
        what, metric, value, limit, mask = (
            f"above {threshold:g} s in {_share_text(over)}",
            "p99_s",
            peak,
            threshold,
            over,
        )
    else:
        what, metric, value, limit, mask = (
            f"over {rise:g}× its baseline in {_share_text(risen)}",
            "p99_ratio",
            peak / normal,
            rise,
            risen,
        )
    return [
        finding(
            "detect_metric_faults",
            "high_latency",
            "warning",
            subject,
            metric=metric,
            value=value,
            threshold=limit,
            evidence=f"p99 latency {what} (peak {peak:.3g} s{versus}). PromQL: {promql}",
            recommendation="Split the time by phase (notebook 01) and by span (notebook 08) for this window; "
            "compare it with the baseline: deploys, dependencies, pool waits.",
            handbook_ref="§5, §2.1",
            **_span(series, mask),
        )
    ]


def _growth(series: pd.DataFrame, growth: float) -> tuple[float, float, float] | None:
    """(first, last, trend) when the series grew ``growth``-fold and stayed up, else None."""
    values = series["value"].astype("float64").reset_index(drop=True)
    if len(values) < 10:
        return None
    tenth = max(len(values) // 10, 1)
    first, last = float(values.iloc[:tenth].median()), float(values.iloc[-tenth:].median())
    if not first > 0 or last < growth * first:
        return None
    trend = float(np.corrcoef(values.rank().to_numpy(), np.arange(len(values)))[0, 1])  # Spearman's rho
    return (first, last, trend) if trend >= 0.5 else None


def _goroutines(series: pd.DataFrame, subject: str, promql: str, growth: float) -> list[dict[str, Any]]:
    grew = _growth(series, growth)
    if grew is None:
        return []
    first, last, trend = grew
    ratio = last / first
    return [
        finding(
            "detect_metric_faults",
            "goroutine_leak",
            "critical" if ratio >= 5 else "warning",
            subject,
            metric="goroutine_growth",
            value=ratio,
            threshold=growth,
            evidence=f"goroutines grew from {first:.0f} (median of the first tenth) to {last:.0f} (last tenth), "
            f"{ratio:.1f}×, and did not come back down (rank correlation with time {trend:.2f}). PromQL: {promql}",
            recommendation="Take two goroutine dumps a minute apart (notebook 06) and diff the stacks that grow: "
            "usually a missing resp.Body.Close, a blocked channel send or a context never canceled.",
            handbook_ref="§5, §3.1",
            ts_start=series["ts"].iloc[0],
            ts_end=series["ts"].iloc[-1],
        )
    ]


def _heap(series: pd.DataFrame, subject: str, promql: str, growth: float) -> list[dict[str, Any]]:
    grew = _growth(series, growth)
    if grew is None:
        return []
    first, last, trend = grew
    return [
        finding(
            "detect_metric_faults",
            "gc_pressure",
            "warning",
            subject,
            metric="heap_growth",
            value=last / first,
            threshold=growth,
            evidence=f"heap in use grew from {first / 2**20:.0f} MiB to {last / 2**20:.0f} MiB "
            f"({last / first:.1f}×) and did not come back down (rank correlation with time {trend:.2f}): "
            f"the collector runs more often as the live heap grows. PromQL: {promql}",
            recommendation="Compare two heap profiles (inuse_space) taken apart in time (notebook 07): what is "
            "retained — caches without bounds, maps that only grow, goroutines holding buffers?",
            handbook_ref="§5, §3.1",
            ts_start=series["ts"].iloc[0],
            ts_end=series["ts"].iloc[-1],
        )
    ]


def _throttling(metrics: pd.DataFrame, n: dict[str, str], share: float, window: Any, step: Any) -> list[dict[str, Any]]:
    throttled, periods = _pick(metrics, n["throttled"]), _pick(metrics, n["periods"])
    if throttled.empty or periods.empty:
        return []
    by = [c for c in ("container", "pod", n["service_label"]) if c in metrics.columns]
    t = sum_by(metric_rate(throttled, window, step=step), by)
    p = sum_by(metric_rate(periods, window, step=step), by)
    merged = t.merge(p, on=["ts", *by], suffixes=("_t", "_p"))
    merged["value"] = merged["value_t"] / merged["value_p"].where(merged["value_p"] > 0)
    rows = []
    for key, series in merged.groupby(by, sort=True) if by else [("all", merged)]:
        over = series["value"] > share
        if not over.any():
            continue
        subject = "/".join(str(k) for k in (key if isinstance(key, tuple) else (key,)) if k) or "all"
        rows.append(
            finding(
                "detect_metric_faults",
                "cpu_throttling",
                "warning",
                subject,
                metric="throttled_share",
                value=float(series["value"].max()),
                threshold=share,
                evidence=f"CPU throttled in {series['value'].max():.0%} of CFS periods at peak "
                f"({_share_text(over)} above {share:.0%}): latency from the CPU limit, not the code. PromQL: "
                f"sum(rate({n['throttled']}[5m])) / sum(rate({n['periods']}[5m]))",
                recommendation="Raise or remove the CPU limit, or set GOMAXPROCS to the limit (automaxprocs).",
                handbook_ref="§5",
                **_span(series, over),
            )
        )
    return rows
