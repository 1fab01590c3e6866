"""Demo incident for logs, traces and status codes: a checkout outage across six Go services.

A shop's checkout path, 2026-03-14, 09:40–10:20 UTC. Every request enters
``gateway``; a checkout goes gateway → orders → inventory (reserve) →
payments (charge, retried) → billing (invoice). Each service logs with a
different Go logger, so the files cover the dialects of handbook §3.3, and
the traces of a sample of the checkouts come in three formats (§3.2).

==========  ===================  ====================  =========================================
service     logger (dialect)     file                  what it shows
==========  ===================  ====================  =========================================
gateway     zap production JSON  gateway.json.log      one access line per request: float ``ts``,
                                                       ``latency`` in float seconds, ``trace_id``,
                                                       ``span_id``, ``client_ip``; 502/503 logged
                                                       at ``info``; two truncated lines; a few
                                                       lines out of order
orders      zerolog              orders.log.gz         ``message``, ``trace_id``, ``attempt`` on
                                                       each failed payment call, ``duration_ms``;
                                                       gzipped (a rotated log); a restart at 10:10
payments    logrus text          payments.log          ``level=warning``; ``traceID``; one Go
                                                       panic stack trace (not logrus); pool stats
                                                       every 30 s
inventory   slog JSON            inventory.jsonl       ``trace.id``, ``source`` {function, file,
                                                       line}, ``INFO+2`` notices, ``latency`` in
                                                       int nanoseconds
billing     go-kit logfmt        billing.log           ``ts``/``caller``/``level``, ``took`` as a
                                                       Go duration; **no trace id** (only
                                                       ``order_id`` links it)
auth        logrus JSON          auth.log              alphabetical keys, ``X-Trace-ID``,
                                                       ``level":"warning``
==========  ===================  ====================  =========================================

Timeline (:data:`DEMO_TIMELINE`; windows :data:`BASELINE` and :data:`INCIDENT`):

==========  ==============================================================================
09:40       healthy baseline, ~0.65 requests/s (~0.2 checkouts/s): background 4xx (a few
            400/401, 403 "token expired", 404 "insufficient stock"), 200 + ``code 1001``
            "out of stock", 500 for invalid card numbers, two 502 "connection reset by
            peer"; at 09:52 a crawler (192.0.2.201) runs over its per-IP limit (six 429)
10:00       a reconciliation job in payments takes 16 of the 20 Postgres connections: the
            pool is exhausted within two minutes. payments answers 503
            ``pg: connection pool timeout`` (after its 500 ms pool timeout) or is too slow
            for the orders client (``Client.Timeout`` 600 ms): orders logs
            ``context deadline exceeded (Client.Timeout exceeded while awaiting headers)``
            and retries (attempt 1..3, backoff 50/100 ms); gateway answers 504 near its 2 s
            timeout, or 503 (logged at ``info``) when payments said 503 three times
10:08:31    payments panics once (nil transaction after a pool timeout): a Go stack trace in
            its log, ``EOF`` for the orders client
10:10:05    orders restarted by the on-call: gateway gets
            ``http2: server sent GOAWAY and closed the connection`` (502) for a few seconds
10:11:20    Postgres restarted: ``dial tcp 10.0.3.7:5432: connect: connection refused`` (10 s)
10:13:05    unrelated: client 203.0.113.45 loops on ``POST /api/cart/items`` (400, then 429)
10:16:10    the job is cancelled; the pool recovers by ~10:19
==========  ==============================================================================

Error kinds only in the incident: pool timeout, deadline exceeded, context
canceled, EOF/panic, GOAWAY, connection refused. Status misuse (handbook §2.4):
inventory answers 200 with ``{"code":1001,"error":"out of stock"}`` and 404
"insufficient stock for sku …"; payments answers 500 for validation failures
(and orders retries them); auth answers 403 for an expired token; gateway logs
502/503 at ``info``.

Traces (``traces/``): ``checkout-otlp.json`` (OTLP JSON, gateway + orders +
payments), ``inventory-jaeger.json`` (Jaeger JSON, inventory spans of the same
traces) and ``billing-zipkin.json`` (Zipkin v2: billing uses B3 and ignores W3C
``traceparent``, so most of its spans start new 64-bit traces, the rest carry
the trace id but a parent — an Envoy sidecar span — that no file holds).
``har/checkout.har`` is a Chrome export of one user's session during the
incident (its ``x-trace-id`` response headers match the gateway log).

Everything is generated from a seeded :class:`random.Random` and fixed
instants: the same seed gives the same bytes.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "BASELINE",
    "DEMO_HAR_FILE",
    "DEMO_LOG_FILES",
    "DEMO_SERVICES",
    "DEMO_TIMELINE",
    "DEMO_TRACE_FILES",
    "GATEWAY_TIMEOUT_S",
    "HAR_CLIENT_IP",
    "INCIDENT",
    "STORM_CLIENT_IP",
    "demo_incident_files",
    "write_demo_incident",
]

#: The healthy window (ISO 8601, UTC, start inclusive, end exclusive).
BASELINE = ("2026-03-14T09:40:00Z", "2026-03-14T10:00:00Z")
#: The incident window.
INCIDENT = ("2026-03-14T10:00:00Z", "2026-03-14T10:20:00Z")
#: Service → log dialect (the names :mod:`apiprobe.load.logs` uses).
DEMO_SERVICES: dict[str, str] = {
    "gateway": "zap",
    "orders": "zerolog",
    "payments": "logrus_text",
    "inventory": "slog_json",
    "billing": "logfmt",
    "auth": "logrus_json",
}
#: Service → its log file under ``logs/``.
DEMO_LOG_FILES: dict[str, str] = {
    "gateway": "gateway.json.log",
    "orders": "orders.log.gz",
    "payments": "payments.log",
    "inventory": "inventory.jsonl",
    "billing": "billing.log",
    "auth": "auth.log",
}
#: Trace format → its file under ``traces/``.
DEMO_TRACE_FILES: dict[str, str] = {
    "otlp": "checkout-otlp.json",
    "jaeger": "inventory-jaeger.json",
    "zipkin": "billing-zipkin.json",
}
#: The HAR file under ``har/``.
DEMO_HAR_FILE = "checkout.har"
#: The moments of the story (ISO 8601, UTC).
DEMO_TIMELINE: dict[str, str] = {
    "pool_exhausted": "2026-03-14T10:00:00Z",
    "payments_panic": "2026-03-14T10:08:31Z",  # the first charge from then on panics
    "orders_restart": "2026-03-14T10:10:05Z",
    "postgres_restart": "2026-03-14T10:11:20Z",
    "client_storm": "2026-03-14T10:13:05Z",
    "job_cancelled": "2026-03-14T10:16:10Z",
}
#: The gateway's timeout towards orders, s (the 504s sit just under or at it).
GATEWAY_TIMEOUT_S = 2.0
#: The client whose retry loop makes the 4xx storm on ``/api/cart/items``.
STORM_CLIENT_IP = "203.0.113.45"
#: The client (browser) whose session is in the HAR file.
HAR_CLIENT_IP = "198.51.100.23"

_S = 1_000_000_000
_MS = 1_000_000


def _at(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()) * _S


_T0 = _at(BASELINE[0])
_T_INC = _at(INCIDENT[0])
_T_END = _at(INCIDENT[1])
_T_PANIC = _at(DEMO_TIMELINE["payments_panic"])
_GOAWAY = (_at(DEMO_TIMELINE["orders_restart"]), _at(DEMO_TIMELINE["orders_restart"]) + 9 * _S)
_REFUSED = (_at(DEMO_TIMELINE["postgres_restart"]), _at(DEMO_TIMELINE["postgres_restart"]) + 10 * _S)
_STORM = (_at(DEMO_TIMELINE["client_storm"]), _at(DEMO_TIMELINE["client_storm"]) + 125 * _S)
_T_JOB_END = _at(DEMO_TIMELINE["job_cancelled"])
_GW_TIMEOUT = int(GATEWAY_TIMEOUT_S * _S)
_ATTEMPT_TIMEOUT = 600 * _MS
_POOL_TIMEOUT = 500 * _MS

_CHARGE_URL = "http://payments:8080/v1/charge"
_ERR_TIMEOUT = f'Post "{_CHARGE_URL}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
_ERR_CANCELED = f'Post "{_CHARGE_URL}": context canceled'
_ERR_EOF = f'Post "{_CHARGE_URL}": EOF'
_ERR_POOL = "pg: connection pool timeout"
_ERR_REFUSED = "dial tcp 10.0.3.7:5432: connect: connection refused"
_ERR_CARD = "invalid card number: must be 16 digits"
_ERR_GOAWAY = "http2: server sent GOAWAY and closed the connection"
_ERR_RESET = "readfrom tcp 10.0.1.5:43122->10.0.5.3:8080: read: connection reset by peer"

_SKUS = [f"SKU-{n:04d}" for n in (42, 311, 507, 1042, 1188, 1730, 2210, 2404, 3019, 3310, 4471, 5120)]


# ----------------------------------------------------------------------------- formatting


def _utc(ns: int) -> tuple[str, int]:
    sec, frac = divmod(ns, _S)
    return datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S"), frac


def _rfc3339(ns: int) -> str:
    """Go ``time.RFC3339`` (seconds): zerolog's and logrus' default."""
    return _utc(ns)[0] + "Z"


def _rfc3339_ms(ns: int) -> str:
    """slog's handlers: always three fraction digits."""
    base, frac = _utc(ns)
    return f"{base}.{frac // _MS:03d}Z"


