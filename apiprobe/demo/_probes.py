"""Demo probes and pings: a slow dependency and a lossy link, reproducible from a seed.

The story (times relative to the start of the data, three targets probed every
15 s for two hours):

* ``https://checkout.demo.internal/api/cart`` — healthy throughout (the control);
* ``https://payments.demo.internal/v1/charge`` — from 40 to 55 min the server
  wait climbs (a slow dependency), spikes past the 2 s client timeout and a
  share of requests end in ``read_timeout``, with some 503s;
* ``http://inventory.demo.internal/stock`` — from 70 to 85 min a lossy link:
  connects wait for SYN retransmits (~1 s, ~3 s) and some ``connect_timeout``.

A baseline (the same targets on a quiet day) comes with it, for comparisons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from apiprobe.schema import conform

__all__ = ["DEMO_START", "DEMO_TIMEOUT_MS", "demo_pings", "demo_probes"]

#: Start of the demo data (a fixed instant, so the data is reproducible).
DEMO_START = pd.Timestamp("2026-03-14T09:00:00Z")
#: The client timeout of the service in the story, ms.
DEMO_TIMEOUT_MS = 2000.0

_TARGETS = {
    "https://checkout.demo.internal/api/cart": ("10.20.0.11", 443, "https"),
    "https://payments.demo.internal/v1/charge": ("10.20.0.12", 443, "https"),
    "http://inventory.demo.internal/stock": ("10.20.0.13", 80, "http"),
}


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def _unless(mask: np.ndarray, value: str) -> np.ndarray:
    """Object array holding ``value`` where ``mask`` is False and None where it is True."""
    out = np.full(len(mask), None, dtype=object)
    out[~mask] = value
    return out


def demo_probes(
    *,
    seed: int = 7,
    incident: bool = True,
    minutes: int = 120,
    interval_s: float = 15.0,
    start: pd.Timestamp = DEMO_START,
) -> pd.DataFrame:
    """Synthetic probes of the demo incident (or of a quiet baseline day).

    The same arguments always give the same table.

    Parameters
    ----------
    seed : int, default 7
        Seed of the random draws (the baseline uses ``seed + 1000``).
    incident : bool, default True
        True: payments slows down from 40 to 55 min and inventory's link is
        lossy from 70 to 85 min. False: the quiet baseline day.
    minutes : int, default 120
        How long the targets are probed, min.
    interval_s : float, default 15.0
        Time between two attempts on one target, s.
    start : pandas.Timestamp, default DEMO_START
        Time of the first attempt (UTC).

    Returns
    -------
    pandas.DataFrame
        One row per HTTP attempt, schema ``probes``: ``ts`` (UTC), ``target``,
        ``url``, ``host``, ``ip``, ``port``, ``scheme``, phase durations
        ``dns_ms``, ``connect_ms``, ``tls_ms``, ``request_ms``, ``ttfb_ms``,
        ``transfer_ms``, ``total_ms`` (ms; NaN where the attempt did not get
        that far), ``status``, ``bytes``, ``error_kind`` (``connect_timeout``,
        ``read_timeout`` or None) and ``error``, sorted by ``ts``.
    """
    rng = np.random.default_rng(seed if incident else seed + 1000)
    n = int(minutes * 60 / interval_s)
    offsets = np.arange(n) * interval_s
    frames = []
    for t_index, (target, (ip, port, scheme)) in enumerate(_TARGETS.items()):
        minute = offsets / 60.0
        ts = (start + pd.to_timedelta(offsets + rng.uniform(0, 0.4, n) + t_index * 0.05, unit="s")).floor("ms")
        dns = _lognormal(rng, 1.2, 0.4, n)
        connect = _lognormal(rng, 0.9, 0.25, n)
        tls = _lognormal(rng, 4.5, 0.2, n) if scheme == "https" else np.full(n, np.nan)
        request = _lognormal(rng, 0.08, 0.3, n)
        ttfb = _lognormal(rng, 35.0 if "payments" in target else 18.0, 0.35, n)
        transfer = _lognormal(rng, 0.6, 0.5, n)
        status = np.where(rng.uniform(size=n) < 0.001, 500, 200).astype(float)
        error_kind = np.full(n, None, dtype=object)
        error = np.full(n, None, dtype=object)
        if incident and "payments" in target:
            window = (minute >= 40) & (minute < 55)
            ramp = np.clip((minute - 40) / 6.0, 0, 1) * np.clip((55 - minute) / 4.0, 0, 1)
            ttfb = np.where(window, ttfb * (1 + 45 * ramp * rng.uniform(0.3, 1.8, n)), ttfb)
            status = np.where(window & (rng.uniform(size=n) < 0.12), 503, status)
        if incident and "inventory" in target:
            window = (minute >= 70) & (minute < 85)
            u = rng.uniform(size=n)
            connect = np.where(window & (u < 0.25), 1000 + connect, connect)
            connect = np.where(window & (u >= 0.25) & (u < 0.32), 3000 + connect, connect)
            lost = window & (u >= 0.32) & (u < 0.40)
            error_kind[lost] = "connect_timeout"
            error[lost] = "ConnectTimeout: timed out"
        phases = np.vstack([dns, connect, np.nan_to_num(tls), request, ttfb, transfer])
        total = phases.sum(axis=0) + _lognormal(rng, 0.3, 0.3, n)
        pending = pd.isna(error_kind.astype(object))
        slow_connect = pending & (dns + connect > DEMO_TIMEOUT_MS)
        error_kind[slow_connect], error[slow_connect] = "connect_timeout", "ConnectTimeout: timed out"
        slow_answer = pending & ~slow_connect & (total > DEMO_TIMEOUT_MS)
        error_kind[slow_answer], error[slow_answer] = "read_timeout", "ReadTimeout: timed out"
        failed = ~pd.isna(error_kind.astype(object))
        connect_failed = error_kind == "connect_timeout"
        df = pd.DataFrame(
            {
                "ts": ts,
                "run_id": "demo" if incident else "demo-baseline",
                "target": target,
                "url": target,
                "method": "GET",
                "host": target.split("/")[2],
                "ip": ip,
                "port": port,
                "scheme": scheme,
                "resolver": "system",
                "dns_ms": dns,
                "connect_ms": np.where(connect_failed, np.nan, connect),
                "tls_ms": np.where(connect_failed, np.nan, tls),
                "request_ms": np.where(connect_failed, np.nan, request),
                "ttfb_ms": np.where(failed, np.nan, ttfb),
                "transfer_ms": np.where(failed, np.nan, transfer),
                "total_ms": np.where(failed, np.nan, total),
                "status": np.where(failed, np.nan, status),
                "http_version": _unless(failed, "HTTP/1.1"),
                "tls_version": _unless(failed | (scheme != "https"), "TLSv1.3"),
                "reused_conn": False,
                "bytes": np.where(failed, np.nan, np.round(_lognormal(rng, 900, 0.2, n))),
                "error_kind": error_kind,
                "error": error,
            }
        )
        frames.append(df)
    out = pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable")
    return conform(
        out.astype({"status": "Float64", "bytes": "Float64"}).astype({"status": "Int64", "bytes": "Int64"}), "probes"
    )


def demo_pings(
    *, seed: int = 7, minutes: int = 120, interval_s: float = 5.0, start: pd.Timestamp = DEMO_START
) -> pd.DataFrame:
    """Synthetic TCP-connect samples to the inventory host, lossy from 70 to 85 min.

    Parameters
    ----------
    seed : int, default 7
        Seed of the random draws (``seed + 1`` is used, apart from the probes' draws).
    minutes : int, default 120
        How long the host is sampled, min.
    interval_s : float, default 5.0
        Time between two samples, s.
    start : pandas.Timestamp, default DEMO_START
        Time of the first sample (UTC).

    Returns
    -------
    pandas.DataFrame
        One row per sample, schema ``pings``: ``ts`` (UTC), ``target``
        (``inventory.demo.internal:80``), ``ip``, ``port``, ``seq``, ``rtt_ms``
        (ms, NaN when lost), ``ok``, ``error_kind`` (``connect_timeout`` when
        lost) and ``error``.
    """
    rng = np.random.default_rng(seed + 1)
    n = int(minutes * 60 / interval_s)
    offsets = np.arange(n) * interval_s
    minute = offsets / 60.0
    rtt = _lognormal(rng, 0.9, 0.25, n)
    window = (minute >= 70) & (minute < 85)
    lost = window & (rng.uniform(size=n) < 0.08)
    rtt = np.where(window, rtt + rng.gamma(2.0, 15.0, n), rtt)
    return conform(
        pd.DataFrame(
            {
                "ts": start + pd.to_timedelta(offsets, unit="s"),
                "run_id": "demo",
                "target": "inventory.demo.internal:80",
                "ip": "10.20.0.13",
                "port": 80,
                "seq": np.arange(n),
                "rtt_ms": np.where(lost, np.nan, rtt),
                "ok": ~lost,
                "error_kind": _unless(~lost, "connect_timeout"),
                "error": _unless(~lost, "no SYN-ACK within 3 s"),
            }
        ),
        "pings",
    )
