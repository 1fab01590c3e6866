"""Pool sizing by queueing theory (handbook §2.5): Little's law, Erlang C (M/M/c) waits, the
recommended size next to the handbook's ``cores × (1 + wait/compute)``, and the knee of a concurrency sweep.

Public through :mod:`apiprobe.analyze.pool`.
"""

from __future__ import annotations

import math

import pandas as pd

from apiprobe._frames import require_columns
from apiprobe.errors import InvalidParameterError


def littles_law(rate_per_s: float, latency_ms: float) -> float:
    """Mean requests in flight, L = λ·W (Little's law).

    Parameters
    ----------
    rate_per_s : float
        Arrival (or completion) rate, requests per second.
    latency_ms : float
        Mean time one request holds its connection, ms.

    Returns
    -------
    float
        Mean number of requests in flight.

    Raises
    ------
    InvalidParameterError
        When ``rate_per_s`` or ``latency_ms`` is negative.

    Examples
    --------
    >>> littles_law(200, 50)
    10.0
    """
    if rate_per_s < 0 or latency_ms < 0:
        raise InvalidParameterError(
            f"rate_per_s and latency_ms must not be negative, got rate_per_s={rate_per_s!r}, latency_ms={latency_ms!r}"
        )
    return float(rate_per_s) * float(latency_ms) / 1000.0


def _erlang_c(servers: int, load: float) -> float:
    """Probability an arrival waits in an M/M/c queue (Erlang C); 1.0 when saturated."""
    if load <= 0:
        return 0.0
    if load >= servers:
        return 1.0
    b = 1.0  # Erlang B by the stable recursion
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return servers * b / (servers - load * (1.0 - b))


def mmc_wait(rate_per_s: float, service_ms: float, servers: int) -> dict[str, float]:
    """Queueing for a pool of ``servers`` connections (M/M/c, Erlang C).

    Parameters
    ----------
    rate_per_s : float
        Arrival rate λ, requests per second (Poisson).
    service_ms : float
        Mean time one request holds a connection, ms (exponential).
    servers : int
        Pool size c.

    Returns
    -------
    dict of str to float
        ``servers`` (c), ``offered_load`` (erlangs, λ·S = Little's law in service),
        ``utilisation`` (ρ = load / c), ``p_wait`` (probability a request
        waits for a connection), ``mean_wait_ms`` (mean wait over all
        requests; ``inf`` when ρ ≥ 1), ``mean_response_ms`` (wait +
        service), ``queue_length`` (mean waiting, L_q) and ``in_flight``
        (mean waiting + served, L).

    Raises
    ------
    InvalidParameterError
        When ``servers`` < 1, ``rate_per_s`` < 0 or ``service_ms`` ≤ 0.

    Examples
    --------
    >>> round(mmc_wait(100, 10, 2)["p_wait"], 4)  # load 1 erlang on 2 connections
    0.3333
    """
    if servers < 1:
        raise InvalidParameterError(f"servers must be at least 1, got {servers!r}")
    if rate_per_s < 0 or service_ms <= 0:
        raise InvalidParameterError(
            "rate_per_s must not be negative and service_ms must be positive, "
            f"got rate_per_s={rate_per_s!r}, service_ms={service_ms!r}"
        )
    load = rate_per_s * service_ms / 1000.0
    rho = load / servers
    p_wait = _erlang_c(servers, load)
    if rho >= 1.0:
        wait_ms = math.inf
        lq = math.inf
    else:
        mu = 1000.0 / service_ms  # per connection, per second
        wait_s = p_wait / (servers * mu - rate_per_s)
        wait_ms = wait_s * 1000.0
        lq = rate_per_s * wait_s
    return {
        "servers": float(servers),
        "offered_load": load,
        "utilisation": rho,
        "p_wait": p_wait,
        "mean_wait_ms": wait_ms,
        "mean_response_ms": wait_ms + service_ms,
        "queue_length": lq,
        "in_flight": lq + load,
    }