def _rfc3339_nano(ns: int) -> str:
    """Go ``time.RFC3339Nano``: trailing zeros trimmed (go-kit's ``DefaultTimestampUTC``)."""
    base, frac = _utc(ns)
    return base + ("." + f"{frac:09d}".rstrip("0") if frac else "") + "Z"


def _gofloat(x: float) -> str:
    """``strconv.FormatFloat(x, 'f', -1, 64)``: shortest round-trip digits, no exponent."""
    s = repr(float(x))
    if "e" in s:
        s = f"{x:.17f}".rstrip("0")
    return s


def _godur(ns: int) -> str:
    """``time.Duration.String()`` for durations under a minute."""
    if ns < 1000:
        return f"{ns}ns"
    unit, scale = ("µs", 1000) if ns < _MS else ("ms", _MS) if ns < _S else ("s", _S)
    whole, frac = divmod(ns, scale)
    digits = len(str(scale)) - 1
    return f"{whole}" + ("." + f"{frac:0{digits}d}".rstrip("0") if frac else "") + unit


def _json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _logrus_value(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and all(c.isascii() and (c.isalnum() or c in "-._/@^+") for c in text):
        return text
    return json.dumps(text)


def _logfmt_value(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and not any(c <= " " or c in '="' for c in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _logrus_text(ns: int, level: str, msg: str, fields: dict[str, Any]) -> str:
    parts = [f"time={_logrus_value(_rfc3339(ns))}", f"level={level}", f"msg={_logrus_value(msg)}"]
    parts += [f"{k}={_logrus_value(fields[k])}" for k in sorted(fields)]
    return " ".join(parts)


def _ms(x: float) -> int:
    return round(x * _MS)


def _round3(ns: int) -> float:
    return round(ns / _MS, 3)


# ----------------------------------------------------------------------------- model


@dataclass
class _Span:
    service: str
    trace_id: str
    span_id: str
    parent: str
    name: str
    kind: int  # OTLP: 1 internal, 2 server, 3 client
    start: int
    end: int
    attrs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class _Request:
    t0: int
    kind: str
    method: str
    path: str
    route: str
    client_ip: str
    trace_id: str
    span_id: str
    body: str | None = None
    forced: dict[str, Any] = field(default_factory=dict)
    sampled: bool = False
    end: int = 0
    status: int = 200
    error: str | None = None
    response: str = ""


class _Incident:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids = random.Random(seed + 1)
        self.seq = 0
        self.logs: dict[str, list[tuple[int, int, str]]] = {s: [] for s in DEMO_SERVICES}
        self.spans: list[_Span] = []
        self.requests: list[_Request] = []
        self.attempts: list[tuple[int, str]] = []  # payments: (time, outcome) for the pool stats
        self.order_no = 58210
        self.panicked = False
        self.clients = [
            f"{net}.{self.ids.randrange(2, 250)}" for net in ("203.0.113", "198.51.100", "192.0.2") for _ in range(20)
        ]

    # ids and small helpers -----------------------------------------------------------------
    def trace_id(self) -> str:
        return f"{self.ids.getrandbits(128) | 1 << 124:032x}"

    def span_id(self) -> str:
        return f"{self.ids.getrandbits(64) | 1 << 60:016x}"

    def lognormal(self, median_ms: float, sigma: float) -> int:
        return _ms(median_ms * math.exp(sigma * self.rng.gauss(0.0, 1.0)))

    def net(self) -> int:
        return self.rng.randrange(200_000, 700_000)

    def log(self, service: str, ns: int, line: str) -> None:
        self.seq += 1
        self.logs[service].append((ns, self.seq, line))

    def span(
        self,
        req: _Request,
        service: str,
        parent: str,
        name: str,
        kind: int,
        start: int,
        end: int,
        attrs: dict[str, Any],
        error: str | None = None,
        span_id: str | None = None,
    ) -> str:
        sid = span_id or self.span_id()
        if req.sampled:
            self.spans.append(_Span(service, req.trace_id, sid, parent, name, kind, start, end, attrs, error))
        return sid

    @staticmethod
    def severity(ns: int) -> float:
        """How exhausted the payments pool is, 0..1."""
        if ns < _T_INC:
            return 0.0
        if ns < _T_INC + 120 * _S:
            return (ns - _T_INC) / (120 * _S)
        if ns < _T_JOB_END:
            return 1.0
        return max(0.04, 1.0 - (ns - _T_JOB_END) / (170 * _S))

    # the traffic --------------------------------------------------------------------------
    def run(self) -> None:
        rng = self.rng
        arrivals: list[_Request] = []
        t = _T0
        kinds = ["products", "cart", "cart_add", "checkout", "account", "login"]
        weights = [0.27, 0.20, 0.08, 0.30, 0.09, 0.06]
        while True:
            t += int(rng.expovariate(0.65) * _S)
            if t >= _T_END:
                break
            arrivals.append(self.request(t, rng.choices(kinds, weights)[0], rng.choice(self.clients)))
        t = _STORM[0]
        while t < _STORM[1]:
            arrivals.append(self.request(t, "cart_add", STORM_CLIENT_IP, storm=True))
            t += int(rng.uniform(0.4, 1.3) * _S)
        t = _at("2026-03-14T09:52:10Z") + 271 * _MS
        for n in range(26):  # a crawler in the baseline: over the per-IP burst of 20, the rest get 429
            arrivals.append(self.request(t, "products", "192.0.2.201", forced={"limited": n >= 20}))
            t += int(rng.uniform(0.3, 0.45) * _S)
        arrivals += self.har_session()
        arrivals.sort(key=lambda r: r.t0)
        resets = [_T0 + 7 * 60 * _S + 13 * _S, _T0 + 15 * 60 * _S + 40 * _S]
        goaway = 0
        tokens, last_storm = 20.0, _STORM[0]  # the gateway's rate limiter for one client: 20 burst, 0.2/s
        for req in arrivals:
            if req.kind == "checkout":
                req.sampled = req.sampled or rng.random() < (0.15 if req.t0 >= _T_INC else 0.04)
                if _GOAWAY[0] <= req.t0 < _GOAWAY[1] or (goaway < 3 and req.t0 >= _GOAWAY[0]):
                    goaway += 1
                    self.finish(
                        req, req.t0 + rng.randrange(900_000, 3_000_000), 502, _ERR_GOAWAY, {"error": "bad gateway"}
                    )
                else:
                    self.checkout(req)
            elif req.kind == "products":
                if resets and req.t0 >= resets[0] and not req.forced:
                    resets.pop(0)
                    self.finish(req, req.t0 + self.lognormal(4, 0.3), 502, _ERR_RESET, {"error": "bad gateway"})
                elif req.forced.get("limited") or (not req.forced and rng.random() < 0.012):  # over the limit
                    self.finish(req, req.t0 + rng.randrange(60_000, 250_000), 429, None, {"error": "too many requests"})
                else:
                    self.finish(req, req.t0 + self.lognormal(6, 0.4), 200, None, None)
            elif req.kind == "cart":
                self.finish(req, req.t0 + self.lognormal(11, 0.35), 200, None, None)
            elif req.kind == "cart_add":
                if req.client_ip == STORM_CLIENT_IP and not req.forced:
                    tokens = min(20.0, tokens + (req.t0 - last_storm) / _S * 0.2)
                    last_storm = req.t0
                    if tokens < 1:
                        self.finish(
                            req, req.t0 + rng.randrange(60_000, 250_000), 429, None, {"error": "too many requests"}
                        )
                    else:
                        tokens -= 1
                        self.finish(req, req.t0 + self.lognormal(2, 0.3), 400, None, {"error": "invalid quantity: -1"})
                else:
                    self.cart_add(req)
            else:
                self.auth(req)
        for ns, msg, extra in (
            (_GOAWAY[0] + 3_117_000, "shutting down: received terminated, draining", {}),
            (_GOAWAY[1] - 412_000, "listening", {"addr": ":8080", "version": "2.3.0"}),
        ):
            self.log(
                "orders",
                ns,
                _json({"level": "info", "service": "orders", **extra, "time": _rfc3339(ns), "message": msg}),
            )
        self.pool_stats()
        self.reorder_notices()

    def request(
        self, t0: int, kind: str, client_ip: str, *, storm: bool = False, forced: dict[str, Any] | None = None
    ) -> _Request:
        rng = self.rng
        body: str | None = None
        if kind == "products":
            method, path, route = (
                "GET",
                "/api/products?category=" + rng.choice(["running", "trail", "socks"]),
                "/api/products",
            )
        elif kind == "cart":
            method, path, route = "GET", "/api/cart", "/api/cart"
        elif kind == "cart_add":
            qty = -1 if storm else rng.choice([1, 1, 1, 2, 3])
            method, path, route = "POST", "/api/cart/items", "/api/cart/items"
            body = _json({"sku": rng.choice(_SKUS), "qty": qty})
        elif kind == "checkout":
            method, path, route = "POST", "/api/checkout", "/api/checkout"
            body = _json({"cart_id": f"c-{rng.randrange(10**5, 10**6)}", "payment_method": "card"})
        elif kind == "account":
            method, path, route = "GET", "/api/account", "/api/account"
        else:
            method, path, route = "POST", "/api/login", "/api/login"
            body = _json({"email": f"user{rng.randrange(100, 999)}@example.com", "password": "correct-horse-42"})
        req = _Request(t0, kind, method, path, route, client_ip, self.trace_id(), self.span_id(), body, forced or {})
        self.requests.append(req)
        return req

    def finish(self, req: _Request, end: int, status: int, error: str | None, body: Any) -> None:
        """The gateway's side of a request: its access-log line (zap production JSON)."""
        req.end, req.status, req.error = end, status, error
        req.response = _json(body) if body is not None else ""
        level = "error" if status in (500, 504) else "info"  # 502/503 at info: the misuse of §3.3
        rec: dict[str, Any] = {
            "level": level,
            "ts": end / _S,
            "logger": "http",
            "caller": "server/handler.go:88",
            "msg": "request",
            "method": req.method,
            "route": req.route,
            "status": status,
            "latency": (end - req.t0) / _S,
            "trace_id": req.trace_id,
            "span_id": req.span_id,
            "client_ip": req.client_ip,
        }
        if error:
            rec["error"] = error
        if level == "error":
            rec["stacktrace"] = (
                "main.(*accessLog).ServeHTTP\n\t/app/server/handler.go:88\n"
                "net/http.serverHandler.ServeHTTP\n\t/usr/local/go/src/net/http/server.go:2938\n"
                "net/http.(*conn).serve\n\t/usr/local/go/src/net/http/server.go:2009"
            )
        # json writes floats with repr(); zap with strconv 'f' (never an exponent)
        line = _json(rec).replace(f'"latency":{rec["latency"]!r}', f'"latency":{_gofloat(rec["latency"])}')
        self.log("gateway", end, line)

    # auth (logrus JSON) ---------------------------------------------------------------------
    def auth(self, req: _Request) -> None:
        rng = self.rng
        start = req.t0 + self.net()
        if req.kind == "login":
            end = start + self.lognormal(45, 0.2)
            ok = req.forced.get("ok", rng.random() > 0.07)
            status, msg, level = (200, "login ok", "info") if ok else (401, "login failed", "warning")
            err = None if ok else "crypto/bcrypt: hashedPassword is not the hash of the given password"
            path, method = "/v1/login", "POST"
            body: Any = {"token_type": "Bearer", "expires_in": 3600} if ok else {"error": "invalid credentials"}
        else:
            end = start + self.lognormal(2.5, 0.3)
            expired = req.forced.get("expired", rng.random() < 0.07)
            status, msg, level = (403, "token expired", "warning") if expired else (200, "session ok", "info")
            err = "token has invalid claims: token is expired" if expired else None
            path, method = "/v1/session", "GET"
            body = (
                {"error": "token expired"}
                if expired
                else {"user_id": f"u-{rng.randrange(1000, 9999)}", "plan": "basic"}
            )
        rec: dict[str, Any] = {
            "X-Trace-ID": req.trace_id,
            "latency_ms": _round3(end - start),
            "level": level,
            "method": method,
            "msg": msg,
            "path": path,
            "status": status,
            "time": _rfc3339(end),
        }
        if err:
            rec["error"] = err
        self.log("auth", end, json.dumps(rec, sort_keys=True, separators=(",", ":")))
        self.finish(req, end + self.net() + rng.randrange(100_000, 400_000), status, None, body)

    # inventory (slog JSON) ----------------------------------------------------------------
    def inventory(
        self, req: _Request, ns: int, level: str, func: str, line: int, msg: str, attrs: dict[str, Any]
    ) -> None:
        rec = {
            "time": _rfc3339_ms(ns),
            "level": level,
            "source": {"function": f"main.(*server).{func}", "file": f"/app/{func}.go", "line": line},
            "msg": msg,
            "trace.id": req.trace_id,
            "path": f"/v1/{func}",
            **attrs,
        }
        self.log("inventory", ns, _json(rec))

    def cart_add(self, req: _Request) -> None:
        rng = self.rng
        item = json.loads(req.body or "{}")
        if not req.forced and rng.random() < 0.07:
            self.finish(req, req.t0 + self.lognormal(1.5, 0.3), 400, None, {"error": "invalid quantity: 0"})
            return
        start = req.t0 + self.net()
        end = start + self.lognormal(3, 0.3)
        oos = req.forced.get("oos", rng.random() < 0.04)
        attrs: dict[str, Any] = {"sku": item["sku"], "status": 200, "code": 1001 if oos else 0}
        if oos:
            attrs["error"] = "out of stock"
        attrs["latency"] = end - start
        self.inventory(req, end, "INFO", "stock", 31, "stock checked", attrs)
        body = (
            {"code": 1001, "error": "out of stock", "sku": item["sku"]}
            if oos
            else {"code": 0, "items": rng.randrange(1, 5)}
        )
        self.finish(req, end + self.net() + rng.randrange(200_000, 900_000), 200, None, body)

    # the checkout path --------------------------------------------------------------------
    def zerolog(self, ns: int, level: str, req: _Request, order_id: str, message: str, **fields: Any) -> None:
        rec: dict[str, Any] = {"level": level, "service": "orders", "trace_id": req.trace_id, "order_id": order_id}
        rec.update({k: v for k, v in fields.items() if v is not None})
        rec["time"] = _rfc3339(ns)
        rec["message"] = message
        self.log("orders", ns, _json(rec))

    def checkout(self, req: _Request) -> None:
        rng = self.rng
        self.order_no += rng.randrange(1, 4)
        order_id = f"o-{self.order_no}"
        cancel = req.t0 + _GW_TIMEOUT  # the gateway gives up here
        o_start = req.t0 + self.net()
        o_span = self.span_id()
        t = o_start + rng.randrange(80_000, 300_000)
        sku = rng.choice(_SKUS)
        qty = rng.choice([1, 1, 1, 2, 3])

        # reserve stock
        inv = req.forced.get("inventory") or (
            "ok" if req.forced else rng.choices(["ok", "oos", "short"], [0.95, 0.03, 0.02])[0]
        )
        t = self.reserve(req, o_span, t, sku, qty, inv)
        outcome: tuple[int, str | None, Any] | None = None
        if inv == "oos":
            self.zerolog(
                t,
                "info",
                req,
                order_id,
                "order rejected",
                sku=sku,
                code=1001,
                status=200,
                duration_ms=_round3(t - o_start),
            )
            outcome = (200, None, {"code": 1001, "error": "out of stock", "sku": sku})
        elif inv == "short":
            self.zerolog(
                t,
                "warn",
                req,
                order_id,
                "stock reservation failed",
                error=f"inventory: 404 Not Found: insufficient stock for sku {sku}",
                status=404,
                duration_ms=_round3(t - o_start),
            )
            outcome = (404, None, {"error": f"insufficient stock for sku {sku}"})
        if outcome is None:
            outcome, t = self.charge(req, o_span, order_id, t, o_start, cancel, sku, qty)
        o_end = t + rng.randrange(100_000, 400_000)
        status, _, body = outcome
        arrive = o_end + self.net()
        err: str | None = None
        if arrive > cancel:  # the gateway's own timeout fired first
            end = cancel + rng.randrange(100_000, 600_000)
            status, err, body = 504, "context deadline exceeded", {"error": "upstream request timeout"}
        else:
            end = arrive + rng.randrange(50_000, 200_000)
        self.span(
            req,
            "orders",
            req.span_id,
            "POST /v1/orders",
            2,
            o_start,
            o_end,
            {"http.method": "POST", "http.route": "/v1/orders", "http.status_code": outcome[0]},
            error=f"HTTP {outcome[0]}" if outcome[0] >= 500 else None,
            span_id=o_span,
        )
        self.span(
            req,
            "gateway",
            "",
            "POST /api/checkout",
            2,
            req.t0,
            end,
            {
                "http.method": "POST",
                "http.route": "/api/checkout",
                "http.status_code": status,
            },
            error=err or (f"HTTP {status}" if status >= 500 else None),
            span_id=req.span_id,
        )
        self.finish(req, end, status, err, body)

    def reserve(self, req: _Request, o_span: str, t: int, sku: str, qty: int, inv: str) -> int:
        start = t + self.net()
        end = start + self.lognormal(4, 0.3)
        db_start = start + self.rng.randrange(100_000, 300_000)
        db_end = end - self.rng.randrange(50_000, 200_000)
        status = 404 if inv == "short" else 200
        if inv == "short":
            self.inventory(
                req,
                end,
                "WARN",
                "reserve",
                64,
                f"insufficient stock for sku {sku}",
                {
                    "sku": sku,
                    "requested": qty + 3,
                    "available": self.rng.randrange(0, 3),
                    "status": 404,
                    "latency": end - start,
                },
            )
        else:
            attrs: dict[str, Any] = {"sku": sku, "qty": qty, "status": 200, "code": 1001 if inv == "oos" else 0}
            if inv == "oos":
                attrs["error"] = "out of stock"
            attrs["latency"] = end - start
            self.inventory(
                req, end, "INFO", "reserve", 57, "stock reserved" if inv == "ok" else "reserve rejected", attrs
            )
        back = end + self.net()
        client = self.span(
            req,
            "orders",
            o_span,
            "POST /v1/reserve",
            3,
            t,
            back,
            {"http.method": "POST", "http.url": "http://inventory:8080/v1/reserve", "http.status_code": status},
        )
        srv = self.span(
            req,
            "inventory",
            client,
            "POST /v1/reserve",
            2,
            start,
            end,
            {"http.method": "POST", "http.route": "/v1/reserve", "http.status_code": status},
        )
        self.span(
            req,
            "inventory",
            srv,
            "SELECT stock FOR UPDATE",
            3,
            db_start,
            db_end,
            {"db.system": "postgresql", "db.sql.table": "stock"},
        )
        return back

    def attempt_kind(self, t: int, attempt: int) -> str:
        """ok, slow (too slow for the client), pool (pool timeout), refused or panic."""
        if _REFUSED[0] <= t < _REFUSED[1]:
            return "refused"
        if attempt == 1 and not self.panicked and t >= _T_PANIC:
            self.panicked = True
            return "panic"
        sev = self.severity(t)
        if not sev:
            return "ok"
        u = self.rng.random()
        return "pool" if u < 0.36 * sev else "slow" if u < 0.72 * sev else "ok"

    def charge(
        self, req: _Request, o_span: str, order_id: str, t: int, o_start: int, cancel: int, sku: str, qty: int
    ) -> tuple[tuple[int, str | None, Any], int]:
        rng = self.rng
        card_invalid = req.forced.get("card_invalid", not req.forced and rng.random() < 0.02)
        forced = list(req.forced.get("attempts", []))
        o_cancel = cancel + self.net()
        amount = qty * rng.choice([1999, 2499, 4999, 8900])
        last_err = ""
        last_kind = ""
        for attempt in range(1, 4):
            kind = "card" if card_invalid else (forced.pop(0) if forced else self.attempt_kind(t, attempt))
            a_start = t
            s_start = a_start + self.net()
            s_span = self.span_id()
            sev = self.severity(a_start)
            wait = 0
            query = 0
            status, perr = 200, None
            if kind == "card":
                s_end = s_start + rng.randrange(200_000, 600_000)
                status, perr = 500, _ERR_CARD
            elif kind == "refused":
                s_end = s_start + rng.randrange(800_000, 3_000_000)
                status, perr = 503, _ERR_REFUSED
            elif kind in ("pool", "panic"):
                wait = _POOL_TIMEOUT + rng.randrange(50_000, 2_500_000)
                s_end = s_start + wait + rng.randrange(100_000, 300_000)
                status, perr = 503, _ERR_POOL
            else:
                if kind == "slow":  # waits for a connection almost until the pool timeout
                    wait = rng.randrange(440_000, 499_000) * 1000
                    query = rng.randrange(170_000, 380_000) * 1000
                else:
                    wait = (
                        min(int(rng.expovariate(1.0) * 150 * sev * _MS), 400 * _MS)
                        if sev
                        else rng.randrange(30_000, 900_000)
                    )
                    query = self.lognormal(22 * (1 + 2 * sev), 0.3 + 0.15 * sev)
                s_end = s_start + rng.randrange(50_000, 150_000) + wait + query + rng.randrange(100_000, 300_000)
            resp = s_end + self.net()
            limit = min(a_start + _ATTEMPT_TIMEOUT, o_cancel)
            cerr: str | None  # what the orders client gets: None for a 2xx
            if resp > limit:
                # the client gives up first: payments sees its context canceled
                a_end = limit
                cerr = _ERR_TIMEOUT if limit < o_cancel else _ERR_CANCELED
                s_end = a_end + self.net()
                status, perr, kind = 503, "context canceled", "timeout" if limit < o_cancel else "canceled"
                if wait > s_end - s_start:
                    wait = s_end - s_start - 100_000
                query = max(0, s_end - s_start - wait - 200_000)
            else:
                a_end = resp
                cerr = {
                    "card": f"payments: 500 Internal Server Error: {_ERR_CARD}",
                    "refused": f"payments: 503 Service Unavailable: {_ERR_REFUSED}",
                    "pool": f"payments: 503 Service Unavailable: {_ERR_POOL}",
                    "panic": _ERR_EOF,
                }.get(kind)
            self.attempts.append((s_end, kind))
            lat = _round3(s_end - s_start)
            fields: dict[str, Any] = {
                "latency_ms": lat,
                "order_id": order_id,
                "route": "/v1/charge",
                "status": status,
                "traceID": req.trace_id,
            }
            if kind == "panic":
                self.panic(s_end)
                status = 0
            elif perr is None:
                fields["amount_cents"] = amount
                self.log("payments", s_end, _logrus_text(s_end, "info", "charge ok", fields))
            else:
                fields["error"] = perr
                level = "error" if kind == "card" else "warning"
                self.log("payments", s_end, _logrus_text(s_end, level, "charge failed", fields))
            # spans: orders' client call, payments' server span, its pool wait and its query
            client = self.span(
                req,
                "orders",
                o_span,
                "POST /v1/charge",
                3,
                a_start,
                a_end,
                {
                    "http.method": "POST",
                    "http.url": _CHARGE_URL,
                    **({"http.resend_count": attempt - 1} if attempt > 1 else {}),
                    **({"http.status_code": status} if cerr is None or "payments:" in cerr else {}),
                },
                error=cerr,
            )
            srv = self.span(
                req,
                "payments",
                client,
                "POST /v1/charge",
                2,
                s_start,
                s_end,
                {"http.method": "POST", "http.route": "/v1/charge", **({"http.status_code": status} if status else {})},
                error=(
                    "runtime error: invalid memory address or nil pointer dereference"
                    if kind == "panic"
                    else perr
                    if status >= 500
                    else None
                ),
                span_id=s_span,
            )
            if kind not in ("card", "refused"):
                acq_end = s_start + 80_000 + wait
                self.span(
                    req,
                    "payments",
                    srv,
                    "pgpool.acquire",
                    1,
                    s_start + 80_000,
                    acq_end,
                    {"db.system": "postgresql", "pool.size": 20},
                    error=_ERR_POOL
                    if kind in ("pool", "panic")
                    else "context canceled"
                    if query == 0 and perr
                    else None,
                )
                if query:
                    self.span(
                        req,
                        "payments",
                        srv,
                        "INSERT charges",
                        3,
                        acq_end,
                        acq_end + query,
                        {"db.system": "postgresql", "db.sql.table": "charges"},
                        error="context canceled" if perr else None,
                    )
            t = a_end
            if cerr is None:
                t = self.billing(req, o_span, order_id, t + 60_000, amount)
                self.zerolog(
                    t,
                    "info",
                    req,
                    order_id,
                    "order created",
                    attempt=attempt if attempt > 1 else None,
                    status=200,
                    duration_ms=_round3(t - o_start),
                )
                return (200, None, {"order_id": order_id, "status": "paid"}), t
            last_err, last_kind = cerr or "", kind
            if kind == "canceled":
                break
            if attempt < 3:
                backoff = int(50 * _MS * 2 ** (attempt - 1) * rng.uniform(0.8, 1.2))
                if t + backoff > o_cancel:
                    t = o_cancel
                    last_err, last_kind = "context canceled", "canceled"
                    break
                self.zerolog(t, "warn", req, order_id, "payment attempt failed, retrying", attempt=attempt, error=cerr)
                t += backoff
        status = {"timeout": 504, "canceled": 504, "card": 500, "panic": 502}.get(last_kind, 503)
        body = (
            {"error": _ERR_CARD}
            if last_kind == "card"
            else {"error": "payment timeout"}
            if status == 504
            else {"error": "payment service error"}
            if status == 502
            else {"error": "payment service unavailable"}
        )
        self.zerolog(
            t,
            "error",
            req,
            order_id,
            "checkout failed",
            attempt=attempt,
            error=last_err,
            status=status,
            duration_ms=_round3(t - o_start),
        )
        t = self.release(req, o_span, t + 50_000, sku, qty)
        return (status, last_err, body), t

    def release(self, req: _Request, o_span: str, t: int, sku: str, qty: int) -> int:
        start = t + self.net()
        end = start + self.lognormal(3, 0.3)
        self.inventory(
            req,
            end,
            "INFO",
            "release",
            88,
            "stock released",
            {"sku": sku, "qty": qty, "reason": "payment_failed", "status": 200, "latency": end - start},
        )
        back = end + self.net()
        client = self.span(
            req,
            "orders",
            o_span,
            "POST /v1/release",
            3,
            t,
            back,
            {"http.method": "POST", "http.url": "http://inventory:8080/v1/release", "http.status_code": 200},
        )
        self.span(
            req,
            "inventory",
            client,
            "POST /v1/release",
            2,
            start,
            end,
            {"http.method": "POST", "http.route": "/v1/release", "http.status_code": 200},
        )
        return back

    def billing(self, req: _Request, o_span: str, order_id: str, t: int, amount: int) -> int:
        rng = self.rng
        start = t + self.net()
        took = self.lognormal(9, 0.3)
        end = start + took
        invoice = f"inv-{int(order_id[2:]) * 7 % 1_000_003:07d}"
        fields = {
            "ts": _rfc3339_nano(end),
            "caller": "invoice.go:42",
            "level": "info",
            "msg": "invoice created",
            "invoice_id": invoice,
            "order_id": order_id,
            "amount_cents": amount,
            "took": _godur(took),
        }
        self.log("billing", end, " ".join(f"{k}={_logfmt_value(v)}" for k, v in fields.items()))
        back = end + self.net()
        # billing never sees this span's id: it reads B3 headers, orders sends W3C traceparent
        self.span(
            req,
            "orders",
            o_span,
            "POST /v1/invoices",
            3,
            t,
            back,
            {"http.method": "POST", "http.url": "http://billing:8080/v1/invoices", "http.status_code": 201},
        )
        if req.sampled:
            via_sidecar = rng.random() < 0.3
            zid = self.span_id()
            self.spans.append(
                _Span(
                    "billing",
                    req.trace_id if via_sidecar else self.span_id(),
                    zid,
                    self.span_id() if via_sidecar else "",
                    "post /v1/invoices",
                    2,
                    start,
                    end,
                    {
                        "http.method": "POST",
                        "http.path": "/v1/invoices",
                        "http.status_code": "201",
                        "order.id": order_id,
                    },
                )
            )
            db_start = start + rng.randrange(300_000, 900_000)
            self.spans.append(
                _Span(
                    "billing",
                    self.spans[-1].trace_id,
                    self.span_id(),
                    zid,
                    "insert invoices",
                    3,
                    db_start,
                    db_start + took // 2,
                    {"sql.query": "INSERT INTO invoices"},
                )
            )
        return back

    def panic(self, ns: int) -> None:
        """net/http recovers the handler's panic and prints it with the standard logger (not logrus)."""
        rng = self.rng
        stamp = datetime.fromtimestamp(ns // _S, UTC).strftime("%Y/%m/%d %H:%M:%S")

        def a() -> str:
            return f"0xc000{rng.randrange(0x10000, 0xFFFFF) << 4:06x}"

        go = "/usr/local/go/src"
        lines = [
            f"{stamp} http: panic serving 10.0.2.14:{rng.randrange(40000, 60000)}: runtime error: "
            "invalid memory address or nil pointer dereference",
            f"goroutine {rng.randrange(40000, 90000)} [running]:",
            "net/http.(*conn).serve.func1()",
            f"\t{go}/net/http/server.go:1868 +0xb9",
            "panic({0x9b2f40?, 0xf1e6a0?})",
            f"\t{go}/runtime/panic.go:920 +0x270",
            f"github.com/go-pg/pg/v10.(*Tx).ExecContext(0x0, {{0xb1c8e8, {a()}}}, {{0x9a11a0, {a()}}}, "
            f"{{{a()}, 0x3, 0x3}})",
            "\t/go/pkg/mod/github.com/go-pg/pg/v10@v10.11.1/tx.go:182 +0x4e",
            f"main.(*ChargeHandler).charge({a()}, {{0xb1c8e8, {a()}}}, {a()})",
            "\t/app/internal/payments/charge.go:87 +0x1f4",
            f"main.(*ChargeHandler).ServeHTTP({a()}, {{0xb21f58, {a()}}}, {a()})",
            "\t/app/internal/payments/charge.go:41 +0x2a5",
            "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp.(*middleware).serveHTTP"
            f"({a()}, {{0xb21a28, {a()}}}, {a()}, {{0xb14e40, {a()}}})",
            "\t/go/pkg/mod/go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp@v0.49.0/handler.go:225 "
            "+0x10a2",
            f"net/http.serverHandler.ServeHTTP({{{a()}?}}, {{0xb21a28?, {a()}?}}, 0x6?)",
            f"\t{go}/net/http/server.go:2938 +0x8e",
            f"net/http.(*conn).serve({a()}, {{0xb22d48, {a()}}})",
            f"\t{go}/net/http/server.go:2009 +0x5f4",
            "created by net/http.(*Server).Serve in goroutine 1",
            f"\t{go}/net/http/server.go:3086 +0x5cb",
        ]
        self.log("payments", ns, "\n".join(lines))

    def reorder_notices(self) -> None:
        """inventory's background job: ``INFO+2`` notices (slog.LevelInfo+2), no trace id."""
        rng = self.rng
        t = _T0 + rng.randrange(60, 200) * _S
        while t < _T_END:
            ns = t + rng.randrange(0, _S)
            rec = {
                "time": _rfc3339_ms(ns),
                "level": "INFO+2",
                "source": {"function": "main.(*restocker).run", "file": "/app/restock.go", "line": 112},
                "msg": "stock below reorder threshold",
                "sku": rng.choice(_SKUS),
                "remaining": rng.randrange(0, 9),
                "threshold": 10,
            }
            self.log("inventory", ns, _json(rec))
            t += rng.randrange(150, 330) * _S

    def pool_stats(self) -> None:
        """go-pg ``PoolStats`` every 30 s (cumulative hits, misses, timeouts) and the job's start and stop."""
        rng = self.rng
        events = sorted(self.attempts)
        hits = misses = timeouts = 0
        i = 0
        t = _T0 + 30 * _S
        while t < _T_END:
            while i < len(events) and events[i][0] < t:
                kind = events[i][1]
                if kind in ("pool", "panic"):
                    timeouts += 1
                elif kind in ("ok", "slow", "timeout", "canceled"):
                    hits += 1
                    misses += rng.random() < 0.02
                i += 1
            sev = self.severity(t)
            down = _REFUSED[0] <= t < _REFUSED[1] + 5 * _S
            total = rng.randrange(0, 3) if down else 20
            idle = 0 if down or sev > 0.25 else rng.randrange(3, 9) if sev else rng.randrange(12, 19)
            ns = t + rng.randrange(300_000, 2_000_000)
            self.log(
                "payments",
                ns,
                _logrus_text(
                    ns,
                    "info",
                    "pg pool stats",
                    {
                        "hits": hits,
                        "misses": misses,
                        "timeouts": timeouts,
                        "total_conns": total,
                        "idle_conns": idle,
                        "stale_conns": 0,
                    },
                ),
            )
            t += 30 * _S
        ns = _T_INC + 1_204_117
        self.log(
            "payments",
            ns,
            _logrus_text(
                ns, "info", "reconciliation job started", {"job": "ledger-reconcile", "workers": 16, "window": "24h"}
            ),
        )
        ns = _T_JOB_END + 388_412
        self.log(
            "payments",
            ns,
            _logrus_text(
                ns,
                "warning",
                "reconciliation job cancelled",
                {"error": "context canceled", "job": "ledger-reconcile", "rows": 1_284_311},
            ),
        )

    # the browser session in the HAR ---------------------------------------------------------
    def har_session(self) -> list[_Request]:
        start = _at("2026-03-14T10:05:12Z") + 318 * _MS
        script: list[tuple[float, str, dict[str, Any]]] = [
            (0.0, "products", {}),
            (0.41, "cart", {}),
            (2.2, "cart_add", {"sku": "SKU-1042", "oos": False}),
            (3.6, "account", {"expired": True}),
            (5.9, "login", {"ok": True}),
            (6.7, "account", {"expired": False}),
            (8.1, "checkout", {"inventory": "oos"}),
            (12.4, "cart_add", {"sku": "SKU-2210", "oos": True}),
            (14.9, "cart_add", {"sku": "SKU-2404", "oos": False}),
            (16.2, "checkout", {"inventory": "short"}),
            (21.0, "cart_add", {"sku": "SKU-0311", "oos": False}),
            (22.5, "checkout", {"attempts": ["slow", "slow", "slow"]}),
            (29.3, "checkout", {"attempts": ["pool", "pool", "pool"]}),
            (36.8, "cart", {}),
            (38.0, "checkout", {"attempts": ["pool", "slow", "ok"]}),
            (44.6, "products", {}),
            (47.2, "checkout", {"card_invalid": True}),
            (52.9, "checkout", {"attempts": ["slow", "ok"]}),
            (55.1, "cart", {}),
            (58.4, "products", {}),
        ]
        out = []
        for offset, kind, forced in script:
            req = self.request(start + int(offset * _S), kind, HAR_CLIENT_IP, forced={"har": True, **forced})
            if kind == "cart_add":
                req.body = _json({"sku": forced["sku"], "qty": 1})
            req.sampled = kind == "checkout"
            out.append(req)
        return out


# ----------------------------------------------------------------------------- rendering


def _otlp_value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    return {"stringValue": str(v)}


_SCOPES = {
    "otelhttp": ("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "0.49.0"),
    "pgotel": ("github.com/go-pg/pg/extra/pgotel/v10", "10.11.1"),
}


def _otlp(spans: list[_Span]) -> str:
    resources = []
    for service, version in (("gateway", "1.14.2"), ("orders", "2.3.0"), ("payments", "0.9.7")):
        scopes: dict[str, list[dict[str, Any]]] = {}
        for s in spans:
            if s.service != service:
                continue
            rec: dict[str, Any] = {"traceId": s.trace_id, "spanId": s.span_id}
            if s.parent:
                rec["parentSpanId"] = s.parent
            rec.update(
                {
                    "name": s.name,
                    "kind": s.kind,
                    "startTimeUnixNano": str(s.start),
                    "endTimeUnixNano": str(s.end),
                    "attributes": [{"key": k, "value": _otlp_value(v)} for k, v in s.attrs.items()],
                    "status": {"code": 2, "message": s.error} if s.error else {},
                }
            )
            scope = "pgotel" if s.attrs.get("db.system") else "otelhttp"
            scopes.setdefault(scope, []).append(rec)
        resources.append(
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": service}},
                        {"key": "service.version", "value": {"stringValue": version}},
                        {"key": "deployment.environment", "value": {"stringValue": "prod"}},
                        {"key": "telemetry.sdk.language", "value": {"stringValue": "go"}},
                    ]
                },
                "scopeSpans": [
                    {"scope": {"name": _SCOPES[k][0], "version": _SCOPES[k][1]}, "spans": v} for k, v in scopes.items()
                ],
                "schemaUrl": "https://opentelemetry.io/schemas/1.24.0",
            }
        )
    return _json({"resourceSpans": resources}) + "\n"


def _jaeger_tag(k: str, v: Any) -> dict[str, Any]:
    kind = "bool" if isinstance(v, bool) else "int64" if isinstance(v, int) else "string"
    return {"key": k, "type": kind, "value": v}


def _jaeger(spans: list[_Span]) -> str:
    traces: dict[str, list[dict[str, Any]]] = {}
    for s in spans:
        if s.service != "inventory":
            continue
        kind = {1: "internal", 2: "server", 3: "client"}[s.kind]
        tags = [_jaeger_tag("span.kind", kind), *(_jaeger_tag(k, v) for k, v in s.attrs.items())]
        if s.error:
            tags.append(_jaeger_tag("error", True))
        traces.setdefault(s.trace_id, []).append(
            {
                "traceID": s.trace_id,
                "spanID": s.span_id,
                "operationName": s.name,
                "references": [{"refType": "CHILD_OF", "traceID": s.trace_id, "spanID": s.parent}],
                "startTime": s.start // 1000,
                "duration": max(1, (s.end - s.start) // 1000),
                "tags": tags,
                "logs": [],
                "processID": "p1",
                "warnings": None,
            }
        )
    process = {
        "serviceName": "inventory",
        "tags": [_jaeger_tag("hostname", "inventory-6b8f9c7d54-q7xkz"), _jaeger_tag("ip", "10.0.3.21")],
    }
    data = [{"traceID": tid, "spans": sp, "processes": {"p1": process}, "warnings": None} for tid, sp in traces.items()]
    return _json({"data": data, "total": 0, "limit": 0, "offset": 0, "errors": None}) + "\n"


def _zipkin(spans: list[_Span]) -> str:
    out = []
    for s in spans:
        if s.service != "billing":
            continue
        rec: dict[str, Any] = {"traceId": s.trace_id, "id": s.span_id}
        if s.parent:
            rec["parentId"] = s.parent
        rec.update(
            {
                "kind": "SERVER" if s.kind == 2 else "CLIENT",
                "name": s.name,
                "timestamp": s.start // 1000,
                "duration": max(1, (s.end - s.start) // 1000),
                "localEndpoint": {"serviceName": "billing", "ipv4": "10.0.4.12", "port": 8080},
            }
        )
        if s.kind == 2:
            rec["remoteEndpoint"] = {"ipv4": "10.0.2.14"}
        else:
            rec["remoteEndpoint"] = {"serviceName": "postgres", "ipv4": "10.0.3.7", "port": 5432}
        rec["tags"] = {k: str(v) for k, v in s.attrs.items()}
        out.append(rec)
    return _json(out) + "\n"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _har(requests: list[_Request], rng: random.Random) -> str:
    host = "shop.demo.internal"
    session = _b64url(rng.randbytes(24))
    header = _b64url(b'{"alg":"HS256","typ":"JWT"}')

    def token(iat: int) -> str:
        payload = _b64url(_json({"sub": "u-4821", "iat": iat, "exp": iat + 3600}).encode())
        return f"{header}.{payload}.{_b64url(rng.randbytes(32))}"

    bearer = token(_at("2026-03-14T08:58:02Z") // _S)
    entries = []
    first = requests[0].t0
    for n, req in enumerate(requests):
        new_conn = n == 0
        rtt = rng.uniform(17.0, 24.0)
        blocked = round(rng.uniform(0.6, 3.5), 3)
        dns = round(rng.uniform(9, 16), 3) if new_conn else -1
        ssl = round(rng.uniform(28, 36), 3) if new_conn else -1
        connect = round(ssl + rtt + rng.uniform(0.5, 2), 3) if new_conn else -1
        send = round(rng.uniform(0.05, 0.4), 3)
        wait = round((req.end - req.t0) / _MS + rtt, 3)
        body = req.response
        receive = round(rng.uniform(0.3, 1.5) + len(body) / 2000, 3)
        total = round(sum(x for x in (blocked, dns, connect, send, wait, receive) if x > 0), 3)
        started = req.t0 - int((blocked + max(dns, 0) + max(connect, 0) + send + rtt / 2) * _MS)
        base, frac = _utc(started)
        url = f"https://{host}{req.path}"
        query = (
            [{"name": k, "value": v} for k, v in (p.split("=", 1) for p in url.split("?", 1)[1].split("&"))]
            if "?" in url
            else []
        )
        headers = [
            {"name": ":authority", "value": host},
            {"name": ":method", "value": req.method},
            {"name": ":path", "value": req.path},
            {"name": ":scheme", "value": "https"},
            {"name": "accept", "value": "application/json"},
            {"name": "authorization", "value": f"Bearer {bearer}"},
        ]
        if req.body is not None:
            headers.append({"name": "content-type", "value": "application/json"})
        headers += [
            {"name": "cookie", "value": f"session={session}"},
            {"name": "origin", "value": f"https://{host}"},
            {"name": "referer", "value": f"https://{host}/checkout"},
            {
                "name": "user-agent",
                "value": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, "
                "like Gecko) Chrome/122.0.0.0 Safari/537.36",
            },
        ]
        request: dict[str, Any] = {
            "method": req.method,
            "url": url,
            "httpVersion": "http/2.0",
            "headers": headers,
            "queryString": query,
            "cookies": [
                {
                    "name": "session",
                    "value": session,
                    "path": "/",
                    "domain": host,
                    "expires": "2026-03-21T08:58:02.000Z",
                    "httpOnly": True,
                    "secure": True,
                    "sameSite": "Lax",
                }
            ],
            "headersSize": -1,
            "bodySize": len(req.body or ""),
        }
        if req.body is not None:
            request["postData"] = {"mimeType": "application/json", "text": req.body}
        date = datetime.fromtimestamp(req.end // _S, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
        rheaders = [
            {"name": "content-length", "value": str(len(body))},
            {"name": "content-type", "value": "application/json; charset=utf-8"},
            {"name": "date", "value": date},
            {"name": "server", "value": "gateway"},
            {"name": "x-trace-id", "value": req.trace_id},
        ]
        if req.kind == "login" and req.status == 200:
            bearer = token(req.end // _S)
            rheaders.append(
                {
                    "name": "set-cookie",
                    "value": f"session={session}; Path=/; Max-Age=604800; HttpOnly; Secure; SameSite=Lax",
                }
            )
        entries.append(
            {
                "_initiator": {"type": "script"},
                "_priority": "High",
                "_resourceType": "fetch",
                "cache": {},
                "connection": "372941",
                "pageref": "page_1",
                "request": request,
                "response": {
                    "status": req.status,
                    "statusText": "",
                    "httpVersion": "http/2.0",
                    "headers": rheaders,
                    "cookies": [],
                    "content": {"size": len(body), "mimeType": "application/json", "text": body},
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": len(body) + rng.randrange(20, 40),
                    "_transferSize": len(body) + rng.randrange(120, 180),
                    "_error": None,
                },
                "serverIPAddress": "203.0.113.10",
                "startedDateTime": f"{base}.{frac // _MS:03d}Z",
                "time": total,
                "timings": {
                    "blocked": blocked,
                    "dns": dns,
                    "ssl": ssl,
                    "connect": connect,
                    "send": send,
                    "wait": wait,
                    "receive": receive,
                    "_blocked_queueing": round(blocked * 0.6, 3),
                },
            }
        )
    base, frac = _utc(first - 900 * _MS)
    page = {
        "startedDateTime": f"{base}.{frac // _MS:03d}Z",
        "id": "page_1",
        "title": f"https://{host}/checkout",
        "pageTimings": {"onContentLoad": 612.845, "onLoad": 1047.392},
    }
    doc = {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [page],
            "entries": entries,
        }
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _gateway_text(lines: list[tuple[int, int, str]]) -> str:
    """The gateway log with its two defects: two truncated lines and one out-of-order stretch."""
    text = [line for _, _, line in lines]
    for when in (_at("2026-03-14T09:51:00Z"), _at("2026-03-14T10:09:30Z")):
        i = next(k for k, (ns, _, line) in enumerate(lines) if ns >= when and '"route":"/api/products"' in line)
        text[i] = text[i][: len(text[i]) * 3 // 5]
    i = next(k for k, (ns, _, _) in enumerate(lines) if ns >= _at("2026-03-14T10:06:40Z"))
    text[i : i + 4] = [text[i + 2], text[i + 3], text[i], text[i + 1]]
    return "\n".join(text) + "\n"


def demo_incident_files(*, seed: int = 14) -> dict[str, bytes]:
    """The incident's files as bytes, keyed by their path relative to the demo folder.

    Keys: ``logs/<file>`` for each of :data:`DEMO_LOG_FILES`, ``traces/<file>``
    for each of :data:`DEMO_TRACE_FILES` and ``har/checkout.har``. The same
    seed always gives the same bytes.
    """
    sim = _Incident(seed)
    sim.run()
    for records in sim.logs.values():
        records.sort()
    out: dict[str, bytes] = {}
    for service, name in DEMO_LOG_FILES.items():
        if service == "gateway":
            text = _gateway_text(sim.logs[service])
        else:
            text = "".join(line + "\n" for _, _, line in sim.logs[service])
        data = text.encode("utf-8")
        if name.endswith(".gz"):
            data = gzip.compress(data, compresslevel=9, mtime=0)
        out[f"logs/{name}"] = data
    spans = sorted(sim.spans, key=lambda s: (s.start, s.span_id))
    out[f"traces/{DEMO_TRACE_FILES['otlp']}"] = _otlp(spans).encode()
    out[f"traces/{DEMO_TRACE_FILES['jaeger']}"] = _jaeger(spans).encode()
    out[f"traces/{DEMO_TRACE_FILES['zipkin']}"] = _zipkin(spans).encode()
    har = sorted((r for r in sim.requests if r.client_ip == HAR_CLIENT_IP and r.forced.get("har")), key=lambda r: r.t0)
    out[f"har/{DEMO_HAR_FILE}"] = _har(har, random.Random(seed + 2)).encode("utf-8")
    return out


def write_demo_incident(out_dir: str | Path, *, seed: int = 14) -> dict[str, Path]:
    """Write the incident's logs, traces and HAR under ``out_dir`` (``logs/``, ``traces/``, ``har/``).

    Returns the written paths keyed ``log_<service>``, ``trace_<format>`` and ``har``.
    """
    out = Path(out_dir)
    files = demo_incident_files(seed=seed)
    names = {f"logs/{v}": f"log_{k}" for k, v in DEMO_LOG_FILES.items()}
    names.update({f"traces/{v}": f"trace_{k}" for k, v in DEMO_TRACE_FILES.items()})
    names[f"har/{DEMO_HAR_FILE}"] = "har"
    paths: dict[str, Path] = {}
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths[names[rel]] = path
    return paths
