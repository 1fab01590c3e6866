"""The demo incident as Prometheus metrics: six hours of three Go services, in OpenMetrics text.

The same story as the logs and traces (:mod:`apiprobe.demo._incident_story`):
at 10:00 the payments database pool is exhausted (``go_sql_stats_*`` at 20/20,
payments latency up, goroutines piling up in the pool wait), the gateway's
2-second timeout turns that into 504s, from 10:08:31 payments panics (500s),
orders restarts at 10:10:05 (its counters reset to zero) and at 10:20 the pool
recovers. The gateway leaks the goroutines of the requests it timed out
(response bodies never closed): they stay.

The text carries a timestamp on every sample, so it is both a file the metrics
notebook reads directly and what ``promtool tsdb create-blocks-from openmetrics``
backfills into a real Prometheus (the tests do, with ``end`` near now so the
blocks fall inside the retention).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from apiprobe._time import to_utc
from apiprobe.demo._incident_story import DEMO_TIMELINE, INCIDENT

__all__ = ["DEMO_METRICS_END", "DEMO_OBJECTIVE", "demo_metrics_text"]

#: The end of the demo's metrics history: two hours after the incident began.
DEMO_METRICS_END = "2026-03-14T12:00:00Z"
#: The gateway's availability SLO in the demo.
DEMO_OBJECTIVE = 0.999
#: Go client's default histogram buckets (prometheus.DefBuckets).
DEF_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_GC_QUANTILES = ("0", "0.25", "0.5", "0.75", "1")


@dataclass(frozen=True)
class _Service:
    job: str
    handler: str
    method: str
    rps: float
    median_s: float
    goroutines: float
    pool_max: int | None


_SERVICES = (
    _Service("gateway", "/api/checkout", "post", 40.0, 0.060, 150.0, None),
    _Service("orders", "/orders", "post", 25.0, 0.040, 80.0, 30),
    _Service("payments", "/charge", "post", 20.0, 0.030, 60.0, 20),
)


def _offsets(end: pd.Timestamp) -> dict[str, float]:
    """Seconds from the demo's end to each event of the story, shifted with ``end``."""
    base = to_utc(DEMO_METRICS_END)
    shift = end - base
    events = {**DEMO_TIMELINE, "incident_start": INCIDENT[0], "incident_end": INCIDENT[1]}
    return {k: ((to_utc(v) + shift) - end).total_seconds() for k, v in events.items()}


def _lognormal_cdf(x: np.ndarray, median: float, sigma: float) -> np.ndarray:
    from math import erf, log, sqrt

    return np.array([0.5 * (1 + erf((log(v) - log(median)) / (sigma * sqrt(2)))) for v in x])


