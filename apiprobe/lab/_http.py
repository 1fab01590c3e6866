"""A small HTTP/1.1 server (asyncio Protocol) whose routes misbehave on demand.

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
import contextlib
import json
import logging
import math
import random
import socket
import ssl
import struct
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

logger = logging.getLogger("apiprobe.lab")

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

    def __init__(self, protocol: HttpProtocol, request: Request) -> None:
        self._protocol = protocol
        self.request = request

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

    def stream(self, name: str) -> _Stream:
        """The random stream of endpoint ``name`` (created on first use)."""
        s = self._streams.get(name)
        if s is None:
            s = self._streams[name] = _Stream(random.Random(f"apiprobe-lab:{self.seed}:{name}"))
        return s

    def route(self, request: Request) -> Route:
        """Pick the handler for ``request`` (a 404 handler when nothing matches)."""
        path = request.path
        handler = _ROUTES.get(path)
        if handler is not None:
            return lambda conn: handler(self, conn)
        if path.startswith("/status/"):
            return lambda conn: self.status(conn, path[len("/status/") :])
        return lambda conn: conn.respond(404, {"error": "not found", "path": path, "routes": list(_ROUTES)})

    # -- immediate routes -------------------------------------------------------------

    def index(self, conn: Connection) -> None:
        """``/``: list the routes."""
        conn.respond(200, {"endpoint": "index", "routes": [*_ROUTES, "/status/{code}"]})

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
            conn.finish(q.keep_alive)
            return
        for _ in range(chunks):
            await asyncio.sleep(interval)
            if conn.closed:
                return
            conn.write(chunk)
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


class ConnectionRegistry:
    """Every live connection of a lab, so that stopping can close them all."""

    def __init__(self) -> None:
        self._live: set[asyncio.Protocol] = set()
        self._closed = False

    def add(self, protocol: asyncio.Protocol) -> bool:
        """Register a connection (from ``connection_made``).

        Returns
        -------
        bool
            False once the lab is stopping: the caller must abort the connection.
        """
        if self._closed:
            return False
        self._live.add(protocol)
        return True

    def discard(self, protocol: asyncio.Protocol) -> None:
        """Forget a connection (from ``connection_lost``)."""
        self._live.discard(protocol)

    def __len__(self) -> int:
        return len(self._live)

    async def abort_all(self, timeout: float = 5.0) -> None:
        """Refuse new connections, abort every live one and wait until each reported ``connection_lost``.

        Aborting is repeated while waiting: a connection accepted just before the
        servers closed may register itself after the first pass.
        """
        self._closed = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._live and loop.time() < deadline:
            for protocol in list(self._live):
                abort = getattr(protocol, "abort", None)
                if abort is not None:
                    abort()
            await asyncio.sleep(0.005)
        if self._live:
            logger.warning("fault lab: %d connection(s) did not close in %.1f s", len(self._live), timeout)


class DiscardProtocol(asyncio.Protocol):
    """Accept, read and discard; never answer (the ``blackhole`` endpoint)."""

    def __init__(self, registry: ConnectionRegistry) -> None:
        self._registry = registry
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if not self._registry.add(self):
            transport.abort()

    def data_received(self, data: bytes) -> None:
        pass

    def eof_received(self) -> bool:
        # The client gave up (FIN): close our side too, or every timed-out probe would
        # leave a CLOSE_WAIT socket behind until the lab stops.
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._registry.discard(self)

    def abort(self) -> None:
        """Drop the connection (used when the lab stops)."""
        if self._transport is not None:
            self._transport.abort()


_LINGER_RST = struct.pack("ii", 1, 0)


def _log_task_result(task: asyncio.Task[Any]) -> None:
    """Done-callback: connection errors are expected (DEBUG), anything else is a lab bug (ERROR)."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        return
    if isinstance(exc, OSError):
        logger.debug("fault lab: connection error in %s: %r", task.get_name(), exc)
    else:
        logger.error("fault lab: handler %s failed", task.get_name(), exc_info=exc)


class HttpProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection to the lab (plain, or TLS when ``ssl_context`` is given).

    Parameters
    ----------
    app : FaultApp
        The routes.
    registry : ConnectionRegistry
        Where the connection registers itself.
    ssl_context : ssl.SSLContext, optional
        Terminate TLS on this connection with :meth:`asyncio.loop.start_tls`
        before reading HTTP. Doing the handshake ourselves (rather than
        ``create_server(ssl=...)``) keeps connections that are still
        handshaking visible to the registry, so stopping closes them too.
    """

    def __init__(self, app: FaultApp, registry: ConnectionRegistry, ssl_context: ssl.SSLContext | None = None) -> None:
        self._app = app
        self._registry = registry
        self._ssl_context = ssl_context
        self._transport: asyncio.Transport | None = None  # what HTTP reads and writes (TLS or plain)
        self._raw: asyncio.Transport | None = None  # the TCP socket's transport
        self._buffer = bytearray()
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._closing = False
        self._eof = False
        self._paused = False

    # -- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._raw = transport
        if not self._registry.add(self):
            self._closing = True
            transport.abort()
            return
        if self._ssl_context is None:
            self._transport = transport
            return
        transport.pause_reading()  # the ClientHello belongs to the TLS layer, not to us
        task = asyncio.get_running_loop().create_task(self._handshake(transport, self._ssl_context))
        task.add_done_callback(_log_task_result)
        self._task = task

    async def _handshake(self, raw: asyncio.Transport, context: ssl.SSLContext) -> None:
        loop = asyncio.get_running_loop()
        try:
            tls = await loop.start_tls(raw, self, context, server_side=True, ssl_handshake_timeout=30.0)
        except BaseException as exc:
            # asyncio does not always report connection_lost for a connection that dies
            # mid-handshake, so forget it here (discard is idempotent).
            self._closing = True
            raw.abort()
            self._registry.discard(self)
            if not isinstance(exc, Exception):
                raise  # cancelled by the lab stopping
            logger.debug("fault lab: TLS handshake failed: %r", exc)  # the client's business
            return
        finally:
            self._task = None
        if tls is None or self._closing:
            raw.abort()
            return
        self._transport = tls
        if self._buffer:
            self._process()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        self._buffer += data
        if len(self._buffer) > MAX_HEAD_BYTES + MAX_BODY_BYTES:
            self.abort()  # a client flooding a busy connection
            return
        if not self._busy and self._transport is not None:
            self._process()

    def eof_received(self) -> bool | None:
        self._eof = True
        if self._busy and self._ssl_context is None:
            return True  # half-closed: still answer the request in flight, then close
        self._closing = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._registry.discard(self)
        if self._task is not None:
            self._task.cancel()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._buffer and not self._busy and self._transport is not None:
            self._process()

    # -- used by Connection ----------------------------------------------------------

    @property
    def closing(self) -> bool:
        """Whether the connection is closing or closed."""
        return self._closing or self._transport is None or self._transport.is_closing()

    def write(self, data: bytes) -> None:
        """Write unless the connection is already closing."""
        if not self.closing and self._transport is not None:
            self._transport.write(data)

    async def drain(self) -> None:
        """Wait until everything written so far has been handed to the kernel."""
        while not self.closing and self._pending_bytes() > 0:
            await asyncio.sleep(0.002)

    def _pending_bytes(self) -> int:
        pending = self._raw.get_write_buffer_size() if self._raw is not None else 0
        if self._transport is not None and self._transport is not self._raw:
            pending += self._transport.get_write_buffer_size()
        return pending

    def close(self) -> None:
        """Graceful close (FIN once pending data is sent)."""
        self._closing = True
        if self._transport is not None:
            self._transport.close()
        elif self._raw is not None:
            self._raw.close()

    def reset(self) -> None:
        """Send a TCP RST: linger on with a zero timeout, then abort the raw socket."""
        self._closing = True
        raw = self._raw
        if raw is None:
            return
        sock = raw.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # the socket may already be gone
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        raw.abort()

    def abort(self) -> None:
        """Drop the connection immediately (lab shutdown)."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
        if self._raw is not None:
            self._raw.abort()

    def finish(self, keep_alive: bool) -> None:
        """End the current exchange; close unless keep-alive (and the client has not half-closed)."""
        if not keep_alive or self._eof:
            self.close()

    # -- request loop -----------------------------------------------------------------

    def _process(self) -> None:
        """Handle every complete request in the buffer, stopping at the first that waits."""
        while not self._busy and not self._paused and not self.closing:
            try:
                request = self._parse()
                if request is None:
                    return
                result = self._app.route(request)(Connection(self, request))
            except _BadRequestError as exc:
                self._fail(exc)
                return
            if result is not None:
                self._busy = True
                # The route coroutine itself is the task: a task cancelled before its first
                # step then still closes the coroutine (no "never awaited" warning).
                task = asyncio.get_running_loop().create_task(result, name=f"lab {request.path}")
                task.add_done_callback(self._request_done)
                self._task = task
                return

    def _request_done(self, task: asyncio.Task[None]) -> None:
        self._busy = False
        if self._task is task:
            self._task = None
        if not task.cancelled() and isinstance(task.exception(), _BadRequestError):
            bad = task.exception()
            assert isinstance(bad, _BadRequestError)
            self._fail(bad)
            return
        _log_task_result(task)
        if self._buffer and not self.closing:
            self._process()

    def _fail(self, exc: _BadRequestError) -> None:
        """Answer a request the lab cannot serve with a 4xx, then close."""
        self.write(build_response(exc.status, json_body({"error": exc.message}), keep_alive=False))
        self.close()

    def _parse(self) -> Request | None:
        """Cut one complete request off the buffer, or return None if more bytes are needed."""
        buf = self._buffer
        while buf.startswith(b"\r\n"):  # tolerate stray CRLF between requests (RFC 9112 §2.2)
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD_BYTES:
                raise _BadRequestError(431, "request head too large")
            return None
        head = bytes(buf[:end]).decode("latin-1")
        request_line, *header_lines = head.split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
            raise _BadRequestError(400, f"malformed request line {request_line[:100]!r}")
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _BadRequestError(400, f"malformed header line {line[:100]!r}")
            key = name.lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        pos = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parsed = _dechunk(buf, pos)
            if parsed is None:
                return None
            body, pos = parsed
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise _BadRequestError(400, "invalid Content-Length") from None
            if not 0 <= length <= MAX_BODY_BYTES:
                raise _BadRequestError(413, "request body too large")
            if len(buf) < pos + length:
                return None
            body = bytes(buf[pos : pos + length])
            pos += length
        else:
            body = b""
        del buf[:pos]
        split = urlsplit(target)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        return Request(method.upper(), split.path or "/", query, version, headers, body)


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int] | None:
    """Decode a chunked body starting at ``pos``; None if incomplete."""
    out = bytearray()
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _BadRequestError(400, "invalid chunk size") from None
        pos = eol + 2
        if size == 0:
            # trailers, terminated by an empty line
            while True:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                line_empty = eol == pos
                pos = eol + 2
                if line_empty:
                    return bytes(out), pos
        if len(out) + size > MAX_BODY_BYTES:
            raise _BadRequestError(413, "request body too large")
        if len(buf) < pos + size + 2:
            return None
        out += buf[pos : pos + size]
        pos += size + 2
