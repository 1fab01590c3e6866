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

from datetime import datetime

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
