"""Bounded concurrency sweep against one target (handbook §2.5).

:func:`probe_concurrency` sends a fixed number of requests at each
concurrency level with :func:`~apiprobe.probe.http.probe_http` and
summarises each level: throughput and latency percentiles. An upstream (or a
pool in front of it) that serves only *k* requests at once shows a knee at
*k*: below it latency is flat and throughput grows with concurrency; above it
throughput is flat and latency grows linearly (Little's law). The knee is
found by :func:`apiprobe.analyze.pool.find_knee`, re-exported here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pandas as pd

from apiprobe._redact import redact_url
from apiprobe.analyze.pool import find_knee
from apiprobe.errors import InvalidParameterError
from apiprobe.probe._resolve import parse_url
from apiprobe.probe.http import probe_http

__all__ = ["SWEEP_COLUMNS", "find_knee", "probe_concurrency"]

#: Columns of a sweep table and their dtypes.
SWEEP_COLUMNS: dict[str, str] = {
    "concurrency": "int64",
    "requests": "int64",
    "failures": "int64",
    "throughput_rps": "float64",
    "p50_ms": "float64",
    "p90_ms": "float64",
    "p99_ms": "float64",
    "mean_ms": "float64",
    "elapsed_s": "float64",
    "target": "string",
}


def _level_row(level: int, probes: pd.DataFrame, elapsed_s: float, target: str) -> dict[str, Any]:
    ok = probes["error_kind"].isna() & probes["total_ms"].notna()
    lat = probes.loc[ok, "total_ms"].astype("float64")
    q = lat.quantile([0.5, 0.9, 0.99]) if len(lat) else pd.Series([float("nan")] * 3, index=[0.5, 0.9, 0.99])
    return {
        "concurrency": level,
        "requests": len(probes),
        "failures": int((~ok).sum()),
        "throughput_rps": float(ok.sum()) / elapsed_s if elapsed_s > 0 else float("nan"),
        "p50_ms": float(q[0.5]),
        "p90_ms": float(q[0.9]),
        "p99_ms": float(q[0.99]),
        "mean_ms": float(lat.mean()) if len(lat) else float("nan"),
        "elapsed_s": elapsed_s,
        "target": target,
    }


def probe_concurrency(
    url: str,
    *,
    levels: Sequence[int] = (1, 2, 4, 8, 16, 32),
    requests_per_level: int = 40,
    max_duration: float = 30.0,
    timeout: float = 5.0,
    **probe_kwargs: Any,
) -> pd.DataFrame:
    """Sweep concurrency against one URL; one row per level.

    Levels run one after another, each with
    :func:`~apiprobe.probe.http.probe_http`; failed requests are counted, never
    raised.

    Parameters
    ----------
    url
        The target (http or https).
    levels
        Concurrency levels, run in increasing order.
    requests_per_level
        Requests sent at each level (at least ``level``, so every worker runs).
    max_duration
        Wall-clock budget of the sweep in seconds: no new level starts once it
        is used up (a level that started runs to the end, bounded by
        ``timeout``).
    timeout
        Deadline of one request, seconds.
    **probe_kwargs
        Passed to :func:`~apiprobe.probe.http.probe_http` (``headers``,
        ``method``, ``verify``, ``resolver``, …). ``keepalive`` defaults to
        True here: a pooled client is what is being modelled.

    Returns
    -------
    pandas.DataFrame
        One row per level that ran, in increasing order (dtypes in :data:`SWEEP_COLUMNS`).

        * ``concurrency`` -- requests in flight at this level.
        * ``requests`` -- requests sent.
        * ``failures`` -- requests with an ``error_kind`` or no ``total_ms``.
        * ``throughput_rps`` -- successful requests per wall-clock second of the level.
        * ``p50_ms``, ``p90_ms``, ``p99_ms``, ``mean_ms`` -- ``total_ms`` of the successful
          requests, float ms; NaN when none succeeded.
        * ``elapsed_s`` -- wall time of the level, seconds.
        * ``target`` -- the URL, query secrets redacted.

        ``attrs["knee"]`` is :func:`find_knee` of the table (a level, or None) and
        ``attrs["stopped_early"]`` is True when ``max_duration`` cut the sweep.

    Raises
    ------
    InvalidTargetError
        When the URL is malformed.
    InvalidParameterError
        When a level or ``requests_per_level`` is below 1, or ``probe_kwargs`` sets
        an option the sweep sets itself (``count``, ``interval``, ``concurrency``, ``duration``)
        or one :func:`~apiprobe.probe.http.probe_http` rejects.
    """
    parse_url(url)
    wanted = sorted({int(lv) for lv in levels})
    if not wanted or wanted[0] < 1:
        raise InvalidParameterError(f"levels must be positive integers, got {tuple(levels)!r}")
    if requests_per_level < 1:
        raise InvalidParameterError(f"requests_per_level must be at least 1, got {requests_per_level!r}")
    for key in ("count", "interval", "concurrency", "duration"):
        if key in probe_kwargs:
            raise InvalidParameterError(
                f"probe_kwargs: probe_concurrency sets {key} itself for each level, drop {key}={probe_kwargs[key]!r}"
            )
    probe_kwargs.setdefault("keepalive", True)
    probe_kwargs.setdefault("progress", False)
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    stopped = False
    for level in wanted:
        if time.monotonic() - started >= max_duration:
            stopped = True
            break
        t0 = time.perf_counter()
        probes = probe_http(
            url, count=max(requests_per_level, level), interval=0.0, concurrency=level, timeout=timeout, **probe_kwargs
        )
        rows.append(_level_row(level, probes, time.perf_counter() - t0, redact_url(url)))
    df = pd.DataFrame(rows, columns=list(SWEEP_COLUMNS)).astype(SWEEP_COLUMNS)
    df.attrs["knee"] = find_knee(df)
    df.attrs["stopped_early"] = stopped
    return df
