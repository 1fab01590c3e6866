"""A healthy bystander for the demo's triage folder: ``search``, logging with zap's console encoder.

``search`` serves the shop's product search beside the checkout path and has
nothing to do with the incident (it never calls payments, Postgres is not its
store): steady traffic from 09:30 to 10:30, 200s with normal latency, an
occasional 404 for an item id that does not exist, and its index refreshed
every five minutes (a background line without a latency). Its log is zap's console encoder
(``zap.NewProductionConfig()`` with ``Encoding: "console"`` and ISO 8601
times)::

    2026-03-14T09:30:01.207Z<TAB>INFO<TAB>http<TAB>server/middleware.go:61<TAB>request<TAB>{"method":"GET",…}

with ``latency`` in float seconds (zap's default duration encoder).
"""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime

__all__ = ["SEARCH_WINDOW", "demo_search_log"]

#: The span the search log covers (ISO 8601, UTC, start inclusive, end exclusive).
SEARCH_WINDOW = ("2026-03-14T09:30:00Z", "2026-03-14T10:30:00Z")

_S = 1_000_000_000
_MS = 1_000_000
_TERMS = [
    "trail running shoes",
    "merino socks",
    "rain jacket",
    "headlamp",
    "hydration vest",
    "gaiters",
    "running tights",
    "waterproof gloves",
    "trekking poles",
    "insoles",
    "cap",
    "windbreaker",
]


def _at(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()) * _S


def _iso8601(ns: int) -> str:
    """zapcore.ISO8601TimeEncoder: ``2006-01-02T15:04:05.000Z0700``, UTC."""
    sec, frac = divmod(ns, _S)
    return datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac // _MS:03d}Z"


def _zapfloat(x: float) -> str:
    """zap's JSON float: strconv 'f' with the shortest digits (never an exponent)."""
    s = repr(float(x))
    return f"{x:.17f}".rstrip("0") if "e" in s else s


def _line(ns: int, level: str, logger: str, caller: str, msg: str, fields: dict[str, object]) -> str:
    parts = []
    for k, v in fields.items():
        parts.append(f'"{k}":' + (_zapfloat(v) if isinstance(v, float) else json.dumps(v, ensure_ascii=False)))
    return f"{_iso8601(ns)}\t{level}\t{logger}\t{caller}\t{msg}\t{{{','.join(parts)}}}"


def demo_search_log(*, seed: int = 5, rate: float = 0.55) -> str:
    """The ``search`` service's log over :data:`SEARCH_WINDOW` (zap console encoder).

    Parameters
    ----------
    seed : int, default 5
        Seed of the traffic.
    rate : float, default 0.55
        Requests per second (Poisson arrivals).

    Returns
    -------
    str
        The log text, one line per request (plus the index refreshes), in time order.
    """
    rng = random.Random(seed)
    start, end = _at(SEARCH_WINDOW[0]), _at(SEARCH_WINDOW[1])
    records: list[tuple[int, str]] = []
    t = start
    while True:
        t += int(rng.expovariate(rate) * _S)
        if t >= end:
            break
        u = rng.random()
        if u < 0.68:
            route, q = "/v1/search", rng.choice(_TERMS)
            path = "/v1/search?q=" + q.replace(" ", "+")
            lat = 18.0 * math.exp(0.35 * rng.gauss(0.0, 1.0))
            extra: dict[str, object] = {"hits": rng.randrange(0, 240)}
            status = 200
        elif u < 0.93:
            route = "/v1/suggest"
            q = rng.choice(_TERMS)[: rng.randrange(2, 6)]
            path = "/v1/suggest?prefix=" + q.replace(" ", "+")
            lat = 4.0 * math.exp(0.3 * rng.gauss(0.0, 1.0))
            extra = {"suggestions": rng.randrange(0, 9)}
            status = 200
        else:
            route = "/v1/items/{sku}"
            missing = rng.random() < 0.06
            path = f"/v1/items/SKU-{rng.randrange(9000, 9999) if missing else rng.randrange(40, 5200):04d}"
            lat = 3.0 * math.exp(0.3 * rng.gauss(0.0, 1.0))
            status = 404 if missing else 200
            extra = {"error": "item not found"} if missing else {}
        done = t + round(lat * _MS)
        fields: dict[str, object] = {
            "method": "GET",
            "path": path,
            "route": route,
            "status": status,
            "latency": round(lat * _MS) / _S,
            "bytes": rng.randrange(180, 420) if status == 404 else rng.randrange(900, 24000),
            "remote_addr": f"10.0.{rng.choice((1, 1, 1, 6))}.{rng.randrange(2, 60)}:{rng.randrange(32768, 60999)}",
            **extra,
        }
        records.append((done, _line(done, "INFO", "http", "server/middleware.go:61", "request", fields)))
    t = start + 137 * _S + 412 * _MS
    docs = 48_112
    while t < end:
        took = rng.randrange(610, 980) * _MS + rng.randrange(0, _MS)
        docs += rng.randrange(0, 40)
        records.append(
            (
                t + took,
                _line(
                    t + took,
                    "INFO",
                    "indexer",
                    "index/refresh.go:88",
                    "index refreshed",
                    {"docs": docs, "segments": rng.randrange(6, 14)},
                ),
            )
        )
        t += 300 * _S
    records.sort()
    return "".join(line + "\n" for _, line in records)
