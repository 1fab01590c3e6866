"""The fault lab's HTTP/1.1 requests, responses and routes that misbehave on demand (:class:`FaultApp`).

One :class:`HttpProtocol` per connection parses requests from its buffer and
dispatches them to :class:`FaultApp`. Routes that answer at once (``/ok``,
``/status/…``, ``/flaky``, ``/misuse/…``) write their response synchronously from
``data_received``, so a burst of cold connections costs no task per request;
routes that wait (``/delay``, ``/jitter``, ``/slow-body``, ``/reset``) run as one
task per request. Requests on one connection are handled strictly in order
(pipelined requests wait in the buffer).

Clients that vanish mid-request are normal here (probes time out on purpose),
so connection errors are logged at DEBUG level only.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from apiprobe.lab._metrics import CONTENT_TYPE, HttpMetrics

if TYPE_CHECKING:
    from apiprobe.lab._protocol import HttpProtocol


MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_DELAY_MS = 10 * 60 * 1000.0
SERVER_NAME = b"apiprobe-lab"

#: What ``/garbage`` answers: a banner a confused client might meet on a wrong port.
GARBAGE = b"SSH-2.0-OpenSSH_9.6\r\nInvalid SSH identification string.\r\n\r\n"


#: Bodies of the ``/misuse/…`` routes: status codes that say the wrong thing (handbook §2.4).
MISUSE_BODIES: dict[str, dict[str, Any]] = {
    "ok-error": {"code": 1001, "error": "insufficient balance"},
    "notfound-rule": {"code": "OUT_OF_STOCK", "error": "out of stock", "sku": "sku-42"},
    "500-validation": {"error": "invalid email: must contain @"},
    "403-unauth": {"error": "token expired"},
    "401-forbidden": {"error": "permission denied: role viewer cannot delete orders"},
    "right-422": {
        "error": "insufficient_balance",
        "message": "the balance does not cover the payment",
        "details": {"current": 50, "required": 100},
    },
}


class _BadRequestError(Exception):
    """A request the lab refuses with a 4xx status (not a fault being reproduced)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    """One parsed HTTP request.

    Attributes
    ----------
    method : str
        Upper-case method.
    path : str
        Path without the query string.
    query : dict of str to str
        Query parameters (last value wins).
    version : str
        ``"HTTP/1.1"`` or ``"HTTP/1.0"``.
    headers : dict of str to str
        Header names lower-cased; repeated headers joined with ``", "``.
    body : bytes
        The request body (already de-chunked).
    """

    method: str
    path: str
    query: dict[str, str]
    version: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def keep_alive(self) -> bool:
        """Whether the client wants the connection kept open after the response."""
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens

    def number(self, name: str, default: float, *, lo: float, hi: float) -> float:
        """Read a numeric query parameter, bounded to ``[lo, hi]``.

        Raises
        ------
        _BadRequestError
            If the value is not a finite number or lies outside the bounds.
        """
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            raise _BadRequestError(400, f"query parameter {name}={raw!r} is not a number") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise _BadRequestError(400, f"query parameter {name}={raw!r} must lie in [{lo:g}, {hi:g}]")
        return value


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def build_response(
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    keep_alive: bool = True,
    head_only: bool = False,
    content_length: int | None = None,
) -> bytes:
    """Serialize a complete HTTP/1.1 response (or only its head).

    Parameters
    ----------
    status : int
        Status code.
    body : bytes
        Body to send (omitted when ``head_only``).
    content_type : str
        ``Content-Type`` header value.
    headers : dict, optional
        Extra headers.
    keep_alive : bool
        ``False`` adds ``Connection: close``.
    head_only : bool
        Return only the status line and headers (HEAD requests, trickled bodies).
    content_length : int, optional
        Announced ``Content-Length``; defaults to ``len(body)``. A 204 or 304
        response carries neither a body nor a length.
    """
    lines = [f"HTTP/1.1 {status} {_reason(status)}".encode("latin-1"), b"Server: " + SERVER_NAME]
    no_body = status in (204, 304) or 100 <= status < 200
    if not no_body:
        lines.append(b"Content-Type: " + content_type.encode("latin-1"))
        lines.append(b"Content-Length: %d" % (len(body) if content_length is None else content_length))
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}".encode("latin-1"))
    if not keep_alive:
        lines.append(b"Connection: close")
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    if head_only or no_body:
        return head
    return head + body


def json_body(payload: dict[str, Any]) -> bytes:
    """Compact JSON encoding of a response payload."""
    return json.dumps(payload, separators=(",", ":")).encode() + b"\n"