def pool_sizing(
    rate_per_s: float,
    latency_ms: float,
    *,
    cores: int | None = None,
    wait_ms: float | None = None,
    compute_ms: float | None = None,
    target_wait_ms: float | None = None,
    max_utilisation: float = 0.8,
    max_size: int | None = None,
) -> pd.DataFrame:
    """Wait for a connection vs pool size, with a recommended size.

    Each row is one pool size: ``pool_size``, ``utilisation``, ``p_wait``,
    ``mean_wait_ms``, ``mean_response_ms``, ``queue_length`` (M/M/c, see
    :func:`mmc_wait`), ``recommended`` (the smallest size whose mean wait is
    at most ``target_wait_ms`` and whose utilisation is at most
    ``max_utilisation`` — the handbook's "pool usage < 80 %") and
    ``handbook`` (the size the handbook's ``cores × (1 + wait/compute)``
    gives, when ``cores`` is known).

    ``df.attrs`` holds ``in_flight`` (Little's law), ``recommended``,
    ``handbook_size`` (None without ``cores``), ``target_wait_ms`` and a
    one-sentence ``summary``.

    Parameters
    ----------
    rate_per_s : float
        Peak request rate through the pool, per second.
    latency_ms : float
        Mean time a request holds a connection, ms.
    cores : int, optional
        CPU cores, for the handbook rule.
    wait_ms, compute_ms : float, optional
        I/O wait and CPU time of one task, ms, for the handbook rule; when only
        ``compute_ms`` is given, ``wait_ms = latency_ms − compute_ms``.
    target_wait_ms : float, optional
        Acceptable mean wait for a connection, ms (default: 10 % of ``latency_ms``).
    max_utilisation : float, default 0.8
        Headroom: the highest share of the pool busy on average (0–1).
    max_size : int, optional
        Largest size tabulated (default: enough to pass the recommendation).

    Returns
    -------
    pandas.DataFrame
        One row per pool size: ``pool_size`` (int64, connections); ``utilisation``,
        ``p_wait`` (shares 0–1); ``mean_wait_ms``, ``mean_response_ms`` (ms);
        ``queue_length`` (requests); ``recommended``, ``handbook`` (bool).
        ``attrs`` as described above.

    Raises
    ------
    InvalidParameterError
        When ``latency_ms`` ≤ 0, ``max_utilisation`` is outside (0, 1] or ``rate_per_s`` < 0.
    """
    if latency_ms <= 0:
        raise InvalidParameterError(f"latency_ms must be positive, got {latency_ms!r}")
    if not 0 < max_utilisation <= 1:
        raise InvalidParameterError(f"max_utilisation must be in (0, 1], got {max_utilisation!r}")
    target = 0.1 * latency_ms if target_wait_ms is None else float(target_wait_ms)
    in_flight = littles_law(rate_per_s, latency_ms)
    handbook: int | None = None
    if cores is not None:
        if compute_ms is not None and wait_ms is None:
            wait_ms = max(0.0, latency_ms - compute_ms)
        if compute_ms is not None and compute_ms > 0 and wait_ms is not None:
            handbook = max(1, math.ceil(cores * (1.0 + wait_ms / compute_ms)))
    recommended: int | None = None
    n = 1
    limit = max_size if max_size is not None else 10_000
    rows = []
    while n <= limit:
        r = mmc_wait(rate_per_s, latency_ms, n)
        rows.append(
            {
                "pool_size": n,
                **{k: r[k] for k in ("utilisation", "p_wait", "mean_wait_ms", "mean_response_ms", "queue_length")},
            }
        )
        if recommended is None and r["mean_wait_ms"] <= target and r["utilisation"] <= max_utilisation:
            recommended = n
        done = recommended is not None and n >= max(math.ceil(recommended * 1.5), recommended + 3, handbook or 0)
        if max_size is None and done:
            break
        n += 1
    df = pd.DataFrame(rows)
    df["recommended"] = df["pool_size"] == (recommended if recommended is not None else -1)
    df["handbook"] = df["pool_size"] == (handbook if handbook is not None else -1)
    df = df.astype({"pool_size": "int64", "recommended": "bool", "handbook": "bool"})
    summary = (
        f"{rate_per_s:g} req/s × {latency_ms:g} ms keeps {in_flight:.1f} connections busy on average (Little's law); "
    )
    if recommended is not None:
        w = df.loc[df["pool_size"] == recommended, "mean_wait_ms"].iloc[0]
        summary += (
            f"a pool of {recommended} keeps utilisation ≤ {max_utilisation:.0%} and the mean wait "
            f"for a connection at {w:.2f} ms (target {target:g} ms)"
        )
    else:
        summary += f"no pool size up to {limit} meets the target"
    if handbook is not None:
        summary += f"; the handbook rule cores × (1 + wait/compute) gives {handbook}"
    df.attrs.update(
        {
            "in_flight": in_flight,
            "recommended": recommended,
            "handbook_size": handbook,
            "target_wait_ms": target,
            "rate_per_s": float(rate_per_s),
            "latency_ms": float(latency_ms),
            "summary": summary,
        }
    )
    return df


# -- the knee of a concurrency sweep -----------------------------------------------------------


def find_knee(sweep: pd.DataFrame, *, latency_rise: float = 1.5, min_gain: float = 0.5) -> int | None:
    """Concurrency past which latency rises and throughput stops growing.

    Walks the sweep in order of concurrency; level ``c[i+1]`` is *saturated*
    when its p50 exceeds ``latency_rise`` × the p50 of the lowest level (and by
    at least 1 ms), and its throughput gained less than ``min_gain`` of the
    ideal linear gain over ``c[i]``. The knee is the level before the first
    saturated one. None when no level is saturated (the upstream scaled over
    the whole sweep) or the sweep has fewer than two usable levels.

    Parameters
    ----------
    sweep : pandas.DataFrame
        A table from :func:`~apiprobe.probe.concurrency.probe_concurrency`
        (columns ``concurrency``, ``p50_ms`` in ms, ``throughput_rps`` in requests per second).
    latency_rise : float, default 1.5
        Factor over the base p50 that counts as queueing.
    min_gain : float, default 0.5
        Share of the linear throughput gain below which throughput "stopped growing".

    Returns
    -------
    int or None
        The concurrency level at the knee; None when the sweep shows none.

    Raises
    ------
    SchemaError
        When a non-empty ``sweep`` lacks one of the three columns.
    """
    if sweep is None or sweep.empty:
        return None
    require_columns(sweep, ["concurrency", "p50_ms", "throughput_rps"], table="concurrency sweep")
    s = sweep.dropna(subset=["p50_ms", "throughput_rps"]).sort_values("concurrency")
    s = s[s["throughput_rps"] > 0]
    if len(s) < 2:
        return None
    c = s["concurrency"].astype(float).tolist()
    p50 = s["p50_ms"].astype(float).tolist()
    tp = s["throughput_rps"].astype(float).tolist()
    base = p50[0]
    for i in range(len(c) - 1):
        ideal = c[i + 1] / c[i] - 1.0
        gain = tp[i + 1] / tp[i] - 1.0
        slow = p50[i + 1] > max(latency_rise * base, base + 1.0)
        if slow and gain < min_gain * ideal:
            return int(c[i])
    return None