def _series(end: pd.Timestamp, hours: float, step_s: float, seed: int) -> Iterator[tuple[str, str, dict, np.ndarray]]:
    """(family, sample name, labels, values) of every series, over the time grid."""
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 / step_s) + 1
    rel = -step_s * np.arange(n)[::-1]  # seconds before `end`
    ev = _offsets(end)
    inc = (rel >= ev["incident_start"]) & (rel < ev["incident_end"])
    after_panic = (rel >= ev["payments_panic"]) & (rel < ev["incident_end"])
    restart = int(np.searchsorted(rel, ev["orders_restart"]))
    day = 1 + 0.15 * np.sin(2 * np.pi * (rel / 86400.0))
    for svc in _SERVICES:
        labels = {"job": svc.job, "instance": f"{svc.job}:8080"}
        count = rng.poisson(svc.rps * step_s * day)
        err_share = np.full(n, 0.0004)
        err_code = "500"
        median = np.full(n, svc.median_s)
        if svc.job == "gateway":
            err_share = np.where(inc, 0.12, err_share)
            err_code = "504"
            median = np.where(inc, 1.4, median)
        elif svc.job == "payments":
            err_share = np.where(after_panic, 0.30, np.where(inc, 0.02, err_share))
            median = np.where(inc, 1.1, median)
        else:
            err_share = np.where(inc, 0.05, err_share)
            err_code = "503"
            median = np.where(inc, 0.7, median)
        errors = rng.binomial(count, err_share)
        ok = count - errors
        reset = restart if svc.job == "orders" else None

        def cum(per_step: np.ndarray, reset: int | None = reset) -> np.ndarray:
            out = np.cumsum(per_step).astype("float64")
            if reset is not None and 0 < reset < n:
                out[reset:] -= out[reset - 1]
            return out

        base = {**labels, "handler": svc.handler, "method": svc.method}
        yield "http_requests", "http_requests_total", {**base, "code": "200"}, cum(ok)
        yield "http_requests", "http_requests_total", {**base, "code": err_code}, cum(errors)
        # latency histogram: bucket counts drawn from a lognormal per step
        bounds = np.array(DEF_BUCKETS)
        per_bucket = np.zeros((n, len(bounds)))
        sums = np.zeros(n)
        for med in np.unique(median):
            rows = np.flatnonzero(median == med)
            sigma = 0.45 if med < 0.5 else 0.2  # the gateway's 2 s timeout bounds the slow ones
            cdf = _lognormal_cdf(bounds, med, sigma)
            probs = np.diff(np.r_[0.0, cdf, 1.0])
            draws = np.array([rng.multinomial(c, probs) for c in count[rows]])
            per_bucket[rows] = np.cumsum(draws, axis=1)[:, :-1]
            mean = med * np.exp(sigma**2 / 2)
            sums[rows] = count[rows] * mean * rng.normal(1.0, 0.02, len(rows))
        for i, le in enumerate(bounds):
            yield (
                "http_request_duration_seconds",
                "http_request_duration_seconds_bucket",
                {
                    **base,
                    "le": f"{le:g}" if le < 1 or le % 1 else f"{le:.1f}",
                },
                cum(per_bucket[:, i]),
            )
        yield (
            "http_request_duration_seconds",
            "http_request_duration_seconds_bucket",
            {**base, "le": "+Inf"},
            cum(count),
        )
        yield "http_request_duration_seconds", "http_request_duration_seconds_sum", base, cum(sums)
        yield "http_request_duration_seconds", "http_request_duration_seconds_count", base, cum(count)
        # goroutines: payments piles up waiters in the incident; the gateway keeps the ones it timed out
        g = svc.goroutines + rng.normal(0, 3, n).round()
        if svc.job == "payments":
            g = g + np.where(inc, 380 * np.minimum((rel - ev["incident_start"]) / 120, 1), 0)
        if svc.job == "gateway":
            leaked = np.cumsum(np.where(inc, errors * 0.1, 0.0))  # a tenth of the timeouts leave a goroutine
            g = g + leaked.round()
        yield "go_goroutines", "go_goroutines", labels, np.maximum(g, 1)
        yield (
            "go_memstats_heap_inuse_bytes",
            "go_memstats_heap_inuse_bytes",
            labels,
            (24e6 + 9e3 * g + rng.normal(0, 4e5, n)).round(),
        )
        gcs = rng.poisson(2.0, n)
        pauses = np.abs(rng.normal(180e-6, 40e-6, n))
        for q, f in zip(_GC_QUANTILES, (0.3, 0.7, 1.0, 1.4, 3.0), strict=True):
            yield "go_gc_duration_seconds", "go_gc_duration_seconds", {**labels, "quantile": q}, (pauses * f).round(9)
        yield "go_gc_duration_seconds", "go_gc_duration_seconds_sum", labels, cum(gcs * pauses)
        yield "go_gc_duration_seconds", "go_gc_duration_seconds_count", labels, cum(gcs.astype("float64"))
        if svc.pool_max is not None:
            db = {**labels, "db_name": svc.job}
            in_use = np.minimum(rng.poisson(svc.pool_max * 0.2, n), svc.pool_max).astype("float64")
            waited = np.zeros(n)
            if svc.job == "payments":
                in_use = np.where(inc, float(svc.pool_max), in_use)
                waited = np.where(inc, count * 0.8, 0.0)
            yield (
                "go_sql_stats_connections_max_open",
                "go_sql_stats_connections_max_open",
                db,
                np.full(n, float(svc.pool_max)),
            )
            yield "go_sql_stats_connections_in_use", "go_sql_stats_connections_in_use", db, in_use
            yield (
                "go_sql_stats_connections_idle",
                "go_sql_stats_connections_idle",
                db,
                np.maximum(2.0, svc.pool_max * 0.3 - in_use).round(),
            )
            yield "go_sql_stats_connections_waited_for", "go_sql_stats_connections_waited_for_total", db, cum(waited)
        cpu = np.abs(rng.normal(0.25, 0.03, n)) * step_s * (1 + 1.5 * inc)
        yield "process_cpu_seconds", "process_cpu_seconds_total", labels, cum(cpu)


_TYPES = {
    "http_requests": ("counter", "Total number of HTTP requests by status code, handler and method."),
    "http_request_duration_seconds": ("histogram", "Duration of HTTP requests in seconds."),
    "go_goroutines": ("gauge", "Number of goroutines that currently exist."),
    "go_memstats_heap_inuse_bytes": ("gauge", "Number of heap bytes that are in use."),
    "go_gc_duration_seconds": ("summary", "A summary of the pause duration of garbage collection cycles."),
    "go_sql_stats_connections_max_open": ("gauge", "Maximum number of open connections to the database."),
    "go_sql_stats_connections_in_use": ("gauge", "The number of connections currently in use."),
    "go_sql_stats_connections_idle": ("gauge", "The number of idle connections."),
    "go_sql_stats_connections_waited_for": ("counter", "The total number of connections waited for."),
    "process_cpu_seconds": ("counter", "Total user and system CPU time spent in seconds."),
}


def _label_text(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


def demo_metrics_text(*, end: Any = DEMO_METRICS_END, hours: float = 6.0, step_s: float = 30.0, seed: int = 11) -> str:
    """The demo incident's metrics as OpenMetrics text, one timestamped sample per scrape.

    Parameters
    ----------
    end : time
        The last scrape; the incident keeps its place relative to it (two hours
        before the end, by default on the demo's date).
    hours : float
        History before ``end``.
    step_s : float
        The scrape interval, seconds.
    seed : int
        Seed of the random traffic; the same arguments give the same text.

    Returns
    -------
    str
        OpenMetrics text ending in ``# EOF``, families contiguous (as ``promtool`` wants).
    """
    end_ts = to_utc(end).floor("s")
    n = int(hours * 3600 / step_s) + 1
    stamps = [f"{(end_ts.value / 1e9) - step_s * i:.3f}" for i in range(n)][::-1]
    by_family: dict[str, list[str]] = {}
    for family, name, labels, values in _series(end_ts, hours, step_s, seed):
        lines = by_family.setdefault(family, [])
        head = f"{name}{{{_label_text(labels)}}} "
        lines.extend(f"{head}{v:.10g} {t}" for v, t in zip(values.tolist(), stamps, strict=True))
    out = []
    for family, lines in by_family.items():
        kind, help_text = _TYPES[family]
        out.append(f"# HELP {family} {help_text}")
        out.append(f"# TYPE {family} {kind}")
        out.extend(lines)
    out.append("# EOF")
    return "\n".join(out) + "\n"