class Connection:
    """The handle a route uses to answer on one connection.

    Parameters
    ----------
    protocol : HttpProtocol
        The protocol that owns the connection.
    request : Request
        The request being answered.
    """

    __slots__ = ("_handler", "_metrics", "_protocol", "_started", "request")

    def __init__(self, protocol: HttpProtocol, request: Request) -> None:
        self._protocol = protocol
        self.request = request
        self._started = time.perf_counter()
        self._metrics: HttpMetrics | None = None
        self._handler = ""

    def count_in(self, metrics: HttpMetrics, handler: str) -> None:
        """Count this request in ``metrics`` under route pattern ``handler``: in flight now, observed when it ends."""
        if self._metrics is None:
            metrics.in_flight += 1
        self._metrics = metrics
        self._handler = handler

    def observe(self, status: int) -> None:
        """The handler returned with ``status``: count the request (once) if the route asked for it."""
        metrics = self._metrics
        if metrics is not None:
            self._metrics = None
            metrics.in_flight -= 1
            metrics.observe(status, self.request.method, self._handler, time.perf_counter() - self._started)

    def abandon(self) -> None:
        """The handler aborted (the connection was dropped): no longer in flight, and not counted."""
        metrics = self._metrics
        if metrics is not None:
            self._metrics = None
            metrics.in_flight -= 1

    @property
    def closed(self) -> bool:
        """Whether the connection is gone or closing (stop writing)."""
        return self._protocol.closing

    def respond(
        self,
        status: int,
        payload: dict[str, Any] | bytes,
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Send a complete response and finish the request (keep-alive as the client asked)."""
        body = json_body(payload) if isinstance(payload, dict) else payload
        keep_alive = self.request.keep_alive
        self.write(
            build_response(
                status,
                body,
                content_type=content_type,
                headers=headers,
                keep_alive=keep_alive,
                head_only=self.request.method == "HEAD",
            )
        )
        self.observe(status)
        self._protocol.finish(keep_alive)

    def write(self, data: bytes) -> None:
        """Write raw bytes (ignored once the connection is closing)."""
        self._protocol.write(data)

    async def drain(self) -> None:
        """Wait until the transport's write buffer has been handed to the kernel."""
        await self._protocol.drain()

    def close(self) -> None:
        """Close gracefully (FIN after pending data) without finishing the HTTP exchange."""
        self._protocol.close()

    def reset(self) -> None:
        """Abort with a TCP RST: ``SO_LINGER`` on with a zero timeout, then close."""
        self._protocol.reset()

    def finish(self, keep_alive: bool) -> None:
        """Mark the response complete; close unless ``keep_alive``."""
        self._protocol.finish(keep_alive)


RouteResult = Coroutine[Any, Any, None] | None
Route = Callable[[Connection], RouteResult]


@dataclass
class _Stream:
    """A seeded random stream and request counter for one endpoint."""

    rng: random.Random
    count: int = 0


@dataclass
class FaultApp:
    """The routes served on every HTTP and HTTPS port of one lab.

    Random behaviour (``/jitter``, ``/flaky``) draws from one
    :class:`random.Random` per endpoint seeded from ``(seed, endpoint name)``,
    and each request draws the same number of values whatever its query
    parameters, so the n-th request to an endpoint gets the same draw in every
    lab with the same seed.

    Parameters
    ----------
    seed : int
        Seed of the random streams.
    """

    seed: int = 0
    _streams: dict[str, _Stream] = field(default_factory=dict, init=False)
    metrics: HttpMetrics = field(default_factory=HttpMetrics, init=False)
    _routes: dict[str, Route] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._routes = {path: self._counted(path, handler) for path, handler in _ROUTES.items()}

    def stream(self, name: str) -> _Stream:
        """The random stream of endpoint ``name`` (created on first use)."""
        s = self._streams.get(name)
        if s is None:
            s = self._streams[name] = _Stream(random.Random(f"apiprobe-lab:{self.seed}:{name}"))
        return s

    def _counted(self, pattern: str, handler: Callable[[FaultApp, Connection], RouteResult]) -> Route:
        def counted(conn: Connection) -> RouteResult:
            conn.count_in(self.metrics, pattern)
            return handler(self, conn)

        return counted

    def route(self, request: Request) -> Route:
        """Pick the handler for ``request`` (a 404 handler when nothing matches).

        Every route but ``/metrics`` is counted in :attr:`metrics` under its
        pattern: ``/status/{code}`` for every code, ``/`` for unknown paths.
        """
        path = request.path
        counted = self._routes.get(path)
        if counted is not None:
            return counted
        if path == "/metrics":
            return self.metrics_page
        if path.startswith("/status/"):
            return self._status_route
        return self._not_found

    def _status_route(self, conn: Connection) -> None:
        conn.count_in(self.metrics, "/status/{code}")
        self.status(conn, conn.request.path[len("/status/") :])

    def _not_found(self, conn: Connection) -> None:
        conn.count_in(self.metrics, "/")  # a Go ServeMux hands unmatched paths to the "/" pattern
        conn.respond(404, {"error": "not found", "path": conn.request.path, "routes": [*_ROUTES, "/metrics"]})

    def metrics_page(self, conn: Connection) -> None:
        """``/metrics``: the lab's own traffic in the Go client's names (uninstrumented: scrapes are not counted)."""
        conn.respond(200, self.metrics.render(), content_type=CONTENT_TYPE)

    # -- immediate routes -------------------------------------------------------------

    def index(self, conn: Connection) -> None:
        """``/``: list the routes."""
        conn.respond(200, {"endpoint": "index", "routes": [*_ROUTES, "/status/{code}", "/metrics"]})

    def ok(self, conn: Connection) -> None:
        """``/ok``: 200 with a small JSON body."""
        conn.respond(200, {"endpoint": "ok", "ok": True})

    def status(self, conn: Connection, code_text: str) -> None:
        """``/status/{code}``: answer with that status (200–599) and a small body."""
        try:
            code = int(code_text)
        except ValueError:
            code = 0
        if not 200 <= code <= 599:
            raise _BadRequestError(400, f"/status/{code_text}: the code must be an integer in [200, 599]")
        conn.respond(code, {"endpoint": "status", "status": code, "reason": _reason(code)})

    def flaky(self, conn: Connection) -> None:
        """``/flaky?p=0.3``: 503 with probability ``p`` (seeded), else 200."""
        p = conn.request.number("p", 0.3, lo=0.0, hi=1.0)
        s = self.stream("flaky")
        s.count += 1
        failed = s.rng.random() < p
        status = 503 if failed else 200
        conn.respond(status, {"endpoint": "flaky", "n": s.count, "failed": failed, "status": status})

    def close(self, conn: Connection) -> None:
        """``/close``: the request was read; close without answering."""
        conn.close()

    def garbage(self, conn: Connection) -> None:
        """``/garbage``: answer bytes that are not HTTP, then close."""
        conn.write(GARBAGE)
        conn.close()

    # -- status-code misuse (handbook §2.4) ------------------------------------------------

    def misuse_ok_error(self, conn: Connection) -> None:
        """``/misuse/ok-error``: 200 carrying a business error (should be 422)."""
        conn.respond(200, MISUSE_BODIES["ok-error"])

    def misuse_notfound_rule(self, conn: Connection) -> None:
        """``/misuse/notfound-rule``: 404 for a business rule, out of stock (should be 422)."""
        conn.respond(404, MISUSE_BODIES["notfound-rule"])

    def misuse_500_validation(self, conn: Connection) -> None:
        """``/misuse/500-validation``: 500 for a request that fails validation (should be 400)."""
        conn.respond(500, MISUSE_BODIES["500-validation"])

    def misuse_403_unauth(self, conn: Connection) -> None:
        """``/misuse/403-unauth``: 403 "token expired" without an Authorization header (should be 401).

        A request that sends an Authorization header gets 200.
        """
        if conn.request.headers.get("authorization", "").strip():
            conn.respond(200, {"endpoint": "misuse/403-unauth", "ok": True})
            return
        conn.respond(403, MISUSE_BODIES["403-unauth"])

    def misuse_401_forbidden(self, conn: Connection) -> None:
        """``/misuse/401-forbidden``: 401 for a caller lacking permission (should be 403)."""
        conn.respond(401, MISUSE_BODIES["401-forbidden"])

    def misuse_right_422(self, conn: Connection) -> None:
        """``/misuse/right-422``: the handbook's correct answer to a business-rule rejection."""
        conn.respond(422, MISUSE_BODIES["right-422"])

    # -- waiting routes ---------------------------------------------------------------

    async def delay(self, conn: Connection) -> None:
        """``/delay?ms=50``: wait ``ms`` before the response head, then 200."""
        ms = conn.request.number("ms", 50.0, lo=0.0, hi=MAX_DELAY_MS)
        await asyncio.sleep(ms / 1000.0)
        conn.respond(200, {"endpoint": "delay", "delay_ms": ms})

    def jitter_delay(self, median_ms: float, sigma: float, spike_p: float) -> tuple[int, float, bool]:
        """Draw the next ``/jitter`` delay: lognormal body plus a rare uniform spike.

        Always draws three values so the stream stays aligned whatever the parameters.

        Returns
        -------
        tuple of (int, float, bool)
            Request number, delay in ms, whether a spike was added.
        """
        s = self.stream("jitter")
        s.count += 1
        z = s.rng.gauss(0.0, 1.0)
        u_spike = s.rng.random()
        u_size = s.rng.random()
        delay = median_ms * math.exp(sigma * z)
        spiked = u_spike < spike_p
        if spiked:
            delay += 300.0 + 500.0 * u_size
        return s.count, min(delay, MAX_DELAY_MS), spiked

    async def jitter(self, conn: Connection) -> None:
        """``/jitter?median_ms=20&sigma=0.6&spike_p=0.05``: a seeded, jittery delay, then 200."""
        q = conn.request
        median_ms = q.number("median_ms", 20.0, lo=0.0, hi=MAX_DELAY_MS)
        sigma = q.number("sigma", 0.6, lo=0.0, hi=5.0)
        spike_p = q.number("spike_p", 0.05, lo=0.0, hi=1.0)
        n, delay, spiked = self.jitter_delay(median_ms, sigma, spike_p)
        await asyncio.sleep(delay / 1000.0)
        conn.respond(
            200,
            {"endpoint": "jitter", "n": n, "delay_ms": round(delay, 3), "spike": spiked},
            headers={"X-Lab-Delay-Ms": f"{delay:.3f}"},
        )

    async def slow_body(self, conn: Connection) -> None:
        """``/slow-body?chunks=10&interval_ms=200&chunk_bytes=64``: head at once, body trickled."""
        q = conn.request
        chunks = int(q.number("chunks", 10, lo=1, hi=10_000))
        interval = q.number("interval_ms", 200.0, lo=0.0, hi=MAX_DELAY_MS) / 1000.0
        size = int(q.number("chunk_bytes", 64, lo=1, hi=1 << 20))
        chunk = (b"slow-body-" * (size // 10 + 1))[: size - 1] + b"\n"
        conn.write(
            build_response(
                200,
                content_type="text/plain",
                content_length=chunks * size,
                keep_alive=q.keep_alive,
                head_only=True,
            )
        )
        if q.method == "HEAD":
            conn.observe(200)
            conn.finish(q.keep_alive)
            return
        for _ in range(chunks):
            await asyncio.sleep(interval)
            if conn.closed:
                conn.observe(200)  # the client left mid-body; a Go handler returns and is counted with its 200
                return
            conn.write(chunk)
        conn.observe(200)
        conn.finish(q.keep_alive)

    async def reset(self, conn: Connection) -> None:
        """``/reset?bytes=512&content_length=4096&after_ms=50``: partial body, then TCP RST."""
        q = conn.request
        sent = int(q.number("bytes", 512, lo=0, hi=1 << 20))
        declared = max(int(q.number("content_length", 4096, lo=1, hi=1 << 30)), sent + 1)
        after = q.number("after_ms", 50.0, lo=0.0, hi=MAX_DELAY_MS) / 1000.0
        conn.write(build_response(200, content_type="text/plain", content_length=declared, head_only=True))
        conn.write(b"r" * sent)
        await conn.drain()
        await asyncio.sleep(after)
        conn.reset()


_ROUTES: dict[str, Callable[[FaultApp, Connection], RouteResult]] = {
    "/": FaultApp.index,
    "/ok": FaultApp.ok,
    "/delay": FaultApp.delay,
    "/jitter": FaultApp.jitter,
    "/slow-body": FaultApp.slow_body,
    "/reset": FaultApp.reset,
    "/close": FaultApp.close,
    "/garbage": FaultApp.garbage,
    "/flaky": FaultApp.flaky,
    "/misuse/ok-error": FaultApp.misuse_ok_error,
    "/misuse/notfound-rule": FaultApp.misuse_notfound_rule,
    "/misuse/500-validation": FaultApp.misuse_500_validation,
    "/misuse/403-unauth": FaultApp.misuse_403_unauth,
    "/misuse/401-forbidden": FaultApp.misuse_401_forbidden,
    "/misuse/right-422": FaultApp.misuse_right_422,
}
